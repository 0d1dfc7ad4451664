//! The screenshot studio of `guidepost serve` (issue 16): the real binary on a copy of
//! `tests/fixtures/studio`, driven by the project's Chromium the way staff use it (a file
//! dropped on a slot, a screenshot pasted, a redaction drawn with the pointer, a screenshot
//! replaced), and replays of real write requests from places that must not write.

use std::time::{Duration, Instant};

use crate::browser::{eval_string, launch, open, watched_tab};
use crate::pdf::tools_or_skip;
use crate::serve::{Reply, Server};

const WAIT: Duration = Duration::from_secs(30);

/// A PNG of `w`×`h` pixels of one colour.
fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Polls `f` until it gives a value (bounded wait).
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A copy of the fixture with `profile.png` (400×300, red) in place.
fn site() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = crate::copy_fixture("studio");
    let root = t.path().join("site");
    std::fs::write(
        root.join("content/card/images/profile.png"),
        png(400, 300, [200, 30, 30]),
    )
    .unwrap();
    (t, root)
}

fn id(path: &str) -> String {
    guidepost::serve::studio::shot_id(path)
}

fn token(server: &Server) -> String {
    let page = server.get("/card/web/").text();
    let at = page.find("\"token\":\"").expect("a token in the page") + 9;
    page[at..at + 32].to_string()
}

