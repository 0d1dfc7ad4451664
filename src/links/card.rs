//! The share card: the picture a shared link shows. WeChat has no JS-SDK on a static site, so a
//! link pasted into a chat takes the page `<title>` and the first image of at least 300×300 px
//! in the page as its thumbnail; other apps read `og:image`. Every page carries the card both
//! ways (see `templates/base.html`), written once to [`FILE`].png (or .jpg) at the site's root.
//!
//! The card is `share_image` of `site.toml` when given (a square PNG or JPEG of at least
//! 300×300, copied as it is), otherwise generated here: the site's title and organisation in
//! white on the theme's blue, and the home page's QR code when the site has a `base_url`. The
//! title is set in a subset of Noto Sans CJK SC Bold embedded in the binary
//! (`assets/share-card/`, GB 2312's 6,763 characters and ASCII; `scripts/subset-card-font.py`);
//! a title with a character outside it gets a warning that suggests `share_image`.

use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use crate::content::model::Site;
use crate::diagnostic::Diagnostic;
use crate::links::qr::Qr;

/// The card's file name at the site's root, without extension.
pub const FILE: &str = "share-card";
/// The side of the generated card, in pixels.
pub const SIDE: u32 = 600;
/// The largest `share_image` taken.
const MAX_BYTES: u64 = 5 << 20;
/// WeChat's minimum for a thumbnail.
pub const MIN_SIDE: u32 = 300;

static FONT: &[u8] = include_bytes!("../../assets/share-card/NotoSansSC-Bold-subset.otf");

const BLUE: [u8; 3] = [0x1b, 0x4f, 0x9c];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
const INK: [u8; 3] = [0x1f, 0x23, 0x28];

/// The card of a site, ready to be written.
#[derive(Debug, Clone)]
pub struct Card {
    /// Output path: `share-card.png` or `share-card.jpg`.
    pub file: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Arc<Vec<u8>>,
}

/// The card of `site` (at `root`): `share_image` checked and read, or a generated one. Problems
/// go into `diags`; a `share_image` that cannot be used gives no card at all (an error).
pub fn make(site: &Site, root: &Path, diags: &mut Vec<Diagnostic>) -> Option<Card> {
    let c = &site.config;
    if let Some(rel) = &c.share_image {
        return configured(root, rel, diags);
    }
    let missing: String = c
        .title
        .chars()
        .chain(c.organization.iter().flat_map(|o| o.chars()))
        .filter(|ch| !ch.is_whitespace() && !has_glyph(*ch))
        .collect();
    if !missing.is_empty() {
        diags.push(
            Diagnostic::warning(
                "share-card",
                format!(
                    "the generated share card cannot show `{missing}` of the site's title or organisation: it leaves them out"
                ),
            )
            .help("set `share_image = \"share.png\"` in site.toml to a square picture of at least 300×300 (the office's logo, say)"),
        );
    }
    Some(Card {
        file: format!("{FILE}.png"),
        width: SIDE,
        height: SIDE,
        bytes: generated(&c.title, c.organization.as_deref(), c.base_url.as_deref()),
    })
}

/// The generated card of these settings, made once per process: `serve` plans the links on
/// every save, and drawing and compressing the card is the slow part of planning them.
fn generated(title: &str, organization: Option<&str>, base_url: Option<&str>) -> Arc<Vec<u8>> {
    type Key = (String, Option<String>, Option<String>);
    static LAST: Mutex<Option<(Key, Arc<Vec<u8>>)>> = Mutex::new(None);
    let key: Key = (
        title.to_string(),
        organization.map(str::to_string),
        base_url.map(str::to_string),
    );
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, bytes)) = last.as_ref().filter(|(k, _)| *k == key) {
        return Arc::clone(bytes);
    }
    let qr = base_url.and_then(|u| Qr::encode(u).ok());
    let bytes = Arc::new(generate(title, organization, qr.as_ref()));
    *last = Some((key, Arc::clone(&bytes)));
    bytes
}

