//! The whole loop on a fresh store, as a team sets it up: the shipped rules
//! route a complaint to the supervisor and queue a mail; `desk run` sends it
//! to a real SMTP server on 127.0.0.1, once.

use crate::common::{SmtpServer, TestEnv};

/// A store made by `desk init` with its shipped rules and templates, a team
/// with e-mail addresses, and `mail:` pointing at the test server; the
/// commands leave their notices for `desk run` (`deliver_at_once: false`),
/// whose delivery these tests follow.
fn team_with_mail(port: u16) -> TestEnv {
    team_with_rules_and_mail(port, "")
}

/// [`team_with_mail`] with `rules` (YAML list items) after the shipped rules.
fn team_with_rules_and_mail(port: u16, rules: &str) -> TestEnv {
    team(port, rules, "  deliver_at_once: false\n")
}

/// [`team_with_mail`] as `desk init` and `mail:` leave it: each command
/// delivers its own notices at once.
fn team_delivering_at_once(port: u16) -> TestEnv {
    team(port, "", "")
}

/// The team of [`team_with_mail`], with `rules` after the shipped rules
/// and `mail_extra` (lines of `mail:`) in `mail:`.
pub(crate) fn team(port: u16, rules: &str, mail_extra: &str) -> TestEnv {
    let env = TestEnv::empty();
    env.run(&[
        "init",
        ".",
        "--agent",
        "li.na:李娜:service:li.na@example.com",
        "--agent",
        "wang.qiang:王强:engineer:wang.qiang@example.com",
        "--agent",
        "chen.jing:陈静:主管:chen.jing@example.com",
    ])
    .ok();
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}{rules}mail:\n  from: 客服中心 <service@example.com>\n  timeout: 5\n{mail_extra}  smtp: {{host: 127.0.0.1, port: {port}, security: none}}\n"
        ),
    )
    .unwrap();
    env.run(&["check"]).ok();
    env.run(&[
        "customer",
        "add",
        "--kind",
        "individual",
        "--name",
        "张三",
        "--phone",
        "13900000001",
        "--email",
        "zhang.san@example.net",
    ])
    .ok();
    env
}

#[test]
fn a_complaint_reaches_the_supervisor_by_mail_once() {
    let server = SmtpServer::start(&[]);
    let env = team_with_mail(server.port);
    let id = env.new_ticket(&["--type", "投诉", "--title", "快递三天未到，要求退款"]);
    let ticket = env.ticket_yaml(&id);
    assert_eq!(ticket["assignee"].as_str(), Some("chen.jing"), "{ticket:?}");
    // Nothing is sent by the command itself.
    assert!(server.messages().is_empty());

    let out = env.run(&["run"]).ok();
    assert!(out.stderr.contains("delivered"), "{}", out.stderr);
    let got = server.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert_eq!(mail.rcpt_tos, ["chen.jing@example.com"]);
    assert!(mail.headers["Subject"].contains(&id), "{:?}", mail.headers);
    let body = mail.body.as_deref().unwrap_or_default();
    assert!(body.contains("快递三天未到"), "{body}");
    // The customer's name is masked; no contact data travels.
    assert!(body.contains("张*"), "{body}");
    for secret in ["张三", "13900000001", "zhang.san@example.net"] {
        assert!(
            !mail.data.contains(secret) && !body.contains(secret),
            "{secret} in {body}"
        );
    }
    assert!(
        mail.headers["Message-ID"].ends_with("@desk>"),
        "{:?}",
        mail.headers
    );

    // Later runs send nothing new; the ticket records one `notified`.
    for _ in 0..4 {
        env.run(&["run"]).ok();
    }
    assert_eq!(server.messages().len(), 1);
    let history = env.ticket_yaml(&id)["history"]
        .as_sequence()
        .unwrap()
        .clone();
    let notified = history
        .iter()
        .filter(|e| e["action"].as_str() == Some("notified"))
        .count();
    assert_eq!(notified, 1);
    env.run(&["check"]).ok();
}

