//! Diagnostics: every problem guidepost finds in a site, as data.
//!
//! A *diagnostic* has a severity, a stable code (`unknown-key`, `broken-link` …) that scripts and
//! docs can rely on, a message saying what is wrong, an optional span (file, 1-based line and
//! column, the source line) saying where, and an optional help text saying how to fix it.
//! Stages collect diagnostics instead of returning early, so a build reports every problem at
//! once; rendering them (terminal text, JSON) is separate from finding them.

use std::fmt::Write as _;

use serde::Serialize;

pub mod codes;

/// A `/`-separated path relative to the site root as a terminal shows it: with `\` on Windows,
/// as its users write paths (`content\xuexin\web.md:3:1`), unchanged elsewhere. Spans keep `/`,
/// and so does the JSON output.
pub fn native_path(rel: &str) -> std::borrow::Cow<'_, str> {
    if cfg!(windows) {
        rel.replace('/', "\\").into()
    } else {
        rel.into()
    }
}

/// Lines longer than this (in bytes) are shown cut to `CONTEXT` bytes around the mark.
const LONG_LINE: usize = 400;
const CONTEXT: usize = 120;
/// At most this many diagnostics of one code in one file are shown as text.
pub const MAX_SHOWN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Where a diagnostic points: a file, and optionally a position in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// Length of the marked text in characters (at least 1).
    #[serde(skip)]
    pub len: usize,
    /// The text of the line, for the snippet.
    #[serde(skip)]
    pub line_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub span: Option<Box<Span>>,
    pub help: Option<String>,
}

/// A text that maps byte ranges to places (a `SourceFile`), for [`Diagnostic::at`].
pub trait Locate {
    /// The span of the byte range `range`, clamped to the text.
    fn locate(&self, range: std::ops::Range<usize>) -> Span;
}

impl<T: Locate + ?Sized> Locate for &T {
    fn locate(&self, range: std::ops::Range<usize>) -> Span {
        (**self).locate(range)
    }
}

impl Diagnostic {
    /// A diagnostic of `code`, with the severity [`codes::CODES`] gives it.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: codes::severity(code),
            code,
            message: message.into(),
            span: None,
            help: None,
        }
    }

    /// [`Diagnostic::new`] for a code that is an error (the table decides; a test checks that
    /// every call names an error code).
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// [`Diagnostic::new`] for a code that is a warning (checked like [`Diagnostic::error`]).
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// The same problem under another code, with that code's severity.
    pub fn recode(mut self, code: &'static str) -> Self {
        self.code = code;
        self.severity = codes::severity(code);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at the byte range `range` of `file` (clamped to the file).
    pub fn at(mut self, file: &impl Locate, range: std::ops::Range<usize>) -> Self {
        self.span = Some(Box::new(file.locate(range)));
        self
    }

    /// Points at a file as a whole.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.span = Some(Box::new(Span {
            file: file.into(),
            line: 0,
            column: 0,
            len: 0,
            line_text: String::new(),
        }));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The `file:line:col` location, if any.
    pub fn location(&self) -> Option<String> {
        self.span.as_ref().map(|s| {
            if s.line == 0 {
                s.file.clone()
            } else {
                format!("{}:{}:{}", s.file, s.line, s.column)
            }
        })
    }

    /// Renders as rustc-style text with the source line and a caret.
    pub fn render(&self, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut elements: Vec<annotate_snippets::Element<'_>> = Vec::new();
        let location;
        let window;
        let file = self.span.as_ref().map(|s| native_path(&s.file));
        match &self.span {
            Some(s) if s.line > 0 => {
                // byte range of the marked characters within the line
                let start = s
                    .line_text
                    .char_indices()
                    .nth(s.column - 1)
                    .map_or(s.line_text.len(), |(i, _)| i);
                let end = s.line_text[start..]
                    .char_indices()
                    .nth(s.len.max(1))
                    .map_or(s.line_text.len(), |(i, _)| start + i);
                // a very long line (minified HTML, a pasted blob) is shown around the mark only
                let (shown, start, end) = if s.line_text.len() > LONG_LINE {
                    let mut from = start.saturating_sub(CONTEXT);
                    while !s.line_text.is_char_boundary(from) {
                        from -= 1;
                    }
                    let end = end.min(start + CONTEXT);
                    let mut to = (end + CONTEXT).min(s.line_text.len());
                    while !s.line_text.is_char_boundary(to) {
                        to += 1;
                    }
                    let end = end.min(to);
                    let mut end_b = end;
                    while !s.line_text.is_char_boundary(end_b) {
                        end_b -= 1;
                    }
                    let (pre, post) = (
                        if from > 0 { "…" } else { "" },
                        if to < s.line_text.len() { "…" } else { "" },
                    );
                    window = format!("{pre}{}{post}", &s.line_text[from..to]);
                    (
                        window.as_str(),
                        start - from + pre.len(),
                        end_b.max(start) - from + pre.len(),
                    )
                } else {
                    (s.line_text.as_str(), start, end)
                };
                elements.push(
                    Snippet::source(shown)
                        .line_start(s.line)
                        .path(file.as_deref())
                        .annotation(AnnotationKind::Primary.span(start..end))
                        .into(),
                );
            }
            Some(s) => {
                location = format!("in {}", native_path(&s.file));
                elements.push(Level::NOTE.message(&location).into());
            }
            None => {}
        }
        if let Some(help) = &self.help {
            elements.push(Level::HELP.message(help).into());
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let group =
            annotate_snippets::Group::with_title(level.primary_title(&self.message).id(self.code))
                .elements(elements);
        renderer.render(&[group])
    }
}

/// All diagnostics of a run, in a stable order.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn errors(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.0.len() - self.errors()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Sorts by file, line and column so output does not depend on thread scheduling.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.as_ref().map(|s| (s.file.clone(), s.line, s.column));
            key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
        });
        self.0.dedup();
    }
    /// Renders every diagnostic as text, except that past [`MAX_SHOWN`] of one code in one file
    /// only their number is told (a generated or pasted file can hold thousands of the same
    /// mistake); counts and JSON still include them all.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        let mut shown: std::collections::HashMap<(Option<&str>, &str), usize> = Default::default();
        for d in &self.0 {
            let n = shown
                .entry((d.span.as_ref().map(|s| s.file.as_str()), d.code))
                .or_default();
            *n += 1;
            if *n <= MAX_SHOWN {
                let _ = writeln!(out, "{}", d.render(color));
            }
        }
        let mut hidden: Vec<_> = shown.into_iter().filter(|(_, n)| *n > MAX_SHOWN).collect();
        hidden.sort();
        for ((file, code), n) in hidden {
            let _ = writeln!(
                out,
                "note: {} more `{code}` in {} not shown",
                n - MAX_SHOWN,
                file.map_or("the site".into(), native_path)
            );
        }
        out
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A diagnostic as CI scripts read it: flat, every field always present (`null` when unknown).
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    help: Option<&'a str>,
}

impl Diagnostics {
    /// A JSON array of `{file, line, column, severity, code, message, help}`.
    pub fn to_json(&self) -> String {
        let v: Vec<JsonDiagnostic<'_>> = self
            .0
            .iter()
            .map(|d| {
                let span = d.span.as_deref();
                let pos = span.filter(|s| s.line > 0);
                JsonDiagnostic {
                    file: span.map(|s| s.file.as_str()),
                    line: pos.map(|s| s.line),
                    column: pos.map(|s| s.column),
                    severity: d.severity,
                    code: d.code,
                    message: &d.message,
                    help: d.help.as_deref(),
                }
            })
            .collect();
        serde_json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into())
    }
}
