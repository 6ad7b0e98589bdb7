//! Atomic file writes: a temporary file in the same directory, written and
//! synced, then renamed (or linked) into place. A reader sees the old file or
//! the new one, never half of one; a crash leaves at most a stray temp file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn write_temp(target: &Path, bytes: &[u8]) -> Result<PathBuf> {
    write_temp_with(target, true, |w| w.write_all(bytes))
}

fn write_temp_with(
    target: &Path,
    sync: bool,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    let dir = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = temp_path(target);
    let result = (|| {
        let mut file = std::io::BufWriter::new(File::create(&tmp)?);
        fill(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    Ok(tmp)
}

/// Replaces (or creates) `target` atomically.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(target, |w| w.write_all(bytes))
}

/// The same, for content written piece by piece (a large cache).
pub fn write_atomic_with(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = write_temp_with(target, true, fill)?;
    rename_into_place(&tmp, target)?;
    sync_dir(target);
    Ok(())
}

fn rename_into_place(tmp: &Path, target: &Path) -> Result<()> {
    fs::rename(tmp, target).map_err(|e| {
        let _ = fs::remove_file(tmp);
        Error::io(target, e)
    })
}

/// Creates `target` atomically; fails with `AlreadyExists` if it exists,
/// even when another process races us to it.
pub fn create_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = write_temp(target, bytes)?;
    let linked = fs::hard_link(&tmp, target);
    let _ = fs::remove_file(&tmp);
    linked.map_err(|e| Error::io(target, e))?;
    sync_dir(target);
    Ok(())
}

/// Makes the rename itself durable. Best effort: not every platform allows
/// opening a directory.
fn sync_dir(target: &Path) {
    if let Some(dir) = target.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

pub fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Replaces `target` atomically without syncing it: for local caches that
/// verify themselves (a torn file is detected and rebuilt), where an fsync
/// of megabytes on every write would cost more than it protects.
pub fn replace_unsynced(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = write_temp_with(target, false, fill)?;
    rename_into_place(&tmp, target)
}
