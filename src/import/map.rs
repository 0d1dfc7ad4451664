//! Mapping a [`Document`] to a guide: the title (and its 附件 label), the intro (notices as
//! callouts), one channel per top-level section ("一、…" or the document's heading style), one
//! step per numbered paragraph of a section (Word's automatic numbers and typed ones alike), and
//! each picture named `images/CHANNEL-N.EXT` at its place. Every guess is a [`Note`] with its
//! place in the document. The rules are documented in docs/import.md.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::docx::{Block, Document, Inline, Paragraph, Picture, Table, plain};
use crate::content::validate::{REVIEW_MARK, alt_text};
use crate::images::EXTENSIONS;

/// The guide import makes, ready to be written.
#[derive(Debug, Clone, Default)]
pub struct Guide {
    pub title: String,
    pub attachment: Option<String>,
    /// The `_index.md` body (Markdown).
    pub intro: String,
    pub channels: Vec<Channel>,
    /// Files of `images/`, by name.
    pub images: Vec<(String, Vec<u8>)>,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, Default)]
pub struct Channel {
    pub id: String,
    pub title: String,
    pub note: Option<String>,
    /// Text before the first step (Markdown).
    pub intro: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default)]
pub struct Step {
    pub title: String,
    pub body: String,
    pub pictures: usize,
    /// Pictures kept whose format a page cannot show: the step shows slots for them.
    pub slots: usize,
}

/// Something import guessed or could not map, with its place in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// A stable name: `number-skip`, `alt-to-review`, `channel-id`, `picture-outside-step`,
    /// `unsupported-picture`, `empty-step`, `no-steps`, `dropped-text`, `one-channel`.
    pub kind: &'static str,
    /// 1-based paragraph of the document (0: the document as a whole).
    pub paragraph: usize,
    /// The paragraph's first words.
    pub words: String,
    pub message: String,
}

/// The kinds of number a paragraph can start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 一、
    Chinese,
    /// （一）
    ChineseParen,
    /// 1. 1、 1)
    Decimal,
    /// （1）
    DecimalParen,
    /// ①
    Circled,
    /// 第一步
    StepWord,
    /// a Word bullet or another format
    Other,
}

/// A paragraph's number: Word's or typed.
#[derive(Debug, Clone)]
struct Label {
    kind: Kind,
    value: u32,
    /// Word's list and level, for automatic numbers.
    list: Option<(String, u8)>,
    /// The inlines without the typed number.
    rest: Vec<Inline>,
    bullet: bool,
}

static TYPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^\s*(?:",
        r"第\s*(?P<step>[一二三四五六七八九十百零]+|\d{1,3})\s*步\s*[:：、．.]?",
        r"|(?P<cn>[一二三四五六七八九十百零]{1,4})\s*[、．.]",
        r"|[（(]\s*(?P<cnp>[一二三四五六七八九十百零]{1,4})\s*[）)]\s*[、．.]?",
        r"|[（(]\s*(?P<dp>\d{1,3})\s*[）)]\s*[、．.]?",
        r"|(?P<d>\d{1,3})\s*(?:[.．、)）](?:[^\d]|$))",
        r"|(?P<c>[①-⑳])",
        r")\s*"
    ))
    .unwrap()
});

/// The value of a Chinese numeral up to 九百九十九.
fn chinese_value(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32)
    };
    let mut total = 0;
    let mut cur = 0;
    for c in s.chars() {
        match c {
            '十' => {
                total += if cur == 0 { 10 } else { cur * 10 };
                cur = 0;
            }
            '百' => {
                total += cur.max(1) * 100;
                cur = 0;
            }
            c => cur = digit(c)?,
        }
    }
    Some(total + cur)
}

