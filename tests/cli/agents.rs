use crate::common::TestEnv;

/// Rewrites desk.yaml with `edit` applied to its text.
fn edit_config(env: &TestEnv, edit: impl FnOnce(String) -> String) {
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

#[test]
fn an_agent_who_left_keeps_their_history_but_gets_no_new_work() {
    let env = TestEnv::new();
    let id = env.new_ticket(&["--assign", "wang.qiang"]);
    env.run(&["customer", "edit", "C000001", "--set", "owner=wang.qiang"])
        .ok();
    edit_config(&env, |t| {
        t.replace("  role: engineer\n", "  role: engineer\n  active: false\n")
    });
    // Old tickets and customers of the agent are fine.
    env.run(&["check"]).ok();
    env.run(&["update", &id, "--note", "still on it"]).ok();
    let listed = env
        .run(&["list", "--assignee", "wang.qiang", "--format", "ids"])
        .ok();
    assert_eq!(listed.stdout, format!("{id}\n"));
    // New work is refused, by ID or by name, and the list offered leaves them out.
    let other = env.new_ticket(&[]);
    let before = env.snapshot();
    for args in [
        &["assign", other.as_str(), "wang.qiang"][..],
        &["assign", other.as_str(), "王强"],
        &["customer", "edit", "C000003", "--set", "owner=wang.qiang"],
    ] {
        let out = env.run(args).fails(1);
        assert!(
            out.stderr.contains("wang.qiang is inactive")
                && out.stderr.contains("li.na, zhao.min, chen.jing"),
            "{args:?}: {}",
            out.stderr
        );
    }
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
            "x",
            "--assign",
            "wang.qiang",
        ])
        .fails(1);
    assert!(out.stderr.contains("inactive"), "{}", out.stderr);
    assert_eq!(env.snapshot(), before);
    env.run(&["assign", &other, "li.na"]).ok();
}

#[test]
fn roles_are_a_list_in_desk_yaml_and_old_files_without_it_still_work() {
    let env = TestEnv::new();
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    // `desk init` writes the list, with the quality-control role.
    assert!(yaml.contains("roles:\n- key: service\n"), "{yaml}");
    assert!(yaml.contains("- key: qa\n  label: 质检\n"), "{yaml}");
    // An agent in the QA role.
    edit_config(&env, |t| {
        t.replace(
            "agents:\n",
            "agents:\n- id: sun.li\n  name: 孙丽\n  role: qa\n",
        )
    });
    let id = env.new_ticket(&[]);
    env.run(&["assign", &id, "sun.li"]).ok();
    env.run(&["check"]).ok();
    // A role that is not in the list names the valid ones.
    edit_config(&env, |t| t.replace("  role: qa\n", "  role: auditor\n"));
    let out = env.run(&["list"]).fails(1);
    assert!(
        out.stderr.contains("'auditor'")
            && out.stderr.contains("sun.li")
            && out
                .stderr
                .contains("service, engineer, sales, supervisor, qa"),
        "{}",
        out.stderr
    );
    // A team's own list.
    edit_config(&env, |t| {
        let start = t.find("roles:\n").unwrap();
        let end = start + t[start..].find("agents:\n").unwrap();
        format!(
            "{}roles:\n- key: auditor\n- key: service\n- key: engineer\n- key: sales\n- key: supervisor\n{}",
            &t[..start],
            &t[end..]
        )
    });
    env.run(&["check"]).ok();
    // A desk.yaml written before roles and `active` existed.
    edit_config(&env, |t| {
        let start = t.find("roles:\n").unwrap();
        let end = start + t[start..].find("agents:\n").unwrap();
        format!("{}{}", &t[..start], &t[end..]).replace("  role: auditor\n", "  role: service\n")
    });
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    assert!(!yaml.contains("roles:") && !yaml.contains("active:"));
    env.run(&["check"]).ok();
    env.run(&["assign", &id, "li.na"]).ok();
    // `desk init --agent` takes a role by its Chinese name.
    env.run(&["init", "other", "--agent", "sun.li:孙丽:质检"])
        .ok();
    let yaml = std::fs::read_to_string(env.path("other/desk.yaml")).unwrap();
    assert!(yaml.contains("  role: qa\n"), "{yaml}");
    let out = env
        .run(&["init", "third", "--agent", "sun.li:孙丽:auditor"])
        .fails(1);
    assert!(out.stderr.contains("qa (质检)"), "{}", out.stderr);
}

