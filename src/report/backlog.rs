//! `backlog`: tickets open at the end of the period (or now, for a period
//! not over yet), by age and priority.

use super::Report;
use crate::output::{int, text, Records};

const BUCKETS: [(&str, i64); 5] = [
    ("<1d", 1),
    ("1-3d", 3),
    ("3-7d", 7),
    ("7-30d", 30),
    (">=30d", i64::MAX),
];

pub fn build(r: &Report) -> Records {
    let priorities: Vec<&str> = r.config.priorities.iter().map(|p| p.key.as_str()).collect();
    let mut headers = vec!["age", "open"];
    headers.extend(priorities.iter().copied());
    // No column is spare: the counts by priority belong together, and a
    // terminal too narrow for them gets the vertical view.
    let mut records = Records::new(&headers);
    let end = r.as_of();
    let open: Vec<_> = r.facts.iter().filter(|f| f.open_at(end)).collect();
    let mut lower = 0;
    for (label, upper_days) in BUCKETS {
        let in_bucket: Vec<_> = open
            .iter()
            .filter(|f| {
                let age = (end - f.created).num_seconds();
                age >= lower && (upper_days == i64::MAX || age < upper_days * 86_400)
            })
            .collect();
        let mut row = vec![text(label), int(in_bucket.len())];
        for p in &priorities {
            row.push(int(in_bucket.iter().filter(|f| f.priority == *p).count()));
        }
        records.push(row);
        lower = upper_days.saturating_mul(86_400);
    }
    records
}
