//! What a queued delivery does, from the rules of desk.yaml as they are now.
//! A `queued` event is only a reference: the rule (`by: rule:NAME`), the
//! action (the key's last part: the rule's first, second, … `notify` or
//! `run` action) and the key. The template that renders and the command
//! that runs come from that rule, never from the ticket file, which anyone
//! who can push a commit can write (docs/automation.md, "Trust model").
//! Pure: the caller supplies the rules, the ticket and the delivery.

use super::{Notify, Recipient, Rule, RuleAction, Rules, RunHook, TimeTrigger, Trigger, CUSTOMER};
use crate::model::outbox::Delivery;
use crate::model::Ticket;

/// What a delivery explained by a rule does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Work<'a> {
    /// An e-mail from the rule's `notify` action: its template, its digest.
    Mail(&'a Notify),
    /// A hook from the rule's `run` action: its command and arguments.
    Hook(&'a RunHook),
}

impl Work<'_> {
    /// What is used, in words: `templates/NAME.txt`, or the command line.
    pub fn uses(&self) -> String {
        match self {
            Work::Mail(n) => format!("templates/{}.txt", n.template),
            Work::Hook(h) => h.command_line(),
        }
    }
}

/// What the delivery `d` of `ticket` does, from the rule that queued it as
/// desk.yaml has it now; `Err`: why no rule explains it (the rule does not
/// exist, the key does not name the ticket or a `notify`/`run` action of the
/// rule, the channel differs from the action's, the customer is a recipient
/// the rule does not name). Such an entry is never delivered.
pub fn explain<'a>(rules: &'a Rules, ticket: &Ticket, d: &Delivery) -> Result<Work<'a>, String> {
    if d.rule.is_empty() {
        return Err(format!("it was not queued by a rule (by: {})", d.queued.by));
    }
    let rule = rules
        .rules
        .iter()
        .find(|r| r.name == d.rule)
        .ok_or_else(|| format!("desk.yaml has no rule '{}'", d.rule))?;
    let n = action_number(rule, ticket, &d.key)?;
    let deliveries: Vec<&RuleAction> = rule
        .actions
        .iter()
        .filter(|a| matches!(a, RuleAction::Notify(_) | RuleAction::Run(_)))
        .collect();
    let action = deliveries.get(n - 1).ok_or_else(|| {
        format!(
            "its key names action {n} of rule '{}', which has {} notify or run action(s)",
            rule.name,
            deliveries.len()
        )
    })?;
    let (work, via) = match action {
        RuleAction::Notify(notify) => (Work::Mail(notify), notify.via.key()),
        RuleAction::Run(hook) => (Work::Hook(hook), "run"),
        _ => unreachable!("only deliveries are kept"),
    };
    if d.via() != via {
        return Err(format!(
            "it says via '{}', but action {n} of rule '{}' delivers by {via}",
            d.via(),
            rule.name
        ));
    }
    if let Work::Mail(notify) = work {
        let to = d.to();
        if to.is_empty() {
            return Err("it names no recipient".to_string());
        }
        if to.iter().any(|t| t == CUSTOMER) && !notify.to.contains(&Recipient::Customer) {
            return Err(format!(
                "it is addressed to the customer, whom rule '{}' does not notify",
                rule.name
            ));
        }
    }
    Ok(work)
}

