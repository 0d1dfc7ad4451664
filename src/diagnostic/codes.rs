//! Every diagnostic code, with its one severity and what it means: the same in `build`, `check`
//! and `serve` (only `check --strict` raises warnings to errors). [`Diagnostic`](super::Diagnostic)
//! takes the severity of its code from here; docs/check.md documents every code with the same
//! severity (a test compares them).

use super::Severity::{self, Error as E, Warning as W};

/// A diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub meaning: &'static str,
}

const fn c(code: &'static str, severity: Severity, meaning: &'static str) -> Code {
    Code {
        code,
        severity,
        meaning,
    }
}

/// All codes, sorted by name.
#[rustfmt::skip]
pub const CODES: &[Code] = &[
    c("alias-collision", E, "an alias is the path of another page or file of the output"),
    c("alt-to-review", W, "a screenshot description guessed by `guidepost import`, still marked 待核对"),
    c("area-outside", E, "a redaction area reaches outside its picture (nothing is published)"),
    c("backslash-path", E, "a relative path written with Windows `\\`"),
    c("bad-image", W, "a screenshot file is not a usable picture: a placeholder is published"),
    c("broken-anchor", E, "a link to an anchor the page does not have"),
    c("broken-link", E, "a link to a page, file or folder that does not exist"),
    c("duplicate-anchor", E, "two steps of a channel with the same id"),
    c("duplicate-channel", W, "`channels` names a channel twice"),
    c("duplicate-settings", E, "a screenshot has two settings files"),
    c("empty-step", W, "a step with no text and no screenshot"),
    c("empty-step-title", W, "a `##` with no title"),
    c("encoding", W, "a file saved as GBK/GB18030 or UTF-16: converted"),
    c("file-name", W, "a file name that is not valid Unicode: ignored"),
    c("file-too-large", E, "a text file of the site is larger than guidepost reads (2 MiB)"),
    c("front-matter", E, "a TOML/YAML syntax error, or the block is not closed"),
    c("fullwidth-punctuation", E, "full-width punctuation or curly quotes in front matter syntax"),
    c("heading-level", W, "a `#` heading in a channel file"),
    c("highlight-outside", W, "a highlight area reaches outside its picture (it is clipped)"),
    c("import", E, "a Word file `guidepost import` cannot read or write (nothing is written)"),
    c("internal", E, "guidepost lost track of its own work (a bug: please report it)"),
    c("invalid-alias", E, "an alias that is not a path of the site"),
    c("invalid-area", E, "a redaction or highlight without `rect` or `from`/`to`"),
    c("invalid-encoding", E, "bytes that are neither UTF-8 nor GBK: the file is not read"),
    c("invalid-lock-line", E, "a line of links.lock that is not a path from the site root"),
    c("invalid-name", E, "a guide folder or channel file name that cannot be a URL"),
    c("invalid-value", E, "a value of the wrong kind or not allowed"),
    c("io", E, "a file that is needed cannot be read or written"),
    c("io-skipped", W, "a file or folder cannot be read while listing the site: left out"),
    c("link-dropped", W, "a published address dropped from links.lock (--accept-removed)"),
    c("link-moved", E, "a published step link would open another step"),
    c("link-removed", E, "a published address would no longer exist"),
    c("lock-conflict", E, "links.lock has a merge conflict marker"),
    c("lock-outdated", E, "links.lock lacks addresses the build publishes (--locked)"),
    c("meaningless-alt", W, "a screenshot description that is a file or tool name"),
    c("missing-alt", W, "a screenshot without description"),
    c("missing-front-matter", E, "a guide or channel file without front matter"),
    c("missing-guide-index", E, "a guide folder with channel files but no `_index.md`"),
    c("missing-key", E, "a required key is missing"),
    c("no-base-url", W, "PDFs without online address and QR code: the site has no base_url"),
    c("no-channels", W, "a guide with no channel files"),
    c("no-content", E, "the site has no `content/` folder"),
    c("no-steps", W, "a channel with no `##` step"),
    c("nul-byte", W, "a NUL byte in a text file: replaced with U+FFFD"),
    c("open-slot", W, "a screenshot whose file does not exist yet (listed by `check` only)"),
    c("orphan-settings", W, "a settings file that belongs to no screenshot"),
    c("output-clash", E, "two sources would write the same file of the output"),
    c("outside-root", E, "a path leading out of `content/`, or a path on the author's computer"),
    c("oversized-image", W, "a picture more than 5× wider than it is ever shown"),
    c("page-too-large", E, "a page of the output would be larger than 32 MiB: rendering stopped"),
    c("pdf", E, "a guide's PDF cannot be printed"),
    c("qr", E, "a page's QR code cannot be made"),
    c("qr-large", W, "a QR code so dense that it scans poorly when printed small"),
    c("raw-script", W, "raw HTML that runs a script: `<script>`, `on*=`, `javascript:` URLs"),
    c("remote-resource", W, "an image, script, stylesheet, font, frame or media file from another host"),
    c("reserved-name", E, "a guide or channel name that guidepost uses for its own files"),
    c("screenshot-settings", E, "a screenshot settings file with a syntax error or a wrong value"),
    c("share-card", W, "the share card of a link is not square, too small, or misses characters of the title"),
    c("share-image", E, "`share_image` of site.toml is not a PNG or JPEG inside the site folder"),
    c("stale-pdf", W, "a guide's PDF is out of date: left out of the output"),
    c("step-number", W, "a typed step number that disagrees with the position"),
    c("stray-file", W, "a Markdown file outside a guide folder or nested too deep"),
    c("symlink", W, "a symbolic link in the site: never followed, never read or published"),
    c("template", E, "a template does not compile or render"),
    c("too-many", W, "a file had more than 50 problems of one code; the rest were counted"),
    c("unknown-channel", E, "the guide's `channels` list names a channel that does not exist"),
    c("unknown-key", E, "a key guidepost does not know"),
    c("unlisted-channel", W, "a channel file missing from `channels` (shown last)"),
];

