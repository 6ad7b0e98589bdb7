//! The report on a constructed store whose answers were worked out by hand
//! (see the comments); every column of types, handling and satisfaction.

use calamine::Reader;

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
            // One survey without NPS: NPS empty; no delta in the first month
            // (August, before the first ticket, has no row).
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
        summary.contains("6 tickets were created; the most frequent types were complaint and"),
        "{summary}"
    );
    assert!(summary.contains("urgent 3.00 h"), "{summary}");
    assert!(
        summary.contains("Satisfaction was 4.08 from 4 surveys, +1.08 on 2026-09 (3.00)"),
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
    assert_eq!(after.len() - before.len(), 9);
    // The workbook beside the CSV files is that of `--xlsx`.
    let xlsx = env.path("reports/2026-10/report.xlsx");
    env.run(&["report", "--month", "2026-10", "--xlsx", "r.xlsx"])
        .ok();
    assert!(
        std::fs::read(xlsx).unwrap() == std::fs::read(env.path("r.xlsx")).unwrap(),
        "report.xlsx of --out differs from the workbook of --xlsx"
    );
}

/// A workbook's bytes, opened for reading.
fn workbook(bytes: Vec<u8>) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx workbook")
}

/// A sheet's cells as the CSV of the section shows them, with the type
/// that the workbook gave each: `n:` a number, `s:` text, `` empty.
fn typed_cells(
    book: &mut calamine::Xlsx<std::io::Cursor<Vec<u8>>>,
    name: &str,
) -> Vec<Vec<String>> {
    use calamine::Data;
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(x) => format!("n:{x}"),
                    Data::String(s) => format!("s:{s}"),
                    Data::Empty => String::new(),
                    other => panic!("{name}: unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

#[test]
fn xlsx_has_the_summary_and_a_sheet_per_section_with_typed_cells() {
    let env = store();
    let out = env
        .run(&["report", "--month", "2026-10", "--xlsx", "october.xlsx"])
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "wrote october.xlsx\n");
    let mut book = workbook(std::fs::read(env.path("october.xlsx")).unwrap());
    let sections = [
        "types",
        "handling",
        "satisfaction",
        "sla",
        "agents",
        "customers",
        "backlog",
    ];
    let mut names = vec!["summary"];
    names.extend(sections);
    assert_eq!(book.sheet_names(), names);
    // The summary: the lines of summary.txt, one a row.
    env.run(&["report", "--month", "2026-10", "--out", "r/"])
        .ok();
    let summary = std::fs::read_to_string(env.path("r/2026-10/summary.txt")).unwrap();
    let lines: Vec<Vec<String>> = summary
        .lines()
        .map(|l| {
            vec![if l.is_empty() {
                String::new()
            } else {
                format!("s:{l}")
            }]
        })
        .collect();
    assert_eq!(typed_cells(&mut book, "summary"), lines);
    // Each sheet holds the cells of the section's CSV: the header and the
    // text as text, counts and decimals as numbers of the same value.
    for name in sections {
        let csv = section(&env, name, &[]);
        let cells = typed_cells(&mut book, name);
        assert_eq!(cells.len(), csv.len(), "{name}");
        assert!(cells[0].iter().all(|h| h.starts_with("s:")), "{name}");
        for (row, (got, want)) in cells.iter().zip(&csv).enumerate() {
            assert_eq!(got.len(), want.len(), "{name} row {row}");
            for (g, w) in got.iter().zip(want) {
                match g.split_once(':') {
                    Some(("n", x)) => assert_eq!(
                        x.parse::<f64>().unwrap(),
                        w.parse::<f64>().unwrap(),
                        "{name} row {row}"
                    ),
                    Some(("s", s)) => assert_eq!(s, w, "{name} row {row}"),
                    _ => assert_eq!(w, "", "{name} row {row}"),
                }
            }
        }
    }
    // Which is which: names and IDs are text, counts and hours numbers.
    let handling = typed_cells(&mut book, "handling");
    assert_eq!(handling[1][..3], ["s:urgent", "n:3", "n:3"]);
    let customers = typed_cells(&mut book, "customers");
    assert_eq!(customers[1], ["s:C000001", "s:张*", "n:2", "n:6"]);
}

#[test]
fn xlsx_of_one_section_to_a_pipe_and_never_to_a_terminal() {
    let env = store();
    let args = [
        "report",
        "--month",
        "2026-10",
        "--section",
        "types",
        "--xlsx",
        "-",
    ];
    let piped = env.cmd().args(args).output().unwrap();
    assert!(piped.status.success(), "{piped:?}");
    assert!(piped.stdout.starts_with(b"PK\x03\x04"), "not a zip");
    // The same report gives the same bytes.
    let again = env.cmd().args(args).output().unwrap();
    assert!(again.stdout == piped.stdout, "two runs differ");
    let mut book = workbook(piped.stdout);
    assert_eq!(book.sheet_names(), ["summary", "types"]);
    // One section alone: the summary's first line only, naming the period.
    let summary = typed_cells(&mut book, "summary");
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert!(
        summary[0][0].starts_with("s:desk report 2026-10 "),
        "{summary:?}"
    );
    assert_eq!(
        typed_cells(&mut book, "types"),
        [
            vec!["s:type", "s:count", "s:share_pct"],
            vec!["s:complaint", "n:2", "n:33.3"],
            vec!["s:consultation", "n:2", "n:33.3"],
            vec!["s:requirement", "n:1", "n:16.7"],
            vec!["s:suggestion", "n:1", "n:16.7"],
        ]
    );
    // After the DIR of --out on stdout: refused, nothing written.
    let out = env
        .run(&["report", "--month", "2026-10", "--xlsx", "-", "--out", "r/"])
        .fails(1);
    assert!(
        out.stderr.contains("--out writes report.xlsx already"),
        "{}",
        out.stderr
    );
    assert!(!env.path("r").exists());
    #[cfg(unix)]
    {
        let out = env.run_tty(100, false, &args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains(
                "error: --xlsx - writes a binary workbook to standard output, here a terminal"
            ),
            "{}",
            out.stderr
        );
    }
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

#[test]
fn backlog_of_the_current_month_is_aged_now_not_at_its_end() {
    let env = store();
    // Now is 11-23 09:00. T7 (10-30 10:00) is 23 days 23 hours old and T8
    // (11-02 10:00) 20 days 23 hours: both 7-30 days. At the end of November
    // T7 would be 32 days old.
    let backlog = section_of(&env, "2026-11", "backlog");
    assert_eq!(backlog[4], ["7-30d", "2", "0", "1", "1"]);
    assert_eq!(backlog[5], [">=30d", "0", "0", "0", "0"]);
    // A past month is still aged at its end.
    let backlog = section_of(&env, "2026-10", "backlog");
    assert_eq!(backlog[2], ["1-3d", "1", "0", "1", "0"]);
}

fn section_of(env: &TestEnv, month: &str, name: &str) -> Vec<Vec<String>> {
    let out = env
        .run(&[
            "report",
            "--month",
            month,
            "--section",
            name,
            "--format",
            "csv",
        ])
        .ok();
    out.stdout
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn a_terminal_report_starts_with_the_summary_in_good_english() {
    let env = store();
    // September: T6 alone, created, closed and surveyed once.
    let out = env
        .run(&["report", "--month", "2026-09", "--format", "table"])
        .ok()
        .stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("desk report 2026-09 (2026-09-01 to 2026-09-30"),
        "{out}"
    );
    assert_eq!(
        lines[1], "1 ticket was created; the most frequent type was requirement with 1 (100.0%).",
        "{out}"
    );
    assert!(
        lines[2].starts_with("1 ticket was closed; average handling time: important 24.00 h."),
        "{out}"
    );
    assert!(
        out.contains("Satisfaction was 3.00 from 1 survey (none in 2026-08)."),
        "{out}"
    );
    assert!(out.contains("本期新建工单1个"), "{out}");
    // The tables follow the summary.
    assert!(
        out.find("本期新建工单").unwrap() < out.find("\ntypes\n").unwrap(),
        "{out}"
    );
    for plural in ["1 tickets", "1 surveys"] {
        assert!(!out.contains(plural), "{out}");
    }
    // One section alone: only the line naming the period, then the table.
    let out = env
        .run(&[
            "report",
            "--month",
            "2026-09",
            "--section",
            "types",
            "--format",
            "table",
        ])
        .ok()
        .stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("desk report 2026-09 ("), "{out}");
    assert_eq!(lines[1..3], ["", "types"], "{out}");
}

#[test]
fn a_tie_for_the_most_frequent_type_is_named_as_a_tie() {
    let env = store();
    env.run(&["report", "--month", "2026-10", "--out", "r/"])
        .ok();
    let summary = std::fs::read_to_string(env.path("r/2026-10/summary.txt")).unwrap();
    // October: two complaints and two consultations.
    assert!(
        summary.contains(
            "6 tickets were created; the most frequent types were complaint and consultation, with 2 each (33.3% each)."
        ),
        "{summary}"
    );
    assert!(
        summary.contains("最多的类型是投诉和咨询（各2个，各占33.3%）"),
        "{summary}"
    );
    // Grouped by channel, the summary names the most frequent channel.
    let out = env
        .run(&[
            "report", "--month", "2026-10", "--by", "channel", "--format", "table",
        ])
        .ok()
        .stdout;
    assert!(
        out.contains("the most frequent channel was phone with 6 (100.0%)."),
        "{out}"
    );
}

#[test]
fn the_trend_starts_with_the_month_of_the_first_ticket() {
    let env = store();
    // The first ticket is of September: no rows for the ten months before.
    let trend = section_of(&env, "2026-10", "satisfaction");
    let months: Vec<&str> = trend[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(months, ["2026-09", "2026-10"]);
    // A period before the first ticket still has its own row.
    let trend = section_of(&env, "2026-05", "satisfaction");
    let months: Vec<&str> = trend[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(months, ["2026-05"]);
}

#[test]
fn customers_are_shown_with_masked_names_and_the_configured_complaint_types() {
    let mut env = store();
    // An enterprise's name is not personal data and stays readable.
    env.at("2026-10-20T10:00:00+08:00");
    env.new_ticket(&["--customer", "C000002", "--type", "complaint"]);
    assert_eq!(
        section_of(&env, "2026-10", "customers"),
        [
            vec!["customer", "name", "complaints", "tickets"],
            vec!["C000001", "张*", "2", "6"],
            vec!["C000002", "星河科技有限公司", "1", "1"],
        ]
    );
    // Which types are complaints is a setting of desk.yaml.
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  complaint_types: [suggestion, 需求]\n"),
    )
    .unwrap();
    // T4 (suggestion) and T7 (requirement) of C000001.
    assert_eq!(
        section_of(&env, "2026-10", "customers"),
        [
            vec!["customer", "name", "complaints", "tickets"],
            vec!["C000001", "张*", "2", "6"],
        ]
    );
    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  complaint_types: [outage]\n"),
    )
    .unwrap();
    let out = env.run(&["report", "--month", "2026-10"]).fails(1);
    assert!(out.stderr.contains("'outage'"), "{}", out.stderr);
    assert!(out.stderr.contains("complaint_types"), "{}", out.stderr);
}

#[test]
fn an_unreadable_customer_is_named_and_the_report_still_written() {
    let env = store();
    std::fs::write(env.path("customers/C000001.yaml"), "id: [broken\n").unwrap();
    let out = env
        .run(&["report", "--month", "2026-10", "--out", "r/"])
        .fails(1);
    assert!(out.stderr.contains("C000001.yaml"), "{}", out.stderr);
    let customers = std::fs::read_to_string(env.path("r/2026-10/customers.csv")).unwrap();
    assert_eq!(
        customers,
        "customer,name,complaints,tickets\nC000001,,2,6\n"
    );
}
