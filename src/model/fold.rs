use crate::yaml::Value;

use super::lifecycle::{Closure, Lifecycle, Step};
use super::{Action, Event, NewTicket, Payload, Status};
use crate::clock::Timestamp;

/// The projected fields of a ticket: everything `fold(history)` computes.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub title: String,
    pub customer: String,
    pub kind: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub channel: String,
    pub priority: String,
    pub status: Status,
    pub assignee: Option<String>,
    pub created: Timestamp,
    pub description: String,
    pub expectation: Option<String>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoldError {
    #[error("history is empty")]
    Empty,
    #[error("the first event must be `created`, not `{0}`")]
    NotCreatedFirst(String),
    #[error("the `created` event lacks `{0}`")]
    MissingField(&'static str),
}

/// The fields an `edited` event may change, in file order.
pub const FIELDS: [&str; 13] = [
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

/// Replays a history into the ticket's current fields. Pure: the same
/// history always gives the same state, whoever runs it.
///
/// Unknown actions and `edited` events for unknown fields change nothing.
pub fn fold(history: &[Event]) -> Result<State, FoldError> {
    let first = history.first().ok_or(FoldError::Empty)?;
    let Payload::Created(created) = &first.payload else {
        return Err(match first.action() {
            // Read as `Other` because it lacks one of these.
            Action::Created => FoldError::MissingField(
                ["title", "customer", "type", "channel", "priority"]
                    .into_iter()
                    .find(|f| first.extra.get(*f).is_none_or(|v| !v.is_string()))
                    .unwrap_or("title"),
            ),
            _ => FoldError::NotCreatedFirst(first.action_name().to_string()),
        });
    };
    let mut state = State::created(&created.ticket, first.at);
    state.status = Lifecycle::default().after(&Step::of(first)).status;
    let mut closure = Closure::default();
    for event in &history[1..] {
        match &event.payload {
            Payload::Closed(close) if closure.is_open() => {
                // Whatever the other clone did in between, the ticket is closed.
                state.amend_resolution(close.resolution.as_deref());
            }
            _ => state.apply(event),
        }
        // The status follows the one set of transitions, with the assignee
        // as the fields now have it.
        let life = Lifecycle {
            status: state.status,
            assigned: state.assignee.is_some(),
        };
        state.status = life.after(&Step::of(event)).status;
        closure.step(event);
    }
    Ok(state)
}

impl State {
    /// A ticket as created, before the status its lifecycle gives it.
    fn created(new: &NewTicket, at: Timestamp) -> State {
        // Taken apart whole: a field added to the ticket's initial fields
        // must find its place in the state.
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
        } = new.clone();
        State {
            title,
            customer,
            kind,
            category,
            tags,
            channel,
            priority,
            status: Status::Open,
            assignee,
            created: at,
            description,
            expectation,
            resolution: None,
        }
    }

    /// The fields an event changes, but the status (see [`Lifecycle`]).
    fn apply(&mut self, event: &Event) {
        match &event.payload {
            Payload::Assigned(a) => self.assignee = Some(a.to.clone()),
            Payload::Closed(c) => self.resolution = c.resolution.clone(),
            Payload::Reopened(_) => self.resolution = None,
            // No `to`: the field was cleared.
            Payload::Edited(e) => {
                self.set(&e.field, e.to.as_ref().unwrap_or(&Value::Null));
            }
            Payload::Created(_)
            | Payload::Updated(_)
            | Payload::Surveyed(_)
            | Payload::Queued(_)
            | Payload::Notified(_)
            | Payload::DeliveryFailed(_)
            | Payload::Fired(_)
            | Payload::Received(_)
            | Payload::Replied(_)
            | Payload::Attached(_)
            | Payload::Assessed(_)
            | Payload::Other(_) => {}
        }
    }

    /// A close within a closure: its resolution is added on a new line,
    /// unless the resolution already says it.
    fn amend_resolution(&mut self, more: Option<&str>) {
        let Some(more) = more.filter(|m| !m.trim().is_empty()) else {
            return;
        };
        self.resolution = Some(match self.resolution.take() {
            Some(r) if r.lines().any(|l| l == more) || r == more => r,
            Some(r) if !r.is_empty() => format!("{r}\n{more}"),
            _ => more.to_string(),
        });
    }

    /// A field's value as YAML, as written at the top of a ticket file.
    pub fn get(&self, field: &str) -> Option<Value> {
        let text = |s: &str| Value::String(s.to_string());
        let opt = |s: &Option<String>| s.as_deref().map(text).unwrap_or(Value::Null);
        Some(match field {
            "title" => text(&self.title),
            "customer" => text(&self.customer),
            "type" => text(&self.kind),
            "category" => opt(&self.category),
            "tags" => Value::Sequence(self.tags.iter().map(|t| text(t)).collect()),
            "channel" => text(&self.channel),
            "priority" => text(&self.priority),
            "status" => text(self.status.key()),
            "assignee" => opt(&self.assignee),
            "created" => text(&self.created.to_rfc3339()),
            "description" => text(&self.description),
            "expectation" => opt(&self.expectation),
            "resolution" => opt(&self.resolution),
            _ => return None,
        })
    }

    /// Sets a field from a YAML value; returns false when the field is
    /// unknown or the value has the wrong shape (then nothing changes).
    pub fn set(&mut self, field: &str, value: &Value) -> bool {
        let text = || value_text(value);
        let opt = || match value {
            Value::Null => Some(None),
            _ => value_text(value).map(Some),
        };
        match field {
            "title" => text().map(|v| self.title = v).is_some(),
            "customer" => text().map(|v| self.customer = v).is_some(),
            "type" => text().map(|v| self.kind = v).is_some(),
            "category" => opt().map(|v| self.category = v).is_some(),
            "tags" => match value {
                Value::Sequence(items) => {
                    self.tags = items.iter().filter_map(value_text).collect();
                    true
                }
                Value::Null => {
                    self.tags.clear();
                    true
                }
                _ => false,
            },
            "channel" => text().map(|v| self.channel = v).is_some(),
            "priority" => text().map(|v| self.priority = v).is_some(),
            "status" => match text().as_deref().and_then(Status::from_key) {
                Some(s) => {
                    self.status = s;
                    true
                }
                None => false,
            },
            "assignee" => opt().map(|v| self.assignee = v).is_some(),
            "created" => match text().as_deref().and_then(Timestamp::parse) {
                Some(t) => {
                    self.created = t;
                    true
                }
                None => false,
            },
            "description" => text().map(|v| self.description = v).is_some(),
            "expectation" => opt().map(|v| self.expectation = v).is_some(),
            "resolution" => opt().map(|v| self.resolution = v).is_some(),
            _ => false,
        }
    }
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A field's value on one line, as messages show it: nothing as `(none)`,
/// text as it is (in quotes when `quote_text`), anything else as YAML.
pub fn inline_value(v: Option<&Value>, quote_text: bool) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) if quote_text => format!("'{s}'"),
        Some(Value::String(s)) => s.clone(),
        // A list on one line, as YAML's flow style writes it: `[a, b]`.
        Some(Value::Sequence(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| inline_value(Some(i), quote_text))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(other) => crate::yaml::one_line(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_values_fit_one_line() {
        let list: Value = crate::yaml::from_str("[touched, 'VIP 客户']").unwrap();
        assert_eq!(inline_value(Some(&list), false), "[touched, VIP 客户]");
        assert_eq!(inline_value(Some(&list), true), "['touched', 'VIP 客户']");
        assert_eq!(inline_value(Some(&Value::Sequence(vec![])), false), "[]");
        assert_eq!(inline_value(None, false), "(none)");
        assert_eq!(inline_value(Some(&Value::from(3)), false), "3");
    }
}
