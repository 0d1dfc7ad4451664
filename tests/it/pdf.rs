//! `guidepost pdf` and `build --pdf`: the print layout, the real PDF (headless Chromium, read
//! back with poppler's `pdfinfo` and `pdftotext`), the PDF cache, and the errors a user meets
//! (unknown guide, no browser, no Chinese font, a browser that hangs).
//!
//! Tests that need Chromium and poppler are skipped with a message where they are missing, and
//! fail when `CI=true` (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::*;

/// The browser and poppler tools, or `None` (test skipped) on a machine without them.
pub fn tools_or_skip(test: &str) -> Option<PathBuf> {
    let browser = guidepost::output::pdf::find_browser(None);
    let poppler = ["pdfinfo", "pdftotext"]
        .iter()
        .all(|t| Command::new(t).arg("-v").output().is_ok());
    let fonts = guidepost::output::pdf::check_fonts("zh-CN");
    let missing = match (&browser, poppler, &fonts) {
        (Ok(_), true, Ok(())) => None,
        (Err(e), _, _) => Some(e.clone()),
        (_, false, _) => Some("poppler-utils (pdfinfo, pdftotext) not installed".into()),
        (_, _, Err(e)) => Some(e.clone()),
    };
    match missing {
        None => browser.ok(),
        Some(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "{test}: CI=true but the browser tests cannot run: {why}. `.ci/run` installs chromium, fonts-noto-cjk and poppler-utils"
            )
        }
        Some(why) => {
            eprintln!(
                "SKIPPED {test}: {why}. Install chromium, fonts-noto-cjk and poppler-utils to run the browser tests."
            );
            None
        }
    }
}

