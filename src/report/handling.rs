//! `handling`: tickets whose final close falls in the period, by priority.

use super::{mean, median, p90, pct, Facts, Report};
use crate::output::{dec, int, text, Records};

pub const COLUMNS: [&str; 12] = [
    "priority",
    "closed",
    "avg_hours",
    "median_hours",
    "p90_hours",
    "avg_first_response_hours",
    "avg_working_hours",
    "median_working_hours",
    "p90_working_hours",
    "avg_first_response_working_hours",
    "sla_met_pct",
    "reopened",
];

/// The columns a table on a narrow terminal leaves out, first to last:
/// the working-hours figures (the median and 90th percentile first), the
/// first response, then the rest of the detail; priority, closed, the
/// average hours and sla_met_pct stay.
pub const SPARE: [&str; 8] = [
    "avg_first_response_working_hours",
    "median_working_hours",
    "p90_working_hours",
    "avg_first_response_hours",
    "avg_working_hours",
    "reopened",
    "p90_hours",
    "median_hours",
];

pub fn build(r: &Report) -> Records {
    let mut records = Records::new(&COLUMNS).spare(&SPARE);
    for (priority, group) in r.closed_by_priority() {
        records.push(row(priority, &group));
    }
    let closed: Vec<&Facts> = r.closed_in(&r.period).collect();
    records.push(row("all", &closed));
    records
}

/// Average hours per priority, for the summary sentence.
pub fn avg_hours(facts: &[&Facts]) -> Option<f64> {
    mean(&hours(facts, |s| s.wall_seconds))
}

fn hours(facts: &[&Facts], pick: impl Fn(&crate::sla::Span) -> i64) -> Vec<f64> {
    facts
        .iter()
        .filter_map(|f| f.resolution.as_ref())
        .map(|s| pick(s) as f64 / 3600.0)
        .collect()
}

fn row(label: &str, group: &[&Facts]) -> Vec<crate::output::Cell> {
    let wall = hours(group, |s| s.wall_seconds);
    let working = hours(group, |s| s.working_seconds);
    let first: Vec<f64> = group
        .iter()
        .filter_map(|f| f.first_response)
        .map(|s| s.wall_seconds as f64 / 3600.0)
        .collect();
    let first_working: Vec<f64> = group
        .iter()
        .filter_map(|f| f.first_response)
        .map(|s| s.working_seconds as f64 / 3600.0)
        .collect();
    let met = group.iter().filter(|f| f.sla_met()).count();
    let reopened = group.iter().filter(|f| f.reopened > 0).count();
    vec![
        text(label),
        int(group.len()),
        dec(mean(&wall), 2),
        dec(median(&wall), 2),
        dec(p90(&wall), 2),
        dec(mean(&first), 2),
        dec(mean(&working), 2),
        dec(median(&working), 2),
        dec(p90(&working), 2),
        dec(mean(&first_working), 2),
        dec(pct(met, group.len()), 1),
        int(reopened),
    ]
}
