//! Events as files have them: the checks of each action, and that what is
//! read is written back as it was.

use super::*;
use crate::yaml::Mapping;
use proptest::prelude::*;

fn event(yaml: &str) -> Event {
    let head = "at: 2026-11-23T09:00:00+08:00\nby: li.na\n";
    crate::yaml::from_str(&format!("{head}{yaml}")).unwrap()
}

fn problems(yaml: &str) -> Vec<String> {
    event(yaml).problems(&|d| ["efficiency", "attitude"].contains(&d))
}

#[test]
fn a_fired_event_is_a_rule_s_with_a_whole_key() {
    let key = "key: r/CW202611230001/no_progress_for-1d/2026-11-23T09:00:00+08:00\n";
    let by_rule = |yaml: &str| {
        let e: Event = crate::yaml::from_str(&format!(
            "at: 2026-11-23T09:00:00+08:00\nby: rule:r\n{yaml}"
        ))
        .unwrap();
        e.problems(&|_| false)
    };
    assert!(by_rule(&format!("action: fired\n{key}")).is_empty());
    assert!(problems(&format!("action: fired\n{key}"))[0].contains("recorded by a rule"));
    assert!(by_rule("action: fired\nkey: not a key at all\n")[0]
        .contains("is not RULE/TICKET/THRESHOLD/CYCLE-START"));
    assert!(by_rule("action: fired\nkey: r/CW1/x/yesterday\n")[0].contains("is not RULE/"));
    assert!(
        by_rule("action: fired\n")[0].contains("need `key`"),
        "{:?}",
        by_rule("action: fired\n")
    );
}

#[test]
fn events_are_checked_against_their_action() {
    assert!(problems("action: updated\nstatus: exploded\nnote: x\n")[0]
        .contains("status 'exploded' is not pending or in_progress"));
    assert_eq!(
        problems("action: assigned\nnote: x\n"),
        ["`assigned` events need `to`"]
    );
    assert!(problems("action: assigned\nto: ''\n")[0].contains("must name an agent"));
    assert!(problems("action: assigned\nto: wang\nstatus: pending\n")[0]
        .contains("`status` does not belong in `assigned` events"));
    assert!(problems("action: closed\n")[0].contains("need `resolution`"));
    // What a rule records is clean; a rule without its name is not.
    let mut by_rule = event("action: assigned\nto: chen.jing\n");
    by_rule.by = "rule:complaints-to-supervisor".into();
    assert!(by_rule.problems(&|_| true).is_empty());
    by_rule.by = "rule: ".into();
    assert_eq!(
        by_rule.problems(&|_| true),
        ["`by` is `rule:` without the rule's name"]
    );
    assert!(problems("action: reopened\n")[0].contains("need `reason`"));
    assert!(problems("action: edited\nfield: colour\nto: red\n")[0]
        .contains("'colour' is not a ticket field"));
    let survey = problems("action: surveyed\nscores: {efficiency: 6, taste: 3}\nnps: 11\n");
    assert_eq!(survey.len(), 3, "{survey:?}");
    assert!(problems("action: created\ntitle: t\n")[0].contains("need `customer`"));
    let early: Event =
        crate::yaml::from_str("at: 0001-01-01T00:00:00+00:00\nby: li.na\naction: escalated\n")
            .unwrap();
    assert!(early.problems(&|_| true)[0].contains("1970-01-01 to 9999-12-31"));
    // What desk itself writes is clean.
    for good in [
            "action: created\ntitle: t\ncustomer: C1\ntype: complaint\nchannel: phone\npriority: urgent\nto: wang\n",
            "action: assigned\nto: wang\nnote: yours\n",
            "action: updated\nnote: waiting\nstatus: pending\n",
            "action: updated\nnote: just a note\n",
            "action: closed\nresolution: fixed\ncompensation: a coupon\nfollowup: call back\n",
            "action: reopened\nreason: still broken\n",
            "action: edited\nfield: category\nfrom: null\nto: logistics\nnote: n\n",
            "action: surveyed\nscores: {efficiency: 5}\nnps: 10\ncomment: ok\nchannel: phone\n",
            // A newer desk's action, and a newer desk's field, are kept.
            "action: escalated\nstatus: whatever\nlevel: 2\n",
            "action: updated\nnote: x\nvisibility: internal\n",
        ] {
            assert_eq!(problems(good), Vec::<String>::new(), "{good}");
        }
}

