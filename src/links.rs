//! Links: the URLs a site publishes, which notices, QR codes, the share page and `links.lock`
//! refer to.
//!
//! A *link path* is a URL path from the site root, with a leading `/`: `/` (home),
//! `/GUIDE/` (a guide page), `/GUIDE/CHANNEL/` (a channel page), optionally with a step
//! *anchor* (`/GUIDE/CHANNEL/#step-2`, and on the guide page `/GUIDE/#CHANNEL-step-2`). Paths
//! are ASCII (ids are slugs; anything else is percent-encoded), so QR codes stay small. The
//! *canonical URL* of a path is `base_url` followed by the path without its leading `/`.
//!
//! An *alias* is an old path (`aliases = ["/old-path/"]` in a guide's or channel's front
//! matter) that gets a redirect page pointing at the page that replaced it.
//!
//! [`Links::new`] computes all of these from the site model once; the build, the `links`
//! command, the share page and the lock read them.

pub mod card;
pub mod lock;
pub mod qr;
pub mod share;

use std::collections::{HashMap, HashSet};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde::Serialize;

use crate::content::model::Site;
use crate::content::source::SourceFile;
use crate::diagnostic::Diagnostic;

/// Modules per side above which a QR code is too dense to scan when printed at 2–3 cm
/// (version 7, about 120 characters of URL at error correction M).
const QR_LARGE: usize = 45;

/// Characters escaped in a path segment or fragment (everything not plainly safe in a URL).
const ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'/');

/// Percent-encodes one path segment or fragment.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ESCAPE).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageKind {
    Home,
    Guide,
    Channel,
}

/// A page of the site and its step anchors.
#[derive(Debug, Clone)]
pub struct PageLink<'a> {
    pub kind: PageKind,
    /// `/`, `/GUIDE/` or `/GUIDE/CHANNEL/`.
    pub path: String,
    /// What a reader sees as its title: the guide's title; for a channel the guide's title with
    /// the channel's name (`学信网图像采集码获取流程（微信公众号）`).
    pub title: String,
    pub guide: Option<usize>,
    pub channel: Option<usize>,
    pub anchors: Vec<AnchorLink<'a>>,
    /// Not a draft: published, recorded in the lock.
    pub published: bool,
    /// The file it is made from (`content/GUIDE/_index.md`, `content/GUIDE/CHANNEL.md`).
    pub source: Option<&'a str>,
    /// For link previews (WeChat, QQ, email) when the guide has no `summary`: the start of the
    /// first paragraph of its introduction, as plain text.
    pub excerpt: Option<String>,
}

/// A step anchor of a page.
#[derive(Debug, Clone)]
pub struct AnchorLink<'a> {
    /// The element id on the page (`step-2`, or on a guide page `web-step-2`).
    pub id: String,
    /// The step's anchor in its channel (`step-2`), what `{#id}` sets.
    pub step_anchor: &'a str,
    pub number: usize,
    /// Plain title of the step; on a guide page prefixed with the channel's name
    /// (`学信网网站：登录`) so that equal titles of two channels stay apart.
    pub title: String,
    /// The channel file and the 1-based line of the step's heading.
    pub source: &'a str,
    pub line: usize,
}

impl AnchorLink<'_> {
    /// `#` and the percent-encoded id.
    pub fn fragment(&self) -> String {
        format!("#{}", encode(&self.id))
    }
}

/// An old path redirecting to a page.
#[derive(Debug, Clone)]
pub struct Alias {
    /// Normalised and percent-encoded: `/old-path/` or `/old/page.html`.
    pub path: String,
    /// The redirect file in the output, not encoded: `old-path/index.html`.
    pub file: String,
    /// Index into [`Links::pages`].
    pub target: usize,
    /// The front matter file that asks for it.
    pub source: String,
    /// Made for a channel from its guide's alias (`/old/` gives `/old/web/`).
    pub implied: bool,
    /// As written in the front matter.
    pub written: String,
}

/// Every link of a site.
#[derive(Debug, Clone)]
pub struct Links<'a> {
    pub pages: Vec<PageLink<'a>>,
    pub aliases: Vec<Alias>,
    pub base_url: Option<&'a str>,
    /// The QR codes of guide and channel pages by path, once [`Links::with_qr_codes`] made them.
    pub qr: HashMap<String, crate::links::qr::Files>,
    /// The picture a shared link shows, once the pipeline's `plan_links` made it.
    pub card: Option<card::Card>,
    /// The pages of each guide (its guide page and channel pages), by the guide's place in the
    /// site: a guide's pages are next to each other in `pages`.
    pub guide_pages: Vec<std::ops::Range<usize>>,
    /// Page index by path, for pages and aliases.
    by_path: HashMap<String, usize>,
}

