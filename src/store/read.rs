//! Reading the store's own files (tickets, customers, desk.yaml, holiday
//! files): the one place that opens one. A store is shared through git, so
//! its files are untrusted:
//! - no symbolic link is followed and only regular files are opened, so a
//!   link to a key or to `/etc/passwd` is refused, never read, and a FIFO
//!   cannot block a command;
//! - a file over [`MAX_FILE_BYTES`] is refused from its metadata, unread;
//! - their YAML is parsed by [`crate::yaml::from_yaml`], which refuses
//!   nesting deeper than [`crate::yaml::MAX_DEPTH`] before the parser sees
//!   it (libyaml's time grows with the square of the flow depth);
//! - a UTF-8 byte order mark is skipped.

use std::fs::{self, File, FileType, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::FileKey;

use crate::error::{Error, Result};

/// The largest file desk reads: 4 MiB, some 20 times a ticket with a
/// thousand events (docs/format.md).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// What an entry of a folder is, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum EntryKind {
    Regular,
    Link,
    Directory,
    Fifo,
    Socket,
    Device,
    Other,
}

impl EntryKind {
    fn of(file_type: &FileType) -> EntryKind {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return EntryKind::Fifo;
            } else if file_type.is_socket() {
                return EntryKind::Socket;
            } else if file_type.is_block_device() || file_type.is_char_device() {
                return EntryKind::Device;
            }
        }
        if file_type.is_file() {
            EntryKind::Regular
        } else if file_type.is_symlink() {
            EntryKind::Link
        } else if file_type.is_dir() {
            EntryKind::Directory
        } else {
            EntryKind::Other
        }
    }

    /// The kind of a `stat` mode.
    #[cfg(target_os = "linux")]
    fn of_mode(mode: libc::mode_t) -> EntryKind {
        match mode & libc::S_IFMT {
            libc::S_IFREG => EntryKind::Regular,
            libc::S_IFLNK => EntryKind::Link,
            libc::S_IFDIR => EntryKind::Directory,
            libc::S_IFIFO => EntryKind::Fifo,
            libc::S_IFSOCK => EntryKind::Socket,
            libc::S_IFBLK | libc::S_IFCHR => EntryKind::Device,
            _ => EntryKind::Other,
        }
    }

    /// What it is in words, when it is not a regular file.
    fn refused(self) -> Option<&'static str> {
        Some(match self {
            EntryKind::Regular => return None,
            EntryKind::Link => "a symbolic link",
            EntryKind::Directory => "a directory",
            EntryKind::Fifo => "a named pipe (FIFO)",
            EntryKind::Socket => "a socket",
            EntryKind::Device => "a device",
            EntryKind::Other => "not a regular file",
        })
    }
}

/// What an entry is when it is not a regular file, in words.
pub fn refused_kind(file_type: &FileType) -> Option<&'static str> {
    EntryKind::of(file_type).refused()
}

/// The error for an entry desk will not read; `shown` is its path for people.
pub fn not_a_file(shown: &Path, kind: &str) -> Error {
    Error::Parse {
        path: shown.into(),
        line: None,
        message: format!(
            "{kind}, not a regular file: desk reads only regular files in the store and \
             follows no link (docs/format.md); put the real file or folder here, or remove it"
        ),
    }
}

/// The error for a folder of the store that is a link (or a file).
pub(super) fn not_a_dir(shown: &Path, kind: &str) -> Error {
    Error::Refused(format!(
        "{}: {kind} where desk expects a directory; desk follows no link in the store \
         (docs/format.md)",
        shown.display()
    ))
}

pub(super) fn too_large(shown: &Path, size: u64) -> Error {
    Error::Parse {
        path: shown.into(),
        line: None,
        message: format!(
            "{size} bytes, over desk's limit of {} MiB for one file (docs/format.md)",
            MAX_FILE_BYTES >> 20
        ),
    }
}

