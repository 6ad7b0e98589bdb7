//! `then:`: each action and its values checked against the configuration.

use super::*;

pub(super) fn action(ctx: &Ctx, i: usize, v: &Value) -> Result<RuleAction, (String, String)> {
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
