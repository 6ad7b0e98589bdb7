//! Tables on a real (pseudo-)terminal: widths, cutting, the compact SLA
//! view, colour; and the byte-order mark of CSV.

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
    // --wide: every column, as in CSV.
    let out = env.run_tty(200, false, &["sla", "--wide"]).ok();
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
