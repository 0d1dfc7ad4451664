//! QR codes of page URLs: what a printed notice or a desktop reader scans to open a guide on a
//! phone. Codes use error correction level M (15%): robust on paper and still small for the
//! short ASCII URLs guidepost makes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fast_qr::{ECL, QRBuilder};

use crate::cache::Blob;

/// The modules of a QR code: `size × size`, `true` for dark, row by row, without quiet zone.
#[derive(Debug, Clone)]
pub struct Qr {
    pub size: usize,
    pub dark: Vec<bool>,
}

impl Qr {
    /// Encodes `text`; `Err` only when it is too long for any QR version.
    pub fn encode(text: &str) -> Result<Qr, String> {
        let code = QRBuilder::new(text)
            .ecl(ECL::M)
            .build()
            .map_err(|e| format!("cannot make a QR code of {text:?}: {e:?}"))?;
        let size = code.size;
        let dark = (0..size * size)
            .map(|i| code.data[i].value())
            .collect::<Vec<_>>();
        Ok(Qr { size, dark })
    }

    /// Is the module at column `x`, row `y` dark?
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// A standalone SVG document (black on white, 4-module quiet zone), scalable to any size.
    pub fn svg(&self) -> String {
        use std::fmt::Write;
        let q = QUIET as usize;
        let side = self.size + 2 * q;
        let mut path = String::with_capacity(self.size * self.size * 6);
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                // one rectangle per run of dark modules in a row
                let start = x;
                while x < self.size && self.is_dark(x, y) {
                    x += 1;
                }
                let _ = write!(
                    path,
                    "M{},{}h{}v1H{}z",
                    start + q,
                    y + q,
                    x - start,
                    start + q
                );
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
        )
    }

    /// A PNG image (black on white, [`QUIET`]-module quiet zone), `scale` pixels per module: whole
    /// pixels keep module edges crisp, for Word and WeChat's editor, which take no SVG. One bit
    /// per pixel keeps it small and fast to encode; it says [`PNG_DPI`], so Word inserts it at
    /// a printable size (a 37-module code at 10 px: 3.1 cm) instead of a screen's 96 dpi.
    pub fn png(&self, scale: u32) -> Vec<u8> {
        let scale = scale.max(1) as usize;
        let modules = self.size + 2 * QUIET as usize;
        let side = modules * scale;
        let row_bytes = side.div_ceil(8);
        let quiet = QUIET as usize;
        // 1 is white; one row of pixels per row of modules, repeated `scale` times
        let mut data = Vec::with_capacity(row_bytes * side);
        let mut row = vec![0u8; row_bytes];
        for my in 0..modules {
            row.fill(0);
            let mut px = 0;
            for mx in 0..modules {
                let dark = mx >= quiet && my >= quiet && self.is_dark(mx - quiet, my - quiet);
                if !dark {
                    for p in px..px + scale {
                        row[p / 8] |= 0x80 >> (p % 8);
                    }
                }
                px += scale;
            }
            for _ in 0..scale {
                data.extend_from_slice(&row);
            }
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::Fast);
        let ppm = (PNG_DPI as f64 / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let written = enc
            .write_header()
            .and_then(|mut w| w.write_image_data(&data).and_then(|_| w.finish()));
        written.expect("encoding a PNG into memory cannot fail");
        out
    }
}

/// The resolution the PNG files declare.
pub const PNG_DPI: u32 = 300;

/// The light border around a code, in modules, that scanners need (the standard's minimum).
pub const QUIET: u32 = 4;

/// Pixels per module of the PNG files next to each page: a typical code (29–37 modules) becomes
/// a 370–450 px image, sharp when pasted into a Word notice at 3–4 cm.
pub const PNG_SCALE: u32 = 10;

/// The SVG and PNG files of one page's QR code.
#[derive(Debug, Clone)]
pub struct Files {
    /// Modules per side (without quiet zone).
    pub size: usize,
    pub svg: Blob,
    pub png: Blob,
}

/// QR codes by URL, kept in `ROOT/.guidepost-cache/qr/` between builds: a code is encoded once
/// per URL, and later builds hard-link its files into the output instead of encoding and writing
/// them again (at 1,000 guides that is 8,000 files; encoding was a quarter of the build's CPU).
///
/// An entry is two files, `KEY-SIZE.svg` and `KEY-SIZE.png`, where KEY hashes the URL and
/// everything that shapes the files, and SIZE is the code's modules per side: one listing of the
/// folder tells what is there. Files are written under a temporary name and renamed, so a
/// killed build leaves no half entry. Entries no build used for [`crate::cache::PRUNE_AFTER`]
/// are removed.
#[derive(Debug)]
pub struct Store {
    /// `None` keeps everything in memory (the cache cannot be written, or must not be).
    dir: Option<PathBuf>,
    /// Entries found in the folder: key → size.
    known: HashMap<String, usize>,
    /// Does it write new entries?
    write: bool,
    /// Keys this build asked for (kept by [`Store::prune`]).
    used: Mutex<HashSet<String>>,
}

