//! A ticket as the reading commands need it: the projected fields and its
//! history as lifecycle steps (times, transitions, survey scores), without
//! descriptions, notes or unknown fields. A few hundred bytes instead of a few
//! kilobytes, so a store of 100,000 tickets fits in memory comfortably, and
//! compact enough to cache (see `store::cache`).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::lifecycle::{Closure, Mark, Step};
use super::{Status, Ticket};
use crate::clock::Timestamp;

/// Cached with postcard, which is not self-describing: any change to this
/// struct, `Mark` or `Step` must change `MAGIC` in `store/cache.rs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    // Short strings are stored inline (up to 24 bytes), which keeps a large
    // store's summaries to a few hundred bytes each with few allocations.
    pub id: CompactString,
    pub title: CompactString,
    pub customer: CompactString,
    pub kind: CompactString,
    pub category: Option<CompactString>,
    pub tags: Vec<CompactString>,
    pub channel: CompactString,
    pub priority: CompactString,
    pub status: Status,
    pub assignee: Option<CompactString>,
    #[serde(with = "compact_time")]
    pub created: Timestamp,
    pub marks: Vec<Mark>,
    /// Rules' deliveries `desk run` still has to make (pending or retrying):
    /// it reads only the tickets that have some.
    pub open_deliveries: u32,
    /// Deliveries given up, which `desk outbox` lists.
    pub failed_deliveries: u32,
    /// When the first open delivery is due, in seconds since 1970 (UTC):
    /// `desk run` reads no ticket whose retries all wait.
    pub next_delivery: Option<i64>,
    /// The keys of the time rules' firings (`fired` events): `desk run`
    /// fires a key at most once, without reading the ticket.
    pub fired: Vec<CompactString>,
}

impl Summary {
    /// Whether a delivery of the ticket is due at `now`.
    pub fn delivery_due(&self, now: Timestamp) -> bool {
        self.next_delivery.is_some_and(|t| t <= now.0.timestamp())
    }

    pub fn of(t: &Ticket) -> Summary {
        let marks = Mark::of_history(&t.history);
        let compact = |s: &String| CompactString::from(s.as_str());
        let (open_deliveries, failed_deliveries) = super::outbox::counts(&t.history);
        Summary {
            id: compact(&t.id),
            title: compact(&t.title),
            customer: compact(&t.customer),
            kind: compact(&t.kind),
            category: t.category.as_ref().map(compact),
            tags: t.tags.iter().map(compact).collect(),
            channel: compact(&t.channel),
            priority: compact(&t.priority),
            status: t.status,
            assignee: t.assignee.as_ref().map(compact),
            created: t.created,
            marks,
            open_deliveries,
            failed_deliveries,
            next_delivery: super::outbox::next_due(&t.history).map(|t| t.0.timestamp()),
            fired: t
                .history
                .iter()
                .filter_map(|e| match &e.payload {
                    super::Payload::Fired(f) => Some(CompactString::from(f.key.as_str())),
                    _ => None,
                })
                .collect(),
        }
    }

    pub fn last_at(&self) -> Option<Timestamp> {
        self.marks.iter().map(|m| m.at).max()
    }

    /// The time the ticket was last closed, if it is closed now.
    pub fn closed_at(&self) -> Option<Timestamp> {
        if self.status != Status::Closed {
            return None;
        }
        self.closure_start().map(|i| self.marks[i].at)
    }

    /// The mark of the close that began the current closure.
    fn closure_start(&self) -> Option<usize> {
        Closure::start_of(self.marks.iter().map(|m| &m.what))
    }

    /// True when the current closure has its survey.
    pub fn surveyed_since_last_close(&self) -> bool {
        let Some(close) = self.closure_start() else {
            return false;
        };
        self.marks[close..]
            .iter()
            .any(|m| matches!(m.what, Step::Surveyed { .. }))
    }

    pub fn times_reopened(&self) -> usize {
        self.marks
            .iter()
            .filter(|m| m.what == Step::Reopened)
            .count()
    }
}

