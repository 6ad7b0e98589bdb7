//! SLA clocks replayed from a ticket's history at read time: never stored,
//! so they cannot go stale. Time while the ticket is `pending` (waiting on
//! the customer) or closed does not count; a reopen resumes the clocks.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::Calendar;
use super::policy::{ClockKind, Policy, Target, TargetKind};
use crate::model::{Closure, Lifecycle, Mark, Status, Step};

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

/// The intervals in which the clocks run ([`Lifecycle::clocks_run`]); the
/// last one may be open-ended (`None`).
type Intervals = Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>;

/// The intervals, and the lifecycle after the last step.
fn active_intervals(marks: &[Mark]) -> (Intervals, Lifecycle) {
    let mut intervals = Vec::new();
    let mut life = Lifecycle::default();
    let mut since: Option<DateTime<Utc>> = None;
    for m in marks {
        life = life.after(&m.what);
        match (since, life.clocks_run()) {
            (Some(s), false) => {
                intervals.push((s, Some(utc(m))));
                since = None;
            }
            (None, true) => since = Some(utc(m)),
            _ => {}
        }
    }
    if let Some(s) = since {
        intervals.push((s, None));
    }
    (intervals, life)
}

fn utc(m: &Mark) -> DateTime<Utc> {
    m.at.0.with_timezone(&Utc)
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

/// Replays the clocks of one ticket from its history's steps
/// ([`Mark::of_history`], or a summary's marks). `priority` picks the targets.
pub fn replay(
    history: &[Mark],
    priority: &str,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> TicketClocks {
    let (active, life) = active_intervals(history);
    let meter = Meter {
        calendar,
        always: Calendar::always(calendar.tz()),
        active,
    };
    let created = history.first().map(utc).unwrap_or(now);
    let closed_now = life.status == Status::Closed;
    let paused_now = life.status == Status::Pending;
    let final_close = if closed_now {
        Closure::start_of(history.iter().map(|m| &m.what)).map(|i| utc(&history[i]))
    } else {
        None
    };
    let responded = history
        .iter()
        .find(|m| m.what.is_progress() || m.what == Step::Closed)
        .map(utc);

    // Progress points: creation, each update, each reopen; a close ends the last gap.
    let mut points: Vec<DateTime<Utc>> = vec![created];
    let mut gaps_end: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for m in &history[1.min(history.len())..] {
        if m.what.is_progress() || m.what == Step::Reopened {
            gaps_end.push((*points.last().expect("points"), utc(m)));
            points.push(utc(m));
        } else if m.what == Step::Closed {
            gaps_end.push((*points.last().expect("points"), utc(m)));
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
    use crate::clock::Timestamp;

    /// A history's steps at hours after `start` (local time, +08:00).
    fn marks(start: &str, steps: Vec<(f64, Step)>) -> Vec<Mark> {
        let t0 = Timestamp::parse(start).unwrap();
        steps
            .into_iter()
            .map(|(h, what)| Mark {
                at: Timestamp(t0.0 + chrono::Duration::seconds((h * 3600.0) as i64)),
                what,
            })
            .collect()
    }

    fn hours_after(start: &str, h: f64) -> DateTime<Utc> {
        Timestamp::parse(start).unwrap().0.with_timezone(&Utc)
            + chrono::Duration::seconds((h * 3600.0) as i64)
    }

    fn progress(status: Option<Status>) -> Step {
        Step::Updated {
            status,
            progress: true,
        }
    }

    const MONDAY: &str = "2026-11-02T09:00:00+08:00";

    /// The clocks, `now_h` hours after Monday 09:00, of a ticket whose
    /// steps are at hours after it; the seeds' policy and calendar.
    fn monday(steps: &[(f64, Step)], priority: &str, now_h: f64) -> TicketClocks {
        let (policy, cal) = crate::sla::seed();
        let marks = marks(MONDAY, steps.to_vec());
        replay(&marks, priority, &policy, &cal, hours_after(MONDAY, now_h))
    }

    #[test]
    fn response_runs_until_the_first_progress() {
        let created = vec![(0.0, Step::Created { assigned: true })];
        let at = |h| monday(&created, "urgent", h);
        let r = at(0.5);
        let response = r.get(TargetKind::Response).unwrap();
        assert_eq!(
            (response.state, response.elapsed_seconds),
            (ClockState::Running, 1800)
        );
        assert_eq!(response.due, Some(hours_after(MONDAY, 1.0)));
        // Less than a fifth of the hour left: at risk; past it: breached.
        assert_eq!(
            at(0.85).get(TargetKind::Response).unwrap().state,
            ClockState::AtRisk
        );
        assert_eq!(
            at(1.5).get(TargetKind::Response).unwrap().state,
            ClockState::Breached
        );
        let mut answered = created.clone();
        answered.push((0.75, progress(None)));
        let r = monday(&answered, "urgent", 3.0);
        let response = r.get(TargetKind::Response).unwrap();
        assert_eq!((response.state, response.due), (ClockState::Met, None));
        assert_eq!(r.first_response.unwrap().wall_seconds, 2700);
        // A rule's note is no response.
        let by_rule = vec![
            (0.0, Step::Created { assigned: true }),
            (
                0.5,
                Step::Updated {
                    status: None,
                    progress: false,
                },
            ),
        ];
        let r = monday(&by_rule, "urgent", 2.0);
        assert_eq!(
            r.get(TargetKind::Response).unwrap().state,
            ClockState::Breached
        );
        assert_eq!(r.first_response, None);
    }

    #[test]
    fn pending_pauses_the_clocks_and_progress_resumes_them() {
        let mut steps = vec![
            (0.0, Step::Created { assigned: true }),
            (0.5, progress(Some(Status::Pending))),
        ];
        let r = monday(&steps, "urgent", 10.0);
        let resolution = r.get(TargetKind::Resolution).unwrap();
        assert_eq!(resolution.elapsed_seconds, 1800);
        assert_eq!(
            (resolution.state, resolution.due),
            (ClockState::Paused, None)
        );
        steps.push((10.0, progress(Some(Status::InProgress))));
        let r = monday(&steps, "urgent", 11.0);
        let resolution = r.get(TargetKind::Resolution).unwrap();
        assert_eq!(resolution.elapsed_seconds, 5400);
        assert_eq!(resolution.state, ClockState::Running);
        // 3h30m of the 4h were left when the clock resumed at 10h.
        assert_eq!(resolution.due, Some(hours_after(MONDAY, 13.5)));
    }

    #[test]
    fn the_update_clock_keeps_its_longest_gap() {
        let steps = vec![
            (0.0, Step::Created { assigned: true }),
            (20.0, progress(None)),
            (50.0, progress(None)),
            (51.0, Step::Closed),
        ];
        let r = monday(&steps, "important", 60.0);
        let update = r.get(TargetKind::Update).unwrap();
        assert_eq!(update.elapsed_seconds, 30 * 3600);
        assert_eq!((update.state, update.due), (ClockState::Breached, None));
        // While open, the clock runs from the last progress.
        let r = monday(&steps[..3], "important", 52.0);
        let update = r.get(TargetKind::Update).unwrap();
        assert_eq!(update.elapsed_seconds, 2 * 3600);
        assert_eq!(update.due, Some(hours_after(MONDAY, 74.0)));
        // Still breached: a gap of 30h happened.
        assert_eq!(update.state, ClockState::Breached);
    }

    #[test]
    fn a_reopen_resumes_resolution_and_moves_the_final_close() {
        let mut steps = vec![
            (0.0, Step::Created { assigned: true }),
            (1.0, Step::Closed),
            (5.0, Step::Reopened),
        ];
        let r = monday(&steps, "urgent", 6.0);
        let resolution = r.get(TargetKind::Resolution).unwrap();
        assert_eq!(resolution.elapsed_seconds, 2 * 3600);
        assert_eq!(resolution.state, ClockState::Running);
        assert_eq!(r.resolution, None);
        steps.push((7.0, Step::Closed));
        let r = monday(&steps, "urgent", 9.0);
        let resolution = r.get(TargetKind::Resolution).unwrap();
        assert_eq!(
            (resolution.elapsed_seconds, resolution.state),
            (3 * 3600, ClockState::Met)
        );
        assert_eq!(r.resolution.unwrap().wall_seconds, 7 * 3600);
        // The first close answered the customer.
        assert_eq!(r.first_response.unwrap().wall_seconds, 3600);
    }

    #[test]
    fn working_clocks_skip_holidays_and_count_make_up_days() {
        let (policy, _) = crate::sla::seed();
        let config = crate::sla::CalendarConfig {
            holidays: vec!["2026-10-01..2026-10-07".into()],
            workdays: vec!["2026-10-10".into()],
            ..Default::default()
        };
        let cal = config.build(chrono_tz::Asia::Shanghai).unwrap();
        // Wednesday before National Day, 17:00: 3 working days (22.5h) is
        // 1h on Wednesday, Thursday 8 and Friday 9 after the holiday, and
        // the make-up Saturday 10 until 17:00.
        let start = "2026-09-30T17:00:00+08:00";
        let steps = marks(start, vec![(0.0, Step::Created { assigned: true })]);
        let r = replay(
            &steps,
            "normal",
            &policy,
            &cal,
            hours_after(start, 9.0 * 24.0 + 1.0),
        );
        let resolution = r.get(TargetKind::Resolution).unwrap();
        assert_eq!(resolution.clock, ClockKind::Working);
        assert_eq!(resolution.due, Some(hours_after(start, 10.0 * 24.0)));
        // By Friday 9 at 18:00: 1h + 7.5h + 7.5h.
        assert_eq!(resolution.elapsed_seconds, 16 * 3600);
        assert_eq!(resolution.state, ClockState::Running);
    }

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
