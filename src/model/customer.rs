//! A customer file: who the customer is, how to reach them, where they came
//! from, and the log of every change made to the record (seed 002).
//! Values arrive here already validated and, for ID-card and bank-card
//! numbers, already sealed; this module only records and compares them.

use crate::yaml::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::clock::Timestamp;
use crate::crypto::Sealed;

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

/// A field that `desk customer edit` can change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerField {
    Name,
    Salutation,
    Phone,
    Email,
    Address,
    IdCard,
    BankCard,
    CreditCode,
    Industry,
    Source,
    FirstContact,
    LastContact,
    Owner,
    Vip,
    Tags,
    Need,
    Notes,
    /// A field of the contact at this index (0-based).
    Contact(usize, ContactField),
    /// A custom field (`custom.微信号`): one line of text.
    Custom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactField {
    Name,
    Salutation,
    Role,
    Phone,
    Email,
}

impl ContactField {
    pub const ALL: [ContactField; 5] = [
        ContactField::Name,
        ContactField::Salutation,
        ContactField::Role,
        ContactField::Phone,
        ContactField::Email,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Salutation => "salutation",
            ContactField::Role => "role",
            ContactField::Phone => "phone",
            ContactField::Email => "email",
        }
    }
}

impl CustomerField {
    pub const SIMPLE: [CustomerField; 17] = [
        CustomerField::Name,
        CustomerField::Salutation,
        CustomerField::Phone,
        CustomerField::Email,
        CustomerField::Address,
        CustomerField::IdCard,
        CustomerField::BankCard,
        CustomerField::CreditCode,
        CustomerField::Industry,
        CustomerField::Source,
        CustomerField::FirstContact,
        CustomerField::LastContact,
        CustomerField::Owner,
        CustomerField::Vip,
        CustomerField::Tags,
        CustomerField::Need,
        CustomerField::Notes,
    ];

    /// The key in the file (and in the change log); contacts are
    /// `contacts.N.FIELD`, counting from 1.
    pub fn key(&self) -> String {
        match self {
            CustomerField::Contact(i, f) => format!("contacts.{}.{}", i + 1, f.key()),
            CustomerField::Custom(name) => format!("custom.{name}"),
            simple => simple.simple_key().to_string(),
        }
    }

