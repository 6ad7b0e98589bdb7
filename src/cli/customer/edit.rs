use std::io::Write;

use super::{parse_field, FieldInput};
use crate::cli::Context;
use crate::error::{Error, Result};
use crate::model::{mask, CustomerField, CustomerKind};
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The customer ID (C000001).
    pub id: String,
    /// FIELD=VALUE; repeatable, one change-log entry each. Fields: name,
    /// salutation, phone, email, address, id_card, bank_card, credit_code,
    /// industry, source, first_contact, last_contact, owner, vip, tags
    /// (comma-separated), need, notes, contacts.N.name|salutation|role|phone|email
    /// (a new contact N starts with its name), custom.NAME (a field of your
    /// own, e.g. custom.微信号). An empty value removes the field.
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    pub sets: Vec<String>,
    /// Record a phone number or e-mail address that fails the shape check as typed.
    #[arg(long)]
    pub force: bool,
    /// When the change was made, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &EditArgs, _out: &mut dyn Write) -> Result<()> {
    let id = ctx.store.customer_id(&args.id)?;
    let at = ctx.event_time(args.at.as_deref())?;
    let mut sets: Vec<(CustomerField, String)> = Vec::new();
    for text in &args.sets {
        let (field, value) = text.split_once('=').ok_or_else(|| {
            Error::invalid(
                "--set",
                mask::unknown(text),
                "expected FIELD=VALUE, e.g. phone=13912345678",
            )
        })?;
        let field = parse_field(field)?;
        if sets.iter().any(|(f, _)| *f == field) {
            // The customer's kind is not known yet: masked as for an individual.
            let shown = mask::field(CustomerKind::Individual, &field, value);
            return Err(Error::invalid(
                "--set",
                format!("{}={shown}", field.key()),
                format!("{} is set twice; one change per field", field.key()),
            ));
        }
        sets.push((field, value.to_string()));
    }
    let sealing = sets
        .iter()
        .any(|(f, v)| f.is_sealed() && !v.trim().is_empty());
    let input = FieldInput::new(ctx, sealing, args.force)?;
    let rules = input.rules();
    let customer = ctx.store.modify_customer(&id, |c| {
        for (field, raw) in &sets {
            let value = rules.value(c.kind, field, raw)?;
            c.edit(field.clone(), value, at, ctx.actor())
                .map_err(|why| Error::Refused(format!("{id}: {why}")))?;
        }
        Ok(())
    })?;
    message::say(&format!(
        "{}: changed {}",
        customer.id,
        sets.iter()
            .map(|(f, _)| f.key())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}
