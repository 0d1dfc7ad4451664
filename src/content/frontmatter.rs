//! Front matter: the block of settings at the very start of a content file.
//!
//! TOML between `+++` lines or YAML between `---` lines, parsed into strict structs (an unknown
//! key is an error with a "did you mean"). Errors are mapped back to the line and column of the
//! file, and the most common mistake of Chinese keyboards, full-width punctuation in the syntax
//! (`title：…`, `title ＝ “…”`), gets a diagnostic of its own that says which character to type.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::content::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A file split into its front matter and its body.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    pub format: Option<Format>,
    /// The front matter text (between the fences) and its byte offset in the file.
    pub matter: &'a str,
    pub matter_offset: usize,
    /// The Markdown body and its byte offset in the file.
    pub body: &'a str,
    pub body_offset: usize,
    /// What messages call it: "the front matter", or "site.toml" for the site's settings.
    pub name: &'static str,
}

/// What [`Split::name`] is for a content file.
pub const FRONT_MATTER: &str = "the front matter";

/// Splits front matter off the start of a file. Only the very start counts: a `---` further
/// down is a thematic break, never metadata.
pub fn split(file: &SourceFile) -> Result<Split<'_>, Diagnostic> {
    let text = file.text.as_str();
    let (format, fence) = if text.starts_with("+++\n") || text == "+++" {
        (Format::Toml, "+++")
    } else if text.starts_with("---\n") {
        (Format::Yaml, "---")
    } else {
        return Ok(Split {
            format: None,
            matter: "",
            matter_offset: 0,
            body: text,
            body_offset: 0,
            name: FRONT_MATTER,
        });
    };
    let start = fence.len() + 1;
    let mut pos = start;
    for line in text[start.min(text.len())..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == fence || (format == Format::Yaml && trimmed == "...") {
            let body_offset = pos + line.len();
            return Ok(Split {
                format: Some(format),
                matter: &text[start..pos],
                matter_offset: start,
                body: &text[body_offset..],
                body_offset,
                name: FRONT_MATTER,
            });
        }
        pos += line.len();
    }
    Err(Diagnostic::error(
        "front-matter",
        format!("the front matter is not closed: no line `{fence}` after the first one"),
    )
    .at(file, 0..fence.len())
    .help(format!(
        "end the settings block with a line holding only `{fence}`"
    )))
}

static FULLWIDTH_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*([：＝:=])\s*(.?)").unwrap());
static UNKNOWN_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unknown field `([^`]*)`, expected (?:one of )?(.*)").unwrap());
static MISSING_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"missing field `([^`]*)`").unwrap());
static UNKNOWN_VARIANT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unknown variant `([^`]*)`, expected (?:one of )?(.*)").unwrap());

/// Parses the front matter of `file` into `T`. `what` names the file's role for messages
/// ("guide", "channel"). Returns `None` (with diagnostics) when it cannot be read.
pub fn parse<T: DeserializeOwned>(
    file: &SourceFile,
    split: &Split<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let format = split.format.unwrap_or(Format::Toml);
    let before = diags.len();
    check_fullwidth(file, split, format, diags);
    if diags.len() > before {
        return None;
    }
    // Every wrong value at once: report the first problem, blank out its entry (keeping every
    // offset) and read again, until the rest reads or nothing more can be blanked out.
    let mut text = split.matter.to_string();
    let mut blanked: Vec<String> = Vec::new();
    let mut failed = false;
    for round in 0..MAX_ROUNDS {
        let attempt = Split {
            matter: &text,
            ..split.clone()
        };
        let (message, span) = match read::<T>(file, &attempt, format) {
            Ok(v) if !failed => return Some(v),
            Ok(_) => return None,
            Err(e) => e,
        };
        let d = describe(file, &attempt, format, &message, span.clone());
        if round > 0 && d.code == "front-matter" {
            break; // blanking out made the rest unreadable: what was found stands
        }
        if d.code == "missing-key"
            && blanked
                .iter()
                .any(|k| d.message.contains(&format!("`{k}`")))
        {
            break; // it was there, with a wrong value already reported
        }
        let at = d.span.as_ref().map(|s| s.line);
        let code = d.code;
        // `titel` with "did you mean `title`?" already says that `title` is missing
        if let Some(meant) = d
            .help
            .as_deref()
            .and_then(|h| h.strip_prefix("did you mean `"))
            .and_then(|h| h.split('`').next())
        {
            blanked.push(meant.to_string());
        }
        diags.push(d);
        failed = true;
        if matches!(code, "front-matter" | "missing-key") {
            break;
        }
        let first_line = file.line_col(split.matter_offset).0;
        match at.and_then(|line| blank_entry(&mut text, line.checked_sub(first_line)?, format)) {
            Some(key) => blanked.push(key),
            None => break,
        }
    }
    None
}

