//! CJK-friendly emphasis: `**注意：**正文`, `**“图像采集码”**查看`, `*斜体。*后面`.
//!
//! CommonMark decides whether a `*` run may open or close emphasis from its neighbours: a run
//! after punctuation and before a letter cannot close. Chinese punctuation (`：` `“` `。`) counts
//! as punctuation and Chinese text has no spaces, so pulldown-cmark 0.13 leaves such runs as
//! literal asterisks, or pairs the wrong runs (`**注意：**正文，**“码”**查看` gives
//! `**注意：<strong>正文，</strong>“码”**查看`). The CommonMark amendment that fixes this
//! (markdown-cjk-friendly) is in no pulldown-cmark release.
//!
//! This pass redoes emphasis for one *inline run* (the inline events between two block events,
//! e.g. one paragraph) where, and only where, pulldown-cmark left an unescaped literal `*`:
//! it turns that run's `*` emphasis back into delimiter runs and pairs them again with
//! CommonMark's algorithm (`process_emphasis`: openers bottom-up on a stack, strong before
//! emphasis, the rule of three), with one change to flanking: a CJK character on the other side
//! of a run lifts the punctuation condition. Escaped `\*`, code spans and code blocks never
//! contribute delimiters; links and `_` emphasis are boundaries that a pair does not cross.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::{Spanned, is_cjk};

/// One token of an inline run.
enum Tok<'a> {
    /// A literal character of the source at byte offset `pos`.
    Char(char, usize),
    /// An event kept as it is (code span, escaped text, inline HTML, breaks …).
    Atom(Event<'a>, Range<usize>),
    /// The start or end of a container a pair must not cross (link, image, `_` emphasis …).
    Open(Event<'a>, Range<usize>),
    Close(Event<'a>, Range<usize>),
}

/// What a paired `*` becomes.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    None,
    /// Part of a delimiter: emits nothing.
    Used,
    Start(Kind, usize),
    End(Kind),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Em,
    Strong,
}

struct Run {
    /// Index of its first `*` token.
    start: usize,
    /// Stars still unpaired at its inner side: an opener uses its last ones, a closer its first.
    count: usize,
    /// Stars at the start, for the rule of three.
    orig: usize,
    can_open: bool,
    can_close: bool,
    /// The container it sits in: pairs form only within one.
    group: usize,
    /// Stars already used from its start (as a closer); the unpaired ones follow them.
    used_front: usize,
}

pub(super) fn repair<'a>(events: Vec<Spanned<'a>>, source: &str) -> Vec<Spanned<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut run: Vec<Spanned<'a>> = Vec::new();
    let mut in_code = 0usize;
    for (ev, r) in events {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            _ => {}
        }
        if in_code == 0 && is_inline(&ev) {
            run.push((ev, r));
        } else {
            flush(&mut run, source, &mut out);
            out.push((ev, r));
        }
    }
    flush(&mut run, source, &mut out);
    out
}

