//! E-mail delivery of notifications: a [`Mail`] built into an RFC 5322
//! message (UTF-8 subject as RFC 2047 encoded words, the body base64 or
//! quoted-printable, so it arrives intact through any server) and handed to
//! the transport of `mail:` in desk.yaml — a sendmail-compatible command, or
//! an SMTP server (cargo feature `smtp`). See docs/format.md (`mail:`) and
//! docs/automation.md (delivery).
//!
//! This module does I/O (network, processes) and is used only by the
//! command that delivers (`desk run`); the domain never sees it.
//!
//! [`incoming`] is the other direction and pure: the bytes of a message
//! received, read into a typed [`incoming::Incoming`] (docs/mail.md).

mod config;
pub mod incoming;
mod intake;
mod message;
mod sendmail;
#[cfg(feature = "smtp")]
mod smtp;

pub use config::{
    MailConfig, PasswordSource, Security, Settings, Smtp, Transport, DEFAULT_SENDMAIL,
};
pub use intake::{ClosedTicket, Intake, UnknownSender};

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mail {
    /// Addresses, bare (`li.na@example.com`) or with a name (`李娜 <li.na@example.com>`).
    pub to: Vec<String>,
    pub subject: String,
    /// The plain text (every mail has it; clients that show no HTML show this).
    pub body: String,
    /// The same content as an HTML page, sent beside the text as its
    /// alternative (`multipart/alternative`): the HTML report.
    pub html: Option<String>,
    /// without angle brackets, e.g. "<key-hash>@desk"
    pub message_id: String,
    /// Where the reader's answer should go (`Reply-To:`): the support
    /// address for mail to customers.
    pub reply_to: Option<String>,
    /// The message this one answers and the thread before it, without
    /// angle brackets; a Message-ID that is not one is left out.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Sent by a rule, not written by a person: marked `Auto-Submitted:
    /// auto-generated` (RFC 3834), so that auto-replies do not answer it.
    pub automatic: bool,
}

/// A file sent with a mail, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A way to send mail. `send` returns once the transport has accepted the
/// message (the SMTP server answered the data, or the sendmail command
/// exited 0): the mail goes to all its recipients or to none.
pub trait Mailer {
    fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Why a mail was not sent. Each names the server or command, the step and
/// what failed; none carries the password. Shown (`Display`), no e-mail
/// address or personal number is in it whole (`c***@example.com`,
/// `*******5678`, src/model/mask.rs): a server's reply quotes the refused
/// recipient, and the message goes into the ticket's history, which git
/// carries to every clone. desk's own words quote addresses masked; the
/// words of a server or a sendmail command are masked here.
#[derive(Debug, Clone)]
pub enum MailError {
    /// `mail:` of desk.yaml is wrong, or asks for what this build lacks.
    Config(String),
    /// The SMTP password could not be read from its source.
    Password(String),
    /// The mail itself is malformed: a recipient or its Message-ID.
    Message { message_id: String, problem: String },
    /// The SMTP server could not be reached, or refused a step.
    Smtp {
        /// `host:port`
        server: String,
        /// `connect`, `STARTTLS`, `AUTH`, `MAIL FROM:<…>`, `RCPT TO:<…>`, `DATA`, …
        step: String,
        detail: String,
        permanent: bool,
    },
    /// The sendmail command could not be run, or reported a failure.
    Sendmail {
        command: String,
        detail: String,
        permanent: bool,
    },
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::model::mask;
        match self {
            MailError::Config(m) => write!(f, "desk.yaml: {m}"),
            MailError::Password(m) => write!(f, "mail.smtp password: {m}"),
            // desk's own words, the address quoted masked already.
            MailError::Message {
                message_id,
                problem,
            } => write!(f, "mail '{message_id}': {problem}"),
            // The server's and the command's words may quote anything.
            MailError::Smtp {
                server,
                step,
                detail,
                ..
            } => write!(
                f,
                "smtp {server}: {}: {}",
                mask::personal_in(step),
                mask::personal_in(detail)
            ),
            MailError::Sendmail {
                command, detail, ..
            } => write!(
                f,
                "sendmail command {command}: {}",
                mask::personal_in(detail)
            ),
        }
    }
}

