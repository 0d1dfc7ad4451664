//! Every page of a built site in a real browser (headless Chromium driven over the DevTools
//! protocol by `headless_chrome`): at a phone (390×844) and a desktop (1280×800) viewport no
//! page overflows sideways, shows a broken image, logs a console error or asks another host for
//! anything; with JavaScript disabled every channel's steps can be reached on the guide page.
//!
//! Pages are served from a tiny static server on 127.0.0.1 (as on the real host: `404.html`
//! links from the site's absolute path); the JavaScript test opens the guide page from
//! `file://`, as a reader who saved the site would. Skipped with a message on a machine without Chromium,
//! a failure when `CI=true`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use headless_chrome::browser::tab::RequestPausedDecision;
use headless_chrome::protocol::cdp::Fetch::{FailRequest, RequestPattern};
use headless_chrome::protocol::cdp::Network::ErrorReason;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{DOM, Emulation, Log, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};

use crate::pdf::tools_or_skip;
use crate::*;

pub(crate) fn launch(chromium: PathBuf) -> Browser {
    let args: Vec<&OsStr> = [
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // only the test server resolves: nothing can reach the network, even unintercepted
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let opts = LaunchOptions::default_builder()
        .path(Some(chromium))
        .headless(true)
        .sandbox(false)
        .args(args)
        .idle_browser_timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();
    Browser::new(opts).expect("launch Chromium")
}

pub(crate) fn viewport(tab: &Tab, width: u32, height: u32) {
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile: width < 600,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
}

/// What went wrong on a page, collected while it loads.
#[derive(Default)]
pub(crate) struct Problems {
    pub(crate) foreign_requests: Vec<String>,
    pub(crate) console_errors: Vec<String>,
}

/// A tab that records console errors and blocks (and records) every request that is not for
/// `origin`.
pub(crate) fn watched_tab(browser: &Browser, origin: &str) -> (Arc<Tab>, Arc<Mutex<Problems>>) {
    let own = format!("{origin}/");
    let tab = browser.new_tab().unwrap();
    let problems = Arc::new(Mutex::new(Problems::default()));
    let p = problems.clone();
    tab.enable_fetch(
        Some(&[RequestPattern {
            url_pattern: Some("*".into()),
            resource_Type: None,
            request_stage: None,
        }]),
        None,
    )
    .unwrap();
    tab.enable_request_interception(Arc::new(
        move |_t, _s, event: headless_chrome::protocol::cdp::Fetch::events::RequestPausedEvent| {
            let url = event.params.request.url.clone();
            if url.starts_with(&own) || url.starts_with("data:") {
                RequestPausedDecision::Continue(None)
            } else {
                p.lock().unwrap().foreign_requests.push(url);
                RequestPausedDecision::Fail(FailRequest {
                    request_id: event.params.request_id,
                    error_reason: ErrorReason::BlockedByClient,
                })
            }
        },
    ))
    .unwrap();
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    let p = problems.clone();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let msg = match event {
            Event::LogEntryAdded(e) if e.params.entry.level == Log::LogEntryLevel::Error => {
                Some(format!("{} {:?}", e.params.entry.text, e.params.entry.url))
            }
            Event::RuntimeConsoleAPICalled(e)
                if matches!(
                    e.params.Type,
                    Runtime::ConsoleAPICalledEventTypeOption::Error
                        | Runtime::ConsoleAPICalledEventTypeOption::Assert
                ) =>
            {
                Some(format!("console.error {:?}", e.params.args))
            }
            Event::RuntimeExceptionThrown(e) => {
                Some(format!("exception {}", e.params.exception_details.text))
            }
            _ => None,
        };
        if let Some(m) = msg {
            p.lock().unwrap().console_errors.push(m);
        }
    }))
    .unwrap();
    (tab, problems)
}

