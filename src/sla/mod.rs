//! SLA clocks: the business calendar, the targets of `desk.yaml`, and the
//! pure replay `(history, policy, calendar, now) → clocks`.

mod calendar;
mod clocks;
mod policy;

pub use calendar::{parse_ranges, Calendar, Range};
pub use clocks::{
    format_left, format_seconds, replay, state_of, Clock, ClockState, Span, TicketClocks,
};
pub use policy::{
    parse_duration, CalendarConfig, ClockKind, HolidayFile, Policy, PriorityTargets, SlaConfig,
    Target, TargetConfig, TargetKind, Week,
};
