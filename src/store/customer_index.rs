//! The customer index: two derived indexes (`store/index/`) of
//! `customers/`, refreshed together from one parse of each changed file:
//! - `customers.bin` ([`CustomerIdentities`]): for every customer file, its
//!   ID and the values that identify the customer
//!   ([`Customer::identities`]): the duplicate guard and ID allocation of
//!   writes;
//! - `customer-summaries.bin` ([`CustomerSummaryIndex`]): the same files'
//!   [`CustomerSummary`], what `desk customer list` shows and filters on.
//!
//! Two ways to trust them:
//! - Reading commands stat every customer file, take unchanged files from
//!   the index and parse the rest, as the ticket cache does; they see every
//!   change, whoever made it, and bring both files up to date.
//! - Writes (add, edit, import), under the customer lock, stat only the
//!   `customers/` directory ([`Whole::names_folder`]). Creating, deleting or
//!   renaming a file in it changes the directory's modification time, and
//!   git (checkout, pull, merge, reset), desk itself and most editors write
//!   a file by creating a new one; so an unchanged directory means the
//!   identities index names every file with its content as indexed. A
//!   changed directory makes the write stat every file and parse the
//!   changed ones first. The one change this misses, an edit in place
//!   (nano, `>`), is seen by the next reading command or `desk check`
//!   (docs/performance.md).

use crate::store::read::OpenFolder;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::customers::parse_customer;
use super::index::{
    checked_entry, now_nanos, write_began, Base, Derived, Entry, Folder, Listed, Logged, Of, Old,
    Slot, Whole, WriteLog,
};
use super::read::Held;
use super::{FileKey, Store};
use crate::clock::Timestamp;
use crate::config::CustomerConfig;
use crate::error::{Error, Result};
use crate::model::{
    identity_field, own_and_contacts, Customer, CustomerKind, Identities, Sequence,
};

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

/// `customers/`; a file's name is its name without `.yaml`.
pub(super) struct Customers;

impl Folder for Customers {
    type Parsed = Customer;
    const DIR: &'static str = "customers";

    fn files(store: &Store, stat: bool) -> Result<Vec<Listed>> {
        // Not following a link: a link is refused when read (read_file),
        // and indexed as unreadable.
        Ok(store
            .customer_entries(stat)?
            .into_iter()
            .map(|(name, found)| Listed {
                name,
                ino: found.ino,
                key: found.key,
            })
            .collect())
    }

    fn parse(store: &Store, name: &str, open: &OpenFolder) -> Result<Customer> {
        let path = store.customers_dir().join(format!("{name}.yaml"));
        parse_customer(&store.read_listed(&path, open)?, store.display_path(&path))
    }
}

/// What a write needs of a customer file.
#[derive(Serialize, Deserialize)]
pub(super) struct IdentityRecord {
    /// The ID inside the file (normally its name).
    id: String,
    /// [`Customer::identities`], field and value.
    identities: Vec<(String, String)>,
}

/// The same, borrowed from the index's bytes.
#[derive(Deserialize)]
struct HeadRecord<'a> {
    id: &'a str,
    #[serde(borrow)]
    identities: Vec<(&'a str, &'a str)>,
}

impl<'a> HeadRecord<'a> {
    fn of(entry: &Entry<'a>) -> Option<HeadRecord<'a>> {
        postcard::from_bytes(entry.record?).ok()
    }
}

/// The identities index, trusted whole by writes: every file is named,
/// even one too recent to trust by its identity or unreadable.
pub(super) struct CustomerIdentities;

impl Derived for CustomerIdentities {
    type Folder = Customers;
    type Record = IdentityRecord;
    const NAME: &'static str = "customer-identities";
    const FILE: &'static str = "customers.bin";
    /// 004: the frame of every derived index.
    const MAGIC: &'static [u8; 8] = b"DESKK004";
    const COMPLETE: bool = true;

    fn derive(c: &Customer) -> IdentityRecord {
        IdentityRecord {
            id: c.id.clone(),
            identities: c
                .identities()
                .into_iter()
                .map(|(f, v)| (f.to_string(), v))
                .collect(),
        }
    }
}

/// The summaries index, read by `customer list`.
pub(super) struct CustomerSummaryIndex;

impl Derived for CustomerSummaryIndex {
    type Folder = Customers;
    type Record = CustomerSummary;
    const NAME: &'static str = "customer-summaries";
    const FILE: &'static str = "customer-summaries.bin";
    /// 003: the frame of every derived index.
    const MAGIC: &'static [u8; 8] = b"DESKS003";

    fn derive(c: &Customer) -> CustomerSummary {
        CustomerSummary::of(c)
    }

