//! The fast path and the general parser agree: whatever the fast path
//! reads, the general parser reads as the same value; what desk writes,
//! the fast path reads.

use super::from_str;
use crate::model::{Customer, Ticket};
use crate::yaml::{Mapping, Value};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

const TICKET: &str = include_str!("../../../tests/golden/ticket.yaml");
const CUSTOMER: &str = include_str!("../../../tests/golden/customer.yaml");

/// The general parser's reading of `text` as `T`.
fn general<T: DeserializeOwned>(text: &str) -> Result<T, crate::yaml::Error> {
    crate::yaml::from_str(text)
}

/// Whatever the fast path reads, the general parser reads the same (as
/// `Debug` shows it, so that a NaN equals itself); returns whether the
/// fast path read it.
fn agree<T: DeserializeOwned + Debug>(text: &str) -> Result<bool, TestCaseError> {
    let Some(fast) = from_str::<T>(text) else {
        return Ok(false);
    };
    match general::<T>(text) {
        Ok(value) => prop_assert_eq!(format!("{fast:?}"), format!("{value:?}"), "{:?}", text),
        Err(e) => prop_assert!(
            false,
            "the fast path read {text:?}, the general parser: {e}"
        ),
    }
    Ok(true)
}

fn agree_on_all(text: &str) -> Result<bool, TestCaseError> {
    let value = agree::<Value>(text)?;
    agree::<Ticket>(text)?;
    agree::<Customer>(text)?;
    Ok(value)
}

#[test]
fn desk_s_own_files_take_the_fast_path() {
    let ticket: Ticket = from_str(TICKET).expect("the golden ticket is read fast");
    assert_eq!(ticket, general::<Ticket>(TICKET).unwrap());
    let customer: Customer = from_str(CUSTOMER).expect("the golden customer is read fast");
    assert_eq!(customer, general::<Customer>(CUSTOMER).unwrap());
    assert!(agree_on_all(TICKET).unwrap());
    // desk.yaml is written by hand, with flow collections (`{set: false}`)
    // the fast path leaves to the general parser; it is read once a command.
    let demo = std::fs::read_to_string("examples/demo/desk.yaml").unwrap();
    agree::<Value>(&demo).unwrap();
}

/// Strings that need each style desk's writer has: plain, single-quoted,
/// double-quoted with escapes, literal blocks with each chomping and an
/// indentation indicator, and the scalars that only quoting keeps text.
const AWKWARD: &[&str] = &[
    "",
    " lead",
    "trail ",
    "tab\there",
    "x: y",
    "# c",
    "a #b",
    "'q'",
    "\"d\"",
    "null",
    "~",
    "true",
    "012",
    "12",
    "-12",
    "1.5",
    "1e3",
    ".inf",
    "0x1F",
    "yes",
    "-",
    "- a",
    "-a",
    "?x",
    ": x",
    "end:",
    "@at",
    "`b",
    "%p",
    "{a}",
    "[x]",
    "a,b",
    "*a",
    "&a",
    "!a",
    "|a",
    ">a",
    "é\u{7}",
    "\u{85}x",
    "x\r\ny",
    "a\u{2028}b",
    "\u{feff}x",
    "x'y",
    "a\nb",
    "a\nb\n",
    "a\n\nb\n\n",
    "  two\nlines",
    "\nlead",
    "\n",
    "\n\n",
    "x\n ",
    "line\n  indented\n",
    "a\t\nb",
    "a \nb",
    "中文，全角：冒号",
    "操作太复杂\n找不到导出按钮\n",
    "\u{7f}",
    "\u{a0}nbsp",
    "\u{1F600} emoji",
];

#[test]
fn every_style_desk_writes_is_read_as_written() {
    for s in AWKWARD {
        let mut map = Mapping::new();
        map.insert(Value::from("key"), Value::from(*s));
        map.insert(
            Value::from("list"),
            Value::Sequence(vec![Value::from(*s), Value::from(*s)]),
        );
        let mut item = Mapping::new();
        item.insert(Value::from("at"), Value::from(*s));
        item.insert(Value::from("note"), Value::from(*s));
        map.insert(
            Value::from("history"),
            Value::Sequence(vec![Value::Mapping(item)]),
        );
        let value = Value::Mapping(map);
        let text = crate::yaml::to_string(&value).unwrap();
        assert_eq!(general::<Value>(&text).unwrap(), value);
        if let Some(fast) = from_str::<Value>(&text) {
            assert_eq!(fast, value, "{text}");
        } else {
            // Only characters libyaml breaks lines at, or a mark, or a
            // control character, or a text of nothing but line breaks (a
            // block scalar without a line of content), go the general way.
            assert!(
                s.chars().all(|c| c == '\n')
                    || s.chars().any(|c| matches!(
                        c,
                        '\r' | '\u{85}' | '\u{2028}' | '\u{feff}' | '\u{7f}' | '\u{7}'
                    )),
                "{s:?} was not read fast:\n{text}"
            );
        }
    }
}

