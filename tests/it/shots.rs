//! `guidepost shots`: the list of screenshots with their status, in all formats.

use crate::shotgen::screenshot;
use crate::*;

fn shots_site() -> tempfile::TempDir {
    let t = copy_fixture("shots");
    let img = t.path().join("site/content/card/images");
    screenshot(1170, 2532, 3, 1)
        .save(img.join("login.png"))
        .unwrap();
    screenshot(1280, 800, 2, 2)
        .save(img.join("small.png"))
        .unwrap();
    std::fs::write(img.join("broken.png"), "not a picture").unwrap();
    screenshot(300, 300, 1, 3)
        .save(img.join("extra.png"))
        .unwrap();
    t
}

fn shots(t: &tempfile::TempDir, format: &str) -> (String, String, Option<i32>) {
    let root = t.path().join("site");
    let o = guidepost(&[
        "shots",
        "--root",
        root.to_str().unwrap(),
        "--format",
        format,
    ]);
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        stderr(&o),
        o.status.code(),
    )
}

#[test]
fn table_lists_every_shot_and_unreferenced_images() {
    let t = shots_site();
    let (out, err, code) = shots(&t, "table");
    assert_eq!(code, Some(0), "{err}");
    // the reason is the build's: the same stage found it, and says it as `check` does
    assert!(
        err.starts_with("warning[bad-image]: `content/card/images/broken.png` cannot be used as a screenshot: it is not a PNG, JPEG or WebP picture"),
        "{err}"
    );
    assert_eq!(
        out,
        "\
STATUS                                    WHERE     STEP               FILE                              DESCRIPTION
missing                                   card      (intro)            content/card/images/overview.png  总览图
present                                   card/app  1. 登录            content/card/images/login.png     登录页
too-small (1280×800, needs 1320 px wide)  card/app  2. 选择, \"校园卡\"  content/card/images/small.png     太小的截图
unreadable                                card/app  3. 提交            content/card/images/broken.png    坏文件

4 screenshots: 1 present, 1 missing, 1 too small, 1 unreadable
images in content/ that no page shows or links:
  content/card/images/extra.png
"
    );
}

#[test]
fn csv_and_json() {
    let t = shots_site();
    let (out, _, code) = shots(&t, "csv");
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "status,guide,guide_title,channel,channel_name,step,step_title,description,path,device,width,height,min_width,problem"
    );
    assert_eq!(
        lines[3],
        "too-small,card,校园卡,app,手机 APP,2,\"选择, \"\"校园卡\"\"\",太小的截图,content/card/images/small.png,desktop,1280,800,1320,"
    );
    assert_eq!(
        lines[5],
        "unreferenced,,,,,,,,content/card/images/extra.png,,,,,"
    );
    assert_eq!(lines.len(), 6);

    let (out, _, _) = shots(&t, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> = v["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["missing", "present", "too-small", "unreadable"]);
    assert_eq!(v["shots"][1]["width"], 1170);
    assert_eq!(v["shots"][1]["min_width"], 600);
    assert_eq!(
        v["shots"][3]["problem"],
        "it is not a PNG, JPEG or WebP picture (perhaps a renamed document or a download that failed)"
    );
    assert_eq!(v["unreferenced"][0], "content/card/images/extra.png");
}

#[test]
fn the_sample_site_lists_all_its_slots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = guidepost(&[
        "shots",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let shots = v["shots"].as_array().unwrap();
    assert_eq!(shots.len(), 8);
    assert!(shots.iter().all(|s| s["status"] == "missing"));
    let channels: Vec<&str> = shots
        .iter()
        .map(|s| s["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels,
        ["web", "web", "web", "web", "wechat", "wechat", "app", "app"]
    );
}

#[test]
fn a_truncated_screenshot_is_unreadable_as_the_build_sees_it() {
    // its header is whole, so only decoding it (the build's image stage) finds the damage
    let t = shots_site();
    let login = t.path().join("site/content/card/images/login.png");
    let bytes = std::fs::read(&login).unwrap();
    std::fs::write(&login, &bytes[..bytes.len() / 2]).unwrap();
    let (out, err, code) = shots(&t, "json");
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["shots"][1]["status"], "unreadable");
    assert!(
        err.contains(
            "warning[bad-image]: `content/card/images/login.png` cannot be used as a screenshot"
        ),
        "{err}"
    );
    let site = t.path().join("site");
    let check = guidepost(&["check", "--root", site.to_str().unwrap()]);
    assert!(
        stderr(&check).contains(
            "warning[bad-image]: `content/card/images/login.png` cannot be used as a screenshot"
        ),
        "{}",
        stderr(&check)
    );
}
