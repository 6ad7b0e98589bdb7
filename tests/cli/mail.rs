//! Mail delivery (src/mail) against a real SMTP server on 127.0.0.1 and a
//! real sendmail-compatible command, and the `mail:` section of desk.yaml.

use crate::common::{closed_port, SmtpServer, TestEnv};
use desk::mail::{mailer, Mail, MailConfig, MailError};

fn config(yaml: &str) -> MailConfig {
    MailConfig::from_yaml(yaml).unwrap()
}

fn plain(port: u16) -> MailConfig {
    config(&format!(
        "from: 客服中心 <service@example.com>\ntimeout: 5\nsmtp: {{host: 127.0.0.1, port: {port}, security: none}}\n"
    ))
}

fn chinese_mail() -> Mail {
    Mail {
        to: vec![
            "李娜 <li.na@example.com>".into(),
            "chen.jing@example.com".into(),
        ],
        subject: "工单 CW202611240001 已分配给您：设备无法开机".into(),
        body: "您好，李娜：\n\n客户张**的投诉（CW202611240001）已分配给您，请在 24 小时内回复进展。\n\n— desk\n".into(),
        message_id: "a1b2c3d4e5f6@desk".into(),
        ..Mail::default()
    }
}

fn send_err(config: &MailConfig, mail: &Mail) -> MailError {
    match mailer(config) {
        Ok(m) => m.send(mail).expect_err("the send fails"),
        Err(e) => e,
    }
}

#[test]
fn smtp_delivers_chinese_subject_and_body_intact() {
    let server = SmtpServer::start(&[]);
    let mailer = mailer(&plain(server.port)).unwrap();
    mailer.send(&chinese_mail()).unwrap();
    let mut second = chinese_mail();
    second.to = vec!["wang.qiang@example.com".into()];
    second.message_id = "second@desk".into();
    second.subject = "第二封\r\nBcc: evil@example.com\t提醒".into();
    // The second goes over the same connection.
    mailer.send(&second).unwrap();
    let got = server.messages();
    assert_eq!(got.len(), 2);
    let m = &got[0];
    assert_eq!(m.mail_from, "service@example.com");
    assert_eq!(m.rcpt_tos, ["li.na@example.com", "chen.jing@example.com"]);
    assert_eq!(m.headers["Subject"], chinese_mail().subject);
    assert_eq!(m.body.as_deref(), Some(chinese_mail().body.as_str()));
    assert_eq!(m.headers["Message-ID"], "<a1b2c3d4e5f6@desk>");
    assert_eq!(m.headers["From"], "客服中心 <service@example.com>");
    assert_eq!(
        m.headers["To"],
        "李娜 <li.na@example.com>, chen.jing@example.com"
    );
    assert!(m.headers.contains_key("Date"), "{:?}", m.headers);
    // On the wire, headers are ASCII (RFC 2047 words) and so is the body.
    assert!(m.data.is_ascii(), "{}", m.data);
    assert!(!m.data.contains("张**的投诉"));
    assert_eq!(got[1].rcpt_tos, ["wang.qiang@example.com"]);
    assert_eq!(got[1].headers["Message-ID"], "<second@desk>");
    // A line break in the subject is a space, not a header of its own.
    assert_eq!(
        got[1].headers["Subject"],
        "第二封 Bcc: evil@example.com 提醒"
    );
    assert!(!got[1].headers.contains_key("Bcc"));
}

/// Lines of dots in a body (a plain-text mail goes as is, 7bit) are
/// escaped on the wire and arrive as written: a line `.` alone does not end
/// the message early.
#[test]
fn a_body_with_lines_of_dots_arrives_whole() {
    let server = SmtpServer::start(&[]);
    let mailer = mailer(&plain(server.port)).unwrap();
    let mut mail = chinese_mail();
    mail.body = "first\n.\n..\n.hidden\nlast line\n".into();
    for n in 0..3 {
        mail.message_id = format!("dots{n}@desk");
        mailer.send(&mail).unwrap();
    }
    let got = server.messages();
    assert_eq!(got.len(), 3);
    for m in &got {
        // (lettre ends a plain part with a line break of its own)
        assert_eq!(
            m.body.as_deref().map(str::trim_end),
            Some(mail.body.trim_end()),
            "{:?}",
            m.data
        );
    }
}

