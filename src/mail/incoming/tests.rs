//! The corpus of tests/mail/ (written by tests/mail/make_corpus.py), read
//! with every field asserted; hostile input; property tests.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;

macro_rules! corpus {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/mail/", $name)).as_slice()
    };
}

const CORPUS: &[&[u8]] = &[
    corpus!("plain.eml"),
    corpus!("alternative.eml"),
    corpus!("gbk.eml"),
    corpus!("raw-gbk-headers.eml"),
    corpus!("big5.eml"),
    corpus!("attachment.eml"),
    corpus!("reply.eml"),
    corpus!("qq-reply.eml"),
    corpus!("outlook-reply.eml"),
    corpus!("auto-reply.eml"),
    corpus!("bounce.eml"),
    corpus!("forwarded.eml"),
    corpus!("html-only.eml"),
    corpus!("malformed.eml"),
    corpus!("traversal.eml"),
    corpus!("subject-injection.eml"),
    corpus!("invalid-charset.eml"),
];

fn read_ok(bytes: &[u8]) -> Incoming {
    read(bytes, &Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn mailbox(name: Option<&str>, address: &str) -> Mailbox {
    Mailbox {
        name: name.map(String::from),
        address: address.into(),
    }
}

fn support() -> Vec<Mailbox> {
    vec![mailbox(None, "support@desk.example")]
}

fn at(text: &str) -> Option<Timestamp> {
    Some(Timestamp::parse(text).unwrap())
}

fn bytes_of(attachment: &Attachment) -> &[u8] {
    match &attachment.content {
        Content::Bytes(bytes) => bytes,
        Content::TooLarge => panic!("{} was refused", attachment.name),
    }
}

#[test]
fn a_plain_message_is_read_whole() {
    let m = read_ok(corpus!("plain.eml"));
    assert_eq!(
        m,
        Incoming {
            from: mailbox(Some("Li Na"), "li.na@example.com"),
            to: support(),
            cc: vec![],
            reply_to: vec![],
            subject: "Printer not working".into(),
            message_id: "plain-1@mail.example.com".into(),
            message_id_is_digest: false,
            in_reply_to: vec![],
            references: vec![],
            date: at("2026-12-01T09:30:00+08:00"),
            body: "Hello,\n\nthe printer on floor 3 shows error E02 since this morning.\n\nLi Na"
                .into(),
            note: "Hello,\n\nthe printer on floor 3 shows error E02 since this morning.\n\nLi Na"
                .into(),
            attachments: vec![],
            kind: Kind::Ordinary,
            lossy: vec![],
        }
    );
}

#[test]
fn multipart_alternative_gives_the_text_part_and_utf8_words_decode() {
    let m = read_ok(corpus!("alternative.eml"));
    assert_eq!(m.from, mailbox(Some("王芳"), "wang.fang@example.cn"));
    // "not an address" is left out of Cc.
    assert_eq!(
        m.cc,
        vec![mailbox(Some("Zhang Wei"), "zhang.wei@example.cn")]
    );
    assert_eq!(m.subject, "发票开错了");
    assert_eq!(m.body, "您好，发票抬头开错了，请重开。");
    assert_eq!(m.date, at("2026-12-02T10:00:00+08:00"));
    assert!(m.attachments.is_empty(), "{:?}", m.attachments);
    assert_eq!(m.lossy, vec![]);
}

#[test]
fn gbk_body_and_encoded_word_subject_decode() {
    let m = read_ok(corpus!("gbk.eml"));
    assert_eq!(m.from, mailbox(Some("张伟"), "zhang.wei@example.cn"));
    assert_eq!(m.subject, "订单未到货");
    assert_eq!(
        m.body,
        "你好，我的订单还没有到货，麻烦查一下。\n订单号：20261130001"
    );
    assert_eq!(m.message_id, "gbk-1@mail.example.cn");
    assert_eq!(m.lossy, vec![]);
}

#[test]
fn raw_gbk_headers_of_old_clients_are_read_as_gb18030() {
    let m = read_ok(corpus!("raw-gbk-headers.eml"));
    // 镕 is outside GB2312: the label is read as GB18030, as clients mean it.
    assert_eq!(m.from, mailbox(Some("刘镕"), "liu.rong@example.cn"));
    assert_eq!(m.subject, "退款进度查询");
    assert_eq!(m.body, "请问退款什么时候到账？刘镕");
    assert_eq!(m.message_id, "rawgbk-1@mail.example.cn");
    assert_eq!(m.lossy, vec![]);
    // Each header line by itself: a stray byte elsewhere leaves UTF-8 alone.
    let mut mixed = b"From: a@example.com\r\nX-Junk: \xff\xff\r\nSubject: ".to_vec();
    mixed.extend_from_slice("已解决 ok".as_bytes());
    mixed.extend_from_slice(b"\r\n\r\nx\r\n");
    let m = read_ok(&mixed);
    assert_eq!(m.subject, "已解决 ok");
    assert_eq!(
        m.lossy,
        vec![Lossy {
            place: "headers",
            charset: "8-bit".into()
        }]
    );
}

#[test]
fn big5_decodes_in_body_and_headers() {
    let m = read_ok(corpus!("big5.eml"));
    assert_eq!(m.from, mailbox(Some("陳美玲"), "chen.ml@example.tw"));
    assert_eq!(m.subject, "保固問題");
    assert_eq!(m.body, "您好，產品保固期是多久？");
    assert_eq!(m.lossy, vec![]);
}

#[test]
fn a_base64_attachment_keeps_its_bytes_and_decoded_name() {
    let m = read_ok(corpus!("attachment.eml"));
    assert_eq!(m.body, "Please see the attached invoice.");
    assert_eq!(m.attachments.len(), 1);
    let pdf = &m.attachments[0];
    assert_eq!(pdf.name, "发票 12月.pdf");
    assert_eq!(pdf.content_type, "application/pdf");
    let mut expected = b"%PDF-1.4\n%fake invoice\n".to_vec();
    expected.extend(0..=255u8);
    assert_eq!(bytes_of(pdf), expected.as_slice());
    assert_eq!(pdf.size, expected.len());
}

#[test]
fn an_attached_text_file_keeps_its_own_bytes_and_charset() {
    let text = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
                --b\r\nContent-Type: text/plain\r\n\r\nsee the files\r\n\
                --b\r\nContent-Type: text/csv; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\
                Content-Disposition: attachment; filename=a.csv\r\n\r\nxOO6w6OsMQ0K\r\n\
                --b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\
                Content-Disposition: attachment; filename=b.txt\r\n\r\n\u{1}\r\n--b--\r\n";
    // 8-bit GBK bytes for the second file, where the placeholder is.
    let bytes = text.replace('\u{1}', "\u{2}").into_bytes();
    let at = bytes.iter().position(|&b| b == 2).unwrap();
    let mut bytes = bytes;
    bytes.splice(at..=at, b"\xc4\xe3\r\n\xba\xc3".iter().copied());
    let m = read_ok(&bytes);
    assert_eq!(m.body, "see the files");
    let files: Vec<(&str, &[u8])> = m
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), bytes_of(a)))
        .collect();
    assert_eq!(
        files,
        [
            ("a.csv", b"\xc4\xe3\xba\xc3\xa3\xac1\r\n".as_slice()),
            ("b.txt", b"\xc4\xe3\r\n\xba\xc3".as_slice()),
        ]
    );
    assert_eq!(m.attachments[0].size, 9);
}