/// The typed number at the start of `text`: its kind, value and byte length.
fn typed(text: &str) -> Option<(Kind, u32, usize)> {
    let m = TYPED.captures(text)?;
    let whole = m.get(0)?;
    let (kind, value) = if let Some(s) = m.name("step") {
        (
            Kind::StepWord,
            s.as_str()
                .parse()
                .ok()
                .or_else(|| chinese_value(s.as_str()))?,
        )
    } else if let Some(s) = m.name("cn") {
        (Kind::Chinese, chinese_value(s.as_str())?)
    } else if let Some(s) = m.name("cnp") {
        (Kind::ChineseParen, chinese_value(s.as_str())?)
    } else if let Some(s) = m.name("dp") {
        (Kind::DecimalParen, s.as_str().parse().ok()?)
    } else if let Some(s) = m.name("d") {
        (Kind::Decimal, s.as_str().parse().ok()?)
    } else {
        let c = m.name("c")?.as_str().chars().next()?;
        (Kind::Circled, c as u32 - '①' as u32 + 1)
    };
    // the decimal pattern looked one character past the mark: give it back
    let mut end = whole.end();
    if m.name("d").is_some() {
        let s = &text[..end];
        if let Some(last) = s.chars().last()
            && !matches!(last, '.' | '．' | '、' | ')' | '）')
            && !last.is_whitespace()
        {
            end -= last.len_utf8();
        }
    }
    Some((kind, value, end))
}

/// Drops the first `n` bytes of the text of `inlines`.
fn drop_prefix(inlines: &[Inline], mut n: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    for i in inlines {
        match i {
            Inline::Text { text, bold, italic } if n > 0 => {
                if text.len() <= n {
                    n -= text.len();
                } else {
                    let cut = (n..=text.len())
                        .find(|k| text.is_char_boundary(*k))
                        .unwrap_or(text.len());
                    out.push(Inline::Text {
                        text: text[cut..].to_string(),
                        bold: *bold,
                        italic: *italic,
                    });
                    n = 0;
                }
            }
            Inline::Link { text, .. } if n > 0 => n = n.saturating_sub(text.len()),
            i => out.push(i.clone()),
        }
    }
    trim_start(out)
}

fn trim_start(mut v: Vec<Inline>) -> Vec<Inline> {
    while let Some(Inline::Text { text, .. }) = v.first_mut() {
        let t = text.trim_start();
        if t.is_empty() {
            v.remove(0);
        } else {
            *text = t.to_string();
            break;
        }
    }
    v
}

fn label(p: &Paragraph) -> Option<Label> {
    if let Some(n) = &p.number {
        let bullet = n.format == "bullet" || n.text.trim().is_empty();
        let (kind, value) = match typed(&format!("{} ", n.text)) {
            Some((k, _, _)) if !bullet => (k, n.value),
            _ => (Kind::Other, n.value),
        };
        // a number typed after Word's own one ("1. 1. 登录") is dropped too
        let text = plain(&p.inlines);
        let rest = match typed(&text) {
            Some((k, v, len)) if k == kind && v == value => drop_prefix(&p.inlines, len),
            _ => trim_start(p.inlines.clone()),
        };
        return Some(Label {
            kind,
            value,
            list: Some((n.list.clone(), n.level)),
            rest,
            bullet,
        });
    }
    let text = plain(&p.inlines);
    let (kind, value, len) = typed(&text)?;
    Some(Label {
        kind,
        value,
        list: None,
        rest: drop_prefix(&p.inlines, len),
        bullet: false,
    })
}

/// The first words of a paragraph, for the report.
pub fn first_words(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = t.chars().take(24).collect();
    if t.chars().count() > 24 {
        s.push('…');
    }
    s
}

static ATTACHMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*附\s*件\s*([0-9０-９]+|[一二三四五六七八九十]+)\s*[:：]?\s*").unwrap()
});
static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(特别提示|重要提示|注意事项|特别注意|注意|温馨提示|提示|说明)\s*[:：]?\s*")
        .unwrap()
});
static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:图|Figure|Fig\.?)\s*[0-9０-９一二三四五六七八九十\-－.]+\s*[:：、.．]?\s*")
        .unwrap()
});
static TRAILING_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<title>.*?)\s*[（(](?P<note>[^（）()]+)[）)]\s*$").unwrap());

/// The channel id for a section title: the well-known names, most specific first.
fn known_id(title: &str) -> Option<&'static str> {
    let t = title.to_lowercase();
    let table: [(&str, &[&str]); 5] = [
        ("wecom", &["企业微信"]),
        ("miniprogram", &["小程序"]),
        ("wechat", &["微信", "公众号"]),
        ("app", &["app", "客户端", "手机"]),
        ("web", &["网站", "网页", "pc", "电脑", "官网"]),
    ];
    table
        .iter()
        .find(|(_, words)| words.iter().any(|w| t.contains(w)))
        .map(|(id, _)| *id)
        // "学信网学信档案": the name of a website (…网) with no other channel word
        .or_else(|| t.contains('网').then_some("web"))
}

