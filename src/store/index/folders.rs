//! Indexes kept per folder of `tickets/` ([`PerFolder`]): the workload
//! index (`workload.rs`) and the search index (`search.rs`). A command
//! that reads one pays a stat of each folder and of a few files instead of
//! a stat of every ticket file, which is what the ticket cache costs.
//!
//! How such an index stays true without a stat of every file:
//! - a folder whose identity is the one recorded, taken well after the
//!   folder last changed, lists the same files: creating, deleting or
//!   renaming a file changes it, and desk, git and most editors replace a
//!   file by renaming a new one over it or by deleting and re-creating it;
//! - a folder that changed is listed again and each of its files stat'ed
//!   (relative to the folder, on all cores): a file whose name, inode and
//!   identity are the recorded ones keeps its record, any other is parsed
//!   (git's re-created file may get the old inode back, `cp` over a file
//!   keeps it);
//! - the files an instance watches (open tickets), and every file that
//!   could not be read, are stat'ed each time: an edit in place of an open
//!   ticket is seen at once.
//!
//! What it can miss: an edit in place (the file kept, not replaced) of a
//! ticket the instance does not watch (a closed one), in a folder nothing
//! else changed (no file created, deleted or renamed in it) since. The
//! next change of the folder, or `desk cache rebuild`, brings it in.
//!
//! Files, in `.desk/cache/DIR/`: `folders.bin`, one head per folder (its
//! identity, its subfolders, the instance's summary of it, the files to
//! stat each time); one `f-HASH.bin` per folder with a record per file,
//! read only when the folder changed; and for an instance with a companion
//! (the search index's postings), one `p-HASH.bin` per folder, which the
//! head's summary must accept ([`PerFolder::fits`]). Each file carries a
//! checksum; a damaged or foreign one is rebuilt without a word. Files are
//! replaced atomically and each is whole, so racing commands need no lock:
//! a folder's records are true of the files they name whichever command
//! wrote them, and a companion that is not the head's is built again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::now_nanos;
use crate::error::{Error, Result};
use crate::model::{Ticket, TicketId};
use crate::store::checksum::checksum;
use crate::store::walk::entries;
use crate::store::{parse_ticket, read_file, FileKey, Store};

/// An index kept per folder of `tickets/`: what it records of each ticket,
/// what it keeps of each folder in the folder's head, and optionally a
/// companion file per folder built from the folder's records.
pub(super) trait PerFolder: 'static {
    /// What it keeps of one ticket file.
    type Record: Serialize + DeserializeOwned + Clone + Send + Sync;
    /// What it keeps of one folder, read on every use.
    type Summary: Serialize + DeserializeOwned + Clone;
    /// Its name in `desk cache stats`.
    const NAME: &'static str;
    /// Its folder in `.desk/cache/`.
    const DIR: &'static str;
    /// The first bytes of each of its files: the format. Change it when
    /// what a file holds changes.
    const MAGIC: &'static [u8; 8];
    /// Whether each folder has a companion file.
    const COMPANION: bool = false;

    fn derive(ticket: &Ticket) -> Self::Record;

    /// Whether a file of this record is stat'ed on every use.
    fn watched(record: &Self::Record) -> bool;

    /// The folder's summary, and its companion's bytes (with
    /// [`PerFolder::COMPANION`]), from its files' records (`None`: a file
    /// desk could not read).
    fn summarize(files: &[(&str, Option<&Self::Record>)]) -> (Self::Summary, Option<Vec<u8>>);

    /// Whether `companion` is the one `summary` was made with.
    fn fits(_summary: &Self::Summary, _companion: &[u8]) -> bool {
        true
    }

    /// Completes records read back from a folder's records file with what
    /// only its companion holds (`None`: none that fits), for an instance
    /// that keeps something once rather than in both (the search index's
    /// terms); returns the names it could not complete, which are parsed
    /// again.
    fn complete<'r>(
        _records: impl Iterator<Item = (&'r str, &'r mut Self::Record)>,
        _companion: Option<&[u8]>,
    ) -> Vec<String> {
        Vec::new()
    }
}

/// One file of a folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileRecord<R> {
    name: String,
    ino: u64,
    /// Its identity when parsed; none for anything but a regular file
    /// (a link is never read here).
    key: Option<FileKey>,
    /// None: not a ticket desk could read.
    record: Option<R>,
}

