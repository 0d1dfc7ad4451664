//! Discovery: the only stage that reads the content tree.
//!
//! Walks `content/`, reads every Markdown file (in parallel) and `site.toml`, and lists every
//! other file, so later stages know which screenshots exist without touching the disk again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::content::source::{SourceFile, rel_path};
use crate::diagnostic::Diagnostic;

/// Everything the later stages read from the site folder.
#[derive(Debug)]
pub struct Inputs {
    pub root: PathBuf,
    pub content_dir: PathBuf,
    pub config: SourceFile,
    pub home: Option<SourceFile>,
    pub guides: Vec<GuideInput>,
    /// Every file under `content/`, relative to it, `/`-separated.
    pub files: HashSet<String>,
}

impl Inputs {
    /// Every Markdown file of the site (home, guides, channels) by its path relative to the root,
    /// for diagnostics that point into them.
    pub fn sources(&self) -> HashMap<&str, &SourceFile> {
        self.home
            .iter()
            .chain(
                self.guides
                    .iter()
                    .flat_map(|g| g.index.iter().chain(&g.channels)),
            )
            .map(|f| (f.rel.as_str(), f))
            .collect()
    }
}

#[derive(Debug)]
pub struct GuideInput {
    /// The folder name.
    pub id: String,
    /// The folder, relative to the site root (for messages).
    pub rel: String,
    pub index: Option<SourceFile>,
    /// Channel files, sorted by name.
    pub channels: Vec<SourceFile>,
}

pub fn discover(root: &Path, diags: &mut Vec<Diagnostic>) -> Option<Inputs> {
    let config_path = root.join("site.toml");
    if let Err(crate::content::confine::Symlink(p)) =
        crate::content::confine::entry(root, &config_path)
    {
        diags.push(crate::content::confine::warning(root, &p));
        diags.push(
            Diagnostic::error("io", "cannot read site.toml: it is a symbolic link")
                .in_file("site.toml")
                .help("replace the link with the file itself"),
        );
        return None;
    }
    let config = SourceFile::read(root, &config_path, diags)?;
    let content_dir = root.join("content");
    if crate::content::confine::tree(root, "content", diags).is_none() {
        diags.push(
            Diagnostic::error("no-content", format!("there is no `content` folder in {}", root.display()))
                .help("create `content/` with one folder per guide, e.g. `content/xuexin-image-code/_index.md`"),
        );
        return None;
    }
    let mut files = HashSet::new();
    let mut home = None;
    let mut guide_dirs: Vec<(String, PathBuf)> = Vec::new();
    let mut md: Vec<(String, PathBuf)> = Vec::new(); // (guide id, path)
    let walker = walkdir::WalkDir::new(&content_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    for entry in walker.filter_entry(|e| !is_hidden(e.file_name())) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .map(|p| rel_path(root, p))
                    .unwrap_or_else(|| "content".into());
                diags.push(
                    Diagnostic::warning("io-skipped", format!("cannot read {rel}: {e}"))
                        .in_file(rel),
                );
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        let Some(rel) = path
            .strip_prefix(&content_dir)
            .ok()
            .and_then(|r| r.to_str())
        else {
            diags.push(
                Diagnostic::warning(
                    "file-name",
                    format!(
                        "{} has a name that is not valid Unicode; it is ignored",
                        rel_path(root, path)
                    ),
                )
                .in_file(rel_path(root, path))
                .help("rename it using letters, digits and `-` (the name was probably saved by an old Windows tool in GBK)"),
            );
            continue;
        };
        let rel = rel.replace('\\', "/");
        let ft = entry.file_type();
        if ft.is_symlink() {
            diags.push(crate::content::confine::warning(root, path));
            continue;
        }
        if ft.is_dir() {
            if entry.depth() == 1 {
                guide_dirs.push((rel.clone(), path.to_path_buf()));
            }
            continue;
        }
        let is_md = rel.ends_with(".md");
        match (entry.depth(), is_md) {
            (1, true) if rel == "_index.md" => home = Some(path.to_path_buf()),
            (1, true) => diags.push(
                Diagnostic::warning("stray-file", format!("content/{rel} is not inside a guide folder; it is ignored"))
                    .in_file(format!("content/{rel}"))
                    .help("put each guide in its own folder: content/GUIDE/_index.md and content/GUIDE/CHANNEL.md"),
            ),
            (2, true) => {
                let guide = rel.split('/').next().unwrap_or_default().to_string();
                md.push((guide, path.to_path_buf()));
            }
            (_, true) => diags.push(
                Diagnostic::warning("stray-file", format!("content/{rel} is nested too deep to be a page; it is ignored"))
                    .in_file(format!("content/{rel}"))
                    .help("channel files sit directly in the guide folder: content/GUIDE/CHANNEL.md"),
            ),
            _ => {}
        }
        files.insert(rel);
    }
    let read: Vec<(String, Option<SourceFile>, Vec<Diagnostic>)> = md
        .into_par_iter()
        .map(|(g, p)| {
            let mut d = Vec::new();
            let f = SourceFile::read(root, &p, &mut d);
            (g, f, d)
        })
        .collect();
    let mut guides: Vec<GuideInput> = guide_dirs
        .into_iter()
        .map(|(id, p)| GuideInput {
            rel: rel_path(root, &p),
            id,
            index: None,
            channels: Vec::new(),
        })
        .collect();
    let index: std::collections::HashMap<String, usize> = guides
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    for (g, f, d) in read {
        diags.extend(d);
        let Some(f) = f else { continue };
        if let Some(guide) = index.get(&g).map(|&i| &mut guides[i]) {
            if f.path.file_name().is_some_and(|n| n == "_index.md") {
                guide.index = Some(f);
            } else {
                guide.channels.push(f);
            }
        }
    }
    let home = home.and_then(|p| SourceFile::read(root, &p, diags));
    Some(Inputs {
        root: root.to_path_buf(),
        content_dir,
        config,
        home,
        guides,
        files,
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') || n.starts_with('~') || n.ends_with('~'))
}