#[test]
fn a_mail_server_down_then_back_delivers_once() {
    let server = SmtpServer::start(&[]);
    let port = server.port;
    let mut env = team_with_mail(port);
    let id = env.new_ticket(&["--type", "投诉"]);
    drop(server);
    let out = env.run(&["run"]).fails(1);
    assert!(out.stderr.contains("failed"), "{}", out.stderr);
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(outbox.stdout.contains(&id), "{}", outbox.stdout);

    // Back on the same port; the retry waits for its backoff.
    let server = SmtpServer::start(&["--port", &port.to_string()]);
    env.at("2026-11-23T10:00:00+08:00");
    env.run(&["run"]).ok();
    env.run(&["run"]).ok();
    assert_eq!(server.messages().len(), 1);
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(!outbox.stdout.contains(&id), "{}", outbox.stdout);
}

/// Mails whose subject names the template's words, from the server.
/// The mails to agents: what the tests of rules about the team follow,
/// without the milestone notices the shipped rules send the customer.
fn agent_mails(server: &SmtpServer) -> Vec<crate::common::Received> {
    server
        .messages()
        .into_iter()
        .filter(|m| !m.rcpt_tos.iter().any(|r| r == "zhang.san@example.net"))
        .collect()
}

fn mails_about(server: &SmtpServer, words: &str) -> Vec<crate::common::Received> {
    server
        .messages()
        .into_iter()
        .filter(|m| {
            m.headers.get("Subject").is_some_and(|s| s.contains(words))
                || m.body.as_deref().unwrap_or_default().contains(words)
        })
        .collect()
}

fn actions(env: &TestEnv, id: &str, action: &str) -> Vec<desk::yaml::Value> {
    env.ticket_yaml(id)["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str() == Some(action))
        .cloned()
        .collect()
}

#[test]
fn an_urgent_breach_escalates_to_the_supervisor_once_over_five_runs() {
    let server = SmtpServer::start(&[]);
    let mut env = team_with_mail(server.port);
    // Urgent: resolved within 4 hours of the wall clock (desk init's SLA).
    let id = env.new_ticket(&["--type", "投诉", "--priority", "紧急"]);
    env.run(&["run"]).ok();
    assert_eq!(server.messages().len(), 1, "the routing mail");

    // Before the target nothing escalates; past it, once, however often
    // cron runs.
    env.at("2026-11-23T12:59:00+08:00");
    let out = env.run(&["run"]).ok();
    assert!(!out.stderr.contains("fired"), "{}", out.stderr);
    for now in [
        "2026-11-23T13:00:00+08:00",
        "2026-11-23T13:05:00+08:00",
        "2026-11-23T13:10:00+08:00",
        "2026-11-23T14:00:00+08:00",
        "2026-11-23T18:00:00+08:00",
    ] {
        env.at(now);
        env.run(&["run"]).ok();
    }
    let escalations = mails_about(&server, "已超时");
    assert_eq!(escalations.len(), 1, "{:?}", server.messages());
    assert_eq!(escalations[0].rcpt_tos, ["chen.jing@example.com"]);
    assert!(
        escalations[0].headers["Subject"].contains(&id),
        "{:?}",
        escalations[0].headers
    );
    let fired = actions(&env, &id, "fired");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        fired[0]["key"].as_str(),
        Some(
            format!(
                "urgent-breach-to-supervisor/{id}/resolution-breached/2026-11-23T09:00:00+08:00"
            )
            .as_str()
        )
    );
    assert_eq!(
        fired[0]["by"].as_str(),
        Some("rule:urgent-breach-to-supervisor")
    );
    env.run(&["check"]).ok();

    // Reopened after a close: a new cycle. The resolution clock resumes
    // where it stopped (docs/sla.md), past its target already, so the next
    // run escalates again, once.
    env.at("2026-11-23T18:10:00+08:00");
    env.run(&["close", &id, "--resolution", "已退款"]).ok();
    env.at("2026-11-23T18:20:00+08:00");
    env.run(&["reopen", &id, "--reason", "退款未到账"]).ok();
    for now in ["2026-11-23T18:25:00+08:00", "2026-11-23T18:30:00+08:00"] {
        env.at(now);
        env.run(&["run"]).ok();
    }
    assert_eq!(mails_about(&server, "已超时").len(), 2);
    assert_eq!(actions(&env, &id, "fired").len(), 2);
}

