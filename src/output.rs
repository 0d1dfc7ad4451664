//! Output: the only stage that writes, and it writes atomically.
//!
//! A build renders into a *staging* folder beside the output (`.public.staging`) and, only when
//! every page was written, swaps it in (atomically on Linux, see [`Staging::commit`]). A failed
//! or killed build leaves the previous output as it was; leftovers of a killed build are cleaned
//! up (or, if a two-rename swap was cut short, the previous output is put back) by the next one.
//! On Unix the replaced output stays in the staging folder as the [`spare`], which the next
//! build brings up to date rather than writing every file again.
//! Two builds of the same output at the same moment take turns (on Linux, a lock on the output's
//! parent folder). Nothing is flushed to disk (`fsync`): the guarantees hold against a killed
//! process, not against a power cut. Nothing outside the output folder
//! is ever deleted, and folders that are not guidepost output are refused.

pub mod owners;
pub mod pdf;
pub mod spare;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::render::key::PageKey;

/// The file guidepost leaves in every output folder, so it knows the folder is its own.
pub const STAMP: &str = ".guidepost";

#[derive(Debug)]
pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    /// An exclusive lock on the output's parent folder, held until the swap is done (released
    /// when dropped, or by the kernel when the process dies): two builds of the same output
    /// (`serve` and a `build` in another terminal) take turns instead of mixing their files.
    _lock: Option<std::fs::File>,
    /// What the staging folder held when the build began (empty when it was made afresh).
    spare: spare::Spare,
    /// The staging folder was made afresh by this build (a failed build deletes it).
    fresh: bool,
    /// Where the generations' manifests are kept; `None`: no spare is kept or used.
    manifests: Option<PathBuf>,
    /// The paths of the new output, written or kept.
    produced: Mutex<HashSet<String>>,
    /// The rendered pages of the new output with their keys: the new generation's manifest.
    pages: Mutex<spare::Manifest>,
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    target.with_file_name(format!(".{name}.{suffix}"))
}

/// The first line of the stamp file: how guidepost recognises a folder as its own.
const STAMP_TEXT: &str = "This folder was written by guidepost; it replaces it on every build.\n";

/// Whether `dir` carries guidepost's stamp file (a regular file, not a link, with our text).
fn stamped(dir: &Path) -> bool {
    let stamp = dir.join(STAMP);
    std::fs::symlink_metadata(&stamp).is_ok_and(|m| m.is_file())
        && std::fs::read(&stamp).is_ok_and(|b| b.starts_with(STAMP_TEXT.as_bytes()))
}

/// Whether `dir` is a folder with nothing in it.
fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

/// `path` as the kernel will resolve it once the missing folders are created: absolute, every
/// existing component's symbolic links resolved, `.` dropped and `..` taken against the real
/// parent of what came before (so `missing/../..` is the parent of the current folder, as
/// `mkdir -p` and then `cd` would make it). A component that is a link to nothing is an error:
/// writing through it would create a folder somewhere else.
pub fn resolve(path: &Path) -> Result<PathBuf, String> {
    use std::path::Component;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot read the current folder: {e}"))?
            .join(path)
    };
    let mut out = PathBuf::new();
    // once a component does not exist, nothing below it does: the rest is lexical
    let mut exists = true;
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if !exists {
                    continue;
                }
                match std::fs::symlink_metadata(&out) {
                    // (on Windows `C:\…`, not `\\?\C:\…`, where a plain path will do)
                    Ok(_) => match dunce::canonicalize(&out) {
                        Ok(c) => out = c,
                        Err(e) => {
                            return Err(format!(
                                "{} is a symbolic link to a place that does not exist ({e}); point the output at a real folder",
                                out.display()
                            ));
                        }
                    },
                    Err(_) => exists = false,
                }
            }
        }
    }
    Ok(out)
}