#[test]
fn a_server_down_is_a_transient_error_naming_it() {
    let port = closed_port();
    let err = send_err(&plain(port), &chinese_mail());
    let text = err.to_string();
    assert!(!err.is_permanent(), "{text}");
    assert!(
        text.starts_with(&format!("smtp 127.0.0.1:{port}: connect: ")),
        "{text}"
    );
}

#[test]
fn a_rejected_recipient_is_permanent_and_named() {
    let server = SmtpServer::start(&["--reject", "chen.jing@example.com"]);
    let err = send_err(&plain(server.port), &chinese_mail());
    let text = err.to_string();
    assert!(err.is_permanent(), "{text}");
    // The reply quotes the address: masked, as it goes into the history.
    assert!(
        text.contains("RCPT TO:<c***@example.com>") && text.contains("550"),
        "{text}"
    );
    assert!(!text.contains("chen.jing@"), "{text}");
    // All or none: the accepted recipient got nothing either.
    assert!(server.messages().is_empty());
    // A malformed recipient is permanent too, and never reaches the server.
    let mut bad = chinese_mail();
    bad.to = vec!["li.na@example.com, chen.jing".into()];
    let err = send_err(&plain(server.port), &bad);
    assert!(err.is_permanent(), "{err}");
    assert!(
        err.to_string()
            .contains("recipient 'l***@example.com, chen.jing'"),
        "{err}"
    );
    // A recipient the server cannot take (no SMTPUTF8): permanent too.
    let mut utf8 = chinese_mail();
    utf8.to = vec!["张三@example.com".into()];
    let err = send_err(&plain(server.port), &utf8);
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("SMTPUTF8"), "{err}");
}

#[test]
fn starttls_with_auth_and_a_password_file() {
    let server = SmtpServer::start(&[
        "--tls",
        "starttls",
        "--require-starttls",
        "--auth",
        "service@example.com:密码 s3cret",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "密码 s3cret\n").unwrap();
    let yaml = |file: &std::path::Path| {
        format!(
            "from: 客服中心 <service@example.com>\ntimeout: 5\nsmtp:\n  host: 127.0.0.1\n  port: {}\n  \
             security: starttls\n  user: service@example.com\n  password_file: {}\n  ca_file: {}\n",
            server.port,
            file.display(),
            server.ca_file().display()
        )
    };
    mailer(&config(&yaml(&password)))
        .unwrap()
        .send(&chinese_mail())
        .unwrap();
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls && got[0].authenticated, "{got:?}");
    assert_eq!(got[0].headers["Subject"], chinese_mail().subject);

    // A wrong password: the login is refused, which a retry after fixing it cures.
    std::fs::write(&password, "wrong\n").unwrap();
    let err = send_err(&config(&yaml(&password)), &chinese_mail());
    assert!(!err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains(": AUTH: ") && err.to_string().contains("535"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "{err}");
    // A missing file is named.
    let err = send_err(&config(&yaml(&dir.path().join("none"))), &chinese_mail());
    assert!(err.to_string().contains("cannot read"), "{err}");
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn starttls_refuses_a_certificate_it_does_not_trust() {
    let server = SmtpServer::start(&["--tls", "starttls"]);
    // No ca_file: the test CA is not among the system's.
    let config = config(&format!(
        "from: service@example.com\ntimeout: 5\nsmtp: {{host: 127.0.0.1, port: {}}}\n",
        server.port
    ));
    let err = send_err(&config, &chinese_mail());
    assert!(!err.is_permanent(), "{err}");
    assert!(err.to_string().contains(": STARTTLS: "), "{err}");
    assert!(server.messages().is_empty());
}

#[test]
fn starttls_is_required_when_asked_for() {
    // A server without STARTTLS: desk does not fall back to plain text.
    let server = SmtpServer::start(&[]);
    let config = config(&format!(
        "from: service@example.com\ntimeout: 5\nsmtp: {{host: 127.0.0.1, port: {}, security: starttls}}\n",
        server.port
    ));
    let err = send_err(&config, &chinese_mail());
    assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");
    assert!(server.messages().is_empty());
}

#[test]
fn implicit_tls_with_auth_from_the_environment() {
    let server = SmtpServer::start(&["--tls", "implicit", "--auth", "desk:pw-from-env"]);
    let var = "DESK_TEST_SMTP_PASSWORD_IMPLICIT";
    // SAFETY: this variable is set by this test only, and read right after.
    unsafe { std::env::set_var(var, "pw-from-env") };
    let config = config(&format!(
        "from: service@example.com\ntimeout: 5\nsmtp: {{host: 127.0.0.1, port: {}, security: tls, \
         user: desk, password_env: {var}, ca_file: '{}'}}\n",
        server.port,
        server.ca_file().display()
    ));
    mailer(&config).unwrap().send(&chinese_mail()).unwrap();
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls && got[0].authenticated, "{got:?}");
}

#[test]
fn sendmail_command_gets_the_envelope_and_the_message() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A sendmail-compatible command: arguments one a line, the message from stdin.
    let script = dir.path().join("fake-sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}/args'\ncat > '{0}/message'\n\
             case \"$*\" in *nobody@*) echo 'nobody@example.com... User unknown' >&2; exit 67;; esac\n\
             case \"$*\" in *later@*) echo 'queue full' >&2; exit 75;; esac\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = config(&format!(
        "from: 客服中心 <service@example.com>\nsendmail:\n  command: {}\n  args: [-a, desk]\n",
        script.display()
    ));
    let mailer = mailer(&config).unwrap();
    mailer.send(&chinese_mail()).unwrap();
    let args = std::fs::read_to_string(out.join("args")).unwrap();
    assert_eq!(
        args,
        "-a\ndesk\n-i\n-f\nservice@example.com\n--\nli.na@example.com\nchen.jing@example.com\n"
    );
    let message = std::fs::read_to_string(out.join("message")).unwrap();
    assert!(
        message.contains("Message-ID: <a1b2c3d4e5f6@desk>\r\n"),
        "{message}"
    );
    assert!(message.contains("Subject: =?utf-8?"), "{message}");
    assert!(message.is_ascii());

    let mut nobody = chinese_mail();
    nobody.to = vec!["nobody@example.com".into()];
    let err = mailer.send(&nobody).unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(
        err.to_string()
            .contains("exited with 67: n***@example.com... User unknown"),
        "{err}"
    );
    let mut later = chinese_mail();
    later.to = vec!["later@example.com".into()];
    let err = mailer.send(&later).unwrap_err();
    assert!(!err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains("exited with 75: queue full"),
        "{err}"
    );

    // A command that is not there: named, and not the mail's fault.
    let missing = config_with_command(&dir.path().join("no-such-sendmail"));
    let err = send_err(&missing, &chinese_mail());
    assert!(!err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains("no-such-sendmail: cannot run it"),
        "{err}"
    );
}

