//! What may be typed into each field of a customer, shared by every way of
//! creating or editing one: the format checks of this module applied per
//! field, the store's lookups, personal data masked in errors.

use super::{bank_card, credit_code, email, hidden_id_card, id_card, phone, FormatError};
use crate::clock::Timestamp;
use crate::crypto::Sealed;
use crate::error::Error;
use crate::model::in_clear::Kept;
use crate::model::{
    is_one_line, mask, ContactField, Customer, CustomerField, CustomerKind, FieldValue,
};

/// What the customer field rules need from outside the record: the store's
/// choices and agents, the clock, and the encryption key. Each returns the
/// value to store, or an error naming what would be valid.
pub trait FieldLookup {
    /// An ID-card or bank-card number (`field`), already checked, sealed.
    fn seal(&self, field: &str, plain: &str) -> crate::error::Result<Sealed>;
    /// A source (信息来源) as desk.yaml names it: its key.
    fn source(&self, input: &str) -> crate::error::Result<String>;
    /// An agent who may be responsible for customers: the agent's ID.
    fn owner(&self, input: &str) -> crate::error::Result<String>;
    /// A time as typed, from 1970 and not in the future.
    fn time(&self, input: &str) -> crate::error::Result<Timestamp>;
}

/// The rules for what may be typed into a customer's fields, shared by
/// every way of creating or editing a customer: which fields each kind of
/// customer has, one line (but for notes), the phone, e-mail, ID-card,
/// bank-card and credit-code checks, and personal data masked in errors.
pub struct FieldRules<'a> {
    pub lookup: &'a dyn FieldLookup,
    /// Record phone numbers and e-mail addresses that fail the shape check
    /// as typed (never skips a checksum).
    pub force: bool,
}

