//! The whole-index view of a writer under its folder's lock: an index read
//! whole and verified, trusted while the folder is unchanged, and rewritten
//! with the entries the writer changed.

use std::ops::Range;

use super::format::{checked_entry, header_of_ended, walk_frames, Entry, Header, Reader};
use super::{racy_folder, Derived, Folder};
use crate::error::Result;
use crate::store::read::Held;
use crate::store::{FileKey, Store};

/// An index read whole and verified, for a writer under its folder's lock
/// that trusts it as naming every file while the folder is unchanged
/// ([`Derived::COMPLETE`]), and rewrites it with the entries it changed.
pub(in crate::store) struct Whole {
    bytes: Held,
    header: Header,
    magic: &'static [u8; 8],
    /// Every entry's frame, in order: found as the file is verified, or
    /// (a file taken [`Whole::by_length`]) when first asked for.
    frames: std::sync::OnceLock<Option<Vec<Range<usize>>>>,
}

impl Whole {
    /// The index in `bytes`, each entry shown to `visit` as it is verified
    /// (one pass); `None` unless all of it is sound.
    pub(in crate::store) fn of<I: Derived>(
        bytes: impl Into<Held>,
        mut visit: impl FnMut(&Entry),
    ) -> Option<Whole> {
        let bytes = bytes.into();
        let mut reader = Reader::new(&bytes, I::MAGIC);
        let mut frames = Vec::new();
        for entry in reader.by_ref() {
            visit(&entry);
            frames.push(entry.frame);
        }
        let header = reader.header().filter(|_| reader.whole())?;
        Some(Whole {
            bytes,
            header,
            magic: I::MAGIC,
            frames: Some(frames).into(),
        })
    }

    /// The index in `bytes` without verifying its entries: its header and
    /// trailer checked, its frames found by their lengths when asked for,
    /// each entry checked when read ([`Whole::entry`]). For a writer whose
    /// write log names this very file, verified whole when the log was
    /// started and never changed in place since. The bytes back unless the
    /// file ends in a trailer.
    pub(in crate::store) fn by_length<I: Derived>(bytes: Held) -> std::result::Result<Whole, Held> {
        match header_of_ended(&bytes, I::MAGIC) {
            Some(header) => Ok(Whole {
                bytes,
                header,
                magic: I::MAGIC,
                frames: std::sync::OnceLock::new(),
            }),
            None => Err(bytes),
        }
    }

    /// Every entry's frame, in order; `None` if the frames do not end in
    /// the trailer's count.
    fn frames(&self) -> Option<&[Range<usize>]> {
        self.frames
            .get_or_init(|| {
                let mut frames = Vec::new();
                let whole = walk_frames(&self.bytes, self.magic, |f| {
                    frames.push(f);
                    true
                });
                whole.map(|_| frames)
            })
            .as_deref()
    }

    /// The frames of the entries that hold bytes at `positions` (ascending),
    /// each once, in order: a walk over the frames as far as the last
    /// position, none kept.
    pub(in crate::store) fn frames_holding(&self, positions: &[usize]) -> Vec<Range<usize>> {
        let mut held = Vec::new();
        let mut next = positions.iter().peekable();
        let mut find = |frame: Range<usize>| {
            let mut holds = false;
            while let Some(&&at) = next.peek().filter(|&&&at| at < frame.end) {
                holds |= at >= frame.start;
                next.next();
            }
            if holds {
                held.push(frame);
            }
            next.peek().is_some()
        };
        if positions.is_empty() {
            return held;
        }
        match self.frames.get().and_then(Option::as_ref) {
            Some(frames) => {
                for frame in frames {
                    if !find(frame.clone()) {
                        break;
                    }
                }
            }
            None => {
                walk_frames(&self.bytes, self.magic, find);
            }
        }
        held
    }

    pub(in crate::store) fn header(&self) -> &Header {
        &self.header
    }

    pub(in crate::store) fn into_bytes(self) -> Held {
        self.bytes
    }

    /// Entry `i`, if its frame is sound (checked on every call).
    pub(in crate::store) fn entry(&self, i: usize) -> Option<Entry<'_>> {
        checked_entry(&self.bytes, self.frames()?.get(i)?.clone())
    }

    /// The whole file's bytes (a search for a value's bytes in them finds
    /// every record that may hold it).
    pub(in crate::store) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the index still names every file of its folder as indexed:
    /// the folder's identity is the one taken with it, and either that was
    /// taken well after the folder last changed, or the folder's listing
    /// (one read of the directory, no stat of each file) has the same
    /// names and inodes. Creating, deleting or renaming a file changes the
    /// folder's identity; an edit in place is left to reading commands.
    pub(in crate::store) fn names_folder<F: Folder>(
        &self,
        store: &Store,
        now: Option<FileKey>,
    ) -> Result<bool> {
        if self.header.folder.is_none() || self.header.folder != now {
            return Ok(false);
        }
        if !racy_folder(&self.header) {
            return Ok(true);
        }
        if !cfg!(unix) {
            return Ok(false);
        }
        let files = F::files(store, false)?;
        let Some(frames) = self.frames() else {
            return Ok(false);
        };
        Ok(files.len() == frames.len()
            && files.iter().enumerate().all(|(i, f)| {
                self.entry(i)
                    .is_some_and(|e| e.name == f.name && e.key.inode == f.ino)
            }))
    }

    /// The first entry at or after `from` whose name is not before `name`
    /// (entries are in name order): a binary search. `None` if an entry it
    /// meets is damaged.
    fn first_not_before(&self, from: usize, name: &str) -> Option<usize> {
        let (mut lo, mut hi) = (from, self.frames()?.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(mid)?.name < name {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    }
}

impl Store {
    /// Writes index `I` as `old` with `fresh` (name, frame) put in by name,
    /// under `header`. Best effort: `false` if an entry of `old` that it
    /// had to read was damaged, and nothing was written.
    pub(in crate::store) fn write_merged<I: Derived>(
        &self,
        old: &Whole,
        mut fresh: Vec<(String, Vec<u8>)>,
        header: &Header,
    ) -> bool {
        fresh.sort_by(|a, b| a.0.cmp(&b.0));
        fresh.dedup_by(|later, earlier| {
            // The last frame given for a name wins.
            if later.0 == earlier.0 {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        // Old frames are copied as they are; only a few are decoded, to
        // find where each fresh one goes (a write touches a few names).
        let Some(frames) = old.frames() else {
            return false;
        };
        let count = frames.len();
        let mut merged: Vec<&[u8]> = Vec::with_capacity(count + fresh.len());
        let mut next = 0;
        for (name, frame) in &fresh {
            let Some(at) = old.first_not_before(next, name) else {
                return false;
            };
            merged.extend((next..at).map(|i| &old.bytes[frames[i].clone()]));
            merged.push(frame);
            let replaces = match (at < count).then(|| old.entry(at)) {
                Some(Some(e)) => e.name == name,
                Some(None) => return false,
                None => false,
            };
            next = if replaces { at + 1 } else { at };
        }
        merged.extend((next..count).map(|i| &old.bytes[frames[i].clone()]));
        self.write_index(I::FILE, I::MAGIC, header, merged.into_iter());
        true
    }
}
