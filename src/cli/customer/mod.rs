//! `desk customer ...`: customer records (seed 002). One file per
//! subcommand; this module holds what they share: turning typed text into
//! validated (and, for ID-card and bank-card numbers, sealed) field values
//! through [`validate::FieldRules`]; `shown.rs` masks values for output and
//! `export.rs` lays a record out as columns or JSON.

mod add;
mod edit;
mod export;
mod import;
mod list;
mod show;
mod shown;

pub use shown::{keyring_for, Shown};

use std::io::Write;

use super::Context;
use crate::clock::Timestamp;
use crate::crypto::{Keyring, Sealed};
use crate::error::{Error, Result};
use crate::model::{validate, CustomerField, CustomerKind};

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
