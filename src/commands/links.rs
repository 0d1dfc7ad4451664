//! `guidepost links`: every guide and channel URL with its title, ready to paste into a notice.
//!
//! It runs the [`pipeline`](crate::pipeline) stages up to the link table as `check` runs them
//! (nothing written, screenshots decoded but not encoded), so it reports the problems `check`
//! reports for those stages, and lists the addresses `build` would publish. It leaves
//! `links.lock` alone: the lock guards what a build publishes, and the listing shows the
//! addresses of the content as it is. Drafts are not published, so not listed.

use std::path::PathBuf;

use crate::diagnostic::Diagnostics;
use crate::links::share::{self, Format};
use crate::pipeline;
use crate::progress::Progress;

#[derive(Debug, Clone)]
pub struct LinksOptions {
    pub root: PathBuf,
    /// Overrides `base_url` of `site.toml`.
    pub base_url: Option<String>,
    pub format: Format,
    /// Also list every step's link.
    pub steps: bool,
}

/// What `guidepost links` found.
#[derive(Debug)]
pub struct Listing {
    /// The listing in the asked format; `None` when the site has errors (in `diagnostics`).
    pub text: Option<String>,
    /// The problems of the stages run, as `check` reports them.
    pub diagnostics: Diagnostics,
    /// Whether the site has a `base_url` (without one the listing holds paths, not URLs).
    pub base_url: bool,
}

/// Lists the links of the site at `opts.root` (`progress` is told how the image stage gets on).
/// `Err` when the listing cannot be written out.
pub fn links(opts: &LinksOptions, progress: &dyn Progress) -> Result<Listing, String> {
    let mut diags = Vec::new();
    let stages = pipeline::Options {
        base_url: opts.base_url.as_deref(),
        ..pipeline::Options::read_only(&opts.root, progress)
    };
    let mut listing = Listing {
        text: None,
        diagnostics: Diagnostics::default(),
        base_url: false,
    };
    if let Some(content) = pipeline::content(&stages, &mut diags) {
        let linked = pipeline::link(&content, &stages, &mut diags);
        let site = &content.loaded.site;
        listing.base_url = site.config.base_url.is_some();
        if !diags.iter().any(crate::diagnostic::Diagnostic::is_error) {
            listing.text = Some(share::listing(
                site,
                &linked.links,
                opts.format,
                opts.steps,
            )?);
        }
    }
    let mut d = Diagnostics(diags);
    d.sort();
    listing.diagnostics = d;
    Ok(listing)
}
