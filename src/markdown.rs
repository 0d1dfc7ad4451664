//! Markdown → blocks: one channel file (or guide intro) in, steps of [`Block`]s out.
//!
//! The stage runs in named passes over pulldown-cmark's events, keeping source offsets so every
//! diagnostic points at a line and column:
//! 1. parse with the offset iterator;
//! 2. [`emphasis::repair`]: `**注意：**正文` and friends, which CommonMark's flanking rules leave
//!    as literal asterisks next to Chinese punctuation; then adjacent text is merged;
//! 3. `drop_cjk_soft_breaks`: a line break between two Chinese characters is not a space;
//! 4. `transform`: `##` headings become step markers, local images become figures or slots
//!    (lifted out of their paragraph), GitHub alerts become callouts, links to `.md` files become
//!    page URLs;
//! 5. HTML is written once for the whole file (so footnotes and tables keep their state) and
//!    split at the markers into steps and blocks.

pub mod load;

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::content::model::{
    ANCHOR_MARKER, Block, CalloutKind, Device, Figure, ROOT_MARKER, Slot, Step, walk_mut,
};
use crate::content::source::SourceFile;
use crate::content::validate;
use crate::diagnostic::Diagnostic;

const M: char = '\u{E001}';

/// What the Markdown stage needs to know about the rest of the site.
pub struct Env<'a> {
    pub file: &'a SourceFile,
    /// Byte offset of the Markdown body in the file.
    pub body_offset: usize,
    /// Directory of the file, relative to `content/`, `/`-separated ("" for the top).
    pub dir: &'a str,
    /// The `content/` folder on disk.
    pub content_dir: &'a Path,
    /// Every file under `content/`, relative to it, `/`-separated.
    pub files: &'a HashSet<String>,
    /// The device of the channel (sets the slot shape).
    pub device: Device,
    /// Whether `##` headings are steps (channel files) or plain headings (intros).
    pub steps: bool,
}

/// A link to a page of the site, kept to check its anchor once every page is known.
#[derive(Debug, Clone)]
pub struct PageLink {
    /// The target's URL path from the site root ("guide/", "guide/channel/").
    pub page: String,
    pub anchor: Option<String>,
    pub span: Range<usize>,
}

#[derive(Debug, Default)]
pub struct Rendered {
    /// Blocks before the first step (all blocks when steps are off).
    pub intro: Vec<Block>,
    pub steps: Vec<Step>,
    /// Files under `content/` the output needs (images, linked files).
    pub assets: Vec<String>,
    pub links: Vec<PageLink>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders a Markdown body.
pub fn render(body: &str, env: &Env<'_>) -> Rendered {
    let mut out = Rendered::default();
    let events = parse(body, env.body_offset);
    let events = merge_text(emphasis::repair(events, &env.file.text));
    let events = drop_cjk_soft_breaks(events);
    let mut t = Transform {
        env,
        out: &mut out,
        components: Vec::new(),
        titles: Vec::new(),
        anchors: Vec::new(),
        ids: Vec::new(),
        seen: Default::default(),
    };
    let sink = t.run(&events);
    let components = std::mem::take(&mut t.components);
    let titles = std::mem::take(&mut t.titles);
    let (anchors, mut ids) = (std::mem::take(&mut t.anchors), std::mem::take(&mut t.ids));
    for (code, n) in std::mem::take(&mut t.seen) {
        let Some(n) = n.checked_sub(MAX_SAME).filter(|&n| n > 0) else {
            continue;
        };
        out.diagnostics.push(
            Diagnostic::warning(
                "too-many",
                format!("{n} more `{code}` problems in this file are not shown"),
            )
            .in_file(env.file.rel.clone())
            .help("fix the ones shown (they are usually the same mistake), then check again"),
        );
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, sink.into_events(events).map(footnote_ids));
    // the HTML writer percent-encodes the markers inside URLs
    if html.contains("%EE%80%8") {
        html = html
            .replace("%EE%80%80", ROOT_MARKER)
            .replace("%EE%80%82", ANCHOR_MARKER);
    }
    assemble(&html, components, titles, &mut out, env);
    if env.steps {
        ids.extend(out.steps.iter().map(|s| s.anchor.clone()));
        validate::same_page_anchors(env.file, &anchors, &ids, &mut out.diagnostics);
    }
    out
}

type Spanned<'a> = (Event<'a>, Range<usize>);

