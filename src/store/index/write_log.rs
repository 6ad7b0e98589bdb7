//! The write log of an index that writers trust whole ([`super::Whole`]):
//! rather than rewrite the whole index file for every write (10 MB at
//! 100,000 customers), a writer appends what it changed to `NAME.log`
//! beside it, one record a write: the entries it wrote, the folder's
//! identity after its write, and a digest of what the next write needs of
//! every entry (opaque here: the instance's), so that the next write need
//! neither decode nor rewrite the index file.
//!
//! The log names the index file it extends by that file's header (the
//! folder's identity and the moment it was taken, which no two files
//! share) and the file's own identity ([`Base`]). A log naming another file
//! (a reading command has rebuilt the index since, or the file was changed
//! in place) is ignored, and the next write starts a new one. Each
//! record is a frame with its checksum: a record cut or damaged ends the
//! log there, and what it recorded is then not trusted (its write changed
//! the folder, so the folder's identity no longer matches the last sound
//! record and the write after it brings the index up to date). When the log
//! outgrows a share of the index file, a write folds it into the index.
//!
//! A writer trusts a record while the folder's identity is the one it
//! recorded, as [`super::Whole::names_folder`] does. The record's identity
//! is taken once the clock that stamps file times has passed the folder's
//! time ([`Store::settled_folder`]): on Linux that clock can be read (the
//! coarse real-time clock), so a later change in the folder stamps a later
//! time; this waits one clock tick at most (4 ms here) where otherwise the
//! writer waits out the racy window (20 ms).

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::format::{checked_entry, frame_at, frame_of, sound_frame, Entry, Header};
use super::{now_nanos, racy_folder, Derived, Folder};
use crate::store::{FileKey, Store};

/// The first bytes of a write log: its format.
const LOG_MAGIC: &[u8; 8] = b"DESKL002";

/// What a record of the log says besides its entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(in crate::store) struct Logged {
    /// The folder's identity after the write, and when it was taken.
    pub header: Header,
    /// Whether that identity was taken after the clock that stamps file
    /// times had passed the folder's time ([`Store::settled_folder`]).
    pub exact: bool,
    /// What the index's writers keep of every entry, in their encoding.
    pub digest: Vec<u8>,
}

/// The index file a write log extends: its header (the folder's identity
/// and the moment it was taken, which no two files share) and the file's own
/// identity, so that a file changed in place (damaged, cut, written over by
/// another program) is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(in crate::store) struct Base {
    pub header: Header,
    pub file: FileKey,
}

/// A write log as read: its sound records. A record is a frame whose body
/// is the postcard encoding of [`Logged`], then the frames of the entries
/// the write changed, as [`Derived::frame`] makes them, one after another.
#[derive(Debug)]
pub(in crate::store) struct WriteLog {
    /// The file's bytes up to the end of its last sound record, where the
    /// next one is appended.
    bytes: Vec<u8>,
    /// Every entry's frame in `bytes`, oldest first (a later one for the
    /// same name replaces an earlier one).
    frames: Vec<Range<usize>>,
    /// What its last record says.
    pub last: Logged,
}

impl WriteLog {
    /// The entry in `frame` (one of [`WriteLog::frames`]), if sound.
    pub(in crate::store) fn entry(&self, frame: Range<usize>) -> Option<Entry<'_>> {
        checked_entry(&self.bytes, frame)
    }

    /// Every entry's frame, oldest first.
    pub(in crate::store) fn frames(&self) -> &[Range<usize>] {
        &self.frames
    }

    /// The bytes of frame `frame`.
    pub(in crate::store) fn frame_bytes(&self, frame: Range<usize>) -> &[u8] {
        &self.bytes[frame]
    }

    /// The frames of the entries that hold the bytes of one of `values`,
    /// in order.
    pub(in crate::store) fn frames_holding<'v>(
        &self,
        values: impl IntoIterator<Item = &'v str>,
    ) -> Vec<Range<usize>> {
        let mut held: Vec<Range<usize>> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .flat_map(|v| memchr::memmem::find_iter(&self.bytes, v.as_bytes()))
            .filter_map(|at| {
                let i = self.frames.partition_point(|f| f.end <= at);
                self.frames.get(i).filter(|f| f.start <= at).cloned()
            })
            .collect();
        held.sort_unstable_by_key(|f| f.start);
        held.dedup();
        held
    }

    /// The frame of the newest entry the log holds for file `name`, if any;
    /// `None` inside if an entry that could be one of them (it holds the
    /// name's bytes) is damaged, so the caller trusts none of them.
    pub(in crate::store) fn newest(&self, name: &str) -> Option<Option<Range<usize>>> {
        let mut newest = None;
        for frame in self.frames_holding([name]) {
            match self.entry(frame.clone()) {
                Some(e) if e.name == name => newest = Some(Some(frame)),
                Some(_) => {}
                None => return Some(None),
            }
        }
        newest
    }

    /// Whether the folder, whose identity is `now`, is still as the last
    /// record left it.
    pub(in crate::store) fn names_folder(&self, now: Option<FileKey>) -> bool {
        let header = &self.last.header;
        header.folder.is_some() && header.folder == now && (self.last.exact || !racy_folder(header))
    }
}