    /// A reading command keeps the identities up to date too, so that an
    /// edit in place reaches the next write.
    fn companions() -> &'static [&'static dyn Slot<Customer>] {
        &[&Of::<CustomerIdentities>::SLOT]
    }
}

/// What a write needs of every identities entry, gathered in one pass
/// over an index file verified whole.
#[derive(Default)]
struct Gathered {
    /// The customer numbers of the readable entries' IDs.
    numbers: Vec<u64>,
    damaged: Vec<(String, String)>,
    /// File names of the entries that could not be read.
    broken: Vec<String>,
}

impl Gathered {
    fn add(&mut self, entry: &Entry, config: &CustomerConfig) {
        match HeadRecord::of(entry) {
            Some(r) => {
                self.numbers.extend(config.number_of(r.id));
                self.damaged.extend(damaged_of(r.id, &r.identities));
            }
            None => self.broken.push(entry.name.to_string()),
        }
    }
}

/// (field, ID) of the malformed sealed lookups among a record's identities.
fn damaged_of<'a>(
    id: &'a str,
    identities: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (String, String)> + 'a {
    identities
        .iter()
        .filter(|(field, value)| crate::model::damaged_lookup(field, value))
        .map(move |(field, _)| (field.to_string(), id.to_string()))
}

/// What a write needs of every entry of the identities index besides the
/// duplicate check's few: kept in the write log ([`WriteLog`]), so that the
/// next write neither decodes the index file nor rewrites it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Digest {
    /// The customer ID format it was taken under (prefix, digits): the
    /// numbers below are of IDs of that format.
    id_format: (String, usize),
    /// The [`Sequence`] of the customer numbers of every entry: its top
    /// and its outliers.
    top: u64,
    outliers: Vec<u64>,
    /// (field, customer ID) of every malformed sealed lookup.
    damaged: Vec<(String, String)>,
}

impl Digest {
    fn of(gathered: &mut Gathered, config: &CustomerConfig) -> Digest {
        let sequence = Sequence::of(gathered.numbers.drain(..), Sequence::CUSTOMER_GAP);
        Digest {
            id_format: id_format(config),
            top: sequence.top,
            outliers: sequence.outliers,
            damaged: std::mem::take(&mut gathered.damaged),
        }
    }

    fn sequence(&self) -> Sequence {
        Sequence {
            top: self.top,
            outliers: self.outliers.clone(),
            gap: Sequence::CUSTOMER_GAP,
        }
    }

    /// The same after records of `written` replaced whatever the index held
    /// for their IDs.
    fn with(mut self, written: &[(String, Vec<u8>)], config: &CustomerConfig) -> Digest {
        let records: Vec<HeadRecord> = written
            .iter()
            .filter_map(|(_, frame)| HeadRecord::of(&super::index::frame_entry(frame)))
            .collect();
        let ids: HashSet<&str> = records.iter().map(|r| r.id).collect();
        self.damaged.retain(|(_, id)| !ids.contains(id.as_str()));
        for r in &records {
            self.damaged.extend(damaged_of(r.id, &r.identities));
        }
        let sequence = self
            .sequence()
            .extended(records.iter().filter_map(|r| config.number_of(r.id)));
        self.top = sequence.top;
        self.outliers = sequence.outliers;
        self
    }
}

