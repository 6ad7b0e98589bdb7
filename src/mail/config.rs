//! `mail:` of desk.yaml: kept as written, read into [`Settings`] by one
//! parser that both the reading of desk.yaml (to refuse a bad section early)
//! and [`super::mailer`] use. No I/O here: the password is only named.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::yaml::{Mapping, Value};
use serde::{Deserialize, Serialize};

/// `mail:` of desk.yaml as written. Unknown keys are refused by
/// [`MailConfig::settings`] (a misspelt key would otherwise send mail some
/// other way than meant), and the section is written back as it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailConfig(Value);

/// What `mail:` says, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The `From:` mailbox, e.g. `客服中心 <service@example.com>`.
    pub from: String,
    /// For connecting and for each reply of the server (or the sendmail command to end).
    pub timeout: Duration,
    pub transport: Transport,
    /// `deliver_at_once:` (default true): the command that queues a notice
    /// sends it itself, rather than leaving it for `desk run`.
    pub deliver_at_once: bool,
    /// `reply_to:` (default: `from`): the support address customers answer,
    /// the `Reply-To:` of mail to them.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// `COMMAND ARGS... -i -f FROM -- TO...`, the message on stdin.
    Sendmail {
        command: String,
        args: Vec<String>,
    },
    Smtp(Smtp),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// With a password source, for AUTH.
    pub user: Option<String>,
    pub password: Option<PasswordSource>,
    /// A PEM file of certificates to trust besides the system's (a private CA).
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server offers none.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (port 25): for a relay on this machine or the local network.
    None,
}

impl Security {
    pub fn key(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// Where the SMTP password is read when mail is sent; never desk.yaml.
#[derive(Debug, Clone, PartialEq)]
pub enum PasswordSource {
    Env(String),
    File(PathBuf),
}

/// The command of `sendmail:` when none is given.
pub const DEFAULT_SENDMAIL: &str = "/usr/sbin/sendmail";
/// Seconds, when `timeout:` is not given.
const DEFAULT_TIMEOUT: u64 = 30;
const MAX_TIMEOUT: u64 = 600;

const MAIL_KEYS: &[&str] = &[
    "from",
    "timeout",
    "smtp",
    "sendmail",
    "intake",
    "deliver_at_once",
    "reply_to",
];
const SMTP_KEYS: &[&str] = &[
    "host",
    "port",
    "security",
    "user",
    "password_env",
    "password_file",
    "ca_file",
];
const SENDMAIL_KEYS: &[&str] = &["command", "args"];

impl MailConfig {
    /// A section from its YAML text (tests, and code that builds desk.yaml).
    pub fn from_yaml(text: &str) -> Result<MailConfig, String> {
        crate::yaml::from_str(text)
            .map(MailConfig)
            .map_err(|e| format!("mail: {e}"))
    }

    /// The settings, or what is wrong: the key (`mail.smtp.port`), the bad
    /// value (never a password) and what would be valid.
    pub fn settings(&self) -> Result<Settings, String> {
        let map = mapping(&self.0, "mail")?;
        refuse_password(map, "mail")?;
        check_keys(map, "mail", MAIL_KEYS)?;
        let from = match map.get("from") {
            None | Some(Value::Null) => return Err(
                "mail.from: missing; give the sender, e.g. `from: 客服中心 <service@example.com>`"
                    .into(),
            ),
            Some(v) => text(v, "mail.from")?,
        };
        super::message::mailbox(&from).map_err(|e| format!("mail.from: {e}"))?;
        super::intake::parse(map.get("intake"))?;
        let timeout = match map.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_TIMEOUT).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "mail.timeout: {} is not a timeout; expected seconds from 1 to {MAX_TIMEOUT} (default {DEFAULT_TIMEOUT})",
                        shown(v)
                    ))
                }
            },
        };
        let reply_to = match map.get("reply_to") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let text = text(v, "mail.reply_to")?;
                super::message::mailbox(&text).map_err(|e| format!("mail.reply_to: {e}"))?;
                Some(text)
            }
        };
        let deliver_at_once = match map.get("deliver_at_once") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(format!(
                    "mail.deliver_at_once: {} is not true or false (default true)",
                    shown(v)
                ))
            }
        };
        let transport = match (map.get("smtp"), map.get("sendmail")) {
            (Some(_), Some(_)) => {
                return Err(
                    "mail: both `smtp:` and `sendmail:` are given; keep the one to send with"
                        .into(),
                )
            }
            (Some(smtp), None) => Transport::Smtp(parse_smtp(smtp)?),
            (None, Some(sendmail)) => parse_sendmail(sendmail)?,
            (None, None) => Transport::Sendmail {
                command: DEFAULT_SENDMAIL.into(),
                args: Vec::new(),
            },
        };
        Ok(Settings {
            from,
            timeout: Duration::from_secs(timeout),
            transport,
            deliver_at_once,
            reply_to,
        })
    }

    /// `mail.intake`, checked; its defaults when not given. Read on its
    /// own: taking mail in needs no way of sending it.
    pub fn intake(&self) -> Result<super::Intake, String> {
        super::intake::parse(self.0.get("intake"))
    }

    /// The address of `mail.from`, when it is a valid mailbox: desk's mail
    /// coming back names it in `X-Loop`.
    pub fn from_address(&self) -> Option<String> {
        self.address_of("from")
    }

    /// The address of `mail.reply_to`, when it is a valid mailbox: the
    /// support address customers write to, which desk never files mail
    /// from either.
    pub fn reply_to_address(&self) -> Option<String> {
        self.address_of("reply_to")
    }

    fn address_of(&self, key: &str) -> Option<String> {
        let text = self.0.get(key)?.as_str()?;
        crate::model::validate::mailbox(text)
            .ok()
            .map(|m| m.address)
    }

    /// [`MailConfig::settings`], with the files it names checked against the
    /// store at `root`: a password file inside the store would be committed,
    /// and a link could lead there (or be turned to the store later), so a
    /// link is refused wherever it points.
    pub fn settings_in(&self, root: &Path) -> Result<Settings, String> {
        let settings = self.settings()?;
        if let Some(file) = settings.password_file() {
            if file
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(format!(
                    "mail.smtp.password_file: {} is a symbolic link; name the file itself \
                     (desk reads the password through no link: one could lead into the store)",
                    file.display()
                ));
            }
            if root.is_absolute() && inside(file, root) {
                return Err(format!(
                    "mail.smtp.password_file: {} is inside the store, whose files are committed to git; \
                     keep the password outside it (e.g. /etc/desk/smtp-password, mode 600)",
                    file.display()
                ));
            }
        }
        Ok(settings)
    }

    /// A warning when the password file can be read by others than its
    /// owner, as ssh warns of a private key; `None` when it cannot or there
    /// is no password file.
    pub fn password_warning(&self) -> Option<String> {
        exposed(self.settings().ok()?.password_file()?)
    }
}

