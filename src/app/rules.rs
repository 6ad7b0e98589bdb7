//! Loading the rules of desk.yaml and running the event rules inside the
//! command that caused the event: what the pure evaluation (`crate::rules`)
//! needs — the customer, the calendar, each role's workload from the ticket
//! cache — is read from the store, and the events are written with the
//! ticket, in the store's one write of it.

use std::path::Path;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind, Ticket, TicketId};
use crate::rules::{self, AssignTo, Facts, Load, Outcome, RuleAction, RuleError, Rules, Target};
use crate::store::{Store, CONFIG_FILE};

/// The rules of desk.yaml, parsed and checked; the first problem (and
/// how many more there are) as an error naming desk.yaml, the rule and
/// the key.
pub fn rules(store: &Store) -> Result<Rules> {
    Rules::parse(store.config.rules.as_ref(), &store.config).map_err(|errors| {
        let first = &errors[0];
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more; run `desk check`)", n - 1),
        };
        Error::Parse {
            path: CONFIG_FILE.into(),
            line: rule_line(store, first),
            message: format!("{first}{more}"),
        }
    })
}

/// The rules, for a command that records events or runs them: parsed
/// and checked, and every template they name present and rendering, so
/// that no command queues a message that could never be made.
pub fn rules_in_force(store: &Store) -> Result<Rules> {
    let rules = rules(store)?;
    match super::templates::template_problems(store, &rules)
        .into_iter()
        .next()
    {
        Some(first) => Err(first),
        None => Ok(rules),
    }
}

/// `desk check`'s findings about the rules: one per problem, and a
/// warning for each action no one in the team can ever do (a role no
/// agent has, an agent who left: [`Rules::idle`]), which does not fail
/// the check, since the team may be about to hire.
pub fn rule_findings(store: &Store) -> Vec<Finding> {
    let finding =
        |e: &RuleError| Finding::new(Path::new(CONFIG_FILE), rule_line(store, e), e.to_string());
    match Rules::parse(store.config.rules.as_ref(), &store.config) {
        Ok(rules) => rules
            .idle()
            .iter()
            .map(|e| Finding {
                kind: FindingKind::Warning,
                ..finding(e)
            })
            .collect(),
        Err(errors) => errors.iter().map(finding).collect(),
    }
}

/// The lengths of desk.yaml written with a bare `m` (SLA targets,
/// `customers.dormant_after`, the waits of time rules), read as they
/// always were: a warning each, naming the key and the spelling to use,
/// for `desk check` and `desk run`.
pub fn ambiguous_length_findings(store: &Store) -> Vec<Finding> {
    let config = Path::new(CONFIG_FILE);
    let warning = |finding: Finding| Finding {
        kind: FindingKind::Warning,
        ..finding
    };
    let mut found: Vec<Finding> = store
        .settings
        .ambiguous
        .iter()
        .map(|a| {
            let section = a.key.split(['.', '[']).next().unwrap_or_default();
            let line = config_line(store, section);
            warning(Finding::new(config, line, format!("{}: {a}", a.key)))
        })
        .collect();
    if let Ok(rules) = Rules::parse(store.config.rules.as_ref(), &store.config) {
        found.extend(
            rules
                .ambiguous
                .iter()
                .map(|e| warning(Finding::new(config, rule_line(store, e), e.to_string()))),
        );
    }
    found
}

/// The line of desk.yaml where a rule's problem is: the `name:` of the
/// rule at its place in `rules:` (not the first rule of that name: a
/// duplicate is the later one), else where the rule begins, else where
/// `rules:` is.
fn rule_line(store: &Store, e: &RuleError) -> Option<usize> {
    match e.index {
        Some(i) => rule_lines(store)
            .get(i)
            .copied()
            .or_else(|| config_line(store, "rules")),
        None => config_line(store, "rules"),
    }
}

/// The lines of desk.yaml's rules, in order (see [`crate::yaml::list_item_lines`]).
fn rule_lines(store: &Store) -> Vec<usize> {
    store
        .config_text()
        .map(|text| crate::yaml::list_item_lines(&text, "rules", "name"))
        .unwrap_or_default()
}

