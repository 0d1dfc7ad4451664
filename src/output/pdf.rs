//! PDFs of guides: each guide's print layout (`GUIDE/print/index.html`, see [`crate::render::print`])
//! printed by a headless Chromium into `GUIDE/GUIDE.pdf`.
//!
//! A *printer* is a Chromium found on the machine (`chromium`, `chromium-browser`,
//! `google-chrome` … or `--browser PATH`), checked once, with the CJK fonts it needs, before any
//! work. Printing is slow (a browser start per guide), so printed PDFs are kept in the *PDF
//! cache* (`.guidepost-cache/pdf/` in the site folder) under a *key*: a hash of the print page,
//! the theme's static files and the guide's screenshots. Every build, with or without `--pdf`,
//! puts the cached PDFs whose key still matches into the output and links them from the guide
//! pages; `--pdf` prints only the guides whose PDF is missing or out of date.
//!
//! Chromium sometimes never exits after writing its PDF: it always runs under a timeout, the
//! finished file is watched for, and the browser's whole process group is killed afterwards.

use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;

use crate::content::model::{Block, Guide, Site};
use crate::diagnostic::Diagnostic;
use crate::progress::{Progress, Running, Task};

/// Folder of the PDF cache, relative to the site root.
pub const CACHE_DIR: &str = ".guidepost-cache/pdf";

/// Browser names looked up in `PATH`, in order.
pub const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
];

/// Where browsers live outside `PATH` on macOS (its applications).
#[cfg(not(windows))]
const BROWSER_PATHS: &[&str] = &[
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];

/// Windows browsers by their program file and where their installers put them, under the
/// folder named by an environment variable: Chrome for the machine or only the user, Edge
/// (on every Windows 10 and 11), Chromium's installer.
#[cfg(windows)]
const WINDOWS_BROWSERS: &[(&str, &[(&str, &str)])] = &[
    (
        "chrome.exe",
        &[
            ("ProgramFiles", r"Google\Chrome\Application"),
            ("ProgramFiles(x86)", r"Google\Chrome\Application"),
            ("LOCALAPPDATA", r"Google\Chrome\Application"),
            ("LOCALAPPDATA", r"Chromium\Application"),
        ],
    ),
    (
        "msedge.exe",
        &[
            ("ProgramFiles(x86)", r"Microsoft\Edge\Application"),
            ("ProgramFiles", r"Microsoft\Edge\Application"),
            ("LOCALAPPDATA", r"Microsoft\Edge\Application"),
        ],
    ),
];

/// What a build with PDFs should do.
#[derive(Debug, Clone)]
pub struct PdfOptions {
    /// The browser to use; `None` looks for one.
    pub browser: Option<PathBuf>,
    /// Guide ids to print; empty: all guides.
    pub guides: Vec<String>,
    /// Print even when the cached PDF is up to date.
    pub force: bool,
    /// How long one guide may take before the browser is killed.
    pub timeout: Duration,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            browser: None,
            guides: Vec::new(),
            force: false,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A browser ready to print.
#[derive(Debug, Clone)]
pub struct Printer {
    pub browser: PathBuf,
    pub timeout: Duration,
}

/// Finds the browser: `explicit` if given (it must exist), else the first of
/// [`BROWSER_NAMES`] in `PATH`, else one installed where browsers are installed: on Windows
/// Chrome, then Edge, each as the registry's App Paths record it, else in its usual folders;
/// on macOS in the applications.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        if p.components().count() == 1
            && let Some(found) = which(&p.to_string_lossy())
        {
            return Ok(found);
        }
        return Err(format!(
            "--browser {}: no such file; give the path of a Chromium or Google Chrome executable",
            p.display()
        ));
    }
    BROWSER_NAMES
        .iter()
        .find_map(|n| which(n))
        .or_else(|| installed().into_iter().find(|p| p.is_file()))
        .ok_or_else(|| {
            if cfg!(windows) {
                return "no browser to print PDFs with: found neither Microsoft Edge nor Google \
                        Chrome (in PATH, the registry's App Paths or the Program Files folders). \
                        Install one, or pass --browser PATH (the path of msedge.exe or chrome.exe)"
                    .to_string();
            }
            format!(
                "no browser to print PDFs with: found none of {} in PATH. Install Chromium \
                 (Debian/Ubuntu: `sudo apt-get install chromium`; Fedora: `sudo dnf install chromium`; \
                 macOS: `brew install --cask chromium`) or Google Chrome, or pass --browser PATH",
                BROWSER_NAMES.join(", ")
            )
        })
}

