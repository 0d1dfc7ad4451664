//! The search index: the site's text as [`tokenizer`] tokens, in classic scripts under
//! `search/` that the browser loads with `<script>` elements (so it works from `file://` and in
//! WeChat's browser, where `fetch` of a local file, ES modules or WebAssembly do not).
//!
//! A *document* is what one result points at: a step (its title, its text, its screenshots'
//! captions), a channel (name, title, note, intro) or a guide (title, summary, intro). Documents
//! are numbered in site order. The index is made of:
//!
//! - the *manifest* `search/index.js`, which calls `window.__gpSearch.index({...})` with the
//!   number of token shards, a version of each shard file, and where each document shard starts;
//! - *token shards* `search/t-N.js` (`__gpSearch.shard(N, {token: postings})`): a token lives in
//!   shard `hash(token) % shards`, so a query loads only the shards of its own tokens. The
//!   *postings* of a token say which documents hold it and in which fields (title, text,
//!   caption), as a string of base-32 digits (see [`encode`]);
//! - *document shards* `search/d-N.js` (`__gpSearch.docs(N, {...})`): guides, channels and
//!   documents with their URLs and text, loaded only for the results shown.
//!
//! A small site (the sample) gets all of it inline in the manifest: one small file. File names
//! stay the same from build to build; the pages load them with `?v=` and a hash of their bytes,
//! as the theme's static files, so a browser never mixes an old shard with a new manifest.
//! Drafts, and guides or channels with `search = false`, are left out.

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

/// Postings per token shard aimed at (about 16 KB a shard).
const SHARD_POSTINGS: usize = 7_000;
/// Bytes of documents per document shard aimed at.
const DOC_SHARD_BYTES: usize = 12 * 1024;
/// Below these, everything goes into the manifest.
const INLINE_POSTINGS: usize = 8_000;
const INLINE_DOC_BYTES: usize = 24 * 1024;

/// The files of the index, and its version (a hash of the manifest, for `?v=`).
#[derive(Debug, Default)]
pub struct Index {
    pub version: String,
    /// Path in the output (`search/…`) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    pub documents: usize,
    pub token_shards: usize,
    pub doc_shards: usize,
}

/// One guide's part of the index, made in parallel with the others.
struct Part {
    /// The guide's documents: the channel (its place in `channels`, -1 for the guide itself)
    /// and the rest serialised (`step, url, title, text]`).
    docs: Vec<(i64, String)>,
    /// The guide's `[title, url]` and its channels' `[name, url]`, as JSON.
    guide: String,
    channels: Vec<String>,
    /// Token → postings (document number within the part, fields), sorted by shard once the
    /// shard count is known.
    postings: Vec<(u32, String, Vec<(u32, u8)>)>,
    count: usize,
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

impl Part {
    fn add(
        &mut self,
        map: &mut FxHashMap<String, Vec<(u32, u8)>>,
        channel: i64,
        step: usize,
        url: &str,
        f: &Fields,
    ) {
        let doc = self.docs.len() as u32;
        for (text, field) in [(&f.title, TITLE), (&f.body, BODY), (&f.caption, CAPTION)] {
            tokenizer::tokens(text, |t, _| {
                let list = map.entry_ref_or_default(t);
                match list.last_mut() {
                    Some((d, m)) if *d == doc => *m |= field,
                    _ => {
                        list.push((doc, field));
                        self.count += 1;
                    }
                }
            });
        }
        let mut text = f.body.clone();
        if !f.caption.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&f.caption);
        }
        self.docs.push((
            channel,
            format!("{step},{},{},{}]", json(url), json(&f.title), json(&text)),
        ));
    }
}

trait EntryRef {
    fn entry_ref_or_default(&mut self, k: &str) -> &mut Vec<(u32, u8)>;
}

impl EntryRef for FxHashMap<String, Vec<(u32, u8)>> {
    fn entry_ref_or_default(&mut self, k: &str) -> &mut Vec<(u32, u8)> {
        // a lookup first: most tokens are already there, and a `String` is made only for new ones
        if !self.contains_key(k) {
            self.insert(k.to_string(), Vec::new());
        }
        self.get_mut(k).expect("inserted above")
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
        postings: Vec::new(),
        count: 0,
    };
    let mut map: FxHashMap<String, Vec<(u32, u8)>> = FxHashMap::default();
    let mut f = Fields::default();
    push_text(&mut f.title, &g.meta.title);
    push_text(&mut f.body, g.meta.summary.as_deref().unwrap_or_default());
    blocks_text(&g.intro, &mut f);
    part.add(&mut map, -1, 0, &format!("{}/index.html", g.id.0), &f);
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
        part.add(&mut map, ci, 0, &url, &f);
        for s in &c.steps {
            let mut f = Fields::default();
            push_text(&mut f.title, &s.title_text);
            blocks_text(&s.body, &mut f);
            part.add(&mut map, ci, s.number, &format!("{url}#{}", s.anchor), &f);
        }
    }
    part.postings = map
        .into_iter()
        .map(|(t, p)| (tokenizer::hash(&t), t, p))
        .collect();
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
/// document (the first from -1).
fn encode_postings(list: &[(u32, u8)]) -> String {
    let mut s = String::with_capacity(list.len() * 2);
    let mut prev: i64 = -1;
    for &(d, m) in list {
        let gap = (d as i64 - prev) as u32;
        encode((gap << 3) | m as u32, &mut s);
        prev = d as i64;
    }
    s
}

fn short_hash(b: &[u8]) -> String {
    blake3::hash(b).to_hex()[..10].to_string()
}

