//! Derived indexes: local files under `.desk/cache/` that hold, for every
//! file of a folder of the store, a record derived from it (a ticket's
//! [`Summary`](crate::model::Summary), a customer's identifying values...),
//! so that a command reads the records instead of parsing every file.
//!
//! An index is an instance of [`Derived`]: the folder it derives from
//! ([`Folder`]: how to list and parse its files), the record type, how to
//! derive a record from one parsed file, and (by default through postcard)
//! how to encode and decode one. This module does the rest, the same way for
//! every index:
//! - each entry is keyed by its file's identity ([`FileKey`]: size, times,
//!   inode) and name; a refresh stats every file, reuses the entries of
//!   unchanged files and parses each changed file once, on all cores,
//!   feeding every index of that refresh ([`Derived::companions`]);
//! - files changed within the racy window are never trusted by their
//!   identity (a second write in the same timestamp tick could keep it);
//! - each entry carries a checksum, the file a trailer with the count: a
//!   damaged entry is parsed again, a damaged, missing or foreign-version
//!   file rebuilt, without a word (the format is in `format.rs`);
//! - files are replaced atomically (a temporary file renamed over it), so
//!   concurrent commands never read half of one: racing readers each write
//!   a whole, correct index and the last rename wins. Writers that trust an
//!   index without a stat of each file ([`Derived::COMPLETE`], [`Whole`])
//!   hold their folder's lock.
//!
//! Instances: the ticket cache (`tickets.rs`), the Message-IDs of mail
//! received (`message_ids.rs`), the customer index (two files,
//! `store/customer_index.rs`). The workload index (`workload.rs`) and the
//! search index (`search.rs`) are kept per folder of `tickets/` instead
//! (`folders.rs`), verified without a stat of each file. `desk cache`
//! covers every instance of `registry()` and `per_folder()`;
//! docs/architecture.md says how to add one.
//!
//! This file is the mechanism: the traits, the refresh and the file's
//! reading and writing; `whole.rs` the whole-index view of a writer,
//! `cache.rs` what `desk cache` does over every index.

mod cache;
mod folders;
mod format;
mod message_ids;
mod plan;
mod search;
mod tickets;
mod whole;
mod workload;
mod write_log;

use crate::store::read::OpenFolder;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub(super) use self::cache::per_folder;
pub use self::cache::{CacheStats, Rebuilt};
pub(crate) use self::format::Entry;
pub(super) use self::format::{checked_entry, Header};
use self::format::{entry_frame, verified_entry, write_head, write_trailer, EncodeRecord};
pub(in crate::store) use self::plan::Old;
use self::plan::Plan;
pub use self::search::{summary_of_meta, SearchSegments};
pub use self::tickets::SummaryScan;
pub(super) use self::tickets::TicketCache;
pub(super) use self::whole::Whole;
pub use self::workload::{AgentLoad, Fact, Workload};
pub(super) use self::write_log::{write_began, Base, Logged, WriteLog};
use super::read::Held;
use super::{FileKey, Store};
use crate::error::{Error, Result};

/// Files modified this close to the moment their record was taken are not
/// trusted by their identity: a second write within the file system's
/// timestamp granularity could leave the same size and times (git's "racily
/// clean" problem). Read through [`racy_nanos`].
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
pub(super) const FINE_RACY_NANOS: i128 = 20_000_000;

pub(super) fn now_nanos() -> i128 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    #[cfg(test)]
    let now = now + tests::LATER.with(std::cell::Cell::get);
    now
}

/// Whether a file of identity `key` had settled at `started`: changed
/// before the racy window, so that its identity alone tells it unchanged.
fn settled(key: &FileKey, started: i128) -> bool {
    key.newest_nanos() < started - racy_nanos()
}

/// One file of a folder, as listed.
#[derive(Debug)]
pub(super) struct Listed {
    /// The name an index keys it by, unique in the folder; the listing is
    /// sorted by it.
    pub name: String,
    /// The inode number the directory lists (no `stat`).
    pub ino: u64,
    /// Its identity, if stat'ed and if it may be indexed at all (a link,
    /// say, is parsed every time, which reports it).
    pub key: Option<FileKey>,
}

impl Listed {
    /// A file a walk found. A link or anything else but a regular file has
    /// no identity: it is never indexed, and reading it reports it.
    pub(super) fn of(found: super::walk::Found) -> Listed {
        Listed {
            key: found.key.filter(|_| found.regular),
            ino: found.ino,
            name: found.rel,
        }
    }
}

