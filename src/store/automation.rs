//! `desk run`: delivers what rules queued (`queued` events) through `run`
//! hooks and e-mail, recording `notified` or `delivery_failed` in the
//! ticket's history under its lock (docs/automation.md). A `queued` event
//! is only a reference to a rule's action: the template or the command
//! comes from the rules of desk.yaml as they are now (`rules::explain`),
//! an entry none explains is reported and never delivered, and a command
//! runs only where this machine allows it (`desk.hooks` of git config),
//! with a clean environment, in a process group killed at the timeout
//! ("Trust model" in docs/automation.md). Delivery is at-least-once: the
//! result is recorded after the send, so a crash between the two sends
//! again on the next run, with the same Message-ID.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use super::time_rules::DueRules;
use super::{Finding, Store, TimeFiring};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::{Mail, MailError, Mailer};
use crate::model::outbox::{self, Delivery, DeliveryState};
use crate::model::{Action, Activity, Event, Field, Ticket, TicketId};
use crate::rules::template::{self, Message};
use crate::rules::{Notify, RuleAction, Rules, RunHook, Work, CUSTOMER};

/// Where message templates live, relative to the store's root.
pub const TEMPLATES_DIR: &str = "templates";
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

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// A bad address, a rejected recipient: retrying will not help.
    pub permanent: bool,
}

impl From<MailError> for SendError {
    fn from(e: MailError) -> SendError {
        SendError {
            message: e.to_string(),
            permanent: e.is_permanent(),
        }
    }
}

