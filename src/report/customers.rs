//! `customers`: the customers with the most complaints created in the
//! period, with their names as shown (masked). Which types are complaints
//! is a setting of desk.yaml (`report.complaint_types`).

use std::collections::BTreeMap;

use super::Report;
use crate::output::{int, text, Records};

/// How many customers the section lists.
const TOP: usize = 10;

/// The listed customers with their complaints and tickets in the period,
/// most complaints first (ties in ID order).
pub fn top<'a>(r: &'a Report) -> Vec<(&'a str, usize, usize)> {
    let complaint = r.config.complaint_types();
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for f in r.facts.iter().filter(|f| r.period.contains(f.created_date)) {
        let entry = per.entry(f.customer.as_str()).or_default();
        entry.1 += 1;
        if complaint.iter().any(|k| *k == f.kind) {
            entry.0 += 1;
        }
    }
    let mut rows: Vec<_> = per.into_iter().filter(|(_, (c, _))| *c > 0).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    rows.into_iter()
        .take(TOP)
        .map(|(id, (complaints, tickets))| (id, complaints, tickets))
        .collect()
}

pub fn build(r: &Report) -> Records {
    let mut records = Records::new(&["customer", "name", "complaints", "tickets"])
        .cut(&["name"])
        .spare(&["tickets"]);
    for (customer, complaints, tickets) in top(r) {
        let name = r.names.get(customer).map_or("", String::as_str);
        records.push(vec![
            text(customer),
            text(name),
            int(complaints),
            int(tickets),
        ]);
    }
    records
}
