//! `rules:` of desk.yaml into [`Rules`]: shapes, keys and values checked
//! against the configuration, and conditions that could never match refused.

use crate::yaml::{Mapping, Value};

use super::*;
use crate::config::{describe_choices, find_choice, Config};
use crate::model::{CustomerKind, Field, Status};

mod action;
mod condition;
#[cfg(test)]
mod tests;
mod trigger;

use action::action;
use condition::{condition, value_of};
use trigger::trigger;

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