/// One delivery `desk run` made or tried.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub ticket: String,
    pub rule: String,
    pub key: String,
    pub via: String,
    pub to: Vec<String>,
    /// What the rule that explains it uses now: `templates/NAME.txt`, or
    /// the hook's command line (`None`: no rule explains it).
    pub uses: Option<String>,
    pub outcome: AttemptOutcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered,
    /// `--dry-run`: what would be sent.
    WouldSend,
    /// `--dry-run`: a mail that cannot be made now (no address, no
    /// transport, a template that does not render), and why.
    WouldFail {
        error: String,
    },
    Failed {
        error: String,
        attempt: u32,
        /// `None`: given up.
        next: Option<Timestamp>,
    },
    /// No rule of desk.yaml explains the `queued` entry (why): not
    /// delivered, nothing recorded, and `desk check` fails on it.
    Unexplained {
        why: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTotals {
    pub delivered: usize,
    pub failed: usize,
    /// Due deliveries of a dry run.
    pub would_send: usize,
    /// `--dry-run`: deliveries that would fail.
    pub would_fail: usize,
    /// Time rules fired (or, on a dry run, due).
    pub fired: usize,
    /// Due `queued` entries that no rule explains, not delivered.
    pub unexplained: usize,
}

impl Store {
    /// `desk run`: fires the time rules that came due (`on_fired` hears
    /// each), then delivers every due delivery of the store — those just
    /// queued too — in ticket order then the order queued; `on` hears each
    /// attempt as it ends. Rules and templates are checked first: a bad one
    /// refuses the run before anything is written or sent. One `desk run` at
    /// a time per clone.
    #[allow(clippy::too_many_arguments)]
    pub fn run_automation(
        &self,
        now: Timestamp,
        catch_up: i64,
        actor: &str,
        dry_run: bool,
        email: Option<&dyn Mailer>,
        on_fired: &mut dyn FnMut(&TimeFiring),
        on: &mut dyn FnMut(&Attempt),
    ) -> Result<RunTotals> {
        let rules = self.rules_in_force()?;
        if let Some(e) = self.mail_problem() {
            return Err(e);
        }
        let timeout = hook_timeout()?;
        let _lock = self.try_lock("run")?.ok_or_else(|| {
            Error::Refused(
                "another `desk run` is running in this store; try again when it ends".into(),
            )
        })?;
        let mut totals = RunTotals::default();
        // One pass over the cache finds both the tickets with deliveries to
        // make and those where a time rule is due.
        // When a rule looks for dormant customers, the same pass tallies
        // every customer's tickets.
        let due = DueRules::new(self, &rules, now, catch_up)?;
        let activity: std::sync::Mutex<std::collections::HashMap<String, Activity>> =
            Default::default();
        let mut scan = self.placed_summaries_where(|s| {
            if due.on_customers() {
                let mut a = activity.lock().unwrap_or_else(|e| e.into_inner());
                a.entry(s.customer.to_string()).or_default().count(s);
            }
            s.delivery_due(now) || !due.of(s).is_empty()
        })?;
        let activity = activity.into_inner().unwrap_or_else(|e| e.into_inner());
        // A file that holds another ticket than its name says is left alone
        // (its deliveries and firings would be recorded in the wrong file),
        // and named, as `desk check` names it.
        let mut misplaced_errors = self.misplaced_errors(&mut scan);
        scan.summaries.sort_by(|a, b| a.id.cmp(&b.id));
        let mut fired = std::collections::BTreeSet::new();
        // A dry run's firings are made on copies, which its deliveries then
        // judge, so that it shows what this run would send too.
        let mut dry: Vec<Ticket> = Vec::new();
        let mut errors =
            self.fire_time_rules(&due, &scan.summaries, actor, dry_run, &mut dry, &mut |f| {
                totals.fired += 1;
                fired.insert(f.ticket.clone());
                on_fired(f)
            });
        let (opened, mut open_errors) =
            self.fire_dormant_rules(&due, &activity, dry_run, &mut dry, &mut |f| {
                totals.fired += 1;
                fired.insert(f.ticket.clone());
                on_fired(f)
            });
        errors.append(&mut open_errors);
        errors.append(&mut misplaced_errors);
        scan.summaries.extend(opened);
        scan.summaries.sort_by(|a, b| a.id.cmp(&b.id));
        // A firing may have queued deliveries: those tickets are read too.
        scan.summaries
            .retain(|s| s.delivery_due(now) || fired.contains(s.id.as_str()));
        // Each ticket is read just before its deliveries (a long run's
        // earlier ones take time); a dry run's copies stand in for theirs,
        // and its call-backs come last.
        let mut dry: std::collections::BTreeMap<String, Ticket> =
            dry.into_iter().map(|t| (t.id.clone(), t)).collect();
        let mut tickets: Vec<std::result::Result<Ticket, TicketId>> = Vec::new();
        for s in &scan.summaries {
            match dry.remove(s.id.as_str()) {
                Some(copy) => tickets.push(Ok(copy)),
                None => tickets.extend(TicketId::parse(&s.id).map(Err)),
            }
        }
        tickets.extend(dry.into_values().map(Ok));
        let hooks = Hooks::new(self, timeout);
        // Notifications of `digest: true` actions are collected into one
        // mail per recipient list and run.
        let mut digests: std::collections::BTreeMap<
            Vec<String>,
            Vec<(Ticket, Delivery, &crate::rules::Notify)>,
        > = Default::default();
        for ticket in tickets {
            let ticket = match ticket {
                Ok(copy) => copy,
                // Gone or broken since the scan: the others are still made.
                Err(id) => match self.load_ticket(&id) {
                    Ok(ticket) => ticket,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                },
            };
            for d in outbox::deliveries(&ticket.history) {
                if !d.due(now) {
                    continue;
                }
                let mut attempt = Attempt {
                    ticket: ticket.id.clone(),
                    rule: d.rule.clone(),
                    key: d.key.clone(),
                    via: d.via().to_string(),
                    to: d.to(),
                    uses: None,
                    outcome: AttemptOutcome::WouldSend,
                };
                // What is delivered comes from the rules as they are now;
                // an entry none explains is reported, never delivered.
                let work = match crate::rules::explain(&rules, &ticket, &d) {
                    Ok(work) => work,
                    Err(why) => {
                        totals.unexplained += 1;
                        attempt.outcome = AttemptOutcome::Unexplained { why };
                        on(&attempt);
                        continue;
                    }
                };
                attempt.uses = Some(work.uses());
                if dry_run {
                    // A mail that could not be made, or a hook this machine
                    // does not allow, would fail: say so.
                    let ready = match work {
                        Work::Mail(notify) => self
                            .compose(&ticket, &d, notify, email, now)
                            .map(|_| ())
                            .map_err(|e| e.message),
                        Work::Hook(hook) => hooks.allowed(hook),
                    };
                    match ready {
                        Ok(()) => totals.would_send += 1,
                        Err(error) => {
                            totals.would_fail += 1;
                            attempt.outcome = AttemptOutcome::WouldFail { error };
                        }
                    }
                    on(&attempt);
                    continue;
                }
                // The customer differs from ticket to ticket: never in a digest.
                if let Work::Mail(notify) = work {
                    if notify.digest && !attempt.to.iter().any(|t| t == CUSTOMER) {
                        digests.entry(attempt.to.clone()).or_default().push((
                            ticket.clone(),
                            d,
                            notify,
                        ));
                        continue;
                    }
                }
                let id = TicketId::parse(&ticket.id).expect("read by its ID");
                let send = || self.deliver(&ticket, &d, work, &hooks, email, now);
                attempt.outcome = self.record(&[(id, &d)], send, now, actor)?.remove(0);
                match attempt.outcome {
                    AttemptOutcome::Delivered => totals.delivered += 1,
                    _ => totals.failed += 1,
                }
                on(&attempt);
            }
        }
        for (to, mut items) in digests {
            // Most delayed first: the longest queued.
            items.sort_by(|a, b| {
                (a.1.queued.at, &a.0.id, &a.1.key).cmp(&(b.1.queued.at, &b.0.id, &b.1.key))
            });
            let keys: Vec<(TicketId, &Delivery)> = items
                .iter()
                .map(|(t, d, _)| (TicketId::parse(&t.id).expect("read by its ID"), d))
                .collect();
            let send = || self.deliver_digest(&to, &items, email, now);
            let outcomes = self.record(&keys, send, now, actor)?;
            for ((ticket, d, notify), outcome) in items.iter().zip(outcomes) {
                match outcome {
                    AttemptOutcome::Delivered => totals.delivered += 1,
                    _ => totals.failed += 1,
                }
                on(&Attempt {
                    ticket: ticket.id.clone(),
                    rule: d.rule.clone(),
                    key: d.key.clone(),
                    via: "email".into(),
                    to: to.clone(),
                    uses: Some(Work::Mail(notify).uses()),
                    outcome,
                });
            }
        }
        errors.append(&mut scan.errors);
        Error::all(errors)?;
        Ok(totals)
    }

    /// One mail to `to` listing each delivery's own message, in the order
    /// given. Its Message-ID derives from all the keys.
    fn deliver_digest(
        &self,
        to: &[String],
        items: &[(Ticket, Delivery, &Notify)],
        email: Option<&dyn Mailer>,
        now: Timestamp,
    ) -> std::result::Result<(), SendError> {
        let temporary = |message: String| SendError {
            message,
            permanent: false,
        };
        let mut body = String::new();
        for (ticket, d, notify) in items {
            let name = notify.template.as_str();
            let text = self
                .template_text(name)
                .map_err(|e| temporary(e.to_string()))?;
            let context = self.message_context(ticket, &d.rule, &d.key, to, now);
            let m = template::render(name, &text, &context)
                .map_err(|e| temporary(format!("template {name}: {e}")))?;
            body.push_str(&format!("== {}\n\n{}\n", m.subject, m.body.trim_end()));
            body.push('\n');
        }
        let (first, _, _) = &items[0];
        let to = self.addresses(first, to).map_err(temporary)?;
        let sender = email
            .ok_or_else(|| temporary("no mail transport: set `mail:` in desk.yaml".to_string()))?;
        let keys: Vec<&str> = items.iter().map(|(_, d, _)| d.key.as_str()).collect();
        sender
            .send(&Mail {
                to,
                subject: format!("[desk] {n} 条待办提醒 / {n} reminders", n = items.len()),
                body,
                message_id: outbox::message_id(&keys.join("\n")),
            })
            .map_err(SendError::from)
    }

    /// Makes one send for `items` (one delivery, or a digest's) and appends
    /// its result to each delivery's ticket, under the ticket's lock. The
    /// `notified` events are written and synced before the send
    /// ([`Store::prepare_ticket`]) and put in place by a rename once it
    /// succeeded: a crash between the send and the record, which makes the
    /// next run send again, is that short.
    fn record(
        &self,
        items: &[(TicketId, &Delivery)],
        send: impl FnOnce() -> std::result::Result<(), SendError>,
        now: Timestamp,
        actor: &str,
    ) -> Result<Vec<AttemptOutcome>> {
        let mut by_ticket: std::collections::BTreeMap<&TicketId, Vec<&Delivery>> =
            Default::default();
        for (id, d) in items {
            by_ticket.entry(id).or_default().push(d);
        }
        let mut outcomes: std::collections::HashMap<&str, AttemptOutcome> = Default::default();
        let mut prepared = Vec::new();
        for (id, ds) in &by_ticket {
            prepared.push(self.prepare_ticket(id, now, actor, |t| {
                for d in ds {
                    let (e, _) = result_event(t, d, &Ok(()), now);
                    t.history.push(e);
                }
                Ok(())
            })?);
        }
        let result = send();
        let mut recorded = std::collections::BTreeSet::new();
        if result.is_ok() {
            for p in prepared {
                let id = p.id.clone();
                if p.put_in_place(self)? {
                    recorded.insert(id);
                }
            }
        }
        // A failure, or a ticket changed during the send: recorded now.
        for (id, ds) in &by_ticket {
            if recorded.contains(*id) {
                continue;
            }
            self.modify_ticket(id, now, actor, |t| {
                for d in ds {
                    let (e, outcome) = result_event(t, d, &result, now);
                    t.history.push(e);
                    outcomes.insert(&d.key, outcome);
                }
                Ok(())
            })?;
        }
        Ok(items
            .iter()
            .map(|(_, d)| {
                outcomes
                    .remove(d.key.as_str())
                    .unwrap_or(AttemptOutcome::Delivered)
            })
            .collect())
    }

    /// Makes one delivery as the rule that explains it says (`work`); the
    /// error says what failed, naming who or what.
    fn deliver(
        &self,
        ticket: &Ticket,
        d: &Delivery,
        work: Work,
        hooks: &Hooks,
        email: Option<&dyn Mailer>,
        now: Timestamp,
    ) -> std::result::Result<(), SendError> {
        let temporary = |message: String| SendError {
            message,
            permanent: false,
        };
        match work {
            Work::Hook(hook) => {
                hooks.allowed(hook).map_err(temporary)?;
                let cause = cause_of(ticket, d);
                let env = [
                    ("DESK_RULE", d.rule.as_str()),
                    ("DESK_KEY", d.key.as_str()),
                    ("DESK_TICKET", ticket.id.as_str()),
                    ("DESK_EVENT", cause.as_str()),
                ];
                run_hook(&self.root, hook, &ticket_json(ticket), &env, hooks.timeout)
                    .map_err(temporary)
            }
            Work::Mail(notify) => {
                let mail = self.compose(ticket, d, notify, email, now)?;
                email
                    .expect("compose checks the transport")
                    .send(&mail)
                    .map_err(SendError::from)
            }
        }
    }

    /// The mail of an e-mail delivery, ready to send: the template of its
    /// rule's `notify` rendered for the ticket as it is now, every
    /// recipient's address found, and a transport to send it by. What a
    /// dry run checks too, so that it says which mails would fail rather
    /// than that they would be sent.
    fn compose(
        &self,
        ticket: &Ticket,
        d: &Delivery,
        notify: &Notify,
        email: Option<&dyn Mailer>,
        now: Timestamp,
    ) -> std::result::Result<Mail, SendError> {
        let temporary = |message: String| SendError {
            message,
            permanent: false,
        };
        let name = notify.template.as_str();
        let text = self
            .template_text(name)
            .map_err(|e| temporary(e.to_string()))?;
        let context = self.message_context(ticket, &d.rule, &d.key, &d.to(), now);
        let Message { subject, body } = template::render(name, &text, &context)
            .map_err(|e| temporary(format!("template {name}: {e}")))?;
        let to = self.addresses(ticket, &d.to()).map_err(temporary)?;
        if email.is_none() {
            return Err(temporary(
                "no mail transport: set `mail:` in desk.yaml".to_string(),
            ));
        }
        Ok(Mail {
            to,
            subject,
            body,
            message_id: outbox::message_id(&d.key),
        })
    }

    /// The e-mail addresses of a delivery's recipients: agents' `email:` in
    /// desk.yaml, the customer's `email`. Anyone without one fails the
    /// delivery, named.
    fn addresses(
        &self,
        ticket: &Ticket,
        to: &[String],
    ) -> std::result::Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for who in to {
            let address = if who == CUSTOMER {
                self.load_customer(&ticket.customer)
                    .ok()
                    .and_then(|c| c.email)
            } else {
                self.config.agent(who).and_then(|a| a.email.clone())
            };
            match address.filter(|a| !a.trim().is_empty()) {
                Some(a) => out.push(a),
                None if who == CUSTOMER => {
                    missing.push(format!("customer {} has no e-mail", ticket.customer))
                }
                None => missing.push(format!("agent {who} has no email: in desk.yaml")),
            }
        }
        if missing.is_empty() && !out.is_empty() {
            Ok(out)
        } else if missing.is_empty() {
            Err("no recipient".into())
        } else {
            Err(format!("no address: {}", missing.join("; ")))
        }
    }

    /// Writes `templates/NAME.txt` for each template that is not there yet
    /// (`desk init`: the default rules' templates).
    pub fn write_templates(&self, templates: &[(&str, &str)]) -> Result<()> {
        let dir = self.root.join(TEMPLATES_DIR);
        super::read::real_dirs(&self.root, Path::new(TEMPLATES_DIR))?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        for (name, text) in templates {
            let path = dir.join(format!("{name}.txt"));
            if !path.exists() {
                super::create_atomic(&path, text.as_bytes())?;
            }
        }
        Ok(())
    }

    /// A template's text, `templates/NAME.txt`: a plain name (no path, no
    /// `..`), read without following a link, neither `templates/` nor the
    /// file, so nothing outside the store is ever read.
    fn template_text(&self, name: &str) -> Result<String> {
        if !crate::rules::valid_name(name) {
            return Err(Error::invalid(
                "template name",
                name,
                "a template is named by a plain name in templates/: letters, digits, '-', '_', '.'",
            ));
        }
        super::read::real_dirs(&self.root, Path::new(TEMPLATES_DIR))?;
        let rel = Path::new(TEMPLATES_DIR).join(format!("{name}.txt"));
        super::read::real_dirs(&self.root, Path::new(TEMPLATES_DIR))?;
        super::read_file(&self.root.join(&rel), &rel)
    }

    /// Every template the rules name that is missing or does not render
    /// (with a sample ticket), each an error naming the rule and the key.
    pub(super) fn template_problems(&self, rules: &Rules) -> Vec<Error> {
        let mut problems = Vec::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            for (i, action) in rule.actions.iter().enumerate() {
                let RuleAction::Notify(n) = action else {
                    continue;
                };
                let rel = format!("{TEMPLATES_DIR}/{}.txt", n.template);
                let problem = match self.template_text(&n.template) {
                    Err(_) if !self.root.join(&rel).exists() => {
                        Some(format!("{rel} does not exist"))
                    }
                    Err(e) => Some(e.to_string()),
                    Ok(text) => {
                        let context = sample_context(&self.config, &rule.name);
                        template::render(&n.template, &text, &context)
                            .err()
                            .map(|e| format!("{rel} does not render: {e}"))
                    }
                };
                if let Some(p) = problem {
                    problems.push(Error::Parse {
                        path: super::CONFIG_FILE.into(),
                        line: self.rule_line_of(&rule.name),
                        message: format!(
                            "rule '{}' (rules[{index}]), key then[{i}].notify.template: {p}",
                            rule.name
                        ),
                    });
                }
            }
        }
        problems
    }

    /// `desk check`'s findings about templates (only when the rules parse:
    /// their own findings come first).
    pub fn template_findings(&self) -> Vec<Finding> {
        let Ok(rules) = self.rules() else {
            return Vec::new();
        };
        self.template_problems(&rules)
            .into_iter()
            .map(Finding::in_config)
            .collect()
    }

    /// What a template sees: the ticket's fields with their labels, the
    /// assignee's name, the customer's masked name (never a contact or an
    /// ID-card or bank-card number), the SLA due times in local time, the
    /// rule and the key; and whom the message is for (`to`, as queued: the
    /// ticket may have moved on since, so a template can tell the
    /// recipient apart from the assignee of now).
    fn message_context(
        &self,
        t: &Ticket,
        rule: &str,
        key: &str,
        to: &[String],
        now: Timestamp,
    ) -> serde_json::Value {
        let customer = self.load_customer(&t.customer).ok();
        let customer_name = customer.as_ref().map_or_else(
            || t.customer.clone(),
            |c| crate::model::mask::customer_name(c.kind, &c.name, c.salutation.as_deref()),
        );
        let names: Vec<String> = to
            .iter()
            .map(|who| match who.as_str() {
                CUSTOMER => customer_name.clone(),
                agent => agent_name(&self.config, agent),
            })
            .collect();
        let sla = match self.sla() {
            Ok((policy, calendar)) => {
                let marks = crate::model::Mark::of_history(&t.history);
                let now = now.0.with_timezone(&chrono::Utc);
                crate::sla::replay(&marks, &t.priority, policy, calendar, now)
                    .clocks
                    .iter()
                    .map(|c| {
                        json!({
                            "target": c.kind.name(),
                            "state": c.state.name(),
                            "due": c.due.map(|d| crate::clock::local_minute(&d, self.settings.tz)),
                        })
                    })
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let mut ctx = ticket_context(&self.config, t, self.settings.tz);
        ctx["rule"] = json!(rule);
        ctx["key"] = json!(key);
        ctx["customer"] = json!({
            "id": t.customer,
            "name": customer_name,
            "vip": customer.as_ref().is_some_and(|c| c.vip),
        });
        ctx["sla"] = json!(sla);
        ctx["recipient"] = json!({"ids": to, "name": names.join("、")});
        ctx
    }
}

/// The event that records a delivery's result on its ticket (`notified` or
/// `delivery_failed`), and the attempt's outcome. Appended in time order
/// even when the clock is behind the file.
fn result_event(
    t: &Ticket,
    d: &Delivery,
    result: &std::result::Result<(), SendError>,
    now: Timestamp,
) -> (Event, AttemptOutcome) {
    let at = t.last_at().map_or(now, |last| now.max(last));
    let by = format!("{}{}", crate::model::RULE_PREFIX, d.rule);
    let (mut e, outcome) = match result {
        Ok(()) => {
            let mut e = Event::new(at, &by, Action::Notified);
            if d.via() == "email" {
                e.to = d.queued.to.clone();
                e.message_id = Some(outbox::message_id(&d.key));
            }
            (e, AttemptOutcome::Delivered)
        }
        Err(err) => {
            let attempt = d.attempts + 1;
            let next = outbox::next_attempt(attempt, at, err.permanent);
            // The history goes everywhere: no address, no phone.
            let error = crate::model::mask::personal_in(&err.message);
            let mut e = Event::new(at, &by, Action::DeliveryFailed);
            e.attempt = Some(attempt);
            e.error = Some(error.clone());
            e.next_attempt = next;
            (
                e,
                AttemptOutcome::Failed {
                    error,
                    attempt,
                    next,
                },
            )
        }
    };
    e.key = Some(d.key.clone());
    e.via = Some(d.via().to_string());
    (e, outcome)
}

/// An agent's name from desk.yaml, else the ID as recorded.
fn agent_name(config: &crate::config::Config, id: &str) -> String {
    config
        .agent(id)
        .map_or_else(|| id.to_string(), |a| a.name.clone())
}

/// The fields of a ticket as templates see them.
fn ticket_context(
    config: &crate::config::Config,
    t: &Ticket,
    tz: chrono_tz::Tz,
) -> serde_json::Value {
    let label =
        |field: Field, key: &str| config.label(field, key).unwrap_or_else(|| key.to_string());
    let assignee_name = t.assignee.as_deref().map(|a| agent_name(config, a));
    json!({
        "ticket": {
            "id": t.id,
            "title": t.title,
            "type": t.kind,
            "type_label": label(Field::Type, &t.kind),
            "priority": t.priority,
            "priority_label": label(Field::Priority, &t.priority),
            "status": t.status.key(),
            "status_label": label(Field::Status, t.status.key()),
            "channel": t.channel,
            "channel_label": label(Field::Channel, &t.channel),
            "category": t.category,
            "tags": t.tags,
            "created": crate::clock::local_minute(&t.created.0, tz),
            "assignee": t.assignee,
            "assignee_name": assignee_name,
            "description": t.description,
            "resolution": t.resolution,
        },
    })
}

/// A context with every variable a real one has, to check templates before
/// anything is sent.
fn sample_context(config: &crate::config::Config, rule: &str) -> serde_json::Value {
    let at = Timestamp::parse("2026-01-05T09:00:00+08:00").expect("a valid time");
    let first = |field: Field| {
        config
            .choices(field)
            .first()
            .map_or_else(String::new, |c| c.key.clone())
    };
    let t = Ticket::create(
        "CW202601050001".into(),
        crate::model::NewTicket {
            title: "示例 sample".into(),
            customer: "C000001".into(),
            kind: first(Field::Type),
            category: Some("sample".into()),
            tags: vec!["sample".into()],
            channel: first(Field::Channel),
            priority: first(Field::Priority),
            description: "示例 sample".into(),
            expectation: None,
            assignee: config.agents.first().map(|a| a.id.clone()),
        },
        at,
        "desk",
    );
    let mut ctx = ticket_context(config, &t, chrono_tz::Asia::Shanghai);
    ctx["rule"] = json!(rule);
    ctx["key"] = json!(format!("{rule}/CW202601050001/000000000000"));
    ctx["customer"] = json!({"id": "C000001", "name": "张*", "vip": false});
    ctx["sla"] = json!([{"target": "resolution", "state": "running", "due": "2026-01-06 09:00"}]);
    let first: Vec<&crate::config::Agent> = config.agents.iter().take(1).collect();
    ctx["recipient"] = json!({
        "ids": first.iter().map(|a| &a.id).collect::<Vec<_>>(),
        "name": first.iter().map(|a| a.name.as_str()).collect::<String>(),
    });
    ctx
}

/// The ticket as `desk show --format json` prints it.
pub fn ticket_json(t: &Ticket) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(t).expect("a ticket serialises");
    out.push(b'\n');
    out
}

