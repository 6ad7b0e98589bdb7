//! `desk customer ...`: customer records (seed 002). One file per
//! subcommand; this module holds what they share: turning typed text into
//! validated (and, for ID-card and bank-card numbers, sealed) field values,
//! and masking values for output.

mod add;
mod edit;
mod export;
mod import;
mod list;
mod show;

use std::collections::HashMap;
use std::io::Write;

use super::Context;
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{
    mask, validate, Activity, ContactField, Customer, CustomerField, CustomerKind, FieldValue,
    Sealed, Timestamp,
};

#[derive(Debug, clap::Args)]
pub struct CustomerArgs {
    #[command(subcommand)]
    pub command: CustomerCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CustomerCommand {
    /// Register a customer; prints the new ID alone.
    Add(add::AddArgs),
    /// Change fields of a customer, one change-log entry per field.
    Edit(edit::EditArgs),
    /// One customer: the record (masked), its change log and its tickets.
    Show(show::ShowArgs),
    /// List customers, with filters, lookups and the dormant (待激活) list.
    List(list::ListArgs),
    /// Import customers from CSV: every row is checked first, then all are written or none.
    Import(import::ImportArgs),
    /// Export every customer as CSV or JSON (masked unless --reveal).
    Export(export::ExportArgs),
}

pub fn run(ctx: &Context, args: &CustomerArgs, out: &mut dyn Write) -> Result<()> {
    match &args.command {
        CustomerCommand::Add(a) => add::run(ctx, a, out),
        CustomerCommand::Edit(a) => edit::run(ctx, a, out),
        CustomerCommand::Show(a) => show::run(ctx, a, out),
        CustomerCommand::List(a) => list::run(ctx, a, out),
        CustomerCommand::Import(a) => import::run(ctx, a, out),
        CustomerCommand::Export(a) => export::run(ctx, a, out),
    }
}

pub fn parse_kind(input: &str) -> Result<CustomerKind> {
    CustomerKind::parse(input).ok_or_else(|| {
        Error::invalid(
            "kind",
            input,
            "expected individual (个人) or enterprise (企业)",
        )
    })
}

pub fn parse_field(input: &str) -> Result<CustomerField> {
    CustomerField::parse(input).ok_or_else(|| {
        Error::invalid(
            "field",
            input,
            format!(
                "expected one of {}, contacts.N.name|salutation|role|phone|email, \
                 or custom.NAME (a field of your own; NAME without '=' or control characters)",
                CustomerField::SIMPLE.map(|f| f.key()).join(", ")
            ),
        )
    })
}

/// The store's side of the customer field rules ([`validate::FieldRules`]):
/// desk.yaml's sources, its agents, the clock, and the key when a sealed
/// field is being set.
pub struct FieldInput<'a> {
    pub ctx: &'a Context,
    /// Loaded only when a sealed field is being set.
    pub keyring: Option<Keyring>,
    pub force: bool,
}

impl<'a> FieldInput<'a> {
    /// `sealing`: whether any ID-card or bank-card number will be set, which
    /// needs the key.
    pub fn new(ctx: &'a Context, sealing: bool, force: bool) -> Result<FieldInput<'a>> {
        let keyring = if sealing {
            Some(keyring_for(ctx, "an ID-card or bank-card number")?)
        } else {
            None
        };
        Ok(FieldInput {
            ctx,
            keyring,
            force,
        })
    }

    pub fn rules(&self) -> validate::FieldRules<'_> {
        validate::FieldRules {
            lookup: self,
            force: self.force,
        }
    }
}

impl validate::FieldLookup for FieldInput<'_> {
    fn seal(&self, field: &str, plain: &str) -> Result<Sealed> {
        let keyring = self.keyring.as_ref().ok_or_else(|| {
            Error::Refused(format!("{field} is stored encrypted and needs the key"))
        })?;
        keyring
            .seal(field, plain)
            .map_err(|why| Error::Refused(format!("cannot store {field} encrypted: {why}")))
    }

    fn source(&self, input: &str) -> Result<String> {
        self.ctx.store.config.customers.resolve_source(input)
    }

    fn owner(&self, input: &str) -> Result<String> {
        self.ctx.assignable_agent(input)
    }

    fn time(&self, input: &str) -> Result<Timestamp> {
        self.ctx.event_time(Some(input))
    }
}

