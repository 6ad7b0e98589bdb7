use std::io::Write;

use super::{optional_text, required_text, Context};
use crate::app;
use crate::error::Result;
use crate::model::{ticket_input, Field, NewTicket, Ticket};

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The customer's ID (C000001); the customer must exist (`desk customer add`).
    #[arg(long)]
    pub customer: String,
    /// Request type (a key, its label or an alias).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: String,
    /// The ticket's priority.
    #[arg(long)]
    pub priority: String,
    /// The channel the request came in by.
    #[arg(long)]
    pub channel: String,
    /// A short, objective summary ("the product does not power on").
    #[arg(long)]
    pub title: String,
    /// The full description; `-` reads it from stdin.
    #[arg(long)]
    pub description: Option<String>,
    /// What the customer expects ("solve within 24 hours").
    #[arg(long)]
    pub expectation: Option<String>,
    /// A free-form category (product problem, logistics, price, ...).
    #[arg(long)]
    pub category: Option<String>,
    /// A tag, or several separated by commas; repeatable. Each is kept once.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Assign at once to this agent.
    #[arg(long, value_name = "AGENT")]
    pub assign: Option<String>,
    /// When the request came in, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &NewArgs, out: &mut dyn Write) -> Result<()> {
    let customer = ctx.existing_customer(&args.customer)?;
    for tag in &args.tags {
        ticket_input::required("tag", tag)?;
    }
    let new = NewTicket {
        title: ticket_input::title(&required_text("title", &args.title)?)?,
        customer,
        kind: ctx.resolve(Field::Type, &args.kind)?,
        category: match args.category.as_deref() {
            Some(c) => ticket_input::category(&required_text("category", c)?)?,
            None => None,
        },
        tags: ticket_input::tags(args.tags.iter().map(String::as_str))?,
        channel: ctx.resolve(Field::Channel, &args.channel)?,
        priority: ctx.resolve(Field::Priority, &args.priority)?,
        description: match args.description.as_deref() {
            Some(d) => required_text("description", d)?,
            None => String::new(),
        },
        expectation: optional_text("expectation", args.expectation.as_deref())?,
        assignee: args
            .assign
            .as_deref()
            .map(|a| ctx.assignable_agent(a))
            .transpose()?,
    };
    let at = ctx.event_time(args.at.as_deref())?;
    let (ticket, outcomes) = app::rules::create_ticket_by_rules(&ctx.store, at, |id| {
        Ticket::create(id, new, at, ctx.actor())
    })?;
    writeln!(out, "{}", ticket.id)?;
    // The ID first, on a terminal too: what follows is said on stderr.
    out.flush()?;
    super::tell_rules(&ticket.id, &outcomes);
    super::search::tell_similar(&ticket.id, app::search::hints(&ctx.store, &ticket));
    ctx.deliver_at_once(&ticket.id, &outcomes);
    Ok(())
}
