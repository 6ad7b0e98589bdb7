//! Numbers and dates at and beyond their limits: a clear error naming the
//! value and the valid range, never a panic.

use crate::common::TestEnv;

/// Exit 101 is a Rust panic; 134 (or -1 on a signal) an abort.
#[track_caller]
fn refused(out: crate::common::Output, needle: &str) {
    assert_eq!(
        out.code, 1,
        "expected a refusal\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains(needle) && !out.stderr.contains("panicked"),
        "expected '{needle}' in: {}",
        out.stderr
    );
}

#[test]
fn huge_sla_targets_are_refused_naming_the_key() {
    let env = TestEnv::new();
    env.new_ticket(&[]);
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    for within in [
        "106751991d",
        "2562047788015h",
        "99999999999999d",
        "367d",
        "9999999999999999999999m",
    ] {
        let bad = config.replacen("within: 1h", &format!("within: {within}"), 1);
        assert_ne!(bad, config);
        std::fs::write(env.path("desk.yaml"), &bad).unwrap();
        for cmd in [&["sla"][..], &["report", "--month", "2026-11"]] {
            let out = env.run(cmd);
            refused(out, "sla.targets[urgent].response.within");
        }
        let out = env.run(&["sla"]);
        assert!(
            out.stderr.contains(within) && out.stderr.contains("366d"),
            "{}",
            out.stderr
        );
    }
    // The longest target allowed still works.
    let ok = config.replacen("within: 1h", "within: 366d", 1);
    std::fs::write(env.path("desk.yaml"), ok).unwrap();
    env.run(&["sla"]).ok();
}

#[test]
fn dates_outside_1970_to_9999_are_refused_everywhere() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let before = env.snapshot();
    for at in [
        "0001-01-01",
        "1969-12-31 23:59",
        "0000-01-01T00:00:00Z",
        "+10000-01-01",
    ] {
        let out = env.run(&["update", &id, "--note", "x", "--at", at]);
        refused(out, "1970-01-01");
    }
    let out = env.run(&["report", "--from=-262143-01-01", "--to=2026-01-01"]);
    refused(out, "1970-01-01");
    let out = env.run(&["report", "--from=2026-01-01", "--to=+262142-12-31"]);
    refused(out, "9999-12-31");
    for month in ["0000-01", "1969-12", "10000-01", "-5-01"] {
        let month = &format!("--month={month}");
        refused(env.run(&["report", month]), "--month");
    }
    refused(env.run(&["report", "--quarter", "1969Q4"]), "--quarter");
    // The first month of the range has a previous period that still works.
    env.run(&["report", "--month", "1970-01"]).ok();
    env.run(&["report", "--from", "1970-01-01", "--to", "1970-01-31"])
        .ok();
    env.run(&["report", "--month", "9999-12"]).ok();
    refused(
        env.run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "last_contact=1969-12-31",
        ]),
        "from 1970-01-01",
    );
    let mut early = TestEnv::new();
    early.root = env.root.clone();
    early.at("0000-01-01");
    refused(early.run(&["list"]), "DESK_NOW");
    early.at("");
    refused(early.run(&["list"]), "DESK_NOW");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn holidays_outside_the_date_range_name_their_key() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("calendars")).unwrap();
    std::fs::write(env.path("calendars/far.yaml"), "holidays:\n- 0001-01-01\n").unwrap();
    let out = env.run(&["sla"]);
    refused(out, "calendars/far.yaml");
    std::fs::write(
        env.path("calendars/far.yaml"),
        "holidays:\n- 2026-01-01..9999-12-31\n",
    )
    .unwrap();
    refused(env.run(&["sla"]), "calendars/far.yaml");
}

#[test]
fn demo_sizes_are_bounded() {
    let mut env = TestEnv::empty();
    for (flag, range) in [
        ("--months", "1..=120"),
        ("--tickets", "0..=1000000"),
        ("--customers", "1..=1000000"),
    ] {
        let out = env.run(&["demo", "d", flag, "4294967295"]).fails(2);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(range),
            "{}",
            out.stderr
        );
    }
    // A history reaching back before 1970 is refused before anything is made.
    env.at("1975-01-01T00:00:00Z");
    refused(
        env.run(&["demo", "d", "--months", "60"]),
        "before 1970-01-01",
    );
    assert!(!env.path("d").exists(), "a refused demo creates nothing");
    env.run(&["demo", "d", "--months", "36", "--tickets", "5"])
        .ok();
}

