use crate::yaml::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::fold::{fold, FoldError, State, FIELDS};
use super::lifecycle::Closure;
use super::{Closed, Edited, Event, Payload, Status};
use crate::clock::Timestamp;

/// A ticket file. The fields above `history` are a projection of it, kept in
/// the file so that people (and grep) can read a ticket at a glance. The
/// field order here is the key order on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub title: String,
    pub customer: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub channel: String,
    pub priority: String,
    pub status: Status,
    #[serde(default)]
    pub assignee: Option<String>,
    pub created: Timestamp,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub expectation: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
    /// Top-level fields added by hand or by a newer desk, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    pub history: Vec<Event>,
}

/// A projected field whose value in the file differs from `fold(history)`:
/// usually a hand edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub field: &'static str,
    pub folded: Value,
    pub in_file: Value,
}

impl Ticket {
    /// Builds a ticket from its history alone.
    pub fn from_history(id: String, history: Vec<Event>) -> Result<Ticket, FoldError> {
        let state = fold(&history)?;
        let mut ticket = Ticket {
            id,
            title: String::new(),
            customer: String::new(),
            kind: String::new(),
            category: None,
            tags: Vec::new(),
            channel: String::new(),
            priority: String::new(),
            status: Status::Open,
            assignee: None,
            created: state.created,
            description: String::new(),
            expectation: None,
            resolution: None,
            extra: BTreeMap::new(),
            history,
        };
        ticket.set_state(state);
        Ok(ticket)
    }

    /// The projected fields as they stand in the file.
    pub fn state(&self) -> State {
        State {
            title: self.title.clone(),
            customer: self.customer.clone(),
            kind: self.kind.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            channel: self.channel.clone(),
            priority: self.priority.clone(),
            status: self.status,
            assignee: self.assignee.clone(),
            created: self.created,
            description: self.description.clone(),
            expectation: self.expectation.clone(),
            resolution: self.resolution.clone(),
        }
    }

    pub fn set_state(&mut self, s: State) {
        // Taken apart whole, so that a field added to `State` must be
        // placed here too.
        let State {
            title,
            customer,
            kind,
            category,
            tags,
            channel,
            priority,
            status,
            assignee,
            created,
            description,
            expectation,
            resolution,
        } = s;
        self.title = title;
        self.customer = customer;
        self.kind = kind;
        self.category = category;
        self.tags = tags;
        self.channel = channel;
        self.priority = priority;
        self.status = status;
        self.assignee = assignee;
        self.created = created;
        self.description = description;
        self.expectation = expectation;
        self.resolution = resolution;
    }

    /// Recomputes the projected fields from the history.
    pub fn refold(&mut self) -> Result<(), FoldError> {
        let state = fold(&self.history)?;
        self.set_state(state);
        Ok(())
    }

    /// Fields whose value in the file disagrees with `fold(history)`.
    pub fn drift(&self) -> Result<Vec<Drift>, FoldError> {
        let folded = fold(&self.history)?;
        let in_file = self.state();
        Ok(FIELDS
            .iter()
            .filter_map(|&field| {
                let f = folded.get(field)?;
                let v = in_file.get(field)?;
                (f != v).then_some(Drift {
                    field,
                    folded: f,
                    in_file: v,
                })
            })
            .collect())
    }

    /// Turns hand edits of projected fields into `edited` events, so that the
    /// history explains them and no one's change is silently dropped.
    /// Returns how many events were added.
    pub fn adopt_drift(&mut self, at: Timestamp, by: &str) -> Result<usize, FoldError> {
        let drift = self.drift()?;
        let at = self.last_at().map_or(at, |last| at.max(last));
        for d in &drift {
            self.history.push(Event::new(
                at,
                by,
                Edited {
                    field: d.field.to_string(),
                    from: Some(d.folded.clone()),
                    to: Some(d.in_file.clone()),
                    note: Some("recorded a change made to the file by hand".into()),
                    key: None,
                },
            ));
        }
        self.refold()?;
        Ok(drift.len())
    }

    pub fn last_at(&self) -> Option<Timestamp> {
        self.history.iter().map(|e| e.at).max()
    }

    /// The latest agent's reading of the customer's words (`assessed`),
    /// when it was made and what it says: it governs the texts up to it.
    pub fn latest_assessment(&self) -> Option<(Timestamp, super::Sentiment)> {
        self.history.iter().rev().find_map(|e| match &e.payload {
            super::Payload::Assessed(a) => Some((e.at, a.sentiment)),
            _ => None,
        })
    }

    /// The `closed` events of the current closure (the close that began it
    /// and those that amended it), with their compensations and follow-ups.
    pub fn closes_of_closure(&self) -> impl Iterator<Item = &Closed> {
        let start = Closure::start_of(&self.history);
        start
            .map_or(&[][..], |i| &self.history[i..])
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::Closed(close) => Some(close),
                _ => None,
            })
    }
}
