//! The report on a constructed store whose answers were worked out by hand
//! (see the comments); every column of types, handling and satisfaction.

use calamine::Reader;

use crate::common::{SmtpServer, TestEnv};

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
    // Nine tables, the summary, the page and the workbook.
    assert_eq!(after.len() - before.len(), 12);
    let page = std::fs::read_to_string(env.path("reports/2026-10/report.html")).unwrap();
    assert!(page.contains("<svg"), "{page}");
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
        "themes",
        "handling",
        "satisfaction",
        "sentiment",
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

/// A FILE that is no regular file — a pipe or a device, as `/dev/stdout`
/// or `>(cmd)` name one — is written into, not replaced by a new file
/// (which would take the device's place in `/dev` when run as root).
#[cfg(target_os = "linux")]
#[test]
fn html_and_xlsx_write_into_a_pipe_or_device_they_name() {
    let env = store();
    let out = env
        .run(&["report", "--month", "2026-10", "--html", "/proc/self/fd/1"])
        .ok();
    assert!(out.stdout.starts_with("<!DOCTYPE html>"), "{}", out.stdout);
    assert!(out.stdout.trim_end().ends_with("</html>"), "{}", out.stdout);
    let piped = env
        .cmd()
        .args(["report", "--month", "2026-10", "--xlsx", "/proc/self/fd/1"])
        .output()
        .unwrap();
    assert!(piped.status.success(), "{piped:?}");
    assert!(piped.stdout.starts_with(b"PK\x03\x04"), "not a zip");
    // Two pages on standard output: refused in one line.
    let out = env
        .run(&["report", "--month", "2026-10", "--html", "-", "--xlsx", "-"])
        .fails(1);
    assert!(
        out.stderr
            .contains("where --out prints DIR and --xlsx - writes"),
        "{}",
        out.stderr
    );
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
    // Nor beside the page on stdout.
    let out = env
        .run(&["report", "--month", "2026-10", "--xlsx", "-", "--html", "-"])
        .fails(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(
            "--html - writes the page to standard output, where --out prints DIR and --xlsx - \
             writes the workbook: give --html a FILE"
        ),
        "{}",
        out.stderr
    );
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

/// The text of an HTML cell: the entities minijinja writes turned back.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The rows (header first) of the table under section `name` of a page.
fn html_table(page: &str, name: &str) -> Vec<Vec<String>> {
    let start = page
        .find(&format!("<section id=\"section-{name}\">"))
        .unwrap_or_else(|| panic!("no section {name}"));
    let rest = &page[start..];
    let table = &rest[..rest.find("</section>").unwrap()];
    let mut rows = Vec::new();
    for tr in table.split("<tr>").skip(1) {
        let mut tr = &tr[..tr.find("</tr>").unwrap()];
        let mut cells = Vec::new();
        while let Some(open) = tr.find("<t") {
            let body = &tr[open..];
            let start = body.find('>').unwrap() + 1;
            let end = body.find("</t").unwrap();
            cells.push(unescape(&body[start..end]));
            tr = &body[end + 3..];
        }
        rows.push(cells);
    }
    rows
}

fn page(env: &TestEnv, extra: &[&str]) -> String {
    let mut args = vec!["report", "--month", "2026-10", "--html", "-"];
    args.extend_from_slice(extra);
    env.run(&args).ok().stdout
}

#[test]
fn the_html_report_shows_every_cell_of_every_csv_under_its_charts() {
    let env = store();
    let before = env.snapshot();
    let zh = page(&env, &[]);
    // Every section the report has, so a new one is checked too.
    for name in desk::report::SECTIONS {
        assert_eq!(html_table(&zh, name), section(&env, name, &[]), "{name}");
    }
    // A chart per section but customers, two for satisfaction and agents,
    // each with a title a screen reader reads.
    assert_eq!(zh.matches("<svg ").count(), 10, "{zh}");
    assert_eq!(zh.matches("<title id=\"chart-").count(), 10);
    for id in [
        "types",
        "themes",
        "handling",
        "satisfaction",
        "nps",
        "sentiment",
        "sla",
        "backlog",
    ] {
        assert!(zh.contains(&format!("id=\"chart-{id}-title\"")), "{id}");
    }
    // Axes say their units.
    assert!(zh.contains(">小时（自然时间）</text>"), "{zh}");
    assert!(zh.contains(">达成率 (%)</text>"));
    // The summary's sentences head the page, in the page's language.
    assert!(zh.contains("<li>本期新建工单6个"), "{zh}");
    let en = page(&env, &["--lang", "en"]);
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("<li>6 tickets were created"), "{en}");
    assert!(en.contains("Handling time per priority: median, whisker to p90"));
    // The same store gives the same bytes; nothing was written.
    assert_eq!(page(&env, &[]), zh);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_html_report_is_offline_and_shows_stored_text_as_text() {
    let mut env = store();
    env.at("2026-10-20T10:00:00+08:00");
    let hostile = "<script>alert(1)</script>";
    env.new_ticket(&["--type", "complaint", "--category", hostile]);
    let by_category = page(&env, &["--by", "category"]);
    assert!(!by_category.contains("<script"), "{by_category}");
    assert!(by_category.contains("&lt;script&gt;alert(1)&lt;"));
    // Control and bidi characters show as escapes, in charts and tables
    // alike, as on a terminal: none reorders or hides what a reader sees.
    env.new_ticket(&["--type", "complaint", "--category", "x\u{202e}y\u{1b}z"]);
    let shown = page(&env, &["--by", "category"]);
    assert!(
        !shown.contains('\u{202e}') && !shown.contains('\u{1b}'),
        "{shown}"
    );
    assert!(shown.contains("x\\u{202e}y"), "{shown}");
    // No address but the SVG namespace: no script, font, style or image
    // is fetched, from the network or from a file.
    for page in [by_category, page(&env, &["--lang", "en"])] {
        let mut rest = page.as_str();
        while let Some(i) = rest.find("http") {
            assert!(
                rest[i..].starts_with("http://www.w3.org/2000/svg\""),
                "{}",
                &rest[i..i + 40]
            );
            rest = &rest[i + 4..];
        }
        for fetch in [
            "src=", "href=", "url(", "@import", "<link", "<script", "<img",
        ] {
            assert!(!page.contains(fetch), "{fetch}");
        }
    }
}

#[test]
fn proposals_name_the_figures_they_come_from() {
    let env = store();
    let en = page(&env, &["--lang", "en"]);
    let proposals = &en[en.find("<section id=\"proposals\">").unwrap()..];
    let proposals = &proposals[..proposals.find("</section>").unwrap()];
    // types: complaint and consultation tie at 2 of 6 (33.3%); the first
    // in the CSV's order is named.
    assert!(
        proposals
            .contains("&#x27;complaint&#x27; is the largest share of tickets created: 33.3% (2)"),
        "{proposals}"
    );
    let sla = section(&env, "sla", &[]);
    let worst = sla[1..]
        .iter()
        .min_by(|a, b| {
            a[5].parse::<f64>()
                .unwrap()
                .total_cmp(&b[5].parse().unwrap())
        })
        .unwrap();
    assert_ne!(worst[5], "100.0", "the store breaches a target");
    {
        assert!(
            proposals.contains(&format!("{} {}: {}% met", worst[0], worst[1], worst[5])),
            "{proposals}\n{worst:?}"
        );
    }
    assert!(
        proposals.contains("lowest-scoring survey dimension"),
        "{proposals}"
    );
}

#[test]
fn the_html_language_and_name_are_store_settings_and_its_template_can_be_replaced() {
    let env = store();
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  name: 星河客服中心\n  lang: en\n"),
    )
    .unwrap();
    let en = page(&env, &[]);
    assert!(
        en.contains("<h1>星河客服中心 · Customer service report</h1>"),
        "{en}"
    );
    assert!(page(&env, &["--lang", "zh"]).contains("<h1>星河客服中心 · 客服报表</h1>"));

    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  lang: fr\n"),
    )
    .unwrap();
    let out = env
        .run(&["report", "--month", "2026-10", "--html", "r.html"])
        .fails(1);
    assert!(
        out.stderr.contains("report.lang") && out.stderr.contains("'fr'"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("zh"), "{}", out.stderr);
    assert!(!env.path("r.html").exists());
    // `desk check` says so too, before any cron run needs the page.
    let out = env.run(&["check"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("report.lang"), "{}", out.stderr);
    std::fs::write(env.path("desk.yaml"), &yaml).unwrap();

    // A team's own page, still escaped.
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/report.html"),
        "<p>{{ period.label }} {% for s in sections %}{{ s.name }}={{ s.rows|length }} {% endfor %}{{ '<b>' }}</p>\n",
    )
    .unwrap();
    let own = page(&env, &[]);
    assert!(
        own.starts_with("<p>2026-10 types=4 themes=2 handling=4 satisfaction=2 sentiment=1"),
        "{own}"
    );
    assert!(own.contains("&lt;b&gt;</p>"), "{own}");
    // A broken one is named with its line, and nothing is written.
    std::fs::write(env.path("templates/report.html"), "<p>\n{{ nope }}</p>\n").unwrap();
    let out = env
        .run(&["report", "--month", "2026-10", "--html", "r.html"])
        .fails(1);
    assert!(
        out.stderr.contains("templates/report.html:2"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("sections (name,"), "{}", out.stderr);
    assert!(!env.path("r.html").exists());
    // A link is not followed out of the store.
    #[cfg(unix)]
    {
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(outside.path(), "{{ name }} leaked").unwrap();
        std::fs::remove_file(env.path("templates/report.html")).unwrap();
        std::os::unix::fs::symlink(outside.path(), env.path("templates/report.html")).unwrap();
        let out = env
            .run(&["report", "--month", "2026-10", "--html", "r.html"])
            .fails(1);
        assert!(
            out.stderr.contains("templates/report.html"),
            "{}",
            out.stderr
        );
        assert!(!env.path("r.html").exists());
    }
}

/// [`store`] with `mail:` at the test server and `report.mail_to`.
fn store_with_mail(port: u16) -> TestEnv {
    let env = store();
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!(
            "{yaml}report:\n  name: 星河客服\n  mail_to: [陈静 <chen.jing@example.com>]\n\
             mail:\n  from: 客服中心 <service@example.com>\n  timeout: 5\n  \
             smtp: {{host: 127.0.0.1, port: {port}, security: none}}\n"
        ),
    )
    .unwrap();
    env
}

