//! The SMTP transport, driven step by step over lettre's connection so that
//! a failure names the step (connect, STARTTLS, AUTH, MAIL FROM, RCPT TO,
//! DATA) and is judged by it: a refused recipient or message is the mail's
//! fault, a refused login or sender the settings'. One connection is kept
//! for the mails of one run.

use std::sync::Mutex;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail as MailCommand, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};

use super::config::{Security, Smtp};
use super::message::{self, Built};
use super::{read_password, Mail, MailError, Mailer};

pub(crate) struct SmtpMailer {
    from: Mailbox,
    settings: Smtp,
    timeout: Duration,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    hello: ClientId,
    /// The open connection, between two mails.
    connection: Mutex<Option<SmtpConnection>>,
}

/// The logins desk offers, in order of preference.
const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// Which failures of a step blame the mail rather than the settings or the server.
#[derive(Clone, Copy)]
enum Blame {
    /// Connect, TLS, login, sender: fix the settings or wait for the server.
    Setup,
    /// A 5xx reply here refuses this mail for good.
    Mail,
}

impl SmtpMailer {
    pub(crate) fn new(
        from: Mailbox,
        settings: Smtp,
        timeout: Duration,
    ) -> Result<SmtpMailer, MailError> {
        let credentials = match (&settings.user, &settings.password) {
            (Some(user), Some(source)) => {
                Some(Credentials::new(user.clone(), read_password(source)?))
            }
            _ => None,
        };
        let tls =
            match settings.security {
                Security::None => None,
                Security::StartTls | Security::Tls => {
                    let mut builder = TlsParameters::builder(settings.host.clone());
                    if let Some(file) = &settings.ca_file {
                        let pem = std::fs::read(file).map_err(|e| {
                            MailError::Config(format!(
                                "mail.smtp.ca_file: cannot read {}: {e}",
                                file.display()
                            ))
                        })?;
                        let cert = Certificate::from_pem(&pem).map_err(|e| {
                            MailError::Config(format!(
                                "mail.smtp.ca_file: {} is not a PEM certificate: {e}",
                                file.display()
                            ))
                        })?;
                        builder = builder.add_root_certificate(cert);
                    }
                    Some(builder.build_rustls().map_err(|e| {
                        MailError::Config(format!("mail.smtp: setting up TLS: {e}"))
                    })?)
                }
            };
        Ok(SmtpMailer {
            from,
            settings,
            timeout,
            credentials,
            tls,
            hello: ClientId::default(),
            connection: Mutex::new(None),
        })
    }

    fn server(&self) -> String {
        match self.settings.host.contains(':') {
            true => format!("[{}]:{}", self.settings.host, self.settings.port),
            false => format!("{}:{}", self.settings.host, self.settings.port),
        }
    }

    fn fail(&self, step: &str, blame: Blame, e: lettre::transport::smtp::Error) -> MailError {
        // The server's words, shown safely (no terminal escapes).
        let mut detail = crate::text::visible(&e.to_string()).into_owned();
        if e.is_timeout() {
            detail = format!(
                "no answer within {} s (mail.timeout)",
                self.timeout.as_secs()
            );
        }
        MailError::Smtp {
            server: self.server(),
            step: step.to_string(),
            detail,
            permanent: matches!(blame, Blame::Mail) && e.is_permanent(),
        }
    }

    fn refused(&self, step: &str, detail: String) -> MailError {
        MailError::Smtp {
            server: self.server(),
            step: step.to_string(),
            detail,
            permanent: false,
        }
    }

    fn connect(&self) -> Result<SmtpConnection, MailError> {
        let s = &self.settings;
        let at_once = match s.security {
            Security::Tls => self.tls.as_ref(),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (s.host.as_str(), s.port),
            Some(self.timeout),
            &self.hello,
            at_once,
            None,
        )
        .map_err(|e| self.fail("connect", Blame::Setup, e))?;
        let result = self.set_up(&mut conn);
        if result.is_err() {
            conn.abort();
        }
        result.map(|()| conn)
    }