/// Where installed browsers may be, in order of preference (not checked to exist).
fn installed() -> Vec<PathBuf> {
    #[cfg(windows)]
    {
        let mut out = Vec::new();
        for (exe, places) in WINDOWS_BROWSERS {
            out.extend(app_path(exe));
            out.extend(places.iter().filter_map(|(var, dir)| {
                Some(PathBuf::from(std::env::var_os(var)?).join(dir).join(exe))
            }));
        }
        out
    }
    #[cfg(not(windows))]
    BROWSER_PATHS.iter().map(PathBuf::from).collect()
}

/// The registry's App Paths entries for `exe` (the user's, then the machine's): where its
/// installer says it is, wherever that is.
#[cfg(windows)]
fn app_path(exe: &str) -> Vec<PathBuf> {
    use winreg::RegKey;
    use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
    let key = format!(r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\{exe}");
    [HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE]
        .into_iter()
        .filter_map(|hive| {
            let value: String = RegKey::predef(hive)
                .open_subkey(&key)
                .ok()?
                .get_value("")
                .ok()?;
            // an entry may be quoted, and may hold %VARIABLES% (REG_EXPAND_SZ)
            let value = value.trim().trim_matches('"');
            (!value.is_empty()).then(|| PathBuf::from(expand_env(value)))
        })
        .collect()
}

/// `%NAME%` replaced by the environment variable NAME (left as it is when unset).
#[cfg(any(windows, test))]
fn expand_env(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        out.push_str(&rest[..start]);
        match std::env::var(name) {
            Ok(v) if !name.is_empty() => out.push_str(&v),
            _ => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
        let exe = dir.join(format!("{name}.exe"));
        exe.is_file().then_some(exe)
    })
}

/// Checks that fontconfig knows a font for `language` (only Chinese is checked), so the PDF shows
/// characters and not empty boxes. Where fontconfig is not the font system (macOS, Windows)
/// the system fonts cover Chinese and nothing is checked.
pub fn check_fonts(language: &str) -> Result<(), String> {
    if !language.to_ascii_lowercase().starts_with("zh") || !cfg!(target_os = "linux") {
        return Ok(());
    }
    let out = match Command::new("fc-list")
        .args([":lang=zh", "family"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            return Err(
                "cannot check for Chinese fonts: `fc-list` (fontconfig) is not installed. \
                 Install fontconfig and a Chinese font (Debian/Ubuntu: `sudo apt-get install fontconfig fonts-noto-cjk`)"
                    .into(),
            );
        }
    };
    if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
        return Err(
            "no Chinese font installed: the PDF would show empty boxes instead of Chinese \
             (`fc-list :lang=zh` lists nothing). Install one (Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk`; \
             Fedora: `sudo dnf install google-noto-sans-cjk-fonts google-noto-serif-cjk-fonts`), then try again"
                .into(),
        );
    }
    Ok(())
}

impl Printer {
    /// A printer for a site in `language`: finds the browser and checks the fonts.
    pub fn new(opts: &PdfOptions, language: &str) -> Result<Printer, String> {
        let browser = find_browser(opts.browser.as_deref())?;
        check_fonts(language)?;
        Ok(Printer {
            browser,
            timeout: opts.timeout,
        })
    }

