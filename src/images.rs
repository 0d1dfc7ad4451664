//! Screenshots: from the pictures authors drop beside their Markdown to small, private,
//! annotated images.
//!
//! Every *figure* (a screenshot whose file exists) is decoded once, under limits (a huge or
//! damaged file is a diagnostic and becomes a slot, never a panic), turned upright, its
//! *redactions* burned into the pixels, and encoded at the widths the theme shows it at (1x and
//! 2x of its *display width*) plus a *full* version at its own size, each as lossless WebP or
//! optimized PNG, whichever is smaller. Encoding from decoded pixels drops every EXIF, GPS and
//! text chunk; the original file itself is never published. *Highlights* are not burned in: they
//! become an overlay the template draws (it scales, prints, and is described in text).
//!
//! The work is cached in `ROOT/.guidepost-cache/images/`, one folder per *key* (a hash of the
//! file's bytes, the processing parameters and [`VERSION`]) with a manifest of the files it holds,
//! their sizes, times and hashes: an unchanged screenshot costs one hash of its bytes; a cache
//! entry that does not match its manifest is thrown away and redone.

pub mod sidecar;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cache::PRUNE_AFTER;
use crate::content::model::{Block, Device, Figure, ROOT_MARKER, Site, Slot, walk_mut};
use crate::content::source::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::markdown::encode_path;
use crate::progress::{Progress, Running, Task};
use sidecar::{RedactStyle, Sidecar};

/// Bump when the processing changes, so old cache entries are not reused.
pub const VERSION: u32 = 1;
/// The file of [`Seen`] in the image cache.
const SEEN: &str = "seen.json";
/// Decoding limits: a larger file is refused before any pixel memory is allocated. Long
/// scrolling screenshots (长截图) are tall, so height gets more room than width.
pub const MAX_WIDTH: u32 = 16_384;
pub const MAX_HEIGHT: u32 = 32_768;
pub const MAX_PIXELS: u64 = 80_000_000;
/// Extensions processed as screenshots.
pub const EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];
/// Extensions of pictures guidepost cannot process (reported, never published raw).
const OTHER_IMAGES: [&str; 7] = ["gif", "bmp", "tif", "tiff", "heic", "heif", "avif"];

/// The width in CSS pixels at which the default theme shows a screenshot of `device`.
pub fn display_width(device: Device) -> u32 {
    match device {
        Device::Phone => 300,
        Device::Desktop => 660,
    }
}

/// The `sizes` attribute matching [`display_width`] and the theme's CSS.
fn sizes(device: Device) -> &'static str {
    match device {
        Device::Phone => "(max-width: 360px) calc(100vw - 3rem), 300px",
        Device::Desktop => "(max-width: 46rem) calc(100vw - 2rem), 660px",
    }
}

pub fn is_image(path: &str) -> bool {
    ext(path)
        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()) || OTHER_IMAGES.contains(&e.as_str()))
}

fn ext(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

pub use crate::content::model::{Mark, Published, Variant};

#[derive(Serialize)]
struct MarkView<'a> {
    number: usize,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    cx: u32,
    cy: u32,
    r: u32,
    font: u32,
    stroke: u32,
    label: Option<&'a str>,
}

/// The arguments of the theme's `figure` component.
pub fn figure_context(f: &Figure) -> tera::Context {
    let mut c = tera::Context::new();
    c.insert("alt", &f.alt);
    c.insert("device", &f.device);
    let root = |u: &str| format!("{ROOT_MARKER}{u}");
    match &f.published {
        Some(p) => {
            let main = p.variants.last().unwrap_or(&p.full);
            let first = p.variants.first().unwrap_or(&p.full);
            c.insert("src", &root(&main.url));
            c.insert(
                "srcset",
                &p.variants
                    .iter()
                    .map(|v| format!("{} {}w", root(&v.url), v.width))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            c.insert("sizes", sizes(f.device));
            c.insert("width", &first.width);
            c.insert("height", &first.height);
            c.insert("full", &root(&p.full.url));
            c.insert("full_width", &p.full.width);
            c.insert("full_height", &p.full.height);
            c.insert("loading", if p.eager { "eager" } else { "lazy" });
            c.insert("defer", &true);
            c.insert(
                "ratio",
                &format!(
                    "{:.3}",
                    f64::from(first.height) * 100.0 / f64::from(first.width.max(1))
                ),
            );
            let stroke = (p.full.width / 200).max(2);
            let marks: Vec<MarkView<'_>> = p
                .marks
                .iter()
                .map(|m| MarkView {
                    number: m.number,
                    x: m.x,
                    y: m.y,
                    w: m.w,
                    h: m.h,
                    cx: m.cx,
                    cy: m.cy,
                    r: m.r,
                    font: m.r * 13 / 10,
                    stroke,
                    label: m.label.as_deref(),
                })
                .collect();
            c.insert("marks", &marks);
        }
        None => {
            c.insert("src", &root(&f.url));
            c.insert("srcset", "");
            c.insert("sizes", "");
            c.insert("width", &f.width);
            c.insert("height", &f.height);
            c.insert("full", &root(&f.url));
            c.insert("full_width", &f.width);
            c.insert("full_height", &f.height);
            c.insert("loading", "lazy");
            c.insert("marks", &Vec::<MarkView<'_>>::new());
        }
    }
    c
}

/// A file of the output and where its bytes are.
#[derive(Debug, Clone)]
pub struct OutFile {
    /// Path inside the output, `/`-separated, not encoded.
    pub rel: String,
    pub blob: Blob,
}

pub use crate::cache::Blob;

/// What the image stage hands to the output stage.
#[derive(Debug, Default)]
pub struct Output {
    pub files: Vec<OutFile>,
    /// Screenshots (and linked pictures) published.
    pub images: usize,
    /// Of those, how many were processed rather than taken from the cache.
    pub processed: usize,
    /// Every picture the site shows or links (its path under `content/`), and what the stage
    /// made of it: what `guidepost shots` reports.
    pub pictures: BTreeMap<String, Picture>,
}

/// What the image stage made of one picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picture {
    /// Published; its size upright, in pixels.
    Published { width: u32, height: u32 },
    /// Not published (a placeholder shows where it goes): why, as the stage's diagnostic says.
    Rejected(String),
}

/// Why the stage did not publish a picture, from the diagnostics it reported for it.
fn rejected(diags: &[Diagnostic]) -> Picture {
    let why = diags
        .iter()
        .find(|d| d.code == "bad-image")
        .or_else(|| diags.iter().find(|d| d.is_error()))
        .map_or("it cannot be used", |d| {
            d.message
                .split_once(UNUSABLE)
                .map_or(&d.message, |(_, why)| why)
        });
    Picture::Rejected(why.to_string())
}

/// One image file to process, however many times the site shows it.
struct Job<'a> {
    path: String,
    /// The display widths it is shown at.
    targets: BTreeSet<u32>,
    /// A link points at the file itself: publish a cleaned copy under its own name.
    keep_name: bool,
    sidecar: Option<&'a (SourceFile, Sidecar)>,
}

