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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Phone,
    Desktop,
}

/// `site.toml`.
#[derive(Debug, Clone, Deserialize)]
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
    /// Defaults per channel id, shared by every guide.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelDefaults>,
}

fn default_language() -> String {
    "zh-CN".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDefaults {
    pub name: Option<String>,
    pub device: Option<Device>,
    pub order: Option<i64>,
}

/// Front matter of `content/GUIDE/_index.md`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
}

/// Front matter of `content/GUIDE/CHANNEL.md`.
#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    pub id: GuideId,
    pub meta: GuideMeta,
    /// The `_index.md` path relative to the site root.
    pub source: String,
    pub intro: Vec<Block>,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq)]
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
}

impl Channel {
    pub fn slots(&self) -> impl Iterator<Item = (Option<&Step>, &Slot)> {
        let intro = self.intro.iter().flat_map(Block::slots).map(|s| (None, s));
        intro.chain(self.steps.iter().flat_map(|st| {
            st.body
                .iter()
                .flat_map(Block::slots)
                .map(move |s| (Some(st), s))
        }))
    }
}

#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
    pub fn slots(&self) -> Box<dyn Iterator<Item = &Slot> + '_> {
        match self {
            Block::Slot(s) => Box::new(std::iter::once(s)),
            Block::Callout { body, .. } => Box::new(body.iter().flat_map(Block::slots)),
            _ => Box::new(std::iter::empty()),
        }
    }
}

/// Replaced by the path from a page to the site root (`../` …).
pub const ROOT_MARKER: &str = "\u{E000}";
/// Replaced by the anchor prefix of the channel on the page (`web-` on a guide page, nothing on
/// the channel's own page).
pub const ANCHOR_MARKER: &str = "\u{E002}";

#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// URL from the site root, percent-encoded.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A highlight as the template draws it, in pixels of the full picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Ascending widths: 1x and 2x of the display width (fewer for small pictures).
    pub variants: Vec<Variant>,
    /// The whole picture at its own size (what a tap opens).
    pub full: Variant,
    pub marks: Vec<Mark>,
    /// Loaded at once (the first screenshot of a page) rather than lazily.
    pub eager: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The description the author wrote (the image's alt text).
    pub alt: String,
    /// Where the screenshot is expected, relative to `content/`.
    pub path: String,
    pub device: Device,
    /// 1-based line in the source.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

    #[test]
    fn chinese_numbers() {
        assert_eq!(number_cn(1), "一");
        assert_eq!(number_cn(10), "十");
        assert_eq!(number_cn(12), "十二");
        assert_eq!(number_cn(30), "三十");
        assert_eq!(number_cn(45), "四十五");
    }
}
