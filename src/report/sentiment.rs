//! Sentiment of short service feedback (survey comments, complaint texts,
//! mail), Chinese and English: positive, neutral, negative, or a
//! suggestion. Pure: a text in, a [`Sentiment`] out. Survey scores, where a
//! ticket has them, are the primary signal ([`of_scores`]); [`classify`]
//! reads the words. docs/report.md ("Sentiment") gives the method, the
//! labelled sample it is measured on and its measured accuracy.
//!
//! The method, step by step:
//! 1. The text is folded (full-width to ASCII, lower case: `text::fold`)
//!    and cut into clauses at punctuation and line breaks; a clause ending
//!    in `?`, or holding a question word (`请问`, `吗`), is a question.
//! 2. Words: Chinese runs are segmented by jieba (precise mode, no HMM, its
//!    built-in dictionary only, so a store's words change nothing: the
//!    accuracy measured is the accuracy everywhere); other text is split
//!    into words (`don't` is `do not`). The segmenter is this module's own:
//!    search's sits above report in docs/architecture.md's layers, and
//!    loads the store's dictionary.
//! 3. The lexicon (`sentiment/lexicon.rs`) is matched, longest entry first,
//!    a Chinese entry only where it ends where a word ends (`快` is not read
//!    in `快递`). A negator among the three words before an entry flips its
//!    sign (`不慢`; `没有不耐心` has two and is not flipped). In a question,
//!    topic words (`退款`, `投诉`) count nothing.
//! 4. Patterns of waiting and of nothing happening count negative whatever
//!    surrounds them: `等了三天`, `三天了`, `两个小时才`, `还没解决`,
//!    `至今`, `一直没`, `再也不`, `没人接`, `waited 5 days`, `still not`,
//!    `no reply`; a few of speed count positive (`十分钟就`, `当天就`). A
//!    pattern over a negative entry counts instead of it, not as well.
//! 5. Contrast: after `但是`, `但`, `不过`, `可是`, `然而`, `可惜`, `but`,
//!    `however`, `yet` (and
//!    `就是`, `只是`, `结果`, `没想到` at the start of a clause; the clause
//!    after one starting with `虽然`), the rest of the text wins, when it
//!    carries any sentiment; of several such, the last that does.
//! 6. In what wins: a suggestion word (`希望`, `建议`, `能否`, `可以考虑`,
//!    `最好`, `would be nice`, `please add`), not negated, makes a
//!    [`Sentiment::Suggestion`] unless the sum of weights is a clear
//!    complaint ([`CLEAR_NEGATIVE`] or less); otherwise a sum of 1 or more
//!    is positive, -1 or less negative, and anything else, mixed or
//!    without sentiment, neutral.
//!
//! Bounded work: every step is one pass over the text's characters and
//! words, entries and patterns are of bounded length and tried only where
//! their first word is, and there is no regular expression (jieba's own is
//! linear), so the time grows with the length of the text, not faster.

mod lexicon;

use std::collections::HashMap;
use std::sync::OnceLock;

use jieba_rs::Jieba;

use crate::text::{fold, is_han};

pub use crate::model::Sentiment;

/// The sentiment of a survey's average score on 1 to 5: 4 or more
/// positive, 2 or less negative, else neutral. These are the usual cuts of
/// a five-point satisfaction scale (4 and 5 "satisfied", 1 and 2 "not"); an
/// average of several questions is read the same way. Not a number:
/// neutral.
pub fn of_scores(avg: f64) -> Sentiment {
    if avg >= 4.0 {
        Sentiment::Positive
    } else if avg <= 2.0 {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    }
}

/// The sentiment of a short text of service feedback, by the method of the
/// module's documentation.
pub fn classify(text: &str) -> Sentiment {
    analyse(text).sentiment
}

/// Bumped when the steps of the method change (not the lexicon, which
/// [`fingerprint`] reads itself).
const METHOD: u32 = 1;