/// A tiny static file server on 127.0.0.1 for `public`, mounted at `prefix` (the path of the
/// site's `base_url`, so that `404.html`'s absolute links resolve as on the real host).
/// Returns its origin, `http://127.0.0.1:PORT`.
pub(crate) fn serve(public: PathBuf, prefix: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // a thread per connection: the browser opens connections ahead and may leave one idle
            let (public, prefix) = (public.clone(), prefix.clone());
            std::thread::spawn(move || respond(&stream, &public, &prefix));
        }
    });
    origin
}

fn respond(stream: &std::net::TcpStream, public: &Path, prefix: &str) {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // drain the headers
    let mut h = String::new();
    while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
        h.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let file = path
        .strip_prefix(prefix)
        .filter(|rest| !rest.split('/').any(|s| s == ".."))
        .map(|rest| {
            let f = public.join(rest);
            if f.is_dir() { f.join("index.html") } else { f }
        });
    let (status, body, file) = match file.and_then(|f| std::fs::read(&f).ok().map(|b| (b, f))) {
        Some((b, f)) => ("200 OK", b, f),
        None => (
            "404 Not Found",
            std::fs::read(public.join("404.html")).unwrap_or_default(),
            public.join("404.html"),
        ),
    };
    let mime = match file.extension().and_then(OsStr::to_str) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        Some("js") => "text/javascript",
        _ => "application/octet-stream",
    };
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(&body);
}

/// Every HTML page of a built site.
fn pages(public: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(public)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension() == Some(OsStr::new("html")))
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

pub(crate) fn eval_string(tab: &Tab, js: &str) -> String {
    let v = tab.evaluate(js, true).unwrap().value;
    match v {
        Some(serde_json::Value::String(s)) => s,
        other => panic!("{js}: {other:?}"),
    }
}

/// Opens `url` and waits for its load event (polling the page is much faster than the
/// driver's own navigation wait).
pub(crate) fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url).unwrap();
    let check = format!(
        "document.readyState === 'complete' && location.href === {}",
        serde_json::to_string(url).unwrap()
    );
    let start = std::time::Instant::now();
    while tab.evaluate(&check, false).ok().and_then(|r| r.value) != Some(serde_json::json!(true)) {
        assert!(start.elapsed().as_secs() < 30, "{url} did not load");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Loads every image (lazy ones too) and returns the ones that cannot be shown.
const BROKEN_IMAGES: &str = r#"(async () => {
  const broken = [];
  for (const img of Array.from(document.images)) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) { broken.push(img.getAttribute("src")); }
    if (img.naturalWidth === 0 && !broken.includes(img.getAttribute("src"))) broken.push(img.getAttribute("src"));
  }
  return JSON.stringify(broken);
})()"#;

const OVERFLOW: &str = r#"(() => {
  const d = document.documentElement;
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > d.clientWidth + 1 && getComputedStyle(e).position !== "fixed")
    .filter(e => !e.closest(".skip-link"))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + "." + e.className);
  return JSON.stringify({ scroll: d.scrollWidth - d.clientWidth, wide });
})()"#;

/// Opens every page under `dir` (served under `prefix` on 127.0.0.1) at each viewport and says
/// what is wrong, one line a problem.
fn check_pages(
    browser: &Browser,
    dir: &Path,
    prefix: &str,
    viewports: &[(u32, u32)],
) -> Vec<String> {
    let origin = serve(dir.to_path_buf(), prefix.to_string());
    let mut failures = Vec::new();
    for &(w, h) in viewports {
        let (tab, problems) = watched_tab(browser, &origin);
        viewport(&tab, w, h);
        for page in pages(dir) {
            let rel = page.strip_prefix(dir).unwrap().display().to_string();
            let url = format!("{origin}{prefix}{}", rel.replace('\\', "/"));
            open(&tab, &url);
            let broken = eval_string(&tab, BROKEN_IMAGES);
            if broken != "[]" {
                failures.push(format!("{rel} at {w}×{h}: broken images {broken}"));
            }
            let overflow: serde_json::Value =
                serde_json::from_str(&eval_string(&tab, OVERFLOW)).unwrap();
            if overflow["scroll"].as_i64() != Some(0) {
                failures.push(format!(
                    "{rel} at {w}×{h}: overflows sideways by {} px ({})",
                    overflow["scroll"], overflow["wide"]
                ));
            }
            let mut p = problems.lock().unwrap();
            for r in p.foreign_requests.drain(..) {
                failures.push(format!("{rel} at {w}×{h}: request to another host: {r}"));
            }
            for e in p.console_errors.drain(..) {
                failures.push(format!("{rel} at {w}×{h}: console error: {e}"));
            }
        }
        let _ = tab.close(false);
    }
    failures
}