/// Refuses output folders that would destroy the site or something else: the site root or a
/// folder above it, the site's own source folders, and non-empty folders guidepost did not
/// make. Returns the output folder resolved as the kernel will see it ([`resolve`]): build into
/// that path, never the one given, so that the check and the writes agree.
pub fn guard(root: &Path, output: &Path) -> Result<PathBuf, String> {
    let root = resolve(root)?;
    let out = resolve(output)?;
    let shown = || {
        if out.as_os_str() == output.as_os_str() {
            out.display().to_string()
        } else {
            format!("{} (that is, {})", output.display(), out.display())
        }
    };
    if out.parent().is_none() {
        return Err(format!(
            "refusing to write the site into {}: it is a file-system root",
            shown()
        ));
    }
    if root.starts_with(&out) {
        return Err(format!(
            "refusing to write the site into {}: it holds the site itself; choose a folder such as {}",
            shown(),
            root.join("public").display()
        ));
    }
    for protected in ["content", "templates", "static", crate::cache::DIR] {
        // a source folder that is a link is resolved too (and reported by discovery)
        let p = resolve(&root.join(protected)).unwrap_or_else(|_| root.join(protected));
        if out.starts_with(&p) || out.starts_with(root.join(protected)) {
            return Err(format!(
                "refusing to write the site into {}: it is inside the site's `{protected}` folder; choose a folder such as {}",
                shown(),
                root.join("public").display()
            ));
        }
    }
    if out.is_file() {
        return Err(format!(
            "{} is a file, not a folder; choose a folder such as {}",
            shown(),
            root.join("public").display()
        ));
    }
    if out.is_dir() && !stamped(&out) && !is_empty_dir(&out) {
        return Err(format!(
            "refusing to replace {}: it is not empty and was not made by guidepost (it has no `{STAMP}` file); choose an empty or new folder, or move its files away yourself",
            shown()
        ));
    }
    for suffix in ["old", "staging"] {
        let p = sibling(&out, suffix);
        if std::fs::symlink_metadata(&p).is_ok() && !leftover_of_ours(&p) {
            return Err(format!(
                "refusing to build into {}: {} is in the way and was not made by guidepost; move it away or rename it, then build again",
                shown(),
                p.display()
            ));
        }
    }
    Ok(out)
}

/// Whether `p`, a `.NAME.old` or `.NAME.staging` beside an output, is guidepost's to delete: a
/// real folder (not a link) that is empty (a build killed before it wrote the stamp) or stamped.
fn leftover_of_ours(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) && (stamped(p) || is_empty_dir(p))
}

