//! Evaluating rules: which actions an event calls for, which agent a role
//! strategy picks, and applying the actions to the ticket as events by
//! `rule:NAME`. Pure: the caller supplies the facts and the workload.

use std::collections::BTreeMap;

use crate::yaml::Value;

use super::*;
use crate::clock::Timestamp;
use crate::model::{Edit, Event, Payload, Queued, Status, Ticket};

/// What conditions need beyond the ticket; `None` when not looked up (no
/// rule asked), and then such conditions do not match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub customer_kind: Option<String>,
    pub customer_vip: Option<bool>,
    pub customer_owner: Option<String>,
    /// Whether the event's time is within working hours.
    pub working_hours: Option<bool>,
    /// For a `surveyed` event: whether the customer was unsatisfied (the
    /// survey reopened the ticket, see [`crate::model::survey::reopened_by`]).
    pub survey_unsatisfied: Option<bool>,
}

/// An action a matching rule calls for, with the rule's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub rule: String,
    pub action: RuleAction,
    /// For `notify` and `run`: the delivery's key (see [`cause_key`]).
    pub key: Option<String>,
}

/// Where an assignment goes, once a role's strategy has been applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Agent(String),
    /// No agent of the roles (`service or supervisor`) can take new work.
    Nobody(String),
}

/// A role's workload, from the store's tickets: open tickets per agent, and
/// the agent holding the newest ticket (by creation time, then ID).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Load {
    pub open: BTreeMap<String, usize>,
    pub newest: Option<String>,
}

/// What a rule did, or why it did not.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Assigned {
        rule: String,
        to: String,
        /// The roles passed over, all of whose agents were away (a fallback
        /// of `assign: {role: [A, B]}`).
        instead_of: Vec<Role>,
    },
    Set {
        rule: String,
        field: String,
        to: String,
    },
    Noted {
        rule: String,
    },
    Queued {
        rule: String,
        key: String,
        what: String,
    },
    /// A `dormant_for` rule opened a call-back ticket for the customer.
    Opened {
        rule: String,
        ticket: String,
        customer: String,
    },
    Skipped {
        rule: String,
        why: String,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Assigned {
                rule,
                to,
                instead_of,
            } => {
                write!(f, "assigned to {to} by rule {rule}")?;
                if !instead_of.is_empty() {
                    write!(
                        f,
                        " (no agent of role {} available)",
                        instead_of.join(" or ")
                    )?;
                }
                Ok(())
            }
            Outcome::Set { rule, field, to } => write!(f, "{field} set to {to} by rule {rule}"),
            Outcome::Noted { rule } => write!(f, "note added by rule {rule}"),
            Outcome::Queued { rule, key, what } => {
                write!(f, "{what} queued by rule {rule} ({key})")
            }
            Outcome::Opened {
                rule,
                ticket,
                customer,
            } => write!(f, "ticket {ticket} opened for {customer} by rule {rule}"),
            Outcome::Skipped { rule, why } => write!(f, "rule {rule} skipped: {why}"),
        }
    }
}

/// The key of a delivery an event rule queues: the rule, the ticket, and a
/// short hash of the triggering event's own fields (time, actor, action and
/// values) — never its place in the history, which differs between clones
/// whose histories merged in another order. `nth` tells apart the deliveries
/// of one rule with several `notify`/`run` actions (the second is `…/2`).
pub fn cause_key(rule: &str, ticket: &str, event: &Event, nth: usize) -> String {
    use sha2::{Digest, Sha256};
    let text = crate::yaml::to_string(event).expect("events serialise");
    let hash = Sha256::digest(text.as_bytes());
    let hex = crate::crypto::hex(&hash[..6]);
    match nth {
        0 | 1 => format!("{rule}/{ticket}/{hex}"),
        n => format!("{rule}/{ticket}/{hex}/{n}"),
    }
}