#[test]
fn an_attachment_over_the_limit_is_kept_by_name_and_size_only() {
    let options = Options {
        limits: Limits {
            attachment_bytes: 100,
            ..Limits::default()
        },
        ..Options::default()
    };
    let m = read(corpus!("attachment.eml"), &options).unwrap();
    let pdf = &m.attachments[0];
    assert_eq!(
        (pdf.name.as_str(), pdf.size, &pdf.content),
        ("发票 12月.pdf", 279, &Content::TooLarge)
    );
    assert_eq!(m.body, "Please see the attached invoice.");
}

#[test]
fn a_reply_threads_and_its_note_loses_quotes_and_signature() {
    let m = read_ok(corpus!("reply.eml"));
    assert_eq!(m.subject, "Re: [CW202612010001] Printer not working");
    assert_eq!(m.in_reply_to, vec!["0a1b2c@desk.example"]);
    assert_eq!(
        m.references,
        vec!["plain-1@mail.example.com", "0a1b2c@desk.example"]
    );
    assert_eq!(m.note, "It works again, thank you!");
    assert!(m.body.contains("> Hello Li Na, we restarted"), "{}", m.body);
    assert!(m.body.ends_with("> Please try again."), "{}", m.body);
}

#[test]
fn a_qq_mail_reply_without_threading_loses_the_chinese_quote_block() {
    let m = read_ok(corpus!("qq-reply.eml"));
    assert_eq!(m.subject, "回复：[CW202612030002] 订单未到货");
    assert_eq!(m.in_reply_to, Vec::<String>::new());
    assert_eq!(m.references, Vec::<String>::new());
    assert_eq!(m.message_id, "tencent_qq-1@qq.com");
    assert_eq!(m.note, "好的，已经收到货了，谢谢！");
    assert!(m
        .body
        .contains("------------------ 原始邮件 ------------------\n发件人: \"客服中心\""));
    assert!(m.body.ends_with("您好，您的订单已经发出。"), "{}", m.body);
}