/// Escapes what Markdown would read as syntax in plain text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes what would start a list or a heading at the start of a line.
fn escape_line_start(s: String) -> String {
    static LIST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,9})([.)])").unwrap());
    if let Some(m) = LIST.captures(&s) {
        let n = m[1].len();
        return format!("{}\\{}", &s[..n], &s[n..]);
    }
    if s.starts_with(['-', '+', '=']) {
        return format!("\\{s}");
    }
    s
}

/// The Markdown of text inlines (pictures left out): bold as `**…**`, links, line breaks.
fn markdown(inlines: &[Inline]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < inlines.len() {
        match &inlines[i] {
            Inline::Text { bold, italic, .. } => {
                let (b, it) = (*bold, *italic);
                let mut s = String::new();
                while let Some(Inline::Text { text, bold, italic }) = inlines.get(i) {
                    if *bold != b || *italic != it {
                        break;
                    }
                    s.push_str(text);
                    i += 1;
                }
                let core = s.trim();
                if (b || it) && !core.is_empty() {
                    let lead = &s[..s.len() - s.trim_start().len()];
                    let trail = &s[s.trim_end().len()..];
                    let mark = if b { "**" } else { "*" };
                    out.push_str(&format!("{lead}{mark}{}{mark}{trail}", escape(core)));
                } else {
                    out.push_str(&escape(&s));
                }
                continue;
            }
            Inline::Link { text, url } => {
                let url = if url.contains([' ', '(', ')', '<', '>']) {
                    format!("<{}>", url.replace(['<', '>'], ""))
                } else {
                    url.clone()
                };
                let text = if text.trim().is_empty() {
                    url.clone()
                } else {
                    escape(text.trim())
                };
                out.push_str(&format!("[{text}]({url})"));
            }
            Inline::Break => out.push_str("\\\n"),
            Inline::Picture(_) | Inline::Dropped(_) => {}
        }
        i += 1;
    }
    let out = out.trim().trim_end_matches('\\').trim_end().to_string();
    escape_line_start(out)
}

fn table_md(t: &Table) -> String {
    let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return String::new();
    }
    let cell = |c: Option<&Vec<Inline>>| {
        c.map(|c| markdown(c).replace("\\\n", "<br>").replace('\n', " "))
            .unwrap_or_default()
    };
    let mut s = String::new();
    for (r, row) in t.rows.iter().enumerate() {
        s.push('|');
        for k in 0..cols {
            s.push_str(&format!(" {} |", cell(row.get(k))));
        }
        s.push('\n');
        if r == 0 {
            s.push('|');
            s.push_str(&" --- |".repeat(cols));
            s.push('\n');
        }
    }
    s
}

/// Where text and pictures go while a section is read.
struct Sink<'g> {
    guide: &'g mut Guide,
}

