//! Hostile or broken input: paths out of the site, symlinks, loops, huge and deeply nested
//! Markdown, broken templates, file names that are not Unicode. Never a hang, never a panic,
//! never a file from outside the site read or published.

use std::path::Path;

use crate::*;

const CHANNEL: &str = "+++\ntitle = \"网页\"\n+++\n\n## 登录\n\n";

fn all_output(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() {
            all.extend(std::fs::read(e.path()).unwrap());
        }
    }
    all
}

/// Symlinks pointing out of the site and absolute paths are never followed, read or copied.
#[cfg(unix)]
#[test]
fn symlinks_and_absolute_paths_never_leak_files() {
    let t = tempfile::tempdir().unwrap();
    let secret = t.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let site = t.path().join("site");
    let body = format!(
        "{CHANNEL}看[文件](secret.txt)。\n\n![密码文件](images/shot.png)\n\n![绝对路径]({})\n",
        secret.display()
    );
    write_site(&site, &[("web.md", body.as_bytes())]);
    std::fs::create_dir_all(site.join("content/g/images")).unwrap();
    std::os::unix::fs::symlink(&secret, site.join("content/g/secret.txt")).unwrap();
    std::os::unix::fs::symlink(&secret, site.join("content/g/images/shot.png")).unwrap();
    std::os::unix::fs::symlink(t.path(), site.join("content/g/outside")).unwrap();
    let (out, o) = build(&site);
    let s = stderr(&o);
    assert!(
        s.contains(
            "warning[symlink]: content/g/images/shot.png is a symbolic link; it is not followed"
        ),
        "{s}"
    );
    assert!(
        s.contains("warning[symlink]: content/g/outside is a symbolic link"),
        "{s}"
    );
    // the link to the symlinked file is broken: the build fails and writes nothing
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(
        s.contains(
            "error[broken-link]: the link `secret.txt` points to a file that does not exist"
        ),
        "{s}"
    );
    // an absolute path on this computer is refused as such
    assert!(
        s.contains(&format!(
            "error[outside-root]: the image `{}` is a path on your computer, not a file of the site",
            secret.display()
        )),
        "{s}"
    );
    // without them the site builds, and still holds nothing from outside
    let body = format!("{CHANNEL}![密码文件](images/shot.png)\n\n![根目录下的路径](/secret.txt)\n");
    std::fs::write(site.join("content/g/web.md"), body).unwrap();
    let (out2, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = all_output(&out2.path().join("public"));
    assert!(!all.windows(10).any(|w| w == b"TOP-SECRET"));
    assert!(!out2.path().join("public/g/images/shot.png").exists());
    drop(out);
}

/// `../../../etc/passwd` as an image or a link is an error and nothing is read.
#[test]
fn parent_paths_out_of_the_site_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    let body = format!("{CHANNEL}![密码](../../../etc/passwd)\n\n[密码](../../../../etc/passwd)\n");
    write_site(&site, &[("web.md", body.as_bytes())]);
    let (out, o) = build(&site);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.contains(
            "error[outside-root]: the image `../../../etc/passwd` is outside the content folder"
        ),
        "{s}"
    );
    assert!(s.contains("error[outside-root]: the link `../../../../etc/passwd` points outside the content folder"), "{s}");
    assert!(!out.path().join("public").exists());
}

/// A symlink loop does not hang discovery.
#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    write_site(
        &site,
        &[("web.md", format!("{CHANNEL}打开网页。\n").as_bytes())],
    );
    std::os::unix::fs::symlink("..", site.join("content/g/up")).unwrap();
    std::os::unix::fs::symlink("self", site.join("content/g/self")).unwrap();
    let (code, err) =
        guidepost_within(&["check", "--root", site.to_str().unwrap()], 60).expect("check finished");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning[symlink]: content/g/self is a symbolic link"),
        "{err}"
    );
    assert!(
        err.contains("warning[symlink]: content/g/up is a symbolic link"),
        "{err}"
    );
}

/// A file name that is not UTF-8 is reported, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names_are_reported() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    write_site(
        &site,
        &[("web.md", format!("{CHANNEL}打开网页。\n").as_bytes())],
    );
    // "截图.png" saved in GBK by an old tool
    let name = std::ffi::OsStr::from_bytes(b"\xbd\xd8\xcd\xbc.png");
    std::fs::write(site.join("content/g").join(name), b"x").unwrap();
    let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o),
        "\
warning[file-name]: content/g/\u{FFFD}\u{FFFD}ͼ.png has a name that is not valid Unicode; it is ignored
  |
  = note: in content/g/\u{FFFD}\u{FFFD}ͼ.png
  = help: rename it using letters, digits and `-` (the name was probably saved by an old Windows tool in GBK)
checked 1 guide (1 channel, 5 pages): 0 errors, 1 warning
"
    );
}

/// A 10 MB channel, 50,000 nested `>` and 100,000 `[` finish in seconds (a release build: 6 s,
/// 0.1 s, 0.1 s). Bounded generously: this is a debug build on a shared CI machine (about 20 s
/// for the 10 MB file); a hang or a quadratic blow-up takes far longer.
#[test]
fn huge_and_pathological_markdown_finishes() {
    let step = "## 第{n}步\n\n打开**学信网**，点击“登录”。[回到第一步](#step-1)\n输入账号\n和密码。\n\n![登录页](images/x.png)\n\n> [!NOTE]\n> 注意事项\n\n";
    let mut big = String::from(CHANNEL);
    let mut n = 0;
    while big.len() < 10_000_000 {
        big.push_str(&step.replace("{n}", &n.to_string()));
        n += 1;
    }
    let cases: [(&str, String); 4] = [
        ("big", big),
        ("quotes", format!("{CHANNEL}{} 引用\n", ">".repeat(50_000))),
        ("brackets", format!("{CHANNEL}{}\n", "[".repeat(100_000))),
        ("stars", format!("{CHANNEL}{}\n", "*注意 ".repeat(100_000))),
    ];
    for (name, body) in cases {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        write_site(&site, &[("web.md", body.as_bytes())]);
        let public = t.path().join("public");
        let r = guidepost_within(
            &[
                "build",
                "--root",
                site.to_str().unwrap(),
                "--output",
                public.to_str().unwrap(),
            ],
            300,
        );
        let (code, err) = r.unwrap_or_else(|| panic!("{name}: did not finish in 300 s"));
        assert_eq!(
            code,
            Some(0),
            "{name}: {}",
            &err[err.len().saturating_sub(2000)..]
        );
        assert!(public.join("g/web/index.html").is_file(), "{name}");
    }
}

/// A template override with a syntax error names the template, line and column.
#[test]
fn template_syntax_error_names_file_line_and_column() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}\n{% block content %}\n<p>{{ page.title | }}</p>\n{% endblock content %}\n",
    )
    .unwrap();
    let o = guidepost(&["check", "--root", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    let expected = "\
error[template]: template error: Found `}}` but expected identifier.
 --> templates/404.html:3:20
  |
3 | <p>{{ page.title | }}</p>
  |                    ^^
  |
  = help: fix the template, or delete your copy to use the built-in one
";
    assert!(s.contains(expected), "{s}");
}