#[test]
fn the_progress_and_survey_reminders_come_once_per_cycle() {
    let server = SmtpServer::start(&[]);
    let mut env = team_with_mail(server.port);
    let id = env.new_ticket(&["--type", "咨询", "--priority", "一般"]);
    let assignee = env.ticket_yaml(&id)["assignee"]
        .as_str()
        .unwrap()
        .to_string();
    env.run(&["run"]).ok();
    let routed = agent_mails(&server).len();

    // 24 hours without progress: one reminder (a digest) to the assignee.
    env.at("2026-11-24T08:59:00+08:00");
    env.run(&["run"]).ok();
    assert_eq!(agent_mails(&server).len(), routed);
    env.at("2026-11-24T09:00:00+08:00");
    env.run(&["run"]).ok();
    env.at("2026-11-24T09:30:00+08:00");
    env.run(&["run"]).ok();
    assert_eq!(
        agent_mails(&server).len(),
        routed + 1,
        "{:?}",
        agent_mails(&server)
    );
    let reminder = agent_mails(&server).pop().unwrap();
    assert_eq!(reminder.rcpt_tos, [format!("{assignee}@example.com")]);

    // Progress starts a new silence: the next reminder 24 hours after it.
    env.at("2026-11-24T10:00:00+08:00");
    env.run(&["update", &id, "--note", "已联系客户"]).ok();
    env.at("2026-11-25T09:59:00+08:00");
    env.run(&["run"]).ok();
    assert_eq!(agent_mails(&server).len(), routed + 1);
    env.at("2026-11-25T10:00:00+08:00");
    env.run(&["run"]).ok();
    assert_eq!(agent_mails(&server).len(), routed + 2);

    // Closed and not surveyed 20 hours later, four hours before the survey
    // window closes: one survey reminder; no more progress reminders for a
    // closed ticket.
    env.at("2026-11-25T11:00:00+08:00");
    env.run(&["close", &id, "--resolution", "已解答"]).ok();
    for now in [
        "2026-11-26T10:59:00+08:00",
        "2026-11-26T11:00:00+08:00",
        "2026-11-26T12:00:00+08:00",
        "2026-11-27T12:00:00+08:00",
    ] {
        env.at(now);
        env.run(&["run"]).ok();
    }
    assert_eq!(
        agent_mails(&server).len(),
        routed + 3,
        "{:?}",
        agent_mails(&server)
    );
    let fired: Vec<String> = actions(&env, &id, "fired")
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fired,
        [
            format!("progress-overdue/{id}/no_progress_for-1d/2026-11-23T09:00:00+08:00"),
            format!("progress-overdue/{id}/no_progress_for-1d/2026-11-24T10:00:00+08:00"),
            format!("survey-reminder/{id}/unsurveyed_for-20h/2026-11-25T11:00:00+08:00"),
            // The shipped invitation to the customer, two hours after the
            // close; due in the same run, fired in the order of the rules.
            format!("survey-invitation/{id}/unsurveyed_for-2h/2026-11-25T11:00:00+08:00"),
        ]
    );
}

