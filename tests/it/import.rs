//! `guidepost import`: the python-docx fixtures of tests/fixtures/docx/ (made by its make.py)
//! imported into a fresh site, the guide's files read back, and the result built: every picture
//! of the document is a figure (or, for a format pages cannot show, a slot).

use std::path::{Path, PathBuf};
use std::process::Output;

use super::{build, guidepost, html, select, stderr};

fn docx(name: &str) -> PathBuf {
    super::fixture("docx").join(name)
}

/// A site folder with a site.toml and nothing else.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), "title = \"测试\"\n").unwrap();
    dir
}

fn import(root: &Path, file: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "import",
        file.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    guidepost(&all)
}

/// Every file and folder under `dir`, relative, sorted (empty when it does not exist).
fn tree(dir: &Path) -> Vec<String> {
    crate::paths_under(dir, true)
}

/// A channel file's step titles (its `##` lines).
fn steps(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|l| l.trim().to_string())
        .collect()
}

fn channels(index: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(index).unwrap();
    let line = text.lines().find(|l| l.starts_with("channels = ")).unwrap();
    line["channels = ".len()..]
        .trim_matches(['[', ']'])
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect()
}

/// Builds the site; returns the (figures, slots) of the guide's page.
fn figures(root: &Path, guide: &str) -> (usize, usize) {
    let (out, o) = build(root);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = html(out.path(), &format!("{guide}/index.html"));
    // the guide page shows every channel; the print layout is another page
    (
        select(&page, "figure.shot").len(),
        select(&page, "figure.slot").len(),
    )
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

/// The reconstruction of the seed document imports into the sample guide of content/: the same
/// channels in the same order, the same step titles, the same title and 附件 label.
#[test]
fn the_seed_document_imports_into_the_sample_guide() {
    let s = site();
    let o = import(
        s.path(),
        &docx("seed.docx"),
        &["--guide", "xuexin-image-code"],
    );
    ok(&o);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/xuexin-image-code");
    let got = s.path().join("content/xuexin-image-code");
    assert_eq!(
        channels(&got.join("_index.md")),
        channels(&sample.join("_index.md"))
    );
    for c in ["web", "wechat", "app"] {
        let file = format!("{c}.md");
        assert_eq!(steps(&got.join(&file)), steps(&sample.join(&file)), "{c}");
    }
    let index = std::fs::read_to_string(got.join("_index.md")).unwrap();
    assert!(
        index.contains("title = \"学信网图像采集码获取流程\""),
        "{index}"
    );
    assert!(index.contains("attachment = \"附件 2\""), "{index}");
    assert!(
        index.contains(
            "> [!IMPORTANT]\n> 1. 请务必提前注册、获取采集码\n> 2. “图像采集码”查看有效期为一年"
        ),
        "{index}"
    );
    let web = std::fs::read_to_string(got.join("web.md")).unwrap();
    assert!(web.contains("note = \"手机端和 pc 端流程一致\""), "{web}");
    assert!(
        web.contains("![待核对：登录学信网学信档案](images/web-1.png)"),
        "{web}"
    );
    let images: Vec<String> = tree(&got.join("images"));
    assert_eq!(
        images,
        [
            "app-1.png",
            "app-2.png",
            "web-1.png",
            "web-2.png",
            "web-3.png",
            "web-4.png",
            "wechat-1.png",
            "wechat-2.png"
        ]
    );
    assert!(
        stderr(&o).contains("3 channels, 8 steps, 8 pictures"),
        "{}",
        stderr(&o)
    );
    assert_eq!(figures(s.path(), "xuexin-image-code"), (8, 0));
    // check flags every guessed description as a warning, and nothing else is wrong
    let c = guidepost(&[
        "check",
        "--root",
        s.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let diags: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
    let codes: Vec<&str> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["alt-to-review"; 8], "{diags}");
    assert!(c.status.success(), "warnings only: {}", stderr(&c));
    let strict = guidepost(&["check", "--strict", "--root", s.path().to_str().unwrap()]);
    assert!(!strict.status.success());
}

/// Word's automatic numbering: 一、 (chineseCounting) at level 0 for the channels, 1. (decimal)
/// at level 1 for the steps, restarting under each channel; bold, a hyperlink, a table.
#[test]
fn word_numbering_chinese_counting_above_decimal() {
    let s = site();
    ok(&import(s.path(), &docx("auto.docx"), &["--guide", "auto"]));
    let g = s.path().join("content/auto");
    assert_eq!(channels(&g.join("_index.md")), ["web", "wechat"]);
    assert_eq!(steps(&g.join("web.md")), ["登录学信网", "查看学籍"]);
    assert_eq!(
        steps(&g.join("wechat.md")),
        ["关注“学信网”公众号", "查看采集码"]
    );
    let web = std::fs::read_to_string(g.join("web.md")).unwrap();
    assert!(
        web.contains("在首页点击“**学信档案**”，再点击“登录”。"),
        "{web}"
    );
    assert!(web.contains("[学信网](https://www.chsi.com.cn/)"), "{web}");
    let wechat = std::fs::read_to_string(g.join("wechat.md")).unwrap();
    assert!(
        wechat.contains("| 项目 | 说明 |\n| --- | --- |\n| 有效期 | 一年 |"),
        "{wechat}"
    );
    assert_eq!(figures(s.path(), "auto"), (4, 0));
    let (out, _) = build(s.path());
    let page = html(out.path(), "auto/web/index.html");
    assert_eq!(
        select(&page, "a[href=\"https://www.chsi.com.cn/\"]").len(),
        1
    );
    assert_eq!(
        select(&page, "strong")
            .iter()
            .filter(|e| super::text(e) == "学信档案")
            .count(),
        1
    );
}

/// Steps numbered through a paragraph style, restarted in the second section by a new list
/// with a start override; channels as Heading 1 with well-known names; a 温馨提示 callout.
#[test]
fn style_numbering_restarts_per_section() {
    let s = site();
    let o = import(
        s.path(),
        &docx("styled.docx"),
        &["--guide", "styled", "--format", "json"],
    );
    ok(&o);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["steps"], 5);
    assert_eq!(report["pictures"], 5);
    assert_eq!(report["channels"][0]["id"], "wecom");
    assert_eq!(report["channels"][1]["id"], "miniprogram");
    // the restart: no number skips in the second section
    let kinds: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"number-skip"), "{report}");
    let g = s.path().join("content/styled");
    assert_eq!(
        steps(&g.join("wecom.md")),
        ["打开企业微信", "进入工作台", "点击报到"]
    );
    assert_eq!(steps(&g.join("miniprogram.md")), ["打开小程序", "填写信息"]);
    let index = std::fs::read_to_string(g.join("_index.md")).unwrap();
    assert!(index.contains("> [!TIP]\n> 请携带身份证。"), "{index}");
    assert_eq!(figures(s.path(), "styled"), (5, 0));
}

