use std::io::Write;

use super::Context;
use crate::app::{self, Step};
use crate::error::Result;
use crate::output::message;
use crate::store::Installed;

#[derive(Debug, clap::Args)]
pub struct GitSetupArgs {
    /// This clone's node number, 1 to 99: new ticket serials and customer
    /// numbers end in it, so clones never allocate the same ID. Default: the
    /// acting agent's `node:` in desk.yaml, else the agent's place in `agents:`.
    #[arg(long, value_name = "N")]
    pub node: Option<u32>,
    /// Also install desk's pre-commit hook (refuses commits while `desk
    /// check` finds problems); a different hook already there is kept.
    #[arg(long)]
    pub hooks: bool,
    /// Also write the cron scripts (monthly report, hourly SLA mail) and a
    /// crontab example into .git/desk/cron/, where no commit or pull writes.
    #[arg(long)]
    pub cron: bool,
}

/// Sets up the store's git integration in this clone; prints the node number,
/// and the rules' hooks this clone does not allow yet, each with the command
/// that allows it (docs/automation.md, "Trust model").
pub fn run(ctx: &Context, args: &GitSetupArgs, out: &mut dyn Write) -> Result<()> {
    let extras = app::Extras {
        hooks: args.hooks,
        cron: args.cron,
    };
    let done = app::git_setup::set_up_git(
        &ctx.store,
        args.node,
        ctx.given_actor(),
        &ctx.now.to_string(),
        extras,
    );
    for step in &done.steps {
        message::say(&describe(step));
    }
    writeln!(out, "{}", done.ended?)?;
    Ok(())
}

/// A step of `desk init` or `desk git-setup`, in words.
pub(super) fn describe(step: &Step) -> String {
    match step {
        Step::Calendar(path) => format!(
            "installed the holiday calendar {} (`--calendar none` leaves it out)",
            path.display()
        ),
        Step::Merging(line) => line.clone(),
        Step::Agent { id, name, by } => format!("you are agent {id} ({name}), matched by '{by}'"),
        Step::Node {
            node,
            claim,
            committed: true,
        } => format!(
            "this clone's node number is {node}: new IDs end in {node:02} ({} is committed)",
            claim.display()
        ),
        Step::Node {
            node,
            claim,
            committed: false,
        } => format!(
            "this clone's node number is {node}: new IDs end in {node:02}; commit {} so other \
             clones see the number is taken",
            claim.display()
        ),
        Step::NewStoreNode { node, claim } => format!(
            "this clone's node number is {node} (recorded in {}); every other clone runs `desk \
             git-setup` once",
            claim.display()
        ),
        Step::NoNode => {
            "run `desk git-setup --node N` here, and `desk git-setup` in every other clone".into()
        }
        Step::Hook(done) => installed(done, "hook"),
        Step::CronFile(done) => installed(done, "cron file"),
        Step::NotAllowed(finding) => format!("note: {finding}"),
    }
}

fn installed(done: &Installed, what: &str) -> String {
    match done {
        Installed::Written(p) => format!("installed the {what} {}", p.display()),
        Installed::AlreadyThere(p) => format!("the {what} {} is up to date", p.display()),
        Installed::KeptDifferent(p) => format!(
            "kept the existing {what} {}, which differs from desk's; merge them by hand \
             (desk's is examples/ in desk's sources)",
            p.display()
        ),
    }
}
