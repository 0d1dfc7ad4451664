//! Fuzzing with proptest, bounded for CI: random `site.toml`, front matter and Markdown built
//! from the pieces that break parsers (full-width punctuation, BOM, CRLF, unclosed fences,
//! brackets, raw HTML, paths out of the site, arbitrary Unicode). Every input must either build
//! or fail with at least one error diagnostic, never panic; and `check` must agree with `build`.
//!
//! The number of cases is `PROPTEST_CASES` (default 48 here, a few seconds).

use proptest::prelude::*;

use guidepost::commands::check::{CheckOptions, check};
use guidepost::{BuildOptions, Outcome, build};

fn pieces(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => proptest::sample::select(list).prop_map(str::to_string),
            1 => "\\PC{0,12}",
        ],
        0..24,
    )
    .prop_map(|v| v.concat())
}

const CONFIG: &[&str] = &[
    "title = \"站点\"\n",
    "base_url = \"https://guides.example.edu.cn/\"\n",
    "base_url = \"guides\"\n",
    "titel = 1\n",
    "title：\"x\"\n",
    "title = “x”\n",
    "[channels.web]\n",
    "device = \"desktop\"\n",
    "device = \"tablet\"\n",
    "name = \"网页\"\n",
    "\u{feff}",
    "\r\n",
    "\"",
    "[",
];

const MATTER: &[&str] = &[
    "title = \"标题\"\n",
    "title: 标题\n",
    "channels = [\"web\", \"app\"]\n",
    "channels = [\"web\"，\"app\"]\n",
    "order = 1\n",
    "order = \"一\"\n",
    "draft = true\n",
    "updated = 2026-11-20\n",
    "updated = \"昨天\"\n",
    "device: phone\n",
    "device = \"desktop\"\n",
    "devise = 1\n",
    "title：标题\n",
    "+++\n",
    "---\n",
    "\r\n",
];

const MARKDOWN: &[&str] = &[
    "## 登录\n\n",
    "## 1. 打开 {#open}\n\n",
    "# 标题\n",
    "打开学信网，点击“登录”。\n",
    "**注意：**核对信息",
    "*斜体。*",
    "\\*\\*",
    "![登录页](images/a.png)\n\n",
    "![](images/b.png)",
    "![image-20221103154210123](C:\\Users\\a.png)",
    "![图](../../../etc/passwd)",
    "![远程](https://cdn.example.com/a.png)",
    "[链接](web.md#step-1)",
    "[坏](nope.md)",
    "[锚](#step-9)",
    "[文件](a.pdf)",
    "<a href=\"app.md#x\">HTML</a>",
    "<img src=\"images/c.png\">",
    "<script src=\"//cdn.example.com/a.js\"></script>\n",
    "> [!WARNING]\n> 小心\n",
    ">>>>>>>> ",
    "[[[[[[[[",
    "```\ncode\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "[^1]\n\n[^1]: 注释\n",
    "---\n",
    "\r\n",
    "\u{feff}",
    "\u{e000}\u{e001}",
    "\n\n",
];

fn matter() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("+++\n"), Just("---\n"), Just("")],
        pieces(MATTER),
        any::<bool>(),
    )
        .prop_map(|(fence, body, close)| {
            let mut s = format!("{fence}{body}");
            if close {
                s.push_str(fence);
            }
            s
        })
}

