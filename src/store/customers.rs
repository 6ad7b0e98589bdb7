//! Customer files: `customers/<ID>.yaml`. Every write of a customer takes the
//! store's one customer lock, so that ID allocation and the duplicate guard
//! see every other writer's customers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{from_yaml, read_file, read_to_string, write_atomic, Lock, Store};
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::Customer;

/// The name of the customer lock (`.desk/locks/customers.lock`).
pub(super) const LOCK: &str = "customers";

/// The environment variable naming the age key file.
pub const KEY_FILE_VAR: &str = "DESK_KEY_FILE";

pub fn render_customer(customer: &Customer) -> String {
    serde_yaml::to_string(customer).expect("a customer always serialises")
}

pub fn parse_customer(text: &str, path: &Path) -> Result<Customer> {
    from_yaml(text, path)
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

/// Another customer already holds one of a record's identifying values.
pub struct Duplicate {
    /// The holder: a customer ID, or whatever label it was indexed under.
    pub existing: String,
    pub field: &'static str,
}

/// The fields [`Customer::identities`] names (checked by a test below).
const IDENTITY_FIELDS: [&str; 5] = ["phone", "email", "credit_code", "id_card", "bank_card"];

/// Who holds each identifying value (see [`Customer::identities`]): the
/// duplicate guard of add, edit and import, and of `desk check`. Built once,
/// so checking a record costs a few lookups, not a pass over every customer.
#[derive(Debug, Default)]
pub struct Identities(HashMap<(&'static str, String), String>);

impl Identities {
    pub fn of<'a>(customers: impl IntoIterator<Item = &'a Customer>) -> Identities {
        let mut index = Identities::default();
        for c in customers {
            index.add(c, &c.id);
        }
        index
    }

    /// Records `c`'s values as held by `holder` (first holder wins).
    pub fn add(&mut self, c: &Customer, holder: &str) {
        for key in c.identities() {
            self.0.entry(key).or_insert_with(|| holder.to_string());
        }
    }

    /// Every value indexed (of any field).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(|(_, v)| v.as_str())
    }

    /// Who holds `value` of `field`, and the field's name as indexed.
    pub fn holder(&self, field: &str, value: &str) -> Option<(&str, &'static str)> {
        let field = IDENTITY_FIELDS.iter().find(|f| **f == field)?;
        self.0
            .get(&(*field, value.to_string()))
            .map(|h| (h.as_str(), *field))
    }

    /// A value of `c` held by someone else (a record is not its own duplicate).
    pub fn clash(&self, c: &Customer) -> Option<Duplicate> {
        c.identities().into_iter().find_map(|key| {
            let holder = self.0.get(&key)?;
            (c.id.is_empty() || *holder != c.id).then(|| Duplicate {
                existing: holder.clone(),
                field: key.0,
            })
        })
    }
}

impl Store {
    pub fn customers_dir(&self) -> PathBuf {
        self.root.join("customers")
    }

    pub fn customer_path(&self, id: &str) -> PathBuf {
        self.customers_dir().join(format!("{id}.yaml"))
    }

    /// The keyring for encrypted fields, with the private key from the file
    /// named by `DESK_KEY_FILE` when it is set.
    pub fn keyring(&self) -> Result<Keyring> {
        let identity = match std::env::var_os(KEY_FILE_VAR) {
            None => Err(format!(
                "{KEY_FILE_VAR} is not set; to see or store encrypted values, export {KEY_FILE_VAR}=FILE, \
                 the store's private key file (the --identity of `desk keys init`)"
            )),
            Some(path) if path.is_empty() => Err(format!("{KEY_FILE_VAR} is empty")),
            Some(path) => {
                let path = PathBuf::from(path);
                let text = read_to_string(&path)?;
                Ok((text, path.display().to_string()))
            }
        };
        Keyring::new(self.config.encryption.as_ref(), identity).map_err(Error::Refused)
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

    pub fn customer_files(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .customer_entries()?
            .into_iter()
            .map(|(_, entry)| entry.path())
            .collect())
    }

    /// The directory entries of the customer files (`*.yaml`, not hidden),
    /// with their names without `.yaml`, sorted by name.
    pub(super) fn customer_entries(&self) -> Result<Vec<(String, std::fs::DirEntry)>> {
        let dir = self.customers_dir();
        // read_dir would follow a linked folder.
        super::read::real_dirs(&self.root, Path::new("customers"))?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(stem) = name
                .strip_suffix(".yaml")
                .filter(|_| !name.starts_with('.'))
            {
                files.push((stem.to_string(), entry));
            }
        }
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
        Ok(lock)
    }

    /// Creates customers: those with an empty `id` get the next free IDs.
    /// Every one is checked against the store and the others for duplicates
    /// first; if any check or write fails, nothing is left behind.
    pub fn create_customers(&self, mut new: Vec<Customer>) -> Result<Vec<Customer>> {
        let _lock = self.customer_lock()?;
        let index = self.customer_index_for_write()?;
        let config = &self.config.customers;
        let node = self.node_for_new_ids()?;
        let number = |id: &str| id.strip_prefix(&config.id_prefix)?.parse::<u64>().ok();
        let given: std::collections::HashSet<&str> = new.iter().map(|c| c.id.as_str()).collect();
        let mut taken: Vec<String> = Vec::new();
        let mut max = new.iter().filter_map(|c| number(&c.id)).max().unwrap_or(0);
        index.each_id(|id| {
            max = max.max(number(id).unwrap_or(0));
            if given.contains(id) {
                taken.push(id.to_string());
            }
        });
        let mut ids_given = std::collections::HashSet::new();
        for c in &new {
            if !c.id.is_empty() && !ids_given.insert(c.id.clone()) {
                return Err(Error::Refused(format!("customer {} is given twice", c.id)));
            }
        }
        super::guard_sound(&index.damaged_lookups(), new.iter().map(|c| (c, None)))?;
        // Against the store through the index, then against each other.
        if let Some((id, d)) = index.clash(&Identities::of(&new)) {
            return Err(duplicate_error(&id, &d));
        }
        let mut among_new = Identities::default();
        for c in &new {
            if let Some(d) = among_new.clash(c) {
                return Err(duplicate_error(&c.id, &d));
            }
            among_new.add(c, "another customer of this import");
        }
        for c in &mut new {
            if c.id.is_empty() {
                // Ends in the clone's node number, if it has one (docs/git.md).
                max = super::next_number(max, node).ok_or_else(|| {
                    Error::Refused(format!(
                        "no customer number left after {}",
                        config.format_id(max)
                    ))
                })?;
                c.id = config.format_id(max);
            } else if taken.contains(&c.id) || self.customer_path(&c.id).exists() {
                return Err(Error::Refused(format!("customer {} already exists", c.id)));
            }
        }
        self.publish_new_customers(&new)?;
        self.index_written(index, &new);
        Ok(new)
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
        let index = self.customer_index_for_write()?;
        super::guard_sound(&index.damaged_lookups(), [(&customer, Some(&before))])?;
        if let Some((_, d)) = index.clash(&Identities::of([&customer])) {
            return Err(duplicate_error(id, &d));
        }
        let path = self.customer_path(id);
        let text = super::read::within_limit(self.display_path(&path), render_customer(&customer))?;
        write_atomic(&path, text.as_bytes())?;
        self.index_written(index, std::slice::from_ref(&customer));
        Ok(customer)
    }
}

