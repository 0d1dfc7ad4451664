//! A *session*: the site kept in memory between rebuilds, for `guidepost serve`.
//!
//! A session runs the same stages as [`crate::build`] (discover, theme, load, prepare, plan,
//! render) but keeps what they produced: the inputs discovery read, the theme, the model of each
//! guide folder together with its links, screenshots and diagnostics, and each guide's HTML
//! prepared once. The pages go into memory ([`Files`]), never to disk.
//!
//! [`Session::update`] turns a list of changed paths into the least work that leaves the session
//! as a fresh build would be: `site.toml`, `templates/` and `static/` reload everything; a file
//! in a guide folder re-reads that file and reloads that guide (and any guide showing that
//! screenshot); then only the pages whose model changed are rendered again: one channel's page
//! and its guide page for a change to one channel, every page of the guide and the home page when
//! a title or the list of channels changed. Links are checked again across the whole site, since a
//! removed step can break a link elsewhere. While the site has errors nothing is published (the
//! last good pages stay), and the pages that changed meanwhile are rendered once it is fixed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rayon::prelude::*;

use crate::content::discover::Inputs;
use crate::content::model::{self, Block, Guide, Site};
use crate::content::source::SourceFile;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::images;
use crate::markdown::PageLink;
use crate::markdown::load::{self, LoadOptions};
use crate::progress::Progress;
use crate::render::theme::{StaticSource, Theme};
use crate::render::{self, GuideHtml, Job, Prepared, Renderer};

/// Where the bytes of a published file come from.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Bytes),
    Embedded(&'static [u8]),
    /// A file of the site (a screenshot, a static file), read when asked for.
    File(PathBuf),
}

/// The files of the last good build, by their path in the output (`guide/index.html`).
#[derive(Debug, Default)]
pub struct Files {
    /// Rendered pages (HTML, XML).
    pub pages: HashMap<String, Bytes>,
    /// Screenshots, linked files and the theme's static files.
    pub files: HashMap<String, Body>,
    /// The path of `base_url` without its leading `/` (`guides/`), or empty: pages that link by
    /// absolute path (the 404 page) reach the files under it.
    pub base_path: String,
    /// The screenshots of the site, for the studio.
    pub shots: super::studio::Shots,
}

impl Files {
    pub fn get(&self, path: &str) -> Option<Body> {
        let get = |p: &str| {
            self.pages
                .get(p)
                .map(|b| Body::Bytes(b.clone()))
                .or_else(|| self.files.get(p).cloned())
        };
        get(path).or_else(|| {
            path.strip_prefix(&self.base_path)
                .filter(|_| !self.base_path.is_empty())
                .and_then(get)
        })
    }
}

/// What one rebuild did.
#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    /// What set the rebuild off, for the log line (`content/guide/web.md`, `3 files`).
    pub cause: String,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub enum Outcome {
    /// Everything was rendered again; warnings may remain.
    All { pages: usize, warnings: Diagnostics },
    /// Only these pages were rendered again (possibly none).
    Some {
        pages: Vec<String>,
        warnings: Diagnostics,
    },
    /// Errors: nothing was published; the last good build is still served.
    Failed(Diagnostics),
}

/// What a guide folder contributed besides its model.
#[derive(Default)]
struct Side {
    assets: Vec<String>,
    /// The guide's processed screenshots (sizes, redactions, highlights), as the build writes them.
    images: Vec<images::OutFile>,
    links: Vec<(String, PageLink)>,
    diagnostics: Vec<Diagnostic>,
}

/// The pages that differ from the published ones.
#[derive(Default)]
struct Dirty {
    all: bool,
    home: bool,
    sitemap: bool,
    assets: bool,
    /// Guides all of whose pages are to be rendered (their titles or channel list changed).
    guides: BTreeSet<String>,
    /// Guides whose own page is to be rendered.
    guide_pages: BTreeSet<String>,
    /// Guides whose pages came or went (a guide or channel added, removed, renamed).
    page_sets: BTreeSet<String>,
    channels: BTreeSet<(String, String)>,
}

impl Dirty {
    fn is_empty(&self) -> bool {
        !(self.all
            || self.home
            || self.sitemap
            || self.assets
            || !self.guides.is_empty()
            || !self.guide_pages.is_empty()
            || !self.page_sets.is_empty()
            || !self.channels.is_empty())
    }

    fn wants(&self, job: &Job, site: &Site) -> bool {
        if self.all {
            return true;
        }
        let gid = |gi: &usize| &site.guides[*gi].id.0;
        match job {
            Job::Home => self.home,
            Job::Sitemap => self.sitemap,
            Job::NotFound => false,
            Job::Guide(gi) => self.guides.contains(gid(gi)) || self.guide_pages.contains(gid(gi)),
            Job::Channel(gi, ci) => {
                let g = gid(gi);
                self.guides.contains(g)
                    || self
                        .channels
                        .contains(&(g.clone(), site.guides[*gi].channels[*ci].id.0.clone()))
            }
            // shows every step of every channel of its guide
            Job::Print(gi) => {
                let g = gid(gi);
                self.guides.contains(g)
                    || self.guide_pages.contains(g)
                    || self.channels.iter().any(|(cg, _)| cg == g)
            }
            // the code of a page's URL: changes only when pages come or go
            Job::Qr { guide, .. } => self.page_sets.contains(gid(guide)),
            // redirects to pages by their paths: few, and cheap to render every time
            Job::Alias { .. } => true,
            // lists every guide and channel by title
            Job::Share => self.home,
            // lists the guide's channels and steps by title, and their addresses
            Job::ShareGuide(gi) => {
                let g = gid(gi);
                self.guides.contains(g)
                    || self.guide_pages.contains(g)
                    || self.channels.iter().any(|(cg, _)| cg == g)
            }
            // shows nothing the content changes (the index is its own file)
            Job::Search => false,
            // made of site.toml alone, whose changes rebuild everything
            Job::ShareCard { .. } => false,
        }
    }

