//! A site that builds: pages, steps, slots, figures, callouts, links, escaping, switcher, sitemap.

use crate::*;

#[test]
fn basic_site_builds_every_page() {
    let (out, o) = build(&fixture("basic"));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stderr(&o);
    assert!(
        s.starts_with("built 5 pages (1 guide, 2 channels) into "),
        "{s}"
    );
    assert!(s.contains(": 1 screenshot to capture, 0 warnings, "), "{s}");
    for f in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "renew-card/index.html",
        "renew-card/web/index.html",
        "renew-card/wechat/index.html",
        "renew-card/print/index.html",
        "static/guidepost.css",
    ] {
        assert!(out.path().join("public").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn steps_are_numbered_with_anchors_and_typed_numbers_removed() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "renew-card/web/index.html");
    let steps = select(&doc, "li.step");
    let ids: Vec<_> = steps
        .iter()
        .map(|s| s.value().attr("id").unwrap())
        .collect();
    assert_eq!(ids, ["step-1", "confirm"]);
    let titles: Vec<_> = select(&doc, ".step-title").iter().map(text).collect();
    assert_eq!(titles, ["1登录网上办事大厅", "2确认信息"]);
    // on the guide page ids carry the channel, so two channels' `step-1` do not collide
    let doc = html(out.path(), "renew-card/index.html");
    let ids: Vec<_> = select(&doc, "li.step")
        .iter()
        .map(|s| s.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "wechat-step-1",
            "wechat-step-2",
            "web-step-1",
            "web-confirm"
        ]
    );
    let all_ids: Vec<_> = select(&doc, "[id]")
        .iter()
        .map(|e| e.value().attr("id").unwrap())
        .collect();
    let mut dedup = all_ids.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(all_ids.len(), dedup.len(), "duplicate ids: {all_ids:?}");
}

#[test]
fn slots_and_figures() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "renew-card/index.html");
    let slots = select(&doc, "figure.slot");
    assert_eq!(slots.len(), 1);
    assert!(text(&slots[0]).contains("截图待补充"));
    assert!(text(&slots[0]).contains("企业微信工作台中的“校园卡”入口"));
    assert!(slots[0].value().classes().any(|c| c == "slot-phone"));
    let imgs = select(&doc, "figure.shot img");
    assert_eq!(imgs.len(), 1);
    let img = imgs[0].value();
    // a processed copy (the original is never published); the picture is smaller than the
    // display width, so the whole picture is its only size (no second copy named by width)
    let src = img.attr("src").unwrap();
    let name = src
        .strip_prefix("../renew-card/images/login.")
        .unwrap_or_default();
    assert!(
        name.len() == "0123456789.webp".len() && name.ends_with(".webp"),
        "{src}"
    );
    assert!(out.path().join("public").join(&src[3..]).is_file());
    assert!(
        !out.path()
            .join("public/renew-card/images/login.png")
            .exists()
    );
    assert_eq!(img.attr("srcset"), Some(format!("{src} 64w").as_str()));
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("64"), Some("40"))
    );
    assert_eq!(img.attr("alt"), Some("办事大厅登录页"));
    // the first screenshot of the channel: not lazy
    assert_eq!(img.attr("loading"), Some("eager"));
    // never a figure inside a paragraph
    assert!(select(&doc, "p figure, p img").is_empty());
}

#[test]
fn callouts_emphasis_and_cjk_line_breaks() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "renew-card/web/index.html");
    let callout = select(&doc, "aside.callout-warning");
    assert_eq!(callout.len(), 1);
    assert_eq!(text(&callout[0]), "注意注意：补办需要一个工作日。");
    let strong: Vec<_> = select(&doc, "strong").iter().map(text).collect();
    assert!(
        strong.contains(&"注意：".to_string()) && strong.contains(&"“姓名”".to_string()),
        "{strong:?}"
    );
    assert_eq!(
        select(&doc, "em").iter().map(text).collect::<Vec<_>>(),
        ["学号。"]
    );
    let body = text(&select(&doc, "li#step-1 .step-body p")[0]);
    assert_eq!(body, "打开办事大厅，输入学号和密码。");
}

