//! An event as files have it: one flat mapping, `at`, `by`, `action`, then
//! the payload's fields and the kept ones in one order for every action
//! ([`FILE_ORDER`], docs/format.md), then fields this version does not
//! know, by name. Read without buffering the mapping (a cold report reads
//! every event of the store); each known field is read as the type it has
//! in every action that takes it, as before events were typed.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use super::{
    Assessed, Assigned, Attached, Closed, Created, DeliveryFailed, Edited, Event, Fired,
    MailAttachment, Notified, Payload, Queued, Received, Reopened, Replied, Spelling, Surveyed,
    Updated,
};
use crate::clock::Timestamp;
use crate::model::{NewTicket, Sentiment};
use crate::yaml::Value;

/// The fields an event may have besides `at`, `by` and `action`, in the
/// order files have them; unknown ones follow, by name.
pub const FILE_ORDER: [&str; 35] = [
    "title",
    "customer",
    "type",
    "category",
    "tags",
    "channel",
    "priority",
    "description",
    "expectation",
    "field",
    "from",
    "to",
    "status",
    "note",
    "resolution",
    "compensation",
    "followup",
    "reason",
    "scores",
    "nps",
    "comment",
    "key",
    "via",
    "template",
    "command",
    "args",
    "attempt",
    "error",
    "next_attempt",
    "message_id",
    // `received` (desk mail-in); after the older keys, so that older files
    // keep their layout.
    "subject",
    "in_reply_to",
    "references",
    "attachments",
    // `assessed` (desk sentiment).
    "sentiment",
];

// Positions in FILE_ORDER.
const TITLE: usize = 0;
const CUSTOMER: usize = 1;
const TYPE: usize = 2;
const CATEGORY: usize = 3;
const TAGS: usize = 4;
const CHANNEL: usize = 5;
const PRIORITY: usize = 6;
const DESCRIPTION: usize = 7;
const EXPECTATION: usize = 8;
const FIELD: usize = 9;
const FROM: usize = 10;
const TO: usize = 11;
const STATUS: usize = 12;
const NOTE: usize = 13;
const RESOLUTION: usize = 14;
const COMPENSATION: usize = 15;
const FOLLOWUP: usize = 16;
const REASON: usize = 17;
const SCORES: usize = 18;
const NPS: usize = 19;
const COMMENT: usize = 20;
const KEY: usize = 21;
const VIA: usize = 22;
const TEMPLATE: usize = 23;
const COMMAND: usize = 24;
const ARGS: usize = 25;
const ATTEMPT: usize = 26;
const ERROR: usize = 27;
const NEXT_ATTEMPT: usize = 28;
const MESSAGE_ID: usize = 29;
const SUBJECT: usize = 30;
const IN_REPLY_TO: usize = 31;
const REFERENCES: usize = 32;
const ATTACHMENTS: usize = 33;
const SENTIMENT: usize = 34;

/// Where a field goes among an event's fields: its place in [`FILE_ORDER`],
/// unknown fields after all of them.
pub(super) fn rank(name: &str) -> usize {
    // A match, not a search of FILE_ORDER: every key of every event read
    // comes here.
    match name {
        "title" => TITLE,
        "customer" => CUSTOMER,
        "type" => TYPE,
        "category" => CATEGORY,
        "tags" => TAGS,
        "channel" => CHANNEL,
        "priority" => PRIORITY,
        "description" => DESCRIPTION,
        "expectation" => EXPECTATION,
        "field" => FIELD,
        "from" => FROM,
        "to" => TO,
        "status" => STATUS,
        "note" => NOTE,
        "resolution" => RESOLUTION,
        "compensation" => COMPENSATION,
        "followup" => FOLLOWUP,
        "reason" => REASON,
        "scores" => SCORES,
        "nps" => NPS,
        "comment" => COMMENT,
        "key" => KEY,
        "via" => VIA,
        "template" => TEMPLATE,
        "command" => COMMAND,
        "args" => ARGS,
        "attempt" => ATTEMPT,
        "error" => ERROR,
        "next_attempt" => NEXT_ATTEMPT,
        "message_id" => MESSAGE_ID,
        "subject" => SUBJECT,
        "in_reply_to" => IN_REPLY_TO,
        "references" => REFERENCES,
        "attachments" => ATTACHMENTS,
        "sentiment" => SENTIMENT,
        _ => FILE_ORDER.len(),
    }
}