/// The actions that the event `after.history[index]` calls for: the enabled
/// rules it triggers whose conditions hold, in file order. `before` is the
/// ticket before the event (`None` for `created`). Notify and run actions
/// get their delivery's key, to be queued for `desk run`.
pub fn plan(
    rules: &Rules,
    event: &Event,
    before: Option<&Ticket>,
    after: &Ticket,
    facts: &Facts,
) -> Vec<Planned> {
    rules
        .on(&event.action())
        .filter(|r| {
            r.conditions
                .iter()
                .all(|c| holds(rules, c, before, after, facts))
        })
        .flat_map(|r| {
            let mut nth = 0;
            r.actions.iter().map(move |a| {
                let key = matches!(a, RuleAction::Notify(_) | RuleAction::Run(_)).then(|| {
                    nth += 1;
                    cause_key(&r.name, &after.id, event, nth)
                });
                Planned {
                    rule: r.name.clone(),
                    action: a.clone(),
                    key,
                }
            })
        })
        .collect()
}

/// Whether every condition of `rule` holds for the ticket as it is now: the
/// `if:` of a time rule, which has no event (and so no `changed_to`, which
/// the parser refuses on time triggers).
pub fn holds_now(rules: &Rules, rule: &Rule, ticket: &Ticket, facts: &Facts) -> bool {
    rule.conditions
        .iter()
        .all(|c| holds(rules, c, None, ticket, facts))
}

/// The values of a subject on a ticket: none when unset, several for tags.
fn values(rules: &Rules, s: Subject, t: &Ticket, facts: &Facts) -> Vec<String> {
    let one = |v: &str| vec![v.to_string()];
    let opt = |v: &Option<String>| v.iter().cloned().collect();
    match s {
        Subject::Type => one(&t.kind),
        Subject::Category => opt(&t.category),
        Subject::Priority => one(&t.priority),
        Subject::Channel => one(&t.channel),
        Subject::Status => one(t.status.key()),
        Subject::Tags => t.tags.clone(),
        Subject::Assignee => opt(&t.assignee),
        Subject::AssigneeRole => t
            .assignee
            .as_deref()
            .and_then(|a| rules.role_of(a))
            .map(one)
            .unwrap_or_default(),
        Subject::CustomerKind => opt(&facts.customer_kind),
        Subject::CustomerOwner => opt(&facts.customer_owner),
        Subject::Title => one(&t.title),
        Subject::Description => one(&t.description),
        Subject::CustomerVip | Subject::WorkingHours | Subject::SurveyUnsatisfied => Vec::new(),
    }
}

fn holds(
    rules: &Rules,
    c: &Condition,
    before: Option<&Ticket>,
    after: &Ticket,
    facts: &Facts,
) -> bool {
    match &c.test {
        Test::Flag(want) => {
            let got = match c.subject {
                Subject::CustomerVip => facts.customer_vip,
                Subject::SurveyUnsatisfied => facts.survey_unsatisfied,
                _ => facts.working_hours,
            };
            got == Some(*want)
        }
        Test::Text {
            contains,
            not_contains,
        } => {
            let text = values(rules, c.subject, after, facts)
                .concat()
                .to_lowercase();
            (contains.is_empty() || contains.iter().any(|s| text.contains(s.as_str())))
                && !not_contains.iter().any(|s| text.contains(s.as_str()))
        }
        Test::Value {
            is,
            not,
            changed_to,
            set,
        } => {
            let now = values(rules, c.subject, after, facts);
            let any_in = |vals: &[String], list: &[String]| vals.iter().any(|v| list.contains(v));
            if set.is_some_and(|want| want == now.is_empty()) {
                return false;
            }
            if is.as_ref().is_some_and(|l| !any_in(&now, l)) || any_in(&now, not) {
                return false;
            }
            match changed_to {
                None => true,
                Some(list) => {
                    // A value the event brought: not there before (anything
                    // is new on creation).
                    let was = before
                        .map(|b| values(rules, c.subject, b, facts))
                        .unwrap_or_default();
                    now.iter().any(|v| list.contains(v) && !was.contains(v))
                }
            }
        }
    }
}

/// The first of `roles` with an agent who can take new work: where an
/// `assign: {role: [A, B]}` goes when everyone of A is away. `None` when no
/// role has one.
pub fn first_available<'a>(rules: &Rules, roles: &'a [Role]) -> Option<&'a str> {
    roles
        .iter()
        .find(|r| rules.members(r).any(|m| !m.away))
        .map(String::as_str)
}