/// Typed numbers: 附件1 on its own line, 一、 channels, 1、 steps with a skip (reported),
/// （1） sub-items kept in the step, 第一步 steps, an empty step (reported), a made-up channel id.
#[test]
fn typed_numbers_and_what_import_reports() {
    let s = site();
    let o = import(
        s.path(),
        &docx("typed.docx"),
        &["--guide", "card", "--format", "json"],
    );
    ok(&o);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = report["notes"].as_array().unwrap();
    let kind = |k: &str| notes.iter().filter(|n| n["kind"] == k).collect::<Vec<_>>();
    let skip = kind("number-skip");
    assert_eq!(skip.len(), 1, "{report}");
    assert_eq!(skip[0]["paragraph"], 9);
    assert_eq!(skip[0]["words"], "3、点击“挂失”");
    assert_eq!(kind("empty-step").len(), 1);
    assert_eq!(kind("channel-id").len(), 1);
    assert_eq!(kind("alt-to-review").len(), 3);
    let g = s.path().join("content/card");
    let index = std::fs::read_to_string(g.join("_index.md")).unwrap();
    assert!(
        index.contains("attachment = \"附件 1\"") && index.contains("title = \"校园卡挂失流程\""),
        "{index}"
    );
    assert!(
        index.contains("> [!IMPORTANT]\n> 挂失后原卡不能再用。"),
        "{index}"
    );
    assert_eq!(channels(&g.join("_index.md")), ["web", "channel-2"]);
    assert_eq!(steps(&g.join("web.md")), ["登录校园卡网站", "点击“挂失”"]);
    assert_eq!(steps(&g.join("channel-2.md")), ["刷身份证", "确认挂失"]);
    let web = std::fs::read_to_string(g.join("web.md")).unwrap();
    assert!(web.contains("（1）输入学号\n\n（2）输入密码"), "{web}");
    assert_eq!(figures(s.path(), "card"), (3, 0));
}

