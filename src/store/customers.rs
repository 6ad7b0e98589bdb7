//! Customer files: `customers/<ID>.yaml`. Every write of a customer takes the
//! store's one customer lock, so that ID allocation and the duplicate guard
//! see every other writer's customers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{create_atomic, read_to_string, write_atomic, Lock, Store};
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::Customer;

/// The environment variable naming the age key file.
pub const KEY_FILE_VAR: &str = "DESK_KEY_FILE";

pub fn render_customer(customer: &Customer) -> String {
    serde_yaml::to_string(customer).expect("a customer always serialises")
}

pub fn parse_customer(text: &str, path: &Path) -> Result<Customer> {
    serde_yaml::from_str(text).map_err(|e| Error::parse_yaml(path, &e))
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
                input,
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
        if !path.is_file() {
            return Err(Error::NotFound {
                what: "customer",
                id: id.to_string(),
            });
        }
        let customer = parse_customer(&read_to_string(&path)?, self.display_path(&path))?;
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
        let dir = self.customers_dir();
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
            if name.ends_with(".yaml") && !name.starts_with('.') {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }

    pub fn scan_customers(&self) -> Result<CustomerScan> {
        let files = self.customer_files()?;
        let parsed = crate::parallel::map(&files, |path| {
            read_to_string(path).and_then(|text| parse_customer(&text, self.display_path(path)))
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

    /// Scans under the customer lock, failing on any unreadable file: a
    /// duplicate check that skipped one would not be a check.
    fn all_customers_for_write(&self) -> Result<Vec<Customer>> {
        let mut scan = self.scan_customers()?;
        let customers = std::mem::take(&mut scan.customers);
        scan.into_result().map(|()| customers)
    }

    fn customer_lock(&self) -> Result<Lock> {
        self.lock("customers")
    }

    /// Creates customers: those with an empty `id` get the next free IDs.
    /// Every one is checked against the store and the others for duplicates
    /// first; if any check or write fails, nothing is left behind.
    pub fn create_customers(&self, mut new: Vec<Customer>) -> Result<Vec<Customer>> {
        let _lock = self.customer_lock()?;
        let existing = self.all_customers_for_write()?;
        let config = &self.config.customers;
        let node = self.node_for_new_ids()?;
        let mut max = existing
            .iter()
            .chain(new.iter())
            .filter_map(|c| c.id.strip_prefix(&config.id_prefix)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        let mut ids_given = std::collections::HashSet::new();
        for c in &new {
            if !c.id.is_empty() && !ids_given.insert(c.id.clone()) {
                return Err(Error::Refused(format!("customer {} is given twice", c.id)));
            }
        }
        let mut index = Identities::of(&existing);
        for c in &new {
            if let Some(d) = index.clash(c) {
                return Err(duplicate_error(&c.id, &d));
            }
            index.add(c, "another customer of this import");
        }
        for c in &mut new {
            if c.id.is_empty() {
                // Ends in the clone's node number, if it has one (docs/git.md).
                max = super::next_number(max, node);
                c.id = config.format_id(max);
            } else if existing.iter().any(|e| e.id == c.id) {
                return Err(Error::Refused(format!("customer {} already exists", c.id)));
            }
        }
        let mut written: Vec<PathBuf> = Vec::new();
        for c in &new {
            let path = self.customer_path(&c.id);
            if let Err(e) = create_atomic(&path, render_customer(c).as_bytes()) {
                for p in &written {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
            written.push(path);
        }
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
        change(&mut customer)?;
        let others = self.all_customers_for_write()?;
        if let Some(d) = Identities::of(&others).clash(&customer) {
            return Err(duplicate_error(id, &d));
        }
        write_atomic(
            &self.customer_path(id),
            render_customer(&customer).as_bytes(),
        )?;
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
