//! Reading the store's own files (tickets, customers, desk.yaml, holiday
//! files): the one place that opens one and the one place that parses YAML
//! from one. A store is shared through git, so its files are untrusted:
//! - no symbolic link is followed and only regular files are opened, so a
//!   link to a key or to `/etc/passwd` is refused, never read, and a FIFO
//!   cannot block a command;
//! - a file over [`MAX_FILE_BYTES`] is refused from its metadata, unread;
//! - YAML nested deeper than [`MAX_DEPTH`] is refused before the parser sees
//!   it (libyaml's time grows with the square of the flow depth);
//! - a UTF-8 byte order mark is skipped.

use std::fs::{self, FileType, OpenOptions};
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The largest file desk reads: 4 MiB, some 20 times a ticket with a
/// thousand events (docs/format.md).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// The deepest YAML nesting desk reads. What desk writes nests at most 5
/// levels (desk.yaml; tickets 4, customers 3, measured on a demo store);
/// the rest is margin for sections added by hand.
pub const MAX_DEPTH: usize = 32;

/// What an entry is when it is not a regular file, in words.
pub fn refused_kind(file_type: &FileType) -> Option<&'static str> {
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        return None;
    }
    Some(if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else {
        #[cfg(unix)]
        {
            if file_type.is_fifo() {
                "a named pipe (FIFO)"
            } else if file_type.is_socket() {
                "a socket"
            } else if file_type.is_block_device() || file_type.is_char_device() {
                "a device"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        "not a regular file"
    })
}

/// The error for an entry desk will not read; `shown` is its path for people.
pub fn not_a_file(shown: &Path, kind: &str) -> Error {
    Error::Parse {
        path: shown.into(),
        line: None,
        message: format!(
            "{kind}, not a regular file: desk reads only regular files in the store and \
             follows no link (docs/format.md); put the real file or folder here, or remove it"
        ),
    }
}

/// The error for a folder of the store that is a link (or a file).
fn not_a_dir(shown: &Path, kind: &str) -> Error {
    Error::Refused(format!(
        "{}: {kind} where desk expects a directory; desk follows no link in the store \
         (docs/format.md)",
        shown.display()
    ))
}

fn too_large(shown: &Path, size: u64) -> Error {
    Error::Parse {
        path: shown.into(),
        line: None,
        message: format!(
            "{size} bytes, over desk's limit of {} MiB for one file (docs/format.md)",
            MAX_FILE_BYTES >> 20
        ),
    }
}

/// A store file's text as it is about to be written, refused when desk
/// could not read it back (over [`MAX_FILE_BYTES`]): a write must never
/// make a record unreadable.
pub fn within_limit(shown: &Path, text: String) -> Result<String> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Refused(format!(
            "{}: the record would be {} bytes, over desk's limit of {} MiB for one file \
             (docs/format.md); nothing was written. Keep long texts (logs, documents) outside \
             desk and refer to them",
            shown.display(),
            text.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(text)
}

/// Reads a file of the store as text: refuses a link (even one swapped in
/// after the check: the open does not follow it), a FIFO, device or
/// directory (without blocking on it), and a file over [`MAX_FILE_BYTES`]
/// (from its size, before reading); skips a byte order mark. Errors name
/// the file by `shown`, never quote its content.
pub fn read_file(path: &Path, shown: &Path) -> Result<String> {
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io(shown, e))?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(not_a_file(shown, kind));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(shown, meta.len()));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return not_a_file(shown, "a symbolic link");
        }
        Error::io(shown, e)
    })?;
    // What was opened, which may differ from what was checked.
    let meta = file.metadata().map_err(|e| Error::io(shown, e))?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(not_a_file(shown, kind));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(shown, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(shown, bytes.len() as u64));
    }
    String::from_utf8(bytes)
        .map(|mut text| {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            text
        })
        .map_err(|e| Error::Parse {
            path: shown.into(),
            line: None,
            message: format!(
                "not UTF-8 text (invalid byte at offset {}); desk files are UTF-8",
                e.utf8_error().valid_up_to()
            ),
        })
}

/// The bytes of a file of desk's own state (`.desk/`: the cache, the node
/// number), read without following a link and only from a regular file:
/// `.desk/` is ignored by git, but a pulled commit can still put a link
/// there (git replaces ignored files with a commit's). Anything else is an
/// error of kind `InvalidData` saying what it is.
pub fn read_state(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let not_a_file = |kind: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{kind}, not a regular file; desk follows no link in the store: remove it"),
        )
    };
    let mut file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return not_a_file("a symbolic link");
        }
        e
    })?;
    if let Some(kind) = refused_kind(&file.metadata()?.file_type()) {
        return Err(not_a_file(kind));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Fails if a folder on the path `rel_dir` under `root` is a symbolic link
/// or not a directory: desk never reads or writes through one. Folders that
/// do not exist yet pass (they are created as real directories).
pub fn real_dirs(root: &Path, rel_dir: &Path) -> Result<()> {
    let mut dir = root.to_path_buf();
    for part in rel_dir.components() {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                let shown = dir.strip_prefix(root).unwrap_or(&dir);
                let kind = refused_kind(&meta.file_type()).unwrap_or("a file");
                return Err(not_a_dir(shown, kind));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Ok(())
}

impl super::Store {
    /// Reads the store file at `path` (under the root), or `None` if there is
    /// none: no link is followed, neither the file nor a directory above it.
    pub(super) fn read_entry(&self, path: &Path) -> Result<Option<String>> {
        let rel = self.display_path(path);
        real_dirs(&self.root, rel.parent().unwrap_or(Path::new("")))?;
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => read_file(path, rel).map(Some),
        }
    }
}

/// Parses YAML text of a store file (`shown` names it in errors): skips a
/// byte order mark, refuses nesting deeper than [`MAX_DEPTH`] before the
/// parser runs, and reports errors by line without the file's values.
pub fn from_yaml<T: DeserializeOwned>(text: &str, shown: &Path) -> Result<T> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = too_deep(text, MAX_DEPTH) {
        return Err(Error::Parse {
            path: shown.into(),
            line: Some(line),
            message: format!(
                "nested more than {MAX_DEPTH} levels deep; desk itself writes at most 5 \
                 (docs/format.md)"
            ),
        });
    }
    crate::yaml::from_str(text).map_err(|e| Error::parse_yaml(shown, &e))
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

    #[test]
    fn byte_order_mark_is_skipped_and_values_are_not_echoed() {
        let v: crate::yaml::Value = from_yaml("\u{feff}a: 1\n", Path::new("f.yaml")).unwrap();
        assert_eq!(v["a"], 1);
        let e = from_yaml::<u32>("\"my secret\"\n", Path::new("f.yaml")).unwrap_err();
        assert!(!e.to_string().contains("my secret"), "{e}");
        assert!(e.to_string().contains("f.yaml"), "{e}");
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
}