/// A known field's value as read, typed by the field.
#[derive(Debug)]
enum Slot {
    Text(String),
    Texts(Vec<String>),
    /// `from` and `to`, whose type depends on the action.
    Value(Value),
    Scores(BTreeMap<String, u8>),
    Nps(u8),
    Attempt(u32),
    Time(Timestamp),
}

impl Slot {
    fn into_value(self) -> Value {
        let text = Value::String;
        match self {
            Slot::Text(s) => text(s),
            Slot::Texts(v) => Value::Sequence(v.into_iter().map(text).collect()),
            Slot::Value(v) => v,
            Slot::Scores(m) => Value::Mapping(
                m.into_iter()
                    .map(|(k, v)| (text(k), Value::from(v)))
                    .collect(),
            ),
            Slot::Nps(n) => Value::from(n),
            Slot::Attempt(n) => Value::from(n),
            Slot::Time(t) => text(t.to_rfc3339()),
        }
    }
}

thread_local! {
    /// The list the known fields of an event are read into, kept for the
    /// next event: a cold report reads every event of the store, and an
    /// allocation for each showed in its profile.
    static SPARE_SLOTS: std::cell::Cell<Vec<(usize, Slot)>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// The known fields of one event as read, by their place in [`FILE_ORDER`]:
/// a few, so a list.
struct Slots(Vec<(usize, Slot)>);

impl Slots {
    fn has(&self, field: usize) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }

    fn take_if(&mut self, field: usize, fits: impl Fn(&Slot) -> bool) -> Option<Slot> {
        let i = self.0.iter().position(|(f, s)| *f == field && fits(s))?;
        Some(self.0.swap_remove(i).1)
    }

    fn text(&mut self, field: usize) -> Option<String> {
        match self.take_if(field, |s| matches!(s, Slot::Text(_)))? {
            Slot::Text(s) => Some(s),
            _ => None,
        }
    }

    fn texts(&mut self, field: usize) -> Option<Vec<String>> {
        match self.take_if(field, |s| matches!(s, Slot::Texts(_)))? {
            Slot::Texts(v) => Some(v),
            _ => None,
        }
    }

    fn value(&mut self, field: usize) -> Option<Value> {
        match self.take_if(field, |s| matches!(s, Slot::Value(_)))? {
            Slot::Value(v) => Some(v),
            _ => None,
        }
    }

    /// A field holding one string: `to` as one agent (`created`,
    /// `assigned`) or one customer ID (`replied`), `from` as one address
    /// (`received`); any other shape stays in the event's `extra`.
    fn string(&mut self, field: usize) -> Option<String> {
        match self.take_if(field, |s| matches!(s, Slot::Value(Value::String(_))))? {
            Slot::Value(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// `attachments` as desk writes them; any other shape (a newer desk's
    /// fields in them) stays in the event's `extra`, written back as it was.
    fn attachments(&mut self) -> Vec<MailAttachment> {
        let exact = |s: &Slot| match s {
            Slot::Value(v) => crate::yaml::from_value::<Vec<MailAttachment>>(v.clone())
                .ok()
                .and_then(|a| crate::yaml::to_value(&a).ok())
                .is_some_and(|again| again == *v),
            _ => false,
        };
        match self.take_if(ATTACHMENTS, exact) {
            Some(Slot::Value(v)) => crate::yaml::from_value(v).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether `sentiment` names one of [`Sentiment::ALL`]; any other
    /// value leaves the event `Other`, which `desk check` reports.
    fn has_sentiment(&self) -> bool {
        self.0.iter().any(|(f, s)| {
            *f == SENTIMENT && matches!(s, Slot::Text(t) if Sentiment::from_name(t).is_some())
        })
    }

    /// Whether `field` holds one string ([`Self::string`] will take it).
    fn has_string(&self, field: usize) -> bool {
        self.0
            .iter()
            .any(|(f, s)| *f == field && matches!(s, Slot::Value(Value::String(_))))
    }

    /// `to` as a list of recipients (deliveries); anything else stays in
    /// the event's `extra`.
    fn recipients(&mut self) -> Option<Vec<String>> {
        let list = |s: &Slot| match s {
            Slot::Value(Value::Sequence(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        match self.take_if(TO, list)? {
            Slot::Value(Value::Sequence(items)) => Some(
                items
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The payload of `action`, taking its fields; a known action without
    /// a field its payload needs is `Other`, its fields left here.
    fn payload(&mut self, action: String) -> Payload {
        let other = |action: String| Payload::Other(action);
        match action.as_str() {
            "created" => {
                let required = [TITLE, CUSTOMER, TYPE, CHANNEL, PRIORITY];
                if !required.iter().all(|&f| self.has(f)) {
                    return other(action);
                }
                let spelling = Spelling {
                    without_description: !self.has(DESCRIPTION),
                    with_empty_tags: self
                        .0
                        .iter()
                        .any(|(f, s)| *f == TAGS && matches!(s, Slot::Texts(t) if t.is_empty())),
                };
                let mut text = |f| self.text(f).unwrap_or_default();
                let (title, customer, kind) = (text(TITLE), text(CUSTOMER), text(TYPE));
                let (channel, priority, description) =
                    (text(CHANNEL), text(PRIORITY), text(DESCRIPTION));
                Payload::Created(Created {
                    ticket: NewTicket {
                        title,
                        customer,
                        kind,
                        category: self.text(CATEGORY),
                        tags: self.texts(TAGS).unwrap_or_default(),
                        channel,
                        priority,
                        description,
                        expectation: self.text(EXPECTATION),
                        assignee: self.string(TO),
                    },
                    spelling,
                })
            }
            "assigned" if self.has_string(TO) => Payload::Assigned(Assigned {
                to: self.string(TO).expect("checked"),
                note: self.text(NOTE),
                key: self.text(KEY),
            }),
            "updated" => Payload::Updated(Updated {
                status: self.text(STATUS),
                note: self.text(NOTE),
                key: self.text(KEY),
            }),
            "closed" => Payload::Closed(Closed {
                resolution: self.text(RESOLUTION),
                compensation: self.text(COMPENSATION),
                followup: self.text(FOLLOWUP),
            }),
            "reopened" => Payload::Reopened(Reopened {
                reason: self.text(REASON),
            }),
            "edited" if self.has(FIELD) => Payload::Edited(Edited {
                field: self.text(FIELD).expect("checked"),
                from: self.value(FROM),
                to: self.value(TO),
                note: self.text(NOTE),
                key: self.text(KEY),
            }),
            "surveyed" => Payload::Surveyed(Surveyed {
                channel: self.text(CHANNEL),
                scores: match self.take_if(SCORES, |_| true) {
                    Some(Slot::Scores(m)) => Some(m),
                    _ => None,
                },
                nps: match self.take_if(NPS, |_| true) {
                    Some(Slot::Nps(n)) => Some(n),
                    _ => None,
                },
                comment: self.text(COMMENT),
            }),
            "queued" if self.has(KEY) => Payload::Queued(Queued {
                to: self.recipients(),
                key: self.text(KEY).expect("checked"),
                via: self.text(VIA),
                template: self.text(TEMPLATE),
                command: self.text(COMMAND),
                args: self.texts(ARGS),
            }),
            "notified" if self.has(KEY) => Payload::Notified(Notified {
                to: self.recipients(),
                key: self.text(KEY).expect("checked"),
                via: self.text(VIA),
                message_id: self.text(MESSAGE_ID),
            }),
            "delivery_failed" if self.has(KEY) => Payload::DeliveryFailed(DeliveryFailed {
                to: self.recipients(),
                key: self.text(KEY).expect("checked"),
                via: self.text(VIA),
                attempt: match self.take_if(ATTEMPT, |_| true) {
                    Some(Slot::Attempt(n)) => Some(n),
                    _ => None,
                },
                error: self.text(ERROR),
                next_attempt: match self.take_if(NEXT_ATTEMPT, |_| true) {
                    Some(Slot::Time(t)) => Some(t),
                    _ => None,
                },
            }),
            "fired" if self.has(KEY) => Payload::Fired(Fired {
                key: self.text(KEY).expect("checked"),
            }),
            "received" if self.has(MESSAGE_ID) && self.has_string(FROM) => {
                Payload::Received(Received {
                    from: self.string(FROM).expect("checked"),
                    subject: self.text(SUBJECT),
                    note: self.text(NOTE),
                    message_id: self.text(MESSAGE_ID).expect("checked"),
                    in_reply_to: self.texts(IN_REPLY_TO).unwrap_or_default(),
                    references: self.texts(REFERENCES).unwrap_or_default(),
                    attachments: self.attachments(),
                })
            }
            "assessed" if self.has_sentiment() => Payload::Assessed(Assessed {
                sentiment: self
                    .text(SENTIMENT)
                    .as_deref()
                    .and_then(Sentiment::from_name)
                    .expect("checked"),
                note: self.text(NOTE),
            }),
            "attached" if self.has(ATTACHMENTS) => Payload::Attached(Attached {
                note: self.text(NOTE),
                attachments: self.attachments(),
            }),
            "replied" if self.has(MESSAGE_ID) && self.has(NOTE) && self.has_string(TO) => {
                Payload::Replied(Replied {
                    to: self.string(TO).expect("checked"),
                    note: self.text(NOTE).expect("checked"),
                    message_id: self.text(MESSAGE_ID).expect("checked"),
                    subject: self.text(SUBJECT),
                    in_reply_to: self.texts(IN_REPLY_TO).unwrap_or_default(),
                    references: self.texts(REFERENCES).unwrap_or_default(),
                    attachments: self.attachments(),
                })
            }
            _ => other(action),
        }
    }
}

/// A field's value as written.
enum Out<'a> {
    Text(&'a str),
    Texts(&'a [String]),
    Value(&'a Value),
    Scores(&'a BTreeMap<String, u8>),
    Number(u32),
    Time(Timestamp),
    Attachments(&'a [MailAttachment]),
}

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Text(t) => s.serialize_str(t),
            Out::Texts(v) => v.serialize(s),
            Out::Value(v) => v.serialize(s),
            Out::Scores(m) => m.serialize(s),
            Out::Number(n) => s.serialize_u32(*n),
            Out::Time(t) => t.serialize(s),
            Out::Attachments(a) => a.serialize(s),
        }
    }
}

/// The fields of an event as written: (place, name, value).
type Fields<'a> = Vec<(usize, &'a str, Out<'a>)>;

impl Payload {
    /// The fields the payload writes, in file order.
    fn fields(&self) -> Fields<'_> {
        let mut out: Fields<'_> = Vec::with_capacity(10);
        match self {
            Payload::Created(Created { ticket, spelling }) => {
                // Taken apart whole: a field added to the ticket's initial
                // fields must find its place in the file.
                let NewTicket {
                    title,
                    customer,
                    kind,
                    category,
                    tags,
                    channel,
                    priority,
                    description,
                    expectation,
                    assignee,
                } = ticket;
                out.push((TITLE, FILE_ORDER[TITLE], Out::Text(title)));
                out.push((CUSTOMER, FILE_ORDER[CUSTOMER], Out::Text(customer)));
                out.push((TYPE, FILE_ORDER[TYPE], Out::Text(kind)));
                text(&mut out, CATEGORY, category);
                if !tags.is_empty() || spelling.with_empty_tags {
                    out.push((TAGS, FILE_ORDER[TAGS], Out::Texts(tags)));
                }
                out.push((CHANNEL, FILE_ORDER[CHANNEL], Out::Text(channel)));
                out.push((PRIORITY, FILE_ORDER[PRIORITY], Out::Text(priority)));
                if !spelling.without_description || !description.is_empty() {
                    out.push((DESCRIPTION, FILE_ORDER[DESCRIPTION], Out::Text(description)));
                }
                text(&mut out, EXPECTATION, expectation);
                text(&mut out, TO, assignee);
            }
            Payload::Assigned(a) => {
                out.push((TO, FILE_ORDER[TO], Out::Text(&a.to)));
                text(&mut out, NOTE, &a.note);
                text(&mut out, KEY, &a.key);
            }
            Payload::Updated(u) => {
                text(&mut out, STATUS, &u.status);
                text(&mut out, NOTE, &u.note);
                text(&mut out, KEY, &u.key);
            }
            Payload::Closed(c) => {
                text(&mut out, RESOLUTION, &c.resolution);
                text(&mut out, COMPENSATION, &c.compensation);
                text(&mut out, FOLLOWUP, &c.followup);
            }
            Payload::Reopened(r) => text(&mut out, REASON, &r.reason),
            Payload::Edited(e) => {
                out.push((FIELD, FILE_ORDER[FIELD], Out::Text(&e.field)));
                if let Some(v) = &e.from {
                    out.push((FROM, FILE_ORDER[FROM], Out::Value(v)));
                }
                if let Some(v) = &e.to {
                    out.push((TO, FILE_ORDER[TO], Out::Value(v)));
                }
                text(&mut out, NOTE, &e.note);
                text(&mut out, KEY, &e.key);
            }
            Payload::Surveyed(s) => {
                text(&mut out, CHANNEL, &s.channel);
                if let Some(m) = &s.scores {
                    out.push((SCORES, FILE_ORDER[SCORES], Out::Scores(m)));
                }
                if let Some(n) = s.nps {
                    out.push((NPS, FILE_ORDER[NPS], Out::Number(n.into())));
                }
                text(&mut out, COMMENT, &s.comment);
            }
            Payload::Queued(q) => {
                delivery(&mut out, &q.to, &q.key, &q.via);
                text(&mut out, TEMPLATE, &q.template);
                text(&mut out, COMMAND, &q.command);
                if let Some(args) = &q.args {
                    out.push((ARGS, FILE_ORDER[ARGS], Out::Texts(args)));
                }
            }
            Payload::Notified(n) => {
                delivery(&mut out, &n.to, &n.key, &n.via);
                text(&mut out, MESSAGE_ID, &n.message_id);
            }
            Payload::DeliveryFailed(f) => {
                delivery(&mut out, &f.to, &f.key, &f.via);
                if let Some(n) = f.attempt {
                    out.push((ATTEMPT, FILE_ORDER[ATTEMPT], Out::Number(n)));
                }
                text(&mut out, ERROR, &f.error);
                if let Some(t) = f.next_attempt {
                    out.push((NEXT_ATTEMPT, FILE_ORDER[NEXT_ATTEMPT], Out::Time(t)));
                }
            }
            Payload::Fired(f) => out.push((KEY, FILE_ORDER[KEY], Out::Text(&f.key))),
            Payload::Received(r) => {
                out.push((FROM, FILE_ORDER[FROM], Out::Text(&r.from)));
                text(&mut out, NOTE, &r.note);
                out.push((MESSAGE_ID, FILE_ORDER[MESSAGE_ID], Out::Text(&r.message_id)));
                text(&mut out, SUBJECT, &r.subject);
                for (field, ids) in [(IN_REPLY_TO, &r.in_reply_to), (REFERENCES, &r.references)] {
                    if !ids.is_empty() {
                        out.push((field, FILE_ORDER[field], Out::Texts(ids)));
                    }
                }
                if !r.attachments.is_empty() {
                    out.push((
                        ATTACHMENTS,
                        FILE_ORDER[ATTACHMENTS],
                        Out::Attachments(&r.attachments),
                    ));
                }
            }
            Payload::Assessed(a) => {
                text(&mut out, NOTE, &a.note);
                out.push((
                    SENTIMENT,
                    FILE_ORDER[SENTIMENT],
                    Out::Text(a.sentiment.name()),
                ));
            }
            Payload::Attached(a) => {
                text(&mut out, NOTE, &a.note);
                out.push((
                    ATTACHMENTS,
                    FILE_ORDER[ATTACHMENTS],
                    Out::Attachments(&a.attachments),
                ));
            }
            Payload::Replied(r) => {
                out.push((TO, FILE_ORDER[TO], Out::Text(&r.to)));
                out.push((NOTE, FILE_ORDER[NOTE], Out::Text(&r.note)));
                out.push((MESSAGE_ID, FILE_ORDER[MESSAGE_ID], Out::Text(&r.message_id)));
                text(&mut out, SUBJECT, &r.subject);
                for (field, ids) in [(IN_REPLY_TO, &r.in_reply_to), (REFERENCES, &r.references)] {
                    if !ids.is_empty() {
                        out.push((field, FILE_ORDER[field], Out::Texts(ids)));
                    }
                }
                if !r.attachments.is_empty() {
                    out.push((
                        ATTACHMENTS,
                        FILE_ORDER[ATTACHMENTS],
                        Out::Attachments(&r.attachments),
                    ));
                }
            }
            Payload::Other(_) => {}
        }
        out
    }
}

/// An optional text field, when it has a value.
fn text<'a>(out: &mut Fields<'a>, field: usize, value: &'a Option<String>) {
    if let Some(v) = value {
        out.push((field, FILE_ORDER[field], Out::Text(v)));
    }
}

/// The fields every delivery event starts with.
fn delivery<'a>(
    out: &mut Fields<'a>,
    to: &'a Option<Vec<String>>,
    key: &'a str,
    via: &'a Option<String>,
) {
    if let Some(to) = to {
        out.push((TO, FILE_ORDER[TO], Out::Texts(to)));
    }
    out.push((KEY, FILE_ORDER[KEY], Out::Text(key)));
    if let Some(via) = via {
        out.push((VIA, FILE_ORDER[VIA], Out::Text(via)));
    }
}

impl Event {
    /// The event's fields besides `at`, `by` and `action`, in file order:
    /// the payload's and the kept ones.
    fn fields(&self) -> Fields<'_> {
        let mut fields = self.payload.fields();
        let written = fields.len();
        for (name, value) in &self.extra {
            // The payload's own value wins over a kept one of its name.
            if !fields[..written].iter().any(|f| f.1 == name) {
                fields.push((rank(name), name, Out::Value(value)));
            }
        }
        if fields.len() > written {
            fields.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        }
        fields
    }

    /// The names of the fields the event has besides `at`, `by` and
    /// `action`, but those kept empty (`note: null`), as the checks see
    /// them.
    pub(super) fn present(&self) -> Vec<&str> {
        self.fields()
            .into_iter()
            .filter(|(_, _, v)| !matches!(v, Out::Value(Value::Null)))
            .map(|(_, name, _)| name)
            .collect()
    }
}

impl Event {
    /// A field by its name in files, wherever the event keeps it (its
    /// payload or `extra`), as YAML: for showing an event whatever its
    /// shape.
    pub fn field(&self, name: &str) -> Option<Value> {
        let (_, _, value) = self.fields().into_iter().find(|f| f.1 == name)?;
        Some(match value {
            Out::Value(v) => v.clone(),
            Out::Text(t) => Value::String(t.to_string()),
            other => crate::yaml::to_value(other).unwrap_or(Value::Null),
        })
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = self.fields();
        let mut map = s.serialize_map(Some(3 + fields.len()))?;
        map.serialize_entry("at", &self.at)?;
        map.serialize_entry("by", &self.by)?;
        map.serialize_entry("action", self.action_name())?;
        for (_, name, value) in &fields {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A key of an event's mapping.
enum Key {
    At,
    By,
    Action,
    Known(usize),
    Unknown(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
                Ok(match name {
                    "at" => Key::At,
                    "by" => Key::By,
                    "action" => Key::Action,
                    _ => match rank(name) {
                        known if known < FILE_ORDER.len() => Key::Known(known),
                        _ => Key::Unknown(name.to_string()),
                    },
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event (a mapping with at, by and action)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut at: Option<Timestamp> = None;
        let mut by: Option<String> = None;
        let mut action: Option<String> = None;
        let mut slots = Slots(SPARE_SLOTS.take());
        let mut extra: BTreeMap<String, Value> = BTreeMap::new();
        let twice = |name: &str| de::Error::custom(format_args!("duplicate field `{name}`"));
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::At if at.is_some() => return Err(twice("at")),
                Key::At => at = Some(map.next_value()?),
                Key::By if by.is_some() => return Err(twice("by")),
                Key::By => by = Some(map.next_value()?),
                Key::Action if action.is_some() => return Err(twice("action")),
                Key::Action => action = Some(map.next_value()?),
                Key::Known(field) => {
                    let name = FILE_ORDER[field];
                    if slots.has(field) || extra.contains_key(name) {
                        return Err(twice(name));
                    }
                    match read(field, &mut map)? {
                        Some(slot) => slots.0.push((field, slot)),
                        // Kept, so the file is written back as it was.
                        None => {
                            extra.insert(name.to_string(), Value::Null);
                        }
                    }
                }
                Key::Unknown(name) => {
                    if extra.contains_key(&name) {
                        return Err(twice(&name));
                    }
                    let value = map.next_value()?;
                    extra.insert(name, value);
                }
            }
        }
        let at = at.ok_or_else(|| de::Error::missing_field("at"))?;
        let by = by.ok_or_else(|| de::Error::missing_field("by"))?;
        let action = action.ok_or_else(|| de::Error::missing_field("action"))?;
        let payload = slots.payload(action);
        for (field, slot) in slots.0.drain(..) {
            extra.insert(FILE_ORDER[field].to_string(), slot.into_value());
        }
        SPARE_SLOTS.set(slots.0);
        Ok(Event {
            at,
            by,
            payload,
            extra,
        })
    }
}

/// Reads the value of a known field as its type; `None` for null. Text is
/// any scalar, as its characters (`note: 2026` is the text `2026`), as
/// before events were typed.
fn read<'de, A: MapAccess<'de>>(field: usize, map: &mut A) -> Result<Option<Slot>, A::Error> {
    Ok(match field {
        FROM | TO | ATTACHMENTS => Some(Slot::Value(map.next_value()?)),
        TAGS | ARGS | IN_REPLY_TO | REFERENCES => map.next_value::<Option<_>>()?.map(Slot::Texts),
        SCORES => map.next_value::<Option<_>>()?.map(Slot::Scores),
        NPS => map.next_value::<Option<_>>()?.map(Slot::Nps),
        ATTEMPT => map.next_value::<Option<_>>()?.map(Slot::Attempt),
        NEXT_ATTEMPT => map.next_value::<Option<_>>()?.map(Slot::Time),
        _ => map.next_value::<Option<_>>()?.map(Slot::Text),
    })
}