pub fn duplicate_error(id: &str, d: &Duplicate) -> Error {
    let who = if id.is_empty() {
        "the new customer".to_string()
    } else {
        id.to_string()
    };
    Error::Refused(format!(
        "{who}: this {} already belongs to customer {}; update that record instead (`desk customer show {}`)",
        d.field, d.existing, d.existing
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Contact, CustomerKind, Sealed, Timestamp};

    #[test]
    fn identity_fields_are_those_customers_are_identified_by() {
        let sealed = |n: &str| Sealed {
            last4: n.into(),
            lookup: format!("lookup-{n}"),
            age: String::new(),
        };
        let mut c = Customer::new(
            CustomerKind::Individual,
            "张三".into(),
            Timestamp::parse("2026-10-01T09:00:00+08:00").unwrap(),
            "li.na",
        );
        c.id = "C000001".into();
        c.phone = Some("138 0000 0001".into());
        c.email = Some("A@Example.com".into());
        c.credit_code = Some("91110000MA01ABCD1X".into());
        c.id_card = Some(sealed("1234"));
        c.bank_card = Some(sealed("5678"));
        c.contacts.push(Contact {
            name: "李四".into(),
            phone: Some("13900000002".into()),
            ..Contact::default()
        });
        let index = Identities::of([&c]);
        for (field, value) in c.identities() {
            assert!(IDENTITY_FIELDS.contains(&field), "{field}");
            assert_eq!(index.holder(field, &value), Some(("C000001", field)));
        }
        assert_eq!(index.holder("phone", "13900000003"), None);
        assert_eq!(index.holder("nickname", "13800000001"), None);
    }
}