/// The text and HTML parts of a received message, and its attachments' names.
fn parts(data: &str) -> (String, String, Vec<String>) {
    use mail_parser::MimeHeaders;
    let message = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    let html = message.body_html(0).unwrap().into_owned();
    let files = message
        .attachments()
        .map(|a| a.attachment_name().unwrap_or_default().to_string())
        .collect();
    (text, html, files)
}

#[test]
fn the_report_is_mailed_once_per_period_and_recipient_with_its_page_and_text() {
    let server = SmtpServer::start(&[]);
    let env = store_with_mail(server.port);
    let out = env.run(&["report", "--month", "2026-10", "--mail"]).ok();
    assert!(
        out.stderr
            .contains("mailed the report to 陈静 <chen.jing@example.com>"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["chen.jing@example.com"]);
    assert_eq!(got[0].headers["Subject"], "星河客服 客服报表 2026-10");
    let (text, html, files) = parts(&got[0].data);
    // The workbook is attached, as the spreadsheet it is.
    assert_eq!(files, ["report-2026-10.xlsx"]);
    assert!(got[0]
        .data
        .contains("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert!(text.contains("6 tickets were created"), "{text}");
    assert!(text.contains("本期新建工单6个"), "{text}");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_eq!(html.matches("<svg ").count(), 10);
    let first_id = got[0].headers["Message-ID"].clone();

    // Again (cron run twice, another clone after a pull): nothing sent.
    let records = || -> Vec<String> {
        let dir = env.path("mail/reported");
        std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(records().len(), 1);
    assert!(
        records()[0].contains("period: 2026-10\nto: chen.jing@example.com\n"),
        "{:?}",
        records()
    );
    let out = env.run(&["report", "--month", "2026-10", "--mail"]).ok();
    assert!(
        out.stderr.contains("has had the 2026-10 report already"),
        "{}",
        out.stderr
    );
    assert_eq!(server.messages().len(), 1);

    // A new recipient gets it; the one who had it does not, however written.
    env.run(&[
        "report",
        "--month",
        "2026-10",
        "--mail",
        "CHEN.JING@example.com",
        "boss@example.com",
        "--lang",
        "en",
    ])
    .ok();
    let got = server.messages();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].rcpt_tos, ["boss@example.com"]);
    assert_eq!(
        got[1].headers["Subject"],
        "星河客服 customer service report 2026-10"
    );
    // Another period is another mail.
    env.run(&["report", "--month", "2026-09", "--mail"]).ok();
    assert_eq!(server.messages().len(), 3);
    assert_eq!(records().len(), 3);

    // A send whose record was lost (a kill between the two) goes again
    // under the same Message-ID, which a mail client shows once.
    for entry in std::fs::read_dir(env.path("mail/reported")).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::read_to_string(&path)
            .unwrap()
            .contains("2026-10\nto: chen.jing")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    env.run(&["report", "--month", "2026-10", "--mail"]).ok();
    let got = server.messages();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].headers["Message-ID"], first_id);

    // A record is its name: one that cannot be read (bytes that are not
    // UTF-8) still says the mail went, and stops nothing.
    for entry in std::fs::read_dir(env.path("mail/reported")).unwrap() {
        std::fs::write(entry.unwrap().path(), b"\xff\xfe").unwrap();
    }
    let out = env.run(&["report", "--month", "2026-10", "--mail"]).ok();
    assert!(
        out.stderr.contains("has had the 2026-10 report already"),
        "{}",
        out.stderr
    );
    assert_eq!(server.messages().len(), 4);
}