/// A store file's text as it is about to be written, refused when desk
/// could not read it back (over [`MAX_FILE_BYTES`]): a write must never
/// make a record unreadable.
pub fn within_limit(shown: &Path, text: String) -> Result<String> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Refused(format!(
            "{}: the record would be {} bytes, over desk's limit of {} MiB for one file \
             (docs/format.md); nothing was written. Keep long texts (logs, documents) outside \
             desk and refer to them",
            shown.display(),
            text.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(text)
}

/// How desk opens a file of the store that may have become something else
/// since it was looked at: no link is followed, a FIFO is not waited on,
/// no terminal is taken. The caller still checks that what it opened is a
/// regular file.
pub fn guarded_open() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options
}

/// Reads a file of the store as text: refuses a link (even one swapped in
/// after the check: the open does not follow it), a FIFO, device or
/// directory (without blocking on it), and a file over [`MAX_FILE_BYTES`]
/// (from its size, before reading); skips a byte order mark. Errors name
/// the file by `shown`, never quote its content.
pub fn read_file(path: &Path, shown: &Path) -> Result<String> {
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io(shown, e))?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(not_a_file(shown, kind));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(shown, meta.len()));
    }
    let mut options = guarded_open();
    options.read(true);
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return not_a_file(shown, "a symbolic link");
        }
        Error::io(shown, e)
    })?;
    read_opened(file, shown)
}

/// The text of a file opened for reading, checked again: what was opened
/// may differ from what was checked.
fn read_opened(file: File, shown: &Path) -> Result<String> {
    let meta = file.metadata().map_err(|e| Error::io(shown, e))?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(not_a_file(shown, kind));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(shown, meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(shown, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(shown, bytes.len() as u64));
    }
    file_text(bytes, shown)
}

/// What reading a file beneath the store's folder found, when the system
/// could answer.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
enum Beneath {
    Read(String),
    Missing,
    /// A folder on the path is a link or not a folder: the checks by path
    /// word it, without opening anything.
    NotAFolder,
}

/// The folder a run of reads last opened beneath the store, kept for the
/// next file in it: a refresh reads a month folder's files one after
/// another, and opening the folder is a third of a read's system calls.
/// Kept for one run only, so that a folder replaced later is opened anew.
#[derive(Default)]
pub(super) struct OpenFolder(std::sync::Mutex<Option<(PathBuf, std::sync::Arc<File>)>>);

