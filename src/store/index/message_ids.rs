//! The Message-ID index (`.desk/cache/message-ids.bin`): the Message-IDs
//! of the mail each ticket file records (`received` events, and desk's own
//! mail to the customer: `replied` and `notified` events), so that
//! `desk mail-in` skips a message filed before and threads a reply without
//! parsing every ticket. A companion of the ticket cache: reading commands
//! keep it up to date from the same parse of each changed ticket.

use super::tickets::Tickets;
use super::Derived;
use crate::error::Result;
use crate::model::{Payload, Ticket, TicketId};
use crate::store::Store;

pub(in crate::store) struct MessageIds;

impl Derived for MessageIds {
    type Folder = Tickets;
    /// The Message-IDs of one ticket file, in history order.
    type Record = Vec<String>;
    const NAME: &'static str = "message-ids";
    const FILE: &'static str = "message-ids.bin";
    const MAGIC: &'static [u8; 8] = b"DESKM002";

    fn derive(ticket: &Ticket) -> Vec<String> {
        ticket
            .history
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::Received(r) => Some(r.message_id.clone()),
                Payload::Replied(r) => Some(r.message_id.clone()),
                Payload::Notified(n) => n.message_id.clone(),
                _ => None,
            })
            .collect()
    }
}

impl Store {
    /// Every Message-ID a ticket records, with its ticket (the lowest ID,
    /// should two record it): what a run of `desk mail-in` looks messages
    /// up in, from one refresh.
    pub fn messages_filed(&self) -> Result<std::collections::HashMap<String, TicketId>> {
        let mut filed: std::collections::HashMap<String, TicketId> = Default::default();
        let old = self.open_index::<MessageIds>();
        self.refresh::<MessageIds>(old, false, |_, file, recorded| {
            let stem = file.rsplit('/').next().unwrap_or(file);
            let Some(ticket) = stem.strip_suffix(".yaml").and_then(TicketId::parse) else {
                return;
            };
            for id in recorded {
                filed
                    .entry(id)
                    .and_modify(|t| {
                        if ticket < *t {
                            *t = ticket.clone();
                        }
                    })
                    .or_insert_with(|| ticket.clone());
            }
        })?;
        Ok(filed)
    }
}
