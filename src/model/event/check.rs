//! What `desk check` finds wrong in an event, against its action's schema
//! (docs/format.md, "Events").

use std::collections::BTreeMap;

use super::{Action, Event, Payload, RULE_PREFIX};
use crate::clock::Timestamp;
use crate::model::Status;
use crate::yaml::Value;

/// The fields an action's event may carry besides `at`, `by` and `action`,
/// and which of them it must carry.
fn schema(action: &Action) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match action {
        Action::Created => (
            &[
                "title",
                "customer",
                "type",
                "category",
                "tags",
                "channel",
                "priority",
                "description",
                "expectation",
                "to",
            ],
            &["title", "customer", "type", "channel", "priority"],
        ),
        // `key`: the time rule's firing that made it (docs/automation.md).
        Action::Assigned => (&["to", "note", "key"], &["to"]),
        Action::Updated => (&["note", "status", "key"], &["note"]),
        Action::Closed => (&["resolution", "compensation", "followup"], &["resolution"]),
        Action::Reopened => (&["reason"], &["reason"]),
        Action::Edited => (&["field", "from", "to", "note", "key"], &["field"]),
        Action::Surveyed => (&["scores", "nps", "comment", "channel"], &["scores"]),
        Action::Queued => (
            &["to", "key", "via", "template", "command", "args"],
            &["key", "via"],
        ),
        Action::Notified => (&["to", "key", "via", "message_id"], &["key", "via"]),
        Action::DeliveryFailed => (
            &["to", "key", "via", "attempt", "error", "next_attempt"],
            &["key", "via", "attempt", "error"],
        ),
        Action::Fired => (&["key"], &["key"]),
        Action::Received => (
            &[
                "from",
                "note",
                "message_id",
                "subject",
                "in_reply_to",
                "references",
                "attachments",
            ],
            &["from", "message_id"],
        ),
        Action::Replied => (
            &[
                "to",
                "note",
                "message_id",
                "subject",
                "in_reply_to",
                "references",
                "attachments",
            ],
            &["to", "note", "message_id"],
        ),
        Action::Attached => (&["note", "attachments"], &["attachments"]),
        Action::Assessed => (&["note", "sentiment"], &["sentiment"]),
        // Written by a newer desk: its schema is not known here.
        Action::Other(_) => return None,
    })
}

impl Event {
    /// What is wrong with this event against its action's schema: missing
    /// or foreign fields and values out of their range. `is_dimension`
    /// tells the survey dimensions of desk.yaml. Actions this version does
    /// not know are accepted as they are, as are fields it does not know.
    pub fn problems(&self, is_dimension: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut problems = Vec::new();
        if !crate::clock::date_in_range(self.at.0.date_naive()) {
            problems.push(format!("`at` {}: {}", self.at, crate::clock::DATE_RANGE));
        }
        let action = self.action();
        let Some((allowed, required)) = schema(&action) else {
            return problems;
        };
        let name = action.as_str();
        if self.by.trim().is_empty() {
            problems.push("`by` is empty".to_string());
        } else if self.rule().is_some_and(|r| r.trim().is_empty()) {
            problems.push("`by` is `rule:` without the rule's name".to_string());
        }
        let present = self.present();
        for field in required.iter().filter(|f| !present.contains(f)) {
            problems.push(format!("`{name}` events need `{field}`"));
        }
        for field in present
            .iter()
            .filter(|f| super::FILE_ORDER.contains(f) && !allowed.contains(f))
        {
            problems.push(format!(
                "`{field}` does not belong in `{name}` events (they take {})",
                allowed.join(", ")
            ));
        }
        match &self.payload {
            Payload::Assigned(a) if a.to.trim().is_empty() => {
                problems.push("`to` must name an agent".to_string());
            }
            // An assignment to something that is not an agent's name.
            Payload::Other(_) if action == Action::Assigned && present.contains(&"to") => {
                problems.push("`to` must name an agent".to_string());
            }
            // A sentiment that is none of the readings.
            Payload::Other(_) if action == Action::Assessed && present.contains(&"sentiment") => {
                let names: Vec<&str> = crate::model::Sentiment::ALL
                    .iter()
                    .map(|s| s.name())
                    .collect();
                problems.push(format!("`sentiment` must be one of {}", names.join(", ")));
            }
            Payload::Updated(u) => {
                if let Some(s) = &u.status {
                    if !matches!(
                        Status::from_key(s),
                        Some(Status::Pending | Status::InProgress)
                    ) {
                        problems.push(format!(
                            "status '{s}' is not pending or in_progress (an `updated` event's statuses)"
                        ));
                    }
                }
            }
            Payload::Edited(e) if !crate::model::FIELDS.contains(&e.field.as_str()) => {
                problems.push(format!(
                    "field '{}' is not a ticket field ({})",
                    e.field,
                    crate::model::FIELDS.join(", ")
                ));
            }
            Payload::Fired(f) => {
                if !self.by.starts_with(RULE_PREFIX) {
                    problems.push(format!(
                        "a `fired` event is recorded by a rule (by: {RULE_PREFIX}NAME), not by '{}'",
                        self.by
                    ));
                }
                // RULE/TICKET/THRESHOLD/CYCLE-START, the cycle a time.
                let parts: Vec<&str> = f.key.split('/').collect();
                let shaped = parts.len() == 4
                    && parts[..3].iter().all(|p| !p.is_empty())
                    && Timestamp::parse(parts[3]).is_some();
                if !shaped {
                    problems.push(format!(
                        "key '{}' is not RULE/TICKET/THRESHOLD/CYCLE-START",
                        f.key
                    ));
                }
            }
            Payload::Other(_) if action == Action::Fired && !self.by.starts_with(RULE_PREFIX) => {
                problems.push(format!(
                    "a `fired` event is recorded by a rule (by: {RULE_PREFIX}NAME), not by '{}'",
                    self.by
                ));
            }
            Payload::Queued(q) => {
                // A `queued` event is a reference to its rule's action:
                // whether a rule of desk.yaml explains it is the store's
                // check (it needs the rules); `template`, `command` and
                // `args` of older events are kept and never used.
                let email = q.via.as_deref() == Some("email");
                if email && !present.contains(&"to") {
                    problems.push("an e-mail `queued` event needs `to`".to_string());
                }
                channel(&mut problems, q.via.as_deref());
            }
            Payload::Notified(n) => channel(&mut problems, n.via.as_deref()),
            Payload::DeliveryFailed(f) => {
                channel(&mut problems, f.via.as_deref());
                if let Some(0) = f.attempt {
                    problems.push("attempt 0: attempts count from 1".to_string());
                }
            }
            Payload::Surveyed(s) => survey(&mut problems, s, is_dimension),
            // A delivery without its key: its channel all the same.
            Payload::Other(_)
                if matches!(
                    action,
                    Action::Queued | Action::Notified | Action::DeliveryFailed
                ) =>
            {
                let via = self.extra.get("via").and_then(Value::as_str);
                if action == Action::Queued && via == Some("email") && !present.contains(&"to") {
                    problems.push("an e-mail `queued` event needs `to`".to_string());
                }
                channel(&mut problems, via);
            }
            _ => {}
        }
        problems
    }
}

