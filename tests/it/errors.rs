//! Sites with mistakes: every problem reported together with its exact text, and nothing lost.

use crate::*;

#[test]
fn all_errors_reported_together_with_exact_text() {
    let (out, o) = build(&fixture("errors"));
    assert_eq!(o.status.code(), Some(1));
    let expected = "\
error[invalid-name]: the guide folder name `Bad_Name` cannot be used in a URL
  |
  = note: in content/Bad_Name
  = help: rename it to `bad-name`: the name is its URL and may only hold `a-z`, `0-9` and `-`
warning[no-channels]: the guide `Bad_Name` has no channels
  |
  = note: in content/Bad_Name/_index.md
  = help: add a channel file such as content/Bad_Name/web.md with a title and `##` steps
error[unknown-key]: unknown key `titel` in the front matter
 --> content/bad-guide/web.md:2:1
  |
2 | titel = \"网页\"
  | ^^^^^
  |
  = help: did you mean `title`? known keys: title, name, note, order, device, draft, aliases, search
error[broken-link]: the link `app.md` points to a page that does not exist
 --> content/bad-guide/web.md:7:1
  |
7 | [去 APP](app.md)
  | ^^^^^^^^^^^^^^^^
  |
  = help: link to a guide's `_index.md` or a channel file such as `wechat.md`, relative to this file
error[fullwidth-punctuation]: a full-width colon `：` after the key
 --> content/bad-guide/wechat.md:2:6
  |
2 | title：微信
  |      ^^
  |
  = help: use a half-width colon `:` followed by a space (switch the input method to English punctuation)
";
    let s = stderr(&o);
    let (diags, last) = s.rsplit_once("build failed").unwrap();
    assert_eq!(diags, expected);
    assert!(last.starts_with(": 4 errors, 1 warning; "), "{last}");
    assert!(
        !out.path().join("public").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let (out, o) = build(&site);
    assert!(o.status.success());
    let public = out.path().join("public");
    let snapshot = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = snapshot(&public);
    std::fs::write(
        site.join("content/renew-card/web.md"),
        "+++\ntitle = \"x\"\nbogus = 1\n+++\n## 步\n",
    )
    .unwrap();
    let o = guidepost(&[
        "build",
        "--root",
        site.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("was left unchanged"));
    assert_eq!(snapshot(&public), before);
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        [std::ffi::OsString::from("public")],
        "no staging folder left behind"
    );
}

#[test]
fn dangerous_output_folders_are_refused() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    for target in [site.clone(), site.join("content"), t.path().to_path_buf()] {
        let o = guidepost(&[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--output",
            target.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", target.display());
        assert!(
            stderr(&o).starts_with("error: refusing to write the site into "),
            "{}",
            stderr(&o)
        );
    }
    assert!(site.join("content/renew-card/web.md").exists());
}

#[test]
fn missing_site_toml_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let o = guidepost(&["build", "--root", t.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has no site.toml"), "{}", stderr(&o));
}

#[test]
fn template_override_with_a_syntax_error_names_the_template() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}\n{% block content %}\n{{ oops \n{% endblock content %}\n",
    )
    .unwrap();
    let (_, o) = build(&site);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(s.starts_with("error[template]: template error: "), "{s}");
    assert!(s.contains(" --> templates/404.html:"), "{s}");
}