fn id_format(config: &CustomerConfig) -> (String, usize) {
    (config.id_prefix.clone(), config.id_digits)
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

/// The index as a write sees it, under the customer lock: the identities
/// file and its write log, checked complete, with what the write looks
/// for found in them.
pub struct CustomerIndex {
    index: Whole,
    /// The write log it was read with, if one extends the file: entries
    /// newer than the file's.
    log: Option<WriteLog>,
    /// Entries newer still, this write's (files parsed again, files
    /// written): name and frame, the last one for a name winning.
    written: Vec<(String, Vec<u8>)>,
    digest: Digest,
    /// The values the write looks for, and the entries of the file and of
    /// the log that hold their bytes (each verified), in order.
    looked_for: HashSet<String>,
    /// The file's entries that hit, copied (the file is mapped, and another
    /// program could write it in place), and the log's.
    hits: Vec<Vec<u8>>,
    log_hits: Vec<Range<usize>>,
    /// The identity of the index file `index` was read from, if known.
    file: Option<FileKey>,
    /// When the write began, for the log's record of the folder.
    began: Option<i128>,
}

impl CustomerIndex {
    fn new(
        index: Whole,
        log: Option<WriteLog>,
        digest: Digest,
        looked_for: HashSet<String>,
        (hits, log_hits): Hits,
        file: Option<FileKey>,
        began: Option<i128>,
    ) -> CustomerIndex {
        CustomerIndex {
            index,
            log,
            written: Vec::new(),
            digest,
            looked_for,
            hits,
            log_hits,
            file,
            began,
        }
    }

    /// Records `frame` as the newest entry of file `name`.
    fn put(&mut self, name: String, frame: Vec<u8>) {
        match self.written.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = frame,
            None => self.written.push((name, frame)),
        }
    }

    fn written_here(&self, name: &str) -> bool {
        self.written.iter().any(|(n, _)| n == name)
    }

    /// The newest record of each customer the write looks for may hold:
    /// the file's entries that hold one of the values' bytes, unless the log
    /// or this write has a newer one for the same file; the log's, unless a
    /// newer one replaced them; and this write's.
    fn records(&self) -> impl Iterator<Item = HeadRecord<'_>> {
        let newest_in_log = |name: &str| self.log.as_ref().and_then(|log| log.newest(name));
        let old = self.hits.iter().filter_map(move |frame| {
            let entry = super::index::frame_entry(frame);
            let replaced = self.written_here(entry.name) || newest_in_log(entry.name).is_some();
            (!replaced).then(|| HeadRecord::of(&entry)).flatten()
        });
        let logged = self.log_hits.iter().filter_map(move |frame| {
            let log = self.log.as_ref()?;
            let entry = log.entry(frame.clone())?;
            let newest = newest_in_log(entry.name) == Some(Some(frame.clone()));
            (newest && !self.written_here(entry.name))
                .then(|| HeadRecord::of(&entry))
                .flatten()
        });
        let written = self
            .written
            .iter()
            .filter_map(|(_, frame)| HeadRecord::of(&super::index::frame_entry(frame)));
        old.chain(logged).chain(written)
    }

    fn assert_looked_for<'a>(&self, values: impl IntoIterator<Item = &'a str>) {
        for v in values {
            debug_assert!(
                v.is_empty() || self.looked_for.contains(v),
                "{v:?} was not looked for"
            );
        }
    }

    /// (field, customer ID) of every sealed lookup that is malformed, for
    /// [`crate::model::guard_sound`].
    pub fn damaged_lookups(&self) -> Vec<(&'static str, String)> {
        self.digest
            .damaged
            .iter()
            .filter_map(|(field, id)| Some((identity_field(field)?, id.clone())))
            .collect()
    }

    /// The sequence of the customer numbers of every indexed customer.
    pub fn sequence(&self) -> Sequence {
        self.digest.sequence()
    }

    /// Whether a customer of ID `id` is indexed (`id` must have been
    /// looked for).
    pub fn holds_id(&self, id: &str) -> bool {
        self.assert_looked_for([id]);
        self.records().any(|r| r.id == id)
    }

    /// Every customer holding one of `values` (which must have been looked
    /// for), by value: a batch's clashes with the store.
    pub fn holders_of(&self, values: &Identities) -> HashMap<(&'static str, String), Vec<String>> {
        self.assert_looked_for(values.values());
        let mut found: HashMap<(&'static str, String), Vec<String>> = HashMap::new();
        for r in self.records() {
            for (field, value) in &r.identities {
                if let Some((_, field)) = values.holder(field, value) {
                    found
                        .entry((field, value.to_string()))
                        .or_default()
                        .push(r.id.to_string());
                }
            }
        }
        found
    }
}

/// The entries of the index file, copied, then the frames of the entries
/// of its write log, that hold the bytes of one of the values looked for.
type Hits = (Vec<Vec<u8>>, Vec<Range<usize>>);

/// The entries of `index` and of `log` that hold the bytes of one of
/// `values`: a value is stored as its own UTF-8 bytes, so every entry that
/// holds it is among them. `None` if one of them is damaged, or the newest
/// entry the log holds for its file.
fn hits_of(index: &Whole, log: Option<&WriteLog>, values: &HashSet<String>) -> Option<Hits> {
    let mut positions: Vec<usize> = values
        .iter()
        .filter(|v| !v.is_empty())
        .flat_map(|v| memchr::memmem::find_iter(index.bytes(), v.as_bytes()))
        .collect();
    positions.sort_unstable();
    let mut hits = Vec::new();
    let mut names = Vec::new();
    for frame in index.frames_holding(&positions) {
        // Copied, then checked: what is decoded later is what was checked.
        let copy = index.bytes().get(frame)?.to_vec();
        let entry = checked_entry(&copy, 0..copy.len())?;
        names.push(entry.name.to_string());
        hits.push(copy);
    }
    let Some(log) = log else {
        return Some((hits, Vec::new()));
    };
    let log_hits = log.frames_holding(values.iter().map(String::as_str));
    for frame in &log_hits {
        names.push(log.entry(frame.clone())?.name.to_string());
    }
    if names.iter().any(|name| log.newest(name) == Some(None)) {
        return None;
    }
    Some((hits, log_hits))
}

