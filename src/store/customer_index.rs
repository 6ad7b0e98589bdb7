//! The customer index, two local files under `.desk/cache/`:
//! - `customers.bin`: for every customer file, its identity (as the ticket
//!   cache keys files: size, times, inode), its ID and the values that
//!   identify the customer ([`Customer::identities`]): the duplicate guard
//!   and ID allocation of writes;
//! - `customer-summaries.bin`: the same files' [`CustomerSummary`], what
//!   `desk customer list` shows and filters on.
//!
//! Two ways to trust them:
//! - Reading commands stat every customer file, take unchanged files from
//!   the index and parse the rest, as the ticket cache does; they see every
//!   change, whoever made it, and bring both files up to date.
//! - Writes (add, edit, import), under the customer lock, stat only the
//!   `customers/` directory. Creating, deleting or renaming a file in it
//!   changes the directory's modification time, and git (checkout, pull,
//!   merge, reset), desk itself and most editors write a file by creating a
//!   new one; so an unchanged directory means the index names every file
//!   with its content as indexed. A changed directory makes the write stat
//!   every file and parse the changed ones first. The one change this
//!   misses, an edit in place (nano, `>`), is seen by the next reading
//!   command or `desk check` (docs/performance.md).
//!
//! Each file is a magic number, then length-prefixed postcard frames (the
//! directory's identity and when it was taken, then one entry per file in
//! name order), then a checksum of all that. Anything else (missing,
//! truncated, corrupt, out of order, another version) is rebuilt from the
//! files, never trusted.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::cache::racy_nanos;
use super::checksum::checksum;
use super::customers::parse_customer;
use super::{read_file, FileKey, Identities, Store};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{own_and_contacts, Customer, CustomerKind};

/// The first bytes of each file: its kind and format. Change them whenever
/// `Entry`, `Record`, `CustomerSummary` or the framing change.
const IDS_MAGIC: &[u8; 8] = b"DESKK003";
const SUMMARIES_MAGIC: &[u8; 8] = b"DESKS002";
const IDS_FILE: &str = "customers.bin";
const SUMMARIES_FILE: &str = "customer-summaries.bin";

/// What `desk customer list` needs of a customer file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub id: String,
    pub kind: CustomerKind,
    pub name: String,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contacts: Vec<ContactSummary>,
    pub credit_code: Option<String>,
    /// The keyed hash of the ID-card number.
    pub id_card_lookup: Option<String>,
    pub source: Option<String>,
    pub owner: Option<String>,
    pub vip: bool,
    pub tags: Vec<String>,
    pub created: Timestamp,
    pub first_contact: Option<Timestamp>,
    pub last_contact: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub name: String,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl CustomerSummary {
    pub fn of(c: &Customer) -> CustomerSummary {
        CustomerSummary {
            id: c.id.clone(),
            kind: c.kind,
            name: c.name.clone(),
            salutation: c.salutation.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            contacts: c
                .contacts
                .iter()
                .map(|x| ContactSummary {
                    name: x.name.clone(),
                    salutation: x.salutation.clone(),
                    phone: x.phone.clone(),
                    email: x.email.clone(),
                })
                .collect(),
            credit_code: c.credit_code.clone(),
            id_card_lookup: c.id_card.as_ref().map(|s| s.lookup.clone()),
            source: c.source.clone(),
            owner: c.owner.clone(),
            vip: c.vip,
            tags: c.tags.clone(),
            created: c.created,
            first_contact: c.first_contact,
            last_contact: c.last_contact,
        }
    }

    /// As [`Customer::phones`]: the customer's and its contacts'.
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        own_and_contacts(&self.phone, self.contacts.iter().map(|c| &c.phone))
    }

    /// As [`Customer::emails`].
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        own_and_contacts(&self.email, self.contacts.iter().map(|c| &c.email))
    }

    /// As [`Customer::last_touch`].
    pub fn last_touch(&self) -> Option<Timestamp> {
        self.last_contact.max(self.first_contact)
    }
}

