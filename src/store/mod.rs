//! The store on disk: finding its root, reading and writing ticket files
//! atomically under locks, scanning every ticket, and customer files.

mod audit;
mod checksum;
mod customer_index;
mod customers;
mod fsio;
mod git;
mod git_command;
mod git_sync;
#[cfg(test)]
mod golden;
mod index;
mod issued;
mod journal;
mod kb;
mod lock;
mod mail;
mod maildir;
mod node;
mod notices;
mod read;
mod readings;
mod secrets;
mod sla;
mod source;
mod sparse;
mod templates;
mod temps;
mod tickets;
mod walk;

pub use audit::{AUDIT_ATTRIBUTE, AUDIT_DIR};
pub use customer_index::{ContactSummary, CustomerSummaries, CustomerSummary};
pub use customers::{
    parse_customer, render_customer, CustomerScan, KEY_FILE_VAR, LOOKUP_KEY_FILE_VAR,
};
pub use fsio::{create_atomic, read_to_string, write_atomic, write_atomic_with, write_output};
pub use git::{git, git_user_name, GitState, Installed, ATTRIBUTES, HOOKS_KEY};
pub use git_command::GitError;
pub use git_sync::{kind_of, Pulled, Pushed, OWN_FOLDERS};
pub use index::{
    summary_of_meta, AgentLoad, CacheStats, Fact, Rebuilt, SearchSegments, SummaryScan, Workload,
};
pub use issued::ISSUED_DIR;
pub use journal::Recovery;
pub use kb::{parse_article, KB_DIR};
pub use lock::{Lock, DEFAULT_TIMEOUT as LOCK_TIMEOUT, TIMEOUT_VAR as LOCK_TIMEOUT_VAR};
pub use mail::{ATTACHMENTS_DIR, HELD_DIR, REPORTED_DIR, REPORT_MAIL_LOCK};
pub use maildir::{maildir_done, maildir_failed, maildir_messages, FAILED_FOLDER};
pub use node::{NodeClaim, NODES_DIR};
pub use notices::{Notices, PROGRESS_FROM};
pub use read::{read_file, MAX_FILE_BYTES};
pub use readings::{text_key, Readings, TextKey};
pub use secrets::{key_file_exposed, key_file_warnings, remove_private, write_private};
pub use sla::CALENDARS_DIR;
pub use source::{Revision, Source};
pub use templates::TEMPLATES_DIR;
pub use temps::write_git_ignore;
pub use tickets::{parse_ticket, render_ticket};
pub use walk::{holds_anything, FileKey};

use std::path::{Path, PathBuf};

use crate::config::{Config, Settings};
use crate::error::{Error, Result};

pub const CONFIG_FILE: &str = "desk.yaml";
/// Local, git-ignored state: locks, cache, per-clone settings.
pub const STATE_DIR: &str = ".desk";

