use std::io::Write;

use super::{optional_text, Context};
use crate::error::Result;
use crate::model::ticket_input;
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
        .map(|s| ticket_input::edit(s, ctx))
        .collect::<Result<Vec<_>>>()?;
    let note = optional_text("note", args.note.as_deref())?;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.edit(edits, note, at, by)
    })?;
    message::say(&format!("{}: edited", ticket.id));
    Ok(())
}
