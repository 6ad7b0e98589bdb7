use std::io::Write;

use super::{required_text, Context};
use crate::error::{Error, Result};
use crate::model::{Field, Status};
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// What was done ("replaced the part, tested OK"); `-` reads stdin.
    #[arg(long)]
    pub note: String,
    /// New status: pending (waiting on the customer) or in_progress.
    #[arg(long)]
    pub status: Option<String>,
    /// When it happened, if not now; may be before the ticket's later events
    /// (a call logged after the fact).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &UpdateArgs, _out: &mut dyn Write) -> Result<()> {
    let note = required_text("note", &args.note)?;
    let status = match args.status.as_deref() {
        Some(s) => {
            // A value that is no status gets the answer a wrong status gets:
            // update takes pending or in_progress (the rule is in the domain).
            let key = ctx
                .resolve(Field::Status, s)
                .map_err(|_| Error::invalid("--status", s, crate::model::UPDATE_STATUSES))?;
            Some(Status::from_key(&key).expect("configured statuses are validated"))
        }
        None => None,
    };
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.update(note, status, at, by)
    })?;
    if ticket.status == Status::Closed {
        message::say(&format!(
            "{}: note recorded; the ticket stays closed",
            ticket.id
        ));
    } else {
        message::say(&format!("{}: updated ({})", ticket.id, ticket.status));
    }
    Ok(())
}