/// The write log is folded into the index file when it would grow past
/// this share of the file (and this much besides): a write reads the whole
/// log, and a fold rewrites the whole file.
const LOG_SHARE: u64 = 8;
/// Small in unit tests, so that a few writes fold the log.
const LOG_BASE: u64 = if cfg!(test) { 4 * 1024 } else { 64 * 1024 };
/// How far past its limit a log is still read: one write's record (an
/// import's may be large; the next write folds it). Anything longer is not a
/// log desk wrote, and is ignored rather than read.
const LOG_SLACK: u64 = 64 << 20;

fn log_limit(index: &Whole) -> u64 {
    index.bytes().len() as u64 / LOG_SHARE + LOG_BASE
}

impl Store {
    /// Every customer's summary, from the index where the file is
    /// unchanged; both index files are brought up to date.
    pub fn customer_summaries(&self) -> Result<CustomerSummaries> {
        let old = self.open_index::<CustomerSummaryIndex>();
        let mut summaries = Vec::new();
        let r =
            self.refresh::<CustomerSummaryIndex>(old, false, |i, _, s| summaries.push((i, s)))?;
        summaries.sort_unstable_by_key(|(i, _)| *i);
        Ok(CustomerSummaries {
            summaries: summaries.into_iter().map(|(_, s)| s).collect(),
            errors: r.errors,
            parsed: r.parsed,
        })
    }

    /// The index for a write that looks for `values` (identifying values,
    /// given IDs); call under the customer lock. Trusted as it is when
    /// `customers/` is unchanged since the last write logged it (or since
    /// the index file was written), brought up to date otherwise. Fails on
    /// any unreadable customer file: a duplicate check that skipped one
    /// would not be a check.
    pub(super) fn customer_index_for_write(&self, values: Vec<String>) -> Result<CustomerIndex> {
        let began = write_began();
        let looked_for: HashSet<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        let folder = self.folder_key::<Customers>()?;
        let (mapped, file) = self.map_index::<CustomerIdentities>();
        let bytes = match Whole::by_length::<CustomerIdentities>(mapped) {
            Ok(whole) => {
                let logged = file.and_then(|file| self.trusted_log(&whole, file, folder));
                let hits = logged
                    .as_ref()
                    .and_then(|(log, _)| hits_of(&whole, Some(log), &looked_for))
                    // The file still the one the log names, after the copies.
                    .filter(|_| self.index_key::<CustomerIdentities>() == file);
                match logged.zip(hits) {
                    Some(((log, digest), hits)) => {
                        let view = CustomerIndex::new(
                            whole,
                            Some(log),
                            digest,
                            looked_for,
                            hits,
                            file,
                            began,
                        );
                        return Ok(view);
                    }
                    None => whole.into_bytes(),
                }
            }
            Err(bytes) => bytes,
        };
        // A copy, which no other program can change while it is verified
        // and used.
        let bytes = bytes.owned();
        // Verified whole, entry by entry, while what a write needs of every
        // entry is gathered: one pass.
        let config = &self.config.customers;
        let mut gathered = Gathered::default();
        let old = Whole::of::<CustomerIdentities>(bytes, |e| gathered.add(e, config));
        let mut refreshed = false;
        let index = match old {
            Some(whole) if whole.names_folder::<Customers>(self, folder)? => whole,
            old => {
                refreshed = true;
                let bytes = old.map_or_else(|| Held::Owned(Vec::new()), Whole::into_bytes);
                let r = self.refresh_quietly::<CustomerIdentities>(Old::Bytes(&bytes), true)?;
                Error::all(r.errors)?;
                gathered = Gathered::default();
                let held = r.held.expect("asked for");
                Whole::of::<CustomerIdentities>(held, |e| gathered.add(e, config))
                    .expect("an index just built is whole")
            }
        };
        let broken = std::mem::take(&mut gathered.broken);
        let digest = Digest::of(&mut gathered, config);
        let hits = hits_of(&index, None, &looked_for).expect("an index verified whole is sound");
        let file = file.filter(|_| !refreshed);
        let mut view = CustomerIndex::new(index, None, digest, looked_for, hits, file, began);
        // Files that could not be read when indexed are tried again: they
        // may have been mended in place.
        let mut errors = Vec::new();
        let mut mended = Vec::new();
        for name in broken {
            match Customers::parse(self, &name, &OpenFolder::default()) {
                Ok(c) => mended.push((name.clone(), self.entry_now(&name, &c)?)),
                Err(e) => errors.push(e),
            }
        }
        Error::all(errors)?;
        view.digest = view.digest.with(&mended, config);
        for (name, frame) in mended {
            view.put(name, frame);
        }
        Ok(view)
    }

