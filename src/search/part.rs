//! A guide's *part* of the search index: its documents as results show them, and for each of
//! its tokens the *run* of its postings in the guide's documents (numbered from 0 within the
//! guide), already encoded as the shards spell them. Parts are made in parallel, one per guide
//! ([`guide_part`]), and kept by their guide's key in a [`super::index::Store`] (on disk, the
//! build's `.guidepost-cache/search/parts.bin`; in memory, the preview's), so that a build after
//! an edit tokenizes only the guides whose text changed; [`super::index::assemble`] merges them.
//!
//! A part is two byte strings: its *text* (every string it holds, one after the other: the
//! guide's and channels' JSON, each document's JSON, each run's token and encoded postings) and
//! its *numbers* (LEB128, see [`Part::numbers`]): where those strings are, the documents'
//! channels, and each run's hash, first posting and last document. The runs are in the order of
//! `order` of their hashes, with where each sixteenth of that order starts, so that
//! `Part::runs` reads the runs of any group of shards as one stretch, decoding as it goes:
//! a part read from disk is checked once ([`Part::read`]) and never copied into other
//! structures.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::index::{BODY, CAPTION, TEXT_CHARS, TITLE};
use super::tokenizer;
use crate::content::model::{Block, Guide, walk};

/// Where a string of a part is: a byte range of its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Span {
    at: u32,
    len: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.at as usize..self.at as usize + self.len as usize
    }
}

/// The order of a part's runs: by their hashes' bits from the lowest up, so that the runs of
/// any shard, and of any group of `2^k` shards by `hash % 2^k`, are one stretch of them
/// whatever the number of shards.
pub(super) fn order(hash: u32) -> u32 {
    hash.reverse_bits()
}

/// Sixteenths of the order of runs: a part records where each starts.
pub(super) const SIXTEENTHS: usize = 16;

/// A token's postings in the documents of one part, as [`Part::runs`] reads them: its first
/// posting (`(document << 3) | fields`, the document numbered within the part), the document
/// of its last, and the postings after the first already encoded ([`encode`]: gaps, which do not
/// change when the part's documents are numbered after other guides'), so that the assembly
/// copies them without decoding.
#[derive(Clone, Copy, Debug)]
pub(super) struct Run<'a> {
    /// [`tokenizer::hash`] of the token: its shard.
    pub hash: u32,
    pub first: u32,
    pub last: u32,
    pub token: &'a str,
    pub rest: &'a str,
}

/// One guide's part of the index (see the module doc).
#[derive(Debug, Default)]
pub struct Part {
    text: String,
    numbers: Vec<u8>,
    /// Postings in the runs (the shard count is chosen from the site's sum).
    pub(super) postings: u32,
    /// The guide's `[title, url]` and its channels' `[name, url]`, as JSON.
    guide: Span,
    channels: Vec<Span>,
    /// The documents: the channel (its place in `channels`, or -1 for the guide itself) and the
    /// rest serialised, `step, anchor, title, snippet]`.
    docs: Vec<(i32, Span)>,
    /// Where the runs of each sixteenth of the order start: a place in `numbers` and one in
    /// `text` (the last entry: where they end).
    sixteenths: [(u32, u32); SIXTEENTHS + 1],
}

/// Reads LEB128 numbers; a damaged byte string gives `None`.
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

    fn span(&mut self) -> Option<Span> {
        Some(Span {
            at: self.u32()?,
            len: self.u32()?,
        })
    }

    /// A count of items of at least `size` bytes each, no more than the bytes left hold.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }
}

