//! Where a store's files are read from: the work tree, or a commit of the
//! store's git repository (`--as-of REV`). The reads a report, `list`,
//! `show` and `check` make — desk.yaml, the holiday files of `calendars/`,
//! the tickets and customers, and for `check` the templates, issued marks,
//! node claims and reveal log — go through [`Source`]; a store opened at a
//! revision ([`Store::open_at`]) answers them from the commit and refuses
//! to write.
//!
//! A revision is read through the `git` the team already has: one
//! `git ls-tree` lists the store's files with their sizes, and one
//! long-running `git cat-file --batch` hands out their contents, so a
//! report over 100,000 tickets starts three processes, not 100,000 (gix
//! would add a large dependency to build; docs/performance.md measures
//! both ways). Nothing of the work tree is written: not its files, not
//! git's index, not the ticket cache of `.desk/`. The commit's files are
//! as untrusted as the work tree's, and refused alike: a link (mode
//! 120000) is never followed, a file over [`MAX_FILE_BYTES`] is refused
//! from its size before it is read, and a path that would leave the
//! store's folders is left out.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout};
use std::sync::{Arc, Mutex};

use super::git_command::{self, GitError};
use super::read::{file_text, not_a_dir, not_a_file, read_file, real_dirs, too_large};
use super::sla::CALENDARS_DIR;
use super::{
    parse_ticket, Store, SummaryScan, AUDIT_DIR, CONFIG_FILE, ISSUED_DIR, MAX_FILE_BYTES,
    NODES_DIR, TEMPLATES_DIR,
};
use crate::error::{Error, Result};
use crate::model::Summary;
use crate::text::visible;

/// The store's folders and file a revision is read from: what a report,
/// `list`, `show` and `check` read.
const READ_PATHS: [&str; 8] = [
    CONFIG_FILE,
    CALENDARS_DIR,
    "tickets",
    "customers",
    TEMPLATES_DIR,
    ISSUED_DIR,
    NODES_DIR,
    AUDIT_DIR,
];

/// Tickets fetched from git at a time: parsed on all cores while the next
/// batch is fetched.
const BATCH: usize = 2048;

/// Where a store's files are read from.
#[derive(Debug, Clone, Default)]
pub enum Source {
    /// The files as they are: the work tree, with the ticket cache.
    #[default]
    WorkTree,
    /// The files as a commit holds them. Read only: a store reading one
    /// refuses its locks, so nothing is written through it.
    Revision(Arc<Revision>),
}

/// What a commit holds at one path of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Link,
    /// A submodule (mode 160000), a directory in a work tree.
    Submodule,
    /// Any other mode git may list: refused like a pipe or device.
    Other,
}

impl Kind {
    fn of_mode(mode: &str) -> Kind {
        match mode {
            "100644" | "100755" => Kind::File,
            "120000" => Kind::Link,
            "160000" => Kind::Submodule,
            _ => Kind::Other,
        }
    }

    /// Why an entry of this kind is not read, in words; `None` for a file.
    fn refused(self) -> Option<&'static str> {
        match self {
            Kind::File => None,
            Kind::Link => Some("a symbolic link"),
            Kind::Submodule => Some("a directory"),
            Kind::Other => Some("not a regular file"),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    oid: String,
    size: u64,
}

/// An entry a walk of `tickets/` lists, as the work tree's walker would.
enum Listed<'a> {
    File(&'a Entry),
    /// A directory named `*.yaml`, or a link, submodule or other entry.
    Refused(&'static str),
}

/// A commit of the store's repository, its files listed once and read
/// through one `git cat-file --batch`.
pub struct Revision {
    /// The commit's full hash.
    pub commit: String,
    /// The store's files at the commit, by path from the store's root with
    /// `/` between folders (`tickets/2026/11/T20261123-0001.yaml`).
    entries: BTreeMap<String, Entry>,
    blobs: Mutex<Blobs>,
}

impl std::fmt::Debug for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revision")
            .field("commit", &self.commit)
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// What `--as-of` accepts, for its errors.
const VALID_REVISIONS: &str = "expected a commit of the store's git repository as `git rev-parse` \
     names it: a hash (3f2a9c1), HEAD~1, a branch or tag (v2026.10), or a branch at a date \
     (main@{2026-10-31}); `git log --oneline` lists the commits";

/// Runs git in `dir` with `args`: its output, or the error naming the
/// command line and what git said; git that cannot start is an error.
fn git(dir: &Path, args: &[&str]) -> Result<std::result::Result<Vec<u8>, GitError>> {
    Ok(git_command::run(dir, args)?.success())
}

impl Revision {
    /// The store at `root` as of `asked`: anything `git rev-parse` names
    /// a commit by.
    pub fn open(root: &Path, asked: &str) -> Result<Revision> {
        // A leading `-` would be read as an option; no revision holds a
        // control character (and a NUL could not be passed to git).
        if asked.trim().is_empty() || asked.starts_with('-') || asked.chars().any(char::is_control)
        {
            return Err(Error::invalid("--as-of revision", asked, VALID_REVISIONS));
        }
        let prefix = git(root, &["rev-parse", "--show-prefix"])?.map_err(|e| {
            Error::Refused(format!(
                "--as-of reads the store's git history, and {} is not in a git repository \
                 ({e})",
                visible(&root.display().to_string()),
            ))
        })?;
        let prefix = String::from_utf8(prefix)
            .map_err(|_| Error::Refused("--as-of: the store's folder is not UTF-8".into()))?;
        let prefix = prefix.trim_end_matches('\n');
        let commit = git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{asked}^{{commit}}"),
            ],
        )?
        .map_err(|_| Error::invalid("--as-of revision", asked, VALID_REVISIONS))?;
        let commit = String::from_utf8_lossy(&commit).trim().to_string();
        let mut args = vec!["ls-tree", "-r", "-z", "-l", "--full-name", &commit, "--"];
        args.extend(READ_PATHS);
        let listing = git(root, &args)??;
        let blobs = Blobs::start(root)?;
        Ok(Revision {
            entries: entries(&listing, prefix),
            commit,
            blobs: Mutex::new(blobs),
        })
    }

