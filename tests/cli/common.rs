use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A temporary store and a way to run `desk` in it with a clean environment.
pub struct TestEnv {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub now: String,
    /// A directory outside the store, for files that must not be in it (key files).
    outside: tempfile::TempDir,
    /// `DESK_RACY_WINDOW_MS` for every command, if set (see [`TestEnv::run_settled`]).
    pub racy_window_ms: Option<&'static str>,
    /// The hook command lines this machine allows (`desk.hooks`), given to
    /// git as configuration from the environment, as `git config --add
    /// desk.hooks LINE` would in a clone.
    pub allowed_hooks: Vec<String>,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The arguments of `desk customer add --kind KIND --name NAME REST...`.
pub fn customer_add<'a>(kind: &'a str, name: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["customer", "add", "--kind", kind, "--name", name];
    args.extend_from_slice(rest);
    args
}

impl TestEnv {
    /// A fresh store created by `desk init`, clock at 2026-11-23 09:00
    /// Shanghai, with customers C000001 (individual), C000002 (enterprise)
    /// and C000003 (individual).
    pub fn new() -> TestEnv {
        let env = TestEnv::bare();
        for args in [
            &[
                "--kind",
                "individual",
                "--name",
                "张三",
                "--phone",
                "13900000001",
            ][..],
            &[
                "--kind",
                "enterprise",
                "--name",
                "星河科技有限公司",
                "--credit-code",
                "91350100M000100Y43",
            ],
            &[
                "--kind",
                "个人",
                "--name",
                "Emma Clarke",
                "--email",
                "emma@example.com",
            ],
        ] {
            let mut cmd = vec!["customer", "add", "--at", "2026-01-05 10:00"];
            cmd.extend_from_slice(args);
            env.run(&cmd).ok();
        }
        env
    }

    /// A fresh store created by `desk init`, without customers and without
    /// the default rules (so that tickets stay as the tests make them;
    /// tests/cli/rules.rs tests the rules).
    pub fn bare() -> TestEnv {
        let env = TestEnv::empty();
        env.run(&["init", ".", "--rules", "none"]).ok();
        env
    }

    /// An empty directory, no store.
    pub fn empty() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        TestEnv {
            _dir: dir,
            root,
            now: "2026-11-23T09:00:00+08:00".into(),
            outside: tempfile::tempdir().unwrap(),
            racy_window_ms: None,
            allowed_hooks: Vec::new(),
        }
    }

    pub fn at(&mut self, now: &str) -> &mut Self {
        self.now = now.into();
        self
    }

    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The same, as a plain `std::process::Command` (for spawning many).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("desk"));
        cmd.current_dir(&self.root)
            .env_remove("DESK_DIR")
            .env_remove("COLUMNS")
            .env_remove("DESK_KEY_FILE")
            .env_remove("DESK_LOOKUP_KEY_FILE")
            .env("DESK_ACTOR", "tester")
            .env("DESK_NOW", &self.now)
            .env("NO_COLOR", "1");
        if let Some(ms) = self.racy_window_ms {
            cmd.env("DESK_RACY_WINDOW_MS", ms);
        }
        if !self.allowed_hooks.is_empty() {
            cmd.env("GIT_CONFIG_COUNT", self.allowed_hooks.len().to_string());
            for (i, line) in self.allowed_hooks.iter().enumerate() {
                cmd.env(format!("GIT_CONFIG_KEY_{i}"), "desk.hooks")
                    .env(format!("GIT_CONFIG_VALUE_{i}"), line);
            }
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.output(self.cmd().args(args))
    }

    /// Runs as if every file had been written long ago: files changed in
    /// the last two seconds are never cached (the racy window), and
    /// `DESK_RACY_WINDOW_MS=0` closes that window, so a test that needs a
    /// warm cache or a settled customer index does not sleep it out.
    pub fn run_settled(&self, args: &[&str]) -> Output {
        self.output(self.cmd().env("DESK_RACY_WINDOW_MS", "0").args(args))
    }

    /// Runs with `DESK_KEY_FILE` pointing at `key`.
    pub fn run_keyed(&self, key: &str, args: &[&str]) -> Output {
        self.output(self.cmd().env("DESK_KEY_FILE", key).args(args))
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.output(self.cmd().args(args).write_stdin(stdin))
    }

    pub fn output(&self, cmd: &mut Command) -> Output {
        let out = cmd.output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Records a ticket and returns its ID; `extra` flags override the defaults.
    pub fn new_ticket(&self, extra: &[&str]) -> String {
        self.new_ticket_run(extra).ok().stdout.trim().to_string()
    }

    /// Runs `desk new` with the defaults of [`TestEnv::new_ticket`], `extra`
    /// overriding them, for tests that look at its messages or a refusal.
    pub fn new_ticket_run(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "new",
            "--customer",
            "C000001",
            "--type",
            "complaint",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "Device does not power on",
        ];
        let mut rest = extra.iter();
        while let Some(flag) = rest.next() {
            match args.iter().position(|a| a == flag) {
                Some(i) if i > 0 => args[i + 1] = rest.next().expect("flag value"),
                _ => args.push(flag),
            }
        }
        self.run(&args)
    }

    /// A path named `name` outside the store (where key files belong).
    pub fn outside(&self, name: &str) -> String {
        let dir = self.outside.path().canonicalize().unwrap();
        dir.join(name).to_str().unwrap().to_string()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn ticket_path(&self, id: &str) -> PathBuf {
        self.root
            .join("tickets")
            .join(&id[2..6])
            .join(&id[6..8])
            .join(format!("{id}.yaml"))
    }

    pub fn read_ticket(&self, id: &str) -> String {
        std::fs::read_to_string(self.ticket_path(id)).unwrap()
    }

    pub fn ticket_yaml(&self, id: &str) -> desk::yaml::Value {
        desk::yaml::from_str(&self.read_ticket(id)).unwrap()
    }

    /// Every file of the store (but the local state), with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        walk(&self.root)
    }
}