impl FieldRules<'_> {
    /// What was typed for `field` of a `kind` customer, as stored:
    /// validated, normalised, sealed when the field is encrypted. An empty
    /// value means "remove" (`None`).
    pub fn value(
        &self,
        kind: CustomerKind,
        field: &CustomerField,
        raw: &str,
    ) -> crate::error::Result<Option<FieldValue>> {
        let value = self.value_unguarded(kind, field, raw)?;
        // Kept in clear: never a bank-card number or a secret key.
        let key = field.key();
        match &value {
            Some(FieldValue::Text(text)) => {
                crate::model::in_clear::refuse(&key, text, Kept::Customer)?
            }
            Some(FieldValue::List(items)) => {
                for text in items {
                    crate::model::in_clear::refuse(&key, text, Kept::Customer)?;
                }
            }
            _ => {}
        }
        Ok(value)
    }

    fn value_unguarded(
        &self,
        kind: CustomerKind,
        field: &CustomerField,
        raw: &str,
    ) -> crate::error::Result<Option<FieldValue>> {
        let key = field.key();
        let raw = raw.trim();
        // What error messages quote: personal data masked as on output.
        let shown = mask::field(kind, field, raw);
        if !is_one_line(raw) && *field != CustomerField::Notes {
            return Err(Error::invalid(&key, &shown, "expected one line"));
        }
        if let Some(only) = field.only_for().filter(|k| *k != kind) {
            return Err(Error::invalid(
                &key,
                &shown,
                format!("{key} is recorded for {} customers only", only.key()),
            ));
        }
        if raw.is_empty() {
            return match field {
                CustomerField::Name => Err(Error::invalid("name", raw, "a name is required")),
                CustomerField::Vip => Ok(Some(FieldValue::Flag(false))),
                _ => Ok(None),
            };
        }
        let checked = |r: Result<String, FormatError>| {
            r.map_err(|valid| Error::invalid(&key, &shown, valid.to_string()))
        };
        let shape = |r: Result<String, FormatError>| {
            if self.force {
                Ok(r.unwrap_or_else(|_| raw.to_string()))
            } else {
                r.map_err(|valid| {
                    Error::invalid(
                        &key,
                        &shown,
                        format!("{valid} (--force records it as typed)"),
                    )
                })
            }
        };
        let text = |t: String| Ok(Some(FieldValue::Text(t)));
        match field {
            CustomerField::Phone | CustomerField::Contact(_, ContactField::Phone) => {
                text(shape(phone(raw))?)
            }
            CustomerField::Email | CustomerField::Contact(_, ContactField::Email) => {
                text(shape(email(raw))?)
            }
            CustomerField::IdCard | CustomerField::BankCard => {
                let plain = checked(if *field == CustomerField::IdCard {
                    id_card(raw)
                } else {
                    bank_card(raw)
                })?;
                Ok(Some(FieldValue::Sealed(self.lookup.seal(&key, &plain)?)))
            }
            CustomerField::CreditCode => text(checked(credit_code(raw))?),
            CustomerField::Source => text(self.lookup.source(raw)?),
            CustomerField::Owner => text(self.lookup.owner(raw)?),
            CustomerField::FirstContact | CustomerField::LastContact => {
                // The clock's reason (the forms it reads, a day-first date
                // it will not guess, a time in the future), under this
                // field's name.
                let at = self.lookup.time(raw).map_err(|e| match e {
                    Error::Invalid { valid, .. } => Error::invalid(&key, &shown, valid),
                    other => other,
                })?;
                text(at.to_string())
            }
            CustomerField::Vip => match raw.to_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "是" | "vip" => Ok(Some(FieldValue::Flag(true))),
                "false" | "no" | "n" | "0" | "否" => Ok(Some(FieldValue::Flag(false))),
                _ => Err(Error::invalid(
                    &key,
                    &shown,
                    "expected true or false (是/否)",
                )),
            },
            // Kept in clear and shown unmasked: never a resident ID number.
            CustomerField::Custom(_) if hidden_id_card(raw).is_some() => Err(Error::invalid(
                &key,
                mask::last_four(&hidden_id_card(raw).unwrap_or_default()),
                "this is a resident ID-card number, which desk stores encrypted: put it in \
                 id_card (证件号码), not in a custom field",
            )),
            CustomerField::Tags => {
                let tags = crate::model::ticket_input::unique_tags(
                    raw.split([',', '，', ';', '；'])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                );
                Ok((!tags.is_empty()).then_some(FieldValue::List(tags)))
            }
            _ => text(raw.to_string()),
        }
    }

    /// A new customer from typed fields, each checked as by [`Self::value`]:
    /// a name is required, contacts are set name first whatever the order
    /// typed, and the first contact is the record's time unless given.
    pub fn customer(
        &self,
        kind: CustomerKind,
        fields: &[(CustomerField, String)],
        at: Timestamp,
        by: &str,
    ) -> crate::error::Result<Customer> {
        let name = fields
            .iter()
            .find(|(f, _)| *f == CustomerField::Name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if name.is_empty() {
            return Err(Error::invalid(
                "name",
                "",
                "a customer needs a name (姓名/企业名称)",
            ));
        }
        // The same checks as every other field (one line, ...).
        let name = match self.value(kind, &CustomerField::Name, &name)? {
            Some(FieldValue::Text(name)) => name,
            _ => name,
        };
        let mut customer = Customer::new(kind, name, at, by);
        let mut ordered: Vec<&(CustomerField, String)> = fields.iter().collect();
        ordered.sort_by_key(|(f, _)| match f {
            CustomerField::Contact(i, ContactField::Name) => (1, *i, 0),
            CustomerField::Contact(i, _) => (1, *i, 1),
            _ => (0, 0, 0),
        });
        for (field, raw) in ordered {
            if *field == CustomerField::Name {
                continue;
            }
            let value = self.value(kind, field, raw)?;
            customer.put(field, value).map_err(|why| {
                Error::invalid(field.key(), mask::field(kind, field, raw), why.to_string())
            })?;
        }
        if customer.first_contact.is_none() {
            customer.first_contact = Some(at);
        }
        Ok(customer)
    }
}

/// `name=王芳,role=采购经理,phone=13912345678` as the fields of contact `index`.
pub fn contact_fields(index: usize, spec: &str) -> Result<Vec<(CustomerField, String)>, Error> {
    let mut fields = Vec::new();
    for part in spec
        .split([',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, value) = part.split_once('=').ok_or_else(|| {
            Error::invalid(
                "--contact",
                masked_contact(spec),
                "expected name=...,role=...,phone=...,email=...,salutation=...",
            )
        })?;
        let field = ContactField::ALL
            .into_iter()
            .find(|f| f.key() == key.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "--contact",
                    masked_contact(spec),
                    format!(
                        "unknown key '{}'; expected name, salutation, role, phone, email",
                        mask::unknown(key)
                    ),
                )
            })?;
        fields.push((
            CustomerField::Contact(index, field),
            value.trim().to_string(),
        ));
    }
    if !fields
        .iter()
        .any(|(f, _)| *f == CustomerField::Contact(index, ContactField::Name))
    {
        return Err(Error::invalid(
            "--contact",
            masked_contact(spec),
            "a contact needs name=...",
        ));
    }
    Ok(fields)
}