#[test]
fn a_report_mail_that_cannot_go_sends_nothing_and_records_nothing() {
    let server = SmtpServer::start(&["--reject", "nobody@example.com"]);
    let env = store_with_mail(server.port);
    let out = env
        .run(&[
            "report",
            "--month",
            "2026-10",
            "--mail",
            "boss@example.com",
            "not an address",
        ])
        .fails(1);
    assert!(out.stderr.contains("'not an address'"), "{}", out.stderr);
    assert!(server.messages().is_empty());
    // A recipient the server refuses: named, not recorded, the run fails.
    let out = env
        .run(&[
            "report",
            "--month",
            "2026-10",
            "--mail",
            "nobody@example.com",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("not sent to nobody@example.com"),
        "{}",
        out.stderr
    );
    assert!(
        !env.path("mail/reported").exists()
            || std::fs::read_dir(env.path("mail/reported"))
                .unwrap()
                .count()
                == 0
    );
    // `mail/reported` a link or a file, where no record could be written:
    // refused before anything is sent, or every run would send it again.
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(env.path("mail")).unwrap();
        let _ = std::fs::remove_dir_all(env.path("mail/reported"));
        std::os::unix::fs::symlink(outside.path(), env.path("mail/reported")).unwrap();
        for _ in 0..2 {
            let out = env
                .run(&["report", "--month", "2026-10", "--mail", "boss@example.com"])
                .fails(1);
            assert!(out.stderr.contains("mail/reported"), "{}", out.stderr);
        }
        std::fs::remove_file(env.path("mail/reported")).unwrap();
        std::fs::write(env.path("mail/reported"), "").unwrap();
        let out = env
            .run(&["report", "--month", "2026-10", "--mail", "boss@example.com"])
            .fails(1);
        assert!(out.stderr.contains("mail/reported"), "{}", out.stderr);
        assert!(server.messages().is_empty(), "sent without a record");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        std::fs::remove_file(env.path("mail/reported")).unwrap();
    }
    // A failure after a recipient who had it already: none was sent before it.
    env.run(&["report", "--month", "2026-10", "--mail", "boss@example.com"])
        .ok();
    let out = env
        .run(&[
            "report",
            "--month",
            "2026-10",
            "--mail",
            "boss@example.com",
            "nobody@example.com",
        ])
        .fails(1);
    assert!(out.stderr.contains("; 0 sent before it"), "{}", out.stderr);
    assert_eq!(server.messages().len(), 1);
    // A part is not the report: refused, nothing sent or recorded.
    let out = env
        .run(&[
            "report",
            "--month",
            "2026-10",
            "--section",
            "types",
            "--mail",
            "deputy@example.com",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("recipient; drop --section"),
        "{}",
        out.stderr
    );
    assert_eq!(server.messages().len(), 1);
    // No `mail:` at all.
    let bare = store();
    let out = bare
        .run(&["report", "--month", "2026-10", "--mail", "boss@example.com"])
        .fails(1);
    assert!(out.stderr.contains("no `mail:`"), "{}", out.stderr);
    // No address given and none configured.
    let out = bare
        .run(&["report", "--month", "2026-10", "--mail"])
        .fails(1);
    assert!(out.stderr.contains("mail_to"), "{}", out.stderr);
}

/// Complaints about devices that will not start rise from one in September
/// to four in October; two about invoices; two English consultations. Two
/// complaints tell their story, one of them answered a survey too.
fn themed() -> TestEnv {
    let mut env = TestEnv::new();
    let mut at = |when: &str, kind: &str, title: &str, description: &str| {
        env.at(when);
        let mut args = vec!["--type", kind, "--title", title];
        if !description.is_empty() {
            args.extend(["--description", description]);
        }
        env.new_ticket(&args)
    };
    at("2026-09-10T10:00:00+08:00", "complaint", "无法开机", "");
    let phone = at(
        "2026-10-05T10:00:00+08:00",
        "complaint",
        "手机更新后无法开机",
        "更新完就黑屏了",
    );
    at(
        "2026-10-06T10:00:00+08:00",
        "complaint",
        "平板无法开机",
        "充了一晚上还是开不了机，回电13812345678",
    );
    at(
        "2026-10-07T10:00:00+08:00",
        "complaint",
        "无法开机，联系13812345678",
        "",
    );
    at("2026-10-08T10:00:00+08:00", "complaint", "开机很慢", "");
    at("2026-10-09T10:00:00+08:00", "complaint", "发票开错了", "");
    at("2026-10-10T10:00:00+08:00", "complaint", "发票抬头错误", "");
    at(
        "2026-10-11T10:00:00+08:00",
        "consultation",
        "Printer offline",
        "",
    );
    at(
        "2026-10-12T10:00:00+08:00",
        "consultation",
        "The PRINTER offline again",
        "",
    );
    env.at("2026-10-13T10:00:00+08:00");
    env.run(&["close", &phone, "--resolution", "刷机"]).ok();
    env.run(&[
        "survey",
        &phone,
        "--score",
        "efficiency=4",
        "--score",
        "attitude=4",
        "--score",
        "solution=4",
        "--comment",
        "刷机后好了",
    ])
    .ok();
    env.at("2026-11-23T09:00:00+08:00");
    env
}

#[test]
fn themes_are_counted_per_type_against_the_previous_month_and_warn_when_rising() {
    let env = themed();
    let rows = section(&env, "themes", &[]);
    // Worked out by hand: 开机 is in four October complaints (of six) and
    // one September one; 无法开机 in three (3 < 0.8 × 4, so both stay) and
    // the same one; 无法 and 法开 are subsumed by 无法开机. Rising: at least
    // 3 tickets and twice the previous count.
    // Examples: the latest titles first, personal numbers masked. Quotes:
    // what the customers of those tickets said, one a ticket (the survey
    // comment before the description), masked too.
    assert_eq!(
        rows,
        [
            vec![
                "type",
                "theme",
                "tickets",
                "share_pct",
                "previous",
                "change",
                "rising",
                "examples",
                "quotes"
            ],
            vec![
                "consultation",
                "printer offline",
                "2",
                "100.0",
                "0",
                "2",
                "",
                "The PRINTER offline again | Printer offline",
                ""
            ],
            vec![
                "complaint",
                "开机",
                "4",
                "66.7",
                "1",
                "3",
                "yes",
                "开机很慢 | 无法开机，联系*******5678 | 平板无法开机",
                "充了一晚上还是开不了机，回电*******5678 | 刷机后好了"
            ],
            vec![
                "complaint",
                "无法开机",
                "3",
                "50.0",
                "1",
                "2",
                "yes",
                "无法开机，联系*******5678 | 平板无法开机 | 手机更新后无法开机",
                "充了一晚上还是开不了机，回电*******5678 | 刷机后好了"
            ],
            vec![
                "complaint",
                "发票",
                "2",
                "33.3",
                "0",
                "2",
                "",
                "发票抬头错误 | 发票开错了",
                ""
            ],
        ]
    );
    // A title of 40,000 characters is an example of 60 columns, so the
    // workbook (a cell holds at most 32,767) is still written.
    let mut env = env;
    for day in ["2026-10-20", "2026-10-21"] {
        env.at(&format!("{day}T10:00:00+08:00"));
        env.new_ticket(&[
            "--type",
            "suggestion",
            "--title",
            &"夜间客服".repeat(10_000),
        ]);
    }
    env.at("2026-11-23T09:00:00+08:00");
    let rows = section(&env, "themes", &[]);
    let long = rows.iter().find(|r| r[0] == "suggestion").unwrap();
    assert!(
        long[7].ends_with('…') && long[7].chars().count() < 100,
        "{}",
        long[7]
    );
    env.run(&["report", "--month", "2026-10", "--xlsx", "r.xlsx"])
        .ok();
    // The early warnings head the summary, in both languages.
    let out = env
        .run(&["report", "--month", "2026-10", "--format", "table"])
        .ok();
    assert!(
        out.stdout
            .contains("Early warning: '开机' complaint tickets rose from 1 to 4."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("预警：「无法开机」类投诉工单从1个增至3个。"),
        "{}",
        out.stdout
    );
    // The thresholds are settings.
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  themes: {{top: 1, rise_min: 5}}\n"),
    )
    .unwrap();
    let rows = section(&env, "themes", &[]);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r[6] != "yes"), "{rows:?}");
    std::fs::write(
        env.path("desk.yaml"),
        format!("{yaml}report:\n  themes: {{top: 1, rise_min: x}}\n"),
    )
    .unwrap();
    let out = env.run(&["report", "--month", "2026-10"]).fails(1);
    assert!(out.stderr.contains("rise_min"), "{}", out.stderr);
}

