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

/// A front matter with three wrong-typed values gets three `invalid-value` errors at once, each
/// at its value (TOML and YAML alike), not one `front-matter` error at a time.
#[test]
fn every_wrong_value_at_once() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    let toml = "+++\ntitle = \"网页\"\norder = \"一\"\ndraft = \"yes\"\nname = 5\n+++\n\n## 登录\n\n登录。\n";
    let yaml =
        "---\ntitle: 微信\norder: 第二\ndraft: 是\naliases: /old/\n---\n\n## 登录\n\n登录。\n";
    write_site(
        &root,
        &[("web.md", toml.as_bytes()), ("wechat.md", yaml.as_bytes())],
    );
    let (code, text) = check(&root);
    assert_eq!(code, Some(1), "{text}");
    let errors: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| l.starts_with("error["))
        .zip(text.lines().filter(|l| l.trim_start().starts_with("--> ")))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "error[invalid-value]: `order` must be a whole number, not the text \"一\"",
                " --> content/g/web.md:3:9"
            ),
            (
                "error[invalid-value]: `draft` must be `true` or `false`, not the text \"yes\"",
                " --> content/g/web.md:4:9"
            ),
            (
                "error[invalid-value]: `name` must be text, not the number `5`",
                " --> content/g/web.md:5:8"
            ),
            (
                "error[invalid-value]: `order` must be a whole number, not `第二`",
                " --> content/g/wechat.md:3:8"
            ),
            (
                "error[invalid-value]: `draft` must be `true` or `false`, not `是`",
                " --> content/g/wechat.md:4:8"
            ),
            (
                "error[invalid-value]: `aliases` must be a list, not `/old/`",
                " --> content/g/wechat.md:5:10"
            ),
        ],
        "{text}"
    );
    assert!(text.ends_with(": 6 errors, 0 warnings\n"), "{text}");
}

/// Problems of `site.toml` are said to be in site.toml, not "in the front matter"; all at once.
#[test]
fn site_toml_is_named_as_what_it_is() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("site");
    write_site(&root, &[("web.md", WEB.as_bytes())]);
    std::fs::write(
        root.join("site.toml"),
        "title = 5\ntitel = \"x\"\n[channels.wechat]\norder = \"二\"\n",
    )
    .unwrap();
    let (code, text) = check(&root);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("front matter"), "{text}");
    for line in [
        "error[invalid-value]: `title` must be text, not the number `5`\n --> site.toml:1:9\n",
        "error[unknown-key]: unknown key `titel` in site.toml\n --> site.toml:2:1\n",
        "error[invalid-value]: `order` must be a whole number, not the text \"二\"\n --> site.toml:4:9\n",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(text.ends_with(": 3 errors, 0 warnings\n"), "{text}");
    std::fs::write(root.join("site.toml"), "base_url = \"https://x.cn/\"\n").unwrap();
    let (_, text) = check(&root);
    assert!(
        text.starts_with("error[missing-key]: site.toml has no `title`\n"),
        "{text}"
    );
    assert!(
        text.contains("= help: add a line `title = \"…\"` to site.toml"),
        "{text}"
    );
    std::fs::write(root.join("site.toml"), "title = 学信网\n").unwrap();
    let (_, text) = check(&root);
    assert!(
        text.starts_with("error[front-matter]: invalid TOML in site.toml: "),
        "{text}"
    );
}

/// `link-removed`'s hint is written in the syntax of the page's front matter: YAML for a page
/// whose front matter is YAML (`---`), TOML for `+++`.
#[test]
fn link_removed_hint_speaks_the_front_matter_syntax() {
    let t = copy_fixture("links");
    let site = t.path().join("site");
    let public = t.path().join("public");
    let build = || {
        guidepost(&[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--output",
            public.to_str().unwrap(),
        ])
    };
    assert!(build().status.success());
    let content = site.join("content");
    std::fs::rename(content.join("renew-card"), content.join("card-renewal")).unwrap();
    let o = build();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("add `aliases = [\"/renew-card/\"]` to the front matter of content/card-renewal/_index.md;"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        content.join("card-renewal/_index.md"),
        "---\ntitle: 校园卡补办\nattachment: 附件 1\nchannels: [web, wechat]\n---\n\n补办需要一个工作日。\n",
    )
    .unwrap();
    let o = build();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("add `aliases: [\"/renew-card/\"]` to the front matter of content/card-renewal/_index.md;"),
        "{err}"
    );
    assert!(!err.contains("aliases = ["), "{err}");
}

fn share_site(toml_extra: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("site.toml"),
        format!("title = \"办事指南\"\nbase_url = \"https://g.example.cn/\"\n{toml_extra}"),
    )
    .unwrap();
    let g = t.path().join("content/card");
    std::fs::create_dir_all(&g).unwrap();
    std::fs::write(g.join("_index.md"), "+++\ntitle = \"校园卡\"\n+++\n").unwrap();
    std::fs::write(g.join("web.md"), WEB).unwrap();
    t
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// `share_image` is published as the share card as it is; a wrong one is an error naming it,
/// a banner-shaped one a warning; without it a card is generated.
#[test]
fn share_image_is_published_checked_or_generated() {
    let t = share_site("share_image = \"logo.png\"\n");
    let logo = png(320, 320);
    std::fs::write(t.path().join("logo.png"), &logo).unwrap();
    let (out, o) = build(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    assert_eq!(std::fs::read(public.join("share-card.png")).unwrap(), logo);
    let page = std::fs::read_to_string(public.join("card/index.html")).unwrap();
    assert!(
        page.contains(
            r#"<meta property="og:image" content="https://g.example.cn/share-card.png">"#
        ),
        "{page}"
    );
    assert!(page.contains(r#"<img class="share-card" src="../share-card.png" alt="" width="320" height="320" hidden aria-hidden="true">"#), "{page}");

    // a banner: published, with a warning
    std::fs::write(t.path().join("logo.png"), png(1200, 400)).unwrap();
    let (code, err) = check(t.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning[share-card]") && err.contains("is 1200×400"),
        "{err}"
    );

    // not a picture, missing, outside the site: errors, nothing built
    for (value, want) in [
        ("logo.gif", "it is not a PNG or JPEG picture"),
        ("missing.png", "there is no such file"),
        ("../logo.png", "the path must be inside the site folder"),
    ] {
        let t = share_site(&format!("share_image = \"{value}\"\n"));
        std::fs::write(t.path().join("logo.gif"), b"GIF89a\x01\x00\x01\x00").unwrap();
        let (code, err) = check(t.path());
        assert_eq!(code, Some(1), "{value}: {err}");
        assert!(
            err.contains("error[share-image]") && err.contains(want),
            "{value}: {err}"
        );
        let (_out, o) = build(t.path());
        assert!(!o.status.success(), "{value}");
    }

    // none given: a generated square card
    let t = share_site("");
    let (out, o) = build(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let card = image::open(out.path().join("public/share-card.png")).unwrap();
    assert_eq!((card.width(), card.height()), (600, 600));
}