/// The agent a role's strategy picks, skipping those away; desk.yaml's
/// order breaks ties. Round robin: the agent after the one holding the
/// role's newest ticket. Fewest open: the fewest open tickets.
pub fn choose(rules: &Rules, role: &str, strategy: Strategy, load: &Load) -> Target {
    let members: Vec<&Member> = rules.members(role).collect();
    let pick = match strategy {
        Strategy::RoundRobin => {
            let start = load
                .newest
                .as_deref()
                .and_then(|n| members.iter().position(|m| m.id == n))
                .map_or(0, |i| i + 1);
            (0..members.len())
                .map(|k| members[(start + k) % members.len()])
                .find(|m| !m.away)
        }
        Strategy::FewestOpen => members
            .iter()
            .filter(|m| !m.away)
            .min_by_key(|m| load.open.get(&m.id).copied().unwrap_or(0))
            .copied(),
    };
    pick.map_or_else(
        || Target::Nobody(role.to_string()),
        |m| Target::Agent(m.id.clone()),
    )
}

/// Applies one planned action to the ticket as events by `rule:NAME` at
/// `at`. `target` is where an assignment goes (resolved by the caller with
/// [`choose`]; `None` when it was not worth finding, the ticket being
/// closed or assigned by a rule already); `assigned` says a rule already
/// assigned the ticket for this command, so that later assignments give way
/// to the first. `owner` is the customer's owner, for `notify: {to: owner}`.
/// `None`: there was nothing to do.
pub fn apply(
    rules: &Rules,
    ticket: &mut Ticket,
    planned: &Planned,
    target: Option<&Target>,
    assigned: &mut bool,
    owner: Option<&str>,
    at: Timestamp,
) -> crate::error::Result<Option<Outcome>> {
    let rule = planned.rule.clone();
    let by = format!("{BY_PREFIX}{rule}");
    let skipped = |why: String| {
        Ok(Some(Outcome::Skipped {
            rule: rule.clone(),
            why,
        }))
    };
    match &planned.action {
        RuleAction::Assign(_) => {
            if *assigned {
                return skipped("a rule before it assigned the ticket already".into());
            }
            if ticket.status == Status::Closed {
                return skipped("the ticket is closed".into());
            }
            let to = match target {
                Some(Target::Agent(a)) => a.clone(),
                Some(Target::Nobody(role)) => {
                    return skipped(format!(
                    "no agent of role {role} can take new tickets (all away or inactive, or none)"
                ))
                }
                None => return Ok(None),
            };
            if ticket.assignee.as_deref() == Some(to.as_str()) {
                return Ok(None);
            }
            if rules.agents.iter().any(|m| m.id == to && m.away) {
                return skipped(format!("{to} is away"));
            }
            // The roles of the list before the agent's: passed over.
            let instead_of = match &planned.action {
                RuleAction::Assign(AssignTo::Role { roles, .. }) => roles
                    .iter()
                    .take_while(|r| Some(r.as_str()) != rules.role_of(&to))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            ticket.assign(&to, None, at, &by)?;
            *assigned = true;
            Ok(Some(Outcome::Assigned {
                rule,
                to,
                instead_of,
            }))
        }
        RuleAction::Set(set) => {
            let mut edits = Vec::new();
            if let Some(p) = &set.priority {
                edits.push(Edit {
                    field: "priority".into(),
                    value: Value::String(p.clone()),
                });
            }
            if let Some(c) = &set.category {
                edits.push(Edit {
                    field: "category".into(),
                    value: c.clone().map_or(Value::Null, Value::String),
                });
            }
            if let Some(change) = &set.tags {
                let tags = match change {
                    TagChange::Replace(t) => crate::model::ticket_input::unique_tags(t.clone()),
                    TagChange::Edit { add, remove } => {
                        let mut t: Vec<String> = ticket
                            .tags
                            .iter()
                            .filter(|x| !remove.contains(x))
                            .cloned()
                            .collect();
                        for a in add {
                            if !t.contains(a) {
                                t.push(a.clone());
                            }
                        }
                        t
                    }
                };
                edits.push(Edit {
                    field: "tags".into(),
                    value: Value::Sequence(tags.into_iter().map(Value::String).collect()),
                });
            }
            // Values the ticket has already are no change (and no event).
            edits.retain(|e| ticket.state().get(&e.field).as_ref() != Some(&e.value));
            let Some(first) = edits.first() else {
                return Ok(None);
            };
            let shown = |v: &Value| match v {
                Value::Null => "nothing".into(),
                other => crate::model::inline_value(Some(other), false),
            };
            let outcome = Outcome::Set {
                rule,
                field: edits
                    .iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                to: if edits.len() == 1 {
                    shown(&first.value)
                } else {
                    "new values".into()
                },
            };
            ticket.edit(edits, None, at, &by)?;
            Ok(Some(outcome))
        }
        RuleAction::Note(note) => {
            if ticket.status == Status::Closed {
                return skipped("the ticket is closed".into());
            }
            ticket.update(note.clone(), None, at, &by)?;
            Ok(Some(Outcome::Noted { rule }))
        }
        RuleAction::Notify(_) | RuleAction::Run(_) => {
            let key = planned.key.clone().expect("plan keys deliveries");
            match queue(rules, ticket, &rule, &key, &planned.action, owner, at) {
                Ok(Some(what)) => Ok(Some(Outcome::Queued { rule, key, what })),
                Ok(None) => Ok(None),
                Err(why) => skipped(why),
            }
        }
        // The store opens the ticket before the rule's other actions run.
        RuleAction::Open(_) => Ok(None),
    }
}

/// Appends the `queued` event of a notify or run action, with the
/// recipients resolved against the ticket as it stands now (after the
/// actions before it: a rule may assign, then notify the assignee). The
/// event is a reference — the rule, the key (which names the action), the
/// channel and the recipients — and never the template or the command:
/// `desk run` takes those from the rule as desk.yaml has it then
/// ([`super::explain`]). What was queued, in words; `Ok(None)` when the
/// key is queued already; `Err` when there is no one to notify.
pub fn queue(
    rules: &Rules,
    ticket: &mut Ticket,
    rule: &str,
    key: &str,
    action: &RuleAction,
    owner: Option<&str>,
    at: Timestamp,
) -> Result<Option<String>, String> {
    if ticket
        .history
        .iter()
        .any(|e| matches!(&e.payload, Payload::Queued(q) if q.key == key))
    {
        return Ok(None);
    }
    let mut queued = Queued {
        to: None,
        key: key.to_string(),
        via: None,
        template: None,
        command: None,
        args: None,
    };
    let what = match action {
        RuleAction::Notify(n) => {
            let to = recipients(rules, ticket, &n.to, owner)?;
            let what = format!("e-mail '{}' to {}", n.template, to.join(", "));
            queued.to = Some(to);
            queued.via = Some(n.via.key().to_string());
            what
        }
        RuleAction::Run(hook) => {
            queued.via = Some("run".to_string());
            format!("run of {}", hook.command)
        }
        _ => unreachable!("only deliveries are queued"),
    };
    let by = format!("{BY_PREFIX}{rule}");
    ticket.history.push(Event::new(at, &by, queued));
    Ok(Some(what))
}

/// Who a notification goes to, as recorded in its `queued` event: agent IDs
/// (the assignee, the owner, a role's available agents, an agent) and
/// `customer` (the customer's own address, looked up when sending, so no
/// address is written into the history). Duplicates once.
fn recipients(
    rules: &Rules,
    ticket: &Ticket,
    to: &[Recipient],
    owner: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for r in to {
        let found: Vec<String> = match r {
            Recipient::Assignee => ticket.assignee.iter().cloned().collect(),
            Recipient::Owner => owner.map(str::to_string).into_iter().collect(),
            Recipient::Customer => vec![CUSTOMER.to_string()],
            Recipient::Role(roles) => first_available(rules, roles)
                .map(|role| {
                    rules
                        .members(role)
                        .filter(|m| !m.away)
                        .map(|m| m.id.clone())
                        .collect()
                })
                .unwrap_or_default(),
            Recipient::Agent(a) => vec![a.clone()],
        };
        if found.is_empty() {
            missing.push(match r {
                Recipient::Assignee => "the ticket has no assignee".to_string(),
                Recipient::Owner => "the customer has no owner".to_string(),
                Recipient::Role(roles) => {
                    format!("no available agent has role {}", roles.join(" or "))
                }
                _ => unreachable!("always found"),
            });
        }
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    if out.is_empty() {
        return Err(format!("no one to notify: {}", missing.join("; ")));
    }
    Ok(out)
}

/// The recipient `customer` in a `queued` event: the customer's own e-mail.
pub const CUSTOMER: &str = "customer";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::NewTicket;

    fn rules(yaml: &str, config: &Config) -> Rules {
        let v: Value = crate::yaml::from_str(yaml).unwrap();
        Rules::parse(Some(&v), config).unwrap()
    }

    fn at() -> Timestamp {
        Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap()
    }

    fn ticket(kind: &str, priority: &str) -> Ticket {
        Ticket::create(
            "CW202611230001".into(),
            NewTicket {
                title: "Printer jams on every page".into(),
                kind: kind.into(),
                priority: priority.into(),
                ..NewTicket::sample()
            },
            at(),
            "li.na",
        )
    }

    fn team() -> Config {
        let mut c = Config::seed_defaults();
        let agent = |id: &str, role: &str, away| crate::config::Agent {
            id: id.into(),
            name: id.into(),
            role: role.into(),
            email: None,
            node: None,
            active: true,
            away,
        };
        c.agents = vec![
            agent("e1", "engineer", false),
            agent("e2", "engineer", true),
            agent("e3", "engineer", false),
            agent("boss", "supervisor", false),
        ];
        c
    }

    fn names(p: &[Planned]) -> Vec<&str> {
        p.iter().map(|p| p.rule.as_str()).collect()
    }

    #[test]
    fn conditions_select_the_rules() {
        let c = team();
        let r = rules(
            "- {name: complaints, when: created, if: {type: complaint, assignee: {set: false}}, then: [{assign: boss}]}\n\
             - {name: urgent-jams, when: [created, edited], if: {priority: urgent, title: {contains: JAM}}, then: [{note: x}]}\n\
             - {name: off-hours, when: created, if: {working_hours: false}, then: [{note: later}]}\n\
             - {name: vip, when: created, if: {customer.vip: true, customer.kind: enterprise}, then: [{note: vip}]}\n\
             - {name: off, enabled: false, when: created, then: [{note: never}]}\n",
            &c,
        );
        let t = ticket("complaint", "urgent");
        let facts = Facts {
            working_hours: Some(true),
            ..Facts::default()
        };
        assert_eq!(
            names(&plan(&r, &t.history[0], None, &t, &facts)),
            ["complaints", "urgent-jams"]
        );
        let facts = Facts {
            working_hours: Some(false),
            customer_kind: Some("enterprise".into()),
            customer_vip: Some(true),
            ..Facts::default()
        };
        let t = ticket("consultation", "normal");
        assert_eq!(
            names(&plan(&r, &t.history[0], None, &t, &facts)),
            ["off-hours", "vip"]
        );
        // Unknown facts never match.
        assert!(plan(&r, &t.history[0], None, &t, &Facts::default()).is_empty());
    }

    #[test]
    fn changed_to_needs_the_event_to_change_the_value() {
        let c = team();
        let r = rules(
            "- {name: raised, when: edited, if: {priority: {changed_to: urgent}}, then: [{note: x}]}\n\
             - {name: tagged, when: edited, if: {tags: {changed_to: vip}}, then: [{note: y}]}\n",
            &c,
        );
        let mut t = ticket("complaint", "normal");
        let before = t.clone();
        let edit = |f: &str, v: Value| Edit {
            field: f.into(),
            value: v,
        };
        t.edit(
            vec![edit("priority", Value::String("urgent".into()))],
            None,
            at(),
            "x",
        )
        .unwrap();
        let e = t.history.last().unwrap().clone();
        assert_eq!(
            names(&plan(&r, &e, Some(&before), &t, &Facts::default())),
            ["raised"]
        );
        // Already urgent: a title change is no change to urgent.
        let before = t.clone();
        t.edit(
            vec![edit("title", Value::String("t".into()))],
            None,
            at(),
            "x",
        )
        .unwrap();
        let e = t.history.last().unwrap().clone();
        assert!(plan(&r, &e, Some(&before), &t, &Facts::default()).is_empty());
        // A tag added, not one kept.
        let before = t.clone();
        let tags =
            |v: &[&str]| Value::Sequence(v.iter().map(|s| Value::String(s.to_string())).collect());
        t.edit(vec![edit("tags", tags(&["vip"]))], None, at(), "x")
            .unwrap();
        let e = t.history.last().unwrap().clone();
        assert_eq!(
            names(&plan(&r, &e, Some(&before), &t, &Facts::default())),
            ["tagged"]
        );
        let before = t.clone();
        t.edit(vec![edit("tags", tags(&["vip", "new"]))], None, at(), "x")
            .unwrap();
        let e = t.history.last().unwrap().clone();
        assert!(plan(&r, &e, Some(&before), &t, &Facts::default()).is_empty());
    }

    #[test]
    fn strategies_pick_over_ten_tickets_skipping_the_away() {
        let c = team();
        let r = rules("[]", &c);
        let mut load = Load::default();
        let mut got = Vec::new();
        for _ in 0..10 {
            let Target::Agent(a) = choose(&r, "engineer", Strategy::RoundRobin, &load) else {
                panic!("an engineer is there")
            };
            load.newest = Some(a.clone());
            got.push(a);
        }
        assert_eq!(
            got,
            ["e1", "e3", "e1", "e3", "e1", "e3", "e1", "e3", "e1", "e3"]
        );
        // The newest ticket held by an agent now away: the next one on.
        load.newest = Some("e2".into());
        assert_eq!(
            choose(&r, "engineer", Strategy::RoundRobin, &load),
            Target::Agent("e3".into())
        );

        let mut load = Load::default();
        load.open.insert("e1".into(), 4);
        load.open.insert("e2".into(), 0);
        let mut got = Vec::new();
        for _ in 0..10 {
            let Target::Agent(a) = choose(&r, "engineer", Strategy::FewestOpen, &load) else {
                panic!("an engineer is there")
            };
            *load.open.entry(a.clone()).or_default() += 1;
            got.push(a);
        }
        assert_eq!(
            got,
            ["e3", "e3", "e3", "e3", "e1", "e3", "e1", "e3", "e1", "e3"]
        );
        assert_eq!(
            choose(&r, "sales", Strategy::FewestOpen, &Load::default()),
            Target::Nobody("sales".into())
        );
    }

    /// A role list falls back to the next role when everyone of the first
    /// is away, and says so; a notice to a role list reaches the first role
    /// with someone available.
    #[test]
    fn a_role_list_routes_around_absence() {
        let mut c = team();
        // Both available engineers away too: the supervisor takes over.
        for a in c.agents.iter_mut().filter(|a| a.role == "engineer") {
            a.away = true;
        }
        let r = rules(
            "- {name: faults, when: created, then: [{assign: {role: [sales, engineer, supervisor]}}, {notify: {to: [{role: [engineer, supervisor]}], template: t}}]}\n",
            &c,
        );
        let roles: Vec<Role> = ["sales", "engineer", "supervisor"].map(String::from).into();
        assert_eq!(first_available(&r, &roles), Some("supervisor"));
        assert_eq!(first_available(&r, &roles[..2]), None);
        let mut t = ticket("service", "normal");
        let planned = plan(
            &r,
            &t.history[0].clone(),
            None,
            &t.clone(),
            &Facts::default(),
        );
        let target = Target::Agent("boss".into());
        let mut assigned = false;
        let mut shown = Vec::new();
        for (p, target) in planned.iter().zip([Some(&target), None]) {
            let got = apply(&r, &mut t, p, target, &mut assigned, None, at()).unwrap();
            shown.push(got.unwrap().to_string());
        }
        assert_eq!(
            shown[0],
            "assigned to boss by rule faults (no agent of role sales or engineer available)"
        );
        assert!(
            shown[1].starts_with("e-mail 't' to boss queued"),
            "{}",
            shown[1]
        );
        // No one at all: the skip names every role of the list.
        let mut t = ticket("service", "normal");
        let nobody = Target::Nobody("sales or engineer".into());
        let got = apply(
            &r,
            &mut t,
            &planned[0],
            Some(&nobody),
            &mut false,
            None,
            at(),
        )
        .unwrap();
        assert_eq!(
            got.unwrap().to_string(),
            "rule faults skipped: no agent of role sales or engineer can take new tickets (all away or inactive, or none)"
        );
    }

    /// `survey.unsatisfied` holds on what the command found of the survey,
    /// and on nothing else.
    #[test]
    fn survey_conditions_read_the_surveys_verdict() {
        let c = team();
        let r = rules(
            "- {name: alert, when: surveyed, if: {survey.unsatisfied: true}, then: [{note: x}]}\n- {name: thanks, when: surveyed, if: {survey.unsatisfied: false}, then: [{note: y}]}\n",
            &c,
        );
        let mut t = ticket("complaint", "normal");
        t.close("done".into(), None, None, at(), "e1").unwrap();
        let before = t.clone();
        let mut scores = std::collections::BTreeMap::new();
        scores.insert("efficiency".to_string(), 1u8);
        let survey = crate::model::Survey {
            scores,
            nps: None,
            comment: None,
            channel: None,
        };
        t.survey(survey, true, at(), "e1").unwrap();
        let i = t.history.len() - 2;
        assert!(crate::model::survey::reopened_by(&t.history, i));
        assert!(!crate::model::survey::reopened_by(&t.history, i + 1));
        let after = Ticket::from_history(t.id.clone(), t.history[..=i].to_vec()).unwrap();
        let e = t.history[i].clone();
        let judged = |unsatisfied| Facts {
            survey_unsatisfied: unsatisfied,
            ..Facts::default()
        };
        assert_eq!(
            names(&plan(&r, &e, Some(&before), &after, &judged(Some(true)))),
            ["alert"]
        );
        assert_eq!(
            names(&plan(&r, &e, Some(&before), &after, &judged(Some(false)))),
            ["thanks"]
        );
        assert!(plan(&r, &e, Some(&before), &after, &judged(None)).is_empty());
    }

    #[test]
    fn apply_records_events_by_the_rule_and_the_first_assignment_wins() {
        let c = team();
        let r = rules(
            "- {name: a, when: created, then: [{assign: e1}, {set: {priority: 紧急, tags: {add: [x]}}}, {note: routed}]}\n\
             - {name: b, when: created, then: [{assign: e3}, {set: {priority: urgent}}]}\n",
            &c,
        );
        let mut t = ticket("complaint", "normal");
        let planned = plan(
            &r,
            &t.history[0].clone(),
            None,
            &t.clone(),
            &Facts::default(),
        );
        let mut assigned = false;
        let mut outcomes = Vec::new();
        for p in &planned {
            let target = match &p.action {
                RuleAction::Assign(AssignTo::Agent(a)) => Some(Target::Agent(a.clone())),
                _ => None,
            };
            outcomes
                .extend(apply(&r, &mut t, p, target.as_ref(), &mut assigned, None, at()).unwrap());
        }
        let shown: Vec<String> = outcomes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "assigned to e1 by rule a",
                "priority, tags set to new values by rule a",
                "note added by rule a",
                "rule b skipped: a rule before it assigned the ticket already",
            ]
        );
        assert_eq!(t.assignee.as_deref(), Some("e1"));
        assert_eq!(t.priority, "urgent");
        assert_eq!(t.tags, ["x"]);
        let by: Vec<&str> = t.history.iter().map(|e| e.by.as_str()).collect();
        assert_eq!(by, ["li.na", "rule:a", "rule:a", "rule:a", "rule:a"]);
        assert_eq!(t.history[1].rule(), Some("a"));
        // An agent named directly but away is skipped; a closed ticket
        // takes no assignment and no note.
        let away = Planned {
            rule: "c".into(),
            action: RuleAction::Assign(AssignTo::Agent("e2".into())),
            key: None,
        };
        let mut fresh = false;
        let target = Target::Agent("e2".into());
        let got = apply(&r, &mut t, &away, Some(&target), &mut fresh, None, at()).unwrap();
        assert_eq!(got.unwrap().to_string(), "rule c skipped: e2 is away");
        t.close("done".into(), None, None, at(), "e1").unwrap();
        let target = Target::Agent("e3".into());
        let assign = Planned {
            rule: "d".into(),
            action: RuleAction::Assign(AssignTo::Agent("e3".into())),
            key: None,
        };
        let got = apply(&r, &mut t, &assign, Some(&target), &mut fresh, None, at()).unwrap();
        assert_eq!(
            got.unwrap().to_string(),
            "rule d skipped: the ticket is closed"
        );
        let note = Planned {
            rule: "d".into(),
            action: RuleAction::Note("x".into()),
            key: None,
        };
        let got = apply(&r, &mut t, &note, None, &mut fresh, None, at()).unwrap();
        assert_eq!(
            got.unwrap().to_string(),
            "rule d skipped: the ticket is closed"
        );
        assert_eq!(t.history.len(), 6);
    }

    #[test]
    fn the_key_hashes_the_cause_not_its_place_in_the_history() {
        let t = ticket("complaint", "urgent");
        let created = &t.history[0];
        let key = cause_key("notify", &t.id, created, 1);
        assert_eq!(key, cause_key("notify", &t.id, created, 1));
        assert!(key.starts_with("notify/CW202611230001/"), "{key}");
        assert_eq!(key.len(), "notify/CW202611230001/".len() + 12);
        assert_eq!(
            cause_key("notify", &t.id, created, 2),
            format!("{key}/2"),
            "a rule's second delivery"
        );
        // Another event (a second, or another actor) is another cause.
        let mut other = created.clone();
        other.at = Timestamp(other.at.0 + chrono::TimeDelta::seconds(1));
        assert_ne!(cause_key("notify", &t.id, &other, 1), key);
        other = created.clone();
        other.by = "wang.qiang".into();
        assert_ne!(cause_key("notify", &t.id, &other, 1), key);
        assert_ne!(cause_key("other", &t.id, created, 1), key);
    }

    #[test]
    fn a_rule_that_assigns_then_notifies_queues_for_the_new_assignee() {
        let c = team();
        let r = rules(
            "- {name: route, when: created, then: [{assign: e1}, {notify: {to: [assignee, {role: engineer}, customer], template: assigned}}, {run: hooks/x.sh}]}\n\
             - {name: owner, when: created, then: [{notify: {to: owner, template: t}}]}\n",
            &c,
        );
        let mut t = ticket("complaint", "urgent");
        let planned = plan(
            &r,
            &t.history[0].clone(),
            None,
            &t.clone(),
            &Facts::default(),
        );
        let mut assigned = false;
        let mut shown = Vec::new();
        for p in &planned {
            let target = match &p.action {
                RuleAction::Assign(AssignTo::Agent(a)) => Some(Target::Agent(a.clone())),
                _ => None,
            };
            let got = apply(&r, &mut t, p, target.as_ref(), &mut assigned, None, at()).unwrap();
            shown.push(got.unwrap().to_string());
        }
        let key = cause_key("route", &t.id, &t.history[0], 1);
        assert_eq!(
            shown,
            [
                "assigned to e1 by rule route".to_string(),
                format!("e-mail 'assigned' to e1, e3, customer queued by rule route ({key})"),
                format!("run of hooks/x.sh queued by rule route ({key}/2)"),
                "rule owner skipped: no one to notify: the customer has no owner".to_string(),
            ]
        );
        let queued = &t.history[2];
        assert_eq!(queued.action(), Action::Queued);
        assert_eq!(queued.by, "rule:route");
        assert_eq!(queued.field("via"), Some("email".into()));
        // A reference only: no template, no command in the ticket file.
        assert_eq!(queued.field("template"), None);
        let run = &t.history[3];
        assert_eq!((run.field("command"), run.field("args")), (None, None));
        assert_eq!(run.field("via"), Some("run".into()));
        // The same key again is not queued twice.
        let again = planned[1].clone();
        assert_eq!(
            apply(&r, &mut t, &again, None, &mut assigned, None, at()).unwrap(),
            None
        );
        assert_eq!(t.history.len(), 4);
    }
}
