//! Output ownership: every file of the output has exactly one source.
//!
//! A build writes pages, print layouts, redirect pages of aliases, QR codes, the staff page,
//! screenshots, linked files and the theme's static files into one folder. Two of them wanting
//! the same path would silently replace one another (a channel `print.md` replaced by the print
//! layout, a linked `content/G/index.html` over the guide page, an alias `/.guidepost` over the
//! stamp), so the plan is checked before anything is written: any path claimed twice is an
//! `output-clash` error naming both sources, and names guidepost keeps for itself (a guide
//! `share`, a channel `print` …) are `reserved-name` errors. `build`, `check` and `serve` run
//! the same check.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;

use crate::content::model::Site;
use crate::content::source::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::links::Links;
use crate::render::Job;

/// Guide folder names guidepost uses for its own pages and files, with what uses them.
pub const RESERVED_GUIDES: &[(&str, &str)] = &[
    ("static", "the theme's style sheets and scripts (`static/`)"),
    (
        "share",
        "the staff page with the addresses to paste into a notice (`share/`)",
    ),
    ("search", "the search page (`search/`)"),
];

/// Channel file names guidepost uses inside every guide, with what uses them.
pub const RESERVED_CHANNELS: &[(&str, &str)] = &[
    ("print", "the guide's print layout (`GUIDE/print/`)"),
    ("qr", "the guide's QR codes"),
];

/// What kind of file, besides the planned jobs, a build copies or writes into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// A file of `content/` that a page links to, published at the same path.
    Linked,
    /// A screenshot at one of its display sizes.
    Screenshot,
    /// A file of the theme's `static/` folder (its path here starts with `static/`).
    Static,
}

/// Who writes a file of the output, for the message: what it is and where it comes from.
struct Owner {
    what: String,
    /// The source file and the text in it to point at (None: the file as a whole).
    place: Option<(String, Option<String>)>,
}

/// Who claims a path, in a word: described ([`Owner`]) only when two claim the same path, so a
/// clean plan of thousands of files costs a map insertion per file and nothing more.
#[derive(Clone, Copy)]
enum Claim<'j> {
    Stamp,
    Pdf(usize),
    Job(&'j Job),
    File(File),
}

impl Claim<'_> {
    /// Whether [`Links::check_aliases`] sees it too (and so explains an alias over it).
    fn seen_by_links(self) -> bool {
        match self {
            Claim::Job(j) => !matches!(j, Job::Alias { .. }),
            Claim::File(k) => k != File::Screenshot,
            Claim::Stamp | Claim::Pdf(_) => false,
        }
    }

    fn owner(self, path: &str, site: &Site, links: &Links<'_>) -> Owner {
        match self {
            Claim::Stamp => Owner::built_in("the stamp that marks the folder as guidepost's"),
            Claim::Pdf(g) => {
                Owner::built_in(format!("the PDF of the guide `{}`", site.guides[g].id.0))
            }
            Claim::Job(j) => job_owner(j, site, links),
            Claim::File(File::Linked) => {
                Owner::from("a file linked from the content", &format!("content/{path}"))
            }
            Claim::File(File::Screenshot) => {
                Owner::built_in(format!("the processed screenshot `{path}`"))
            }
            Claim::File(File::Static) => Owner::built_in(format!("the theme's file `{path}`")),
        }
    }
}

/// What [`claim`] needs to describe a clash.
struct Plan<'a, 'j> {
    site: &'a Site,
    links: &'a Links<'a>,
    sources: &'a HashMap<&'a str, &'a SourceFile>,
    owners: FxHashMap<Cow<'j, str>, Claim<'j>>,
}

impl Owner {
    fn built_in(what: impl Into<String>) -> Owner {
        Owner {
            what: what.into(),
            place: None,
        }
    }

    fn from(what: impl Into<String>, file: &str) -> Owner {
        Owner {
            what: what.into(),
            place: Some((file.to_string(), None)),
        }
    }

    fn describe(&self) -> String {
        match &self.place {
            Some((file, _)) => format!("{} ({file})", self.what),
            None => format!("{} (made by guidepost)", self.what),
        }
    }
}

/// Records `claim` as the source of `path`, or reports the clash with the one recorded first.
fn claim<'j>(
    plan: &mut Plan<'_, 'j>,
    path: Cow<'j, str>,
    claim: Claim<'j>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(first) = plan.owners.get(&path) else {
        plan.owners.insert(path, claim);
        return;
    };
    let (first, owner) = (
        first.owner(&path, plan.site, plan.links),
        claim.owner(&path, plan.site, plan.links),
    );
    // point at the source that can be changed: the author's, not guidepost's
    let (here, other) = if owner.place.is_some() {
        (&owner, &first)
    } else {
        (&first, &owner)
    };
    let d = Diagnostic::error(
        "output-clash",
        format!(
            "two files would be written to `{path}` of the built site: {} and {}",
            other.describe(),
            here.describe()
        ),
    )
    .help("every published file needs its own path: rename or move the file you wrote (or remove the alias); the names guidepost uses itself are listed in docs/check.md");
    let d = match &here.place {
        Some((file, Some(needle))) => crate::links::locate(d, file, needle, plan.sources),
        Some((file, None)) => d.in_file(file.clone()),
        None => d,
    };
    diags.push(d);
}

