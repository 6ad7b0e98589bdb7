//! The reveal log (seed 002: access by role, and an operation log): every
//! `--reveal` records who saw which fields of which customers in full, and
//! when, before anything is shown. One JSON object a line in
//! `audit/reveals/YYYY-MM-DD.jsonl` (the day in the store's time zone). The
//! files are only ever appended to, git carries them, and `.gitattributes`
//! merges them as a union of lines (`desk git-setup`). They hold no value.

use std::fs::File;

use super::read::guarded_open;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::read::{real_dirs, refused_kind};
use super::{write_atomic_with, Store, MAX_FILE_BYTES};
use crate::clock::Timestamp;
use crate::config::{holds_identity, Config};
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind, Reveal};

/// The folder of the reveal log, under the store root.
pub const AUDIT_DIR: &str = "audit/reveals";
/// The `.gitattributes` line that merges the reveal log by union: two
/// clones' reveals of one day are both kept, whatever their order.
pub const AUDIT_ATTRIBUTE: &str = "audit/reveals/*.jsonl merge=union";
/// The lock every append holds (`.desk/locks/audit.lock`).
pub(super) const LOCK: &str = "audit";

/// Opens a file of the log without following a link, refusing anything but
/// a regular file; None when there is none.
fn open_log(path: &Path, shown: &Path) -> Result<Option<File>> {
    let mut options = guarded_open();
    options.read(true);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(super::read::not_a_file(shown, "a symbolic link"))
        }
        Err(e) => return Err(Error::io(shown, e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(shown, e))?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(super::read::not_a_file(shown, kind));
    }
    Ok(Some(file))
}

/// Whether a fresh line may follow the file's bytes at once: empty, or
/// ending with a line break.
fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(last[0] == b'\n')
}

impl Store {
    /// The file of the reveal log for the day of `at` (store time zone).
    fn reveal_log(&self, at: Timestamp) -> PathBuf {
        let day = at.0.with_timezone(&self.settings.tz).format("%Y-%m-%d");
        self.root.join(AUDIT_DIR).join(format!("{day}.jsonl"))
    }

    /// Appends `lines` to the reveal log of their day, all or none: under
    /// the log's lock, the day's file is copied with the new lines to a
    /// temporary file, which replaces it (a crash leaves the old file). No
    /// link is followed, of the file or of its folders.
    pub fn record_reveals(&self, lines: &[Reveal]) -> Result<()> {
        let Some(first) = lines.first() else {
            return Ok(());
        };
        let path = self.reveal_log(first.at);
        let shown = self.display_path(&path).to_path_buf();
        real_dirs(&self.root, Path::new(AUDIT_DIR))?;
        let mut text = String::new();
        for line in lines {
            text.push_str(&serde_json::to_string(line).expect("a reveal serialises"));
            text.push('\n');
        }
        let _lock = self.lock(LOCK)?;
        // What a writer killed before its rename left, under the lock it held.
        self.sweep_before_write(&self.root.join(AUDIT_DIR), Some(LOCK));
        let mut old = open_log(&path, &shown)?;
        let newline = match old.as_mut() {
            Some(f) => !ends_with_newline(f).map_err(|e| Error::io(&shown, e))?,
            None => false,
        };
        write_atomic_with(&path, |w| {
            if let Some(f) = old.as_mut() {
                std::io::copy(f, w)?;
            }
            if newline {
                w.write_all(b"\n")?;
            }
            w.write_all(text.as_bytes())
        })
    }

