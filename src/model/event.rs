use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use std::collections::BTreeMap;

use super::Timestamp;

/// What an event did. Actions written by a newer desk are kept as `Other`
/// and ignored by `fold`, so their files survive a rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Action {
    Created,
    Assigned,
    Updated,
    Closed,
    Reopened,
    Edited,
    Surveyed,
    Other(String),
}

impl Action {
    pub fn as_str(&self) -> &str {
        match self {
            Action::Created => "created",
            Action::Assigned => "assigned",
            Action::Updated => "updated",
            Action::Closed => "closed",
            Action::Reopened => "reopened",
            Action::Edited => "edited",
            Action::Surveyed => "surveyed",
            Action::Other(s) => s,
        }
    }
}

impl From<String> for Action {
    fn from(s: String) -> Self {
        match s.as_str() {
            "created" => Action::Created,
            "assigned" => Action::Assigned,
            "updated" => Action::Updated,
            "closed" => Action::Closed,
            "reopened" => Action::Reopened,
            "edited" => Action::Edited,
            "surveyed" => Action::Surveyed,
            _ => Action::Other(s),
        }
    }
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        a.as_str().to_string()
    }
}

/// One entry of a ticket's `history`. Which optional fields are set depends
/// on the action (see docs/format.md); the order here is the order in files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub by: String,
    pub action: Action,

    // `created`: the initial values of the ticket's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation: Option<String>,

    // `edited`: which field changed, from what to what. `assigned` uses `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,

    // `updated`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,

    // `closed`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followup: Option<String>,

    // `reopened`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,

    // `surveyed`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<BTreeMap<String, u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,

    /// Fields this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Event {
    /// An event with only the three common fields set.
    pub fn new(at: Timestamp, by: &str, action: Action) -> Self {
        Event {
            at,
            by: by.to_string(),
            action,
            title: None,
            customer: None,
            kind: None,
            category: None,
            tags: None,
            channel: None,
            priority: None,
            description: None,
            expectation: None,
            field: None,
            from: None,
            to: None,
            status: None,
            note: None,
            resolution: None,
            compensation: None,
            followup: None,
            reason: None,
            scores: None,
            nps: None,
            comment: None,
            extra: BTreeMap::new(),
        }
    }

    /// The `to` field as text (the assignee of an `assigned` event).
    pub fn to_text(&self) -> Option<&str> {
        self.to.as_ref().and_then(Value::as_str)
    }
}
