//! `desk reply`: an answer mailed to the customer through a real SMTP
//! server on 127.0.0.1, recorded once, and the customer's answer to it fed
//! back through `desk mail-in` into the same ticket.

use crate::common::mail_corpus as corpus;
use crate::common::{SmtpServer, TestEnv};
use crate::delivery::team;

/// A mail from 张三 (zhang.san@example.net, the team's customer) with these
/// headers and body.
fn from_zhang_san(headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: 张三 <zhang.san@example.net>\r\nTo: service@example.com\r\n\
         Date: Tue, 01 Dec 2026 09:30:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n{headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

fn mail_in(env: &TestEnv, bytes: Vec<u8>) -> (String, String) {
    let out = env.output(env.cmd().arg("mail-in").write_stdin(bytes)).ok();
    let line = out.stdout.lines().next().unwrap_or_default().to_string();
    let mut parts = line.split('\t');
    (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    )
}

fn history_actions(env: &TestEnv, id: &str) -> Vec<String> {
    env.ticket_yaml(id)["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_answer_threads_to_the_customer_and_their_answers_come_back_to_the_ticket() {
    let server = SmtpServer::start(&[]);
    let env = team(
        server.port,
        "",
        "  deliver_at_once: false\n  reply_to: 客服 <support@example.com>\n",
    );
    let (id, what) = mail_in(
        &env,
        from_zhang_san(
            "Subject: 订单未到货\r\nMessage-ID: <first@mail.example.net>\r\n",
            "我的订单三天了还没到。",
        ),
    );
    assert_eq!(what, "created");

    let out = env
        .run(&[
            "reply",
            &id,
            "--message",
            "您好，已为您催促快递，明天送达。",
        ])
        .ok();
    let message_id = out.stdout.trim().to_string();
    assert!(message_id.ends_with("@desk"), "{}", out.stdout);
    let got = server.messages();
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.rcpt_tos, ["zhang.san@example.net"]);
    assert_eq!(mail.headers["Subject"], format!("Re: [{id}] 订单未到货"));
    assert!(
        mail.headers["Reply-To"].contains("support@example.com"),
        "{:?}",
        mail.headers
    );
    assert_eq!(mail.headers["In-Reply-To"], "<first@mail.example.net>");
    assert_eq!(mail.headers["Message-ID"], format!("<{message_id}>"));
    assert!(mail.body.as_deref().unwrap().contains("明天送达"));
    // Recorded once, as the first response.
    let ticket = env.ticket_yaml(&id);
    let replied = ticket["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["action"].as_str() == Some("replied"))
        .expect("a replied event");
    assert_eq!(replied["to"].as_str(), ticket["customer"].as_str());
    assert_eq!(replied["message_id"].as_str(), Some(message_id.as_str()));
    // The address is looked up when sending, not copied into the event.
    assert!(
        !format!("{replied:?}").contains("zhang.san@"),
        "{replied:?}"
    );
    // `desk show` names who wrote each mail, masked.
    let shown = env.run(&["show", &id]).ok();
    assert!(
        shown
            .stdout
            .contains("e-mail received from z***@example.net"),
        "{}",
        shown.stdout
    );
    let sla = env.run(&["show", &id, "--format", "json"]).ok();
    assert!(sla.stdout.contains("replied"), "{}", sla.stdout);

    // The customer answers the answer: threaded by In-Reply-To.
    let (again, what) = mail_in(
        &env,
        from_zhang_san(
            &format!(
                "Subject: 回复：好的\r\nMessage-ID: <second@mail.example.net>\r\n\
                 In-Reply-To: <{message_id}>\r\nReferences: <first@mail.example.net> <{message_id}>\r\n"
            ),
            "好的，谢谢。",
        ),
    );
    assert_eq!((again.as_str(), what.as_str()), (id.as_str(), "replied"));

    // A reply to the reply threads to the customer's latest mail.
    env.run(&["reply", &id, "-m", "不客气，如有问题随时联系。"])
        .ok();
    let got = server.messages();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].headers["In-Reply-To"], "<second@mail.example.net>");
    assert!(
        got[1].headers["References"].contains(&format!("<{message_id}>")),
        "{:?}",
        got[1].headers
    );

    // A client that drops the threading headers (QQ Mail): the ticket ID in
    // the subject, from the customer's address, finds the ticket.
    let (third, what) = mail_in(
        &env,
        from_zhang_san(
            &format!("Subject: Re: [{id}] 订单未到货\r\nMessage-ID: <third@mail.example.net>\r\n"),
            "已收到货。",
        ),
    );
    assert_eq!((third.as_str(), what.as_str()), (id.as_str(), "replied"));
    let actions = history_actions(&env, &id);
    assert_eq!(actions.iter().filter(|a| *a == "replied").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "received").count(), 3);
    env.run(&["check"]).ok();
}

