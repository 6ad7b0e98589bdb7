//! SLA clocks: the business calendar, the targets of `desk.yaml`, and the
//! pure replay `(history, policy, calendar, now) → clocks`.

mod calendar;
mod clocks;
mod policy;
mod shipped;
mod urgency;

pub use calendar::{parse_ranges, Calendar, Range, RangeError};
pub use clocks::{
    format_left, format_seconds, replay, state_of, Clock, ClockState, Span, TicketClocks,
};
pub use policy::{
    CalendarConfig, ClockKind, DateError, HolidayFile, Policy, PriorityTargets, SettingsError,
    SlaConfig, Target, TargetConfig, TargetKind, Week,
};
pub use shipped::{default_calendar, shipped_calendar};
pub use urgency::by_urgency;

/// The seeds' calendar (Shanghai, no holidays) and SLA policy, for tests.
#[cfg(test)]
pub(crate) fn seed() -> (Policy, Calendar) {
    let config = crate::config::Config::seed_defaults();
    let calendar = config.calendar.build(chrono_tz::Asia::Shanghai).unwrap();
    let priorities: Vec<String> = config.priorities.iter().map(|c| c.key.clone()).collect();
    let policy = config.sla.build(&calendar, &priorities).unwrap();
    (policy, calendar)
}
