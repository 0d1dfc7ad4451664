//! `guidepost check`: every check with its exact diagnostic text, one fixture per case, and the
//! same problems from `build`.

use crate::*;

/// Runs `guidepost check --root FIXTURE ARGS…`; returns (exit code, stderr).
fn check(case: &str, args: &[&str]) -> (Option<i32>, String) {
    let root = fixture(case);
    let mut all = vec!["check", "--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = guidepost(&all);
    assert!(o.stdout.is_empty(), "text output goes to stderr");
    (o.status.code(), stderr(&o))
}

/// front matter and site.toml: full-width punctuation, unknown keys with "did you mean" (YAML too)
#[test]
fn check_frontmatter() {
    let (code, text) = check("check-frontmatter", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"error[fullwidth-punctuation]: a full-width comma `，` between list items
 --> content/g/_index.md:3:18
  |
3 | channels = ["web"，"wechat"]
  |                  ^^
  |
  = help: separate list items with a half-width comma `,` (switch the input method to English punctuation): `channels = ["wechat", "web"]`
error[fullwidth-punctuation]: a curly quote `“` around the key
 --> content/g/app.md:2:1
  |
2 | “title”: APP
  | ^
  |
  = help: keys are written without quotes: `title: …`
error[fullwidth-punctuation]: the value starts with a curly quote `“`
 --> content/g/web.md:2:9
  |
2 | title = “网页”
  |         ^
  |
  = help: put text in straight quotes `"…"` (curly quotes “ ” may stay inside the text)
error[unknown-key]: unknown key `devise` in the front matter
 --> content/g/wechat.md:3:1
  |
3 | devise: phone
  | ^^^^^^
  |
  = help: did you mean `device`? known keys: title, name, note, order, device, draft, aliases, search
checked 0 guides (0 channels, 2 pages): 4 errors, 0 warnings
"##
    );
}

/// `site.toml` is checked like front matter
#[test]
fn check_site_toml() {
    let (code, text) = check("check-site-toml", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"error[unknown-key]: unknown key `base-url` in site.toml
 --> site.toml:2:1
  |
2 | base-url = "https://guides.example.edu.cn/"
  | ^^^^^^^^
  |
  = help: did you mean `base_url`? known keys: title, base_url, language, organization, contact, description, share_image, channels, search
checked 0 guides (0 channels, 0 pages): 1 error, 0 warnings
"##
    );
}

/// internal links in Markdown and in raw HTML: missing pages, files, anchors (same page and other pages), paths outside the site, paths on the author's computer
#[test]
fn check_links() {
    let (code, text) = check("check-links", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"error[broken-link]: the link `../other/` points to a file that does not exist
 --> content/g/_index.md:5:3
  |
5 | 先看[别的指南](../other/)。
  |     ^^^^^^^^^^^^^^^^^^^^^
  |
  = help: check the file name and that the path is relative to this Markdown file
error[broken-anchor]: this page has no anchor `#step-9`
 --> content/g/web.md:7:3
  |
7 | 回到[这一步](#step-9)，或看[微信第三步](wechat.md#step-3)。
  |     ^^^^^^^^^^^^^^^^^
  |
  = help: did you mean `#step-1`?
error[broken-anchor]: the page `g/wechat/` has no anchor `#step-3`
 --> content/g/web.md:7:20
  |
7 | 回到[这一步](#step-9)，或看[微信第三步](wechat.md#step-3)。
  |                            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: did you mean `#step-1`?
error[broken-link]: the link `form.pdf` points to a file that does not exist
 --> content/g/web.md:8:3
  |
8 | 下载[表格](form.pdf)，或看[APP](app.md)。
  |     ^^^^^^^^^^^^^^^^
  |
  = help: check the file name and that the path is relative to this Markdown file
error[broken-link]: the link `app.md` points to a page that does not exist
 --> content/g/web.md:8:20
  |
8 | 下载[表格](form.pdf)，或看[APP](app.md)。
  |                           ^^^^^^^^^^^^^
  |
  = help: link to a guide's `_index.md` or a channel file such as `wechat.md`, relative to this file
error[outside-root]: the link `../../../etc/passwd` points outside the content folder
 --> content/g/web.md:9:1
  |
9 | [密码](../../../etc/passwd)和[本机文件](C:\Users\wang\Desktop\说明.docx)。
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: link to pages and files inside `content/`
error[outside-root]: the link `C:\Users\wang\Desktop\说明.docx` is a path on your computer, not a file of the site
 --> content/g/web.md:9:27
  |
9 | [密码](../../../etc/passwd)和[本机文件](C:\Users\wang\Desktop\说明.docx)。
  |                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: copy the file into the guide's folder and write the path relative to this file, e.g. `images/step-1.png` (in Typora: 偏好设置 → 图像 → 插入图片时复制到 `./images`)
error[broken-anchor]: the page `g/wechat/` has no anchor `#step-2`
  --> content/g/web.md:11:20
   |
11 | <p>HTML 里的<a href="wechat.md#step-2">链接</a>和<a href="app.md">坏链接</a>。</p>
   |                      ^^^^^^^^^^^^^^^^
   |
   = help: did you mean `#step-1`?
error[broken-link]: the link `app.md` points to a page that does not exist
  --> content/g/web.md:11:54
   |
11 | <p>HTML 里的<a href="wechat.md#step-2">链接</a>和<a href="app.md">坏链接</a>。</p>
   |                                                           ^^^^^^
   |
   = help: link to a guide's `_index.md` or a channel file such as `wechat.md`, relative to this file
error[broken-link]: the link `images/none.png` points to a file that does not exist
  --> content/g/web.md:12:11
   |
12 | <img src="images/none.png" alt="登录页">
   |           ^^^^^^^^^^^^^^^
   |
   = help: check the file name and that the path is relative to this Markdown file
checked 1 guide (2 channels, 5 pages): 10 errors, 0 warnings
"##
    );
}

/// screenshots: open slot, missing and meaningless descriptions, far too large, outside the site, on the author's computer
#[test]
fn check_images() {
    let (code, text) = check("check-images", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"warning[open-slot]: the screenshot `content/g/images/todo.png` does not exist yet
 --> content/g/web.md:7:1
  |
7 | ![学信网登录页](images/todo.png)
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: capture the screen its description names and save it there; until then readers see a placeholder (`guidepost check --strict` treats this as an error)
warning[missing-alt]: this screenshot has no description
 --> content/g/web.md:9:1
  |
9 | ![](images/login.png)
  | ^^^^^^^^^^^^^^^^^^^^^
  |
  = help: describe the screen in the brackets: `![学信网首页的“登录”按钮](images/1.png)`; it is the caption, the text for screen readers and the note on a placeholder
warning[meaningless-alt]: the screenshot's description `image-20221103154210123` is a file name, not a description
  --> content/g/web.md:11:1
   |
11 | ![image-20221103154210123](images/login.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: describe the screen in the brackets: `![学信网首页的“登录”按钮](images/1.png)`; it is the caption, the text for screen readers and the note on a placeholder
warning[meaningless-alt]: the screenshot's description `login.png` is a file name, not a description
  --> content/g/web.md:13:1
   |
13 | ![login.png](images/login.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: describe the screen in the brackets: `![学信网首页的“登录”按钮](images/1.png)`; it is the caption, the text for screen readers and the note on a placeholder
warning[oversized-image]: `content/g/images/screen-photo.png` is 4032×3024 pixels but is shown at most 300 pixels wide in a phone frame
  --> content/g/web.md:15:1
   |
15 | ![拍下的电脑屏幕](images/screen-photo.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: scale it down to 1080 pixels wide (at most 1500): readers on mobile data download every pixel
error[outside-root]: the image `../../secret.png` is outside the content folder
  --> content/g/web.md:17:1
   |
17 | ![别的地方的图](../../secret.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: keep screenshots inside the guide's folder, e.g. `images/step-1.png`
error[outside-root]: the image `C:\Users\wang\AppData\Roaming\Typora\typora-user-images\image-20221103154210123.png` is a path on your computer, not a file of the site
  --> content/g/web.md:19:1
   |
19 | ![登录页](C:\Users\wang\AppData\Roaming\Typora\typora-user-images\image-20221103154210123.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: copy the file into the guide's folder and write the path relative to this file, e.g. `images/step-1.png` (in Typora: 偏好设置 → 图像 → 插入图片时复制到 `./images`)
error[backslash-path]: the image path `images\login.png` uses `\` between folders
  --> content/g/web.md:21:1
   |
21 | ![登录页](images\login.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: write `/` instead: `images/login.png`
error[outside-root]: the image `/Users/wang/Library/Application Support/typora-user-images/image-20221103154210123.png` is a path on your computer, not a file of the site
  --> content/g/web.md:23:1
   |
23 | ![登录页](/Users/wang/Library/Application%20Support/typora-user-images/image-20221103154210123.png)
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: copy the file into the guide's folder and write the path relative to this file, e.g. `images/step-1.png` (in Typora: 偏好设置 → 图像 → 插入图片时复制到 `./images`)
checked 1 guide (1 channel, 4 pages): 4 errors, 5 warnings
"##
    );
}

/// structure: a guide with no channels, a channel with no steps, a step with no text, duplicate step ids, `channels` naming a missing channel
#[test]
fn check_structure() {
    let (code, text) = check("check-structure", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"warning[no-channels]: the guide `empty` has no channels
  |
  = note: in content/empty/_index.md
  = help: add a channel file such as content/empty/web.md with a title and `##` steps
error[unknown-channel]: `channels` names `app`, but there is no app.md in this guide
 --> content/g/_index.md:3:1
  |
3 | channels = ["web", "wechat", "app"]
  | ^^^^^^^^
  |
  = help: create content/g/app.md, or remove it from the list (channels here: web, wechat)
warning[empty-step]: step 2 “再次登录” has no text and no screenshot
 --> content/g/web.md:9:1
  |
9 | ## 再次登录 {#login}
  | ^^
  |
  = help: say what to do, and add the screenshot: `![描述](images/step.png)`
error[duplicate-anchor]: two steps have the anchor `login`
 --> content/g/web.md:9:1
  |
9 | ## 再次登录 {#login}
  | ^^
  |
  = help: give each step a different `{#id}`
warning[no-steps]: the channel `wechat` has no steps
  |
  = note: in content/g/wechat.md
  = help: start each step with a `## ` heading, e.g. `## 登录学信网`
checked 2 guides (2 channels, 6 pages): 2 errors, 3 warnings
"##
    );
}

/// resources from other hosts in Markdown, raw HTML, the site's templates and CSS: warnings only
#[test]
fn check_remote() {
    let (code, text) = check("check-remote", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        text,
        r##"warning[remote-resource]: image loaded from another host: https://cdn.example.com/xuexin.png
 --> content/g/web.md:7:1
  |
7 | ![学信网首页](https://cdn.example.com/xuexin.png)
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: save the image into the guide's folder and link it relatively: remote images can be slow or blocked for readers
warning[raw-script]: a `<script>` element in raw HTML
 --> content/g/web.md:9:1
  |
9 | <script src="https://cdn.example.com/track.js"></script>
  | ^^^^^^^
  |
  = help: authors are trusted and raw HTML is published as written, scripts included; if you copied this from a web page, remove it
warning[remote-resource]: a script loaded from another host: https://cdn.example.com/track.js
 --> content/g/web.md:9:14
  |
9 | <script src="https://cdn.example.com/track.js"></script>
  |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice
warning[remote-resource]: a stylesheet, font or icon loaded from another host: https://fonts.googleapis.com/css?family=Noto+Sans+SC
  --> content/g/web.md:10:30
   |
10 | <link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Noto+Sans+SC">
   |                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice
warning[remote-resource]: a font or image (CSS) loaded from another host: https://img.example.com/bg.png
  --> content/g/web.md:11:29
   |
11 | <div style="background: url(https://img.example.com/bg.png)">背景</div>
   |                             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice
warning[remote-resource]: a font or image (CSS) loaded from another host: https://fonts.googleapis.com/css2?family=Noto+Serif+SC
 --> static/custom.css:1:14
  |
1 | @import url("https://fonts.googleapis.com/css2?family=Noto+Serif+SC");
  |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice
warning[remote-resource]: a script loaded from another host: https://cdn.example.com/stats.js
 --> templates/extra.html:1:14
  |
1 | <script src="https://cdn.example.com/stats.js"></script>
  |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: save the file into the site and link it relatively: resources from other hosts can be slow or blocked for readers, and change or vanish without notice
checked 1 guide (1 channel, 4 pages): 0 errors, 7 warnings
"##
    );
}

/// a GBK file is converted with a warning; invalid bytes are an error with the line
#[test]
fn encoding() {
    let (code, text) = check("encoding", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        r##"warning[encoding]: content/g/web.md is saved as GBK/GB18030, not UTF-8; converted it
  |
  = note: in content/g/web.md
  = help: save the file as UTF-8 (in Notepad or WPS: 另存为 → 编码 → UTF-8) so every tool reads it the same way
error[invalid-encoding]: content/g/wechat.md is not valid UTF-8 text (first bad byte on line 7)
 --> content/g/wechat.md:7:5
  |
7 | bad �� bytes here
  |     ^
  |
  = help: save the file as UTF-8 (in Notepad or WPS: 另存为 → 编码 → UTF-8)
checked 1 guide (1 channel, 4 pages): 1 error, 1 warning
"##
    );
}

/// UTF-8 with a BOM and CRLF line endings, front matter included, work without a word.
#[test]
fn bom_and_crlf_are_silent() {
    let (code, text) = check("bom-crlf", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        text,
        "checked 1 guide (1 channel, 4 pages): no problems found\n"
    );
    let (out, o) = build(&fixture("bom-crlf"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(": 0 screenshots to capture, 0 warnings, "));
    let doc = html(out.path(), "g/index.html");
    assert_eq!(
        text_of(&doc, "h1"),
        "学信网图像采集码获取流程",
        "the BOM did not turn the front matter into text"
    );
    let doc = html(out.path(), "g/web/index.html");
    assert_eq!(text_of(&doc, ".step-text"), "登录学信网");
    // the CRLF line break between two Chinese lines is no space
    assert!(
        text_of(&doc, ".step-body p").contains("打开学信网，点击“登录”。"),
        "{}",
        text_of(&doc, ".step-body p")
    );
}

fn text_of(doc: &scraper::Html, css: &str) -> String {
    select(doc, css).first().map(text).unwrap_or_default()
}

/// A GBK file is read as GBK: the page shows the right characters, never mojibake.
#[test]
fn gbk_is_decoded_not_mojibake() {
    let t = copy_fixture("encoding");
    let site = t.path().join("site");
    std::fs::remove_file(site.join("content/g/wechat.md")).unwrap();
    let (out, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "warning[encoding]: content/g/web.md is saved as GBK/GB18030, not UTF-8; converted it\n"
        ),
        "{}",
        stderr(&o)
    );
    let doc = html(out.path(), "g/web/index.html");
    assert_eq!(text_of(&doc, ".step-text"), "登录学信网");
    assert_eq!(
        text_of(&doc, ".step-body p"),
        "打开学信网首页，点击“登录”。"
    );
}

/// `--strict` turns every warning into an error and fails; without it warnings pass.
#[test]
fn strict_counts_warnings() {
    let (code, text) = check("basic", &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("warning[open-slot]: "), "{text}");
    assert!(text.ends_with("checked 1 guide (2 channels, 5 pages): 0 errors, 1 warning\n"));
    let (code, text) = check("basic", &["--strict"]);
    assert_eq!(code, Some(1));
    assert!(text.starts_with("error[open-slot]: "), "{text}");
    assert!(text.ends_with(
        "checked 1 guide (2 channels, 5 pages): 1 error, 0 warnings (--strict: warnings count as errors)\n"
    ));
}

/// JSON for CI: an array of flat objects on stdout, nothing else there.
#[test]
fn json_output() {
    let root = fixture("check-structure");
    let o = guidepost(&[
        "check",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(
        list[1],
        serde_json::json!({
            "file": "content/g/_index.md",
            "line": 3,
            "column": 1,
            "severity": "error",
            "code": "unknown-channel",
            "message": "`channels` names `app`, but there is no app.md in this guide",
            "help": "create content/g/app.md, or remove it from the list (channels here: web, wechat)"
        })
    );
    // a diagnostic about a whole file has no line
    assert_eq!(list[0]["file"], "content/empty/_index.md");
    assert_eq!(list[0]["line"], serde_json::Value::Null);
    assert_eq!(list[0]["severity"], "warning");
    assert_eq!(
        stderr(&o),
        "checked 2 guides (2 channels, 6 pages): 2 errors, 3 warnings\n"
    );
}

/// The build reports exactly what `check` reports (open slots aside: it counts them), and
/// writes nothing.
#[test]
fn build_reports_the_same_problems() {
    for case in [
        "check-links",
        "check-images",
        "check-structure",
        "check-frontmatter",
        "encoding",
    ] {
        let (_, checked) = check(case, &[]);
        let checked = without_open_slots(&checked);
        let (out, o) = build(&fixture(case));
        assert_eq!(o.status.code(), Some(1), "{case}");
        let built = stderr(&o);
        let (diags, _) = built.rsplit_once("build failed").unwrap();
        let (expected, _) = checked.rsplit_once("checked ").unwrap();
        assert_eq!(diags, expected, "{case}");
        assert!(!out.path().join("public").exists());
    }
}

/// `check` never writes: no output folder, no staging folder.
#[test]
fn check_writes_nothing() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let (code, _) = {
        let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
        (o.status.code(), ())
    };
    assert_eq!(code, Some(0));
    let mut names: Vec<_> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["content", "site.toml"]);
}

/// Links and images in raw HTML are rewritten like Markdown ones, and the image is published.
#[test]
fn raw_html_links_are_rewritten_and_published() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    let web = "+++\ntitle = \"网页\"\n+++\n\n## 登录\n\n<p>看<a href=\"wechat.md#step-1\">微信</a>和<a href=\"#step-2\">下一步</a></p>\n\n<img src=\"images/login.png\" alt=\"登录页\" width=\"100\">\n\n## 提交\n\n点击“提交”。\n";
    let wechat = "+++\ntitle = \"微信\"\n+++\n\n## 关注\n\n关注。\n";
    write_site(
        &site,
        &[("web.md", web.as_bytes()), ("wechat.md", wechat.as_bytes())],
    );
    std::fs::create_dir_all(site.join("content/g/images")).unwrap();
    std::fs::copy(
        fixture("basic").join("content/renew-card/images/login.png"),
        site.join("content/g/images/login.png"),
    )
    .unwrap();
    let (out, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(": 0 screenshots to capture, 0 warnings, "));
    assert!(out.path().join("public/g/images/login.png").is_file());
    let attrs = |page: &str| -> Vec<String> {
        let doc = html(out.path(), page);
        select(&doc, ".step-body a[href], .step-body img")
            .iter()
            .map(|e| {
                let v = e.value();
                v.attr("href").or(v.attr("src")).unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(
        attrs("g/web/index.html"),
        [
            "../../g/wechat/index.html#step-1",
            "#step-2",
            "../../g/images/login.png"
        ]
    );
    assert_eq!(
        attrs("g/index.html"),
        [
            "../g/wechat/index.html#step-1",
            "#web-step-2",
            "../g/images/login.png"
        ]
    );
}

/// The text output without its `open-slot` warnings.
fn without_open_slots(text: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("error[")
            || line.starts_with("warning[")
            || line.starts_with("checked ")
        {
            skip = line.starts_with("warning[open-slot]");
        }
        if !skip {
            out.push_str(line);
        }
    }
    out
}

/// Every file below `root` (hidden ones and `.guidepost-cache/` included) with its size and
/// modification time.
fn listing(root: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            (rel, m.len(), m.modified().unwrap())
        })
        .collect()
}

/// (severity, code, place) of each diagnostic in guidepost's text output.
fn diagnostics_of_text(text: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((sev, rest)) = l.split_once('[') else {
            continue;
        };
        let Some((code, _)) = rest.split_once("]: ") else {
            continue;
        };
        if sev != "error" && sev != "warning" {
            continue;
        }
        // the place: ` --> FILE:LINE:COL` on the next line, or `= note: in FILE` further down
        let place = lines[i + 1..]
            .iter()
            .take_while(|n| !n.starts_with("error[") && !n.starts_with("warning["))
            .find_map(|n| {
                let n = n.trim_start();
                n.strip_prefix("--> ")
                    .or_else(|| n.strip_prefix("= note: in "))
                    .map(str::to_string)
            })
            .unwrap_or_default();
        out.push((sev.to_string(), code.to_string(), place));
    }
    out.sort();
    out
}

/// The same from `check --format json`.
fn diagnostics_of_json(json: &[u8]) -> Vec<(String, String, String)> {
    let v: Vec<serde_json::Value> = serde_json::from_slice(json).expect("stdout is JSON");
    let mut out: Vec<_> = v
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            let place = match (d["line"].as_u64(), d["column"].as_u64()) {
                (Some(l), Some(c)) => format!("{}:{l}:{c}", s("file")),
                _ => s("file"),
            };
            (s("severity"), s("code"), place)
        })
        .collect();
    out.sort();
    out
}

/// The image stage runs in `check` as in `build` (decoding, limits, settings files), and `check`
/// writes nothing, the image cache included, whether the cache is cold or warm.
#[test]
fn check_reports_what_build_reports_about_screenshots() {
    let t = copy_fixture("check-bad-images");
    let root = t.path().join("site");
    crate::images::write_bad_pngs(&root.join("content/g/images"));
    let r = root.to_str().unwrap();
    let check = || {
        let before = listing(&root);
        let o = guidepost(&["check", "--root", r, "--format", "json"]);
        assert_eq!(listing(&root), before, "check wrote into the site");
        let strict = guidepost(&["check", "--root", r, "--strict"]);
        assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
        assert_eq!(listing(&root), before, "check --strict wrote into the site");
        diagnostics_of_json(&o.stdout)
    };
    let cold = check();
    assert!(!root.join(".guidepost-cache").exists());
    let want = |sev: &str, code: &str, place: &str| (sev.into(), code.into(), place.into());
    assert_eq!(
        cold,
        [
            want("error", "unknown-key", "content/g/images/ok.toml:4:1"),
            want("warning", "bad-image", "content/g/images/cut.png"),
            want("warning", "bad-image", "content/g/images/huge.png"),
            want("warning", "bad-image", "content/g/images/notes.png"),
            // from the header, before the image stage: as the build reports it
            want("warning", "oversized-image", "content/g/app.md:15:1"),
        ]
    );
    let (_out, b) = build(&root);
    assert_eq!(b.status.code(), Some(1), "{}", stderr(&b));
    assert_eq!(diagnostics_of_text(&stderr(&b)), cold, "{}", stderr(&b));
    // the build left its image cache in the site: check reads it and changes nothing in it
    assert!(root.join(".guidepost-cache/images").is_dir());
    assert_eq!(check(), cold);
}
