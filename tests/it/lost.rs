//! Nothing lost: a build killed at any moment (SIGKILL, repeated) leaves the output either the
//! complete old site or the complete new one, and the next build cleans up and succeeds.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::*;

/// A corpus big enough that a build takes a while: `guides` guides of 3 channels with 6 steps
/// and a screenshot each. `tag` goes into every page, so two tags give two different sites.
fn corpus(root: &Path, guides: usize, tag: &str) {
    let png = std::fs::read(fixture("basic").join("content/renew-card/images/login.png")).unwrap();
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(root.join("site.toml"), format!("title = \"站点 {tag}\"\n")).unwrap();
    for g in 0..guides {
        let dir = root.join(format!("content/guide-{g}"));
        std::fs::create_dir_all(dir.join("images")).unwrap();
        std::fs::write(
            dir.join("_index.md"),
            format!("+++\ntitle = \"指南 {g} {tag}\"\n+++\n\n说明 {tag}。\n"),
        )
        .unwrap();
        for c in ["web", "wechat", "app"] {
            let mut md = format!("+++\ntitle = \"{c} {tag}\"\n+++\n\n");
            for s in 1..=6 {
                md.push_str(&format!(
                    "## 第 {s} 步 {tag}\n\n打开页面，点击“下一步”。**注意：**核对信息。\n\n![{c} 第 {s} 步的页面](images/{c}-{s}.png)\n\n"
                ));
                std::fs::write(dir.join(format!("images/{c}-{s}.png")), &png).unwrap();
            }
            std::fs::write(dir.join(format!("{c}.md")), md).unwrap();
        }
    }
}

type Snapshot = BTreeMap<String, u64>;

fn snapshot(dir: &Path) -> Snapshot {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(e.path()).unwrap().hash(&mut h);
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                h.finish(),
            )
        })
        .collect()
}

fn build_cmd(root: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guidepost"));
    c.args(["build", "--quiet", "--root"])
        .arg(root)
        .arg("--output")
        .arg(out)
        .stderr(std::process::Stdio::null());
    c
}

#[cfg(unix)]
#[test]
fn a_build_killed_at_any_moment_leaves_old_or_new() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    corpus(&a, 25, "甲");
    corpus(&b, 25, "乙");
    // the two complete sites, built elsewhere; and how long a build replacing a site takes
    let mut want = BTreeMap::new();
    let mut took = Duration::ZERO;
    for (name, root) in [("a", &a), ("b", &b)] {
        let out = t.path().join(format!("ref-{name}"));
        assert!(build_cmd(root, &out).status().unwrap().success());
        let start = Instant::now();
        assert!(build_cmd(root, &out).status().unwrap().success());
        took = took.max(start.elapsed());
        want.insert(name, snapshot(&out));
    }
    assert_ne!(want["a"], want["b"]);
    let public = t.path().join("out/public");
    assert!(build_cmd(&a, &public).status().unwrap().success());
    let mut current = "a";
    let mut killed = 0;
    let (mut lo, mut hi) = (took / 2, took * 2);
    const ROUNDS: u32 = 10;
    for i in 0..ROUNDS {
        // alternate the site, so every round is a real change
        let next = if current == "a" { "b" } else { "a" };
        let root = if next == "a" { &a } else { &b };
        let mut child = build_cmd(root, &public).spawn().unwrap();
        // the first rounds kill mid-build; the others close in on the swap at the end
        let at = if i < 4 {
            took.mul_f64(0.1 + 0.2 * f64::from(i))
        } else {
            (lo + hi) / 2
        };
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        killed += usize::from(status.code().is_none());
        assert!(public.is_dir(), "round {i}: the output folder went missing");
        let got = snapshot(&public);
        eprintln!(
            "round {i}: killed after {at:?} (a build takes {took:?}): {status}, the output is the {} site",
            if got == want[next] { "new" } else { "old" }
        );
        if i >= 4 {
            if got == want[next] {
                hi = at;
            } else {
                lo = at;
            }
        }
        if got == want[next] {
            current = next;
        } else {
            assert!(
                got == want[current],
                "round {i} (exit {status:?}): the output is neither the old nor the new site"
            );
        }
        // leftovers may exist, but only guidepost's own, which the next build handles
        for e in std::fs::read_dir(t.path().join("out")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(
                ["public", ".public.staging", ".public.old"].contains(&name.as_str()),
                "round {i}: stray {name}"
            );
        }
    }
    assert!(
        killed > 0,
        "no build was killed part-way: the test proved nothing"
    );
    // the next build succeeds, is complete, and leaves nothing beside the output
    let next = if current == "a" { "b" } else { "a" };
    let root = if next == "a" { &a } else { &b };
    assert!(build_cmd(root, &public).status().unwrap().success());
    assert_eq!(snapshot(&public), want[next]);
    // beside the output, only the previous one, kept (stamped) for the next build to reuse
    let mut names: Vec<_> = std::fs::read_dir(t.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".public.staging", "public"]);
    assert!(t.path().join("out/.public.staging/.guidepost").is_file());
}

/// The output guard refuses folders guidepost did not make, and the site itself.
#[test]
fn output_guard_refuses_foreign_folders() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let foreign = t.path().join("documents");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("论文.docx"), "mine").unwrap();
    let o = guidepost(&[
        "build",
        "--root",
        site.to_str().unwrap(),
        "--output",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("it is not empty and was not made by guidepost"));
    assert_eq!(std::fs::read(foreign.join("论文.docx")).unwrap(), b"mine");
}

/// Two builds of the same output at the same time (`serve` and a `build` in another terminal)
/// take turns: both succeed and the output is one complete site, never a mix.
#[cfg(target_os = "linux")]
#[test]
fn concurrent_builds_take_turns() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    corpus(&a, 8, "甲");
    corpus(&b, 8, "乙");
    let mut want = BTreeMap::new();
    for (name, root) in [("a", &a), ("b", &b)] {
        let out = t.path().join(format!("ref-{name}"));
        assert!(build_cmd(root, &out).status().unwrap().success());
        want.insert(name, snapshot(&out));
    }
    let public = t.path().join("out/public");
    for round in 0..4 {
        let mut first = build_cmd(&a, &public).spawn().unwrap();
        let mut second = build_cmd(&b, &public).spawn().unwrap();
        assert!(first.wait().unwrap().success(), "round {round}");
        assert!(second.wait().unwrap().success(), "round {round}");
        let got = snapshot(&public);
        assert!(
            got == want["a"] || got == want["b"],
            "round {round}: the output mixes two builds"
        );
    }
    // beside the output, only the previous one, kept (stamped) for the next build to reuse
    let mut names: Vec<_> = std::fs::read_dir(t.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".public.staging", "public"]);
    assert!(t.path().join("out/.public.staging/.guidepost").is_file());
}