/// Deletes a folder of guidepost's, its stamp last: a deletion cut short by a kill leaves a
/// folder that is still recognisably ours, which the next build deletes. A folder that is not
/// ours is left alone.
fn remove_ours(dir: &Path) -> io::Result<()> {
    if !leftover_of_ours(dir) {
        return Err(io::Error::other(format!(
            "{} was not made by guidepost; it is left as it is",
            dir.display()
        )));
    }
    // a site's output is a folder per guide: deleted side by side
    use rayon::prelude::*;
    let entries = std::fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries
        .par_iter()
        .filter(|e| e.file_name() != STAMP)
        .try_for_each(|e| {
            if e.file_type()?.is_dir() {
                std::fs::remove_dir_all(e.path())
            } else {
                std::fs::remove_file(e.path())
            }
        })?;
    match std::fs::remove_file(dir.join(STAMP)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::remove_dir(dir)
}

impl Staging {
    /// Prepares the staging folder for `target`, first repairing what a killed build left.
    /// With `manifests` (the folder of the generations' manifests, see [`spare`]) a staging
    /// folder of an earlier build is kept as the spare, on Unix; without, it is made afresh.
    pub fn new(target: &Path, manifests: Option<&Path>) -> io::Result<Staging> {
        let old = sibling(target, "old");
        let dir = sibling(target, "staging");
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let lock = lock(parent)?;
        if std::fs::symlink_metadata(&old).is_ok() {
            if std::fs::symlink_metadata(target).is_ok() {
                remove_ours(&old)?;
            } else if leftover_of_ours(&old) {
                // killed between the two renames of a swap: the old output is complete
                std::fs::rename(&old, target)?;
            } else {
                remove_ours(&old)?; // refuses, with the reason
            }
        }
        let manifests = manifests.filter(|_| cfg!(unix)).map(Path::to_path_buf);
        let mut spare = None;
        if std::fs::symlink_metadata(&dir).is_ok() {
            if let Some(m) = &manifests
                && leftover_of_ours(&dir)
            {
                spare = spare::Spare::read(&dir, m).ok();
            }
            if spare.is_none() {
                remove_ours(&dir)?;
            }
        }
        let fresh = spare.is_none();
        if fresh {
            std::fs::create_dir(&dir)?;
        }
        if !stamped(&dir) {
            // (an empty folder of a build killed at its start)
            std::fs::write(dir.join(STAMP), STAMP_TEXT)?;
        }
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            _lock: lock,
            fresh,
            spare: spare.unwrap_or_default(),
            manifests,
            produced: Mutex::default(),
            pages: Mutex::default(),
        })
    }

    /// Files the spare held before this build.
    pub fn spare_files(&self) -> usize {
        self.spare.files.len()
    }

    fn produced(&self, rel: &str) {
        let mut p = self.produced.lock().unwrap_or_else(|e| e.into_inner());
        p.insert(rel.to_string());
    }

    /// Clears the way for a new file at `rel`: what the spare has there goes first, so that a
    /// file is never written in place (a spare's file may be a hard link into the cache).
    fn clear(&self, rel: &str, path: &Path) -> io::Result<()> {
        let r = if self.spare.files.contains_key(rel) {
            std::fs::remove_file(path)
        } else if self.spare.dirs.contains(rel) {
            std::fs::remove_dir_all(path)
        } else {
            return Ok(());
        };
        match r {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Writes `bytes` to `rel` (a `/`-separated path inside the output).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.dir.join(rel);
        self.clear(rel, &path)?;
        match std::fs::write(&path, bytes) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
                std::fs::write(&path, bytes)
            }
            r => r,
        }?;
        self.produced(rel);
        Ok(())
    }

    /// Writes the rendered page `rel` of `key` (see [`Staging::keep_page`]).
    pub fn write_page(&self, rel: &str, bytes: &[u8], key: Option<PageKey>) -> io::Result<()> {
        self.write(rel, bytes)?;
        if let (Some(key), Some(_)) = (key, &self.manifests) {
            let stat = spare::Stat::of(&std::fs::symlink_metadata(self.dir.join(rel))?);
            let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
            pages.push((rel.to_string(), (key, stat)));
        }
        Ok(())
    }

    /// Whether the spare already holds the page `rel` rendered from `key`, as its generation
    /// wrote it; if so it is part of the new output as it is.
    pub fn keep_page(&self, rel: &str, key: PageKey) -> bool {
        match self.spare.pages.get(rel) {
            Some((had, stat)) if *had == key => {
                self.produced(rel);
                let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
                pages.push((rel.to_string(), (key, *stat)));
                true
            }
            _ => false,
        }
    }

    /// Copies the file `src` to `rel`.
    pub fn copy(&self, src: &Path, rel: &str) -> io::Result<()> {
        let path = self.dir.join(rel);
        self.clear(rel, &path)?;
        match std::fs::copy(src, &path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound && src.exists() => {
                std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
                std::fs::copy(src, &path).map(|_| ())
            }
            r => r.map(|_| ()),
        }?;
        self.produced(rel);
        Ok(())
    }

    /// Puts the file `src` (of guidepost's cache) at `rel`: a hard link when the file system
    /// allows one (no bytes copied), else a copy. A spare's file that is `src` itself stays.
    pub fn link(&self, src: &Path, rel: &str) -> io::Result<()> {
        #[cfg(unix)]
        if let Some(&had) = self.spare.files.get(rel)
            && let Ok(m) = std::fs::symlink_metadata(src)
        {
            use std::os::unix::fs::MetadataExt;
            if (m.dev(), m.ino()) == (self.spare.dev, had) {
                self.produced(rel);
                return Ok(());
            }
        }
        let path = self.dir.join(rel);
        self.clear(rel, &path)?;
        if std::fs::hard_link(src, &path).is_ok() {
            self.produced(rel);
            return Ok(());
        }
        self.copy(src, rel)
    }

    /// Creates the folders `rels` ahead of writing, so parallel writers need not.
    pub fn create_dirs<'a>(&self, rels: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        for r in rels {
            if self.spare.dirs.contains(r) {
                continue;
            }
            let path = self.dir.join(r);
            // a file of the spare where the new output has a folder
            for (i, _) in r.match_indices('/').chain(std::iter::once((r.len(), ""))) {
                if self.spare.files.contains_key(&r[..i]) {
                    let _ = std::fs::remove_file(self.dir.join(&r[..i]));
                }
            }
            std::fs::create_dir_all(path)?;
        }
        Ok(())
    }

    /// Deletes what the spare had that the new output does not, and records the new
    /// generation (its manifest, then its stamp).
    fn finish_spare(&self, manifests: &Path) -> io::Result<()> {
        use rayon::prelude::*;
        let produced = self.produced.lock().unwrap_or_else(|e| e.into_inner());
        self.spare
            .files
            .par_iter()
            .filter(|(rel, _)| !produced.contains(*rel))
            .try_for_each(|(rel, _)| gone(std::fs::remove_file(self.dir.join(rel))))?;
        let mut needed = HashSet::new();
        for p in produced.iter() {
            for (i, _) in p.match_indices('/') {
                needed.insert(&p[..i]);
            }
        }
        let mut stale: Vec<&String> = (self.spare.dirs.iter())
            .filter(|d| !needed.contains(d.as_str()))
            .collect();
        stale.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
        for d in stale {
            gone(std::fs::remove_dir_all(self.dir.join(d)))?;
        }
        // a new stamp file names the new generation's manifest; killed before the manifest is
        // written, the folder has none (and the next build makes its pages again)
        // (atomically: killed at any moment, the folder is stamped, so recognisably ours)
        crate::atomic::write(&self.dir.join(STAMP), STAMP_TEXT.as_bytes())?;
        let Some(id) = spare::generation(&self.dir) else {
            return Ok(());
        };
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        spare::write_manifest(
            manifests,
            &id,
            &pages,
            spare::generation(&self.target).as_deref(),
        )
    }

    /// Swaps the staging folder in place of the output. The previous output is kept as the
    /// spare of the next build (see [`spare`]), or removed, only after the new one is in place.
    ///
    /// On Linux the swap is one atomic `renameat2(RENAME_EXCHANGE)`: at every instant the output
    /// folder holds either the complete old site or the complete new one, even if the process is
    /// killed. Elsewhere (or on a file system without it) it is two renames, and a build killed
    /// between them leaves the old site aside as `.NAME.old`, which the next build puts back.
    pub fn commit(self) -> io::Result<()> {
        if let Some(m) = &self.manifests {
            self.finish_spare(m)?;
        }
        let keep = self.manifests.is_some();
        let old = sibling(&self.target, "old");
        #[cfg(target_os = "linux")]
        if self.target.is_dir() && exchange(&self.dir, &self.target).is_ok() {
            // the staging name now holds the previous output: the next build's spare, or
            // deleted (a build killed while deleting it leaves a part of it, stamped still,
            // which the next build deletes)
            if !keep {
                let _ = remove_ours(&self.dir);
            }
            return Ok(());
        }
        if self.target.exists() {
            std::fs::rename(&self.target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            let _ = std::fs::rename(&old, &self.target);
            return Err(e);
        }
        if std::fs::symlink_metadata(&old).is_ok() {
            if keep {
                std::fs::rename(&old, &self.dir)?;
            } else {
                remove_ours(&old)?;
            }
        }
        Ok(())
    }

    /// Gives up; the output stays as it was. A spare stays the next build's spare (what this
    /// build changed in it does not match its manifest, and is made again); a staging folder
    /// this build made is thrown away.
    pub fn abandon(self) {
        if self.manifests.is_none() || self.fresh {
            let _ = remove_ours(&self.dir);
        }
    }
}

