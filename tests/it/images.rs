//! Screenshots: responsive variants, redaction in every published picture, no original bytes or
//! metadata in the output, highlights, the cache, and bad images as diagnostics.
//!
//! The screenshots are drawn here (`shotgen`), so the fixture `screenshots` holds only text.

use std::path::{Path, PathBuf};

use image::{GenericImageView, ImageEncoder};

use crate::shotgen::screenshot;
use crate::*;

/// A PNG with a `tEXt` chunk (author, comment) spliced in after the header.
pub fn png_with_text(img: &image::RgbImage, text: &str) -> Vec<u8> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    let mut chunk = b"tEXt".to_vec();
    chunk.extend_from_slice(b"Comment\0");
    chunk.extend_from_slice(text.as_bytes());
    let mut out = png[..33].to_vec(); // signature + IHDR
    out.extend_from_slice(&((chunk.len() - 4) as u32).to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    out.extend_from_slice(&png[33..]);
    out
}

/// A JPEG with an EXIF block holding `text`.
fn jpeg_with_exif(img: &image::RgbImage, text: &str) -> Vec<u8> {
    let mut jpg = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpg, 90);
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\0".to_vec();
    exif.extend_from_slice(text.as_bytes());
    enc.set_exif_metadata(exif).unwrap();
    enc.write_image(
        img,
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    jpg
}

pub const SECRET: &str = "GP-SECRET-张三-20231234";

/// The `screenshots` fixture with its pictures drawn in; returns the temp dir and the site root.
pub fn screenshot_site() -> (tempfile::TempDir, PathBuf) {
    let t = copy_fixture("screenshots");
    let root = t.path().join("site");
    let img = root.join("content/renew/images");
    let put = |name: &str, bytes: Vec<u8>| std::fs::write(img.join(name), bytes).unwrap();
    put(
        "login.png",
        png_with_text(&screenshot(1170, 2532, 3, 1), SECRET),
    );
    put(
        "profile.png",
        png_with_text(&screenshot(1170, 2532, 3, 2), SECRET),
    );
    put(
        "photo.jpg",
        jpeg_with_exif(&screenshot(900, 1600, 3, 3), SECRET),
    );
    put(
        "desk.png",
        png_with_text(&screenshot(1920, 1080, 2, 4), SECRET),
    );
    put(
        "confirm.png",
        png_with_text(&screenshot(600, 1000, 2, 5), SECRET),
    );
    (t, root)
}

fn decode(path: &Path) -> image::DynamicImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// The page's figures: (img element, srcset entries (url, width)).
fn srcset(img: &scraper::ElementRef<'_>) -> Vec<(String, u32)> {
    img.value()
        .attr("srcset")
        .unwrap_or_default()
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (u, w) = s.rsplit_once(' ').unwrap();
            (u.to_string(), w.trim_end_matches('w').parse().unwrap())
        })
        .collect()
}

/// The file a URL of the page `page_dir` (relative to public/) points to.
fn target(public: &Path, page_dir: &str, url: &str) -> PathBuf {
    let decoded = percent_encoding::percent_decode_str(url)
        .decode_utf8()
        .unwrap();
    let mut p = public.join(page_dir);
    for part in decoded.split('/') {
        match part {
            ".." => {
                p.pop();
            }
            "." | "" => {}
            x => p.push(x),
        }
    }
    p
}

