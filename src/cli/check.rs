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
    // (a pre-receive or CI job); what only a clone has is left out
    // (app::check::check).
    #[command(flatten)]
    pub as_of: super::AsOf,
}

/// Validates the whole store. Prints one `path[:line]: problem` line per
/// problem on stdout and nothing when all is well; exit 0 clean, 1 otherwise.
pub fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<()> {
    let store = &ctx.store;
    ctx.warn_exposed_password();
    if args.fix {
        let removed = app::check::remove_stale_temps(store)?;
        if removed > 0 {
            message::say(&format!(
                "removed {removed} temporary file(s) left by interrupted writes"
            ));
        }
    }
    let mut problems = app::check::check(store, &ctx.keyring()?, ctx.now)?;
    let mut fixed = 0;
    if args.fix {
        (problems, fixed) =
            app::check::record_hand_edits(store, problems, ctx.now, || ctx.actor())?;
    }
    // Warnings go to stderr and fail nothing (nor the pre-commit hook).
    let (warnings, problems): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|p| p.kind == crate::model::FindingKind::Warning);
    for w in &warnings {
        message::say(&format!("warning: {w}"));
    }
    for p in &problems {
        // One line each; file names and values are shown escaped, never obeyed.
        writeln!(out, "{}", crate::text::visible(&p.to_string()))?;
    }
    if fixed > 0 {
        message::say(&format!("recorded {fixed} hand edit(s) as `edited` events"));
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
