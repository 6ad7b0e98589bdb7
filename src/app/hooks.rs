//! The `run` hooks of rules: which commands this machine allows (`desk.hooks`
//! of git config), and running one with a clean environment in a process
//! group killed at the timeout ("Trust model" in docs/automation.md).

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind};
use crate::rules::{RuleAction, RunHook};
use crate::store::{Store, HOOKS_KEY};

/// The command that allows a hook's command line in this clone: git config
/// lives in `.git/config`, which no clone, pull or merge carries.
pub fn allow_command(line: &str) -> String {
    format!(
        "git config --add {HOOKS_KEY} {}",
        crate::text::shell_quoted(line)
    )
}

/// How a failed delivery's error tells the reader to allow `line`. Those
/// errors are masked before they are recorded or printed, so a line with an
/// address or a long number in it (an SMTP login's `user:service@example.com`)
/// would name a command that allows another line; such an error points at
/// `desk check`, whose findings name the line in full.
pub fn how_to_allow(line: &str) -> String {
    if crate::model::mask::personal_in(line) == line {
        format!("to allow it, run in the store: {}", allow_command(line))
    } else {
        "`desk check`, run in the store, names the command that allows it".to_string()
    }
}

/// How long a `run` hook may take, in seconds (default
/// [`DEFAULT_HOOK_TIMEOUT`], at most [`MAX_HOOK_TIMEOUT`]); past it the
/// hook's whole process group is killed and the delivery counts as failed.
pub const HOOK_TIMEOUT_VAR: &str = "DESK_HOOK_TIMEOUT";

pub const DEFAULT_HOOK_TIMEOUT: u64 = 60;

pub const MAX_HOOK_TIMEOUT: u64 = 86_400;

/// The hook timeout of `DESK_HOOK_TIMEOUT` (unset or empty: the default).
/// Anything but a number of seconds above 0 and at most a day is refused,
/// naming the value, before `desk run` does anything.
pub fn hook_timeout() -> Result<Duration> {
    let Some(value) = std::env::var_os(HOOK_TIMEOUT_VAR) else {
        return Ok(Duration::from_secs(DEFAULT_HOOK_TIMEOUT));
    };
    let text = value.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(Duration::from_secs(DEFAULT_HOOK_TIMEOUT));
    }
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= MAX_HOOK_TIMEOUT as f64)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::invalid(
                HOOK_TIMEOUT_VAR,
                text.as_ref(),
                format!(
                    "expected the seconds a hook may take: a number above 0 and at most \
                     {MAX_HOOK_TIMEOUT}, e.g. 5 or 0.5 (default {DEFAULT_HOOK_TIMEOUT})"
                ),
            )
        })
}

/// The variables a hook's environment holds besides the `DESK_*` ones of
/// its delivery: nothing else of `desk run`'s environment (no mail
/// password, no key file) reaches a hook.
pub const HOOK_INHERITS: [&str; 3] = crate::command::INHERITS;

/// How this machine runs hooks: the command lines it allows (`desk.hooks`
/// of git config, which git never carries from one clone to another; see
/// docs/automation.md, "Trust model") and how long each may take.
pub(super) struct Hooks<'s> {
    store: &'s Store,
    pub(super) timeout: Duration,
    allowed: std::cell::OnceCell<Vec<String>>,
}

