//! Changes to a customer record: a field's value read and set, an edit
//! logged with its value before and after, hand edits of the file found
//! and recorded.

use std::collections::BTreeMap;

use super::{same_value, Change, Contact, ContactField, Customer, CustomerField, FieldValue};
use crate::clock::Timestamp;
use crate::crypto::Sealed;
use crate::yaml::Value;

fn opt_text(v: &Option<String>) -> Option<FieldValue> {
    v.clone().map(FieldValue::Text)
}

/// Why a change to a customer record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// A value of the wrong shape for the field (a programming error: the
    /// caller validates first).
    #[error("{field} takes {what}")]
    Takes { field: String, what: &'static str },
    #[error("tags take a list")]
    TagsTakeAList,
    #[error("the name cannot be removed")]
    NameRequired,
    #[error("there is no contact {number}; the next new one is contacts.{next}")]
    NoContact { number: usize, next: usize },
    #[error("a new contact starts with its name: contacts.{number}.name=...")]
    ContactStartsWithName { number: usize },
    #[error("{field} already has that value; nothing to change")]
    Unchanged { field: String },
    #[error("{at} is earlier than the last change ({last}); changes are recorded in time order")]
    OutOfOrder { at: Timestamp, last: Timestamp },
}

impl Customer {
    /// The current value of a field, as the change log records it.
    pub fn get(&self, field: &CustomerField) -> Option<FieldValue> {
        match *field {
            CustomerField::Name => Some(FieldValue::Text(self.name.clone())),
            CustomerField::Salutation => opt_text(&self.salutation),
            CustomerField::Phone => opt_text(&self.phone),
            CustomerField::Email => opt_text(&self.email),
            CustomerField::Address => opt_text(&self.address),
            CustomerField::IdCard => self.id_card.clone().map(FieldValue::Sealed),
            CustomerField::BankCard => self.bank_card.clone().map(FieldValue::Sealed),
            CustomerField::CreditCode => opt_text(&self.credit_code),
            CustomerField::Industry => opt_text(&self.industry),
            CustomerField::Source => opt_text(&self.source),
            CustomerField::FirstContact => {
                self.first_contact.map(|t| FieldValue::Text(t.to_string()))
            }
            CustomerField::LastContact => {
                self.last_contact.map(|t| FieldValue::Text(t.to_string()))
            }
            CustomerField::Owner => opt_text(&self.owner),
            CustomerField::Vip => Some(FieldValue::Flag(self.vip)),
            CustomerField::Tags => {
                Some(FieldValue::List(self.tags.clone())).filter(|_| !self.tags.is_empty())
            }
            CustomerField::Need => opt_text(&self.need),
            CustomerField::Notes => opt_text(&self.notes),
            CustomerField::Custom(ref name) => opt_text(&self.custom.get(name).cloned()),
            CustomerField::Contact(i, f) => {
                let c = self.contacts.get(i)?;
                match f {
                    ContactField::Name => Some(FieldValue::Text(c.name.clone())),
                    ContactField::Salutation => opt_text(&c.salutation),
                    ContactField::Role => opt_text(&c.role),
                    ContactField::Phone => opt_text(&c.phone),
                    ContactField::Email => opt_text(&c.email),
                }
            }
        }
    }

