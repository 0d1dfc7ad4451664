//! The sample site in `content/` (the README's first command builds it): it builds cleanly, every
//! internal link and asset of every page leads to a file of the output (so the site works from
//! `file://` and under any sub-path), and the guide page stays light.

use std::collections::HashSet;
use std::path::Path;

use crate::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn html_files(public: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(public)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            e.path()
                .strip_prefix(public)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    v.sort();
    v
}

/// Resolves `href` (relative, as written in the page at `page`) to a path under the output root.
fn resolve(page: &str, href: &str) -> Option<String> {
    let href = href.split(['#', '?']).next().unwrap();
    if href.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            ".." => {
                parts.pop().expect("a link climbs above the site root");
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[test]
fn the_sample_site_builds_without_warnings_with_every_screenshot_a_slot() {
    let (_out, o) = build(repo());
    let s = stderr(&o);
    assert!(o.status.success(), "{s}");
    assert!(
        s.starts_with("built 7 pages (1 guide, 3 channels) into "),
        "{s}"
    );
    assert!(
        s.contains(": 8 screenshots to capture, 0 warnings, "),
        "{s}"
    );
}

#[test]
fn every_internal_link_and_asset_of_the_sample_resolves_to_a_file() {
    let (out, o) = build(repo());
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let pages = html_files(&public);
    assert!(pages.len() >= 5, "{pages:?}");
    let mut checked = 0;
    for page in pages.iter().filter(|p| *p != "404.html") {
        let doc = html(out.path(), page);
        let ids: Vec<&str> = select(&doc, "[id]")
            .iter()
            .map(|e| e.value().attr("id").unwrap())
            .collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{page}: duplicate ids");
        for (sel, attr) in [("a[href]", "href"), ("link[href]", "href"), ("img", "src")] {
            for e in select(&doc, sel) {
                let url = e.value().attr(attr).unwrap();
                if url.starts_with("https://") || url.starts_with("data:") {
                    continue;
                }
                assert!(!url.starts_with('/'), "{page}: {url} is not relative");
                assert!(!url.contains("://"), "{page}: {url} leads to another host");
                if let Some(anchor) = url.strip_prefix('#') {
                    assert!(unique.contains(anchor), "{page}: no element #{anchor}");
                    continue;
                }
                let target = resolve(page, url).unwrap();
                assert!(
                    public.join(&target).is_file(),
                    "{page}: {url} leads to {target}, which is not a file"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} links checked");
}

#[test]
fn the_sample_guide_page_weighs_under_60_kb_with_its_css_and_js() {
    let (out, o) = build(repo());
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let page = "xuexin-image-code/index.html";
    let doc = html(out.path(), page);
    let mut bytes = std::fs::metadata(public.join(page)).unwrap().len();
    for (sel, attr) in [("link[rel=stylesheet]", "href"), ("script[src]", "src")] {
        for e in select(&doc, sel) {
            let target = resolve(page, e.value().attr(attr).unwrap()).unwrap();
            bytes += std::fs::metadata(public.join(target)).unwrap().len();
        }
    }
    assert!(bytes < 60 * 1024, "{bytes} bytes");
}
