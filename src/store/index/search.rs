//! The search index (`.desk/cache/search/`): every ticket's terms, kept
//! per folder of `tickets/` (`folders.rs`) as postings read in place
//! ([`Segment`](crate::search::Segment)), so that a search reads the few
//! terms it asks for instead of every ticket's. Each document's meta is
//! the ticket's summary, so that filters need no other file. Open tickets
//! are stat'ed on every search (they are the ones edited); a closed ticket
//! edited in place is seen when its folder next changes (docs/search.md).

use serde::{Deserialize, Serialize};

use super::folders::PerFolder;
use crate::error::{Error, Result};
use crate::model::{Summary, Ticket};
use crate::search::{Document, SegmentEntry};
use crate::store::checksum::checksum;
use crate::store::Store;

pub(in crate::store) struct SearchIndex;

/// What the index keeps of one ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::store) struct Searchable {
    doc: Document,
    summary: Summary,
}

/// What the index keeps of one folder in its head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::store) struct SearchFolder {
    /// The checksum of the folder's postings, which names them its own.
    stamp: u64,
    /// Its files that could not be read.
    unreadable: Vec<String>,
}

impl PerFolder for SearchIndex {
    type Record = Searchable;
    type Summary = SearchFolder;
    const NAME: &'static str = "search";
    const DIR: &'static str = "search";
    const MAGIC: &'static [u8; 8] = b"DESKQ005";
    const COMPANION: bool = true;

    fn derive(ticket: &Ticket) -> Searchable {
        // What filters read, no more: a hit's title and marks come from its
        // file, read for the snippet anyway.
        let mut summary = Summary::of(ticket);
        summary.title = Default::default();
        summary.marks = Vec::new();
        summary.fired = Vec::new();
        Searchable {
            doc: Document::of(ticket),
            summary,
        }
    }

    fn watched(record: &Searchable) -> bool {
        record.summary.status.is_open()
    }

    fn summarize(files: &[(&str, Option<&Searchable>)]) -> (SearchFolder, Option<Vec<u8>>) {
        let metas: Vec<(&str, &Searchable, Vec<u8>)> = files
            .iter()
            .filter_map(|(name, r)| {
                let r = (*r)?;
                Some((*name, r, postcard::to_stdvec(&r.summary).ok()?))
            })
            .collect();
        let entries: Vec<SegmentEntry> = metas
            .iter()
            .map(|(name, r, meta)| SegmentEntry {
                name,
                doc: &r.doc,
                meta,
            })
            .collect();
        let postings = crate::search::build_segment(&entries);
        let folder = SearchFolder {
            stamp: checksum(&postings),
            unreadable: files
                .iter()
                .filter(|(_, r)| r.is_none())
                .map(|(name, _)| name.to_string())
                .collect(),
        };
        (folder, Some(postings))
    }

    fn fits(folder: &SearchFolder, postings: &[u8]) -> bool {
        checksum(postings) == folder.stamp
    }
}

/// The postings of every folder of `tickets/`, and the ticket files that
/// could not be read.
#[derive(Debug, Default)]
pub struct SearchSegments {
    /// Per folder: its path below `tickets/` and its postings (a
    /// [`Segment`](crate::search::Segment)'s bytes).
    pub folders: Vec<(String, Vec<u8>)>,
    /// Why each ticket file that could not be read could not.
    pub unreadable: Vec<Error>,
}

impl Store {
    /// The search index of every folder, brought up to date.
    pub fn search_segments(&self) -> Result<SearchSegments> {
        if self.revision().is_some() {
            return Err(Error::invalid(
                "--as-of",
                "(a search)",
                "search the work tree: the index follows its files",
            ));
        }
        let index = self.folders::<SearchIndex>(None)?;
        let mut out = SearchSegments::default();
        for folder in index.folders {
            let dir = self.tickets_dir().join(&folder.rel);
            for name in &folder.summary.unreadable {
                let path = dir.join(name);
                let shown = self.display_path(&path);
                let why = crate::store::read_file(&path, shown)
                    .and_then(|text| crate::store::parse_ticket(&text, shown).map(|_| ()));
                out.unreadable.extend(why.err());
            }
            out.folders.push((folder.rel, folder.companion));
        }
        Ok(out)
    }
}

/// A ticket's summary as the index keeps it beside its postings, for
/// filters: without its title, marks and rules fired.
pub fn summary_of_meta(meta: &[u8]) -> Option<Summary> {
    postcard::from_bytes(meta).ok()
}
