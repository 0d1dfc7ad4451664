//! Hostile or broken input: paths out of the site, symlinks, loops, huge and deeply nested
//! Markdown, broken templates, file names that are not Unicode. Never a hang, never a panic,
//! never a file from outside the site read or published.

use std::path::Path;

use crate::*;

const CHANNEL: &str = "+++\ntitle = \"网页\"\n+++\n\n## 登录\n\n";

fn all_output(dir: &Path) -> Vec<u8> {
    output_where(dir, |_| true)
}

/// The bytes of the published files `keep` accepts.
fn output_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<u8> {
    let mut all = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() && keep(e.path()) {
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
checked 1 guide (1 channel, 4 pages): 0 errors, 1 warning
"
    );
}

/// A 1.9 MB channel (just under the limit of 2 MiB), 50,000 nested `>` and 100,000 `[` finish
/// in seconds. Bounded generously: this is a debug build on a shared CI machine; a hang or a
/// quadratic blow-up takes far longer.
#[test]
fn huge_and_pathological_markdown_finishes() {
    let step = "## 第{n}步\n\n打开**学信网**，点击“登录”。[回到第一步](#step-1)\n输入账号\n和密码。\n\n![登录页](images/x.png)\n\n> [!NOTE]\n> 注意事项\n\n";
    let mut big = String::from(CHANNEL);
    let mut n = 0;
    while big.len() < 1_900_000 {
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

/// Runs guidepost to the end; its exit code, stderr and peak memory (resident, in MB), as GNU
/// time measures it. Not `wait4` on a child of the test itself: a child spawned from the test
/// process starts from the test's own memory (vfork shares it), and its `ru_maxrss` then counts
/// the test's peak, not guidepost's (in a full test run that added about 110 MB). `time` is a
/// small process, so the peak it reports is guidepost's alone.
#[cfg(target_os = "linux")]
fn guidepost_peak_mb(args: &[&str]) -> (Option<i32>, String, u64) {
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("maxrss");
    let o = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_guidepost"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("GNU time (Debian package `time`, installed by .ci/run)");
    let kb: u64 = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory from /usr/bin/time: {}", stderr(&o)));
    (o.status.code(), stderr(&o), kb / 1024)
}

/// Markdown made of delimiters costs memory in proportion to its size, not hundreds of times
/// it: 1.5 MB of `a*b*` or `[a](` took about 460 MB (four copies of an event per character, one
/// more per character in the emphasis pass); now about 250 and 170 MB, most of it the parser's
/// own tree.
#[cfg(target_os = "linux")]
#[test]
fn delimiter_soup_memory_is_proportional() {
    if !Path::new("/usr/bin/time").exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but /usr/bin/time is missing: `.ci/run` installs the Debian package `time`"
        );
        eprintln!("SKIPPED delimiter_soup_memory_is_proportional: install GNU time (`time`)");
        return;
    }
    for (name, unit) in [("stars", "a*b*"), ("links", "[a]("), ("mixed", "a*b_")] {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        let body = format!("{CHANNEL}{}\n", unit.repeat(1_500_000 / unit.len()));
        write_site(&site, &[("web.md", body.as_bytes())]);
        let (code, err, mb) = guidepost_peak_mb(&["check", "--root", site.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{name}: {err}");
        assert!(mb < 340, "{name}: 1.5 MB of Markdown took {mb} MB");
    }
}

/// A content file over 2 MiB is refused with its place and a hint, not parsed.
#[test]
fn a_file_over_the_size_limit_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    let line = "打开学信网首页，点击登录。\n";
    let body = format!("{CHANNEL}{}", line.repeat(3_000_000 / line.len()));
    write_site(&site, &[("web.md", body.as_bytes())]);
    let (out, o) = build(&site);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.contains("error[file-too-large]: content/g/web.md is 2.9 MB of text; guidepost reads at most 2.0 MB per file"),
        "{s}"
    );
    // the place where the limit is crossed, and how to split the channel
    assert!(s.contains(" --> content/g/web.md:52434:1"), "{s}");
    assert!(
        s.contains("split the channel's steps over two channel files"),
        "{s}"
    );
    assert!(!out.path().join("public").exists());
}

/// NUL bytes become U+FFFD, with a warning at the first one.
#[test]
fn nul_bytes_are_replaced_with_a_warning() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    let body = "+++\ntitle = \"网\0页\"\n+++\n\n## 登录\n\n打开\0网页。\n\n```\ncode\0\n```\n";
    write_site(&site, &[("web.md", body.as_bytes())]);
    let (out, o) = build(&site);
    let s = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{s}");
    assert!(
        s.contains("warning[nul-byte]: a NUL byte in the text (and 2 more); replaced with U+FFFD\n --> content/g/web.md:2:11"),
        "{s}"
    );
    // in any text file (pictures such as the share card are binary by nature)
    let all = output_where(&out.path().join("public"), |p| {
        p.extension().is_some_and(|x| x != "png")
    });
    assert!(!all.contains(&0), "a NUL byte was published");
    let page = std::fs::read_to_string(out.path().join("public/g/web/index.html")).unwrap();
    assert!(page.contains("打开\u{FFFD}网页"), "{page}");
    assert!(page.contains("网\u{FFFD}页"), "{page}");
}

/// A template that loops without end stops at the page size limit: a diagnostic that names the
/// template, no staging folder left behind, the previous output as it was. It ran out of memory.
#[test]
fn a_runaway_template_loop_stops_at_the_page_limit() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let public = t.path().join("public");
    let args = [
        "build",
        "--no-lock",
        "--root",
        site.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ];
    let o = guidepost(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = all_output(&public);
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}\n{% block content %}{% for i in range(end=100000) %}{% for j in range(end=100000) %}x{% endfor %}{% endfor %}{% endblock content %}\n",
    )
    .unwrap();
    let o = guidepost(&args);
    let s = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(
        s.contains("error[page-too-large]: the page 404.html would be larger than 32 MB; stopped rendering it\n  |\n  = note: in templates/404.html"),
        "{s}"
    );
    assert_eq!(all_output(&public), before);
    assert!(!t.path().join(".public.staging").exists());
    assert!(!t.path().join(".public.old").exists());
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
