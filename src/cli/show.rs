use std::io::Write;

use unicode_width::UnicodeWidthStr;

use super::Context;
use crate::clock::local_minute;
use crate::error::Result;
use crate::model::{inline_value, Action, Event, Field, Mark, Payload, Ticket};
use crate::output::message;
use crate::output::{fitted, pad};
use crate::sla::{format_seconds, replay, ClockKind};
use crate::store::render_ticket;
use crate::text::visible;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    /// A readable view with the history.
    Text,
    /// The file as stored.
    Yaml,
    /// The ticket as one JSON object.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// How to show the ticket.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
    #[command(flatten)]
    pub as_of: super::AsOf,
}

pub fn run(ctx: &Context, args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let id = ctx.ticket_id(&args.id)?;
    let ticket = ctx.store.load_ticket(&id)?;
    match args.format {
        ShowFormat::Yaml => out.write_all(render_ticket(&ticket).as_bytes())?,
        ShowFormat::Json => {
            out.write_all(&crate::app::ticket_json(&ticket))?;
        }
        ShowFormat::Text => write_text(ctx, &ticket, out)?,
    }
    Ok(())
}

fn labelled(ctx: &Context, field: Field, key: &str) -> String {
    match ctx.store.config.label(field, key) {
        Some(label) => format!("{key} ({label})"),
        None => key.to_string(),
    }
}

fn write_text(ctx: &Context, t: &Ticket, out: &mut dyn Write) -> Result<()> {
    let config = &ctx.store.config;
    let local = |e: &crate::clock::Timestamp| local_minute(&e.0, ctx.store.settings.tz);
    // Stored text is shown through `visible`: it cannot drive the terminal.
    writeln!(out, "{}  {}", t.id, visible(&t.title))?;
    let mut rows: Vec<(&str, String)> = vec![
        ("status", labelled(ctx, Field::Status, t.status.key())),
        ("priority", labelled(ctx, Field::Priority, &t.priority)),
        ("type", labelled(ctx, Field::Type, &t.kind)),
        ("channel", labelled(ctx, Field::Channel, &t.channel)),
        ("customer", customer_line(ctx, &t.customer)),
        (
            "assignee",
            match &t.assignee {
                Some(a) => match config.agent(a) {
                    Some(agent) => format!("{a} ({})", agent.name),
                    None => a.clone(),
                },
                None => "-".into(),
            },
        ),
        ("created", local(&t.created)),
    ];
    if let Some(c) = &t.category {
        rows.push(("category", c.clone()));
    }
    if !t.tags.is_empty() {
        rows.push(("tags", t.tags.join(", ")));
    }
    if let Some(e) = &t.expectation {
        rows.push(("expects", e.clone()));
    }
    if let Some(r) = &t.resolution {
        rows.push(("resolution", r.clone()));
    }
    for close in t.closes_of_closure().filter(|_| t.resolution.is_some()) {
        if let Some(c) = &close.compensation {
            rows.push(("compensation", c.clone()));
        }
        if let Some(f) = &close.followup {
            rows.push(("follow-up", f.clone()));
        }
    }
    for (label, value) in rows {
        writeln!(out, "  {label:<13}{}", visible(&value))?;
    }
    if !t.description.is_empty() {
        // Every line behind a bar, so a description cannot forge the
        // fields, clocks or history around it.
        writeln!(out, "\ndescription:")?;
        for line in t.description.lines() {
            writeln!(out, "  │ {}", visible(line).trim_end())?;
        }
    }
    write_clocks(ctx, t, out)?;
    write_related(ctx, t, out)?;
    write_similar(ctx, t, out)?;
    writeln!(out, "\nhistory:")?;
    // One column for who, as wide as the longest (a rule's name can be long).
    let by_width = t
        .history
        .iter()
        .map(|e| visible(&e.by).width())
        .max()
        .unwrap_or(0)
        .max(12);
    for event in &t.history {
        writeln!(
            out,
            "  {}  {} {}",
            local(&event.at),
            pad(&visible(&event.by), by_width),
            visible(&describe(event))
        )?;
    }
    Ok(())
}

