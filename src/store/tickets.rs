use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::read::real_dirs;
use super::walk::Depth;
use super::{create_atomic, write_atomic, Store};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{Sequence, Ticket, TicketId};
use crate::yaml::from_yaml;

/// A ticket changed under its lock, not written yet.
struct Changed {
    /// The file's text before.
    read: String,
    ticket: Ticket,
    /// The text to write.
    text: String,
    /// Hand edits recorded.
    adopted: usize,
}

/// A ticket's next version, staged by [`Store::prepare_ticket`]; dropped
/// without [`PreparedTicket::put_in_place`], it is removed.
#[derive(Debug)]
pub(crate) struct PreparedTicket {
    pub id: TicketId,
    /// The file's text the change was made to.
    read: String,
    staged: super::fsio::Staged,
}

impl PreparedTicket {
    /// Under the ticket's lock, puts the staged version in place if the
    /// file is still the one it was made from (true); else leaves the file
    /// as it is (false).
    pub(crate) fn put_in_place(self, store: &Store) -> Result<bool> {
        let _lock = store.lock(&self.id.to_string())?;
        let path = store.ticket_path(&self.id);
        if store.read_entry(&path)?.as_deref() != Some(self.read.as_str()) {
            return Ok(false);
        }
        self.staged.put_in_place(&path)?;
        Ok(true)
    }
}

/// Serialises a ticket with its fixed key order.
pub fn render_ticket(ticket: &Ticket) -> String {
    crate::yaml::to_string(ticket).expect("a ticket always serialises")
}

/// Parses a ticket file; errors name the file and line.
pub fn parse_ticket(text: &str, path: &Path) -> Result<Ticket> {
    let ticket: Ticket = from_yaml(text, path)?;
    if ticket.history.is_empty() {
        return Err(Error::Parse {
            path: path.into(),
            line: None,
            message: "history is empty; a ticket needs at least its `created` event".into(),
        });
    }
    Ok(ticket)
}

impl Store {
    pub fn ticket_path(&self, id: &TicketId) -> PathBuf {
        self.root.join(id.relative_path())
    }

    /// Resolves what a user typed into a ticket ID: a full ID (any case), or
    /// the serial alone (`0001` or `1`) for a ticket created today.
    pub fn resolve_ticket_id(&self, input: &str, today: NaiveDate) -> Result<TicketId> {
        let trimmed = input.trim();
        if let Some(id) = TicketId::parse(trimmed) {
            return Ok(id);
        }
        if !trimmed.is_empty() && trimmed.len() <= 5 && trimmed.chars().all(|c| c.is_ascii_digit())
        {
            let serial: u32 = trimmed.parse().expect("digits");
            return Ok(TicketId {
                prefix: self.config.id_prefix.clone(),
                date: today,
                serial,
            });
        }
        Err(Error::invalid(
            "ticket ID",
            input,
            format!(
                "expected a ticket number like {}{}0001, or the serial of one created today (0001)",
                self.config.id_prefix,
                today.format("%Y%m%d")
            ),
        ))
    }

    pub fn load_ticket(&self, id: &TicketId) -> Result<Ticket> {
        self.load_ticket_text(id).map(|(_, ticket)| ticket)
    }

    /// A ticket and its file's text.
    fn load_ticket_text(&self, id: &TicketId) -> Result<(String, Ticket)> {
        let path = self.ticket_path(id);
        let Some(text) = self.read_entry(&path)? else {
            return Err(Error::NotFound {
                what: "ticket",
                id: id.to_string(),
            });
        };
        let ticket = parse_ticket(&text, self.display_path(&path))?;
        if !ticket.id.eq_ignore_ascii_case(&id.to_string()) {
            return Err(Error::Parse {
                path: self.display_path(&path).into(),
                line: None,
                message: format!(
                    "the file holds ticket '{}', not '{id}'; run `desk check`",
                    ticket.id
                ),
            });
        }
        Ok((text, ticket))
    }

    /// Loads, changes and writes one ticket while holding its lock, so that
    /// concurrent commands on one ticket each see the others' events. Hand
    /// edits found in the file are first recorded as `edited` events. When
    /// `change` fails nothing is written.
    pub fn modify_ticket(
        &self,
        id: &TicketId,
        at: Timestamp,
        actor: &str,
        change: impl FnOnce(&mut Ticket) -> Result<()>,
    ) -> Result<(Ticket, usize)> {
        let lock = self.lock(&id.to_string())?;
        let changed = self.change_locked(id, &lock, at, actor, change)?;
        write_atomic(&self.ticket_path(id), changed.text.as_bytes())?;
        Ok((changed.ticket, changed.adopted))
    }

    /// What [`Store::modify_ticket`] and [`Store::prepare_ticket`] do under
    /// the ticket's lock before they write: read the ticket (what killed
    /// writers left beside it removed when `lock` was abandoned), record
    /// hand edits, apply `change`, and render it within desk's size limit.
    fn change_locked(
        &self,
        id: &TicketId,
        lock: &super::Lock,
        at: Timestamp,
        actor: &str,
        change: impl FnOnce(&mut Ticket) -> Result<()>,
    ) -> Result<Changed> {
        let (read, mut ticket) = self.load_ticket_text(id)?;
        let path = self.ticket_path(id);
        if let Some(dir) = path.parent().filter(|_| lock.abandoned()) {
            self.sweep_before_write(dir, Some(&id.to_string()));
        }
        let adopted = ticket
            .adopt_drift(at, actor)
            .map_err(|e| Error::Refused(format!("{id}: {e}; run `desk check`")))?;
        change(&mut ticket)?;
        let text = super::read::within_limit(self.display_path(&path), render_ticket(&ticket))?;
        Ok(Changed {
            read,
            ticket,
            text,
            adopted,
        })
    }

