//! The lifecycle of a ticket: what each event does to its status, written
//! once. The fold, the SLA replay and the cached summaries all step through
//! [`Lifecycle::after`]; summaries keep their history as a list of [`Step`]s
//! (a few bytes each) instead of events.

use crate::yaml::Value;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::{Action, Event, Payload, Status};
use crate::clock::Timestamp;

/// One event as the lifecycle, the SLA clocks and the reports read it.
///
/// Cached with postcard, which is not self-describing: any change here must
/// change `MAGIC` in `store/cache.rs` (a golden test there says so).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// `created`, naming an assignee or not.
    Created {
        assigned: bool,
    },
    /// `assigned` to someone.
    Assigned,
    /// `updated`: progress unless a rule wrote it ([`Event::is_progress`]),
    /// and a new status if it gives one.
    Updated {
        status: Option<Status>,
        progress: bool,
    },
    /// An `edited` event of the `status` field.
    StatusEdited(Status),
    /// An `edited` event of the `assignee` field: someone is assigned now,
    /// or no one.
    AssigneeEdited(bool),
    Closed,
    Reopened,
    Surveyed {
        scores: Vec<(CompactString, u8)>,
        nps: Option<u8>,
    },
    /// Any other event (an edit of another field, an action of a newer
    /// desk): no status, no progress.
    Other,
    /// `received`: the customer wrote; a ticket waiting on them is worked
    /// on again. (Last, so that cached steps keep their numbers.)
    Received,
}

impl Step {
    pub fn of(e: &Event) -> Step {
        match &e.payload {
            Payload::Created(c) => Step::Created {
                assigned: c.ticket.assignee.is_some(),
            },
            Payload::Assigned(_) => Step::Assigned,
            Payload::Updated(u) => Step::Updated {
                status: u.status.as_deref().and_then(Status::from_key),
                progress: e.is_progress(),
            },
            Payload::Closed(_) => Step::Closed,
            Payload::Reopened(_) => Step::Reopened,
            Payload::Edited(edit) => match (edit.field.as_str(), &edit.to) {
                ("status", Some(to)) => to
                    .as_str()
                    .and_then(Status::from_key)
                    .map_or(Step::Other, Step::StatusEdited),
                // No `to`: the field was cleared.
                ("assignee", None | Some(Value::Null)) => Step::AssigneeEdited(false),
                ("assignee", Some(Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                    Step::AssigneeEdited(true)
                }
                _ => Step::Other,
            },
            Payload::Surveyed(s) => Step::Surveyed {
                scores: s
                    .scores
                    .iter()
                    .flatten()
                    .map(|(k, v)| (CompactString::from(k.as_str()), *v))
                    .collect(),
                nps: s.nps,
            },
            Payload::Received(_) => Step::Received,
            // An answer to the customer is progress and changes no status,
            // as a note does.
            Payload::Replied(_) => Step::Updated {
                status: None,
                progress: e.is_progress(),
            },
            Payload::Queued(_)
            | Payload::Notified(_)
            | Payload::DeliveryFailed(_)
            | Payload::Fired(_)
            | Payload::Attached(_)
            | Payload::Assessed(_)
            | Payload::Other(_) => Step::Other,
        }
    }

    /// Progress on the ticket as its SLA clocks count it.
    pub fn is_progress(&self) -> bool {
        matches!(self, Step::Updated { progress: true, .. })
    }
}

/// A ticket's status and whether someone is assigned: all a transition
/// depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: Status,
    pub assigned: bool,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            status: Status::Open,
            assigned: false,
        }
    }
}

impl Lifecycle {
    /// The transitions: the state after one step.
    pub fn after(self, step: &Step) -> Lifecycle {
        let Lifecycle {
            mut status,
            mut assigned,
        } = self;
        match step {
            Step::Created { assigned: a } => {
                assigned = *a;
                status = if *a { Status::InProgress } else { Status::Open };
            }
            Step::Assigned => {
                assigned = true;
                if status == Status::Open {
                    status = Status::InProgress;
                }
            }
            Step::Updated {
                status: Some(s), ..
            }
            | Step::StatusEdited(s) => status = *s,
            Step::AssigneeEdited(a) => assigned = *a,
            Step::Closed => status = Status::Closed,
            Step::Reopened => {
                status = if assigned {
                    Status::InProgress
                } else {
                    Status::Open
                }
            }
            Step::Received => {
                if status == Status::Pending {
                    status = Status::InProgress;
                }
            }
            Step::Updated { status: None, .. } | Step::Surveyed { .. } | Step::Other => {}
        }
        Lifecycle { status, assigned }
    }

