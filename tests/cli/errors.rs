//! Bad input: a clear message naming the value, a non-zero exit, no change.

use crate::common::TestEnv;

#[track_caller]
fn refused(env: &TestEnv, args: &[&str], expect: &[&str]) {
    let before = env.snapshot();
    let out = env.run(args);
    assert_ne!(out.code, 0, "{args:?} should fail\n{}", out.stdout);
    for e in expect {
        assert!(
            out.stderr.contains(e),
            "{args:?}: stderr lacks {e:?}:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed data: {}",
        out.stdout
    );
    assert_eq!(env.snapshot(), before, "{args:?} changed files");
}

const NEW: [&str; 11] = [
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
];

fn new_with(field: &str, value: &str) -> Vec<String> {
    let mut args: Vec<String> = NEW.iter().map(|s| s.to_string()).collect();
    let i = args.iter().position(|a| a == field).unwrap();
    args[i + 1] = value.to_string();
    args
}

#[test]
fn bad_enum_values_name_the_value_and_the_valid_ones() {
    let env = TestEnv::new();
    for (flag, bad, valid) in [
        ("--type", "rant", "complaint (投诉)"),
        ("--priority", "asap", "urgent (紧急)"),
        ("--channel", "pigeon", "phone (电话)"),
    ] {
        let args = new_with(flag, bad);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&env, &args, &[&format!("'{bad}'"), valid]);
    }
    let id = env.new_ticket(&[]);
    refused(
        &env,
        &["update", &id, "--note", "n", "--status", "sleeping"],
        &["'sleeping'", "pending"],
    );
    refused(
        &env,
        &["update", &id, "--note", "n", "--status", "closed"],
        &["desk close"],
    );
    refused(&env, &["list", "--priority", "asap"], &["'asap'"]);
}

#[test]
fn empty_text_and_malformed_dates_are_refused() {
    let env = TestEnv::new();
    refused(
        &env,
        &new_with("--title", "   ")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &["title must not be empty"],
    );
    let id = env.new_ticket(&[]);
    refused(
        &env,
        &["update", &id, "--note", ""],
        &["note must not be empty"],
    );
    refused(
        &env,
        &["close", &id, "--resolution", " "],
        &["resolution must not be empty"],
    );
    refused(
        &env,
        &["update", &id, "--note", "x", "--at", "yesterday"],
        &["'yesterday'", "RFC 3339"],
    );
    refused(
        &env,
        &["list", "--since", "2026-13-01"],
        &["'2026-13-01'", "YYYY-MM-DD"],
    );
    refused(&env, &["edit", &id, "--set", "priority"], &["FIELD=VALUE"]);
    refused(
        &env,
        &["edit", &id, "--set", "status=closed"],
        &["'status'", "editable fields"],
    );
    refused(
        &env,
        &["edit", &id, "--set", "priority=urgent"],
        &["nothing to change"],
    );
}

