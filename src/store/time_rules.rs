//! `desk run`'s first step: the time rules (SLA at risk or breached, no
//! progress, pending, not surveyed) that came due since the last run. The
//! pure part — when a rule is due, its key, what its actions are — is
//! `crate::rules::time`; here the store finds the candidates in one pass over
//! the ticket cache and records each firing in its ticket under the ticket's
//! lock: a `fired` event with the key, then its actions' events (a `notify`
//! becomes a `queued` delivery that the same run then delivers).

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Summary, Ticket, TicketId, Timestamp};
use crate::rules::{self, Facts, Firing, Outcome, Rule, Rules, TimeFacts, TimeTrigger, Trigger};
use crate::sla::{Calendar, Policy};

/// A time rule that came due for a ticket, and what its actions did.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFiring {
    pub ticket: String,
    pub rule: String,
    pub key: String,
    /// When the threshold was crossed.
    pub since: Timestamp,
    /// Empty on a dry run: nothing was done.
    pub outcomes: Vec<Outcome>,
    pub dry_run: bool,
}

/// The time rules of a run, ready to judge ticket summaries: which are due,
/// not yet fired, not too old, and not ruled out by conditions the summary
/// settles. Only those tickets' files are read.
pub(super) struct DueRules<'a> {
    rules: &'a Rules,
    timed: Vec<(&'a Rule, &'a TimeTrigger)>,
    /// The policy and calendar, when some rule is an SLA trigger (the clock
    /// replay is most of a pass's cost).
    clocks: Option<(&'a Policy, &'a Calendar)>,
    now: Timestamp,
    catch_up: i64,
}

impl<'a> DueRules<'a> {
    /// The enabled ticket time rules of `rules`. Customer rules
    /// (`dormant_for`) are not run: a customer file has no history to
    /// record a firing in.
    pub(super) fn new(
        store: &'a Store,
        rules: &'a Rules,
        now: Timestamp,
        catch_up: i64,
    ) -> Result<DueRules<'a>> {
        let timed: Vec<(&Rule, &TimeTrigger)> = rules
            .rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match &r.when {
                Trigger::Time(t) if !matches!(t, TimeTrigger::DormantFor { .. }) => Some((r, t)),
                _ => None,
            })
            .collect();
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

impl Store {
    /// Fires the time rules due for these tickets (in the order given) and
    /// tells `on` of each. A ticket that cannot be changed (a hand edit
    /// desk cannot adopt) is left as it is and its error returned with the
    /// others; the rest still fire.
    pub(super) fn fire_time_rules(
        &self,
        due: &DueRules,
        tickets: &[Summary],
        actor: &str,
        dry_run: bool,
        on: &mut dyn FnMut(&TimeFiring),
    ) -> Vec<Error> {
        let mut errors = Vec::new();
        for s in tickets {
            let Some(id) = TicketId::parse(&s.id) else {
                continue;
            };
            for (i, firing) in due.of(s) {
                let (rule, _) = due.timed[i];
                match self.fire(due, i, &id, &firing, actor, dry_run) {
                    Ok(Some(outcomes)) => on(&TimeFiring {
                        ticket: s.id.to_string(),
                        rule: rule.name.clone(),
                        key: firing.key.clone(),
                        since: firing.since,
                        outcomes,
                        dry_run,
                    }),
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        errors
    }

    /// Records one firing in its ticket, if the rule is still due with the
    /// same key on the file as it is (a person may have closed or updated
    /// the ticket since the scan), the ticket has not recorded it, and the
    /// rule's conditions hold; what its actions did (on a dry run, would
    /// do), or `None` when it does not fire.
    fn fire(
        &self,
        due: &DueRules,
        i: usize,
        id: &TicketId,
        firing: &Firing,
        actor: &str,
        dry_run: bool,
    ) -> Result<Option<Vec<Outcome>>> {
        let (rule, _) = due.timed[i];
        let (rules, now) = (due.rules, due.now);
        let ticket = self.load_ticket(id)?;
        let (mut facts, owner) = if rule.needs_customer() {
            self.customer_facts(&ticket.customer)
        } else {
            (Facts::default(), None)
        };
        // A time rule has no event: `working_hours` is judged at the run.
        facts.working_hours = Some(
            self.sla()?
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
            let outcomes = self.apply_planned(rules, t, &planned, owner.as_deref(), at)?;
            rules::key_firing_events(&mut t.history[first..], &firing.key);
            Ok(outcomes)
        };
        if !fires(&ticket) {
            return Ok(None);
        }
        if dry_run {
            // Done on a copy, never written: what the run would do.
            let mut copy = ticket;
            return record(&mut copy).map(Some);
        }
        let mut outcomes = None;
        self.modify_ticket(id, now, actor, |t| {
            // Judged again under the lock: the file may have changed.
            if fires(t) {
                outcomes = Some(record(t)?);
            }
            Ok(())
        })?;
        Ok(outcomes)
    }
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
        let (ticket, _) = store
            .create_ticket_by_rules(at, |id| {
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
            .filter(|e| e.action == crate::model::Action::Fired)
            .filter_map(|e| e.key.clone())
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

    #[test]
    fn a_ticket_closed_after_the_scan_is_judged_again_and_does_not_fire() {
        let (_dir, store, id) = store_with_urgent_ticket();
        let rules = store.rules().unwrap();
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
        let errors = store.fire_time_rules(&due, &scanned.summaries, "cron", false, &mut |f| {
            heard.push(f.key.clone())
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(heard.is_empty(), "{heard:?}");
        assert!(fired(&store, &id).is_empty());
    }

    #[test]
    fn a_dry_run_tells_what_the_firing_would_do_and_writes_nothing() {
        let (_dir, store, id) = store_with_urgent_ticket();
        let before = store.load_ticket(&id).unwrap();
        let rules = store.rules().unwrap();
        let (due, scanned) = scan_at(&store, &rules, "2026-11-23T13:05:00+08:00");
        let mut heard = Vec::new();
        store.fire_time_rules(&due, &scanned.summaries, "cron", true, &mut |f| {
            heard.push((
                f.rule.clone(),
                f.outcomes.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
            ))
        });
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert_eq!(heard[0].0, "urgent-breach-to-supervisor");
        assert!(
            heard[0].1[0].starts_with("e-mail 'escalation' to chen.jing queued"),
            "{heard:?}"
        );
        assert_eq!(store.load_ticket(&id).unwrap(), before);
    }
}
