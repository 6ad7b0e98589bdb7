//! The commands desk.yaml names (a rule's `run` hook, `mail.sendmail`):
//! which program runs, the environment it gets, and how it is run within a
//! time limit ([`run_bounded`]). desk.yaml travels
//! through git, so where a command is allowed to run at all is decided
//! elsewhere (`desk.hooks`, docs/automation.md "Trust model"); this keeps an
//! allowed command what its line says: a bare name is a program of PATH's
//! absolute folders, never a file of the store reached through an empty or
//! relative PATH entry (`PATH=/usr/bin:` or `.`), and nothing of desk's own
//! environment (the mail password, the key files) is passed on.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The variables of desk's environment a command it runs gets; nothing
/// else (no mail password, no key file).
pub const INHERITS: [&str; 3] = ["PATH", "HOME", "LANG"];

/// The program a command names: with a `/`, the file itself (relative to
/// `base` when relative: the store's root for hooks); a bare name, the
/// first executable file of that name in PATH's absolute folders (`None`:
/// there is none). Empty and relative entries of PATH are skipped: the
/// working directory of a hook is the store, whose files anyone who can
/// push writes.
pub fn program(command: &str, base: &Path) -> Option<PathBuf> {
    if command.contains('/') {
        return Some(base.join(command));
    }
    if command.is_empty() || command == "." || command == ".." {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(command))
        .find(|file| executable(file))
}

/// A command for `program` with the environment of [`INHERITS`] alone.
pub fn clean(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for var in INHERITS {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd
}

/// The limits of [`run_bounded`].
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// From the start: then the command and everything it started in its
    /// process group are killed.
    pub timeout: Duration,
    /// How long, once the command exited, a process it left behind may
    /// hold its pipes (within the timeout still) before its group is killed
    /// and what it would say is not waited for.
    pub after_exit: Duration,
}

/// How a command run by [`run_bounded`] ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status; `None` when the timeout passed first.
    pub status: Option<ExitStatus>,
    /// Whether it took the whole of its input (a command may exit without
    /// reading it, or leave a process behind that holds it).
    pub input: std::io::Result<()>,
    /// The last [`KEPT_OUTPUT`] bytes it wrote on stderr.
    pub stderr: Vec<u8>,
}

/// How much of a command's stderr is kept: the end, where it says why.
pub const KEPT_OUTPUT: usize = 64 * 1024;

/// Why [`run_bounded`] could not run a command or wait for it.
#[derive(Debug)]
pub enum RunError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// Waiting for it failed; its group was killed.
    Wait(std::io::Error),
}

/// Runs `cmd` with `input` on its stdin, its stdout discarded and its
/// stderr read, in a process group of its own (on unix). At
/// `bounds.timeout` the whole group is killed, so that nothing it started
/// (a background job, a hanging `curl`) holds desk; once it exited, its
/// pipes are waited for `bounds.after_exit` at most, then its group is
/// killed as well. The pipes are written and read from threads that are
/// never waited for past these limits, and stderr is read to its end
/// keeping only the last [`KEPT_OUTPUT`] bytes, so a command that stops
/// reading or writes without end cannot block desk.
pub fn run_bounded(mut cmd: Command, input: Vec<u8>, bounds: Bounds) -> Result<Finished, RunError> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let deadline = Instant::now() + bounds.timeout;
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let mut stdin = child.stdin.take().expect("piped");
    let (wrote, written) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = wrote.send(stdin.write_all(&input));
    });
    let mut stderr = child.stderr.take().expect("piped");
    let (read, said) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tail = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 2 * KEPT_OUTPUT {
                tail.drain(..tail.len() - KEPT_OUTPUT);
            }
        }
        if tail.len() > KEPT_OUTPUT {
            tail.drain(..tail.len() - KEPT_OUTPUT);
        }
        let _ = read.send(tail);
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                stop_group(&mut child);
                return Err(RunError::Wait(e));
            }
        }
    };
    let mut stopped = status.is_none();
    if stopped {
        stop_group(&mut child);
    }
    // Once it exited, its pipes close at once, unless it left a process
    // behind that holds them.
    let until = match status {
        Some(_) => deadline.min(Instant::now() + bounds.after_exit),
        None => Instant::now(),
    };
    let stderr = pipe_result(&said, until, &mut child, &mut stopped).unwrap_or_default();
    let input = pipe_result(&written, until, &mut child, &mut stopped).unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "its input was still open after it exited",
        ))
    });
    Ok(Finished {
        status,
        input,
        stderr,
    })
}