/// The customer's ID and masked name (张*, *女士, or the company's name).
fn customer_line(ctx: &Context, id: &str) -> String {
    match ctx.store.load_customer(id) {
        Ok(c) => {
            let shown = crate::cli::customer::Shown { reveal: None };
            format!(
                "{id} {}{}",
                shown.name(&c),
                if c.vip { " [VIP]" } else { "" }
            )
        }
        Err(crate::Error::NotFound { .. }) => format!("{id} (no customer record)"),
        Err(e) => format!("{id} (unreadable: {e})"),
    }
}

/// The customer's other open tickets: the seed's "related history".
fn write_related(ctx: &Context, t: &Ticket, out: &mut dyn Write) -> Result<()> {
    let scan = ctx
        .store
        .summaries_where(true, |o| o.customer == t.customer && o.status.is_open())?;
    // The ticket itself was read; the list below may miss tickets in files
    // that could not be: name them.
    for e in &scan.errors {
        message::warn(&format!("{e}"));
    }
    let mut related: Vec<&crate::model::Summary> = scan
        .summaries
        .iter()
        .filter(|o| o.customer == t.customer && o.id != t.id && o.status.is_open())
        .collect();
    if related.is_empty() {
        return Ok(());
    }
    related.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    writeln!(out, "\nother open tickets of {}:", visible(&t.customer))?;
    for o in related {
        // The title cut to the terminal's width.
        let lead = format!(
            "  {}  {:<11}  {}  ",
            o.id,
            o.status.key(),
            pad(&visible(&o.priority), 9),
        );
        let line = fitted(&lead, &visible(&o.title), ctx.term.width);
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The closed tickets most like this one, with how they were resolved
/// (desk.yaml's `search.similar` of them).
fn write_similar(ctx: &Context, t: &Ticket, out: &mut dyn Write) -> Result<()> {
    let mut results = match crate::app::search::hints(&ctx.store, t)? {
        crate::app::search::Hints::Found(r) => r,
        crate::app::search::Hints::NoIndex => {
            message::note(super::search::NO_INDEX);
            return Ok(());
        }
        crate::app::search::Hints::Off => return Ok(()),
    };
    for e in std::mem::take(&mut results.errors) {
        message::warn(&format!("{e}"));
    }
    if results.found.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nsimilar closed tickets:")?;
    for line in super::search::similar_lines(&results.found, ctx.term.width) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Each SLA clock of the ticket: due, elapsed, remaining or overrun.
fn write_clocks(ctx: &Context, t: &Ticket, out: &mut dyn Write) -> Result<()> {
    let (policy, calendar) = ctx.store.sla()?;
    let clocks = replay(
        &Mark::of_history(&t.history),
        &t.priority,
        policy,
        calendar,
        ctx.now.0.with_timezone(&chrono::Utc),
    );
    if clocks.clocks.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nsla:")?;
    for c in &clocks.clocks {
        let due = c
            .due
            .map(|d| local_minute(&d, ctx.store.settings.tz))
            .unwrap_or_else(|| "-".into());
        let clock = match c.clock {
            ClockKind::Calendar => "",
            ClockKind::Working => " working",
        };
        // Nothing is left to do on a met target.
        let left = match c.left_seconds() {
            Some(left) if left >= 0 => format!(", {} left", format_seconds(left)),
            Some(left) => format!(", {} over", format_seconds(-left)),
            None => String::new(),
        };
        writeln!(
            out,
            "  {:<11}{:<9} target {}{clock}, due {due}, elapsed {}{left}",
            c.kind.name(),
            c.state.name(),
            format_seconds(c.target_seconds),
            format_seconds(c.elapsed_seconds),
        )?;
    }
    Ok(())
}

/// One line per event, as a person would say it.
fn text_field(e: &Event, name: &str) -> Option<String> {
    e.field(name).and_then(|v| v.as_str().map(str::to_string))
}

fn describe(e: &Event) -> String {
    // A known action whose event lacks a field it needs is read as `Other`;
    // it is shown from the fields it has.
    let or_unknown = |name: &str| text_field(e, name).unwrap_or_else(|| "?".to_string());
    let mut text = match &e.payload {
        Payload::Created(_) => "created".to_string(),
        Payload::Assigned(a) => format!("assigned to {}", a.to),
        Payload::Updated(u) => match &u.status {
            Some(s) => format!("updated, now {s}"),
            None => "updated".to_string(),
        },
        Payload::Closed(c) => format!("closed: {}", c.resolution.as_deref().unwrap_or("")),
        Payload::Reopened(r) => format!("reopened: {}", r.reason.as_deref().unwrap_or("")),
        Payload::Edited(edit) => format!(
            "edited {}: {} → {}",
            edit.field,
            inline_value(edit.from.as_ref(), false),
            inline_value(edit.to.as_ref(), false)
        ),
        Payload::Surveyed(s) => {
            let scores = s
                .scores
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            match s.nps {
                Some(n) => format!("surveyed: {scores} nps={n}"),
                None => format!("surveyed: {scores}"),
            }
        }
        // A reference to its rule's action: the template or command an
        // older desk wrote beside it is not what `desk run` uses, and not
        // shown (`desk outbox` shows what the rule uses now).
        Payload::Queued(q) => match e.field("to") {
            Some(to) => format!(
                "queued {} to {} ({})",
                q.via.as_deref().unwrap_or("?"),
                inline_value(Some(&to), false),
                q.key
            ),
            None => format!("queued {} ({})", q.via.as_deref().unwrap_or("?"), q.key),
        },
        Payload::Notified(n) => format!(
            "notified by {} ({})",
            n.via.as_deref().unwrap_or("?"),
            n.key
        ),
        Payload::DeliveryFailed(f) => format!(
            "delivery {} attempt {} failed: {}; {} ({})",
            f.via.as_deref().unwrap_or("?"),
            f.attempt.unwrap_or(0),
            // Masked, as recorded since; older histories may not be.
            crate::model::mask::personal_in(f.error.as_deref().unwrap_or("?")),
            match &f.next_attempt {
                Some(t) => format!("next attempt {t}"),
                None => "given up".to_string(),
            },
            f.key
        ),
        Payload::Fired(f) => format!("time rule fired ({})", f.key),
        Payload::Received(r) => {
            // Who wrote, masked: a mail threaded in by its headers may
            // come from someone other than the customer.
            let mut text = format!(
                "e-mail received from {}: {}",
                crate::model::mask::email(&r.from),
                r.subject.as_deref().unwrap_or("")
            );
            for a in &r.attachments {
                match &a.refused {
                    None => text.push_str(&format!(" [attachment {}, {} bytes]", a.name, a.size)),
                    Some(why) => text.push_str(&format!(" [attachment {} refused: {why}]", a.name)),
                }
            }
            text
        }
        Payload::Assessed(a) => format!(
            "assessed the customer's words as {} ({})",
            a.sentiment.name(),
            a.sentiment.label()
        ),
        Payload::Attached(a) => {
            let mut text = String::from("attached");
            for f in &a.attachments {
                text.push_str(&format!(" [{}, {} bytes]", f.name, f.size));
            }
            text
        }
        Payload::Replied(r) => {
            let mut text = format!(
                "replied to {} by e-mail: {}",
                r.to,
                r.subject.as_deref().unwrap_or("")
            );
            for a in &r.attachments {
                text.push_str(&format!(" [attachment {}, {} bytes]", a.name, a.size));
            }
            text
        }
        Payload::Other(name) => match e.action() {
            Action::Assigned => format!("assigned to {}", or_unknown("to")),
            Action::Edited => format!(
                "edited ?: {} → {}",
                inline_value(e.field("from").as_ref(), false),
                inline_value(e.field("to").as_ref(), false)
            ),
            Action::Queued => match e.field("to") {
                Some(to) => format!(
                    "queued {} to {} (?)",
                    or_unknown("via"),
                    inline_value(Some(&to), false)
                ),
                None => format!("queued {} (?)", or_unknown("via")),
            },
            Action::Notified => format!("notified by {} (?)", or_unknown("via")),
            Action::DeliveryFailed => format!(
                "delivery {} attempt {} failed: {}; {} (?)",
                or_unknown("via"),
                e.field("attempt").and_then(|v| v.as_u64()).unwrap_or(0),
                crate::model::mask::personal_in(&or_unknown("error")),
                match text_field(e, "next_attempt") {
                    Some(t) => format!("next attempt {t}"),
                    None => "given up".to_string(),
                },
            ),
            Action::Fired => "time rule fired (?)".to_string(),
            _ => name.clone(),
        },
    };
    for n in [text_field(e, "note"), text_field(e, "comment")]
        .into_iter()
        .flatten()
    {
        text.push_str(&format!(" — {}", n.replace('\n', " ")));
    }
    text
}
