//! Temporary files left by writers that were killed between writing and
//! renaming (see `fsio`): ignored by git, reported by `desk check`, and
//! removed when stale, each under the lock its writer held.

use std::path::{Path, PathBuf};

use super::fsio::{temp_files, TempFile};
use super::{write_atomic, Finding, Store};
use crate::error::{Error, Result};

/// The lines desk keeps in the store's `.gitignore`, each with its comment.
pub const IGNORED: [(&str, &str); 2] = [
    (
        "/.desk/",
        "desk's local state: locks, cache, per-clone settings",
    ),
    (
        ".*.tmp",
        "temporary files of desk writes that were interrupted",
    ),
];

/// Adds the lines of [`IGNORED`] that `ROOT/.gitignore` lacks; true if the
/// file changed.
pub fn write_git_ignore(root: &Path) -> Result<bool> {
    let path = root.join(".gitignore");
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let missing = missing_ignores(&text);
    if missing.is_empty() {
        return Ok(false);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for (line, why) in missing {
        text.push_str(&format!("# {why}\n{line}\n"));
    }
    write_atomic(&path, text.as_bytes())?;
    Ok(true)
}

fn missing_ignores(text: &str) -> Vec<(&'static str, &'static str)> {
    IGNORED
        .into_iter()
        .filter(|(line, _)| !text.lines().any(|l| l.trim() == *line))
        .collect()
}

impl Store {
    /// The directories where desk writes files: the root, `customers/`,
    /// every folder under `tickets/`, and the cache.
    fn written_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.root.clone(), self.customers_dir()];
        let walk = walkdir::WalkDir::new(self.tickets_dir())
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || (e.file_type().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
            });
        dirs.extend(walk.flatten().map(|e| e.into_path()));
        dirs.push(self.state_dir().join("cache"));
        dirs
    }

    /// `desk check`: temporary files of writers that are gone. With `fix`
    /// they are removed instead (the count is returned), each under the
    /// lock its writer held.
    pub fn temp_findings(&self, fix: bool) -> Result<(Vec<Finding>, usize)> {
        let mut findings = Vec::new();
        let mut removed = 0;
        for dir in self.written_dirs() {
            let stale: Vec<TempFile> = temp_files(&dir)?
                .into_iter()
                .filter(TempFile::is_stale)
                .collect();
            if stale.is_empty() {
                continue;
            }
            if fix {
                let _customers = if dir == self.customers_dir() {
                    Some(self.lock(super::customers::LOCK)?)
                } else {
                    None
                };
                for t in &stale {
                    let _ticket = self.ticket_lock_of(t)?;
                    removed += remove_stale(std::slice::from_ref(t))?;
                }
                continue;
            }
            for t in stale {
                findings.push(Finding::new(
                    self.display_path(&t.path),
                    None,
                    format!(
                        "a temporary file left by a write that was interrupted (process {} is \
                         gone); {} itself is intact; `desk check --fix` removes it",
                        t.pid,
                        self.display_path(&t.target()).display()
                    ),
                ));
            }
        }
        Ok((findings, removed))
    }

    /// Removes the stale temporary files in `customers/`; the caller holds
    /// the customer lock.
    pub(super) fn remove_stale_customer_temps(&self) -> Result<usize> {
        let stale: Vec<TempFile> = temp_files(&self.customers_dir())?
            .into_iter()
            .filter(TempFile::is_stale)
            .collect();
        remove_stale(&stale)
    }

    /// The lock a ticket's writer holds (see `modify_ticket`), for a
    /// temporary file under `tickets/`.
    fn ticket_lock_of(&self, t: &TempFile) -> Result<Option<super::Lock>> {
        if !t.path.starts_with(self.tickets_dir()) {
            return Ok(None);
        }
        let target = t.target();
        let id = target
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(crate::model::TicketId::parse);
        id.map(|id| self.lock(&id.to_string())).transpose()
    }
}

fn remove_stale(stale: &[TempFile]) -> Result<usize> {
    let mut removed = 0;
    for t in stale {
        // Judged again under the lock: only a writer that is gone.
        if t.is_stale() {
            match std::fs::remove_file(&t.path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&t.path, e)),
            }
        }
    }
    Ok(removed)
}

impl Store {
    /// `desk check` in a git work tree: `.gitignore` lines desk needs.
    pub fn git_ignore_findings(&self) -> Vec<Finding> {
        let text = std::fs::read_to_string(self.root.join(".gitignore")).unwrap_or_default();
        missing_ignores(&text)
            .into_iter()
            .map(|(line, why)| {
                Finding::new(
                    Path::new(".gitignore"),
                    None,
                    format!("lacks '{line}' ({why}); run `desk git-setup` and commit .gitignore"),
                )
            })
            .collect()
    }
}