    /// The commit's desk.yaml.
    pub(super) fn config_text(&self) -> Result<String> {
        self.read(Path::new(CONFIG_FILE))?.ok_or_else(|| {
            Error::Refused(format!(
                "commit {} has no {CONFIG_FILE} in the store's folder: the store did not \
                 exist there yet; name a later commit",
                self.commit
            ))
        })
    }

    /// The file at `rel` (from the store's root), or `None` if the commit
    /// has none there; refused as the work tree refuses it (a link, a
    /// directory, a file too large, a link among the folders above).
    pub(super) fn read(&self, rel: &Path) -> Result<Option<String>> {
        // Git's paths have `/` between folders, whatever the system's is.
        let parts: Option<Vec<&str>> = rel.iter().map(|part| part.to_str()).collect();
        let Some(key) = parts.map(|parts| parts.join("/")) else {
            return Ok(None);
        };
        let key = key.as_str();
        if let Some(parent) = rel.parent() {
            self.real_dirs(parent)?;
        }
        match self.entries.get(key) {
            Some(entry) => self.text(entry, rel).map(Some),
            None if self.is_dir(key) => Err(not_a_file(rel, "a directory")),
            None => Ok(None),
        }
    }

    /// Fails if a folder on `rel_dir` is a link or a file at the commit,
    /// as [`real_dirs`] does in the work tree.
    fn real_dirs(&self, rel_dir: &Path) -> Result<()> {
        let mut dir = PathBuf::new();
        for part in rel_dir.components() {
            dir.push(part);
            let key: Option<Vec<&str>> = dir.iter().map(|part| part.to_str()).collect();
            let Some(entry) = key.and_then(|key| self.entries.get(&key.join("/"))) else {
                continue;
            };
            return Err(not_a_dir(&dir, entry.kind.refused().unwrap_or("a file")));
        }
        Ok(())
    }

    /// Whether the commit has files below `key`.
    fn is_dir(&self, key: &str) -> bool {
        let below = format!("{key}/");
        self.entries
            .range(below.clone()..)
            .next()
            .is_some_and(|(path, _)| path.starts_with(&below))
    }

    /// The names of what is directly below the folder `dir`: files,
    /// links and folders, sorted, each once.
    fn children(&self, dir: &str) -> Vec<&str> {
        let below = format!("{dir}/");
        let mut names: Vec<&str> = self
            .entries
            .range(below.clone()..)
            .take_while(|(path, _)| path.starts_with(&below))
            .map(|(path, _)| path[below.len()..].split('/').next().unwrap_or_default())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn text(&self, entry: &Entry, shown: &Path) -> Result<String> {
        if let Some(kind) = entry.kind.refused() {
            return Err(not_a_file(shown, kind));
        }
        if entry.size > MAX_FILE_BYTES {
            return Err(too_large(shown, entry.size));
        }
        let mut blobs = self.fetch(&[entry])?;
        file_text(blobs.pop().expect("one blob asked"), shown)
    }

    /// The contents of `entries` (files within the size limit), in order,
    /// through the one `git cat-file --batch`.
    fn fetch(&self, entries: &[&Entry]) -> Result<Vec<Vec<u8>>> {
        let mut blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        blobs
            .fetch(entries)
            .map_err(|e| Error::io(format!("git cat-file (commit {})", self.commit), e))
    }

    /// The holiday files of `calendars/` at the commit, as
    /// [`Store::holiday_texts`] lists them in the work tree.
    fn holiday_texts(&self) -> Result<Vec<(PathBuf, String)>> {
        self.real_dirs(Path::new(CALENDARS_DIR))?;
        self.children(CALENDARS_DIR)
            .into_iter()
            .filter(|name| {
                Path::new(name)
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml")
            })
            .map(|name| {
                let shown = Path::new(CALENDARS_DIR).join(name);
                let text = match self.entries.get(&format!("{CALENDARS_DIR}/{name}")) {
                    Some(entry) => self.text(entry, &shown)?,
                    None => return Err(not_a_file(&shown, "a directory")),
                };
                Ok((shown, text))
            })
            .collect()
    }

    /// What a walk of the folder `dir` finds at the commit, as the work
    /// tree's walker would (`walk::yaml_files`): `*.yaml` (at any depth
    /// when `deep`), names starting with `.` (and what is below them) left
    /// out, a link listed whatever its name in a deep walk, a folder named
    /// `*.yaml` listed and not entered.
    fn yaml_entries(&self, dir: &str, deep: bool) -> Result<BTreeMap<String, Listed<'_>>> {
        self.real_dirs(Path::new(dir))?;
        let mut listed = BTreeMap::new();
        let below = format!("{dir}/");
        for (path, entry) in self
            .entries
            .range(below.clone()..)
            .take_while(|(path, _)| path.starts_with(&below))
        {
            let rel = &path[below.len()..];
            let parts: Vec<&str> = rel.split('/').collect();
            let (name, folders) = parts.split_last().expect("split gives one part");
            let mut at = 0;
            let mut hidden_or_listed = false;
            for folder in folders {
                at += folder.len() + 1;
                if folder.starts_with('.') {
                    hidden_or_listed = true;
                    break;
                }
                if folder.ends_with(".yaml") {
                    listed
                        .entry(rel[..at - 1].to_string())
                        .or_insert(Listed::Refused("a directory"));
                    hidden_or_listed = true;
                    break;
                }
                if !deep {
                    hidden_or_listed = true;
                    break;
                }
            }
            if hidden_or_listed || name.starts_with('.') {
                continue;
            }
            let item = match entry.kind {
                Kind::File if name.ends_with(".yaml") => Listed::File(entry),
                Kind::Link if deep || name.ends_with(".yaml") => Listed::Refused("a symbolic link"),
                kind if name.ends_with(".yaml") => {
                    Listed::Refused(kind.refused().unwrap_or("not a regular file"))
                }
                _ => continue,
            };
            listed.insert(rel.to_string(), item);
        }
        Ok(listed)
    }