/// A contact spec as error messages quote it: each value masked as its field.
fn masked_contact(spec: &str) -> String {
    spec.split([',', '，'])
        .map(|part| match part.split_once('=') {
            Some((key, value)) => match ContactField::ALL
                .into_iter()
                .find(|f| f.key() == key.trim())
            {
                Some(f) => format!(
                    "{key}={}",
                    mask::field(
                        CustomerKind::Enterprise,
                        &CustomerField::Contact(0, f),
                        value.trim()
                    )
                ),
                None => format!("{}={}", mask::unknown(key), mask::unknown(value)),
            },
            None => mask::unknown(part),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store of one source and one agent, a clock at 2026-11-23 12:00
    /// (+08:00), and a key that "seals" by keeping the last four digits.
    struct Lookup;

    impl FieldLookup for Lookup {
        fn seal(&self, _field: &str, plain: &str) -> crate::error::Result<Sealed> {
            Ok(Sealed {
                last4: plain[plain.len() - 4..].into(),
                lookup: format!("lookup-{plain}"),
                age: String::new(),
            })
        }
        fn source(&self, input: &str) -> crate::error::Result<String> {
            match input {
                "referral" | "转介绍" => Ok("referral".into()),
                _ => Err(Error::invalid("source", input, "expected referral")),
            }
        }
        fn owner(&self, input: &str) -> crate::error::Result<String> {
            match input {
                "li.na" => Ok("li.na".into()),
                _ => Err(Error::invalid("agent", input, "expected li.na")),
            }
        }
        fn time(&self, input: &str) -> crate::error::Result<Timestamp> {
            let now = Timestamp::parse("2026-11-23T12:00:00+08:00").unwrap();
            crate::clock::event_time(Some(input), now, "Asia/Shanghai".parse().unwrap())
        }
    }

    const RULES: FieldRules = FieldRules {
        lookup: &Lookup,
        force: false,
    };
    const PERSON: CustomerKind = CustomerKind::Individual;
    const COMPANY: CustomerKind = CustomerKind::Enterprise;

    fn err(kind: CustomerKind, field: CustomerField, raw: &str) -> String {
        RULES.value(kind, &field, raw).unwrap_err().to_string()
    }

    fn text(kind: CustomerKind, field: CustomerField, raw: &str) -> Option<FieldValue> {
        RULES.value(kind, &field, raw).unwrap()
    }

    #[test]
    fn each_kind_has_its_own_fields() {
        for (field, raw) in [
            (CustomerField::IdCard, "11010519491231002X"),
            (CustomerField::BankCard, "4111111111111111"),
            (CustomerField::Salutation, "女士"),
        ] {
            let e = err(COMPANY, field.clone(), raw);
            assert!(e.contains("for individual customers only"), "{e}");
            assert!(RULES.value(PERSON, &field, raw).is_ok());
        }
        for (field, raw) in [
            (CustomerField::CreditCode, "91350100M000100Y43"),
            (CustomerField::Industry, "医疗"),
            (CustomerField::Contact(0, ContactField::Name), "王芳"),
        ] {
            let e = err(PERSON, field.clone(), raw);
            assert!(e.contains("for enterprise customers only"), "{e}");
            assert!(RULES.value(COMPANY, &field, raw).is_ok());
        }
        // Even an empty value (a removal) is refused for the other kind.
        assert!(err(PERSON, CustomerField::Industry, "").contains("enterprise customers only"));
    }

    #[test]
    fn values_are_one_line_but_notes() {
        let e = err(PERSON, CustomerField::Need, "a\nb");
        assert!(e.contains("expected one line"), "{e}");
        assert!(err(PERSON, CustomerField::Address, "a\u{2028}b").contains("one line"));
        assert_eq!(
            text(PERSON, CustomerField::Notes, " a\nb "),
            Some(FieldValue::Text("a\nb".into()))
        );
    }

    #[test]
    fn empty_removes_but_a_name_is_required() {
        assert_eq!(text(PERSON, CustomerField::Phone, "  "), None);
        assert_eq!(
            text(PERSON, CustomerField::Vip, ""),
            Some(FieldValue::Flag(false))
        );
        assert!(err(PERSON, CustomerField::Name, " ").contains("a name is required"));
    }

    #[test]
    fn phones_and_emails_are_checked_unless_forced_checksums_always() {
        assert_eq!(
            text(PERSON, CustomerField::Phone, "139 1234 5678"),
            Some(FieldValue::Text("13912345678".into()))
        );
        let e = err(PERSON, CustomerField::Phone, "12345");
        assert!(e.contains("--force records it as typed"), "{e}");
        let e = err(
            COMPANY,
            CustomerField::Contact(1, ContactField::Email),
            "x@",
        );
        assert!(e.contains("contacts.2.email"), "{e}");
        let forced = FieldRules {
            lookup: &Lookup,
            force: true,
        };
        assert_eq!(
            forced
                .value(PERSON, &CustomerField::Phone, "12345")
                .unwrap(),
            Some(FieldValue::Text("12345".into()))
        );
        assert!(forced
            .value(PERSON, &CustomerField::IdCard, "110105194912310021")
            .is_err());
        assert!(forced
            .value(COMPANY, &CustomerField::CreditCode, "91350100M000100Y44")
            .is_err());
    }

    #[test]
    fn personal_data_is_masked_in_errors() {
        // A wrong check digit: the number is not quoted in full.
        let e = err(PERSON, CustomerField::IdCard, "110105194912310021");
        assert!(!e.contains("110105194912310021"), "{e}");
        assert!(e.contains("0021"), "{e}");
        let e = err(PERSON, CustomerField::Phone, "139123456789");
        assert!(!e.contains("139123456789"), "{e}");
        // An ID-card number in a custom field is refused, its last four shown.
        let e = err(
            PERSON,
            CustomerField::Custom("证件".into()),
            "11010519491231002X",
        );
        assert!(e.contains("id_card") && !e.contains("110105"), "{e}");
    }

    #[test]
    fn sealed_lookups_and_small_grammars() {
        match text(PERSON, CustomerField::BankCard, "4111 1111 1111 1111") {
            Some(FieldValue::Sealed(s)) => assert_eq!(s.last4, "1111"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            text(PERSON, CustomerField::Source, "转介绍"),
            Some(FieldValue::Text("referral".into()))
        );
        assert!(err(PERSON, CustomerField::Owner, "nobody").contains("nobody"));
        let e = err(
            PERSON,
            CustomerField::FirstContact,
            "2027-01-01T00:00:00+08:00",
        );
        assert!(
            e.starts_with("invalid first_contact '2027-01-01T00:00:00+08:00'")
                && e.contains("in the future"),
            "{e}"
        );
        // A spreadsheet's date is read; one that could be day or month
        // first is refused, naming the field, the value and what is read.
        assert_eq!(
            text(PERSON, CustomerField::FirstContact, "2026/3/15 14:30"),
            Some(FieldValue::Text("2026-03-15T14:30:00+08:00".into()))
        );
        let e = err(PERSON, CustomerField::FirstContact, "3/15/2026");
        assert!(
            e.starts_with("invalid first_contact '3/15/2026'")
                && e.contains("does not guess")
                && e.contains("2026年3月15日"),
            "{e}"
        );
        assert_eq!(
            text(PERSON, CustomerField::Vip, "是"),
            Some(FieldValue::Flag(true))
        );
        assert!(err(PERSON, CustomerField::Vip, "maybe").contains("true or false"));
        assert_eq!(
            text(PERSON, CustomerField::Tags, "a, b，a;; c; A"),
            Some(FieldValue::List(vec!["a".into(), "b".into(), "c".into()]))
        );
        assert_eq!(text(PERSON, CustomerField::Tags, " , ;"), None);
    }

    #[test]
    fn a_new_customer_needs_a_name_and_gets_its_contacts_name_first() {
        let at = Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap();
        let fields = |list: &[(CustomerField, &str)]| -> Vec<(CustomerField, String)> {
            list.iter()
                .map(|(f, v)| (f.clone(), v.to_string()))
                .collect()
        };
        let e = RULES
            .customer(
                COMPANY,
                &fields(&[(CustomerField::Industry, "医疗")]),
                at,
                "li.na",
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("a customer needs a name"), "{e}");
        let c = RULES
            .customer(
                COMPANY,
                &fields(&[
                    (CustomerField::Contact(0, ContactField::Role), "采购经理"),
                    (CustomerField::Name, " 云帆医疗 "),
                    (CustomerField::Contact(0, ContactField::Name), "王芳"),
                ]),
                at,
                "li.na",
            )
            .unwrap();
        assert_eq!(c.name, "云帆医疗");
        assert_eq!(c.contacts[0].name, "王芳");
        assert_eq!(c.contacts[0].role.as_deref(), Some("采购经理"));
        assert_eq!(
            c.first_contact,
            Some(at),
            "first contact defaults to the record's time"
        );
        let e = RULES
            .customer(
                PERSON,
                &fields(&[(CustomerField::Name, "a\nb")]),
                at,
                "li.na",
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("one line"), "{e}");
    }
}
