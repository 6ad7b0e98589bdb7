//! Finding the files desk reads: the one place that lists a directory
//! ([`entries`]: sorted, no link followed, errors naming the directory), one
//! walker for `tickets/` (any depth) and `customers/` (one folder), and the
//! identity of each file found, by which the ticket cache and the customer
//! index know an unchanged file without reading it.

use std::path::{Path, PathBuf};
#[cfg(not(unix))]
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::read::{real_dirs, refused_kind};
use crate::error::{Error, Result};

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileKey {
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
    pub inode: u64,
}

impl FileKey {
    pub fn of(meta: &std::fs::Metadata) -> FileKey {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileKey {
                size: meta.size(),
                mtime: (meta.mtime(), meta.mtime_nsec() as u32),
                ctime: (meta.ctime(), meta.ctime_nsec() as u32),
                inode: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let since = |t: std::io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos()))
            };
            FileKey {
                size: meta.len(),
                mtime: since(meta.modified()),
                ctime: since(meta.created()),
                inode: 0,
            }
        }
    }

    /// The identity of `name` in the open directory `dir`, not following a
    /// link; none when it cannot be stat'ed. Relative to the directory, so
    /// the kernel does not walk the store's path again for each file.
    #[cfg(unix)]
    pub(super) fn in_dir(dir: &std::fs::File, name: &str) -> Option<FileKey> {
        use std::os::unix::io::AsRawFd;
        let name = std::ffi::CString::new(name).ok()?;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `name` is NUL-terminated, `st` is written by the call
        // before it is read, and only when it succeeds.
        let st = unsafe {
            if libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            ) != 0
            {
                return None;
            }
            st.assume_init()
        };
        Some(FileKey {
            size: st.st_size as u64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as u32),
            ctime: (st.st_ctime as i64, st.st_ctime_nsec as u32),
            inode: st.st_ino as u64,
        })
    }

    /// How close to a change a snapshot must not be trusted: a file system
    /// whose times carry fractions of a second (ext4, xfs, btrfs, APFS)
    /// stamps from a clock that ticks every 10 ms at most (the kernel's coarse
    /// clock at HZ=100), so 20 ms is enough; times in whole seconds (FAT, HFS+, ext3)
    /// get the full [`super::index::racy_nanos`]. A fine time that happens to
    /// fall on a whole second only costs the longer window.
    pub(super) fn racy_nanos(&self) -> i128 {
        let window = super::index::racy_nanos();
        if self.has_fine_times() {
            super::index::FINE_RACY_NANOS.min(window)
        } else {
            window
        }
    }

    /// Whether the file system stamps fractions of a second.
    pub(super) fn has_fine_times(&self) -> bool {
        self.mtime.1 != 0 || self.ctime.1 != 0
    }

    /// The later of the modification and change times, in nanoseconds.
    pub(super) fn newest_nanos(&self) -> i128 {
        let nanos = |(s, n): (i64, u32)| i128::from(s) * 1_000_000_000 + i128::from(n);
        nanos(self.mtime).max(nanos(self.ctime))
    }
}

/// How far a walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Depth {
    /// The folder itself (`customers/`).
    Flat,
    /// Every folder below it too (`tickets/` and its month folders).
    Deep,
}

/// One entry a walk found. Small, and holding no open directory: a walk
/// of a million tickets keeps a million of them.
#[derive(Debug)]
pub(super) struct Found {
    /// Relative to the walked folder, with `/` separators.
    pub rel: String,
    /// The inode number the directory lists (no `stat`).
    pub ino: u64,
    /// A regular file (not a link, directory, pipe...): only these are
    /// cached; reading any other reports it.
    pub regular: bool,
    /// The entry's own identity (not following a link), if the walk was
    /// asked to stat (see [`yaml_files`]).
    pub key: Option<FileKey>,
}