    /// Sets a field to a value of the right shape. The caller has validated
    /// and normalised it; a value of the wrong shape is a programming error
    /// reported as `Err` with the field's name.
    pub fn put(
        &mut self,
        field: &CustomerField,
        value: Option<FieldValue>,
    ) -> Result<(), CustomerError> {
        let takes = |what: &'static str| CustomerError::Takes {
            field: field.key(),
            what,
        };
        let text = |v: Option<FieldValue>| -> Result<Option<String>, CustomerError> {
            match v {
                None => Ok(None),
                Some(FieldValue::Text(t)) => Ok(Some(t)),
                Some(_) => Err(takes("text")),
            }
        };
        let time = |v: Option<FieldValue>| -> Result<Option<Timestamp>, CustomerError> {
            match text(v)? {
                None => Ok(None),
                Some(t) => Timestamp::parse(&t)
                    .map(Some)
                    .ok_or_else(|| takes("an RFC 3339 time")),
            }
        };
        let sealed = |v: Option<FieldValue>| -> Result<Option<Sealed>, CustomerError> {
            match v {
                None => Ok(None),
                Some(FieldValue::Sealed(s)) => Ok(Some(s)),
                Some(_) => Err(takes("a sealed value")),
            }
        };
        match *field {
            CustomerField::Name => {
                self.name = text(value)?.ok_or(CustomerError::NameRequired)?;
            }
            CustomerField::Salutation => self.salutation = text(value)?,
            CustomerField::Phone => self.phone = text(value)?,
            CustomerField::Email => self.email = text(value)?,
            CustomerField::Address => self.address = text(value)?,
            CustomerField::IdCard => self.id_card = sealed(value)?,
            CustomerField::BankCard => self.bank_card = sealed(value)?,
            CustomerField::CreditCode => self.credit_code = text(value)?,
            CustomerField::Industry => self.industry = text(value)?,
            CustomerField::Source => self.source = text(value)?,
            CustomerField::FirstContact => self.first_contact = time(value)?,
            CustomerField::LastContact => self.last_contact = time(value)?,
            CustomerField::Owner => self.owner = text(value)?,
            CustomerField::Vip => {
                self.vip = match value {
                    Some(FieldValue::Flag(b)) => b,
                    None => false,
                    Some(_) => return Err(takes("true or false")),
                }
            }
            CustomerField::Tags => {
                self.tags = match value {
                    Some(FieldValue::List(l)) => crate::model::ticket_input::unique_tags(l),
                    None => Vec::new(),
                    Some(_) => return Err(CustomerError::TagsTakeAList),
                }
            }
            CustomerField::Need => self.need = text(value)?,
            CustomerField::Notes => self.notes = text(value)?,
            CustomerField::Custom(ref name) => match text(value)? {
                Some(t) => {
                    self.custom.insert(name.clone(), t);
                }
                None => {
                    self.custom.remove(name);
                }
            },
            CustomerField::Contact(i, f) => {
                if i > self.contacts.len() {
                    return Err(CustomerError::NoContact {
                        number: i + 1,
                        next: self.contacts.len() + 1,
                    });
                }
                if i == self.contacts.len() {
                    if f != ContactField::Name {
                        return Err(CustomerError::ContactStartsWithName { number: i + 1 });
                    }
                    self.contacts.push(Contact::default());
                }
                let c = &mut self.contacts[i];
                match f {
                    ContactField::Name => match text(value)? {
                        Some(name) => c.name = name,
                        // Removing a contact's name removes the contact.
                        None => {
                            self.contacts.remove(i);
                        }
                    },
                    ContactField::Salutation => c.salutation = text(value)?,
                    ContactField::Role => c.role = text(value)?,
                    ContactField::Phone => c.phone = text(value)?,
                    ContactField::Email => c.email = text(value)?,
                }
            }
        }
        Ok(())
    }

    /// Changes one field and logs the change. A value equal to the current
    /// one is refused, so that the log holds only real changes.
    pub fn edit(
        &mut self,
        field: CustomerField,
        value: Option<FieldValue>,
        at: Timestamp,
        by: &str,
    ) -> Result<(), CustomerError> {
        let before = self.get(&field);
        if same_value(&before, &value) {
            return Err(CustomerError::Unchanged { field: field.key() });
        }
        if let Some(last) = self.changes.last() {
            if at < last.at {
                return Err(CustomerError::OutOfOrder { at, last: last.at });
            }
        }
        self.put(&field, value.clone())?;
        self.changes.push(Change {
            at,
            by: by.to_string(),
            field: field.key(),
            from: before,
            to: value,
            extra: BTreeMap::new(),
        });
        Ok(())
    }

    /// Records hand edits of the record's own fields as changes by `by`, so
    /// that a merge keeps them visibly. A field is hand-edited when its value
    /// differs from what the change log last set it to or, for a field the
    /// log never changed, from its value in `base` (without `base`, such a
    /// field cannot be told from its value at creation and is left alone).
    /// The change is dated at the log's last change (or the creation): the
    /// edit was made after it, how long after the file does not say.
    /// Returns how many changes were added. Contacts are not checked.
    pub fn adopt_hand_edits(&mut self, base: Option<&Customer>, by: &str) -> usize {
        let at = self
            .changes
            .iter()
            .map(|c| c.at)
            .fold(self.created, Timestamp::max);
        let mut adopted = Vec::new();
        let records: Vec<&Customer> = std::iter::once(&*self).chain(base).collect();
        for field in CustomerField::of_records(&records) {
            let key = field.key();
            let logged: Vec<&Change> = self.changes.iter().filter(|c| c.field == key).collect();
            // Changes of one field at one time have no order among them: any
            // of the last ones may be the field's value.
            let expected: Vec<Option<FieldValue>> = match logged.iter().map(|c| c.at).max() {
                Some(last) => logged
                    .iter()
                    .filter(|c| c.at == last)
                    .map(|c| c.to.clone())
                    .collect(),
                None => match base {
                    Some(base) => vec![base.get(&field)],
                    None => continue,
                },
            };
            let now = self.get(&field);
            if expected.iter().any(|e| same_value(e, &now)) {
                continue;
            }
            let mut extra = BTreeMap::new();
            extra.insert(
                "note".to_string(),
                Value::String("recorded a change made to the file by hand".into()),
            );
            adopted.push(Change {
                at,
                by: by.to_string(),
                field: key,
                from: expected.last().cloned().flatten(),
                to: now,
                extra,
            });
        }
        let n = adopted.len();
        self.changes.extend(adopted);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::customer;
    use super::*;

    #[test]
    fn edits_log_before_and_after_and_refuse_no_ops() {
        let mut c = customer();
        let at = Timestamp::parse("2026-10-02T09:00:00+08:00").unwrap();
        c.edit(
            CustomerField::Phone,
            Some(FieldValue::Text("010-87654321".into())),
            at,
            "li.na",
        )
        .unwrap();
        assert_eq!(c.changes.len(), 1);
        assert_eq!(
            c.changes[0].from,
            Some(FieldValue::Text("010-12345678".into()))
        );
        let err = c
            .edit(
                CustomerField::Phone,
                Some(FieldValue::Text("010-87654321".into())),
                at,
                "li.na",
            )
            .unwrap_err();
        assert!(err.to_string().contains("already"), "{err}");
        // A contact is added name first, then its other fields.
        let name = CustomerField::parse("contacts.1.name").unwrap();
        let role = CustomerField::parse("contact.1.role").unwrap();
        assert!(c
            .edit(
                role.clone(),
                Some(FieldValue::Text("采购".into())),
                at,
                "li.na"
            )
            .is_err());
        c.edit(name, Some(FieldValue::Text("王芳".into())), at, "li.na")
            .unwrap();
        c.edit(role, Some(FieldValue::Text("采购".into())), at, "li.na")
            .unwrap();
        assert_eq!(c.contacts[0].role.as_deref(), Some("采购"));
        assert_eq!(c.changes.len(), 3);
    }

    #[test]
    fn hand_edits_are_found_against_the_log_or_the_ancestor() {
        let base = customer();
        let at = Timestamp::parse("2026-10-02T09:00:00+08:00").unwrap();
        let mut c = base.clone();
        c.edit(
            CustomerField::Email,
            Some(FieldValue::Text("a@example.com".into())),
            at,
            "li.na",
        )
        .unwrap();
        // Nothing edited by hand: nothing recorded.
        assert_eq!(c.clone().adopt_hand_edits(Some(&base), "zhang"), 0);
        // A field the log changed, edited again by hand; a field it never
        // changed, edited by hand (found only against the ancestor).
        c.email = Some("b@example.com".into());
        c.phone = None;
        assert_eq!(c.clone().adopt_hand_edits(None, "zhang"), 1);
        assert_eq!(c.adopt_hand_edits(Some(&base), "zhang"), 2);
        let logged: Vec<_> = c.changes[1..]
            .iter()
            .map(|ch| (ch.field.as_str(), ch.from.clone(), ch.to.clone(), ch.at))
            .collect();
        let text = |s: &str| Some(FieldValue::Text(s.into()));
        assert_eq!(
            logged,
            [
                ("phone", text("010-12345678"), None, at),
                ("email", text("a@example.com"), text("b@example.com"), at),
            ]
        );
        assert_eq!(c.clone().adopt_hand_edits(Some(&base), "zhang"), 0);
    }
}
