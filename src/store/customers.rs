//! Customer files: `customers/<ID>.yaml`. Every write of a customer takes the
//! store's one customer lock, so that ID allocation and the duplicate guard
//! see every other writer's customers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::customer_index::CustomerIndex;
use super::{read_file, read_to_string, write_atomic, Lock, Store};
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{duplicate_error, guard_sound, Clashes, Customer, Duplicate, Identities};
use crate::yaml::from_yaml;

/// The name of the customer lock (`.desk/locks/customers.lock`).
pub(super) const LOCK: &str = "customers";

/// The environment variable naming the age key file: the identity, which
/// opens sealed numbers (and brings the lookup key with it).
pub const KEY_FILE_VAR: &str = "DESK_KEY_FILE";
/// The environment variable naming the lookup key file, which registers and
/// finds sealed numbers but opens none (`desk keys export-lookup`).
pub const LOOKUP_KEY_FILE_VAR: &str = "DESK_LOOKUP_KEY_FILE";

/// The text of the key file that `var` names and the path, or why there is
/// none: `unset` when the variable is not set, then `hint` (how to get one).
fn key_text(var: &str, unset: &str, hint: &str) -> Result<crate::crypto::KeyText> {
    match std::env::var_os(var) {
        None => Ok(Err(format!("{unset}; {hint}"))),
        Some(path) if path.is_empty() => Ok(Err(format!("{var} is empty; {hint}"))),
        Some(path) => {
            let path = PathBuf::from(path);
            let text = read_to_string(&path)?;
            Ok(Ok((text, path.display().to_string())))
        }
    }
}

pub fn render_customer(customer: &Customer) -> String {
    crate::yaml::to_string(customer).expect("a customer always serialises")
}

pub fn parse_customer(text: &str, path: &Path) -> Result<Customer> {
    Ok(from_yaml(text, path)?)
}

/// Every customer of the store, and every file that could not be read.
#[derive(Debug, Default)]
pub struct CustomerScan {
    pub customers: Vec<Customer>,
    pub errors: Vec<Error>,
}

impl CustomerScan {
    /// Fails with one error naming every unreadable file, if there were any.
    pub fn into_result(self) -> Result<()> {
        Error::all(self.errors)
    }
}

impl Store {
    pub fn customers_dir(&self) -> PathBuf {
        self.root.join("customers")
    }

    pub fn customer_path(&self, id: &str) -> PathBuf {
        self.customers_dir().join(format!("{id}.yaml"))
    }

    /// The keyring for sealed numbers: the recipients of desk.yaml, the
    /// identity from the file named by `DESK_KEY_FILE` and the lookup key
    /// from the file named by `DESK_LOOKUP_KEY_FILE`, each when set.
    pub fn keyring(&self) -> Result<Keyring> {
        let identity = key_text(
            KEY_FILE_VAR,
            &format!("{KEY_FILE_VAR} is not set"),
            &format!(
                "export {KEY_FILE_VAR}=FILE, an age key file (identity) of this store, held by: \
                 {} (`desk keys status` tells more)",
                self.identity_holders()
            ),
        )?;
        let lookup = key_text(
            LOOKUP_KEY_FILE_VAR,
            &format!("neither {LOOKUP_KEY_FILE_VAR} nor {KEY_FILE_VAR} is set"),
            &format!(
                "registering and finding ID-card and bank-card numbers needs the lookup key: \
                 export {LOOKUP_KEY_FILE_VAR}=FILE, the file a holder of the identity makes with \
                 `desk keys export-lookup` (or {KEY_FILE_VAR}=FILE, the identity, which brings it)"
            ),
        )?;
        Ok(Keyring::new(
            self.config.encryption.as_ref(),
            &self.settings.recipients,
            identity,
            lookup,
        )?)
    }

    /// Who is meant to hold the identity, for messages: `encryption.holders`.
    pub fn identity_holders(&self) -> String {
        let holders = self
            .config
            .encryption
            .as_ref()
            .map_or_else(crate::crypto::default_holders, |e| e.holders.clone());
        if holders.is_empty() {
            "nobody (encryption.holders is empty)".into()
        } else {
            holders.join(", ")
        }
    }

