//! Old engines: every CSS file and every script (files and inline `<script>` elements) of built
//! sites goes through `tests/compat/check.mjs`, which runs doiuse, stylelint-browser-compat and
//! es-check against Chromium 86 (WeChat's XWeb on Android) and iOS 13, and fails on any finding
//! that `tests/compat/exceptions.json` does not list with its fallback.
//!
//! Needs Node.js and `npm ci --prefix tests/compat` (`.ci/run` does both); skipped with a message
//! without them, a failure when `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::*;

fn checker_or_skip(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let node = Command::new("node").arg("--version").output().is_ok();
    let installed = dir.join("node_modules/.bin/es-check").exists();
    if node && installed {
        return Some(dir.join("check.mjs"));
    }
    let why = if node {
        "tests/compat/node_modules is missing: run `npm ci --prefix tests/compat`"
    } else {
        "Node.js is not installed"
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: CI=true but the compatibility check cannot run: {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// The CSS and JS files of a built site, with every inline script written out as a file.
fn assets(public: &Path, scripts: &Path) -> Vec<PathBuf> {
    let sel = scraper::Selector::parse("script:not([src])").unwrap();
    let mut files = Vec::new();
    let mut inline = 0;
    for entry in walkdir::WalkDir::new(public) {
        let entry = entry.unwrap();
        let path = entry.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("css" | "js") => files.push(path.to_path_buf()),
            Some("html") => {
                let doc = scraper::Html::parse_document(&std::fs::read_to_string(path).unwrap());
                for s in doc.select(&sel) {
                    inline += 1;
                    let rel = path.strip_prefix(public).unwrap().to_string_lossy();
                    let name = format!("{inline}-{}.js", rel.replace(['/', '\\'], "_"));
                    let file = scripts.join(name);
                    std::fs::write(&file, s.text().collect::<String>()).unwrap();
                    files.push(file);
                }
            }
            _ => {}
        }
    }
    files
}

fn run_check(check: &Path, files: &[PathBuf]) -> (bool, String) {
    let o = Command::new("node")
        .arg(check)
        .args(files)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn the_theme_s_css_and_scripts_work_in_chromium_86_and_ios_13_or_have_a_listed_fallback() {
    let test =
        "the_theme_s_css_and_scripts_work_in_chromium_86_and_ios_13_or_have_a_listed_fallback";
    let Some(check) = checker_or_skip(test) else {
        return;
    };
    let scripts = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut outs = Vec::new();
    // the sample (with the share page and the alias redirect page's script) and a site with
    // screenshots and highlights
    for root in [
        Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(),
        fixture("print"),
        fixture("links"),
    ] {
        let (out, o) = build(&root);
        assert!(o.status.success(), "{}: {}", root.display(), stderr(&o));
        files.extend(assets(&out.path().join("public"), scripts.path()));
        outs.push(out);
    }
    assert!(files.iter().any(|f| f.ends_with("static/guidepost.css")));
    assert!(files.iter().any(|f| f.ends_with("static/guidepost.js")));
    assert!(
        files
            .iter()
            .filter(|f| f.starts_with(scripts.path()))
            .count()
            >= 2,
        "no inline scripts found: {files:?}"
    );
    let (ok, text) = run_check(&check, &files);
    assert!(ok, "compatibility check failed:\n{text}");
}

#[test]
fn the_compatibility_check_fails_on_what_old_engines_lack() {
    let test = "the_compatibility_check_fails_on_what_old_engines_lack";
    let Some(check) = checker_or_skip(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let css = dir.path().join("new.css");
    std::fs::write(
        &css,
        ".a { inset: 0; }\n.b { container-type: inline-size; }\n",
    )
    .unwrap();
    let js = dir.path().join("new.js");
    std::fs::write(&js, "var a = {}; var b = a?.x ?? 1;\n").unwrap();
    let (ok, text) = run_check(&check, &[css, js]);
    assert!(!ok, "{text}");
    for want in [
        "properties.inset",
        "properties.container-type",
        "OptionalChaining",
    ] {
        assert!(text.contains(want), "{want} not reported:\n{text}");
    }
    // and every exception that matches nothing is reported as stale
    assert!(text.contains("matches nothing any more"), "{text}");
}
