//! One index during a refresh ([`Plan`]): its old file, read a chunk at a
//! time and copied from ([`Old`]), matched to each run of the folder's
//! files, and its new file, written as the runs go once it is known to
//! differ from the old one.

use std::io::Write;

use super::format::{self, write_head, write_trailer, Copier, Entry, Header, OpenFile, Scanner};
use super::{racy_folder, Listed};
use crate::store::{FileKey, Store};

/// An index's file as a refresh finds it: read a chunk at a time, and kept
/// open so that the entries it reuses are copied from it into the new file
/// (a file another command renames over it meanwhile does not change
/// these bytes).
pub(in crate::store) enum Old<'a> {
    /// No file (or one to ignore): every file is parsed.
    Nothing,
    /// A file already in memory (the writers' [`Whole`] view).
    Bytes(&'a [u8]),
    /// An open file and its length.
    File(std::fs::File, u64),
}

/// The bytes of an old index, for a [`Scanner`] or a [`Copier`].
pub(super) enum OldBytes<'a> {
    Memory(&'a [u8]),
    File(OpenFile),
}

impl format::Bytes for OldBytes<'_> {
    fn len(&self) -> u64 {
        match self {
            OldBytes::Memory(b) => format::Bytes::len(b),
            OldBytes::File(f) => f.len(),
        }
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            OldBytes::Memory(b) => b.read_at(at, buf),
            OldBytes::File(f) => f.read_at(at, buf),
        }
    }
}

impl<'a> Old<'a> {
    /// A scanner of the file and a copier of its frames (two handles of
    /// one open file: each read says where it reads), or none.
    pub(super) fn open(
        self,
        magic: &'static [u8; 8],
    ) -> Option<(Scanner<OldBytes<'a>>, Copier<OldBytes<'a>>)> {
        match self {
            Old::Nothing => None,
            Old::Bytes(b) => Some((
                Scanner::new(OldBytes::Memory(b), magic),
                Copier::new(OldBytes::Memory(b)),
            )),
            Old::File(f, len) => {
                let copy = f.try_clone().ok()?;
                Some((
                    Scanner::new(OldBytes::File(OpenFile(f, len)), magic),
                    Copier::new(OldBytes::File(OpenFile(copy, len))),
                ))
            }
        }
    }
}

/// Where an entry of a run of a refresh comes from.
#[derive(Clone, Copy)]
enum Source {
    /// Unchanged: the frame of `len` bytes at `at` in the old file.
    Old { at: u64, len: u32 },
    /// The fresh frame of this place in `Plan::fresh`, until written.
    Fresh(u32),
    /// Nothing: the file is not indexed (or its entry is dropped).
    Left,
}

/// Where a refresh writes an index's new file: to its place, piece by
/// piece, or into memory for a caller that wants the bytes.
enum Out {
    File(crate::store::fsio::Replacement),
    Memory(Vec<u8>),
}

/// One index during a refresh. The folder's files come in runs (in name
/// order); each run is matched to the old file's entries as the old file
/// is read, its changed files parsed, and its entries written out if the
/// new file will differ from the old one. Until that is known, the old
/// entries kept are remembered as spans of the old file, so that a file
/// found stale late is still written whole.
pub(super) struct Plan<'a> {
    file: &'static str,
    magic: &'static [u8; 8],
    complete: bool,
    old: Option<(Scanner<OldBytes<'a>>, Copier<OldBytes<'a>>)>,
    /// Whether the scanner stands on an entry not yet matched.
    on_entry: bool,
    /// This run's entries, and its fresh frames until written.
    sources: Vec<Source>,
    fresh: Vec<Option<Vec<u8>>>,
    /// Before the new file is started: the spans of old entries kept
    /// (start, end, entries).
    kept: Vec<(u64, u64, u64)>,
    /// Whether the new file would differ from the old one.
    stale: bool,
    /// The new file, once started; `None` after a failed write (best
    /// effort: the next command builds the index again).
    out: Option<Out>,
    writing: bool,
    count: u64,
}

