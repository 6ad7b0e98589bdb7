//! Advisory locks between desk processes, held for a read-modify-write.
//! The lock files live in the git-ignored state directory and are released
//! when the guard drops (or the process dies).

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Blocks until the exclusive lock on `path` is held.
    pub fn acquire(path: &Path) -> Result<Lock> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.lock().map_err(|e| Error::io(path, e))?;
        Ok(Lock { _file: file })
    }
}