/// One customer file in an index: `T` is a [`Record`] in the identities
/// file, a [`CustomerSummary`] in the summaries file.
#[derive(Serialize, Deserialize)]
struct Entry<T> {
    /// The file name without `.yaml`.
    name: String,
    key: FileKey,
    /// Whether the file was old enough when indexed for its identity to be
    /// trusted by reading commands (see the ticket cache's racy window).
    settled: bool,
    /// `None`: the file could not be read; it is parsed again every time.
    record: Option<T>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    /// The ID inside the file (normally its name).
    id: String,
    /// [`Customer::identities`], field and value.
    identities: Vec<(String, String)>,
}

/// The leading fields of any entry, borrowed.
#[derive(Deserialize)]
struct Lead<'a> {
    name: &'a str,
    key: FileKey,
    settled: bool,
    /// Whether the file could be read (the record itself is not decoded).
    record: Option<()>,
}

/// An identities entry, borrowed: what a write needs.
#[derive(Deserialize)]
struct Head<'a> {
    name: &'a str,
    #[serde(rename = "key")]
    _key: FileKey,
    #[serde(rename = "settled")]
    _settled: bool,
    #[serde(borrow)]
    record: Option<HeadRecord<'a>>,
}

#[derive(Deserialize)]
struct HeadRecord<'a> {
    id: &'a str,
    #[serde(borrow)]
    identities: Vec<(&'a str, &'a str)>,
}

/// What a write needs of every identities entry, gathered in one pass.
#[derive(Default)]
struct Gathered {
    /// (file name, customer ID) of every readable entry.
    ids: Vec<(String, String)>,
    damaged: Vec<(&'static str, String)>,
    /// File names of the entries that could not be read.
    broken: Vec<String>,
}

impl Gathered {
    fn add(&mut self, head: &Head) {
        match &head.record {
            Some(r) => {
                self.ids.push((head.name.to_string(), r.id.to_string()));
                self.damaged.extend(damaged_of(r.id, &r.identities));
            }
            None => self.broken.push(head.name.to_string()),
        }
    }
}

/// (field, ID) of the malformed sealed lookups among a record's identities.
fn damaged_of<'a>(
    id: &'a str,
    identities: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (&'static str, String)> + 'a {
    identities
        .iter()
        .filter(|(field, value)| super::secrets::damaged_lookup(field, value))
        .map(move |(field, _)| {
            let field = if *field == "id_card" {
                "id_card"
            } else {
                "bank_card"
            };
            (field, id.to_string())
        })
}

/// A file's entries in both indexes, encoded.
fn encode_entries(
    name: &str,
    key: FileKey,
    customer: Option<&Customer>,
    started: i128,
) -> (Vec<u8>, Vec<u8>) {
    let settled = key.newest_nanos() < started - racy_nanos();
    let ids = Entry {
        name: name.to_string(),
        key,
        settled,
        record: customer.map(|c| Record {
            id: c.id.clone(),
            identities: c
                .identities()
                .into_iter()
                .map(|(f, v)| (f.to_string(), v))
                .collect(),
        }),
    };
    let summary = Entry {
        name: name.to_string(),
        key,
        settled,
        record: customer.map(CustomerSummary::of),
    };
    (
        postcard::to_allocvec(&ids).expect("index entries serialise"),
        postcard::to_allocvec(&summary).expect("index entries serialise"),
    )
}

/// A verified index file: the directory identity it was built for, when
/// that was taken, and its entries' encoded bytes in name order.
struct Index {
    dir: Option<FileKey>,
    /// When `dir` was taken (nanoseconds since the epoch).
    taken: i128,
    bytes: Vec<u8>,
    frames: Vec<std::ops::Range<usize>>,
}

impl Index {
    fn empty() -> Index {
        Index {
            dir: None,
            taken: 0,
            bytes: Vec::new(),
            frames: Vec::new(),
        }
    }

    /// Splits and verifies a file's bytes; `None` unless all of it is sound
    /// and of the kind `magic` names.
    #[cfg(test)]
    fn parse(bytes: Vec<u8>, magic: &[u8; 8]) -> Option<Index> {
        Index::parse_visiting(bytes, magic, &mut |_| {})
    }

    /// The same, showing each identities entry to `visit` as it is
    /// verified, so a write gathers what it needs in the same pass.
    fn parse_visiting(
        mut bytes: Vec<u8>,
        magic: &[u8; 8],
        visit: &mut dyn FnMut(&Head),
    ) -> Option<Index> {
        if bytes.len() < magic.len() + 8 || !bytes.starts_with(magic) {
            return None;
        }
        let body_end = bytes.len() - 8;
        let stored = u64::from_le_bytes(bytes[body_end..].try_into().ok()?);
        if checksum(&bytes[..body_end]) != stored {
            return None;
        }
        bytes.truncate(body_end);
        let mut frames = Vec::new();
        let mut at = magic.len();
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
            let start = at + 4;
            let end = start.checked_add(len).filter(|&e| e <= bytes.len())?;
            frames.push(start..end);
            at = end;
        }
        let header = frames.first()?.clone();
        let (dir, taken): (Option<FileKey>, i128) = postcard::from_bytes(&bytes[header]).ok()?;
        frames.remove(0);
        let index = Index {
            dir,
            taken,
            bytes,
            frames,
        };
        // Every entry must decode, in strictly increasing name order.
        let mut last: Option<&str> = None;
        for i in 0..index.frames.len() {
            // An identities entry decodes as a Head, which begins as a Lead.
            let name = if magic == IDS_MAGIC {
                let head = postcard::from_bytes::<Head>(index.frame(i)).ok()?;
                visit(&head);
                head.name
            } else {
                postcard::from_bytes::<Lead>(index.frame(i)).ok()?.name
            };
            if last.is_some_and(|l| l >= name) {
                return None;
            }
            last = Some(name);
        }
        Some(index)
    }

    /// An index of these entries (encoded, in name order).
    fn build<'a>(
        magic: &[u8; 8],
        dir: Option<FileKey>,
        taken: i128,
        entries: impl Iterator<Item = &'a [u8]>,
    ) -> Index {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(magic);
        push_frame(
            &mut bytes,
            &postcard::to_allocvec(&(dir, taken)).expect("keys serialise"),
        );
        let frames = entries.map(|e| push_frame(&mut bytes, e)).collect();
        Index {
            dir,
            taken,
            bytes,
            frames,
        }
    }