    /// The paths (from the store's root) of what [`Revision::yaml_entries`]
    /// lists in `dir`, by path.
    pub(super) fn yaml_files(&self, dir: &str, deep: bool) -> Result<Vec<String>> {
        Ok(self.yaml_entries(dir, deep)?.into_keys().collect())
    }

    /// The names directly in the folder `dir` at the commit (see
    /// [`Revision::children`]); nothing when the commit has no such folder.
    pub(super) fn names_in(&self, dir: &str) -> Result<Vec<String>> {
        self.real_dirs(Path::new(dir))?;
        Ok(self.children(dir).into_iter().map(str::to_string).collect())
    }

    /// Whether the commit has a file or folder at `rel`.
    pub(super) fn holds(&self, rel: &Path) -> bool {
        let parts: Option<Vec<&str>> = rel.iter().map(|part| part.to_str()).collect();
        parts.is_some_and(|parts| {
            let key = parts.join("/");
            self.entries.contains_key(&key) || self.is_dir(&key)
        })
    }

    /// The files at `rels` (from the store's root), in order, each as
    /// [`Revision::read`] reads it (a missing one is an error saying so),
    /// the regular ones fetched from git together.
    pub(super) fn read_all(&self, rels: &[&Path]) -> Result<Vec<Result<String>>> {
        let mut wanted: Vec<&Entry> = Vec::new();
        let mut read: Vec<std::result::Result<usize, Error>> = Vec::with_capacity(rels.len());
        for rel in rels {
            let key: Option<Vec<&str>> = rel.iter().map(|part| part.to_str()).collect();
            let entry = key.and_then(|key| self.entries.get(&key.join("/")));
            let parent_sound = rel.parent().map_or(Ok(()), |p| self.real_dirs(p));
            match (entry, parent_sound) {
                (Some(entry), Ok(()))
                    if entry.kind == Kind::File && entry.size <= MAX_FILE_BYTES =>
                {
                    read.push(Ok(wanted.len()));
                    wanted.push(entry);
                }
                _ => read.push(Err(match self.read(rel) {
                    Ok(Some(_)) => unreachable!("a regular file within the limit is fetched"),
                    Ok(None) => Error::io(rel, std::io::Error::from(std::io::ErrorKind::NotFound)),
                    Err(e) => e,
                })),
            }
        }
        let mut blobs = self
            .fetch(&wanted)?
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>();
        Ok(read
            .into_iter()
            .zip(rels)
            .map(|(read, rel)| {
                let i = read?;
                file_text(blobs[i].take().expect("each blob taken once"), rel)
            })
            .collect())
    }