#[test]
fn an_outlook_reply_loses_the_header_block_it_quotes() {
    let m = read_ok(corpus!("outlook-reply.eml"));
    assert_eq!(m.subject, "答复: [CW202612030003] 登录失败");
    assert_eq!(m.note, "谢谢，问题已解决。");
}

#[test]
fn auto_replies_are_recognised_by_their_headers() {
    let m = read_ok(corpus!("auto-reply.eml"));
    assert_eq!(
        m.kind,
        Kind::AutoReply {
            header: "Auto-Submitted: auto-replied".into()
        }
    );
    let with = |header: &str| {
        let text = format!("From: a@example.com\r\n{header}\r\nSubject: x\r\n\r\nbody\r\n");
        read_ok(text.as_bytes()).kind
    };
    assert_eq!(with("Auto-Submitted: no"), Kind::Ordinary);
    assert_eq!(
        with("Auto-Submitted: auto-generated"),
        Kind::AutoReply {
            header: "Auto-Submitted: auto-generated".into()
        }
    );
    assert_eq!(
        with("X-Autoreply: yes"),
        Kind::AutoReply {
            header: "X-Autoreply: yes".into()
        }
    );
    assert_eq!(
        with("X-Auto-Response-Suppress: OOF"),
        Kind::AutoReply {
            header: "X-Auto-Response-Suppress: OOF".into()
        }
    );
    for precedence in ["bulk", "junk", "list", "Bulk"] {
        assert_eq!(
            with(&format!("Precedence: {precedence}")),
            Kind::AutoReply {
                header: format!("Precedence: {precedence}")
            }
        );
    }
    assert_eq!(with("Precedence: first-class"), Kind::Ordinary);
}

#[test]
fn a_delivery_status_notification_is_a_bounce() {
    let m = read_ok(corpus!("bounce.eml"));
    assert_eq!(m.kind, Kind::Bounce);
    assert_eq!(m.from.address, "MAILER-DAEMON@mx.example.com");
    assert_eq!(
        m.body,
        "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients."
    );
    // A mailer daemon's report without the report type, by its status part.
    let bare = String::from_utf8(corpus!("bounce.eml").to_vec())
        .unwrap()
        .replace(
            "multipart/report; report-type=delivery-status;",
            "multipart/mixed;",
        );
    assert_eq!(read_ok(bare.as_bytes()).kind, Kind::Bounce);
    // Anyone else's multipart/mixed with a status part is not.
    let other = bare.replace("MAILER-DAEMON@mx.example.com", "ops@mx.example.com");
    assert_eq!(read_ok(other.as_bytes()).kind, Kind::Ordinary);
}

