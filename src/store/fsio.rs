//! Atomic file writes: a temporary file in the same directory, written and
//! synced, then renamed (or linked) into place. A reader sees the old file or
//! the new one, never half of one; a crash leaves at most a stray temp file,
//! named `.NAME.PID.N.tmp` after its target and writer, which
//! [`temp_files`] finds and [`TempFile::is_stale`] judges.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

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

/// A new temporary file for `target`, next to it, and its path.
fn create_temp(target: &Path) -> Result<(File, PathBuf)> {
    let dir = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // A new file, never one already there: a link at a temporary name (a
    // commit can carry one, .gitignore notwithstanding) is not written through.
    let mut tmp = temp_path(target);
    let mut tries = 0;
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => {
                tries += 1;
                tmp = temp_path(target);
            }
            other => return Ok((other.map_err(|e| Error::io(&tmp, e))?, tmp)),
        }
    }
}

fn write_temp_with(
    target: &Path,
    sync: bool,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    let (file, tmp) = create_temp(target)?;
    let result = (|| {
        let mut file = std::io::BufWriter::new(file);
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

/// A file's next content, written and synced in a directory of its own
/// (`.desk/sending/`) ahead of time, to replace the file later by one
/// rename ([`Staged::put_in_place`]), or be removed when dropped. Named as
/// [`write_atomic`]'s temporary files are, so [`temp_files`] and
/// [`TempFile::is_stale`] judge one a killed writer left.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    placed: bool,
}

/// Stages `bytes` for `target` in `dir`.
pub fn stage(dir: &Path, target: &Path, bytes: &[u8]) -> Result<Staged> {
    let name = target.file_name().unwrap_or_default();
    let path = write_temp(&dir.join(name), bytes)?;
    Ok(Staged {
        path,
        placed: false,
    })
}

impl Staged {
    /// Renames the staged file over `target`, then makes the rename durable.
    /// Only the rename stands between the two: a reader sees the old file
    /// or the new one.
    pub fn put_in_place(mut self, target: &Path) -> Result<()> {
        fs::rename(&self.path, target).map_err(|e| Error::io(target, e))?;
        self.placed = true;
        sync_dir(target);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.path);
        }
    }
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
        sync_dir_itself(dir);
    }
}

/// Makes the entries of `dir` (files created, linked, renamed) durable.
pub fn sync_dir_itself(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes new files `dir/NAME` (none may exist) and syncs each. The syncs
/// run on many threads at once: they wait on the disk, not the CPU, and the
/// file system commits concurrent syncs together, so a few thousand files
/// cost a few commits rather than one each.
pub fn create_synced_files(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<()> {
    const THREADS: usize = 16;
    let next = AtomicUsize::new(0);
    let work = || -> Result<()> {
        loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some((name, bytes)) = files.get(at) else {
                break;
            };
            if at.is_multiple_of(256) {
                progress(at, files.len());
            }
            let path = dir.join(name);
            let write = || -> std::io::Result<()> {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)?;
                file.write_all(bytes)?;
                file.sync_data()
            };
            write().map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS.min(files.len()))
            .map(|_| scope.spawn(work))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("writer thread"))
            .collect::<Result<Vec<()>>>()
    })?;
    progress(files.len(), files.len());
    Ok(())
}

/// A temporary file of [`write_atomic`] or [`create_atomic`].
#[derive(Debug, Clone, PartialEq)]
pub struct TempFile {
    pub path: PathBuf,
    /// The process that wrote it.
    pub pid: u32,
}

/// A writer takes milliseconds; a temporary file this old was abandoned
/// even if its PID now belongs to a live process.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

impl TempFile {
    /// What `path`'s name says, if it is one of ours: `.NAME.PID.N.tmp`.
    pub fn parse(path: &Path) -> Option<TempFile> {
        let name = path.file_name()?.to_str()?;
        let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
        let mut parts = rest.rsplitn(3, '.');
        let _n: u32 = parts.next()?.parse().ok()?;
        let pid: u32 = parts.next()?.parse().ok()?;
        let target = parts.next()?;
        (!target.is_empty()).then(|| TempFile {
            path: path.to_path_buf(),
            pid,
        })
    }

    /// The file it was to become.
    pub fn target(&self) -> PathBuf {
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let target = name
            .strip_prefix('.')
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|r| r.rsplitn(3, '.').nth(2))
            .unwrap_or("");
        self.path.with_file_name(target)
    }

    /// Left by a writer that is gone: its process no longer runs, or it is
    /// older than [`STALE_AFTER`].
    pub fn is_stale(&self) -> bool {
        if process_alive(self.pid) == Some(false) {
            return true;
        }
        fs::symlink_metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER)
    }
}

