//! The ticket cache (`.desk/cache/tickets.bin`): a [`Summary`] of every
//! ticket file. Reading commands (list, report, sla, run...) stat every
//! ticket file, take the summaries of unchanged files from the cache and
//! parse only the rest.

use crate::store::read::OpenFolder;
use std::path::{Path, PathBuf};

use super::message_ids::MessageIds;
use super::{Derived, Folder, Listed, Of, Old, Slot};
use crate::error::{Error, Result};
use crate::model::{Summary, Ticket, TicketId};
use crate::store::walk::{yaml_files, yaml_runs, Depth};
use crate::store::{parse_ticket, Store};

/// `tickets/`, at every depth; a file's name is its path below it.
pub(in crate::store) struct Tickets;

impl Folder for Tickets {
    type Parsed = Ticket;
    const DIR: &'static str = "tickets";

    fn files(store: &Store, stat: bool) -> Result<Vec<Listed>> {
        Ok(yaml_files(&store.root, Self::DIR, Depth::Deep, stat)?
            .into_iter()
            .map(Listed::of)
            .collect())
    }

    /// A month folder at a time (and each run of files beside folders).
    fn runs(store: &Store, each: &mut dyn FnMut(Vec<Listed>)) -> Result<()> {
        yaml_runs(&store.root, Self::DIR, true, &mut |run| {
            each(run.into_iter().map(Listed::of).collect())
        })
    }

    fn parse(store: &Store, name: &str, open: &OpenFolder) -> Result<Ticket> {
        let path = store.tickets_dir().join(name);
        parse_ticket(&store.read_listed(&path, open)?, store.display_path(&path))
    }
}

/// The ticket cache.
pub(in crate::store) struct TicketCache;

impl Derived for TicketCache {
    type Folder = Tickets;
    type Record = Summary;
    const NAME: &'static str = "tickets";
    const FILE: &'static str = "tickets.bin";
    /// 004: a rule's note is no progress; 005: lifecycle steps; 006:
    /// deliveries open and failed; 007: time rules' firings; 008: when the
    /// next delivery is due; 010: the frame of every derived index (header,
    /// settled flag, trailer). A golden test below fails when a summary's
    /// encoding changes.
    const MAGIC: &'static [u8; 8] = b"DESKC010";

    fn derive(ticket: &Ticket) -> Summary {
        Summary::of(ticket)
    }

    /// The Message-IDs of mail received come from the same parse of each
    /// changed ticket, so that `desk mail-in` finds them up to date.
    fn companions() -> &'static [&'static dyn Slot<Ticket>] {
        &[&Of::<MessageIds>::SLOT]
    }
}

/// Every ticket's summary (or what a command keeps of it), every
/// unreadable file, and how the cache served.
#[derive(Debug)]
pub struct SummaryScan<T = Summary> {
    pub summaries: Vec<T>,
    pub errors: Vec<Error>,
    /// How many files had to be parsed (the rest came from the cache).
    pub parsed: usize,
    /// Of [`Store::placed_summaries_where`]: the tickets `keep` wanted
    /// whose file is not at their ID's place (the path shown to people),
    /// left out of `summaries`.
    pub misplaced: Vec<(PathBuf, Summary)>,
}

impl<T> Default for SummaryScan<T> {
    fn default() -> Self {
        SummaryScan {
            summaries: Vec::new(),
            errors: Vec::new(),
            parsed: 0,
            misplaced: Vec::new(),
        }
    }
}

impl<T> SummaryScan<T> {
    /// Fails with one error naming every unreadable file, if there were any.
    /// Commands call it after printing what they could read.
    pub fn into_result(&mut self) -> Result<()> {
        Error::all(std::mem::take(&mut self.errors))
    }
}

impl Store {
    /// The summaries of the tickets `keep` wants, from the cache where the
    /// file is unchanged, parsed otherwise; the cache is brought up to date.
    /// The others are dropped as soon as they are read, so memory holds
    /// what the command needs, not the whole store. `use_cache: false`
    /// parses every file (and still writes a fresh cache).
    pub fn summaries_where(
        &self,
        use_cache: bool,
        keep: impl Fn(&Summary) -> bool + Sync,
    ) -> Result<SummaryScan> {
        if let Some(revision) = self.revision() {
            return revision.summaries(keep);
        }
        self.scan_summaries(use_cache, false, keep, Some)
    }