#[test]
fn desks_own_mail_coming_back_is_a_loop() {
    let own = OwnMail {
        loop_addresses: vec!["support@desk.example".into()],
        message_id_domains: vec!["desk.example".into()],
    };
    let options = Options {
        own,
        ..Options::default()
    };
    let looped = b"From: a@example.com\r\nX-Loop: Support@Desk.example\r\nMessage-ID: <1@example.com>\r\n\r\nx\r\n";
    assert_eq!(
        read(looped, &options).unwrap().kind,
        Kind::OwnLoop {
            reason: "X-Loop: support@desk.example".into()
        }
    );
    let ours = b"From: support@desk.example\r\nMessage-ID: <9f8e@DESK.example>\r\nAuto-Submitted: auto-generated\r\n\r\nx\r\n";
    assert!(matches!(
        read(ours, &options).unwrap().kind,
        Kind::OwnLoop { reason } if reason.starts_with("From: ")
    ));
    let relayed = b"From: a@example.com\r\nMessage-ID: <9f8e@DESK.example>\r\n\r\nx\r\n";
    assert_eq!(
        read(relayed, &options).unwrap().kind,
        Kind::OwnLoop {
            reason: "Message-ID domain DESK.example".into()
        }
    );
    // desk's own address as the sender, whatever the rest says: never a
    // customer (a forgery, or its mail relayed with a new Message-ID).
    let forged = b"From: =?utf-8?b?5a6i5pyN?= <Support@desk.example>\r\nMessage-ID: <x@relay.example>\r\n\r\nx\r\n";
    assert!(matches!(
        read(forged, &options).unwrap().kind,
        Kind::OwnLoop { .. }
    ));
    // Without the parameters, the same mail is an auto-reply.
    assert!(matches!(read_ok(ours).kind, Kind::AutoReply { .. }));
    // A reply to desk's mail names desk's Message-ID in In-Reply-To only.
    let m = read(corpus!("reply.eml"), &options).unwrap();
    assert_eq!(m.kind, Kind::Ordinary);
}

#[test]
fn lists_null_senders_and_chinese_out_of_office_open_nothing() {
    let auto = |text: &str| matches!(read_ok(text.as_bytes()).kind, Kind::AutoReply { .. });
    assert!(auto(
        "From: news@shop.example\r\nList-Id: <deals.shop.example>\r\n\r\nsale\r\n"
    ));
    assert!(auto(
        "From: news@shop.example\r\nList-Unsubscribe: <mailto:u@shop.example>\r\n\r\nsale\r\n"
    ));
    assert!(auto("From: a@example.com\r\nReturn-Path: <>\r\n\r\nx\r\n"));
    assert!(auto("From: a@example.com\r\nSubject: =?utf-8?b?6Ieq5Yqo5Zue5aSNOiDmiJHlnKjkvJHlgYc=?=\r\n\r\nx\r\n"));
    assert!(auto(
        "From: a@example.com\r\nSubject: Automatic reply: holiday\r\n\r\nx\r\n"
    ));
    // A plain-text bounce from the mail system's daemon, empty envelope.
    let qmail = "From: MAILER-DAEMON@mx.example.com\r\nReturn-Path: <>\r\nSubject: failure notice\r\n\r\nHi. This is the qmail-send program.\r\n";
    assert_eq!(read_ok(qmail.as_bytes()).kind, Kind::Bounce);
    // An ordinary customer's mail mentioning them is not.
    assert_eq!(
        read_ok(b"From: a@example.com\r\nSubject: re: list of orders\r\n\r\nx\r\n").kind,
        Kind::Ordinary
    );
}

