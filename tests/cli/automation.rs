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
