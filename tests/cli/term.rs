//! Tables on a real (pseudo-)terminal: widths, cutting, columns left out,
//! the vertical view, the compact SLA view, colour; every table desk draws
//! (the report's sections, the outbox, search, show's lists…) at 80, 120
//! and 200 columns; and the byte-order mark of CSV.

use unicode_width::UnicodeWidthStr;

use crate::common::{Output, TestEnv};

const CJK_TITLE: &str =
    "客户反映设备开机后屏幕一直闪烁并且无法连接无线网络，请尽快安排工程师上门检查";
const LONG_TITLE: &str =
    "Invoice for October was charged twice on the corporate card and the customer wants a refund";

/// Four tickets created at 09:00 on 2026-11-23: urgent in progress with a
/// long CJK title, normal pending, important open (short CJK title), and
/// one closed. Returns them in that order.
fn store() -> (TestEnv, Vec<String>) {
    let mut env = TestEnv::new();
    let urgent = env.new_ticket(&["--title", CJK_TITLE, "--assign", "wang.qiang"]);
    let normal = env.new_ticket(&[
        "--priority",
        "normal",
        "--type",
        "consultation",
        "--channel",
        "email",
        "--customer",
        "C000002",
        "--title",
        LONG_TITLE,
    ]);
    let important = env.new_ticket(&["--priority", "important", "--title", "无法登录"]);
    let closed = env.new_ticket(&["--priority", "normal", "--title", "已解决的问题"]);
    env.at("2026-11-23T09:10:00+08:00");
    env.run(&[
        "update",
        &urgent,
        "--note",
        "回电",
        "--status",
        "in_progress",
    ])
    .ok();
    env.run(&["update", &normal, "--note", "asked", "--status", "pending"])
        .ok();
    env.run(&["close", &closed, "--resolution", "done"]).ok();
    (env, vec![urgent, normal, important, closed])
}

