//! `guidepost serve`: the real binary on a free port, talked to over loopback HTTP.
//!
//! Requests are written by hand on a `TcpStream` (HTTP/1.0, so bodies are not chunked), which
//! lets the tests send paths an HTTP client library would normalise or refuse to send. Every
//! wait is bounded; the server is killed when the test ends, also when it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::*;

const WAIT: Duration = Duration::from_secs(30);

/// A running `guidepost serve`; killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// Lines before this one were matched already.
    cursor: usize,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn start(root: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guidepost"))
            .args(["serve", "--root", root.to_str().unwrap(), "--port", "0"])
            .args(extra)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start guidepost serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = Server {
            child,
            port: 0,
            log: rx,
            seen: Vec::new(),
            cursor: 0,
        };
        let line = s.wait_log("serving ");
        s.cursor = 0;
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        s.port = port;
        s
    }

    /// The next log line containing `needle` (bounded wait).
    pub(crate) fn wait_log(&mut self, needle: &str) -> String {
        if let Some(i) = self.seen[self.cursor..]
            .iter()
            .position(|l| l.contains(needle))
        {
            self.cursor += i + 1;
            return self.seen[self.cursor - 1].clone();
        }
        self.cursor = self.seen.len();
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    self.cursor = self.seen.len();
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle:?} within {WAIT:?}; log:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    pub(crate) fn get(&self, path: &str) -> Reply {
        self.request(&format!(
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        ))
    }

    fn request(&self, raw: &str) -> Reply {
        self.request_bytes(raw.as_bytes())
    }

    /// Sends `raw` (a request with a body that may not be text) and reads the reply.
    pub(crate) fn request_bytes(&self, raw: &[u8]) -> Reply {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(raw).unwrap();
        let mut bytes = Vec::new();
        s.read_to_end(&mut bytes).unwrap();
        Reply::parse(&bytes)
    }

    fn events(&self) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            s,
            "GET /__guidepost/events HTTP/1.0\r\nHost: localhost:{}\r\n\r\n",
            self.port
        )
        .unwrap();
        Events {
            stream: BufReader::new(s),
            pending: String::new(),
        }
    }
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Reply {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response");
        let head = String::from_utf8_lossy(&bytes[..split]).to_ascii_lowercase();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap();
        Reply {
            status,
            head,
            body: bytes[split + 4..].to_vec(),
        }
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn html(&self) -> scraper::Html {
        crate::parse_html(&self.text())
    }
}

/// The server-sent events of one open page.
struct Events {
    stream: BufReader<TcpStream>,
    pending: String,
}

impl Events {
    /// The next `update` event's JSON (bounded wait).
    fn next(&mut self) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        let mut event = String::new();
        loop {
            assert!(Instant::now() < deadline, "no update event within {WAIT:?}");
            let mut line = std::mem::take(&mut self.pending);
            match self.stream.read_line(&mut line) {
                Ok(0) => panic!("the event stream ended"),
                Ok(_) if line.ends_with('\n') => {}
                Ok(_) | Err(_) => {
                    // a timeout mid-line: keep what came, read on
                    self.pending = line;
                    continue;
                }
            }
            let line = line.trim_end();
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = line.strip_prefix("data: ")
                && event == "update"
            {
                return serde_json::from_str(d).unwrap();
            }
        }
    }

    /// Skips updates until one in `state`.
    fn until(&mut self, state: &str) -> serde_json::Value {
        loop {
            let u = self.next();
            if u["state"] == state {
                return u;
            }
        }
    }
}