impl Store {
    /// The store of the site at `root`.
    pub fn open(root: &Path) -> Store {
        Store::list(crate::cache::open(root, "qr"), true)
    }

    /// The store of the site at `root`, used as it is: nothing is written (`guidepost check`).
    pub fn read_only(root: &Path) -> Store {
        let dir = root.join(crate::cache::DIR).join("qr");
        Store::list(dir.is_dir().then_some(dir), false)
    }

    fn list(dir: Option<PathBuf>, write: bool) -> Store {
        let mut known = HashMap::new();
        if let Some(entries) = dir.as_ref().and_then(|d| std::fs::read_dir(d).ok()) {
            let mut svg = HashMap::new();
            let mut png = HashSet::new();
            for e in entries.flatten() {
                let name = e.file_name();
                let Some(name) = name.to_str() else { continue };
                if let Some((key, size)) = parse_name(name, ".svg") {
                    svg.insert(key.to_string(), size);
                } else if let Some((key, size)) = parse_name(name, ".png") {
                    png.insert((key.to_string(), size));
                }
            }
            known = svg
                .into_iter()
                .filter(|(k, s)| png.contains(&(k.clone(), *s)))
                .collect();
        }
        Store {
            dir,
            known,
            write,
            used: Mutex::default(),
        }
    }

    /// A store that writes nothing and keeps the files in memory.
    pub fn memory() -> Store {
        Store {
            dir: None,
            known: HashMap::new(),
            write: false,
            used: Mutex::default(),
        }
    }

