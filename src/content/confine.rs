//! The input rule: nothing that lies outside the site folder is read or published.
//!
//! Every input of a site (`site.toml`, `content/`, `static/`, `templates/` and everything in
//! them) is read through this module's checks, by `build`, `check` and `serve` alike, and again
//! by `serve` whenever a changed path is reloaded or a file is served. A symbolic link anywhere
//! below the site root is never followed, whether it points inside the site or out of it
//! (`static → /etc`, `content/G/files/form.txt → /etc/passwd`): it is reported as a `symlink`
//! warning with its place and left out, so a link can neither leak a file of the machine into
//! the published site nor make a page depend on a file the office does not have.

use std::io;
use std::path::{Path, PathBuf};

use crate::content::source::rel_path;
use crate::diagnostic::Diagnostic;

/// What a path below the site root is, links not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File,
    Dir,
    Missing,
    /// Something else (a socket, a device): not an input.
    Other,
}

/// A symbolic link met on the way to an input: the link's own path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symlink(pub PathBuf);

/// The `symlink` warning for the link at `path`.
pub fn warning(root: &Path, path: &Path) -> Diagnostic {
    let rel = rel_path(root, path);
    let target = std::fs::read_link(path)
        .map(|t| format!(" (it points to {}); it is left out", t.display()))
        .unwrap_or_default();
    Diagnostic::warning(
        "symlink",
        format!("{rel} is a symbolic link; it is not followed{target}"),
    )
    .in_file(rel)
    .help("copy the file or folder into the site folder instead of linking it")
}

/// What `path` (below `root`) is, checking every component from `root` down: `Err` names the
/// first one that is a symbolic link.
pub fn entry(root: &Path, path: &Path) -> Result<Entry, Symlink> {
    let Ok(rel) = path.strip_prefix(root) else {
        // not below the root: never an input
        return Ok(Entry::Other);
    };
    let mut p = root.to_path_buf();
    let mut last = Entry::Dir;
    for c in rel.components() {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Err(_) => return Ok(Entry::Missing),
            Ok(m) if m.file_type().is_symlink() => return Err(Symlink(p)),
            Ok(m) if m.is_dir() => last = Entry::Dir,
            Ok(m) if m.is_file() => last = Entry::File,
            Ok(_) => last = Entry::Other,
        }
    }
    Ok(last)
}

/// The folder `root/name` (`content`, `static`, `templates`) when it is a real folder; a link
/// is reported and treated as absent.
pub fn tree(root: &Path, name: &str, diags: &mut Vec<Diagnostic>) -> Option<PathBuf> {
    let dir = root.join(name);
    match entry(root, &dir) {
        Ok(Entry::Dir) => Some(dir),
        Ok(_) => None,
        Err(Symlink(p)) => {
            diags.push(warning(root, &p));
            None
        }
    }
}

/// Whether `path` below `root` is a regular file reached without any link; a link on the way is
/// reported.
pub fn is_file(root: &Path, path: &Path, diags: &mut Vec<Diagnostic>) -> bool {
    match entry(root, path) {
        Ok(e) => e == Entry::File,
        Err(Symlink(p)) => {
            diags.push(warning(root, &p));
            false
        }
    }
}

/// Reads the file `path` below `root`, refusing it when any component is a symbolic link (the
/// last one is also opened without following a link, where the system can, so a file swapped
/// for a link between the check and the read is refused too).
pub fn read(root: &Path, path: &Path) -> io::Result<Vec<u8>> {
    match entry(root, path) {
        Ok(Entry::File) => {}
        Ok(_) => return Err(io::Error::new(io::ErrorKind::NotFound, "not a file")),
        Err(Symlink(p)) => {
            return Err(io::Error::other(format!(
                "{} is a symbolic link",
                rel_path(root, &p)
            )));
        }
    }
    use std::io::Read as _;
    let mut f = open_nofollow(path)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn open_nofollow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_nofollow(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_anywhere_on_the_way_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("site");
        std::fs::create_dir_all(root.join("content/g")).unwrap();
        std::fs::write(root.join("content/g/a.txt"), "a").unwrap();
        std::fs::write(t.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(t.path().join("secret"), root.join("content/g/b.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("content/g"), root.join("content/h")).unwrap();
        assert_eq!(entry(&root, &root.join("content/g/a.txt")), Ok(Entry::File));
        assert_eq!(entry(&root, &root.join("content/g/zz")), Ok(Entry::Missing));
        assert_eq!(
            entry(&root, &root.join("content/g/b.txt")),
            Err(Symlink(root.join("content/g/b.txt")))
        );
        assert_eq!(
            entry(&root, &root.join("content/h/a.txt")),
            Err(Symlink(root.join("content/h")))
        );
        assert_eq!(read(&root, &root.join("content/g/a.txt")).unwrap(), b"a");
        assert!(read(&root, &root.join("content/g/b.txt")).is_err());
        assert!(read(&root, &root.join("content/h/a.txt")).is_err());
        let mut d = Vec::new();
        assert!(!is_file(&root, &root.join("content/h/a.txt"), &mut d));
        assert_eq!(d[0].code, "symlink");
        assert!(d[0].message.contains("content/h"), "{}", d[0].message);
    }
}
