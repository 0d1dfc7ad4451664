//! The links lock: `links.lock` in the site root lists every link the site has published, so that
//! no build silently breaks one.
//!
//! An *entry* is one line: a link path (`/GUIDE/CHANNEL/`) or a path with a step anchor
//! (`/GUIDE/CHANNEL/#step-2`), then optionally `# ` and the title it had, for people reading
//! diffs and for telling a moved step from an edited one. Paths are from the site root, so
//! changing `base_url` changes nothing here. The file is meant to be committed with the content.
//!
//! [`check`] compares the lock with the links a build would publish: an entry is *kept* if its
//! page (or an alias of that address) is built and its anchor exists there and still opens the
//! same step. Anything else fails the build, unless `--accept-removed` drops it on purpose. The
//! new lock is the kept entries plus every published (non-draft) link; it is written after the
//! output, atomically, and only when its text changed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::content::source::{MAX_LOCK_FILE, SourceFile};
use crate::diagnostic::Diagnostic;
use crate::links::{Links, PageLink, encode};

pub const FILE: &str = "links.lock";

const HEADER: &str = "\
# links.lock: every address this site has published, so that none of them breaks.
# guidepost updates this file on every successful build: commit it together with the content.
# A build that would drop a line fails. Keep an old address with `aliases = [\"/old-path/\"]` in
# the front matter of the page that replaces it, keep a step link with `{#id}` at the end of the
# step's heading, or drop it on purpose with `guidepost build --accept-removed`.
# Paths are from the site root (base_url is not part of them); after `# ` is the title.
";

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub title: Option<String>,
    /// 1-based line in the lock.
    pub line: usize,
    /// Byte offset of the line.
    pub offset: usize,
}

/// Parses the text of a lock; malformed lines are reported and skipped.
pub fn parse(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut offset = 0;
    for (i, raw) in file.text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let end = at + raw.trim_end().len();
        if ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
            .iter()
            .any(|m| line.starts_with(m))
        {
            diags.push(
                Diagnostic::error("lock-conflict", format!("{FILE} has a merge conflict marker"))
                    .at(file, at..end)
                    .help("keep the lines of both sides and delete the marker lines: every line is one published address, and the next build sorts the file again"),
            );
            continue;
        }
        let (key, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(k, r)| (k, r.trim()));
        if !key.starts_with('/') {
            diags.push(
                Diagnostic::error(
                    "invalid-lock-line",
                    format!("`{key}` in {FILE} is not a path from the site root"),
                )
                .at(file, at..end)
                .help("each line is a path such as `/guide/channel/` or `/guide/channel/#step-2`; fix or delete the line"),
            );
            continue;
        }
        let title = rest
            .strip_prefix('#')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        entries.push(Entry {
            key: key.to_string(),
            title,
            line: i + 1,
            offset: at,
        });
    }
    entries
}

/// The lock's text for `entries` (key → title), sorted.
pub fn format<K: AsRef<str>, T: AsRef<str>>(entries: &BTreeMap<K, T>) -> String {
    let mut s = String::from(HEADER);
    for (key, title) in entries {
        let (key, title) = (key.as_ref(), title.as_ref());
        s.push_str(key);
        if !title.is_empty() {
            s.push_str("  # ");
            s.push_str(&title.replace(['\n', '\r'], " "));
        }
        s.push('\n');
    }
    s
}

/// Every link a build publishes (drafts are not), key → title: borrowed from `links` where it
/// can be (at 5,000 guides the lock has 170,000 lines).
pub fn published<'l>(links: &'l Links) -> BTreeMap<Cow<'l, str>, Cow<'l, str>> {
    let mut m = BTreeMap::new();
    for p in links.pages.iter().filter(|p| p.published) {
        m.insert(
            Cow::Borrowed(p.path.as_str()),
            Cow::Borrowed(p.title.as_str()),
        );
        for a in &p.anchors {
            m.insert(
                Cow::Owned(format!("{}{}", p.path, a.fragment())),
                Cow::Borrowed(a.title.as_str()),
            );
        }
    }
    for a in &links.aliases {
        let t = &links.pages[a.target];
        if t.published {
            m.insert(
                Cow::Borrowed(a.path.as_str()),
                Cow::Owned(format!("→ {}", t.path)),
            );
        }
    }
    m
}

