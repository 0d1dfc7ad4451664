//! guidepost: a static site generator for step-by-step how-to guides.
//!
//! # Glossary
//! - A **guide** is one task, such as "学信网图像采集码获取流程": a folder `content/GUIDE/` with
//!   an `_index.md` (title, attachment label, intro) and one Markdown file per channel.
//! - A **channel** is one way of doing the task (the website, the WeChat official account, the
//!   app): `content/GUIDE/CHANNEL.md`, a list of steps.
//! - A **step** is a `##` heading of a channel and what follows it; steps are numbered
//!   automatically and have the anchor `step-N` (or the author's `{#id}`).
//! - A **slot** is a screenshot the Markdown asks for whose file does not exist yet: it renders
//!   as a placeholder and is counted, never an error.
//!
//! # The pipeline, and where things live
//! [`build`] runs pure stages with values in between, in the order [`pipeline`] writes once for
//! `build` and `check`: [`content::discover`] reads the tree (every path through
//! [`content::confine`], the input rule), [`markdown::load`] parses front matter and Markdown
//! into the [`content::model::Site`], [`content::validate`] and [`images`] check and process
//! it, [`links`] plans its addresses (with [`links::lock`] and [`links::qr`]) and
//! [`output::owners`] checks that every output path has one source; then [`render`] renders the
//! output jobs through the [`render::theme`], and [`output`] writes them into a staging folder
//! that replaces the output only when everything succeeded ([`output::pdf`] prints PDFs into
//! it). [`commands::check`], [`commands::links`] and [`commands::shots`] run the same stages
//! writing nothing.
//!
//! `guidepost serve` runs the same stages in a [`serve::session::Session`], which keeps their
//! results in memory and re-runs only what a changed file affects; [`serve`] serves its pages.
//!
//! | module | owns |
//! |---|---|
//! | [`pipeline`] | the stage order, and the options by which each command chooses stages and caches |
//! | [`content`] | reading the site folder (`discover`, `confine`, `source`, `frontmatter`), the `model`, the checks on it (`validate`) |
//! | [`markdown`] | Markdown → steps, figures and slots; `load` builds the model from the files |
//! | [`images`] | screenshots: decoding, sizes, redaction, highlights, the image cache |
//! | [`links`] | the address table, aliases, `links.lock`, QR codes, the staff share page |
//! | [`render`] | the output jobs, the theme (Tera templates, static files), the print layout |
//! | [`output`] | atomic writing (staging, stamp, swap), the spare a rebuild brings up to date (`output::spare`, with page keys from `render::key`), one owner per output path, PDFs |
//! | [`search`] | the search tokenizer (the same rules as `static/search.js`), each guide's part of the index, and the index under `search/` assembled from the parts |
//! | [`serve`] | the live preview: session (incremental rebuilds) and HTTP |
//! | [`commands`] | `check`, `links` and `shots`: thin drivers over the [`pipeline`] that write nothing; `scaffold`: `init` and `new` |
//! | [`import`] | `guidepost import FILE.docx`: a Word attachment → a guide folder (`docx` reads, `map` maps, `write` writes atomically, `report`) |
//! | [`diagnostic`] | diagnostics as data; `diagnostic::codes` is every code with its one severity |
//! | [`cache`] | `.guidepost-cache/`, shared by images, QR codes and PDFs |
//! | [`atomic`] | writing one file atomically (temporary file, rename): every single-file write of the build, the cache, the studio and `new` |
//! | [`progress`] | progress events of the long stages; the library draws nothing on a terminal (main.rs does) |
//!
//! No top-level module imports one above it in this list's dependency order: a test
//! (tests/it/layout.rs) fails on any import cycle between them.

pub mod atomic;
pub mod cache;
pub mod commands;
pub mod content;
pub mod diagnostic;
pub mod images;
pub mod import;
pub mod links;
pub mod markdown;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod search;
pub mod serve;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::content::discover;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::links::lock;
use crate::output::{owners, pdf};
use crate::render::{Job, Renderer, theme};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    /// Overrides `base_url` of `site.toml`.
    pub base_url: Option<String>,
    pub drafts: bool,
    /// What to do with `links.lock` (see [`lock`]).
    pub lock: LockMode,
    /// Drop the lock's entries the build no longer publishes instead of failing.
    pub accept_removed: bool,
}