fn put(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Part {
    /// The string of `s` (spans are checked when a part is read or made).
    pub(super) fn str(&self, s: Span) -> &str {
        self.text.get(s.range()).unwrap_or_default()
    }

    pub(super) fn guide(&self) -> &str {
        self.str(self.guide)
    }

    pub(super) fn channels(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| self.str(*c))
    }

    /// The documents: channel (or -1) and JSON.
    pub(super) fn docs(&self) -> impl ExactSizeIterator<Item = (i32, &str)> {
        self.docs.iter().map(|(c, s)| (*c, self.str(*s)))
    }

    pub(super) fn doc_count(&self) -> usize {
        self.docs.len()
    }

    /// Bytes of the documents' JSON (to choose whether the index is one file).
    pub(super) fn doc_bytes(&self) -> usize {
        self.docs.iter().map(|d| d.1.len as usize).sum()
    }

    /// The part's text, as [`Part::read`] takes it back.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The part's numbers, as [`Part::read`] takes them back: the postings, the guide's span,
    /// the channels' spans, the documents (channel + 1, span), the runs' count, where each
    /// sixteenth of them starts (in the numbers that follow, and in the text), then each run:
    /// its hash (four bytes, little-endian), first posting, last document, and the lengths of
    /// its token and encoded postings, which follow each other in the text.
    pub fn numbers(&self) -> &[u8] {
        &self.numbers
    }

    /// The runs of the sixteenths `from..to` of the order, in that order.
    pub(super) fn runs(&self, from: usize, to: usize) -> impl Iterator<Item = Run<'_>> {
        let (start, text) = self.sixteenths[from.min(SIXTEENTHS)];
        let end = self.sixteenths[to.min(SIXTEENTHS)].0;
        let mut r = Reader(
            self.numbers
                .get(start as usize..end as usize)
                .unwrap_or_default(),
        );
        let mut at = text as usize;
        std::iter::from_fn(move || {
            if r.0.is_empty() {
                return None;
            }
            let (hash, first, last) = (r.fixed()?, r.u32()?, r.u32()?);
            let (t, n) = (r.u32()? as usize, r.u32()? as usize);
            let token = self.text.get(at..at + t)?;
            let rest = self.text.get(at + t..at + t + n)?;
            at += t + n;
            Some(Run {
                hash,
                first,
                last,
                token,
                rest,
            })
        })
    }

    /// A part from its text and numbers ([`Part::text`], [`Part::numbers`]), every number
    /// checked; `None` for anything that is not a part (a damaged cache file).
    pub fn read(text: Vec<u8>, numbers: Vec<u8>) -> Option<Part> {
        let text = String::from_utf8(text).ok()?;
        let mut r = Reader(&numbers);
        let in_text = |s: Span| {
            let end = (s.at as usize).checked_add(s.len as usize)?;
            text.get(s.at as usize..end).map(|_| s)
        };
        let postings = r.u32()?;
        let guide = in_text(r.span()?)?;
        let n = r.count(2)?;
        let channels = (0..n)
            .map(|_| in_text(r.span()?))
            .collect::<Option<Vec<_>>>()?;
        let n = r.count(3)?;
        let docs = (0..n)
            .map(|_| {
                let c = (r.u32()? as i32).checked_sub(1)?;
                let s = in_text(r.span()?)?;
                (c >= -1 && (c as i64) < channels.len() as i64).then_some((c, s))
            })
            .collect::<Option<Vec<_>>>()?;
        let runs = r.count(8)?;
        let mut sixteenths = [(0u32, 0u32); SIXTEENTHS + 1];
        for s in &mut sixteenths {
            *s = (r.u32()?, r.u32()?);
        }
        // every run decoded once: in its sixteenth, in order, in the text, its token and postings
        // one after the other; the stretches one after the other, up to the end
        let runs_start = (numbers.len() - r.0.len()) as u32;
        if sixteenths[0].0 != runs_start || sixteenths[SIXTEENTHS].0 as usize != numbers.len() {
            return None;
        }
        let mut count = 0;
        let mut last_order = 0;
        for (k, w) in sixteenths.windows(2).enumerate() {
            let ((from, mut at), (to, end)) = (w[0], w[1]);
            let mut rr = Reader(numbers.get(from as usize..to as usize)?);
            while !rr.0.is_empty() {
                let (hash, first, last) = (rr.fixed()?, rr.u32()?, rr.u32()?);
                let (t, n) = (rr.u32()?, rr.u32()?);
                let o = order(hash);
                let fits = (o >> 28) as usize == k
                    && o >= last_order
                    && first & 7 != 0
                    && first >> 3 <= last
                    && (last as usize) < docs.len();
                in_text(Span { at, len: t })?;
                let rest = in_text(Span {
                    at: at.checked_add(t)?,
                    len: n,
                })?;
                if !fits {
                    return None;
                }
                at = rest.at + n;
                last_order = o;
                count += 1;
            }
            if at != end {
                return None;
            }
        }
        (count == runs).then_some(Part {
            text,
            numbers,
            postings,
            guide,
            channels,
            docs,
            sixteenths,
        })
    }
}

impl Part {
    /// A part of no guide (for tests of stores).
    #[cfg(test)]
    pub(crate) fn empty() -> Part {
        Draft::default().finish()
    }
}

/// A part while it is made: its strings in one text, its runs with their spans.
#[derive(Default)]
struct Draft {
    text: String,
    postings: u32,
    guide: Span,
    channels: Vec<Span>,
    docs: Vec<(i32, Span)>,
    /// hash, first posting, last document, token, postings, in [`order`]
    runs: Vec<(u32, u32, u32, Span, Span)>,
}

impl Draft {
    fn push(&mut self, s: &str) -> Span {
        let span = Span {
            at: self.text.len() as u32,
            len: s.len() as u32,
        };
        self.text.push_str(s);
        span
    }

