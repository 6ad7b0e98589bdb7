//! Day one of a team: set-up commands a new user copies from README.md and
//! docs/git.md, run as written.

use std::path::Path;

use crate::common::TestEnv;

#[test]
fn keys_init_creates_the_key_directory_and_says_what_to_export() {
    let env = TestEnv::new();
    // The home directory lies outside the store: a key inside it is refused.
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join(".config/desk/helpdesk.key");
    let out = env
        .run(&["keys", "init", "--identity", key.to_str().unwrap()])
        .ok();
    assert!(out.stdout.starts_with("age1"), "{}", out.stdout);
    assert!(key.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(key.parent().unwrap()), 0o700);
        assert_eq!(mode(&home.path().join(".config")), 0o700);
    }
    // The next step without a key names the variables to export, not `desk keys init`.
    let out = env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "id_card=11010519491231002X",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("export DESK_LOOKUP_KEY_FILE=")
            && out.stderr.contains("DESK_KEY_FILE=FILE, the identity"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("run `desk keys init`"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_installs_the_china_calendar_for_shanghai_and_names_given_agents() {
    let env = TestEnv::empty();
    let out = env
        .run(&["init", "a", "--agent", "li.na:李娜:service"])
        .ok();
    assert!(
        !out.stderr.contains("edit desk.yaml to set your agents"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("calendars/cn-2026.yaml"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.path("a/calendars/cn-2026.yaml")).unwrap(),
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calendars/cn-2026.yaml")
        )
        .unwrap()
    );
    let out = env.run(&["init", "b"]).ok();
    assert!(
        out.stderr.contains("edit desk.yaml to set your agents"),
        "{}",
        out.stderr
    );
    // Another zone gets no calendar unless asked; `none` turns it off.
    env.run(&["init", "c", "--timezone", "Europe/Berlin"]).ok();
    assert!(!env.path("c/calendars/cn-2026.yaml").exists());
    env.run(&["init", "d", "--calendar", "none"]).ok();
    assert!(!env.path("d/calendars/cn-2026.yaml").exists());
    env.run(&[
        "init",
        "e",
        "--timezone",
        "Europe/Berlin",
        "--calendar",
        "cn",
    ])
    .ok();
    assert!(env.path("e/calendars/cn-2026.yaml").is_file());
    env.run(&["init", "g", "--calendar", "NONE"]).ok();
    assert!(!env.path("g/calendars").exists());
    let out = env.run(&["init", "f", "--calendar", "fr"]).fails(1);
    assert!(
        out.stderr.contains("'fr'") && out.stderr.contains("cn"),
        "{}",
        out.stderr
    );
    assert!(!env.path("f/desk.yaml").exists());
}

/// README's command regenerates `examples/demo/` byte for byte.
#[test]
fn the_demo_store_regenerates_byte_for_byte() {
    let mut env = TestEnv::empty();
    env.at("2026-11-23T18:00:00+08:00");
    env.run(&["demo", "demo", "--seed", "9"]).ok();
    let mut made = TestEnv::empty();
    made.root = env.path("demo");
    let mut shipped = TestEnv::empty();
    shipped.root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let (made, shipped) = (made.snapshot(), shipped.snapshot());
    let names = |s: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>| {
        s.keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(names(&made), names(&shipped));
    for (path, bytes) in &shipped {
        assert!(made[path] == *bytes, "{} differs", path.display());
    }
}

#[test]
fn report_out_ending_in_a_slash_makes_the_period_folder() {
    let mut env = TestEnv::new();
    env.at("2026-11-01T06:00:00+08:00");
    env.run(&["report", "--month", "last", "--out", "reports/"])
        .ok();
    assert!(env.path("reports/2026-10/summary.txt").is_file());
    // Run again (cron twice in a month): the same folder, no nesting.
    let out = env
        .run(&["report", "--month", "last", "--out", "reports/"])
        .ok();
    assert_eq!(out.stdout.trim(), "reports/2026-10");
    assert!(!env.path("reports/2026-10/2026-10").exists());
    env.run(&["report", "--month", "2026-09", "--out", "r/{period}"])
        .ok();
    assert!(env.path("r/2026-09/summary.txt").is_file());
    // A plain name is the folder itself, as before.
    env.run(&["report", "--month", "2026-08", "--out", "aug"])
        .ok();
    assert!(env.path("aug/summary.txt").is_file());
}

/// From December, `desk check` reminds the team to add next year's holidays,
/// without failing (the pre-commit hook and cron commits run it).
#[test]
fn check_warns_in_december_that_next_years_holidays_are_missing() {
    let mut env = TestEnv::new();
    env.run(&["check"]).ok();
    env.at("2026-12-01T09:00:00+08:00");
    let out = env.run(&["check"]).ok();
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("warning: calendars: holidays and make-up workdays are known up to 2026"),
        "{}",
        out.stderr
    );
}
