//! `guidepost init` and `guidepost new`: a site, or a guide, from nothing.
//!
//! [`init`] writes a minimal site that builds at once (a `site.toml` explained in Chinese, a home
//! page and one example guide with two channels, a screenshot slot and callouts); [`new_guide`]
//! adds the skeleton of a guide to a site. Neither overwrites anything: they refuse when a file
//! or folder they would write exists. The files are written into a staging folder first and
//! moved into place with renames, `site.toml` (what makes a folder a site) last, so an
//! interrupted or failed run leaves no half site and no half guide behind.

use std::path::{Path, PathBuf};

use crate::content::model::is_slug;
use crate::content::source::SourceFile;
use crate::markdown::load::parse_config;

/// The example site of `init`, by path relative to the site root.
const SITE: &[(&str, &str)] = &[
    ("content/_index.md", include_str!("scaffold/home.md")),
    (
        "content/example/_index.md",
        include_str!("scaffold/example/_index.md"),
    ),
    (
        "content/example/web.md",
        include_str!("scaffold/example/web.md"),
    ),
    (
        "content/example/wechat.md",
        include_str!("scaffold/example/wechat.md"),
    ),
];
const SITE_TOML: &str = include_str!("scaffold/site.toml");

/// Channel file names a guide cannot use: they are the guide's own pages.
const RESERVED: &[&str] = &["index", "print", "share", "images"];

/// What `init` or `new` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The site folder.
    pub root: PathBuf,
    /// The files written, relative to `root`, `/`-separated, in order.
    pub files: Vec<String>,
}

/// Writes the example site into `dir` (created if missing). Refuses a folder that already holds
/// a `site.toml` or a `content` folder. `Err` is a message for staff (in Chinese).
pub fn init(dir: &Path) -> Result<Created, String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} 是一个文件，不是文件夹", dir.display()));
    }
    for taken in ["site.toml", "content"] {
        if std::fs::symlink_metadata(dir.join(taken)).is_ok() {
            return Err(format!(
                "{} 里已经有 {taken}，这里已经是一个站点（或站点的一部分）：没有改动任何文件。\n  提示：换一个空文件夹，例如 guidepost init 新站点",
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("无法创建文件夹 {}：{e}", dir.display()))?;
    let staging = staging_in(dir)?;
    write_all(staging.path(), SITE)?;
    // the content first, then site.toml: a folder is a site only once it is complete
    place(&staging.path().join("content"), &dir.join("content"))?;
    if let Err(e) = write_new(dir, "site.toml", SITE_TOML) {
        let _ = std::fs::rename(dir.join("content"), staging.path().join("content"));
        return Err(e);
    }
    let mut files: Vec<String> = vec!["site.toml".into()];
    files.extend(SITE.iter().map(|(rel, _)| rel.to_string()));
    Ok(Created {
        root: dir.to_path_buf(),
        files,
    })
}

/// What `guidepost new` makes.
#[derive(Debug, Clone, Default)]
pub struct NewGuide {
    /// The guide's folder name (its URL).
    pub id: String,
    /// Its channels' file names; empty: the channels `site.toml` defines (by their `order`),
    /// else `web`.
    pub channels: Vec<String>,
    /// Its title; default: a placeholder that asks for one.
    pub title: Option<String>,
}

/// Adds the skeleton of guide `new.id` to the site at `root`: `content/ID/_index.md` and one
/// file per channel with two steps and a slot each. Refuses when `content/ID` exists.
pub fn new_guide(root: &Path, new: &NewGuide) -> Result<Created, String> {
    let id = new.id.as_str();
    if !is_slug(id) {
        return Err(format!(
            "指南文件夹名“{id}”不能用：它是网址的一部分，只能用小写英文字母 a-z、数字 0-9 和 -（不在开头或结尾）。\n  提示：例如 guidepost new xuexin-image-code"
        ));
    }
    let mut diags = Vec::new();
    let config = SourceFile::read(root, &root.join("site.toml"), &mut diags)
        .and_then(|f| parse_config(&f, &mut diags));
    let channels = if new.channels.is_empty() {
        let mut defined: Vec<(i64, &String)> = config
            .iter()
            .flat_map(|c| &c.channels)
            .map(|(id, d)| (d.order.unwrap_or(i64::MAX), id))
            .collect();
        defined.sort();
        let ids: Vec<String> = defined.into_iter().map(|(_, id)| id.clone()).collect();
        if ids.is_empty() {
            vec!["web".into()]
        } else {
            ids
        }
    } else {
        new.channels.clone()
    };
    for (i, c) in channels.iter().enumerate() {
        if !is_slug(c) || RESERVED.contains(&c.as_str()) {
            return Err(format!(
                "渠道名“{c}”不能用：渠道名是文件名和网址的一部分，只能用小写英文字母、数字和 -，且不能是 {}。\n  提示：例如 --channels web,wechat,app",
                RESERVED.join("、")
            ));
        }
        if channels[..i].contains(c) {
            return Err(format!("渠道“{c}”写了两次"));
        }
    }
    let content = root.join("content");
    let target = content.join(id);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(format!(
            "content{sep}{id} 已经存在：没有改动任何文件。\n  提示：换一个文件夹名，或直接修改已有的指南",
            sep = std::path::MAIN_SEPARATOR
        ));
    }
    let name = |c: &str| {
        config
            .as_ref()
            .and_then(|cfg| cfg.channels.get(c))
            .and_then(|d| d.name.clone())
            .unwrap_or_else(|| c.to_string())
    };
    let title = new
        .title
        .clone()
        .unwrap_or_else(|| format!("{id}（请在这里填写指南标题）"));
    let list = channels
        .iter()
        .map(|c| toml_string(c))
        .collect::<Vec<_>>()
        .join(", ");
    let mut files = vec![(
        format!("{id}/_index.md"),
        format!(
            "+++\ntitle = {}\nchannels = [{list}]\n+++\n\n在这里用一两句话说明这件事是什么、谁需要办理。\n\n> [!IMPORTANT]\n> 在这里写最要紧的提醒（例如截止时间）；不需要时删掉这两行。\n",
            toml_string(&title)
        ),
    )];
    for c in &channels {
        files.push((
            format!("{id}/{c}.md"),
            format!(
                "+++\ntitle = {}\n+++\n\n## 在这里写第一步的标题\n\n在这里写这一步要做什么、点哪里。\n\n![写清楚截图里应该看到什么，例如“首页右上角的‘登录’按钮”](images/{c}-1.png)\n\n## 在这里写下一步的标题\n\n每个以 ## 开头的标题是一步，步骤会自动编号。\n\n![这一步的截图里应该看到什么](images/{c}-2.png)\n",
                toml_string(&name(c))
            ),
        ));
    }
    std::fs::create_dir_all(&content)
        .map_err(|e| format!("无法创建文件夹 {}：{e}", content.display()))?;
    // staged beside content/, not in it: a running preview must not see a half guide
    let staging = staging_in(root)?;
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(r, t)| (r.as_str(), t.as_str()))
        .collect();
    write_all(staging.path(), &refs)?;
    place(&staging.path().join(id), &target)?;
    Ok(Created {
        root: root.to_path_buf(),
        files: files
            .into_iter()
            .map(|(rel, _)| format!("content/{rel}"))
            .collect(),
    })
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn staging_in(dir: &Path) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix(".guidepost-new-")
        .tempdir_in(dir)
        .map_err(|e| format!("无法在 {} 中写入文件：{e}", dir.display()))
}

