//! Rendering: the site model through the theme's templates into pages.
//!
//! First each channel's blocks are turned into HTML once (components through the theme's
//! `components.html`), with site-internal URLs still relative to the site root behind a marker.
//! Then the output is planned as a list of [`Job`]s, and each job renders one page from borrowed
//! *views* (`…View`: exactly what a template sees, see `docs/templates.md`) and resolves the
//! markers for that page's depth. Rendering is pure: it returns bytes, the caller writes them.

pub mod theme;

pub mod key;
pub mod print;

use serde::Serialize;
use tera::Context;

use crate::content::model::*;
use crate::diagnostic::Diagnostic;
use crate::render::theme::Theme;

/// HTML of one channel, rendered once, still with markers.
pub struct ChannelHtml {
    pub intro: String,
    pub steps: Vec<String>,
}

/// HTML of one guide, rendered once.
pub struct GuideHtml {
    pub intro: String,
    pub channels: Vec<ChannelHtml>,
    /// A PDF of the guide is part of the output (`GUIDE/GUIDE.pdf`): pages link to it.
    pub pdf: bool,
}

pub struct Prepared {
    pub intro: String,
    pub guides: Vec<GuideHtml>,
}

/// The most one page (or one component) may weigh: 32 MiB. A guide page is about 25 KB; a guide
/// of three channels at the largest a content file may be stays under it. Past it, a template
/// that loops without end (two nested `range(end=100000)`) fails with `page-too-large` instead
/// of taking every byte of memory. Documented in docs/check.md.
pub const MAX_PAGE: usize = 32 * 1024 * 1024;

