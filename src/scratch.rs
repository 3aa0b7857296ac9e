//! Scratch files beside the database (the same disk, not a tmpfs that would
//! hold them in memory): an export while it is built and sent, an uploaded
//! import while it is read. On Linux a scratch file leaves its folder as soon
//! as it is open, so nothing is left behind whatever becomes of the process.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// An open scratch file. Fields drop in order: the file is closed before a
/// name left in the folder is removed.
pub struct Scratch {
    pub file: File,
    _leftover: Leftover,
}

/// The file's name, where the system would not remove it while open (not
/// on Linux): removed once the file is done with.
struct Leftover(Option<PathBuf>);

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(error = %e, "cannot remove {}", path.display());
            }
        }
    }
}

impl Scratch {
    /// A new file of its own in `dir`, named `.broadsheet-{purpose}-….xml`,
    /// already gone from the folder where the system allows it.
    pub fn create(dir: &Path, purpose: &str) -> io::Result<Scratch> {
        let path = dir.join(format!(
            ".broadsheet-{purpose}-{:016x}.xml",
            rand::random::<u64>()
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let leftover = match std::fs::remove_file(&path) {
            Ok(()) => None,
            Err(_) => Some(path),
        };
        Ok(Scratch {
            file,
            _leftover: Leftover(leftover),
        })
    }
}
