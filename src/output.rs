//! Output: the only stage that writes, and it writes atomically.
//!
//! A build renders into a *staging* folder beside the output (`.public.staging`) and, only when
//! every page was written, swaps it in (atomically on Linux, see [`Staging::commit`]). A failed
//! or killed build leaves the previous output as it was; leftovers of a killed build are cleaned
//! up (or, if a two-rename swap was cut short, the previous output is put back) by the next one.
//! Two builds of the same output at the same moment take turns (on Linux, a lock on the output's
//! parent folder). Nothing is flushed to disk (`fsync`): the guarantees hold against a killed
//! process, not against a power cut. Nothing outside the output folder
//! is ever deleted, and folders that are not guidepost output are refused.

use std::io;
use std::path::{Path, PathBuf};

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
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    target.with_file_name(format!(".{name}.{suffix}"))
}

/// Refuses output folders that would destroy the site or something else: the site root or a
/// folder above it, the site's own source folders, and non-empty folders guidepost did not make.
pub fn guard(root: &Path, output: &Path) -> Result<(), String> {
    let abs = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        // canonicalize what exists, keep the rest lexically
        let mut existing = p.clone();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut c = existing.canonicalize().unwrap_or(existing);
        for r in rest.into_iter().rev() {
            c.push(r);
        }
        c
    };
    let root = abs(root);
    let out = abs(output);
    if out.parent().is_none() {
        return Err(format!(
            "refusing to write the site into {}: it is a file-system root",
            out.display()
        ));
    }
    if root.starts_with(&out) {
        return Err(format!(
            "refusing to write the site into {}: it holds the site itself; choose a folder such as {}",
            out.display(),
            root.join("public").display()
        ));
    }
    for protected in ["content", "templates", "static"] {
        let p = root.join(protected);
        if out.starts_with(&p) {
            return Err(format!(
                "refusing to write the site into {}: it is inside the site's `{protected}` folder",
                out.display()
            ));
        }
    }
    if out.is_file() {
        return Err(format!("{} is a file, not a folder", out.display()));
    }
    if out.is_dir()
        && !out.join(STAMP).exists()
        && std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return Err(format!(
            "refusing to replace {}: it is not empty and was not made by guidepost; choose an empty or new folder, or empty it yourself",
            out.display()
        ));
    }
    Ok(())
}

impl Staging {
    /// Prepares a fresh staging folder for `target`, first repairing what a killed build left.
    pub fn new(target: &Path) -> io::Result<Staging> {
        let old = sibling(target, "old");
        let dir = sibling(target, "staging");
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let lock = lock(parent)?;
        if old.exists() {
            if target.exists() {
                std::fs::remove_dir_all(&old)?;
            } else {
                // killed between the two renames of a swap: the old output is complete
                std::fs::rename(&old, target)?;
            }
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir(&dir)?;
        std::fs::write(
            dir.join(STAMP),
            "This folder was written by guidepost; it replaces it on every build.\n",
        )?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            _lock: lock,
        })
    }

    /// Writes `bytes` to `rel` (a `/`-separated path inside the output).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.dir.join(rel);
        match std::fs::write(&path, bytes) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
                std::fs::write(&path, bytes)
            }
            r => r,
        }
    }

    /// Copies the file `src` to `rel`.
    pub fn copy(&self, src: &Path, rel: &str) -> io::Result<()> {
        let path = self.dir.join(rel);
        match std::fs::copy(src, &path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound && src.exists() => {
                std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
                std::fs::copy(src, &path).map(|_| ())
            }
            r => r.map(|_| ()),
        }
    }

    /// Creates the folders `rels` ahead of writing, so parallel writers need not.
    pub fn create_dirs<'a>(&self, rels: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        for r in rels {
            std::fs::create_dir_all(self.dir.join(r))?;
        }
        Ok(())
    }

    /// Swaps the staging folder in place of the output. The previous output is removed only
    /// after the new one is in place.
    ///
    /// On Linux the swap is one atomic `renameat2(RENAME_EXCHANGE)`: at every instant the output
    /// folder holds either the complete old site or the complete new one, even if the process is
    /// killed. Elsewhere (or on a file system without it) it is two renames, and a build killed
    /// between them leaves the old site aside as `.NAME.old`, which the next build puts back.
    pub fn commit(self) -> io::Result<()> {
        let old = sibling(&self.target, "old");
        #[cfg(target_os = "linux")]
        if self.target.is_dir() && exchange(&self.dir, &self.target).is_ok() {
            // the staging name now holds the previous output; a build killed while deleting
            // it leaves a part of it, which the next build deletes
            let _ = std::fs::remove_dir_all(&self.dir);
            return Ok(());
        }
        if self.target.exists() {
            std::fs::rename(&self.target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            let _ = std::fs::rename(&old, &self.target);
            return Err(e);
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }

    /// Throws the staging folder away; the output stays as it was.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
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

    #[test]
    fn commit_replaces_and_killed_swap_is_repaired() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("public");
        let s = Staging::new(&target).unwrap();
        s.write("a/index.html", b"one").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");
        // a swap killed after the first rename: the old output sits aside
        std::fs::rename(&target, sibling(&target, "old")).unwrap();
        let s = Staging::new(&target).unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");
        s.abandon();
        assert!(!sibling(&target, "staging").exists());
        // replacing an existing output leaves nothing beside it
        let s = Staging::new(&target).unwrap();
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