/// Parses the body into events with file offsets. pulldown-cmark splits text at every delimiter
/// and bracket (`[a](` gives three events): contiguous pieces that are the source verbatim are
/// joined here into one slice of the body, without a copy, so that later passes hold one event
/// per run of text rather than one per character.
fn parse<'a>(body: &'a str, offset: usize) -> Vec<Spanned<'a>> {
    let mut out: Vec<Spanned<'a>> = Vec::new();
    // a run of verbatim text not pushed yet (body offsets)
    let mut text: Option<Range<usize>> = None;
    let flush = |text: &mut Option<Range<usize>>, out: &mut Vec<Spanned<'a>>| {
        if let Some(r) = text.take() {
            out.push((
                Event::Text(CowStr::Borrowed(&body[r.clone()])),
                r.start + offset..r.end + offset,
            ));
        }
    };
    for (ev, r) in Parser::new_ext(body, options()).into_offset_iter() {
        if let Event::Text(t) = &ev
            && body.get(r.clone()) == Some(t.as_ref())
        {
            match &mut text {
                Some(run) if run.end == r.start => run.end = r.end,
                _ => {
                    flush(&mut text, &mut out);
                    text = Some(r);
                }
            }
            continue;
        }
        flush(&mut text, &mut out);
        out.push((ev, r.start + offset..r.end + offset));
    }
    flush(&mut text, &mut out);
    // the parser's own tree is gone now; so is the room the vector grew into
    out.shrink_to_fit();
    out
}

/// Footnote ids get the channel's anchor prefix and `fn-`, so that the channels on one guide
/// page keep their ids apart (`web-fn-1`, `app-fn-1`) and never clash with a step's.
fn footnote_ids(ev: Event<'_>) -> Event<'_> {
    match ev {
        Event::FootnoteReference(l) => {
            Event::FootnoteReference(CowStr::from(format!("{ANCHOR_MARKER}fn-{l}")))
        }
        Event::Start(Tag::FootnoteDefinition(l)) => Event::Start(Tag::FootnoteDefinition(
            CowStr::from(format!("{ANCHOR_MARKER}fn-{l}")),
        )),
        ev => ev,
    }
}

/// Merges adjacent text events (pulldown-cmark splits text at escapes and delimiters), in place.
/// Each run is joined once: joining piece by piece is quadratic (`*a *a *a …` gives 100,000
/// pieces).
fn merge_text(mut events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let mut w = 0; // events[..w] are done
    let mut i = 0;
    while i < events.len() {
        let mut j = i + 1;
        if matches!(events[i].0, Event::Text(_)) {
            while j < events.len()
                && matches!(events[j].0, Event::Text(_))
                && events[j - 1].1.end == events[j].1.start
            {
                j += 1;
            }
        }
        if j - i > 1 {
            let mut joined = String::new();
            for (ev, _) in &events[i..j] {
                if let Event::Text(t) = ev {
                    joined.push_str(t);
                }
            }
            let range = events[i].1.start..events[j - 1].1.end;
            events[w] = (Event::Text(CowStr::from(joined)), range);
        } else {
            events.swap(w, i);
        }
        w += 1;
        i = j;
    }
    events.truncate(w);
    events
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
        || matches!(c, '“' | '”' | '‘' | '’' | '…' | '—')
}

/// Drops a soft line break whose neighbouring characters are both CJK.
fn drop_cjk_soft_breaks(mut events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let last_char = |ev: &Event<'_>| match ev {
        Event::Text(t) | Event::Code(t) => t.chars().next_back(),
        _ => None,
    };
    let first_char = |ev: &Event<'_>| match ev {
        Event::Text(t) | Event::Code(t) => t.chars().next(),
        _ => None,
    };
    let inline_tag = |ev: &Event<'_>| {
        matches!(
            ev,
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
                | Event::End(
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link
                )
        )
    };
    let mut drop = vec![false; events.len()];
    for i in 0..events.len() {
        if !matches!(events[i].0, Event::SoftBreak) {
            continue;
        }
        let before = events[..i]
            .iter()
            .rev()
            .find(|(e, _)| !inline_tag(e))
            .and_then(|(e, _)| last_char(e));
        let after = events[i + 1..]
            .iter()
            .find(|(e, _)| !inline_tag(e))
            .and_then(|(e, _)| first_char(e));
        if before.is_some_and(is_cjk) && after.is_some_and(is_cjk) {
            drop[i] = true;
        }
    }
    let mut i = 0;
    events.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    events
}

static STEP_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^\s*(?:",
        r"第\s*([0-9一二三四五六七八九十]+)\s*步",
        r"|步骤\s*([0-9一二三四五六七八九十]+)",
        r"|[Ss]tep\s*([0-9]+)",
        r"|[（(]\s*([0-9一二三四五六七八九十]+)\s*[）)]",
        r"|([0-9]+)\s*(?:[.．、:：]|[)）])",
        r"|([一二三四五六七八九十]+)\s*[、.．]",
        r")\s*[:：.．、]?\s*"
    ))
    .unwrap()
});