impl<'a> Plan<'a> {
    /// `hold`: the new file, with this header, is written whatever it
    /// holds, into memory too.
    pub(super) fn new(
        slot: (&'static str, &'static [u8; 8], bool),
        old: Old<'a>,
        folder: Option<FileKey>,
        hold: Option<&Header>,
    ) -> Plan<'a> {
        let (file, magic, complete) = slot;
        let mut old = old.open(magic);
        let on_entry = old.as_mut().is_some_and(|(s, _)| s.advance());
        let mut plan = Plan {
            file,
            magic,
            complete,
            old,
            on_entry,
            sources: Vec::new(),
            fresh: Vec::new(),
            kept: Vec::new(),
            stale: false,
            out: None,
            writing: false,
            count: 0,
        };
        if complete {
            // The header comes first: read by the first step.
            let header = plan.old.as_ref().and_then(|(s, _)| s.header());
            plan.stale |= header.is_none_or(|h| h.folder != folder || racy_folder(&h));
        }
        if let Some(header) = hold {
            plan.writing = true;
            plan.out = Some(Out::Memory(Vec::new()));
            let written = plan.with_out(|out, _| write_head(out, magic, header));
            plan.wrote(written, 0);
        }
        plan
    }

    /// Matches a run of the folder's files (sorted by name, after those of
    /// earlier runs) to the old file's entries; an entry is reused when its
    /// file has the same identity, had settled and could be read. Each
    /// reused entry is shown to `reused`, with its place in the run.
    pub(super) fn take_run(&mut self, files: &[Listed], mut reused: impl FnMut(usize, &Entry<'_>)) {
        self.sources.clear();
        self.fresh.clear();
        for (i, listed) in files.iter().enumerate() {
            let mut source = Source::Left;
            while let Some((scanner, _)) = self.old.as_mut().filter(|_| self.on_entry) {
                let entry = scanner.current().expect("on an entry");
                if entry.name < listed.name.as_str() {
                    // The entry of a file no longer there.
                    self.stale = true;
                } else {
                    if entry.name == listed.name
                        && Some(entry.key) == listed.key
                        && entry.settled
                        && entry.record.is_some()
                    {
                        reused(i, &entry);
                        let len = (entry.frame.end - entry.frame.start) as u32;
                        source = Source::Old {
                            at: entry.frame.start as u64,
                            len,
                        };
                    }
                    if entry.name > listed.name.as_str() {
                        break;
                    }
                }
                self.on_entry = scanner.advance();
            }
            self.sources.push(source);
        }
    }

    pub(super) fn needs(&self, i: usize) -> bool {
        matches!(self.sources[i], Source::Left)
    }

    pub(super) fn put(&mut self, i: usize, frame: Vec<u8>) {
        self.sources[i] = Source::Fresh(self.fresh.len() as u32);
        self.fresh.push(Some(frame));
        self.stale = true;
    }

    /// Ends a run: its entries are written if the new file is started (it
    /// is, once the old one is known stale), else remembered.
    pub(super) fn end_run(&mut self, store: &Store, header: &Header) {
        if self.stale && !self.writing {
            self.start(store, header);
        }
        for i in 0..self.sources.len() {
            match self.sources[i] {
                Source::Old { at, len } if !self.writing => {
                    let end = at + u64::from(len);
                    match self.kept.last_mut() {
                        Some(last) if last.1 == at => {
                            last.1 = end;
                            last.2 += 1;
                        }
                        _ => self.kept.push((at, end, 1)),
                    }
                }
                Source::Old { at, len } => {
                    let copied = self.with_out(|out, copier| copier.copy(at, u64::from(len), out));
                    self.wrote(copied, 1);
                }
                Source::Fresh(n) => {
                    let frame = self.fresh[n as usize].take().expect("written once");
                    let written = self.with_out(|out, _| out.write_all(&frame));
                    self.wrote(written, 1);
                }
                Source::Left => {}
            }
        }
        self.sources.clear();
        self.fresh.clear();
    }

    /// Starts the new file: its head, then the old entries kept so far.
    fn start(&mut self, store: &Store, header: &Header) {
        self.writing = true;
        let path = store.index_path(self.file);
        if let Some(dir) = path.parent().filter(|_| !self.complete) {
            // What killed writers left in `.desk/cache/` goes first: done
            // by the writers of indexes that readers rebuild from nothing,
            // holding no lock (the ticket cache, the largest file there);
            // what a complete index's writers leave is for `desk run` and
            // `desk check` to remove, as for the folders they lock.
            store.sweep_before_write(dir, None);
        }
        self.out = crate::store::fsio::Replacement::create(&path)
            .ok()
            .map(Out::File);
        let magic = self.magic;
        let written = self.with_out(|out, _| write_head(out, magic, header));
        self.wrote(written, 0);
        for (start, end, n) in std::mem::take(&mut self.kept) {
            let copied = self.with_out(|out, copier| copier.copy(start, end - start, out));
            self.wrote(copied, n);
        }
    }

    fn with_out(
        &mut self,
        write: impl FnOnce(&mut dyn Write, &mut Copier<OldBytes<'a>>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let out: &mut dyn Write = match self.out.as_mut() {
            Some(Out::File(f)) => f,
            Some(Out::Memory(v)) => v,
            None => return Ok(()),
        };
        match self.old.as_mut() {
            Some((_, copier)) => write(out, copier),
            None => write(out, &mut Copier::new(OldBytes::Memory(&[]))),
        }
    }

    fn wrote(&mut self, result: std::io::Result<()>, entries: u64) {
        match result {
            Ok(()) => self.count += entries,
            Err(_) => self.out = None,
        }
    }

    /// Reads the old file to its end, writes the new one if it differs
    /// (or `hold` asks for it) and puts it in place: the bytes written, for
    /// `hold`.
    pub(super) fn finish(mut self, store: &Store, header: &Header) -> Option<Vec<u8>> {
        if let Some((scanner, _)) = self.old.as_mut() {
            // Entries of files no longer there.
            self.stale |= self.on_entry;
            while scanner.advance() {}
            // No file and nothing to put in one: nothing to write (a store
            // whose every file is too recent, say).
            let scanned = scanner.scanned().expect("read to the end");
            self.stale |= scanned.any && !scanned.whole;
        }
        if self.stale && !self.writing {
            self.start(store, header);
        }
        let count = self.count;
        let written = self.with_out(|out, _| write_trailer(out, count));
        self.wrote(written, 0);
        match self.out.take()? {
            Out::File(f) => {
                let _ = f.commit();
                None
            }
            Out::Memory(bytes) => {
                let path = store.index_path(self.file);
                let _ = crate::store::fsio::replace_unsynced(&path, |w| w.write_all(&bytes));
                Some(bytes)
            }
        }
    }
}
