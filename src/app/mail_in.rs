//! Taking mail in (`desk mail-in`, docs/mail.md): one message read
//! (`mail::incoming`) and filed — a new ticket for its sender's customer,
//! a reply threaded into its ticket, held for review, or left out (seen
//! before, an auto-reply, a bounce, desk's own mail, a sender past the rate
//! limit). Exactly once: a message whose Message-ID a ticket records is
//! skipped, and the ticket with the Message-ID is written in one atomic
//! step, so a message filed and then handed over again (a kill before the
//! mailbox was told) is only counted.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::incoming::{self, Content, Incoming, IncomingError, Kind};
use crate::mail::{ClosedTicket, Intake, UnknownSender};
use crate::model::survey::mailed::{self, MailedAnswer};
use crate::model::{
    by_customer, Customer, CustomerKind, Field, MailAttachment, NewTicket, Received, Status,
    Survey, Ticket, TicketId,
};
use crate::rules::Outcome;
use crate::store::Store;

/// The longest description or note a mail gives a ticket, in characters:
/// a ticket file stays far below desk's size limit whatever is sent.
const MAX_TEXT_CHARS: usize = 20_000;

/// How mail is taken in: desk.yaml's `mail.intake` and what the reader
/// needs to know (limits, desk's own addresses).
#[derive(Debug, Clone)]
pub struct Setup {
    pub intake: Intake,
    pub options: incoming::Options,
    /// The type and priority of a ticket opened by mail, as keys.
    pub kind: String,
    pub priority: String,
}

/// The setup of `store`'s desk.yaml.
pub fn setup(store: &Store) -> Result<Setup> {
    let bad = |message: String| Error::Parse {
        path: crate::store::CONFIG_FILE.into(),
        line: super::rules::config_line(store, "mail"),
        message,
    };
    let (intake, own) = match &store.config.mail {
        Some(mail) => (
            mail.intake().map_err(bad)?,
            [mail.from_address(), mail.reply_to_address()],
        ),
        None => (Intake::default(), [None, None]),
    };
    let mut options = incoming::Options::default();
    options.limits.message_bytes = intake.max_message;
    options.limits.attachment_bytes = intake.max_attachment;
    // desk's notifications have Message-IDs `…@desk` (model::outbox).
    options.own.message_id_domains = vec!["desk".into()];
    options.own.loop_addresses = own.into_iter().flatten().collect();
    let config = &store.config;
    let kind = match &intake.kind {
        Some(k) => config.resolve(Field::Type, k)?,
        None => config.types[0].key.clone(),
    };
    let priority = match &intake.priority {
        Some(p) => config.resolve(Field::Priority, p)?,
        // Priorities are listed most urgent first.
        None => config.priorities[config.priorities.len() - 1].key.clone(),
    };
    Ok(Setup {
        intake,
        options,
        kind,
        priority,
    })
}

/// Reads a message as `setup` allows; a message that cannot be read is
/// refused whole (nothing is written).
pub fn read(setup: &Setup, bytes: &[u8]) -> std::result::Result<Incoming, IncomingError> {
    incoming::read(bytes, &setup.options)
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// A new ticket; `closed`: the closed ticket the mail answered, when
    /// desk.yaml says a reply to a closed ticket opens a new one.
    Created {
        ticket: String,
        customer: String,
        new_customer: bool,
        closed: Option<String>,
        outcomes: Vec<Outcome>,
    },
    /// Threaded into a ticket (reopened if it was closed, or by an
    /// unsatisfied survey answer).
    Replied {
        ticket: String,
        reopened: bool,
        outcomes: Vec<Outcome>,
        /// A closed ticket's survey answered by the reply, or not read.
        survey: Option<SurveyByMail>,
    },
    /// Filed before, in this ticket.
    Seen { ticket: String },
    /// From an unknown sender, kept in `mail/held/` (`fresh`: just now,
    /// not held before).
    Held { file: String, fresh: bool },
    /// Never a ticket: an auto-reply, a bounce, desk's own mail.
    Ignored { why: String },
    /// The sender opened `limit` tickets in the last hour already.
    Limited { limit: u32 },
}

/// What a reply to a closed ticket awaiting its survey did with it.
#[derive(Debug, Clone, PartialEq)]
pub enum SurveyByMail {
    /// Recorded as `desk survey` records one (an unsatisfied answer
    /// reopens the ticket).
    Recorded { unsatisfied: bool },
    /// Shaped like an answer but not read for sure (why): kept as the
    /// customer's words for an agent, the ticket left closed.
    Unsure(String),
}

