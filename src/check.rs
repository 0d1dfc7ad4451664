//! `guidepost check`: every problem a build would report, and nothing written.
//!
//! A *check* runs the build's own stages (discover, theme, load, [`validate`](crate::validate))
//! and renders every page in memory, so that template errors show too; then it stops where the
//! build would start writing. With `strict`, warnings (open slots, remote resources, missing
//! descriptions …) are raised to errors: the setting for a release. The caller decides the exit
//! code from [`Report::failed`].

use std::path::PathBuf;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::render::Renderer;
use crate::{discover, load, render, theme, validate};

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

/// Checks the site at `opts.root` without writing anything.
pub fn check(opts: &CheckOptions) -> Report {
    let mut diags = Vec::new();
    let crate::Read {
        inputs,
        discover_diags,
        theme,
        theme_diags,
    } = crate::read(&opts.root);
    diags.extend(discover_diags);
    diags.extend(theme_diags);
    let mut report = Report {
        strict: opts.strict,
        ..Report::default()
    };
    if let Some(inputs) = inputs {
        let loaded = load::load(
            &inputs,
            &load::LoadOptions {
                drafts: opts.drafts,
            },
            &mut diags,
        );
        validate::site(&inputs, &mut diags);
        if let Some(l) = &loaded {
            validate::open_slots(&inputs, &l.site, &mut diags);
            report.guides = l.site.guides.len();
            report.channels = l.site.guides.iter().map(|g| g.channels.len()).sum();
        }
        if let (Some(theme), Some(l)) = (&theme, &loaded) {
            report.pages =
                render_in_memory(theme, &l.site, &l.assets, &inputs, &opts.root, &mut diags);
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
    site: &crate::model::Site,
    assets: &std::collections::BTreeSet<String>,
    inputs: &discover::Inputs,
    root: &std::path::Path,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    // aliases and links.lock, as the build checks them (the lock is read, never written)
    let sources = inputs.sources();
    let mut jobs = render::plan(site);
    let others = assets
        .iter()
        .cloned()
        .chain(theme.statics.keys().map(|s| format!("static/{s}")));
    let links = crate::links::Links::plan(site, &sources, &mut jobs, others, diags)
        .with_qr_codes(&crate::qr::Store::read_only(root), diags);
    crate::owners::check(
        site,
        &jobs,
        &links,
        crate::output_files(assets, &[], theme),
        &sources,
        diags,
    );
    crate::lock::check(root, &links, false, diags);
    let prepared = match render::prepare(theme, site) {
        Ok(p) => p,
        Err(d) => {
            diags.push(d);
            return 0;
        }
    };
    let renderer = Renderer::new(site, theme, &links, &prepared);
    diags.extend(
        jobs.par_iter()
            .filter_map(|job| renderer.render(job).err())
            .collect::<Vec<_>>(),
    );
    jobs.iter().filter(|j| j.is_page()).count()
}
