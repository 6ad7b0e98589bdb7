//! The mail transport of desk.yaml's `mail:` section, set up for `desk
//! run`, and what `desk check` says about it.

use crate::error::Error;
use crate::mail::{Mail, MailError, Mailer};
use crate::store::Store;

/// `mail:` that cannot send (a password that cannot be read, a transport
/// this build lacks): every e-mail fails with the reason and is retried,
/// while hooks are still delivered.
struct Unavailable(MailError);

impl Mailer for Unavailable {
    fn send(&self, _: &Mail) -> std::result::Result<(), MailError> {
        Err(self.0.clone())
    }
}

/// What is wrong with `mail:` of desk.yaml, if anything, naming its
/// line. Only `desk run` (which refuses to start) and `desk check` ask,
/// so a slip in the mail settings hides no ticket from other commands.
pub fn mail_problem(store: &Store) -> Option<Error> {
    let mail = store.config.mail.as_ref()?;
    let message = mail.settings_in(&store.root).err()?;
    Some(Error::Parse {
        path: crate::store::CONFIG_FILE.into(),
        line: super::rules::config_line(store, "mail"),
        message,
    })
}

/// What e-mail goes through: `None` when desk.yaml has no `mail:`. A
/// `sendmail:` command that this machine does not allow (as a hook)
/// sends nothing: every e-mail fails, saying how to allow it.
pub fn email_sender(store: &Store) -> Option<Box<dyn Mailer>> {
    Some(match ready_sender(store)? {
        Ok(mailer) => mailer,
        Err(e) => Box::new(Unavailable(e)),
    })
}

/// The transport of `mail:` when this machine can send with it, else why
/// not (a command or login it does not allow, a password it cannot
/// read): a command that delivers at once leaves its notices for `desk
/// run` then, rather than spend an attempt of theirs.
pub fn ready_sender(store: &Store) -> Option<Result<Box<dyn Mailer>, MailError>> {
    let config = store.config.mail.as_ref()?;
    if let Some(line) = sendmail_line(store) {
        if !store.allowed_hooks().contains(&line) {
            return Some(Err(MailError::Config(format!(
                "mail.sendmail: the command `{line}` is not allowed on this machine; {} \
                 (docs/automation.md, Trust model)",
                super::hooks::how_to_allow(&line)
            ))));
        }
    }
    // Checked before the password is read: no password leaves this
    // machine for a server, or from a source, it has not allowed.
    if let Some(line) = smtp_login_line(store) {
        if !store.allowed_hooks().contains(&line) {
            return Some(Err(MailError::Config(format!(
                "mail.smtp: the login `{line}` is not allowed on this machine, so no \
                 password is read or sent; {} (docs/automation.md, Trust model)",
                super::hooks::how_to_allow(&line)
            ))));
        }
    }
    Some(crate::mail::mailer(config))
}

/// The SMTP login of `mail:` (a `user` with `password_env` or
/// `password_file`) as a line this machine must allow before the
/// password is read: desk.yaml travels through git, and a commit that
/// changed the server, or where the password is read from, would have
/// this machine send its password (or any one-line file or variable the
/// cron account can read) to a server of the commit's choosing.
/// `smtp HOST:PORT user:USER password_env:NAME` (or `password_file:PATH`),
/// each word quoted as in a command line when it needs to be.
pub(super) fn smtp_login_line(store: &Store) -> Option<String> {
    let settings = store.config.mail.as_ref()?.settings().ok()?;
    let crate::mail::Transport::Smtp(smtp) = settings.transport else {
        return None;
    };
    let source = match smtp.password.as_ref()? {
        crate::mail::PasswordSource::Env(name) => format!("password_env:{name}"),
        crate::mail::PasswordSource::File(path) => {
            format!("password_file:{}", path.display())
        }
    };
    let server = format!("{}:{}", smtp.host, smtp.port);
    let user = format!("user:{}", smtp.user.as_deref().unwrap_or_default());
    Some(crate::text::shell_line([
        "smtp",
        server.as_str(),
        user.as_str(),
        source.as_str(),
    ]))
}

/// The command line of `mail:`'s `sendmail:`, when it is a command this
/// machine must allow: desk.yaml travels through git, so any command
/// but the system's own sendmail (the default, without arguments) is
/// run only where `desk.hooks` allows it, as the rules' hooks are.
pub(super) fn sendmail_line(store: &Store) -> Option<String> {
    let settings = store.config.mail.as_ref()?.settings().ok()?;
    match settings.transport {
        crate::mail::Transport::Sendmail { command, args }
            if !(command == crate::mail::DEFAULT_SENDMAIL && args.is_empty()) =>
        {
            Some(crate::text::shell_line(
                std::iter::once(command.as_str()).chain(args.iter().map(String::as_str)),
            ))
        }
        _ => None,
    }
}