impl<R> FileRecord<R> {
    /// A file stat'ed each time: watched by the instance, or unreadable
    /// (a fix may make it a ticket).
    fn watched<P: PerFolder<Record = R>>(&self) -> bool {
        self.key.is_some() && self.record.as_ref().is_none_or(P::watched)
    }
}

/// A folder's head.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FolderHead<S> {
    /// Below `tickets/`, `/`-separated; empty for `tickets/` itself.
    rel: String,
    key: FileKey,
    /// When its records were taken, in nanoseconds since 1970.
    taken: i128,
    subfolders: Vec<String>,
    summary: S,
    /// The files stat'ed each time, with their identity when parsed.
    watched: Vec<(String, FileKey)>,
}

impl<S> FolderHead<S> {
    /// Whether the folder still lists the files recorded: same identity,
    /// taken after the window in which a change could keep it.
    fn lists_the_same(&self, now: &FileKey) -> bool {
        self.key == *now && now.newest_nanos() < self.taken - now.racy_nanos()
    }
}

/// A folder's records.
#[derive(Debug, Serialize, Deserialize)]
struct FolderBody<R> {
    rel: String,
    files: Vec<FileRecord<R>>,
}

/// One folder as a command sees it once the index is up to date.
pub(super) struct Folder<P: PerFolder> {
    /// Below `tickets/`, `/`-separated.
    pub rel: String,
    pub summary: P::Summary,
    /// Its companion file, with [`PerFolder::COMPANION`].
    pub companion: Vec<u8>,
}

/// Every folder, and the record of the ticket a command asked about.
pub(super) struct Folders<P: PerFolder> {
    pub folders: Vec<Folder<P>>,
    pub except: Option<P::Record>,
}

/// The largest file of an index read.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// Whether `name` is one plain file or folder name: not empty, no `/` or
/// `\\`, not `.` or `..`, no NUL.
pub(super) fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

pub(super) fn plain_rel(rel: &str) -> bool {
    rel.is_empty() || rel.split('/').all(plain)
}

/// What an index file names, checked before any of it is used as a path.
trait Names {
    fn names_plain(&self) -> bool;
}

impl<S> Names for Vec<FolderHead<S>> {
    fn names_plain(&self) -> bool {
        self.iter().all(|h| {
            plain_rel(&h.rel)
                && h.subfolders.iter().all(|s| plain(s))
                && h.watched.iter().all(|(n, _)| plain(n))
        })
    }
}

impl<R> Names for FolderBody<R> {
    fn names_plain(&self) -> bool {
        plain_rel(&self.rel) && self.files.iter().all(|f| plain(&f.name))
    }
}

/// `magic`, the value, its checksum.
fn encode<T: Serialize>(magic: &[u8; 8], value: &T) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    bytes = postcard::to_extend(value, bytes).expect("records serialise");
    let sum = checksum(&bytes[magic.len()..]);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

fn decode<T: DeserializeOwned>(magic: &[u8; 8], bytes: &[u8]) -> Option<T> {
    let body = bytes.strip_prefix(magic.as_slice())?;
    let (value, sum) = body.split_at_checked(body.len().checked_sub(8)?)?;
    (checksum(value).to_le_bytes() == sum).then_some(())?;
    postcard::from_bytes(value).ok()
}

const HEADS: &str = "folders.bin";

/// A folder's records file: named by a hash of the folder's path, never by
/// the path itself (names under `tickets/` are data).
fn body_file(rel: &str) -> String {
    format!("f-{:016x}.bin", checksum(rel.as_bytes()))
}

