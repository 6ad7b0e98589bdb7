use std::io::Write;

use super::{optional_text, Context};
use crate::error::Result;
use crate::model::Sentiment;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct SentimentArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// How the customer's words so far feel: positive, neutral, negative or
    /// suggestion (正面, 中性, 负面, 建议).
    pub sentiment: String,
    /// Why ("sarcasm: 真是太快了，等了三天"); `-` reads stdin.
    #[arg(long, short = 'm')]
    pub note: Option<String>,
    /// When it was judged, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &SentimentArgs, _out: &mut dyn Write) -> Result<()> {
    let sentiment = Sentiment::parse(&args.sentiment)?;
    let note = optional_text("--note", args.note.as_deref())?;
    let mut when = None;
    let ticket = ctx.modify(&args.id, args.at.as_deref(), |t, at, by| {
        when = Some(at);
        t.assess(sentiment, note, at, by)
    })?;
    // Backdated before another assessment: that one still says how the
    // words read.
    let later = ticket
        .latest_assessment()
        .filter(|(at, _)| Some(*at) > when)
        .map(|(_, reading)| reading);
    match later {
        Some(later) => message::say(&format!(
            "{}: recorded; a later assessment ({}) still says how the words read in reports",
            ticket.id,
            later.name()
        )),
        None => message::say(&format!(
            "{}: the customer's words so far read as {} ({}) in reports",
            ticket.id,
            sentiment.name(),
            sentiment.label()
        )),
    }
    Ok(())
}
