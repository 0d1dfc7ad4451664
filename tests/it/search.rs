//! Search (issue 13): the JavaScript tokenizer agrees with the Rust one, the index leaves out
//! what must not be found, and in real Chromium the header field and the search page find what
//! a student types, from `file://` and over HTTP. That the search script and the index stay
//! within ES2017 is checked with the theme's other files by tests/it/compat.rs. The Node test
//! skips with a message without `node`; with `CI=true` it fails instead (`.ci/run` installs it).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use guidepost::search::tokenizer;
use headless_chrome::Tab;

use crate::browser::{eval_string, launch, open, serve, viewport, watched_tab};
use crate::pdf::tools_or_skip;
use crate::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn skip_or_fail(test: &str, why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: CI=true but {why}. `.ci/run` installs it");
    }
    eprintln!("SKIPPED {test}: {why}");
}

fn node(test: &str) -> Option<&'static str> {
    if Command::new("node").arg("--version").output().is_ok() {
        Some("node")
    } else {
        skip_or_fail(test, "node is not installed (apt-get install nodejs)");
        None
    }
}

/// Tokens as both tokenizers write them: kind letter, token, shard hash.
fn rust_tokens(text: &str) -> Vec<(String, String, u32)> {
    let mut v = Vec::new();
    tokenizer::tokens(text, |t, k| {
        v.push((k.letter().to_string(), t.to_string(), tokenizer::hash(t)))
    });
    v
}

const JS_TOKENS: &str = r#"
const fs = require("fs"), vm = require("vm");
const window = {};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), { window });
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const G = window.__gpSearch;
process.stdout.write(JSON.stringify(texts.map(t => G.tokenize(t).map(x => [x.k, x.t, G.hash(x.t)]))));
"#;

