//! A clone that holds only some months (`git sparse-checkout` over
//! `tickets/YYYY/MM`), as an agent's laptop may: which months of the
//! commit are not in the work tree, so that a report does not count a
//! part as the whole, and a new ticket is not numbered without its day's
//! other tickets (docs/git.md, "Sparse clones").

use super::Store;
use crate::error::{Error, Result};

impl Store {
    /// The months of `tickets/` (`YYYY/MM`) that the clone's commit holds
    /// and its work tree does not, when the checkout is sparse; none
    /// outside git, at a commit, or in a full checkout (where no git
    /// process is run).
    pub fn months_not_here(&self) -> Vec<String> {
        if self.commit().is_some() || !self.may_be_sparse() {
            return Vec::new();
        }
        let sparse = super::git::git(&self.root, &["config", "--bool", "core.sparseCheckout"]);
        if sparse.as_deref() != Some("true") {
            return Vec::new();
        }
        let Some(listed) = super::git::git(
            &self.root,
            &["ls-tree", "-r", "-d", "--name-only", "HEAD", "tickets"],
        ) else {
            return Vec::new();
        };
        listed
            .lines()
            .filter_map(|l| l.strip_prefix("tickets/"))
            .filter(|m| {
                let mut parts = m.split('/');
                let year = parts.next().unwrap_or_default();
                let month = parts.next().unwrap_or_default();
                parts.next().is_none()
                    && year.len() == 4
                    && month.len() == 2
                    && year
                        .chars()
                        .chain(month.chars())
                        .all(|c| c.is_ascii_digit())
            })
            .filter(|m| {
                !std::fs::symlink_metadata(self.tickets_dir().join(m)).is_ok_and(|d| d.is_dir())
            })
            .map(str::to_string)
            .collect()
    }

    /// Whether the clone has a sparse-checkout file, found without running
    /// git (a reading command runs no git process): `.git/info/
    /// sparse-checkout` of the repository the store is in, or of the
    /// worktree its `.git` file names. Only then is git asked.
    fn may_be_sparse(&self) -> bool {
        for dir in self.root.ancestors() {
            let dot_git = dir.join(".git");
            let Ok(meta) = std::fs::symlink_metadata(&dot_git) else {
                continue;
            };
            let git_dir = if meta.is_dir() {
                dot_git
            } else if meta.is_file() {
                let Ok(text) = std::fs::read_to_string(&dot_git) else {
                    return false;
                };
                match text.trim().strip_prefix("gitdir:") {
                    Some(path) => dir.join(path.trim()),
                    None => return false,
                }
            } else {
                return false;
            };
            return git_dir.join("info").join("sparse-checkout").is_file();
        }
        false
    }

    /// Refuses to number a ticket in month `month` (`YYYY/MM`) when the
    /// clone leaves that month out: the day's other tickets are not here
    /// to count.
    pub(super) fn month_here_for_new(&self, month: &str) -> Result<()> {
        if self.tickets_dir().join(month).is_dir() {
            return Ok(());
        }
        if self.months_not_here().iter().any(|m| m == month) {
            return Err(Error::Refused(format!(
                "tickets/{month} is left out of this sparse clone, so its tickets cannot be \
                 counted to number a new one; add it (`git sparse-checkout add tickets/{month}`) \
                 or record the ticket on a full clone"
            )));
        }
        Ok(())
    }

    /// Refuses a report whose figures need months this clone leaves out:
    /// any month up to `last` (`YYYY/MM`, the period's last month), since
    /// tickets created then may still be open, or answered, in the period.
    pub fn refuse_partial(&self, last: &str) -> Result<()> {
        let missing: Vec<String> = self
            .months_not_here()
            .into_iter()
            .filter(|m| m.as_str() <= last)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = missing.iter().map(|m| m.replace('/', "-")).collect();
        Err(Error::Refused(format!(
            "this sparse clone lacks the tickets of {} month(s) the report needs ({}), so its \
             figures would count a part as the whole; run it on a full clone, or add them \
             (`git sparse-checkout add tickets/{}`)",
            missing.len(),
            shown.join(", "),
            missing[0]
        )))
    }
}