/// What [`check`] decided.
#[derive(Debug)]
pub struct Checked {
    /// The lock's new text, when it differs from the file.
    pub write: Option<String>,
    /// Published links the file does not record yet, sorted.
    pub added: Vec<String>,
}

impl Checked {
    /// For `guidepost build --locked` (CI): the error when the committed lock lacks links this
    /// build publishes, or would otherwise change.
    pub fn outdated(&self) -> Option<Diagnostic> {
        self.write.as_ref()?;
        let what = match self.added.as_slice() {
            [] => "is not up to date (titles or order changed)".to_string(),
            [one] => format!("does not record `{one}`"),
            [first, rest @ ..] => format!(
                "does not record `{first}` and {} more address{}",
                rest.len(),
                if rest.len() == 1 { "" } else { "es" }
            ),
        };
        Some(
            Diagnostic::error("lock-outdated", format!("{FILE} {what} (--locked)"))
                .in_file(FILE)
                .help(format!(
                    "run `guidepost build` without --locked and commit {FILE} with the content"
                )),
        )
    }
}

/// Equal but for white space.
fn same_title(a: &str, b: &str) -> bool {
    fn chars(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars().filter(|c| !c.is_whitespace())
    }
    a == b || chars(a).eq(chars(b))
}

enum Problem<'l> {
    /// The page at the path is gone.
    Page(Option<&'l PageLink<'l>>),
    /// The page is there, the anchor is not; maybe the step is elsewhere.
    Anchor(Option<usize>),
    /// The anchor opens another step; the recorded one is at the given anchor.
    Moved(usize, usize),
}

/// The lock file as read: its entries, and the problems of reading it.
#[derive(Debug, Default)]
pub struct Recorded {
    file: Option<SourceFile>,
    entries: Vec<Entry>,
    /// Problems of reading and parsing the file, reported by every comparison.
    problems: Vec<Diagnostic>,
    /// The file exists but could not be read: there is nothing to compare and nothing to write.
    unreadable: bool,
    /// Size and modification time when read (see [`Recorded::is_current`]).
    stamp: Option<(u64, std::time::SystemTime)>,
}

fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

impl Recorded {
    /// Reads and parses the lock of the site at `root` (none: no entries).
    pub fn read(root: &Path) -> Recorded {
        let path = root.join(FILE);
        if !path.exists() {
            return Recorded::default();
        }
        let stamp = stamp(&path);
        let mut problems = Vec::new();
        match SourceFile::read_at_most(root, &path, MAX_LOCK_FILE, &mut problems) {
            Some(f) => Recorded {
                entries: parse(&f, &mut problems),
                file: Some(f),
                problems,
                unreadable: false,
                stamp,
            },
            None => Recorded {
                problems,
                unreadable: true,
                stamp,
                ..Recorded::default()
            },
        }
    }

    /// Is the file still as it was read (same size and time, or still absent)? The preview reads
    /// it again only when not.
    pub fn is_current(&self, root: &Path) -> bool {
        stamp(&root.join(FILE)) == self.stamp
    }
}

/// Compares the lock of the site at `root` with `links`. Problems go into `diags` (errors unless
/// `accept_removed`, then warnings naming what is dropped).
pub fn check(
    root: &Path,
    links: &Links,
    accept_removed: bool,
    diags: &mut Vec<Diagnostic>,
) -> Checked {
    compare(
        root,
        &Recorded::read(root),
        links,
        accept_removed,
        true,
        diags,
    )
}