fn configured(root: &Path, rel: &str, diags: &mut Vec<Diagnostic>) -> Option<Card> {
    let fail = |diags: &mut Vec<Diagnostic>, what: String| {
        diags.push(
            Diagnostic::error("share-image", format!("share_image = {rel:?} in site.toml: {what}"))
                .help("give the path of a square PNG or JPEG of at least 300×300 inside the site folder, e.g. `share_image = \"share.png\"`, or remove the line to use the generated card"),
        );
        None
    };
    let rel_path = Path::new(rel);
    if rel_path.is_absolute()
        || rel_path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return fail(diags, "the path must be inside the site folder".into());
    }
    let path = root.join(rel_path);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
        return fail(
            diags,
            "it is larger than 5 MB: a thumbnail needs far less".into(),
        );
    }
    let bytes = match crate::content::confine::read(root, &path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(diags, "there is no such file".into());
        }
        Err(e) => return fail(diags, format!("it cannot be read: {e}")),
    };
    let ext = match imagesize::image_type(&bytes) {
        Ok(imagesize::ImageType::Png) => "png",
        Ok(imagesize::ImageType::Jpeg) => "jpg",
        _ => return fail(diags, "it is not a PNG or JPEG picture".into()),
    };
    let Ok(size) = imagesize::blob_size(&bytes) else {
        return fail(diags, "its size cannot be read: the file is damaged".into());
    };
    let (w, h) = (size.width as u32, size.height as u32);
    if w < MIN_SIDE || h < MIN_SIDE || w.abs_diff(h) * 20 > w.max(h) {
        diags.push(
            Diagnostic::warning(
                "share-card",
                format!("share_image = {rel:?} is {w}×{h}: WeChat wants a square of at least {MIN_SIDE}×{MIN_SIDE} and crops or ignores others"),
            )
            .help("crop the picture to a square of 300×300 or more"),
        );
    }
    Some(Card {
        file: format!("{FILE}.{ext}"),
        width: w,
        height: h,
        bytes: Arc::new(bytes),
    })
}

/// The embedded font, parsed once.
static PARSED: LazyLock<FontRef<'static>> =
    LazyLock::new(|| FontRef::try_from_slice(FONT).expect("the embedded card font parses"));

fn font() -> &'static FontRef<'static> {
    &PARSED
}

fn has_glyph(ch: char) -> bool {
    font().glyph_id(ch).0 != 0
}

/// An RGB canvas.
struct Canvas {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: u32, h: u32, bg: [u8; 3]) -> Canvas {
        Canvas {
            w,
            h,
            px: bg.repeat((w * h) as usize),
        }
    }

    /// Blends `color` over the pixel at `x`, `y` with `coverage` (0..=1).
    fn blend(&mut self, x: i32, y: i32, color: [u8; 3], coverage: f32) {
        if x < 0 || y < 0 || x as u32 >= self.w || y as u32 >= self.h {
            return;
        }
        let i = ((y as u32 * self.w + x as u32) * 3) as usize;
        // 16 levels of coverage: the card stays a palette PNG of a few dozen colours (~7 KB
        // instead of ~18 KB: every page loads it, on slow networks too)
        let a = (coverage.clamp(0.0, 1.0) * 15.0).round() / 15.0;
        for (old, new) in self.px[i..i + 3].iter_mut().zip(color) {
            let o = *old as f32;
            *old = (o + (new as f32 - o) * a).round() as u8;
        }
    }

    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, color: [u8; 3]) {
        for yy in y..(y + h).min(self.h) {
            for xx in x..(x + w).min(self.w) {
                let i = ((yy * self.w + xx) * 3) as usize;
                self.px[i..i + 3].copy_from_slice(&color);
            }
        }
    }

    /// An indexed PNG when the canvas has at most 256 colours (it has), else RGB.
    fn png(&self) -> Vec<u8> {
        let mut palette: Vec<[u8; 3]> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut indexed = Vec::with_capacity((self.w * self.h) as usize);
        for p in self.px.chunks_exact(3) {
            let c = [p[0], p[1], p[2]];
            let i = *index.entry(c).or_insert_with(|| {
                palette.push(c);
                palette.len() - 1
            });
            indexed.push(i.min(255) as u8);
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.w, self.h);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let data = if palette.len() <= 256 {
            enc.set_color(png::ColorType::Indexed);
            enc.set_palette(palette.concat());
            indexed
        } else {
            enc.set_color(png::ColorType::Rgb);
            self.px.clone()
        };
        let mut w = enc.write_header().expect("PNG header into memory");
        w.write_image_data(&data).expect("PNG data into memory");
        w.finish().expect("PNG end into memory");
        out
    }
}