struct Done {
    files: Vec<OutFile>,
    full: Variant,
    /// All variants by display width target.
    by_target: BTreeMap<u32, Variant>,
    marks: Vec<Mark>,
    from_cache: bool,
}

/// What an image pass covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// The whole site (`build`): settings files of no screenshot anywhere are reported, and cache
    /// entries no screenshot uses are pruned.
    Site,
    /// One guide (the preview, guide by guide): settings files are reported only in its folder,
    /// and the cache is not pruned (the pass does not see what other guides use).
    Guide(&'a str),
}

/// How an image pass treats the cache and the pixels.
#[derive(Debug, Clone, Copy)]
pub struct Pass<'a> {
    pub scope: Scope<'a>,
    /// May the pass write the cache (new entries, last-used times, pruning)? `false`: the cache
    /// is read as it is and nothing is written anywhere (`guidepost check`).
    pub write_cache: bool,
    /// Encode the published pictures. `false`: every screenshot the cache does not hold is
    /// decoded and checked (limits, redactions, highlights) but not encoded; its output files
    /// are empty placeholders, for a caller that publishes nothing (`guidepost check`).
    pub encode: bool,
    /// Told of every picture done ([`Task::Screenshots`]).
    pub progress: &'a dyn Progress,
}

impl<'a> Pass<'a> {
    /// What `build` and `serve` do: encode, and cache the work.
    pub fn publish(scope: Scope<'a>, progress: &'a dyn Progress) -> Self {
        Pass {
            scope,
            write_cache: true,
            encode: true,
            progress,
        }
    }
}

