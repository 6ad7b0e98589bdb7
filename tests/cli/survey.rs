use crate::common::{Output, TestEnv};

fn closed_ticket(env: &mut TestEnv) -> String {
    let id = env.new_ticket(&["--assign", "wang.qiang"]);
    env.at("2026-11-23T10:00:00+08:00")
        .run(&["close", &id, "--resolution", "fixed"])
        .ok();
    env.at("2026-11-23T12:00:00+08:00");
    id
}

#[test]
fn a_satisfied_survey_keeps_the_ticket_closed() {
    let mut env = TestEnv::new();
    let id = closed_ticket(&mut env);
    env.run(&[
        "survey",
        &id,
        "--score",
        "efficiency=5",
        "--score",
        "服务态度=4",
        "--score",
        "方案=5",
        "--nps",
        "9",
        "--comment",
        "很满意",
    ])
    .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "closed");
    let s = &y["history"][2];
    assert_eq!(s["action"], "surveyed");
    assert_eq!(s["scores"]["attitude"], 4);
    assert_eq!(s["scores"]["solution"], 5);
    assert_eq!(s["nps"], 9);
    assert_eq!(s["comment"], "很满意");
    // One survey per closure.
    let before = env.snapshot();
    let out = env
        .run(&[
            "survey",
            &id,
            "--score",
            "efficiency=5",
            "--score",
            "attitude=5",
            "--score",
            "solution=5",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("already surveyed for this closure"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn an_unsatisfied_survey_reopens_for_the_same_assignee_and_a_new_closure_can_be_surveyed() {
    let mut env = TestEnv::new();
    let id = closed_ticket(&mut env);
    env.run(&[
        "survey",
        &id,
        "--score",
        "efficiency=4",
        "--score",
        "attitude=2",
        "--score",
        "solution=4",
    ])
    .ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["status"], "in_progress");
    assert_eq!(y["assignee"], "wang.qiang");
    let reopen = &y["history"][3];
    assert_eq!(reopen["action"], "reopened");
    assert!(reopen["reason"].as_str().unwrap().contains("attitude=2"));
    env.at("2026-11-24T10:00:00+08:00")
        .run(&["close", &id, "--resolution", "replaced"])
        .ok();
    env.at("2026-11-24T11:00:00+08:00");
    env.run(&[
        "survey",
        &id,
        "--score",
        "efficiency=5",
        "--score",
        "attitude=5",
        "--score",
        "solution=5",
    ])
    .ok();
    assert_eq!(env.ticket_yaml(&id)["status"], "closed");
    // --unsatisfied reopens whatever the scores.
    let id2 = env.new_ticket(&[]);
    env.run(&["close", &id2, "--resolution", "x"]).ok();
    env.run(&[
        "survey",
        &id2,
        "--score",
        "efficiency=5",
        "--score",
        "attitude=5",
        "--score",
        "solution=5",
        "--unsatisfied",
    ])
    .ok();
    assert_eq!(env.ticket_yaml(&id2)["status"], "open");
}

#[test]
fn bad_surveys_are_refused_and_change_nothing() {
    let mut env = TestEnv::new();
    let id = closed_ticket(&mut env);
    let open = env.new_ticket(&[]);
    let before = env.snapshot();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "survey",
                &id,
                "--score",
                "efficiency=6",
                "--score",
                "attitude=5",
                "--score",
                "solution=5",
            ],
            "from 1 to 5",
        ),
        (
            &[
                "survey",
                &id,
                "--score",
                "efficiency=5",
                "--score",
                "attitude=5",
            ],
            "missing: solution",
        ),
        (
            &[
                "survey",
                &id,
                "--score",
                "speed=5",
                "--score",
                "attitude=5",
                "--score",
                "solution=5",
            ],
            "'speed'",
        ),
        (
            &[
                "survey",
                &id,
                "--score",
                "efficiency=5",
                "--score",
                "attitude=5",
                "--score",
                "solution=5",
                "--nps",
                "11",
            ],
            "0 to 10",
        ),
        (
            &[
                "survey",
                &open,
                "--score",
                "efficiency=5",
                "--score",
                "attitude=5",
                "--score",
                "solution=5",
            ],
            "surveys are taken after the close",
        ),
        (&["survey", &id, "--score", "efficiency"], "DIMENSION=SCORE"),
    ];
    for (args, expect) in cases {
        let out = env.run(args).fails(1);
        assert!(out.stderr.contains(expect), "{args:?}: {}", out.stderr);
    }
    assert_eq!(env.snapshot(), before);
}

