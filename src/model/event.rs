//! A ticket's events: one payload type per action, each field with one
//! meaning. How they are read and written, key for key as docs/format.md
//! lays them out, is `wire.rs`.

use crate::yaml::Value;
use std::collections::BTreeMap;

use super::NewTicket;
use crate::clock::Timestamp;

mod check;
#[cfg(test)]
mod tests;
mod wire;

pub use check::{added_events, history_order_problem, history_problems};
pub use wire::FILE_ORDER;

/// What an event did: the `action:` of a file. Actions written by a newer
/// desk are `Other` and change nothing, so their files survive a rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Created,
    Assigned,
    Updated,
    Closed,
    Reopened,
    Edited,
    Surveyed,
    /// A rule's notification or hook run, waiting for `desk run`.
    Queued,
    /// A queued delivery done.
    Notified,
    /// A delivery attempt that failed; without `next_attempt`, the last.
    DeliveryFailed,
    /// A time rule came due for the ticket (`desk run`): the firing's key,
    /// before the events of its actions. Once per key, so once per cycle.
    Fired,
    /// A customer's e-mail: the one that opened the ticket, or a reply
    /// threaded into it (`desk mail-in`, docs/mail.md).
    Received,
    /// An agent's answer mailed to the customer (`desk reply`, docs/mail.md).
    Replied,
    /// Files kept with the ticket by hand (`desk attach`): photos, invoices
    /// that came by other ways than mail.
    Attached,
    /// An agent's reading of how the customer's words feel (`desk
    /// sentiment`), which the report counts instead of its own for the
    /// ticket's texts up to then.
    Assessed,
    Other(String),
}

impl Action {
    pub fn as_str(&self) -> &str {
        match self {
            Action::Other(s) => s,
            known => known.known_name().expect("a known action"),
        }
    }

    /// The name of a known action; `None` for `Other`.
    fn known_name(&self) -> Option<&'static str> {
        Some(match self {
            Action::Created => "created",
            Action::Assigned => "assigned",
            Action::Updated => "updated",
            Action::Closed => "closed",
            Action::Reopened => "reopened",
            Action::Edited => "edited",
            Action::Surveyed => "surveyed",
            Action::Queued => "queued",
            Action::Notified => "notified",
            Action::DeliveryFailed => "delivery_failed",
            Action::Fired => "fired",
            Action::Received => "received",
            Action::Replied => "replied",
            Action::Attached => "attached",
            Action::Assessed => "assessed",
            Action::Other(_) => return None,
        })
    }

    /// The action a file's `action:` names.
    pub fn named(name: &str) -> Action {
        match name {
            "created" => Action::Created,
            "assigned" => Action::Assigned,
            "updated" => Action::Updated,
            "closed" => Action::Closed,
            "reopened" => Action::Reopened,
            "edited" => Action::Edited,
            "surveyed" => Action::Surveyed,
            "queued" => Action::Queued,
            "notified" => Action::Notified,
            "delivery_failed" => Action::DeliveryFailed,
            "fired" => Action::Fired,
            "received" => Action::Received,
            "replied" => Action::Replied,
            "attached" => Action::Attached,
            "assessed" => Action::Assessed,
            _ => Action::Other(name.to_string()),
        }
    }
}

impl From<String> for Action {
    fn from(s: String) -> Self {
        Action::named(&s)
    }
}

/// One entry of a ticket's `history`: when, who, what (the payload of its
/// action), and the fields this version does not read for that action.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: Timestamp,
    pub by: String,
    pub payload: Payload,
    /// Fields of the event that its payload does not hold, kept as they
    /// were and written back in their place: fields of a newer desk, of an
    /// action this version does not know, a known field in an event of an
    /// action that does not take it, an empty value (`note: null`).
    pub extra: BTreeMap<String, Value>,
}

/// What an event says, by its action (docs/format.md, "Events").
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Created(Created),
    Assigned(Assigned),
    Updated(Updated),
    Closed(Closed),
    Reopened(Reopened),
    Edited(Edited),
    Surveyed(Surveyed),
    Queued(Queued),
    Notified(Notified),
    DeliveryFailed(DeliveryFailed),
    Fired(Fired),
    Received(Received),
    Replied(Replied),
    Attached(Attached),
    Assessed(Assessed),
    /// The action's name, for an action this version does not know, or a
    /// known one without a field it cannot do without (an assignment to no
    /// one), which `desk check` reports: its fields are all in `extra`, and
    /// it changes nothing.
    Other(String),
}

/// `created`: the ticket's fields as it was created (`to`: its first
/// assignee).
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub ticket: NewTicket,
    /// How the file spelt what the fields cannot tell apart, so that it is
    /// written back as it was: desk writes `description` always and `tags`
    /// only when there are some.
    spelling: Spelling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Spelling {
    without_description: bool,
    with_empty_tags: bool,
}

impl From<NewTicket> for Created {
    fn from(ticket: NewTicket) -> Created {
        Created {
            ticket,
            spelling: Spelling::default(),
        }
    }
}

/// `assigned`: to an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    pub to: String,
    pub note: Option<String>,
    /// The time rule's firing that made it.
    pub key: Option<String>,
}