impl Filed {
    /// The word of `desk mail-in`'s output line.
    pub fn word(&self) -> &'static str {
        match self {
            Filed::Created { .. } => "created",
            Filed::Replied { .. } => "replied",
            Filed::Seen { .. } => "skipped",
            Filed::Held { .. } => "held",
            Filed::Ignored { .. } => "ignored",
            Filed::Limited { .. } => "limited",
        }
    }

    /// The ticket it went to, if any.
    pub fn ticket(&self) -> Option<&str> {
        match self {
            Filed::Created { ticket, .. }
            | Filed::Replied { ticket, .. }
            | Filed::Seen { ticket } => Some(ticket),
            _ => None,
        }
    }
}

/// One run of `desk mail-in`: it holds the `mail-in` lock from the first
/// message to the last, so two runs (or two deliveries of one message)
/// cannot both find a message new, and it walks the store once, when it
/// opens, for what every message asks: the Message-IDs the tickets record,
/// the senders' addresses on file, and the tickets opened by mail lately
/// (the rate limit). It keeps them up to date with what it files itself;
/// no other command records a Message-ID, and a customer added meanwhile
/// meets the duplicate guard.
pub struct Batch {
    _lock: crate::store::Lock,
    /// Message-ID → the ticket that records it (the lowest ID, if two do).
    filed: HashMap<String, TicketId>,
    /// A lower-case address → the customer whose it is (the lowest ID).
    senders: HashMap<String, String>,
    /// Tickets opened by mail: their customer and time, when the rate
    /// limit needs them (from a day before the run on).
    by_mail: Vec<(String, Timestamp)>,
}