fn write_all(dir: &Path, files: &[(&str, &str)]) -> Result<(), String> {
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("无法创建文件夹 {}：{e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("无法写入 {}：{e}", path.display()))?;
    }
    Ok(())
}

/// Moves the staged folder `from` to `to`, which must not exist.
fn place(from: &Path, to: &Path) -> Result<(), String> {
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(format!("{} 已经存在：没有改动任何文件", to.display()));
    }
    std::fs::rename(from, to).map_err(|e| format!("无法写入 {}：{e}", to.display()))
}

/// Writes `dir/name` atomically, failing if it exists.
fn write_new(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let target = dir.join(name);
    crate::atomic::write_new(&target, text.as_bytes()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} 已经存在：没有改动它", target.display())
        } else {
            format!("无法写入 {}：{e}", target.display())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_checked() {
        let t = tempfile::tempdir().unwrap();
        init(t.path()).unwrap();
        for bad in ["Web", "print", "we chat", "-x"] {
            let e = new_guide(
                t.path(),
                &NewGuide {
                    id: "g".into(),
                    channels: vec![bad.into()],
                    title: None,
                },
            )
            .unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        assert!(!t.path().join("content/g").exists());
    }

    #[test]
    fn channels_default_to_the_sites_in_order() {
        let t = tempfile::tempdir().unwrap();
        init(t.path()).unwrap();
        let c = new_guide(
            t.path(),
            &NewGuide {
                id: "g".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            c.files,
            [
                "content/g/_index.md",
                "content/g/web.md",
                "content/g/wechat.md",
                "content/g/app.md"
            ]
        );
        let index = std::fs::read_to_string(t.path().join("content/g/_index.md")).unwrap();
        assert!(
            index.contains(r#"channels = ["web", "wechat", "app"]"#),
            "{index}"
        );
        let wechat = std::fs::read_to_string(t.path().join("content/g/wechat.md")).unwrap();
        assert!(
            wechat.starts_with("+++\ntitle = \"微信公众号\"\n"),
            "{wechat}"
        );
    }
}