    /// Whether the directory's identity could hide a later change: it
    /// changed within the racy window of the moment it was taken.
    fn dir_is_racy(&self) -> bool {
        self.dir
            .is_none_or(|d| d.newest_nanos() >= self.taken - d.racy_nanos())
    }

    /// The first entry at or after `from` whose name is not before `name`
    /// (entries are in name order): a binary search.
    fn first_not_before(&self, from: usize, name: &str) -> usize {
        let (mut lo, mut hi) = (from, self.frames.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.lead(mid).name < name {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn frame(&self, i: usize) -> &[u8] {
        &self.bytes[self.frames[i].clone()]
    }

    fn lead(&self, i: usize) -> Lead<'_> {
        postcard::from_bytes(self.frame(i)).expect("verified when read")
    }

    /// An identities index's entry.
    fn head(&self, i: usize) -> Head<'_> {
        postcard::from_bytes(self.frame(i)).expect("verified when read")
    }

    /// For each file (sorted by name), the entry to reuse: same name, same
    /// identity, settled and readable.
    fn reusable(&self, files: &[(String, FileKey)]) -> Vec<Option<usize>> {
        let mut old = (0..self.frames.len()).map(|i| (i, self.lead(i))).peekable();
        files
            .iter()
            .map(|(name, key)| {
                while old.peek().is_some_and(|(_, l)| l.name < name.as_str()) {
                    old.next();
                }
                old.next_if(|(_, l)| l.name == name.as_str())
                    .filter(|(_, l)| l.key == *key && l.settled && l.record.is_some())
                    .map(|(i, _)| i)
            })
            .collect()
    }
}

/// Every customer's summary, and every file that could not be read.
#[derive(Debug, Default)]
pub struct CustomerSummaries {
    pub summaries: Vec<CustomerSummary>,
    pub errors: Vec<Error>,
    /// How many files were parsed (the rest came from the index).
    pub parsed: usize,
}

impl CustomerSummaries {
    /// Fails with one error naming every unreadable file, if there were any.
    pub fn into_result(self) -> Result<()> {
        Error::all(self.errors)
    }
}

/// The index as a write sees it, under the customer lock: every customer
/// file's ID and identifying values, checked complete and readable.
pub struct CustomerIndex {
    index: Index,
    /// Entries replaced or added by this write, by name.
    fresh: Vec<(String, Vec<u8>)>,
    /// Gathered in one pass over the index when a write opens it: every
    /// indexed customer's ID, and (field, ID) of malformed sealed lookups.
    ids: Vec<(String, String)>,
    damaged: Vec<(&'static str, String)>,
}

impl CustomerIndex {
    /// Each indexed customer's ID and identifying values (the entries read
    /// from the index only if `old`; this write's own always).
    fn each(&self, old: bool, mut f: impl FnMut(&str, &[(&str, &str)])) {
        let fresh: HashSet<&str> = self.fresh.iter().map(|(n, _)| n.as_str()).collect();
        for i in (0..self.index.frames.len()).filter(|_| old) {
            let head = self.index.head(i);
            if fresh.contains(head.name) {
                continue;
            }
            if let Some(r) = head.record {
                f(r.id, &r.identities);
            }
        }
        for (_, bytes) in &self.fresh {
            let head: Head = postcard::from_bytes(bytes).expect("encoded here");
            if let Some(r) = head.record {
                f(r.id, &r.identities);
            }
        }
    }

