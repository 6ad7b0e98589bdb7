//! Commands interrupted by a signal, stopped while holding a lock, or killed
//! mid-write: imports stay all-or-nothing, waits are bounded and explained,
//! temporary files are ignored, reported and cleaned.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestEnv;

/// The three customers of `TestEnv::new`.
const SEEDED: usize = 3;

/// Sends `signal` (a name such as `KILL`) to a process.
fn signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    // A process that already exited cannot be signalled; that is a result too.
    let _ = ok;
}

fn write_rows(env: &TestEnv, rows: usize) {
    let mut csv = String::from("name,kind,phone,email,address,need\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "客户{i},individual,137{i:08},row{i}@example.com,杭州市西湖区文三路{i}号,产品咨询\n"
        ));
    }
    std::fs::write(env.path("rows.csv"), csv).unwrap();
}

/// The customer files in `customers/` (not temporary files).
fn customer_files(env: &TestEnv) -> usize {
    std::fs::read_dir(env.path("customers"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.ends_with(".yaml") && !name.starts_with('.')
        })
        .count()
}

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.std_cmd()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Entries in a directory (0 if it does not exist).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn an_import_killed_anywhere_leaves_all_rows_or_none() {
    // Enough rows that each moment below is caught (staging and publishing
    // take tens of milliseconds), few enough that five imports stay quick.
    const ROWS: usize = 500;
    let import = ["customer", "import", "rows.csv"];
    // When to strike: early on, while files are staged, once the journal
    // is written, and half-way through publishing. Each with a signal that
    // ends desk at once (none is caught).
    type Moment = fn(&TestEnv) -> bool;
    let moments: [(&str, &str, Moment); 5] = [
        ("KILL", "while reading the rows", |_| true),
        ("TERM", "when staging starts", |env| {
            env.path(".desk/import").exists()
        }),
        ("INT", "half-way through staging", |env| {
            entries(&env.path(".desk/import")) >= ROWS / 2
        }),
        ("HUP", "once the journal is written", |env| {
            env.path(".desk/import/journal").exists()
        }),
        ("KILL", "half-way through publishing", |env| {
            entries(&env.path("customers")) >= SEEDED + ROWS / 2
        }),
    ];
    let mut outcomes = Vec::new();
    let mut reported = 0;
    for (sig, when, moment) in moments {
        let env = TestEnv::new();
        write_rows(&env, ROWS);
        let mut child = spawn(&env, &import);
        if when.starts_with("while reading") {
            std::thread::sleep(Duration::from_millis(50));
        }
        while child.try_wait().unwrap().is_none() && !moment(&env) {
            std::thread::sleep(Duration::from_micros(500));
        }
        if sig == "KILL" {
            let _ = child.kill();
        } else {
            signal(child.id(), sig);
        }
        let status = child.wait().unwrap();
        let decided = env.path(".desk/import/journal").exists();

        // Left half-way, the import is what `desk check` reports.
        if env.path(".desk/import").exists() {
            reported += 1;
            let before = env.snapshot();
            let out = env.run(&["check"]).fails(1);
            assert!(
                out.stdout.contains("customer import was interrupted"),
                "{}",
                out.stdout
            );
            assert_eq!(before, env.snapshot(), "check changed files");
        }
        // The next command, a reader, finishes or undoes it.
        let listed = env.run(&["customer", "list", "--format", "csv"]).ok();
        let n = customer_files(&env);
        assert!(
            n == SEEDED || n == SEEDED + ROWS,
            "SIG{sig} {when} left {n} customers ({status}); {}",
            listed.stderr
        );
        if decided {
            assert_eq!(
                n,
                SEEDED + ROWS,
                "SIG{sig} {when}: a decided import was lost"
            );
        }
        assert_eq!(
            listed.stdout.lines().count(),
            n + 1,
            "list saw another state"
        );
        assert!(!env.path(".desk/import").exists());
        // A re-run succeeds exactly when nothing had been imported.
        let again = env.run(&import);
        if n == SEEDED {
            again.ok();
            assert_eq!(customer_files(&env), SEEDED + ROWS);
        } else {
            let err = again.fails(1).stderr;
            assert!(err.contains("nothing was imported"), "{err}");
        }
        env.run(&["check"]).ok();
        outcomes.push(format!(
            "SIG{sig} {when}: {}",
            if n == SEEDED { "none" } else { "all" }
        ));
    }
    eprintln!("{outcomes:#?}; {reported} left for the next command");
}

