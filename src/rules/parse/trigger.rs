//! `when:`: the events and the time conditions a rule fires on.

use super::*;

const EVENTS: &str = "created, assigned, updated, closed, reopened, surveyed, edited";

pub(super) fn trigger(config: &Config, v: &Value) -> Result<Trigger, (String, String)> {
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

pub(super) fn time_trigger(config: &Config, m: &Mapping) -> Result<TimeTrigger, (String, String)> {
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