/// Saves as editors do (a temporary file renamed over the original), so the server never sees
/// a half-written file.
fn save(path: impl AsRef<Path>, text: impl AsRef<[u8]>) {
    let path = path.as_ref();
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn step_titles(r: &Reply) -> Vec<String> {
    let doc = r.html();
    select(&doc, "h2, h3")
        .iter()
        .map(text)
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn a_save_reloads_open_pages_and_an_error_shows_over_the_last_good_build() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let mut server = Server::start(&site, &[]);
    server.wait_log("built all");

    let page = server.get("/renew-card/web/");
    assert_eq!(page.status, 200);
    assert!(page.head.contains("content-type: text/html; charset=utf-8"));
    let doc = page.html();
    let scripts = select(&doc, "script[src='/__guidepost/live.js']");
    assert_eq!(scripts.len(), 1, "the live script is injected once");
    assert_eq!(
        scripts[0].value().attr("data-page"),
        Some("renew-card/web/index.html")
    );
    assert!(select(&doc, "#guidepost-overlay").is_empty());

    let mut events = server.events();
    let first = events.next();
    assert_eq!(first["state"], "ok");
    assert_eq!(first["generation"], 1);

    // save a change to one channel: its page and its guide page are rendered again
    let web = site.join("content/renew-card/web.md");
    let good = std::fs::read_to_string(&web).unwrap();
    save(&web, good.replace("登录网上办事大厅", "登录新版办事大厅"));
    let u = events.until("ok");
    assert_eq!(u["generation"], 2);
    let mut pages: Vec<String> = u["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "renew-card/index.html",
            "renew-card/print/index.html",
            "renew-card/web/index.html",
            "share/renew-card/index.html"
        ],
        "only the changed channel's page, its guide page, the guide's print layout and its staff share page (step titles)"
    );
    let line = server.wait_log("rebuilt 4 pages");
    assert!(line.contains("content/renew-card/web.md changed"), "{line}");
    let page = server.get("/renew-card/web/");
    assert!(
        step_titles(&page)
            .iter()
            .any(|t| t.contains("登录新版办事大厅")),
        "{:?}",
        step_titles(&page)
    );

    // break the front matter: every open page is told, the last good build stays served
    save(&web, good.replacen("title =", "titel =", 1));
    let u = events.until("failed");
    assert_eq!(u["generation"], 2, "nothing was published");
    let d = u["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-key")
        .unwrap_or_else(|| panic!("{u}"));
    assert_eq!(d["location"], "content/renew-card/web.md:2:1");
    assert_eq!(d["marked"], "titel");
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `title`?")
    );
    server.wait_log("rebuild failed");
    let page = server.get("/renew-card/web/");
    assert_eq!(page.status, 200);
    assert!(
        step_titles(&page)
            .iter()
            .any(|t| t.contains("登录新版办事大厅")),
        "the last good page is still served"
    );
    let doc = page.html();
    let overlay = select(&doc, "#guidepost-overlay");
    assert_eq!(
        overlay.len(),
        1,
        "a page loaded now shows the errors without JS"
    );
    let o = text(&overlay[0]);
    assert!(
        o.contains("error[unknown-key]: unknown key `titel` in the front matter"),
        "{o}"
    );
    assert!(o.contains("content/renew-card/web.md:2:1"), "{o}");
    let marks: Vec<String> = select(&doc, "#guidepost-overlay mark")
        .iter()
        .map(text)
        .collect();
    assert!(marks.contains(&"titel".to_string()), "{marks:?}");
    // other pages show it too
    let home = server.get("/");
    assert_eq!(select(&home.html(), "#guidepost-overlay").len(), 1);

    // fix it: the overlay goes, the page reloads with the fixed content
    save(&web, &good);
    let u = events.until("ok");
    assert_eq!(u["generation"], 3);
    server.wait_log("rebuilt");
    let page = server.get("/renew-card/web/");
    assert!(select(&page.html(), "#guidepost-overlay").is_empty());
    assert!(
        step_titles(&page)
            .iter()
            .any(|t| t.contains("登录网上办事大厅"))
    );

    // a new channel appears, and goes again
    let app = site.join("content/renew-card/app.md");
    save(
        &app,
        "+++\ntitle = \"校园 APP\"\n+++\n\n## 打开 APP\n\n点击“校园卡”。\n",
    );
    events.until("ok");
    assert_eq!(server.get("/renew-card/app/").status, 200);
    std::fs::remove_file(&app).unwrap();
    events.until("ok");
    assert_eq!(server.get("/renew-card/app/").status, 404);

    // served from memory: nothing written into the site
    assert!(!site.join("public").exists());
    // and `build` output never carries the live script
    let (out, o) = build(&site);
    assert!(o.status.success(), "{}", stderr(&o));
    for e in walkdir::WalkDir::new(out.path()) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "html") {
            let s = std::fs::read_to_string(e.path()).unwrap();
            assert!(!s.contains("__guidepost"), "{}", e.path().display());
        }
    }
}

