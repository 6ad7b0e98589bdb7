//! The masking policy of customer output: values masked by default, in
//! full with `--reveal` (sealed numbers only with the identity), and the
//! record of every reveal in the store's reveal log.

use std::collections::BTreeSet;

use crate::cli::Context;
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{
    mask, ContactField, Customer, CustomerField, CustomerKind, FieldValue, Revealed,
};
use crate::output::message;

/// Loads the keyring when a command needs it, with the reason in the error.
pub fn keyring_for(ctx: &Context, why: &str) -> Result<Keyring> {
    if ctx.store.config.encryption.is_none() {
        return Err(Error::Refused(format!(
            "{why} needs encryption, which this store has not set up; run `desk keys init` first"
        )));
    }
    ctx.keyring()
}

/// How values are shown: masked, or in full (`--reveal`, decrypting with the identity).
pub struct Shown<'a> {
    pub reveal: Option<&'a Keyring>,
}

impl Shown<'_> {
    /// Loads what `--reveal` needs: the keyring (names, phones, e-mail and
    /// addresses are stored in clear and need no key; sealed numbers need
    /// the identity, see [`Shown::check_open`]).
    pub fn keyring(ctx: &Context, reveal: bool) -> Result<Option<Keyring>> {
        if !reveal {
            return Ok(None);
        }
        Ok(Some(ctx.keyring()?))
    }

    /// A field's value as it may be shown.
    pub fn value(&self, kind: CustomerKind, field: &CustomerField, value: &FieldValue) -> String {
        match value {
            FieldValue::Flag(b) => b.to_string(),
            FieldValue::List(l) => l.join(", "),
            FieldValue::Sealed(s) => match self.reveal {
                Some(ring) if ring.cannot_open().is_none() => ring
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

    /// The sealed values of `c` (the change log's too, with `changes`),
    /// each with the field it is named by in messages.
    fn sealed_values(
        c: &Customer,
        changes: bool,
    ) -> impl Iterator<Item = (String, &crate::crypto::Sealed)> {
        let current = [("id_card", &c.id_card), ("bank_card", &c.bank_card)]
            .into_iter()
            .filter_map(|(field, v)| Some((field.to_string(), v.as_ref()?)));
        let logged = c
            .changes
            .iter()
            .enumerate()
            .filter(move |_| changes)
            .flat_map(|(i, ch)| {
                [&ch.from, &ch.to].into_iter().filter_map(move |v| match v {
                    Some(FieldValue::Sealed(s)) => {
                        Some((format!("{} (change {})", ch.field, i + 1), s))
                    }
                    _ => None,
                })
            });
        current.chain(logged)
    }

    /// With `--reveal`, fails on the first sealed value of `c` that cannot
    /// be shown in full, naming the customer and the field, rather than
    /// printing a mask or a placeholder in its place: without the identity
    /// (saying what is missing), or damaged. `changes`: the change log's
    /// values too.
    pub fn check_open(&self, c: &Customer, changes: bool) -> Result<()> {
        let Some(ring) = self.reveal else {
            return Ok(());
        };
        for (field, sealed) in Self::sealed_values(c, changes) {
            if let Some(why) = ring.cannot_open() {
                let lookup_only = if ring.cannot_seal().is_none() {
                    " (the lookup key at hand registers and finds numbers but opens none)"
                } else {
                    ""
                };
                return Err(Error::Refused(format!(
                    "customer {}: --reveal would show its {field} in full, which needs the \
                     decryption identity{lookup_only}: {why}. Nothing was shown; without \
                     --reveal the number shows masked (****{})",
                    c.id, sealed.last4
                )));
            }
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

    /// What showing `c` reveals: the fields shown in full that are masked
    /// without `--reveal`, and the sealed ones among them (decrypted), as
    /// field keys. `changes`: the change log's values too (recorded under
    /// their field). Nothing without `--reveal`.
    pub fn revealed(&self, c: &Customer, changes: bool) -> (BTreeSet<String>, BTreeSet<String>) {
        let (mut fields, mut sealed) = (BTreeSet::new(), BTreeSet::new());
        let Some(ring) = self.reveal else {
            return (fields, sealed);
        };
        let opens = ring.cannot_open().is_none();
        let mut note = |field: &CustomerField, value: &FieldValue| match value {
            FieldValue::Sealed(_) if opens => {
                sealed.insert(field.key());
            }
            FieldValue::Text(t) if masked(c.kind, field, t, c) != *t => {
                fields.insert(field.key());
            }
            _ => {}
        };
        let contacts = (0..c.contacts.len())
            .flat_map(|i| ContactField::ALL.map(|f| CustomerField::Contact(i, f)));
        for field in CustomerField::SIMPLE
            .into_iter()
            .chain(c.custom_fields())
            .chain(contacts)
        {
            if let Some(value) = c.get(&field) {
                note(&field, &value);
            }
        }
        for ch in c.changes.iter().filter(|_| changes) {
            let Some(field) = CustomerField::parse(&ch.field) else {
                continue;
            };
            for value in [&ch.from, &ch.to].into_iter().flatten() {
                note(&field, value);
            }
        }
        (fields, sealed)
    }

    /// Records in the store's reveal log what `revealed` holds, as `command`
    /// by the actor, now; before the command prints it, so that nothing is
    /// revealed unrecorded (a failed record fails the command). Warns a
    /// reveal of sealed numbers by someone `encryption.holders` does not name.
    pub fn record(ctx: &Context, command: &str, revealed: &Revealed) -> Result<()> {
        if revealed.is_empty() {
            return Ok(());
        }
        let lines = revealed.lines(ctx.now, ctx.actor(), command);
        let sealed = lines.iter().any(|l| !l.sealed.is_empty());
        if sealed && !crate::config::holds_identity(&ctx.store.config, ctx.actor()) {
            message::warn(&format!(
                "{} is not among those meant to hold the identity (encryption.holders: {}); \
                 this reveal is recorded and `desk check` reports it",
                ctx.actor(),
                ctx.store.identity_holders()
            ));
        }
        ctx.store.record_reveals(&lines)
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

/// A text value of `c` as shown without `--reveal` (names as [`Shown`]
/// masks them: with the salutation, a company's in full).
fn masked(kind: CustomerKind, field: &CustomerField, text: &str, c: &Customer) -> String {
    match field {
        CustomerField::Name => mask::customer_name(kind, text, c.salutation.as_deref()),
        CustomerField::Contact(i, ContactField::Name) => {
            let salutation = c.contacts.get(*i).and_then(|x| x.salutation.as_deref());
            mask::name(text, salutation)
        }
        _ => mask::field(kind, field, text),
    }
}
