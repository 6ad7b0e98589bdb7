//! The IMAP recipe of docs/mail.md: getmail6, configured by the shipped
//! examples/mail/getmailrc, fetches the INBOX of a real Dovecot on 127.0.0.1
//! over TLS into a Maildir. scripts/test installs both (`need_imap`) and
//! names them in DESK_TEST_DOVECOT and DESK_TEST_GETMAIL.

use std::ffi::CStr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::mail_corpus as corpus;
use crate::common::{closed_port, customer_add, test_tool, TestEnv};

const USER: &str = "support@example.com";
const PASSWORD: &str = "app-password-1";

/// Who owns the mail on both sides: the tests' own user, or `nobody` when
/// they run as root, since Dovecot and getmail refuse to handle mail as root.
struct MailOwner {
    uid: u32,
    gid: u32,
    /// The tests' user and group names when not root: Dovecot's own
    /// processes must run as that user too.
    unprivileged: Option<(String, String)>,
}

fn mail_owner() -> &'static MailOwner {
    static OWNER: OnceLock<MailOwner> = OnceLock::new();
    OWNER.get_or_init(|| {
        // SAFETY: getpwnam/getpwuid/getgrgid return static records, read at
        // once, under the OnceLock (no other test calls them).
        unsafe {
            let root = libc::geteuid() == 0;
            let pw = if root {
                libc::getpwnam(c"nobody".as_ptr())
            } else {
                libc::getpwuid(libc::geteuid())
            };
            assert!(!pw.is_null(), "no passwd entry for the mail's owner");
            let (uid, gid) = ((*pw).pw_uid, (*pw).pw_gid);
            let unprivileged = (!root).then(|| {
                let user = CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned();
                let gr = libc::getgrgid(gid);
                assert!(!gr.is_null(), "no group entry for gid {gid}");
                let group = CStr::from_ptr((*gr).gr_name).to_string_lossy().into_owned();
                (user, group)
            });
            MailOwner {
                uid,
                gid,
                unprivileged,
            }
        }
    })
}

/// A folder that the mail's owner may own and that others may enter (the
/// temporary folder's 0700 would keep `nobody` out).
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Makes `dir` a Maildir (tmp/, new/, cur/) owned by the mail's owner.
fn make_maildir(dir: &Path) {
    let owner = mail_owner();
    for sub in ["", "tmp", "new", "cur"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid), Some(owner.gid)).unwrap();
    }
}

/// Writes a self-signed certificate for 127.0.0.1 and its key into `dir`
/// (cert.pem, key.pem).
fn self_signed_certificate(dir: &Path) {
    let openssl = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir)
        .output()
        .expect("openssl makes a certificate");
    assert!(openssl.status.success(), "{openssl:?}");
}

/// A real IMAP server: Dovecot on 127.0.0.1, IMAP over TLS only (a
/// self-signed certificate made with openssl), one user whose password is
/// [`PASSWORD`], its mail a Maildir in a temporary folder, configuration,
/// sockets and log there too; stopped when dropped.
struct Dovecot {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Dovecot {
    fn start() -> Dovecot {
        let dir = shared_dir();
        let d = dir.path();
        self_signed_certificate(d);
        std::fs::write(d.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        make_maildir(&d.join("home/Maildir"));
        let owner = mail_owner();
        let users = match &owner.unprivileged {
            Some((user, group)) => format!(
                "default_login_user = {user}\ndefault_internal_user = {user}\n\
                 default_internal_group = {group}\n"
            ),
            // Root: Dovecot's own users from its package (dovenull, dovecot).
            None => String::new(),
        };
        let dovecot = test_tool("DESK_TEST_DOVECOT", "/usr/sbin/dovecot");
        // A port just freed may be taken again before Dovecot binds it.
        for _ in 0..3 {
            let port = closed_port();
            let _ = std::fs::remove_file(d.join("dovecot.log"));
            let p = d.display();
            // No chroot for Dovecot's processes (an unprivileged user could
            // not make one); no plain IMAP port: TLS only, as real mailboxes.
            let config = format!(
                "base_dir = {p}/run\nstate_dir = {p}/state\nlog_path = {p}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\n{users}\
                 ssl = required\nssl_cert = <{p}/cert.pem\nssl_key = <{p}/key.pem\n\
                 auth_mechanisms = plain\n\
                 passdb {{\n  driver = passwd-file\n  args = {p}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = uid={} gid={} home={p}/home\n}}\n\
                 first_valid_uid = 1\nmail_location = maildir:~/Maildir\n\
                 service anvil {{\n  chroot =\n}}\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = 0\n  }}\n\
                 \x20 inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n",
                owner.uid, owner.gid
            );
            std::fs::write(d.join("dovecot.conf"), config).unwrap();
            let mut child = Command::new(&dovecot)
                // A process group of its own, to be stopped whole.
                .process_group(0)
                .args(["-F", "-c"])
                .arg(d.join("dovecot.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "{} runs the test IMAP server ({e}); run the tests with scripts/test, \
                         which installs Dovecot",
                        dovecot.to_string_lossy()
                    )
                });
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Dovecot { child, port, dir };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            stop(&mut child);
            let log = std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default();
            if !log.contains("Address already in use") {
                panic!("Dovecot did not start on port {port}:\n{log}");
            }
        }
        panic!("Dovecot found no free port");
    }

