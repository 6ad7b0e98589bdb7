//! The masking policy of customer output: values masked by default, in
//! full with `--reveal` (sealed numbers only with the key).

use crate::cli::Context;
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{mask, Customer, CustomerField, CustomerKind, FieldValue};
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
                message::note(&format!(
                    "ID-card and bank-card numbers stay masked: showing them needs the private key: {why}"
                ));
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