/// A delivery's `via`: e-mail or a hook.
fn channel(problems: &mut Vec<String>, via: Option<&str>) {
    match via {
        None | Some("email" | "run") => {}
        Some(other) => problems.push(format!("via '{other}' is not a channel (email, run)")),
    }
}

fn survey(problems: &mut Vec<String>, s: &super::Surveyed, is_dimension: &dyn Fn(&str) -> bool) {
    if s.scores.as_ref().is_some_and(BTreeMap::is_empty) {
        problems.push("`scores` is empty".to_string());
    }
    for (dimension, score) in s.scores.iter().flatten() {
        if !is_dimension(dimension) {
            problems.push(format!(
                "score for '{dimension}', which is not a survey dimension in desk.yaml"
            ));
        }
        if !crate::model::survey::SCORES.contains(score) {
            problems.push(format!("score {dimension}: {score} is not from 1 to 5"));
        }
    }
    if let Some(nps) = s.nps.filter(|n| !crate::model::survey::NPS.contains(n)) {
        problems.push(format!("nps {nps} is not from 0 to 10"));
    }
}

/// The first event of a history that is earlier than the one before it, as
/// `desk check` reports it: events are appended in time order.
pub fn history_order_problem(history: &[Event]) -> Option<String> {
    let w = history.windows(2).position(|w| w[1].at < w[0].at)?;
    Some(format!(
        "history: event {} ({}) is earlier than the one before it",
        w + 2,
        history[w + 1].at
    ))
}

/// The problems of every event of a history, each prefixed with the event's
/// position (1-based) and action, as `desk check` reports them.
pub fn history_problems(history: &[Event], is_dimension: &dyn Fn(&str) -> bool) -> Vec<String> {
    history
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            e.problems(is_dimension)
                .into_iter()
                .map(move |p| format!("history: event {} ({}): {p}", i + 1, e.action_name()))
        })
        .collect()
}

/// Where the events of `after` that `before` lacks are: a history is only
/// ever added to, and an event dated in the past goes to its place in time,
/// so the old events keep their order and the rest are the new ones.
pub fn added_events(before: &[Event], after: &[Event]) -> Vec<usize> {
    let mut old = before.iter().peekable();
    after
        .iter()
        .enumerate()
        .filter(|(_, e)| old.next_if(|o| *o == *e).is_none())
        .map(|(i, _)| i)
        .collect()
}
