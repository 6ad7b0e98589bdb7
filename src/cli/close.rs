use std::io::Write;

use super::{optional_text, required_text, Context};
use crate::error::Result;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct CloseArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// The solution told to the customer; `-` reads stdin.
    #[arg(long)]
    pub resolution: String,
    /// Any compensation ("one month of membership free").
    #[arg(long)]
    pub compensation: Option<String>,
    /// Follow-up advice for the customer.
    #[arg(long)]
    pub followup: Option<String>,
    /// When it was closed, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &CloseArgs, _out: &mut dyn Write) -> Result<()> {
    let resolution = required_text("resolution", &args.resolution)?;
    let compensation = optional_text("compensation", args.compensation.as_deref())?;
    let followup = optional_text("followup", args.followup.as_deref())?;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        t.close(resolution, compensation, followup, at, by)
    })?;
    message::say(&format!("{}: closed", ticket.id));
    Ok(())
}
