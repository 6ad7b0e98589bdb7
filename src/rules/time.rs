//! Time triggers, evaluated purely: whether a time rule is due for a ticket
//! (or a customer) now, and the key of that firing. The key names the rule,
//! the ticket, the threshold and the cycle — the SLA cycle, the silence
//! since the last progress, the pending spell, the closure, the dormancy —
//! so that a scheduler run again and again, or on two clones, fires each
//! once: the same cycle gives the same key, a new cycle a new one.
//!
//! The SLA states come from `crate::sla` (working-time calendar, holidays,
//! make-up days, pauses while pending), dormancy from `model::Dormancy`;
//! nothing here has a clock rule of its own. A rule's `if:` is judged by
//! [`super::holds_now`] on the ticket as it is.

use chrono::{DateTime, Utc};

use super::{Facts, OpenTicket, Planned, Rule, RuleAction, Rules, Subject, TimeTrigger, BY_PREFIX};
use crate::clock::{Span, Timestamp};
use crate::model::{
    Activity, Dormancy, Event, Fired, Lifecycle, NewTicket, Payload, Status, Step, Summary, Ticket,
};
use crate::sla::{state_of, Calendar, Clock, ClockState, Policy, TargetKind};

/// What a ticket's summary offers the time triggers.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFacts {
    pub id: String,
    pub status: Status,
    pub created: Timestamp,
    /// Creation, or the last `updated` event by a person (a rule's note is
    /// not progress, as for the SLA clocks).
    pub last_progress: Timestamp,
    /// When the ticket last entered `pending`, if it is pending now.
    pub pending_since: Option<Timestamp>,
    /// When the current closure began, if the ticket is closed now.
    pub closed_at: Option<Timestamp>,
    /// Since when no one holds the ticket, if it is open and unassigned
    /// now: its creation, the edit that cleared the assignee, or the last
    /// reopen, whichever came last.
    pub unassigned_since: Option<Timestamp>,
    /// Whether the current closure has its survey, and when it came.
    pub surveyed: bool,
    pub surveyed_at: Option<Timestamp>,
    /// Creation, or the last reopen: the cycle of the response and
    /// resolution clocks.
    pub cycle_start: Timestamp,
    /// The SLA clocks of the ticket's priority, as `crate::sla::replay` gives them.
    pub sla: Vec<SlaFact>,
}

/// One SLA clock and what its current cycle is.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaFact {
    pub clock: Clock,
    /// The state of the current cycle: for `update`, the gap since the last
    /// progress (the clock's own state stays breached once any gap was).
    pub state: ClockState,
    /// The cycle's start: for `update`, the last progress or reopen; for
    /// `response` and `resolution`, creation or the last reopen.
    pub cycle: Timestamp,
}

/// A time rule due now: its key, and when its threshold was crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub key: String,
    pub since: Timestamp,
}

impl Firing {
    /// Whether its threshold was crossed more than `catch_up` seconds
    /// before `now`: too late to act on. So a store that adopts desk with a
    /// long history, or a clone whose cron stopped for weeks, sends no flood
    /// of stale reminders.
    pub fn is_stale(&self, now: Timestamp, catch_up: i64) -> bool {
        (now.0 - self.since.0).num_seconds() > catch_up
    }
}

impl TimeFacts {
    /// The facts of a ticket at `now`, its clocks replayed on the store's
    /// calendar and targets.
    pub fn of(ticket: &Summary, policy: &Policy, calendar: &Calendar, now: Timestamp) -> TimeFacts {
        Self::with_clocks(ticket, Some((policy, calendar)), now)
    }

    /// The facts of a ticket without its SLA clocks (no `sla` trigger asks):
    /// the clock replay is most of the cost of a scheduler's pass.
    pub fn without_clocks(ticket: &Summary, now: Timestamp) -> TimeFacts {
        Self::with_clocks(ticket, None, now)
    }

    fn with_clocks(
        ticket: &Summary,
        sla: Option<(&Policy, &Calendar)>,
        now: Timestamp,
    ) -> TimeFacts {
        let mut last_progress = ticket.created;
        let mut cycle_start = ticket.created;
        let mut pending: Option<Timestamp> = None;
        let mut surveyed_at = None;
        let mut unassigned: Option<Timestamp> = None;
        let mut life = Lifecycle::default();
        for m in &ticket.marks {
            match &m.what {
                step if step.is_progress() => last_progress = m.at,
                Step::Reopened => cycle_start = m.at,
                Step::Surveyed { .. } => surveyed_at = Some(m.at),
                _ => {}
            }
            // When the current pending spell began: the lifecycle's own
            // transitions say when the status became pending.
            let next = life.after(&m.what);
            if next.status == Status::Pending && life.status != Status::Pending {
                pending = Some(m.at);
            } else if next.status != Status::Pending {
                pending = None;
            }
            // Unassigned from creation or from an edit that cleared the
            // assignee; a reopen starts a new spell of it.
            if next.assigned {
                unassigned = None;
            } else if life.assigned
                || unassigned.is_none()
                || matches!(m.what, Step::Reopened | Step::Created { .. })
            {
                unassigned = Some(m.at);
            }
            life = next;
        }
        let surveyed = ticket.surveyed_since_last_close();
        // SLA triggers are never due on a closed ticket: no replay for it.
        let sla = match sla.filter(|_| ticket.status != Status::Closed) {
            None => Vec::new(),
            Some((policy, calendar)) => {
                let gap_start = last_progress.max(cycle_start);
                crate::sla::replay(
                    &ticket.marks,
                    &ticket.priority,
                    policy,
                    calendar,
                    now.0.with_timezone(&Utc),
                )
                .clocks
                .into_iter()
                .map(|clock| {
                    let (state, cycle) = match clock.kind {
                        TargetKind::Update => (
                            state_of(
                                clock.target_seconds,
                                clock.elapsed_seconds,
                                ticket.status == Status::Closed,
                                ticket.status == Status::Pending,
                                policy.at_risk,
                            ),
                            gap_start,
                        ),
                        TargetKind::Response | TargetKind::Resolution => (clock.state, cycle_start),
                    };
                    SlaFact {
                        clock,
                        state,
                        cycle,
                    }
                })
                .collect()
            }
        };
        TimeFacts {
            id: ticket.id.to_string(),
            status: ticket.status,
            created: ticket.created,
            last_progress,
            pending_since: (ticket.status == Status::Pending)
                .then(|| pending.unwrap_or(ticket.created)),
            closed_at: ticket.closed_at(),
            unassigned_since: unassigned.filter(|_| ticket.status != Status::Closed),
            surveyed,
            surveyed_at: surveyed.then_some(surveyed_at).flatten(),
            cycle_start,
            sla,
        }
    }