/// A folder of the store that indexes derive from.
pub(super) trait Folder {
    /// What one parse of a file gives, shared by the indexes of a refresh.
    type Parsed;
    /// The folder, relative to the store's root.
    const DIR: &'static str;
    /// Every file, sorted by name; `stat`: each with its identity.
    fn files(store: &Store, stat: bool) -> Result<Vec<Listed>>;
    /// Every file with its identity, as [`Folder::files`] lists them, given
    /// to `each` a run at a time, in order: a folder of many files lists
    /// them a sub-folder at a time, so that a refresh holds one run.
    fn runs(store: &Store, each: &mut dyn FnMut(Vec<Listed>)) -> Result<()> {
        each(Self::files(store, true)?);
        Ok(())
    }
    /// Reads and parses one file; `open` keeps the folder the run's reads
    /// last opened.
    fn parse(store: &Store, name: &str, open: &OpenFolder) -> Result<Self::Parsed>;
}

/// The parsed file of an index's folder.
pub(super) type Parsed<I> = <<I as Derived>::Folder as Folder>::Parsed;

/// A derived index: one record per file of a folder. An instance says what
/// it derives and from what; see the module's documentation for the rest.
pub(super) trait Derived: 'static {
    type Folder: Folder;
    type Record: Serialize + DeserializeOwned + Send;
    /// Its name in `desk cache stats`.
    const NAME: &'static str;
    /// Its file in `.desk/cache/`.
    const FILE: &'static str;
    /// The first bytes of its file: the format. Change it whenever the
    /// record's encoding, or what it holds for the same file, changes: an
    /// old file is then rebuilt.
    const MAGIC: &'static [u8; 8];
    /// Whether the index names every file, even one changed within the
    /// racy window or unreadable (with no record), so that a writer under
    /// the folder's lock can trust it whole while the folder's own identity
    /// is unchanged ([`Whole`]). Otherwise such files are left out, and a
    /// refresh that only meets them writes nothing.
    const COMPLETE: bool = false;

    /// The record of one parsed file.
    fn derive(parsed: &Parsed<Self>) -> Self::Record;

    fn encode(record: &Self::Record, out: &mut Vec<u8>) {
        *out = postcard::to_extend(record, std::mem::take(out)).expect("records serialise");
    }

    fn decode(bytes: &[u8]) -> Option<Self::Record> {
        postcard::from_bytes(bytes).ok()
    }

    /// Other indexes of the same folder that a refresh of this one brings
    /// up to date too, from the same parse of each changed file.
    fn companions() -> &'static [&'static dyn Slot<Parsed<Self>>] {
        &[]
    }

    /// An entry's frame for a file whose identity is `key`, taken at
    /// `started` (nanoseconds since the epoch).
    fn frame(name: &str, key: &FileKey, started: i128, record: Option<&Self::Record>) -> Vec<u8> {
        let encode = record.map(|r| move |out: &mut Vec<u8>| Self::encode(r, out));
        let encode = encode.as_ref().map(|e| e as EncodeRecord);
        entry_frame(name, key, settled(key, started), encode).0
    }
}

/// An index without its record type: what a refresh needs of a companion.
pub(super) trait Slot<P>: Sync {
    fn file(&self) -> &'static str;
    fn magic(&self) -> &'static [u8; 8];
    fn complete(&self) -> bool;
    /// [`Derived::frame`] of a parsed file (`None`: unreadable).
    fn frame(&self, name: &str, key: &FileKey, started: i128, parsed: Option<&P>) -> Vec<u8>;
}

/// The [`Slot`] of an instance.
pub(super) struct Of<I>(PhantomData<fn() -> I>);

impl<I> Of<I> {
    pub(super) const SLOT: Of<I> = Of(PhantomData);
}

impl<I: Derived> Slot<Parsed<I>> for Of<I> {
    fn file(&self) -> &'static str {
        I::FILE
    }
    fn magic(&self) -> &'static [u8; 8] {
        I::MAGIC
    }
    fn complete(&self) -> bool {
        I::COMPLETE
    }
    fn frame(
        &self,
        name: &str,
        key: &FileKey,
        started: i128,
        parsed: Option<&Parsed<I>>,
    ) -> Vec<u8> {
        I::frame(name, key, started, parsed.map(I::derive).as_ref())
    }
}

/// Whether a header's folder identity could hide a later change: it
/// changed within the racy window of the moment it was taken.
fn racy_folder(header: &Header) -> bool {
    header
        .folder
        .is_none_or(|d| d.newest_nanos() >= header.taken - d.racy_nanos())
}

