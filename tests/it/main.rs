//! Integration tests: the real `guidepost` binary on fixture sites (`tests/fixtures/<case>/`),
//! the produced HTML read with a real HTML parser.

mod build;
mod errors;
mod sample;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn guidepost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run guidepost")
}

/// Builds `root` into a fresh temporary folder; returns it and the process output.
pub fn build(root: &Path) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let o = guidepost(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ]);
    (out, o)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn html(dir: &Path, rel: &str) -> scraper::Html {
    let text = std::fs::read_to_string(dir.join("public").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    scraper::Html::parse_document(&text)
}

pub fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

pub fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Copies a fixture into a temporary folder, so a test may change it.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for e in walkdir::WalkDir::new(fixture(name)) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(fixture(name)).unwrap();
        let dest = t.path().join("site").join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
    t
}
