//! `desk run`: fires the time rules that came due (`time_rules.rs`), then
//! delivers what rules queued (`queued` events) through `run`
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

use super::hooks::{hook_timeout, Hooks};

use super::time_rules::DueRules;
use super::TimeFiring;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::model::outbox::{self, Delivery};
use crate::model::{Activity, Ticket, TicketId};
use crate::rules::{Work, CUSTOMER};
use crate::store::Store;

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
    /// A notice no longer true of the ticket as it is now (why: a ticket
    /// closed since): recorded as dropped, never sent
    /// ([`super::deliver::dropped_why`]); on a dry run, what would be.
    Dropped {
        why: String,
    },
}

impl Attempt {
    /// An attempt at `d` of `ticket`, before its outcome is known.
    fn of(ticket: &Ticket, d: &Delivery) -> Attempt {
        Attempt {
            ticket: ticket.id.clone(),
            rule: d.rule.clone(),
            key: d.key.clone(),
            via: d.via().to_string(),
            to: d.to(),
            uses: None,
            outcome: AttemptOutcome::WouldSend,
        }
    }
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
    /// Notices dropped as no longer true of their ticket (on a dry run,
    /// that would be).
    pub dropped: usize,
}

/// `desk run`: fires the time rules that came due (`on_fired` hears
/// each), then delivers every due delivery of the store — those just
/// queued too — in ticket order then the order queued; `on` hears each
/// attempt as it ends. Rules and templates are checked first: a bad one
/// refuses the run before anything is written or sent. One `desk run` at
/// a time per clone.
#[allow(clippy::too_many_arguments)]
pub fn run_automation(
    store: &Store,
    now: Timestamp,
    catch_up: i64,
    actor: &str,
    dry_run: bool,
    email: Option<&dyn Mailer>,
    on_fired: &mut dyn FnMut(&TimeFiring),
    on: &mut dyn FnMut(&Attempt),
) -> Result<RunTotals> {
    let rules = super::rules::rules_in_force(store)?;
    if let Some(e) = super::mailer::mail_problem(store) {
        return Err(e);
    }
    let timeout = hook_timeout()?;
    let _lock = store.try_lock(DELIVERY_LOCK)?.ok_or_else(|| {
        Error::Refused("another `desk run` is running in this store; try again when it ends".into())
    })?;
    let mut totals = RunTotals::default();
    // One pass over the cache finds both the tickets with deliveries to
    // make and those where a time rule is due.
    // When a rule looks for dormant customers, the same pass tallies
    // every customer's tickets.
    let due = DueRules::new(store, &rules, now, catch_up)?;
    let activity: std::sync::Mutex<std::collections::HashMap<String, Activity>> =
        Default::default();
    let mut scan = store.placed_summaries_where(|s| {
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
    let mut misplaced_errors = super::outbox::misplaced_errors(store, &mut scan);
    scan.summaries.sort_by(|a, b| a.id.cmp(&b.id));
    let mut fired = std::collections::BTreeSet::new();
    // A dry run's firings are made on copies, which its deliveries then
    // judge, so that it shows what this run would send too.
    let mut dry: Vec<Ticket> = Vec::new();
    let mut errors = super::time_rules::fire_time_rules(
        store,
        &due,
        &scan.summaries,
        actor,
        dry_run,
        &mut dry,
        &mut |f| {
            totals.fired += 1;
            fired.insert(f.ticket.clone());
            on_fired(f)
        },
    );
    let (opened, mut open_errors) = super::time_rules::fire_dormant_rules(
        store,
        &due,
        &activity,
        dry_run,
        &mut dry,
        &mut |f| {
            totals.fired += 1;
            fired.insert(f.ticket.clone());
            on_fired(f)
        },
    );
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
    let hooks = Hooks::new(store, timeout);
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
            Err(id) => match store.load_ticket(&id) {
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
            let mut attempt = Attempt::of(&ticket, &d);
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
            // A notice judged against the ticket as it is now: one no
            // longer true of it (closed since) is dropped, not sent.
            let why = match super::deliver::dropped_why(store, &rules, &ticket, &d, now) {
                Ok(why) => why,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if let Some(why) = why {
                totals.dropped += 1;
                attempt.outcome = if dry_run {
                    AttemptOutcome::Dropped { why }
                } else {
                    let id = TicketId::parse(&ticket.id).expect("read by its ID");
                    super::deliver::record_dropped(store, &id, &d, &why, now, actor)?
                };
                on(&attempt);
                continue;
            }
            if dry_run {
                // A mail that could not be made, or a hook this machine
                // does not allow, would fail: say so.
                let ready = match work {
                    Work::Mail(notify) => {
                        super::deliver::compose(store, &ticket, &d, notify, email, now)
                            .map(|_| ())
                            .map_err(|e| e.message)
                    }
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
            let send = || super::deliver::deliver(store, &ticket, &d, work, &hooks, email, now);
            attempt.outcome =
                super::deliver::record(store, &[(id, &d)], send, now, actor)?.remove(0);
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
        let send = || super::deliver::deliver_digest(store, &to, &items, email, now);
        let outcomes = super::deliver::record(store, &keys, send, now, actor)?;
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

/// What the command that queued e-mail notices did with them at once.
#[derive(Debug, Clone, PartialEq)]
pub enum AtOnce {
    /// Each sent, or tried: a failure is recorded and `desk run` retries it.
    Tried(Vec<Attempt>),
    /// Left for `desk run` (how many), and why: this machine cannot send
    /// (a login or command it does not allow, a password it cannot read),
    /// or another process is delivering in this clone.
    Left { count: usize, why: String },
}

/// The lock that lets one process at a time deliver in a clone: `desk run`
/// holds it for the whole run, a command delivering at once while it
/// judges, sends and records its notices.
const DELIVERY_LOCK: &str = "run";

/// How long a command waits for another to finish delivering before it
/// leaves its notices for `desk run`: another command's sends take this
/// long at most as a rule; a `desk run` may take minutes.
const AT_ONCE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Delivers at once the e-mail notices that the command just recorded
/// queued for ticket `id` (`keys`, from its rules' outcomes), when desk.yaml
/// has `mail:` and `mail.deliver_at_once` is not `false`; `None`: nothing
/// to deliver so. The same code as `desk run`: the rule explains each
/// entry, the notice is judged against the ticket, its `notified` is
/// staged before the send, and the run's lock is held throughout, so a
/// `desk run` (or another command) cannot send the same key meanwhile —
/// each judges a key after the other recorded it. Hooks (allowed per
/// machine) and digests (one mail per recipient and run) are left for
/// `desk run`.
pub fn deliver_at_once(
    store: &Store,
    id: &TicketId,
    keys: &[String],
    now: Timestamp,
    actor: &str,
) -> Result<Option<AtOnce>> {
    let Some(mail) = store.config.mail.as_ref() else {
        return Ok(None);
    };
    if keys.is_empty() || mail.settings().is_ok_and(|s| !s.deliver_at_once) {
        return Ok(None);
    }
    let rules = super::rules::rules_in_force(store)?;
    // Whose turn: only e-mail of a `notify` that is not a digest.
    let mine = |ticket: &Ticket| -> Vec<Delivery> {
        outbox::deliveries(&ticket.history)
            .into_iter()
            .filter(|d| keys.contains(&d.key) && d.due(now))
            .filter(|d| {
                matches!(crate::rules::explain(&rules, ticket, d),
                    Ok(Work::Mail(notify)) if !notify.digest)
            })
            .collect()
    };
    let count = mine(&store.load_ticket(id)?).len();
    if count == 0 {
        return Ok(None);
    }
    let left = |why: String| Ok(Some(AtOnce::Left { count, why }));
    if let Some(e) = super::mailer::mail_problem(store) {
        return left(e.to_string());
    }
    let email = match super::mailer::ready_sender(store) {
        Some(Ok(mailer)) => mailer,
        Some(Err(e)) => return left(crate::model::mask::personal_in(&e.to_string())),
        None => return Ok(None),
    };
    let Some(_lock) = delivery_lock(store)? else {
        return left("another process is delivering in this store".into());
    };
    // Judged again under the lock: a `desk run` may have sent them since.
    let ticket = store.load_ticket(id)?;
    let mut attempts = Vec::new();
    for d in mine(&ticket) {
        let mut attempt = Attempt::of(&ticket, &d);
        let Ok(work @ Work::Mail(notify)) = crate::rules::explain(&rules, &ticket, &d) else {
            continue;
        };
        attempt.uses = Some(work.uses());
        attempt.outcome = match super::deliver::dropped_why(store, &rules, &ticket, &d, now)? {
            Some(why) => super::deliver::record_dropped(store, id, &d, &why, now, actor)?,
            None => {
                let send = || {
                    let mail = super::deliver::compose(
                        store,
                        &ticket,
                        &d,
                        notify,
                        Some(email.as_ref()),
                        now,
                    )?;
                    email.send(&mail).map_err(super::SendError::from)
                };
                super::deliver::record(store, &[(id.clone(), &d)], send, now, actor)?.remove(0)
            }
        };
        attempts.push(attempt);
    }
    Ok(Some(AtOnce::Tried(attempts)))
}

/// The delivery lock, waiting at most [`AT_ONCE_WAIT`] for it.
fn delivery_lock(store: &Store) -> Result<Option<crate::store::Lock>> {
    let start = std::time::Instant::now();
    loop {
        if let Some(lock) = store.try_lock(DELIVERY_LOCK)? {
            return Ok(Some(lock));
        }
        if start.elapsed() >= AT_ONCE_WAIT {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::mail::{Mail, MailError};
    use crate::model::outbox::DeliveryState;
    use crate::store::TEMPLATES_DIR;

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
        run_automation(
            store,
            now,
            DAY,
            "cron",
            false,
            Some(mailer),
            &mut |_| {},
            on,
        )
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
        let (ticket, outcomes) = crate::app::rules::create_ticket_by_rules(&store, at, |id| {
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
        assert_eq!(last.action(), crate::model::Action::Notified);
        assert_eq!(
            last.field("message_id"),
            Some(mail.message_id.as_str().into())
        );
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
        let rows = crate::app::outbox::outbox(&store).unwrap().rows;
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
            crate::app::rules::create_ticket_by_rules(&store, at, |id| {
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
                    let of_rule = e.rule() == Some(rule);
                    if let (true, crate::model::Payload::Queued(q)) = (of_rule, &mut e.payload) {
                        q.template = Some(template.into());
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
        run_automation(
            &store,
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
        let totals = run_automation(
            &store,
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
        let actions: Vec<&str> = ticket.history.iter().map(|e| e.action_name()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "notified").count(), 1);
        assert!(
            ticket
                .history
                .iter()
                .any(|e| e.payload.note() == Some("已联系客户")),
            "{actions:?}"
        );
        assert_eq!(staged_files(&store), 0);
        // Nothing left to send.
        let again = run(&store, &Recorder::accepting(), now, &mut |_| {});
        assert_eq!(again, RunTotals::default());
    }
}