fn ticket_text(env: &TestEnv, id: &str) -> String {
    let dir = env.path("tickets");
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy() == format!("{id}.yaml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .unwrap()
}

#[test]
fn an_attachment_is_sent_listed_and_kept() {
    let server = SmtpServer::start(&[]);
    let env = team(server.port, "", "  deliver_at_once: false\n");
    let id = env.new_ticket(&["--customer", "C000001", "--title", "发票"]);
    let file = env.outside("发票 12月.pdf");
    std::fs::write(&file, b"%PDF-1.4 invoice").unwrap();
    env.run(&["reply", &id, "-m", "发票见附件。", "--attach", &file])
        .ok();
    let twice = env.run(&[
        "reply", &id, "-m", "x", "--attach", &file, "--attach", &file,
    ]);
    assert_eq!(twice.code, 1, "{}", twice.stderr);
    assert!(twice.stderr.contains("given twice"), "{}", twice.stderr);
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].headers["Subject"].starts_with(&format!("[{id}]")),
        "{:?}",
        got[0].headers
    );
    assert!(got[0].data.contains("multipart/mixed"), "{}", got[0].data);
    assert!(
        got[0].data.contains("%PDF-1.4 invoice")
            && got[0]
                .data
                .contains("filename*0*=utf-8''%E5%8F%91%E7%A5%A8%2012%E6%9C%88.pdf"),
        "the file by its name:\n{}",
        got[0].data
    );
    let text = ticket_text(&env, &id);
    assert!(text.contains("size: 16"), "{text}");
    let saved = std::fs::read_dir(env.path(&format!("attachments/{id}")))
        .unwrap()
        .count();
    assert_eq!(saved, 1);
}

#[test]
fn a_failed_send_records_nothing_and_internal_notes_send_nothing() {
    let server = SmtpServer::start(&[]);
    let port = server.port;
    let env = team(port, "", "  deliver_at_once: false\n");
    let id = env.new_ticket(&["--customer", "C000001"]);
    let before = ticket_text(&env, &id);

    // Internal: recorded as a note, never mailed.
    let out = env
        .run(&["reply", &id, "--internal", "-m", "客户脾气急，优先处理"])
        .ok();
    assert!(out.stderr.contains("not mailed"), "{}", out.stderr);
    assert!(server.messages().is_empty());
    assert_eq!(
        history_actions(&env, &id).last().map(String::as_str),
        Some("updated")
    );
    let with_note = ticket_text(&env, &id);
    assert_ne!(before, with_note);

    // The server is gone: the command fails and the ticket is as it was.
    drop(server);
    let out = env.run(&["reply", &id, "-m", "您好"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("not sent"), "{}", out.stderr);
    assert!(!out.stderr.contains("zhang.san@"), "masked: {}", out.stderr);
    assert_eq!(ticket_text(&env, &id), with_note);

    // Nothing to say, nothing done.
    let out = env.run(&["reply", &id, "-m", "  "]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("must not be empty"), "{}", out.stderr);
    assert_eq!(ticket_text(&env, &id), with_note);
}

#[test]
fn without_mail_settings_a_reply_is_refused_and_nothing_is_written() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let out = env.run(&["reply", &id, "-m", "您好"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("no `mail:`"), "{}", out.stderr);
    assert!(!history_actions(&env, &id).contains(&"replied".to_string()));
}

/// The whole loop as a team set up by `desk init` sees it: a GBK mail
/// becomes a ticket for its sender, the shipped rule acknowledges it at
/// once, the customer's answer to the acknowledgement threads in, an
/// agent's answer goes out, and the result notice follows the close.
#[test]
fn a_gbk_mail_is_acknowledged_answered_and_its_result_told() {
    let server = SmtpServer::start(&[]);
    let env = team(server.port, "", "");
    let customer = env
        .run(&crate::common::customer_add(
            "individual",
            "张伟",
            &["--email", "zhang.wei@example.cn"],
        ))
        .ok()
        .stdout
        .trim()
        .to_string();
    let out = env
        .output(env.cmd().arg("mail-in").write_stdin(corpus("gbk.eml")))
        .ok();
    let id = out.stdout.split('\t').next().unwrap().to_string();
    let ticket = env.ticket_yaml(&id);
    assert_eq!(ticket["customer"].as_str(), Some(customer.as_str()));
    assert_eq!(ticket["title"].as_str(), Some("订单未到货"));
    // Acknowledged before mail-in returned, with the number and the promise.
    let to_customer = |server: &SmtpServer| -> Vec<crate::common::Received> {
        server
            .messages()
            .into_iter()
            .filter(|m| m.rcpt_tos == ["zhang.wei@example.cn"])
            .collect()
    };
    let got = to_customer(&server);
    assert_eq!(got.len(), 1, "{}", out.stderr);
    let ack = &got[0];
    assert!(
        ack.headers["Subject"].contains(&format!("[{id}]")),
        "{:?}",
        ack.headers
    );
    let body = ack.body.as_deref().unwrap();
    assert!(
        body.starts_with("张伟，您好"),
        "the full name, to the customer: {body}"
    );
    assert!(
        body.contains("前答复您"),
        "the first-response promise: {body}"
    );
    let ack_id = ack.headers["Message-ID"]
        .trim_matches(['<', '>'])
        .to_string();

    // The customer answers the acknowledgement: threaded into the ticket.
    let answer = format!(
        "From: zhang.wei@example.cn\r\nTo: service@example.com\r\nSubject: Re: {}\r\n\
         Message-ID: <ack-answer@example.cn>\r\nIn-Reply-To: <{ack_id}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n订单号是 20261130-77。\r\n",
        ack.headers["Subject"]
    );
    let out = env
        .output(env.cmd().arg("mail-in").write_stdin(answer.into_bytes()))
        .ok();
    assert!(
        out.stdout.starts_with(&format!("{id}\treplied")),
        "{}",
        out.stdout
    );

    env.run(&["reply", &id, "-m", "已查到订单，明天送达。"])
        .ok();
    assert_eq!(to_customer(&server).len(), 2);
    assert_eq!(
        to_customer(&server)[1].headers["In-Reply-To"],
        "<ack-answer@example.cn>"
    );

    // The close tells the customer the result, with the compensation.
    env.run(&[
        "close",
        &id,
        "--resolution",
        "已补发",
        "--compensation",
        "10 元优惠券",
    ])
    .ok();
    let got = to_customer(&server);
    assert_eq!(got.len(), 3);
    let result = got[2].body.as_deref().unwrap();
    assert!(
        result.contains("已补发") && result.contains("10 元优惠券"),
        "{result}"
    );
    env.run(&["check"]).ok();
}

#[test]
fn a_customer_without_e_mail_is_told_nothing_and_nothing_is_retried() {
    let server = SmtpServer::start(&[]);
    let env = team(server.port, "", "");
    let customer = env
        .run(&crate::common::customer_add(
            "individual",
            "李四",
            &["--phone", "13900000002"],
        ))
        .ok()
        .stdout
        .trim()
        .to_string();
    let id = env.new_ticket(&["--customer", &customer]);
    let out = env.run(&["close", &id, "--resolution", "电话已解决"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "dropped: customer {customer} has no e-mail on file"
        )),
        "{}",
        out.stderr
    );
    assert!(server
        .messages()
        .iter()
        .all(|m| m.rcpt_tos.iter().all(|r| r.ends_with("@example.com"))));
    let outbox = env.run(&["outbox", "--format", "csv"]).ok();
    assert!(
        !outbox.stdout.contains("result-notice"),
        "{}",
        outbox.stdout
    );
}