#[test]
fn links_are_relative_and_md_links_resolved() {
    let (out, _) = build(&fixture("basic"));
    for page in [
        "index.html",
        "renew-card/index.html",
        "renew-card/web/index.html",
        "renew-card/wechat/index.html",
        "renew-card/print/index.html",
    ] {
        let doc = html(out.path(), page);
        for a in select(&doc, "a[href], link[href], img[src], script[src]") {
            let v = a.value();
            let url = v.attr("href").or(v.attr("src")).unwrap();
            let canonical = v.attr("rel") == Some("canonical");
            assert!(
                canonical || !url.starts_with('/') && !url.starts_with("https://example.edu.cn"),
                "{page}: {url}"
            );
        }
    }
    let doc = html(out.path(), "renew-card/web/index.html");
    let hrefs: Vec<_> = select(&doc, ".step-body p a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        hrefs,
        ["#step-1", "../../renew-card/wechat/index.html#step-1"]
    );
    let doc = html(out.path(), "renew-card/index.html");
    let hrefs: Vec<_> = select(&doc, ".step-body p a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        hrefs,
        ["#web-step-1", "../renew-card/wechat/index.html#step-1"]
    );
}

/// The page's only scripts are the theme's deferred files (no inline script): its enhancement
/// file, and the search script where search is on.
fn theme_scripts_only(doc: &scraper::Html) -> Result<(), String> {
    let scripts = select(doc, "script");
    let theme = |s: &scraper::ElementRef, name: &str| {
        s.value()
            .attr("src")
            .is_some_and(|v| v.starts_with(&format!("../static/{name}?v=")))
            && s.value().attr("defer").is_some()
            && s.inner_html().is_empty()
    };
    match scripts.as_slice() {
        [s] if theme(s, "guidepost.js") => Ok(()),
        [s, t] if theme(s, "guidepost.js") && theme(t, "search.js") => Ok(()),
        other => Err(other
            .iter()
            .map(|s| s.html())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

#[test]
fn titles_are_escaped_and_raw_html_passes() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "renew-card/index.html");
    assert_eq!(theme_scripts_only(&doc), Ok(()));
    assert_eq!(
        text(&select(&doc, "h1")[0]),
        "校园卡补办 <script>alert(1)</script>"
    );
    assert_eq!(select(&doc, ".step-body kbd").len(), 1);
}

#[test]
fn channel_switcher_works_without_javascript() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "renew-card/index.html");
    let panels: Vec<_> = select(&doc, ".channels > section.channel")
        .iter()
        .map(|s| s.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(
        panels,
        ["wechat", "web"],
        "channels follow the guide's `channels` list"
    );
    // every panel has links to every panel, its own marked current
    for id in &panels {
        let tabs = select(&doc, &format!("section#{id} nav a"));
        let hrefs: Vec<_> = tabs
            .iter()
            .filter_map(|a| a.value().attr("href"))
            .filter(|h| h.starts_with('#'))
            .collect();
        assert_eq!(hrefs, ["#wechat", "#web"]);
        let current: Vec<_> = tabs
            .iter()
            .filter(|a| a.value().attr("aria-current").is_some())
            .map(|a| a.value().attr("href").unwrap())
            .collect();
        assert_eq!(current, [format!("#{id}")]);
    }
    assert!(
        theme_scripts_only(&doc).is_ok(),
        "the switcher needs no script of its own"
    );
    let css = std::fs::read_to_string(out.path().join("public/static/guidepost.css")).unwrap();
    assert!(css.contains(":target"), "the switcher is driven by :target");
}

