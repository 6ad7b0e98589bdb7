use std::io::Write;

use super::export::customer_json;
use super::Shown;
use crate::cli::Context;
use crate::clock::local_minute;
use crate::error::Result;
use crate::model::{ContactField, Customer, CustomerField, Revealed, Summary};
use crate::output::{fitted, pad};
use crate::text::visible;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    /// A readable view: the record, its tickets, its change log.
    Text,
    /// One JSON object with `tickets` and `changes`.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The customer ID (C000001).
    pub id: String,
    /// How to show the customer.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
    /// Show personal data in full, recorded in the reveal log (ID-card and
    /// bank-card numbers need the decryption identity).
    #[arg(long)]
    pub reveal: bool,
}

pub fn run(ctx: &Context, args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let id = ctx.store.customer_id(&args.id)?;
    let customer = ctx.store.load_customer(&id)?;
    let keyring = Shown::keyring(ctx, args.reveal)?;
    let shown = Shown {
        reveal: keyring.as_ref(),
    };
    shown.check_open(&customer, true)?;
    let mut scan = ctx.store.summaries_where(true, |t| t.customer == id)?;
    let mut tickets: Vec<&Summary> = scan.summaries.iter().collect();
    tickets.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    // Rendered first, recorded (when revealing), then printed: nothing is
    // revealed unrecorded, and a failed command records nothing.
    let mut text = Vec::new();
    match args.format {
        ShowFormat::Json => write_json(&customer, &shown, &tickets, &mut text)?,
        ShowFormat::Text => write_text(ctx, &customer, &shown, &tickets, &mut text)?,
    }
    let mut revealed = Revealed::default();
    let (fields, sealed) = shown.revealed(&customer, true);
    revealed.add(&customer.id, fields, sealed);
    Shown::record(ctx, "customer show", &revealed)?;
    out.write_all(&text)?;
    scan.into_result()
}

fn write_json(
    c: &Customer,
    shown: &Shown,
    tickets: &[&Summary],
    out: &mut dyn Write,
) -> Result<()> {
    use serde_json::{json, Value as J};
    let mut map = customer_json(c, shown);
    map.insert(
        "tickets".into(),
        J::Array(
            tickets
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id, "status": t.status.key(), "priority": t.priority,
                        "type": t.kind, "title": t.title, "created": t.created.to_string(),
                    })
                })
                .collect(),
        ),
    );
    map.insert(
        "changes".into(),
        J::Array(
            c.changes
                .iter()
                .map(|ch| {
                    let field = CustomerField::parse(&ch.field);
                    let value = |v: &Option<crate::model::FieldValue>| match (&field, v) {
                        (Some(f), Some(v)) => J::String(shown.value(c.kind, f, v)),
                        _ => J::Null,
                    };
                    json!({
                        "at": ch.at.to_string(), "by": ch.by, "field": ch.field,
                        "from": value(&ch.from), "to": value(&ch.to),
                    })
                })
                .collect(),
        ),
    );
    serde_json::to_writer_pretty(&mut *out, &J::Object(map)).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

fn write_text(
    ctx: &Context,
    c: &Customer,
    shown: &Shown,
    tickets: &[&Summary],
    out: &mut dyn Write,
) -> Result<()> {
    let local = |t: &crate::clock::Timestamp| local_minute(&t.0, ctx.store.settings.tz);
    let kind_label = match c.kind {
        crate::model::CustomerKind::Individual => "individual (个人)",
        crate::model::CustomerKind::Enterprise => "enterprise (企业)",
    };
    writeln!(
        out,
        "{}  {}{}",
        c.id,
        visible(&shown.name(c)),
        if c.vip { "  [VIP]" } else { "" }
    )?;
    let mut rows: Vec<(String, String)> = vec![("kind".into(), kind_label.into())];
    for field in CustomerField::SIMPLE {
        if matches!(field, CustomerField::Name | CustomerField::Vip) {
            continue;
        }
        let value = match field {
            CustomerField::FirstContact => c.first_contact.as_ref().map(local),
            CustomerField::LastContact => c.last_contact.as_ref().map(local),
            CustomerField::Source => c.source.as_ref().map(|s| {
                match crate::config::find_choice(&ctx.store.config.customers.sources, s)
                    .and_then(|ch| ch.label.clone())
                {
                    Some(label) => format!("{s} ({label})"),
                    None => s.clone(),
                }
            }),
            CustomerField::Owner => c.owner.as_ref().map(|o| match ctx.store.config.agent(o) {
                Some(a) => format!("{o} ({})", a.name),
                None => o.clone(),
            }),
            _ => shown.field(c, &field),
        };
        if let Some(v) = value {
            rows.push((field.key(), v));
        }
    }
    for field in c.custom_fields() {
        if let Some(v) = shown.field(c, &field) {
            rows.push((field.key(), v));
        }
    }
    for (i, contact) in c.contacts.iter().enumerate() {
        let mut parts = vec![shown.contact_name(contact)];
        for f in [ContactField::Role, ContactField::Phone, ContactField::Email] {
            if let Some(v) = shown.field(c, &CustomerField::Contact(i, f)) {
                parts.push(v);
            }
        }
        rows.push((format!("contact {}", i + 1), parts.join(", ")));
    }
    rows.push((
        "created".into(),
        format!("{} by {}", local(&c.created), c.created_by),
    ));
    for (k, v) in &rows {
        // Stored text is shown through `visible`: it cannot drive the terminal.
        writeln!(out, "  {} {}", pad(&visible(k), 14), visible(v))?;
    }
    let open = tickets.iter().filter(|t| t.status.is_open()).count();
    writeln!(out, "\ntickets ({}, {open} open)", tickets.len())?;
    for t in tickets {
        // The title cut to the terminal's width.
        let lead = format!(
            "  {}  {:<11}  {}  {}  ",
            t.id,
            t.status.key(),
            pad(&visible(&t.priority), 9),
            pad(&visible(&t.kind), 12),
        );
        let line = fitted(&lead, &visible(&t.title), ctx.term.width);
        writeln!(out, "{line}")?;
    }
    writeln!(out, "\nchanges ({})", c.changes.len())?;
    for ch in &c.changes {
        let field = CustomerField::parse(&ch.field);
        let value = |v: &Option<crate::model::FieldValue>| match (&field, v) {
            (Some(f), Some(v)) => shown.value(c.kind, f, v),
            (None, Some(_)) => "?".into(),
            (_, None) => "-".into(),
        };
        writeln!(
            out,
            "  {}  {}  {}: {} -> {}",
            local(&ch.at),
            visible(&ch.by),
            visible(&ch.field),
            visible(&value(&ch.from)),
            visible(&value(&ch.to))
        )?;
    }
    Ok(())
}