/// The image stage: processes every screenshot and linked picture of `site`, fills in each
/// figure's [`Published`] (or turns it into a slot when its file is bad), and takes those files
/// off `assets` so the originals are never copied.
pub fn process(
    root: &Path,
    content_dir: &Path,
    files: &HashSet<String>,
    pass: Pass<'_>,
    site: &mut Site,
    assets: &mut BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Output {
    let scope = pass.scope;
    // which files, shown how
    let mut shown: BTreeMap<String, Vec<Device>> = BTreeMap::new();
    for f in site.blocks().filter_map(Block::as_figure) {
        let ds = shown.entry(f.path.clone()).or_default();
        if !ds.contains(&f.device) {
            ds.push(f.device);
        }
    }
    let linked: Vec<String> = assets.iter().filter(|a| is_image(a)).cloned().collect();
    let mut wanted: BTreeSet<&str> = shown.keys().map(String::as_str).collect();
    wanted.extend(linked.iter().map(String::as_str));

    let sidecars = load_sidecars(root, content_dir, files, scope, &wanted, diags);
    let jobs: Vec<Job<'_>> = wanted
        .iter()
        .map(|p| {
            let sidecar = sidecars.get(*p);
            let device_override = sidecar.and_then(|s| s.1.device);
            let targets = shown
                .get(*p)
                .map(|ds| {
                    ds.iter()
                        .map(|d| device_override.unwrap_or(*d))
                        .map(display_width)
                        .collect()
                })
                .unwrap_or_default();
            Job {
                path: p.to_string(),
                targets,
                keep_name: linked.iter().any(|l| l == p),
                sidecar,
            }
        })
        .collect();

    let cache = if pass.write_cache {
        Cache::open(root)
    } else {
        Cache::read_only(root)
    };
    // the memo pays on a whole-site pass (every screenshot stat-ed instead of read); a preview's
    // rebuild of a few screenshots reads them rather than parse the memo (2.9 MB at 1,000 guides)
    let use_seen = scope == Scope::Site;
    let seen = if use_seen {
        cache.seen()
    } else {
        Seen::default()
    };
    let progress = Running::start(pass.progress, Task::Screenshots, jobs.len());
    type Ran = (Result<Done, ()>, Vec<Diagnostic>, Option<Learnt>);
    let results: Vec<Ran> = jobs
        .par_iter()
        .map(|job| {
            let mut d = Vec::new();
            let mut learnt = None;
            let r = run(
                job,
                content_dir,
                &cache,
                &seen,
                pass.encode,
                &mut learnt,
                &mut d,
            );
            progress.done();
            (r.ok_or(()), d, learnt)
        })
        .collect();
    drop(progress);
    if use_seen {
        let mut now_seen = seen.clone();
        now_seen.entries.clear();
        for (job, (_, _, learnt)) in jobs.iter().zip(&results) {
            match learnt {
                Some(l) => {
                    now_seen.learn(&job.path, &l.stat, &l.hash);
                    if let Some((key, m, day)) = &l.entry {
                        now_seen.entries.insert(key.clone(), (m.clone(), *day));
                    }
                }
                None => now_seen.forget(&job.path),
            }
        }
        // files no longer shown are forgotten with the build that stops showing them
        now_seen.retain(|p| wanted.contains(p));
        if now_seen != seen {
            cache.remember(&now_seen);
        }
    }
    if scope == Scope::Site {
        cache.prune();
    }

    let mut out = Output::default();
    let mut done: HashMap<&str, Done> = HashMap::new();
    for (job, (r, d, _)) in jobs.iter().zip(results) {
        let picture = match &r {
            Ok(r) => Picture::Published {
                width: r.full.width,
                height: r.full.height,
            },
            Err(()) => rejected(&d),
        };
        out.pictures.insert(job.path.clone(), picture);
        diags.extend(d);
        assets.remove(&job.path);
        if let Ok(mut r) = r {
            out.images += 1;
            out.processed += usize::from(!r.from_cache);
            out.files.append(&mut r.files);
            done.insert(&job.path, r);
        }
    }
    // other pictures guidepost cannot clean are not published as they are either
    for a in assets.iter().filter(|a| is_image(a)) {
        let d = unsupported(a, &ext(a).unwrap_or_default());
        out.pictures
            .insert(a.clone(), rejected(std::slice::from_ref(&d)));
        diags.push(d);
    }
    assets.retain(|a| !is_image(a));

    apply(site, &done, &sidecars);
    out
}

/// Publishes every figure of the site, or turns it into a slot when its file is bad. The first
/// figure of each page section (the home page, a guide's intro, a channel) is loaded at once.
fn apply(
    site: &mut Site,
    done: &HashMap<&str, Done>,
    sidecars: &HashMap<String, (SourceFile, Sidecar)>,
) {
    let mut first = true;
    walk_mut(&mut site.intro, &mut |b| {
        publish(b, &mut first, done, sidecars)
    });
    for g in &mut site.guides {
        let mut first = true;
        walk_mut(&mut g.intro, &mut |b| {
            publish(b, &mut first, done, sidecars)
        });
        for c in &mut g.channels {
            let mut first = true;
            c.walk_mut(&mut |b| publish(b, &mut first, done, sidecars));
        }
    }
}

/// Fills in `b`'s [`Published`] if it is a figure whose file was processed (loaded at once if
/// it is the `first` of its section), or turns it into a slot if its file was not.
fn publish(
    b: &mut Block,
    first: &mut bool,
    done: &HashMap<&str, Done>,
    sidecars: &HashMap<String, (SourceFile, Sidecar)>,
) {
    let Block::Figure(fig) = b else {
        return;
    };
    let Some(d) = done.get(fig.path.as_str()) else {
        *b = Block::Slot(Slot {
            alt: std::mem::take(&mut fig.alt),
            path: std::mem::take(&mut fig.path),
            device: fig.device,
            line: fig.line,
        });
        return;
    };
    if let Some(dev) = sidecars.get(&fig.path).and_then(|s| s.1.device) {
        fig.device = dev;
    }
    let target = display_width(fig.device);
    let variants: Vec<Variant> = [target, target * 2]
        .iter()
        .filter_map(|t| d.by_target.get(t).cloned())
        .fold(Vec::new(), |mut v, x| {
            if v.last() != Some(&x) {
                v.push(x);
            }
            v
        });
    fig.width = d.full.width;
    fig.height = d.full.height;
    fig.published = Some(Box::new(Published {
        variants,
        full: d.full.clone(),
        marks: d.marks.clone(),
        eager: *first,
    }));
    *first = false;
}

/// Reads the settings of the wanted images, and warns about settings files that belong to no
/// image.
pub(crate) fn load_sidecars(
    root: &Path,
    content_dir: &Path,
    files: &HashSet<String>,
    scope: Scope<'_>,
    wanted: &BTreeSet<&str>,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<String, (SourceFile, Sidecar)> {
    let mut out = HashMap::new();
    let in_scope = |f: &str| match scope {
        Scope::Site => true,
        Scope::Guide(g) => f.strip_prefix(g).is_some_and(|r| r.starts_with('/')),
    };
    // a settings file sits beside its image: both are in the scope or neither
    let scoped: Vec<&String> = files.iter().filter(|f| in_scope(f)).collect();
    let mut owned: HashSet<String> = HashSet::new();
    for f in scoped.iter().filter(|f| is_image(f)) {
        owned.extend(sidecar::candidates(f));
    }
    let mut orphans: Vec<&String> = scoped
        .into_iter()
        .filter(|f| f.ends_with(".toml") && !owned.contains(*f))
        .collect();
    orphans.sort();
    for o in orphans {
        diags.push(
            Diagnostic::warning(
                "orphan-settings",
                format!("`content/{o}` belongs to no screenshot"),
            )
            .in_file(format!("content/{o}"))
            .help("screenshot settings are named after their image: `images/login.toml` (or `images/login.png.toml`) for `images/login.png`"),
        );
    }
    for p in wanted {
        let found: Vec<String> = sidecar::candidates(p)
            .into_iter()
            .filter(|c| files.contains(c))
            .collect();
        if found.len() > 1 {
            diags.push(
                Diagnostic::error(
                    "duplicate-settings",
                    format!(
                        "`content/{p}` has two settings files: `{}` and `{}`",
                        found[0], found[1]
                    ),
                )
                .in_file(format!("content/{}", found[1]))
                .help("keep one of them"),
            );
            continue;
        }
        let Some(rel) = found.into_iter().next() else {
            continue;
        };
        let Some(file) = SourceFile::read(root, &content_dir.join(&rel), diags) else {
            continue;
        };
        if let Some(s) = sidecar::parse(&file, &rel, diags) {
            out.insert(p.to_string(), (file, s));
        }
    }
    out
}

fn unsupported(path: &str, ext: &str) -> Diagnostic {
    Diagnostic::warning(
        "bad-image",
        format!(
            "`content/{path}` is a {} picture, which guidepost cannot process; it is not published",
            ext.to_ascii_uppercase()
        ),
    )
    .in_file(format!("content/{path}"))
    .help("save it as PNG (screenshots) or JPEG (photos)")
}

/// Between the file and the reason in the message of [`bad`].
const UNUSABLE: &str = " cannot be used as a screenshot: ";

fn bad(path: &str, why: impl std::fmt::Display, help: &str) -> Diagnostic {
    Diagnostic::warning("bad-image", format!("`content/{path}`{UNUSABLE}{why}"))
        .in_file(format!("content/{path}"))
        .help(format!(
            "{help}; until then a placeholder shows where it goes"
        ))
}

/// Processes one job, from the cache when it can.
fn run(
    job: &Job<'_>,
    content_dir: &Path,
    cache: &Cache,
    seen: &Seen,
    encode_pixels: bool,
    learnt: &mut Option<Learnt>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Done> {
    let path = &job.path;
    let file = content_dir.join(path);
    let cannot_read = |e: std::io::Error, diags: &mut Vec<Diagnostic>| {
        diags.push(bad(
            path,
            format!("it cannot be read ({e})"),
            "check the file's permissions",
        ));
    };
    let read = |diags: &mut Vec<Diagnostic>| {
        let bytes = std::fs::read(&file)
            .map_err(|e| cannot_read(e, diags))
            .ok()?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        Some((bytes, hash))
    };
    let stat = match std::fs::metadata(&file) {
        Ok(m) => Stat::of(&m),
        Err(e) => {
            cannot_read(e, diags);
            return None;
        }
    };
    let redactions = job
        .sidecar
        .map(|s| s.1.redactions.as_slice())
        .unwrap_or(&[]);
    let key_of = |hash: &str| {
        let mut h = blake3::Hasher::new();
        h.update(format!("guidepost-images {VERSION}\n").as_bytes());
        h.update(format!("{:?} {} {:?}\n", job.targets, job.keep_name, ext(path)).as_bytes());
        for r in redactions {
            h.update(format!("{:?} {:?}\n", r.rect, r.style).as_bytes());
        }
        h.update(hash.as_bytes());
        h.finalize().to_hex().to_string()
    };
    // the file's bytes are read only when the cache has not seen it as it is, or has no entry
    // for it (then its hash is taken from the bytes read, in case the file changed meanwhile)
    let (mut bytes, mut hash) = match seen.known(path, &stat) {
        Some(h) => (None, h.to_string()),
        None => {
            let (b, h) = read(diags)?;
            (Some(b), h)
        }
    };
    let mut key = key_of(&hash);
    let mut hit = cache.get(&key, seen);
    if hit.is_none() && bytes.is_none() {
        let (b, h) = read(diags)?;
        if h != hash {
            key = key_of(&h);
            hit = cache.get(&key, seen);
            hash = h;
        }
        bytes = Some(b);
    }
    let mut used_day = None;
    let (manifest, blobs, from_cache) = match (hit, bytes.as_deref()) {
        (Some((m, dir, day)), _) => {
            let blobs = m
                .files
                .iter()
                .map(|f| Blob::Cached(dir.join(&f.name)))
                .collect();
            used_day = Some(day);
            (m, blobs, true)
        }
        (None, Some(bytes)) if encode_pixels => {
            let encoded = encode(job, bytes, diags)?;
            let (m, blobs) = cache.put(&key, encoded);
            (m, blobs, false)
        }
        (None, Some(bytes)) => {
            let (m, blobs) = placeholders(job, &decode_checked(job, bytes, diags)?);
            (m, blobs, false)
        }
        (None, None) => unreachable!("read above"),
    };
    // an entry in the cache folder is remembered with its manifest (one made now was marked
    // used today)
    let stored = blobs.iter().all(|b| matches!(b, Blob::Cached(_)));
    let entry = stored.then(|| {
        let day = used_day.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() / 86_400)
        });
        (key.clone(), manifest.clone(), day)
    });
    *learnt = Some(Learnt { stat, hash, entry });
    let (w, h) = (manifest.width, manifest.height);
    // highlights are not part of the key: checked on every build
    if let Some((file, s)) = job.sidecar {
        for hl in &s.highlights {
            if !sidecar::fits(hl.rect, w, h) {
                diags.push(sidecar::outside(
                    file,
                    "highlight",
                    hl.rect,
                    hl.span.clone(),
                    w,
                    h,
                ));
            }
        }
    }
    let marks = job.sidecar.map(|s| marks(&s.1, w, h)).unwrap_or_default();

    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), path.as_str()),
    };
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let short = &key[..10];
    let mut files = Vec::new();
    let mut full = None;
    let mut by_width: HashMap<u32, Variant> = HashMap::new();
    for (f, blob) in manifest.files.iter().zip(blobs) {
        // a width that is the picture's own is the full picture: published once (older cache
        // entries hold a copy of it)
        if f.role == Role::Sized && f.width == w {
            continue;
        }
        let rel = match f.role {
            Role::Sized => format!("{dir}{stem}.{}.{short}.{}", f.width, f.ext),
            Role::Full => format!("{dir}{stem}.{short}.{}", f.ext),
            Role::Named => path.clone(),
        };
        let v = Variant {
            url: encode_path(&rel),
            width: f.width,
            height: f.height,
        };
        match f.role {
            Role::Sized => {
                by_width.insert(f.width, v);
            }
            Role::Full => full = Some(v),
            Role::Named => {}
        }
        files.push(OutFile { rel, blob });
    }
    let full = full?;
    let by_target = job
        .targets
        .iter()
        .flat_map(|t| [*t, t * 2])
        .map(|t| {
            let v = by_width
                .get(&t.min(w))
                .cloned()
                .unwrap_or_else(|| full.clone());
            (t, v)
        })
        .collect();
    Some(Done {
        files,
        full,
        by_target,
        marks,
        from_cache,
    })
}