    /// Prints the page `html` into `pdf` (written whole or not at all). `Err` says what
    /// happened in a sentence.
    pub fn print(&self, html: &Path, pdf: &Path) -> Result<(), String> {
        let profile = tempfile::Builder::new()
            .prefix("guidepost-chromium-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary browser profile: {e}"))?;
        let part = pdf.with_extension("pdf.part");
        let _ = std::fs::remove_file(&part);
        let log_path = profile.path().join("browser.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
        let mut cmd = Command::new(&self.browser);
        cmd.args([
            "--headless",
            // we print only pages we made, from files; a sandbox fails as root and in containers
            "--no-sandbox",
            "--disable-gpu",
            // containers often have a tiny /dev/shm, where the browser crashes
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--mute-audio",
            "--hide-scrollbars",
            // nothing may be fetched from another host: the page is complete without the network
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", part.display()))
        .arg(file_url(html))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.browser.display()))?;
        let start = Instant::now();
        let mut last_len = None;
        let outcome = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(Some(status)),
                Ok(None) => {}
                Err(e) => break Err(format!("cannot wait for the browser: {e}")),
            }
            // the PDF is complete (and unchanged since the last look): the browser may hang on
            let len = complete_len(&part);
            if len.is_some() && len == last_len {
                break Ok(None);
            }
            last_len = len;
            if start.elapsed() > self.timeout {
                kill(&mut child);
                break Err(format!(
                    "the browser did not finish within {} s and was stopped; a long guide may need more time (--timeout SECONDS)",
                    self.timeout.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // whatever happened, leave no browser process behind
        kill(&mut child);
        let result = match outcome {
            Err(e) => Err(e),
            Ok(status) => {
                if complete_len(&part).is_some() {
                    std::fs::rename(&part, pdf)
                        .map_err(|e| format!("cannot write {}: {e}", pdf.display()))
                } else {
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    Err(format!(
                        "the browser {} without writing the PDF{}",
                        match status {
                            Some(s) => format!("exited ({s})"),
                            None => "stopped".into(),
                        },
                        log_tail(&log)
                    ))
                }
            }
        };
        let _ = std::fs::remove_file(&part);
        result
    }
}

/// The length of the PDF at `path` if it is complete (ends with `%%EOF`).
fn complete_len(path: &Path) -> Option<u64> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len < 64 {
        return None;
    }
    f.seek(SeekFrom::End(-32)).ok()?;
    let mut tail = Vec::with_capacity(32);
    f.read_to_end(&mut tail).ok()?;
    tail.windows(5).any(|w| w == b"%%EOF").then_some(len)
}

fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // the browser's helpers (zygote, renderer) share its process group
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: killpg only sends a signal; the group was made by `process_group(0)`.
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last meaningful lines the browser wrote, without its usual noise.
fn log_tail(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            !l.trim().is_empty()
                && !l.contains("dbus")
                && !l.contains("Fontconfig")
                && !l.contains("bytes written to file")
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(3)..];
    format!(": {}", tail.join(" | "))
}

/// `file://` URL of a local file.
pub fn file_url(path: &Path) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let s = abs.to_string_lossy().replace('\\', "/");
    let encoded: String = s
        .split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

/// What happens to one guide's PDF in a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfState {
    /// No PDF: none was asked for, or the cached one is out of date.
    None,
    /// The cached PDF is up to date: copy it into the output.
    Cached,
    /// Print it now (then copy it).
    Print,
}

/// The PDF work of a build: a state and a key per guide.
#[derive(Debug)]
pub struct PdfPlan {
    pub cache: PathBuf,
    pub states: Vec<PdfState>,
    pub keys: Vec<String>,
}

impl PdfPlan {
    pub fn has_pdf(&self, gi: usize) -> bool {
        self.states[gi] != PdfState::None
    }
    pub fn to_print(&self) -> usize {
        self.states
            .iter()
            .filter(|s| **s == PdfState::Print)
            .count()
    }
    pub fn cached(&self) -> usize {
        self.states
            .iter()
            .filter(|s| **s == PdfState::Cached)
            .count()
    }
}

/// Checks the guide ids asked for on the command line.
pub fn check_guides(site: &Site, wanted: &[String]) -> Result<(), String> {
    let ids: Vec<&str> = site.guides.iter().map(|g| g.id.0.as_str()).collect();
    for w in wanted {
        if !ids.contains(&w.as_str()) {
            let best = ids
                .iter()
                .map(|id| (strsim::jaro_winkler(w, id), *id))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            return Err(match best {
                Some((_, id)) => format!("no guide `{w}`: did you mean `{id}`?"),
                None if ids.is_empty() => format!("no guide `{w}`: the site has no guides"),
                None => format!("no guide `{w}`; the guides are: {}", ids.join(", ")),
            });
        }
    }
    Ok(())
}

/// Decides, per guide, whether its PDF is printed, taken from the cache or left out: one guide
/// at a time ([`Planner::state`], from its print page), then [`Planner::finish`].
pub struct Planner<'a> {
    cache: PathBuf,
    have_cache: bool,
    content_dir: &'a Path,
    asset_version: &'a str,
    opts: Option<&'a PdfOptions>,
}