    /// The part, its numbers written (see [`Part::numbers`]).
    fn finish(mut self) -> Part {
        let mut numbers = Vec::with_capacity(self.runs.len() * 10 + self.docs.len() * 8 + 64);
        put(&mut numbers, self.postings);
        put(&mut numbers, self.guide.at);
        put(&mut numbers, self.guide.len);
        put(&mut numbers, self.channels.len() as u32);
        for c in &self.channels {
            put(&mut numbers, c.at);
            put(&mut numbers, c.len);
        }
        put(&mut numbers, self.docs.len() as u32);
        for (c, s) in &self.docs {
            put(&mut numbers, (*c + 1) as u32);
            put(&mut numbers, s.at);
            put(&mut numbers, s.len);
        }
        put(&mut numbers, self.runs.len() as u32);
        // the runs first, to know where each sixteenth starts; then the table before them
        let mut runs = Vec::with_capacity(self.runs.len() * 10);
        let mut sixteenths = [(0u32, 0u32); SIXTEENTHS + 1];
        let end_of_text = self
            .runs
            .last()
            .map_or(self.text.len() as u32, |r| r.4.at + r.4.len);
        let mut next = 0;
        for (hash, first, last, token, rest) in &self.runs {
            let k = (order(*hash) >> 28) as usize;
            while next <= k {
                sixteenths[next] = (runs.len() as u32, token.at);
                next += 1;
            }
            runs.extend_from_slice(&hash.to_le_bytes());
            put(&mut runs, *first);
            put(&mut runs, *last);
            put(&mut runs, token.len);
            put(&mut runs, rest.len);
        }
        while next <= SIXTEENTHS {
            sixteenths[next] = (runs.len() as u32, end_of_text);
            next += 1;
        }
        // the table's size depends on the numbers in it: its places are written relative to
        // the end of the table, then made absolute
        let mut table = Vec::new();
        let mut base = (numbers.len() + (SIXTEENTHS + 1) * 2) as u32;
        loop {
            table.clear();
            for (at, text) in &sixteenths {
                put(&mut table, base + at);
                put(&mut table, *text);
            }
            let real = (numbers.len() + table.len()) as u32;
            if real == base {
                break;
            }
            base = real;
        }
        for s in &mut sixteenths {
            s.0 += base;
        }
        numbers.extend_from_slice(&table);
        numbers.extend_from_slice(&runs);
        self.text.shrink_to_fit();
        Part {
            text: self.text,
            numbers,
            postings: self.postings,
            guide: self.guide,
            channels: self.channels,
            docs: self.docs,
            sixteenths,
        }
    }
}

/// One posting while a part is made: a token of the part (its place in [`Tokens::tokens`]) in a
/// document. `doc` is `(document << 3) | fields`. Eight bytes: a guide has a few thousand.
#[derive(Clone, Copy)]
struct Posting {
    token: u32,
    doc: u32,
}

/// A token as a number: a CJK character its code point, a bigram both code points, a word
/// [`WORD`] and a 63-bit hash of it (spelled out through the part's words).
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

pub(super) fn json(s: &str) -> String {
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

    /// The runs of the tokens into `part`, in [`order`]: each token's postings grouped (a
    /// counting sort, which keeps them in document order), the first apart, the rest encoded.
    fn drain_runs(&mut self, part: &mut Draft) {
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
            .map(|(i, t)| ((order(t.1) as u64) << 32) | i as u64)
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
            part.runs.push((hash, first, last >> 3, token, rest));
        }
        part.postings = self.postings.len() as u32;
        self.tokens.clear();
        self.postings.clear();
        self.words.clear();
    }
}

/// What making a part needs besides the guide, reused from one guide to the next.
#[derive(Default)]
pub(super) struct Work {
    tokens: Tokens,
    scratch: Scratch,
}

/// Makes the part of guide `g` from its text.
pub fn guide_part(g: &Guide) -> Part {
    make_part(g, &mut Work::default())
}

/// [`guide_part`], reusing `work`.
pub(super) fn make_part(g: &Guide, work: &mut Work) -> Part {
    let Work { tokens, scratch } = work;
    scratch.ids.clear();
    scratch.latest.clear();
    let mut part = Draft::default();
    part.guide = part.push(&format!(
        "[{},{}]",
        json(&g.meta.title),
        json(&format!("{}/index.html", g.id.0))
    ));
    let mut add = |part: &mut Draft, channel: i32, step: usize, anchor: &str, f: &Fields| {
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
    part.finish()
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
pub(super) fn encode_postings(docs: impl Iterator<Item = u32>, out: &mut String) {
    let mut prev: i64 = -1;
    for d in docs {
        let (doc, fields) = ((d >> 3) as i64, d & 7);
        encode((((doc - prev) as u32) << 3) | fields, out);
        prev = doc;
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
