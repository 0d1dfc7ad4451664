//! QR codes of page URLs: what a printed notice or a desktop reader scans to open a guide on a
//! phone. Codes use error correction level M (15%): robust on paper and still small for the
//! short ASCII URLs guidepost makes.

use fast_qr::{ECL, QRBuilder};

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
