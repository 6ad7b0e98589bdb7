//! Integration tests: the real `desk` binary against temporary stores, with a
//! pinned clock and actor. One test binary, one module per command.

mod common;

mod agents;
mod as_of;
mod automation;
#[cfg(unix)] // the browser on a pipe of its own (fds 3 and 4)
mod browser;
mod cache;
mod concurrency;
mod customer_index;
mod customers;
mod dayone;
mod delivery;
mod demo;
mod errors;
mod git;
mod help;
mod hostile;
#[cfg(unix)] // Dovecot, getmail and mail owners
mod imap;
mod import_encoding;
mod in_clear;
mod init;
mod interrupt;
mod keys;
mod lifecycle;
mod limits;
mod list;
mod mail;
mod mail_in;
mod reply;
mod report;
mod rules;
mod search;
mod secrets;
mod show;
mod sla;
mod store_files;
mod survey;
#[cfg(unix)] // pseudo-terminals
mod term;
