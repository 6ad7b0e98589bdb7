//! Hostile text: stored values must not drive a terminal, forge lines or run
//! as spreadsheet formulas, while JSON and YAML keep them exactly.

use crate::common::{customer_add, TestEnv};

/// Clear screen, window title (OSC 0), a hyperlink (OSC 8), a right-to-left
/// override, a zero-width space, and CJK that must stay as it is.
const TITLE: &str = "Login fails \u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{202e}fdp.exe\u{200b} 无法登录";
const ACTOR: &str = "mallory\u{1b}[1A\u{1b}[2K";
const NOTE: &str = "called \u{1b}[31mred\u{1b}[0m \u{2066}back\u{2069}";
const COMPANY: &str = "Evil \u{1b}[2J Co \u{202e}moc.live";
const CATEGORY: &str = "billing\u{1b}[5m";

/// Characters that a terminal would act on or that hide or reorder text.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

fn inert(text: &str) -> bool {
    raw_controls(text).is_empty()
}

#[track_caller]
fn assert_inert(what: &str, text: &str) {
    let bad = raw_controls(text);
    assert!(bad.is_empty(), "{what} prints {bad:?} raw:\n{text}");
}

/// A store with hostile text in a ticket's title, category, description,
/// note and resolution, in an actor's name and in a company's name.
fn hostile_store() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.run(&customer_add(
        "enterprise",
        COMPANY,
        &[
            "--at",
            "2026-01-05 10:00",
            "--notes",
            "line one\nline \u{1b}[2J two",
        ],
    ))
    .ok();
    let id = env.new_ticket(&[
        "--customer",
        "C000004",
        "--title",
        TITLE,
        "--category",
        CATEGORY,
        "--description",
        "first\nstatus       closed\n\u{1b}[2Jthird\rover",
        "--at",
        "2026-11-02 10:00",
    ]);
    env.output(env.cmd().env("DESK_ACTOR", ACTOR).args([
        "update",
        &id,
        "--note",
        NOTE,
        "--at",
        "2026-11-02 11:00",
    ]))
    .ok();
    // A second, closed ticket for `survey --due` and the report.
    let closed = env.new_ticket(&[
        "--customer",
        "C000004",
        "--title",
        TITLE,
        "--category",
        CATEGORY,
        "--at",
        "2026-11-20 10:00",
    ]);
    env.run(&[
        "close",
        &closed,
        "--resolution",
        "fixed \u{1b}[2J",
        "--at",
        "2026-11-23 08:00",
    ])
    .ok();
    (env, id)
}

