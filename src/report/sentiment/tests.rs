use super::*;

use std::time::{Duration, Instant};

use proptest::prelude::*;

use Sentiment::{Negative, Neutral, Positive, Suggestion};

#[test]
fn names_and_labels() {
    let names: Vec<_> = Sentiment::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["positive", "neutral", "negative", "suggestion"]);
    let labels: Vec<_> = Sentiment::ALL.iter().map(|s| s.label()).collect();
    assert_eq!(labels, ["正面", "中性", "负面", "建议"]);
    for s in Sentiment::ALL {
        assert_eq!(Sentiment::from_name(s.name()), Some(s));
    }
    assert_eq!(Sentiment::from_name("happy"), None);
}

#[test]
fn survey_scores_cut_at_four_and_two() {
    assert_eq!(of_scores(5.0), Positive);
    assert_eq!(of_scores(4.0), Positive);
    assert_eq!(of_scores(3.9), Neutral);
    assert_eq!(of_scores(3.0), Neutral);
    assert_eq!(of_scores(2.1), Neutral);
    assert_eq!(of_scores(2.0), Negative);
    assert_eq!(of_scores(1.0), Negative);
    assert_eq!(of_scores(f64::NAN), Neutral);
}

fn check(cases: &[(&str, Sentiment)]) {
    for &(text, want) in cases {
        let a = analyse(text);
        assert_eq!(a.sentiment, want, "{text}: {a:?}");
    }
}

#[test]
fn lexicon_terms_both_ways() {
    check(&[
        ("客服很耐心，处理得很及时", Positive),
        ("客服互相推诿，踢皮球", Negative),
        ("The agent was rude.", Negative),
        ("Very helpful, thanks!", Positive),
        ("", Neutral),
        ("请问发票什么时候能开？", Neutral),
    ]);
}

#[test]
fn negation_within_three_words_flips_a_term() {
    check(&[
        ("不慢", Positive),
        ("一点都不慢", Positive),
        ("不太满意", Negative),
        ("客服不专业", Negative),
        ("没有不耐心", Positive),
        ("Not helpful at all.", Negative),
        ("It doesn't help, not helpful", Negative),
    ]);
}

#[test]
fn the_clause_after_a_contrast_wins() {
    check(&[
        ("态度很好，但是问题一直没解决", Negative),
        ("物流慢了点，不过客服处理得很好", Positive),
        ("挺好的，就是太慢了", Negative),
        ("Slow at first, but the agent was very helpful.", Positive),
        // Nothing after the contrast: the whole text counts.
        ("客服很耐心，但是我还有一个问题", Positive),
    ]);
}

#[test]
fn waiting_and_nothing_happening_are_complaints() {
    check(&[
        ("等了三天还没人回复", Negative),
        ("已经三天了", Negative),
        ("等了两个小时", Negative),
        ("至今没人联系我", Negative),
        ("Waited 5 days.", Negative),
        ("Still not working.", Negative),
    ]);
}

#[test]
fn wishes_are_suggestions_unless_a_complaint_dominates() {
    check(&[
        ("希望能增加夜间客服", Suggestion),
        ("服务很好，建议增加夜间客服", Suggestion),
        ("It would be nice to have live chat.", Suggestion),
        ("等了三天没人理，希望尽快处理", Negative),
        ("没抱希望", Neutral),
    ]);
}

#[test]
fn a_word_is_read_only_where_a_word_ends() {
    // 快 is not read in 快递, nor 满意 in 满意度.
    check(&[("快递到了", Neutral), ("满意度调查收到了", Neutral)]);
}

#[test]
fn topics_in_a_question_are_not_complaints() {
    check(&[
        ("请问怎么申请退款", Neutral),
        ("退款到现在还没到账", Negative),
    ]);
}

// --- The labelled sample ---------------------------------------------------

/// The sample's lines: (label, text, held out).
fn sample() -> Vec<(Sentiment, &'static str, bool)> {
    let text = include_str!("../../../tests/sentiment/sample.tsv");
    let mut held_out = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("# held-out") {
            held_out = true;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (label, text) = line.split_once('\t').expect("label<TAB>text");
        let label = Sentiment::from_name(label).unwrap_or_else(|| panic!("label {label}"));
        out.push((label, text, held_out));
    }
    out
}

/// A 4×4 confusion matrix: `[label][predicted]`, in [`Sentiment::ALL`]'s
/// order.
#[derive(Default)]
struct Confusion([[usize; 4]; 4]);

impl Confusion {
    fn of(lines: &[&(Sentiment, &str, bool)], classify: impl Fn(&str) -> Sentiment) -> Confusion {
        let mut m = Confusion::default();
        for (label, text, _) in lines {
            m.0[*label as usize][classify(text) as usize] += 1;
        }
        m
    }