    fn clock(&self, kind: TargetKind) -> Option<&SlaFact> {
        self.sla.iter().find(|f| f.clock.kind == kind)
    }

    /// A UTC instant in the ticket's own offset, so keys read like its file.
    fn local(&self, t: DateTime<Utc>) -> Timestamp {
        Timestamp::new(t.with_timezone(self.created.0.offset()))
    }
}

/// Whether a time rule is due for this ticket now, and the key of the firing.
///
/// - `sla`: the target's clock is in that state in its current cycle and
///   still counting (not met, not closed): `at_risk` while at risk,
///   `breached` once past the target — each as `crate::sla` says, so on a
///   working-time clock a target due at 18:00 is breached at the next
///   working second;
/// - `no_progress_for`: neither closed nor pending (waiting on the customer,
///   which `pending_for` covers) and that long since the last progress or reopen;
/// - `pending_for`: pending that long; `unsurveyed_for` (and
///   `survey_window_left`, parsed into it): closed that long without a
///   survey of this closure;
/// - `unassigned_for`: not closed and assigned to no one that long, since
///   creation, the edit that cleared the assignee, or the last reopen.
///
/// The durations are wall-clock time, due at the threshold itself.
/// `dormant_for` concerns customers: see [`due_customer`].
pub fn due(
    rule: &Rule,
    trigger: &TimeTrigger,
    ticket: &TimeFacts,
    now: Timestamp,
) -> Option<Firing> {
    if !rule.enabled {
        return None;
    }
    let after =
        |from: Timestamp, seconds: i64| Timestamp::new(from.0 + chrono::Duration::seconds(seconds));
    let (threshold, cycle, since) = match *trigger {
        TimeTrigger::Sla { target, state } => {
            if ticket.status == Status::Closed {
                return None;
            }
            let fact = ticket.clock(target)?;
            if fact.state != state {
                return None;
            }
            let crossed = match state {
                ClockState::AtRisk => fact.clock.at_risk_since,
                // Counting still (not met): it has a due time, passed.
                ClockState::Breached => fact.clock.due,
                _ => None,
            }?;
            // A ticket reopened past its target is due from the reopen: the
            // cycle cannot come due before it began.
            let crossed = ticket.local(crossed);
            (
                format!("{}-{}", target.name(), state.name()),
                fact.cycle,
                if crossed < fact.cycle {
                    fact.cycle
                } else {
                    crossed
                },
            )
        }
        TimeTrigger::NoProgressFor { seconds } => {
            if matches!(ticket.status, Status::Closed | Status::Pending) {
                return None;
            }
            let start = ticket.last_progress.max(ticket.cycle_start);
            (
                format!("no_progress_for-{}", duration(seconds)),
                start,
                after(start, seconds),
            )
        }
        TimeTrigger::PendingFor { seconds } => {
            let start = ticket.pending_since?;
            (
                format!("pending_for-{}", duration(seconds)),
                start,
                after(start, seconds),
            )
        }
        TimeTrigger::UnsurveyedFor { seconds } => {
            if ticket.surveyed {
                return None;
            }
            let start = ticket.closed_at?;
            (
                format!("unsurveyed_for-{}", duration(seconds)),
                start,
                after(start, seconds),
            )
        }
        TimeTrigger::UnassignedFor { seconds } => {
            let start = ticket.unassigned_since?;
            (
                format!("unassigned_for-{}", duration(seconds)),
                start,
                after(start, seconds),
            )
        }
        TimeTrigger::DormantFor { .. } => return None,
    };
    (now >= since).then(|| Firing {
        key: key(&rule.name, &ticket.id, &threshold, cycle),
        since,
    })
}

