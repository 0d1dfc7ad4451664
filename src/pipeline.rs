//! The stages every command runs, in their order, written once:
//!
//! 1. [`content`]: read the tree and the theme ([`crate::read`]), load front matter and Markdown
//!    into the model ([`load::load`]), the site-wide checks ([`validate::site`]), then the image
//!    stage ([`images::process`]: decoding, settings files, sizes).
//! 2. [`link`]: plan the output, the link table with its aliases and QR codes, and `links.lock`.
//!
//! What comes after (rendering into the output, into memory, or nowhere) is the driver's:
//! `build` writes, `check` renders in memory and throws the pages away, `links` prints the link
//! table and `shots` the shot list.
//! [`Options`] say what a driver may change on disk (the caches, the lock) and how much work the
//! image stage does; never which checks run: `check` finds every problem `build` finds.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::content::model::Site;
use crate::content::source::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::progress::Progress;
use crate::{
    LockMode, content::discover, content::frontmatter, content::validate, images, links,
    links::lock, links::qr, markdown::load, render, render::theme,
};

/// What a driver asks of the stages.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub root: &'a Path,
    pub drafts: bool,
    /// Overrides `base_url` of `site.toml`.
    pub base_url: Option<&'a str>,
    /// May the stages write `.guidepost-cache/` (screenshots, QR codes)? `false`: the caches are
    /// read as they are and nothing is created (`check`).
    pub write_caches: bool,
    /// Encode the published screenshots (`false`: decode and check them only, for a driver that
    /// publishes nothing).
    pub encode_images: bool,
    /// What to check in `links.lock` (the stages never write it; see [`Linked::lock`]).
    pub lock: LockMode,
    /// Drop the lock's entries the site no longer publishes instead of failing.
    pub accept_removed: bool,
    /// Report every open screenshot slot (`check`; `build` counts them in its summary).
    pub open_slots: bool,
    /// Run the later stages even when an earlier one found errors (`check`: every problem at
    /// once). `false`: stop at the first stage with errors (`build`: nothing is written anyway).
    pub keep_going: bool,
    /// Told how the long stages get on (the command line draws it).
    pub progress: &'a dyn Progress,
}

/// The site's content after the first stages.
pub struct Content {
    pub inputs: discover::Inputs,
    /// `None` when the theme has errors (reported).
    pub theme: Option<theme::Theme>,
    pub loaded: load::Loaded,
    /// The screenshots to publish.
    pub images: images::Output,
}

/// The output plan and its links.
pub struct Linked<'a> {
    pub jobs: Vec<render::Job>,
    pub links: links::Links<'a>,
    /// The lock compared with the links (`None` with [`LockMode::Off`]); writing its new text is
    /// the driver's.
    pub lock: Option<lock::Checked>,
    /// The QR code cache the links were made from.
    pub qr: qr::Store,
}

impl<'a> Options<'a> {
    /// The stages as a driver that publishes nothing runs them (`check`, `links`, `shots`):
    /// nothing written (the caches are read as they are, the lock is not looked at),
    /// screenshots decoded and checked but not encoded, every stage run even after errors so
    /// that every problem shows at once, drafts left out. A driver changes what it needs.
    pub fn read_only(root: &'a Path, progress: &'a dyn Progress) -> Self {
        Options {
            root,
            drafts: false,
            base_url: None,
            write_caches: false,
            encode_images: false,
            lock: LockMode::Off,
            accept_removed: false,
            open_slots: false,
            keep_going: true,
            progress,
        }
    }
}

fn stop(opts: &Options<'_>, diags: &[Diagnostic]) -> bool {
    !opts.keep_going && diags.iter().any(Diagnostic::is_error)
}