    fn set_up(&self, conn: &mut SmtpConnection) -> Result<(), MailError> {
        if self.settings.security == Security::StartTls {
            if !conn.can_starttls() {
                return Err(self.refused(
                    "STARTTLS",
                    "the server does not offer STARTTLS; use security: tls if it takes TLS \
                     from the start (port 465), or none for a relay on this machine"
                        .into(),
                ));
            }
            let tls = self.tls.as_ref().expect("starttls has TLS parameters");
            conn.starttls(tls, &self.hello)
                .map_err(|e| self.fail("STARTTLS", Blame::Setup, e))?;
        }
        if let Some(credentials) = &self.credentials {
            let offered = conn.server_info().get_auth_mechanism(&MECHANISMS);
            if offered.is_none() {
                return Err(self.refused(
                    "AUTH",
                    "the server offers no login (AUTH PLAIN or LOGIN) on this connection".into(),
                ));
            }
            conn.auth(&MECHANISMS, credentials)
                .map_err(|e| self.fail("AUTH", Blame::Setup, e))?;
        }
        Ok(())
    }

    fn transfer(&self, conn: &mut SmtpConnection, built: &Built) -> Result<(), MailError> {
        let mut parameters = Vec::new();
        let foreign = |a: &lettre::Address| !a.to_string().is_ascii();
        let (sender, recipient) = (foreign(&built.from), built.to.iter().any(foreign));
        if sender || recipient {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(MailError::Smtp {
                    server: self.server(),
                    step: "MAIL FROM".into(),
                    detail: "an address is not ASCII and the server does not take SMTPUTF8".into(),
                    // The mail's fault only if a recipient is; `from` is the settings'.
                    permanent: recipient && !sender,
                });
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        let from_step = format!("MAIL FROM:<{}>", built.from);
        conn.command(MailCommand::new(Some(built.from.clone()), parameters))
            .map_err(|e| self.fail(&from_step, Blame::Setup, e))?;
        for to in &built.to {
            conn.command(Rcpt::new(to.clone(), Vec::new()))
                .map_err(|e| self.fail(&format!("RCPT TO:<{to}>"), Blame::Mail, e))?;
        }
        conn.command(Data)
            .map_err(|e| self.fail("DATA", Blame::Mail, e))?;
        conn.command(Payload(&built.bytes))
            .map_err(|e| self.fail("message", Blame::Mail, e))?;
        Ok(())
    }
}

/// The message after DATA, dot-stuffed (RFC 5321 4.5.2), and the line
/// `.` that ends it, written in one piece. lettre's `message` writes the end
/// apart; with Nagle's algorithm that small write then waits until the
/// server acknowledges the message, which a server that delays its
/// acknowledgements (Linux: 40 ms) does only then: each mail took some
/// 45 ms more, and a `desk run` killed in that wait had its mail delivered
/// (the kernel sends what was written) with no `notified` recorded, so the
/// next run sent it again (docs/automation.md, at-least-once).
struct Payload<'a>(&'a [u8]);

impl std::fmt::Display for Payload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // lettre builds the message from text: it is UTF-8 (ASCII but for
        // SMTPUTF8 addresses).
        let text = String::from_utf8_lossy(self.0);
        f.write_str(&text.replace("\r\n.", "\r\n.."))?;
        // The line break before the dot may be the message's last one.
        match text.ends_with("\r\n") {
            true => f.write_str(".\r\n"),
            false => f.write_str("\r\n.\r\n"),
        }
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let built = message::build(&self.from, mail)?;
        let mut open = self
            .connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut conn = match open.take() {
            // NOOP: the server may have closed an idle connection.
            Some(mut conn) => {
                if conn.test_connected() {
                    conn
                } else {
                    conn.abort();
                    self.connect()?
                }
            }
            None => self.connect()?,
        };
        match self.transfer(&mut conn, &built) {
            Ok(()) => {
                *open = Some(conn);
                Ok(())
            }
            Err(e) => {
                conn.abort();
                Err(e)
            }
        }
    }
}

impl Drop for SmtpMailer {
    fn drop(&mut self) {
        let open = self
            .connection
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mut conn) = open.take() {
            let _ = conn.quit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Payload;

    #[test]
    fn the_message_is_dot_stuffed_and_ended_in_one_piece() {
        let message = b"Subject: x\r\n\r\n.\r\n..two\r\nend.\r\n";
        assert_eq!(
            Payload(message).to_string(),
            "Subject: x\r\n\r\n..\r\n...two\r\nend.\r\n.\r\n"
        );
        assert_eq!(
            Payload(b"Subject: x\r\n\r\nno line break").to_string(),
            "Subject: x\r\n\r\nno line break\r\n.\r\n"
        );
    }
}
