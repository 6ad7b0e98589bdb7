//! `desk report --mail TO…`: the report sent through `mail:` of desk.yaml
//! (the page as the HTML body, its summary as the text, files attached),
//! once per period and recipient. The outbox's discipline: the Message-ID
//! derives from the key (the period and the address), so a send repeated
//! after a kill is one message to its reader; a record in the store,
//! `mail/reported/<key>.yaml`, written when the server has taken the mail,
//! makes every later run (this clone's or another's, after a pull) skip it.

use serde::Serialize;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::{Attachment, Mail};
use crate::model::outbox;
use crate::store::{Store, REPORTED_DIR, REPORT_MAIL_LOCK};

/// What is sent: the same to every recipient.
pub struct ReportMail {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// What became of one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailed {
    Sent {
        to: String,
    },
    /// Sent before (by this clone or another): the record's path.
    Already {
        to: String,
        record: String,
    },
}

#[derive(Serialize)]
struct Record<'a> {
    period: &'a str,
    to: &'a str,
    message_id: &'a str,
    sent: String,
    by: &'a str,
}

/// Sends `mail` about `period` to each of `to` that has not had it, in
/// order, each recorded once its server took it. Every address is checked
/// before anything is sent; a failed send stops the command (the ones
/// before it stay sent and recorded, the next run sends the rest).
pub fn mail_report(
    store: &Store,
    period: &str,
    mail: &ReportMail,
    to: &[String],
    actor: &str,
    now: Timestamp,
) -> Result<Vec<Mailed>> {
    if let Some(e) = super::mailer::mail_problem(store) {
        return Err(e);
    }
    let mut addresses = Vec::new();
    for given in to {
        let mailbox = crate::model::validate::mailbox(given).map_err(|e| {
            Error::invalid(
                "--mail",
                crate::text::visible(given.trim()).into_owned(),
                format!("{e}; nothing was sent"),
            )
        })?;
        let address = mailbox.address.to_ascii_lowercase();
        if !addresses.iter().any(|(a, _)| *a == address) {
            addresses.push((address, given.trim().to_string()));
        }
    }
    if addresses.is_empty() {
        return Err(Error::invalid(
            "--mail",
            "",
            "one or more e-mail addresses, or `report.mail_to` in desk.yaml",
        ));
    }
    let sender = match super::mailer::ready_sender(store) {
        Some(Ok(sender)) => sender,
        Some(Err(e)) => return Err(Error::Refused(format!("nothing was sent: {e}"))),
        None => {
            return Err(Error::Refused(
                "nothing was sent: desk.yaml has no `mail:`, so desk cannot send the report; \
                 set it up (docs/format.md, mail)"
                    .into(),
            ))
        }
    };
    // One sender of reports at a time: two runs never both find a
    // recipient unrecorded and both send.
    let _lock = store.lock(REPORT_MAIL_LOCK)?;
    let mut done = Vec::new();
    for (address, given) in addresses {
        let key = format!("report\n{period}\n{address}");
        let message_id = outbox::message_id(&key);
        let name = message_id.split('@').next().expect("hex before @");
        if store.report_mailed(name)? {
            done.push(Mailed::Already {
                to: given,
                record: format!("{REPORTED_DIR}/{name}.yaml"),
            });
            continue;
        }
        sender
            .send(&Mail {
                to: vec![given.clone()],
                subject: mail.subject.clone(),
                body: mail.text.clone(),
                html: Some(mail.html.clone()),
                message_id: message_id.clone(),
                attachments: mail.attachments.clone(),
                automatic: true,
                ..Mail::default()
            })
            .map_err(|e| {
                Error::Refused(format!(
                    "the report was not sent to {given}: {e}; {} sent before it",
                    done.iter()
                        .filter(|d| matches!(d, Mailed::Sent { .. }))
                        .count()
                ))
            })?;
        let record = crate::yaml::to_string(&Record {
            period,
            to: &address,
            message_id: &message_id,
            sent: now.to_rfc3339(),
            by: actor,
        })
        .map_err(|e| Error::Refused(format!("the record of a mailed report: {e}")))?;
        store.record_report_mailed(name, &record)?;
        done.push(Mailed::Sent { to: given });
    }
    Ok(done)
}