/// A store whose import of two rows was interrupted: the files the import
/// would write are staged under `.desk/import/`, with the journal if
/// `decided`. Returns the two files' names and bytes.
fn staged_import(env: &TestEnv, decided: bool) -> Vec<(String, Vec<u8>)> {
    // The bytes an import writes, taken from a twin store.
    let twin = TestEnv::new();
    std::fs::write(
        twin.path("two.csv"),
        "name,kind,phone\n甲,individual,13700000001\n乙,individual,13700000002\n",
    )
    .unwrap();
    twin.run(&["customer", "import", "two.csv"]).ok();
    let files: Vec<(String, Vec<u8>)> = ["C000004.yaml", "C000005.yaml"]
        .iter()
        .map(|n| {
            let bytes = std::fs::read(twin.path(&format!("customers/{n}"))).unwrap();
            (n.to_string(), bytes)
        })
        .collect();
    let dir = env.path(".desk/import");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    if decided {
        std::fs::write(
            dir.join("journal"),
            "desk customer import, version 1\nC000004.yaml\nC000005.yaml\nend\n",
        )
        .unwrap();
    }
    files
}

#[test]
fn an_import_interrupted_while_publishing_is_reported_then_finished() {
    let env = TestEnv::new();
    let files = staged_import(&env, true);
    // Killed after the first link.
    std::fs::hard_link(
        env.path(".desk/import/C000004.yaml"),
        env.path("customers/C000004.yaml"),
    )
    .unwrap();
    let before = env.snapshot();
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(
            ".desk/import/journal: a customer import was interrupted while publishing: 1 of its 2"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(before, env.snapshot());

    let out = env.run(&["list"]).ok();
    assert!(
        out.stderr
            .contains("note: finished a customer import that was interrupted: all 2"),
        "{}",
        out.stderr
    );
    for (name, bytes) in &files {
        assert_eq!(
            &std::fs::read(env.path(&format!("customers/{name}"))).unwrap(),
            bytes
        );
    }
    assert!(!env.path(".desk/import").exists());
    env.run(&["check"]).ok();
}

#[test]
fn an_import_interrupted_before_its_journal_is_undone() {
    let env = TestEnv::new();
    staged_import(&env, false);
    let before = env.snapshot();
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains(".desk/import: a customer import was interrupted before it was complete"),
        "{}",
        out.stdout
    );
    let out = env.run(&["check", "--fix"]).ok();
    assert!(
        out.stderr.contains("note: undid a customer import"),
        "{}",
        out.stderr
    );
    assert_eq!(before, env.snapshot(), "nothing had been published");
    assert!(!env.path(".desk/import").exists());
    // The IDs it had taken are free again.
    let out = env
        .run(&crate::common::customer_add("individual", "丙", &[]))
        .ok();
    assert_eq!(out.stdout.trim(), "C000004");
}

#[test]
fn an_import_that_cannot_be_finished_blocks_customer_writes_and_is_reported() {
    let env = TestEnv::new();
    staged_import(&env, true);
    // A different C000005 arrived meanwhile (say, by git pull).
    std::fs::copy(
        env.path("customers/C000001.yaml"),
        env.path("customers/C000005.yaml"),
    )
    .unwrap();
    let before = env.snapshot();
    let out = env
        .run(&crate::common::customer_add("individual", "丁", &[]))
        .fails(1);
    assert!(
        out.stderr.contains("cannot be finished") && out.stderr.contains("C000005.yaml"),
        "{}",
        out.stderr
    );
    // Readers warn and go on.
    let out = env.run(&["list"]).ok();
    assert!(out.stderr.contains("warning: "), "{}", out.stderr);
    let out = env.run(&["check"]).fails(1);
    assert!(out.stdout.contains("cannot be finished"), "{}", out.stdout);
    assert_eq!(before, env.snapshot());
}

/// Holds the customer lock the way desk does, recording `record`.
fn hold_customer_lock(env: &TestEnv, record: &str) -> std::fs::File {
    let path = env.path(".desk/locks/customers.lock");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, record).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    file.lock().unwrap();
    file
}

#[test]
fn a_held_lock_is_explained_after_a_second_and_given_up_on() {
    let env = TestEnv::new();
    let holder = hold_customer_lock(&env, "pid 4242: desk customer edit C000001\n");
    let add = crate::common::customer_add("individual", "戊", &[]);
    let before = env.snapshot();
    let start = Instant::now();
    let out = env.output(env.cmd().env("DESK_LOCK_TIMEOUT", "1.5").args(&add));
    let waited = start.elapsed();
    let out = out.fails(1);
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
    for needle in [
        "waiting for the lock ",
        ".desk/locks/customers.lock",
        "error: gave up after 1.5 s waiting for the lock",
        "hint: a command stopped with Ctrl-Z",
        "DESK_LOCK_TIMEOUT",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?}: {}",
            out.stderr
        );
    }
    assert_eq!(before, env.snapshot());
    // A wrong timeout is named.
    let out = env.output(env.cmd().env("DESK_LOCK_TIMEOUT", "soon").args(&add));
    assert!(
        out.fails(1)
            .stderr
            .contains("invalid DESK_LOCK_TIMEOUT 'soon'"),
        "wrong timeout accepted"
    );
    drop(holder);
    env.output(env.cmd().env("DESK_LOCK_TIMEOUT", "1").args(&add))
        .ok();
}