/// The actions of a time rule that came due, keyed by the firing: each
/// `notify` and `run` action is queued under the firing's key (the second
/// and later `…/2`, `…/3`), so a firing is delivered once however often the
/// scheduler runs, and two clones' queues of it merge to one.
pub fn plan_firing(rule: &Rule, firing: &Firing) -> Vec<Planned> {
    let mut nth = 0;
    rule.actions
        .iter()
        // A dormant_for rule's ticket is opened by the store, before these.
        .filter(|action| !matches!(action, RuleAction::Open(_)))
        .map(|action| {
            let key = matches!(action, RuleAction::Notify(_) | RuleAction::Run(_)).then(|| {
                nth += 1;
                match nth {
                    1 => firing.key.clone(),
                    n => format!("{}/{n}", firing.key),
                }
            });
            Planned {
                rule: rule.name.clone(),
                action: action.clone(),
                key,
            }
        })
        .collect()
}

/// Whether the ticket's history records this firing already.
pub fn has_fired(ticket: &Ticket, key: &str) -> bool {
    ticket
        .history
        .iter()
        .any(|e| matches!(&e.payload, Payload::Fired(f) if f.key == key))
}

/// Gives the events a firing's actions made (an assignment, a note, edits)
/// the firing's key, so that when two clones fire the same cycle the merge
/// keeps the first one's (queued deliveries have their own keys already).
pub fn key_firing_events(events: &mut [Event], key: &str) {
    for e in events {
        e.payload.key_if_none(key);
    }
}

/// The `fired` event that records a firing, before the events of its actions.
pub fn fired_event(rule: &str, key: &str, at: Timestamp) -> Event {
    let fired = Fired {
        key: key.to_string(),
    };
    Event::new(at, &format!("{BY_PREFIX}{rule}"), fired)
}

/// Whether a time rule's `if:` holds for a ticket known by its summary:
/// `Some` when the summary settles it, `None` when a condition looks at
/// what a summary lacks (the description, the customer, the hour), and the
/// ticket file must decide. Lets a scheduler's pass read no file for the
/// many tickets a rule's conditions leave out.
pub fn holds_on_summary(rules: &Rules, rule: &Rule, s: &Summary) -> Option<bool> {
    let beyond_summary = rule.conditions.iter().any(|c| {
        matches!(
            c.subject,
            Subject::Description
                | Subject::CustomerKind
                | Subject::CustomerOwner
                | Subject::CustomerVip
                | Subject::WorkingHours
        )
    });
    if beyond_summary {
        return None;
    }
    let text = |v: &compact_str::CompactString| v.to_string();
    let ticket = Ticket {
        id: text(&s.id),
        title: text(&s.title),
        customer: text(&s.customer),
        kind: text(&s.kind),
        category: s.category.as_ref().map(text),
        tags: s.tags.iter().map(text).collect(),
        channel: text(&s.channel),
        priority: text(&s.priority),
        status: s.status,
        assignee: s.assignee.as_ref().map(text),
        created: s.created,
        description: String::new(),
        expectation: None,
        resolution: None,
        extra: Default::default(),
        history: Vec::new(),
    };
    Some(super::holds_now(rules, rule, &ticket, &Facts::default()))
}

/// What the dormancy trigger needs of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFacts {
    pub id: String,
    /// Its tickets: how many are open, the latest event.
    pub activity: Activity,
    /// The latest of its tickets' events and its contacts (its creation
    /// when it has neither; see [`Activity::last_activity`]).
    pub last_activity: Timestamp,
    /// When its record was made: a customer cannot come due before it is
    /// known (an import of customers quiet for long).
    pub created: Timestamp,
}

impl CustomerFacts {
    /// `touched`: the customer's last contact; `created`: its record's creation.
    pub fn new(
        id: &str,
        activity: Activity,
        touched: Option<Timestamp>,
        created: Timestamp,
    ) -> CustomerFacts {
        let last_activity = activity.last_activity(touched, created);
        CustomerFacts {
            id: id.to_string(),
            activity,
            last_activity,
            created,
        }
    }
}

/// Whether a `dormant_for` rule is due for this customer now: dormant for
/// the rule's span by the one dormancy rule (`model::Dormancy`: no open
/// ticket, no activity for the span). Keyed by the customer and the last
/// activity, so a customer is reminded once per dormancy period; activity
/// (a ticket, a logged contact) ends the period, and silence after it
/// begins the next.
pub fn due_customer(
    rule: &Rule,
    trigger: &TimeTrigger,
    customer: &CustomerFacts,
    now: Timestamp,
) -> Option<Firing> {
    let TimeTrigger::DormantFor { span } = *trigger else {
        return None;
    };
    if !rule.enabled
        || !Dormancy::new(span, now).is_dormant(&customer.activity, customer.last_activity)
    {
        return None;
    }
    Some(Firing {
        key: key(
            &rule.name,
            &customer.id,
            &format!("dormant_for-{}", span_text(span)),
            customer.last_activity,
        ),
        // Not before the record existed: a customer imported long quiet
        // is due from its import, not let go as a stale firing.
        since: span
            .elapsed_since(customer.last_activity)
            .max(customer.created),
    })
}