impl<'a> Links<'a> {
    /// The links of `site`. Aliases that are not site paths are reported into `diags` and left
    /// out; collisions are checked later by [`Links::check_aliases`], once the output is known.
    pub fn new(
        site: &'a Site,
        sources: &HashMap<&str, &SourceFile>,
        diags: &mut Vec<Diagnostic>,
    ) -> Links<'a> {
        let mut pages = vec![PageLink {
            kind: PageKind::Home,
            path: "/".into(),
            title: site.config.title.clone(),
            guide: None,
            channel: None,
            anchors: Vec::new(),
            published: true,
            source: None,
            excerpt: None,
        }];
        let mut aliases = Vec::new();
        let mut guide_pages = Vec::with_capacity(site.guides.len());
        for (gi, g) in site.guides.iter().enumerate() {
            let gpath = format!("/{}/", encode(&g.id.0));
            let excerpt = if g.meta.summary.is_none() {
                excerpt(&g.intro)
            } else {
                None
            };
            let guide_index = pages.len();
            let mut guide_anchors = Vec::new();
            let mut channel_pages = Vec::new();
            for (ci, c) in g.channels.iter().enumerate() {
                let anchors: Vec<AnchorLink<'a>> = c
                    .steps
                    .iter()
                    .map(|s| AnchorLink {
                        id: s.anchor.clone(),
                        step_anchor: &s.anchor,
                        number: s.number,
                        title: s.title_text.clone(),
                        source: &c.source,
                        line: s.line,
                    })
                    .collect();
                for prefix in std::iter::once(c.id.0.clone()).chain(old_channel_ids(g, c)) {
                    guide_anchors.extend(anchors.iter().map(|a| AnchorLink {
                        id: format!("{prefix}-{}", a.id),
                        title: format!("{}：{}", c.name, a.title),
                        ..a.clone()
                    }));
                }
                channel_pages.push(PageLink {
                    kind: PageKind::Channel,
                    path: format!("{gpath}{}/", encode(&c.id.0)),
                    title: format!("{}（{}）", g.meta.title, c.name),
                    guide: Some(gi),
                    channel: Some(ci),
                    anchors,
                    published: !g.meta.draft && !c.draft,
                    source: Some(&c.source),
                    excerpt: excerpt.clone(),
                });
            }
            pages.push(PageLink {
                kind: PageKind::Guide,
                path: gpath,
                title: g.meta.title.clone(),
                guide: Some(gi),
                channel: None,
                anchors: guide_anchors,
                published: !g.meta.draft,
                source: Some(&g.source),
                excerpt,
            });
            let guide_aliases: Vec<Alias> = g
                .meta
                .aliases
                .iter()
                .filter_map(|a| alias(a, guide_index, &g.source, sources, diags))
                .collect();
            aliases.extend(guide_aliases.iter().cloned());
            for (ci, cp) in channel_pages.into_iter().enumerate() {
                let c = &g.channels[ci];
                let index = pages.len();
                pages.push(cp);
                // a guide's old address keeps its channels' old addresses working too
                // (under the channel's old ids as well, if it was renamed)
                let ids: Vec<String> = std::iter::once(c.id.0.clone())
                    .chain(old_channel_ids(g, c))
                    .collect();
                for ga in guide_aliases.iter().filter(|a| a.path.ends_with('/')) {
                    let dir = ga.file.trim_end_matches("index.html");
                    for id in &ids {
                        aliases.push(Alias {
                            path: format!("{}{}/", ga.path, encode(id)),
                            file: format!("{dir}{id}/index.html"),
                            target: index,
                            source: ga.source.clone(),
                            implied: true,
                            written: ga.written.clone(),
                        });
                    }
                }
                for a in &c.aliases {
                    if let Some(al) = alias(a, index, &c.source, sources, diags) {
                        aliases.push(al);
                    }
                }
            }
            guide_pages.push(guide_index..pages.len());
        }
        // an implied alias gives way to a page or an alias of the same address
        let explicit: HashSet<String> = pages
            .iter()
            .map(|p| p.path.clone())
            .chain(
                aliases
                    .iter()
                    .filter(|a| !a.implied)
                    .map(|a| a.path.clone()),
            )
            .collect();
        let mut implied = HashSet::new();
        aliases.retain(|a| {
            !a.implied || (!explicit.contains(&a.path) && implied.insert(a.path.clone()))
        });
        aliases.sort_by(|a, b| a.path.cmp(&b.path));
        let by_path = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.clone(), i))
            .chain(aliases.iter().map(|a| (a.path.clone(), a.target)))
            .rev() // a page wins over an alias of the same path (reported as a collision)
            .collect();
        Links {
            pages,
            aliases,
            base_url: site.config.base_url.as_deref(),
            qr: HashMap::new(),
            card: None,
            guide_pages,
            by_path,
        }
    }

    /// The QR code files of every guide and channel page, from `store` (encoded in parallel
    /// where it has none yet); without a base URL there is nothing to encode.
    pub fn with_qr_codes(
        mut self,
        store: &crate::links::qr::Store,
        diags: &mut Vec<Diagnostic>,
    ) -> Self {
        use rayon::prelude::*;
        if self.base_url.is_none() {
            return self;
        }
        let codes: Vec<(String, Result<crate::links::qr::Files, String>)> = self
            .pages
            .par_iter()
            .filter(|p| p.kind != PageKind::Home)
            .map(|p| (p.path.clone(), store.get(&self.url(&p.path))))
            .collect();
        for (path, code) in codes {
            self.add_qr_code(path, code, diags);
        }
        self
    }

    /// Records the QR code files of the page at `path` (as [`crate::links::qr::Store::get`] made them),
    /// or reports why there are none; warns about a code too large to scan printed small.
    pub fn add_qr_code(
        &mut self,
        path: String,
        code: Result<crate::links::qr::Files, String>,
        diags: &mut Vec<Diagnostic>,
    ) {
        match code {
            Ok(q) => {
                if q.size > QR_LARGE {
                    diags.push(
                        Diagnostic::warning(
                            "qr-large",
                            format!(
                                "the QR code of {} has {} × {} modules: printed small it scans poorly",
                                self.url(&path),
                                q.size,
                                q.size
                            ),
                        )
                        .help("shorten base_url or the guide and channel folder names (short ASCII addresses make small codes)"),
                    );
                }
                self.qr.insert(path, q);
            }
            Err(e) => diags.push(
                Diagnostic::error("qr", e)
                    .help("shorten base_url or the guide and channel folder names"),
            ),
        }
    }

    /// The canonical URL of a link path (absolute with a base URL, else the path itself).
    pub fn url(&self, path: &str) -> String {
        match self.base_url {
            Some(b) => format!("{b}{}", path.trim_start_matches('/')),
            None => path.to_string(),
        }
    }

    /// Reports aliases that are the path of a page, that would overwrite a file of the output
    /// (`taken`, paths relative to the output folder), or that two pages claim.
    pub fn check_aliases(
        &self,
        taken: &HashSet<String>,
        sources: &HashMap<&str, &SourceFile>,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let pages: HashMap<&str, &PageLink> =
            self.pages.iter().map(|p| (p.path.as_str(), p)).collect();
        let mut seen: HashMap<&str, &Alias> = HashMap::new();
        let before = diags.len();
        for a in &self.aliases {
            let problem = if let Some(p) = pages.get(a.path.as_str()) {
                Some((
                    format!(
                        "the alias `{}` is the address of the page “{}”",
                        a.path, p.title
                    ),
                    "an alias must be an old address that no page has any more; remove it"
                        .to_string(),
                ))
            } else if taken.contains(&a.file) {
                Some((
                    format!(
                        "the alias `{}` would overwrite `{}` of the built site",
                        a.path, a.file
                    ),
                    "choose the old address exactly as it was published, or remove the alias"
                        .to_string(),
                ))
            } else if let Some(first) = seen.get(a.path.as_str()) {
                Some((
                    format!("the alias `{}` is also given in {}", a.path, first.source),
                    "an old address can redirect to one page only: remove one of the two"
                        .to_string(),
                ))
            } else {
                seen.insert(&a.path, a);
                None
            };
            if let Some((msg, help)) = problem {
                diags.push(locate(
                    Diagnostic::error("alias-collision", msg).help(help),
                    &a.source,
                    &a.written,
                    sources,
                ));
            }
        }
        diags.len() == before
    }

    /// The page at a path, following an alias.
    pub fn resolve(&self, path: &str) -> Option<&PageLink<'a>> {
        self.by_path.get(path).map(|&i| &self.pages[i])
    }
}

