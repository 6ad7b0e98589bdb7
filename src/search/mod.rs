//! Full-text search over tickets, pure: terms of Chinese and English text
//! (`terms.rs`), what a person types (`query.rs`), a ticket as the index
//! keeps it ([`Document`]), ranking by BM25 ([`Ranking`]) and the snippet
//! shown for a hit ([`snippet`]). The index of every ticket's document is a
//! derived index of the store (`store/index/search.rs`); `app::search`
//! joins them. docs/search.md says what is searched and how it ranks.

mod postings;
mod query;
mod terms;

use serde::{Deserialize, Serialize};

use crate::model::{Payload, Ticket};

pub use postings::{build as build_segment, rank, DocRef, Entry as SegmentEntry, Scored, Segment};
pub use query::{folded, Query};
pub use terms::terms;

/// A ticket as the search index keeps it: its distinct terms, sorted, each
/// ending in a line break (no term holds one), their counts in the same
/// order, and its length in terms. One string rather than one a term:
/// reading 100,000 of them is what a search costs. No text: snippets are
/// cut from the ticket file of a hit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Document {
    pub terms: String,
    pub counts: Vec<u16>,
    pub len: u32,
}

/// How much more a term of the title counts than one of the rest.
const TITLE_WEIGHT: u16 = 2;

impl Document {
    pub fn of(ticket: &Ticket) -> Document {
        let texts = texts(ticket);
        Document::of_texts(&ticket.title, texts.iter().skip(1).map(|(_, t)| *t))
    }

    /// The document of a title and other texts (a ticket's, a knowledge-
    /// base article's): the title's terms weigh [`TITLE_WEIGHT`].
    pub fn of_texts<'a>(title: &str, rest: impl IntoIterator<Item = &'a str>) -> Document {
        let mut counts: std::collections::BTreeMap<String, u16> = Default::default();
        let mut len = 0u32;
        let mut add = |text: &str, weight: u16| {
            for t in terms(text) {
                let n = counts.entry(t).or_default();
                *n = n.saturating_add(weight);
                len = len.saturating_add(u32::from(weight));
            }
        };
        add(title, TITLE_WEIGHT);
        for text in rest {
            add(text, 1);
        }
        let mut terms = String::new();
        let mut numbers = Vec::with_capacity(counts.len());
        for (term, n) in counts {
            terms.push_str(&term);
            terms.push('\n');
            numbers.push(n);
        }
        Document {
            terms,
            counts: numbers,
            len,
        }
    }

    /// How often `term` occurs (weighted), 0 when never.
    pub fn count(&self, term: &str) -> u16 {
        self.terms
            .split_terminator('\n')
            .position(|t| t == term)
            .and_then(|i| self.counts.get(i).copied())
            .unwrap_or(0)
    }
}

/// The searchable text of a ticket, each with what it is: the title first,
/// then the description, the expectation, the resolution, and every note,
/// mail, answer, reason and survey comment of its history.
pub fn texts(ticket: &Ticket) -> Vec<(&'static str, &str)> {
    let mut out = vec![("title", ticket.title.as_str())];
    out.push(("description", ticket.description.as_str()));
    if let Some(e) = &ticket.expectation {
        out.push(("expectation", e));
    }
    if let Some(r) = &ticket.resolution {
        out.push(("resolution", r));
    }
    for e in &ticket.history {
        match &e.payload {
            Payload::Closed(c) => {
                out.extend(c.compensation.as_deref().map(|t| ("compensation", t)));
                out.extend(c.followup.as_deref().map(|t| ("followup", t)));
            }
            Payload::Reopened(r) => out.extend(r.reason.as_deref().map(|t| ("reopened", t))),
            Payload::Surveyed(s) => out.extend(s.comment.as_deref().map(|t| ("survey", t))),
            Payload::Received(_) => out.extend(e.payload.note().map(|t| ("mail", t))),
            Payload::Replied(_) => out.extend(e.payload.note().map(|t| ("reply", t))),
            _ => out.extend(e.payload.note().map(|t| ("note", t))),
        }
    }
    out.retain(|(_, t)| !t.trim().is_empty());
    out
}