const VIEWPORTS: [(u32, u32); 2] = [(390, 844), (1280, 800)];

/// Builds `root` and checks every page, served under the path of the site's `base_url`.
fn check_site(test: &str, root: &Path, prefix: &str) {
    let Some(chromium) = tools_or_skip(test) else {
        return;
    };
    let (out, o) = build(root);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let all = pages(&public);
    assert!(all.len() >= 6, "too few pages: {all:?}");
    assert!(all.iter().any(|p| p.ends_with("print/index.html")));
    let browser = launch(chromium);
    let failures = check_pages(&browser, &public, prefix, &VIEWPORTS);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// one test per site, so that they run in parallel

#[test]
fn every_page_of_the_sample_site_fits_loads_its_images_logs_no_error_and_stays_on_its_host() {
    check_site(
        "every_page_of_the_sample_site_fits_loads_its_images_logs_no_error_and_stays_on_its_host",
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "/",
    );
}

#[test]
fn every_page_of_a_site_with_screenshots_passes_the_same_checks() {
    check_site(
        "every_page_of_a_site_with_screenshots_passes_the_same_checks",
        &fixture("print"),
        "/",
    );
}

#[test]
fn every_page_of_a_site_under_a_sub_path_passes_the_same_checks() {
    check_site(
        "every_page_of_a_site_under_a_sub_path_passes_the_same_checks",
        &fixture("basic"),
        "/guides/",
    );
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // a page that breaks every rule must fail every check, or the test above proves nothing
    let Some(chromium) = tools_or_skip("the_checks_catch_what_they_look_for") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("bad.html"),
        r#"<!DOCTYPE html><html><body><div style="width:3000px">wide</div><img src="missing.png"><img src="https://cdn.example.com/x.png"><script>console.error("boom")</script></body></html>"#,
    )
    .unwrap();
    let browser = launch(chromium);
    let failures = check_pages(&browser, t.path(), "/", &[(390, 844)]);
    let all = failures.join("\n");
    for expected in [
        "overflows sideways",
        "broken images [\"missing.png\",\"https://cdn.example.com/x.png\"]",
        "request to another host: https://cdn.example.com/x.png",
        "console error: console.error",
    ] {
        assert!(all.contains(expected), "{expected} not caught in:\n{all}");
    }
}