/// The action of the event that caused a delivery (`assigned`, …): the
/// event rule's triggering event, found by the key's hash; for a time rule,
/// `time`.
fn cause_of(ticket: &Ticket, d: &Delivery) -> String {
    ticket
        .history
        .iter()
        .filter(|e| e.rule().is_none() && e.at <= d.queued.at)
        .find(|e| {
            let key = crate::rules::cause_key(&d.rule, &ticket.id, e, 1);
            d.key == key || d.key.starts_with(&format!("{key}/"))
        })
        .map_or_else(|| "time".to_string(), |e| e.action.as_str().to_string())
}

/// How this machine runs hooks: the command lines it allows (`desk.hooks`
/// of git config, which git never carries from one clone to another; see
/// docs/automation.md, "Trust model") and how long each may take.
pub(super) struct Hooks<'s> {
    store: &'s Store,
    timeout: Duration,
    allowed: std::cell::OnceCell<Vec<String>>,
}

impl<'s> Hooks<'s> {
    fn new(store: &'s Store, timeout: Duration) -> Hooks<'s> {
        Hooks {
            store,
            timeout,
            allowed: Default::default(),
        }
    }

    /// Whether this machine allows the hook's command line; if not, the
    /// exact command that allows it. git config is read once, when a hook
    /// is first asked about.
    fn allowed(&self, hook: &RunHook) -> std::result::Result<(), String> {
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
        super::git::how_to_allow(line)
    )
}

/// Runs a hook: its command relative to the store's root when it has a `/`
/// (`hooks/wecom.sh`), else found in PATH's absolute folders (`curl`; never
/// a file of the store, whatever PATH holds; `crate::command`), in the
/// root, with `stdin` as its input and an environment of
/// [`HOOK_INHERITS`] and `env` alone. It runs in a process group of its
/// own; at `timeout` the whole group is killed and desk stops reading its
/// output, so nothing it started (a background job, a hanging `curl`) holds
/// `desk run` past the timeout. Done within the timeout with exit status 0,
/// or it failed.
fn run_hook(
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
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let deadline = Instant::now() + timeout;
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {command}: {e}"))?;
    let mut input = child.stdin.take().expect("piped");
    let data = stdin.to_vec();
    // Neither thread is waited for past the deadline: a process the hook
    // started may hold a pipe open for as long as it lives. A hook that
    // reads nothing closes the pipe: not an error.
    std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut err = child.stderr.take().expect("piped");
    let (tell, told) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end, keeping the last 64 KiB: a hook that writes
        // much never blocks on a full pipe.
        const KEEP: usize = 64 * 1024;
        let mut tail = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = err.read(&mut buf) {
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 2 * KEEP {
                tail.drain(..tail.len() - KEEP);
            }
        }
        let _ = tell.send(tail);
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                stop_group(&mut child);
                return Err(format!("{command}: {e}"));
            }
        }
    };
    // Done: what it started may still write to its stderr, until the
    // deadline at most.
    let stderr = match status {
        Some(_) => told
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok(),
        None => None,
    };
    let stderr = match stderr {
        Some(text) => text,
        None => {
            stop_group(&mut child);
            told.recv_timeout(Duration::from_millis(100))
                .unwrap_or_default()
        }
    };
    let last = String::from_utf8_lossy(&stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", crate::text::visible(l.trim())))
        .unwrap_or_default();
    match status {
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

/// Kills a hook's process group (the hook and everything it started that
/// stayed in its group), and the hook itself, and reaps it.
fn stop_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative ID signals the process group the
        // hook leads (made by `process_group(0)`); it touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `desk outbox`: the deliveries not made, by ticket ID, and the ticket
/// files that could not be read (or hold another ticket than their name).
pub struct Outbox {
    pub rows: Vec<OutboxRow>,
    pub errors: Vec<Error>,
}

/// One delivery not made, and what it would use by the rules of now.
pub struct OutboxRow {
    pub ticket: String,
    pub delivery: Delivery,
    /// `templates/NAME.txt` or the hook's command line, from the rule that
    /// explains the entry; `Err`: why no rule does. `None` when the rules
    /// do not parse (see [`Outbox::errors`]).
    pub uses: Option<std::result::Result<String, String>>,
}

impl Store {
    /// Every delivery not yet made (pending, retrying) or given up, by
    /// ticket then in the order queued, each with what its rule uses now.
    /// Rules that do not parse hide no row: what they would use is then
    /// not known.
    pub fn outbox(&self) -> Result<Outbox> {
        let mut scan =
            self.placed_summaries_where(|s| s.open_deliveries > 0 || may_have_failed(s))?;
        let mut errors = self.misplaced_errors(&mut scan);
        let rules = self.rules();
        let mut rows = Vec::new();
        if let Err(e) = &rules {
            errors.push(Error::Refused(format!(
                "the rules do not parse, so what each delivery would use is not shown: {e}"
            )));
        }
        let mut ids: Vec<&str> = scan.summaries.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        for id in ids {
            let Some(tid) = TicketId::parse(id) else {
                continue;
            };
            let ticket = match self.load_ticket(&tid) {
                Ok(ticket) => ticket,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for d in outbox::deliveries(&ticket.history) {
                if d.state != DeliveryState::Delivered {
                    let uses = rules.as_ref().ok().map(|rules| {
                        crate::rules::explain(rules, &ticket, &d)
                            .map(|w| w.uses())
                            .map_err(|why| format!("not delivered: {why}"))
                    });
                    rows.push(OutboxRow {
                        ticket: ticket.id.clone(),
                        delivery: d,
                        uses,
                    });
                }
            }
        }
        errors.append(&mut scan.errors);
        Ok(Outbox { rows, errors })
    }

    /// The tickets of a scan whose file holds another ID than its name (or
    /// no ticket ID at all), each an error naming the file: their
    /// deliveries would be made from, and recorded in, the wrong file.
    fn misplaced_errors(&self, scan: &mut super::SummaryScan) -> Vec<Error> {
        std::mem::take(&mut scan.misplaced)
            .into_iter()
            .map(|(shown, s)| Error::Parse {
                path: shown,
                line: None,
                message: match TicketId::parse(&s.id) {
                    Some(id) => format!(
                        "holds ticket '{}', which belongs at {}: its deliveries and time \
                         rules wait until the file is named after its ID (desk check)",
                        s.id,
                        id.relative_path().display()
                    ),
                    None => format!(
                        "'{}' is not a ticket ID: the file's deliveries and time rules wait \
                         until it holds its own ID (desk check)",
                        s.id
                    ),
                },
            })
            .collect()
    }
}

impl Store {
    /// `desk check`'s findings about a ticket's deliveries: each one still
    /// to be made (pending or retrying) that no rule of desk.yaml explains,
    /// which `desk run` will not deliver. `shown` is the ticket's file.
    pub(super) fn delivery_findings(
        &self,
        ticket: &Ticket,
        rules: &Rules,
        shown: &Path,
    ) -> Vec<Finding> {
        outbox::deliveries(&ticket.history)
            .into_iter()
            .filter(|d| d.state.is_open())
            .filter_map(|d| {
                let why = crate::rules::explain(rules, ticket, &d).err()?;
                Some(Finding::new(
                    shown,
                    None,
                    format!(
                        "queued entry {} (by {}, via {}) is explained by no rule of \
                         desk.yaml: {why}; `desk run` does not deliver it. If desk did not \
                         write it (it came in a commit), remove it; if its rule was renamed or \
                         removed while it waited, restore the rule (`enabled: false` is \
                         enough) until `desk outbox` no longer lists it",
                        d.key,
                        d.queued.by,
                        d.via()
                    ),
                ))
            })
            .collect()
    }

    /// `desk check`'s warnings about hooks: each `run` action of an enabled
    /// rule whose command line this machine does not allow, with the
    /// command that allows it. Warnings: only the clone that runs `desk
    /// run` needs to allow them.
    pub fn hook_findings(&self) -> Vec<Finding> {
        let Ok(rules) = self.rules() else {
            return Vec::new();
        };
        let hooks = Hooks::new(self, Duration::from_secs(DEFAULT_HOOK_TIMEOUT));
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
                    self.rule_line_of(&rule.name),
                    &format!("rule '{}' (rules[{index}]), key then[{i}].run", rule.name),
                    &format!("the hook `{}`", hook.command_line()),
                    "fails its deliveries",
                    &hook.command_line(),
                ));
            }
        }
        if let Some(line) = self.sendmail_line().filter(|l| !hooks.allowed_line(l)) {
            found.push(not_allowed_finding(
                self.config_line("mail"),
                "mail.sendmail",
                &format!("the command `{line}`"),
                "sends no e-mail",
                &line,
            ));
        }
        if let Some(line) = self.smtp_login_line().filter(|l| !hooks.allowed_line(l)) {
            found.push(not_allowed_finding(
                self.config_line("mail"),
                "mail.smtp",
                &format!("the login `{line}`"),
                "reads no password and sends no e-mail",
                &line,
            ));
        }
        found
    }
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
        Path::new(super::CONFIG_FILE),
        line,
        format!(
            "{key}: this machine does not allow {what}, so a `desk run` here {so}; if this \
             clone runs `desk run`, allow it with: {}",
            super::git::allow_command(allowed_as)
        ),
    );
    finding.kind = super::FindingKind::Warning;
    finding
}

