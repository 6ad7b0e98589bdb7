//! The report on a constructed store whose answers were worked out by hand
//! (see the comments); every column of types, handling and satisfaction.

use crate::common::TestEnv;

const ALL5: [&str; 6] = [
    "--score",
    "efficiency=5",
    "--score",
    "attitude=5",
    "--score",
    "solution=5",
];

/// Runs `args` at `now`.
fn at(env: &mut TestEnv, now: &str, args: &[&str]) -> String {
    env.at(now).run(args).ok().stdout.trim().to_string()
}

fn new(env: &mut TestEnv, now: &str, kind: &str, priority: &str) -> String {
    env.at(now);
    env.new_ticket(&["--type", kind, "--priority", priority])
}

fn store() -> TestEnv {
    let mut env = TestEnv::new();
    // The figures below count working hours without holidays (October 1-7
    // would be National Day in the calendar `desk init` installs).
    std::fs::remove_dir_all(env.path("calendars")).unwrap();
    // T6: important requirement, September; surveyed without NPS (3,3,3).
    let t6 = new(
        &mut env,
        "2026-09-20T10:00:00+08:00",
        "requirement",
        "important",
    );
    at(
        &mut env,
        "2026-09-21T10:00:00+08:00",
        &["close", &t6, "--resolution", "quoted"],
    );
    at(
        &mut env,
        "2026-09-21T12:00:00+08:00",
        &[
            "survey",
            &t6,
            "--score",
            "efficiency=3",
            "--score",
            "attitude=3",
            "--score",
            "solution=3",
        ],
    );
    // T1: urgent complaint, 3 h; survey 5,5,4 NPS 10.
    let t1 = new(&mut env, "2026-10-05T09:00:00+08:00", "complaint", "urgent");
    at(
        &mut env,
        "2026-10-05T09:30:00+08:00",
        &["update", &t1, "--note", "called"],
    );
    at(
        &mut env,
        "2026-10-05T12:00:00+08:00",
        &["close", &t1, "--resolution", "fixed"],
    );
    at(
        &mut env,
        "2026-10-05T15:00:00+08:00",
        &[
            "survey",
            &t1,
            "--score",
            "efficiency=5",
            "--score",
            "attitude=5",
            "--score",
            "solution=4",
            "--nps",
            "10",
        ],
    );
    // T2: urgent complaint, 5 h (resolution target 4 h breached); survey 4,4,4 NPS 9.
    let t2 = new(&mut env, "2026-10-06T09:00:00+08:00", "complaint", "urgent");
    at(
        &mut env,
        "2026-10-06T10:00:00+08:00",
        &["update", &t2, "--note", "called"],
    );
    at(
        &mut env,
        "2026-10-06T14:00:00+08:00",
        &["close", &t2, "--resolution", "fixed"],
    );
    at(
        &mut env,
        "2026-10-06T16:00:00+08:00",
        &[
            "survey",
            &t2,
            "--score",
            "efficiency=4",
            "--score",
            "attitude=4",
            "--score",
            "solution=4",
            "--nps",
            "9",
        ],
    );
    // T3: urgent consultation, 1 h, no survey.
    let t3 = new(
        &mut env,
        "2026-10-07T09:00:00+08:00",
        "consultation",
        "urgent",
    );
    at(
        &mut env,
        "2026-10-07T09:15:00+08:00",
        &["update", &t3, "--note", "answered"],
    );
    at(
        &mut env,
        "2026-10-07T10:00:00+08:00",
        &["close", &t3, "--resolution", "FAQ"],
    );
    // T4: normal suggestion, closed, unsatisfied survey (3,2,3 NPS 3) reopens it,
    // closed again 10-12 10:00: 96 h from creation; second survey 5,5,5 NPS 8.
    let t4 = new(
        &mut env,
        "2026-10-08T10:00:00+08:00",
        "suggestion",
        "normal",
    );
    at(
        &mut env,
        "2026-10-08T11:00:00+08:00",
        &["update", &t4, "--note", "noted"],
    );
    at(
        &mut env,
        "2026-10-09T10:00:00+08:00",
        &["close", &t4, "--resolution", "planned"],
    );
    at(
        &mut env,
        "2026-10-09T12:00:00+08:00",
        &[
            "survey",
            &t4,
            "--score",
            "efficiency=3",
            "--score",
            "attitude=2",
            "--score",
            "solution=3",
            "--nps",
            "3",
        ],
    );
    at(
        &mut env,
        "2026-10-12T10:00:00+08:00",
        &["close", &t4, "--resolution", "shipped"],
    );
    let mut survey = vec!["survey", t4.as_str()];
    survey.extend_from_slice(&ALL5);
    survey.extend_from_slice(&["--nps", "8"]);
    at(&mut env, "2026-10-12T12:00:00+08:00", &survey);
    // T5: normal consultation, 2 h.
    let t5 = new(
        &mut env,
        "2026-10-13T09:00:00+08:00",
        "consultation",
        "normal",
    );
    at(
        &mut env,
        "2026-10-13T10:00:00+08:00",
        &["update", &t5, "--note", "answered"],
    );
    at(
        &mut env,
        "2026-10-13T11:00:00+08:00",
        &["close", &t5, "--resolution", "done"],
    );
    // T7: important requirement, still open at the end of October.
    new(
        &mut env,
        "2026-10-30T10:00:00+08:00",
        "requirement",
        "important",
    );
    // T8: November, outside the period.
    new(&mut env, "2026-11-02T10:00:00+08:00", "complaint", "normal");
    env.at("2026-11-23T09:00:00+08:00");
    env
}