/// The first paragraph of `blocks` as plain text, cut to about 120 characters.
pub fn excerpt(blocks: &[crate::content::model::Block]) -> Option<String> {
    use std::sync::LazyLock;
    static TAG: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"<[^>]*>").expect("valid regex"));
    const MAX: usize = 120;
    let html = blocks.iter().find_map(|b| match b {
        crate::content::model::Block::Html(h) if h.contains("<p>") => Some(h),
        _ => None,
    })?;
    let start = html.find("<p>")?;
    let para = &html[start..html[start..].find("</p>").map_or(html.len(), |e| start + e)];
    let text = TAG.replace_all(para, "");
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    })
}

/// The ids a channel had before it was renamed within its guide, from its aliases
/// (`aliases = ["/GUIDE/old-id/"]`): the guide page keeps the step anchors `old-id-step-N` too.
pub fn old_channel_ids(
    g: &crate::content::model::Guide,
    c: &crate::content::model::Channel,
) -> Vec<String> {
    c.aliases
        .iter()
        .filter_map(|a| {
            let rest = a.strip_prefix('/')?.strip_prefix(g.id.0.as_str())?;
            let id = rest.strip_prefix('/')?.trim_end_matches('/');
            // an alias naming a current channel is reported as a collision instead
            (crate::content::model::is_slug(id) && !g.channels.iter().any(|o| o.id.0 == id))
                .then(|| id.to_string())
        })
        .collect()
}

