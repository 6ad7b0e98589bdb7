//! The workload index (`.desk/cache/workload/`): what routing needs of
//! every ticket (its assignee, whether it is open, when it was created),
//! kept per folder of `tickets/` (`folders.rs`), so that an assignment by a
//! role's strategy costs a stat of each folder and of each open ticket
//! rather than a stat of every file. Each folder's head holds the load of
//! each agent in it.
//!
//! What it can miss (see `folders.rs`): an edit in place that reopens or
//! reassigns a closed ticket, in a folder nothing else changed. That shifts
//! which agent a role's strategy picks, never a ticket's data; `desk cache
//! rebuild` (or clear) starts the index afresh.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::folders::PerFolder;
use crate::error::Result;
use crate::model::{Summary, Ticket, TicketId};
use crate::store::Store;

/// What routing needs of one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub id: String,
    /// The ID's serial, for IDs of desk's shape: "newest" compares it as
    /// a number.
    pub serial: Option<u32>,
    pub assignee: Option<String>,
    pub open: bool,
    /// When it was created, in nanoseconds since 1970 (UTC).
    pub created: i128,
}

impl Fact {
    fn of(ticket: &Ticket) -> Fact {
        Fact {
            serial: TicketId::parse(&ticket.id).map(|id| id.serial),
            id: ticket.id.clone(),
            assignee: ticket.assignee.clone(),
            open: ticket.status.is_open(),
            created: nanos(
                ticket.created.0.timestamp(),
                ticket.created.0.timestamp_subsec_nanos(),
            ),
        }
    }

    fn of_summary(s: &Summary) -> Fact {
        Fact {
            serial: TicketId::parse(&s.id).map(|id| id.serial),
            id: s.id.to_string(),
            assignee: s.assignee.as_ref().map(ToString::to_string),
            open: s.status.is_open(),
            created: nanos(
                s.created.0.timestamp(),
                s.created.0.timestamp_subsec_nanos(),
            ),
        }
    }

    /// The order of "newest": by creation, then by serial as a number
    /// (CW…9905 before CW…10005), then by the ID's text for IDs of no known
    /// shape.
    pub fn newness(&self) -> (i128, Option<u32>, &str) {
        (self.created, self.serial, &self.id)
    }
}

fn nanos(secs: i64, sub: u32) -> i128 {
    i128::from(secs) * 1_000_000_000 + i128::from(sub)
}

/// One agent's tickets: how many are open, and the two newest (two, so
/// that the newest but one is known when the newest is the ticket being
/// changed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentLoad {
    pub open: u32,
    pub newest: Vec<Fact>,
}

impl AgentLoad {
    fn add(&mut self, fact: &Fact) {
        self.open += u32::from(fact.open);
        self.keep_if_newer(fact);
    }

    fn merge(&mut self, other: &AgentLoad) {
        self.open += other.open;
        for f in &other.newest {
            self.keep_if_newer(f);
        }
    }

    fn keep_if_newer(&mut self, fact: &Fact) {
        let at = self
            .newest
            .iter()
            .position(|n| fact.newness() > n.newness())
            .unwrap_or(self.newest.len());
        if at < 2 {
            self.newest.insert(at, fact.clone());
            self.newest.truncate(2);
        }
    }
}

/// Every agent's load over the store, and what it holds of the ticket a
/// command is changing (which routing leaves out).
#[derive(Debug, Default, PartialEq)]
pub struct Workload {
    pub agents: BTreeMap<String, AgentLoad>,
    pub except: Option<Fact>,
}

/// The loads of the agents of some tickets.
fn tally<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> BTreeMap<String, AgentLoad> {
    let mut agents: BTreeMap<String, AgentLoad> = BTreeMap::new();
    for fact in facts {
        if let Some(a) = &fact.assignee {
            agents.entry(a.clone()).or_default().add(fact);
        }
    }
    agents
}

/// The workload index, one [`PerFolder`] instance.
pub(super) struct WorkloadIndex;

impl PerFolder for WorkloadIndex {
    type Record = Fact;
    type Summary = BTreeMap<String, AgentLoad>;
    const NAME: &'static str = "workload";
    const DIR: &'static str = "workload";
    const MAGIC: &'static [u8; 8] = b"DESKW003";

    fn derive(ticket: &Ticket) -> Fact {
        Fact::of(ticket)
    }

    /// Open tickets: an edit in place that closes or reassigns one is seen
    /// at once.
    fn watched(fact: &Fact) -> bool {
        fact.open
    }

    fn summarize(files: &[(&str, Option<&Fact>)]) -> (Self::Summary, Option<Vec<u8>>) {
        (tally(files.iter().filter_map(|(_, f)| *f)), None)
    }
}

impl Store {
    /// Every agent's load, from the workload index brought up to date; and
    /// what it records of `except`, the ticket a command is changing.
    pub fn workload(&self, except: Option<&TicketId>) -> Result<Workload> {
        if self.revision().is_some() {
            let scan = self.summaries_where(true, |_| true)?;
            let facts: Vec<Fact> = scan.summaries.iter().map(Fact::of_summary).collect();
            let except = except.and_then(|id| {
                let id = id.to_string();
                facts.iter().find(|f| f.id == id).cloned()
            });
            return Ok(Workload {
                agents: tally(&facts),
                except,
            });
        }
        let index = self.folders::<WorkloadIndex>(except)?;
        let agents = index.folders.iter().fold(BTreeMap::new(), |mut all, f| {
            for (agent, load) in &f.summary {
                all.entry(agent.clone())
                    .or_insert_with(AgentLoad::default)
                    .merge(load);
            }
            all
        });
        Ok(Workload {
            agents,
            except: index.except,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, assignee: &str, open: bool, created: i128) -> Fact {
        Fact {
            serial: TicketId::parse(id).map(|id| id.serial),
            id: id.into(),
            assignee: Some(assignee.into()),
            open,
            created,
        }
    }

    #[test]
    fn a_load_keeps_the_open_count_and_the_two_newest() {
        let facts = [
            fact("CW202611020001", "li.na", true, 1),
            fact("CW202611020003", "li.na", false, 3),
            fact("CW202611020002", "li.na", true, 3),
            fact("CW202611020004", "wang.qiang", false, 9),
        ];
        let agents = tally(&facts);
        let li = &agents["li.na"];
        assert_eq!(li.open, 2);
        let newest: Vec<&str> = li.newest.iter().map(|f| f.id.as_str()).collect();
        // The same time: the higher serial is newer.
        assert_eq!(newest, ["CW202611020003", "CW202611020002"]);
        // Merging folders adds counts and keeps the two newest overall.
        let mut all = agents["li.na"].clone();
        all.merge(&tally(&[fact("CW202611030001", "li.na", true, 7)])["li.na"]);
        assert_eq!(all.open, 3);
        assert_eq!(all.newest[0].id, "CW202611030001");
        assert_eq!(all.newest.len(), 2);
    }
}
