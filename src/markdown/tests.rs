//! Markdown components as snapshots: a Markdown string in, blocks and HTML out.

use std::collections::HashSet;
use std::path::Path;

use super::*;
use crate::content::model::Block;

fn files() -> HashSet<String> {
    [
        "g/web.md",
        "g/app.md",
        "g/_index.md",
        "g/images/exists.png",
        "g/form.pdf",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn render_md(md: &str, steps: bool) -> Rendered {
    let f = SourceFile::new("content/g/web.md", "content/g/web.md", md.to_string());
    let files = files();
    let env = Env {
        file: &f,
        body_offset: 0,
        dir: "g",
        content_dir: Path::new("/nonexistent"),
        files: &files,
        device: Device::Phone,
        steps,
    };
    render(md, &env)
}

/// All HTML of the intro and steps, components shown as short tags.
fn html(r: &Rendered) -> String {
    fn blocks(bs: &[Block], out: &mut String) {
        for b in bs {
            match b {
                Block::Html(h) => out.push_str(h),
                Block::Figure(f) => out.push_str(&format!("[figure {}]\n", f.path)),
                Block::Slot(s) => out.push_str(&format!("[slot {} \"{}\"]\n", s.path, s.alt)),
                Block::Callout { kind, body } => {
                    out.push_str(&format!("[callout {}]\n", kind.name()));
                    blocks(body, out);
                    out.push_str("[/callout]\n");
                }
            }
        }
    }
    let mut out = String::new();
    blocks(&r.intro, &mut out);
    for s in &r.steps {
        out.push_str(&format!(
            "== step {} #{}: {}\n",
            s.number, s.anchor, s.title_html
        ));
        blocks(&s.body, &mut out);
    }
    out.replace(ROOT_MARKER, "{root}")
        .replace(ANCHOR_MARKER, "{ch}")
}

#[test]
fn cjk_emphasis_next_to_punctuation_renders() {
    let r = render_md(
        "**注意：**正文\n\n请查看**“图像采集码”**是否正确\n\n*斜体。*后面",
        false,
    );
    assert_eq!(
        html(&r),
        "<p><strong>注意：</strong>正文</p>\n<p>请查看<strong>“图像采集码”</strong>是否正确</p>\n<p><em>斜体。</em>后面</p>\n"
    );
}

#[test]
fn escaped_asterisks_and_code_stay_literal() {
    let r = render_md(
        "\\*\\*注意：\\*\\*正文\n\n`**注意：**正文`\n\n```\n**注意：**正文\n```",
        false,
    );
    assert_eq!(
        html(&r),
        "<p>**注意：**正文</p>\n<p><code>**注意：**正文</code></p>\n<pre><code>**注意：**正文\n</code></pre>\n"
    );
}

#[test]
fn arithmetic_is_not_emphasis() {
    let r = render_md("2 * 3 * 4 = 24", false);
    assert_eq!(html(&r), "<p>2 * 3 * 4 = 24</p>\n");
}

#[test]
fn line_break_between_chinese_is_not_a_space() {
    let r = render_md(
        "第一行的文字\n第二行的文字\n\nEnglish line\nnext line\n\n中文\nEnglish",
        false,
    );
    assert_eq!(
        html(&r),
        "<p>第一行的文字第二行的文字</p>\n<p>English line\nnext line</p>\n<p>中文\nEnglish</p>\n"
    );
}

#[test]
fn headings_become_numbered_steps_and_typed_numbers_go() {
    let r = render_md(
        "导语\n\n## 1. 登录学信网\n\n正文\n\n## 第二步：查看学籍 {#check}\n\n## （3）获取采集码\n\n## 5、保存\n",
        true,
    );
    insta::assert_snapshot!(html(&r), @r"
    <p>导语</p>
    == step 1 #step-1: 登录学信网
    <p>正文</p>
    == step 2 #check: 查看学籍
    == step 3 #step-3: 获取采集码
    == step 4 #step-4: 保存
    ");
    let codes: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| (d.code, d.location().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [("step-number", "content/g/web.md:11:4".to_string())]
    );
}

#[test]
fn step_number_forms() {
    for (t, n) in [
        ("1. 登录", 1),
        ("1、登录", 1),
        ("（1）登录", 1),
        ("第一步：登录", 1),
        ("第 12 步 登录", 12),
        ("步骤3：登录", 3),
        ("十一、登录", 11),
    ] {
        let (num, len) = strip_step_number(t).unwrap_or_else(|| panic!("{t}"));
        assert_eq!((num, &t[len..]), (n, "登录"), "{t}");
    }
    assert_eq!(strip_step_number("2022年毕业生"), None);
    assert_eq!(strip_step_number("1."), None);
}

#[test]
fn images_become_figures_or_slots_outside_paragraphs() {
    let r = render_md(
        "## 登录\n\n![首页的登录按钮](images/missing.png)\n\n文字 ![有图](images/exists.png) 之后\n",
        true,
    );
    insta::assert_snapshot!(html(&r), @r#"
    == step 1 #step-1: 登录
    [slot g/images/missing.png "首页的登录按钮"]
    <p>文字</p>
    [figure g/images/exists.png]
    <p>之后</p>
    "#);
    // exists.png is listed but cannot be read here: the image stage reports it and makes it a slot
    assert!(r.diagnostics.is_empty());
}

#[test]
fn alerts_become_callouts() {
    let r = render_md(
        "> [!IMPORTANT]\n> 请务必**提前**注册\n\n> [!WARNING]\n> 注意\n>\n> ![截图](images/a.png)\n\n> 普通引用\n",
        false,
    );
    insta::assert_snapshot!(html(&r), @r#"
    [callout important]
    <p>请务必<strong>提前</strong>注册</p>
    [/callout]
    [callout warning]
    <p>注意</p>
    [slot g/images/a.png "截图"]
    [/callout]
    <blockquote>
    <p>普通引用</p>
    </blockquote>
    "#);
}

#[test]
fn links_to_channel_files_become_page_urls() {
    let r = render_md(
        "[APP](app.md#step-2) [本页](#step-1) [指南](_index.md) [表格](form.pdf) [外部](https://www.chsi.com.cn/)",
        false,
    );
    assert_eq!(
        html(&r),
        "<p><a href=\"{root}g/app/index.html#step-2\">APP</a> <a href=\"#{ch}step-1\">本页</a> <a href=\"{root}g/index.html\">指南</a> <a href=\"{root}g/form.pdf\">表格</a> <a href=\"https://www.chsi.com.cn/\">外部</a></p>\n"
    );
    assert_eq!(r.assets, ["g/form.pdf"]);
    assert_eq!(r.links.len(), 2);
}

#[test]
fn broken_links_and_escapes_are_diagnosed() {
    let r = render_md(
        "[a](nothere.md)\n\n![x](../../etc/passwd)\n\n[b](missing.pdf)",
        false,
    );
    let codes: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| (d.code, d.location().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("broken-link", "content/g/web.md:1:1".to_string()),
            ("outside-root", "content/g/web.md:3:1".to_string()),
            ("broken-link", "content/g/web.md:5:1".to_string())
        ]
    );
}

#[test]
fn raw_html_passes_and_text_is_escaped() {
    let r = render_md("<kbd>Ctrl</kbd> a < b & \"c\"", false);
    assert_eq!(html(&r), "<p><kbd>Ctrl</kbd> a &lt; b &amp; \"c\"</p>\n");
}

#[test]
fn several_cjk_emphases_in_one_paragraph_pair_up_in_order() {
    // pulldown-cmark alone pairs the 2nd and 3rd runs: `**注意：<strong>正文，</strong>“码”**查看`
    let r = render_md(
        "**注意：**正文，**“图像采集码”**查看，*斜体。*后面；`**代码：**不变`，\\*\\*转义：\\*\\*不变。",
        false,
    );
    assert_eq!(
        html(&r),
        "<p><strong>注意：</strong>正文，<strong>“图像采集码”</strong>查看，<em>斜体。</em>后面；<code>**代码：**不变</code>，**转义：**不变。</p>\n"
    );
}

#[test]
fn cjk_emphasis_inside_links_headings_and_lists() {
    let r = render_md(
        "- **提示：**先[**“登录”**页面](https://www.chsi.com.cn/)再操作\n- ***重要：***必读",
        false,
    );
    assert_eq!(
        html(&r),
        "<ul>\n<li><strong>提示：</strong>先<a href=\"https://www.chsi.com.cn/\"><strong>“登录”</strong>页面</a>再操作</li>\n<li><em><strong>重要：</strong></em>必读</li>\n</ul>\n"
    );
}

#[test]
fn emphasis_that_commonmark_already_renders_is_unchanged() {
    // a literal `*` elsewhere in the paragraph makes the pass redo it: same result as CommonMark
    let r = render_md(
        "*a **b** c* and __d__ and **e*f*g** and ***h*** 2 * 3",
        false,
    );
    assert_eq!(
        html(&r),
        "<p><em>a <strong>b</strong> c</em> and <strong>d</strong> and <strong>e<em>f</em>g</strong> and <em><strong>h</strong></em> 2 * 3</p>\n"
    );
    let r = render_md("**注意：**见 `a*b` 与 _斜体_ 和 \\*", false);
    assert_eq!(
        html(&r),
        "<p><strong>注意：</strong>见 <code>a*b</code> 与 <em>斜体</em> 和 *</p>\n"
    );
}

#[test]
fn footnote_ids_carry_the_channel_prefix() {
    let r = render_md("脚注[^1]。\n\n[^1]: 注释。", false);
    let h = html(&r);
    assert!(h.contains("href=\"#{ch}fn-1\""), "{h}");
    assert!(h.contains("id=\"{ch}fn-1\""), "{h}");
}

#[test]
fn emphasis_repair_survives_random_delimiter_soup() {
    // deterministic pseudo-random inputs of delimiters, CJK punctuation, escapes and links:
    // rendering must not panic and tags must stay balanced
    const ALPHABET: [&str; 16] = [
        "*", "**", "_", "\\", "`", "[", "](x)", "：", "“", "”", "中", "a", " ", "\n", "。", "~~",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..24 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push_str(ALPHABET[(seed >> 33) as usize % ALPHABET.len()]);
        }
        let h = html(&render_md(&s, false));
        for tag in ["strong", "em", "a", "code", "del"] {
            assert_eq!(
                h.matches(&format!("<{tag}>")).count() + h.matches(&format!("<{tag} ")).count(),
                h.matches(&format!("</{tag}>")).count(),
                "unbalanced <{tag}> for {s:?}: {h}"
            );
        }
    }
}
