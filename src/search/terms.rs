//! Text into search terms, the same way for a ticket and for a query:
//! Chinese runs as every pair of adjacent characters (a run of one
//! character as itself), other text case-folded and folded to ASCII
//! (`Café` → `cafe`). Long digit runs (a phone, a card or an ID number
//! typed into a note) are never terms: no personal number is findable, or
//! stored in the index.
//!
//! Pairs rather than a segmenter's words: a word of the query is found by
//! its pairs wherever the text holds it, a product name no dictionary knows
//! (星云X9) as well as any other, and neither a search nor an update of the
//! index loads a dictionary (jieba's takes a sixth of a second, three times
//! what a search may cost). Ranking favours a ticket holding all the pairs
//! of a word. docs/search.md gives the measurements behind the choice.

use crate::text::is_han;

/// Digit runs this long or longer are numbers of people (phones, ID and
/// card numbers, order numbers long enough to be personal), never terms.
const LONGEST_NUMBER: usize = 6;

/// English words too common to tell tickets apart.
const STOP_WORDS: [&str; 24] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "is", "it", "of", "on", "or", "that", "the", "this", "to", "with",
];

pub use crate::text::fold;

/// The terms of `text`, in order, repeated as often as they occur.
pub fn terms(text: &str) -> Vec<String> {
    // E-mail addresses and personal numbers typed into a text are never
    // terms: not findable, not stored in the index.
    let text = crate::model::mask::personal_removed(text);
    let mut out = Vec::new();
    let mut run = String::new();
    let mut han = false;
    for c in text.chars() {
        let c = fold(c);
        let this_han = is_han(c);
        let word_char = this_han || c.is_alphanumeric();
        if !word_char || (this_han != han && !run.is_empty()) {
            flush(&mut out, &run, han);
            run.clear();
        }
        if word_char {
            han = this_han;
            run.push(c);
        }
    }
    flush(&mut out, &run, han);
    out
}

fn flush(out: &mut Vec<String>, run: &str, han: bool) {
    if run.is_empty() {
        return;
    }
    if !han {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        // One letter or digit alone tells nothing apart.
        if digits > LONGEST_NUMBER || run.chars().count() < 2 || STOP_WORDS.contains(&run) {
            return;
        }
        out.push(run.to_string());
        return;
    }
    let chars: Vec<char> = run.chars().collect();
    if chars.len() == 1 {
        out.push(run.to_string());
        return;
    }
    out.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_pairs_english_folded_numbers_left_out() {
        let t = terms("打印机无法开机 Printer OFFLINE, café Ｅ０２ 电话13812345678");
        for want in [
            "打印", "印机", "无法", "开机", "机无", "printer", "offline", "cafe", "e02", "电话",
        ] {
            assert!(t.contains(&want.to_string()), "{want} in {t:?}");
        }
        assert!(!t.iter().any(|w| w.contains("1381")), "{t:?}");
        // Nor any part of an e-mail address.
        let t = terms("回复 li.si@corp.cn 已收到");
        assert!(
            !t.iter().any(|w| w == "corp" || w == "si" || w == "cn"),
            "{t:?}"
        );
        assert!(t.contains(&"回复".to_string()), "{t:?}");
        // Pairs only: no three-character word, no single character of a run.
        assert!(!t.iter().any(|w| w == "打印机" || w == "打"), "{t:?}");
        assert!(terms("the of and").is_empty());
    }

    #[test]
    fn an_unknown_product_name_still_matches_by_pairs() {
        let doc = terms("星云X9扫地机器人不回充");
        for q in terms("星云") {
            assert!(doc.contains(&q), "{q} in {doc:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_terms_never_a_panic(text in "\\PC{0,200}") {
            for t in terms(&text) {
                proptest::prop_assert!(!t.is_empty());
            }
        }
    }
}