/// The table fits `cols`, has one line per ticket plus the header (nothing
/// wrapped onto a second line), and every ticket's line holds its whole ID
/// and each of `whole` (statuses, states: never split).
#[track_caller]
fn assert_fits(out: &Output, cols: usize, rows: &[(&str, Vec<&str>)]) {
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), rows.len() + 1, "at {cols}:\n{}", out.stdout);
    for line in &lines {
        assert!(
            line.width() <= cols,
            "{} > {cols}: {line}\n{}",
            line.width(),
            out.stdout
        );
    }
    for (id, whole) in rows {
        let line = lines
            .iter()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id} at {cols}:\n{}", out.stdout));
        for w in whole {
            assert!(
                line.split("  ")
                    .any(|cell| cell.trim() == *w || cell.trim().split(' ').any(|word| word == *w)),
                "{w} not whole on {id}'s line at {cols}:\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn list_fits_80_120_and_200_columns_without_splitting_a_cell() {
    let (env, ids) = store();
    for cols in [80, 120, 200] {
        let out = env.run_tty(cols, false, &["list", "--all"]).ok();
        assert_fits(
            &out,
            cols as usize,
            &[
                (&ids[0], vec!["in_progress", "urgent"]),
                (&ids[1], vec!["pending", "normal"]),
                (&ids[2], vec!["open", "important"]),
                (&ids[3], vec!["closed", "normal"]),
            ],
        );
        let header = out.stdout.lines().next().unwrap();
        for h in ["id", "status", "priority", "assignee", "title"] {
            assert!(header.split_whitespace().any(|w| w == h), "{header}");
        }
        if cols < 200 {
            // The long titles are cut, with an ellipsis, never wrapped.
            assert!(out.stdout.contains('…'), "{}", out.stdout);
            assert!(!out.stdout.contains(CJK_TITLE), "{}", out.stdout);
        } else {
            assert!(out.stdout.contains(CJK_TITLE), "{}", out.stdout);
            assert!(out.stdout.contains(LONG_TITLE), "{}", out.stdout);
            // The whole set of columns at 200.
            for h in ["created", "type", "channel", "customer"] {
                assert!(header.split_whitespace().any(|w| w == h), "{header}");
            }
        }
        // Short titles stay whole.
        assert!(out.stdout.contains("无法登录"), "{}", out.stdout);
    }
}

#[test]
fn sla_is_compact_on_a_terminal_and_fits_every_width() {
    let (mut env, ids) = store();
    // 13:30: the urgent ticket's 4 h resolution and the important one's
    // 4 h response fell due at 13:00.
    env.at("2026-11-23T13:30:00+08:00");
    for cols in [80, 120, 200] {
        let out = env.run_tty(cols, false, &["sla"]).ok();
        assert_fits(
            &out,
            cols as usize,
            &[
                // The target due first, with its time left, human-readable.
                (&ids[0], vec!["in_progress", "resolution overdue 30m"]),
                (&ids[1], vec!["pending"]),
                (&ids[2], vec!["open", "response overdue 30m"]),
            ],
        );
        let header = out.stdout.lines().next().unwrap();
        assert!(!header.contains("_due"), "{header}");
        assert!(!header.contains("_remaining"), "{header}");
        if cols == 200 {
            for h in ["response", "update", "resolution", "status", "assignee"] {
                assert!(header.split_whitespace().any(|w| w == h), "{header}");
            }
            let urgent = out.stdout.lines().find(|l| l.starts_with(&ids[0])).unwrap();
            // One state and due time per target; met shows no time left.
            assert!(urgent.contains("  met  "), "{urgent}");
            assert!(urgent.contains("breached 11-23 13:00"), "{urgent}");
            assert!(urgent.contains("running 11-24 09:10"), "{urgent}");
        }
    }
    // --wide: every column, as in CSV; too wide for 200 columns, so one
    // block per ticket, with every column.
    let out = env.run_tty(200, false, &["sla", "--wide"]).ok();
    let first = out.stdout.split("\n\n").next().unwrap();
    assert!(first.starts_with(&format!("{}\n", ids[0])), "{first}");
    let has = |cells: &[&str]| {
        first
            .lines()
            .any(|l| l.split_whitespace().eq(cells.iter().copied()))
    };
    assert!(has(&["response_state", "met"]), "{first}");
    assert!(has(&["resolution_remaining", "-0h30m"]), "{first}");
    // Piped, the columns, uncut.
    let out = env.run(&["sla", "--wide", "--format", "table"]).ok();
    let header = out.stdout.lines().next().unwrap();
    assert!(header.contains("response_due"), "{header}");
    assert!(header.contains("resolution_remaining"), "{header}");
}

#[test]
fn customer_list_fits_the_terminal() {
    let env = TestEnv::new();
    env.run(&crate::common::customer_add(
        "enterprise",
        "深圳市星河云端数据科技服务有限公司华南区域运营中心客户服务部",
        &["--phone", "13900000077"],
    ))
    .ok();
    for cols in [80, 120, 200] {
        let out = env.run_tty(cols, false, &["customer", "list"]).ok();
        assert_fits(
            &out,
            cols as usize,
            &[
                ("C000001", vec!["individual"]),
                ("C000002", vec!["enterprise"]),
                ("C000003", vec!["individual"]),
                ("C000004", vec!["enterprise"]),
            ],
        );
    }
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let (mut env, ids) = store();
    env.at("2026-11-23T13:30:00+08:00");
    let out = env.run_tty(200, true, &["sla", "--all"]).ok();
    let breached = out.stdout.lines().find(|l| l.contains(&ids[2])).unwrap();
    // Red and yellow as comfy-table writes them: colours 1 and 3 of the
    // terminal's palette, the same as SGR 31 and 33.
    assert!(breached.contains("\x1b[38;5;1m"), "{breached:?}");
    let closed = out.stdout.lines().find(|l| l.contains(&ids[3])).unwrap();
    assert!(closed.contains("\x1b[2m"), "{closed:?}");
    // 12:30: 30 min of 4 h left is under the at-risk share of 20 %.
    let out = env
        .at("2026-11-23T12:30:00+08:00")
        .run_tty(200, true, &["sla"])
        .ok();
    let at_risk = out.stdout.lines().find(|l| l.contains(&ids[2])).unwrap();
    assert!(at_risk.contains("\x1b[38;5;3m"), "{at_risk:?}");
    let list = env.run_tty(200, true, &["list", "--all"]).ok();
    // A terminal that says it cannot show colour gets none.
    let dumb = env
        .run_tty_env(200, true, &[("TERM", "dumb")], &["list", "--all"])
        .ok();
    assert!(!dumb.stdout.contains('\u{1b}'), "{:?}", dumb.stdout);
    let closed = list.stdout.lines().find(|l| l.contains(&ids[3])).unwrap();
    assert!(closed.contains("\x1b[2m"), "{closed:?}");
    // Borders and colour fit the width too.
    for args in [
        &["sla", "--all"][..],
        &["list", "--all"],
        &["customer", "list"],
    ] {
        let out = env.run_tty(80, true, args).ok();
        let plain = strip_sgr(&out.stdout);
        // Three rules, the header, four tickets or three customers.
        let rows = if args[0] == "customer" { 3 } else { 4 };
        assert_eq!(plain.lines().count(), 3 + 1 + rows, "{plain}");
        for line in plain.lines() {
            assert!(line.width() <= 80, "{args:?}: {line}");
        }
    }
    // NO_COLOR on a terminal, and any pipe: no colour, no box borders.
    for out in [
        env.run_tty(200, false, &["sla", "--all"]).ok(),
        env.run_tty(200, false, &["list", "--all"]).ok(),
        env.run(&["sla", "--all", "--format", "table"]).ok(),
        env.run(&["list", "--all", "--format", "table"]).ok(),
    ] {
        assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
        assert!(!out.stdout.contains(['│', '─', '┌', '└']), "{}", out.stdout);
    }
}

#[test]
fn a_pipe_is_never_cut_and_columns_set_a_width_for_it() {
    let (env, ids) = store();
    let out = env.run(&["list", "--all", "--format", "table"]).ok();
    assert!(out.stdout.contains(CJK_TITLE), "{}", out.stdout);
    let out = env
        .output(
            env.cmd()
                .env("COLUMNS", "80")
                .args(["list", "--all", "--format", "table"]),
        )
        .ok();
    assert_fits(
        &out,
        80,
        &[
            (&ids[0], vec!["in_progress"]),
            (&ids[1], vec!["pending"]),
            (&ids[2], vec!["open"]),
            (&ids[3], vec!["closed"]),
        ],
    );
}

#[test]
fn met_targets_show_no_time_left() {
    let (env, ids) = store();
    // The urgent ticket's response was met at 09:10 with 50 min to spare.
    let csv = env.run(&["sla", "--format", "csv"]).ok().stdout;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines
        .find(|l| l.starts_with(&ids[0]))
        .unwrap()
        .split(',')
        .collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("response_state"), "met");
    assert_eq!(col("response_remaining"), "");
    assert_eq!(col("response_due"), "");
    assert_eq!(col("resolution_state"), "running");
    // Read at 09:10: 3 h 50 min of 4 h left.
    assert_eq!(col("resolution_remaining"), "3.83");
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["sla", "--format", "json"]).ok().stdout).unwrap();
    let r = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ids[0].as_str())
        .unwrap();
    assert_eq!(r["response_remaining"], serde_json::Value::Null);
    let show = env.run(&["show", &ids[0]]).ok().stdout;
    let response = show
        .lines()
        .find(|l| l.trim_start().starts_with("response"))
        .unwrap();
    assert!(response.contains("met"), "{response}");
    assert!(!response.contains("left"), "{response}");
}

