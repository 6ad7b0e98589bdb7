//! `sla`: compliance by priority and target, for tickets closed in the period.

use super::{pct, Report};
use crate::output::{dec, int, text, Records};
use crate::sla::{ClockState, TargetKind};

pub fn build(r: &Report) -> Records {
    let mut records = Records::new(&[
        "priority", "target", "tickets", "met", "breached", "met_pct",
    ])
    // On a narrow terminal: the counts met_pct is made of.
    .spare(&["breached", "met"]);
    for p in &r.config.priorities {
        for kind in TargetKind::ALL {
            let states: Vec<ClockState> = r
                .closed_in(&r.period)
                .filter(|f| f.priority == p.key)
                .filter_map(|f| f.targets.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s))
                .collect();
            if states.is_empty() {
                continue;
            }
            let breached = states
                .iter()
                .filter(|s| **s == ClockState::Breached)
                .count();
            let met = states.len() - breached;
            records.push(vec![
                text(&p.key),
                text(kind.name()),
                int(states.len()),
                int(met),
                int(breached),
                dec(pct(met, states.len()), 1),
            ]);
        }
    }
    records
}
