//! The whole-index view of a writer under its folder's lock: an index read
//! whole and verified, trusted while the folder is unchanged, and rewritten
//! with the entries the writer changed.

use std::ops::Range;

use super::format::{verified_entry, Entry, Header, Reader};
use super::{now_nanos, racy_folder, Derived, Folder};
use crate::error::Result;
use crate::store::{FileKey, Store};

/// An index read whole and verified, for a writer under its folder's lock
/// that trusts it as naming every file while the folder is unchanged
/// ([`Derived::COMPLETE`]), and rewrites it with the entries it changed.
pub(in crate::store) struct Whole {
    bytes: Vec<u8>,
    header: Header,
    frames: Vec<Range<usize>>,
}

impl Whole {
    /// The index in `bytes`, each entry shown to `visit` as it is verified
    /// (one pass); `None` unless all of it is sound.
    pub(in crate::store) fn of<I: Derived>(
        bytes: Vec<u8>,
        mut visit: impl FnMut(&Entry),
    ) -> Option<Whole> {
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
            frames,
        })
    }

    pub(in crate::store) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub(in crate::store) fn len(&self) -> usize {
        self.frames.len()
    }

    pub(in crate::store) fn entry(&self, i: usize) -> Entry<'_> {
        verified_entry(&self.bytes, self.frames[i].clone())
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
        Ok(files.len() == self.frames.len()
            && files.iter().enumerate().all(|(i, f)| {
                let e = self.entry(i);
                e.name == f.name && e.key.inode == f.ino
            }))
    }

    /// The first entry at or after `from` whose name is not before `name`
    /// (entries are in name order): a binary search.
    fn first_not_before(&self, from: usize, name: &str) -> usize {
        let (mut lo, mut hi) = (from, self.frames.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(mid).name < name {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl Store {
    /// Rewrites index `I` as `old` with `fresh` (name, frame) put in by
    /// name, with the folder's identity as it is now. Call under the
    /// folder's lock, right after the writes that `fresh` records. Best
    /// effort.
    pub(in crate::store) fn rewrite_whole<I: Derived>(
        &self,
        old: &Whole,
        mut fresh: Vec<(String, Vec<u8>)>,
    ) {
        // This write has just changed the folder: taken at once, the index
        // would be racy and the next write would list the folder. On a file
        // system with fine times, waiting out the short window (under the
        // lock, so no other desk write is held up longer than that) makes
        // the next write trust it.
        let mut taken = now_nanos();
        let Ok(mut folder) = self.folder_key::<I::Folder>() else {
            return self.forget_quietly::<I>();
        };
        if let Some(key) = folder.filter(FileKey::has_fine_times) {
            let wait = key.newest_nanos() + key.racy_nanos() - taken;
            if wait > 0 {
                std::thread::sleep(std::time::Duration::from_nanos(wait as u64 + 1_000_000));
                taken = now_nanos();
                let Ok(again) = self.folder_key::<I::Folder>() else {
                    return self.forget_quietly::<I>();
                };
                folder = again;
            }
        }
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
        let count = old.frames.len();
        let mut merged: Vec<&[u8]> = Vec::with_capacity(count + fresh.len());
        let mut next = 0;
        for (name, frame) in &fresh {
            let at = old.first_not_before(next, name);
            merged.extend((next..at).map(|i| &old.bytes[old.frames[i].clone()]));
            merged.push(frame);
            next = if at < count && old.entry(at).name == name {
                at + 1
            } else {
                at
            };
        }
        merged.extend((next..count).map(|i| &old.bytes[old.frames[i].clone()]));
        let header = Header { folder, taken };
        self.write_index(I::FILE, I::MAGIC, &header, merged.into_iter());
    }

    fn forget_quietly<I: Derived>(&self) {
        let _ = self.forget_index::<I>();
    }
}