    /// The QR files of `url`, from the cache or encoded now (and cached); `Err` only when the
    /// URL is too long for any QR code.
    pub fn get(&self, url: &str) -> Result<Files, String> {
        let key = key(url);
        if let Some(dir) = &self.dir {
            self.used
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.clone());
            if let Some(&size) = self.known.get(&key) {
                return Ok(Files {
                    size,
                    svg: Blob::Cached(dir.join(format!("{key}-{size}.svg"))),
                    png: Blob::Cached(dir.join(format!("{key}-{size}.png"))),
                });
            }
        }
        let q = Qr::encode(url)?;
        let svg = q.svg().into_bytes();
        let png = q.png(PNG_SCALE);
        if let Some(dir) = self.dir.as_ref().filter(|_| self.write) {
            let svg_path = dir.join(format!("{key}-{}.svg", q.size));
            let png_path = dir.join(format!("{key}-{}.png", q.size));
            if crate::atomic::write(&svg_path, &svg).is_ok()
                && crate::atomic::write(&png_path, &png).is_ok()
            {
                return Ok(Files {
                    size: q.size,
                    svg: Blob::Cached(svg_path),
                    png: Blob::Cached(png_path),
                });
            }
        }
        Ok(Files {
            size: q.size,
            svg: Blob::Memory(Arc::new(svg)),
            png: Blob::Memory(Arc::new(png)),
        })
    }

    /// Removes the entries this build did not ask for that are older than
    /// [`crate::cache::PRUNE_AFTER`] (codes of a former base URL or of deleted pages), and
    /// temporary files a killed build left. Entries in use are not even looked at.
    pub fn prune(&self) {
        let Some(dir) = self.dir.as_ref().filter(|_| self.write) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let age = match parse_name(&name, ".svg").or_else(|| parse_name(&name, ".png")) {
                Some((key, _)) if used.contains(key) => continue,
                Some(_) => crate::cache::PRUNE_AFTER,
                None if name.contains(".tmp") => std::time::Duration::from_secs(86_400),
                None => continue,
            };
            if crate::cache::older_than(&e.path(), age) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// `KEY-SIZE{ext}` → (KEY, SIZE).
fn parse_name<'a>(name: &'a str, ext: &str) -> Option<(&'a str, usize)> {
    let (key, size) = name.strip_suffix(ext)?.split_once('-')?;
    (key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(())
        .and(size.parse().ok().map(|s| (key, s)))
}

/// What the files of `url` depend on, hashed: the URL, and how codes are encoded and drawn.
fn key(url: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(
        format!(
            "guidepost-qr {} M {QUIET} {PNG_SCALE} {PNG_DPI}\n",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    );
    h.update(url.as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_url_into_an_svg_with_finder_patterns() {
        let q = Qr::encode("https://guides.example.edu.cn/xuexin-image-code/").unwrap();
        assert!(q.size >= 21 && q.size % 4 == 1, "size {}", q.size);
        // the three finder patterns: dark corners, light ring inside
        for (x, y) in [(0, 0), (q.size - 7, 0), (0, q.size - 7)] {
            assert!(q.is_dark(x, y) && q.is_dark(x + 6, y + 6) && !q.is_dark(x + 1, y + 1));
        }
        let svg = q.svg();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox"), "{svg}");
    }

    #[test]
    fn svg_paints_exactly_the_dark_modules() {
        let q = Qr::encode("https://guides.example.edu.cn/xuexin-image-code/web/").unwrap();
        let svg = q.svg();
        let side = q.size + 2 * QUIET as usize;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut painted = vec![false; side * side];
        for rect in d.split('z').filter(|r| !r.is_empty()) {
            // M{x},{y}h{w}v1H{x}
            let rest = rect.strip_prefix('M').unwrap();
            let (xy, rest) = rest.split_once('h').unwrap();
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let w: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            for i in x..x + w {
                assert!(!painted[y * side + i], "module {i},{y} painted twice");
                painted[y * side + i] = true;
            }
        }
        let q0 = QUIET as usize;
        for y in 0..side {
            for x in 0..side {
                let dark = x >= q0 && y >= q0 && q.is_dark(x - q0, y - q0);
                assert_eq!(painted[y * side + x], dark, "module {x},{y}");
            }
        }
    }

    fn age(p: &Path, days: u64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
        std::fs::File::options()
            .append(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn store_encodes_once_then_serves_the_cached_files() {
        let t = tempfile::tempdir().unwrap();
        let url = "https://guides.example.edu.cn/g/web/";
        let first = Store::open(t.path()).get(url).unwrap();
        let (Blob::Cached(svg), Blob::Cached(png)) = (&first.svg, &first.png) else {
            panic!("not cached: {first:?}");
        };
        let q = Qr::encode(url).unwrap();
        assert_eq!(first.size, q.size);
        assert_eq!(std::fs::read_to_string(svg).unwrap(), q.svg());
        assert_eq!(std::fs::read(png).unwrap(), q.png(PNG_SCALE));
        // a later build finds them by listing the folder
        let store = Store::open(t.path());
        assert_eq!(store.known.len(), 1);
        let again = store.get(url).unwrap();
        assert_eq!(again.size, first.size);
        assert!(matches!(&again.svg, Blob::Cached(p) if p == svg));
        // another URL is another entry
        let other = store.get("https://guides.example.edu.cn/g/app/").unwrap();
        assert_ne!(other.svg.bytes().unwrap(), again.svg.bytes().unwrap());
    }

    #[test]
    fn read_only_store_writes_nothing_and_a_half_entry_is_redone() {
        let t = tempfile::tempdir().unwrap();
        let url = "https://guides.example.edu.cn/g/";
        let files = Store::read_only(t.path()).get(url).unwrap();
        assert!(matches!(files.svg, Blob::Memory(_)));
        assert!(!t.path().join(crate::cache::DIR).exists());
        // an entry without its PNG is not used: encoded again and completed
        let Blob::Cached(svg) = Store::open(t.path()).get(url).unwrap().svg else {
            panic!()
        };
        std::fs::remove_file(svg.with_extension("png")).unwrap();
        let store = Store::open(t.path());
        assert!(store.known.is_empty());
        let Blob::Cached(png) = store.get(url).unwrap().png else {
            panic!()
        };
        assert!(png.is_file());
    }

    #[test]
    fn prune_removes_old_unused_entries_and_leftovers_only() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path());
        let files = |u: &str| match store.get(u).unwrap() {
            Files {
                svg: Blob::Cached(s),
                png: Blob::Cached(p),
                ..
            } => (s, p),
            other => panic!("{other:?}"),
        };
        let (old_svg, old_png) = files("https://a.example/old/");
        let (young_svg, _) = files("https://a.example/young/");
        let (used_svg, _) = files("https://a.example/used/");
        let dir = old_svg.parent().unwrap().to_path_buf();
        let tmp = dir.join("0123.svg.tmp42");
        std::fs::write(&tmp, "half").unwrap();
        for p in [&old_svg, &old_png, &used_svg, &tmp] {
            age(p, 40);
        }
        // the next build uses one old entry and not the others
        let next = Store::open(t.path());
        next.get("https://a.example/used/").unwrap();
        next.prune();
        assert!(!old_svg.exists() && !old_png.exists() && !tmp.exists());
        assert!(young_svg.exists(), "unused but recent: kept");
        assert!(used_svg.exists(), "old but used: kept");
    }

    #[test]
    fn png_has_quiet_zone_and_crisp_modules() {
        let q = Qr::encode("https://guides.example.edu.cn/a/").unwrap();
        let png = q.png(3);
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let side = (q.size as u32 + 8) * 3;
        assert_eq!(img.dimensions(), (side, side));
        // quiet zone white, top-left finder corner black from its first pixel to its last
        assert_eq!(img.get_pixel(11, 11).0, [255]);
        assert_eq!(img.get_pixel(12, 12).0, [0]);
        assert_eq!(img.get_pixel(14, 14).0, [0]);
        assert!(img.pixels().all(|p| p.0 == [0] || p.0 == [255]));
        // 300 dpi = 11811 pixels per metre, in the pHYs chunk
        let phys = png.windows(4).position(|w| w == b"pHYs").unwrap();
        assert_eq!(png[phys + 4..phys + 8], 11811u32.to_be_bytes());
    }
}
