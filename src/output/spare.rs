//! The *spare*: the output of the build before last, kept in the staging folder, which the next
//! build brings up to date instead of writing every file again.
//!
//! After a swap, the staging folder holds the output that was replaced. It is kept (on Unix),
//! and the next build starts from it: a file already right is left as it is, a wrong one is
//! replaced, one the new output lacks is deleted. What makes a file right:
//!
//! - a file linked from guidepost's cache (a screenshot, a QR code, the search index) is right
//!   when it is that very file (same device and inode): nothing else has its inode;
//! - a rendered page is right when the *manifest* of the spare's generation recorded it with the
//!   page's [`PageKey`] (a hash of everything it is rendered from) and the file is still as the
//!   manifest recorded it (size, modification time, inode): a file edited, replaced or added by
//!   anyone since is not;
//! - anything else (copied files, files made in memory) is written again.
//!
//! The manifest of an output folder is kept in the site's cache (`.guidepost-cache/output/`,
//! the live output's and the spare's only), named after the folder's stamp file as `stat` sees
//! it (device, inode, time): every build writes its stamp anew, so the name changes with every
//! generation of the folder while the published files (the stamp's text included) stay exactly
//! what a clean build writes. A spare whose
//! manifest is lost, or a build killed while it updated the spare, only costs work: every file
//! that does not match is made again. Nothing here is trusted that a look at the file cannot
//! confirm.

#![cfg_attr(not(unix), allow(dead_code))]

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::render::key::PageKey;

fn hex(k: &PageKey) -> String {
    k.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse(s: &str) -> Option<PageKey> {
    let mut k = [0u8; 16];
    if s.len() != 32 {
        return None;
    }
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(PageKey(k))
}

/// A file as `stat` sees it: enough to tell that it was not changed or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub mtime_ns: i128,
    /// Hard links: a file with more than one is never written in place.
    pub nlink: u64,
}

impl Stat {
    #[cfg(not(unix))]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        // (never used to keep a file: no spare is kept off Unix)
        Stat {
            dev: 0,
            ino: 0,
            len: m.len(),
            mtime_ns: 0,
            nlink: 1,
        }
    }

    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            nlink: m.nlink(),
        }
    }

    /// The same file, unchanged since `self` was taken (the link count aside).
    fn same(&self, other: &Stat) -> bool {
        (self.dev, self.ino, self.len, self.mtime_ns)
            == (other.dev, other.ino, other.len, other.mtime_ns)
    }
}

/// The spare as the build found it.
#[derive(Debug, Default)]
pub struct Spare {
    /// The device of the spare (the walk does not leave it).
    pub dev: u64,
    /// Every file (but the stamp), by its `/`-separated path in the output, with its inode (as
    /// the folder lists it: nothing is opened or `stat`ed but the pages of the manifest).
    pub files: HashMap<String, u64>,
    /// Every folder.
    pub dirs: HashSet<String>,
    /// The pages its manifest recorded that are still as recorded, with their keys and stats.
    pub pages: HashMap<String, (PageKey, Stat)>,
}

/// The name of the manifest of the output folder `dir`: its stamp file as `stat` sees it.
#[cfg(unix)]
pub fn generation(dir: &Path) -> Option<String> {
    let m = std::fs::symlink_metadata(dir.join(super::STAMP)).ok()?;
    let s = Stat::of(&m);
    Some(format!("{}-{}-{}", s.dev, s.ino, s.mtime_ns))
}

#[cfg(not(unix))]
pub fn generation(_dir: &Path) -> Option<String> {
    None
}

