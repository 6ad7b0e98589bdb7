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
                what: "article", ..
            } => Some("`desk kb list` lists the articles".into()),
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
            // A record desk was creating is there already: it never
            // overwrites one, whoever made it.
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => Some(
                "desk does not overwrite a file it creates: this one is there already (made by \
                 another command or clone, or by hand). Run `desk check` to see the store's \
                 state, then try again"
                    .into(),
            ),
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

/// A desk file whose YAML could not be read, as every other parse error.
impl From<crate::yaml::ReadError> for Error {
    fn from(e: crate::yaml::ReadError) -> Self {
        Error::Parse {
            path: e.path,
            line: e.line,
            message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Error;
    use crate::yaml::from_yaml;

    #[test]
    fn byte_order_mark_is_skipped_and_values_are_not_echoed() {
        let v: crate::yaml::Value = from_yaml("\u{feff}a: 1\n", Path::new("f.yaml")).unwrap();
        assert_eq!(v["a"], 1);
        let e = Error::from(from_yaml::<u32>("\"my secret\"\n", Path::new("f.yaml")).unwrap_err());
        assert!(!e.to_string().contains("my secret"), "{e}");
        assert!(e.to_string().contains("f.yaml"), "{e}");
    }

    #[test]
    fn a_file_found_where_desk_creates_one_gets_a_hint() {
        let exists = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
        let e = Error::io("customers/C000042.yaml", exists);
        assert!(e.hint().is_some_and(|h| h.contains("desk check")), "{e}");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(Error::io("customers/C000042.yaml", denied).hint(), None);
    }
}
