//! Delivering one `queued` event of `desk run`: the mail or the hook its
//! rule's action says, sent, and `notified` or `delivery_failed` recorded
//! in the ticket's history.

use super::hooks::{run_hook, Hooks};
use super::run::AttemptOutcome;
use super::templates::ticket_json;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::mail::{Mail, MailError, Mailer};
use crate::model::outbox::{self, Delivery, DROPPED};
use crate::model::{DeliveryFailed, Event, Notified, Ticket, TicketId};
use crate::rules::template::{self, Message};
use crate::rules::{Notify, Work, CUSTOMER};
use crate::store::Store;

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// A bad address, a rejected recipient: retrying will not help.
    pub permanent: bool,
}

impl From<MailError> for SendError {
    fn from(e: MailError) -> SendError {
        SendError {
            message: e.to_string(),
            permanent: e.is_permanent(),
        }
    }
}

/// One mail to `to` listing each delivery's own message, in the order
/// given. Its Message-ID derives from all the keys.
pub(super) fn deliver_digest(
    store: &Store,
    to: &[String],
    items: &[(Ticket, Delivery, &Notify)],
    email: Option<&dyn Mailer>,
    now: Timestamp,
) -> std::result::Result<(), SendError> {
    let temporary = |message: String| SendError {
        message,
        permanent: false,
    };
    let mut body = String::new();
    for (ticket, d, notify) in items {
        let name = notify.template.as_str();
        let text = store
            .template_text(name)
            .map_err(|e| temporary(e.to_string()))?;
        let context = super::templates::message_context(store, ticket, &d.rule, &d.key, to, now);
        let m = template::render(name, &text, &context)
            .map_err(|e| temporary(format!("template {name}: {e}")))?;
        body.push_str(&format!("== {}\n\n{}\n", m.subject, m.body.trim_end()));
        body.push('\n');
    }
    let (first, _, _) = &items[0];
    // A digest goes to agents only, never to a customer.
    let to = addresses(store, first, None, to).map_err(temporary)?;
    let sender = email
        .ok_or_else(|| temporary("no mail transport: set `mail:` in desk.yaml".to_string()))?;
    let keys: Vec<&str> = items.iter().map(|(_, d, _)| d.key.as_str()).collect();
    sender
        .send(&Mail {
            to,
            subject: format!("[desk] {n} 条待办提醒 / {n} reminders", n = items.len()),
            body,
            message_id: outbox::message_id(&keys.join("\n")),
            automatic: true,
            ..Mail::default()
        })
        .map_err(SendError::from)
}

/// Makes one send for `items` (one delivery, or a digest's) and appends
/// its result to each delivery's ticket, under the ticket's lock. The
/// `notified` events are written and synced before the send
/// ([`Store::prepare_ticket`]) and put in place by a rename once it
/// succeeded: a crash between the send and the record, which makes the
/// next run send again, is that short.
pub(super) fn record(
    store: &Store,
    items: &[(TicketId, &Delivery)],
    send: impl FnOnce() -> std::result::Result<(), SendError>,
    now: Timestamp,
    actor: &str,
) -> Result<Vec<AttemptOutcome>> {
    let mut by_ticket: std::collections::BTreeMap<&TicketId, Vec<&Delivery>> = Default::default();
    for (id, d) in items {
        by_ticket.entry(id).or_default().push(d);
    }
    let mut outcomes: std::collections::HashMap<&str, AttemptOutcome> = Default::default();
    let mut prepared = Vec::new();
    for (id, ds) in &by_ticket {
        prepared.push(store.prepare_ticket(id, now, actor, |t| {
            for d in ds {
                let (e, _) = result_event(t, d, &Ok(()), now);
                t.history.push(e);
            }
            Ok(())
        })?);
    }
    let result = send();
    let mut recorded = std::collections::BTreeSet::new();
    if result.is_ok() {
        for p in prepared {
            let id = p.id.clone();
            if p.put_in_place(store)? {
                recorded.insert(id);
            }
        }
    }
    // A failure, or a ticket changed during the send: recorded now.
    for (id, ds) in &by_ticket {
        if recorded.contains(*id) {
            continue;
        }
        store.modify_ticket(id, now, actor, |t| {
            for d in ds {
                let (e, outcome) = result_event(t, d, &result, now);
                t.history.push(e);
                outcomes.insert(&d.key, outcome);
            }
            Ok(())
        })?;
    }
    Ok(items
        .iter()
        .map(|(_, d)| {
            outcomes
                .remove(d.key.as_str())
                .unwrap_or(AttemptOutcome::Delivered)
        })
        .collect())
}

