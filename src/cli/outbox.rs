use std::io::Write;

use super::Context;
use crate::error::Result;
use crate::output::{int, opt_text, text, Format, Records};

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::format(&[Format::Table, Format::Csv, Format::Json]))]
    pub format: Option<Format>,
}

/// Deliveries that rules queued and `desk run` has not made: pending,
/// retrying, and given up; by ticket, then in the order queued.
pub fn run(ctx: &Context, args: &OutboxArgs, out: &mut dyn Write) -> Result<()> {
    let crate::store::Outbox { rows, errors } = ctx.store.outbox()?;
    let tz = ctx.store.settings.tz;
    let local = |t: &crate::model::Timestamp| crate::model::local_minute(&t.0, tz);
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
    ]);
    for (ticket, d) in &rows {
        records.push(vec![
            text(ticket),
            text(d.state.key()),
            text(&d.rule),
            text(d.via()),
            text(d.to().join(" ")),
            int(d.attempts as usize),
            opt_text(d.next_attempt.as_ref().map(local)),
            opt_text(d.last_error.as_deref()),
            text(&d.key),
        ]);
    }
    records.write(out, ctx.term.format_or_default(args.format), ctx.term)?;
    for e in &errors {
        crate::output::message::warn(&e.to_string());
    }
    Ok(())
}