/// Lines of `text` no wider than `width` at `scale`: broken between any two CJK characters, and
/// at spaces between Latin words. At most `max` lines; the last one ends in "…" when cut.
fn lines(text: &str, scale: f32, width: f32, max: usize) -> Vec<String> {
    let font = font();
    let f = font.as_scaled(PxScale::from(scale));
    let adv = |s: &str| -> f32 { s.chars().map(|c| f.h_advance(font.glyph_id(c))).sum() };
    // units that may not be split: runs of ASCII letters/digits, else single characters
    let mut units: Vec<String> = Vec::new();
    for ch in text.chars().filter(|c| has_glyph(*c) || *c == ' ') {
        match units.last_mut() {
            Some(u)
                if ch.is_ascii_alphanumeric() && u.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                u.push(ch)
            }
            _ => units.push(ch.to_string()),
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for u in units {
        let next = format!("{cur}{u}");
        if adv(next.trim()) > width && !cur.trim().is_empty() {
            out.push(cur.trim().to_string());
            cur = u.trim_start().to_string();
        } else {
            cur = next;
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    if out.len() > max {
        out.truncate(max);
        let last = out.last_mut().expect("max > 0");
        while !last.is_empty() && adv(&format!("{last}…")) > width {
            last.pop();
        }
        last.push('…');
    }
    out
}

/// Draws `line` centred on `cx` with its baseline at `y`.
fn draw_line(canvas: &mut Canvas, line: &str, scale: f32, cx: f32, y: f32, color: [u8; 3]) {
    let font = font();
    let f = font.as_scaled(PxScale::from(scale));
    let width: f32 = line.chars().map(|c| f.h_advance(font.glyph_id(c))).sum();
    let mut x = cx - width / 2.0;
    for ch in line.chars() {
        let id = font.glyph_id(ch);
        let glyph = id.with_scale_and_position(PxScale::from(scale), point(x, y));
        if let Some(o) = font.outline_glyph(glyph) {
            let b = o.px_bounds();
            o.draw(|gx, gy, c| {
                canvas.blend(
                    b.min.x as i32 + gx as i32,
                    b.min.y as i32 + gy as i32,
                    color,
                    c,
                )
            });
        }
        x += f.h_advance(id);
    }
}

/// The generated card: a PNG of [`SIDE`]².
pub fn generate(title: &str, organization: Option<&str>, qr: Option<&Qr>) -> Vec<u8> {
    let side = SIDE as f32;
    let mut canvas = Canvas::new(SIDE, SIDE, BLUE);
    let margin = 48.0;
    let text_w = side - 2.0 * margin;
    // the title as large as fits in three lines
    let mut scale = 76.0;
    let mut title_lines = lines(title, scale, text_w, 3);
    while scale > 40.0 && (title_lines.len() > 2 || title_lines.iter().any(|l| l.ends_with('…')))
    {
        scale -= 4.0;
        title_lines = lines(title, scale, text_w, 3);
    }
    let qr_side = if qr.is_some() { 184u32 } else { 0 };
    let bottom = side - margin - qr_side as f32 - if qr.is_some() { 24.0 } else { 0.0 };
    let line_h = scale * 1.3;
    let org_h = if organization.is_some() { 56.0 } else { 0.0 };
    let block = line_h * title_lines.len() as f32 + org_h;
    let top = margin + ((bottom - margin) - block).max(0.0) / 2.0;
    for (i, l) in title_lines.iter().enumerate() {
        let baseline = top + line_h * (i as f32) + scale;
        draw_line(&mut canvas, l, scale, side / 2.0, baseline, WHITE);
    }
    if let Some(org) = organization {
        let y = top + line_h * title_lines.len() as f32 + 40.0;
        for l in lines(org, 30.0, text_w, 1) {
            draw_line(&mut canvas, &l, 30.0, side / 2.0, y, [0xdd, 0xe6, 0xf3]);
        }
    }
    if let Some(q) = qr {
        // black on a white panel with a quiet zone, so a saved card still scans
        let x0 = (SIDE - qr_side) / 2;
        let y0 = SIDE - margin as u32 - qr_side;
        canvas.rect(x0, y0, qr_side, qr_side, WHITE);
        let quiet = 2;
        let module = (qr_side as usize / (q.size + 2 * quiet)).max(1) as u32;
        let used = module * q.size as u32;
        let off_x = x0 + (qr_side - used) / 2;
        let off_y = y0 + (qr_side - used) / 2;
        for y in 0..q.size {
            for x in 0..q.size {
                if q.is_dark(x, y) {
                    canvas.rect(
                        off_x + x as u32 * module,
                        off_y + y as u32 * module,
                        module,
                        module,
                        INK,
                    );
                }
            }
        }
    }
    canvas.png()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_covers_common_chinese_and_ascii() {
        for ch in "学信网图像采集码获取流程研究生院ABCxyz0123（）：、".chars() {
            assert!(has_glyph(ch), "{ch}");
        }
        // outside GB 2312
        assert!(!has_glyph('𠀀'));
    }

    #[test]
    fn long_titles_wrap_and_are_cut_with_an_ellipsis() {
        let l = lines("研究生院学信网图像采集码获取流程", 76.0, 504.0, 3);
        assert!(l.len() >= 2, "{l:?}");
        assert_eq!(l.concat(), "研究生院学信网图像采集码获取流程");
        let l = lines(&"很长的标题".repeat(20), 76.0, 504.0, 2);
        assert_eq!(l.len(), 2);
        assert!(l[1].ends_with('…'));
        // Latin words are not split
        let l = lines("VPN Client Configuration Guide", 76.0, 504.0, 3);
        assert!(
            l.iter().all(|x| !x.starts_with(|c: char| c.is_lowercase())),
            "{l:?}"
        );
    }

    #[test]
    fn the_generated_card_is_a_square_png_with_title_pixels_and_a_scannable_code() {
        let qr = Qr::encode("https://yjs.example.edu.cn/guides/").unwrap();
        let png_bytes = generate("学信网图像采集码获取流程", Some("研究生院"), Some(&qr));
        let img = image::load_from_memory(&png_bytes).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (SIDE, SIDE));
        let white = img.pixels().filter(|p| p.0 == WHITE).count();
        assert!(white > 1000, "no text or code drawn: {white}");
        assert!(png_bytes.len() < 12_000, "{} bytes", png_bytes.len());
        // the code scans
        let gray = image::DynamicImage::ImageRgb8(img).to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(gray);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(
            grids[0].decode().unwrap().1,
            "https://yjs.example.edu.cn/guides/"
        );
        // the same input makes the same bytes (Linux and Windows builds must agree)
        assert_eq!(
            png_bytes,
            generate("学信网图像采集码获取流程", Some("研究生院"), Some(&qr))
        );
    }
}