impl<'s> Hooks<'s> {
    pub(super) fn new(store: &'s Store, timeout: Duration) -> Hooks<'s> {
        Hooks {
            store,
            timeout,
            allowed: Default::default(),
        }
    }

    /// Whether this machine allows the hook's command line; if not, the
    /// exact command that allows it. git config is read once, when a hook
    /// is first asked about.
    pub(super) fn allowed(&self, hook: &RunHook) -> std::result::Result<(), String> {
        let line = hook.command_line();
        if self.allowed_line(&line) {
            Ok(())
        } else {
            Err(not_allowed(&line))
        }
    }

    fn allowed_line(&self, line: &str) -> bool {
        self.allowed
            .get_or_init(|| self.store.allowed_hooks())
            .iter()
            .any(|a| a == line)
    }
}

/// Why a hook is not run on this machine, and how to allow it.
fn not_allowed(line: &str) -> String {
    format!(
        "hook `{line}` is not allowed on this machine; {} (docs/automation.md, Trust model)",
        how_to_allow(line)
    )
}

/// Runs a hook: its command relative to the store's root when it has a `/`
/// (`hooks/wecom.sh`), else found in PATH's absolute folders (`curl`; never
/// a file of the store, whatever PATH holds; `crate::command`), in the
/// root, with `stdin` as its input and an environment of
/// [`HOOK_INHERITS`] and `env` alone, by [`crate::command::run_bounded`]:
/// in a process group of its own, the whole group killed at `timeout` and
/// its output no longer read, so nothing it started (a background job, a
/// hanging `curl`) holds `desk run` past the timeout. Done within the
/// timeout with exit status 0, or it failed.
pub(super) fn run_hook(
    root: &Path,
    hook: &RunHook,
    stdin: &[u8],
    env: &[(&str, &str)],
    timeout: Duration,
) -> std::result::Result<(), String> {
    let command = hook.command.as_str();
    let program = crate::command::program(command, root).ok_or_else(|| {
        format!("cannot run {command}: not found in the absolute folders of PATH")
    })?;
    let mut cmd = crate::command::clean(&program);
    cmd.args(&hook.args)
        .current_dir(root)
        .envs(env.iter().copied());
    // What it started may still write to its stderr, until the deadline at
    // most. A hook that reads nothing closes its input: not an error.
    let bounds = crate::command::Bounds {
        timeout,
        after_exit: timeout,
    };
    let finished =
        crate::command::run_bounded(cmd, stdin.to_vec(), bounds).map_err(|e| match e {
            crate::command::RunError::Spawn(e) => format!("cannot run {command}: {e}"),
            crate::command::RunError::Wait(e) => format!("{command}: {e}"),
        })?;
    let last = String::from_utf8_lossy(&finished.stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", crate::text::visible(l.trim())))
        .unwrap_or_default();
    match finished.status {
        None => Err(format!(
            "{command} timed out after {} s ({HOOK_TIMEOUT_VAR})",
            timeout.as_secs_f64()
        )),
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(match s.code() {
            Some(code) => format!("{command} exited with status {code}{last}"),
            None => format!("{command} was killed by a signal{last}"),
        }),
    }
}

/// `desk check`'s warnings about hooks: each `run` action of an enabled
/// rule whose command line this machine does not allow, with the
/// command that allows it. Warnings: only the clone that runs `desk
/// run` needs to allow them.
pub fn hook_findings(store: &Store) -> Vec<Finding> {
    let Ok(rules) = super::rules::rules(store) else {
        return Vec::new();
    };
    let hooks = Hooks::new(store, Duration::from_secs(DEFAULT_HOOK_TIMEOUT));
    let mut found = Vec::new();
    for (index, rule) in rules.rules.iter().enumerate().filter(|(_, r)| r.enabled) {
        for (i, action) in rule.actions.iter().enumerate() {
            let RuleAction::Run(hook) = action else {
                continue;
            };
            if hooks.allowed(hook).is_ok() {
                continue;
            }
            found.push(not_allowed_finding(
                super::rules::rule_line_of(store, &rule.name),
                &format!("rule '{}' (rules[{index}]), key then[{i}].run", rule.name),
                &format!("the hook `{}`", hook.command_line()),
                "fails its deliveries",
                &hook.command_line(),
            ));
        }
    }
    if let Some(line) = super::mailer::sendmail_line(store).filter(|l| !hooks.allowed_line(l)) {
        found.push(not_allowed_finding(
            super::rules::config_line(store, "mail"),
            "mail.sendmail",
            &format!("the command `{line}`"),
            "sends no e-mail",
            &line,
        ));
    }
    if let Some(line) = super::mailer::smtp_login_line(store).filter(|l| !hooks.allowed_line(l)) {
        found.push(not_allowed_finding(
            super::rules::config_line(store, "mail"),
            "mail.smtp",
            &format!("the login `{line}`"),
            "reads no password and sends no e-mail",
            &line,
        ));
    }
    found
}

/// `desk check`'s warning about a line of desk.yaml this machine does not
/// allow (`desk.hooks`), with the command that allows it. A warning: only
/// the clone that runs `desk run` needs to allow it.
fn not_allowed_finding(
    line: Option<usize>,
    key: &str,
    what: &str,
    so: &str,
    allowed_as: &str,
) -> Finding {
    let mut finding = Finding::new(
        Path::new(crate::store::CONFIG_FILE),
        line,
        format!(
            "{key}: this machine does not allow {what}, so a `desk run` here {so}; if this \
             clone runs `desk run`, allow it with: {}",
            allow_command(allowed_as)
        ),
    );
    finding.kind = FindingKind::Warning;
    finding
}
