use crate::common::TestEnv;

#[test]
fn new_prints_the_id_alone_and_writes_the_file_where_it_belongs() {
    let env = TestEnv::new();
    let out = env
        .run(&[
            "new",
            "--customer",
            "C000001",
            "--type",
            "投诉",
            "--priority",
            "紧急",
            "--channel",
            "电话",
            "--title",
            "设备无法开机",
            "--expectation",
            "24小时内解决",
            "--tag",
            "hardware",
            "--category",
            "product",
        ])
        .ok();
    assert_eq!(out.stdout, "CW202611230001\n");
    let file = env.read_ticket("CW202611230001");
    assert!(env.path("tickets/2026/11/CW202611230001.yaml").is_file());
    // Canonical keys are stored, CJK text round-trips as written.
    for line in [
        "type: complaint",
        "priority: urgent",
        "channel: phone",
        "status: open",
        "title: 设备无法开机",
        "expectation: 24小时内解决",
    ] {
        assert!(file.contains(line), "missing {line:?} in\n{file}");
    }
    assert!(file.contains("created: 2026-11-23T09:00:00+08:00"));
    assert_eq!(env.new_ticket(&[]), "CW202611230002");
}

#[test]
fn the_whole_service_loop_from_the_shell() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&["--description", "The product does not power on."]);
    env.at("2026-11-23T09:10:00+08:00")
        .run(&["assign", &id, "wang.qiang", "--note", "on call"])
        .ok();
    env.at("2026-11-23T10:00:00+08:00")
        .run(&[
            "update",
            &id,
            "--note",
            "asked for the serial",
            "--status",
            "pending",
        ])
        .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "pending");
    env.at("2026-11-23T11:00:00+08:00")
        .run(&[
            "update",
            &id,
            "--note",
            "serial received",
            "--status",
            "处理中",
        ])
        .ok();
    env.at("2026-11-23T12:00:00+08:00")
        .run(&[
            "close",
            &id,
            "--resolution",
            "replaced the part, tested OK",
            "--compensation",
            "one month free",
            "--followup",
            "call in a week",
        ])
        .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "closed");
    assert_eq!(y["assignee"], "wang.qiang");
    assert_eq!(y["resolution"], "replaced the part, tested OK");
    env.at("2026-11-24T09:00:00+08:00")
        .run(&["reopen", &id, "--reason", "fails again"])
        .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "in_progress");
    assert_eq!(y["resolution"], desk::yaml::Value::Null);
    let actions: Vec<&str> = y["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "assigned", "updated", "updated", "closed", "reopened"]
    );
    let closed = &y["history"][4];
    assert_eq!(closed["compensation"], "one month free");
    assert_eq!(closed["followup"], "call in a week");
    assert_eq!(closed["by"], "tester");
    assert_eq!(closed["at"], "2026-11-23T12:00:00+08:00");
}

#[test]
fn a_one_field_change_is_a_small_append_only_diff() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let before = env.read_ticket(&id);
    env.at("2026-11-23T09:30:00+08:00")
        .run(&["edit", &id, "--set", "priority=normal"])
        .ok();
    let after = env.read_ticket(&id);
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    // Everything before is kept in place; one line changed at the top, the event appended at the end.
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    assert_eq!(changed.len(), 1, "{after}");
    assert_eq!(new[changed[0]], "priority: normal");
    assert_eq!(
        &new[old.len()..],
        [
            "- at: 2026-11-23T09:30:00+08:00",
            "  by: tester",
            "  action: edited",
            "  field: priority",
            "  from: urgent",
            "  to: normal"
        ]
    );
}

