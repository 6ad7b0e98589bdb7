//! What `desk sync` asks of git, one git command each: desk's own folders
//! staged and committed, a pull (the merge driver settles tickets and
//! customers), a push that may find the remote moved on.

use std::path::Path;

use super::git_command::{output, run};
use super::Store;
use crate::error::{Error, Result};

/// The folders desk writes and a sync commits. desk.yaml and templates
/// are people's to commit, and `.desk/` is the clone's own.
pub const OWN_FOLDERS: [&str; 7] = [
    "tickets",
    "customers",
    "issued",
    "nodes",
    "kb",
    "attachments",
    "audit",
];

/// How a pull ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Pulled {
    /// Up to date, or merged: how many commits arrived.
    Merged { commits: usize },
    /// A conflict the merge driver could not settle: the merge was
    /// aborted, the clone left as before the pull; the files named.
    Conflict { files: Vec<String> },
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    Done,
    /// The remote has commits this clone lacks (another clone pushed
    /// first): pull and push again.
    Behind,
}

impl Store {
    fn own_folders(&self) -> Vec<&'static str> {
        OWN_FOLDERS
            .iter()
            .copied()
            .filter(|f| self.root.join(f).is_dir())
            .collect()
    }

    /// The upstream branch (`origin/main`), if the branch has one.
    pub fn upstream(&self) -> Option<String> {
        output(
            &self.root,
            ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"],
        )
        .ok()
        .filter(|u| !u.is_empty())
    }

    /// Whether a merge waits for a person (a conflict left by hand).
    pub fn merge_in_progress(&self) -> bool {
        run(&self.root, ["rev-parse", "-q", "--verify", "MERGE_HEAD"])
            .is_ok_and(|r| r.code == Some(0))
    }

    /// Stages every change under desk's own folders and returns what is
    /// staged there: (`A`, `M`, `D`... as git says, path from the store).
    pub fn stage_own_changes(&self) -> Result<Vec<(String, String)>> {
        let folders = self.own_folders();
        if folders.is_empty() {
            return Ok(Vec::new());
        }
        let mut add = vec!["add", "-A", "--"];
        add.extend(&folders);
        output(&self.root, &add)?;
        let mut diff = vec![
            "diff",
            "--cached",
            "--name-status",
            "--no-renames",
            "--relative",
            "--",
        ];
        diff.extend(&folders);
        let listed = output(&self.root, &diff)?;
        Ok(listed
            .lines()
            .filter_map(|l| {
                let (status, path) = l.split_once('\t')?;
                Some((status.to_string(), path.to_string()))
            })
            .collect())
    }

    /// Commits what is staged under desk's own folders (nothing else that
    /// may be staged) with `message`; the pre-commit hook may refuse.
    pub fn commit_own(&self, message: &str) -> Result<()> {
        let mut args = vec!["commit", "-q", "-m", message, "--"];
        let folders = self.own_folders();
        args.extend(&folders);
        output(&self.root, &args)?;
        Ok(())
    }

    /// `git pull --no-rebase`: the merge driver settles what it can; a
    /// conflict left is aborted, so that an unattended run leaves the
    /// clone as it was.
    pub fn pull(&self) -> Result<Pulled> {
        let before = output(&self.root, ["rev-parse", "HEAD"]).ok();
        let pulled = run(&self.root, ["pull", "-q", "--no-rebase", "--no-edit"])?;
        if pulled.code == Some(0) {
            let commits = match before {
                Some(b) => output(&self.root, ["rev-list", "--count", &format!("{b}..HEAD")])
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                None => 0,
            };
            return Ok(Pulled::Merged { commits });
        }
        if self.merge_in_progress() {
            let files = output(&self.root, ["diff", "--name-only", "--diff-filter=U"])
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            output(&self.root, ["merge", "--abort"])?;
            return Ok(Pulled::Conflict { files });
        }
        Err(Error::from(pulled.success().expect_err("a failed pull")))
    }

    /// `git push` to the upstream.
    pub fn push(&self) -> Result<Pushed> {
        let pushed = run(&self.root, ["push", "-q"])?;
        if pushed.code == Some(0) {
            return Ok(Pushed::Done);
        }
        let said = String::from_utf8_lossy(&pushed.stderr).to_lowercase();
        if [
            "rejected",
            "non-fast-forward",
            "fetch first",
            "failed to update ref",
            "cannot lock ref",
        ]
        .iter()
        .any(|w| said.contains(w))
        {
            return Ok(Pushed::Behind);
        }
        Err(Error::from(pushed.success().expect_err("a failed push")))
    }

    /// Whether the store is in a git work tree.
    pub fn in_git(&self) -> bool {
        output(&self.root, ["rev-parse", "--show-toplevel"]).is_ok()
    }
}

/// Whether `path` (from the store) is a ticket file, a customer file...:
/// the kind a sync's commit message counts it as.
pub fn kind_of(path: &str) -> &'static str {
    match Path::new(path)
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
    {
        Some("tickets") => "ticket",
        Some("customers") => "customer",
        Some("kb") => "article",
        Some("attachments") => "attachment",
        Some("issued") | Some("nodes") => "ID mark",
        Some("audit") => "reveal log",
        _ => "file",
    }
}
