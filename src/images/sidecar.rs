//! Screenshot settings: the small TOML file beside a screenshot that marks what to hide
//! (*redactions*) and where to tap (*highlights*), and may change the device frame.
//!
//! For `images/login.png` the settings are `images/login.toml` (or `images/login.png.toml`).
//! Coordinates are pixels of the original picture as any image viewer shows them: `rect = [x, y,
//! width, height]`, or `from = [x1, y1]` and `to = [x2, y2]` (the two corners, read off the
//! viewer's cursor position). Problems are diagnostics with the file, line and column.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::content::model::Device;
use crate::content::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};

/// A rectangle in pixels of the original picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactStyle {
    /// Filled with one solid colour: nothing of the original survives.
    #[default]
    Solid,
    /// Coarse blocks of the area's average colours: the layout stays recognisable.
    Mosaic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    pub rect: Rect,
    pub style: RedactStyle,
    /// Where it was written, for "outside the image" diagnostics.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Highlight {
    pub rect: Rect,
    pub label: Option<String>,
    pub span: Range<usize>,
}

/// The settings of one screenshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sidecar {
    /// The settings file, relative to `content/`.
    pub path: String,
    pub device: Option<Device>,
    pub redactions: Vec<Redaction>,
    pub highlights: Vec<Highlight>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSidecar {
    device: Option<Device>,
    #[serde(default)]
    redact: Vec<RawArea>,
    #[serde(default)]
    highlight: Vec<RawArea>,
    /// Written by the preview's reminder to redact: someone looked and found no personal data.
    #[serde(default)]
    #[allow(dead_code)]
    no_personal_data: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    rect: Option<toml::Spanned<[u32; 4]>>,
    from: Option<toml::Spanned<[u32; 2]>>,
    to: Option<toml::Spanned<[u32; 2]>>,
    /// Redactions only.
    style: Option<RedactStyle>,
    /// Highlights only.
    label: Option<String>,
}

/// The settings file names that may belong to the image `path` (relative to `content/`).
pub fn candidates(path: &str) -> [String; 2] {
    let stem = match path.rsplit_once('.') {
        Some((s, ext)) if !ext.contains('/') => s,
        _ => path,
    };
    [format!("{stem}.toml"), format!("{path}.toml")]
}

