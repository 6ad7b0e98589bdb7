use std::io::Write;

use super::Context;
use crate::app;
use crate::error::Result;
use crate::output::{int, opt_text, text, Format, Records};

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::format(&[Format::Table, Format::Csv, Format::Json]))]
    pub format: Option<Format>,
}

/// Deliveries that rules queued and `desk run` has not made: pending,
/// retrying, and given up; by ticket, then in the order queued; each with
/// the template or command line its rule would use now, or `unexplained`
/// when no rule of desk.yaml explains the entry.
pub fn run(ctx: &Context, args: &OutboxArgs, out: &mut dyn Write) -> Result<()> {
    let app::Outbox { rows, errors } = app::outbox::outbox(&ctx.store)?;
    let tz = ctx.store.settings.tz;
    let local = |t: &crate::clock::Timestamp| crate::clock::local_minute(&t.0, tz);
    let mut records = Records::new(&[
        "ticket",
        "state",
        "rule",
        "via",
        "to",
        "attempts",
        "next_attempt",
        "last_error",
        "key",
        "uses",
    ])
    .cut(&["last_error", "uses", "rule", "to"])
    // On a narrow terminal: the key (for `desk show`'s history), what the
    // rule would use, the counts and the channel go first, so that the
    // ticket, its state, whom it is for and why it failed stay.
    .spare(&["key", "uses", "attempts", "via", "rule", "next_attempt"]);
    for row in &rows {
        let d = &row.delivery;
        let (state, error, uses) = match &row.uses {
            Some(Err(why)) => ("unexplained", Some(why.as_str()), None),
            Some(Ok(uses)) => (d.state.key(), d.last_error.as_deref(), Some(uses.as_str())),
            None => (d.state.key(), d.last_error.as_deref(), None),
        };
        records.push(vec![
            text(&row.ticket),
            text(state),
            text(&d.rule),
            text(d.via()),
            text(d.to().join(" ")),
            int(d.attempts as usize),
            opt_text(d.next_attempt.as_ref().map(local)),
            opt_text(error),
            text(&d.key),
            opt_text(uses),
        ]);
    }
    records.write(out, ctx.term.format_or_default(args.format), ctx.term)?;
    for e in &errors {
        crate::output::message::warn(&e.to_string());
    }
    Ok(())
}
