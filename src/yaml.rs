//! YAML: the one module that names the YAML crate (yaml_serde). Everything
//! else says `crate::yaml::…`, so changing the crate touches this file only;
//! the golden files (src/store/golden.rs) then show whether the on-disk
//! layout moved.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

mod fast;
mod file;

pub use file::{from_yaml, ReadError, MAX_DEPTH};

/// A YAML document as data: the fields desk does not know, a rule's `if:`,
/// a set field's value.
pub use yaml_serde::Value;

/// A YAML mapping (keys in file order).
pub use yaml_serde::Mapping;

/// A YAML number.
pub use yaml_serde::Number;

/// Why YAML text could not be read or a value not written; `location()`
/// gives the line and column of a read error.
pub use yaml_serde::Error;

/// Where in the text a read error is: `line()` and `column()`, from 1.
pub use yaml_serde::Location;

/// Reads a value from YAML text.
pub fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    yaml_serde::from_str(text)
}

/// Writes a value as YAML text: the layout of every file desk writes.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    yaml_serde::to_string(value)
}

/// A typed value from a YAML value.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    yaml_serde::from_value(value)
}

/// A YAML value from a typed value.
pub fn to_value<T: Serialize>(value: T) -> Result<Value, Error> {
    yaml_serde::to_value(value)
}

/// A value as YAML on one line, for messages: a list or a section reads as
/// its lines joined by spaces.
pub fn one_line(value: &Value) -> String {
    to_string(value)
        .unwrap_or_default()
        .trim()
        .replace('\n', " ")
}

/// An error's message without the position of its line: desk names that
/// line itself (`path:line: message`).
pub fn message(err: &Error) -> String {
    let message = err.to_string();
    match err.location() {
        Some(at) => without_position(&message, at.line(), at.column()),
        None => message,
    }
}

/// Where each item of the top-level block list `key:` is in `text`: for
/// each item in order, the 1-based line of its `field:` key (`name:` of a
/// rule), or the line where the item begins when it has no such key on a
/// line of its own (a flow item `- {when: x, name: y}`, or none at all).
/// Read from the text because the parsed value keeps no positions; an item
/// is found by its `-` at the list's indentation, so values that span lines
/// (block scalars, nested lists) do not count. Empty when `key:` is missing
/// or is not a block list (`key: [..]`).
pub fn list_item_lines(text: &str, key: &str, field: &str) -> Vec<usize> {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let mut lines = text.lines().enumerate();
    let header = lines.by_ref().find(|(_, l)| {
        l.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.is_empty() || rest.starts_with('#')
            })
    });
    if header.is_none() {
        return Vec::new();
    }
    let is_item = |t: &str| t == "-" || t.starts_with("- ") || t.starts_with("-\t");
    let mut items: Vec<(usize, Option<usize>)> = Vec::new();
    // The list's indentation, and the indentation of its items' keys.
    let mut at: Option<usize> = None;
    let mut keys: Option<usize> = None;
    for (i, l) in lines {
        if !content(l) {
            continue;
        }
        let t = l.trim_start_matches(' ');
        let n = indent(l);
        // The next top-level key, or the document's end.
        if n == 0 && !is_item(t) {
            break;
        }
        match at {
            None if is_item(t) => at = Some(n),
            None => break,
            Some(_) => {}
        }
        let list = at.expect("set above");
        if n < list {
            break;
        }
        let mut rest = t;
        if n == list && is_item(t) {
            rest = t[1..].trim_start_matches([' ', '\t']);
            // A bare `-` has its keys on the lines below.
            keys = (!rest.is_empty()).then(|| l.len() - rest.len());
            items.push((i + 1, None));
        } else if keys.is_none() && !items.is_empty() {
            keys = Some(n);
        } else if Some(n) != keys {
            continue;
        }
        let item = items.last_mut().expect("a key belongs to an item");
        let named = rest.strip_prefix(field).is_some_and(|r| r.starts_with(':'));
        if named && item.1.is_none() {
            item.1 = Some(i + 1);
        }
    }
    items
        .into_iter()
        .map(|(start, named)| named.unwrap_or(start))
        .collect()
}

