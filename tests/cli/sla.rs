use crate::common::TestEnv;

fn sla_json(env: &TestEnv, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["sla", "--all", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&env.run(&args).ok().stdout).unwrap()
}

fn row<'a>(rows: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .expect("ticket listed")
}

#[test]
fn the_worked_example_of_docs_sla_md() {
    // A normal ticket opened on Wednesday 2026-09-30 at 17:00 in Shanghai, with
    // the 2026 holiday file: 3 working days run through National Day and end on
    // the make-up Saturday, 2026-10-10 at 17:00.
    let mut env = TestEnv::new();
    std::fs::create_dir_all(env.path("calendars")).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calendars/cn-2026.yaml"),
        env.path("calendars/cn-2026.yaml"),
    )
    .unwrap();
    env.at("2026-09-30T17:00:00+08:00");
    let id = env.new_ticket(&["--priority", "normal"]);
    let rows = sla_json(&env, &["--now", "2026-10-09T12:00:00+08:00"]);
    let r = row(&rows, &id);
    assert_eq!(r["resolution_due"], "2026-10-10T17:00:00+08:00");
    assert_eq!(r["resolution_state"], "running");
    // Response: 24 h around the clock.
    assert_eq!(r["response_due"], "2026-10-01T17:00:00+08:00");
    assert_eq!(r["response_state"], "breached");
    // 1 h on Sep 30, 7.5 h on Oct 8 and 3 h on Oct 9 by noon: 11.5 h of 22.5 h counted.
    assert_eq!(r["resolution_remaining"], 11.0);
    // Past the due time it is breached, however the clock is read.
    let rows = sla_json(&env, &["--now", "2026-10-10T17:01:00+08:00"]);
    assert_eq!(row(&rows, &id)["resolution_state"], "breached");
}

#[test]
fn time_waiting_on_the_customer_does_not_count() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]); // urgent: respond 1 h, solve 4 h, around the clock
    env.at("2026-11-23T09:30:00+08:00")
        .run(&["update", &id, "--note", "need logs", "--status", "pending"])
        .ok();
    let rows = sla_json(&env, &["--now", "2026-11-23T20:00:00+08:00"]);
    let r = row(&rows, &id);
    assert_eq!(r["resolution_state"], "paused");
    assert_eq!(r["resolution_due"], serde_json::Value::Null);
    assert_eq!(r["resolution_remaining"], 3.5);
    assert_eq!(r["response_state"], "met");
    env.at("2026-11-23T11:30:00+08:00")
        .run(&[
            "update",
            &id,
            "--note",
            "logs received",
            "--status",
            "in_progress",
        ])
        .ok();
    env.at("2026-11-23T14:00:00+08:00")
        .run(&["close", &id, "--resolution", "fixed"])
        .ok();
    // 5 h on the wall clock, 2 h of it paused: 3 h counted, within 4 h.
    let r = sla_json(&env, &[]);
    assert_eq!(row(&r, &id)["resolution_state"], "met");
    // A met target has no time left; `show` tells the time it took.
    assert_eq!(
        row(&r, &id)["resolution_remaining"],
        serde_json::Value::Null
    );
    let shown = env.run(&["show", &id]).ok().stdout;
    assert!(
        shown.contains("resolution met       target 4h00m, due -, elapsed 3h00m\n"),
        "{shown}"
    );
}

#[test]
fn a_call_logged_after_the_fact_counts_on_the_clocks() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]); // urgent: respond 1 h, solve 4 h, around the clock
    env.at("2026-11-23T10:30:00+08:00")
        .run(&["update", &id, "--note", "colleague called"])
        .ok();
    let r = sla_json(&env, &["--now", "2026-11-23T11:00:00+08:00"]);
    assert_eq!(row(&r, &id)["response_state"], "breached");
    // The first call, at 09:30, is logged later; it left the ticket pending.
    env.at("2026-11-23T11:00:00+08:00")
        .run(&[
            "update",
            &id,
            "--note",
            "asked for logs",
            "--status",
            "pending",
            "--at",
            "2026-11-23 09:30",
        ])
        .ok();
    let r = sla_json(&env, &["--now", "2026-11-23T20:00:00+08:00"]);
    let r = row(&r, &id);
    assert_eq!(r["response_state"], "met");
    assert_eq!(r["resolution_state"], "paused");
    assert_eq!(r["resolution_remaining"], 3.5);
}