/// `updated`: a note, perhaps a status (pending or in_progress).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Updated {
    /// As written; `desk check` reports one that is not pending or
    /// in_progress, and the fold ignores it.
    pub status: Option<String>,
    pub note: Option<String>,
    /// The time rule's firing that made it.
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Closed {
    pub resolution: Option<String>,
    pub compensation: Option<String>,
    pub followup: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reopened {
    pub reason: Option<String>,
}

/// `edited`: one field changed, from what to what (`Some(Value::Null)`:
/// none; `None`: the file does not say).
#[derive(Debug, Clone, PartialEq)]
pub struct Edited {
    pub field: String,
    pub from: Option<Value>,
    pub to: Option<Value>,
    pub note: Option<String>,
    /// The time rule's firing that made it.
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Surveyed {
    /// How the survey was taken.
    pub channel: Option<String>,
    pub scores: Option<BTreeMap<String, u8>>,
    pub nps: Option<u8>,
    pub comment: Option<String>,
}

/// `queued`: a reference to a rule's `notify` or `run` action, waiting for
/// `desk run` (docs/automation.md, "a delivery is a reference").
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// E-mail: the recipients (agent IDs, `customer`), resolved when queued.
    pub to: Option<Vec<String>>,
    pub key: String,
    /// The channel of the rule's action: `email` or `run`.
    pub via: Option<String>,
    /// Written by desks before the trust model; kept, never used.
    pub template: Option<String>,
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
}

/// `notified`: the delivery of `key` was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    pub to: Option<Vec<String>>,
    pub key: String,
    pub via: Option<String>,
    pub message_id: Option<String>,
}

/// `delivery_failed`: an attempt at the delivery of `key` failed; without
/// `next_attempt`, desk gave up.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFailed {
    pub to: Option<Vec<String>>,
    pub key: String,
    pub via: Option<String>,
    pub attempt: Option<u32>,
    pub error: Option<String>,
    pub next_attempt: Option<Timestamp>,
}

/// `fired`: a time rule came due; `key` names the rule, the ticket (or the
/// customer), the threshold and the cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub key: String,
}

/// `received`: a customer's mail. Its note is the customer's words when
/// the mail is a reply; the mail that opens a ticket gives them to the
/// description instead.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Received {
    /// The sender's address.
    pub from: String,
    pub subject: Option<String>,
    pub note: Option<String>,
    pub message_id: String,
    /// The Message-IDs the mail answers, as its headers list them.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub attachments: Vec<MailAttachment>,
}

/// `replied`: an agent's answer, mailed to the customer by `desk reply`.
/// `to` is the customer's ID (the address is looked up when sending, never
/// copied into the history); the mail's threading headers are kept so that
/// the customer's answer to it threads into the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replied {
    pub to: String,
    pub note: String,
    pub message_id: String,
    pub subject: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub attachments: Vec<MailAttachment>,
}

/// `attached`: files an agent kept with the ticket (`desk attach`), saved
/// under `attachments/<ticket ID>/`, and what they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attached {
    pub note: Option<String>,
    pub attachments: Vec<MailAttachment>,
}

/// `assessed`: how an agent reads the customer's words so far (`desk
/// sentiment`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed {
    pub sentiment: super::Sentiment,
    pub note: Option<String>,
}

/// An attachment of a `received` mail: saved under
/// `attachments/<ticket ID>/` by its `name`, or refused (too large), with
/// why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailAttachment {
    pub name: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

macro_rules! payload_from {
    ($($variant:ident),*) => {$(
        impl From<$variant> for Payload {
            fn from(p: $variant) -> Payload {
                Payload::$variant(p)
            }
        }
    )*};
}
payload_from!(
    Created,
    Assigned,
    Updated,
    Closed,
    Reopened,
    Edited,
    Surveyed,
    Queued,
    Notified,
    DeliveryFailed,
    Fired,
    Received,
    Replied,
    Attached,
    Assessed
);

impl From<NewTicket> for Payload {
    fn from(ticket: NewTicket) -> Payload {
        Payload::Created(ticket.into())
    }
}

impl Payload {
    pub fn action(&self) -> Action {
        match self {
            Payload::Created(_) => Action::Created,
            Payload::Assigned(_) => Action::Assigned,
            Payload::Updated(_) => Action::Updated,
            Payload::Closed(_) => Action::Closed,
            Payload::Reopened(_) => Action::Reopened,
            Payload::Edited(_) => Action::Edited,
            Payload::Surveyed(_) => Action::Surveyed,
            Payload::Queued(_) => Action::Queued,
            Payload::Notified(_) => Action::Notified,
            Payload::DeliveryFailed(_) => Action::DeliveryFailed,
            Payload::Fired(_) => Action::Fired,
            Payload::Received(_) => Action::Received,
            Payload::Replied(_) => Action::Replied,
            Payload::Attached(_) => Action::Attached,
            Payload::Assessed(_) => Action::Assessed,
            Payload::Other(name) => Action::named(name),
        }
    }

