//! Page keys: what a page is rendered from, as a hash ([`PageKey`]). A build keeps a page of the
//! previous output whose key is the same (see `output::spare`) instead of rendering it
//! again, so a key must hold *everything* the page is made of:
//!
//! - for every page: guidepost itself (its version, and the size and time of its executable, so
//!   that a rebuilt binary renders everything once), the theme (every template, the static
//!   files), `site.toml` as loaded (with `--base-url`), the share card, and whether the site has
//!   a search index;
//! - for a guide's pages (guide, channels, print layout, share page): the guide's model as the
//!   earlier stages left it (front matter, every block of HTML with its links already resolved,
//!   screenshots with their sizes and variants, slots, aliases): the links, QR codes and
//!   excerpts of its pages are made from these; and the redirects that point at its pages as
//!   the whole site settled them (an alias a guide implies gives way to another guide's page or
//!   alias of the same address); and whether it has a PDF ([`PageKey::with_pdf`]: decided
//!   from its print page, so only once its pages are rendered);
//! - for the site's own pages (home, 404, sitemap, share page, search page, redirects): the home
//!   page's intro and the keys of every guide.
//!
//! A key is a BLAKE3 hash of the values through `std::hash::Hash` (derived on the model).

use std::hash::{Hash, Hasher};

use crate::content::model::{Guide, Site};
use crate::render::theme::Theme;

/// What a rendered page is made of, as a hash: pages of equal keys are equal, byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageKey(pub [u8; 16]);

impl PageKey {
    /// The key of a guide's page rendered with (`true`) or without a link to the guide's PDF:
    /// the key itself without.
    pub fn with_pdf(self, pdf: bool) -> PageKey {
        if !pdf {
            return self;
        }
        let mut h = Blake(blake3::Hasher::new());
        (self.0, "with a PDF").hash(&mut h);
        h.key()
    }
}

/// `std::hash::Hasher` into BLAKE3.
struct Blake(blake3::Hasher);

impl Hasher for Blake {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        // never used: keys are taken from the whole hash
        0
    }
}

impl Blake {
    fn key(self) -> PageKey {
        let mut k = [0u8; 16];
        k.copy_from_slice(&self.0.finalize().as_bytes()[..16]);
        PageKey(k)
    }
}

/// The keys of a site's pages.
pub struct Keys {
    /// By guide, in site order.
    pub guides: Vec<PageKey>,
    /// The site's own pages.
    pub site: PageKey,
}

/// This program: its version, and its executable's size and time (`None` when it cannot be
/// told: then no key is the same from one run to the next).
fn program() -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The keys of the pages of `site` rendered through `theme`, with its `links` (the share card,
/// the redirects) and the search index's manifest `search`.
pub fn keys(
    site: &Site,
    theme: &Theme,
    links: &crate::links::Links<'_>,
    search: Option<&str>,
) -> Keys {
    use rayon::prelude::*;
    let mut global = Blake(blake3::Hasher::new());
    "guidepost page key 1".hash(&mut global);
    env!("CARGO_PKG_VERSION").hash(&mut global);
    match program() {
        Some(p) => p.hash(&mut global),
        None => std::time::SystemTime::now().hash(&mut global),
    }
    theme.fingerprint.hash(&mut global);
    site.config.hash(&mut global);
    if let Some(c) = &links.card {
        (&c.file, c.width, c.height, c.bytes.as_slice()).hash(&mut global);
    }
    search.hash(&mut global);
    // the redirects to each guide's pages
    let mut redirects: Vec<Vec<&crate::links::Alias>> = vec![Vec::new(); site.guides.len()];
    for a in &links.aliases {
        if let Some(gi) = links.pages.get(a.target).and_then(|p| p.guide) {
            redirects[gi].push(a);
        }
    }
    let guide = |(g, redirects): (&Guide, &Vec<&crate::links::Alias>)| {
        let mut h = Blake(global.0.clone());
        "guide".hash(&mut h);
        g.hash(&mut h);
        for a in redirects {
            (
                &a.path,
                &a.file,
                a.implied,
                &a.written,
                &links.pages[a.target].path,
            )
                .hash(&mut h);
        }
        h.key()
    };
    let guides: Vec<PageKey> = (site.guides.par_iter().zip(&redirects))
        .map(guide)
        .collect();
    let mut h = Blake(global.0.clone());
    "site".hash(&mut h);
    site.intro.hash(&mut h);
    guides.hash(&mut h);
    Keys {
        site: h.key(),
        guides,
    }
}