/// Reads `rel` beneath the folder `root` with the rules above held by the
/// kernel, not by checks that a change between them could slip past: the
/// file's folder is opened in one call that follows no link in any part
/// of the path and leaves nothing of `root` (Linux's `openat2`,
/// `RESOLVE_NO_SYMLINKS` and `RESOLVE_BENEATH`), and the file is looked
/// at and opened within that folder without following a link, so that a
/// folder swapped for a link meanwhile changes nothing. A FIFO or device is
/// refused from its `stat`, never opened. Fewer calls than checking each
/// folder of the path by name: six a file in a folder already open (see
/// [`OpenFolder`]), eight for the first, by short paths, against eleven.
/// `None` where the system cannot (an older kernel, a filter that refuses
/// the call): the caller then takes the way of checks by path.
#[cfg(target_os = "linux")]
fn read_beneath(root: &File, rel: &Path, open: &OpenFolder) -> Option<Result<Beneath>> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let c_string = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).ok();
    let (folder, name) = match (rel.parent(), rel.file_name()) {
        (Some(folder), Some(name)) if !folder.as_os_str().is_empty() => (folder, name),
        (_, Some(name)) => (Path::new("."), name),
        _ => return None,
    };
    let (folder_c, name_c) = (c_string(folder)?, c_string(Path::new(name))?);
    let last = open.0.lock().ok().and_then(|last| {
        last.as_ref()
            .filter(|(path, _)| path == folder)
            .map(|(_, file)| file.clone())
    });
    let folder = match last {
        Some(file) => file,
        None => {
            let file = match open_folder_beneath(root, &folder_c) {
                Ok(file) => std::sync::Arc::new(file),
                Err(answer) => return answer,
            };
            if let Ok(mut last) = open.0.lock() {
                *last = Some((folder.to_path_buf(), file.clone()));
            }
            file
        }
    };
    let shown = rel;
    // SAFETY: `stat` is plain data, filled by fstatat from a valid
    // descriptor and C string.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let looked = unsafe {
        libc::fstatat(
            folder.as_raw_fd(),
            name_c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if looked != 0 {
        let e = std::io::Error::last_os_error();
        return Some(match e.kind() {
            std::io::ErrorKind::NotFound => Ok(Beneath::Missing),
            _ => Err(Error::io(shown, e)),
        });
    }
    if let Some(kind) = EntryKind::of_mode(st.st_mode).refused() {
        return Some(Err(not_a_file(shown, kind)));
    }
    if st.st_size as u64 > MAX_FILE_BYTES {
        return Some(Err(too_large(shown, st.st_size as u64)));
    }
    let flags =
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: a valid descriptor and C string.
    let fd = unsafe { libc::openat(folder.as_raw_fd(), name_c.as_ptr(), flags) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Some(match e.raw_os_error() {
            Some(libc::ENOENT) => Ok(Beneath::Missing),
            Some(libc::ELOOP) => Err(not_a_file(shown, "a symbolic link")),
            _ => Err(Error::io(shown, e)),
        });
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    let file = unsafe { File::from_raw_fd(fd) };
    Some(read_opened(file, shown).map(Beneath::Read))
}

/// Opens `folder` (a path from `root`) beneath `root`, following no link;
/// on failure, what [`read_beneath`] answers.
#[cfg(target_os = "linux")]
fn open_folder_beneath(
    root: &File,
    folder: &std::ffi::CStr,
) -> std::result::Result<File, Option<Result<Beneath>>> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: open_how is plain data; zeroed is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS | libc::RESOLVE_BENEATH;
    // SAFETY: the path is a valid C string and `how` a valid open_how of
    // the size given, both alive for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            folder.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ENOENT) => Some(Ok(Beneath::Missing)),
            Some(libc::ELOOP | libc::EXDEV | libc::ENOTDIR) => Some(Ok(Beneath::NotAFolder)),
            _ => None,
        });
    }
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

#[cfg(not(target_os = "linux"))]
fn read_beneath(_root: &File, _rel: &Path, _open: &OpenFolder) -> Option<Result<Beneath>> {
    None
}

/// The store's root folder, opened to read files beneath it.
fn open_root(root: &Path) -> Option<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_PATH | libc::O_DIRECTORY);
    }
    options.open(root).ok()
}

/// A store file's bytes as text: UTF-8, a byte order mark skipped.
pub(super) fn file_text(bytes: Vec<u8>, shown: &Path) -> Result<String> {
    String::from_utf8(bytes)
        .map(|mut text| {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            text
        })
        .map_err(|e| Error::Parse {
            path: shown.into(),
            line: None,
            message: format!(
                "not UTF-8 text (invalid byte at offset {}); desk files are UTF-8",
                e.utf8_error().valid_up_to()
            ),
        })
}