#[test]
fn what_the_fast_path_leaves_to_the_general_parser() {
    for text in [
        "",
        "# only a comment\n",
        "- a\n",
        "a: 1\n---\nb: 2\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a: >\n  folded\n",
        "a: 'open\n  quote'\n",
        "a: \"open\n  quote\"\n",
        "a: plain\n  continued\n",
        "a:\tb\n",
        "a:\n\t- b\n",
        "? complex\n: key\n",
        "a: b: c\n",
        "a: b\n b: c\n",
        "a: |\nnot indented\n",
        "a:\n-\n",
        "a: x\r\n",
        "a: \"\\/\"\n",
    ] {
        assert!(from_str::<Value>(text).is_none(), "{text:?}");
    }
}

#[test]
fn blank_lines_comments_and_spacing_a_person_may_add_are_read_fast() {
    let edited = "# edited by hand\nid: CW1   # the id\ntitle: 'a title'  \n\ntags: [] \n\
                  history:\n  - at: x\n    note: |-\n      line\n\n      after a blank\n\n  - at: y\n";
    assert!(agree::<Value>(edited).unwrap());
    let value: Value = from_str(edited).unwrap();
    assert_eq!(
        value["history"][0]["note"],
        Value::from("line\n\nafter a blank")
    );
    assert_eq!(value["title"], Value::from("a title"));
}

/// Text in the style of desk's files, with the characters that matter to
/// YAML.
fn awkward_text() -> impl Strategy<Value = String> {
    let chosen = prop::sample::select(AWKWARD.to_vec()).prop_map(str::to_string);
    let mixed = prop::collection::vec(
        prop::sample::select(vec![
            "a", "b", " ", "  ", ":", ": ", "#", " #", "'", "\"", "-", "- ", "\n", "\n\n", "\t",
            "|", ">", "[", "]", "{", "}", ",", "&", "*", "!", "%", "@", "?", "~", "0", "1", ".",
            "e", "x", "中", "文", "\\", "null", "true", "\u{a0}", "\u{85}", "\r",
        ]),
        0..12,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![chosen, mixed]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => awkward_text().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

/// The keys desk writes, and some only hand-made files or custom fields
/// would have.
fn desk_key() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "id",
        "title",
        "at",
        "by",
        "action",
        "note",
        "to",
        "tags",
        "scores",
        "history",
        "微信号",
        "next_attempt",
        "a b",
        "x.y",
        "2026",
        "true",
        "null",
        "-k",
    ])
    .prop_map(str::to_string)
    .boxed()
}

fn any_key() -> BoxedStrategy<String> {
    prop_oneof![4 => desk_key(), 1 => awkward_text()].boxed()
}

fn document_with(key: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    let leaf = scalar();
    let inner_key = key.clone();
    let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Sequence),
            prop::collection::vec((inner_key.clone(), inner), 0..5).prop_map(|entries| {
                Value::Mapping(
                    entries
                        .into_iter()
                        .map(|(k, v)| (Value::from(k), v))
                        .collect(),
                )
            }),
        ]
    });
    prop::collection::vec((key, tree), 1..6).prop_map(|entries| {
        Value::Mapping(
            entries
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        )
    })
}

fn document() -> impl Strategy<Value = Value> {
    document_with(any_key())
}

/// Changes a person or a merge might make to a file.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, &'static str),
    Remove(usize),
    Indent(usize, usize),
    Unindent(usize),
    Byte(usize, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let snippet = prop::sample::select(vec![
        "# comment",
        "  # indented comment",
        "",
        "   ",
        "\t",
        "---",
        "...",
        "  - x",
        "- x",
        "key: value",
        "  key: value",
        "    more: 1",
        "k: |",
        "k: |-",
        "k: |+",
        "k: |2",
        "  text",
        "k: 'a''b'",
        "k: \"a\\tb\\u00e9\"",
        "k: [] # c",
        "k: {}",
        "k:",
        "- at: x",
        "  note: y",
    ]);
    let edit = prop_oneof![
        (any::<usize>(), snippet).prop_map(|(at, s)| Edit::Insert(at, s)),
        any::<usize>().prop_map(Edit::Remove),
        (any::<usize>(), 1..4usize).prop_map(|(at, n)| Edit::Indent(at, n)),
        any::<usize>().prop_map(Edit::Unindent),
        (
            any::<usize>(),
            prop::sample::select(b" :#'\"-|\t\n[]{}x".to_vec())
        )
            .prop_map(|(at, b)| Edit::Byte(at, b)),
    ];
    prop::collection::vec(edit, 1..4)
}