/// Maps the document to a guide.
pub fn map(doc: &Document) -> Guide {
    let mut guide = Guide::default();
    let blocks = &doc.blocks;
    let paras: Vec<(usize, &Paragraph)> = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| match b {
            Block::Paragraph(p) => Some((i, p)),
            _ => None,
        })
        .collect();
    let labels: Vec<Option<Label>> = blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(p) => label(p),
            _ => None,
        })
        .collect();

    // the title: a Title-styled paragraph, else the first paragraph with text
    let title_at = paras
        .iter()
        .find(|(_, p)| p.heading == Some(0) && !p.text().trim().is_empty())
        .or_else(|| paras.iter().find(|(_, p)| !p.text().trim().is_empty()))
        .map(|(i, _)| *i);
    let mut first_body = 0;
    if let Some(t) = title_at {
        let Block::Paragraph(p) = &blocks[t] else {
            unreachable!()
        };
        let text = p.text();
        let text = text.trim();
        first_body = t + 1;
        match ATTACHMENT.captures(text) {
            Some(m) => {
                guide.attachment = Some(format!("附件 {}", &m[1]));
                let rest = text[m.get(0).unwrap().end()..].trim();
                if rest.is_empty() {
                    // "附件 2" on its own line, the title on the next
                    if let Some((i, p)) = paras
                        .iter()
                        .find(|(i, p)| *i > t && !p.text().trim().is_empty())
                    {
                        guide.title = p.text().trim().to_string();
                        first_body = i + 1;
                    }
                } else {
                    guide.title = rest.to_string();
                }
            }
            None => guide.title = text.to_string(),
        }
    }

    // the channels: "一、" sections with numbered paragraphs below, else headings
    let is_chinese = |i: usize| labels[i].as_ref().is_some_and(|l| l.kind == Kind::Chinese);
    let numbered_below = |i: usize| {
        (i + 1..blocks.len()).any(|k| {
            labels[k]
                .as_ref()
                .is_some_and(|l| !l.bullet && l.kind != Kind::Chinese)
        })
    };
    let mut heads: Vec<usize> = (first_body..blocks.len())
        .filter(|&i| is_chinese(i))
        .collect();
    if heads.first().is_some_and(|&h| !numbered_below(h)) {
        heads.clear(); // "一、二、三" are the steps of one procedure
    }
    if heads.is_empty() {
        let level = (first_body..blocks.len())
            .filter_map(|i| match &blocks[i] {
                Block::Paragraph(p) if !p.text().trim().is_empty() => p.heading.filter(|h| *h >= 1),
                _ => None,
            })
            .min();
        if let Some(level) = level {
            heads = (first_body..blocks.len())
                .filter(|&i| matches!(&blocks[i], Block::Paragraph(p) if p.heading == Some(level) && !p.text().trim().is_empty()))
                .collect();
        }
    }

    let mut sink = Sink { guide: &mut guide };
    for (_, p) in &paras {
        for i in &p.inlines {
            if let Inline::Dropped(text) = i {
                sink.note("dropped-text", Some(p), format!("the text box “{}” is not imported: copy its text into the guide if it matters", first_words(text)));
            }
        }
    }
    let intro_end = heads.first().copied().unwrap_or(blocks.len());
    if heads.is_empty() {
        // one procedure: the intro is what comes before its first step
        let first_step =
            (first_body..blocks.len()).find(|&i| labels[i].as_ref().is_some_and(|l| !l.bullet));
        let end = first_step.unwrap_or(blocks.len());
        sink.guide.intro = sink.intro(&blocks[first_body..end], &labels[first_body..end]);
        let title = sink.guide.title.clone();
        let id = known_id(&title);
        let p = paras.first().map(|(_, p)| *p);
        if id.is_none() {
            sink.note("channel-id", p, "the channel's address `channel-1` was made up: rename the file `channel-1.md` to what it is (for example `web.md`, `wechat.md`, `app.md`)".to_string());
        }
        sink.note("one-channel", p, "the document has no channel headings (一、二、… or a heading style): it became a guide with one channel".to_string());
        let ch = sink.section(
            id.unwrap_or("channel-1").to_string(),
            title,
            None,
            &blocks[end..],
            &labels[end..],
        );
        sink.guide.channels.push(ch);
    } else {
        sink.guide.intro = sink.intro(
            &blocks[first_body..intro_end],
            &labels[first_body..intro_end],
        );
        for (k, &h) in heads.iter().enumerate() {
            let end = heads.get(k + 1).copied().unwrap_or(blocks.len());
            let Block::Paragraph(p) = &blocks[h] else {
                continue;
            };
            let text = match &labels[h] {
                Some(l) if l.kind == Kind::Chinese => plain(&l.rest),
                _ => p.text(),
            };
            let text = text.trim().to_string();
            let (title, note) = match TRAILING_NOTE.captures(&text) {
                Some(m) if !m["title"].trim().is_empty() => (
                    m["title"].trim().to_string(),
                    Some(m["note"].trim().to_string()),
                ),
                _ => (text.clone(), None),
            };
            let mut id = known_id(&title)
                .or_else(|| note.as_deref().and_then(known_id))
                .map(str::to_string);
            let taken = |id: &str, g: &Guide| g.channels.iter().any(|c| c.id == id);
            if let Some(base) = id.clone().filter(|i| taken(i, sink.guide)) {
                let n = (2..)
                    .find(|n| !taken(&format!("{base}-{n}"), sink.guide))
                    .unwrap();
                let new = format!("{base}-{n}");
                sink.note("channel-id", Some(p), format!("two channels read as `{base}`: this one is `{new}`; rename its file to what it is"));
                id = Some(new);
            }
            let id = id.unwrap_or_else(|| {
                let new = format!("channel-{}", k + 1);
                sink.note("channel-id", Some(p), format!("the channel's address `{new}` was made up: rename the file `{new}.md` to what it is (for example `web.md`, `wechat.md`, `app.md`) and its name in `channels` of `_index.md`"));
                new
            });
            let ch = sink.section(id, title, note, &blocks[h + 1..end], &labels[h + 1..end]);
            sink.guide.channels.push(ch);
        }
    }
    guide
}