#[test]
fn an_agent_acting_under_a_real_name_is_recorded_by_id() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    // git's user.name is a real name; history names the agent as assignments do.
    env.run(&["--actor", "王强", "update", &id, "--note", "called back"])
        .ok();
    env.run(&["--actor", "Someone Else", "update", &id, "--note", "seen"])
        .ok();
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    let by: Vec<&str> = history.iter().map(|e| e["by"].as_str().unwrap()).collect();
    assert_eq!(by[by.len() - 2..], ["wang.qiang", "Someone Else"]);
}

/// Who is acting is asked of git only by commands that record it: reading
/// commands start no process. git's user.name is that of the store's repository.
#[cfg(unix)]
#[test]
fn only_commands_that_record_ask_git_who_is_acting() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("asked");
    let git = bin.path().join("git");
    std::fs::write(
        &git,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$*\" = \"-C {} config user.name\" ] && echo 王强\nexit 0\n",
            log.display(),
            env.root.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let run = |args: &[&str]| {
        env.output(
            env.cmd()
                .env_remove("DESK_ACTOR")
                .env("PATH", &path)
                .args(args),
        )
    };
    for args in [
        &["list"][..],
        &["show", &id],
        &["sla"],
        &["customer", "list"],
    ] {
        assert_eq!(run(args).code, 0, "{args:?}");
    }
    assert!(!log.exists(), "{}", std::fs::read_to_string(&log).unwrap());
    assert_eq!(run(&["update", &id, "--note", "called"]).code, 0);
    assert!(log.exists());
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    assert_eq!(history.last().unwrap()["by"], "wang.qiang");
}

#[test]
fn agents_must_be_told_apart_and_no_actor_passes_for_a_rule() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in [
        ("- id: zhao.min\n", "- id: Wang.Qiang\n"),
        ("- id: zhao.min\n", "- id: 'rule:x'\n"),
    ] {
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let out = env.run(&["list"]).fails(1);
        assert!(out.stderr.contains("agents:"), "{to}: {}", out.stderr);
    }
    std::fs::write(&path, &text).unwrap();
    let before = env.snapshot();
    let out = env
        .run(&["--actor", "rule:triage", "update", &id, "--note", "x"])
        .fails(1);
    assert!(out.stderr.contains("--actor"), "{}", out.stderr);
    assert_eq!(before, env.snapshot());
}

/// An agent's `email:` is one address, checked as customers' are: no
/// second address and no header smuggled in, by `check` and every command.
#[test]
fn a_malformed_agent_address_is_refused_naming_the_agent() {
    let env = TestEnv::new();
    for bad in [
        "\"li.na@example.com\\r\\nBcc: spy@example.org\"",
        "'li.na@example.com, spy@example.org'",
        "'Li Na <li.na@example.com>'",
        "li.na@example",
    ] {
        edit_config(&env, |t| {
            t.replacen("email: li.na@example.com\n", &format!("email: {bad}\n"), 1)
        });
        let before = env.snapshot();
        for (args, out) in [
            ("check", env.run(&["check"])),
            ("list", env.run(&["list"])),
            ("new", env.new_ticket_run(&[])),
        ] {
            let out = out.fails(1);
            assert!(
                out.stderr.contains("agents: email '")
                    && out.stderr.contains("l***@example")
                    && !out.stderr.contains("li.na@")
                    && out.stderr.contains("of 'li.na' is not valid")
                    && out.stderr.contains("name@example.com"),
                "{bad} {args}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("spy@example.org"), "{}", out.stderr);
        }
        assert_eq!(env.snapshot(), before);
        edit_config(&env, |t| {
            t.replacen(&format!("email: {bad}\n"), "email: li.na@example.com\n", 1)
        });
        env.run(&["check"]).ok();
    }
    // `desk init --agent` takes the same check.
    let fresh = TestEnv::empty();
    let out = fresh
        .run(&[
            "init",
            ".",
            "--agent",
            "li.na:李娜:service:li.na@example.com,spy@example.org",
        ])
        .fails(1);
    assert!(
        out.stderr.contains("--agent") && out.stderr.contains("l***@example.com"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("spy@example.org"), "{}", out.stderr);
    assert!(!fresh.path("desk.yaml").exists());
}