/// `message` without " at line L column C" where the crate puts it: after
/// the problem, at the end or before the ", while parsing …" context (whose
/// own position, on another line, stays). Not inside a quoted value.
fn without_position(message: &str, line: usize, column: usize) -> String {
    let position = format!(" at line {line} column {column}");
    let found = message.rmatch_indices(&position).find(|(i, _)| {
        let rest = &message[i + position.len()..];
        rest.is_empty() || rest.starts_with(", ")
    });
    match found {
        Some((i, _)) => format!("{}{}", &message[..i], &message[i + position.len()..]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_lines_of_a_lists_items_are_where_their_names_are() {
        let text = "\
a: 1
rules:
# a comment
- name: first
  when: created
  then:
  - note: |
      - not an item
      name: not a name
- when: closed
  # name: in a comment
  name: second
  then: [{note: x}]
-   {when: created, name: third}
-
  name: fourth
- when: created
agents:
- name: first
";
        assert_eq!(list_item_lines(text, "rules", "name"), [4, 12, 14, 16, 17]);
        let indented = "rules:\n  - name: a\n    when: created\n  - name: b\nother: 1\n";
        assert_eq!(list_item_lines(indented, "rules", "name"), [2, 4]);
        assert!(list_item_lines("rules: [{name: a}]\n", "rules", "name").is_empty());
        assert!(list_item_lines("rulesx:\n- name: a\n", "rules", "name").is_empty());
        assert!(list_item_lines("a: 1\n", "rules", "name").is_empty());
    }

    #[test]
    fn the_position_is_not_repeated_after_the_line() {
        assert_eq!(
            without_position(
                "status: unknown variant, expected `open` at line 9 column 9",
                9,
                9
            ),
            "status: unknown variant, expected `open`"
        );
        assert_eq!(
            without_position("title: at line one", 1, 1),
            "title: at line one"
        );
        assert_eq!(
            without_position(
                "kind: unknown variant `a at line 2 column 7`, expected `b` at line 2 column 7",
                2,
                7
            ),
            "kind: unknown variant `a at line 2 column 7`, expected `b`"
        );
    }

    /// What `message` strips is the crate's own format: another crate
    /// that words its position otherwise fails here, not in a store error.
    #[test]
    fn a_read_error_has_its_line_and_a_message_without_it() {
        let err =
            from_str::<std::collections::BTreeMap<String, bool>>("a: true\nb: 7\n").unwrap_err();
        let at = err.location().expect("a type error has a position");
        assert_eq!(at.line(), 2);
        assert!(err.to_string().ends_with(&format!(
            " at line {} column {}",
            at.line(),
            at.column()
        )));
        assert!(!message(&err).contains(" at line "), "{}", message(&err));
        assert!(!message(&err).is_empty());
    }

    /// A syntax error words its position after the problem, then a
    /// context: the problem's position goes (desk names that line), a
    /// context elsewhere keeps its own.
    #[test]
    fn a_syntax_error_loses_only_the_position_of_its_line() {
        let err = from_str::<Value>("a: 1\nb: [\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line()), Some(3));
        assert_eq!(
            message(&err),
            "did not find expected node content, while parsing a flow node"
        );
        let err = from_str::<Value>("a:\n  - x\n  y: 1\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line()), Some(3));
        assert_eq!(
            message(&err),
            "did not find expected '-' indicator, while parsing a block collection at line 2 column 3"
        );
    }

    proptest::proptest! {
        /// Whatever the broken text, the message keeps something to say
        /// and never the position of the line desk names.
        #[test]
        fn no_read_error_repeats_its_line(text in "([a-z]{0,3}|[-:?&*!|>'\"#%@`{}\\[\\], \n\t]){0,12}") {
            if let Err(err) = from_str::<Value>(&text) {
                let shown = message(&err);
                proptest::prop_assert!(!shown.is_empty());
                if let Some(at) = err.location() {
                    let position = format!(" at line {} column {}", at.line(), at.column());
                    proptest::prop_assert!(
                        !shown.ends_with(&position) && !shown.contains(&format!("{position},")),
                        "{:?}: {}", text, shown
                    );
                }
            }
        }
    }

    #[test]
    fn one_line_joins_the_lines_of_lists_and_sections() {
        assert_eq!(one_line(&Value::Bool(true)), "true");
        assert_eq!(one_line(&from_str::<Value>("[a, b]").unwrap()), "- a - b");
        assert_eq!(one_line(&from_str::<Value>("{a: 1}").unwrap()), "a: 1");
        assert_eq!(
            one_line(&from_str::<Value>("!x {a: 1, b: 2}").unwrap()),
            "!x a: 1 b: 2"
        );
    }

    /// Only this module names the YAML crate (docs/architecture.md), so that
    /// changing it touches one file. Reads every Rust file of src/ and tests/
    /// for the crate's name and that of the one it replaced.
    #[test]
    fn no_other_file_names_the_yaml_crate() {
        const NAMES: [&str; 2] = ["yaml_serde", "serde_yaml"];
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = 0;
        let mut naming = Vec::new();
        for dir in ["src", "tests"] {
            for entry in walkdir::WalkDir::new(root.join(dir)) {
                let entry = entry.unwrap();
                let path = entry.path();
                let rel = path.strip_prefix(root).unwrap();
                if path.extension().is_none_or(|x| x != "rs")
                    || rel.starts_with("src/yaml.rs")
                    || rel.starts_with("src/yaml")
                {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(path).unwrap();
                if NAMES.iter().any(|name| text.contains(name)) {
                    naming.push(rel.display().to_string());
                }
            }
        }
        assert!(
            files > 100,
            "only {files} Rust files found under src/ and tests/"
        );
        assert!(
            naming.is_empty(),
            "files naming the YAML crate outside src/yaml.rs: {naming:?}"
        );
    }
}
