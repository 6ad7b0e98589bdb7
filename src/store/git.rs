//! The store in a git repository: the merge driver's set-up (`.gitattributes`,
//! committed; the driver in the clone's `.git/config`, which git does not
//! share), the hooks this machine allows, and the pre-commit and cron files
//! desk installs (see docs/git.md; the node number is in `node.rs`).

use std::path::{Path, PathBuf};

use super::{write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind};

/// The lines `desk git-setup` puts in the store's `.gitattributes`.
pub const ATTRIBUTES: [&str; 2] = [
    "tickets/**/*.yaml merge=desk",
    "customers/*.yaml merge=desk",
];

/// The pre-commit hook `desk git-setup --hooks` installs (examples/git/).
pub const PRE_COMMIT_HOOK: &str = include_str!("../../examples/git/pre-commit");
/// Where the cron scripts go, in the clone's git directory (`.git/desk/cron/`).
pub const CRON_DIR: &str = "desk/cron";
/// The cron scripts `desk git-setup --cron` writes into `.git/desk/cron/` (examples/cron/).
pub const CRON_FILES: [(&str, &str); 5] = [
    (
        "monthly-report.sh",
        include_str!("../../examples/cron/monthly-report.sh"),
    ),
    (
        "sla-breaches.sh",
        include_str!("../../examples/cron/sla-breaches.sh"),
    ),
    ("deliver.sh", include_str!("../../examples/cron/deliver.sh")),
    (
        "dormant-customers.sh",
        include_str!("../../examples/cron/dormant-customers.sh"),
    ),
    ("crontab", include_str!("../../examples/cron/crontab")),
];

/// What happened to a file desk offered to install.
#[derive(Debug, Clone, PartialEq)]
pub enum Installed {
    Written(std::path::PathBuf),
    AlreadyThere(std::path::PathBuf),
    /// A different file is there; left as it was.
    KeptDifferent(std::path::PathBuf),
}

/// The git config key whose values are the hook command lines this machine
/// allows `desk run` to run (docs/automation.md, "Trust model").
pub const HOOKS_KEY: &str = "desk.hooks";

/// git's output in `dir`, trimmed; `None` when git is missing or fails
/// (not a repository), for the questions a store outside git answers
/// with nothing (`git_command::output` gives the error).
pub fn git(dir: &Path, args: &[&str]) -> Option<String> {
    super::git_command::output(dir, args).ok()
}

/// git's user.name in `dir` (its clone's, else the user's), for the actor
/// of a command that names none; `None` outside git or when unset.
pub fn git_user_name(dir: &Path) -> Option<String> {
    git(dir, &["config", "user.name"]).filter(|n| !n.is_empty())
}

/// How the store stands with git.
#[derive(Debug, Clone, PartialEq)]
pub struct GitState {
    /// The work tree's top directory, when the store is inside one.
    pub toplevel: Option<String>,
    pub attributes: bool,
    pub driver: Option<String>,
    pub has_remote: bool,
    pub node: Option<u32>,
}

impl Store {
    /// Whether `.gitattributes` has the lines of [`ATTRIBUTES`]: the store
    /// is shared through git.
    pub(super) fn has_git_attributes(&self) -> bool {
        super::read_to_string(&self.root.join(".gitattributes"))
            .map(|text| {
                ATTRIBUTES
                    .iter()
                    .all(|a| text.lines().any(|l| l.trim() == *a))
            })
            .unwrap_or(false)
    }

    pub fn git_state(&self) -> Result<GitState> {
        let toplevel = git(&self.root, &["rev-parse", "--show-toplevel"]);
        let attributes = self.has_git_attributes();
        let driver = toplevel
            .as_ref()
            .and_then(|_| git(&self.root, &["config", "--get", "merge.desk.driver"]));
        let has_remote = toplevel
            .as_ref()
            .and_then(|_| git(&self.root, &["remote"]))
            .is_some_and(|r| !r.is_empty());
        Ok(GitState {
            toplevel,
            attributes,
            driver,
            has_remote,
            node: self.node()?,
        })
    }

