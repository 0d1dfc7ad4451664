//! Source files: reading a text file the way office staff save it, and mapping byte offsets
//! back to lines and columns.
//!
//! Files come from Notepad, WPS and Typora on Windows: UTF-8 with or without a BOM, CRLF line
//! endings, sometimes GBK/GB18030. [`decode`] turns any of these into clean UTF-8 with `\n` line
//! endings (warning when it had to convert an encoding) and refuses bytes it cannot read rather
//! than rendering mojibake.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Locate, Span};

/// Characters guidepost uses internally as markers in rendered HTML; authors never type them, and
/// any that appear in a file are replaced so that they cannot be mistaken for markers.
pub const MARKER_CHARS: [char; 3] = ['\u{E000}', '\u{E001}', '\u{E002}'];

/// The largest text file guidepost reads (a channel, a guide's `_index.md`, `site.toml`, a
/// screenshot's `.toml`): 2 MiB. A long channel is 20 KB; parsing costs up to about
/// 150 bytes of memory per byte of Markdown made of nothing but delimiters (`a*b*a*b*…`), so this
/// keeps the worst file to a few hundred MB. Documented in docs/check.md (`file-too-large`).
pub const MAX_TEXT_FILE: u64 = 2 * 1024 * 1024;

/// The largest `links.lock`: 64 MiB. guidepost writes it, about 100 bytes per published link (4
/// pages and 15 step anchors per guide: 2.6 MB at 1,000 guides), and reads it line by line, so it
/// may grow with the site: this is some 25,000 guides.
pub const MAX_LOCK_FILE: u64 = 64 * 1024 * 1024;

impl Locate for SourceFile {
    fn locate(&self, range: Range<usize>) -> Span {
        self.span(range)
    }
}

/// A decoded text file of the site.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the site root with `/` separators, as shown in diagnostics.
    pub rel: String,
    /// Path on disk.
    pub path: PathBuf,
    /// The text, normalised: no BOM, `\n` line endings.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(rel: impl Into<String>, path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            rel: rel.into(),
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Reads and decodes a file of at most [`MAX_TEXT_FILE`]. Problems come back as diagnostics;
    /// `None` means unreadable.
    pub fn read(root: &Path, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<SourceFile> {
        Self::read_at_most(root, path, MAX_TEXT_FILE, diags)
    }

    /// [`SourceFile::read`] with another limit than [`MAX_TEXT_FILE`].
    pub fn read_at_most(
        root: &Path,
        path: &Path,
        limit: u64,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<SourceFile> {
        use std::io::Read as _;
        let rel = rel_path(root, path);
        // never more than the limit and a byte, whatever the file claims to be (it may grow
        // while it is read, or be a device)
        let mut bytes = Vec::new();
        let read = std::fs::File::open(path).and_then(|f| {
            let size = f.metadata()?.len();
            bytes.reserve_exact(size.min(limit + 1) as usize);
            f.take(limit + 1).read_to_end(&mut bytes)?;
            Ok(size)
        });
        let size = match read {
            Ok(size) => size,
            Err(e) => {
                diags
                    .push(Diagnostic::error("io", format!("cannot read {rel}: {e}")).in_file(&rel));
                return None;
            }
        };
        if bytes.len() as u64 > limit {
            diags.push(too_large(&rel, &bytes, size, limit));
            return None;
        }
        let text = match String::from_utf8(bytes) {
            // the usual case, without a copy
            Ok(text) if encoding_rs::Encoding::for_bom(text.as_bytes()).is_none() => {
                normalise(text)
            }
            Ok(text) => decode(&rel, text.as_bytes(), diags)?,
            Err(e) => decode(&rel, e.as_bytes(), diags)?,
        };
        Some(replace_nul(SourceFile::new(rel, path, text), diags))
    }

    /// Drops the text from byte `end` on (the body after the front matter, once it is parsed
    /// and checked: what later stages still point diagnostics at, aliases, is in the front
    /// matter), keeping lines and columns before it as they were. A build of 1,000 guides holds
    /// 20 MB less.
    pub fn keep_until(&mut self, end: usize) {
        let end = self.clamp(end);
        self.text.truncate(end);
        self.text.shrink_to_fit();
        self.line_starts.retain(|&s| s <= end);
        self.line_starts.shrink_to_fit();
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let col = self.text[self.line_starts[line]..offset].chars().count() + 1;
        (line + 1, col)
    }

    fn clamp(&self, mut offset: usize) -> usize {
        offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// Byte offset of the start of a 1-based line, if the file has that line.
    pub fn line_offset(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|l| self.line_starts.get(l))
            .copied()
    }

    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e - 1);
        &self.text[start..end.max(start)]
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        let (line, column) = self.line_col(range.start);
        let line_text = self.line_text(line).to_string();
        let end = self.clamp(range.end.max(range.start));
        let line_end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e - 1);
        let len = self.text
            [self.clamp(range.start)..end.min(line_end).max(self.clamp(range.start))]
            .chars()
            .count()
            .max(1);
        Span {
            file: self.rel.clone(),
            line,
            column,
            len,
            line_text,
        }
    }
}

