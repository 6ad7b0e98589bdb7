//! `themes`: per type, the words and phrases most often in the titles of
//! the tickets created in the period, with their change on the previous
//! period, and the early warnings of those rising fast.
//!
//! The method needs no dictionary, so it finds product names and the
//! team's own words as well as common ones, and costs a few milliseconds:
//! every piece of two to eight characters of a Chinese run, and every
//! English word and pair of words, is a candidate, counted once per ticket
//! (how many tickets mention it). Candidates in fewer than two tickets,
//! stop words, and pieces starting or ending with a particle (的, 了, 吗…)
//! are dropped. A piece is then subsumed by a longer one holding it that
//! is in nearly as many tickets (four fifths or more: 开机 by 无法开机),
//! and of pieces found in exactly the same tickets only the longest is
//! kept (无法开, 法开机 and 无法开机 are one theme). Titles, not
//! descriptions: a title is the team's summary of the problem, where a
//! description retells the customer's story in words common to all.

use std::collections::{BTreeMap, HashMap};

use super::voices::Voice;
use super::{pct, Facts, Report};
use crate::model::mask;
use crate::output::{dec, int, text, Cell, Records};
use crate::text::is_han;

/// The longest piece of a Chinese run that is a candidate, in characters.
const LONGEST: usize = 8;
/// A piece in at least this share of the tickets of a longer piece holding
/// it adds nothing to the longer one.
const SUBSUMED: f64 = 0.8;
/// Examples (titles) and quotes shown per theme, each cut as a quote is
/// ([`Voice::quote_of`]: masked, enough to read, never a cell a
/// spreadsheet cannot hold).
const EXAMPLES: usize = 3;

/// Particles and function characters a theme neither starts nor ends with.
const EDGE_CHARS: &str =
    "的了是在和与及或我你您他她它们这那有就也都还很吗呢吧啊呀哦请把被让给对从向到为于而并且又再已";

/// Words too common in service titles to be a theme, Chinese and English.
const STOP_WORDS: &[&str] = &[
    "问题",
    "请问",
    "关于",
    "一下",
    "怎么",
    "什么",
    "如何",
    "为什么",
    "可以",
    "能否",
    "是否",
    "一直",
    "我们",
    "你们",
    "客户",
    "工单",
    "反馈",
    "希望",
    "需要",
    "咨询",
    "处理",
    "情况",
    "现在",
    "今天",
    "昨天",
    "已经",
    "没有",
    "还是",
    "但是",
    "不是",
    "一个",
    "这个",
    "那个",
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "is",
    "are",
    "was",
    "be",
    "my",
    "our",
    "your",
    "it",
    "this",
    "that",
    "not",
    "no",
    "can",
    "cannot",
    "can't",
    "please",
    "about",
    "from",
    "at",
    "by",
    "as",
    "i",
    "we",
    "you",
    "issue",
    "problem",
    "question",
    "request",
    "help",
    "re",
    "fw",
    "fwd",
];

/// The settings of the section (`report.themes` in desk.yaml).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThemeSettings {
    /// Themes listed per type.
    pub top: usize,
    /// A theme rising to at least this many tickets…
    pub rise_min: usize,
    /// …and at least this many times its count in the previous period
    /// (any count when it had none) is an early warning.
    pub rise_ratio: f64,
}

impl Default for ThemeSettings {
    fn default() -> Self {
        ThemeSettings {
            top: 5,
            rise_min: 3,
            rise_ratio: 2.0,
        }
    }
}

impl ThemeSettings {
    /// `report.themes` of desk.yaml, the defaults where not set.
    pub fn of(config: Option<&crate::config::ThemesConfig>) -> ThemeSettings {
        let default = ThemeSettings::default();
        let Some(t) = config else {
            return default;
        };
        ThemeSettings {
            top: t.top.unwrap_or(default.top),
            rise_min: t.rise_min.unwrap_or(default.rise_min),
            rise_ratio: t.rise_ratio.unwrap_or(default.rise_ratio),
        }
    }
}

pub const COLUMNS: [&str; 9] = [
    "type",
    "theme",
    "tickets",
    "share_pct",
    "previous",
    "change",
    "rising",
    "examples",
    "quotes",
];