/// BM25's parameters, as commonly used.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The inverse document frequency of a term that `df` of `n` documents
/// hold (BM25's, never negative).
fn idf(n: f64, df: f64) -> f64 {
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

/// BM25's score of a document of `len` terms holding the query's terms
/// `counts` times, each of inverse document frequency `idf`, in a
/// collection whose documents have `avg` terms on average.
fn score(counts: &[u16], idf: &[f64], len: u32, avg: f64) -> f64 {
    let norm = K1 * (1.0 - B + B * f64::from(len) / avg);
    counts
        .iter()
        .zip(idf)
        .map(|(&tf, idf)| {
            let tf = f64::from(tf);
            idf * tf * (K1 + 1.0) / (tf + norm)
        })
        .sum()
}

/// Ranks documents held in memory by BM25 in one pass (the knowledge
/// base's articles): each document is shown once ([`Ranking::add`]),
/// keeping only what the query's terms need. Tickets are ranked from the
/// index's postings instead ([`rank`]), the same way.
#[derive(Debug)]
pub struct Ranking<'q> {
    query: &'q Query,
    docs: u64,
    total_len: u64,
    /// How many documents hold each query term.
    df: Vec<u64>,
    /// Per candidate: its key, length, and count of each query term.
    candidates: Vec<(String, u32, Vec<u16>)>,
}

/// One hit: the document's key and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub key: String,
    pub score: f64,
}

impl<'q> Ranking<'q> {
    pub fn new(query: &'q Query) -> Ranking<'q> {
        Ranking {
            query,
            docs: 0,
            total_len: 0,
            df: vec![0; query.terms.len()],
            candidates: Vec::new(),
        }
    }

    /// One document of the collection. `eligible`: whether it passes the
    /// filters (every document counts for the statistics all the same, so
    /// a filter does not change the scores).
    pub fn add(&mut self, key: &str, doc: &Document, eligible: bool) {
        self.docs += 1;
        self.total_len += u64::from(doc.len);
        let counts: Vec<u16> = self.query.terms.iter().map(|t| doc.count(t)).collect();
        for (df, &n) in self.df.iter_mut().zip(&counts) {
            *df += u64::from(n > 0);
        }
        let excluded = self
            .query
            .excluded
            .iter()
            .any(|word| word.iter().all(|t| doc.count(t) > 0));
        if eligible && !excluded && counts.iter().any(|&n| n > 0) {
            self.candidates.push((key.to_string(), doc.len, counts));
        }
    }

    /// The hits, best first (ties by key, the highest first).
    pub fn hits(self) -> Vec<Hit> {
        let n = self.docs as f64;
        let avg = (self.total_len as f64 / n.max(1.0)).max(1.0);
        let idf: Vec<f64> = self.df.iter().map(|&d| idf(n, d as f64)).collect();
        let mut hits: Vec<Hit> = self
            .candidates
            .into_iter()
            .map(|(key, len, counts)| Hit {
                score: score(&counts, &idf, len, avg),
                key,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| b.key.cmp(&a.key)));
        hits
    }
}

/// The part of `text` around the query's words, at most `width` characters,
/// with the byte ranges of the words found in it (for highlighting); `None`
/// when no word is in it.
pub fn snippet(text: &str, query: &Query, width: usize) -> Option<(String, Vec<(usize, usize)>)> {
    // Masked first: a phone or an ID number typed into a note never shows.
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = crate::model::mask::personal_in(&line).to_string();
    let lower: Vec<char> = line.chars().map(terms::fold).collect();
    let chars: Vec<char> = line.chars().collect();
    let needles: Vec<Vec<char>> = query
        .terms
        .iter()
        .map(|t| t.chars().collect::<Vec<char>>())
        .filter(|t| !t.is_empty())
        .collect();
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        let best = needles
            .iter()
            .filter(|n| lower[i..].starts_with(n))
            .map(Vec::len)
            .max();
        match best {
            Some(n) => {
                found.push((i, i + n));
                i += n;
            }
            None => i += 1,
        }
    }
    let first = found.first()?.0;
    let start = first.saturating_sub(width / 4);
    let end = (start + width).min(chars.len());
    let start = end.saturating_sub(width).min(start);
    let mut out = String::new();
    let mut ranges = Vec::new();
    if start > 0 {
        out.push('…');
    }
    for (k, c) in chars[start..end].iter().enumerate() {
        let at = start + k;
        if found.iter().any(|&(s, _)| s == at) {
            ranges.push((out.len(), 0));
        }
        out.push(*c);
        if let Some(last) = ranges.last_mut() {
            if found.iter().any(|&(_, e)| e == at + 1) && last.1 == 0 {
                last.1 = out.len();
            }
        }
    }
    if let Some(last) = ranges.last_mut() {
        if last.1 == 0 {
            last.1 = out.len();
        }
    }
    if end < chars.len() {
        out.push('…');
    }
    Some((out, ranges))
}

#[cfg(test)]
mod tests;
