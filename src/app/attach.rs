//! `desk attach`: files kept with a ticket by hand (a photo sent over a
//! chat app, an invoice brought to the counter), saved under
//! `attachments/<ticket ID>/` beside what mail brought and recorded in an
//! `attached` event. Also the reading of files to attach, shared with
//! `desk reply --attach`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::in_clear::{refuse, Kept};
use crate::model::{Attached, MailAttachment, Ticket, TicketId};
use crate::store::Store;

/// The most one command may attach, all files together: what mail servers
/// commonly accept once base64 has grown it by a third (a reply's files go
/// out by mail; a file kept by hand should fit one too).
pub const MAX_ATTACHMENTS_BYTES: u64 = 20 * 1024 * 1024;

/// Keeps `paths` with ticket `id`, with `note` saying what they are; the
/// ticket as written and its new event's attachments (a name already taken
/// by other bytes gets `-2`, `-3`...; the same bytes under the same name
/// are kept once).
pub fn attach(
    store: &Store,
    id: &TicketId,
    paths: &[PathBuf],
    note: Option<&str>,
    at: Timestamp,
    actor: &str,
) -> Result<(Ticket, Vec<MailAttachment>)> {
    let files = read_files(paths, "FILE")?;
    if let Some(note) = note {
        refuse("--note", note, Kept::Ticket)?;
    }
    let mut listed = Vec::new();
    // Under the ticket's lock: the ticket exists before anything is saved,
    // and two commands attaching to it do not race for a name.
    let (ticket, _) = store.modify_ticket(id, at, actor, |t| {
        listed = files
            .iter()
            .map(|(name, bytes)| {
                Ok(MailAttachment {
                    name: store.save_attachment(&t.id, name, bytes)?,
                    size: bytes.len() as u64,
                    sha256: Some(crate::crypto::hex(&Sha256::digest(bytes))),
                    refused: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let at = t.last_at().map_or(at, |last| at.max(last));
        t.attach(
            Attached {
                note: note.map(str::to_string),
                attachments: listed.clone(),
            },
            at,
            actor,
        )
    })?;
    Ok((ticket, listed))
}

/// The files to attach, read whole, each by its file name made safe; `flag`
/// names the argument in errors.
pub fn read_files(paths: &[PathBuf], flag: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut total = 0u64;
    let mut files = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        if paths[..i].contains(path) {
            return Err(Error::invalid(
                flag,
                path.display().to_string(),
                "given twice; attach each file once",
            ));
        }
        let bytes = read_file(path, flag)?;
        total += bytes.len() as u64;
        if total > MAX_ATTACHMENTS_BYTES {
            return Err(Error::invalid(
                flag,
                path.display().to_string(),
                format!(
                    "the files come to more than {} MiB; attach less, or a link to the files",
                    MAX_ATTACHMENTS_BYTES / (1024 * 1024)
                ),
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = crate::mail::incoming::safe_file_name(&name)
            .unwrap_or_else(|| "attachment".to_string());
        files.push((name, bytes));
    }
    Ok(files)
}

fn read_file(path: &Path, flag: &str) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            flag,
            path.display().to_string(),
            "not a file; attach regular files",
        ));
    }
    if meta.len() > MAX_ATTACHMENTS_BYTES {
        return Err(Error::invalid(
            flag,
            path.display().to_string(),
            format!(
                "{} bytes, over the limit of {} MiB for attachments",
                meta.len(),
                MAX_ATTACHMENTS_BYTES / (1024 * 1024)
            ),
        ));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}