/// The JSON of a document shard: its guides (`g`: title, URL), their channels (`c`: name, URL)
/// and documents (`d`: guide, channel or -1, step or 0, URL, title, text), each by its place in
/// the shard.
fn doc_shard(parts: &[Part]) -> String {
    let (mut g, mut ch, mut d) = (Vec::new(), Vec::new(), Vec::new());
    for p in parts {
        let gi = g.len();
        let c0 = ch.len() as i64;
        g.push(p.guide.as_str());
        ch.extend(p.channels.iter().map(String::as_str));
        for (c, rest) in &p.docs {
            let c = if *c < 0 { -1 } else { c + c0 };
            d.push(format!("[{gi},{c},{rest}"));
        }
    }
    format!(
        "{{\"g\":[{}],\"c\":[{}],\"d\":[{}]}}",
        g.join(","),
        ch.join(","),
        d.join(",")
    )
}

/// Builds the index of `site` (see the module doc). Pure: the caller writes the files.
pub fn build(site: &Site) -> Index {
    let mut parts: Vec<Part> = site
        .guides
        .par_iter()
        .filter(|g| !g.meta.draft && g.meta.search)
        .map(guide_part)
        .collect();
    let postings: usize = parts.iter().map(|p| p.count).sum();
    let doc_bytes: usize = parts
        .iter()
        .map(|p| p.docs.iter().map(|d| d.1.len()).sum::<usize>())
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
    // each part sorted by shard, with where each shard starts in it (a binary search per part
    // and shard cost more than all the rest of the index at 1,000 guides)
    let starts: Vec<Vec<u32>> = parts
        .par_iter_mut()
        .map(|p| {
            p.postings.sort_unstable_by_key(|e| e.0 & mask);
            let mut starts = vec![0u32; shards + 1];
            for e in &p.postings {
                starts[(e.0 & mask) as usize + 1] += 1;
            }
            for i in 1..starts.len() {
                starts[i] += starts[i - 1];
            }
            starts
        })
        .collect();
    let mut offsets = Vec::with_capacity(parts.len());
    let mut documents = 0u32;
    for p in &parts {
        offsets.push(documents);
        documents += p.docs.len() as u32;
    }

    // token shards, each merged from every guide's part in site order
    let token_shards: Vec<String> = (0..shards as u32)
        .into_par_iter()
        .map(|shard| {
            let mut merged: FxHashMap<&str, Vec<(u32, u8)>> = FxHashMap::default();
            for ((p, &off), starts) in parts.iter().zip(&offsets).zip(&starts) {
                let (from, to) = (starts[shard as usize], starts[shard as usize + 1]);
                for (_, t, list) in &p.postings[from as usize..to as usize] {
                    merged
                        .entry(t.as_str())
                        .or_default()
                        .extend(list.iter().map(|&(d, m)| (d + off, m)));
                }
            }
            let mut keys: Vec<&str> = merged.keys().copied().collect();
            keys.sort_unstable();
            let mut s = String::from("{");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{}:\"{}\"", json(k), encode_postings(&merged[k]));
            }
            s.push('}');
            s
        })
        .collect();

    // document shards: whole guides, about DOC_SHARD_BYTES each, serialised in parallel
    let mut groups: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    let mut bytes = 0;
    for (i, (p, &off)) in parts.iter().zip(&offsets).enumerate() {
        match groups.last_mut() {
            Some((_, r)) if bytes < DOC_SHARD_BYTES || inline => r.end = i + 1,
            _ => {
                groups.push((off, i..i + 1));
                bytes = 0;
            }
        }
        bytes += p.docs.iter().map(|d| d.1.len()).sum::<usize>();
    }
    let doc_shards: Vec<(u32, String)> = groups
        .par_iter()
        .map(|(first, range)| (*first, doc_shard(&parts[range.clone()])))
        .collect();

    let mut files = Vec::new();
    let mut manifest =
        format!("window.__gpSearch.index({{\"docs\":{documents},\"shards\":{shards}");
    if inline {
        let _ = write!(
            manifest,
            ",\"ts\":[{}],\"ds\":[{}]",
            token_shards.join(","),
            doc_shards
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let firsts: Vec<String> = doc_shards
            .iter()
            .map(|(f, _)| format!("[{f},\"\"]"))
            .collect();
        let _ = write!(manifest, ",\"t\":[],\"d\":[{}]", firsts.join(","));
    } else {
        let mut t = Vec::with_capacity(shards);
        for (i, s) in token_shards.into_iter().enumerate() {
            let bytes = format!("window.__gpSearch.shard({i},{s});\n").into_bytes();
            t.push(json(&short_hash(&bytes)));
            files.push((format!("{DIR}/t-{i}.js"), bytes));
        }
        let mut d = Vec::with_capacity(doc_shards.len());
        for (i, (first, s)) in doc_shards.iter().enumerate() {
            let bytes = format!("window.__gpSearch.docs({i},{s});\n").into_bytes();
            d.push(format!("[{first},{}]", json(&short_hash(&bytes))));
            files.push((format!("{DIR}/d-{i}.js"), bytes));
        }
        let _ = write!(manifest, ",\"t\":[{}],\"d\":[{}]", t.join(","), d.join(","));
    }
    manifest.push_str("});\n");
    let version = short_hash(manifest.as_bytes());
    files.push((format!("{DIR}/index.js"), manifest.into_bytes()));
    Index {
        version,
        files,
        documents: documents as usize,
        token_shards: if inline { 0 } else { shards },
        doc_shards: if inline { 0 } else { doc_shards.len() },
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
        assert_eq!(encode_postings(&[(0, TITLE)]), "c");
        let s = encode_postings(&[(0, TITLE), (40, BODY)]);
        assert_eq!(s.len(), 3);
        let mut one = String::new();
        encode(31, &mut one);
        assert_eq!(one, "v");
        one.clear();
        encode(32, &mut one);
        assert_eq!(one, "A1");
    }
}
