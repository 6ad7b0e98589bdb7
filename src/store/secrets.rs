//! Keeping secrets where they belong: the private key out of the store and
//! out of git, full personal numbers out of parse errors, and sealed values
//! whole (docs/format.md, "Encryption").

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::read::guarded_open;

use super::{Store, KEY_FILE_VAR, LOOKUP_KEY_FILE_VAR};
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::Finding;

/// A path made absolute with symlinks resolved, also when the file (or its
/// directories) do not exist yet: the longest existing ancestor is resolved
/// and the rest appended (a part that does not exist cannot be a symlink).
fn resolved(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    let mut rest = Vec::new();
    let mut base = absolute.as_path();
    let mut real = loop {
        if let Ok(real) = base.canonicalize() {
            break real;
        }
        match (base.parent(), base.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                base = parent;
            }
            _ => break base.to_path_buf(),
        }
    };
    for part in rest.into_iter().rev() {
        match part {
            Component::ParentDir => {
                real.pop();
            }
            Component::CurDir => {}
            other => real.push(other),
        }
    }
    Ok(real)
}

/// Creates a new file readable by its owner only, from the first byte on
/// (a file made with the default umask and narrowed afterwards would be
/// readable by others for a moment).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    // `~/.config/desk/` may not exist yet; directories made for a private
    // key are private too.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
        dirs.create(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options.open(path).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    result.map_err(|e| Error::io(path, e))
}

/// Removes a private key file [`write_private`] made, when what it was
/// made for failed; a file that cannot be removed is left.
pub fn remove_private(path: &Path) {
    let _ = std::fs::remove_file(path);
}

impl Store {
    /// Refuses a private key file inside the store, or elsewhere in the git
    /// work tree that holds it unless git ignores it there: a commit or a
    /// copy of the store would carry the key beside the values it opens.
    pub fn refuse_key_inside(&self, identity: &Path) -> Result<()> {
        let root = resolved(&self.root)?;
        let key = resolved(identity)?;
        let name = root
            .file_name()
            .map_or("desk".into(), |n| n.to_string_lossy().to_string());
        let instead =
            format!("keep the private key outside, e.g. --identity ~/.config/desk/{name}.key");
        if key.starts_with(&root) {
            return Err(Error::Refused(format!(
                "{} is inside the store ({}), where `git add` or a copy of the store would \
                 publish it; {instead}",
                identity.display(),
                root.display()
            )));
        }
        let toplevel = super::git_command::output(&self.root, ["rev-parse", "--show-toplevel"])
            .ok()
            .map(|top| resolved(Path::new(&top)))
            .transpose()?;
        if let Some(top) = toplevel.filter(|top| key.starts_with(top)) {
            let check = [
                OsStr::new("check-ignore"),
                "-q".as_ref(),
                "--".as_ref(),
                key.as_ref(),
            ];
            let ignored =
                super::git_command::run(&self.root, check).is_ok_and(|ran| ran.code == Some(0));
            if !ignored {
                return Err(Error::Refused(format!(
                    "{} is inside the git work tree of the store ({}) and not ignored, so \
                     `git add -A` would publish it; {instead}",
                    identity.display(),
                    top.display()
                )));
            }
        }
        Ok(())
    }

    /// Every file git would publish that holds a secret key (an age
    /// private key or a desk lookup key): tracked or staged (the index), or
    /// untracked and not ignored (`git add -A` takes it). Outside git,
    /// every file of the store. At a commit, every file of the commit.
    /// Never the key itself.
    pub fn secret_key_findings(&self) -> Result<Vec<Finding>> {
        if let Some(commit) = self.commit() {
            let files = self.git_files_with_key(&[commit])?.ok_or_else(|| {
                Error::Refused(format!("git grep could not search commit {commit}"))
            })?;
            let fix = "remove it in a new commit, keep it outside (e.g. ~/.config/desk/), and \
                       treat it as exposed: the commit carries it";
            return Ok(key_findings(files, fix));
        }
        let (files, fix) = match self.git_files_with_key(&["--cached", "--untracked"])? {
            Some(files) => (
                files,
                "remove it from the work tree and the index (`git rm --cached FILE`), keep \
                 it outside (e.g. ~/.config/desk/), and treat it as exposed if it was ever pushed",
            ),
            None => (
                self.store_files_with_key()?,
                "move it out of the store (e.g. to ~/.config/desk/): a copy of the store \
                 would carry it",
            ),
        };
        Ok(key_findings(files, fix))
    }

