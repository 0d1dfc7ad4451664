//! `guidepost serve`: a live preview that rebuilds on every save and shows errors in the browser.
//!
//! Three parts, connected by channels:
//! - the *watcher* (notify, debounced by notify-debouncer-full) reports changed paths under
//!   `site.toml`, `content/`, `templates/` and `static/`; reads (access events) are dropped;
//! - the *rebuild thread* owns the [`Session`] and turns each batch of changes into a rebuild
//!   of what they affect, logs one line, and publishes an [`Update`] (a generation number, the
//!   pages that changed, or the diagnostics of a failed rebuild);
//! - the *server* (axum on tokio) answers GET and HEAD from the session's in-memory files only,
//!   injects the live script into HTML pages (never into `build` output), renders the error
//!   overlay into pages while the site is broken, and streams updates to open pages as
//!   server-sent events (`/__guidepost/events`), on which they reload, keeping their scroll.
//!
//! Unlike the other commands, which return values for `main.rs` to print, the preview writes
//! its log to stderr itself (the address it serves, one line per rebuild, watcher warnings):
//! it runs until Ctrl-C, and its log is what it is for. The caller still decides the colours
//! ([`ServeOptions::color`]) and the progress bars ([`ServeOptions::progress`]).

pub mod session;
pub mod studio;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, mpsc};
use std::time::Duration;

use axum::body::{Body as HttpBody, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, NoCache};
use serde::Serialize;
use tokio::sync::watch;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::progress::Progress;
use crate::serve::session::{Body, Files, Outcome, Report, Session};

/// The prefix of the URLs the preview adds; no page of a site can have it (ids are slugs).
const PREFIX: &str = "/__guidepost/";
const LIVE_JS: &str = include_str!("serve/live.js");
const OVERLAY_CSS: &str = include_str!("serve/overlay.css");
/// How long the watcher waits for a burst of events (an editor's save) to end.
const DEBOUNCE: Duration = Duration::from_millis(20);
const POLL_INTERVAL: Duration = Duration::from_secs(1);

pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub bind: IpAddr,
    pub open: bool,
    pub poll: bool,
    pub drafts: bool,
    /// Let pages write screenshots and their settings even when bound to a non-loopback address.
    pub allow_edit: bool,
    /// Colour the diagnostics in the log.
    pub color: bool,
    /// Told how the image stage gets on.
    pub progress: Arc<dyn Progress + Send>,
}

/// What open pages are told after a rebuild.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// Counts successful rebuilds (0: nothing built yet); a page knows the one it was served in.
    pub generation: u64,
    /// `ok` or `failed`.
    pub state: &'static str,
    /// Output paths of the pages rendered again; `null`: every page.
    pub pages: Option<Vec<String>>,
    /// Of a failed rebuild (errors and warnings).
    pub diagnostics: Vec<DiagnosticView>,
    pub title: String,
    pub note: &'static str,
    pub css: &'static str,
    #[serde(skip)]
    pub stop: bool,
}

/// A diagnostic as the overlay shows it: the marked part of the source line split out.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticView {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub location: Option<String>,
    pub line: usize,
    pub before: String,
    pub marked: String,
    pub after: String,
    pub help: Option<String>,
}

impl DiagnosticView {
    pub fn new(d: &Diagnostic) -> DiagnosticView {
        let (line, before, marked, after) = match &d.span {
            Some(s) if s.line > 0 => {
                let chars: Vec<char> = s.line_text.chars().collect();
                let start = (s.column.max(1) - 1).min(chars.len());
                let end = (start + s.len.max(1)).min(chars.len());
                (
                    s.line,
                    chars[..start].iter().collect(),
                    chars[start..end].iter().collect(),
                    chars[end..].iter().collect(),
                )
            }
            _ => (0, String::new(), String::new(), String::new()),
        };
        DiagnosticView {
            severity: d.severity,
            code: d.code,
            message: d.message.clone(),
            location: d.location(),
            line,
            before,
            marked,
            after,
            help: d.help.clone(),
        }
    }
}

impl Update {
    fn ok(generation: u64, pages: Option<Vec<String>>) -> Update {
        Update {
            generation,
            state: "ok",
            pages,
            diagnostics: Vec::new(),
            title: String::new(),
            note: "",
            css: "",
            stop: false,
        }
    }