fn config_with_command(command: &std::path::Path) -> MailConfig {
    config(&format!(
        "from: service@example.com\nsendmail: {{command: '{}'}}\n",
        command.display()
    ))
}

#[test]
fn a_sendmail_command_that_hangs_is_stopped_at_the_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("slow-sendmail");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = config(&format!(
        "from: service@example.com\ntimeout: 1\nsendmail: {{command: '{}'}}\n",
        script.display()
    ));
    let started = std::time::Instant::now();
    let err = send_err(&config, &chinese_mail());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!err.is_permanent());
    assert!(
        err.to_string().contains("did not finish within 1 s"),
        "{err}"
    );
}

fn with_mail(env: &TestEnv, section: &str) {
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}mail:\n{section}")).unwrap();
}

#[test]
fn a_password_in_desk_yaml_is_refused_without_showing_it() {
    let env = TestEnv::bare();
    with_mail(
        &env,
        "  from: service@example.com\n  smtp:\n    host: smtp.example.com\n    user: service\n    password: Hunter2-secret\n",
    );
    // Other commands go on: a slip in the mail settings hides no ticket.
    env.run(&["list"]).ok();
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains("desk.yaml")
            && out
                .stderr
                .contains("mail.smtp.password: a password is never written in desk.yaml")
            && out.stderr.contains("password_env")
            && out.stderr.contains("password_file"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Hunter2"), "{}", out.stderr);
    let out = env.run(&["check"]).fails(1);
    assert!(out.stdout.contains("mail.smtp.password"), "{}", out.stdout);
    assert!(!out.stdout.contains("Hunter2"), "{}", out.stdout);
}

#[test]
fn bad_mail_settings_are_refused_by_run_and_check_but_hide_no_ticket() {
    for (section, expected) in [
        (
            "  from: service@example.com\n  smtp: {host: smtp.example.com, port: 99999}\n",
            "mail.smtp.port: 99999 is not a port; expected a number from 1 to 65535",
        ),
        (
            "  from: service@example.com\n  smtp: {host: smtp.example.com, security: ssl}\n",
            "mail.smtp.security: 'ssl' is not a security mode; expected starttls",
        ),
        (
            "  smtp: {host: smtp.example.com}\n",
            "mail.from: missing",
        ),
        (
            "  from: 客服中心 service@example.com\n",
            "mail.from: '客服中心 service@example.com' is not an e-mail address",
        ),
        (
            "  from: a@example.com\n  smtp: {host: h, user: u, password_env: P, password_file: /etc/p}\n",
            "both password_env and password_file",
        ),
        (
            "  from: a@example.com\n  smtp: {host: h, user: u, password_file: /STORE/secrets/pw}\n",
            "is inside the store",
        ),
    ] {
        let env = TestEnv::bare();
        let section = section.replace("/STORE", env.root.to_str().unwrap());
        with_mail(&env, &section);
        let before = env.snapshot();
        env.run(&["list"]).ok();
        let out = env.run(&["run"]).fails(1);
        // The line of `mail:` in desk.yaml, whatever its length.
        let line = std::fs::read_to_string(env.path("desk.yaml"))
            .unwrap()
            .lines()
            .position(|l| l == "mail:")
            .unwrap()
            + 1;
        assert!(
            out.stderr.contains(&format!("desk.yaml:{line}: ")) && out.stderr.contains(expected),
            "{section}\n{}",
            out.stderr
        );
        let out = env.run(&["check"]).fails(1);
        assert!(out.stdout.contains(expected), "{section}\n{}", out.stdout);
        assert_eq!(env.snapshot(), before);
    }
    // A good section is accepted, and kept.
    let env = TestEnv::bare();
    with_mail(
        &env,
        "  from: 客服中心 <service@example.com>\n  smtp:\n    host: smtp.example.com\n    user: service@example.com\n    password_env: DESK_SMTP_PASSWORD\n",
    );
    env.run(&["check"]).ok();
    env.run(&["run"]).ok();
}

#[test]
fn a_sendmail_that_leaves_a_process_behind_does_not_hold_desk() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("message");
    // Reads the message, then leaves a process that keeps its stderr open,
    // as a sendmail delivering in the background may.
    let script = dir.path().join("forking-sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat > '{}'\n(sleep 20 >/dev/null) &\nexit 0\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = config(&format!(
        "from: service@example.com\ntimeout: 10\nsendmail: {{command: '{}'}}\n",
        script.display()
    ));
    let started = std::time::Instant::now();
    mailer(&config).unwrap().send(&chinese_mail()).unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("Message-ID: <a1b2c3d4e5f6@desk>"));
}