    /// (field, customer ID) of every sealed lookup that is malformed, for
    /// [`super::guard_sound`].
    pub fn damaged_lookups(&self) -> Vec<(&'static str, String)> {
        let fresh: HashSet<&str> = self.fresh.iter().map(|(n, _)| n.as_str()).collect();
        let mut found: Vec<(&'static str, String)> = self
            .damaged
            .iter()
            .filter(|(_, id)| !fresh.contains(id.as_str()))
            .cloned()
            .collect();
        for (_, bytes) in &self.fresh {
            let head: Head = postcard::from_bytes(bytes).expect("encoded here");
            if let Some(r) = head.record {
                found.extend(damaged_of(r.id, &r.identities));
            }
        }
        found
    }

    /// Calls `f` with every customer ID in the store.
    pub fn each_id(&self, mut f: impl FnMut(&str)) {
        let fresh: HashSet<&str> = self.fresh.iter().map(|(n, _)| n.as_str()).collect();
        for (name, id) in &self.ids {
            if !fresh.contains(name.as_str()) {
                f(id);
            }
        }
        for (_, bytes) in &self.fresh {
            let head: Head = postcard::from_bytes(bytes).expect("encoded here");
            if let Some(r) = head.record {
                f(r.id);
            }
        }
    }

    /// Whether one of `new`'s values occurs anywhere in the index's bytes.
    /// A value is stored as its own UTF-8 bytes, so when none occurs, no
    /// indexed customer holds one and the entries need not be decoded.
    fn may_hold_any(&self, new: &Identities) -> bool {
        new.values()
            .any(|v| memchr::memmem::find(&self.index.bytes, v.as_bytes()).is_some())
    }

    /// Every customer holding one of `values`, by value, in index order: a
    /// batch's clashes with the store, found in one pass over the index, or
    /// without decoding it when none of the values' bytes occur in it.
    pub fn holders_of(&self, values: &Identities) -> HashMap<(&'static str, String), Vec<String>> {
        let mut found: HashMap<(&'static str, String), Vec<String>> = HashMap::new();
        let old = self.may_hold_any(values);
        self.each(old, |id, identities| {
            for (field, value) in identities {
                if let Some((_, field)) = values.holder(field, value) {
                    found
                        .entry((field, value.to_string()))
                        .or_default()
                        .push(id.to_string());
                }
            }
        });
        found
    }
}

impl Store {
    fn customer_index_path(&self, file: &str) -> PathBuf {
        self.state_dir().join("cache").join(file)
    }

    /// The identity of `customers/`, if it exists.
    fn customers_dir_key(&self) -> Result<Option<FileKey>> {
        let dir = self.customers_dir();
        match std::fs::metadata(&dir) {
            Ok(meta) => Ok(Some(FileKey::of(&meta))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(dir, e)),
        }
    }

    /// An index file, verified, or an empty one.
    fn read_index(&self, file: &str, magic: &[u8; 8]) -> Index {
        self.read_index_visiting(file, magic, &mut |_| {})
    }

    fn read_index_visiting(
        &self,
        file: &str,
        magic: &[u8; 8],
        visit: &mut dyn FnMut(&Head),
    ) -> Index {
        super::read::read_state(&self.customer_index_path(file))
            .ok()
            .and_then(|bytes| Index::parse_visiting(bytes, magic, visit))
            .unwrap_or_else(Index::empty)
    }

    /// Writes an index file: best effort (it is rebuilt whenever in doubt),
    /// and not synced, since a torn file fails its checksum.
    fn write_index(&self, file: &str, index: &Index) {
        let _ = super::fsio::replace_unsynced(&self.customer_index_path(file), |w| {
            w.write_all(&index.bytes)?;
            w.write_all(&checksum(&index.bytes).to_le_bytes())
        });
    }

    /// Every customer file's name (without `.yaml`) and identity, by name.
    fn customer_files_keyed(&self) -> Result<Vec<(String, FileKey)>> {
        // Not following a link: a link is refused when read (read_file).
        Ok(self
            .customer_entries(true)?
            .into_iter()
            .filter_map(|(name, found)| Some((name, found.key?)))
            .collect())
    }

    /// Whether `customers/` holds exactly the files the index names, each
    /// still the file (inode) it indexed: one read of the directory, no
    /// stat of each file.
    #[cfg(unix)]
    fn same_files(&self, index: &Index) -> Result<bool> {
        let files = self.customer_entries(false)?;
        Ok(files.len() == index.frames.len()
            && files.iter().enumerate().all(|(i, (name, found))| {
                let lead = index.lead(i);
                lead.name == name && lead.key.inode == found.ino
            }))
    }

    #[cfg(not(unix))]
    fn same_files(&self, _: &Index) -> Result<bool> {
        Ok(false)
    }

    fn parse_customer_file(&self, name: &str) -> Result<Customer> {
        let path = self.customers_dir().join(format!("{name}.yaml"));
        let shown = self.display_path(&path);
        parse_customer(&read_file(&path, shown)?, shown)
    }

    /// Brings the identities index (and, if given, the summaries index) up
    /// to date with every file: a stat of each, a parse of those changed
    /// since either index took them.
    fn reconcile_customers(&self, ids: &Index, summaries: Option<&Index>) -> Result<Reconciled> {
        let started = now_nanos();
        // The directory first: a change after this makes the next write
        // reconcile again rather than trust what was listed before it.
        let dir = self.customers_dir_key()?;
        let files = self.customer_files_keyed()?;
        let reuse_ids = ids.reusable(&files);
        let reuse_summaries = summaries.map(|s| s.reusable(&files));
        let to_parse: Vec<usize> = (0..files.len())
            .filter(|&i| {
                reuse_ids[i].is_none() || reuse_summaries.as_ref().is_some_and(|r| r[i].is_none())
            })
            .collect();
        let parsed = crate::parallel::map(&to_parse, |&i| {
            let (name, key) = &files[i];
            let result = self.parse_customer_file(name);
            let entries = encode_entries(name, *key, result.as_ref().ok(), started);
            (entries, result.err())
        });
        let mut fresh: Vec<Option<(Vec<u8>, Vec<u8>)>> = vec![None; files.len()];
        let mut errors = Vec::new();
        for (&i, (entries, error)) in to_parse.iter().zip(parsed) {
            fresh[i] = Some(entries);
            errors.extend(error);
        }
        let ids_out = Index::build(
            IDS_MAGIC,
            dir,
            started,
            (0..files.len()).map(|i| match (&fresh[i], reuse_ids[i]) {
                (Some((a, _)), _) => a.as_slice(),
                (None, Some(j)) => ids.frame(j),
                (None, None) => unreachable!("every file is reused or parsed"),
            }),
        );
        let summaries_out = summaries.zip(reuse_summaries.as_ref()).map(|(old, reuse)| {
            Index::build(
                SUMMARIES_MAGIC,
                dir,
                started,
                (0..files.len()).map(|i| match (&fresh[i], reuse[i]) {
                    (Some((_, b)), _) => b.as_slice(),
                    (None, Some(j)) => old.frame(j),
                    (None, None) => unreachable!("every file is reused or parsed"),
                }),
            )
        });
        let ids_stale = reuse_ids.iter().any(Option::is_none)
            || ids.frames.len() != files.len()
            || ids.dir != dir
            || ids.dir_is_racy();
        let summaries_stale = summaries
            .zip(reuse_summaries.as_ref())
            .is_some_and(|(old, r)| {
                r.iter().any(Option::is_none) || old.frames.len() != files.len()
            });
        Ok(Reconciled {
            ids: ids_out,
            ids_stale,
            summaries: summaries_out,
            summaries_stale,
            errors,
            parsed: to_parse.len(),
        })
    }

    /// Every customer's summary, from the index where the file is
    /// unchanged; both index files are brought up to date.
    pub fn customer_summaries(&self) -> Result<CustomerSummaries> {
        let ids = self.read_index(IDS_FILE, IDS_MAGIC);
        let old = self.read_index(SUMMARIES_FILE, SUMMARIES_MAGIC);
        let r = self.reconcile_customers(&ids, Some(&old))?;
        drop((ids, old));
        if r.ids_stale {
            self.write_index(IDS_FILE, &r.ids);
        }
        let index = r.summaries.expect("asked for");
        if r.summaries_stale {
            self.write_index(SUMMARIES_FILE, &index);
        }
        let mut summaries = Vec::with_capacity(index.frames.len());
        for i in 0..index.frames.len() {
            let entry: Entry<CustomerSummary> =
                postcard::from_bytes(index.frame(i)).expect("verified");
            summaries.extend(entry.record);
        }
        Ok(CustomerSummaries {
            summaries,
            errors: r.errors,
            parsed: r.parsed,
        })
    }

    /// The index for a write; call under the customer lock. Trusted as it
    /// is when `customers/` is unchanged since it was written, brought up to
    /// date otherwise. Fails on any unreadable customer file: a duplicate
    /// check that skipped one would not be a check.
    pub(super) fn customer_index_for_write(&self) -> Result<CustomerIndex> {
        let dir = self.customers_dir_key()?;
        // IDs, damaged lookups and the files that could not be read when
        // indexed (tried again below: they may have been mended in place),
        // gathered while the index is verified: one pass over it.
        let mut gathered = Gathered::default();
        let old = self.read_index_visiting(IDS_FILE, IDS_MAGIC, &mut |h| gathered.add(h));
        // A directory changed within the racy window could change again in
        // the same timestamp tick unseen: then the names and inodes are
        // compared too (one read of the directory).
        let trusted =
            old.dir.is_some() && old.dir == dir && (!old.dir_is_racy() || self.same_files(&old)?);
        let index = if trusted {
            old
        } else {
            let r = self.reconcile_customers(&old, None)?;
            self.write_index(IDS_FILE, &r.ids);
            Error::all(r.errors)?;
            gathered = Gathered::default();
            for i in 0..r.ids.frames.len() {
                gathered.add(&r.ids.head(i));
            }
            r.ids
        };
        let Gathered {
            ids,
            damaged,
            broken,
        } = gathered;
        let mut view = CustomerIndex {
            index,
            fresh: Vec::new(),
            ids,
            damaged,
        };
        let mut errors = Vec::new();
        for name in broken {
            match self.parse_customer_file(&name) {
                Ok(c) => view.fresh.push((name.clone(), self.entry_now(&name, &c)?)),
                Err(e) => errors.push(e),
            }
        }
        Error::all(errors)?;
        Ok(view)
    }

    /// The identities entry for a customer file as it is now on disk.
    fn entry_now(&self, name: &str, c: &Customer) -> Result<Vec<u8>> {
        let path = self.customers_dir().join(format!("{name}.yaml"));
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        Ok(encode_entries(name, FileKey::of(&meta), Some(c), now_nanos()).0)
    }

    /// Records customers this write has just written, with the directory
    /// as it is now (the lock keeps other desk writers out). Best effort.
    /// The summaries index is left to `customer list`, which notices the
    /// changed files by their identity.
    pub(super) fn index_written(&self, mut view: CustomerIndex, written: &[Customer]) {
        for c in written {
            match self.entry_now(&c.id, c) {
                Ok(bytes) => {
                    view.fresh.retain(|(n, _)| *n != c.id);
                    view.fresh.push((c.id.clone(), bytes));
                }
                // Unknown state: leave it to the next reconcile.
                Err(_) => return self.forget_customer_index(),
            }
        }
        // This write has just changed the directory: taken at once, the
        // index would be racy and the next write would list the directory.
        // On a file system with fine times, waiting out the short window
        // (under the lock, so no other desk write is held up longer than
        // that) makes the next write trust it.
        let mut taken = now_nanos();
        let Ok(mut dir) = self.customers_dir_key() else {
            return self.forget_customer_index();
        };
        if let Some(key) = dir.filter(FileKey::has_fine_times) {
            let wait = key.newest_nanos() + key.racy_nanos() - taken;
            if wait > 0 {
                std::thread::sleep(std::time::Duration::from_nanos(wait as u64 + 1_000_000));
                taken = now_nanos();
                let Ok(again) = self.customers_dir_key() else {
                    return self.forget_customer_index();
                };
                dir = again;
            }
        }
        view.fresh.sort_by(|a, b| a.0.cmp(&b.0));
        // The old entries and the fresh ones, merged by name.
        // Old frames are copied as they are; only a few are decoded, to
        // find where each fresh entry goes (a write touches a few names).
        let old = &view.index;
        let count = old.frames.len();
        let mut merged: Vec<&[u8]> = Vec::with_capacity(count + view.fresh.len());
        let mut next = 0;
        for (name, bytes) in &view.fresh {
            let at = old.first_not_before(next, name);
            merged.extend((next..at).map(|i| old.frame(i)));
            merged.push(bytes);
            next = if at < count && old.lead(at).name == name {
                at + 1
            } else {
                at
            };
        }
        merged.extend((next..count).map(|i| old.frame(i)));
        self.write_index(
            IDS_FILE,
            &Index::build(IDS_MAGIC, dir, taken, merged.into_iter()),
        );
    }

    /// Removes the identities index, so the next command rebuilds it.
    fn forget_customer_index(&self) {
        let _ = std::fs::remove_file(self.customer_index_path(IDS_FILE));
    }
}

/// What a pass over every customer file made of the indexes.
struct Reconciled {
    ids: Index,
    /// Whether `ids` differs from the index it was made from.
    ids_stale: bool,
    summaries: Option<Index>,
    summaries_stale: bool,
    errors: Vec<Error>,
    parsed: usize,
}

/// Appends a length-prefixed frame; returns the range of its contents.
fn push_frame(out: &mut Vec<u8>, bytes: &[u8]) -> std::ops::Range<usize> {
    let len = u32::try_from(bytes.len()).expect("an index entry is small");
    out.extend_from_slice(&len.to_le_bytes());
    let start = out.len();
    out.extend_from_slice(bytes);
    start..out.len()
}

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        let key = FileKey {
            size: 10,
            mtime: (1, 2),
            ctime: (3, 4),
            inode: 5,
        };
        let entries: Vec<Vec<u8>> = ["C000001", "C000002"]
            .iter()
            .map(|n| encode_entries(n, key, None, 0).0)
            .collect();
        Index::build(
            IDS_MAGIC,
            Some(key),
            99,
            entries.iter().map(|e| e.as_slice()),
        )
    }

