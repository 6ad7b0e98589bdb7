use crate::yaml::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::Status;
use crate::clock::Timestamp;

/// What an event did. Actions written by a newer desk are kept as `Other`
/// and ignored by `fold`, so their files survive a rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
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
    Other(String),
}

impl Action {
    pub fn as_str(&self) -> &str {
        match self {
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
            Action::Other(s) => s,
        }
    }
}

impl From<String> for Action {
    fn from(s: String) -> Self {
        match s.as_str() {
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
            _ => Action::Other(s),
        }
    }
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        a.as_str().to_string()
    }
}

/// One entry of a ticket's `history`. Which optional fields are set depends
/// on the action (see docs/format.md); the order here is the order in files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub by: String,
    pub action: Action,

    // `created`: the initial values of the ticket's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation: Option<String>,

    // `edited`: which field changed, from what to what. `assigned` uses `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,

    // `updated`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,

    // `closed`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followup: Option<String>,

    // `reopened`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,

    // `surveyed`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<BTreeMap<String, u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,

    // `queued`, `notified`, `delivery_failed` (docs/automation.md): the
    // delivery's key, channel, template or command; `to` lists recipients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,

    /// Fields this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Event {
    /// An event with only the three common fields set.
    pub fn new(at: Timestamp, by: &str, action: Action) -> Self {
        Event {
            at,
            by: by.to_string(),
            action,
            title: None,
            customer: None,
            kind: None,
            category: None,
            tags: None,
            channel: None,
            priority: None,
            description: None,
            expectation: None,
            field: None,
            from: None,
            to: None,
            status: None,
            note: None,
            resolution: None,
            compensation: None,
            followup: None,
            reason: None,
            scores: None,
            nps: None,
            comment: None,
            key: None,
            via: None,
            template: None,
            command: None,
            args: None,
            attempt: None,
            error: None,
            next_attempt: None,
            message_id: None,
            extra: BTreeMap::new(),
        }
    }

    /// The `to` field as text (the assignee of an `assigned` event).
    pub fn to_text(&self) -> Option<&str> {
        self.to.as_ref().and_then(Value::as_str)
    }

    /// The rule that recorded this event (`by: rule:NAME`), if a rule did.
    pub fn rule(&self) -> Option<&str> {
        self.by.strip_prefix(RULE_PREFIX)
    }

    /// Whether this is progress on the ticket as its SLA clocks count it:
    /// an `updated` event, unless a rule wrote it (a rule's note tells the
    /// team something; it is no response to the customer).
    pub fn is_progress(&self) -> bool {
        self.action == Action::Updated && self.rule().is_none()
    }
}

/// Events recorded by an automation rule have `by: rule:NAME`.
pub const RULE_PREFIX: &str = "rule:";

/// A person who records events by hand (`--actor`, `DESK_ACTOR`): never a
/// name that reads as a rule's.
pub fn check_actor(name: &str) -> crate::error::Result<()> {
    if name.trim_start().starts_with(RULE_PREFIX) {
        return Err(crate::error::Error::invalid(
            "--actor",
            name,
            format!("an actor is a person; '{RULE_PREFIX}' marks the events rules record"),
        ));
    }
    Ok(())
}

/// The fields an action's event may carry besides `at`, `by` and `action`,
/// and which of them it must carry (docs/format.md, "Events").
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
        // Written by a newer desk: its schema is not known here.
        Action::Other(_) => return None,
    })
}

impl Event {
    /// The known optional fields this event carries, by their name in files.
    fn present(&self) -> Vec<&'static str> {
        let fields = [
            ("title", self.title.is_some()),
            ("customer", self.customer.is_some()),
            ("type", self.kind.is_some()),
            ("category", self.category.is_some()),
            ("tags", self.tags.is_some()),
            ("channel", self.channel.is_some()),
            ("priority", self.priority.is_some()),
            ("description", self.description.is_some()),
            ("expectation", self.expectation.is_some()),
            ("field", self.field.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("status", self.status.is_some()),
            ("note", self.note.is_some()),
            ("resolution", self.resolution.is_some()),
            ("compensation", self.compensation.is_some()),
            ("followup", self.followup.is_some()),
            ("reason", self.reason.is_some()),
            ("scores", self.scores.is_some()),
            ("nps", self.nps.is_some()),
            ("comment", self.comment.is_some()),
            ("key", self.key.is_some()),
            ("via", self.via.is_some()),
            ("template", self.template.is_some()),
            ("command", self.command.is_some()),
            ("args", self.args.is_some()),
            ("attempt", self.attempt.is_some()),
            ("error", self.error.is_some()),
            ("next_attempt", self.next_attempt.is_some()),
            ("message_id", self.message_id.is_some()),
        ];
        fields.into_iter().filter(|f| f.1).map(|f| f.0).collect()
    }