/// Whether a ticket's summary may hide a given-up delivery.
fn may_have_failed(s: &crate::model::Summary) -> bool {
    s.failed_deliveries > 0
}

/// `mail:` that cannot send (a password that cannot be read, a transport
/// this build lacks): every e-mail fails with the reason and is retried,
/// while hooks are still delivered.
struct Unavailable(MailError);

impl Mailer for Unavailable {
    fn send(&self, _: &Mail) -> std::result::Result<(), MailError> {
        Err(self.0.clone())
    }
}

impl Store {
    /// What is wrong with `mail:` of desk.yaml, if anything, naming its
    /// line. Only `desk run` (which refuses to start) and `desk check` ask,
    /// so a slip in the mail settings hides no ticket from other commands.
    pub fn mail_problem(&self) -> Option<Error> {
        let mail = self.config.mail.as_ref()?;
        let message = mail.settings_in(&self.root).err()?;
        Some(Error::Parse {
            path: super::CONFIG_FILE.into(),
            line: self.config_line("mail"),
            message,
        })
    }

    /// What e-mail goes through: `None` when desk.yaml has no `mail:`. A
    /// `sendmail:` command that this machine does not allow (as a hook)
    /// sends nothing: every e-mail fails, saying how to allow it.
    pub fn email_sender(&self) -> Option<Box<dyn Mailer>> {
        let config = self.config.mail.as_ref()?;
        if let Some(line) = self.sendmail_line() {
            if !self.allowed_hooks().contains(&line) {
                return Some(Box::new(Unavailable(MailError::Config(format!(
                    "mail.sendmail: the command `{line}` is not allowed on this machine; {} \
                     (docs/automation.md, Trust model)",
                    super::git::how_to_allow(&line)
                )))));
            }
        }
        // Checked before the password is read: no password leaves this
        // machine for a server, or from a source, it has not allowed.
        if let Some(line) = self.smtp_login_line() {
            if !self.allowed_hooks().contains(&line) {
                return Some(Box::new(Unavailable(MailError::Config(format!(
                    "mail.smtp: the login `{line}` is not allowed on this machine, so no \
                     password is read or sent; {} (docs/automation.md, Trust model)",
                    super::git::how_to_allow(&line)
                )))));
            }
        }
        Some(match crate::mail::mailer(config) {
            Ok(mailer) => mailer,
            Err(e) => Box::new(Unavailable(e)),
        })
    }