/// A fingerprint of the method and its lexicon: readings remembered under
/// another one are not this method's (the store's readings memo). Stable
/// within a build, which is all a local cache needs.
pub fn fingerprint() -> u64 {
    use lexicon::*;
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (METHOD, CLEAR_NEGATIVE, NEGATION_REACH, LONGEST_NUMBER).hash(&mut h);
    (TERMS, TOPICS, PATTERNS, SUGGESTIONS, NEGATORS).hash(&mut h);
    (CONTRASTS, CLAUSE_CONTRASTS, CONCESSIONS, QUESTIONS).hash(&mut h);
    h.finish()
}

/// A sum of weights this low is a complaint that a suggestion word does
/// not soften (`等了三天没人理，希望尽快处理`).
pub const CLEAR_NEGATIVE: i32 = -2;

/// How many words before an entry a negator reaches.
const NEGATION_REACH: usize = 3;

/// The longest number a pattern's `#` reads, in characters or digits.
const LONGEST_NUMBER: usize = 4;

/// What [`classify`] found; the tests show the rest.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Analysis {
    sentiment: Sentiment,
    /// The sum of weights of what won.
    score: i32,
    /// What was matched, in order: the entry's words, its weight as
    /// counted, whether it is a suggestion, whether it won.
    found: Vec<(String, i32, bool, bool)>,
}

fn analyse(text: &str) -> Analysis {
    let lexicon = lexicon();
    let clauses = clauses(text);
    let mut events: Vec<Event> = Vec::new();
    let mut contrasts: Vec<(usize, usize)> = Vec::new();
    for (c, clause) in clauses.iter().enumerate() {
        read_clause(lexicon, c, clause, &mut events, &mut contrasts);
        let first = clause.tokens.first().map(|t| t.text.as_str());
        if first.is_some_and(|w| lexicon::CONCESSIONS.contains(&w)) && c + 1 < clauses.len() {
            contrasts.push((c + 1, 0));
        }
    }
    let carries = |e: &Event| e.weight != 0 || e.suggestion;
    // The last contrast with sentiment after it: the last one at or before
    // the last event that carries any; else the whole text.
    let last = events.iter().rev().find(|e| carries(e)).map(|e| e.at);
    let from = last
        .and_then(|last| contrasts.iter().rev().find(|&&at| at <= last))
        .copied()
        .unwrap_or((0, 0));
    let winning = |e: &Event| e.at >= from;
    let score: i32 = events.iter().filter(|e| winning(e)).map(|e| e.weight).sum();
    let suggestion = events.iter().any(|e| winning(e) && e.suggestion);
    let sentiment = if suggestion && score > CLEAR_NEGATIVE {
        Sentiment::Suggestion
    } else if score >= 1 {
        Sentiment::Positive
    } else if score <= -1 {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    };
    Analysis {
        sentiment,
        score,
        found: events
            .iter()
            .map(|e| (e.what.clone(), e.weight, e.suggestion, winning(e)))
            .collect(),
    }
}

/// Something the lexicon found: where (clause, unit) it starts and ends,
/// its weight as counted, and whether it is a suggestion word.
#[derive(Debug)]
struct Event {
    at: (usize, usize),
    /// The unit after its last.
    end: usize,
    weight: i32,
    suggestion: bool,
    what: String,
}

