//! How desk reads the store's files: no symbolic link is followed, no
//! special file is opened, oversized or deeply nested YAML is refused fast,
//! and a UTF-8 byte order mark is accepted. Every refused entry is named.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Output, TestEnv};

/// Runs `desk ARGS`, failing the test (instead of hanging the suite) if the
/// command has not finished within `secs`.
fn run_within(env: &TestEnv, args: &[&str], secs: u64) -> Output {
    let mut child = env
        .std_cmd()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("desk {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A store with two tickets; returns the ID of the second, whose file the
/// tests replace.
fn two_tickets() -> (TestEnv, String, String) {
    let env = TestEnv::new();
    let first = env.new_ticket(&[]);
    let second = env.new_ticket(&["--title", "Second"]);
    (env, first, second)
}

const SECRET: &str = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";

fn rel(env: &TestEnv, path: &Path) -> String {
    path.strip_prefix(&env.root).unwrap().display().to_string()
}

/// `list`, `report` and `check` name `entry` and fail; `list` still shows
/// the readable ticket.
#[track_caller]
fn every_reader_names(env: &TestEnv, readable: &str, entry: &str) {
    let list = run_within(env, &["list", "--all"], 10).fails(1);
    assert!(list.stdout.contains(readable), "{}", list.stdout);
    assert!(list.stderr.contains(entry), "{}", list.stderr);
    let report = run_within(env, &["report"], 10);
    assert_ne!(report.code, 0, "{}", report.stderr);
    assert!(report.stderr.contains(entry), "{}", report.stderr);
    let check = run_within(env, &["check"], 10).fails(1);
    assert!(check.stdout.contains(entry), "{}", check.stdout);
    // `show` lists the customer's other open tickets: it warns that the
    // list may miss one.
    let show = run_within(env, &["show", readable], 10).ok();
    assert!(show.stderr.contains(entry), "{}", show.stderr);
    for out in [&list, &report, &check, &show] {
        assert!(!out.stdout.contains(SECRET), "{}", out.stdout);
        assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
    }
}

#[test]
fn a_ticket_linked_to_a_secret_is_refused_and_never_echoed() {
    let (env, first, second) = two_tickets();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("desk.key");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let path = env.ticket_path(&second);
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    let entry = rel(&env, &path);

    let show = env.run(&["show", &second]);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains(&entry), "{}", show.stderr);
    assert!(show.stderr.contains("symbolic link"), "{}", show.stderr);
    assert!(!show.stderr.contains("AGE-SECRET"), "{}", show.stderr);
    every_reader_names(&env, &first, &entry);
    // Neither is a write through the link possible.
    let out = env.run(&["assign", &second, "--to", "wang.qiang"]);
    assert_ne!(out.code, 0);
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        format!("{SECRET}\n")
    );
}

#[test]
fn a_foreign_file_in_the_store_is_not_quoted_in_parse_errors() {
    let (env, first, second) = two_tickets();
    let path = env.ticket_path(&second);
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    let show = env.run(&["show", &second]);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains(&rel(&env, &path)), "{}", show.stderr);
    assert!(!show.stderr.contains("AGE-SECRET"), "{}", show.stderr);
    every_reader_names(&env, &first, &rel(&env, &path));
}

#[test]
fn a_fifo_named_yaml_is_reported_without_blocking() {
    let (env, first, second) = two_tickets();
    let path = env.ticket_path(&second);
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let show = run_within(&env, &["show", &second], 10);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains("FIFO"), "{}", show.stderr);
    every_reader_names(&env, &first, &rel(&env, &path));
}

#[test]
fn a_directory_named_yaml_is_reported() {
    let (env, first, second) = two_tickets();
    let path = env.ticket_path(&second);
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    every_reader_names(&env, &first, &rel(&env, &path));
}

#[test]
fn a_linked_month_folder_is_not_read_and_not_written_through() {
    let (env, first, _) = two_tickets();
    let outside = tempfile::tempdir().unwrap();
    let december = env.path("tickets/2026/12");
    std::os::unix::fs::symlink(outside.path(), &december).unwrap();
    // A ticket file out there would be listed if the link were followed.
    std::fs::copy(
        env.ticket_path(&first),
        outside.path().join("CW202612010001.yaml"),
    )
    .unwrap();
    every_reader_names(&env, &first, "tickets/2026/12");

    let mut env = env;
    env.at("2026-12-02T09:00:00+08:00");
    let new = env.run(&[
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
        "Elsewhere",
    ]);
    assert_ne!(new.code, 0, "{}", new.stdout);
    assert!(new.stderr.contains("tickets/2026/12"), "{}", new.stderr);
    assert!(new.stderr.contains("symbolic link"), "{}", new.stderr);
    let there: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert_eq!(there.len(), 1, "nothing written outside the store");
}

