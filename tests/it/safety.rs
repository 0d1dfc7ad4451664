//! Safety, from the user's side: no build deletes what guidepost does not own, publishes what
//! lies outside the site, or lets two sources write one output path.

use std::path::Path;
use std::process::{Command, Output};

use crate::*;

/// Every file below `dir` (relative, sorted) with its bytes: what a test compares before/after.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            !e.path()
                .components()
                .any(|c| c.as_os_str() == ".guidepost-cache")
        })
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (rel, bytes)
        })
        .collect();
    v.sort();
    v
}

/// `guidepost ARGS` run in the folder `cwd`.
fn guidepost_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run guidepost")
}

/// `guidepost build --no-lock --root SITE --output OUT`.
fn build_into(site: &Path, out: &Path) -> Output {
    guidepost(&[
        "build",
        "--no-lock",
        "--root",
        site.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ])
}

/// Outputs that reach the site, its folders or a user's folder through a missing folder and
/// `..` are refused, and nothing anywhere changes.
#[test]
fn output_paths_through_missing_folders_are_resolved_before_the_guard() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let docs = t.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("论文.docx"), "mine").unwrap();
    let before = tree(t.path());
    let cases: &[(&Path, &str, &str)] = &[
        // (working folder, --output, what the message says)
        (&site, "missing/../..", "it holds the site itself"),
        (&site, "missing/../.", "it holds the site itself"),
        (&site, "public/..", "it holds the site itself"),
        (
            &site,
            "missing/../content",
            "inside the site's `content` folder",
        ),
        (
            &site,
            "a/b/../../content/x",
            "inside the site's `content` folder",
        ),
        (&site, "missing/../../docs", "not made by guidepost"),
        (
            &site.join("content"),
            "missing/../../..",
            "it holds the site itself",
        ),
        (
            &site.join("content"),
            "missing/../../missing2/../content",
            "inside the site's `content` folder",
        ),
    ];
    for (cwd, output, says) in cases {
        let o = guidepost_in(
            cwd,
            &[
                "build",
                "--no-lock",
                "--root",
                site.to_str().unwrap(),
                "--output",
                output,
            ],
        );
        let s = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "--output {output}: {s}");
        assert!(s.contains(says), "--output {output}: {s}");
        assert_eq!(tree(t.path()), before, "--output {output} changed files");
    }
    // the same outputs spelled plainly build where they should
    let o = guidepost_in(&site, &["build", "--no-lock", "--output", "missing/../out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(site.join("out/index.html").is_file());
    assert!(
        !site.join("missing").exists(),
        "a folder of the path was left behind"
    );
}

/// Leftovers beside the output (`.public.old`, `.public.staging`) are deleted only when they
/// are guidepost's; a folder of that name without the stamp stops the build.
#[test]
fn foreign_leftover_folders_are_never_deleted() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let out = t.path().join("public");
    for name in [".public.old", ".public.staging"] {
        let foreign = t.path().join(name);
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let o = build_into(&site, &out);
        let s = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {s}");
        assert!(s.contains("was not made by guidepost"), "{name}: {s}");
        assert!(s.contains(name), "{name}: {s}");
        assert_eq!(std::fs::read(foreign.join("notes.txt")).unwrap(), b"mine");
        std::fs::remove_dir_all(&foreign).unwrap();
    }
    // an empty one (a build killed before its stamp was written) is ours to remove
    std::fs::create_dir_all(t.path().join(".public.staging")).unwrap();
    let o = build_into(&site, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!t.path().join(".public.staging").exists());
}

/// An output that is a link to nothing is refused before anything is made.
#[cfg(unix)]
#[test]
fn dangling_symlink_output_is_refused_and_leaves_nothing() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let out = t.path().join("public");
    std::os::unix::fs::symlink(t.path().join("gone/away"), &out).unwrap();
    let before = tree(t.path());
    let o = build_into(&site, &out);
    let s = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{s}");
    assert!(
        s.contains("symbolic link to a place that does not exist"),
        "{s}"
    );
    assert_eq!(tree(t.path()), before);
    assert!(!t.path().join(".public.staging").exists());
    assert!(!t.path().join("gone").exists());
}

