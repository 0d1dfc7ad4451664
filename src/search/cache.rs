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

use super::index::{DIR, Index, Plan};
use super::part::Part;
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

/// The file of the guides' parts, in the cache's part for the index, and the file of the parts
/// made since it was written.
const PACK: &str = "parts.bin";
const DELTA: &str = "parts-new.bin";
/// The first bytes of both.
const PACK_MAGIC: &[u8; 8] = b"gpparts3";

/// Parts as a pack holds them: by key, text, numbers and the hash of both.
type Packed = std::collections::HashMap<String, (Vec<u8>, Vec<u8>, [u8; 32])>;
/// A part's key, text and numbers, to be packed.
type ToPack<'a> = (&'a str, (&'a [u8], &'a [u8]));

/// The guides' parts of the index kept on disk (a [`super::index::Store`]):
/// `.guidepost-cache/search/parts.bin`, and `parts-new.bin` beside it with the parts made since
/// (so that an edit of one guide writes a few kilobytes, not the whole pack; the pack is written
/// again when the parts made since, or the parts no more in use, reach an eighth of it). Both
/// are read whole when the index is made again, and written atomically. Each is a list of the
/// parts' keys with the sizes of their text and numbers, then each part's text and numbers
/// ([`Part::text`], [`Part::numbers`]), read into buffers of their own and checked by
/// [`Part::read`] when asked for. A part that does not read is made again.
pub struct Parts {
    /// The site's root, when new parts may be stored.
    root: Option<PathBuf>,
    /// The parts as read, pack and then new ones (taken by `get`).
    old: std::sync::Mutex<Packed>,
    /// The keys of the pack (not of the new parts' file).
    packed: std::collections::HashSet<String>,
    /// The keys of the new parts' file.
    delta: std::collections::HashSet<String>,
    /// The parts of this build (read or made), for `store`.
    parts: std::sync::Mutex<std::collections::HashMap<String, Arc<Part>>>,
    /// A part did not read: the files are written again.
    damaged: std::sync::atomic::AtomicBool,
}

impl Parts {
    /// The parts of the site at `root` (`write`: may new parts be stored?).
    pub fn open(root: &Path, write: bool) -> Parts {
        let dir = root.join(crate::cache::DIR).join(SUB);
        let mut old = unpack(&dir.join(PACK)).unwrap_or_default();
        let packed = old.keys().cloned().collect();
        let new = unpack(&dir.join(DELTA)).unwrap_or_default();
        let delta = new.keys().cloned().collect();
        old.extend(new);
        Parts {
            root: write.then(|| root.to_path_buf()),
            old: std::sync::Mutex::new(old),
            packed,
            delta,
            parts: Default::default(),
            damaged: Default::default(),
        }
    }

    /// Stores the parts of `plan`: the ones the pack lacks in the new parts' file, or all of
    /// them in the pack (and no new parts' file) when those, or the pack's parts that `plan`
    /// does not use, reach an eighth of the pack. Writes nothing when nothing changed.
    pub fn store(self, plan: &Plan) {
        let Some(root) = self.root else { return };
        let parts = self.parts.into_inner().unwrap_or_else(|e| e.into_inner());
        let old = self.old.into_inner().unwrap_or_else(|e| e.into_inner());
        let keys: std::collections::HashSet<&str> = plan.keys().collect();
        let unpacked: Vec<&str> = plan.keys().filter(|k| !self.packed.contains(*k)).collect();
        let unused = self
            .packed
            .iter()
            .filter(|k| !keys.contains(k.as_str()))
            .count();
        let repack = self.damaged.into_inner()
            || self.packed.is_empty()
            || (unpacked.len() + unused) * 8 > self.packed.len();
        // each part's text and numbers: of this build's parts, or as the files had them
        let bytes = |k: &str| match (parts.get(k), old.get(k)) {
            (Some(p), _) => Some((p.text().as_bytes(), p.numbers())),
            (None, Some((t, n, _))) => Some((t.as_slice(), n.as_slice())),
            (None, None) => None,
        };
        let Some(dir) = crate::cache::open(&root, SUB) else {
            return;
        };
        // (a file that cannot be written costs the next build the time to make the parts)
        if repack {
            if let Some(list) = plan.keys().map(|k| Some((k, bytes(k)?))).collect() {
                let _ = crate::atomic::write(&dir.join(PACK), &pack(list));
                let _ = std::fs::remove_file(dir.join(DELTA));
            }
        } else if unpacked.is_empty() {
            if !self.delta.is_empty() {
                let _ = std::fs::remove_file(dir.join(DELTA));
            }
        } else if unpacked.len() != self.delta.len()
            || unpacked.iter().any(|k| !self.delta.contains(*k))
        {
            if let Some(list) = unpacked.iter().map(|k| Some((*k, bytes(k)?))).collect() {
                let _ = crate::atomic::write(&dir.join(DELTA), &pack(list));
            }
        }
    }
}

/// The hash a pack records of a part's text and numbers: a part changed on disk (a flipped bit
/// that still reads as a part) is made again, not served.
fn part_hash(text: &[u8], numbers: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&(text.len() as u64).to_le_bytes());
    h.update(text);
    h.update(numbers);
    h.finalize().into()
}

/// The bytes of a pack of `parts` (key, text, numbers): their count, each one's key, the sizes
/// of its text and numbers and their [`part_hash`], then each one's text and numbers.
fn pack(parts: Vec<ToPack<'_>>) -> Vec<u8> {
    let size: usize = parts
        .iter()
        .map(|(k, (t, n))| k.len() + t.len() + n.len() + 56)
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(PACK_MAGIC);
    out.extend_from_slice(&(parts.len() as u64).to_le_bytes());
    for (key, (t, n)) in &parts {
        for len in [key.len(), t.len(), n.len()] {
            out.extend_from_slice(&(len as u64).to_le_bytes());
        }
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&part_hash(t, n));
    }
    for (_, (t, n)) in &parts {
        out.extend_from_slice(t);
        out.extend_from_slice(n);
    }
    out
}

