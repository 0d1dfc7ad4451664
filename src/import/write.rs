//! Writing an imported guide into `content/GUIDE/`, all or nothing: every file goes into a
//! hidden staging folder beside it (`content/.GUIDE.import-XXXX`, which discovery skips), and one
//! rename puts the finished folder in place. An existing guide folder is refused unless
//! `--force`, and then it is renamed aside (`content/.GUIDE.replaced-YYYYMMDD-HHMMSS`), never
//! deleted: the output stage's staging swap deletes the previous output, which import must not.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::map::Guide;

#[derive(Serialize)]
struct GuideFront<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment: Option<&'a str>,
    channels: Vec<&'a str>,
}

#[derive(Serialize)]
struct ChannelFront<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

fn page(front: &impl Serialize, body: &str) -> String {
    let toml = toml::to_string(front).unwrap_or_default();
    let body = body.trim();
    if body.is_empty() {
        format!("+++\n{toml}+++\n")
    } else {
        format!("+++\n{toml}+++\n\n{body}\n")
    }
}

/// The files of the guide folder, by `/`-separated path, in the order they are written.
pub fn files(guide: &Guide) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let front = GuideFront {
        title: &guide.title,
        attachment: guide.attachment.as_deref(),
        channels: guide.channels.iter().map(|c| c.id.as_str()).collect(),
    };
    out.push((
        "_index.md".to_string(),
        page(&front, &guide.intro).into_bytes(),
    ));
    for c in &guide.channels {
        let mut body = String::new();
        if !c.intro.trim().is_empty() {
            body.push_str(c.intro.trim());
            body.push_str("\n\n");
        }
        for s in &c.steps {
            body.push_str(&format!("## {}\n\n", s.title));
            if !s.body.trim().is_empty() {
                body.push_str(s.body.trim());
                body.push_str("\n\n");
            }
        }
        let front = ChannelFront {
            title: &c.title,
            note: c.note.as_deref(),
        };
        out.push((format!("{}.md", c.id), page(&front, &body).into_bytes()));
    }
    out.extend(guide.images.iter().cloned());
    out
}

/// Writes `guide` as `content_dir/slug/`; returns where an existing folder was moved aside.
pub fn write(
    content_dir: &Path,
    slug: &str,
    guide: &Guide,
    force: bool,
) -> Result<Option<PathBuf>, String> {
    let target = content_dir.join(slug);
    let exists = std::fs::symlink_metadata(&target).is_ok();
    if exists && !force {
        return Err(format!(
            "content/{slug} already exists: nothing was written. Import under another name with --guide NAME, or pass --force to replace it (the existing folder is kept, renamed to content/.{slug}.replaced-DATE)"
        ));
    }
    std::fs::create_dir_all(content_dir)
        .map_err(|e| format!("cannot create {}: {e}", content_dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{slug}.import-"))
        .tempdir_in(content_dir)
        .map_err(|e| format!("cannot write into {}: {e}", content_dir.display()))?;
    for (rel, bytes) in files(guide) {
        let path = tmp.path().join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write {rel}: {e}"))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {rel}: {e}"))?;
    }
    let aside = if exists {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
        let mut aside = content_dir.join(format!(".{slug}.replaced-{stamp}"));
        let mut n = 2;
        while std::fs::symlink_metadata(&aside).is_ok() {
            aside = content_dir.join(format!(".{slug}.replaced-{stamp}-{n}"));
            n += 1;
        }
        std::fs::rename(&target, &aside).map_err(|e| {
            format!("cannot move the existing content/{slug} aside: {e}; nothing was changed")
        })?;
        Some(aside)
    } else {
        None
    };
    let staged = tmp.keep();
    if let Err(e) = std::fs::rename(&staged, &target) {
        if let Some(a) = &aside {
            let _ = std::fs::rename(a, &target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(format!(
            "cannot put the imported guide in place: {e}; nothing was changed"
        ));
    }
    Ok(aside)
}
