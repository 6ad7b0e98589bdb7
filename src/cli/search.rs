use std::io::Write;

use super::Context;
use crate::app::search::{self, Request};
use crate::clock::parse_date;
use crate::error::{Error, Result};
use crate::model::{Assignee, Field, Status, TicketFilter};
use crate::output::{opt_text, text, Format, Records, Tone};

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for: words in Chinese or English, "an exact phrase"
    /// (quoted for the shell too), -word to leave out (inside a quoted
    /// query, '打印机 -退款', or after --).
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Only these statuses (repeatable); every status by default.
    #[arg(long = "status", value_name = "STATUS")]
    pub statuses: Vec<String>,
    /// Only this customer's tickets: an ID, a name, a phone number or an
    /// e-mail address.
    #[arg(long)]
    pub customer: Option<String>,
    /// Only tickets assigned to this agent.
    #[arg(long, value_name = "AGENT")]
    pub assignee: Option<String>,
    /// Created on or after this date (YYYY-MM-DD, store time zone).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Created on or before this date (YYYY-MM-DD, store time zone).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// How many tickets to show, best first (1 to 1000).
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::any_format())]
    pub format: Option<Format>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &SearchArgs, out: &mut dyn Write) -> Result<()> {
    if !(1..=search::MAX_LIMIT).contains(&args.limit) {
        return Err(Error::invalid(
            "--limit",
            args.limit.to_string(),
            format!("from 1 to {}", search::MAX_LIMIT),
        ));
    }
    let mut statuses = Vec::new();
    for s in &args.statuses {
        let key = ctx.resolve(Field::Status, s)?;
        statuses.push(Status::from_key(&key).expect("configured statuses are validated"));
    }
    let filter = TicketFilter {
        statuses,
        kind: args
            .kind
            .as_deref()
            .map(|k| ctx.resolve(Field::Type, k))
            .transpose()?,
        assignee: args
            .assignee
            .as_deref()
            .map(|a| ctx.agent(a).map(Assignee::Agent))
            .transpose()?,
        since: args.since.as_deref().map(parse_date).transpose()?,
        until: args.until.as_deref().map(parse_date).transpose()?,
        ..TicketFilter::default()
    };
    let mut results = search::search(
        &ctx.store,
        &Request {
            query: args.query.join(" "),
            filter,
            customer: args.customer.clone(),
            limit: args.limit,
        },
    )?;
    print(ctx, &mut results, args.format, args.bom, out)
}

/// The hits of a search, or of `desk similar`, as records; the count on
/// stderr; the files that could not be read as the error.
pub(super) fn print(
    ctx: &Context,
    results: &mut search::Results,
    format: Option<Format>,
    bom: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let format = ctx.term.format_or_default(format);
    // On a terminal the words found stand out between 【】; elsewhere the
    // snippet is plain and JSON gives where they are.
    let mark = format == Format::Table && ctx.term.is_tty;
    let mut records = Records::new(&[
        "id",
        "score",
        "status",
        "type",
        "created",
        "title",
        "found_in",
        "snippet",
        "resolution",
    ])
    .cut(&["snippet", "title", "resolution"])
    .spare(&["found_in", "created", "type", "score"]);
    let shown = |snippet: &Option<search::Snippet>| match snippet {
        Some((what, text, ranges)) if mark => (Some(*what), marked(text, ranges)),
        Some((what, text, _)) => (Some(*what), text.clone()),
        None => (None, String::new()),
    };
    // Knowledge-base articles first: the team's curated answers. Their
    // status is `article`, their date the last update, their resolution
    // the solution they give.
    for a in &results.articles {
        let (found_in, snippet) = shown(&a.snippet);
        records.push(vec![
            text(&a.article.id),
            text(format!("{:.2}", a.score)),
            text("article"),
            text(a.article.front.types.join(",")),
            text(a.article.front.updated.to_string()),
            text(&a.article.front.title),
            opt_text(found_in),
            text(snippet),
            text(a.solution.split_whitespace().collect::<Vec<_>>().join(" ")),
        ]);
    }
    for f in &results.found {
        let t = &f.ticket;
        let (found_in, snippet) = shown(&f.snippet);
        let tone = if t.status.is_open() {
            Tone::Plain
        } else {
            Tone::Dim
        };
        records.push_toned(
            vec![
                text(&t.id),
                text(format!("{:.2}", f.score)),
                text(t.status.key()),
                text(&t.kind),
                text(
                    t.created
                        .0
                        .with_timezone(&ctx.store.settings.tz)
                        .format("%Y-%m-%d")
                        .to_string(),
                ),
                text(&t.title),
                opt_text(found_in),
                text(snippet),
                opt_text(f.resolution.as_deref()),
            ],
            vec![tone; 9],
        );
    }
    records.write_bom(out, format, ctx.term, bom)?;
    if results.found.is_empty() && results.articles.is_empty() {
        crate::output::message::say("no ticket matches");
    } else if results.matched > results.found.len() {
        crate::output::message::say(&format!(
            "{} of {} matching tickets shown (--limit)",
            results.found.len(),
            results.matched
        ));
    }
    Error::all(std::mem::take(&mut results.errors))
}

/// Each similar closed ticket on a line of its own, cut to `width`: its ID
/// and title, then how it was resolved. Another customer's case: personal
/// numbers and addresses masked, as in snippets.
pub(super) fn similar_lines(found: &[search::Found], width: Option<u16>) -> Vec<String> {
    found
        .iter()
        .map(|f| {
            let lead = format!("  {}  ", f.ticket.id);
            let said = match &f.resolution {
                Some(r) => format!("{} → {}", f.ticket.title, r),
                None => f.ticket.title.to_string(),
            };
            let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
            let said = crate::model::mask::personal_in(&said);
            crate::output::fitted(&lead, &crate::text::visible(&said), width)
        })
        .collect()
}

/// Said when similar cases are not looked up for want of an index.
pub(super) const NO_INDEX: &str = "similar closed tickets not looked up: this clone has no \
     search index yet (`desk search` or `desk cache rebuild` builds it)";

/// Tells on stderr the closed tickets most like ticket `id` and how they
/// were resolved (`desk new`, `desk mail-in`), as `hints` found them;
/// nothing without a search index. The ticket is written already: a
/// failure to look is a warning, never the command's error.
pub(super) fn tell_similar(id: &str, hints: Result<search::Hints>) {
    match hints {
        Ok(search::Hints::Found(r)) if !r.found.is_empty() => {
            crate::output::message::note(&format!("{id}: similar closed tickets:"));
            let width = crate::output::Terminal::stderr_width();
            for line in similar_lines(&r.found, width) {
                crate::output::message::say(&line);
            }
        }
        // Said by `desk show`, not by every ticket taken in (a script's,
        // cron's) until someone searches.
        Ok(_) => {}
        Err(e) => crate::output::message::warn(&format!(
            "{id}: similar closed tickets not looked up: {e}"
        )),
    }
}

/// The snippet with each word found between 【】.
fn marked(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(s, e) in ranges {
        out.push_str(&text[at..s]);
        out.push('【');
        out.push_str(&text[s..e]);
        out.push('】');
        at = e;
    }
    out.push_str(&text[at..]);
    out
}