/// Fails if `.desk/` (or its `locks/`, `cache/` or `sending/`) or
/// `templates/` of the store at `root` is a link or a file: desk keeps its
/// locks, cache and per-clone settings in the one and reads what rules send
/// from the other, and follows no link in the store (`tickets/`,
/// `customers/`, `calendars/` and the cache's own folders are checked where
/// they are used, so that a stray file there stops only what uses it). A link could arrive
/// through git: `/.desk/` in .gitignore ignores only a directory, and a
/// pull replaces ignored files and folders inside it with a commit's.
fn own_dirs_real(root: &Path) -> Result<()> {
    for dir in [".desk/locks", ".desk/cache", ".desk/sending", TEMPLATES_DIR] {
        read::real_dirs(root, Path::new(dir))?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
    /// desk.yaml as written (validated).
    pub config: Config,
    /// What validating desk.yaml built: time zone, calendar, SLA policy, ...
    pub settings: Settings,
    /// The calendar with the holiday files of `calendars/`, read on first use.
    full_calendar: std::sync::OnceLock<crate::sla::Calendar>,
    /// Where the store says what a person should know while it works.
    notices: Notices,
    /// Where its files are read from: the work tree, or a commit (read only).
    source: Source,
    /// The root folder, opened on first use, that files are opened beneath
    /// in one checked call where the system can (`read::open_beneath`).
    root_dir: std::sync::OnceLock<Option<std::sync::Arc<std::fs::File>>>,
}

impl Store {
    /// Opens the store at `dir` (from `--dir` or `DESK_DIR`), or else the
    /// nearest directory with a `desk.yaml` from the working directory up.
    pub fn find(dir: Option<&Path>) -> Result<Store> {
        Store::open(Store::find_root(dir)?)
    }

    /// The root [`Store::find`] opens.
    pub fn find_root(dir: Option<&Path>) -> Result<PathBuf> {
        Ok(match dir {
            Some(dir) => {
                if !dir.join(CONFIG_FILE).is_file() {
                    return Err(Error::NoStore { start: dir.into() });
                }
                dir.to_path_buf()
            }
            None => {
                let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
                cwd.ancestors()
                    .find(|d| d.join(CONFIG_FILE).is_file())
                    .ok_or(Error::NoStore { start: cwd.clone() })?
                    .to_path_buf()
            }
        })
    }

    pub fn open(root: PathBuf) -> Result<Store> {
        own_dirs_real(&root)?;
        let path = root.join(CONFIG_FILE);
        let text = read_file(&path, Path::new(CONFIG_FILE))?;
        Store::open_with(root, &text, Source::WorkTree)
    }

    /// The store at `root` as its files were in `revision`, with that
    /// commit's desk.yaml; it reads, and refuses every write (see
    /// [`Source::Revision`]).
    pub fn open_at(root: PathBuf, revision: &str) -> Result<Store> {
        let revision = Revision::open(&root, revision)?;
        let text = revision.config_text()?;
        Store::open_with(root, &text, Source::Revision(std::sync::Arc::new(revision)))
    }

    fn open_with(root: PathBuf, config_text: &str, source: Source) -> Result<Store> {
        let (config, settings) = Config::load(config_text, &root.join(CONFIG_FILE))?;
        Ok(Store {
            root,
            config,
            settings,
            full_calendar: Default::default(),
            notices: Notices::none(),
            source,
            root_dir: Default::default(),
        })
    }

    /// Creates a new store in `dir` with the given configuration.
    pub fn init(dir: &Path, config: &Config) -> Result<Store> {
        let path = dir.join(CONFIG_FILE);
        if path.exists() {
            return Err(Error::Refused(format!(
                "{} already exists; this directory is already a desk store",
                path.display()
            )));
        }
        own_dirs_real(dir)?;
        for sub in ["tickets", "customers"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
            // Keeps the empty directory in git.
            let keep = d.join(".gitkeep");
            if !keep.exists() {
                write_atomic(&keep, b"")?;
            }
        }
        write_git_ignore(dir)?;
        let text = crate::config::render(config);
        create_atomic(&path, text.as_bytes())?;
        let store = Store::open(dir.to_path_buf())?;
        // The default rules' notifications need their templates.
        if config.rules.is_some() {
            store.write_templates(&crate::config::DEFAULT_TEMPLATES)?;
        }
        Ok(store)
    }

    /// The store, saying what a person should know while it works (a lock
    /// it waits for) to `notices`; a store opened without says nothing.
    pub fn with_notices(mut self, notices: Notices) -> Store {
        self.notices = notices;
        self
    }

    /// Where the store's messages and progress go: for the use cases that
    /// work over many files (`desk check`, imports).
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    pub fn tickets_dir(&self) -> PathBuf {
        self.root.join("tickets")
    }

    /// Holds `.desk/locks/NAME.lock` until the guard is dropped.
    pub fn lock(&self, name: &str) -> Result<Lock> {
        self.writable()?;
        Lock::acquire(&self.lock_path(name), &self.notices)
    }

    /// The same lock if it is free now, else `None`.
    pub fn try_lock(&self, name: &str) -> Result<Option<Lock>> {
        self.writable()?;
        Lock::try_acquire(&self.lock_path(name))
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.state_dir().join("locks").join(format!("{name}.lock"))
    }

    /// A path shown to people: relative to the store root.
    pub fn display_path<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}
