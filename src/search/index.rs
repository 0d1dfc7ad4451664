//! The search index: the site's text as [`tokenizer`] tokens, in classic scripts under
//! `search/` that the browser loads with `<script>` elements (so it works from `file://` and in
//! WeChat's browser, where `fetch` of a local file, ES modules or WebAssembly do not).
//!
//! A *document* is what one result points at: a step (its title, its text, its screenshots'
//! captions), a channel (name, title, note, intro) or a guide (title, summary, intro). Documents
//! are numbered in site order. The index is made of:
//!
//! - the *manifest* `search/index.js`, which calls `window.__gpSearch.index({...})` with the
//!   index's version, the number of documents and of token shards, and the documents per
//!   document shard (a few numbers: nothing in it grows with the site);
//! - *token shards* `search/t-N.js` (`__gpSearch.shard(N, {token: postings})`): a token lives in
//!   shard `hash(token) % shards`, so a query loads only the shards of its own tokens. The
//!   *postings* of a token say which documents hold it and in which fields (title, text,
//!   caption), as a string of base-32 digits (see [`encode`]);
//! - *document shards* `search/d-N.js` (`__gpSearch.docs(N, {...})`): [`SHARD_DOCS`] documents
//!   each (document `n` in shard `n / SHARD_DOCS`), with their guide, channel, anchor, title and
//!   the first [`TEXT_CHARS`] characters of their text (captions after it), loaded only for the
//!   results shown: the browser cuts a result's snippet around its best match.
//!
//! A small site (the sample) gets all of it inline in the manifest: one small file. File names
//! stay the same from build to build. The pages name the manifest alone, which the browser loads
//! afresh (`?t=` and the time: it is a few bytes), and the manifest's shards are loaded with
//! `?v=` and the index's [`version`], a hash of everything the index is made of, so caches stay
//! fresh and a browser never mixes two builds. Pages do not depend on the index: the build
//! makes it beside them, and the preview makes it again without rendering every page.
//! Drafts, and guides or channels with `search = false`, are left out.
//!
//! Tokens are numbers while the index is built ([`Key`]): a character or a pair of characters
//! needs no string and no allocation, and is spelled out only when its shard is written.

use std::fmt::Write as _;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::tokenizer;
use crate::content::model::{Block, Guide, Site, walk};

/// Fields of a document, as bits of a posting: a match in a title weighs most, then the text,
/// then a caption.
pub const TITLE: u8 = 4;
pub const BODY: u8 = 2;
pub const CAPTION: u8 = 1;

/// The folder of the index and the search page in the output.
pub const DIR: &str = "search";
/// The index's manifest, the one file a page names: relative to the site's root.
pub const MANIFEST: &str = "search/index.js";

/// Postings per token shard aimed at (about 5 KB a shard; a common token's own postings are
/// most of its shard).
const SHARD_POSTINGS: usize = 7_000;
/// Documents per document shard: a result loads the shard of its document, so few documents
/// (about 5 KB) keep the bytes of a first query low.
pub const SHARD_DOCS: usize = 8;
/// Characters of a document's text (and captions) kept for its result's snippet, which the
/// browser cuts around the best match: more than nearly every step (99% of the benchmark's steps
/// have fewer than 800), so a match anywhere in a step shows in its snippet; text beyond them
/// (a pasted table, say) is searched and ranked but never shown, so one huge step cannot make
/// its document shard huge.
pub const TEXT_CHARS: usize = 1000;
/// Below these, everything goes into the manifest.
const INLINE_POSTINGS: usize = 8_000;
const INLINE_DOC_BYTES: usize = 24 * 1024;
/// The index's format: part of its version, so a browser never keeps a shard of another format.
const FORMAT: &str = "3";

/// The files of the index.
#[derive(Debug, Default)]
pub struct Index {
    /// Path in the output (`search/…`) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    pub documents: usize,
    pub token_shards: usize,
    pub doc_shards: usize,
}

