//! The files of mail taken in (`desk mail-in`, docs/mail.md): attachments
//! under `attachments/<ticket ID>/` and messages held for review under
//! `mail/held/`. The Message-IDs already filed are a derived index
//! (`index/message_ids.rs`).

use std::path::{Path, PathBuf};

use super::fsio::create_atomic;
use super::read::real_dirs;
use super::Store;
use crate::error::{Error, Result};

/// Where attachments are saved, one folder per ticket.
pub const ATTACHMENTS_DIR: &str = "attachments";
/// Where messages from unknown senders wait, when desk.yaml says to hold them.
pub const HELD_DIR: &str = "mail/held";
/// One record per report mailed (`desk report --mail`), named by the
/// mail's key: what makes it go once per period and recipient.
pub const REPORTED_DIR: &str = "mail/reported";
/// The lock a sender of reports holds while it checks, sends and records.
pub const REPORT_MAIL_LOCK: &str = "report-mail";

impl Store {
    /// Saves an attachment of `ticket` as `name` (already a safe file
    /// name), or as `name-2`, `name-3`… when that is taken: never over a
    /// file, never through a link, each file whole or not there. A file of
    /// that name with the same bytes is the attachment already (saved by a
    /// run killed before its ticket was written, or sent again) and is
    /// kept. Returns the name it was saved as.
    pub fn save_attachment(&self, ticket: &str, name: &str, bytes: &[u8]) -> Result<String> {
        let rel = Path::new(ATTACHMENTS_DIR).join(ticket);
        let dir = self.real_dir(&rel)?;
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => name.split_at(i),
            _ => (name, ""),
        };
        for n in 1..=1000u32 {
            let candidate = match n {
                1 => name.to_string(),
                n => format!("{stem}-{n}{ext}"),
            };
            let path = dir.join(&candidate);
            match path.symlink_metadata() {
                Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
                    if std::fs::read(&path).is_ok_and(|held| held == bytes) {
                        return Ok(candidate);
                    }
                    continue;
                }
                Ok(_) => continue,
                Err(_) => {}
            }
            match create_atomic(&path, bytes) {
                Ok(()) => return Ok(candidate),
                // Taken meanwhile (another process): try the next name.
                Err(_) if path.symlink_metadata().is_ok() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Refused(format!(
            "{}: no free name for attachment '{name}'",
            rel.display()
        )))
    }

    /// Keeps a message for review as `mail/held/<name>.eml`; `false` when
    /// it is held already (the same message taken in twice).
    pub fn hold_mail(&self, name: &str, bytes: &[u8]) -> Result<bool> {
        let dir = self.real_dir(Path::new(HELD_DIR))?;
        let path = dir.join(format!("{name}.eml"));
        if path.symlink_metadata().is_ok() {
            return Ok(false);
        }
        create_atomic(&path, bytes)?;
        Ok(true)
    }

    /// The record of a report mailed, `mail/reported/<key>.yaml`, if it
    /// was; `key` is desk's hex digest of the period and the recipient.
    /// A folder on the way that is a link or a file is refused here, before
    /// the mail is sent, as no record could be written there.
    pub fn report_mailed(&self, key: &str) -> Result<bool> {
        let rel = reported_file(key)?;
        real_dirs(&self.root, Path::new(REPORTED_DIR))?;
        // Its name is the record: what it holds is for people and git, so
        // one that cannot be read still says the mail went.
        Ok(self.root.join(&rel).symlink_metadata().is_ok())
    }

    /// Writes the record of a report mailed; whole or not at all, never
    /// over another.
    pub fn record_report_mailed(&self, key: &str, text: &str) -> Result<()> {
        let rel = reported_file(key)?;
        self.real_dir(Path::new(REPORTED_DIR))?;
        create_atomic(&self.root.join(rel), text.as_bytes())
    }

    /// `rel` under the root as a real directory, created if missing; no
    /// folder on the way may be a link.
    fn real_dir(&self, rel: &Path) -> Result<PathBuf> {
        real_dirs(&self.root, rel)?;
        let dir = self.root.join(rel);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // Created by another between the check and here as a link: refused.
        real_dirs(&self.root, rel)?;
        Ok(dir)
    }
}

/// `mail/reported/<key>.yaml` for a key of hex digits only, so nothing
/// but that folder's own files can be named.
fn reported_file(key: &str) -> Result<PathBuf> {
    if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "report mail key",
            key,
            "hex digits, as desk makes them",
        ));
    }
    Ok(Path::new(REPORTED_DIR).join(format!("{key}.yaml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_never_replaces_a_file_and_the_same_bytes_are_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        let saved = |name: &str, bytes: &[u8]| store.save_attachment("CW1", name, bytes).unwrap();
        assert_eq!(saved("发票.pdf", b"one"), "发票.pdf");
        assert_eq!(saved("发票.pdf", b"one"), "发票.pdf");
        assert_eq!(saved("发票.pdf", b"two"), "发票-2.pdf");
        assert_eq!(saved("发票.pdf", b"three"), "发票-3.pdf");
        assert_eq!(saved("README", b"x"), "README");
        assert_eq!(saved("README", b"y"), "README-2");
        let folder = dir.path().join("attachments/CW1");
        assert_eq!(std::fs::read(folder.join("发票.pdf")).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 5);
        // A link in the way is passed over, never written through.
        #[cfg(unix)]
        {
            let outside = dir.path().join("outside.txt");
            std::os::unix::fs::symlink(&outside, folder.join("note.txt")).unwrap();
            assert_eq!(saved("note.txt", b"z"), "note-2.txt");
            assert!(!outside.exists());
            // A folder that is a link is refused.
            std::os::unix::fs::symlink(dir.path(), dir.path().join("attachments/CW2")).unwrap();
            assert!(store.save_attachment("CW2", "a.txt", b"a").is_err());
            assert!(!dir.path().join("a.txt").exists());
        }
    }
}
