//! `types`: tickets created in the period by type (or category, or channel).

use std::collections::BTreeMap;

use compact_str::CompactString;

use super::{pct, Facts, GroupBy, Report};
use crate::output::{dec, int, text, Records};

/// The value a ticket is grouped under.
fn key_of(f: &Facts, by: GroupBy) -> CompactString {
    match by {
        GroupBy::Type => f.kind.clone(),
        GroupBy::Category => f.category.clone().unwrap_or_else(|| "(none)".into()),
        GroupBy::Channel => f.channel.clone(),
    }
}

/// The tickets created in the period per value of the `--by` field, most
/// frequent first (ties in name order, so the output is deterministic), and
/// their total.
pub fn counts(r: &Report) -> (Vec<(String, usize)>, usize) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for f in r.facts.iter().filter(|f| r.period.contains(f.created_date)) {
        *counts.entry(key_of(f, r.by).to_string()).or_default() += 1;
        total += 1;
    }
    let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (rows, total)
}

pub fn build(r: &Report) -> Records {
    let (rows, total) = counts(r);
    let mut records = Records::new(&[r.by.name(), "count", "share_pct"]);
    // Categories are free text; types and channels are short keys.
    if r.by == GroupBy::Category {
        records = records.cut(&[r.by.name()]);
    }
    for (key, count) in rows {
        records.push(vec![text(key), int(count), dec(pct(count, total), 1)]);
    }
    records
}
