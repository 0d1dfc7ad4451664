//! `ROOT/.guidepost-cache/`: work of earlier builds that later builds reuse (processed
//! screenshots, QR codes, PDFs). Everything in it can be deleted at any time; it is ignored by
//! git (its own `.gitignore`) and by backup tools that honour `CACHEDIR.TAG`.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The cache folder of a site.
pub const DIR: &str = ".guidepost-cache";

/// Entries no build used for this long are removed.
pub const PRUNE_AFTER: Duration = Duration::from_secs(30 * 86_400);

/// The part `sub` of the cache of the site at `root`, created (with the cache's `.gitignore`
/// and `CACHEDIR.TAG`) if needed; `None` when it cannot be written.
pub fn open(root: &Path, sub: &str) -> Option<PathBuf> {
    let base = root.join(DIR);
    let dir = base.join(sub);
    std::fs::create_dir_all(&dir).ok()?;
    if !base.join(".gitignore").exists() {
        // ignored by git wherever the site lives; CACHEDIR.TAG keeps it out of backups
        let _ = std::fs::write(base.join(".gitignore"), "*\n");
        let _ = std::fs::write(
            base.join("CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55\n# guidepost's cache: safe to delete\n",
        );
    }
    Some(dir)
}

/// Is the file at `p` older than `age` (by its modification time)?
pub fn older_than(p: &Path, age: Duration) -> bool {
    std::fs::symlink_metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
        .is_some_and(|d| d > age)
}

/// Where the bytes of an output file are.
#[derive(Debug, Clone)]
pub enum Blob {
    /// A file of the cache (hard-linked or copied into the output).
    Cached(PathBuf),
    /// Bytes kept in memory when the cache folder cannot be written.
    Memory(std::sync::Arc<Vec<u8>>),
}

impl Blob {
    /// The bytes (read from the cache file if there).
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Blob::Cached(p) => std::fs::read(p),
            Blob::Memory(b) => Ok(b.as_ref().clone()),
        }
    }
}