#[test]
fn due_lists_closures_waiting_for_a_survey_oldest_first() {
    let mut env = TestEnv::new();
    let a = env.new_ticket(&[]);
    let b = env.new_ticket(&[]);
    let c = env.new_ticket(&[]);
    env.at("2026-11-23T10:00:00+08:00")
        .run(&["close", &b, "--resolution", "x"])
        .ok();
    env.at("2026-11-23T11:00:00+08:00")
        .run(&["close", &a, "--resolution", "x"])
        .ok();
    env.run(&["close", &c, "--resolution", "x"]).ok();
    env.run(&[
        "survey",
        &c,
        "--score",
        "efficiency=5",
        "--score",
        "attitude=5",
        "--score",
        "solution=5",
    ])
    .ok();
    let out = env
        .run(&[
            "survey",
            "--due",
            "--now",
            "2026-11-24T08:00:00+08:00",
            "--format",
            "csv",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "id,closed,hours_left,customer,name,phone,assignee,title"
    );
    assert!(
        lines[1].starts_with(&format!("{b},2026-11-23T10:00:00+08:00,2.00,")),
        "{}",
        out.stdout
    );
    assert!(
        lines[2].starts_with(&format!("{a},2026-11-23T11:00:00+08:00,3.00,")),
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), 3);
    // Past the window they drop off, unless --all.
    let out = env
        .run(&[
            "survey",
            "--due",
            "--now",
            "2026-11-24T10:30:00+08:00",
            "--format",
            "ids",
        ])
        .ok();
    assert_eq!(out.stdout, format!("{a}\n"));
    let out = env
        .run(&[
            "survey",
            "--due",
            "--all",
            "--now",
            "2026-11-24T10:30:00+08:00",
            "--format",
            "ids",
        ])
        .ok();
    assert_eq!(out.stdout, format!("{b}\n{a}\n"));
}

#[test]
fn a_survey_taken_at_the_follow_up_call_can_be_logged_after_the_note() {
    let mut env = TestEnv::new();
    let id = closed_ticket(&mut env); // closed at 10:00, now 12:00
    env.run(&["update", &id, "--note", "回访: called, customer content"])
        .ok();
    env.at("2026-11-23T12:30:00+08:00");
    fn survey(env: &TestEnv, id: &str, at: &str, extra: &[&str]) -> Output {
        let mut args = vec!["survey", id, "--at", at];
        args.extend_from_slice(&[
            "--score",
            "efficiency=5",
            "--score",
            "attitude=5",
            "--score",
            "solution=4",
        ]);
        args.extend_from_slice(extra);
        env.run(&args)
    }
    survey(&env, &id, "2026-11-23 11:55", &[]).ok();
    let y = env.ticket_yaml(&id);
    assert_eq!(y["history"][2]["action"], "surveyed");
    assert_eq!(y["history"][3]["action"], "updated");
    assert_eq!(y["status"], "closed");
    let due = env.run(&["survey", "--due", "--format", "ids"]).ok();
    assert_eq!(due.stdout, "");
    // Still one survey per closure, whatever the time given.
    let before = env.snapshot();
    let out = survey(&env, &id, "2026-11-23 11:00", &[]).fails(1);
    assert!(
        out.stderr.contains("already surveyed for this closure"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
    // An unsatisfied survey reopens the ticket, which cannot go before later events.
    env.run(&["reopen", &id, "--reason", "again"]).ok();
    env.at("2026-11-23T13:00:00+08:00")
        .run(&["close", &id, "--resolution", "fixed again"])
        .ok();
    env.at("2026-11-23T14:00:00+08:00")
        .run(&["update", &id, "--note", "回访"])
        .ok();
    let before = env.snapshot();
    let out = survey(&env, &id, "2026-11-23 13:30", &["--unsatisfied"]).fails(1);
    assert!(
        out.stderr
            .contains("an unsatisfied survey reopens the ticket, and a reopen cannot go before the ticket's last event 2026-11-23 14:00; record the survey at that time or later (--at)"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
    // A satisfied one can.
    survey(&env, &id, "2026-11-23 13:30", &[]).ok();
    assert_eq!(env.ticket_yaml(&id)["status"], "closed");
}

#[test]
fn due_shows_whom_to_call() {
    let mut env = TestEnv::new();
    let a = env.new_ticket(&[]); // C000001 张三, 13900000001
    let b = env.new_ticket(&["--customer", "C000002"]); // a company without a phone
    env.at("2026-11-23T10:00:00+08:00");
    for id in [&a, &b] {
        env.run(&["close", id, "--resolution", "x"]).ok();
    }
    let due = |extra: &[&str]| {
        let mut args = vec!["survey", "--due", "--format", "csv"];
        args.extend_from_slice(extra);
        env.run(&args).ok().stdout
    };
    let masked = due(&[]);
    let lines: Vec<&str> = masked.lines().collect();
    assert!(
        lines[1].starts_with(&format!(
            "{a},2026-11-23T10:00:00+08:00,24.00,C000001,张*,139****0001,"
        )),
        "{masked}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "{b},2026-11-23T10:00:00+08:00,24.00,C000002,星河科技有限公司,,"
        )),
        "{masked}"
    );
    // Phones are stored in clear: revealing them needs no key, even in a
    // store that encrypts ID-card numbers.
    crate::customers::with_key(&env);
    let out = env
        .run(&["survey", "--due", "--format", "csv", "--reveal"])
        .ok();
    assert_eq!(out.stderr, "");
    let revealed = out.stdout;
    assert!(
        revealed.contains(&format!(
            "{a},2026-11-23T10:00:00+08:00,24.00,C000001,张三,13900000001,"
        )),
        "{revealed}"
    );
}