#[test]
fn bom_starts_the_csv_of_list_sla_and_customer_list() {
    let (env, _) = store();
    for args in [
        &["list", "--format", "csv", "--bom"][..],
        &["sla", "--format", "csv", "--bom"],
        &["customer", "list", "--format", "csv", "--bom"],
    ] {
        let out = env.run(args).ok();
        assert!(out.stdout.starts_with("\u{feff}id,"), "{args:?}");
        let mut plain = args.to_vec();
        plain.pop();
        let without = env.run(&plain).ok();
        assert_eq!(out.stdout, format!("\u{feff}{}", without.stdout));
    }
}

#[test]
fn survey_due_cuts_titles_to_the_terminal() {
    let (env, ids) = store();
    env.run(&["close", &ids[0], "--resolution", "换了主板"])
        .ok();
    let out = env.run_tty(80, false, &["survey", "--due"]).ok();
    assert_fits(&out, 80, &[(&ids[0], vec![]), (&ids[3], vec![])]);
    assert!(out.stdout.contains('…'), "{}", out.stdout);
}

/// The text without its colour sequences (`ESC [ … m`).
fn strip_sgr(s: &str) -> String {
    let mut plain = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        plain.push_str(&rest[..i]);
        let end = rest[i..].find('m').expect("an SGR sequence ends in m");
        rest = &rest[i + end + 1..];
    }
    plain.push_str(rest);
    plain
}

// Every table desk draws: the report's sections, the outbox and the rest,
// at 80, 120 and 200 columns.

/// The widths every table is drawn at.
const WIDTHS: [u16; 3] = [80, 120, 200];

/// How a table was drawn: its columns (the header's names, in order), or
/// one block per record (the vertical view).
#[derive(Debug, PartialEq)]
enum View {
    Columns(Vec<String>),
    Vertical,
}