    /// Records how the model of one guide changed.
    fn compare(&mut self, id: &str, old: Option<&Guide>, new: Option<&Guide>) {
        match (old, new) {
            (None, None) => {}
            (Some(o), Some(n)) if o == n => {}
            (Some(o), Some(n)) => {
                // what other pages show of a guide: its front matter and its channels' names
                fn light(g: &Guide) -> Vec<LightChannel<'_>> {
                    g.channels
                        .iter()
                        .map(|c| {
                            (
                                &c.id,
                                &c.title,
                                &c.name,
                                &c.note,
                                c.device,
                                c.order,
                                c.slots().count(),
                            )
                        })
                        .collect()
                }
                let ids = |g: &Guide| {
                    g.channels
                        .iter()
                        .map(|c| c.id.0.clone())
                        .collect::<Vec<_>>()
                };
                if ids(o) != ids(n) {
                    self.page_sets.insert(id.to_string());
                }
                if o.meta != n.meta || light(o) != light(n) {
                    self.guides.insert(id.to_string());
                    self.home = true;
                    self.sitemap = true;
                    return;
                }
                if o.intro != n.intro {
                    self.guide_pages.insert(id.to_string());
                }
                for (oc, nc) in o.channels.iter().zip(&n.channels) {
                    if oc != nc {
                        self.guide_pages.insert(id.to_string());
                        self.channels.insert((id.to_string(), nc.id.0.clone()));
                    }
                }
            }
            _ => {
                self.guides.insert(id.to_string());
                self.page_sets.insert(id.to_string());
                self.home = true;
                self.sitemap = true;
            }
        }
    }
}

type LightChannel<'a> = (
    &'a crate::content::model::ChannelId,
    &'a String,
    &'a String,
    &'a Option<String>,
    crate::content::model::Device,
    Option<i64>,
    usize,
);

/// The site as last read.
struct State {
    inputs: Inputs,
    theme: Theme,
    site: Site,
    /// Diagnostics of discovery and the theme not tied to one content file, and of `site.toml`.
    base_diags: Vec<Diagnostic>,
    /// Diagnostics of reading each Markdown file, by its path relative to the root.
    file_diags: HashMap<String, Vec<Diagnostic>>,
    home: load::Home,
    home_diags: Vec<Diagnostic>,
    intro_html: Result<String, Diagnostic>,
    /// By guide folder name, for every folder (also those whose guide failed to load).
    sides: HashMap<String, Side>,
    /// By guide id, for the guides in `site.guides`.
    html: HashMap<String, Result<GuideHtml, Diagnostic>>,
    link_diags: Vec<Diagnostic>,
    /// The pages links can point to, kept up to date guide by guide.
    anchors: load::Anchors,
    /// QR codes, cached as the build caches them.
    qr: crate::links::qr::Store,
    /// `links.lock` as last read.
    lock: crate::links::lock::Recorded,
    /// The shape of the output (its paths) when the owners check last found nothing: while it
    /// stays the same, a rebuild does not check the 30,000 paths of a large site again.
    owners_clean: Option<u64>,
    /// The search index's version as the pages now served link to it, and its files.
    search_version: Option<String>,
    search_files: Vec<(String, Bytes)>,
    /// The guides' parts of the index, by key: a save tokenizes the changed guide alone.
    search_parts: crate::search::index::Memory,
    /// The version the index is to be made for, when the session defers it (see
    /// [`Session::finish_index`]): `Some(None)` to drop it (`search = false`).
    index_due: Option<Option<crate::search::index::Plan>>,
}

/// The files of an index (none without one), as the session serves them.
fn index_files(index: Option<crate::search::index::Index>) -> Vec<(String, Bytes)> {
    index.map_or_else(Vec::new, |i| {
        i.files
            .into_iter()
            .map(|(p, b)| (p, Bytes::from(b)))
            .collect()
    })
}

/// A key for the set of output paths: everything a path of the output is made of (guide and
/// channel ids, alias files, linked files, screenshots, static files), combined without regard to
/// order. Equal keys: the same paths (short of a hash collision).
fn output_shape<'a>(
    site: &Site,
    jobs: usize,
    aliases: impl Iterator<Item = &'a str>,
    files: impl Iterator<Item = &'a str>,
) -> u64 {
    use std::hash::BuildHasher;
    let h = rustc_hash::FxBuildHasher;
    let mut key = h.hash_one((jobs, site.config.base_url.is_some()));
    for g in &site.guides {
        key = key.wrapping_add(h.hash_one(("g", &g.id.0)));
        for c in &g.channels {
            key = key.wrapping_add(h.hash_one(("c", &g.id.0, &c.id.0)));
        }
    }
    for a in aliases {
        key = key.wrapping_add(h.hash_one(("a", a)));
    }
    for f in files {
        key = key.wrapping_add(h.hash_one(("f", f)));
    }
    key
}

/// Runs the build's screenshot stage over one guide (resized, redacted, highlighted, cached in
/// `ROOT/.guidepost-cache`), so the preview shows what the build publishes. Its problems join the
/// guide's diagnostics; linked pictures it publishes leave `assets`.
fn guide_images(
    root: &Path,
    inputs: &Inputs,
    config: &crate::content::model::SiteConfig,
    guide: &mut Option<Guide>,
    assets: &mut Vec<String>,
    diags: &mut Vec<Diagnostic>,
    progress: &dyn Progress,
) -> Vec<images::OutFile> {
    let Some(g) = guide.take() else {
        return Vec::new();
    };
    let id = g.id.0.clone();
    let mut site = Site {
        config: config.clone(),
        intro: Vec::new(),
        guides: vec![g],
    };
    let mut set: BTreeSet<String> = assets.drain(..).collect();
    let out = images::process(
        root,
        &inputs.content_dir,
        &inputs.files,
        images::Pass::publish(images::Scope::Guide(&id), progress),
        &mut site,
        &mut set,
        diags,
    );
    *assets = set.into_iter().collect();
    *guide = site.guides.pop();
    out.files
}

pub struct Session {
    root: PathBuf,
    drafts: bool,
    /// `None` when the site could not be read at all (no `site.toml`, a broken template …).
    state: Option<State>,
    /// The diagnostics that left `state` empty.
    fatal: Vec<Diagnostic>,
    dirty: Dirty,
    files: Arc<RwLock<Files>>,
    published: bool,
    /// Whether the last rebuild failed (the browser shows its errors).
    failing: bool,
    /// The paths (relative to the root) of the last update.
    changed: Vec<String>,
    /// Told how the image stage gets on.
    progress: Arc<dyn Progress + Send>,
    /// Does an update leave the search index to [`Session::finish_index`]?
    defer_index: bool,
}

impl Session {
    /// A session for the site at `root`; nothing is read until [`Session::rebuild_all`].
    pub fn new(root: &Path, drafts: bool) -> Session {
        Session {
            root: root.to_path_buf(),
            drafts,
            state: None,
            fatal: Vec::new(),
            dirty: Dirty::default(),
            files: Arc::default(),
            published: false,
            failing: false,
            changed: Vec::new(),
            progress: Arc::new(crate::progress::Quiet),
            defer_index: false,
        }
    }

    /// The session, leaving the search index an update changes to [`Session::finish_index`]:
    /// the preview tells the open pages to reload first (the pages do not depend on the index;
    /// until it is made again the previous one is served, whole, under its own version).
    pub fn deferring_index(mut self) -> Session {
        self.defer_index = true;
        self
    }