    /// The write log of `index`, read from the file of identity `file`, and
    /// its digest, if the log extends this file and names `customers/` as
    /// it is now (`folder`). The entries it records are checked as they are
    /// read.
    fn trusted_log(
        &self,
        index: &Whole,
        file: FileKey,
        folder: Option<FileKey>,
    ) -> Option<(WriteLog, Digest)> {
        let base = Base {
            header: *index.header(),
            file,
        };
        let log = self.read_write_log::<CustomerIdentities>(&base, log_limit(index) + LOG_SLACK)?;
        let digest = postcard::from_bytes::<Digest>(&log.last.digest)
            .ok()
            .filter(|d| d.id_format == id_format(&self.config.customers))?;
        log.names_folder(folder).then_some((log, digest))
    }

    /// The identities entry for a customer file as it is now on disk.
    fn entry_now(&self, name: &str, c: &Customer) -> Result<Vec<u8>> {
        let path = self.customers_dir().join(format!("{name}.yaml"));
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        let record = CustomerIdentities::derive(c);
        Ok(CustomerIdentities::frame(
            name,
            &FileKey::of(&meta),
            now_nanos(),
            Some(&record),
        ))
    }

    /// Records customers this write has just written, with the directory
    /// as it is now (the lock keeps other desk writers out): one record
    /// appended to the write log, or, once the log has outgrown its share,
    /// the log folded into the index file. Best effort. The summaries index
    /// is left to `customer list`, which notices the changed files by their
    /// identity.
    pub(super) fn index_written(&self, mut view: CustomerIndex, written: &[Customer]) {
        let mut frames = Vec::new();
        for c in written {
            match self.entry_now(&c.id, c) {
                Ok(frame) => frames.push((c.id.clone(), frame)),
                // Unknown state: leave it to the next reconcile.
                Err(_) => {
                    let _ = self.forget_index::<CustomerIdentities>();
                    return;
                }
            }
        }
        let digest = view.digest.clone().with(&frames, &self.config.customers);
        for (name, frame) in frames {
            view.put(name, frame);
        }
        let Some((header, exact)) = self.settled_folder::<Customers>(view.began) else {
            let _ = self.forget_index::<CustomerIdentities>();
            return;
        };
        let logged = Logged {
            header,
            exact,
            digest: postcard::to_stdvec(&digest).expect("digests serialise"),
        };
        let written: Vec<&[u8]> = view.written.iter().map(|(_, f)| f.as_slice()).collect();
        let Some(log) = &view.log else {
            // The first write since the index file was written (the file
            // this write read, unless another command has replaced it).
            let file = self.settled_index_key::<CustomerIdentities>();
            let Some(file) = file.filter(|f| view.file.is_none_or(|read| read == *f)) else {
                return;
            };
            let base = Base {
                header: *view.index.header(),
                file,
            };
            return self.start_write_log::<CustomerIdentities>(&base, &logged, &written);
        };
        let limit = log_limit(&view.index);
        if self.append_write_log::<CustomerIdentities>(log, &logged, &written, limit) {
            return;
        }
        // Folded into a new index file, under the folder's identity just
        // taken; a new log extends that file. The file (a copy) and the log
        // are verified whole first: a fold must not carry a damaged entry
        // into a file the new log vouches for.
        let mut fresh = Vec::with_capacity(log.frames().len() + view.written.len());
        for frame in log.frames() {
            let Some(entry) = log.entry(frame.clone()) else {
                let _ = self.forget_index::<CustomerIdentities>();
                return;
            };
            fresh.push((
                entry.name.to_string(),
                log.frame_bytes(frame.clone()).to_vec(),
            ));
        }
        fresh.extend(view.written.iter().cloned());
        let copy = Whole::of::<CustomerIdentities>(view.index.into_bytes().owned(), |_| {});
        let folded =
            copy.is_some_and(|c| self.write_merged::<CustomerIdentities>(&c, fresh, &header));
        match self
            .settled_index_key::<CustomerIdentities>()
            .filter(|_| folded)
        {
            Some(file) => {
                let base = Base { header, file };
                self.start_write_log::<CustomerIdentities>(&base, &logged, &[]);
            }
            None => {
                let _ = self.forget_index::<CustomerIdentities>();
            }
        }
    }
}