#[test]
fn deliveries_are_checked_against_their_channel() {
    assert_eq!(
        problems("action: queued\nkey: k\nvia: fax\n"),
        ["via 'fax' is not a channel (email, run)"]
    );
    assert_eq!(
        problems("action: queued\nkey: k\nvia: email\ntemplate: t\n"),
        ["an e-mail `queued` event needs `to`"]
    );
    assert_eq!(
        problems("action: delivery_failed\nkey: k\nvia: run\nattempt: 0\nerror: x\n"),
        ["attempt 0: attempts count from 1"]
    );
    for good in [
            "action: queued\nto: [li.na, customer]\nkey: k\nvia: email\ntemplate: t\n",
            "action: queued\nkey: k\nvia: run\ncommand: hooks/x.sh\nargs: [a]\n",
            // As desk writes them now: a reference to the rule's action.
            "action: queued\nto: [li.na]\nkey: k\nvia: email\n",
            "action: queued\nkey: k\nvia: run\n",
            "action: notified\nto: [li.na]\nkey: k\nvia: email\nmessage_id: x@desk\n",
            "action: delivery_failed\nkey: k\nvia: run\nattempt: 2\nerror: x\nnext_attempt: 2026-11-23T09:05:00+08:00\n",
        ] {
            assert_eq!(problems(good), Vec::<String>::new(), "{good}");
        }
}

#[test]
fn history_order_problem_names_the_first_earlier_event() {
    let at = |t: &str| format!("at: {t}\nby: li.na\naction: updated\nnote: x\n");
    let history: Vec<Event> = [
        "2026-11-23T09:00:00+08:00",
        "2026-11-23T10:00:00+08:00",
        "2026-11-23T09:30:00+08:00",
        "2026-11-23T08:00:00+08:00",
    ]
    .iter()
    .map(|t| crate::yaml::from_str(&at(t)).unwrap())
    .collect();
    assert_eq!(history_order_problem(&history[..2]), None);
    let found = history_order_problem(&history).unwrap();
    assert!(found.starts_with("history: event 3 (2026-11-23"), "{found}");
    assert!(
        found.ends_with("is earlier than the one before it"),
        "{found}"
    );
}

#[test]
fn history_problems_name_the_event() {
    let history = [
            event("action: created\ntitle: t\ncustomer: C1\ntype: complaint\nchannel: phone\npriority: urgent\n"),
            event("action: updated\nstatus: exploded\nnote: x\n"),
        ];
    let found = history_problems(&history, &|_| true);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("history: event 2 (updated): status 'exploded'"),
        "{}",
        found[0]
    );
}

#[test]
fn new_events_are_found_wherever_they_were_placed() {
    let at = |h: u32| Timestamp::parse(&format!("2026-11-24T{h:02}:00:00+08:00")).unwrap();
    let e = |h: u32, by: &str| Event::new(at(h), by, Updated::default());
    let before = vec![e(9, "a"), e(15, "a")];
    let after = vec![e(9, "a"), e(12, "b"), e(15, "a"), e(15, "rule:x")];
    assert_eq!(added_events(&before, &after), [1, 3]);
    assert_eq!(added_events(&before, &before), Vec::<usize>::new());
    assert_eq!(added_events(&[], &before), [0, 1]);
    // The same event twice: the second is the new one.
    let twice = vec![e(9, "a"), e(9, "a"), e(15, "a")];
    assert_eq!(added_events(&before, &twice), [1]);
}

const HEAD: &str = "at: 2026-11-23T09:00:00+08:00\nby: rule:r\n";