/// A ticket of `depth` nested flow lists in its title.
fn nested(depth: usize) -> String {
    format!(
        "id: CW202611230002\ntitle: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn deeply_nested_yaml_is_refused_fast_naming_the_file() {
    let (env, first, second) = two_tickets();
    let path = env.ticket_path(&second);
    // 200 KB: without a depth limit every command takes tens of seconds.
    std::fs::write(&path, nested(100_000)).unwrap();
    let entry = rel(&env, &path);
    let show = run_within(&env, &["show", &second], 5);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains(&entry), "{}", show.stderr);
    assert!(show.stderr.contains("nest"), "{}", show.stderr);
    let list = run_within(&env, &["list", "--all"], 5).fails(1);
    assert!(list.stdout.contains(&first));
    assert!(list.stderr.contains(&entry), "{}", list.stderr);
    let check = run_within(&env, &["check"], 5).fails(1);
    assert!(check.stdout.contains(&entry), "{}", check.stdout);
}

#[test]
fn deeply_nested_customer_and_config_files_are_refused_fast() {
    let env = TestEnv::new();
    let customer = env.path("customers/C000002.yaml");
    std::fs::write(&customer, nested(100_000)).unwrap();
    let out = run_within(&env, &["customer", "show", "C000002"], 5);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("customers/C000002.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nest"), "{}", out.stderr);

    let mut config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    config.push_str(&format!(
        "extra: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    std::fs::write(env.path("desk.yaml"), config).unwrap();
    let out = run_within(&env, &["list"], 5);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("desk.yaml"), "{}", out.stderr);
    assert!(out.stderr.contains("nest"), "{}", out.stderr);
}

#[test]
fn a_huge_sparse_file_is_refused_by_its_size_without_reading_it() {
    let (env, first, second) = two_tickets();
    let path = env.ticket_path(&second);
    std::fs::File::create(&path)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let entry = rel(&env, &path);
    let show = run_within(&env, &["show", &second], 5);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains(&entry), "{}", show.stderr);
    assert!(show.stderr.contains("limit"), "{}", show.stderr);
    every_reader_names(&env, &first, &entry);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let (env, _, second) = two_tickets();
    for path in [
        env.ticket_path(&second),
        env.path("customers/C000001.yaml"),
        env.path("desk.yaml"),
    ] {
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, [&b"\xEF\xBB\xBF"[..], &text].concat()).unwrap();
    }
    let show = env.run(&["show", &second]).ok();
    assert!(show.stdout.contains("Second"), "{}", show.stdout);
    let list = env.run(&["list", "--all"]).ok();
    assert!(list.stdout.contains(&second), "{}", list.stdout);
    env.run(&["customer", "show", "C000001"]).ok();
    env.run(&["check"]).ok();
}

#[test]
fn linked_or_special_customer_files_are_refused_and_named() {
    let env = TestEnv::new();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("desk.key");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let linked = env.path("customers/C000002.yaml");
    std::fs::remove_file(&linked).unwrap();
    std::os::unix::fs::symlink(&secret, &linked).unwrap();
    let fifo = env.path("customers/C000003.yaml");
    std::fs::remove_file(&fifo).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());

    let show = run_within(&env, &["customer", "show", "C000002"], 10);
    assert_ne!(show.code, 0);
    assert!(show.stderr.contains("symbolic link"), "{}", show.stderr);
    let list = run_within(&env, &["customer", "list"], 10).fails(1);
    assert!(list.stdout.contains("C000001"), "{}", list.stdout);
    let check = run_within(&env, &["check"], 10).fails(1);
    for out in [&list, &check] {
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("customers/C000002.yaml"), "{all}");
        assert!(all.contains("customers/C000003.yaml"), "{all}");
        assert!(!all.contains("AGE-SECRET"), "{all}");
    }
}

