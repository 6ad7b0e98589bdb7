//! `rules:` of desk.yaml into [`Rules`]: shapes, keys and values checked
//! against the configuration, and conditions that could never match refused.

use crate::yaml::{Mapping, Value};

use super::*;
use crate::config::{describe_choices, find_choice, Config};
use crate::model::{CustomerKind, Field, Status};

/// One problem of one rule: which rule (its name, else its place), which
/// key (`if.type`, `then[0].assign.role`), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 0-based place in `rules:`; `None` when `rules:` itself is wrong.
    pub index: Option<usize>,
    pub name: Option<String>,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "rule '{name}' (rules[{}])", self.index.unwrap_or(0))?,
            None => match self.index {
                Some(i) => write!(f, "rules[{i}]")?,
                None => write!(f, "rules")?,
            },
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ", key {}: {}", self.key, self.message)
        }
    }
}

type Found = std::result::Result<(), (String, String)>;

/// The actions a rule can take, for messages.
const ACTIONS: &str = "assign, set, note, notify, run, open (dormant_for rules)";

/// Collects the problems of one rule.
struct Ctx<'a> {
    config: &'a Config,
    problems: Vec<(String, String)>,
    /// Lengths written with a bare `m`: read as before, warned about.
    ambiguous: Vec<crate::clock::Ambiguous>,
}

