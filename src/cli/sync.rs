use std::io::Write;

use super::Context;
use crate::error::Result;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Commit, pull and check, but do not push.
    #[arg(long)]
    pub no_push: bool,
    /// How many times to pull and push again when another clone pushed
    /// first (0 to 20).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// The message of the commit of this clone's changes, instead of one
    /// that counts them (`desk sync by li.na: tickets: 2 new, 1 changed`).
    #[arg(long, short = 'm')]
    pub message: Option<String>,
}

/// Prints nothing on stdout; says on stderr what was committed, what
/// arrived and whether it was pushed.
pub fn run(ctx: &Context, args: &SyncArgs, _out: &mut dyn Write) -> Result<()> {
    let synced = crate::app::sync::sync(
        &ctx.store,
        &ctx.keyring()?,
        ctx.now,
        ctx.actor(),
        !args.no_push,
        args.retries,
        args.message.as_deref(),
    )?;
    for w in &synced.warnings {
        message::warn(&w.to_string());
    }
    let committed = match &synced.committed {
        Some(m) => format!("committed \"{m}\""),
        None => "nothing of this clone's to commit".to_string(),
    };
    let pushed = match (synced.pushed, args.no_push) {
        (true, _) if synced.raced > 0 => {
            format!("pushed (after {} race(s) with other clones)", synced.raced)
        }
        (true, _) => "pushed".to_string(),
        (false, true) => "not pushed (--no-push)".to_string(),
        (false, false) => "not pushed".to_string(),
    };
    message::say(&format!(
        "sync: {committed}; {} commit(s) arrived; {pushed}",
        synced.arrived
    ));
    Ok(())
}