#[test]
fn a_linked_tickets_or_customers_folder_is_refused() {
    let env = TestEnv::new();
    env.new_ticket(&[]);
    let outside = tempfile::tempdir().unwrap();
    for dir in ["tickets", "customers"] {
        let moved = outside.path().join(dir);
        std::fs::rename(env.path(dir), &moved).unwrap();
        std::os::unix::fs::symlink(&moved, env.path(dir)).unwrap();
    }
    let list = run_within(&env, &["list"], 10).fails(1);
    assert!(list.stderr.contains("tickets"), "{}", list.stderr);
    assert!(list.stderr.contains("symbolic link"), "{}", list.stderr);
    let customers = run_within(&env, &["customer", "list"], 10).fails(1);
    assert!(
        customers.stderr.contains("customers"),
        "{}",
        customers.stderr
    );
    assert!(
        customers.stderr.contains("symbolic link"),
        "{}",
        customers.stderr
    );
    let check = run_within(&env, &["check"], 10).fails(1);
    assert!(check.stderr.contains("symbolic link"), "{}", check.stderr);
    let new = env.run(&[
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
        "Elsewhere",
    ]);
    assert_ne!(new.code, 0);
    let add = env.run(&crate::common::customer_add(
        "individual",
        "李四",
        &["--phone", "13900000009"],
    ));
    assert_ne!(add.code, 0);
    assert_eq!(
        std::fs::read_dir(outside.path().join("customers"))
            .unwrap()
            .count(),
        4,
        "three customers and .gitkeep, nothing added through the link"
    );
}

#[test]
fn a_cached_ticket_replaced_by_a_link_is_not_served_from_the_cache() {
    let (env, first, second) = two_tickets();
    // Old enough that the cache keeps its entry (it skips files changed
    // in the last seconds).
    env.run(&["list", "--all"]).ok();
    let outside = tempfile::tempdir().unwrap();
    let copy = outside.path().join("copy.yaml");
    let path = env.ticket_path(&second);
    std::fs::rename(&path, &copy).unwrap();
    std::os::unix::fs::symlink(&copy, &path).unwrap();
    let list = env.run(&["list", "--all"]).fails(1);
    assert!(list.stdout.contains(&first), "{}", list.stdout);
    assert!(!list.stdout.contains(&second), "{}", list.stdout);
    assert!(list.stderr.contains("symbolic link"), "{}", list.stderr);
}

#[test]
fn a_linked_calendars_folder_is_refused() {
    let env = TestEnv::new();
    env.new_ticket(&[]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("cn-2026.yaml"),
        "holidays: [2026-12-01]\n",
    )
    .unwrap();
    // In place of the calendar `desk init` installed.
    let _ = std::fs::remove_dir_all(env.path("calendars"));
    std::os::unix::fs::symlink(outside.path(), env.path("calendars")).unwrap();
    let sla = env.run(&["sla"]);
    assert_ne!(sla.code, 0, "{}", sla.stdout);
    assert!(sla.stderr.contains("calendars"), "{}", sla.stderr);
    assert!(sla.stderr.contains("symbolic link"), "{}", sla.stderr);
}