static UNKNOWN_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unknown field `([^`]*)`, expected (?:one of )?(.*)").unwrap());
static UNKNOWN_VARIANT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unknown variant `([^`]*)`, expected (?:one of )?(.*)").unwrap());

const HELP: &str = "for example:\n[[redact]]\nrect = [40, 300, 600, 80]   # x, y, width, height in pixels\n\n[[highlight]]\nrect = [60, 900, 1050, 140]\nlabel = \"点击“登录”\"";

/// Parses the settings `file`. Diagnostics are errors: a redaction that cannot be read must stop
/// the build rather than publish what it was meant to hide.
pub fn parse(file: &SourceFile, rel: &str, diags: &mut Vec<Diagnostic>) -> Option<Sidecar> {
    let raw: RawSidecar = match toml::from_str(&file.text) {
        Ok(r) => r,
        Err(e) => {
            diags.push(describe(file, e.message(), e.span()));
            return None;
        }
    };
    let before = diags.len();
    let mut out = Sidecar {
        path: rel.to_string(),
        device: raw.device,
        ..Sidecar::default()
    };
    for (kind, areas) in [("redact", raw.redact), ("highlight", raw.highlight)] {
        for a in areas {
            let Some((rect, span)) = area_rect(file, kind, &a, diags) else {
                continue;
            };
            if kind == "redact" {
                if let Some(label) = &a.label {
                    let at = file.text.find(label.as_str()).unwrap_or(span.start);
                    diags.push(
                        Diagnostic::error("unknown-key", "a redaction has no `label`")
                            .at(file, at..at + label.len())
                            .help("labels belong to `[[highlight]]` areas; remove the line"),
                    );
                }
                out.redactions.push(Redaction {
                    rect,
                    style: a.style.unwrap_or_default(),
                    span,
                });
            } else {
                if a.style.is_some() {
                    diags.push(
                        Diagnostic::error("unknown-key", "a highlight has no `style`")
                            .at(file, span.clone())
                            .help(
                                "`style` (\"solid\" or \"mosaic\") belongs to `[[redact]]` areas",
                            ),
                    );
                }
                out.highlights.push(Highlight {
                    rect,
                    label: a.label.filter(|l| !l.trim().is_empty()),
                    span,
                });
            }
        }
    }
    (diags.len() == before).then_some(out)
}

fn area_rect(
    file: &SourceFile,
    kind: &str,
    a: &RawArea,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Rect, Range<usize>)> {
    let (rect, span) = match (&a.rect, &a.from, &a.to) {
        (Some(r), None, None) => {
            let [x, y, w, h] = *r.get_ref();
            (Rect { x, y, w, h }, r.span())
        }
        (None, Some(f), Some(t)) => {
            let ([x1, y1], [x2, y2]) = (*f.get_ref(), *t.get_ref());
            let span = f.span().start..t.span().end;
            (
                Rect {
                    x: x1.min(x2),
                    y: y1.min(y2),
                    w: x1.abs_diff(x2),
                    h: y1.abs_diff(y2),
                },
                span,
            )
        }
        (r, f, t) => {
            let at = r
                .as_ref()
                .map(|r| r.span())
                .or(f.as_ref().map(|f| f.span()))
                .or(t.as_ref().map(|t| t.span()))
                .unwrap_or_else(|| header_span(file, kind));
            diags.push(
                Diagnostic::error(
                    "invalid-area",
                    format!("each `[[{kind}]]` needs either `rect` or both `from` and `to`"),
                )
                .at(file, at)
                .help(
                    "write `rect = [x, y, width, height]`, or the two corners: `from = [x1, y1]` and `to = [x2, y2]`",
                ),
            );
            return None;
        }
    };
    if rect.w == 0 || rect.h == 0 {
        diags.push(
            Diagnostic::error("invalid-area", "this area is empty: its width or height is 0")
                .at(file, span)
                .help("`rect` is [x, y, width, height]: the last two numbers are the size, not the corner"),
        );
        return None;
    }
    Some((rect, span))
}

fn header_span(file: &SourceFile, kind: &str) -> Range<usize> {
    let h = format!("[[{kind}]]");
    file.text.find(&h).map(|i| i..i + h.len()).unwrap_or(0..0)
}

fn describe(file: &SourceFile, message: &str, span: Option<Range<usize>>) -> Diagnostic {
    let message = message.trim();
    let span = span.unwrap_or(0..0);
    let backticked = |s: &str| -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(c) = UNKNOWN_FIELD.captures(message) {
        let key = c[1].to_string();
        let known = backticked(&c[2]);
        let help = match did_you_mean(&key, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? known keys here: {}", known.join(", ")),
            None => format!("known keys here: {}", known.join(", ")),
        };
        return Diagnostic::error(
            "unknown-key",
            format!("unknown key `{key}` in the screenshot settings"),
        )
        .at(file, span)
        .help(help);
    }
    if let Some(c) = UNKNOWN_VARIANT.captures(message) {
        let value = c[1].to_string();
        let known = backticked(&c[2]);
        let help = match did_you_mean(&value, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? allowed: {}", known.join(", ")),
            None => format!("allowed values: {}", known.join(", ")),
        };
        return Diagnostic::error(
            "invalid-value",
            format!("`{value}` is not an allowed value here"),
        )
        .at(file, span)
        .help(help);
    }
    let first = message
        .lines()
        .next()
        .unwrap_or(message)
        .trim_end_matches('.');
    let help = if first.contains("array of length") || first.contains("invalid length") {
        "`rect` takes four whole numbers [x, y, width, height]; `from` and `to` take two [x, y]"
            .to_string()
    } else if first.contains("integer") || first.contains("u32") {
        "coordinates are whole pixels from the top-left corner, 0 or more: rect = [40, 300, 600, 80]"
            .to_string()
    } else {
        HELP.to_string()
    };
    Diagnostic::error(
        "screenshot-settings",
        format!("invalid screenshot settings: {first}"),
    )
    .at(file, span)
    .help(help)
}

/// The diagnostic for an area that does not fit the image of `width` x `height` pixels.
/// Redactions are errors (a misplaced one would publish what it should hide), highlights
/// warnings.
pub fn outside(
    file: &SourceFile,
    kind: &str,
    rect: Rect,
    span: Range<usize>,
    width: u32,
    height: u32,
) -> Diagnostic {
    let msg = format!(
        "this {kind} area [{}, {}, {}, {}] reaches outside the image, which is {width}×{height} pixels",
        rect.x, rect.y, rect.w, rect.h
    );
    let d = if kind == "redaction" {
        Diagnostic::error("area-outside", msg)
    } else {
        Diagnostic::warning("highlight-outside", msg)
    };
    d.at(file, span).help(format!(
        "measure in the original file with an image viewer (not a scaled view): x + width must be at most {width}, y + height at most {height}"
    ))
}

pub fn fits(r: Rect, width: u32, height: u32) -> bool {
    r.x as u64 + r.w as u64 <= width as u64 && r.y as u64 + r.h as u64 <= height as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Option<Sidecar>, Vec<String>) {
        let f = SourceFile::new("content/g/images/a.toml", "a.toml", text.to_string());
        let mut d = Vec::new();
        let s = parse(&f, "g/images/a.toml", &mut d);
        let texts = d
            .iter()
            .map(|d| {
                format!(
                    "{}: {} [{}]",
                    d.location().unwrap_or_default(),
                    d.message,
                    d.help.clone().unwrap_or_default()
                )
            })
            .collect();
        (s, texts)
    }

    #[test]
    fn rect_and_corners() {
        let (s, d) = parse_str(
            "device = \"desktop\"\n[[redact]]\nrect = [10, 20, 30, 40]\n\n[[redact]]\nfrom = [100, 50]\nto = [60, 10]\nstyle = \"mosaic\"\n\n[[highlight]]\nrect = [1, 2, 3, 4]\nlabel = \"点击这里\"\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let s = s.unwrap();
        assert_eq!(s.device, Some(Device::Desktop));
        assert_eq!(
            s.redactions[0].rect,
            Rect {
                x: 10,
                y: 20,
                w: 30,
                h: 40
            }
        );
        assert_eq!(
            s.redactions[1].rect,
            Rect {
                x: 60,
                y: 10,
                w: 40,
                h: 40
            }
        );
        assert_eq!(s.redactions[1].style, RedactStyle::Mosaic);
        assert_eq!(s.highlights[0].label.as_deref(), Some("点击这里"));
    }

    #[test]
    fn unknown_key_suggests() {
        let (s, d) = parse_str("[[highlight]]\nrect = [1, 2, 3, 4]\nlable = \"x\"\n");
        assert!(s.is_none());
        assert_eq!(
            d,
            [
                "content/g/images/a.toml:3:1: unknown key `lable` in the screenshot settings [did you mean `label`? known keys here: rect, from, to, style, label]"
            ]
        );
    }

    #[test]
    fn bad_values() {
        let (_, d) = parse_str("[[redact]]\nrect = [1, 2, 3]\n");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].starts_with("content/g/images/a.toml:2:8: invalid screenshot settings"),
            "{d:?}"
        );
        let (_, d) = parse_str("[[redact]]\nrect = [1, -2, 3, 4]\n");
        assert!(d[0].contains(":2:"), "{d:?}");
        let (_, d) = parse_str("[[redact]]\nrect = [1, 2, 0, 4]\n");
        assert_eq!(
            d,
            [
                "content/g/images/a.toml:2:8: this area is empty: its width or height is 0 [`rect` is [x, y, width, height]: the last two numbers are the size, not the corner]"
            ]
        );
        let (_, d) = parse_str("[[redact]]\nfrom = [1, 2]\n");
        assert!(
            d[0].contains("needs either `rect` or both `from` and `to`"),
            "{d:?}"
        );
        let (_, d) = parse_str("[[redact]]\nrect = [1, 2, 3, 4]\nstyle = \"blur\"\n");
        assert!(
            d[0].contains("`blur` is not an allowed value here"),
            "{d:?}"
        );
    }

    #[test]
    fn candidate_names() {
        assert_eq!(
            candidates("g/images/login.png"),
            ["g/images/login.toml", "g/images/login.png.toml"]
        );
    }
}
