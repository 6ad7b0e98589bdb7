//! A survey answered by e-mail: the first line of a customer's reply read
//! as the scores the invitation asked for, in its order (`5 4 5 9`) or
//! named (`效率5 态度4 方案5 推荐9`, `attitude=4`). Read only when the line
//! holds nothing but scores, names of dimensions and separators; a line
//! with other words is a reply like any other. What cannot be read for
//! sure is never guessed: the caller keeps it as the customer's words for
//! an agent.

use std::collections::BTreeMap;

use super::{NPS, SCORES};

/// What the first line of a reply says of the survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailedAnswer {
    /// Every dimension scored, the NPS if given.
    Scores {
        scores: BTreeMap<String, u8>,
        nps: Option<u8>,
    },
    /// Shaped like an answer but not one that can be read for sure: why.
    Unsure(String),
    /// Not an answer: no score, or words that are not the survey's.
    NotAnAnswer,
}

/// Names of the NPS in a named answer, besides `nps`.
const NPS_NAMES: [&str; 5] = ["nps", "推荐", "推荐意愿", "推荐度", "recommend"];

/// The longest first line read as an answer, in characters.
const MAX_LINE: usize = 200;

/// Reads the first non-empty line of `text`. `dimensions` are the survey's
/// keys in the invitation's order; `resolve` gives the key of a name, label
/// or alias of one.
pub fn read(
    text: &str,
    dimensions: &[&str],
    resolve: impl Fn(&str) -> Option<String>,
) -> MailedAnswer {
    let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return MailedAnswer::NotAnAnswer;
    };
    if line.chars().count() > MAX_LINE {
        return MailedAnswer::NotAnAnswer;
    }
    let Some(tokens) = tokens(line) else {
        return MailedAnswer::NotAnAnswer;
    };
    if tokens.iter().all(|t| t.number.is_none()) {
        return MailedAnswer::NotAnAnswer;
    }
    // Every word must name a dimension or the NPS, or the line is prose.
    let mut named = Vec::new();
    for t in &tokens {
        match &t.word {
            None => named.push(None),
            Some(w) if NPS_NAMES.contains(&w.to_lowercase().as_str()) => {
                named.push(Some(Name::Nps))
            }
            Some(w) => match resolve(w) {
                Some(key) => named.push(Some(Name::Dimension(key))),
                None => return MailedAnswer::NotAnAnswer,
            },
        }
    }
    let unsure = |why: String| MailedAnswer::Unsure(why);
    let Some(numbers) = tokens
        .iter()
        .map(|t| t.number)
        .collect::<Option<Vec<u32>>>()
    else {
        return unsure("a name without its score".into());
    };
    let all_bare = named.iter().all(Option::is_none);
    let all_named = named.iter().all(Option::is_some);
    let mut scores = BTreeMap::new();
    let mut nps = None;
    if all_bare {
        let d = dimensions.len();
        if numbers.len() != d && numbers.len() != d + 1 {
            return unsure(format!(
                "{} numbers; the survey asks for {d} scores, then the NPS if you like",
                numbers.len()
            ));
        }
        for (key, n) in dimensions.iter().zip(&numbers) {
            scores.insert(key.to_string(), *n);
        }
        nps = numbers.get(d).copied();
    } else if all_named {
        for (name, n) in named.into_iter().flatten().zip(&numbers) {
            let twice = match name {
                Name::Nps => nps.replace(*n).is_some(),
                Name::Dimension(key) => scores.insert(key, *n).is_some(),
            };
            if twice {
                return unsure("a dimension scored twice".into());
            }
        }
        let missing: Vec<&str> = dimensions
            .iter()
            .copied()
            .filter(|d| !scores.contains_key(*d))
            .collect();
        if !missing.is_empty() {
            return unsure(format!("not scored: {}", missing.join(", ")));
        }
    } else {
        return unsure("some scores named and some not".into());
    }
    // Judged in the invitation's order, so the first bad score is named.
    let mut checked = BTreeMap::new();
    for key in dimensions {
        let n = scores[*key];
        match u8::try_from(n).ok().filter(|n| SCORES.contains(n)) {
            Some(n) => checked.insert(key.to_string(), n),
            None => return unsure(format!("{key} scored {n}; scores are 1 to 5")),
        };
    }
    let nps = match nps {
        None => None,
        Some(n) => match u8::try_from(n).ok().filter(|n| NPS.contains(n)) {
            Some(n) => Some(n),
            None => return unsure(format!("NPS {n}; the NPS is 0 to 10")),
        },
    };
    MailedAnswer::Scores {
        scores: checked,
        nps,
    }
}

enum Name {
    Dimension(String),
    Nps,
}

/// A word (a name) and the number after it, either of them alone.
#[derive(Debug)]
struct Token {
    word: Option<String>,
    number: Option<u32>,
}