#[test]
fn a_week_is_a_period_for_every_section() {
    let env = store();
    let week = |w: &str, name: &str| {
        let out = env
            .run(&["report", "--week", w, "--section", name, "--format", "csv"])
            .ok();
        out.stdout
    };
    // W41 is Monday 5 to Sunday 11 October: T1 to T4.
    assert_eq!(
        week("2026-W41", "types"),
        "type,count,share_pct\ncomplaint,2,50.0\nconsultation,1,25.0\nsuggestion,1,25.0\n"
    );
    // T8 on Monday 2 November is W45's.
    assert_eq!(
        week("2026-W45", "types"),
        "type,count,share_pct\ncomplaint,1,100.0\n"
    );
    for name in [
        "themes",
        "handling",
        "satisfaction",
        "sla",
        "agents",
        "customers",
        "backlog",
    ] {
        week("2026-W41", name);
    }
    // `last` on Monday 23 November (W48) is W47, which has no ticket.
    assert_eq!(week("last", "types"), "type,count,share_pct\n");
    let out = env
        .run(&["report", "--week", "2026-W41", "--out", "weekly/"])
        .ok();
    assert_eq!(out.stdout.trim(), "weekly/2026-W41");
    let out = env.run(&["report", "--week", "2026-41"]).fails(1);
    assert!(out.stderr.contains("2026-W45"), "{}", out.stderr);
    env.run(&["report", "--week", "last", "--month", "last"])
        .fails(2);
}