/// How a build treats `links.lock`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LockMode {
    /// Refuse to drop a recorded link, and record the new ones (`guidepost build`).
    #[default]
    Update,
    /// Refuse to drop a recorded link, write nothing (previews).
    Check,
    /// Also refuse a lock that misses a published link, write nothing (`--locked`, for CI).
    Locked,
    /// Ignore the lock (`--no-lock`).
    Off,
}

/// What a build did.
#[derive(Debug, Default)]
pub struct Summary {
    pub pages: usize,
    pub guides: usize,
    pub channels: usize,
    pub open_slots: usize,
    pub files: usize,
    /// PDFs in the output (`GUIDE/GUIDE.pdf`), and how many of them were printed by this build.
    pub pdfs: usize,
    pub pdfs_printed: usize,
    /// Screenshots published, and how many of them were processed (not from the cache).
    pub images: usize,
    pub images_processed: usize,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub enum Outcome {
    /// Written; warnings may remain.
    Built(Summary, Diagnostics),
    /// Content errors: nothing was written.
    Failed(Diagnostics),
}

/// Builds the site at `opts.root` into `opts.output`. `Err` is an I/O failure or a refused
/// output folder (nothing changed either way).
pub fn build(opts: &BuildOptions) -> Result<Outcome, String> {
    build_with_pdf(opts, None, &progress::Quiet)
}

/// [`build`], and print guides to PDF as `pdf` asks (see [`pdf`]); without it, up-to-date PDFs
/// of earlier prints are still part of the output. `Err` also when no browser or no CJK font
/// is found for printing (checked before anything is written). `progress` is told how the
/// screenshots and the PDFs get on.
pub fn build_with_pdf(
    opts: &BuildOptions,
    pdf: Option<&pdf::PdfOptions>,
    progress: &dyn progress::Progress,
) -> Result<Outcome, String> {
    let start = Instant::now();
    // the output as the kernel resolves it: checked, and then the only path written
    let output = output::guard(&opts.root, &opts.output)?;
    let mut diags = Vec::new();
    let stages = opts.stages(progress);
    let Some(content) = pipeline::content(&stages, &mut diags) else {
        return Ok(failed(diags));
    };
    let linked = pipeline::link(&content, &stages, &mut diags);
    let mut outcome = finish(opts, &output, pdf, &content, linked, diags, progress);
    if let Ok(Outcome::Built(s, _)) = &mut outcome {
        s.elapsed = start.elapsed();
    }
    outcome
}

impl BuildOptions {
    /// The stages as `build` runs them: caches written, screenshots encoded, stopping at the
    /// first stage with errors.
    fn stages<'a>(&'a self, progress: &'a dyn progress::Progress) -> pipeline::Options<'a> {
        pipeline::Options {
            root: &self.root,
            drafts: self.drafts,
            base_url: self.base_url.as_deref(),
            write_caches: true,
            encode_images: true,
            lock: self.lock,
            accept_removed: self.accept_removed,
            open_slots: false,
            keep_going: false,
            progress,
        }
    }
}

fn failed(diags: Vec<Diagnostic>) -> Outcome {
    let mut d = Diagnostics(diags);
    d.sort();
    Outcome::Failed(d)
}

/// Renders and writes what the [`pipeline`] stages made.
fn finish(
    opts: &BuildOptions,
    output: &Path,
    pdf_opts: Option<&pdf::PdfOptions>,
    content: &pipeline::Content,
    linked: pipeline::Linked<'_>,
    mut diags: Vec<Diagnostic>,
    progress: &dyn progress::Progress,
) -> Result<Outcome, String> {
    let pipeline::Content {
        inputs,
        theme,
        loaded,
        images,
    } = content;
    let pipeline::Linked {
        jobs,
        links,
        lock,
        qr: qr_store,
    } = linked;
    let (Some(theme), site) = (theme, &loaded.site) else {
        return Ok(failed(diags));
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Ok(failed(diags));
    }

    let intro = match render::prepare_intro(theme, site) {
        Ok(i) => i,
        Err(d) => {
            diags.push(d);
            return Ok(failed(diags));
        }
    };

    // PDFs: which guides get one decides the links of their pages (see `pdf`)
    let printer = match pdf_opts {
        Some(o) => {
            pdf::check_guides(site, &o.guides)?;
            if site.config.base_url.is_none() {
                diags.push(
                    Diagnostic::warning(
                        "no-base-url",
                        "the PDFs show no online address and no QR code: the site has no base_url",
                    )
                    .in_file("site.toml")
                    .help("set base_url = \"https://…/\" in site.toml, or pass --base-url URL"),
                );
            }
            Some(pdf::Printer::new(o, &site.config.language)?)
        }
        None => None,
    };
    // the pages link to the search index by its path alone (its manifest is loaded afresh), so
    // it is built beside them
    let search_plan = site.config.search.then(|| search::index::plan(site));
    let renderer = Renderer {
        site,
        theme,
        links: &links,
        intro: &intro,
        guides: &[],
        first: 0,
        search: site.config.search.then_some(search::index::MANIFEST),
    };

    // the previous output is brought up to date: its pages of unchanged keys stay
    let page_keys = render::key::keys(site, theme, &links, renderer.search);
    let manifests = output::spare::manifests(&opts.root, output);
    let staging = output::Staging::new(output, Some(&manifests))
        .map_err(|e| format!("cannot prepare {}: {e}", opts.output.display()))?;
    // folders first, so parallel writers never race to create them
    let mut dirs: Vec<String> = vec!["static".into(), "share".into()];
    if site.config.search {
        dirs.push(search::index::DIR.into());
    }
    for a in &links.aliases {
        if let Some((d, _)) = a.file.rsplit_once('/') {
            dirs.push(d.to_string());
        }
    }
    for g in &site.guides {
        dirs.push(g.id.0.clone());
        dirs.push(format!("{}/print", g.id.0));
        dirs.push(format!("share/{}", g.id.0));
        for c in &g.channels {
            dirs.push(format!("{}/{}", g.id.0, c.id.0));
        }
    }
    for a in &loaded.assets {
        if let Some((d, _)) = a.rsplit_once('/') {
            dirs.push(d.to_string());
        }
    }
    for f in &images.files {
        if let Some((d, _)) = f.rel.rsplit_once('/') {
            dirs.push(d.to_string());
        }
    }
    for s in theme.statics.keys() {
        if let Some((d, _)) = s.rsplit_once('/') {
            dirs.push(format!("static/{d}"));
        }
    }
    dirs.sort();
    dirs.dedup();
    if let Err(e) = staging.create_dirs(dirs.iter().map(String::as_str)) {
        staging.abandon();
        return Err(format!("cannot write into {}: {e}", opts.output.display()));
    }

    // each guide's pages, a guide at a time (its prepared HTML lives only that long)
    let mut by_guide: Vec<Vec<&Job>> = vec![Vec::new(); site.guides.len()];
    let mut site_jobs = Vec::new();
    for job in &jobs {
        match job.guide() {
            Some(gi) => by_guide[gi].push(job),
            None => site_jobs.push(job),
        }
    }
    let planner = pdf::Planner::new(
        &opts.root,
        &inputs.content_dir,
        &theme.asset_version,
        pdf_opts,
    );
    let io_err = |path: &str, e: std::io::Error| {
        Diagnostic::error("io", format!("cannot write {path}: {e}"))
    };
    let write = |job: &Job, r: &Renderer<'_>, key: render::key::PageKey| -> Option<Diagnostic> {
        let path = job.path(site);
        // a cached QR code is linked, not read and written
        if let Some(cache::Blob::Cached(p)) = r.qr_file(job) {
            return staging.link(p, &path).err().map(|e| io_err(&path, e));
        }
        let key = job.is_rendered().then_some(key);
        match r.render(job) {
            Ok(bytes) => (staging.write_page(&path, &bytes, key).err()).map(|e| io_err(&path, e)),
            Err(d) => Some(d),
        }
    };
    // a page the previous output has, rendered from the same key, stays as it is
    let kept = |job: &Job, key: render::key::PageKey| {
        job.is_rendered() && staging.keep_page(&job.path(site), key)
    };
    let render_guides = || -> Vec<(pdf::PdfState, String, Vec<Diagnostic>)> {
        by_guide
            .par_iter()
            .enumerate()
            .map(|(gi, jobs)| {
                let g = &site.guides[gi];
                let page_key = page_keys.guides[gi];
                // pages of a guide that may have a PDF are rendered: whether they link to it is
                // decided from the print page
                let no_pdf = planner.none_for(g);
                let jobs: Vec<&Job> = (jobs.iter().copied())
                    .filter(|j| !(no_pdf && kept(j, page_key)))
                    .collect();
                if !jobs.iter().any(|j| j.is_rendered()) {
                    let errors = jobs.iter().filter_map(|j| write(j, &renderer, page_key));
                    return (pdf::PdfState::None, String::new(), errors.collect());
                }
                let mut html = match render::prepare_guide(theme, g) {
                    Ok(h) => h,
                    Err(d) => return (pdf::PdfState::None, String::new(), vec![d]),
                };
                // the print page keys the PDF; a guide with a PDF links to it, so its pages (and
                // print page) are rendered with that link
                let print =
                    (!no_pdf).then(|| renderer.for_guide(gi, &html).render(&Job::Print(gi)));
                let (state, key) = match &print {
                    Some(Ok(page)) => planner.state(g, page),
                    _ => (pdf::PdfState::None, String::new()),
                };
                html.pdf = state != pdf::PdfState::None;
                let page_key = page_key.with_pdf(html.pdf);
                let r = renderer.for_guide(gi, &html);
                let mut errors = Vec::new();
                for job in jobs {
                    let e = match (job, &print) {
                        (Job::Print(_), Some(Ok(page))) if !html.pdf => {
                            let path = job.path(site);
                            (staging.write_page(&path, page, Some(page_key)).err())
                                .map(|e| io_err(&path, e))
                        }
                        (Job::Print(_), Some(Err(d))) => Some(d.clone()),
                        _ => write(job, &r, page_key),
                    };
                    errors.extend(e);
                }
                (state, key, errors)
            })
            .collect()
    };
    let build_index = || {
        search_plan.as_ref().map(|plan| {
            search::cache::index(&opts.root, &plan.version, true, || {
                let parts = search::cache::Parts::open(&opts.root, true);
                let index = search::index::build_with(site, plan, &parts);
                parts.store(plan);
                index
            })
        })
    };
    let (guides_done, index) = rayon::join(render_guides, build_index);
    let mut page_errors = Vec::new();
    let (mut states, mut keys) = (Vec::new(), Vec::new());
    for (state, key, errors) in guides_done {
        states.push(state);
        keys.push(key);
        page_errors.extend(errors);
    }
    let pdf_plan = planner.finish(site, states, keys, &mut diags);
    page_errors.extend(
        site_jobs
            .par_iter()
            .filter(|job| !kept(job, page_keys.site))
            .filter_map(|job| write(job, &renderer, page_keys.site))
            .collect::<Vec<_>>(),
    );
    let index_files = index.as_deref().unwrap_or_default();
    let index_errors: Vec<Diagnostic> = index_files
        .par_iter()
        .filter_map(|(rel, blob)| {
            let r = match blob {
                cache::Blob::Cached(p) => staging.link(p, rel),
                cache::Blob::Memory(b) => staging.write(rel, b),
            };
            r.err().map(|e| io_err(rel, e))
        })
        .collect();
    let asset_errors: Vec<Diagnostic> = loaded
        .assets
        .par_iter()
        .filter_map(|a| {
            staging
                .copy(&inputs.content_dir.join(a), a)
                .err()
                .map(|e| io_err(a, e))
        })
        .collect();
    let image_errors: Vec<Diagnostic> = images
        .files
        .par_iter()
        .filter_map(|f| {
            let r = match &f.blob {
                images::Blob::Cached(p) => staging.link(p, &f.rel),
                images::Blob::Memory(b) => staging.write(&f.rel, b),
            };
            r.err().map(|e| io_err(&f.rel, e))
        })
        .collect();
    let static_errors: Vec<Diagnostic> = theme
        .statics
        .iter()
        .filter_map(|(name, src)| {
            let rel = format!("static/{name}");
            let r = match src {
                theme::StaticSource::Embedded(b) => staging.write(&rel, b),
                theme::StaticSource::File(p) => staging.copy(p, &rel),
            };
            r.err().map(|e| io_err(&rel, e))
        })
        .collect();
    let had_errors = !(page_errors.is_empty()
        && index_errors.is_empty()
        && asset_errors.is_empty()
        && image_errors.is_empty()
        && static_errors.is_empty());
    diags.extend(page_errors);
    diags.extend(index_errors);
    diags.extend(image_errors);
    diags.extend(asset_errors);
    diags.extend(static_errors);
    if had_errors {
        staging.abandon();
        return Ok(failed(diags));
    }
    let pdfs_printed = match pdf::produce(&pdf_plan, printer.as_ref(), site, &staging, progress) {
        Ok(n) => n,
        Err(errors) => {
            staging.abandon();
            diags.extend(errors);
            return Ok(failed(diags));
        }
    };
    qr_store.prune();
    staging
        .commit()
        .map_err(|e| format!("cannot replace {}: {e}", opts.output.display()))?;
    if let Some(lock::Checked {
        write: Some(text), ..
    }) = lock
        && opts.lock == LockMode::Update
    {
        lock::write(&opts.root, &text).map_err(|e| {
            format!(
                "the site was built into {}, but {} could not be updated: {e}",
                opts.output.display(),
                opts.root.join(lock::FILE).display()
            )
        })?;
    }