pub fn run(root: &Path, args: &[&str]) -> Output {
    let mut all = vec![args[0], "--root", root.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    guidepost(&all)
}

fn pdfinfo(pdf: &Path) -> String {
    let o = Command::new("pdfinfo").arg(pdf).output().unwrap();
    assert!(o.status.success(), "pdfinfo {}", pdf.display());
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The PDF's text with all white space removed (pdftotext breaks lines where the page does).
fn pdf_text(pdf: &Path) -> String {
    let o = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn info_field<'a>(info: &'a str, field: &str) -> &'a str {
    info.lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .map(|v| v.trim_start_matches(':').trim())
        })
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// The repository's sample site, copied so that the PDF cache lands in a temporary folder.
pub fn sample_site() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("site.toml"), t.path().join("site.toml")).unwrap();
    for e in walkdir::WalkDir::new(repo.join("content")) {
        let e = e.unwrap();
        let dest = t.path().join(e.path().strip_prefix(repo).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
    t
}

#[test]
fn sample_guide_pdf_is_a4_with_every_step_page_numbers_and_online_url() {
    let Some(_) =
        tools_or_skip("sample_guide_pdf_is_a4_with_every_step_page_numbers_and_online_url")
    else {
        return;
    };
    let site = sample_site();
    let o = run(site.path(), &["pdf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 PDF in the output: 1 printed, 0 up to date from an earlier print"),
        "{}",
        stderr(&o)
    );
    let public = site.path().join("public");
    let pdf = public.join("xuexin-image-code/xuexin-image-code.pdf");
    let info = pdfinfo(&pdf);
    assert!(info_field(&info, "Page size").ends_with("(A4)"), "{info}");
    assert_eq!(info_field(&info, "Title"), "学信网图像采集码获取流程");
    assert!(info_field(&info, "CreationDate").contains("20"), "{info}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.windows(13).any(|w| w == b"/Lang (zh-CN)"),
        "no /Lang in the PDF"
    );
    let pages: usize = info_field(&info, "Pages").parse().unwrap();
    assert!(pages >= 2, "{pages} pages");

    let text = pdf_text(&pdf);
    // every step title of every channel, as the guide page shows them
    let doc = crate::parse_html(
        &std::fs::read_to_string(public.join("xuexin-image-code/index.html")).unwrap(),
    );
    let titles: Vec<String> = select(&doc, ".channel .step-text")
        .iter()
        .map(|e| text_of(e))
        .collect();
    assert_eq!(titles.len(), 8, "{titles:?}");
    for t in &titles {
        assert!(
            text.contains(t.as_str()),
            "step title {t:?} missing from the PDF"
        );
    }
    for (n, channel) in [
        "一、学信网学信档案",
        "二、“学信网”微信公众号",
        "三、学信网APP",
    ]
    .iter()
    .enumerate()
    {
        assert!(text.contains(channel), "channel {n}: {channel} missing");
    }
    for p in 1..=pages {
        assert!(
            text.contains(&format!("第{p}页共{pages}页")),
            "no page number {p} in {text}"
        );
    }
    assert!(text.contains("附件2学信网图像采集码获取流程"));
    assert!(
        text.contains("特别提示：1.请务必提前注册、获取采集码。2.“图像采集码”查看有效期为一年。")
    );
    assert!(text.contains("https://guides.example.edu.cn/xuexin-image-code/"));
    assert!(text.contains("更新日期：2026年11月25日"));
    // the QR code is on the first page, as an SVG (vector) image
    let first_page = html(site.path(), "xuexin-image-code/print/index.html");
    assert_eq!(select(&first_page, ".doc-qr svg").len(), 1);

    // the guide page links to its PDF and print page
    let doc = html(site.path(), "xuexin-image-code/index.html");
    let hrefs: Vec<_> = select(&doc, ".doc-actions a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(hrefs, ["print/index.html", "xuexin-image-code.pdf"]);
    let doc = html(site.path(), "xuexin-image-code/web/index.html");
    assert_eq!(
        select(&doc, ".doc-actions a[type='application/pdf']")[0]
            .value()
            .attr("href"),
        Some("../xuexin-image-code.pdf")
    );

    // printed once: later builds reuse it, with and without --pdf
    let o = run(site.path(), &["pdf"]);
    assert!(
        stderr(&o).contains("1 PDF in the output: 0 printed, 1 up to date from an earlier print"),
        "{}",
        stderr(&o)
    );
    let o = run(site.path(), &["pdf", "--force"]);
    assert!(
        stderr(&o).contains("1 PDF in the output: 1 printed, 0 up to date from an earlier print"),
        "{}",
        stderr(&o)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    let o = run(site.path(), &["build"]);
    assert!(o.status.success());
    assert!(pdf.is_file(), "a plain build dropped the PDF");
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes);
}

fn text_of(e: &scraper::ElementRef<'_>) -> String {
    e.text()
        .flat_map(|t| t.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[test]
fn pdf_of_one_guide_with_screenshots_and_a_stale_pdf_is_left_out() {
    let Some(_) = tools_or_skip("pdf_of_one_guide_with_screenshots_and_a_stale_pdf_is_left_out")
    else {
        return;
    };
    let t = copy_fixture("print");
    let site = t.path().join("site");
    let o = run(&site, &["pdf", "image-code"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = site.join("public");
    assert!(public.join("image-code/image-code.pdf").is_file());
    assert!(!public.join("renew-card/renew-card.pdf").exists());
    // the temporary page printed from is not left in the output
    assert!(!public.join("image-code/print/pdf.html").exists());
    let text = pdf_text(&public.join("image-code/image-code.pdf"));
    // links print their URL; internal ones their absolute URL; bare URLs once
    assert!(
        text.contains("学信网（https://www.chsi.com.cn/）首页"),
        "{text}"
    );
    assert!(text.contains("校园卡补办指南（https://guides.example.edu.cn/renew-card/）"));
    assert_eq!(text.matches("https://account.chsi.com.cn/").count(), 1);
    // callouts inside steps, slots with their description
    assert!(text.contains("注意截图中的个人信息须打码后再转发。"));
    assert!(text.contains("截图待补充保存截图的提示"));
    let doc = html(&t.path().join("site"), "image-code/index.html");
    assert_eq!(select(&doc, ".doc-actions a").len(), 2);
    let doc = html(&t.path().join("site"), "renew-card/index.html");
    assert_eq!(select(&doc, ".doc-actions a").len(), 1, "no PDF, no link");

    // the guide changes: its PDF is out of date, left out with a warning
    let md = site.join("content/image-code/web.md");
    let changed = std::fs::read_to_string(&md)
        .unwrap()
        .replace("截图保存。", "截图保存，或拍照。");
    std::fs::write(&md, changed).unwrap();
    let o = run(&site, &["build"]);
    assert!(o.status.success());
    assert!(!public.join("image-code/image-code.pdf").exists());
    assert!(
        stderr(&o).starts_with("warning[stale-pdf]: the PDF of `image-code` is out of date (the guide or the theme changed since it was printed) and was left out\n"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("= help: print it again: guidepost pdf image-code"));

    // printed again, built, then the PDF cache deleted: a rebuild, which starts from the output
    // before last (pages linking to the PDF), renders the guide's pages without the link
    assert!(run(&site, &["pdf", "image-code"]).status.success());
    assert!(run(&site, &["build"]).status.success());
    let links = || select(&html(&site, "image-code/index.html"), ".doc-actions a").len();
    assert_eq!(links(), 2);
    std::fs::remove_dir_all(site.join(".guidepost-cache/pdf")).unwrap();
    for _ in 0..2 {
        assert!(run(&site, &["build"]).status.success());
        assert!(!public.join("image-code/image-code.pdf").exists());
        assert_eq!(
            links(),
            1,
            "a page kept from a build with the PDF links to it"
        );
    }
}

#[test]
fn unknown_guide_is_a_usage_error_with_a_suggestion() {
    let t = copy_fixture("print");
    let o = run(&t.path().join("site"), &["pdf", "image-cod"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no guide `image-cod`: did you mean `image-code`?\n"
    );
    assert!(!t.path().join("site/public").exists());
}

#[test]
fn missing_browser_says_how_to_install_one() {
    let t = copy_fixture("print");
    let o = Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .args(["build", "--pdf", "--root"])
        .arg(t.path().join("site"))
        .env("PATH", t.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    if cfg!(target_os = "macos") || cfg!(windows) {
        return; // browsers in well-known application folders are found without PATH
    }
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no browser to print PDFs with: found none of chromium, chromium-browser, google-chrome, google-chrome-stable, chrome, microsoft-edge in PATH. Install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`; Fedora: `sudo dnf install chromium`; macOS: `brew install --cask chromium`) or Google Chrome, or pass --browser PATH\n"
    );
    assert!(!t.path().join("site/public").exists());
}

#[cfg(unix)]
fn fake_browser(dir: &Path, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("fake-chromium");
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[cfg(target_os = "linux")]
#[test]
fn missing_chinese_font_is_reported_before_printing() {
    if Command::new("fc-list").arg("--version").output().is_err() {
        eprintln!("SKIPPED missing_chinese_font_is_reported_before_printing: no fc-list");
        return;
    }
    let t = copy_fixture("print");
    let browser = fake_browser(t.path(), "exit 0");
    // a fontconfig that knows no fonts at all
    let conf = t.path().join("fonts.conf");
    std::fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_guidepost"))
        .args(["pdf", "--browser", browser.to_str().unwrap(), "--root"])
        .arg(t.path().join("site"))
        .env("FONTCONFIG_FILE", &conf)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no Chinese font installed: the PDF would show empty boxes instead of Chinese (`fc-list :lang=zh` lists nothing). Install one (Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk`; Fedora: `sudo dnf install google-noto-sans-cjk-fonts google-noto-serif-cjk-fonts`), then try again\n"
    );
}

#[cfg(unix)]
#[test]
fn a_hanging_browser_is_stopped_and_reported_and_the_output_kept() {
    if guidepost::output::pdf::check_fonts("zh-CN").is_err() {
        eprintln!(
            "SKIPPED a_hanging_browser_is_stopped_and_reported_and_the_output_kept: no Chinese font"
        );
        return;
    }
    let t = copy_fixture("print");
    let site = t.path().join("site");
    let o = run(&site, &["build"]);
    assert!(o.status.success());
    let before = std::fs::read(site.join("public/image-code/index.html")).unwrap();
    // a browser that never prints and never exits, with a child of its own
    let browser = fake_browser(t.path(), "sleep 29.7531 &\nsleep 30");
    let start = std::time::Instant::now();
    let o = run(
        &site,
        &[
            "pdf",
            "--browser",
            browser.to_str().unwrap(),
            "--timeout",
            "1",
            "image-code",
        ],
    );
    assert!(start.elapsed().as_secs() < 20, "not stopped in time");
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.starts_with("error[pdf]: cannot print `image-code` to PDF: the browser did not finish within 1 s and was stopped; a long guide may need more time (--timeout SECONDS)\n"),
        "{s}"
    );
    assert!(s.contains("was left unchanged"), "{s}");
    assert_eq!(
        std::fs::read(site.join("public/image-code/index.html")).unwrap(),
        before
    );
    // the browser's whole process group is gone, its child included
    for pattern in [browser.to_str().unwrap(), "sleep 29.7531"] {
        if let Ok(p) = Command::new("pgrep").args(["-f", pattern]).output() {
            assert!(p.stdout.is_empty(), "{pattern} still running");
        }
    }
}

#[test]
fn print_page_is_laid_out_as_an_official_attachment() {
    let (out, o) = build(&fixture("print"));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(out.path(), "image-code/print/index.html");
    let one = |css: &str| -> String {
        let found = select(&doc, css);
        assert_eq!(found.len(), 1, "{css}");
        text(&found[0])
    };
    assert_eq!(one("html > head > title"), "学信网图像采集码获取流程");
    assert_eq!(one(".doc-label"), "附件 2");
    assert_eq!(one("h1.doc-heading"), "学信网图像采集码获取流程");
    assert_eq!(one(".doc-notices-label"), "特别提示：");
    let notices: Vec<_> = select(&doc, ".doc-notice-list > li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        notices,
        [
            "请务必提前注册、获取采集码。",
            "“图像采集码”查看有效期为一年。"
        ]
    );
    // the intro's callouts became the notices; the rest of the intro stays
    assert!(one(".doc-lead").starts_with("毕业生图像采集环节须出示"));
    let channels: Vec<_> = select(&doc, ".doc-channel-title")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        channels,
        [
            "一、学信网学信档案（手机端和 PC 端流程一致）",
            "二、“学信网”微信公众号"
        ]
    );
    let steps: Vec<_> = select(&doc, "#wechat .doc-step-title")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        steps,
        [
            "1. 关注学信网公众号，绑定学信网账号",
            "2. 选择学籍，查看对应采集码",
            "3. 保存采集码"
        ]
    );
    assert!(select(&doc, ".doc-channel-phone#wechat").len() == 1);
    assert_eq!(select(&doc, "#wechat .shot-phone").len(), 3);
    assert_eq!(select(&doc, "#web .shot-desktop").len(), 2);
    assert_eq!(select(&doc, ".slot").len(), 2);
    // the way back online: address, QR code, date
    assert_eq!(
        one(".doc-online-url"),
        "https://guides.example.edu.cn/image-code/"
    );
    assert_eq!(select(&doc, ".doc-qr svg").len(), 1);
    assert_eq!(one(".doc-updated"), "更新日期：2026年11月25日");
    // running header for @page, no site navigation or channel switcher
    let style = select(&doc, "head > style")[0].inner_html();
    assert!(
        style.contains(r#"@top-center { content: "附件 2　学信网图像采集码获取流程"; }"#),
        "{style}"
    );
    assert!(select(&doc, ".site-header, .tabs, .breadcrumbs").is_empty());
    // internal links keep a relative href and carry their absolute URL for paper
    let a = select(
        &doc,
        "a[data-url='https://guides.example.edu.cn/renew-card/']",
    );
    assert_eq!(
        a[0].value().attr("href"),
        Some("../../renew-card/index.html")
    );
    assert_eq!(
        select(&doc, "a.bare[href='https://account.chsi.com.cn/']").len(),
        1
    );
    // the guide page printed from a browser shows its address too
    let guide = html(out.path(), "image-code/index.html");
    assert_eq!(
        text(&select(&guide, ".doc-online-print")[0]),
        "在线版：https://guides.example.edu.cn/image-code/"
    );
    // the print page points search engines at the guide page
    assert_eq!(
        select(&doc, "link[rel=canonical]")[0].value().attr("href"),
        Some("https://guides.example.edu.cn/image-code/")
    );
}

#[test]
fn without_base_url_the_print_page_has_no_address_and_pdf_warns() {
    let t = copy_fixture("print");
    let site = t.path().join("site");
    let toml = std::fs::read_to_string(site.join("site.toml")).unwrap();
    std::fs::write(
        site.join("site.toml"),
        toml.replace("base_url = \"https://guides.example.edu.cn/\"\n", ""),
    )
    .unwrap();
    let o = run(&site, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = html(&site, "image-code/print/index.html");
    assert!(select(&doc, ".doc-qr, .doc-online-url").is_empty());
    assert_eq!(select(&doc, ".doc-updated").len(), 1);
    // `pdf` says what is missing (and then fails on the fake browser, which prints nothing)
    #[cfg(unix)]
    if guidepost::output::pdf::check_fonts("zh-CN").is_ok() {
        let browser = fake_browser(t.path(), "exit 3");
        let o = run(
            &site,
            &["pdf", "--browser", browser.to_str().unwrap(), "renew-card"],
        );
        let s = stderr(&o);
        assert!(s.contains("warning[no-base-url]: the PDFs show no online address and no QR code: the site has no base_url\n"), "{s}");
        assert!(s.contains("error[pdf]: cannot print `renew-card` to PDF: the browser exited (exit status: 3) without writing the PDF\n"), "{s}");
        assert_eq!(o.status.code(), Some(1));
    }
}