/// Where a page is rendered: a buffer that refuses to grow past [`MAX_PAGE`].
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + b.len() > MAX_PAGE {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.0.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Did rendering stop at [`MAX_PAGE`]?
fn too_large(e: &tera::Error) -> bool {
    matches!(
        e.kind(),
        tera::ErrorKind::Io(std::io::ErrorKind::FileTooLarge)
    )
}

fn page_too_large(what: &str, template: &str) -> Diagnostic {
    Diagnostic::error(
        "page-too-large",
        format!(
            "{what} would be larger than {} MB; stopped rendering it",
            MAX_PAGE / (1024 * 1024)
        ),
    )
    .in_file(template.to_string())
    .help("a loop in the template that does not end (such as two nested `for` over `range`), or a guide with megabytes of text: check the template's loops, or split the guide")
}

/// One component of the theme, through a [`Bounded`] buffer.
fn component(
    theme: &Theme,
    name: &str,
    c: &Context,
    body: Option<&str>,
) -> Result<String, tera::Error> {
    let mut out = Bounded(Vec::new());
    theme
        .tera
        .render_component_to(name, c, body, true, &mut out)?;
    // the components write only text and escaped values
    Ok(String::from_utf8(out.0)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Renders blocks into HTML (with markers), components through the theme.
pub fn blocks_html(theme: &Theme, blocks: &[Block], out: &mut String) -> Result<(), tera::Error> {
    for b in blocks {
        match b {
            Block::Html(h) => out.push_str(h),
            Block::Figure(f) => {
                let c = crate::images::figure_context(f);
                out.push_str(&component(theme, "figure", &c, None)?);
            }
            Block::Slot(s) => {
                let mut c = Context::new();
                c.insert("alt", &s.alt);
                c.insert("path", &s.path);
                c.insert("device", &s.device);
                out.push_str(&component(theme, "slot", &c, None)?);
            }
            Block::Callout { kind, body } => {
                let mut inner = String::new();
                blocks_html(theme, body, &mut inner)?;
                let mut c = Context::new();
                c.insert("kind", kind.name());
                c.insert("label", kind.label());
                out.push_str(&component(theme, "callout", &c, Some(&inner))?);
            }
        }
    }
    Ok(())
}

fn html_of(theme: &Theme, blocks: &[Block], where_: &str) -> Result<String, Diagnostic> {
    let mut s = String::new();
    blocks_html(theme, blocks, &mut s).map_err(|e| component_error(&e, where_))?;
    Ok(s)
}

pub(crate) fn component_error(e: &tera::Error, where_: &str) -> Diagnostic {
    if too_large(e) {
        return page_too_large(
            &format!("a component for {where_}"),
            "templates/components.html",
        );
    }
    let msg = match e.kind() {
        tera::ErrorKind::RenderingError(r) | tera::ErrorKind::SyntaxError(r) => {
            r.message().to_string()
        }
        _ => e.to_string(),
    };
    Diagnostic::error("template", format!("rendering a component for {where_} failed: {msg}"))
        .help("check `components.html` in your templates: the components `figure`, `slot` and `callout` must exist with their documented arguments")
}

pub fn prepare_guide(theme: &Theme, g: &Guide) -> Result<GuideHtml, Diagnostic> {
    let intro = html_of(theme, &g.intro, &g.source)?;
    let mut channels = Vec::with_capacity(g.channels.len());
    for c in &g.channels {
        let intro = html_of(theme, &c.intro, &c.source)?;
        let steps = c
            .steps
            .iter()
            .map(|s| html_of(theme, &s.body, &c.source))
            .collect::<Result<_, _>>()?;
        channels.push(ChannelHtml { intro, steps });
    }
    Ok(GuideHtml {
        intro,
        channels,
        pdf: false,
    })
}

/// Renders the home page's intro once.
/// Every guide's and the home intro's HTML, rendered once (in parallel) before any page.
pub fn prepare(theme: &Theme, site: &Site) -> Result<Prepared, Diagnostic> {
    use rayon::prelude::*;
    let guides = site
        .guides
        .par_iter()
        .map(|g| prepare_guide(theme, g))
        .collect::<Result<Vec<_>, Diagnostic>>()?;
    Ok(Prepared {
        intro: prepare_intro(theme, site)?,
        guides,
    })
}

pub fn prepare_intro(theme: &Theme, site: &Site) -> Result<String, Diagnostic> {
    let mut s = String::new();
    blocks_html(theme, &site.intro, &mut s)
        .map_err(|e| crate::render::theme::template_error(&e, "templates/components.html", ""))?;
    Ok(s)
}

/// Replaces the markers for a page `root` away from the site root, with `anchor_prefix` for the
/// page's own channel.
pub fn resolve(html: &str, root: &str, anchor_prefix: &str) -> String {
    // one pass: both markers are private-use characters whose UTF-8 starts with 0xEE, a byte
    // that CJK text (0xE4–0xE9) and ASCII never start a character with
    let (root_marker, anchor_marker) = (ROOT_MARKER.as_bytes(), ANCHOR_MARKER.as_bytes());
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + 64);
    let mut done = 0;
    for i in memchr::memchr_iter(0xEE, bytes) {
        let rest = &bytes[i..];
        let (marker, with) = if rest.starts_with(root_marker) {
            (root_marker, root)
        } else if rest.starts_with(anchor_marker) {
            (anchor_marker, anchor_prefix)
        } else {
            continue;
        };
        out.push_str(&html[done..i]);
        out.push_str(with);
        done = i + marker.len();
    }
    out.push_str(&html[done..]);
    out
}

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub language: &'a str,
    pub base_url: Option<&'a str>,
    /// The share card: `file` at the site's root, `url` absolute when there is a base URL.
    pub share_image: Option<ShareImageView<'a>>,
}

#[derive(Serialize)]
pub struct ShareImageView<'a> {
    pub file: &'a str,
    pub url: Option<String>,
    pub width: u32,
    pub height: u32,
}

#[derive(Serialize)]
pub struct PageView<'a> {
    pub kind: &'static str,
    pub title: String,
    pub description: Option<&'a str>,
    pub root: String,
    pub canonical: Option<String>,
    pub asset_version: &'a str,
    /// The page's QR code (`qr.svg`, relative to the page) on guide and channel pages of a site
    /// with a base URL; null elsewhere.
    pub qr: Option<String>,
    /// The search index's manifest (`search/index.js`, relative to the root) when the site has
    /// one: the header shows a search field. Null without an index (`search = false`).
    pub search: Option<&'a str>,
}

