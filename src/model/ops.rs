//! The lifecycle rules: each operation checks that the ticket's state allows
//! it, appends the event that explains the change, and refolds. Pure: the
//! caller supplies time and actor and does the I/O.

use serde_yaml::Value;

use super::{fold::FIELDS, Action, Closure, Event, Status, Ticket, Timestamp};
use crate::error::{Error, Result};

/// The fields of a new ticket, already validated and canonical.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub title: String,
    pub customer: String,
    pub kind: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub channel: String,
    pub priority: String,
    pub description: String,
    pub expectation: Option<String>,
    pub assignee: Option<String>,
}

/// A satisfaction survey answer, validated by the caller.
#[derive(Debug, Clone)]
pub struct Survey {
    pub scores: std::collections::BTreeMap<String, u8>,
    pub nps: Option<u8>,
    pub comment: Option<String>,
    pub channel: Option<String>,
}

/// One field change requested by `desk edit`.
#[derive(Debug, Clone)]
pub struct Edit {
    pub field: String,
    pub value: Value,
}

/// What ends a line somewhere: line feed, carriage return (which overwrites
/// the line on a terminal), vertical tab, form feed, NEL, line and paragraph
/// separators.
const LINE_BREAKS: [char; 7] = [
    '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// Whether a value is one line: no character of [`LINE_BREAKS`].
pub fn is_one_line(s: &str) -> bool {
    !s.contains(LINE_BREAKS)
}

/// The one rule for titles: one line.
pub fn check_title(title: &str) -> Result<()> {
    if !is_one_line(title) {
        return Err(Error::invalid(
            "title",
            title,
            "a title is one line; put details in the description",
        ));
    }
    Ok(())
}

impl Ticket {
    pub fn create(id: String, new: NewTicket, at: Timestamp, by: &str) -> Ticket {
        let mut event = Event::new(at, by, Action::Created);
        event.title = Some(new.title);
        event.customer = Some(new.customer);
        event.kind = Some(new.kind);
        event.category = new.category;
        event.tags = (!new.tags.is_empty()).then_some(new.tags);
        event.channel = Some(new.channel);
        event.priority = Some(new.priority);
        event.description = Some(new.description);
        event.expectation = new.expectation;
        event.to = new.assignee.map(Value::String);
        Ticket::from_history(id, vec![event]).expect("a created event with every field folds")
    }

    fn append(&mut self, event: Event) -> Result<()> {
        if let Some(last) = self.last_at() {
            if event.at < last {
                return Err(Error::Refused(format!(
                    "{}: the time {} is earlier than the ticket's last event ({}); events are recorded in order",
                    self.id, event.at, last
                )));
            }
        }
        self.history.push(event);
        self.refold()
            .map_err(|e| Error::Refused(format!("{}: {e}", self.id)))
    }

    fn refuse_if_closed(&self, what: &str) -> Result<()> {
        if self.status == Status::Closed {
            return Err(Error::Refused(format!(
                "cannot {what} {}: it is closed (reopen it first with `desk reopen {} --reason ...`)",
                self.id, self.id
            )));
        }
        Ok(())
    }

    pub fn assign(
        &mut self,
        to: &str,
        note: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        self.refuse_if_closed("assign")?;
        if self.assignee.as_deref() == Some(to) {
            return Err(Error::Refused(format!(
                "{} is already assigned to {to}",
                self.id
            )));
        }
        let mut event = Event::new(at, by, Action::Assigned);
        event.to = Some(Value::String(to.to_string()));
        event.note = note;
        self.append(event)
    }

    pub fn update(
        &mut self,
        note: String,
        status: Option<Status>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        self.refuse_if_closed("update")?;
        if let Some(s) = status {
            if !matches!(s, Status::Pending | Status::InProgress) {
                return Err(Error::invalid(
                    "status",
                    s.key(),
                    "`desk update --status` takes pending or in_progress; use `desk close` to close",
                ));
            }
        }
        let mut event = Event::new(at, by, Action::Updated);
        event.note = Some(note);
        event.status = status.map(|s| s.key().to_string());
        self.append(event)
    }

    pub fn close(
        &mut self,
        resolution: String,
        compensation: Option<String>,
        followup: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        if self.status == Status::Closed {
            return Err(Error::Refused(format!("{} is already closed", self.id)));
        }
        let mut event = Event::new(at, by, Action::Closed);
        event.resolution = Some(resolution);
        event.compensation = compensation;
        event.followup = followup;
        self.append(event)
    }

    pub fn reopen(&mut self, reason: String, at: Timestamp, by: &str) -> Result<()> {
        if self.status != Status::Closed {
            return Err(Error::Refused(format!(
                "cannot reopen {}: it is {}, not closed",
                self.id, self.status
            )));
        }
        let mut event = Event::new(at, by, Action::Reopened);
        event.reason = Some(reason);
        self.append(event)
    }

    /// The survey of the current closure, if one was recorded.
    pub fn survey_of_last_close(&self) -> Option<&Event> {
        let close = Closure::start_of(self.history.iter().map(|e| &e.action))?;
        self.history[close..]
            .iter()
            .find(|e| e.action == Action::Surveyed)
    }

    /// Records a survey on a closed ticket. When `unsatisfied`, the ticket is
    /// reopened by the same call with the survey as the reason (the assignee
    /// keeps it). One survey per closure.
    pub fn survey(
        &mut self,
        survey: Survey,
        unsatisfied: bool,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        if self.status != Status::Closed {
            return Err(Error::Refused(format!(
                "cannot survey {}: it is {}; surveys are taken after the close",
                self.id, self.status
            )));
        }
        if let Some(done) = self.survey_of_last_close() {
            return Err(Error::Refused(format!(
                "{} was already surveyed for this closure (at {}); a new survey needs a new closure",
                self.id, done.at
            )));
        }
        let reason = unsatisfied.then(|| {
            let low: Vec<String> = survey
                .scores
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            match &survey.comment {
                Some(c) => format!("unsatisfied at the survey ({}): {c}", low.join(", ")),
                None => format!("unsatisfied at the survey ({})", low.join(", ")),
            }
        });
        let mut event = Event::new(at, by, Action::Surveyed);
        event.scores = Some(survey.scores);
        event.nps = survey.nps;
        event.comment = survey.comment;
        event.channel = survey.channel;
        self.append(event)?;
        if let Some(reason) = reason {
            self.reopen(reason, at, by)?;
        }
        Ok(())
    }

    /// Applies field edits, one `edited` event each. Fields with their own
    /// command (status, assignee, resolution, created) are refused here.
    pub fn edit(
        &mut self,
        edits: Vec<Edit>,
        note: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        let mut changed = 0;
        for edit in edits {
            if !FIELDS.contains(&edit.field.as_str())
                || matches!(
                    edit.field.as_str(),
                    "status" | "assignee" | "resolution" | "created"
                )
            {
                return Err(Error::invalid(
                    "field",
                    &edit.field,
                    "editable fields are title, customer, type, category, tags, channel, priority, description, expectation (status, assignee and resolution change through update/assign/close/reopen)",
                ));
            }
            if let ("title", Value::String(title)) = (edit.field.as_str(), &edit.value) {
                check_title(title)?;
            }
            let from = self.state().get(&edit.field).unwrap_or(Value::Null);
            if from == edit.value {
                continue;
            }
            let mut event = Event::new(at, by, Action::Edited);
            event.field = Some(edit.field);
            event.from = Some(from);
            event.to = Some(edit.value);
            event.note = note.clone();
            self.append(event)?;
            changed += 1;
        }
        if changed == 0 {
            return Err(Error::Refused(format!(
                "nothing to change: {} already has those values",
                self.id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fold;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn sample() -> Ticket {
        Ticket::create(
            "CW202611230001".into(),
            NewTicket {
                title: "设备无法开机".into(),
                customer: "C000001".into(),
                kind: "complaint".into(),
                category: None,
                tags: vec![],
                channel: "phone".into(),
                priority: "urgent".into(),
                description: "The product does not power on".into(),
                expectation: Some("solve within 24 hours".into()),
                assignee: None,
            },
            t("2026-11-23T09:00:00+08:00"),
            "li.na",
        )
    }

    #[test]
    fn whole_lifecycle_folds_to_the_fields() {
        let mut ticket = sample();
        assert_eq!(ticket.status, Status::Open);
        ticket
            .assign("wang.wei", None, t("2026-11-23T09:10:00+08:00"), "li.na")
            .unwrap();
        assert_eq!(ticket.status, Status::InProgress);
        assert_eq!(ticket.assignee.as_deref(), Some("wang.wei"));
        ticket
            .update(
                "asked for the serial number".into(),
                Some(Status::Pending),
                t("2026-11-23T10:00:00+08:00"),
                "wang.wei",
            )
            .unwrap();
        assert_eq!(ticket.status, Status::Pending);
        ticket
            .close(
                "replaced the part, tested OK".into(),
                Some("one month free".into()),
                None,
                t("2026-11-23T12:00:00+08:00"),
                "wang.wei",
            )
            .unwrap();
        assert_eq!(ticket.status, Status::Closed);
        assert_eq!(
            ticket.resolution.as_deref(),
            Some("replaced the part, tested OK")
        );
        ticket
            .reopen(
                "still broken".into(),
                t("2026-11-24T09:00:00+08:00"),
                "li.na",
            )
            .unwrap();
        assert_eq!(ticket.status, Status::InProgress);
        assert_eq!(ticket.resolution, None);
        assert_eq!(ticket.history.len(), 5);
        // The projection is exactly what a fresh fold of the history gives.
        assert_eq!(ticket.state(), fold(&ticket.history).unwrap());
    }

    #[test]
    fn refuses_invalid_transitions_and_out_of_order_events() {
        let mut ticket = sample();
        assert!(ticket
            .reopen("x".into(), t("2026-11-23T09:10:00+08:00"), "a")
            .is_err());
        ticket
            .close(
                "done".into(),
                None,
                None,
                t("2026-11-23T09:20:00+08:00"),
                "a",
            )
            .unwrap();
        let before = ticket.clone();
        assert!(ticket
            .close(
                "again".into(),
                None,
                None,
                t("2026-11-23T09:30:00+08:00"),
                "a"
            )
            .is_err());
        assert!(ticket
            .update("n".into(), None, t("2026-11-23T09:30:00+08:00"), "a")
            .is_err());
        assert!(ticket
            .assign("b", None, t("2026-11-23T09:30:00+08:00"), "a")
            .is_err());
        assert!(ticket
            .reopen("early".into(), t("2026-11-23T09:19:00+08:00"), "a")
            .is_err());
        assert_eq!(ticket, before);
    }

    #[test]
    fn hand_edits_become_edited_events() {
        let mut ticket = sample();
        ticket.priority = "normal".into();
        ticket.title = "Device dead".into();
        let drift = ticket.drift().unwrap();
        assert_eq!(drift.len(), 2);
        assert_eq!(
            ticket
                .adopt_drift(t("2026-11-23T10:00:00+08:00"), "zhang")
                .unwrap(),
            2
        );
        assert_eq!(ticket.priority, "normal");
        assert_eq!(ticket.title, "Device dead");
        assert!(ticket.drift().unwrap().is_empty());
        assert_eq!(ticket.history.len(), 3);
    }

    #[test]
    fn titles_are_one_line() {
        for bad in ["a\nb", "a\rb", "a\u{2028}b", "a\u{85}b"] {
            assert!(check_title(bad).is_err(), "{bad:?}");
            let edit = Edit {
                field: "title".into(),
                value: Value::String(bad.into()),
            };
            let mut ticket = sample();
            assert!(ticket
                .edit(vec![edit], None, t("2026-11-23T09:10:00+08:00"), "li.na")
                .is_err());
            assert_eq!(ticket.history.len(), 1);
        }
        assert!(check_title("设备无法开机 \u{1b}[2J, tabs\tare shown escaped").is_ok());
    }

    #[test]
    fn edit_refuses_no_ops_and_lifecycle_fields() {
        let mut ticket = sample();
        let at = t("2026-11-23T10:00:00+08:00");
        let same = Edit {
            field: "priority".into(),
            value: Value::String("urgent".into()),
        };
        assert!(ticket.edit(vec![same], None, at, "a").is_err());
        let status = Edit {
            field: "status".into(),
            value: Value::String("closed".into()),
        };
        assert!(ticket.edit(vec![status], None, at, "a").is_err());
        let prio = Edit {
            field: "priority".into(),
            value: Value::String("normal".into()),
        };
        ticket.edit(vec![prio], None, at, "a").unwrap();
        assert_eq!(ticket.priority, "normal");
        assert_eq!(
            ticket.history.last().unwrap().from,
            Some(Value::String("urgent".into()))
        );
    }
}