/// [`check`] against a lock read before; without `update`, the lock's new text is not made (a
/// preview writes nothing, and at 1,000 guides making it costs more than comparing).
pub fn compare(
    root: &Path,
    recorded: &Recorded,
    links: &Links,
    accept_removed: bool,
    update: bool,
    diags: &mut Vec<Diagnostic>,
) -> Checked {
    let path = root.join(FILE);
    diags.extend(recorded.problems.iter().cloned());
    if recorded.unreadable {
        return Checked {
            write: None,
            added: Vec::new(),
        };
    }
    let file = &recorded.file;
    let entries = &recorded.entries;
    let keys: HashSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();

    let mut next = if update {
        published(links)
    } else {
        BTreeMap::new()
    };
    let mut problems: Vec<(&Entry, Problem)> = Vec::new();
    for e in entries {
        let (p, frag) = match e.key.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (e.key.as_str(), None),
        };
        let Some(page) = links.resolve(p) else {
            // a missing page is reported once, on its own line when the lock has one
            if frag.is_none() || !keys.contains(p) {
                let guess = e.title.as_deref().and_then(|t| {
                    links
                        .pages
                        .iter()
                        .find(|q| frag.is_none() && same_title(&q.title, t))
                });
                problems.push((e, Problem::Page(guess)));
            }
            continue;
        };
        let Some(frag) = frag else {
            if update {
                next.entry(Cow::Borrowed(e.key.as_str()))
                    .or_insert(Cow::Borrowed(page.title.as_str()));
            }
            continue;
        };
        // ids compared decoded: no fragment is encoded per anchor and entry (34,000 entries of
        // a 1,000-guide site, each against every anchor of its page)
        let want = decode(frag);
        let found = page.anchors.iter().position(|a| a.id == want);
        let title_kept = |i: usize| {
            e.title
                .as_deref()
                .is_none_or(|t| same_title(&page.anchors[i].title, t))
        };
        // where a step of the recorded title is now: looked for only when the anchor is gone or
        // names another step
        let elsewhere = match found {
            Some(i) if title_kept(i) => None,
            _ => e.title.as_deref().and_then(|t| {
                page.anchors
                    .iter()
                    .position(|a| same_title(&a.title, t) && a.id != want)
            }),
        };
        match (found, elsewhere) {
            (Some(i), Some(j))
                if !same_title(
                    &page.anchors[i].title,
                    e.title.as_deref().unwrap_or_default(),
                ) =>
            {
                problems.push((e, Problem::Moved(i, j)));
            }
            (Some(i), _) => {
                if update {
                    next.entry(Cow::Borrowed(e.key.as_str()))
                        .or_insert(Cow::Borrowed(page.anchors[i].title.as_str()));
                }
            }
            (None, j) => problems.push((e, Problem::Anchor(j))),
        }
    }

    // one problem, one report: a step link of a guide page (`/g/#web-step-3`) fails with the
    // channel page's (`/g/web/#step-3`), all of them with the channel page (`/g/web/`), a
    // channel page with its guide page (`/g/`), and an old address with the page it led to
    let mut follows: HashSet<String> = HashSet::new();
    let mut follow_prefixes: Vec<String> = Vec::new();
    let mut gone_pages: Vec<&str> = Vec::new();
    for (e, problem) in &problems {
        let (p, f) = e
            .key
            .split_once('#')
            .map_or((e.key.as_str(), None), |(p, f)| (p, Some(f)));
        if f.is_none() && matches!(problem, Problem::Page(_)) && p.ends_with('/') {
            gone_pages.push(p);
        }
        let Some((g, c)) = p.trim_end_matches('/').rsplit_once('/') else {
            continue;
        };
        if g.is_empty() {
            continue;
        }
        match f {
            Some(f) => {
                follows.insert(format!("{g}/#{c}-{f}"));
                // and under the channel's old ids on the guide page
                if let Some(page) = links.resolve(p).filter(|q| q.channel.is_some()) {
                    let guide = links
                        .pages
                        .iter()
                        .find(|q| q.channel.is_none() && q.guide == page.guide);
                    for a in guide.iter().flat_map(|q| &q.anchors) {
                        if Some(a.source) == page.source {
                            if let Some(prefix) = a.id.strip_suffix(a.step_anchor) {
                                follows.insert(format!("{g}/#{}{f}", encode(prefix)));
                            }
                        }
                    }
                }
            }
            None if matches!(problem, Problem::Page(_)) => {
                follow_prefixes.push(format!("{g}/#{c}-"));
            }
            None => {}
        }
    }
    let under_gone = |key: &str| gone_pages.iter().any(|g| key != *g && key.starts_with(g));
    let follows_another = |e: &Entry| {
        follows.contains(&e.key)
            || follow_prefixes
                .iter()
                .any(|p| e.key.starts_with(p.as_str()))
            || under_gone(&e.key)
            || e.title
                .as_deref()
                .and_then(|t| t.strip_prefix("→ "))
                .is_some_and(|t| gone_pages.contains(&t) || under_gone(t))
    };
    for (e, problem) in &problems {
        if follows_another(e) {
            continue;
        }
        let d = describe(root, e, problem, links, entries);
        let d = if accept_removed {
            let mut d = d.recode("link-dropped");
            d.message = format!("dropped from {FILE} (--accept-removed): {}", d.message);
            d.help = None;
            d
        } else {
            d
        };
        diags.push(match file {
            Some(f) => d.at(f, e.offset..e.offset + e.key.len()),
            None => d,
        });
    }
    if accept_removed {
        // moved steps keep their link under the new title
        for (e, problem) in &problems {
            if let Problem::Moved(i, _) = problem {
                let (p, _) = e.key.split_once('#').unwrap_or((&e.key, ""));
                if let Some(page) = links.resolve(p) {
                    next.insert(
                        Cow::Borrowed(e.key.as_str()),
                        Cow::Borrowed(page.anchors[*i].title.as_str()),
                    );
                }
            }
        }
    }
    if !update {
        return Checked {
            write: None,
            added: Vec::new(),
        };
    }
    let added = next
        .keys()
        .filter(|k| !keys.contains(k.as_ref()))
        .map(|k| k.to_string())
        .collect();
    let text = format(&next);
    let current = std::fs::read_to_string(&path).ok();
    Checked {
        write: (current.as_deref() != Some(text.as_str())).then_some(text),
        added,
    }
}

