//! Text desk keeps in clear (tickets, customers' plain fields) never takes
//! a bank-card number or a pasted secret key: refused when written, the
//! card masked and the key never quoted, nothing written.

use crate::common::{customer_add, TestEnv};

/// A UnionPay debit card as people write it, and its last four digits.
const CARD: &str = "6222 0212 3456 7890 128";
const LAST4: &str = "****0128";

fn age_key() -> String {
    format!(
        "AGE-SECRET-KEY-1{}",
        "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2)
    )[..74]
        .to_string()
}

fn lookup_key() -> String {
    format!("DESK-LOOKUP-KEY-{}", "0123456789abcdef".repeat(4))
}

fn pem_key() -> String {
    "-----BEGIN OPENSSH PRIVATE KEY-----\n\
     b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
     QyNTUxOQAAACDm7vsm9ngwJ0uB1xSzHEZnVpJi+2Mo9PVgWo9TDVL8eAAAAJBHbWHVR21h\n\
     -----END OPENSSH PRIVATE KEY-----"
        .to_string()
}

/// Runs a command that must be refused with exit 1, write nothing, say
/// every needle, and never show `secret`.
#[track_caller]
fn refused(env: &TestEnv, args: &[&str], needles: &[&str], secret: &str) {
    let before = env.snapshot();
    let out = env.run(args).fails(1);
    for n in needles {
        assert!(out.stderr.contains(n), "missing {n:?} in {}", out.stderr);
    }
    assert!(!out.stderr.contains(secret), "{}", out.stderr);
    assert_eq!(before, env.snapshot(), "{args:?} wrote something");
}

#[test]
fn card_numbers_are_refused_in_ticket_text_and_customer_fields() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let card = format!("请退款到 {CARD}");
    let digits = CARD.replace(' ', "");
    let why = "bank-card number (UnionPay";
    for args in [
        vec!["update", &id, "--note", &card],
        vec!["close", &id, "--resolution", &card],
        vec!["assign", &id, "li.na", "--note", &card],
        vec!["edit", &id, "--set", &format!("description={card}")],
        vec!["edit", &id, "--set", &format!("title=退款 {digits}")],
    ] {
        refused(&env, &args, &[LAST4, why, "last four digits"], "3456");
    }
    let out = env.new_ticket_run(&["--description", &card]).fails(1);
    assert!(out.stderr.contains(LAST4), "{}", out.stderr);
    // A customer's plain fields: notes, need, a custom field, on add, edit and import.
    let hint = "record it as bank_card (银行卡号)";
    refused(
        &env,
        &customer_add("个人", "王五", &["--notes", &card]),
        &[LAST4, hint],
        "3456",
    );
    for set in [
        format!("notes=卡号：{digits}"),
        format!("need={CARD}"),
        format!("custom.银行账户={CARD}"),
    ] {
        refused(
            &env,
            &["customer", "edit", "C000001", "--set", &set],
            &[LAST4, hint],
            "3456",
        );
    }
    std::fs::write(
        env.path("cards.csv"),
        format!("kind,name,备注\n个人,王五,ok\n个人,赵六,\"{card}\"\n"),
    )
    .unwrap();
    refused(
        &env,
        &["customer", "import", "cards.csv"],
        &["line 3: invalid notes '****0128'"],
        "3456",
    );
}

#[test]
fn ticket_ids_phones_and_order_numbers_are_not_taken_for_cards() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let note = format!(
        "回访 {id}：客户 13912345678 / +86 139 1234 5678，订单号 2026112300012340 和 \
         4111111111111112（校验不过），尾号 0128，身份证另登记"
    );
    env.run(&["update", &id, "--note", &note]).ok();
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        &format!("notes={note}"),
    ])
    .ok();
}

#[test]
fn pasted_secret_keys_are_refused_in_tickets_and_customers() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    for (key, what) in [
        (age_key(), "an age private key"),
        (age_key().to_lowercase(), "an age private key"),
        (lookup_key(), "a desk lookup key"),
        (pem_key(), "a private key (-----BEGIN"),
    ] {
        let body = &key[key.len() - 20..];
        let text = format!("my key is\n{key}\nthanks");
        refused(
            &env,
            &["update", &id, "--note", &text],
            &[what, "never be written into the store"],
            body,
        );
        refused(
            &env,
            &[
                "customer",
                "edit",
                "C000001",
                "--set",
                &format!("notes={text}"),
            ],
            &[what],
            body,
        );
        let out = env.new_ticket_run(&["--description", &text]).fails(1);
        assert!(out.stderr.contains(what), "{}", out.stderr);
    }
    // Talking about a key is not pasting one.
    env.run(&[
        "update",
        &id,
        "--note",
        "the key file holds AGE-SECRET-KEY-1... lines and starts with -----BEGIN PRIVATE KEY-----",
    ])
    .ok();
}