#[test]
fn sentiment_counts_surveys_by_score_and_customers_words_by_their_reading() {
    let mut env = TestEnv::new();
    let mut new = |when: &str, kind: &str, description: &str| {
        env.at(when);
        env.new_ticket(&["--type", kind, "--description", description])
    };
    // A complaint's description counts; a consultation's does not.
    new(
        "2026-10-05T10:00:00+08:00",
        "complaint",
        "等了三天还没人回复，太慢了",
    );
    new(
        "2026-10-05T11:00:00+08:00",
        "consultation",
        "请问发票什么时候能开",
    );
    let happy = new("2026-10-06T10:00:00+08:00", "consultation", "如何导出数据");
    let unhappy = new("2026-10-07T10:00:00+08:00", "consultation", "如何重置密码");
    // September's complaint is another period's.
    new(
        "2026-09-20T10:00:00+08:00",
        "complaint",
        "态度很差，推诿扯皮",
    );
    for (id, at) in [
        (&happy, "2026-10-08T10:00:00+08:00"),
        (&unhappy, "2026-10-08T11:00:00+08:00"),
    ] {
        env.at(at);
        env.run(&["close", id, "--resolution", "done"]).ok();
    }
    env.at("2026-10-09T10:00:00+08:00");
    env.run(&[
        "survey",
        &happy,
        "--score",
        "efficiency=5",
        "--score",
        "attitude=5",
        "--score",
        "solution=4",
        "--comment",
        "客服很耐心，问题很快解决了",
    ])
    .ok();
    env.run(&[
        "survey",
        &unhappy,
        "--score",
        "efficiency=2",
        "--score",
        "attitude=1",
        "--score",
        "solution=2",
        "--comment",
        "希望能增加夜间客服",
    ])
    .ok();
    env.at("2026-11-23T09:00:00+08:00");
    assert_eq!(
        section(&env, "sentiment", &[]),
        [
            vec![
                "month",
                "surveys",
                "surveys_positive",
                "surveys_neutral",
                "surveys_negative",
                "texts",
                "positive",
                "neutral",
                "negative",
                "suggestion",
                "negative_pct",
            ],
            vec!["2026-10", "2", "1", "0", "1", "3", "1", "0", "1", "1", "33.3"],
        ]
    );
    let out = env
        .run(&["report", "--month", "2026-10", "--format", "table"])
        .ok();
    assert!(
        out.stdout.contains("Of 3 texts from customers (complaints, survey comments, mail), 1 read as negative (33.3%), 1 as positive and 1 as suggestions."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("客户文本3条"), "{}", out.stdout);
    // A quarter has a row per month and one for the whole.
    let quarter = env
        .run(&[
            "report",
            "--quarter",
            "2026Q4",
            "--section",
            "sentiment",
            "--format",
            "csv",
        ])
        .ok()
        .stdout;
    let months: Vec<&str> = quarter
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(months, ["2026-10", "2026-11", "2026-12", "2026Q4"]);

    // An agent overrules the reading of the words so far: the wish for
    // night service read as negative (after it), the praise left alone
    // (an assessment before the comment does not cover it).
    env.run(&[
        "sentiment",
        &unhappy,
        "负面",
        "-m",
        "客户电话里很生气",
        "--at",
        "2026-10-10T10:00:00+08:00",
    ])
    .ok();
    env.run(&[
        "sentiment",
        &happy,
        "negative",
        "--at",
        "2026-10-08T12:00:00+08:00",
    ])
    .ok();
    // Backdated before that one, an assessment is kept, and said not to
    // govern.
    let out = env
        .run(&[
            "sentiment",
            &unhappy,
            "neutral",
            "--at",
            "2026-10-09T12:00:00+08:00",
        ])
        .ok();
    assert!(
        out.stderr
            .contains("a later assessment (negative) still says"),
        "{}",
        out.stderr
    );
    let history = env.read_ticket(&unhappy);
    assert!(
        history.contains("  action: assessed\n  note: 客户电话里很生气\n  sentiment: negative\n"),
        "{history}"
    );
    assert_eq!(
        section(&env, "sentiment", &[])[1],
        ["2026-10", "2", "1", "0", "1", "3", "1", "0", "2", "0", "66.7"]
    );
    // The readings are remembered by text; a damaged memo is read as none.
    let memo = env.path(".desk/cache/readings.bin");
    let mut bytes = std::fs::read(&memo).expect("the readings memo");
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&memo, bytes).unwrap();
    assert_eq!(
        section(&env, "sentiment", &[])[1],
        ["2026-10", "2", "1", "0", "1", "3", "1", "0", "2", "0", "66.7"]
    );
    // What is no reading is refused, naming the valid ones; nothing written.
    let before = env.snapshot();
    let out = env.run(&["sentiment", &happy, "angry"]).fails(1);
    assert!(
        out.stderr.contains("angry") && out.stderr.contains("suggestion (建议)"),
        "{}",
        out.stderr
    );
    assert_eq!(before, env.snapshot());
    // A file saying something else is read, kept and reported by check.
    let path = env.ticket_path(&happy);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("sentiment: negative", "sentiment: furious"),
    )
    .unwrap();
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains("`sentiment` must be one of positive, neutral, negative, suggestion"),
        "{}",
        out.stdout
    );
}