impl Batch {
    pub fn open(store: &Store, setup: &Setup, at: Timestamp) -> Result<Batch> {
        let lock = store.lock("mail-in")?;
        let filed = store.messages_filed()?;
        let mut senders = HashMap::new();
        let mut customers = store.customer_summaries()?.summaries;
        customers.sort_by(|a, b| a.id.cmp(&b.id));
        for c in &customers {
            for e in c.emails() {
                senders
                    .entry(e.trim().to_lowercase())
                    .or_insert_with(|| c.id.clone());
            }
        }
        // Without an e-mail channel no ticket can be opened: each message
        // says so when it is filed, and is left for a later run.
        let by_mail = match email_channel(store) {
            Ok(email) if setup.intake.rate_limit > 0 => {
                let since = Timestamp(at.0 - chrono::Duration::days(1));
                store
                    .summaries_where(true, |s| s.channel == email && s.created >= since)?
                    .summaries
                    .into_iter()
                    .map(|s| (s.customer.to_string(), s.created))
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(Batch {
            _lock: lock,
            filed,
            senders,
            by_mail,
        })
    }

    /// Files one message read by [`read`]; `raw` is its bytes (kept when it
    /// is held).
    pub fn file(
        &mut self,
        store: &Store,
        setup: &Setup,
        mail: &Incoming,
        raw: &[u8],
        actor: &str,
        at: Timestamp,
    ) -> Result<Filed> {
        let filed = file(self, store, setup, mail, raw, actor, at)?;
        // What the next messages must know of this one.
        if let Some(ticket) = filed.ticket().and_then(TicketId::parse) {
            self.filed.entry(mail.message_id.clone()).or_insert(ticket);
        }
        if let Filed::Created { customer, .. } = &filed {
            self.senders
                .entry(mail.from.address.to_lowercase())
                .or_insert_with(|| customer.clone());
            self.by_mail.push((customer.clone(), at));
        }
        Ok(filed)
    }

    /// The ticket that records the first of `ids` any ticket records.
    fn ticket_of_message(&self, ids: &[&str]) -> Option<TicketId> {
        ids.iter().find_map(|id| self.filed.get(*id).cloned())
    }
}

fn file(
    batch: &Batch,
    store: &Store,
    setup: &Setup,
    mail: &Incoming,
    raw: &[u8],
    actor: &str,
    at: Timestamp,
) -> Result<Filed> {
    match &mail.kind {
        Kind::Ordinary => {}
        Kind::AutoReply { header } => {
            return Ok(Filed::Ignored {
                why: format!("an auto-reply ({header})"),
            })
        }
        Kind::Bounce => {
            return Ok(Filed::Ignored {
                why: "a bounce (delivery status notification)".into(),
            })
        }
        Kind::OwnLoop { reason } => {
            return Ok(Filed::Ignored {
                why: format!("desk's own mail ({reason})"),
            })
        }
    }
    if let Some(ticket) = batch.ticket_of_message(&[mail.message_id.as_str()]) {
        return Ok(Filed::Seen {
            ticket: ticket.to_string(),
        });
    }
    let sender = mail.from.address.as_str();
    let thread = threaded(batch, store, mail);
    if let Some(id) = thread {
        let ticket = store.load_ticket(&id)?;
        // A survey is the customer's to answer: from an address on file,
        // never from whoever learnt a Message-ID of the thread.
        if crate::model::survey::awaits_survey(&crate::model::Summary::of(&ticket))
            && is_customer_address(store, &ticket.customer, sender)
        {
            let config = &store.config.survey;
            let dimensions: Vec<&str> = config.dimensions.iter().map(|d| d.key.as_str()).collect();
            let answer = mailed::read(&mail.note, &dimensions, |name| config.resolve(name).ok());
            match answer {
                MailedAnswer::NotAnAnswer => {}
                answer => return survey_reply(store, setup, mail, raw, &id, answer, actor, at),
            }
        }
        if ticket.status != Status::Closed || setup.intake.closed_ticket == ClosedTicket::Reopen {
            return reply(store, setup, mail, raw, &id, actor, at);
        }
        let closed = Some(id.to_string());
        return open(
            store,
            setup,
            mail,
            raw,
            &ticket.customer,
            false,
            closed,
            actor,
            at,
        );
    }
    match batch.senders.get(&sender.to_lowercase()).cloned() {
        Some(customer) => {
            if let Some(limit) = past_rate_limit(batch, &setup.intake, &customer, at) {
                return Ok(Filed::Limited { limit });
            }
            open(store, setup, mail, raw, &customer, false, None, actor, at)
        }
        None => match setup.intake.unknown_sender {
            UnknownSender::Hold => {
                // Held whole, so held to the rules of what desk keeps: no
                // card number, no secret key, in any mail it stores.
                crate::model::in_clear::refuse(
                    "mail",
                    &format!("{}\n{}", mail.subject, mail.body),
                    crate::model::in_clear::Kept::Ticket,
                )?;
                let name = held_name(&mail.message_id);
                let fresh = store.hold_mail(&name, raw)?;
                Ok(Filed::Held {
                    file: format!("{}/{name}.eml", crate::store::HELD_DIR),
                    fresh,
                })
            }
            UnknownSender::Create => {
                let customer = new_customer(store, mail, actor, at)?;
                let filed = open(store, setup, mail, raw, &customer, true, None, actor, at);
                if filed.is_err() {
                    // Nothing of a message that could not be filed stays.
                    let _ = store.withdraw_new_customer(&customer);
                }
                filed
            }
        },
    }
}

/// The ticket a reply belongs to: the one recording a message it names
/// (In-Reply-To, then References from the latest), else the ticket ID in
/// its subject when the sender is that ticket's customer or one of its
/// contacts (a subject is easy to guess; an address on file is not).
fn threaded(batch: &Batch, store: &Store, mail: &Incoming) -> Option<TicketId> {
    let mut named: Vec<&str> = mail.in_reply_to.iter().map(String::as_str).collect();
    named.extend(mail.references.iter().rev().map(String::as_str));
    let mut seen = HashSet::new();
    named.retain(|id| seen.insert(*id));
    if let Some(id) = batch.ticket_of_message(&named) {
        return Some(id);
    }
    for id in ticket_ids_in(&mail.subject, &store.config.id_prefix) {
        let Ok(ticket) = store.load_ticket(&id) else {
            continue;
        };
        if is_customer_address(store, &ticket.customer, &mail.from.address) {
            return Some(id);
        }
    }
    None
}

/// The ticket IDs written in brackets in a subject (`[CW202611230001]`).
fn ticket_ids_in(subject: &str, prefix: &str) -> Vec<TicketId> {
    subject
        .split('[')
        .skip(1)
        .filter_map(|part| part.split_once(']'))
        .filter_map(|(inside, _)| TicketId::parse(inside.trim()))
        .filter(|id| id.prefix == prefix)
        .collect()
}

/// Whether `address` is the customer's e-mail or one of its contacts'.
fn is_customer_address(store: &Store, customer: &str, address: &str) -> bool {
    store
        .load_customer(customer)
        .is_ok_and(|c| crate::model::reply::is_on_file(&c, address))
}

/// The limit, when the customer opened that many tickets by mail in the
/// hour before `at`.
fn past_rate_limit(batch: &Batch, intake: &Intake, customer: &str, at: Timestamp) -> Option<u32> {
    let limit = intake.rate_limit;
    if limit == 0 {
        return None;
    }
    let since = Timestamp(at.0 - chrono::Duration::hours(1));
    let recent = batch
        .by_mail
        .iter()
        .filter(|(c, created)| c == customer && *created >= since && *created <= at)
        .count();
    (recent >= limit as usize).then_some(limit)
}

/// A new individual customer for an unknown sender: named as the mail
/// names them (else by the address's local part), source `email` when
/// desk.yaml's `customers.sources` has it, else `other` if it has that.
fn new_customer(store: &Store, mail: &Incoming, actor: &str, at: Timestamp) -> Result<String> {
    let local = mail.from.address.split('@').next().unwrap_or_default();
    let name = mail
        .from
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.contains('@'))
        .unwrap_or(local);
    let mut customer = Customer::new(CustomerKind::Individual, name.to_string(), at, actor);
    customer.email = Some(mail.from.address.clone());
    let sources = &store.config.customers;
    customer.source = ["email", "other"]
        .into_iter()
        .find_map(|s| sources.resolve_source(s).ok());
    customer.first_contact = Some(at);
    let created = store.create_customers(vec![customer])?;
    Ok(created[0].id.clone())
}

/// The channel key of e-mail in desk.yaml.
fn email_channel(store: &Store) -> Result<String> {
    store.config.resolve(Field::Channel, "email").map_err(|_| {
        Error::Refused(
            "desk.yaml's `channels:` has no `email` (key or alias); add one to take mail in".into(),
        )
    })
}

/// Opens a ticket for the mail, with its rules, its attachments saved.
#[allow(clippy::too_many_arguments)]
fn open(
    store: &Store,
    setup: &Setup,
    mail: &Incoming,
    raw: &[u8],
    customer: &str,
    new_customer: bool,
    closed: Option<String>,
    actor: &str,
    at: Timestamp,
) -> Result<Filed> {
    let title = match mail.subject.trim() {
        "" => "(no subject)".to_string(),
        s => s.to_string(),
    };
    let mut description = bounded(&mail.note);
    if let Some(c) = &closed {
        description = format!("(a reply to closed ticket {c})\n\n{description}");
    }
    let new = NewTicket {
        title,
        customer: customer.to_string(),
        kind: setup.kind.clone(),
        category: None,
        tags: Vec::new(),
        channel: email_channel(store)?,
        priority: setup.priority.clone(),
        description,
        expectation: None,
        assignee: None,
    };
    let (ticket, outcomes) = super::rules::create_ticket_by_rules_with(store, at, |id| {
        let attachments = save_attachments(store, setup, &id, mail, raw)?;
        let mut ticket = Ticket::create(id, new, at, actor);
        ticket.receive(
            received(mail, None, attachments),
            at,
            &by_customer(customer),
        )?;
        Ok(ticket)
    })?;
    Ok(Filed::Created {
        ticket: ticket.id,
        customer: customer.to_string(),
        new_customer,
        closed,
        outcomes,
    })
}

/// Appends the mail to its ticket, reopening a closed one.
fn reply(
    store: &Store,
    setup: &Setup,
    mail: &Incoming,
    raw: &[u8],
    id: &TicketId,
    actor: &str,
    at: Timestamp,
) -> Result<Filed> {
    let mut reopened = false;
    let (ticket, _, outcomes) =
        super::rules::modify_ticket_by_rules(store, id, at, actor, |ticket| {
            let by = by_customer(&ticket.customer);
            if ticket.status == Status::Closed {
                ticket.reopen("the customer replied by e-mail".into(), at, &by)?;
                reopened = true;
            }
            let attachments = save_attachments(store, setup, &ticket.id, mail, raw)?;
            ticket.receive(
                received(mail, Some(bounded(&mail.note)), attachments),
                at,
                &by,
            )
        })?;
    Ok(Filed::Replied {
        ticket: ticket.id,
        reopened,
        outcomes,
        survey: None,
    })
}

/// Files a reply that answers (or tries to answer) the survey of its closed
/// ticket: the mail recorded, and the survey recorded as `desk survey`
/// would (an unsatisfied answer reopens the ticket), or, when the answer
/// cannot be read for sure, the mail alone, the ticket left closed for an
/// agent to read it.
#[allow(clippy::too_many_arguments)]
fn survey_reply(
    store: &Store,
    setup: &Setup,
    mail: &Incoming,
    raw: &[u8],
    id: &TicketId,
    answer: MailedAnswer,
    actor: &str,
    at: Timestamp,
) -> Result<Filed> {
    let threshold = store.config.survey.threshold;
    let channel = email_channel(store)?;
    let mut outcome = None;
    let (ticket, _, outcomes) =
        super::rules::modify_ticket_by_rules(store, id, at, actor, |ticket| {
            let by = by_customer(&ticket.customer);
            let attachments = save_attachments(store, setup, &ticket.id, mail, raw)?;
            ticket.receive(
                received(mail, Some(bounded(&mail.note)), attachments),
                at,
                &by,
            )?;
            match &answer {
                MailedAnswer::Scores { scores, nps } => {
                    // The lines after the scores are the customer's comment.
                    let comment: String = mail
                        .note
                        .lines()
                        .skip_while(|l| l.trim().is_empty())
                        .skip(1)
                        .collect::<Vec<_>>()
                        .join("\n");
                    let survey = Survey {
                        scores: scores.clone(),
                        nps: *nps,
                        comment: Some(bounded(comment.trim())).filter(|c| !c.is_empty()),
                        channel: Some(channel.clone()),
                    };
                    let unsatisfied = survey.unsatisfied(threshold, false);
                    ticket.survey(survey, unsatisfied, at, &by)?;
                    outcome = Some(SurveyByMail::Recorded { unsatisfied });
                }
                MailedAnswer::Unsure(why) => outcome = Some(SurveyByMail::Unsure(why.clone())),
                MailedAnswer::NotAnAnswer => unreachable!("read as a reply"),
            }
            Ok(())
        })?;
    let reopened = matches!(outcome, Some(SurveyByMail::Recorded { unsatisfied: true }));
    Ok(Filed::Replied {
        ticket: ticket.id,
        reopened,
        outcomes,
        survey: outcome,
    })
}

/// The `received` record of a mail.
fn received(mail: &Incoming, note: Option<String>, attachments: Vec<MailAttachment>) -> Received {
    Received {
        from: mail.from.address.clone(),
        subject: (!mail.subject.is_empty()).then(|| mail.subject.clone()),
        note,
        message_id: mail.message_id.clone(),
        in_reply_to: mail.in_reply_to.clone(),
        references: mail.references.clone(),
        attachments,
    }
}

/// Saves the mail's attachments for `ticket`; one over the size limit is
/// listed as refused, with why.
fn save_attachments(
    store: &Store,
    setup: &Setup,
    ticket: &str,
    mail: &Incoming,
    raw: &[u8],
) -> Result<Vec<MailAttachment>> {
    let limit = setup.intake.max_attachment;
    // The message itself as it came, last: nothing the customer sent is
    // lost to the text desk read from it (an HTML part, a header).
    let original = format!("message-{}.eml", &held_name(&mail.message_id)[..12]);
    let whole = [(original.as_str(), raw.len(), Some(raw))];
    let parts = mail.attachments.iter().map(|a| {
        let bytes = match &a.content {
            Content::Bytes(bytes) => Some(bytes.as_slice()),
            Content::TooLarge => None,
        };
        (a.name.as_str(), a.size, bytes)
    });
    parts
        .chain(whole)
        .map(|(name, size, bytes)| match bytes {
            Some(bytes) => Ok(MailAttachment {
                name: store.save_attachment(ticket, name, bytes)?,
                size: size as u64,
                sha256: Some(crate::crypto::hex(&Sha256::digest(bytes))),
                refused: None,
            }),
            None => Ok(MailAttachment {
                name: name.to_string(),
                size: size as u64,
                sha256: None,
                refused: Some(format!(
                    "over the limit of {limit} bytes (mail.intake.max_attachment); not saved"
                )),
            }),
        })
        .collect()
}

/// Text cut to [`MAX_TEXT_CHARS`], saying so.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}\n[… cut: the mail's text is longer]", &text[..end]),
    }
}

/// The file name a held message gets: a digest of its Message-ID, so the
/// same message is held once.
fn held_name(message_id: &str) -> String {
    crate::crypto::hex(&Sha256::digest(message_id.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_are_found_in_brackets_of_the_store_prefix() {
        let ids = ticket_ids_in(
            "Re: [CW202611230001] 打印机 [XX202611230002] [CW2026]",
            "CW",
        );
        assert_eq!(
            ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["CW202611230001"]
        );
    }

    #[test]
    fn long_text_is_cut_saying_so() {
        let long = "字".repeat(MAX_TEXT_CHARS + 5);
        let cut = bounded(&long);
        assert!(cut.ends_with("longer]"));
        assert_eq!(cut.chars().filter(|c| *c == '字').count(), MAX_TEXT_CHARS);
    }
}
