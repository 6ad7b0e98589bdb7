//! The `sentiment` section: what customers said in the period (the
//! descriptions of complaints, survey comments and mail received, each
//! dated; the store gathers them in `app::report`), classified by
//! `sentiment::classify`, beside the surveys' scores, the primary signal.

use chrono::NaiveDate;

use super::sentiment::{self, Sentiment};
use super::{mean, pct, Period, Report};
use crate::clock::Timestamp;
use crate::model::{Payload, Ticket};
use crate::output::{dec, int, text, Records};

/// One text of a customer's (a complaint's description on its creation,
/// a survey's comment, a mail received), as the sections read it: its
/// local date, how [`sentiment::classify`] read it (or an agent, who may
/// overrule it), its ticket, what it is, and its first words, masked, which
/// the `themes` section quotes. Read once, where the texts are gathered
/// (on all cores).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    pub date: NaiveDate,
    pub reading: Sentiment,
    pub ticket: String,
    pub source: Source,
    pub quote: String,
}

/// What a customer's text was, in the order a theme quotes them: what
/// they said of the outcome first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Survey,
    Mail,
    /// The ticket's description: a customer's words when the ticket is of
    /// a complaint type (`report.complaint_types`), which the reader of
    /// [`said`] decides.
    Description,
}

/// One text of a customer's on a ticket, read: when it was written, what
/// it was, how it reads, and its quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub at: Timestamp,
    pub source: Source,
    pub reading: Sentiment,
    pub quote: String,
}

/// The texts of a customer's on `ticket` that `wanted` keeps (by when and
/// what: its description, its survey comments, the mail received), each
/// read by `read` (the method, [`sentiment::classify`], or what remembers
/// it), unless an agent's assessment (`desk sentiment`, the latest one)
/// dated at or after it says how it reads.
pub fn said(
    ticket: &Ticket,
    wanted: impl Fn(Timestamp, Source) -> bool,
    mut read: impl FnMut(&str) -> Sentiment,
) -> Vec<Said> {
    let assessed = ticket.latest_assessment();
    let mut out = Vec::new();
    let mut add = |at: Timestamp, text: &str, source| {
        if text.trim().is_empty() || !wanted(at, source) {
            return;
        }
        out.push(Said {
            at,
            source,
            reading: match assessed {
                Some((when, reading)) if when >= at => reading,
                _ => read(text),
            },
            quote: Voice::quote_of(text),
        });
    };
    add(ticket.created, &ticket.description, Source::Description);
    for e in &ticket.history {
        match &e.payload {
            Payload::Surveyed(s) => {
                if let Some(comment) = &s.comment {
                    add(e.at, comment, Source::Survey);
                }
            }
            Payload::Received(_) => {
                if let Some(text) = e.payload.note() {
                    add(e.at, text, Source::Mail);
                }
            }
            _ => {}
        }
    }
    out
}

/// How much of a text a quote keeps, in display columns.
pub const QUOTE_WIDTH: usize = 60;

impl Voice {
    /// The quote of `text`: personal numbers and addresses masked, its
    /// lines joined, cut to [`QUOTE_WIDTH`].
    pub fn quote_of(text: &str) -> String {
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let masked = crate::model::mask::personal_in(&line);
        crate::text::ellipsis(&masked, QUOTE_WIDTH).into_owned()
    }
}

pub const COLUMNS: [&str; 11] = [
    "month",
    "surveys",
    "surveys_positive",
    "surveys_neutral",
    "surveys_negative",
    "texts",
    "positive",
    "neutral",
    "negative",
    "suggestion",
    "negative_pct",
];

/// The rows' spans: each month of a quarter then the whole quarter; any
/// other period as one row.
fn spans(period: &Period) -> Vec<Period> {
    match period.kind {
        super::period::Kind::Quarter => {
            let mut months = period.trend_months(3);
            months.push(period.clone());
            months
        }
        _ => vec![period.clone()],
    }
}

/// The counts of one span: surveys by their mean score, and texts as
/// [`sentiment::classify`] read them.
pub struct Counts {
    pub surveys: [usize; 3],
    pub texts: [usize; 4],
}

/// A reading's place in the counts: its place in `Sentiment::ALL`.
fn slot(s: Sentiment) -> usize {
    Sentiment::ALL
        .iter()
        .position(|x| *x == s)
        .expect("every reading is listed")
}

pub fn counts(r: &Report, span: &Period) -> Counts {
    let mut surveys = [0; 3];
    for s in r.facts.iter().flat_map(|f| f.surveys.iter()) {
        if !span.contains(s.date) || s.scores.is_empty() {
            continue;
        }
        let scores: Vec<f64> = s.scores.values().map(|&v| v as f64).collect();
        if let Some(m) = mean(&scores) {
            surveys[slot(sentiment::of_scores(m)).min(2)] += 1;
        }
    }
    let mut texts = [0; 4];
    for v in r.voices.iter().filter(|v| span.contains(v.date)) {
        texts[slot(v.reading)] += 1;
    }
    Counts { surveys, texts }
}

pub fn build(r: &Report) -> Records {
    // On a narrow terminal the negatives stay, the middle goes first.
    let mut records = Records::new(&COLUMNS).spare(&[
        "surveys_neutral",
        "neutral",
        "suggestion",
        "surveys_positive",
        "positive",
    ]);
    for span in spans(&r.period) {
        let c = counts(r, &span);
        let texts: usize = c.texts.iter().sum();
        records.push(vec![
            text(&span.label),
            int(c.surveys.iter().sum()),
            int(c.surveys[0]),
            int(c.surveys[1]),
            int(c.surveys[2]),
            int(texts),
            int(c.texts[0]),
            int(c.texts[1]),
            int(c.texts[2]),
            int(c.texts[3]),
            dec(pct(c.texts[2], texts), 1),
        ]);
    }
    records
}
