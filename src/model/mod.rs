//! The domain: tickets, their events, and `fold(history)`, the pure function
//! that turns a ticket's history into its current fields; customers, their
//! validation and masking. No I/O, no printing.

mod customer;
pub mod customer_import;
mod decode;
mod dormancy;
mod duplicate;
mod event;
mod filter;
mod finding;
mod fold;
mod id;
pub mod in_clear;
pub mod kb;
mod lifecycle;
pub mod mask;
mod merge;
mod ops;
pub mod outbox;
pub mod reply;
mod reveal;
mod sentiment;
mod summary;
pub mod survey;
mod ticket;
pub mod ticket_input;
pub mod validate;

pub use customer::{
    own_and_contacts, Change, Contact, ContactField, Customer, CustomerError, CustomerField,
    CustomerKind, FieldValue,
};
pub use decode::decode_text;
pub use dormancy::{Activity, Dormancy};
pub use duplicate::{
    damaged_lookup, duplicate_error, guard_sound, identity_field, Clashes, Duplicate, Identities,
};
pub use event::{
    added_events, by_customer, check_actor, history_order_problem, history_problems, Action,
    Assessed, Assigned, Attached, Closed, Created, DeliveryFailed, Edited, Event, Fired,
    MailAttachment, Notified, Payload, Queued, Received, Reopened, Replied, Surveyed, Updated,
    CUSTOMER_PREFIX, FILE_ORDER, RULE_PREFIX,
};
pub use filter::{Assignee, TicketFilter};
pub use finding::{Finding, FindingKind};
pub use fold::{fold, inline_value, FoldError};
pub use id::{next_number, Sequence, TicketId};
pub use lifecycle::{Closing, Closure, Lifecycle, Mark, Step};
pub use merge::{merge_customers, merge_tickets, Conflict};
pub use ops::{check_title, is_one_line, Edit, Survey, UPDATE_STATUSES};
pub use reveal::{Reveal, Revealed};
pub use sentiment::Sentiment;
pub use summary::Summary;
pub use ticket::{Drift, NewTicket, State, Ticket, FIELDS};

use serde::{Deserialize, Serialize};

/// The lifecycle of a ticket. The keys are fixed because `fold` relies on them;
/// `desk.yaml` can give them labels and aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待受理: new and not yet assigned.
    Open,
    /// 处理中: someone is working on it.
    InProgress,
    /// Waiting on the customer; SLA clocks pause.
    Pending,
    /// 已关闭: resolved and closed (a survey may reopen it).
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::InProgress,
        Status::Pending,
        Status::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Pending => "pending",
            Status::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A ticket field whose values are an enumeration of desk.yaml (its
/// choices: key, label, aliases); used for lookups and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Type,
    Priority,
    Channel,
    Status,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Priority => "priority",
            Field::Channel => "channel",
            Field::Status => "status",
        }
    }

    /// The key of the field's list in desk.yaml.
    pub fn plural(self) -> &'static str {
        match self {
            Field::Type => "types",
            Field::Priority => "priorities",
            Field::Channel => "channels",
            Field::Status => "statuses",
        }
    }
}