    /// The action's name as files write it.
    pub fn action_name(&self) -> &str {
        match self {
            Payload::Other(name) => name,
            known => known
                .action()
                .known_name()
                .expect("a payload of a known action"),
        }
    }

    /// The key of a delivery or a firing, or of the event a time rule's
    /// firing made.
    pub fn key(&self) -> Option<&str> {
        match self {
            Payload::Assigned(Assigned { key, .. })
            | Payload::Updated(Updated { key, .. })
            | Payload::Edited(Edited { key, .. }) => key.as_deref(),
            Payload::Queued(Queued { key, .. })
            | Payload::Notified(Notified { key, .. })
            | Payload::DeliveryFailed(DeliveryFailed { key, .. })
            | Payload::Fired(Fired { key }) => Some(key),
            Payload::Created(_)
            | Payload::Closed(_)
            | Payload::Reopened(_)
            | Payload::Surveyed(_)
            | Payload::Received(_)
            | Payload::Replied(_)
            | Payload::Attached(_)
            | Payload::Assessed(_)
            | Payload::Other(_) => None,
        }
    }

    /// Marks the event of a time rule's firing (an assignment, a note, an
    /// edit) with the firing's key, unless it has one.
    pub fn key_if_none(&mut self, firing: &str) {
        if let Payload::Assigned(Assigned { key, .. })
        | Payload::Updated(Updated { key, .. })
        | Payload::Edited(Edited { key, .. }) = self
        {
            key.get_or_insert_with(|| firing.to_string());
        }
    }

    /// The note of an assignment, an update, an edit, a mail received, an
    /// attachment or an assessment.
    pub fn note(&self) -> Option<&str> {
        match self {
            Payload::Assigned(Assigned { note, .. })
            | Payload::Updated(Updated { note, .. })
            | Payload::Edited(Edited { note, .. })
            | Payload::Received(Received { note, .. })
            | Payload::Attached(Attached { note, .. })
            | Payload::Assessed(Assessed { note, .. }) => note.as_deref(),
            Payload::Replied(r) => Some(&r.note),
            _ => None,
        }
    }
}

impl Event {
    /// An event of the action its payload is of, with no other fields.
    pub fn new(at: Timestamp, by: &str, payload: impl Into<Payload>) -> Self {
        Event {
            at,
            by: by.to_string(),
            payload: payload.into(),
            extra: BTreeMap::new(),
        }
    }

    /// What the event did (for an `Other` payload, what its `action:` says).
    pub fn action(&self) -> Action {
        self.payload.action()
    }

    /// The action's name as files write it.
    pub fn action_name(&self) -> &str {
        self.payload.action_name()
    }

    pub fn key(&self) -> Option<&str> {
        self.payload.key()
    }

    /// The agent an `assigned` event assigns to, or a `created` event first.
    pub fn assignee(&self) -> Option<&str> {
        match &self.payload {
            Payload::Assigned(a) => Some(&a.to),
            Payload::Created(c) => c.ticket.assignee.as_deref(),
            _ => None,
        }
    }

    /// The rule that recorded this event (`by: rule:NAME`), if a rule did.
    pub fn rule(&self) -> Option<&str> {
        self.by.strip_prefix(RULE_PREFIX)
    }

    /// Whether this is progress on the ticket as its SLA clocks count it:
    /// an `updated` event or an answer mailed to the customer, unless a rule
    /// wrote it (a rule's note tells the team something; it is no response
    /// to the customer).
    pub fn is_progress(&self) -> bool {
        matches!(self.payload, Payload::Updated(_) | Payload::Replied(_)) && self.rule().is_none()
    }
}

/// Events recorded by an automation rule have `by: rule:NAME`.
pub const RULE_PREFIX: &str = "rule:";

/// Events a customer's own mail caused (the mail received, a survey
/// answered by reply, the reopening a reply brings) have
/// `by: customer:ID`.
pub const CUSTOMER_PREFIX: &str = "customer:";

/// The `by` of an event customer `id` caused.
pub fn by_customer(id: &str) -> String {
    format!("{CUSTOMER_PREFIX}{id}")
}

/// A person who records events by hand (`--actor`, `DESK_ACTOR`): never a
/// name that reads as a rule's or a customer's.
pub fn check_actor(name: &str) -> crate::error::Result<()> {
    for (prefix, who) in [(RULE_PREFIX, "rules"), (CUSTOMER_PREFIX, "customers' mail")] {
        if name.trim_start().starts_with(prefix) {
            return Err(crate::error::Error::invalid(
                "--actor",
                name,
                format!("an actor is a person; '{prefix}' marks the events {who} record"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
impl Event {
    /// An event as a file has it, from its action and fields: what tests
    /// write to try the shapes a hand edit may leave.
    pub fn from_fields(at: Timestamp, by: &str, action: &str, fields: Vec<(&str, Value)>) -> Event {
        let mut map = crate::yaml::Mapping::new();
        map.insert("at".into(), at.to_rfc3339().into());
        map.insert("by".into(), by.into());
        map.insert("action".into(), action.into());
        for (name, value) in fields {
            map.insert(name.into(), value);
        }
        crate::yaml::from_value(Value::Mapping(map)).expect("an event")
    }
}