impl std::error::Error for MailError {}

impl MailError {
    /// bad address, rejected recipient: retrying will not help
    ///
    /// True only when the fault is in the mail itself: a malformed recipient
    /// or Message-ID, a recipient or message refused with a 5xx reply (or the
    /// sendmail exit codes for bad data, unknown user or host). Faults of the
    /// settings, the password, the network or the server (down, refusing the
    /// sender or the login, 4xx replies) are not: once fixed, a retry sends.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Message { .. } => true,
            MailError::Smtp { permanent, .. } | MailError::Sendmail { permanent, .. } => *permanent,
            MailError::Config(_) | MailError::Password(_) => false,
        }
    }
}

/// The transport `mail:` configures, ready to send. The SMTP password is
/// read here, once, from its environment variable or file.
pub fn mailer(config: &MailConfig) -> Result<Box<dyn Mailer>, MailError> {
    let settings = config.settings().map_err(MailError::Config)?;
    let from = message::mailbox(&settings.from)
        .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
    match settings.transport {
        Transport::Sendmail { command, args } => Ok(Box::new(sendmail::Sendmail {
            from,
            command,
            args,
            timeout: settings.timeout,
        })),
        #[cfg(feature = "smtp")]
        Transport::Smtp(smtp) => Ok(Box::new(smtp::SmtpMailer::new(
            from,
            smtp,
            settings.timeout,
        )?)),
        #[cfg(not(feature = "smtp"))]
        Transport::Smtp(_) => Err(MailError::Config(
            "mail.smtp: this desk was built without SMTP (cargo feature `smtp`); \
             send through a sendmail-compatible command with `sendmail:` instead"
                .into(),
        )),
    }
}

/// The password from its source: an environment variable, or a file whose
/// one line is the password (a final line break is not part of it).
pub fn read_password(source: &PasswordSource) -> Result<String, MailError> {
    let password = match source {
        PasswordSource::Env(name) => match std::env::var(name) {
            Ok(value) => value,
            Err(std::env::VarError::NotPresent) => {
                return Err(MailError::Password(format!(
                    "the environment variable {name} (password_env) is not set; set it in the \
                     environment of `desk run` (e.g. in the crontab or a systemd EnvironmentFile)"
                )))
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(MailError::Password(format!(
                    "the environment variable {name} (password_env) is not UTF-8"
                )))
            }
        },
        PasswordSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                MailError::Password(format!(
                    "cannot read {} (password_file): {e}",
                    path.display()
                ))
            })?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            text.strip_suffix('\r').unwrap_or(text).to_string()
        }
    };
    if password.is_empty() {
        let source = match source {
            PasswordSource::Env(name) => format!("the environment variable {name}"),
            PasswordSource::File(path) => path.display().to_string(),
        };
        return Err(MailError::Password(format!("{source} is empty")));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_come_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret 密码\r\n").unwrap();
        assert_eq!(
            read_password(&PasswordSource::File(file.clone())).unwrap(),
            "s3cret 密码"
        );
        std::fs::write(&file, "\n").unwrap();
        let err = read_password(&PasswordSource::File(file.clone())).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let missing = dir.path().join("missing");
        let err = read_password(&PasswordSource::File(missing)).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
        assert!(!err.is_permanent());
        let err =
            read_password(&PasswordSource::Env("DESK_TEST_SURELY_UNSET_VAR".into())).unwrap_err();
        assert!(
            err.to_string()
                .contains("DESK_TEST_SURELY_UNSET_VAR (password_env) is not set"),
            "{err}"
        );
    }

    #[test]
    fn only_faults_of_the_mail_are_permanent() {
        let smtp = |permanent| MailError::Smtp {
            server: "h:25".into(),
            step: "RCPT TO:<a@b>".into(),
            detail: "x".into(),
            permanent,
        };
        assert!(smtp(true).is_permanent());
        assert!(!smtp(false).is_permanent());
        assert!(MailError::Message {
            message_id: "a@desk".into(),
            problem: "bad".into()
        }
        .is_permanent());
        assert!(!MailError::Config("x".into()).is_permanent());
        assert!(!MailError::Password("x".into()).is_permanent());
    }
}