#[test]
fn a_linked_templates_or_state_folder_is_refused() {
    let env = TestEnv::empty();
    // The default rules, whose notifications render templates/*.txt.
    env.run(&[
        "init",
        ".",
        "--agent",
        "li.na:李娜:service:li.na@example.com",
    ])
    .ok();
    env.run(&["list"]).ok();
    let outside = tempfile::tempdir().unwrap();
    for dir in ["templates", ".desk"] {
        let moved = outside.path().join(dir);
        std::fs::rename(env.path(dir), &moved).unwrap();
        std::os::unix::fs::symlink(&moved, env.path(dir)).unwrap();
        let before = std::fs::read_dir(&moved).unwrap().count();
        for args in [&["list"][..], &["check"], &["run"]] {
            let out = run_within(&env, args, 10).fails(1);
            assert!(
                out.stderr.contains(&format!(
                    "{dir}: a symbolic link where desk expects a directory"
                )),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert_eq!(std::fs::read_dir(&moved).unwrap().count(), before, "{dir}");
        std::fs::remove_file(env.path(dir)).unwrap();
        std::fs::rename(&moved, env.path(dir)).unwrap();
        env.run(&["check"]).ok();
    }
    // A file named .desk is no folder for desk's state either.
    std::fs::remove_dir_all(env.path(".desk")).unwrap();
    std::fs::write(env.path(".desk"), "").unwrap();
    let out = env.run(&["list"]).fails(1);
    assert!(out.stderr.contains(".desk: a file where"), "{}", out.stderr);
    // `desk init` refuses before it writes anything.
    let fresh = TestEnv::empty();
    std::os::unix::fs::symlink(outside.path(), fresh.path(".desk")).unwrap();
    let out = fresh.run(&["init", ".", "--rules", "none"]).fails(1);
    assert!(
        out.stderr.contains(".desk: a symbolic link"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(&fresh.root).unwrap().count(), 1);
}

/// `.desk/` is ignored by git, yet a pulled commit can put links there: git
/// replaces ignored files and folders with a commit's (tests/cli/git.rs).
/// desk writes nothing and reads nothing through them: a lock that is a
/// link would have had the holder's record written into the file it names.
#[cfg(unix)]
#[test]
fn links_in_the_state_folder_are_not_written_or_read_through() {
    use std::os::unix::fs::symlink;
    let mut env = TestEnv::new();
    env.racy_window_ms = Some("0");
    let id = env.new_ticket(&[]);
    env.run(&["list"]).ok();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "IMPORTANT\n").unwrap();
    for lock in ["run", &id] {
        let path = env.path(&format!(".desk/locks/{lock}.lock"));
        let _ = std::fs::remove_file(&path);
        symlink(&victim, &path).unwrap();
        let args: &[&str] = if lock == "run" {
            &["run"]
        } else {
            &["update", &id, "--note", "called back"]
        };
        let out = run_within(&env, args, 10).fails(1);
        assert!(
            out.stderr
                .contains(&format!("{lock}.lock: a symbolic link, not a lock file")),
            "{}",
            out.stderr
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "IMPORTANT\n");
        std::fs::remove_file(&path).unwrap();
    }
    // A cache that is a link is not read (this one would never end), and
    // the next write replaces the link.
    for cache in ["tickets.bin", "customers.bin"] {
        let path = env.path(&format!(".desk/cache/{cache}"));
        let _ = std::fs::remove_file(&path);
        symlink("/dev/zero", &path).unwrap();
    }
    run_within(&env, &["list"], 10).ok();
    run_within(&env, &["customer", "list"], 10).ok();
    assert!(
        std::fs::symlink_metadata(env.path(".desk/cache/tickets.bin"))
            .unwrap()
            .is_file()
    );
    // Nor the node number.
    symlink("/dev/zero", env.path(".desk/node")).unwrap();
    let out = run_within(
        &env,
        &[
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
            "t",
        ],
        10,
    )
    .fails(1);
    assert!(
        out.stderr.contains(".desk/node") && out.stderr.contains("a symbolic link"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(env.path(".desk/node")).unwrap();
    // A locks or staging folder that is a link: nothing is made where it
    // points.
    for dir in ["locks", "sending"] {
        let elsewhere = outside.path().join(dir.replace('/', "-"));
        std::fs::create_dir(&elsewhere).unwrap();
        let _ = std::fs::remove_dir_all(env.path(&format!(".desk/{dir}")));
        symlink(&elsewhere, env.path(&format!(".desk/{dir}"))).unwrap();
        let out = run_within(&env, &["update", &id, "--note", "called back"], 10).fails(1);
        assert!(
            out.stderr.contains(&format!(
                ".desk/{dir}: a symbolic link where desk expects a directory"
            )),
            "{}",
            out.stderr
        );
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        std::fs::remove_file(env.path(&format!(".desk/{dir}"))).unwrap();
    }
    // An index folder that is a link stops only the commands that use it
    // (a search; routing, which this store's rules do not do, so a list
    // goes on), says how to mend it, and nothing is made where it points;
    // `desk cache clear` removes the link alone.
    env.run(&["search", "power"]).ok();
    for (dir, args, used) in [
        ("cache/workload", vec!["list"], false),
        ("cache/search", vec!["search", "power"], true),
    ] {
        let elsewhere = outside.path().join(dir.replace('/', "-"));
        std::fs::create_dir(&elsewhere).unwrap();
        let _ = std::fs::remove_dir_all(env.path(&format!(".desk/{dir}")));
        symlink(&elsewhere, env.path(&format!(".desk/{dir}"))).unwrap();
        let out = run_within(&env, &args, 10);
        if used {
            let out = out.fails(1);
            assert!(
                out.stderr.contains(&format!(
                    ".desk/{dir}: a symbolic link where desk expects a directory"
                )) && out.stderr.contains("`desk cache clear` removes it"),
                "{}",
                out.stderr
            );
        } else {
            out.ok();
        }
        run_within(&env, &["update", &id, "--note", "called back"], 10).ok();
        run_within(&env, &["list"], 10).ok();
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        run_within(&env, &["cache", "clear"], 10).ok();
        assert!(std::fs::symlink_metadata(env.path(&format!(".desk/{dir}"))).is_err());
        assert!(elsewhere.is_dir());
        run_within(&env, &args, 10).ok();
    }
}