fn parse_number(s: &str) -> Option<usize> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', b] => Some(10 + digit(*b)?),
        [a, '十'] => Some(digit(*a)? * 10),
        [a, '十', b] => Some(digit(*a)? * 10 + digit(*b)?),
        _ => None,
    }
}

/// Takes a typed step number off the start of a heading: `("1、登录", …)` → `Some(1)` and the
/// byte length to remove.
pub fn strip_step_number(title: &str) -> Option<(usize, usize)> {
    let c = STEP_NUMBER.captures(title)?;
    let m = c.iter().skip(1).flatten().next()?;
    let end = c.get(0)?.end();
    if end == title.len() {
        return None; // the number is the whole title: keep it
    }
    Some((parse_number(m.as_str())?, end))
}

enum Component {
    Figure(Figure),
    Slot(Slot),
}

struct Transform<'e, 'o> {
    env: &'e Env<'e>,
    out: &'o mut Rendered,
    components: Vec<Component>,
    /// (anchor from `{#id}`, plain title, line) per step.
    titles: Vec<(Option<String>, String, usize)>,
    /// Links to an anchor of the same page (`#step-2`), checked once the steps are known.
    anchors: Vec<(String, Range<usize>)>,
    /// The `{#id}`s of headings that are not steps.
    ids: Vec<String>,
    /// Diagnostics per code so far; past [`MAX_SAME`] they are only counted.
    seen: std::collections::BTreeMap<&'static str, usize>,
}

/// At most this many diagnostics of one code per file are kept.
const MAX_SAME: usize = 50;

fn marker(s: &str) -> Event<'static> {
    Event::Html(CowStr::from(format!("{M}{s}{M}")))
}

fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Resolves `url` relative to the directory `dir` (both `/`-separated, relative to `content/`).
/// `None` when it leaves `content/`.
fn resolve(dir: &str, url: &str) -> Option<String> {
    let mut parts: Vec<&str> = if url.starts_with('/') {
        vec![]
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for seg in url.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The page URL (from the site root) of a content Markdown file, if it is a page.
pub fn page_url(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["_index.md"] => Some(String::new()),
        [g, "_index.md"] => Some(format!("{g}/")),
        [g, c] if c.ends_with(".md") => Some(format!("{g}/{}/", &c[..c.len() - 3])),
        _ => None,
    }
}

pub fn encode_path(path: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    percent_encoding::utf8_percent_encode(path, SET).to_string()
}

/// The transformed event stream, as indices into the parsed events plus the few events the
/// transform made (rewritten links, markers, paragraph tags): a copy of every event would double
/// the memory of a file that is mostly delimiters.
struct Sink<'a> {
    /// Number of parsed events: an entry below it is a parsed event, above it one of `made`.
    parsed: usize,
    order: Vec<usize>,
    made: Vec<Event<'a>>,
}

impl<'a> Sink<'a> {
    fn new(parsed: usize) -> Self {
        Sink {
            parsed,
            order: Vec::with_capacity(parsed),
            made: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    /// Passes the parsed event `i` on unchanged.
    fn keep(&mut self, i: usize) {
        self.order.push(i);
    }

    fn push(&mut self, ev: Event<'a>) {
        self.order.push(self.parsed + self.made.len());
        self.made.push(ev);
    }

    fn get<'s>(&'s self, k: usize, events: &'s [Spanned<'a>]) -> &'s Event<'a> {
        match self.order[k] {
            i if i < self.parsed => &events[i].0,
            i => &self.made[i - self.parsed],
        }
    }

    fn set(&mut self, k: usize, ev: Event<'a>) {
        self.order[k] = self.parsed + self.made.len();
        self.made.push(ev);
    }

