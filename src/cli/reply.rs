use std::io::Write;
use std::path::PathBuf;

use super::{required_text, required_text_file, Context};
use crate::app::reply::Answer;
use crate::error::{Error, Result};
use crate::output::message;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("text").args(["message", "file"])))]
pub struct ReplyArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// The answer; `-` reads it from stdin.
    #[arg(long, short = 'm')]
    pub message: Option<String>,
    /// Read the answer from this file (UTF-8).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Start the answer from this knowledge-base article's solution
    /// (`desk kb list`); --message or --file, if given, comes first (a
    /// greeting, a line for this customer).
    #[arg(long, value_name = "ARTICLE")]
    pub kb: Option<String>,
    /// Send this file with the answer (repeatable); a copy is kept under
    /// attachments/<ticket>/.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Record the text as an internal note (as `desk update --note`): never
    /// mailed, never seen by the customer.
    #[arg(long, conflicts_with = "attach")]
    pub internal: bool,
}

pub fn run(ctx: &Context, args: &ReplyArgs, out: &mut dyn Write) -> Result<()> {
    let typed = match (&args.message, &args.file) {
        (Some(m), _) => Some(required_text("--message", m)?),
        (None, Some(path)) => Some(required_text_file("--file", path)?),
        (None, None) => None,
    };
    let text = match (&args.kb, typed) {
        (Some(article), opening) => {
            crate::app::kb::reply_text(&ctx.store, article, opening.as_deref())?
        }
        (None, Some(text)) => text,
        (None, None) => {
            return Err(Error::invalid(
                "--message",
                "",
                "give the answer: --message TEXT (- for stdin), --file F, or --kb ARTICLE",
            ))
        }
    };
    if args.internal {
        let ticket = ctx.modify(&args.id, None, |t, at, by| t.update(text, None, at, by))?;
        message::say(&format!(
            "{}: internal note recorded, not mailed",
            ticket.id
        ));
        return Ok(());
    }
    let id = ctx.ticket_id(&args.id)?;
    let sent = crate::app::reply::reply(
        &ctx.store,
        &id,
        &Answer {
            text,
            attach: args.attach.clone(),
        },
        ctx.now,
        ctx.actor(),
    )?;
    writeln!(out, "{}", sent.message_id)?;
    message::say(&format!(
        "{}: answer mailed to {} ({}) and recorded",
        sent.ticket.id,
        sent.to_masked,
        crate::text::visible(&sent.subject)
    ));
    Ok(())
}