/// Makes one delivery as the rule that explains it says (`work`); the
/// error says what failed, naming who or what.
pub(super) fn deliver(
    store: &Store,
    ticket: &Ticket,
    d: &Delivery,
    work: Work,
    hooks: &Hooks,
    email: Option<&dyn Mailer>,
    now: Timestamp,
) -> std::result::Result<(), SendError> {
    let temporary = |message: String| SendError {
        message,
        permanent: false,
    };
    match work {
        Work::Hook(hook) => {
            hooks.allowed(hook).map_err(temporary)?;
            let cause = cause_of(ticket, d);
            let env = [
                ("DESK_RULE", d.rule.as_str()),
                ("DESK_KEY", d.key.as_str()),
                ("DESK_TICKET", ticket.id.as_str()),
                ("DESK_EVENT", cause.as_str()),
            ];
            run_hook(&store.root, hook, &ticket_json(ticket), &env, hooks.timeout)
                .map_err(temporary)
        }
        Work::Mail(notify) => {
            let mail = compose(store, ticket, d, notify, email, now)?;
            email
                .expect("compose checks the transport")
                .send(&mail)
                .map_err(SendError::from)
        }
    }
}

/// The mail of an e-mail delivery, ready to send: the template of its
/// rule's `notify` rendered for the ticket as it is now, every
/// recipient's address found, and a transport to send it by. What a
/// dry run checks too, so that it says which mails would fail rather
/// than that they would be sent.
pub(super) fn compose(
    store: &Store,
    ticket: &Ticket,
    d: &Delivery,
    notify: &Notify,
    email: Option<&dyn Mailer>,
    now: Timestamp,
) -> std::result::Result<Mail, SendError> {
    let temporary = |message: String| SendError {
        message,
        permanent: false,
    };
    let name = notify.template.as_str();
    let text = store
        .template_text(name)
        .map_err(|e| temporary(e.to_string()))?;
    let context = super::templates::message_context(store, ticket, &d.rule, &d.key, &d.to(), now);
    let Message { subject, body } = template::render(name, &text, &context)
        .map_err(|e| temporary(format!("template {name}: {e}")))?;
    // Read once: for the address and for the thread of a mail to them.
    let recipients = d.to();
    let customer = recipients
        .iter()
        .any(|who| who == CUSTOMER)
        .then(|| store.load_customer(&ticket.customer).ok())
        .flatten();
    let to = addresses(store, ticket, customer.as_ref(), &recipients).map_err(temporary)?;
    if email.is_none() {
        return Err(temporary(
            "no mail transport: set `mail:` in desk.yaml".to_string(),
        ));
    }
    // Mail to the customer answers their latest mail on the ticket, and
    // their answer goes to the support address.
    let (reply_to, thread) = match &customer {
        Some(c) => (
            super::reply::support_address(store),
            crate::model::reply::thread(ticket, c),
        ),
        None if recipients.iter().any(|who| who == CUSTOMER) => {
            (super::reply::support_address(store), None)
        }
        None => (None, None),
    };
    Ok(Mail {
        to,
        subject,
        body,
        html: None,
        message_id: outbox::message_id(&d.key),
        reply_to,
        in_reply_to: thread.as_ref().map(|t| t.in_reply_to.clone()),
        references: thread.map(|t| t.references).unwrap_or_default(),
        attachments: Vec::new(),
        automatic: true,
    })
}