    fn failed(generation: u64, diags: &Diagnostics) -> Update {
        let errors = diags.errors();
        Update {
            generation,
            state: "failed",
            pages: None,
            diagnostics: diags.0.iter().map(DiagnosticView::new).collect(),
            title: format!("网站有 {errors} 处错误，预览未更新"),
            note: if generation == 0 {
                "网站还没有成功构建过。修正文件并保存后，页面会自动刷新。"
            } else {
                "下面是仍在显示的上一次成功构建的页面。修正文件并保存后，页面会自动刷新。"
            },
            css: OVERLAY_CSS,
            stop: false,
        }
    }

    /// The overlay as HTML, for a page served while the site is broken (works without JS).
    pub fn overlay_html(&self) -> String {
        if self.state != "failed" {
            return String::new();
        }
        let mut h = String::new();
        h.push_str("<div id=\"guidepost-overlay\" role=\"alert\" lang=\"zh-CN\"><style>");
        h.push_str(self.css);
        h.push_str(
            "</style><div class=\"gp-box\"><div class=\"gp-head\"><strong class=\"gp-title\">",
        );
        h.push_str(&escape(&self.title));
        h.push_str("</strong></div><p class=\"gp-note\">");
        h.push_str(&escape(self.note));
        h.push_str("</p><ol class=\"gp-list\">");
        for d in self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            h.push_str("<li class=\"gp-diag\"><p class=\"gp-msg\">");
            h.push_str(&escape(&format!("error[{}]: {}", d.code, d.message)));
            h.push_str("</p>");
            if let Some(l) = &d.location {
                h.push_str("<p class=\"gp-loc\">");
                h.push_str(&escape(l));
                h.push_str("</p>");
            }
            if d.line > 0 {
                h.push_str(&format!(
                    "<pre class=\"gp-src\"><span class=\"gp-ln\">{}</span>{}<mark>{}</mark>{}</pre>",
                    d.line,
                    escape(&d.before),
                    escape(&d.marked),
                    escape(&d.after)
                ));
            }
            if let Some(help) = &d.help {
                h.push_str("<p class=\"gp-help\">");
                h.push_str(&escape(help));
                h.push_str("</p>");
            }
            h.push_str("</li>");
        }
        h.push_str("</ol></div></div>");
        h
    }
}