fn section(env: &TestEnv, name: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec![
        "report",
        "--month",
        "2026-10",
        "--section",
        name,
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    let out = env.run(&args).ok();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out.stdout.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn every_column_of_types_handling_and_satisfaction() {
    let env = store();

    // Created in October: complaint T1 T2, consultation T3 T5, suggestion T4, requirement T7.
    assert_eq!(
        section(&env, "types", &[]),
        [
            vec!["type", "count", "share_pct"],
            vec!["complaint", "2", "33.3"],
            vec!["consultation", "2", "33.3"],
            vec!["requirement", "1", "16.7"],
            vec!["suggestion", "1", "16.7"],
        ]
    );

    let handling = section(&env, "handling", &[]);
    assert_eq!(
        handling[0],
        [
            "priority",
            "closed",
            "avg_hours",
            "median_hours",
            "p90_hours",
            "avg_first_response_hours",
            "avg_working_hours",
            "median_working_hours",
            "p90_working_hours",
            "avg_first_response_working_hours",
            "sla_met_pct",
            "reopened"
        ]
    );
    // Urgent 3, 5, 1 h: mean 3, median 3 (odd), p90 rank ⌈2.7⌉ = 3 → 5. First
    // responses 0.5, 1, 0.25 h, all in working hours. Working hours (09:00–12:00,
    // 13:30–18:00; no holiday file): 3, 3.5, 1. T2 breached its 4 h resolution
    // target: 2 of 3 met.
    assert_eq!(
        handling[1],
        [
            "urgent", "3", "3.00", "3.00", "5.00", "0.58", "2.50", "3.00", "3.50", "0.58", "66.7",
            "0"
        ]
    );
    // No important ticket closed in October: counts zero, averages empty.
    assert_eq!(
        handling[2],
        ["important", "0", "", "", "", "", "", "", "", "", "", "0"]
    );
    // Normal 96 h and 2 h: the median of an even count is the mean of the middle
    // two (49), p90 rank ⌈1.8⌉ = 2 → 96. First responses 1 h each. Working hours,
    // creation to final close: T4 10-08 10:00 → 10-12 10:00 is 6.5 + 7.5 + 0 + 0
    // + 1 = 15 h, T5 2 h. T4 was reopened by its survey and breached its 24 h
    // update target (70 h from the reopen to the close): 1 of 2 met.
    assert_eq!(
        handling[3],
        [
            "normal", "2", "49.00", "49.00", "96.00", "1.00", "8.50", "8.50", "15.00", "1.00",
            "50.0", "1"
        ]
    );
    assert_eq!(
        handling[4],
        [
            "all", "5", "21.40", "3.00", "96.00", "0.75", "4.90", "3.00", "15.00", "0.75", "60.0",
            "1"
        ]
    );

    let satisfaction = section(&env, "satisfaction", &["--months", "3"]);
    assert_eq!(
        satisfaction,
        [
            vec![
                "month",
                "surveys",
                "avg_efficiency",
                "avg_attitude",
                "avg_solution",
                "avg_overall",
                "nps",
                "delta_overall"
            ],
            // A month without surveys: everything empty.
            vec!["2026-08", "0", "", "", "", "", "", ""],
            // One survey without NPS: NPS empty; no delta after an empty month.
            vec!["2026-09", "1", "3.00", "3.00", "3.00", "3.00", "", ""],
            // Four surveys: means 14/3, 4, 8/3, 5 → 4.08; NPS (2 promoters − 1
            // detractor) / 4 = 25.0; delta 4.08 − 3.00.
            vec!["2026-10", "4", "4.25", "4.00", "4.00", "4.08", "25.0", "1.08"],
        ]
    );
}

#[test]
fn grouping_other_sections_and_formats() {
    let env = store();
    let by_channel = section(&env, "types", &["--by", "channel"]);
    assert_eq!(
        by_channel,
        [
            vec!["channel", "count", "share_pct"],
            vec!["phone", "6", "100.0"]
        ]
    );
    let backlog = section(&env, "backlog", &[]);
    // T7, created 10-30 10:00, is 1 day 14 hours old at the end of October.
    assert_eq!(backlog[2], ["1-3d", "1", "0", "1", "0"]);
    let sla = section(&env, "sla", &[]);
    assert!(
        sla.contains(&vec![
            "urgent".into(),
            "resolution".into(),
            "3".into(),
            "2".into(),
            "1".into(),
            "66.7".into()
        ]),
        "{sla:?}"
    );

    let out = env
        .run(&["report", "--month", "2026-10", "--format", "json"])
        .ok();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["period"]["from"], "2026-10-01");
    assert_eq!(json["sections"]["handling"][0]["avg_hours"], 3.0);
    assert_eq!(
        json["sections"]["satisfaction"][0]["nps"],
        serde_json::Value::Null
    );

    // `last` is the month before now; the quarter covers July to September.
    let last = env
        .run(&[
            "report",
            "--month",
            "last",
            "--section",
            "types",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        last.stdout,
        env.run(&[
            "report",
            "--month",
            "2026-10",
            "--section",
            "types",
            "--format",
            "csv"
        ])
        .ok()
        .stdout
    );
    let q = env
        .run(&[
            "report",
            "--quarter",
            "2026Q3",
            "--section",
            "types",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(q.stdout, "type,count,share_pct\nrequirement,1,100.0\n");
    let range = env
        .run(&[
            "report",
            "--from",
            "2026-10-05",
            "--to",
            "2026-10-06",
            "--section",
            "types",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(range.stdout, "type,count,share_pct\ncomplaint,2,100.0\n");
}

#[test]
fn out_writes_one_csv_per_section_and_a_summary_without_touching_tickets() {
    let env = store();
    let before = env.snapshot();
    env.run(&[
        "report",
        "--month",
        "2026-10",
        "--out",
        "reports/2026-10",
        "--bom",
    ])
    .ok();
    for name in [
        "types",
        "handling",
        "satisfaction",
        "sla",
        "agents",
        "customers",
        "backlog",
    ] {
        let bytes = std::fs::read(env.path(&format!("reports/2026-10/{name}.csv"))).unwrap();
        assert!(
            bytes.starts_with("\u{feff}".as_bytes()),
            "{name} has no BOM"
        );
    }
    let summary = std::fs::read_to_string(env.path("reports/2026-10/summary.txt")).unwrap();
    assert!(
        summary.contains(
            "6 tickets were created; the most frequent type was complaint with 2 (33.3%)"
        ),
        "{summary}"
    );
    assert!(summary.contains("urgent 3.00 h"), "{summary}");
    assert!(
        summary.contains("Satisfaction was 4.08 from 4 surveys, +1.08 on 2026-09 (3.00)"),
        "{summary}"
    );
    assert!(
        summary.contains("最多的类型是投诉（2个，占33.3%）"),
        "{summary}"
    );
    // Only the report directory is new; no ticket file changed.
    let after = env.snapshot();
    let changed: Vec<_> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.iter().all(|p| p.starts_with("reports")),
        "{changed:?}"
    );
    assert_eq!(after.len() - before.len(), 8);
}

#[test]
fn bad_periods_and_sections_are_refused() {
    let env = store();
    for (args, expect) in [
        (&["report", "--month", "2026-13"][..], "'2026-13'"),
        (&["report", "--quarter", "2026Q5"][..], "'2026Q5'"),
        (
            &["report", "--from", "2026-10-10", "--to", "2026-10-01"][..],
            "must not be before",
        ),
        (&["report", "--section", "weather"][..], "'weather'"),
    ] {
        let out = env.run(args).fails(1);
        assert!(out.stderr.contains(expect), "{args:?}: {}", out.stderr);
    }
    assert_eq!(
        env.run(&["report", "--month", "2026-10", "--quarter", "2026Q3"])
            .code,
        2
    );
}

#[test]
fn unreadable_files_are_named_not_dropped() {
    let env = store();
    let dir = env.path("tickets/2026/10");
    let victim = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&victim, "id: [broken\n").unwrap();
    let out = env
        .run(&["report", "--month", "2026-10", "--format", "csv"])
        .fails(1);
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(out.stderr.contains(name), "{}", out.stderr);
}
