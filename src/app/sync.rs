//! `desk sync`: the loop every clone runs, in one command. Commits desk's
//! own changes with a message saying what they are, pulls (the merge
//! driver settles tickets and customers), checks the store, pushes, and
//! pulls and pushes again when another clone pushed first. docs/git.md.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind};
use crate::store::{kind_of, Pulled, Pushed, Store};

/// What a sync did.
#[derive(Debug, Default)]
pub struct Synced {
    /// The message of the commit of this clone's changes, if there were any.
    pub committed: Option<String>,
    /// Commits that arrived with the pulls.
    pub arrived: usize,
    /// Whether this clone's commits went to the remote.
    pub pushed: bool,
    /// Pushes refused because another clone pushed first.
    pub raced: u32,
    /// Warnings of the check (problems stop the sync before the push).
    pub warnings: Vec<Finding>,
}

/// Syncs the store's clone; `push: false` stops after the check. A push
/// refused because the remote moved on is retried after a new pull, at
/// most `retries` times.
pub fn sync(
    store: &Store,
    ring: &Keyring,
    now: Timestamp,
    actor: &str,
    push: bool,
    retries: u32,
    message: Option<&str>,
) -> Result<Synced> {
    if let Some(m) = message {
        if m.trim().is_empty() || m.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(
                "--message",
                crate::text::visible(m).into_owned(),
                "a commit message: text, without control characters",
            ));
        }
    }
    if !store.in_git() {
        return Err(Error::Refused(
            "the store is not in a git work tree: `git init` (or clone the team's repository) \
             and `desk git-setup`; docs/git.md"
                .into(),
        ));
    }
    if store.merge_in_progress() {
        return Err(Error::Refused(
            "a merge waits to be finished (`git status` names the files): resolve it and \
             commit, then sync; docs/git.md"
                .into(),
        ));
    }
    if store.upstream().is_none() {
        return Err(Error::Refused(
            "this branch has no upstream to sync with: push it once with `git push -u origin \
             BRANCH`"
                .into(),
        ));
    }
    let mut synced = Synced::default();
    let changes = store.stage_own_changes()?;
    if !changes.is_empty() {
        let message = message.map_or_else(|| commit_message(actor, &changes), str::to_string);
        store.commit_own(&message)?;
        synced.committed = Some(message);
    }
    for attempt in 0..=retries {
        match store.pull()? {
            Pulled::Merged { commits } => synced.arrived += commits,
            Pulled::Conflict { files } => {
                return Err(Error::Refused(format!(
                    "the pull met a conflict the merge driver could not settle ({}); the clone \
                     is as it was before the pull, this clone's commit kept: run `git pull` and \
                     resolve it by hand (docs/git.md, \"When the driver reports a true \
                     conflict\")",
                    files.join(", ")
                )))
            }
        }
        // What arrived is checked as the pre-commit hook checks a commit,
        // with desk.yaml as it is now.
        let fresh = Store::open(store.root.clone())?;
        let checked = super::check::check_store(&fresh, ring, now, None::<fn() -> &'static str>)?;
        let (warnings, problems): (Vec<Finding>, Vec<Finding>) = checked
            .findings
            .into_iter()
            .partition(|f| f.kind == FindingKind::Warning);
        synced.warnings = warnings;
        if !problems.is_empty() {
            let listed: Vec<String> = problems.iter().take(5).map(ToString::to_string).collect();
            return Err(Error::Refused(format!(
                "desk check found {} problem(s) after the pull; nothing pushed:\n  {}{}",
                problems.len(),
                listed.join("\n  "),
                if problems.len() > 5 {
                    "\n  … (`desk check` lists them all)"
                } else {
                    ""
                }
            )));
        }
        if !push {
            return Ok(synced);
        }
        match store.push()? {
            Pushed::Done => {
                synced.pushed = true;
                return Ok(synced);
            }
            Pushed::Behind if attempt < retries => {
                synced.raced += 1;
                // Another clone is pushing now: let it finish, a little
                // longer each time, and not in step with it.
                let jitter = u64::from(std::process::id() % 97);
                std::thread::sleep(Duration::from_millis(100 * u64::from(attempt + 1) + jitter));
            }
            Pushed::Behind => break,
        }
    }
    Err(Error::Refused(format!(
        "the remote moved on at every one of {} pushes (other clones pushing); nothing lost: \
         this clone's commits wait for the next sync",
        retries + 1
    )))
}

/// `desk sync by li.na: customers: 1 new; tickets: 2 new, 3 changed`, from
/// what is staged (status, path).
pub fn commit_message(actor: &str, changes: &[(String, String)]) -> String {
    let mut counts: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (status, path) in changes {
        let how = match status.chars().next() {
            Some('A') => "new",
            Some('D') => "removed",
            _ => "changed",
        };
        *counts
            .entry(kind_of(path))
            .or_default()
            .entry(how)
            .or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(kind, hows)| {
            let hows: Vec<String> = ["new", "changed", "removed"]
                .iter()
                .filter_map(|h| hows.get(h).map(|n| format!("{n} {h}")))
                .collect();
            format!("{kind}s: {}", hows.join(", "))
        })
        .collect();
    format!("desk sync by {actor}: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_what_changed_by_kind() {
        let changes = [
            ("A", "tickets/2026/11/CW202611230001.yaml"),
            ("A", "tickets/2026/11/CW202611230002.yaml"),
            ("M", "tickets/2026/10/CW202610010001.yaml"),
            ("A", "customers/C000107.yaml"),
            ("M", "issued/node-01.yaml"),
        ]
        .map(|(s, p)| (s.to_string(), p.to_string()));
        assert_eq!(
            commit_message("li.na", &changes),
            "desk sync by li.na: ID marks: 1 changed; customers: 1 new; tickets: 2 new, 1 changed"
        );
    }
}
