//! The lifecycle rules: each operation checks that the ticket's state allows
//! it, appends the event that explains the change, and refolds. Pure: the
//! caller supplies time and actor and does the I/O.

use crate::yaml::Value;

/// The statuses `desk update --status` sets (the rest have their commands).
pub const UPDATE_STATUSES: &str =
    "`desk update --status` takes pending (待客户回复) or in_progress (处理中); use `desk close` to close";

use super::{
    fold::fold, Action, Assigned, Closed, Closure, Edited, Event, NewTicket, Payload, Reopened,
    State, Status, Surveyed, Ticket, Updated, FIELDS,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};

#[cfg(test)]
impl NewTicket {
    /// An urgent complaint by phone from customer C000001, unassigned: what
    /// tests start from and vary.
    pub fn sample() -> NewTicket {
        NewTicket {
            title: "无法开机".into(),
            customer: "C000001".into(),
            kind: "complaint".into(),
            category: None,
            tags: vec![],
            channel: "phone".into(),
            priority: "urgent".into(),
            description: String::new(),
            expectation: None,
            assignee: None,
        }
    }
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
        let new = NewTicket {
            tags: super::ticket_input::unique_tags(new.tags),
            ..new
        };
        Ticket::from_history(id, vec![Event::new(at, by, new)])
            .expect("a created event with every field folds")
    }

    /// Records an event in time order: after every event at or before its
    /// time, so the history stays sorted (the merge driver relies on it) and
    /// events of one time keep the order they were recorded in. An event
    /// may go before later ones ("a call logged after the fact") only where
    /// it cannot contradict them; see [`may_go_before_later_events`].
    fn append(&mut self, event: Event) -> Result<()> {
        super::in_clear::refuse_in_event(&event)?;
        let slot = self.slot(event.at)?;
        if slot < self.history.len() && !may_go_before_later_events(&event) {
            let last = self.last_at().expect("a later event exists");
            return Err(Error::Refused(format!(
                "{}: {} cannot be backdated before the ticket's last event {}; only notes, \
                 changes between pending and in_progress, satisfied surveys and assessments of \
                 sentiment can be logged before later events",
                self.id,
                what_event(&event.action()),
                last.short()
            )));
        }
        self.history.insert(slot, event);
        self.refold()
            .map_err(|e| Error::Refused(format!("{}: {e}", self.id)))
    }

    /// Where an event at `at` goes in the history; refused before the
    /// ticket's creation, and before later events when the history is not
    /// in time order (a hand edit `desk check` reports).
    fn slot(&self, at: Timestamp) -> Result<usize> {
        if at < self.created {
            return Err(Error::Refused(format!(
                "{}: {} is before the ticket was created ({})",
                self.id,
                at.short(),
                self.created.short()
            )));
        }
        let slot = self.history.partition_point(|e| e.at <= at);
        if slot < self.history.len() && !self.history.is_sorted_by_key(|e| e.at) {
            return Err(Error::Refused(format!(
                "{}: its history is not in time order, so nothing can be logged before its \
                 last event; run `desk check`",
                self.id
            )));
        }
        Ok(slot)
    }

    /// The ticket as it stood at `at`, after every event at or before it:
    /// what an event logged at `at` is checked against. With the close that
    /// began the closure it was in then, if it was closed.
    fn as_of(&self, at: Timestamp) -> Result<(State, Option<Timestamp>)> {
        let then = &self.history[..self.slot(at)?];
        let state = fold(then).map_err(|e| Error::Refused(format!("{}: {e}", self.id)))?;
        let closed_since = Closure::start_of(then).map(|i| then[i].at);
        Ok((state, closed_since))
    }

    fn refuse_if_closed(&self, what: &str, at: Timestamp) -> Result<State> {
        let (then, closed_since) = self.as_of(at)?;
        match closed_since {
            Some(since) if at < self.last_at().unwrap_or(at) => Err(Error::Refused(format!(
                "cannot {what} {} at {}: it was closed then (since {})",
                self.id,
                at.short(),
                since.short()
            ))),
            Some(_) => Err(Error::Refused(format!(
                "cannot {what} {}: it is closed (reopen it first with `desk reopen {} --reason ...`)",
                self.id, self.id
            ))),
            None => Ok(then),
        }
    }

    pub fn assign(
        &mut self,
        to: &str,
        note: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        let then = self.refuse_if_closed("assign", at)?;
        if then.assignee.as_deref() == Some(to) {
            return Err(Error::Refused(format!(
                "{} is already assigned to {to}",
                self.id
            )));
        }
        let assigned = Assigned {
            to: to.to_string(),
            note,
            key: None,
        };
        self.append(Event::new(at, by, assigned))
    }

    pub fn update(
        &mut self,
        note: String,
        status: Option<Status>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        if let Some(s) = status {
            if !matches!(s, Status::Pending | Status::InProgress) {
                return Err(Error::invalid("status", s.key(), UPDATE_STATUSES));
            }
            self.refuse_if_closed("change the status of", at)?;
        } else {
            // A note alone (a follow-up call after the close, 回访) is
            // recorded on a closed ticket too; it stays closed.
            self.as_of(at)?;
        }
        let updated = Updated {
            status: status.map(|s| s.key().to_string()),
            note: Some(note),
            key: None,
        };
        self.append(Event::new(at, by, updated))
    }

    pub fn close(
        &mut self,
        resolution: String,
        compensation: Option<String>,
        followup: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        if self.as_of(at)?.0.status == Status::Closed {
            return Err(Error::Refused(format!("{} is already closed", self.id)));
        }
        let closed = Closed {
            resolution: Some(resolution),
            compensation,
            followup,
        };
        self.append(Event::new(at, by, closed))
    }

    /// Records a customer's mail (`desk mail-in`): a ticket waiting on the
    /// customer is in progress again (a closed one is reopened, or not, by
    /// the caller first).
    pub fn receive(&mut self, mail: super::Received, at: Timestamp, by: &str) -> Result<()> {
        self.append(Event::new(at, by, mail))
    }

    /// Records an answer mailed to the customer (`desk reply`), judged as
    /// every event is: no card number, no secret key.
    pub fn answer(&mut self, replied: super::Replied, at: Timestamp, by: &str) -> Result<()> {
        self.append(Event::new(at, by, replied))
    }

    /// Records files kept with the ticket by hand (`desk attach`).
    pub fn attach(&mut self, attached: super::Attached, at: Timestamp, by: &str) -> Result<()> {
        self.append(Event::new(at, by, attached))
    }

    /// Records how an agent reads the customer's words so far (`desk
    /// sentiment`), whatever the ticket's status.
    pub fn assess(
        &mut self,
        sentiment: super::Sentiment,
        note: Option<String>,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        self.append(Event::new(at, by, super::Assessed { sentiment, note }))
    }

    pub fn reopen(&mut self, reason: String, at: Timestamp, by: &str) -> Result<()> {
        let status = self.as_of(at)?.0.status;
        if status != Status::Closed {
            return Err(Error::Refused(format!(
                "cannot reopen {}: it is {status}, not closed",
                self.id
            )));
        }
        let reopened = Reopened {
            reason: Some(reason),
        };
        self.append(Event::new(at, by, reopened))
    }

    /// The events of the closure that `at` falls in (from the close that
    /// began it to the next reopen, later events included), or None when the
    /// ticket was not closed at `at`.
    fn closure_at(&self, at: Timestamp) -> Result<Option<&[Event]>> {
        let slot = self.slot(at)?;
        let Some(start) = Closure::start_of(&self.history[..slot]) else {
            return Ok(None);
        };
        let end = self.history[slot..]
            .iter()
            .position(|e| matches!(e.payload, Payload::Reopened(_)))
            .map_or(self.history.len(), |i| slot + i);
        Ok(Some(&self.history[start..end]))
    }

    /// Records a survey on a closed ticket. When `unsatisfied`, the ticket is
    /// reopened by the same call with the survey as the reason (the assignee
    /// keeps it). One survey per closure. A satisfied survey may be logged
    /// after the fact, before later events (a note of the same call-back):
    /// it goes into the closure its time falls in.
    pub fn survey(
        &mut self,
        survey: Survey,
        unsatisfied: bool,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        let Some(closure) = self.closure_at(at)? else {
            return Err(Error::Refused(format!(
                "cannot survey {}: it is {}; surveys are taken after the close",
                self.id,
                self.as_of(at)?.0.status
            )));
        };
        if let Some(done) = closure
            .iter()
            .find(|e| matches!(e.payload, Payload::Surveyed(_)))
        {
            return Err(Error::Refused(format!(
                "{} was already surveyed for this closure (at {}); a new survey needs a new closure",
                self.id, done.at
            )));
        }
        if let Some(last) = self.last_at().filter(|last| unsatisfied && at < *last) {
            return Err(Error::Refused(format!(
                "{}: an unsatisfied survey reopens the ticket, and a reopen cannot go before \
                 the ticket's last event {}; record the survey at that time or later (--at)",
                self.id,
                last.short()
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
        let surveyed = Surveyed {
            channel: survey.channel,
            scores: Some(survey.scores),
            nps: survey.nps,
            comment: survey.comment,
        };
        self.append(Event::new(at, by, surveyed))?;
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
            let mut edit = edit;
            if let ("tags", Value::Sequence(tags)) = (edit.field.as_str(), &edit.value) {
                edit.value = Value::Sequence(unique_values(tags));
            }
            let from = self.state().get(&edit.field).unwrap_or(Value::Null);
            if from == edit.value {
                continue;
            }
            let edited = Edited {
                field: edit.field,
                from: Some(from),
                to: Some(edit.value),
                note: note.clone(),
                key: None,
            };
            self.append(Event::new(at, by, edited))?;
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

/// A tags value with each tag once ([`super::ticket_input::unique_tags`]);
/// anything that is not text is kept as it is, for the fold to judge.
fn unique_values(tags: &[Value]) -> Vec<Value> {
    let mut unique: Vec<Value> = Vec::with_capacity(tags.len());
    for tag in tags {
        let seen = |v: &Value| match (v, tag) {
            (Value::String(a), Value::String(b)) => super::ticket_input::same_tag(a, b),
            _ => false,
        };
        if !unique.iter().any(seen) {
            unique.push(tag.clone());
        }
    }
    unique
}

/// Whether an event may be logged before events already recorded after
/// its time. A note, a satisfied survey or an assessment changes nothing, and a change
/// between pending and in_progress (checked against the ticket as it stood
/// then, so never inside a closure) leaves the ticket open, which is all
/// that later events depend on. A close or reopen would change whether
/// later events happened on a closed ticket; an assignment, whom a later reopen returns
/// the ticket to; an edit, the `from` of a later edit. Those are refused.
fn may_go_before_later_events(event: &Event) -> bool {
    match &event.payload {
        Payload::Updated(u) => u.status.as_deref().is_none_or(|s| {
            matches!(
                Status::from_key(s),
                Some(Status::Pending | Status::InProgress)
            )
        }),
        // Checked against the closure it falls in; only a satisfied survey
        // gets here, and it changes no field.
        Payload::Surveyed(_) => true,
        // A reading of the words before it: no field, no status.
        Payload::Assessed(_) => true,
        _ => false,
    }
}

/// An event's action as a message names it.
fn what_event(action: &Action) -> String {
    match action {
        Action::Created => "a creation".into(),
        Action::Assigned => "an assignment".into(),
        Action::Updated => "an update".into(),
        Action::Closed => "a close".into(),
        Action::Reopened => "a reopen".into(),
        Action::Edited => "an edit".into(),
        Action::Surveyed => "a survey".into(),
        Action::Queued => "a queued notification".into(),
        Action::Notified => "a notification".into(),
        Action::DeliveryFailed => "a failed delivery".into(),
        Action::Fired => "a time rule's firing".into(),
        Action::Received => "a received e-mail".into(),
        Action::Replied => "a reply to the customer".into(),
        Action::Attached => "files attached".into(),
        Action::Assessed => "an assessment of sentiment".into(),
        Action::Other(a) => format!("a `{a}` event"),
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
                description: "The product does not power on".into(),
                expectation: Some("solve within 24 hours".into()),
                ..NewTicket::sample()
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
            .update(
                "n".into(),
                Some(Status::InProgress),
                t("2026-11-23T09:30:00+08:00"),
                "a"
            )
            .is_err());
        assert!(ticket
            .assign("b", None, t("2026-11-23T09:30:00+08:00"), "a")
            .is_err());
        assert!(ticket
            .reopen("early".into(), t("2026-11-23T09:19:00+08:00"), "a")
            .is_err());
        assert_eq!(ticket, before);
    }

    fn note(ticket: &mut Ticket, text: &str, status: Option<Status>, at: &str) -> Result<()> {
        ticket.update(text.into(), status, t(at), "a")
    }

    fn notes(ticket: &Ticket) -> Vec<&str> {
        ticket
            .history
            .iter()
            .filter_map(|e| e.payload.note())
            .collect()
    }

    #[test]
    fn notes_and_open_statuses_are_logged_after_the_fact_in_time_order() {
        let mut ticket = sample();
        note(&mut ticket, "b", None, "2026-11-23T10:30:00+08:00").unwrap();
        note(
            &mut ticket,
            "a",
            Some(Status::Pending),
            "2026-11-23T09:45:00+08:00",
        )
        .unwrap();
        // Equal times keep the order they were logged in.
        note(&mut ticket, "b2", None, "2026-11-23T10:30:00+08:00").unwrap();
        note(
            &mut ticket,
            "a2",
            Some(Status::InProgress),
            "2026-11-23T09:45:00+08:00",
        )
        .unwrap();
        assert_eq!(notes(&ticket), ["a", "a2", "b", "b2"]);
        assert!(ticket.history.is_sorted_by_key(|e| e.at));
        assert_eq!(ticket.status, Status::InProgress);
        assert_eq!(ticket.state(), fold(&ticket.history).unwrap());
        // Not before the ticket existed.
        let before = ticket.clone();
        let err = note(&mut ticket, "x", None, "2026-11-23T08:59:00+08:00").unwrap_err();
        assert!(
            err.to_string()
                .contains("2026-11-23 08:59 is before the ticket was created (2026-11-23 09:00)"),
            "{err}"
        );
        assert_eq!(ticket, before);
    }

    #[test]
    fn what_later_events_depend_on_cannot_be_backdated() {
        let mut ticket = sample();
        note(&mut ticket, "b", None, "2026-11-23T10:30:00+08:00").unwrap();
        let before = ticket.clone();
        let at = t("2026-11-23T10:00:00+08:00");
        let refusals = [
            ticket
                .clone()
                .close("done".into(), None, None, at, "a")
                .unwrap_err(),
            ticket.clone().assign("b", None, at, "a").unwrap_err(),
            ticket
                .clone()
                .edit(
                    vec![Edit {
                        field: "priority".into(),
                        value: Value::String("normal".into()),
                    }],
                    None,
                    at,
                    "a",
                )
                .unwrap_err(),
        ];
        for (err, what) in refusals.iter().zip(["a close", "an assignment", "an edit"]) {
            assert!(
                err.to_string().contains(&format!(
                    "{what} cannot be backdated before the ticket's last event 2026-11-23 10:30"
                )),
                "{err}"
            );
        }
        assert_eq!(ticket, before);
        // The same at the time of the last event or later is fine.
        ticket
            .close(
                "done".into(),
                None,
                None,
                t("2026-11-23T10:30:00+08:00"),
                "a",
            )
            .unwrap();
        // A note after the close keeps the ticket closed; a reopen cannot
        // go before it, nor a status change into the closure.
        note(&mut ticket, "回访", None, "2026-11-23T12:00:00+08:00").unwrap();
        assert_eq!(ticket.status, Status::Closed);
        assert_eq!(ticket.resolution.as_deref(), Some("done"));
        let err = ticket
            .clone()
            .reopen("no".into(), t("2026-11-23T11:00:00+08:00"), "a")
            .unwrap_err();
        assert!(
            err.to_string().contains("a reopen cannot be backdated"),
            "{err}"
        );
        let err = note(
            &mut ticket,
            "x",
            Some(Status::Pending),
            "2026-11-23T11:00:00+08:00",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains(
                "cannot change the status of CW202611230001 at 2026-11-23 11:00: it was closed then (since 2026-11-23 10:30)"
            ),
            "{err}"
        );
        // Before the close it is open, so a status change is fine there.
        note(
            &mut ticket,
            "waiting",
            Some(Status::Pending),
            "2026-11-23T10:10:00+08:00",
        )
        .unwrap();
        assert_eq!(ticket.status, Status::Closed);
        assert!(ticket.history.is_sorted_by_key(|e| e.at));
    }

    #[test]
    fn a_satisfied_survey_goes_into_the_closure_its_time_falls_in() {
        let mut ticket = sample();
        let survey = || Survey {
            scores: [("attitude".to_string(), 5)].into(),
            nps: None,
            comment: None,
            channel: None,
        };
        let at = |s: &str| t(&format!("2026-11-23T{s}:00+08:00"));
        ticket
            .close("a".into(), None, None, at("10:00"), "a")
            .unwrap();
        ticket.reopen("b".into(), at("11:00"), "a").unwrap();
        ticket
            .close("c".into(), None, None, at("12:00"), "a")
            .unwrap();
        note(&mut ticket, "回访", None, "2026-11-23T13:00:00+08:00").unwrap();
        // Not while it was open, nor unsatisfied before later events.
        assert!(ticket
            .clone()
            .survey(survey(), false, at("11:30"), "a")
            .is_err());
        let err = ticket
            .clone()
            .survey(survey(), true, at("12:30"), "a")
            .unwrap_err();
        assert!(
            err.to_string().contains("an unsatisfied survey reopens"),
            "{err}"
        );
        // Into the first closure, then the second; one each.
        ticket.survey(survey(), false, at("10:30"), "a").unwrap();
        assert!(ticket
            .clone()
            .survey(survey(), false, at("10:45"), "a")
            .is_err());
        ticket.survey(survey(), false, at("12:30"), "a").unwrap();
        assert!(ticket
            .clone()
            .survey(survey(), false, at("13:30"), "a")
            .is_err());
        let actions: Vec<&str> = ticket.history.iter().map(|e| e.action_name()).collect();
        assert_eq!(
            actions,
            ["created", "closed", "surveyed", "reopened", "closed", "surveyed", "updated"]
        );
        assert_eq!(ticket.status, Status::Closed);
    }

    #[test]
    fn a_history_out_of_time_order_takes_nothing_before_its_last_event() {
        let mut ticket = sample();
        note(&mut ticket, "b", None, "2026-11-23T10:30:00+08:00").unwrap();
        note(&mut ticket, "c", None, "2026-11-23T11:00:00+08:00").unwrap();
        ticket.history.swap(1, 2);
        let err = note(&mut ticket, "a", None, "2026-11-23T10:00:00+08:00").unwrap_err();
        assert!(err.to_string().contains("not in time order"), "{err}");
        note(&mut ticket, "d", None, "2026-11-23T11:00:00+08:00").unwrap();
    }

    proptest::proptest! {
        /// Notes and open statuses logged at any times keep the history
        /// in time order, each time's events in the order they were logged,
        /// and the fields equal to a fold of the history.
        #[test]
        fn backdated_updates_keep_the_history_sorted(
            steps in proptest::collection::vec((0i64..120, 0u8..3), 1..25),
        ) {
            let mut ticket = sample();
            for (k, (minute, kind)) in steps.iter().enumerate() {
                let at = Timestamp(ticket.created.0 + chrono::Duration::minutes(*minute));
                let status = [None, Some(Status::Pending), Some(Status::InProgress)][*kind as usize];
                ticket.update(format!("{minute}:{k}"), status, at, "a").unwrap();
            }
            proptest::prop_assert!(ticket.history.is_sorted_by_key(|e| e.at));
            let logged: Vec<(i64, usize)> = notes(&ticket)
                .iter()
                .map(|n| {
                    let (m, k) = n.split_once(':').unwrap();
                    (m.parse().unwrap(), k.parse().unwrap())
                })
                .collect();
            proptest::prop_assert!(logged.is_sorted());
            proptest::prop_assert_eq!(ticket.state(), fold(&ticket.history).unwrap());
        }
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
            ticket.history.last().unwrap().field("from"),
            Some(Value::String("urgent".into()))
        );
    }
}