#[test]
fn tables_and_text_views_show_control_characters_escaped() {
    let (env, id) = hostile_store();
    // Every command is tried, so a failure names all that leak.
    let mut leaks = Vec::new();
    for args in [
        &["list", "--all", "--format", "table"][..],
        &["sla", "--format", "table"],
        &["survey", "--due", "--format", "table"],
        &["customer", "list", "--format", "table"],
        &["customer", "show", "C000004"],
        &["show", &id],
        &[
            "report", "--month", "2026-11", "--by", "category", "--format", "table",
        ],
    ] {
        let out = env.run(args).ok();
        if !inert(&out.stdout) || !out.stdout.contains("\\e[") {
            leaks.push(format!("{}:\n{}", args.join(" "), out.stdout));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    let show = env.run(&["show", &id]).ok().stdout;
    for part in [
        "Login fails \\e[2J\\e]0;owned\\u{7}\\e]8;;https://evil.example\\e\\click",
        "\\u{202e}fdp.exe\\u{200b} 无法登录",
        "mallory\\e[1A\\e[2K",
        "called \\e[31mred\\e[0m \\u{2066}back\\u{2069}",
        "billing\\e[5m",
        "Evil \\e[2J Co \\u{202e}moc.live",
        // Description lines stay lines, each behind the bar, so none can
        // pass for a field; a carriage return inside one is shown.
        "  │ first\n  │ status       closed\n  │ \\e[2Jthird\\rover\n",
    ] {
        assert!(show.contains(part), "missing {part:?}:\n{show}");
    }
    let customer = env.run(&["customer", "show", "C000004"]).ok().stdout;
    assert!(
        customer.contains("line one\\nline \\e[2J two"),
        "{customer}"
    );
}

#[test]
fn json_and_yaml_keep_the_exact_text() {
    let (env, id) = hostile_store();
    let list = env.run(&["list", "--format", "json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list[0]["title"], TITLE);
    let show = env.run(&["show", &id, "--format", "json"]).ok();
    let show: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(show["title"], TITLE);
    assert_eq!(show["history"][1]["by"], ACTOR);
    assert_eq!(show["history"][1]["note"], NOTE);
    let yaml = env.run(&["show", &id, "--format", "yaml"]).ok();
    assert_eq!(yaml.stdout, env.read_ticket(&id));
    let customers = env.run(&["customer", "list", "--format", "json"]).ok();
    let customers: serde_json::Value = serde_json::from_str(&customers.stdout).unwrap();
    assert_eq!(customers[3]["name"], COMPANY);
    let export = env.run(&["customer", "export", "--format", "json"]).ok();
    let export: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    assert_eq!(export[3]["name"], COMPANY);
}

#[test]
fn a_carriage_return_in_a_hand_edited_title_cannot_overwrite_the_line() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--title", "PLACEHOLDER"]);
    let path = env.ticket_path(&id);
    let yaml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, yaml.replace("PLACEHOLDER", "\"real\\rforged\"")).unwrap();
    for args in [&["list", "--format", "table"][..], &["show", &id]] {
        let out = env.run(args).ok();
        assert_inert(&args.join(" "), &out.stdout);
        assert!(out.stdout.contains("real\\rforged"), "{}", out.stdout);
    }
    let out = env.run(&["list", "--format", "json"]).ok();
    assert!(out.stdout.contains("\"real\\rforged\""), "{}", out.stdout);
}

#[test]
fn titles_refuse_carriage_returns_and_line_breaks_on_new_and_edit() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let before = env.snapshot();
    for title in ["a\rb", "a\nb", "a\u{2028}b"] {
        let out = env
            .run(&[
                "new",
                "--customer",
                "C000001",
                "--type",
                "complaint",
                "--priority",
                "urgent",
                "--channel",
                "phone",
                "--title",
                title,
            ])
            .fails(1);
        assert!(out.stderr.contains("a title is one line"), "{}", out.stderr);
        let set = format!("title={title}");
        let out = env.run(&["edit", &id, "--set", &set]).fails(1);
        assert!(out.stderr.contains("a title is one line"), "{}", out.stderr);
    }
    assert_eq!(env.snapshot(), before);
}

#[test]
fn error_messages_show_the_bad_value_escaped() {
    let env = TestEnv::new();
    let out = env
        .run(&["list", "--priority", "x\u{1b}]0;owned\u{7}"])
        .fails(1);
    assert_inert("stderr", &out.stderr);
    assert!(out.stderr.contains("x\\e]0;owned\\u{7}"), "{}", out.stderr);
}

/// The cells of a CSV text, parsed.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The column `name` of the first data row.
fn column(text: &str, name: &str) -> String {
    let rows = csv_rows(text);
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1][i].clone()
}

/// A store whose text cells begin with each formula character.
fn formula_store() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.run(&customer_add(
        "enterprise",
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        &["--at", "2026-01-05 10:00"],
    ))
    .ok();
    env.run(&customer_add(
        "individual",
        "@SUM(1+1)",
        &["--at", "2026-01-05 10:00", "--phone", "+44 20 7946 0958"],
    ))
    .ok();
    let id = env.new_ticket(&[
        "--customer",
        "C000004",
        "--title",
        "=1+1",
        "--category",
        "+cmd|' /C calc'!A0",
        "--at",
        "2026-11-02 10:00",
    ]);
    // A leading space keeps clap from reading "-2+3" as a flag; desk trims it.
    let closed = env.new_ticket(&["--title", " -2+3", "--at", "2026-11-20 10:00"]);
    env.run(&[
        "close",
        &closed,
        "--resolution",
        "fixed",
        "--at",
        "2026-11-23 08:00",
    ])
    .ok();
    (env, id)
}