fn job_owner(job: &Job, site: &Site, links: &Links<'_>) -> Owner {
    let guide = |g: usize| &site.guides[g];
    match job {
        Job::Home => Owner::built_in("the home page"),
        Job::NotFound => Owner::built_in("the not-found page"),
        Job::Sitemap => Owner::built_in("the sitemap"),
        Job::Share => Owner::built_in("the staff share page"),
        Job::ShareGuide(g) => Owner::built_in(format!(
            "the staff share page of the guide `{}`",
            guide(*g).id.0
        )),
        Job::Search => Owner::built_in("the search page"),
        Job::ShareCard { .. } => Owner::built_in("the share card (`share_image` of site.toml)"),
        Job::Guide(g) => Owner::from(
            format!("the page of the guide `{}`", guide(*g).id.0),
            &guide(*g).source,
        ),
        Job::Channel(g, c) => {
            let ch = &guide(*g).channels[*c];
            Owner::from(format!("the page of the channel `{}`", ch.id.0), &ch.source)
        }
        Job::Print(g) => Owner::built_in(format!(
            "the print layout of the guide `{}`",
            guide(*g).id.0
        )),
        Job::Qr { guide: g, .. } => {
            Owner::built_in(format!("a QR code of the guide `{}`", guide(*g).id.0))
        }
        Job::Alias { index, .. } => {
            let a = &links.aliases[*index];
            Owner {
                what: format!("the redirect of the alias `{}`", a.written),
                place: Some((a.source.clone(), Some(a.written.clone()))),
            }
        }
    }
}

/// Reports reserved guide and channel names, and every output path that two sources claim:
/// `jobs` (pages and generated files), `files` (paths in the output of linked files, screenshots
/// and the theme's static files) and guidepost's own files (the stamp, the guides' PDFs).
/// Returns whether the plan is clean.
pub fn check<'j>(
    site: &Site,
    jobs: &'j [Job],
    links: &Links<'_>,
    files: impl Iterator<Item = (Cow<'j, str>, File)>,
    sources: &HashMap<&str, &SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let before = diags.len();
    let mut reserved = |id: &str, source: &str, kind: &str, table: &[(&str, &str)]| {
        if let Some((_, what)) = table.iter().find(|(n, _)| *n == id) {
            diags.push(
                Diagnostic::error(
                    "reserved-name",
                    format!("the {kind} name `{id}` is reserved: guidepost publishes {what} there"),
                )
                .in_file(source)
                .help(format!(
                    "rename the {kind} (its {}), for example to `{id}-guide`; its address changes, so add the old one as an alias if it was ever published",
                    if kind == "guide" { "folder" } else { "file" }
                )),
            );
            true
        } else {
            false
        }
    };
    // pages of reserved names are reported once, as reserved, not again as clashes
    let mut reserved_guides = HashSet::new();
    let mut reserved_channels = HashSet::new();
    for (gi, g) in site.guides.iter().enumerate() {
        if reserved(&g.id.0, &g.source, "guide", RESERVED_GUIDES) {
            reserved_guides.insert(gi);
        }
        for (ci, c) in g.channels.iter().enumerate() {
            if reserved(&c.id.0, &c.source, "channel", RESERVED_CHANNELS) {
                reserved_channels.insert((gi, ci));
            }
        }
    }
    let skip = |job: &Job| match job {
        Job::Channel(g, c) => reserved_guides.contains(g) || reserved_channels.contains(&(*g, *c)),
        _ => job.guide().is_some_and(|g| reserved_guides.contains(&g)),
    };

    let mut plan = Plan {
        site,
        links,
        sources,
        owners: FxHashMap::with_capacity_and_hasher(
            2 * jobs.len() + site.guides.len() + 1,
            Default::default(),
        ),
    };
    claim(
        &mut plan,
        Cow::Borrowed(crate::output::STAMP),
        Claim::Stamp,
        diags,
    );
    for (gi, g) in site.guides.iter().enumerate() {
        claim(
            &mut plan,
            Cow::Owned(crate::output::pdf::pdf_path(g)),
            Claim::Pdf(gi),
            diags,
        );
    }
    let is_alias = |j: &Job| matches!(j, Job::Alias { .. });
    for job in jobs.iter().filter(|j| !skip(j) && !is_alias(j)) {
        claim(
            &mut plan,
            Cow::Owned(job.path(site)),
            Claim::Job(job),
            diags,
        );
    }
    for (f, kind) in files {
        claim(&mut plan, f, Claim::File(kind), diags);
    }
    // an alias against pages, linked files, static files and other aliases is checked (and
    // explained better) by `Links::check_aliases`; here only against what that does not see
    for job in jobs.iter().filter(|j| is_alias(j)) {
        let path = Cow::Owned(job.path(site));
        if plan.owners.get(&path).is_some_and(|o| !o.seen_by_links()) {
            claim(&mut plan, path, Claim::Job(job), diags);
        }
    }
    diags.len() == before
}
