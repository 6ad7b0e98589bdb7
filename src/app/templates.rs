//! What a rule's message template is given (the ticket, the customer's
//! masked name, the agent), and the checks that every template the rules
//! name is present and renders.

use crate::store::TEMPLATES_DIR;

use serde_json::json;

use crate::clock::Timestamp;
use crate::error::Error;
use crate::model::{Field, Finding, Ticket};
use crate::rules::template::{self};
use crate::rules::{RuleAction, Rules, CUSTOMER};
use crate::store::Store;

/// Every template the rules name that is missing or does not render
/// (with a sample ticket), each an error naming the rule and the key.
pub fn template_problems(store: &Store, rules: &Rules) -> Vec<Error> {
    let mut problems = Vec::new();
    for (index, rule) in rules.rules.iter().enumerate() {
        for (i, action) in rule.actions.iter().enumerate() {
            let RuleAction::Notify(n) = action else {
                continue;
            };
            let rel = format!("{TEMPLATES_DIR}/{}.txt", n.template);
            let problem = match store.template_text(&n.template) {
                Err(_) if !store.holds(std::path::Path::new(&rel)) => {
                    Some(format!("{rel} does not exist"))
                }
                Err(e) => Some(e.to_string()),
                Ok(text) => {
                    let context = sample_context(&store.config, &rule.name);
                    template::render(&n.template, &text, &context)
                        .err()
                        .map(|e| format!("{rel} does not render: {e}"))
                }
            };
            if let Some(p) = problem {
                problems.push(Error::Parse {
                    path: crate::store::CONFIG_FILE.into(),
                    line: super::rules::rule_line_of(store, &rule.name),
                    message: format!(
                        "rule '{}' (rules[{index}]), key then[{i}].notify.template: {p}",
                        rule.name
                    ),
                });
            }
        }
    }
    problems
}

/// `desk check`'s findings about templates (only when the rules parse:
/// their own findings come first).
pub fn template_findings(store: &Store) -> Vec<Finding> {
    let Ok(rules) = super::rules::rules(store) else {
        return Vec::new();
    };
    template_problems(store, &rules)
        .into_iter()
        .map(super::check::config_finding)
        .collect()
}

