//! desk: a helpdesk for customer service and feedback that lives in plain
//! YAML files in a git repository.
//!
//! The layers, from the bottom up:
//! - [`model`]: tickets, events and `fold(history)`; pure, no I/O.
//! - [`model`] also holds customers, their validation and masking.
//! - [`config`]: `desk.yaml`, enumerations with Chinese aliases, agents.
//! - [`crypto`]: age encryption and keyed lookups of ID-card and bank-card numbers.
//! - [`sla`]: business calendar, targets, clocks replayed from history.
//! - [`store`]: finding the store, atomic writes, locks, scanning tickets.
//! - [`report`]: the monthly report's sections, pure.
//! - [`rules`]: automation rules of desk.yaml, parsed and evaluated purely.
//! - [`mail`]: e-mail delivery (sendmail command, SMTP) for `desk run`.
//! - [`output`]: one writer for table, CSV and JSON.
//! - [`command`]: the program and environment of a command desk.yaml names.
//! - [`parallel`]: spreading pure work over the cores.
//! - [`yaml`]: the YAML crate behind desk's own names; the one module that names it.
//! - [`cli`]: one file per subcommand, on top of the rest.

pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod mail;
pub mod model;
pub mod output;
pub mod parallel;
pub mod report;
pub mod rules;
pub mod sla;
pub mod store;
pub mod text;
pub mod yaml;

pub use error::{Error, Result};
