//! `desk run`'s first step: the time rules (SLA at risk or breached, no
//! progress, pending, not surveyed, unassigned; customers dormant) that came due since
//! the last run. The
//! pure part — when a rule is due, its key, what its actions are — is
//! `crate::rules::time`; here the candidates are found in one pass over
//! the ticket cache and records each firing in its ticket under the ticket's
//! lock: a `fired` event with the key, then its actions' events (a `notify`
//! becomes a `queued` delivery that the same run then delivers).

use crate::error::{Error, Result};
use crate::store::Store;
use std::collections::HashMap;

use crate::clock::Timestamp;
use crate::model::{Activity, Summary, Ticket, TicketId};
use crate::rules::{
    self, CustomerFacts, Facts, Firing, Outcome, Rule, RuleAction, Rules, TimeFacts, TimeTrigger,
    Trigger,
};
use crate::sla::{Calendar, Policy};

/// A time rule that came due for a ticket, and what its actions did.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFiring {
    /// The ticket the firing is recorded in: for a `dormant_for` rule the
    /// call-back ticket it opened (empty on a dry run: none was opened).
    pub ticket: String,
    /// For a `dormant_for` rule, the dormant customer.
    pub customer: Option<String>,
    pub rule: String,
    pub key: String,
    /// When the threshold was crossed.
    pub since: Timestamp,
    /// What the firing's actions did (on a dry run, would do).
    pub outcomes: Vec<Outcome>,
    pub dry_run: bool,
}

/// The time rules of a run, ready to judge ticket summaries: which are due,
/// not yet fired, not too old, and not ruled out by conditions the summary
/// settles. Only those tickets' files are read.
pub(super) struct DueRules<'a> {
    rules: &'a Rules,
    timed: Vec<(&'a Rule, &'a TimeTrigger)>,
    /// The enabled `dormant_for` rules: judged on customers, not tickets.
    dormant: Vec<(&'a Rule, &'a TimeTrigger)>,
    /// The policy and calendar, when some rule is an SLA trigger (the clock
    /// replay is most of a pass's cost).
    clocks: Option<(&'a Policy, &'a Calendar)>,
    now: Timestamp,
    catch_up: i64,
}

impl<'a> DueRules<'a> {
    /// The enabled time rules of `rules`.
    pub(super) fn new(
        store: &'a Store,
        rules: &'a Rules,
        now: Timestamp,
        catch_up: i64,
    ) -> Result<DueRules<'a>> {
        let (dormant, timed): (Vec<_>, Vec<_>) = rules
            .rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match &r.when {
                Trigger::Time(t) => Some((r, t)),
                _ => None,
            })
            .partition(|(_, t)| matches!(t, TimeTrigger::DormantFor { .. }));
        let clocks = if timed
            .iter()
            .any(|(_, t)| matches!(t, TimeTrigger::Sla { .. }))
        {
            Some(store.sla()?)
        } else {
            None
        };
        Ok(DueRules {
            rules,
            timed,
            dormant,
            clocks,
            now,
            catch_up,
        })
    }

    /// Whether rule `i` is due on the ticket as it is now with this key: a
    /// close, a progress note or a new pending spell since the scan ends
    /// the cycle the key names.
    fn still_due(&self, i: usize, ticket: &Ticket, key: &str) -> bool {
        let (rule, trigger) = self.timed[i];
        let facts = self.facts(&Summary::of(ticket));
        rules::due(rule, trigger, &facts, self.now).is_some_and(|f| f.key == key)
    }

    /// Whether some rule is judged on customers: the run then tallies each
    /// customer's tickets as it scans them.
    pub(super) fn on_customers(&self) -> bool {
        !self.dormant.is_empty()
    }

    fn facts(&self, s: &Summary) -> TimeFacts {
        match self.clocks {
            Some((policy, calendar)) => TimeFacts::of(s, policy, calendar, self.now),
            None => TimeFacts::without_clocks(s, self.now),
        }
    }

    /// The rules due for this ticket (by their place in the run's list),
    /// and their firings.
    pub(super) fn of(&self, s: &Summary) -> Vec<(usize, Firing)> {
        if self.timed.is_empty() {
            return Vec::new();
        }
        let facts = self.facts(s);
        self.timed
            .iter()
            .enumerate()
            .filter_map(|(i, (rule, trigger))| {
                let firing = rules::due(rule, trigger, &facts, self.now)?;
                if firing.is_stale(self.now, self.catch_up)
                    || s.fired.iter().any(|k| *k == firing.key)
                    || rules::holds_on_summary(self.rules, rule, s) == Some(false)
                {
                    return None;
                }
                Some((i, firing))
            })
            .collect()
    }
}