    let summary = Summary {
        pages: jobs.iter().filter(|j| j.is_page()).count(),
        guides: site.guides.len(),
        channels: site.guides.iter().map(|g| g.channels.len()).sum(),
        open_slots: site
            .guides
            .iter()
            .flat_map(|g| &g.channels)
            .map(|c| c.slots().count())
            .sum(),
        files: jobs.len()
            + loaded.assets.len()
            + images.files.len()
            + theme.statics.len()
            + index_files.len()
            + pdf_plan.cached()
            + pdf_plan.to_print(),
        pdfs: pdf_plan.cached() + pdf_plan.to_print(),
        pdfs_printed,
        images: images.images,
        images_processed: images.processed,
        // set by the caller, who started the clock
        elapsed: Duration::ZERO,
    };
    let mut d = Diagnostics(diags);
    d.sort();
    Ok(Outcome::Built(summary, d))
}

/// The files besides the planned jobs that a build puts into the output, by kind (for
/// [`owners::check`]).
pub fn output_files<'a>(
    assets: impl Iterator<Item = &'a String> + 'a,
    screenshots: impl Iterator<Item = &'a images::OutFile> + 'a,
    statics: impl Iterator<Item = &'a String> + 'a,
) -> impl Iterator<Item = (std::borrow::Cow<'a, str>, owners::File)> + 'a {
    use std::borrow::Cow;
    assets
        .map(|a| (Cow::Borrowed(a.as_str()), owners::File::Linked))
        .chain(screenshots.map(|f| (Cow::Borrowed(f.rel.as_str()), owners::File::Screenshot)))
        .chain(statics.map(|s| (Cow::Owned(format!("static/{s}")), owners::File::Static)))
}

/// What the first stage of every command reads, each part with its own diagnostics.
pub struct Read {
    pub inputs: Option<discover::Inputs>,
    pub discover_diags: Vec<Diagnostic>,
    pub theme: Option<theme::Theme>,
    pub theme_diags: Vec<Diagnostic>,
}

/// Reads the content tree ([`discover::discover`]) and the theme of the site at `root`, in
/// parallel: the first stage of `build`, `check` and `serve`.
pub fn read(root: &Path) -> Read {
    let ((inputs, discover_diags), (theme, theme_diags)) = rayon::join(
        || {
            let mut d = Vec::new();
            (discover::discover(root, &mut d), d)
        },
        || {
            let mut d = Vec::new();
            (theme::load(root, &mut d), d)
        },
    );
    Read {
        inputs,
        discover_diags,
        theme,
        theme_diags,
    }
}

/// The nearest folder at or above `dir` that holds `site.toml`.
pub fn find_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("site.toml").is_file())
        .map(Path::to_path_buf)
}