#[test]
fn variants_have_the_widths_of_the_theme() {
    let (t, root) = screenshot_site();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("screenshots: 5 published, 5 processed, 0 from the cache"),
        "{}",
        stderr(&o)
    );
    let doc =
        crate::parse_html(&std::fs::read_to_string(out.join("renew/app/index.html")).unwrap());
    let imgs = select(&doc, "figure.shot img");
    assert_eq!(imgs.len(), 3);
    // phone: 1x and 2x of 300 CSS px
    for img in &imgs[..2] {
        let set = srcset(img);
        assert_eq!(set.iter().map(|s| s.1).collect::<Vec<_>>(), [300, 600]);
        assert_eq!(img.value().attr("width"), Some("300"));
        assert_eq!(img.value().attr("height"), Some("649"));
        assert_eq!(img.value().attr("src"), Some(set[1].0.as_str()));
        for (url, w) in &set {
            let f = target(&out, "renew/app", url);
            let d = decode(&f);
            assert_eq!(d.dimensions(), (*w, (2532 * w + 585) / 1170), "{url}");
        }
    }
    // the first screenshot of a page loads at once, the others lazily
    let loading: Vec<_> = imgs
        .iter()
        .map(|i| i.value().attr("loading").unwrap())
        .collect();
    assert_eq!(loading, ["eager", "lazy", "lazy"]);
    // a tap opens the whole picture
    let link = imgs[0]
        .ancestors()
        .filter_map(scraper::ElementRef::wrap)
        .find(|e| e.value().name() == "a")
        .unwrap();
    let full = target(&out, "renew/app", link.value().attr("href").unwrap());
    assert_eq!(decode(&full).dimensions(), (1170, 2532));

    // desktop: 660 and 1320; the phone override in the web channel gets a phone frame
    let doc =
        crate::parse_html(&std::fs::read_to_string(out.join("renew/web/index.html")).unwrap());
    let figs = select(&doc, "figure.shot");
    assert!(figs[0].value().classes().any(|c| c == "shot-desktop"));
    assert!(figs[1].value().classes().any(|c| c == "shot-phone"));
    let imgs = select(&doc, "figure.shot img");
    let widths: Vec<Vec<u32>> = imgs
        .iter()
        .map(|i| srcset(i).iter().map(|s| s.1).collect())
        .collect();
    assert_eq!(widths, [vec![660, 1320], vec![300, 600]]);
    assert_eq!(imgs[0].value().attr("height"), Some("371"));
    // confirm.png is 600 px wide: its 2x is the whole picture, published once, not twice
    let set = srcset(&imgs[1]);
    let link = imgs[1]
        .ancestors()
        .filter_map(scraper::ElementRef::wrap)
        .find(|e| e.value().name() == "a")
        .unwrap();
    assert_eq!(Some(set[1].0.as_str()), link.value().attr("href"));
    let confirm: Vec<_> = files_under(&out.join("renew/images"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("confirm.")
        })
        .collect();
    assert_eq!(confirm.len(), 2, "{confirm:?}");
}

#[test]
fn redactions_are_burned_into_every_published_picture() {
    let (t, root) = screenshot_site();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pics: Vec<PathBuf> = files_under(&out.join("renew/images"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("profile.")
        })
        .collect();
    // 300, 600, the full picture, and the cleaned copy under the linked name
    assert_eq!(pics.len(), 4, "{pics:?}");
    assert!(pics.contains(&out.join("renew/images/profile.png")));
    for p in &pics {
        let img = decode(p).to_rgb8();
        let s = img.width() as f64 / 1170.0;
        // the solid area [60, 300, 600, 90], one pixel in from the scaled edges
        let (x0, y0) = ((60.0 * s).ceil() as u32 + 3, (300.0 * s).ceil() as u32 + 3);
        let (x1, y1) = (
            ((660.0 * s).floor() as u32) - 3,
            ((390.0 * s).floor() as u32) - 3,
        );
        for y in y0..y1 {
            for x in x0..x1 {
                assert_eq!(
                    img.get_pixel(x, y).0,
                    [0, 0, 0],
                    "{} at {x},{y}",
                    p.display()
                );
            }
        }
        // the mosaic area from [60, 450] to [900, 560]: blocks of one colour, no text left
        let block = 36.0; // a third of the short side (110 px), at least 16
        let (bx, by) = (60.0 * s, 450.0 * s);
        let inner = |x: f64, y: f64| img.get_pixel(x as u32, y as u32).0;
        let a = inner(bx + 2.0, by + 2.0);
        let b = inner(bx + block * s - 2.0, by + block * s - 2.0);
        assert_eq!(a, b, "{}: a mosaic block is one colour", p.display());
    }
}