#[test]
fn unknown_and_hostile_ticket_ids_are_refused() {
    let env = TestEnv::new();
    env.new_ticket(&[]);
    refused(
        &env,
        &["show", "CW202611230099"],
        &["'CW202611230099' not found", "hint:"],
    );
    refused(
        &env,
        &["update", "../../etc/passwd", "--note", "x"],
        &["'../../etc/passwd'", "CW202611230001"],
    );
    refused(
        &env,
        &[
            "close",
            "tickets/2026/11/CW202611230001.yaml",
            "--resolution",
            "x",
        ],
        &["invalid ticket ID"],
    );
    refused(&env, &["show", ""], &["invalid ticket ID"]);
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    let out = env.run(&["new", "--title", "only a title"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--customer"));
    assert_eq!(env.run(&["frobnicate"]).code, 2);
    assert_eq!(env.run(&["list", "--format", "xml"]).code, 2);
}

#[test]
fn usage_errors_mask_the_personal_values_they_quote() {
    let env = TestEnv::new();
    for (args, shown, full) in [
        (
            &["list", "11010519491231002X"][..],
            "unexpected argument '**************002X' found",
            "11010519491231002X",
        ),
        (
            &["show", "CW202611230001", "li.na@example.com"],
            "unexpected argument 'l***@example.com' found",
            "li.na@example.com",
        ),
        (
            &["list", "--format", "13912345678"],
            "invalid value '*******5678' for '--format <FORMAT>'",
            "13912345678",
        ),
        (
            &["customer", "list", "--", "6222 0202 0011 2233 445"],
            "unexpected argument '**** **** **** ***3 445' found",
            "6222 0202",
        ),
    ] {
        let out = env.run(args).fails(2);
        assert!(out.stderr.contains(shown), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains(full), "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
    // What is not personal is quoted as given.
    let out = env
        .run(&["show", "CW202611230001", "CW202611230002"])
        .fails(2);
    assert!(
        out.stderr
            .contains("unexpected argument 'CW202611230002' found"),
        "{}",
        out.stderr
    );
}

#[test]
fn broken_yaml_is_reported_with_file_and_line() {
    let env = TestEnv::new();
    let good = env.new_ticket(&[]);
    let bad = env.new_ticket(&[]);
    let path = env.ticket_path(&bad);
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("channel: phone", "channel: [phone", 1);
    std::fs::write(&path, text).unwrap();
    let rel = format!("tickets/2026/11/{bad}.yaml");

    let out = env.run(&["show", &bad]).fails(1);
    assert!(out.stderr.contains(&rel), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{rel}:")),
        "no line number: {}",
        out.stderr
    );

    // A listing still prints what it can read, names the broken file, exits 1.
    let out = env.run(&["list", "--format", "ids"]).fails(1);
    assert_eq!(out.stdout.trim(), good);
    assert!(out.stderr.contains(&rel), "{}", out.stderr);

    // A write to the broken ticket changes nothing.
    let before = env.snapshot();
    env.run(&["update", &bad, "--note", "x"]).fails(1);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_corrupt_desk_yaml_is_reported_with_its_line() {
    let env = TestEnv::new();
    std::fs::write(env.path("desk.yaml"), "format: 1\ntypes: [a\n").unwrap();
    let out = env.run(&["list"]).fails(1);
    assert!(out.stderr.contains("desk.yaml:"), "{}", out.stderr);
    std::fs::write(env.path("desk.yaml"), "format: 7\n").unwrap();
    let out = env.run(&["list"]).fails(1);
    assert!(
        out.stderr.contains("newer than this desk"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_pipe_exits_quietly() {
    // Far more output than a pipe buffers (64 KiB), so desk must meet the closed pipe.
    let env = TestEnv::empty();
    env.run(&["demo", "s", "--tickets", "400"]).ok();
    let bin = assert_cmd::cargo::cargo_bin("desk");
    // The bash completion script is over 64 KiB too.
    for args in ["--dir s list --all --format json", "completions bash"] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "'{}' {args} | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
                bin.display()
            ))
            .current_dir(&env.root)
            .env("DESK_NOW", &env.now)
            .env("DESK_ACTOR", "t")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "desk {args}: desk's own exit status; stderr: {stderr}"
        );
        assert!(stderr.is_empty(), "{stderr}");
    }
}

#[test]
fn a_closed_stderr_loses_the_message_not_the_exit_status() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    // A pipe nobody reads any more: writing to it fails (EPIPE).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = env
        .std_cmd()
        .args(["close", &id, "--resolution", "fixed"])
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "desk close with a closed stderr");
    let shown = env.run(&["show", &id, "--format", "json"]).ok().stdout;
    assert!(shown.contains("\"closed\""), "{shown}");
}

#[test]
fn update_names_only_the_statuses_it_takes() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    for bad in ["pendng", "open"] {
        let out = env
            .run(&["update", &id, "--note", "x", "--status", bad])
            .fails(1);
        assert!(
            out.stderr.contains(bad)
                && out
                    .stderr
                    .contains("takes pending (待客户回复) or in_progress")
                && !out.stderr.contains("open (待受理)"),
            "{}",
            out.stderr
        );
    }
}

/// An I/O error names the file, as the store shows paths (relative to its
/// root), whichever command meets it. Reading as another user is the way
/// to an unreadable file when the tests run as root (as in CI containers);
/// otherwise the mode alone makes it unreadable.
#[cfg(unix)]
#[test]
fn an_unreadable_ticket_file_is_named_by_every_command() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let path = env.ticket_path(&id);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    if root {
        // The store readable by anyone, but the ticket file.
        std::fs::set_permissions(&env.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    } else {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let shown = path.strip_prefix(&env.root).unwrap().display().to_string();
    for args in [
        vec!["list"],
        vec!["show", &id],
        vec!["sla"],
        vec!["report", "--month", "2026-11"],
        vec!["check"],
    ] {
        let mut cmd = env.std_cmd();
        if root {
            let mut as_nobody = std::process::Command::new("setpriv");
            as_nobody
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(cmd.get_program())
                .current_dir(&env.root);
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => as_nobody.env(k, v),
                    None => as_nobody.env_remove(k),
                };
            }
            cmd = as_nobody;
        }
        let out = cmd.args(&args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "desk {args:?}: {text}");
        assert!(
            text.contains(&format!("{shown}: Permission denied"))
                || text.contains(&format!("{shown}: unreadable: Permission denied")),
            "desk {args:?}: {text}"
        );
        assert!(
            !text.contains(&env.root.display().to_string()),
            "desk {args:?}: {text}"
        );
    }
}