/// The e-mail addresses of a delivery's recipients: agents' `email:` in
/// desk.yaml, the customer's `email`. Anyone without one fails the
/// delivery, named.
fn addresses(
    store: &Store,
    ticket: &Ticket,
    customer: Option<&crate::model::Customer>,
    to: &[String],
) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for who in to {
        let address = if who == CUSTOMER {
            customer.and_then(|c| crate::model::reply::customer_address(c, ticket))
        } else {
            store.config.agent(who).and_then(|a| a.email.clone())
        };
        match address.filter(|a| !a.trim().is_empty()) {
            Some(a) => out.push(a),
            None if who == CUSTOMER => {
                missing.push(format!("customer {} has no e-mail", ticket.customer))
            }
            None => missing.push(format!("agent {who} has no email: in desk.yaml")),
        }
    }
    if missing.is_empty() && !out.is_empty() {
        Ok(out)
    } else if missing.is_empty() {
        Err("no recipient".into())
    } else {
        Err(format!("no address: {}", missing.join("; ")))
    }
}

/// The event that records a delivery's result on its ticket (`notified` or
/// `delivery_failed`), and the attempt's outcome. Appended in time order
/// even when the clock is behind the file.
fn result_event(
    t: &Ticket,
    d: &Delivery,
    result: &std::result::Result<(), SendError>,
    now: Timestamp,
) -> (Event, AttemptOutcome) {
    let at = t.last_at().map_or(now, |last| now.max(last));
    let by = format!("{}{}", crate::model::RULE_PREFIX, d.rule);
    let key = d.key.clone();
    let via = Some(d.via().to_string());
    match result {
        Ok(()) => {
            let email = d.via() == "email";
            let notified = Notified {
                to: d.reference().to.clone().filter(|_| email),
                key,
                via,
                message_id: email.then(|| outbox::message_id(&d.key)),
            };
            (Event::new(at, &by, notified), AttemptOutcome::Delivered)
        }
        Err(err) => {
            let attempt = d.attempts + 1;
            let next = outbox::next_attempt(attempt, at, err.permanent);
            // The history goes everywhere: no address, no phone.
            let error = crate::model::mask::personal_in(&err.message);
            let failed = DeliveryFailed {
                to: None,
                key,
                via,
                attempt: Some(attempt),
                error: Some(error.clone()),
                next_attempt: next,
            };
            (
                Event::new(at, &by, failed),
                AttemptOutcome::Failed {
                    error,
                    attempt,
                    next,
                },
            )
        }
    }
}

/// The action of the event that caused a delivery (`assigned`, …): the
/// event rule's triggering event, found by the key's hash; for a time rule,
/// `time`.
fn cause_of(ticket: &Ticket, d: &Delivery) -> String {
    ticket
        .history
        .iter()
        .filter(|e| e.rule().is_none() && e.at <= d.queued.at)
        .find(|e| {
            let key = crate::rules::cause_key(&d.rule, &ticket.id, e, 1);
            d.key == key || d.key.starts_with(&format!("{key}/"))
        })
        .map_or_else(|| "time".to_string(), |e| e.action_name().to_string())
}