impl<'a> Planner<'a> {
    pub fn new(
        root: &Path,
        content_dir: &'a Path,
        asset_version: &'a str,
        opts: Option<&'a PdfOptions>,
    ) -> Planner<'a> {
        let cache = root.join(CACHE_DIR);
        let have_cache = cache.is_dir();
        Planner {
            cache,
            have_cache,
            content_dir,
            asset_version,
            opts,
        }
    }

    /// Whether guide `g` certainly has no PDF in the output, without its print page: none was
    /// asked for and none was printed before. (Its pages can then be kept from the previous
    /// output: whether they link to a PDF is not in question.)
    pub fn none_for(&self, g: &Guide) -> bool {
        let asked = (self.opts).is_some_and(|o| o.guides.is_empty() || o.guides.contains(&g.id.0));
        !asked && (!self.have_cache || !self.cache.join(pdf_name(g)).exists())
    }

    /// The state and key of guide `g`'s PDF. `page` is the guide's print page; the key covers
    /// it, the theme's static files (`asset_version`) and the guide's screenshots.
    pub fn state(&self, g: &Guide, page: &[u8]) -> (PdfState, String) {
        let opts = self.opts;
        let asked = opts.is_some_and(|o| o.guides.is_empty() || o.guides.contains(&g.id.0));
        if !asked && !self.have_cache {
            return (PdfState::None, String::new());
        }
        let key = key(g, page, self.asset_version, self.content_dir);
        let cached_key = std::fs::read_to_string(self.cache.join(format!("{}.key", g.id.0))).ok();
        let fresh =
            cached_key.as_deref() == Some(key.as_str()) && self.cache.join(pdf_name(g)).is_file();
        let state = match (asked, fresh) {
            (true, true) if opts.is_some_and(|o| o.force) => PdfState::Print,
            (true, false) => PdfState::Print,
            (_, true) => PdfState::Cached,
            (false, false) => PdfState::None,
        };
        (state, key)
    }

    /// The plan of the states and keys of every guide (in order); warns about cached PDFs left
    /// out because they are out of date.
    pub fn finish(
        self,
        site: &Site,
        states: Vec<PdfState>,
        keys: Vec<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> PdfPlan {
        if self.have_cache {
            for (g, s) in site.guides.iter().zip(&states) {
                let stale = *s == PdfState::None && self.cache.join(pdf_name(g)).is_file();
                if stale {
                    diags.push(
                        Diagnostic::warning(
                            "stale-pdf",
                            format!(
                                "the PDF of `{}` is out of date (the guide or the theme changed since it was printed) and was left out",
                                g.id.0
                            ),
                        )
                        .in_file(g.source.clone())
                        .help(format!("print it again: guidepost pdf {}", g.id.0)),
                    );
                }
            }
        }
        PdfPlan {
            cache: self.cache,
            states,
            keys,
        }
    }
}

fn pdf_name(g: &Guide) -> String {
    format!("{}.pdf", g.id.0)
}

/// Where a guide's PDF is published: `GUIDE/GUIDE.pdf`.
pub fn pdf_path(g: &Guide) -> String {
    format!("{}/{}", g.id.0, pdf_name(g))
}

/// The cache key of a guide's PDF.
fn key(g: &Guide, page: &[u8], asset_version: &str, content_dir: &Path) -> String {
    // DefaultHasher may change between Rust releases: then PDFs are printed once more, no harm
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    page.hash(&mut h);
    asset_version.hash(&mut h);
    for path in g
        .blocks()
        .filter_map(Block::as_figure)
        .map(|f| f.path.as_str())
    {
        path.hash(&mut h);
        if let Ok(m) = std::fs::metadata(content_dir.join(path)) {
            m.len().hash(&mut h);
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .hash(&mut h);
        }
    }
    format!("{:016x}", h.finish())
}