    /// The server's certificate, the one a client must trust.
    fn certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Puts a message into the user's INBOX as a mail system delivers it
    /// (written in tmp/, then moved), in cur/ flagged seen when `seen`: read
    /// already in webmail.
    fn deliver(&self, name: &str, bytes: &[u8], seen: bool) {
        let maildir = self.dir.path().join("home/Maildir");
        let tmp = maildir.join("tmp").join(name);
        std::fs::write(&tmp, bytes).unwrap();
        let owner = mail_owner();
        std::os::unix::fs::chown(&tmp, Some(owner.uid), Some(owner.gid)).unwrap();
        let to = match seen {
            true => maildir.join("cur").join(format!("{name}:2,S")),
            false => maildir.join("new").join(name),
        };
        std::fs::rename(&tmp, to).unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops Dovecot's master with its processes at once: on SIGTERM it takes a
/// second or two, and its processes outlive a SIGKILL of it alone.
fn stop(master: &mut Child) {
    // SAFETY: a signal to the process group of a child started here (in a
    // group of its own), not yet waited for.
    unsafe { libc::kill(-(master.id() as libc::pid_t), libc::SIGKILL) };
    let _ = master.wait();
}

/// getmail with a copy of the shipped recipe pointed at a test server.
struct Fetcher {
    /// getmail's folder: the recipe copy, the password file, its state.
    dir: tempfile::TempDir,
    /// The server's log, to show when a fetch fails.
    server_log: PathBuf,
}

impl Fetcher {
    /// The shipped examples/mail/getmailrc with only the server, port,
    /// user, password file, trusted certificates and Maildir changed; each
    /// of these keys must be in it once.
    fn new(server: &Dovecot, ca_certs: &Path, maildir: &Path) -> Fetcher {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
        let recipe_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail/getmailrc");
        let recipe = std::fs::read_to_string(recipe_path).unwrap();
        let mut values = vec![
            ("server", "127.0.0.1".to_string()),
            ("port", server.port.to_string()),
            ("username", USER.to_string()),
            (
                "password_command",
                format!("(\"/bin/cat\", \"{}\")", password.display()),
            ),
            ("ca_certs", ca_certs.display().to_string()),
            ("path", format!("{}/", maildir.display())),
        ];
        let mut copy = String::new();
        for line in recipe.lines() {
            let key = line.split_once(" = ").map(|(k, _)| k);
            match values.iter().position(|(k, _)| Some(*k) == key) {
                Some(i) => {
                    let (key, value) = values.remove(i);
                    copy += &format!("{key} = {value}\n");
                    if key == "path" && mail_owner().unprivileged.is_none() {
                        // getmail run by root delivers as the user named here.
                        copy += "user = nobody\n";
                    }
                }
                None => copy += &format!("{line}\n"),
            }
        }
        assert!(values.is_empty(), "the recipe lacks {values:?}");
        std::fs::write(dir.path().join("getmailrc"), copy).unwrap();
        Fetcher {
            dir,
            server_log: server.dir.path().join("dovecot.log"),
        }
    }

    fn run(&self) -> std::process::Output {
        Command::new(test_tool("DESK_TEST_GETMAIL", "getmail"))
            .arg("--getmaildir")
            .arg(self.dir.path())
            .args(["--rcfile", "getmailrc"])
            .stdin(Stdio::null())
            .output()
            .expect("getmail runs; run the tests with scripts/test, which installs getmail6")
    }

    #[track_caller]
    fn fetch(&self) {
        let out = self.run();
        assert!(
            out.status.success(),
            "getmail failed ({:?}):\n{}{}\nDovecot's log:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&self.server_log).unwrap_or_default()
        );
    }
}

/// The messages of a Maildir (new/ and cur/), each as its bytes.
fn maildir_messages(maildir: &Path) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(maildir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        found.extend(names.iter().map(|p| std::fs::read(p).unwrap()));
    }
    found
}

/// A message as the recipe delivers it, compared with what was sent: lines
/// end in LF, and getmail's own two headers are dropped.
fn as_sent(fetched: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in fetched.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"Return-Path: <unknown>")
            || line.starts_with(b"X-getmail-retrieved-from-mailbox:")
        {
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

#[test]
fn the_recipe_fetches_every_message_once_over_tls_read_on_the_server_or_not() {
    let server = Dovecot::start();
    let local = shared_dir();
    let maildir = local.path().join("Mail/desk");
    make_maildir(&maildir);
    let sent = ["plain.eml", "gbk.eml", "alternative.eml"].map(corpus);
    server.deliver("1.plain", &sent[0], false);
    server.deliver("2.gbk", &sent[1], false);
    // Read in webmail before the fetch: fetched all the same.
    server.deliver("3.alternative", &sent[2], true);

    let fetcher = Fetcher::new(&server, &server.certificate(), &maildir);
    fetcher.fetch();
    let fetched = maildir_messages(&maildir);
    assert_eq!(fetched.len(), 3, "three messages fetched");
    // All in new/, where desk mail-in --maildir looks for mail not yet filed.
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 3);
    let mut got: Vec<Vec<u8>> = fetched.iter().map(|m| lf(&as_sent(m))).collect();
    let mut want: Vec<Vec<u8>> = sent.iter().map(|m| lf(m)).collect();
    got.sort();
    want.sort();
    assert!(
        got == want,
        "the messages arrive as sent:\n{}",
        String::from_utf8_lossy(&got.concat())
    );

    // Again: nothing new, nothing twice.
    fetcher.fetch();
    assert_eq!(
        maildir_messages(&maildir).len(),
        3,
        "no message fetched twice"
    );

    // A message arriving later is fetched by the next run, alone.
    server.deliver("4.big5", &corpus("big5.eml"), false);
    fetcher.fetch();
    let fetched = maildir_messages(&maildir);
    assert_eq!(fetched.len(), 4);
    let big5 = lf(&corpus("big5.eml"));
    assert_eq!(
        fetched.iter().filter(|m| lf(&as_sent(m)) == big5).count(),
        1
    );
    // The messages stay on the server (the recipe's delete = false).
    let on_server = maildir_messages(&server.dir.path().join("home/Maildir"));
    assert_eq!(on_server.len(), 4);
}

/// The whole recipe: getmail fetches from the IMAP server, `desk mail-in
/// --maildir` files what it fetched, and the next round files only what
/// arrived since.
#[test]
fn mail_fetched_over_imap_becomes_tickets_once() {
    let server = Dovecot::start();
    let local = shared_dir();
    let maildir = local.path().join("Mail/desk");
    make_maildir(&maildir);
    server.deliver("1.gbk", &corpus("gbk.eml"), false);
    server.deliver("2.plain", &corpus("plain.eml"), false);
    let fetcher = Fetcher::new(&server, &server.certificate(), &maildir);
    fetcher.fetch();

    let env = TestEnv::new();
    let zhang_wei = env
        .run(&customer_add(
            "individual",
            "张伟",
            &["--email", "zhang.wei@example.cn"],
        ))
        .ok()
        .stdout
        .trim()
        .to_string();
    let mail_in = |env: &TestEnv| {
        env.output(env.cmd().arg("mail-in").arg("--maildir").arg(&maildir))
            .ok()
    };
    let out = mail_in(&env);
    let created: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.split('\t').nth(1) == Some("created"))
        .collect();
    assert_eq!(
        created.len(),
        2,
        "two tickets:\n{}{}",
        out.stdout,
        out.stderr
    );
    // The GBK mail is Zhang Wei's, in readable Chinese.
    let gbk = created
        .iter()
        .map(|l| env.ticket_yaml(l.split('\t').next().unwrap()))
        .find(|t| t["customer"].as_str() == Some(zhang_wei.as_str()))
        .expect("a ticket for the GBK mail's sender");
    assert_eq!(gbk["title"].as_str(), Some("订单未到货"));
    assert_eq!(gbk["channel"].as_str(), Some("email"));
    // Filed messages move to cur/; new/ is empty.
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(maildir.join("cur")).unwrap().count(), 2);

    // The next round: one message arrived on the server since.
    server.deliver("3.big5", &corpus("big5.eml"), false);
    fetcher.fetch();
    let out = mail_in(&env);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the new message:\n{}", out.stdout);
    assert_eq!(lines[0].split('\t').nth(1), Some("created"));
    assert_eq!(std::fs::read_dir(maildir.join("cur")).unwrap().count(), 3);
}

#[test]
fn the_recipe_refuses_a_server_whose_certificate_it_cannot_verify() {
    let server = Dovecot::start();
    let local = shared_dir();
    let maildir = local.path().join("Mail/desk");
    make_maildir(&maildir);
    server.deliver("1.plain", &corpus("plain.eml"), false);
    // Another server's certificate: this one's is not trusted.
    let other = tempfile::tempdir().unwrap();
    self_signed_certificate(other.path());
    let fetcher = Fetcher::new(&server, &other.path().join("cert.pem"), &maildir);
    let out = fetcher.run();
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("certificate verify failed"), "{said}");
    assert!(maildir_messages(&maildir).is_empty());
}
