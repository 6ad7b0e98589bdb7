use std::io::Write;

use super::Context;
use crate::app;
use crate::clock::local_rfc3339;
use crate::error::Result;
use crate::model::Summary;
use crate::output::{dec, opt_text, text, Cell, Format, Records, Tone};
use crate::sla::{format_left, format_seconds, ClockState, TargetKind, TicketClocks};

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
    #[arg(long, value_parser = super::values::any_format())]
    pub format: Option<Format>,
    /// A table with every column of CSV (due, state and remaining of each
    /// target) instead of one cell per target.
    #[arg(long)]
    pub wide: bool,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &SlaArgs, out: &mut dyn Write) -> Result<u8> {
    let now = ctx.now_or(args.now.as_deref())?;
    let (rows, mut scan) = app::sla::sla_board(&ctx.store, now, args.all, args.breached)?;
    let format = ctx.term.format_or_default(args.format);
    let tz = ctx.store.settings.tz;
    let breached = rows
        .iter()
        .any(|(_, c)| c.worst() == Some(ClockState::Breached));
    let records = if format == Format::Table && !args.wide {
        compact(&rows, tz)
    } else {
        full(&rows, tz, format)
    };
    records.write_bom(out, format, ctx.term, args.bom)?;
    scan.into_result()?;
    Ok(if args.exit_code && breached {
        super::exit::BREACHED
    } else {
        0
    })
}

/// The colour of a clock's state on a terminal.
fn tone(state: ClockState) -> Tone {
    match state {
        ClockState::Breached => Tone::Alert,
        ClockState::AtRisk => Tone::Warn,
        ClockState::Met => Tone::Dim,
        ClockState::Running | ClockState::Paused => Tone::Plain,
    }
}

/// Closed tickets are dimmed whole.
fn tones(t: &Summary, cells: Vec<Tone>) -> Vec<Tone> {
    if t.status.is_open() {
        cells
    } else {
        vec![Tone::Dim; cells.len()]
    }
}

/// The terminal view: one cell per target (its state and due time), the
/// target due first with its time left (`next`), and the title. On a narrow
/// terminal the assignee, then the update, response and resolution cells
/// go, in that order: `next` still names the target that matters most.
fn compact(rows: &[(Summary, TicketClocks)], tz: chrono_tz::Tz) -> Records {
    let mut records = Records::new(&[
        "id",
        "priority",
        "status",
        "assignee",
        "response",
        "update",
        "resolution",
        "next",
        "title",
    ])
    .cut(&["title"])
    .spare(&[
        "assignee",
        "update",
        "response",
        "resolution",
        "priority",
        "status",
    ]);
    for (t, clocks) in rows {
        let (mut row, mut cell_tones) = leading_cells(t);
        for kind in TargetKind::ALL {
            match clocks.get(kind) {
                Some(c) => {
                    row.push(text(match c.due {
                        Some(due) => format!(
                            "{} {}",
                            c.state.name(),
                            due.with_timezone(&tz).format("%m-%d %H:%M")
                        ),
                        None => c.state.name().to_string(),
                    }));
                    cell_tones.push(tone(c.state));
                }
                None => {
                    row.push(Cell::Null);
                    cell_tones.push(Tone::Plain);
                }
            }
        }
        let next = clocks.next();
        row.push(opt_text(next.and_then(|c| {
            c.left_seconds()
                .map(|left| format!("{} {}", c.kind.name(), format_left(left)))
        })));
        cell_tones.push(next.map_or(Tone::Plain, |c| tone(c.state)));
        row.push(text(&t.title));
        cell_tones.push(Tone::Plain);
        records.push_toned(row, tones(t, cell_tones));
    }
    records
}

/// Every column: due, state and remaining of each target. Remaining is
/// empty for a met target; hours with two decimals outside tables.
fn full(rows: &[(Summary, TicketClocks)], tz: chrono_tz::Tz, format: Format) -> Records {
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
    // `--wide` is every column; on a terminal too narrow for them, the
    // title is cut, then each ticket is a block of its own (a vertical view).
    let mut records = Records::new(&headers).cut(&["title"]);
    for (t, clocks) in rows {
        let (mut row, mut cell_tones) = leading_cells(t);
        for kind in TargetKind::ALL {
            match clocks.get(kind) {
                Some(c) => {
                    let due = c.due.map(|d| {
                        if format == Format::Table {
                            d.with_timezone(&tz).format("%m-%d %H:%M").to_string()
                        } else {
                            local_rfc3339(&d, tz)
                        }
                    });
                    row.push(opt_text(due));
                    row.push(text(c.state.name()));
                    row.push(if format == Format::Table {
                        opt_text(c.left_seconds().map(format_seconds))
                    } else {
                        dec(c.left_seconds().map(|s| s as f64 / 3600.0), 2)
                    });
                    cell_tones.extend([tone(c.state); 3]);
                }
                None => {
                    row.extend([Cell::Null, Cell::Null, Cell::Null]);
                    cell_tones.extend([Tone::Plain; 3]);
                }
            }
        }
        row.push(text(&t.title));
        cell_tones.push(Tone::Plain);
        records.push_toned(row, tones(t, cell_tones));
    }
    records
}

/// The cells both views begin with (id, priority, status, assignee), untoned.
fn leading_cells(t: &Summary) -> (Vec<Cell>, Vec<Tone>) {
    let row = vec![
        text(&t.id),
        text(&t.priority),
        text(t.status.key()),
        opt_text(t.assignee.as_deref()),
    ];
    let tones = vec![Tone::Plain; row.len()];
    (row, tones)
}