/// A token as a number: a CJK character its code point, a bigram both code points, a word
/// [`WORD`] and a 63-bit hash of it (spelled out through [`Part::words`]).
type Key = u64;
const WORD: Key = 1 << 63;

fn key(t: tokenizer::Token<'_>) -> Key {
    match t {
        tokenizer::Token::Char(c) => c as Key,
        tokenizer::Token::Bigram(a, b) => ((a as Key) << 21) | b as Key,
        tokenizer::Token::Word(w) => {
            use std::hash::{BuildHasher, BuildHasherDefault};
            WORD | (BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(w) >> 1)
        }
    }
}

/// A key's token as text (a word's from `words`).
fn spell(k: Key, words: &FxHashMap<Key, &str>, out: &mut String) {
    if k & WORD != 0 {
        out.push_str(words.get(&k).copied().unwrap_or_default());
        return;
    }
    let (a, b) = ((k >> 21) as u32, (k & 0x1F_FFFF) as u32);
    if let Some(a) = char::from_u32(a).filter(|_| a != 0) {
        out.push(a);
    }
    out.extend(char::from_u32(b));
}

/// One posting: a token of the part (its place in [`Part::tokens`]) in a document. `doc` is
/// `(document << 3) | fields`. Eight bytes: a site of 1,000 guides has about seven million.
#[derive(Clone, Copy)]
struct Posting {
    token: u32,
    doc: u32,
}

/// What [`Part::add`] reuses from one document to the next.
#[derive(Default)]
struct Scratch {
    /// The part's tokens: their place in [`Part::tokens`].
    ids: FxHashMap<Key, u32>,
    /// By token: its latest posting (its place in [`Part::postings`]).
    latest: Vec<u32>,
}

/// One document as a result shows it.
struct Doc {
    /// The channel (its place in the guide's `channels`), or -1 for the guide itself.
    channel: i64,
    /// The rest serialised: `step, anchor, title, snippet]`.
    rest: String,
}

/// One guide's part of the index, made in parallel with the others.
struct Part {
    docs: Vec<Doc>,
    /// The guide's `[title, url]` and its channels' `[name, url]`, as JSON.
    guide: String,
    channels: Vec<String>,
    /// Its distinct tokens, with their [`tokenizer::hash`], in the order first seen.
    tokens: Vec<(Key, u32)>,
    /// Its postings, documents numbered within the part; sorted by shard (and by document
    /// within a shard) once the shard count is known.
    postings: Vec<Posting>,
    /// The words among its tokens.
    words: FxHashMap<Key, String>,
    doc_bytes: usize,
}

/// Text of a document by field.
#[derive(Default)]
struct Fields {
    title: String,
    body: String,
    caption: String,
}

fn push_text(out: &mut String, text: &str) {
    for w in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
}