/// Fires the time rules due for these tickets (in the order given) and
/// tells `on` of each. A ticket that cannot be changed (a hand edit
/// desk cannot adopt) is left as it is and its error returned with the
/// others; the rest still fire.
pub(super) fn fire_time_rules(
    store: &Store,
    due: &DueRules,
    tickets: &[Summary],
    actor: &str,
    dry_run: bool,
    dry: &mut Vec<Ticket>,
    on: &mut dyn FnMut(&TimeFiring),
) -> Vec<Error> {
    let mut errors = Vec::new();
    for s in tickets {
        let Some(id) = TicketId::parse(&s.id) else {
            continue;
        };
        for (i, firing) in due.of(s) {
            let (rule, _) = due.timed[i];
            // On a dry run a ticket's later firings build on the copy
            // its earlier ones made.
            let earlier = dry.iter().position(|t| t.id == s.id);
            let base = earlier.map(|i| &dry[i]);
            match fire(store, due, i, &id, &firing, actor, dry_run, base) {
                Ok(Some((outcomes, copy))) => {
                    if let Some(copy) = copy {
                        match earlier {
                            Some(i) => dry[i] = copy,
                            None => dry.push(copy),
                        }
                    }
                    on(&TimeFiring {
                        ticket: s.id.to_string(),
                        customer: None,
                        rule: rule.name.clone(),
                        key: firing.key.clone(),
                        since: firing.since,
                        outcomes,
                        dry_run,
                    })
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    errors
}

/// Opens a call-back ticket for each customer that a `dormant_for` rule
/// came due for (the first such rule, in file order: the open ticket
/// ends the customer's dormancy). `activity` is every customer's tickets,
/// tallied by the run's scan. The ticket is made as `desk new` makes one:
/// assigned to the customer's owner when they can take work, else routed
/// by the `created` rules, which also queue their notices; then the
/// firing's other actions run on it. One `desk run` at a time per clone
/// (the caller holds the run lock), and the open ticket makes the
/// customer active, so a dormancy is called back once. Returns the
/// tickets opened, for the run to deliver what they queued.
pub(super) fn fire_dormant_rules(
    store: &Store,
    due: &DueRules,
    activity: &HashMap<String, Activity>,
    dry_run: bool,
    dry: &mut Vec<Ticket>,
    on: &mut dyn FnMut(&TimeFiring),
) -> (Vec<Summary>, Vec<Error>) {
    let mut opened = Vec::new();
    if due.dormant.is_empty() {
        return (opened, Vec::new());
    }
    let customers = match store.customer_summaries() {
        Ok(c) => c,
        Err(e) => return (opened, vec![e]),
    };
    let mut errors = customers.errors;
    let mut summaries = customers.summaries;
    summaries.sort_by(|a, b| a.id.cmp(&b.id));
    let (rules, now, tz) = (due.rules, due.now, store.settings.tz);
    for c in &summaries {
        let facts = CustomerFacts::new(
            &c.id,
            activity.get(&c.id).cloned().unwrap_or_default(),
            c.last_touch(),
            c.created,
        );
        // As desk.yaml spells the agent (a hand edit may not).
        let owner = c.owner.as_deref().map(|o| super::rules::owner_id(store, o));
        let judged = Facts {
            customer_kind: Some(c.kind.key().to_string()),
            customer_vip: Some(c.vip),
            customer_owner: owner.clone(),
            working_hours: None,
            survey_unsatisfied: None,
        };
        // The owner calls back, unless away or not an agent any more.
        let assignee = owner
            .clone()
            .filter(|o| rules.agents.iter().any(|m| m.id == *o && !m.away));
        for (rule, trigger) in &due.dormant {
            let Some(firing) = rules::due_customer(rule, trigger, &facts, now) else {
                continue;
            };
            let Some(RuleAction::Open(open)) = rule.actions.first() else {
                continue; // refused when the rules were read
            };
            let draft = |id: String| {
                rules::callback_ticket(rule, open, &firing, &facts, assignee.clone(), id, now, tz)
            };
            if firing.is_stale(now, due.catch_up)
                || !rules::holds_now(rules, rule, &draft(String::new()), &judged)
            {
                continue;
            }
            // The ticket with its rules' events, and what they did.
            let build = |id: String| -> Result<(Ticket, Vec<Outcome>)> {
                let mut t = draft(id);
                let mut outcomes = vec![Outcome::Opened {
                    rule: rule.name.clone(),
                    ticket: if dry_run {
                        "(new)".into()
                    } else {
                        t.id.clone()
                    },
                    customer: c.id.clone(),
                }];
                outcomes.extend(super::rules::run_rules(store, rules, &mut t, &[0])?);
                let first = t.history.len();
                let planned = rules::plan_firing(rule, &firing);
                outcomes.extend(super::rules::apply_planned(
                    store,
                    rules,
                    &mut t,
                    &planned,
                    owner.as_deref(),
                    now,
                )?);
                rules::key_firing_events(&mut t.history[first..], &firing.key);
                Ok((t, outcomes))
            };
            let result = if dry_run {
                // Named for the dry run's lines; never written.
                build(format!("(new for {})", c.id)).map(|(t, outcomes)| {
                    dry.push(t);
                    (String::new(), outcomes)
                })
            } else {
                let mut outcomes = Vec::new();
                store
                    .create_ticket_with(now, |id| {
                        let (t, o) = build(id)?;
                        outcomes = o;
                        Ok(t)
                    })
                    .map(|t| {
                        opened.push(Summary::of(&t));
                        (t.id, outcomes)
                    })
            };
            match result {
                Ok((ticket, outcomes)) => on(&TimeFiring {
                    ticket,
                    customer: Some(c.id.clone()),
                    rule: rule.name.clone(),
                    key: firing.key.clone(),
                    since: firing.since,
                    outcomes,
                    dry_run,
                }),
                Err(e) => errors.push(e),
            }
            break;
        }
    }
    (opened, errors)
}

/// Records one firing in its ticket, if the rule is still due with the
/// same key on the file as it is (a person may have closed or updated
/// the ticket since the scan), the ticket has not recorded it, and the
/// rule's conditions hold; what its actions did (on a dry run, would
/// do, with the changed copy of the ticket), or `None` when it does not
/// fire. A dry run starts from `base` when given (the copy of an
/// earlier dry firing).
#[allow(clippy::too_many_arguments)]
fn fire(
    store: &Store,
    due: &DueRules,
    i: usize,
    id: &TicketId,
    firing: &Firing,
    actor: &str,
    dry_run: bool,
    base: Option<&Ticket>,
) -> Result<Option<(Vec<Outcome>, Option<Ticket>)>> {
    let (rule, _) = due.timed[i];
    let (rules, now) = (due.rules, due.now);
    let ticket = match base {
        Some(copy) => copy.clone(),
        None => store.load_ticket(id)?,
    };
    let (mut facts, owner) = if rule.needs_customer() {
        super::rules::customer_facts(store, &ticket.customer)
    } else {
        (Facts::default(), None)
    };
    // A time rule has no event: `working_hours` is judged at the run.
    facts.working_hours = Some(
        store
            .sla()?
            .1
            .is_working_at(now.0.with_timezone(&chrono::Utc)),
    );
    let fires = |t: &Ticket| {
        due.still_due(i, t, &firing.key)
            && !rules::has_fired(t, &firing.key)
            && rules::holds_now(rules, rule, t, &facts)
    };
    // The firing's events, appended to `t`; what its actions did.
    let record = |t: &mut Ticket| -> Result<Vec<Outcome>> {
        // In time order even when this clock is behind the file.
        let at = t.last_at().map_or(now, |last| now.max(last));
        t.history
            .push(rules::fired_event(&rule.name, &firing.key, at));
        let first = t.history.len();
        let planned = rules::plan_firing(rule, firing);
        let outcomes =
            super::rules::apply_planned(store, rules, t, &planned, owner.as_deref(), at)?;
        rules::key_firing_events(&mut t.history[first..], &firing.key);
        Ok(outcomes)
    };
    if !fires(&ticket) {
        return Ok(None);
    }
    if dry_run {
        // Done on a copy, never written: what the run would do.
        let mut copy = ticket;
        let outcomes = record(&mut copy)?;
        return Ok(Some((outcomes, Some(copy))));
    }
    let mut outcomes = None;
    store.modify_ticket(id, now, actor, |t| {
        // Judged again under the lock: the file may have changed.
        if fires(t) {
            outcomes = Some(record(t)?);
        }
        Ok(())
    })?;
    Ok(outcomes.map(|o| (o, None)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Customer, CustomerKind, NewTicket};
    use crate::store::SummaryScan;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    /// A store with the default rules and an urgent complaint of 09:00,
    /// routed to the supervisor: its resolution target passes at 13:00.
    fn store_with_urgent_ticket() -> (tempfile::TempDir, Store, TicketId) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        let at = t("2026-11-23T09:00:00+08:00");
        let c = Customer::new(CustomerKind::Individual, "张三丰".into(), at, "li.na");
        store.create_customers(vec![c]).unwrap();
        let (ticket, _) = crate::app::rules::create_ticket_by_rules(&store, at, |id| {
            Ticket::create(
                id,
                NewTicket {
                    customer: "C000001".into(),
                    kind: "complaint".into(),
                    priority: "urgent".into(),
                    ..NewTicket::sample()
                },
                at,
                "li.na",
            )
        })
        .unwrap();
        (dir, store, TicketId::parse(&ticket.id).unwrap())
    }

    fn fired(store: &Store, id: &TicketId) -> Vec<String> {
        store
            .load_ticket(id)
            .unwrap()
            .history
            .iter()
            .filter_map(|e| match &e.payload {
                crate::model::Payload::Fired(f) => Some(f.key.clone()),
                _ => None,
            })
            .collect()
    }

    /// The time rules due at `now`, and the tickets the run's scan keeps.
    fn scan_at<'a>(store: &'a Store, rules: &'a Rules, now: &str) -> (DueRules<'a>, SummaryScan) {
        let due = DueRules::new(store, rules, t(now), 7 * 86_400).unwrap();
        let scanned = store
            .summaries_where(true, |s| !due.of(s).is_empty())
            .unwrap();
        (due, scanned)
    }

    /// A store with the default rules and one customer, created at `at`
    /// and owned by `owner`.
    fn store_with_customer(at: &str, owner: Option<&str>) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
        let mut c = Customer::new(CustomerKind::Enterprise, "星河科技".into(), t(at), "li.na");
        c.owner = owner.map(str::to_string);
        store.create_customers(vec![c]).unwrap();
        (dir, store)
    }

    /// `desk run` at `now` (no mail transport: deliveries fail and wait),
    /// and what fired.
    fn run_at(store: &Store, now: &str, dry_run: bool) -> Vec<TimeFiring> {
        // Another test of this process forking a child (git, a hook) in the
        // instant between fork and exec holds a copy of every open file,
        // the lock of the run before this one too: a moment later it is
        // gone. A command runs alone in its process and never meets this.
        for _ in 0..50 {
            let mut fired = Vec::new();
            match crate::app::run::run_automation(
                store,
                t(now),
                14 * 86_400,
                "cron",
                dry_run,
                None,
                &mut |f| fired.push(f.clone()),
                &mut |_| {},
            ) {
                Ok(_) => return fired,
                Err(crate::error::Error::Refused(m)) if m.contains("another `desk run`") => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(e) => panic!("{e}"),
            }
        }
        panic!("the run lock stayed taken")
    }

    fn tickets(store: &Store) -> Vec<Ticket> {
        let mut all: Vec<Ticket> = store
            .summaries_where(true, |_| true)
            .unwrap()
            .summaries
            .iter()
            .map(|s| store.load_ticket(&TicketId::parse(&s.id).unwrap()).unwrap())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    #[test]
    fn a_dormant_customer_gets_one_call_back_ticket_for_its_owner_per_dormancy() {
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", Some("zhao.min"));
        // Six months to the second is not yet dormant.
        assert!(run_at(&store, "2026-07-05T10:00:00+08:00", false).is_empty());
        let fired = run_at(&store, "2026-07-05T10:30:00+08:00", false);
        assert_eq!(fired.len(), 1, "{fired:?}");
        let f = &fired[0];
        assert_eq!(f.customer.as_deref(), Some("C000001"));
        assert_eq!(
            f.key,
            "dormant-callback/C000001/dormant_for-6m/2026-01-05T10:00:00+08:00"
        );
        let all = tickets(&store);
        assert_eq!(all.len(), 1);
        let callback = &all[0];
        assert_eq!(f.ticket, callback.id);
        assert_eq!(callback.customer, "C000001");
        assert_eq!(callback.kind, "consultation");
        assert_eq!(callback.assignee.as_deref(), Some("zhao.min"));
        assert_eq!(callback.tags, ["待激活"]);
        assert!(
            callback.description.contains("2026-01-05 10:00"),
            "{}",
            callback.description
        );
        let actions: Vec<(&str, &str)> = callback
            .history
            .iter()
            .map(|e| (e.action_name(), e.by.as_str()))
            .collect();
        assert_eq!(
            actions[..3],
            [
                ("created", "rule:dormant-callback"),
                ("fired", "rule:dormant-callback"),
                ("queued", "rule:notify-assignee"),
            ],
            "the owner is told as of any new ticket"
        );
        // Later runs open nothing more: the open call-back is activity.
        assert!(run_at(&store, "2026-07-05T10:35:00+08:00", false).is_empty());
        // Called back and closed: six more months of silence, a new one.
        let id = TicketId::parse(&callback.id).unwrap();
        let closed = t("2026-07-06T09:00:00+08:00");
        store
            .modify_ticket(&id, closed, "zhao.min", |tk| {
                tk.close("信息有效，保留".into(), None, None, closed, "zhao.min")
            })
            .unwrap();
        assert!(run_at(&store, "2026-12-01T10:00:00+08:00", false).is_empty());
        assert!(run_at(&store, "2027-01-06T08:00:00+08:00", false).is_empty());
        let again = run_at(&store, "2027-01-06T09:30:00+08:00", false);
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!(
            again[0].key,
            "dormant-callback/C000001/dormant_for-6m/2026-07-06T09:00:00+08:00"
        );
        assert_eq!(tickets(&store).len(), 2);
    }

    #[test]
    fn an_owner_written_in_another_case_still_gets_the_call_back() {
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", Some("ZHAO.MIN"));
        assert_eq!(run_at(&store, "2026-07-06T10:00:00+08:00", false).len(), 1);
        assert_eq!(tickets(&store)[0].assignee.as_deref(), Some("zhao.min"));
    }

    #[test]
    fn without_an_owner_the_call_back_is_routed_and_a_dry_run_opens_nothing() {
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", None);
        let dry = run_at(&store, "2026-07-06T10:00:00+08:00", true);
        assert_eq!(dry.len(), 1, "{dry:?}");
        assert!(dry[0].ticket.is_empty());
        let said: Vec<String> = dry[0].outcomes.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            said[0],
            "ticket (new) opened for C000001 by rule dormant-callback"
        );
        assert_eq!(
            said[1],
            "assigned to li.na by rule consultations-to-service"
        );
        assert!(tickets(&store).is_empty(), "a dry run writes nothing");

        let fired = run_at(&store, "2026-07-06T10:00:00+08:00", false);
        assert_eq!(fired.len(), 1);
        let all = tickets(&store);
        assert_eq!(all[0].assignee.as_deref(), Some("li.na"));
    }

    #[test]
    fn a_dry_run_judges_the_deliveries_its_call_backs_would_queue() {
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", Some("zhao.min"));
        let mut heard = Vec::new();
        let totals = crate::app::run::run_automation(
            &store,
            t("2026-07-06T10:00:00+08:00"),
            14 * 86_400,
            "cron",
            true,
            None,
            &mut |_| {},
            &mut |a| heard.push(a.clone()),
        )
        .unwrap();
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert_eq!(heard[0].ticket, "(new for C000001)");
        assert_eq!(heard[0].to, ["zhao.min"]);
        assert_eq!(
            heard[0].outcome,
            crate::app::AttemptOutcome::WouldFail {
                error: "no mail transport: set `mail:` in desk.yaml".into()
            }
        );
        assert_eq!(totals.would_fail, 1);
        assert!(tickets(&store).is_empty());
    }

    #[test]
    fn customers_active_or_dormant_before_the_catch_up_span_are_left() {
        // Dormant since 2026-07-05: a run a month later lets it go.
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", Some("zhao.min"));
        assert!(run_at(&store, "2026-08-05T10:00:00+08:00", false).is_empty());
        assert!(tickets(&store).is_empty());

        // A customer with an open ticket is not dormant, however old it is.
        let (_dir, store) = store_with_customer("2026-01-05T10:00:00+08:00", None);
        let at = t("2026-01-06T10:00:00+08:00");
        store
            .create_ticket(at, |id| {
                Ticket::create(
                    id,
                    NewTicket {
                        customer: "C000001".into(),
                        ..NewTicket::sample()
                    },
                    at,
                    "li.na",
                )
            })
            .unwrap();
        assert!(run_at(&store, "2026-07-06T10:30:00+08:00", false).is_empty());
        assert_eq!(tickets(&store).len(), 1);
    }

    #[test]
    fn a_ticket_closed_after_the_scan_is_judged_again_and_does_not_fire() {
        let (_dir, store, id) = store_with_urgent_ticket();
        let rules = crate::app::rules::rules(&store).unwrap();
        let (due, scanned) = scan_at(&store, &rules, "2026-11-23T13:05:00+08:00");
        assert_eq!(scanned.summaries.len(), 1, "the breach is due");
        // Someone closes it while the run works through its list.
        store
            .modify_ticket(&id, t("2026-11-23T13:04:00+08:00"), "li.na", |tk| {
                tk.close(
                    "换新机".into(),
                    None,
                    None,
                    t("2026-11-23T13:04:00+08:00"),
                    "li.na",
                )
            })
            .unwrap();
        let mut heard = Vec::new();
        let errors = fire_time_rules(
            &store,
            &due,
            &scanned.summaries,
            "cron",
            false,
            &mut Vec::new(),
            &mut |f| heard.push(f.key.clone()),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert!(heard.is_empty(), "{heard:?}");
        assert!(fired(&store, &id).is_empty());
    }

    #[test]
    fn a_dry_run_tells_what_the_firing_would_do_and_writes_nothing() {
        let (_dir, store, id) = store_with_urgent_ticket();
        let before = store.load_ticket(&id).unwrap();
        let rules = crate::app::rules::rules(&store).unwrap();
        let (due, scanned) = scan_at(&store, &rules, "2026-11-23T13:05:00+08:00");
        let mut heard = Vec::new();
        fire_time_rules(
            &store,
            &due,
            &scanned.summaries,
            "cron",
            true,
            &mut Vec::new(),
            &mut |f| {
                heard.push((
                    f.rule.clone(),
                    f.outcomes.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
                ))
            },
        );
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert_eq!(heard[0].0, "urgent-breach-to-supervisor");
        assert!(
            heard[0].1[0].starts_with("e-mail 'escalation' to chen.jing queued"),
            "{heard:?}"
        );
        assert_eq!(store.load_ticket(&id).unwrap(), before);
    }
}