#[derive(Serialize)]
pub struct ChannelLinkView<'a> {
    pub id: &'a str,
    pub url: String,
    pub name: &'a str,
    pub title: &'a str,
}

#[derive(Serialize)]
pub struct GuideSummaryView<'a> {
    pub id: &'a str,
    pub url: String,
    pub title: &'a str,
    pub attachment: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub updated: Option<String>,
    pub channels: Vec<ChannelLinkView<'a>>,
}

#[derive(Serialize)]
pub struct StepView<'a> {
    pub number: usize,
    pub anchor: String,
    /// More element ids of the step: on a guide page, its anchors under the channel's old ids
    /// (a channel renamed with an alias), so that published step links keep working.
    pub old_anchors: Vec<String>,
    pub title_html: &'a str,
    pub body_html: String,
}

#[derive(Serialize)]
pub struct ChannelView<'a> {
    pub id: &'a str,
    pub url: String,
    pub title: &'a str,
    pub name: &'a str,
    pub note: Option<&'a str>,
    pub device: Device,
    pub number: usize,
    pub number_cn: String,
    pub intro_html: String,
    pub steps: Vec<StepView<'a>>,
    pub open_slots: usize,
    pub current: bool,
}

#[derive(Serialize)]
pub struct GuideView<'a> {
    pub id: &'a str,
    pub url: String,
    pub title: &'a str,
    pub attachment: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub updated: Option<String>,
    pub intro_html: String,
    pub channels: Vec<ChannelView<'a>>,
    /// The print layout `GUIDE/print/`, relative to the current page.
    pub print_url: String,
    /// The PDF `GUIDE/GUIDE.pdf` relative to the current page, when one was built.
    pub pdf_url: Option<String>,
}

/// One file of the output.
pub enum Job {
    Home,
    Guide(usize),
    Channel(usize, usize),
    /// The print layout of a guide, `GUIDE/print/index.html` (see [`print`]).
    Print(usize),
    NotFound,
    Sitemap,
    /// The redirect page of [`crate::links::Links::aliases`]`[index]`, written to `file`.
    Alias {
        index: usize,
        file: String,
    },
    /// The QR code of a guide page (`channel` None) or channel page, as PNG or SVG.
    Qr {
        guide: usize,
        channel: Option<usize>,
        png: bool,
    },
    /// The staff share page `share/index.html`: every guide's links and notice text.
    Share,
    /// The staff share page of one guide ([`crate::links::share::guide_page`]): its channels'
    /// QR codes and links, and every step link.
    ShareGuide(usize),
    /// The search page `search/index.html` (the index itself is [`crate::search::index`]'s).
    Search,
    /// The picture a shared link shows ([`crate::links::card`]), written to `file`.
    ShareCard {
        file: String,
    },
}

impl Job {
    pub fn path(&self, site: &Site) -> String {
        match self {
            Job::Home => "index.html".into(),
            Job::Guide(g) => format!("{}/index.html", site.guides[*g].id.0),
            Job::Channel(g, c) => format!(
                "{}/{}/index.html",
                site.guides[*g].id.0, site.guides[*g].channels[*c].id.0
            ),
            Job::Print(g) => format!("{}/print/index.html", site.guides[*g].id.0),
            Job::NotFound => "404.html".into(),
            Job::Sitemap => "sitemap.xml".into(),
            Job::Alias { file, .. } => file.clone(),
            Job::Qr {
                guide,
                channel,
                png,
            } => format!(
                "{}qr.{}",
                &qr_page(site, *guide, *channel)[1..],
                if *png { "png" } else { "svg" }
            ),
            Job::Share => "share/index.html".into(),
            Job::ShareGuide(g) => crate::links::share::guide_page(&site.guides[*g].id.0),
            Job::Search => format!("{}/index.html", crate::search::index::DIR),
            Job::ShareCard { file } => file.clone(),
        }
    }

    /// The guide whose pages or files it makes (None for the site's own pages).
    pub fn guide(&self) -> Option<usize> {
        match self {
            Job::Guide(g)
            | Job::Channel(g, _)
            | Job::Print(g)
            | Job::ShareGuide(g)
            | Job::Qr { guide: g, .. } => Some(*g),
            Job::Home
            | Job::NotFound
            | Job::Sitemap
            | Job::Alias { .. }
            | Job::Share
            | Job::Search
            | Job::ShareCard { .. } => None,
        }
    }