/// `path` relative to `root`, with `/` separators, for display.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Decodes file bytes into normalised UTF-8 text.
pub fn decode(rel: &str, bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Option<String> {
    let text = if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            diags.push(invalid_bytes(rel, &bytes[bom_len..], encoding.name()));
            return None;
        }
        if encoding != encoding_rs::UTF_8 {
            diags.push(
                Diagnostic::warning(
                    "encoding",
                    format!("{rel} is saved as {}; read it as such", encoding.name()),
                )
                .in_file(rel)
                .help("save the file as UTF-8 (in Notepad or WPS: 另存为 → 编码 → UTF-8)"),
            );
        }
        text.into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let mut detector =
                    chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                detector.feed(bytes, true);
                let guess = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
                let gb = guess == encoding_rs::GBK || guess == encoding_rs::GB18030;
                let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
                if gb && !had_errors {
                    diags.push(
                        Diagnostic::warning("encoding", format!("{rel} is saved as GBK/GB18030, not UTF-8; converted it"))
                            .in_file(rel)
                            .help("save the file as UTF-8 (in Notepad or WPS: 另存为 → 编码 → UTF-8) so every tool reads it the same way"),
                    );
                    text.into_owned()
                } else {
                    diags.push(invalid_bytes(rel, bytes, "UTF-8"));
                    return None;
                }
            }
        }
    };
    Some(normalise(text))
}

/// A file over its `limit`, pointing at the line where the limit is crossed.
fn too_large(rel: &str, bytes: &[u8], size: u64, limit: u64) -> Diagnostic {
    let (line, line_start, line_end) = line_at(bytes, limit as usize);
    let mb = |n: u64| format!("{:.1} MB", n as f64 / (1024.0 * 1024.0));
    let help = if rel.ends_with(".md") {
        "a page this long cannot be followed on a phone: split the channel's steps over two \
         channel files (e.g. `web.md` and `web-2.md`, each with its own front matter and a link \
         to the other), and save images pasted into the text (`data:` URLs) as files"
    } else {
        "this is far larger than such a file ever needs to be: was something pasted into it by \
         mistake?"
    };
    let mut d = Diagnostic::error(
        "file-too-large",
        format!(
            "{rel} is {} of text; guidepost reads at most {} per file",
            mb(size.max(bytes.len() as u64)),
            mb(limit)
        ),
    )
    .help(help);
    d.span = Some(Box::new(Span {
        file: rel.to_string(),
        line,
        column: 1,
        len: 1,
        line_text: String::from_utf8_lossy(&bytes[line_start..line_end.min(line_start + CUT_LINE)])
            .into_owned(),
    }));
    d
}

/// How much of a line a diagnostic about a whole file keeps.
const CUT_LINE: usize = 400;