/// What a template sees: the ticket's fields with their labels, the
/// assignee's name, the customer's masked name (never a contact or an
/// ID-card or bank-card number), the SLA due times in local time, the
/// rule and the key; and whom the message is for (`to`, as queued: the
/// ticket may have moved on since, so a template can tell the
/// recipient apart from the assignee of now).
pub(super) fn message_context(
    store: &Store,
    t: &Ticket,
    rule: &str,
    key: &str,
    to: &[String],
    now: Timestamp,
) -> serde_json::Value {
    let customer = store.load_customer(&t.customer).ok();
    let customer_name = customer.as_ref().map_or_else(
        || t.customer.clone(),
        |c| crate::model::mask::customer_name(c.kind, &c.name, c.salutation.as_deref()),
    );
    let names: Vec<String> = to
        .iter()
        .map(|who| match who.as_str() {
            CUSTOMER => customer_name.clone(),
            agent => agent_name(&store.config, agent),
        })
        .collect();
    let sla = match store.sla() {
        Ok((policy, calendar)) => {
            let marks = crate::model::Mark::of_history(&t.history);
            let now = now.0.with_timezone(&chrono::Utc);
            crate::sla::replay(&marks, &t.priority, policy, calendar, now)
                .clocks
                .iter()
                .map(|c| {
                    json!({
                        "target": c.kind.name(),
                        "state": c.state.name(),
                        "due": c.due.map(|d| crate::clock::local_minute(&d, store.settings.tz)),
                    })
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    // A mail to the customer alone may greet them by their full name: it
    // goes to them. Never a number of theirs, in any mail.
    let full_name = customer
        .as_ref()
        .filter(|_| to.iter().all(|who| who == CUSTOMER) && !to.is_empty())
        .map(|c| c.name.clone());
    let mut ctx = ticket_context(&store.config, t, store.settings.tz);
    ctx["rule"] = json!(rule);
    ctx["key"] = json!(key);
    ctx["customer"] = json!({
        "id": t.customer,
        "name": customer_name,
        "full_name": full_name,
        "vip": customer.as_ref().is_some_and(|c| c.vip),
    });
    ctx["survey"] = survey_context(&store.config);
    ctx["sla"] = json!(sla);
    ctx["recipient"] = json!({"ids": to, "name": names.join("、")});
    ctx
}

/// What a survey invitation tells the customer: the dimensions to score, in
/// order, and an answer they can copy (`5 5 5 10`), which `desk mail-in`
/// reads back (docs/mail.md, "Survey answers by reply").
fn survey_context(config: &crate::config::Config) -> serde_json::Value {
    let dimensions: Vec<serde_json::Value> = config
        .survey
        .dimensions
        .iter()
        .map(|d| json!({"key": d.key, "label": d.label}))
        .collect();
    let example = vec!["5"; dimensions.len()].join(" ") + " 10";
    json!({
        "dimensions": dimensions,
        "example": example,
        "window_hours": config.survey.window_hours,
    })
}

/// An agent's name from desk.yaml, else the ID as recorded.
fn agent_name(config: &crate::config::Config, id: &str) -> String {
    config
        .agent(id)
        .map_or_else(|| id.to_string(), |a| a.name.clone())
}

/// The fields of a ticket as templates see them.
fn ticket_context(
    config: &crate::config::Config,
    t: &Ticket,
    tz: chrono_tz::Tz,
) -> serde_json::Value {
    let label =
        |field: Field, key: &str| config.label(field, key).unwrap_or_else(|| key.to_string());
    let assignee_name = t.assignee.as_deref().map(|a| agent_name(config, a));
    // The latest close: its compensation and advice for the result notice.
    let closed = t.history.iter().rev().find_map(|e| match &e.payload {
        crate::model::Payload::Closed(c) => Some(c),
        _ => None,
    });
    json!({
        "ticket": {
            "id": t.id,
            "title": t.title,
            "type": t.kind,
            "type_label": label(Field::Type, &t.kind),
            "priority": t.priority,
            "priority_label": label(Field::Priority, &t.priority),
            "status": t.status.key(),
            "status_label": label(Field::Status, t.status.key()),
            "channel": t.channel,
            "channel_label": label(Field::Channel, &t.channel),
            "category": t.category,
            "tags": t.tags,
            "created": crate::clock::local_minute(&t.created.0, tz),
            "assignee": t.assignee,
            "assignee_name": assignee_name,
            "description": t.description,
            "resolution": t.resolution,
            "compensation": closed.and_then(|c| c.compensation.as_deref()),
            "followup": closed.and_then(|c| c.followup.as_deref()),
        },
    })
}

/// A context with every variable a real one has, to check templates before
/// anything is sent.
fn sample_context(config: &crate::config::Config, rule: &str) -> serde_json::Value {
    let at = Timestamp::parse("2026-01-05T09:00:00+08:00").expect("a valid time");
    let first = |field: Field| {
        config
            .choices(field)
            .first()
            .map_or_else(String::new, |c| c.key.clone())
    };
    let t = Ticket::create(
        "CW202601050001".into(),
        crate::model::NewTicket {
            title: "示例 sample".into(),
            customer: "C000001".into(),
            kind: first(Field::Type),
            category: Some("sample".into()),
            tags: vec!["sample".into()],
            channel: first(Field::Channel),
            priority: first(Field::Priority),
            description: "示例 sample".into(),
            expectation: None,
            assignee: config.agents.first().map(|a| a.id.clone()),
        },
        at,
        "desk",
    );
    let mut ctx = ticket_context(config, &t, chrono_tz::Asia::Shanghai);
    ctx["rule"] = json!(rule);
    ctx["key"] = json!(format!("{rule}/CW202601050001/000000000000"));
    ctx["customer"] = json!({"id": "C000001", "name": "张*", "full_name": "张三", "vip": false});
    ctx["survey"] = survey_context(config);
    ctx["sla"] = json!([{"target": "resolution", "state": "running", "due": "2026-01-06 09:00"}]);
    let first: Vec<&crate::config::Agent> = config.agents.iter().take(1).collect();
    ctx["recipient"] = json!({
        "ids": first.iter().map(|a| &a.id).collect::<Vec<_>>(),
        "name": first.iter().map(|a| a.name.as_str()).collect::<String>(),
    });
    ctx
}

/// The ticket as `desk show --format json` prints it.
pub fn ticket_json(t: &Ticket) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(t).expect("a ticket serialises");
    out.push(b'\n');
    out
}
