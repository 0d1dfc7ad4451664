//! Raw HTML in Markdown, read with a real HTML tokenizer: a tag split across lines is checked
//! like any other, and script-bearing HTML (`<script>`, `on*=` attributes, `javascript:` URLs)
//! gets a `raw-script` warning; the HTML itself is still published as written.

use crate::*;

const WEB: &str = r#"+++
title = "网页"
+++

## 登录

<div>
<iframe
  src="https://cdn.example.com/frame.html"></iframe>
<img
  src="images/none.png" alt="登录页">
</div>

> <img src="https://cdn.example.com/b.png"
>   onerror="alert(1)" alt="图">

点击<a href="javascript:alert(1)">这里</a>。

<script>alert(1)</script>

## 提交 <span onclick="x()">!</span>

<form action="vbscript:x"><button formaction=" JaVa&#x09;script:x">提交</button></form>
"#;

fn site() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write_site(&t.path().join("site"), &[("web.md", WEB.as_bytes())]);
    t
}

fn check(root: &std::path::Path, strict: bool) -> (Option<i32>, String) {
    let mut args = vec!["check", "--root", root.to_str().unwrap()];
    if strict {
        args.push("--strict");
    }
    let o = guidepost(&args);
    (o.status.code(), stderr(&o))
}

/// Diagnostics as `severity[code] file:line:col`, one a line.
fn places(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut head = String::new();
    for line in text.lines() {
        if line.starts_with("error[") || line.starts_with("warning[") {
            head = line.split(':').next().unwrap().to_string();
        } else if let Some(at) = line.trim_start().strip_prefix("--> ") {
            out.push(format!("{head} {at}"));
        }
    }
    out
}

/// A tag split across lines inside an HTML block is read whole: its broken link and its remote
/// frame are reported where they are (the old line-by-line regular expressions saw neither).
#[test]
fn a_tag_split_across_lines_is_checked() {
    let t = site();
    let (code, text) = check(&t.path().join("site"), false);
    assert_eq!(code, Some(1), "{text}");
    let p = places(&text);
    assert!(
        p.contains(&"warning[remote-resource] content/g/web.md:9:8".to_string()),
        "{text}"
    );
    assert!(
        p.contains(&"error[broken-link] content/g/web.md:11:8".to_string()),
        "{text}"
    );
    assert!(text.contains("a frame loaded from another host: https://cdn.example.com/frame.html"));
}

/// Every script form is a warning with its place and the hint; `--strict` fails on them; the
/// build still publishes the HTML as written.
#[test]
fn script_bearing_html_is_a_warning() {
    let t = site();
    let root = t.path().join("site");
    std::fs::create_dir_all(root.join("content/g/images")).unwrap();
    std::fs::copy(
        fixture("basic").join("content/renew-card/images/login.png"),
        root.join("content/g/images/none.png"),
    )
    .unwrap();
    let (code, text) = check(&root, false);
    assert_eq!(code, Some(0), "{text}");
    let scripts: Vec<String> = places(&text)
        .into_iter()
        .filter(|p| p.starts_with("warning[raw-script]"))
        .collect();
    assert_eq!(
        scripts,
        [
            "warning[raw-script] content/g/web.md:15:5",
            "warning[raw-script] content/g/web.md:17:12",
            "warning[raw-script] content/g/web.md:19:1",
            "warning[raw-script] content/g/web.md:21:13",
            "warning[raw-script] content/g/web.md:23:15",
            "warning[raw-script] content/g/web.md:23:47",
        ],
        "{text}"
    );
    for msg in [
        "warning[raw-script]: an event attribute `onerror` on `<img>` runs a script",
        "warning[raw-script]: a `javascript:` URL in `href` of `<a>` runs a script",
        "warning[raw-script]: a `<script>` element in raw HTML",
        "warning[raw-script]: an event attribute `onclick` on `<span>` runs a script",
        "warning[raw-script]: a `vbscript:` URL in `action` of `<form>` runs a script",
        "warning[raw-script]: a `javascript:` URL in `formaction` of `<button>` runs a script",
        "= help: authors are trusted and raw HTML is published as written, scripts included; if you copied this from a web page, remove it",
    ] {
        assert!(text.contains(msg), "{msg}\n{text}");
    }
    let (code, text) = check(&root, true);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error[raw-script]"), "{text}");

    let (out, o) = build(&root);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(out.path().join("public/g/web/index.html")).unwrap();
    for raw in [
        "<script>alert(1)</script>",
        "onerror=\"alert(1)\"",
        "href=\"javascript:alert(1)\"",
        "<span onclick=\"x()\">",
    ] {
        assert!(page.contains(raw), "{raw} not passed through");
    }
    // the split tag's image is published and its path rewritten, as on one line
    assert!(out.path().join("public/g/images/none.png").is_file());
}
