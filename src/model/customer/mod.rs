//! A customer file: who the customer is, how to reach them, where they came
//! from, and the log of every change made to the record (seed 002).
//! Values arrive here already validated and, for ID-card and bank-card
//! numbers, already sealed; this module only records and compares them.
//! The fields a person can name are `field.rs`; changing one, with its
//! entry in the log, is `edit.rs`.

mod edit;
mod field;

use crate::yaml::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::clock::Timestamp;
use crate::crypto::Sealed;

pub use self::edit::CustomerError;
pub use self::field::{ContactField, CustomerField};

/// Individual 个人 or enterprise 企业.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Individual,
    Enterprise,
}

impl CustomerKind {
    pub fn key(self) -> &'static str {
        match self {
            CustomerKind::Individual => "individual",
            CustomerKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(text: &str) -> Option<CustomerKind> {
        match text.trim().to_lowercase().as_str() {
            "individual" | "person" | "personal" | "个人" | "个人客户" => {
                Some(CustomerKind::Individual)
            }
            "enterprise" | "company" | "business" | "企业" | "企业客户" | "公司" => {
                Some(CustomerKind::Enterprise)
            }
            _ => None,
        }
    }
}

/// A contact person of an enterprise customer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of the change log: a field, its value before and after, who
/// changed it and when. Sealed fields log sealed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: Timestamp,
    pub by: String,
    pub field: String,
    #[serde(default)]
    pub from: Option<FieldValue>,
    #[serde(default)]
    pub to: Option<FieldValue>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The value of one editable field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Flag(bool),
    Text(String),
    List(Vec<String>),
    Sealed(Sealed),
}

impl FieldValue {
    /// Equal as data: sealed values compare by their keyed hash, since the
    /// same number encrypts differently each time.
    pub fn same_as(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Sealed(a), FieldValue::Sealed(b)) => a.lookup == b.lookup,
            _ => self == other,
        }
    }
}

/// Two optional values equal as data ([`FieldValue::same_as`]).
pub fn same_value(a: &Option<FieldValue>, b: &Option<FieldValue>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.same_as(b),
        (None, None) => true,
        _ => false,
    }
}

/// A customer file. The field order here is the key order on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub kind: CustomerKind,
    /// The person's or the company's name.
    pub name: String,
    /// 先生 / 女士 / Mr / Ms: how the customer is addressed, and how a masked
    /// name is shown (*女士).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_card: Option<Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_card: Option<Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<Timestamp>,
    /// The last contact outside tickets (a call-back, a visit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub vip: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// 需求简述: what the customer needs, in a line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The team's own fields (微信号, 会员等级, ...): one line of text each,
    /// keys sorted, so that files stay stable and merge line by line.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "custom_values"
    )]
    pub custom: BTreeMap<String, String>,
    pub created: Timestamp,
    pub created_by: String,
    /// Fields added by hand or by a newer desk, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// Custom values as text: a number or a yes/no typed by hand is read as
/// the text it shows; an empty value is no value.
fn custom_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, Value>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (key, value) in raw {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "custom.{key}: expected one line of text"
                )))
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

impl Customer {
    /// Whether the recorded changes are in time order, as they are appended.
    pub fn changes_in_order(&self) -> bool {
        self.changes.windows(2).all(|w| w[0].at <= w[1].at)
    }

    /// Where to call the customer: their own phone, else the first contact
    /// with one (a company's).
    pub fn phone_to_call(&self) -> Option<CustomerField> {
        if self.phone.is_some() {
            return Some(CustomerField::Phone);
        }
        self.contacts
            .iter()
            .position(|c| c.phone.is_some())
            .map(|i| CustomerField::Contact(i, ContactField::Phone))
    }

    /// A new record with only its kind, name and creation; fields are then
    /// set with [`Customer::put`] (no change log: creation is not a change).
    pub fn new(kind: CustomerKind, name: String, created: Timestamp, created_by: &str) -> Customer {
        Customer {
            id: String::new(),
            kind,
            name,
            salutation: None,
            phone: None,
            email: None,
            address: None,
            id_card: None,
            bank_card: None,
            credit_code: None,
            industry: None,
            contacts: Vec::new(),
            source: None,
            first_contact: None,
            last_contact: None,
            owner: None,
            vip: false,
            tags: Vec::new(),
            need: None,
            notes: None,
            custom: BTreeMap::new(),
            created,
            created_by: created_by.to_string(),
            extra: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    /// The custom fields the record has, sorted by name.
    pub fn custom_fields(&self) -> impl Iterator<Item = CustomerField> + '_ {
        self.custom.keys().cloned().map(CustomerField::Custom)
    }

    /// Every phone number on the record: the customer's and the contacts'.
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        own_and_contacts(&self.phone, self.contacts.iter().map(|c| &c.phone))
    }

    pub fn emails(&self) -> impl Iterator<Item = &str> {
        own_and_contacts(&self.email, self.contacts.iter().map(|c| &c.email))
    }