#[test]
fn without_javascript_every_channel_s_steps_are_reachable_on_the_guide_page() {
    let Some(chromium) =
        tools_or_skip("without_javascript_every_channel_s_steps_are_reachable_on_the_guide_page")
    else {
        return;
    };
    let browser = launch(chromium);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, o) = build(repo);
    assert!(o.status.success(), "{}", stderr(&o));
    let guide = out.path().join("public/xuexin-image-code/index.html");
    let doc = html(out.path(), "xuexin-image-code/index.html");
    let channels: Vec<(String, usize)> = select(&doc, "section.channel")
        .iter()
        .map(|s| {
            let id = s.value().attr("id").unwrap().to_string();
            let steps = s
                .select(&scraper::Selector::parse("li.step").unwrap())
                .count();
            (id, steps)
        })
        .collect();
    assert_eq!(channels.len(), 3);

    let tab = browser.new_tab().unwrap();
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true })
        .unwrap();
    viewport(&tab, 390, 844);
    // scripts are really off: a page's own script does not run
    let probe = tempfile::tempdir().unwrap();
    let probe_page = probe.path().join("probe.html");
    std::fs::write(
        &probe_page,
        "<!DOCTYPE html><title>before</title><script>document.title = 'ran'</script>",
    )
    .unwrap();
    tab.navigate_to(&guidepost::output::pdf::file_url(&probe_page))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert_eq!(tab.get_title().unwrap(), "before");
    tab.navigate_to(&guidepost::output::pdf::file_url(&guide))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let visible = |tab: &Tab, css: &str| -> usize {
        tab.find_elements(css)
            .map(|els| {
                els.iter()
                    .filter(|e| {
                        e.get_box_model()
                            .is_ok_and(|b| b.width > 0.0 && b.height > 0.0)
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    // the first channel shows on arrival
    assert_eq!(
        visible(&tab, &format!("#{} li.step", channels[0].0)),
        channels[0].1
    );
    for (id, steps) in &channels {
        // follow the switcher's link to the channel, as a reader taps it
        let link = tab
            .find_elements(&format!(".tabs a[href='#{id}']"))
            .unwrap()
            .into_iter()
            .find(|a| a.get_box_model().is_ok())
            .unwrap_or_else(|| panic!("no visible switcher link to {id}"));
        // scroll and tap through the protocol: the driver's own `click` needs page scripts
        tab.call_method(DOM::ScrollIntoViewIfNeeded {
            node_id: None,
            backend_node_id: Some(link.backend_node_id),
            object_id: None,
            rect: None,
        })
        .unwrap();
        tab.click_point(link.get_midpoint().unwrap()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert!(
            tab.get_url().ends_with(&format!("#{id}")),
            "{}",
            tab.get_url()
        );
        assert_eq!(
            visible(&tab, &format!("#{id} li.step")),
            *steps,
            "steps of {id} not all visible without JavaScript"
        );
        for (other, _) in channels.iter().filter(|(o, _)| o != id) {
            assert_eq!(
                visible(&tab, &format!("#{other} li.step")),
                0,
                "{other} shown with {id}"
            );
        }
    }
}

#[test]
fn on_paper_phone_screenshots_sit_side_by_side_and_desktop_ones_span_the_text() {
    let Some(chromium) =
        tools_or_skip("on_paper_phone_screenshots_sit_side_by_side_and_desktop_ones_span_the_text")
    else {
        return;
    };
    let (out, o) = build(&fixture("print"));
    assert!(o.status.success(), "{}", stderr(&o));
    let browser = launch(chromium);
    let tab = browser.new_tab().unwrap();
    tab.call_method(Emulation::SetEmulatedMedia {
        media: Some("print".into()),
        features: None,
    })
    .unwrap();
    // the text area of A4 with the print margins (174 mm × 259 mm) at 96 px per inch
    viewport(&tab, 658, 979);
    let page = out.path().join("public/image-code/print/index.html");
    open(&tab, &guidepost::output::pdf::file_url(&page));
    let rects: serde_json::Value = serde_json::from_str(&eval_string(
        &tab,
        r##"JSON.stringify((() => {
          const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; };
          return {
            text: r(document.querySelector(".doc")),
            desktop: Array.from(document.querySelectorAll("#web .shot-desktop img")).map(r),
            phone: Array.from(document.querySelectorAll("#wechat .shot-phone img")).map(r),
            steps: Array.from(document.querySelectorAll("#wechat .doc-step")).map(r),
            nav: Array.from(document.querySelectorAll(".print-bar")).map(r),
          };
        })())"##,
    ))
    .unwrap();
    let f = |v: &serde_json::Value, i: usize| v[i].as_f64().unwrap();
    let text_width = f(&rects["text"], 2);
    for d in rects["desktop"].as_array().unwrap() {
        assert!(
            f(d, 2) > text_width * 0.95,
            "desktop {d} narrower than the text {text_width}"
        );
    }
    let phone = rects["phone"].as_array().unwrap();
    assert_eq!(phone.len(), 3);
    for p in phone {
        // about 55 mm wide (208 px), never the text width
        assert!(f(p, 2) > 150.0 && f(p, 2) < 215.0, "phone {p}");
    }
    // step 2's two screenshots: one row, side by side
    assert!((f(&phone[1], 1) - f(&phone[2], 1)).abs() < 1.0, "{phone:?}");
    assert!(
        f(&phone[2], 0) > f(&phone[1], 0) + f(&phone[1], 2),
        "{phone:?}"
    );
    // phone steps two by two: step 1 and step 3 start a row in the first column
    let steps = rects["steps"].as_array().unwrap();
    assert!((f(&steps[0], 0) - f(&steps[2], 0)).abs() < 1.0, "{steps:?}");
    // the screen-only bar is not printed
    assert!(
        rects["nav"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| f(n, 3) == 0.0)
    );
}

const WECHAT_ANDROID: &str = "Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4317 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/1234 MicroMessenger/8.0.28.2240(0x28001C35) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64";
const WECHAT_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 13_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.20(0x18001442) NetType/WIFI Language/zh_CN";

/// The hint beside the guide page's PDF link, as the reader sees it ("" when there is none).
fn pdf_hint(browser: &Browser, url: &str, ua: Option<&str>, scripts: bool) -> String {
    let tab = browser.new_tab().unwrap();
    if let Some(ua) = ua {
        tab.set_user_agent(ua, Some("zh-CN"), None).unwrap();
    }
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: !scripts })
        .unwrap();
    viewport(&tab, 390, 844);
    open(&tab, url);
    let hint = eval_string(
        &tab,
        r#"(() => {
  const a = document.querySelector('.doc-actions a[type="application/pdf"]');
  if (!a) return "NO LINK";
  const h = a.getAttribute("aria-describedby") && document.getElementById(a.getAttribute("aria-describedby"));
  return h && h.getBoundingClientRect().height > 0 ? h.textContent : "";
})()"#,
    );
    let _ = tab.close(true);
    hint
}