    /// Makes the search index the last update left to do, and serves it. `true` if it did.
    pub fn finish_index(&mut self) -> bool {
        match &mut self.state {
            Some(state) => state.finish_index(&self.files),
            None => false,
        }
    }

    /// The session, telling `progress` how its image stage gets on.
    pub fn with_progress(mut self, progress: Arc<dyn Progress + Send>) -> Session {
        self.progress = progress;
        self
    }

    /// What the session tells of its progress (for a fresh session that replaces it).
    pub fn progress(&self) -> Arc<dyn Progress + Send> {
        self.progress.clone()
    }

    /// The published files, shared with whoever serves them.
    pub fn files(&self) -> Arc<RwLock<Files>> {
        self.files.clone()
    }

    /// Whether a build has succeeded yet (something is served).
    pub fn has_published(&self) -> bool {
        self.published
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn drafts(&self) -> bool {
        self.drafts
    }

    /// Takes over the state of `fresh` (after a failure), publishing into the same files.
    pub fn adopt(&mut self, fresh: Session) {
        let files = std::mem::take(&mut *fresh.files.write().unwrap_or_else(|e| e.into_inner()));
        let published = fresh.published;
        let was_published = self.published;
        let keep = self.files.clone();
        let defer_index = self.defer_index;
        *self = fresh;
        self.defer_index = defer_index;
        if published {
            *keep.write().unwrap_or_else(|e| e.into_inner()) = files;
        }
        self.files = keep;
        self.published = published || was_published;
    }

    /// The paths (relative to the root) the last [`Session::update`] looked at.
    pub fn changed(&self) -> &[String] {
        &self.changed
    }

    /// Reads and renders the whole site.
    pub fn rebuild_all(&mut self, cause: impl Into<String>) -> Report {
        let start = Instant::now();
        self.dirty.all = true;
        self.read_all();
        self.finish(cause.into(), start)
    }

    fn read_all(&mut self) {
        self.state = None;
        self.fatal.clear();
        let root = &self.root;
        let crate::Read {
            inputs,
            discover_diags,
            theme,
            theme_diags,
        } = crate::read(root);
        let mut base_diags = theme_diags;
        let mut file_diags: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for d in discover_diags {
            match d.span.as_ref().map(|s| s.file.clone()) {
                Some(f) if f.ends_with(".md") && f.starts_with("content/") => {
                    file_diags.entry(f).or_default().push(d)
                }
                _ => base_diags.push(d),
            }
        }
        let (Some(inputs), Some(theme)) = (inputs, theme) else {
            self.fatal = base_diags;
            self.fatal.extend(file_diags.into_values().flatten());
            return;
        };
        // the whole-site checks of `build` (templates and static files: only a full reload)
        crate::content::validate::site(&inputs, &mut base_diags);
        let Some(config) = load::parse_config(&inputs.config, &mut base_diags) else {
            self.fatal = base_diags;
            return;
        };
        let mut home_diags = Vec::new();
        let home = load::load_home(&inputs, &mut home_diags);
        let opts = LoadOptions {
            drafts: self.drafts,
        };
        let results: Vec<(String, load::GuideResult)> = inputs
            .guides
            .par_iter()
            .map(|g| (g.id.clone(), load::load_guide(&inputs, &config, g, &opts)))
            .collect();
        let mut guides = Vec::new();
        let mut sides = HashMap::new();
        for (id, mut r) in results {
            let images = guide_images(
                &self.root,
                &inputs,
                &config,
                &mut r.guide,
                &mut r.assets,
                &mut r.diagnostics,
                &*self.progress,
            );
            if let Some(g) = r.guide {
                guides.push(g);
            }
            sides.insert(
                id,
                Side {
                    assets: r.assets,
                    images,
                    links: r.links,
                    diagnostics: r.diagnostics,
                },
            );
        }
        load::sort_guides(&mut guides);
        let site = Site {
            config,
            intro: home.intro.clone(),
            guides,
        };
        let html = site
            .guides
            .par_iter()
            .map(|g| (g.id.0.clone(), render::prepare_guide(&theme, g)))
            .collect();
        let intro_html = render::prepare_intro(&theme, &site);
        let mut state = State {
            inputs,
            theme,
            site,
            base_diags,
            file_diags,
            home,
            home_diags,
            intro_html,
            sides,
            html,
            link_diags: Vec::new(),
            anchors: load::Anchors::new(),
            qr: crate::links::qr::Store::open(&self.root),
            lock: crate::links::lock::Recorded::read(&self.root),
            owners_clean: None,
            search_version: None,
            search_files: Vec::new(),
            search_parts: Default::default(),
            index_due: None,
        };
        state.anchors = load::anchors(&state.site);
        state.check_links();
        self.state = Some(state);
    }

    /// Brings the session up to date with changes to `paths` (absolute, or relative to the root),
    /// as reported by a file watcher: created, modified, removed or renamed files and folders.
    pub fn update(&mut self, paths: &[PathBuf]) -> Report {
        let start = Instant::now();
        let mut rels: Vec<String> = paths
            .iter()
            .filter_map(|p| relevant(&self.root, p))
            .collect();
        rels.sort();
        rels.dedup();
        // name the file the author saved, not an editor's temporary file
        let shown = rels
            .iter()
            .max_by_key(|r| {
                (
                    r.ends_with(".md") || r.ends_with(".toml"),
                    self.root.join(r).exists(),
                )
            })
            .cloned();
        self.changed = rels.clone();
        let cause = match (shown, rels.len()) {
            (None, _) => return self.unchanged("nothing".into(), start),
            (Some(one), 1) => one,
            (Some(one), n) => format!("{one} and {} more", n - 1),
        };
        let drafts = self.drafts;
        let Some(state) = &mut self.state else {
            return self.rebuild_all(cause);
        };
        let Some(change) = state.classify(&rels) else {
            return self.rebuild_all(cause);
        };
        let before = self.dirty.is_empty() && self.published && !self.failing;
        state.apply(&self.root, change, drafts, &mut self.dirty, &*self.progress);
        if before && self.dirty.is_empty() && !state.has_errors() {
            return self.unchanged(cause, start);
        }
        self.finish(cause, start)
    }

    fn unchanged(&self, cause: String, start: Instant) -> Report {
        Report {
            outcome: Outcome::Some {
                pages: Vec::new(),
                warnings: Diagnostics::default(),
            },
            cause,
            elapsed: start.elapsed(),
        }
    }

    /// Renders what is dirty and publishes it, unless the site has errors.
    fn finish(&mut self, cause: String, start: Instant) -> Report {
        let r = self.finish_inner(cause, start);
        self.failing = matches!(r.outcome, Outcome::Failed(_));
        r
    }

    fn finish_inner(&mut self, cause: String, start: Instant) -> Report {
        let report = |outcome| Report {
            outcome,
            cause: cause.clone(),
            elapsed: start.elapsed(),
        };
        let Some(state) = &mut self.state else {
            let mut d = Diagnostics(self.fatal.clone());
            d.sort();
            return report(Outcome::Failed(d));
        };
        let mut diags = state.diagnostics();
        if diags.has_errors() {
            return report(Outcome::Failed(diags));
        }
        // a whole-site read makes the index at once (nothing is served before it)
        let defer = self.defer_index && !self.dirty.all;
        match state.render(&self.dirty, &self.files, defer) {
            Err(errors) => {
                diags.extend(errors);
                diags.sort();
                report(Outcome::Failed(diags))
            }
            Ok(pages) => {
                let all = self.dirty.all;
                self.dirty = Dirty::default();
                self.published = true;
                if all {
                    report(Outcome::All {
                        pages: pages.iter().filter(|p| p.ends_with(".html")).count(),
                        warnings: diags,
                    })
                } else {
                    report(Outcome::Some {
                        pages,
                        warnings: diags,
                    })
                }
            }
        }
    }
}

/// `path` relative to the site root, if a rebuild may depend on it: `site.toml` and what is
/// under `content/`, `templates/` and `static/`, except hidden and backup files (as discovery).
fn relevant(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    if rel.is_absolute() {
        return None;
    }
    let rel = crate::content::source::rel_path(Path::new(""), rel);
    let top = rel.split('/').next()?;
    let hidden = rel.split('/').any(|p| {
        p.starts_with('.') || p.starts_with('~') || p.ends_with('~') || p.ends_with(".swp")
    });
    let watched = rel == "site.toml" || matches!(top, "content" | "templates" | "static");
    (watched && !hidden).then_some(rel)
}

/// What a set of changes needs, short of reloading everything.
#[derive(Default)]
struct Change {
    home: bool,
    /// Markdown files of guide folders to read again (relative to the root).
    sources: BTreeSet<String>,
    /// Other paths under `content/` (relative to it) whose existence may have changed.
    others: BTreeSet<String>,
}

impl State {
    /// `None` when the changes need a reload of everything.
    fn classify(&self, rels: &[String]) -> Option<Change> {
        let mut change = Change::default();
        let known = |id: &str| self.inputs.guides.iter().any(|g| g.id == id);
        // a real folder, not a link to one (the input rule: see `confine`)
        let is_dir = |p: &Path| {
            crate::content::confine::entry(&self.inputs.root, p)
                == Ok(crate::content::confine::Entry::Dir)
        };
        for rel in rels {
            if rel == "content" && is_dir(&self.inputs.content_dir) {
                continue; // its entries changed (a polling watcher says so): they are listed too
            }
            let c = rel.strip_prefix("content/")?;
            let parts: Vec<&str> = c.split('/').collect();
            if parts.len() == 1 {
                if c == "_index.md" {
                    change.home = true;
                    continue;
                }
                if known(c) && is_dir(&self.inputs.content_dir.join(c)) {
                    continue; // a guide folder whose entries changed
                }
                return None; // a new or removed guide folder, or a file beside the guides
            }
            let known = known(parts[0]);
            if !known || !is_dir(&self.inputs.content_dir.join(parts[0])) {
                return None; // a new or removed guide
            }
            if c.ends_with(".md") {
                if parts.len() > 2 {
                    return None; // nested too deep: discovery warns about it
                }
                change.sources.insert(rel.clone());
            } else {
                change.others.insert(c.to_string());
            }
        }
        Some(change)
    }

