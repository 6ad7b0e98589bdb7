//! `desk git-setup`, and what `desk init` sets up in a new store inside a
//! git work tree: merging, and the clone's node number (docs/git.md).

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Finding;
use crate::store::{git, Installed, Notices, Store};

/// One thing `desk init` or `desk git-setup` did, in the order done, for
/// the command to tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A holiday calendar desk ships, written into `calendars/`.
    Calendar(PathBuf),
    /// One thing of merging set up (see [`set_up_merging`]), in words.
    Merging(String),
    /// The agent the actor is, and what matched them (an actor name or
    /// git's user.email).
    Agent {
        id: String,
        name: String,
        by: String,
    },
    /// This clone's node number, claimed in `claim`; `committed` when the
    /// claim is committed as it is (nothing left to commit).
    Node {
        node: u32,
        claim: PathBuf,
        committed: bool,
    },
    /// `desk init`: the node number claimed for a new store in `claim`.
    NewStoreNode { node: u32, claim: PathBuf },
    /// `desk init`: no node number could be chosen.
    NoNode,
    /// desk's pre-commit hook (`--hooks`).
    Hook(Installed),
    /// A cron script or the crontab example (`--cron`).
    CronFile(Installed),
    /// A hook of the rules, or a mail command, this machine does not allow
    /// yet, with the command that allows it.
    NotAllowed(Finding),
}

/// What a set-up did, in order, and how it ended: a failure part-way
/// leaves the steps before it done, and they are told with it.
#[derive(Debug)]
pub struct Done<T> {
    pub steps: Vec<Step>,
    pub ended: Result<T>,
}

/// What `desk git-setup` does besides merging and the node number.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// desk's pre-commit hook.
    pub hooks: bool,
    /// The cron scripts and crontab example.
    pub cron: bool,
}

/// `desk git-setup`: the acting agent when the number is theirs, merging
/// set up, this clone's node number (the one given; else the number it
/// already has; else the acting agent's) recorded and claimed, the
/// `extras` asked for, and the hooks this machine does not allow. Ends
/// with the node number. Refused, with nothing changed, outside a git
/// work tree, for a number out of 1..=99, or for a number another clone
/// has claimed.
pub fn set_up_git(
    store: &Store,
    given: Option<u32>,
    actor: &str,
    now: &str,
    extras: Extras,
) -> Done<u32> {
    let mut steps = Vec::new();
    let ended = set_up_git_steps(store, given, actor, now, extras, &mut steps);
    Done { steps, ended }
}

fn set_up_git_steps(
    store: &Store,
    given: Option<u32>,
    actor: &str,
    now: &str,
    extras: Extras,
    steps: &mut Vec<Step>,
) -> Result<u32> {
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
                    matched = Some(Step::Agent {
                        id: agent.id.clone(),
                        name: agent.name.clone(),
                        by: by.to_string(),
                    });
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
    steps.extend(matched);
    steps.extend(set_up_merging(store)?.into_iter().map(Step::Merging));
    store.set_node(node)?;
    let claim = store.claim_node(node, agent.map(|(a, _)| a.id.as_str()), now)?;
    let path = claim.to_string_lossy();
    // Tracked and unchanged: `git status` says nothing of it.
    let committed = git(&store.root, &["ls-files", "--error-unmatch", "--", &path]).is_some()
        && git(&store.root, &["status", "--porcelain", "--", &path]).is_some_and(|s| s.is_empty());
    steps.push(Step::Node {
        node,
        claim,
        committed,
    });
    if extras.hooks {
        for done in store.install_pre_commit_hook()? {
            steps.push(Step::Hook(done));
        }
    }
    if extras.cron {
        for done in store.install_cron_files()? {
            steps.push(Step::CronFile(done));
        }
    }
    // Hooks travel in desk.yaml; each machine allows the ones it runs.
    steps.extend(
        super::hooks::hook_findings(store)
            .into_iter()
            .map(Step::NotAllowed),
    );
    Ok(node)
}

/// `desk init`: a new store in `dir` with `config`, the holiday calendar
/// `calendar` written into it, and, inside a git work tree, merging set
/// up and, when one can be chosen, a node number claimed — the acting
/// agent's, or for a creator who is no agent, a number no agent has.
/// Ends with the store, which says what a person should know to `notices`.
pub fn init(
    dir: &Path,
    config: &Config,
    calendar: Option<&str>,
    actor: &str,
    notices: Notices,
) -> Done<Store> {
    let mut steps = Vec::new();
    let ended = init_steps(dir, config, calendar, actor, notices, &mut steps);
    Done { steps, ended }
}

fn init_steps(
    dir: &Path,
    config: &Config,
    calendar: Option<&str>,
    actor: &str,
    notices: Notices,
    steps: &mut Vec<Step>,
) -> Result<Store> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let store = Store::init(dir, config)?.with_notices(notices);
    if let Some(name) = calendar {
        for path in store.install_calendar(name)? {
            steps.push(Step::Calendar(path));
        }
    }
    let now = crate::clock::now(store.settings.tz)?.to_string();
    // Inside a git work tree, set up the merge driver at once (docs/git.md).
    if store.git_state()?.toplevel.is_none() {
        return Ok(store);
    }
    steps.extend(set_up_merging(&store)?.into_iter().map(Step::Merging));
    let email = store.git_user_email();
    let agent = store.config.agent_of(actor, email.as_deref());
    if let Some((agent, by)) = agent {
        steps.push(Step::Agent {
            id: agent.id.clone(),
            name: agent.name.clone(),
            by: by.to_string(),
        });
    }
    let node = match agent {
        Some((agent, _)) => store.config.node_of(agent),
        None => store.free_node(&[]),
    };
    steps.push(match node {
        Some(node) => {
            store.set_node(node)?;
            let claim = store.claim_node(node, agent.map(|(a, _)| a.id.as_str()), &now)?;
            Step::NewStoreNode { node, claim }
        }
        None => Step::NoNode,
    });
    Ok(store)
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
    let tuned = store.tune_for_many_files()?;
    if !tuned.is_empty() {
        done.push(format!(
            "tuned this clone's git for many files: {} (docs/git.md)",
            tuned.join(", ")
        ));
    }
    Ok(done)
}
