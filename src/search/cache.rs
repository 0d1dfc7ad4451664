//! The search index of earlier builds, kept in `.guidepost-cache/search/VERSION/` and reused
//! while its [`version`](super::index::version) (a hash of everything the index is made of)
//! stays the same: a build whose text did not change links the files of the index from there
//! instead of making it again. One version is kept: storing a new one removes the others.
//! When the version changed, the index is assembled from the guides' [`Part`]s, which
//! [`Parts`] keeps in `.guidepost-cache/search/parts.bin`: only the guides whose text changed
//! are tokenized again.
//!
//! A version's folder is complete or absent: its files are written into a hidden folder, with
//! the list of them last, and the folder is renamed into place. The list has each file's size,
//! modification time and a hash of its bytes: the output links these files, so one edited in
//! place there (or in the cache) is noticed, and the index made again, never published changed;
//! and a file of a new version with the bytes of the previous version's file of that name (most
//! of them, after an edit of one guide) is a hard link to it, not a new file, so the output's
//! link to it stays as it is (see `output::spare`).

use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::index::{DIR, Index, Part, Plan};
use crate::cache::Blob;

/// The cache's part for the index.
const SUB: &str = "search";
/// The list of a version's files (`NAME SIZE MTIME-NS HASH` a line), written last.
const LIST: &str = "files.txt";

/// A line of a version's list.
struct Listed {
    name: String,
    len: u64,
    time: u128,
    /// The first 32 hex digits of the BLAKE3 hash of its bytes.
    hash: String,
}

/// The list of the version in `dir`; `None` when it is missing or not a list.
fn list(dir: &Path) -> Option<Vec<Listed>> {
    let text = std::fs::read_to_string(dir.join(LIST)).ok()?;
    text.lines()
        .map(|line| {
            let mut f = line.split(' ');
            let l = Listed {
                name: f.next()?.to_string(),
                len: f.next()?.parse().ok()?,
                time: f.next()?.parse().ok()?,
                hash: f.next()?.to_string(),
            };
            (plain_name(&l.name) && f.next().is_none()).then_some(l)
        })
        .collect()
}

/// A file's size and modification time (nanoseconds since the epoch), as the list records them.
fn stamp(p: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(p).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((m.len(), t.as_nanos()))
}

/// The files of the index of `version` (paths in the output, under `search/`), from the cache
/// when an earlier build stored them, else made by `make` and stored (`write`: may the cache be
/// written?). A cache that cannot be read or written only costs the time to make the index.
pub fn index(
    root: &Path,
    version: &str,
    write: bool,
    make: impl FnOnce() -> Index,
) -> Vec<(String, Blob)> {
    let dir = root.join(crate::cache::DIR).join(SUB);
    if let Some(files) = read(&dir.join(version)) {
        return files;
    }
    let index = make();
    if write && let Some(files) = store(root, version, &index) {
        return files;
    }
    index
        .files
        .into_iter()
        .map(|(rel, bytes)| (rel, Blob::Memory(std::sync::Arc::new(bytes))))
        .collect()
}

/// A file name the index writes: `index.js`, `t-12.js`, `d-3.js` (nothing else is linked from
/// the cache, whatever its list says).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with('.')
}

fn read(dir: &Path) -> Option<Vec<(String, Blob)>> {
    list(dir)?
        .into_iter()
        .map(|l| {
            let path = dir.join(&l.name);
            (stamp(&path) == Some((l.len, l.time)))
                .then(|| (format!("{DIR}/{}", l.name), Blob::Cached(path)))
        })
        .collect()
}

