//! Search in the browser, measured: `cargo run --example search_bench -- PUBLIC QUERY…` serves a
//! built site (PUBLIC) from 127.0.0.1 without compression (as many campus servers do) and, in
//! headless Chromium, for each query in a fresh tab: the bytes of search data the first query
//! loads (manifest, token shards, the document shards of the first six results), its time, and
//! the median time of a query once its shards are loaded (search and results in the field,
//! from the input event to the results on screen). Prints one JSON line per query.
//! Used by benches/search.sh.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use headless_chrome::{Browser, LaunchOptions};

fn respond(stream: std::net::TcpStream, public: &Path) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut h = String::new();
    while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
        h.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut f = public.join(path.trim_start_matches('/'));
    if f.is_dir() {
        f = f.join("index.html");
    }
    let (status, body) = match std::fs::read(&f) {
        Ok(b) => ("200 OK", b),
        Err(_) => ("404 Not Found", Vec::new()),
    };
    let mime = match f.extension().and_then(OsStr::to_str) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    };
    let mut out = &stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(&body);
}

const MEASURE: &str = r#"(async (Q) => {
  const G = window.__gpSearch;
  const form = document.querySelector("form.site-search");
  const idx = new G.Index(form.getAttribute("data-root") + "search/", form.getAttribute("data-index"));
  const own = () => performance.getEntriesByType("resource").filter(e => e.name.includes("/search/"));
  const t0 = performance.now();
  const m = await idx.manifest();
  const r = await idx.search(Q);
  await Promise.all(r.slice(0, 6).map(x => idx.doc(m, x.doc)));
  const first = performance.now() - t0;
  const entries = own();
  const bytes = entries.reduce((a, e) => a + e.encodedBodySize, 0);
  const times = [];
  for (let i = 0; i < 9; i++) {
    const t = performance.now();
    const r2 = await idx.search(Q);
    await Promise.all(r2.slice(0, 6).map(x => idx.doc(m, x.doc)));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  // through the field: input event → the list rewritten
  form.hidden = false;
  const input = form.querySelector("input"), list = form.querySelector(".search-results");
  const ui = [];
  for (let i = 0; i < 5; i++) {
    input.value = i % 2 ? Q : Q + " ";
    const t = performance.now();
    const done = new Promise(res => {
      const mo = new MutationObserver(() => { mo.disconnect(); res(); });
      mo.observe(form, { childList: true, subtree: true, characterData: true });
    });
    input.dispatchEvent(new Event("input"));
    await done;
    ui.push(performance.now() - t);
  }
  ui.sort((a, b) => a - b);
  return JSON.stringify({ query: Q, results: r.length, first_query_bytes: bytes, files: entries.length,
    first_query_ms: Math.round(first * 10) / 10, warm_query_ms: Math.round(times[4] * 10) / 10,
    field_ms: Math.round(ui[2] * 10) / 10 });
})"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let public = PathBuf::from(args.first().expect("usage: search_bench PUBLIC QUERY…"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let p = public.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let p = p.clone();
            std::thread::spawn(move || respond(s, &p));
        }
    });
    let chromium = guidepost::output::pdf::find_browser(None).expect("Chromium");
    let opts = LaunchOptions::default_builder()
        .path(Some(chromium))
        .headless(true)
        .sandbox(false)
        .args(
            [
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
            ]
            .iter()
            .map(OsStr::new)
            .collect(),
        )
        .build()
        .unwrap();
    let browser = Browser::new(opts).expect("launch Chromium");
    for q in &args[1..] {
        let tab = browser.new_tab().unwrap();
        tab.navigate_to(&format!("{origin}/index.html"))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let js = format!("{MEASURE}({})", serde_json::to_string(q).unwrap());
        let v = tab.evaluate(&js, true).unwrap().value;
        match v {
            Some(serde_json::Value::String(s)) => println!("{s}"),
            other => eprintln!("{q}: {other:?}"),
        }
        let _ = tab.close(false);
    }
}
