use std::io::Write;

use super::Context;
use crate::app;
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
    let store = &ctx.store;
    let setup =
        app::git_setup::set_up_git(store, args.node, ctx.given_actor(), &ctx.now.to_string())?;
    if let Some((id, name, by)) = &setup.agent {
        message::say(&format!("you are agent {id} ({name}), matched by '{by}'"));
    }
    for line in &setup.done {
        message::say(line);
    }
    let node = setup.node;
    message::say(&if setup.claim_committed {
        format!(
            "this clone's node number is {node}: new IDs end in {node:02} ({} is committed)",
            setup.claim.display()
        )
    } else {
        format!(
            "this clone's node number is {node}: new IDs end in {node:02}; commit {} so other \
             clones see the number is taken",
            setup.claim.display()
        )
    });
    if args.hooks {
        for done in store.install_pre_commit_hook()? {
            message::say(&describe(done, "hook"));
        }
    }
    if args.cron {
        for done in store.install_cron_files()? {
            message::say(&describe(done, "cron file"));
        }
    }
    // Hooks travel in desk.yaml; each machine allows the ones it runs.
    for f in app::hooks::hook_findings(store) {
        message::say(&format!("note: {f}"));
    }
    writeln!(out, "{node}")?;
    Ok(())
}

fn describe(done: Installed, what: &str) -> String {
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