/// The events of one clause, and where its contrast words are.
fn read_clause(
    lexicon: &Lexicon,
    c: usize,
    clause: &Clause,
    events: &mut Vec<Event>,
    contrasts: &mut Vec<(usize, usize)>,
) {
    let units = units(&clause.tokens);
    let question = clause.question
        || clause
            .tokens
            .iter()
            .any(|t| lexicon::QUESTIONS.contains(&t.text.as_str()));
    // The first unit of each token, for contrast words.
    let mut first_unit = Vec::with_capacity(clause.tokens.len());
    for (i, u) in units.iter().enumerate() {
        if u.first {
            first_unit.push(i);
        }
    }
    for (t, token) in clause.tokens.iter().enumerate() {
        let w = token.text.as_str();
        if lexicon::CONTRASTS.contains(&w) || (t == 0 && lexicon::CLAUSE_CONTRASTS.contains(&w)) {
            contrasts.push((c, first_unit[t]));
        }
    }
    let first_event = events.len();
    // Entries, longest first, left to right, not overlapping.
    let mut covered = vec![false; clause.tokens.len()];
    let mut found: Vec<(usize, usize, &Entry)> = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let hit = lexicon.entries.get(units[i].s).and_then(|candidates| {
            candidates.iter().find(|e| {
                let end = i + e.units.len();
                end <= units.len()
                    && units[end - 1].last
                    && e.units.iter().zip(&units[i..end]).all(|(a, b)| *a == b.s)
            })
        });
        match hit {
            Some(entry) => {
                let end = i + entry.units.len();
                found.push((i, end, entry));
                // A token wholly inside a match is no negator for another
                // (the match ends where a token ends).
                for u in units[i..end].iter().filter(|u| u.first) {
                    covered[u.token] = true;
                }
                i = end;
            }
            None => i += 1,
        }
    }
    for (start, end, entry) in found {
        let negated = negators_before(&units, &clause.tokens, &covered, start) % 2 == 1;
        let what = units[start..end].iter().map(|u| u.s).collect::<Vec<_>>();
        if entry.suggestion {
            if !negated {
                events.push(Event {
                    at: (c, start),
                    end,
                    weight: 0,
                    suggestion: true,
                    what: what.join(" "),
                });
            }
            continue;
        }
        let mut weight = entry.weight;
        if question && entry.topic {
            weight = 0;
        }
        if negated {
            weight = -weight;
        }
        events.push(Event {
            at: (c, start),
            end,
            weight,
            suggestion: false,
            what: what.join(" "),
        });
    }
    // Patterns: every place one starts, not overlapping. One over a
    // negative entry counts instead of it. The entries' events are in order
    // and do not overlap, so one pass over them goes with the patterns.
    let mut patterns = Vec::new();
    let mut next = first_event;
    let mut i = 0;
    while i < units.len() {
        let hit = lexicon
            .patterns
            .iter()
            .find_map(|(p, weight)| match_parts(&units, i, p).map(|end| (end, *weight)));
        match hit {
            Some((end, weight)) if end > i => {
                while next < events.len() && events[next].end <= i {
                    next += 1;
                }
                let mut k = next;
                while k < events.len() && events[k].at.1 < end {
                    if events[k].weight < 0 && !events[k].suggestion {
                        events[k].weight = 0;
                    }
                    k += 1;
                }
                patterns.push(Event {
                    at: (c, i),
                    end,
                    weight,
                    suggestion: false,
                    what: units[i..end]
                        .iter()
                        .map(|u| u.s)
                        .collect::<Vec<_>>()
                        .join(" "),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    events.append(&mut patterns);
    // In the order of the text.
    events[first_event..].sort_by_key(|e| e.at);
}

/// How many negators are among the [`NEGATION_REACH`] tokens before the
/// unit `at`, counting the part of its own token before it as one.
fn negators_before(units: &[Unit], tokens: &[Token], covered: &[bool], at: usize) -> usize {
    let token = units[at].token;
    let mut n = 0;
    if !units[at].first {
        let mut prefix = String::new();
        for u in units[..at].iter().rev().take_while(|u| u.token == token) {
            prefix.insert_str(0, u.s);
        }
        if ["不", "没", "没有", "未", "别"]
            .iter()
            .any(|neg| prefix.ends_with(neg))
        {
            n += 1;
        }
    }
    for t in (token.saturating_sub(NEGATION_REACH)..token).rev() {
        if !covered[t] && lexicon::NEGATORS.contains(&tokens[t].text.as_str()) {
            n += 1;
        }
    }
    n
}

/// The end of a match of `parts` at unit `i`, if one matches.
fn match_parts(units: &[Unit], i: usize, parts: &[Part]) -> Option<usize> {
    let Some((part, rest)) = parts.split_first() else {
        return Some(i);
    };
    if part.number {
        for end in number_ends(units, i).into_iter().rev().flatten() {
            if let Some(e) = match_parts(units, end, rest) {
                return Some(e);
            }
        }
    } else {
        for alt in &part.alternatives {
            let end = i + alt.len();
            if end <= units.len() && alt.iter().zip(&units[i..end]).all(|(a, b)| *a == b.s) {
                if let Some(e) = match_parts(units, end, rest) {
                    return Some(e);
                }
            }
        }
    }
    if part.optional {
        return match_parts(units, i, rest);
    }
    None
}

/// Where a number starting at unit `i` may end: after 1 to
/// [`LONGEST_NUMBER`] Chinese numerals, or after one word that is a number.
fn number_ends(units: &[Unit], i: usize) -> [Option<usize>; LONGEST_NUMBER] {
    const NUMERALS: &str = "零一二两三四五六七八九十百千几半";
    const WORDS: [&str; 17] = [
        "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "few", "several", "couple",
    ];
    let mut ends = [None; LONGEST_NUMBER];
    let Some(first) = units.get(i) else {
        return ends;
    };
    let digits = !first.s.is_empty()
        && first.s.len() <= LONGEST_NUMBER
        && first.s.bytes().all(|b| b.is_ascii_digit());
    if digits || WORDS.contains(&first.s) {
        ends[0] = Some(i + 1);
        return ends;
    }
    for (k, end) in ends.iter_mut().enumerate() {
        match units.get(i + k) {
            Some(u) if u.s.chars().count() == 1 && NUMERALS.contains(u.s) => *end = Some(i + k + 1),
            _ => break,
        }
    }
    ends
}

/// The lexicon, compiled for matching.
struct Lexicon {
    /// Entries by their first unit, longest first.
    entries: HashMap<&'static str, Vec<Entry>>,
    patterns: Vec<(Vec<Part>, i32)>,
}

struct Entry {
    units: Vec<&'static str>,
    weight: i32,
    topic: bool,
    suggestion: bool,
}

/// One part of a pattern.
struct Part {
    alternatives: Vec<Vec<&'static str>>,
    optional: bool,
    number: bool,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut entries: HashMap<&'static str, Vec<Entry>> = HashMap::new();
        let terms = lexicon::TERMS.iter().map(|&(w, weight)| (w, weight, false));
        let suggestions = lexicon::SUGGESTIONS.iter().map(|&w| (w, 0, true));
        for (w, weight, suggestion) in terms.chain(suggestions) {
            let units = entry_units(w);
            entries.entry(units[0]).or_default().push(Entry {
                units,
                weight,
                topic: lexicon::TOPICS.contains(&w),
                suggestion,
            });
        }
        for list in entries.values_mut() {
            list.sort_by_key(|e| std::cmp::Reverse(e.units.len()));
        }
        let patterns = lexicon::PATTERNS
            .iter()
            .map(|&(parts, weight)| {
                let parts = parts
                    .iter()
                    .map(|&p| {
                        let optional = p.ends_with('?') && p.len() > 1;
                        let p = p.strip_suffix('?').filter(|_| optional).unwrap_or(p);
                        Part {
                            alternatives: p.split('|').map(entry_units).collect(),
                            optional,
                            number: p == "#",
                        }
                    })
                    .collect();
                (parts, weight)
            })
            .collect();
        Lexicon { entries, patterns }
    })
}

/// An entry's units: the characters of a Chinese entry, the words of any
/// other.
fn entry_units(entry: &'static str) -> Vec<&'static str> {
    if entry.chars().all(is_han) {
        entry
            .char_indices()
            .map(|(i, c)| &entry[i..i + c.len_utf8()])
            .collect()
    } else {
        entry.split_whitespace().collect()
    }
}

/// A word of a clause: a word of a Chinese run, an other word, or a sign
/// (an emoji).
#[derive(Debug)]
struct Token {
    text: String,
    han: bool,
}

#[derive(Debug, Default)]
struct Clause {
    tokens: Vec<Token>,
    /// It ends in a question mark.
    question: bool,
}

/// What entries are matched against: a character of a Chinese word, or a
/// whole other word; with its token and whether it is the first and the
/// last of its token.
#[derive(Debug)]
struct Unit<'a> {
    s: &'a str,
    token: usize,
    first: bool,
    last: bool,
}

fn units(tokens: &[Token]) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    for (t, token) in tokens.iter().enumerate() {
        if token.han {
            let n = token.text.chars().count();
            for (k, (i, c)) in token.text.char_indices().enumerate() {
                out.push(Unit {
                    s: &token.text[i..i + c.len_utf8()],
                    token: t,
                    first: k == 0,
                    last: k + 1 == n,
                });
            }
        } else {
            out.push(Unit {
                s: &token.text,
                token: t,
                first: true,
                last: true,
            });
        }
    }
    out
}

fn segmenter() -> &'static Jieba {
    static SEGMENTER: OnceLock<Jieba> = OnceLock::new();
    SEGMENTER.get_or_init(Jieba::new)
}