fn store(root: &Path, version: &str, index: &Index) -> Option<Vec<(String, Blob)>> {
    use rayon::prelude::*;
    let dir = crate::cache::open(root, SUB)?;
    let tmp = dir.join(format!(".new-{version}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).ok()?;
    let done: PathBuf = dir.join(version);
    // the files of the versions kept, by name and hash (one version, but after a killed build)
    let mut before = std::collections::HashMap::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        if name == *version || name.to_string_lossy().starts_with('.') {
            continue;
        }
        for l in list(&e.path()).unwrap_or_default() {
            let path = e.path().join(&l.name);
            before.insert((l.name, l.hash), (path, (l.len, l.time)));
        }
    }
    let stored: Option<Vec<(String, Listed)>> = index
        .files
        .par_iter()
        .map(|(rel, bytes)| {
            let name = rel
                .strip_prefix(&format!("{DIR}/"))
                .filter(|n| plain_name(n))?;
            let hash = blake3::hash(bytes).to_hex()[..32].to_string();
            let new = tmp.join(name);
            let linked = before
                .get(&(name.to_string(), hash.clone()))
                .filter(|(path, was)| stamp(path) == Some(*was))
                .is_some_and(|(path, _)| std::fs::hard_link(path, &new).is_ok());
            if !linked {
                std::fs::write(&new, bytes).ok()?;
            }
            let (len, time) = stamp(&new)?;
            let name = name.to_string();
            Some((
                rel.clone(),
                Listed {
                    name,
                    len,
                    time,
                    hash,
                },
            ))
        })
        .collect();
    let Some(stored) = stored else {
        let _ = std::fs::remove_dir_all(&tmp);
        return None;
    };
    let mut text = String::with_capacity(stored.len() * 64);
    let mut files = Vec::with_capacity(stored.len());
    for (rel, l) in stored {
        text.push_str(&format!("{} {} {} {}\n", l.name, l.len, l.time, l.hash));
        files.push((rel, Blob::Cached(done.join(l.name))));
    }
    // a folder of this version that did not read (a file changed in place) is replaced
    if std::fs::symlink_metadata(&done).is_ok() {
        let _ = std::fs::remove_dir_all(&done);
    }
    if std::fs::write(tmp.join(LIST), text).is_err() || std::fs::rename(&tmp, &done).is_err() {
        // another build stored the same version meanwhile, or the cache is not writable
        let _ = std::fs::remove_dir_all(&tmp);
        return read(&done);
    }
    // the other versions (and folders a killed build left) are of no more use
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if e.file_name() != *version && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    Some(files)
}

/// The file of the guides' parts, in the cache's part for the index.
const PACK: &str = "parts.bin";
/// The first bytes of the pack.
const PACK_MAGIC: &[u8; 8] = b"gpparts1";

/// The guides' parts of the index kept on disk (a [`super::index::Store`]): one file,
/// `.guidepost-cache/search/parts.bin`, read whole when the index is made again and written
/// again (atomically, with exactly the parts of the new index) when a part was made: one read
/// and one write, not a file per guide. A part that does not read is made again.
pub struct Parts {
    /// The site's root, when new parts may be stored.
    root: Option<PathBuf>,
    /// The pack as read, and where each part is in it.
    old: Vec<u8>,
    at: std::collections::HashMap<String, std::ops::Range<usize>>,
    /// Parts made by this build.
    new: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl Parts {
    /// The parts of the site at `root` (`write`: may new parts be stored?).
    pub fn open(root: &Path, write: bool) -> Parts {
        let path = root.join(crate::cache::DIR).join(SUB).join(PACK);
        let old = std::fs::read(&path).unwrap_or_default();
        let at = unpack(&old).unwrap_or_default();
        Parts {
            root: write.then(|| root.to_path_buf()),
            old,
            at,
            new: Default::default(),
        }
    }

    /// Stores the parts of `plan` (and no others) when this build made one, or the pack holds
    /// others; leaves the pack as it is otherwise.
    pub fn store(self, plan: &Plan) {
        let Some(root) = self.root else { return };
        let new = self.new.into_inner().unwrap_or_else(|e| e.into_inner());
        if new.is_empty() && self.at.len() == plan.keys().count() {
            return;
        }
        let mut index = Vec::new();
        let mut data: Vec<&[u8]> = Vec::new();
        for key in plan.keys() {
            let Some(bytes) = new
                .get(key)
                .map(Vec::as_slice)
                .or_else(|| self.at.get(key).map(|r| &self.old[r.clone()]))
            else {
                return;
            };
            index.push((key, bytes.len()));
            data.push(bytes);
        }
        let mut out = Vec::with_capacity(data.iter().map(|d| d.len() + 48).sum::<usize>() + 16);
        out.extend_from_slice(PACK_MAGIC);
        out.extend_from_slice(&(index.len() as u64).to_le_bytes());
        for (key, len) in &index {
            out.extend_from_slice(&(key.len() as u64).to_le_bytes());
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&(*len as u64).to_le_bytes());
        }
        for d in data {
            out.extend_from_slice(d);
        }
        // a pack that cannot be written costs the next build the time to make the parts
        if let Some(dir) = crate::cache::open(&root, SUB) {
            let _ = crate::atomic::write(&dir.join(PACK), &out);
        }
    }
}

/// Where each part is in a pack; `None` for anything but a pack.
fn unpack(b: &[u8]) -> Option<std::collections::HashMap<String, std::ops::Range<usize>>> {
    let mut r = b.strip_prefix(PACK_MAGIC)?;
    let u64 = |r: &mut &[u8]| -> Option<usize> {
        let (v, rest) = r.split_first_chunk::<8>()?;
        *r = rest;
        usize::try_from(u64::from_le_bytes(*v)).ok()
    };
    let n = u64(&mut r)?;
    let mut index = Vec::new();
    for _ in 0..n.min(r.len() / 16) {
        let len = u64(&mut r)?;
        let key = std::str::from_utf8(r.get(..len)?).ok()?.to_string();
        r = &r[len..];
        index.push((key, u64(&mut r)?));
    }
    let mut at = b.len() - r.len();
    let mut map = std::collections::HashMap::new();
    for (key, len) in index {
        let end = at.checked_add(len).filter(|&e| e <= b.len())?;
        map.insert(key, at..end);
        at = end;
    }
    Some(map)
}

impl super::index::Store for Parts {
    fn get(&self, key: &str) -> Option<Arc<Part>> {
        let range = self.at.get(key)?;
        Part::from_bytes(&self.old[range.clone()]).map(Arc::new)
    }

    fn put(&self, key: &str, part: &Arc<Part>) {
        if self.root.is_some() {
            let mut new = self.new.lock().unwrap_or_else(|e| e.into_inner());
            new.insert(key.to_string(), part.to_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(files: &[(&str, &str)]) -> Index {
        Index {
            files: files
                .iter()
                .map(|(r, b)| (r.to_string(), b.as_bytes().to_vec()))
                .collect(),
            ..Index::default()
        }
    }

    fn bytes(files: &[(String, Blob)]) -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .map(|(r, b)| (r.clone(), b.bytes().unwrap()))
            .collect()
    }

    #[test]
    fn a_version_is_made_once_then_linked_and_a_new_one_replaces_it() {
        let root = tempfile::tempdir().unwrap();
        let one = [("search/index.js", "m1"), ("search/t-0.js", "t1")];
        let mut made = 0;
        let first = super::index(root.path(), "aaaa", true, || {
            made += 1;
            index(&one)
        });
        let again = super::index(root.path(), "aaaa", true, || {
            made += 1;
            index(&one)
        });
        assert_eq!(made, 1, "the second build reuses the stored index");
        assert!(matches!(again[0].1, Blob::Cached(_)));
        assert_eq!(bytes(&first), bytes(&again));

        let two = [("search/index.js", "m2")];
        let next = super::index(root.path(), "bbbb", true, || index(&two));
        assert_eq!(
            bytes(&next),
            [("search/index.js".to_string(), b"m2".to_vec())]
        );
        let dir = root.path().join(crate::cache::DIR).join(SUB);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["bbbb"], "older versions are removed");
    }

    #[test]
    fn nothing_is_stored_when_the_cache_may_not_be_written_and_a_bad_list_is_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let files = super::index(root.path(), "aaaa", false, || {
            index(&[("search/index.js", "m")])
        });
        assert!(matches!(files[0].1, Blob::Memory(_)));
        assert!(!root.path().join(crate::cache::DIR).exists());

        let dir = root.path().join(crate::cache::DIR).join(SUB).join("cccc");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.js"), "m").unwrap();
        let (len, time) = stamp(&dir.join("index.js")).unwrap();
        std::fs::write(
            dir.join(LIST),
            format!("index.js {len} {time} 00\n../../site.toml {len} {time} 00\n"),
        )
        .unwrap();
        let mut made = false;
        super::index(root.path(), "cccc", false, || {
            made = true;
            Index::default()
        });
        assert!(
            made,
            "a list naming a path outside the version's folder is not used"
        );
    }

    #[test]
    fn the_pack_keeps_the_parts_of_the_last_index_and_a_damaged_pack_is_made_again() {
        use crate::search::index::Store;
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (Arc::new(Part::default()), Arc::new(Part::default()));
        let plan = |keys: &[&str]| Plan::of_keys(keys);
        let parts = Parts::open(root.path(), true);
        assert!(parts.get("aa").is_none());
        parts.put("aa", &a);
        parts.put("bb", &b);
        parts.store(&plan(&["aa", "bb"]));
        let pack = root.path().join(crate::cache::DIR).join(SUB).join(PACK);
        let written = std::fs::metadata(&pack).unwrap().modified().unwrap();

        let again = Parts::open(root.path(), true);
        assert_eq!(again.get("aa").unwrap().to_bytes(), a.to_bytes());
        assert!(again.get("bb").is_some() && again.get("cc").is_none());
        // nothing made, the same parts: the pack is not written again
        again.store(&plan(&["aa", "bb"]));
        assert_eq!(
            std::fs::metadata(&pack).unwrap().modified().unwrap(),
            written
        );
        // a guide removed: its part goes
        Parts::open(root.path(), true).store(&plan(&["bb"]));
        let third = Parts::open(root.path(), true);
        assert!(third.get("aa").is_none() && third.get("bb").is_some());

        // a read-only build reads the pack and writes nothing
        let ro = Parts::open(root.path(), false);
        ro.put("cc", &a);
        ro.store(&plan(&["bb", "cc"]));
        assert!(Parts::open(root.path(), false).get("cc").is_none());

        // a damaged pack is no pack: every part is made again
        let mut bytes = std::fs::read(&pack).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&pack, &bytes).unwrap();
        assert!(Parts::open(root.path(), true).get("bb").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_new_version_links_the_files_the_previous_one_had_with_the_same_bytes() {
        use std::os::unix::fs::MetadataExt;
        let root = tempfile::tempdir().unwrap();
        let ino = |files: &[(String, Blob)], i: usize| match &files[i].1 {
            Blob::Cached(p) => std::fs::metadata(p).unwrap().ino(),
            Blob::Memory(_) => panic!("stored"),
        };
        let one = [
            ("search/index.js", "m1"),
            ("search/t-0.js", "same"),
            ("search/t-1.js", "a"),
        ];
        let first = super::index(root.path(), "aaaa", true, || index(&one));
        let (same, other) = (ino(&first, 1), ino(&first, 2));
        let two = [
            ("search/index.js", "m2"),
            ("search/t-0.js", "same"),
            ("search/t-1.js", "b"),
        ];
        let second = super::index(root.path(), "bbbb", true, || index(&two));
        assert_eq!(same, ino(&second, 1), "the same bytes: linked");
        assert_ne!(other, ino(&second, 2), "other bytes: written");
        assert_eq!(bytes(&second)[2].1, b"b");
    }

    #[test]
    fn a_stored_file_changed_in_place_makes_the_index_again() {
        let root = tempfile::tempdir().unwrap();
        let one = [("search/index.js", "m1"), ("search/t-0.js", "t1")];
        let want: Vec<(String, Vec<u8>)> = one
            .iter()
            .map(|(r, b)| (r.to_string(), b.as_bytes().to_vec()))
            .collect();
        let files = super::index(root.path(), "aaaa", true, || index(&one));
        let Blob::Cached(shard) = &files[1].1 else {
            panic!("stored in the cache")
        };
        // what an edit of the output's hard link does
        std::fs::write(shard, "tampered!").unwrap();
        let mut made = 0;
        let again = super::index(root.path(), "aaaa", true, || {
            made += 1;
            index(&one)
        });
        assert_eq!(made, 1, "the changed file is not linked");
        assert_eq!(bytes(&again), want);
        // stored anew: the next build links it
        let third = super::index(root.path(), "aaaa", true, || {
            made += 1;
            index(&one)
        });
        assert_eq!(made, 1);
        assert_eq!(bytes(&third), want);
    }
}