    /// The values that identify a customer, which no two customers may
    /// share: phones (the customer's and contacts', by their digits),
    /// e-mail addresses (any case), credit code, and the keyed hashes of the
    /// encrypted ID-card and bank-card numbers.
    pub fn identities(&self) -> Vec<(&'static str, String)> {
        self.phones()
            .map(|p| ("phone", crate::model::validate::phone_key(p)))
            .chain(self.emails().map(|e| ("email", e.to_lowercase())))
            .chain(self.credit_code.iter().map(|v| ("credit_code", v.clone())))
            .chain(self.id_card.iter().map(|s| ("id_card", s.lookup.clone())))
            .chain(
                self.bank_card
                    .iter()
                    .map(|s| ("bank_card", s.lookup.clone())),
            )
            .collect()
    }

    /// The last time the customer was in touch outside tickets.
    pub fn last_touch(&self) -> Option<Timestamp> {
        self.last_contact.max(self.first_contact)
    }

    /// The name as shown without `--reveal`: a person's masked (张*, *女士),
    /// a company's in full, since it is not personal data.
    pub fn masked_name(&self) -> String {
        crate::model::mask::customer_name(self.kind, &self.name, self.salutation.as_deref())
    }
}

/// A customer's own value of a contact field and then its contacts': what
/// [`Customer::phones`] and [`Customer::emails`] list (and the index's
/// summaries alike).
pub fn own_and_contacts<'a>(
    own: &'a Option<String>,
    contacts: impl Iterator<Item = &'a Option<String>> + 'a,
) -> impl Iterator<Item = &'a str> + 'a {
    own.as_deref()
        .into_iter()
        .chain(contacts.filter_map(|c| c.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn customer() -> Customer {
        let mut c = Customer::new(
            CustomerKind::Enterprise,
            "星河科技有限公司".into(),
            Timestamp::parse("2026-10-01T09:00:00+08:00").unwrap(),
            "li.na",
        );
        c.id = "C000001".into();
        c.phone = Some("010-12345678".into());
        c
    }

    #[test]
    fn changes_are_in_order_when_none_is_earlier_than_the_one_before() {
        let at = |h: i64| {
            Timestamp(
                Timestamp::parse("2026-10-02T09:00:00+08:00").unwrap().0
                    + chrono::Duration::hours(h),
            )
        };
        let change = |h| Change {
            at: at(h),
            by: "li.na".into(),
            field: "name".into(),
            from: None,
            to: None,
            extra: BTreeMap::new(),
        };
        let mut c = customer();
        assert!(c.changes_in_order());
        c.changes = vec![change(0), change(0), change(2)];
        assert!(c.changes_in_order());
        c.changes.push(change(1));
        assert!(!c.changes_in_order());
    }

    #[test]
    fn the_phone_to_call_is_the_customers_else_the_first_contacts_with_one() {
        let mut c = customer();
        assert_eq!(c.phone_to_call(), Some(CustomerField::Phone));
        c.phone = None;
        assert_eq!(c.phone_to_call(), None);
        let contact = |phone: Option<&str>| Contact {
            name: "王经理".into(),
            salutation: None,
            role: None,
            phone: phone.map(Into::into),
            email: None,
            extra: BTreeMap::new(),
        };
        c.contacts = vec![contact(None), contact(Some("13912345678"))];
        let field = c.phone_to_call().unwrap();
        assert_eq!(field, CustomerField::Contact(1, ContactField::Phone));
        assert_eq!(c.get(&field), Some(FieldValue::Text("13912345678".into())));
    }

    #[test]
    fn custom_values_read_as_text_and_write_sorted() {
        let yaml = "id: C000001\nkind: individual\nname: 张三\ncustom:\n  微信号: wx_a\n  QQ: 12345\n  empty:\n  VIP: yes\ncreated: 2026-10-01T09:00:00+08:00\ncreated_by: li.na\nlater: kept\n";
        let c: Customer = crate::yaml::from_str(yaml).unwrap();
        let keys: Vec<_> = c.custom.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(keys, ["QQ=12345", "VIP=yes", "微信号=wx_a"]);
        let out = crate::yaml::to_string(&c).unwrap();
        assert!(
            out.contains("custom:\n  QQ: '12345'\n  VIP: yes\n  微信号: wx_a\ncreated:"),
            "{out}"
        );
        assert!(out.contains("later: kept"), "{out}");
        // `custom:` left empty by hand is no custom field.
        let empty = "id: C1\nkind: individual\nname: n\ncustom:\ncreated: 2026-10-01T09:00:00+08:00\ncreated_by: li.na\n";
        assert!(crate::yaml::from_str::<Customer>(empty)
            .unwrap()
            .custom
            .is_empty());
        let nested = yaml.replace("  QQ: 12345", "  QQ: {a: 1}");
        let err = crate::yaml::from_str::<Customer>(&nested).unwrap_err();
        assert!(err.to_string().contains("custom.QQ"), "{err}");
    }
}
