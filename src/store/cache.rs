//! The ticket cache: a [`Summary`] of every ticket file, in one file under
//! `.desk/cache/`, keyed by each file's identity (path, size, modification
//! and change times, inode). Reading commands stat every ticket file, take
//! the summaries of unchanged files from the cache and parse only the rest,
//! on all cores. The cache is never needed for correctness: a missing,
//! stale, corrupt or foreign-version cache is rebuilt silently, and it is
//! replaced atomically, so concurrent commands never see half of one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{parse_ticket, read_to_string, write_atomic_with, Store};
use crate::error::{Error, Result};
use crate::model::Summary;

/// The first bytes of a cache file: its format. Any other start is rebuilt.
/// Change it whenever `Entry`, `FileKey` or `Summary` change shape.
const MAGIC: &[u8; 8] = b"DESKC002";
const CACHE_FILE: &str = "tickets.bin";
/// Files modified this close to the moment their summary was taken are not
/// cached: a second write within the file system's timestamp granularity
/// could leave the same size and times (git's "racily clean" problem).
pub(super) const RACY_NANOS: i128 = 2_000_000_000;

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileKey {
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
    pub inode: u64,
}

impl FileKey {
    pub fn of(meta: &std::fs::Metadata) -> FileKey {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileKey {
                size: meta.size(),
                mtime: (meta.mtime(), meta.mtime_nsec() as u32),
                ctime: (meta.ctime(), meta.ctime_nsec() as u32),
                inode: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let since = |t: std::io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos()))
            };
            FileKey {
                size: meta.len(),
                mtime: since(meta.modified()),
                ctime: since(meta.created()),
                inode: 0,
            }
        }
    }

    /// The later of the modification and change times, in nanoseconds.
    pub(super) fn newest_nanos(&self) -> i128 {
        let nanos = |(s, n): (i64, u32)| i128::from(s) * 1_000_000_000 + i128::from(n);
        nanos(self.mtime).max(nanos(self.ctime))
    }
}

/// One cached file. The cache is `MAGIC` followed by entries in path
/// order, each postcard-encoded, so it can be read one entry at a time.
#[derive(Debug, Deserialize)]
struct Entry {
    /// Relative to `tickets/`, with `/` separators.
    path: String,
    key: FileKey,
    summary: Summary,
}

/// The same, borrowed, for writing.
#[derive(Serialize)]
struct EntryRef<'a> {
    path: &'a str,
    key: &'a FileKey,
    summary: &'a Summary,
}

/// Decodes entries one at a time, each with its byte range in the file, and
/// silently stops at the first damaged one (the rest is then parsed from the
/// files and the cache rewritten).
struct Entries<'a> {
    whole: &'a [u8],
    at: usize,
}

impl<'a> Entries<'a> {
    /// The entries of a cache file's bytes (as `read_cache` returns them).
    fn of(bytes: &'a [u8]) -> Entries<'a> {
        Entries {
            whole: bytes,
            at: MAGIC.len().min(bytes.len()),
        }
    }
}

impl Iterator for Entries<'_> {
    type Item = (Entry, std::ops::Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.whole[self.at..];
        if rest.is_empty() {
            return None;
        }
        match postcard::take_from_bytes::<Entry>(rest) {
            Ok((entry, after)) => {
                let start = self.at;
                self.at = self.whole.len() - after.len();
                Some((entry, start..self.at))
            }
            Err(_) => {
                self.at = self.whole.len();
                None
            }
        }
    }
}

/// Where a file's entry in the new cache comes from.
enum Source {
    /// Unchanged: these bytes of the old cache.
    Cached(std::ops::Range<usize>),
    /// Parsed now: this freshly encoded entry.
    Fresh(usize),
    /// Unreadable, or changed too recently to cache.
    Missing,
}

/// Every ticket's summary, every unreadable file, and how the cache served.
#[derive(Debug, Default)]
pub struct SummaryScan {
    pub summaries: Vec<Summary>,
    pub errors: Vec<Error>,
    /// How many files had to be parsed (the rest came from the cache).
    pub parsed: usize,
}