#[test]
fn a_dry_run_says_what_would_fire_and_writes_nothing() {
    let server = SmtpServer::start(&[]);
    let mut env = team_with_mail(server.port);
    let id = env.new_ticket(&["--type", "投诉", "--priority", "紧急"]);
    env.run(&["run"]).ok();
    let before = std::fs::read_to_string(env.ticket_path(&id)).unwrap();
    env.at("2026-11-23T14:00:00+08:00");
    let out = env.run(&["run", "--dry-run"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: time rule urgent-breach-to-supervisor would fire, due since 2026-11-23 13:00"
        )),
        "{}",
        out.stderr
    );
    // And what the firing would send in this run.
    assert!(
        out.stderr.contains(&format!(
            "{id}: email templates/escalation.txt by rule urgent-breach-to-supervisor to chen.jing would deliver"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.ticket_path(&id)).unwrap(),
        before
    );
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn stale_firings_are_let_go_unless_the_run_catches_up_further() {
    let server = SmtpServer::start(&[]);
    let mut env = team_with_mail(server.port);
    let id = env.new_ticket(&["--type", "咨询", "--priority", "一般"]);
    env.run(&["close", &id, "--resolution", "已解答"]).ok();
    // Closed on 2026-11-23 and never surveyed; cron starts a month later.
    env.at("2026-12-23T09:00:00+08:00");
    let out = env.run(&["run", "--dry-run"]).ok();
    assert!(!out.stderr.contains("would fire"), "{}", out.stderr);
    let out = env.run(&["run", "--dry-run", "--catch-up", "60d"]).ok();
    assert!(
        out.stderr
            .contains(&format!("{id}: time rule survey-reminder would fire")),
        "{}",
        out.stderr
    );
    let out = env.run(&["run", "--catch-up", "soon"]).fails(2);
    assert!(out.stderr.contains("'soon'"), "{}", out.stderr);
    env.run(&["run"]).ok();
    assert!(actions(&env, &id, "fired").is_empty());
}

/// Seed 002 end to end: six months of silence open one call-back ticket
/// for the customer's owner, who gets one mail, however often cron runs.
#[test]
fn a_dormant_customer_is_called_back_once_by_its_owner() {
    let server = SmtpServer::start(&[]);
    let mut env = team_with_mail(server.port);
    env.run(&[
        "customer",
        "add",
        "--kind",
        "enterprise",
        "--name",
        "星河科技有限公司",
        "--owner",
        "wang.qiang",
    ])
    .ok();
    // The team added 2027's holidays, as `desk check` asks from December.
    std::fs::write(
        env.path("calendars/cn-2027.yaml"),
        "holidays: [2027-05-01..2027-05-05]\n",
    )
    .unwrap();
    env.at("2027-05-23T08:59:00+08:00");
    let out = env.run(&["run"]).ok();
    assert!(!out.stderr.contains("fired"), "{}", out.stderr);
    env.at("2027-05-23T09:30:00+08:00");
    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr
            .contains("C000002: time rule dormant-callback fired, due since 2027-05-23 09:00"),
        "{}",
        out.stderr
    );
    // 张三 (C000001) went quiet at the same time and has no owner: routed.
    let ids = env.run(&["list", "--format", "ids"]).ok().stdout;
    let ids: Vec<&str> = ids.lines().collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let owned = ids
        .iter()
        .map(|id| env.ticket_yaml(id))
        .find(|t| t["customer"].as_str() == Some("C000002"))
        .unwrap();
    assert_eq!(owned["assignee"].as_str(), Some("wang.qiang"));
    assert_eq!(owned["type"].as_str(), Some("consultation"));
    let mails = mails_about(&server, "待激活客户回访");
    assert_eq!(mails.len(), 2, "one per call-back");
    assert!(
        mails
            .iter()
            .any(|m| m.rcpt_tos.iter().any(|t| t == "wang.qiang@example.com")),
        "{mails:?}"
    );
    // Later runs open and send nothing more; the check is clean.
    for now in ["2027-05-23T09:35:00+08:00", "2027-06-30T09:00:00+08:00"] {
        env.at(now);
        let out = env.run(&["run"]).ok();
        assert!(!out.stderr.contains("fired"), "{}", out.stderr);
    }
    assert_eq!(server.messages().len(), 2);
    assert_eq!(
        env.run(&["list", "--format", "ids"])
            .ok()
            .stdout
            .lines()
            .count(),
        2
    );
    env.run(&["check"]).ok();
}