/// The line of desk.yaml where a rule of that name is: the first rule
/// of `rules:` named so.
pub fn rule_line_of(store: &Store, name: &str) -> Option<usize> {
    let rules = store.config.rules.as_ref()?.as_sequence()?;
    let index = rules.iter().position(|r| match r.get("name") {
        Some(crate::yaml::Value::String(n)) => n.trim() == name,
        Some(crate::yaml::Value::Number(n)) => n.to_string() == name,
        _ => false,
    })?;
    rule_lines(store).get(index).copied()
}

/// The line of desk.yaml where the top-level section `key` begins.
pub fn config_line(store: &Store, key: &str) -> Option<usize> {
    let text = store.config_text().ok()?;
    let prefix = format!("{key}:");
    text.lines()
        .position(|l| l.starts_with(&prefix))
        .map(|i| i + 1)
}

/// Creates a ticket (see [`Store::create_ticket`]) and runs the rules its
/// `created` event triggers before it is written, so the file holds
/// their events. Bad rules refuse the command before anything is written.
pub fn create_ticket_by_rules(
    store: &Store,
    at: Timestamp,
    build: impl FnOnce(String) -> Ticket,
) -> Result<(Ticket, Vec<Outcome>)> {
    create_ticket_by_rules_with(store, at, |id| Ok(build(id)))
}

/// [`create_ticket_by_rules`] with a `build` that may fail (it saves the
/// files the ticket names): then nothing is written.
pub fn create_ticket_by_rules_with(
    store: &Store,
    at: Timestamp,
    build: impl FnOnce(String) -> Result<Ticket>,
) -> Result<(Ticket, Vec<Outcome>)> {
    let rules = rules_in_force(store)?;
    let mut outcomes = Vec::new();
    let ticket = store.create_ticket_with(at, |id| {
        let mut ticket = build(id)?;
        let created: Vec<usize> = (0..ticket.history.len()).collect();
        outcomes = run_rules(store, &rules, &mut ticket, &created)?;
        Ok(ticket)
    })?;
    Ok((ticket, outcomes))
}

/// Changes a ticket (see [`Store::modify_ticket`]) and runs the rules
/// that the events of `change` trigger, in the same write. Hand edits
/// recorded on the way trigger nothing: no command caused them.
pub fn modify_ticket_by_rules(
    store: &Store,
    id: &crate::model::TicketId,
    at: Timestamp,
    actor: &str,
    change: impl FnOnce(&mut Ticket) -> Result<()>,
) -> Result<(Ticket, usize, Vec<Outcome>)> {
    let rules = rules_in_force(store)?;
    let mut outcomes = Vec::new();
    let (ticket, adopted) = store.modify_ticket(id, at, actor, |ticket| {
        let before = ticket.history.clone();
        change(ticket)?;
        // A backdated event goes to its place in time, not to the end.
        let added = crate::model::added_events(&before, &ticket.history);
        outcomes = run_rules(store, &rules, ticket, &added)?;
        Ok(())
    })?;
    Ok((ticket, adopted, outcomes))
}

/// Runs the event rules for the events at `added` (in history order).
/// Every event is
/// judged against the ticket just before and just after it; then the
/// actions are applied in order. The rules' own events trigger no rules,
/// so rules cannot loop.
pub fn run_rules(
    store: &Store,
    rules: &Rules,
    ticket: &mut Ticket,
    added: &[usize],
) -> Result<Vec<Outcome>> {
    if rules.rules.is_empty() {
        return Ok(Vec::new());
    }
    let fold = |n: usize| {
        Ticket::from_history(ticket.id.clone(), ticket.history[..n].to_vec())
            .map_err(|e| Error::Refused(format!("{}: {e}", ticket.id)))
    };
    let mut customer: Option<(Facts, Option<String>)> = None;
    let mut calendar = None;
    let mut planned = Vec::new();
    for &i in added {
        let event = &ticket.history[i];
        if rules.on(&event.action()).next().is_none() {
            continue;
        }
        let mut facts = Facts::default();
        if rules.need_customer(&event.action()) {
            let (of_customer, _) =
                customer.get_or_insert_with(|| customer_facts(store, &ticket.customer));
            facts = of_customer.clone();
        }
        if rules.need_calendar(&event.action()) {
            if calendar.is_none() {
                calendar = Some(store.sla()?.1);
            }
            let cal = calendar.as_ref().expect("just set");
            facts.working_hours = Some(cal.is_working_at(event.at.0.with_timezone(&chrono::Utc)));
        }
        if matches!(event.payload, crate::model::Payload::Surveyed(_)) {
            facts.survey_unsatisfied = Some(crate::model::survey::reopened_by(&ticket.history, i));
        }
        let before = if i == 0 { None } else { Some(fold(i)?) };
        let after = fold(i + 1)?;
        planned.extend(rules::plan(rules, event, before.as_ref(), &after, &facts));
    }
    let owner = customer.and_then(|(_, owner)| owner);
    let at = ticket.last_at().expect("a ticket has its created event");
    apply_planned(store, rules, ticket, &planned, owner.as_deref(), at)
}

