//! Validation: the checks for what builds but serves readers badly.
//!
//! Loading already refuses what cannot be built (front matter, broken links and anchors, a
//! `channels` list naming a missing channel, duplicate step ids). This module owns the checks
//! that look further: screenshots still to capture (*open slots*), descriptions that describe
//! nothing (`image-20221103154210123`), images far larger than they are shown, paths on the
//! author's own computer (`C:\Users\…`, `file:///…`), links and resources in raw HTML,
//! resources loaded from other hosts (slow or blocked for readers in mainland China), and raw
//! HTML that runs a script. Raw HTML is read with html5gum, a WHATWG tokenizer ([`html_tags`]).
//!
//! The per-image and per-HTML checks are small pure functions that the Markdown stage calls
//! where it has the source spans; [`site`] runs the whole-site checks once the model is built.
//! `build` and `check` run the same checks, so they report the same problems, except that only
//! `check` lists the open slots one by one ([`open_slots`]; the build counts them).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::content::discover::Inputs;
use crate::content::model::{self, Device, Slot};
use crate::content::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};

const ALT_HELP: &str = "describe the screen in the brackets: `![学信网首页的“登录”按钮](images/1.png)`; it is the caption, the text for screen readers and the note on a placeholder";

static FILE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[^\s/\\]+\.(png|jpe?g|gif|webp|bmp|svg|heic|heif|avif|tiff?)$").unwrap()
});
/// Names that tools give images (Typora's `image-20221103154210123`, `IMG_1234`,
/// `微信图片_20221103`, `Snipaste_2022-11-03_10-10-10`, `截图`, a bare number).
static TOOL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:image|img|pic|picture|photo|screenshot|screen ?shot|snipaste|untitled|",
        r"截图|截屏|屏幕截图|图片|图像|图|照片|微信图片|qq截图)?",
        r"[\s_\-0-9.()（）:：]*$"
    ))
    .unwrap()
});

/// The mark `guidepost import` puts before each description it guessed from the document's
/// text: shown on the page as written, and warned about (`alt-to-review`) until someone checks
/// the description and deletes the mark.
pub const REVIEW_MARK: &str = "待核对：";

