//! Advisory locks between desk processes, held for a read-modify-write.
//! The lock files live in the git-ignored state directory and are released
//! when the guard drops (or the process dies).
//!
//! The holder writes its PID and command line into the lock file, so that a
//! process kept waiting can say whom it waits for (a command stopped with
//! Ctrl-Z holds its lock until it is resumed). Waits are bounded: after
//! [`TIMEOUT_VAR`] seconds (default [`DEFAULT_TIMEOUT`]) the waiter gives up.

use std::fs::{self, File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::read::guarded_open;
use std::time::{Duration, Instant};

use super::Notices;
use crate::error::{Error, Result};

/// The environment variable that bounds a lock wait, in seconds.
pub const TIMEOUT_VAR: &str = "DESK_LOCK_TIMEOUT";
/// How long a lock is waited for when [`TIMEOUT_VAR`] is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// After this long waiting, say what is waited for.
const NOTICE_AFTER: Duration = Duration::from_secs(1);
/// The longest pause between two attempts: short, so that a lock released
/// under contention is taken again quickly.
const MAX_POLL: Duration = Duration::from_millis(10);

#[derive(Debug)]
pub struct Lock {
    file: File,
    /// The last holder was ended while it held the lock: its record was
    /// still there. A writer killed mid-write may have left a temporary
    /// file, which the new holder then looks for (see `temps`).
    abandoned: bool,
}

impl Lock {
    /// Waits until the exclusive lock on `path` is held, at most the time
    /// [`timeout`] allows; after a second of waiting, says so to `notices`.
    pub fn acquire(path: &Path, notices: &Notices) -> Result<Lock> {
        Lock::acquire_within(path, timeout()?, notices)
    }

    fn acquire_within(path: &Path, timeout: Duration, notices: &Notices) -> Result<Lock> {
        let file = open(path)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock::held(file)),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout {
                    path: path.to_path_buf(),
                    holder: holder(path),
                    waited: seconds(timeout),
                });
            }
            if !told && waited >= NOTICE_AFTER {
                told = true;
                notices.say(&format!(
                    "waiting for the lock {} (held by {}); giving up after {} ({TIMEOUT_VAR})",
                    path.display(),
                    holder(path),
                    seconds(timeout)
                ));
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// The lock if no one holds it, else `None` at once.
    pub fn try_acquire(path: &Path) -> Result<Option<Lock>> {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock::held(file))),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(Error::io(path, e)),
        }
    }

    /// Records this process as the holder. Best effort: the record only
    /// serves the messages of waiting processes, and tells the next holder
    /// whether this one let go or was ended.
    fn held(mut file: File) -> Lock {
        let abandoned = file.metadata().is_ok_and(|m| m.len() > 0);
        let _ = file.set_len(0).and_then(|()| {
            file.rewind()?;
            file.write_all(holder_record().as_bytes())
        });
        Lock { file, abandoned }
    }

    /// Whether the last holder was ended (killed) while it held the lock.
    pub fn abandoned(&self) -> bool {
        self.abandoned
    }
}

impl Drop for Lock {
    /// Clears the holder record before the lock goes, so that it never
    /// names a process that no longer holds it (unless that one was killed).
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// Opens (or creates) a lock file. Neither the file nor its folder may be a
/// link, and the file must be a regular one: `.desk/` is ignored by git, but
/// a pulled commit can still put a link there (git replaces ignored files
/// with a commit's), and the holder's record is written into the lock.
fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        match fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                let kind = super::read::refused_kind(&meta.file_type()).unwrap_or("a file");
                return Err(Error::Refused(format!(
                    "{}: {kind} where desk keeps its locks; desk follows no link in the \
                     store: remove it (desk makes the folder again)",
                    dir.display()
                )));
            }
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    let mut options = guarded_open();
    options.create(true).truncate(false).read(true).write(true);
    let refused = |kind: &str| {
        Error::Refused(format!(
            "{}: {kind}, not a lock file; desk follows no link in the store: remove it \
             (desk makes the lock again)",
            path.display()
        ))
    };
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refused("a symbolic link");
        }
        Error::io(path, e)
    })?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if let Some(kind) = super::read::refused_kind(&meta.file_type()) {
        return Err(refused(kind));
    }
    Ok(file)
}

