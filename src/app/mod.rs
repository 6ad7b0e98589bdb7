//! The application layer: the use cases of the commands, as functions over
//! a store handle (`&Store`). Recording an event with its rules, `desk run`
//! (time rules, then delivery through hooks and mail), check, report input,
//! the SLA board, activity, customer import, git and key set-up. The store
//! below keeps the files; the commands above parse, call one of these and
//! print.

pub mod activity;
pub mod attach;
pub mod check;
pub mod deliver;
pub mod git_setup;
pub mod hooks;
pub mod import;
pub mod kb;
pub mod keys;
pub mod mail_in;
pub mod mailer;
pub mod outbox;
pub mod reply;
pub mod report;
pub mod report_mail;
pub mod rules;
pub mod run;
pub mod search;
pub mod sla;
pub mod sync;
pub mod templates;
pub mod time_rules;

pub use deliver::SendError;
pub use git_setup::{Done, Extras, Step};
pub use hooks::{
    hook_timeout, DEFAULT_HOOK_TIMEOUT, HOOK_INHERITS, HOOK_TIMEOUT_VAR, MAX_HOOK_TIMEOUT,
};
pub use keys::{EncryptionSetUp, LookupExported, RecipientChange, RecipientsChanged};
pub use outbox::{Outbox, OutboxRow};
pub use report::ReportInput;
pub use run::{AtOnce, Attempt, AttemptOutcome, RunTotals};
pub use templates::ticket_json;
pub use time_rules::TimeFiring;
