//! The workload index (`.desk/cache/workload/`): what routing needs of
//! every ticket (its assignee, whether it is open, when it was created),
//! kept per folder of `tickets/`, so that an assignment by a role's
//! strategy costs a stat of each folder and of each open ticket rather than
//! a stat of every file.
//!
//! How it stays true without a stat of every file:
//! - a folder whose identity is the one recorded, taken well after the
//!   folder last changed, lists the same files: creating, deleting or
//!   renaming a file changes it, and desk, git and most editors replace a
//!   file by renaming a new one over it or by deleting and re-creating it;
//! - a folder that changed is listed again and each of its files stat'ed
//!   (relative to the folder, on all cores): a file whose name, inode and
//!   identity are the recorded ones keeps its record, any other is parsed
//!   (git's re-created file may get the old inode back, `cp` over a file
//!   keeps it);
//! - every open ticket, and every file that could not be read, is stat'ed
//!   each time: an edit in place that closes or reassigns an open ticket is
//!   seen at once.
//!
//! What it can miss: an edit in place (the file kept, not replaced) that
//! reopens or reassigns a closed ticket, in a folder nothing else changed
//! (no file created, deleted or renamed in it).
//! That shifts which agent a role's strategy picks, never a ticket's data;
//! `desk cache rebuild` (or clear) starts the index afresh.
//!
//! Files: `folders.bin`, one head per folder (its identity, its
//! subfolders, the load of each agent, the files to stat each time), and
//! one `f-HASH.bin` per folder with a record per file, read only when the
//! folder changed. Each file carries a checksum; a damaged or foreign one
//! is rebuilt without a word. Files are replaced atomically and each is
//! whole, so racing commands need no lock: a folder's records are true of
//! the files they name whichever command wrote them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::now_nanos;
use crate::error::{Error, Result};
use crate::model::{Summary, Ticket, TicketId};
use crate::store::checksum::checksum;
use crate::store::walk::entries;
use crate::store::{parse_ticket, read_file, FileKey, Store};

/// The first bytes of each file of the index: the format. Change it when
/// what a file holds changes.
const MAGIC: &[u8; 8] = b"DESKW002";
/// The index's folder in `.desk/cache/`.
const DIR: &str = "workload";
const HEADS: &str = "folders.bin";

/// What routing needs of one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub id: String,
    /// The ID's serial, for IDs of desk's shape: "newest" compares it as
    /// a number.
    pub serial: Option<u32>,
    pub assignee: Option<String>,
    pub open: bool,
    /// When it was created, in nanoseconds since 1970 (UTC).
    pub created: i128,
}

impl Fact {
    fn of(ticket: &Ticket) -> Fact {
        Fact {
            serial: TicketId::parse(&ticket.id).map(|id| id.serial),
            id: ticket.id.clone(),
            assignee: ticket.assignee.clone(),
            open: ticket.status.is_open(),
            created: nanos(
                ticket.created.0.timestamp(),
                ticket.created.0.timestamp_subsec_nanos(),
            ),
        }
    }

    fn of_summary(s: &Summary) -> Fact {
        Fact {
            serial: TicketId::parse(&s.id).map(|id| id.serial),
            id: s.id.to_string(),
            assignee: s.assignee.as_ref().map(ToString::to_string),
            open: s.status.is_open(),
            created: nanos(
                s.created.0.timestamp(),
                s.created.0.timestamp_subsec_nanos(),
            ),
        }
    }

    /// The order of "newest": by creation, then by serial as a number
    /// (CW…9905 before CW…10005), then by the ID's text for IDs of no known
    /// shape.
    pub fn newness(&self) -> (i128, Option<u32>, &str) {
        (self.created, self.serial, &self.id)
    }
}

fn nanos(secs: i64, sub: u32) -> i128 {
    i128::from(secs) * 1_000_000_000 + i128::from(sub)
}

/// One agent's tickets: how many are open, and the two newest (two, so
/// that the newest but one is known when the newest is the ticket being
/// changed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentLoad {
    pub open: u32,
    pub newest: Vec<Fact>,
}

impl AgentLoad {
    fn add(&mut self, fact: &Fact) {
        self.open += u32::from(fact.open);
        self.keep_if_newer(fact);
    }

    fn merge(&mut self, other: &AgentLoad) {
        self.open += other.open;
        for f in &other.newest {
            self.keep_if_newer(f);
        }
    }

