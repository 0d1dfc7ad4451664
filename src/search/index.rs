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
//! The index is made in two steps. Each guide's text becomes its [`Part`] (its documents, and
//! its tokens' postings already encoded), in parallel and only when the guide changed: parts are
//! kept by a hash of their guide's text (see [`Plan`] and [`Store`]), on disk for `build`
//! ([`super::cache::Parts`]) and in memory for the preview. Then [`assemble`] merges the parts
//! into the shards, copying their encoded postings. A build after one guide was edited
//! tokenizes that guide alone.
//!
//! Tokens are numbers while a part is made ([`Key`]): a character or a pair of characters
//! needs no string and no allocation, and is spelled out once per guide.

use std::fmt::Write as _;
use std::sync::Arc;

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
/// The format of the index and of its parts: part of every key and version, so that a browser
/// never keeps a shard of another format and no store hands back a part made another way.
/// Change it with anything that changes what a part holds (the test
/// `a_part_is_what_its_format_says` fails until it is changed).
const FORMAT: &str = "4";

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

/// One posting while a part is made: a token of the part (its place in [`Tokens::tokens`]) in a
/// document. `doc` is `(document << 3) | fields`. Eight bytes: a guide has a few thousand.
#[derive(Clone, Copy)]
struct Posting {
    token: u32,
    doc: u32,
}

/// Where a string of a part is: a byte range of [`Part::text`].
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    at: u32,
    len: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.at as usize..self.at as usize + self.len as usize
    }

    /// [`Span::range`], `None` past `usize` (a damaged file).
    fn range_checked(self) -> Option<std::ops::Range<usize>> {
        Some(self.at as usize..(self.at as usize).checked_add(self.len as usize)?)
    }
}

/// A token's postings in the documents of one part: its first posting
/// (`(document << 3) | fields`, the document numbered within the part), the document of its
/// last, and the postings after the first already encoded as the shards spell them
/// ([`encode_postings`]: gaps, which do not change when the part's documents are numbered
/// after other guides'), so that [`assemble`] copies them without decoding.
#[derive(Clone, Copy, Debug)]
struct Run {
    // (the runs of a part are in the order of `Run::order` of their hashes)
    /// [`tokenizer::hash`] of the token: its shard.
    hash: u32,
    first: u32,
    last: u32,
    token: Span,
    rest: Span,
}

impl Run {
    /// The order of a part's runs, and of their text: by their hashes' bits from the lowest
    /// up, so that the runs of any shard, and of any group of `2^k` shards by `hash % 2^k`,
    /// are one stretch of them whatever the number of shards.
    fn order(hash: u32) -> u32 {
        hash.reverse_bits()
    }
}

/// One guide's part of the index: its documents as results show them, and a [`Run`] for each of
/// its tokens. Parts are made in parallel, one per guide, and kept by their guide's key (see
/// [`Plan`]) in a [`Store`], so that a build after an edit tokenizes only the guides whose text
/// changed; [`assemble`] makes the index's files from the parts. [`Part::to_bytes`] is the form a
/// store keeps on disk.
#[derive(Debug, Default)]
pub struct Part {
    /// Every string of the part, one after the other.
    text: String,
    /// The guide's `[title, url]` and its channels' `[name, url]`, as JSON.
    guide: Span,
    channels: Vec<Span>,
    /// The documents: the channel (its place in `channels`, or -1 for the guide itself) and the
    /// rest serialised, `step, anchor, title, snippet]`.
    docs: Vec<(i32, Span)>,
    runs: Vec<Run>,
    /// Postings in the runs (the shard count is chosen from the site's sum).
    postings: u32,
}

/// The first bytes of [`Part::to_bytes`].
const PART_MAGIC: &[u8; 4] = b"gpsp";

impl Part {
    fn str(&self, s: Span) -> &str {
        // spans are checked when a part is read (`from_bytes`) or made
        self.text.get(s.range()).unwrap_or_default()
    }

    fn push(&mut self, s: &str) -> Span {
        let span = Span {
            at: self.text.len() as u32,
            len: s.len() as u32,
        };
        self.text.push_str(s);
        span
    }