fn escape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 16);
    let _ = tera::escape_html(s, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Runs the preview until Ctrl-C. `Err` is a message for the user (exit code 2).
pub fn serve(opts: ServeOptions) -> Result<(), String> {
    let color = opts.color;
    // dunce: on Windows a plain `C:\…` path where one will do, not `\\?\C:\…`, which every
    // message would show (std still adds `\\?\` itself to reach paths past 260 characters)
    let root = dunce::canonicalize(&opts.root)
        .map_err(|e| format!("cannot open {}: {e}", opts.root.display()))?;

    let listener = bind(opts.bind, opts.port)?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the address of the server: {e}"))?;

    // watching first: a save during the first build is rebuilt right after it
    let (change_tx, change_rx) = mpsc::channel::<Vec<PathBuf>>();
    let watcher = Watcher::start(&root, opts.poll, change_tx)?;

    // the open pages reload as soon as their pages are rendered; the search index after
    let mut session = Session::new(&root, opts.drafts)
        .with_progress(opts.progress.clone())
        .deferring_index();
    let first = session.rebuild_all("start");
    let generation = u64::from(!matches!(first.outcome, Outcome::Failed(_)));
    log(&first, color, generation);
    let initial = match &first.outcome {
        Outcome::Failed(d) => Update::failed(0, d),
        _ => Update::ok(generation, None),
    };
    let (live_tx, live_rx) = watch::channel(initial);
    let live_tx = Arc::new(live_tx);

    let files = session.files();
    let rebuild_live = live_tx.clone();
    std::thread::Builder::new()
        .name("guidepost-rebuild".into())
        .spawn(move || rebuild_loop(session, watcher, change_rx, rebuild_live, generation, color))
        .map_err(|e| format!("cannot start the rebuild thread: {e}"))?;

    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}/", addr.port());
    eprintln!(
        "serving {} at {url} (watching {}; Ctrl-C to stop)",
        root.display(),
        if opts.poll {
            "by polling every second"
        } else {
            "for changes"
        }
    );
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: --bind {} makes the preview reachable from the network: anyone who can reach this computer can read the site, drafts included. Use it only on a network you trust.",
            opts.bind
        );
    }
    let editing = opts.bind.is_loopback() || opts.allow_edit;
    if !opts.bind.is_loopback() {
        if opts.allow_edit {
            eprintln!(
                "warning: --allow-edit with --bind {}: pages opened from other computers can add and replace screenshots in content/. Use it only on a network you trust.",
                opts.bind
            );
        } else {
            eprintln!(
                "note: the screenshot studio (adding screenshots and redactions in the browser) is off with --bind {}; add --allow-edit to turn it on",
                opts.bind
            );
        }
    }
    if opts.open
        && let Err(e) = open::that_detached(&url)
    {
        eprintln!("warning: cannot open a browser ({e}); open {url} yourself");
    }

    let app = Arc::new(App {
        files,
        root: root.to_path_buf(),
        live: live_rx,
        loopback_only: opts.bind.is_loopback(),
        studio: editing.then(|| studio::Studio::new(addr.port(), opts.bind.is_loopback())),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let router = axum::Router::new()
            .route(
                "/__guidepost/studio/{action}",
                axum::routing::any(studio::handle),
            )
            .fallback(handle)
            .with_state(app);
        let stop_live = live_tx.clone();
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                stopped().await;
                eprintln!("stopping");
                // end the event streams, so open connections can close
                stop_live.send_modify(|u| u.stop = true);
                // never hang on a client that does not let go
                std::thread::spawn(|| {
                    std::thread::sleep(Duration::from_secs(2));
                    std::process::exit(0);
                });
            })
            .await
            .map_err(|e| format!("the server failed: {e}"))
    })?;
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(())
}

/// Resolves on Ctrl-C (and, on Unix, on SIGTERM).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn bind(ip: IpAddr, port: u16) -> Result<std::net::TcpListener, String> {
    let addr = SocketAddr::new(ip, port);
    std::net::TcpListener::bind(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            let free = (port.saturating_add(1)..port.saturating_add(20))
                .find(|p| std::net::TcpListener::bind(SocketAddr::new(ip, *p)).is_ok());
            let suggestion = match free {
                Some(p) => format!("choose another port: guidepost serve --port {p}"),
                None => "choose another port with --port N (or --port 0 for any free one)".into(),
            };
            format!(
                "port {port} on {ip} is already in use (another `guidepost serve`, or another program): stop it, or {suggestion}"
            )
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "not allowed to listen on port {port} on {ip}: ports below 1024 need special rights; use a port such as 1111 (--port 1111)"
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "cannot listen on {ip}: this computer has no such address; use --bind 127.0.0.1 (this computer only) or --bind 0.0.0.0 (every network)"
        ),
        _ => format!("cannot listen on {addr}: {e}"),
    })
}

/// One line per rebuild, with the diagnostics of a failed one before it.
fn log(r: &Report, color: bool, generation: u64) {
    let time = jiff::ZonedDateTime::now().strftime("%H:%M:%S").to_string();
    let took = took(r.elapsed);
    let first = r.cause == "start";
    // the changed file as the terminal's users write paths (`content\g\web.md` on Windows)
    let cause = crate::diagnostic::native_path(&r.cause);
    match &r.outcome {
        Outcome::Failed(d) => {
            eprint!("{}", d.render(color));
            eprintln!(
                "[{time}] {} failed{}: {} error{}, {} warning{}; {}",
                if first { "build" } else { "rebuild" },
                if first {
                    String::new()
                } else {
                    format!(" ({cause} changed)")
                },
                d.errors(),
                plural(d.errors()),
                d.warnings(),
                plural(d.warnings()),
                if generation == 0 {
                    "the browser shows them; fix them and the preview builds again"
                } else {
                    "the browser shows them, and the last good build is still served"
                }
            );
        }
        Outcome::All { pages, warnings } => {
            if first {
                eprint!("{}", warnings.render(color));
            }
            eprintln!(
                "[{time}] {} all {pages} pages in {took}{}{}",
                if first { "built" } else { "rebuilt" },
                if first {
                    String::new()
                } else {
                    format!(" ({cause} changed)")
                },
                warnings_note(warnings)
            );
        }
        Outcome::Some { pages, warnings } if pages.is_empty() => {
            eprintln!(
                "[{time}] no page changed ({cause} changed) in {took}{}",
                warnings_note(warnings)
            );
        }
        Outcome::Some { pages, warnings } => {
            let mut names: Vec<&str> = pages
                .iter()
                .map(|p| p.strip_suffix("index.html").unwrap_or(p))
                .map(|p| if p.is_empty() { "/" } else { p })
                .take(4)
                .collect();
            if pages.len() > 4 {
                names.push("…");
            }
            eprintln!(
                "[{time}] rebuilt {} page{} in {took} ({cause} changed): {}{}",
                pages.len(),
                plural(pages.len()),
                names.join(", "),
                warnings_note(warnings)
            );
        }
    }
}