    /// What is wrong with this event against its action's schema: missing
    /// or foreign fields and values out of their range. `is_dimension`
    /// tells the survey dimensions of desk.yaml. Actions this version does
    /// not know are accepted as they are, as are fields it does not know.
    pub fn problems(&self, is_dimension: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut problems = Vec::new();
        if !crate::clock::date_in_range(self.at.0.date_naive()) {
            problems.push(format!("`at` {}: {}", self.at, crate::clock::DATE_RANGE));
        }
        let Some((allowed, required)) = schema(&self.action) else {
            return problems;
        };
        let action = self.action.as_str();
        if self.by.trim().is_empty() {
            problems.push("`by` is empty".to_string());
        } else if self.rule().is_some_and(|r| r.trim().is_empty()) {
            problems.push("`by` is `rule:` without the rule's name".to_string());
        }
        let present = self.present();
        for field in required.iter().filter(|f| !present.contains(f)) {
            problems.push(format!("`{action}` events need `{field}`"));
        }
        for field in present.iter().filter(|f| !allowed.contains(f)) {
            problems.push(format!(
                "`{field}` does not belong in `{action}` events (they take {})",
                allowed.join(", ")
            ));
        }
        let text = |v: &Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
        match self.action {
            Action::Assigned if self.to.as_ref().is_some_and(|to| !text(to)) => {
                problems.push("`to` must name an agent".to_string());
            }
            Action::Updated => {
                if let Some(s) = &self.status {
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
            Action::Edited => {
                if let Some(f) = &self.field {
                    if !super::fold::FIELDS.contains(&f.as_str()) {
                        problems.push(format!(
                            "field '{f}' is not a ticket field ({})",
                            super::fold::FIELDS.join(", ")
                        ));
                    }
                }
            }
            Action::Fired => {
                if !self.by.starts_with(RULE_PREFIX) {
                    problems.push(format!(
                        "a `fired` event is recorded by a rule (by: {RULE_PREFIX}NAME), not by '{}'",
                        self.by
                    ));
                }
                // RULE/TICKET/THRESHOLD/CYCLE-START, the cycle a time.
                let parts: Vec<&str> = self.key.as_deref().unwrap_or_default().split('/').collect();
                let shaped = parts.len() == 4
                    && parts[..3].iter().all(|p| !p.is_empty())
                    && Timestamp::parse(parts[3]).is_some();
                if self.key.is_some() && !shaped {
                    problems.push(format!(
                        "key '{}' is not RULE/TICKET/THRESHOLD/CYCLE-START",
                        self.key.as_deref().unwrap_or_default()
                    ));
                }
            }
            Action::Queued | Action::Notified | Action::DeliveryFailed => {
                // A `queued` event is a reference to its rule's action:
                // whether a rule of desk.yaml explains it is the store's
                // check (it needs the rules); `template`, `command` and
                // `args` of older events are kept and never used.
                match self.via.as_deref() {
                    None => {}
                    Some("email") if self.action == Action::Queued && self.to.is_none() => {
                        problems.push("an e-mail `queued` event needs `to`".to_string())
                    }
                    Some("email" | "run") => {}
                    Some(other) => {
                        problems.push(format!("via '{other}' is not a channel (email, run)"))
                    }
                }
                if let Some(0) = self.attempt {
                    problems.push("attempt 0: attempts count from 1".to_string());
                }
            }
            Action::Surveyed => {
                let scores = self.scores.iter().flatten();
                if self.scores.as_ref().is_some_and(BTreeMap::is_empty) {
                    problems.push("`scores` is empty".to_string());
                }
                for (dimension, score) in scores {
                    if !is_dimension(dimension) {
                        problems.push(format!(
                            "score for '{dimension}', which is not a survey dimension in desk.yaml"
                        ));
                    }
                    if !super::survey::SCORES.contains(score) {
                        problems.push(format!("score {dimension}: {score} is not from 1 to 5"));
                    }
                }
                if let Some(nps) = self.nps.filter(|n| !super::survey::NPS.contains(n)) {
                    problems.push(format!("nps {nps} is not from 0 to 10"));
                }
            }
            _ => {}
        }
        problems
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
                .map(move |p| format!("history: event {} ({}): {p}", i + 1, e.action.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(yaml: &str) -> Event {
        let head = "at: 2026-11-23T09:00:00+08:00\nby: li.na\n";
        crate::yaml::from_str(&format!("{head}{yaml}")).unwrap()
    }

    fn problems(yaml: &str) -> Vec<String> {
        event(yaml).problems(&|d| ["efficiency", "attitude"].contains(&d))
    }

    #[test]
    fn a_fired_event_is_a_rule_s_with_a_whole_key() {
        let key = "key: r/CW202611230001/no_progress_for-1d/2026-11-23T09:00:00+08:00\n";
        let by_rule = |yaml: &str| {
            let e: Event = crate::yaml::from_str(&format!(
                "at: 2026-11-23T09:00:00+08:00\nby: rule:r\n{yaml}"
            ))
            .unwrap();
            e.problems(&|_| false)
        };
        assert!(by_rule(&format!("action: fired\n{key}")).is_empty());
        assert!(problems(&format!("action: fired\n{key}"))[0].contains("recorded by a rule"));
        assert!(by_rule("action: fired\nkey: not a key at all\n")[0]
            .contains("is not RULE/TICKET/THRESHOLD/CYCLE-START"));
        assert!(by_rule("action: fired\nkey: r/CW1/x/yesterday\n")[0].contains("is not RULE/"));
        assert!(
            by_rule("action: fired\n")[0].contains("need `key`"),
            "{:?}",
            by_rule("action: fired\n")
        );
    }

    #[test]
    fn events_are_checked_against_their_action() {
        assert!(problems("action: updated\nstatus: exploded\nnote: x\n")[0]
            .contains("status 'exploded' is not pending or in_progress"));
        assert_eq!(
            problems("action: assigned\nnote: x\n"),
            ["`assigned` events need `to`"]
        );
        assert!(problems("action: assigned\nto: ''\n")[0].contains("must name an agent"));
        assert!(problems("action: assigned\nto: wang\nstatus: pending\n")[0]
            .contains("`status` does not belong in `assigned` events"));
        assert!(problems("action: closed\n")[0].contains("need `resolution`"));
        // What a rule records is clean; a rule without its name is not.
        let mut by_rule = event("action: assigned\nto: chen.jing\n");
        by_rule.by = "rule:complaints-to-supervisor".into();
        assert!(by_rule.problems(&|_| true).is_empty());
        by_rule.by = "rule: ".into();
        assert_eq!(
            by_rule.problems(&|_| true),
            ["`by` is `rule:` without the rule's name"]
        );
        assert!(problems("action: reopened\n")[0].contains("need `reason`"));
        assert!(problems("action: edited\nfield: colour\nto: red\n")[0]
            .contains("'colour' is not a ticket field"));
        let survey = problems("action: surveyed\nscores: {efficiency: 6, taste: 3}\nnps: 11\n");
        assert_eq!(survey.len(), 3, "{survey:?}");
        assert!(problems("action: created\ntitle: t\n")[0].contains("need `customer`"));
        let early: Event =
            crate::yaml::from_str("at: 0001-01-01T00:00:00+00:00\nby: li.na\naction: escalated\n")
                .unwrap();
        assert!(early.problems(&|_| true)[0].contains("1970-01-01 to 9999-12-31"));
        // What desk itself writes is clean.
        for good in [
            "action: created\ntitle: t\ncustomer: C1\ntype: complaint\nchannel: phone\npriority: urgent\nto: wang\n",
            "action: assigned\nto: wang\nnote: yours\n",
            "action: updated\nnote: waiting\nstatus: pending\n",
            "action: updated\nnote: just a note\n",
            "action: closed\nresolution: fixed\ncompensation: a coupon\nfollowup: call back\n",
            "action: reopened\nreason: still broken\n",
            "action: edited\nfield: category\nfrom: null\nto: logistics\nnote: n\n",
            "action: surveyed\nscores: {efficiency: 5}\nnps: 10\ncomment: ok\nchannel: phone\n",
            // A newer desk's action, and a newer desk's field, are kept.
            "action: escalated\nstatus: whatever\nlevel: 2\n",
            "action: updated\nnote: x\nvisibility: internal\n",
        ] {
            assert_eq!(problems(good), Vec::<String>::new(), "{good}");
        }
    }

    #[test]
    fn deliveries_are_checked_against_their_channel() {
        assert_eq!(
            problems("action: queued\nkey: k\nvia: fax\n"),
            ["via 'fax' is not a channel (email, run)"]
        );
        assert_eq!(
            problems("action: queued\nkey: k\nvia: email\ntemplate: t\n"),
            ["an e-mail `queued` event needs `to`"]
        );
        assert_eq!(
            problems("action: delivery_failed\nkey: k\nvia: run\nattempt: 0\nerror: x\n"),
            ["attempt 0: attempts count from 1"]
        );
        for good in [
            "action: queued\nto: [li.na, customer]\nkey: k\nvia: email\ntemplate: t\n",
            "action: queued\nkey: k\nvia: run\ncommand: hooks/x.sh\nargs: [a]\n",
            // As desk writes them now: a reference to the rule's action.
            "action: queued\nto: [li.na]\nkey: k\nvia: email\n",
            "action: queued\nkey: k\nvia: run\n",
            "action: notified\nto: [li.na]\nkey: k\nvia: email\nmessage_id: x@desk\n",
            "action: delivery_failed\nkey: k\nvia: run\nattempt: 2\nerror: x\nnext_attempt: 2026-11-23T09:05:00+08:00\n",
        ] {
            assert_eq!(problems(good), Vec::<String>::new(), "{good}");
        }
    }

    #[test]
    fn history_order_problem_names_the_first_earlier_event() {
        let at = |t: &str| format!("at: {t}\nby: li.na\naction: updated\nnote: x\n");
        let history: Vec<Event> = [
            "2026-11-23T09:00:00+08:00",
            "2026-11-23T10:00:00+08:00",
            "2026-11-23T09:30:00+08:00",
            "2026-11-23T08:00:00+08:00",
        ]
        .iter()
        .map(|t| crate::yaml::from_str(&at(t)).unwrap())
        .collect();
        assert_eq!(history_order_problem(&history[..2]), None);
        let found = history_order_problem(&history).unwrap();
        assert!(found.starts_with("history: event 3 (2026-11-23"), "{found}");
        assert!(
            found.ends_with("is earlier than the one before it"),
            "{found}"
        );
    }

    #[test]
    fn history_problems_name_the_event() {
        let history = [
            event("action: created\ntitle: t\ncustomer: C1\ntype: complaint\nchannel: phone\npriority: urgent\n"),
            event("action: updated\nstatus: exploded\nnote: x\n"),
        ];
        let found = history_problems(&history, &|_| true);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("history: event 2 (updated): status 'exploded'"),
            "{}",
            found[0]
        );
    }
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

#[cfg(test)]
mod added_tests {
    use super::*;

    #[test]
    fn new_events_are_found_wherever_they_were_placed() {
        let at = |h: u32| Timestamp::parse(&format!("2026-11-24T{h:02}:00:00+08:00")).unwrap();
        let e = |h: u32, by: &str| Event::new(at(h), by, Action::Updated);
        let before = vec![e(9, "a"), e(15, "a")];
        let after = vec![e(9, "a"), e(12, "b"), e(15, "a"), e(15, "rule:x")];
        assert_eq!(added_events(&before, &after), [1, 3]);
        assert_eq!(added_events(&before, &before), Vec::<usize>::new());
        assert_eq!(added_events(&[], &before), [0, 1]);
        // The same event twice: the second is the new one.
        let twice = vec![e(9, "a"), e(9, "a"), e(15, "a")];
        assert_eq!(added_events(&before, &twice), [1]);
    }
}
