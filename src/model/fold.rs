use crate::yaml::Value;

use super::lifecycle::{Closure, Lifecycle, Step};
use super::{Action, Event, Payload, State};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoldError {
    #[error("history is empty")]
    Empty,
    #[error("the first event must be `created`, not `{0}`")]
    NotCreatedFirst(String),
    #[error("the `created` event lacks `{0}`")]
    MissingField(&'static str),
}

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