/// A folder's companion file.
fn companion_file(rel: &str) -> String {
    format!("p-{:016x}.bin", checksum(rel.as_bytes()))
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// A folder listed afresh: its records, summary and companion.
struct Fresh<P: PerFolder> {
    body: FolderBody<P::Record>,
    companion: Option<Vec<u8>>,
}

impl Store {
    pub(super) fn folder_index_dir<P: PerFolder>(&self) -> PathBuf {
        self.state_dir().join("cache").join(P::DIR)
    }

    /// Whether index `P` has been built in this clone (its heads exist,
    /// whole or not).
    pub(super) fn folder_index_exists<P: PerFolder>(&self) -> bool {
        std::fs::symlink_metadata(self.folder_index_dir::<P>().join(HEADS))
            .is_ok_and(|m| m.is_file())
    }

    /// A file of the index, whole; too large a file is not read at all.
    fn read_folder_file<P: PerFolder>(&self, file: &str) -> Option<Vec<u8>> {
        let path = self.folder_index_dir::<P>().join(file);
        if std::fs::symlink_metadata(&path).ok()?.len() > MAX_FILE_BYTES {
            return None;
        }
        crate::store::read::read_state(&path).ok()
    }

    /// A file of the index decoded, if it is whole and names nothing but
    /// plain file names (a crafted one could name `..`).
    fn read_folder_value<P: PerFolder, T: DeserializeOwned + Names>(
        &self,
        file: &str,
    ) -> Option<T> {
        let bytes = self.read_folder_file::<P>(file)?;
        decode::<T>(P::MAGIC, &bytes).filter(|v| v.names_plain())
    }

    fn read_folder_body<P: PerFolder>(&self, rel: &str) -> Option<FolderBody<P::Record>> {
        self.read_folder_value::<P, FolderBody<P::Record>>(&body_file(rel))
            .filter(|b| b.rel == rel)
    }

    /// Every folder of `tickets/` as index `P` keeps it, brought up to date
    /// (see the module's documentation); and the record of `except`, the
    /// ticket a command asked about, if readable.
    pub(super) fn folders<P: PerFolder>(&self, except: Option<&TicketId>) -> Result<Folders<P>> {
        crate::store::read::real_dirs(&self.root, Path::new("tickets"))?;
        // Its own folder is written into: never through a link. A stray
        // file there stops only the commands that use this index, and
        // `desk cache clear` removes it.
        let own = Path::new(crate::store::STATE_DIR)
            .join("cache")
            .join(P::DIR);
        crate::store::read::real_dirs(&self.root, &own)
            .map_err(|e| Error::Refused(format!("{e}; `desk cache clear` removes it")))?;
        let started = now_nanos();
        let mut old: HashMap<String, FolderHead<P::Summary>> = self
            .read_folder_value::<P, Vec<FolderHead<P::Summary>>>(HEADS)
            .unwrap_or_default()
            .into_iter()
            .map(|h| (h.rel.clone(), h))
            .collect();
        let except_at = except.and_then(|id| {
            let rel = id.relative_path();
            let rel = rel.strip_prefix("tickets").ok()?;
            let folder = rel.parent()?.to_str()?.to_string();
            let name = rel.file_name()?.to_str()?.to_string();
            Some((folder, name))
        });
        // The watched and unreadable files recorded, stat'ed on all cores:
        // most of what a use of an unchanged index costs.
        let probes: Vec<(&str, &str)> = old
            .values()
            .flat_map(|h| {
                h.watched
                    .iter()
                    .map(|(name, _)| (h.rel.as_str(), name.as_str()))
            })
            .collect();
        let found = self.stat_in_folders(&probes);
        let mut watched_now: HashMap<String, Vec<Option<FileKey>>> = HashMap::new();
        for ((rel, _), key) in probes.iter().zip(found) {
            watched_now.entry(rel.to_string()).or_default().push(key);
        }
        drop(probes);
        // Built from nothing: every ticket file is parsed, which at scale
        // takes seconds; how far it has come is shown (on a terminal).
        let total = if old.is_empty() {
            use super::Folder as _;
            super::tickets::Tickets::files(self, false).map_or(0, |f| f.len())
        } else {
            0
        };
        let what = format!("indexing tickets ({})", P::NAME);
        let mut done = 0;
        let mut except_record = None;
        let mut heads: Vec<FolderHead<P::Summary>> = Vec::new();
        let mut folders: Vec<Folder<P>> = Vec::new();
        let mut fresh: Vec<Fresh<P>> = Vec::new();
        let mut changed = false;
        let mut pending = vec![String::new()];
        while let Some(rel) = pending.pop() {
            let path = self.tickets_dir().join(&rel);
            let key = match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => FileKey::of(&meta),
                // Gone, or no longer a folder since its parent was listed:
                // it holds no ticket desk reads.
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(path, e)),
            };
            let prior = old.remove(&rel);
            // Watched and unreadable files, edited in place or not: parsed
            // again when changed, or changed too close to when they were
            // parsed for their identity to tell.
            let now = watched_now.remove(&rel).unwrap_or_default();
            let stale: Vec<String> = prior.as_ref().map_or_else(Vec::new, |head| {
                head.watched
                    .iter()
                    .zip(now.iter().chain(std::iter::repeat(&None)))
                    .filter(|((_, was), now)| {
                        was.newest_nanos() >= head.taken - was.racy_nanos() || **now != Some(*was)
                    })
                    .map(|((name, _), _)| name.clone())
                    .collect()
            });
            if let Some(head) = prior.as_ref() {
                if stale.is_empty() && head.lists_the_same(&key) {
                    let companion = if P::COMPANION {
                        self.read_folder_file::<P>(&companion_file(&rel))
                            .filter(|c| P::fits(&head.summary, c))
                    } else {
                        Some(Vec::new())
                    };
                    if let Some(companion) = companion {
                        let head = prior.expect("matched");
                        if let Some((_, name)) = except_at.as_ref().filter(|(f, _)| *f == rel) {
                            except_record = self
                                .read_folder_body::<P>(&rel)
                                .and_then(|b| b.files.into_iter().find(|f| f.name == *name))
                                .and_then(|f| f.record);
                        }
                        pending.extend(head.subfolders.iter().map(|s| join(&rel, s)));
                        folders.push(Folder {
                            rel: rel.clone(),
                            summary: head.summary.clone(),
                            companion,
                        });
                        heads.push(head);
                        continue;
                    }
                }
            }
            // Listed again: records kept by name and inode, the rest parsed.
            let mut recorded: HashMap<String, FileRecord<P::Record>> = prior
                .as_ref()
                .and_then(|_| self.read_folder_body::<P>(&rel))
                .map(|b| b.files.into_iter().map(|f| (f.name.clone(), f)).collect())
                .unwrap_or_default();
            if P::COMPANION && !recorded.is_empty() {
                let old = prior.as_ref().and_then(|head| {
                    self.read_folder_file::<P>(&companion_file(&rel))
                        .filter(|c| P::fits(&head.summary, c))
                });
                let records = recorded
                    .iter_mut()
                    .filter_map(|(name, f)| Some((name.as_str(), f.record.as_mut()?)));
                for name in P::complete(records, old.as_deref()) {
                    recorded.remove(&name);
                }
            }
            let taken = prior.as_ref().map_or(i128::MIN, |h| h.taken);
            let (body, subfolders) = self.list_folder::<P>(&rel, &path, recorded, &stale, taken)?;
            if total > 0 {
                done += body.files.len();
                self.notices.progress(&what, done.min(total), total);
            }
            if let Some((_, name)) = except_at.as_ref().filter(|(f, _)| *f == rel) {
                except_record = body
                    .files
                    .iter()
                    .find(|f| f.name == *name)
                    .and_then(|f| f.record.clone());
            }
            let of_files: Vec<(&str, Option<&P::Record>)> = body
                .files
                .iter()
                .filter(|f| f.key.is_some())
                .map(|f| (f.name.as_str(), f.record.as_ref()))
                .collect();
            let (summary, companion) = P::summarize(&of_files);
            pending.extend(subfolders.iter().map(|s| join(&rel, s)));
            heads.push(FolderHead {
                watched: body
                    .files
                    .iter()
                    .filter(|f| f.watched::<P>())
                    .filter_map(|f| Some((f.name.clone(), f.key?)))
                    .collect(),
                rel: rel.clone(),
                key,
                taken: started,
                subfolders,
                summary: summary.clone(),
            });
            folders.push(Folder {
                rel,
                summary,
                companion: companion.clone().unwrap_or_default(),
            });
            fresh.push(Fresh { body, companion });
            changed = true;
        }
        if total > 0 {
            self.notices.progress(&what, total, total);
        }
        // Folders no longer there.
        changed |= !old.is_empty();
        if changed {
            self.write_folder_index::<P>(&heads, &fresh, old.keys());
        }
        folders.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(Folders {
            folders,
            except: except_record,
        })
    }

    /// The identity of each (folder, file name) of `probes`, on all cores;
    /// none for a file that cannot be stat'ed. Probes of one folder come
    /// together.
    fn stat_in_folders(&self, probes: &[(&str, &str)]) -> Vec<Option<FileKey>> {
        let tickets = self.tickets_dir();
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let mut folders: Vec<(&str, Option<std::fs::File>)> = Vec::new();
            for (rel, _) in probes {
                if folders.last().is_none_or(|(r, _)| r != rel) {
                    let open = std::fs::OpenOptions::new()
                        .read(true)
                        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
                        .open(tickets.join(rel))
                        .ok();
                    folders.push((rel, open));
                }
            }
            let mut at = 0;
            let indexed: Vec<(usize, &str)> = probes
                .iter()
                .map(|(rel, name)| {
                    if folders[at].0 != *rel {
                        at += 1;
                    }
                    (at, *name)
                })
                .collect();
            crate::parallel::map(&indexed, |&(i, name)| {
                FileKey::in_dir(folders[i].1.as_ref()?, name)
            })
        }
        #[cfg(not(unix))]
        crate::parallel::map(probes, |(rel, name)| {
            std::fs::symlink_metadata(tickets.join(rel).join(name))
                .ok()
                .map(|m| FileKey::of(&m))
        })
    }

    /// The records of one folder's files, read afresh: those of
    /// `recorded` whose name and inode are listed again are kept (unless
    /// `stale`), the others parsed. And its subfolders' names.
    fn list_folder<P: PerFolder>(
        &self,
        rel: &str,
        path: &Path,
        mut recorded: HashMap<String, FileRecord<P::Record>>,
        stale: &[String],
        taken: i128,
    ) -> Result<(FolderBody<P::Record>, Vec<String>)> {
        let mut files = Vec::new();
        let mut subfolders = Vec::new();
        let mut to_parse = Vec::new();
        let mut kept = Vec::new();
        for entry in entries(path)? {
            if entry.name.starts_with('.') {
                continue;
            }
            let yaml = entry.name.ends_with(".yaml");
            if entry.file_type.is_dir() && !yaml {
                subfolders.push(entry.name);
                continue;
            }
            if !yaml {
                continue;
            }
            match recorded.remove(&entry.name) {
                Some(r) if r.ino == entry.ino && !stale.contains(&r.name) => {
                    kept.push(files.len());
                    files.push(r);
                }
                _ => {
                    if entry.file_type.is_file() {
                        to_parse.push(files.len());
                    }
                    files.push(FileRecord {
                        name: entry.name,
                        ino: entry.ino,
                        key: None,
                        record: None,
                    });
                }
            }
        }
        // A record kept by name and inode is trusted only with the same
        // identity, taken well after the file last changed: git replaces a
        // file by deleting and creating it, and the file system may give
        // the new one the old inode; `cp` over a file keeps it.
        let probes: Vec<(&str, &str)> = kept
            .iter()
            .filter(|&&i| files[i].key.is_some())
            .map(|&i| (rel, files[i].name.as_str()))
            .collect();
        let now = self.stat_in_folders(&probes);
        let mut probed = now.into_iter();
        for &i in &kept {
            let Some(was) = files[i].key else { continue };
            let now = probed.next().flatten();
            if now != Some(was) || was.newest_nanos() >= taken.saturating_sub(was.racy_nanos()) {
                to_parse.push(i);
            }
        }
        let parsed = crate::parallel::map(&to_parse, |&i| {
            let file = path.join(&files[i].name);
            // The identity first: a change after it is seen next time.
            let key = std::fs::symlink_metadata(&file)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| FileKey::of(&m));
            let record = key.and_then(|_| {
                let shown = self.display_path(&file);
                let text = read_file(&file, shown).ok()?;
                parse_ticket(&text, shown).ok().map(|t| P::derive(&t))
            });
            (key, record)
        });
        for (&i, (key, record)) in to_parse.iter().zip(parsed) {
            files[i].key = key;
            files[i].record = record;
        }
        Ok((
            FolderBody {
                rel: rel.to_string(),
                files,
            },
            subfolders,
        ))
    }

    /// Writes the folders' records listed afresh and their companions, then
    /// the heads, and removes the files of folders gone. Best effort: the
    /// index is rebuilt whenever in doubt.
    fn write_folder_index<'a, P: PerFolder>(
        &self,
        heads: &[FolderHead<P::Summary>],
        fresh: &[Fresh<P>],
        gone: impl Iterator<Item = &'a String>,
    ) {
        let dir = self.folder_index_dir::<P>();
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        self.sweep_before_write(&dir, None);
        let put = |file: &str, bytes: &[u8]| {
            let _ = crate::store::fsio::replace_unsynced(&dir.join(file), |w| w.write_all(bytes));
        };
        // Records before heads: a head never names records not yet written
        // (and a folder's records are checked against its path anyway).
        for f in fresh {
            put(&body_file(&f.body.rel), &encode(P::MAGIC, &f.body));
            if let Some(companion) = &f.companion {
                put(&companion_file(&f.body.rel), companion);
            }
        }
        let mut heads = heads.to_vec();
        heads.sort_by(|a, b| a.rel.cmp(&b.rel));
        put(HEADS, &encode(P::MAGIC, &heads));
        for rel in gone {
            let _ = std::fs::remove_file(dir.join(body_file(rel)));
            let _ = std::fs::remove_file(dir.join(companion_file(rel)));
        }
    }

    /// `desk cache stats` of index `P`: its records, and those of folders
    /// unchanged since (which a command would reuse).
    pub(super) fn folder_index_stats<P: PerFolder>(&self) -> Result<super::CacheStats> {
        use super::Folder as _;
        let dir = self.folder_index_dir::<P>();
        let own = Path::new(crate::store::STATE_DIR)
            .join("cache")
            .join(P::DIR);
        crate::store::read::real_dirs(&self.root, &own)?;
        let bytes = entries(&dir)?
            .iter()
            .filter_map(|e| std::fs::symlink_metadata(&e.path).ok())
            .map(|m| m.len())
            .reduce(|a, b| a + b);
        let heads = self
            .read_folder_value::<P, Vec<FolderHead<P::Summary>>>(HEADS)
            .unwrap_or_default();
        let (mut records, mut fresh) = (0, 0);
        for head in &heads {
            let Some(body) = self.read_folder_body::<P>(&head.rel) else {
                continue;
            };
            records += body.files.len();
            let now = std::fs::symlink_metadata(self.tickets_dir().join(&head.rel))
                .ok()
                .map(|m| FileKey::of(&m));
            if now.is_some_and(|k| head.lists_the_same(&k)) {
                fresh += body.files.len();
            }
        }
        Ok(super::CacheStats {
            name: P::NAME,
            path: dir,
            bytes,
            entries: records,
            files: super::tickets::Tickets::files(self, false)?.len(),
            fresh,
        })
    }

    /// Removes index `P`; whether there was one.
    pub(super) fn forget_folder_index<P: PerFolder>(&self) -> Result<bool> {
        let dir = self.folder_index_dir::<P>();
        // A link or a file where the folder should be: removed itself,
        // never what a link points at.
        if std::fs::symlink_metadata(&dir).is_ok_and(|m| !m.is_dir()) {
            std::fs::remove_file(&dir).map_err(|e| Error::io(&dir, e))?;
            return Ok(true);
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(dir, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_or_foreign_files_decode_to_nothing() {
        let head: Vec<FolderHead<()>> = Vec::new();
        let mut bytes = encode(b"DESKT000", &head);
        assert!(decode::<Vec<FolderHead<()>>>(b"DESKT000", &bytes).is_some());
        assert!(decode::<Vec<FolderHead<()>>>(b"DESKT001", &bytes).is_none());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(decode::<Vec<FolderHead<()>>>(b"DESKT000", &bytes).is_none());
        assert!(decode::<Vec<FolderHead<()>>>(b"DESKT000", b"DESKT000").is_none());
        assert!(decode::<Vec<FolderHead<()>>>(b"DESKT000", b"").is_none());
    }

    #[test]
    fn crafted_names_are_refused() {
        let body = |rel: &str, name: &str| FolderBody::<()> {
            rel: rel.into(),
            files: vec![FileRecord {
                name: name.into(),
                ino: 1,
                key: None,
                record: None,
            }],
        };
        assert!(body("2026/11", "CW202611020001.yaml").names_plain());
        assert!(!body("2026/../..", "x.yaml").names_plain());
        assert!(!body("2026/11", "../x.yaml").names_plain());
        assert!(!body("/etc", "x.yaml").names_plain());
    }
}