#[test]
fn only_files_of_the_build_only_get_and_head() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let server = Server::start(&site, &[]);
    let secret = std::fs::read_to_string(site.join("site.toml")).unwrap();

    for path in [
        "/../site.toml",
        "/renew-card/../../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E%2Fsite.toml",
        "/renew-card/%2f..%2f..%2fsite.toml",
        "/..%5csite.toml",
        "/renew-card\\..\\..\\site.toml",
        "/%00",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert!(!r.text().contains(&secret), "{path}");
    }
    // the sources are not files of the build
    for path in [
        "/site.toml",
        "/content/renew-card/web.md",
        "/renew-card/web.md",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("title ="), "{path}");
    }
    // a screenshot as the build publishes it (processed, under its hashed name) is; the
    // original never is
    let page = server.get("/renew-card/web/");
    let src = select(&page.html(), "img[src*='images/login.']")[0]
        .value()
        .attr("src")
        .unwrap()
        .to_string();
    let path = format!("/{}", src.trim_start_matches("../"));
    let r = server.get(&path);
    assert_eq!(r.status, 200, "{path}");
    assert!(
        r.head.contains("content-type: image/webp") || r.head.contains("content-type: image/png"),
        "{}",
        r.head
    );
    assert_ne!(
        r.body,
        std::fs::read(site.join("content/renew-card/images/login.png")).unwrap()
    );
    assert_eq!(server.get("/renew-card/images/login.png").status, 404);
    // a page without its slash, as a static host does
    let r = server.get("/renew-card?x=1");
    assert_eq!(r.status, 308);
    assert!(r.head.contains("location: /renew-card/?x=1"), "{}", r.head);
    // a missing page: the site's 404 page, with the live script; it links by the path of
    // `base_url` (https://example.edu.cn/guides), which the preview serves too
    let r = server.get("/nothing-here/");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/__guidepost/live.js"));
    let css: Vec<String> = select(&r.html(), "link[rel=stylesheet]")
        .iter()
        .filter_map(|l| l.value().attr("href").map(str::to_string))
        .collect();
    assert!(css[0].starts_with("/guides/static/"), "{css:?}");
    assert_eq!(server.get(&css[0]).status, 200);

    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = server.request(&format!(
            "{method} / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        ));
        assert_eq!(r.status, 405, "{method}");
        assert!(r.head.contains("allow: get, head"), "{}", r.head);
    }
    let r = server.request("HEAD /renew-card/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "HEAD has no body");
    assert!(r.head.contains("content-length: "), "{}", r.head);
    // a name that only points here (DNS rebinding) is refused
    let r = server.request("GET / HTTP/1.0\r\nHost: evil.example.com\r\n\r\n");
    assert_eq!(r.status, 403);
}

#[test]
fn a_site_broken_from_the_start_shows_its_errors_until_fixed() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let web = site.join("content/renew-card/web.md");
    let good = std::fs::read_to_string(&web).unwrap();
    save(&web, good.replacen("title =", "titel =", 1));
    let mut server = Server::start(&site, &[]);
    server.wait_log("build failed");
    let r = server.get("/renew-card/web/");
    assert_eq!(r.status, 503);
    let doc = r.html();
    assert_eq!(select(&doc, "#guidepost-overlay").len(), 1);
    assert_eq!(select(&doc, "script[data-generation='0']").len(), 1);
    let mut events = server.events();
    assert_eq!(events.next()["state"], "failed");
    save(&web, &good);
    let u = events.until("ok");
    assert_eq!(u["generation"], 1);
    assert_eq!(server.get("/renew-card/web/").status, 200);
}