    /// The files of each of `scopes` holding a key, each with the index of
    /// its kind in [`SECRET_KEYS`]: the index (`--cached`) or a commit,
    /// searched by `git grep`; the work tree (`--untracked`), as the files
    /// `git add -A` would take beyond the index (modified or untracked and
    /// not ignored), read here. None when the store is not in a git work
    /// tree. Paths relative to the store root.
    ///
    /// One search for every kind of key (at 100,000 tickets each `git
    /// grep` over the store takes about 2 s); the kinds are told apart
    /// only among the few files that matched.
    fn git_files_with_key(&self, scopes: &[&str]) -> Result<Option<Vec<(PathBuf, usize)>>> {
        let mut files = Vec::new();
        for &scope in scopes {
            let found = if scope == "--untracked" {
                self.work_tree_files_with_key()?
            } else {
                self.git_grep_keys(scope)?
            };
            let Some(found) = found else {
                return Ok(None);
            };
            for hit in found {
                if !files.contains(&hit) {
                    files.push(hit);
                }
            }
        }
        files.sort();
        Ok(Some(files))
    }

    /// `git grep` over `scope` (`--cached`, or a commit) for any key, then
    /// for each kind among the files that matched.
    fn git_grep_keys(&self, scope: &str) -> Result<Option<Vec<(PathBuf, usize)>>> {
        let grep = |patterns: &[&str], paths: &[String]| -> Option<Vec<String>> {
            // An option before the patterns, a commit after them.
            let (option, commit) = if scope.starts_with('-') {
                (Some(scope), None)
            } else {
                (None, Some(scope))
            };
            let mut args: Vec<String> =
                ["-c", "grep.fullName=false", "grep", "-l", "-z", "-i", "-E"]
                    .iter()
                    .map(ToString::to_string)
                    .collect();
            args.extend(option.map(str::to_string));
            for p in patterns {
                args.extend(["-e".to_string(), p.to_string()]);
            }
            args.extend(commit.map(str::to_string));
            args.push("--".into());
            if paths.is_empty() {
                args.push(":/".into());
            } else {
                args.extend(paths.iter().map(|p| format!(":(literal){p}")));
            }
            let out = super::git_command::run(&self.root, &args).ok()?;
            match out.code {
                // 1 is "no match"; anything else is "not a repository" (or no git).
                Some(0) => {}
                Some(1) => return Some(Vec::new()),
                _ => return None,
            }
            // A commit's files are named `COMMIT:PATH`.
            let in_commit = format!("{scope}:");
            Some(
                out.stdout
                    .split(|b| *b == 0)
                    .filter(|n| !n.is_empty())
                    .map(|n| {
                        let name = String::from_utf8_lossy(n);
                        match commit {
                            Some(_) => name.strip_prefix(&in_commit).unwrap_or(&name).to_string(),
                            None => name.to_string(),
                        }
                    })
                    .collect(),
            )
        };
        let all: Vec<&str> = SECRET_KEYS.iter().map(|k| k.pattern).collect();
        let Some(matched) = grep(&all, &[]) else {
            return Ok(None);
        };
        let mut files = Vec::new();
        if matched.is_empty() {
            return Ok(Some(files));
        }
        for (kind, key) in SECRET_KEYS.iter().enumerate() {
            let Some(names) = grep(&[key.pattern], &matched) else {
                return Ok(None);
            };
            files.extend(names.into_iter().map(|n| (PathBuf::from(n), kind)));
        }
        Ok(Some(files))
    }

