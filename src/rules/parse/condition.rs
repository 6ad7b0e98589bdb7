//! `if:`: each condition's subject and test, and conditions that could
//! never hold after the rule's events refused.

use super::*;

/// The canonical form of one value of a subject, or why it is not one.
pub(super) fn value_of(
    ctx: &Ctx,
    subject: Subject,
    key: &str,
    v: &Value,
) -> Result<String, (String, String)> {
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

pub(super) fn values(
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

pub(super) fn condition(
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

/// The statuses a ticket can have just after an event of `action`, as
/// the lifecycle (`model::Lifecycle`) and the commands allow: a new ticket
/// is open (in progress when assigned at once), an assigned one in
/// progress or still pending, a closed or surveyed one closed, a reopened
/// one open or in progress; an update or an edit leaves any status (a note
/// on a closed ticket keeps it closed).
pub(super) fn statuses_after(action: &Action) -> &'static [Status] {
    use Status::*;
    match action {
        Action::Created | Action::Reopened => &[Open, InProgress],
        Action::Assigned => &[InProgress, Pending],
        Action::Closed | Action::Surveyed => &[Closed],
        _ => &[Open, InProgress, Pending, Closed],
    }
}

/// `a closed event`, `a created or reopened event`.
pub(super) fn an_event(events: &[Action]) -> String {
    let names: Vec<&str> = events.iter().map(Action::as_str).collect();
    format!("a {} event", names.join(" or "))
}