/// What a pipe's thread sends by `until`; past it, the command's group is
/// killed (once), which closes the pipe, and what was said by then is read.
fn pipe_result<T>(
    rx: &mpsc::Receiver<T>,
    until: Instant,
    child: &mut Child,
    stopped: &mut bool,
) -> Result<T, mpsc::RecvTimeoutError> {
    rx.recv_timeout(until.saturating_duration_since(Instant::now()))
        .or_else(|_| {
            if !std::mem::replace(stopped, true) {
                stop_group(child);
            }
            rx.recv_timeout(Duration::from_millis(100))
        })
}

/// Kills a command's process group (the command and everything it started
/// that stayed in its group), and the command itself, and reaps it.
fn stop_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative ID signals the process group the
        // command leads (made by `process_group(0)`); it touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn executable(file: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(file) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_slash_is_the_file_itself() {
        let base = Path::new("/srv/helpdesk");
        assert_eq!(
            program("hooks/x.sh", base),
            Some(PathBuf::from("/srv/helpdesk/hooks/x.sh"))
        );
        assert_eq!(
            program("/usr/local/bin/x", base),
            Some(PathBuf::from("/usr/local/bin/x"))
        );
        assert_eq!(program("", base), None);
    }

    #[cfg(unix)]
    fn sh(script: &str, dir: &Path) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).current_dir(dir);
        cmd
    }

    /// Whether a process runs (a zombie waiting for its parent does not).
    #[cfg(unix)]
    fn gone(pid_file: &Path) -> bool {
        let pid = std::fs::read_to_string(pid_file).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
                Ok(stat)
                    if !stat
                        .rsplit_once(')')
                        .is_some_and(|(_, r)| r.trim_start().starts_with('Z')) =>
                {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return true,
            }
        }
        false
    }

    #[cfg(unix)]
    #[test]
    fn a_command_its_input_and_the_end_of_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let bounds = Bounds {
            timeout: Duration::from_secs(20),
            after_exit: Duration::from_millis(500),
        };
        let done =
            run_bounded(sh("cat >&2; exit 3", dir.path()), b"hello".to_vec(), bounds).unwrap();
        assert_eq!(done.status.unwrap().code(), Some(3));
        assert_eq!(done.stderr, b"hello");
        assert!(done.input.is_ok());
        // Much output: the end is kept, and nothing blocks.
        let script = "head -c 1000000 /dev/zero >&2; echo end >&2";
        let done = run_bounded(sh(script, dir.path()), Vec::new(), bounds).unwrap();
        assert_eq!(done.stderr.len(), KEPT_OUTPUT);
        assert!(done.stderr.ends_with(b"end\n"));
        // Exit 0 without reading its input is told.
        let done = run_bounded(sh("exit 0", dir.path()), vec![b'x'; 1 << 20], bounds).unwrap();
        assert!(done.status.unwrap().success() && done.input.is_err());
        assert!(matches!(
            run_bounded(Command::new(dir.path().join("none")), Vec::new(), bounds),
            Err(RunError::Spawn(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn at_the_timeout_the_command_and_all_it_started_are_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let bounds = Bounds {
            timeout: Duration::from_millis(300),
            after_exit: Duration::from_millis(300),
        };
        let started = Instant::now();
        let script = "sleep 30 & echo $! > job.pid; echo waiting >&2; wait";
        let done = run_bounded(sh(script, dir.path()), Vec::new(), bounds).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(done.status.is_none());
        assert_eq!(done.stderr, b"waiting\n");
        assert!(gone(&dir.path().join("job.pid")), "the job still runs");
    }

    #[cfg(unix)]
    #[test]
    fn what_a_command_leaves_behind_holding_its_pipes_is_stopped_soon_after() {
        let dir = tempfile::tempdir().unwrap();
        let bounds = Bounds {
            timeout: Duration::from_secs(20),
            after_exit: Duration::from_millis(200),
        };
        let started = Instant::now();
        let script = "(sleep 30; echo late > late.txt) & echo $! > job.pid; exit 0";
        let done = run_bounded(sh(script, dir.path()), Vec::new(), bounds).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(done.status.unwrap().success());
        assert!(gone(&dir.path().join("job.pid")), "the job still runs");
        assert!(!dir.path().join("late.txt").exists());
    }
}