/// Which of the rule's `notify`/`run` actions (1-based) a key names: an
/// event rule's key is `RULE/TICKET/HASH`, a time rule's
/// `RULE/TICKET/THRESHOLD/CYCLE` (a `dormant_for` rule's names the
/// customer instead of the ticket); the second and later actions add `/N`.
fn action_number(rule: &Rule, ticket: &Ticket, key: &str) -> Result<usize, String> {
    let shape = match rule.when {
        Trigger::Events(_) => "RULE/TICKET/HASH[/N]",
        Trigger::Time(TimeTrigger::DormantFor { .. }) => "RULE/CUSTOMER/THRESHOLD/CYCLE[/N]",
        Trigger::Time(_) => "RULE/TICKET/THRESHOLD/CYCLE[/N]",
    };
    let wrong = || format!("its key '{key}' is not {shape} of rule '{}'", rule.name);
    let rest = key
        .strip_prefix(rule.name.as_str())
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(wrong)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let base = match rule.when {
        Trigger::Events(_) => 2,
        Trigger::Time(_) => 3,
    };
    if parts.len() < base || parts[..base].iter().any(|p| p.is_empty()) {
        return Err(wrong());
    }
    let n = match &parts[base..] {
        [] => 1,
        [text] => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 2 && n.to_string() == *text)
            .ok_or_else(wrong)?,
        _ => return Err(wrong()),
    };
    let subject = parts[0];
    let of_customer = matches!(rule.when, Trigger::Time(TimeTrigger::DormantFor { .. }));
    let expected = if of_customer {
        &ticket.customer
    } else {
        &ticket.id
    };
    if !subject.eq_ignore_ascii_case(expected) {
        return Err(format!(
            "its key names {} {subject}, not this ticket's {expected}",
            if of_customer { "customer" } else { "ticket" }
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::config::Config;
    use crate::model::outbox::deliveries;
    use crate::model::{Event, NewTicket};
    use crate::yaml::Value;

    fn rules(yaml: &str) -> Rules {
        let v: Value = crate::yaml::from_str(yaml).unwrap();
        Rules::parse(Some(&v), &Config::seed_defaults()).unwrap()
    }

    fn ticket() -> Ticket {
        let at = Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap();
        Ticket::create(
            "CW202611230001".into(),
            NewTicket {
                title: "t".into(),
                ..NewTicket::sample()
            },
            at,
            "li.na",
        )
    }

    /// The delivery of one `queued` event written as `yaml` (without `at`
    /// and `action`).
    fn delivery(yaml: &str) -> Delivery {
        let e: Event = crate::yaml::from_str(&format!(
            "at: 2026-11-23T09:00:00+08:00\naction: queued\n{yaml}"
        ))
        .unwrap();
        deliveries(&[e]).remove(0)
    }

    const RULES: &str = "\
- {name: tell, when: created, then: [{assign: li.na}, {notify: {to: assignee, template: assigned}}, {run: {command: hooks/x.sh, args: [a b]}}]}
- {name: late, when: {no_progress_for: 24h}, then: [{run: hooks/late.sh}]}
- {name: call, when: {dormant_for: 6m}, then: [{open: {type: consultation, title: t, priority: normal, channel: phone}}, {notify: {to: [owner, customer], template: assigned}}]}
";

    #[test]
    fn a_delivery_does_what_its_rule_says_now_whatever_the_entry_says() {
        let rules = rules(RULES);
        let t = ticket();
        // Stored fields of an older desk (or a crafted file) are not used.
        let d = delivery(
            "by: rule:tell\nkey: tell/CW202611230001/0123456789ab/2\nvia: run\ncommand: sh\nargs: [-c, id]\n",
        );
        match explain(&rules, &t, &d).unwrap() {
            Work::Hook(h) => {
                assert_eq!(h.command, "hooks/x.sh");
                assert_eq!(h.command_line(), "hooks/x.sh 'a b'");
            }
            other => panic!("{other:?}"),
        }
        let d = delivery(
            "by: rule:tell\nkey: tell/CW202611230001/0123456789ab\nvia: email\nto: [li.na]\ntemplate: ../../../tmp/x\n",
        );
        assert_eq!(
            explain(&rules, &t, &d).unwrap().uses(),
            "templates/assigned.txt"
        );
        let d = delivery(
            "by: rule:late\nkey: late/CW202611230001/no_progress_for-1d/2026-11-23T09:00:00+08:00\nvia: run\n",
        );
        assert_eq!(explain(&rules, &t, &d).unwrap().uses(), "hooks/late.sh");
        // A dormant_for rule's key names the customer.
        let d = delivery(
            "by: rule:call\nkey: call/C000001/dormant_for-6m/2026-05-23T09:00:00+08:00\nvia: email\nto: [li.na, customer]\n",
        );
        assert_eq!(
            explain(&rules, &t, &d).unwrap().uses(),
            "templates/assigned.txt"
        );
    }

    #[test]
    fn an_entry_no_rule_explains_says_why() {
        let rules = rules(RULES);
        let t = ticket();
        for (yaml, why) in [
            (
                "by: rule:ghost\nkey: ghost/CW202611230001/000000000000\nvia: run\ncommand: sh\n",
                "desk.yaml has no rule 'ghost'",
            ),
            (
                "by: li.na\nkey: tell/CW202611230001/000000000000\nvia: run\n",
                "it was not queued by a rule (by: li.na)",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230001/000000000000/3\nvia: run\n",
                "its key names action 3 of rule 'tell', which has 2 notify or run action(s)",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230001/000000000000\nvia: run\ncommand: sh\n",
                "it says via 'run', but action 1 of rule 'tell' delivers by email",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230002/000000000000/2\nvia: run\n",
                "its key names ticket CW202611230002, not this ticket's CW202611230001",
            ),
            (
                "by: rule:tell\nkey: other/CW202611230001/000000000000\nvia: run\n",
                "its key 'other/CW202611230001/000000000000' is not RULE/TICKET/HASH[/N] of rule 'tell'",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230001/000000000000/1\nvia: run\n",
                "its key 'tell/CW202611230001/000000000000/1' is not RULE/TICKET/HASH[/N] of rule 'tell'",
            ),
            (
                "by: rule:late\nkey: late/CW202611230001/000000000000\nvia: run\n",
                "its key 'late/CW202611230001/000000000000' is not RULE/TICKET/THRESHOLD/CYCLE[/N] of rule 'late'",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230001/000000000000\nvia: email\nto: [customer]\n",
                "it is addressed to the customer, whom rule 'tell' does not notify",
            ),
            (
                "by: rule:tell\nkey: tell/CW202611230001/000000000000\nvia: email\n",
                "it names no recipient",
            ),
        ] {
            assert_eq!(explain(&rules, &t, &delivery(yaml)), Err(why.to_string()), "{yaml}");
        }
    }
}
