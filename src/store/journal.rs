//! All-or-nothing creation of many customer files (`desk customer import`),
//! even when the process is killed part-way.
//!
//! Under the customer lock, every new file is written and synced in the
//! staging directory `.desk/import/` (inside the store, so on the same file
//! system as `customers/`). Then the journal `.desk/import/journal`, naming
//! every file, is written atomically: from that moment the import is decided.
//! The staged files are hard-linked into `customers/` (a link never replaces
//! a file), the directory is synced once, and the journal and the staging
//! directory are removed.
//!
//! A process killed on the way leaves the staging directory behind. The next
//! desk command (and every customer write, which takes the lock) finishes
//! the job: with a journal it links what is still missing (roll forward);
//! without one it removes the directory (roll back: nothing had been
//! published). A staged file already linked into `customers/` is only a
//! second name of that file, so removing the directory never loses a customer.

use std::fs;
use std::path::{Path, PathBuf};

use super::fsio::{create_synced_files, sync_dir_itself};
use super::{create_atomic, render_customer, write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::{Customer, Finding};

const IMPORT_DIR: &str = "import";
const JOURNAL: &str = "journal";
const HEADER: &str = "desk customer import, version 1";
const END: &str = "end";

/// What finishing an interrupted import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The journal was complete: the import's files are all in `customers/`
    /// now, this many of them linked just now.
    Published { files: usize, linked: usize },
    /// No journal: the staged files (this many) were removed; none had been
    /// published.
    Discarded { files: usize },
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::Published { files, linked } => write!(
                f,
                "finished a customer import that was interrupted: all {files} customer(s) are \
                 in customers/ now ({linked} added just now)"
            ),
            Recovery::Discarded { files } => write!(
                f,
                "undid a customer import that was interrupted before it was complete: \
                 {files} staged customer file(s) removed, none had been published"
            ),
        }
    }
}

/// The staging directory as found.
enum Staged {
    None,
    /// Interrupted before the journal was written.
    Undecided {
        files: usize,
    },
    /// The journal names these files (in `customers/`).
    Decided {
        names: Vec<String>,
    },
}

impl Store {
    fn import_dir(&self) -> PathBuf {
        self.state_dir().join(IMPORT_DIR)
    }

