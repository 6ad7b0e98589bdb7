//! A ticket as the reading commands need it: the projected fields and a
//! skeleton of its history (times, actions, statuses, survey scores), without
//! descriptions, notes or unknown fields. A few hundred bytes instead of a few
//! kilobytes, so a store of 100,000 tickets fits in memory comfortably, and
//! compact enough to cache (see `store::cache`).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::{Action, Closing, Closure, Event, Status, Ticket, Timestamp};

/// Cached with postcard, which is not self-describing: any change to this
/// struct, `Mark` or `MarkKind` must change `MAGIC` in `store/cache.rs`.
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
}

/// One event of the history, reduced to what clocks and reports use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    #[serde(with = "compact_time")]
    pub at: Timestamp,
    pub what: MarkKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MarkKind {
    Created {
        assigned: bool,
    },
    Assigned,
    Updated(Option<Status>),
    /// An `edited` event of the `status` field.
    StatusEdited(Status),
    Closed,
    Reopened,
    Surveyed {
        scores: Vec<(CompactString, u8)>,
        nps: Option<u8>,
    },
    /// Any other event (an edit of another field, an action of a newer desk).
    Other,
}

impl Summary {
    pub fn of(t: &Ticket) -> Summary {
        // A rule's deliveries are no activity on the ticket (dormancy,
        // reports, clocks): only their counts below are kept.
        let marks = t
            .history
            .iter()
            .filter(|e| {
                !matches!(
                    e.action,
                    Action::Queued | Action::Notified | Action::DeliveryFailed
                )
            })
            .map(|e| Mark {
                at: e.at,
                what: match &e.action {
                    Action::Created => MarkKind::Created {
                        assigned: e.to.is_some(),
                    },
                    Action::Assigned => MarkKind::Assigned,
                    // A rule's note is no progress for the clocks (see
                    // `Event::is_progress`); it changes no status either.
                    Action::Updated if !e.is_progress() && e.status.is_none() => MarkKind::Other,
                    Action::Updated => {
                        MarkKind::Updated(e.status.as_deref().and_then(Status::from_key))
                    }
                    Action::Closed => MarkKind::Closed,
                    Action::Reopened => MarkKind::Reopened,
                    Action::Edited if e.field.as_deref() == Some("status") => {
                        e.to.as_ref()
                            .and_then(Value::as_str)
                            .and_then(Status::from_key)
                            .map_or(MarkKind::Other, MarkKind::StatusEdited)
                    }
                    Action::Surveyed => MarkKind::Surveyed {
                        scores: e
                            .scores
                            .iter()
                            .flatten()
                            .map(|(k, v)| (CompactString::from(k.as_str()), *v))
                            .collect(),
                        nps: e.nps,
                    },
                    Action::Edited
                    | Action::Queued
                    | Action::Notified
                    | Action::DeliveryFailed
                    | Action::Other(_) => MarkKind::Other,
                },
            })
            .collect();
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
        }
    }

    /// The history as events with only what SLA replay reads, built on
    /// demand and dropped after use.
    pub fn skeleton(&self) -> Vec<Event> {
        self.marks
            .iter()
            .map(|m| {
                let mut e = Event::new(m.at, "", Action::Other(String::new()));
                match &m.what {
                    MarkKind::Created { assigned } => {
                        e.action = Action::Created;
                        e.to = assigned.then_some(Value::Null);
                    }
                    MarkKind::Assigned => e.action = Action::Assigned,
                    MarkKind::Updated(status) => {
                        e.action = Action::Updated;
                        e.status = status.map(|s| s.key().to_string());
                    }
                    MarkKind::StatusEdited(status) => {
                        e.action = Action::Edited;
                        e.field = Some("status".into());
                        e.to = Some(Value::String(status.key().into()));
                    }
                    MarkKind::Closed => e.action = Action::Closed,
                    MarkKind::Reopened => e.action = Action::Reopened,
                    MarkKind::Surveyed { scores, nps } => {
                        e.action = Action::Surveyed;
                        e.scores = Some(scores.iter().map(|(k, v)| (k.to_string(), *v)).collect());
                        e.nps = *nps;
                    }
                    MarkKind::Other => {}
                }
                e
            })
            .collect()
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
        Closure::start_of(self.marks.iter().map(|m| match m.what {
            MarkKind::Closed => Closing::Closes,
            MarkKind::Reopened => Closing::Reopens,
            _ => Closing::Neither,
        }))
    }

    /// True when the current closure has its survey.
    pub fn surveyed_since_last_close(&self) -> bool {
        let Some(close) = self.closure_start() else {
            return false;
        };
        self.marks[close..]
            .iter()
            .any(|m| matches!(m.what, MarkKind::Surveyed { .. }))
    }

    pub fn times_reopened(&self) -> usize {
        self.marks
            .iter()
            .filter(|m| m.what == MarkKind::Reopened)
            .count()
    }
}