/// What a character is to the tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Char {
    Han,
    Word,
    /// Ends a clause; `true` for a question mark.
    Break(bool),
    /// An emoji or a pictograph: a token of its own.
    Sign,
    /// Space, quotes, brackets and other marks: separate tokens.
    Space,
}

fn kind(c: char) -> Char {
    if is_han(c) {
        Char::Han
    } else if c.is_alphanumeric() {
        Char::Word
    } else if c == '?' {
        Char::Break(true)
    } else if matches!(
        c,
        '.' | ',' | '!' | ';' | ':' | '。' | '、' | '…' | '~' | '～' | '|'
    ) || (c.is_control() && c != ' ')
    {
        Char::Break(false)
    } else if matches!(c as u32, 0x2600..=0x27BF | 0x1F000..=0x1FAFF) {
        Char::Sign
    } else {
        Char::Space
    }
}

/// The clauses of `text`, its words folded.
fn clauses(text: &str) -> Vec<Clause> {
    let mut out = Vec::new();
    let mut clause = Clause::default();
    let mut run = String::new();
    let mut run_kind = Char::Space;
    for c in text.chars() {
        let c = fold(c);
        let mut k = kind(c);
        // An apostrophe inside a word (`don't`) stays in it.
        if (c == '\'' || c == '’') && run_kind == Char::Word {
            k = Char::Word;
        }
        if k != run_kind || !matches!(k, Char::Han | Char::Word) {
            flush(&mut clause.tokens, &run, run_kind);
            run.clear();
        }
        match k {
            Char::Han | Char::Word => run.push(c),
            Char::Sign => clause.tokens.push(Token {
                text: c.to_string(),
                han: false,
            }),
            Char::Break(question) => {
                if !clause.tokens.is_empty() {
                    clause.question = question;
                    out.push(std::mem::take(&mut clause));
                }
            }
            Char::Space => {}
        }
        run_kind = k;
    }
    flush(&mut clause.tokens, &run, run_kind);
    if !clause.tokens.is_empty() {
        out.push(clause);
    }
    out
}

/// A run of Chinese or of a word, as tokens.
fn flush(tokens: &mut Vec<Token>, run: &str, kind: Char) {
    if run.is_empty() {
        return;
    }
    match kind {
        Char::Han => tokens.extend(segmenter().cut(run, false).into_iter().map(|w| Token {
            text: w.to_string(),
            han: true,
        })),
        Char::Word => {
            // `don't`: `do`, `not`; `I'm`: `i`, `m`.
            let mut parts = run.split(['\'', '’']).filter(|p| !p.is_empty()).peekable();
            while let Some(part) = parts.next() {
                let negated = parts.peek() == Some(&"t") && part.ends_with('n') && part.len() > 1;
                if negated {
                    parts.next();
                    tokens.push(Token {
                        text: part[..part.len() - 1].to_string(),
                        han: false,
                    });
                    tokens.push(Token {
                        text: "not".to_string(),
                        han: false,
                    });
                } else {
                    tokens.push(Token {
                        text: part.to_string(),
                        han: false,
                    });
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