/// Why a queued e-mail notice is no longer to be sent, judged against the
/// ticket as it is now (`None`: send it). docs/automation.md, "Notices
/// judged again":
/// - a time rule's notice is sent only while its rule is still due for
///   the ticket in the cycle its key names (a close, a progress note, an
///   assignment, a survey ends the cycle) and its `if:` still holds
///   (`working_hours` as when it fired: that said when to fire, not what
///   the ticket is);
/// - an event rule's notice is dropped when the ticket was closed after it
///   was queued and is closed still, unless the rule fires on `closed` or
///   `surveyed` (those are about a closed ticket).
///
/// A disabled rule is judged as if enabled: what it queued is still its
/// own to deliver. Hooks are not judged: another system may want every
/// event.
pub(super) fn dropped_why(
    store: &Store,
    rules: &crate::rules::Rules,
    ticket: &Ticket,
    d: &Delivery,
    now: Timestamp,
) -> Result<Option<String>> {
    use crate::model::{Action, Payload, Status, Summary};
    use crate::rules::{TimeFacts, Trigger};
    if d.via() != "email" {
        return Ok(None);
    }
    // A milestone notice for a customer with no e-mail on file: the
    // customer is reached another way (by phone), and retrying cannot help
    // until someone adds an address, by which time the news is old.
    if d.to() == [CUSTOMER] {
        let address = store
            .load_customer(&ticket.customer)
            .ok()
            .and_then(|c| crate::model::reply::customer_address(&c, ticket));
        if address.is_none() {
            return Ok(Some(format!(
                "customer {} has no e-mail on file",
                ticket.customer
            )));
        }
    }
    let Some(rule) = rules.rules.iter().find(|r| r.name == d.rule) else {
        return Ok(None);
    };
    let closed_now = ticket.status == Status::Closed;
    match &rule.when {
        Trigger::Time(trigger) => {
            let Some(firing) = firing_of(ticket, &d.key) else {
                return Ok(None);
            };
            let mut rule = rule.clone();
            rule.enabled = true;
            let summary = Summary::of(ticket);
            let (policy, calendar) = store.sla()?;
            let facts = TimeFacts::of(&summary, policy, calendar, now);
            let due = crate::rules::due(&rule, trigger, &facts, now);
            if due.is_none_or(|f| f.key != firing.key) {
                return Ok(Some(if closed_now {
                    "the ticket is closed since".to_string()
                } else {
                    format!(
                        "rule {} is no longer due for the ticket in this cycle",
                        rule.name
                    )
                }));
            }
            let (mut judged, _) = if rule.needs_customer() {
                super::rules::customer_facts(store, &ticket.customer)
            } else {
                (crate::rules::Facts::default(), None)
            };
            judged.working_hours =
                Some(calendar.is_working_at(firing.at.0.with_timezone(&chrono::Utc)));
            if !crate::rules::holds_now(rules, &rule, ticket, &judged) {
                return Ok(Some(format!(
                    "the ticket no longer meets the conditions (if:) of rule {}",
                    rule.name
                )));
            }
            Ok(None)
        }
        Trigger::Events(events) => {
            if !closed_now || events.contains(&Action::Closed) || events.contains(&Action::Surveyed)
            {
                return Ok(None);
            }
            let queued_at = ticket
                .history
                .iter()
                .position(|e| matches!(&e.payload, Payload::Queued(q) if q.key == d.key));
            let closed_at = ticket
                .history
                .iter()
                .rposition(|e| e.action() == Action::Closed);
            Ok(match (queued_at, closed_at) {
                (Some(q), Some(c)) if c > q => Some("the ticket is closed since".to_string()),
                _ => None,
            })
        }
    }
}

/// The `fired` event of a time rule's delivery: its key is the firing's,
/// or the firing's with `/2`, `/3` for the rule's later actions.
fn firing_of<'a>(ticket: &'a Ticket, key: &str) -> Option<FiredAt<'a>> {
    let base = match key.rsplit_once('/') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => key,
    };
    ticket.history.iter().find_map(|e| match &e.payload {
        crate::model::Payload::Fired(f) if f.key == key || f.key == base => Some(FiredAt {
            key: &f.key,
            at: e.at,
        }),
        _ => None,
    })
}

struct FiredAt<'a> {
    key: &'a str,
    at: Timestamp,
}

/// Records that a queued notice was dropped (`why`): a `delivery_failed`
/// without a next attempt, its error `dropped: WHY`, so it is never tried
/// again and older desks read it as given up.
pub(super) fn record_dropped(
    store: &Store,
    id: &TicketId,
    d: &Delivery,
    why: &str,
    now: Timestamp,
    actor: &str,
) -> Result<AttemptOutcome> {
    let error = format!("{DROPPED}{why}");
    store.modify_ticket(id, now, actor, |t| {
        let at = t.last_at().map_or(now, |last| now.max(last));
        let by = format!("{}{}", crate::model::RULE_PREFIX, d.rule);
        t.history.push(Event::new(
            at,
            &by,
            DeliveryFailed {
                to: None,
                key: d.key.clone(),
                via: Some(d.via().to_string()),
                attempt: Some(d.attempts.max(1)),
                error: Some(error.clone()),
                next_attempt: None,
            },
        ));
        Ok(())
    })?;
    Ok(AttemptOutcome::Dropped {
        why: why.to_string(),
    })
}
