//! `desk search`: the tickets whose text matches a query, ranked by BM25
//! over the search index, within the filters of `desk list`, each with the
//! snippet around its words and, when closed, its resolution.
//! docs/search.md.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::model::{Status, Summary, Ticket, TicketFilter, TicketId};
use crate::search::{folded, rank, snippet, texts, Query, Ranking, Segment};
use crate::store::{summary_of_meta, Store};

/// The most hits a search returns, whatever `--limit` asks.
pub const MAX_LIMIT: usize = 1000;

/// What `desk search` asks.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub query: String,
    pub filter: TicketFilter,
    /// Customers as typed: an ID, a name, a phone number or an e-mail
    /// address; any of them matches.
    pub customer: Option<String>,
    pub limit: usize,
}

/// Where the words were found (`description`, `note`, `mail`…), the text
/// around them (personal numbers masked) and the words' byte ranges in it.
pub type Snippet = (&'static str, String, Vec<(usize, usize)>);

/// One ticket found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub ticket: Summary,
    pub score: f64,
    pub snippet: Option<Snippet>,
    /// The resolution of a closed ticket.
    pub resolution: Option<String>,
}

/// One knowledge-base article found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundArticle {
    pub article: crate::model::kb::Article,
    pub score: f64,
    pub snippet: Option<Snippet>,
    /// Its solution (the section so named, or the whole text).
    pub solution: String,
}

/// The hits, best first, and the ticket files that could not be read.
#[derive(Debug, Default)]
pub struct Results {
    /// Knowledge-base articles, listed before the tickets.
    pub articles: Vec<FoundArticle>,
    pub found: Vec<Found>,
    /// How many tickets matched before the limit.
    pub matched: usize,
    pub errors: Vec<Error>,
}

/// The characters of a snippet.
const SNIPPET_WIDTH: usize = 60;

pub fn search(store: &Store, request: &Request) -> Result<Results> {
    let query = Query::parse(&request.query);
    if query.is_empty() {
        return Err(Error::invalid(
            "QUERY",
            crate::model::mask::personal_in(&request.query),
            "give words to look for: Chinese or English, \"an exact phrase\", -a word to leave \
             out (single letters and digits, and numbers of more than six digits such as phone \
             and ID numbers, are not searched)",
        ));
    }
    let mut results = ranked(store, request, &query, None)?;
    // Articles answer for every customer and status: a filter on tickets
    // alone (customer, assignee, status, dates) leaves them out, a type
    // keeps those of the type (or of none).
    let ticket_only = TicketFilter {
        kind: None,
        ..request.filter.clone()
    };
    if ticket_only == TicketFilter::default() && request.customer.is_none() {
        let kind = request.filter.kind.as_deref();
        let (articles, errors) = articles(store, &query, kind, request.limit)?;
        results.articles = articles;
        results.errors.extend(errors);
    }
    Ok(results)
}

/// The articles of the knowledge base that match `query` (of type `kind`
/// or of no type, when given), best first, at most `limit`.
fn articles(
    store: &Store,
    query: &Query,
    kind: Option<&str>,
    limit: usize,
) -> Result<(Vec<FoundArticle>, Vec<Error>)> {
    let (all, errors) = store.articles()?;
    let mut ranking = Ranking::new(query);
    for a in &all {
        let doc = crate::search::Document::of_texts(&a.front.title, [a.body.as_str()]);
        let eligible =
            kind.is_none_or(|k| a.front.types.is_empty() || a.front.types.iter().any(|t| t == k));
        ranking.add(&a.id, &doc, eligible);
    }
    let mut found = Vec::new();
    for hit in ranking.hits() {
        let Some(a) = all.iter().find(|a| a.id == hit.key) else {
            continue;
        };
        let fields = crate::model::kb::texts(a);
        if !holds_phrases(query, &fields) {
            continue;
        }
        found.push(FoundArticle {
            article: a.clone(),
            score: hit.score,
            snippet: best_snippet(query, &fields),
            solution: crate::model::kb::solution(a),
        });
        if found.len() >= limit.clamp(1, MAX_LIMIT) {
            break;
        }
    }
    Ok((found, errors))
}

/// The most terms of a ticket a similar-cases query takes: its title's
/// first, then its description's.
const SIMILAR_TERMS: usize = 40;

/// `desk similar`: the closed tickets most like ticket `id`, by the words
/// of its title and description, best first, without it.
pub fn similar(store: &Store, id: &TicketId, limit: usize) -> Result<Results> {
    similar_to(store, &store.load_ticket(id)?, limit)
}

/// The closed tickets most like `ticket`, best first, without it.
pub fn similar_to(store: &Store, ticket: &Ticket, limit: usize) -> Result<Results> {
    let mut query = Query::default();
    for text in [&ticket.title, &ticket.description] {
        for term in crate::search::terms(text) {
            if query.terms.len() < SIMILAR_TERMS && !query.terms.contains(&term) {
                query.terms.push(term);
            }
        }
    }
    if query.is_empty() {
        return Ok(Results::default());
    }
    let request = Request {
        filter: TicketFilter {
            statuses: vec![Status::Closed],
            ..TicketFilter::default()
        },
        limit,
        ..Request::default()
    };
    ranked(store, &request, &query, Some(&ticket.id))
}

/// What `desk new`, `desk mail-in` and `desk show` say of similar cases.
#[derive(Debug)]
pub enum Hints {
    /// The similar closed tickets, best first (none may be).
    Found(Results),
    /// desk.yaml's `search.similar` is 0, or the store is read as of a
    /// commit (the index follows the work tree).
    Off,
    /// This clone has no search index yet: building it reads every ticket
    /// file, which a command taking in one ticket should not wait for.
    NoIndex,
}