#[test]
fn a_reopen_resumes_the_resolution_clock_where_it_stopped() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]);
    env.at("2026-11-23T09:10:00+08:00")
        .run(&["update", &id, "--note", "on it"])
        .ok();
    env.at("2026-11-23T10:00:00+08:00")
        .run(&["close", &id, "--resolution", "fixed"])
        .ok();
    env.at("2026-11-24T09:00:00+08:00")
        .run(&["reopen", &id, "--reason", "broken again"])
        .ok();
    let rows = sla_json(&env, &["--now", "2026-11-24T11:00:00+08:00"]);
    let r = row(&rows, &id);
    // 1 h before the close + 2 h since the reopen; the night closed does not count.
    assert_eq!(r["resolution_remaining"], 1.0);
    assert_eq!(r["resolution_due"], "2026-11-24T12:00:00+08:00");
    assert_eq!(r["resolution_state"], "running");
    // Within 20% of the target left: at risk.
    let rows = sla_json(&env, &["--now", "2026-11-24T11:20:00+08:00"]);
    assert_eq!(row(&rows, &id)["resolution_state"], "at_risk");
    env.at("2026-11-24T12:30:00+08:00")
        .run(&["close", &id, "--resolution", "really fixed"])
        .ok();
    let rows = sla_json(&env, &[]);
    assert_eq!(row(&rows, &id)["resolution_state"], "breached");
    assert_eq!(row(&rows, &id)["resolution_remaining"], -0.5);
}

#[test]
fn breached_with_exit_code_is_for_cron() {
    let mut env = TestEnv::new();
    let late = env.new_ticket(&[]);
    env.at("2026-11-23T09:20:00+08:00");
    let fine = env.new_ticket(&["--priority", "normal"]);
    env.at("2026-11-23T10:30:00+08:00");
    let out = env
        .run(&["sla", "--breached", "--exit-code", "--format", "ids"])
        .fails(3);
    assert_eq!(out.stdout, format!("{late}\n"));
    // Without --exit-code the same listing succeeds.
    env.run(&["sla", "--breached", "--format", "ids"]).ok();
    env.run(&["update", &late, "--note", "called"]).ok();
    let out = env.run(&["sla", "--format", "csv"]).ok();
    let header = out.stdout.lines().next().unwrap();
    assert!(header.starts_with(
        "id,priority,status,assignee,response_due,response_state,response_remaining,update_due,update_state,update_remaining,resolution_due,resolution_state,resolution_remaining"
    ), "{header}");
    // Most urgent first: the breached urgent ticket before the running normal one.
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, [late.as_str(), fine.as_str()]);
}

#[test]
fn a_malformed_calendar_or_target_names_its_key() {
    let env = TestEnv::new();
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let bad = config.replacen("tue: 09:00-12:00, 13:30-18:00", "tue: 18:00-09:00", 1);
    assert_ne!(bad, config);
    std::fs::write(env.path("desk.yaml"), &bad).unwrap();
    let out = env.run(&["sla"]).fails(1);
    assert!(
        out.stderr.contains("calendar.hours.tue") && out.stderr.contains("ends before it starts"),
        "{}",
        out.stderr
    );
    let bad = config.replacen("within: 1h", "within: 0m", 1);
    std::fs::write(env.path("desk.yaml"), &bad).unwrap();
    let out = env.run(&["sla"]).fails(1);
    assert!(
        out.stderr.contains("sla.targets[urgent].response.within")
            && out.stderr.contains("longer than zero"),
        "{}",
        out.stderr
    );
    std::fs::write(env.path("desk.yaml"), &config).unwrap();
    std::fs::create_dir_all(env.path("calendars")).unwrap();
    std::fs::write(env.path("calendars/bad.yaml"), "holidays:\n- 2026-02-30\n").unwrap();
    let out = env.run(&["sla"]).fails(1);
    assert!(
        out.stderr.contains("calendars/bad.yaml") && out.stderr.contains("2026-02-30"),
        "{}",
        out.stderr
    );
}

#[test]
fn show_displays_each_clock() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&[]);
    env.at("2026-11-23T09:45:00+08:00");
    let out = env.run(&["show", &id]).ok();
    assert!(
        out.stdout.contains(
            "response   running   target 1h00m, due 2026-11-23 10:00, elapsed 0h45m, 0h15m left"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("resolution running   target 4h00m, due 2026-11-23 13:00"),
        "{}",
        out.stdout
    );
}