/// The description (alt text) of a screenshot: missing, or a file or tool name that tells a
/// reader nothing, or still marked as guessed by import.
pub fn alt_text(alt: &str, path: &str) -> Option<Diagnostic> {
    let alt = alt.trim();
    if let Some(rest) = alt.strip_prefix(REVIEW_MARK) {
        return Some(
            Diagnostic::warning(
                "alt-to-review",
                format!("the screenshot's description “{}” was guessed by `guidepost import` and is not reviewed yet", rest.trim()),
            )
            .help(format!("check that the description says what the screenshot shows, then delete “{REVIEW_MARK}” at its start")),
        );
    }
    if alt.is_empty() {
        return Some(
            Diagnostic::warning("missing-alt", "this screenshot has no description").help(ALT_HELP),
        );
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    if FILE_NAME.is_match(alt) || TOOL_NAME.is_match(alt) || alt == file || alt == stem {
        return Some(
            Diagnostic::warning(
                "meaningless-alt",
                format!("the screenshot's description `{alt}` is a file name, not a description"),
            )
            .help(ALT_HELP),
        );
    }
    None
}

/// The widest a screenshot is shown, in CSS pixels: the phone frame, the text column.
fn shown_width(device: Device) -> u32 {
    match device {
        Device::Phone => 300,
        Device::Desktop => 736,
    }
}

/// More than this many image pixels per shown CSS pixel is "far larger than shown": 3 is what
/// the sharpest phone screens use, so 5 leaves room for the usual 1440-pixel screenshot.
const OVERSIZE_FACTOR: u32 = 5;

/// An image far wider than it is ever shown: readers on mobile data pay for every pixel.
pub fn image_size(path: &str, width: u32, height: u32, device: Device) -> Option<Diagnostic> {
    let shown = shown_width(device);
    let limit = shown * OVERSIZE_FACTOR;
    if width <= limit {
        return None;
    }
    let (frame, target) = match device {
        Device::Phone => ("in a phone frame", 1080),
        Device::Desktop => ("in the text column", 1920),
    };
    Some(
        Diagnostic::warning(
            "oversized-image",
            format!(
                "`content/{path}` is {width}×{height} pixels but is shown at most {shown} pixels wide {frame}"
            ),
        )
        .help(format!(
            "scale it down to {target} pixels wide (at most {limit}): readers on mobile data download every pixel"
        )),
    )
}

/// A path on the author's computer rather than in the site (what Typora and Word insert by
/// default): `C:\Users\…\image.png`, `\\server\share\…`, `file:///…`. Such a file is never
/// read: the diagnostic says how to bring it into the site.
pub fn local_path(url: &str, what: &str) -> Option<Diagnostic> {
    let b = url.as_bytes();
    let drive =
        b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    let unc = url.starts_with("\\\\");
    let file = url
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"));
    if !(drive || unc || file) {
        return None;
    }
    Some(
        Diagnostic::error(
            "outside-root",
            format!("the {what} `{url}` is a path on your computer, not a file of the site"),
        )
        .help(COPY_HELP),
    )
}

/// An absolute path into the author's own file system (macOS Typora writes
/// `/Users/NAME/Library/Application Support/typora-user-images/…`). Only asked about a path that
/// is not a file of the site: `/images/a.png` from the content root stays valid.
pub fn system_path(path: &str, what: &str) -> Option<Diagnostic> {
    const ROOTS: [&str; 12] = [
        "/Users/",
        "/home/",
        "/root/",
        "/Volumes/",
        "/private/",
        "/tmp/",
        "/var/",
        "/etc/",
        "/mnt/",
        "/media/",
        "/opt/",
        "/Library/",
    ];
    ROOTS.iter().any(|r| path.starts_with(r)).then(|| {
        Diagnostic::error(
            "outside-root",
            format!("the {what} `{path}` is a path on your computer, not a file of the site"),
        )
        .help(COPY_HELP)
    })
}

/// A relative path written with Windows backslashes (`images\step-1.png`): browsers do not read
/// `\` as a folder separator, so the image would never show. Returns the diagnostic and the
/// path with `/`, which the build goes on with so that one mistake is reported once.
pub fn backslashes(path: &str, what: &str) -> Option<(Diagnostic, String)> {
    if !path.contains('\\') {
        return None;
    }
    let fixed = path.replace('\\', "/");
    Some((
        Diagnostic::error(
            "backslash-path",
            format!("the {what} path `{path}` uses `\\` between folders"),
        )
        .help(format!("write `/` instead: `{fixed}`")),
        fixed,
    ))
}

const COPY_HELP: &str = "copy the file into the guide's folder and write the path relative to this file, e.g. `images/step-1.png` (in Typora: 偏好设置 → 图像 → 插入图片时复制到 `./images`)";

/// A URL that makes the reader's browser contact another host.
pub fn is_remote(url: &str) -> bool {
    let u = url.trim_start();
    u.starts_with("//")
        || u.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        || u.get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// A resource that the page loads from another host.
pub fn remote_resource(kind: &str, url: &str) -> Diagnostic {
    Diagnostic::warning(
        "remote-resource",
        format!("{kind} loaded from another host: {url}"),
    )
    .help("save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice")
}

/// How a URL attribute of an HTML tag is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlKind {
    /// A link the reader follows (`<a href>`).
    Link,
    /// A resource the page loads (`<img src>`, `<script src>`, `<link href>` …); the noun says
    /// what it is, for messages.
    Resource(&'static str),
}

/// A URL in an attribute of a tag in raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlUrl {
    pub tag: String,
    pub kind: UrlKind,
    /// The value as written (entities such as `&amp;` still encoded).
    pub value: String,
    /// The byte range of the value in the HTML text.
    pub range: Range<usize>,
    /// For `<img>`: its `alt` attribute (`None` when there is none).
    pub alt: Option<String>,
}

static CSS_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)"#).unwrap()
});

fn url_kind(tag: &str, attr: &str) -> Option<UrlKind> {
    Some(match (tag, attr) {
        ("a" | "area", "href") => UrlKind::Link,
        ("img", "src") | ("input", "src") | ("video", "poster") => UrlKind::Resource("an image"),
        ("script", "src") => UrlKind::Resource("a script"),
        ("link", "href") => UrlKind::Resource("a stylesheet, font or icon"),
        ("iframe" | "frame", "src") => UrlKind::Resource("a frame"),
        ("video" | "audio" | "source" | "track" | "embed", "src") | ("object", "data") => {
            UrlKind::Resource("a media file")
        }
        _ => return None,
    })
}