    /// [`Store::modify_ticket`] in two steps, for a change that records what
    /// an action did (a mail sent, a hook run): the ticket as changed is
    /// written and synced now, under its lock, into `.desk/sending/`; after
    /// the action, [`PreparedTicket::put_in_place`] renames it over the
    /// ticket file. So a crash between the action's end and the record of it
    /// takes a rename's time, not a write's and its syncs. The lock is not
    /// held during the action, so people's commands on the ticket do not
    /// wait for a mail server; one that changed the ticket meanwhile makes
    /// `put_in_place` leave the file alone, and the caller records the
    /// usual way.
    pub(crate) fn prepare_ticket(
        &self,
        id: &TicketId,
        at: Timestamp,
        actor: &str,
        change: impl FnOnce(&mut Ticket) -> Result<()>,
    ) -> Result<PreparedTicket> {
        let lock = self.lock(&id.to_string())?;
        let changed = self.change_locked(id, &lock, at, actor, change)?;
        let staged = super::fsio::stage(
            &self.sending_dir(),
            &self.ticket_path(id),
            changed.text.as_bytes(),
        )?;
        Ok(PreparedTicket {
            id: id.clone(),
            read: changed.read,
            staged,
        })
    }

    /// Where [`Store::prepare_ticket`] stages tickets: `.desk/sending/`. What
    /// a killed `desk run` left there is removed by the next one
    /// ([`Store::sweep_stale_temps`]).
    pub(super) fn sending_dir(&self) -> PathBuf {
        self.state_dir().join("sending")
    }

    /// Allocates the next ID of the day of `at` and writes the ticket that
    /// `build` makes for it. One lock per day serialises allocation, and the
    /// file is created exclusively, so no two processes get the same ID.
    pub fn create_ticket(
        &self,
        at: Timestamp,
        build: impl FnOnce(String) -> Ticket,
    ) -> Result<Ticket> {
        self.create_ticket_with(at, |id| Ok(build(id)))
    }

    /// [`Store::create_ticket`] with a `build` that may refuse: then nothing
    /// is written.
    pub fn create_ticket_with(
        &self,
        at: Timestamp,
        build: impl FnOnce(String) -> Result<Ticket>,
    ) -> Result<Ticket> {
        let date = at.0.with_timezone(&self.settings.tz).date_naive();
        let prefix = self.config.id_prefix.clone();
        let day = format!("{prefix}{}", date.format("%Y%m%d"));
        let lock = self.lock(&format!("new-{day}"))?;
        // Neither the serial scan nor the new file goes through a link.
        let rel = TicketId {
            prefix: prefix.clone(),
            date,
            serial: 0,
        }
        .relative_path();
        real_dirs(&self.root, rel.parent().unwrap_or(&rel))?;
        self.month_here_for_new(&date.format("%Y/%m").to_string())?;
        if lock.abandoned() {
            self.sweep_before_write(&self.root.join(rel.parent().unwrap_or(&rel)), None);
        }
        // With a node number (a clone in a shared repository) the serial
        // ends in it, so other clones' new tickets cannot take the same ID.
        let serial = crate::model::next_number(
            self.max_serial(&prefix, date)?.into(),
            self.node_for_new_ids()?,
        )
        .and_then(|s| u32::try_from(s).ok())
        .filter(|&s| s <= TicketId::MAX_SERIAL)
        .ok_or_else(|| {
            Error::Refused(format!(
                "no serial left on {day}: serials run to {}",
                TicketId::MAX_SERIAL
            ))
        })?;
        let id = TicketId {
            prefix,
            date,
            serial,
        };
        let ticket = build(id.to_string())?;
        // A new ticket's events, whoever wrote them, hold no card number
        // and no secret key (model::in_clear); later events are judged as
        // they are recorded.
        for event in &ticket.history {
            crate::model::in_clear::refuse_in_event(event)?;
        }
        let path = self.ticket_path(&id);
        let text = super::read::within_limit(self.display_path(&path), render_ticket(&ticket))?;
        create_atomic(&path, text.as_bytes())?;
        Ok(ticket)
    }

    /// The highest serial of `date`'s sequence, looking only at that
    /// month's folder: a serial far above the others (one made by hand, as
    /// 99999999) is left out, so that it does not use up the day's serials
    /// (see [`crate::model::Sequence`]; `desk check` warns about it).
    fn max_serial(&self, prefix: &str, date: NaiveDate) -> Result<u32> {
        let dir = self.tickets_dir().join(date.format("%Y/%m").to_string());
        let mut serials = Vec::new();
        for entry in super::walk::entries(&dir)? {
            let Some(stem) = entry.name.strip_suffix(".yaml") else {
                continue;
            };
            if let Some(id) = TicketId::parse(stem) {
                if id.prefix == prefix && id.date == date {
                    serials.push(u64::from(id.serial));
                }
            }
        }
        let top = Sequence::of(serials, Sequence::SERIAL_GAP).top;
        Ok(u32::try_from(top).expect("serials are u32"))
    }

    /// Every entry under `tickets/` that desk reads or must report, sorted
    /// by path (see [`super::walk::yaml_files`]): a caller reading each with
    /// [`super::read_file`] gets the ticket or the reason it is refused.
    /// Listed where the store reads: the work tree, or a commit.
    pub fn ticket_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.tickets_dir();
        Ok(self
            .yaml_paths("tickets", Depth::Deep)?
            .into_iter()
            .map(|rel| dir.join(rel))
            .collect())
    }
}
