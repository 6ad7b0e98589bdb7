//! What the report needs of one ticket, computed once from its history.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use compact_str::CompactString;

use crate::model::{Lifecycle, Status, Step, Summary};
use crate::sla::{replay, Calendar, ClockState, Policy, Span, TargetKind};

#[derive(Debug, Clone)]
pub struct SurveyFact {
    pub date: NaiveDate,
    pub scores: Scores,
    pub nps: Option<u8>,
}

/// A survey's score by dimension, in the dimensions' name order (the last
/// score of a dimension given twice counts). A few inline names, no map: a
/// report over a year of a large store holds hundreds of thousands.
#[derive(Debug, Clone, Default)]
pub struct Scores(Box<[(CompactString, u8)]>);

impl Scores {
    pub fn get(&self, dimension: &str) -> Option<&u8> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(dimension))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn values(&self) -> impl Iterator<Item = &u8> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> FromIterator<(&'a str, u8)> for Scores {
    fn from_iter<T: IntoIterator<Item = (&'a str, u8)>>(given: T) -> Scores {
        let by_name: BTreeMap<&str, u8> = given.into_iter().collect();
        Scores(by_name.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl SurveyFact {
    /// The surveys of a ticket, each on its local date.
    pub fn all_of(ticket: &Summary, tz: Tz) -> Vec<SurveyFact> {
        ticket
            .marks
            .iter()
            .filter_map(|m| match &m.what {
                Step::Surveyed { scores, nps } => Some(SurveyFact {
                    date: m.at.0.with_timezone(&tz).date_naive(),
                    scores: scores.iter().map(|(k, v)| (k.as_ref(), *v)).collect(),
                    nps: *nps,
                }),
                _ => None,
            })
            .collect()
    }
}

/// What a report keeps of the tickets that only its trend reaches (nothing
/// of theirs falls in the period or the one before): their surveys, for
/// the satisfaction trend, and their assignees, listed in `agents` as for
/// every ticket the report reads. A ticket's full facts would cost a
/// hundred times the memory, for a year of tickets.
#[derive(Debug, Default)]
pub struct Earlier {
    pub surveys: Vec<SurveyFact>,
    pub assignees: std::collections::BTreeSet<CompactString>,
}

impl Earlier {
    pub fn add(&mut self, ticket: &Summary, tz: Tz) {
        self.surveys.extend(SurveyFact::all_of(ticket, tz));
        if let Some(a) = &ticket.assignee {
            if !self.assignees.contains(a) {
                self.assignees.insert(a.clone());
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Facts {
    pub id: CompactString,
    /// The title, the team's one-line summary (the report's themes).
    pub title: CompactString,
    pub kind: CompactString,
    pub category: Option<CompactString>,
    pub channel: CompactString,
    pub priority: CompactString,
    pub assignee: Option<CompactString>,
    pub customer: CompactString,
    pub created: DateTime<Utc>,
    pub created_date: NaiveDate,
    /// The final close and its local date, if the ticket is closed now.
    pub closed: Option<(DateTime<Utc>, NaiveDate)>,
    pub first_response: Option<Span>,
    pub resolution: Option<Span>,
    /// State of each target the ticket's priority has, once finished.
    pub targets: Vec<(TargetKind, ClockState)>,
    pub reopened: usize,
    pub surveys: Vec<SurveyFact>,
    /// The local dates the customer's mail was received on.
    pub received: Vec<NaiveDate>,
    /// (time, closed?) each time the ticket closed or opened again (by the
    /// lifecycle's transitions), for the status at any instant.
    pub transitions: Vec<(DateTime<Utc>, bool)>,
}

impl Facts {
    pub fn of(
        ticket: &Summary,
        policy: &Policy,
        calendar: &Calendar,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Facts {
        let utc = |t: &crate::clock::Timestamp| t.0.with_timezone(&Utc);
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
        let clocks = replay(&ticket.marks, &ticket.priority, policy, calendar, now);
        let created = utc(&ticket.created);
        let closed = ticket.closed_at().map(|t| (utc(&t), local(utc(&t))));
        let surveys = SurveyFact::all_of(ticket, tz);
        let received = ticket
            .marks
            .iter()
            .filter(|m| matches!(m.what, Step::Received))
            .map(|m| local(utc(&m.at)))
            .collect();
        let mut transitions = Vec::new();
        let mut life = Lifecycle::default();
        for m in &ticket.marks {
            let was_closed = life.status == Status::Closed;
            life = life.after(&m.what);
            let closed = life.status == Status::Closed;
            if closed != was_closed {
                transitions.push((utc(&m.at), closed));
            }
        }
        Facts {
            id: ticket.id.clone(),
            title: ticket.title.clone(),
            kind: ticket.kind.clone(),
            category: ticket.category.clone(),
            channel: ticket.channel.clone(),
            priority: ticket.priority.clone(),
            assignee: ticket.assignee.clone(),
            customer: ticket.customer.clone(),
            created,
            created_date: local(created),
            closed,
            first_response: clocks.first_response,
            resolution: clocks.resolution,
            targets: clocks.clocks.iter().map(|c| (c.kind, c.state)).collect(),
            reopened: ticket.times_reopened(),
            surveys,
            received,
            transitions,
        }
    }

    /// The facts of every summary, on all cores, in the same order.
    pub fn of_all(
        summaries: &[Summary],
        policy: &Policy,
        calendar: &Calendar,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Vec<Facts> {
        crate::parallel::map(summaries, |t| Facts::of(t, policy, calendar, tz, now))
    }

    /// Open (created and not closed) at the instant `t`.
    pub fn open_at(&self, t: DateTime<Utc>) -> bool {
        self.created <= t
            && !self
                .transitions
                .iter()
                .rev()
                .find(|(at, _)| *at <= t)
                .is_some_and(|(_, closed)| *closed)
    }

    /// Every target met (no target counts as met).
    pub fn sla_met(&self) -> bool {
        self.targets.iter().all(|(_, s)| *s != ClockState::Breached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::model::{Edited, Event, NewTicket, Ticket};

    #[test]
    fn open_at_an_instant_follows_the_status_transitions() {
        let t0 = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let at = |h: i64| Timestamp(t0.0 + chrono::Duration::hours(h));
        let mut t = Ticket::create("CW202611020001".into(), NewTicket::sample(), t0, "li.na");
        // A hand edit closed the ticket, recorded as an `edited` event.
        let edit = Edited {
            field: "status".into(),
            from: Some("open".into()),
            to: Some("closed".into()),
            note: None,
            key: None,
        };
        t.history.push(Event::new(at(2), "li.na", edit));
        t.refold().unwrap();
        t.reopen("again".into(), at(4), "li.na").unwrap();
        let (policy, calendar) = crate::sla::seed();
        let facts = Facts::of(
            &Summary::of(&t),
            &policy,
            &calendar,
            chrono_tz::Asia::Shanghai,
            at(5).0.with_timezone(&Utc),
        );
        let open = |h| facts.open_at(at(h).0.with_timezone(&Utc));
        assert!(open(1));
        assert!(!open(3), "closed by the edit, as the fold says");
        assert!(open(5));
    }
}