/// At most this many problems of one front matter are reported.
const MAX_ROUNDS: usize = 20;

/// Reads the front matter into `T`: the parser's message and the byte range in the file.
fn read<T: DeserializeOwned>(
    file: &SourceFile,
    split: &Split<'_>,
    format: Format,
) -> Result<T, (String, Option<Range<usize>>)> {
    match format {
        Format::Toml => toml::from_str(split.matter).map_err(|e| {
            let span = e
                .span()
                .map(|r| r.start + split.matter_offset..r.end + split.matter_offset);
            (e.message().trim().to_string(), span)
        }),
        Format::Yaml => {
            // an empty YAML document is null, not an empty mapping
            let matter = if split.matter.trim().is_empty() {
                "{}"
            } else {
                split.matter
            };
            serde_saphyr::from_str(matter).map_err(|e| {
                let span = e.location().map(|l| {
                    let line = (l.line() as usize).max(1);
                    let (fm_line, _) = file.line_col(split.matter_offset);
                    let start = line_offset(file, fm_line + line - 1)
                        + (l.column() as usize).saturating_sub(1);
                    start..start + 1
                });
                (yaml_message(&e.to_string()), span)
            })
        }
    }
}

static TOML_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z0-9_.\-"']+)\s*="#).unwrap());
static YAML_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(\s*)([A-Za-z0-9_\-"']+)\s*:(\s|$)"#).unwrap());

/// Blanks out (with spaces, so every offset stays) the `key = value` entry that line `line`
/// (0-based, of the front matter) belongs to: its key's line and the lines of its value.
/// Returns the key.
fn blank_entry(text: &mut String, line: usize, format: Format) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key_of = |l: &str| -> Option<(String, usize)> {
        match format {
            Format::Toml => TOML_KEY.captures(l).map(|c| (c[1].to_string(), indent(l))),
            Format::Yaml => YAML_KEY.captures(l).map(|c| (c[2].to_string(), c[1].len())),
        }
    };
    let line = line.min(lines.len().checked_sub(1)?);
    let below = indent(lines[line]);
    let start = (0..=line).rev().find(|&i| {
        key_of(lines[i]).is_some_and(|(_, ind)| format == Format::Toml || ind <= below)
    })?;
    let (key, key_indent) = key_of(lines[start])?;
    let end = (start + 1..lines.len())
        .find(|&i| {
            let l = lines[i];
            if l.trim().is_empty() || l.trim_start().starts_with('#') {
                return false;
            }
            match format {
                Format::Toml => key_of(l).is_some() || l.trim_start().starts_with('['),
                Format::Yaml => indent(l) <= key_indent,
            }
        })
        .unwrap_or(lines.len());
    let from: usize = lines[..start].iter().map(|l| l.len()).sum();
    let to: usize = from + lines[start..end].iter().map(|l| l.len()).sum::<usize>();
    // as many bytes as it had: the offsets of what follows stay
    let blank: String = text[from..to]
        .chars()
        .map(|c| {
            if c == '\n' {
                "\n".to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    text.replace_range(from..to, &blank);
    Some(key.trim_matches(['"', '\'']).to_string())
}

fn line_offset(file: &SourceFile, line: usize) -> usize {
    file.text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

static YAML_POSITION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:error: )?line \d+ column \d+: ").unwrap());

fn yaml_message(s: &str) -> String {
    // serde-saphyr adds the position, which the diagnostic shows on its own
    let s = s.lines().next().unwrap_or(s);
    let s = match YAML_POSITION.find(s) {
        Some(m) => &s[m.end()..],
        None => s,
    };
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Turns a parser message into a diagnostic with guidepost's wording and a useful hint.
fn describe(
    file: &SourceFile,
    split: &Split<'_>,
    format: Format,
    message: &str,
    span: Option<Range<usize>>,
) -> Diagnostic {
    let key_span = |key: &str| -> Range<usize> {
        let mut off = split.matter_offset;
        for line in split.matter.split_inclusive('\n') {
            let t = line.trim_start();
            if t.starts_with(key) && t[key.len()..].trim_start().starts_with(['=', ':']) {
                let s = off + (line.len() - t.len());
                return s..s + key.len();
            }
            off += line.len();
        }
        span.clone()
            .unwrap_or(split.matter_offset..split.matter_offset)
    };
    let fallback = span.clone().unwrap_or(0..3);
    if let Some(c) = UNKNOWN_FIELD.captures(message) {
        let key = &c[1];
        let known = backticked(&c[2]);
        let help = match did_you_mean(key, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? known keys: {}", known.join(", ")),
            None => format!("known keys: {}", known.join(", ")),
        };
        return Diagnostic::error(
            "unknown-key",
            format!("unknown key `{key}` in {}", split.name),
        )
        .at(file, key_span(key))
        .help(help);
    }
    if let Some(c) = MISSING_FIELD.captures(message) {
        let key = &c[1];
        let example = match format {
            Format::Toml => format!("{key} = \"…\""),
            Format::Yaml => format!("{key}: …"),
        };
        let fence = split.matter_offset.saturating_sub(4);
        return Diagnostic::error("missing-key", format!("{} has no `{key}`", split.name))
            .at(file, fence..fence + 3)
            .help(format!("add a line `{example}` to {}", split.name));
    }
    if let Some(c) = UNKNOWN_VARIANT.captures(message) {
        let value = &c[1];
        let known = backticked(&c[2]);
        let help = match did_you_mean(value, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? allowed: {}", known.join(", ")),
            None => format!("allowed values: {}", known.join(", ")),
        };
        let range = split
            .matter
            .find(value)
            .map(|i| split.matter_offset + i..split.matter_offset + i + value.len())
            .unwrap_or(fallback);
        return Diagnostic::error(
            "invalid-value",
            format!("`{value}` is not an allowed value here"),
        )
        .at(file, range)
        .help(help);
    }
    if message.contains(" is not a date like ") {
        return Diagnostic::error("invalid-value", first_line(message).to_string())
            .at(file, fallback)
            .help("write the date as year-month-day: 2026-11-20");
    }
    // the syntax is fine, so the parser stopped at a value of the wrong kind
    if loose_ok(split.matter, format) {
        let key = entry_key(split, format, span.as_ref());
        let (expected, found) = match INVALID_TYPE.captures(message) {
            Some(c) => (Some(kind_name(&c[2])), found_name(&c[1])),
            None => {
                let value = span
                    .as_ref()
                    .and_then(|r| file.text.get(r.start..))
                    .and_then(|t| t.lines().next())
                    .unwrap_or("")
                    .trim();
                (yaml_expected(message), format!("`{value}`"))
            }
        };
        let message = match expected {
            Some(e) => format!("`{key}` must be {e}, not {found}"),
            None => format!(
                "`{key}` has a value of the wrong kind: {}",
                first_line(message)
            ),
        };
        return Diagnostic::error("invalid-value", message)
            .at(file, fallback)
            .help(match format {
                Format::Toml => "text goes in straight double quotes (`name = \"微信\"`), numbers and `true`/`false` without (`order = 2`), lists in brackets (`channels = [\"web\", \"wechat\"]`)",
                Format::Yaml => "numbers and `true`/`false` are written as they are (`order: 2`, `draft: true`), lists in brackets (`channels: [web, wechat]`)",
            });
    }
    let syntax = match format {
        Format::Toml => "TOML",
        Format::Yaml => "YAML",
    };
    let help = match format {
        Format::Toml => {
            "each line is `key = value`; text goes in straight double quotes: title = \"学信网图像采集码获取流程\""
        }
        Format::Yaml => "each line is `key: value`, with a half-width colon and a space after it",
    };
    Diagnostic::error(
        "front-matter",
        format!(
            "invalid {syntax} in {}: {}",
            split.name,
            first_line(message)
        ),
    )
    .at(file, fallback)
    .help(help)
}

static INVALID_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"invalid (?:type|length): (.*?), expected (.*)").unwrap());

/// The key of the entry that the byte range `at` (of the file) is in, as written.
fn entry_key(split: &Split<'_>, format: Format, at: Option<&Range<usize>>) -> String {
    let Some(at) = at.map(|r| r.start.saturating_sub(split.matter_offset)) else {
        return "this value".into();
    };
    // a parser's byte offset may fall inside a character (`&𐧒🌀¡order = 1` in YAML)
    let mut end = at.min(split.matter.len());
    while !split.matter.is_char_boundary(end) {
        end -= 1;
    }
    let before = &split.matter[..end];
    let line = before.matches('\n').count();
    let mut text = split.matter.to_string();
    blank_entry(&mut text, line, format).unwrap_or_else(|| "this value".into())
}

/// Whether the front matter reads as TOML or YAML at all (into no particular shape).
fn loose_ok(matter: &str, format: Format) -> bool {
    match format {
        Format::Toml => matter.parse::<toml::Table>().is_ok(),
        Format::Yaml => {
            matter.trim().is_empty() || serde_saphyr::from_str::<serde_json::Value>(matter).is_ok()
        }
    }
}

/// What serde-saphyr's message for a value of the wrong kind says was expected, in words.
fn yaml_expected(message: &str) -> Option<String> {
    let m = first_line(message);
    Some(
        match m {
            "invalid boolean" => "`true` or `false`",
            "expected sequence start" => "a list",
            "expected string scalar" => "text",
            "expected mapping start" => "a table of settings",
            _ if m.starts_with("invalid i") || m.starts_with("invalid u") => "a whole number",
            _ => return None,
        }
        .to_string(),
    )
}

/// serde's name of an expected type, in words.
fn kind_name(expected: &str) -> String {
    let e = expected.trim_end_matches('.');
    match e {
        "a string" | "a borrowed string" | "string" => "text".into(),
        "i64" | "i32" | "u32" | "u64" | "usize" | "an integer" => "a whole number".into(),
        "a boolean" | "bool" => "`true` or `false`".into(),
        "a sequence" => "a list".into(),
        _ if e.starts_with("struct ") || e == "a map" => "a table of settings".into(),
        _ => e.to_string(),
    }
}

/// serde's name of the value found, in words.
fn found_name(found: &str) -> String {
    let (kind, value) = found.split_once(' ').unwrap_or((found, ""));
    let kind = match kind {
        "string" => "the text",
        "integer" => "the number",
        "floating" => return format!("the number {}", value.trim_start_matches("point ")),
        "boolean" => "",
        "sequence" => return "a list".into(),
        "map" => return "a table".into(),
        _ => return found.to_string(),
    };
    if kind.is_empty() {
        value.to_string()
    } else {
        format!("{kind} {value}")
    }
}

/// The names in `expected \`a\`, \`b\`` (toml, serde) or `expected one of a, b` (serde-saphyr).
fn backticked(s: &str) -> Vec<&str> {
    if s.contains('`') {
        s.split('`').skip(1).step_by(2).collect()
    } else {
        s.split(", ")
            .map(|w| w.trim().trim_end_matches('.'))
            .filter(|w| !w.is_empty())
            .collect()
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim_end_matches('.')
}

/// Full-width punctuation where the syntax wants ASCII: the usual result of typing front matter
/// with a Chinese input method.
fn check_fullwidth(
    file: &SourceFile,
    split: &Split<'_>,
    format: Format,
    diags: &mut Vec<Diagnostic>,
) {
    let mut off = split.matter_offset;
    for line in split.matter.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if let Some(q) = line
            .trim_start()
            .chars()
            .next()
            .filter(|q| matches!(q, '“' | '‘'))
        {
            let r = off + indent..off + indent + q.len_utf8();
            let sep = if format == Format::Toml { " =" } else { ":" };
            diags.push(
                Diagnostic::error(
                    "fullwidth-punctuation",
                    format!("a curly quote `{q}` around the key"),
                )
                .at(file, r)
                .help(format!("keys are written without quotes: `title{sep} …`")),
            );
            off += line.len();
            continue;
        }
        if let Some(c) = FULLWIDTH_KEY.captures(line) {
            let sep = c.get(2).unwrap();
            let (want, name) = match (sep.as_str(), format) {
                ("：", Format::Yaml) => (Some(":"), "colon"),
                ("：", Format::Toml) => (Some("="), "equals sign"),
                ("＝", _) => (
                    Some(if format == Format::Toml { "=" } else { ":" }),
                    "equals sign",
                ),
                _ => (None, ""),
            };
            if let Some(want) = want {
                let r = off + sep.start()..off + sep.end();
                let found = sep.as_str();
                let msg = if found == "：" {
                    "a full-width colon `：` after the key"
                } else {
                    "a full-width equals sign `＝` after the key"
                };
                let help = if found == "：" && format == Format::Yaml {
                    "use a half-width colon `:` followed by a space (switch the input method to English punctuation)".to_string()
                } else {
                    format!(
                        "use a half-width {name} `{want}` (switch the input method to English punctuation): `{} {want} …`",
                        &c[1]
                    )
                };
                diags.push(
                    Diagnostic::error("fullwidth-punctuation", msg)
                        .at(file, r)
                        .help(help),
                );
            } else if let Some(comma) = fullwidth_comma_in_list(line, sep.end()) {
                let r = off + comma..off + comma + "，".len();
                diags.push(
                    Diagnostic::error("fullwidth-punctuation", "a full-width comma `，` between list items")
                        .at(file, r)
                        .help(format!("separate list items with a half-width comma `,` (switch the input method to English punctuation): `{}`", match format {
                            Format::Toml => format!("{} = [\"wechat\", \"web\"]", &c[1]),
                            Format::Yaml => format!("{}: [wechat, web]", &c[1]),
                        })),
                );
            } else if let Some(q) = c
                .get(3)
                .filter(|q| matches!(q.as_str(), "“" | "”" | "‘" | "’"))
            {
                let r = off + q.start()..off + q.end();
                diags.push(
                    Diagnostic::error("fullwidth-punctuation", format!("the value starts with a curly quote `{}`", q.as_str()))
                        .at(file, r)
                        .help("put text in straight quotes `\"…\"` (curly quotes “ ” may stay inside the text)"),
                );
            }
        }
        off += line.len();
    }
}

/// The byte offset of a full-width comma outside quotes in a `[…]` list value starting at
/// `from`, if any.
fn fullwidth_comma_in_list(line: &str, from: usize) -> Option<usize> {
    let value = &line[from..];
    let start = from + (value.len() - value.trim_start().len());
    if !line[start..].starts_with('[') {
        return None;
    }
    let mut quote = None;
    for (i, ch) in line[start..].char_indices() {
        match (ch, quote) {
            ('"' | '\'', None) => quote = Some(ch),
            (c, Some(q)) if c == q => quote = None,
            ('，', None) => return Some(start + i),
            _ => {}
        }
    }
    None
}

/// A calendar date (`updated = 2026-11-20` in TOML, or a `"2026-11-20"` string in either format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date like 2026-11-20")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
                let day = s.get(..10).unwrap_or(s);
                day.parse::<jiff::civil::Date>()
                    .map(Date)
                    .map_err(|_| E::custom(format!("`{s}` is not a date like 2026-11-20")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Date, A::Error> {
                let dt = toml::value::Datetime::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                self.visit_str(&dt.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Meta {
        #[allow(dead_code)]
        title: String,
        #[serde(default)]
        updated: Option<Date>,
        #[serde(default)]
        #[allow(dead_code)]
        device: Option<crate::content::model::Device>,
    }

    fn run(text: &str) -> (Option<Meta>, Vec<Diagnostic>) {
        let f = SourceFile::new("g/_index.md", "g/_index.md", text.to_string());
        let mut d = vec![];
        let s = split(&f).unwrap();
        (parse(&f, &s, &mut d), d)
    }

    #[test]
    fn toml_and_yaml_parse_the_same() {
        let (a, _) = run("+++\ntitle = \"标题\"\nupdated = 2026-11-20\n+++\n正文");
        let (b, _) = run("---\ntitle: 标题\nupdated: 2026-11-20\n---\n正文");
        assert_eq!(a.unwrap().updated, b.unwrap().updated);
    }

    #[test]
    fn unknown_key_suggests() {
        let (m, d) = run("+++\ntitel = \"x\"\n+++\n");
        assert!(m.is_none());
        assert_eq!(d[0].code, "unknown-key");
        assert_eq!(d[0].location().unwrap(), "g/_index.md:2:1");
        assert!(
            d[0].help
                .as_ref()
                .unwrap()
                .starts_with("did you mean `title`?"),
            "{:?}",
            d[0].help
        );
    }

    #[test]
    fn fullwidth_colon_is_explained() {
        let (_, d) = run("---\ntitle：标题\n---\n");
        assert_eq!(d[0].code, "fullwidth-punctuation");
        assert_eq!(d[0].location().unwrap(), "g/_index.md:2:6");
        assert!(d[0].help.as_ref().unwrap().contains("half-width colon"));
    }

    #[test]
    fn fullwidth_comma_in_a_list_is_explained() {
        let (_, d) = run("+++\ntitle = \"a，b\"\nchannels = [\"web\"，\"wechat\"]\n+++\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "fullwidth-punctuation");
        assert_eq!(d[0].location().unwrap(), "g/_index.md:3:18");
    }

    #[test]
    fn curly_quotes_around_a_key_are_explained() {
        let (_, d) = run("+++\n“title” = \"x\"\n+++\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "fullwidth-punctuation");
        assert_eq!(d[0].message, "a curly quote `“` around the key");
        assert_eq!(d[0].location().unwrap(), "g/_index.md:2:1");
    }

    #[test]
    fn a_wrong_value_lists_the_allowed_ones_in_toml_and_yaml() {
        for text in [
            "+++\ntitle = \"x\"\ndevice = \"phon\"\n+++\n",
            "---\ntitle: x\ndevice: phon\n---\n",
        ] {
            let (_, d) = run(text);
            assert_eq!(d[0].code, "invalid-value", "{text}");
            assert_eq!(
                d[0].help.as_deref(),
                Some("did you mean `phone`? allowed: phone, desktop"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_rule_further_down_is_not_front_matter() {
        let f = SourceFile::new("a.md", "a.md", "正文\n\n---\n\n更多\n\n---\n".into());
        let s = split(&f).unwrap();
        assert_eq!(s.format, None);
        assert_eq!(s.body, f.text);
    }
}