fn walk(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".desk")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[cfg(unix)]
impl TestEnv {
    /// Runs desk with stdout on a pseudo-terminal `cols` columns wide (stdin
    /// empty, stderr piped), as a person at a terminal of that width would;
    /// `color` leaves `NO_COLOR` unset. The terminal's `\r\n` become `\n`.
    pub fn run_tty(&self, cols: u16, color: bool, args: &[&str]) -> Output {
        self.run_tty_env(cols, color, &[], args)
    }

    /// [`TestEnv::run_tty`] with these environment variables set.
    pub fn run_tty_env(
        &self,
        cols: u16,
        color: bool,
        envs: &[(&str, &str)],
        args: &[&str],
    ) -> Output {
        self.run_pty(cols, color, envs, args, false)
    }

    /// Runs desk with stdout and stderr both on a pseudo-terminal (read
    /// together into `stdout`), as a person at a terminal sees a command.
    pub fn run_all_tty(&self, cols: u16, args: &[&str]) -> Output {
        self.run_pty(cols, false, &[], args, true)
    }

    fn run_pty(
        &self,
        cols: u16,
        color: bool,
        envs: &[(&str, &str)],
        args: &[&str],
        stderr_too: bool,
    ) -> Output {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        use std::process::Stdio;

        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize {
            ws_row: 60,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors, which are then owned here.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // Close-on-exec, so that commands other tests spawn meanwhile do not
        // inherit them (a slave left open elsewhere would delay the end).
        for fd in [master, slave] {
            // SAFETY: fcntl on descriptors just opened here.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        let master = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(master) });
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        let mut cmd = self.std_cmd();
        cmd.env("TERM", "xterm-256color");
        if color {
            cmd.env_remove("NO_COLOR");
        }
        let stderr = if stderr_too {
            Stdio::from(slave.try_clone().unwrap())
        } else {
            Stdio::piped()
        };
        cmd.envs(envs.iter().copied())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(slave))
            .stderr(stderr);
        let child = cmd.spawn().unwrap();
        // The slave must be closed here too, or reading never ends.
        drop(cmd);
        let mut text = Vec::new();
        let mut master = master;
        let mut buf = [0u8; 8192];
        loop {
            match master.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => text.extend_from_slice(&buf[..n]),
                // Linux: EIO once the last slave descriptor is closed.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let out = child.wait_with_output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(text).unwrap().replace("\r\n", "\n"),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

/// A real SMTP server on 127.0.0.1 (tests/smtp_server.py, Python's aiosmtpd)
/// that stores what it receives; stopped when dropped.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// A message the test SMTP server received, as Python's email package reads it.
#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub authenticated: bool,
    pub tls: bool,
    /// The raw message.
    pub data: String,
    /// Decoded headers (RFC 2047 words read).
    pub headers: BTreeMap<String, String>,
    /// The decoded text body, line breaks as `\n`.
    pub body: Option<String>,
}

impl SmtpServer {
    /// Starts the server with these options of tests/smtp_server.py
    /// (`--reject ADDR`, `--auth USER:PW`, `--tls starttls|implicit`, …) and
    /// returns once it accepts connections. Runs the Python that
    /// `DESK_TEST_PYTHON` names (scripts/test sets it), else `python3`.
    /// Fails, never skips, when Python's aiosmtpd is missing.
    pub fn start(options: &[&str]) -> SmtpServer {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        // scripts/test names a Python with aiosmtpd installed.
        let python = std::env::var_os("DESK_TEST_PYTHON").unwrap_or_else(|| "python3".into());
        let mut child = Command::new(&python)
            .arg(script)
            .arg(dir.path())
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} runs the test SMTP server ({e}); run the tests with scripts/test, which \
                     installs what they need",
                    python.to_string_lossy()
                )
            });
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Ok(port) = line.trim().parse() else {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the test SMTP server did not start (exit {:?}); run the tests with scripts/test, \
                 which installs aiosmtpd:\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // Its later lines (one per message) must not fill the pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        SmtpServer { child, port, dir }
    }

    /// The CA certificate of a server started with `--tls`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The messages received so far, in order. A message is stored before
    /// the server accepts its data, so a sent mail is here.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let mut r: Received =
                    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                r.body = r.body.map(|b| b.replace("\r\n", "\n"));
                r
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program a test runs that scripts/test provides and names in the
/// environment variable `var` (`DESK_TEST_DOVECOT`, `DESK_TEST_CHROMIUM`, …),
/// else `default`.
#[cfg(unix)]
pub fn test_tool(var: &str, default: &str) -> std::ffi::OsString {
    std::env::var_os(var).unwrap_or_else(|| default.into())
}

/// A port on 127.0.0.1 that nothing listens on (just freed).
pub fn closed_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// A message of the mail corpus, `tests/mail/NAME`.
pub fn mail_corpus(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mail")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