/// The call-back ticket a `dormant_for` firing opens, as `desk new` would
/// make it, by `rule:NAME` at `at`, followed at once by the `fired` event
/// that carries the firing's key. `assignee` is whoever should call (the
/// customer's owner when they can take work); without one the ticket's
/// `created` rules route it. The description, unless the rule gives one,
/// says since when the customer has been quiet (local time in `tz`).
#[allow(clippy::too_many_arguments)]
pub fn callback_ticket(
    rule: &Rule,
    open: &OpenTicket,
    firing: &Firing,
    customer: &CustomerFacts,
    assignee: Option<String>,
    id: String,
    at: Timestamp,
    tz: chrono_tz::Tz,
) -> Ticket {
    let span = match rule.when {
        super::Trigger::Time(TimeTrigger::DormantFor { span }) => span_text(span),
        _ => String::new(),
    };
    let last = crate::clock::local_minute(&customer.last_activity.0, tz);
    let description = open.description.clone().unwrap_or_else(|| {
        format!(
            "客户自 {last} 起无工单、无联系（{span}）。请电话回访，确认信息是否有效，再决定保留或归档。\n\
             No ticket or contact since {last} ({span}): call the customer back, \
             confirm their details, then keep or archive them."
        )
    });
    let new = NewTicket {
        title: open.title.clone(),
        customer: customer.id.clone(),
        kind: open.kind.clone(),
        category: open.category.clone(),
        tags: open.tags.clone(),
        channel: open.channel.clone(),
        priority: open.priority.clone(),
        description,
        expectation: None,
        assignee,
    };
    let mut ticket = Ticket::create(id, new, at, &format!("{BY_PREFIX}{}", rule.name));
    ticket
        .history
        .push(fired_event(&rule.name, &firing.key, at));
    ticket
}

fn key(rule: &str, subject: &str, threshold: &str, cycle: Timestamp) -> String {
    format!("{rule}/{subject}/{threshold}/{}", cycle.to_rfc3339())
}

/// `1d12h`, `30m`: days, hours and minutes, the zero ones left out. A
/// firing's key keeps this spelling, from before `min` and `mo`: histories
/// record it, and a key spelled anew would fire every rule once more. The
/// trigger's name before it tells minutes from months.
fn duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let text: String = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if text.is_empty() {
        "0m".into()
    } else {
        text
    }
}

