//! Search: the same [`tokenizer`] at build time (here) and at query time (`static/search.js`),
//! and the [`index`] of the site's text that the build writes under `search/`, in classic
//! scripts that load from `file://` and in WeChat's browser.
//!
//! The index is one more output of the build: [`index::build`] makes it from the site model
//! (never from rendered pages), the search page `search/index.html` and the field in every
//! page's header are rendered through the theme (`templates/search.html`, `base.html`), and
//! `static/search.js` runs the queries. `search = false` in `site.toml` leaves all of it out.
//!
//! [`part`] makes each guide's part of the index from its text, [`index`] plans the index and
//! assembles it from the parts, [`cache`] keeps parts and finished indexes between builds.

pub mod cache;
pub mod index;
pub mod part;
pub mod tokenizer;