/// What a refresh shows each readable file's record to: its position in
/// the folder's listing, its name, the record.
type Visit<'a, R> = &'a mut dyn FnMut(usize, &str, R);

/// What a refresh did.
#[derive(Debug, Default)]
pub(super) struct Refreshed {
    /// How many files were parsed (the rest came from the index).
    pub parsed: usize,
    /// The files that could not be read.
    pub errors: Vec<Error>,
    /// The index's new file, if asked to hold it.
    pub held: Option<Vec<u8>>,
}

impl Store {
    fn index_path(&self, file: &str) -> PathBuf {
        self.state_dir().join("cache").join(file)
    }

    /// The file of index `I`, if it has this build's format, mapped into
    /// memory ([`super::read::map_state`]).
    /// The file's identity when mapped comes with it.
    pub(super) fn map_index<I: Derived>(&self) -> (Held, Option<FileKey>) {
        match super::read::map_state(&self.index_path(I::FILE)) {
            Ok((bytes, key)) if bytes.starts_with(I::MAGIC) => (bytes, Some(key)),
            _ => (Held::Owned(Vec::new()), None),
        }
    }

    /// The identity of index `I`'s file as it is now, if it is a regular
    /// file.
    pub(super) fn index_key<I: Derived>(&self) -> Option<FileKey> {
        let meta = std::fs::symlink_metadata(self.index_path(I::FILE)).ok()?;
        meta.is_file().then(|| FileKey::of(&meta))
    }