impl Settings {
    /// The file `mail.smtp.password_file` names, if any.
    pub fn password_file(&self) -> Option<&Path> {
        match &self.transport {
            Transport::Smtp(Smtp {
                password: Some(PasswordSource::File(file)),
                ..
            }) => Some(file),
            _ => None,
        }
    }
}

#[cfg(unix)]
fn exposed(file: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(file).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the SMTP password file {} (mail.smtp.password_file) is accessible by others \
             (mode {mode:04o}); run `chmod 600` on it",
            file.display()
        )
    })
}

#[cfg(not(unix))]
fn exposed(_file: &Path) -> Option<String> {
    None
}

/// Whether `file` is `root` or under it, by their components (`..` taken
/// away lexically; the file need not exist).
fn inside(file: &Path, root: &Path) -> bool {
    let normal = |p: &Path| {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    };
    let root = root.canonicalize().unwrap_or_else(|_| normal(root));
    // Resolved where it exists (the file, else its directory), so a link to
    // the store counts.
    let file = match file.canonicalize() {
        Ok(file) => file,
        Err(_) => match file.parent().and_then(|d| d.canonicalize().ok()) {
            Some(dir) => dir.join(file.file_name().unwrap_or_default()),
            None => normal(file),
        },
    };
    file.starts_with(root)
}

