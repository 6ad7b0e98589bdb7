use std::io::Write;

use super::{optional_text, Context};
use crate::error::Result;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// The agent who takes it over.
    pub agent: String,
    /// Why it is assigned, or what to do first.
    #[arg(long)]
    pub note: Option<String>,
    /// When it was assigned, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &AssignArgs, _out: &mut dyn Write) -> Result<()> {
    let agent = ctx.assignable_agent(&args.agent)?;
    let note = optional_text("note", args.note.as_deref())?;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.assign(&agent, note, at, by)
    })?;
    message::say(&format!("{}: assigned to {agent}", ticket.id));
    Ok(())
}