#[test]
fn a_forwarded_message_keeps_what_was_forwarded() {
    let m = read_ok(corpus!("forwarded.eml"));
    assert_eq!(
        m.note,
        "See below, please handle.\n\n---------- Forwarded message ---------\n\
         From: Customer <customer@example.org>\nDate: Fri, 4 Dec 2026 at 15:00\n\
         Subject: complaint\nTo: <qian.hao@example.com>\n\nThe screen arrived broken."
    );
    assert_eq!(m.attachments.len(), 1);
    let eml = &m.attachments[0];
    assert_eq!(
        (eml.name.as_str(), eml.content_type.as_str()),
        ("attachment-1.eml", "message/rfc822")
    );
    // The attachment is the forwarded message itself, readable in turn.
    let forwarded = read_ok(bytes_of(eml));
    assert_eq!(forwarded.from, mailbox(None, "customer@example.org"));
    assert_eq!(forwarded.subject, "complaint");
    assert_eq!(forwarded.body, "The screen arrived broken.");
}

#[test]
fn html_only_mail_is_reduced_to_text() {
    let m = read_ok(corpus!("html-only.eml"));
    assert_eq!(
        m.body,
        "Hello team,\nThe screen flickers & goes dark <sometimes>.\n\n- Model: X1\n- Since: Monday\nThanks!\nWu 一"
    );
}

#[test]
fn a_malformed_message_without_a_sender_is_refused_by_name() {
    let err = read(corpus!("malformed.eml"), &Options::default()).unwrap_err();
    assert_eq!(
        err,
        IncomingError::NoSender {
            found: "broken".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the message's From '***' is not an e-mail address"
    );
    // With a sender, the broken part is read as it stands.
    let mut fixed = b"From: a@example.com\r\n".to_vec();
    fixed.extend_from_slice(&corpus!("malformed.eml")[b"From: broken\r\n".len()..]);
    let m = read_ok(&fixed);
    assert_eq!(m.subject, "=?utf-8?B?not base64!!?=");
    assert!(m.message_id_is_digest);
}

#[test]
fn errors_mask_the_addresses_they_quote() {
    let text = b"From: li.na@example, not valid\r\n\r\nx\r\n";
    let err = read(text, &Options::default()).unwrap_err();
    assert!(!err.to_string().contains("li.na"), "{err}");
    assert_eq!(
        read(b"", &Options::default()),
        Err(IncomingError::NotAMessage)
    );
    assert_eq!(
        read(b"Subject: x\r\n\r\nno sender\r\n", &Options::default())
            .unwrap_err()
            .to_string(),
        "the message has no From address"
    );
}

#[test]
fn attachment_names_cannot_leave_their_folder() {
    let m = read_ok(corpus!("traversal.eml"));
    let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["desk.yaml", "pre-commit", "attachment-3.bin", "control.txt"]
    );
    for a in &m.attachments {
        assert_eq!(bytes_of(a), b"#!/bin/sh\necho pwned\n");
    }
}

#[test]
fn safe_file_names() {
    let cases = [
        ("../../desk.yaml", Some("desk.yaml")),
        ("CON", Some("_CON")),
        ("nul.txt", Some("_nul.txt")),
        ("-rf", Some("_-rf")),
        (".git/hooks/pre-commit", Some("pre-commit")),
        ("..\\..\\evil.bat", Some("evil.bat")),
        ("..", None),
        ("...", None),
        (".bashrc", Some("bashrc")),
        ("  ", None),
        ("a\u{0}b\r\nc.txt", Some("abc.txt")),
        ("invoice\u{202E}fdp.exe", Some("invoicefdp.exe")),
        ("what?.pdf", Some("what_.pdf")),
        ("trailing. . ", Some("trailing")),
        ("报价单.xlsx", Some("报价单.xlsx")),
    ];
    for (given, expected) in cases {
        assert_eq!(safe_file_name(given).as_deref(), expected, "{given:?}");
    }
    let long = format!("{}.pdf", "长".repeat(200));
    let bounded = safe_file_name(&long).unwrap();
    assert!(
        bounded.len() <= 180 && bounded.chars().count() <= 80,
        "{bounded}"
    );
    assert!(bounded.ends_with("长.pdf"));
    let ascii = safe_file_name(&format!("{}.pdf", "a".repeat(300))).unwrap();
    assert_eq!(ascii.chars().count(), 80);
    // 100 emoji: under 80 characters but 400 bytes, over a file name's 255.
    let emoji = safe_file_name(&format!("{}.pdf", "😀".repeat(100))).unwrap();
    assert!(emoji.len() <= 180 && emoji.ends_with("😀.pdf"), "{emoji}");
    assert_eq!(
        names::unique("a.pdf".into(), &["a.pdf".into(), "A (2).pdf".into()]),
        "a (3).pdf"
    );
}