/// Every entry under the store's folder `rel_dir` that desk reads or must
/// report, sorted by relative path: names ending `.yaml` and not starting
/// with `.`, whatever their type (a directory or a pipe so named is listed,
/// and refused when read). A deep walk also lists every symbolic link, since
/// a linked month folder would otherwise hide its tickets without a word,
/// and reads folders on all cores. No link is followed, and a linked
/// `rel_dir` itself is an error; a missing one holds nothing.
///
/// With `stat`, each entry gets its identity, stat'ed relative to its open
/// directory (as `find` does) or, in a flat walk, on all cores once listed.
pub(super) fn yaml_files(
    root: &Path,
    rel_dir: &str,
    depth: Depth,
    stat: bool,
) -> Result<Vec<Found>> {
    use std::sync::{Condvar, Mutex};
    real_dirs(root, Path::new(rel_dir))?;
    let top = root.join(rel_dir);
    if !top.is_dir() {
        return Ok(Vec::new());
    }
    struct Work {
        dirs: Vec<(PathBuf, String)>,
        busy: usize,
    }
    let work = Mutex::new(Work {
        dirs: vec![(top.clone(), String::new())],
        busy: 0,
    });
    let wake = Condvar::new();
    let results: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let (threads, stat_in_walk) = match depth {
        Depth::Flat => (1, false),
        Depth::Deep => (crate::parallel::threads(), stat),
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut found = Vec::new();
                loop {
                    let (dir, rel) = {
                        let mut w = work.lock().expect("walk lock");
                        loop {
                            if let Some(next) = w.dirs.pop() {
                                w.busy += 1;
                                break next;
                            }
                            if w.busy == 0 {
                                wake.notify_all();
                                drop(w);
                                results.lock().expect("results").append(&mut found);
                                return;
                            }
                            w = wake.wait(w).expect("walk lock");
                        }
                    };
                    let mut subdirs = Vec::new();
                    let listed =
                        list_dir(&dir, &rel, depth, stat_in_walk, &mut found, &mut subdirs);
                    if let Err(e) = listed {
                        failure.lock().expect("failure").get_or_insert(e);
                    }
                    let mut w = work.lock().expect("walk lock");
                    w.dirs.extend(subdirs);
                    w.busy -= 1;
                    wake.notify_all();
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("failure") {
        return Err(e);
    }
    let mut files = results.into_inner().expect("results");
    files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    if stat && !stat_in_walk {
        let keys = crate::parallel::map(&files, |f| -> Result<FileKey> {
            let path = top.join(&f.rel);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            Ok(FileKey::of(&meta))
        });
        for (f, key) in files.iter_mut().zip(keys) {
            f.key = Some(key?);
        }
    }
    Ok(files)
}

/// [`yaml_files`] of a deep walk, given to `each` a run at a time in the
/// same order (by relative path), each run stat'ed (on all cores) when
/// `stat`: the files of one folder up to its next subfolder, then that
/// subfolder's, and so on. Memory holds the folders being walked (a month
/// folder, its year's folder...), not the whole listing. Folders are read
/// one after the other, without following any link.
pub(super) fn yaml_runs(
    root: &Path,
    rel_dir: &str,
    stat: bool,
    each: &mut dyn FnMut(Vec<Found>),
) -> Result<()> {
    real_dirs(root, Path::new(rel_dir))?;
    let top = root.join(rel_dir);
    if !top.is_dir() {
        return Ok(());
    }
    /// One entry of a folder being walked.
    struct Item {
        rel: String,
        entry: std::fs::DirEntry,
        file_type: std::fs::FileType,
        /// A folder to walk into, rather than an entry to list.
        deeper: bool,
    }
    /// A folder's entries to list or walk into, sorted so that the walk
    /// gives every path in order: a subfolder sorts as its name and a `/`.
    fn read(dir: &Path, rel: &str) -> Result<std::vec::IntoIter<Item>> {
        let mut items = Vec::new();
        each_entry(dir, Missing::Error, |name, entry, file_type| {
            if name.starts_with('.') {
                return Ok(());
            }
            let yaml = name.ends_with(".yaml");
            let deeper = file_type.is_dir() && !yaml;
            if deeper || yaml || file_type.is_symlink() {
                let mut rel = if rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel}/{name}")
                };
                if deeper {
                    rel.push('/');
                }
                items.push(Item {
                    rel,
                    entry,
                    file_type,
                    deeper,
                });
            }
            Ok(())
        })?;
        items.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        Ok(items.into_iter())
    }
    let flush = |run: &mut Vec<Item>, each: &mut dyn FnMut(Vec<Found>)| -> Result<()> {
        if run.is_empty() {
            return Ok(());
        }
        let keys: Vec<Option<FileKey>> = if stat {
            crate::parallel::map(run, |item| -> Result<Option<FileKey>> {
                // Relative to the open folder, without following a link.
                let meta = item
                    .entry
                    .metadata()
                    .map_err(|e| Error::io(item.entry.path(), e))?;
                Ok(Some(FileKey::of(&meta)))
            })
            .into_iter()
            .collect::<Result<_>>()?
        } else {
            vec![None; run.len()]
        };
        let found = run
            .drain(..)
            .zip(keys)
            .map(|(item, key)| Found {
                ino: ino(&item.entry),
                regular: refused_kind(&item.file_type).is_none(),
                rel: item.rel,
                key,
            })
            .collect();
        each(found);
        Ok(())
    };
    let mut stack = vec![read(&top, "")?];
    let mut run: Vec<Item> = Vec::new();
    while let Some(items) = stack.last_mut() {
        match items.next() {
            Some(item) if item.deeper => {
                flush(&mut run, each)?;
                let rel = item.rel.trim_end_matches('/');
                stack.push(read(&item.entry.path(), rel)?);
            }
            Some(item) => run.push(item),
            None => {
                stack.pop();
            }
        }
    }
    flush(&mut run, each)
}