#[test]
fn originals_and_their_metadata_are_never_published() {
    let (t, root) = screenshot_site();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let originals: Vec<Vec<u8>> = files_under(&root.join("content/renew/images"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e != "toml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(originals.len(), 5);
    let published = files_under(&out);
    let mut pictures = 0;
    for f in &published {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !originals.contains(&bytes),
            "{} is an original",
            f.display()
        );
        let hay = String::from_utf8_lossy(&bytes);
        for needle in [SECRET, "tEXt", "Exif", "eXIf", "Comment"] {
            assert!(!hay.contains(needle), "{} holds `{needle}`", f.display());
        }
        pictures += usize::from(
            f.extension()
                .is_some_and(|e| e != "html" && e != "css" && e != "xml" && e != "js"),
        );
    }
    assert!(pictures >= 12, "{pictures}");
    // no settings file is published either
    assert!(
        published
            .iter()
            .all(|p| p.extension().is_none_or(|e| e != "toml"))
    );
}

#[test]
fn highlights_are_an_overlay_described_in_text() {
    let (t, root) = screenshot_site();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc =
        crate::parse_html(&std::fs::read_to_string(out.join("renew/app/index.html")).unwrap());
    let figs = select(&doc, "figure.shot");
    let marked: Vec<_> = figs
        .iter()
        .filter(|f| f.value().classes().any(|c| c == "shot-marked"))
        .collect();
    assert_eq!(marked.len(), 1);
    let svg = select(&doc, "figure.shot-marked svg.shot-marks");
    assert_eq!(svg[0].value().attr("viewBox"), Some("0 0 1170 2532"));
    assert_eq!(svg[0].value().attr("aria-hidden"), Some("true"));
    let rects: Vec<_> = select(&doc, "figure.shot-marked rect.shot-mark-box")
        .iter()
        .map(|r| {
            ["x", "y", "width", "height"]
                .map(|a| r.value().attr(a).unwrap().parse::<u32>().unwrap())
        })
        .collect();
    assert_eq!(rects, [[72, 2200, 1026, 150], [900, 120, 240, 120]]);
    let nums: Vec<_> = select(&doc, "figure.shot-marked text.shot-mark-num")
        .iter()
        .map(text)
        .collect();
    assert_eq!(nums, ["1", "2"]);
    let notes: Vec<_> = select(&doc, "figure.shot-marked .shot-notes li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(notes, ["1标注 1：点击“下一步”", "2标注 2：图中标出的位置"]);
}

#[test]
fn a_rebuild_uses_the_cache_and_redoes_a_corrupt_entry() {
    let (t, root) = screenshot_site();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(
        stderr(&o).contains("5 published, 5 processed, 0 from the cache"),
        "{}",
        stderr(&o)
    );
    let first: Vec<(PathBuf, Vec<u8>)> = files_under(&out.join("renew/images"))
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let o = build_into(&root, &out, &[]);
    assert!(
        stderr(&o).contains("5 published, 0 processed, 5 from the cache"),
        "{}",
        stderr(&o)
    );
    // the same files
    for (p, b) in &first {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{}", p.display());
    }
    // damage one cached picture (same length, other bytes) and cut another short
    let cache = root.join(".guidepost-cache/images");
    assert!(root.join(".guidepost-cache/.gitignore").is_file());
    let mut cached: Vec<PathBuf> = files_under(&cache)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "webp" || e == "png"))
        .collect();
    cached.sort();
    let victim = &cached[0];
    let mut bytes = std::fs::read(victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::remove_file(victim).unwrap(); // not through the output's hard link
    std::fs::write(victim, &bytes).unwrap();
    let victim2 = cached
        .iter()
        .rev()
        .find(|p| p.parent() != victim.parent())
        .unwrap();
    let len = std::fs::metadata(victim2).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(victim2)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let o = build_into(&root, &out, &[]);
    assert!(
        stderr(&o).contains("5 published, 2 processed, 3 from the cache"),
        "{}",
        stderr(&o)
    );
    for (p, b) in &first {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            b,
            "{} differs after the repair",
            p.display()
        );
    }
    // changing a redaction makes new pictures
    std::fs::write(
        root.join("content/renew/images/profile.toml"),
        "[[redact]]\nrect = [0, 0, 100, 100]\n",
    )
    .unwrap();
    let o = build_into(&root, &out, &[]);
    assert!(
        stderr(&o).contains("5 published, 1 processed, 4 from the cache"),
        "{}",
        stderr(&o)
    );
}

