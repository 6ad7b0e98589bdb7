//! The one way desk starts git: `git -C DIR ARGS` with no input and its
//! output captured, and, when it fails, an error naming the command line
//! and what git said on stderr, escaped.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Stdio};

/// A git command that could not run or did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git is not installed, or could not be started.
    #[error("`{command}` could not start: {source}")]
    NotStarted {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// git ran and exited with another status than 0.
    #[error("`{command}` failed ({status}){said}", said = said(stderr))]
    Failed {
        command: String,
        /// `exit 128`, or `killed` without a status.
        status: String,
        /// What git wrote on stderr, escaped and trimmed.
        stderr: String,
    },
}

fn said(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

impl From<GitError> for crate::error::Error {
    fn from(e: GitError) -> Self {
        crate::error::Error::Refused(e.to_string())
    }
}

/// A git command that ran, whatever its exit status: some commands answer
/// by it (`git grep` exits 1 for no match, `git check-ignore` for a path
/// not ignored).
#[derive(Debug)]
pub struct Ran {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ran {
    /// The standard output when git exited 0, else the error naming the
    /// command and git's stderr.
    pub fn success(self) -> Result<Vec<u8>, GitError> {
        match self.code {
            Some(0) => Ok(self.stdout),
            code => Err(GitError::Failed {
                status: code.map_or("killed".to_string(), |c| format!("exit {c}")),
                stderr: crate::text::visible(String::from_utf8_lossy(&self.stderr).trim())
                    .into_owned(),
                command: self.command,
            }),
        }
    }
}

/// Runs `git -C dir ARGS`, its input empty, and returns how it ended; an
/// error only when git cannot be started.
pub fn run<I, S>(dir: &Path, args: I) -> Result<Ran, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let command = command_line(dir, &args);
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| GitError::NotStarted {
            command: command.clone(),
            source,
        })?;
    Ok(Ran {
        command,
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// The standard output of `git -C dir ARGS`, trimmed, when it succeeds.
pub fn output<I, S>(dir: &Path, args: I) -> Result<String, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = run(dir, args)?.success()?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Starts `git -C dir ARGS` with its input and output piped to the caller,
/// for a git that answers many questions over one run (`git cat-file
/// --batch`); what it says on stderr is dropped.
pub fn spawn<I, S>(dir: &Path, args: I) -> Result<std::process::Child, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| GitError::NotStarted {
            command: command_line(dir, &args),
            source,
        })
}

/// `git -C DIR ARGS` as a shell line a person can copy, each word quoted
/// where it must be and escaped for the terminal.
fn command_line(dir: &Path, args: &[OsString]) -> String {
    let words = [OsStr::new("git"), OsStr::new("-C"), dir.as_os_str()]
        .into_iter()
        .chain(args.iter().map(OsString::as_os_str))
        .map(|w| crate::text::shell_quoted(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    crate::text::visible(&words).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_the_command_and_what_git_said() {
        let dir = tempfile::tempdir().unwrap();
        // Not a repository: git says so on stderr, exit 128.
        let err = output(dir.path(), ["rev-parse", "--show-toplevel"]).unwrap_err();
        let text = err.to_string();
        let shown = crate::text::shell_quoted(&dir.path().to_string_lossy());
        assert!(
            text.starts_with(&format!(
                "`git -C {shown} rev-parse --show-toplevel` failed (exit 128): "
            )) && text.contains("not a git repository"),
            "{text}"
        );
        // An exit that answers is not an error of the runner.
        let ran = run(dir.path(), ["check-ignore", "-q", "--", "x"]).unwrap();
        assert_eq!(ran.code, Some(128));
    }

    #[test]
    fn git_output_is_trimmed_and_arguments_are_never_a_shell_line() {
        let dir = tempfile::tempdir().unwrap();
        output(dir.path(), ["init", "-q"]).unwrap();
        let odd = "a value; with $(spaces)\nand a line";
        output(dir.path(), ["config", "desk.test", odd]).unwrap();
        assert_eq!(output(dir.path(), ["config", "desk.test"]).unwrap(), odd);
        let err = output(dir.path(), ["config", "--get", "desk.none\x1b[31m"]).unwrap_err();
        let text = err.to_string();
        assert!(
            !text.contains('\x1b') && text.contains("desk.none") && text.contains("(exit 1)"),
            "{text}"
        );
    }
}