/// A manifest's name: digits and dashes (it names a file of the cache).
fn plain(id: &str) -> bool {
    !id.is_empty() && id.len() <= 80 && id.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

impl Spare {
    /// No spare is kept off Unix (no inodes to tell a file by).
    #[cfg(not(unix))]
    pub fn read(_dir: &Path, _manifests: &Path) -> io::Result<Spare> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Reads the spare in `dir`, with the manifest of its generation from `manifests`.
    #[cfg(unix)]
    pub fn read(dir: &Path, manifests: &Path) -> io::Result<Spare> {
        use rayon::prelude::*;
        use std::os::unix::fs::{DirEntryExt as _, MetadataExt};
        use walkdir::DirEntryExt as _;
        let mut spare = Spare {
            dev: std::fs::symlink_metadata(dir)?.dev(),
            ..Spare::default()
        };
        // the top level, then its folders side by side (a site is a folder per guide)
        let mut tops = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let name = e.file_name().into_string().map_err(|_| not_unicode())?;
            if e.file_type()?.is_dir() {
                spare.dirs.insert(name.clone());
                tops.push(name);
            } else if name != super::STAMP {
                spare.files.insert(name, e.ino());
            }
        }
        type Found = (Vec<(String, u64)>, Vec<String>);
        let found: Vec<Found> = tops
            .par_iter()
            .map(|top| {
                let (mut files, mut dirs) = (Vec::new(), Vec::new());
                let base = dir.join(top);
                for e in walkdir::WalkDir::new(&base)
                    .min_depth(1)
                    .same_file_system(true)
                {
                    let e = e.map_err(io::Error::other)?;
                    let rel = e.path().strip_prefix(&base).unwrap_or(e.path());
                    let rel = format!("{top}/{}", rel.to_str().ok_or_else(not_unicode)?);
                    if e.file_type().is_dir() {
                        dirs.push(rel);
                    } else {
                        files.push((rel, e.ino()));
                    }
                }
                Ok((files, dirs))
            })
            .collect::<io::Result<_>>()?;
        for (files, dirs) in found {
            spare.files.extend(files);
            spare.dirs.extend(dirs);
        }
        if let Some(id) = generation(dir) {
            let recorded: Manifest = read_manifest(&manifests.join(&id))
                .into_iter()
                .filter(|(rel, (_, s))| spare.files.get(rel) == Some(&s.ino))
                .collect();
            spare.pages = recorded
                .into_par_iter()
                .filter_map(|(rel, (key, was))| {
                    let now = Stat::of(&std::fs::symlink_metadata(dir.join(&rel)).ok()?);
                    now.same(&was).then_some((rel, (key, now)))
                })
                .collect();
        }
        Ok(spare)
    }
}

/// A name the spare cannot hold on to (its files are known by `/`-separated UTF-8 paths): such
/// a spare is not used, and is deleted.
fn not_unicode() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a file name that is not valid Unicode",
    )
}

/// A manifest: one line a page, `KEY DEV INO LEN MTIME PATH`.
pub type Manifest = Vec<(String, (PageKey, Stat))>;

fn read_manifest(path: &Path) -> Manifest {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut f = line.splitn(6, ' ');
            let key = parse(f.next()?)?;
            let stat = Stat {
                dev: f.next()?.parse().ok()?,
                ino: f.next()?.parse().ok()?,
                len: f.next()?.parse().ok()?,
                mtime_ns: f.next()?.parse().ok()?,
                nlink: 1,
            };
            Some((f.next()?.to_string(), (key, stat)))
        })
        .collect()
}

/// Writes the manifest of `generation` into `manifests`, and removes every other manifest but
/// `keep`'s (the spare's, after the swap).
pub fn write_manifest(
    manifests: &Path,
    generation: &str,
    pages: &Manifest,
    keep: Option<&str>,
) -> io::Result<()> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(manifests)?;
    let mut text = String::with_capacity(pages.len() * 100);
    for (rel, (key, s)) in pages {
        let _ = writeln!(
            text,
            "{} {} {} {} {} {rel}",
            hex(key),
            s.dev,
            s.ino,
            s.len,
            s.mtime_ns
        );
    }
    crate::atomic::write(&manifests.join(generation), text.as_bytes())?;
    for e in std::fs::read_dir(manifests)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if plain(&name) && name != generation && Some(name.as_str()) != keep {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Ok(())
}

/// The folder of the manifests of the site at `root` built into `output` (one per output
/// folder: two outputs of one site keep their manifests apart).
pub fn manifests(root: &Path, output: &Path) -> PathBuf {
    let id = blake3::hash(output.to_string_lossy().as_bytes()).to_hex();
    root.join(crate::cache::DIR).join("output").join(&id[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_manifests_read_back() {
        let k = PageKey([7; 16]);
        assert_eq!(parse(&hex(&k)), Some(k));
        assert_eq!(parse("xyz"), None);
        let t = tempfile::tempdir().unwrap();
        let stat = Stat {
            dev: 1,
            ino: 2,
            len: 3,
            mtime_ns: 4,
            nlink: 1,
        };
        let pages = vec![("a b/index.html".to_string(), (k, stat))];
        write_manifest(t.path(), "1-2-3", &pages, None).unwrap();
        assert_eq!(read_manifest(&t.path().join("1-2-3")), pages);
        // a newer one replaces it, unless kept
        write_manifest(t.path(), "1-2-4", &pages, Some("1-2-3")).unwrap();
        write_manifest(t.path(), "1-2-5", &pages, Some("1-2-4")).unwrap();
        let mut left: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["1-2-4", "1-2-5"]);
    }
}
