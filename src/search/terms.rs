//! Text into search terms, the same way for a ticket and for a query:
//! Chinese runs segmented by jieba in search mode (a long word gives its
//! shorter words too) plus every pair of adjacent characters, so that a
//! product name the dictionary does not know still matches; other text
//! case-folded and folded to ASCII (`Café` → `cafe`). Long digit runs (a
//! phone, a card or an ID number typed into a note) are never terms: no
//! personal number is findable, or stored in the index.

use std::sync::OnceLock;

use jieba_rs::Jieba;

use crate::text::is_han;

/// The store's own words (`dict.txt`), read by the segmenter when it is
/// first used.
static USER_DICTIONARY: OnceLock<String> = OnceLock::new();
static SEGMENTER: OnceLock<Jieba> = OnceLock::new();

/// Gives the segmenter the store's own words (jieba's format: `word [freq]
/// [tag]` a line), before its first use; later calls change nothing. Cheap:
/// the dictionaries load when text is first segmented.
pub fn set_user_dictionary(text: &str) {
    let _ = USER_DICTIONARY.set(text.to_string());
}

fn segmenter() -> &'static Jieba {
    SEGMENTER.get_or_init(|| {
        let mut jieba = Jieba::new();
        if let Some(words) = USER_DICTIONARY.get() {
            // A line jieba cannot read is skipped by it; a dictionary that
            // fails whole leaves the built-in one alone.
            let _ = jieba.load_dict(&mut std::io::BufReader::new(words.as_bytes()));
        }
        jieba
    })
}

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
    terms_with(text, true)
}

/// The terms a query looks for: Chinese as its pairs of characters only.
/// Every document holds the pairs of its text as well as its words (a word
/// of two characters is its pair), so the pairs find what the words would;
/// and a search needs no dictionary loaded, which costs a sixth of a second.
pub fn query_terms(text: &str) -> Vec<String> {
    terms_with(text, false)
}

fn terms_with(text: &str, segment: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    let mut han = false;
    for c in text.chars() {
        let c = fold(c);
        let this_han = is_han(c);
        let word_char = this_han || c.is_alphanumeric();
        if !word_char || (this_han != han && !run.is_empty()) {
            flush(&mut out, &run, han, segment);
            run.clear();
        }
        if word_char {
            han = this_han;
            run.push(c);
        }
    }
    flush(&mut out, &run, han, segment);
    out
}

fn flush(out: &mut Vec<String>, run: &str, han: bool, segment: bool) {
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
    // Words of two characters or more; single characters are mostly
    // particles (的, 了), and the pairs below cover what they would.
    let words: Vec<&str> = if segment {
        segmenter()
            .cut_for_search(run, true)
            .into_iter()
            .filter(|w| w.chars().count() > 1)
            .collect()
    } else {
        Vec::new()
    };
    out.extend(words.iter().map(|w| w.to_string()));
    // The pairs the words are not already.
    out.extend(
        chars
            .windows(2)
            .map(|pair| pair.iter().collect::<String>())
            .filter(|pair| !words.contains(&pair.as_str())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_words_and_pairs_english_folded_numbers_left_out() {
        let t = terms("打印机无法开机 Printer OFFLINE, café Ｅ０２ 电话13812345678");
        for want in [
            "打印",
            "打印机",
            "无法",
            "开机",
            "机无",
            "printer",
            "offline",
            "cafe",
            "e02",
            "电话",
        ] {
            assert!(t.contains(&want.to_string()), "{want} in {t:?}");
        }
        assert!(!t.iter().any(|w| w.contains("1381")), "{t:?}");
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
