//! Integration tests: the real `desk` binary against temporary stores, with a
//! pinned clock and actor. One test binary, one module per command.

mod common;

mod cache;
mod concurrency;
mod customers;
mod dayone;
mod demo;
mod errors;
mod git;
mod hostile;
mod import_encoding;
mod init;
mod lifecycle;
mod list;
mod report;
mod show;
mod sla;
mod survey;
