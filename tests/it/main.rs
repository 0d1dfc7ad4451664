//! Integration tests: the real `guidepost` binary on fixture sites (`tests/fixtures/<case>/`),
//! the produced HTML read with a real HTML parser.

mod browser;
mod build;
mod check;
mod compat;
mod errors;
mod fuzz;
mod hostile;
mod images;
mod import;
mod layout;
mod links;
mod lost;
mod pdf;
mod raw_html;
mod safety;
mod sample;
mod scaffold;
mod search;
mod serve;
mod settings;
mod shotgen;
mod shots;
mod studio;

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

/// Builds `root` into a fresh temporary folder; returns it and the process output. The fixture
/// stays untouched: `links.lock` is neither checked nor written (tests of the lock copy theirs).
pub fn build(root: &Path) -> (tempfile::TempDir, Output) {
    build_with(root, &[])
}

/// [`build`] with more arguments (`--drafts`, …).
pub fn build_with(root: &Path, args: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let o = build_into(root, &out.path().join("public"), args);
    (out, o)
}

/// `guidepost build --no-lock` of `root` into `public` (which may hold an earlier build), with
/// more arguments.
pub fn build_into(root: &Path, public: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "build",
        "--no-lock",
        "--root",
        root.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    guidepost(&all)
}

/// The paths under `dir` (files, and folders too with `folders`), relative, `/`-separated,
/// sorted; empty when `dir` does not exist.
pub fn paths_under(dir: &Path, folders: bool) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path() != dir && (folders || e.file_type().is_file()))
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn html(dir: &Path, rel: &str) -> scraper::Html {
    let text = std::fs::read_to_string(dir.join("public").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    parse_html(&text)
}

/// A page as a browser without JavaScript reads it: what `<noscript>` holds is markup (the
/// screenshots wait there until guidepost.js shows them), not text as `scraper`'s default has it.
pub fn parse_html(text: &str) -> scraper::Html {
    use html5ever::tendril::TendrilSink;
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    html5ever::parse_document(
        scraper::HtmlTreeSink::new(scraper::Html::new_document()),
        opts,
    )
    .one(text)
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
    // a build of the fixture in place leaves its image cache there: not part of the fixture
    for e in walkdir::WalkDir::new(fixture(name))
        .into_iter()
        .filter_entry(|e| e.file_name() != ".guidepost-cache")
    {
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

/// Starts guidepost with `args`, its stderr into the file `err_path`, its stdout nowhere.
pub fn spawn_guidepost(args: &[&str], err_path: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(err_path).unwrap())
        .spawn()
        .expect("run guidepost")
}

/// Runs guidepost with `args` and waits at most `secs` seconds (output goes to files, so a
/// chatty run cannot block on a full pipe). `None`: it did not finish and was killed.
pub fn guidepost_within(args: &[&str], secs: u64) -> Option<(Option<i32>, String)> {
    let t = tempfile::tempdir().unwrap();
    let err_path = t.path().join("stderr");
    let mut child = spawn_guidepost(args, &err_path);
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            return Some((status.code(), err));
        }
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Writes a minimal site: `site.toml`, guide `g` and the given channel files.
pub fn write_site(root: &Path, channels: &[(&str, &[u8])]) {
    std::fs::create_dir_all(root.join("content/g")).unwrap();
    std::fs::write(root.join("site.toml"), "title = \"测试\"\n").unwrap();
    std::fs::write(
        root.join("content/g/_index.md"),
        "+++\ntitle = \"指南\"\n+++\n",
    )
    .unwrap();
    for (name, body) in channels {
        std::fs::write(root.join("content/g").join(name), body).unwrap();
    }
}
