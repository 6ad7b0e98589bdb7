//! What a person types into `desk search`: words, `"exact phrases"` and
//! `-excluded` words, in Chinese, English or both (`打印机 offline`).

use super::terms::{fold, terms};

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// The terms that rank, from the words and the phrases, without repeats.
    pub terms: Vec<String>,
    /// Phrases a ticket must hold as typed (case and width folded).
    pub phrases: Vec<String>,
    /// Words a ticket must not hold: each as its terms, all of which a
    /// ticket holding it has.
    pub excluded: Vec<Vec<String>>,
    /// Words as typed, for highlighting.
    pub words: Vec<String>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let mut q = Query::default();
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let (word, after, quoted) = if let Some(body) = rest.strip_prefix('"') {
                match body.find('"') {
                    Some(end) => (&body[..end], &body[end + 1..], true),
                    None => (body, "", true),
                }
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], &rest[end..], false)
            };
            rest = after;
            if let Some(excluded) = word.strip_prefix('-').filter(|_| !quoted) {
                let t = terms(excluded);
                if !t.is_empty() {
                    q.excluded.push(t);
                }
                continue;
            }
            let t = terms(word);
            if t.is_empty() {
                continue;
            }
            if quoted {
                q.phrases.push(folded(word));
            }
            q.words.push(word.to_string());
            for term in t {
                if !q.terms.contains(&term) {
                    q.terms.push(term);
                }
            }
        }
        q
    }

    /// Whether nothing would rank: no word left once folded.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Text as phrases are compared: folded, runs of spaces as one.
pub fn folded(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.chars().map(fold).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_exclusions() {
        let q = Query::parse(r#"打印机 Offline "paper jam" -退款"#);
        assert!(q.terms.contains(&"打印".to_string()) && q.terms.contains(&"印机".to_string()));
        assert!(q.terms.contains(&"offline".to_string()));
        assert!(q.terms.contains(&"paper".to_string()));
        assert_eq!(q.phrases, ["paper jam"]);
        assert_eq!(q.excluded, [vec!["退款".to_string()]]);
        assert!(Query::parse("  -x  \"\" ").is_empty());
        assert_eq!(
            Query::parse(r#""unclosed phrase"#).phrases,
            ["unclosed phrase"]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_query_parses(text in "\\PC{0,120}") {
            let _ = Query::parse(&text);
        }
    }
}