/// The temporary files directly in `dir` (none if it does not exist).
pub fn temp_files(dir: &Path) -> Result<Vec<TempFile>> {
    Ok(super::walk::entries(dir)?
        .into_iter()
        .filter(|entry| entry.file_type.is_file())
        .filter_map(|entry| TempFile::parse(&entry.path))
        .collect())
}

/// Whether process `pid` exists (`kill(pid, 0)`, which signals nothing);
/// `None` where the system cannot tell.
#[cfg(unix)]
pub fn process_alive(pid: u32) -> Option<bool> {
    // 0 and what does not fit a pid_t would name a process group, not a process.
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return Some(false);
    };
    if pid <= 0 {
        return Some(false);
    }
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return Some(true);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ESRCH) => Some(false),
        // Another user's process.
        Some(libc::EPERM) => Some(true),
        _ => None,
    }
}

#[cfg(not(unix))]
pub fn process_alive(_pid: u32) -> Option<bool> {
    None
}

/// Reads a file the user named outside the store (an import, a key file):
/// links are followed there. The store's own files go through
/// [`super::read_file`], which follows none.
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

/// A local cache's next content, written piece by piece while it is made
/// (a cache of a million entries is not held in memory), then put in place
/// of `target` unsynced ([`replace_unsynced`]) by [`Replacement::commit`].
/// Dropped uncommitted, it removes its temporary file.
#[derive(Debug)]
pub struct Replacement {
    out: Option<std::io::BufWriter<File>>,
    tmp: PathBuf,
    target: PathBuf,
}

impl Replacement {
    pub fn create(target: &Path) -> Result<Replacement> {
        let (file, tmp) = create_temp(target)?;
        Ok(Replacement {
            out: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// Renames the written file over the target.
    pub fn commit(mut self) -> Result<()> {
        let out = self.out.take().expect("taken only here");
        if let Err(e) = out.into_inner() {
            let _ = fs::remove_file(&self.tmp);
            return Err(Error::io(&self.tmp, e.into_error()));
        }
        rename_into_place(&self.tmp, &self.target)
    }
}

impl Write for Replacement {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("until committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("until committed").flush()
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a file a person named for a command's output (`report --html
/// FILE`): atomically in place of a regular file (or where there is none),
/// but into a pipe or device that FILE names (`/dev/stdout`, `>(cmd)`,
/// `/dev/null`), which a file renamed over it would replace.
pub fn write_output(file: &Path, bytes: &[u8]) -> Result<()> {
    match fs::metadata(file) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let mut to = OpenOptions::new()
                .write(true)
                .open(file)
                .map_err(|e| Error::io(file, e))?;
            to.write_all(bytes)
                .and_then(|()| to.flush())
                .map_err(|e| Error::io(file, e))
        }
        _ => write_atomic(file, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_tell_target_and_writer() {
        let t = TempFile::parse(Path::new("customers/.C000107.yaml.20328.0.tmp")).unwrap();
        assert_eq!(t.pid, 20328);
        assert_eq!(t.target(), Path::new("customers/C000107.yaml"));
        for other in [
            "customers/C000107.yaml",
            "customers/.gitkeep",
            "customers/.C000107.yaml.x.0.tmp",
            "customers/.C000107.yaml.1.x.tmp",
            "customers/..1.0.tmp",
            "customers/C.yaml.1.0.tmp",
        ] {
            assert_eq!(TempFile::parse(Path::new(other)), None, "{other}");
        }
    }

    /// A link at the temporary names this process will use next (a commit
    /// can carry one): the write goes to the target, never through it.
    #[cfg(unix)]
    #[test]
    fn a_link_at_a_temporary_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "IMPORTANT").unwrap();
        let target = dir.path().join("t.yaml");
        let next = COUNTER.load(Ordering::Relaxed);
        for n in next..next + 50 {
            let name = format!(".t.yaml.{}.{n}.tmp", std::process::id());
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        write_atomic(&target, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "IMPORTANT");
    }

    #[test]
    fn a_temp_file_of_a_live_writer_is_not_stale() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir
            .path()
            .join(format!(".a.yaml.{}.0.tmp", std::process::id()));
        fs::write(&mine, "x").unwrap();
        // PIDs are below 2^22 on Linux, so this one cannot be running.
        let gone = dir.path().join(".b.yaml.4294967290.0.tmp");
        fs::write(&gone, "x").unwrap();
        fs::write(dir.path().join("c.yaml"), "x").unwrap();
        let found = temp_files(dir.path()).unwrap();
        assert_eq!(found.len(), 2);
        assert!(!found[0].is_stale(), "{found:?}");
        assert_eq!(found[1].is_stale(), process_alive(1).is_some());
    }
}