/// Prints the planned guides from their print pages in `staging` into the cache (in parallel,
/// telling `progress` of each guide: [`Task::Pdfs`]), then copies every PDF of the plan into `staging`.
/// Returns the number printed, or one diagnostic per guide that failed.
pub fn produce(
    plan: &PdfPlan,
    printer: Option<&Printer>,
    site: &Site,
    staging: &crate::output::Staging,
    progress: &dyn Progress,
) -> Result<usize, Vec<Diagnostic>> {
    let todo: Vec<usize> = (0..site.guides.len())
        .filter(|gi| plan.states[*gi] == PdfState::Print)
        .collect();
    if !todo.is_empty() {
        let Some(printer) = printer else {
            return Err(vec![Diagnostic::error(
                "pdf",
                "PDFs to print but no browser was prepared",
            )]);
        };
        std::fs::create_dir_all(&plan.cache).map_err(|e| {
            vec![Diagnostic::error(
                "io",
                format!("cannot create {}: {e}", plan.cache.display()),
            )]
        })?;
        let bar = Running::start(progress, Task::Pdfs, todo.len());
        // each print is a whole browser: a few at a time, not one per core thread
        let parallel = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 4)
            .min(todo.len());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(parallel)
            .build()
            .map_err(|e| {
                vec![Diagnostic::error(
                    "pdf",
                    format!("cannot start threads: {e}"),
                )]
            })?;
        let errors: Vec<Diagnostic> = pool.install(|| {
            todo.par_iter()
                .filter_map(|&gi| {
                    let g = &site.guides[gi];
                    bar.working(&g.id.0);
                    let page = staging.dir.join(&g.id.0).join("print/index.html");
                    let html = staging.dir.join(&g.id.0).join("print/pdf.html");
                    let pdf = plan.cache.join(pdf_name(g));
                    // (a file of its own: the folder may be the previous output, whose file
                    // of that name is not to be written through)
                    let _ = std::fs::remove_file(&html);
                    let r = std::fs::read_to_string(&page)
                        .and_then(|t| std::fs::write(&html, crate::render::print::for_pdf(&t)))
                        .map_err(|e| format!("cannot prepare {}: {e}", html.display()))
                        .and_then(|()| printer.print(&html, &pdf));
                    let _ = std::fs::remove_file(&html);
                    let r = r.and_then(|()| {
                        let key = plan.cache.join(format!("{}.key", g.id.0));
                        crate::atomic::write(&key, plan.keys[gi].as_bytes())
                            .map_err(|e| format!("cannot write {}: {e}", key.display()))
                    });
                    bar.done();
                    r.err().map(|e| {
                        Diagnostic::error("pdf", format!("cannot print `{}` to PDF: {e}", g.id.0))
                            .in_file(g.source.clone())
                    })
                })
                .collect()
        });
        drop(bar);
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    let copy_errors: Vec<Diagnostic> = site
        .guides
        .iter()
        .enumerate()
        .filter(|(gi, _)| plan.has_pdf(*gi))
        .filter_map(|(_, g)| {
            let rel = pdf_path(g);
            staging
                .copy(&plan.cache.join(pdf_name(g)), &rel)
                .err()
                .map(|e| Diagnostic::error("io", format!("cannot write {rel}: {e}")))
        })
        .collect();
    if copy_errors.is_empty() {
        Ok(todo.len())
    } else {
        Err(copy_errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_absolute_and_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/my site/指南/print/index.html")),
            "file:///tmp/my%20site/%E6%8C%87%E5%8D%97/print/index.html"
        );
    }

    #[test]
    fn registry_values_expand_variables() {
        let path = std::env::var("PATH").unwrap();
        assert_eq!(expand_env(r"%PATH%\x.exe"), format!(r"{path}\x.exe"));
        assert_eq!(
            expand_env(r"C:\%GUIDEPOST_UNSET_VARIABLE%\x.exe 100%"),
            r"C:\%GUIDEPOST_UNSET_VARIABLE%\x.exe 100%"
        );
    }

    #[test]
    fn an_explicit_browser_must_exist() {
        let e = find_browser(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        assert_eq!(
            e,
            "--browser /nonexistent/chromium: no such file; give the path of a Chromium or Google Chrome executable"
        );
    }

    #[test]
    fn complete_pdfs_end_with_eof() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.pdf");
        assert_eq!(complete_len(&p), None);
        let mut body = b"%PDF-1.4\n".repeat(10);
        std::fs::write(&p, &body).unwrap();
        assert_eq!(complete_len(&p), None);
        body.extend_from_slice(b"trailer\n<<>>\n%%EOF\n");
        std::fs::write(&p, &body).unwrap();
        assert_eq!(complete_len(&p), Some(body.len() as u64));
    }

    #[test]
    fn browser_noise_is_left_out_of_errors() {
        let log =
            "[1:2:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\nERROR: page crashed\n";
        assert_eq!(log_tail(log), ": ERROR: page crashed");
        assert_eq!(log_tail("[x] dbus\n"), "");
    }
}