    /// What a user typed as a customer ID, normalised (`c1` is not guessed:
    /// IDs are given in full, any case).
    pub fn customer_id(&self, input: &str) -> Result<String> {
        let id = input.trim().to_ascii_uppercase();
        if self.config.customers.is_id(&id) {
            Ok(id)
        } else {
            Err(Error::invalid(
                "customer ID",
                // Perhaps a phone number typed in the wrong place.
                crate::model::mask::unknown(input),
                format!(
                    "expected a customer ID such as {}",
                    self.config.customers.format_id(1)
                ),
            ))
        }
    }

    pub fn customer_exists(&self, id: &str) -> bool {
        self.customer_path(id).is_file()
    }

    pub fn load_customer(&self, id: &str) -> Result<Customer> {
        let path = self.customer_path(id);
        let Some(text) = self.read_entry(&path)? else {
            return Err(Error::NotFound {
                what: "customer",
                id: id.to_string(),
            });
        };
        let customer = parse_customer(&text, self.display_path(&path))?;
        if customer.id != id {
            return Err(Error::Parse {
                path: self.display_path(&path).into(),
                line: None,
                message: format!(
                    "the file holds customer '{}', not '{id}'; run `desk check`",
                    customer.id
                ),
            });
        }
        Ok(customer)
    }

