use std::io::Write;

use chrono::Utc;

use super::Context;
use crate::error::Result;
use crate::model::Summary;
use crate::output::{dec, opt_text, text, Cell, Format, Records};
use crate::sla::{format_seconds, replay, ClockState, TargetKind, TicketClocks};

#[derive(Debug, clap::Args)]
pub struct SlaArgs {
    /// Evaluate the clocks at this time instead of now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Include closed tickets.
    #[arg(long)]
    pub all: bool,
    /// Only tickets with a breached target.
    #[arg(long)]
    pub breached: bool,
    /// Exit with 3 when any listed ticket has a breached target (for cron).
    #[arg(long)]
    pub exit_code: bool,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub fn run(ctx: &Context, args: &SlaArgs, out: &mut dyn Write) -> Result<u8> {
    let now = ctx.now_or(args.now.as_deref())?;
    let now_utc = now.0.with_timezone(&Utc);
    let (policy, calendar) = ctx.store.sla()?;
    let mut scan = ctx
        .store
        .summaries_where(true, |t| args.all || t.status.is_open())?;
    let mut rows: Vec<(&Summary, TicketClocks)> = scan
        .summaries
        .iter()
        .map(|t| {
            (
                t,
                replay(&t.skeleton(), &t.priority, &policy, &calendar, now_utc),
            )
        })
        .filter(|(_, c)| !args.breached || c.worst() == Some(ClockState::Breached))
        .collect();
    // Most urgent first: worst state, then the earliest due time, then priority.
    rows.sort_by(|(a, ca), (b, cb)| {
        let due = |c: &TicketClocks| c.clocks.iter().filter_map(|k| k.due).min();
        ca.worst()
            .unwrap_or(ClockState::Met)
            .cmp(&cb.worst().unwrap_or(ClockState::Met))
            .then_with(|| match (due(ca), due(cb)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| {
                ctx.store
                    .config
                    .priority_rank(&a.priority)
                    .cmp(&ctx.store.config.priority_rank(&b.priority))
            })
            .then_with(|| a.id.cmp(&b.id))
    });

    let format = ctx.term.format_or_default(args.format);
    let mut headers = vec!["id", "priority", "status", "assignee"];
    for kind in TargetKind::ALL {
        headers.extend(match kind {
            TargetKind::Response => ["response_due", "response_state", "response_remaining"],
            TargetKind::Update => ["update_due", "update_state", "update_remaining"],
            TargetKind::Resolution => {
                ["resolution_due", "resolution_state", "resolution_remaining"]
            }
        });
    }
    headers.push("title");
    let mut records = Records::new(&headers);
    let tz = ctx.store.tz;
    let breached = rows
        .iter()
        .any(|(_, c)| c.worst() == Some(ClockState::Breached));
    for (t, clocks) in &rows {
        let mut row = vec![
            text(&t.id),
            text(&t.priority),
            text(t.status.key()),
            opt_text(t.assignee.as_deref()),
        ];
        for kind in TargetKind::ALL {
            match clocks.get(kind) {
                Some(c) => {
                    let due = c.due.map(|d| {
                        let local = d.with_timezone(&tz);
                        if format == Format::Table {
                            local.format("%m-%d %H:%M").to_string()
                        } else {
                            local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
                        }
                    });
                    row.push(opt_text(due));
                    row.push(text(c.state.name()));
                    row.push(if format == Format::Table {
                        text(format_seconds(c.remaining_seconds()))
                    } else {
                        dec(Some(c.remaining_seconds() as f64 / 3600.0), 2)
                    });
                }
                None => row.extend([Cell::Null, Cell::Null, Cell::Null]),
            }
        }
        row.push(text(&t.title));
        records.push(row);
    }
    records.write(out, format, ctx.term)?;
    scan.into_result()?;
    Ok(if args.exit_code && breached {
        super::exit::BREACHED
    } else {
        0
    })
}