    /// An index file, open to be read a chunk at a time by a refresh
    /// ([`Old::Nothing`] when there is none, or it is not a regular file).
    fn open_index_file(&self, file: &str) -> Old<'static> {
        match super::read::open_state(&self.index_path(file)) {
            Ok((f, len)) => Old::File(f, len),
            Err(_) => Old::Nothing,
        }
    }

    /// The file of index `I`, for [`Store::refresh`].
    pub(super) fn open_index<I: Derived>(&self) -> Old<'static> {
        self.open_index_file(I::FILE)
    }

    /// The identity of a folder of the store, if it exists.
    pub(super) fn folder_key<F: Folder>(&self) -> Result<Option<FileKey>> {
        let dir = self.root.join(F::DIR);
        match std::fs::metadata(&dir) {
            Ok(meta) => Ok(Some(FileKey::of(&meta))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(dir, e)),
        }
    }

    /// Writes an index file from its entries' frames, in name order, as a
    /// writer holding the whole index does ([`Whole`]). Best effort (an
    /// index is rebuilt whenever in doubt), and not synced: a torn file
    /// fails its checksums.
    fn write_index<'a>(
        &self,
        file: &str,
        magic: &[u8; 8],
        header: &Header,
        frames: impl Iterator<Item = &'a [u8]>,
    ) {
        let path = self.index_path(file);
        let _ = super::fsio::replace_unsynced(&path, |w| {
            write_head(w, magic, header)?;
            let mut count = 0;
            for frame in frames {
                w.write_all(frame)?;
                count += 1;
            }
            write_trailer(w, count)
        });
    }

    /// Brings index `I` (and its companions) up to date with its folder: a
    /// stat of every file, the entries of unchanged files reused, each
    /// changed file parsed once (on all cores, in batches) for all of them.
    /// `visit` sees every readable file's record, by position in the
    /// folder's listing and name, in no particular order; reused records
    /// are decoded one at a time, so memory holds what `visit` keeps. The
    /// folder is listed a run at a time ([`Folder::runs`]), the old files
    /// are read a chunk at a time and the new ones written as the refresh
    /// goes, so memory holds none of them whole.
    /// `old`: `I`'s file ([`Store::open_index`]), or [`Old::Nothing`] to
    /// parse every file. `hold`: return `I`'s new file too.
    pub(super) fn refresh<I: Derived>(
        &self,
        old: Old<'_>,
        hold: bool,
        mut visit: impl FnMut(usize, &str, I::Record),
    ) -> Result<Refreshed> {
        self.refresh_visiting::<I>(old, hold, Some(&mut visit))
    }

    /// [`Store::refresh`] when no record is wanted (none is decoded).
    pub(super) fn refresh_quietly<I: Derived>(
        &self,
        old: Old<'_>,
        hold: bool,
    ) -> Result<Refreshed> {
        self.refresh_visiting::<I>(old, hold, None)
    }

    fn refresh_visiting<I: Derived>(
        &self,
        old: Old<'_>,
        hold: bool,
        mut visit: Option<Visit<I::Record>>,
    ) -> Result<Refreshed> {
        let started = now_nanos();
        // What killed refreshes of these files left goes first, even when
        // this one writes nothing (see `sweep_index_temps`).
        let companions = I::companions();
        let files: Vec<&str> = [I::FILE]
            .into_iter()
            .chain(companions.iter().map(|c| c.file()))
            .collect();
        self.sweep_index_temps(&files);
        // The folder first: a change after this makes the next writer look
        // again rather than trust what was listed before it.
        let folder = self.folder_key::<I::Folder>()?;
        let header = Header {
            folder,
            taken: started,
        };
        let held = hold.then_some(&header);
        let mut plan = Plan::new((I::FILE, I::MAGIC, I::COMPLETE), old, folder, held);
        let mut others: Vec<Plan> = companions
            .iter()
            .map(|c| {
                let old = self.open_index_file(c.file());
                Plan::new((c.file(), c.magic(), c.complete()), old, folder, None)
            })
            .collect();
        let mut errors = Vec::new();
        let what = format!("reading {}", I::Folder::DIR);
        // Files listed in earlier runs, files to parse found and parsed.
        let (mut before, mut found, mut parsed) = (0, 0, 0);
        I::Folder::runs(self, &mut |files: Vec<Listed>| {
            plan.take_run(&files, |i, e| {
                if let Some(visit) = visit.as_mut() {
                    if let Some(record) = e.record.and_then(I::decode) {
                        visit(before + i, e.name, record);
                    }
                }
            });
            for p in &mut others {
                p.take_run(&files, |_, _| {});
            }
            let to_parse: Vec<usize> = (0..files.len())
                .filter(|&i| plan.needs(i) || others.iter().any(|p| p.needs(i)))
                .collect();
            found += to_parse.len();
            // A run is one folder: opened once for its files' reads.
            let open = OpenFolder::default();
            for batch in to_parse.chunks(4096) {
                // Until the last run is listed, the total is not known.
                self.notices.progress(&what, parsed, found + 1);
                let results = crate::parallel::map(batch, |&i| {
                    let listed = &files[i];
                    let parsed = I::Folder::parse(self, &listed.name, &open);
                    let readable = parsed.as_ref().ok();
                    // Every file named, or only settled readable ones.
                    let kept = |complete: bool| {
                        listed
                            .key
                            .filter(|key| complete || (readable.is_some() && settled(key, started)))
                    };
                    let own = plan.needs(i).then(|| readable.map(I::derive)).flatten();
                    let own_frame = kept(I::COMPLETE)
                        .filter(|_| plan.needs(i))
                        .map(|key| I::frame(&listed.name, &key, started, own.as_ref()));
                    let other_frames: Vec<Option<Vec<u8>>> = companions
                        .iter()
                        .zip(&others)
                        .map(|(c, p)| {
                            let key = kept(c.complete()).filter(|_| p.needs(i))?;
                            Some(c.frame(&listed.name, &key, started, readable))
                        })
                        .collect();
                    (own, own_frame, other_frames, parsed.err())
                });
                for (&i, (own, own_frame, other_frames, error)) in batch.iter().zip(results) {
                    if let (Some(record), Some(visit)) = (own, visit.as_mut()) {
                        visit(before + i, &files[i].name, record);
                    }
                    if let Some(frame) = own_frame {
                        plan.put(i, frame);
                    }
                    for (p, frame) in others.iter_mut().zip(other_frames) {
                        if let Some(frame) = frame {
                            p.put(i, frame);
                        }
                    }
                    errors.extend(error);
                }
                parsed += batch.len();
            }
            plan.end_run(self, &header);
            for p in &mut others {
                p.end_run(self, &header);
            }
            before += files.len();
        })?;
        self.notices.progress(&what, parsed, parsed);
        for p in others {
            p.finish(self, &header);
        }
        let held = plan.finish(self, &header);
        Ok(Refreshed {
            parsed,
            errors,
            held,
        })
    }
    /// Removes index `I`'s file, so that the next command rebuilds it.
    pub(super) fn forget_index<I: Derived>(&self) -> Result<bool> {
        let path = self.index_path(I::FILE);
        // A write log extends the file it names: gone with it.
        self.forget_write_log::<I>()
            .map_err(|e| Error::io(&path, e))?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// The entry of a frame that [`Derived::frame`] made.
pub(super) fn frame_entry(frame: &[u8]) -> Entry<'_> {
    verified_entry(frame, 0..frame.len())
}

#[cfg(test)]
mod tests;