    fn keep_if_newer(&mut self, fact: &Fact) {
        let at = self
            .newest
            .iter()
            .position(|n| fact.newness() > n.newness())
            .unwrap_or(self.newest.len());
        if at < 2 {
            self.newest.insert(at, fact.clone());
            self.newest.truncate(2);
        }
    }
}

/// Every agent's load over the store, and what it holds of the ticket a
/// command is changing (which routing leaves out).
#[derive(Debug, Default, PartialEq)]
pub struct Workload {
    pub agents: BTreeMap<String, AgentLoad>,
    pub except: Option<Fact>,
}

/// The loads of the agents of some tickets.
fn tally<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> BTreeMap<String, AgentLoad> {
    let mut agents: BTreeMap<String, AgentLoad> = BTreeMap::new();
    for fact in facts {
        if let Some(a) = &fact.assignee {
            agents.entry(a.clone()).or_default().add(fact);
        }
    }
    agents
}

/// One file of a folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileRecord {
    name: String,
    ino: u64,
    /// Its identity when parsed; none for anything but a regular file
    /// (a link is never read here, and counts for nobody).
    key: Option<FileKey>,
    /// None: not a ticket desk could read.
    fact: Option<Fact>,
}

impl FileRecord {
    /// A file stat'ed each time: open, or unreadable (a fix may make it
    /// an open ticket).
    fn watched(&self) -> bool {
        self.key.is_some() && self.fact.as_ref().is_none_or(|f| f.open)
    }
}

/// A folder's head.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FolderHead {
    /// Below `tickets/`, `/`-separated; empty for `tickets/` itself.
    rel: String,
    key: FileKey,
    /// When its records were taken, in nanoseconds since 1970.
    taken: i128,
    subfolders: Vec<String>,
    agents: BTreeMap<String, AgentLoad>,
    /// The files stat'ed each time, with their identity when parsed.
    watched: Vec<(String, FileKey)>,
}

impl FolderHead {
    fn of(
        rel: String,
        key: FileKey,
        taken: i128,
        subfolders: Vec<String>,
        files: &[FileRecord],
    ) -> Self {
        FolderHead {
            agents: tally(files.iter().filter_map(|f| f.fact.as_ref())),
            watched: files
                .iter()
                .filter(|f| f.watched())
                .filter_map(|f| Some((f.name.clone(), f.key?)))
                .collect(),
            rel,
            key,
            taken,
            subfolders,
        }
    }

    /// Whether the folder still lists the files recorded: same identity,
    /// taken after the window in which a change could keep it.
    fn lists_the_same(&self, now: &FileKey) -> bool {
        self.key == *now && now.newest_nanos() < self.taken - now.racy_nanos()
    }
}

/// A folder's records.
#[derive(Debug, Serialize, Deserialize)]
struct FolderBody {
    rel: String,
    files: Vec<FileRecord>,
}

/// The largest file of the index read: a million tickets need a few MB.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether `name` is one plain file or folder name: not empty, no `/` or
/// `\\`, not `.` or `..`, no NUL.
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// What an index file names, checked before any of it is used as a path.
trait Names {
    fn names_plain(&self) -> bool;
}

impl Names for Vec<FolderHead> {
    fn names_plain(&self) -> bool {
        self.iter().all(|h| {
            (h.rel.is_empty() || h.rel.split('/').all(plain))
                && h.subfolders.iter().all(|s| plain(s))
                && h.watched.iter().all(|(n, _)| plain(n))
        })
    }
}

impl Names for FolderBody {
    fn names_plain(&self) -> bool {
        (self.rel.is_empty() || self.rel.split('/').all(plain))
            && self.files.iter().all(|f| plain(&f.name))
    }
}

/// `MAGIC`, the value, its checksum.
fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes = postcard::to_extend(value, bytes).expect("records serialise");
    let sum = checksum(&bytes[MAGIC.len()..]);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let body = bytes.strip_prefix(MAGIC.as_slice())?;
    let (value, sum) = body.split_at_checked(body.len().checked_sub(8)?)?;
    (checksum(value).to_le_bytes() == sum).then_some(())?;
    postcard::from_bytes(value).ok()
}

/// A folder's records file: named by a hash of the folder's path, never by
/// the path itself (names under `tickets/` are data).
fn body_file(rel: &str) -> String {
    format!("f-{:016x}.bin", checksum(rel.as_bytes()))
}

impl Store {
    fn workload_dir(&self) -> PathBuf {
        self.state_dir().join("cache").join(DIR)
    }