#[test]
fn a_port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = guidepost(&[
        "serve",
        "--root",
        fixture("basic").to_str().unwrap(),
        "--port",
        &port,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let s = stderr(&o);
    assert!(
        s.contains(&format!(
            "error: port {port} on 127.0.0.1 is already in use"
        )),
        "{s}"
    );
    assert!(s.contains("--port "), "{s}");
}

#[test]
fn polling_sees_changes_too() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let server = Server::start(&site, &["--poll"]);
    let mut events = server.events();
    assert_eq!(events.next()["generation"], 1);
    let web = site.join("content/renew-card/web.md");
    let good = std::fs::read_to_string(&web).unwrap();
    save(&web, good.replace("登录网上办事大厅", "登录轮询办事大厅"));
    let u = events.until("ok");
    assert_eq!(u["generation"], 2);
    assert!(
        server
            .get("/renew-card/web/")
            .text()
            .contains("登录轮询办事大厅")
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() {
    let t = copy_fixture("basic");
    let mut server = Server::start(&t.path().join("site"), &[]);
    let mut events = server.events();
    events.next();
    let pid = libc::pid_t::try_from(server.child.id()).unwrap();
    // SAFETY: sends SIGINT (what Ctrl-C sends) to the child this test started and still owns
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    server.wait_log("stopping");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "still running {WAIT:?} after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn reading_a_file_triggers_nothing() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let mut server = Server::start(&site, &[]);
    server.wait_log("serving ");
    let web = site.join("content/renew-card/web.md");
    for _ in 0..5 {
        std::fs::read_to_string(&web).unwrap();
        std::fs::read_to_string(site.join("site.toml")).unwrap();
    }
    // what a read would set off has had time to show (debounce: 20 ms)
    std::thread::sleep(Duration::from_millis(300));
    let good = std::fs::read_to_string(&web).unwrap();
    save(&web, good.replace("登录网上办事大厅", "登录办事大厅"));
    server.wait_log("rebuilt");
    assert!(
        !server
            .seen
            .iter()
            .any(|l| l.contains("no page changed") || l.contains("rebuilt all")),
        "a read set off a rebuild:\n{}",
        server.seen.join("\n")
    );
}

#[test]
fn a_templates_folder_created_while_serving_is_watched() {
    let t = copy_fixture("basic");
    let site = t.path().join("site");
    let mut server = Server::start(&site, &[]);
    let mut events = server.events();
    assert_eq!(events.next()["generation"], 1);
    let page = |marker: &str| {
        format!(
            "{{% extends \"base.html\" %}}{{% block content %}}<h1>{marker}</h1>{{% endblock content %}}"
        )
    };
    // a new folder with a template: a theme change renders every page
    std::fs::create_dir(site.join("templates")).unwrap();
    save(site.join("templates/404.html"), page("找不到甲"));
    loop {
        let u = events.until("ok");
        if server.get("/missing/").text().contains("找不到甲") {
            assert!(u["pages"].is_null(), "{u}");
            break;
        }
    }
    server.wait_log("rebuilt all");
    // and changes inside it are seen
    save(site.join("templates/404.html"), page("找不到乙"));
    loop {
        events.until("ok");
        if server.get("/missing/").text().contains("找不到乙") {
            break;
        }
    }
}

/// The input rule under `serve`: a file swapped for a link after a good build is neither rebuilt
/// nor served, and a linked `static/` is not served from the start.
#[cfg(unix)]
#[test]
fn links_to_outside_files_are_never_served() {
    let t = tempfile::tempdir().unwrap();
    let secret = t.path().join("passwd");
    std::fs::write(&secret, "root:SECRET").unwrap();
    let etc = t.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("shadow"), "root:SECRET-HASH").unwrap();
    let site = t.path().join("site");
    write_site(
        &site,
        &[(
            "web.md",
            "---\ntitle: 网站\n---\n\n## 下载表格\n\n下载[表格](files/form.txt)。\n".as_bytes(),
        )],
    );
    std::fs::create_dir_all(site.join("content/g/files")).unwrap();
    std::fs::write(site.join("content/g/files/form.txt"), "表格").unwrap();
    std::os::unix::fs::symlink(&etc, site.join("static")).unwrap();
    let mut server = Server::start(&site, &[]);
    server.wait_log("built all");
    let mut events = server.events();
    assert_eq!(events.next()["state"], "ok");
    assert_eq!(server.get("/g/files/form.txt").text(), "表格");
    let r = server.get("/static/shadow");
    assert_eq!(r.status, 404);
    assert!(!r.text().contains("SECRET"));

    std::fs::remove_file(site.join("content/g/files/form.txt")).unwrap();
    std::os::unix::fs::symlink(&secret, site.join("content/g/files/form.txt")).unwrap();
    events.next();
    let r = server.get("/g/files/form.txt");
    assert_ne!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("SECRET"), "{}", r.text());
    // and a rebuild for another reason does not bring it back
    save(
        site.join("content/g/web.md"),
        "---\ntitle: 网站\n---\n\n## 下载表格\n\n请下载表格。\n",
    );
    events.until("ok");
    let r = server.get("/g/files/form.txt");
    assert_ne!(r.status, 200);
    assert!(!r.text().contains("SECRET"));
}

