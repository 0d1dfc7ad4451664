//! `guidepost check`: every problem a build would report, and nothing written.
//!
//! A *check* runs the build's own stages ([`pipeline`](crate::pipeline): discover, theme, load,
//! validate, screenshots, links, lock) and renders every page in memory, so that template errors
//! show too; then it stops where the build would start writing. It writes nothing: the caches
//! are read as they are, screenshots are decoded and checked but not encoded. With `strict`, warnings (open slots, remote resources, missing
//! descriptions …) are raised to errors: the setting for a release. The caller decides the exit
//! code from [`Report::failed`].

use std::path::PathBuf;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::progress::Progress;
use crate::render::Renderer;
use crate::{pipeline, render, render::theme};

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub root: PathBuf,
    /// Check guides and channels marked `draft = true` too.
    pub drafts: bool,
    /// Warnings count as errors.
    pub strict: bool,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Diagnostics,
    pub guides: usize,
    pub channels: usize,
    pub pages: usize,
    pub strict: bool,
}

impl Report {
    /// Whether the site is not fit to publish: errors (with `strict`, warnings too).
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// One line for the end of the output.
    pub fn summary(&self) -> String {
        let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
        let found = if self.diagnostics.is_empty() {
            "no problems found".to_string()
        } else {
            format!(
                "{}, {}",
                n(self.diagnostics.errors(), "error"),
                n(self.diagnostics.warnings(), "warning")
            )
        };
        let strict = if self.strict && !self.diagnostics.is_empty() {
            " (--strict: warnings count as errors)"
        } else {
            ""
        };
        format!(
            "checked {} ({}, {}): {found}{strict}",
            n(self.guides, "guide"),
            n(self.channels, "channel"),
            n(self.pages, "page"),
        )
    }
}

/// Checks the site at `opts.root` without writing anything: the [`pipeline`](crate::pipeline)
/// stages as `build` runs them (the image stage included), with the caches read-only, the
/// screenshots decoded but not encoded, and every stage run even after errors; then every page
/// rendered in memory. `progress` is told how the image stage gets on.
pub fn check(opts: &CheckOptions, progress: &dyn Progress) -> Report {
    let mut diags = Vec::new();
    let mut report = Report {
        strict: opts.strict,
        ..Report::default()
    };
    let stages = pipeline::Options {
        drafts: opts.drafts,
        lock: crate::LockMode::Check,
        open_slots: true,
        ..pipeline::Options::read_only(&opts.root, progress)
    };
    if let Some(content) = pipeline::content(&stages, &mut diags) {
        let site = &content.loaded.site;
        report.guides = site.guides.len();
        report.channels = site.guides.iter().map(|g| g.channels.len()).sum();
        let linked = pipeline::link(&content, &stages, &mut diags);
        if let Some(theme) = &content.theme {
            report.pages = render_in_memory(theme, site, &linked, &mut diags);
        }
    }
    if opts.strict {
        for d in &mut diags {
            d.severity = Severity::Error;
        }
    }
    let mut d = Diagnostics(diags);
    d.sort();
    report.diagnostics = d;
    report
}

/// Renders every page as the build would and throws the HTML away; returns the page count.
fn render_in_memory(
    theme: &theme::Theme,
    site: &crate::content::model::Site,
    linked: &pipeline::Linked<'_>,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let prepared = match render::prepare(theme, site) {
        Ok(p) => p,
        Err(d) => {
            diags.push(d);
            return 0;
        }
    };
    let renderer = Renderer::new(site, theme, &linked.links, &prepared);
    diags.extend(
        linked
            .jobs
            .par_iter()
            .filter_map(|job| renderer.render(job).err())
            .collect::<Vec<_>>(),
    );
    linked.jobs.iter().filter(|j| j.is_page()).count()
}
