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
    assert_eq!(rules.rules.len(), 15);
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
        told[1].starts_with("rule 'd' (rules[2]), key when.dormant_for: '6m' is read as months")
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
    let doc = include_str!("../../../docs/automation.md");
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
    assert_eq!(parsed, 1 + 4 + 11 + 1);
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