    /// Is it rendered through a template (not a file made elsewhere: a QR code, the share
    /// card)? Such a file has a [`key::PageKey`].
    pub fn is_rendered(&self) -> bool {
        !matches!(self, Job::Qr { .. } | Job::ShareCard { .. })
    }

    /// Is it a page readers read (counted in the build summary)?
    pub fn is_page(&self) -> bool {
        matches!(
            self,
            Job::Home | Job::Guide(_) | Job::Channel(..) | Job::NotFound
        )
    }
}

/// The link path (`/GUIDE/` or `/GUIDE/CHANNEL/`) of the page whose QR code a [`Job::Qr`] of
/// `guide` and `channel` makes.
pub fn qr_page(site: &Site, guide: usize, channel: Option<usize>) -> String {
    let g = &site.guides[guide];
    match channel {
        Some(c) => format!("/{}/{}/", g.id.0, g.channels[c].id.0),
        None => format!("/{}/", g.id.0),
    }
}

/// The pages of a site, in a stable order.
pub fn plan(site: &Site) -> Vec<Job> {
    let mut jobs = vec![Job::Home, Job::NotFound];
    for (gi, g) in site.guides.iter().enumerate() {
        jobs.push(Job::Guide(gi));
        for ci in 0..g.channels.len() {
            jobs.push(Job::Channel(gi, ci));
        }
        jobs.push(Job::Print(gi));
    }
    if site.config.base_url.is_some() {
        jobs.push(Job::Sitemap);
        // QR codes need an absolute URL
        for (gi, g) in site.guides.iter().enumerate() {
            for channel in std::iter::once(None).chain((0..g.channels.len()).map(Some)) {
                for png in [false, true] {
                    jobs.push(Job::Qr {
                        guide: gi,
                        channel,
                        png,
                    });
                }
            }
        }
    }
    jobs.push(Job::Share);
    jobs.extend((0..site.guides.len()).map(Job::ShareGuide));
    if site.config.search {
        jobs.push(Job::Search);
    }
    jobs
}

/// Everything a page render borrows.
pub struct Renderer<'a> {
    pub site: &'a Site,
    pub theme: &'a Theme,
    pub links: &'a crate::links::Links<'a>,
    /// The home page's intro (HTML with markers).
    pub intro: &'a str,
    /// The prepared HTML of the guides `first..first + guides.len()`: all of them, or the one
    /// guide whose pages a build renders now.
    pub guides: &'a [GuideHtml],
    pub first: usize,
    /// The search index's manifest when the site has one (see [`PageView::search`]).
    pub search: Option<&'a str>,
}