    /// Every customer file (`*.yaml`, not hidden), by name without
    /// `.yaml`, listed where the store reads: the work tree, or a commit.
    pub fn customer_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.customers_dir();
        let mut names = self.yaml_paths("customers", super::walk::Depth::Flat)?;
        // By name without `.yaml`, the order of the customer index.
        names.sort_by(|a, b| {
            let stem = |name: &str| name.strip_suffix(".yaml").unwrap_or(name).to_string();
            stem(a).cmp(&stem(b))
        });
        Ok(names.into_iter().map(|name| dir.join(name)).collect())
    }

    /// The customer files (`*.yaml`, not hidden) with their names without
    /// `.yaml`, sorted by name; `stat`: each with its identity.
    pub(super) fn customer_entries(&self, stat: bool) -> Result<Vec<(String, super::walk::Found)>> {
        use super::walk::{yaml_files, Depth};
        let mut files: Vec<(String, super::walk::Found)> =
            yaml_files(&self.root, "customers", Depth::Flat, stat)?
                .into_iter()
                .map(|found| {
                    let stem = found.rel.strip_suffix(".yaml").unwrap_or(&found.rel);
                    (stem.to_string(), found)
                })
                .collect();
        // By name without `.yaml`, the order of the customer index.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    pub fn scan_customers(&self) -> Result<CustomerScan> {
        let files = self.customer_files()?;
        let parsed = crate::parallel::map(&files, |path| {
            let shown = self.display_path(path);
            read_file(path, shown).and_then(|text| parse_customer(&text, shown))
        });
        let mut scan = CustomerScan::default();
        for result in parsed {
            match result {
                Ok(c) => scan.customers.push(c),
                Err(e) => scan.errors.push(e),
            }
        }
        Ok(scan)
    }

    /// Also finishes an import that was interrupted, so every writer
    /// starts from a store with all of that import or none of it.
    fn customer_lock(&self) -> Result<Lock> {
        let lock = self.lock(LOCK)?;
        self.recover_import_locked()?;
        if lock.abandoned() {
            self.sweep_before_write(&self.customers_dir(), Some(LOCK));
        }
        Ok(lock)
    }

    /// Creates customers: those with an empty `id` get the next free IDs.
    /// Every one is checked against the store and the others for duplicates
    /// first; if any check or write fails, nothing is left behind.
    pub fn create_customers(&self, mut new: Vec<Customer>) -> Result<Vec<Customer>> {
        let _lock = self.customer_lock()?;
        let index = self.customer_index_for_write(looked_for(&new))?;
        let config = &self.config.customers;
        let node = self.node_for_new_ids()?;
        let mut clashes = self.clashes_in(&index, &new);
        let mut max = self.given_ids_in_sequence(&index, &new, &mut clashes)?;
        if let Some((c, k)) = new
            .iter()
            .zip(&clashes)
            .find(|(_, k)| k.far_above.is_some())
        {
            return Err(self.far_above_error(&c.id, k.far_above.unwrap_or_default()));
        }
        if let Some(c) = new.iter().zip(&clashes).find(|(_, k)| k.id_given_before) {
            return Err(Error::Refused(format!(
                "customer {} is given twice",
                c.0.id
            )));
        }
        guard_sound(&index.damaged_lookups(), new.iter().map(|c| (c, None)))?;
        // Against the store, then against each other.
        for (c, k) in new.iter().zip(&clashes) {
            if let Some(d) = &k.store {
                return Err(duplicate_error(&c.id, d));
            }
        }
        for (c, k) in new.iter().zip(&clashes) {
            if let Some((_, field)) = k.earlier {
                let d = Duplicate {
                    existing: "another customer of this import".into(),
                    field,
                };
                return Err(duplicate_error(&c.id, &d));
            }
        }
        for (c, k) in new.iter_mut().zip(&clashes) {
            if c.id.is_empty() {
                // Ends in the clone's node number, if it has one (docs/git.md).
                max = crate::model::next_number(max, node).ok_or_else(|| {
                    Error::Refused(format!(
                        "no customer number left after {}",
                        config.format_id(max)
                    ))
                })?;
                c.id = config.format_id(max);
            } else if k.id_taken {
                return Err(Error::Refused(format!("customer {} already exists", c.id)));
            }
        }
        // The numbers are recorded as issued before any file is published.
        let highest = new.iter().filter_map(|c| config.number_of(&c.id)).max();
        self.publish_new_customers(&new, || {
            highest.map_or(Ok(()), |n| self.record_issued(node, n))
        })?;
        self.index_written(index, &new);
        Ok(new)
    }

    /// Takes back a customer this command just created, when what it was
    /// created for failed (`desk mail-in` could not write the ticket of an
    /// unknown sender's mail): the command leaves the customers as they
    /// were. Its number stays issued, never given again.
    pub fn withdraw_new_customer(&self, id: &str) -> Result<()> {
        let _lock = self.customer_lock()?;
        let path = self.customer_path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                super::fsio::sync_dir_itself(&self.customers_dir());
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The duplicate guard for new customers, run as `create_customers`
    /// runs it but writing nothing: what stops each of `new` from being
    /// created (see [`Clashes`]), so that a caller can name every problem
    /// at once. Fails if any customer file cannot be read: a check that
    /// skipped one would not be a check.
    pub fn new_customer_clashes(&self, new: &[Customer]) -> Result<Vec<Clashes>> {
        let _lock = self.customer_lock()?;
        // Every file looked at as a reading command does, edits in place
        // included (which a write's index takes on trust), so that a
        // damaged file is named rather than checked against as it was.
        self.customer_summaries()?.into_result()?;
        let index = self.customer_index_for_write(looked_for(new))?;
        let mut clashes = self.clashes_in(&index, new);
        self.given_ids_in_sequence(&index, new, &mut clashes)?;
        Ok(clashes)
    }

    /// Marks the given IDs of `new` that are far above the customer
    /// numbers in use (the files', the issued marks'; see
    /// [`crate::model::Sequence`]) in their `clashes`. Returns the number
    /// new IDs continue after: the sequence's highest, the given IDs
    /// included, outliers left out.
    fn given_ids_in_sequence(
        &self,
        index: &CustomerIndex,
        new: &[Customer],
        clashes: &mut [Clashes],
    ) -> Result<u64> {
        let config = &self.config.customers;
        let mut sequence = self.customer_sequence(index.sequence())?;
        let store_top = sequence.top;
        let far = sequence.take_given(new.iter().filter_map(|c| config.number_of(&c.id)));
        for (c, k) in new.iter().zip(clashes) {
            if config.number_of(&c.id).is_some_and(|n| far.contains(&n)) {
                k.far_above = Some(store_top);
            }
        }
        Ok(sequence.top)
    }

    /// The one duplicate guard: each record of `new` against the store
    /// (through the index) and against the records before it.
    fn clashes_in(&self, index: &CustomerIndex, new: &[Customer]) -> Vec<Clashes> {
        let in_store = index.holders_of(&Identities::of(new));
        let given: HashSet<&str> = new
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty())
            .collect();
        let taken: HashSet<&str> = given
            .iter()
            .copied()
            .filter(|id| index.holds_id(id))
            .collect();
        // Each value's first holder among the batch, by position.
        let mut earlier: HashMap<(&'static str, String), usize> = HashMap::new();
        let mut ids_before: HashSet<&str> = HashSet::new();
        let mut found = Vec::with_capacity(new.len());
        for (i, c) in new.iter().enumerate() {
            let identities = c.identities();
            let store = identities.iter().find_map(|key| {
                let holder = in_store
                    .get(key)?
                    .iter()
                    .find(|h| c.id.is_empty() || **h != c.id)?;
                Some(Duplicate {
                    existing: holder.clone(),
                    field: key.0,
                })
            });
            let before = identities
                .iter()
                .find_map(|key| Some((*earlier.get(key)?, key.0)));
            for key in identities {
                earlier.entry(key).or_insert(i);
            }
            let given = !c.id.is_empty();
            found.push(Clashes {
                store,
                earlier: before,
                id_taken: given
                    && (taken.contains(c.id.as_str()) || self.customer_path(&c.id).exists()),
                id_given_before: given && !ids_before.insert(c.id.as_str()),
                far_above: None,
            });
        }
        found
    }

    /// Loads, changes and writes one customer under the customer lock; the
    /// changed record must not duplicate another customer.
    pub fn modify_customer(
        &self,
        id: &str,
        change: impl FnOnce(&mut Customer) -> Result<()>,
    ) -> Result<Customer> {
        let _lock = self.customer_lock()?;
        let mut customer = self.load_customer(id)?;
        let before = customer.clone();
        change(&mut customer)?;
        let index = self.customer_index_for_write(looked_for(std::slice::from_ref(&customer)))?;
        guard_sound(&index.damaged_lookups(), [(&customer, Some(&before))])?;
        let clashes = self.clashes_in(&index, std::slice::from_ref(&customer));
        if let Some(d) = &clashes[0].store {
            return Err(duplicate_error(id, d));
        }
        let path = self.customer_path(id);
        let text = super::read::within_limit(self.display_path(&path), render_customer(&customer))?;
        write_atomic(&path, text.as_bytes())?;
        self.index_written(index, std::slice::from_ref(&customer));
        Ok(customer)
    }
}