/// `6m`, `180d`: a dormancy span in a firing's key, spelled as histories
/// recorded it (see [`duration`]).
fn span_text(span: Span) -> String {
    match span {
        Span::Days(d) => format!("{d}d"),
        Span::Months(m) => format!("{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{NewTicket, Survey, Ticket};
    use crate::rules::Rules;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn minutes(t: Timestamp, m: i64) -> Timestamp {
        Timestamp::new(t.0 + chrono::Duration::minutes(m))
    }

    fn seconds(t: Timestamp, s: i64) -> Timestamp {
        Timestamp::new(t.0 + chrono::Duration::seconds(s))
    }

    struct World {
        config: Config,
        rules: Rules,
        policy: Policy,
        calendar: Calendar,
    }

    impl World {
        fn new(rules: &str) -> World {
            World::with_calendar(rules, "")
        }

        /// `calendar`: extra keys of `calendar:` (holidays, workdays).
        fn with_calendar(rules: &str, calendar: &str) -> World {
            let mut config = Config::seed_defaults();
            if !calendar.is_empty() {
                let mut cal: crate::yaml::Value = crate::yaml::to_value(&config.calendar).unwrap();
                let extra: crate::yaml::Mapping = crate::yaml::from_str(calendar).unwrap();
                for (k, v) in extra {
                    cal.as_mapping_mut().unwrap().insert(k, v);
                }
                config.calendar = crate::yaml::from_value(cal).unwrap();
            }
            let value: crate::yaml::Value = crate::yaml::from_str(rules).unwrap();
            let rules = Rules::parse(Some(&value), &config).unwrap();
            let calendar = config.calendar.build(chrono_tz::Asia::Shanghai).unwrap();
            let priorities: Vec<String> = config.priorities.iter().map(|c| c.key.clone()).collect();
            let policy = config.sla.build(&calendar, &priorities).unwrap();
            World {
                config,
                rules,
                policy,
                calendar,
            }
        }

        /// The first rule's firing for the ticket at `now`.
        fn fire(&self, ticket: &Ticket, now: Timestamp) -> Option<Firing> {
            let rule = &self.rules.rules[0];
            let crate::rules::Trigger::Time(trigger) = &rule.when else {
                panic!("a time rule")
            };
            let facts = TimeFacts::of(&Summary::of(ticket), &self.policy, &self.calendar, now);
            due(rule, trigger, &facts, now)
        }
    }

    fn ticket(created: Timestamp, priority: &str) -> Ticket {
        Ticket::create(
            "CW202611240001".into(),
            NewTicket {
                priority: priority.into(),
                assignee: Some("li.na".into()),
                ..NewTicket::sample()
            },
            created,
            "li.na",
        )
    }

    #[test]
    fn a_firing_keys_its_deliveries_and_is_recorded_once() {
        let w = World::new(
            "- name: chase\n  when: {no_progress_for: 24h}\n  then:\n  - note: 请跟进\n  - notify: {to: assignee, template: progress}\n  - run: hooks/page.sh\n",
        );
        let created = at("2026-11-24T10:00:00+08:00");
        let mut t = ticket(created, "normal");
        let firing = w.fire(&t, at("2026-11-25T10:00:00+08:00")).unwrap();
        let planned = plan_firing(&w.rules.rules[0], &firing);
        let keys: Vec<Option<String>> = planned.iter().map(|p| p.key.clone()).collect();
        assert_eq!(
            keys,
            [
                None,
                Some(firing.key.clone()),
                Some(format!("{}/2", firing.key))
            ]
        );
        assert!(!has_fired(&t, &firing.key));
        t.history
            .push(fired_event("chase", &firing.key, firing.since));
        assert!(has_fired(&t, &firing.key));
        assert!(!has_fired(&t, "chase/CW202611240001/other"));
        // A `fired` event is no progress and no activity: the silence goes on.
        assert_eq!(
            w.fire(&t, at("2026-11-25T11:00:00+08:00")).unwrap().key,
            firing.key
        );
    }

    #[test]
    fn conditions_are_settled_by_the_summary_unless_they_need_the_file() {
        let w = World::new(
            "- name: a\n  when: {pending_for: 3d}\n  if: {priority: urgent, tags: vip}\n  then: [{note: x}]\n- name: b\n  when: {pending_for: 3d}\n  if: {description: 退款}\n  then: [{note: x}]\n- name: c\n  when: {pending_for: 3d}\n  if: {customer.vip: true}\n  then: [{note: x}]\n",
        );
        let mut t = ticket(at("2026-11-24T10:00:00+08:00"), "urgent");
        let s = Summary::of(&t);
        let [a, b, c] = [0, 1, 2].map(|i| &w.rules.rules[i]);
        assert_eq!(holds_on_summary(&w.rules, a, &s), Some(false));
        t.tags = vec!["vip".into()];
        assert_eq!(holds_on_summary(&w.rules, a, &Summary::of(&t)), Some(true));
        assert_eq!(holds_on_summary(&w.rules, b, &s), None);
        assert_eq!(holds_on_summary(&w.rules, c, &s), None);
    }

    #[test]
    fn an_urgent_breach_fires_at_its_threshold_once_per_cycle() {
        let w = World::new(
            "- name: escalate-urgent\n  when: {sla: resolution, state: breached}\n  if: {priority: urgent}\n  then:\n  - notify: {to: {role: supervisor}, template: escalation}\n",
        );
        // Urgent: resolution in 4 h on the calendar clock.
        let created = at("2026-11-24T10:00:00+08:00");
        let mut t = ticket(created, "urgent");
        let due_at = at("2026-11-24T14:00:00+08:00");
        assert_eq!(w.fire(&t, minutes(due_at, -1)), None);
        // At the due time itself the target is reached, not passed.
        assert_eq!(w.fire(&t, due_at), None);
        let first = w.fire(&t, seconds(due_at, 1)).expect("breached");
        assert_eq!(
            first.key,
            "escalate-urgent/CW202611240001/resolution-breached/2026-11-24T10:00:00+08:00"
        );
        assert_eq!(first.since, due_at);
        // Later runs of the same cycle: the same key, so it is sent once.
        assert_eq!(
            w.fire(&t, at("2026-11-25T09:00:00+08:00")).unwrap().key,
            first.key
        );
        // Progress does not end the resolution cycle.
        t.update(
            "查看中".into(),
            None,
            at("2026-11-24T15:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(
            w.fire(&t, at("2026-11-24T15:05:00+08:00")).unwrap().key,
            first.key
        );
        // Closed: nothing to escalate. Reopened: a new cycle fires anew.
        t.close(
            "换电源".into(),
            None,
            None,
            at("2026-11-24T16:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-24T16:30:00+08:00")), None);
        t.reopen("又坏了".into(), at("2026-11-25T09:00:00+08:00"), "li.na")
            .unwrap();
        let again = w.fire(&t, at("2026-11-25T09:05:00+08:00")).unwrap();
        assert_eq!(
            again.key,
            "escalate-urgent/CW202611240001/resolution-breached/2026-11-25T09:00:00+08:00"
        );
        // Past its target already when reopened: due from the reopen, not
        // from the old due time (which a catch-up span would let go).
        assert_eq!(again.since, at("2026-11-25T09:00:00+08:00"));
    }

    #[test]
    fn at_risk_fires_from_the_at_risk_share_and_not_once_breached() {
        let w = World::new(
            "- name: warn\n  when: {sla: response, state: at_risk}\n  then:\n  - notify: {to: assignee, template: warn}\n",
        );
        // Urgent: response in 1 h; at risk with less than 20 % (12 min) left.
        let created = at("2026-11-24T10:00:00+08:00");
        let t = ticket(created, "urgent");
        let risk = at("2026-11-24T10:48:00+08:00");
        assert_eq!(w.fire(&t, minutes(risk, -1)), None);
        let fired = w.fire(&t, seconds(risk, 1)).expect("at risk");
        assert_eq!(
            fired.key,
            "warn/CW202611240001/response-at_risk/2026-11-24T10:00:00+08:00"
        );
        assert_eq!(fired.since, risk);
        // Past the target it is breached, which this rule does not ask about.
        assert_eq!(w.fire(&t, at("2026-11-24T11:30:00+08:00")), None);
    }

    #[test]
    fn the_update_clock_fires_once_per_silence() {
        let w = World::new(
            "- name: progress-late\n  when: {sla: update, state: breached}\n  then:\n  - notify: {to: assignee, template: progress}\n",
        );
        // Urgent: progress every 24 h.
        let created = at("2026-11-24T10:00:00+08:00");
        let mut t = ticket(created, "urgent");
        assert_eq!(w.fire(&t, at("2026-11-25T09:59:00+08:00")), None);
        let first = w.fire(&t, at("2026-11-25T10:00:01+08:00")).unwrap();
        assert_eq!(
            first.key,
            "progress-late/CW202611240001/update-breached/2026-11-24T10:00:00+08:00"
        );
        // Progress ends the gap: the clock as a whole stays breached (a gap
        // was), but the new gap is not, so nothing fires until it is.
        t.update(
            "进展".into(),
            None,
            at("2026-11-25T11:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-25T12:00:00+08:00")), None);
        assert_eq!(w.fire(&t, at("2026-11-26T10:59:00+08:00")), None);
        let second = w.fire(&t, at("2026-11-26T11:00:01+08:00")).unwrap();
        assert_eq!(
            second.key,
            "progress-late/CW202611240001/update-breached/2026-11-25T11:00:00+08:00"
        );
        // The new gap is at risk from 80 % of 24 h, though a gap before was breached.
        let w = World::new(
            "- name: progress-soon\n  when: {sla: update, state: at_risk}\n  then:\n  - notify: {to: assignee, template: progress}\n",
        );
        assert_eq!(w.fire(&t, at("2026-11-26T06:11:00+08:00")), None);
        let risk = w.fire(&t, at("2026-11-26T06:12:01+08:00")).unwrap();
        assert_eq!(
            risk,
            Firing {
                key: "progress-soon/CW202611240001/update-at_risk/2026-11-25T11:00:00+08:00".into(),
                since: at("2026-11-26T06:12:00+08:00"),
            }
        );
    }

    #[test]
    fn working_time_targets_skip_nights_weekends_holidays_and_count_makeup_days() {
        let w = World::with_calendar(
            "- name: normal-late\n  when: {sla: resolution, state: breached}\n  then:\n  - notify: {to: assignee, template: late}\n",
            "holidays: ['2026-10-01..2026-10-07']\nworkdays: ['2026-10-10']\n",
        );
        // Normal: 3 working days (7.5 h each: 09:00-12:00, 13:30-18:00).
        // Created Wednesday 2026-09-30 at 09:00: the 30th is one day; 1-7
        // October are holidays; Saturday the 10th is a make-up workday
        // (调休) after Thursday 8th and Friday 9th — so due on Friday the
        // 9th at 18:00, breached at its next working second, which is the
        // make-up Saturday's 09:00.
        let t = ticket(at("2026-09-30T09:00:00+08:00"), "normal");
        assert_eq!(w.fire(&t, at("2026-10-05T12:00:00+08:00")), None);
        assert_eq!(w.fire(&t, at("2026-10-09T17:59:00+08:00")), None);
        assert_eq!(w.fire(&t, at("2026-10-09T23:00:00+08:00")), None);
        let fired = w
            .fire(&t, at("2026-10-10T09:00:01+08:00"))
            .expect("breached");
        assert_eq!(fired.since, at("2026-10-09T18:00:00+08:00"));
        assert_eq!(w.config.timezone, "Asia/Shanghai");
    }

    #[test]
    fn no_progress_fires_at_its_threshold_again_after_new_silence() {
        let w = World::new(
            "- name: nudge\n  when: {no_progress_for: 24h}\n  then:\n  - notify: {to: assignee, template: progress}\n",
        );
        let created = at("2026-11-24T10:00:00+08:00");
        let mut t = ticket(created, "normal");
        assert_eq!(w.fire(&t, at("2026-11-25T09:59:00+08:00")), None);
        let first = w.fire(&t, at("2026-11-25T10:00:00+08:00")).unwrap();
        assert_eq!(
            first,
            Firing {
                key: "nudge/CW202611240001/no_progress_for-1d/2026-11-24T10:00:00+08:00".into(),
                since: at("2026-11-25T10:00:00+08:00"),
            }
        );
        assert_eq!(
            w.fire(&t, at("2026-11-26T08:00:00+08:00")).unwrap().key,
            first.key
        );
        // A rule's note is no progress.
        let note = crate::model::Updated {
            note: Some("自动提醒".into()),
            ..Default::default()
        };
        let note = Event::new(at("2026-11-25T12:00:00+08:00"), "rule:other", note);
        t.history.push(note);
        t.refold().unwrap();
        assert_eq!(
            w.fire(&t, at("2026-11-25T12:30:00+08:00")).unwrap().key,
            first.key
        );
        t.update(
            "进展".into(),
            None,
            at("2026-11-25T13:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-26T12:59:00+08:00")), None);
        assert_eq!(
            w.fire(&t, at("2026-11-26T13:00:00+08:00")).unwrap().key,
            "nudge/CW202611240001/no_progress_for-1d/2026-11-25T13:00:00+08:00"
        );
        // Waiting on the customer, or closed: no progress is expected.
        t.update(
            "等客户".into(),
            Some(Status::Pending),
            at("2026-11-26T14:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-28T14:00:00+08:00")), None);
    }

    #[test]
    fn pending_fires_per_pending_spell() {
        let w = World::new(
            "- name: chase\n  when: {pending_for: 3d}\n  then:\n  - notify: {to: assignee, template: chase}\n",
        );
        let mut t = ticket(at("2026-11-20T10:00:00+08:00"), "normal");
        assert_eq!(w.fire(&t, at("2026-11-30T10:00:00+08:00")), None);
        let wait = at("2026-11-21T10:00:00+08:00");
        t.update("等客户".into(), Some(Status::Pending), wait, "li.na")
            .unwrap();
        // A further pending update is the same spell.
        t.update(
            "仍在等".into(),
            Some(Status::Pending),
            at("2026-11-22T10:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-24T09:59:00+08:00")), None);
        let first = w.fire(&t, at("2026-11-24T10:00:00+08:00")).unwrap();
        assert_eq!(
            first.key,
            "chase/CW202611240001/pending_for-3d/2026-11-21T10:00:00+08:00"
        );
        assert_eq!(
            w.fire(&t, at("2026-11-25T09:00:00+08:00")).unwrap().key,
            first.key
        );
        t.update(
            "客户回复".into(),
            Some(Status::InProgress),
            at("2026-11-25T10:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-29T10:00:00+08:00")), None);
        t.update(
            "再等".into(),
            Some(Status::Pending),
            at("2026-11-26T10:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(
            w.fire(&t, at("2026-11-29T10:00:00+08:00")).unwrap().key,
            "chase/CW202611240001/pending_for-3d/2026-11-26T10:00:00+08:00"
        );
    }

    #[test]
    fn unsurveyed_fires_once_per_close_until_surveyed() {
        let w = World::new(
            "- name: survey-reminder\n  when: {unsurveyed_for: 24h}\n  then:\n  - notify: {to: assignee, template: survey}\n",
        );
        let mut t = ticket(at("2026-11-20T10:00:00+08:00"), "normal");
        assert_eq!(w.fire(&t, at("2026-11-25T10:00:00+08:00")), None);
        let closed = at("2026-11-21T10:00:00+08:00");
        t.close("已解决".into(), None, None, closed, "li.na")
            .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-22T09:59:00+08:00")), None);
        let first = w.fire(&t, at("2026-11-22T10:00:00+08:00")).unwrap();
        assert_eq!(
            first.key,
            "survey-reminder/CW202611240001/unsurveyed_for-1d/2026-11-21T10:00:00+08:00"
        );
        assert_eq!(
            w.fire(&t, at("2026-11-23T09:00:00+08:00")).unwrap().key,
            first.key
        );
        // Reopened, closed again: a new closure, reminded anew.
        t.reopen("没好".into(), at("2026-11-23T10:00:00+08:00"), "li.na")
            .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-24T10:00:00+08:00")), None);
        t.close(
            "真的好了".into(),
            None,
            None,
            at("2026-11-24T10:00:00+08:00"),
            "li.na",
        )
        .unwrap();
        let second = w.fire(&t, at("2026-11-25T10:00:00+08:00")).unwrap();
        assert_eq!(
            second.key,
            "survey-reminder/CW202611240001/unsurveyed_for-1d/2026-11-24T10:00:00+08:00"
        );
        // Surveyed: done.
        let mut scores = std::collections::BTreeMap::new();
        for d in ["efficiency", "attitude", "solution"] {
            scores.insert(d.to_string(), 5u8);
        }
        let survey = Survey {
            scores,
            nps: None,
            comment: None,
            channel: None,
        };
        t.survey(survey, false, at("2026-11-25T11:00:00+08:00"), "li.na")
            .unwrap();
        let facts = TimeFacts::of(
            &Summary::of(&t),
            &w.policy,
            &w.calendar,
            at("2026-11-26T10:00:00+08:00"),
        );
        assert!(facts.surveyed);
        assert_eq!(facts.surveyed_at, Some(at("2026-11-25T11:00:00+08:00")));
        assert_eq!(w.fire(&t, at("2026-11-26T10:00:00+08:00")), None);
    }

    #[test]
    fn unassigned_fires_once_per_spell_without_an_assignee() {
        let w = World::new(
            "- name: nobody\n  when: {unassigned_for: 15min}\n  then:\n  - notify: {to: {role: supervisor}, template: unassigned}\n",
        );
        let created = at("2026-11-24T10:00:00+08:00");
        let mut t = Ticket::create(
            "CW202611240001".into(),
            NewTicket::sample(),
            created,
            "li.na",
        );
        assert_eq!(w.fire(&t, at("2026-11-24T10:14:59+08:00")), None);
        let first = w.fire(&t, at("2026-11-24T10:15:00+08:00")).unwrap();
        assert_eq!(
            first,
            Firing {
                key: "nobody/CW202611240001/unassigned_for-15m/2026-11-24T10:00:00+08:00".into(),
                since: at("2026-11-24T10:15:00+08:00"),
            }
        );
        // Progress without an assignee is no assignment.
        t.update(
            "看过了".into(),
            None,
            at("2026-11-24T10:20:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(
            w.fire(&t, at("2026-11-24T10:30:00+08:00")).unwrap().key,
            first.key
        );
        t.assign("li.na", None, at("2026-11-24T10:40:00+08:00"), "li.na")
            .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-24T12:00:00+08:00")), None);
        // An assignee cleared by a hand edit: a new spell.
        let cleared = crate::model::Edited {
            field: "assignee".into(),
            from: None,
            to: None,
            note: None,
            key: None,
        };
        t.history.push(Event::new(
            at("2026-11-24T11:00:00+08:00"),
            "li.na",
            cleared,
        ));
        let t = Ticket::from_history(t.id.clone(), t.history.clone()).unwrap();
        assert_eq!(t.assignee, None);
        assert_eq!(w.fire(&t, at("2026-11-24T11:14:00+08:00")), None);
        assert_eq!(
            w.fire(&t, at("2026-11-24T11:15:00+08:00")).unwrap().key,
            "nobody/CW202611240001/unassigned_for-15m/2026-11-24T11:00:00+08:00"
        );
        // Closed: nothing; reopened unassigned: a new spell from the reopen.
        let mut t = t;
        t.close(
            "已解答".into(),
            None,
            None,
            at("2026-11-24T11:30:00+08:00"),
            "li.na",
        )
        .unwrap();
        assert_eq!(w.fire(&t, at("2026-11-24T13:00:00+08:00")), None);
        t.reopen("没好".into(), at("2026-11-24T14:00:00+08:00"), "li.na")
            .unwrap();
        assert_eq!(
            w.fire(&t, at("2026-11-24T14:15:00+08:00")).unwrap().key,
            "nobody/CW202611240001/unassigned_for-15m/2026-11-24T14:00:00+08:00"
        );
    }

    #[test]
    fn conditions_of_time_rules_are_judged_on_the_ticket_as_it_is() {
        let w = World::new(
            "- name: escalate-urgent\n  when: {sla: resolution, state: breached}\n  if: {priority: urgent, customer.vip: true}\n  then:\n  - notify: {to: {role: supervisor}, template: escalation}\n",
        );
        let rule = &w.rules.rules[0];
        let mut t = ticket(at("2026-11-24T10:00:00+08:00"), "normal");
        let vip = crate::rules::Facts {
            customer_vip: Some(true),
            ..Default::default()
        };
        assert!(!crate::rules::holds_now(&w.rules, rule, &t, &vip));
        let edit = crate::model::Edit {
            field: "priority".into(),
            value: crate::yaml::Value::String("urgent".into()),
        };
        t.edit(vec![edit], None, at("2026-11-24T11:00:00+08:00"), "li.na")
            .unwrap();
        assert!(crate::rules::holds_now(&w.rules, rule, &t, &vip));
        assert!(!crate::rules::holds_now(
            &w.rules,
            rule,
            &t,
            &crate::rules::Facts::default()
        ));
    }

    #[test]
    fn a_disabled_rule_is_never_due() {
        let w = World::new(
            "- name: off\n  enabled: false\n  when: {no_progress_for: 1h}\n  then:\n  - notify: {to: assignee, template: x}\n",
        );
        let t = ticket(at("2026-11-24T10:00:00+08:00"), "normal");
        assert_eq!(w.fire(&t, at("2026-11-30T10:00:00+08:00")), None);
    }

    #[test]
    fn dormant_customers_are_reminded_once_per_dormancy() {
        let w = World::new(
            "- name: quarterly-callback\n  when: {dormant_for: 3m}\n  then:\n  - open: {type: consultation, title: 回访, priority: normal, channel: phone}\n  - notify: {to: owner, template: callback}\n",
        );
        let rule = &w.rules.rules[0];
        let crate::rules::Trigger::Time(trigger) = &rule.when else {
            panic!("a time rule")
        };
        let created = at("2026-01-05T10:00:00+08:00");
        let quiet = CustomerFacts::new("C000001", Activity::default(), None, created);
        let fire = |c: &CustomerFacts, now: &str| due_customer(rule, trigger, c, at(now));
        // Three months after the last activity, to the second, is not yet dormant.
        assert_eq!(fire(&quiet, "2026-04-05T10:00:00+08:00"), None);
        let first = fire(&quiet, "2026-04-05T10:00:01+08:00").unwrap();
        assert_eq!(
            first,
            Firing {
                key: "quarterly-callback/C000001/dormant_for-3m/2026-01-05T10:00:00+08:00".into(),
                since: at("2026-04-05T10:00:00+08:00"),
            }
        );
        assert_eq!(
            fire(&quiet, "2026-09-01T10:00:00+08:00").unwrap().key,
            first.key
        );
        // A logged contact ends the period; silence after it begins the next.
        let called = CustomerFacts::new(
            "C000001",
            Activity::default(),
            Some(at("2026-04-10T15:00:00+08:00")),
            created,
        );
        assert_eq!(fire(&called, "2026-07-01T10:00:00+08:00"), None);
        assert_eq!(
            fire(&called, "2026-07-10T15:00:01+08:00").unwrap().key,
            "quarterly-callback/C000001/dormant_for-3m/2026-04-10T15:00:00+08:00"
        );
        // An open ticket: not dormant, however old.
        let open = CustomerFacts::new(
            "C000001",
            Activity {
                tickets: 1,
                open: 1,
                last: Some(at("2026-01-06T10:00:00+08:00")),
            },
            None,
            created,
        );
        assert_eq!(fire(&open, "2026-12-01T10:00:00+08:00"), None);
        // Imported today, last in touch eight months ago: due at once,
        // from its import, keyed by that last contact.
        let imported = CustomerFacts::new(
            "C000002",
            Activity::default(),
            Some(at("2026-03-20T00:00:00+08:00")),
            at("2026-11-23T09:00:00+08:00"),
        );
        assert_eq!(
            fire(&imported, "2026-11-23T09:05:00+08:00"),
            Some(Firing {
                key: "quarterly-callback/C000002/dormant_for-3m/2026-03-20T00:00:00+08:00".into(),
                since: at("2026-11-23T09:00:00+08:00"),
            })
        );
        // Tickets are not customers.
        let t = ticket(created, "normal");
        assert_eq!(w.fire(&t, at("2026-12-01T10:00:00+08:00")), None);
    }

    #[test]
    fn durations_in_keys_read_as_written() {
        assert_eq!(duration(86_400), "1d");
        assert_eq!(duration(36 * 3600 + 30 * 60), "1d12h30m");
        assert_eq!(duration(45 * 60), "45m");
        assert_eq!(duration(0), "0m");
    }
}
