use std::io::Write;

use super::{required_text, Context};
use crate::error::Result;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct ReopenArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// Why it is reopened (the customer is not satisfied, ...).
    #[arg(long)]
    pub reason: String,
    /// When it was reopened, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &ReopenArgs, _out: &mut dyn Write) -> Result<()> {
    let reason = required_text("reason", &args.reason)?;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.reopen(reason, at, by)
    })?;
    message::say(&format!("{}: reopened ({})", ticket.id, ticket.status));
    Ok(())
}