/// One theme of one type.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub kind: String,
    pub theme: String,
    pub tickets: usize,
    /// Tickets of the type created in the period.
    pub of: usize,
    pub previous: usize,
    pub examples: Vec<String>,
    /// What customers of its tickets said in the period (a survey comment
    /// first, then a mail, then a complaint's description), masked, one a
    /// ticket, the latest tickets first.
    pub quotes: Vec<String>,
    pub rising: bool,
}

/// A title as themes read it: personal values (an address, a phone number)
/// taken out, which are never themes; lower case, full-width forms folded.
fn folded(title: &str) -> String {
    mask::personal_removed(title)
        .chars()
        .map(crate::text::fold)
        .collect()
}

/// The pieces of a title: Chinese runs and English words, in order, each
/// with whether it is Chinese.
fn runs(title: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut current = String::new();
    let mut han = false;
    for c in title.chars() {
        let this_han = is_han(c);
        let word = this_han || c.is_alphanumeric() || c == '\'';
        if (!word || this_han != han) && !current.is_empty() {
            out.push((han, std::mem::take(&mut current)));
        }
        if word {
            han = this_han;
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push((han, current));
    }
    out
}

fn is_stop(piece: &str) -> bool {
    STOP_WORDS.contains(&piece)
}

/// Whether a Chinese piece can be a theme: not a stop word, and no
/// particle at either end.
fn han_candidate(piece: &[char]) -> bool {
    let edge = |c: &char| EDGE_CHARS.contains(*c);
    !piece.first().is_some_and(edge)
        && !piece.last().is_some_and(edge)
        && !is_stop(&piece.iter().collect::<String>())
}

/// An English word that can be part of a theme: letters (a word of
/// digits is a number: an order, a phone), two or more, not a stop word.
fn word_candidate(word: &str) -> bool {
    word.chars().count() >= 2
        && word.chars().any(|c| c.is_alphabetic())
        && word.chars().filter(|c| c.is_ascii_digit()).count() < 4
        && !is_stop(word)
}

/// Every candidate of a folded title, once.
fn candidates(title: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut previous_word: Option<String> = None;
    for (han, run) in runs(title) {
        if han {
            previous_word = None;
            let chars: Vec<char> = run.chars().collect();
            for start in 0..chars.len() {
                for len in 2..=LONGEST.min(chars.len() - start) {
                    let piece = &chars[start..start + len];
                    if han_candidate(piece) {
                        out.push(piece.iter().collect());
                    }
                }
            }
        } else if word_candidate(&run) {
            if let Some(before) = previous_word.take() {
                out.push(format!("{before} {run}"));
            }
            out.push(run.clone());
            previous_word = Some(run);
        } else {
            previous_word = None;
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `theme` is in a folded title: as a substring for Chinese, as
/// whole words for English.
fn mentions(title: &str, theme: &str) -> bool {
    if theme.chars().any(is_han) {
        return title.contains(theme);
    }
    let runs = runs(title);
    let words: Vec<&str> = runs
        .iter()
        .filter(|(han, _)| !han)
        .map(|(_, w)| w.as_str())
        .collect();
    let wanted: Vec<&str> = theme.split(' ').collect();
    words.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

/// The themes of `titles` (folded), most tickets first: the candidates in
/// two or more, subsumed ones and same-ticket duplicates dropped. Each
/// with the indexes of the titles that mention it.
pub fn themes_of(titles: &[String]) -> Vec<(String, Vec<usize>)> {
    let mut tickets: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, title) in titles.iter().enumerate() {
        for c in candidates(title) {
            tickets.entry(c).or_default().push(i);
        }
    }
    let mut found: Vec<(String, Vec<usize>)> =
        tickets.into_iter().filter(|(_, t)| t.len() >= 2).collect();
    // Longest first, so a piece is compared with those that may hold it.
    found.sort_by(|a, b| {
        b.0.chars()
            .count()
            .cmp(&a.0.chars().count())
            .then_with(|| a.0.cmp(&b.0))
    });
    let mut kept: Vec<(String, Vec<usize>)> = Vec::new();
    for (piece, docs) in found {
        let held = kept.iter().any(|(longer, theirs)| {
            (longer.contains(piece.as_str()) && theirs.len() as f64 >= SUBSUMED * docs.len() as f64)
                || *theirs == docs
        });
        if !held {
            kept.push((piece, docs));
        }
    }
    // A piece cut at LONGEST characters grows back to the whole phrase its
    // tickets share: while every one of them has the same Chinese
    // character next to it, that character is taken in.
    for (theme, docs) in &mut kept {
        let shared = docs.iter().map(|&i| titles[i].as_str());
        *theme = match theme.chars().all(is_han) {
            true => grown(theme, shared),
            false => grown_words(theme, shared),
        };
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    kept.dedup();
    kept.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then_with(|| b.0.chars().count().cmp(&a.0.chars().count()))
            .then_with(|| a.0.cmp(&b.0))
    });
    kept
}

/// `theme` with the characters before and after it that are the same in
/// every title (at its first place in each), up to a title's length.
fn grown<'a>(theme: &str, titles: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut theme = theme.to_string();
    let neighbour = |theme: &str, after: bool| -> Option<char> {
        let mut shared: Option<char> = None;
        for title in titles.clone() {
            let at = title.find(theme)?;
            let c = if after {
                title[at + theme.len()..].chars().next()
            } else {
                title[..at].chars().next_back()
            }
            .filter(|c| is_han(*c))?;
            match shared {
                None => shared = Some(c),
                Some(s) if s == c => {}
                Some(_) => return None,
            }
        }
        shared
    };
    // A title is at most a few hundred characters: the loop ends.
    for _ in 0..64 {
        if let Some(c) = neighbour(&theme, true) {
            theme.push(c);
        } else if let Some(c) = neighbour(&theme, false) {
            theme.insert(0, c);
        } else {
            break;
        }
    }
    theme
}

/// An English theme with the words before and after it that are the same
/// in every title (at its first place in each).
fn grown_words<'a>(theme: &str, titles: impl Iterator<Item = &'a str>) -> String {
    let lists: Vec<Vec<String>> = titles
        .map(|t| {
            runs(t)
                .into_iter()
                .filter(|(han, _)| !han)
                .map(|(_, w)| w)
                .collect()
        })
        .collect();
    let mut words: Vec<String> = theme.split(' ').map(String::from).collect();
    let place =
        |list: &[String], words: &[String]| list.windows(words.len()).position(|w| w == words);
    for _ in 0..16 {
        let neighbour = |after: bool| -> Option<String> {
            let mut shared: Option<&String> = None;
            for list in &lists {
                let at = place(list, &words)?;
                let w = match after {
                    true => list.get(at + words.len())?,
                    false => list.get(at.checked_sub(1)?)?,
                };
                match shared {
                    None => shared = Some(w),
                    Some(s) if s == w => {}
                    Some(_) => return None,
                }
            }
            shared.filter(|w| word_candidate(w)).cloned()
        };
        if let Some(w) = neighbour(true) {
            words.push(w);
        } else if let Some(w) = neighbour(false) {
            words.insert(0, w);
        } else {
            break;
        }
    }
    words.join(" ")
}

/// The section's themes: per type in desk.yaml's order, the `top` themes
/// of the titles created in the period, with their count in the previous
/// period and whether they rise fast.
pub fn themes(r: &Report, settings: ThemeSettings) -> Vec<Theme> {
    let previous = r.period.previous();
    let mut by_type: BTreeMap<&str, (Vec<&Facts>, Vec<String>)> = BTreeMap::new();
    for f in r.facts.iter().filter(|f| previous.contains(f.created_date)) {
        by_type
            .entry(f.kind.as_str())
            .or_default()
            .1
            .push(folded(&f.title));
    }
    for f in r.facts.iter().filter(|f| r.period.contains(f.created_date)) {
        by_type.entry(f.kind.as_str()).or_default().0.push(f);
    }
    let mut order: Vec<&str> = r.config.types.iter().map(|t| t.key.as_str()).collect();
    for kind in by_type.keys() {
        if !order.contains(kind) {
            order.push(kind);
        }
    }
    // Each ticket's text to quote: the first of its voices in `Source`'s
    // order.
    let mut said: HashMap<&str, &super::voices::Voice> = HashMap::new();
    for v in r.voices {
        let best = said.entry(v.ticket.as_str()).or_insert(v);
        if v.source < best.source {
            *best = v;
        }
    }
    let mut out = Vec::new();
    for kind in order {
        let Some((now, before)) = by_type.get(kind) else {
            continue;
        };
        // The latest tickets first: examples are the most recent.
        let mut now: Vec<&Facts> = now.clone();
        now.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let titles: Vec<String> = now.iter().map(|f| folded(&f.title)).collect();
        for (theme, docs) in themes_of(&titles).into_iter().take(settings.top) {
            let previous = before.iter().filter(|t| mentions(t, &theme)).count();
            let count = docs.len();
            let rising = count >= settings.rise_min
                && count > previous
                && (previous == 0 || count as f64 >= settings.rise_ratio * previous as f64);
            out.push(Theme {
                kind: kind.to_string(),
                theme,
                tickets: count,
                of: now.len(),
                previous,
                examples: {
                    let mut shown: Vec<String> = Vec::new();
                    for &i in &docs {
                        let title = Voice::quote_of(&now[i].title);
                        if shown.len() < EXAMPLES && !shown.contains(&title) {
                            shown.push(title);
                        }
                    }
                    shown
                },
                quotes: {
                    let mut quoted: Vec<String> = Vec::new();
                    for &i in &docs {
                        if let Some(v) = said.get(now[i].id.as_str()) {
                            if quoted.len() < EXAMPLES && !quoted.contains(&v.quote) {
                                quoted.push(v.quote.clone());
                            }
                        }
                    }
                    quoted
                },
                rising,
            });
        }
    }
    out
}

pub fn build(r: &Report) -> Records {
    let mut records = Records::new(&COLUMNS)
        .cut(&["theme", "examples", "quotes"])
        .spare(&["quotes", "examples", "change", "share_pct"]);
    for t in r.themes() {
        records.push(vec![
            text(&t.kind),
            text(&t.theme),
            int(t.tickets),
            dec(pct(t.tickets, t.of), 1),
            int(t.previous),
            Cell::Int(t.tickets as i64 - t.previous as i64),
            text(if t.rising { "yes" } else { "" }),
            text(t.examples.join(" | ")),
            text(t.quotes.join(" | ")),
        ]);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| folded(t)).collect()
    }

    #[test]
    fn the_longest_shared_phrase_is_the_theme_and_its_pieces_are_not() {
        let found = themes_of(&titles(&[
            "手机更新后无法开机",
            "平板无法开机",
            "无法开机，屏幕黑",
            "开机很慢",
            "发票开错了",
            "发票抬头错误",
        ]));
        let names: Vec<(&str, usize)> = found.iter().map(|(t, d)| (t.as_str(), d.len())).collect();
        // 开机 is in four titles, 无法开机 in three: 3 < 0.8 × 4, both stay.
        assert_eq!(names, [("开机", 4), ("无法开机", 3), ("发票", 2)]);
        // A phrase longer than the pieces counted comes back whole.
        let long = themes_of(&titles(&[
            "会员续费有什么优惠活动",
            "请问会员续费有什么优惠活动吗",
        ]));
        assert_eq!(long[0].0, "会员续费有什么优惠活动");
    }

    #[test]
    fn english_words_and_pairs_and_no_stop_words_or_numbers() {
        let found = themes_of(&titles(&[
            "Printer offline after update",
            "printer OFFLINE again",
            "The printer is offline",
            "Order 20261101 late",
            "Order 20261101 refund",
        ]));
        let names: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
        // "printer" is in the same three titles as "offline": one theme.
        // The order number is no theme, "is" and "the" neither.
        assert_eq!(names, ["offline", "printer offline", "order"]);
        assert!(mentions(&folded("My Printer Offline"), "printer offline"));
        assert!(!mentions(&folded("printers offline"), "printer offline"));
    }

    #[test]
    fn particles_do_not_start_or_end_a_theme() {
        let found = themes_of(&titles(&["退款的进度", "退款的进度"]));
        assert_eq!(found[0].0, "退款的进度");
        assert!(found
            .iter()
            .all(|(t, _)| !t.ends_with('的') && !t.starts_with('的')));
    }
}
