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

/// One token of an inline run. Tokens are small: a run of a million delimiters must not cost
/// a copy of an event per character.
enum Tok {
    /// A literal `*` of the source at byte offset `pos`.
    Char(char, usize),
    /// Literal source text without a `*`, at these bytes.
    Text(Range<usize>),
    /// An event kept as it is (code span, escaped text, inline HTML, breaks …): its index in the
    /// run's events.
    Atom(usize),
    /// The start or end of a container a pair must not cross (link, image, `_` emphasis …).
    Open(usize),
    Close(usize),
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
    let runs = runs_to_repair(&events, source);
    if runs.is_empty() {
        return events; // nearly every file: no copy at all
    }
    let mut out = Vec::with_capacity(events.len());
    let mut it = events.into_iter();
    let mut at = 0;
    for run in runs {
        out.extend(it.by_ref().take(run.start - at));
        emit(
            tokenize(it.by_ref().take(run.len()), source),
            source,
            &mut out,
        );
        at = run.end;
    }
    out.extend(it);
    out
}

/// The inline runs (the inline events between two block events, outside code blocks) that hold
/// an unescaped literal `*`.
fn runs_to_repair(events: &[Spanned<'_>], source: &str) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut in_code = 0usize;
    let mut start = 0;
    let mut needs = false;
    for (i, (ev, r)) in events.iter().enumerate() {
        match ev {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            _ => {}
        }
        if in_code == 0 && is_inline(ev) {
            needs = needs
                || matches!(ev, Event::Text(t) if literal(t, r, source) && t
                    .match_indices('*')
                    .any(|(i, _)| !escaped(source, r.start + i)));
            continue;
        }
        if needs {
            runs.push(start..i);
        }
        needs = false;
        start = i + 1;
    }
    if needs {
        runs.push(start..events.len());
    }
    runs
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

/// The tokens of one run, and the events they refer to.
struct Tokens<'a> {
    toks: Vec<Tok>,
    events: Vec<Spanned<'a>>,
}

fn tokenize<'a>(run: impl Iterator<Item = Spanned<'a>>, source: &str) -> Tokens<'a> {
    let mut toks = Vec::new();
    let mut events = Vec::new();
    let mut keep = |ev: Spanned<'a>| {
        events.push(ev);
        events.len() - 1
    };
    // `*` emphasis ends at the end of its range; remember each open one's width
    let mut open_star: Vec<Option<(usize, usize)>> = Vec::new();
    for (ev, r) in run {
        match ev {
            Event::Text(ref t) if literal(t, &r, source) => {
                let mut from = r.start;
                for (i, _) in t.match_indices('*') {
                    let p = r.start + i;
                    if from < p {
                        toks.push(Tok::Text(from..p));
                    }
                    if escaped(source, p) {
                        toks.push(Tok::Atom(keep((
                            Event::Text(CowStr::Borrowed("*")),
                            p..p + 1,
                        ))));
                    } else {
                        toks.push(Tok::Char('*', p));
                    }
                    from = p + 1;
                }
                if from < r.end {
                    toks.push(Tok::Text(from..r.end));
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
                toks.push(Tok::Open(keep((ev, r))));
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => match open_star.pop().flatten() {
                Some((n, end)) => toks.extend((0..n).map(|i| Tok::Char('*', end - n + i))),
                None => toks.push(Tok::Close(keep((ev, r)))),
            },
            Event::Start(_) => toks.push(Tok::Open(keep((ev, r)))),
            Event::End(_) => toks.push(Tok::Close(keep((ev, r)))),
            ev => toks.push(Tok::Atom(keep((ev, r)))),
        }
    }
    Tokens { toks, events }
}

/// The character next to a run, as flanking sees it (`before`: the one before it): `None` for
/// whitespace or the edge of the run, `'a'` for an opaque atom (a code span reads like a word).
fn neighbour(t: &Tokens<'_>, source: &str, i: Option<usize>, before: bool) -> Option<char> {
    match i.map(|i| &t.toks[i]) {
        None => None,
        Some(Tok::Char(c, _)) => Some(*c),
        Some(Tok::Text(r)) => {
            let mut chars = source[r.clone()].chars();
            if before {
                chars.next_back()
            } else {
                chars.next()
            }
        }
        Some(Tok::Atom(k)) => match &t.events[*k].0 {
            Event::SoftBreak | Event::HardBreak => None,
            Event::Text(t) => t.chars().next(),
            _ => Some('a'),
        },
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

fn runs(t: &Tokens<'_>, source: &str) -> Vec<Run> {
    let toks = &t.toks;
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
                let prev = neighbour(t, source, start.checked_sub(1), true);
                let next = neighbour(t, source, (i + 1 < toks.len()).then_some(i + 1), false);
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
///
/// Openers wait on a stack per container (pairs never cross one), and, as in the reference
/// implementation's `openers_bottom`, a closer that found no opener remembers how far down it
/// looked, so that the next closer of its kind does not look again: without it, a thousand
/// openers that no closer can use make every closer scan all of them (quadratic).
/// Returns how many stack entries it looked at (linear in the runs: see the tests).
fn pair(runs: &mut [Run], marks: &mut [Mark]) -> usize {
    let mut looked = 0;
    let groups = runs.iter().map(|r| r.group + 1).max().unwrap_or(0);
    let mut stacks: Vec<Vec<usize>> = vec![Vec::new(); groups];
    // per container, per kind of closer (can it open, its length mod 3): the stack height
    // below which nothing matches
    let mut bottoms: Vec<[usize; 6]> = vec![[0; 6]; groups];
    for c in 0..runs.len() {
        let g = runs[c].group;
        if runs[c].can_close {
            while runs[c].count > 0 {
                let kind = usize::from(runs[c].can_open) * 3 + runs[c].orig % 3;
                let stack = &mut stacks[g];
                let bottom = bottoms[g][kind].min(stack.len());
                looked += stack.len() - bottom;
                let found = stack[bottom..].iter().rposition(|&o| {
                    let (o, cl) = (&runs[o], &runs[c]);
                    o.count > 0
                        && !((o.can_close || cl.can_open)
                            && (o.orig + cl.orig) % 3 == 0
                            && !(o.orig % 3 == 0 && cl.orig % 3 == 0))
                });
                let Some(si) = found.map(|f| f + bottom) else {
                    bottoms[g][kind] = stack.len();
                    break;
                };
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
                for b in &mut bottoms[g] {
                    *b = (*b).min(stack.len());
                }
            }
        }
        if runs[c].count > 0 && runs[c].can_open {
            stacks[g].push(c);
        }
    }
    looked
}

fn emit<'a>(t: Tokens<'a>, source: &str, out: &mut Vec<Spanned<'a>>) {
    let mut rs = runs(&t, source);
    let mut marks = vec![Mark::None; t.toks.len()];
    pair(&mut rs, &mut marks);
    // a start needs its closer's offset (for its range), not its index
    for m in &mut marks {
        if let Mark::Start(_, close_at) = m
            && let Tok::Char(_, p) = t.toks[*close_at]
        {
            *close_at = p;
        }
    }
    let Tokens { toks, mut events } = t;
    let mut text: Option<Range<usize>> = None;
    let flush_text = |text: &mut Option<Range<usize>>, out: &mut Vec<Spanned<'a>>| {
        if let Some(r) = text.take() {
            out.push((Event::Text(CowStr::from(source[r.clone()].to_string())), r));
        }
    };
    let add_text =
        |text: &mut Option<Range<usize>>, r: Range<usize>, out: &mut Vec<Spanned<'a>>| match text {
            Some(t) if t.end == r.start => t.end = r.end,
            _ => {
                flush_text(text, out);
                *text = Some(r);
            }
        };
    for (i, tok) in toks.into_iter().enumerate() {
        match (tok, marks[i]) {
            (Tok::Char(c, p), Mark::None) => add_text(&mut text, p..p + c.len_utf8(), out),
            (Tok::Text(r), _) => add_text(&mut text, r, out),
            (Tok::Char(..), Mark::Used) => flush_text(&mut text, out),
            (Tok::Char(_, p), Mark::Start(kind, close)) => {
                flush_text(&mut text, out);
                let tag = match kind {
                    Kind::Em => Tag::Emphasis,
                    Kind::Strong => Tag::Strong,
                };
                let width = if kind == Kind::Strong { 2 } else { 1 };
                out.push((Event::Start(tag), p..close + width));
            }
            (Tok::Char(_, p), Mark::End(kind)) => {
                flush_text(&mut text, out);
                let end = match kind {
                    Kind::Em => TagEnd::Emphasis,
                    Kind::Strong => TagEnd::Strong,
                };
                out.push((Event::End(end), p..p + 1));
            }
            (Tok::Atom(k) | Tok::Open(k) | Tok::Close(k), _) => {
                flush_text(&mut text, out);
                let ev = std::mem::replace(&mut events[k], (Event::SoftBreak, 0..0));
                out.push(ev);
            }
        }
    }
    flush_text(&mut text, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The work of pairing the runs of `md` (one paragraph), as parsed.
    fn work(md: &str) -> usize {
        let events = super::super::parse(md, 0);
        let run: Vec<Spanned<'_>> = events.into_iter().filter(|(ev, _)| is_inline(ev)).collect();
        let t = tokenize(run.into_iter(), md);
        let mut rs = runs(&t, md);
        let mut marks = vec![Mark::None; t.toks.len()];
        pair(&mut rs, &mut marks)
    }

    /// Openers no closer may use (another container's; the rule of three) are looked at once,
    /// not once per closer: 2,000 of each took 4 million looks before.
    #[test]
    fn pairing_is_linear_when_openers_cannot_match() {
        for (open, close) in [("*a ", "[b*](u) "), (" **a", " a*a")] {
            let md = format!("{}{}\n", open.repeat(2000), close.repeat(2000));
            let w = work(&md);
            assert!(w < 20_000, "{open:?} {close:?}: {w} looks");
        }
    }
}
