//! Reading the YAML of a desk file (a ticket, a customer, desk.yaml, a
//! holiday file). A store is shared through git, so its files are
//! untrusted: YAML nested deeper than [`MAX_DEPTH`] is refused before the
//! parser sees it (libyaml's time grows with the square of the flow depth),
//! a UTF-8 byte order mark is skipped, and an error names the file and the
//! line but never the file's values.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// The deepest YAML nesting desk reads. What desk writes nests at most 5
/// levels (desk.yaml; tickets 4, customers 3, measured on a demo store);
/// the rest is margin for sections added by hand.
pub const MAX_DEPTH: usize = 32;

/// Why the YAML of a desk file could not be read: the file as shown to
/// people, the 1-based line when known, and what is wrong, without the
/// file's values. It becomes the library's `Error::Parse`.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// Parses YAML text of a store file (`shown` names it in errors): skips a
/// byte order mark, reads desk's own layout on a fast path
/// (`yaml/fast.rs`), refuses nesting deeper than [`MAX_DEPTH`] before the
/// general parser runs, and reports errors by line without the file's
/// values.
pub fn from_yaml<T: DeserializeOwned>(text: &str, shown: &Path) -> Result<T, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // desk's own layout, read without libyaml; anything else, and every
    // error, goes the general way below.
    if let Some(value) = super::fast::from_str(text) {
        return Ok(value);
    }
    if let Some(line) = too_deep(text, MAX_DEPTH) {
        return Err(ReadError {
            path: shown.into(),
            line: Some(line),
            message: format!(
                "nested more than {MAX_DEPTH} levels deep; desk itself writes at most 5 \
                 (docs/format.md)"
            ),
        });
    }
    super::from_str(text).map_err(|e| ReadError {
        path: shown.into(),
        line: e.location().map(|l| l.line()),
        message: without_values(&super::message(&e)),
    })
}

/// The 1-based line at which YAML nesting (open block collections by their
/// indentation, plus open flow brackets) first exceeds `limit`, if it does.
/// A linear scan, not a parser: it skips quoted scalars, comments and block
/// scalars, and counts a bracket in block context only where a node starts,
/// so brackets in text do not count. It may misjudge odd but valid YAML; it
/// only has to bound the depth of what reaches the parser.
fn too_deep(text: &str, limit: usize) -> Option<usize> {
    // Columns of the open block nodes, one entry a level.
    let mut columns: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // An open quoted scalar (it may span lines).
    let mut quote: Option<u8> = None;
    // The indentation of the collection holding an open `|` or `>` scalar.
    let mut block_scalar: Option<usize> = None;
    // The column of a key whose value starts on a later line: a sequence
    // there may sit at the key's own column (`key:` then `- item`).
    let mut open_key: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        let empty = b[indent..].iter().all(|c| c.is_ascii_whitespace());
        if let Some(parent) = block_scalar {
            if empty || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let mut i = 0;
        // At a place where a block node may start (after `- `, `? `, `: `).
        let mut node_start = false;
        if quote.is_none() && flow == 0 {
            if empty || b[indent] == b'#' {
                continue;
            }
            if indent == 0
                && (line.starts_with("---") || line.starts_with("..."))
                && b.get(3).is_none_or(|&c| blank(c))
            {
                // A new document; its root node may start on this line.
                columns.clear();
                i = 3;
            } else {
                while columns.last().is_some_and(|&c| c > indent) {
                    columns.pop();
                }
                // A column held twice is a key's mapping and its sequence;
                // a further `- ` there continues that sequence.
                let item = b[indent] == b'-';
                let n = columns.len();
                if !(item && n >= 2 && columns[n - 1] == indent && columns[n - 2] == indent) {
                    while columns.last() == Some(&indent) {
                        columns.pop();
                    }
                    if item && open_key == Some(indent) {
                        columns.push(indent);
                    }
                    columns.push(indent);
                }
                i = indent;
            }
            // Compact nesting on one line: `- - - x`, `? x`, `: x`.
            while i < b.len()
                && matches!(b[i], b'-' | b'?' | b':')
                && b.get(i + 1).is_none_or(|&c| blank(c))
            {
                i += 1;
                while i < b.len() && blank(b[i]) {
                    i += 1;
                }
                if i < b.len() {
                    columns.push(i);
                }
            }
            if columns.len() > limit {
                return Some(n + 1);
            }
            node_start = true;
        }
        // In flow context: after `[`, `{`, `,` or `:`, where a quote may open.
        let mut flow_token = true;
        let mut after_space = true;
        // In block context: the line so far ends with a key's `:`.
        let mut value_pending = false;
        while i < b.len() {
            let c = b[i];
            i += 1;
            if let Some(q) = quote {
                if q == b'"' && c == b'\\' {
                    i += 1;
                } else if c == q {
                    if q == b'\'' && b.get(i) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                        node_start = false;
                        flow_token = false;
                    }
                }
                continue;
            }
            if c == b'#' && after_space {
                break;
            }
            after_space = blank(c);
            if after_space {
                continue;
            }
            value_pending = false;
            if flow > 0 {
                match c {
                    b'[' | b'{' => {
                        flow += 1;
                        if columns.len() + flow > limit {
                            return Some(n + 1);
                        }
                        flow_token = true;
                    }
                    b']' | b'}' => {
                        flow -= 1;
                        flow_token = false;
                    }
                    b',' | b':' => flow_token = true,
                    b'"' | b'\'' if flow_token => quote = Some(c),
                    _ => flow_token = false,
                }
                continue;
            }
            match c {
                b'[' | b'{' if node_start => {
                    flow = 1;
                    if columns.len() + flow > limit {
                        return Some(n + 1);
                    }
                    flow_token = true;
                }
                b'"' | b'\'' if node_start => quote = Some(c),
                b'|' | b'>' if node_start => {
                    // Its text is indented deeper than the collection holding
                    // it: the sequence of `- |`, the mapping of `key: |`.
                    let own = columns.last() == Some(&(i - 1));
                    let at = columns.len().saturating_sub(if own { 2 } else { 1 });
                    block_scalar = Some(columns.get(at).copied().unwrap_or(indent));
                    value_pending = false;
                    break;
                }
                // Anchors and tags precede the node they name.
                b'&' | b'!' if node_start => {
                    while i < b.len() && !blank(b[i]) {
                        i += 1;
                    }
                }
                b':' if b.get(i).is_none_or(|&c| blank(c)) => {
                    node_start = true;
                    value_pending = true;
                }
                _ => node_start = false,
            }
        }
        if quote.is_none() && flow == 0 && block_scalar.is_none() {
            open_key = columns.last().copied().filter(|_| value_pending);
        }
    }
    None
}

