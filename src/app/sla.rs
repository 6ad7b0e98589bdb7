//! `desk sla`'s board: the clocks of the tickets, most urgent first.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::Summary;
use crate::sla::{by_urgency, replay, ClockState, TicketClocks};
use crate::store::{Store, SummaryScan};

/// `desk sla`'s board at `now`: the clocks of the open tickets (`all`:
/// closed ones too), only those with a breached target when `breached`,
/// most urgent first. The scan's unreadable files are in its errors.
pub fn sla_board(
    store: &Store,
    now: Timestamp,
    all: bool,
    breached: bool,
) -> Result<(Vec<(Summary, TicketClocks)>, SummaryScan)> {
    let now = now.0.with_timezone(&chrono::Utc);
    let (policy, calendar) = store.sla()?;
    let mut scan = store.summaries_where(true, |t| all || t.status.is_open())?;
    let mut rows: Vec<(Summary, TicketClocks)> = std::mem::take(&mut scan.summaries)
        .into_iter()
        .map(|t| {
            let clocks = replay(&t.marks, &t.priority, policy, calendar, now);
            (t, clocks)
        })
        .filter(|(_, c)| !breached || c.worst() == Some(ClockState::Breached))
        .collect();
    let rank = |t: &Summary| store.config.priority_rank(&t.priority);
    rows.sort_by(|(a, ca), (b, cb)| by_urgency((ca, rank(a), &a.id), (cb, rank(b), &b.id)));
    Ok((rows, scan))
}