    fn apply(
        &mut self,
        site_root: &Path,
        change: Change,
        drafts: bool,
        dirty: &mut Dirty,
        progress: &dyn Progress,
    ) {
        let root = self.inputs.root.clone();
        let mut reload: BTreeSet<String> = BTreeSet::new();
        if change.home {
            let path = self.inputs.content_dir.join("_index.md");
            let mut d = Vec::new();
            let is_file = crate::content::confine::is_file(&root, &path, &mut d);
            self.inputs.home = if is_file {
                SourceFile::read(&root, &path, &mut d)
            } else {
                None
            };
            self.file_diags.insert("content/_index.md".into(), d);
            self.inputs.files.remove("_index.md");
            if is_file {
                self.inputs.files.insert("_index.md".into());
            }
            self.home_diags.clear();
            self.home = load::load_home(&self.inputs, &mut self.home_diags);
            if self.home.intro != self.site.intro {
                self.site.intro = self.home.intro.clone();
                self.intro_html = render::prepare_intro(&self.theme, &self.site);
                dirty.home = true;
            }
            dirty.assets = true;
        }
        for rel in &change.sources {
            let c = &rel["content/".len()..];
            let (guide, name) = c.split_once('/').unwrap_or_default();
            reload.insert(guide.to_string());
            let path = root.join(rel);
            let mut d = Vec::new();
            // the input rule again: a file swapped for a link is reported and left out
            let is_file = crate::content::confine::is_file(&root, &path, &mut d);
            let file = if is_file {
                SourceFile::read(&root, &path, &mut d)
            } else {
                None
            };
            self.file_diags.insert(rel.clone(), d);
            self.inputs.files.remove(c);
            if is_file {
                self.inputs.files.insert(c.to_string());
            }
            let Some(input) = self.inputs.guides.iter_mut().find(|g| g.id == guide) else {
                continue;
            };
            if name == "_index.md" {
                input.index = file;
            } else {
                input.channels.retain(|f| f.rel != *rel);
                if let Some(f) = file {
                    let at = input
                        .channels
                        .partition_point(|x| x.path.file_name() < f.path.file_name());
                    input.channels.insert(at, f);
                }
            }
        }
        for c in &change.others {
            let path = self.inputs.content_dir.join(c);
            let prefix = format!("{c}/");
            let before: Vec<String> = self
                .inputs
                .files
                .iter()
                .filter(|f| *f == c || f.starts_with(&prefix))
                .cloned()
                .collect();
            let mut after = Vec::new();
            let mut d = Vec::new();
            match crate::content::confine::entry(&root, &path) {
                Ok(crate::content::confine::Entry::File) => after.push(c.clone()),
                Ok(crate::content::confine::Entry::Dir) => {
                    for e in walkdir::WalkDir::new(&path)
                        .follow_links(false)
                        .into_iter()
                        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .flatten()
                    {
                        if e.file_type().is_symlink() {
                            d.push(crate::content::confine::warning(&root, e.path()));
                        } else if e.file_type().is_file() {
                            after.push(crate::content::source::rel_path(
                                &self.inputs.content_dir,
                                e.path(),
                            ));
                        }
                    }
                }
                Ok(_) => {}
                Err(crate::content::confine::Symlink(p)) => {
                    d.push(crate::content::confine::warning(&root, &p))
                }
            }
            self.file_diags.insert(format!("content/{c}"), d);
            let membership_changed = {
                let b: HashSet<&String> = before.iter().collect();
                let a: HashSet<&String> = after.iter().collect();
                a != b
            };
            for f in &before {
                self.inputs.files.remove(f);
            }
            let touched: Vec<String> = before.into_iter().chain(after.iter().cloned()).collect();
            self.inputs.files.extend(after);
            if membership_changed {
                reload.insert(c.split('/').next().unwrap_or_default().to_string());
            }
            // guides that show or publish these files (a screenshot can be used from elsewhere)
            for (id, side) in &self.sides {
                if touched.iter().any(|t| side.assets.contains(t)) {
                    reload.insert(id.clone());
                }
            }
            for g in &self.site.guides {
                if g.blocks().any(|b| shows(b, &touched)) {
                    reload.insert(g.id.0.clone());
                }
            }
            if model::walk(&self.site.intro).any(|b| shows(b, &touched))
                || touched.iter().any(|t| self.home.assets.contains(t))
            {
                self.home_diags.clear();
                self.home = load::load_home(&self.inputs, &mut self.home_diags);
                self.site.intro = self.home.intro.clone();
                self.intro_html = render::prepare_intro(&self.theme, &self.site);
                dirty.home = true;
            }
            if !touched.is_empty() {
                dirty.assets = true;
            }
        }
        let opts = LoadOptions { drafts };
        let results: Vec<(String, load::GuideResult)> = reload
            .par_iter()
            .filter_map(|id| {
                let input = self.inputs.guides.iter().find(|g| g.id == *id)?;
                Some((
                    id.clone(),
                    load::load_guide(&self.inputs, &self.site.config, input, &opts),
                ))
            })
            .collect();
        let mut resort = false;
        for (id, _) in &results {
            let prefix = format!("{id}/");
            self.anchors.retain(|page, _| !page.starts_with(&prefix));
        }
        for (id, mut r) in results {
            let images = guide_images(
                site_root,
                &self.inputs,
                &self.site.config,
                &mut r.guide,
                &mut r.assets,
                &mut r.diagnostics,
                progress,
            );
            if let Some(g) = &r.guide {
                self.anchors.extend(load::guide_anchors(g));
            }
            let old_at = self.site.guides.iter().position(|g| g.id.0 == id);
            let old = old_at.map(|i| &self.site.guides[i]);
            let same_assets = self.sides.get(&id).is_some_and(|s| {
                s.assets == r.assets
                    && s.images
                        .iter()
                        .map(|f| &f.rel)
                        .eq(images.iter().map(|f| &f.rel))
            });
            let touched_assets = change.others.iter().any(|o| {
                r.assets
                    .iter()
                    .any(|a| a == o || a.starts_with(&format!("{o}/")))
            });
            dirty.compare(&id, old, r.guide.as_ref());
            if touched_assets {
                // same model, new screenshot bytes: render its pages so browsers reload them
                dirty.guides.insert(id.clone());
            }
            if !same_assets {
                dirty.assets = true;
            }
            if old.map(|g| (&g.meta.order, &g.meta.draft))
                != r.guide.as_ref().map(|g| (&g.meta.order, &g.meta.draft))
            {
                resort = true;
            }
            match (old_at, r.guide) {
                (Some(i), Some(g)) => {
                    if self.site.guides[i] != g {
                        self.html
                            .insert(id.clone(), render::prepare_guide(&self.theme, &g));
                        self.site.guides[i] = g;
                    }
                }
                (Some(i), None) => {
                    self.site.guides.remove(i);
                    self.html.remove(&id);
                }
                (None, Some(g)) => {
                    self.html
                        .insert(id.clone(), render::prepare_guide(&self.theme, &g));
                    self.site.guides.push(g);
                    resort = true;
                }
                (None, None) => {}
            }
            self.sides.insert(
                id,
                Side {
                    assets: r.assets,
                    images,
                    links: r.links,
                    diagnostics: r.diagnostics,
                },
            );
        }
        if resort {
            load::sort_guides(&mut self.site.guides);
        }
        self.check_links();
    }