impl Ctx<'_> {
    fn bad(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push((key.into(), message.into()));
    }

    fn agent(&self, key: &str, who: &Value) -> Result<String, (String, String)> {
        let text = scalar(who).ok_or_else(|| (key.to_string(), "expected an agent ID".into()))?;
        if self.config.agents.is_empty() {
            return Err((
                key.to_string(),
                format!("'{text}' is not an agent: desk.yaml lists no agents"),
            ));
        }
        self.config
            .agent(&text)
            .map(|a| a.id.clone())
            .ok_or_else(|| {
                (
                    key.to_string(),
                    format!(
                        "'{text}' is not an agent in desk.yaml (agents: {})",
                        self.config
                            .agents
                            .iter()
                            .map(|a| a.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

fn role(config: &Config, key: &str, v: &Value) -> Result<Role, (String, String)> {
    let text = scalar(v).unwrap_or_default();
    config.resolve_role(&text).map_err(|_| {
        (
            key.to_string(),
            format!(
                "'{text}' is not a role; roles are {}",
                describe_choices(&config.roles)
            ),
        )
    })
}

/// One role, or a list of them tried in order (`[service, supervisor]`):
/// each a role of desk.yaml, each once.
fn roles(config: &Config, key: &str, v: &Value) -> Result<Vec<Role>, (String, String)> {
    let items: Vec<&Value> = match v {
        Value::Sequence(items) if items.is_empty() => {
            return Err((
                key.to_string(),
                "list at least one role (a list is tried in order)".into(),
            ))
        }
        Value::Sequence(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut out: Vec<Role> = Vec::new();
    for item in items {
        let r = role(config, key, item)?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// A scalar as text (numbers and booleans too), trimmed.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(key: &str, v: &Value) -> Result<String, (String, String)> {
    match scalar(v) {
        Some(s) if !s.is_empty() && crate::model::is_one_line(&s) => Ok(s),
        _ => Err((key.to_string(), "expected a non-empty line of text".into())),
    }
}

/// A scalar or a list of scalars.
fn list(key: &str, v: &Value) -> Result<Vec<String>, (String, String)> {
    match v {
        Value::Sequence(items) => items.iter().map(|i| text(key, i)).collect(),
        other => Ok(vec![text(key, other)?]),
    }
}

fn map<'v>(key: &str, v: &'v Value) -> Result<&'v Mapping, (String, String)> {
    v.as_mapping()
        .ok_or_else(|| (key.to_string(), "expected a mapping (key: value)".into()))
}

fn key_text(k: &Value) -> String {
    scalar(k).unwrap_or_else(|| format!("{k:?}"))
}

pub(super) fn rules(value: Option<&Value>, config: &Config) -> Result<Rules, Vec<RuleError>> {
    let agents = config
        .agents
        .iter()
        .map(|a| Member {
            id: a.id.clone(),
            role: a.role.clone(),
            // Gone (inactive) or on leave (away): routed nothing new.
            away: a.away || !a.active,
            active: a.active,
        })
        .collect();
    let items = match value {
        None | Some(Value::Null) => {
            return Ok(Rules {
                rules: Vec::new(),
                agents,
                ambiguous: Vec::new(),
            })
        }
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            return Err(vec![RuleError {
                index: None,
                name: None,
                key: String::new(),
                message: "`rules:` must be a list of rules (- name: ...)".into(),
            }])
        }
    };
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut ambiguous = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let mut ctx = Ctx {
            config,
            problems: Vec::new(),
            ambiguous: Vec::new(),
        };
        let rule = one(&mut ctx, item);
        let name = item.get("name").and_then(scalar).filter(|n| !n.is_empty());
        if let Some(n) = &name {
            if let Some(first) = names.insert(n.clone(), index) {
                ctx.bad("name", format!("the name is also used by rules[{first}]"));
            }
        }
        if ctx.problems.is_empty() {
            rules.push(rule.expect("a rule without problems"));
        }
        errors.extend(ctx.problems.into_iter().map(|(key, message)| RuleError {
            index: Some(index),
            name: name.clone(),
            key,
            message,
        }));
        ambiguous.extend(ctx.ambiguous.into_iter().map(|a| RuleError {
            index: Some(index),
            name: name.clone(),
            message: a.to_string(),
            key: a.key,
        }));
    }
    if errors.is_empty() {
        Ok(Rules {
            rules,
            agents,
            ambiguous,
        })
    } else {
        Err(errors)
    }
}

fn one(ctx: &mut Ctx, item: &Value) -> Option<Rule> {
    let Some(m) = item.as_mapping() else {
        ctx.bad("", "a rule is a mapping with name, when, if and then");
        return None;
    };
    for k in m.keys() {
        let k = key_text(k);
        if !["name", "enabled", "when", "if", "then"].contains(&k.as_str()) {
            ctx.bad(
                k.clone(),
                format!("unknown key '{k}'; a rule has name, enabled, when, if and then"),
            );
        }
    }
    let name = match m.get("name").and_then(scalar) {
        Some(n) if valid_name(&n) => Some(n),
        Some(n) => {
            ctx.bad(
                "name",
                format!(
                    "'{n}' is not a rule name: use letters, digits, '-', '_' and '.', no spaces"
                ),
            );
            None
        }
        None => {
            ctx.bad(
                "name",
                "every rule needs a name (it is recorded in the events it causes)",
            );
            None
        }
    };
    let enabled = match m.get("enabled") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            ctx.bad("enabled", "expected true or false");
            true
        }
    };
    let when = match m.get("when") {
        None => {
            ctx.bad("when", "every rule needs a trigger: an event (created, assigned, updated, closed, reopened, surveyed, edited) or a time condition");
            None
        }
        Some(v) => trigger(ctx.config, v).map_err(|(k, e)| ctx.bad(k, e)).ok(),
    };
    if let (Some(Trigger::Time(t)), Some(Value::Mapping(w))) = (&when, m.get("when")) {
        if let Some(bare_m) = t.bare_m() {
            for (k, v) in w {
                let text = scalar(v).unwrap_or_default();
                let key = format!("when.{}", key_text(k));
                ctx.ambiguous
                    .extend(crate::clock::Ambiguous::find(key, &text, bare_m));
            }
        }
    }
    let conditions = match m.get("if") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => match map("if", v) {
            Ok(conds) => conds
                .iter()
                .filter_map(|(k, v)| {
                    let k = key_text(k);
                    condition(ctx, &k, v, when.as_ref())
                        .map_err(|(k, e)| ctx.bad(k, e))
                        .ok()
                })
                .collect(),
            Err((k, e)) => {
                ctx.bad(k, e);
                Vec::new()
            }
        },
    };
    let actions = match m.get("then") {
        Some(Value::Sequence(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .filter_map(|(i, a)| action(ctx, i, a).map_err(|(k, e)| ctx.bad(k, e)).ok())
            .collect(),
        _ => {
            ctx.bad(
                "then",
                format!("every rule needs a list of actions ({ACTIONS})"),
            );
            Vec::new()
        }
    };
    // After `closed`, and whenever `unsurveyed_for` is due, the ticket is
    // closed: it takes no note and no assignee.
    let closed = match &when {
        Some(Trigger::Events(events)) => events == &[Action::Closed],
        Some(Trigger::Time(t)) => matches!(t, TimeTrigger::UnsurveyedFor { .. }),
        None => false,
    };
    if closed {
        for (i, a) in actions.iter().enumerate() {
            let what = match a {
                RuleAction::Assign(_) => "assign",
                RuleAction::Note(_) => "note",
                _ => continue,
            };
            ctx.bad(
                format!("then[{i}].{what}"),
                format!("can never be done: the ticket is closed then, and a closed ticket takes no {what}"),
            );
        }
    }
    // A customer rule acts on the call-back ticket it opens: `open` comes
    // first, once; a ticket rule has its ticket and opens none.
    let dormant = matches!(&when, Some(Trigger::Time(TimeTrigger::DormantFor { .. })));
    for (i, a) in actions.iter().enumerate() {
        if !matches!(a, RuleAction::Open(_)) {
            continue;
        }
        if when.is_none() {
            // The trigger's own error says what is wrong.
        } else if !dormant {
            ctx.bad(
                format!("then[{i}].open"),
                "only a dormant_for rule opens a ticket; a ticket's rule acts on that ticket",
            );
        } else if i > 0 {
            ctx.bad(
                format!("then[{i}].open"),
                "open is the first action of a dormant_for rule, and its only open",
            );
        }
    }
    // Judged on the YAML, so an `open` with a bad value is not reported twice.
    let first_is_open = match m.get("then") {
        Some(Value::Sequence(items)) => items
            .first()
            .and_then(Value::as_mapping)
            .is_some_and(|a| a.keys().any(|k| key_text(k) == "open")),
        _ => true,
    };
    if dormant && !first_is_open {
        ctx.bad(
            "then[0]",
            "a dormant_for rule opens a call-back ticket first (then[0] is open: {type, title, priority, channel}); its other actions act on that ticket",
        );
    }
    Some(Rule {
        name: name?,
        enabled,
        when: when?,
        conditions,
        actions,
    })
}

/// Names go into `by: rule:NAME` (and template names into file names): one
/// token starting with a letter or digit, no spaces, colons or slashes, so
/// a template name is a plain file name inside `templates/` (no path, no
/// `..`, no NUL).
pub fn valid_name(n: &str) -> bool {
    n.chars().next().is_some_and(char::is_alphanumeric)
        && n.chars().count() <= 64
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

const EVENTS: &str = "created, assigned, updated, closed, reopened, surveyed, edited";

fn trigger(config: &Config, v: &Value) -> Result<Trigger, (String, String)> {
    let event = |v: &Value| -> Result<Action, (String, String)> {
        let t = scalar(v).unwrap_or_default();
        match Action::from(t.clone()) {
            // Deliveries and firings are recorded by `desk run`; they trigger nothing.
            Action::Other(_)
            | Action::Queued
            | Action::Notified
            | Action::DeliveryFailed
            | Action::Fired => Err((
                "when".into(),
                format!("'{t}' is not an event; events are {EVENTS}, or a time condition (sla, no_progress_for, pending_for, unsurveyed_for, survey_window_left, unassigned_for, dormant_for)"),
            )),
            a => Ok(a),
        }
    };
    match v {
        Value::Sequence(items) => {
            if items.is_empty() {
                return Err(("when".into(), format!("list at least one event ({EVENTS})")));
            }
            let mut events = Vec::new();
            for i in items {
                if i.is_mapping() {
                    return Err((
                        "when".into(),
                        format!("a list holds events only ({EVENTS}); a time condition is the trigger of a rule of its own"),
                    ));
                }
                let e = event(i)?;
                if !events.contains(&e) {
                    events.push(e);
                }
            }
            Ok(Trigger::Events(events))
        }
        Value::Mapping(m) => time_trigger(config, m).map(Trigger::Time),
        other => Ok(Trigger::Events(vec![event(other)?])),
    }
}

fn time_trigger(config: &Config, m: &Mapping) -> Result<TimeTrigger, (String, String)> {
    let keys: Vec<String> = m.keys().map(key_text).collect();
    let duration = |key: &str| -> Result<i64, (String, String)> {
        let k = format!("when.{key}");
        let t = scalar(&m[key]).unwrap_or_default();
        let (days, secs) =
            crate::clock::parse_duration(&t).map_err(|e| (k.clone(), e.to_string()))?;
        Ok(days * 86_400 + secs)
    };
    let only = |expected: &[&str]| -> Found {
        match keys.iter().find(|k| !expected.contains(&k.as_str())) {
            Some(k) => Err((
                format!("when.{k}"),
                format!("unknown key '{k}' next to {}", expected.join(" and ")),
            )),
            None => Ok(()),
        }
    };
    if m.contains_key("sla") {
        only(&["sla", "state"])?;
        let t = scalar(&m["sla"]).unwrap_or_default();
        let target = TargetKind::ALL
            .into_iter()
            .find(|k| k.name() == t)
            .ok_or_else(|| {
                (
                    "when.sla".to_string(),
                    format!("'{t}' is not an SLA target; targets are response, update, resolution"),
                )
            })?;
        let s = m.get("state").and_then(scalar).unwrap_or_default();
        let state = match s.as_str() {
            "at_risk" => ClockState::AtRisk,
            "breached" => ClockState::Breached,
            _ => {
                return Err((
                    "when.state".into(),
                    if s.is_empty() {
                        "give the state the clock must reach: at_risk or breached".to_string()
                    } else {
                        format!(
                            "'{s}' is not a state a rule waits for; expected at_risk or breached"
                        )
                    },
                ))
            }
        };
        return Ok(TimeTrigger::Sla { target, state });
    }
    let known = [
        "no_progress_for",
        "pending_for",
        "unsurveyed_for",
        "survey_window_left",
        "unassigned_for",
        "dormant_for",
    ];
    let [k] = keys.as_slice() else {
        return Err((
            "when".into(),
            format!(
                "a time trigger is one of {{sla: TARGET, state: STATE}}, {}: give exactly one",
                known.join(", ")
            ),
        ));
    };
    match k.as_str() {
        "no_progress_for" => Ok(TimeTrigger::NoProgressFor {
            seconds: duration(k)?,
        }),
        "pending_for" => Ok(TimeTrigger::PendingFor {
            seconds: duration(k)?,
        }),
        "unsurveyed_for" => Ok(TimeTrigger::UnsurveyedFor {
            seconds: duration(k)?,
        }),
        // Due while the survey window (survey.window_hours) still has that
        // long to go: the reminder comes while `desk survey --due` lists it.
        "survey_window_left" => {
            let left = duration(k)?;
            let hours = config.survey.window_hours;
            let window = i64::from(hours) * 3600;
            if left <= 0 || left >= window {
                return Err((
                    format!("when.{k}"),
                    format!(
                        "'{}' is not within the survey window (survey.window_hours: {hours}): \
                         give more than zero and less than {hours}h, so the rule fires after \
                         the close and before the window ends",
                        scalar(&m[k.as_str()]).unwrap_or_default()
                    ),
                ));
            }
            Ok(TimeTrigger::UnsurveyedFor {
                seconds: window - left,
            })
        }
        "unassigned_for" => Ok(TimeTrigger::UnassignedFor {
            seconds: duration(k)?,
        }),
        "dormant_for" => {
            let t = scalar(&m[k.as_str()]).unwrap_or_default();
            let span = crate::clock::parse_span(&t).map_err(|e| ("when.dormant_for".into(), e))?;
            Ok(TimeTrigger::DormantFor { span })
        }
        other => Err((
            format!("when.{other}"),
            format!(
                "unknown time trigger '{other}'; expected sla (with state), {}",
                known.join(", ")
            ),
        )),
    }
}

/// The canonical form of one value of a subject, or why it is not one.
fn value_of(ctx: &Ctx, subject: Subject, key: &str, v: &Value) -> Result<String, (String, String)> {
    let enumerated = |field: Field| -> Result<String, (String, String)> {
        let t = text(key, v)?;
        let choices = ctx.config.choices(field);
        find_choice(&choices, &t)
            .map(|c| c.key.clone())
            .ok_or_else(|| {
                (
                    key.to_string(),
                    format!(
                        "'{t}' is not a {}; expected one of {}",
                        field.name(),
                        describe_choices(&choices)
                    ),
                )
            })
    };
    match subject {
        Subject::Type => enumerated(Field::Type),
        Subject::Priority => enumerated(Field::Priority),
        Subject::Channel => enumerated(Field::Channel),
        Subject::Status => enumerated(Field::Status),
        Subject::Category | Subject::Tags | Subject::Title | Subject::Description => text(key, v),
        Subject::Assignee | Subject::CustomerOwner => ctx.agent(key, v),
        Subject::AssigneeRole => role(ctx.config, key, v),
        Subject::CustomerKind => {
            let t = text(key, v)?;
            CustomerKind::parse(&t)
                .map(|k| k.key().to_string())
                .ok_or_else(|| {
                    (
                        key.to_string(),
                        format!("'{t}' is not a customer kind; expected individual or enterprise"),
                    )
                })
        }
        Subject::CustomerVip | Subject::WorkingHours | Subject::SurveyUnsatisfied => {
            unreachable!("flags take true or false")
        }
    }
}

fn values(
    ctx: &Ctx,
    subject: Subject,
    key: &str,
    v: &Value,
) -> Result<Vec<String>, (String, String)> {
    let items: Vec<&Value> = match v {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let value = value_of(ctx, subject, key, item)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

fn condition(
    ctx: &Ctx,
    key: &str,
    v: &Value,
    when: Option<&Trigger>,
) -> Result<Condition, (String, String)> {
    let k = format!("if.{key}");
    let subject = Subject::from_key(key).ok_or_else(|| {
        (
            k.clone(),
            format!(
                "unknown condition '{key}'; conditions are {} (and subject, body: title, description)",
                Subject::ALL.map(Subject::key).join(", ")
            ),
        )
    })?;
    let never = |why: String| Err((k.clone(), format!("can never match: {why}")));
    if let Some(Trigger::Time(TimeTrigger::DormantFor { .. })) = when {
        if subject.of_ticket() || subject == Subject::WorkingHours {
            return never(format!(
                "a dormant_for rule concerns a customer, not a ticket; it takes customer.* conditions only, not {key}"
            ));
        }
    }
    // Known only of the survey that triggered the rule.
    if subject == Subject::SurveyUnsatisfied
        && !matches!(when, Some(Trigger::Events(events)) if events.contains(&Action::Surveyed))
    {
        return never(format!(
            "{key} tells of the survey that triggered the rule; add surveyed to `when`"
        ));
    }
    let test = match subject {
        Subject::CustomerVip | Subject::WorkingHours | Subject::SurveyUnsatisfied => match v {
            Value::Bool(b) => Test::Flag(*b),
            _ => return Err((k, "expected true or false".into())),
        },
        Subject::Title | Subject::Description => {
            let (contains, not_contains) = match v {
                Value::Mapping(m) => {
                    let mut contains = Vec::new();
                    let mut not_contains = Vec::new();
                    for (op, arg) in m {
                        let op = key_text(op);
                        let ok = format!("{k}.{op}");
                        match op.as_str() {
                            "contains" => {
                                contains = list(&ok, arg)?;
                                if contains.is_empty() {
                                    return Err((
                                        k.clone(),
                                        "can never match: `contains` lists no text".into(),
                                    ));
                                }
                            }
                            "not_contains" => not_contains = list(&ok, arg)?,
                            _ => {
                                return Err((
                                    ok,
                                    format!(
                                    "unknown test '{op}'; {key} takes contains and not_contains"
                                ),
                                ))
                            }
                        }
                    }
                    (contains, not_contains)
                }
                Value::Sequence(items) if items.is_empty() => {
                    return never("`contains` lists no text".into())
                }
                other => (list(&k, other)?, Vec::new()),
            };
            let lower =
                |v: &[String]| -> Vec<String> { v.iter().map(|s| s.to_lowercase()).collect() };
            let (c, n) = (lower(&contains), lower(&not_contains));
            if !c.is_empty() && c.iter().all(|s| n.iter().any(|x| s.contains(x.as_str()))) {
                return never("every `contains` text includes a `not_contains` text".into());
            }
            Test::Text {
                contains: c,
                not_contains: n,
            }
        }
        _ => {
            let mut is = None;
            let mut not = Vec::new();
            let mut changed_to = None;
            let mut set = None;
            match v {
                Value::Mapping(m) => {
                    for (op, arg) in m {
                        let op = key_text(op);
                        let ok = format!("{k}.{op}");
                        match op.as_str() {
                            "is" => is = Some(values(ctx, subject, &ok, arg)?),
                            "not" => not = values(ctx, subject, &ok, arg)?,
                            "changed_to" => {
                                if !subject.of_ticket() {
                                    return Err((ok, format!("{key} is not a ticket field; changed_to tests what an event changed on the ticket")));
                                }
                                changed_to = Some(values(ctx, subject, &ok, arg)?)
                            }
                            "set" => match arg {
                                Value::Bool(b) => set = Some(*b),
                                _ => return Err((ok, "expected true or false".into())),
                            },
                            _ => {
                                return Err((
                                    ok,
                                    format!(
                                    "unknown test '{op}'; {key} takes is, not, changed_to and set"
                                ),
                                ))
                            }
                        }
                    }
                }
                Value::Null => {
                    return Err((
                        k,
                        "expected a value, a list, or tests (is, not, changed_to, set)".into(),
                    ))
                }
                other => is = Some(values(ctx, subject, &k, other)?),
            }
            let always_set = matches!(
                subject,
                Subject::Type
                    | Subject::Priority
                    | Subject::Channel
                    | Subject::Status
                    | Subject::CustomerKind
            );
            for (op, list) in [("is", &is), ("changed_to", &changed_to)] {
                match list {
                    Some(l) if l.is_empty() => return never(format!("`{op}` lists no value")),
                    Some(l) if l.iter().all(|x| not.contains(x)) => {
                        return never(format!("every value of `{op}` is excluded by `not`"))
                    }
                    Some(_) if set == Some(false) => {
                        return never(format!("`{op}` wants a value and `set: false` wants none"))
                    }
                    _ => {}
                }
            }
            if set == Some(false) && always_set {
                return never(format!("every ticket has a {key}"));
            }
            if let (Some(a), Some(b)) = (&is, &changed_to) {
                if subject != Subject::Tags && !a.iter().any(|x| b.contains(x)) {
                    return never("`is` and `changed_to` have no value in common".into());
                }
            }
            // A time trigger is due only in some statuses, and after an
            // event the ticket is in only some.
            if subject == Subject::Status {
                let (due_in, why): (Vec<Status>, String) = match when {
                    Some(Trigger::Time(t)) => (
                        t.statuses().map(<[_]>::to_vec).unwrap_or_default(),
                        "this time trigger is due only on tickets that are".into(),
                    ),
                    Some(Trigger::Events(events)) => {
                        let mut all: Vec<Status> = Vec::new();
                        for s in events.iter().flat_map(|e| statuses_after(e)) {
                            if !all.contains(s) {
                                all.push(*s);
                            }
                        }
                        (all, format!("after {} the ticket is", an_event(events)))
                    }
                    None => (Vec::new(), String::new()),
                };
                if !due_in.is_empty() {
                    let keys: Vec<&str> = due_in.iter().map(|s| s.key()).collect();
                    let possible = |v: &String| keys.contains(&v.as_str()) && !not.contains(v);
                    let any = match &is {
                        Some(l) => l.iter().any(possible),
                        None => keys.iter().any(|k| !not.iter().any(|n| n == k)),
                    };
                    if !any {
                        return never(format!("{why} {}", keys.join(" or ")));
                    }
                }
            }
            // After an assignment the ticket has an assignee.
            if matches!(subject, Subject::Assignee | Subject::AssigneeRole)
                && set == Some(false)
                && matches!(when, Some(Trigger::Events(e)) if e.iter().all(|a| *a == Action::Assigned))
            {
                return never(
                    "after an assigned event the ticket has an assignee, and `set: false` wants none"
                        .into(),
                );
            }
            if changed_to.is_some() {
                match when {
                    Some(Trigger::Events(events))
                        if !events.iter().any(|e| subject.changed_by(e)) =>
                    {
                        return never(format!(
                            "no {} event changes {key}",
                            events
                                .iter()
                                .map(Action::as_str)
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ))
                    }
                    Some(Trigger::Time(_)) => {
                        return never("a time trigger has no event, so nothing `changed_to`".into())
                    }
                    _ => {}
                }
            }
            Test::Value {
                is,
                not,
                changed_to,
                set,
            }
        }
    };
    Ok(Condition { subject, test })
}

fn action(ctx: &Ctx, i: usize, v: &Value) -> Result<RuleAction, (String, String)> {
    let at = format!("then[{i}]");
    let m = map(&at, v)?;
    let (kind, arg) = match m.iter().collect::<Vec<_>>().as_slice() {
        [(k, a)] => (key_text(k), *a),
        _ => return Err((at, format!("an action is one key: {ACTIONS}"))),
    };
    let k = format!("{at}.{kind}");
    let unknown = |m: &Mapping, allowed: &[&str]| -> Found {
        for key in m.keys().map(key_text) {
            if !allowed.contains(&key.as_str()) {
                return Err((
                    format!("{k}.{key}"),
                    format!("unknown key '{key}'; {kind} takes {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    };
    match kind.as_str() {
        "assign" => match arg {
            Value::Mapping(a) => {
                unknown(a, &["agent", "role", "strategy"])?;
                match (a.get("agent"), a.get("role")) {
                    (Some(who), None) => {
                        if a.contains_key("strategy") {
                            return Err((
                                format!("{k}.strategy"),
                                "a strategy chooses among a role's agents; an agent needs none"
                                    .into(),
                            ));
                        }
                        Ok(RuleAction::Assign(AssignTo::Agent(
                            ctx.agent(&format!("{k}.agent"), who)?,
                        )))
                    }
                    (None, Some(r)) => {
                        let roles = roles(ctx.config, &format!("{k}.role"), r)?;
                        let s = a.get("strategy").and_then(scalar);
                        let strategy = match s.as_deref() {
                            None | Some("round_robin") => Strategy::RoundRobin,
                            Some("fewest_open") => Strategy::FewestOpen,
                            Some(other) => {
                                return Err((
                                    format!("{k}.strategy"),
                                    format!("'{other}' is not a strategy; expected round_robin or fewest_open"),
                                ))
                            }
                        };
                        Ok(RuleAction::Assign(AssignTo::Role { roles, strategy }))
                    }
                    (Some(_), Some(_)) => Err((k, "give an agent or a role, not both".into())),
                    (None, None) => Err((k, "give an agent, or a role (with a strategy)".into())),
                }
            }
            who => Ok(RuleAction::Assign(AssignTo::Agent(ctx.agent(&k, who)?))),
        },
        "set" => {
            let a = map(&k, arg)?;
            unknown(a, &["priority", "category", "tags"])?;
            let mut set = SetFields::default();
            if let Some(p) = a.get("priority") {
                set.priority = Some(value_of(
                    ctx,
                    Subject::Priority,
                    &format!("{k}.priority"),
                    p,
                )?);
            }
            if let Some(c) = a.get("category") {
                set.category = Some(match c {
                    Value::Null => None,
                    c => Some(text(&format!("{k}.category"), c)?),
                });
            }
            if let Some(t) = a.get("tags") {
                let tk = format!("{k}.tags");
                set.tags = Some(match t {
                    Value::Mapping(tm) => {
                        for key in tm.keys().map(key_text) {
                            if key != "add" && key != "remove" {
                                return Err((
                                    format!("{tk}.{key}"),
                                    format!(
                                        "unknown key '{key}'; tags take a list, or add and remove"
                                    ),
                                ));
                            }
                        }
                        let get =
                            |n: &str| tm.get(n).map(|v| list(&format!("{tk}.{n}"), v)).transpose();
                        TagChange::Edit {
                            add: get("add")?.unwrap_or_default(),
                            remove: get("remove")?.unwrap_or_default(),
                        }
                    }
                    Value::Null => TagChange::Replace(Vec::new()),
                    other => TagChange::Replace(list(&tk, other)?),
                });
            }
            if set == SetFields::default() {
                return Err((k, "set at least one of priority, category, tags".into()));
            }
            Ok(RuleAction::Set(set))
        }
        "note" => Ok(RuleAction::Note(match arg {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Err((k, "expected the note's text".into())),
        })),
        "notify" => {
            let a = map(&k, arg)?;
            unknown(a, &["to", "via", "template", "digest"])?;
            let tk = format!("{k}.to");
            let items: Vec<&Value> = match a.get("to") {
                Some(Value::Sequence(s)) if !s.is_empty() => s.iter().collect(),
                Some(Value::Sequence(_)) | None => {
                    return Err((
                        tk,
                        "name who: assignee, owner, customer, {role: ROLE} or {agent: ID}".into(),
                    ))
                }
                Some(one) => vec![one],
            };
            let mut to = Vec::new();
            for r in items {
                to.push(match r {
                    Value::Mapping(rm) => match rm.iter().collect::<Vec<_>>().as_slice() {
                        [(rk, rv)] if key_text(rk) == "role" => Recipient::Role(roles(ctx.config, &format!("{tk}.role"), rv)?),
                        [(rk, rv)] if key_text(rk) == "agent" => Recipient::Agent(ctx.agent(&format!("{tk}.agent"), rv)?),
                        _ => return Err((tk, "a recipient mapping is {role: ROLE} or {agent: ID}".into())),
                    },
                    other => match scalar(other).as_deref() {
                        Some("assignee") => Recipient::Assignee,
                        Some("owner") => Recipient::Owner,
                        Some("customer") => Recipient::Customer,
                        _ => {
                            return Err((
                                tk,
                                format!("'{}' is not a recipient; expected assignee, owner, customer, {{role: ROLE}} or {{agent: ID}}", scalar(other).unwrap_or_default()),
                            ))
                        }
                    },
                });
            }
            let via = match a.get("via").and_then(scalar).as_deref() {
                None | Some("email") => Via::Email,
                Some(other) => {
                    return Err((format!("{k}.via"), format!("'{other}' is not a channel; this version delivers by email (use a run action for webhooks)")))
                }
            };
            let template = match a.get("template").and_then(scalar) {
                Some(t) if valid_name(&t) => t,
                _ => {
                    return Err((
                        format!("{k}.template"),
                        "name a template (templates/NAME.txt): letters, digits, '-', '_', '.'"
                            .into(),
                    ))
                }
            };
            let digest = match a.get("digest") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err((format!("{k}.digest"), "expected true or false".into())),
            };
            Ok(RuleAction::Notify(Notify {
                to,
                via,
                template,
                digest,
            }))
        }
        "run" => match arg {
            Value::Mapping(a) => {
                unknown(a, &["command", "args"])?;
                let command = text(
                    &format!("{k}.command"),
                    a.get("command").unwrap_or(&Value::Null),
                )?;
                let args = match a.get("args") {
                    None => Vec::new(),
                    Some(Value::Sequence(s)) => s
                        .iter()
                        .map(|x| {
                            scalar(x).ok_or_else(|| {
                                (
                                    format!("{k}.args"),
                                    "arguments are plain values".to_string(),
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => {
                        return Err((format!("{k}.args"), "expected a list of arguments".into()))
                    }
                };
                Ok(RuleAction::Run(RunHook { command, args }))
            }
            other => Ok(RuleAction::Run(RunHook {
                command: text(&k, other)?,
                args: Vec::new(),
            })),
        },
        "open" => {
            let a = map(&k, arg)?;
            unknown(
                a,
                &[
                    "type",
                    "title",
                    "priority",
                    "channel",
                    "category",
                    "tags",
                    "description",
                ],
            )?;
            // As `desk new`: type, title, priority and channel are required.
            let required = |name: &str| {
                a.get(name).ok_or_else(|| {
                    (
                        format!("{k}.{name}"),
                        format!("the ticket to open needs a {name}; open takes type, title, priority and channel, and optionally category, tags and description"),
                    )
                })
            };
            let enumerated = |name: &str, subject: Subject| {
                value_of(ctx, subject, &format!("{k}.{name}"), required(name)?)
            };
            let title = text(&format!("{k}.title"), required("title")?)?;
            crate::model::ticket_input::title(&title)
                .map_err(|e| (format!("{k}.title"), e.to_string()))?;
            let optional = |name: &str| {
                a.get(name)
                    .filter(|v| !v.is_null())
                    .map(|v| text(&format!("{k}.{name}"), v))
                    .transpose()
            };
            let tags = match a.get("tags") {
                None | Some(Value::Null) => Vec::new(),
                Some(t) => crate::model::ticket_input::unique_tags(list(&format!("{k}.tags"), t)?),
            };
            let description = match a.get("description") {
                None | Some(Value::Null) => None,
                Some(Value::String(d)) if !d.trim().is_empty() => Some(d.trim().to_string()),
                Some(_) => {
                    return Err((
                        format!("{k}.description"),
                        "expected the description's text".into(),
                    ))
                }
            };
            Ok(RuleAction::Open(OpenTicket {
                kind: enumerated("type", Subject::Type)?,
                title,
                priority: enumerated("priority", Subject::Priority)?,
                channel: enumerated("channel", Subject::Channel)?,
                category: optional("category")?,
                tags,
                description,
            }))
        }
        other => Err((
            k,
            format!("unknown action '{other}'; actions are {ACTIONS}"),
        )),
    }
}

/// The statuses a ticket can have just after an event of `action`, as
/// the lifecycle (`model::Lifecycle`) and the commands allow: a new ticket
/// is open (in progress when assigned at once), an assigned one in
/// progress or still pending, a closed or surveyed one closed, a reopened
/// one open or in progress; an update or an edit leaves any status (a note
/// on a closed ticket keeps it closed).
fn statuses_after(action: &Action) -> &'static [Status] {
    use Status::*;
    match action {
        Action::Created | Action::Reopened => &[Open, InProgress],
        Action::Assigned => &[InProgress, Pending],
        Action::Closed | Action::Surveyed => &[Closed],
        _ => &[Open, InProgress, Pending, Closed],
    }
}

/// `a closed event`, `a created or reopened event`.
fn an_event(events: &[Action]) -> String {
    let names: Vec<&str> = events.iter().map(Action::as_str).collect();
    format!("a {} event", names.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_RULES;

    fn parse(yaml: &str) -> Result<Rules, Vec<RuleError>> {
        let v: Value = crate::yaml::from_str(yaml).unwrap();
        Rules::parse(Some(&v), &Config::seed_defaults())
    }

    fn error(yaml: &str) -> String {
        let errors = parse(yaml).unwrap_err();
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_default_rules_parse() {
        let c = Config::seed_defaults();
        let rules = Rules::parse(c.rules.as_ref(), &c).unwrap();
        assert_eq!(rules.rules.len(), 12);
        assert_eq!(
            rules.rules[0].actions,
            [
                RuleAction::Assign(AssignTo::Role {
                    roles: vec!["supervisor".into(), "service".into()],
                    strategy: Strategy::FewestOpen
                }),
                RuleAction::Notify(Notify {
                    to: vec![Recipient::Assignee],
                    via: Via::Email,
                    template: "assigned".into(),
                    digest: false
                })
            ]
        );
    }

    /// Every type of the shipped list is routed by a `created` rule, to a
    /// role with a fallback; the shipped team has an agent for each.
    #[test]
    fn the_default_rules_route_every_type_around_absence() {
        let c = Config::seed_defaults();
        let rules = Rules::parse(c.rules.as_ref(), &c).unwrap();
        for kind in &c.types {
            let routing: Vec<&Rule> = rules
                .on(&Action::Created)
                .filter(|r| {
                    r.conditions.iter().any(|cond| {
                        cond.subject == Subject::Type
                            && matches!(&cond.test, Test::Value { is: Some(v), .. } if v.contains(&kind.key))
                    })
                })
                .collect();
            assert_eq!(routing.len(), 1, "{}: {routing:?}", kind.key);
            let [RuleAction::Assign(AssignTo::Role { roles, .. }), RuleAction::Notify(n)] =
                routing[0].actions.as_slice()
            else {
                panic!("{}: {:?}", kind.key, routing[0].actions)
            };
            assert!(roles.len() >= 2, "{}: a fallback role", kind.key);
            assert!(roles.iter().all(|r| rules.members(r).next().is_some()));
            assert_eq!(n.to, [Recipient::Assignee]);
        }
    }

    /// The survey reminder comes while the window is open: four hours
    /// before it closes, whatever `survey.window_hours` says.
    #[test]
    fn the_survey_reminder_comes_before_the_window_closes() {
        let mut c = Config::seed_defaults();
        let reminder = |c: &Config| {
            let rules = Rules::parse(c.rules.as_ref(), c).unwrap();
            rules
                .rules
                .into_iter()
                .find(|r| r.name == "survey-reminder")
                .unwrap()
                .when
        };
        assert_eq!(c.survey.window_hours, 24);
        assert_eq!(
            reminder(&c),
            Trigger::Time(TimeTrigger::UnsurveyedFor { seconds: 20 * 3600 })
        );
        c.survey.window_hours = 48;
        assert_eq!(
            reminder(&c),
            Trigger::Time(TimeTrigger::UnsurveyedFor { seconds: 44 * 3600 })
        );
        c.survey.window_hours = 4;
        let errors = Rules::parse(c.rules.as_ref(), &c).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "rule 'survey-reminder' (rules[9]), key when.survey_window_left: '4h' is not within \
             the survey window (survey.window_hours: 4): give more than zero and less than 4h, \
             so the rule fires after the close and before the window ends"
        );
    }

    #[test]
    fn values_are_canonical_and_aliases_accepted() {
        let r = parse("- name: a\n  when: [created, edited]\n  if: {type: [投诉, 咨询], priority: {changed_to: p1}, assignee.role: 主管, customer.owner: 王强}\n  then: [{set: {priority: 紧急}}]\n").unwrap();
        let rule = &r.rules[0];
        assert_eq!(
            rule.when,
            Trigger::Events(vec![Action::Created, Action::Edited])
        );
        assert_eq!(
            rule.conditions[0].test,
            Test::Value {
                is: Some(vec!["complaint".into(), "consultation".into()]),
                not: vec![],
                changed_to: None,
                set: None
            }
        );
        assert!(
            matches!(&rule.conditions[1].test, Test::Value { changed_to: Some(v), .. } if v == &["urgent"])
        );
        assert!(
            matches!(&rule.conditions[2].test, Test::Value { is: Some(v), .. } if v == &["supervisor"])
        );
        assert!(
            matches!(&rule.conditions[3].test, Test::Value { is: Some(v), .. } if v == &["wang.qiang"])
        );
        assert_eq!(
            rule.actions[0],
            RuleAction::Set(SetFields {
                priority: Some("urgent".into()),
                ..Default::default()
            })
        );
    }

    #[test]
    fn a_bare_m_in_a_time_rule_keeps_its_meaning_and_is_named_with_the_spelling_to_use() {
        let r = parse(
            "- {name: w, when: {no_progress_for: 1h30m}, then: [{note: x}]}\n\
             - {name: n, when: {no_progress_for: 1h30min}, then: [{note: x}]}\n\
             - {name: d, when: {dormant_for: 6m}, then: [{open: {type: consultation, title: t, priority: normal, channel: phone}}]}\n\
             - {name: s, when: {sla: response, state: breached}, then: [{note: x}]}\n",
        )
        .unwrap();
        assert_eq!(r.rules[0].when, r.rules[1].when);
        assert_eq!(
            r.rules[0].when,
            Trigger::Time(TimeTrigger::NoProgressFor { seconds: 5400 })
        );
        assert_eq!(
            r.rules[2].when,
            Trigger::Time(TimeTrigger::DormantFor {
                span: Span::Months(6)
            })
        );
        let told: Vec<String> = r.ambiguous.iter().map(|e| e.to_string()).collect();
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(
            told[0].starts_with(
                "rule 'w' (rules[0]), key when.no_progress_for: '1h30m' is read as minutes"
            ) && told[0].contains("write '1h30min'"),
            "{told:?}"
        );
        assert!(
            told[1]
                .starts_with("rule 'd' (rules[2]), key when.dormant_for: '6m' is read as months")
                && told[1].contains("write '6mo'"),
            "{told:?}"
        );
        // The rules desk init writes spell every length one way.
        let v: Value = crate::yaml::from_str(DEFAULT_RULES).unwrap();
        let shipped = Rules::parse(Some(&v), &Config::seed_defaults()).unwrap();
        assert!(shipped.ambiguous.is_empty(), "{:?}", shipped.ambiguous);
    }

    #[test]
    fn time_triggers_notify_and_run_parse() {
        let r = parse(
            "- {name: a, when: {sla: resolution, state: breached}, then: [{notify: {to: [{role: supervisor}, owner], template: escalate}}, {run: hooks/x.sh}]}\n\
             - {name: b, when: {no_progress_for: 24h}, then: [{notify: {to: assignee, template: p, digest: true}}]}\n\
             - {name: c, when: {pending_for: 3d}, then: [{note: still waiting}]}\n\
             - {name: d, when: {unsurveyed_for: 1d}, then: [{notify: {to: {agent: li.na}, template: s}}]}\n\
             - {name: e, when: {dormant_for: 3m}, if: {customer.vip: true}, then: [{open: {type: 咨询, title: 回访, priority: normal, channel: phone, tags: [a, a, b]}}, {run: {command: x, args: [a, 1]}}]}\n",
        )
        .unwrap();
        assert_eq!(
            r.rules[0].when,
            Trigger::Time(TimeTrigger::Sla {
                target: TargetKind::Resolution,
                state: ClockState::Breached
            })
        );
        assert_eq!(
            r.rules[1].when,
            Trigger::Time(TimeTrigger::NoProgressFor { seconds: 86_400 })
        );
        assert_eq!(
            r.rules[2].when,
            Trigger::Time(TimeTrigger::PendingFor {
                seconds: 3 * 86_400
            })
        );
        assert_eq!(
            r.rules[4].when,
            Trigger::Time(TimeTrigger::DormantFor {
                span: Span::Months(3)
            })
        );
        assert_eq!(
            r.rules[0].actions[0],
            RuleAction::Notify(Notify {
                to: vec![Recipient::Role(vec!["supervisor".into()]), Recipient::Owner],
                via: Via::Email,
                template: "escalate".into(),
                digest: false
            })
        );
        assert_eq!(
            r.rules[4].actions[0],
            RuleAction::Open(OpenTicket {
                kind: "consultation".into(),
                title: "回访".into(),
                priority: "normal".into(),
                channel: "phone".into(),
                category: None,
                tags: vec!["a".into(), "b".into()],
                description: None,
            })
        );
        assert_eq!(
            r.rules[4].actions[1],
            RuleAction::Run(RunHook {
                command: "x".into(),
                args: vec!["a".into(), "1".into()]
            })
        );
    }

    #[test]
    fn roles_are_tried_in_the_order_listed() {
        let r = parse("- {name: a, when: created, then: [{assign: {role: [客服, supervisor, service], strategy: fewest_open}}, {notify: {to: [{role: [主管, sales]}, assignee], template: t}}]}\n- {name: b, when: {unassigned_for: 30m}, then: [{notify: {to: {role: 主管}, template: t}}]}\n").unwrap();
        assert_eq!(
            r.rules[0].actions[0],
            RuleAction::Assign(AssignTo::Role {
                roles: vec!["service".into(), "supervisor".into()],
                strategy: Strategy::FewestOpen
            })
        );
        let RuleAction::Notify(n) = &r.rules[0].actions[1] else {
            panic!("a notify")
        };
        assert_eq!(
            n.to,
            [
                Recipient::Role(vec!["supervisor".into(), "sales".into()]),
                Recipient::Assignee
            ]
        );
        assert_eq!(
            r.rules[1].when,
            Trigger::Time(TimeTrigger::UnassignedFor { seconds: 1800 })
        );
    }

    #[test]
    fn a_dormant_rule_opens_its_ticket_first_and_only_it_opens() {
        let open = "{open: {type: consultation, title: 回访, priority: normal, channel: phone}}";
        for (yaml, wanted) in [
            (
                "- {name: a, when: {dormant_for: 6m}, then: [{notify: {to: owner, template: t}}]}".to_string(),
                "rule 'a' (rules[0]), key then[0]: a dormant_for rule opens a call-back ticket first",
            ),
            (
                format!("- {{name: a, when: created, then: [{open}]}}"),
                "key then[0].open: only a dormant_for rule opens a ticket",
            ),
            (
                format!("- {{name: a, when: {{dormant_for: 6m}}, then: [{open}, {open}]}}"),
                "key then[1].open: open is the first action",
            ),
            (
                "- {name: a, when: {dormant_for: 6m}, then: [{open: {type: consultation, title: x, priority: normal}}]}".to_string(),
                "key then[0].open.channel: the ticket to open needs a channel",
            ),
            (
                "- {name: a, when: {dormant_for: 6m}, then: [{open: {type: 投诉x, title: x, priority: normal, channel: phone}}]}".to_string(),
                "key then[0].open.type: '投诉x' is not a type",
            ),
            (
                "- {name: a, when: {dormant_for: 6m}, then: [{open: {type: consultation, title: \"a\\nb\", priority: normal, channel: phone}}]}".to_string(),
                "key then[0].open.title",
            ),
            (
                "- {name: a, when: {dormant_for: 6m}, then: [{open: {type: consultation, title: x, priority: normal, channel: phone, assignee: li.na}}]}".to_string(),
                "key then[0].open.assignee: unknown key 'assignee'",
            ),
        ] {
            let got = error(&yaml);
            assert!(got.contains(wanted), "{yaml}\n{got}");
            // One problem, one message.
            assert_eq!(got.lines().count(), 1, "{yaml}\n{got}");
        }
    }

    #[test]
    fn bad_rules_name_the_rule_and_the_key() {
        for (yaml, wanted) in [
            ("- {name: a, when: created, if: {colour: red}, then: [{note: x}]}", "rule 'a' (rules[0]), key if.colour: unknown condition"),
            ("- {name: a, when: created, then: [{note: x}], thne: 1}", "key thne: unknown key"),
            ("- {when: created, then: [{note: x}]}", "rules[0], key name: every rule needs a name"),
            ("- {name: a b, when: created, then: [{note: x}]}", "key name: 'a b' is not a rule name"),
            ("- {name: a, when: created, then: [{note: x}]}\n- {name: a, when: closed, then: [{note: y}]}", "rule 'a' (rules[1]), key name: the name is also used by rules[0]"),
            ("- {name: a, when: creatd, then: [{note: x}]}", "key when: 'creatd' is not an event"),
            ("- {name: a, when: created}", "key then: every rule needs a list"),
            ("- {name: a, when: created, then: [{assign: zhang}]}", "key then[0].assign: 'zhang' is not an agent"),
            ("- {name: a, when: created, then: [{assign: {role: janitor}}]}", "key then[0].assign.role: 'janitor' is not a role"),
            ("- {name: a, when: created, then: [{assign: {role: engineer, strategy: random}}]}", "then[0].assign.strategy: 'random'"),
            ("- {name: a, when: created, then: [{assign: {agent: li.na, strategy: round_robin}}]}", "then[0].assign.strategy"),
            ("- {name: a, when: created, if: {type: complain}, then: [{note: x}]}", "key if.type: 'complain' is not a type; expected one of consultation (咨询)"),
            ("- {name: a, when: created, if: {customer.owner: nobody}, then: [{note: x}]}", "if.customer.owner: 'nobody' is not an agent"),
            ("- {name: a, when: created, if: {customer.kind: alien}, then: [{note: x}]}", "if.customer.kind: 'alien'"),
            ("- {name: a, when: created, if: {type: {equals: x}}, then: [{note: x}]}", "if.type.equals: unknown test"),
            ("- {name: a, when: created, then: [{set: {status: closed}}]}", "then[0].set.status: unknown key"),
            ("- {name: a, when: created, then: [{notify: {to: boss, template: t}}]}", "then[0].notify.to: 'boss' is not a recipient"),
            ("- {name: a, when: created, then: [{notify: {to: assignee, via: fax, template: t}}]}", "then[0].notify.via"),
            ("- {name: a, when: created, then: [{notify: {to: assignee}}]}", "then[0].notify.template"),
            ("- {name: a, when: created, then: [{notify: {to: assignee, template: ..}}]}", "then[0].notify.template"),
            ("- {name: a, when: created, then: [{notify: {to: assignee, template: ../../../tmp/x}}]}", "then[0].notify.template"),
            ("- {name: a, when: created, then: [{notify: {to: assignee, template: /tmp/x}}]}", "then[0].notify.template"),
            ("- {name: a, when: created, then: [{notify: {to: assignee, template: \"a\\0b\"}}]}", "then[0].notify.template"),
            ("- {name: .a, when: created, then: [{note: x}]}", "key name: '.a' is not a rule name"),
            ("- {name: a, when: created, then: [{page: x}]}", "then[0].page: unknown action"),
            ("- {name: a, when: closed, then: [{set: {tags: [done]}}, {note: x}]}", "key then[1].note: can never be done"),
            ("- {name: a, when: {unsurveyed_for: 24h}, then: [{note: x}]}", "key then[0].note: can never be done: the ticket is closed then"),
            ("- {name: a, when: {no_progress_for: 24h}, if: {status: closed}, then: [{note: x}]}", "if.status: can never match: this time trigger is due only on tickets that are open or in_progress"),
            ("- {name: a, when: {pending_for: 1d}, if: {status: {not: pending}}, then: [{note: x}]}", "if.status: can never match: this time trigger is due only on tickets that are pending"),
            ("- {name: a, when: {sla: response, state: breached}, if: {status: closed}, then: [{note: x}]}", "if.status: can never match"),
            ("- {name: a, when: {sla: response, state: late}, then: [{note: x}]}", "when.state: 'late'"),
            ("- {name: a, when: {sla: response}, then: [{note: x}]}", "when.state: give the state"),
            ("- {name: a, when: created, then: [{assign: {role: engineer, agent: li.na}}]}", "then[0].assign: give an agent or a role, not both"),
            ("- {name: a, when: created, if: {title: {contains: []}}, then: [{note: x}]}", "if.title: can never match: `contains` lists no text"),
            ("- {name: a, when: created, if: {description: []}, then: [{note: x}]}", "if.description: can never match: `contains` lists no text"),
            ("- {name: a, when: {pending_for: soon}, then: [{note: x}]}", "when.pending_for: 'soon'"),
            ("- {name: a, when: {dormant_for: 3h}, then: [{note: x}]}", "when.dormant_for"),
            ("- {name: a, when: {dormant_for: 0d}, then: [{open: {type: consultation, title: x, priority: normal, channel: phone}}]}", "when.dormant_for"),
            ("- {name: a, when: [created, {dormant_for: 6m}], then: [{note: x}]}", "key when: a list holds events only"),
            ("- {name: a, when: {waiting_for: 3h}, then: [{note: x}]}", "when.waiting_for: unknown time trigger"),
            ("- {name: a, when: created, then: [{assign: {role: []}}]}", "then[0].assign.role: list at least one role"),
            ("- {name: a, when: created, then: [{assign: {role: [service, janitor]}}]}", "then[0].assign.role: 'janitor' is not a role"),
            ("- {name: a, when: created, then: [{notify: {to: {role: [主管, x]}, template: t}}]}", "then[0].notify.to.role: 'x' is not a role"),
            ("- {name: a, when: {survey_window_left: 24h}, then: [{notify: {to: assignee, template: t}}]}", "when.survey_window_left: '24h' is not within the survey window (survey.window_hours: 24)"),
            ("- {name: a, when: {survey_window_left: 0m}, then: [{notify: {to: assignee, template: t}}]}", "when.survey_window_left: '0m' is not within"),
            ("- {name: a, when: {survey_window_left: 4h}, then: [{note: x}]}", "key then[0].note: can never be done: the ticket is closed then"),
            ("- {name: a, when: {unassigned_for: soon}, then: [{note: x}]}", "when.unassigned_for: 'soon'"),
            ("- {name: a, when: {unassigned_for: 1h}, if: {status: closed}, then: [{note: x}]}", "if.status: can never match: this time trigger is due only on tickets that are open or in_progress or pending"),
        ] {
            let got = error(yaml);
            assert!(got.contains(wanted), "{yaml}\n  wanted: {wanted}\n  got: {got}");
        }
        assert_eq!(
            error("{name: a}"),
            "rules: `rules:` must be a list of rules (- name: ...)"
        );
        // A bad trigger is one problem, not one more for each action it makes odd.
        let bad_span = error("- {name: a, when: {dormant_for: 0d}, then: [{open: {type: consultation, title: x, priority: normal, channel: phone}}]}");
        assert_eq!(bad_span.lines().count(), 1, "{bad_span}");
    }

    #[test]
    fn conditions_that_can_never_match_are_refused() {
        for (yaml, wanted) in [
            (
                "when: closed\n  if: {type: {changed_to: complaint}}",
                "no closed event changes type",
            ),
            (
                "when: [updated, surveyed]\n  if: {assignee: {changed_to: li.na}}",
                "no updated or surveyed event changes assignee",
            ),
            (
                "when: {pending_for: 1d}\n  if: {priority: {changed_to: urgent}}",
                "a time trigger has no event",
            ),
            (
                "when: created\n  if: {priority: {is: urgent, not: [urgent, normal]}}",
                "every value of `is` is excluded by `not`",
            ),
            ("when: created\n  if: {priority: []}", "`is` lists no value"),
            (
                "when: created\n  if: {priority: {set: false}}",
                "every ticket has a priority",
            ),
            (
                "when: created\n  if: {assignee: {is: li.na, set: false}}",
                "`set: false` wants none",
            ),
            (
                "when: edited\n  if: {priority: {is: normal, changed_to: urgent}}",
                "no value in common",
            ),
            (
                "when: created\n  if: {title: {contains: 退款, not_contains: 退}}",
                "includes a `not_contains` text",
            ),
            (
                "when: created\n  if: {tags: {is: [vip], not: [vip, x]}}",
                "every value of `is` is excluded by `not`",
            ),
            (
                "when: edited\n  if: {tags: {changed_to: vip, not: vip}}",
                "every value of `changed_to` is excluded by `not`",
            ),
            (
                "when: {dormant_for: 6m}\n  if: {type: complaint}",
                "concerns a customer",
            ),
            (
                "when: created\n  if: {customer.vip: {changed_to: true}}",
                "expected true or false",
            ),
            (
                "when: created\n  if: {customer.kind: {changed_to: enterprise}}",
                "not a ticket field",
            ),
            // Conditions the trigger contradicts.
            (
                "when: closed\n  if: {status: {not: closed}}",
                "can never match: after a closed event the ticket is closed",
            ),
            (
                "when: [created, reopened]\n  if: {status: [pending, closed]}",
                "can never match: after a created or reopened event the ticket is open or in_progress",
            ),
            (
                "when: surveyed\n  if: {status: open}",
                "after a surveyed event the ticket is closed",
            ),
            (
                "when: assigned\n  if: {assignee: {set: false}}",
                "after an assigned event the ticket has an assignee",
            ),
            (
                "when: assigned\n  if: {assignee.role: {set: false}}",
                "after an assigned event the ticket has an assignee",
            ),
            (
                "when: [closed, reopened]\n  if: {survey.unsatisfied: true}",
                "can never match: survey.unsatisfied tells of the survey that triggered the rule; add surveyed to `when`",
            ),
            (
                "when: {unsurveyed_for: 1d}\n  if: {survey.unsatisfied: false}",
                "add surveyed to `when`",
            ),
            (
                "when: surveyed\n  if: {survey.unsatisfied: {is: true}}",
                "expected true or false",
            ),
        ] {
            let got = error(&format!("- name: n\n  {yaml}\n  then: [{{note: x}}]\n"));
            assert!(
                got.contains(wanted),
                "{yaml}\n  wanted: {wanted}\n  got: {got}"
            );
            assert!(got.contains("key if.") || got.contains("key when"), "{got}");
        }
        // What can match is accepted: tags may have one and gain another;
        // one text of several may be free of the excluded ones.
        parse("- name: n\n  when: created\n  if: {title: {contains: [退款, 发票], not_contains: 退}}\n  then: [{note: x}]\n").unwrap();
        parse("- name: n\n  when: edited\n  if: {tags: {is: vip, changed_to: urgent}, assignee: {set: true}}\n  then: [{note: x}]\n").unwrap();
        // A note on a closed ticket is an update; a list may hold an event
        // that meets the condition; a created ticket may be unassigned.
        for ok in [
            "when: updated\n  if: {status: closed}",
            "when: [closed, reopened]\n  if: {status: {not: closed}}",
            "when: [assigned, edited]\n  if: {assignee: {set: false}}",
            "when: created\n  if: {assignee: {set: false}, status: open}",
            "when: [surveyed, closed]\n  if: {survey.unsatisfied: true, status: closed}",
        ] {
            parse(&format!("- name: n\n  {ok}\n  then: [{{note: x}}]\n"))
                .unwrap_or_else(|e| panic!("{ok}: {e:?}"));
        }
    }

    /// Every rule shown in docs/automation.md is accepted as shown.
    #[test]
    fn the_documented_rules_parse() {
        let doc = include_str!("../../docs/automation.md");
        let mut parsed = 0;
        for block in doc.split("```yaml\n").skip(1) {
            let block = block.split("```").next().unwrap();
            if !block.contains("name:") {
                continue;
            }
            let v: Value = crate::yaml::from_str(block).unwrap();
            let list = v.get("rules").cloned().unwrap_or(v);
            let rules = Rules::parse(Some(&list), &Config::seed_defaults())
                .unwrap_or_else(|e| panic!("{block}\n{e:?}"));
            parsed += rules.rules.len();
        }
        assert_eq!(parsed, 1 + 4 + 8 + 1);
        // The shipped rules are documented as shipped, in two blocks.
        let (routing, rest) =
            DEFAULT_RULES.split_at(DEFAULT_RULES.find("# Seed 000: a task reminder").unwrap());
        assert!(doc.contains(&format!("```yaml\nrules:\n{routing}```")));
        assert!(doc.contains(&format!("```yaml\n{rest}```")));
    }

    proptest::proptest! {
        /// Any YAML under `rules:` gives rules or errors, never a panic.
        #[test]
        fn parsing_never_panics(
            name in "[a-z\\- ]{0,6}",
            when in "created|closed|\\{pending_for: [0-9a-z]{0,4}\\}|\\{sla: [a-z]{0,10}, state: [a-z_]{0,8}\\}|\\[\\]|7",
            key in "type|tags|assignee|title|customer.vip|working_hours|colour",
            test in "[a-z0-9]{0,5}|\\{(is|not|changed_to|set|contains): [a-z0-9]{0,5}\\}|\\[\\]|~|true",
            action in "note: x|assign: [a-z.]{0,8}|assign: \\{role: [a-z]{0,9}\\}|set: \\{tags: \\{add: [a-z]{0,3}\\}\\}|notify: \\{to: [a-z]{0,8}\\}|run: ~",
        ) {
            let yaml = format!("- name: {name}\n  when: {when}\n  if: {{{key}: {test}}}\n  then: [{{{action}}}]\n");
            if let Ok(v) = crate::yaml::from_str::<Value>(&yaml) {
                let _ = Rules::parse(Some(&v), &Config::seed_defaults());
            }
        }
    }
}