/// The result of removing a spare's file or folder that is not part of the new output: fine if
/// it is gone already, or if the new output made a folder of it (a file once) or a file (a
/// folder once), or removed its folder.
fn gone(r: io::Result<()>) -> io::Result<()> {
    use io::ErrorKind::{IsADirectory, NotADirectory, NotFound};
    match r {
        Err(e) if ![NotFound, IsADirectory, NotADirectory].contains(&e.kind()) => Err(e),
        _ => Ok(()),
    }
}

/// Waits for an exclusive lock on the folder `dir`. A folder that cannot be locked (no read
/// permission, a file system without `flock`) is built into unlocked, as before.
#[cfg(target_os = "linux")]
fn lock(dir: &Path) -> io::Result<Option<std::fs::File>> {
    use rustix::fs::{FlockOperation, flock};
    let Ok(f) = std::fs::File::open(dir) else {
        return Ok(None);
    };
    Ok(flock(&f, FlockOperation::LockExclusive).ok().map(|_| f))
}

#[cfg(not(target_os = "linux"))]
fn lock(_dir: &Path) -> io::Result<Option<std::fs::File>> {
    Ok(None)
}

/// Atomically exchanges two folders.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_refuses_dangerous_targets() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("site");
        std::fs::create_dir_all(root.join("content")).unwrap();
        assert!(guard(&root, &root).is_err());
        assert!(guard(&root, t.path()).is_err());
        assert!(guard(&root, &root.join("content")).is_err());
        assert!(guard(&root, &root.join("content/x")).is_err());
        assert!(guard(&root, &root.join("public")).is_ok());
        let foreign = t.path().join("docs");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("thesis.docx"), "x").unwrap();
        assert!(
            guard(&root, &foreign)
                .unwrap_err()
                .contains("not made by guidepost")
        );
    }

    /// A path that was a file in the output before last and is a folder now, and one the other
    /// way round: the spare is brought up to date without a complaint.
    #[cfg(unix)]
    #[test]
    fn a_rebuild_turns_files_into_folders_and_folders_into_files() {
        let t = tempfile::tempdir().unwrap();
        let (target, manifests) = (t.path().join("public"), t.path().join("m"));
        let build = |files: &[(&str, &str)]| {
            let s = Staging::new(&target, Some(&manifests)).unwrap();
            let dirs: Vec<&str> = files
                .iter()
                .filter_map(|f| f.0.rsplit_once('/'))
                .map(|d| d.0)
                .collect();
            s.create_dirs(dirs).unwrap();
            for (rel, text) in files {
                s.write(rel, text.as_bytes()).unwrap();
            }
            s.commit().unwrap();
        };
        let before = [("a", "1"), ("x/y", "2")];
        build(&before);
        build(&before);
        // the spare is now the first build's output
        assert!(sibling(&target, "staging").join("x/y").is_file());
        build(&[("a/b", "3"), ("x", "4")]);
        assert_eq!(std::fs::read(target.join("a/b")).unwrap(), b"3");
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"4");
        let mut left: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [STAMP, "a", "x"]);
    }

    /// A file whose name is not Unicode, put into the output by hand, is gone within two builds
    /// (the spare holding it is not used, but made afresh).
    #[cfg(unix)]
    #[test]
    fn a_file_named_in_no_unicode_does_not_survive_in_the_spare() {
        use std::os::unix::ffi::OsStrExt;
        let t = tempfile::tempdir().unwrap();
        let (target, manifests) = (t.path().join("public"), t.path().join("m"));
        let build = || {
            let s = Staging::new(&target, Some(&manifests)).unwrap();
            s.write("index.html", b"page").unwrap();
            s.commit().unwrap();
        };
        build();
        let odd = target.join(std::ffi::OsStr::from_bytes(b"\xff\xfe.html"));
        std::fs::write(&odd, "left by hand").unwrap();
        build();
        build();
        let names: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            !sibling(&target, "staging")
                .join(odd.file_name().unwrap())
                .exists()
        );
    }

    #[test]
    fn commit_replaces_and_killed_swap_is_repaired() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("public");
        let s = Staging::new(&target, None).unwrap();
        s.write("a/index.html", b"one").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");
        // a swap killed after the first rename: the old output sits aside
        std::fs::rename(&target, sibling(&target, "old")).unwrap();
        let s = Staging::new(&target, None).unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");
        s.abandon();
        assert!(!sibling(&target, "staging").exists());
        // replacing an existing output leaves nothing beside it
        let s = Staging::new(&target, None).unwrap();
        s.write("a/index.html", b"two").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("public")]);
    }
}