#[test]
fn same_named_attachments_get_distinct_names() {
    let mut text =
        String::from("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..3 {
        text.push_str("--b\r\nContent-Type: text/plain; name=\"x.txt\"\r\nContent-Disposition: attachment; filename=\"x.txt\"\r\n\r\nhi\r\n");
    }
    text.push_str("--b--\r\n");
    let m = read_ok(text.as_bytes());
    let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["x.txt", "x (2).txt", "x (3).txt"]);
}

#[test]
fn a_subject_cannot_inject_headers() {
    let m = read_ok(corpus!("subject-injection.eml"));
    assert_eq!(m.subject, "hello Bcc: victim@example.org body");
    let raw =
        b"From: a@example.com\r\nSubject: one\r\n two\x00\x0bthree\xe2\x80\xa8four\r\n\r\nx\r\n";
    assert_eq!(read_ok(raw).subject, "one two three four");
}

#[test]
fn an_unknown_charset_is_read_by_the_fallback_and_flagged() {
    let m = read_ok(corpus!("invalid-charset.eml"));
    assert_eq!(m.subject, "café");
    assert_eq!(m.body, "café \u{FFFD}\u{FFFD} broken");
    assert_eq!(
        m.lossy,
        vec![
            Lossy {
                place: "headers",
                charset: "x-unknown-42".into()
            },
            Lossy {
                place: "body",
                charset: "x-unknown-42".into()
            },
            Lossy {
                place: "body",
                charset: "8-bit".into()
            },
        ]
    );
    // Undeclared GBK bytes in a body are read as GB18030, unflagged.
    let mut gbk = b"From: a@example.com\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    gbk.extend_from_slice(b"\xc4\xe3\xba\xc3\r\n");
    let m = read_ok(&gbk);
    assert_eq!((m.body.as_str(), m.lossy.len()), ("你好", 0));
}

#[test]
fn gbk_labelled_utf_8_is_read_as_gb18030_and_flagged() {
    let mut mail =
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".to_vec();
    mail.extend_from_slice(b"\xb4\xf2\xd3\xa1\xbb\xfa\xbf\xa8\xd6\xbd\r\n");
    let m = read_ok(&mail);
    assert_eq!(m.body, "打印机卡纸");
    assert_eq!(
        m.lossy,
        vec![Lossy {
            place: "body",
            charset: charset::MISLABELLED_GB18030.into()
        }]
    );
    // Neither UTF-8 nor GB18030: read as UTF-8, U+FFFD for the bad bytes.
    let mut broken =
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok ".to_vec();
    broken.extend_from_slice(b"\xff\xfe\r\n");
    let m = read_ok(&broken);
    assert!(m.body.starts_with("ok \u{FFFD}"), "{:?}", m.body);
    assert_eq!(m.lossy[0].charset, "utf-8");
    // Real UTF-8 holding U+FFFD itself is not flagged.
    let honest =
        "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u{FFFD}好\r\n";
    let m = read_ok(honest.as_bytes());
    assert_eq!((m.body.as_str(), m.lossy.len()), ("\u{FFFD}好", 0));
}

