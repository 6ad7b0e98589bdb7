//! The sendmail transport: `COMMAND ARGS... -i -f FROM -- TO...` with the
//! message on stdin, the interface sendmail, Postfix, Exim and msmtp share.
//! desk runs the command itself (rather than through lettre) to pass the
//! extra arguments (`msmtp -a ACCOUNT`), bound its time and tell failures
//! apart by their exit code.

use std::path::Path;
use std::time::Duration;

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

/// How long the pipes may stay open after the command exited; then what it
/// left behind is stopped.
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
        let mut cmd = crate::command::clean(&program);
        cmd.args(&self.args)
            .arg("-i")
            .arg("-f")
            .arg(&built.from)
            .arg("--")
            .args(&built.to);
        let bounds = crate::command::Bounds {
            timeout: self.timeout,
            after_exit: AFTER_EXIT,
        };
        let finished =
            crate::command::run_bounded(cmd, built.bytes, bounds).map_err(|e| match e {
                crate::command::RunError::Spawn(e) => cannot_run(e.to_string()),
                crate::command::RunError::Wait(e) => fail(format!("waiting for it: {e}"), false),
            })?;
        let Some(status) = finished.status else {
            return Err(fail(
                format!(
                    "did not finish within {} s (mail.timeout); stopped",
                    self.timeout.as_secs()
                ),
                false,
            ));
        };
        let output = String::from_utf8_lossy(&finished.stderr);
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
        if let Err(e) = finished.input {
            return Err(fail(
                format!("exited 0 without reading the whole message ({e}){said}"),
                false,
            ));
        }
        Ok(())
    }
}