    fn sealed(index: &Index) -> Vec<u8> {
        let mut bytes = index.bytes.clone();
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        bytes
    }

    #[test]
    fn an_index_reads_back_and_any_flipped_bit_is_refused() {
        let bytes = sealed(&sample());
        let back = Index::parse(bytes.clone(), IDS_MAGIC).expect("a sound index reads back");
        assert!(
            Index::parse(bytes.clone(), SUMMARIES_MAGIC).is_none(),
            "one kind of index is not read as the other"
        );
        assert_eq!(back.frames.len(), 2);
        assert_eq!(back.head(1).name, "C000002");
        assert_eq!(back.taken, 99);
        for bit in 0..bytes.len() * 8 {
            let mut bad = bytes.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                Index::parse(bad, IDS_MAGIC).is_none(),
                "bit {bit} flipped went unseen"
            );
        }
        for len in 0..bytes.len() {
            assert!(
                Index::parse(bytes[..len].to_vec(), IDS_MAGIC).is_none(),
                "cut at {len}"
            );
        }
    }

    #[test]
    fn entries_out_of_name_order_are_refused() {
        let index = sample();
        let swapped = Index::build(
            IDS_MAGIC,
            index.dir,
            index.taken,
            [index.frame(1), index.frame(0)].into_iter(),
        );
        assert!(Index::parse(sealed(&swapped), IDS_MAGIC).is_none());
    }
}