fn site_input() -> impl Strategy<Value = (String, String, String, String)> {
    (pieces(CONFIG), matter(), matter(), pieces(MARKDOWN)).prop_map(|(config, index, fm, md)| {
        // most inputs get a valid title somewhere, so that the later stages run too
        let config = format!("title = \"站点\"\n{config}");
        (config, index, fm, md)
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_input_builds_or_explains((config, index, channel_fm, md) in site_input()) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("site");
        std::fs::create_dir_all(root.join("content/g/images")).unwrap();
        std::fs::write(root.join("site.toml"), &config).unwrap();
        std::fs::write(root.join("content/g/_index.md"), &index).unwrap();
        std::fs::write(root.join("content/g/web.md"), format!("{channel_fm}{md}")).unwrap();
        std::fs::write(root.join("content/g/app.md"), format!("+++\ntitle = \"APP\"\n+++\n{md}")).unwrap();
        std::fs::copy(
            crate::fixture("basic").join("content/renew-card/images/login.png"),
            root.join("content/g/images/a.png"),
        )
        .unwrap();
        let output = t.path().join("public");
        let outcome = build(&BuildOptions { root: root.clone(), output: output.clone(), base_url: None, drafts: false, ..Default::default() });
        let built = match outcome {
            Ok(Outcome::Built(_, d)) => {
                prop_assert!(!d.has_errors());
                prop_assert!(output.join("index.html").is_file());
                true
            }
            Ok(Outcome::Failed(d)) => {
                prop_assert!(d.has_errors(), "a failed build must say why");
                prop_assert!(!output.exists(), "a failed build writes nothing");
                false
            }
            Err(e) => return Err(TestCaseError::fail(format!("I/O error on a fresh folder: {e}"))),
        };
        let report = check(&CheckOptions { root, drafts: false, strict: false }, &guidepost::progress::Quiet);
        prop_assert_eq!(report.failed(), !built, "check and build disagree: {:?}", report.diagnostics.0);
        // every diagnostic renders, with its position inside its line
        for d in &report.diagnostics.0 {
            let _ = d.render(false);
        }
    }
}

const BOM: char = '\u{feff}';

/// Byte soup that looks like what Windows tools save: UTF-8 and GBK pieces, BOMs, CR, invalid
/// bytes.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(b"\xFF\xFE".to_vec()),
            Just(b"\r\n".to_vec()),
            Just("+++\ntitle = \"标题\"\n+++\n".as_bytes().to_vec()),
            Just(b"\xB1\xEA\xCC\xE2".to_vec()), // 标题 in GBK
            Just(b"\xFF".to_vec()),
            Just(b"\xE6\xA0".to_vec()), // a cut UTF-8 sequence
            "\\PC{0,8}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..8),
        ],
        0..16,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() * 8, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes decode to clean text (no BOM, no CR) or to an error that points inside the
    /// file; never a panic.
    #[test]
    fn any_bytes_decode_or_explain(b in bytes()) {
        let mut d = Vec::new();
        match guidepost::content::source::decode("content/g/web.md", &b, &mut d) {
            Some(text) => {
                prop_assert!(!text.contains('\r'));
                prop_assert!(!text.starts_with(BOM), "a BOM is left");
                prop_assert!(d.iter().all(|d| !d.is_error()));
            }
            None => {
                prop_assert!(d.iter().any(|d| d.is_error() && d.code == "invalid-encoding"));
                let s = d[0].span.as_deref().unwrap();
                prop_assert!(s.line >= 1 && s.line <= b.split(|&c| c == b'\n').count());
                let _ = d[0].render(false);
            }
        }
    }

    /// Any front matter text parses or yields diagnostics whose spans lie inside the file.
    #[test]
    fn any_front_matter_parses_or_explains(text in matter(), body in "\\PC{0,20}") {
        use guidepost::content::source::SourceFile;
        let f = SourceFile::new("content/g/_index.md", "content/g/_index.md", format!("{text}{body}"));
        let mut d = Vec::new();
        match guidepost::content::frontmatter::split(&f) {
            Ok(split) => {
                let meta: Option<guidepost::content::model::GuideMeta> = guidepost::content::frontmatter::parse(&f, &split, &mut d);
                prop_assert_eq!(meta.is_none(), d.iter().any(|d| d.is_error()), "{:?}", d);
            }
            Err(e) => d.push(e),
        }
        let lines = f.text.lines().count().max(1);
        for x in &d {
            if let Some(s) = x.span.as_deref() {
                prop_assert!(s.line <= lines, "{:?}", x);
            }
            let _ = x.render(false);
        }
    }
}

/// A case the property test above found: YAML's error offset falls inside a multi-byte
/// character, and naming the entry must not cut the text there.
#[test]
fn an_error_offset_inside_a_character_is_explained() {
    use guidepost::content::source::SourceFile;
    let f = SourceFile::new(
        "content/g/_index.md",
        "content/g/_index.md",
        "---\n&𐧒🌀¡order = 1\n---\n".to_string(),
    );
    let split = guidepost::content::frontmatter::split(&f).unwrap();
    let mut d = Vec::new();
    let meta: Option<guidepost::content::model::GuideMeta> =
        guidepost::content::frontmatter::parse(&f, &split, &mut d);
    assert!(meta.is_none());
    assert!(d.iter().any(|d| d.is_error()), "{d:?}");
}