    /// The summaries of the tickets `keep` wants at the commit, by path, and
    /// every file that could not be read: what the work tree's scan gives,
    /// without its cache.
    pub(super) fn summaries(&self, keep: impl Fn(&Summary) -> bool + Sync) -> Result<SummaryScan> {
        let listed = self.yaml_entries("tickets", true)?;
        let mut errors = Vec::new();
        let mut files: Vec<(PathBuf, &Entry)> = Vec::with_capacity(listed.len());
        for (rel, item) in &listed {
            let shown = Path::new("tickets").join(rel);
            match item {
                Listed::File(entry) if entry.size > MAX_FILE_BYTES => {
                    errors.push((shown.clone(), too_large(&shown, entry.size)))
                }
                Listed::File(entry) => files.push((shown, entry)),
                Listed::Refused(kind) => errors.push((shown.clone(), not_a_file(&shown, kind))),
            }
        }
        let mut kept = Vec::new();
        let parsed = files.len();
        // One thread fetches the next batch from git while the cores parse
        // this one.
        std::thread::scope(|scope| -> Result<()> {
            let (send, batches) = std::sync::mpsc::sync_channel(1);
            let files = &files;
            scope.spawn(move || {
                for batch in files.chunks(BATCH) {
                    let wanted: Vec<&Entry> = batch.iter().map(|(_, e)| *e).collect();
                    let fetched = self.fetch(&wanted);
                    let failed = fetched.is_err();
                    if send.send(fetched).is_err() || failed {
                        break;
                    }
                }
            });
            for (batch, fetched) in files.chunks(BATCH).zip(batches) {
                // Each blob is taken by the core that parses it.
                let read: Vec<(&PathBuf, Mutex<Vec<u8>>)> = batch
                    .iter()
                    .map(|(shown, _)| shown)
                    .zip(fetched?.into_iter().map(Mutex::new))
                    .collect();
                let results = crate::parallel::map(&read, |(shown, bytes)| {
                    let bytes = std::mem::take(&mut *bytes.lock().expect("one taker"));
                    let ticket = parse_ticket(&file_text(bytes, shown)?, shown)?;
                    Ok(Summary::of(&ticket))
                });
                for ((shown, _), result) in read.iter().zip(results) {
                    match result {
                        Ok(summary) if keep(&summary) => kept.push(((*shown).clone(), summary)),
                        Ok(_) => {}
                        Err(e) => errors.push(((*shown).clone(), e)),
                    }
                }
            }
            Ok(())
        })?;
        // In path order, as the work tree's scan gives them.
        errors.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SummaryScan {
            summaries: kept.into_iter().map(|(_, s)| s).collect(),
            errors: errors.into_iter().map(|(_, e)| e).collect(),
            parsed,
            misplaced: Vec::new(),
        })
    }
}

/// The store's entries of `git ls-tree -r -z -l --full-name` output, by
/// path from the store's root (`prefix`, from `git rev-parse
/// --show-prefix`, taken off). A path outside the prefix, with an empty,
/// `.` or `..` part, or not UTF-8, is left out: it names no file of the
/// store.
fn entries(listing: &[u8], prefix: &str) -> BTreeMap<String, Entry> {
    let mut entries = BTreeMap::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let Ok(record) = std::str::from_utf8(record) else {
            continue;
        };
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split_whitespace();
        let (Some(mode), Some(_kind), Some(oid), Some(size)) =
            (meta.next(), meta.next(), meta.next(), meta.next())
        else {
            continue;
        };
        let Some(rel) = path.strip_prefix(prefix) else {
            continue;
        };
        if rel
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            continue;
        }
        entries.insert(
            rel.to_string(),
            Entry {
                kind: Kind::of_mode(mode),
                oid: oid.to_string(),
                // A submodule has no size (`-`).
                size: size.parse().unwrap_or(0),
            },
        );
    }
    entries
}

/// The one `git cat-file --batch` a revision reads through.
struct Blobs {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Blobs {
    fn start(root: &Path) -> Result<Blobs> {
        let mut child = git_command::spawn(root, ["cat-file", "--batch"])?;
        let stdin = child.stdin.take();
        let stdout = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        Ok(Blobs {
            child,
            stdin,
            stdout,
        })
    }

    /// Asks for every entry on one thread and reads the answers on this
    /// one: asking for all first could fill both pipes and wait forever.
    fn fetch(&mut self, entries: &[&Entry]) -> std::io::Result<Vec<Vec<u8>>> {
        let Blobs {
            child,
            stdin,
            stdout,
        } = self;
        let stdin = stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("git cat-file has stopped"))?;
        std::thread::scope(|scope| {
            let asking = scope.spawn(move || -> std::io::Result<()> {
                let mut ask = BufWriter::new(stdin);
                for entry in entries {
                    writeln!(ask, "{}", entry.oid)?;
                }
                ask.flush()
            });
            let answers: std::io::Result<Vec<Vec<u8>>> =
                entries.iter().map(|entry| answer(stdout, entry)).collect();
            if answers.is_err() {
                // The asking thread may wait on a full pipe: end git.
                let _ = child.kill();
            }
            let asked = asking.join().expect("the asking thread does not panic");
            let answers = answers?;
            asked.map(|()| answers)
        })
        .inspect_err(|_| {
            self.stdin = None;
        })
    }
}