    fn total(&self) -> usize {
        self.0.iter().flatten().sum()
    }

    fn correct(&self) -> usize {
        (0..4).map(|i| self.0[i][i]).sum()
    }

    fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total() as f64
    }

    /// A Markdown table, as docs/report.md shows it.
    fn table(&self) -> String {
        let mut s =
            String::from("| label \\ classified | positive | neutral | negative | suggestion |\n");
        s.push_str("| --- | ---: | ---: | ---: | ---: |\n");
        for (i, row) in self.0.iter().enumerate() {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                Sentiment::ALL[i].name(),
                row[0],
                row[1],
                row[2],
                row[3]
            ));
        }
        s
    }
}

/// A generic review lexicon, standing in for the general-purpose ones
/// (words of liking and disliking a product, not of service): positive
/// minus negative words, no negation, contrast, patterns or suggestions.
fn generic(text: &str) -> Sentiment {
    const POSITIVE: &[&str] = &[
        "好",
        "不错",
        "满意",
        "喜欢",
        "推荐",
        "棒",
        "赞",
        "完美",
        "优秀",
        "值得",
        "漂亮",
        "开心",
        "高兴",
        "实惠",
        "划算",
        "舒服",
        "方便",
        "快",
        "好用",
        "感谢",
        "谢谢",
        "good",
        "great",
        "excellent",
        "love",
        "like",
        "nice",
        "best",
        "happy",
        "perfect",
        "recommend",
        "awesome",
        "amazing",
        "thanks",
        "fast",
        "easy",
    ];
    const NEGATIVE: &[&str] = &[
        "差",
        "不好",
        "失望",
        "垃圾",
        "糟糕",
        "后悔",
        "坑",
        "慢",
        "贵",
        "难用",
        "烂",
        "假",
        "骗",
        "坏",
        "不满",
        "生气",
        "bad",
        "poor",
        "terrible",
        "worst",
        "awful",
        "hate",
        "disappointed",
        "slow",
        "broken",
        "expensive",
        "waste",
        "useless",
    ];
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let count = |list: &[&str]| -> usize {
        list.iter()
            .map(|w| {
                if w.is_ascii() {
                    words.iter().filter(|x| *x == w).count()
                } else {
                    lower.matches(w).count()
                }
            })
            .sum()
    };
    verdict(count(POSITIVE) as i32 - count(NEGATIVE) as i32)
}

/// desk's own lexicon counted naively: the sum of the weights of its
/// entries (where a word ends, as the method matches them), without
/// negation, contrast, patterns, questions or suggestions.
fn lexicon_only(text: &str) -> Sentiment {
    let lexicon = lexicon();
    let mut score = 0;
    for clause in clauses(text) {
        let units = units(&clause.tokens);
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
                Some(e) => {
                    score += e.weight;
                    i += e.units.len();
                }
                None => i += 1,
            }
        }
    }
    verdict(score)
}

fn verdict(score: i32) -> Sentiment {
    match score {
        s if s > 0 => Positive,
        s if s < 0 => Negative,
        _ => Neutral,
    }
}

/// The accuracy each split must keep: what was measured when the method
/// was fixed (dev 143/144 = 99.3%, held-out 89/96 = 92.7%), rounded down
/// to a multiple of 5%.
const DEV_FLOOR: f64 = 0.95;
const HELD_OUT_FLOOR: f64 = 0.90;

#[test]
fn accuracy_on_the_labelled_sample() {
    let lines = sample();
    let dev: Vec<_> = lines.iter().filter(|l| !l.2).collect();
    let held: Vec<_> = lines.iter().filter(|l| l.2).collect();
    let all: Vec<_> = lines.iter().collect();
    assert!(lines.len() >= 220, "{} lines", lines.len());
    let mut report = String::new();
    for (name, split) in [("dev", &dev), ("held-out", &held), ("all", &all)] {
        let counts: Vec<String> = Sentiment::ALL
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.name(),
                    split.iter().filter(|l| l.0 == *s).count()
                )
            })
            .collect();
        let m = Confusion::of(split, classify);
        report.push_str(&format!(
            "\n{name}: {} lines ({}); desk: {}/{} = {:.1}%\n{}",
            split.len(),
            counts.join(", "),
            m.correct(),
            m.total(),
            100.0 * m.accuracy(),
            m.table()
        ));
        for (baseline, f) in [
            ("generic lexicon", generic as fn(&str) -> Sentiment),
            ("desk's lexicon, counted naively", lexicon_only),
        ] {
            let b = Confusion::of(split, f);
            report.push_str(&format!(
                "{name}, {baseline}: {}/{} = {:.1}%\n{}",
                b.correct(),
                b.total(),
                100.0 * b.accuracy(),
                b.table()
            ));
        }
    }
    // Shown with --nocapture.
    println!("{report}");
    let dev_accuracy = Confusion::of(&dev, classify).accuracy();
    let held_accuracy = Confusion::of(&held, classify).accuracy();
    assert!(dev_accuracy >= DEV_FLOOR, "dev {dev_accuracy}\n{report}");
    assert!(
        held_accuracy >= HELD_OUT_FLOOR,
        "held-out {held_accuracy}\n{report}"
    );
}

