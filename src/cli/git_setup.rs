use std::io::Write;

use super::Context;
use crate::error::{Error, Result};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct GitSetupArgs {
    /// This clone's node number, 1 to 99: new ticket serials and customer
    /// numbers end in it, so clones never allocate the same ID. Default: the
    /// acting agent's `node:` in desk.yaml, else the agent's place in `agents:`.
    #[arg(long, value_name = "N")]
    pub node: Option<u32>,
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
    let node = match args.node {
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
            None => node_of_actor(store, &ctx.actor).ok_or_else(|| {
                Error::Refused(format!(
                    "no node number for '{}': give each agent a `node:` (1-99) in desk.yaml, \
                     or pass --node N (a number no other clone uses)",
                    ctx.actor
                ))
            })?,
        },
    };
    for line in setup(store)? {
        eprintln!("{line}");
    }
    store.set_node(node)?;
    eprintln!("this clone's node number is {node}: new IDs end in {node:02}");
    writeln!(out, "{node}")?;
    Ok(())
}

/// The node number desk.yaml gives the acting agent: its `node:`, else its
/// place (from 1) in `agents:`.
pub fn node_of_actor(store: &Store, actor: &str) -> Option<u32> {
    let agents = &store.config.agents;
    let i = agents
        .iter()
        .position(|a| a.id.eq_ignore_ascii_case(actor) || a.name == actor)?;
    agents[i]
        .node
        .or_else(|| u32::try_from(i + 1).ok().filter(|n| *n <= 99))
}

/// `.gitattributes` and the merge driver; idempotent. Returns what it did.
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
    Ok(done)
}
