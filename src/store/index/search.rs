//! The search index (`.desk/cache/search.bin`): every ticket file's
//! [`Document`], its terms and their counts, so that `desk search` ranks
//! every ticket without reading them. Refreshed by the searches themselves,
//! not by other commands: segmenting Chinese costs more than the other
//! indexes' records, and only a search needs it. The store's own words
//! (`dict.txt`) change how text is segmented, so a change of them rebuilds
//! it whole.

use sha2::{Digest, Sha256};

use super::tickets::Tickets;
use super::Derived;
use crate::error::{Error, Result};
use crate::model::Ticket;
use crate::search::Document;
use crate::store::Store;

pub(in crate::store) struct SearchIndex;

impl Derived for SearchIndex {
    type Folder = Tickets;
    type Record = Document;
    const NAME: &'static str = "search";
    const FILE: &'static str = "search.bin";
    const MAGIC: &'static [u8; 8] = b"DESKQ002";

    fn derive(ticket: &Ticket) -> Document {
        Document::of(ticket)
    }

    fn prepare(store: &Store) -> Result<bool> {
        store.prepare_search()
    }
}

/// The team's own words for the segmenter, at the store's root.
pub const USER_DICTIONARY: &str = "dict.txt";

/// The largest `dict.txt` read.
const MAX_DICTIONARY: u64 = 8 << 20;

/// Which `dict.txt` the index was built with: beside it in the cache.
const DICTIONARY_MARK: &str = "search.dict";

impl Store {
    /// Gives the segmenter `dict.txt`, and forgets the search index when it
    /// was built with other words (true). Before any refresh of the index.
    fn prepare_search(&self) -> Result<bool> {
        let path = self.root.join(USER_DICTIONARY);
        let words = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= MAX_DICTIONARY => {
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                String::from_utf8(bytes).map_err(|_| {
                    Error::invalid(
                        USER_DICTIONARY,
                        "(not UTF-8)",
                        "a UTF-8 text file, one word a line: WORD [FREQUENCY] [TAG]",
                    )
                })?
            }
            Ok(meta) if meta.is_file() => {
                return Err(Error::invalid(
                    USER_DICTIONARY,
                    format!("{} bytes", meta.len()),
                    format!("at most {MAX_DICTIONARY} bytes"),
                ))
            }
            Ok(_) => {
                return Err(Error::invalid(
                    USER_DICTIONARY,
                    "(a link or a folder)",
                    "a plain file at the store's root",
                ))
            }
            Err(_) => String::new(),
        };
        crate::search::set_user_dictionary(&words);
        let digest = crate::crypto::hex(&Sha256::digest(words.as_bytes())[..16]);
        let mark = self.index_path(DICTIONARY_MARK);
        if std::fs::read_to_string(&mark).ok().as_deref() != Some(digest.as_str()) {
            self.forget_index::<SearchIndex>()?;
            if let Some(dir) = mark.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            super::super::fsio::write_atomic(&mark, digest.as_bytes())?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Shows `visit` every readable ticket file's document (its name below
    /// `tickets/`, the document), the index brought up to date first;
    /// returns the files that could not be read.
    pub fn search_documents(&self, mut visit: impl FnMut(&str, Document)) -> Result<Vec<Error>> {
        let old = self.read_index::<SearchIndex>();
        let refreshed =
            self.refresh::<SearchIndex>(&old, false, |_, file, doc| visit(file, doc))?;
        Ok(refreshed.errors)
    }
}