/// What a write of `customers` looks for in the index: their identifying
/// values and their given IDs.
fn looked_for(customers: &[Customer]) -> Vec<String> {
    customers
        .iter()
        .flat_map(|c| {
            let values = c.identities().into_iter().map(|(_, v)| v);
            std::iter::once(c.id.clone()).chain(values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::model::CustomerKind;

    fn person(id: &str, phone: Option<&str>, email: Option<&str>) -> Customer {
        let at = Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap();
        let mut c = Customer::new(CustomerKind::Individual, "张三".into(), at, "li.na");
        c.id = id.into();
        c.phone = phone.map(Into::into);
        c.email = email.map(Into::into);
        c
    }

    #[test]
    fn the_duplicate_guard_names_each_records_clashes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        store
            .create_customers(vec![
                person("", Some("13900000001"), None),
                person("", None, Some("a@example.com")),
            ])
            .unwrap();
        let batch = [
            person("", Some("13900000001"), None), // 0: the store's C000001
            person("C000001", Some("13900000001"), None), // 1: itself: its ID is taken
            person("", Some("13700000005"), None), // 2: fine
            person("C000050", Some("13700000005"), None), // 3: as 2
            person("C000050", None, Some("a@example.com")), // 4: C000002's; ID as 3
            person("", Some("13700000006"), None), // 5: fine
        ];
        let clashes = store.new_customer_clashes(&batch).unwrap();
        let store_holder = |i: usize| {
            clashes[i]
                .store
                .as_ref()
                .map(|d| (d.existing.as_str(), d.field))
        };
        assert_eq!(store_holder(0), Some(("C000001", "phone")));
        assert_eq!(store_holder(1), None, "a record is not its own duplicate");
        assert!(clashes[1].id_taken && !clashes[1].id_given_before);
        assert!(clashes[2].is_empty() && clashes[5].is_empty());
        assert_eq!(clashes[3].earlier, Some((2, "phone")));
        assert!(!clashes[3].id_taken && !clashes[3].id_given_before);
        assert_eq!(store_holder(4), Some(("C000002", "email")));
        assert!(clashes[4].id_given_before);

        // Creating refuses through the same guard, and writes nothing.
        let refused = |batch: Vec<Customer>| store.create_customers(batch).unwrap_err().to_string();
        assert!(
            refused(vec![batch[0].clone()]).contains("phone already belongs to customer C000001")
        );
        assert!(refused(vec![batch[2].clone(), batch[3].clone()]).contains(
            "C000050: this phone already belongs to customer another customer of this import"
        ));
        assert!(refused(vec![batch[1].clone()]).contains("customer C000001 already exists"));
        assert!(refused(vec![batch[3].clone(), batch[4].clone()])
            .contains("customer C000050 is given twice"));
        assert_eq!(store.customer_files().unwrap().len(), 2);
    }

    /// Writes go to the customer index's write log, which is folded into
    /// the index file as it grows; through both, every write sees every
    /// earlier one: values moved by an edit, IDs in sequence.
    #[test]
    fn every_write_sees_the_ones_before_through_the_write_log_and_its_folds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        let cache = dir.path().join(".desk/cache");
        let index_bytes = || std::fs::read(cache.join("customers.bin")).unwrap_or_default();
        let phone = |n: usize| format!("139{n:08}");
        let add = |p: &str| store.create_customers(vec![person("", Some(p), None)]);
        let (mut writes, mut rewrites, mut ids) = (0, 0, 0);
        // (ID, phone) of the customers added.
        let mut holders: Vec<(String, String)> = Vec::new();
        let mut before = index_bytes();
        let mut written = |rewrites: &mut usize| {
            let now = index_bytes();
            *rewrites += usize::from(now != before);
            before = now;
        };
        for n in 1..=100 {
            let made = add(&phone(n)).unwrap();
            ids += 1;
            writes += 1;
            assert_eq!(made[0].id, format!("C{ids:06}"));
            holders.push((made[0].id.clone(), phone(n)));
            written(&mut rewrites);
            let err = add(&phone(n)).unwrap_err();
            assert!(err.to_string().contains(&made[0].id), "{err}");
            if n % 7 == 0 {
                // An earlier customer's phone moves: the new value is taken,
                // the old one free, whichever file holds the old entry.
                let (id, old) = holders.remove(n / 7);
                store
                    .modify_customer(&id, |c| {
                        c.phone = Some(phone(n + 1_000));
                        Ok(())
                    })
                    .unwrap();
                writes += 1;
                written(&mut rewrites);
                let err = add(&phone(n + 1_000)).unwrap_err();
                assert!(err.to_string().contains(&id), "{err}");
                let free = add(&old).unwrap();
                ids += 1;
                writes += 1;
                assert_eq!(free[0].id, format!("C{ids:06}"));
                written(&mut rewrites);
            }
            assert!(cache.join("customers.log").exists());
        }
        // The first write starts the log; a few more fold it.
        assert!(
            (2..writes / 5).contains(&rewrites),
            "{rewrites} rewrites of the index file in {writes} writes"
        );
        // The index rebuilt from the files says the same.
        store
            .forget_index::<super::super::customer_index::CustomerIdentities>()
            .unwrap();
        assert!(!cache.join("customers.log").exists());
        let err = add(&phone(99)).unwrap_err();
        assert!(err.to_string().contains("C0001"), "{err}");
        assert_eq!(
            add(&phone(5_000)).unwrap()[0].id,
            format!("C{:06}", ids + 1)
        );
    }
}