#[test]
fn home_lists_guides_and_channels() {
    let (out, _) = build(&fixture("basic"));
    let doc = html(out.path(), "index.html");
    assert_eq!(doc.root_element().value().attr("lang"), Some("zh-CN"));
    let links: Vec<_> = select(&doc, "main a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    for want in [
        "renew-card/index.html",
        "renew-card/wechat/index.html",
        "renew-card/web/index.html",
    ] {
        assert!(links.iter().any(|l| l == want), "{want} not in {links:?}");
    }
    assert!(text(&select(&doc, "main")[0]).contains("附件 1"));
}

#[test]
fn sitemap_and_canonical_use_base_url() {
    let (out, _) = build(&fixture("basic"));
    let sitemap = std::fs::read_to_string(out.path().join("public/sitemap.xml")).unwrap();
    let locs: Vec<_> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    assert_eq!(
        locs,
        [
            "https://example.edu.cn/guides/",
            "https://example.edu.cn/guides/renew-card/",
            "https://example.edu.cn/guides/renew-card/wechat/",
            "https://example.edu.cn/guides/renew-card/web/"
        ]
    );
    let doc = html(out.path(), "renew-card/web/index.html");
    let canonical = select(&doc, "link[rel=canonical]");
    assert_eq!(
        canonical[0].value().attr("href"),
        Some("https://example.edu.cn/guides/renew-card/web/")
    );
}

#[test]
fn base_url_flag_overrides_config() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let o = guidepost(&[
        "build",
        "--no-lock",
        "--root",
        fixture("basic").to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
        "--base-url",
        "https://other.cn/x",
    ]);
    assert!(o.status.success());
    let doc = html(out.path(), "renew-card/index.html");
    assert_eq!(
        select(&doc, "link[rel=canonical]")[0].value().attr("href"),
        Some("https://other.cn/x/renew-card/")
    );
}

#[test]
fn bom_crlf_and_gbk_files_build() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let web = site.join("content/renew-card/web.md");
    let crlf = std::fs::read_to_string(&web).unwrap().replace('\n', "\r\n");
    std::fs::write(&web, [b"\xEF\xBB\xBF".as_slice(), crlf.as_bytes()].concat()).unwrap();
    let utf8 = std::fs::read_to_string(site.join("content/renew-card/wechat.md")).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(&utf8);
    std::fs::write(site.join("content/renew-card/wechat.md"), &gbk).unwrap();
    let (out, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning[encoding]: content/renew-card/wechat.md is saved as GBK/GB18030, not UTF-8; converted it"), "{}", stderr(&o));
    let doc = html(out.path(), "renew-card/web/index.html");
    assert_eq!(
        text_of(&doc, "h2.channel-title, h1"),
        "二、网上办事大厅（电脑端）"
    );
    let doc = html(out.path(), "renew-card/wechat/index.html");
    assert!(text(&select(&doc, "main")[0]).contains("在“工作台”中点击“校园卡”。"));
}

fn text_of(doc: &scraper::Html, css: &str) -> String {
    select(doc, css)
        .iter()
        .map(text)
        .find(|t| t.contains("网上办事大厅"))
        .unwrap_or_default()
}

#[test]
fn drafts_are_left_out_unless_asked() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let web = site.join("content/renew-card/web.md");
    let s = std::fs::read_to_string(&web).unwrap().replacen(
        "note = \"电脑端\"",
        "note = \"电脑端\"\ndraft = true",
        1,
    );
    std::fs::write(&web, s).unwrap();
    std::fs::write(
        site.join("content/renew-card/_index.md"),
        std::fs::read_to_string(site.join("content/renew-card/_index.md"))
            .unwrap()
            .replace("也可以先看[网页办理的第二步](web.md#confirm)。", ""),
    )
    .unwrap();
    let (out, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.path().join("public/renew-card/web").exists());
    let o = guidepost(&[
        "build",
        "--drafts",
        "--root",
        site.to_str().unwrap(),
        "--output",
        out.path().join("public").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.path().join("public/renew-card/web/index.html").exists());
}

