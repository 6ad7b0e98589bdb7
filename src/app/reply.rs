//! `desk reply`: an agent's answer mailed to the ticket's customer and
//! recorded in its history (a `replied` event), exactly once: the ticket
//! with its event is staged before the send and put in place once the
//! transport accepted the mail, as `desk run` records a delivery. A send
//! that fails leaves every file as it was. docs/mail.md, "Answering".

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::{Attachment, Mail};
use crate::model::reply::{customer_address, subject, thread};
use crate::model::{outbox, MailAttachment, Replied, Ticket, TicketId};
use crate::store::Store;

/// What `desk reply` asks.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    /// Files to send with it, as given on the command line.
    pub attach: Vec<PathBuf>,
}

/// What was sent and recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub ticket: Ticket,
    /// The customer's address, masked, for messages.
    pub to_masked: String,
    pub message_id: String,
    pub subject: String,
}

/// The address customers answer: `mail.reply_to`, else `mail.from`.
pub fn support_address(store: &Store) -> Option<String> {
    let settings = store.config.mail.as_ref()?.settings().ok()?;
    Some(settings.reply_to.unwrap_or(settings.from))
}

/// Mails `answer` to the customer of ticket `id` and records it.
pub fn reply(
    store: &Store,
    id: &TicketId,
    answer: &Answer,
    now: Timestamp,
    actor: &str,
) -> Result<Sent> {
    let cleaned = clean(&answer.text)?;
    let text = cleaned.trim_end();
    if text.trim().is_empty() {
        return Err(Error::invalid(
            "--message",
            "",
            "the answer is empty; give the text to send (--message TEXT, --message - for stdin, or --file F)",
        ));
    }
    let files = super::attach::read_files(&answer.attach, "--attach")?;
    if let Some(e) = super::mailer::mail_problem(store) {
        return Err(e);
    }
    let mailer = match super::mailer::ready_sender(store) {
        Some(Ok(mailer)) => mailer,
        Some(Err(e)) => {
            return Err(Error::Refused(format!(
                "nothing sent or recorded: {}",
                crate::model::mask::personal_in(&e.to_string())
            )))
        }
        None => {
            return Err(Error::Refused(
                "nothing sent or recorded: desk.yaml has no `mail:`, so desk cannot mail the \
                 customer; set it up (docs/mail.md), or record the answer with `desk update ID --note`"
                    .into(),
            ))
        }
    };
    let ticket = store.load_ticket(id)?;
    let customer = store.load_customer(&ticket.customer)?;
    let address = customer_address(&customer, &ticket).ok_or_else(|| {
        Error::Refused(format!(
            "nothing sent or recorded: customer {} has no e-mail on file (desk customer edit {} --set email=ADDRESS)",
            ticket.customer, ticket.customer
        ))
    })?;
    let thread = thread(&ticket, &customer);
    let subject = subject(&ticket, thread.as_ref());
    // Derived from what is answered, when and what is said: the same reply
    // retried after a kill before its record has the same Message-ID.
    let message_id = outbox::message_id(&format!(
        "reply\n{}\n{}\n{}\n{text}",
        ticket.id,
        now.to_rfc3339(),
        actor
    ));
    let mail = Mail {
        to: vec![address.clone()],
        subject: subject.clone(),
        body: format!("{text}\n"),
        html: None,
        message_id: message_id.clone(),
        reply_to: support_address(store),
        in_reply_to: thread.as_ref().map(|t| t.in_reply_to.clone()),
        references: thread
            .as_ref()
            .map(|t| t.references.clone())
            .unwrap_or_default(),
        attachments: files
            .iter()
            .map(|(name, bytes)| Attachment {
                name: name.clone(),
                bytes: bytes.clone(),
            })
            .collect(),
        automatic: false,
    };
    let listed: Vec<MailAttachment> = files
        .iter()
        .map(|(name, bytes)| MailAttachment {
            name: name.clone(),
            size: bytes.len() as u64,
            sha256: Some(crate::crypto::hex(&Sha256::digest(bytes))),
            refused: None,
        })
        .collect();
    let replied = |attachments: Vec<MailAttachment>| Replied {
        to: ticket.customer.clone(),
        note: text.to_string(),
        message_id: message_id.clone(),
        subject: Some(subject.clone()),
        in_reply_to: thread.iter().map(|t| t.in_reply_to.clone()).collect(),
        references: thread
            .as_ref()
            .map(|t| t.references.clone())
            .unwrap_or_default(),
        attachments,
    };
    let append = |t: &mut Ticket, attachments: Vec<MailAttachment>| {
        let at = t.last_at().map_or(now, |last| now.max(last));
        t.answer(replied(attachments), at, actor)
    };
    let prepared = store.prepare_ticket(id, now, actor, |t| append(t, listed.clone()))?;
    mailer.send(&mail).map_err(|e| {
        Error::Refused(format!(
            "nothing recorded: the mail to {} was not sent: {}",
            shown(&address),
            e
        ))
    })?;
    // Sent: the record must follow. The files sent are kept beside the
    // ticket under the names they were sent by (or name-2…).
    let mut saved = listed.clone();
    for (entry, (name, bytes)) in saved.iter_mut().zip(&files) {
        entry.name = store.save_attachment(&ticket.id, name, bytes)?;
    }
    let ticket = if saved == listed && prepared.put_in_place(store)? {
        store.load_ticket(id)?
    } else {
        // Changed by someone during the send, or an attachment saved under
        // another name: recorded on the ticket as it is now.
        store.modify_ticket(id, now, actor, |t| append(t, saved.clone()))?;
        store.load_ticket(id)?
    };
    Ok(Sent {
        ticket,
        to_masked: shown(&address),
        message_id,
        subject,
    })
}

/// The answer as the customer will read it: a byte-order mark (a file
/// saved by Notepad), zero-width spaces and soft hyphens taken out; control
/// characters and bidirectional overrides refused, since they would reach
/// the customer as escapes or reorder what they read.
fn clean(text: &str) -> Result<String> {
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{00AD}'))
        .collect();
    let bad = text.chars().find(|&c| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    });
    match bad {
        Some(c) => Err(Error::invalid(
            "--message",
            crate::text::visible(&c.to_string()).into_owned(),
            "control characters and right-to-left overrides are not sent to customers; remove \
             them from the answer",
        )),
        None => Ok(text),
    }
}

/// An address of the customer's file as messages show it: every address in
/// it masked, line breaks and other controls as escapes (a hand-edited file
/// may hold anything).
fn shown(address: &str) -> String {
    crate::text::visible(&crate::model::mask::personal_in(address)).into_owned()
}