#[test]
fn at_records_after_the_fact_in_time_order_unless_it_contradicts_the_history() {
    let mut env = TestEnv::new();
    env.at("2026-11-23T15:00:00+08:00");
    let id = env.new_ticket(&["--at", "2026-11-23 09:30", "--assign", "wang.qiang"]);
    // A colleague logs a later call first.
    env.run(&[
        "update",
        &id,
        "--note",
        "called back",
        "--at",
        "2026-11-23 10:30",
    ])
    .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["created"], "2026-11-23T09:30:00+08:00");
    assert_eq!(y["history"][1]["at"], "2026-11-23T10:30:00+08:00");
    // An earlier call logged after the fact goes before it, status and all.
    env.run(&[
        "update",
        &id,
        "--note",
        "asked for the serial number",
        "--status",
        "pending",
        "--at",
        "2026-11-23 09:45",
    ])
    .ok();
    // One more at the same minute as the colleague's: after it.
    env.run(&[
        "update",
        &id,
        "--note",
        "same minute",
        "--at",
        "2026-11-23 10:30",
    ])
    .ok();
    let y = env.ticket_yaml(&id);
    let notes: Vec<&str> = (1..4)
        .map(|i| y["history"][i]["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["asked for the serial number", "called back", "same minute"]
    );
    assert_eq!(y["history"][1]["at"], "2026-11-23T09:45:00+08:00");
    assert_eq!(y["status"], "pending");
    env.run(&["check"]).ok();
    let before = env.snapshot();
    let refused = |args: &[&str], why: &str| {
        let out = env.run(args).fails(1);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
    };
    refused(
        &[
            "close",
            &id,
            "--resolution",
            "done",
            "--at",
            "2026-11-23 10:00",
        ],
        "a close cannot be backdated before the ticket's last event 2026-11-23 10:30",
    );
    refused(
        &["assign", &id, "li.na", "--at", "2026-11-23 10:00"],
        "an assignment cannot be backdated before the ticket's last event 2026-11-23 10:30",
    );
    refused(
        &[
            "update",
            &id,
            "--note",
            "too early",
            "--at",
            "2026-11-23 09:00",
        ],
        "before the ticket was created (2026-11-23 09:30)",
    );
    refused(
        &[
            "update",
            &id,
            "--note",
            "future",
            "--at",
            "2026-11-24 09:45",
        ],
        "future",
    );
    assert_eq!(env.snapshot(), before);
    // A status change cannot be backdated into a closure; a note can.
    env.run(&[
        "close",
        &id,
        "--resolution",
        "done",
        "--at",
        "2026-11-23 11:00",
    ])
    .ok();
    env.run(&["update", &id, "--note", "回访", "--at", "2026-11-23 13:00"])
        .ok();
    env.run(&[
        "update",
        &id,
        "--note",
        "回访 1",
        "--at",
        "2026-11-23 12:30",
    ])
    .ok();
    assert_eq!(env.ticket_yaml(&id)["history"][5]["note"], "回访 1");
    let before = env.snapshot();
    refused(
        &[
            "update",
            &id,
            "--note",
            "x",
            "--status",
            "in_progress",
            "--at",
            "2026-11-23 12:00",
        ],
        "it was closed then (since 2026-11-23 11:00)",
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_follow_up_note_on_a_closed_ticket_keeps_it_closed() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]);
    env.at("2026-11-23T10:00:00+08:00")
        .run(&["close", &id, "--resolution", "replaced the part"])
        .ok();
    env.at("2026-11-23T15:00:00+08:00");
    let out = env
        .run(&["update", &id, "--note", "回访: works fine since the repair"])
        .ok();
    assert!(out.stderr.contains("stays closed"), "{}", out.stderr);
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "closed");
    assert_eq!(y["resolution"], "replaced the part");
    assert_eq!(y["history"][2]["action"], "updated");
    assert_eq!(y["history"][2]["note"], "回访: works fine since the repair");
    env.run(&["check"]).ok();
    // The survey is still due for the closure.
    let due = env.run(&["survey", "--due", "--format", "ids"]).ok();
    assert_eq!(due.stdout, format!("{id}\n"));
}

#[test]
fn invalid_transitions_are_refused_with_a_reason() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let out = env.run(&["reopen", &id, "--reason", "x"]).fails(1);
    assert!(
        out.stderr.contains("it is open, not closed"),
        "{}",
        out.stderr
    );
    env.run(&["close", &id, "--resolution", "done"]).ok();
    let before = env.snapshot();
    let out = env.run(&["close", &id, "--resolution", "again"]).fails(1);
    assert!(out.stderr.contains("already closed"), "{}", out.stderr);
    let out = env
        .run(&["update", &id, "--note", "more", "--status", "in_progress"])
        .fails(1);
    assert!(out.stderr.contains("reopen it first"), "{}", out.stderr);
    let out = env.run(&["assign", &id, "li.na"]).fails(1);
    assert!(out.stderr.contains("closed"), "{}", out.stderr);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn assigning_checks_the_configured_agents() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let before = env.snapshot();
    let out = env.run(&["assign", &id, "nobody"]).fails(1);
    assert!(
        out.stderr.contains("'nobody'") && out.stderr.contains("li.na"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
    // By the agent's name as well as by ID.
    env.run(&["assign", &id, "王强"]).ok();
    assert_eq!(env.ticket_yaml(&id)["assignee"], "wang.qiang");
    let out = env.run(&["assign", &id, "wang.qiang"]).fails(1);
    assert!(out.stderr.contains("already assigned"), "{}", out.stderr);
}

#[test]
fn unknown_fields_and_actions_survive_a_rewrite() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let path = env.ticket_path(&id);
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("history:\n", "sentiment: negative\nhistory:\n")
        + "- at: 2026-11-23T09:00:00+08:00\n  by: bot\n  action: escalated\n  level: 2\n";
    std::fs::write(&path, text).unwrap();
    env.run(&["update", &id, "--note", "looked at it"]).ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["sentiment"], "negative");
    assert_eq!(y["history"][1]["action"], "escalated");
    assert_eq!(y["history"][1]["level"], 2);
    assert_eq!(y["history"][2]["action"], "updated");
}

