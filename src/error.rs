//! The one error type of the library. Every variant carries what a user needs
//! to fix the problem: the bad value, what would be valid, the file involved.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `desk.yaml` was found from the starting directory upwards.
    #[error("not inside a desk store (no desk.yaml in {start} or any parent directory)")]
    NoStore { start: PathBuf },

    /// A value given on the command line (or in a file) is not acceptable.
    #[error("invalid {what} '{}': {valid}", crate::text::visible(value))]
    Invalid {
        what: String,
        value: String,
        valid: String,
    },

    /// A ticket, customer or agent that does not exist.
    #[error("{what} '{}' not found", crate::text::visible(id))]
    NotFound { what: &'static str, id: String },

    /// A request that the current state does not allow (closing a closed ticket, ...).
    #[error("{0}")]
    Refused(String),

    /// A YAML file that cannot be parsed; `line` is 1-based when known.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    /// Several files could not be read; each is named.
    #[error("{} unreadable file(s):\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Vec<Error>),

    /// A lock was not released within the allowed wait (`DESK_LOCK_TIMEOUT`).
    #[error("gave up after {waited} waiting for the lock {}, held by {holder}", path.display())]
    LockTimeout {
        path: PathBuf,
        holder: String,
        waited: String,
    },

    /// A key, recipient or encrypted value that cannot be used.
    #[error("{0}")]
    Crypto(#[from] crate::crypto::CryptoError),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Writing to stdout failed; a closed pipe is reported quietly by `main`.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn invalid(
        what: impl Into<String>,
        value: impl Into<String>,
        valid: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            what: what.into(),
            value: value.into(),
            valid: valid.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn parse_yaml(path: impl Into<PathBuf>, err: &crate::yaml::Error) -> Self {
        Error::Parse {
            path: path.into(),
            line: err.location().map(|l| l.line()),
            message: without_values(&crate::yaml::message(err)),
        }
    }

    /// A hint printed under the error, where one helps.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NoStore { .. } => Some(
                "run `desk init` to create a store here, or pass --dir DIR / set DESK_DIR".into(),
            ),
            Error::NotFound { what: "ticket", .. } => {
                Some("`desk list --all --format ids` lists every ticket ID".into())
            }
            Error::NotFound {
                what: "customer", ..
            } => Some(
                "register the customer with `desk customer add`, or find the ID with `desk customer list --name NAME`"
                    .into(),
            ),
            Error::LockTimeout { .. } => Some(
                "a command stopped with Ctrl-Z keeps its lock: resume it (`fg`) or end it; \
                 DESK_LOCK_TIMEOUT sets how many seconds to wait"
                    .into(),
            ),
            Error::NotFound { what: "agent", .. } => {
                Some("agents are listed under `agents:` in desk.yaml".into())
            }
            _ => None,
        }
    }

    /// Nothing, one error, or all of them as `Many`: what a scan that
    /// collected unreadable files returns after printing what it could.
    pub fn all(mut errors: Vec<Error>) -> Result<()> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.pop().expect("one error")),
            _ => Err(Error::Many(errors)),
        }
    }

    /// True when the error is only a closed stdout (e.g. `desk list | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// A parse message without the values it quotes from the file: what serde
/// quotes after a type ("integer `13912345678`", "string \"...\"", "variant
/// `...`") and desk's own quoted values ("created: '...' is not an RFC 3339
/// time"). Field names and expected values stay. A file in the store may be a
/// key or a password file, and errors end up in logs and cron mail.
fn without_values(message: &str) -> String {
    const BEFORE_A_VALUE: [&str; 8] = [
        "integer ",
        "floating point ",
        "string ",
        "variant ",
        "character ",
        "boolean ",
        "value ",
        ": ",
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['`', '"', '\'']) {
        let quote = rest[i..].chars().next().expect("found");
        let body = &rest[i + 1..];
        // Rust's debug quoting: `\"` does not end a double-quoted value.
        let end = if quote == '"' {
            let mut escaped = false;
            body.char_indices().find_map(|(j, c)| {
                let ends = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                ends.then_some(j)
            })
        } else {
            body.find(quote)
        };
        let Some(len) = end else {
            break;
        };
        let before = &rest[..i];
        out.push_str(before);
        let value = (out.is_empty() && before.is_empty())
            || BEFORE_A_VALUE.iter().any(|w| out.ends_with(w));
        if value {
            out.push_str("(value not shown)");
        } else {
            out.push_str(&rest[i..i + len + 2]);
        }
        rest = &rest[i + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn values_found_in_a_file_are_not_repeated() {
        assert_eq!(
            without_values(
                "invalid type: string \"AGE-SECRET-KEY-1\\\"x\", expected struct Ticket"
            ),
            "invalid type: string (value not shown), expected struct Ticket"
        );
        assert_eq!(
            without_values("status: unknown variant `secret`, expected one of `open`, `closed` at line 2 column 9"),
            "status: unknown variant (value not shown), expected one of `open`, `closed` at line 2 column 9"
        );
        assert_eq!(
            without_values("missing field `history` at line 1 column 1"),
            "missing field `history` at line 1 column 1"
        );
        assert_eq!(
            without_values("vip: invalid type: integer `13912345678`, expected a boolean"),
            "vip: invalid type: integer (value not shown), expected a boolean"
        );
        assert_eq!(
            without_values(
                "kind: unknown variant `11010519491231002X`, expected `individual` or `enterprise`"
            ),
            "kind: unknown variant (value not shown), expected `individual` or `enterprise`"
        );
        assert_eq!(
            without_values("created: '1398' is not an RFC 3339 time"),
            "created: (value not shown) is not an RFC 3339 time"
        );
    }
}