/// Highlights as marks: rectangles clipped to the picture, numbered in the order written, each
/// with a round marker just outside its top-left corner (inside the picture).
fn marks(s: &Sidecar, w: u32, h: u32) -> Vec<Mark> {
    let r = (w.min(h) / 28).max(10);
    s.highlights
        .iter()
        .enumerate()
        .filter(|(_, hl)| hl.rect.x < w && hl.rect.y < h)
        .map(|(i, hl)| {
            let x = hl.rect.x;
            let y = hl.rect.y;
            let rw = hl.rect.w.min(w - x);
            let rh = hl.rect.h.min(h - y);
            Mark {
                number: i + 1,
                x,
                y,
                w: rw,
                h: rh,
                cx: x
                    .saturating_sub(r / 2)
                    .clamp(r + 2, w.saturating_sub(r + 2).max(r + 2)),
                cy: y
                    .saturating_sub(r / 2)
                    .clamp(r + 2, h.saturating_sub(r + 2).max(r + 2)),
                r,
                label: hl.label.clone(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Decoding, redacting, encoding

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    /// Scaled to a display width (1x, 2x).
    Sized,
    /// The whole picture, at its own size.
    Full,
    /// A cleaned copy under the original's own name and format (for links to the file).
    Named,
}

struct Encoded {
    width: u32,
    height: u32,
    files: Vec<(Role, u32, u32, &'static str, Vec<u8>)>,
}

/// Decodes under limits, turns upright, and checks that every redaction fits: every problem
/// the build finds in a picture before it encodes it.
fn decode_checked(
    job: &Job<'_>,
    bytes: &[u8],
    diags: &mut Vec<Diagnostic>,
) -> Option<DynamicImage> {
    let path = &job.path;
    let img = match decode(bytes) {
        Ok(i) => i,
        Err(e) => {
            diags.push(bad(path, e.0, e.1));
            return None;
        }
    };
    let img = normalize(img);
    let (w, h) = (img.width(), img.height());
    if let Some((file, s)) = job.sidecar {
        // never burn a partial redaction: a misplaced one means the author measured wrong
        let outside: Vec<_> = s
            .redactions
            .iter()
            .filter(|r| !sidecar::fits(r.rect, w, h))
            .collect();
        if !outside.is_empty() {
            for r in outside {
                diags.push(sidecar::outside(
                    file,
                    "redaction",
                    r.rect,
                    r.span.clone(),
                    w,
                    h,
                ));
            }
            return None;
        }
    }
    Some(img)
}

/// The scaled sizes of a job's picture of `w`×`h` pixels (each narrower than the picture).
fn scaled_sizes(job: &Job<'_>, w: u32, h: u32) -> Vec<(u32, u32)> {
    let mut widths: BTreeSet<u32> = BTreeSet::new();
    for t in &job.targets {
        widths.insert((*t).min(w));
        widths.insert((t * 2).min(w));
    }
    widths
        .into_iter()
        .filter(|x| *x < w)
        .map(|tw| {
            let th = ((h as u64 * tw as u64 + w as u64 / 2) / w as u64).max(1) as u32;
            (tw, th)
        })
        .collect()
}

/// The manifest an encoding of `img` would have, with empty files (for a pass that does not
/// encode: the sizes and URLs are right, the file extensions and bytes are not).
fn placeholders(job: &Job<'_>, img: &DynamicImage) -> (Manifest, Vec<Blob>) {
    let (w, h) = (img.width(), img.height());
    let file = |role, width, height| CachedFile {
        role,
        name: String::new(),
        width,
        height,
        ext: "webp".into(),
        len: 0,
        mtime: 0,
        blake3: String::new(),
    };
    let mut files: Vec<CachedFile> = scaled_sizes(job, w, h)
        .into_iter()
        .map(|(tw, th)| file(Role::Sized, tw, th))
        .collect();
    files.push(file(Role::Full, w, h));
    if job.keep_name {
        files.push(file(Role::Named, w, h));
    }
    let blobs = files
        .iter()
        .map(|_| Blob::Memory(std::sync::Arc::default()))
        .collect();
    let m = Manifest {
        version: VERSION,
        width: w,
        height: h,
        files,
    };
    (m, blobs)
}

/// Decodes under limits, turns upright, redacts, and encodes every file of the job.
fn encode(job: &Job<'_>, bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Option<Encoded> {
    let path = &job.path;
    let mut img = decode_checked(job, bytes, diags)?;
    let (w, h) = (img.width(), img.height());
    if let Some((_, s)) = job.sidecar {
        for r in &s.redactions {
            redact(&mut img, r.rect, r.style);
        }
    }
    let jpeg_source = matches!(image::guess_format(bytes), Ok(ImageFormat::Jpeg));
    let mut files = Vec::new();
    for (tw, th) in scaled_sizes(job, w, h) {
        let small = resize(&img, tw, th);
        let (ext, data) = smallest(&small, jpeg_source);
        files.push((Role::Sized, tw, th, ext, data));
    }
    let (ext, data) = smallest(&img, jpeg_source);
    // a display width of the picture's own size is served by the full picture
    files.push((Role::Full, w, h, ext, data));
    if job.keep_name {
        let own = ext_of(path);
        let data = match own.as_str() {
            "jpg" | "jpeg" => jpeg(&img, 90),
            "webp" => webp(&img),
            _ => png_optimized(&img),
        };
        files.push((Role::Named, w, h, "", data));
    }
    // an encoder that failed left no bytes: never publish an empty picture
    if files.iter().any(|f| f.4.is_empty()) {
        diags.push(bad(
            path,
            "it could not be encoded for the web",
            "save it again as PNG or JPEG from an image viewer",
        ));
        return None;
    }
    Some(Encoded {
        width: w,
        height: h,
        files,
    })
}

fn ext_of(path: &str) -> String {
    ext(path).unwrap_or_default()
}

/// Why a file cannot be decoded, and how to fix it.
struct DecodeError(String, &'static str);

fn decode(bytes: &[u8]) -> Result<DynamicImage, DecodeError> {
    const RESAVE: &str = "open it in an image viewer and save it again as PNG";
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => f,
        Ok(other) => {
            return Err(DecodeError(
                format!("it is a {other:?} picture, which is not supported"),
                "save it as PNG (screenshots) or JPEG (photos)",
            ));
        }
        Err(_) if bytes.is_empty() => {
            return Err(DecodeError(
                "the file is empty".into(),
                "take the screenshot again",
            ));
        }
        Err(_) => {
            return Err(DecodeError(
                "it is not a PNG, JPEG or WebP picture (perhaps a renamed document or a download that failed)".into(),
                "replace it with the screenshot itself",
            ));
        }
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_WIDTH);
    limits.max_image_height = Some(MAX_HEIGHT);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let too_large = |w: u32, h: u32| {
        DecodeError(
            format!(
                "it is {w}×{h} pixels, larger than the limit of {MAX_WIDTH}×{MAX_HEIGHT} pixels and {} million pixels",
                MAX_PIXELS / 1_000_000
            ),
            "crop or scale it down (a phone screenshot is about 1170×2532)",
        )
    };
    let mut decoder = match reader.into_decoder() {
        Ok(d) => d,
        Err(image::ImageError::Limits(_)) => {
            let (w, h) = imagesize::blob_size(bytes)
                .map(|s| (s.width as u32, s.height as u32))
                .unwrap_or((0, 0));
            return Err(too_large(w, h));
        }
        Err(e) => return Err(DecodeError(format!("it is damaged ({e})"), RESAVE)),
    };
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > MAX_PIXELS {
        return Err(too_large(w, h));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(w, h),
        e => DecodeError(format!("it is damaged or cut off ({e})"), RESAVE),
    })?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// 8-bit RGB, or RGBA when some pixel is not opaque.
fn normalize(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageRgb8(_) => img,
        DynamicImage::ImageRgba8(ref i) if i.pixels().any(|p| p.0[3] != 255) => img,
        other if other.color().has_alpha() => {
            let rgba = other.to_rgba8();
            if rgba.pixels().any(|p| p.0[3] != 255) {
                DynamicImage::ImageRgba8(rgba)
            } else {
                DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
            }
        }
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

/// Burns a redaction into the pixels.
fn redact(img: &mut DynamicImage, r: sidecar::Rect, style: RedactStyle) {
    let channels = img.color().channel_count() as usize;
    let width = img.width() as usize;
    let buf: &mut [u8] = match img {
        DynamicImage::ImageRgb8(i) => i,
        DynamicImage::ImageRgba8(i) => i,
        _ => unreachable!("normalized"),
    };
    let (x0, y0, x1, y1) = (
        r.x as usize,
        r.y as usize,
        (r.x + r.w) as usize,
        (r.y + r.h) as usize,
    );
    match style {
        RedactStyle::Solid => {
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = (y * width + x) * channels;
                    buf[p..p + 3].fill(0);
                    if channels == 4 {
                        buf[p + 3] = 255;
                    }
                }
            }
        }
        RedactStyle::Mosaic => {
            // blocks so coarse that text cannot be read back: at least 16 px, and at most three
            // blocks across the short side
            let block = (r.w.min(r.h) as usize / 3).max(16);
            let mut by = y0;
            while by < y1 {
                let ey = (by + block).min(y1);
                let mut bx = x0;
                while bx < x1 {
                    let ex = (bx + block).min(x1);
                    let mut sum = [0u64; 3];
                    for y in by..ey {
                        for x in bx..ex {
                            let p = (y * width + x) * channels;
                            for c in 0..3 {
                                sum[c] += buf[p + c] as u64;
                            }
                        }
                    }
                    let n = ((ey - by) * (ex - bx)) as u64;
                    let avg = sum.map(|s| (s / n) as u8);
                    for y in by..ey {
                        for x in bx..ex {
                            let p = (y * width + x) * channels;
                            buf[p..p + 3].copy_from_slice(&avg);
                            if channels == 4 {
                                buf[p + 3] = 255;
                            }
                        }
                    }
                    bx = ex;
                }
                by = ey;
            }
        }
    }
}

fn resize(img: &DynamicImage, w: u32, h: u32) -> DynamicImage {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    let mut dst = DynamicImage::new(w, h, img.color());
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    match Resizer::new().resize(img, &mut dst, &opts) {
        Ok(()) => dst,
        // only for pixel types normalize() never produces
        Err(_) => img.resize_exact(w, h, image::imageops::FilterType::Lanczos3),
    }
}

/// Writes `img` with `enc`; false if the encoder failed.
fn write_with(img: &DynamicImage, enc: impl image::ImageEncoder) -> bool {
    enc.write_image(
        img.as_bytes(),
        img.width(),
        img.height(),
        img.color().into(),
    )
    .is_ok()
}

fn webp(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    let ok = write_with(
        img,
        image::codecs::webp::WebPEncoder::new_lossless(&mut out),
    );
    if ok { out } else { Vec::new() }
}

fn png_fast(img: &DynamicImage) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    let enc = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    let ok = write_with(img, enc);
    if ok { out } else { Vec::new() }
}

fn png_optimized(img: &DynamicImage) -> Vec<u8> {
    let color = if img.color().has_alpha() {
        oxipng::ColorType::RGBA
    } else {
        oxipng::ColorType::RGB {
            transparent_color: None,
        }
    };
    let mut opts = oxipng::Options::from_preset(0);
    opts.strip = oxipng::StripChunks::All;
    oxipng::RawImage::new(
        img.width(),
        img.height(),
        color,
        oxipng::BitDepth::Eight,
        img.as_bytes().to_vec(),
    )
    .and_then(|raw| raw.create_optimized_png(&opts))
    .unwrap_or_else(|_| png_fast(img))
}

fn jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let rgb;
    let img = if img.color().has_alpha() {
        rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        &rgb
    } else {
        img
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .map(|_| out)
        .unwrap_or_default()
}

/// The smallest encoding of `img`: lossless WebP or optimized PNG (and, for pictures that were
/// JPEG already, a good JPEG). The optimizer can shrink a quickly made PNG by about a quarter at
/// most, so it only runs when that could beat the WebP.
fn smallest(img: &DynamicImage, jpeg_source: bool) -> (&'static str, Vec<u8>) {
    let w = webp(img);
    let fast = png_fast(img);
    let mut best: (&'static str, Vec<u8>) = ("webp", w);
    if !fast.is_empty() && (fast.len() as f64) < best.1.len() as f64 * 1.35 || best.1.is_empty() {
        let p = png_optimized(img);
        if !p.is_empty() && (best.1.is_empty() || p.len() < best.1.len()) {
            best = ("png", p);
        }
    }
    if jpeg_source {
        let j = jpeg(img, 88);
        if !j.is_empty() && j.len() < best.1.len() {
            best = ("jpg", j);
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// The cache

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    width: u32,
    height: u32,
    files: Vec<CachedFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CachedFile {
    role: Role,
    name: String,
    width: u32,
    height: u32,
    ext: String,
    len: u64,
    /// Modification time in nanoseconds since the epoch, as written.
    mtime: u128,
    blake3: String,
}

/// What a file's metadata says of its content: equal stats mean the same bytes (as `git status`
/// and Cargo trust them), so a screenshot seen before is not read again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    len: u64,
    /// Modification time in nanoseconds since the epoch.
    mtime: u128,
    /// On Unix, the inode and the change time too: a file replaced by a copy with its old time
    /// (`cp -p`, an unzip) has another inode.
    #[serde(default)]
    ino: u64,
    #[serde(default)]
    ctime: i128,
}

impl Stat {
    fn of(m: &std::fs::Metadata) -> Stat {
        #[cfg(unix)]
        let (ino, ctime) = {
            use std::os::unix::fs::MetadataExt;
            (
                m.ino(),
                i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            )
        };
        #[cfg(not(unix))]
        let (ino, ctime) = (0, 0);
        Stat {
            len: m.len(),
            mtime: mtime(m),
            ino,
            ctime,
        }
    }
}

/// What a screenshot's run tells the memo: the file's stat and content hash, and the cache
/// entry it used (key, manifest, day it was marked used), if that entry is in the cache folder.
struct Learnt {
    stat: Stat,
    hash: String,
    entry: Option<(String, Manifest, u64)>,
}

/// The content hash of each screenshot file (by its path in `content/`) as of the last build,
/// with the stat it had then: `.guidepost-cache/images/seen.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Seen {
    version: u32,
    files: HashMap<String, (Stat, String)>,
    /// The manifests of the cache entries those files used (by key), with the day their
    /// `manifest.json` was last marked used: a build checks an entry's files without reading
    /// its manifest again.
    #[serde(default)]
    entries: HashMap<String, (Manifest, u64)>,
}

impl Seen {
    /// The content hash of `path` if its stat is the one it had when it was hashed.
    fn known(&self, path: &str, stat: &Stat) -> Option<&str> {
        self.files
            .get(path)
            .filter(|(s, _)| s == stat)
            .map(|(_, h)| h.as_str())
    }

    /// Records a hash, except of a file changed in the last two seconds: the same size and time
    /// may still hide a second write within the file system's clock tick (git's "racy" files).
    fn learn(&mut self, path: &str, stat: &Stat, hash: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        if stat.mtime + 2_000_000_000 > now {
            self.forget(path);
        } else if self.known(path, stat) != Some(hash) {
            self.files
                .insert(path.to_string(), (stat.clone(), hash.to_string()));
        }
    }

    fn forget(&mut self, path: &str) {
        self.files.remove(path);
    }

    fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.files.retain(|p, _| keep(p));
    }
}

struct Cache {
    /// `None` when the cache folder cannot be written: everything stays in memory.
    dir: Option<PathBuf>,
    /// Does it write (new entries, last-used times, pruning)?
    write: bool,
}

fn mtime(m: &std::fs::Metadata) -> u128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

impl Cache {
    fn open(root: &Path) -> Cache {
        Cache {
            dir: crate::cache::open(root, "images"),
            write: true,
        }
    }

    /// The cache of the site at `root`, used as it is: nothing is created or written.
    fn read_only(root: &Path) -> Cache {
        let dir = root.join(crate::cache::DIR).join("images");
        Cache {
            dir: dir.is_dir().then_some(dir),
            write: false,
        }
    }

    /// The files seen by the last build (empty without a cache or when unreadable).
    fn seen(&self) -> Seen {
        self.dir
            .as_ref()
            .and_then(|d| std::fs::read(d.join(SEEN)).ok())
            .and_then(|b| serde_json::from_slice::<Seen>(&b).ok())
            .filter(|s| s.version == VERSION)
            .unwrap_or(Seen {
                version: VERSION,
                ..Seen::default()
            })
    }

    /// Saves what this build has seen, for the next one.
    fn remember(&self, seen: &Seen) {
        let Some(dir) = self.dir.as_ref().filter(|_| self.write) else {
            return;
        };
        if let Ok(json) = serde_json::to_vec(seen) {
            let _ = crate::atomic::write(&dir.join(SEEN), &json);
        }
    }

    /// A valid entry: its manifest reads, and every file has the size and time it was written
    /// with (or, if only the time changed, still the same hash).
    fn get(&self, key: &str, seen: &Seen) -> Option<(Manifest, PathBuf, u64)> {
        use std::io::Read;
        let dir = self.dir.as_ref()?.join(key);
        let now = std::time::SystemTime::now();
        let today = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        // the manifest as the memo has it, else as the entry has it
        let (m, used_day, file) = match seen.entries.get(key) {
            Some((m, day)) => (m.clone(), *day, None),
            None => {
                let mut file = std::fs::File::open(dir.join("manifest.json")).ok()?;
                let used = file.metadata().ok()?.modified().ok();
                let mut text = Vec::new();
                file.read_to_end(&mut text).ok()?;
                let m: Manifest = serde_json::from_slice(&text).ok()?;
                let day = used
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs() / 86_400);
                (m, day, Some(file))
            }
        };
        if m.version != VERSION || m.files.is_empty() {
            return None;
        }
        for f in &m.files {
            let p = dir.join(&f.name);
            let meta = std::fs::metadata(&p).ok()?;
            if meta.len() != f.len {
                return None;
            }
            if mtime(&meta) != f.mtime {
                let bytes = std::fs::read(&p).ok()?;
                if blake3::hash(&bytes).to_hex().as_str() != f.blake3 {
                    return None;
                }
            }
        }
        // the manifest's time says when the entry was last used (see `prune`): refreshed once a
        // day at most, not on every build
        if self.write && used_day < today {
            let marked = match file {
                Some(f) => f.set_modified(now).is_ok(),
                None => std::fs::File::options()
                    .write(true)
                    .open(dir.join("manifest.json"))
                    .and_then(|f| f.set_modified(now))
                    .is_ok(),
            };
            if marked {
                return Some((m, dir, today));
            }
        }
        Some((m, dir, used_day))
    }

    /// Removes entries unused for [`PRUNE_AFTER`] and temporary folders a killed build left.
    fn prune(&self) {
        let Some(dir) = self.dir.as_ref().filter(|_| self.write) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let now = std::time::SystemTime::now();
        let older = |p: &Path, age: Duration| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|d| d > age)
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            let is_key = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
            let stale = if is_key {
                older(&p.join("manifest.json"), PRUNE_AFTER)
                    || !p.join("manifest.json").exists() && older(&p, Duration::from_secs(86_400))
            } else {
                name.len() > 64
                    && name[..64].bytes().all(|b| b.is_ascii_hexdigit())
                    && name[64..].starts_with(".tmp")
                    && older(&p, Duration::from_secs(86_400))
            };
            if stale {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }

    /// Stores an entry (into a temporary folder renamed into place, so a killed build leaves no
    /// half entry) and returns its manifest and where each file's bytes are.
    fn put(&self, key: &str, e: Encoded) -> (Manifest, Vec<Blob>) {
        let names: Vec<String> = e
            .files
            .iter()
            .enumerate()
            .map(|(i, (role, w, _, ext, _))| match role {
                Role::Named => format!("{i}-named"),
                _ => format!("{i}-{w}.{ext}"),
            })
            .collect();
        let mut m = Manifest {
            version: VERSION,
            width: e.width,
            height: e.height,
            files: names
                .iter()
                .zip(&e.files)
                .map(|(name, (role, w, h, ext, data))| CachedFile {
                    role: *role,
                    name: name.clone(),
                    width: *w,
                    height: *h,
                    ext: ext.to_string(),
                    len: data.len() as u64,
                    mtime: 0,
                    blake3: blake3::hash(data).to_hex().to_string(),
                })
                .collect(),
        };
        let stored = self.dir.as_ref().filter(|_| self.write).and_then(|base| {
            // a folder of this call's own: two screenshots of the same bytes are stored by two
            // threads at once (each then finds the entry complete, the files having the same
            // names and bytes)
            static CALL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let call = CALL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = base.join(format!("{key}.tmp{}-{call}", std::process::id()));
            let target = base.join(key);
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir(&tmp).ok()?;
            let ok = (|| {
                for (f, (.., data)) in m.files.iter_mut().zip(&e.files) {
                    let p = tmp.join(&f.name);
                    std::fs::write(&p, data).ok()?;
                    f.mtime = mtime(&std::fs::metadata(&p).ok()?);
                }
                std::fs::write(
                    tmp.join("manifest.json"),
                    serde_json::to_vec_pretty(&m).ok()?,
                )
                .ok()?;
                let _ = std::fs::remove_dir_all(&target);
                std::fs::rename(&tmp, &target).ok()
            })();
            if ok.is_none() {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            ok.map(|_| target)
        });
        let blobs = match stored {
            Some(dir) => names.iter().map(|n| Blob::Cached(dir.join(n))).collect(),
            None => e
                .files
                .into_iter()
                .map(|(.., data)| Blob::Memory(std::sync::Arc::new(data)))
                .collect(),
        };
        (m, blobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_removes_only_old_entries_and_leftovers() {
        let t = tempfile::tempdir().unwrap();
        let cache = Cache::open(t.path());
        let dir = cache.dir.clone().unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(40 * 86_400);
        let mk = |name: &str, age: Option<std::time::SystemTime>| {
            let p = dir.join(name);
            std::fs::create_dir_all(&p).unwrap();
            let m = p.join("manifest.json");
            std::fs::write(&m, "{}").unwrap();
            if let Some(a) = age {
                std::fs::File::options()
                    .append(true)
                    .open(&m)
                    .unwrap()
                    .set_modified(a)
                    .unwrap();
                std::fs::File::open(&p).unwrap().set_modified(a).unwrap();
            }
            p
        };
        let key = |c: char| c.to_string().repeat(64);
        let stale = mk(&key('a'), Some(old));
        let fresh = mk(&key('b'), None);
        let leftover = mk(&format!("{}.tmp42", key('c')), Some(old));
        let foreign = mk("notes", Some(old));
        cache.prune();
        assert!(!stale.exists() && !leftover.exists());
        assert!(fresh.exists() && foreign.exists());
        assert!(t.path().join(".guidepost-cache/.gitignore").is_file());
    }

    #[test]
    fn marks_are_numbered_and_clipped() {
        let s = Sidecar {
            highlights: vec![
                sidecar::Highlight {
                    rect: sidecar::Rect {
                        x: 10,
                        y: 20,
                        w: 30,
                        h: 40,
                    },
                    label: Some("a".into()),
                    span: 0..0,
                },
                sidecar::Highlight {
                    rect: sidecar::Rect {
                        x: 90,
                        y: 190,
                        w: 30,
                        h: 40,
                    },
                    label: None,
                    span: 0..0,
                },
            ],
            ..Sidecar::default()
        };
        let m = marks(&s, 100, 200);
        assert_eq!(m.iter().map(|m| m.number).collect::<Vec<_>>(), [1, 2]);
        assert_eq!((m[1].w, m[1].h), (10, 10));
        // markers stay inside the picture
        assert!(
            m.iter()
                .all(|m| m.cx >= m.r && m.cx + m.r <= 100 && m.cy >= m.r)
        );
    }
}
