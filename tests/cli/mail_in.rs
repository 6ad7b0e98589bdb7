//! `desk mail-in`: the messages of tests/mail/ filed as tickets and replies.

use std::path::PathBuf;

use crate::common::mail_corpus as corpus;
use crate::common::{customer_add, Output, TestEnv};

/// A message of the corpus with its From and Message-ID replaced.
fn as_from(name: &str, from: &str, message_id: &str) -> Vec<u8> {
    let text = String::from_utf8(corpus(name)).expect("an ASCII message");
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("From:") {
            out.push_str(&format!("From: {from}\r\n"));
        } else if line.starts_with("Message-ID:") {
            out.push_str(&format!("Message-ID: <{message_id}>\r\n"));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

fn pipe(env: &TestEnv, bytes: &[u8]) -> Output {
    env.output(env.cmd().arg("mail-in").write_stdin(bytes.to_vec()))
}

/// The ticket of a `created` or `replied` line, checking its word.
fn filed(out: &Output, word: &str) -> String {
    let line = out.stdout.lines().next().unwrap_or_default().to_string();
    let parts: Vec<&str> = line.split('\t').collect();
    assert_eq!(
        parts.get(1),
        Some(&word),
        "line {line:?}\nstderr: {}",
        out.stderr
    );
    parts[0].to_string()
}

fn ticket_files(env: &TestEnv) -> usize {
    walkdir::WalkDir::new(env.path("tickets"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .count()
}

/// Zhang Wei, the sender of gbk.eml and qq-reply.eml, as customer C000004.
fn with_zhang_wei(env: &TestEnv) -> String {
    let out = env
        .run(&customer_add(
            "individual",
            "张伟",
            &["--email", "zhang.wei@example.cn"],
        ))
        .ok();
    out.stdout.trim().to_string()
}

#[test]
fn a_gbk_mail_piped_in_opens_one_ticket_for_its_sender_however_often_it_comes() {
    let env = TestEnv::new();
    let customer = with_zhang_wei(&env);
    let out = pipe(&env, &corpus("gbk.eml")).ok();
    let id = filed(&out, "created");
    let ticket = env.ticket_yaml(&id);
    assert_eq!(ticket["customer"].as_str(), Some(customer.as_str()));
    assert_eq!(ticket["channel"].as_str(), Some("email"));
    assert_eq!(ticket["title"].as_str(), Some("订单未到货"));
    let description = ticket["description"].as_str().unwrap();
    assert!(description.contains("订单还没有到货"), "{description}");
    let received = &ticket["history"][1];
    assert_eq!(received["action"].as_str(), Some("received"));
    assert_eq!(
        received["message_id"].as_str(),
        Some("gbk-1@mail.example.cn")
    );
    assert_eq!(received["from"].as_str(), Some("zhang.wei@example.cn"));

    let again = pipe(&env, &corpus("gbk.eml")).ok();
    assert_eq!(filed(&again, "skipped"), id);
    assert!(again.stderr.contains("1 skipped"), "{}", again.stderr);
    assert_eq!(ticket_files(&env), 1);
}

#[test]
fn an_enterprise_is_found_by_a_contact_and_a_stranger_becomes_a_customer() {
    let env = TestEnv::new();
    let out = env
        .run(&customer_add(
            "enterprise",
            "华信贸易有限公司",
            &["--contact", "name=张伟,email=zhang.wei@example.cn"],
        ))
        .ok();
    let enterprise = out.stdout.trim().to_string();
    let id = filed(&pipe(&env, &corpus("gbk.eml")).ok(), "created");
    assert_eq!(
        env.ticket_yaml(&id)["customer"].as_str(),
        Some(enterprise.as_str())
    );

    // A stranger: a new customer, source `other` as the default sources
    // have no `email`, `email` once desk.yaml's have.
    let new_customer = |env: &TestEnv, name: &str, source: &str| {
        let out = pipe(env, &corpus(name)).ok();
        let id = filed(&out, "created");
        let customer = env.ticket_yaml(&id)["customer"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            out.stderr.contains(&format!("new customer {customer}")),
            "{}",
            out.stderr
        );
        let record =
            std::fs::read_to_string(env.path(&format!("customers/{customer}.yaml"))).unwrap();
        assert!(record.contains(&format!("source: {source}")), "{record}");
        record
    };
    let record = new_customer(&env, "attachment.eml", "other");
    assert!(record.contains("email: zhao.lei@example.com"), "{record}");
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let config = config.replacen(
        "  - key: other\n",
        "  - key: email\n    label: 邮件\n  - key: other\n",
        1,
    );
    std::fs::write(env.path("desk.yaml"), config).unwrap();
    new_customer(&env, "plain.eml", "email");
}

#[test]
fn a_reply_threads_by_in_reply_to_and_brings_a_pending_ticket_back() {
    let env = TestEnv::new();
    let id = filed(&pipe(&env, &corpus("plain.eml")).ok(), "created");
    env.run(&[
        "update",
        &id,
        "--note",
        "asked for the model",
        "--status",
        "pending",
    ])
    .ok();
    let out = pipe(&env, &corpus("reply.eml")).ok();
    assert_eq!(filed(&out, "replied"), id);
    let ticket = env.ticket_yaml(&id);
    assert_eq!(ticket["status"].as_str(), Some("in_progress"));
    let history = ticket["history"].as_sequence().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["action"].as_str(), Some("received"));
    assert_eq!(
        last["message_id"].as_str(),
        Some("reply-1@mail.example.com")
    );
    assert!(
        last["note"].as_str().is_some_and(|n| !n.contains("> ")),
        "{last:?}"
    );
    assert_eq!(ticket_files(&env), 1);
}

#[test]
fn a_reply_to_a_closed_ticket_reopens_it_or_opens_a_new_one_as_desk_yaml_says() {
    let env = TestEnv::new();
    let id = filed(&pipe(&env, &corpus("plain.eml")).ok(), "created");
    env.run(&["close", &id, "--resolution", "replaced the roller"])
        .ok();
    let out = pipe(&env, &corpus("reply.eml")).ok();
    assert_eq!(filed(&out, "replied"), id);
    assert!(out.stderr.contains("reopened"), "{}", out.stderr);
    let ticket = env.ticket_yaml(&id);
    assert_ne!(ticket["status"].as_str(), Some("closed"));
    // The customer's mail did it, not whoever ran mail-in: the mail that
    // opened the ticket, the reopening and the reply name the customer.
    let by_action: Vec<(String, String)> = ticket["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (text("action"), text("by"))
        })
        .collect();
    let customer = format!("customer:{}", ticket["customer"].as_str().unwrap());
    for action in ["received", "reopened"] {
        assert!(
            by_action
                .iter()
                .filter(|(a, _)| a == action)
                .all(|(_, by)| *by == customer),
            "{by_action:?}"
        );
    }
    assert_ne!(by_action[0].1, customer, "{by_action:?}");
    let out = env.run(&["--actor", &customer, "update", &id, "--note", "x"]);
    assert!(out.fails(1).stderr.contains("--actor"));

    let env = TestEnv::new();
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!("{config}mail:\n  from: support@desk.example\n  intake:\n    closed_ticket: new\n"),
    )
    .unwrap();
    let id = filed(&pipe(&env, &corpus("plain.eml")).ok(), "created");
    env.run(&["close", &id, "--resolution", "replaced the roller"])
        .ok();
    let out = pipe(&env, &corpus("reply.eml")).ok();
    let new = filed(&out, "created");
    assert_ne!(new, id);
    assert_eq!(env.ticket_yaml(&id)["status"].as_str(), Some("closed"));
    let description = env.ticket_yaml(&new)["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(description.contains(&id), "{description}");
}

#[test]
fn a_reply_without_threading_headers_threads_by_subject_only_from_the_customer() {
    let mut env = TestEnv::new();
    let customer = with_zhang_wei(&env);
    // qq-reply.eml answers [CW202612030002].
    env.at("2026-12-03T10:00:00+08:00");
    for title in ["打印机卡纸", "订单未到货"] {
        env.new_ticket(&["--customer", &customer, "--title", title]);
    }
    env.at("2026-12-04T10:00:00+08:00");
    let out = pipe(&env, &corpus("qq-reply.eml")).ok();
    assert_eq!(filed(&out, "replied"), "CW202612030002");

    // The same words from a stranger: no reply to that ticket.
    let forged = as_from(
        "qq-reply.eml",
        "stranger@example.net",
        "forged-1@example.net",
    );
    let out = pipe(&env, &forged).ok();
    let id = filed(&out, "created");
    assert_ne!(id, "CW202612030002");
    let before = env.read_ticket("CW202612030002");
    assert!(!before.contains("forged-1@example.net"), "{before}");

    // Held for review instead, when desk.yaml says so; once.
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    std::fs::write(
        env.path("desk.yaml"),
        format!(
            "{config}mail:\n  from: support@desk.example\n  intake:\n    unknown_sender: hold\n"
        ),
    )
    .unwrap();
    let forged = as_from("qq-reply.eml", "other@example.org", "forged-2@example.org");
    let out = pipe(&env, &forged).ok();
    assert!(out.stdout.starts_with("-\theld\t"), "{}", out.stdout);
    let held: Vec<PathBuf> = std::fs::read_dir(env.path("mail/held"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(std::fs::read(&held[0]).unwrap(), forged);
    pipe(&env, &forged).ok();
    assert_eq!(std::fs::read_dir(env.path("mail/held")).unwrap().count(), 1);
    // Held mail stays on this clone (git ignores it), and is held to the
    // rules of what desk keeps: a card number in it is refused, masked.
    let ignore = std::fs::read_to_string(env.path(".gitignore")).unwrap();
    assert!(ignore.contains("/mail/held/"), "{ignore}");
    let card = String::from(
        "From: stranger@example.org\r\nSubject: refund\r\nMessage-ID: <card-1@example.org>\r\n\r\n\
         please refund to 6222021234567890128\r\n",
    );
    let out = pipe(&env, card.as_bytes()).fails(1);
    assert!(out.stderr.contains("****0128"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("6222021234567890128"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(env.path("mail/held")).unwrap().count(), 1);
}

#[test]
fn auto_replies_bounces_and_desks_own_mail_open_nothing() {
    let env = TestEnv::new();
    let before = env.snapshot();
    for name in ["auto-reply.eml", "bounce.eml"] {
        let out = pipe(&env, &corpus(name)).ok();
        assert!(
            out.stdout.starts_with("-\tignored\t"),
            "{name}: {}",
            out.stdout
        );
        assert!(out.stderr.contains("1 ignored"), "{}", out.stderr);
    }
    let own = as_from("plain.eml", "support@desk.example", "3f2a9c@desk");
    let out = pipe(&env, &own).ok();
    assert!(out.stdout.starts_with("-\tignored\t"), "{}", out.stdout);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_rule_on_the_subject_sets_the_priority_and_a_sender_past_the_rate_limit_opens_nothing() {
    let env = TestEnv::new();
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    // The store has no rules (tests/cli/common.rs): this one alone.
    let rule = "rules:\n- name: complaints-by-mail\n  when: created\n  if: {subject: {contains: [未到货, complaint]}}\n  then: [{set: {priority: urgent}}]\n";
    let config = format!("{config}{rule}");
    std::fs::write(
        env.path("desk.yaml"),
        format!("{config}mail:\n  from: support@desk.example\n  intake:\n    rate_limit: 2\n"),
    )
    .unwrap();
    with_zhang_wei(&env);
    let id = filed(&pipe(&env, &corpus("gbk.eml")).ok(), "created");
    assert_eq!(env.ticket_yaml(&id)["priority"].as_str(), Some("urgent"));
    let second = as_from("gbk.eml", "zhang.wei@example.cn", "gbk-2@mail.example.cn");
    filed(&pipe(&env, &second).ok(), "created");
    let third = as_from("gbk.eml", "zhang.wei@example.cn", "gbk-3@mail.example.cn");
    let out = pipe(&env, &third).ok();
    assert!(out.stdout.starts_with("-\tlimited\t"), "{}", out.stdout);
    assert_eq!(ticket_files(&env), 2);
}

#[test]
fn an_attachment_named_to_climb_out_is_saved_inside_its_ticket_folder() {
    let env = TestEnv::new();
    let config = std::fs::read(env.path("desk.yaml")).unwrap();
    let out = pipe(&env, &corpus("traversal.eml")).ok();
    let id = filed(&out, "created");
    assert_eq!(std::fs::read(env.path("desk.yaml")).unwrap(), config);
    let dir = env.path(&format!("attachments/{id}"));
    let saved: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!saved.is_empty());
    for name in &saved {
        assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
        assert!(std::fs::symlink_metadata(dir.join(name)).unwrap().is_file());
    }
    let ticket = env.read_ticket(&id);
    for name in &saved {
        assert!(ticket.contains(&format!("name: {name}")), "{ticket}");
    }
    assert!(ticket.contains("sha256: "), "{ticket}");
    // The message itself is kept beside its attachments, byte for byte.
    let original: Vec<&String> = saved
        .iter()
        .filter(|n| n.starts_with("message-") && n.ends_with(".eml"))
        .collect();
    assert_eq!(original.len(), 1, "{saved:?}");
    assert_eq!(
        std::fs::read(dir.join(original[0])).unwrap(),
        corpus("traversal.eml")
    );
}

/// Files that came another way than mail are kept with the ticket and
/// listed in an `attached` event; what cannot be attached changes nothing.
#[test]
fn desk_attach_keeps_files_with_the_ticket_and_refuses_with_nothing_written() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let photo = env.outside("照片.jpg");
    std::fs::write(&photo, b"\xff\xd8 a photo").unwrap();
    let other = env.outside("sub/照片.jpg");
    std::fs::create_dir_all(std::path::Path::new(&other).parent().unwrap()).unwrap();
    std::fs::write(&other, b"another photo").unwrap();
    let out = env
        .run(&[
            "attach",
            &id,
            &photo,
            &other,
            "--note",
            "微信发来的两张照片",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        format!("attachments/{id}/照片.jpg\nattachments/{id}/照片-2.jpg\n")
    );
    assert_eq!(
        std::fs::read(env.path(&format!("attachments/{id}/照片-2.jpg"))).unwrap(),
        b"another photo"
    );
    let t = env.ticket_yaml(&id);
    let last = t["history"].as_sequence().unwrap().last().unwrap().clone();
    assert_eq!(last["action"].as_str(), Some("attached"));
    assert_eq!(last["note"].as_str(), Some("微信发来的两张照片"));
    assert_eq!(last["attachments"][1]["size"].as_u64(), Some(13));
    let shown = env.run(&["show", &id]).ok().stdout;
    assert!(shown.contains("attached [照片.jpg"), "{shown}");
    // The same bytes again: kept once.
    let out = env.run(&["attach", &id, &photo]).ok();
    assert_eq!(out.stdout, format!("attachments/{id}/照片.jpg\n"));

    let before = env.snapshot();
    for args in [
        vec!["attach", "CW209901010001", photo.as_str()],
        vec!["attach", &id, "/nonexistent/file.pdf"],
        vec!["attach", &id, photo.as_str(), photo.as_str()],
        vec!["attach", &id, env.root.to_str().unwrap()],
        vec![
            "attach",
            &id,
            photo.as_str(),
            "--note",
            "卡号 6222021234567890128",
        ],
    ] {
        let out = env.run(&args).fails(1);
        assert!(!out.stderr.is_empty());
        assert_eq!(before, env.snapshot(), "{args:?} changed files");
    }
}

#[test]
fn a_maildir_message_moves_to_cur_only_once_its_ticket_is_written() {
    let env = TestEnv::new();
    let maildir = PathBuf::from(env.outside("Maildir"));
    for d in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(d)).unwrap();
    }
    std::fs::write(maildir.join("new/1.a.host"), corpus("plain.eml")).unwrap();
    std::fs::write(maildir.join("new/2.b.host"), corpus("malformed.eml")).unwrap();
    std::fs::write(maildir.join("new/3.c.host"), corpus("attachment.eml")).unwrap();
    let dir = maildir.to_str().unwrap();

    // No ticket can be written (desk.yaml has no e-mail channel): every
    // readable message stays in new/, for the next run.
    let config = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let without_email = config.replacen("- key: email\n", "- key: e_mail_off\n", 1);
    assert_ne!(without_email, config);
    std::fs::write(env.path("desk.yaml"), &without_email).unwrap();
    let out = env.run(&["mail-in", "--maildir", dir]).fails(75);
    assert!(out.stderr.contains("left in place"), "{}", out.stderr);
    assert!(maildir.join("new/1.a.host").exists());
    assert!(maildir.join("new/3.c.host").exists());
    assert_eq!(ticket_files(&env), 0);

    std::fs::write(env.path("desk.yaml"), &config).unwrap();
    std::fs::rename(
        maildir.join(".desk-failed/cur/2.b.host:2,S"),
        maildir.join("new/2.b.host"),
    )
    .unwrap();
    let out = env.run(&["mail-in", "--maildir", dir]).fails(1);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(out.stderr.contains("2.b.host"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0);
    assert!(maildir.join("cur/1.a.host:2,S").exists());
    assert!(maildir.join("cur/3.c.host:2,S").exists());
    assert!(maildir.join(".desk-failed/cur/2.b.host:2,S").exists());
    assert_eq!(ticket_files(&env), 2);

    // A message handed over again (a kill before its move) is only counted.
    std::fs::copy(
        maildir.join("cur/1.a.host:2,S"),
        maildir.join("new/1.a.host"),
    )
    .unwrap();
    let out = env.run(&["mail-in", "--maildir", dir]).ok();
    assert!(out.stdout.contains("\tskipped\t"), "{}", out.stdout);
    assert_eq!(ticket_files(&env), 2);
}

#[test]
fn a_hostile_50_mb_message_is_refused_with_nothing_written() {
    let env = TestEnv::new();
    let before = env.snapshot();
    let mut huge =
        b"From: a@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n\r\n".to_vec();
    huge.resize(50 << 20, b'x');
    let out = pipe(&env, &huge).fails(1);
    assert!(
        out.stderr.contains("stdin: the message is"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("over the limit"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(env.snapshot(), before);

    let file = env.outside("bad.eml");
    std::fs::write(&file, corpus("malformed.eml")).unwrap();
    let out = env.run(&["mail-in", &file]).fails(1);
    assert!(out.stderr.contains("bad.eml"), "{}", out.stderr);
    assert_eq!(env.snapshot(), before);
}

/// A message nested past the limit is refused whole, nothing written.
#[test]
fn a_mime_bomb_is_refused_with_nothing_written() {
    let env = TestEnv::new();
    let before = env.snapshot();
    let mut bomb =
        String::from("From: a@example.com\r\nSubject: bomb\r\nMessage-ID: <bomb@example.com>\r\n");
    for depth in 0..40 {
        bomb.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n--b{depth}\r\n"
        ));
    }
    bomb.push_str("Content-Type: text/plain\r\n\r\nx\r\n");
    let out = pipe(&env, bomb.as_bytes()).fails(1);
    assert!(out.stderr.contains("MIME bomb"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing written"), "{}", out.stderr);
    assert_eq!(env.snapshot(), before);
}

/// What a stranger or a broken client sends is contained: a subject that
/// tries to add headers stays one line of text, a charset nobody knows is
/// read as far as it can be, and a ticket ID in a stranger's subject threads
/// nothing into that ticket.
#[test]
fn injected_headers_unknown_charsets_and_forged_ticket_ids_are_contained() {
    let env = TestEnv::new();
    let out = pipe(&env, &corpus("subject-injection.eml")).ok();
    let id = filed(&out, "created");
    let t = env.ticket_yaml(&id);
    let title = t["title"].as_str().unwrap();
    assert!(!title.contains('\n') && !title.contains('\r'), "{title:?}");
    assert!(title.starts_with("hello"), "{title:?}");

    let out = pipe(&env, &corpus("invalid-charset.eml")).ok();
    let id = filed(&out, "created");
    let t = env.ticket_yaml(&id);
    assert!(t["description"].as_str().unwrap().contains("caf"), "{t:?}");

    // 张伟's ticket; a stranger writes with its ID in the subject.
    with_zhang_wei(&env);
    let victim = filed(&pipe(&env, &corpus("gbk.eml")).ok(), "created");
    let before = env.ticket_yaml(&victim);
    let forged = format!(
        "From: stranger@evil.example\r\nSubject: Re: [{victim}] 订单未到货\r\n\
         Message-ID: <forged-1@evil.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         请把退款打到这个账户。\r\n"
    );
    let out = pipe(&env, forged.as_bytes()).ok();
    let other = filed(&out, "created");
    assert_ne!(other, victim);
    assert_eq!(
        env.ticket_yaml(&victim),
        before,
        "the victim's ticket is untouched"
    );
    env.run(&["check"]).ok();
}

/// A message that cannot be filed leaves nothing behind: not even the
/// customer made for its unknown sender.
#[test]
fn an_unknown_sender_s_message_that_cannot_be_filed_leaves_no_customer() {
    let env = TestEnv::new();
    let outside = env.outside("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, env.path("attachments")).unwrap();
    let customers = || std::fs::read_dir(env.path("customers")).unwrap().count();
    let before = customers();
    let mail = as_from(
        "attachment.eml",
        "new.sender@example.org",
        "no-trace-1@example.org",
    );
    let out = pipe(&env, &mail);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert_eq!(customers(), before, "{}", out.stderr);
    assert_eq!(ticket_files(&env), 0);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}