impl Sink<'_> {
    fn note(&mut self, kind: &'static str, p: Option<&Paragraph>, message: String) {
        self.guide.notes.push(Note {
            kind,
            paragraph: p.map_or(0, |p| p.index),
            words: p
                .map(|p| match first_words(&p.text()) {
                    w if w.is_empty() && p.pictures().next().is_some() => "(a picture)".to_string(),
                    w => w,
                })
                .unwrap_or_default(),
            message,
        });
    }

    /// The guide's intro: notices (特别提示：…) as callouts with the numbered lines after them.
    fn intro(&mut self, blocks: &[Block], labels: &[Option<Label>]) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut callout: Option<Vec<String>> = None;
        let mut pics = 0;
        for (b, l) in blocks.iter().zip(labels) {
            let Block::Paragraph(p) = b else {
                if let Block::Table(t) = b {
                    out.extend(callout.take().map(|c| c.join("\n")));
                    out.push(table_md(t));
                }
                continue;
            };
            for pic in p.pictures() {
                pics += 1;
                let stem = if pics == 1 {
                    "intro".to_string()
                } else {
                    format!("intro-{pics}")
                };
                let md = self.picture_named(pic, &stem, &self.guide.title.clone(), p);
                self.note(
                    "picture-outside-step",
                    Some(p),
                    format!(
                        "a picture before the first channel: kept in the guide's intro as `{}`",
                        md.1
                    ),
                );
                out.extend(callout.take().map(|c| c.join("\n")));
                out.push(md.0);
            }
            let text = p.text();
            if text.trim().is_empty() {
                continue;
            }
            if let Some(m) = NOTICE.captures(&text) {
                out.extend(callout.take().map(|c| c.join("\n")));
                let kind = match &m[1] {
                    "温馨提示" | "提示" => "TIP",
                    "说明" => "NOTE",
                    _ => "IMPORTANT",
                };
                let rest = drop_prefix(&p.inlines, m.get(0).unwrap().end());
                let mut lines = vec![format!("> [!{kind}]")];
                let rest = self.line(&rest, typed(&plain(&rest)).map(|(k, v, _)| (k, v)));
                if !rest.is_empty() {
                    lines.push(format!("> {rest}"));
                }
                callout = Some(lines);
                continue;
            }
            let md = match l {
                Some(l) => self.labelled(l),
                None => markdown(&p.inlines),
            };
            match (&mut callout, l) {
                (Some(c), Some(_)) => c.push(format!("> {md}")),
                _ => {
                    out.extend(callout.take().map(|c| c.join("\n")));
                    out.push(md);
                }
            }
        }
        out.extend(callout.take().map(|c| c.join("\n")));
        out.retain(|s| !s.is_empty());
        out.join("\n\n")
    }

    /// Markdown of a line that starts with a typed number of `kind`: a list item for decimals.
    fn line(&self, inlines: &[Inline], kind: Option<(Kind, u32)>) -> String {
        match kind {
            Some((Kind::Decimal, v)) => {
                let t = plain(inlines);
                let len = typed(&t).map_or(0, |x| x.2);
                format!("{v}. {}", markdown(&drop_prefix(inlines, len)))
            }
            _ => markdown(inlines),
        }
    }

    /// A numbered paragraph that is not a step: its number kept as text (or a list item).
    fn labelled(&self, l: &Label) -> String {
        let body = markdown(&l.rest);
        if l.bullet {
            return format!("- {body}");
        }
        let mark = match l.kind {
            Kind::Decimal => return format!("{}. {body}", l.value),
            Kind::Chinese => format!("{}、", super::docx::chinese(l.value)),
            Kind::ChineseParen => format!("（{}）", super::docx::chinese(l.value)),
            Kind::DecimalParen => format!("（{}）", l.value),
            Kind::Circled => super::docx::format_number(l.value, "decimalEnclosedCircle"),
            Kind::StepWord => format!("第{}步：", super::docx::chinese(l.value)),
            Kind::Other => String::new(),
        };
        format!("{mark}{body}")
    }

    /// A picture saved as `images/STEM.EXT`, and its Markdown with an alt text marked for
    /// review; a format pages cannot show is kept, and a slot asks for `images/STEM.png`.
    fn picture_named(
        &mut self,
        pic: &Picture,
        stem: &str,
        near: &str,
        p: &Paragraph,
    ) -> (String, String) {
        let ext = if pic.ext == "jpeg" {
            "jpg".to_string()
        } else {
            pic.ext.clone()
        };
        let file = format!("images/{stem}.{ext}");
        self.guide.images.push((file.clone(), pic.bytes.clone()));
        let described = pic
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| alt_text(d, &file).is_none());
        let alt = described.map(str::to_string).unwrap_or_else(|| {
            let near = near.trim();
            if near.is_empty() {
                "截图".to_string()
            } else {
                near.to_string()
            }
        });
        let alt = alt.replace(['[', ']'], "").replace('\n', " ");
        if EXTENSIONS.contains(&ext.as_str()) {
            self.note("alt-to-review", Some(p), format!("`{file}`: its description “{alt}” was taken from the document; check it and remove “{REVIEW_MARK}”"));
            (format!("![{REVIEW_MARK}{alt}]({file})"), file)
        } else {
            let slot = format!("images/{stem}.png");
            self.note("unsupported-picture", Some(p), format!("`{file}` is a {} picture, which web pages cannot show: it is kept, and the step shows a slot for `{slot}`; save the picture as PNG (in Word: right-click › 另存为图片) or take the screenshot again", ext.to_uppercase()));
            (
                format!(
                    "![{REVIEW_MARK}{alt}（原图为 {} 格式，网页无法显示，请另存为 PNG 或重新截图）]({slot})",
                    ext.to_uppercase()
                ),
                file,
            )
        }
    }

    /// One channel: the section's blocks after its heading.
    fn section(
        &mut self,
        id: String,
        title: String,
        note: Option<String>,
        blocks: &[Block],
        labels: &[Option<Label>],
    ) -> Channel {
        // the steps' kind: that of the first numbered paragraph (for Word's numbers, its level)
        let first = labels
            .iter()
            .flatten()
            .find(|l| !l.bullet && l.kind != Kind::Other);
        let step_kind = first.map(|l| (l.kind, l.list.as_ref().map(|(_, lv)| *lv)));
        let is_step = |l: &Option<Label>| match (l, step_kind) {
            (Some(l), Some((k, lv))) if !l.bullet && l.kind == k => {
                lv.is_none() || l.list.is_none() || l.list.as_ref().map(|(_, v)| *v) == lv
            }
            _ => false,
        };
        // no numbers at all: sub-headings are the steps
        let sub_heading = (first.is_none())
            .then(|| {
                blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Paragraph(p) if !p.text().trim().is_empty() => {
                            p.heading.filter(|h| *h >= 1)
                        }
                        _ => None,
                    })
                    .min()
            })
            .flatten();
        let step_at = |i: usize| match (&blocks[i], sub_heading) {
            (Block::Paragraph(p), Some(h)) => p.heading == Some(h) && !p.text().trim().is_empty(),
            _ => is_step(&labels[i]),
        };
        let mut ch = Channel {
            id: id.clone(),
            title,
            note,
            ..Default::default()
        };
        let mut body: Vec<String> = Vec::new();
        let mut current: Option<(Step, &Paragraph, usize)> = None;
        let mut intro_pics = 0;
        let mut last_text = String::new();
        let flush = |cur: &mut Option<(Step, &Paragraph, usize)>,
                     body: &mut Vec<String>,
                     ch: &mut Channel,
                     sink: &mut Self| {
            if let Some((mut s, p, _)) = cur.take() {
                body.retain(|b| !b.is_empty());
                s.body = body.join("\n\n");
                if s.body.trim().is_empty() && s.pictures == 0 {
                    sink.note(
                        "empty-step",
                        Some(p),
                        format!("step {} has no text and no picture", ch.steps.len() + 1),
                    );
                }
                ch.steps.push(s);
            } else {
                body.retain(|b| !b.is_empty());
                ch.intro = body.join("\n\n");
            }
            body.clear();
        };
        let mut i = 0;
        while i < blocks.len() {
            let b = &blocks[i];
            if step_at(i) {
                let Block::Paragraph(p) = b else {
                    unreachable!()
                };
                flush(&mut current, &mut body, &mut ch, self);
                let n = ch.steps.len() + 1;
                let (rest, value) = match &labels[i] {
                    Some(l) if sub_heading.is_none() => (l.rest.clone(), Some(l.value)),
                    _ => (p.inlines.clone(), None),
                };
                if let Some(v) = value
                    && v as usize != n
                {
                    self.note("number-skip", Some(p), format!("this step is numbered {v} in the document but is step {n} of “{}”: the guide numbers it {n}", ch.title));
                }
                // the title is the first line; more lines start the body
                let (title, more) = match rest.iter().position(|x| matches!(x, Inline::Break)) {
                    Some(k) => (rest[..k].to_vec(), rest[k + 1..].to_vec()),
                    None => (rest.clone(), Vec::new()),
                };
                let title_text: Vec<Inline> = title
                    .iter()
                    .filter(|x| !matches!(x, Inline::Picture(_)))
                    .cloned()
                    .collect();
                let step = Step {
                    title: markdown(&title_text).replace("\\\n", " "),
                    ..Default::default()
                };
                last_text = plain(&title_text).trim().to_string();
                current = Some((step, p, 0));
                let more_md = markdown(&more);
                if !more_md.is_empty() {
                    body.push(more_md);
                }
                for pic in p.pictures() {
                    let alt = last_text.clone();
                    let md = self.step_picture(
                        &mut current,
                        &id,
                        ch.steps.len() + 1,
                        pic,
                        &alt,
                        p,
                        &mut intro_pics,
                    );
                    body.push(md);
                }
                i += 1;
                continue;
            }
            match b {
                Block::Table(t) => body.push(table_md(t)),
                Block::Paragraph(p) => {
                    // text and pictures in the paragraph's order
                    let mut text: Vec<Inline> = Vec::new();
                    let mut pending: Vec<&Picture> = Vec::new();
                    for x in &p.inlines {
                        match x {
                            Inline::Picture(pic) => pending.push(pic),
                            x => text.push(x.clone()),
                        }
                    }
                    let t = plain(&text);
                    if !t.trim().is_empty() {
                        let md = match &labels[i] {
                            Some(l) => self.labelled(l),
                            None => markdown(&text),
                        };
                        body.push(md);
                        last_text = t.trim().to_string();
                    }
                    for pic in pending {
                        // a caption right after the picture ("图 1 …" or the Caption style)
                        let mut alt = last_text.clone();
                        if let Some(Block::Paragraph(next)) = blocks.get(i + 1) {
                            let nt = next.text();
                            let caption_style = next
                                .style
                                .as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case("caption") || s == "题注");
                            if (caption_style || CAPTION.is_match(&nt)) && !step_at(i + 1) {
                                alt = CAPTION.replace(nt.trim(), "").trim().to_string();
                                i += 1;
                            }
                        }
                        let md = self.step_picture(
                            &mut current,
                            &id,
                            ch.steps.len() + 1,
                            pic,
                            &alt,
                            p,
                            &mut intro_pics,
                        );
                        body.push(md);
                    }
                }
            }
            i += 1;
        }
        flush(&mut current, &mut body, &mut ch, self);
        if ch.steps.is_empty() {
            self.note(
                "no-steps",
                None,
                format!(
                    "the channel “{}” has no numbered paragraphs: it has no steps",
                    ch.title
                ),
            );
        }
        ch
    }

    #[allow(clippy::too_many_arguments)]
    fn step_picture(
        &mut self,
        current: &mut Option<(Step, &Paragraph, usize)>,
        id: &str,
        n: usize,
        pic: &Picture,
        alt: &str,
        p: &Paragraph,
        intro_pics: &mut usize,
    ) -> String {
        match current {
            Some((s, _, k)) => {
                *k += 1;
                s.pictures += 1;
                let stem = if *k == 1 {
                    format!("{id}-{n}")
                } else {
                    format!("{id}-{n}-{k}")
                };
                let (md, file) = self.picture_named(pic, &stem, alt, p);
                if !file
                    .rsplit('.')
                    .next()
                    .is_some_and(|e| EXTENSIONS.contains(&e))
                {
                    s.slots += 1;
                }
                md
            }
            None => {
                *intro_pics += 1;
                let stem = if *intro_pics == 1 {
                    format!("{id}-0")
                } else {
                    format!("{id}-0-{intro_pics}")
                };
                let (md, file) = self.picture_named(pic, &stem, alt, p);
                self.note("picture-outside-step", Some(p), format!("a picture before the first step of the channel: kept as `{file}` in the channel's introduction"));
                md
            }
        }
    }
}