/// Writes into `img` a truncated PNG (`cut.png`), a text file named `notes.png`, a PNG whose
/// header says 20000×20000 pixels (`huge.png`, a few kB on disk) and a good one (`ok.png`).
pub fn write_bad_pngs(img: &Path) {
    let good = png_with_text(&screenshot(390, 844, 1, 9), "x");
    std::fs::write(img.join("cut.png"), &good[..good.len() / 2]).unwrap();
    std::fs::write(img.join("notes.png"), "这不是图片").unwrap();
    let mut huge = good[..33].to_vec();
    huge[16..20].copy_from_slice(&20000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&20000u32.to_be_bytes());
    let crc = crc32fast::hash(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    huge.extend_from_slice(&good[33..]);
    std::fs::write(img.join("huge.png"), &huge).unwrap();
    std::fs::write(img.join("ok.png"), &good).unwrap();
}

#[test]
fn bad_images_are_diagnostics_and_placeholders() {
    let t = copy_fixture("bad-images");
    let root = t.path().join("site");
    let img = root.join("content/g/images");
    write_bad_pngs(&img);
    std::fs::write(img.join("anim.gif"), b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    let s = stderr(&o);
    assert!(o.status.success(), "{s}");
    for expected in [
        "warning[bad-image]: `content/g/images/cut.png` cannot be used as a screenshot: it is damaged or cut off",
        "warning[bad-image]: `content/g/images/notes.png` cannot be used as a screenshot: it is not a PNG, JPEG or WebP picture (perhaps a renamed document or a download that failed)\n  |\n  = note: in content/g/images/notes.png\n  = help: replace it with the screenshot itself; until then a placeholder shows where it goes",
        "warning[bad-image]: `content/g/images/huge.png` cannot be used as a screenshot: it is 20000×20000 pixels, larger than the limit of 16384×32768 pixels and 80 million pixels\n  |\n  = note: in content/g/images/huge.png\n  = help: crop or scale it down (a phone screenshot is about 1170×2532); until then a placeholder shows where it goes",
        "warning[bad-image]: `content/g/images/anim.gif` cannot be used as a screenshot: it is a Gif picture, which is not supported",
    ] {
        assert!(s.contains(expected), "missing:\n{expected}\nin:\n{s}");
    }
    assert!(
        s.contains("screenshots: 1 published, 1 processed, 0 from the cache"),
        "{s}"
    );
    let doc = crate::parse_html(&std::fs::read_to_string(out.join("g/app/index.html")).unwrap());
    assert_eq!(select(&doc, "figure.shot").len(), 1);
    let slots: Vec<_> = select(&doc, "figure.slot code").iter().map(text).collect();
    assert_eq!(
        slots,
        [
            "g/images/cut.png",
            "g/images/notes.png",
            "g/images/huge.png",
            "g/images/anim.gif"
        ]
    );
    // none of them is published
    let names: Vec<_> = files_under(&out.join("g"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with("cut")
            && !n.starts_with("notes")
            && !n.starts_with("huge")
            && !n.starts_with("anim")),
        "{names:?}"
    );
}

#[test]
fn screenshot_settings_errors_stop_the_build() {
    let (t, root) = screenshot_site();
    std::fs::write(
        root.join("content/renew/images/profile.toml"),
        "[[redact]]\nrect = [60, 2500, 600, 90]\n\n[[highlight]]\nrect = [1, 2, 3, 4]\nlable = \"点击\"\n",
    )
    .unwrap();
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.contains("error[unknown-key]: unknown key `lable` in the screenshot settings\n --> content/renew/images/profile.toml:6:1\n  |\n6 | lable = \"点击\"\n  | ^^^^^\n  |\n  = help: did you mean `label`?"),
        "{s}"
    );
    std::fs::write(
        root.join("content/renew/images/profile.toml"),
        "[[redact]]\nrect = [60, 2500, 600, 90]\n",
    )
    .unwrap();
    let o = build_into(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = stderr(&o);
    assert!(
        s.contains("error[area-outside]: this redaction area [60, 2500, 600, 90] reaches outside the image, which is 1170×2532 pixels\n --> content/renew/images/profile.toml:2:8"),
        "{s}"
    );
    assert!(!out.exists(), "a failed build writes nothing");
    // a highlight outside the picture is only a warning, and is clipped
    std::fs::write(
        root.join("content/renew/images/profile.toml"),
        "[[highlight]]\nfrom = [1000, 2400]\nto = [1300, 2600]\n",
    )
    .unwrap();
    let o = build_into(&root, &out, &[]);
    let s = stderr(&o);
    assert!(o.status.success(), "{s}");
    assert!(
        s.contains("warning[highlight-outside]: this highlight area [1000, 2400, 300, 200] reaches outside the image, which is 1170×2532 pixels\n --> content/renew/images/profile.toml:2:8"),
        "{s}"
    );
    let doc =
        crate::parse_html(&std::fs::read_to_string(out.join("renew/app/index.html")).unwrap());
    let r = &select(&doc, "rect.shot-mark-box")[0];
    assert_eq!(
        (r.value().attr("width"), r.value().attr("height")),
        (Some("170"), Some("132"))
    );
    // no progress bar or terminal codes when stderr is not a terminal
    assert!(!s.contains('\r') && !s.contains('\u{1b}'), "{s:?}");
}

/// A second build reads no screenshot it has seen unchanged (`.guidepost-cache/images/seen.json`
/// keeps each file's content hash with its size, time, inode and change time), and still notices
/// a screenshot rewritten in place with another picture and its old time put back,
/// as a sync tool or `cp -p` does.
#[test]
fn a_screenshot_seen_before_is_not_read_again_but_a_replaced_one_is() {
    let (t, root) = screenshot_site();
    let img = root.join("content/renew/images");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for e in std::fs::read_dir(&img).unwrap() {
        let p = e.unwrap().path();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let out = t.path().join("public");
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let seen = std::fs::read_to_string(root.join(".guidepost-cache/images/seen.json")).unwrap();
    assert!(seen.contains("renew/images/login.png"), "{seen}");
    let published = |out: &Path| -> Vec<String> {
        let page = html(out.parent().unwrap(), "renew/app/index.html");
        select(&page, "figure.shot img")
            .iter()
            .map(|i| i.value().attr("src").unwrap().to_string())
            .collect()
    };
    let before = published(&out);

    // unchanged: every screenshot comes from the cache
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("5 from the cache"), "{}", stderr(&o));
    assert_eq!(published(&out), before);

    // the memo keeps the cache entries' manifests too: an entry is checked by its files' sizes
    // and times, not by reading its manifest again; a cache file changed behind the build's
    // back (the output's hard link edited in place) is still caught
    let cache = root.join(".guidepost-cache/images");
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    assert_eq!(entries.len(), 5);
    let memo = std::fs::read_to_string(cache.join("seen.json")).unwrap();
    for e in &entries {
        let key = e.file_name().unwrap().to_str().unwrap();
        assert!(memo.contains(key), "{key} in the memo");
    }
    let manifest = entries[0].join("manifest.json");
    let saved = std::fs::read(&manifest).unwrap();
    std::fs::remove_file(&manifest).unwrap();
    let o = build_into(&root, &out, &[]);
    assert!(stderr(&o).contains("5 from the cache"), "{}", stderr(&o));
    std::fs::write(&manifest, saved).unwrap();
    let variant = std::fs::read_dir(&entries[1])
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap() != "manifest.json")
        .unwrap();
    std::fs::write(&variant, b"not a picture any more").unwrap();
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 processed, 4 from the cache"),
        "{}",
        stderr(&o)
    );
    assert_eq!(published(&out), before);

    // login.png rewritten in place (same inode) with another picture, its old time put back
    let login = img.join("login.png");
    let other = png_with_text(&screenshot(1170, 2532, 3, 9), SECRET);
    std::fs::write(&login, &other).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&login)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let o = build_into(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 processed, 4 from the cache"),
        "{}",
        stderr(&o)
    );
    let after = published(&out);
    assert_ne!(
        after[0], before[0],
        "the replaced screenshot is published anew"
    );
    assert_eq!(after[1..], before[1..]);
}