fn warnings_note(w: &Diagnostics) -> String {
    match w.warnings() {
        0 => String::new(),
        n => format!("; {n} warning{}", plural(n)),
    }
}

fn took(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How long the preview waits after a rebuild for the next save before it makes the search
/// index of the new text (0.4 s at 1,000 guides): saves in a row each reload at once.
const INDEX_AFTER: Duration = Duration::from_millis(300);

fn rebuild_loop(
    mut session: Session,
    mut watcher: Watcher,
    changes: mpsc::Receiver<Vec<PathBuf>>,
    live: Arc<watch::Sender<Update>>,
    mut generation: u64,
    color: bool,
) {
    // changes that came while the loop waited to make the search index
    let mut next: Option<Vec<PathBuf>> = None;
    while let Some(mut paths) = next.take().or_else(|| changes.recv().ok()) {
        // changes that arrived while the last rebuild ran go into this one
        while let Ok(more) = changes.try_recv() {
            paths.extend(more);
        }
        watcher.rewatch(&paths);
        // a bug in a stage must not end the preview: report it, and read everything again
        let attempt =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.update(&paths)));
        let mut report = match attempt {
            Ok(r) => r,
            Err(_) => {
                eprintln!(
                    "error: guidepost failed while rebuilding (a bug: please report it with the file you changed); reading the whole site again"
                );
                let mut fresh = Session::new(session.root(), session.drafts())
                    .with_progress(session.progress());
                let r = fresh.rebuild_all("start");
                // keep serving through the same files
                session.adopt(fresh);
                r
            }
        };
        if let Outcome::Failed(d) = &mut report.outcome {
            // the problems of the file just saved first: the others are often their consequence
            let changed = session.changed();
            d.0.sort_by_key(|d| !d.span.as_ref().is_some_and(|s| changed.contains(&s.file)));
        }
        let update = match &report.outcome {
            Outcome::Failed(d) => Update::failed(generation, d),
            Outcome::All { .. } => {
                generation += 1;
                Update::ok(generation, None)
            }
            Outcome::Some { pages, .. } if !pages.is_empty() => {
                generation += 1;
                Update::ok(generation, Some(pages.clone()))
            }
            // nothing to reload; clears an overlay if a fix changed no page
            Outcome::Some { .. } => Update::ok(generation, Some(Vec::new())),
        };
        let noop = matches!(&report.outcome, Outcome::Some { pages, .. } if pages.is_empty());
        // a change that touched no page (the screenshot cache being written, an editor's temporary
        // file) is news to browsers only when it clears an overlay
        let irrelevant = noop && session.changed().is_empty();
        if !(irrelevant || noop && live.borrow().state == "ok") {
            live.send_replace(update);
        }
        // an editor's temporary files come and go: only a source file saved unchanged is news
        if !noop || session.changed().iter().any(|c| c.ends_with(".md")) {
            log(&report, color, generation);
        }
        // then the search index of the new text, once the author pauses (the previous index is
        // served until then): a save that follows at once is rendered first
        if !matches!(report.outcome, Outcome::Failed(_)) {
            match changes.recv_timeout(INDEX_AFTER) {
                Ok(more) => {
                    next = Some(more);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let made =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.finish_index()));
            if made.is_err() {
                eprintln!(
                    "error: guidepost failed while making the search index (a bug: please report it with the file you changed)"
                );
            }
        }
    }
}