/// Reads `git cat-file --batch`'s answer for `entry`: `<oid> blob <size>`,
/// the bytes, a newline.
fn answer(stdout: &mut BufReader<ChildStdout>, entry: &Entry) -> std::io::Result<Vec<u8>> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut header = Vec::new();
    stdout.read_until(b'\n', &mut header)?;
    let header = String::from_utf8_lossy(&header);
    let mut fields = header.split_whitespace();
    let (Some(oid), Some("blob"), Some(size)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(bad(format!(
            "object {}: {}",
            entry.oid,
            visible(header.trim())
        )));
    };
    let size: u64 = size
        .parse()
        .map_err(|_| bad(format!("object {oid}: size {}", visible(size))))?;
    if oid != entry.oid || size != entry.size || size > MAX_FILE_BYTES {
        return Err(bad(format!(
            "object {}: answered {oid} of {size} bytes",
            entry.oid
        )));
    }
    let mut bytes = vec![0; size as usize + 1];
    stdout.read_exact(&mut bytes)?;
    if bytes.pop() != Some(b'\n') {
        return Err(bad(format!("object {oid}: no newline after it")));
    }
    Ok(bytes)
}

impl Drop for Blobs {
    fn drop(&mut self) {
        // Closing its input ends git cat-file.
        self.stdin = None;
        let _ = self.child.wait();
    }
}

impl Store {
    /// The commit this store reads, if it reads one.
    pub(super) fn revision(&self) -> Option<&Revision> {
        match &self.source {
            Source::WorkTree => None,
            Source::Revision(revision) => Some(revision),
        }
    }

    /// The source of this store's files.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The commit this store reads, as a full hash; `None` for the work
    /// tree. What only a work tree has (temporary files, this clone's
    /// `.desk/` and git set-up) is not checked at a commit.
    pub fn commit(&self) -> Option<&str> {
        self.revision().map(|revision| revision.commit.as_str())
    }

    /// desk.yaml's text, from where the store reads.
    pub fn config_text(&self) -> Result<String> {
        match self.revision() {
            Some(revision) => revision.config_text(),
            None => read_file(&self.root.join(CONFIG_FILE), Path::new(CONFIG_FILE)),
        }
    }

    /// Whether there is a file or folder at `rel` (from the store's root),
    /// where the store reads.
    pub fn holds(&self, rel: &Path) -> bool {
        match self.revision() {
            Some(revision) => revision.holds(rel),
            None => self.root.join(rel).exists(),
        }
    }

    /// The files at `paths` (under the root, as a walk of the store lists
    /// them), in order, each read as [`read_file`] reads it: in the work
    /// tree on all cores, at a commit through one request to git.
    pub fn read_files(&self, paths: &[PathBuf]) -> Result<Vec<Result<String>>> {
        match self.revision() {
            Some(revision) => {
                let rels: Vec<&Path> = paths.iter().map(|p| self.display_path(p)).collect();
                revision.read_all(&rels)
            }
            None => {
                let open = super::read::OpenFolder::default();
                Ok(crate::parallel::map(paths, |path| {
                    self.read_listed(path, &open)
                }))
            }
        }
    }

    /// One file of the store, `rel` from its root, read where the store
    /// reads; a missing one is an error.
    pub(super) fn read_store_file(&self, rel: &Path) -> Result<String> {
        match self.revision() {
            Some(revision) => revision
                .read(rel)?
                .ok_or_else(|| Error::io(rel, std::io::Error::from(std::io::ErrorKind::NotFound))),
            None => self.read_listed(&self.root.join(rel), &Default::default()),
        }
    }

    /// What a walk of the folder `dir` lists (see `walk::yaml_files`), each
    /// from `dir`, by path: the work tree's or the commit's.
    pub(super) fn yaml_paths(&self, dir: &str, depth: super::walk::Depth) -> Result<Vec<String>> {
        match self.revision() {
            Some(revision) => revision.yaml_files(dir, depth == super::walk::Depth::Deep),
            None => Ok(super::walk::yaml_files(&self.root, dir, depth, false)?
                .into_iter()
                .map(|found| found.rel)
                .collect()),
        }
    }

    /// The names in the folder `dir` (from the store's root) at the
    /// commit this store reads; `None` for the work tree.
    pub(super) fn names_at_commit(&self, dir: &str) -> Option<Result<Vec<String>>> {
        self.revision().map(|revision| revision.names_in(dir))
    }

    /// Fails for a store read as of a commit: it is read only.
    pub(super) fn writable(&self) -> Result<()> {
        match self.revision() {
            None => Ok(()),
            Some(revision) => Err(Error::Refused(format!(
                "the store is read as of commit {}, which is read only; run the command \
                 without --as-of to change the store",
                revision.commit
            ))),
        }
    }

