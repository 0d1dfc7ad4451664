//! QR codes of page URLs: what a printed notice or a desktop reader scans to open a guide on a
//! phone. Codes use error correction level M (15%): robust on paper and still small for the
//! short ASCII URLs guidepost makes.

use fast_qr::convert::{Builder, svg::SvgBuilder};
use fast_qr::{ECL, QRBuilder, QRCode};

/// The modules of a QR code: `size × size`, `true` for dark, row by row, without quiet zone.
#[derive(Debug, Clone)]
pub struct Qr {
    pub size: usize,
    pub dark: Vec<bool>,
    code: QRCode,
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
        Ok(Qr { size, dark, code })
    }

    /// Is the module at column `x`, row `y` dark?
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// A standalone SVG document (black on white, 4-module quiet zone), scalable to any size.
    pub fn svg(&self) -> String {
        SvgBuilder::default().margin(4).to_str(&self.code)
    }
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
}