/// Reads an event and writes it back.
fn round_trip(text: &str) -> (Event, String) {
    let event: Event = crate::yaml::from_str(text).unwrap();
    let written = crate::yaml::to_string(&event).unwrap();
    (event, written)
}

#[test]
fn every_action_is_read_as_its_payload_and_written_back_as_it_was() {
    let cases = [
        (
            "created",
            "title: '2026'\ncustomer: C000001\ntype: complaint\ncategory: 物流\ntags:\n- VIP\nchannel: phone\npriority: urgent\ndescription: |-\n  two\n  lines\nexpectation: 'null'\nto: wang\n",
        ),
        ("assigned", "to: wang\nnote: yours\nkey: r/T/x/2026-11-23T09:00:00+08:00\n"),
        ("updated", "status: pending\nnote: 'key: value'\n"),
        ("closed", "resolution: fixed\ncompensation: a coupon\nfollowup: call back\n"),
        ("reopened", "reason: still broken\n"),
        ("edited", "field: tags\nfrom:\n- a\nto: []\nnote: n\n"),
        ("surveyed", "channel: phone\nscores:\n  attitude: 2\n  efficiency: 5\nnps: 9\ncomment: '# ok'\n"),
        ("queued", "to:\n- li.na\n- customer\nkey: k\nvia: email\n"),
        ("notified", "to:\n- li.na\nkey: k\nvia: email\nmessage_id: x@desk\n"),
        ("delivery_failed", "key: k\nvia: run\nattempt: 2\nerror: exit 3\nnext_attempt: 2026-11-23T09:05:00+08:00\n"),
        ("fired", "key: r/CW202611230001/no_progress_for-1d/2026-11-23T09:00:00+08:00\n"),
    ];
    for (action, fields) in cases {
        let text = format!("{HEAD}action: {action}\n{fields}");
        let (event, written) = round_trip(&text);
        assert_eq!(written, text);
        assert_eq!(event.action_name(), action);
        assert!(
            !matches!(event.payload, Payload::Other(_)) && event.extra.is_empty(),
            "{action}: {event:?}"
        );
        assert_eq!(event.action(), Action::named(action));
    }
}

#[test]
fn what_this_version_does_not_read_is_kept_in_its_place() {
    for kept in [
        // A newer desk's action, with known and unknown fields.
        "action: escalated\ntitle: t\nto:\n  level: 2\nstatus: whatever\nlevel: 2\nz-last: true\n",
        // A newer desk's field, and a known one of another action.
        "action: updated\nto: wang\nstatus: pending\nnote: x\nreason: '3'\nvisibility: internal\n",
        // Empty values, and an edit to nothing.
        "action: closed\nnote: null\nresolution: null\n",
        "action: edited\nfield: category\nfrom: null\nto: null\n",
        "action: created\ntitle: t\ncustomer: C1\ntype: t\ntags: []\nchannel: c\npriority: p\n",
        // A known action without a field it needs.
        "action: assigned\nto:\n- a\n- b\nnote: x\n",
        "action: created\ntitle: t\ncustomer: C1\n",
        "action: queued\nvia: email\n",
        // A delivery as older desks wrote it (docs/automation.md).
        "action: queued\nkey: k\nvia: run\ncommand: hooks/x.sh\nargs:\n- --urgent\n- 两个 words\n",
        "action: queued\nto:\n- li.na\nkey: k\nvia: email\ntemplate: assigned\n",
        "action: queued\nto: li.na\nkey: k\nvia: email\n",
    ] {
        let text = format!("{HEAD}{kept}");
        let (event, written) = round_trip(&text);
        assert_eq!(written, text, "{event:?}");
    }
    let (unknown, _) = round_trip(&format!("{HEAD}action: escalated\nlevel: 2\n"));
    assert_eq!(unknown.payload, Payload::Other("escalated".into()));
    assert_eq!(unknown.extra["level"], Value::from(2));
    let (nobody, _) = round_trip(&format!("{HEAD}action: assigned\nto: [a]\n"));
    assert_eq!(nobody.action(), Action::Assigned);
    assert!(matches!(nobody.payload, Payload::Other(_)));
    assert_eq!(nobody.problems(&|_| true), ["`to` must name an agent"]);
}