/// The bytes of a file of desk's own state (`.desk/`: the cache, the node
/// number), read without following a link and only from a regular file:
/// `.desk/` is ignored by git, but a pulled commit can still put a link
/// there (git replaces ignored files with a commit's). Anything else is an
/// error of kind `InvalidData` saying what it is.
pub fn read_state(path: &Path) -> std::io::Result<Vec<u8>> {
    let (mut file, len) = open_state(path)?;
    // Sized once (up to a bound: a sparse file may claim terabytes), so
    // that a large cache file is not copied as the vector grows.
    let capacity = usize::try_from(len.min(1 << 28)).map_or(0, |l| l + 1);
    let mut bytes = Vec::with_capacity(capacity);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The bytes of a file of desk's own state as [`read_state`] finds them,
/// mapped into memory rather than copied, and the file's identity when
/// mapped: for a large cache file of which a command reads a little (the
/// customer index, 10 MB at 100,000 customers, of which a write decodes a
/// few entries). The bytes may change under the caller if another program
/// writes the file in place: a caller copies what it decodes, and checks
/// the file's identity afterwards.
pub fn map_state(path: &Path) -> std::io::Result<(Held, FileKey)> {
    let (file, len) = open_state(path)?;
    let key = FileKey::of(&file.metadata()?);
    if len == 0 {
        return Ok((Held::Owned(Vec::new()), key));
    }
    // SAFETY: desk never changes a cache file in place: it renames a new
    // file over it, and a mapping of the old one stays valid. Another
    // program cutting the file short while it is mapped would end this
    // command with SIGBUS, leaving at most an index that the next command
    // finds stale and rebuilds; the store's own files are written apart.
    let map = unsafe { memmap2::MmapOptions::new().map(&file)? };
    Ok((Held::Mapped(map), key))
}

/// Bytes of a file, mapped or read.
#[derive(Debug)]
pub enum Held {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Held {
    /// The same bytes, copied if mapped: bytes that no other program can
    /// change under the caller.
    pub fn owned(self) -> Held {
        match self {
            Held::Mapped(map) => Held::Owned(map.to_vec()),
            owned => owned,
        }
    }
}

impl From<Vec<u8>> for Held {
    fn from(bytes: Vec<u8>) -> Held {
        Held::Owned(bytes)
    }
}

impl std::ops::Deref for Held {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Held::Mapped(map) => map,
            Held::Owned(bytes) => bytes,
        }
    }
}

/// [`read_state`]'s file, open, and its length: for a file read a piece
/// at a time.
pub fn open_state(path: &Path) -> std::io::Result<(File, u64)> {
    let mut options = guarded_open();
    options.read(true);
    let not_a_file = |kind: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{kind}, not a regular file; desk follows no link in the store: remove it"),
        )
    };
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return not_a_file("a symbolic link");
        }
        e
    })?;
    let meta = file.metadata()?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(not_a_file(kind));
    }
    Ok((file, meta.len()))
}

