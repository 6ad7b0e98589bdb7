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

impl Store {
    /// Fires every time rule due at `now` that has not fired for its cycle,
    /// tickets in ID order, and tells `on` of each. A ticket that cannot be
    /// changed (a hand edit desk cannot adopt) is left as it is and its
    /// error returned with the others at the end; the rest still fire.
    /// Customer rules (`dormant_for`) are not evaluated: a customer file has
    /// no history to record a firing in.
    pub(super) fn fire_time_rules(
        &self,
        rules: &Rules,
        now: Timestamp,
        actor: &str,
        dry_run: bool,
        on: &mut dyn FnMut(&TimeFiring),
    ) -> Result<Vec<Error>> {
        let timed: Vec<(&Rule, &TimeTrigger)> = rules
            .rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match &r.when {
                Trigger::Time(t) if !matches!(t, TimeTrigger::DormantFor { .. }) => Some((r, t)),
                _ => None,
            })
            .collect();
        if timed.is_empty() {
            return Ok(Vec::new());
        }
        let clocks = timed
            .iter()
            .any(|(_, t)| matches!(t, TimeTrigger::Sla { .. }));
        let (policy, calendar) = self.sla()?;
        // Due, not fired yet, and not ruled out by conditions the summary
        // settles: only these tickets' files are read.
        let due = |s: &Summary| -> Vec<(usize, Firing)> {
            let facts = if clocks {
                TimeFacts::of(s, policy, calendar, now)
            } else {
                TimeFacts::without_clocks(s, now)
            };
            timed
                .iter()
                .enumerate()
                .filter_map(|(i, (rule, trigger))| {
                    let firing = rules::due(rule, trigger, &facts, now)?;
                    if s.fired.iter().any(|k| *k == firing.key)
                        || rules::holds_on_summary(rules, rule, s) == Some(false)
                    {
                        return None;
                    }
                    Some((i, firing))
                })
                .collect()
        };
        // Unreadable files are reported by the delivery pass that follows.
        let mut scan = self.summaries_where(true, |s| !due(s).is_empty())?;
        scan.summaries.sort_by(|a, b| a.id.cmp(&b.id));
        let mut errors = Vec::new();
        for s in &scan.summaries {
            let Some(id) = TicketId::parse(&s.id) else {
                continue;
            };
            for (i, firing) in due(s) {
                let (rule, _) = timed[i];
                match self.fire(rules, rule, &id, &firing, now, actor, dry_run) {
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
        Ok(errors)
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