    /// The holiday files of `calendars/` (`*.yaml`, `*.yml`), each with its
    /// path shown to people, by path.
    pub(super) fn holiday_texts(&self) -> Result<Vec<(PathBuf, String)>> {
        if let Some(revision) = self.revision() {
            return revision.holiday_texts();
        }
        let dir = self.root.join(CALENDARS_DIR);
        // A linked folder is refused, not followed.
        real_dirs(&self.root, Path::new(CALENDARS_DIR))?;
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        super::walk::entries(&dir)?
            .into_iter()
            .map(|entry| entry.path)
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .map(|path| {
                let shown = self.display_path(&path).to_path_buf();
                read_file(&path, &shown).map(|text| (shown, text))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    //! One suite of assertions, run on the work tree and on a commit of it:
    //! both sources must read the same store the same way.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;
    // The report's input is an application operation; over either source it
    // must give the same numbers, so the suite ends with it.
    use crate::app::report::report_input;
    use crate::clock::Timestamp;
    use crate::config::Config;
    use crate::model::{Customer, CustomerKind, NewTicket, Ticket, TicketId};
    use crate::report::{GroupBy, Period};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[track_caller]
    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=tester", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// What the suite's store holds, made the same way in the work tree
    /// and committed.
    struct Made {
        _dir: tempfile::TempDir,
        root: PathBuf,
        /// The tickets, by path: open, closed, open with a byte order mark.
        ids: Vec<TicketId>,
    }

    /// A git repository whose folder `sub` ("" for the top) is a store: the
    /// holiday calendar, two customers (and a third that is a link), three
    /// tickets, and what both sources must refuse or leave out — a link, a
    /// file over the size limit, a broken file, a folder named `*.yaml`,
    /// hidden files and folders. All committed.
    fn made(sub: &str) -> Made {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().canonicalize().unwrap();
        git(&top, &["init", "-q", "-b", "main"]);
        let root = top.join(sub);
        std::fs::create_dir_all(&root).unwrap();
        let store = Store::init(&root, &Config::seed_defaults()).unwrap();
        store.install_calendar("cn").unwrap();
        let at = t("2026-11-02T09:00:00+08:00");
        let customers = vec![
            Customer::new(CustomerKind::Individual, "张三丰".into(), at, "li.na"),
            Customer::new(CustomerKind::Enterprise, "星河科技".into(), at, "li.na"),
        ];
        store.create_customers(customers).unwrap();
        let mut ids = Vec::new();
        for (customer, priority) in [
            ("C000001", "urgent"),
            ("C000002", "normal"),
            ("C000001", "important"),
        ] {
            let ticket = store
                .create_ticket(at, |id| {
                    Ticket::create(
                        id,
                        NewTicket {
                            customer: customer.into(),
                            priority: priority.into(),
                            ..NewTicket::sample()
                        },
                        at,
                        "li.na",
                    )
                })
                .unwrap();
            ids.push(TicketId::parse(&ticket.id).unwrap());
        }
        store
            .modify_ticket(&ids[1], t("2026-11-03T10:00:00+08:00"), "li.na", |t| {
                t.close(
                    "换新".into(),
                    None,
                    None,
                    t_at("2026-11-03T10:00:00+08:00"),
                    "li.na",
                )
            })
            .unwrap();
        let path = store.ticket_path(&ids[2]);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();

        let month = store.tickets_dir().join("2026/11");
        std::os::unix::fs::symlink("../../../desk.yaml", month.join("link.yaml")).unwrap();
        std::fs::write(
            month.join("big.yaml"),
            vec![b'#'; MAX_FILE_BYTES as usize + 1],
        )
        .unwrap();
        std::fs::write(month.join("broken.yaml"), "id: [\n").unwrap();
        std::fs::write(month.join(".draft.yaml"), "id: [\n").unwrap();
        std::fs::write(month.join("notes.txt"), "id: [\n").unwrap();
        for folder in ["odd.yaml", ".old"] {
            std::fs::create_dir_all(month.join(folder)).unwrap();
            std::fs::write(month.join(folder).join("x.yaml"), "id: [\n").unwrap();
        }
        std::os::unix::fs::symlink("C000001.yaml", store.customers_dir().join("C000009.yaml"))
            .unwrap();
        // What `desk check` finds besides: a template the rules name gone,
        // a customer mark far above the numbers, a node claimed out of
        // range, a line of the reveal log that is no reveal, a secret key.
        std::fs::remove_file(root.join(TEMPLATES_DIR).join("survey.txt")).unwrap();
        std::fs::create_dir_all(root.join(ISSUED_DIR)).unwrap();
        std::fs::write(
            root.join(ISSUED_DIR).join("local.yaml"),
            "customer: 900000000\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join(NODES_DIR)).unwrap();
        std::fs::write(
            root.join(NODES_DIR).join("far.yaml"),
            "node: 500\nclaimed: '2026-11-02'\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join(AUDIT_DIR)).unwrap();
        std::fs::write(root.join(AUDIT_DIR).join("2026-11-02.jsonl"), "{}\n").unwrap();
        // A key a commit must never carry.
        let key = format!("AGE-SECRET-KEY-1{}\n", "Q".repeat(58));
        std::fs::write(root.join("age-key.txt"), key).unwrap();
        git(&top, &["add", "-A"]);
        git(&top, &["commit", "-q", "-m", "the store"]);
        Made {
            _dir: dir,
            root,
            ids,
        }
    }

    fn t_at(s: &str) -> Timestamp {
        t(s)
    }

    /// The same assertions, whatever `store` reads from.
    fn conformance(store: &Store, made: &Made) {
        let ids = &made.ids;
        assert_eq!(store.config.id_prefix, Config::seed_defaults().id_prefix);

        // desk.yaml with the holiday files: 2026-10-01 is a holiday.
        let (_, calendar) = store.sla().unwrap();
        assert_eq!(calendar.last_dated_year(), Some(2026));
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert!(calendar.ranges(day("2026-10-01")).is_empty());
        assert!(!calendar.ranges(day("2026-11-02")).is_empty());

        // Every ticket, by path; each file desk cannot read named, in order.
        let scan = store.summaries_where(true, |_| true).unwrap();
        let found: Vec<&str> = scan.summaries.iter().map(|s| s.id.as_str()).collect();
        let want: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        assert_eq!(found, want);
        assert_eq!(scan.summaries[1].status, crate::model::Status::Closed);
        let errors: Vec<String> = scan.errors.iter().map(|e| e.to_string()).collect();
        let expected = [
            ("tickets/2026/11/big.yaml", "over desk's limit"),
            ("tickets/2026/11/broken.yaml", ""),
            (
                "tickets/2026/11/link.yaml",
                "a symbolic link, not a regular file",
            ),
            (
                "tickets/2026/11/odd.yaml",
                "a directory, not a regular file",
            ),
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (error, (path, says)) in errors.iter().zip(expected) {
            assert!(error.starts_with(path) && error.contains(says), "{error}");
        }
        let open = store.summaries_where(true, |s| s.status.is_open()).unwrap();
        assert_eq!(open.summaries.len(), 2);

        // One ticket, one customer; what is not there; a link.
        let ticket = store.load_ticket(&ids[1]).unwrap();
        assert_eq!(
            (ticket.history.len(), ticket.priority.as_str()),
            (2, "normal")
        );
        assert_eq!(store.load_ticket(&ids[2]).unwrap().priority, "important");
        let missing = TicketId {
            serial: 99,
            ..ids[0].clone()
        };
        assert!(matches!(
            store.load_ticket(&missing),
            Err(Error::NotFound { .. })
        ));
        assert_eq!(store.load_customer("C000002").unwrap().name, "星河科技");
        assert!(matches!(
            store.load_customer("C000003"),
            Err(Error::NotFound { .. })
        ));
        let link = store.load_customer("C000009").unwrap_err().to_string();
        assert!(link.contains("a symbolic link"), "{link}");

        // The report over the month, every section.
        let period = Period::parse_month("2026-11", day("2026-12-01")).unwrap();
        let input = report_input(store, period, 3, t("2026-12-01T09:00:00+08:00"), true).unwrap();
        assert_eq!(input.facts.len(), 3);
        assert_eq!(input.errors.len(), 4);
        let mut csv = Vec::new();
        for section in input.report(store, GroupBy::Type).sections() {
            section.records.write_csv(&mut csv, false, false).unwrap();
        }
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("complaint"), "{csv}");
        assert!(
            csv.contains("张*"),
            "the ranked customer's masked name: {csv}"
        );

        // `desk check`: what the store's files hold, the same from both.
        let ring = crate::crypto::Keyring::new(
            None,
            &[],
            Err("no key file".into()),
            Err("no lookup key file".into()),
        )
        .unwrap();
        let found: Vec<String> =
            crate::app::check::check(store, &ring, t("2026-11-20T09:00:00+08:00"))
                .unwrap()
                .iter()
                .map(|f| f.to_string())
                .collect();
        // The clone's git set-up is checked only in the work tree.
        let clone_only = |f: &&String| f.starts_with(".git");
        assert!(store.commit().is_none() || !found.iter().any(|f| clone_only(&f)));
        let of_files: Vec<&String> = found.iter().filter(|f| !clone_only(f)).collect();
        let expected = [
            "desk.yaml:325: rule 'survey-reminder' (rules[9]), key then[0].notify.template: \
             templates/survey.txt does not exist",
            "customers/C000009.yaml: a symbolic link",
            "issued/local.yaml: the mark customer: 900000000 is more than 1,000,000 above",
            "tickets/2026/11/big.yaml: 4194305 bytes, over desk's limit",
            "tickets/2026/11/broken.yaml:1: id: invalid type",
            "tickets/2026/11/link.yaml: a symbolic link",
            "tickets/2026/11/odd.yaml: a directory",
            "nodes/far.yaml: node 500 is not from 1 to 99",
            "age-key.txt: holds an age private key",
            "audit/reveals/2026-11-02.jsonl:1: not a reveal",
        ];
        assert_eq!(of_files.len(), expected.len(), "{found:#?}");
        for (finding, start) in of_files.iter().zip(expected) {
            assert!(finding.starts_with(start), "{finding} / {start}");
        }
    }

    #[test]
    fn the_work_tree_reads_the_store() {
        let made = made("");
        conformance(&Store::open(made.root.clone()).unwrap(), &made);
    }

    #[test]
    fn a_commit_reads_as_the_work_tree() {
        let made = made("");
        let store = Store::open_at(made.root.clone(), "HEAD").unwrap();
        conformance(&store, &made);
        // The same report, byte for byte.
        let work_tree = Store::open(made.root.clone()).unwrap();
        let report = |store: &Store| {
            let period =
                Period::parse_month("2026-11", t("2026-12-01T00:00:00+08:00").0.date_naive())
                    .unwrap();
            let input =
                report_input(store, period, 3, t("2026-12-01T09:00:00+08:00"), true).unwrap();
            let mut csv = Vec::new();
            for section in input.report(store, GroupBy::Channel).sections() {
                section.records.write_csv(&mut csv, false, false).unwrap();
            }
            csv
        };
        assert_eq!(report(&store), report(&work_tree));
    }

    #[test]
    fn a_store_in_a_folder_of_the_repository_reads_as_its_work_tree() {
        let made = made("support/desk");
        conformance(&Store::open_at(made.root.clone(), "HEAD").unwrap(), &made);
        conformance(&Store::open(made.root.clone()).unwrap(), &made);
    }

    #[test]
    fn an_older_commit_is_read_with_its_own_files_and_desk_yaml() {
        let made = made("");
        let work_tree = Store::open(made.root.clone()).unwrap();
        work_tree
            .modify_ticket(&made.ids[0], t("2026-11-04T10:00:00+08:00"), "li.na", |t| {
                t.close(
                    "远程解决".into(),
                    None,
                    None,
                    t_at("2026-11-04T10:00:00+08:00"),
                    "li.na",
                )
            })
            .unwrap();
        let desk_yaml = made.root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&desk_yaml).unwrap();
        std::fs::write(
            &desk_yaml,
            text.replace("timezone: Asia/Shanghai", "timezone: UTC"),
        )
        .unwrap();
        git(&made.root, &["commit", "-q", "-a", "-m", "closed"]);

        let now = Store::open_at(made.root.clone(), "HEAD").unwrap();
        let before = Store::open_at(made.root.clone(), "HEAD~1").unwrap();
        assert_eq!(now.config.timezone, "UTC");
        assert_eq!(before.config.timezone, "Asia/Shanghai");
        let open = |store: &Store| {
            store
                .summaries_where(true, |s| s.status.is_open())
                .unwrap()
                .summaries
                .len()
        };
        assert_eq!((open(&before), open(&now)), (2, 1));
        assert_eq!(before.load_ticket(&made.ids[0]).unwrap().history.len(), 1);
        let by_hash =
            Store::open_at(made.root.clone(), &before.revision().unwrap().commit).unwrap();
        assert_eq!(open(&by_hash), 2);
    }

    #[test]
    fn a_commit_is_read_only_and_leaves_the_work_tree_alone() {
        let made = made("");
        let state = made.root.join(".desk");
        let listing = |dir: &Path| {
            let mut names: Vec<String> = walkdir::WalkDir::new(dir)
                .into_iter()
                .map(|e| e.unwrap().path().display().to_string())
                .collect();
            names.sort();
            names
        };
        let before = listing(&state);
        let index = std::fs::read(made.root.join(".git/index")).unwrap();
        let store = Store::open_at(made.root.clone(), "HEAD").unwrap();
        store.summaries_where(true, |_| true).unwrap();
        let refused = store
            .modify_ticket(
                &made.ids[0],
                t("2026-11-04T10:00:00+08:00"),
                "li.na",
                |_| Ok(()),
            )
            .unwrap_err()
            .to_string();
        assert!(refused.contains("read only"), "{refused}");
        assert!(store.placed_summaries_where(|_| true).is_err());
        assert_eq!(listing(&state), before, "no cache written for a commit");
        assert_eq!(std::fs::read(made.root.join(".git/index")).unwrap(), index);
        assert!(git(&made.root, &["status", "--porcelain"]).is_empty());
    }

    #[test]
    fn a_revision_git_does_not_know_is_refused_naming_it() {
        let made = made("");
        for asked in [
            "nope",
            "HEAD~5",
            "-p",
            "",
            "HEAD:tickets",
            "bad\u{1b}[31m",
            "HEAD\0",
        ] {
            let error = Store::open_at(made.root.clone(), asked)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("invalid --as-of revision '")
                    && error.contains("HEAD~1")
                    && !error.contains('\u{1b}'),
                "{error}"
            );
        }
        let outside = tempfile::tempdir().unwrap();
        Store::init(outside.path(), &Config::seed_defaults()).unwrap();
        let error = Store::open_at(outside.path().to_path_buf(), "HEAD")
            .unwrap_err()
            .to_string();
        assert!(error.contains("not in a git repository"), "{error}");
    }

    #[test]
    fn listed_paths_outside_the_store_are_left_out() {
        let oid = "0123456789012345678901234567890123456789";
        let listing = [
            format!("100644 blob {oid}      12\tdesk/tickets/a.yaml"),
            format!("100644 blob {oid}      12\tdesk/tickets/../../etc/passwd.yaml"),
            format!("100644 blob {oid}      12\tdesk/./tickets/b.yaml"),
            format!("100644 blob {oid}      12\tother/tickets/c.yaml"),
            format!("120000 blob {oid}       9\tdesk/customers/l.yaml"),
            format!("160000 commit {oid}       -\tdesk/tickets/sub.yaml"),
        ]
        .join("\0");
        let found = entries(listing.as_bytes(), "desk/");
        let paths: Vec<(&str, Kind)> = found.iter().map(|(p, e)| (p.as_str(), e.kind)).collect();
        assert_eq!(
            paths,
            [
                ("customers/l.yaml", Kind::Link),
                ("tickets/a.yaml", Kind::File),
                ("tickets/sub.yaml", Kind::Submodule)
            ]
        );
    }
}
