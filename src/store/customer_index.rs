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

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::customers::parse_customer;
use super::index::{now_nanos, Derived, Entry, Folder, Listed, Of, Old, Slot, Whole};
use super::{read_file, FileKey, Store};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{own_and_contacts, Customer, CustomerKind, Identities};

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

    fn parse(store: &Store, name: &str) -> Result<Customer> {
        let path = store.customers_dir().join(format!("{name}.yaml"));
        let shown = store.display_path(&path);
        parse_customer(&read_file(&path, shown)?, shown)
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
    fn add(&mut self, entry: &Entry) {
        match HeadRecord::of(entry) {
            Some(r) => {
                self.ids.push((entry.name.to_string(), r.id.to_string()));
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
) -> impl Iterator<Item = (&'static str, String)> + 'a {
    identities
        .iter()
        .filter(|(field, value)| crate::model::damaged_lookup(field, value))
        .map(move |(field, _)| {
            let field = if *field == "id_card" {
                "id_card"
            } else {
                "bank_card"
            };
            (field, id.to_string())
        })
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
    index: Whole,
    /// Entries replaced or added by this write: name and frame.
    fresh: Vec<(String, Vec<u8>)>,
    /// Gathered in one pass over the index when a write opens it: every
    /// indexed customer's ID, and (field, ID) of malformed sealed lookups.
    ids: Vec<(String, String)>,
    damaged: Vec<(&'static str, String)>,
}

impl CustomerIndex {
    fn fresh_names(&self) -> HashSet<&str> {
        self.fresh.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// This write's own records.
    fn fresh_records(&self) -> impl Iterator<Item = HeadRecord<'_>> {
        self.fresh
            .iter()
            .filter_map(|(_, frame)| HeadRecord::of(&super::index::frame_entry(frame)))
    }

    /// Each indexed customer's ID and identifying values (the entries read
    /// from the index only if `old`; this write's own always).
    fn each(&self, old: bool, mut f: impl FnMut(&str, &[(&str, &str)])) {
        let fresh = self.fresh_names();
        for i in (0..self.index.len()).filter(|_| old) {
            let entry = self.index.entry(i);
            if fresh.contains(entry.name) {
                continue;
            }
            if let Some(r) = HeadRecord::of(&entry) {
                f(r.id, &r.identities);
            }
        }
        for r in self.fresh_records() {
            f(r.id, &r.identities);
        }
    }

    /// (field, customer ID) of every sealed lookup that is malformed, for
    /// [`crate::model::guard_sound`].
    pub fn damaged_lookups(&self) -> Vec<(&'static str, String)> {
        let fresh = self.fresh_names();
        let mut found: Vec<(&'static str, String)> = self
            .damaged
            .iter()
            .filter(|(_, id)| !fresh.contains(id.as_str()))
            .cloned()
            .collect();
        for r in self.fresh_records() {
            found.extend(damaged_of(r.id, &r.identities));
        }
        found
    }

    /// Calls `f` with every customer ID in the store.
    pub fn each_id(&self, mut f: impl FnMut(&str)) {
        let fresh = self.fresh_names();
        for (name, id) in &self.ids {
            if !fresh.contains(name.as_str()) {
                f(id);
            }
        }
        for r in self.fresh_records() {
            f(r.id);
        }
    }

    /// Whether one of `new`'s values occurs anywhere in the index's bytes.
    /// A value is stored as its own UTF-8 bytes, so when none occurs, no
    /// indexed customer holds one and the entries need not be decoded.
    fn may_hold_any(&self, new: &Identities) -> bool {
        new.values()
            .any(|v| memchr::memmem::find(self.index.bytes(), v.as_bytes()).is_some())
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

    /// The index for a write; call under the customer lock. Trusted as it
    /// is when `customers/` is unchanged since it was written, brought up to
    /// date otherwise. Fails on any unreadable customer file: a duplicate
    /// check that skipped one would not be a check.
    pub(super) fn customer_index_for_write(&self) -> Result<CustomerIndex> {
        let folder = self.folder_key::<Customers>()?;
        // IDs, damaged lookups and the files that could not be read when
        // indexed (tried again below: they may have been mended in place),
        // gathered while the index is verified: one pass over it.
        let mut gathered = Gathered::default();
        let old = self.read_index::<CustomerIdentities>();
        let old = Whole::of::<CustomerIdentities>(old, |e| gathered.add(e));
        let index = match old {
            Some(whole) if whole.names_folder::<Customers>(self, folder)? => whole,
            old => {
                let bytes = old.map(Whole::into_bytes).unwrap_or_default();
                let r = self.refresh_quietly::<CustomerIdentities>(Old::Bytes(&bytes), true)?;
                Error::all(r.errors)?;
                gathered = Gathered::default();
                let held = r.held.expect("asked for");
                Whole::of::<CustomerIdentities>(held, |e| gathered.add(e))
                    .expect("an index just built is whole")
            }
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
            match Customers::parse(self, &name) {
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
        let record = CustomerIdentities::derive(c);
        Ok(CustomerIdentities::frame(
            name,
            &FileKey::of(&meta),
            now_nanos(),
            Some(&record),
        ))
    }

    /// Records customers this write has just written, with the directory
    /// as it is now (the lock keeps other desk writers out). Best effort.
    /// The summaries index is left to `customer list`, which notices the
    /// changed files by their identity.
    pub(super) fn index_written(&self, mut view: CustomerIndex, written: &[Customer]) {
        for c in written {
            match self.entry_now(&c.id, c) {
                Ok(frame) => view.fresh.push((c.id.clone(), frame)),
                // Unknown state: leave it to the next reconcile.
                Err(_) => {
                    let _ = self.forget_index::<CustomerIdentities>();
                    return;
                }
            }
        }
        self.rewrite_whole::<CustomerIdentities>(&view.index, view.fresh);
    }
}