    /// Creates the files of `new` customers (IDs given), all or none, for a
    /// caller that holds the customer lock. One customer is one atomic file.
    /// `issued` records their numbers once nothing but a failing disk can
    /// stop them any more (every file rendered within the size limit, a
    /// batch staged), before the first is published: so a refused write
    /// changes nothing, and a crash never publishes a number unrecorded.
    pub(super) fn publish_new_customers(
        &self,
        new: &[Customer],
        issued: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let sized = |c: &Customer| {
            let path = self.customer_path(&c.id);
            super::read::within_limit(self.display_path(&path), render_customer(c))
        };
        if let [one] = new {
            let text = sized(one)?;
            issued()?;
            return create_atomic(&self.customer_path(&one.id), text.as_bytes());
        }
        if new.is_empty() {
            return Ok(());
        }
        let files: Vec<(String, Vec<u8>)> = crate::parallel::map(new, |c| {
            Ok((format!("{}.yaml", c.id), sized(c)?.into_bytes()))
        })
        .into_iter()
        .collect::<Result<_>>()?;
        let customers = self.customers_dir();
        fs::create_dir_all(&customers).map_err(|e| Error::io(&customers, e))?;
        for (name, _) in &files {
            let target = customers.join(name);
            if target.symlink_metadata().is_ok() {
                return Err(Error::Refused(format!(
                    "{} already exists; nothing was imported",
                    self.display_path(&target).display()
                )));
            }
        }
        // An import lists the directory anyway; clear what killed writers left.
        let _ = self.remove_stale_customer_temps();
        let dir = self.import_dir();
        fs::create_dir_all(self.state_dir()).map_err(|e| Error::io(self.state_dir(), e))?;
        // The lock holder finished any earlier import, so this is ours alone.
        fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        sync_dir_itself(&self.state_dir());
        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        let progress = |done, total| self.notices.progress("writing customers", done, total);
        let staged = create_synced_files(&dir, &files, &progress)
            .and_then(|()| issued())
            .and_then(|()| write_atomic(&dir.join(JOURNAL), journal_text(&names).as_bytes()));
        if let Err(e) = staged {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        // Decided. A failure from here on is finished by the next command.
        self.publish_staged(&names).map(|_| ())
    }

    /// Links every file the journal names into `customers/` (those not there
    /// yet), syncs the directory, and removes the staging directory. Refuses,
    /// changing nothing, if a name in `customers/` holds another file.
    fn publish_staged(&self, names: &[String]) -> Result<usize> {
        let dir = self.import_dir();
        let missing = self.unpublished(names)?;
        for (staged, target) in &missing {
            fs::hard_link(staged, target).map_err(|e| Error::io(target, e))?;
        }
        sync_dir_itself(&self.customers_dir());
        let journal = dir.join(JOURNAL);
        fs::remove_file(&journal).map_err(|e| Error::io(&journal, e))?;
        fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(missing.len())
    }

    /// The staged files still to link (staged path, target path); an error
    /// if a name in `customers/` holds a file other than the staged one.
    fn unpublished(&self, names: &[String]) -> Result<Vec<(PathBuf, PathBuf)>> {
        let dir = self.import_dir();
        let customers = self.customers_dir();
        let exists = |p: &Path| match p.symlink_metadata() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(p, e)),
        };
        let mut missing = Vec::new();
        let mut clashes = Vec::new();
        for name in names {
            let staged = dir.join(name);
            let target = customers.join(name);
            match (exists(&staged)?, exists(&target)?) {
                (true, false) => missing.push((staged, target)),
                // Published before the interruption: the same bytes.
                (true, true) if same_bytes(&staged, &target) => {}
                // Published, and the staged name removed by hand since.
                (false, true) => {}
                _ => clashes.push(name.as_str()),
            }
        }
        if clashes.is_empty() {
            return Ok(missing);
        }
        Err(Error::Refused(format!(
            "an interrupted customer import cannot be finished: {} of its {} file(s) clash \
             with customers/ ({}): a file there differs from the one staged, or the staged \
             one is gone; compare them with {}/, then remove that directory",
            clashes.len(),
            names.len(),
            clashes.join(", "),
            self.display_path(&dir).display()
        )))
    }

    fn staged(&self) -> Result<Staged> {
        let dir = self.import_dir();
        match dir.symlink_metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Staged::None),
            Err(e) => return Err(Error::io(&dir, e)),
            Ok(m) if !m.is_dir() => {
                return Err(Error::Refused(format!(
                    "{} is not a directory; desk keeps an import's staged files there, so \
                     remove it",
                    self.display_path(&dir).display()
                )))
            }
            Ok(_) => {}
        }
        let journal = dir.join(JOURNAL);
        match fs::read_to_string(&journal) {
            Ok(text) => parse_journal(&text, self.display_path(&journal))
                .map(|names| Staged::Decided { names }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let files = super::walk::entries(&dir)?.len();
                Ok(Staged::Undecided { files })
            }
            Err(e) => Err(Error::io(&journal, e)),
        }
    }

    /// Finishes (journal complete) or undoes (no journal) an import that
    /// was interrupted, for a caller that holds the customer lock.
    pub(super) fn recover_import_locked(&self) -> Result<Option<Recovery>> {
        let staged = self.staged()?;
        if !matches!(staged, Staged::None) {
            // A killed import may have had killed company.
            let _ = self.remove_stale_customer_temps();
        }
        match staged {
            Staged::None => Ok(None),
            Staged::Undecided { files } => {
                let dir = self.import_dir();
                fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                Ok(Some(Recovery::Discarded { files }))
            }
            Staged::Decided { names } => {
                let linked = self.publish_staged(&names)?;
                Ok(Some(Recovery::Published {
                    files: names.len(),
                    linked,
                }))
            }
        }
    }

    /// What every command does first: finish an interrupted import, unless
    /// another process holds the customer lock (a running import, or one
    /// that will finish it). Costs one `stat` when there is nothing to do.
    pub fn finish_interrupted_import(&self) -> Result<Option<Recovery>> {
        if self.import_dir().symlink_metadata().is_err() {
            return Ok(None);
        }
        let Some(_lock) = self.try_lock(super::customers::LOCK)? else {
            return Ok(None);
        };
        self.recover_import_locked()
    }

    /// `desk check`: an interrupted import, as found (nothing is changed).
    /// An import in progress holds the lock and is not reported.
    pub fn import_findings(&self) -> Result<Vec<Finding>> {
        let dir = self.import_dir();
        if dir.symlink_metadata().is_err() {
            return Ok(Vec::new());
        }
        let Some(_lock) = self.try_lock(super::customers::LOCK)? else {
            return Ok(Vec::new());
        };
        let shown = self.display_path(&dir).to_path_buf();
        let finding = match self.staged() {
            Ok(Staged::None) => return Ok(Vec::new()),
            Ok(Staged::Undecided { files }) => Finding::new(
                &shown,
                None,
                format!(
                    "a customer import was interrupted before it was complete ({files} staged \
                     file(s), none published); the next desk command, or `desk check --fix`, \
                     removes them"
                ),
            ),
            Ok(Staged::Decided { names }) => match self.unpublished(&names) {
                Ok(missing) => Finding::new(
                    &shown.join(JOURNAL),
                    None,
                    format!(
                        "a customer import was interrupted while publishing: {} of its {} \
                         customer(s) are in customers/; the next desk command, or `desk check \
                         --fix`, adds the rest",
                        names.len() - missing.len(),
                        names.len()
                    ),
                ),
                Err(e) => Finding::new(&shown.join(JOURNAL), None, e.to_string()),
            },
            Err(e) => Finding::new(&shown, None, e.to_string()),
        };
        Ok(vec![finding])
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

fn journal_text(names: &[String]) -> String {
    let mut text = format!("{HEADER}\n");
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    text
}

/// The file names a journal lists; a journal is written whole or not at
/// all, so anything else is damage (or a hand edit) and is refused.
fn parse_journal(text: &str, shown: &Path) -> Result<Vec<String>> {
    let damaged = |line: usize, what: &str| Error::Parse {
        path: shown.to_path_buf(),
        line: Some(line),
        message: format!(
            "{what}; this import journal is damaged, so desk will not finish the import: \
             remove its directory to discard the import"
        ),
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.first() != Some(&HEADER) {
        return Err(damaged(1, &format!("expected '{HEADER}'")));
    }
    if lines.len() < 2 || lines.last() != Some(&END) {
        return Err(damaged(
            lines.len().max(1),
            &format!("expected '{END}' last"),
        ));
    }
    let names = &lines[1..lines.len() - 1];
    for (i, name) in names.iter().enumerate() {
        let plain = name.ends_with(".yaml")
            && !name.starts_with('.')
            && !name.contains(['/', '\\'])
            && !name.contains(char::is_control);
        if !plain {
            return Err(damaged(
                i + 2,
                &format!("'{name}' is not a customer file name"),
            ));
        }
    }
    Ok(names.iter().map(|n| n.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_read_back_and_damage_is_refused() {
        let names = vec!["C000001.yaml".to_string(), "C000002.yaml".to_string()];
        let text = journal_text(&names);
        assert_eq!(parse_journal(&text, Path::new("j")).unwrap(), names);
        let cut = &text[..text.len() - 4];
        for bad in [
            cut,
            "",
            "end\n",
            "desk customer import, version 1\n../desk.yaml\nend\n",
            "desk customer import, version 1\nsub/C1.yaml\nend\n",
        ] {
            assert!(parse_journal(bad, Path::new("j")).is_err(), "{bad:?}");
        }
    }
}