/// Every file `build` writes, as `serve` answers it: the same bytes, but for the live-reload
/// script the preview adds to HTML pages. Returns how many files were compared. An editor's
/// save can reach the watcher as several events, so a difference is looked at again (a fresh
/// build and every file once more) until the preview has settled, for at most `WAIT`.
fn assert_serves_the_build(server: &Server, site: &Path) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        match serves_the_build(server, site) {
            Ok(n) => return n,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
}

fn serves_the_build(server: &Server, site: &Path) -> Result<usize, String> {
    let (out, o) = build(site);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let mut compared = 0;
    let mut differ = Vec::new();
    for e in walkdir::WalkDir::new(&public).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() || e.file_name() == ".guidepost" {
            continue;
        }
        let rel = e.path().strip_prefix(&public).unwrap().to_str().unwrap();
        let built = std::fs::read(e.path()).unwrap();
        let url: String = rel
            .split('/')
            .map(|s| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("/");
        let r = server.get(&format!("/{url}"));
        let mut served = r.body;
        if rel.ends_with(".html") {
            let text = String::from_utf8(served).unwrap();
            // what the preview adds: the live-reload script, then the studio's style, manifest
            // and script (none of which a build carries)
            let start = text.find("<script src=\"/__guidepost/live.js\"");
            served = match start {
                Some(s) => {
                    let last = text[s..]
                        .find("<script src=\"/__guidepost/studio.js\"")
                        .map_or(s, |at| s + at);
                    let end = last + text[last..].find("</script>").unwrap() + "</script>".len();
                    format!("{}{}", &text[..s], &text[end..]).into_bytes()
                }
                None => text.into_bytes(),
            };
            assert!(
                !String::from_utf8_lossy(&built).contains("__guidepost"),
                "{rel}: the build carries the preview's tools"
            );
        }
        if r.status != 200 && !(rel == "404.html" && r.status == 404) {
            differ.push(format!("{rel}: status {}", r.status));
        } else if served != built {
            differ.push(format!(
                "{rel}: {} bytes served, {} built",
                served.len(),
                built.len()
            ));
        }
        compared += 1;
    }
    if differ.is_empty() {
        Ok(compared)
    } else {
        Err(format!(
            "serve differs from build in {} of {compared} files:\n{}",
            differ.len(),
            differ.join("\n")
        ))
    }
}