/// The file watcher, native (inotify, FSEvents, ReadDirectoryChanges) or polling.
enum Watcher {
    Native(notify_debouncer_full::Debouncer<notify::RecommendedWatcher, NoCache>),
    Poll(notify_debouncer_full::Debouncer<notify::PollWatcher, NoCache>),
}

impl Watcher {
    fn start(root: &Path, poll: bool, tx: mpsc::Sender<Vec<PathBuf>>) -> Result<Watcher, String> {
        let handler = move |r: DebounceEventResult| match r {
            Ok(events) => {
                let paths: Vec<PathBuf> = events
                    .into_iter()
                    // reading a file is an event too on Linux: never let it trigger a rebuild
                    .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                    .flat_map(|e| e.event.paths)
                    .collect();
                if !paths.is_empty() {
                    let _ = tx.send(paths);
                }
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("warning: {}", watch_error(&e, Path::new("the site")));
                }
            }
        };
        let mut w = if poll {
            // file times are compared in whole seconds: compare contents too, or a second save
            // within the same second goes unseen
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Watcher::Poll(
                notify_debouncer_full::new_debouncer_opt(DEBOUNCE, None, handler, NoCache, config)
                    .map_err(|e| format!("cannot watch the site: {e}"))?,
            )
        } else {
            Watcher::Native(
                notify_debouncer_full::new_debouncer_opt(
                    DEBOUNCE,
                    None,
                    handler,
                    NoCache,
                    notify::Config::default(),
                )
                .map_err(|e| watch_error(&e, root))?,
            )
        };
        // the root itself only for site.toml and for folders created later
        w.watch(root, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(&e, root))?;
        for dir in ["content", "templates", "static"] {
            let d = root.join(dir);
            if d.is_dir() {
                w.watch(&d, RecursiveMode::Recursive)
                    .map_err(|e| watch_error(&e, &d))?;
            }
        }
        Ok(w)
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            Watcher::Native(d) => d.watch(path, mode),
            Watcher::Poll(d) => d.watch(path, mode),
        }
    }

    fn unwatch(&mut self, path: &Path) {
        let _ = match self {
            Watcher::Native(d) => d.unwatch(path),
            Watcher::Poll(d) => d.unwatch(path),
        };
    }

    /// Watches `content/`, `templates/` or `static/` again when one of them was created (or
    /// replaced, as by `git checkout`).
    fn rewatch(&mut self, paths: &[PathBuf]) {
        for p in paths {
            let is_top = p.parent().is_some_and(|parent| {
                p.file_name()
                    .is_some_and(|n| ["content", "templates", "static"].iter().any(|d| n == *d))
                    && parent.join("site.toml").exists()
            });
            if is_top && p.is_dir() {
                self.unwatch(p);
                if let Err(e) = self.watch(p, RecursiveMode::Recursive) {
                    eprintln!("warning: {}", watch_error(&e, p));
                }
            }
        }
    }
}

/// A watcher error as a message, with what to do when the inotify watch limit is reached.
fn watch_error(e: &notify::Error, path: &Path) -> String {
    let limit = match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.raw_os_error() == Some(28), // ENOSPC
        _ => false,
    };
    if limit {
        format!(
            "cannot watch {} for changes: the system's limit on watched folders (inotify, fs.inotify.max_user_watches) is reached\n  help: run `guidepost serve --poll` to check for changes by polling instead, or raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288` (to keep it, add `fs.inotify.max_user_watches=524288` to /etc/sysctl.d/90-inotify.conf)",
            path.display()
        )
    } else {
        format!("cannot watch {} for changes: {e}", path.display())
    }
}

struct App {
    files: Arc<RwLock<Files>>,
    /// The site folder: files are read from disk below it only, never through a link.
    root: PathBuf,
    live: watch::Receiver<Update>,
    loopback_only: bool,
    /// `None`: pages cannot write (bound to the network without `--allow-edit`).
    studio: Option<studio::Studio>,
}