#[test]
fn in_wechat_on_android_the_pdf_link_says_how_to_open_it_before_the_tap() {
    let Some(chromium) =
        tools_or_skip("in_wechat_on_android_the_pdf_link_says_how_to_open_it_before_the_tap")
    else {
        return;
    };
    let site = crate::pdf::sample_site();
    let o = crate::pdf::run(site.path(), &["pdf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let origin = serve(site.path().join("public"), "/".into());
    let url = format!("{origin}/xuexin-image-code/index.html");
    let browser = launch(chromium);
    let hint = pdf_hint(&browser, &url, Some(WECHAT_ANDROID), true);
    assert!(
        hint.contains("点击右上角 ··· 选择“在浏览器打开”后下载"),
        "Android WeChat: {hint:?}"
    );
    // iOS WeChat opens PDFs itself; other browsers too; without scripts the plain link stays
    assert_eq!(pdf_hint(&browser, &url, Some(WECHAT_IOS), true), "");
    assert_eq!(pdf_hint(&browser, &url, None, true), "");
    assert_eq!(pdf_hint(&browser, &url, Some(WECHAT_ANDROID), false), "");
    // the print page's link too
    let tab = browser.new_tab().unwrap();
    tab.set_user_agent(WECHAT_ANDROID, Some("zh-CN"), None)
        .unwrap();
    open(
        &tab,
        &format!("{origin}/xuexin-image-code/print/index.html"),
    );
    let n = eval_string(
        &tab,
        "String(document.querySelectorAll('.pdf-hint').length)",
    );
    assert_eq!(n, "1");
}

#[test]
fn every_page_gives_wechat_a_share_card_as_its_first_picture_and_og_image() {
    let Some(chromium) =
        tools_or_skip("every_page_gives_wechat_a_share_card_as_its_first_picture_and_og_image")
    else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, o) = build(repo);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = out.path().join("public");
    let card = image::open(public.join("share-card.png")).unwrap();
    assert!(card.width() >= 300 && card.width() == card.height());
    let origin = serve(public.clone(), "/".into());
    let browser = launch(chromium);
    let tab = browser.new_tab().unwrap();
    tab.set_user_agent(WECHAT_ANDROID, Some("zh-CN"), None)
        .unwrap();
    viewport(&tab, 390, 844);
    for page in [
        "index.html",
        "xuexin-image-code/index.html",
        "xuexin-image-code/wechat/index.html",
        "404.html",
    ] {
        open(&tab, &format!("{origin}/{page}"));
        let seen = eval_string(
            &tab,
            r#"(() => {
  const img = document.images[0];
  const og = document.querySelector('meta[property="og:image"]');
  return JSON.stringify({
    src: img.getAttribute("src"), natural: img.naturalWidth, complete: img.complete,
    shown: img.getClientRects().length, hidden: img.getAttribute("aria-hidden"), alt: img.alt,
    og: og && og.content,
  });
})()"#,
        );
        let v: serde_json::Value = serde_json::from_str(&seen).unwrap();
        assert!(
            v["src"].as_str().unwrap().ends_with("share-card.png"),
            "{page}: {v}"
        );
        assert_eq!(v["natural"], 600, "{page}: not loaded: {v}");
        assert_eq!(v["shown"], 0, "{page}: the card is visible: {v}");
        assert_eq!(v["hidden"], "true", "{page}: {v}");
        assert_eq!(v["alt"], "", "{page}: {v}");
        assert_eq!(
            v["og"], "https://guides.example.edu.cn/share-card.png",
            "{page}: {v}"
        );
    }
}