/// The code `code`, if it is one.
pub fn find(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// The severity of `code`; an unknown code (none is: a test reads every call site) is an error.
pub fn severity(code: &str) -> Severity {
    find(code).map_or(Severity::Error, |c| c.severity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn sev(s: Severity) -> &'static str {
        match s {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    #[test]
    fn the_table_is_sorted_and_unique() {
        assert!(CODES.windows(2).all(|w| w[0].code < w[1].code));
    }

    /// Every `Diagnostic::error("…"` / `Diagnostic::warning("…"` / `Diagnostic::new("…"` /
    /// `.recode("…")` in src/ (calls over several lines too) names a code of the table, with
    /// the severity the constructor's name says; and every code of the table is used.
    #[test]
    fn every_call_site_agrees_with_the_table() {
        let re =
            regex::Regex::new(r#"(?:Diagnostic::(error|warning|new)|\.(recode))\(\s*"([^"]*)""#)
                .unwrap();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = BTreeSet::new();
        let mut wrong = Vec::new();
        for e in walkdir::WalkDir::new(&src) {
            let e = e.unwrap();
            // this file's own comments quote the calls
            if e.path().extension().is_none_or(|x| x != "rs") || e.path().ends_with("codes.rs") {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).unwrap();
            for m in re.captures_iter(&text) {
                let code = &m[3];
                let line = text[..m.get(0).unwrap().start()].lines().count() + 1;
                let at = format!("{}:{line}", e.path().strip_prefix(&src).unwrap().display());
                used.insert(code.to_string());
                match (find(code), m.get(1).map(|k| k.as_str())) {
                    (None, _) => wrong.push(format!("{at}: `{code}` is not in the table")),
                    (Some(c), Some(k @ ("error" | "warning"))) if sev(c.severity) != k => wrong
                        .push(format!(
                            "{at}: `{code}` made with Diagnostic::{k} but it is an {}",
                            sev(c.severity)
                        )),
                    _ => {}
                }
            }
        }
        for c in CODES {
            if !used.contains(c.code) {
                wrong.push(format!("`{}` is in the table but never used", c.code));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// docs/check.md documents every code (rows `| `code` | E |` or `W`) with its severity, and
    /// no other.
    #[test]
    fn docs_check_md_agrees_with_the_table() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/check.md"),
        )
        .unwrap();
        let row = regex::Regex::new(r"(?m)^\| `([a-z-]+)` \| (E|W) \|").unwrap();
        let mut documented: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for m in row.captures_iter(&docs) {
            let s = if &m[2] == "E" { "error" } else { "warning" };
            documented.entry(m[1].to_string()).or_default().insert(s);
        }
        let mut wrong = Vec::new();
        for c in CODES {
            match documented.get(c.code) {
                None => wrong.push(format!("`{}` is not documented", c.code)),
                Some(s) if s.len() != 1 || !s.contains(sev(c.severity)) => wrong.push(format!(
                    "`{}` is documented as {s:?}, but it is an {}",
                    c.code,
                    sev(c.severity)
                )),
                _ => {}
            }
        }
        for code in documented.keys() {
            if find(code).is_none() {
                wrong.push(format!(
                    "docs/check.md documents `{code}`, which is no code"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
