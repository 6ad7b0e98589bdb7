use std::io::Write;

use chrono::NaiveDate;

use super::Context;
use crate::clock::parse_date;
use crate::config::Field;
use crate::error::Result;
use crate::model::{Status, Summary};
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
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
}

struct Filter {
    statuses: Vec<Status>,
    priority: Option<String>,
    kind: Option<String>,
    assignee: Option<String>,
    customer: Option<String>,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
}

impl Filter {
    fn from_args(ctx: &Context, args: &ListArgs) -> Result<Filter> {
        let mut statuses = Vec::new();
        for s in &args.statuses {
            let key = ctx.resolve(Field::Status, s)?;
            statuses.push(Status::from_key(&key).expect("configured statuses are validated"));
        }
        if statuses.is_empty() && !args.all {
            statuses = vec![Status::Open, Status::InProgress, Status::Pending];
        }
        Ok(Filter {
            statuses,
            priority: args
                .priority
                .as_deref()
                .map(|p| ctx.resolve(Field::Priority, p))
                .transpose()?,
            kind: args
                .kind
                .as_deref()
                .map(|k| ctx.resolve(Field::Type, k))
                .transpose()?,
            assignee: args.assignee.as_deref().map(|a| ctx.agent(a)).transpose()?,
            customer: args.customer.clone(),
            since: args.since.as_deref().map(parse_date).transpose()?,
            until: args.until.as_deref().map(parse_date).transpose()?,
        })
    }

    fn matches(&self, ctx: &Context, t: &Summary) -> bool {
        let day = t.created.0.with_timezone(&ctx.store.tz).date_naive();
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && self.priority.as_ref().is_none_or(|p| t.priority == *p)
            && self.kind.as_ref().is_none_or(|k| t.kind == *k)
            && self
                .assignee
                .as_ref()
                .is_none_or(|a| t.assignee.as_deref() == Some(a.as_str()))
            && self
                .customer
                .as_ref()
                .is_none_or(|c| t.customer.eq_ignore_ascii_case(c))
            && self.since.is_none_or(|s| day >= s)
            && self.until.is_none_or(|u| day <= u)
    }
}

pub fn run(ctx: &Context, args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let filter = Filter::from_args(ctx, args)?;
    let mut scan = ctx
        .store
        .summaries_where(true, |t| filter.matches(ctx, t))?;
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
            t.created
                .0
                .with_timezone(&ctx.store.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
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
    scan.into_result()
}