/// What `build` writes into an existing output after an edit (the screenshot, QR code and
/// search caches warm from the build before) is, file for file and byte for byte, what a clean
/// build of the edited site writes.
#[test]
fn a_rebuild_after_an_edit_equals_a_clean_build_of_the_edited_site() {
    let edit = |site: &Path| {
        let web = site.join("content/renew-card/web.md");
        let text = std::fs::read_to_string(&web).unwrap();
        assert!(text.contains("输入学号和密码"));
        std::fs::write(&web, text.replace("输入学号和密码", "输入学号和口令")).unwrap();
    };
    let build_into = |site: &Path, out: &Path| {
        let o = build_into(site, out, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let files = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        paths_under(dir, false)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(dir.join(&f)).unwrap()))
            .collect()
    };
    let old = copy_fixture("basic");
    let (site, out) = (old.path().join("site"), old.path().join("public"));
    build_into(&site, &out);
    let before = files(&out);
    edit(&site);
    build_into(&site, &out);
    let rebuilt = files(&out);

    let new = copy_fixture("basic");
    let (clean_site, clean_out) = (new.path().join("site"), new.path().join("public"));
    edit(&clean_site);
    build_into(&clean_site, &clean_out);
    let clean = files(&clean_out);
    assert_eq!(
        rebuilt.iter().map(|f| &f.0).collect::<Vec<_>>(),
        clean.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((path, a), (_, b)) in rebuilt.iter().zip(&clean) {
        assert!(a == b, "{path} differs from a clean build's");
    }
    // the edit reached the page and the search index
    assert_ne!(before, rebuilt);
    let page = String::from_utf8(std::fs::read(out.join("renew-card/web/index.html")).unwrap());
    assert!(page.unwrap().contains("输入学号和口令"));
    let index = std::fs::read_to_string(out.join("search/index.js")).unwrap();
    assert!(index.contains("口令"));
}