fn titled(key: &str, title: Option<&str>) -> String {
    match title {
        Some(t) => format!("`{key}` (“{t}”)"),
        None => format!("`{key}`"),
    }
}

const DROP: &str = "to drop it on purpose, run `guidepost build --accept-removed`";

/// The front matter line that keeps the old address `path`, in the syntax of the file.
fn aliases_line(path: &str, yaml: bool) -> String {
    if yaml {
        format!("aliases: [\"{path}\"]")
    } else {
        format!("aliases = [\"{path}\"]")
    }
}

/// Whether the file at `path` starts with YAML front matter (`---`), BOM or not.
fn yaml_front_matter(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 7];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut start))
        .unwrap_or(0);
    let start = &start[..n];
    start
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(start)
        .starts_with(b"---")
}

fn describe(
    root: &Path,
    e: &Entry,
    problem: &Problem,
    links: &Links,
    entries: &[Entry],
) -> Diagnostic {
    let page_of = |e: &Entry| {
        let p = e.key.split_once('#').map_or(e.key.as_str(), |(p, _)| p);
        links.resolve(p)
    };
    match problem {
        Problem::Page(guess) => {
            let noun = if e.key.contains('#') {
                "step link"
            } else {
                "address"
            };
            let p = e.key.split_once('#').map_or(e.key.as_str(), |(p, _)| p);
            let to = match guess.and_then(|g| g.source) {
                Some(src) => format!(
                    "“{}” is now at `{}`: add `{}` to the front matter of {src}",
                    guess.map(|g| g.title.as_str()).unwrap_or_default(),
                    guess.map(|g| g.path.as_str()).unwrap_or_default(),
                    aliases_line(p, yaml_front_matter(&root.join(src)))
                ),
                None => format!(
                    "if the page moved, add `{}` (in YAML front matter `{}`) to the front matter of the page that replaces it (a guide's `_index.md` or a channel's file)",
                    aliases_line(p, false),
                    aliases_line(p, true)
                ),
            };
            Diagnostic::error(
                "link-removed",
                format!(
                    "the published {noun} {} would no longer exist",
                    titled(&e.key, e.title.as_deref())
                ),
            )
            .help(format!("{to}; {DROP}"))
        }
        Problem::Anchor(elsewhere) => {
            let page = page_of(e).expect("anchor problems have a page");
            let old = e.key.split_once('#').map_or("", |(_, f)| f);
            let help = match elsewhere.map(|j| &page.anchors[j]) {
                Some(a) => format!(
                    "the step is now `#{}` ({}:{}): end its heading with `{{#{}}}` to keep the old link; {DROP}",
                    a.id,
                    a.source,
                    a.line,
                    step_anchor(old, a)
                ),
                None => {
                    // on a guide page the id starts with the channel's id, which `{#id}` does
                    // not set
                    let old = decode(old);
                    let id = page
                        .anchors
                        .iter()
                        .filter_map(|a| a.id.strip_suffix(a.step_anchor))
                        .filter(|p| !p.is_empty())
                        .find_map(|p| old.strip_prefix(p))
                        .unwrap_or(&old);
                    format!(
                        "if the step moved, end its new heading with `{{#{id}}}` so the old link finds it; {DROP}"
                    )
                }
            };
            Diagnostic::error(
                "link-removed",
                format!(
                    "the published step link {} would no longer exist",
                    titled(&e.key, e.title.as_deref())
                ),
            )
            .help(help)
        }
        Problem::Moved(now, was) => {
            let page = page_of(e).expect("moved steps have a page");
            let (now, was) = (&page.anchors[*now], &page.anchors[*was]);
            let (path, old) = e.key.split_once('#').unwrap_or((&e.key, ""));
            // when several steps moved, the step now at the old anchor may have its own
            // recorded anchor to go back to; only a new step needs a new id
            let recorded = entries.iter().any(|o| {
                o.key.starts_with(path)
                    && o.key.len() > path.len()
                    && o.key.as_bytes()[path.len()] == b'#'
                    && o.title
                        .as_deref()
                        .is_some_and(|t| same_title(t, &now.title))
            });
            let new_id = if recorded {
                String::new()
            } else {
                format!(
                    ", and give “{}” ({}:{}) an id of its own, such as `{{#step-new}}`",
                    now.title, now.source, now.line
                )
            };
            Diagnostic::error(
                "link-moved",
                format!(
                    "the published step link `{}` would open “{}” instead of “{}”",
                    e.key,
                    now.title,
                    e.title.as_deref().unwrap_or_default()
                ),
            )
            .help(format!(
                "“{}” is now `#{}`: end its heading ({}:{}) with `{{#{}}}`{new_id}; {DROP}",
                was.title,
                was.id,
                was.source,
                was.line,
                step_anchor(old, was),
            ))
        }
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The `{#id}` that gives the step `a` the old element id `old` (on a guide page the channel's
/// prefix is not part of it).
fn step_anchor(old: &str, a: &crate::links::AnchorLink) -> String {
    let old = decode(old);
    let prefix = a.id.strip_suffix(a.step_anchor).unwrap_or("");
    old.strip_prefix(prefix).unwrap_or(&old).to_string()
}

/// Writes the lock atomically ([`crate::atomic`]).
pub fn write(root: &Path, text: &str) -> std::io::Result<()> {
    crate::atomic::write(&root.join(FILE), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_titles_and_reports_bad_lines() {
        let f = SourceFile::new(
            "links.lock",
            "links.lock",
            "# header\n/g/  # 指南\n/g/web/#step-1  # 登录\n\ng/x/\n<<<<<<< HEAD\n".into(),
        );
        let mut d = Vec::new();
        let e = parse(&f, &mut d);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].key, "/g/");
        assert_eq!(e[0].title.as_deref(), Some("指南"));
        assert_eq!(e[1].key, "/g/web/#step-1");
        assert_eq!(e[1].line, 3);
        let codes: Vec<_> = d.iter().map(|d| (d.code, d.location().unwrap())).collect();
        assert_eq!(
            codes,
            [
                ("invalid-lock-line", "links.lock:5:1".to_string()),
                ("lock-conflict", "links.lock:6:1".to_string())
            ]
        );
    }

    #[test]
    fn format_round_trips() {
        let mut m = BTreeMap::new();
        m.insert("/b/".to_string(), "乙".to_string());
        m.insert("/a/#step-1".to_string(), "甲 一".to_string());
        let text = format(&m);
        assert!(text.ends_with("/a/#step-1  # 甲 一\n/b/  # 乙\n"), "{text}");
        let f = SourceFile::new("links.lock", "links.lock", text);
        let mut d = Vec::new();
        let e = parse(&f, &mut d);
        assert!(d.is_empty());
        assert_eq!(e[0].title.as_deref(), Some("甲 一"));
    }
}
