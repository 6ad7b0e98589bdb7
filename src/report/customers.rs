//! `customers`: the customers with the most complaints created in the period.

use std::collections::BTreeMap;

use super::Report;
use crate::output::{int, text, Records};

/// How many customers the section lists.
const TOP: usize = 10;

pub fn build(r: &Report) -> Records {
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for f in r.facts.iter().filter(|f| r.period.contains(f.created_date)) {
        let entry = per.entry(f.customer.as_str()).or_default();
        entry.1 += 1;
        if f.kind == "complaint" {
            entry.0 += 1;
        }
    }
    let mut rows: Vec<_> = per.into_iter().filter(|(_, (c, _))| *c > 0).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut records = Records::new(&["customer", "complaints", "tickets"]);
    for (customer, (complaints, tickets)) in rows.into_iter().take(TOP) {
        records.push(vec![text(customer), int(complaints), int(tickets)]);
    }
    records
}