/// The survey invitation goes out two hours after the close, and the
/// customer's reply to it records the survey as `desk survey` would.
#[test]
fn a_survey_is_answered_by_replying_to_the_invitation() {
    let server = SmtpServer::start(&[]);
    let mut env = team(server.port, "", "");
    let ask = |env: &TestEnv, n: usize| -> (String, String) {
        let (id, _) = mail_in(
            env,
            from_zhang_san(
                &format!("Subject: 问题{n}\r\nMessage-ID: <ask-{n}@mail.example.net>\r\n"),
                "设备无法开机。",
            ),
        );
        env.run(&["close", &id, "--resolution", "已远程修复"]).ok();
        (id, String::new())
    };
    let (happy, _) = ask(&env, 1);
    let (unhappy, _) = ask(&env, 2);
    let (unsure, _) = ask(&env, 3);
    let (prose, _) = ask(&env, 4);
    env.at("2026-11-23T11:05:00+08:00");
    env.run(&["run"]).ok();
    let invitations: Vec<_> = server
        .messages()
        .into_iter()
        .filter(|m| m.headers["Subject"].contains("满意度回访"))
        .collect();
    assert_eq!(invitations.len(), 4);
    let invitation_of = |id: &str| -> String {
        let m = invitations
            .iter()
            .find(|m| m.headers["Subject"].contains(id))
            .unwrap();
        assert!(m.body.as_deref().unwrap().contains("5 5 5 10"));
        m.headers["Message-ID"].clone()
    };
    let answer = |id: &str, text: &str, n: usize| {
        let headers = format!(
            "Subject: Re: 满意度回访\r\nMessage-ID: <answer-{n}@mail.example.net>\r\nIn-Reply-To: {}\r\n",
            invitation_of(id)
        );
        env.output(
            env.cmd()
                .arg("mail-in")
                .write_stdin(from_zhang_san(&headers, text)),
        )
        .ok()
    };

    let out = answer(&happy, "5 4 5 9\r\n师傅很专业。", 1);
    assert!(out.stderr.contains("answered the survey"), "{}", out.stderr);
    let t = env.ticket_yaml(&happy);
    assert_eq!(t["status"].as_str(), Some("closed"));
    let surveyed = t["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["action"].as_str() == Some("surveyed"))
        .expect("a surveyed event");
    assert_eq!(surveyed["scores"]["attitude"].as_u64(), Some(4));
    assert_eq!(surveyed["nps"].as_u64(), Some(9));
    assert_eq!(surveyed["comment"].as_str(), Some("师傅很专业。"));
    // Answered by the customer, whoever ran mail-in.
    let customer = format!("customer:{}", t["customer"].as_str().unwrap());
    assert_eq!(surveyed["by"].as_str(), Some(customer.as_str()));

    // 2 is at or below the threshold: unsatisfied, reopened as by desk survey.
    let out = answer(&unhappy, "效率2 态度4 方案3 推荐5", 2);
    assert!(out.stderr.contains("reopened"), "{}", out.stderr);
    assert_ne!(env.ticket_yaml(&unhappy)["status"].as_str(), Some("closed"));

    // Two scores for three dimensions: not guessed, left for an agent.
    let out = answer(&unsure, "5 4", 3);
    assert!(
        out.stderr.contains("cannot be read for sure"),
        "{}",
        out.stderr
    );
    let t = env.ticket_yaml(&unsure);
    assert_eq!(t["status"].as_str(), Some("closed"));
    assert!(!history_actions(&env, &unsure).contains(&"surveyed".to_string()));
    assert_eq!(
        history_actions(&env, &unsure).last().map(String::as_str),
        Some("received")
    );

    // Words: a reply like any other, which reopens the closed ticket.
    answer(&prose, "还是开不了机，怎么办？", 4);
    assert_ne!(env.ticket_yaml(&prose)["status"].as_str(), Some("closed"));
    env.run(&["check"]).ok();
}

/// What an answer may not carry, and what it loses on the way: a card
/// number is refused as in a note, a Notepad byte-order mark is dropped,
/// a control character is refused; nothing sent when refused.
#[test]
fn an_answer_is_held_to_the_rules_of_a_note() {
    let server = SmtpServer::start(&[]);
    let env = team(server.port, "", "  deliver_at_once: false\n");
    let id = env.new_ticket(&["--customer", "C000001"]);
    let before = ticket_text(&env, &id);
    let out = env.run(&["reply", &id, "-m", "卡号 6222021234567890128 已退款"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("****0128"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("6222021234567890128"),
        "{}",
        out.stderr
    );
    let out = env.run(&["reply", &id, "-m", "您好\u{1b}[31m"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(server.messages().is_empty());
    assert_eq!(ticket_text(&env, &id), before);

    let file = env.outside("answer.txt");
    std::fs::write(&file, "\u{feff}您好，已处理。\r\n").unwrap();
    env.run(&["reply", &id, "--file", &file]).ok();
    let got = server.messages();
    let body = got[0].body.as_deref().unwrap();
    assert!(body.starts_with("您好，已处理。"), "{body:?}");
    // A person's answer: X-Loop names desk's address; not automatic.
    assert_eq!(got[0].headers["X-Loop"], "service@example.com");
    assert!(!got[0].headers.contains_key("Auto-Submitted"));
    // A rule's notice is.
    env.run(&["close", &id, "--resolution", "已处理"]).ok();
    env.run(&["run"]).ok();
    let notice = server
        .messages()
        .into_iter()
        .find(|m| m.headers["Subject"].contains("已处理完毕"))
        .expect("the result notice");
    assert_eq!(notice.headers["Auto-Submitted"], "auto-generated");
}

/// Only the customer answers their survey: a stranger who learnt the
/// invitation's Message-ID records nothing.
#[test]
fn a_stranger_cannot_answer_the_survey() {
    let server = SmtpServer::start(&[]);
    let mut env = team(server.port, "", "");
    let id = env.new_ticket(&["--customer", "C000001"]);
    env.run(&["close", &id, "--resolution", "已处理"]).ok();
    env.at("2026-11-23T11:05:00+08:00");
    env.run(&["run"]).ok();
    let invitation = server
        .messages()
        .into_iter()
        .find(|m| m.headers["Subject"].contains("满意度回访"))
        .expect("an invitation");
    let forged = format!(
        "From: rival@competitor.example\r\nSubject: Re: survey\r\nMessage-ID: <rival-1@competitor.example>\r\n\
         In-Reply-To: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n1 1 1 0\r\n",
        invitation.headers["Message-ID"]
    );
    env.output(env.cmd().arg("mail-in").write_stdin(forged.into_bytes()))
        .ok();
    assert!(!history_actions(&env, &id).contains(&"surveyed".to_string()));
}