    fn check_links(&mut self) {
        let inputs = &self.inputs;
        // the file a broken link is in, found only for the few links that are broken
        let source = |rel: &str| -> Option<&SourceFile> {
            if let Some(h) = inputs.home.as_ref().filter(|h| h.rel == rel) {
                return Some(h);
            }
            let guide = rel.strip_prefix("content/")?.split('/').next()?;
            let g = inputs.guides.iter().find(|g| g.id == guide)?;
            g.index.iter().chain(&g.channels).find(|f| f.rel == rel)
        };
        let mut d = Vec::new();
        load::check_links_against(
            &self.anchors,
            self.home
                .links
                .iter()
                .chain(self.sides.values().flat_map(|s| &s.links)),
            source,
            &mut d,
        );
        self.link_diags = d;
    }

    fn has_errors(&self) -> bool {
        self.diagnostics().has_errors()
    }

    /// Every diagnostic of the site as it is now, in a stable order.
    fn diagnostics(&self) -> Diagnostics {
        let mut d = Diagnostics(self.base_diags.clone());
        d.extend(self.file_diags.values().flatten().cloned());
        d.extend(self.home_diags.iter().cloned());
        d.extend(
            self.sides
                .values()
                .flat_map(|s| s.diagnostics.iter().cloned()),
        );
        d.extend(self.link_diags.iter().cloned());
        d.extend(self.intro_html.as_ref().err().cloned());
        d.extend(
            self.site
                .guides
                .iter()
                .filter_map(|g| self.html.get(&g.id.0)?.as_ref().err().cloned()),
        );
        d.sort();
        d
    }