/// Answers every request: only GET and HEAD, only files of the build.
async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "the preview only answers GET and HEAD\n",
        )
            .into_response();
    }
    if app.loopback_only && !loopback_host(&headers) {
        // a page elsewhere reaching the preview through a name that points here (DNS rebinding)
        return (
            StatusCode::FORBIDDEN,
            "the preview answers only to localhost, 127.0.0.1 and [::1]\n",
        )
            .into_response();
    }
    let raw = uri.path();
    if let Some(name) = raw.strip_prefix(PREFIX) {
        return match name {
            "events" => events(&app).into_response(),
            "live.js" => plain(
                StatusCode::OK,
                "text/javascript; charset=utf-8",
                Bytes::from_static(LIVE_JS.as_bytes()),
            ),
            "studio.js" if app.studio.is_some() => plain(
                StatusCode::OK,
                "text/javascript; charset=utf-8",
                Bytes::from_static(studio::STUDIO_JS.as_bytes()),
            ),
            "studio.css" if app.studio.is_some() => plain(
                StatusCode::OK,
                "text/css; charset=utf-8",
                Bytes::from_static(studio::STUDIO_CSS.as_bytes()),
            ),
            _ => not_found(&app, name).await,
        };
    }
    let Some(path) = safe_path(raw) else {
        return (
            StatusCode::BAD_REQUEST,
            "refused: the path leaves the site or is not a plain path\n",
        )
            .into_response();
    };
    let (body, redirect) = {
        let files = app.files.read().unwrap_or_else(|e| e.into_inner());
        let body = files.get(&path);
        // `/guide` → `/guide/`, as a static host does
        let redirect = body.is_none() && files.pages.contains_key(&format!("{path}/index.html"));
        (body, redirect)
    };
    if redirect {
        let mut to = format!("{raw}/");
        if let Some(q) = uri.query() {
            to.push('?');
            to.push_str(q);
        }
        return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)], "").into_response();
    }
    match body {
        Some(b) => match read(&app.root, b).await {
            Some(bytes) => {
                // the studio's token only to a page asked for by one of the preview's own names
                // (bound to the network, a DNS name pointed here by another site gets none)
                let tools = app
                    .studio
                    .as_ref()
                    .is_some_and(|s| studio::check_host(s, &headers).is_ok());
                respond(&app, StatusCode::OK, &path, bytes, tools)
            }
            None => not_found(&app, &path).await,
        },
        None => not_found(&app, &path).await,
    }
}

async fn read(root: &Path, b: Body) -> Option<Bytes> {
    match b {
        Body::Bytes(b) => Some(b),
        Body::Embedded(b) => Some(Bytes::from_static(b)),
        // the input rule again: a file swapped for a link since the last rebuild is not served
        Body::File(p) => {
            let root = root.to_path_buf();
            tokio::task::spawn_blocking(move || crate::content::confine::read(&root, &p))
                .await
                .ok()?
                .ok()
                .map(Bytes::from)
        }
    }
}

async fn not_found(app: &App, path: &str) -> Response {
    let page = {
        let files = app.files.read().unwrap_or_else(|e| e.into_inner());
        files.pages.get("404.html").cloned()
    };
    let generation = app.live.borrow().generation;
    match page {
        Some(p) => respond(app, StatusCode::NOT_FOUND, path, p, false),
        None if generation == 0 => {
            // nothing built yet: a page that shows the errors and reloads once fixed
            let html = "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>guidepost</title></head><body><p>网站还没有成功构建。</p></body></html>";
            respond(
                app,
                StatusCode::SERVICE_UNAVAILABLE,
                path,
                Bytes::from_static(html.as_bytes()),
                false,
            )
        }
        None => plain(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"not found\n"),
        ),
    }
}