#[test]
fn a_missing_message_id_becomes_a_stable_digest() {
    let text = b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
    let m = read_ok(text);
    assert!(m.message_id_is_digest);
    let lf = b"From: a@example.com\nSubject: x\n\nbody\n";
    assert_eq!(
        m.message_id,
        format!("{:x}@sha256.invalid", Sha256::digest(lf))
    );
    assert_eq!(read_ok(text).message_id, m.message_id);
    // The same message after other deliveries: LF line endings, an mbox
    // line, trace fields (one folded), blank lines at the end.
    let travelled = b"From a@example.com Mon Nov 30 10:00:00 2026\n\
        Return-Path: <a@example.com>\n\
        Received: from mx.example.com\n\tby mail.example.cn; Mon, 30 Nov 2026\n\
        From: a@example.com\nDelivered-To: support@example.cn\nSubject: x\n\nbody\n\n\n";
    assert_eq!(read_ok(travelled).message_id, m.message_id);
    // A word changed in the body is another message.
    let changed = read_ok(b"From: a@example.com\r\nSubject: x\r\n\r\nbody!\r\n");
    assert_ne!(changed.message_id, m.message_id);
    let other = read_ok(b"From: a@example.com\r\nSubject: y\r\n\r\nbody\r\n");
    assert_ne!(other.message_id, m.message_id);
    // Brackets and space go; an unusable ID falls back to the digest.
    let spaced = read_ok(b"From: a@example.com\r\nMessage-ID:  <a.b@c>  \r\n\r\nx\r\n");
    assert_eq!(
        (spaced.message_id.as_str(), spaced.message_id_is_digest),
        ("a.b@c", false)
    );
    let empty = read_ok(b"From: a@example.com\r\nMessage-ID: <>\r\n\r\nx\r\n");
    assert!(empty.message_id_is_digest);
}

#[test]
fn a_message_over_the_size_limit_is_refused_before_parsing() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    let started = Instant::now();
    let err = read(&big, &Options::default()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        err,
        IncomingError::TooLarge {
            size: 50 * 1024 * 1024,
            limit: 25 * 1024 * 1024
        }
    );
    assert_eq!(
        err.to_string(),
        "the message is 52428800 bytes, over the limit of 26214400 bytes; refused unread"
    );
}

