//! `desk run`'s first step: the time rules (SLA at risk or breached, no
//! progress, pending, not surveyed) that came due since the last run. The
//! pure part — when a rule is due, its key, what its actions are — is
//! `crate::rules::time`; here the store finds the candidates in one pass over
//! the ticket cache and records each firing in its ticket under the ticket's
//! lock: a `fired` event with the key, then its actions' events (a `notify`
//! becomes a `queued` delivery that the same run then delivers).

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Summary, TicketId, Timestamp};
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

    /// The rules due for this ticket (by their place in the run's list),
    /// and their firings.
    pub(super) fn of(&self, s: &Summary) -> Vec<(usize, Firing)> {
        if self.timed.is_empty() {
            return Vec::new();
        }
        let facts = match self.clocks {
            Some((policy, calendar)) => TimeFacts::of(s, policy, calendar, self.now),
            None => TimeFacts::without_clocks(s, self.now),
        };
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
                match self.fire(due.rules, rule, &id, &firing, due.now, actor, dry_run) {
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

    /// Records one firing in its ticket, if the ticket has not recorded it
    /// and the rule's conditions hold on the file as it is; what its actions
    /// did, or `None` when it did not fire.
    #[allow(clippy::too_many_arguments)]
    fn fire(
        &self,
        rules: &Rules,
        rule: &Rule,
        id: &TicketId,
        firing: &Firing,
        now: Timestamp,
        actor: &str,
        dry_run: bool,
    ) -> Result<Option<Vec<Outcome>>> {
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
        let fires = |t: &crate::model::Ticket| {
            !rules::has_fired(t, &firing.key) && rules::holds_now(rules, rule, t, &facts)
        };
        if !fires(&ticket) {
            return Ok(None);
        }
        if dry_run {
            return Ok(Some(Vec::new()));
        }
        let mut outcomes = None;
        self.modify_ticket(id, now, actor, |t| {
            // Read again under the lock: another run may have fired it.
            if !fires(t) {
                return Ok(());
            }
            // In time order even when this clock is behind the file.
            let at = t.last_at().map_or(now, |last| now.max(last));
            t.history
                .push(rules::fired_event(&rule.name, &firing.key, at));
            let planned = rules::plan_firing(rule, firing);
            outcomes = Some(self.apply_planned(rules, t, &planned, owner.as_deref(), at)?);
            Ok(())
        })?;
        Ok(outcomes)
    }
}