/// Timestamps in the cache as (seconds since the epoch, UTC offset in
/// seconds): exact, and far cheaper to decode than RFC 3339 text.
pub(super) mod compact_time {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::clock::Timestamp;

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        (t.0.timestamp(), t.0.offset().local_minus_utc()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let (secs, offset) = <(i64, i32)>::deserialize(d)?;
        let offset = FixedOffset::east_opt(offset)
            .ok_or_else(|| serde::de::Error::custom("bad UTC offset"))?;
        let utc = DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| serde::de::Error::custom("bad time"))?;
        Ok(Timestamp(utc.with_timezone(&offset)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Closed, Event, Lifecycle, Mark, NewTicket, Survey, Updated};

    /// Hours after Monday 2026-11-02 09:00 (+08:00).
    fn at(h: i64) -> Timestamp {
        let t0 = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        Timestamp(t0.0 + chrono::Duration::hours(h))
    }

    /// A ticket created at hour 0, assigned to wang.qiang.
    fn assigned_ticket() -> Ticket {
        let new = NewTicket {
            assignee: Some("wang.qiang".into()),
            ..NewTicket::sample()
        };
        Ticket::create("CW202611020001".into(), new, at(0), "li.na")
    }

    #[test]
    fn the_steps_give_the_folds_status_and_survive_the_cache_encoding() {
        let mut t = assigned_ticket();
        t.update("waiting".into(), Some(Status::Pending), at(1), "wang.qiang")
            .unwrap();
        t.update("back".into(), Some(Status::InProgress), at(3), "wang.qiang")
            .unwrap();
        t.close("fixed".into(), None, None, at(5), "wang.qiang")
            .unwrap();
        let mut scores = std::collections::BTreeMap::new();
        scores.insert("efficiency".to_string(), 1u8);
        t.survey(
            Survey {
                scores,
                nps: Some(3),
                comment: None,
                channel: None,
            },
            true,
            at(6),
            "li.na",
        )
        .unwrap();
        let s = Summary::of(&t);
        let bytes = postcard::to_allocvec(&s).unwrap();
        let back: Summary = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.created.to_string(), "2026-11-02T09:00:00+08:00");
        assert_eq!(s.times_reopened(), 1);
        assert_eq!(s.status, Status::InProgress);
        assert!(s.closed_at().is_none());
        // After each event, the steps alone give the status the fold does.
        for n in 1..=t.history.len() {
            let folded = crate::model::fold(&t.history[..n]).unwrap();
            let steps = Lifecycle::replay(s.marks[..n].iter().map(|m| &m.what));
            assert_eq!(steps.status, folded.status, "after {n} events");
            assert_eq!(steps.assigned, folded.assignee.is_some());
        }
    }

    #[test]
    fn a_rules_status_update_is_no_response() {
        let mut t = assigned_ticket();
        let note = Updated {
            status: Some("in_progress".into()),
            note: Some("reminder".into()),
            key: None,
        };
        t.history.push(Event::new(at(30), "rule:wake", note));
        t.refold().unwrap();
        let (policy, calendar) = crate::sla::seed();
        let now = at(40).0.with_timezone(&chrono::Utc);
        // `desk sla` and the report replay the cached steps, `desk show`
        // the history: the two agree, and neither counts the rule's note.
        let cached =
            crate::sla::replay(&Summary::of(&t).marks, &t.priority, &policy, &calendar, now);
        let full = crate::sla::replay(
            &Mark::of_history(&t.history),
            &t.priority,
            &policy,
            &calendar,
            now,
        );
        assert_eq!(cached, full);
        assert_eq!(cached.first_response, None);
    }

    #[test]
    fn a_second_close_amends_the_closure_that_the_first_began() {
        let mut t = assigned_ticket();
        t.close("换电源".into(), None, None, at(1), "wang.qiang")
            .unwrap();
        // Two clones closed it, the second after working on it; a merge
        // puts both closes in the history.
        let working = Updated {
            status: Some("in_progress".into()),
            ..Updated::default()
        };
        let working = Event::new(at(1), "li.na", working);
        let second = Closed {
            resolution: Some("重置".into()),
            ..Closed::default()
        };
        let mut second = Event::new(at(2), "li.na", second);
        t.history.push(working);
        t.history.push(second.clone());
        t.refold().unwrap();
        assert_eq!(t.status, Status::Closed);
        assert_eq!(t.resolution.as_deref(), Some("换电源\n重置"));
        let s = Summary::of(&t);
        assert_eq!(s.closed_at(), Some(at(1)));
        let (policy, calendar) = crate::sla::seed();
        let now = at(5).0.with_timezone(&chrono::Utc);
        let clocks = crate::sla::replay(&s.marks, &s.priority, &policy, &calendar, now);
        assert_eq!(clocks.resolution.unwrap().wall_seconds, 3600);
        // A reopen ends the closure: the next close begins a new one.
        t.reopen("again".into(), at(3), "li.na").unwrap();
        second.at = at(4);
        t.history.push(second);
        t.refold().unwrap();
        assert_eq!(t.resolution.as_deref(), Some("重置"));
        assert_eq!(Summary::of(&t).closed_at(), Some(at(4)));
    }

    /// A rule's delivery is no activity on the ticket: dormancy, reports and
    /// clocks see none of it; the summary counts what is left to deliver.
    #[test]
    fn deliveries_are_counted_but_are_no_activity() {
        let t0 = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let mut t = Ticket::create("CW202611020001".into(), NewTicket::sample(), t0, "li.na");
        let key = || ("key", "r/CW202611020001/abc".into());
        let via = || ("via", "run".into());
        let queued = Event::from_fields(t0, "rule:r", "queued", vec![key(), via()]);
        t.history.push(queued);
        let s = Summary::of(&t);
        assert_eq!((s.open_deliveries, s.failed_deliveries), (1, 0));
        let later = Timestamp(t0.0 + chrono::Duration::days(40));
        let done = Event::from_fields(later, "rule:r", "notified", vec![key(), via()]);
        t.history.push(done);
        let s = Summary::of(&t);
        assert_eq!((s.open_deliveries, s.failed_deliveries), (0, 0));
        assert_eq!(s.last_at(), Some(t0));
        assert_eq!(s.marks.len(), 1);
    }
}