#[test]
fn a_stopped_desk_holding_the_lock_is_named_and_the_wait_bounded() {
    let env = TestEnv::new();
    write_rows(&env, 1000);
    let lock = env.path(".desk/locks/customers.lock");
    // Stop an import while it holds the customer lock (Ctrl-Z). The lock
    // file names its holder while held; catch that moment.
    let mut stopped = None;
    for _ in 0..5 {
        let _ = std::fs::remove_file(&lock);
        let mut child = spawn(&env, &["customer", "import", "rows.csv"]);
        let mine = format!("pid {}: ", child.id());
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            if std::fs::read_to_string(&lock).is_ok_and(|r| r.starts_with(&mine)) {
                signal(child.id(), "STOP");
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        // Still holding it once stopped?
        let held = std::fs::read_to_string(&lock).is_ok_and(|r| r.starts_with(&mine));
        if held && child.try_wait().unwrap().is_none() {
            stopped = Some(child);
            break;
        }
        signal(child.id(), "CONT");
        child.wait().unwrap();
        // It finished first; start again from no import.
        for entry in std::fs::read_dir(env.path("customers")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !["C000001.yaml", "C000002.yaml", "C000003.yaml", ".gitkeep"]
                .contains(&name.as_str())
            {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    let mut child = stopped.expect("an import stopped while holding the lock");
    let pid = child.id();

    // `check` does not take an import in progress for an interrupted one.
    let out = env.run(&["check"]);
    assert!(!out.stdout.contains("import"), "{}", out.stdout);
    let add = crate::common::customer_add("individual", "己", &[]);
    let out = env
        .output(env.cmd().env("DESK_LOCK_TIMEOUT", "1.2").args(&add))
        .fails(1);
    assert!(
        out.stderr.contains(&format!(
            "held by process {pid}: {}",
            assert_cmd::cargo::cargo_bin("desk").display()
        )) && out.stderr.contains("customer import rows.csv"),
        "{}",
        out.stderr
    );
    signal(pid, "CONT");
    assert!(child.wait().unwrap().success());
    assert_eq!(customer_files(&env), SEEDED + 1000);
    env.run(&add).ok();
}

/// A temporary file as `write_atomic` names it, by process `pid`.
fn temp_file(dir: &Path, target: &str, pid: u32) -> std::path::PathBuf {
    let path = dir.join(format!(".{target}.{pid}.0.tmp"));
    std::fs::write(&path, "half a file").unwrap();
    path
}

#[test]
fn temporary_files_of_killed_writers_are_ignored_reported_and_removed() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let ticket_dir = env.ticket_path(&id).parent().unwrap().to_path_buf();
    // PIDs are below 2^22 on Linux: these writers are gone.
    let gone = 4_000_000_000;
    // Mail taken in writes attachments and held mail; routing, the
    // workload index; a mailed report, its record.
    for dir in [
        format!("attachments/{id}"),
        "mail/held".into(),
        ".desk/cache/workload".into(),
        "mail/reported".into(),
    ] {
        std::fs::create_dir_all(env.path(&dir)).unwrap();
    }
    let stale = [
        temp_file(&env.path("customers"), "C000002.yaml", gone),
        temp_file(&ticket_dir, &format!("{id}.yaml"), gone),
        temp_file(&env.root, "desk.yaml", gone),
        temp_file(&env.path(&format!("attachments/{id}")), "invoice.pdf", gone),
        temp_file(&env.path("mail/held"), "0123abcd.eml", gone),
        temp_file(&env.path(".desk/cache/workload"), "folders.bin", gone),
        temp_file(&env.path("mail/reported"), "0123abcd.yaml", gone),
    ];
    // A writer still running (this test) is left alone.
    let live = temp_file(&env.path("customers"), "C000001.yaml", std::process::id());

    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&env.root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    let untracked = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(!untracked.contains(".tmp"), "{untracked}");

    let out = env.run(&["check"]).fails(1);
    for path in &stale {
        let shown = path.strip_prefix(&env.root).unwrap().display().to_string();
        assert!(
            out.stdout
                .contains(&format!("{shown}: a temporary file left by a write")),
            "{shown} not reported: {}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains(".C000001.yaml"), "{}", out.stdout);

    let out = env.run(&["check", "--fix"]);
    assert!(
        out.stderr.contains("removed 7 temporary file(s)"),
        "{}",
        out.stderr
    );
    for path in &stale {
        assert!(!path.exists(), "{} kept", path.display());
    }
    assert!(live.exists());
    // An import clears what killed writers left in customers/.
    let stale = temp_file(&env.path("customers"), "C000003.yaml", gone);
    std::fs::write(env.path("two.csv"), "name,kind\n甲,个人\n乙,个人\n").unwrap();
    env.run(&["customer", "import", "two.csv"]).ok();
    assert!(!stale.exists());
    assert!(live.exists());
}

#[test]
fn git_setup_adds_the_ignore_lines_an_older_store_lacks() {
    let env = TestEnv::new();
    std::fs::write(env.path(".gitignore"), "/.desk/\n").unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&env.root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
    };
    git(&["init", "-q"]);
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(".gitignore: lacks '.*.tmp'"),
        "{}",
        out.stdout
    );
    env.run(&["git-setup", "--node", "1"]).ok();
    let ignore = std::fs::read_to_string(env.path(".gitignore")).unwrap();
    assert_eq!(
        ignore,
        "/.desk/\n# temporary files of desk writes that were interrupted\n.*.tmp\n\
         # mail of unknown senders held for review: raw personal mail, kept on the clone that took it in\n/mail/held/\n"
    );
}

/// What a writer killed while holding `.desk/locks/NAME.lock` leaves in
/// it: its record (a writer that lets go empties it).
fn abandoned_lock(env: &TestEnv, name: &str, pid: u32) {
    std::fs::write(
        env.path(&format!(".desk/locks/{name}.lock")),
        format!("pid {pid}: desk (killed)\n"),
    )
    .unwrap();
}

#[test]
fn a_write_removes_what_killed_writers_left_in_its_folder() {
    let env = TestEnv::new();
    let a = env.new_ticket(&[]);
    let b = env.new_ticket(&[]);
    let month = env.ticket_path(&a).parent().unwrap().to_path_buf();
    // Killed while writing ticket a, ticket b and a customer.
    let gone = 4_000_000_000;
    let stale = [
        temp_file(&month, &format!("{a}.yaml"), gone),
        temp_file(&month, &format!("{b}.yaml"), gone),
        temp_file(&env.path("customers"), "C000002.yaml", gone),
    ];
    abandoned_lock(&env, &a, gone);
    abandoned_lock(&env, "customers", gone);
    // A writer still running (this test) is left alone.
    let live = temp_file(&month, &format!("{b}.yaml"), std::process::id());
    env.run(&["check"]).fails(1);

    // The next writer under a's lock clears the folder.
    env.run(&["update", &a, "--note", "called back"]).ok();
    assert!(!stale[0].exists() && !stale[1].exists());
    assert!(live.exists());
    env.run(&["customer", "edit", "C000001", "--set", "phone=13900000009"])
        .ok();
    assert!(!stale[2].exists());

    std::fs::remove_file(&live).unwrap();
    let out = env.run(&["check"]).ok();
    assert_eq!(out.stdout, "");
    // A `desk new` killed mid-write: the next one of that day clears it.
    let c = temp_file(&month, "CW202611230009.yaml", gone);
    abandoned_lock(&env, "new-CW20261123", gone);
    env.new_ticket(&[]);
    assert!(!c.exists());
    env.run(&["check"]).ok();
}

#[test]
fn desk_run_removes_what_killed_writers_left_anywhere_before_cron_commits() {
    let mut env = TestEnv::new();
    env.at("2026-10-12T09:00:00+08:00");
    let october = env.new_ticket(&[]);
    env.at("2026-11-23T09:00:00+08:00");
    env.new_ticket(&[]);
    // A killed `desk update` of an October ticket and a killed cache write.
    let gone = 4_000_000_000;
    let month = env.ticket_path(&october).parent().unwrap().to_path_buf();
    let stale = [
        temp_file(&month, &format!("{october}.yaml"), gone),
        temp_file(&env.path(".desk/cache"), "summaries", gone),
    ];
    env.run(&["check"]).fails(1);
    // Nothing is due, so nothing is written but what was left behind.
    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr
            .contains("removed 2 temporary file(s) left by interrupted writes"),
        "{}",
        out.stderr
    );
    for path in &stale {
        assert!(!path.exists(), "{} kept", path.display());
    }
    env.run(&["check"]).ok();
}