    /// The files of the work tree that `git add -A` would take beyond the
    /// index (modified, or untracked and not ignored) and that hold a key.
    /// Links are not followed: git takes a link as its target's name.
    fn work_tree_files_with_key(&self) -> Result<Option<Vec<(PathBuf, usize)>>> {
        let listed = super::git_command::run(
            &self.root,
            [
                "ls-files",
                "-z",
                "--full-name",
                "-m",
                "-o",
                "--exclude-standard",
                "--",
                ":/",
            ],
        );
        let Ok(out) = listed else {
            return Ok(None);
        };
        if out.code != Some(0) {
            return Ok(None);
        }
        let top = super::git_command::run(&self.root, ["rev-parse", "--show-toplevel"])
            .ok()
            .filter(|r| r.code == Some(0))
            .map(|r| PathBuf::from(String::from_utf8_lossy(&r.stdout).trim()));
        let Some(top) = top else {
            return Ok(None);
        };
        let mut paths: Vec<PathBuf> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|n| !n.is_empty())
            .map(|n| top.join(String::from_utf8_lossy(n).as_ref()))
            .filter(|p| {
                std::fs::symlink_metadata(p)
                    .is_ok_and(|m| m.is_file() && m.len() <= super::MAX_FILE_BYTES)
            })
            .collect();
        paths.dedup();
        let hits = crate::parallel::map(&paths, |p| file_holds_key(p));
        let mut files = Vec::new();
        for (path, hit) in paths.iter().zip(hits) {
            let Ok(kinds) = hit else {
                // Gone since it was listed: nothing to publish.
                continue;
            };
            for (kind, held) in kinds.into_iter().enumerate() {
                if held {
                    files.push((self.display_path(path).to_path_buf(), kind));
                }
            }
        }
        Ok(Some(files))
    }

    fn store_files_with_key(&self) -> Result<Vec<(PathBuf, usize)>> {
        let mut paths = Vec::new();
        // Symlinks are not followed: what they point at is not the store's.
        let not_git = |e: &super::walk::Entry| e.name != ".git";
        for entry in super::walk::tree(&self.root, &not_git)? {
            // A key file is small; a file over the store's size budget is
            // not read whole (desk's readers refuse it where it matters).
            let small = std::fs::symlink_metadata(&entry.path)
                .is_ok_and(|m| m.len() <= super::MAX_FILE_BYTES);
            if entry.file_type.is_file() && not_git(&entry) && small {
                paths.push(entry.path);
            }
        }
        let hits = crate::parallel::map(&paths, |p| file_holds_key(p));
        let mut files = Vec::new();
        for (path, hit) in paths.iter().zip(hits) {
            let kinds = match hit {
                Ok(kinds) => kinds,
                // Gone since it was listed (a writer's temporary file renamed
                // into place meanwhile): nothing left to hold a key.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(self.display_path(path), e)),
            };
            for (kind, held) in kinds.into_iter().enumerate() {
                if held {
                    files.push((self.display_path(path).to_path_buf(), kind));
                }
            }
        }
        files.sort();
        Ok(files)
    }
}

/// A kind of secret key that must not be published with the store.
struct SecretKey {
    /// In words, for the finding.
    what: &'static str,
    /// For `git grep -i -E`: the same rule as `shape`.
    pattern: &'static str,
    shape: &'static crypto::KeyShape,
}

/// A finding per file holding a secret key, saying how to `fix` it.
fn key_findings(files: Vec<(PathBuf, usize)>, fix: &str) -> Vec<Finding> {
    files
        .into_iter()
        .map(|(f, kind)| {
            let message = format!("holds {}; {fix}", SECRET_KEYS[kind].what);
            Finding::new(&f, None, message)
        })
        .collect()
}

const SECRET_KEYS: [SecretKey; 2] = [
    SecretKey {
        what: "an age private key (AGE-SECRET-KEY-1...)",
        pattern: "AGE-SECRET-KEY-1[0-9A-Z]{58}",
        shape: &crypto::AGE_KEY_SHAPE,
    },
    SecretKey {
        what: "a desk lookup key (DESK-LOOKUP-KEY-...), with which anyone holding a copy of \
               the store can test guessed ID-card numbers",
        pattern: "DESK-LOOKUP-KEY-[0-9A-F]{64}",
        shape: &crypto::LOOKUP_KEY_SHAPE,
    },
];

/// The longest key of [`SECRET_KEYS`].
const KEY_LEN: usize = crypto::LOOKUP_KEY_SHAPE.len();

/// Whether `bytes` hold a key of the kind `key`.
fn holds_key(bytes: &[u8], key: &SecretKey) -> bool {
    key.shape.found_in(bytes)
}