/// The text of rendered HTML (tags dropped, character references decoded by html5gum, script
/// and style contents left out), appended to `out` with spaces collapsed.
pub fn html_text(html: &str, out: &mut String) {
    use html5gum::{Token, Tokenizer};
    let mut skip = false;
    for t in Tokenizer::new(html).flatten() {
        match t {
            // text chunks join as they are ("“<strong>登录</strong>”" is one run of text)
            Token::String(s) if !skip => {
                for c in String::from_utf8_lossy(&s.value).chars() {
                    if c.is_whitespace() {
                        space(out);
                    } else {
                        out.push(c);
                    }
                }
            }
            Token::StartTag(t) => {
                skip = matches!(&t.name[..], b"script" | b"style") && !t.self_closing;
                // block-level boundaries separate words ("第一步</p><p>第二步")
                if !INLINE.contains(&&t.name[..]) {
                    space(out);
                }
            }
            Token::EndTag(t) if !INLINE.contains(&&t.name[..]) => {
                skip = false;
                space(out);
            }
            Token::EndTag(_) => skip = false,
            _ => {}
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// Tags inside a run of text: no word boundary at them.
const INLINE: &[&[u8]] = &[
    b"a", b"abbr", b"b", b"code", b"del", b"em", b"i", b"ins", b"kbd", b"mark", b"s", b"small",
    b"span", b"strong", b"sub", b"sup", b"u",
];

/// One space, unless `out` is empty or ends with one.
fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

fn blocks_text(blocks: &[Block], f: &mut Fields) {
    for b in walk(blocks) {
        match b {
            Block::Html(h) => html_text(h, &mut f.body),
            Block::Figure(fig) => push_text(&mut f.caption, &fig.alt),
            Block::Slot(s) => push_text(&mut f.caption, &s.alt),
            Block::Callout { .. } => {}
        }
    }
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// At most [`TEXT_CHARS`] characters of `text` (the caller marks a cut with `…`).
fn kept(text: &str) -> &str {
    match text.char_indices().nth(TEXT_CHARS) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

impl Part {
    fn add(&mut self, scratch: &mut Scratch, channel: i64, step: usize, anchor: &str, f: &Fields) {
        let doc = self.docs.len() as u32;
        // the document's postings start here: a token's latest posting before it is another
        // document's
        let first = self.postings.len() as u32;
        for (text, field) in [(&f.title, TITLE), (&f.body, BODY), (&f.caption, CAPTION)] {
            tokenizer::each(text, |t| {
                let k = key(t);
                let token = *scratch.ids.entry(k).or_insert_with(|| {
                    if let tokenizer::Token::Word(w) = t {
                        self.words.insert(k, w.to_string());
                    }
                    self.tokens.push((k, t.hash()));
                    scratch.latest.push(u32::MAX);
                    self.tokens.len() as u32 - 1
                });
                let latest = &mut scratch.latest[token as usize];
                match self.postings.get_mut(*latest as usize) {
                    Some(p) if *latest >= first => p.doc |= field as u32,
                    _ => {
                        *latest = self.postings.len() as u32;
                        self.postings.push(Posting {
                            token,
                            doc: (doc << 3) | field as u32,
                        });
                    }
                }
            });
        }
        // the text as far as a snippet may show it, captions after it (they count as text)
        let mut text = String::from(kept(&f.body));
        let mut cut = text.len() < f.body.len();
        if !cut && !f.caption.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&f.caption);
            let n = kept(&text).len();
            cut = n < text.len();
            text.truncate(n);
        }
        if cut {
            text.push('…');
        }
        let rest = format!(
            "{step},{},{},{}]",
            json(anchor),
            json(&f.title),
            json(&text)
        );
        self.doc_bytes += rest.len();
        self.docs.push(Doc { channel, rest });
    }
}

fn guide_part(g: &Guide) -> Part {
    let mut part = Part {
        docs: Vec::new(),
        guide: format!(
            "[{},{}]",
            json(&g.meta.title),
            json(&format!("{}/index.html", g.id.0))
        ),
        channels: Vec::new(),
        tokens: Vec::new(),
        postings: Vec::new(),
        words: FxHashMap::default(),
        doc_bytes: 0,
    };
    let mut scratch = Scratch::default();
    let mut f = Fields::default();
    push_text(&mut f.title, &g.meta.title);
    push_text(&mut f.body, g.meta.summary.as_deref().unwrap_or_default());
    blocks_text(&g.intro, &mut f);
    part.add(&mut scratch, -1, 0, "", &f);
    for c in g.channels.iter().filter(|c| !c.draft && c.search) {
        let ci = part.channels.len() as i64;
        let url = format!("{}/{}/index.html", g.id.0, c.id.0);
        part.channels
            .push(format!("[{},{}]", json(&c.name), json(&url)));
        let mut f = Fields::default();
        push_text(&mut f.title, &c.name);
        if c.title != c.name {
            push_text(&mut f.title, &c.title);
        }
        push_text(&mut f.body, c.note.as_deref().unwrap_or_default());
        blocks_text(&c.intro, &mut f);
        part.add(&mut scratch, ci, 0, "", &f);
        for s in &c.steps {
            let mut f = Fields::default();
            push_text(&mut f.title, &s.title_text);
            blocks_text(&s.body, &mut f);
            part.add(&mut scratch, ci, s.number, &format!("#{}", s.anchor), &f);
        }
    }
    // every guide's part is kept until the shards are written: no spare capacity
    part.postings.shrink_to_fit();
    part.tokens.shrink_to_fit();
    part
}

/// Base-32 digits of `v` into `out`: the low five bits first, each digit but the last from the
/// upper half of the alphabet (so a posting list needs no separators).
pub fn encode(mut v: u32, out: &mut String) {
    const DIGITS: &[u8; 64] = b"0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ-_+*/$";
    while v >= 32 {
        out.push(DIGITS[32 + (v & 31) as usize] as char);
        v >>= 5;
    }
    out.push(DIGITS[v as usize] as char);
}

/// Postings as text: for each document, `(gap << 3) | fields`, the gap from the previous
/// document (the first from -1). `docs` are `(document << 3) | fields`, ascending.
fn encode_postings(docs: impl Iterator<Item = u32>, out: &mut String) {
    let mut prev: i64 = -1;
    for d in docs {
        let (doc, fields) = ((d >> 3) as i64, d & 7);
        encode((((doc - prev) as u32) << 3) | fields, out);
        prev = doc;
    }
}

/// The version of the index of `site`: a hash of everything [`build`] reads (cheaper than the
/// index: the preview makes the index again only when it changes).
pub fn version(site: &Site) -> String {
    let mut h = blake3::Hasher::new();
    let mut put = |s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(FORMAT);
    put(env!("CARGO_PKG_VERSION"));
    fn blocks(blocks: &[Block], put: &mut impl FnMut(&str)) {
        for b in walk(blocks) {
            match b {
                Block::Html(x) => put(x),
                Block::Figure(fig) => put(&fig.alt),
                Block::Slot(s) => put(&s.alt),
                Block::Callout { .. } => put("callout"),
            }
        }
    }
    for g in site
        .guides
        .iter()
        .filter(|g| !g.meta.draft && g.meta.search)
    {
        put(&g.id.0);
        put(&g.meta.title);
        put(g.meta.summary.as_deref().unwrap_or("\0"));
        blocks(&g.intro, &mut put);
        for c in g.channels.iter().filter(|c| !c.draft && c.search) {
            put(&c.id.0);
            put(&c.name);
            put(&c.title);
            put(c.note.as_deref().unwrap_or("\0"));
            blocks(&c.intro, &mut put);
            for s in &c.steps {
                put(&s.number.to_string());
                put(&s.anchor);
                put(&s.title_text);
                blocks(&s.body, &mut put);
            }
            put("\0end");
        }
        put("\0guide");
    }
    h.finalize().to_hex()[..10].to_string()
}

/// The JSON of the document shard of `docs` (parts and documents within them): its guides
/// (`g`: title, URL), channels (`c`: name, URL) and documents (`d`: guide, channel or -1, step
/// or 0, anchor, title, snippet), each by its place in the shard.
fn doc_shard(parts: &[Part], docs: &[(u32, u32)]) -> String {
    let (mut g, mut ch, mut d) = (String::new(), String::new(), String::new());
    let (mut gi, mut c0, mut last) = (-1i64, 0i64, u32::MAX);
    let mut channels = 0i64;
    for &(p, i) in docs {
        let part = &parts[p as usize];
        if p != last {
            last = p;
            gi += 1;
            c0 = channels;
            if !g.is_empty() {
                g.push(',');
            }
            g.push_str(&part.guide);
            for c in &part.channels {
                if !ch.is_empty() {
                    ch.push(',');
                }
                ch.push_str(c);
                channels += 1;
            }
        }
        let doc = &part.docs[i as usize];
        let c = if doc.channel < 0 {
            -1
        } else {
            doc.channel + c0
        };
        if !d.is_empty() {
            d.push(',');
        }
        let _ = write!(d, "[{gi},{c},{}", doc.rest);
    }
    format!("{{\"g\":[{g}],\"c\":[{ch}],\"d\":[{d}]}}")
}

/// Builds the index of `site` (see the module doc), `version` being [`version`]'s. Pure: the
/// caller writes the files.
pub fn build(site: &Site, version: &str) -> Index {
    let mut parts: Vec<Part> = site
        .guides
        .par_iter()
        .filter(|g| !g.meta.draft && g.meta.search)
        .map(guide_part)
        .collect();
    let postings: usize = parts.iter().map(|p| p.postings.len()).sum();
    let doc_bytes: usize = parts.iter().map(|p| p.doc_bytes).sum();
    let inline = postings <= INLINE_POSTINGS && doc_bytes <= INLINE_DOC_BYTES;
    let shards = if inline {
        1
    } else {
        postings
            .div_ceil(SHARD_POSTINGS)
            .next_power_of_two()
            .clamp(1, 4096)
    };
    let mask = shards as u32 - 1;
    // each part's postings by shard (a counting sort: they stay in document order within a
    // shard), with where each shard starts in them
    let starts: Vec<Vec<u32>> = parts
        .par_iter_mut()
        .map(|p| {
            let shards_of: Vec<u32> = p.tokens.iter().map(|t| t.1 & mask).collect();
            let mut starts = vec![0u32; shards + 1];
            for e in &p.postings {
                starts[shards_of[e.token as usize] as usize + 1] += 1;
            }
            for i in 1..starts.len() {
                starts[i] += starts[i - 1];
            }
            let mut at = starts.clone();
            let mut sorted = vec![Posting { token: 0, doc: 0 }; p.postings.len()];
            for e in &p.postings {
                let slot = &mut at[shards_of[e.token as usize] as usize];
                sorted[*slot as usize] = *e;
                *slot += 1;
            }
            p.postings = sorted;
            starts
        })
        .collect();
    let mut offsets = Vec::with_capacity(parts.len());
    let mut all_docs: Vec<(u32, u32)> = Vec::new();
    for (pi, p) in parts.iter().enumerate() {
        offsets.push(all_docs.len() as u32);
        all_docs.extend((0..p.docs.len() as u32).map(|i| (pi as u32, i)));
    }
    let documents = all_docs.len();
    let words: FxHashMap<Key, &str> = parts
        .iter()
        .flat_map(|p| p.words.iter().map(|(k, w)| (*k, w.as_str())))
        .collect();

    // token shards, each merged from every guide's part in site order
    let token_shards: Vec<String> = (0..shards)
        .into_par_iter()
        .map(|shard| {
            let mut merged: Vec<(Key, u32)> = Vec::new();
            for ((p, &off), starts) in parts.iter().zip(&offsets).zip(&starts) {
                let slice = &p.postings[starts[shard] as usize..starts[shard + 1] as usize];
                merged.extend(
                    slice
                        .iter()
                        .map(|e| (p.tokens[e.token as usize].0, e.doc + (off << 3))),
                );
            }
            // by token, and each token's documents in site order (a token has one posting a
            // document, so the pairs are distinct and an unstable sort gives the one order)
            merged.sort_unstable();
            let mut s = String::with_capacity(merged.len() * 2 + 16);
            s.push('{');
            let mut tok = String::new();
            for run in merged.chunk_by(|a, b| a.0 == b.0) {
                if s.len() > 1 {
                    s.push(',');
                }
                tok.clear();
                spell(run[0].0, &words, &mut tok);
                s.push_str(&json(&tok));
                s.push_str(":\"");
                encode_postings(run.iter().map(|e| e.1), &mut s);
                s.push('"');
            }
            s.push('}');
            match inline {
                true => s,
                false => format!("window.__gpSearch.shard({shard},{s});\n"),
            }
        })
        .collect();

    // document shards: SHARD_DOCS documents each, in site order
    let doc_shards: Vec<String> = all_docs
        .par_chunks(SHARD_DOCS)
        .enumerate()
        .map(|(i, docs)| {
            let s = doc_shard(&parts, docs);
            match inline {
                true => s,
                false => format!("window.__gpSearch.docs({i},{s});\n"),
            }
        })
        .collect();
    drop(parts);
    let doc_shard_count = doc_shards.len();

    let mut files = Vec::new();
    let mut manifest = format!(
        "window.__gpSearch.index({{\"v\":{},\"docs\":{documents},\"shards\":{shards},\"per\":{SHARD_DOCS}",
        json(version)
    );
    if inline {
        let _ = write!(
            manifest,
            ",\"ts\":[{}],\"ds\":[{}]",
            token_shards.join(","),
            doc_shards.join(",")
        );
    } else {
        for (i, s) in token_shards.into_iter().enumerate() {
            files.push((format!("{DIR}/t-{i}.js"), s.into_bytes()));
        }
        for (i, s) in doc_shards.into_iter().enumerate() {
            files.push((format!("{DIR}/d-{i}.js"), s.into_bytes()));
        }
    }
    manifest.push_str("});\n");
    files.push((format!("{DIR}/index.js"), manifest.into_bytes()));
    Index {
        files,
        documents,
        token_shards: if inline { 0 } else { shards },
        doc_shards: if inline { 0 } else { doc_shard_count },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_drops_tags_and_decodes_references() {
        let mut s = String::new();
        html_text(
            "<p>点击“<strong>登录</strong>”&amp;进入</p>\n<p>下一段\n  两行</p><script>x()</script>",
            &mut s,
        );
        assert_eq!(s, "点击“登录”&进入 下一段 两行");
    }

    #[test]
    fn postings_are_gaps_and_fields_in_base_32() {
        // doc 0 in the title: (1 << 3) | 4 = 12 → "c"; doc 40 in the body: gap 40 → 322 → 2 digits
        let enc = |docs: &[(u32, u8)]| {
            let mut s = String::new();
            encode_postings(docs.iter().map(|&(d, f)| (d << 3) | f as u32), &mut s);
            s
        };
        assert_eq!(enc(&[(0, TITLE)]), "c");
        assert_eq!(enc(&[(0, TITLE), (40, BODY)]).len(), 3);
        let mut one = String::new();
        encode(31, &mut one);
        assert_eq!(one, "v");
        one.clear();
        encode(32, &mut one);
        assert_eq!(one, "A1");
    }

    #[test]
    fn keys_spell_their_tokens() {
        let mut words = FxHashMap::default();
        tokenizer::each("采集码 VPN客户端 𠀀字", |t| {
            let k = key(t);
            if let tokenizer::Token::Word(w) = t {
                words.insert(k, w.to_string());
            }
            let words: FxHashMap<Key, &str> = words.iter().map(|(k, w)| (*k, w.as_str())).collect();
            let mut spelled = String::new();
            spell(k, &words, &mut spelled);
            let mut want = Vec::new();
            tokenizer::tokens(&spelled, |s, kind| want.push((s.to_string(), kind)));
            assert_eq!(
                want.last().map(|w| w.1),
                Some(t.kind()),
                "{t:?} → {spelled}"
            );
            assert_eq!(tokenizer::hash(&spelled), t.hash());
        });
    }

    #[test]
    fn kept_text_is_cut_by_characters() {
        let long = "字".repeat(TEXT_CHARS + 5);
        assert_eq!(kept(&long).chars().count(), TEXT_CHARS);
        assert_eq!(kept("短"), "短");
    }
}