impl View {
    fn shows(&self, name: &str) -> bool {
        matches!(self, View::Columns(names) if names.iter().any(|n| n == name))
    }
}

/// The records of `csv` (desk's CSV, written with --csv-raw): the header
/// and the rows.
fn csv_records(csv: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The display columns `from..to` of `line` (CJK counts two), trimmed.
fn columns_of(line: &str, from: usize, to: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut at = 0;
    let mut text = String::new();
    for c in line.chars() {
        if at >= from && at < to {
            text.push(c);
        }
        at += c.width().unwrap_or(0);
    }
    text.trim().to_string()
}

/// `shown` is `whole`, or, for free text that may be cut, its start (not
/// nothing) and `…`.
#[track_caller]
fn assert_cell(shown: &str, whole: &str, cut: bool, what: &str) {
    if shown == whole {
        return;
    }
    let start = shown.strip_suffix('…');
    assert!(
        cut && start.is_some_and(|s| !s.is_empty() && whole.starts_with(s)),
        "{what}: {shown:?} is not {whole:?}"
    );
}

/// `table`, a plain table desk drew on a terminal `cols` wide, against
/// `csv`, the same records as CSV: every line fits the terminal; each
/// record is one line of the columns view (after the header, in order) or
/// one block of the vertical view (its first cell the heading, then a
/// `name  value` line per column); every cell shown is the record's cell
/// whole (no cell is split over two lines), or, in the free-text columns
/// `cut`, its start and `…`. The columns `loose` are shown otherwise than
/// in CSV and are not compared.
#[track_caller]
fn assert_table(table: &str, csv: &str, cols: usize, cut: &[&str], loose: &[&str]) -> View {
    let (header, rows) = csv_records(csv);
    for line in table.lines() {
        assert!(
            line.width() <= cols,
            "{} > {cols}: {line}\n{table}",
            line.width()
        );
    }
    let lines: Vec<&str> = table.lines().collect();
    let first: Vec<&str> = lines
        .first()
        .map_or(vec![], |l| l.split_whitespace().collect());
    let columns_view = first.first() == Some(&header[0].as_str())
        && first.iter().all(|n| header.iter().any(|h| h == n));
    let compare = |name: &str, shown: &str, whole: &str, what: &str| {
        if !loose.contains(&name) {
            assert_cell(shown, whole, cut.contains(&name), what);
        }
    };
    if columns_view {
        assert_eq!(lines.len(), rows.len() + 1, "at {cols}:\n{table}");
        // Where each column starts: its name in the header.
        let mut starts = Vec::new();
        let mut at = 0;
        let mut blank = true;
        for c in lines[0].chars() {
            if c != ' ' && blank {
                starts.push(at);
            }
            blank = c == ' ';
            at += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
        assert_eq!(starts.len(), first.len(), "{}", lines[0]);
        for (row, line) in rows.iter().zip(&lines[1..]) {
            for (k, name) in first.iter().enumerate() {
                let end = starts.get(k + 1).copied().unwrap_or(usize::MAX);
                let shown = columns_of(line, starts[k], end);
                let i = header.iter().position(|h| h == name).unwrap();
                let what = format!("{name} of {} at {cols}:\n{table}", row[0]);
                compare(name, &shown, &row[i], &what);
            }
        }
        View::Columns(first.iter().map(|s| s.to_string()).collect())
    } else {
        let blocks: Vec<&str> = table.trim_end_matches('\n').split("\n\n").collect();
        assert_eq!(blocks.len(), rows.len(), "at {cols}:\n{table}");
        for (row, block) in rows.iter().zip(&blocks) {
            let lines: Vec<&str> = block.lines().collect();
            assert_eq!(lines[0], row[0], "at {cols}:\n{table}");
            assert_eq!(lines.len(), header.len(), "at {cols}:\n{block}");
            for (i, line) in lines.iter().enumerate().skip(1) {
                let rest = line.strip_prefix("  ").unwrap_or_else(|| panic!("{line}"));
                let (label, value) = rest.split_once("  ").unwrap_or((rest, ""));
                let what = format!("{} of {} at {cols}:\n{table}", header[i], row[0]);
                assert_cell(label, &header[i], true, &what);
                compare(&header[i], value.trim_start(), &row[i], &what);
            }
        }
        View::Vertical
    }
}

/// A coloured table on a terminal `cols` wide: its lines fit, box and all,
/// and the first cell of each record in `csv` is whole on a line of its own.
#[track_caller]
fn assert_colour_fits(out: &str, csv: &str, cols: usize) {
    let plain = strip_sgr(out);
    for line in plain.lines() {
        assert!(line.width() <= cols, "{} > {cols}: {line}", line.width());
    }
    for row in csv_records(csv).1 {
        assert!(
            plain.lines().any(|l| l
                .trim_matches(|c| c == '│' || c == ' ')
                .split("  ")
                .next()
                .is_some_and(|cell| cell.trim() == row[0])),
            "{} not whole at {cols}:\n{plain}",
            row[0]
        );
    }
}

/// The table of `section` in `desk report`'s output on a terminal: after
/// its name, up to the blank line before the next section's name. (The
/// headline sentences before the tables are prose, for pasting into mail:
/// the terminal wraps them, desk does not cut them.)
fn section_of<'a>(out: &'a str, section: &str) -> &'a str {
    let start = out
        .find(&format!("\n\n{section}\n"))
        .unwrap_or_else(|| panic!("no {section}:\n{out}"))
        + section.len()
        + 3;
    let rest = &out[start..];
    let end = desk::report::SECTIONS
        .iter()
        .filter_map(|s| rest.find(&format!("\n\n{s}\n")))
        .min()
        .map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

/// A store with something in every section of the October report (read
/// on 2026-11-23): tickets closed in October at every priority, one of
/// them reopened, with first responses and surveys (one in September for
/// the trend); complaints of a customer with a long name (C000004);
/// tickets still open for the backlog; assignees.
fn report_store() -> TestEnv {
    let mut env = TestEnv::new();
    env.run(&crate::common::customer_add(
        "enterprise",
        "深圳市星河云端数据科技服务有限公司华南区域运营中心客户服务部",
        &["--phone", "13900000077"],
    ))
    .ok();
    // A ticket of CUSTOMER, TYPE, PRIORITY, assigned to AGENT, created at NOW.
    let new = |env: &mut TestEnv, now: &str, [customer, kind, priority, agent]: [&str; 4]| {
        let title = format!("{kind} of {customer}");
        env.at(now).new_ticket(&[
            "--customer",
            customer,
            "--type",
            kind,
            "--priority",
            priority,
            "--assign",
            agent,
            "--title",
            &title,
        ])
    };
    let step = |env: &mut TestEnv, now: &str, args: &[&str]| {
        env.at(now).run(args).ok();
    };
    // A survey of `id` at `now`: three scores, an NPS.
    let survey = |env: &mut TestEnv, now: &str, id: &str, [e, a, s, nps]: [&str; 4]| {
        let (e, a, s) = (
            format!("efficiency={e}"),
            format!("attitude={a}"),
            format!("solution={s}"),
        );
        env.at(now)
            .run(&[
                "survey", id, "--score", &e, "--score", &a, "--score", &s, "--nps", nps,
            ])
            .ok();
    };
    // September, for the trend: an important complaint, surveyed.
    let a = new(
        &mut env,
        "2026-09-15T10:00:00+08:00",
        ["C000003", "complaint", "important", "li.na"],
    );
    step(
        &mut env,
        "2026-09-15T11:00:00+08:00",
        &["update", &a, "--note", "called"],
    );
    step(
        &mut env,
        "2026-09-16T10:00:00+08:00",
        &["close", &a, "--resolution", "refunded"],
    );
    survey(
        &mut env,
        "2026-09-16T12:00:00+08:00",
        &a,
        ["4", "4", "5", "8"],
    );
    // October: an urgent complaint of C000004, 3 h, surveyed.
    let b = new(
        &mut env,
        "2026-10-05T09:00:00+08:00",
        ["C000004", "complaint", "urgent", "wang.qiang"],
    );
    step(
        &mut env,
        "2026-10-05T09:30:00+08:00",
        &["update", &b, "--note", "called"],
    );
    step(
        &mut env,
        "2026-10-05T12:00:00+08:00",
        &["close", &b, "--resolution", "fixed"],
    );
    survey(
        &mut env,
        "2026-10-05T15:00:00+08:00",
        &b,
        ["5", "5", "4", "10"],
    );
    // An important requirement, two days, surveyed.
    let c = new(
        &mut env,
        "2026-10-06T09:00:00+08:00",
        ["C000002", "requirement", "important", "li.na"],
    );
    step(
        &mut env,
        "2026-10-06T10:00:00+08:00",
        &["update", &c, "--note", "quoted"],
    );
    step(
        &mut env,
        "2026-10-08T14:00:00+08:00",
        &["close", &c, "--resolution", "shipped"],
    );
    survey(
        &mut env,
        "2026-10-09T10:00:00+08:00",
        &c,
        ["4", "4", "4", "9"],
    );
    // A normal consultation, closed, reopened and closed again.
    let d = new(
        &mut env,
        "2026-10-07T09:00:00+08:00",
        ["C000001", "consultation", "normal", "zhao.min"],
    );
    step(
        &mut env,
        "2026-10-07T10:00:00+08:00",
        &["close", &d, "--resolution", "FAQ"],
    );
    step(
        &mut env,
        "2026-10-07T11:00:00+08:00",
        &["reopen", &d, "--reason", "again"],
    );
    step(
        &mut env,
        "2026-10-09T10:00:00+08:00",
        &["close", &d, "--resolution", "FAQ 2"],
    );
    // Still open at the end of October: the backlog.
    new(
        &mut env,
        "2026-10-20T10:00:00+08:00",
        ["C000004", "complaint", "normal", "wang.qiang"],
    );
    new(
        &mut env,
        "2026-10-30T10:00:00+08:00",
        ["C000001", "complaint", "urgent", "chen.jing"],
    );
    env.at("2026-11-23T09:00:00+08:00");
    env
}

/// The free-text columns of the report's sections.
const REPORT_CUT: [&str; 3] = ["name", "theme", "examples"];

#[test]
fn every_report_section_fits_80_120_and_200_columns() {
    let env = report_store();
    let report = ["--csv-raw", "report", "--month", "2026-10"];
    for section in desk::report::SECTIONS {
        let csv = env
            .run(&[&report[..], &["--section", section, "--format", "csv"]].concat())
            .ok()
            .stdout;
        let rows = csv_records(&csv).1;
        assert!(!rows.is_empty(), "{section} has no rows");
        for cols in WIDTHS {
            let args = [&report[1..], &["--section", section]].concat();
            let out = env.run_tty(cols, false, &args).ok().stdout;
            let table = section_of(&out, section);
            let view = assert_table(table, &csv, cols as usize, &REPORT_CUT, &[]);
            // The common widths show columns, each with what matters most.
            let View::Columns(names) = &view else {
                panic!("{section} at {cols} is a vertical view:\n{out}")
            };
            let (header, _) = csv_records(&csv);
            if cols == 200 {
                assert_eq!(names, &header, "{section} at 200");
            }
            // What matters most in each section stays at every width.
            let kept: &[&str] = match section {
                "handling" => &[
                    "priority",
                    "closed",
                    "avg_hours",
                    "median_hours",
                    "p90_hours",
                    "sla_met_pct",
                ],
                "satisfaction" => &["month", "surveys", "avg_overall", "nps"],
                "sla" => &["priority", "target", "tickets", "met_pct"],
                "agents" => &["agent", "closed", "avg_hours"],
                "customers" => &["customer", "name", "complaints"],
                _ => &[],
            };
            for k in kept {
                assert!(view.shows(k), "{section} at {cols} lacks {k}:\n{table}");
            }
        }
    }
    // The whole report: every table fits, whatever the sections before it.
    for cols in WIDTHS {
        let out = env.run_tty(cols, false, &report[1..]).ok().stdout;
        for section in desk::report::SECTIONS {
            let csv = env
                .run(&[&report[..], &["--section", section, "--format", "csv"]].concat())
                .ok()
                .stdout;
            assert_table(
                section_of(&out, section),
                &csv,
                cols as usize,
                &REPORT_CUT,
                &[],
            );
        }
    }
}

#[test]
fn handling_drops_working_hours_first_and_is_whole_at_200_columns() {
    let env = report_store();
    let csv = env
        .run(&["report", "--month", "2026-10", "--section", "handling"])
        .ok()
        .stdout;
    let args = ["report", "--month", "2026-10", "--section", "handling"];
    let view = |cols| {
        let out = env.run_tty(cols, false, &args).ok().stdout;
        assert_table(section_of(&out, "handling"), &csv, cols as usize, &[], &[])
    };
    let names = |v: View| match v {
        View::Columns(names) => names,
        View::Vertical => panic!("a vertical view"),
    };
    assert_eq!(
        names(view(80)),
        [
            "priority",
            "closed",
            "avg_hours",
            "median_hours",
            "p90_hours",
            "sla_met_pct",
            "reopened"
        ]
    );
    assert_eq!(
        names(view(120)),
        [
            "priority",
            "closed",
            "avg_hours",
            "median_hours",
            "p90_hours",
            "avg_working_hours",
            "sla_met_pct",
            "reopened"
        ]
    );
    assert_eq!(names(view(200)).len(), 12);
    // Narrower than any useful set of columns: one block per priority,
    // every figure whole.
    let vertical = view(40);
    assert_eq!(vertical, View::Vertical);
    let out = env.run_tty(40, false, &args).ok().stdout;
    let table = section_of(&out, "handling");
    assert!(table.starts_with("urgent\n  closed "), "{table}");
    assert!(table.contains("\n\nall\n"), "{table}");
}

#[test]
fn report_tables_fit_with_box_and_colour() {
    let env = report_store();
    let report = ["--csv-raw", "report", "--month", "2026-10"];
    for section in desk::report::SECTIONS {
        let csv = env
            .run(&[&report[..], &["--section", section, "--format", "csv"]].concat())
            .ok()
            .stdout;
        for cols in WIDTHS {
            let args = [&report[1..], &["--section", section]].concat();
            let out = env.run_tty(cols, true, &args).ok().stdout;
            let table = section_of(&out, section);
            assert_colour_fits(table, &csv, cols as usize);
            // Columns with a box at the common widths, not blocks.
            assert!(table.starts_with('┌'), "{section} at {cols}:\n{table}");
        }
    }
}

/// The shipped rules and a rule that mails the customer, a mail server
/// that does not answer, and four tickets whose mails `desk run` could not
/// send: the outbox holds mails retrying, with their errors.
fn outbox_store() -> (TestEnv, Vec<String>) {
    let mut env = crate::delivery::team(
        crate::common::closed_port(),
        "- {name: tell-the-customer-we-have-it, when: created, then: [{notify: {to: customer, template: assigned}}]}\n",
        "  deliver_at_once: false\n",
    );
    env.run(&crate::common::customer_add(
        "enterprise",
        "深圳市星河云端数据科技服务有限公司华南区域运营中心客户服务部",
        &[
            "--email",
            "service.desk.south.china.region@xinghe-cloud-data.example.com",
        ],
    ))
    .ok();
    let ids = vec![
        env.new_ticket(&["--type", "投诉", "--title", CJK_TITLE]),
        env.new_ticket(&[
            "--type",
            "投诉",
            "--customer",
            "C000002",
            "--title",
            LONG_TITLE,
        ]),
        env.new_ticket(&["--type", "consultation", "--priority", "normal"]),
        env.new_ticket(&["--type", "service", "--customer", "C000002"]),
    ];
    env.at("2026-11-23T09:01:00+08:00");
    env.run(&["run"]).fails(1);
    (env, ids)
}

#[test]
fn the_outbox_fits_80_120_and_200_columns() {
    let (env, ids) = outbox_store();
    let csv = env
        .run(&["--csv-raw", "outbox", "--format", "csv"])
        .ok()
        .stdout;
    let rows = csv_records(&csv).1;
    assert!(rows.len() >= 6, "{csv}");
    assert!(
        rows.iter().all(|r| r[1] == "retrying" && !r[7].is_empty()),
        "{csv}"
    );
    for id in &ids {
        assert!(csv.contains(id.as_str()), "{id} not in\n{csv}");
    }
    let cut = ["rule", "to", "last_error", "uses"];
    for cols in WIDTHS {
        let out = env.run_tty(cols, false, &["outbox"]).ok().stdout;
        let view = assert_table(&out, &csv, cols as usize, &cut, &[]);
        for name in ["ticket", "state", "to", "last_error"] {
            assert!(view.shows(name), "{name} at {cols}:\n{out}");
        }
        if cols == 200 {
            for name in ["rule", "next_attempt"] {
                assert!(view.shows(name), "{name} at {cols}:\n{out}");
            }
        }
        let out = env.run_tty(cols, true, &["outbox"]).ok().stdout;
        assert_colour_fits(&out, &csv, cols as usize);
    }
}

#[test]
fn search_similar_and_kb_list_fit_40_80_120_and_200_columns() {
    let (env, ids) = store();
    env.run(&["close", &ids[1], "--resolution", LONG_TITLE])
        .ok();
    env.run(&["kb", "add", "--from", &ids[1]]).ok();
    env.run(&["kb", "edit", "KB0001", "--title", CJK_TITLE])
        .ok();
    let again = env.new_ticket(&[
        "--title",
        "The corporate card was charged twice for an invoice",
    ]);
    // The snippet is marked on a terminal, and so not compared.
    let loose = ["snippet"];
    let cut = ["title", "resolution", "snippet"];
    for args in [
        &["search", "charged twice card"][..],
        &["similar", &again],
        &["kb", "list"],
    ] {
        let csv = env
            .run(&[&["--csv-raw"][..], args, &["--format", "csv"]].concat())
            .ok()
            .stdout;
        assert!(!csv_records(&csv).1.is_empty(), "{args:?}: {csv}");
        // And at 40 columns, where the text columns would be cut to
        // nothing: one block per result.
        for cols in [40].into_iter().chain(WIDTHS) {
            let out = env.run_tty(cols, false, args).ok().stdout;
            let view = assert_table(&out, &csv, cols as usize, &cut, &loose);
            if cols == 40 && args[0] != "kb" {
                assert_eq!(view, View::Vertical, "{args:?} at {cols}:\n{out}");
            } else {
                assert!(view.shows("id"), "{args:?} at {cols}:\n{out}");
            }
            let out = env.run_tty(cols, true, args).ok().stdout;
            assert_colour_fits(&out, &csv, cols as usize);
        }
    }
}

#[test]
fn customer_list_and_sla_wide_fit_80_120_and_200_columns() {
    let (mut env, _) = store();
    env.run(&crate::common::customer_add(
        "enterprise",
        "深圳市星河云端数据科技服务有限公司华南区域运营中心客户服务部",
        &[
            "--email",
            "service.desk.south.china.region@xinghe-cloud-data.example.com",
        ],
    ))
    .ok();
    env.at("2026-11-23T13:30:00+08:00");
    let csv = env
        .run(&["--csv-raw", "customer", "list", "--format", "csv"])
        .ok()
        .stdout;
    for cols in WIDTHS {
        let out = env.run_tty(cols, false, &["customer", "list"]).ok().stdout;
        let view = assert_table(&out, &csv, cols as usize, &["name", "email"], &[]);
        for name in ["id", "kind", "name", "phone"] {
            assert!(view.shows(name), "{name} at {cols}:\n{out}");
        }
    }
    // `--wide`: every column of CSV; where they do not fit, one block per
    // ticket with all of them. Times are shorter than in CSV.
    let csv = env
        .run(&["--csv-raw", "sla", "--all", "--format", "csv"])
        .ok()
        .stdout;
    let loose = [
        "response_due",
        "response_remaining",
        "update_due",
        "update_remaining",
        "resolution_due",
        "resolution_remaining",
    ];
    for cols in WIDTHS {
        let out = env
            .run_tty(cols, false, &["sla", "--all", "--wide"])
            .ok()
            .stdout;
        let view = assert_table(&out, &csv, cols as usize, &["title"], &loose);
        assert_eq!(view, View::Vertical, "at {cols}");
        let out = env
            .run_tty(cols, true, &["sla", "--all", "--wide"])
            .ok()
            .stdout;
        assert_colour_fits(&out, &csv, cols as usize);
    }
}

#[test]
fn the_ticket_lists_of_show_and_customer_show_fit_the_terminal() {
    let (env, ids) = store();
    // C000001's other open tickets, under the urgent one; its tickets, in
    // `customer show`.
    let more = env.new_ticket(&["--title", LONG_TITLE]);
    for cols in WIDTHS {
        for args in [&["show", &ids[0]][..], &["customer", "show", "C000001"]] {
            let out = env.run_tty(cols, false, args).ok().stdout;
            let list = if args[0] == "show" {
                out.split("other open tickets of C000001:\n")
                    .nth(1)
                    .unwrap()
            } else {
                out.split("open)\n").nth(1).unwrap()
            };
            let list = &list[..list.find("\n\n").unwrap_or(list.len())];
            let mut seen = 0;
            for line in list.lines() {
                assert!(line.width() <= cols as usize, "{line}\n{out}");
                // The ID and the status whole, the title cut.
                let cells: Vec<&str> = line.split_whitespace().collect();
                assert!(ids.iter().chain([&more]).any(|id| cells[0] == id), "{line}");
                seen += 1;
            }
            assert!(seen >= 2, "{out}");
            if cols == 80 {
                assert!(list.contains('…'), "{list}");
            }
            if cols == 200 {
                assert!(list.contains(LONG_TITLE), "{list}");
            }
        }
    }
    // On a pipe nothing is cut.
    let out = env.run(&["customer", "show", "C000001"]).ok().stdout;
    assert!(out.contains(CJK_TITLE) && out.contains(LONG_TITLE), "{out}");
}
