use std::io::Write;

use super::Context;
use crate::error::Result;
use crate::store::{Attempt, AttemptOutcome};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Print what would be delivered, and write and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Delivers what rules queued (for cron). One line per delivery on stderr;
/// exit 1 when any delivery failed in this run.
pub fn run(ctx: &Context, args: &RunArgs, _out: &mut dyn Write) -> Result<u8> {
    let tz = ctx.store.settings.tz;
    let mut say = |a: &Attempt| {
        let to = if a.to.is_empty() {
            String::new()
        } else {
            format!(" to {}", a.to.join(", "))
        };
        let what = match &a.outcome {
            AttemptOutcome::Delivered => "delivered".to_string(),
            AttemptOutcome::WouldSend => "would deliver".to_string(),
            AttemptOutcome::Failed {
                error,
                attempt,
                next,
            } => match next {
                Some(t) => format!(
                    "failed (attempt {attempt}, next at {}): {error}",
                    t.0.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                ),
                None => format!("failed (attempt {attempt}, given up): {error}"),
            },
        };
        // Values from files are shown escaped, never obeyed by the terminal.
        let line = format!(
            "{}: {} by rule {}{to} {what} ({})",
            a.ticket, a.via, a.rule, a.key
        );
        crate::output::message::say(&line);
    };
    let email = ctx.store.email_sender();
    let totals = ctx.store.run_deliveries(
        ctx.now,
        ctx.actor(),
        args.dry_run,
        email.as_deref(),
        &mut say,
    )?;
    Ok(if totals.failed > 0 {
        super::exit::ERROR
    } else {
        super::exit::OK
    })
}
