//! desk: a helpdesk for customer service and feedback that lives in plain
//! YAML files in a git repository.
//!
//! The order of these modules (each uses only those listed under it) and
//! what each owns are declared once, in docs/architecture.md ("Layers");
//! a test (`src/layers.rs`) fails on any use that goes up.

pub mod app;
pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
#[cfg(test)]
mod layers;
pub mod mail;
pub mod model;
pub mod output;
pub mod parallel;
pub mod report;
pub mod rules;
pub mod search;
pub mod sla;
pub mod store;
pub mod text;
pub mod yaml;

pub use error::{Error, Result};