/// Strings from a small alphabet of what matters (CJK, full-width forms, ASCII of both cases,
/// punctuation, Latin letters, characters beyond the basic plane), deterministic.
fn generated(n: usize) -> Vec<String> {
    let alphabet: Vec<char> =
        "采集码学信网公众号客户端〇々ぁアㄱ가ＡＺａｚ０９＃！　 azAZ09#-_.,，。、“”（）()éÉ×÷ßĀɏ𠀀𪚥😀\u{2028}\t\n"
            .chars()
            .collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|_| {
            let len = (next() % 12) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn the_javascript_tokenizer_agrees_with_the_rust_one() {
    let Some(node) = node("the_javascript_tokenizer_agrees_with_the_rust_one") else {
        return;
    };
    let mut texts: Vec<String> = [
        "采集码",
        "学信网图像采集码获取流程",
        "VPN 客户端",
        "ＶＰＮ客户端",
        "码",
        "公众号",
        "ＡＰＰ",
        "第１２步：点击“登录”",
        "＃ # 、。！？",
        "e-mail: Foo.Bar@Example.COM",
        "二〇二六年",
        "Café CAFÉ",
        "𠀀𠀁 and 😀😀",
        "",
        "   ",
        "a\u{3000}b",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    texts.extend(generated(500));
    let js: Vec<Vec<(String, String, u32)>> = run_search_js(node, JS_TOKENS, &texts);
    assert_eq!(js.len(), texts.len());
    for (text, js) in texts.iter().zip(js) {
        assert_eq!(rust_tokens(text), js, "the tokenizers disagree on {text:?}");
    }
    // the table is not trivially empty: the comparison above compared real tokens
    assert_eq!(rust_tokens("ＶＰＮ客户端")[0].1, "vpn");
}

/// Runs `script` under Node with static/search.js as its argument and `input` as JSON on its
/// standard input; its standard output, parsed as JSON.
fn run_search_js<T: serde::de::DeserializeOwned>(
    node: &str,
    script: &str,
    input: &impl serde::Serialize,
) -> T {
    let mut child = Command::new(node)
        .args([
            "-e",
            script,
            repo().join("static/search.js").to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(input).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

const JS_PLAN: &str = r#"
const fs = require("fs"), vm = require("vm");
const window = {};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), { window });
const queries = JSON.parse(fs.readFileSync(0, "utf8"));
// every token its own shard: the most shards a query can need
const shardOf = () => { const seen = new Map(); return t => { if (!seen.has(t)) seen.set(t, seen.size); return seen.get(t); }; };
process.stdout.write(JSON.stringify(queries.map(q => {
  const p = window.__gpSearch.plan(q, shardOf());
  return { load: p.load.map(t => t.t), needs: p.needs.map(n => n.map(t => t.t)), partial: p.partial };
})));
"#;

/// A long query (a pasted sentence) loads at most 8 token shards (`plan` in static/search.js),
/// still requiring every character where it can; a short one loads every token.
#[test]
fn a_long_query_loads_a_bounded_number_of_shards() {
    let Some(node) = node("a_long_query_loads_a_bounded_number_of_shards") else {
        return;
    };
    let sentence = "登录学信网后点击学籍学历信息页面底部的图像采集码按钮并保存截图出示给工作人员";
    let queries = [
        "采集码",
        "VPN 客户端",
        "学信网账号登录",
        &sentence[..16 * 3],
        sentence,
    ];
    let plans: Vec<serde_json::Value> = run_search_js(node, JS_PLAN, &queries);
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    for (q, p) in queries.iter().zip(&plans) {
        let load = strings(&p["load"]);
        assert!(load.len() <= 8, "{q}: {p}");
        let needs: Vec<Vec<String>> = p["needs"].as_array().unwrap().iter().map(strings).collect();
        // every need is met by a loaded token that holds the character
        for n in &needs {
            assert!(
                !n.is_empty() && n.iter().all(|t| load.contains(t)),
                "{q}: {p}"
            );
        }
        let partial = p["partial"].as_bool().unwrap();
        // every CJK character of the query is needed, unless the query was cut
        let chars: std::collections::BTreeSet<char> =
            q.chars().filter(|c| !c.is_ascii() && *c != ' ').collect();
        let needed: std::collections::BTreeSet<char> = needs
            .iter()
            .flat_map(|n| n.iter().flat_map(|t| t.chars()))
            .filter(|c| !c.is_ascii())
            .collect();
        assert_eq!(needed.is_superset(&chars), !partial, "{q}: {p}");
    }
    let load = |i: usize| strings(&plans[i]["load"]);
    // short queries: every character and every pair
    assert_eq!(load(0), ["采", "集", "码", "采集", "集码"]);
    assert_eq!(load(1), ["vpn", "客", "户", "端", "客户", "户端"]);
    // 7 characters: the 6 pairs, which hold every character
    assert_eq!(load(2), ["学信", "信网", "网账", "账号", "号登", "登录"]);
    // 16 characters: every other pair
    assert_eq!(load(3).len(), 8);
    assert_eq!(load(3)[..3], ["登录", "学信", "网后"]);
    // a whole sentence: its beginning
    assert_eq!(plans[4]["partial"], true);
}

/// A site with a published channel, a draft channel and a channel that opted out.
fn site_with_hidden_pages(root: &Path, site_search: bool) {
    write_site(
        root,
        &[
            (
                "web.md",
                "+++\ntitle = \"网页\"\n+++\n\n## 打开 zebraword 页面\n\n点击按钮。\n".as_bytes(),
            ),
            (
                "draft.md",
                "+++\ntitle = \"草稿\"\ndraft = true\n+++\n\n## draftword\n\n正文。\n".as_bytes(),
            ),
            (
                "quiet.md",
                "+++\ntitle = \"不搜\"\nsearch = false\n+++\n\n## hiddenword\n\n正文。\n"
                    .as_bytes(),
            ),
        ],
    );
    if !site_search {
        std::fs::write(root.join("site.toml"), "title = \"测试\"\nsearch = false\n").unwrap();
    }
}

fn build_drafts(root: &Path) -> (tempfile::TempDir, Output) {
    build_with(root, &["--drafts"])
}

#[test]
fn drafts_and_pages_with_search_false_are_not_indexed() {
    let t = tempfile::tempdir().unwrap();
    site_with_hidden_pages(t.path(), true);
    let (out, o) = build_drafts(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // the build says nothing about search
    assert!(!stderr(&o).contains("search"), "{}", stderr(&o));
    let index = std::fs::read_to_string(out.path().join("public/search/index.js")).unwrap();
    assert!(index.starts_with("window.__gpSearch.index("), "{index}");
    assert!(index.contains("\"zebraword\""), "{index}");
    assert!(
        !index.contains("draftword"),
        "a draft is in the index: {index}"
    );
    assert!(
        !index.contains("hiddenword"),
        "search = false is in the index: {index}"
    );
    // the draft and the quiet channel are still published (with --drafts)
    assert!(out.path().join("public/g/draft/index.html").is_file());
    assert!(out.path().join("public/g/quiet/index.html").is_file());
    // the field is in every page, hidden until the script shows it
    let doc = html(out.path(), "g/web/index.html");
    let form = select(&doc, "form.site-search");
    assert_eq!(form.len(), 1);
    assert!(form[0].value().attr("hidden").is_some());
    let index_url = form[0].value().attr("data-index").unwrap();
    assert!(index_url == "../../search/index.js", "{index_url}");
    assert_eq!(
        select(&doc, "label[for=site-search-q]").len(),
        1,
        "the field has no label"
    );
    // the search page says what to do without JavaScript
    let page = html(out.path(), "search/index.html");
    assert!(text(&select(&page, ".search-nojs")[0]).contains("JavaScript"));
    assert!(
        select(&page, "form.search-page-form")[0]
            .value()
            .attr("hidden")
            .is_some()
    );
}

#[test]
fn whole_guides_that_are_drafts_or_opt_out_are_not_indexed() {
    let t = tempfile::tempdir().unwrap();
    site_with_hidden_pages(t.path(), true);
    for (dir, key, word) in [
        ("quietguide", "search = false", "quietguideword"),
        ("draftguide", "draft = true", "draftguideword"),
    ] {
        let d = t.path().join("content").join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("_index.md"),
            format!("+++\ntitle = \"{word}\"\n{key}\n+++\n\n{word} 简介。\n"),
        )
        .unwrap();
        std::fs::write(
            d.join("web.md"),
            format!("+++\ntitle = \"网页\"\n+++\n\n## {word}步骤\n\n{word} 正文。\n"),
        )
        .unwrap();
    }
    let (out, o) = build_drafts(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let index = std::fs::read_to_string(out.path().join("public/search/index.js")).unwrap();
    assert!(index.contains("\"zebraword\""), "{index}");
    for word in ["quietguideword", "draftguideword"] {
        assert!(!index.contains(word), "{word} is in the index: {index}");
    }
    // both guides are still published (the draft with --drafts)
    assert!(
        out.path()
            .join("public/quietguide/web/index.html")
            .is_file()
    );
    assert!(
        out.path()
            .join("public/draftguide/web/index.html")
            .is_file()
    );
}

#[test]
fn search_false_in_site_toml_leaves_out_the_index_the_page_and_the_field() {
    let t = tempfile::tempdir().unwrap();
    site_with_hidden_pages(t.path(), false);
    let (out, o) = build_drafts(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.path().join("public/search").exists());
    let doc = html(out.path(), "g/web/index.html");
    assert!(select(&doc, "form.site-search").is_empty());
    assert!(select(&doc, "script[src*=search]").is_empty());
}

/// The text of step `s` of each channel of guide `g` in [`large_site`]: 300 characters (and
/// two more if `edited`).
fn step_text(g: usize, s: usize, edited: bool) -> String {
    let words = "图像采集码学信网公众号客户端账号登录绑定学籍学历信息选择页面点击查看获取保存截图出示毕业生环节注册有效期";
    let chars: Vec<char> = words.chars().collect();
    let mut body: String = (0..300)
        .map(|i| chars[(g * 7 + s * 13 + i * i) % chars.len()])
        .collect();
    if edited {
        body.push_str("改动");
    }
    body
}

/// A site of 60 guides of 3 channels of 5 long steps: more than the one-file limit. `edit`
/// changes one step's text.
fn large_site(root: &Path, edit: bool) {
    std::fs::write(root.join("site.toml"), "title = \"大站\"\n").unwrap();
    for g in 0..60 {
        let dir = root.join(format!("content/g{g:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("_index.md"),
            format!("+++\ntitle = \"指南{g}\"\n+++\n"),
        )
        .unwrap();
        for c in ["web", "wechat", "app"] {
            let mut md = format!("+++\ntitle = \"{c}\"\n+++\n");
            for s in 0..5 {
                let body = step_text(g, s, edit && g == 59 && c == "app" && s == 4);
                md.push_str(&format!("\n## 第{s}步 word{g}x{s}\n\n{body}\n"));
            }
            std::fs::write(dir.join(format!("{c}.md")), md).unwrap();
        }
    }
}

fn manifest(public: &Path) -> serde_json::Value {
    let manifest = std::fs::read_to_string(public.join("search/index.js")).unwrap();
    let json = manifest
        .strip_prefix("window.__gpSearch.index(")
        .and_then(|m| m.strip_suffix(");\n"))
        .unwrap();
    serde_json::from_str(json).unwrap()
}

fn shard_json(bytes: &str, call: &str) -> serde_json::Value {
    let json = bytes
        .strip_prefix(call)
        .and_then(|m| m.strip_suffix(");\n"))
        .unwrap_or_else(|| panic!("{call}: {bytes:.80}"));
    serde_json::from_str(json).unwrap()
}

#[test]
fn a_large_site_gets_sharded_index_files_versioned_by_what_they_are_made_of() {
    let t = tempfile::tempdir().unwrap();
    large_site(t.path(), false);
    let (out, o) = build(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let m = manifest(&public);
    assert!(m.get("ts").is_none(), "a large index is not inline");
    let shards = m["shards"].as_u64().unwrap() as usize;
    assert!(shards > 1, "{m}");
    let docs = m["docs"].as_u64().unwrap() as usize;
    assert_eq!(docs, 60 * (1 + 3 * 6));
    let per = m["per"].as_u64().unwrap() as usize;
    // exactly the shard files the manifest implies
    let mut want: Vec<String> = (0..shards).map(|i| format!("t-{i}.js")).collect();
    want.extend((0..docs.div_ceil(per)).map(|i| format!("d-{i}.js")));
    want.push("index.js".into());
    want.push("index.html".into());
    want.sort();
    let mut have: Vec<String> = std::fs::read_dir(public.join("search"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    have.sort();
    assert_eq!(have, want);
    // every token lives in the shard of its hash
    for i in 0..shards {
        let text = std::fs::read_to_string(public.join(format!("search/t-{i}.js"))).unwrap();
        let v = shard_json(&text, &format!("window.__gpSearch.shard({i},"));
        for token in v.as_object().unwrap().keys() {
            assert_eq!(tokenizer::hash(token) as usize % shards, i, "{token}");
        }
    }
    // document n is document n % per of shard n / per: the last step of the last guide
    let last = docs - 1;
    let text = std::fs::read_to_string(public.join(format!("search/d-{}.js", last / per))).unwrap();
    let d = shard_json(&text, &format!("window.__gpSearch.docs({},", last / per));
    let doc = &d["d"][last % per];
    assert_eq!(doc[4], "word59x4", "{doc}");
    assert_eq!(doc[3], "#step-5");
    let channel = d["c"][doc[1].as_u64().unwrap() as usize][1]
        .as_str()
        .unwrap();
    assert!(
        channel.starts_with("g59/") && channel.ends_with("/index.html"),
        "{channel}"
    );
    // the step's whole text, for the browser to cut a snippet around its match
    assert_eq!(doc[5].as_str().unwrap(), step_text(59, 4, false));
    // the index's version changes with the text and only with it
    let v = m["v"].as_str().unwrap().to_string();
    let page = html(out.path(), "g00/web/index.html");
    let form = select(&page, "form.site-search");
    // the pages name the manifest alone: an edit changes the index, not every page
    assert_eq!(
        form[0].value().attr("data-index"),
        Some("../../search/index.js")
    );
    let (again, _) = build(t.path());
    assert_eq!(manifest(&again.path().join("public"))["v"], v.as_str());
    large_site(t.path(), true);
    let (edited, o) = build(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(manifest(&edited.path().join("public"))["v"], v.as_str());
    // and a page the edit did not touch stays byte for byte the same
    let page = |o: &Path| std::fs::read(o.join("public/g00/web/index.html")).unwrap();
    assert_eq!(page(out.path()), page(edited.path()));

    // the index of a version is kept in the cache and linked by the next build of that text;
    // what the cache gives is what a build without it makes
    let files = |o: &Path| -> Vec<(String, Vec<u8>)> {
        let dir = o.join("public/search");
        paths_under(&dir, false)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(dir.join(&f)).unwrap()))
            .collect()
    };
    let cache = t.path().join(".guidepost-cache/search");
    // beside the versions, the guides' parts the edited build assembled its index from: the
    // pack, and the edited guide's new part beside it
    assert!(cache.join("parts.bin").is_file() && cache.join("parts-new.bin").is_file());
    let versions: Vec<String> = paths_under(&cache, true)
        .into_iter()
        .filter(|p| !p.starts_with("parts"))
        .collect();
    let v2 = manifest(&edited.path().join("public"))["v"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        versions.iter().all(|p| p.starts_with(&v2)),
        "only the newest version is kept: {versions:?}"
    );
    let (warm, _) = build(t.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(warm.path().join("public/search/index.js")).unwrap();
        assert!(m.nlink() > 1, "linked from the cache, not written again");
    }
    std::fs::remove_dir_all(&cache).unwrap();
    let (cold, _) = build(t.path());
    assert_eq!(files(warm.path()), files(cold.path()));
    assert_eq!(files(edited.path()), files(cold.path()));
}

// ---- in the browser ----

fn eval_json(tab: &Tab, js: &str) -> serde_json::Value {
    serde_json::from_str(&eval_string(tab, &format!("JSON.stringify({js})"))).unwrap()
}

fn wait_for(tab: &Tab, js: &str, what: &str) {
    let start = std::time::Instant::now();
    while tab.evaluate(js, false).ok().and_then(|r| r.value) != Some(serde_json::json!(true)) {
        assert!(
            start.elapsed().as_secs() < 20,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What the header's search panel shows after typing `query` into the field (cleared first).
struct Shown {
    status: String,
    paths: Vec<String>,
    titles: Vec<String>,
    marks: Vec<String>,
}

fn type_query(tab: &Tab, input: &str, query: &str) -> Shown {
    tab.evaluate(
        &format!("(() => {{ const i = document.querySelector({input:?}); i.value = ''; i.focus(); i.dispatchEvent(new Event('input')); }})()"),
        false,
    )
    .unwrap();
    tab.send_character(query).unwrap();
    let form = format!("document.querySelector({input:?}).form");
    wait_for(
        tab,
        &format!(
            "(() => {{ const f = {form}; const s = f.querySelector('.search-status').textContent; return s !== '' && f.querySelector('input').value === {query:?} && !f.querySelector('.search-panel').hidden; }})()"
        ),
        &format!("results of {query}"),
    );
    // the status is written with the list
    let v = eval_json(
        tab,
        &format!(
            "(() => {{ const f = {form}; const all = s => Array.from(f.querySelectorAll(s)).map(e => e.textContent); return {{ status: f.querySelector('.search-status').textContent, paths: all('.search-result .search-path'), titles: all('.search-result .search-title'), marks: all('.search-result mark') }}; }})()"
        ),
    );
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    Shown {
        status: v["status"].as_str().unwrap().to_string(),
        paths: strings("paths"),
        titles: strings("titles"),
        marks: strings("marks"),
    }
}

/// The "Done when" list of the issue, on the sample opened at `home` (its `index.html`).
fn queries_find_what_students_type(tab: &Tab, home: &str) {
    open(tab, home);
    wait_for(
        tab,
        "!document.querySelector('form.site-search').hidden",
        "the search field to show",
    );
    let field = "#site-search-q";
    let guide = "学信网图像采集码获取流程";

    let s = type_query(tab, field, "采集码");
    for channel in ["学信网网站", "微信公众号", "学信网 APP"] {
        let prefix = format!("{guide} › {channel} › 第 ");
        assert!(
            s.paths.iter().any(|p| p.starts_with(&prefix)),
            "no step of {channel} for 采集码: {:?} ({})",
            s.paths,
            s.status
        );
    }
    assert!(s.marks.iter().any(|m| m == "采集码"), "{:?}", s.marks);
    assert!(s.status.starts_with("找到 "), "{}", s.status);

    let s = type_query(tab, field, "公众号");
    assert!(s.paths[0].contains("微信公众号"), "{:?}", s.paths);
    assert!(
        s.paths
            .iter()
            .all(|p| p.contains("微信公众号") || p == guide),
        "公众号 found outside the WeChat channel: {:?}",
        s.paths
    );

    let s = type_query(tab, field, "码");
    assert!(!s.paths.is_empty(), "one character finds nothing");
    assert!(s.marks.iter().all(|m| m.contains('码')), "{:?}", s.marks);

    let ascii = type_query(tab, field, "app");
    assert!(
        ascii.paths.iter().any(|p| p.contains("学信网 APP")),
        "{:?}",
        ascii.paths
    );
    let wide = type_query(tab, field, "ＡＰＰ");
    assert_eq!(
        wide.paths, ascii.paths,
        "a full-width query finds other things"
    );

    let mixed = type_query(tab, field, "学信网 APP，采集码");
    assert!(!mixed.paths.is_empty(), "a mixed query finds nothing");

    let none = type_query(tab, field, "火星基地");
    assert!(none.paths.is_empty());
    assert!(none.status.contains("没有找到"), "{}", none.status);
    assert!(none.status.contains("试试"), "no hint: {}", none.status);

    // exact phrase above scattered characters, titles above text
    let s = type_query(tab, field, "选择学籍");
    assert!(s.titles[0].contains("选择学籍"), "{:?}", s.titles);

    // keyboard: down from the field to the first result, Enter follows it to its step
    let s = type_query(tab, field, "截图并保存");
    assert!(s.paths[0].ends_with("第 4 步"), "{:?}", s.paths);
    tab.press_key("ArrowDown").unwrap();
    let focused = eval_json(
        tab,
        "{ cls: document.activeElement.closest('.search-result') !== null, name: document.activeElement.textContent, href: document.activeElement.getAttribute('href') }",
    );
    assert_eq!(focused["cls"], true, "ArrowDown did not reach a result");
    assert!(
        focused["name"].as_str().unwrap().contains("第 4 步"),
        "the link's accessible name says not where it goes: {focused}"
    );
    let href = focused["href"].as_str().unwrap().to_string();
    assert_eq!(href, "xuexin-image-code/web/index.html#step-4");
    tab.press_key("Enter").unwrap();
    wait_for(
        tab,
        "location.href.includes('/xuexin-image-code/web/index.html#step-4') && document.readyState === 'complete'",
        "the result's page",
    );
    let target = eval_json(
        tab,
        "(() => { const e = document.getElementById('step-4'); return e ? e.textContent : null; })()",
    );
    assert!(
        target.as_str().is_some_and(|t| t.contains("截图并保存")),
        "{target}"
    );

    // the search page reads ?q= (a link in a notice), and its results link from search/
    let search_page = home.replace(
        "index.html",
        "search/index.html?q=%E9%87%87%E9%9B%86%E7%A0%81",
    );
    open(tab, &search_page);
    wait_for(
        tab,
        "document.querySelectorAll('.search-page-form .search-result').length > 0",
        "results on the search page",
    );
    let v = eval_json(
        tab,
        "{ q: document.querySelector('#search-page-q').value, href: document.querySelector('.search-page-form .search-result a').getAttribute('href'), nojs: document.querySelector('.search-nojs').hidden }",
    );
    assert_eq!(v["q"], "采集码");
    assert!(
        v["href"]
            .as_str()
            .unwrap()
            .starts_with("../xuexin-image-code/"),
        "{v}"
    );
    assert_eq!(v["nojs"], true, "the no-JavaScript note still shows");
}

#[test]
fn in_chromium_the_field_finds_steps_over_http() {
    let Some(chromium) = tools_or_skip("in_chromium_the_field_finds_steps_over_http") else {
        return;
    };
    let (out, o) = build(repo());
    assert!(o.status.success(), "{}", stderr(&o));
    let origin = serve(out.path().join("public"), "/".into());
    let browser = launch(chromium);
    let (tab, problems) = watched_tab(&browser, &origin);
    viewport(&tab, 390, 844);
    queries_find_what_students_type(&tab, &format!("{origin}/index.html"));
    let p = problems.lock().unwrap();
    assert!(p.foreign_requests.is_empty(), "{:?}", p.foreign_requests);
    assert!(p.console_errors.is_empty(), "{:?}", p.console_errors);
}

#[test]
fn in_chromium_the_field_finds_steps_from_file_urls() {
    let Some(chromium) = tools_or_skip("in_chromium_the_field_finds_steps_from_file_urls") else {
        return;
    };
    let (out, o) = build(repo());
    assert!(o.status.success(), "{}", stderr(&o));
    let browser = launch(chromium);
    let tab = browser.new_tab().unwrap();
    viewport(&tab, 1280, 800);
    let home = guidepost::output::pdf::file_url(&out.path().join("public/index.html"));
    queries_find_what_students_type(&tab, &home);
}

#[test]
fn in_chromium_a_match_deep_in_a_long_step_shows_in_its_snippet() {
    let test = "in_chromium_a_match_deep_in_a_long_step_shows_in_its_snippet";
    let Some(chromium) = tools_or_skip(test) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    // the match is 600 characters into the step: past what a snippet of its beginning shows
    let filler = |n: usize| "请按页面提示填写本人信息，".repeat(n / 13 + 1);
    let step = format!("{}在“图像校对”中查看照片。{}", filler(600), filler(300));
    let md = format!("+++\ntitle = \"网页\"\n+++\n\n## 登录\n\n{step}\n");
    write_site(t.path(), &[("web.md", md.as_bytes())]);
    let (out, o) = build(t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let browser = launch(chromium);
    let tab = browser.new_tab().unwrap();
    viewport(&tab, 390, 844);
    open(
        &tab,
        &guidepost::output::pdf::file_url(&out.path().join("public/index.html")),
    );
    wait_for(
        &tab,
        "!document.querySelector('form.site-search').hidden",
        "the search field to show",
    );
    let s = type_query(&tab, "#site-search-q", "图像校对");
    assert_eq!(s.paths, ["指南 › 网页 › 第 1 步"], "{}", s.status);
    assert_eq!(s.marks, ["图像校对"], "the match is not in the snippet");
    let snippet = eval_string(
        &tab,
        "document.querySelector('.search-snippet').textContent",
    );
    assert!(
        snippet.starts_with('…') && snippet.ends_with('…') && snippet.chars().count() < 100,
        "a window around the match, cut on both sides: {snippet}"
    );
}
