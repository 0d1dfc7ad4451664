//! The `guidepost` command line: turns arguments into options once, runs a command, prints its
//! diagnostics and summary, and decides the exit code (0 ok, 1 content errors, 2 usage or I/O).

/// jemalloc: a build allocates and frees millions of small strings on every core, and glibc's
/// allocator slowed down as the site grew (at 5,000 guides 8–9 s against 6.6–7 s, and 1.7 s
/// against 1.4 s at 1,000, for the same memory); see README, Performance.
#[cfg(unix)]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before the first allocation: one arena per CPU (`percpu_arena`),
/// where its default is four per CPU. A build's threads are one per CPU, so they still never
/// wait for each other's arena, and fewer half-used arenas lower the peak memory: at 5,000
/// guides 436–441 MB against 464–466 MB, at 1,000 guides 113–117 MB against 118–120 MB, in the
/// same time (3–5 alternating runs; `_RJEM_MALLOC_CONF` in the environment still overrides it).
/// Linux only: elsewhere jemalloc cannot tell a thread's CPU and would warn on every run.
#[cfg(target_os = "linux")]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8; 20] = b"percpu_arena:percpu\0";

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

use guidepost::progress::{Event, Progress, Task};
use guidepost::{BuildOptions, Outcome};

#[path = "cli/desktop.rs"]
mod desktop;

#[derive(Parser)]
#[command(
    name = "guidepost",
    version,
    about = "Step-by-step how-to guides from Markdown: for phones, for print, for links in notices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (atomically: a failed build changes nothing)
    Build(BuildArgs),
    /// Build the site and print guides to PDF (ROOT/public/GUIDE/GUIDE.pdf) with headless Chromium
    Pdf(PdfArgs),
    /// Report every problem of the site (errors and warnings) without writing anything
    Check(CheckArgs),
    /// Print every guide and channel URL with its title, ready to paste into a notice
    Links(LinksArgs),
    /// List every screenshot the guides ask for (missing, present, too small) and unused images
    Shots(ShotsArgs),
    /// Build into memory, serve a live preview, and rebuild what changed on every save
    Serve(ServeArgs),
    /// Write a new site into DIR: site.toml (explained in Chinese) and an example guide
    Init(InitArgs),
    /// Add the skeleton of a guide to the site: content/GUIDE/ with one file per channel
    New(NewArgs),
    /// Turn a Word (.docx) guide into a guide folder: channels, steps and screenshots (see docs/import.md)
    Import(ImportArgs),
}

#[derive(Args)]
struct InitArgs {
    /// The folder of the new site (created if missing; default: the current folder)
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct NewArgs {
    /// The guide's folder name, which is its address: a-z, 0-9 and - (e.g. xuexin-image-code)
    #[arg(value_name = "GUIDE")]
    guide: String,
    /// Its channels, comma-separated (default: the channels of site.toml, in their order)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    channels: Vec<String>,
    /// Its title (default: a placeholder to replace)
    #[arg(long)]
    title: Option<String>,
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
}

#[derive(Args)]
struct ImportArgs {
    /// The Word file (.docx; an old .doc or .wps must be saved as .docx first)
    #[arg(value_name = "FILE.docx")]
    file: PathBuf,
    /// The guide's folder name, its web address (default: the file name, when it is ASCII)
    #[arg(long, value_name = "SLUG")]
    guide: Option<String>,
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Replace an existing guide folder of that name (it is kept, renamed to content/.SLUG.replaced-DATE)
    #[arg(long)]
    force: bool,
    /// `text` for people (on stderr), `json` for scripts (the report on stdout)
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Args)]
struct PdfArgs {
    /// Print only these guides (their folder names); default: every guide
    #[arg(value_name = "GUIDE")]
    guides: Vec<String>,
    /// Print again even when the PDF from an earlier print is up to date
    #[arg(long)]
    force: bool,
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Where to write the site (default: ROOT/public)
    #[arg(long)]
    output: Option<PathBuf>,
    /// Override `base_url` of site.toml (the PDFs show the guide's address and a QR code to it)
    #[arg(long, value_name = "URL", value_parser = base_url)]
    base_url: Option<String>,
    /// Include guides and channels marked `draft = true`
    #[arg(long)]
    drafts: bool,
    /// Print only warnings, errors and nothing else
    #[arg(long, short)]
    quiet: bool,
    /// The Chromium or Google Chrome to print PDFs with (default: found in PATH)
    #[arg(long, value_name = "PATH")]
    browser: Option<PathBuf>,
    /// Seconds one guide may take to print before the browser is stopped
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
}