/// The similar closed tickets that `desk new`, `desk mail-in` and `desk
/// show` name beside `ticket`: as many as desk.yaml's `search.similar`
/// says, each with its resolution.
pub fn hints(store: &Store, ticket: &Ticket) -> Result<Hints> {
    let wanted = store.config.search.similar();
    if wanted == 0 || store.commit().is_some() {
        return Ok(Hints::Off);
    }
    if !store.search_index_exists() {
        return Ok(Hints::NoIndex);
    }
    Ok(Hints::Found(similar_to(store, ticket, wanted)?))
}

/// [`hints`] for ticket `id` (a mail just filed), read first.
pub fn hints_for(store: &Store, id: &TicketId) -> Result<Hints> {
    hints(store, &store.load_ticket(id)?)
}

/// The ranked hits of `query` within the request's filters, `leave_out`
/// not among them, from the search index's postings; a filter reads the
/// summary the index keeps of each ticket holding a word.
fn ranked(
    store: &Store,
    request: &Request,
    query: &Query,
    leave_out: Option<&str>,
) -> Result<Results> {
    let customers = match &request.customer {
        Some(c) => Some(customers_meant(store, c)?),
        None => None,
    };
    let tz = store.settings.tz;
    let filtered = request.filter != TicketFilter::default() || customers.is_some();
    let index = store.search_segments()?;
    // Each folder with its postings (checked against its head already).
    let parsed: Vec<(&str, Segment)> = index
        .folders
        .iter()
        .filter_map(|(rel, bytes)| Some((rel.as_str(), Segment::parse(bytes)?)))
        .collect();
    let segments: Vec<Segment> = parsed.iter().map(|(_, s)| *s).collect();
    let scored = rank(query, &segments, |doc| {
        let id = doc.name.trim_end_matches(".yaml");
        leave_out != Some(id)
            && (!filtered
                || summary_of_meta(doc.meta).is_some_and(|s| {
                    request.filter.matches(&s, tz)
                        && customers
                            .as_ref()
                            .is_none_or(|set| set.contains(s.customer.as_str()))
                }))
    });
    let limit = request.limit.clamp(1, MAX_LIMIT);
    let mut results = Results {
        errors: index.unreadable,
        ..Results::default()
    };
    // A phrase's words are all in a ticket holding it: the files of the
    // others need no reading.
    let phrase_terms: Vec<usize> = query
        .phrases
        .iter()
        .flat_map(|p| crate::search::terms(p))
        .filter_map(|t| query.terms.iter().position(|q| *q == t))
        .collect();
    for hit in scored {
        if phrase_terms.iter().any(|&i| hit.counts[i] == 0) {
            continue;
        }
        let needs_file = results.found.len() < limit || !query.phrases.is_empty();
        if !needs_file {
            results.matched += 1;
            continue;
        }
        let Some((folder, _)) = parsed.get(hit.segment) else {
            continue;
        };
        let ticket = match store.ticket_in_folder(folder, hit.doc.name) {
            Ok(t) => t,
            Err(e) => {
                results.errors.push(e);
                continue;
            }
        };
        let fields = texts(&ticket);
        if !holds_phrases(query, &fields) {
            continue;
        }
        results.matched += 1;
        if results.found.len() >= limit {
            continue;
        }
        let best = best_snippet(query, &fields);
        results.found.push(Found {
            ticket: Summary::of(&ticket),
            score: hit.score,
            snippet: best,
            resolution: (ticket.status == Status::Closed)
                .then(|| ticket.resolution.clone())
                .flatten(),
        });
    }
    Ok(results)
}

/// Whether the texts of a hit hold every phrase of the query, as typed
/// (case and width folded).
fn holds_phrases(query: &Query, fields: &[(&'static str, &str)]) -> bool {
    if query.phrases.is_empty() {
        return true;
    }
    let all: Vec<String> = fields.iter().map(|(_, t)| folded(t)).collect();
    query
        .phrases
        .iter()
        .all(|p| all.iter().any(|t| t.contains(p.as_str())))
}

/// The snippet of a hit: from the text with the most of the words; the
/// title only if alone.
fn best_snippet(query: &Query, fields: &[(&'static str, &str)]) -> Option<Snippet> {
    fields
        .iter()
        .filter_map(|(what, text)| snippet(text, query, SNIPPET_WIDTH).map(|(s, r)| (*what, s, r)))
        .max_by_key(|(what, _, r)| (r.len(), *what != "title"))
}

/// The customers `typed` can mean: the one of that ID, or every customer
/// whose name, phone number (its digits) or e-mail address (any case) it
/// is, or whose contact's is. Sealed numbers are not searched by.
fn customers_meant(store: &Store, typed: &str) -> Result<HashSet<String>> {
    let typed = typed.trim();
    if let Ok(id) = store.customer_id(typed) {
        return Ok(HashSet::from([id]));
    }
    let all = store.customer_summaries()?;
    let digits = crate::model::validate::phone_key(typed);
    let found: HashSet<String> = all
        .summaries
        .iter()
        .filter(|c| {
            c.name == typed
                || c.contacts.iter().any(|k| k.name == typed)
                || c.emails().any(|e| e.eq_ignore_ascii_case(typed))
                || (digits.len() >= 5
                    && c.phones()
                        .any(|p| crate::model::validate::phone_key(p) == digits))
        })
        .map(|c| c.id.clone())
        .collect();
    if found.is_empty() {
        return Err(Error::invalid(
            "--customer",
            crate::model::mask::unknown(typed),
            "a customer ID, or the name, phone number or e-mail address of a customer on file",
        ));
    }
    Ok(found)
}