    /// Renders the dirty pages into `files`; returns their paths.
    fn render(
        &mut self,
        dirty: &Dirty,
        files: &RwLock<Files>,
        defer_index: bool,
    ) -> Result<Vec<String>, Vec<Diagnostic>> {
        let intro = match &self.intro_html {
            Ok(i) => i.clone(),
            Err(d) => return Err(vec![d.clone()]),
        };
        // the prepared HTML in the order of the guides, lent to the renderer and put back after
        let mut guides = Vec::with_capacity(self.site.guides.len());
        for g in &self.site.guides {
            match self.html.remove(&g.id.0) {
                Some(Ok(h)) => guides.push(h),
                other => {
                    // not reached: the diagnostics hold a guide's preparation error
                    for (g, h) in self.site.guides.iter().zip(guides) {
                        self.html.insert(g.id.0.clone(), Ok(h));
                    }
                    if let Some(o) = other {
                        self.html.insert(g.id.0.clone(), o);
                    }
                    return Err(vec![Diagnostic::error(
                        "internal",
                        format!("the guide `{}` was not prepared", g.id.0),
                    )]);
                }
            }
        }
        let prepared = Prepared { intro, guides };
        // the search index, made again (as `build` writes it) when what it is made of changed
        let search_plan = self
            .site
            .config
            .search
            .then(|| crate::search::index::plan(&self.site));
        let search_version = search_plan.as_ref().map(|p| p.version.clone());
        let changed_index = search_version != self.search_version;
        // made now, or left to `finish_index`
        let new_index = changed_index && !defer_index;
        let site = &self.site;
        // links: aliases and the lock, as `build` checks them (the lock is only read)
        let sources = self.inputs.sources();
        let mut diags = Vec::new();
        let mut jobs: Vec<Job> = render::plan(site);
        let others = self
            .published_assets()
            .chain(self.theme.statics.keys().map(|s| format!("static/{s}")));
        let mut links = crate::pipeline::plan_links(
            site,
            &self.inputs.root,
            &sources,
            &mut jobs,
            others,
            &mut diags,
        );
        let assets = || {
            self.home
                .assets
                .iter()
                .chain(self.sides.values().flat_map(|s| &s.assets))
        };
        let screenshots = || self.sides.values().flat_map(|s| &s.images);
        let shape = output_shape(
            site,
            jobs.len(),
            links.aliases.iter().map(|a| a.file.as_str()),
            assets()
                .map(String::as_str)
                .chain(screenshots().map(|f| f.rel.as_str()))
                .chain(self.theme.statics.keys().map(String::as_str)),
        );
        if self.owners_clean != Some(shape) {
            let clean = crate::output::owners::check(
                site,
                &jobs,
                &links,
                crate::output_files(assets(), screenshots(), self.theme.statics.keys()),
                &sources,
                &mut diags,
            );
            self.owners_clean = clean.then_some(shape);
        }
        // the lock as `build` checks it, read again only when it changed on disk (a build in
        // another terminal updates it); its new text is not made, a preview writes nothing
        if !self.lock.is_current(&self.inputs.root) {
            self.lock = crate::links::lock::Recorded::read(&self.inputs.root);
        }
        crate::links::lock::compare(
            &self.inputs.root,
            &self.lock,
            &links,
            false,
            false,
            &mut diags,
        );
        // QR codes only of the pages whose code is rendered now (its file, or the print page
        // that shows the guide page's code)
        let mut wanted = BTreeSet::new();
        for j in jobs.iter().filter(|j| dirty.wants(j, site)) {
            match j {
                Job::Qr { guide, channel, .. } => {
                    wanted.insert(render::qr_page(site, *guide, *channel));
                }
                Job::Print(gi) if links.base_url.is_some() => {
                    wanted.insert(render::qr_page(site, *gi, None));
                }
                _ => {}
            }
        }
        for path in wanted {
            let code = self.qr.get(&links.url(&path));
            links.add_qr_code(path, code, &mut diags);
        }
        if diags.iter().any(Diagnostic::is_error) {
            for (g, h) in self.site.guides.iter().zip(prepared.guides) {
                self.html.insert(g.id.0.clone(), Ok(h));
            }
            return Err(diags);
        }
        let mut renderer = Renderer::new(site, &self.theme, &links, &prepared);
        renderer.search = site.config.search.then_some(crate::search::index::MANIFEST);
        let (rendered, index) = rayon::join(
            || -> Vec<(String, Result<Vec<u8>, Diagnostic>)> {
                jobs.par_iter()
                    .filter(|j| dirty.wants(j, site))
                    .map(|j| (j.path(site), renderer.render(j)))
                    .collect()
            },
            || {
                search_plan
                    .as_ref()
                    .filter(|_| new_index)
                    .map(|p| self.search_parts.build(site, p))
            },
        );
        for (g, h) in self.site.guides.iter().zip(prepared.guides) {
            self.html.insert(g.id.0.clone(), Ok(h));
        }
        let errors: Vec<Diagnostic> = rendered
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let pages: Vec<(String, Bytes)> = rendered
            .into_iter()
            .filter_map(|(p, r)| Some((p, Bytes::from(r.ok()?))))
            .collect();
        let paths: Vec<String> = pages.iter().map(|(p, _)| p.clone()).collect();
        let assets = (dirty.all || dirty.assets).then(|| self.published_files());
        let mut out = files.write().unwrap_or_else(|e| e.into_inner());
        if dirty.all {
            out.shots.update(site, None);
        } else {
            let ids: BTreeSet<&str> = (dirty.guides.iter())
                .chain(&dirty.guide_pages)
                .chain(&dirty.page_sets)
                .map(String::as_str)
                .chain(dirty.channels.iter().map(|(g, _)| g.as_str()))
                .collect();
            out.shots
                .update(site, Some(&ids.into_iter().collect::<Vec<_>>()));
        }
        if dirty.all {
            out.pages = pages.into_iter().collect();
            out.base_path = (self.site.config.base_url.as_deref())
                .map(|b| render::url_path(b).trim_start_matches('/').to_string())
                .unwrap_or_default();
        } else {
            // pages no longer built (a channel or guide removed) go
            if !dirty.guides.is_empty() {
                let built: HashSet<String> = jobs.iter().map(|j| j.path(&self.site)).collect();
                out.pages.retain(|p, _| built.contains(p));
            }
            out.pages.extend(pages);
        }
        let files_replaced = assets.is_some();
        if let Some(a) = assets {
            out.files = a;
        }
        if new_index {
            self.search_files = index_files(index);
        }
        if new_index || files_replaced {
            self.serve_index(&mut out);
        }
        drop(out);
        if new_index {
            self.search_version = search_version;
            self.index_due = None;
        } else if changed_index {
            self.index_due = Some(search_plan);
        }
        Ok(paths)
    }

    /// Makes the index [`State::render`] left to do, and serves it in place of the old one.
    fn finish_index(&mut self, files: &RwLock<Files>) -> bool {
        let Some(plan) = self.index_due.take() else {
            return false;
        };
        let index = plan
            .as_ref()
            .map(|p| self.search_parts.build(&self.site, p));
        self.search_files = index_files(index);
        self.serve_index(&mut files.write().unwrap_or_else(|e| e.into_inner()));
        self.search_version = plan.map(|p| p.version);
        true
    }

