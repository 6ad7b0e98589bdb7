//! `desk run`: rules' notifications and hooks queued by commands, delivered
//! once per cause, retried with backoff, listed by `desk outbox`.

use std::path::Path;

use crate::common::TestEnv;

/// A store (no default rules, customer C000001) with `rules` appended to
/// desk.yaml and the hook `hooks/hook.sh`: it logs its environment and
/// argument to `hook.log`, keeps its input in `last.json`, fails with
/// status 3 while `fail` exists, and sleeps while `sleep` exists.
fn with_hook(rules: &str) -> TestEnv {
    let env = TestEnv::new();
    let path = env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(rules);
    std::fs::write(&path, text).unwrap();
    std::fs::create_dir_all(env.path("hooks")).unwrap();
    write_script(
        &env.path("hooks/hook.sh"),
        "#!/bin/sh\n\
         echo $$ > hook.pid\n\
         while [ -e sleep ]; do sleep 0.05; done\n\
         echo \"$DESK_RULE|$DESK_KEY|$DESK_TICKET|$DESK_EVENT|$1\" >> hook.log\n\
         cat > last.json\n\
         if [ -e fail ]; then echo 'webhook said no' >&2; exit 3; fi\n",
    );
    env
}

fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

const HOOK_ON_NEW: &str = "\
rules:
- name: hook-on-new
  when: created
  then:
  - run: {command: hooks/hook.sh, args: [first arg]}
";

/// The command line of [`HOOK_ON_NEW`]'s hook, as `desk.hooks` allows it.
const HOOK_LINE: &str = "hooks/hook.sh 'first arg'";

/// [`with_hook`] of [`HOOK_ON_NEW`], its hook allowed on this machine.
fn hooked() -> TestEnv {
    let mut env = with_hook(HOOK_ON_NEW);
    env.allowed_hooks = vec![HOOK_LINE.to_string()];
    env
}

fn log(env: &TestEnv) -> Vec<String> {
    std::fs::read_to_string(env.path("hook.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn actions(env: &TestEnv, id: &str) -> Vec<String> {
    env.ticket_yaml(id)["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_hook_is_queued_by_the_command_and_run_once_by_desk_run() {
    let env = hooked();
    let out = env.new_ticket_run(&[]).ok();
    let id = out.stdout.trim().to_string();
    assert!(
        out.stderr
            .contains("run of hooks/hook.sh queued by rule hook-on-new"),
        "{}",
        out.stderr
    );
    // Queued in the same write, not run: the command does not wait on it.
    assert_eq!(actions(&env, &id), ["created", "queued"]);
    assert!(log(&env).is_empty());
    let y = env.ticket_yaml(&id);
    let key = y["history"][1]["key"].as_str().unwrap().to_string();
    assert!(
        key.starts_with(&format!("hook-on-new/{id}/")) && key.len() == 12 + 1 + 26,
        "{key}"
    );

    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr
            .contains(&format!("{id}: run by rule hook-on-new delivered ({key})")),
        "{}",
        out.stderr
    );
    assert_eq!(
        log(&env),
        [format!("hook-on-new|{key}|{id}|created|first arg")]
    );
    // The hook got the ticket as `desk show --format json` prints it.
    let shown = env.run(&["show", &id, "--format", "json"]).ok().stdout;
    let given = std::fs::read_to_string(env.path("last.json")).unwrap();
    let given: serde_json::Value = serde_json::from_str(&given).unwrap();
    assert_eq!(given["id"], id.as_str());
    assert_eq!(given["history"][1]["action"], "queued");
    assert!(shown.contains("\"notified\""), "{shown}");
    assert_eq!(actions(&env, &id), ["created", "queued", "notified"]);

    // Five more runs deliver nothing new and write nothing.
    let before = env.snapshot();
    for _ in 0..5 {
        let out = env.run(&["run"]).ok();
        assert_eq!(out.stderr, "");
    }
    assert_eq!(env.snapshot(), before);
    assert_eq!(log(&env).len(), 1);
    let shown = env.run(&["show", &id]).ok().stdout;
    assert!(shown.contains(&format!("queued run ({key})")), "{shown}");
    assert!(shown.contains("notified by run"), "{shown}");
    env.run(&["check"]).ok();
}

#[test]
fn a_failing_hook_is_retried_with_backoff_and_delivered_once() {
    let mut env = hooked();
    let id = env.new_ticket(&[]);
    std::fs::write(env.path("fail"), "").unwrap();
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(
            "failed (attempt 1, next at 2026-11-23 09:05): hooks/hook.sh exited with status 3: webhook said no"
        ),
        "{}",
        out.stderr
    );
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    assert!(
        outbox.contains(&format!(
            "{id},retrying,hook-on-new,run,,1,2026-11-23 09:05,hooks/hook.sh exited with status 3: webhook said no,"
        )),
        "{outbox}"
    );
    // Not due yet: nothing tried.
    env.at("2026-11-23T09:04:59+08:00");
    assert_eq!(env.run(&["run"]).ok().stderr, "");
    assert_eq!(log(&env).len(), 1);
    // Due: tried again, fails again, waits twice as long.
    env.at("2026-11-23T09:05:00+08:00");
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains("attempt 2, next at 2026-11-23 09:15"),
        "{}",
        out.stderr
    );
    let json = env.run(&["outbox", "--format", "json"]).ok().stdout;
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["attempts"], 2);
    assert_eq!(rows[0]["state"], "retrying");
    // The hook recovers.
    std::fs::remove_file(env.path("fail")).unwrap();
    env.at("2026-11-23T09:15:00+08:00");
    env.run(&["run"]).ok();
    env.at("2026-11-23T12:00:00+08:00");
    for _ in 0..3 {
        env.run(&["run"]).ok();
    }
    assert_eq!(log(&env).len(), 3, "two failures, one delivery");
    assert_eq!(
        actions(&env, &id),
        [
            "created",
            "queued",
            "delivery_failed",
            "delivery_failed",
            "notified"
        ]
    );
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    assert_eq!(outbox.lines().count(), 1, "{outbox}");
    env.run(&["check"]).ok();
}

