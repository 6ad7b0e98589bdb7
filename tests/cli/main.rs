//! Integration tests: the real `desk` binary against temporary stores, with a
//! pinned clock and actor. One test binary, one module per command.

mod common;

mod cache;
mod concurrency;
mod customer_index;
mod customers;
mod dayone;
mod demo;
mod errors;
mod git;
mod hostile;
mod init;
mod interrupt;
mod lifecycle;
mod limits;
mod list;
mod report;
mod rules;
mod secrets;
mod show;
mod sla;
mod store_files;
mod survey;
