use std::io::Write;

use super::{keyring_for, parse_kind, Shown};
use crate::app;
use crate::cli::Context;
use crate::clock::{parse_span, Ambiguous, BareM, Timestamp};
use crate::error::{Error, Result};
use crate::model::{
    mask, ticket_input, validate, Activity, CustomerField, Dormancy, FieldValue, Revealed,
};
use crate::output::{int, opt_text, text, Format, Records};
use crate::store::CustomerSummary;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this kind: individual (个人) or enterprise (企业).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only customers this agent is responsible for.
    #[arg(long, value_name = "AGENT")]
    pub owner: Option<String>,
    /// Only customers from this source.
    #[arg(long)]
    pub source: Option<String>,
    /// Only VIP customers.
    #[arg(long)]
    pub vip: bool,
    /// Only customers with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only customers whose name contains this text.
    #[arg(long)]
    pub name: Option<String>,
    /// The customer with this phone number (any of its forms; contacts too).
    #[arg(long)]
    pub phone: Option<String>,
    /// The customer with this e-mail address (contacts too).
    #[arg(long)]
    pub email: Option<String>,
    /// The customer with this ID-card number (found by keyed hash; needs the key).
    #[arg(long)]
    pub id_card: Option<String>,
    /// The enterprise with this unified social credit code.
    #[arg(long)]
    pub credit_code: Option<String>,
    /// Dormant customers (待激活): no open ticket and no ticket activity or
    /// contact for SPAN (6mo, 180d; default from desk.yaml), oldest first.
    #[arg(long, value_name = "SPAN", num_args = 0..=1, default_missing_value = "")]
    pub dormant: Option<String>,
    /// The time dormancy is measured from (default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Show names, phones and e-mail addresses in full (recorded in the
    /// reveal log).
    #[arg(long)]
    pub reveal: bool,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = crate::cli::values::any_format())]
    pub format: Option<Format>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let config = &ctx.store.config;
    let kind = args.kind.as_deref().map(parse_kind).transpose()?;
    let owner = args.owner.as_deref().map(|o| ctx.agent(o)).transpose()?;
    let source = args
        .source
        .as_deref()
        .map(|s| config.customers.resolve_source(s))
        .transpose()?;
    // Compared by digits, as the duplicate guard does, whatever the spacing.
    let phone = args.phone.as_deref().map(validate::phone_key);
    let email = args.email.as_deref().map(|e| e.trim().to_lowercase());
    let credit_code = args
        .credit_code
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase());
    let id_card_lookup = match args.id_card.as_deref() {
        Some(raw) => {
            let plain = validate::id_card(raw)
                .map_err(|valid| Error::invalid("id_card", mask::number(raw), valid.to_string()))?;
            let ring = keyring_for(ctx, "finding a customer by ID-card number")?;
            Some(ring.lookup("id_card", &plain).map_err(|why| {
                Error::Refused(format!(
                    "finding a customer by ID-card number needs the key: {why}"
                ))
            })?)
        }
        None => None,
    };
    let dormancy = match args.dormant.as_deref() {
        None => None,
        Some(span) => {
            let span = if span.is_empty() {
                ctx.store.settings.dormant_after
            } else {
                let parsed =
                    parse_span(span).map_err(|why| Error::invalid("--dormant", span, why))?;
                if let Some(a) = Ambiguous::find("--dormant", span, BareM::Months) {
                    crate::output::message::warn(&format!("{}: {a}", a.key));
                }
                parsed
            };
            Some(Dormancy::new(span, ctx.now_or(args.now.as_deref())?))
        }
    };

    let scan = ctx.store.customer_summaries()?;
    let (activity, ticket_errors) = app::activity::activity_by_customer(&ctx.store)?;
    let none = Activity::default();
    let mut rows: Vec<(&CustomerSummary, &Activity, Timestamp)> = Vec::new();
    for c in &scan.summaries {
        let a = activity.get(&c.id).unwrap_or(&none);
        let last = a.last_activity(c.last_touch(), c.created);
        let keep = kind.is_none_or(|k| c.kind == k)
            && owner.as_ref().is_none_or(|o| c.owner.as_ref() == Some(o))
            && source.as_ref().is_none_or(|s| c.source.as_ref() == Some(s))
            && (!args.vip || c.vip)
            && args
                .tag
                .as_ref()
                .is_none_or(|t| c.tags.iter().any(|x| ticket_input::same_tag(x, t)))
            && args.name.as_ref().is_none_or(|n| {
                c.name.contains(n.as_str())
                    || c.contacts.iter().any(|x| x.name.contains(n.as_str()))
            })
            && phone
                .as_ref()
                .is_none_or(|p| c.phones().any(|x| validate::phone_key(x) == *p))
            && email
                .as_ref()
                .is_none_or(|e| c.emails().any(|x| x.to_lowercase() == *e))
            && credit_code
                .as_ref()
                .is_none_or(|code| c.credit_code.as_ref() == Some(code))
            && id_card_lookup
                .as_ref()
                .is_none_or(|l| c.id_card_lookup.as_ref() == Some(l));
        if keep {
            rows.push((c, a, last));
        }
    }
    if let Some(dormancy) = dormancy {
        rows = dormancy.select(rows, |(c, a, last)| (*a, *last, c.id.as_str()));
    }

    let keyring = Shown::keyring(ctx, args.reveal)?;
    let shown = Shown {
        reveal: keyring.as_ref(),
    };
    let mut records = Records::new(&[
        "id",
        "kind",
        "name",
        "phone",
        "email",
        "owner",
        "source",
        "vip",
        "tickets",
        "open",
        "last_activity",
    ])
    .cut(&["name", "email"])
    // On a narrow terminal these go first, so that ID, kind, name and phone stay.
    .spare(&["source", "owner", "tickets", "email", "last_activity"]);
    let tz = ctx.store.settings.tz;
    let mut revealed = Revealed::default();
    for (c, a, last) in rows {
        if args.reveal {
            revealed.add(&c.id, revealed_fields(c), Default::default());
        }
        records.push(vec![
            text(&c.id),
            text(c.kind.key()),
            text(shown.name_of(c.kind, &c.name, c.salutation.as_deref())),
            opt_text(shown_text(&shown, c, &CustomerField::Phone, &c.phone)),
            opt_text(shown_text(&shown, c, &CustomerField::Email, &c.email)),
            opt_text(c.owner.clone()),
            opt_text(c.source.clone()),
            text(if c.vip { "yes" } else { "no" }),
            int(a.tickets),
            int(a.open),
            text(last.0.with_timezone(&tz).format("%Y-%m-%d").to_string()),
        ]);
    }
    let format = ctx.term.format_or_default(args.format);
    // Rendered first, recorded (when revealing), then printed.
    let mut text = Vec::new();
    records.write_bom(&mut text, format, ctx.term, args.bom)?;
    Shown::record(ctx, "customer list", &revealed)?;
    out.write_all(&text)?;
    // Unreadable files are named after what could be listed.
    Error::all(ticket_errors)?;
    scan.into_result()
}

/// The fields of a summary that `--reveal` shows in full: those of the
/// list's columns that are masked otherwise.
fn revealed_fields(c: &CustomerSummary) -> std::collections::BTreeSet<String> {
    let mut fields = std::collections::BTreeSet::new();
    if mask::customer_name(c.kind, &c.name, c.salutation.as_deref()) != c.name {
        fields.insert(CustomerField::Name.key());
    }
    for (field, value) in [
        (CustomerField::Phone, &c.phone),
        (CustomerField::Email, &c.email),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| mask::field(c.kind, &field, v) != v)
        {
            fields.insert(field.key());
        }
    }
    fields
}

/// A text field of a summary as it may be shown (masked unless revealing).
fn shown_text(
    shown: &Shown,
    c: &CustomerSummary,
    field: &CustomerField,
    value: &Option<String>,
) -> Option<String> {
    let value = FieldValue::Text(value.clone()?);
    Some(shown.value(c.kind, field, &value))
}
