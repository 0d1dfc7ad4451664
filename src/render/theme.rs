//! The theme: Tera templates and static files, embedded defaults overridden by the site's own.
//!
//! The default theme (`templates/`, `static/` of this repository) is compiled into the binary.
//! A site's `templates/NAME` or `static/PATH` replaces the embedded file of the same name, so a
//! site restyles one piece without copying the whole theme.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::content::source::rel_path;
use crate::diagnostic::{Diagnostic, Span};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Where a static file's bytes come from.
#[derive(Debug, Clone)]
pub enum StaticSource {
    Embedded(&'static [u8]),
    File(PathBuf),
}

pub struct Theme {
    pub tera: tera::Tera,
    /// Output path (relative to `static/`) → source.
    pub statics: BTreeMap<String, StaticSource>,
    /// A short hash of the static files, for cache busting.
    pub asset_version: String,
    /// A hash of every template's name and text and of the static files: what a page's
    /// [`super::key::PageKey`] takes of the theme.
    pub fingerprint: [u8; 32],
}

fn walk_embedded(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for f in dir.files() {
        out.push((f.path().to_string_lossy().replace('\\', "/"), f.contents()));
    }
    for d in dir.dirs() {
        walk_embedded(d, out);
    }
}

/// The files of the site's `templates/` or `static/` folder (`name`), by their path in it; links
/// are reported and left out ([`crate::content::confine`]), and so are hidden files.
fn walk_site(root: &Path, name: &str, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Some(dir) = crate::content::confine::tree(root, name, diags) else {
        return out;
    };
    let walker = walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for e in walker {
        match e {
            Ok(e) if e.file_type().is_symlink() => {
                diags.push(crate::content::confine::warning(root, e.path()));
            }
            Ok(e) if e.file_type().is_file() => {
                out.push((rel_path(&dir, e.path()), e.path().to_path_buf()));
            }
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::warning(
                "io-skipped",
                format!("cannot read {}: {e}", rel_path(root, &dir)),
            )),
        }
    }
    out
}

/// Loads the theme for the site at `root`. Template syntax errors become diagnostics that name
/// the template, line and column.
pub fn load(root: &Path, diags: &mut Vec<Diagnostic>) -> Option<Theme> {
    let mut sources: BTreeMap<String, (String, String)> = BTreeMap::new(); // name -> (display path, text)
    let mut embedded = Vec::new();
    walk_embedded(&TEMPLATES, &mut embedded);
    for (name, bytes) in embedded {
        sources.insert(
            name.clone(),
            (
                format!("(built-in) templates/{name}"),
                String::from_utf8_lossy(bytes).into_owned(),
            ),
        );
    }
    for (name, path) in walk_site(root, "templates", diags) {
        let mut d = Vec::new();
        let rel = rel_path(root, &path);
        let text = std::fs::read(&path)
            .map_err(|e| {
                Diagnostic::error("io", format!("cannot read {rel}: {e}")).in_file(rel.clone())
            })
            .ok()
            .and_then(|b| crate::content::source::decode(&rel, &b, &mut d));
        diags.extend(d);
        if let Some(text) = text {
            sources.insert(name, (rel, text));
        }
    }
    let mut fingerprint = blake3::Hasher::new();
    for (name, (_, text)) in &sources {
        for s in [name, text] {
            fingerprint.update(&(s.len() as u64).to_le_bytes());
            fingerprint.update(s.as_bytes());
        }
    }
    let mut tera = tera::Tera::new();
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    // all at once: a template may extend one that comes later in the alphabet
    if let Err(e) = tera.add_raw_templates(
        sources
            .iter()
            .map(|(name, (_, text))| (name.as_str(), text.as_str())),
    ) {
        let (display, text) = match &e.kind() {
            tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => sources
                .get(r.filename())
                .map(|(d, t)| (d.as_str(), t.as_str()))
                .unwrap_or(("templates", "")),
            _ => ("templates", ""),
        };
        diags.push(template_error(&e, display, text));
        return None;
    }

    let mut statics = BTreeMap::new();
    let mut embedded = Vec::new();
    walk_embedded(&STATIC, &mut embedded);
    for (name, bytes) in embedded {
        statics.insert(name, StaticSource::Embedded(bytes));
    }
    for (name, path) in walk_site(root, "static", diags) {
        statics.insert(name, StaticSource::File(path));
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (name, src) in &statics {
        name.hash(&mut h);
        match src {
            StaticSource::Embedded(b) => b.hash(&mut h),
            StaticSource::File(p) => std::fs::read(p).unwrap_or_default().hash(&mut h),
        }
    }
    let asset_version = format!("{:08x}", h.finish() as u32);
    fingerprint.update(asset_version.as_bytes());
    Some(Theme {
        tera,
        statics,
        asset_version,
        fingerprint: fingerprint.finalize().into(),
    })
}

/// A Tera error as a diagnostic, pointing into the template when Tera knows where.
pub fn template_error(e: &tera::Error, display: &str, text: &str) -> Diagnostic {
    let report = match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    let mut d = Diagnostic::error(
        "template",
        format!(
            "template error: {}",
            report.map_or_else(|| e.to_string(), |r| r.message().to_string())
        ),
    )
    .help("fix the template, or delete your copy to use the built-in one");
    let line_col = report.map(|r| (r.span().start_line, r.span().start_col + 1));
    match line_col {
        Some((line, col)) if line > 0 => {
            let line_text = text.lines().nth(line - 1).unwrap_or_default().to_string();
            let len = (r_len(report.map(|b| &**b))).max(1);
            d.span = Some(Box::new(Span {
                file: display.to_string(),
                line,
                column: col,
                len,
                line_text,
            }));
        }
        _ => d = d.in_file(display.to_string()),
    }
    d
}

fn r_len(report: Option<&tera::ReportError>) -> usize {
    report.map_or(1, |r| {
        let s = r.span();
        if s.end_line == s.start_line {
            s.end_col.saturating_sub(s.start_col)
        } else {
            1
        }
    })
}