#[test]
fn a_hand_edited_field_is_recorded_as_an_edited_event_not_lost() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let path = env.ticket_path(&id);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "priority: urgent",
        "priority: important",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = env.run(&["update", &id, "--note", "checked"]).ok();
    assert!(
        out.stderr.contains("recorded 1 hand edit"),
        "{}",
        out.stderr
    );
    let y = env.ticket_yaml(&id);
    assert_eq!(y["priority"], "important");
    assert_eq!(y["history"][1]["action"], "edited");
    assert_eq!(y["history"][1]["field"], "priority");
    assert_eq!(y["history"][1]["from"], "urgent");
    assert_eq!(y["history"][1]["to"], "important");
}

#[test]
fn serial_suffix_and_any_case_find_todays_ticket() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    assert!(env.run(&["show", "0001"]).ok().stdout.contains(&id));
    assert!(env.run(&["show", "1"]).ok().stdout.contains(&id));
    assert!(env
        .run(&["show", &id.to_lowercase()])
        .ok()
        .stdout
        .contains(&id));
}

#[test]
fn description_can_come_from_stdin() {
    let env = TestEnv::new();
    let out = env
        .run_stdin(
            &[
                "new",
                "--customer",
                "C000001",
                "--type",
                "consultation",
                "--priority",
                "normal",
                "--channel",
                "email",
                "--title",
                "How to reset",
                "--description",
                "-",
            ],
            "第一行\nsecond line\n",
        )
        .ok();
    let y = env.ticket_yaml(out.stdout.trim());
    assert_eq!(y["description"], "第一行\nsecond line");
}

#[test]
fn the_fifth_digit_appears_after_9999() {
    let env = TestEnv::new();
    let dir = env.path("tickets/2026/11");
    std::fs::create_dir_all(&dir).unwrap();
    let first = env.new_ticket(&[]);
    let text = env.read_ticket(&first).replace(&first, "CW202611239999");
    std::fs::write(dir.join("CW202611239999.yaml"), text).unwrap();
    assert_eq!(env.new_ticket(&[]), "CW2026112310000");
    assert!(env
        .run(&["show", "CW2026112310000"])
        .ok()
        .stdout
        .contains("CW2026112310000"));
}

#[test]
fn tags_are_recorded_once_from_new_and_edit() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--tag", "退款", "--tag", "退款,物流"]);
    let tags = |env: &TestEnv| {
        let out = env.run(&["show", &id, "--format", "json"]).ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        v["tags"].clone()
    };
    assert_eq!(tags(&env), serde_json::json!(["退款", "物流"]));
    env.run(&["edit", &id, "--set", "tags=b, b，c"]).ok();
    assert_eq!(tags(&env), serde_json::json!(["b", "c"]));
}

/// A local time the clocks pass twice (New York's 01:30 on 2026-11-01) or
/// skip (02:30 on 2026-03-08) is refused, naming the value and the offsets
/// that say which was meant, and nothing is written; with an offset it is
/// taken as given.
#[test]
fn an_ambiguous_or_missing_local_time_is_refused_with_the_offsets_to_give() {
    let mut env = TestEnv::empty();
    env.at("2026-11-01T12:00:00-05:00");
    env.run(&[
        "init",
        ".",
        "--rules",
        "none",
        "--timezone",
        "America/New_York",
    ])
    .ok();
    env.run(&crate::common::customer_add(
        "individual",
        "张三",
        &["--phone", "13900000001", "--at", "2026-01-05 10:00"],
    ))
    .ok();
    let id = env.new_ticket(&["--at", "2026-03-01 09:00"]);
    let before = std::fs::read_to_string(env.ticket_path(&id)).unwrap();
    let out = env
        .run(&[
            "update",
            &id,
            "--note",
            "called",
            "--at",
            "2026-11-01 01:30",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("invalid time '2026-11-01 01:30'")
            && out.stderr.contains("happens twice in America/New_York")
            && out
                .stderr
                .contains("2026-11-01T01:30:00-04:00 for the first")
            && out
                .stderr
                .contains("2026-11-01T01:30:00-05:00 for the second"),
        "{}",
        out.stderr
    );
    let out = env
        .run(&[
            "update",
            &id,
            "--note",
            "called",
            "--at",
            "2026-03-08 02:30",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("invalid time '2026-03-08 02:30'")
            && out.stderr.contains("does not exist in America/New_York"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.ticket_path(&id)).unwrap(),
        before
    );
    env.run(&[
        "update",
        &id,
        "--note",
        "called",
        "--at",
        "2026-11-01T01:30:00-05:00",
    ])
    .ok();
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    let at = history.last().unwrap()["at"].as_str().unwrap().to_string();
    assert!(at.starts_with("2026-11-01T01:30:00-05:00"), "{at}");
}