    /// The SMTP login of `mail:` (a `user` with `password_env` or
    /// `password_file`) as a line this machine must allow before the
    /// password is read: desk.yaml travels through git, and a commit that
    /// changed the server, or where the password is read from, would have
    /// this machine send its password (or any one-line file or variable the
    /// cron account can read) to a server of the commit's choosing.
    /// `smtp HOST:PORT user:USER password_env:NAME` (or `password_file:PATH`),
    /// each word quoted as in a command line when it needs to be.
    fn smtp_login_line(&self) -> Option<String> {
        let settings = self.config.mail.as_ref()?.settings().ok()?;
        let crate::mail::Transport::Smtp(smtp) = settings.transport else {
            return None;
        };
        let source = match smtp.password.as_ref()? {
            crate::mail::PasswordSource::Env(name) => format!("password_env:{name}"),
            crate::mail::PasswordSource::File(path) => {
                format!("password_file:{}", path.display())
            }
        };
        let server = format!("{}:{}", smtp.host, smtp.port);
        let user = format!("user:{}", smtp.user.as_deref().unwrap_or_default());
        Some(crate::text::shell_line([
            "smtp",
            server.as_str(),
            user.as_str(),
            source.as_str(),
        ]))
    }

    /// The command line of `mail:`'s `sendmail:`, when it is a command this
    /// machine must allow: desk.yaml travels through git, so any command
    /// but the system's own sendmail (the default, without arguments) is
    /// run only where `desk.hooks` allows it, as the rules' hooks are.
    fn sendmail_line(&self) -> Option<String> {
        let settings = self.config.mail.as_ref()?.settings().ok()?;
        match settings.transport {
            crate::mail::Transport::Sendmail { command, args }
                if !(command == crate::mail::DEFAULT_SENDMAIL && args.is_empty()) =>
            {
                Some(crate::text::shell_line(
                    std::iter::once(command.as_str()).chain(args.iter().map(String::as_str)),
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    const DAY: i64 = 86_400;
    use crate::model::{Customer, CustomerKind, NewTicket};

    /// A transport that keeps what it is given, or refuses as told.
    struct Recorder {
        sent: RefCell<Vec<Mail>>,
        refuse: Option<MailError>,
    }

    impl Recorder {
        /// A transport that takes every mail.
        fn accepting() -> Recorder {
            Recorder {
                sent: RefCell::new(Vec::new()),
                refuse: None,
            }
        }

        /// The one mail sent so far.
        fn only_mail(&self) -> Mail {
            let sent = self.sent.borrow();
            assert_eq!(sent.len(), 1, "{sent:?}");
            sent[0].clone()
        }
    }

    impl Mailer for Recorder {
        fn send(&self, mail: &Mail) -> std::result::Result<(), MailError> {
            match &self.refuse {
                Some(e) => Err(e.clone()),
                None => {
                    self.sent.borrow_mut().push(mail.clone());
                    Ok(())
                }
            }
        }
    }

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    /// `desk run` at `now` through `mailer`, telling `on` of each attempt.
    fn run(
        store: &Store,
        mailer: &Recorder,
        now: Timestamp,
        on: &mut dyn FnMut(&Attempt),
    ) -> RunTotals {
        store
            .run_automation(now, DAY, "cron", false, Some(mailer), &mut |_| {}, on)
            .unwrap()
    }

    /// A store with the default rules and templates, an individual customer
    /// with a phone and an ID card's worth of digits nowhere near a mail,
    /// and a complaint routed to the supervisor.
    fn store_with_complaint() -> (tempfile::TempDir, Store, TicketId) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        let at = t("2026-11-23T09:00:00+08:00");
        let mut c = Customer::new(CustomerKind::Individual, "张三丰".into(), at, "li.na");
        c.phone = Some("13900000001".into());
        c.email = Some("zhang@example.com".into());
        store.create_customers(vec![c]).unwrap();
        let (ticket, outcomes) = store
            .create_ticket_by_rules(at, |id| {
                Ticket::create(
                    id,
                    NewTicket {
                        title: "打印机卡纸".into(),
                        description: "客户电话 13900000001".into(),
                        ..NewTicket::sample()
                    },
                    at,
                    "li.na",
                )
            })
            .unwrap();
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        let id = TicketId::parse(&ticket.id).unwrap();
        (dir, store, id)
    }

    #[test]
    fn a_queued_mail_is_rendered_in_chinese_with_the_masked_name_and_sent_once() {
        let (_dir, store, id) = store_with_complaint();
        let mailer = Recorder::accepting();
        let now = t("2026-11-23T09:01:00+08:00");
        let mut seen = Vec::new();
        let totals = run(&store, &mailer, now, &mut |a| seen.push(a.clone()));
        assert_eq!(totals.delivered, 1);
        let mail = &mailer.only_mail();
        assert_eq!(mail.to, ["chen.jing@example.com"]);
        assert_eq!(
            mail.subject,
            format!("[{id}] 新工单已分派给您 / New ticket assigned to you: 打印机卡纸")
        );
        assert!(mail.body.starts_with("陈静，您好："), "{}", mail.body);
        assert!(
            mail.body.contains("请及时处理。\n  标题：打印机卡纸\n"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("is yours.\n\n-- desk"), "{}", mail.body);
        assert!(mail.body.contains("客户：张**"), "{}", mail.body);
        assert!(mail.body.contains("类型：投诉"), "{}", mail.body);
        assert!(mail.body.contains("优先级：紧急"), "{}", mail.body);
        assert!(
            mail.body.contains("resolution 到期 / due："),
            "{}",
            mail.body
        );
        for private in ["张三丰", "13900000001", "zhang@example.com"] {
            assert!(!mail.body.contains(private), "{private} in {}", mail.body);
        }
        assert_eq!(mail.message_id, outbox::message_id(&seen[0].key));
        // Recorded: a second run sends nothing.
        let ticket = store.load_ticket(&id).unwrap();
        let last = ticket.history.last().unwrap();
        assert_eq!(last.action, Action::Notified);
        assert_eq!(last.message_id.as_deref(), Some(mail.message_id.as_str()));
        let totals = run(&store, &mailer, now, &mut |_| {});
        assert_eq!(totals, RunTotals::default());
        assert_eq!(mailer.sent.borrow().len(), 1);
    }

    #[test]
    fn a_mail_greets_its_recipient_and_says_when_the_ticket_moved_on() {
        let (_dir, store, id) = store_with_complaint();
        // Queued for chen.jing; reassigned by hand before cron runs.
        let at = t("2026-11-23T09:02:00+08:00");
        store
            .modify_ticket(&id, at, "li.na", |tk| {
                tk.assign("wang.qiang", None, at, "li.na")
            })
            .unwrap();
        let mailer = Recorder::accepting();
        run(&store, &mailer, t("2026-11-23T09:05:00+08:00"), &mut |_| {});
        let mail = &mailer.only_mail();
        assert_eq!(mail.to, ["chen.jing@example.com"]);
        assert_eq!(
            mail.subject,
            format!("[{id}] 工单已转交他人 / Ticket now with someone else: 打印机卡纸")
        );
        assert!(mail.body.starts_with("陈静，您好："), "{}", mail.body);
        assert!(
            mail.body
                .contains("曾分派给您，现由 王强 处理，您无需跟进。\n  标题：打印机卡纸"),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .contains("nothing for you to do.\n\n-- desk (rule"),
            "{}",
            mail.body
        );
        assert!(!mail.body.contains("is yours"), "{}", mail.body);
    }

    #[test]
    fn a_permanent_refusal_is_given_up_at_once() {
        let (_dir, store, id) = store_with_complaint();
        let mailer = Recorder {
            sent: RefCell::new(Vec::new()),
            refuse: Some(MailError::Smtp {
                server: "mx:25".into(),
                step: "RCPT TO:<x@example.com>".into(),
                detail: "550 no such user".into(),
                permanent: true,
            }),
        };
        let now = t("2026-11-23T09:01:00+08:00");
        let mut seen = Vec::new();
        let totals = run(&store, &mailer, now, &mut |a| seen.push(a.clone()));
        assert_eq!(totals.failed, 1);
        assert_eq!(
            seen[0].outcome,
            AttemptOutcome::Failed {
                error: "smtp mx:25: RCPT TO:<x***@example.com>: 550 no such user".into(),
                attempt: 1,
                next: None
            }
        );
        let rows = store.outbox().unwrap().rows;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].ticket, id.to_string());
        assert_eq!(rows[0].delivery.state, DeliveryState::Failed);
        // The `notified` staged for it is gone.
        assert_eq!(staged_files(&store), 0);
        // Given up: never tried again (a month later the time rules have
        // their own deliveries to make).
        let later = t("2026-12-23T09:01:00+08:00");
        let mut tried = Vec::new();
        run(&store, &mailer, later, &mut |a| tried.push(a.key.clone()));
        assert!(!tried.contains(&seen[0].key), "{tried:?}");
    }

    #[test]
    fn a_digest_rule_sends_one_mail_per_recipient_most_delayed_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::seed_defaults();
        config.rules = Some(
            crate::yaml::from_str(
                "- {name: remind, when: created, then: [{notify: {to: {agent: li.na}, template: progress, digest: true}}]}\n\
                 - {name: tell, when: created, then: [{notify: {to: {agent: li.na}, template: assigned}}]}\n",
            )
            .unwrap(),
        );
        let store = Store::init(dir.path(), &config).unwrap();
        let make = |at: &str, title: &str| {
            let at = t(at);
            store
                .create_ticket_by_rules(at, |id| {
                    Ticket::create(
                        id,
                        NewTicket {
                            title: title.into(),
                            customer: "C000001".into(),
                            kind: "consultation".into(),
                            category: None,
                            tags: vec![],
                            channel: "phone".into(),
                            priority: "normal".into(),
                            description: String::new(),
                            expectation: None,
                            assignee: None,
                        },
                        at,
                        "li.na",
                    )
                })
                .unwrap()
                .0
        };
        // Created in the opposite order of their IDs' days: the older first.
        let newer = make("2026-11-23T09:00:00+08:00", "新的");
        let older = make("2026-11-20T09:00:00+08:00", "旧的");
        // One entry names its own template, outside templates/ (as a
        // crafted commit could): the digest renders the rule's.
        std::fs::write(dir.path().join("secret.txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
        crafted_template(&store, &newer.id, "remind", "../secret");
        let mailer = Recorder::accepting();
        let now = t("2026-11-23T10:00:00+08:00");
        let totals = run(&store, &mailer, now, &mut |_| {});
        assert_eq!(totals.delivered, 4);
        let sent = mailer.sent.borrow().clone();
        // The digest (two reminders in one mail), and `tell`'s two mails.
        assert_eq!(sent.len(), 3);
        let digest = sent
            .iter()
            .find(|m| m.subject == "[desk] 2 条待办提醒 / 2 reminders")
            .unwrap();
        assert_eq!(digest.to, ["li.na@example.com"]);
        let first = digest.body.find(&older.id).unwrap();
        let second = digest.body.find(&newer.id).unwrap();
        assert!(first < second, "{}", digest.body);
        assert!(
            digest
                .body
                .starts_with(&format!("== [{}] 请更新处理进度", older.id)),
            "{}",
            digest.body
        );
        assert!(
            digest
                .body
                .contains(&format!("== [{}] 请更新处理进度", newer.id)),
            "{}",
            digest.body
        );
        assert!(!digest.body.contains("SECRET"), "{}", digest.body);
        let again = run(&store, &mailer, now, &mut |_| {});
        assert_eq!(again, RunTotals::default());
    }

    /// Gives the `queued` events of `rule` in a ticket their own
    /// `template:`, as an older desk wrote it or a crafted commit could.
    fn crafted_template(store: &Store, id: &str, rule: &str, template: &str) {
        let id = TicketId::parse(id).unwrap();
        let at = t("2026-11-23T09:30:00+08:00");
        store
            .modify_ticket(&id, at, "li.na", |tk| {
                for e in &mut tk.history {
                    if e.action == Action::Queued && e.rule() == Some(rule) {
                        e.template = Some(template.into());
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn a_mail_renders_its_rule_s_template_whatever_its_entry_names() {
        for stored in [
            "escalation",
            "../secret",
            "ABSOLUTE",
            "../../../../../../etc/hostname",
        ] {
            let (dir, store, id) = store_with_complaint();
            std::fs::write(dir.path().join("secret.txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("x.txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
            let absolute = outside.path().join("x").display().to_string();
            let stored = stored.replace("ABSOLUTE", &absolute);
            crafted_template(&store, &id.to_string(), "complaints-to-supervisor", &stored);
            let mailer = Recorder::accepting();
            let totals = run(&store, &mailer, t("2026-11-23T09:31:00+08:00"), &mut |_| {});
            assert_eq!(totals.delivered, 1, "{stored}");
            let mail = mailer.only_mail();
            assert_eq!(
                mail.subject,
                format!("[{id}] 新工单已分派给您 / New ticket assigned to you: 打印机卡纸"),
                "{stored}"
            );
            assert!(!mail.body.contains("SECRET"), "{stored}: {}", mail.body);
            // The stored field is kept as written (an older desk's file
            // stays byte for byte where desk did not append).
            let text = std::fs::read_to_string(dir.path().join(id.relative_path())).unwrap();
            assert!(text.contains(&format!("  template: {stored}\n")), "{text}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_template_is_a_plain_name_read_in_templates_without_following_a_link() {
        let (dir, store, _) = store_with_complaint();
        std::fs::write(dir.path().join("secret.txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
        let absolute = outside.path().join("x").display().to_string();
        for name in ["../secret", absolute.as_str(), "", "a\0b", "a/b"] {
            let e = store.template_text(name).unwrap_err().to_string();
            assert!(e.starts_with("invalid template name"), "{name:?}: {e}");
        }
        assert!(store.template_text("assigned").is_ok());
        // A link as the template, or as templates/, is not followed.
        let templates = dir.path().join(TEMPLATES_DIR);
        std::os::unix::fs::symlink(outside.path().join("x.txt"), templates.join("linked.txt"))
            .unwrap();
        let e = store.template_text("linked").unwrap_err().to_string();
        assert!(e.contains("a symbolic link"), "{e}");
        std::fs::rename(&templates, dir.path().join("real-templates")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real-templates"), &templates).unwrap();
        let e = store.template_text("assigned").unwrap_err().to_string();
        assert!(e.contains("templates: a symbolic link"), "{e}");
    }

    /// A transport that, at the moment it sends, reads what `desk run` has
    /// staged, and may change the ticket as a person would meanwhile.
    struct Watcher<'a> {
        store: &'a Store,
        staged: RefCell<Vec<String>>,
        meanwhile: Option<TicketId>,
    }

    impl Mailer for Watcher<'_> {
        fn send(&self, _: &Mail) -> std::result::Result<(), MailError> {
            let dir = self.store.state_dir().join("sending");
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                self.staged.borrow_mut().push(text);
            }
            if let Some(id) = &self.meanwhile {
                let at = t("2026-11-23T09:00:30+08:00");
                self.store
                    .modify_ticket(id, at, "li.na", |tk| {
                        tk.update("已联系客户".into(), None, at, "li.na")
                    })
                    .unwrap();
            }
            Ok(())
        }
    }

    fn staged_files(store: &Store) -> usize {
        std::fs::read_dir(store.state_dir().join("sending")).map_or(0, |d| d.count())
    }

    #[test]
    fn the_record_of_a_mail_is_written_and_synced_before_the_mail_is_sent() {
        let (_dir, store, id) = store_with_complaint();
        let watcher = Watcher {
            store: &store,
            staged: RefCell::new(Vec::new()),
            meanwhile: None,
        };
        let now = t("2026-11-23T09:01:00+08:00");
        let mut seen = Vec::new();
        store
            .run_automation(
                now,
                DAY,
                "cron",
                false,
                Some(&watcher),
                &mut |_| {},
                &mut |a| seen.push(a.clone()),
            )
            .unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        // While the mail went out, its `notified` waited beside the ticket.
        let staged = watcher.staged.borrow();
        assert_eq!(staged.len(), 1, "{staged:?}");
        assert!(staged[0].contains("action: notified"), "{}", staged[0]);
        assert!(
            staged[0].contains(&outbox::message_id(&seen[0].key)),
            "{}",
            staged[0]
        );
        // Then it took the ticket's place.
        assert_eq!(
            std::fs::read_to_string(store.ticket_path(&id)).unwrap(),
            staged[0]
        );
        assert_eq!(staged_files(&store), 0);
    }

    #[test]
    fn a_ticket_changed_while_its_mail_is_sent_keeps_both_changes() {
        let (_dir, store, id) = store_with_complaint();
        let watcher = Watcher {
            store: &store,
            staged: RefCell::new(Vec::new()),
            meanwhile: Some(id.clone()),
        };
        let now = t("2026-11-23T09:01:00+08:00");
        let totals = store
            .run_automation(
                now,
                DAY,
                "cron",
                false,
                Some(&watcher),
                &mut |_| {},
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(totals.delivered, 1);
        let ticket = store.load_ticket(&id).unwrap();
        let actions: Vec<&str> = ticket.history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "notified").count(), 1);
        assert!(
            ticket
                .history
                .iter()
                .any(|e| e.note.as_deref() == Some("已联系客户")),
            "{actions:?}"
        );
        assert_eq!(staged_files(&store), 0);
        // Nothing left to send.
        let again = run(&store, &Recorder::accepting(), now, &mut |_| {});
        assert_eq!(again, RunTotals::default());
    }
}