#[derive(Args)]
struct ShotsArgs {
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    format: ShotsFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ShotsFormat {
    Table,
    Csv,
    Json,
}

#[derive(Args)]
struct CheckArgs {
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Count warnings as errors (open screenshot slots, remote resources …): for a release
    #[arg(long)]
    strict: bool,
    /// `text` for people (on stderr), `json` for CI (an array of diagnostics on stdout)
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Check guides and channels marked `draft = true` too
    #[arg(long)]
    drafts: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Args)]
struct BuildArgs {
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Where to write the site (default: ROOT/public)
    #[arg(long)]
    output: Option<PathBuf>,
    /// Override `base_url` of site.toml (absolute URL of the published site)
    #[arg(long, value_name = "URL", value_parser = base_url)]
    base_url: Option<String>,
    /// Include guides and channels marked `draft = true`
    #[arg(long)]
    drafts: bool,
    /// Print only warnings, errors and nothing else
    #[arg(long, short)]
    quiet: bool,
    /// Also print every guide to PDF, GUIDE/GUIDE.pdf (see `guidepost pdf`)
    #[arg(long)]
    pdf: bool,
    /// The Chromium or Google Chrome to print PDFs with (default: found in PATH)
    #[arg(long, value_name = "PATH")]
    browser: Option<PathBuf>,
    /// Seconds one guide may take to print before the browser is stopped
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
    /// Drop addresses recorded in links.lock that the site no longer publishes (on purpose)
    #[arg(long)]
    accept_removed: bool,
    /// Neither check nor update links.lock (for throwaway previews)
    #[arg(long, conflicts_with_all = ["accept_removed", "locked"])]
    no_lock: bool,
    /// Fail unless links.lock already records everything this build publishes; write nothing (CI)
    #[arg(long, conflicts_with = "accept_removed")]
    locked: bool,
}

#[derive(Args)]
struct LinksArgs {
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// Override `base_url` of site.toml (absolute URL of the published site)
    #[arg(long, value_name = "URL", value_parser = base_url)]
    base_url: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = LinksFormat::Text)]
    format: LinksFormat,
    /// Also list every step's link (page URL with `#anchor`)
    #[arg(long)]
    steps: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LinksFormat {
    Text,
    Csv,
    Json,
}

#[derive(Args)]
struct ServeArgs {
    /// The site folder (default: the nearest folder at or above the current one with site.toml)
    #[arg(long)]
    root: Option<PathBuf>,
    /// The port to listen on (0: any free port)
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// The address to listen on; anything but 127.0.0.1 or ::1 makes the preview reachable from the network
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Open the preview in the default browser
    #[arg(long)]
    open: bool,
    /// Check for changes by polling (network drives, WSL on Windows drives, full inotify)
    #[arg(long)]
    poll: bool,
    /// Include guides and channels marked `draft = true`
    #[arg(long)]
    drafts: bool,
    /// Let the browser add screenshots and redactions even with --bind to a network address (off by default there)
    #[arg(long)]
    allow_edit: bool,
}

fn main() -> ExitCode {
    let _console = desktop::Console::setup();
    if std::env::args_os().len() == 1 && desktop::started_by_double_click() {
        return double_clicked();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => {
            let pdf = args.pdf.then(|| pdf_options(&args, Vec::new(), false));
            build(args, pdf)
        }
        Command::Pdf(args) => {
            let b = BuildArgs {
                root: args.root,
                output: args.output,
                base_url: args.base_url,
                drafts: args.drafts,
                quiet: args.quiet,
                pdf: true,
                browser: args.browser,
                timeout: args.timeout,
                // links.lock as for `build` (refused removals are fixed with `build --accept-removed`)
                accept_removed: false,
                no_lock: false,
                locked: false,
            };
            let pdf = pdf_options(&b, args.guides, args.force);
            build(b, Some(pdf))
        }
        Command::Check(args) => check(args),
        Command::Links(args) => links(args),
        Command::Shots(args) => shots(args),
        Command::Serve(args) => serve(args),
        Command::Init(args) => init(args),
        Command::New(args) => new(args),
        Command::Import(args) => import(args),
    }
}