/// The lines classified wrongly, with what was found: the development
/// split's (what tuning looked at), then the held-out split's (listed for
/// the documentation once the method was fixed, never tuned on).
/// `cargo test --lib report::sentiment::tests::misclassified -- --ignored
/// --nocapture`.
#[test]
#[ignore]
fn misclassified() {
    let lines = sample();
    for held_out in [false, true] {
        let split: Vec<_> = lines.iter().filter(|l| l.2 == held_out).collect();
        println!("{}:", if held_out { "held-out" } else { "dev" });
        let mut wrong = 0;
        for (label, text, _) in &split {
            let a = analyse(text);
            if a.sentiment != *label {
                wrong += 1;
                let tokens: Vec<String> = clauses(text)
                    .iter()
                    .map(|c| {
                        c.tokens
                            .iter()
                            .map(|t| t.text.as_str())
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .collect();
                println!(
                    "{:>10} got {:<10} {text}\n           {} score {} {:?}",
                    label.name(),
                    a.sentiment.name(),
                    tokens.join(" / "),
                    a.score,
                    a.found
                );
            }
        }
        println!("{}/{} right\n", split.len() - wrong, split.len());
    }
}

// --- Any text, bounded time ------------------------------------------------

/// Characters the method reads specially, mixed with any character.
fn feedback_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        prop::sample::select(
            "不没有但是不过就是结果虽然等了三天个小时还解决处理希望建议最好快慢耐心推诿退款请问吗一二两半十几，。！？,.!?;\n\t\r\u{0}\u{1b}'’ab not no still waited 5 days👍😡"
                .chars()
                .collect::<Vec<_>>()
        ),
    ]
}

proptest! {
    #[test]
    fn any_text_is_classified_never_a_panic(chars in prop::collection::vec(feedback_char(), 0..400)) {
        let text: String = chars.into_iter().collect();
        let _ = classify(&text);
    }

    #[test]
    fn any_string_is_classified_never_a_panic(text in any::<String>()) {
        let _ = classify(&text);
    }
}

/// Texts of about `bytes` bytes, each repeating a piece: feedback, a
/// Chinese run without punctuation, negators, numbers, control characters
/// and signs, a run of one character.
fn long_texts(bytes: usize) -> Vec<(&'static str, String)> {
    let pieces = [
        (
            "feedback",
            "态度很好，但是等了三天还没人回复，希望尽快处理！Waited 5 days, still not fixed. ",
        ),
        (
            "one chinese run",
            "客服很耐心不慢没有不耐心等了三天还没解决希望",
        ),
        ("negators", "不没不没有"),
        ("numbers", "三十几个12345"),
        (
            "controls and signs",
            "\u{0}\u{7}\u{1b}[31m👍😡\u{200d}\u{fe0f}",
        ),
        ("one character", "等"),
        ("one word", "a"),
    ];
    pieces
        .iter()
        .map(|(name, piece)| (*name, piece.repeat(bytes / piece.len() + 1)))
        .collect()
}

#[test]
fn a_megabyte_is_classified_in_time_that_grows_with_its_length() {
    // The dictionary loads once, outside the timing.
    let _ = classify("预热");
    for ((name, small), (_, big)) in long_texts(100_000).into_iter().zip(long_texts(1_000_000)) {
        let time = |text: &str| {
            let start = Instant::now();
            let _ = classify(text);
            start.elapsed()
        };
        // The small text timed on both sides of the big one, the slower
        // kept: a machine busy with other tests slows both alike.
        let t_small = time(&small);
        let t_big = time(&big);
        let t_small = t_small.max(time(&small));
        println!("{name}: 100 kB {t_small:?}, 1 MB {t_big:?}");
        // Ten times the text: well under a hundred times the time (a
        // quadratic cost would be that), with room for a busy machine.
        assert!(
            t_big < t_small * 30 + Duration::from_millis(200),
            "{name}: 100 kB {t_small:?}, 1 MB {t_big:?}"
        );
        assert!(t_big < Duration::from_secs(20), "{name}: 1 MB {t_big:?}");
    }
}
