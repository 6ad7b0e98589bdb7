//! The ticket cache: a [`Summary`] of every ticket file, in one file under
//! `.desk/cache/`, keyed by each file's identity (path, size, modification
//! and change times, inode). Reading commands stat every ticket file, take
//! the summaries of unchanged files from the cache and parse only the rest,
//! on all cores. The cache is never needed for correctness: a missing,
//! stale, corrupt or foreign-version cache is rebuilt silently, and it is
//! replaced atomically, so concurrent commands never see half of one. Each
//! entry carries a checksum; a damaged entry is parsed again from its file.

mod format;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use self::format::{frame, Entries, EntryRef, MAGIC};
use super::{parse_ticket, read_file, write_atomic_with, Store};
use crate::error::{Error, Result};
use crate::model::Summary;

const CACHE_FILE: &str = "tickets.bin";
/// Files modified this close to the moment their summary was taken are not
/// cached: a second write within the file system's timestamp granularity
/// could leave the same size and times (git's "racily clean" problem).
/// Read through [`racy_nanos`].
const RACY_NANOS: i128 = 2_000_000_000;
/// Shortens [`RACY_NANOS`] (milliseconds, 0 to 2000), for tests that need
/// files to count as settled at once instead of sleeping two seconds. Any
/// other value keeps the default: the variable can cost speed, never safety
/// beyond what the tests ask for.
const RACY_WINDOW_VAR: &str = "DESK_RACY_WINDOW_MS";

/// The window of [`RACY_NANOS`], or the shorter one `DESK_RACY_WINDOW_MS` sets.
pub(super) fn racy_nanos() -> i128 {
    static WINDOW: std::sync::OnceLock<i128> = std::sync::OnceLock::new();
    *WINDOW.get_or_init(|| {
        std::env::var(RACY_WINDOW_VAR)
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .map(|ms| i128::from(ms) * 1_000_000)
            .filter(|&n| n <= RACY_NANOS)
            .unwrap_or(RACY_NANOS)
    })
}

/// The same on a file system with sub-second times ([`super::FileKey::racy_nanos`]).
pub(super) const FINE_RACY_NANOS: i128 = 20_000_000;

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
    /// Of [`Store::placed_summaries_where`]: the tickets `keep` wanted
    /// whose file is not at their ID's place (the path shown to people),
    /// left out of `summaries`.
    pub misplaced: Vec<(PathBuf, Summary)>,
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

    /// The cache file's bytes, if it exists and has this build's format.
    fn read_cache(&self) -> Vec<u8> {
        match super::read::read_state(&self.cache_path()) {
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
        if let Some(revision) = self.revision() {
            return revision.summaries(keep);
        }
        self.scan_summaries(use_cache, false, keep)
    }

    /// [`Store::summaries_where`] for a command that writes to the tickets
    /// it keeps (`desk run`): a ticket whose file is not at its ID's place
    /// (another ID than the file's name, or no ticket ID at all) goes to
    /// `misplaced` instead, since desk reads and writes a ticket at its
    /// ID's place.
    pub fn placed_summaries_where(
        &self,
        keep: impl Fn(&Summary) -> bool + Sync,
    ) -> Result<SummaryScan> {
        self.writable()?;
        self.scan_summaries(true, true, keep)
    }

    fn scan_summaries(
        &self,
        use_cache: bool,
        check_places: bool,
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
        for (i, (found, key)) in files.iter().enumerate() {
            let rel = &found.rel;
            while cached.peek().is_some_and(|(e, _)| e.path < *rel) {
                cached.next();
                stale = true;
            }
            match cached.next_if(|(e, _)| e.path == *rel) {
                Some((e, bytes)) if Some(e.key) == *key => {
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
                let (found, key) = &files[i];
                let rel = &found.rel;
                let path = self.tickets_dir().join(rel);
                let shown = self.display_path(&path);
                let summary = Summary::of(&parse_ticket(&read_file(&path, shown)?, shown)?);
                let entry = key
                    .filter(|key| key.newest_nanos() < started - racy_nanos())
                    .map(|key| {
                        frame(&EntryRef {
                            path: rel,
                            key: &key,
                            summary: &summary,
                        })
                    });
                Ok((summary, entry))
            });
            for (&i, result) in batch.iter().zip(results) {
                match result {
                    Ok((summary, entry)) => {
                        // A file too recent to cache adds nothing to the
                        // cache: no rewrite for it (a stale entry of its
                        // path is refused by its key anyway).
                        if let Some(bytes) = entry {
                            sources[i] = Source::Fresh(fresh.len());
                            fresh.push(bytes);
                            stale = true;
                        }
                        if keep(&summary) {
                            kept.push((i, summary));
                        }
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
        let mut misplaced = Vec::new();
        if check_places {
            let (placed, elsewhere): (Vec<_>, Vec<_>) = kept.into_iter().partition(|(i, s)| {
                let rel = Path::new("tickets").join(&files[*i].0.rel);
                crate::model::TicketId::parse(&s.id).is_some_and(|id| id.relative_path() == rel)
            });
            kept = placed;
            misplaced = elsewhere
                .into_iter()
                .map(|(i, s)| {
                    let path = self.tickets_dir().join(&files[i].0.rel);
                    (self.display_path(&path).to_path_buf(), s)
                })
                .collect();
        }
        Ok(SummaryScan {
            summaries: kept.into_iter().map(|(_, s)| s).collect(),
            errors,
            parsed: to_parse.len(),
            misplaced,
        })
    }

    /// Writes the new cache in path order from the old cache's bytes and
    /// the freshly encoded entries. Best effort: a read-only or full disk
    /// costs speed, not correctness.
    fn write_cache(&self, old: &[u8], fresh: &[Vec<u8>], sources: &[Source]) {
        if let Some(dir) = self.cache_path().parent() {
            self.sweep_before_write(dir, None);
        }
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
        let keys: HashMap<String, super::FileKey> = Entries::of(&contents)
            .map(|(e, _)| (e.path, e.key))
            .collect();
        let files = self.ticket_files_keyed()?;
        let files: Vec<_> = files
            .into_iter()
            .filter_map(|(f, k)| Some((f.rel, k?)))
            .collect();
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