fn edited(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for edit in edits {
        let n = lines.len().max(1);
        match edit {
            Edit::Insert(at, s) => lines.insert(at % (n + 1).min(lines.len() + 1), s.to_string()),
            Edit::Remove(at) if !lines.is_empty() => {
                lines.remove(at % n);
            }
            Edit::Indent(at, by) if !lines.is_empty() => {
                lines[at % n].insert_str(0, &" ".repeat(*by));
            }
            Edit::Unindent(at) if !lines.is_empty() => {
                let line = &mut lines[at % n];
                if line.starts_with(' ') {
                    line.remove(0);
                }
            }
            Edit::Byte(at, b) => {
                let mut joined = lines.join("\n").into_bytes();
                let at = at % (joined.len() + 1);
                joined.insert(at, *b);
                let text = String::from_utf8_lossy(&joined).into_owned();
                lines = text.lines().map(str::to_string).collect();
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// What desk's writer makes of any document, the fast path reads as the
    /// general parser does (and reads at all, unless a character libyaml
    /// breaks lines at is in it).
    #[test]
    fn written_documents_read_the_same(doc in document_with(desk_key())) {
        let text = crate::yaml::to_string(&doc).unwrap();
        let fast = agree_on_all(&text)?;
        let breaks = ['\r', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'];
        prop_assert!(fast || text.contains(breaks) || text.contains("|2") || text.contains(['\u{7}', '\u{7f}']),
            "not read fast:\n{}", text);
    }

    /// Documents with any keys (`? |` complex keys among them): what the
    /// fast path reads, the general parser reads the same.
    #[test]
    fn written_documents_with_any_keys_read_the_same(doc in document()) {
        agree_on_all(&crate::yaml::to_string(&doc).unwrap())?;
    }

    /// Hand edits of written documents: what the fast path reads, the
    /// general parser reads the same; the rest is left to it.
    #[test]
    fn edited_documents_read_the_same_or_go_the_general_way(doc in document(), changes in edits()) {
        let text = edited(&crate::yaml::to_string(&doc).unwrap(), &changes);
        agree_on_all(&text)?;
    }

    /// Hand edits of the golden ticket and customer.
    #[test]
    fn edited_tickets_and_customers_read_the_same(changes in edits(), customer in any::<bool>()) {
        let text = edited(if customer { CUSTOMER } else { TICKET }, &changes);
        agree_on_all(&text)?;
    }

    /// Any short text of YAML's characters: agreement, never a panic.
    #[test]
    fn any_text_reads_the_same_or_goes_the_general_way(
        parts in prop::collection::vec(prop::sample::select(vec![
            "a", "b", "k", " ", "  ", ":", ": ", "#", " #", "'", "\"", "-", "- ", "\n", "\n  ",
            "\n- ", "\t", "|", "|-", "|+", "|2", ">", "[]", "{}", "[", "]", ",", "&", "*", "!",
            "~", "0", "1", ".", "null", "true", "\\", "\\n", "\\x41", "中", "\n\n",
        ]), 0..40)
    ) {
        agree_on_all(&parts.concat())?;
    }
}

/// Every spelling the general parser resolves to null, a boolean or a
/// number (YAML 1.2's core schema, as yaml_serde reads it), written plain
/// by hand: the fast path reads the same value, and all but the last few
/// (beyond 64 bits, which `Value` refuses, and `-` alone) fast.
#[test]
fn plain_spellings_resolve_as_the_general_parser_resolves_them() {
    let fast = [
        "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "0", "+1",
        "-1", "007", "-007", "0x1F", "0o17", "0b101", "-0x1F", "+0x1", "0x-1", "1e3", "-1.5",
        "+.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "1_000", "tRUE", "nULL", "0x", "1.", ".",
        "+",
    ];
    let either = ["18446744073709551616", "-9223372036854775809", "-"];
    for spelling in fast.into_iter().chain(either) {
        let text = format!("k: {spelling}\nl:\n- {spelling}\n");
        let read_fast = agree_on_all(&text).unwrap();
        assert!(
            read_fast || either.contains(&spelling),
            "{text:?} was not read fast"
        );
    }
}