/// NUL bytes are not text: browsers and tools treat them differently (some cut the page there).
/// Each becomes U+FFFD, with one warning per file that points at the first.
fn replace_nul(file: SourceFile, diags: &mut Vec<Diagnostic>) -> SourceFile {
    let Some(first) = file.text.find('\0') else {
        return file;
    };
    let n = file.text.matches('\0').count();
    let SourceFile {
        rel, path, text, ..
    } = file;
    let file = SourceFile::new(rel, path, text.replace('\0', "\u{FFFD}"));
    let more = match n {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    diags.push(
        Diagnostic::warning(
            "nul-byte",
            format!("a NUL byte in the text{more}; replaced with U+FFFD"),
        )
        .at(&file, first..first + '\u{FFFD}'.len_utf8())
        .help("NUL is not text (it usually comes from a copy out of a binary file or a broken editor): delete it"),
    );
    file
}

/// The 1-based line of byte `at`, and the bytes where that line starts and ends.
fn line_at(bytes: &[u8], at: usize) -> (usize, usize, usize) {
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    (line, start, end)
}

fn invalid_bytes(rel: &str, bytes: &[u8], encoding: &str) -> Diagnostic {
    let valid_up_to = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    // show the line as far as it can be read, and point at the first bad byte
    let (line, line_start, line_end) = line_at(bytes, valid_up_to);
    let before = String::from_utf8_lossy(&bytes[line_start..valid_up_to]);
    let line_text = String::from_utf8_lossy(&bytes[line_start..line_end])
        .trim_end_matches('\r')
        .to_string();
    let mut d = Diagnostic::error(
        "invalid-encoding",
        format!("{rel} is not valid {encoding} text (first bad byte on line {line})"),
    )
    .help("save the file as UTF-8 (in Notepad or WPS: 另存为 → 编码 → UTF-8)");
    d.span = Some(Box::new(Span {
        file: rel.to_string(),
        line,
        column: before.chars().count() + 1,
        len: 1,
        line_text,
    }));
    d
}

fn normalise(mut text: String) -> String {
    // a second BOM (a file saved twice with one, or two files pasted together) would hide the
    // front matter
    if text.starts_with('\u{feff}') {
        text = text.trim_start_matches('\u{feff}').to_string();
    }
    if text.contains('\r') {
        text = text.replace("\r\n", "\n").replace('\r', "\n");
    }
    if text.contains(MARKER_CHARS) {
        text = text.replace(MARKER_CHARS, "\u{FFFD}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_lock_of_a_large_site_is_read_where_a_channel_that_size_is_not() {
        // 1,000 guides lock 2.6 MB of links: the build that wrote it must be able to read it
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.lock");
        let line = "/00773-chsi-image-code/wechat/#step-3  # 绑定学信网账号\n";
        std::fs::write(&path, line.repeat(3 * 1024 * 1024 / line.len())).unwrap();
        let mut d = vec![];
        assert!(SourceFile::read(dir.path(), &path, &mut d).is_none());
        assert_eq!(d[0].code, "file-too-large");
        let mut d = vec![];
        let f = SourceFile::read_at_most(dir.path(), &path, MAX_LOCK_FILE, &mut d).unwrap();
        assert!(d.is_empty() && f.text.starts_with("/00773"), "{d:?}");
    }

    #[test]
    fn bom_and_crlf_are_removed() {
        let mut d = vec![];
        let t = decode(
            "a.md",
            b"\xEF\xBB\xBF+++\r\ntitle = \"x\"\r\n+++\r\n",
            &mut d,
        )
        .unwrap();
        assert_eq!(t, "+++\ntitle = \"x\"\n+++\n");
        assert!(d.is_empty());
    }

    #[test]
    fn a_doubled_bom_is_removed_too() {
        // found by tests/it/fuzz.rs: a BOM left in the text hides the front matter
        let mut d = vec![];
        let t = decode("a.md", b"\xEF\xBB\xBF\xEF\xBB\xBF+++\n", &mut d).unwrap();
        assert_eq!(t, "+++\n");
        let t = decode("a.md", b"\xFF\xFE\xFF\xFE+\x00", &mut d).unwrap();
        assert_eq!(t, "+");
    }

    #[test]
    fn invalid_bytes_point_at_their_line_and_column() {
        let mut d = vec![];
        assert!(decode("a.md", b"ok\nab\xFF\xFEcd\n", &mut d).is_none());
        assert_eq!(d[0].location().unwrap(), "a.md:2:3");
        assert_eq!(
            d[0].span.as_ref().unwrap().line_text,
            "ab\u{FFFD}\u{FFFD}cd"
        );
    }

    #[test]
    fn gbk_is_converted_with_a_warning() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("标题：学信网图像采集码获取流程，请同学们按步骤操作。");
        let mut d = vec![];
        let t = decode("a.md", &bytes, &mut d).unwrap();
        assert_eq!(t, "标题：学信网图像采集码获取流程，请同学们按步骤操作。");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "encoding");
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a.md", "a.md", "第一行\n标题：x\n".into());
        let off = f.text.find('：').unwrap();
        assert_eq!(f.line_col(off), (2, 3));
        assert_eq!(f.line_text(2), "标题：x");
    }
}
