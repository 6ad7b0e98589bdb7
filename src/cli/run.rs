use std::io::Write;

use super::Context;
use crate::app::{self, Attempt, AttemptOutcome, TimeFiring};
use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Print what would fire and what would be delivered, and write and send
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Fire only time rules that came due within this span before now
    /// (`14d`, `36h`, `90min`: days, hours, minutes): older ones are let go,
    /// so a first run on a long history, or after cron stopped, sends no
    /// flood of stale reminders. At least 1h, at most 366d.
    #[arg(long, value_name = "SPAN", default_value = "14d", value_parser = super::values::catch_up)]
    pub catch_up: i64,
}

/// Fires the time rules that came due and delivers what rules queued (for
/// cron). One line per firing, action and delivery on stderr; exit 1 when
/// any delivery failed in this run (on a dry run, would fail), or a queued
/// entry that no rule explains was left undelivered.
pub fn run(ctx: &Context, args: &RunArgs, _out: &mut dyn Write) -> Result<u8> {
    // What cron mails its owner: a length of desk.yaml to spell anew.
    for w in crate::app::rules::ambiguous_length_findings(&ctx.store) {
        crate::output::message::warn(&w.to_string());
    }
    let tz = ctx.store.settings.tz;
    let local = |t: &crate::clock::Timestamp| crate::clock::local_minute(&t.0, tz);
    let mut fired = |f: &TimeFiring| {
        let done = if f.dry_run { "would fire" } else { "fired" };
        // A customer's rule is told by the customer: its ticket is new.
        let subject = f.customer.as_deref().unwrap_or(&f.ticket);
        crate::output::message::say(&format!(
            "{subject}: time rule {} {done}, due since {} ({})",
            f.rule,
            local(&f.since),
            f.key
        ));
        let lead = if f.dry_run { "(dry run) " } else { "" };
        let acted_on = if f.ticket.is_empty() {
            subject
        } else {
            &f.ticket
        };
        super::tell_rules_as(acted_on, &f.outcomes, lead);
    };
    let dry_run = args.dry_run;
    let mut say = |a: &Attempt| tell_attempt(a, tz, dry_run);
    ctx.warn_exposed_password();
    if !args.dry_run {
        // Cron commits next; the pre-commit hook's check refuses stray temporary files.
        let removed = ctx.store.sweep_stale_temps();
        if removed > 0 {
            crate::output::message::note(&format!(
                "removed {removed} temporary file(s) left by interrupted writes"
            ));
        }
    }
    let email = app::mailer::email_sender(&ctx.store);
    let totals = app::run::run_automation(
        &ctx.store,
        ctx.now,
        args.catch_up,
        ctx.actor(),
        args.dry_run,
        email.as_deref(),
        &mut fired,
        &mut say,
    )?;
    Ok(
        if totals.failed + totals.would_fail + totals.unexplained > 0 {
            super::exit::ERROR
        } else {
            super::exit::OK
        },
    )
}

/// One line on stderr for a delivery made, tried, dropped or (`dry_run`)
/// judged: by `desk run`, and by a command delivering its notices at once.
pub fn tell_attempt(a: &Attempt, tz: chrono_tz::Tz, dry_run: bool) {
    let local = |t: &crate::clock::Timestamp| crate::clock::local_minute(&t.0, tz);
    let to = if a.to.is_empty() {
        String::new()
    } else {
        format!(" to {}", a.to.join(", "))
    };
    let what = match &a.outcome {
        AttemptOutcome::Delivered => "delivered".to_string(),
        AttemptOutcome::WouldSend => "would deliver".to_string(),
        AttemptOutcome::WouldFail { error } => format!("would fail: {error}"),
        AttemptOutcome::Failed {
            error,
            attempt,
            next,
        } => match next {
            Some(t) => format!("failed (attempt {attempt}, next at {}): {error}", local(t)),
            None => format!("failed (attempt {attempt}, given up): {error}"),
        },
        AttemptOutcome::Unexplained { why } => format!(
            "not delivered: no rule of desk.yaml explains this queued entry: {why} \
             (desk check names it)"
        ),
        AttemptOutcome::Dropped { why } if dry_run => format!("would be dropped: {why}"),
        AttemptOutcome::Dropped { why } => format!("dropped: {why}"),
    };
    // A dry run says what its rule would use: the template or the
    // command line.
    let uses = match (&a.outcome, &a.uses) {
        (AttemptOutcome::WouldSend | AttemptOutcome::WouldFail { .. }, Some(uses)) => {
            format!(" {uses}")
        }
        _ => String::new(),
    };
    // Values from files are shown escaped, never obeyed by the terminal.
    let line = format!(
        "{}: {}{uses} by rule {}{to} {what} ({})",
        a.ticket, a.via, a.rule, a.key
    );
    crate::output::message::say(&line);
}
