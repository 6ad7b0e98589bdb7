//! `desk outbox`: the deliveries that rules queued and their state, and
//! the findings of `desk check` about them.

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::outbox::{self, Delivery, DeliveryState};
use crate::model::{Finding, Ticket, TicketId};
use crate::rules::Rules;
use crate::store::Store;

/// `desk outbox`: the deliveries not made, by ticket ID, and the ticket
/// files that could not be read (or hold another ticket than their name).
pub struct Outbox {
    pub rows: Vec<OutboxRow>,
    pub errors: Vec<Error>,
}

/// One delivery not made, and what it would use by the rules of now.
pub struct OutboxRow {
    pub ticket: String,
    pub delivery: Delivery,
    /// `templates/NAME.txt` or the hook's command line, from the rule that
    /// explains the entry; `Err`: why no rule does. `None` when the rules
    /// do not parse (see [`Outbox::errors`]).
    pub uses: Option<std::result::Result<String, String>>,
}

/// Every delivery not yet made (pending, retrying) or given up, by
/// ticket then in the order queued, each with what its rule uses now.
/// Rules that do not parse hide no row: what they would use is then
/// not known.
pub fn outbox(store: &Store) -> Result<Outbox> {
    let mut scan = store.placed_summaries_where(|s| s.open_deliveries > 0 || may_have_failed(s))?;
    let mut errors = misplaced_errors(store, &mut scan);
    let rules = super::rules::rules(store);
    let mut rows = Vec::new();
    if let Err(e) = &rules {
        errors.push(Error::Refused(format!(
            "the rules do not parse, so what each delivery would use is not shown: {e}"
        )));
    }
    let mut ids: Vec<&str> = scan.summaries.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    for id in ids {
        let Some(tid) = TicketId::parse(id) else {
            continue;
        };
        let ticket = match store.load_ticket(&tid) {
            Ok(ticket) => ticket,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for d in outbox::deliveries(&ticket.history) {
            // Delivered or dropped: settled, nothing for anyone to do.
            if !matches!(d.state, DeliveryState::Delivered | DeliveryState::Dropped) {
                let uses = rules.as_ref().ok().map(|rules| {
                    crate::rules::explain(rules, &ticket, &d)
                        .map(|w| w.uses())
                        .map_err(|why| format!("not delivered: {why}"))
                });
                rows.push(OutboxRow {
                    ticket: ticket.id.clone(),
                    delivery: d,
                    uses,
                });
            }
        }
    }
    errors.append(&mut scan.errors);
    Ok(Outbox { rows, errors })
}

/// The tickets of a scan whose file holds another ID than its name (or
/// no ticket ID at all), each an error naming the file: their
/// deliveries would be made from, and recorded in, the wrong file.
pub(super) fn misplaced_errors(_store: &Store, scan: &mut crate::store::SummaryScan) -> Vec<Error> {
    std::mem::take(&mut scan.misplaced)
        .into_iter()
        .map(|(shown, s)| Error::Parse {
            path: shown,
            line: None,
            message: match TicketId::parse(&s.id) {
                Some(id) => format!(
                    "holds ticket '{}', which belongs at {}: its deliveries and time \
                     rules wait until the file is named after its ID (desk check)",
                    s.id,
                    id.relative_path().display()
                ),
                None => format!(
                    "'{}' is not a ticket ID: the file's deliveries and time rules wait \
                     until it holds its own ID (desk check)",
                    s.id
                ),
            },
        })
        .collect()
}

/// `desk check`'s findings about a ticket's deliveries: each one still
/// to be made (pending or retrying) that no rule of desk.yaml explains,
/// which `desk run` will not deliver. `shown` is the ticket's file.
pub fn delivery_findings(
    _store: &Store,
    ticket: &Ticket,
    rules: &Rules,
    shown: &Path,
) -> Vec<Finding> {
    outbox::deliveries(&ticket.history)
        .into_iter()
        .filter(|d| d.state.is_open())
        .filter_map(|d| {
            let why = crate::rules::explain(rules, ticket, &d).err()?;
            Some(Finding::new(
                shown,
                None,
                format!(
                    "queued entry {} (by {}, via {}) is explained by no rule of \
                     desk.yaml: {why}; `desk run` does not deliver it. If desk did not \
                     write it (it came in a commit), remove it; if its rule was renamed or \
                     removed while it waited, restore the rule (`enabled: false` is \
                     enough) until `desk outbox` no longer lists it",
                    d.key,
                    d.queued.by,
                    d.via()
                ),
            ))
        })
        .collect()
}

/// Whether a ticket's summary may hide a given-up delivery.
fn may_have_failed(s: &crate::model::Summary) -> bool {
    s.failed_deliveries > 0
}
