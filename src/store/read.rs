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
use std::path::Path;

use super::FileKey;

use crate::error::{Error, Result};

/// The largest file desk reads: 4 MiB, some 20 times a ticket with a
/// thousand events (docs/format.md).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// What an entry is when it is not a regular file, in words.
pub fn refused_kind(file_type: &FileType) -> Option<&'static str> {
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        return None;
    }
    Some(if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else {
        #[cfg(unix)]
        {
            if file_type.is_fifo() {
                "a named pipe (FIFO)"
            } else if file_type.is_socket() {
                "a socket"
            } else if file_type.is_block_device() || file_type.is_char_device() {
                "a device"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        "not a regular file"
    })
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
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
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

/// Opens `rel` for reading beneath the folder `root` in one call that the
/// kernel holds to the rules above: no link followed in any part of `rel`,
/// nothing outside `root` (Linux's `openat2`, `RESOLVE_NO_SYMLINKS` and
/// `RESOLVE_BENEATH`). Six calls fewer than checking each part in turn,
/// which a report makes for every ticket whose texts it reads, and no
/// window between a check and the open. `None` on any failure (an older
/// kernel, a filter that refuses the call, a link, no such file): the
/// caller then takes the way of checks, which also words the error. A FIFO
/// is opened before it is refused (`O_NONBLOCK` keeps it from blocking);
/// git carries neither FIFOs nor devices.
#[cfg(target_os = "linux")]
fn open_beneath(root: &File, rel: &Path) -> Option<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let rel = std::ffi::CString::new(rel.as_os_str().as_bytes()).ok()?;
    // SAFETY: open_how is plain data; zeroed is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS | libc::RESOLVE_BENEATH;
    // SAFETY: the path is a valid C string and `how` a valid open_how of
    // the size given, both alive for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            rel.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    Some(unsafe { File::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn open_beneath(_root: &File, _rel: &Path) -> Option<File> {
    None
}

/// The store's root folder, opened to open files beneath it.
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
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
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
        let rel = self.display_path(path);
        if let Some(revision) = self.revision() {
            return revision.read(rel);
        }
        let root = self
            .root_dir
            .get_or_init(|| open_root(&self.root).map(Into::into));
        if let Some(file) = root.as_ref().and_then(|root| open_beneath(root, rel)) {
            return read_opened(file, rel).map(Some);
        }
        real_dirs(&self.root, rel.parent().unwrap_or(Path::new("")))?;
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => read_file(path, rel).map(Some),
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The one-call open finds a plain file beneath the root and nothing
    /// through a link, outside the root or of another kind, so that
    /// `read_entry` then takes the way of checks, which refuses and names it.
    #[test]
    fn the_one_call_open_follows_no_link_and_leaves_no_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        fs::create_dir_all(root.join("tickets/2026/10")).unwrap();
        fs::write(root.join("tickets/2026/10/T1.yaml"), "id: T1\n").unwrap();
        fs::write(dir.path().join("secret"), "key\n").unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("secret"),
            root.join("tickets/2026/10/T2.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(root.join("tickets/2026/10"), root.join("tickets/2026/11"))
            .unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        let opened = open_root(&root).expect("the root opens");
        let read = |rel: &str| {
            open_beneath(&opened, Path::new(rel)).map(|f| read_opened(f, Path::new(rel)).unwrap())
        };
        assert_eq!(read("tickets/2026/10/T1.yaml").as_deref(), Some("id: T1\n"));
        for refused in [
            "tickets/2026/10/T2.yaml",
            "tickets/2026/11/T1.yaml",
            "up/secret",
            "../secret",
            "tickets/2026/10/none.yaml",
        ] {
            assert_eq!(read(refused), None, "{refused}");
        }
        let outside = dir.path().join("secret");
        assert_eq!(read(outside.to_str().unwrap()), None, "an absolute path");
        // A directory opens, and is refused once opened.
        let folder = open_beneath(&opened, Path::new("tickets/2026")).unwrap();
        assert!(read_opened(folder, Path::new("tickets/2026")).is_err());
    }
}
