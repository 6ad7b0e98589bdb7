//! `types`: tickets created in the period by type (or category, or channel).

use std::collections::BTreeMap;

use super::{pct, GroupBy, Report};
use crate::output::{dec, int, text, Records};

pub fn build(r: &Report) -> Records {
    let column = match r.by {
        GroupBy::Type => "type",
        GroupBy::Category => "category",
        GroupBy::Channel => "channel",
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for f in r.facts.iter().filter(|f| r.period.contains(f.created_date)) {
        let key = match r.by {
            GroupBy::Type => f.kind.clone(),
            GroupBy::Category => f.category.clone().unwrap_or_else(|| "(none)".into()),
            GroupBy::Channel => f.channel.clone(),
        };
        *counts.entry(key.to_string()).or_default() += 1;
        total += 1;
    }
    let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
    // Most frequent first; ties in name order, so the output is deterministic.
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut records = Records::new(&[column, "count", "share_pct"]);
    for (key, count) in rows {
        records.push(vec![text(key), int(count), dec(pct(count, total), 1)]);
    }
    records
}