/// A refused recipient: the server's reply quotes the address (and here a
/// phone number); neither reaches the history, `show`, `outbox` or stderr.
#[test]
fn a_refused_address_is_recorded_and_shown_masked() {
    let server = SmtpServer::start(&[
        "--reject",
        "zhang.san@example.net",
        "--reject-note",
        "call 13912345678 for help",
    ]);
    let env = team_with_rules_and_mail(
        server.port,
        "- {name: tell-customer, when: created, then: [{notify: {to: customer, template: assigned}}]}\n",
    );
    let id = env.new_ticket(&["--type", "投诉"]);
    let run = env.run(&["run"]).fails(1);
    let file = std::fs::read_to_string(env.ticket_path(&id)).unwrap();
    let show = env.run(&["show", &id]).ok().stdout;
    let outbox = env.run(&["outbox", "--format", "csv"]).ok().stdout;
    for (what, text) in [
        ("stderr", &run.stderr),
        ("the ticket file", &file),
        ("show", &show),
        ("outbox", &outbox),
    ] {
        for secret in ["zhang.san@example.net", "13912345678"] {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }
    let failed = actions(&env, &id, "delivery_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    let error = failed[0]["error"].as_str().unwrap();
    assert!(
        error.contains("RCPT TO:<z***@example.net>") && error.contains("550"),
        "{error}"
    );
    assert!(error.contains("call *******5678 for help"), "{error}");
    // Given up (a permanent refusal), shown as such.
    assert!(outbox.contains("z***@example.net"), "{outbox}");
    // The supervisor's mail went through.
    assert_eq!(server.messages().len(), 1);
}

/// A title of 1,000 characters without a space (a pasted URL), with text
/// that looks like an encoded word and a right-to-left override, in every
/// shipped template: each mail reaches the real server with every line
/// within RFC 5322's limit, its subject read back as written (but the
/// override shown, not obeyed), and nothing decoded that was not encoded.
#[test]
fn every_template_sends_a_long_odd_title_intact_in_short_lines() {
    let server = SmtpServer::start(&[]);
    let templates = ["assigned", "escalation", "progress", "survey"];
    let rules: String = templates
        .iter()
        .map(|t| {
            format!(
                "- {{name: all-{t}, when: created, then: [{{notify: {{to: {{agent: li.na}}, template: {t}}}}}]}}\n"
            )
        })
        .collect();
    let env = team_with_rules_and_mail(server.port, &rules);
    let url = format!("https://example.com/{}", "a".repeat(980));
    let title = format!("{url} =?utf-8?b?5L2g5aW9?= 退款\u{202e}gpj.exe");
    let id = env.new_ticket(&["--type", "投诉", "--title", &title]);
    env.run(&["run"]).ok();
    let mails: Vec<_> = server
        .messages()
        .into_iter()
        .filter(|m| m.rcpt_tos == ["li.na@example.com"])
        .collect();
    assert_eq!(mails.len(), templates.len(), "{mails:?}");
    for mail in &mails {
        for line in mail.data.split("\r\n") {
            assert!(line.len() <= 998, "a line of {} characters", line.len());
        }
        let head = &mail.data[..mail.data.find("\r\n\r\n").unwrap()];
        for line in head.split("\r\n") {
            assert!(line.len() <= 78, "a header line of {}: {line}", line.len());
        }
        let subject = &mail.headers["Subject"];
        assert!(subject.contains(&id), "{subject}");
        assert!(!subject.contains("你好"), "decoded: {subject}");
        let body = mail.body.as_deref().unwrap();
        assert!(!body.contains('\u{202e}'), "{body}");
        if subject.contains(&url) {
            assert!(
                subject.ends_with(&format!(
                    ": {url} =?utf-8?b?5L2g5aW9?= 退款\\u{{202e}}gpj.exe"
                )),
                "{subject}"
            );
        }
    }
    // The title is in the subject of `assigned`, in full.
    assert!(mails.iter().any(|m| m.headers["Subject"].contains(&url)));
}

/// A template that loops too much is refused by `check` and by every
/// command that checks templates, at once and naming it, before anything
/// is written.
#[test]
fn a_template_that_does_too_much_is_refused_naming_it() {
    let server = SmtpServer::start(&[]);
    let env = team_with_mail(server.port);
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        config.replacen(
            "mail:\n",
            "- {name: heavy, when: created, then: [{notify: {to: {agent: li.na}, template: heavy}}]}\nmail:\n",
            1,
        ),
    )
    .unwrap();
    std::fs::write(
        env.path("templates/heavy.txt"),
        "Subject: {{ ticket.id }}\n\n{% for a in range(100000) %}{% for b in range(100000) %}{{ ticket.title }}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let before = env.snapshot();
    let start = std::time::Instant::now();
    for out in [
        env.run(&["check"]),
        env.new_ticket_run(&["--type", "投诉"]),
        env.run(&["run"]),
    ] {
        let out = out.fails(1);
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(
            said.contains("templates/heavy.txt does not render")
                && said.contains("more work than desk allows a template"),
            "{said}"
        );
    }
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    assert_eq!(env.snapshot(), before);
    assert!(server.messages().is_empty());
}

/// A run killed during a send leaves the ticket it staged in
/// `.desk/sending/`; the next run removes it, and `check` has nothing to
/// say about it.
#[test]
fn a_run_removes_what_a_killed_run_staged() {
    let server = SmtpServer::start(&[]);
    let env = team_with_mail(server.port);
    let id = env.new_ticket(&["--type", "投诉"]);
    let dir = env.path(".desk/sending");
    std::fs::create_dir_all(&dir).unwrap();
    // 4194303: above Linux's largest PID, never a live process.
    let staged = dir.join(format!(".{id}.yaml.4194303.0.tmp"));
    std::fs::write(&staged, "a ticket staged by a killed run").unwrap();
    env.run(&["check"]).ok();
    env.run(&["run"]).ok();
    assert!(!staged.exists());
    assert_eq!(server.messages().len(), 1);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

/// The deliveries of a ticket's history with this action (`notified`,
/// `delivery_failed`).
fn count(env: &TestEnv, id: &str, action: &str) -> usize {
    actions(env, id, action).len()
}

#[test]
fn desk_new_mails_its_notice_before_it_returns_and_desk_run_sends_nothing_more() {
    let server = SmtpServer::start(&[]);
    let mut env = team_delivering_at_once(server.port);
    let out = env
        .new_ticket_run(&["--type", "投诉", "--title", "快递三天未到"])
        .ok();
    let id = out.stdout.trim().to_string();
    // Received by the server when the command returned.
    let got = server.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].rcpt_tos, ["chen.jing@example.com"]);
    assert!(
        got[0].headers["Subject"].contains(&id),
        "{:?}",
        got[0].headers
    );
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule complaints-to-supervisor to chen.jing delivered"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(count(&env, &id, "notified"), 1);
    // Nothing waits in the outbox; cron sends nothing more.
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(!outbox.stdout.contains(&id), "{}", outbox.stdout);
    env.at("2026-11-23T09:05:00+08:00");
    let run = env.run(&["run"]).ok();
    assert!(!run.stderr.contains("delivered"), "{}", run.stderr);
    assert_eq!(server.messages().len(), 1);
    // A later command's own notice goes at once too: a hand assignment
    // tells the new assignee.
    env.run(&["assign", &id, "li.na"]).ok();
    let got = server.messages();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].rcpt_tos, ["li.na@example.com"]);
    env.run(&["run"]).ok();
    assert_eq!(server.messages().len(), 2);
    env.run(&["check"]).ok();
}