/// serve publishes what build publishes, on the fixtures and on the sample, after a cold start
/// and after a sequence of edits.
#[test]
fn serve_answers_the_bytes_build_writes() {
    // the sample site of the repository, with its lock
    let sample = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for e in walkdir::WalkDir::new(repo.join("content")) {
        let e = e.unwrap();
        let dest = sample.path().join(e.path().strip_prefix(repo).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
    for f in ["site.toml", "links.lock"] {
        std::fs::copy(repo.join(f), sample.path().join(f)).unwrap();
    }
    for fixture in [
        "basic",
        "links",
        "screenshots",
        "print",
        "bom-crlf",
        "sample",
    ] {
        let (t, site) = match fixture {
            "screenshots" => crate::images::screenshot_site(),
            "sample" => (tempfile::tempdir().unwrap(), sample.path().to_path_buf()),
            _ => {
                let t = copy_fixture(fixture);
                let site = t.path().join("site");
                (t, site)
            }
        };
        let mut server = Server::start(&site, &[]);
        server.wait_log("built all");
        let n = assert_serves_the_build(&server, &site);
        assert!(n > 5, "{fixture}: only {n} files");
        drop(t);
    }
}

/// The same after edits: a channel changed, a screenshot added, a sidecar changed, a guide added
/// and deleted, a template changed.
#[test]
fn serve_answers_the_bytes_build_writes_after_edits() {
    let (_t, site) = crate::images::screenshot_site();
    let mut server = Server::start(&site, &[]);
    let mut events = server.events();
    events.until("ok");
    assert_serves_the_build(&server, &site);
    let guide = walkdir::WalkDir::new(site.join("content"))
        .min_depth(1)
        .max_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_dir())
        .unwrap()
        .path()
        .to_path_buf();
    let channel = std::fs::read_dir(&guide)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "md") && !p.ends_with("_index.md"))
        .unwrap();
    // a channel changed
    let text = std::fs::read_to_string(&channel).unwrap();
    save(
        &channel,
        format!("{text}\n## 新增的一步\n\n点击“完成”。\n\n![完成页面](images/new-step.png)\n"),
    );
    events.until("ok");
    assert_serves_the_build(&server, &site);
    // a screenshot added (into the slot just written)
    std::fs::create_dir_all(guide.join("images")).unwrap();
    let tmp = guide.join("images/.new-step.png");
    crate::shotgen::screenshot(750, 1334, 2, 7)
        .save(&tmp)
        .unwrap();
    std::fs::rename(&tmp, guide.join("images/new-step.png")).unwrap();
    events.until("ok");
    assert_serves_the_build(&server, &site);
    // a sidecar changed
    save(
        guide.join("images/new-step.toml"),
        "[[highlight]]\nrect = [10, 10, 100, 50]\nlabel = \"点这里\"\n",
    );
    events.until("ok");
    assert_serves_the_build(&server, &site);
    // a guide added, then deleted
    let other = site.join("content/other-guide");
    std::fs::create_dir_all(&other).unwrap();
    save(
        other.join("_index.md"),
        "+++\ntitle = \"另一个指南\"\n+++\n",
    );
    save(
        other.join("web.md"),
        "---\ntitle: 网站\n---\n\n## 打开\n\n点击。\n",
    );
    events.until("ok");
    assert_serves_the_build(&server, &site);
    std::fs::remove_dir_all(&other).unwrap();
    events.until("ok");
    assert_serves_the_build(&server, &site);
    // a template changed
    std::fs::create_dir_all(site.join("templates")).unwrap();
    save(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}{% block content %}<h1>没有这一页</h1>{% endblock content %}",
    );
    server.wait_log("rebuilt all");
    assert_serves_the_build(&server, &site);
}

/// Two sources for one output path, made while serving: reported as the build reports them
/// (serve skips the check only while the output's paths stay as they were when it found none).
#[test]
fn output_clashes_made_while_serving_are_reported() {
    let t = tempfile::tempdir().unwrap();
    let site = t.path().join("site");
    write_site(
        &site,
        &[(
            "web.md",
            "---\ntitle: 网站\n---\n\n## 打开\n\n点击。\n".as_bytes(),
        )],
    );
    let mut server = Server::start(&site, &[]);
    server.wait_log("built all");
    let mut events = server.events();
    assert_eq!(events.next()["state"], "ok");
    let codes = |u: &serde_json::Value| -> Vec<String> {
        u["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // a linked file over the guide page
    save(site.join("content/g/index.html"), "<p>mine</p>");
    save(
        site.join("content/g/web.md"),
        "---\ntitle: 网站\n---\n\n## 打开\n\n见[页面](index.html)。\n",
    );
    let u = events.until("failed");
    assert!(codes(&u).contains(&"output-clash".to_string()), "{u}");
    // fixed, then a channel named print
    save(
        site.join("content/g/web.md"),
        "---\ntitle: 网站\n---\n\n## 打开\n\n点击。\n",
    );
    events.until("ok");
    save(
        site.join("content/g/print.md"),
        "---\ntitle: 打印\n---\n\n## 打开\n\n点击。\n",
    );
    let u = events.until("failed");
    assert!(codes(&u).contains(&"reserved-name".to_string()), "{u}");
}
