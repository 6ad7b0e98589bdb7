//! A Maildir that `desk mail-in --maildir` takes mail from (outside the
//! store; the mail system writes it): its messages not yet seen, moved to
//! `cur/` flagged seen once filed, or into its `.desk-failed` folder when
//! they cannot be read. The Maildir conventions: a message is a file of
//! `new/` or `cur/`; `cur/` names carry `:2,` and flags in ASCII order,
//! `S` for seen; dot files are not messages.

use std::path::{Path, PathBuf};

use super::walk::entries;
use crate::error::{Error, Result};

/// The Maildir++ folder of messages desk could not read.
pub const FAILED_FOLDER: &str = ".desk-failed";

/// The messages to file, in `new/` and then in `cur/` without the seen
/// flag, each folder in name order; links and folders are no messages.
pub fn maildir_messages(dir: &Path) -> Result<Vec<PathBuf>> {
    for sub in ["new", "cur"] {
        if !std::fs::symlink_metadata(dir.join(sub)).is_ok_and(|m| m.is_dir()) {
            return Err(Error::Refused(format!(
                "{}: not a Maildir (no {sub}/ folder)",
                dir.display()
            )));
        }
    }
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        found.extend(
            entries(&dir.join(sub))?
                .into_iter()
                .filter(|e| e.file_type.is_file() && !e.name.starts_with('.'))
                .filter(|e| sub == "new" || !seen(&e.name))
                .map(|e| e.path),
        );
    }
    Ok(found)
}

/// Moves a message filed to `cur/`, flagged seen; returns where.
pub fn maildir_done(dir: &Path, message: &Path) -> Result<PathBuf> {
    move_flagged(message, &dir.join("cur"))
}

/// Moves a message that cannot be read into the `.desk-failed` folder
/// (made a Maildir if need be), flagged seen; returns where.
pub fn maildir_failed(dir: &Path, message: &Path) -> Result<PathBuf> {
    let failed = dir.join(FAILED_FOLDER);
    for d in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(failed.join(d)).map_err(|e| Error::io(failed.join(d), e))?;
    }
    move_flagged(message, &failed.join("cur"))
}

fn move_flagged(message: &Path, to_dir: &Path) -> Result<PathBuf> {
    let name = message
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let to = to_dir.join(flagged_seen(name));
    std::fs::rename(message, &to).map_err(|e| Error::io(message, e))?;
    // The move durable: a crash after it must not bring the message back
    // (it would only be skipped as filed before, but counted).
    super::fsio::sync_dir_itself(to_dir);
    Ok(to)
}

/// Whether a Maildir name carries the seen flag (`…:2,S`).
fn seen(name: &str) -> bool {
    name.rsplit_once(":2,")
        .is_some_and(|(_, flags)| flags.contains('S'))
}

/// The name with the seen flag added to its info (`:2,` and flags in
/// ASCII order).
fn flagged_seen(name: &str) -> String {
    let (base, flags) = match name.rsplit_once(":2,") {
        Some((base, flags)) => (base, flags),
        None => (name, ""),
    };
    let mut flags: Vec<char> = flags.chars().chain(['S']).collect();
    flags.sort_unstable();
    flags.dedup();
    format!("{base}:2,{}", flags.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seen_flag_joins_the_others_in_order() {
        assert_eq!(flagged_seen("123.host"), "123.host:2,S");
        assert_eq!(flagged_seen("123.host:2,FR"), "123.host:2,FRS");
        assert_eq!(flagged_seen("123.host:2,S"), "123.host:2,S");
        assert!(seen("1.h:2,RS"));
        assert!(!seen("1.h:2,R"));
        assert!(!seen("1.h"));
    }
}
