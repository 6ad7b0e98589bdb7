//! SLA clocks replayed from a ticket's history at read time: never stored,
//! so they cannot go stale. Time while the ticket is `pending` (waiting on
//! the customer) or closed does not count; a reopen resumes the clocks.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::Calendar;
use super::policy::{ClockKind, Policy, Target, TargetKind};
use crate::model::{Action, Closure, Event, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Past its target.
    Breached,
    /// Running with less than the at-risk share of its target left.
    AtRisk,
    /// Running.
    Running,
    /// Stopped while waiting on the customer; no due time until it resumes.
    Paused,
    /// Finished within its target.
    Met,
}

impl ClockState {
    pub fn name(self) -> &'static str {
        match self {
            ClockState::Breached => "breached",
            ClockState::AtRisk => "at_risk",
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
        }
    }
}

/// One target's clock for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clock {
    pub kind: TargetKind,
    pub target_seconds: i64,
    pub clock: ClockKind,
    /// When the target falls due; `None` when paused or finished.
    pub due: Option<DateTime<Utc>>,
    /// Counted time on the target's clock (for `update`, the current gap,
    /// or the longest one once the ticket is closed).
    pub elapsed_seconds: i64,
    pub state: ClockState,
    /// When the clock (for `update`, its current gap) crossed into the
    /// at-risk share of its target; set while it is at risk.
    #[serde(skip)]
    pub at_risk_since: Option<DateTime<Utc>>,
}

impl Clock {
    /// Remaining time on the target's clock; negative when overrun.
    pub fn remaining_seconds(&self) -> i64 {
        self.target_seconds - self.elapsed_seconds
    }

    /// The time left to act on, or overrun by: none once the target is met,
    /// where the time that was to spare is of no use to anyone.
    pub fn left_seconds(&self) -> Option<i64> {
        (self.state != ClockState::Met).then(|| self.remaining_seconds())
    }
}

/// Plain durations, not paused, for reports: wall-clock and working seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    pub wall_seconds: i64,
    pub working_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketClocks {
    /// Per target that the ticket's priority has.
    pub clocks: Vec<Clock>,
    /// Creation to the first response (`updated` or `closed` event).
    pub first_response: Option<Span>,
    /// Creation to the final close, if closed now.
    pub resolution: Option<Span>,
}

impl TicketClocks {
    pub fn get(&self, kind: TargetKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }

    /// The most pressing state, for sorting: breached first.
    pub fn worst(&self) -> Option<ClockState> {
        self.clocks.iter().map(|c| c.state).min()
    }

    /// The running target that falls due first (a breached one fell due
    /// before any other); none when every target is met or paused.
    pub fn next(&self) -> Option<&Clock> {
        self.clocks
            .iter()
            .filter(|c| c.due.is_some())
            .min_by_key(|c| c.due)
    }
}

/// The intervals in which the clocks run: status open or in progress.
/// The last one may be open-ended (`None`).
/// Also returns the status after the last event.
type Intervals = Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>;

fn active_intervals(history: &[Event]) -> (Intervals, Status) {
    let mut intervals = Vec::new();
    let mut status = Status::Open;
    let mut assigned = false;
    let mut since: Option<DateTime<Utc>> = None;
    for event in history {
        let at = event.at.0.with_timezone(&Utc);
        let next = match &event.action {
            Action::Created => {
                assigned = event.to.is_some();
                Some(Status::Open)
            }
            Action::Assigned => {
                assigned = true;
                (status == Status::Open).then_some(Status::InProgress)
            }
            Action::Updated => event.status.as_deref().and_then(Status::from_key),
            Action::Closed => Some(Status::Closed),
            Action::Reopened => Some(if assigned {
                Status::InProgress
            } else {
                Status::Open
            }),
            Action::Edited if event.field.as_deref() == Some("status") => event
                .to
                .as_ref()
                .and_then(|v| v.as_str())
                .and_then(Status::from_key),
            _ => None,
        };
        let Some(next) = next else { continue };
        let was_active = since.is_some();
        let active = matches!(next, Status::Open | Status::InProgress);
        if was_active && !active {
            intervals.push((since.take().expect("active"), Some(at)));
        } else if !was_active && active {
            since = Some(at);
        }
        status = next;
    }
    if let Some(s) = since {
        intervals.push((s, None));
    }
    (intervals, status)
}

struct Meter<'a> {
    calendar: &'a Calendar,
    always: Calendar,
    active: Intervals,
}