/// The allocator's options of `src/main.rs` reach jemalloc (its symbol name follows the crate's
/// prefix: a wrong one would be ignored without a word): one arena per CPU.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_runs_jemalloc_with_one_arena_per_cpu() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap();
    let stats = String::from_utf8_lossy(&out.stderr);
    assert!(
        stats.contains("opt.percpu_arena: \"percpu\""),
        "jemalloc's options: {}",
        stats
            .lines()
            .filter(|l| l.contains("opt."))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A rebuild starts from the output before last (the spare, `.public.staging`), keeps the pages
/// whose key did not change and the linked files that are still the cache's, and replaces the
/// rest: after every kind of change, the output is, file for file and byte for byte, what a
/// clean build of the same site writes; and what did not change was not written again.
#[cfg(unix)]
#[test]
fn a_rebuild_keeps_what_did_not_change_and_equals_a_clean_build() {
    use std::os::unix::fs::MetadataExt;
    let t = copy_fixture("basic");
    let (site, out) = (t.path().join("site"), t.path().join("public"));
    // a second guide, which the edits below leave alone; its screenshot has the bytes of the
    // first guide's (two threads store one cache entry at once: they once shared a temporary
    // folder, and the entry went missing now and then)
    let other = site.join("content/other-card");
    std::fs::create_dir_all(other.join("images")).unwrap();
    for f in ["_index.md", "web.md", "wechat.md", "images/login.png"] {
        std::fs::copy(site.join("content/renew-card").join(f), other.join(f)).unwrap();
    }
    let index = other.join("_index.md");
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replace("校园卡补办", "另一张卡")).unwrap();
    let files = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        paths_under(dir, false)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(dir.join(&f)).unwrap()))
            .collect()
    };
    let ino = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
    let rebuild = |what: &str| {
        let o = build_into(&site, &out, &[]);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let clean = tempfile::tempdir().unwrap();
        let copy = clean.path().join("site");
        for e in walkdir::WalkDir::new(&site) {
            let e = e.unwrap();
            let dest = copy.join(e.path().strip_prefix(&site).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else if !e.path().starts_with(site.join(".guidepost-cache")) {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
        let o = build_into(&copy, &clean.path().join("public"), &[]);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let (got, want) = (files(&out), files(&clean.path().join("public")));
        assert_eq!(
            got.iter().map(|f| &f.0).collect::<Vec<_>>(),
            want.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{what}: the files"
        );
        for ((path, a), (_, b)) in got.iter().zip(&want) {
            assert!(a == b, "{what}: {path} differs from a clean build's");
        }
    };
    let edit = |path: &str, from: &str, to: &str| {
        let p = site.join(path);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{path} has {from}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    // two builds: the output and, beside it, the spare; from then on each build brings the
    // spare (the output before last) up to date, so a kept file has the inode it had two
    // builds before
    let inodes = std::cell::RefCell::new(Vec::new());
    let kept = |what: &str, p: &str| {
        let mut v = inodes.borrow_mut();
        v.push(ino(p));
        let n = v.len();
        assert!(
            n >= 3 && v[n - 1] == v[n - 3],
            "{what}: {p} was written again"
        );
    };
    rebuild("first build");
    let page = "other-card/web/index.html";
    inodes.borrow_mut().push(ino(page));
    rebuild("second build");
    inodes.borrow_mut().push(ino(page));
    assert!(t.path().join(".public.staging/.guidepost").is_file());
    rebuild("nothing changed");
    kept("nothing changed", page);
    rebuild("nothing changed again");
    kept("nothing changed again", page);
    let shot = paths_under(&out, false)
        .into_iter()
        .find(|p| p.starts_with("other-card/") && p.ends_with(".webp"))
        .unwrap();
    let cached = ino(&shot);

    edit(
        "content/renew-card/web.md",
        "输入学号和密码",
        "输入学号和口令",
    );
    rebuild("a step edited");
    kept("a step edited", page);
    assert_eq!(ino(&shot), cached, "a screenshot still the cache's is kept");
    rebuild("a step edited, again");
    kept("a step edited, again", page);
    assert!(
        std::fs::read_to_string(out.join("renew-card/web/index.html"))
            .unwrap()
            .contains("口令")
    );

    edit("content/other-card/_index.md", "另一张卡", "第二张卡");
    rebuild("a guide's title");
    rebuild("a guide's title, again");
    edit("site.toml", "测试站点", "测试站");
    rebuild("site.toml");
    rebuild("site.toml, again");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}\n{% block content %}<p>找不到这一页。</p>{% endblock content %}\n",
    )
    .unwrap();
    rebuild("a template");
    rebuild("a template, again");
    // a screenshot replaced: its new variants, the old ones gone
    let png = std::fs::read(site.join("content/other-card/images/login.png")).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    let mut flipped = Vec::new();
    img.fliph()
        .write_to(
            &mut std::io::Cursor::new(&mut flipped),
            image::ImageFormat::Png,
        )
        .unwrap();
    std::fs::write(site.join("content/other-card/images/login.png"), flipped).unwrap();
    rebuild("a screenshot");
    rebuild("a screenshot, again");
    // files changed or added in the output by hand are put right within two builds (the output
    // becomes the spare of the build after next)
    std::fs::write(out.join(page), "手工改过").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::remove_file(out.join("renew-card/index.html")).unwrap();
    rebuild("hand edits, the build after");
    rebuild("hand edits, the build after next");
    // redirects: a guide's alias implies one for each of its channels, which gives way to
    // another guide's alias of the same address (the first guide's pages list its redirects)
    edit(
        "content/other-card/_index.md",
        "title = ",
        "aliases = [\"/old-card/\"]\ntitle = ",
    );
    rebuild("a guide's alias");
    rebuild("a guide's alias, again");
    edit(
        "content/renew-card/web.md",
        "title = ",
        "aliases = [\"/old-card/web/\"]\ntitle = ",
    );
    rebuild("another guide's alias of an implied address");
    rebuild("another guide's alias of an implied address, again");
    // a guide removed
    std::fs::remove_dir_all(site.join("content/other-card")).unwrap();
    rebuild("a guide removed");
    rebuild("a guide removed, again");
    assert!(!out.join("other-card").exists());
}