/// Fails if a folder on the path `rel_dir` under `root` is a symbolic link
/// or not a directory: desk never reads or writes through one. Folders that
/// do not exist yet pass (they are created as real directories).
pub fn real_dirs(root: &Path, rel_dir: &Path) -> Result<()> {
    let mut dir = root.to_path_buf();
    for part in rel_dir.components() {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                let shown = dir.strip_prefix(root).unwrap_or(&dir);
                let kind = refused_kind(&meta.file_type()).unwrap_or("a file");
                return Err(not_a_dir(shown, kind));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Ok(())
}

impl super::Store {
    /// Reads the store file at `path` (under the root), or `None` if there is
    /// none: no link is followed, neither the file nor a directory above it.
    pub(super) fn read_entry(&self, path: &Path) -> Result<Option<String>> {
        self.read_entry_in(path, &OpenFolder::default())
    }

    /// [`Store::read_entry`] in a run of reads that keeps the folder it
    /// last opened (`open`).
    fn read_entry_in(&self, path: &Path, open: &OpenFolder) -> Result<Option<String>> {
        let rel = self.display_path(path);
        if let Some(revision) = self.revision() {
            return revision.read(rel);
        }
        let root = self
            .root_dir
            .get_or_init(|| open_root(&self.root).map(Into::into));
        match root.as_ref().and_then(|root| read_beneath(root, rel, open)) {
            Some(Ok(Beneath::Read(text))) => return Ok(Some(text)),
            Some(Ok(Beneath::Missing)) => return Ok(None),
            Some(Ok(Beneath::NotAFolder)) => {
                // Worded by the checks by name; nothing is opened by name,
                // since the path may have changed again since.
                real_dirs(&self.root, rel.parent().unwrap_or(Path::new("")))?;
                // Gone by the time it was looked at by name: no folder to name.
                return Err(Error::Refused(format!(
                    "{}: a folder on its path was a symbolic link while desk read it, and is \
                     a folder again; desk follows no link in the store (docs/format.md), \
                     so nothing was read. Run the command again",
                    rel.display()
                )));
            }
            Some(Err(e)) => return Err(e),
            None => {}
        }
        real_dirs(&self.root, rel.parent().unwrap_or(Path::new("")))?;
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => read_file(path, rel).map(Some),
        }
    }

    /// [`Store::read_entry`] of a file that must be there (one a walk
    /// listed): its absence is an error.
    pub(super) fn read_listed(&self, path: &Path, open: &OpenFolder) -> Result<String> {
        self.read_entry_in(path, open)?.ok_or_else(|| {
            // Worded as the system words a missing file.
            #[cfg(unix)]
            let missing = std::io::Error::from_raw_os_error(libc::ENOENT);
            #[cfg(not(unix))]
            let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
            Error::io(self.display_path(path), missing)
        })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Beneath the root, a plain file is read; a link, whether the file or
    /// a folder on its path, a way out of the root, and a FIFO are not.
    #[test]
    fn reads_beneath_the_root_follow_no_link_and_leave_no_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        fs::create_dir_all(root.join("tickets/2026/10")).unwrap();
        fs::write(root.join("tickets/2026/10/T1.yaml"), "id: T1\n").unwrap();
        fs::write(dir.path().join("secret"), "key\n").unwrap();
        let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, root.join(at)).unwrap();
        link(&dir.path().join("secret"), "tickets/2026/10/T2.yaml");
        link(&root.join("tickets/2026/10"), "tickets/2026/11");
        link(dir.path(), "up");
        // A link within the store, relative: not followed either.
        std::os::unix::fs::symlink("10", root.join("tickets/2026/12")).unwrap();
        let fifo = std::ffi::CString::new(
            root.join("tickets/2026/10/T3.yaml")
                .as_os_str()
                .as_encoded_bytes(),
        )
        .unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        let opened = open_root(&root).expect("the root opens");
        let read = |rel: &str| {
            read_beneath(&opened, Path::new(rel), &OpenFolder::default()).expect("openat2 answers")
        };
        assert!(matches!(read("tickets/2026/10/T1.yaml"), Ok(Beneath::Read(t)) if t == "id: T1\n"));
        assert!(matches!(
            read("tickets/2026/10/none.yaml"),
            Ok(Beneath::Missing)
        ));
        assert!(matches!(
            read("tickets/2099/01/T1.yaml"),
            Ok(Beneath::Missing)
        ));
        for (rel, words) in [
            ("tickets/2026/10/T2.yaml", "a symbolic link"),
            ("tickets/2026/10/T3.yaml", "a named pipe"),
            ("tickets/2026", "a directory"),
        ] {
            match read(rel) {
                Err(e) => assert!(e.to_string().contains(words), "{rel}: {e}"),
                _ => panic!("{rel} was read"),
            }
        }
        let outside = dir.path().join("secret");
        for rel in [
            "tickets/2026/11/T1.yaml",
            "tickets/2026/12/T1.yaml",
            "up/secret",
            "../secret",
            outside.to_str().unwrap(),
        ] {
            assert!(matches!(read(rel), Ok(Beneath::NotAFolder)), "{rel}");
        }

        // A run keeps the folder it opened: swapped for a link after, it
        // is still the store's folder that is read, never the link's.
        let run = OpenFolder::default();
        let in_run = |rel: &str| read_beneath(&opened, Path::new(rel), &run).unwrap();
        assert!(matches!(
            in_run("tickets/2026/10/T1.yaml"),
            Ok(Beneath::Read(_))
        ));
        fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        fs::write(dir.path().join("elsewhere/T4.yaml"), "outside\n").unwrap();
        fs::rename(
            root.join("tickets/2026/10"),
            root.join("tickets/2026/moved"),
        )
        .unwrap();
        link(&dir.path().join("elsewhere"), "tickets/2026/10");
        assert!(matches!(
            in_run("tickets/2026/10/T4.yaml"),
            Ok(Beneath::Missing)
        ));
        assert!(
            matches!(in_run("tickets/2026/10/T1.yaml"), Ok(Beneath::Read(t)) if t == "id: T1\n")
        );
        assert!(matches!(
            read("tickets/2026/10/T4.yaml"),
            Ok(Beneath::NotAFolder)
        ));
    }
}