    /// Wraps what was written since `from` in a paragraph, its outer whitespace trimmed (the text
    /// around a lifted image loses the space that separated them); drops it if it is blank.
    fn paragraph(&mut self, from: usize, events: &[Spanned<'a>]) {
        let blank = (from..self.len()).all(|k| match self.get(k, events) {
            Event::SoftBreak | Event::HardBreak => true,
            Event::Text(t) => t.trim().is_empty(),
            _ => false,
        });
        if blank {
            self.order.truncate(from);
            return;
        }
        if let Event::Text(t) = self.get(from, events)
            && t.trim_start().len() != t.len()
        {
            let t = CowStr::from(t.trim_start().to_string());
            self.set(from, Event::Text(t));
        }
        let last = self.len() - 1;
        if let Event::Text(t) = self.get(last, events)
            && t.trim_end().len() != t.len()
        {
            let t = CowStr::from(t.trim_end().to_string());
            self.set(last, Event::Text(t));
        }
        self.push(Event::Start(Tag::Paragraph));
        let start = self.order.pop().unwrap_or_default();
        self.order.insert(from, start);
        self.push(Event::End(TagEnd::Paragraph));
    }

    /// The events in order, moved out of `events`.
    fn into_events(self, mut events: Vec<Spanned<'a>>) -> impl Iterator<Item = Event<'a>> {
        let (parsed, mut made) = (self.parsed, self.made);
        self.order.into_iter().map(move |i| {
            let slot = match i {
                i if i < parsed => &mut events[i].0,
                i => &mut made[i - parsed],
            };
            std::mem::replace(slot, Event::SoftBreak)
        })
    }
}

impl Transform<'_, '_> {
    fn err(&mut self, d: Diagnostic, r: Range<usize>) {
        // a file with thousands of the same mistake (generated or pasted) gets the first ones
        // and a count, not thousands of copies of its lines
        let seen = self.seen.entry(d.code).or_default();
        *seen += 1;
        if *seen > MAX_SAME {
            return;
        }
        self.out.diagnostics.push(d.at(self.env.file, r));
    }

    fn run<'a>(&mut self, events: &[Spanned<'a>]) -> Sink<'a> {
        let mut out = Sink::new(events.len());
        let mut quotes: Vec<bool> = Vec::new();
        let mut i = 0;
        while i < events.len() {
            let (ev, r) = &events[i];
            match ev {
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H2,
                    id,
                    ..
                }) if self.env.steps => {
                    let end = find_end(events, i);
                    self.step_heading(
                        events,
                        i + 1..end,
                        id.as_ref().map(|s| s.to_string()),
                        r.clone(),
                        &mut out,
                    );
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                }) if self.env.steps => {
                    self.out.diagnostics.push(
                        Diagnostic::warning("heading-level", "a `#` heading in a channel file")
                            .at(self.env.file, r.start..r.start + 1)
                            .help("the page title comes from `title` in the front matter; start steps with `##`"),
                    );
                    out.keep(i);
                }
                Event::Start(Tag::Heading { id: Some(id), .. }) => {
                    self.ids.push(id.to_string());
                    out.keep(i);
                }
                Event::Html(_) => {
                    // Markdown hands an HTML block over line by line: read it whole, as the
                    // browser will (a tag may go on over several lines)
                    let lines: Vec<(&CowStr<'a>, Range<usize>)> = events[i..]
                        .iter()
                        .map_while(|(e, r)| match e {
                            Event::Html(h) => Some((h, r.clone())),
                            _ => None,
                        })
                        .collect();
                    i += lines.len();
                    out.push(Event::Html(self.raw_html(&lines)));
                    continue;
                }
                Event::InlineHtml(h) => {
                    let h = self.raw_html(&[(h, r.clone())]);
                    out.push(Event::InlineHtml(h));
                }
                Event::Start(Tag::Paragraph) => {
                    let end = find_end(events, i);
                    self.paragraph(events, i + 1..end, &mut out);
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::Image { .. }) => {
                    // an image outside a paragraph (in a heading or table cell): inline
                    let end = find_end(events, i);
                    self.inline_image(events, i..end + 1, &mut out);
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::BlockQuote(kind)) => {
                    quotes.push(kind.is_some());
                    match kind {
                        Some(k) => out.push(marker(&format!("C{}", callout(*k).name()))),
                        None => out.keep(i),
                    }
                }
                Event::End(TagEnd::BlockQuote(_)) => {
                    if quotes.pop() == Some(true) {
                        out.push(marker("E"));
                    } else {
                        out.keep(i);
                    }
                }
                Event::Start(Tag::Link { .. }) => self.link_start(&events[i], &mut out),
                _ => out.keep(i),
            }
            i += 1;
        }
        out
    }

    /// The start of a link, its destination rewritten.
    fn link_start<'a>(&mut self, (ev, r): &Spanned<'a>, out: &mut Sink<'a>) {
        if let Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) = ev
        {
            let dest = self.link(dest_url, r.clone());
            out.push(Event::Start(Tag::Link {
                link_type: *link_type,
                dest_url: dest,
                title: title.clone(),
                id: id.clone(),
            }));
        }
    }

    fn step_heading<'a>(
        &mut self,
        events: &[Spanned<'a>],
        inner: Range<usize>,
        id: Option<String>,
        r: Range<usize>,
        out: &mut Sink<'a>,
    ) {
        let number = self.titles.len() + 1;
        let line = self.env.file.line_col(r.start).0;
        // a typed number taken off the first text
        let mut first: Option<Event<'a>> = None;
        if let Some((Event::Text(t), tr)) = events.get(inner.start).filter(|_| !inner.is_empty())
            && let Some((typed, len)) = strip_step_number(t)
        {
            if typed != number {
                self.out.diagnostics.push(
                    Diagnostic::warning(
                        "step-number",
                        format!("this heading is numbered {typed} but it is step {number}"),
                    )
                    .at(self.env.file, tr.start..tr.start + len)
                    .help("steps are numbered automatically: remove the typed number"),
                );
            }
            first = Some(Event::Text(CowStr::from(t[len..].to_string())));
        }
        let mut title_text = String::new();
        for (k, (e, _)) in events[inner.clone()].iter().enumerate() {
            match (k, &first, e) {
                (0, Some(Event::Text(t)), _) => title_text.push_str(t),
                (_, _, Event::Text(t) | Event::Code(t)) => title_text.push_str(t),
                _ => {}
            }
        }
        if title_text.trim().is_empty() {
            self.out.diagnostics.push(
                Diagnostic::warning("empty-step-title", format!("step {number} has no title"))
                    .at(self.env.file, r.clone())
                    .help("write what the reader does in this step after `## `"),
            );
        }
        self.titles.push((id, title_text.trim().to_string(), line));
        out.push(marker("S"));
        let start = inner.start;
        for i in inner {
            if i == start
                && let Some(f) = first.take()
            {
                out.push(f);
                continue;
            }
            match &events[i].0 {
                Event::Start(Tag::Link { .. }) => self.link_start(&events[i], out),
                Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
                Event::InlineHtml(h) => {
                    let h = self.raw_html(&[(h, events[i].1.clone())]);
                    out.push(Event::InlineHtml(h));
                }
                _ => out.keep(i),
            }
        }
        out.push(marker("T"));
    }
    /// A paragraph: local images at the top level are lifted out as figures/slots, and the text
    /// around them stays in paragraphs of its own (a `<figure>` inside `<p>` is invalid HTML).
    fn paragraph<'a>(&mut self, events: &[Spanned<'a>], inner: Range<usize>, out: &mut Sink<'a>) {
        let mut run_start = out.len();
        let mut depth_link = 0usize;
        let mut i = inner.start;
        while i < inner.end {
            let (ev, r) = &events[i];
            match ev {
                Event::Start(Tag::Image { dest_url, .. })
                    if depth_link == 0 && !is_external(dest_url) =>
                {
                    let end = find_end(events, i);
                    let alt = plain_text(&events[i + 1..end]);
                    let component = self.local_image(dest_url, &alt, r.clone());
                    out.paragraph(run_start, events);
                    out.push(marker(&format!("I{}", self.components.len())));
                    self.components.push(component);
                    run_start = out.len();
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::Image { .. }) => {
                    let end = find_end(events, i);
                    self.inline_image(events, i..end + 1, out);
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::Link { .. }) => {
                    depth_link += 1;
                    self.link_start(&events[i], out);
                }
                Event::End(TagEnd::Link) => {
                    depth_link = depth_link.saturating_sub(1);
                    out.keep(i);
                }
                Event::InlineHtml(h) => {
                    let h = self.raw_html(&[(h, r.clone())]);
                    out.push(Event::InlineHtml(h));
                }
                _ => out.keep(i),
            }
            i += 1;
        }
        out.paragraph(run_start, events);
    }

    /// An image that stays inline: its source is rewritten like a link.
    fn inline_image<'a>(
        &mut self,
        events: &[Spanned<'a>],
        range: Range<usize>,
        out: &mut Sink<'a>,
    ) {
        for i in range {
            let (ev, r) = &events[i];
            match ev {
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let dest = if is_external(dest_url) {
                        self.remote(dest_url, r.clone());
                        dest_url.clone()
                    } else {
                        self.link(dest_url, r.clone())
                    };
                    out.push(Event::Start(Tag::Image {
                        link_type: *link_type,
                        dest_url: dest,
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
                _ => out.keep(i),
            }
        }
    }

    fn remote(&mut self, url: &str, r: Range<usize>) {
        if let Some(d) = validate::local_path(url, "image") {
            self.err(d, r);
        } else if url.starts_with("http:") || url.starts_with("https:") || url.starts_with("//") {
            self.err(
                Diagnostic::warning("remote-resource", format!("image loaded from another host: {url}"))
                    .help("save the image into the guide's folder and link it relatively: remote images can be slow or blocked for readers"),
                r,
            );
        }
    }

    /// HTML the author wrote (an HTML block's lines, or one inline tag), with the source range
    /// of each piece: read with a real HTML tokenizer, its script-bearing parts warned about,
    /// its links and resources checked and rewritten like Markdown links (a `.md` target
    /// becomes its page, a local image is published with the page).
    fn raw_html<'a>(&mut self, pieces: &[(&CowStr<'a>, Range<usize>)]) -> CowStr<'a> {
        let html: CowStr<'a> = match pieces {
            [(h, _)] => (*h).clone(),
            _ => CowStr::from(pieces.iter().map(|(h, _)| h.as_ref()).collect::<String>()),
        };
        // the source range of a range of `html`: in the piece it starts in (found by binary
        // search: a pasted block may have thousands of lines and of links)
        let file = self.env.file;
        let starts: Vec<usize> = pieces
            .iter()
            .scan(0, |acc, (h, _)| {
                let s = *acc;
                *acc += h.len();
                Some(s)
            })
            .collect();
        let at = |range: Range<usize>| -> Range<usize> {
            let k = starts
                .partition_point(|&s| s <= range.start)
                .saturating_sub(1);
            let Some((h, r)) = pieces.get(k) else {
                return 0..0;
            };
            let local = range.start.saturating_sub(starts[k]);
            let len = range.len().min(h.len().saturating_sub(local));
            let source = file.text.get(r.clone()).unwrap_or("");
            if source == h.as_ref() {
                return r.start + local..r.start + local + len;
            }
            // the piece lost a container's prefix (`> `, a list's indent): find it
            let needle = html.get(range.clone()).unwrap_or("");
            match source.find(needle) {
                Some(i) if !needle.is_empty() => r.start + i..r.start + i + needle.len(),
                _ => r.clone(),
            }
        };
        for (url, r) in validate::css_remote_urls(&html) {
            let d = validate::remote_resource("a font or image (CSS)", &url);
            self.err(d, at(r));
        }
        let tags = validate::html_tags(&html);
        for (d, r) in validate::scripts(&tags) {
            self.err(d, at(r));
        }
        let urls = validate::urls_of(&tags);
        if urls.is_empty() {
            return html;
        }
        let mut out = String::with_capacity(html.len() + 16);
        let mut last = 0;
        for u in urls {
            let at = at(u.range.clone());
            let value = u.value;
            let kind = match u.kind {
                validate::UrlKind::Link => "link",
                validate::UrlKind::Resource(_) => "file",
            };
            let new = if let Some(d) = validate::local_path(&value, kind) {
                self.err(d, at);
                None
            } else if validate::is_remote(&value) {
                if let validate::UrlKind::Resource(what) = u.kind {
                    self.err(validate::remote_resource(what, &value), at);
                }
                None
            } else if is_external(&value) {
                None
            } else {
                if u.tag == "img"
                    && let Some(d) = validate::alt_text(u.alt.as_deref().unwrap_or(""), &value)
                {
                    self.err(d, at.clone());
                }
                let dest = self.link(&CowStr::from(value.clone()), at);
                (*dest != *value).then(|| dest.replace('"', "%22"))
            };
            if let Some(new) = new
                && u.range.start >= last
            {
                out.push_str(&html[last..u.range.start]);
                out.push_str(&new);
                last = u.range.end;
            }
        }
        if last == 0 {
            return html;
        }
        out.push_str(&html[last..]);
        CowStr::from(out)
    }

    fn local_image(&mut self, dest: &str, alt: &str, r: Range<usize>) -> Component {
        let device = self.env.device;
        let raw = dest.split(['#', '?']).next().unwrap_or(dest);
        let mut decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        if let Some((d, fixed)) = validate::backslashes(&decoded, "image") {
            self.err(d, r.clone());
            decoded = fixed;
        }
        let line = self.env.file.line_col(r.start).0;
        let Some(path) = resolve(self.env.dir, &decoded) else {
            self.err(
                Diagnostic::error(
                    "outside-root",
                    format!("the image `{dest}` is outside the content folder"),
                )
                .help("keep screenshots inside the guide's folder, e.g. `images/step-1.png`"),
                r,
            );
            return Component::Slot(Slot {
                alt: alt.to_string(),
                path: decoded,
                device,
                line,
            });
        };
        if let Some(d) = validate::alt_text(alt, &path) {
            self.err(d, r.clone());
        }
        if !self.env.files.contains(&path) {
            if let Some(d) = validate::system_path(&decoded, "image") {
                self.err(d, r);
                // as written, so that it is not also listed as a screenshot to capture
                return Component::Slot(Slot {
                    alt: alt.to_string(),
                    path: decoded,
                    device,
                    line,
                });
            }
            return Component::Slot(Slot {
                alt: alt.to_string(),
                path,
                device,
                line,
            });
        }
        // its size is known once decoded: a file that cannot be read is reported, with the
        // reason, by the image stage (`images`), which turns it into a slot
        // the header only: a PNG's size is in its first 24 bytes (imagesize's own `size` reads
        // 8 KiB of every screenshot)
        let header = std::fs::File::open(self.env.content_dir.join(&path))
            .map(|f| std::io::BufReader::with_capacity(512, f))
            .map_err(imagesize::ImageError::from);
        let (width, height) = match header.and_then(imagesize::reader_size) {
            Ok(size) => {
                let (w, h) = (size.width as u32, size.height as u32);
                if let Some(d) = validate::image_size(&path, w, h, device) {
                    self.err(d, r.clone());
                }
                (w, h)
            }
            Err(_) => (0, 0),
        };
        Component::Figure(Figure {
            url: encode_path(&path),
            path,
            alt: alt.to_string(),
            width,
            height,
            device,
            line,
            published: None,
        })
    }

    /// Rewrites a link destination: `.md` files become page URLs, other local files are
    /// published with the page; external links are left alone.
    fn link<'a>(&mut self, dest: &CowStr<'a>, r: Range<usize>) -> CowStr<'a> {
        if dest.is_empty() {
            return dest.clone();
        }
        if is_external(dest) {
            if let Some(d) = validate::local_path(dest, "link") {
                self.err(d, r);
            }
            return dest.clone();
        }
        if let Some(anchor) = dest.strip_prefix('#') {
            self.anchors.push((anchor.to_string(), r));
            return CowStr::from(format!("#{ANCHOR_MARKER}{anchor}"));
        }
        let (path_part, anchor) = match dest.split_once('#') {
            Some((p, a)) => (p, Some(a.to_string())),
            None => (dest.as_ref(), None),
        };
        let mut decoded = percent_encoding::percent_decode_str(path_part)
            .decode_utf8_lossy()
            .into_owned();
        if let Some((d, fixed)) = validate::backslashes(&decoded, "link") {
            self.err(d, r.clone());
            decoded = fixed;
        }
        let Some(path) = resolve(self.env.dir, &decoded) else {
            self.err(
                Diagnostic::error(
                    "outside-root",
                    format!("the link `{dest}` points outside the content folder"),
                )
                .help("link to pages and files inside `content/`"),
                r,
            );
            return dest.clone();
        };
        let hash = anchor.as_ref().map(|a| format!("#{a}")).unwrap_or_default();
        if path.ends_with(".md") {
            let page = page_url(&path).filter(|_| self.env.files.contains(&path));
            let Some(page) = page else {
                self.err(
                    Diagnostic::error("broken-link", format!("the link `{dest}` points to a page that does not exist"))
                        .help("link to a guide's `_index.md` or a channel file such as `wechat.md`, relative to this file"),
                    r,
                );
                return dest.clone();
            };
            self.out.links.push(PageLink {
                page: page.clone(),
                anchor,
                span: r,
            });
            return CowStr::from(format!("{ROOT_MARKER}{page}index.html{hash}"));
        }
        let is_dir = path.is_empty() || decoded.ends_with('/');
        if is_dir
            || self
                .env
                .files
                .iter()
                .any(|f| f.starts_with(&format!("{path}/")))
        {
            // a folder link such as `../other-guide/`: fine if it is a guide
            let page = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            if page.is_empty() || self.env.files.contains(&format!("{path}/_index.md")) {
                self.out.links.push(PageLink {
                    page: page.clone(),
                    anchor,
                    span: r,
                });
                return CowStr::from(format!("{ROOT_MARKER}{page}index.html{hash}"));
            }
        }
        if !self.env.files.contains(&path) {
            if let Some(d) = validate::system_path(&decoded, "link") {
                self.err(d, r);
                return dest.clone();
            }
            self.err(
                Diagnostic::error(
                    "broken-link",
                    format!("the link `{dest}` points to a file that does not exist"),
                )
                .help("check the file name and that the path is relative to this Markdown file"),
                r,
            );
            return dest.clone();
        }
        self.out.assets.push(path.clone());
        CowStr::from(format!("{ROOT_MARKER}{}{hash}", encode_path(&path)))
    }
}