impl Meter<'_> {
    fn cal(&self, clock: ClockKind) -> &Calendar {
        match clock {
            ClockKind::Calendar => &self.always,
            ClockKind::Working => self.calendar,
        }
    }

    /// Counted time in `[from, to)`: active and (for working clocks) working.
    fn measure(&self, clock: ClockKind, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let cal = self.cal(clock);
        self.active
            .iter()
            .map(|&(s, e)| {
                let s = s.max(from);
                let e = e.map_or(to, |e| e.min(to));
                cal.working_seconds(s, e)
            })
            .sum()
    }

    /// When `seconds` of counted time have passed since `from`; `None` when
    /// the clock is stopped now before getting there (paused or closed).
    fn due(&self, clock: ClockKind, from: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
        let cal = self.cal(clock);
        let mut left = seconds;
        for &(s, e) in &self.active {
            let s = s.max(from);
            match e {
                Some(e) if e <= s => continue,
                Some(e) => {
                    let in_interval = cal.working_seconds(s, e);
                    if in_interval >= left {
                        return cal.add_working(s, left);
                    }
                    left -= in_interval;
                }
                None => return cal.add_working(s, left),
            }
        }
        None
    }
}

/// Replays the clocks of one ticket. `priority` picks the targets.
pub fn replay(
    history: &[Event],
    priority: &str,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> TicketClocks {
    let (active, status) = active_intervals(history);
    let meter = Meter {
        calendar,
        always: Calendar::always(calendar.tz),
        active,
    };
    let utc = |e: &Event| e.at.0.with_timezone(&Utc);
    let created = history.first().map(utc).unwrap_or(now);
    let closed_now = status == Status::Closed;
    let paused_now = status == Status::Pending;
    let final_close = if closed_now {
        Closure::start_of(history.iter().map(|e| &e.action)).map(|i| utc(&history[i]))
    } else {
        None
    };
    let responded = history
        .iter()
        .find(|e| e.is_progress() || e.action == Action::Closed)
        .map(utc);

    // Progress points: creation, each update, each reopen; a close ends the last gap.
    let mut points: Vec<DateTime<Utc>> = vec![created];
    let mut gaps_end: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for e in &history[1.min(history.len())..] {
        if e.is_progress() || e.action == Action::Reopened {
            gaps_end.push((*points.last().expect("points"), utc(e)));
            points.push(utc(e));
        } else if e.action == Action::Closed {
            gaps_end.push((*points.last().expect("points"), utc(e)));
        }
    }
    let last_point = *points.last().expect("points");

    let span = |from: DateTime<Utc>, to: DateTime<Utc>| Span {
        wall_seconds: (to - from).num_seconds(),
        working_seconds: calendar.working_seconds(from, to),
    };
    let [response, update, resolution] = policy.targets(priority);
    let mut clocks = Vec::new();
    let state = |t: &Target, elapsed: i64, finished: bool, paused: bool| {
        state_of(t.seconds, elapsed, finished, paused, policy.at_risk)
    };
    // At risk once the counted time passes the target less its at-risk share.
    let at_risk_since = |t: &Target, from: DateTime<Utc>, st: ClockState| {
        let point = t.seconds as f64 - policy.at_risk * t.seconds as f64;
        (st == ClockState::AtRisk)
            .then(|| meter.due(t.clock, from, point.floor() as i64))
            .flatten()
    };
    // Response and resolution both run from creation until one event (or now).
    let from_creation = |kind: TargetKind, t: Target, end: Option<DateTime<Utc>>| {
        let elapsed = meter.measure(t.clock, created, end.unwrap_or(now));
        let finished = end.is_some();
        let st = state(&t, elapsed, finished, paused_now);
        Clock {
            kind,
            target_seconds: t.seconds,
            clock: t.clock,
            due: if finished {
                None
            } else {
                meter.due(t.clock, created, t.seconds)
            },
            elapsed_seconds: elapsed,
            state: st,
            at_risk_since: at_risk_since(&t, created, st),
        }
    };
    if let Some(t) = response {
        clocks.push(from_creation(TargetKind::Response, t, responded));
    }
    if let Some(t) = update {
        let worst_done = gaps_end
            .iter()
            .map(|&(a, b)| meter.measure(t.clock, a, b))
            .max()
            .unwrap_or(0);
        let (elapsed, due) = if closed_now {
            (worst_done, None)
        } else {
            (
                meter.measure(t.clock, last_point, now),
                meter.due(t.clock, last_point, t.seconds),
            )
        };
        let gap = state(&t, elapsed, closed_now, paused_now);
        let st = if worst_done > t.seconds {
            ClockState::Breached
        } else {
            gap
        };
        clocks.push(Clock {
            kind: TargetKind::Update,
            target_seconds: t.seconds,
            clock: t.clock,
            due,
            elapsed_seconds: elapsed,
            state: st,
            at_risk_since: at_risk_since(&t, last_point, gap),
        });
    }
    if let Some(t) = resolution {
        clocks.push(from_creation(TargetKind::Resolution, t, final_close));
    }
    TicketClocks {
        clocks,
        first_response: responded.map(|r| span(created, r)),
        resolution: final_close.map(|c| span(created, c)),
    }
}

/// The state of a clock with `elapsed` counted seconds of a target of
/// `target` seconds: breached past it; else met once finished, paused while
/// waiting on the customer, at risk with less than the `at_risk` share left.
pub fn state_of(
    target: i64,
    elapsed: i64,
    finished: bool,
    paused: bool,
    at_risk: f64,
) -> ClockState {
    if elapsed > target {
        ClockState::Breached
    } else if finished {
        ClockState::Met
    } else if paused {
        ClockState::Paused
    } else if ((target - elapsed) as f64) < at_risk * target as f64 {
        ClockState::AtRisk
    } else {
        ClockState::Running
    }
}

/// Hours as a person reads them: `3h20m`, `-1h05m` for an overrun.
pub fn format_seconds(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    // Unsigned, so that no value (not even i64::MIN) overflows.
    let m = seconds.unsigned_abs() / 60;
    let hours = m / 60;
    if hours >= 48 {
        format!("{sign}{}d{:02}h", hours / 24, hours % 24)
    } else {
        format!("{sign}{hours}h{:02}m", m % 60)
    }
}

/// Remaining time as a person says it: `2h15m left`, `45m left`,
/// `overdue 1d3h`. Minutes go once a day is reached.
pub fn format_left(seconds: i64) -> String {
    let m = seconds.abs() / 60;
    let (d, h, m) = (m / (24 * 60), m / 60 % 24, m % 60);
    let span = match (d, h, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    };
    if seconds < 0 {
        format!("overdue {span}")
    } else {
        format!("{span} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_as_a_person_says_it() {
        assert_eq!(format_left(2 * 3600 + 15 * 60), "2h15m left");
        assert_eq!(format_left(3600 + 5 * 60 + 59), "1h05m left");
        assert_eq!(format_left(45 * 60), "45m left");
        assert_eq!(format_left(0), "0m left");
        assert_eq!(format_left(-(27 * 3600 + 10 * 60)), "overdue 1d3h");
        assert_eq!(format_left(-30 * 60), "overdue 30m");
        assert_eq!(format_left(3 * 86400 + 600), "3d left");
    }

    #[test]
    fn the_next_target_is_the_running_one_due_first() {
        let at = |h: i64| Some(DateTime::<Utc>::from_timestamp(h * 3600, 0).unwrap());
        let clock = |kind, due, state| Clock {
            kind,
            target_seconds: 3600,
            clock: ClockKind::Calendar,
            due,
            elapsed_seconds: 0,
            state,
            at_risk_since: None,
        };
        let mut clocks = TicketClocks {
            clocks: vec![
                clock(TargetKind::Response, None, ClockState::Met),
                clock(TargetKind::Update, at(30), ClockState::Running),
                clock(TargetKind::Resolution, at(20), ClockState::AtRisk),
            ],
            first_response: None,
            resolution: None,
        };
        assert_eq!(clocks.next().unwrap().kind, TargetKind::Resolution);
        clocks.clocks[2] = clock(TargetKind::Resolution, None, ClockState::Paused);
        assert_eq!(clocks.next().unwrap().kind, TargetKind::Update);
        clocks.clocks[1] = clock(TargetKind::Update, None, ClockState::Met);
        assert!(clocks.next().is_none());
    }

    #[test]
    fn a_met_target_has_no_time_left() {
        let clock = |state| Clock {
            kind: TargetKind::Response,
            target_seconds: 3600,
            clock: ClockKind::Calendar,
            due: None,
            elapsed_seconds: 600,
            state,
            at_risk_since: None,
        };
        assert_eq!(clock(ClockState::Met).left_seconds(), None);
        assert_eq!(clock(ClockState::Running).left_seconds(), Some(3000));
        assert_eq!(clock(ClockState::Paused).left_seconds(), Some(3000));
    }
}
