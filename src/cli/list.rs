use std::io::Write;

use super::Context;
use crate::clock::{local_minute, parse_date};
use crate::error::{Error, Result};
use crate::model::{Assignee, Field, Status, Summary, TicketFilter};
use crate::output::{opt_text, text, Format, Records, Tone};

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only these statuses (repeatable).
    #[arg(long = "status", value_name = "STATUS")]
    pub statuses: Vec<String>,
    /// Only this priority.
    #[arg(long)]
    pub priority: Option<String>,
    /// Only this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Only tickets assigned to this agent.
    #[arg(long, value_name = "AGENT")]
    pub assignee: Option<String>,
    /// Only tickets assigned to nobody.
    #[arg(long, conflicts_with = "assignee")]
    pub unassigned: bool,
    /// Only tickets that came in through this channel (key, label or alias: 微信, 邮件, ...).
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,
    /// Only tickets of this category (free-form; Latin letters in any case).
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Only tickets with this tag (repeatable: every tag given).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only this customer's tickets (C000001).
    #[arg(long)]
    pub customer: Option<String>,
    /// Created on or after this date (YYYY-MM-DD, store time zone).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Created on or before this date (YYYY-MM-DD, store time zone).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Include closed tickets.
    #[arg(long)]
    pub all: bool,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::any_format())]
    pub format: Option<Format>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
    #[command(flatten)]
    pub as_of: super::AsOf,
}

/// A category or tag to look for: any text but none (tickets store them
/// trimmed). Unlike `required_text`, `-` is a value, not stdin.
fn free_form(what: &str, value: &str) -> Result<String> {
    match value.trim() {
        "" => Err(Error::invalid(
            what,
            value,
            format!("the {what} to look for must not be blank"),
        )),
        v => Ok(v.to_string()),
    }
}

/// The filter the options ask for, with labels and aliases resolved.
fn filter_of(ctx: &Context, args: &ListArgs) -> Result<TicketFilter> {
    let mut statuses = Vec::new();
    for s in &args.statuses {
        let key = ctx.resolve(Field::Status, s)?;
        statuses.push(Status::from_key(&key).expect("configured statuses are validated"));
    }
    if statuses.is_empty() && !args.all {
        // Open work: every status but closed.
        statuses = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    }
    let resolve = |field: Field, value: &Option<String>| {
        value.as_deref().map(|v| ctx.resolve(field, v)).transpose()
    };
    let assignee = match (&args.assignee, args.unassigned) {
        (Some(a), _) => Some(Assignee::Agent(ctx.agent(a)?)),
        (None, true) => Some(Assignee::Nobody),
        (None, false) => None,
    };
    Ok(TicketFilter {
        statuses,
        priority: resolve(Field::Priority, &args.priority)?,
        kind: resolve(Field::Type, &args.kind)?,
        channel: resolve(Field::Channel, &args.channel)?,
        assignee,
        customer: args.customer.clone(),
        category: args
            .category
            .as_deref()
            .map(|c| free_form("category", c))
            .transpose()?,
        tags: args
            .tags
            .iter()
            .map(|t| free_form("tag", t))
            .collect::<Result<_>>()?,
        since: args.since.as_deref().map(parse_date).transpose()?,
        until: args.until.as_deref().map(parse_date).transpose()?,
    })
}

pub fn run(ctx: &Context, args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let filter = filter_of(ctx, args)?;
    let mut scan = ctx
        .store
        .summaries_where(true, |t| filter.matches(t, ctx.store.settings.tz))?;
    let mut tickets: Vec<&Summary> = scan.summaries.iter().collect();
    tickets.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));

    let format = ctx.term.format_or_default(args.format);
    let mut records = Records::new(&[
        "id", "created", "status", "priority", "type", "channel", "assignee", "customer", "title",
    ])
    .cut(&["title"])
    // On a narrow terminal these go first, so that ID, status, priority,
    // assignee and some of the title stay.
    .spare(&["channel", "type", "customer", "created"]);
    for t in tickets {
        let created = if format == Format::Table {
            local_minute(&t.created.0, ctx.store.settings.tz)
        } else {
            t.created.to_rfc3339()
        };
        let tone = if t.status.is_open() {
            Tone::Plain
        } else {
            Tone::Dim
        };
        records.push_toned(
            vec![
                text(&t.id),
                text(created),
                text(t.status.key()),
                text(&t.priority),
                text(&t.kind),
                text(&t.channel),
                opt_text(t.assignee.as_deref()),
                text(&t.customer),
                text(&t.title),
            ],
            vec![tone; 9],
        );
    }
    records.write_bom(out, format, ctx.term, args.bom)?;
    // A sparse clone lists what it holds, and says what it does not.
    let missing = ctx.store.months_not_here();
    if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
        crate::output::message::note(&format!(
            "this sparse clone holds no tickets of {} month(s) ({} to {}); they are not listed",
            missing.len(),
            first.replace('/', "-"),
            last.replace('/', "-")
        ));
    }
    scan.into_result()
}
