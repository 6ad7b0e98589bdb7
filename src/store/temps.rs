//! Temporary files left by writers that were killed between writing and
//! renaming (see `fsio`): ignored by git, reported by `desk check`, and
//! removed when stale, each under the lock its writer held.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::fsio::{temp_files, TempFile};
use super::{write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::Finding;

/// The lines desk keeps in the store's `.gitignore`, each with its comment.
pub const IGNORED: [(&str, &str); 3] = [
    (
        "/.desk/",
        "desk's local state: locks, cache, per-clone settings",
    ),
    (
        ".*.tmp",
        "temporary files of desk writes that were interrupted",
    ),
    (
        HELD_IGNORE,
        "mail of unknown senders held for review: raw personal mail, kept on the clone that took it in",
    ),
];

/// The ignore line of held mail (`store::HELD_DIR`).
const HELD_IGNORE: &str = "/mail/held/";

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

/// How a sweep gets the lock of a temporary file's writer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Locking<'a> {
    /// Waits for each lock (`desk check --fix`, which holds none).
    Wait,
    /// Takes only locks that are free now and leaves the files of busy
    /// ones; `held` names a lock the caller holds already (a writer sweeping
    /// the folder it writes to), whose files it removes as they are.
    Free { held: Option<&'a str> },
}

/// The folders swept in this process: a command writing many tickets of a
/// month lists that month's folder once.
static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

impl Store {
    /// The directories where desk writes files: the root, `customers/`,
    /// `issued/`, every folder under `tickets/`, and the cache.
    fn written_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![
            self.root.clone(),
            self.customers_dir(),
            self.root.join(super::ISSUED_DIR),
        ];
        let tickets = self.tickets_dir();
        let visible = |e: &super::walk::Entry| !e.name.starts_with('.');
        // Best effort: a folder that cannot be listed is the ticket walk's
        // to report.
        let below = super::walk::tree(&tickets, &visible).unwrap_or_default();
        if tickets.is_dir() {
            dirs.push(tickets);
        }
        dirs.extend(
            below
                .into_iter()
                .filter(|e| e.file_type.is_dir() && visible(e))
                .map(|e| e.path),
        );
        dirs.push(self.state_dir().join("cache"));
        // The indexes kept per folder: only real folders (a link's target
        // is not the store's to sweep).
        dirs.extend(
            super::index::per_folder()
                .map(|index| self.state_dir().join("cache").join(index.dir()))
                .into_iter()
                .filter(|d| std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir())),
        );
        // Mail taken in: each ticket's attachments, and mail held for review.
        let attachments = self.root.join(super::ATTACHMENTS_DIR);
        if super::read::real_dirs(&self.root, Path::new(super::ATTACHMENTS_DIR)).is_ok() {
            let folders = super::walk::entries(&attachments).unwrap_or_default();
            dirs.extend(
                folders
                    .into_iter()
                    .filter(|e| e.file_type.is_dir() && visible(e))
                    .map(|e| e.path),
            );
        }
        dirs.push(self.root.join(super::HELD_DIR));
        // Records of reports mailed (`desk report --mail`).
        dirs.push(self.root.join(super::REPORTED_DIR));
        // The reveal log's folder, unless it is a link (reported by `check`).
        if super::read::real_dirs(&self.root, Path::new(super::AUDIT_DIR)).is_ok() {
            dirs.push(self.root.join(super::AUDIT_DIR));
        }
        dirs
    }

    /// `desk check`: temporary files of writers that are gone. With `fix`
    /// they are removed instead (the count is returned), each under the
    /// lock its writer held.
    pub fn temp_findings(&self, fix: bool) -> Result<(Vec<Finding>, usize)> {
        let mut findings = Vec::new();
        let mut removed = 0;
        for dir in self.written_dirs() {
            if fix {
                removed += self.remove_stale_in(&dir, Locking::Wait)?;
                continue;
            }
            for t in temp_files(&dir)?.into_iter().filter(TempFile::is_stale) {
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

    /// Removes the temporary files that writers now gone left in `dir`, each
    /// under the lock its writer held (see [`Store::writer_lock`]); returns
    /// how many.
    fn remove_stale_in(&self, dir: &Path, locking: Locking) -> Result<usize> {
        // No link is followed: a linked folder is `desk check`'s to report.
        let rel = dir.strip_prefix(&self.root).unwrap_or(dir);
        if super::read::real_dirs(&self.root, rel).is_err() {
            return Ok(0);
        }
        let mut removed = 0;
        for t in temp_files(dir)?.into_iter().filter(TempFile::is_stale) {
            let _lock = match (self.writer_lock(&t), locking) {
                (None, _) => None,
                (Some(name), Locking::Free { held }) if held == Some(name.as_str()) => None,
                (Some(name), Locking::Wait) => Some(self.lock(&name)?),
                (Some(name), Locking::Free { .. }) => match self.try_lock(&name)? {
                    Some(lock) => Some(lock),
                    // A live process writes that file now: left for later.
                    None => continue,
                },
            };
            removed += usize::from(remove_stale(&t)?);
        }
        Ok(removed)
    }

    /// Removes what killed refreshes of the index files `files` left in
    /// `.desk/cache/`: a refresh writes its new files for as long as it
    /// runs, and one killed while another completed the same index would
    /// leave them to no later writer. Other temporary files there are left
    /// to writers, `desk run` and `desk check`. Best effort.
    pub(super) fn sweep_index_temps(&self, files: &[&str]) {
        let dir = self.state_dir().join("cache");
        let Ok(temps) = temp_files(&dir) else {
            return;
        };
        for t in temps.into_iter().filter(TempFile::is_stale) {
            let target = t.target();
            if target
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| files.contains(&n))
            {
                let _ = remove_stale(&t);
            }
        }
    }

    /// Before a write into `dir`, under the lock `held`: removes what killed
    /// writers left there, once per folder and process. A ticket or
    /// customer writer calls it when its lock was abandoned (see
    /// [`super::Lock::abandoned`]), so such a write lists its folder only
    /// after a crash; the cache's writer, which holds no lock, at every write
    /// (its folder holds a few files). Best effort: a file that cannot be
    /// removed now is left to `desk check`, never fails the write.
    pub(super) fn sweep_before_write(&self, dir: &Path, held: Option<&str>) {
        if !SWEPT
            .lock()
            .map(|mut swept| swept.insert(dir.to_path_buf()))
            .unwrap_or(false)
        {
            return;
        }
        let _ = self.remove_stale_in(dir, Locking::Free { held });
    }

    /// `desk run`: removes what killed writers left anywhere in the store
    /// and in `.desk/sending/`, taking only free locks (busy files are a
    /// live writer's); returns how
    /// many were removed. Cron's `desk run` commits next, and the pre-commit
    /// hook's `desk check` would refuse the commit over any of them.
    /// Best effort, as [`Store::sweep_before_write`].
    pub fn sweep_stale_temps(&self) -> usize {
        let mut removed = 0;
        // And the tickets a killed run staged (`prepare_ticket`): no store
        // file, so `desk check` does not report them.
        for dir in self.written_dirs().into_iter().chain([self.sending_dir()]) {
            removed += self
                .remove_stale_in(&dir, Locking::Free { held: None })
                .unwrap_or(0);
            if let Ok(mut swept) = SWEPT.lock() {
                swept.insert(dir);
            }
        }
        removed
    }

    /// Removes the stale temporary files in `customers/`; the caller holds
    /// the customer lock.
    pub(super) fn remove_stale_customer_temps(&self) -> Result<usize> {
        self.remove_stale_in(
            &self.customers_dir(),
            Locking::Free {
                held: Some(super::customers::LOCK),
            },
        )
    }

    /// The lock that the writer of a temporary file held: the customer
    /// lock in `customers/` and `issued/`, the reveal log's in
    /// `audit/reveals/`, the report mail's in `mail/reported/`, the ticket's lock under `tickets/` (see
    /// `modify_ticket`); none elsewhere (desk.yaml, the cache).
    fn writer_lock(&self, t: &TempFile) -> Option<String> {
        let issued = self.root.join(super::ISSUED_DIR);
        if t.path.parent() == Some(self.customers_dir().as_path())
            || t.path.parent() == Some(issued.as_path())
        {
            return Some(super::customers::LOCK.to_string());
        }
        if t.path.parent() == Some(self.root.join(super::AUDIT_DIR).as_path()) {
            return Some(super::audit::LOCK.to_string());
        }
        if t.path.parent() == Some(self.root.join(super::REPORTED_DIR).as_path()) {
            return Some(super::REPORT_MAIL_LOCK.to_string());
        }
        if !t.path.starts_with(self.tickets_dir()) {
            return None;
        }
        let target = t.target();
        let id = target
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(crate::model::TicketId::parse)?;
        Some(id.to_string())
    }
}

/// Removes `t` if its writer is gone, judged again under the lock; true if
/// it was removed here.
fn remove_stale(t: &TempFile) -> Result<bool> {
    if !t.is_stale() {
        return Ok(false);
    }
    match std::fs::remove_file(&t.path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(&t.path, e)),
    }
}

impl Store {
    /// `desk check` in a git work tree: `.gitignore` lines desk needs.
    pub fn git_ignore_findings(&self) -> Vec<Finding> {
        let text = std::fs::read_to_string(self.root.join(".gitignore")).unwrap_or_default();
        missing_ignores(&text)
            .into_iter()
            .map(|(line, why)| {
                let mut finding = Finding::new(
                    Path::new(".gitignore"),
                    None,
                    format!("lacks '{line}' ({why}); run `desk git-setup` and commit .gitignore"),
                );
                // Added after stores existed: a warning, so their commits
                // are not blocked, until there is held mail to commit.
                if line == HELD_IGNORE && !self.root.join(super::HELD_DIR).exists() {
                    finding.kind = crate::model::FindingKind::Warning;
                }
                finding
            })
            .collect()
    }
}
