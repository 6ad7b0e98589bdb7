use std::io::Write;
use std::path::PathBuf;

use super::{required_text, Context};
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// The files to keep with it (a photo, an invoice...), copied under
    /// attachments/<ticket>/.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What the files are, recorded with them.
    #[arg(long, short = 'm')]
    pub note: Option<String>,
}

/// Prints each file's place in the store, one per line.
pub fn run(ctx: &Context, args: &AttachArgs, out: &mut dyn Write) -> crate::error::Result<()> {
    let note = args
        .note
        .as_deref()
        .map(|n| required_text("--note", n))
        .transpose()?;
    let id = ctx.ticket_id(&args.id)?;
    let at = ctx.event_time(None)?;
    let (ticket, saved) = crate::app::attach::attach(
        &ctx.store,
        &id,
        &args.files,
        note.as_deref(),
        at,
        ctx.actor(),
    )?;
    for a in &saved {
        writeln!(
            out,
            "{}/{}/{}",
            crate::store::ATTACHMENTS_DIR,
            ticket.id,
            a.name
        )?;
    }
    message::say(&format!("{}: {} file(s) attached", ticket.id, saved.len()));
    Ok(())
}