/// The clock the kernel stamps file times with, in nanoseconds since the
/// epoch, where it can be read: Linux's coarse real-time clock, which
/// current file times are taken from.
#[cfg(target_os = "linux")]
fn stamp_clock() -> Option<i128> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    (r == 0).then(|| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
}

#[cfg(not(target_os = "linux"))]
fn stamp_clock() -> Option<i128> {
    None
}

/// The moment a write begins, by the clock of [`stamp_clock`], for
/// [`Store::settled_folder`].
pub(in crate::store) fn write_began() -> Option<i128> {
    stamp_clock()
}

/// The longest a folder's time may lie ahead of the stamp clock and still
/// be taken for its stamp (a tick is 1 to 10 ms); further ahead, the times
/// come from another clock (a network file system's server).
const AHEAD_AT_MOST: i128 = 20_000_000;

impl Store {
    fn write_log_path<I: Derived>(&self) -> PathBuf {
        let name = I::FILE.strip_suffix(".bin").unwrap_or(I::FILE);
        self.index_path(&format!("{name}.log"))
    }

    /// Removes index `I`'s write log, if any.
    pub(in crate::store) fn forget_write_log<I: Derived>(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(self.write_log_path::<I>()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Index `I`'s write log, if it extends `base`, is at most `limit`
    /// bytes long and holds at least one sound record.
    pub(in crate::store) fn read_write_log<I: Derived>(
        &self,
        base: &Base,
        limit: u64,
    ) -> Option<WriteLog> {
        let (mut file, len) = super::super::read::open_state(&self.write_log_path::<I>()).ok()?;
        if len > limit {
            return None;
        }
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut file, &mut bytes).ok()?;
        let rest = bytes.strip_prefix(LOG_MAGIC)?;
        let (head, mut at) = sound_frame(rest, 0)?;
        if postcard::from_bytes::<Base>(head).ok().as_ref() != Some(base) {
            return None;
        }
        let mut frames = Vec::new();
        let mut last = None;
        let rest_at = LOG_MAGIC.len();
        // Up to the first record cut or damaged.
        while let Some((body, end)) = sound_frame(rest, at) {
            let Ok((logged, mut entries)) = postcard::take_from_bytes::<Logged>(body) else {
                break;
            };
            let body_at = rest_at + end - body.len();
            let mut record = Vec::new();
            while !entries.is_empty() {
                let Some(frame) = frame_at(entries, 0) else {
                    break;
                };
                let from = body_at + (body.len() - entries.len());
                record.push(from + frame.start..from + frame.end);
                entries = &entries[frame.end..];
            }
            if !entries.is_empty() {
                break;
            }
            frames.extend(record);
            last = Some(logged);
            at = end;
        }
        bytes.truncate(rest_at + at);
        Some(WriteLog {
            bytes,
            frames,
            last: last?,
        })
    }

    /// Appends a record to `log`, unless that would make it longer than
    /// `limit` bytes (the caller folds it into the index instead). Best
    /// effort: a record not written is a record the next write does not
    /// trust.
    pub(in crate::store) fn append_write_log<I: Derived>(
        &self,
        log: &WriteLog,
        logged: &Logged,
        frames: &[&[u8]],
        limit: u64,
    ) -> bool {
        let record = record(logged, frames);
        let end = log.bytes.len() as u64;
        if end + record.len() as u64 > limit {
            return false;
        }
        let path = self.write_log_path::<I>();
        let mut options = super::super::read::guarded_open();
        options.write(true);
        let appended = options.open(&path).and_then(|file| {
            // After its last sound record: a cut record is written over.
            let meta = file.metadata()?;
            if !meta.is_file() || meta.len() < end {
                return Err(std::io::ErrorKind::InvalidData.into());
            }
            file.set_len(end)?;
            let mut file = file;
            use std::io::Seek;
            file.seek(std::io::SeekFrom::Start(end))?;
            file.write_all(&record)
        });
        if appended.is_err() {
            let _ = self.forget_write_log::<I>();
        }
        true
    }

    /// Starts index `I`'s write log anew, extending `base`, with one record:
    /// `frames` and `logged`. Best effort.
    pub(in crate::store) fn start_write_log<I: Derived>(
        &self,
        base: &Base,
        logged: &Logged,
        frames: &[&[u8]],
    ) {
        let head = frame_of(&encode(base));
        let record = record(logged, frames);
        let path = self.write_log_path::<I>();
        let written = super::super::fsio::replace_unsynced(&path, |w| {
            w.write_all(LOG_MAGIC)?;
            w.write_all(&head)?;
            w.write_all(&record)
        });
        if written.is_err() {
            let _ = self.forget_write_log::<I>();
        }
    }

    /// The identity of index `I`'s file for the head of a new log, taken
    /// once the stamp clock has passed the file's time, as
    /// [`Store::settled_folder`] takes a folder's: a change in place within
    /// the same tick as the file's writing could otherwise keep its
    /// identity, and the log would vouch for a changed file. `None` if the
    /// file changed meanwhile or cannot be read.
    pub(in crate::store) fn settled_index_key<I: Derived>(&self) -> Option<FileKey> {
        let key = self.index_key::<I>()?;
        if !stamp_clock_past(key.newest_nanos()) {
            wait_out_racy_window(&key);
        }
        (self.index_key::<I>()? == key).then_some(key)
    }

    /// The identity of folder `F` for a record of a write that began at
    /// `began` ([`write_began`]), taken once the stamp clock has passed the
    /// folder's time, so that any later change stamps a later time: exact.
    /// Where that clock cannot be read, or the folder's time did not come
    /// from it, the identity is taken after the racy window instead, and is
    /// not exact. `None` if the folder cannot be read.
    pub(in crate::store) fn settled_folder<F: Folder>(
        &self,
        began: Option<i128>,
    ) -> Option<(Header, bool)> {
        let folder = self.folder_key::<F>().ok()?;
        if let (Some(key), Some(began)) = (folder, began) {
            // Stamped by this write (not before it began) with that clock.
            let newest = key.newest_nanos();
            if newest >= began && stamp_clock_past(newest) {
                let taken = now_nanos();
                return Some((Header { folder, taken }, true));
            }
        }
        let waited = folder
            .filter(FileKey::has_fine_times)
            .is_some_and(|key| wait_out_racy_window(&key));
        // Taken again after a wait: the folder as it is now.
        let folder = if waited {
            self.folder_key::<F>().ok()?
        } else {
            folder
        };
        Some((
            Header {
                folder,
                taken: now_nanos(),
            },
            false,
        ))
    }
}

/// Waits until the stamp clock has passed `newest` (a file time), so that
/// any later change stamps a later time; at most a tick. `false`, without
/// waiting, if the clock cannot be read or `newest` lies too far ahead of it
/// to have come from it.
fn stamp_clock_past(newest: i128) -> bool {
    let Some(mut now) = stamp_clock().filter(|now| newest <= now + AHEAD_AT_MOST) else {
        return false;
    };
    while now <= newest {
        let wait = (newest - now + 1).clamp(50_000, 1_000_000);
        std::thread::sleep(std::time::Duration::from_nanos(wait as u64));
        let Some(later) = stamp_clock() else {
            return false;
        };
        now = later;
    }
    true
}

/// Waits until the racy window of a file changed at `key`'s time has passed
/// (bounded by the longest window); whether it waited.
fn wait_out_racy_window(key: &FileKey) -> bool {
    let wait = key.newest_nanos() + key.racy_nanos() - now_nanos();
    if wait <= 0 {
        return false;
    }
    let wait = wait.min(super::RACY_NANOS) as u64 + 1_000_000;
    std::thread::sleep(std::time::Duration::from_nanos(wait));
    true
}

/// A record's frame: `logged`, then the entries' `frames`.
fn record(logged: &Logged, frames: &[&[u8]]) -> Vec<u8> {
    let mut body = encode(logged);
    for frame in frames {
        body.extend_from_slice(frame);
    }
    frame_of(&body)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("records serialise")
}