/// A file's response; HTML gets the live script, while the site is broken the overlay, and with
/// `tools` the studio.
fn respond(app: &App, status: StatusCode, path: &str, bytes: Bytes, tools: bool) -> Response {
    let is_html = path.ends_with(".html") || status != StatusCode::OK;
    if !is_html {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let ct = if mime.type_() == "text" || path.ends_with(".svg") || path.ends_with(".js") {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
        return plain(status, &ct, bytes);
    }
    let (overlay, generation) = {
        let u = app.live.borrow();
        (u.overlay_html(), u.generation)
    };
    let page = if path.ends_with(".html") {
        path.to_string()
    } else {
        format!("{path}/index.html")
    };
    let script = format!(
        "<script src=\"{PREFIX}live.js\" data-generation=\"{generation}\" data-page=\"{}\"></script>",
        escape(&page)
    );
    let tools = match &app.studio {
        Some(s) if tools && status == StatusCode::OK => {
            let files = app.files.read().unwrap_or_else(|e| e.into_inner());
            studio::inject(s, &app.root, &files.shots, &page)
        }
        _ => String::new(),
    };
    let html = String::from_utf8_lossy(&bytes);
    let at = html.rfind("</body>").unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + overlay.len() + script.len() + tools.len());
    out.push_str(&html[..at]);
    out.push_str(&overlay);
    out.push_str(&script);
    out.push_str(&tools);
    out.push_str(&html[at..]);
    plain(status, "text/html; charset=utf-8", Bytes::from(out))
}

fn plain(status: StatusCode, content_type: &str, bytes: Bytes) -> Response {
    let mut r = Response::new(HttpBody::from(bytes));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The stream of updates for one open page: the current state first, then every change.
fn events(app: &App) -> impl IntoResponse + use<> {
    let rx = app.live.clone();
    let stream = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let mut u = rx.borrow_and_update().clone();
        if u.stop {
            return None;
        }
        if first {
            u.pages = None; // a page that missed rebuilds reloads
        }
        let data = serde_json::to_string(&u).unwrap_or_default();
        Some((
            Ok::<_, Infallible>(Event::default().event("update").data(data)),
            (rx, false),
        ))
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Whether the Host header names this computer.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true; // HTTP/1.0 without Host: not a browser
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The output path a request path names, or `None` when it could leave the site: `..` or `.`
/// segments (also percent-encoded), encoded slashes, backslashes, NUL, invalid UTF-8.
pub fn safe_path(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    if !raw.starts_with('/') || raw.contains('\\') || lower.contains("%5c") || lower.contains("%2f")
    {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    if decoded.contains(['\\', '\0']) {
        return None;
    }
    let rel = &decoded[1..];
    if rel
        .split('/')
        .any(|s| s == ".." || s == "." || s.starts_with(".."))
        || rel.starts_with('/')
        || rel.contains("//")
    {
        return None;
    }
    if rel.is_empty() || rel.ends_with('/') {
        Some(format!("{rel}index.html"))
    } else {
        Some(rel.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_site_are_refused() {
        assert_eq!(safe_path("/").as_deref(), Some("index.html"));
        assert_eq!(safe_path("/g/web/").as_deref(), Some("g/web/index.html"));
        assert_eq!(
            safe_path("/g/images/%E5%9B%BE.png").as_deref(),
            Some("g/images/图.png")
        );
        for bad in [
            "/../etc/passwd",
            "/g/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/g/%2fetc",
            "/..%5cetc",
            "/g\\..\\x",
            "/./index.html",
            "/%00",
            "/%ff",
            "//etc/passwd",
            "relative",
        ] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_loopback_hosts() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(v).unwrap());
            loopback_host(&m)
        };
        assert!(h("127.0.0.1:1111"));
        assert!(h("localhost:1111"));
        assert!(h("[::1]:1111"));
        assert!(h("preview.localhost"));
        assert!(!h("evil.example.com:1111"));
        assert!(!h("192.168.1.5:1111"));
    }

    #[test]
    fn the_watch_limit_gets_advice() {
        let e = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let m = watch_error(&e, Path::new("/site/content"));
        assert!(m.contains("guidepost serve --poll"), "{m}");
        assert!(m.contains("fs.inotify.max_user_watches=524288"), "{m}");
    }

    #[test]
    fn the_overlay_escapes_what_it_shows() {
        let d =
            Diagnostic::error("template", "bad <script>alert(1)</script>").help("use & not <b>");
        let u = Update::failed(1, &Diagnostics(vec![d]));
        let h = u.overlay_html();
        assert!(h.contains("bad &lt;script&gt;"), "{h}");
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("use &amp; not &lt;b&gt;"), "{h}");
    }
}