/// `pid 1234: desk customer import rows.csv`, one line.
fn holder_record() -> String {
    let command: Vec<String> = std::env::args().collect();
    let command = command.join(" ").replace(['\n', '\r'], " ");
    format!("pid {}: {command}\n", std::process::id())
}

/// Whom the lock file names as its holder, for a message.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(path).and_then(|f| f.take(4096).read_to_string(&mut text));
    describe_holder(text.lines().next().unwrap_or(""))
}

fn describe_holder(record: &str) -> String {
    let pid = record
        .strip_prefix("pid ")
        .and_then(|r| r.split(':').next())
        .and_then(|p| p.trim().parse::<u32>().ok());
    match pid {
        None => "a process that did not record itself".into(),
        Some(pid) if super::fsio::process_alive(pid) == Some(false) => {
            format!("a process that did not record itself (the last recorded holder, pid {pid}, has exited)")
        }
        Some(_) => format!("process {}", record.trim_start_matches("pid ")),
    }
}

/// The wait allowed by `DESK_LOCK_TIMEOUT` (seconds, fractions allowed;
/// 0 means do not wait), else [`DEFAULT_TIMEOUT`].
pub fn timeout() -> Result<Duration> {
    match std::env::var(TIMEOUT_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_TIMEOUT),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_timeout(&v.to_string_lossy())),
        Ok(v) => parse_timeout(&v).ok_or_else(|| bad_timeout(&v)),
    }
}

/// A number of seconds from 0 to a day; `None` for anything else.
fn parse_timeout(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    (secs.is_finite() && (0.0..=86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

fn bad_timeout(value: &str) -> Error {
    Error::invalid(
        TIMEOUT_VAR,
        value,
        "expected the seconds to wait for a lock, from 0 to 86400 (such as 30 or 0.5)",
    )
}

fn seconds(d: Duration) -> String {
    format!("{} s", (d.as_secs_f64() * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_seconds_within_a_day() {
        assert_eq!(parse_timeout("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("0"), Some(Duration::ZERO));
        for bad in ["", "-1", "NaN", "inf", "1e300", "30s", "86401"] {
            assert_eq!(parse_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks").join("x.lock");
        let first = Lock::try_acquire(&path).unwrap().expect("free");
        let record = fs::read_to_string(&path).unwrap();
        assert!(
            record.starts_with(&format!("pid {}: ", std::process::id())),
            "{record}"
        );
        assert!(Lock::try_acquire(&path).unwrap().is_none());
        assert!(!first.abandoned());
        drop(first);
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
        assert!(!Lock::try_acquire(&path).unwrap().unwrap().abandoned());
        // A holder that was killed left its record behind.
        fs::write(&path, "pid 4000000000: desk update CW202611230001\n").unwrap();
        assert!(Lock::acquire(&path, &Notices::none()).unwrap().abandoned());
    }

    /// A wait of more than a second is told to the caller's sink, once,
    /// naming the lock and its holder; nothing is printed.
    #[test]
    fn a_long_wait_is_told_to_the_callers_sink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks").join("x.lock");
        let _held = Lock::try_acquire(&path).unwrap().expect("free");
        let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = {
            let told = told.clone();
            Notices::new(move |text| told.lock().unwrap().push(text.to_string()))
        };
        let err = Lock::acquire_within(&path, Duration::from_millis(1300), &sink).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        let told = told.lock().unwrap();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].starts_with(&format!("waiting for the lock {}", path.display()))
                && told[0].contains(&format!("process {}", std::process::id()))
                && told[0].ends_with(&format!("giving up after 1.3 s ({TIMEOUT_VAR})")),
            "{}",
            told[0]
        );
    }

    #[test]
    fn holders_are_described_for_people() {
        let me = std::process::id();
        assert_eq!(
            describe_holder(&format!("pid {me}: desk customer add")),
            format!("process {me}: desk customer add")
        );
        assert_eq!(describe_holder(""), "a process that did not record itself");
    }
}