/// Word's numbers with one typed by hand in the list, pictures between a step's paragraphs, two
/// pictures in a step (-2), a caption as description, an EMF picture kept and shown as a slot.
#[test]
fn a_mix_of_numbers_pictures_between_and_an_emf() {
    let s = site();
    ok(&import(s.path(), &docx("mix.docx"), &["--guide", "repair"]));
    let g = s.path().join("content/repair");
    assert_eq!(
        steps(&g.join("web.md")),
        ["登录后勤网站", "填写报修单", "提交并等待维修"]
    );
    assert_eq!(steps(&g.join("channel-2.md")), ["拨打后勤电话"]);
    let web = std::fs::read_to_string(g.join("web.md")).unwrap();
    assert!(
        web.contains("![待核对：后勤网站首页](images/web-1.png)\n\n登录后进入报修页面。\n\n![待核对：登录后进入报修页面。](images/web-1-2.png)"),
        "{web}"
    );
    assert!(
        !web.contains("图 1"),
        "the caption became the description: {web}"
    );
    assert_eq!(
        tree(&g.join("images")),
        ["channel-2-1.emf", "web-1-2.png", "web-1.png", "web-3.png"]
    );
    let phone = std::fs::read_to_string(g.join("channel-2.md")).unwrap();
    assert!(
        phone.contains("](images/channel-2-1.png)") && phone.contains("EMF"),
        "{phone}"
    );
    // three pictures shown, the EMF one a slot
    assert_eq!(figures(s.path(), "repair"), (3, 1));
}

/// One procedure without channel headings: one channel; the guide's address from the ASCII
/// file name.
#[test]
fn one_procedure_becomes_one_channel_named_from_the_file() {
    let s = site();
    let o = import(s.path(), &docx("campus-wifi.docx"), &[]);
    ok(&o);
    let g = s.path().join("content/campus-wifi");
    assert_eq!(channels(&g.join("_index.md")), ["channel-1"]);
    assert_eq!(
        steps(&g.join("channel-1.md")),
        ["打开手机设置", "选择 campus 网络", "输入学号和密码"]
    );
    assert!(stderr(&o).contains("[one-channel]"), "{}", stderr(&o));
    assert_eq!(figures(s.path(), "campus-wifi"), (3, 0));
}

/// An existing guide is refused; with --force it is kept beside, renamed, and not published.
#[test]
fn an_existing_guide_is_never_overwritten() {
    let s = site();
    let g = s.path().join("content/wifi");
    std::fs::create_dir_all(&g).unwrap();
    std::fs::write(g.join("_index.md"), "mine").unwrap();
    let o = import(s.path(), &docx("campus-wifi.docx"), &["--guide", "wifi"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("content/wifi already exists"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tree(&s.path().join("content")), ["wifi", "wifi/_index.md"]);
    let o = import(
        s.path(),
        &docx("campus-wifi.docx"),
        &["--guide", "wifi", "--force"],
    );
    ok(&o);
    let aside: Vec<String> = tree(&s.path().join("content"))
        .into_iter()
        .filter(|p| p.starts_with(".wifi.replaced-") && p.ends_with("/_index.md"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", tree(&s.path().join("content")));
    assert_eq!(
        std::fs::read_to_string(s.path().join("content").join(&aside[0])).unwrap(),
        "mine"
    );
    assert!(stderr(&o).contains(".wifi.replaced-"), "{}", stderr(&o));
    assert_eq!(steps(&g.join("channel-1.md")).len(), 3);
    assert_eq!(figures(s.path(), "wifi"), (3, 0));
}

/// Each bad input: exit code 1, a message saying what and how, and nothing written.
#[test]
fn bad_input_is_refused_with_nothing_written() {
    let big = tempfile::tempdir().unwrap();
    let huge = big.path().join("huge.docx");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(201 * 1024 * 1024)
        .unwrap(); // sparse
    let chinese = big.path().join("附件2.docx");
    std::fs::copy(docx("seed.docx"), &chinese).unwrap();
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (docx("not-a-zip.docx"), vec![], "not a Word .docx file"),
        (docx("no-document.docx"), vec![], "has no word/document.xml"),
        (
            docx("bomb-size.docx"),
            vec![],
            "unpacks to more than 400 MB",
        ),
        (
            docx("bomb-entries.docx"),
            vec![],
            "more than any Word document",
        ),
        (
            docx("traversal.docx"),
            vec![],
            "entry named `../../evil.png`",
        ),
        (docx("absolute.docx"), vec![], "entry named `/tmp/evil.png`"),
        (docx("legacy.doc"), vec![], "另存为"),
        (
            docx("renamed-doc.docx"),
            vec![],
            "old Word (.doc) or WPS (.wps) file",
        ),
        (huge, vec![], "more than the 200 MB"),
        (chinese, vec![], "give the guide's address with --guide"),
        (
            docx("seed.docx"),
            vec!["--guide", "Xuexin 图像"],
            "give the guide's address with --guide",
        ),
        (
            docx("seed.docx"),
            vec!["--guide", "static"],
            "a name guidepost uses",
        ),
    ];
    for (file, args, says) in cases {
        let s = site();
        let o = import(s.path(), &file, &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", file.display());
        assert!(
            err.contains(says),
            "{}: wanted “{says}” in\n{err}",
            file.display()
        );
        assert!(err.contains("help:"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(tree(s.path()), ["site.toml"], "{}", file.display());
        assert!(!Path::new("/tmp/evil.png").exists());
    }
}