/// A raw POST of `body` to the studio's `action` for the shot `shot`, with `headers`.
fn post(
    server: &Server,
    action: &str,
    shot: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Reply {
    let mut raw = format!("POST /__guidepost/studio/{action}?shot={shot} HTTP/1.0\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(body);
    server.request_bytes(&bytes)
}

/// The headers of a write from the preview's own page: its host and origin, `token`, the body's
/// type.
fn own_headers(server: &Server, token: String, mime: &str) -> Vec<(&'static str, String)> {
    let host = format!("127.0.0.1:{}", server.port);
    vec![
        ("Host", host.clone()),
        ("Origin", format!("http://{host}")),
        ("X-Guidepost-Token", token),
        ("Content-Type", mime.to_string()),
    ]
}

fn decode(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

#[test]
fn write_requests_from_anywhere_but_the_preview_s_own_pages_get_403_and_write_nothing() {
    let (_t, root) = site();
    let server = Server::start(root.as_path(), &[]);
    let token = token(&server);
    let host = format!("127.0.0.1:{}", server.port);
    let own = format!("http://{host}");
    let slot = id("card/images/login.png");
    let target = root.as_path().join("content/card/images/login.png");
    let picture = png(120, 80, [0, 128, 0]);
    let h = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut v = vec![("Host", host.clone())];
        for (k, val) in pairs {
            v.retain(|(old, _)| old != k);
            v.push((*k, val.to_string()));
        }
        v
    };
    let replays = [
        (
            "a foreign Origin",
            h(&[
                ("Origin", "http://evil.example"),
                ("X-Guidepost-Token", &token),
                ("Content-Type", "image/png"),
            ]),
        ),
        (
            "no Origin",
            h(&[("X-Guidepost-Token", &token), ("Content-Type", "image/png")]),
        ),
        (
            "no token",
            h(&[("Origin", &own), ("Content-Type", "image/png")]),
        ),
        (
            "a wrong token",
            h(&[
                ("Origin", &own),
                ("X-Guidepost-Token", "0123456789abcdef0123456789abcdef"),
                ("Content-Type", "image/png"),
            ]),
        ),
        (
            // what a cross-site <form method=post enctype=multipart/form-data> sends
            "a simple form POST",
            h(&[
                ("Origin", "http://evil.example"),
                ("Content-Type", "multipart/form-data; boundary=x"),
            ]),
        ),
        (
            "a form content type even with the token",
            h(&[
                ("Origin", &own),
                ("X-Guidepost-Token", &token),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ]),
        ),
        (
            // DNS rebinding: another site's name pointed at this computer
            "a foreign Host",
            h(&[
                ("Host", "evil.example:80"),
                ("Origin", "http://evil.example:80"),
                ("X-Guidepost-Token", &token),
                ("Content-Type", "image/png"),
            ]),
        ),
    ];
    for (what, headers) in &replays {
        let r = post(&server, "upload", &slot, headers, &picture);
        assert_eq!(r.status, 403, "{what}: {}", r.text());
        assert!(!target.exists(), "{what} wrote the file");
    }
    let json = br#"{"redact":[{"x":1,"y":1,"w":10,"h":10}]}"#;
    for (what, headers) in &replays {
        let r = post(
            &server,
            "marks",
            &id("card/images/profile.png"),
            headers,
            json,
        );
        assert_eq!(r.status, 403, "marks with {what}: {}", r.text());
    }
    let sidecar =
        std::fs::read_to_string(root.as_path().join("content/card/images/profile.toml")).unwrap();
    assert!(!sidecar.contains("redact"), "{sidecar}");
    // the unredacted original is not readable without the token either
    let r = server.get(&format!(
        "/__guidepost/studio/original?shot={}",
        id("card/images/profile.png")
    ));
    assert_eq!(r.status, 403);

    let good = h(&[
        ("Origin", &own),
        ("X-Guidepost-Token", &token),
        ("Content-Type", "image/png"),
    ]);
    // ids only: a path is not an id
    let r = post(&server, "upload", "..%2F..%2Fsite.toml", &good, &picture);
    assert_eq!(r.status, 404, "{}", r.text());
    // decoded, not trusted by its name or type
    let r = post(&server, "upload", &slot, &good, b"%PDF-1.4 not a picture");
    assert_eq!(r.status, 415, "{}", r.text());
    assert!(r.text().contains("PNG"), "{}", r.text());
    let mut cut = picture.clone();
    cut.truncate(picture.len() / 2);
    let r = post(&server, "upload", &slot, &good, &cut);
    assert_eq!(r.status, 415, "a cut-off PNG: {}", r.text());
    assert!(!target.exists());
    // the same request from the page itself is accepted: the replays above were refused for
    // what they lacked, not for their body
    let r = post(&server, "upload", &slot, &good, &picture);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(std::fs::read(&target).unwrap(), picture);
    // a second upload is not a silent replacement
    let r = post(&server, "upload", &slot, &good, &png(10, 10, [0, 0, 0]));
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(std::fs::read(&target).unwrap(), picture);
}

#[cfg(unix)]
#[test]
fn the_studio_never_writes_through_a_symbolic_link() {
    let (_t, root) = site();
    let outside = tempfile::tempdir().unwrap();
    // the slot's folder is a link to a folder outside the site
    let g = root.as_path().join("content/card");
    std::fs::rename(g.join("images"), root.as_path().join("images-real")).unwrap();
    std::os::unix::fs::symlink(outside.path(), g.join("images")).unwrap();
    let server = Server::start(root.as_path(), &[]);
    let token = token(&server);
    let headers = own_headers(&server, token, "image/png");
    let r = post(
        &server,
        "upload",
        &id("card/images/login.png"),
        &headers,
        &png(20, 20, [1, 2, 3]),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("符号链接"), "{}", r.text());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn bound_to_the_network_the_studio_is_off_unless_allowed() {
    let (_t, root) = site();
    let mut server = Server::start(root.as_path(), &["--bind", "0.0.0.0"]);
    server.wait_log("--allow-edit");
    let page = server.get("/card/web/").text();
    assert!(!page.contains("studio.js"), "{page}");
    let headers = own_headers(&server, "0".repeat(32), "image/png");
    let r = post(
        &server,
        "upload",
        &id("card/images/login.png"),
        &headers,
        &png(20, 20, [1, 2, 3]),
    );
    assert_eq!(r.status, 403);
    drop(server);
    let mut server = Server::start(root.as_path(), &["--bind", "0.0.0.0", "--allow-edit"]);
    server.wait_log("warning: --allow-edit");
    assert!(server.get("/card/web/").text().contains("studio.js"));
    // DNS rebinding: another site's name pointed at this computer gets pages without the token,
    // and with the token (say, read off a shared screen) still no unredacted original
    let get = |host: &str, path: &str| {
        server.request_bytes(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    let rebound = format!("evil.example:{}", server.port);
    let page = get(&rebound, "/card/web/");
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("studio.js"), "{}", page.text());
    assert!(!page.text().contains("\"token\""), "{}", page.text());
    let token = token(&server);
    let original = format!(
        "/__guidepost/studio/original?shot={}&token={token}",
        id("card/images/profile.png")
    );
    assert_eq!(get(&rebound, &original).status, 403);
    assert_eq!(
        get(&format!("127.0.0.1:{}", server.port), &original).status,
        200
    );
}

#[test]
fn the_reminder_s_answer_is_recorded_in_the_settings_keeping_them() {
    let (_t, root) = site();
    let server = Server::start(root.as_path(), &[]);
    let page = server.get("/card/web/").text();
    // the channel mentions 姓名 and 学号: its screenshot gets the reminder
    assert!(page.contains("\"personal\":true"), "{page}");
    let headers = own_headers(&server, token(&server), "application/json");
    let r = post(
        &server,
        "dismiss",
        &id("card/images/profile.png"),
        &headers,
        b"{}",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let text =
        std::fs::read_to_string(root.as_path().join("content/card/images/profile.toml")).unwrap();
    assert!(
        text.starts_with("# 个人信息页的设置（手写的注释要保留）\ndevice = \"desktop\"\n"),
        "{text}"
    );
    assert!(text.contains("no_personal_data = true"), "{text}");
    assert!(text.contains("[[highlight]]   # “下一步”按钮"), "{text}");
    // the build accepts what the preview wrote
    let (_out, o) = crate::build(root.as_path());
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let page = server.get("/card/web/").text();
    assert!(page.contains("\"checked\":true"), "{page}");
}

/// Makes a picture in the page (a canvas of `w`×`h` in `color`, as `type`) and dispatches `event`
/// (`drop` or `paste`) carrying it on `selector`.
fn dispatch(event: &str, selector: &str, w: u32, h: u32, color: &str, mime: &str) -> String {
    let make = match event {
        "drop" => "new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})",
        _ => "new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})",
    };
    format!(
        r#"(async () => {{
  const c = document.createElement('canvas'); c.width = {w}; c.height = {h};
  const g = c.getContext('2d'); g.fillStyle = '{color}'; g.fillRect(0, 0, {w}, {h});
  const blob = await new Promise(r => c.toBlob(r, '{mime}'));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], 'shot', {{type: '{mime}'}}));
  const target = document.querySelector({selector:?});
  if (!target) return 'no target';
  target.dispatchEvent({make});
  return 'sent';
}})()"#
    )
}