#[test]
fn with_the_mail_server_down_the_command_succeeds_and_desk_run_delivers_later_once() {
    let server = SmtpServer::start(&[]);
    let port = server.port;
    drop(server);
    let mut env = team_delivering_at_once(port);
    let out = env.new_ticket_run(&["--type", "投诉"]).ok();
    let id = out.stdout.trim().to_string();
    assert!(
        out.stderr
            .contains("failed (attempt 1, next at 2026-11-23 09:05)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "note: {id}: the notice will be retried by `desk run`"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(count(&env, &id, "delivery_failed"), 1);
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(outbox.stdout.contains(&id), "{}", outbox.stdout);

    let server = SmtpServer::start(&["--port", &port.to_string()]);
    // Before its next attempt, cron leaves it; then delivers it once.
    env.at("2026-11-23T09:03:00+08:00");
    env.run(&["run"]).ok();
    assert!(server.messages().is_empty());
    env.at("2026-11-23T09:06:00+08:00");
    env.run(&["run"]).ok();
    env.run(&["run"]).ok();
    assert_eq!(server.messages().len(), 1);
    assert_eq!(count(&env, &id, "notified"), 1);
}

#[test]
fn with_deliver_at_once_false_nothing_goes_until_desk_run() {
    let server = SmtpServer::start(&[]);
    let env = team_with_mail(server.port);
    let out = env.new_ticket_run(&["--type", "投诉"]).ok();
    let id = out.stdout.trim().to_string();
    assert!(!out.stderr.contains("delivered"), "{}", out.stderr);
    assert!(server.messages().is_empty());
    assert_eq!(count(&env, &id, "notified"), 0);
    env.run(&["run"]).ok();
    assert_eq!(server.messages().len(), 1);
}

/// Marks agents away in desk.yaml, as a team does for a holiday.
fn away(env: &TestEnv, agents: &[&str]) {
    let path = env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for agent in agents {
        let entry = format!("- id: {agent}\n");
        assert!(text.contains(&entry), "{agent}");
        text = text.replacen(&entry, &format!("{entry}  away: true\n"), 1);
    }
    std::fs::write(&path, text).unwrap();
    env.run(&["check"]).ok();
}

#[test]
fn a_ticket_closed_before_desk_run_has_its_unassigned_notice_dropped_not_sent() {
    let server = SmtpServer::start(&[]);
    let port = server.port;
    let mut env = team_delivering_at_once(port);
    // Every supervisor and service agent away: the complaint stays unassigned.
    away(&env, &["chen.jing", "li.na"]);
    let id = env.new_ticket(&["--type", "投诉"]);
    assert!(agent_mails(&server).is_empty());
    // 15 minutes on, cron tells the engineers, but the server is down.
    drop(server);
    env.at("2026-11-23T09:16:00+08:00");
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr
            .contains("email by rule unassigned-to-supervisor to wang.qiang failed"),
        "{}",
        out.stderr
    );
    // Closed (on this clone or a merged one) before the retry.
    env.at("2026-11-23T09:20:00+08:00");
    env.run(&["close", &id, "--resolution", "已电话解决"]).ok();
    let server = SmtpServer::start(&["--port", &port.to_string()]);
    env.at("2026-11-23T09:30:00+08:00");
    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule unassigned-to-supervisor to wang.qiang dropped: the ticket is closed since"
        )),
        "{}",
        out.stderr
    );
    assert!(
        agent_mails(&server).is_empty(),
        "{:?}",
        agent_mails(&server)
    );
    // The result notice to the customer tried at the close is another
    // rule's delivery.
    let failed: Vec<_> = actions(&env, &id, "delivery_failed")
        .into_iter()
        .filter(|e| e["by"].as_str() == Some("rule:unassigned-to-supervisor"))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(
        failed[1]["error"].as_str(),
        Some("dropped: the ticket is closed since")
    );
    assert!(failed[1].get("next_attempt").is_none(), "{failed:?}");
    // Never tried again; the store stays valid.
    env.at("2026-11-24T09:30:00+08:00");
    env.run(&["run"]).ok();
    assert!(agent_mails(&server).is_empty());
    env.run(&["check"]).ok();
}