#[test]
fn a_hook_that_keeps_failing_is_given_up_and_stays_visible() {
    let mut env = hooked();
    let id = env.new_ticket(&[]);
    std::fs::write(env.path("fail"), "").unwrap();
    // Ten attempts, each when due: the last one gives up.
    for attempt in 1..=10 {
        env.at(&format!("2026-12-{attempt:02}T10:00:00+08:00"));
        let out = env.run(&["run"]).fails(1);
        let wanted = if attempt == 10 {
            "failed (attempt 10, given up)".to_string()
        } else {
            format!("failed (attempt {attempt}, next at")
        };
        assert!(out.stderr.contains(&wanted), "{}", out.stderr);
    }
    env.at("2026-12-30T10:00:00+08:00");
    assert_eq!(env.run(&["run"]).ok().stderr, "");
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    assert!(
        outbox.contains(&format!("{id},failed,hook-on-new,run,,10,,")),
        "{outbox}"
    );
    let shown = env.run(&["show", &id]).ok().stdout;
    assert!(shown.contains("attempt 10 failed"), "{shown}");
    assert!(shown.contains("given up"), "{shown}");
}

#[test]
fn a_hook_past_its_timeout_is_a_failed_delivery() {
    let env = hooked();
    env.new_ticket(&[]);
    std::fs::write(env.path("sleep"), "").unwrap();
    let out = env.output(env.cmd().env("DESK_HOOK_TIMEOUT", "0.3").arg("run"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hooks/hook.sh timed out after 0.3 s (DESK_HOOK_TIMEOUT)"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(env.path("sleep")).unwrap();
}

#[test]
fn dry_run_prints_what_is_due_and_writes_nothing() {
    let env = hooked();
    let id = env.new_ticket(&[]);
    let before = env.snapshot();
    let out = env.run(&["run", "--dry-run"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: run {HOOK_LINE} by rule hook-on-new would deliver"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
    assert!(log(&env).is_empty());
}

#[cfg(unix)]
#[test]
fn kill_9_during_a_delivery_then_run_again_delivers_at_least_once() {
    let env = hooked();
    let id = env.new_ticket(&[]);
    std::fs::write(env.path("sleep"), "").unwrap();
    let mut child = env.std_cmd().arg("run").spawn().unwrap();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(env.path("hook.pid")).map_or(true, |p| !p.ends_with('\n')) {
        assert!(start.elapsed().as_secs() < 20, "the hook never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let hook: i32 = std::fs::read_to_string(env.path("hook.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The orphaned hook goes too (a crash of the machine, say).
    unsafe { libc::kill(hook, libc::SIGKILL) };
    std::fs::remove_file(env.path("sleep")).unwrap();
    // Killed before the result was written: still queued, and sent again.
    assert_eq!(actions(&env, &id), ["created", "queued"]);
    env.run(&["run"]).ok();
    env.run(&["run"]).ok();
    assert_eq!(log(&env).len(), 1);
    assert_eq!(actions(&env, &id), ["created", "queued", "notified"]);
    env.run(&["check"]).ok();
}

#[test]
fn one_desk_run_at_a_time() {
    let env = hooked();
    env.new_ticket(&[]);
    std::fs::write(env.path("sleep"), "").unwrap();
    let mut first = env
        .std_cmd()
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(env.path("hook.pid")).map_or(true, |p| !p.ends_with('\n')) {
        assert!(start.elapsed().as_secs() < 20, "the hook never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains("another `desk run` is running"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(env.path("sleep")).unwrap();
    assert!(first.wait().unwrap().success());
    assert_eq!(log(&env).len(), 1);
}

#[test]
fn e_mail_needs_an_address_and_a_transport_and_says_who_has_none() {
    let env = with_hook(
        "rules:\n\
         - name: tell-boss\n  when: created\n  then:\n  - notify: {to: [{agent: wang.qiang}, customer], template: hello}\n",
    );
    // A rule naming a template that does not exist is refused before
    // anything is queued or sent: by the command that would queue, by
    // `desk run` and by `desk check`.
    let out = env.new_ticket_run(&[]).fails(1);
    assert!(
        out.stderr.contains("templates/hello.txt does not exist"),
        "{}",
        out.stderr
    );
    assert!(env
        .run(&["list", "--all", "--format", "ids"])
        .ok()
        .stdout
        .is_empty());
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains("rule 'tell-boss' (rules[0]), key then[0].notify.template: templates/hello.txt does not exist"),
        "{}",
        out.stderr
    );
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains("templates/hello.txt does not exist"),
        "{}",
        out.stdout
    );
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/hello.txt"),
        "Subject: {{ tikcet.id }}\n\nhi\n",
    )
    .unwrap();
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(
            "templates/hello.txt does not render: line 1: undefined value: tikcet.id not known; \
             a template has ticket.{"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("recipient.{ids, name}"),
        "{}",
        out.stderr
    );
    std::fs::write(
        env.path("templates/hello.txt"),
        "Subject: {{ ticket.id }}\n\n{{ customer.name }}\n",
    )
    .unwrap();
    env.run(&["check"]).ok();
    let id = env.new_ticket(&[]);
    // A dry run says which mails would fail, and why, and exits as the run would.
    let out = env.run(&["run", "--dry-run"]).fails(1);
    assert!(
        out.stderr.contains(&format!("{id}: email templates/hello.txt by rule tell-boss to wang.qiang, customer would fail: no address: customer C000001 has no e-mail")),
        "{}",
        out.stderr
    );
    assert!(actions_of(&env, &id).iter().all(|a| a != "delivery_failed"));
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!("{id}: email by rule tell-boss to wang.qiang, customer failed (attempt 1, next at 2026-11-23 09:05): no address: customer C000001 has no e-mail")),
        "{}",
        out.stderr
    );
    // Everyone has an address (Emma Clarke, C000003, has one): the
    // transport is what is missing in this version.
    let id = env.new_ticket(&["--customer", "C000003"]);
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!("{id}: email by rule tell-boss to wang.qiang, customer failed (attempt 1, next at 2026-11-23 09:05): no mail transport: set `mail:` in desk.yaml")),
        "{}",
        out.stderr
    );
}

/// The actions of a ticket's history, in order.
fn actions_of(env: &TestEnv, id: &str) -> Vec<String> {
    env.ticket_yaml(id)["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// Appends `events` (YAML list items) to a ticket's history, as a commit of
/// someone else's would.
fn append_events(env: &TestEnv, id: &str, events: &str) {
    let path = env.ticket_path(id);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(events);
    std::fs::write(&path, text).unwrap();
}

/// A `queued` entry as a crafted commit would add it: its own rule name,
/// key, channel and command.
fn crafted_run(rule: &str, key: &str, command_line: &str) -> String {
    format!(
        "- at: 2026-11-23T09:00:00+08:00\n  by: rule:{rule}\n  action: queued\n  key: {key}\n  \
         via: run\n  command: sh\n  args: [-c, '{command_line}']\n"
    )
}

#[test]
fn a_queued_entry_that_no_rule_explains_runs_nothing_and_check_names_it() {
    let mut env = hooked();
    let id = env.new_ticket(&[]);
    env.run(&["run"]).ok();
    let marker = env.outside("marker");
    let key = format!("ghost/{id}/000000000000");
    append_events(
        &env,
        &id,
        &crafted_run("ghost", &key, &format!("touch {marker}")),
    );
    // Even a machine that allows the very command line runs nothing: no
    // rule of desk.yaml explains the entry.
    env.allowed_hooks.push(format!("sh -c 'touch {marker}'"));
    let before = env.snapshot();
    let said = format!(
        "{id}: run by rule ghost not delivered: no rule of desk.yaml explains this queued \
         entry: desk.yaml has no rule 'ghost' (desk check names it) ({key})"
    );
    let out = env.run(&["run", "--dry-run"]).fails(1);
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    let out = env.run(&["run"]).fails(1);
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert!(!Path::new(&marker).exists(), "the crafted command ran");
    assert_eq!(log(&env).len(), 1, "only the real delivery");
    // Nothing recorded: the entry stays for a person to remove.
    assert_eq!(env.snapshot(), before);
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    assert!(
        outbox.contains(&format!(
            "{id},unexplained,ghost,run,,0,,not delivered: desk.yaml has no rule 'ghost',{key},\n"
        )),
        "{outbox}"
    );
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(&format!(
            "tickets/2026/11/{id}.yaml: queued entry {key} (by rule:ghost, via run) is explained \
             by no rule of desk.yaml: desk.yaml has no rule 'ghost'; `desk run` does not deliver it"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_crafted_entry_of_a_real_rule_runs_the_rule_s_own_command() {
    let mut env = hooked();
    let id = env.new_ticket(&[]);
    env.run(&["run"]).ok();
    let marker = env.outside("marker");
    let key = format!("hook-on-new/{id}/000000000000");
    append_events(
        &env,
        &id,
        &crafted_run("hook-on-new", &key, &format!("touch {marker}")),
    );
    env.allowed_hooks.push(format!("sh -c 'touch {marker}'"));
    // What would run is the rule's command line, not the entry's.
    let out = env.run(&["run", "--dry-run"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: run {HOOK_LINE} by rule hook-on-new would deliver ({key})"
        )),
        "{}",
        out.stderr
    );
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    assert!(
        outbox.contains(&format!(
            "{id},pending,hook-on-new,run,,0,,,{key},{HOOK_LINE}\n"
        )),
        "{outbox}"
    );
    env.run(&["run"]).ok();
    assert!(!Path::new(&marker).exists(), "the entry's own command ran");
    assert_eq!(
        log(&env)[1],
        format!("hook-on-new|{key}|{id}|time|first arg")
    );
    // The entry's stored fields stay as they were written.
    let text = env.read_ticket(&id);
    assert!(text.contains("  command: sh\n"), "{text}");
    env.run(&["check"]).ok();
}

#[test]
fn a_hook_runs_only_when_this_machine_allows_its_command_line() {
    let mut env = with_hook(HOOK_ON_NEW);
    let id = env.new_ticket(&[]);
    let allow = r#"git config --add desk.hooks 'hooks/hook.sh '\''first arg'\'''"#;
    // `desk check` warns (the clone that runs `desk run` must allow it)
    // and passes.
    let out = env.run(&["check"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "warning: desk.yaml:{}: rule 'hook-on-new' (rules[0]), key then[0].run: this machine \
             does not allow the hook `{HOOK_LINE}`, so a `desk run` here fails its deliveries; if \
             this clone runs `desk run`, allow it with: {allow}",
            rule_line(&env, "hook-on-new")
        )),
        "{}",
        out.stderr
    );
    let refused = format!(
        "hook `{HOOK_LINE}` is not allowed on this machine; to allow it, run in the store: \
         {allow} (docs/automation.md, Trust model)"
    );
    let out = env.run(&["run", "--dry-run"]).fails(1);
    assert!(
        out.stderr.contains(&format!(
            "{id}: run {HOOK_LINE} by rule hook-on-new would fail: {refused}"
        )),
        "{}",
        out.stderr
    );
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!(
            "{id}: run by rule hook-on-new failed (attempt 1, next at 2026-11-23 09:05): {refused}"
        )),
        "{}",
        out.stderr
    );
    assert!(log(&env).is_empty());
    // The command alone does not allow other arguments.
    env.allowed_hooks = vec!["hooks/hook.sh".into()];
    env.at("2026-11-23T09:05:00+08:00");
    env.run(&["run"]).fails(1);
    assert!(log(&env).is_empty());
    env.allowed_hooks = vec![HOOK_LINE.into()];
    env.at("2026-11-23T09:15:00+08:00");
    env.run(&["run"]).ok();
    assert_eq!(log(&env).len(), 1);
    let out = env.run(&["check"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// The line of desk.yaml that names a rule.
fn rule_line(env: &TestEnv, name: &str) -> usize {
    let text = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    text.lines()
        .position(|l| l.trim_start_matches("- ") == format!("name: {name}"))
        .unwrap()
        + 1
}

#[cfg(unix)]
#[test]
fn a_hook_sees_its_own_variables_path_home_and_lang_and_nothing_else() {
    let mut env =
        with_hook("rules:\n- name: show-env\n  when: created\n  then:\n  - run: hooks/env.sh\n");
    write_script(&env.path("hooks/env.sh"), "#!/bin/sh\nenv > env.txt\n");
    env.allowed_hooks = vec!["hooks/env.sh".into()];
    let id = env.new_ticket(&[]);
    let out = env.output(
        env.cmd()
            .env("DESK_SMTP_PASSWORD", "s3cret")
            .env("DESK_KEY_FILE", env.outside("key.txt"))
            .env("API_TOKEN", "t0ken")
            .env("LANG", "C.UTF-8")
            .env("HOME", env.outside(""))
            .arg("run"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = std::fs::read_to_string(env.path("env.txt")).unwrap();
    let names: std::collections::BTreeSet<&str> = seen
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    // What the shell itself sets (PWD, SHLVL, OLDPWD, _) aside.
    let shell = ["PWD", "SHLVL", "OLDPWD", "_"];
    let given: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !shell.contains(n))
        .collect();
    assert_eq!(
        given,
        [
            "DESK_EVENT",
            "DESK_KEY",
            "DESK_RULE",
            "DESK_TICKET",
            "HOME",
            "LANG",
            "PATH"
        ],
        "{seen}"
    );
    assert!(seen.contains(&format!("DESK_TICKET={id}\n")), "{seen}");
    assert!(seen.contains("LANG=C.UTF-8\n"), "{seen}");
    for secret in ["s3cret", "t0ken", "key.txt", "DESK_NOW", "DESK_ACTOR"] {
        assert!(!seen.contains(secret), "{secret} in {seen}");
    }
}

/// Two hooks that outlive the timeout by what they start: one leaves a
/// child in the background holding its stderr and exits, one waits for a
/// child. A third child leaves the hook's process group and keeps the pipe
/// open. The run still ends about the timeout after each began.
#[cfg(unix)]
#[test]
fn a_hook_and_everything_it_started_stop_at_the_timeout() {
    let mut env = with_hook(
        "rules:\n- name: slow\n  when: created\n  then:\n  - run: hooks/background.sh\n  \
         - run: hooks/wait.sh\n  - run: hooks/escape.sh\n",
    );
    write_script(
        &env.path("hooks/background.sh"),
        "#!/bin/sh\nsleep 30 &\necho $! > background.pid\necho started >&2\nexit 0\n",
    );
    write_script(
        &env.path("hooks/wait.sh"),
        "#!/bin/sh\n(sleep 30; echo late > late.txt) &\necho $! > wait.pid\nwait\n",
    );
    write_script(
        &env.path("hooks/escape.sh"),
        "#!/bin/sh\nsetsid sleep 30 &\necho $! > escape.pid\nexit 0\n",
    );
    env.allowed_hooks = vec![
        "hooks/background.sh".into(),
        "hooks/wait.sh".into(),
        "hooks/escape.sh".into(),
    ];
    let id = env.new_ticket(&[]);
    let start = std::time::Instant::now();
    let out = env.output(env.cmd().env("DESK_HOOK_TIMEOUT", "2").arg("run"));
    let took = start.elapsed();
    let pid = |name: &str| -> i32 {
        std::fs::read_to_string(env.path(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let escaped = pid("escape.pid");
    unsafe { libc::kill(escaped, libc::SIGKILL) };
    assert!(
        took < std::time::Duration::from_secs(9),
        "desk run took {took:?}: {}",
        out.stderr
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The first exited 0: delivered; its child was stopped at the timeout.
    assert!(
        out.stderr
            .contains(&format!("{id}: run by rule slow delivered")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("failed (attempt 1, next at 2026-11-23 09:05): hooks/wait.sh timed out after 2 s (DESK_HOOK_TIMEOUT)"),
        "{}",
        out.stderr
    );
    for name in ["background.pid", "wait.pid"] {
        assert!(!alive(pid(name)), "{name}: still running");
    }
    assert!(!env.path("late.txt").exists());
}

/// Whether a process runs (a zombie waiting for its parent does not).
#[cfg(unix)]
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn desk_hook_timeout_must_be_seconds_above_zero() {
    let env = hooked();
    env.new_ticket(&[]);
    let before = env.snapshot();
    for bad in ["0", "abc", "-5", "NaN", "1e300", "0s"] {
        let out = env.output(env.cmd().env("DESK_HOOK_TIMEOUT", bad).arg("run"));
        assert_eq!(out.code, 1, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "error: invalid DESK_HOOK_TIMEOUT '{bad}': expected the seconds a hook may take: \
                 a number above 0 and at most 86400, e.g. 5 or 0.5 (default 60)"
            )),
            "{}",
            out.stderr
        );
        assert_eq!(env.snapshot(), before, "{bad}: nothing done");
    }
    assert!(log(&env).is_empty());
    let out = env.output(env.cmd().env("DESK_HOOK_TIMEOUT", "1.5").arg("run"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(log(&env).len(), 1);
}

#[test]
fn a_ticket_file_holding_another_id_is_reported_by_run_and_check() {
    let env = hooked();
    let moved = env.new_ticket(&[]);
    let fine = env.new_ticket(&[]);
    let bogus = env.new_ticket(&[]);
    let rename = |id: &str, to: &str| {
        let path = env.ticket_path(id);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replacen(&format!("id: {id}"), &format!("id: {to}"), 1),
        )
        .unwrap();
    };
    rename(&moved, "CW202611230009");
    rename(&bogus, "not-an-id");
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!(
            "tickets/2026/11/{moved}.yaml: holds ticket 'CW202611230009', which belongs at \
             tickets/2026/11/CW202611230009.yaml: its deliveries and time rules wait until the \
             file is named after its ID (desk check)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "tickets/2026/11/{bogus}.yaml: 'not-an-id' is not a ticket ID"
        )),
        "{}",
        out.stderr
    );
    // The other tickets' deliveries are made.
    let tickets: Vec<String> = log(&env)
        .iter()
        .map(|l| l.split('|').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(tickets, [fine]);
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(
        outbox
            .stderr
            .contains(&format!("tickets/2026/11/{moved}.yaml: holds ticket")),
        "{}",
        outbox.stderr
    );
    let out = env.run(&["check"]).fails(1);
    for id in [&moved, &bogus] {
        assert!(
            out.stdout.contains(&format!("tickets/2026/11/{id}.yaml:")),
            "{}",
            out.stdout
        );
    }
}

/// A `sendmail:` command in desk.yaml is a command that travels through git,
/// as a hook is: it runs only where this machine allows it.
#[cfg(unix)]
#[test]
fn a_sendmail_command_of_desk_yaml_runs_only_where_it_is_allowed() {
    let mut env = with_hook(
        "rules:\n- name: tell\n  when: created\n  then:\n  - notify: {to: {agent: li.na}, template: assigned}\n",
    );
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/assigned.txt"),
        "Subject: {{ ticket.id }}\n\n{{ ticket.title }}\n",
    )
    .unwrap();
    let sent = env.outside("sent.txt");
    let script = env.outside("fake-sendmail");
    write_script(Path::new(&script), &format!("#!/bin/sh\ncat > '{sent}'\n"));
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}mail:\n  from: service@example.com\n  sendmail: {{command: '{script}', args: [-a, desk]}}\n"
        ),
    )
    .unwrap();
    let id = env.new_ticket(&[]);
    let line = format!("{script} -a desk");
    let out = env.run(&["check"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "mail.sendmail: this machine does not allow the command `{line}`, so a `desk run` \
             here sends no e-mail; if this clone runs `desk run`, allow it with: git config \
             --add desk.hooks '{line}'"
        )),
        "{}",
        out.stderr
    );
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule tell to li.na failed (attempt 1, next at 2026-11-23 09:05): \
             desk.yaml: mail.sendmail: the command `{line}` is not allowed on this machine; to \
             allow it, run in the store: git config --add desk.hooks '{line}'"
        )),
        "{}",
        out.stderr
    );
    assert!(!Path::new(&sent).exists(), "the command ran");
    env.allowed_hooks = vec![line];
    env.at("2026-11-23T09:05:00+08:00");
    env.run(&["run"]).ok();
    let mail = std::fs::read_to_string(&sent).unwrap();
    assert!(mail.contains(&id), "{mail}");
}

/// A hook named by a bare name (`curl`) is a program of PATH's absolute
/// folders. An empty or relative entry of PATH (`PATH=/usr/bin:`, `.`) would
/// have found a file of the store first: the hook runs in the store's root,
/// and anyone who can push writes its files.
#[cfg(unix)]
#[test]
fn a_hook_of_a_bare_name_is_never_a_file_of_the_store() {
    let mut env = with_hook(
        "rules:\n- name: web\n  when: created\n  then:\n  - run: {command: webhook, args: [-v]}\n",
    );
    env.allowed_hooks = vec!["webhook -v".into()];
    // The pushed file, in the store's root and in a folder of its own.
    write_script(&env.path("webhook"), "#!/bin/sh\necho store > which.txt\n");
    std::fs::create_dir_all(env.path("bin")).unwrap();
    write_script(
        &env.path("bin/webhook"),
        "#!/bin/sh\necho store > which.txt\n",
    );
    // The administrator's, in an absolute folder of PATH.
    let bin = env.outside("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_script(
        &Path::new(&bin).join("webhook"),
        "#!/bin/sh\necho outside > which.txt\n",
    );
    env.new_ticket(&[]);
    let path = format!(":.:bin:{bin}:/usr/bin:/bin");
    let out = env.output(env.cmd().env("PATH", &path).arg("run"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(env.path("which.txt")).unwrap(),
        "outside\n"
    );
    // Without one there, the hook fails; the store's is still not run.
    std::fs::remove_file(env.path("which.txt")).unwrap();
    env.new_ticket(&[]);
    let out = env.output(env.cmd().env("PATH", ":.:bin:/usr/bin:/bin").arg("run"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot run webhook: not found in the absolute folders of PATH"),
        "{}",
        out.stderr
    );
    assert!(!env.path("which.txt").exists());
}

/// The sendmail command is a command of desk.yaml like a hook: found the
/// same way and given the same clean environment, so it gets neither the
/// mail password nor the key files of `desk run`'s environment.
#[cfg(unix)]
#[test]
fn the_sendmail_command_sees_nothing_of_desk_runs_environment() {
    let mut env = with_hook(
        "rules:\n- name: tell\n  when: created\n  then:\n  \
         - notify: {to: {agent: li.na}, template: hello}\n\
         mail:\n  from: service@example.com\n  sendmail: {command: fake-sendmail}\n  \
         deliver_at_once: false\n",
    );
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/hello.txt"),
        "Subject: hello {{ ticket.id }}\n\nhello\n",
    )
    .unwrap();
    // `desk run` delivers it (`desk new` leaves it): run's environment is
    // the one under test.
    let bin = env.outside("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let seen = env.outside("sendmail-env.txt");
    write_script(
        &Path::new(&bin).join("fake-sendmail"),
        &format!("#!/bin/sh\ncat > /dev/null\nenv > '{seen}'\n"),
    );
    env.allowed_hooks = vec!["fake-sendmail".into()];
    env.new_ticket(&[]);
    let out = env.output(
        env.cmd()
            .env("PATH", format!("{bin}:/usr/bin:/bin"))
            .env("DESK_SMTP_PASSWORD", "s3cret")
            .env("DESK_KEY_FILE", env.outside("key.txt"))
            .env("DESK_LOOKUP_KEY_FILE", env.outside("lookup.txt"))
            .env("API_TOKEN", "t0ken")
            .arg("run"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("delivered"), "{}", out.stderr);
    let seen = std::fs::read_to_string(&seen).unwrap();
    assert!(seen.contains(&format!("PATH={bin}:")), "{seen}");
    for secret in ["s3cret", "key.txt", "lookup.txt", "t0ken", "DESK_"] {
        assert!(!seen.contains(secret), "{secret} in {seen}");
    }
}