#[test]
fn without_has_support_the_guide_page_still_shows_one_channel_at_a_time() {
    let Some(chromium) =
        tools_or_skip("without_has_support_the_guide_page_still_shows_one_channel_at_a_time")
    else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, o) = build(repo);
    assert!(o.status.success(), "{}", stderr(&o));
    let origin = serve(out.path().join("public"), "/".into());
    let browser = launch(chromium);
    let tab = browser.new_tab().unwrap();
    // an engine without :has(), as Chromium 86: CSS.supports says no, and the :has() rules are
    // taken out of the style sheet before the page is shown
    tab.call_method(headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument {
        source: r#"(() => {
  const real = CSS.supports.bind(CSS);
  CSS.supports = (...a) => (String(a[0]).includes(":has") ? false : real(...a));
  document.addEventListener("DOMContentLoaded", () => {
    for (const sheet of Array.from(document.styleSheets)) {
      const rules = sheet.cssRules;
      for (let i = rules.length - 1; i >= 0; i--) if (rules[i].cssText.includes(":has(")) sheet.deleteRule(i);
    }
  });
})()"#
            .into(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })
    .unwrap();
    viewport(&tab, 390, 844);
    let shown = |tab: &Tab| {
        eval_string(
            tab,
            r#"Array.from(document.querySelectorAll(".channels .channel")).filter(c => c.getClientRects().length > 0).map(c => c.id).join(",")"#,
        )
    };
    open(&tab, &format!("{origin}/xuexin-image-code/index.html"));
    assert_eq!(shown(&tab), "web");
    open(
        &tab,
        &format!("{origin}/xuexin-image-code/index.html#wechat"),
    );
    assert_eq!(shown(&tab), "wechat");
    // a step of another channel, as a notice links it
    let step = eval_string(&tab, "document.querySelector('#app .step').id");
    tab.evaluate(&format!("location.hash = '#{step}'"), false)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(shown(&tab), "app");
}