/// Which kinds of [`SECRET_KEYS`] a file holds. Reads it in blocks (any
/// size), overlapping by the longest key's length.
fn file_holds_key(path: &Path) -> std::io::Result<[bool; 2]> {
    // Listed as a regular file, but it may have changed since: a link is
    // not followed, a FIFO not waited on, and what is not a regular file
    // once open is not read (none is the store's to publish).
    let mut options = guarded_open();
    options.read(true);
    let mut file = match options.open(path) {
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok([false; 2]),
        opened => opened?,
    };
    if !file.metadata()?.is_file() {
        return Ok([false; 2]);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut kept = 0;
    let mut found = [false; 2];
    loop {
        let n = file.read(&mut buf[kept..])?;
        if n == 0 {
            return Ok(found);
        }
        let end = kept + n;
        for (held, key) in found.iter_mut().zip(&SECRET_KEYS) {
            *held = *held || holds_key(&buf[..end], key);
        }
        kept = (KEY_LEN - 1).min(end);
        buf.copy_within(end - kept..end, 0);
    }
}

/// Warnings for the key files named by `DESK_KEY_FILE` and
/// `DESK_LOOKUP_KEY_FILE` that can be read (or written) by others than
/// their owner, as ssh warns about private keys.
pub fn key_file_warnings() -> Vec<String> {
    [KEY_FILE_VAR, LOOKUP_KEY_FILE_VAR]
        .into_iter()
        .filter_map(|var| {
            let path = PathBuf::from(std::env::var_os(var).filter(|p| !p.is_empty())?);
            key_file_exposed(&path)
        })
        .collect()
}

#[cfg(unix)]
pub fn key_file_exposed(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the key file {} is accessible by others (mode {mode:04o}); \
             run `chmod 600 {}`",
            path.display(),
            crate::text::shell_quoted(&path.display().to_string())
        )
    })
}

#[cfg(not(unix))]
pub fn key_file_exposed(_path: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file listed as regular but changed since into a link or a FIFO
    /// is not read through, nor waited on.
    #[cfg(unix)]
    #[test]
    fn a_key_scan_follows_no_link_and_waits_on_no_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let key = format!("AGE-SECRET-KEY-1{}", "Q".repeat(58));
        let real = dir.path().join("key.txt");
        std::fs::write(&real, &key).unwrap();
        assert_eq!(file_holds_key(&real).unwrap(), [true, false]);
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(file_holds_key(&link).unwrap(), [false, false]);
        let fifo = dir.path().join("fifo.yaml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert_eq!(file_holds_key(&fifo).unwrap(), [false, false]);
    }

    #[test]
    fn finds_keys_in_any_case_and_across_blocks() {
        let [age, lookup] = &SECRET_KEYS;
        let key = format!("AGE-SECRET-KEY-1{}", "Q".repeat(58));
        assert!(holds_key(key.as_bytes(), age));
        assert!(holds_key(key.to_lowercase().as_bytes(), age));
        assert!(!holds_key(b"`AGE-SECRET-KEY-1...` lines", age));
        assert!(!holds_key(&key.as_bytes()[..age.shape.len() - 1], age));
        let lookup_key = crypto::LookupKey::generate().unwrap().file_text("s");
        assert!(holds_key(lookup_key.as_bytes(), lookup));
        assert!(!holds_key(lookup_key.as_bytes(), age));
        assert!(!holds_key(key.as_bytes(), lookup));
        // A customer file's lookups are hex without the prefix.
        assert!(!holds_key("lookup: ".repeat(2).as_bytes(), lookup));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        // Straddling the 64 KiB block boundary.
        for (text, kind) in [(key.as_str(), 0), (lookup_key.trim_end(), 1)] {
            let line = text.lines().last().unwrap();
            let mut bytes = vec![b'x'; 64 * 1024 - 20];
            bytes.extend_from_slice(line.as_bytes());
            std::fs::write(&path, &bytes).unwrap();
            assert!(file_holds_key(&path).unwrap()[kind], "{kind}");
            std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
            assert_eq!(file_holds_key(&path).unwrap(), [false, false]);
        }
    }

    #[test]
    fn resolves_paths_that_do_not_exist_yet() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(resolved(&real.join("a/b/../c")).unwrap(), real.join("a/c"));
        assert_eq!(resolved(&real.join("./x")).unwrap(), real.join("x"));
    }
}