    fn simple_key(&self) -> &'static str {
        match self {
            CustomerField::Name => "name",
            CustomerField::Salutation => "salutation",
            CustomerField::Phone => "phone",
            CustomerField::Email => "email",
            CustomerField::Address => "address",
            CustomerField::IdCard => "id_card",
            CustomerField::BankCard => "bank_card",
            CustomerField::CreditCode => "credit_code",
            CustomerField::Industry => "industry",
            CustomerField::Source => "source",
            CustomerField::FirstContact => "first_contact",
            CustomerField::LastContact => "last_contact",
            CustomerField::Owner => "owner",
            CustomerField::Vip => "vip",
            CustomerField::Tags => "tags",
            CustomerField::Need => "need",
            CustomerField::Notes => "notes",
            CustomerField::Contact(..) => "contacts",
            CustomerField::Custom(_) => "custom",
        }
    }

    /// Parses a field name: the file keys, a few Chinese names of the seed's
    /// form, `contacts.N.FIELD` (also `contact.N.FIELD`) and `custom.NAME`.
    pub fn parse(text: &str) -> Option<CustomerField> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("custom.") {
            return CustomerField::custom(name);
        }
        if let Some(rest) = text
            .strip_prefix("contacts.")
            .or_else(|| text.strip_prefix("contact."))
        {
            let (n, field) = rest.split_once('.')?;
            let n: usize = n.parse().ok().filter(|n| *n >= 1)?;
            let field = ContactField::ALL.into_iter().find(|f| f.key() == field)?;
            return Some(CustomerField::Contact(n - 1, field));
        }
        let alias = match text {
            // Also the names everyday spreadsheets use, so that their columns
            // are checked (and ID numbers sealed) rather than kept as custom.
            "姓名" | "企业名称" | "姓名/企业名称" | "客户名称" | "公司名称" | "company" => {
                "name"
            }
            "称呼" => "salutation",
            "联系方式" | "电话" | "手机" | "手机号" | "手机号码" | "电话号码" | "联系电话"
            | "mobile" => "phone",
            "邮箱" | "电子邮箱" | "电子邮件" | "e-mail" => "email",
            "地址" | "企业地址" | "地址/企业地址" | "联系地址" | "详细地址" => {
                "address"
            }
            "证件号码" | "身份证号" | "身份证号码" | "身份证" | "id" | "id_number" => {
                "id_card"
            }
            "银行卡号" | "银行卡" | "银行账号" => "bank_card",
            "统一社会信用代码" | "信用代码" => "credit_code",
            "所属行业" | "行业" => "industry",
            "信息来源" | "来源" => "source",
            "首次联系时间" => "first_contact",
            "最近联系时间" => "last_contact",
            "负责人" => "owner",
            "标签" => "tags",
            "需求简述" | "需求" => "need",
            "备注" => "notes",
            other => other,
        };
        CustomerField::SIMPLE
            .into_iter()
            .find(|f| f.simple_key() == alias)
    }

    /// The custom field `name`, if it can be one: not empty, no `=` (which
    /// `--set NAME=VALUE` could not tell apart), no line break or other
    /// control character.
    pub fn custom(name: &str) -> Option<CustomerField> {
        let name = name.trim();
        (!name.is_empty()
            && !name.contains(|c: char| c == '=' || c.is_control())
            && super::is_one_line(name))
        .then(|| CustomerField::Custom(name.to_string()))
    }

    /// Every field of these records that a change, a hand edit or a merge
    /// can touch: the simple ones, then each custom field any of them has
    /// or has logged, sorted.
    pub fn of_records(records: &[&Customer]) -> Vec<CustomerField> {
        let mut custom = std::collections::BTreeSet::new();
        for c in records {
            custom.extend(c.custom.keys().cloned());
            custom.extend(
                c.changes
                    .iter()
                    .filter_map(|ch| ch.field.strip_prefix("custom.").map(String::from)),
            );
        }
        CustomerField::SIMPLE
            .into_iter()
            .chain(custom.into_iter().map(CustomerField::Custom))
            .collect()
    }

    /// Fields whose values are personal data and are masked on output.
    /// The kind of customer this field is recorded for, if only one:
    /// credit code, industry and contacts are an enterprise's; ID card,
    /// bank card and salutation an individual's.
    pub fn only_for(&self) -> Option<CustomerKind> {
        match self {
            CustomerField::CreditCode | CustomerField::Industry | CustomerField::Contact(..) => {
                Some(CustomerKind::Enterprise)
            }
            CustomerField::IdCard | CustomerField::BankCard | CustomerField::Salutation => {
                Some(CustomerKind::Individual)
            }
            _ => None,
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, CustomerField::IdCard | CustomerField::BankCard)
    }
}

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
                    Some(FieldValue::List(l)) => super::ticket_input::unique_tags(l),
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
            .map(|p| ("phone", super::validate::phone_key(p)))
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
        super::mask::customer_name(self.kind, &self.name, self.salutation.as_deref())
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

    fn customer() -> Customer {
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

    #[test]
    fn field_names_accept_the_seed_form() {
        assert_eq!(CustomerField::parse("联系方式"), Some(CustomerField::Phone));
        assert_eq!(CustomerField::parse("负责人"), Some(CustomerField::Owner));
        assert_eq!(CustomerField::parse("kind"), None);
        assert_eq!(CustomerField::parse("contacts.0.name"), None);
        assert_eq!(
            CustomerField::parse(" custom.微信号 "),
            Some(CustomerField::Custom("微信号".into()))
        );
        for bad in ["custom.", "custom. ", "custom.a=b", "custom.a\nb"] {
            assert_eq!(CustomerField::parse(bad), None, "{bad:?}");
        }
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