/// `name=王芳,role=采购经理,phone=13912345678` as the fields of contact `index`.
pub fn contact_fields(index: usize, spec: &str) -> Result<Vec<(CustomerField, String)>> {
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

/// Loads the keyring when a command needs it, with the reason in the error.
pub fn keyring_for(ctx: &Context, why: &str) -> Result<Keyring> {
    if ctx.store.config.encryption.is_none() {
        return Err(Error::Refused(format!(
            "{why} needs encryption, which this store has not set up; run `desk keys init` first"
        )));
    }
    ctx.keyring()
}

/// How values are shown: masked, or in full (`--reveal`, decrypting with the key).
pub struct Shown<'a> {
    pub reveal: Option<&'a Keyring>,
}

impl Shown<'_> {
    /// Loads what `--reveal` needs. Names, phones, e-mail and addresses are
    /// stored in clear and need no key; without the key (`DESK_KEY_FILE`)
    /// the sealed numbers stay masked, and a note says why.
    pub fn keyring(ctx: &Context, reveal: bool) -> Result<Option<Keyring>> {
        if !reveal {
            return Ok(None);
        }
        let ring = ctx.keyring()?;
        if ctx.store.config.encryption.is_some() {
            if let Some(why) = ring.locked_because() {
                eprintln!(
                    "note: ID-card and bank-card numbers stay masked: showing them needs the private key: {why}"
                );
            }
        }
        Ok(Some(ring))
    }

    /// A field's value as it may be shown.
    pub fn value(&self, kind: CustomerKind, field: &CustomerField, value: &FieldValue) -> String {
        match value {
            FieldValue::Flag(b) => b.to_string(),
            FieldValue::List(l) => l.join(", "),
            FieldValue::Sealed(s) => match self.reveal {
                Some(ring) if ring.locked_because().is_none() => ring
                    .open(s)
                    .unwrap_or_else(|e| format!("****{} (cannot decrypt: {e})", s.last4)),
                _ => mask::last_four(&s.last4),
            },
            FieldValue::Text(t) => {
                if self.reveal.is_some() {
                    return t.clone();
                }
                mask::field(kind, field, t)
            }
        }
    }

    /// With `--reveal` and the key, fails on the first sealed value of `c`
    /// that cannot be opened, naming the customer and the field, rather
    /// than printing a placeholder in its place. Without the key sealed
    /// values stay masked (see `keyring`). `changes`: the change log's
    /// values too.
    pub fn check_open(&self, c: &Customer, changes: bool) -> Result<()> {
        let Some(ring) = self.reveal.filter(|r| r.locked_because().is_none()) else {
            return Ok(());
        };
        let current = [("id_card", &c.id_card), ("bank_card", &c.bank_card)]
            .into_iter()
            .filter_map(|(field, v)| Some((field.to_string(), v.as_ref()?)));
        let logged = c
            .changes
            .iter()
            .enumerate()
            .filter(|_| changes)
            .flat_map(|(i, ch)| {
                [&ch.from, &ch.to].into_iter().filter_map(move |v| match v {
                    Some(FieldValue::Sealed(s)) => {
                        Some((format!("{} (change {})", ch.field, i + 1), s))
                    }
                    _ => None,
                })
            });
        for (field, sealed) in current.chain(logged) {
            ring.open(sealed).map_err(|why| {
                Error::Refused(format!(
                    "customer {}: {field} cannot be decrypted ({why}); `desk check` with \
                     {} set lists every damaged value",
                    c.id,
                    crate::store::KEY_FILE_VAR
                ))
            })?;
        }
        Ok(())
    }

    pub fn field(&self, c: &Customer, field: &CustomerField) -> Option<String> {
        c.get(field).map(|v| self.value(c.kind, field, &v))
    }

    /// The customer's name as people see it: 张*, *女士, or the company name.
    pub fn name(&self, c: &Customer) -> String {
        self.name_of(c.kind, &c.name, c.salutation.as_deref())
    }

    /// The same, from a name's parts (a customer's summary).
    pub fn name_of(&self, kind: CustomerKind, name: &str, salutation: Option<&str>) -> String {
        if self.reveal.is_some() {
            return name.to_string();
        }
        mask::customer_name(kind, name, salutation)
    }

    pub fn contact_name(&self, c: &crate::model::Contact) -> String {
        if self.reveal.is_some() {
            return c.name.clone();
        }
        mask::name(&c.name, c.salutation.as_deref())
    }
}