/// Timestamps in the cache as (seconds since the epoch, UTC offset in
/// seconds): exact, and far cheaper to decode than RFC 3339 text.
mod compact_time {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::model::Timestamp;

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
    use crate::model::{NewTicket, Survey};

    #[test]
    fn the_skeleton_replays_like_the_history_and_survives_the_cache_encoding() {
        let t0 = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let at = |h: i64| Timestamp(t0.0 + chrono::Duration::hours(h));
        let mut t = Ticket::create(
            "CW202611020001".into(),
            NewTicket {
                description: "long text".into(),
                assignee: Some("wang.qiang".into()),
                ..NewTicket::sample()
            },
            t0,
            "li.na",
        );
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
        let config = crate::config::Config::seed_defaults();
        let calendar = config
            .calendar
            .build(chrono_tz::Asia::Shanghai, &[])
            .unwrap();
        let priorities: Vec<String> = config.priorities.iter().map(|c| c.key.clone()).collect();
        let policy = config.sla.build(&calendar, &priorities).unwrap();
        for hours in [2, 4, 8, 100] {
            let now = at(hours).0.with_timezone(&chrono::Utc);
            let full = crate::sla::replay(&t.history, &t.priority, &policy, &calendar, now);
            let slim = crate::sla::replay(&s.skeleton(), &s.priority, &policy, &calendar, now);
            assert_eq!(full, slim);
        }
    }

    #[test]
    fn a_second_close_amends_the_closure_that_the_first_began() {
        let t0 = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let at = |h: i64| Timestamp(t0.0 + chrono::Duration::hours(h));
        let mut t = Ticket::create(
            "CW202611020001".into(),
            NewTicket {
                assignee: Some("wang.qiang".into()),
                ..NewTicket::sample()
            },
            t0,
            "li.na",
        );
        t.close("换电源".into(), None, None, at(1), "wang.qiang")
            .unwrap();
        // Two clones closed it, the second after working on it; a merge
        // puts both closes in the history.
        let mut working = Event::new(at(1), "li.na", Action::Updated);
        working.status = Some("in_progress".into());
        let mut second = Event::new(at(2), "li.na", Action::Closed);
        second.resolution = Some("重置".into());
        t.history.push(working);
        t.history.push(second.clone());
        t.refold().unwrap();
        assert_eq!(t.status, Status::Closed);
        assert_eq!(t.resolution.as_deref(), Some("换电源\n重置"));
        let s = Summary::of(&t);
        assert_eq!(s.closed_at(), Some(at(1)));
        let config = crate::config::Config::seed_defaults();
        let calendar = config
            .calendar
            .build(chrono_tz::Asia::Shanghai, &[])
            .unwrap();
        let priorities: Vec<String> = config.priorities.iter().map(|c| c.key.clone()).collect();
        let policy = config.sla.build(&calendar, &priorities).unwrap();
        let now = at(5).0.with_timezone(&chrono::Utc);
        let clocks = crate::sla::replay(&s.skeleton(), &s.priority, &policy, &calendar, now);
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
        let mut queued = Event::new(t0, "rule:r", Action::Queued);
        queued.key = Some("r/CW202611020001/abc".into());
        queued.via = Some("run".into());
        t.history.push(queued.clone());
        let s = Summary::of(&t);
        assert_eq!((s.open_deliveries, s.failed_deliveries), (1, 0));
        let mut done = queued;
        done.action = Action::Notified;
        done.at = Timestamp(t0.0 + chrono::Duration::days(40));
        t.history.push(done);
        let s = Summary::of(&t);
        assert_eq!((s.open_deliveries, s.failed_deliveries), (0, 0));
        assert_eq!(s.last_at(), Some(t0));
        assert_eq!(s.marks.len(), 1);
    }
}