fn callout(k: BlockQuoteKind) -> CalloutKind {
    match k {
        BlockQuoteKind::Note => CalloutKind::Note,
        BlockQuoteKind::Tip => CalloutKind::Tip,
        BlockQuoteKind::Important => CalloutKind::Important,
        BlockQuoteKind::Warning => CalloutKind::Warning,
        BlockQuoteKind::Caution => CalloutKind::Caution,
    }
}

fn plain_text(evs: &[Spanned<'_>]) -> String {
    evs.iter()
        .filter_map(|(e, _)| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            Event::SoftBreak | Event::HardBreak => Some(" "),
            _ => None,
        })
        .collect()
}

/// Index of the `End` matching the `Start` at `start`.
fn find_end(events: &[Spanned<'_>], start: usize) -> usize {
    let mut depth = 0usize;
    for (i, (ev, _)) in events.iter().enumerate().skip(start) {
        match ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    events.len() - 1
}

/// Splits the written HTML at the markers into intro, steps and nested blocks.
fn assemble(
    html: &str,
    components: Vec<Component>,
    titles: Vec<(Option<String>, String, usize)>,
    out: &mut Rendered,
    env: &Env<'_>,
) {
    let mut components: Vec<Option<Component>> = components.into_iter().map(Some).collect();
    // stack of open block lists: the bottom one is the current step body (or the intro)
    let mut stack: Vec<(Option<CalloutKind>, Vec<Block>)> = vec![(None, Vec::new())];
    let mut steps: Vec<Step> = Vec::new();
    let mut title_html: Option<String> = None;
    let mut in_title = false;
    let mut titles = titles.into_iter();
    let finish = |stack: &mut Vec<(Option<CalloutKind>, Vec<Block>)>| -> Vec<Block> {
        while stack.len() > 1 {
            let (kind, body) = stack.pop().unwrap();
            stack.last_mut().unwrap().1.push(Block::Callout {
                kind: kind.unwrap_or(CalloutKind::Note),
                body,
            });
        }
        std::mem::take(&mut stack[0].1)
    };
    for (n, piece) in html.split(M).enumerate() {
        if n % 2 == 0 {
            if in_title {
                title_html.get_or_insert_default().push_str(piece);
            } else if !piece.trim().is_empty() {
                let list = &mut stack.last_mut().unwrap().1;
                match list.last_mut() {
                    Some(Block::Html(h)) => h.push_str(piece),
                    _ => list.push(Block::Html(piece.trim_start_matches('\n').to_string())),
                }
            }
            continue;
        }
        match piece.as_bytes().first() {
            Some(b'S') => {
                let body = finish(&mut stack);
                match steps.last_mut() {
                    Some(s) => s.body = body,
                    None => out.intro = body,
                }
                in_title = true;
                title_html = Some(String::new());
            }
            Some(b'T') => {
                in_title = false;
                let (id, title_text, line) = titles.next().unwrap_or_default();
                let number = steps.len() + 1;
                steps.push(Step {
                    number,
                    anchor: id.unwrap_or_else(|| format!("step-{number}")),
                    title_html: title_html.take().unwrap_or_default().trim().to_string(),
                    title_text,
                    body: Vec::new(),
                    line,
                });
            }
            Some(b'I') => {
                let idx: usize = piece[1..].parse().unwrap_or(usize::MAX);
                if let Some(c) = components.get_mut(idx).and_then(Option::take) {
                    stack.last_mut().unwrap().1.push(match c {
                        Component::Figure(f) => Block::Figure(f),
                        Component::Slot(s) => Block::Slot(s),
                    });
                }
            }
            Some(b'C') => {
                let kind = match &piece[1..] {
                    "tip" => CalloutKind::Tip,
                    "important" => CalloutKind::Important,
                    "warning" => CalloutKind::Warning,
                    "caution" => CalloutKind::Caution,
                    _ => CalloutKind::Note,
                };
                stack.push((Some(kind), Vec::new()));
            }
            Some(b'E') if stack.len() > 1 => {
                let (kind, body) = stack.pop().unwrap();
                stack.last_mut().unwrap().1.push(Block::Callout {
                    kind: kind.unwrap_or(CalloutKind::Note),
                    body,
                });
            }
            _ => {}
        }
    }
    let body = finish(&mut stack);
    match steps.last_mut() {
        Some(s) => s.body = body,
        None => out.intro = body,
    }
    // duplicate anchors within a channel
    let mut seen = HashSet::new();
    for s in &steps {
        if !seen.insert(s.anchor.clone()) {
            let off = env.file.line_offset(s.line).unwrap_or(0);
            out.diagnostics.push(
                Diagnostic::error(
                    "duplicate-anchor",
                    format!("two steps have the anchor `{}`", s.anchor),
                )
                .at(env.file, off..off + 2)
                .help("give each step a different `{#id}`"),
            );
        }
    }
    // the model holds every page's HTML until it is rendered: no room to grow into
    let shrink = |blocks: &mut Vec<Block>| {
        blocks.shrink_to_fit();
        walk_mut(blocks, &mut |b| {
            if let Block::Html(h) = b {
                h.shrink_to_fit();
            }
            if let Some(children) = b.children_mut() {
                children.shrink_to_fit();
            }
        });
    };
    shrink(&mut out.intro);
    for s in &mut steps {
        shrink(&mut s.body);
    }
    out.steps = steps;
}

mod emphasis;
#[cfg(test)]
mod tests;
