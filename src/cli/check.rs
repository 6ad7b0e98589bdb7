use std::io::Write;

use super::Context;
use crate::app;
use crate::error::{Error, Result};
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Record hand edits of ticket fields as `edited` events by the actor,
    /// remove temporary files left by interrupted writes, and finish an
    /// interrupted customer import (instead of only reporting them). Other
    /// problems need a person.
    #[arg(long, conflicts_with = "as_of")]
    pub fix: bool,
    // A commit is checked as it holds the store, without checking it out
    // (a CI job); what only a clone has is left out
    // (app::check::check).
    #[command(flatten)]
    pub as_of: super::AsOf,
}

/// Validates the whole store. Prints one `path[:line]: problem` line per
/// problem on stdout and nothing when all is well; exit 0 clean, 1 otherwise.
pub fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<()> {
    ctx.warn_exposed_password();
    let fix = args.fix.then_some(|| ctx.actor());
    let checked = app::check::check_store(&ctx.store, &ctx.keyring()?, ctx.now, fix)?;
    if checked.temps_removed > 0 {
        message::say(&format!(
            "removed {} temporary file(s) left by interrupted writes",
            checked.temps_removed
        ));
    }
    // Warnings go to stderr and fail nothing (nor the pre-commit hook).
    let (warnings, problems): (Vec<_>, Vec<_>) = checked
        .findings
        .into_iter()
        .partition(|p| p.kind == crate::model::FindingKind::Warning);
    for w in &warnings {
        message::say(&format!("warning: {w}"));
    }
    for p in &problems {
        // One line each; file names and values are shown escaped, never obeyed.
        writeln!(out, "{}", crate::text::visible(&p.to_string()))?;
    }
    if checked.edits_recorded > 0 {
        message::say(&format!(
            "recorded {} hand edit(s) as `edited` events",
            checked.edits_recorded
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{} problem(s) found",
            problems.len()
        )))
    }
}