    /// [`Store::summaries_where`] for a command that keeps less than the
    /// summaries `keep` wants: `take` turns each into what is kept, or
    /// nothing, as it is read, so that memory holds only that.
    pub fn summaries_taken<T>(
        &self,
        use_cache: bool,
        keep: impl Fn(&Summary) -> bool + Sync,
        mut take: impl FnMut(Summary) -> Option<T>,
    ) -> Result<SummaryScan<T>> {
        if let Some(revision) = self.revision() {
            let scan = revision.summaries(keep)?;
            return Ok(SummaryScan {
                summaries: scan.summaries.into_iter().filter_map(take).collect(),
                errors: scan.errors,
                parsed: scan.parsed,
                misplaced: scan.misplaced,
            });
        }
        self.scan_summaries(use_cache, false, keep, &mut take)
    }

    /// [`Store::summaries_where`] for a command that writes to the tickets
    /// it keeps (`desk run`): a ticket whose file is not at its ID's place
    /// (another ID than the file's name, or no ticket ID at all) goes to
    /// `misplaced` instead, since desk reads and writes a ticket at its
    /// ID's place.
    pub fn placed_summaries_where(
        &self,
        keep: impl Fn(&Summary) -> bool + Sync,
    ) -> Result<SummaryScan> {
        self.writable()?;
        self.scan_summaries(true, true, keep, Some)
    }

    fn scan_summaries<T>(
        &self,
        use_cache: bool,
        check_places: bool,
        keep: impl Fn(&Summary) -> bool + Sync,
        mut take: impl FnMut(Summary) -> Option<T>,
    ) -> Result<SummaryScan<T>> {
        let old = if use_cache {
            self.open_index::<TicketCache>()
        } else {
            Old::Nothing
        };
        let mut kept: Vec<(usize, T)> = Vec::new();
        let mut misplaced = Vec::new();
        let refreshed = self.refresh::<TicketCache>(old, false, |i, name, summary| {
            if !keep(&summary) {
                return;
            }
            let rel = Path::new("tickets").join(name);
            if check_places
                && TicketId::parse(&summary.id).is_none_or(|id| id.relative_path() != rel)
            {
                let path = self.tickets_dir().join(name);
                misplaced.push((i, self.display_path(&path).to_path_buf(), summary));
            } else if let Some(kept_of_it) = take(summary) {
                kept.push((i, kept_of_it));
            }
        })?;
        kept.sort_unstable_by_key(|(i, _)| *i);
        misplaced.sort_unstable_by_key(|(i, _, _)| *i);
        Ok(SummaryScan {
            summaries: kept.into_iter().map(|(_, s)| s).collect(),
            errors: refreshed.errors,
            parsed: refreshed.parsed,
            misplaced: misplaced.into_iter().map(|(_, p, s)| (p, s)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::checksum::checksum;

    /// A summary with every kind of step, encoded as the cache encodes it.
    fn golden_summary_bytes() -> Vec<u8> {
        use crate::clock::Timestamp;
        use crate::model::{Mark, Status, Step};
        let at = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let steps = [
            Step::Created { assigned: true },
            Step::Assigned,
            Step::Updated {
                status: Some(Status::Pending),
                progress: true,
            },
            Step::Updated {
                status: None,
                progress: false,
            },
            Step::StatusEdited(Status::InProgress),
            Step::AssigneeEdited(false),
            Step::Closed,
            Step::Surveyed {
                scores: vec![("efficiency".into(), 1)],
                nps: Some(3),
            },
            Step::Reopened,
            Step::Other,
        ];
        let summary = Summary {
            id: "CW202611020001".into(),
            title: "打印机卡纸".into(),
            customer: "C000001".into(),
            kind: "complaint".into(),
            category: Some("hardware".into()),
            tags: vec!["printer".into()],
            channel: "phone".into(),
            priority: "urgent".into(),
            status: Status::InProgress,
            assignee: Some("wang.qiang".into()),
            created: at,
            marks: steps.into_iter().map(|what| Mark { at, what }).collect(),
            open_deliveries: 1,
            failed_deliveries: 2,
            next_delivery: Some(1_795_000_000),
            fired: vec!["r/CW202611020001/resolution-breached/2026-11-02T09:00:00+08:00".into()],
        };
        let mut bytes = Vec::new();
        TicketCache::encode(&summary, &mut bytes);
        assert_eq!(TicketCache::decode(&bytes), Some(summary));
        bytes
    }

    #[test]
    fn the_format_version_changes_with_the_summary_encoding() {
        // Failing here means a summary is encoded differently: old caches
        // would be misread. Change MAGIC, then the sum expected here.
        let sum = checksum(&golden_summary_bytes());
        let magic = std::str::from_utf8(TicketCache::MAGIC).unwrap();
        assert_eq!(
            (magic, sum),
            ("DESKC010", 0xe962_4e06_8d58_8533),
            "sum {sum:#x}"
        );
    }
}