/// Multiparts nested `levels` deep, each with its own boundary.
fn nested(levels: usize) -> Vec<u8> {
    let mut text = String::from("From: a@example.com\r\n");
    for level in 0..levels {
        text.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    text.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
    for level in (0..levels).rev() {
        text.push_str(&format!("--b{level}--\r\n"));
    }
    text.into_bytes()
}

#[test]
fn a_mime_bomb_is_refused_quickly() {
    assert_eq!(read_ok(&nested(10)).body, "deep");
    let started = Instant::now();
    let err = read(&nested(20_000), &Options::default()).unwrap_err();
    assert_eq!(err, IncomingError::TooDeep { limit: 16 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    let mut wide =
        String::from("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..100_000 {
        wide.push_str("--b\r\n\r\nx\r\n");
    }
    wide.push_str("--b--\r\n");
    let started = Instant::now();
    let err = read(wide.as_bytes(), &Options::default()).unwrap_err();
    assert_eq!(err, IncomingError::TooManyParts { limit: 500 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Messages in messages count as depth too.
    let mut inner = String::from("From: a@example.com\r\nSubject: in\r\n\r\ncore\r\n");
    for _ in 0..40 {
        inner = format!("From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\n{inner}");
    }
    let err = read(inner.as_bytes(), &Options::default()).unwrap_err();
    assert_eq!(err, IncomingError::TooDeep { limit: 16 });
}

#[test]
fn html_reduction() {
    let cases = [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("a<br>b<BR/>c", "a\nb\nc"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<SCRIPT>x<y</SCRIPT>a<style>b{}</style>c", "ac"),
        ("<!-- hidden -->shown", "shown"),
        ("&lt;&amp;&gt;&quot;&#39;&#x4E2D;&nbsp;x", "<&>\"'中 x"),
        ("a &unknown; b & c", "a &unknown; b & c"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("1 < 2 and <3", "1 < 2 and <3"),
        ("<pre>a\n  b</pre>", "a\n  b"),
        ("<script>never closed", ""),
        ("a   \n\n  b", "a b"),
    ];
    for (html, text) in cases {
        assert_eq!(html_to_text(html), text, "{html:?}");
    }
}

#[test]
fn note_trimming() {
    let cases = [
        (
            "thanks\n\nOn Mon, Dec 1, 2026, A <a@x.com> wrote:\n> hi",
            "thanks",
        ),
        (
            "thanks\n在 2026年12月1日 10:00，客服 写道：\n> 您好",
            "thanks",
        ),
        ("好\n\n-----Original Message-----\nFrom: x", "好"),
        (
            "ok\n------------------ Original ------------------\nFrom: x",
            "ok",
        ),
        (
            "ok\n________________________________\nFrom: A\nSent: today",
            "ok",
        ),
        ("ok\n发件人：客服\n日期：2026年12月1日\n\n旧", "ok"),
        ("ok\n-- \nsig", "ok"),
        ("a\n> quoted\nb", "a\nb"),
        // A line that merely starts with From: is the customer's.
        ("From: my phone\nplease call", "From: my phone\nplease call"),
        (
            "I got this on Monday.\nOn second thought, never mind.",
            "I got this on Monday.\nOn second thought, never mind.",
        ),
    ];
    for (body, note) in cases {
        assert_eq!(trimmed_note(body), note, "{body:?}");
    }
    // Nothing but a quote: the body is the note, so nothing is lost.
    let m = read_ok(b"From: a@example.com\r\n\r\n> only quoted\r\n");
    assert_eq!(m.note, "> only quoted");
}

#[test]
fn every_corpus_message_reads_or_is_refused_by_name() {
    for bytes in CORPUS {
        match read(bytes, &Options::default()) {
            Ok(m) => {
                assert!(!m.message_id.is_empty());
                assert!(!m.subject.contains(['\r', '\n']));
            }
            Err(e) => assert!(matches!(e, IncomingError::NoSender { .. }), "{e}"),
        }
    }
}

/// One property case must not take long: inputs are at most a few KB.
fn bounded_read(bytes: &[u8]) {
    let started = Instant::now();
    let result = read(bytes, &Options::default());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    if let Ok(m) = result {
        assert!(!m.subject.chars().any(char::is_control));
        assert!(!m.message_id.is_empty());
        for a in &m.attachments {
            assert!(!a.name.is_empty() && !a.name.starts_with('.'));
            assert!(!a.name.contains(['/', '\\']) && !a.name.chars().any(char::is_control));
        }
    }
}

#[test]
fn a_message_the_mime_parser_panics_on_is_refused_whole() {
    // mail-parser 0.11.9 panics (message.rs:485) on an empty message/rfc822
    // part nested in another; found by mime_lines_in_any_order_never_panic.
    let text = [
        "Content-Type: multipart/mixed; boundary=b",
        "",
        "--b",
        "Content-Type: message/rfc822",
        "",
        "Content-Type: message/rfc822",
        "",
        "",
        "--b--",
    ]
    .join("\r\n");
    assert_eq!(
        read(text.as_bytes(), &Options::default()),
        Err(IncomingError::Unreadable)
    );
    // The process goes on reading other mail afterwards.
    assert!(read(CORPUS[0], &Options::default()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        bounded_read(&bytes);
    }

    #[test]
    fn mutated_corpus_messages_never_panic(
        which in 0..CORPUS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..24),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = CORPUS[which].to_vec();
        for (at, byte, how) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        bounded_read(&bytes);
        bounded_read(&bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn mime_lines_in_any_order_never_panic(
        lines in proptest::collection::vec(prop::sample::select(vec![
            "From: a@example.com", "Content-Type: multipart/mixed; boundary=b",
            "Content-Type: message/rfc822", "Content-Type: text/html; charset=gbk",
            "Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: quoted-printable",
            "Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fx", "--b", "--b--", "",
            "=?gbk?B?xOO6ww==?=", "<p>&amp;</p><script>", "\u{7f}\u{0}", "=E4=BD=A0",
        ]), 0..60),
    ) {
        bounded_read(lines.join("\r\n").as_bytes());
    }
}