/// One attribute of a start tag in raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlAttr {
    /// Lowercase, as the browser reads it.
    pub name: String,
    /// The value with character references decoded (`&amp;` → `&`); empty when there is none.
    pub value: String,
    /// The byte range of the whole attribute (`name="value"`) in the HTML text.
    pub range: Range<usize>,
    /// The byte range of the value as written (without quotes); `None` without a value.
    pub value_range: Option<Range<usize>>,
}

/// A start tag in raw HTML, read by a real HTML tokenizer (the one browsers follow): tags split
/// across lines, quotes, `>` inside values, comments and the text of `<script>`/`<style>` are
/// read the way the reader's browser reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlTag {
    /// Lowercase.
    pub name: String,
    /// The byte range of `<name` in the HTML text.
    pub range: Range<usize>,
    pub attrs: Vec<HtmlAttr>,
}

impl HtmlTag {
    pub fn attr(&self, name: &str) -> Option<&HtmlAttr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// What the tokenizer hands over: a start tag, or the news that the text ended inside one.
enum Scanned {
    Tag(HtmlTag),
    EofInTag,
}

/// Collects start tags from html5gum's callback events (end tags, text and comments are of no
/// interest here; a tag inside a comment is no tag).
#[derive(Default)]
struct TagCollector {
    open: Option<HtmlTag>,
    /// Whether the attribute being read is kept (the values of the others are not wanted).
    keep: bool,
}

/// The attributes any check here looks at: a pasted block of thousands of tags keeps only these.
fn wanted(attr: &str) -> bool {
    attr.starts_with("on") || matches!(attr, "alt" | "srcdoc") || URL_ATTRS.contains(&attr)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl html5gum::emitters::callback::Callback<Scanned, usize> for TagCollector {
    fn handle_event(
        &mut self,
        event: html5gum::emitters::callback::CallbackEvent<'_>,
        span: html5gum::Span<usize>,
    ) -> Option<Scanned> {
        use html5gum::emitters::callback::CallbackEvent as E;
        match event {
            E::OpenStartTag { name } => {
                self.open = Some(HtmlTag {
                    name: lossy(name),
                    range: span.start..span.start + 1 + name.len(),
                    attrs: Vec::new(),
                });
            }
            E::AttributeName { name } => {
                self.keep = false;
                if let Some(t) = &mut self.open {
                    // the first of two same-named attributes counts, as in browsers
                    let name = lossy(name);
                    if wanted(&name) && t.attr(&name).is_none() {
                        self.keep = true;
                        t.attrs.push(HtmlAttr {
                            name,
                            value: String::new(),
                            range: span.start..span.end,
                            value_range: None,
                        });
                    }
                }
            }
            E::AttributeValue { value } => {
                if let Some(a) = self.open.as_mut().and_then(|t| t.attrs.last_mut())
                    && self.keep
                {
                    a.value = lossy(value);
                    a.value_range = Some(span.start..span.end);
                    a.range.end = span.end;
                }
            }
            E::CloseStartTag { .. } => {
                // a tag that no check looks at is not kept
                return self
                    .open
                    .take()
                    .filter(|t| t.name == "script" || !t.attrs.is_empty())
                    .map(Scanned::Tag);
            }
            E::EndTag { .. } => self.open = None,
            E::Error(html5gum::Error::EofInTag) => return Some(Scanned::EofInTag),
            _ => {}
        }
        None
    }
}

fn tokenize(html: &str) -> (Vec<HtmlTag>, bool) {
    let mut emitter = html5gum::emitters::callback::CallbackEmitter::new(TagCollector::default());
    // the text of `<script>`, `<style>`, `<textarea>` … is text, not tags
    emitter.naively_switch_states(true);
    let mut tags = Vec::new();
    let mut eof_in_tag = false;
    for item in html5gum::Tokenizer::new_with_emitter(html, emitter).flatten() {
        match item {
            Scanned::Tag(t) => tags.push(t),
            Scanned::EofInTag => eof_in_tag = true,
        }
    }
    (tags, eof_in_tag)
}

/// The start tags of a piece of raw HTML that a check looks at (with an attribute it reads, or
/// `<script>`). A tag still open at the end (Markdown ends an HTML block at a blank line, but the
/// browser reads on into the next block) is read as if it were closed there.
pub fn html_tags(html: &str) -> Vec<HtmlTag> {
    if !html.contains('<') {
        return Vec::new();
    }
    let (mut tags, eof_in_tag) = tokenize(html);
    if eof_in_tag {
        // whichever the state (in a name, before a value, inside quotes or not), this ends the
        // attribute and closes the tag; what it adds is cut off again below
        let closed = format!("{html} \"'>'\">");
        let (mut more, _) = tokenize(&closed);
        let len = html.len();
        for t in &mut more {
            t.attrs.retain(|a| a.range.start < len);
            for a in &mut t.attrs {
                a.range.end = a.range.end.min(len);
                if let Some(v) = &mut a.value_range
                    && v.end > len
                {
                    *v = v.start.min(len)..len;
                    a.value = html[v.clone()].to_string();
                }
            }
        }
        tags = more;
    }
    tags
}

/// Every link and resource URL in a piece of raw HTML.
pub fn html_urls(html: &str) -> Vec<HtmlUrl> {
    urls_of(&html_tags(html))
}

/// The link and resource URLs of tags read by [`html_tags`].
pub fn urls_of(tags: &[HtmlTag]) -> Vec<HtmlUrl> {
    let mut out = Vec::new();
    for t in tags {
        for a in &t.attrs {
            if let (Some(kind), Some(range)) = (url_kind(&t.name, &a.name), &a.value_range) {
                out.push(HtmlUrl {
                    tag: t.name.clone(),
                    kind,
                    value: a.value.clone(),
                    range: range.clone(),
                    alt: (t.name == "img")
                        .then(|| t.attr("alt").map(|a| a.value.clone()))
                        .flatten(),
                });
            }
        }
    }
    out
}

/// Attributes whose value the browser may follow or load as a URL.
const URL_ATTRS: [&str; 11] = [
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "cite",
    "xlink:href",
    "lowsrc",
    "dynsrc",
];

/// A URL that runs code when followed or loaded: `javascript:`, `vbscript:`, a `data:` URL
/// holding a page. Browsers ignore ASCII white space and control characters in the scheme, and
/// its case (`JaVa&#x09;script:`).
fn script_url(tag: &str, value: &str) -> Option<&'static str> {
    let folded: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(30)
        .collect::<String>()
        .to_ascii_lowercase();
    let framed = matches!(tag, "iframe" | "frame" | "object" | "embed");
    if folded.starts_with("javascript:") {
        Some("a `javascript:` URL")
    } else if folded.starts_with("vbscript:") {
        Some("a `vbscript:` URL")
    } else if folded.starts_with("data:text/html")
        || folded.starts_with("data:application/xhtml")
        || (framed && folded.starts_with("data:image/svg"))
    {
        Some("a `data:` URL holding a page")
    } else {
        None
    }
}

const SCRIPT_HELP: &str = "authors are trusted and raw HTML is published as written, scripts included; if you copied this from a web page, remove it";

/// Raw HTML that runs a script in the reader's browser: a `<script>` element, an event
/// attribute (`onerror=`, `onclick=` …), a `javascript:` (or `vbscript:`, `data:text/html`) URL.
/// Each comes with the byte range to point at.
pub fn scripts(tags: &[HtmlTag]) -> Vec<(Diagnostic, Range<usize>)> {
    let mut out = Vec::new();
    let warn = |msg: String| Diagnostic::warning("raw-script", msg).help(SCRIPT_HELP);
    for t in tags {
        if t.name == "script" {
            out.push((
                warn("a `<script>` element in raw HTML".into()),
                t.range.clone(),
            ));
        }
        for a in &t.attrs {
            if a.name.len() > 2 && a.name.starts_with("on") {
                out.push((
                    warn(format!(
                        "an event attribute `{}` on `<{}>` runs a script",
                        a.name, t.name
                    )),
                    a.range.clone(),
                ));
            } else if a.name == "srcdoc" && !scripts(&html_tags(&a.value)).is_empty() {
                out.push((
                    warn(format!(
                        "the page in `srcdoc` of `<{}>` runs a script",
                        t.name
                    )),
                    a.range.clone(),
                ));
            } else if URL_ATTRS.contains(&a.name.as_str())
                && let Some(what) = script_url(&t.name, &a.value)
            {
                out.push((
                    warn(format!(
                        "{what} in `{}` of `<{}>` runs a script",
                        a.name, t.name
                    )),
                    a.value_range.clone().unwrap_or(a.range.clone()),
                ));
            }
        }
    }
    out
}

/// Remote URLs in CSS (`url(https://…)`, `@import "//…"`): web fonts and background images.
pub fn css_remote_urls(css: &str) -> Vec<(String, Range<usize>)> {
    if !css.contains("//") {
        return Vec::new();
    }
    CSS_URL
        .captures_iter(css)
        .map(|c| {
            let m = c.get(1).unwrap();
            (m.as_str().to_string(), m.range())
        })
        .collect()
}

/// Links to an anchor of the same page (`#step-2`) that names no step or heading of it.
pub fn same_page_anchors(
    file: &SourceFile,
    links: &[(String, Range<usize>)],
    known: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let set: std::collections::HashSet<&str> = known.iter().map(String::as_str).collect();
    for (anchor, r) in links {
        if anchor.is_empty() || set.contains(anchor.as_str()) {
            continue;
        }
        let hint = match did_you_mean(anchor, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `#{s}`?"),
            None => "steps have the anchors `step-1`, `step-2` … or the `{#id}` written after their heading".to_string(),
        };
        diags.push(
            Diagnostic::error(
                "broken-anchor",
                format!("this page has no anchor `#{anchor}`"),
            )
            .at(file, r.clone())
            .help(hint),
        );
    }
}

/// The whole-site checks that `build` and `check` share, run after discovery: remote resources in
/// the site's own templates and stylesheets.
pub fn site(inputs: &Inputs, diags: &mut Vec<Diagnostic>) {
    theme_overrides(&inputs.root, diags);
}

/// Screenshots still to capture, one warning each. Only `check` reports them one by one: for
/// `build` an open slot is the normal state of a guide being written, counted in its summary.
pub fn open_slots(
    inputs: &Inputs,
    site: &crate::content::model::Site,
    diags: &mut Vec<Diagnostic>,
) {
    let mut files: HashMap<&str, &SourceFile> = HashMap::new();
    for f in inputs.home.iter().chain(
        inputs
            .guides
            .iter()
            .flat_map(|g| g.index.iter().chain(&g.channels)),
    ) {
        files.insert(f.rel.as_str(), f);
    }
    let mut slots: Vec<(&str, &Slot)> = Vec::new();
    if let Some(h) = &inputs.home {
        slots.extend(model::slots(&site.intro).map(|s| (h.rel.as_str(), s)));
    }
    for g in &site.guides {
        slots.extend(model::slots(&g.intro).map(|s| (g.source.as_str(), s)));
        for c in &g.channels {
            slots.extend(c.slots().map(|(_, s)| (c.source.as_str(), s)));
        }
    }
    for (source, slot) in slots {
        // a path outside `content/` or on the author's computer already has its own error
        if !slot.path.starts_with('/') && !slot.path.split('/').any(|p| p == "..") {
            diags.push(open_slot(files.get(source).copied(), source, slot));
        }
    }
}

fn open_slot(file: Option<&SourceFile>, source: &str, slot: &Slot) -> Diagnostic {
    let d = Diagnostic::warning(
        "open-slot",
        format!("the screenshot `content/{}` does not exist yet", slot.path),
    )
    .help("capture the screen its description names and save it there; until then readers see a placeholder (`guidepost check --strict` treats this as an error)");
    match file {
        Some(f) if f.line_offset(slot.line).is_some() => {
            let line_start = f.line_offset(slot.line).unwrap_or(0);
            let line = f.line_text(slot.line);
            let (start, end) = match line.find("![") {
                Some(s) => (s, line[s..].find(')').map_or(line.len(), |e| s + e + 1)),
                None => (0, line.len()),
            };
            d.at(f, line_start + start..line_start + end)
        }
        _ => d.in_file(source.to_string()),
    }
}

/// Remote scripts, stylesheets, fonts and images in the site's own templates and static CSS.
fn theme_overrides(root: &Path, diags: &mut Vec<Diagnostic>) {
    for (dir, exts) in [
        ("templates", &["html", "htm", "xml"][..]),
        ("static", &["css", "html"][..]),
    ] {
        // a linked folder is reported (and left out) by the theme stage
        let Some(base) = crate::content::confine::tree(root, dir, &mut Vec::new()) else {
            continue;
        };
        for e in walkdir::WalkDir::new(&base)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
            if !exts.contains(&ext) {
                continue;
            }
            let mut d = Vec::new();
            let Some(f) = SourceFile::read(root, e.path(), &mut d) else {
                continue; // the theme stage reports unreadable templates
            };
            for u in html_urls(&f.text) {
                if let UrlKind::Resource(kind) = u.kind
                    && is_remote(&u.value)
                {
                    diags.push(remote_resource(kind, &u.value).at(&f, u.range.clone()));
                }
            }
            for (url, r) in css_remote_urls(&f.text) {
                diags.push(remote_resource("a font or image (CSS)", &url).at(&f, r));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaningless_descriptions() {
        for alt in [
            "image-20221103154210123",
            "image-20221103154210123.png",
            "IMG_1234",
            "微信图片_20221103101010",
            "Snipaste_2022-11-03_10-10-10",
            "截图",
            "图1",
            "1",
            "login.png",
            "login",
        ] {
            let d = alt_text(alt, "g/images/login.png");
            assert_eq!(d.map(|d| d.code), Some("meaningless-alt"), "{alt}");
        }
        assert_eq!(alt_text("  ", "a.png").unwrap().code, "missing-alt");
        for alt in ["学信网首页的“登录”按钮", "Login page", "图像采集码页面"] {
            assert!(alt_text(alt, "g/images/login.png").is_none(), "{alt}");
        }
    }

    #[test]
    fn oversized_only_when_far_larger() {
        assert!(image_size("a.png", 1080, 2400, Device::Phone).is_none());
        assert!(image_size("a.png", 1440, 3200, Device::Phone).is_none());
        assert!(image_size("a.png", 4032, 3024, Device::Phone).is_some());
        assert!(image_size("a.png", 2880, 1800, Device::Desktop).is_none());
        assert!(image_size("a.png", 7680, 4320, Device::Desktop).is_some());
    }

    #[test]
    fn paths_on_the_authors_computer() {
        for u in [
            r"C:\Users\wang\AppData\Roaming\Typora\typora-user-images\image-20221103.png",
            "D:/截图/1.png",
            r"\\server\share\a.png",
            "file:///home/wang/a.png",
        ] {
            assert!(local_path(u, "image").is_some(), "{u}");
        }
        for u in [
            "images/a.png",
            "https://x.cn/a.png",
            "mailto:a@b.cn",
            "../g/web.md",
        ] {
            assert!(local_path(u, "image").is_none(), "{u}");
        }
        let mac = "/Users/wang/Library/Application Support/typora-user-images/image-20221103.png";
        assert!(system_path(mac, "image").is_some());
        assert!(system_path("/g/images/a.png", "image").is_none());
    }

    #[test]
    fn urls_in_raw_html() {
        let h = r#"<p><a href="web.md#step-2">x</a><img alt='' src=images/a.png><script src="https://cdn.x.com/a.js"></script><span title="a>b" data-href="x"></span>"#;
        let urls = html_urls(h);
        let v: Vec<_> = urls
            .iter()
            .map(|u| (u.tag.as_str(), u.value.as_str(), &h[u.range.clone()]))
            .collect();
        assert_eq!(
            v,
            [
                ("a", "web.md#step-2", "web.md#step-2"),
                ("img", "images/a.png", "images/a.png"),
                ("script", "https://cdn.x.com/a.js", "https://cdn.x.com/a.js"),
            ]
        );
        assert_eq!(urls[1].alt.as_deref(), Some(""));
        assert_eq!(urls[0].kind, UrlKind::Link);
        let commented =
            "<!-- <img src=\"https://x.cn/a.png\"> --><img src=\"b.png\"><!-- <a href=x.md>";
        let v: Vec<_> = html_urls(commented).into_iter().map(|u| u.value).collect();
        assert_eq!(v, ["b.png"]);
    }

    #[test]
    fn a_tag_split_across_lines_is_one_tag() {
        let h = "<iframe\n  src=\"https://x.cn/a\"\n  alt='a > b' onload=go()\n>";
        let tags = html_tags(h);
        assert_eq!(tags.len(), 1);
        let t = &tags[0];
        assert_eq!(
            (t.name.as_str(), &h[t.range.clone()]),
            ("iframe", "<iframe")
        );
        let v: Vec<_> = t
            .attrs
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.value.as_str(),
                    &h[a.range.clone()],
                    a.value_range.clone().map(|r| &h[r]),
                )
            })
            .collect();
        assert_eq!(
            v,
            [
                (
                    "src",
                    "https://x.cn/a",
                    "src=\"https://x.cn/a",
                    Some("https://x.cn/a")
                ),
                ("alt", "a > b", "alt='a > b", Some("a > b")),
                ("onload", "go()", "onload=go()", Some("go()")),
            ]
        );
        // entities are decoded, the range is the value as written
        let h = "<img src=\"x.png?a=1&amp;b=2\" class=\"x\" alt title=\"t\">";
        let a = &html_tags(h)[0].attrs;
        assert_eq!(a[0].value, "x.png?a=1&b=2");
        assert_eq!(&h[a[0].value_range.clone().unwrap()], "x.png?a=1&amp;b=2");
        // only the attributes the checks look at are kept; one without a value has none
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[1].name.as_str(), a[1].value_range.clone()),
            ("alt", None)
        );
        // a tag the block ends inside is still read (the browser reads on)
        for h in [
            "<img src=\"a.png\" onerror=\"x",
            "<img src=a.png onerror=x",
            "<img src=a.png onerror",
        ] {
            let t = &html_tags(h)[0];
            assert_eq!(t.attrs.len(), 2, "{h}");
            assert_eq!(t.attrs[1].name, "onerror", "{h}");
        }
        // text of `<script>` and comments holds no tags
        let h = "<script>document.write('<img src=x>')</script><!-- <img src=y> --><a href=z>";
        let names: Vec<_> = html_tags(h).into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["script", "a"]);
    }

    #[test]
    fn script_bearing_html() {
        let codes = |h: &str| -> Vec<String> {
            scripts(&html_tags(h))
                .into_iter()
                .map(|(d, r)| format!("{} @ {}", d.message, &h[r]))
                .collect()
        };
        assert_eq!(
            codes("<SCRIPT>alert(1)</SCRIPT>"),
            ["a `<script>` element in raw HTML @ <SCRIPT"]
        );
        assert_eq!(
            codes("<img src=x OnError=\"alert(1)\">"),
            ["an event attribute `onerror` on `<img>` runs a script @ OnError=\"alert(1)"]
        );
        assert_eq!(
            codes("<a href=\" JaVa&#x09;Script:alert(1)\">x</a>"),
            ["a `javascript:` URL in `href` of `<a>` runs a script @  JaVa&#x09;Script:alert(1)"]
        );
        assert_eq!(codes("<form action='vbscript:x'>").len(), 1);
        assert_eq!(codes("<iframe src=\"data:text/html,<b>\">").len(), 1);
        assert_eq!(codes("<iframe srcdoc=\"<script>x</script>\">").len(), 1);
        assert_eq!(codes("<button formaction=javascript:x>").len(), 1);
        for fine in [
            "<a href=\"https://x.cn/javascript:\">",
            "<img src=\"data:image/png;base64,AAAA\" alt=x>",
            "<p class=onion data-x=javascript:>",
            "<!-- <script>x</script> -->",
        ] {
            assert!(codes(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn remote_urls_in_css() {
        let css = "@import url(\"https://fonts.googleapis.com/css?family=Noto\");\n.a{background:url(//x.cn/a.png)} .b{background:url(img/a.png)}";
        let v: Vec<_> = css_remote_urls(css).into_iter().map(|(u, _)| u).collect();
        assert_eq!(
            v,
            [
                "https://fonts.googleapis.com/css?family=Noto",
                "//x.cn/a.png"
            ]
        );
    }
}
