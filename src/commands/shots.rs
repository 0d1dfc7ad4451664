//! The shot list (`guidepost shots`): every screenshot a site asks for, whether its file is there
//! and big enough, and the pictures in `content/` that nothing shows. It is the checklist a staff
//! member takes to the phone.
//!
//! A *shot* is one screenshot reference in a channel (or an intro). Its *status* is `missing` (a
//! slot), `present`, `too-small` (narrower than 2x the theme's display width, so it looks blurred
//! on a phone) or `unreadable` (the file is there but is not a usable picture).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::content::model::{self, Block, Device};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::images::{self, Picture};
use crate::pipeline;
use crate::progress::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Missing,
    Present,
    TooSmall,
    Unreadable,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Missing => "missing",
            Status::Present => "present",
            Status::TooSmall => "too-small",
            Status::Unreadable => "unreadable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Shot {
    pub guide: String,
    pub guide_title: String,
    /// Empty for a screenshot in the guide's intro.
    pub channel: String,
    pub channel_name: String,
    pub step: Option<usize>,
    pub step_title: Option<String>,
    pub description: String,
    /// The expected file, relative to the site root.
    pub path: String,
    pub device: Device,
    pub status: Status,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The smallest width that looks sharp (2x the display width).
    pub min_width: u32,
    /// Why an unreadable file cannot be used.
    pub problem: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct ShotList {
    pub shots: Vec<Shot>,
    /// Pictures under `content/` that no page shows or links, relative to the site root.
    pub unreferenced: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Lists the shots of the site at `root`, drafts included (they are what is being captured).
///
/// It runs the [`pipeline`](crate::pipeline) content stages as `check` runs them (nothing
/// written, screenshots decoded but not encoded): a shot's status is what the image stage made
/// of its file, and the diagnostics are those `check` reports for these stages (a file the
/// build cannot use is `unreadable` here and `bad-image` there). `None` when there is no site to
/// list. `progress` is told how the image stage gets on.
pub fn list(root: &Path, progress: &dyn Progress) -> (Option<ShotList>, Diagnostics) {
    let mut diags: Vec<Diagnostic> = Vec::new();
    let stages = pipeline::Options {
        drafts: true,
        ..pipeline::Options::read_only(root, progress)
    };
    let list = pipeline::content(&stages, &mut diags).map(|c| shot_list(&c));
    let mut d = Diagnostics(diags);
    d.sort();
    (list, d)
}

/// The shot list of the content after the image stage.
fn shot_list(c: &pipeline::Content) -> ShotList {
    let pictures = &c.images.pictures;
    let mut referenced: BTreeSet<&str> = c.loaded.assets.iter().map(String::as_str).collect();
    referenced.extend(pictures.keys().map(String::as_str));
    let mut shots = Vec::new();
    for g in &c.loaded.site.guides {
        let mut add = |blocks: &[Block],
                       channel: Option<&crate::content::model::Channel>,
                       step: Option<&crate::content::model::Step>| {
            for (alt, path, device, _) in model::walk(blocks).filter_map(shot) {
                let mut s = Shot {
                    guide: g.id.0.clone(),
                    guide_title: g.meta.title.clone(),
                    channel: channel.map(|c| c.id.0.clone()).unwrap_or_default(),
                    channel_name: channel.map(|c| c.name.clone()).unwrap_or_default(),
                    step: step.map(|s| s.number),
                    step_title: step.map(|s| s.title_text.clone()),
                    description: alt,
                    path: format!("content/{path}"),
                    device,
                    status: Status::Missing,
                    width: None,
                    height: None,
                    min_width: 2 * images::display_width(device),
                    problem: None,
                };
                match pictures.get(&path) {
                    Some(&Picture::Published { width, height }) => {
                        s.width = Some(width);
                        s.height = Some(height);
                        s.status = if width < s.min_width {
                            Status::TooSmall
                        } else {
                            Status::Present
                        };
                    }
                    Some(Picture::Rejected(why)) => {
                        s.status = Status::Unreadable;
                        s.problem = Some(why.clone());
                    }
                    None => {}
                }
                shots.push(s);
            }
        };
        add(&g.intro, None, None);
        for c in &g.channels {
            add(&c.intro, Some(c), None);
            for s in &c.steps {
                add(&s.body, Some(c), Some(s));
            }
        }
    }
    for s in &shots {
        referenced.insert(&s.path["content/".len()..]);
    }
    let mut unreferenced: Vec<String> = c
        .inputs
        .files
        .iter()
        .filter(|f| images::is_image(f) && !referenced.contains(f.as_str()))
        .map(|f| format!("content/{f}"))
        .collect();
    unreferenced.sort();
    ShotList {
        shots,
        unreferenced,
    }
}

/// (alt, path, device, whether the file exists) of `b` if it is a screenshot.
fn shot(b: &Block) -> Option<(String, String, Device, bool)> {
    match b {
        Block::Figure(f) => Some((f.alt.clone(), f.path.clone(), f.device, true)),
        Block::Slot(s) => Some((s.alt.clone(), s.path.clone(), s.device, false)),
        Block::Callout { .. } | Block::Html(_) => None,
    }
}

#[derive(Serialize)]
struct CsvRow<'a> {
    status: &'static str,
    guide: &'a str,
    guide_title: &'a str,
    channel: &'a str,
    channel_name: &'a str,
    step: Option<usize>,
    step_title: Option<&'a str>,
    description: &'a str,
    path: &'a str,
    device: Device,
    width: Option<u32>,
    height: Option<u32>,
    min_width: u32,
    problem: Option<&'a str>,
}