    /// Serves [`State::search_files`] in place of whatever index `out` served.
    fn serve_index(&self, out: &mut Files) {
        out.files.retain(|p, _| !p.starts_with("search/"));
        for (p, b) in &self.search_files {
            out.files.insert(p.clone(), Body::Bytes(b.clone()));
        }
    }

    /// Screenshots and linked files, by their output path.
    fn published_assets(&self) -> impl Iterator<Item = String> + '_ {
        self.home
            .assets
            .iter()
            .chain(self.sides.values().flat_map(|s| &s.assets))
            .cloned()
    }

    /// Screenshots, linked files and static files, by their output path.
    fn published_files(&self) -> HashMap<String, Body> {
        let mut files = HashMap::new();
        for a in self
            .home
            .assets
            .iter()
            .chain(self.sides.values().flat_map(|s| &s.assets))
        {
            files.insert(a.clone(), Body::File(self.inputs.content_dir.join(a)));
        }
        for f in self.sides.values().flat_map(|s| &s.images) {
            let body = match &f.blob {
                images::Blob::Cached(p) => Body::File(p.clone()),
                images::Blob::Memory(b) => Body::Bytes(Bytes::from(b.as_ref().clone())),
            };
            files.insert(f.rel.clone(), body);
        }
        for (name, src) in &self.theme.statics {
            let body = match src {
                StaticSource::Embedded(b) => Body::Embedded(b),
                StaticSource::File(p) => Body::File(p.clone()),
            };
            files.insert(format!("static/{name}"), body);
        }
        files
    }
}

