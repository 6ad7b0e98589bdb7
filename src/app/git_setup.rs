//! `desk git-setup`, and what `desk init` sets up in a new store inside a
//! git work tree: merging, and the clone's node number (docs/git.md).

use crate::error::{Error, Result};
use crate::store::{git, Store};

/// What `desk git-setup` did in this clone.
#[derive(Debug, Clone, PartialEq)]
pub struct GitSetup {
    pub node: u32,
    /// The agent whose node number was taken, and what matched them (an
    /// actor name or git's user.email), when the number came from desk.yaml.
    pub agent: Option<(String, String, String)>,
    /// One line per thing set up (see [`set_up_merging`]).
    pub done: Vec<String>,
    /// The node claim to commit.
    pub claim: std::path::PathBuf,
    /// Whether the claim is committed as it is (nothing left to commit).
    pub claim_committed: bool,
}

/// What `desk init` set up in a new store inside a git work tree.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClone {
    /// One line per thing set up (see [`set_up_merging`]).
    pub done: Vec<String>,
    /// The agent the creator is, and what matched them.
    pub agent: Option<(String, String, String)>,
    /// The node number claimed, if one could be chosen.
    pub node: Option<u32>,
    pub claim: Option<std::path::PathBuf>,
}

/// `desk git-setup`: merging set up, and this clone's node number (the
/// one given; else the number it already has; else the acting agent's)
/// recorded and claimed. Refused, with nothing changed, outside a git
/// work tree, for a number out of 1..=99, or for a number another clone
/// has claimed.
pub fn set_up_git(store: &Store, given: Option<u32>, actor: &str, now: &str) -> Result<GitSetup> {
    if store.git_state()?.toplevel.is_none() {
        return Err(Error::Refused(format!(
            "{} is not inside a git work tree; run `git init` (or clone the team's repository) first",
            store.root.display()
        )));
    }
    let email = store.git_user_email();
    let agent = store.config.agent_of(actor, email.as_deref());
    let clone = store.clone_name()?;
    let claims = store.node_claims()?;
    let mut matched = None;
    let node =
        match given {
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
                        "'{actor}'{} is not an agent in desk.yaml (agents are matched by id, \
                         name or e-mail): add yourself to `agents:`, or pass --node N with a \
                         number no agent or clone uses{}",
                        email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default(),
                        store.free_node(&claims)
                            .map(|n| format!(" (--node {n} is free)"))
                            .unwrap_or_default()
                    ))
                        })?;
                    matched = Some((agent.id.clone(), agent.name.clone(), by.to_string()));
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
    if let Some(c) = claims.iter().find(|c| c.node == node && c.clone != clone) {
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
    let done = set_up_merging(store)?;
    store.set_node(node)?;
    let claim = store.claim_node(node, agent.map(|(a, _)| a.id.as_str()), now)?;
    let path = claim.to_string_lossy();
    // Tracked and unchanged: `git status` says nothing of it.
    let claim_committed = git(&store.root, &["ls-files", "--error-unmatch", "--", &path]).is_some()
        && git(&store.root, &["status", "--porcelain", "--", &path]).is_some_and(|s| s.is_empty());
    Ok(GitSetup {
        node,
        agent: matched,
        done,
        claim,
        claim_committed,
    })
}

/// At `desk init` inside a git work tree (else `None`): merging set up
/// and, when one can be chosen, a node number claimed — the acting
/// agent's, or for a creator who is no agent, a number no agent has.
pub fn set_up_new_clone(store: &Store, actor: &str, now: &str) -> Result<Option<NewClone>> {
    if store.git_state()?.toplevel.is_none() {
        return Ok(None);
    }
    let done = set_up_merging(store)?;
    let email = store.git_user_email();
    let agent = store.config.agent_of(actor, email.as_deref());
    let node = match agent {
        Some((agent, _)) => store.config.node_of(agent),
        None => store.free_node(&[]),
    };
    let claim = match node {
        Some(node) => {
            store.set_node(node)?;
            Some(store.claim_node(node, agent.map(|(a, _)| a.id.as_str()), now)?)
        }
        None => None,
    };
    Ok(Some(NewClone {
        done,
        agent: agent.map(|(a, by)| (a.id.clone(), a.name.clone(), by.to_string())),
        node,
        claim,
    }))
}

/// `.gitattributes`, `.gitignore`, the merge driver and `git pull`'s
/// behaviour; idempotent. Returns what it did, a line each.
pub fn set_up_merging(store: &Store) -> Result<Vec<String>> {
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