fn parse_smtp(value: &Value) -> Result<Smtp, String> {
    let map = mapping(value, "mail.smtp")?;
    refuse_password(map, "mail.smtp")?;
    check_keys(map, "mail.smtp", SMTP_KEYS)?;
    let host = match map.get("host") {
        Some(v) => text(v, "mail.smtp.host")?,
        None => return Err(
            "mail.smtp.host: missing; give the SMTP server's name, e.g. `host: smtp.example.com`"
                .into(),
        ),
    };
    let name = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if !name && host.parse::<std::net::IpAddr>().is_err() {
        return Err(format!(
            "mail.smtp.host: '{}' is not a host name; expected a name such as smtp.example.com or an IP address (::1 without brackets)",
            crate::text::visible(&host)
        ));
    }
    let security = match map.get("security") {
        None => Security::StartTls,
        Some(v) => {
            let key = text(v, "mail.smtp.security")?;
            [Security::StartTls, Security::Tls, Security::None]
                .into_iter()
                .find(|s| s.key() == key)
                .ok_or_else(|| {
                    format!(
                        "mail.smtp.security: '{}' is not a security mode; expected starttls (port 587, the default), \
                         tls (port 465) or none (port 25, no encryption)",
                        crate::text::visible(&key)
                    )
                })?
        }
    };
    let port = match map.get("port") {
        None => security.default_port(),
        Some(v) => v
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!(
                    "mail.smtp.port: {} is not a port; expected a number from 1 to 65535 (default {} for {})",
                    shown(v),
                    security.default_port(),
                    security.key()
                )
            })?,
    };
    let user = map
        .get("user")
        .map(|v| text(v, "mail.smtp.user"))
        .transpose()?;
    let password = match (map.get("password_env"), map.get("password_file")) {
        (Some(_), Some(_)) => {
            return Err("mail.smtp: both password_env and password_file are given; keep one".into())
        }
        (Some(v), None) => {
            let name = text(v, "mail.smtp.password_env")?;
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                // Not quoted: it may be the password itself, written by mistake.
                return Err(
                    "mail.smtp.password_env: not an environment variable name; expected letters, digits \
                     and _ such as DESK_SMTP_PASSWORD (the name of the variable, not the password)"
                        .into(),
                );
            }
            Some(PasswordSource::Env(name))
        }
        (None, Some(v)) => Some(PasswordSource::File(absolute(
            v,
            "mail.smtp.password_file",
        )?)),
        (None, None) => None,
    };
    match (&user, &password) {
        (Some(_), None) => {
            return Err(
                "mail.smtp.user: given without a password; add password_env: VARIABLE or password_file: PATH"
                    .into(),
            )
        }
        (None, Some(_)) => {
            return Err(
                "mail.smtp: a password source is given without `user:`; add the user name to log in as".into(),
            )
        }
        _ => {}
    }
    if user.is_some() && security == Security::None && !loopback(&host) {
        return Err(format!(
            "mail.smtp.security: none would send the password in clear to {host}; use starttls or tls \
             (security: none with a user is allowed only for a server on this machine)"
        ));
    }
    let ca_file = map
        .get("ca_file")
        .map(|v| absolute(v, "mail.smtp.ca_file"))
        .transpose()?;
    if ca_file.is_some() && security == Security::None {
        return Err("mail.smtp.ca_file: given with security: none, which uses no certificate; use starttls or tls".into());
    }
    Ok(Smtp {
        host,
        port,
        security,
        user,
        password,
        ca_file,
    })
}

/// A `password:` key, named but never repeated.
fn refuse_password(map: &Mapping, at: &str) -> Result<(), String> {
    if map.contains_key("password") {
        return Err(format!(
            "{at}.password: a password is never written in desk.yaml (the store is committed to git); \
             use `password_env: VARIABLE` (read from the environment of `desk run`) or \
             `password_file: /absolute/path` (a file outside the store) under `smtp:`"
        ));
    }
    Ok(())
}

fn parse_sendmail(value: &Value) -> Result<Transport, String> {
    // `sendmail: {}` or `sendmail:` alone: the default command.
    if value.is_null() {
        return Ok(Transport::Sendmail {
            command: DEFAULT_SENDMAIL.into(),
            args: Vec::new(),
        });
    }
    let map = mapping(value, "mail.sendmail")?;
    check_keys(map, "mail.sendmail", SENDMAIL_KEYS)?;
    let command = match map.get("command") {
        None => DEFAULT_SENDMAIL.into(),
        Some(v) => text(v, "mail.sendmail.command")?,
    };
    if command.trim().is_empty() {
        return Err(format!(
            "mail.sendmail.command: empty; give a sendmail-compatible program such as {DEFAULT_SENDMAIL} or /usr/bin/msmtp"
        ));
    }
    let args = match map.get("args") {
        None => Vec::new(),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| text(v, &format!("mail.sendmail.args[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(v) => {
            return Err(format!(
                "mail.sendmail.args: {} is not a list; expected e.g. `args: [-a, work]`",
                shown(v)
            ))
        }
    };
    Ok(Transport::Sendmail { command, args })
}

fn mapping<'a>(value: &'a Value, key: &str) -> Result<&'a Mapping, String> {
    value.as_mapping().ok_or_else(|| {
        format!(
            "{key}: {} is not a section; expected keys under it (docs/format.md, `mail:`)",
            shown(value)
        )
    })
}