fn js_true(tab: &headless_chrome::Tab, js: &str) -> bool {
    tab.evaluate(js, false).ok().and_then(|r| r.value) == Some(serde_json::json!(true))
}

fn shot_selector(path: &str) -> String {
    format!("[data-gp-shot=\"{}\"]", id(path))
}

#[test]
fn staff_fill_replace_and_redact_screenshots_in_the_preview() {
    let Some(chromium) = tools_or_skip("staff_fill_replace_and_redact_screenshots_in_the_preview")
    else {
        return;
    };
    let (_t, root) = site();
    let root = root.as_path();
    let mut server = Server::start(root, &[]);
    let origin = format!("http://127.0.0.1:{}", server.port);
    let browser = launch(chromium);
    let (tab, problems) = watched_tab(&browser, &origin);
    crate::browser::viewport(&tab, 1280, 900);
    let url = format!("{origin}/card/web/");
    open(&tab, &url);
    let images = root.join("content/card/images");

    // 1. a PNG dropped on the slot lands at the slot's path, and the page shows it
    let login = shot_selector("card/images/login.png");
    assert_eq!(
        eval_string(
            &tab,
            &dispatch(
                "drop",
                &format!("figure.slot{login}"),
                320,
                200,
                "#2060c0",
                "image/png"
            )
        ),
        "sent"
    );
    let bytes = wait_for("the dropped file", || {
        std::fs::read(images.join("login.png")).ok()
    });
    let img = decode(&bytes);
    assert_eq!(img.dimensions(), (320, 200));
    assert_eq!(img.get_pixel(5, 5).0, [0x20, 0x60, 0xc0]);
    server.wait_log("studio: wrote content/card/images/login.png");
    let start = Instant::now();
    while !js_true(
        &tab,
        &format!("!!document.querySelector('figure.shot{login}')"),
    ) {
        if start.elapsed() > WAIT {
            let state = tab
                .evaluate("location.href + ' ' + Array.from(document.querySelectorAll('figure')).map(f => f.outerHTML.slice(0, 200)).join(' | ')", false)
                .ok()
                .and_then(|r| r.value);
            panic!(
                "the page does not show the dropped screenshot: {state:?}; {:?}",
                problems.lock().unwrap().console_errors
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for("the page to show the dropped screenshot", || {
        js_true(
            &tab,
            &format!(
                "(() => {{ const i = document.querySelector('figure.shot{login} img'); return !!i && i.complete && i.naturalWidth > 0; }})()"
            ),
        )
        .then_some(())
    });

    // 2. a JPEG pasted from the clipboard into a .png slot is converted to PNG
    let done = shot_selector("card/images/done.png");
    assert_eq!(
        eval_string(
            &tab,
            &dispatch(
                "paste",
                &format!("figure.slot{done}"),
                200,
                100,
                "#10a040",
                "image/jpeg"
            )
        ),
        "sent"
    );
    let bytes = wait_for("the pasted file", || {
        std::fs::read(images.join("done.png"))
            .ok()
            .filter(|b| !b.is_empty())
    });
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not converted to PNG"
    );
    assert_eq!(decode(&bytes).dimensions(), (200, 100));
    // below the screen its picture waits in <noscript> until the reader scrolls to it
    wait_for("the page to show the pasted screenshot", || {
        js_true(
            &tab,
            &format!(
                "(() => {{ const f = document.querySelector('figure.shot{done}'); if (!f) return false; f.scrollIntoView(); const i = f.querySelector('img'); return !!i && i.complete && i.naturalWidth > 0; }})()"
            ),
        )
        .then_some(())
    });

    // 3. the channel mentions 姓名 and 学号: the captured screenshot carries the reminder
    let profile = shot_selector("card/images/profile.png");
    assert!(js_true(
        &tab,
        &format!("!!document.querySelector('figure.shot{profile} .gp-nudge')")
    ));

    // 4. a redaction drawn with the pointer in the editor, saved: the settings keep their
    // comments, and the served picture has the box burned in
    let frame = format!(
        "(() => {{ const a = document.querySelector('figure.shot{profile} a.shot-frame'); return a ? new URL(a.href).pathname : ''; }})()"
    );
    let unredacted = eval_string(&tab, &frame);
    assert!(!unredacted.is_empty(), "no picture for profile.png");
    assert!(js_true(
        &tab,
        &format!(
            "(() => {{ const b = Array.from(document.querySelectorAll('figure.shot{profile} button')).find(b => b.textContent === '打码与标注'); b.click(); return true; }})()"
        )
    ));
    wait_for("the editor's picture", || {
        js_true(&tab, "(() => { const i = document.querySelector('.gp-editor img'); return !!i && i.complete && i.naturalWidth === 400; })()").then_some(())
    });
    // the highlight of the settings file is shown as a box
    assert!(js_true(
        &tab,
        "document.querySelectorAll('.gp-editor .gp-box.gp-highlight').length === 1"
    ));
    // drag from 10 % / 20 % to 40 % / 50 % of the picture
    let drawn = eval_string(
        &tab,
        r#"(() => {
  const img = document.querySelector('.gp-editor img');
  const r = img.getBoundingClientRect();
  const at = (fx, fy) => ({clientX: r.left + r.width * fx, clientY: r.top + r.height * fy, bubbles: true, button: 0, pointerId: 1, isPrimary: true});
  const layer = document.querySelector('.gp-editor .gp-layer');
  layer.dispatchEvent(new PointerEvent('pointerdown', at(0.1, 0.2)));
  window.dispatchEvent(new PointerEvent('pointermove', at(0.25, 0.35)));
  window.dispatchEvent(new PointerEvent('pointerup', at(0.4, 0.5)));
  const boxes = document.querySelectorAll('.gp-editor .gp-box.gp-solid');
  return boxes.length === 1 ? boxes[0].getAttribute('aria-label') : 'boxes: ' + boxes.length;
})()"#,
    );
    assert!(drawn.starts_with("涂黑打码"), "{drawn}");
    assert!(js_true(
        &tab,
        "(() => { Array.from(document.querySelectorAll('.gp-editor button')).find(b => b.textContent === '保存').click(); return true; })()"
    ));
    let sidecar = images.join("profile.toml");
    let text = wait_for("the redaction in the settings", || {
        std::fs::read_to_string(&sidecar)
            .ok()
            .filter(|t| t.contains("[[redact]]"))
    });
    assert!(
        text.starts_with("# 个人信息页的设置（手写的注释要保留）\ndevice = \"desktop\"\n"),
        "{text}"
    );
    assert!(text.contains("[[highlight]]   # “下一步”按钮"), "{text}");
    assert!(text.contains("label = \"点击“下一步”\""), "{text}");
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let rect: Vec<i64> = doc["redact"].as_array().unwrap()[0]["rect"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_integer().unwrap())
        .collect();
    // pixels of the original (400×300), whatever size the editor showed it at
    for (got, want) in rect.iter().zip([40, 60, 120, 90]) {
        assert!((got - want).abs() <= 2, "{rect:?}");
    }
    server.wait_log("studio: wrote content/card/images/profile.toml");
    // a page reloaded by an earlier rebuild (the pasted screenshot's) may come first: the
    // redacted picture is the one with another name (its name carries a hash of its bytes)
    let full = wait_for("the page to show the redacted picture", || {
        let href = eval_string(&tab, &frame);
        (!href.is_empty() && href != unredacted).then_some(href)
    });
    assert!(!js_true(
        &tab,
        &format!("!!document.querySelector('figure.shot{profile} .gp-nudge')")
    ));
    // the path the browser resolved (the page's href is relative, ../../card/images/…)
    let served = server.get(&full);
    assert_eq!(served.status, 200, "{full}");
    let pic = decode(&served.body);
    assert_eq!(pic.dimensions(), (400, 300));
    assert_eq!(
        pic.get_pixel(100, 100).0,
        [0, 0, 0],
        "the redaction is burned in"
    );
    assert_eq!(
        pic.get_pixel(300, 50).0,
        [200, 30, 30],
        "outside it the picture is untouched"
    );

    // 5. without the mouse: the editor opened with Enter, a mosaic box added with the keyboard,
    // moved and made taller with the arrow keys, saved with Enter on 保存 (reached with Tab)
    let press = |key: &str, shift: bool| {
        let m: &[headless_chrome::browser::tab::ModifierKey] = if shift {
            &[headless_chrome::browser::tab::ModifierKey::Shift]
        } else {
            &[]
        };
        tab.press_key_with_modifiers(key, Some(m)).unwrap();
    };
    let focused = || {
        eval_string(
            &tab,
            "(document.activeElement.getAttribute('aria-label') || '') + '|' + document.activeElement.textContent",
        )
    };
    let done_frame = format!(
        "(() => {{ const a = document.querySelector('figure.shot{done} a.shot-frame'); return a ? new URL(a.href).pathname : ''; }})()"
    );
    let plain = eval_string(&tab, &done_frame);
    assert!(js_true(
        &tab,
        &format!(
            "(() => {{ const b = Array.from(document.querySelectorAll('figure.shot{done} button')).find(b => b.textContent === '打码与标注'); b.focus(); return document.activeElement === b; }})()"
        )
    ));
    press("Enter", false);
    wait_for("the editor of the pasted screenshot", || {
        js_true(&tab, "(() => { const i = document.querySelector('.gp-editor img'); return !!i && i.complete && i.naturalWidth === 200; })()").then_some(())
    });
    assert!(focused().ends_with("|涂黑打码"), "{}", focused());
    press("Tab", false);
    press("Enter", false); // 马赛克打码
    press("Tab", false);
    press("Tab", false);
    assert!(focused().ends_with("|添加方框"), "{}", focused());
    press("Enter", false);
    // a new box in the middle, focused: 200×100 → x 50, y 25, 100 wide, 13 high
    assert_eq!(focused(), "马赛克打码 1：左 50，上 25，宽 100，高 13|");
    for _ in 0..3 {
        press("ArrowRight", false); // 2 px each (1 % of the picture)
    }
    press("ArrowDown", true);
    assert_eq!(focused(), "马赛克打码 1：左 56，上 25，宽 100，高 15|");
    // Tab stays in the dialog: past the last box it comes round to the first button
    press("Tab", false);
    assert!(focused().ends_with("|涂黑打码"), "{}", focused());
    press("Tab", true);
    press("Tab", true);
    press("Tab", true);
    assert!(focused().ends_with("|保存"), "{}", focused());
    press("Enter", false);
    let text = wait_for("the keyboard's box in the settings", || {
        std::fs::read_to_string(images.join("done.toml"))
            .ok()
            .filter(|t| t.contains("[[redact]]"))
    });
    assert!(text.contains("rect = [56, 25, 100, 15]"), "{text}");
    assert!(text.contains("style = \"mosaic\""), "{text}");
    wait_for("the page to show the pasted screenshot redacted", || {
        let href = eval_string(&tab, &done_frame);
        (!href.is_empty() && href != plain).then_some(())
    });

    // 6. a picture dropped on a captured screenshot replaces it after a confirmation; the old
    // file is kept in .guidepost-cache/replaced/
    let old = std::fs::read(images.join("profile.png")).unwrap();
    assert_eq!(
        eval_string(
            &tab,
            &dispatch(
                "drop",
                &format!("figure.shot{profile}"),
                400,
                300,
                "#ffffff",
                "image/png"
            )
        ),
        "sent"
    );
    // nothing happens before the confirmation
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(std::fs::read(images.join("profile.png")).unwrap(), old);
    assert!(js_true(
        &tab,
        &format!(
            "(() => {{ const b = document.querySelector('figure.shot{profile} .gp-confirm button'); if (!b || b.textContent !== '替换') return false; b.click(); return true; }})()"
        )
    ));
    wait_for("the replaced file", || {
        std::fs::read(images.join("profile.png"))
            .ok()
            .filter(|b| *b != old)
    });
    let kept: Vec<_> = std::fs::read_dir(root.join(".guidepost-cache/replaced"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        kept[0]
            .to_string_lossy()
            .ends_with("-card_images_profile.png"),
        "{kept:?}"
    );
    assert_eq!(std::fs::read(&kept[0]).unwrap(), old);

    let p = problems.lock().unwrap();
    assert!(p.foreign_requests.is_empty(), "{:?}", p.foreign_requests);
    assert!(p.console_errors.is_empty(), "{:?}", p.console_errors);
}
