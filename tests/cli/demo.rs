use crate::common::TestEnv;

#[test]
fn demo_is_deterministic_and_realistic() {
    let env = TestEnv::empty();
    env.run(&["demo", "a", "--tickets", "80", "--seed", "3"])
        .ok();
    env.run(&["demo", "b", "--tickets", "80", "--seed", "3"])
        .ok();
    env.run(&["demo", "c", "--tickets", "80", "--seed", "4"])
        .ok();
    let files = |d: &str| {
        let mut sub = TestEnv::empty();
        sub.root = env.path(d);
        sub.snapshot()
    };
    assert_eq!(files("a"), files("b"));
    assert_ne!(files("a"), files("c"));
    let out = env
        .run(&["--dir", "a", "list", "--all", "--format", "json"])
        .ok();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let tickets = list.as_array().unwrap();
    assert_eq!(tickets.len(), 80);
    let has = |key: &str, value: &str| tickets.iter().any(|t| t[key] == value);
    for p in ["urgent", "important", "normal"] {
        assert!(has("priority", p), "no {p} ticket");
    }
    assert!(has("status", "closed") && tickets.iter().any(|t| t["status"] != "closed"));
    assert!(tickets
        .iter()
        .any(|t| t["title"].as_str().unwrap().chars().any(|c| c > '\u{4e00}')));
    // Customers of both kinds, every ticket's customer exists, and the store
    // passes its own check.
    let out = env
        .run(&["--dir", "a", "customer", "list", "--format", "json"])
        .ok();
    let customers: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let kinds: Vec<&str> = customers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"individual") && kinds.contains(&"enterprise"));
    env.run(&["--dir", "a", "check"]).ok();
    let dormant = env
        .run(&[
            "--dir",
            "a",
            "customer",
            "list",
            "--dormant",
            "--format",
            "ids",
        ])
        .ok();
    assert!(
        !dormant.stdout.is_empty(),
        "the demo has customers to call back"
    );
}

#[test]
fn demo_refuses_a_non_empty_directory() {
    let env = TestEnv::new();
    let out = env.run(&["demo", "."]).fails(1);
    assert!(
        out.stderr.contains("new or empty directory"),
        "{}",
        out.stderr
    );
}

/// Long work draws a progress bar on a terminal, and nothing of it in a
/// pipe or a file (cron's mail, a script's log).
#[cfg(unix)]
#[test]
fn long_work_shows_progress_on_a_terminal_only() {
    let env = TestEnv::empty();
    let out = env.run_all_tty(100, &["demo", "big", "--tickets", "6000", "--seed", "2"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("writing tickets ["), "{}", out.stdout);
    let out = env.run(&["demo", "quiet", "--tickets", "6000", "--seed", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("writing tickets"), "{}", out.stderr);
    // Reading every ticket of a store without its cache, as `desk check` does.
    let dir = env.path("big");
    let out = env.run_all_tty(100, &["--dir", dir.to_str().unwrap(), "check"]);
    assert!(out.stdout.contains("checking tickets ["), "{}", out.stdout);
}
