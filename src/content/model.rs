//! The site model: what a site *is*, independent of how it is stored or shown.
//!
//! A *guide* is one task ("学信网图像采集码获取流程"), a folder of `content/`. A *channel* is one
//! way of doing it (the website, the WeChat account, the app), a Markdown file in that folder.
//! A *step* is one `##` heading of a channel with what follows it. A *slot* is a screenshot the
//! Markdown asks for whose file does not exist yet. The model is built once and then only read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::frontmatter::Date;

/// A guide's id: its folder name, an ASCII slug, and the first segment of its URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GuideId(pub String);

/// A channel's id: its file stem, an ASCII slug, unique within its guide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

/// The screen a channel's screenshots come from; it sets their frame and the slot's shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Phone,
    Desktop,
}

/// `site.toml`.
#[derive(Debug, Clone, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The picture a shared link shows (a square PNG or JPEG, path from the site folder); a
    /// generated card when absent (see `links::card`).
    #[serde(default)]
    pub share_image: Option<String>,
    /// Defaults per channel id, shared by every guide.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelDefaults>,
    /// The search field and index (`search/`); `search = false` leaves both out.
    #[serde(default = "yes")]
    pub search: bool,
}

fn yes() -> bool {
    true
}

fn default_language() -> String {
    "zh-CN".into()
}

#[derive(Debug, Clone, Hash, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDefaults {
    pub name: Option<String>,
    pub device: Option<Device>,
    pub order: Option<i64>,
}

/// Front matter of `content/GUIDE/_index.md`.
#[derive(Debug, Clone, PartialEq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideMeta {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub attachment: Option<String>,
    #[serde(default)]
    pub updated: Option<Date>,
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub draft: bool,
    /// Old URL paths (`/old-path/`) that redirect here (see `links`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `false`: left out of the search index (the page is still published).
    #[serde(default = "yes")]
    pub search: bool,
}

/// Front matter of `content/GUIDE/CHANNEL.md`.
#[derive(Debug, Clone, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelMeta {
    pub title: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub device: Option<Device>,
    #[serde(default)]
    pub draft: bool,
    /// Old URL paths (`/old-path/`) that redirect here (see `links`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `false`: left out of the search index (the page is still published).
    #[serde(default = "yes")]
    pub search: bool,
}

/// Front matter of `content/_index.md` (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeMeta {
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub config: SiteConfig,
    pub intro: Vec<Block>,
    pub guides: Vec<Guide>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Guide {
    pub id: GuideId,
    pub meta: GuideMeta,
    /// The `_index.md` path relative to the site root.
    pub source: String,
    pub intro: Vec<Block>,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Channel {
    pub id: ChannelId,
    pub title: String,
    pub name: String,
    pub note: Option<String>,
    pub device: Device,
    pub order: Option<i64>,
    /// Path relative to the site root.
    pub source: String,
    pub intro: Vec<Block>,
    pub steps: Vec<Step>,
    /// Old URL paths that redirect here, as written in the front matter.
    pub aliases: Vec<String>,
    /// Marked `draft = true` (only built with `--drafts`): not published, not in `links.lock`.
    pub draft: bool,
    /// In the search index (front matter `search = false` says no).
    pub search: bool,
}

impl Site {
    /// Every block of the site, nested ones included, in document order: the home page's
    /// intro, then each guide's (see [`Guide::blocks`]).
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        walk(&self.intro).chain(self.guides.iter().flat_map(Guide::blocks))
    }
}

impl Guide {
    /// Every block of the guide, nested ones included, in document order: the intro, then each
    /// channel's (see [`Channel::blocks`]).
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        walk(&self.intro).chain(
            self.channels
                .iter()
                .flat_map(|c| c.blocks().map(|(_, b)| b)),
        )
    }
}

impl Channel {
    /// Every block of the intro and of the steps, nested ones included, in document order, with
    /// the step it belongs to (`None` in the intro).
    pub fn blocks(&self) -> impl Iterator<Item = (Option<&Step>, &Block)> {
        let intro = walk(&self.intro).map(|b| (None, b));
        intro.chain(
            self.steps
                .iter()
                .flat_map(|st| walk(&st.body).map(move |b| (Some(st), b))),
        )
    }