/// One hand-made ID at the top of its space (a serial of 99999999, a
/// customer C18446744073709551615) no longer blocks every later one: new
/// IDs continue the sequence below it, `desk check` warns about it, and an
/// import refuses to give such an ID.
#[test]
fn ids_far_above_the_others_are_passed_warned_and_refused_on_import() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let top = format!("{}99999999", &id[..10]);
    let text = env.read_ticket(&id).replace(&id, &top);
    std::fs::write(env.ticket_path(&top), text).unwrap();
    let next = env.new_ticket(&["--title", "One more"]);
    assert_eq!(next, format!("{}0002", &id[..10]));

    let top = "C18446744073709551615";
    let text = std::fs::read_to_string(env.path("customers/C000001.yaml"))
        .unwrap()
        .replace("C000001", top)
        .replace("13900000001", "13900000008");
    std::fs::write(env.path(&format!("customers/{top}.yaml")), text).unwrap();
    let out = env
        .run(&crate::common::customer_add(
            "individual",
            "王五",
            &["--phone", "13900000009"],
        ))
        .ok();
    assert_eq!(out.stdout, "C000004\n");

    // Warned, not failed: nothing is wrong, but the IDs were made by hand.
    let out = env.run(&["check"]).ok();
    for expected in [
        "warning: customers/C18446744073709551615.yaml: customer number 18446744073709551615 \
         is more than 1,000,000 above the other customer numbers; new customers are numbered \
         after C000004",
        &format!(
            "warning: tickets/2026/11/{}99999999.yaml: serial 99999999 is more than 10,000 \
             above the day's other serials; new tickets of that day are numbered after {}",
            &id[..10],
            next
        ),
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?} in {}",
            out.stderr
        );
    }

    // An import may give IDs with gaps, but none far above the others.
    std::fs::write(
        env.path("far.csv"),
        "id,kind,name\nC000900,个人,甲\nC900000,个人,乙\nC1900000,个人,丙\nC99999999999,个人,丁\n",
    )
    .unwrap();
    let before = env.snapshot();
    let err = env.run(&["customer", "import", "far.csv"]).fails(1).stderr;
    assert!(
        err.contains(
            "1 bad row(s); nothing was imported:\n  line 5: customer C99999999999 is far above \
             the store's customer numbers (the highest is C000004): an ID more than 1,000,000 \
             above them is refused"
        ),
        "{err}"
    );
    assert_eq!(before, env.snapshot());
    std::fs::write(
        env.path("far.csv"),
        "id,kind,name\nC000900,个人,甲\nC900000,个人,乙\nC1900000,个人,丙\n,个人,戊\n",
    )
    .unwrap();
    let out = env.run(&["customer", "import", "far.csv"]).ok();
    assert_eq!(out.stdout, "C000900\nC900000\nC1900000\nC1900001\n");
}

#[test]
fn list_keys_are_named_by_their_plural() {
    let env = TestEnv::new();
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let start = config
        .find("\npriorities:")
        .expect("priorities in desk.yaml")
        + 1;
    let end = start
        + config[start..]
            .find("\nchannels:")
            .expect("channels after priorities")
        + 1;
    let bad = format!("{}priorities: []\n{}", &config[..start], &config[end..]);
    std::fs::write(env.path("desk.yaml"), bad).unwrap();
    let out = env.run(&["list"]).fails(1);
    assert!(
        out.stderr.contains("`priorities:` must list"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("prioritys"), "{}", out.stderr);
}

#[test]
fn a_damaged_cache_is_never_believed() {
    let env = TestEnv::new();
    for i in 0..3 {
        env.new_ticket(&["--title", &format!("ticket {i} 设备无法开机")]);
    }
    // Files changed in the last two seconds are never cached: this first
    // reading runs as if they were older.
    let list = || env.run(&["list", "--all", "--format", "json"]).ok().stdout;
    let uncached = env
        .run_settled(&["list", "--all", "--format", "json"])
        .ok()
        .stdout;
    let cache = env.path(".desk/cache/tickets.bin");
    let good = std::fs::read(&cache).unwrap();
    assert!(good.len() > 300, "the cache holds the three tickets");
    assert_eq!(list(), uncached);
    let trial = |damaged: Vec<u8>, what: &str| {
        std::fs::write(&cache, &damaged).unwrap();
        assert_eq!(list(), uncached, "{what}");
    };
    // One bit at positions all over the file, the format mark included...
    let step = (good.len() / 60).max(1);
    for pos in (0..good.len()).step_by(step) {
        let mut bytes = good.clone();
        bytes[pos] ^= 1 << (pos % 8);
        trial(bytes, &format!("bit {} of byte {pos}", pos % 8));
    }
    // ...and 30 bits at once, at pseudo-random places.
    let mut seed: u64 = 7;
    for t in 0..8 {
        let mut bytes = good.clone();
        for _ in 0..30 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (seed >> 33) as usize % bytes.len();
            bytes[pos] ^= 1 << ((seed >> 20) % 8);
        }
        trial(bytes, &format!("30 bits, trial {t}"));
    }
    // A cache cut short or grown is rebuilt too.
    trial(good[..good.len() / 2].to_vec(), "truncated");
    trial([&good[..], &good[8..40]].concat(), "trailing bytes");
}

