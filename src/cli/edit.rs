use std::io::Write;

use serde_yaml::Value;

use super::{optional_text, Context};
use crate::config::Field;
use crate::error::{Error, Result};
use crate::model::Edit;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// FIELD=VALUE; repeatable. Fields: title, customer, type, category, tags
    /// (comma-separated), channel, priority, description, expectation. An
    /// empty value clears an optional field.
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    pub sets: Vec<String>,
    /// Why the fields changed.
    #[arg(long)]
    pub note: Option<String>,
    /// When the change was made, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &EditArgs, _out: &mut dyn Write) -> Result<()> {
    let edits = args
        .sets
        .iter()
        .map(|s| parse_set(ctx, s))
        .collect::<Result<Vec<_>>>()?;
    let note = optional_text("note", args.note.as_deref())?;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.edit(edits, note, at, by)
    })?;
    message::say(&format!("{}: edited", ticket.id));
    Ok(())
}

fn parse_set(ctx: &Context, text: &str) -> Result<Edit> {
    let (field, value) = text.split_once('=').ok_or_else(|| {
        Error::invalid("--set", text, "expected FIELD=VALUE, e.g. priority=urgent")
    })?;
    let field = field.trim().to_string();
    let value = value.trim();
    let required = |what: &str| -> Result<Value> {
        if value.is_empty() {
            return Err(Error::invalid(
                what,
                value,
                format!("the {what} must not be empty"),
            ));
        }
        Ok(Value::String(value.to_string()))
    };
    let value = match field.as_str() {
        "type" => Value::String(ctx.resolve(Field::Type, value)?),
        "priority" => Value::String(ctx.resolve(Field::Priority, value)?),
        "channel" => Value::String(ctx.resolve(Field::Channel, value)?),
        "customer" => Value::String(ctx.existing_customer(value)?),
        "title" => required(&field)?,
        "description" => Value::String(value.to_string()),
        "category" | "expectation" => {
            if value.is_empty() {
                Value::Null
            } else {
                Value::String(value.to_string())
            }
        }
        "tags" => Value::Sequence(
            value
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_string()))
                .collect(),
        ),
        // The domain names the valid fields.
        _ => Value::String(value.to_string()),
    };
    Ok(Edit { field, value })
}
