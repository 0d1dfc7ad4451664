//! `guidepost init` and `guidepost new`: a site and a guide from nothing, which build at once,
//! and which never overwrite; and the start without arguments by a double-click.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::*;

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guidepost"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run guidepost");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn files(dir: &Path) -> Vec<String> {
    crate::paths_under(dir, false)
}

#[test]
fn init_writes_a_site_that_builds_at_once() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("我的 站点");
    let o = guidepost(&["init", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("已新建站点"), "{}", stderr(&o));
    assert_eq!(
        files(&root),
        [
            "content/_index.md",
            "content/example/_index.md",
            "content/example/web.md",
            "content/example/wechat.md",
            "site.toml"
        ]
    );
    // site.toml explains itself in Chinese
    let config = std::fs::read_to_string(root.join("site.toml")).unwrap();
    assert!(config.contains("# 站点标题"), "{config}");

    let check = guidepost(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stderr(&check).contains("0 errors, 3 warnings"),
        "only the slots warn: {}",
        stderr(&check)
    );

    let (out, b) = crate::build(&root);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert!(
        stderr(&b).contains("3 screenshots to capture"),
        "{}",
        stderr(&b)
    );
    let page = html(out.path(), "example/index.html");
    for channel in ["web", "wechat"] {
        assert!(
            out.path()
                .join(format!("public/example/{channel}/index.html"))
                .is_file(),
            "the channel {channel}"
        );
    }
    assert_eq!(select(&page, ".callout-tip").len(), 1);
    assert!(!select(&page, ".callout-note").is_empty());
    let slots = select(&page, ".slot");
    assert_eq!(slots.len(), 3);
    assert!(
        text(&slots[0]).contains("截图待补充"),
        "{}",
        text(&slots[0])
    );
}

#[test]
fn init_refuses_a_folder_that_holds_a_site() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    std::fs::write(root.join("site.toml"), "title = \"我的\"\n").unwrap();
    let o = guidepost(&["init", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("已经有 site.toml"), "{}", stderr(&o));
    assert_eq!(files(root), ["site.toml"]);
    assert_eq!(
        std::fs::read_to_string(root.join("site.toml")).unwrap(),
        "title = \"我的\"\n"
    );

    // a content folder alone is somebody's work too: not a byte written beside it
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("content/g")).unwrap();
    std::fs::write(t.path().join("content/g/web.md"), "mine").unwrap();
    let o = guidepost(&["init", t.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(files(t.path()), ["content/g/web.md"]);
}

#[test]
fn new_adds_a_guide_skeleton_that_builds() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    assert!(
        guidepost(&["init", root.to_str().unwrap()])
            .status
            .success()
    );
    let o = run_in(
        &root.join("content"),
        &[
            "new",
            "renew-card",
            "--channels",
            "wechat,web",
            "--title",
            "补办校园卡",
        ],
        &[],
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("content/renew-card/wechat.md"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        files(&root.join("content/renew-card")),
        ["_index.md", "web.md", "wechat.md"]
    );
    let index = std::fs::read_to_string(root.join("content/renew-card/_index.md")).unwrap();
    assert!(
        index.starts_with("+++\ntitle = \"补办校园卡\"\nchannels = [\"wechat\", \"web\"]\n+++\n"),
        "{index}"
    );

    let (out, b) = crate::build(&root);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert!(
        stderr(&b).contains("2 guides, 4 channels"),
        "{}",
        stderr(&b)
    );
    let page = html(out.path(), "renew-card/index.html");
    assert_eq!(text(&select(&page, "h1")[0]), "补办校园卡");
    // two steps and a slot in each channel
    assert_eq!(select(&page, ".slot").len(), 4);
    let channel = html(out.path(), "renew-card/wechat/index.html");
    assert!(
        !select(&channel, ".slot-phone").is_empty(),
        "wechat's slots are phones"
    );

    // nothing staged is left behind
    let leftovers: Vec<String> = files(&root)
        .into_iter()
        .filter(|f| f.contains(".guidepost-new"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn new_refuses_an_existing_guide_and_bad_names() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    assert!(
        guidepost(&["init", root.to_str().unwrap()])
            .status
            .success()
    );
    let web = root.join("content/example/web.md");
    std::fs::write(&web, "my own words").unwrap();
    let before = files(&root);
    let r = root.to_str().unwrap();
    for args in [
        &["new", "example", "--root", r][..],
        &["new", "Renew Card", "--root", r],
        &["new", "renew", "--channels", "web,web", "--root", r],
        &["new", "renew", "--channels", "微信", "--root", r],
        &["new", "renew", "--channels", "print", "--root", r],
    ] {
        let o = guidepost(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
    }
    assert_eq!(files(&root), before);
    assert_eq!(std::fs::read_to_string(&web).unwrap(), "my own words");
    // outside a site: where to run it
    let o = guidepost(&["new", "x", "--root", t.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no site.toml"), "{}", stderr(&o));
}

#[test]
fn double_click_outside_a_site_explains_and_waits() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("notes.txt"), "x").unwrap();
    let o = run_in(t.path(), &[], &[("GUIDEPOST_DOUBLE_CLICK", "1")], "\n");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("这里没有站点（找不到 site.toml）"), "{err}");
    assert!(err.ends_with("按 Enter 键关闭这个窗口。\n"), "{err}");

    // without a double-click: the usage, as before
    let o = run_in(t.path(), &[], &[("GUIDEPOST_DOUBLE_CLICK", "0")], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage: guidepost"), "{}", stderr(&o));
}

#[test]
fn double_click_in_an_empty_folder_offers_a_site() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("guidepost.exe"), "").unwrap();
    // Enter alone: nothing happens
    let o = run_in(t.path(), &[], &[("GUIDEPOST_DOUBLE_CLICK", "1")], "\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("输入 y 并按 Enter"), "{}", stderr(&o));
    assert_eq!(files(t.path()), ["guidepost.exe"]);
}

#[test]
fn double_click_in_a_site_serves_it_and_says_how_to_stop() {
    let t = copy_fixture("basic");
    let root = t.path().join("site");
    // no program to open a browser with: the preview says so and serves on
    let empty = tempfile::tempdir().unwrap();
    let err_path = t.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .current_dir(&root)
        .env("GUIDEPOST_DOUBLE_CLICK", "1")
        .env("NO_COLOR", "1")
        .env("PATH", empty.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let url = loop {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        if let Some(line) = err.lines().find(|l| l.starts_with("serving ")) {
            break line
                .split(" at ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string();
        }
        assert!(
            start.elapsed().as_secs() < 30 && child.try_wait().unwrap().is_none(),
            "no preview: {err}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let body = http_get(&url);
    let _ = child.kill();
    let _ = child.wait();
    let err = std::fs::read_to_string(&err_path).unwrap();
    assert!(
        err.contains("要停止预览，请关闭这个窗口，或按 Ctrl+C"),
        "{err}"
    );
    assert!(body.contains("<html"), "{body}");
}

/// The body of a GET of `url` (`http://127.0.0.1:PORT/`).
fn http_get(url: &str) -> String {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
