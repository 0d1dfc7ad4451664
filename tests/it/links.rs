//! Links (issue 5): canonical and Open Graph tags, QR codes that decode to the page's URL,
//! `guidepost links`, alias redirect pages, the share page, and `links.lock` refusing a build
//! that would break a published address.

use std::path::Path;
use std::process::Output;

use crate::*;

/// Builds the site `t/site` into `t/public` with the lock (as `guidepost build` does).
fn build_site(t: &Path, extra: &[&str]) -> Output {
    let site = t.join("site");
    let public = t.join("public");
    let mut args = vec![
        "build",
        "--root",
        site.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    guidepost(&args)
}

fn read(t: &Path, rel: &str) -> String {
    std::fs::read_to_string(t.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn edit(t: &Path, rel: &str, from: &str, to: &str) {
    let p = t.join("site").join(rel);
    let s = std::fs::read_to_string(&p).unwrap();
    assert!(s.contains(from), "{rel} has no {from:?}");
    std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
}

fn attr(doc: &scraper::Html, css: &str, name: &str) -> Option<String> {
    select(doc, css)
        .first()
        .and_then(|e| e.value().attr(name).map(str::to_string))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn canonical_and_open_graph_tags() {
    let (out, o) = build(&fixture("links"));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(out.path(), "renew-card/index.html");
    let base = "https://example.edu.cn/guides/";
    let canonical = format!("{base}renew-card/");
    assert_eq!(
        attr(&doc, "link[rel=canonical]", "href"),
        Some(canonical.clone())
    );
    assert_eq!(
        attr(&doc, "meta[property='og:url']", "content"),
        Some(canonical)
    );
    assert_eq!(
        attr(&doc, "meta[property='og:title']", "content").as_deref(),
        Some("校园卡补办")
    );
    assert_eq!(
        attr(&doc, "meta[property='og:description']", "content").as_deref(),
        Some("两种方式补办校园卡。")
    );
    assert_eq!(
        attr(&doc, "meta[name=description]", "content").as_deref(),
        Some("两种方式补办校园卡。")
    );
    assert_eq!(
        attr(&doc, "meta[property='og:site_name']", "content").as_deref(),
        Some("测试站点")
    );
    assert_eq!(
        attr(&doc, "meta[property='og:locale']", "content").as_deref(),
        Some("zh_CN")
    );
    let doc = html(out.path(), "renew-card/wechat/index.html");
    assert_eq!(
        attr(&doc, "link[rel=canonical]", "href").as_deref(),
        Some("https://example.edu.cn/guides/renew-card/wechat/")
    );
    assert_eq!(
        attr(&doc, "meta[property='og:title']", "content").as_deref(),
        Some("校园卡补办（企业微信）")
    );
    // the home page falls back to the site's description
    let doc = html(out.path(), "index.html");
    assert_eq!(
        attr(&doc, "link[rel=canonical]", "href").as_deref(),
        Some(base)
    );
    assert_eq!(
        attr(&doc, "meta[property='og:description']", "content").as_deref(),
        Some("示例大学办事指南")
    );
    // the sitemap lists the pages readers share, not the share page, drafts or aliases
    let sitemap = read(out.path(), "public/sitemap.xml");
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    assert_eq!(
        locs,
        [
            base,
            "https://example.edu.cn/guides/renew-card/",
            "https://example.edu.cn/guides/renew-card/web/",
            "https://example.edu.cn/guides/renew-card/wechat/"
        ]
    );
}

#[test]
fn base_url_flag_overrides_site_toml() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let o = guidepost(&[
        "build",
        "--no-lock",
        "--root",
        fixture("links").to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
        "--base-url",
        "https://new.example.cn/x",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(out.path(), "renew-card/web/index.html");
    assert_eq!(
        attr(&doc, "link[rel=canonical]", "href").as_deref(),
        Some("https://new.example.cn/x/renew-card/web/")
    );
    assert_eq!(
        decode_png(&public.join("renew-card/web/qr.png")),
        "https://new.example.cn/x/renew-card/web/"
    );
}

/// Decodes the one QR code of a PNG file.
fn decode_png(path: &Path) -> String {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "{}: {} codes", path.display(), grids.len());
    grids[0].decode().unwrap().1
}

#[test]
fn qr_codes_decode_to_the_page_urls() {
    let (out, o) = build(&fixture("links"));
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    for (rel, url) in [
        ("renew-card", "https://example.edu.cn/guides/renew-card/"),
        (
            "renew-card/web",
            "https://example.edu.cn/guides/renew-card/web/",
        ),
        (
            "renew-card/wechat",
            "https://example.edu.cn/guides/renew-card/wechat/",
        ),
    ] {
        let png = public.join(rel).join("qr.png");
        assert_eq!(decode_png(&png), url);
        // crisp: 10 px a module, a 4-module quiet zone, only black and white
        let img = image::open(&png).unwrap().to_luma8();
        let q = guidepost::links::qr::Qr::encode(url).unwrap();
        let side = (q.size as u32 + 8) * 10;
        assert_eq!(img.dimensions(), (side, side), "{rel}");
        assert!(img.pixels().all(|p| p.0 == [0] || p.0 == [255]));
        let svg = read(&public, &format!("{rel}/qr.svg"));
        assert!(svg.starts_with("<svg") && svg.contains("viewBox"), "{svg}");
    }
    // the guide page offers its code to desktop readers
    let doc = html(out.path(), "renew-card/index.html");
    let offer = select(&doc, "figure.qr-offer");
    assert_eq!(offer.len(), 1);
    assert_eq!(text(&offer[0]), "用手机扫码打开");
    assert_eq!(
        attr(&doc, ".qr-offer img", "src").as_deref(),
        Some("qr.svg")
    );
    // hidden on phones and in print: only a wide screen shows it
    let css = read(&public, "static/guidepost.css");
    assert!(css.contains(".qr-offer { display: none; }"));
    assert!(css.contains("@media screen and (min-width: 60rem) {\n  .doc-head:has(.qr-offer)"));
}

#[test]
fn no_base_url_means_no_qr_codes_and_a_note() {
    let (out, o) = build(&fixture("basic-no-base-url"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.path().join("public/renew-card/qr.png").exists());
    let doc = html(out.path(), "renew-card/index.html");
    assert!(select(&doc, ".qr-offer").is_empty());
    assert!(select(&doc, "link[rel=canonical]").is_empty());
    let doc = html(out.path(), "share/index.html");
    assert!(text(&select(&doc, ".callout-warning")[0]).contains("没有设置 base_url"));
    assert_eq!(
        text(&select(&doc, ".share-guide .share-url")[0]),
        "/renew-card/"
    );
}

#[test]
fn links_lists_every_url_as_text() {
    let root = fixture("links");
    let o = guidepost(&["links", "--root", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "测试站点\nhttps://example.edu.cn/guides/\n\n\
         附件 1：校园卡补办（在线版：https://example.edu.cn/guides/renew-card/）\n\
         一、网上办事大厅办理：https://example.edu.cn/guides/renew-card/web/\n\
         二、企业微信办理：https://example.edu.cn/guides/renew-card/wechat/\n"
    );
    let o = guidepost(&["links", "--root", root.to_str().unwrap(), "--steps"]);
    let s = stdout(&o);
    assert!(
        s.contains(
            "一、网上办事大厅办理：https://example.edu.cn/guides/renew-card/web/\n    \
             第 1 步 登录网上办事大厅：https://example.edu.cn/guides/renew-card/web/#step-1\n"
        ),
        "{s}"
    );
    assert!(
        s.contains("第 3 步 确认信息：https://example.edu.cn/guides/renew-card/web/#confirm\n"),
        "{s}"
    );
    // drafts are not published, so not listed
    assert!(!s.contains("尚未发布"), "{s}");
}

#[test]
fn links_as_csv_for_excel() {
    let root = fixture("links");
    let o = guidepost(&[
        "links",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "csv",
        "--steps",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    // a UTF-8 BOM, so that Excel on Chinese Windows does not read it as GBK
    let s = s.strip_prefix('\u{feff}').expect("BOM");
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "kind,guide,channel,step,title,path,url");
    assert_eq!(
        lines[1],
        "home,,,,测试站点,/,https://example.edu.cn/guides/"
    );
    assert_eq!(
        lines[3],
        "channel,renew-card,web,,校园卡补办（网上办事大厅）,/renew-card/web/,https://example.edu.cn/guides/renew-card/web/"
    );
    assert_eq!(
        lines[6],
        "step,renew-card,web,3,确认信息,/renew-card/web/#confirm,https://example.edu.cn/guides/renew-card/web/#confirm"
    );
    assert_eq!(lines.len(), 10, "{s}");
}

#[test]
fn links_as_json() {
    let root = fixture("links");
    let o = guidepost(&[
        "links",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--base-url",
        "https://other.example.cn/",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[2],
        serde_json::json!({
            "kind": "channel", "guide": "renew-card", "channel": "web", "step": null,
            "title": "校园卡补办（网上办事大厅）", "path": "/renew-card/web/",
            "url": "https://other.example.cn/renew-card/web/"
        })
    );
}

#[test]
fn links_without_base_url_prints_paths_and_says_why() {
    let root = fixture("basic-no-base-url");
    let o = guidepost(&[
        "links",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "note: site.toml has no base_url, so these are paths from the site root; set base_url (or pass --base-url https://…/) for full URLs\n"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[1]["path"], "/renew-card/");
    assert_eq!(v[1]["url"], serde_json::Value::Null);
}

#[test]
fn aliases_become_redirect_pages() {
    let (out, o) = build(&fixture("links"));
    assert!(o.status.success(), "{}", stderr(&o));
    for (rel, target, canonical) in [
        ("card/index.html", "../renew-card/index.html", "renew-card/"),
        // a guide's alias keeps its channels' old addresses too
        (
            "card/web/index.html",
            "../../renew-card/web/index.html",
            "renew-card/web/",
        ),
        ("2025/renew.html", "../renew-card/index.html", "renew-card/"),
        (
            "renew-card/pc/index.html",
            "../web/index.html",
            "renew-card/web/",
        ),
    ] {
        let doc = html(out.path(), rel);
        assert_eq!(
            attr(&doc, "meta[http-equiv=refresh]", "content"),
            Some(format!("0; url={target}")),
            "{rel}"
        );
        assert_eq!(
            attr(&doc, "link[rel=canonical]", "href"),
            Some(format!("https://example.edu.cn/guides/{canonical}")),
            "{rel}"
        );
        assert_eq!(
            attr(&doc, "body a", "href").as_deref(),
            Some(target),
            "{rel}"
        );
        assert_eq!(
            attr(&doc, "meta[name=robots]", "content").as_deref(),
            Some("noindex")
        );
        // the script keeps a step's #anchor, which a meta refresh may lose
        let script = text(&select(&doc, "script")[0]);
        assert_eq!(
            script,
            format!("location.replace(\"{target}\" + location.hash)")
        );
    }
}

#[test]
fn share_page_for_staff() {
    let (out, o) = build(&fixture("links"));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(out.path(), "share/index.html");
    assert_eq!(
        attr(&doc, "meta[name=robots]", "content").as_deref(),
        Some("noindex")
    );
    assert!(select(&doc, "link[rel=canonical]").is_empty());
    let notice = select(&doc, "textarea#notice-renew-card");
    assert_eq!(
        notice[0].text().collect::<String>(),
        "附件 1：校园卡补办（在线版：https://example.edu.cn/guides/renew-card/）\n\
         一、网上办事大厅办理：https://example.edu.cn/guides/renew-card/web/\n\
         二、企业微信办理：https://example.edu.cn/guides/renew-card/wechat/"
    );
    assert_eq!(
        select(&doc, "textarea#line-renew-card")[0]
            .text()
            .collect::<String>(),
        "附件 1：校园卡补办（在线版：https://example.edu.cn/guides/renew-card/）"
    );
    let downloads = |doc: &scraper::Html| -> Vec<String> {
        select(doc, ".share-qr a")
            .iter()
            .map(|a| a.value().attr("href").unwrap().to_string())
            .collect()
    };
    assert_eq!(
        downloads(&doc),
        ["../renew-card/qr.png", "../renew-card/qr.svg"]
    );
    assert!(
        text(&select(&doc, ".share-aliases")[0]).contains("https://example.edu.cn/guides/card/")
    );
    // the site's page stays small: each guide's channels and step links are on its own page
    assert!(select(&doc, ".share-steps").is_empty());
    assert!(select(&doc, "textarea#line-renew-card-wechat").is_empty());
    let more = attr(&doc, ".share-more a", "href").unwrap();
    assert_eq!(more, "renew-card/index.html");

    let guide = html(out.path(), &format!("share/{more}"));
    assert_eq!(
        attr(&guide, "meta[name=robots]", "content").as_deref(),
        Some("noindex")
    );
    assert_eq!(
        attr(&guide, ".share-back a", "href").unwrap(),
        "../index.html"
    );
    assert_eq!(
        select(&guide, "textarea#line-renew-card-wechat")[0]
            .text()
            .collect::<String>(),
        "校园卡补办（企业微信）：https://example.edu.cn/guides/renew-card/wechat/"
    );
    assert_eq!(
        select(&guide, "textarea#notice-renew-card")[0]
            .text()
            .collect::<String>(),
        notice[0].text().collect::<String>()
    );
    let all = downloads(&guide);
    assert_eq!(
        all,
        [
            "../../renew-card/qr.png",
            "../../renew-card/qr.svg",
            "../../renew-card/web/qr.png",
            "../../renew-card/web/qr.svg",
            "../../renew-card/wechat/qr.png",
            "../../renew-card/wechat/qr.svg"
        ]
    );
    for d in &all {
        assert!(
            out.path().join("public/share/renew-card").join(d).is_file(),
            "{d}"
        );
    }
    let steps = text(&select(&guide, ".share-steps")[0]);
    assert!(
        steps.contains("https://example.edu.cn/guides/renew-card/web/#step-1"),
        "{steps}"
    );
    assert!(!guide.html().contains("尚未发布"));
    // drafts are not shared, and reader pages never link to the share page
    assert!(!doc.html().contains("尚未发布"));
    for rel in [
        "index.html",
        "404.html",
        "renew-card/index.html",
        "renew-card/web/index.html",
    ] {
        let page = html(out.path(), rel);
        for a in select(&page, "a[href]") {
            assert!(!a.value().attr("href").unwrap().contains("share"), "{rel}");
        }
    }
}

#[test]
fn bad_aliases_are_reported_with_their_line() {
    let t = copy_fixture("links");
    edit(
        t.path(),
        "content/renew-card/web.md",
        "aliases = [\"/renew-card/pc/\"]",
        "aliases = [\"/renew-card/wechat/\", \"old/\", \"/card/\"]",
    );
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "\
error[alias-collision]: the alias `/renew-card/wechat/` is the address of the page “校园卡补办（企业微信）”
 --> content/renew-card/web.md:3:13
  |
3 | aliases = [\"/renew-card/wechat/\", \"old/\", \"/card/\"]
  |             ^^^^^^^^^^^^^^^^^^^
  |
  = help: an alias must be an old address that no page has any more; remove it
error[invalid-alias]: the alias `old/` does not start with `/`
 --> content/renew-card/web.md:3:36
  |
3 | aliases = [\"/renew-card/wechat/\", \"old/\", \"/card/\"]
  |                                    ^^^^
  |
  = help: write the old address as a path from the site root: \"/old/\"
error[alias-collision]: the alias `/card/` is also given in content/renew-card/_index.md
 --> content/renew-card/web.md:3:44
  |
3 | aliases = [\"/renew-card/wechat/\", \"old/\", \"/card/\"]
  |                                            ^^^^^^
  |
  = help: an old address can redirect to one page only: remove one of the two
build failed: 3 errors, 0 warnings; "
    .to_string()
            + t.path().join("public").to_str().unwrap()
            + " was left unchanged\n"
    );
    assert!(!t.path().join("public").exists());
    assert!(!t.path().join("site/links.lock").exists());
}

const LOCK_HEAD: &str = "\
# links.lock: every address this site has published, so that none of them breaks.
# guidepost updates this file on every successful build: commit it together with the content.
# A build that would drop a line fails. Keep an old address with `aliases = [\"/old-path/\"]` in
# the front matter of the page that replaces it, keep a step link with `{#id}` at the end of the
# step's heading, or drop it on purpose with `guidepost build --accept-removed`.
# Paths are from the site root (base_url is not part of them); after `# ` is the title.
";

#[test]
fn first_build_writes_the_lock_and_later_builds_keep_it() {
    let t = copy_fixture("links");
    let o = build_site(t.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lock = read(t.path(), "site/links.lock");
    assert_eq!(
        lock,
        LOCK_HEAD.to_string()
            + "\
/  # 测试站点
/2025/renew.html  # → /renew-card/
/card/  # → /renew-card/
/card/pc/  # → /renew-card/web/
/card/web/  # → /renew-card/web/
/card/wechat/  # → /renew-card/wechat/
/renew-card/  # 校园卡补办
/renew-card/#pc-confirm  # 网上办事大厅：确认信息
/renew-card/#pc-step-1  # 网上办事大厅：登录网上办事大厅
/renew-card/#pc-step-2  # 网上办事大厅：填写补办申请
/renew-card/#web-confirm  # 网上办事大厅：确认信息
/renew-card/#web-step-1  # 网上办事大厅：登录网上办事大厅
/renew-card/#web-step-2  # 网上办事大厅：填写补办申请
/renew-card/#wechat-step-1  # 企业微信：打开企业微信
/renew-card/#wechat-step-2  # 企业微信：提交申请
/renew-card/pc/  # → /renew-card/web/
/renew-card/web/  # 校园卡补办（网上办事大厅）
/renew-card/web/#confirm  # 确认信息
/renew-card/web/#step-1  # 登录网上办事大厅
/renew-card/web/#step-2  # 填写补办申请
/renew-card/wechat/  # 校园卡补办（企业微信）
/renew-card/wechat/#step-1  # 打开企业微信
/renew-card/wechat/#step-2  # 提交申请
"
    );
    // unchanged content: the file is not rewritten
    let before = std::fs::metadata(t.path().join("site/links.lock"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = build_site(t.path(), &["--base-url", "https://moved.example.cn/"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = std::fs::metadata(t.path().join("site/links.lock"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "a new base_url changes nothing in the lock");
    let leftovers: Vec<_> = std::fs::read_dir(t.path().join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // a new page is recorded
    std::fs::write(
        t.path().join("site/content/renew-card/app.md"),
        "+++\ntitle = \"APP 办理\"\n+++\n\n## 打开 APP\n\n点击“补办”。\n",
    )
    .unwrap();
    let o = build_site(t.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lock = read(t.path(), "site/links.lock");
    assert!(
        lock.contains(
            "\n/renew-card/app/  # 校园卡补办（APP 办理）\n/renew-card/app/#step-1  # 打开 APP\n"
        ),
        "{lock}"
    );
}

#[test]
fn drafts_are_not_recorded_even_when_built() {
    let t = copy_fixture("links");
    let o = build_site(t.path(), &["--drafts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.path().join("public/draft-guide/index.html").is_file());
    assert!(!read(t.path(), "site/links.lock").contains("draft-guide"));
}

#[test]
fn a_removed_page_fails_the_build_and_leaves_everything_as_it_was() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    let lock = read(t.path(), "site/links.lock");
    let page = read(t.path(), "public/renew-card/wechat/index.html");
    std::fs::remove_file(t.path().join("site/content/renew-card/wechat.md")).unwrap();
    edit(
        t.path(),
        "content/renew-card/_index.md",
        "channels = [\"web\", \"wechat\"]",
        "channels = [\"web\"]",
    );
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "\
error[link-removed]: the published address `/renew-card/wechat/` (“校园卡补办（企业微信）”) would no longer exist
  --> links.lock:27:1
   |
27 | /renew-card/wechat/  # 校园卡补办（企业微信）
   | ^^^^^^^^^^^^^^^^^^^
   |
   = help: if the page moved, add `aliases = [\"/renew-card/wechat/\"]` (in YAML front matter `aliases: [\"/renew-card/wechat/\"]`) to the front matter of the page that replaces it (a guide's `_index.md` or a channel's file); to drop it on purpose, run `guidepost build --accept-removed`
build failed: 1 error, 0 warnings; "
            .to_string()
            + t.path().join("public").to_str().unwrap()
            + " was left unchanged\n"
    );
    // neither the output nor the lock changed
    assert_eq!(read(t.path(), "site/links.lock"), lock);
    assert_eq!(read(t.path(), "public/renew-card/wechat/index.html"), page);

    // dropping it on purpose
    let o = build_site(t.path(), &["--accept-removed"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stderr(&o);
    assert!(
        s.starts_with("warning[link-dropped]: dropped from links.lock (--accept-removed): the published address `/renew-card/wechat/` (“校园卡补办（企业微信）”) would no longer exist\n  --> links.lock:27:1\n"),
        "{s}"
    );
    let lock = read(t.path(), "site/links.lock");
    assert!(!lock.contains("wechat"), "{lock}");
    assert!(!t.path().join("public/renew-card/wechat").exists());
    // and from then on the build passes
    assert!(build_site(t.path(), &[]).status.success());
}

#[test]
fn a_renamed_guide_with_an_alias_keeps_every_address() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    let content = t.path().join("site/content");
    std::fs::rename(content.join("renew-card"), content.join("card-renewal")).unwrap();
    // without an alias: the guide, its channels and their steps are gone, reported once
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(s.contains("error[link-removed]: the published address `/renew-card/` (“校园卡补办”) would no longer exist\n"), "{s}");
    assert!(s.contains("= help: “校园卡补办” is now at `/card-renewal/`: add `aliases = [\"/renew-card/\"]` to the front matter of content/card-renewal/_index.md; to drop it on purpose, run `guidepost build --accept-removed`\n"), "{s}");
    assert!(
        s.ends_with(" was left unchanged\n") && s.contains("build failed: 1 error, 0 warnings;"),
        "{s}"
    );
    // with it: redirects for the guide, its channels (steps follow through the script)
    edit(
        t.path(),
        "content/card-renewal/_index.md",
        "aliases = [\"/card/\", ",
        "aliases = [\"/renew-card/\", \"/card/\", ",
    );
    edit(
        t.path(),
        "content/card-renewal/web.md",
        "aliases = [\"/renew-card/pc/\"]",
        "aliases = [\"/renew-card/pc/\", \"/card-renewal/pc/\"]",
    );
    let o = build_site(t.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(t.path(), "renew-card/wechat/index.html");
    assert_eq!(
        attr(&doc, "meta[http-equiv=refresh]", "content").as_deref(),
        Some("0; url=../../card-renewal/wechat/index.html")
    );
    let lock = read(t.path(), "site/links.lock");
    assert!(
        lock.contains("\n/renew-card/wechat/#step-2  # 提交申请\n"),
        "{lock}"
    );
    assert!(
        lock.contains("\n/card-renewal/wechat/#step-2  # 提交申请\n"),
        "{lock}"
    );
}

#[test]
fn a_moved_step_anchor_fails_until_an_explicit_id_keeps_it() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    // a step inserted before step 2: `#step-2` would open the new step
    edit(
        t.path(),
        "content/renew-card/web.md",
        "## 填写补办申请",
        "## 上传照片\n\n上传近期证件照。\n\n## 填写补办申请",
    );
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "\
error[link-moved]: the published step link `/renew-card/web/#step-2` would open “上传照片” instead of “填写补办申请”
  --> links.lock:26:1
   |
26 | /renew-card/web/#step-2  # 填写补办申请
   | ^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: “填写补办申请” is now `#step-3`: end its heading (content/renew-card/web.md:14) with `{#step-2}`, and give “上传照片” (content/renew-card/web.md:10) an id of its own, such as `{#step-new}`; to drop it on purpose, run `guidepost build --accept-removed`
build failed: 1 error, 0 warnings; "
            .to_string()
            + t.path().join("public").to_str().unwrap()
            + " was left unchanged\n"
    );
    // doing what the help says
    edit(
        t.path(),
        "content/renew-card/web.md",
        "## 上传照片",
        "## 上传照片 {#photo}",
    );
    edit(
        t.path(),
        "content/renew-card/web.md",
        "## 填写补办申请",
        "## 填写补办申请 {#step-2}",
    );
    let o = build_site(t.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(t.path(), "renew-card/web/index.html");
    let ids: Vec<_> = select(&doc, "li.step")
        .iter()
        .map(|s| s.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(ids, ["step-1", "photo", "step-2", "confirm"]);
    let lock = read(t.path(), "site/links.lock");
    assert!(
        lock.contains("\n/renew-card/web/#photo  # 上传照片\n"),
        "{lock}"
    );
}

#[test]
fn a_removed_step_names_the_step_and_accept_removed_drops_it() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    edit(
        t.path(),
        "content/renew-card/wechat.md",
        "\n## 提交申请\n\n点击“补办”。\n",
        "",
    );
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.starts_with(
            "error[link-removed]: the published step link `/renew-card/wechat/#step-2` (“提交申请”) would no longer exist\n  --> links.lock:29:1\n"
        ),
        "{s}"
    );
    assert!(s.contains("= help: if the step moved, end its new heading with `{#step-2}` so the old link finds it; to drop it on purpose, run `guidepost build --accept-removed`\n"), "{s}");
    // the guide page's copy of the same step link is not reported twice
    assert!(s.contains("build failed: 1 error, 0 warnings;"), "{s}");
    let o = build_site(t.path(), &["--accept-removed"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lock = read(t.path(), "site/links.lock");
    assert!(!lock.contains("#step-2  # 提交申请"), "{lock}");
    assert!(!lock.contains("#wechat-step-2"), "{lock}");
}

#[test]
fn a_merge_conflict_in_the_lock_is_reported() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    let lock = read(t.path(), "site/links.lock");
    std::fs::write(
        t.path().join("site/links.lock"),
        lock.replace(
            "/renew-card/  # 校园卡补办\n",
            "<<<<<<< HEAD\n/renew-card/  # 校园卡补办\n=======\n>>>>>>> other\n",
        ),
    )
    .unwrap();
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.starts_with(
            "error[lock-conflict]: links.lock has a merge conflict marker\n  --> links.lock:13:1\n"
        ),
        "{s}"
    );
    assert!(s.contains("build failed: 3 errors, 0 warnings;"), "{s}");
}

#[test]
fn no_lock_leaves_the_lock_alone() {
    let t = copy_fixture("links");
    let o = build_site(t.path(), &["--no-lock"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!t.path().join("site/links.lock").exists());
}

#[test]
fn a_renamed_channel_with_an_alias_keeps_its_step_links_on_the_guide_page() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    let guide = t.path().join("site/content/renew-card");
    std::fs::rename(guide.join("wechat.md"), guide.join("qywx.md")).unwrap();
    edit(
        t.path(),
        "content/renew-card/_index.md",
        "channels = [\"web\", \"wechat\"]",
        "channels = [\"web\", \"qywx\"]",
    );
    edit(
        t.path(),
        "content/renew-card/qywx.md",
        "title = \"企业微信办理\"",
        "title = \"企业微信办理\"\naliases = [\"/renew-card/wechat/\"]",
    );
    let o = build_site(t.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(t.path(), "renew-card/index.html");
    // the old ids sit inside the renamed channel's steps, so `#wechat-step-2` still opens it
    let old = select(&doc, "li#qywx-step-2 > span#wechat-step-2");
    assert_eq!(old.len(), 1);
    assert_eq!(
        attr(&doc, "li#qywx-step-1 > span", "id").as_deref(),
        Some("wechat-step-1")
    );
    let redirect = html(t.path(), "renew-card/wechat/index.html");
    assert_eq!(
        attr(&redirect, "meta[http-equiv=refresh]", "content").as_deref(),
        Some("0; url=../qywx/index.html")
    );
    let lock = read(t.path(), "site/links.lock");
    assert!(
        lock.contains("\n/renew-card/#wechat-step-2  # 企业微信办理：提交申请\n"),
        "{lock}"
    );
    assert!(
        lock.contains("\n/renew-card/qywx/#step-2  # 提交申请\n"),
        "{lock}"
    );
    assert!(
        lock.contains("\n/renew-card/wechat/  # → /renew-card/qywx/\n"),
        "{lock}"
    );
    assert!(
        lock.contains("\n/renew-card/wechat/#step-2  # 提交申请\n"),
        "{lock}"
    );
}

#[test]
fn locked_fails_when_the_committed_lock_misses_an_address() {
    let t = copy_fixture("links");
    // no lock committed at all
    let o = build_site(t.path(), &["--locked"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "error[lock-outdated]: links.lock does not record `/` and 22 more addresses (--locked)\n  |\n  = note: in links.lock\n  = help: run `guidepost build` without --locked and commit links.lock with the content\n"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!t.path().join("site/links.lock").exists());
    assert!(build_site(t.path(), &[]).status.success());
    // up to date: passes and writes nothing
    let o = build_site(t.path(), &["--locked"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        t.path().join("site/content/renew-card/app.md"),
        "+++\ntitle = \"APP 办理\"\n+++\n\n## 打开 APP\n\n点击“补办”。\n",
    )
    .unwrap();
    let lock = read(t.path(), "site/links.lock");
    let o = build_site(t.path(), &["--locked"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "\nerror[lock-outdated]: links.lock does not record `/card/app/` and 3 more addresses (--locked)\n"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(t.path(), "site/links.lock"), lock);
}

#[test]
fn several_moved_steps_only_ask_the_new_step_for_an_id() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    edit(
        t.path(),
        "content/renew-card/web.md",
        "## 登录网上办事大厅",
        "## 准备材料\n\n身份证。\n\n## 登录网上办事大厅",
    );
    let o = build_site(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let helps: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("= help:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        helps,
        [
            "= help: “登录网上办事大厅” is now `#step-2`: end its heading (content/renew-card/web.md:10) with `{#step-1}`, and give “准备材料” (content/renew-card/web.md:6) an id of its own, such as `{#step-new}`; to drop it on purpose, run `guidepost build --accept-removed`",
            "= help: “填写补办申请” is now `#step-3`: end its heading (content/renew-card/web.md:14) with `{#step-2}`; to drop it on purpose, run `guidepost build --accept-removed`",
        ]
    );
    assert!(stderr(&o).contains("build failed: 2 errors, 0 warnings;"));
}

#[test]
fn without_a_summary_previews_show_the_start_of_the_introduction() {
    let t = copy_fixture("links");
    edit(
        t.path(),
        "content/renew-card/_index.md",
        "summary = \"两种方式补办校园卡。\"\n",
        "",
    );
    let o = build_site(t.path(), &["--no-lock"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for rel in ["renew-card/index.html", "renew-card/web/index.html"] {
        let doc = html(t.path(), rel);
        assert_eq!(
            attr(&doc, "meta[property='og:description']", "content").as_deref(),
            Some("补办需要一个工作日。"),
            "{rel}"
        );
        assert_eq!(
            attr(&doc, "meta[name=description]", "content").as_deref(),
            Some("补办需要一个工作日。"),
            "{rel}"
        );
    }
}

#[test]
fn a_long_address_warns_that_its_qr_code_is_too_dense() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let long = format!(
        "https://example.edu.cn/{}/",
        "very-long-path-segment".repeat(5)
    );
    let o = guidepost(&[
        "build",
        "--no-lock",
        "--root",
        fixture("links").to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
        "--base-url",
        &long,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stderr(&o);
    assert!(
        s.starts_with(&format!(
            "warning[qr-large]: the QR code of {long}renew-card/ has 49 × 49 modules: printed small it scans poorly\n"
        )),
        "{s}"
    );
    assert!(s.contains(", 3 warnings, "), "{s}");
    // still a code that decodes
    assert_eq!(
        decode_png(&public.join("renew-card/qr.png")),
        format!("{long}renew-card/")
    );
}

#[test]
fn links_of_a_site_with_errors_reports_them() {
    let o = guidepost(&["links", "--root", fixture("errors").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let s = stderr(&o);
    assert!(
        s.starts_with(
            "error[invalid-name]: the guide folder name `Bad_Name` cannot be used in a URL\n"
        ),
        "{s}"
    );
    assert!(
        s.ends_with("cannot list links: 4 errors in the site\n"),
        "{s}"
    );
}

#[test]
fn check_reports_a_dropped_address_and_a_bad_alias_without_writing() {
    let t = copy_fixture("links");
    assert!(build_site(t.path(), &[]).status.success());
    let lock = read(t.path(), "site/links.lock");
    std::fs::remove_file(t.path().join("site/content/renew-card/wechat.md")).unwrap();
    edit(
        t.path(),
        "content/renew-card/_index.md",
        "channels = [\"web\", \"wechat\"]",
        "channels = [\"web\"]",
    );
    edit(
        t.path(),
        "content/renew-card/web.md",
        "aliases = [\"/renew-card/pc/\"]",
        "aliases = [\"/renew-card/pc/\", \"/renew-card/web/\"]",
    );
    let site = t.path().join("site");
    let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(s.contains("error[alias-collision]: the alias `/renew-card/web/` is the address of the page “校园卡补办（网上办事大厅）”\n"), "{s}");
    assert!(s.contains("error[link-removed]: the published address `/renew-card/wechat/` (“校园卡补办（企业微信）”) would no longer exist\n"), "{s}");
    assert_eq!(read(t.path(), "site/links.lock"), lock);
}
