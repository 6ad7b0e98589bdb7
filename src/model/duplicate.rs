//! The duplicate guard's judgement: who holds each identifying value of
//! the customers, what stops a new or changed record (a value another
//! customer holds, an ID given twice or taken), and whether the guard can
//! vouch for a sealed number at all. The store runs it under the customer
//! lock over its files (`store/customers.rs`) and its index.

use std::collections::HashMap;

use super::Customer;
use crate::crypto::{self, Sealed};
use crate::error::{Error, Result};

/// Another customer already holds one of a record's identifying values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The holder: a customer ID, or whatever label it was indexed under.
    pub existing: String,
    pub field: &'static str,
}

/// What stops one record of a batch of new customers from being created:
/// the duplicate guard's findings, each kept so that a caller can report
/// them its own way (import by line) and in its own order.
#[derive(Debug, Default)]
pub struct Clashes {
    /// A customer of the store holding one of the record's identifying
    /// values (a record is not its own duplicate).
    pub store: Option<Duplicate>,
    /// The first record before it in the batch holding one of its values:
    /// that record's position, and the field.
    pub earlier: Option<(usize, &'static str)>,
    /// Its ID is given and already a customer's.
    pub id_taken: bool,
    /// Its ID is given, and was given to a record before it.
    pub id_given_before: bool,
    /// Its ID is given and far above the store's customer numbers (an
    /// outlier, see [`crate::model::Sequence`]): the highest number it is
    /// far above.
    pub far_above: Option<u64>,
}

impl Clashes {
    pub fn is_empty(&self) -> bool {
        self.store.is_none()
            && self.earlier.is_none()
            && !self.id_taken
            && !self.id_given_before
            && self.far_above.is_none()
    }
}

/// The fields [`Customer::identities`] names (checked by a test below).
const IDENTITY_FIELDS: [&str; 5] = ["phone", "email", "credit_code", "id_card", "bank_card"];

/// The identifying field named `name` (as an index stores it), if it is one.
pub fn identity_field(name: &str) -> Option<&'static str> {
    IDENTITY_FIELDS.iter().copied().find(|f| *f == name)
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

    /// Every value indexed (of any field).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(|(_, v)| v.as_str())
    }

    /// Who holds `value` of `field`, and the field's name as indexed.
    pub fn holder(&self, field: &str, value: &str) -> Option<(&str, &'static str)> {
        let field = identity_field(field)?;
        self.0
            .get(&(field, value.to_string()))
            .map(|h| (h.as_str(), field))
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

/// Whether an identifying value (as [`Customer::identities`] gives them) is
/// a sealed field's lookup that is malformed: the duplicate guard cannot
/// compare against it.
pub fn damaged_lookup(field: &str, value: &str) -> bool {
    matches!(field, "id_card" | "bank_card") && !crypto::is_lookup(value)
}

/// The duplicate guard compares lookups; a malformed lookup of another
/// customer means the guard cannot vouch that a number is new. Refuses a
/// record (with its state `before` an edit, if any) that brings a sealed
/// value, new or changed, of a field in which another customer's lookup is
/// malformed. `damaged` holds (field, customer ID) of the malformed lookups
/// (normally none); a well-formed but wrong lookup can only be found with
/// the key: `desk check` does that.
pub fn guard_sound<'a>(
    damaged: &[(&'static str, String)],
    records: impl IntoIterator<Item = (&'a Customer, Option<&'a Customer>)>,
) -> Result<()> {
    fn sealed(c: &Customer) -> [(&'static str, Option<&Sealed>); 2] {
        [
            ("id_card", c.id_card.as_ref()),
            ("bank_card", c.bank_card.as_ref()),
        ]
    }
    if damaged.is_empty() {
        return Ok(());
    }
    for (c, before) in records {
        for (i, (field, value)) in sealed(c).into_iter().enumerate() {
            let Some(value) = value else { continue };
            let old = before.and_then(|b| sealed(b)[i].1);
            if old.is_some_and(|o| o.lookup == value.lookup) {
                continue;
            }
            if let Some((_, id)) = damaged.iter().find(|(f, id)| *f == field && *id != c.id) {
                return Err(Error::Refused(format!(
                    "cannot check this {field} for duplicates: customer {id}'s {field} is \
                     damaged (its lookup is malformed; `desk check` lists it); re-enter that \
                     number first: `desk customer edit {id} --set {field}=...`"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::model::{Contact, CustomerKind};

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

    #[test]
    fn the_guard_refuses_only_new_numbers_of_a_field_with_a_damaged_lookup() {
        use crate::clock::Timestamp;
        use crate::model::CustomerKind;
        let at = Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap();
        let customer = |id: &str, lookup: &str| {
            let mut c = Customer::new(CustomerKind::Individual, "x".into(), at, "t");
            c.id = id.into();
            c.id_card = Some(Sealed {
                last4: "002X".into(),
                lookup: lookup.into(),
                age: String::new(),
            });
            c
        };
        let damaged = customer("C000001", "nonsense");
        let fine = customer("C000002", &"a".repeat(64));
        let others: Vec<(&'static str, String)> = [&damaged, &fine]
            .into_iter()
            .flat_map(|c| {
                c.identities()
                    .into_iter()
                    .filter(|(f, v)| damaged_lookup(f, v))
                    .map(|(f, _)| (f, c.id.clone()))
            })
            .collect();
        let new = customer("", &"b".repeat(64));
        let err = guard_sound(&others, [(&new, None)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("C000001") && err.contains("id_card"), "{err}");
        // An edit that leaves the number alone, and the damaged record's own repair, go on.
        guard_sound(&others, [(&fine, Some(&fine))]).unwrap();
        guard_sound(
            &others,
            [(&customer("C000001", &"c".repeat(64)), Some(&damaged))],
        )
        .unwrap();
        // No damage, no refusal.
        guard_sound(&[], [(&new, None)]).unwrap();
        let mut bank_only = new.clone();
        bank_only.id_card = None;
        guard_sound(&others, [(&bank_only, None)]).unwrap();
    }
}