    /// The channel's slots in document order, with the step each is in (`None` in the intro).
    pub fn slots(&self) -> impl Iterator<Item = (Option<&Step>, &Slot)> {
        self.blocks()
            .filter_map(|(st, b)| b.as_slot().map(|s| (st, s)))
    }

    /// Calls `f` on every block of the intro and of the steps, nested ones included, in
    /// document order (see [`walk_mut`]).
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Block)) {
        walk_mut(&mut self.intro, f);
        for s in &mut self.steps {
            walk_mut(&mut s.body, f);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Step {
    /// 1-based position within the channel.
    pub number: usize,
    /// The anchor: `step-N`, or the author's `{#id}`.
    pub anchor: String,
    pub title_html: String,
    /// Plain-text title, for lists and diagnostics.
    pub title_text: String,
    pub body: Vec<Block>,
    /// 1-based line of the heading in the source.
    pub line: usize,
}

/// A piece of rendered Markdown. Components (figures, slots, callouts) stay values here so that
/// the theme renders them through its own templates.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Block {
    /// HTML rendered from Markdown. Site-internal URLs in it start with [`ROOT_MARKER`], and
    /// anchors of the page's own channel with [`ANCHOR_MARKER`]; the page resolves both.
    Html(String),
    Figure(Figure),
    Slot(Slot),
    Callout {
        kind: CalloutKind,
        body: Vec<Block>,
    },
}

impl Block {
    /// The blocks nested directly in this one (a callout's body); empty for the others.
    pub fn children(&self) -> &[Block] {
        match self {
            Block::Callout { body, .. } => body,
            Block::Html(_) | Block::Figure(_) | Block::Slot(_) => &[],
        }
    }

    /// The blocks nested directly in this one, to change in place; `None` for blocks that
    /// cannot hold any.
    pub fn children_mut(&mut self) -> Option<&mut Vec<Block>> {
        match self {
            Block::Callout { body, .. } => Some(body),
            Block::Html(_) | Block::Figure(_) | Block::Slot(_) => None,
        }
    }

    pub fn as_figure(&self) -> Option<&Figure> {
        match self {
            Block::Figure(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_slot(&self) -> Option<&Slot> {
        match self {
            Block::Slot(s) => Some(s),
            _ => None,
        }
    }
}

/// Every block of `blocks` and of the blocks nested in them, depth-first in document order: a
/// callout comes before its body, its body before the block after it. This is the one walk over
/// blocks; [`figures`], [`slots`], [`Channel::blocks`] and [`Guide::blocks`] are built on it.
pub fn walk(blocks: &[Block]) -> Walk<'_> {
    Walk {
        stack: vec![blocks.iter()],
    }
}

/// The iterator of [`walk`].
#[derive(Debug, Clone)]
pub struct Walk<'a> {
    /// The blocks still to visit at each level of nesting, the innermost last.
    stack: Vec<std::slice::Iter<'a, Block>>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = &'a Block;

    fn next(&mut self) -> Option<&'a Block> {
        loop {
            let level = self.stack.last_mut()?;
            match level.next() {
                Some(b) => {
                    let children = b.children();
                    if !children.is_empty() {
                        self.stack.push(children.iter());
                    }
                    return Some(b);
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// Calls `f` on every block of `blocks` and of the blocks nested in them, in the order of
/// [`walk`]. `f` sees a block before its children and may replace it: the walk then goes into
/// the children of what `f` left there.
pub fn walk_mut(blocks: &mut [Block], f: &mut impl FnMut(&mut Block)) {
    for b in blocks {
        f(b);
        if let Some(children) = b.children_mut() {
            walk_mut(children, f);
        }
    }
}

/// The figures of `blocks`, nested ones included, in document order.
pub fn figures(blocks: &[Block]) -> impl Iterator<Item = &Figure> {
    walk(blocks).filter_map(Block::as_figure)
}

/// The slots of `blocks`, nested ones included, in document order.
pub fn slots(blocks: &[Block]) -> impl Iterator<Item = &Slot> {
    walk(blocks).filter_map(Block::as_slot)
}

/// Replaced by the path from a page to the site root (`../` …).
pub const ROOT_MARKER: &str = "\u{E000}";
/// Replaced by the anchor prefix of the channel on the page (`web-` on a guide page, nothing on
/// the channel's own page).
pub const ANCHOR_MARKER: &str = "\u{E002}";

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Figure {
    /// URL from the site root, percent-encoded (prefix it with the page's root).
    pub url: String,
    /// Path relative to `content/`.
    pub path: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
    pub device: Device,
    /// 1-based line in the source.
    pub line: usize,
    /// The published variants, highlights and loading, filled in by the image stage.
    pub published: Option<Box<Published>>,
}

/// One published picture of a screenshot.
#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
pub struct Variant {
    /// URL from the site root, percent-encoded.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A highlight as the template draws it, in pixels of the full picture.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
pub struct Mark {
    pub number: usize,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// The numbered marker: centre and radius.
    pub cx: u32,
    pub cy: u32,
    pub r: u32,
    pub label: Option<String>,
}

/// What the image stage (`images`) adds to a figure.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Published {
    /// Ascending widths: 1x and 2x of the display width (fewer for small pictures).
    pub variants: Vec<Variant>,
    /// The whole picture at its own size (what a tap opens).
    pub full: Variant,
    pub marks: Vec<Mark>,
    /// Loaded at once (the first screenshot of a page) rather than lazily.
    pub eager: bool,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Slot {
    /// The description the author wrote (the image's alt text).
    pub alt: String,
    /// Where the screenshot is expected, relative to `content/`.
    pub path: String,
    pub device: Device,
    /// 1-based line in the source.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CalloutKind {
    Note,
    Tip,
    Important,
    Warning,
    Caution,
}

impl CalloutKind {
    pub fn label(self) -> &'static str {
        match self {
            CalloutKind::Note => "说明",
            CalloutKind::Tip => "提示",
            CalloutKind::Important => "重要",
            CalloutKind::Warning => "注意",
            CalloutKind::Caution => "警告",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            CalloutKind::Note => "note",
            CalloutKind::Tip => "tip",
            CalloutKind::Important => "important",
            CalloutKind::Warning => "warning",
            CalloutKind::Caution => "caution",
        }
    }
}

/// Is `s` a valid id for a URL segment: `a-z`, `0-9`, `-`, not starting or ending with `-`?
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Chinese numerals for channel headings (一、二、三 …).
pub fn number_cn(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n % 10 == 0 { "" } else { DIGITS[n % 10] }
        ),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(is_slug("xuexin-image-code"));
        assert!(is_slug("app2"));
        assert!(!is_slug("Web"));
        assert!(!is_slug("学信网"));
        assert!(!is_slug("a_b"));
        assert!(!is_slug("-a"));
    }

    fn figure(path: &str) -> Block {
        Block::Figure(Figure {
            url: format!("/{path}"),
            path: path.into(),
            alt: String::new(),
            width: 1,
            height: 1,
            device: Device::Phone,
            line: 1,
            published: None,
        })
    }

    fn slot(path: &str) -> Block {
        Block::Slot(Slot {
            alt: String::new(),
            path: path.into(),
            device: Device::Phone,
            line: 1,
        })
    }

    fn callout(body: Vec<Block>) -> Block {
        Block::Callout {
            kind: CalloutKind::Note,
            body,
        }
    }

    /// A short name for each block: its HTML, its path, or `>` for a callout.
    fn name(b: &Block) -> String {
        match b {
            Block::Html(h) => h.clone(),
            Block::Figure(f) => f.path.clone(),
            Block::Slot(s) => s.path.clone(),
            Block::Callout { .. } => ">".into(),
        }
    }

    /// Callouts in callouts, with blocks before, between and after them.
    fn nested() -> Vec<Block> {
        vec![
            Block::Html("a".into()),
            callout(vec![
                figure("f1"),
                callout(vec![slot("s1"), callout(vec![])]),
                Block::Html("b".into()),
            ]),
            slot("s2"),
            callout(vec![figure("f2")]),
            figure("f3"),
        ]
    }

    #[test]
    fn walk_visits_nested_blocks_depth_first_in_document_order() {
        let blocks = nested();
        let names: Vec<String> = walk(&blocks).map(name).collect();
        assert_eq!(
            names,
            ["a", ">", "f1", ">", "s1", ">", "b", "s2", ">", "f2", "f3"]
        );
        let figures: Vec<&str> = figures(&blocks).map(|f| f.path.as_str()).collect();
        assert_eq!(figures, ["f1", "f2", "f3"]);
        let slots: Vec<&str> = slots(&blocks).map(|s| s.path.as_str()).collect();
        assert_eq!(slots, ["s1", "s2"]);
        assert_eq!(walk(&[]).count(), 0);
        assert_eq!(walk(&[callout(vec![])]).count(), 1);
    }

    #[test]
    fn walk_mut_visits_what_walk_visits_and_goes_into_replaced_blocks() {
        let mut blocks = nested();
        let mut names = Vec::new();
        walk_mut(&mut blocks, &mut |b| names.push(name(b)));
        let expected: Vec<String> = walk(&nested()).map(name).collect();
        assert_eq!(names, expected);

        // a figure replaced by a callout: the walk goes on into the callout's body
        let mut blocks = vec![figure("f1"), figure("f2")];
        let mut names = Vec::new();
        walk_mut(&mut blocks, &mut |b| {
            names.push(name(b));
            if name(b) == "f1" {
                *b = callout(vec![slot("s1")]);
            }
        });
        assert_eq!(names, ["f1", "s1", "f2"]);
        assert_eq!(blocks[0], callout(vec![slot("s1")]));
    }

    #[test]
    fn channel_blocks_and_slots_say_their_step() {
        let step = |number: usize, body: Vec<Block>| Step {
            number,
            anchor: format!("step-{number}"),
            title_html: String::new(),
            title_text: String::new(),
            body,
            line: number,
        };
        let mut channel = Channel {
            id: ChannelId("web".into()),
            title: String::new(),
            name: String::new(),
            note: None,
            device: Device::Phone,
            order: None,
            source: "g/web.md".into(),
            intro: vec![callout(vec![slot("s0")])],
            steps: vec![
                step(1, vec![figure("f1"), callout(vec![slot("s1")])]),
                step(2, vec![slot("s2")]),
            ],
            aliases: Vec::new(),
            draft: false,
            search: true,
        };
        let slots: Vec<(Option<usize>, &str)> = channel
            .slots()
            .map(|(st, s)| (st.map(|st| st.number), s.path.as_str()))
            .collect();
        assert_eq!(slots, [(None, "s0"), (Some(1), "s1"), (Some(2), "s2")]);
        let blocks: Vec<(Option<usize>, String)> = channel
            .blocks()
            .map(|(st, b)| (st.map(|st| st.number), name(b)))
            .collect();
        assert_eq!(
            blocks,
            [
                (None, ">".into()),
                (None, "s0".into()),
                (Some(1), "f1".into()),
                (Some(1), ">".into()),
                (Some(1), "s1".into()),
                (Some(2), "s2".into()),
            ]
        );
        let mut names = Vec::new();
        channel.walk_mut(&mut |b| names.push(name(b)));
        let expected: Vec<String> = blocks.into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, expected);

        let guide = Guide {
            id: GuideId("g".into()),
            meta: GuideMeta {
                title: String::new(),
                summary: None,
                attachment: None,
                updated: None,
                order: None,
                channels: None,
                draft: false,
                aliases: Vec::new(),
                search: true,
            },
            source: "g/_index.md".into(),
            intro: vec![figure("g0")],
            channels: vec![channel.clone(), channel],
        };
        let names: Vec<String> = guide.blocks().map(name).collect();
        assert_eq!(names.len(), 1 + 2 * 6);
        assert_eq!(names[..3], ["g0", ">", "s0"]);
        assert_eq!(names[7..9], [">", "s0"]);
    }

    #[test]
    fn chinese_numbers() {
        assert_eq!(number_cn(1), "一");
        assert_eq!(number_cn(10), "十");
        assert_eq!(number_cn(12), "十二");
        assert_eq!(number_cn(30), "三十");
        assert_eq!(number_cn(45), "四十五");
    }
}