#[test]
fn an_event_rule_s_notice_for_a_ticket_closed_since_is_dropped_but_a_close_s_own_is_sent() {
    let server = SmtpServer::start(&[]);
    let env = team_with_rules_and_mail(
        server.port,
        "- name: tell-boss-on-close\n  when: closed\n  then:\n  - notify: {to: {agent: chen.jing}, template: progress}\n",
    );
    let id = env.new_ticket(&["--type", "投诉"]);
    env.run(&["close", &id, "--resolution", "已退款"]).ok();
    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule complaints-to-supervisor to chen.jing dropped: the ticket is closed since"
        )),
        "{}",
        out.stderr
    );
    // The rule that fires on the close is about a closed ticket: sent.
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule tell-boss-on-close to chen.jing delivered"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(agent_mails(&server).len(), 1);
}

#[test]
fn commands_and_desk_runs_racing_send_each_notice_once() {
    let server = SmtpServer::start(&[]);
    let env = team_delivering_at_once(server.port);
    let mut children = Vec::new();
    for i in 0..6 {
        let mut new = env.std_cmd();
        new.args([
            "new",
            "--customer",
            "C000001",
            "--type",
            "投诉",
            "--priority",
            "一般",
            "--channel",
            "phone",
            "--title",
        ])
        .arg(format!("并发 {i}"));
        let mut run = env.std_cmd();
        run.arg("run");
        for mut cmd in [new, run] {
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            children.push(cmd.spawn().unwrap());
        }
    }
    let mut ids = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        if i % 2 == 0 {
            assert!(out.status.success(), "{out:?}");
            ids.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
        }
    }
    // What a busy clone left, the next run sends.
    env.run(&["run"]).ok();
    let got = server.messages();
    assert_eq!(got.len(), ids.len(), "{got:?}");
    for id in &ids {
        assert_eq!(count(&env, id, "notified"), 1, "{id}");
        assert_eq!(count(&env, id, "delivery_failed"), 0, "{id}");
    }
}
