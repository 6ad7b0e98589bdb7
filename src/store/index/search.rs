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
use crate::search::{Document, Segment, SegmentEntry};
use crate::store::checksum::checksum;
use crate::store::Store;

pub(in crate::store) struct SearchIndex;

/// What the index keeps of one ticket: its terms, and its summary for
/// filters. Kept in the folder's postings only (the records file says
/// no more than that the file was read), and read back from them when the
/// folder changes ([`PerFolder::complete`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(in crate::store) struct Searchable {
    #[serde(skip)]
    held: Option<(Document, Summary)>,
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
    const MAGIC: &'static [u8; 8] = b"DESKQ007";
    const COMPANION: bool = true;

    fn derive(ticket: &Ticket) -> Searchable {
        // What filters read, no more: a hit's title and marks come from its
        // file, read for the snippet anyway.
        let mut summary = Summary::of(ticket);
        summary.title = Default::default();
        summary.marks = Vec::new();
        summary.fired = Vec::new();
        Searchable {
            held: Some((Document::of(ticket), summary)),
        }
    }

    fn watched(record: &Searchable) -> bool {
        record
            .held
            .as_ref()
            .is_some_and(|(_, summary)| summary.status.is_open())
    }

    fn summarize(files: &[(&str, Option<&Searchable>)]) -> (SearchFolder, Option<Vec<u8>>) {
        let metas: Vec<(&str, &Document, Vec<u8>)> = files
            .iter()
            .filter_map(|(name, r)| {
                let (doc, summary) = r.as_ref()?.held.as_ref()?;
                Some((*name, doc, postcard::to_stdvec(summary).ok()?))
            })
            .collect();
        let entries: Vec<SegmentEntry> = metas
            .iter()
            .map(|(name, doc, meta)| SegmentEntry { name, doc, meta })
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

    fn complete<'r>(
        records: impl Iterator<Item = (&'r str, &'r mut Searchable)>,
        postings: Option<&[u8]>,
    ) -> Vec<String> {
        let mut held: std::collections::HashMap<&str, (Document, Summary)> = postings
            .and_then(Segment::parse)
            .and_then(|s| s.documents())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(d, doc)| Some((d.name, (doc, summary_of_meta(d.meta)?))))
            .collect();
        let mut missing = Vec::new();
        for (name, record) in records {
            match held.remove(name) {
                Some(both) => record.held = Some(both),
                None => missing.push(name.to_string()),
            }
        }
        missing
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
    /// Whether this clone has a search index to bring up to date (rather
    /// than one to build from every file).
    pub fn search_index_exists(&self) -> bool {
        self.folder_index_exists::<SearchIndex>()
    }

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

impl Store {
    /// The ticket the index found in file `name` of folder `rel` (below
    /// `tickets/`), read where it is, without following a link: a file
    /// placed where its ID does not say (which `desk check` reports) is
    /// still shown for what it holds.
    pub fn ticket_in_folder(&self, rel: &str, name: &str) -> Result<Ticket> {
        // Names read from the index: plain names, or nothing is read.
        if !super::folders::plain(name) || !super::folders::plain_rel(rel) {
            return Err(Error::invalid(
                "search index",
                format!("{rel}/{name}"),
                "a file name below tickets/ (run `desk cache rebuild`)",
            ));
        }
        let path = self.tickets_dir().join(rel).join(name);
        let Some(text) = self.read_entry(&path)? else {
            return Err(Error::NotFound {
                what: "ticket file",
                id: self.display_path(&path).display().to_string(),
            });
        };
        crate::store::parse_ticket(&text, self.display_path(&path))
    }
}

/// A ticket's summary as the index keeps it beside its postings, for
/// filters: without its title, marks and rules fired.
pub fn summary_of_meta(meta: &[u8]) -> Option<Summary> {
    postcard::from_bytes(meta).ok()
}
