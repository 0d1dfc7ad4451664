//! Writing one file atomically: the one way guidepost puts a single file in place (the build's
//! `links.lock`, cache entries and PDF keys, the preview studio's screenshots and settings files,
//! the files of `guidepost new`). Whole folders are staged and swapped instead (the site by
//! `output`, an imported guide by `import`). This module imports nothing of guidepost.
//!
//! The bytes go to a new temporary file beside the target, created exclusively under a random
//! hidden name (`.NAME.XXXXXX.tmp`: never through a link, never shared by two processes, and
//! skipped by discovery like every hidden file), which is then renamed over the target. Readers
//! see the old file or the new one, never a part; a failure leaves the old file as it was and
//! removes the temporary one. Nothing is flushed to disk (`fsync`): the guarantee holds against a
//! killed process, not against a power cut.

use std::io::{self, Write as _};
use std::path::Path;

/// Writes `bytes` to `path`, replacing what is there.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    staged(path, bytes)?
        .persist(path)
        .map(drop)
        .map_err(|e| e.error)
}

/// Writes `bytes` to `path` only if nothing is there: [`io::ErrorKind::AlreadyExists`] otherwise
/// (decided by the file system when the file is put in place, not by an earlier look).
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    staged(path, bytes)?
        .persist_noclobber(path)
        .map(drop)
        .map_err(|e| e.error)
}

/// `bytes` in a new temporary file beside `path` (removed again when dropped).
fn staged(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    // the permissions `std::fs::write` gives (tempfile's own are the owner's only): a screenshot
    // or lock file must stay readable by the web server that later serves a copy of it
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = b.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_or_refuses_and_leaves_no_temporary_file() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.png");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let e = write_new(&p, b"three").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        write_new(&t.path().join("b.md"), b"new").unwrap();
        assert_eq!(names(t.path()), ["a.png", "b.md"]);
        // a failure (the target is a folder) leaves it and no temporary file
        std::fs::create_dir(t.path().join("dir")).unwrap();
        assert!(write(&t.path().join("dir"), b"x").is_err());
        assert!(t.path().join("dir").is_dir());
        assert_eq!(names(t.path()), ["a.png", "b.md", "dir"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_target_is_replaced_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside.txt");
        std::fs::write(&outside, b"keep").unwrap();
        let link = t.path().join("shot.png");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        write(&link, b"new").unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_readable_as_with_std_fs_write() {
        use std::os::unix::fs::PermissionsExt as _;
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        write(&a, b"x").unwrap();
        std::fs::write(&b, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a), mode(&b));
    }
}