/// One entry directly in a directory.
#[derive(Debug)]
pub(super) struct Entry {
    pub name: String,
    pub path: PathBuf,
    /// The entry's own type: a link is a link, not what it points to.
    pub file_type: std::fs::FileType,
    /// The inode number the directory lists (no `stat`).
    pub ino: u64,
}

/// The entries directly in `dir`, sorted by name; nothing when `dir` does
/// not exist. No link is followed (each entry's type is its own); a name
/// that is not UTF-8 is no name desk gives or can show, and is skipped.
/// Errors name the directory.
pub(super) fn entries(dir: &Path) -> Result<Vec<Entry>> {
    let mut found = Vec::new();
    each_entry(dir, Missing::Empty, |name, entry, file_type| {
        found.push(Entry {
            name: name.to_string(),
            path: entry.path(),
            file_type,
            ino: ino(&entry),
        });
        Ok(())
    })?;
    found.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Whether `dir` can be listed and holds anything (`desk demo` makes its
/// store only in a new or empty folder).
pub fn holds_anything(dir: &Path) -> bool {
    let mut any = false;
    let _ = each_entry(dir, Missing::Empty, |_, _, _| {
        any = true;
        Ok(())
    });
    any
}

/// Every entry below `dir`, sorted by path, each folder's entries after
/// it; `descend` decides which folders are entered. A link is never
/// entered (its type is its own). Nothing when `dir` does not exist.
pub(super) fn tree(dir: &Path, descend: &dyn Fn(&Entry) -> bool) -> Result<Vec<Entry>> {
    let mut found = Vec::new();
    for entry in entries(dir)? {
        let deeper = entry.file_type.is_dir() && descend(&entry);
        let path = entry.path.clone();
        found.push(entry);
        if deeper {
            found.extend(tree(&path, descend)?);
        }
    }
    Ok(found)
}

/// What a directory that does not exist is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    /// One with nothing in it.
    Empty,
    /// An error: a walk lists only folders it found.
    Error,
}

/// Calls `each` with every entry directly in `dir`, in the directory's
/// order, with its name (UTF-8 ones only) and its own type: the one
/// `read_dir` of desk.
fn each_entry(
    dir: &Path,
    missing: Missing,
    mut each: impl FnMut(&str, std::fs::DirEntry, std::fs::FileType) -> Result<()>,
) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && missing == Missing::Empty => {
            return Ok(())
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // The file type is the entry's own: a link is not followed.
        let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        each(name, entry, file_type)?;
    }
    Ok(())
}

/// Reads one directory: the entries to list, and (deep) its subdirectories.
fn list_dir(
    dir: &Path,
    rel: &str,
    depth: Depth,
    stat: bool,
    files: &mut Vec<Found>,
    subdirs: &mut Vec<(PathBuf, String)>,
) -> Result<()> {
    each_entry(dir, Missing::Error, |name, entry, file_type| {
        if name.starts_with('.') {
            return Ok(());
        }
        let path = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        let yaml = name.ends_with(".yaml");
        let listed = match depth {
            Depth::Flat => yaml,
            Depth::Deep if file_type.is_dir() && !yaml => {
                subdirs.push((entry.path(), path.clone()));
                false
            }
            Depth::Deep => file_type.is_symlink() || yaml,
        };
        if !listed {
            return Ok(());
        }
        let key = if stat {
            // DirEntry::metadata stats relative to the open directory,
            // without following a link.
            let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
            Some(FileKey::of(&meta))
        } else {
            None
        };
        files.push(Found {
            rel: path,
            ino: ino(&entry),
            regular: refused_kind(&file_type).is_none(),
            key,
        });
        Ok(())
    })
}

