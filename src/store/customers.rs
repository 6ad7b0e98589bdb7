//! Customer files: `customers/<ID>.yaml`. Every write of a customer takes the
//! store's one customer lock, so that ID allocation and the duplicate guard
//! see every other writer's customers.

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

/// Another customer already holds one of the new record's identifying values.
pub struct Duplicate {
    pub existing: String,
    pub field: &'static str,
}

/// Finds a customer other than `candidate` with the same phone number,
/// e-mail address, credit code, ID-card or bank-card number. Encrypted
/// numbers compare by their keyed hash.
pub fn find_duplicate<'a>(
    others: impl IntoIterator<Item = &'a Customer>,
    candidate: &Customer,
) -> Option<Duplicate> {
    use crate::model::validate::phone_key;
    let phones: Vec<String> = candidate.phones().map(phone_key).collect();
    let emails: Vec<String> = candidate.emails().map(str::to_lowercase).collect();
    for other in others {
        // New records have no ID yet; an edited record is skipped by its ID.
        if !candidate.id.is_empty() && other.id == candidate.id {
            continue;
        }
        let found = |field| {
            Some(Duplicate {
                existing: other.id.clone(),
                field,
            })
        };
        if other.phones().any(|p| phones.contains(&phone_key(p))) {
            return found("phone");
        }
        if other.emails().any(|e| emails.contains(&e.to_lowercase())) {
            return found("email");
        }
        if candidate.credit_code.is_some() && other.credit_code == candidate.credit_code {
            return found("credit_code");
        }
        let same = |a: &Option<crate::model::Sealed>, b: &Option<crate::model::Sealed>| matches!((a, b), (Some(a), Some(b)) if a.lookup == b.lookup);
        if same(&other.id_card, &candidate.id_card) {
            return found("id_card");
        }
        if same(&other.bank_card, &candidate.bank_card) {
            return found("bank_card");
        }
    }
    None
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
                "{KEY_FILE_VAR} is not set; point it at the store's age key file to see or store encrypted values"
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

    fn customer_files(&self) -> Result<Vec<PathBuf>> {
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
        Lock::acquire(&self.lock_path("customers"))
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
        for (i, c) in new.iter().enumerate() {
            if let Some(d) = find_duplicate(existing.iter().chain(&new[..i]), c) {
                return Err(duplicate_error(&c.id, &d));
            }
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
        if let Some(d) = find_duplicate(&others, &customer) {
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