impl SummaryScan {
    /// Fails with one error naming every unreadable file, if there were any.
    /// Commands call it after printing what they could read.
    pub fn into_result(&mut self) -> Result<()> {
        Error::all(std::mem::take(&mut self.errors))
    }
}

/// What `desk cache stats` reports.
#[derive(Debug)]
pub struct CacheStats {
    pub path: PathBuf,
    pub bytes: Option<u64>,
    pub entries: usize,
    pub files: usize,
    pub fresh: usize,
}

impl Store {
    pub fn cache_path(&self) -> PathBuf {
        self.state_dir().join("cache").join(CACHE_FILE)
    }

    /// Every ticket file under `tickets/` (any depth, not starting with
    /// `.`, ending `.yaml`) with its path relative to `tickets/` and its
    /// identity, sorted by that path. Directories are read on all cores, and
    /// each file is stat'ed relative to its open directory, as `find` does.
    fn ticket_files_keyed(&self) -> Result<Vec<(String, FileKey)>> {
        use std::sync::{Condvar, Mutex};
        let root = self.tickets_dir();
        if !root.is_dir() {
            return Ok(Vec::new());
        }
        struct Work {
            dirs: Vec<(PathBuf, String)>,
            busy: usize,
        }
        let work = Mutex::new(Work {
            dirs: vec![(root, String::new())],
            busy: 0,
        });
        let wake = Condvar::new();
        let results: Mutex<Vec<(String, FileKey)>> = Mutex::new(Vec::new());
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..crate::parallel::threads() {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    loop {
                        let (dir, rel) = {
                            let mut w = work.lock().expect("walk lock");
                            loop {
                                if let Some(next) = w.dirs.pop() {
                                    w.busy += 1;
                                    break next;
                                }
                                if w.busy == 0 {
                                    wake.notify_all();
                                    drop(w);
                                    results.lock().expect("results").append(&mut found);
                                    return;
                                }
                                w = wake.wait(w).expect("walk lock");
                            }
                        };
                        let mut subdirs = Vec::new();
                        if let Err(e) = list_dir(&dir, &rel, &mut found, &mut subdirs) {
                            failure.lock().expect("failure").get_or_insert(e);
                        }
                        let mut w = work.lock().expect("walk lock");
                        w.dirs.extend(subdirs);
                        w.busy -= 1;
                        wake.notify_all();
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().expect("failure") {
            return Err(e);
        }
        let mut files = results.into_inner().expect("results");
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// The cache file's bytes, if it exists and has this build's format.
    fn read_cache(&self) -> Vec<u8> {
        match std::fs::read(self.cache_path()) {
            Ok(bytes) if bytes.starts_with(MAGIC) => bytes,
            _ => Vec::new(),
        }
    }

    /// The summaries of the tickets `keep` wants, from the cache where the
    /// file is unchanged, parsed otherwise; the cache is brought up to date.
    /// The others are dropped as soon as they are read, so memory holds
    /// what the command needs, not the whole store. `use_cache: false`
    /// parses every file (and still writes a fresh cache).
    pub fn summaries_where(
        &self,
        use_cache: bool,
        keep: impl Fn(&Summary) -> bool + Sync,
    ) -> Result<SummaryScan> {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let files = self.ticket_files_keyed()?;
        let old = if use_cache {
            self.read_cache()
        } else {
            Vec::new()
        };
        // Both the files and the cache are sorted by path: walk them side by
        // side. An unchanged file's entry is decoded, its summary kept or
        // dropped, and its bytes remembered for the new cache.
        let mut cached = Entries::of(&old).peekable();
        let mut sources: Vec<Source> = Vec::with_capacity(files.len());
        let mut kept: Vec<(usize, Summary)> = Vec::new();
        let mut to_parse: Vec<usize> = Vec::new();
        let mut stale = false;
        for (i, (rel, key)) in files.iter().enumerate() {
            while cached.peek().is_some_and(|(e, _)| e.path < *rel) {
                cached.next();
                stale = true;
            }
            match cached.next_if(|(e, _)| e.path == *rel) {
                Some((e, bytes)) if e.key == *key => {
                    if keep(&e.summary) {
                        kept.push((i, e.summary));
                    }
                    sources.push(Source::Cached(bytes));
                }
                _ => {
                    sources.push(Source::Missing);
                    to_parse.push(i);
                }
            }
        }
        stale |= cached.next().is_some();

        // Parse the rest in batches on all cores; each parsed file becomes
        // its cache entry's bytes at once (unless it changed too recently
        // to trust) and its summary is kept only if wanted.
        let mut errors = Vec::new();
        let mut fresh: Vec<Vec<u8>> = Vec::new();
        for batch in to_parse.chunks(4096) {
            let results = crate::parallel::map(batch, |&i| {
                let (rel, key) = &files[i];
                let path = self.tickets_dir().join(rel);
                let text = read_to_string(&path)?;
                let summary = Summary::of(&parse_ticket(&text, self.display_path(&path))?);
                let entry = (key.newest_nanos() < started - RACY_NANOS).then(|| {
                    postcard::to_allocvec(&EntryRef {
                        path: rel,
                        key,
                        summary: &summary,
                    })
                    .expect("summaries serialise")
                });
                Ok((summary, entry))
            });
            for (&i, result) in batch.iter().zip(results) {
                match result {
                    Ok((summary, entry)) => {
                        if let Some(bytes) = entry {
                            sources[i] = Source::Fresh(fresh.len());
                            fresh.push(bytes);
                        }
                        if keep(&summary) {
                            kept.push((i, summary));
                        }
                        stale = true;
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        if stale {
            self.write_cache(&old, &fresh, &sources);
        }
        drop(old);
        kept.sort_unstable_by_key(|(i, _)| *i);
        Ok(SummaryScan {
            summaries: kept.into_iter().map(|(_, s)| s).collect(),
            errors,
            parsed: to_parse.len(),
        })
    }

    /// Writes the new cache in path order from the old cache's bytes and
    /// the freshly encoded entries. Best effort: a read-only or full disk
    /// costs speed, not correctness.
    fn write_cache(&self, old: &[u8], fresh: &[Vec<u8>], sources: &[Source]) {
        let _ = write_atomic_with(&self.cache_path(), |w| {
            w.write_all(MAGIC)?;
            for source in sources {
                match source {
                    Source::Cached(range) => w.write_all(&old[range.clone()])?,
                    Source::Fresh(i) => w.write_all(&fresh[*i])?,
                    Source::Missing => {}
                }
            }
            Ok(())
        });
    }

    pub fn cache_stats(&self) -> Result<CacheStats> {
        let path = self.cache_path();
        let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
        let contents = self.read_cache();
        let keys: HashMap<String, FileKey> = Entries::of(&contents)
            .map(|(e, _)| (e.path, e.key))
            .collect();
        let files = self.ticket_files_keyed()?;
        let fresh = files.iter().filter(|(p, k)| keys.get(p) == Some(k)).count();
        Ok(CacheStats {
            path,
            bytes,
            entries: keys.len(),
            files: files.len(),
            fresh,
        })
    }

    pub fn clear_cache(&self) -> Result<bool> {
        let path = self.cache_path();
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// Reads one directory: its ticket files with their identity, its subdirectories.
fn list_dir(
    dir: &Path,
    rel: &str,
    files: &mut Vec<(String, FileKey)>,
    subdirs: &mut Vec<(PathBuf, String)>,
) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let path = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        if file_type.is_dir() {
            subdirs.push((entry.path(), path));
        } else if file_type.is_file() && name.ends_with(".yaml") {
            // DirEntry::metadata stats relative to the open directory.
            let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
            files.push((path, FileKey::of(&meta)));
        }
    }
    Ok(())
}
