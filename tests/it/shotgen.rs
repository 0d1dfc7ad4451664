//! Synthetic UI screenshots for tests and the benchmark: a phone or desktop screen drawn at
//! 1x with a header bar, text-like glyph rows, buttons and an avatar, then scaled up with a
//! smooth filter so edges are anti-aliased like a real retina screenshot.

use image::{Rgb, RgbImage, imageops};

/// A small deterministic generator, so every run draws the same pictures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, Rgb(c));
        }
    }
}

/// A screenshot of `width` x `height` pixels drawn at 1/`scale`, seeded by `seed`.
pub fn screenshot(width: u32, height: u32, scale: u32, seed: u64) -> RgbImage {
    let (w, h) = (width / scale, height / scale);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut img = RgbImage::from_pixel(w, h, Rgb([246, 247, 249]));
    let accent =
        [[27, 79, 156], [7, 193, 96], [230, 80, 40], [120, 60, 200]][rng.below(4) as usize];
    fill(&mut img, 0, 0, w, 44.min(h), accent);
    // title glyphs in the header
    let mut x = w / 2 - 40;
    for _ in 0..5 {
        glyph(&mut img, &mut rng, x, 14, 14, [255, 255, 255]);
        x += 16;
    }
    let mut y = 60;
    while y + 60 < h {
        // a card with rows of text
        let rows = 2 + rng.below(4) as u32;
        let card_h = rows * 22 + 20;
        fill(&mut img, 12, y, w - 24, card_h, [255, 255, 255]);
        if rng.below(3) == 0 {
            fill(&mut img, 20, y + 10, 36, 36, [200, 170, 140]); // avatar
        }
        for r in 0..rows {
            let mut gx = 64;
            let n = 6 + rng.below(((w - 90) / 15).max(7) as u64 - 6) as u32;
            for _ in 0..n {
                glyph(&mut img, &mut rng, gx, y + 12 + r * 22, 13, [31, 35, 40]);
                gx += 15;
            }
        }
        y += card_h + 12;
        if rng.below(4) == 0 && y + 50 < h {
            fill(&mut img, 24, y, w - 48, 40, accent); // a button
            let mut gx = w / 2 - 30;
            for _ in 0..4 {
                glyph(&mut img, &mut rng, gx, y + 13, 14, [255, 255, 255]);
                gx += 16;
            }
            y += 52;
        }
    }
    let mut big = imageops::resize(&img, width, height, imageops::FilterType::CatmullRom);
    // a photo-like banner (a campus picture, an ID photo): smooth colours with sensor noise,
    // which is what makes real screenshots large
    let (bw, bh) = (width - 2 * (12 * scale), (height / 6).min(420));
    let (bx, by) = (12 * scale, (60 * scale + 12).min(height - bh));
    for y in 0..bh {
        for x in 0..bw {
            let n = (rng.below(25) as i32) - 12;
            let c = |base: u32, k: u32| ((base + (x * k + y * 3) / (bw / 64 + 1)) % 256) as i32;
            let px = [c(90, 2), c(140, 1), c(60, 3)].map(|v| (v + n).clamp(0, 255) as u8);
            big.put_pixel(bx + x, by + y, Rgb(px));
        }
    }
    big
}

/// A CJK-like glyph: random strokes in a `size` square.
fn glyph(img: &mut RgbImage, rng: &mut Rng, x: u32, y: u32, size: u32, c: [u8; 3]) {
    for _ in 0..3 + rng.below(3) {
        if rng.below(2) == 0 {
            let yy = y + rng.below(size as u64) as u32;
            fill(img, x, yy, size, 1, c);
        } else {
            let xx = x + rng.below(size as u64) as u32;
            fill(img, xx, y, 1, size, c);
        }
    }
}