fn is_inline(ev: &Event<'_>) -> bool {
    match ev {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::InlineHtml(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::FootnoteReference(_)
        | Event::TaskListMarker(_) => true,
        Event::Start(t) => matches!(
            t,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(t) => matches!(
            t,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        _ => false,
    }
}

/// Is this text event the source verbatim (not an escape or an entity)?
fn literal(t: &str, r: &Range<usize>, source: &str) -> bool {
    source.get(r.clone()) == Some(t)
}

fn flush<'a>(run: &mut Vec<Spanned<'a>>, source: &str, out: &mut Vec<Spanned<'a>>) {
    let needs = run.iter().any(|(ev, r)| match ev {
        Event::Text(t) if literal(t, r, source) => t
            .match_indices('*')
            .any(|(i, _)| !escaped(source, r.start + i)),
        _ => false,
    });
    if !needs {
        out.append(run);
        return;
    }
    let toks = tokenize(std::mem::take(run), source);
    emit(toks, source, out);
}

/// Is the character at byte `p` escaped (an odd number of backslashes before it)? pulldown-cmark
/// reports `\*` as the text `*` at the star's own offset.
fn escaped(source: &str, p: usize) -> bool {
    source.as_bytes()[..p]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1
}

/// Is this `*` emphasis of pulldown-cmark's (made of `*`, which we redo) rather than `_`?
fn star_delimited(r: &Range<usize>, source: &str) -> bool {
    source.as_bytes().get(r.start) == Some(&b'*')
}

fn tokenize<'a>(run: Vec<Spanned<'a>>, source: &str) -> Vec<Tok<'a>> {
    let mut toks = Vec::new();
    // `*` emphasis ends at the end of its range; remember each open one's width
    let mut open_star: Vec<Option<(usize, usize)>> = Vec::new();
    for (ev, r) in run {
        match ev {
            Event::Text(ref t) if literal(t, &r, source) => {
                for (i, c) in t.char_indices() {
                    let p = r.start + i;
                    if c == '*' && escaped(source, p) {
                        toks.push(Tok::Atom(Event::Text(CowStr::Borrowed("*")), p..p + 1));
                    } else {
                        toks.push(Tok::Char(c, p));
                    }
                }
            }
            Event::Start(Tag::Emphasis | Tag::Strong) if star_delimited(&r, source) => {
                let n = if matches!(ev, Event::Start(Tag::Strong)) {
                    2
                } else {
                    1
                };
                toks.extend((0..n).map(|i| Tok::Char('*', r.start + i)));
                open_star.push(Some((n, r.end)));
            }
            Event::Start(Tag::Emphasis | Tag::Strong) => {
                open_star.push(None);
                toks.push(Tok::Open(ev, r));
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => match open_star.pop().flatten() {
                Some((n, end)) => toks.extend((0..n).map(|i| Tok::Char('*', end - n + i))),
                None => toks.push(Tok::Close(ev, r)),
            },
            Event::Start(_) => toks.push(Tok::Open(ev, r)),
            Event::End(_) => toks.push(Tok::Close(ev, r)),
            ev => toks.push(Tok::Atom(ev, r)),
        }
    }
    toks
}

/// The character next to a run, as flanking sees it: `None` for whitespace or the edge of the
/// run, `'a'` for an opaque atom (a code span reads like a word).
fn neighbour(toks: &[Tok<'_>], i: Option<usize>) -> Option<char> {
    match i.map(|i| &toks[i]) {
        None => None,
        Some(Tok::Char(c, _)) => Some(*c),
        Some(Tok::Atom(Event::SoftBreak | Event::HardBreak, _)) => None,
        Some(Tok::Atom(Event::Text(t), _)) => t.chars().next(),
        Some(_) => Some('a'),
    }
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x303F | 0xFE30..=0xFE4F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
        || matches!(c, '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

fn flanking(prev: Option<char>, next: Option<char>) -> (bool, bool) {
    let ws = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let punct = |c: Option<char>| c.is_some_and(is_punct);
    let cjk = |c: Option<char>| c.is_some_and(is_cjk);
    let left = !ws(next) && (!punct(next) || ws(prev) || punct(prev) || cjk(prev) || cjk(next));
    let right = !ws(prev) && (!punct(prev) || ws(next) || punct(next) || cjk(next) || cjk(prev));
    (left, right)
}

fn runs(toks: &[Tok<'_>]) -> Vec<Run> {
    let mut v = Vec::new();
    let mut groups = vec![0usize];
    let mut next_group = 1;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Open(..) => {
                groups.push(next_group);
                next_group += 1;
            }
            Tok::Close(..) if groups.len() > 1 => {
                groups.pop();
            }
            Tok::Char('*', _) => {
                let start = i;
                while i + 1 < toks.len() && matches!(toks[i + 1], Tok::Char('*', _)) {
                    i += 1;
                }
                let prev = neighbour(toks, start.checked_sub(1));
                let next = neighbour(toks, (i + 1 < toks.len()).then_some(i + 1));
                let (can_open, can_close) = flanking(prev, next);
                let n = i + 1 - start;
                v.push(Run {
                    start,
                    count: n,
                    orig: n,
                    can_open,
                    can_close,
                    group: *groups.last().unwrap_or(&0),
                    used_front: 0,
                });
            }
            _ => {}
        }
        i += 1;
    }
    v
}

/// CommonMark's `process_emphasis` over the runs, marking the `*` tokens that become tags.
fn pair(runs: &mut [Run], marks: &mut [Mark]) {
    let mut stack: Vec<usize> = Vec::new();
    for c in 0..runs.len() {
        if runs[c].can_close {
            while runs[c].count > 0 {
                let found = stack.iter().rposition(|&o| {
                    let (o, cl) = (&runs[o], &runs[c]);
                    o.group == cl.group
                        && o.count > 0
                        && !((o.can_close || cl.can_open)
                            && (o.orig + cl.orig) % 3 == 0
                            && !(o.orig % 3 == 0 && cl.orig % 3 == 0))
                });
                let Some(si) = found else { break };
                let o = stack[si];
                let used = if runs[o].count >= 2 && runs[c].count >= 2 {
                    2
                } else {
                    1
                };
                let kind = if used == 2 { Kind::Strong } else { Kind::Em };
                let open_at = runs[o].start + runs[o].used_front + runs[o].count - used;
                let close_at = runs[c].start + runs[c].used_front;
                marks[open_at] = Mark::Start(kind, close_at);
                marks[close_at] = Mark::End(kind);
                for k in 1..used {
                    marks[open_at + k] = Mark::Used;
                    marks[close_at + k] = Mark::Used;
                }
                runs[o].count -= used;
                runs[c].count -= used;
                runs[c].used_front += used;
                // openers between the pair can no longer match
                stack.truncate(si + 1);
                if runs[o].count == 0 {
                    stack.pop();
                }
            }
        }
        if runs[c].count > 0 && runs[c].can_open {
            stack.push(c);
        }
    }
}

fn emit<'a>(toks: Vec<Tok<'a>>, source: &str, out: &mut Vec<Spanned<'a>>) {
    let mut rs = runs(&toks);
    let mut marks = vec![Mark::None; toks.len()];
    pair(&mut rs, &mut marks);
    let pos_of = |t: &Tok<'_>| match t {
        Tok::Char(_, p) => *p,
        _ => 0,
    };
    let positions: Vec<usize> = toks.iter().map(pos_of).collect();
    let mut text: Option<Range<usize>> = None;
    let flush_text = |text: &mut Option<Range<usize>>, out: &mut Vec<Spanned<'a>>| {
        if let Some(r) = text.take() {
            out.push((Event::Text(CowStr::from(source[r.clone()].to_string())), r));
        }
    };
    for (i, t) in toks.into_iter().enumerate() {
        match (t, marks[i]) {
            (Tok::Char(c, p), Mark::None) => {
                let end = p + c.len_utf8();
                match &mut text {
                    Some(r) if r.end == p => r.end = end,
                    _ => {
                        flush_text(&mut text, out);
                        text = Some(p..end);
                    }
                }
            }
            (Tok::Char(..), Mark::Used) => flush_text(&mut text, out),
            (Tok::Char(_, p), Mark::Start(kind, close_at)) => {
                flush_text(&mut text, out);
                let tag = match kind {
                    Kind::Em => Tag::Emphasis,
                    Kind::Strong => Tag::Strong,
                };
                let width = if kind == Kind::Strong { 2 } else { 1 };
                out.push((Event::Start(tag), p..positions[close_at] + width));
            }
            (Tok::Char(_, p), Mark::End(kind)) => {
                flush_text(&mut text, out);
                let end = match kind {
                    Kind::Em => TagEnd::Emphasis,
                    Kind::Strong => TagEnd::Strong,
                };
                out.push((Event::End(end), p..p + 1));
            }
            (Tok::Atom(ev, r) | Tok::Open(ev, r) | Tok::Close(ev, r), _) => {
                flush_text(&mut text, out);
                out.push((ev, r));
            }
        }
    }
    flush_text(&mut text, out);
}
