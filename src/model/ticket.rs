use crate::yaml::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::fold::{fold, FoldError};
use super::lifecycle::Closure;
use super::{Closed, Edited, Event, Payload, Status};
use crate::clock::Timestamp;

/// Declares the ticket's projected fields once, in file order: `Ticket`
/// (the file, serialized), `State` (what `fold(history)` computes),
/// `NewTicket` (the fields a ticket is created with, those marked `given`),
/// the names an `edited` event may change (`FIELDS`), and the ways between
/// a field and its YAML value. A field added here is in all of them, and
/// says where its value comes from when a ticket is created: `given` (by
/// whoever creates it), `open` (the first status), `now` (the time of
/// creation) or `none`.
macro_rules! projected_fields {
    ($(
        $(#[$attr:meta])*
        $name:ident: $ty:ty = $key:tt ($origin:ident),
    )*) => {
        /// A ticket file. The fields above `history` are a projection of it,
        /// kept in the file so that people (and grep) can read a ticket at a
        /// glance. The field order here is the key order on disk.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct Ticket {
            pub id: String,
            $(
                $(#[$attr])*
                #[serde(rename = $key)]
                pub $name: $ty,
            )*
            /// Top-level fields added by hand or by a newer desk, kept as
            /// they were.
            #[serde(flatten)]
            pub extra: BTreeMap<String, Value>,
            pub history: Vec<Event>,
        }

        /// The projected fields of a ticket: everything `fold(history)`
        /// computes.
        #[derive(Debug, Clone, PartialEq)]
        pub struct State {
            $(pub $name: $ty,)*
        }

        given_fields! { [] $($name: $ty = ($origin),)* }

        /// The fields an `edited` event may change, in file order.
        pub const FIELDS: &[&str] = &[$($key),*];

        impl State {
            /// A ticket as created, before the status its lifecycle gives
            /// it.
            pub(super) fn created(new: &NewTicket, at: Timestamp) -> State {
                State {
                    $($name: at_creation!($origin, new, at, $name),)*
                }
            }

            /// A field's value as YAML, as written at the top of a ticket
            /// file.
            pub fn get(&self, field: &str) -> Option<Value> {
                match field {
                    $($key => Some(FieldYaml::to_yaml(&self.$name)),)*
                    _ => None,
                }
            }

            /// Sets a field from a YAML value; returns false when the field
            /// is unknown or the value has the wrong shape (then nothing
            /// changes).
            pub fn set(&mut self, field: &str, value: &Value) -> bool {
                match field {
                    $($key => FieldYaml::from_yaml(value).map(|v| self.$name = v).is_some(),)*
                    _ => false,
                }
            }
        }

        impl Ticket {
            /// A ticket of these fields and this history, with no other
            /// top-level fields.
            fn of_state(id: String, state: State, history: Vec<Event>) -> Ticket {
                Ticket {
                    id,
                    $($name: state.$name,)*
                    extra: BTreeMap::new(),
                    history,
                }
            }

            /// The projected fields as they stand in the file.
            pub fn state(&self) -> State {
                State {
                    $($name: self.$name.clone(),)*
                }
            }

            pub fn set_state(&mut self, state: State) {
                $(self.$name = state.$name;)*
            }
        }
    };
}

/// `NewTicket`, of the fields of [`projected_fields!`] marked `given`
/// (gathered one by one: a macro cannot stand for a field).
macro_rules! given_fields {
    ([$($kept:tt)*]) => {
        /// The fields of a new ticket, already validated and canonical: what
        /// `desk new` and a rule's call-back ticket give, what the `created`
        /// event records (`to`: the assignee), and what `fold` starts from.
        #[derive(Debug, Clone, PartialEq)]
        pub struct NewTicket {
            $($kept)*
        }
    };
    ([$($kept:tt)*] $name:ident: $ty:ty = (given), $($rest:tt)*) => {
        given_fields! { [$($kept)* pub $name: $ty,] $($rest)* }
    };
    ([$($kept:tt)*] $name:ident: $ty:ty = ($origin:ident), $($rest:tt)*) => {
        given_fields! { [$($kept)*] $($rest)* }
    };
}

/// A field's value when a ticket is created, by where it comes from.
macro_rules! at_creation {
    (given, $new:ident, $at:ident, $name:ident) => {
        $new.$name.clone()
    };
    (open, $new:ident, $at:ident, $name:ident) => {
        Status::Open
    };
    (now, $new:ident, $at:ident, $name:ident) => {
        $at
    };
    (none, $new:ident, $at:ident, $name:ident) => {
        None
    };
}

projected_fields! {
    title: String = "title" (given),
    customer: String = "customer" (given),
    kind: String = "type" (given),
    #[serde(default)]
    category: Option<String> = "category" (given),
    #[serde(default)]
    tags: Vec<String> = "tags" (given),
    channel: String = "channel" (given),
    priority: String = "priority" (given),
    status: Status = "status" (open),
    #[serde(default)]
    assignee: Option<String> = "assignee" (given),
    created: Timestamp = "created" (now),
    #[serde(default)]
    description: String = "description" (given),
    #[serde(default)]
    expectation: Option<String> = "expectation" (given),
    #[serde(default)]
    resolution: Option<String> = "resolution" (none),
}

/// How a projected field's value is written as YAML (at the top of a ticket
/// file, in an `edited` event) and read back from an `edited` event, which
/// a hand may have written: a number or a boolean reads as its text, a
/// list drops what is not text, and `null` clears what can be empty.
trait FieldYaml: Sized {
    fn to_yaml(&self) -> Value;
    /// `None`: the value has the wrong shape.
    fn from_yaml(value: &Value) -> Option<Self>;
}

impl FieldYaml for String {
    fn to_yaml(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_yaml(value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl FieldYaml for Option<String> {
    fn to_yaml(&self) -> Value {
        self.as_ref().map_or(Value::Null, String::to_yaml)
    }
    fn from_yaml(value: &Value) -> Option<Option<String>> {
        match value {
            Value::Null => Some(None),
            _ => String::from_yaml(value).map(Some),
        }
    }
}

impl FieldYaml for Vec<String> {
    fn to_yaml(&self) -> Value {
        Value::Sequence(self.iter().map(String::to_yaml).collect())
    }
    fn from_yaml(value: &Value) -> Option<Vec<String>> {
        match value {
            Value::Sequence(items) => Some(items.iter().filter_map(String::from_yaml).collect()),
            Value::Null => Some(Vec::new()),
            _ => None,
        }
    }
}

impl FieldYaml for Status {
    fn to_yaml(&self) -> Value {
        Value::String(self.key().to_string())
    }
    fn from_yaml(value: &Value) -> Option<Status> {
        Status::from_key(&String::from_yaml(value)?)
    }
}

impl FieldYaml for Timestamp {
    fn to_yaml(&self) -> Value {
        Value::String(self.to_rfc3339())
    }
    fn from_yaml(value: &Value) -> Option<Timestamp> {
        Timestamp::parse(&String::from_yaml(value)?)
    }
}

/// A projected field whose value in the file differs from `fold(history)`:
/// usually a hand edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub field: &'static str,
    pub folded: Value,
    pub in_file: Value,
}

impl Ticket {
    /// Builds a ticket from its history alone.
    pub fn from_history(id: String, history: Vec<Event>) -> Result<Ticket, FoldError> {
        let state = fold(&history)?;
        Ok(Ticket::of_state(id, state, history))
    }

    /// Recomputes the projected fields from the history.
    pub fn refold(&mut self) -> Result<(), FoldError> {
        let state = fold(&self.history)?;
        self.set_state(state);
        Ok(())
    }

    /// Fields whose value in the file disagrees with `fold(history)`.
    pub fn drift(&self) -> Result<Vec<Drift>, FoldError> {
        let folded = fold(&self.history)?;
        let in_file = self.state();
        Ok(FIELDS
            .iter()
            .filter_map(|&field| {
                let f = folded.get(field)?;
                let v = in_file.get(field)?;
                (f != v).then_some(Drift {
                    field,
                    folded: f,
                    in_file: v,
                })
            })
            .collect())
    }

    /// Turns hand edits of projected fields into `edited` events, so that the
    /// history explains them and no one's change is silently dropped.
    /// Returns how many events were added.
    pub fn adopt_drift(&mut self, at: Timestamp, by: &str) -> Result<usize, FoldError> {
        let drift = self.drift()?;
        let at = self.last_at().map_or(at, |last| at.max(last));
        for d in &drift {
            self.history.push(Event::new(
                at,
                by,
                Edited {
                    field: d.field.to_string(),
                    from: Some(d.folded.clone()),
                    to: Some(d.in_file.clone()),
                    note: Some("recorded a change made to the file by hand".into()),
                    key: None,
                },
            ));
        }
        self.refold()?;
        Ok(drift.len())
    }

    pub fn last_at(&self) -> Option<Timestamp> {
        self.history.iter().map(|e| e.at).max()
    }

    /// The latest agent's reading of the customer's words (`assessed`),
    /// when it was made and what it says: it governs the texts up to it.
    pub fn latest_assessment(&self) -> Option<(Timestamp, super::Sentiment)> {
        self.history.iter().rev().find_map(|e| match &e.payload {
            super::Payload::Assessed(a) => Some((e.at, a.sentiment)),
            _ => None,
        })
    }

    /// The `closed` events of the current closure (the close that began it
    /// and those that amended it), with their compensations and follow-ups.
    pub fn closes_of_closure(&self) -> impl Iterator<Item = &Closed> {
        let start = Closure::start_of(&self.history);
        start
            .map_or(&[][..], |i| &self.history[i..])
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::Closed(close) => Some(close),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file's top-level keys in docs/format.md's order (this list is
    /// the format's promise, written out on purpose), the names an edit
    /// may change, and a way to and from YAML for every field that carries
    /// each value over to a ticket whose every field differs.
    #[test]
    fn the_declared_fields_are_the_files_keys_and_read_back_through_edits() {
        let at = |t: &str| Timestamp::parse(t).unwrap();
        let mut ticket = Ticket::create(
            "CW202610200001".into(),
            NewTicket::sample(),
            at("2026-10-20T10:00:00+08:00"),
            "alice",
        );
        ticket.set_state(State {
            title: "打印机卡纸".into(),
            customer: "C000002".into(),
            kind: "consultation".into(),
            category: Some("hardware".into()),
            tags: vec!["vip".into(), "回访".into()],
            channel: "email".into(),
            priority: "low".into(),
            status: Status::Pending,
            assignee: Some("li.na".into()),
            created: at("2026-10-21T09:30:00+08:00"),
            description: "纸盒".into(),
            expectation: Some("今天修好".into()),
            resolution: Some("换了滚轮".into()),
        });
        ticket.extra.insert("zz_custom".into(), Value::from(1));
        let Value::Mapping(file) = crate::yaml::to_value(&ticket).unwrap() else {
            panic!("a ticket is a mapping");
        };
        let keys: Vec<&str> = file.keys().filter_map(Value::as_str).collect();
        let format = [
            "id",
            "title",
            "customer",
            "type",
            "category",
            "tags",
            "channel",
            "priority",
            "status",
            "assignee",
            "created",
            "description",
            "expectation",
            "resolution",
        ];
        assert_eq!(keys[..format.len()], format);
        assert_eq!(keys[format.len()..], ["zz_custom", "history"]);
        assert_eq!(FIELDS, &format[1..]);
        let sample = State::created(&NewTicket::sample(), at("2026-10-20T10:00:00+08:00"));
        for field in FIELDS {
            let in_file = file.get(*field).unwrap();
            assert_eq!(ticket.state().get(field).as_ref(), Some(in_file), "{field}");
            assert_ne!(sample.get(field).as_ref(), Some(in_file), "{field} differs");
            let mut changed = sample.clone();
            assert!(changed.set(field, in_file), "{field}");
            assert_eq!(changed.get(field).as_ref(), Some(in_file), "{field}");
        }
        assert_eq!(ticket.state().get("id"), None);
    }
}