#[test]
fn a_linked_password_file_is_refused_and_one_others_can_read_is_warned_of() {
    use std::os::unix::fs::PermissionsExt;
    let outside = tempfile::tempdir().unwrap();
    let section = |file: &std::path::Path| {
        format!(
            "  from: a@example.com\n  smtp: {{host: smtp.example.com, user: u, password_file: '{}'}}\n",
            file.display()
        )
    };
    // A link outside the store that leads into it, and one that leads elsewhere.
    let real = outside.path().join("real");
    std::fs::write(&real, "s3cret\n").unwrap();
    for into_store in [true, false] {
        let env = TestEnv::bare();
        std::fs::write(env.path("pw"), "s3cret\n").unwrap();
        let target = if into_store {
            env.path("pw")
        } else {
            real.clone()
        };
        let link = outside.path().join("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        with_mail(&env, &section(&link));
        let out = env.run(&["run"]).fails(1);
        assert!(
            out.stderr.contains(&format!(
                "mail.smtp.password_file: {} is a symbolic link",
                link.display()
            )),
            "{}",
            out.stderr
        );
        let out = env.run(&["check"]).fails(1);
        assert!(out.stdout.contains("is a symbolic link"), "{}", out.stdout);
    }
    // The file itself: warned of, once a command, while others can read it.
    let mut env = TestEnv::bare();
    with_mail(&env, &section(&real));
    // The login allowed here, so that its warning is the only one.
    env.allowed_hooks = vec![format!(
        "smtp smtp.example.com:587 user:u password_file:{}",
        real.display()
    )];
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warning = format!(
        "warning: the SMTP password file {} (mail.smtp.password_file) is accessible by others \
         (mode 0644); run `chmod 600` on it",
        real.display()
    );
    for command in ["check", "run"] {
        let out = env.run(&[command]).ok();
        assert_eq!(out.stderr.matches(&warning).count(), 1, "{}", out.stderr);
    }
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    for command in ["check", "run"] {
        let out = env.run(&[command]).ok();
        assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    }
}

/// desk.yaml travels through git: a commit that points `mail.smtp` at
/// another server, or at another password source (any one-line file or
/// variable the cron account can read), would have `desk run` send that
/// password away. The login runs only where this machine allows it, as a
/// hook does: until then no password is read and no mail is sent, and
/// `desk check` names the command that allows it.
#[test]
fn the_smtp_password_is_sent_only_to_a_login_this_machine_allows() {
    let server = SmtpServer::start(&["--auth", "desk:s3cret"]);
    let mut env = TestEnv::new();
    let password = env.outside("smtp-password");
    std::fs::write(&password, "s3cret\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}rules:\n- name: tell\n  when: created\n  then:\n  \
             - notify: {{to: {{agent: li.na}}, template: hello}}\n\
             mail:\n  from: service@example.com\n  timeout: 5\n  smtp: {{host: 127.0.0.1, \
             port: {}, security: none, user: desk, password_file: '{password}'}}\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/hello.txt"),
        "Subject: hello {{ ticket.id }}\n\nhello\n",
    )
    .unwrap();
    let line = format!(
        "smtp 127.0.0.1:{} user:desk password_file:{password}",
        server.port
    );
    let id = env.new_ticket(&[]);
    let out = env.run(&["run"]).fails(1);
    assert!(
        out.stderr.contains(&format!(
            "{id}: email by rule tell to li.na failed (attempt 1"
        )) && out.stderr.contains(&format!(
            "mail.smtp: the login `{line}` is not allowed on this machine, so no password is \
             read or sent; to allow it, run in the store: git config --add desk.hooks"
        )),
        "{}",
        out.stderr
    );
    assert!(server.messages().is_empty());
    let out = env.run(&["check"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "mail.smtp: this machine does not allow the login `{line}`"
        )),
        "{}",
        out.stderr
    );
    // Allowed here: the mail goes, logged in.
    env.allowed_hooks = vec![line];
    env.at("2026-11-23T09:10:00+08:00");
    env.run(&["run"]).ok();
    let got = server.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].authenticated, "{got:?}");
}

