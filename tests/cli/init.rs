use crate::common::TestEnv;

#[test]
fn init_creates_the_store_layout() {
    let env = TestEnv::new();
    for path in ["desk.yaml", "tickets", "customers", ".gitignore"] {
        assert!(env.path(path).exists(), "{path} missing");
    }
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    assert!(config.contains("format: 1"));
    assert!(config.contains("key: complaint"));
    assert!(config.contains("label: 投诉"));
    assert!(config.contains("role: supervisor"));
    let ignore = std::fs::read_to_string(env.path(".gitignore")).unwrap();
    assert!(ignore.contains("/.desk/"));
    // Temporary files of a killed writer never reach git.
    assert!(ignore.lines().any(|l| l == ".*.tmp"), "{ignore}");
}

#[test]
fn init_refuses_an_existing_store_and_changes_nothing() {
    let env = TestEnv::new();
    let before = env.snapshot();
    let out = env.run(&["init", "."]).fails(1);
    assert!(
        out.stderr.contains("already a desk store"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn init_takes_agents_prefix_and_zone_and_rejects_bad_ones() {
    let env = TestEnv::empty();
    env.run(&[
        "init",
        "s",
        "--prefix",
        "HD",
        "--timezone",
        "Europe/Berlin",
        "--agent",
        "ann:Ann:engineer:ann@x.org",
    ])
    .ok();
    let config = std::fs::read_to_string(env.path("s/desk.yaml")).unwrap();
    assert!(
        config.contains("id_prefix: HD")
            && config.contains("Europe/Berlin")
            && config.contains("id: ann")
    );
    assert!(!config.contains("li.na"));

    let out = env
        .run(&["init", "t", "--timezone", "Mars/Olympus"])
        .fails(1);
    assert!(
        out.stderr.contains("Mars/Olympus") && out.stderr.contains("IANA"),
        "{}",
        out.stderr
    );
    let out = env.run(&["init", "t", "--agent", "bob:Bob:boss"]).fails(1);
    assert!(
        out.stderr.contains("bob:Bob:boss") && out.stderr.contains("supervisor"),
        "{}",
        out.stderr
    );
    assert!(!env.path("t/desk.yaml").exists());
}

#[test]
fn the_store_is_found_from_subdirectories_dir_and_desk_dir() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    // Walking up from a subdirectory, as git does.
    let out = env
        .output(
            env.cmd()
                .current_dir(env.path("tickets"))
                .args(["list", "--format", "ids"]),
        )
        .ok();
    assert_eq!(out.stdout.trim(), id);
    // --dir and DESK_DIR from outside.
    let outside = TestEnv::empty();
    let dir = env.root.to_str().unwrap();
    let out = outside.run(&["--dir", dir, "list", "--format", "ids"]).ok();
    assert_eq!(out.stdout.trim(), id);
    let out = outside
        .output(
            outside
                .cmd()
                .env("DESK_DIR", dir)
                .args(["list", "--format", "ids"]),
        )
        .ok();
    assert_eq!(out.stdout.trim(), id);
}

#[test]
fn outside_a_store_says_so_with_a_hint() {
    let env = TestEnv::empty();
    let out = env.run(&["list"]).fails(1);
    assert!(
        out.stderr.contains("not inside a desk store"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: run `desk init`"),
        "{}",
        out.stderr
    );
    let out = env.run(&["--dir", "/nonexistent/store", "list"]).fails(1);
    assert!(out.stderr.contains("/nonexistent/store"), "{}", out.stderr);
}