    /// The part as bytes: what a [`Store`] keeps on disk and [`Part::from_bytes`] reads back.
    pub fn to_bytes(&self) -> Vec<u8> {
        // numbers as LEB128 (seven bits a byte, low first), but for the hashes; the runs' token
        // and rest follow each other in the text (as `make_part` puts them), so a run needs
        // only their lengths
        fn put(out: &mut Vec<u8>, mut v: u32) {
            while v >= 0x80 {
                out.push(v as u8 | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        let mut out = Vec::with_capacity(self.text.len() + self.runs.len() * 10 + 64);
        out.extend_from_slice(PART_MAGIC);
        put(&mut out, self.text.len() as u32);
        out.extend_from_slice(self.text.as_bytes());
        put(&mut out, self.postings);
        let span = |out: &mut Vec<u8>, s: Span| {
            put(out, s.at);
            put(out, s.len);
        };
        span(&mut out, self.guide);
        put(&mut out, self.channels.len() as u32);
        for c in &self.channels {
            span(&mut out, *c);
        }
        put(&mut out, self.docs.len() as u32);
        for (channel, rest) in &self.docs {
            put(&mut out, (*channel + 1) as u32);
            span(&mut out, *rest);
        }
        put(&mut out, self.runs.len() as u32);
        put(&mut out, self.runs.first().map_or(0, |r| r.token.at));
        for r in &self.runs {
            out.extend_from_slice(&r.hash.to_le_bytes());
            put(&mut out, r.first);
            put(&mut out, r.last);
            put(&mut out, r.token.len);
            put(&mut out, r.rest.len);
        }
        out
    }

    /// A part from [`Part::to_bytes`]; `None` for anything else (a damaged cache file).
    pub fn from_bytes(b: &[u8]) -> Option<Part> {
        struct Reader<'a>(&'a [u8]);
        impl Reader<'_> {
            fn u32(&mut self) -> Option<u32> {
                let mut v: u32 = 0;
                for shift in (0..35).step_by(7) {
                    let (&byte, rest) = self.0.split_first()?;
                    self.0 = rest;
                    v |= ((byte & 0x7F) as u32).checked_shl(shift)?;
                    if byte < 0x80 {
                        return Some(v);
                    }
                }
                None
            }
            fn fixed(&mut self) -> Option<u32> {
                let (v, rest) = self.0.split_first_chunk::<4>()?;
                self.0 = rest;
                Some(u32::from_le_bytes(*v))
            }
            fn span(&mut self, text: &str) -> Option<Span> {
                let s = Span {
                    at: self.u32()?,
                    len: self.u32()?,
                };
                text.get(s.range_checked()?)?;
                Some(s)
            }
            /// A count of items of at least `size` bytes each, no more than the bytes left hold.
            fn count(&mut self, size: usize) -> Option<usize> {
                let n = self.u32()? as usize;
                (n.checked_mul(size)? <= self.0.len()).then_some(n)
            }
        }
        let mut r = Reader(b.strip_prefix(PART_MAGIC)?);
        let len = r.u32()? as usize;
        let text = std::str::from_utf8(r.0.get(..len)?).ok()?.to_string();
        r.0 = &r.0[len..];
        let postings = r.u32()?;
        let guide = r.span(&text)?;
        let n = r.count(2)?;
        let channels = (0..n).map(|_| r.span(&text)).collect::<Option<Vec<_>>>()?;
        let n = r.count(3)?;
        let docs = (0..n)
            .map(|_| Some(((r.u32()? as i32).checked_sub(1)?, r.span(&text)?)))
            .collect::<Option<Vec<_>>>()?;
        let n = r.count(8)?;
        let mut at = r.u32()?;
        let mut next = |len: u32| -> Option<Span> {
            let s = Span { at, len };
            text.get(s.range_checked()?)?;
            at = at.checked_add(len)?;
            Some(s)
        };
        let runs = (0..n)
            .map(|_| {
                let (hash, first, last) = (r.fixed()?, r.u32()?, r.u32()?);
                let (token, rest) = (r.u32()?, r.u32()?);
                Some(Run {
                    hash,
                    first,
                    last,
                    token: next(token)?,
                    rest: next(rest)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let docs_ok = docs
            .iter()
            .all(|(c, _)| *c >= -1 && (*c as i64) < channels.len() as i64);
        let runs_ok = runs.iter().all(|r| {
            (r.first >> 3) <= r.last && (r.last as usize) < docs.len() && r.first & 7 != 0
        }) && runs
            .windows(2)
            .all(|w| Run::order(w[0].hash) <= Run::order(w[1].hash));
        (r.0.is_empty() && docs_ok && runs_ok).then_some(Part {
            text,
            guide,
            channels,
            docs,
            runs,
            postings,
        })
    }
}

/// What [`Tokens::add`] reuses from one document to the next.
#[derive(Default)]
struct Scratch {
    /// The guide's tokens: their place in [`Tokens::tokens`].
    ids: FxHashMap<Key, u32>,
    /// By token: its latest posting (its place in [`Tokens::postings`]).
    latest: Vec<u32>,
}

/// A guide's tokens and postings while its [`Part`] is made.
#[derive(Default)]
struct Tokens {
    /// Its distinct tokens, with their [`tokenizer::hash`], in the order first seen.
    tokens: Vec<(Key, u32)>,
    /// Its postings, in document order.
    postings: Vec<Posting>,
    /// The words among its tokens.
    words: FxHashMap<Key, String>,
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
    use html5gum::Tokenizer;
    use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
    // events with strings borrowed from the tokenizer: no allocation per tag or text chunk
    let (mut skip, mut script) = (false, false);
    let emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, _: html5gum::Span<()>| {
        match event {
            // text chunks join as they are ("“<strong>登录</strong>”" is one run of text)
            CallbackEvent::String { value } if !skip => {
                for c in String::from_utf8_lossy(value).chars() {
                    if c.is_whitespace() {
                        space(out);
                    } else {
                        out.push(c);
                    }
                }
            }
            CallbackEvent::OpenStartTag { name } => {
                script = matches!(name, b"script" | b"style");
                // block-level boundaries separate words ("第一步</p><p>第二步")
                if !INLINE.contains(&name) {
                    space(out);
                }
            }
            CallbackEvent::CloseStartTag { self_closing } => skip = script && !self_closing,
            CallbackEvent::EndTag { name } => {
                skip = false;
                if !INLINE.contains(&name) {
                    space(out);
                }
            }
            _ => {}
        }
        None::<()>
    });
    Tokenizer::new_with_emitter(html, emitter).for_each(drop);
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

impl Tokens {
    /// Adds document number `doc` (`fields`' tokens) to the postings.
    fn add(&mut self, scratch: &mut Scratch, doc: u32, f: &Fields) {
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
    }

    /// The runs of the tokens into `part`, in [`Run::order`]: each token's postings grouped
    /// (a counting sort, which keeps them in document order), the first apart, the rest
    /// encoded.
    fn drain_runs(&mut self, part: &mut Part) {
        let mut starts = vec![0u32; self.tokens.len() + 1];
        for p in &self.postings {
            starts[p.token as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut at = starts.clone();
        let mut docs = vec![0u32; self.postings.len()];
        for p in &self.postings {
            let slot = &mut at[p.token as usize];
            docs[*slot as usize] = p.doc;
            *slot += 1;
        }
        let words: FxHashMap<Key, &str> =
            self.words.iter().map(|(k, w)| (*k, w.as_str())).collect();
        let mut spelled = String::new();
        let mut rest = String::new();
        part.runs.reserve_exact(self.tokens.len());
        // (order, token) in one number: a plain sort of integers
        let mut tokens: Vec<u64> = (self.tokens.iter().enumerate())
            .map(|(i, t)| ((Run::order(t.1) as u64) << 32) | i as u64)
            .collect();
        tokens.sort_unstable();
        for i in tokens {
            let i = (i & 0xFFFF_FFFF) as usize;
            let (k, hash) = self.tokens[i];
            let run = &docs[starts[i] as usize..starts[i + 1] as usize];
            let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
                continue;
            };
            spelled.clear();
            spell(k, &words, &mut spelled);
            rest.clear();
            let mut prev = first >> 3;
            for &d in &run[1..] {
                encode((((d >> 3) - prev) << 3) | (d & 7), &mut rest);
                prev = d >> 3;
            }
            let token = part.push(&spelled);
            let rest = part.push(&rest);
            part.runs.push(Run {
                hash,
                first,
                last: last >> 3,
                token,
                rest,
            });
        }
        part.postings = self.postings.len() as u32;
        self.tokens.clear();
        self.postings.clear();
        self.words.clear();
    }
}

/// The JSON of one document as a result shows it: `step, anchor, title, snippet]` (after its
/// guide and channel, which the document shard puts before it).
fn doc_json(step: usize, anchor: &str, f: &Fields) -> String {
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
    format!(
        "{step},{},{},{}]",
        json(anchor),
        json(&f.title),
        json(&text)
    )
}

/// What making a part needs besides the guide, reused from one guide to the next.
#[derive(Default)]
struct Work {
    tokens: Tokens,
    scratch: Scratch,
}

/// Makes the part of guide `g` from its text.
pub fn guide_part(g: &Guide) -> Part {
    make_part(g, &mut Work::default())
}

fn make_part(g: &Guide, work: &mut Work) -> Part {
    let Work { tokens, scratch } = work;
    scratch.ids.clear();
    scratch.latest.clear();
    let mut part = Part::default();
    part.guide = part.push(&format!(
        "[{},{}]",
        json(&g.meta.title),
        json(&format!("{}/index.html", g.id.0))
    ));
    let mut add = |part: &mut Part, channel: i32, step: usize, anchor: &str, f: &Fields| {
        tokens.add(scratch, part.docs.len() as u32, f);
        let rest = part.push(&doc_json(step, anchor, f));
        part.docs.push((channel, rest));
    };
    let mut f = Fields::default();
    push_text(&mut f.title, &g.meta.title);
    push_text(&mut f.body, g.meta.summary.as_deref().unwrap_or_default());
    blocks_text(&g.intro, &mut f);
    add(&mut part, -1, 0, "", &f);
    for c in g.channels.iter().filter(|c| !c.draft && c.search) {
        let ci = part.channels.len() as i32;
        let url = format!("{}/{}/index.html", g.id.0, c.id.0);
        let span = part.push(&format!("[{},{}]", json(&c.name), json(&url)));
        part.channels.push(span);
        let mut f = Fields::default();
        push_text(&mut f.title, &c.name);
        if c.title != c.name {
            push_text(&mut f.title, &c.title);
        }
        push_text(&mut f.body, c.note.as_deref().unwrap_or_default());
        blocks_text(&c.intro, &mut f);
        add(&mut part, ci, 0, "", &f);
        for s in &c.steps {
            let mut f = Fields::default();
            push_text(&mut f.title, &s.title_text);
            blocks_text(&s.body, &mut f);
            add(&mut part, ci, s.number, &format!("#{}", s.anchor), &f);
        }
    }
    tokens.drain_runs(&mut part);
    part.text.shrink_to_fit();
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
#[cfg(test)]
fn encode_postings(docs: impl Iterator<Item = u32>, out: &mut String) {
    let mut prev: i64 = -1;
    for d in docs {
        let (doc, fields) = ((d >> 3) as i64, d & 7);
        encode((((doc - prev) as u32) << 3) | fields, out);
        prev = doc;
    }
}

/// What the index of a site is made of, cheaper to know than the index: each searchable
/// guide's *key* (a hash of everything its [`Part`] is made of: a part made from the same key
/// is the same part) and the index's [`Plan::version`] (a hash of the keys, in site order). The
/// preview makes the index again only when the version changes; a [`Store`] keeps parts by key.
#[derive(Debug, Clone)]
pub struct Plan {
    pub version: String,
    /// The searchable guides (their place in the site) with their keys.
    guides: Vec<(usize, String)>,
}

impl Plan {
    /// A plan of these keys (for tests of stores).
    #[cfg(test)]
    pub(crate) fn of_keys(keys: &[&str]) -> Plan {
        Plan {
            version: String::new(),
            guides: keys
                .iter()
                .enumerate()
                .map(|(i, k)| (i, k.to_string()))
                .collect(),
        }
    }

    /// The keys of the parts of the index, in site order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.guides.iter().map(|(_, k)| k.as_str())
    }
}

/// The key of guide `g`'s part (see [`Plan`]).
fn guide_key(g: &Guide) -> String {
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
    h.finalize().to_hex()[..32].to_string()
}

/// The [`Plan`] of `site`'s index.
pub fn plan(site: &Site) -> Plan {
    let guides: Vec<(usize, String)> = site
        .guides
        .par_iter()
        .enumerate()
        .filter(|(_, g)| !g.meta.draft && g.meta.search)
        .map(|(i, g)| (i, guide_key(g)))
        .collect();
    let mut h = blake3::Hasher::new();
    h.update(FORMAT.as_bytes());
    for (_, k) in &guides {
        h.update(k.as_bytes());
    }
    Plan {
        version: h.finalize().to_hex()[..10].to_string(),
        guides,
    }
}

/// The version of the index of `site` ([`Plan::version`]).
pub fn version(site: &Site) -> String {
    plan(site).version
}

/// Where parts made earlier are kept, by key: the build's cache on disk
/// ([`super::cache::Parts`]), the preview's memory, or nowhere ([`NoStore`]).
pub trait Store: Sync {
    fn get(&self, key: &str) -> Option<Arc<Part>>;
    /// Keeps `part`, just made for `key`.
    fn put(&self, key: &str, part: &Arc<Part>);
}

/// A [`Store`] that keeps nothing: every part is made.
pub struct NoStore;

impl Store for NoStore {
    fn get(&self, _: &str) -> Option<Arc<Part>> {
        None
    }
    fn put(&self, _: &str, _: &Arc<Part>) {}
}

/// A [`Store`] in memory (the preview's), holding the parts of the last index it built.
#[derive(Default)]
pub struct Memory(std::sync::Mutex<FxHashMap<String, Arc<Part>>>);

impl Store for Memory {
    fn get(&self, key: &str) -> Option<Arc<Part>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }
    fn put(&self, key: &str, part: &Arc<Part>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.to_string(), part.clone());
    }
}

impl Memory {
    /// [`build_with`] this store, which then holds the parts of this index only.
    pub fn build(&self, site: &Site, plan: &Plan) -> Index {
        let index = build_with(site, plan, self);
        let keys: std::collections::HashSet<&str> = plan.keys().collect();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|k, _| keys.contains(k.as_str()));
        index
    }
}

/// The parts of `site`'s index as `plan` lists them: from `store` where it has them, made (in
/// parallel) and given to it where not.
pub fn parts(site: &Site, plan: &Plan, store: &dyn Store) -> Vec<Arc<Part>> {
    plan.guides
        .par_iter()
        .map_init(Work::default, |work, (gi, key)| {
            store.get(key).unwrap_or_else(|| {
                let part = Arc::new(make_part(&site.guides[*gi], work));
                store.put(key, &part);
                part
            })
        })
        .collect()
}

/// The JSON of the document shard of `docs` (parts and documents within them): its guides
/// (`g`: title, URL), channels (`c`: name, URL) and documents (`d`: guide, channel or -1, step
/// or 0, anchor, title, snippet), each by its place in the shard.
fn doc_shard(parts: &[Arc<Part>], docs: &[(u32, u32)]) -> String {
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
            g.push_str(part.str(part.guide));
            for c in &part.channels {
                if !ch.is_empty() {
                    ch.push(',');
                }
                ch.push_str(part.str(*c));
                channels += 1;
            }
        }
        let (channel, rest) = part.docs[i as usize];
        let c = if channel < 0 { -1 } else { channel as i64 + c0 };
        if !d.is_empty() {
            d.push(',');
        }
        let _ = write!(d, "[{gi},{c},{}", part.str(rest));
    }
    format!("{{\"g\":[{g}],\"c\":[{ch}],\"d\":[{d}]}}")
}

/// Builds the index of `site` (see the module doc) as `plan` lists it, with the parts `store`
/// keeps. Pure but for the store: the caller writes the files.
pub fn build_with(site: &Site, plan: &Plan, store: &dyn Store) -> Index {
    assemble(&parts(site, plan, store), &plan.version)
}

/// [`build_with`] no store: every part made.
pub fn build(site: &Site, plan: &Plan) -> Index {
    build_with(site, plan, &NoStore)
}

/// The index's files from the parts of its guides, in site order: every token's runs merged
/// into its shard in site order, the documents numbered after the documents of the guides
/// before them. No posting is decoded: a run's first posting is encoded against the token's
/// last document so far, and the rest of it copied.
pub fn assemble(parts: &[Arc<Part>], version: &str) -> Index {
    let postings: usize = parts.iter().map(|p| p.postings as usize).sum();
    let doc_bytes: usize = parts
        .iter()
        .flat_map(|p| p.docs.iter().map(|d| d.1.len as usize))
        .sum();
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
    let mut offsets = Vec::with_capacity(parts.len());
    let mut all_docs: Vec<(u32, u32)> = Vec::new();
    for (pi, p) in parts.iter().enumerate() {
        offsets.push(all_docs.len() as i64);
        all_docs.extend((0..p.docs.len() as u32).map(|i| (pi as u32, i)));
    }
    let documents = all_docs.len();

    // token shards, each merged from every guide's part in site order. A task takes the
    // shards `group % GROUPS`: one stretch of every part's runs (see `Run::order`), read once
    // and in order.
    let groups = shards.min(16);
    let token_groups: Vec<Vec<(usize, String)>> = (0..groups)
        .into_par_iter()
        .map(|group| {
            let group_mask = groups as u32 - 1;
            let (lo, hi) = (
                Run::order(group as u32),
                Run::order(group as u32).saturating_add(Run::order(group_mask).wrapping_neg()),
            );
            // the group's tokens: their shard, postings so far and last document
            let mut at: FxHashMap<&str, usize> = FxHashMap::default();
            let mut merged: Vec<(u32, &str, String, i64)> = Vec::new();
            for (p, &off) in parts.iter().zip(&offsets) {
                let from = p.runs.partition_point(|r| Run::order(r.hash) < lo);
                let to = if group as u32 == group_mask {
                    p.runs.len()
                } else {
                    p.runs.partition_point(|r| Run::order(r.hash) < hi)
                };
                for r in &p.runs[from..to.max(from)] {
                    let token = p.str(r.token);
                    let i = *at.entry(token).or_insert_with(|| {
                        merged.push((r.hash & mask, token, String::new(), -1));
                        merged.len() - 1
                    });
                    let (_, _, out, prev) = &mut merged[i];
                    let doc = (r.first >> 3) as i64 + off;
                    encode((((doc - *prev) as u32) << 3) | (r.first & 7), out);
                    out.push_str(p.str(r.rest));
                    *prev = r.last as i64 + off;
                }
            }
            merged.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let mut files = Vec::new();
            for run in merged.chunk_by(|a, b| a.0 == b.0) {
                let shard = run[0].0;
                let len: usize = run.iter().map(|m| m.1.len() + m.2.len() + 6).sum();
                let mut s = String::with_capacity(len + 64);
                if !inline {
                    let _ = write!(s, "window.__gpSearch.shard({shard},");
                }
                s.push('{');
                for (i, (_, token, postings, _)) in run.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&json(token));
                    s.push_str(":\"");
                    s.push_str(postings);
                    s.push('"');
                }
                s.push('}');
                if !inline {
                    s.push_str(");\n");
                }
                files.push((shard as usize, s));
            }
            files
        })
        .collect();
    // every shard, an empty one where no token fell
    let mut token_shards: Vec<String> = (0..shards)
        .map(|shard| match inline {
            true => "{}".to_string(),
            false => format!("window.__gpSearch.shard({shard},{{}});\n"),
        })
        .collect();
    for (shard, s) in token_groups.into_iter().flatten() {
        token_shards[shard] = s;
    }

    // document shards: SHARD_DOCS documents each, in site order
    let doc_shards: Vec<String> = all_docs
        .par_chunks(SHARD_DOCS)
        .enumerate()
        .map(|(i, docs)| {
            let s = doc_shard(parts, docs);
            match inline {
                true => s,
                false => format!("window.__gpSearch.docs({i},{s});\n"),
            }
        })
        .collect();
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

    /// The model of a site of `files` (paths under `content/`), with its folder.
    fn site_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Site) {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("site.toml"), "title = \"站\"\n").unwrap();
        for (path, text) in files {
            let p = t.path().join("content").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut diags = Vec::new();
        let opts = crate::pipeline::Options::read_only(t.path(), &crate::progress::Quiet);
        let content = crate::pipeline::content(&opts, &mut diags).expect("a site");
        assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
        (t, content.loaded.site)
    }

    fn channel(title: &str, steps: &[&str]) -> String {
        let mut md = format!("+++\ntitle = \"{title}\"\n+++\n");
        for (i, s) in steps.iter().enumerate() {
            md.push_str(&format!("\n## 第{i}步 Step{i}\n\n{s}\n"));
        }
        md
    }

    fn three_guides(edited: &str) -> Vec<(String, String)> {
        let mut files = Vec::new();
        for g in ["a", "b", "c"] {
            files.push((
                format!("{g}/_index.md"),
                format!("+++\ntitle = \"指南{g}\"\n+++\n"),
            ));
            let step = if g == "b" {
                edited
            } else {
                "登录学信网，点击“图像采集码”。"
            };
            files.push((
                format!("{g}/web.md"),
                channel("网页", &[step, "保存 VPN 截图"]),
            ));
            files.push((
                format!("{g}/app.md"),
                channel("App", &["打开 App，选择学籍"]),
            ));
        }
        files
    }

    fn site_with(files: &[(String, String)]) -> (tempfile::TempDir, Site) {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        site_of(&files)
    }

    /// A [`Memory`] store that counts the parts it is given.
    #[derive(Default)]
    struct Counting(Memory, std::sync::atomic::AtomicUsize);

    impl Store for Counting {
        fn get(&self, key: &str) -> Option<Arc<Part>> {
            self.0.get(key)
        }
        fn put(&self, key: &str, part: &Arc<Part>) {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0.put(key, part)
        }
    }

    #[test]
    fn parts_read_back_as_they_were_written() {
        let (_t, site) = site_with(&three_guides("登录后点击“学籍学历信息”"));
        for g in &site.guides {
            let part = guide_part(g);
            assert!(!part.runs.is_empty() && part.docs.len() == 6);
            let bytes = part.to_bytes();
            let back = Part::from_bytes(&bytes).expect("reads back");
            assert_eq!(back.to_bytes(), bytes);
            // an index of parts read back is the index of parts made
            let (made, read) = (Arc::new(part), Arc::new(back));
            let files = |p: &Arc<Part>| assemble(std::slice::from_ref(p), "v").files;
            assert_eq!(files(&made), files(&read));
        }
    }

    #[test]
    fn a_damaged_part_is_refused_never_a_panic() {
        let (_t, site) = site_with(&three_guides("登录"));
        let bytes = guide_part(&site.guides[0]).to_bytes();
        for n in 0..bytes.len() {
            assert!(Part::from_bytes(&bytes[..n]).is_none(), "cut at {n}");
        }
        // every byte changed in turn: refused, or read as some part (its numbers still point
        // into its text), and assembled without a panic
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x5A;
            if let Some(p) = Part::from_bytes(&b) {
                assemble(&[Arc::new(p)], "v");
            }
        }
    }

    #[test]
    fn a_build_after_an_edit_makes_the_edited_guides_part_alone() {
        let store = Counting::default();
        let (_t, site) = site_with(&three_guides("登录"));
        let plan = plan(&site);
        let first = build_with(&site, &plan, &store);
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 3);
        assert_eq!(first.files, build(&site, &plan).files);

        let (_t2, edited) = site_with(&three_guides("登录后选择“在线验证报告”"));
        let plan2 = super::plan(&edited);
        assert_ne!(plan.version, plan2.version);
        let keys: Vec<_> = plan.keys().zip(plan2.keys()).map(|(a, b)| a == b).collect();
        assert_eq!(keys, [true, false, true], "only guide b's key changed");
        let second = build_with(&edited, &plan2, &store);
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 4);
        assert_eq!(second.files, build(&edited, &plan2).files);
        assert_ne!(second.files, first.files);
    }

    /// A part's bytes change only with [`FORMAT`]: a store keeps parts by a key that holds the
    /// format, so a change to what a part holds that keeps the format would hand back parts of
    /// the old kind. If this fails after such a change, change `FORMAT` and this hash.
    #[test]
    fn a_part_is_what_its_format_says() {
        let (_t, site) = site_with(&three_guides("登录"));
        let bytes = guide_part(&site.guides[0]).to_bytes();
        let hash = blake3::hash(&bytes).to_hex()[..16].to_string();
        assert_eq!((FORMAT, hash.as_str()), ("4", "10d75f743165896b"));
    }

    #[test]
    fn kept_text_is_cut_by_characters() {
        let long = "字".repeat(TEXT_CHARS + 5);
        assert_eq!(kept(&long).chars().count(), TEXT_CHARS);
        assert_eq!(kept("短"), "短");
    }
}
