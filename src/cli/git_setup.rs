use std::io::Write;

use super::Context;
use crate::error::{Error, Result};
use crate::output::message;
use crate::store::{Installed, Store};

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
    /// crontab example into .desk/cron/.
    #[arg(long)]
    pub cron: bool,
}

/// Sets up the store's git integration in this clone; prints the node number.
pub fn run(ctx: &Context, args: &GitSetupArgs, out: &mut dyn Write) -> Result<()> {
    let store = &ctx.store;
    if store.git_state()?.toplevel.is_none() {
        return Err(Error::Refused(format!(
            "{} is not inside a git work tree; run `git init` (or clone the team's repository) first",
            store.root.display()
        )));
    }
    let email = store.git_user_email();
    let agent = store.config.agent_of(ctx.given_actor(), email.as_deref());
    let clone = store.clone_name()?;
    let claims = store.node_claims()?;
    let others = |n: u32| {
        claims
            .iter()
            .find(|c| c.node == n && c.clone != clone)
            .cloned()
    };
    let node =
        match args.node {
            Some(n) if (1..=99).contains(&n) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "--node",
                    n.to_string(),
                    "expected a number from 1 to 99",
                ))
            }
            None => match store.node()? {
                Some(n) => n,
                None => {
                    let (agent, by) =
                        agent.ok_or_else(|| {
                            Error::Refused(format!(
                        "'{}'{} is not an agent in desk.yaml (agents are matched by id, name \
                         or e-mail): add yourself to `agents:`, or pass --node N with a number \
                         no agent or clone uses{}",
                        ctx.given_actor(),
                        email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default(),
                        store.free_node(&claims)
                            .map(|n| format!(" (--node {n} is free)"))
                            .unwrap_or_default()
                    ))
                        })?;
                    message::say(&format!(
                        "you are agent {} ({}), matched by '{by}'",
                        agent.id, agent.name
                    ));
                    store.config.node_of(agent).ok_or_else(|| {
                        Error::Refused(format!(
                            "agent {} has no node number: give it a `node:` (1-99) in desk.yaml, \
                         or pass --node N",
                            agent.id
                        ))
                    })?
                }
            },
        };
    // Another clone (say, the same agent's second computer) already took
    // this number: its IDs and ours would collide.
    if let Some(c) = others(node) {
        let free = store.free_node(&claims);
        return Err(Error::Refused(format!(
            "node {node} is already claimed by another clone (nodes/{}.yaml: {}{}, {}); two \
             clones with one node create the same IDs. Run `desk git-setup --node {}` here \
             (a free number), or, if that clone is gone for good, `git rm nodes/{}.yaml`, \
             commit, and run this again",
            c.clone,
            c.agent.as_deref().unwrap_or("unknown agent"),
            c.host
                .as_deref()
                .map(|h| format!(" on {h}"))
                .unwrap_or_default(),
            c.claimed,
            free.map_or("N".to_string(), |n| n.to_string()),
            c.clone
        )));
    }
    for line in setup(store)? {
        message::say(&line);
    }
    store.set_node(node)?;
    let claim = store.claim_node(
        node,
        agent.map(|(a, _)| a.id.as_str()),
        &ctx.now.to_string(),
    )?;
    message::say(&format!(
        "this clone's node number is {node}: new IDs end in {node:02}; commit {} so other clones \
         see the number is taken",
        claim.display()
    ));
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

/// `.gitattributes`, the merge driver and `git pull`'s behaviour; idempotent.
/// Returns what it did.
pub fn setup(store: &Store) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if store.write_git_attributes()? {
        done.push("added the desk merge lines to .gitattributes (commit it)".to_string());
    }
    if crate::store::write_git_ignore(&store.root)? {
        done.push("added desk's lines to .gitignore (commit it)".to_string());
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("desk executable", e))?;
    store.register_merge_driver(&exe)?;
    done.push(format!(
        "registered the desk merge driver in this clone's git config ({})",
        exe.display()
    ));
    let (rebase, set) = store.configure_pull()?;
    if set {
        done.push(
            "set pull.rebase=false in this clone's git config: `git pull` merges diverged \
             branches by itself"
                .to_string(),
        );
    } else {
        done.push(format!(
            "pull.rebase is already {rebase} in git config; kept (the desk driver serves both)"
        ));
    }
    Ok(done)
}