#[test]
fn check_validates_each_event_against_its_action() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    env.run(&["check"]).ok();
    let path = env.ticket_path(&id);
    let clean = env.read_ticket(&id);
    for (event, problem) in [
        (
            "  action: updated\n  status: exploded\n  note: boom\n",
            "status 'exploded' is not pending or in_progress",
        ),
        (
            "  action: assigned\n  note: nobody\n",
            "`assigned` events need `to`",
        ),
        (
            "  action: surveyed\n  scores: {taste: 3}\n",
            "'taste', which is not a survey dimension",
        ),
    ] {
        let text = format!("{clean}- at: 2026-11-23T10:00:00+08:00\n  by: tester\n{event}");
        std::fs::write(&path, text).unwrap();
        let out = env.run(&["check"]).fails(1);
        assert!(
            out.stdout.contains("event 2 ") && out.stdout.contains(problem),
            "{}",
            out.stdout
        );
    }
    // An action from a newer desk is kept and accepted.
    let text = format!(
        "{clean}- at: 2026-11-23T10:00:00+08:00\n  by: tester\n  action: escalated\n  level: 2\n"
    );
    std::fs::write(&path, text).unwrap();
    env.run(&["check"]).ok();
}

/// Not a limit, found beside them: a field cleared by hand is recorded as
/// an edit `to: null`, which must clear it when the history is replayed.
#[test]
fn a_field_cleared_by_hand_is_recorded_once_and_stays_cleared() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--category", "logistics"]);
    let path = env.ticket_path(&id);
    let text = env
        .read_ticket(&id)
        .replacen("\ncategory: logistics\n", "\ncategory: null\n", 1);
    std::fs::write(&path, text).unwrap();
    env.run(&["check", "--fix"]).ok();
    env.run(&["check"]).ok();
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    let edits = history.iter().filter(|e| e["action"] == "edited").count();
    assert_eq!(edits, 1);
    env.run(&["update", &id, "--note", "still here"]).ok();
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    assert_eq!(
        history.iter().filter(|e| e["action"] == "edited").count(),
        1
    );
    assert!(env.ticket_yaml(&id)["category"].is_null());
}

/// desk never writes a record it could not read back (over 4 MiB).
#[test]
fn a_write_that_would_pass_the_read_limit_is_refused() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let before = env.snapshot();
    let long = "x".repeat(2_100_000);
    let out = env.run_stdin(
        &[
            "new",
            "--customer",
            "C000001",
            "--title",
            "t",
            "--type",
            "requirement",
            "--priority",
            "normal",
            "--channel",
            "phone",
            "--description",
            "-",
        ],
        &long,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("over desk's limit of 4 MiB"),
        "{}",
        out.stderr
    );
    let note = "y".repeat(4_300_000);
    let out = env.run_stdin(&["update", &id, "--note", "-"], &note);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(before, env.snapshot(), "a refused write changed files");
    env.run(&["show", &id]).ok();
    // A customer too: an import row with a 5 MB note writes nothing.
    std::fs::write(
        env.path("big.csv"),
        format!(
            "kind,name,notes\nindividual,王五,{}\n",
            "z".repeat(5_000_000)
        ),
    )
    .unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "big.csv"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("over desk's limit"), "{}", out.stderr);
    assert_eq!(before, env.snapshot(), "a refused import changed files");
    env.run(&["check"]).ok();
}

/// `check --fix` records the hand edits it can and reports the others: a
/// ticket whose ID is not one, or that is not at its ID's place, needs a
/// person first (it used to panic, or to stop the whole check).
#[test]
fn check_fix_reports_hand_edits_it_cannot_record() {
    let env = TestEnv::new();
    let [fine, bad, moved] = [0, 1, 2].map(|_| env.new_ticket(&[]));
    let edit = |id: &str, from: &str, to: &str| {
        let text = env.read_ticket(id).replacen(from, to, 1);
        std::fs::write(env.ticket_path(id), text).unwrap();
    };
    for id in [&fine, &bad, &moved] {
        edit(id, "\ntitle: ", "\ntitle: by hand ");
    }
    edit(&bad, &format!("id: {bad}\n"), "id: BOGUS\n");
    let elsewhere = env.root.join("tickets").join(format!("{moved}.yaml"));
    std::fs::rename(env.ticket_path(&moved), &elsewhere).unwrap();
    let out = env.run(&["check", "--fix"]).fails(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    let bad_file = format!(
        "{}:",
        env.ticket_path(&bad)
            .strip_prefix(&env.root)
            .unwrap()
            .display()
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&bad_file) && l.contains("'BOGUS' is not a ticket ID")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&bad_file) && l.contains("a hand edit?")));
    let moved_file = format!("tickets/{moved}.yaml:");
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&moved_file) && l.contains("belongs at")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&moved_file) && l.contains("a hand edit?")));
    assert!(
        out.stderr.contains("recorded 1 hand edit(s)"),
        "{}",
        out.stderr
    );
    assert!(env.read_ticket(&fine).contains("action: edited"));
}