/// Applies planned actions in order at `at`, finding each role's agent by
/// its strategy (only when an assignment can still be done: the workload
/// costs a scan). The first rule to assign the ticket wins.
pub fn apply_planned(
    store: &Store,
    rules: &Rules,
    ticket: &mut Ticket,
    planned: &[rules::Planned],
    owner: Option<&str>,
    at: Timestamp,
) -> Result<Vec<Outcome>> {
    let mut assigned = false;
    let mut outcomes = Vec::new();
    for p in planned {
        let target = match &p.action {
            RuleAction::Assign(AssignTo::Agent(a)) => Some(Target::Agent(a.clone())),
            RuleAction::Assign(AssignTo::Role { roles, strategy })
                if !assigned && ticket.status.is_open() =>
            {
                // The first role with someone available; only its
                // workload is counted.
                match rules::first_available(rules, roles) {
                    Some(role) => {
                        let load = load_of(store, rules, role, &ticket.id)?;
                        Some(rules::choose(rules, role, *strategy, &load))
                    }
                    None => Some(Target::Nobody(roles.join(" or "))),
                }
            }
            _ => None,
        };
        outcomes.extend(rules::apply(
            rules,
            ticket,
            p,
            target.as_ref(),
            &mut assigned,
            owner,
            at,
        )?);
    }
    Ok(outcomes)
}

/// What rules' customer conditions need of a ticket's customer, and the
/// customer's owner (for `notify: {to: owner}`). A missing or unreadable
/// customer matches no customer condition.
pub fn customer_facts(store: &Store, customer: &str) -> (Facts, Option<String>) {
    let mut facts = Facts::default();
    let Ok(c) = store.load_customer(customer) else {
        return (facts, None);
    };
    let owner = c.owner.as_deref().map(|o| owner_id(store, o));
    facts.customer_kind = Some(c.kind.key().to_string());
    facts.customer_vip = Some(c.vip);
    facts.customer_owner = owner.clone();
    (facts, owner)
}

/// A customer's owner as desk.yaml spells the agent (a hand edit may
/// write `ZHAO.MIN`), or as written when it names no agent.
pub fn owner_id(store: &Store, owner: &str) -> String {
    store
        .config
        .agent_id(owner, false)
        .unwrap_or_else(|_| owner.to_string())
}

/// A role's workload, from the store's workload index: open tickets per
/// agent of the role and the agent holding the newest one. The ticket
/// being changed does not count.
fn load_of(store: &Store, rules: &Rules, role: &str, except: &str) -> Result<Load> {
    let work = store.workload(TicketId::parse(except).as_ref())?;
    let recorded = work.except.as_ref().filter(|f| f.id == except);
    let mut load = Load::default();
    let mut newest: Option<&crate::store::Fact> = None;
    for member in rules.members(role) {
        let Some(agent) = work.agents.get(&member.id) else {
            continue;
        };
        let open_except = recorded
            .filter(|f| f.open && f.assignee.as_deref() == Some(member.id.as_str()))
            .map_or(0, |_| 1);
        let open = (agent.open as usize).saturating_sub(open_except);
        if open > 0 {
            load.open.insert(member.id.clone(), open);
        }
        // The newest but the one being changed (the load keeps two).
        let own = agent.newest.iter().find(|f| f.id != except);
        if let Some(f) = own {
            if newest.is_none_or(|n| f.newness() > n.newness()) {
                newest = Some(f);
            }
        }
    }
    load.newest = newest.and_then(|f| f.assignee.clone());
    Ok(load)
}