    /// Adds the attribute lines that are missing; true if the file changed.
    pub fn write_git_attributes(&self) -> Result<bool> {
        let path = self.root.join(".gitattributes");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        let has = |text: &str, a: &str| text.lines().any(|l| l.trim() == a);
        let missing: Vec<&str> = ATTRIBUTES
            .iter()
            .copied()
            .filter(|a| !has(&text, a))
            .collect();
        let audit = !has(&text, super::AUDIT_ATTRIBUTE);
        if missing.is_empty() && !audit {
            return Ok(false);
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !missing.is_empty() {
            text.push_str(
                "# Merge tickets and customers as data, not text (desk git-setup, docs/git.md).\n",
            );
            for line in missing {
                text.push_str(line);
                text.push('\n');
            }
        }
        if audit {
            text.push_str(
                "# The reveal log: keep every clone's lines (docs/format.md, \"The reveal log\").\n",
            );
            text.push_str(super::AUDIT_ATTRIBUTE);
            text.push('\n');
        }
        write_atomic(&path, text.as_bytes())?;
        Ok(true)
    }

    /// Registers `desk merge-file` as the clone's `desk` merge driver.
    pub fn register_merge_driver(&self, desk: &Path) -> Result<()> {
        let quoted = format!("'{}'", desk.display().to_string().replace('\'', r"'\''"));
        let driver = format!("{quoted} merge-file %O %A %B %P");
        for (key, value) in [
            (
                "merge.desk.name",
                "desk: merge ticket and customer files as data",
            ),
            ("merge.desk.driver", driver.as_str()),
        ] {
            super::git_command::output(&self.root, ["config", key, value])?;
        }
        Ok(())
    }

    /// The hook command lines this machine allows: every `desk.hooks` value
    /// of git config (the clone's `.git/config`, the user's or the
    /// system's), never a file that git carries. None without git.
    pub fn allowed_hooks(&self) -> Vec<String> {
        git(&self.root, &["config", "-z", "--get-all", HOOKS_KEY])
            .map(|out| {
                out.split('\0')
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The clone's git `user.email` (its own config, else the user's).
    pub fn git_user_email(&self) -> Option<String> {
        git(&self.root, &["config", "user.email"]).filter(|e| !e.is_empty())
    }

    /// Makes `git pull` merge diverged branches by itself: git 2.27 and later
    /// stop with "Need to specify how to reconcile divergent branches" when
    /// `pull.rebase` is unset. Sets `pull.rebase=false` in the clone's config
    /// unless a choice is already made (the driver serves merge and rebase
    /// alike). Returns the value now in effect and whether it was set here.
    pub fn configure_pull(&self) -> Result<(String, bool)> {
        if let Some(v) = git(&self.root, &["config", "--get", "pull.rebase"]) {
            return Ok((v, false));
        }
        super::git_command::output(&self.root, ["config", "--local", "pull.rebase", "false"])?;
        Ok(("false".into(), true))
    }

    /// Tunes the clone for a store of many files, each setting only where
    /// the clone's or the user's config makes no choice: index version 4
    /// (paths prefix-compressed: a smaller index to read and write on every
    /// status and commit), the untracked cache (`git status` skips folders
    /// unchanged since), and a commit graph written on fetch (faster
    /// history walks for merges and `--as-of`). Not `feature.manyFiles`,
    /// whose `index.skipHash` older git and other git tools cannot read.
    /// Returns the settings made here.
    pub fn tune_for_many_files(&self) -> Result<Vec<String>> {
        let mut set = Vec::new();
        for (key, value) in [
            ("index.version", "4"),
            ("core.untrackedCache", "true"),
            ("fetch.writeCommitGraph", "true"),
        ] {
            if git(&self.root, &["config", "--get", key]).is_none() {
                super::git_command::output(&self.root, ["config", "--local", key, value])?;
                set.push(format!("{key}={value}"));
            }
        }
        Ok(set)
    }

    /// Installs desk's pre-commit hook in the clone's hooks directory, also
    /// as the pre-merge-commit hook (git runs no pre-commit hook for the
    /// merge commit of a `git pull`, where two clones' records meet); a
    /// different hook already there is kept.
    pub fn install_pre_commit_hook(&self) -> Result<Vec<Installed>> {
        let hooks = git(&self.root, &["rev-parse", "--git-path", "hooks"]).ok_or_else(|| {
            Error::Refused(format!("{} is not in a git work tree", self.root.display()))
        })?;
        let dir = self.root.join(hooks);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        ["pre-commit", "pre-merge-commit"]
            .iter()
            .map(|name| install_file(&dir.join(name), PRE_COMMIT_HOOK, true))
            .collect()
    }

    /// Where `desk git-setup --cron` writes the cron scripts: `desk/cron/`
    /// in the clone's git directory (`.git/desk/cron/`), where no commit,
    /// pull or checkout writes. Never in the work tree: git replaces ignored
    /// files (all of `.desk/`) with a commit's, so a script there would be
    /// whatever the last pulled commit made it, run by cron.
    pub fn cron_dir(&self) -> Result<PathBuf> {
        let dir = git(&self.root, &["rev-parse", "--git-path", CRON_DIR]).ok_or_else(|| {
            Error::Refused(format!(
                "{} is not in a git work tree; the cron scripts pull and push with git",
                self.root.display()
            ))
        })?;
        Ok(self.root.join(dir))
    }

    /// `desk check` in a git work tree: files of `.desk/` that git tracks
    /// (problems: this clone's state, which a commit must never carry, since
    /// git replaces ignored files with a commit's: a lock that is a link
    /// would have desk write where it points), and cron scripts still in
    /// `.desk/cron/`, where older versions wrote them and a pulled commit
    /// can replace them (warnings).
    pub fn state_findings(&self) -> Vec<Finding> {
        let mut found = Vec::new();
        let tracked = git(&self.root, &["ls-files", "-z", "--", super::STATE_DIR]);
        for path in tracked.iter().flat_map(|out| out.split('\0')) {
            if path.is_empty() {
                continue;
            }
            found.push(Finding::new(
                Path::new(path),
                None,
                format!(
                    "git tracks this file of {dir}/, this clone's own state (locks, cache, node \
                     number), which a commit must never carry: a pull replaces the clone's \
                     own files with the commit's; remove it from git with `git rm -r --cached \
                     {dir}` and commit",
                    dir = super::STATE_DIR
                ),
            ));
        }
        let old = self.state_dir().join("cron");
        let scripts = CRON_FILES
            .iter()
            .filter(|(name, _)| name.ends_with(".sh"))
            .any(|(name, _)| old.join(name).symlink_metadata().is_ok());
        if scripts {
            let mut finding = Finding::new(
                Path::new(".desk/cron"),
                None,
                format!(
                    "holds cron scripts, which a pulled commit can replace (git replaces ignored \
                     files with a commit's); run `desk git-setup --cron`, which writes them into \
                     {}, point the crontab there, and remove .desk/cron",
                    self.display_path(&self.cron_dir().unwrap_or_default())
                        .display()
                ),
            );
            finding.kind = FindingKind::Warning;
            found.push(finding);
        }
        found
    }

    /// Writes the cron scripts and crontab example into [`Store::cron_dir`].
    pub fn install_cron_files(&self) -> Result<Vec<Installed>> {
        let dir = self.cron_dir()?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // The crontab names this clone's own paths where the example says
        // /srv/helpdesk (kept when a path would need quoting in a crontab).
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let plain = |p: &Path| {
            p.to_str()
                .filter(|p| {
                    p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/._-+@".contains(&b))
                })
                .map(str::to_string)
        };
        let here = plain(&real(&self.root)).zip(plain(&real(&dir)));
        CRON_FILES
            .iter()
            .map(|(name, text)| {
                let text = match &here {
                    Some((here, scripts)) if *name == "crontab" => text
                        .replace(&format!("/srv/helpdesk/.git/{CRON_DIR}"), scripts)
                        .replace("/srv/helpdesk", here),
                    _ => text.to_string(),
                };
                install_file(&dir.join(name), &text, name.ends_with(".sh"))
            })
            .collect()
    }

    /// The names of the files (`C000107.yaml`) that commits of this
    /// repository, on any branch, removed from the store's folder `dir`;
    /// none outside git.
    pub(super) fn removed_from_history(&self, dir: &str) -> Vec<String> {
        let Some(out) = git(
            &self.root,
            &[
                "log",
                "--all",
                "--format=",
                "--name-only",
                "--diff-filter=D",
                "--relative",
                "--",
                dir,
            ],
        ) else {
            return Vec::new();
        };
        let prefix = format!("{dir}/");
        out.lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(String::from)
            .collect()
    }
}

/// Writes `text` to `path` unless a file is there: the same text is left,
/// a different one kept and reported.
fn install_file(path: &Path, text: &str, executable: bool) -> Result<Installed> {
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == text => return Ok(Installed::AlreadyThere(path.into())),
        Ok(_) => return Ok(Installed::KeptDifferent(path.into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path, e)),
    }
    write_atomic(path, text.as_bytes())?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(Installed::Written(path.into()))
}
