use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::{merge_customers, merge_tickets};
use crate::store::{
    parse_customer, parse_ticket, read_to_string, render_customer, render_ticket, write_atomic,
};

#[derive(Debug, clap::Args)]
pub struct MergeFileArgs {
    /// The common ancestor's version (git's %O; empty when both sides added the file).
    pub base: PathBuf,
    /// Our version (%A); the merged file is written here.
    pub ours: PathBuf,
    /// Their version (%B).
    pub theirs: PathBuf,
    /// The file's path in the repository (%P): tells tickets from customers.
    pub path: Option<String>,
}

/// git's merge driver for ticket and customer files (see docs/git.md). Exit
/// 0 with the merge in OURS, or 1 with OURS untouched and a message.
pub fn run(args: &MergeFileArgs, actor: &str) -> Result<()> {
    let name = args
        .path
        .clone()
        .unwrap_or_else(|| args.ours.display().to_string());
    let read = |p: &PathBuf| read_to_string(p);
    let (base, ours, theirs) = (read(&args.base)?, read(&args.ours)?, read(&args.theirs)?);
    let shown = std::path::Path::new(&name);
    let fail = |why: String| {
        Error::Refused(format!(
            "cannot merge {name}: {why}\n\
             git keeps our version in the file and marks it as conflicted; see theirs with \
             `git show :3:{name}`, put the right content in place, run `desk check`, then `git add {name}`"
        ))
    };
    let is_customer =
        name.contains("customers/") || (!name.contains("tickets/") && !ours.contains("\nhistory:"));
    let merged = if is_customer {
        let parse = |text: &str| parse_customer(text, shown).map_err(|e| fail(e.to_string()));
        let base = if base.trim().is_empty() {
            None
        } else {
            Some(parse(&base)?)
        };
        let merged = merge_customers(base.as_ref(), &parse(&ours)?, &parse(&theirs)?, actor)
            .map_err(|e| fail(e.to_string()))?;
        render_customer(&merged)
    } else {
        let parse = |text: &str| parse_ticket(text, shown).map_err(|e| fail(e.to_string()));
        let base = if base.trim().is_empty() {
            None
        } else {
            Some(parse(&base)?)
        };
        let merged = merge_tickets(base.as_ref(), &parse(&ours)?, &parse(&theirs)?, actor)
            .map_err(|e| fail(e.to_string()))?;
        render_ticket(&merged)
    };
    write_atomic(&args.ours, merged.as_bytes())
}