/// YAML's separating white space within a line.
fn blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// A parse message without the values it quotes from the file: what serde
/// quotes after a type ("integer `13912345678`", "string \"...\"", "variant
/// `...`") and desk's own quoted values ("created: '...' is not an RFC 3339
/// time"). Field names and expected values stay. A file in the store may be a
/// key or a password file, and errors end up in logs and cron mail.
fn without_values(message: &str) -> String {
    const BEFORE_A_VALUE: [&str; 8] = [
        "integer ",
        "floating point ",
        "string ",
        "variant ",
        "character ",
        "boolean ",
        "value ",
        ": ",
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['`', '"', '\'']) {
        let quote = rest[i..].chars().next().expect("found");
        let body = &rest[i + 1..];
        // Rust's debug quoting: `\"` does not end a double-quoted value.
        let end = if quote == '"' {
            let mut escaped = false;
            body.char_indices().find_map(|(j, c)| {
                let ends = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                ends.then_some(j)
            })
        } else {
            body.find(quote)
        };
        let Some(len) = end else {
            break;
        };
        let before = &rest[..i];
        out.push_str(before);
        let value = (out.is_empty() && before.is_empty())
            || BEFORE_A_VALUE.iter().any(|w| out.ends_with(w));
        if value {
            out.push_str("(value not shown)");
        } else {
            out.push_str(&rest[i..i + len + 2]);
        }
        rest = &rest[i + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn flow_nesting_is_bounded() {
        let deep = format!("title: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert_eq!(too_deep(&deep, 32), Some(1));
        let fine = format!("title: {}{}\n", "[".repeat(20), "]".repeat(20));
        assert_eq!(too_deep(&fine, 32), None);
        let multi = format!("a: 1\nb: {}\n{}\n", "{x: [".repeat(20), "]}".repeat(20));
        assert_eq!(too_deep(&multi, 32), Some(2));
    }

    #[test]
    fn block_nesting_is_bounded() {
        let compact = format!("a:\n  {}x\n", "- ".repeat(40));
        assert_eq!(too_deep(&compact, 32), Some(2));
        let indented: String = (0..40).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(too_deep(&indented, 32), Some(33));
    }

    #[test]
    fn nesting_after_a_document_marker_or_a_tab_counts() {
        let open = "[".repeat(40);
        assert_eq!(too_deep(&format!("--- {open}\n"), 32), Some(1));
        assert_eq!(too_deep(&format!("a:\t{open}\n"), 32), Some(1));
        assert_eq!(too_deep(&format!("-\t{open}\n"), 32), Some(1));
        assert_eq!(too_deep(&format!("a: !!seq\t{open}\n"), 32), Some(1));
    }

    #[test]
    fn brackets_in_text_do_not_count() {
        let open = "[".repeat(100);
        let text = format!(
            "title: a {open} b\nquoted: \"{open}\"\nsingle: '{open}'' {open}'\n\
             description: |-\n  {open}\n\n  {open}\nafter: x # {open}\n\
             multi: \"first\n  {open} second\"\n- &a !t x: y {open}\n"
        );
        assert_eq!(too_deep(&text, 32), None);
    }

    #[test]
    fn a_ticket_is_measured_to_within_one_level() {
        // Six levels: the file, history, an event, its fields, tags, [b].
        let ticket = "id: CW202611230001\ntitle: x\nfields: {}\nhistory:\n- at: 2026-11-23T09:00:00+08:00\n  action: updated\n  fields:\n    tags:\n    - a\n    - [b]\n";
        assert_eq!(too_deep(ticket, 7), None);
        assert_eq!(too_deep(ticket, 5), Some(9));
    }

    /// A YAML value of exactly `depth` levels of collections, with text
    /// that YAML must quote or fold (brackets, quotes, `#`, `: `, newlines).
    fn nested_value(depth: u32) -> impl Strategy<Value = (crate::yaml::Value, u32)> {
        use crate::yaml::Value;
        let text = "[ -~\n]{0,12}".prop_map(Value::String);
        let leaf = text.clone().prop_map(|v| (v, 0));
        leaf.prop_recursive(depth, 64, 3, move |inner| {
            (inner, text.clone(), any::<bool>()).prop_map(|((child, d), key, as_map)| {
                let value = if as_map {
                    let mut map = crate::yaml::Mapping::new();
                    map.insert(key, child);
                    Value::Mapping(map)
                } else {
                    Value::Sequence(vec![key, child])
                };
                (value, d + 1)
            })
        })
    }

    fn depth_of(v: &crate::yaml::Value) -> u32 {
        match v {
            crate::yaml::Value::Mapping(m) => 1 + m.values().map(depth_of).max().unwrap_or(0),
            crate::yaml::Value::Sequence(s) => 1 + s.iter().map(depth_of).max().unwrap_or(0),
            _ => 0,
        }
    }

    proptest! {
        /// The scan finds the nesting of what the YAML writer writes (block
        /// style) and of JSON (flow style), to within one level, whatever
        /// the text holds.
        #[test]
        fn scan_measures_real_nesting((value, _) in nested_value(12)) {
            let depth = depth_of(&value) as usize;
            for text in [
                crate::yaml::to_string(&value).unwrap(),
                serde_json::to_string(&value).unwrap(),
            ] {
                prop_assert_eq!(too_deep(&text, depth + 1), None, "{}", text);
                if depth > 0 {
                    prop_assert!(too_deep(&text, depth - 1).is_some(), "{}", text);
                }
            }
        }
    }

    #[test]
    fn values_found_in_a_file_are_not_repeated() {
        assert_eq!(
            without_values(
                "invalid type: string \"AGE-SECRET-KEY-1\\\"x\", expected struct Ticket"
            ),
            "invalid type: string (value not shown), expected struct Ticket"
        );
        assert_eq!(
            without_values("status: unknown variant `secret`, expected one of `open`, `closed` at line 2 column 9"),
            "status: unknown variant (value not shown), expected one of `open`, `closed` at line 2 column 9"
        );
        assert_eq!(
            without_values("missing field `history` at line 1 column 1"),
            "missing field `history` at line 1 column 1"
        );
        assert_eq!(
            without_values("vip: invalid type: integer `13912345678`, expected a boolean"),
            "vip: invalid type: integer (value not shown), expected a boolean"
        );
        assert_eq!(
            without_values(
                "kind: unknown variant `11010519491231002X`, expected `individual` or `enterprise`"
            ),
            "kind: unknown variant (value not shown), expected `individual` or `enterprise`"
        );
        assert_eq!(
            without_values("created: '1398' is not an RFC 3339 time"),
            "created: (value not shown) is not an RFC 3339 time"
        );
    }
}