/// Started by a double-click in Explorer, without arguments: in a site folder, the preview in
/// the browser; in an empty folder (only the exe), an offer to make a site there; elsewhere, what
/// to do. The window stays open until Enter when there is something to read.
fn double_clicked() -> ExitCode {
    // Explorer starts a program in its own folder
    let dir = std::env::current_dir()
        .ok()
        .or_else(|| std::env::current_exe().ok()?.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    let root = match guidepost::find_root(&dir) {
        Some(root) => root,
        None if only_programs(&dir) => {
            eprintln!(
                "这个文件夹里还没有站点：{}\n\n输入 y 并按 Enter：在这里新建一个示例站点并打开预览。\n直接按 Enter 或关闭窗口：什么也不做。",
                dir.display()
            );
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            if !line.trim().eq_ignore_ascii_case("y") {
                return ExitCode::SUCCESS;
            }
            if let Err(e) = guidepost::commands::scaffold::init(&dir) {
                eprintln!("没有新建站点：{e}");
                desktop::wait_for_enter();
                return ExitCode::from(2);
            }
            dir
        }
        None => {
            eprintln!(
                "这里没有站点（找不到 site.toml）：{}\n\n\
                 guidepost 把一个文件夹里的 Markdown 文件做成办事指南网站。\n\
                 · 预览示例：打开解压出来的 guidepost 文件夹，双击里面的 guidepost.exe。\n\
                 · 预览自己的站点：把 guidepost.exe 复制到站点文件夹（有 site.toml 的文件夹）里，再双击它。\n\
                 · 新建站点：新建一个空文件夹，把 guidepost.exe 复制进去，双击它，输入 y 并按 Enter。\n\
                 · 在命令提示符或 PowerShell 里：guidepost init 文件夹名、guidepost serve、guidepost build（guidepost --help 列出全部命令）。\n\n\
                 详见 使用说明.txt。",
                dir.display()
            );
            desktop::wait_for_enter();
            return ExitCode::from(2);
        }
    };
    // a second double-click while the first preview runs: any free port
    let port = if std::net::TcpListener::bind(("127.0.0.1", 1111)).is_ok() {
        1111
    } else {
        0
    };
    eprintln!(
        "正在预览 {}，浏览器会自动打开。修改并保存文件后，页面会自动刷新。\n要停止预览，请关闭这个窗口，或按 Ctrl+C。\n",
        root.display()
    );
    let args = ServeArgs {
        root: Some(root),
        port,
        bind: std::net::Ipv4Addr::LOCALHOST.into(),
        open: true,
        poll: false,
        drafts: false,
        allow_edit: false,
    };
    match run_serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("预览没有启动：{e}");
            desktop::wait_for_enter();
            ExitCode::from(2)
        }
    }
}

/// Whether `dir` holds nothing but programs (the exe just copied there, Explorer's own files).
fn only_programs(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name().to_string_lossy().to_lowercase();
        e.file_type().is_ok_and(|t| t.is_file())
            && (name.ends_with(".exe") || name == "desktop.ini" || name == "thumbs.db")
    })
}

fn init(args: InitArgs) -> ExitCode {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    match guidepost::commands::scaffold::init(&dir) {
        Ok(created) => {
            print_created("已新建站点", &created);
            eprintln!(
                "下一步：在 {} 里运行 guidepost serve 预览（或把 guidepost.exe 复制进去后双击它）；guidepost build 生成网站。",
                created.root.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&e),
    }
}

fn new(args: NewArgs) -> ExitCode {
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let guide = guidepost::commands::scaffold::NewGuide {
        id: args.guide,
        channels: args.channels,
        title: args.title,
    };
    match guidepost::commands::scaffold::new_guide(&root, &guide) {
        Ok(created) => {
            print_created("已新建指南", &created);
            eprintln!(
                "下一步：修改这些文件里的标题和步骤，截图按文件中写的名字放进 content{sep}{}{sep}images；guidepost shots 列出还缺的截图。",
                guide.id,
                sep = std::path::MAIN_SEPARATOR
            );
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&e),
    }
}

fn print_created(what: &str, created: &guidepost::commands::scaffold::Created) {
    eprintln!("{what}（{}）：", created.root.display());
    for f in &created.files {
        eprintln!("  {}", guidepost::diagnostic::native_path(f));
    }
}

fn import(args: ImportArgs) -> ExitCode {
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let opts = guidepost::import::Options {
        file: args.file,
        guide: args.guide,
        root,
        force: args.force,
    };
    match (guidepost::import::run(&opts), args.format) {
        (Ok(report), CheckFormat::Json) => {
            println!("{}", report.json());
            ExitCode::SUCCESS
        }
        (Ok(report), CheckFormat::Text) => {
            eprint!("{}", report.text());
            ExitCode::SUCCESS
        }
        (Err(d), format) => {
            if matches!(format, CheckFormat::Json) {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&[&d]).unwrap_or_default()
                );
            }
            eprint!("{}", d.render(use_color()));
            ExitCode::from(1)
        }
    }
}

