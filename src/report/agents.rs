//! `agents`: load and handling per assignee.

use std::collections::BTreeSet;

use super::{mean, satisfaction, Facts, Report};
use crate::output::{dec, int, text, Records};

pub fn build(r: &Report) -> Records {
    let mut records = Records::new(&[
        "agent",
        "closed",
        "avg_hours",
        "open_at_end",
        "surveys",
        "avg_overall",
    ])
    // On a narrow terminal: the survey count, then the backlog, then the
    // satisfaction; the agent, closed and avg_hours stay.
    .spare(&["surveys", "open_at_end", "avg_overall"]);
    let mut agents: BTreeSet<&str> = r.config.agents.iter().map(|a| a.id.as_str()).collect();
    agents.extend(r.facts.iter().filter_map(|f| f.assignee.as_deref()));
    agents.extend(r.earlier.assignees.iter().map(|a| a.as_str()));
    let end = r.end();
    for agent in agents {
        let mine = |f: &&Facts| f.assignee.as_deref() == Some(agent);
        let closed: Vec<&Facts> = r.closed_in(&r.period).filter(mine).collect();
        let hours: Vec<f64> = closed
            .iter()
            .filter_map(|f| f.resolution)
            .map(|s| s.wall_seconds as f64 / 3600.0)
            .collect();
        let open = r
            .facts
            .iter()
            .filter(mine)
            .filter(|f| f.open_at(end))
            .count();
        let surveys: Vec<_> = r
            .facts
            .iter()
            .filter(mine)
            .flat_map(|f| f.surveys.iter())
            .filter(|s| r.period.contains(s.date))
            .collect();
        records.push(vec![
            text(agent),
            int(closed.len()),
            dec(mean(&hours), 2),
            int(open),
            int(surveys.len()),
            dec(satisfaction::overall(&surveys), 2),
        ]);
    }
    records
}