    /// `desk check`: lines of the reveal log that are not reveals
    /// (problems), and reveals of sealed numbers by someone who is not
    /// among `encryption.holders` (warnings: the log is history, which no
    /// one changes; they are told on every check).
    ///
    /// At a commit, each day's log is read whole, so one over
    /// [`MAX_FILE_BYTES`] is a finding there.
    pub fn reveal_findings(&self) -> Result<Vec<Finding>> {
        let dir = self.root.join(AUDIT_DIR);
        let unsound = |e: Error| vec![Finding::new(Path::new(AUDIT_DIR), None, e.to_string())];
        let paths: Vec<PathBuf> = match self.names_at_commit(AUDIT_DIR) {
            Some(Ok(names)) => names.into_iter().map(|n| dir.join(n)).collect(),
            Some(Err(e)) => return Ok(unsound(e)),
            None => {
                if let Err(e) = real_dirs(&self.root, Path::new(AUDIT_DIR)) {
                    return Ok(unsound(e));
                }
                super::walk::entries(&dir)?
                    .into_iter()
                    .map(|e| e.path)
                    .collect()
            }
        };
        let files = paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"));
        let mut findings = Vec::new();
        for path in files {
            let shown = self.display_path(&path).to_path_buf();
            let opened = match self.commit() {
                Some(_) => self
                    .read_store_file(&shown)
                    .map(|text| Some(Box::new(std::io::Cursor::new(text)) as Box<dyn Read>)),
                None => open_log(&path, &shown)
                    .map(|file| file.map(|file| Box::new(file) as Box<dyn Read>)),
            };
            let file = match opened {
                Ok(Some(file)) => file,
                Ok(None) => continue,
                Err(e) => {
                    findings.push(Finding::new(&shown, None, e.to_string()));
                    continue;
                }
            };
            let mut reader = BufReader::new(file);
            let mut n = 0;
            while let Some(line) = next_line(&mut reader).map_err(|e| Error::io(&shown, e))? {
                n += 1;
                let reveal = match line {
                    Line::TooLong => Err(format!(
                        "a line over {} MiB, which is not a reveal",
                        MAX_FILE_BYTES >> 20
                    )),
                    Line::Text(text) if text.trim_ascii().is_empty() => continue,
                    Line::Text(text) => serde_json::from_slice::<Reveal>(&text).map_err(|_| {
                        "not a reveal (one JSON object {at, by, command, customers, fields, \
                         sealed} a line); desk only appends to this log, so restore the line \
                         from git history"
                            .to_string()
                    }),
                };
                match reveal {
                    Err(why) => findings.push(Finding::new(&shown, Some(n), why)),
                    Ok(r) if !r.sealed.is_empty() && !holds_identity(&self.config, &r.by) => {
                        let mut f = Finding::new(&shown, Some(n), non_holder(&self.config, &r));
                        f.kind = FindingKind::Warning;
                        findings.push(f);
                    }
                    Ok(_) => {}
                }
            }
        }
        Ok(findings)
    }
}

/// A line of a log file, read without holding more than [`MAX_FILE_BYTES`].
enum Line {
    Text(Vec<u8>),
    TooLong,
}

fn next_line(reader: &mut impl BufRead) -> std::io::Result<Option<Line>> {
    let mut text = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_FILE_BYTES + 1)
        .read_until(b'\n', &mut text)?;
    if n == 0 {
        return Ok(None);
    }
    if text.len() as u64 <= MAX_FILE_BYTES || text.ends_with(b"\n") {
        return Ok(Some(Line::Text(text)));
    }
    // Skip the rest of the line without keeping it.
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = buf.len();
                reader.consume(len);
            }
        }
    }
    Ok(Some(Line::TooLong))
}

/// The warning about a reveal of sealed numbers by a non-holder.
fn non_holder(config: &Config, r: &Reveal) -> String {
    let role = config
        .agent(&r.by)
        .map(|a| format!(" (role {})", a.role))
        .unwrap_or_default();
    let holders = config
        .encryption
        .as_ref()
        .map_or_else(crate::crypto::default_holders, |e| e.holders.clone());
    const SHOWN: usize = 5;
    let mut customers = r.customers[..r.customers.len().min(SHOWN)].join(", ");
    if r.customers.len() > SHOWN {
        customers.push_str(&format!(" and {} more", r.customers.len() - SHOWN));
    }
    format!(
        "{}{role} revealed {} of {customers} at {} ({}) but does not hold the identity \
         (encryption.holders: {}); the identity may have leaked: ask them, and if so give \
         the holders a new one (`desk keys rotate --identity FILE`), or name them in \
         encryption.holders",
        r.by,
        r.sealed.join(", "),
        r.at,
        r.command,
        if holders.is_empty() {
            "none".to_string()
        } else {
            holders.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_whole() {
        let mut text = vec![b'x'; (MAX_FILE_BYTES + 10) as usize];
        text.extend_from_slice(b"\n{\"a\":1}\nlast");
        let mut reader = BufReader::new(&text[..]);
        assert!(matches!(
            next_line(&mut reader).unwrap(),
            Some(Line::TooLong)
        ));
        assert!(
            matches!(next_line(&mut reader).unwrap(), Some(Line::Text(t)) if t == b"{\"a\":1}\n")
        );
        assert!(matches!(next_line(&mut reader).unwrap(), Some(Line::Text(t)) if t == b"last"));
        assert!(next_line(&mut reader).unwrap().is_none());
    }
}
