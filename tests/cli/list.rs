use crate::common::TestEnv;

fn store_with_tickets() -> (TestEnv, Vec<String>) {
    let mut env = TestEnv::new();
    let a = env.new_ticket(&[]);
    env.at("2026-11-23T10:00:00+08:00");
    let b = env
        .run(&[
            "new",
            "--customer",
            "C000002",
            "--type",
            "建议",
            "--priority",
            "normal",
            "--channel",
            "email",
            "--title",
            "操作太复杂",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.run(&["assign", &b, "li.na"]).ok();
    env.at("2026-11-24T10:00:00+08:00");
    let c = env.new_ticket(&["--customer", "C000002"]);
    env.run(&["close", &a, "--resolution", "fixed"]).ok();
    (env, vec![a, b, c])
}

#[test]
fn lists_open_work_newest_first_by_default() {
    let (env, ids) = store_with_tickets();
    let out = env.run(&["list", "--format", "ids"]).ok();
    assert_eq!(out.stdout, format!("{}\n{}\n", ids[2], ids[1]));
    let out = env.run(&["list", "--all", "--format", "ids"]).ok();
    assert_eq!(out.stdout, format!("{}\n{}\n{}\n", ids[2], ids[1], ids[0]));
}

#[test]
fn filters_combine() {
    let (env, ids) = store_with_tickets();
    let ids_of = |args: &[&str]| {
        let mut full = vec!["list", "--format", "ids"];
        full.extend_from_slice(args);
        env.run(&full)
            .ok()
            .stdout
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids_of(&["--status", "closed"]), [ids[0].clone()]);
    assert_eq!(
        ids_of(&["--status", "已关闭", "--status", "open"]),
        [ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(ids_of(&["--priority", "一般"]), [ids[1].clone()]);
    assert_eq!(ids_of(&["--type", "suggestion"]), [ids[1].clone()]);
    assert_eq!(ids_of(&["--assignee", "li.na"]), [ids[1].clone()]);
    assert_eq!(
        ids_of(&["--customer", "c000002"]),
        [ids[2].clone(), ids[1].clone()]
    );
    assert_eq!(
        ids_of(&["--all", "--since", "2026-11-24"]),
        [ids[2].clone()]
    );
    assert_eq!(
        ids_of(&["--all", "--until", "2026-11-23"]),
        [ids[1].clone(), ids[0].clone()]
    );
}

#[test]
fn csv_and_json_are_for_scripts() {
    let (env, ids) = store_with_tickets();
    let out = env.run(&["list", "--all", "--format", "csv"]).ok();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "id", "created", "status", "priority", "type", "channel", "assignee", "customer",
            "title"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[1][0], ids[1]);
    assert_eq!(&rows[1][1], "2026-11-23T10:00:00+08:00");
    assert_eq!(&rows[1][6], "li.na");
    assert_eq!(&rows[1][8], "操作太复杂");

    let out = env.run(&["list", "--all", "--format", "json"]).ok();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[0]["id"], ids[2].as_str());
    assert_eq!(json[0]["assignee"], serde_json::Value::Null);
    assert_eq!(json[2]["status"], "closed");
}

#[test]
fn tables_align_cjk_and_carry_no_ansi() {
    let (env, _) = store_with_tickets();
    let out = env.run(&["list", "--all", "--format", "table"]).ok();
    assert!(
        !out.stdout.contains('\u{1b}'),
        "ANSI escape in {}",
        out.stdout
    );
    assert!(out.stdout.contains("操作太复杂"));
    // The last column (the title) starts at the same display column on
    // every line, CJK before it or not; no line ends in blanks.
    let starts: Vec<usize> = out
        .stdout
        .lines()
        .map(|l| display_width(l.rsplit_once("  ").unwrap().0) + 2)
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] == w[1]),
        "{starts:?}\n{}",
        out.stdout
    );
    assert!(out.stdout.lines().all(|l| l == l.trim_end()));
}

fn display_width(line: &str) -> usize {
    line.chars()
        .map(|c| {
            if c > '\u{1100}' && !('\u{2500}'..='\u{257f}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn output_is_deterministic() {
    let (env, _) = store_with_tickets();
    // A second ticket created at the same moment as the last: ties too
    // come out in one order.
    env.new_ticket(&["--customer", "C000003"]);
    // Parsed from every file (no cache), then written to the cache as
    // settled, then read from it: the same bytes each time, in every format.
    for format in ["json", "csv", "table"] {
        let list = ["list", "--all", "--format", format];
        env.run(&["cache", "clear"]).ok();
        let parsed = env.run(&list).ok().stdout;
        let caching = env.run_settled(&list).ok().stdout;
        let cached = env.run(&list).ok().stdout;
        assert_eq!(parsed, caching, "{format}");
        assert_eq!(parsed, cached, "{format}");
    }
    let stats = env.run(&["cache", "stats"]).ok().stdout;
    assert!(
        stats.contains("fresh: 4"),
        "the last run read the cache: {stats}"
    );
}

#[test]
fn filters_by_assignment_channel_tag_and_category() {
    let env = TestEnv::new();
    // (new_ticket replaces a repeated flag's value: two tags need the full command.)
    let phone = env
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
            "退货未到账",
            "--category",
            "物流",
            "--tag",
            "退货",
            "--tag",
            "VIP",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let chat = env.new_ticket(&["--channel", "微信", "--category", "价格", "--tag", "vip"]);
    let mail = env.new_ticket(&["--channel", "邮件", "--category", "物流"]);
    env.run(&["assign", &mail, "li.na"]).ok();
    let ids_of = |args: &[&str]| {
        let mut full = vec!["list", "--format", "ids"];
        full.extend_from_slice(args);
        let out = env.run(&full).ok().stdout;
        let mut ids: Vec<String> = out.lines().map(String::from).collect();
        ids.sort();
        ids
    };
    let sorted = |ids: &[&String]| {
        let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(ids_of(&["--unassigned"]), sorted(&[&phone, &chat]));
    // Channels by key, label or alias.
    assert_eq!(ids_of(&["--channel", "social"]), sorted(&[&chat]));
    assert_eq!(ids_of(&["--channel", "微信"]), sorted(&[&chat]));
    assert_eq!(ids_of(&["--channel", "邮件"]), sorted(&[&mail]));
    // Tags and categories are free-form; Latin letters in any case.
    assert_eq!(ids_of(&["--tag", "VIP"]), sorted(&[&phone, &chat]));
    assert_eq!(
        ids_of(&["--tag", "vip", "--tag", "退货"]),
        sorted(&[&phone])
    );
    assert_eq!(ids_of(&["--category", "物流"]), sorted(&[&phone, &mail]));
    assert_eq!(
        ids_of(&["--category", "物流", "--unassigned"]),
        sorted(&[&phone])
    );
    assert!(ids_of(&["--category", "售后"]).is_empty());
    // Bad values are refused naming what is valid.
    let out = env.run(&["list", "--channel", "fax"]).fails(1);
    assert!(
        out.stderr.contains("invalid channel 'fax'") && out.stderr.contains("social (社交媒体"),
        "{}",
        out.stderr
    );
    let out = env.run(&["list", "--tag", " "]).fails(1);
    assert!(out.stderr.contains("invalid tag"), "{}", out.stderr);
    let out = env.run(&["list", "--category", ""]).fails(1);
    assert!(out.stderr.contains("invalid category"), "{}", out.stderr);
    // Unassigned and an assignee exclude each other.
    env.run(&["list", "--unassigned", "--assignee", "li.na"])
        .fails(2);
}