#[test]
fn a_known_field_is_read_as_its_type_or_refused() {
    for bad in [
        "action: updated\nnote: [a]\n",
        "action: surveyed\nscores: {a: 1}\nnps: 300\n",
        "action: delivery_failed\nkey: k\nnext_attempt: yesterday\n",
        // Whatever the action: a field has one type.
        "action: escalated\nattempt: first\n",
    ] {
        let text = format!("{HEAD}{bad}");
        assert!(crate::yaml::from_str::<Event>(&text).is_err(), "{bad}");
    }
    // Text is any scalar, as its characters.
    let (note, written) = round_trip(&format!("{HEAD}action: updated\nnote: 2026\n"));
    assert_eq!(note.payload.note(), Some("2026"));
    assert!(written.ends_with("note: '2026'\n"), "{written}");
    let missing = crate::yaml::from_str::<Event>("by: x\naction: updated\n").unwrap_err();
    assert!(
        missing.to_string().contains("missing field `at`"),
        "{missing}"
    );
    let twice =
        crate::yaml::from_str::<Event>(&format!("{HEAD}action: updated\nnote: a\nnote: b\n"));
    assert!(twice.is_err());
}

/// Any value a hand or another program may put in an event's field.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0u32..400).prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        "[a-z0-9:. -]{0,8}".prop_map(Value::from),
        Just(Value::from("2026-11-23T09:05:00+08:00")),
        Just(Value::from("pending")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| {
                Value::Mapping(m.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
            }),
        ]
    })
}

fn any_event_map() -> impl Strategy<Value = Vec<(String, Value)>> {
    let name = prop_oneof![
        proptest::sample::select(FILE_ORDER.to_vec()).prop_map(String::from),
        Just("x-unknown".to_string()),
        Just("zz".to_string()),
    ];
    let action = prop_oneof![
        4 => proptest::sample::select(vec![
            "created",
            "assigned",
            "updated",
            "closed",
            "reopened",
            "edited",
            "surveyed",
            "queued",
            "notified",
            "delivery_failed",
            "fired",
            "escalated",
        ])
        .prop_map(Value::from),
        1 => any_value(),
    ];
    let at = prop_oneof![
        4 => Just(Value::from("2026-11-23T09:00:00+08:00")),
        1 => any_value(),
    ];
    (
        at,
        prop_oneof![4 => Just(Value::from("li.na")), 1 => any_value()],
        action,
        prop::collection::vec((name, any_value()), 0..8),
    )
        .prop_map(|(at, by, action, fields)| {
            let mut map = vec![
                ("at".to_string(), at),
                ("by".to_string(), by),
                ("action".to_string(), action),
            ];
            for (name, value) in fields {
                if !map.iter().any(|(n, _)| *n == name) {
                    map.push((name, value));
                }
            }
            map
        })
}

/// A field's value as an event reads it: the scalars of text fields (and
/// of lists of text, and the dimensions of `scores`) as text.
fn as_read(name: &str, value: &Value) -> Value {
    let text = |v: &Value| match v {
        Value::Bool(_) | Value::Number(_) => Value::from(crate::yaml::one_line(v)),
        Value::Null => Value::from("null"),
        other => other.clone(),
    };
    match (name, value) {
        // Never empty: `by: null` is the text `null`.
        ("by" | "action", v) => text(v),
        ("at" | "from" | "to" | "attachments" | "nps" | "attempt" | "next_attempt", _)
        | (_, Value::Null) => value.clone(),
        ("tags" | "args" | "in_reply_to" | "references", Value::Sequence(items)) => {
            Value::Sequence(items.iter().map(text).collect())
        }
        ("scores", Value::Mapping(m)) => {
            Value::Mapping(m.iter().map(|(k, v)| (text(k), v.clone())).collect())
        }
        (name, v) if FILE_ORDER.contains(&name) => text(v),
        _ => value.clone(),
    }
}

