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
                let doc = crate::parse_html(&std::fs::read_to_string(path).unwrap());
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
    // and what only the preview adds to pages (error overlay, live reload, the studio): staff
    // open it in their PC browser, which in China is often 360 or QQ Browser on an old
    // Chromium core
    let serve = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/serve");
    for name in ["overlay.css", "live.js", "studio.css", "studio.js"] {
        files.push(serve.join(name));
    }
    assert!(files.iter().any(|f| f.ends_with("static/guidepost.css")));
    assert!(files.iter().any(|f| f.ends_with("static/guidepost.js")));
    // search's script and its index (classic scripts too)
    assert!(files.iter().any(|f| f.ends_with("static/search.js")));
    assert!(files.iter().any(|f| f.ends_with("search/index.js")));
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

/// `benches/slow-network.mjs` on a channel page of six distinct phone screenshots, served by a
/// plain static server (no compression, as on a campus host) on emulated slow 3G: only the
/// stylesheet blocks rendering, no screenshot below the fold is fetched before the reader
/// scrolls, and every one arrives once they do. Times are measured but not asserted (they are
/// the benchmark's figures in the README).
#[test]
fn on_slow_3g_only_the_stylesheet_blocks_and_screenshots_below_the_fold_wait_for_scrolling() {
    let test =
        "on_slow_3g_only_the_stylesheet_blocks_and_screenshots_below_the_fold_wait_for_scrolling";
    if checker_or_skip(test).is_none() {
        return;
    }
    let site = tempfile::tempdir().unwrap();
    let mut md = String::from("+++\ntitle = \"网页端\"\norder = 1\n+++\n");
    std::fs::create_dir_all(site.path().join("content/g/images")).unwrap();
    for i in 1..=6 {
        let png = crate::images::png_with_text(&crate::shotgen::screenshot(750, 1334, 2, i), "");
        std::fs::write(site.path().join(format!("content/g/images/s{i}.png")), png).unwrap();
        md.push_str(&format!(
            "\n## 第 {i} 步\n\n点击按钮。\n\n![第 {i} 步的页面](images/s{i}.png)\n"
        ));
    }
    write_site(site.path(), &[("web.md", md.as_bytes())]);
    let (out, o) = build(site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    assert!(public.join("g/web/index.html").exists());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&public)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    let url = format!("http://127.0.0.1:{port}/g/web/index.html");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/slow-network.mjs");
    let o = Command::new("node")
        .arg(&script)
        .arg(&url)
        .env("RUNS", "1")
        .output()
        .expect("run node");
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m: serde_json::Value = serde_json::from_str(text.trim()).expect(&text);
    assert_eq!(
        m["render_blocking"],
        serde_json::json!(["/static/guidepost.css"]),
        "{m}"
    );
    assert_eq!(m["screenshots"], 6, "{m}");
    let below = m["screenshots_below_the_fold"].as_u64().unwrap();
    assert!(below >= 4, "the page should be longer than a screen: {m}");
    assert_eq!(m["of_them_loaded_before_scrolling"], 0, "{m}");
    assert_eq!(m["shown_after_scrolling_to_the_end"], 6, "{m}");
}