fn resolve_root(root: Option<PathBuf>) -> Result<PathBuf, String> {
    match root {
        Some(r) if r.join("site.toml").is_file() => Ok(r),
        Some(r) => Err(format!(
            "{} has no site.toml: is it a guidepost site folder?",
            r.display()
        )),
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            guidepost::find_root(&cwd).ok_or_else(|| {
                format!("no site.toml in {} or any folder above it: run guidepost inside a site folder, or pass --root DIR", cwd.display())
            })
        }
    }
}

fn pdf_options(
    args: &BuildArgs,
    guides: Vec<String>,
    force: bool,
) -> guidepost::output::pdf::PdfOptions {
    guidepost::output::pdf::PdfOptions {
        browser: args.browser.clone(),
        guides,
        force,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
    }
}

fn build(args: BuildArgs, pdf: Option<guidepost::output::pdf::PdfOptions>) -> ExitCode {
    let color = use_color();
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let output = args.output.unwrap_or_else(|| root.join("public"));
    let opts = BuildOptions {
        root,
        output: output.clone(),
        base_url: args.base_url,
        drafts: args.drafts,
        lock: if args.no_lock {
            guidepost::LockMode::Off
        } else if args.locked {
            guidepost::LockMode::Locked
        } else {
            guidepost::LockMode::Update
        },
        accept_removed: args.accept_removed,
    };
    match guidepost::build_with_pdf(&opts, pdf.as_ref(), &Bars::new(args.quiet)) {
        Err(e) => usage_error(&e),
        Ok(Outcome::Failed(diags)) => {
            eprint!("{}", diags.render(color));
            eprintln!(
                "build failed: {} error{}, {} warning{}; {} was left unchanged",
                diags.errors(),
                plural(diags.errors()),
                diags.warnings(),
                plural(diags.warnings()),
                output.display()
            );
            ExitCode::from(1)
        }
        Ok(Outcome::Built(s, diags)) => {
            eprint!("{}", diags.render(color));
            if !args.quiet {
                eprintln!(
                    "built {} pages ({} guide{}, {} channel{}) into {}: {} screenshot{} to capture, {} warning{}, {:.2} s",
                    s.pages,
                    s.guides,
                    plural(s.guides),
                    s.channels,
                    plural(s.channels),
                    output.display(),
                    s.open_slots,
                    plural(s.open_slots),
                    diags.warnings(),
                    plural(diags.warnings()),
                    s.elapsed.as_secs_f64()
                );
                if pdf.is_some() || s.pdfs > 0 {
                    eprintln!(
                        "{} PDF{} in the output: {} printed, {} up to date from an earlier print",
                        s.pdfs,
                        plural(s.pdfs),
                        s.pdfs_printed,
                        s.pdfs - s.pdfs_printed
                    );
                }
                if s.images > 0 {
                    eprintln!(
                        "screenshots: {} published, {} processed, {} from the cache",
                        s.images,
                        s.images_processed,
                        s.images - s.images_processed
                    );
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let report = guidepost::commands::check::check(
        &guidepost::commands::check::CheckOptions {
            root,
            drafts: args.drafts,
            strict: args.strict,
        },
        &Bars::new(false),
    );
    match args.format {
        CheckFormat::Json => println!("{}", report.diagnostics.to_json()),
        CheckFormat::Text => {
            let color = use_color();
            eprint!("{}", report.diagnostics.render(color));
        }
    }
    eprintln!("{}", report.summary());
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn links(args: LinksArgs) -> ExitCode {
    use guidepost::links::share::Format;
    let color = use_color();
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let format = match args.format {
        LinksFormat::Text => Format::Text,
        LinksFormat::Csv => Format::Csv,
        LinksFormat::Json => Format::Json,
    };
    let listing = match guidepost::commands::links::links(
        &guidepost::commands::links::LinksOptions {
            root,
            base_url: args.base_url,
            format,
            steps: args.steps,
        },
        &Bars::new(false),
    ) {
        Ok(l) => l,
        Err(e) => return usage_error(&e),
    };
    let diags = &listing.diagnostics;
    eprint!("{}", diags.render(color));
    let Some(text) = listing.text else {
        eprintln!(
            "cannot list links: {} error{} in the site",
            diags.errors(),
            plural(diags.errors())
        );
        return ExitCode::from(1);
    };
    if !listing.base_url {
        eprintln!(
            "note: site.toml has no base_url, so these are paths from the site root; set base_url (or pass --base-url https://…/) for full URLs"
        );
    }
    print!("{text}");
    ExitCode::SUCCESS
}

fn shots(args: ShotsArgs) -> ExitCode {
    use guidepost::commands::shots::Format;
    let color = use_color();
    let root = match resolve_root(args.root) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let (list, diags) = guidepost::commands::shots::list(&root, &Bars::new(false));
    // what `check` says of the same stages: a file the build cannot use shows as `bad-image`
    eprint!("{}", diags.render(color));
    if let Some(list) = list {
        let format = match args.format {
            ShotsFormat::Table => Format::Table,
            ShotsFormat::Csv => Format::Csv,
            ShotsFormat::Json => Format::Json,
        };
        print!("{}", list.render(format));
    }
    if diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    match run_serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage_error(&e),
    }
}

fn run_serve(args: ServeArgs) -> Result<(), String> {
    let root = resolve_root(args.root)?;
    let opts = guidepost::serve::ServeOptions {
        root,
        port: args.port,
        bind: args.bind,
        open: args.open,
        poll: args.poll,
        drafts: args.drafts,
        allow_edit: args.allow_edit,
        color: use_color(),
        progress: std::sync::Arc::new(Bars::new(false)),
    };
    guidepost::serve::serve(opts)
}

/// Colour diagnostics: on a terminal that shows them, unless NO_COLOR is set.
fn use_color() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && desktop::colors_supported()
}

/// The progress bars on stderr, when it is a terminal: the screenshots' once their processing
/// has taken more than a second, the PDFs' (unless `--quiet`) from the start.
struct Bars {
    terminal: bool,
    quiet: bool,
    running: std::sync::Mutex<std::collections::HashMap<Task, (indicatif::ProgressBar, Instant)>>,
}

impl Bars {
    /// `quiet`: no PDF bar (`--quiet`).
    fn new(quiet: bool) -> Bars {
        Bars {
            terminal: std::io::stderr().is_terminal(),
            quiet,
            running: Default::default(),
        }
    }
}

impl Progress for Bars {
    fn report(&self, event: Event<'_>) {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::Start { task, len } => {
                let (shown, template, target) = match task {
                    Task::Screenshots => (
                        self.terminal,
                        "{spinner} screenshots {pos}/{len} {wide_bar} {eta}",
                        ProgressDrawTarget::hidden(),
                    ),
                    Task::Pdfs => (
                        self.terminal && !self.quiet,
                        "printing PDFs {bar:30} {pos}/{len} {elapsed} {wide_msg}",
                        ProgressDrawTarget::stderr(),
                    ),
                };
                if shown {
                    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
                    bar.set_style(
                        ProgressStyle::with_template(template)
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    running.insert(task, (bar, Instant::now()));
                }
            }
            Event::Working { task, item } => {
                if let Some((bar, _)) = running.get(&task) {
                    bar.set_message(item.to_string());
                }
            }
            Event::Done { task } => {
                if let Some((bar, start)) = running.get(&task) {
                    bar.inc(1);
                    if bar.is_hidden() && start.elapsed() > Duration::from_secs(1) {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                    }
                }
            }
            Event::Finish { task } => {
                if let Some((bar, _)) = running.remove(&task) {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// `--base-url`: checked like `base_url` in site.toml.
fn base_url(s: &str) -> Result<String, String> {
    guidepost::markdown::load::base_url(s, true)
        .map_err(|(message, help)| format!("{message}\n  help: {help}"))
}
