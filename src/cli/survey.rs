use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use super::customer::Shown;
use super::{optional_text, Context};
use crate::clock::{local_minute, local_rfc3339};
use crate::crypto::Keyring;
use crate::error::{Error, Result};
use crate::model::{
    mask, survey, Customer, CustomerField, Field, FieldValue, Revealed, Status, Survey,
};
use crate::output::message;
use crate::output::{dec, opt_text, text, Format, Records};

#[derive(Debug, clap::Args)]
pub struct SurveyArgs {
    /// The closed ticket the customer answered for (not with --due).
    #[arg(required_unless_present = "due")]
    pub id: Option<String>,
    /// DIMENSION=SCORE, 1..5 (5 = very satisfied); repeated for every
    /// dimension.
    #[arg(long = "score", value_name = "DIM=N")]
    pub scores: Vec<String>,
    /// Net promoter score, 0..10: how likely to recommend us.
    #[arg(long)]
    pub nps: Option<String>,
    /// The customer's own words.
    #[arg(long)]
    pub comment: Option<String>,
    /// The channel the survey was taken by.
    #[arg(long)]
    pub channel: Option<String>,
    /// The customer is unsatisfied whatever the scores: reopen.
    #[arg(long)]
    pub unsatisfied: bool,
    /// When the customer answered, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// List closed tickets still waiting for their survey, oldest first.
    #[arg(long, conflicts_with_all = ["id", "scores", "nps", "comment", "unsatisfied", "at"])]
    pub due: bool,
    /// With --due: evaluate at this time instead of now.
    #[arg(long, value_name = "TIME", requires = "due")]
    pub now: Option<String>,
    /// With --due: also closures whose survey window has passed.
    #[arg(long, requires = "due")]
    pub all: bool,
    /// With --due: the customers' names and phones in full, not masked.
    #[arg(long, requires = "due")]
    pub reveal: bool,
    /// With --due: output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::any_format(), requires = "due")]
    pub format: Option<Format>,
}

pub fn run(ctx: &Context, args: &SurveyArgs, out: &mut dyn Write) -> Result<()> {
    if args.due {
        return due(ctx, args, out);
    }
    let config = &ctx.store.config.survey;
    let dimensions: Vec<&str> = config.dimensions.iter().map(|d| d.key.as_str()).collect();
    let given = args.scores.iter().map(|s| {
        let (dim, value) = s.split_once('=').ok_or_else(|| {
            Error::invalid("--score", s, "expected DIMENSION=SCORE, e.g. attitude=5")
        })?;
        Ok((config.resolve(dim)?, value, s.as_str()))
    });
    let scores = survey::scores(&dimensions, given)?;
    let nps = args.nps.as_deref().map(survey::nps).transpose()?;
    let survey = Survey {
        scores,
        nps,
        comment: optional_text("comment", args.comment.as_deref())?,
        channel: args
            .channel
            .as_deref()
            .map(|c| ctx.resolve(Field::Channel, c))
            .transpose()?,
    };
    let unsatisfied = survey.unsatisfied(config.threshold, args.unsatisfied);
    let id = args
        .id
        .as_deref()
        .expect("clap requires an ID without --due");
    let ticket = ctx.modify(id, args.at.as_deref(), |t, at, by| {
        t.survey(survey, unsatisfied, at, by)
    })?;
    if ticket.status == Status::Closed {
        message::say(&format!(
            "{}: survey recorded; the customer is satisfied, the ticket stays closed",
            ticket.id
        ));
    } else {
        message::say(&format!(
            "{}: survey recorded; the customer is unsatisfied, so the ticket is reopened for {}",
            ticket.id,
            crate::text::visible(ticket.assignee.as_deref().unwrap_or("(unassigned)"))
        ));
    }
    Ok(())
}

fn due(ctx: &Context, args: &SurveyArgs, out: &mut dyn Write) -> Result<()> {
    let now = ctx.now_or(args.now.as_deref())?;
    let mut scan = ctx.store.summaries_where(true, survey::awaits_survey)?;
    let rows = survey::due(
        &scan.summaries,
        now,
        ctx.store.config.survey.window_hours,
        args.all,
    );
    let format = ctx.term.format_or_default(args.format);
    let mut records = Records::new(&[
        "id",
        "closed",
        "hours_left",
        "customer",
        "name",
        "phone",
        "assignee",
        "title",
    ])
    .cut(&["title"])
    // On a narrow terminal, what a caller needs least goes first.
    .spare(&["customer", "assignee", "closed"]);
    // Whom to call: each customer's name and phone, masked unless --reveal,
    // which needs no key: no sealed number is shown here.
    let clear_only = Keyring::locked("the survey list shows no encrypted number");
    let shown = Shown {
        reveal: args.reveal.then_some(&clear_only),
    };
    let mut whom: HashMap<&str, (String, Option<String>)> = HashMap::new();
    let mut revealed = Revealed::default();
    for due in &rows {
        let t = due.ticket;
        if whom.contains_key(t.customer.as_str()) {
            continue;
        }
        let found = match ctx.store.load_customer(&t.customer) {
            Ok(c) => {
                let phone = c.phone_to_call();
                if args.reveal {
                    revealed.add(
                        &c.id,
                        revealed_fields(&c, phone.as_ref()),
                        Default::default(),
                    );
                }
                (shown.name(&c), phone.and_then(|f| shown.field(&c, &f)))
            }
            Err(Error::NotFound { .. }) => (String::new(), None),
            Err(e) => {
                scan.errors.push(e);
                (String::new(), None)
            }
        };
        whom.insert(&t.customer, found);
    }
    for due in rows {
        let t = due.ticket;
        let (name, phone) = &whom[t.customer.as_str()];
        let (closed, tz) = (&due.closed.0, ctx.store.settings.tz);
        records.push(vec![
            text(&t.id),
            text(if format == Format::Table {
                local_minute(closed, tz)
            } else {
                local_rfc3339(closed, tz)
            }),
            dec(Some(due.hours_left()), 2),
            text(&t.customer),
            text(name),
            opt_text(phone.as_deref()),
            opt_text(t.assignee.as_deref()),
            text(&t.title),
        ]);
    }
    // Rendered first, recorded (when revealing), then printed.
    let mut text = Vec::new();
    records.write(&mut text, format, ctx.term)?;
    Shown::record(ctx, "survey --due", &revealed)?;
    out.write_all(&text)?;
    scan.into_result()
}

/// What the survey list shows of `c` in full with `--reveal`: the name and
/// the phone to call, where masking would hide them.
fn revealed_fields(c: &Customer, phone: Option<&CustomerField>) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    if mask::customer_name(c.kind, &c.name, c.salutation.as_deref()) != c.name {
        fields.insert(CustomerField::Name.key());
    }
    if let Some(field) = phone {
        if let Some(FieldValue::Text(t)) = c.get(field) {
            if mask::field(c.kind, field, &t) != t {
                fields.insert(field.key());
            }
        }
    }
    fields
}