    /// The state after a whole history's steps.
    pub fn replay<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Lifecycle {
        steps
            .into_iter()
            .fold(Lifecycle::default(), |life, step| life.after(step))
    }

    /// Whether the SLA clocks run: the ticket is neither waiting on the
    /// customer nor closed.
    pub fn clocks_run(self) -> bool {
        matches!(self.status, Status::Open | Status::InProgress)
    }
}

/// One step of a history with its time: what summaries keep of each event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    #[serde(with = "super::summary::compact_time")]
    pub at: Timestamp,
    pub what: Step,
}

impl Mark {
    pub fn of_history(history: &[Event]) -> Vec<Mark> {
        history
            .iter()
            // A rule's deliveries and firings are no activity on the ticket
            // (dormancy, reports, clocks).
            .filter(|e| {
                !matches!(
                    e.action(),
                    Action::Queued | Action::Notified | Action::DeliveryFailed | Action::Fired
                )
            })
            .map(|e| Mark {
                at: e.at,
                what: Step::of(e),
            })
            .collect()
    }
}

/// A closure is the time from a `closed` event to the next `reopened`. A
/// further `closed` inside it (two agents closed the ticket on two clones)
/// amends it: its resolution is added to the first one, and the ticket was
/// resolved at the first close. Fold, SLA replay, surveys and reports all
/// find closures through this one rule.
#[derive(Debug, Default, Clone, Copy)]
pub struct Closure {
    /// The index (among the steps seen) of the close that began the
    /// current closure.
    start: Option<usize>,
    seen: usize,
}

/// What an event does to closures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Closes,
    Reopens,
    Neither,
}

impl From<&Action> for Closing {
    fn from(action: &Action) -> Closing {
        match action {
            Action::Closed => Closing::Closes,
            Action::Reopened => Closing::Reopens,
            _ => Closing::Neither,
        }
    }
}

impl From<&Event> for Closing {
    fn from(event: &Event) -> Closing {
        match event.payload {
            Payload::Closed(_) => Closing::Closes,
            Payload::Reopened(_) => Closing::Reopens,
            _ => Closing::Neither,
        }
    }
}

impl From<&Step> for Closing {
    fn from(step: &Step) -> Closing {
        match step {
            Step::Closed => Closing::Closes,
            Step::Reopened => Closing::Reopens,
            _ => Closing::Neither,
        }
    }
}

impl Closure {
    pub fn step(&mut self, step: impl Into<Closing>) {
        match step.into() {
            Closing::Closes if self.start.is_none() => self.start = Some(self.seen),
            Closing::Reopens => self.start = None,
            _ => {}
        }
        self.seen += 1;
    }

    pub fn is_open(&self) -> bool {
        self.start.is_some()
    }

    /// The position of the close that began the current closure among the
    /// steps given: that close is when the ticket was resolved.
    pub fn start_of<S: Into<Closing>>(steps: impl IntoIterator<Item = S>) -> Option<usize> {
        let mut c = Closure::default();
        for s in steps {
            c.step(s);
        }
        c.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str, fields: Vec<(&str, Value)>) -> Event {
        let at = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        Event::from_fields(at, "li.na", action, fields)
    }