/// The line as names and numbers; `None` when it holds anything else
/// (punctuation of prose, a question mark).
fn tokens(line: &str) -> Option<Vec<Token>> {
    let mut out: Vec<Token> = Vec::new();
    let mut word = String::new();
    let mut number: Option<u32> = None;
    let flush = |out: &mut Vec<Token>, word: &mut String, number: &mut Option<u32>| {
        if !word.is_empty() || number.is_some() {
            out.push(Token {
                word: (!word.is_empty()).then(|| std::mem::take(word)),
                number: number.take(),
            });
        }
    };
    for c in line.chars() {
        // Full-width digits, as Chinese input methods type them.
        let c = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32)?,
            c => c,
        };
        if let Some(d) = c.to_digit(10) {
            number = Some(number.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
        } else if c.is_alphabetic() && c != '分' {
            if number.is_some() {
                flush(&mut out, &mut word, &mut number);
            }
            word.push(c);
        } else if c == '分' && number.is_some() {
            // `5分`: the unit of a score.
        } else if c.is_whitespace() || ",，、;；/|".contains(c) {
            if number.is_some() {
                flush(&mut out, &mut word, &mut number);
            }
        } else if "=:：".contains(c) && !word.is_empty() && number.is_none() {
            // `efficiency=5`, `效率：5`.
        } else if c == '-' && !word.is_empty() && number.is_none() {
            // `service-attitude` is one alias.
            word.push(c);
        } else {
            return None;
        }
    }
    flush(&mut out, &mut word, &mut number);
    // A word left without a number after the last one: prose or a slip.
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIMS: [&str; 3] = ["efficiency", "attitude", "solution"];

    fn resolve(name: &str) -> Option<String> {
        let name = name.to_lowercase();
        [
            (
                "efficiency",
                &["效率", "解决效率", "问题解决效率", "efficiency"][..],
            ),
            (
                "attitude",
                &["态度", "服务态度", "attitude", "service-attitude"][..],
            ),
            ("solution", &["方案", "方案合理性", "solution"][..]),
        ]
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(key, _)| key.to_string())
    }

    fn read3(text: &str) -> MailedAnswer {
        read(text, &DIMS, resolve)
    }

    fn scores(e: u8, a: u8, s: u8, nps: Option<u8>) -> MailedAnswer {
        MailedAnswer::Scores {
            scores: [("efficiency", e), ("attitude", a), ("solution", s)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            nps,
        }
    }

    #[test]
    fn answers_in_order_or_named() {
        assert_eq!(read3("5 4 5 9"), scores(5, 4, 5, Some(9)));
        assert_eq!(read3("\n  5，4，5\n谢谢"), scores(5, 4, 5, None));
        assert_eq!(read3("５ ４ ５ １０"), scores(5, 4, 5, Some(10)));
        assert_eq!(read3("效率5 态度4 方案5 推荐9"), scores(5, 4, 5, Some(9)));
        assert_eq!(read3("态度：4分 效率5分 方案=5"), scores(5, 4, 5, None));
        assert_eq!(
            read3("efficiency=5, service-attitude=4, solution=3, NPS=7"),
            scores(5, 4, 3, Some(7))
        );
    }

    #[test]
    fn prose_is_a_reply_like_any_other() {
        for text in [
            "",
            "谢谢，问题已经解决了",
            "The printer shows error 5 again",
            "订单号 20261130",
            "还是不行？5",
            "Thanks! 5 5 5",
        ] {
            assert_eq!(read3(text), MailedAnswer::NotAnAnswer, "{text:?}");
        }
    }

    #[test]
    fn an_answer_that_cannot_be_read_for_sure_is_never_guessed() {
        for (text, why) in [
            ("5 4", "2 numbers"),
            ("5 4 5 9 9", "5 numbers"),
            ("效率5 态度4", "not scored: solution"),
            ("效率5 4 5", "some scores named"),
            ("6 4 5", "efficiency scored 6"),
            ("6 6 6", "efficiency scored 6"),
            ("5 4 5 11", "NPS 11"),
            ("效率5 效率4 方案5 态度5", "twice"),
            ("99999999999999 1 1", ""),
        ] {
            match read3(text) {
                MailedAnswer::Unsure(w) => assert!(w.contains(why), "{text:?}: {w}"),
                MailedAnswer::NotAnAnswer if why.is_empty() => {}
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_to_an_answer_or_not_never_a_panic(text in "\\PC{0,300}") {
            let _ = read3(&text);
        }

        #[test]
        fn scores_read_are_in_range(line in "[0-9０-９效率态度方案推荐 ,，=：分]{0,60}") {
            if let MailedAnswer::Scores { scores, nps } = read3(&line) {
                proptest::prop_assert!(scores.values().all(|s| SCORES.contains(s)));
                proptest::prop_assert!(nps.is_none_or(|n| NPS.contains(&n)));
                proptest::prop_assert_eq!(scores.len(), 3);
            }
        }
    }
}
