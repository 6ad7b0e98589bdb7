//! Which ticket needs attention first, by its SLA clocks: the order of
//! `desk sla` (and of anything that lists what is due).

use std::cmp::Ordering;

use super::{ClockState, TicketClocks};

/// Most urgent first: the worst state (breached, at risk, running, …), then
/// the target that falls due earliest (tickets with none last), then the
/// priority's rank (its place in desk.yaml, most urgent first), then the ID.
pub fn by_urgency(
    (a_clocks, a_rank, a_id): (&TicketClocks, usize, &str),
    (b_clocks, b_rank, b_id): (&TicketClocks, usize, &str),
) -> Ordering {
    let due = |c: &TicketClocks| c.next().and_then(|k| k.due);
    a_clocks
        .worst()
        .unwrap_or(ClockState::Met)
        .cmp(&b_clocks.worst().unwrap_or(ClockState::Met))
        .then_with(|| match (due(a_clocks), due(b_clocks)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a_rank.cmp(&b_rank))
        .then_with(|| a_id.cmp(b_id))
}