/// Points a diagnostic at `needle` in the front matter of `source` (or at the file).
pub(crate) fn locate(
    d: Diagnostic,
    source: &str,
    needle: &str,
    sources: &HashMap<&str, &SourceFile>,
) -> Diagnostic {
    match sources.get(source) {
        Some(f) => {
            // quoted first, so that `/card/` is not found inside `/renew-card/`
            let quoted = [format!("\"{needle}\""), format!("'{needle}'")];
            let at = quoted
                .iter()
                .find_map(|q| f.text.find(q.as_str()).map(|i| i + 1))
                .or_else(|| f.text.find(needle));
            match at {
                Some(at) => d.at(f, at..at + needle.len()),
                None => d.in_file(source),
            }
        }
        None => d.in_file(source),
    }
}

/// Normalises an alias as written into a site path and an output file, or reports why it is
/// not one.
fn alias(
    written: &str,
    target: usize,
    source: &str,
    sources: &HashMap<&str, &SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Alias> {
    let bad = |why: String, help: String, diags: &mut Vec<Diagnostic>| {
        diags.push(locate(
            Diagnostic::error("invalid-alias", why).help(help),
            source,
            written,
            sources,
        ));
        None
    };
    if let Some((_, rest)) = written.split_once("://") {
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        return bad(
            format!("the alias `{written}` is a full URL, not a path of this site"),
            format!("write only its path from the site root: \"{path}\""),
            diags,
        );
    }
    if !written.starts_with('/') {
        return bad(
            format!("the alias `{written}` does not start with `/`"),
            format!(
                "write the old address as a path from the site root: \"/{}\"",
                written.trim_start_matches("./")
            ),
            diags,
        );
    }
    if written.contains(['?', '#', '\\']) || written.chars().any(char::is_whitespace) {
        return bad(
            format!("the alias `{written}` holds `?`, `#`, `\\` or a space"),
            "an alias is a path only, such as \"/old-path/\": no query, anchor or spaces (anchors are kept with `{#id}` on the step)".into(),
            diags,
        );
    }
    let mut segments = Vec::new();
    for raw in written.split('/').filter(|s| !s.is_empty()) {
        let seg = match percent_decode_str(raw).decode_utf8() {
            Ok(s) => s.into_owned(),
            Err(_) => {
                return bad(
                    format!("the alias `{written}` has a percent-encoding that is not UTF-8"),
                    "write the path as it is, e.g. \"/旧指南/\" or \"/old-guide/\"".into(),
                    diags,
                );
            }
        };
        if seg == "."
            || seg == ".."
            || seg.contains(['/', '\\'])
            || seg.chars().any(char::is_control)
        {
            return bad(
                format!("the alias `{written}` has a `.`, `..` or an encoded `/` in it"),
                "write the old address as a plain path from the site root, such as \"/old-path/\""
                    .into(),
                diags,
            );
        }
        segments.push(seg);
    }
    if segments.is_empty() {
        return bad(
            format!("the alias `{written}` is the home page"),
            "an alias must be an old address of this guide or channel, such as \"/old-path/\""
                .into(),
            diags,
        );
    }
    let encoded: Vec<String> = segments.iter().map(|s| encode(s)).collect();
    // `/old/page.html` names a file; anything else is a folder served from its index.html
    let is_file = !written.ends_with('/') && segments.last().is_some_and(|s| s.contains('.'));
    let (path, file) = if is_file {
        (format!("/{}", encoded.join("/")), segments.join("/"))
    } else {
        (
            format!("/{}/", encoded.join("/")),
            format!("{}/index.html", segments.join("/")),
        )
    };
    Some(Alias {
        path,
        file,
        target,
        source: source.to_string(),
        implied: false,
        written: written.to_string(),
    })
}

/// The relative link from the output file `from` to the page at the link path `to`, naming its
/// `index.html` so that it also works opened from disk (`file://`), where folders do not open
/// their index.
pub fn page_href(from: &str, to: &str) -> String {
    let r = relative(from, to);
    if r == "./" {
        "index.html".into()
    } else if r.ends_with('/') {
        format!("{r}index.html")
    } else {
        r
    }
}

/// The relative URL from the folder of the output file `from` (`a/b/index.html`) to the link
/// path `to` (`/g/c/`), so that links work under any sub-path and from `file://`.
pub fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').collect();
    let from = &from[..from.len() - 1]; // the folder of the file
    let to = to.trim_start_matches('/');
    let to_segs: Vec<&str> = to.split('/').collect();
    // segments shared by both, never the last one of `to` (a file name or the empty end)
    let common = from
        .iter()
        .zip(&to_segs[..to_segs.len() - 1])
        .take_while(|(a, b)| a == b)
        .count();
    let mut s = "../".repeat(from.len() - common);
    s.push_str(&to_segs[common..].join("/"));
    if s.is_empty() { "./".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(a: &str) -> Result<(String, String), String> {
        let mut d = Vec::new();
        alias(a, 0, "content/g/_index.md", &HashMap::new(), &mut d)
            .map(|a| (a.path, a.file))
            .ok_or_else(|| d[0].message.clone())
    }

    #[test]
    fn aliases_normalise_to_paths_and_files() {
        assert_eq!(
            norm("/old-path/").unwrap(),
            ("/old-path/".into(), "old-path/index.html".into())
        );
        assert_eq!(
            norm("/old-path").unwrap(),
            ("/old-path/".into(), "old-path/index.html".into())
        );
        assert_eq!(
            norm("/2024/notice.html").unwrap(),
            ("/2024/notice.html".into(), "2024/notice.html".into())
        );
        assert_eq!(
            norm("/旧指南/").unwrap(),
            (
                "/%E6%97%A7%E6%8C%87%E5%8D%97/".into(),
                "旧指南/index.html".into()
            )
        );
        assert_eq!(
            norm("/%E6%97%A7/").unwrap(),
            ("/%E6%97%A7/".into(), "旧/index.html".into())
        );
        assert_eq!(
            norm("old/").unwrap_err(),
            "the alias `old/` does not start with `/`"
        );
        assert_eq!(
            norm("https://x.cn/old/").unwrap_err(),
            "the alias `https://x.cn/old/` is a full URL, not a path of this site"
        );
        assert!(norm("/../etc/").is_err());
        assert!(norm("/a#b").is_err());
        assert!(norm("/").is_err());
    }

    #[test]
    fn excerpts_are_the_first_paragraph_as_text() {
        use crate::content::model::Block;
        let b = [
            Block::Html("<h2>x</h2>\n<p>毕业生须出示<strong>“图像采集码”</strong> &amp; 证件。\n第二行</p>\n<p>下一段</p>".into()),
        ];
        assert_eq!(
            excerpt(&b).as_deref(),
            Some("毕业生须出示“图像采集码” & 证件。 第二行")
        );
        let long = [Block::Html(format!("<p>{}</p>", "字".repeat(200)))];
        let e = excerpt(&long).unwrap();
        assert_eq!(e.chars().count(), 120);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(&[]), None);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative("old/index.html", "/g/c/"), "../g/c/");
        assert_eq!(relative("a/b/index.html", "/g/"), "../../g/");
        assert_eq!(relative("old.html", "/g/"), "g/");
        assert_eq!(relative("index.html", "/"), "./");
        assert_eq!(relative("g/pc/index.html", "/g/web/"), "../web/");
        assert_eq!(relative("g/old/index.html", "/g/"), "../");
        assert_eq!(relative("g/index.html", "/g/"), "./");
        assert_eq!(relative("share/index.html", "/g/qr.png"), "../g/qr.png");
        assert_eq!(relative("a/b/index.html", "/a/c/qr.svg"), "../c/qr.svg");
        assert_eq!(page_href("old/index.html", "/g/c/"), "../g/c/index.html");
        assert_eq!(page_href("g/index.html", "/g/"), "index.html");
    }
}
