//! The on-disk layout, byte for byte: a ticket and a customer file that use
//! every field (and fields of a newer version) read and written back
//! unchanged. Git diffs, hand edits and other languages' readers depend on
//! this layout (docs/format.md); a change that moves a key, re-quotes a
//! value or drops an unknown field fails here. If the change is meant,
//! update tests/golden/ and docs/format.md, and think of stores written by
//! the older version.

use std::path::Path;

use super::{parse_customer, parse_ticket, render_customer, render_ticket};

const TICKET: &str = include_str!("../../tests/golden/ticket.yaml");
const CUSTOMER: &str = include_str!("../../tests/golden/customer.yaml");

/// The first line where two texts part, for a readable failure.
fn first_difference(want: &str, got: &str) -> String {
    let line = want
        .lines()
        .zip(got.lines())
        .position(|(w, g)| w != g)
        .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
    format!(
        "line {}: want {:?}, got {:?}",
        line + 1,
        want.lines().nth(line),
        got.lines().nth(line)
    )
}

#[test]
fn a_ticket_file_is_written_back_byte_for_byte() {
    let ticket = parse_ticket(TICKET, Path::new("golden/ticket.yaml")).unwrap();
    let written = render_ticket(&ticket);
    assert!(written == TICKET, "{}", first_difference(TICKET, &written));
}

#[test]
fn a_customer_file_is_written_back_byte_for_byte() {
    let customer = parse_customer(CUSTOMER, Path::new("golden/customer.yaml")).unwrap();
    let written = render_customer(&customer);
    assert!(
        written == CUSTOMER,
        "{}",
        first_difference(CUSTOMER, &written)
    );
}

#[test]
fn a_new_event_is_one_block_appended_at_the_end() {
    let mut ticket = parse_ticket(TICKET, Path::new("golden/ticket.yaml")).unwrap();
    let at = crate::clock::Timestamp::parse("2026-11-24T15:00:00+08:00").unwrap();
    ticket
        .update("已电话联系".into(), None, at, "chen.jing")
        .unwrap();
    let written = render_ticket(&ticket);
    let added =
        "- at: 2026-11-24T15:00:00+08:00\n  by: chen.jing\n  action: updated\n  note: 已电话联系\n";
    assert_eq!(written, format!("{TICKET}{added}"));
}

#[test]
fn a_queued_delivery_is_written_as_a_reference_to_its_rule_s_action() {
    let mut ticket = parse_ticket(TICKET, Path::new("golden/ticket.yaml")).unwrap();
    let config = crate::config::Config::seed_defaults();
    let rules: crate::yaml::Value = crate::yaml::from_str(
        "- {name: tell, when: created, then: [{notify: {to: {agent: chen.jing}, template: assigned}}, {run: {command: hooks/x.sh, args: [a b]}}]}",
    )
    .unwrap();
    let rules = crate::rules::Rules::parse(Some(&rules), &config).unwrap();
    let at = crate::clock::Timestamp::parse("2026-11-24T15:00:00+08:00").unwrap();
    let key = "tell/CW202611240001/000000000000";
    for (i, key) in [key.to_string(), format!("{key}/2")].iter().enumerate() {
        let action = rules.rules[0].actions[i].clone();
        crate::rules::queue(&rules, &mut ticket, "tell", key, &action, None, at)
            .unwrap()
            .unwrap();
    }
    // No template, command or arguments: `desk run` takes them from the
    // rule (docs/format.md, docs/automation.md).
    let added = "\
- at: 2026-11-24T15:00:00+08:00
  by: rule:tell
  action: queued
  to:
  - chen.jing
  key: tell/CW202611240001/000000000000
  via: email
- at: 2026-11-24T15:00:00+08:00
  by: rule:tell
  action: queued
  key: tell/CW202611240001/000000000000/2
  via: run
";
    assert_eq!(render_ticket(&ticket), format!("{TICKET}{added}"));
}