#[cfg(unix)]
fn ino(entry: &std::fs::DirEntry) -> u64 {
    std::os::unix::fs::DirEntryExt::ino(entry)
}

#[cfg(not(unix))]
fn ino(_: &std::fs::DirEntry) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_listed_sorted_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["b.yaml", "a.yaml", ".hidden", "c.jsonl"] {
            std::fs::write(d.join(name), "x").unwrap();
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("sub"), d.join("link")).unwrap();
        let found = entries(d).unwrap();
        let names: Vec<&str> = found.iter().map(|e| e.name.as_str()).collect();
        #[cfg(unix)]
        assert_eq!(
            names,
            [".hidden", "a.yaml", "b.yaml", "c.jsonl", "link", "sub"]
        );
        #[cfg(unix)]
        assert!(found[4].file_type.is_symlink() && !found[4].file_type.is_dir());
        assert_eq!(found[1].path, d.join("a.yaml"));
        // Missing is empty; a file is not a directory, and the error names it.
        assert!(entries(&d.join("none")).unwrap().is_empty());
        let err = entries(&d.join("a.yaml")).unwrap_err().to_string();
        assert!(err.contains("a.yaml"), "{err}");
    }

    #[test]
    fn a_walk_in_runs_lists_what_a_whole_walk_lists_in_the_same_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("tickets");
        for sub in [
            "2026/10",
            "2026/1a",
            "2026/x.yaml",
            "2025/12",
            "2026/10/deep",
            ".hidden",
        ] {
            std::fs::create_dir_all(t.join(sub)).unwrap();
        }
        for file in [
            "2026/10/b.yaml",
            "2026/10/a.yaml",
            "2026/10.yaml",
            "2026/1.yaml",
            "2026/1a/c.yaml",
            "2026/10/deep/d.yaml",
            "2026/10/e.txt",
            "2026/10/.f.yaml",
            "2025/12/g.yaml",
            "2025.yaml",
            ".hidden/h.yaml",
            "top.yaml",
        ] {
            std::fs::write(t.join(file), "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(t.join("2025"), t.join("2026/10/link")).unwrap();
        for stat in [false, true] {
            let whole: Vec<(String, Option<FileKey>, bool)> =
                yaml_files(dir.path(), "tickets", Depth::Deep, stat)
                    .unwrap()
                    .into_iter()
                    .map(|f| (f.rel, f.key, f.regular))
                    .collect();
            let mut runs = Vec::new();
            yaml_runs(dir.path(), "tickets", stat, &mut |run| {
                assert!(!run.is_empty());
                runs.extend(run.into_iter().map(|f| (f.rel, f.key, f.regular)));
            })
            .unwrap();
            assert_eq!(runs, whole);
            assert_eq!(stat, runs.iter().all(|(_, key, _)| key.is_some()));
        }
        let names: Vec<String> = yaml_files(dir.path(), "tickets", Depth::Deep, false)
            .unwrap()
            .into_iter()
            .map(|f| f.rel)
            .collect();
        #[cfg(unix)]
        assert_eq!(
            names,
            [
                "2025.yaml",
                "2025/12/g.yaml",
                "2026/1.yaml",
                "2026/10.yaml",
                "2026/10/a.yaml",
                "2026/10/b.yaml",
                "2026/10/deep/d.yaml",
                "2026/10/link",
                "2026/1a/c.yaml",
                "2026/x.yaml",
                "top.yaml"
            ]
        );
        let mut none = 0;
        yaml_runs(dir.path(), "missing", true, &mut |_| none += 1).unwrap();
        assert_eq!(none, 0);
    }

    #[test]
    fn a_tree_enters_the_folders_asked_for_and_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["b/c", "a", ".git"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        for file in ["b/c/x.yaml", "a/y.yaml", ".git/HEAD", "z"] {
            std::fs::write(d.join(file), "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("b"), d.join("a/link")).unwrap();
        let found = tree(d, &|e| e.name != ".git").unwrap();
        let rel: Vec<String> = found
            .iter()
            .map(|e| {
                e.path
                    .strip_prefix(d)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        #[cfg(unix)]
        assert_eq!(
            rel,
            [
                ".git",
                "a",
                "a/link",
                "a/y.yaml",
                "b",
                "b/c",
                "b/c/x.yaml",
                "z"
            ]
        );
        assert!(tree(&d.join("none"), &|_| true).unwrap().is_empty());
    }
}
