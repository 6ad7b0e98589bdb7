//! The sendmail transport: `COMMAND ARGS... -i -f FROM -- TO...` with the
//! message on stdin, the interface sendmail, Postfix, Exim and msmtp share.
//! desk runs the command itself (rather than through lettre) to pass the
//! extra arguments (`msmtp -a ACCOUNT`), bound its time and tell failures
//! apart by their exit code.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lettre::message::Mailbox;

use super::{message, Mail, MailError, Mailer};

pub(crate) struct Sendmail {
    pub from: Mailbox,
    pub command: String,
    pub args: Vec<String>,
    pub timeout: Duration,
}

/// sysexits.h codes that blame the message: EX_DATAERR, EX_NOUSER,
/// EX_NOHOST. Others (EX_TEMPFAIL 75, EX_UNAVAILABLE, a crash) may pass.
const PERMANENT_EXITS: [i32; 3] = [65, 67, 68];

/// How long the pipes may stay open after the command exited.
const AFTER_EXIT: Duration = Duration::from_millis(500);

/// At most this much of the command's output goes into an error.
const MAX_OUTPUT: usize = 2000;

impl Mailer for Sendmail {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let built = message::build(&self.from, mail)?;
        let fail = |detail: String, permanent: bool| MailError::Sendmail {
            command: self.command.clone(),
            detail,
            permanent,
        };
        let cannot_run = |why: String| {
            fail(
                format!(
                    "cannot run it: {why}; install a sendmail-compatible program (msmtp, \
                     Postfix) or set mail.sendmail.command"
                ),
                false,
            )
        };
        // Found as a hook's command is, with the same clean environment: no
        // mail password, no key file (crate::command).
        let program = crate::command::program(&self.command, Path::new(""))
            .ok_or_else(|| cannot_run("not found in the absolute folders of PATH".into()))?;
        let mut child = crate::command::clean(&program)
            .args(&self.args)
            .arg("-i")
            .arg("-f")
            .arg(&built.from)
            .arg("--")
            .args(&built.to)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| cannot_run(e.to_string()))?;
        // Written and read from threads, so a command that stops reading,
        // or leaves a process behind that holds its stderr, cannot block
        // desk past the timeout.
        let mut stdin = child.stdin.take().expect("piped");
        let (wrote, written) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = wrote.send(stdin.write_all(&built.bytes));
        });
        let mut stderr = child.stderr.take().expect("piped");
        let (read, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            let _ = read.send(text);
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(fail(
                        format!(
                            "did not finish within {} s (mail.timeout); stopped",
                            self.timeout.as_secs()
                        ),
                        false,
                    ));
                }
                Err(e) => return Err(fail(format!("waiting for it: {e}"), false)),
            }
        };
        // Once it exited, its pipes close at once, unless it left a process
        // behind holding them: then what it said so far is not waited for.
        let written = written.recv_timeout(AFTER_EXIT).unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "its input was still open after it exited",
            ))
        });
        let output = output.recv_timeout(AFTER_EXIT).unwrap_or_default();
        let output = String::from_utf8_lossy(&output);
        let output = output.trim();
        let said = if output.is_empty() {
            String::new()
        } else {
            let cut: String = output.chars().take(MAX_OUTPUT).collect();
            format!(": {}", crate::text::visible(&cut))
        };
        if !status.success() {
            let code = status.code();
            let what = match code {
                Some(code) => format!("exited with {code}"),
                None => "was killed by a signal".to_string(),
            };
            let permanent = code.is_some_and(|c| PERMANENT_EXITS.contains(&c));
            return Err(fail(format!("{what}{said}"), permanent));
        }
        // Exit 0 without reading the whole message is no delivery.
        if let Err(e) = written {
            return Err(fail(
                format!("exited 0 without reading the whole message ({e}){said}"),
                false,
            ));
        }
        Ok(())
    }
}