/// Tallies every ticket's activity per customer while the tickets are
/// scanned, keeping none of them. Fails only as the scan does.
pub fn activity_by_customer(ctx: &Context) -> Result<(HashMap<String, Activity>, Vec<Error>)> {
    let map: std::sync::Mutex<HashMap<String, Activity>> = Default::default();
    let scan = ctx.store.summaries_where(true, |t| {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(t.customer.to_string()).or_default().count(t);
        false
    })?;
    let map = map.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((map, scan.errors))
}

/// The record's fields in file order, as shown (masked unless revealing),
/// with the contacts flattened to `name=...,role=...; ...` for CSV.
pub const EXPORT_COLUMNS: [&str; 21] = [
    "id",
    "kind",
    "name",
    "salutation",
    "phone",
    "email",
    "address",
    "id_card",
    "bank_card",
    "credit_code",
    "industry",
    "contacts",
    "source",
    "first_contact",
    "last_contact",
    "owner",
    "vip",
    "tags",
    "need",
    "notes",
    "created",
];

/// One customer as a JSON object of shown values; contacts as an array.
pub fn customer_json(c: &Customer, shown: &Shown) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value as J;
    let mut map = serde_json::Map::new();
    let text = |v: Option<String>| v.map_or(J::Null, J::String);
    for column in EXPORT_COLUMNS {
        let value = match column {
            "id" => J::String(c.id.clone()),
            "kind" => J::String(c.kind.key().into()),
            "name" => J::String(shown.name(c)),
            "vip" => J::Bool(c.vip),
            "tags" => J::Array(c.tags.iter().cloned().map(J::String).collect()),
            "created" => J::String(c.created.to_string()),
            "contacts" => J::Array(
                c.contacts
                    .iter()
                    .enumerate()
                    .map(|(i, contact)| {
                        let mut m = serde_json::Map::new();
                        for f in ContactField::ALL {
                            let v = if f == ContactField::Name {
                                Some(shown.contact_name(contact))
                            } else {
                                shown.field(c, &CustomerField::Contact(i, f))
                            };
                            m.insert(f.key().into(), text(v));
                        }
                        J::Object(m)
                    })
                    .collect(),
            ),
            other => text(CustomerField::parse(other).and_then(|f| shown.field(c, &f))),
        };
        map.insert(column.into(), value);
    }
    let custom = c
        .custom_fields()
        .filter_map(|f| {
            let value = shown.field(c, &f)?;
            match f {
                CustomerField::Custom(name) => Some((name, J::String(value))),
                _ => None,
            }
        })
        .collect();
    map.insert("custom".into(), J::Object(custom));
    map
}

/// The CSV header: the record's own columns, then `custom.NAME` for each
/// custom field of `custom` (the names any exported record has, sorted).
pub fn export_header(custom: &[String]) -> Vec<String> {
    EXPORT_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(custom.iter().map(|name| format!("custom.{name}")))
        .collect()
}

/// The same as one CSV row (contacts as `name=...,role=...; ...`), with
/// the columns of [`export_header`].
pub fn customer_row(c: &Customer, shown: &Shown, custom: &[String]) -> Vec<String> {
    let json = customer_json(c, shown);
    let own = EXPORT_COLUMNS.iter().map(|column| match &json[*column] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(items) if *column == "tags" => items
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(","),
        serde_json::Value::Array(contacts) => contacts
            .iter()
            .map(|contact| {
                contact
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    });
    let theirs = custom.iter().map(|name| {
        json["custom"]
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    });
    own.chain(theirs).collect()
}
