//! `guidepost import FILE.docx`: turns an office's existing Word (or WPS) attachment into a
//! guide folder, screenshots included.
//!
//! Three pure steps and one write: [`docx::read`] reads the package into a neutral
//! [`docx::Document`] (paragraphs with style, resolved list numbers, runs, tables, pictures);
//! [`map::map`] turns it into a [`map::Guide`] (title, intro, channels, steps, image files) and
//! notes every guess; [`write::write`] puts the folder in place atomically, never over an
//! existing one; [`report::Report`] says what was made and what to review. The pictures are
//! published later by the screenshot stage like any other (resized, stripped, redacted).

pub mod docx;
pub mod map;
pub mod report;
pub mod write;

use std::path::{Path, PathBuf};

use crate::content::model::is_slug;
use crate::diagnostic::Diagnostic;
use crate::output::owners::RESERVED_GUIDES;

pub use report::Report;

#[derive(Debug, Clone)]
pub struct Options {
    /// The Word file.
    pub file: PathBuf,
    /// The guide's folder name; default: from an ASCII file name.
    pub guide: Option<String>,
    /// The site folder (with `site.toml`).
    pub root: PathBuf,
    /// Replace an existing guide folder (it is kept, renamed aside).
    pub force: bool,
}

fn problem(file: &Path, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error("import", message)
        .in_file(file.display().to_string())
        .help(help)
}

/// The guide's folder name: `--guide`, else the file name when it is ASCII.
fn slug(opts: &Options) -> Result<String, Diagnostic> {
    let explicit = opts.guide.is_some();
    let name = match &opts.guide {
        Some(g) => g.clone(),
        None => {
            let stem = opts
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            stem.to_lowercase().replace([' ', '_', '.'], "-")
        }
    };
    let reserved = RESERVED_GUIDES.iter().find(|(n, _)| *n == name);
    if is_slug(&name) && reserved.is_none() {
        return Ok(name);
    }
    let why = match reserved {
        Some((n, what)) => format!("`{n}` is a name guidepost uses for {what}"),
        None if explicit => format!("`{name}` cannot be a web address"),
        None => format!("the file name `{name}` cannot be a web address"),
    };
    Err(problem(
        &opts.file,
        format!("{why}: give the guide's address with --guide"),
        "for example `guidepost import FILE.docx --guide xuexin-image-code`: lowercase ASCII letters, digits and `-`; it becomes the guide's URL, which notices will carry for years",
    ))
}

/// Imports `opts.file` into `opts.root/content/GUIDE/`.
pub fn run(opts: &Options) -> Result<Report, Diagnostic> {
    let ext = opts
        .file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if matches!(ext.as_str(), "doc" | "wps" | "wpt" | "dot" | "rtf" | "odt") {
        return Err(problem(
            &opts.file,
            format!("import reads Word .docx files, not .{ext}"),
            docx::SAVE_AS,
        ));
    }
    let slug = slug(opts)?;
    let doc = docx::read(&opts.file).map_err(|e| problem(&opts.file, e.message, e.help))?;
    let guide = map::map(&doc);
    if guide.title.trim().is_empty() || guide.channels.iter().all(|c| c.steps.is_empty()) {
        return Err(problem(
            &opts.file,
            "the document has no steps to import (no numbered paragraphs and no headings): nothing was written",
            "a guide's Word file has its steps as numbered paragraphs (1. 2. 3. or Word's numbering), under 一、二、三 headings for each channel",
        ));
    }
    let content = opts.root.join("content");
    let replaced = write::write(&content, &slug, &guide, opts.force).map_err(|e| {
        problem(
            &opts.file,
            e,
            "nothing was written; fix the cause and run import again",
        )
    })?;
    let replaced = replaced.map(|p| {
        p.strip_prefix(&opts.root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| p.display().to_string())
    });
    Ok(Report::new(&slug, &guide, replaced))
}
