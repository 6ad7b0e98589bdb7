//! The ticket cache: a [`Summary`] of every ticket file, in one file under
//! `.desk/cache/`, keyed by each file's identity (path, size, modification
//! and change times, inode). Reading commands stat every ticket file, take
//! the summaries of unchanged files from the cache and parse only the rest,
//! on all cores. The cache is never needed for correctness: a missing,
//! stale, corrupt or foreign-version cache is rebuilt silently, and it is
//! replaced atomically, so concurrent commands never see half of one. Each
//! entry carries a checksum; a damaged entry is parsed again from its file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::read::refused_kind;
use super::{parse_ticket, read_file, write_atomic_with, Store};
use crate::error::{Error, Result};
use crate::model::Summary;

/// The first bytes of a cache file: its format. Any other start is rebuilt.
/// Change it whenever `Entry`, `FileKey` or `Summary` change shape, or what
/// a summary holds for the same file (004: a rule's note is no progress).
const MAGIC: &[u8; 8] = b"DESKC004";
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
/// The same on a file system with sub-second times ([`FileKey::racy_nanos`]).
const FINE_RACY_NANOS: i128 = 20_000_000;

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

    /// How close to a change a snapshot must not be trusted: a file system
    /// whose times carry fractions of a second (ext4, xfs, btrfs, APFS)
    /// stamps from a clock that ticks every 10 ms at most (the kernel's coarse
    /// clock at HZ=100), so 20 ms is enough; times in whole seconds (FAT, HFS+, ext3)
    /// get the full [`racy_nanos`]. A fine time that happens to fall on a
    /// whole second only costs the longer window.
    pub(super) fn racy_nanos(&self) -> i128 {
        if self.has_fine_times() {
            FINE_RACY_NANOS.min(racy_nanos())
        } else {
            racy_nanos()
        }
    }

    /// Whether the file system stamps fractions of a second.
    pub(super) fn has_fine_times(&self) -> bool {
        self.mtime.1 != 0 || self.ctime.1 != 0
    }

    /// The later of the modification and change times, in nanoseconds.
    pub(super) fn newest_nanos(&self) -> i128 {
        let nanos = |(s, n): (i64, u32)| i128::from(s) * 1_000_000_000 + i128::from(n);
        nanos(self.mtime).max(nanos(self.ctime))
    }
}

/// One cached file. The cache is `MAGIC` followed by entries in path
/// order, each framed as the body's length (u32, little-endian), its
/// [`checksum`] (u64, little-endian) and the postcard-encoded body, so it
/// can be read and verified one entry at a time.
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

/// The bytes of an entry's frame before its body: length and checksum.
const HEADER: usize = 4 + 8;

/// Encodes an entry with its frame.
fn frame(entry: &EntryRef) -> Vec<u8> {
    let mut bytes = postcard::to_extend(entry, vec![0; HEADER]).expect("summaries serialise");
    let body = &bytes[HEADER..];
    let len = u32::try_from(body.len()).expect("an entry is far below 4 GiB");
    let sum = checksum(body);
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    bytes[4..HEADER].copy_from_slice(&sum.to_le_bytes());
    bytes
}