    /// A file of the index, if it is whole and names nothing but plain
    /// file names (a crafted one could name `..`); too large a file is
    /// not read at all.
    fn read_workload_file<T: DeserializeOwned + Names>(&self, file: &str) -> Option<T> {
        let path = self.workload_dir().join(file);
        if std::fs::symlink_metadata(&path).ok()?.len() > MAX_FILE_BYTES {
            return None;
        }
        let bytes = crate::store::read::read_state(&path).ok()?;
        decode::<T>(&bytes).filter(|v| v.names_plain())
    }

    /// Every agent's load, from the workload index brought up to date; and
    /// what it records of `except`, the ticket a command is changing.
    pub fn workload(&self, except: Option<&TicketId>) -> Result<Workload> {
        if self.revision().is_some() {
            let scan = self.summaries_where(true, |_| true)?;
            let facts: Vec<Fact> = scan.summaries.iter().map(Fact::of_summary).collect();
            let except = except.and_then(|id| {
                let id = id.to_string();
                facts.iter().find(|f| f.id == id).cloned()
            });
            return Ok(Workload {
                agents: tally(&facts),
                except,
            });
        }
        crate::store::read::real_dirs(&self.root, Path::new("tickets"))?;
        let started = now_nanos();
        let mut old: HashMap<String, FolderHead> = self
            .read_workload_file::<Vec<FolderHead>>(HEADS)
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
        // The open and unreadable files recorded, stat'ed on all cores: most
        // of what a routing command costs.
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
        let mut except_fact = None;
        let mut heads: Vec<FolderHead> = Vec::new();
        let mut fresh: Vec<FolderBody> = Vec::new();
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
            // Open and unreadable files, edited in place or not: parsed
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
                    let head = prior.expect("matched");
                    if let Some((folder, name)) = except_at.as_ref().filter(|(f, _)| *f == rel) {
                        except_fact = self
                            .read_workload_file::<FolderBody>(&body_file(folder))
                            .filter(|b| b.rel == rel)
                            .and_then(|b| b.files.into_iter().find(|f| f.name == *name))
                            .and_then(|f| f.fact);
                    }
                    pending.extend(head.subfolders.iter().map(|s| join(&rel, s)));
                    heads.push(head);
                    continue;
                }
            }
            // Listed again: records kept by name and inode, the rest parsed.
            let recorded: HashMap<String, FileRecord> = prior
                .as_ref()
                .and_then(|_| self.read_workload_file::<FolderBody>(&body_file(&rel)))
                .filter(|b| b.rel == rel)
                .map(|b| b.files.into_iter().map(|f| (f.name.clone(), f)).collect())
                .unwrap_or_default();
            let taken = prior.as_ref().map_or(i128::MIN, |h| h.taken);
            let (body, subfolders) = self.list_folder(&rel, &path, recorded, &stale, taken)?;
            if let Some((_, name)) = except_at.as_ref().filter(|(f, _)| *f == rel) {
                except_fact = body
                    .files
                    .iter()
                    .find(|f| f.name == *name)
                    .and_then(|f| f.fact.clone());
            }
            pending.extend(subfolders.iter().map(|s| join(&rel, s)));
            heads.push(FolderHead::of(rel, key, started, subfolders, &body.files));
            fresh.push(body);
            changed = true;
        }
        // Folders no longer there.
        changed |= !old.is_empty();
        let agents = heads.iter().fold(BTreeMap::new(), |mut all, h| {
            for (agent, load) in &h.agents {
                all.entry(agent.clone())
                    .or_insert_with(AgentLoad::default)
                    .merge(load);
            }
            all
        });
        if changed {
            self.write_workload(&heads, &fresh, old.keys());
        }
        Ok(Workload {
            agents,
            except: except_fact,
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
    fn list_folder(
        &self,
        rel: &str,
        path: &Path,
        mut recorded: HashMap<String, FileRecord>,
        stale: &[String],
        taken: i128,
    ) -> Result<(FolderBody, Vec<String>)> {
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
                _ if !entry.file_type.is_file() => files.push(FileRecord {
                    name: entry.name,
                    ino: entry.ino,
                    key: None,
                    fact: None,
                }),
                _ => {
                    to_parse.push(files.len());
                    files.push(FileRecord {
                        name: entry.name,
                        ino: entry.ino,
                        key: None,
                        fact: None,
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
            let fact = key.and_then(|_| {
                let shown = self.display_path(&file);
                let text = read_file(&file, shown).ok()?;
                parse_ticket(&text, shown).ok().map(|t| Fact::of(&t))
            });
            (key, fact)
        });
        for (&i, (key, fact)) in to_parse.iter().zip(parsed) {
            files[i].key = key;
            files[i].fact = fact;
        }
        Ok((
            FolderBody {
                rel: rel.to_string(),
                files,
            },
            subfolders,
        ))
    }

    /// Writes the heads, the folders' records listed afresh, and removes
    /// the records of folders gone. Best effort: the index is rebuilt
    /// whenever in doubt.
    fn write_workload<'a>(
        &self,
        heads: &[FolderHead],
        fresh: &[FolderBody],
        gone: impl Iterator<Item = &'a String>,
    ) {
        let dir = self.workload_dir();
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        self.sweep_before_write(&dir, None);
        let put = |file: &str, bytes: Vec<u8>| {
            let _ = crate::store::fsio::replace_unsynced(&dir.join(file), |w| w.write_all(&bytes));
        };
        // Records before heads: a head never names records not yet written
        // (and a folder's records are checked against its path anyway).
        for body in fresh {
            put(&body_file(&body.rel), encode(body));
        }
        let mut heads = heads.to_vec();
        heads.sort_by(|a, b| a.rel.cmp(&b.rel));
        put(HEADS, encode(&heads));
        for rel in gone {
            let _ = std::fs::remove_file(dir.join(body_file(rel)));
        }
    }

    /// `desk cache stats` of the workload index: its records, and those of
    /// folders unchanged since (which a routing command would reuse).
    pub(in crate::store) fn workload_stats(&self) -> Result<super::CacheStats> {
        use super::Folder;
        let dir = self.workload_dir();
        let bytes = entries(&dir)?
            .iter()
            .filter_map(|e| std::fs::symlink_metadata(&e.path).ok())
            .map(|m| m.len())
            .reduce(|a, b| a + b);
        let heads = self
            .read_workload_file::<Vec<FolderHead>>(HEADS)
            .unwrap_or_default();
        let (mut records, mut fresh) = (0, 0);
        for head in &heads {
            let Some(body) = self
                .read_workload_file::<FolderBody>(&body_file(&head.rel))
                .filter(|b| b.rel == head.rel)
            else {
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
            name: "workload",
            path: dir,
            bytes,
            entries: records,
            files: super::tickets::Tickets::files(self, false)?.len(),
            fresh,
        })
    }

    /// Removes the workload index; whether there was one.
    pub(in crate::store) fn forget_workload(&self) -> Result<bool> {
        let dir = self.workload_dir();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(dir, e)),
        }
    }
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, assignee: &str, open: bool, created: i128) -> Fact {
        Fact {
            serial: TicketId::parse(id).map(|id| id.serial),
            id: id.into(),
            assignee: Some(assignee.into()),
            open,
            created,
        }
    }

    #[test]
    fn a_load_keeps_the_open_count_and_the_two_newest() {
        let facts = [
            fact("CW202611020001", "li.na", true, 1),
            fact("CW202611020003", "li.na", false, 3),
            fact("CW202611020002", "li.na", true, 3),
            fact("CW202611020004", "wang.qiang", false, 9),
        ];
        let agents = tally(&facts);
        let li = &agents["li.na"];
        assert_eq!(li.open, 2);
        let newest: Vec<&str> = li.newest.iter().map(|f| f.id.as_str()).collect();
        // The same time: the higher serial is newer.
        assert_eq!(newest, ["CW202611020003", "CW202611020002"]);
        // Merging folders adds counts and keeps the two newest overall.
        let mut all = agents["li.na"].clone();
        all.merge(&tally(&[fact("CW202611030001", "li.na", true, 7)])["li.na"]);
        assert_eq!(all.open, 3);
        assert_eq!(all.newest[0].id, "CW202611030001");
        assert_eq!(all.newest.len(), 2);
    }

    #[test]
    fn damaged_or_foreign_files_decode_to_nothing() {
        let head: Vec<FolderHead> = Vec::new();
        let mut bytes = encode(&head);
        assert!(decode::<Vec<FolderHead>>(&bytes).is_some());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(decode::<Vec<FolderHead>>(&bytes).is_none());
        assert!(decode::<Vec<FolderHead>>(b"DESKW000").is_none());
        assert!(decode::<Vec<FolderHead>>(b"").is_none());
    }
}