#[test]
fn csv_neutralises_formula_cells_and_csv_raw_keeps_them() {
    let (env, _) = formula_store();
    let list = env.run(&["list", "--format", "csv"]).ok().stdout;
    assert_eq!(column(&list, "title"), "'=1+1");
    let raw = env
        .run(&["--csv-raw", "list", "--format", "csv"])
        .ok()
        .stdout;
    assert_eq!(column(&raw, "title"), "=1+1");

    // sla: the ticket is overdue; its negative number stays a number.
    let sla = env
        .run(&["sla", "--format", "csv", "--now", "2026-11-23 09:00"])
        .ok()
        .stdout;
    let rows = csv_rows(&sla);
    let title = rows[0].iter().position(|h| h == "title").unwrap();
    let remaining = rows[0]
        .iter()
        .position(|h| h == "resolution_remaining")
        .unwrap();
    let row = rows.iter().find(|r| r[title] == "'=1+1").expect(&sla);
    assert!(row[remaining].starts_with('-'), "{sla}");
    assert!(row[remaining].parse::<f64>().is_ok(), "{sla}");

    let due = env.run(&["survey", "--due", "--format", "csv"]).ok().stdout;
    assert_eq!(column(&due, "title"), "'-2+3");

    let customers = env
        .run(&["customer", "list", "--format", "csv", "--reveal"])
        .ok()
        .stdout;
    let rows = csv_rows(&customers);
    assert_eq!(rows[4][2], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(rows[5][2], "'@SUM(1+1)");
    assert_eq!(rows[5][3], "'+442079460958");
    let raw = env
        .run(&[
            "customer",
            "list",
            "--format",
            "csv",
            "--reveal",
            "--csv-raw",
        ])
        .ok()
        .stdout;
    assert_eq!(csv_rows(&raw)[5][2], "@SUM(1+1)");

    for args in [
        &["customer", "export"][..],
        &["customer", "export", "--reveal"],
    ] {
        let out = env.run(args).ok().stdout;
        let rows = csv_rows(&out);
        assert_eq!(rows[4][2], "'=HYPERLINK(\"http://evil.example\",\"x\")");
        assert!(rows[5][2].starts_with("'@"), "{out}");
        assert!(rows[5][4].starts_with("'+44"), "{out}");
    }

    let report = env
        .run(&[
            "report",
            "--month",
            "2026-11",
            "--by",
            "category",
            "--section",
            "types",
            "--format",
            "csv",
        ])
        .ok()
        .stdout;
    assert!(report.contains("\n'+cmd|' /C calc'!A0,"), "{report}");
    let raw = env
        .run(&[
            "report",
            "--month",
            "2026-11",
            "--by",
            "category",
            "--section",
            "types",
            "--format",
            "csv",
            "--csv-raw",
        ])
        .ok()
        .stdout;
    assert!(raw.contains("\n+cmd|' /C calc'!A0,"), "{raw}");
    env.run(&[
        "report", "--month", "2026-11", "--by", "category", "--out", "out",
    ])
    .ok();
    let types = std::fs::read_to_string(env.path("out/types.csv")).unwrap();
    assert!(types.contains("\n'+cmd|' /C calc'!A0,"), "{types}");
}

#[test]
fn export_then_import_round_trips_formula_text() {
    let (env, _) = formula_store();
    let export = env.run(&["customer", "export", "--reveal"]).ok().stdout;
    let other = TestEnv::bare();
    std::fs::write(other.path("in.csv"), &export).unwrap();
    other.run(&["customer", "import", "in.csv"]).ok();
    let json = other
        .run(&["customer", "list", "--format", "json", "--reveal"])
        .ok();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json[3]["name"], "=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(json[4]["name"], "@SUM(1+1)");
    assert_eq!(json[4]["phone"], "+442079460958");
}

#[test]
fn import_does_not_trim_a_cell_into_a_formula() {
    let env = TestEnv::bare();
    std::fs::write(env.path("in.csv"), "kind,name\nenterprise,\"\t=1+1\"\n").unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "in.csv"]).fails(1);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert!(out.stderr.contains("formula"), "{}", out.stderr);
    assert_inert("stderr", &out.stderr);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn check_findings_quote_file_values_escaped() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--title", "PLACEHOLDER"]);
    let path = env.ticket_path(&id);
    let yaml = std::fs::read_to_string(&path).unwrap();
    // The title field only, not the history: a hand edit that check reports.
    std::fs::write(
        &path,
        yaml.replacen("PLACEHOLDER", "\"evil\\e[2J\\nforged\"", 1),
    )
    .unwrap();
    let out = env.run(&["check"]).fails(1);
    assert_inert("check", &out.stdout);
    assert!(out.stdout.contains("evil\\e[2J\\nforged"), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
}

#[test]
fn report_summary_file_shows_hand_edited_values_escaped() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--at", "2026-11-02 10:00"]);
    let path = env.ticket_path(&id);
    let yaml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        yaml.replace("complaint", "\"complaint\\e]0;owned\\a\""),
    )
    .unwrap();
    env.run(&["report", "--month", "2026-11", "--out", "out"])
        .ok();
    let summary = std::fs::read_to_string(env.path("out/summary.txt")).unwrap();
    assert_inert("summary.txt", &summary);
    assert!(summary.contains("complaint\\e]0;owned\\u{7}"), "{summary}");
}

#[test]
fn customer_fields_refuse_carriage_returns_as_line_breaks() {
    let env = TestEnv::new();
    let before = env.snapshot();
    let out = env
        .run(&customer_add("enterprise", "Acme\rEvil", &[]))
        .fails(1);
    assert!(out.stderr.contains("expected one line"), "{}", out.stderr);
    assert!(out.stderr.contains("Acme\\rEvil"), "{}", out.stderr);
    let out = env
        .run(&["customer", "edit", "C000002", "--set", "name=Acme\rEvil"])
        .fails(1);
    assert!(out.stderr.contains("expected one line"), "{}", out.stderr);
    assert_eq!(env.snapshot(), before);
}