/// `static/`, `templates/` or a file in them linked to a folder outside the site: reported, not
/// read, not published, by build and check alike.
#[cfg(unix)]
#[test]
fn linked_theme_folders_are_not_read() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let etc = t.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("shadow"), "root:SECRET-HASH").unwrap();
    std::fs::write(etc.join("base.html"), "SECRET-TEMPLATE {{ nothing }}").unwrap();
    let _ = std::fs::remove_dir_all(site.join("static"));
    let _ = std::fs::remove_dir_all(site.join("templates"));
    std::os::unix::fs::symlink(&etc, site.join("static")).unwrap();
    std::os::unix::fs::symlink(&etc, site.join("templates")).unwrap();
    let (out, o) = build(&site);
    let s = stderr(&o);
    assert!(o.status.success(), "{s}");
    assert!(
        s.contains("warning[symlink]: static is a symbolic link"),
        "{s}"
    );
    assert!(
        s.contains("warning[symlink]: templates is a symbolic link"),
        "{s}"
    );
    let all: Vec<u8> = tree(&out.path().join("public"))
        .into_iter()
        .flat_map(|(n, b)| n.into_bytes().into_iter().chain(b))
        .collect();
    assert!(
        !all.windows(6).any(|w| w == b"SECRET"),
        "a file of the linked folder was published"
    );
    assert!(!out.path().join("public/static/shadow").exists());
    let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
    let s = stderr(&o);
    assert!(
        s.contains("warning[symlink]: static is a symbolic link"),
        "{s}"
    );

    // a single linked file inside a real static/ or templates/
    std::fs::remove_file(site.join("static")).unwrap();
    std::fs::remove_file(site.join("templates")).unwrap();
    std::fs::create_dir_all(site.join("static")).unwrap();
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::os::unix::fs::symlink(etc.join("shadow"), site.join("static/shadow")).unwrap();
    std::os::unix::fs::symlink(etc.join("base.html"), site.join("templates/base.html")).unwrap();
    let (out, o) = build(&site);
    let s = stderr(&o);
    assert!(o.status.success(), "{s}");
    assert!(
        s.contains("warning[symlink]: static/shadow is a symbolic link"),
        "{s}"
    );
    assert!(
        s.contains("warning[symlink]: templates/base.html is a symbolic link"),
        "{s}"
    );
    assert!(!out.path().join("public/static/shadow").exists());
}

fn site_with(t: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    let site = t.join("site");
    write_site(&site, &[]);
    for (name, body) in files {
        let p = site.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    site
}

const WEB: &str = "---\ntitle: 网站\n---\n\n## 打开网站\n\n点击登录。\n";

/// Two sources, one output path: an error naming both, from build and check; nothing written.
#[test]
fn two_sources_for_one_output_path_are_errors() {
    // (files of the site, what the error says, where it points)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            &[("content/g/print.md", WEB)],
            "error[reserved-name]: the channel name `print` is reserved",
            "content/g/print.md",
        ),
        (
            &[
                ("content/share/_index.md", "+++\ntitle = \"共享\"\n+++\n"),
                ("content/share/web.md", WEB),
            ],
            "error[reserved-name]: the guide name `share` is reserved",
            "content/share/_index.md",
        ),
        (
            &[
                (
                    "content/g/web.md",
                    "---\ntitle: 网站\n---\n\n## 打开\n\n见[页面](index.html)。\n",
                ),
                ("content/g/index.html", "<p>mine</p>"),
            ],
            "error[output-clash]: two files would be written to `g/index.html` of the built site",
            "content/g/index.html",
        ),
        (
            &[
                (
                    "content/g/web.md",
                    "---\ntitle: 网站\n---\n\n## 打开\n\n见[页面](web/index.html)。\n",
                ),
                ("content/g/web/index.html", "<p>mine</p>"),
            ],
            "error[output-clash]: two files would be written to `g/web/index.html` of the built site",
            "content/g/web/index.html",
        ),
        (
            &[(
                "content/g/web.md",
                "---\ntitle: 网站\naliases: [\"/.guidepost\"]\n---\n\n## 打开\n\n点击。\n",
            )],
            "`.guidepost`",
            "content/g/web.md",
        ),
    ];
    for (files, says, place) in cases {
        let t = tempfile::tempdir().unwrap();
        let site = site_with(t.path(), files);
        let (out, o) = build(&site);
        let s = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{says}: {s}");
        assert!(s.contains(says), "{s}");
        assert!(s.contains(place), "{s}");
        assert!(!out.path().join("public").exists(), "{s}");
        let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
        let s = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "check: {says}: {s}");
        assert!(s.contains(says), "check: {s}");
    }
}
