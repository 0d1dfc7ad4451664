//! `site.toml`, `--base-url` and front matter, from the user's side: every wrong value reported
//! at once with its place and the code the docs give, `site.toml` named as what it is.

use crate::*;

fn check(root: &std::path::Path) -> (Option<i32>, String) {
    let o = guidepost(&["check", "--root", root.to_str().unwrap()]);
    (o.status.code(), stderr(&o))
}

const WEB: &str = "+++\ntitle = \"网页\"\n+++\n\n## 登录\n\n登录。\n";

const BAD_BASE_URLS: [(&str, &str); 6] = [
    (
        "https://editor:secret@guides.example.edu.cn/",
        "must not hold a user name or password (`…@`), but `https://editor:secret@guides.example.edu.cn/` does: it would be published on every page",
    ),
    (
        "https://guides.example.edu.cn/?from=notice",
        "must not have a query (`?…`), but `https://guides.example.edu.cn/?from=notice` does: page addresses are appended to it",
    ),
    (
        "https://guides.example.edu.cn/#top",
        "must not have a fragment (`#…`), but `https://guides.example.edu.cn/#top` does: page addresses are appended to it",
    ),
    (
        "ftp://guides.example.edu.cn/",
        "must be an absolute http(s) URL, not `ftp://guides.example.edu.cn/`",
    ),
    ("guides", "must be an absolute http(s) URL, not `guides`"),
    (
        "https://guides.example.edu.cn/ a",
        "must not contain spaces, but `https://guides.example.edu.cn/ a` does",
    ),
];

/// A `base_url` with a query, a fragment, `user:pass@`, another scheme or spaces is refused in
/// site.toml, pointing at the value.
#[test]
fn bad_base_url_in_site_toml() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    write_site(&root, &[("web.md", WEB.as_bytes())]);
    for (url, why) in BAD_BASE_URLS {
        std::fs::write(
            root.join("site.toml"),
            format!("title = \"测试\"\nbase_url = \"{url}\"\n"),
        )
        .unwrap();
        let (code, text) = check(&root);
        assert_eq!(code, Some(1), "{url}: {text}");
        assert!(
            text.starts_with(&format!(
                "error[invalid-value]: `base_url` {why}\n --> site.toml:2:13\n"
            )),
            "{url}: {text}"
        );
        assert!(text.contains("for example: base_url = \"https://guides.example.edu.cn/\""));
        let (_, o) = build(&root);
        assert_eq!(o.status.code(), Some(1), "{url}");
    }
    std::fs::write(
        root.join("site.toml"),
        "title = \"测试\"\nbase_url = \"https://guides.example.edu.cn/sub\"\n",
    )
    .unwrap();
    let (code, text) = check(&root);
    assert_eq!(code, Some(0), "{text}");
}

/// The same forms are refused on the command line, before anything is read or written.
#[test]
fn bad_base_url_on_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    write_site(&root, &[("web.md", WEB.as_bytes())]);
    let public = t.path().join("public");
    for (url, why) in BAD_BASE_URLS {
        for cmd in ["build", "links", "pdf"] {
            let mut args = vec![cmd, "--root", root.to_str().unwrap(), "--base-url", url];
            if cmd != "links" {
                args.extend(["--output", public.to_str().unwrap()]);
            }
            let o = guidepost(&args);
            assert_eq!(o.status.code(), Some(2), "{cmd} {url}");
            let err = stderr(&o);
            assert!(
                err.contains(&format!("`--base-url` {why}")),
                "{cmd} {url}: {err}"
            );
            assert!(
                err.contains("for example: --base-url https://guides.example.edu.cn/"),
                "{err}"
            );
        }
    }
    assert!(!public.exists());
}