/// The parts of the pack at `path`, each as its text and numbers; `None` for anything but a
/// pack.
fn unpack(path: &Path) -> Option<Packed> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = [0u8; 16];
    f.read_exact(&mut head).ok()?;
    if head[..8] != PACK_MAGIC[..] {
        return None;
    }
    let n = u64::from_le_bytes(head[8..].try_into().ok()?);
    let u64 = |f: &mut std::fs::File| -> Option<u64> {
        let mut b = [0u8; 8];
        f.read_exact(&mut b).ok()?;
        Some(u64::from_le_bytes(b))
    };
    // no size may pass what the file holds (a damaged pack allocates nothing absurd)
    let mut left = len.checked_sub(16)?;
    let mut take = |n: u64| -> Option<usize> {
        left = left.checked_sub(n)?;
        usize::try_from(n).ok()
    };
    let mut index = Vec::new();
    for _ in 0..n {
        let (k, t, m) = (u64(&mut f)?, u64(&mut f)?, u64(&mut f)?);
        take(24)?;
        let mut key = vec![0u8; take(k)?];
        f.read_exact(&mut key).ok()?;
        let mut hash = [0u8; 32];
        take(32)?;
        f.read_exact(&mut hash).ok()?;
        index.push((String::from_utf8(key).ok()?, t, m, hash));
    }
    let mut parts = std::collections::HashMap::with_capacity(index.len());
    for (key, t, m, hash) in index {
        let mut text = vec![0u8; take(t)?];
        f.read_exact(&mut text).ok()?;
        let mut numbers = vec![0u8; take(m)?];
        f.read_exact(&mut numbers).ok()?;
        parts.insert(key, (text, numbers, hash));
    }
    Some(parts)
}

impl super::index::Store for Parts {
    fn get(&self, key: &str) -> Option<Arc<Part>> {
        let taken = (self.old.lock().unwrap_or_else(|e| e.into_inner())).remove(key);
        let (text, numbers, hash) = taken?;
        let read = (part_hash(&text, &numbers) == hash)
            .then(|| Part::read(text, numbers))
            .flatten();
        let Some(part) = read.map(Arc::new) else {
            self.damaged
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return None;
        };
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.insert(key.to_string(), part.clone());
        Some(part)
    }

    fn put(&self, key: &str, part: &Arc<Part>) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.insert(key.to_string(), part.clone());
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
        let dir = root.path().join(crate::cache::DIR).join(SUB);
        let keys: Vec<String> = (0..20).map(|i| format!("{i:02}")).collect();
        let plan =
            |keys: &[String]| Plan::of_keys(&keys.iter().map(String::as_str).collect::<Vec<_>>());
        let a = Arc::new(Part::empty());
        let parts = Parts::open(root.path(), true);
        assert!(parts.get("00").is_none());
        for k in &keys {
            parts.put(k, &a);
        }
        parts.store(&plan(&keys));
        assert!(dir.join(PACK).is_file() && !dir.join(DELTA).exists());
        let written = std::fs::metadata(dir.join(PACK))
            .unwrap()
            .modified()
            .unwrap();
        let read_all = |keys: &[String]| {
            let p = Parts::open(root.path(), true);
            let all = keys
                .iter()
                .all(|k| p.get(k).is_some_and(|x| x.numbers() == a.numbers()));
            (p, all)
        };

        // nothing made, the same parts: nothing written
        let (again, all) = read_all(&keys);
        assert!(all);
        again.store(&plan(&keys));
        assert_eq!(
            std::fs::metadata(dir.join(PACK))
                .unwrap()
                .modified()
                .unwrap(),
            written
        );
        // a part made (an edit): it goes into the new parts' file, the pack stays
        let mut edited = keys.clone();
        edited[3] = "e3".into();
        let (p, _) = read_all(&keys);
        p.put("e3", &a);
        p.store(&plan(&edited));
        assert_eq!(
            std::fs::metadata(dir.join(PACK))
                .unwrap()
                .modified()
                .unwrap(),
            written
        );
        assert!(dir.join(DELTA).is_file());
        let (p, all) = read_all(&edited);
        assert!(all, "the new part is read from the new parts' file");
        p.store(&plan(&edited));
        // three more: past an eighth of the pack, which is written again, with no new parts' file
        let mut more = edited.clone();
        for (i, k) in more.iter_mut().enumerate().take(7).skip(4) {
            *k = format!("e{i}");
        }
        let (p, _) = read_all(&edited);
        for k in &more[4..7] {
            p.put(k, &a);
        }
        p.store(&plan(&more));
        assert!(!dir.join(DELTA).exists());
        let (p, all) = read_all(&more);
        assert!(
            all && p.get("03").is_none(),
            "the pack holds the parts in use only"
        );

        // a read-only build reads the files and writes nothing
        let ro = Parts::open(root.path(), false);
        ro.put("zz", &a);
        let mut with_zz = more.clone();
        with_zz.push("zz".into());
        ro.store(&plan(&with_zz));
        assert!(Parts::open(root.path(), false).get("zz").is_none());

        // a damaged pack is no pack: every part is made again
        let mut bytes = std::fs::read(dir.join(PACK)).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(dir.join(PACK), &bytes).unwrap();
        assert!(Parts::open(root.path(), true).get("00").is_none());
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