/// Read, load, validate, images. `None` when there is no site to go on with (or, unless
/// [`Options::keep_going`], when a stage found errors); the reasons are in `diags`.
pub fn content(opts: &Options<'_>, diags: &mut Vec<Diagnostic>) -> Option<Content> {
    let crate::Read {
        inputs,
        discover_diags,
        theme,
        theme_diags,
    } = crate::read(opts.root);
    diags.extend(discover_diags);
    diags.extend(theme_diags);
    let mut inputs = inputs?;
    let loaded = load::load(
        &inputs,
        &load::LoadOptions {
            drafts: opts.drafts,
        },
        diags,
    );
    validate::site(&inputs, diags);
    let mut loaded = loaded?;
    if opts.open_slots {
        // before the image stage, which turns a bad picture into a slot: that one is reported as
        // `bad-image`, not as a screenshot still to capture
        validate::open_slots(&inputs, &loaded.site, diags);
    }
    if (theme.is_none() && !opts.keep_going) || stop(opts, diags) {
        return None;
    }
    // the bodies are parsed and checked: later diagnostics point into front matter only
    for f in inputs
        .guides
        .iter_mut()
        .flat_map(|g| g.index.iter_mut().chain(&mut g.channels))
    {
        let end = frontmatter::split(f).map_or(f.text.len(), |s| s.body_offset);
        f.keep_until(end);
    }
    if let Some(b) = opts.base_url {
        let mut b = b.to_string();
        if !b.ends_with('/') {
            b.push('/');
        }
        loaded.site.config.base_url = Some(b);
    }
    let images = images::process(
        opts.root,
        &inputs.content_dir,
        &inputs.files,
        images::Pass {
            scope: images::Scope::Site,
            write_cache: opts.write_caches,
            encode: opts.encode_images,
            progress: opts.progress,
        },
        &mut loaded.site,
        &mut loaded.assets,
        diags,
    );
    if stop(opts, diags) {
        return None;
    }
    Some(Content {
        inputs,
        theme,
        loaded,
        images,
    })
}

/// Plan the output, its links (aliases checked against every other output path), their QR
/// codes, and `links.lock`.
pub fn link<'a>(c: &'a Content, opts: &Options<'_>, diags: &mut Vec<Diagnostic>) -> Linked<'a> {
    let site = &c.loaded.site;
    let sources = c.inputs.sources();
    let mut jobs = render::plan(site);
    let statics = c.theme.iter().flat_map(|t| t.statics.keys());
    let others = c
        .loaded
        .assets
        .iter()
        .cloned()
        .chain(statics.map(|s| format!("static/{s}")));
    let qr = if opts.write_caches {
        qr::Store::open(opts.root)
    } else {
        qr::Store::read_only(opts.root)
    };
    let links =
        plan_links(site, opts.root, &sources, &mut jobs, others, diags).with_qr_codes(&qr, diags);
    // every output path has one owner, checked before anything is written
    let statics = c.theme.iter().flat_map(|t| t.statics.keys());
    crate::output::owners::check(
        site,
        &jobs,
        &links,
        crate::output_files(c.loaded.assets.iter(), c.images.files.iter(), statics),
        &sources,
        diags,
    );
    let lock = (opts.lock != LockMode::Off)
        .then(|| lock::check(opts.root, &links, opts.accept_removed, diags));
    if opts.lock == LockMode::Locked {
        diags.extend(lock.as_ref().and_then(lock::Checked::outdated));
    }
    Linked {
        jobs,
        links,
        lock,
        qr,
    }
}

/// The links of the planned pages, as build, check and serve all need them: the table, its
/// aliases checked against every other output path (`jobs` and `others`, such as screenshots
/// and static files), and one redirect page per alias appended to `jobs`.
pub fn plan_links<'a>(
    site: &'a Site,
    root: &Path,
    sources: &HashMap<&str, &SourceFile>,
    jobs: &mut Vec<render::Job>,
    others: impl Iterator<Item = String>,
    diags: &mut Vec<Diagnostic>,
) -> links::Links<'a> {
    let mut links = links::Links::new(site, sources, diags);
    links.card = links::card::make(site, root, diags);
    if let Some(card) = &links.card {
        jobs.push(render::Job::ShareCard {
            file: card.file.clone(),
        });
    }
    let taken: HashSet<String> = jobs.iter().map(|j| j.path(site)).chain(others).collect();
    links.check_aliases(&taken, sources, diags);
    jobs.extend(
        links
            .aliases
            .iter()
            .enumerate()
            .map(|(index, a)| render::Job::Alias {
                index,
                file: a.file.clone(),
            }),
    );
    links
}