/// Whether the block `b` shows one of `paths`: its picture, or for a screenshot its settings file
/// (redactions, highlights: an edit of an existing one changes no file list, only the picture).
fn shows(b: &Block, paths: &[String]) -> bool {
    match b {
        Block::Figure(f) => {
            paths.contains(&f.path)
                || crate::images::sidecar::candidates(&f.path)
                    .iter()
                    .any(|c| paths.contains(c))
        }
        Block::Slot(s) => paths.contains(&s.path),
        Block::Callout { .. } | Block::Html(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of a fixture site in a temporary folder.
    fn site(fixture: &str) -> tempfile::TempDir {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture);
        let t = tempfile::tempdir().unwrap();
        for e in walkdir::WalkDir::new(&src) {
            let e = e.unwrap();
            let dest = t.path().join(e.path().strip_prefix(&src).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
        t
    }

    fn snapshot(s: &Session) -> (Vec<(String, Bytes)>, Vec<String>) {
        let f = s.files.read().unwrap();
        let mut pages: Vec<_> = f
            .pages
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pages.sort();
        let mut files: Vec<_> = f.files.keys().cloned().collect();
        files.sort();
        (pages, files)
    }

    /// The search index's files as served.
    fn served_index(s: &Session) -> Vec<(String, Vec<u8>)> {
        let f = s.files.read().unwrap();
        let mut v: Vec<_> = f
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("search/"))
            .map(|(p, b)| match b {
                Body::Bytes(b) => (p.clone(), b.to_vec()),
                _ => panic!("{p} is not in memory"),
            })
            .collect();
        v.sort();
        v
    }

    /// A session that defers the index (the preview's) renders the pages of a save at once and
    /// keeps serving the previous index, whole, until `finish_index` makes the new one: then it
    /// serves what a fresh build makes.
    #[test]
    fn a_deferred_index_is_served_old_until_it_is_made_then_as_a_fresh_build_makes_it() {
        let t = site("basic");
        let root = t.path();
        let mut s = Session::new(root, false).deferring_index();
        s.rebuild_all("start");
        let before = served_index(&s);
        assert!(
            !before.is_empty(),
            "the first build makes the index at once"
        );
        assert!(!s.finish_index(), "nothing left to make");
        let web = root.join("content/renew-card/web.md");
        let text = std::fs::read_to_string(&web).unwrap();
        std::fs::write(&web, text.replace("输入学号和密码", "输入学号和口令")).unwrap();
        let r = s.update(&[web]);
        assert!(matches!(r.outcome, Outcome::Some { .. }), "{r:?}");
        assert_eq!(
            served_index(&s),
            before,
            "the previous index until it is made"
        );
        assert!(s.finish_index());
        let mut fresh = Session::new(root, false);
        fresh.rebuild_all("fresh");
        assert_ne!(served_index(&s), before);
        assert_eq!(served_index(&s), served_index(&fresh));
        assert!(snapshot(&s) == snapshot(&fresh), "pages as a fresh build's");
    }

    /// The preview checks `links.lock` as the build does, and reads it again when it changes on
    /// disk (a build in another terminal writes it), not on every save.
    #[test]
    fn the_lock_is_checked_and_read_again_when_it_changes() {
        let t = site("basic");
        let root = t.path();
        let lock = root.join(crate::links::lock::FILE);
        std::fs::write(&lock, "/renew-card/\n/gone/  # 旧指南\n").unwrap();
        let mut s = Session::new(root, false);
        let codes = |o: &Outcome| match o {
            Outcome::Failed(d) => d.0.iter().map(|d| d.code).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(codes(&s.rebuild_all("start").outcome), ["link-removed"]);
        // a save that does not touch the lock: still refused
        let web = root.join("content/renew-card/web.md");
        let text = std::fs::read_to_string(&web).unwrap();
        std::fs::write(&web, format!("{text}\n")).unwrap();
        assert_eq!(
            codes(&s.update(std::slice::from_ref(&web)).outcome),
            ["link-removed"]
        );
        // the address dropped on purpose in another terminal: the next save is fine
        std::fs::write(&lock, "/renew-card/\n").unwrap();
        std::fs::write(&web, &text).unwrap();
        let r = s.update(&[web]);
        assert!(!matches!(r.outcome, Outcome::Failed(_)), "{:?}", r.outcome);
    }

    /// After each change the session serves exactly what a fresh build would, and renders
    /// only the pages the change touches.
    #[test]
    fn updates_equal_a_fresh_build() {
        let t = site("basic");
        let root = t.path();
        let mut s = Session::new(root, false);
        assert!(matches!(
            s.rebuild_all("start").outcome,
            Outcome::All { .. }
        ));
        let web = root.join("content/renew-card/web.md");
        let wechat = root.join("content/renew-card/wechat.md");
        let text = std::fs::read_to_string(&web).unwrap();

        let check = |s: &mut Session, paths: &[&Path], expect: Option<&[&str]>| {
            let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
            let r = s.update(&paths);
            let mut fresh = Session::new(root, false);
            fresh.rebuild_all("fresh");
            match (&r.outcome, expect) {
                (Outcome::Some { pages, .. }, Some(expect)) => {
                    let mut pages = pages.clone();
                    pages.sort();
                    assert_eq!(pages, expect, "pages rendered again");
                }
                (Outcome::Failed(_), None) => return,
                (o, e) => panic!("unexpected {o:?} (expected {e:?})"),
            }
            assert!(
                snapshot(s) == snapshot(&fresh),
                "differs from a fresh build"
            );
        };

        // a step's text: that channel's page and its guide page
        std::fs::write(&web, text.replace("输入学号和密码", "输入学号和口令")).unwrap();
        check(
            &mut s,
            &[&web],
            Some(&[
                "renew-card/index.html",
                "renew-card/print/index.html",
                "renew-card/web/index.html",
                "share/renew-card/index.html",
            ]),
        );
        // a channel's title shows on every page of the guide, the home page and the share page
        // (its QR codes stay: they encode the URL only)
        std::fs::write(&web, text.replace("网上办事大厅\"", "网上服务大厅\"")).unwrap();
        check(
            &mut s,
            &[&web],
            Some(&[
                "index.html",
                "renew-card/index.html",
                "renew-card/print/index.html",
                "renew-card/web/index.html",
                "renew-card/wechat/index.html",
                "share/index.html",
                "share/renew-card/index.html",
                "sitemap.xml",
            ]),
        );
        // the screenshot a slot waits for arrives
        let shot = root.join("content/renew-card/images/wechat-1.png");
        std::fs::copy(root.join("content/renew-card/images/login.png"), &shot).unwrap();
        let r = s.update(std::slice::from_ref(&shot));
        assert!(
            matches!(&r.outcome, Outcome::Some { pages, .. } if pages.contains(&"renew-card/wechat/index.html".to_string())),
            "{r:?}"
        );
        assert!(
            s.files.read().unwrap().files.keys().any(|k| k
                .starts_with("renew-card/images/wechat-1.")
                && k.ends_with(".webp")
                || k.starts_with("renew-card/images/wechat-1.") && k.ends_with(".png")),
            "the screenshot is published processed, as the build does"
        );
        // a redaction added to a screenshot's settings file, then moved (no file appears or goes:
        // the picture is still made again, as a fresh build makes it)
        let settings = root.join("content/renew-card/images/login.toml");
        for rect in ["[0, 0, 10, 10]", "[5, 5, 10, 10]"] {
            let before = snapshot(&s);
            std::fs::write(
                &settings,
                format!("# 手写的注释\n[[redact]]\nrect = {rect}\n"),
            )
            .unwrap();
            let r = s.update(std::slice::from_ref(&settings));
            assert!(
                matches!(&r.outcome, Outcome::Some { pages, .. } if pages.contains(&"renew-card/web/index.html".to_string())),
                "{rect}: {r:?}"
            );
            assert!(
                snapshot(&s) != before,
                "{rect}: the redacted picture is published"
            );
            let mut fresh = Session::new(root, false);
            fresh.rebuild_all("fresh");
            assert!(
                snapshot(&s) == snapshot(&fresh),
                "{rect}: differs from a fresh build"
            );
        }
        // an error: nothing is published; then fixed
        let before = snapshot(&s);
        std::fs::write(&wechat, "---\ntitel: 企业微信\n---\n\n## 打开\n\n文字\n").unwrap();
        check(&mut s, &[&wechat], None);
        assert!(snapshot(&s) == before, "a failed rebuild publishes nothing");
        std::fs::write(
            &wechat,
            "---\ntitle: 企业微信\norder: 1\n---\n\n## 打开\n\n文字\n",
        )
        .unwrap();
        let r = s.update(std::slice::from_ref(&wechat));
        assert!(matches!(r.outcome, Outcome::Some { .. }), "{r:?}");
        let mut fresh = Session::new(root, false);
        fresh.rebuild_all("fresh");
        assert!(snapshot(&s) == snapshot(&fresh));
        // a new channel, then removed again
        let app = root.join("content/renew-card/app.md");
        std::fs::write(&app, "+++\ntitle = \"APP\"\n+++\n\n## 打开 APP\n\n文字\n").unwrap();
        let r = s.update(std::slice::from_ref(&app));
        assert!(matches!(r.outcome, Outcome::Some { .. }), "{r:?}");
        assert!(
            s.files
                .read()
                .unwrap()
                .pages
                .contains_key("renew-card/app/index.html")
        );
        std::fs::remove_file(&app).unwrap();
        let r = s.update(std::slice::from_ref(&app));
        assert!(matches!(r.outcome, Outcome::Some { .. }), "{r:?}");
        assert!(
            !s.files
                .read()
                .unwrap()
                .pages
                .contains_key("renew-card/app/index.html")
        );
        let mut fresh = Session::new(root, false);
        fresh.rebuild_all("fresh");
        assert!(snapshot(&s) == snapshot(&fresh));
        // removing a step's anchor breaks a link in another file, checked again on every change
        std::fs::write(&web, text.replace(" {#confirm}", "")).unwrap();
        let r = s.update(std::slice::from_ref(&web));
        match &r.outcome {
            Outcome::Failed(d) => {
                let d =
                    d.0.iter()
                        .find(|d| d.code == "broken-anchor")
                        .expect("broken-anchor");
                assert_eq!(d.location().unwrap(), "content/renew-card/_index.md:12:6");
            }
            o => panic!("{o:?}"),
        }
        std::fs::write(&web, &text).unwrap();
        check(
            &mut s,
            &[&web],
            Some(&[
                "index.html",
                "renew-card/index.html",
                "renew-card/print/index.html",
                "renew-card/web/index.html",
                "renew-card/wechat/index.html",
                "share/index.html",
                "share/renew-card/index.html",
                "sitemap.xml",
            ]),
        );
        // a template change renders everything
        std::fs::create_dir_all(root.join("templates")).unwrap();
        let tpl = root.join("templates/404.html");
        std::fs::write(
            &tpl,
            "{% extends \"base.html\" %}{% block content %}没有这一页{% endblock content %}",
        )
        .unwrap();
        let r = s.update(std::slice::from_ref(&tpl));
        assert!(matches!(r.outcome, Outcome::All { .. }), "{r:?}");
        // a folder's own event (a polling watcher reports its new modification time) and reads
        // and hidden files change nothing
        let r = s.update(&[root.join("content"), root.join("content/renew-card")]);
        assert!(
            matches!(&r.outcome, Outcome::Some { pages, .. } if pages.is_empty()),
            "{r:?}"
        );
        let r = s.update(&[
            root.join("content/renew-card/.web.md.swp"),
            root.join("public/index.html"),
        ]);
        assert!(
            matches!(&r.outcome, Outcome::Some { pages, .. } if pages.is_empty()),
            "{r:?}"
        );
    }
}