    #[test]
    fn the_transitions() {
        use Status::*;
        let open = Lifecycle::default();
        let working = Lifecycle {
            status: InProgress,
            assigned: true,
        };
        let after = |l: Lifecycle, s: Step| l.after(&s).status;
        assert_eq!(after(open, Step::Created { assigned: true }), InProgress);
        assert_eq!(after(working, Step::Created { assigned: false }), Open);
        assert_eq!(after(open, Step::Assigned), InProgress);
        // Assigning again changes no status but open.
        let waiting = Lifecycle {
            status: Pending,
            assigned: true,
        };
        assert_eq!(after(waiting, Step::Assigned), Pending);
        let update = |status| Step::Updated {
            status,
            progress: true,
        };
        assert_eq!(after(working, update(Some(Pending))), Pending);
        assert_eq!(after(waiting, update(None)), Pending);
        assert_eq!(after(working, Step::StatusEdited(Open)), Open);
        assert_eq!(after(working, Step::Closed), Closed);
        let closed = |assigned| Lifecycle {
            status: Closed,
            assigned,
        };
        assert_eq!(after(closed(true), Step::Reopened), InProgress);
        assert_eq!(after(closed(false), Step::Reopened), Open);
        // Clearing the assignee changes no status, but a reopen finds no one.
        let cleared = closed(true).after(&Step::AssigneeEdited(false));
        assert_eq!(cleared.status, Closed);
        assert_eq!(after(cleared, Step::Reopened), Open);
        assert!(open.clocks_run() && working.clocks_run());
        assert!(!waiting.clocks_run() && !closed(true).clocks_run());
    }

    #[test]
    fn events_read_as_steps() {
        let created = event(
            "created",
            vec![
                ("title", "t".into()),
                ("customer", "C000001".into()),
                ("type", "complaint".into()),
                ("channel", "phone".into()),
                ("priority", "urgent".into()),
                ("to", "wang.qiang".into()),
            ],
        );
        assert_eq!(Step::of(&created), Step::Created { assigned: true });
        let mut by_rule = event("updated", vec![("status", "pending".into())]);
        by_rule.by = "rule:wait".into();
        assert_eq!(
            Step::of(&by_rule),
            Step::Updated {
                status: Some(Status::Pending),
                progress: false
            }
        );
        let cleared = event("edited", vec![("field", "assignee".into())]);
        assert_eq!(Step::of(&cleared), Step::AssigneeEdited(false));
        let bad_status = event(
            "edited",
            vec![("field", "status".into()), ("to", "lost".into())],
        );
        assert_eq!(Step::of(&bad_status), Step::Other);
        let nobody = event("assigned", vec![]);
        assert_eq!(Step::of(&nobody), Step::Other);
    }

    /// One event of a random kind, with the shapes a hand edit may leave.
    fn any_event() -> impl proptest::strategy::Strategy<Value = Event> {
        use proptest::prelude::*;
        let status = prop_oneof![
            Just(None),
            Just(Some("pending")),
            Just(Some("in_progress")),
            Just(Some("open")),
            Just(Some("closed")),
            Just(Some("lost")),
        ];
        let to = prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            Just(Some(Value::from("wang.qiang"))),
            Just(Some(Value::from(7))),
            Just(Some(Value::Sequence(vec![]))),
            Just(Some(Value::from("pending"))),
        ];
        let field = prop_oneof![Just("status"), Just("assignee"), Just("title")];
        (0..8u8, status, to, field, any::<bool>()).prop_map(|(kind, status, to, field, rule)| {
            let action = match kind {
                0 => "assigned",
                1 | 2 => "updated",
                3 => "closed",
                4 => "reopened",
                5 | 6 => "edited",
                _ => "surveyed",
            };
            // Every field on every action: one an action does not take is
            // kept and changes nothing.
            let mut fields = vec![("field", Value::from(field))];
            fields.extend(status.map(|s| ("status", Value::from(s))));
            fields.extend(to.map(|to| ("to", to)));
            let mut e = event(action, fields);
            e.by = if rule { "rule:r" } else { "li.na" }.into();
            e
        })
    }

    proptest::proptest! {
        #[test]
        fn the_steps_alone_give_the_folds_status(
            assigned in proptest::prelude::any::<bool>(),
            rest in proptest::collection::vec(any_event(), 0..12),
        ) {
            let mut fields: Vec<(&str, Value)> = vec![
                ("title", "t".into()),
                ("customer", "C000001".into()),
                ("type", "complaint".into()),
                ("channel", "phone".into()),
                ("priority", "urgent".into()),
            ];
            if assigned {
                fields.push(("to", "wang.qiang".into()));
            }
            let mut history = vec![event("created", fields)];
            history.extend(rest);
            let folded = crate::model::fold(&history).unwrap();
            let steps: Vec<Step> = history.iter().map(Step::of).collect();
            let life = Lifecycle::replay(&steps);
            proptest::prop_assert_eq!(life.status, folded.status);
            proptest::prop_assert_eq!(life.assigned, folded.assignee.is_some());
        }
    }
}
