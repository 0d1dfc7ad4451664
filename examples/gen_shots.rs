//! Writes synthetic UI screenshots (PNG) for the benchmark and for trying the image pipeline:
//! `cargo run --release --example gen_shots -- DIR COUNT [WIDTH HEIGHT]` writes
//! DIR/shot-001.png … (default 1170x2532, an iPhone screenshot).

#[path = "../tests/it/shotgen.rs"]
mod shotgen;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_shots DIR COUNT [WIDTH HEIGHT]";
    let dir = std::path::PathBuf::from(args.first().expect(usage));
    let count: u32 = args.get(1).and_then(|s| s.parse().ok()).expect(usage);
    let width: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1170);
    let height: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2532);
    std::fs::create_dir_all(&dir).expect("create DIR");
    for i in 1..=count {
        let img = shotgen::screenshot(width, height, 3, i as u64);
        let path = dir.join(format!("shot-{i:03}.png"));
        img.save(&path).expect("write PNG");
    }
}