/// A 64-bit checksum of an entry's body, eight bytes a step. Each step is a
/// bijection of the state (xor the word, multiply by an odd constant,
/// rotate), so damage confined to one 8-byte word always changes the sum,
/// and other damage goes unnoticed with a chance of about 2^-64. Written
/// here rather than taken from a crate: it is ten lines, runs at several
/// GB/s, and need not resist an attacker (who could edit the ticket files
/// themselves). The length seeds the state, so zero padding is not ambiguous.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |h: u64, word: u64| (h ^ word).wrapping_mul(K).rotate_left(29);
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x2545_F491_4F6C_DD1D;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h = step(h, u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = step(h, u64::from_le_bytes(tail));
    // A final mix (SplitMix64's), so nearby inputs give unrelated sums.
    h ^= h >> 30;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// Decodes entries one at a time, each with its byte range in the file
/// (frame included). An entry whose checksum or body is bad is skipped (its
/// file is then parsed and the cache rewritten); a frame that runs past the
/// end stops the reading.
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
        loop {
            let rest = &self.whole[self.at..];
            let header = rest.get(..HEADER)?;
            let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
            let sum = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
            let Some(body) = rest.get(HEADER..HEADER + len) else {
                self.at = self.whole.len();
                return None;
            };
            let start = self.at;
            self.at += HEADER + len;
            if checksum(body) != sum {
                continue;
            }
            match postcard::from_bytes::<Entry>(body) {
                Ok(entry) => return Some((entry, start..self.at)),
                Err(_) => continue,
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
    /// No link is followed: an entry named `.yaml` that is not a regular
    /// file, and any symbolic link (to a month folder, say), is listed
    /// without an identity, so it is never cached and reading it reports it;
    /// a linked `tickets/` itself is an error.
    pub(super) fn ticket_files_keyed(&self) -> Result<Vec<(String, Option<FileKey>)>> {
        use std::sync::{Condvar, Mutex};
        let root = self.tickets_dir();
        super::read::real_dirs(&self.root, Path::new("tickets"))?;
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
        let results: Mutex<Vec<(String, Option<FileKey>)>> = Mutex::new(Vec::new());
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
                let (rel, key) = &files[i];
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
        let files: Vec<_> = files
            .into_iter()
            .filter_map(|(p, k)| Some((p, k?)))
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

/// Reads one directory: its ticket files with their identity, its subdirectories.
fn list_dir(
    dir: &Path,
    rel: &str,
    files: &mut Vec<(String, Option<FileKey>)>,
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
        // The file type is the entry's own: a link is not followed.
        if file_type.is_dir() && !name.ends_with(".yaml") {
            subdirs.push((entry.path(), path));
        } else if file_type.is_symlink() || name.ends_with(".yaml") {
            let key = if refused_kind(&file_type).is_none() {
                // DirEntry::metadata stats relative to the open directory.
                let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
                Some(FileKey::of(&meta))
            } else {
                None
            };
            files.push((path, key));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_bit_flip_changes_the_checksum() {
        let bytes: Vec<u8> = (0..45u8).map(|i| i.wrapping_mul(37)).collect();
        let sum = checksum(&bytes);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(checksum(&damaged), sum, "bit {bit}");
        }
        // Zero padding of the last word does not hide a shorter input.
        assert_ne!(checksum(&[1, 0]), checksum(&[1]));
        assert_ne!(checksum(&[]), checksum(&[0]));
    }

    #[test]
    fn a_damaged_entry_is_skipped_and_the_next_one_read() {
        let t0 = crate::model::Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let ticket = crate::model::Ticket::create(
            "CW202611020001".into(),
            crate::model::NewTicket {
                ..crate::model::NewTicket::sample()
            },
            t0,
            "li.na",
        );
        let summary = Summary::of(&ticket);
        let key = FileKey {
            size: 1,
            mtime: (2, 3),
            ctime: (4, 5),
            inode: 6,
        };
        let mut file = MAGIC.to_vec();
        let mut ranges = Vec::new();
        for path in ["a.yaml", "b.yaml", "c.yaml"] {
            let start = file.len();
            file.extend(frame(&EntryRef {
                path,
                key: &key,
                summary: &summary,
            }));
            ranges.push(start..file.len());
        }
        let paths = |bytes: &[u8]| Entries::of(bytes).map(|(e, _)| e.path).collect::<Vec<_>>();
        assert_eq!(paths(&file), ["a.yaml", "b.yaml", "c.yaml"]);
        // Damage in b's body or checksum: b is skipped, c still read.
        for at in [
            ranges[1].start + 4,
            ranges[1].start + HEADER + 3,
            ranges[1].end - 1,
        ] {
            let mut damaged = file.clone();
            damaged[at] ^= 0x10;
            assert_eq!(paths(&damaged), ["a.yaml", "c.yaml"], "byte {at}");
        }
        // A length running past the end stops the reading.
        let mut damaged = file.clone();
        damaged[ranges[2].start + 3] = 0xff;
        assert_eq!(paths(&damaged), ["a.yaml", "b.yaml"]);
    }
}