impl ShotList {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
                s.push('\n');
                s
            }
            Format::Csv => self.csv(),
            Format::Table => self.table(),
        }
    }

    fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        for s in &self.shots {
            let _ = w.serialize(CsvRow {
                status: s.status.name(),
                guide: &s.guide,
                guide_title: &s.guide_title,
                channel: &s.channel,
                channel_name: &s.channel_name,
                step: s.step,
                step_title: s.step_title.as_deref(),
                description: &s.description,
                path: &s.path,
                device: s.device,
                width: s.width,
                height: s.height,
                min_width: s.min_width,
                problem: s.problem.as_deref(),
            });
        }
        if self.shots.is_empty() {
            let _ = w.write_record([
                "status",
                "guide",
                "guide_title",
                "channel",
                "channel_name",
                "step",
                "step_title",
                "description",
                "path",
                "device",
                "width",
                "height",
                "min_width",
                "problem",
            ]);
        }
        for u in &self.unreferenced {
            let _ = w.write_record([
                "unreferenced",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                u,
                "",
                "",
                "",
                "",
                "",
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    fn table(&self) -> String {
        use unicode_width::UnicodeWidthStr;
        let mut rows: Vec<[String; 5]> = vec![[
            "STATUS".into(),
            "WHERE".into(),
            "STEP".into(),
            "FILE".into(),
            "DESCRIPTION".into(),
        ]];
        for s in &self.shots {
            let status = match (s.status, s.width, s.height) {
                (Status::TooSmall, Some(w), Some(h)) => {
                    format!("too-small ({w}×{h}, needs {} px wide)", s.min_width)
                }
                (st, ..) => st.name().to_string(),
            };
            let place = if s.channel.is_empty() {
                s.guide.clone()
            } else {
                format!("{}/{}", s.guide, s.channel)
            };
            let step = match (&s.step, &s.step_title) {
                (Some(n), Some(t)) => format!("{n}. {t}"),
                _ => "(intro)".into(),
            };
            rows.push([status, place, step, s.path.clone(), s.description.clone()]);
        }
        let mut widths = [0usize; 5];
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.width());
            }
        }
        let mut out = String::new();
        for r in &rows {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                line.push_str(c);
                if i + 1 < r.len() {
                    line.push_str(&" ".repeat(widths[i] - c.width() + 2));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let count = |st: Status| self.shots.iter().filter(|s| s.status == st).count();
        let _ = writeln!(
            out,
            "\n{} screenshot{}: {} present, {} missing, {} too small, {} unreadable",
            self.shots.len(),
            if self.shots.len() == 1 { "" } else { "s" },
            count(Status::Present),
            count(Status::Missing),
            count(Status::TooSmall),
            count(Status::Unreadable),
        );
        if self.unreferenced.is_empty() {
            let _ = writeln!(out, "no unreferenced images in content/");
        } else {
            let _ = writeln!(out, "images in content/ that no page shows or links:");
            for u in &self.unreferenced {
                let _ = writeln!(out, "  {u}");
            }
        }
        out
    }
}