/// The line a message tells the reader to allow, as `git config --add
/// desk.hooks 'LINE'` would add it (desk quotes a line with spaces).
fn line_to_allow(stderr: &str) -> Option<String> {
    let start =
        stderr.find("git config --add desk.hooks '")? + "git config --add desk.hooks '".len();
    let len = stderr[start..].find('\'')?;
    Some(stderr[start..start + len].to_string())
}

/// An SMTP user is usually an address (`service@example.com`), which a
/// delivery's error masks before it is recorded or printed: the failed run
/// must not name a command that allows the masked line (it would allow
/// nothing), but send the reader to `desk check`, whose command works.
#[test]
fn a_failed_mail_never_names_a_masked_command_to_allow_the_login() {
    let server = SmtpServer::start(&["--auth", "service@example.com:s3cret"]);
    let mut env = TestEnv::new();
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}rules:\n- name: tell\n  when: created\n  then:\n  \
             - notify: {{to: {{agent: li.na}}, template: hello}}\n\
             mail:\n  from: service@example.com\n  timeout: 5\n  smtp: {{host: 127.0.0.1, \
             port: {}, security: none, user: service@example.com, password_env: \
             DESK_SMTP_PASSWORD}}\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/hello.txt"),
        "Subject: hello {{ ticket.id }}\n\nhello\n",
    )
    .unwrap();
    let line = format!(
        "smtp 127.0.0.1:{} user:service@example.com password_env:DESK_SMTP_PASSWORD",
        server.port
    );
    env.new_ticket(&[]);
    let run = |env: &TestEnv| env.output(env.cmd().env("DESK_SMTP_PASSWORD", "s3cret").arg("run"));
    let out = run(&env).fails(1);
    assert!(
        out.stderr.contains(
            "so no password is read or sent; `desk check`, run in the store, names the command \
             that allows it"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(line_to_allow(&out.stderr), None, "{}", out.stderr);
    let outbox = env.run(&["outbox"]).ok();
    assert_eq!(line_to_allow(&outbox.stdout), None, "{}", outbox.stdout);
    // desk check names the login in full; allowing what it names lets the mail go.
    let out = env.run(&["check"]).ok();
    let named = line_to_allow(&out.stderr).expect(&out.stderr);
    assert_eq!(named, line);
    env.allowed_hooks = vec![named];
    env.at("2026-11-23T09:10:00+08:00");
    run(&env).ok();
    let got = server.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].authenticated, "{got:?}");
}