fn mapping(fields: &[(String, Value)]) -> Value {
    Value::Mapping(
        fields
            .iter()
            .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
            .collect::<Mapping>(),
    )
}

proptest! {
    // About a fifth of the maps are events, a third of those of a known action.
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever a file holds as an event, it is read and written back as
    /// it was (in the order of docs/format.md), or refused with an error;
    /// never a panic, never a change.
    #[test]
    fn any_event_map_is_written_back_as_it_was_or_refused(fields in any_event_map()) {
        let text = crate::yaml::to_string(&mapping(&fields)).unwrap();
        // Text fields read any scalar as its characters, written back as text.
        let mut ordered: Vec<(String, Value)> = fields
            .iter()
            .map(|(name, value)| (name.clone(), as_read(name, value)))
            .collect();
        let head = |n: &str| ["at", "by", "action"].iter().position(|h| *h == n);
        ordered.sort_by_key(|(n, _)| (head(n).is_none(), head(n), super::wire::rank(n), n.clone()));
        let ordered = crate::yaml::to_string(&mapping(&ordered)).unwrap();
        if let Ok(event) = crate::yaml::from_str::<Event>(&text) {
            let written = crate::yaml::to_string(&event).unwrap();
            prop_assert_eq!(&written, &ordered);
            let again: Event = crate::yaml::from_str(&written).unwrap();
            prop_assert_eq!(again, event);
        }
        // And inside a ticket file, whose reader buffers the history first.
        let item: String = ordered
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{}{l}\n", if i == 0 { "- " } else { "  " }))
            .collect();
        let ticket = format!("{TICKET_HEAD}{item}");
        if let Ok(t) = crate::yaml::from_str::<crate::model::Ticket>(&ticket) {
            prop_assert_eq!(crate::yaml::to_string(&t).unwrap(), ticket);
        }
    }
}

const TICKET_HEAD: &str = "id: CW202611230001\ntitle: t\ncustomer: C1\ntype: t\ncategory: null\ntags: []\nchannel: c\npriority: p\nstatus: open\nassignee: null\ncreated: 2026-11-23T09:00:00+08:00\ndescription: ''\nexpectation: null\nresolution: null\nhistory:\n";

#[test]
fn a_received_mail_is_written_in_file_order_and_read_back_whole() {
    let at = crate::clock::Timestamp::parse("2026-12-03T10:00:00+08:00").unwrap();
    let mail = super::Received {
        from: "zhang.wei@example.cn".into(),
        subject: Some("回复：订单未到货".into()),
        note: Some("还没收到".into()),
        message_id: "qq-1@qq.com".into(),
        in_reply_to: vec!["0a1b2c@desk".into()],
        references: Vec::new(),
        attachments: vec![super::MailAttachment {
            name: "invoice.pdf".into(),
            size: 12,
            sha256: Some("ab".into()),
            refused: None,
        }],
    };
    let event = Event::new(at, "mail", mail.clone());
    let text = crate::yaml::to_string(&event).unwrap();
    assert_eq!(
        text,
        "at: 2026-12-03T10:00:00+08:00\nby: mail\naction: received\nfrom: zhang.wei@example.cn\n\
         note: 还没收到\nmessage_id: qq-1@qq.com\nsubject: 回复：订单未到货\nin_reply_to:\n- 0a1b2c@desk\n\
         attachments:\n- name: invoice.pdf\n  size: 12\n  sha256: ab\n"
    );
    let again: Event = crate::yaml::from_str(&text).unwrap();
    assert_eq!(again.payload, Payload::Received(mail));
    // A newer desk's field in an attachment is kept as written.
    let newer = text.replace("  sha256: ab\n", "  sha256: ab\n  scanned: clean\n");
    let read: Event = crate::yaml::from_str(&newer).unwrap();
    assert_eq!(crate::yaml::to_string(&read).unwrap(), newer);
}
