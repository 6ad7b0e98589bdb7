//! The whole loop on a fresh store, as a team sets it up: the shipped rules
//! route a complaint to the supervisor and queue a mail; `desk run` sends it
//! to a real SMTP server on 127.0.0.1, once.

use crate::common::{SmtpServer, TestEnv};

/// A store made by `desk init` with its shipped rules and templates, a team
/// with e-mail addresses, and `mail:` pointing at the test server.
fn team_with_mail(port: u16) -> TestEnv {
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
            "{text}mail:\n  from: 客服中心 <service@example.com>\n  timeout: 5\n  smtp: {{host: 127.0.0.1, port: {port}, security: none}}\n"
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