fn check_keys(map: &Mapping, at: &str, known: &[&str]) -> Result<(), String> {
    for key in map.keys() {
        let name = key.as_str().unwrap_or_default();
        if !known.contains(&name) {
            let name = match key.as_str() {
                Some(name) => format!("'{}'", crate::text::visible(name)),
                None => shown(key),
            };
            return Err(format!(
                "{at}: unknown key {name}; expected {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// A scalar as text (numbers too: a user name may be all digits).
fn text(value: &Value, key: &str) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("{key}: {} is not a text value", shown(value))),
    }
}

fn absolute(value: &Value, key: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text(value, key)?);
    if !path.is_absolute() {
        return Err(format!(
            "{key}: '{}' is not an absolute path; expected a path such as /etc/desk/smtp-password \
             (desk runs from cron in any directory)",
            path.display()
        ));
    }
    Ok(path)
}

fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A value as a short text for a message.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", crate::text::visible(s)),
        Value::Null => "an empty value".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a section".into(),
        other => crate::yaml::one_line(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(yaml: &str) -> Result<Settings, String> {
        MailConfig::from_yaml(yaml)?.settings()
    }

    #[test]
    fn smtp_settings_with_defaults_by_security() {
        let s = settings(
            "from: 客服中心 <service@example.com>\nsmtp:\n  host: smtp.example.com\n  user: service@example.com\n  password_env: DESK_SMTP_PASSWORD\n",
        )
        .unwrap();
        assert_eq!(s.from, "客服中心 <service@example.com>");
        assert_eq!(s.timeout, Duration::from_secs(30));
        let Transport::Smtp(smtp) = s.transport else {
            panic!("smtp expected")
        };
        assert_eq!((smtp.port, smtp.security), (587, Security::StartTls));
        assert_eq!(
            smtp.password,
            Some(PasswordSource::Env("DESK_SMTP_PASSWORD".into()))
        );
        for (security, port) in [("tls", 465), ("none", 25)] {
            let s = settings(&format!(
                "from: a@example.com\nsmtp: {{host: mx.example.com, security: {security}}}\n"
            ))
            .unwrap();
            assert!(matches!(s.transport, Transport::Smtp(Smtp { port: p, .. }) if p == port));
        }
    }

    #[test]
    fn sendmail_is_the_default_transport() {
        let s = settings("from: a@example.com\ntimeout: 5\n").unwrap();
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(
            s.transport,
            Transport::Sendmail {
                command: DEFAULT_SENDMAIL.into(),
                args: vec![]
            }
        );
        let s = settings(
            "from: a@example.com\nsendmail: {command: /usr/bin/msmtp, args: [-a, work]}\n",
        )
        .unwrap();
        assert_eq!(
            s.transport,
            Transport::Sendmail {
                command: "/usr/bin/msmtp".into(),
                args: vec!["-a".into(), "work".into()]
            }
        );
    }

    #[test]
    fn bad_settings_name_the_key_and_what_is_valid() {
        let cases = [
            ("smtp: {host: h}\n", "mail.from: missing"),
            ("from: not an address\n", "mail.from:"),
            (
                "from: a@example.com\nsmtp: {host: h, port: 70000}\n",
                "mail.smtp.port: 70000 is not a port; expected a number from 1 to 65535",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, port: '25x'}\n",
                "mail.smtp.port: '25x' is not a port",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, security: ssl}\n",
                "mail.smtp.security: 'ssl' is not a security mode; expected starttls",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, user: u, password_env: A, password_file: /b}\n",
                "both password_env and password_file",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, user: u, password: hunter2}\n",
                "mail.smtp.password: a password is never written in desk.yaml",
            ),
            (
                "from: a@example.com\npassword: hunter2\nsmtp: {host: h}\n",
                "mail.password: a password is never written in desk.yaml",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, user: u, password_file: secret.txt}\n",
                "mail.smtp.password_file: 'secret.txt' is not an absolute path",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, user: u, password_env: 'hunter 2'}\n",
                "not an environment variable name",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, user: u}\n",
                "mail.smtp.user: given without a password",
            ),
            (
                "from: a@example.com\nsmtp: {host: mx.example.com, security: none, user: u, password_env: P}\n",
                "would send the password in clear to mx.example.com",
            ),
            (
                "from: a@example.com\nsmtp: {host: h, securty: tls}\n",
                "mail.smtp: unknown key 'securty'; expected host, port, security",
            ),
            (
                "from: a@example.com\nsmtp: {port: 25}\n",
                "mail.smtp.host: missing",
            ),
            (
                "from: a@example.com\nsmtp: {host: h}\nsendmail: {}\n",
                "both `smtp:` and `sendmail:`",
            ),
            (
                "from: a@example.com\ntimeout: 0\n",
                "mail.timeout: 0 is not a timeout; expected seconds from 1 to 600",
            ),
            (
                "from: a@example.com\nsendmail: {args: -t}\n",
                "mail.sendmail.args: '-t' is not a list",
            ),
            ("- a\n", "mail: a list is not a section"),
            // A tagged section is shown on one line, as every value in a message.
            (
                "from: a@example.com\nsmtp: {host: !x {a: 1, b: 2}}\n",
                "mail.smtp.host: !x a: 1 b: 2 is not a text value",
            ),
        ];
        for (yaml, expected) in cases {
            let err = settings(yaml).unwrap_err();
            assert!(err.contains(expected), "{yaml}: {err}");
            assert!(!err.contains("hunter"), "{err}");
        }
        // Credentials in clear to this machine's relay are allowed.
        settings("from: a@example.com\nsmtp: {host: 127.0.0.1, security: none, user: u, password_env: P}\n")
            .unwrap();
    }

    #[test]
    fn a_password_file_in_the_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let yaml = |file: &Path| {
            format!(
                "from: a@example.com\nsmtp: {{host: h, user: u, password_file: '{}'}}\n",
                file.display()
            )
        };
        let inner = MailConfig::from_yaml(&yaml(&root.join("secrets/../smtp-password"))).unwrap();
        let err = inner.settings_in(&root).unwrap_err();
        assert!(err.contains("is inside the store"), "{err}");
        let outer = MailConfig::from_yaml(&yaml(Path::new("/etc/desk/smtp-password"))).unwrap();
        outer.settings_in(&root).unwrap();
        // Through a linked folder, and through a link, wherever it points.
        let elsewhere = tempfile::tempdir().unwrap();
        let folder = elsewhere.path().join("folder");
        std::os::unix::fs::symlink(&root, &folder).unwrap();
        std::fs::write(root.join("pw"), "x\n").unwrap();
        let err = MailConfig::from_yaml(&yaml(&folder.join("pw")))
            .unwrap()
            .settings_in(&root)
            .unwrap_err();
        assert!(err.contains("is inside the store"), "{err}");
        for target in [root.join("pw"), elsewhere.path().join("real")] {
            std::fs::write(&target, "x\n").unwrap();
            let link = elsewhere.path().join("link");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let err = MailConfig::from_yaml(&yaml(&link))
                .unwrap()
                .settings_in(&root)
                .unwrap_err();
            assert!(err.contains("is a symbolic link"), "{err}");
        }
    }

    #[test]
    #[cfg(unix)]
    fn a_password_file_others_can_read_is_warned_of() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp-password");
        std::fs::write(&file, "x\n").unwrap();
        let config = MailConfig::from_yaml(&format!(
            "from: a@example.com\nsmtp: {{host: h, user: u, password_file: '{}'}}\n",
            file.display()
        ))
        .unwrap();
        for (mode, warned) in [(0o600, false), (0o640, true), (0o604, true), (0o400, false)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let warning = config.password_warning();
            assert_eq!(warning.is_some(), warned, "{mode:o}: {warning:?}");
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(config
            .password_warning()
            .unwrap()
            .contains("is accessible by others (mode 0644); run `chmod 600`"));
    }

    proptest::proptest! {
        #[test]
        fn any_section_is_judged_without_panic(text in "\\PC{0,80}") {
            if let Ok(config) = MailConfig::from_yaml(&text) {
                let _ = config.settings();
            }
        }
    }
}