impl<'a> Renderer<'a> {
    /// A renderer of every page of the site.
    pub fn new(
        site: &'a Site,
        theme: &'a Theme,
        links: &'a crate::links::Links<'a>,
        prepared: &'a Prepared,
    ) -> Renderer<'a> {
        Renderer {
            site,
            theme,
            links,
            intro: &prepared.intro,
            guides: &prepared.guides,
            first: 0,
            search: None,
        }
    }

    /// The same renderer, for the pages of guide `gi` prepared as `html`.
    pub fn for_guide<'b>(&'b self, gi: usize, html: &'b GuideHtml) -> Renderer<'b>
    where
        'a: 'b,
    {
        Renderer {
            site: self.site,
            theme: self.theme,
            links: self.links,
            intro: self.intro,
            guides: std::slice::from_ref(html),
            first: gi,
            search: self.search,
        }
    }

    /// The prepared HTML of guide `gi`.
    fn html(&self, gi: usize) -> Result<&'a GuideHtml, Diagnostic> {
        gi.checked_sub(self.first)
            .and_then(|i| self.guides.get(i))
            .ok_or_else(|| {
                Diagnostic::error(
                    "internal",
                    format!("the guide `{}` was not prepared", self.site.guides[gi].id.0),
                )
            })
    }

    /// The file of a [`Job::Qr`] (None for other jobs, or a page without a code).
    pub fn qr_file(&self, job: &Job) -> Option<&'a crate::cache::Blob> {
        let Job::Qr {
            guide,
            channel,
            png,
        } = job
        else {
            return None;
        };
        let files = self.links.qr.get(&qr_page(self.site, *guide, *channel))?;
        Some(if *png { &files.png } else { &files.svg })
    }

    fn site_view(&self) -> SiteView<'a> {
        let c = &self.site.config;
        SiteView {
            title: &c.title,
            description: c.description.as_deref(),
            organization: c.organization.as_deref(),
            contact: c.contact.as_deref(),
            language: &c.language,
            base_url: c.base_url.as_deref(),
            share_image: self.links.card.as_ref().map(|card| ShareImageView {
                file: &card.file,
                url: c.base_url.as_ref().map(|b| format!("{b}{}", card.file)),
                width: card.width,
                height: card.height,
            }),
        }
    }

    /// The description of a guide without a `summary`, for link previews.
    fn excerpt(&self, path: &str) -> Option<&'a str> {
        self.links
            .resolve(&format!("/{path}"))
            .and_then(|p| p.excerpt.as_deref())
    }

    pub(crate) fn canonical(&self, path: &str) -> Option<String> {
        self.site
            .config
            .base_url
            .as_ref()
            .map(|b| format!("{b}{path}"))
    }

    pub(crate) fn page(
        &self,
        kind: &'static str,
        title: String,
        description: Option<&'a str>,
        root: &str,
        path: &str,
    ) -> PageView<'a> {
        PageView {
            kind,
            title,
            description,
            root: root.to_string(),
            canonical: self.canonical(path),
            asset_version: &self.theme.asset_version,
            qr: None,
            search: self.search,
        }
    }

    fn channel_view(
        &self,
        gi: usize,
        ci: usize,
        root: &str,
        url: String,
        on_guide_page: bool,
        current: bool,
    ) -> Result<ChannelView<'a>, Diagnostic> {
        let c = &self.site.guides[gi].channels[ci];
        let html = &self.html(gi)?.channels[ci];
        let prefix = if on_guide_page {
            format!("{}-", c.id.0)
        } else {
            String::new()
        };
        let old_ids = if on_guide_page {
            crate::links::old_channel_ids(&self.site.guides[gi], c)
        } else {
            Vec::new()
        };
        Ok(ChannelView {
            id: &c.id.0,
            url,
            title: &c.title,
            name: &c.name,
            note: c.note.as_deref(),
            device: c.device,
            number: ci + 1,
            number_cn: number_cn(ci + 1),
            intro_html: resolve(&html.intro, root, &prefix),
            steps: c
                .steps
                .iter()
                .zip(&html.steps)
                .map(|(s, h)| StepView {
                    number: s.number,
                    anchor: format!("{prefix}{}", s.anchor),
                    old_anchors: old_ids
                        .iter()
                        .map(|id| format!("{id}-{}", s.anchor))
                        .collect(),
                    title_html: &s.title_html,
                    body_html: resolve(h, root, &prefix),
                })
                .collect(),
            open_slots: c.slots().count(),
            current,
        })
    }

    /// `current`: on a channel page, the channel it shows. A guide page (`None`) holds every
    /// channel in full; a channel page only their links (the page's own channel is a view of
    /// its own).
    pub(crate) fn guide_view(
        &self,
        gi: usize,
        root: &str,
        current: Option<usize>,
    ) -> Result<GuideView<'a>, Diagnostic> {
        let g = &self.site.guides[gi];
        let html = self.html(gi)?;
        let on_guide_page = current.is_none();
        let channels = g
            .channels
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                if on_guide_page {
                    let url = format!("{}/index.html", c.id.0);
                    self.channel_view(gi, ci, root, url, true, false)
                } else {
                    let url = format!("../{}/index.html", c.id.0);
                    let mut v = self.channel_view_light(gi, ci, url);
                    v.current = current == Some(ci);
                    Ok(v)
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(GuideView {
            id: &g.id.0,
            url: if on_guide_page {
                "index.html".into()
            } else {
                "../index.html".into()
            },
            title: &g.meta.title,
            attachment: g.meta.attachment.as_deref(),
            summary: g.meta.summary.as_deref(),
            updated: g.meta.updated.map(|d| d.to_string()),
            intro_html: resolve(&html.intro, root, ""),
            channels,
            print_url: if on_guide_page {
                "print/index.html"
            } else {
                "../print/index.html"
            }
            .into(),
            pdf_url: html
                .pdf
                .then(|| format!("{}{}.pdf", if on_guide_page { "" } else { "../" }, g.id.0)),
        })
    }

    /// A channel without its steps' HTML (for the links on another channel's page).
    fn channel_view_light(&self, gi: usize, ci: usize, url: String) -> ChannelView<'a> {
        let c = &self.site.guides[gi].channels[ci];
        ChannelView {
            id: &c.id.0,
            url,
            title: &c.title,
            name: &c.name,
            note: c.note.as_deref(),
            device: c.device,
            number: ci + 1,
            number_cn: number_cn(ci + 1),
            intro_html: String::new(),
            steps: Vec::new(),
            open_slots: c.slots().count(),
            current: false,
        }
    }

    /// Renders one job into the bytes of its file.
    pub fn render(&self, job: &Job) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let mut ctx = Context::new();
        ctx.insert("site", &self.site_view());
        let template = match job {
            Job::Home => {
                let guides: Vec<GuideSummaryView<'_>> = site
                    .guides
                    .iter()
                    .map(|g| GuideSummaryView {
                        id: &g.id.0,
                        url: format!("{}/index.html", g.id.0),
                        title: &g.meta.title,
                        attachment: g.meta.attachment.as_deref(),
                        summary: g.meta.summary.as_deref(),
                        updated: g.meta.updated.map(|d| d.to_string()),
                        channels: g
                            .channels
                            .iter()
                            .map(|c| ChannelLinkView {
                                id: &c.id.0,
                                url: format!("{}/{}/index.html", g.id.0, c.id.0),
                                name: &c.name,
                                title: &c.title,
                            })
                            .collect(),
                    })
                    .collect();
                ctx.insert(
                    "page",
                    &self.page(
                        "home",
                        site.config.title.clone(),
                        site.config.description.as_deref(),
                        "",
                        "",
                    ),
                );
                ctx.insert("intro_html", &resolve(self.intro, "", ""));
                ctx.insert("guides", &guides);
                "index.html"
            }
            Job::Guide(gi) => {
                let g = &site.guides[*gi];
                let path = format!("{}/", g.id.0);
                let excerpt = self.excerpt(&path);
                let mut page = self.page(
                    "guide",
                    g.meta.title.clone(),
                    g.meta.summary.as_deref().or(excerpt),
                    "../",
                    &path,
                );
                page.qr = page.canonical.as_ref().map(|_| "qr.svg".into());
                ctx.insert("page", &page);
                ctx.insert("guide", &self.guide_view(*gi, "../", None)?);
                "guide.html"
            }
            Job::Channel(gi, ci) => {
                let g = &site.guides[*gi];
                let c = &g.channels[*ci];
                let path = format!("{}/{}/", g.id.0, c.id.0);
                let title = format!("{}（{}）", g.meta.title, c.name);
                let excerpt = self.excerpt(&path);
                let mut page = self.page(
                    "channel",
                    title,
                    g.meta.summary.as_deref().or(excerpt),
                    "../../",
                    &path,
                );
                page.qr = page.canonical.as_ref().map(|_| "qr.svg".into());
                ctx.insert("page", &page);
                ctx.insert("guide", &self.guide_view(*gi, "../../", Some(*ci))?);
                ctx.insert(
                    "channel",
                    &self.channel_view(*gi, *ci, "../../", String::new(), false, true)?,
                );
                "channel.html"
            }
            Job::Print(gi) => {
                print::context(self, *gi, &mut ctx)?;
                "print.html"
            }
            Job::NotFound => {
                // a 404 page is served at any depth: with a base URL, link from its absolute path
                let root = site
                    .config
                    .base_url
                    .as_deref()
                    .map(url_path)
                    .unwrap_or_default();
                let mut page = self.page("404", "页面未找到".into(), None, &root, "404.html");
                page.canonical = None;
                if root.is_empty() {
                    // served at any depth without an absolute root: no index to load from here
                    page.search = None;
                }
                ctx.insert("page", &page);
                "404.html"
            }
            Job::Sitemap => {
                let mut urls = vec![self.canonical("").unwrap_or_default()];
                for g in &site.guides {
                    urls.push(self.canonical(&format!("{}/", g.id.0)).unwrap_or_default());
                    for c in &g.channels {
                        urls.push(
                            self.canonical(&format!("{}/{}/", g.id.0, c.id.0))
                                .unwrap_or_default(),
                        );
                    }
                }
                ctx.insert("urls", &urls);
                "sitemap.xml"
            }
            Job::Alias { index, file } => {
                let view = crate::links::share::alias_view(self.links, *index);
                let root = "../".repeat(file.matches('/').count());
                let mut page = self.page("alias", view.title.clone(), None, &root, "");
                page.canonical = view.canonical.clone();
                ctx.insert("page", &page);
                ctx.insert("alias", &view);
                "alias.html"
            }
            Job::Qr { .. } => {
                let blob = self.qr_file(job).ok_or_else(|| {
                    Diagnostic::error("qr", format!("no QR code was made for {}", job.path(site)))
                })?;
                return blob.bytes().map_err(|e| {
                    Diagnostic::error("io", format!("cannot read {}: {e}", job.path(site)))
                });
            }
            Job::ShareCard { file } => {
                let card = self.links.card.as_ref().ok_or_else(|| {
                    Diagnostic::error("internal", format!("no share card was made for {file}"))
                })?;
                return Ok(card.bytes.to_vec());
            }
            Job::Share => {
                let mut page = self.page("share", "链接与二维码".into(), None, "../", "");
                page.canonical = None;
                ctx.insert("page", &page);
                ctx.insert(
                    "guides",
                    &crate::links::share::guides(site, self.links, None, false),
                );
                ctx.insert("guide_page", &false);
                "share.html"
            }
            Job::ShareGuide(gi) => {
                let g = &site.guides[*gi];
                let title = format!("链接与二维码：{}", g.meta.title);
                let mut page = self.page("share", title, None, "../../", "");
                page.canonical = None;
                ctx.insert("page", &page);
                let guides = crate::links::share::guides(site, self.links, Some(*gi), true);
                ctx.insert("guides", &guides);
                ctx.insert("guide_page", &true);
                "share.html"
            }
            Job::Search => {
                let page = self.page("search", "搜索".into(), None, "../", "search/");
                ctx.insert("page", &page);
                "search.html"
            }
        };
        // straight into bytes: `render` would check the whole page is UTF-8 once more
        let mut out = Bounded(Vec::with_capacity(32 * 1024));
        self.theme
            .tera
            .render_to(template, &ctx, &mut out)
            .map(|()| out.0)
            .map_err(|e| {
                if too_large(&e) {
                    let what = format!("the page {}", job.path(site));
                    return page_too_large(&what, &format!("templates/{template}"));
                }
                let mut d =
                    crate::render::theme::template_error(&e, &format!("templates/{template}"), "");
                d.message = format!("{} (while rendering {})", d.message, job.path(site));
                d
            })
    }
}

/// The path part of an absolute URL: `https://x.cn/guides/` → `/guides/`.
pub fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_replaces_both_markers_and_keeps_other_text() {
        let html = format!(
            "<a href=\"{ROOT_MARKER}g/index.html#{ANCHOR_MARKER}step-1\">第一步\u{E001}</a>{ROOT_MARKER}"
        );
        assert_eq!(
            resolve(&html, "../", "web-"),
            "<a href=\"../g/index.html#web-step-1\">第一步\u{E001}</a>../"
        );
        assert_eq!(resolve("纯文本，无标记", "../", "x-"), "纯文本，无标记");
        assert_eq!(resolve("", "../", ""), "");
    }
}
