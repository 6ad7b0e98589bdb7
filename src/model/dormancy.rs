//! What tickets say about a customer, and dormancy (待激活): a customer with
//! no open ticket and no activity (ticket event or contact; the record's
//! creation only when neither is known) for a span, whom someone should
//! call back.

use super::{Status, Summary};
use crate::clock::{Span, Timestamp};

/// One customer's tickets: how many, how many open, and the time of the
/// latest event of any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub tickets: usize,
    pub open: usize,
    pub last: Option<Timestamp>,
}

impl Activity {
    /// Counts one of the customer's tickets.
    pub fn count(&mut self, t: &Summary) {
        self.tickets += 1;
        if t.status != Status::Closed {
            self.open += 1;
        }
        self.last = self.last.max(t.last_at());
    }

    /// The customer's last activity: the latest of its tickets' events and
    /// its own contacts (`touched`: the last contact, else the first).
    /// The record's creation counts only when neither is known: a record
    /// imported today from a spreadsheet says when the customer was last in
    /// touch, not when someone typed it in.
    pub fn last_activity(&self, touched: Option<Timestamp>, created: Timestamp) -> Timestamp {
        touched.max(self.last).unwrap_or(created)
    }
}

/// Dormant for a span, measured back from a time.
#[derive(Debug, Clone, Copy)]
pub struct Dormancy {
    /// Activity before this (and none since) is dormancy.
    since: Timestamp,
}

impl Dormancy {
    pub fn new(span: Span, now: Timestamp) -> Dormancy {
        Dormancy {
            since: span.before(now),
        }
    }

    /// No open ticket, and the last activity before the span began.
    pub fn is_dormant(&self, activity: &Activity, last_activity: Timestamp) -> bool {
        activity.open == 0 && last_activity < self.since
    }

    /// The dormant customers of `rows`, longest dormant first, then by ID.
    /// `of` gives a row's activity, last activity and customer ID.
    pub fn select<T>(
        &self,
        rows: Vec<T>,
        of: impl Fn(&T) -> (&Activity, Timestamp, &str),
    ) -> Vec<T> {
        let mut dormant: Vec<T> = rows
            .into_iter()
            .filter(|r| {
                let (activity, last, _) = of(r);
                self.is_dormant(activity, last)
            })
            .collect();
        dormant.sort_by(|x, y| {
            let (_, x_last, x_id) = of(x);
            let (_, y_last, y_id) = of(y);
            x_last.cmp(&y_last).then(x_id.cmp(y_id))
        });
        dormant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_span;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn last_activity_is_the_latest_of_tickets_contact_and_creation() {
        let created = at("2026-01-01T09:00:00+08:00");
        let none = Activity::default();
        assert_eq!(none.last_activity(None, created), created);
        let touched = at("2026-03-01T09:00:00+08:00");
        assert_eq!(none.last_activity(Some(touched), created), touched);
        let ticket = Activity {
            tickets: 1,
            open: 0,
            last: Some(at("2026-05-01T09:00:00+08:00")),
        };
        assert_eq!(
            ticket.last_activity(Some(touched), created),
            at("2026-05-01T09:00:00+08:00")
        );
        // A contact earlier than the record's creation (an import of last
        // year's customers) is the last activity, not the import.
        assert_eq!(
            none.last_activity(Some(at("2025-12-01T09:00:00+08:00")), created),
            at("2025-12-01T09:00:00+08:00")
        );
    }

    #[test]
    fn dormant_means_nothing_open_and_no_activity_for_the_span_oldest_first() {
        let now = at("2026-11-01T09:00:00+08:00");
        let six_months = Dormancy::new(parse_span("6mo").unwrap(), now);
        let quiet = Activity::default();
        let open = Activity {
            tickets: 1,
            open: 1,
            last: Some(at("2025-01-01T09:00:00+08:00")),
        };
        let since = at("2026-05-01T09:00:00+08:00");
        assert!(
            !six_months.is_dormant(&quiet, since),
            "exactly the span: not yet"
        );
        assert!(six_months.is_dormant(&quiet, at("2026-05-01T08:59:59+08:00")));
        assert!(!six_months.is_dormant(&open, at("2025-01-01T09:00:00+08:00")));

        let rows = vec![
            ("C3", quiet.clone(), at("2026-02-01T09:00:00+08:00")),
            ("C1", quiet.clone(), at("2026-10-01T09:00:00+08:00")),
            ("C2", quiet.clone(), at("2026-02-01T09:00:00+08:00")),
            ("C4", open.clone(), at("2025-01-01T09:00:00+08:00")),
            ("C0", quiet.clone(), at("2025-06-01T09:00:00+08:00")),
        ];
        let ids: Vec<&str> = six_months
            .select(rows, |(id, a, last)| (a, *last, id))
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(ids, ["C0", "C2", "C3"]);
    }

    #[test]
    fn tickets_are_counted_open_and_latest() {
        let ticket = |id: &str, created: &str| {
            crate::model::Ticket::create(
                id.into(),
                crate::model::NewTicket {
                    ..crate::model::NewTicket::sample()
                },
                at(created),
                "li.na",
            )
        };
        let open = ticket("T-1", "2026-10-01T09:00:00+08:00");
        let mut closed = ticket("T-2", "2026-09-01T09:00:00+08:00");
        let close_at = at("2026-10-05T09:00:00+08:00");
        closed
            .close("fixed".into(), None, None, close_at, "li.na")
            .unwrap();
        let mut a = Activity::default();
        a.count(&Summary::of(&open));
        a.count(&Summary::of(&closed));
        assert_eq!(
            a,
            Activity {
                tickets: 2,
                open: 1,
                last: Some(close_at),
            }
        );
    }
}
