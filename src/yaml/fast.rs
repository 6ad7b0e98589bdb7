//! A fast path for the YAML that desk writes itself. A cold report reads
//! every ticket file, and libyaml's general scanner was most of its time;
//! desk's own files use a small part of YAML (block mappings and
//! sequences, plain and quoted scalars on one line, literal block scalars,
//! `[]` and `{}`), so that part is read here, line by line, into the same
//! events libyaml would give, and deserialized as yaml_serde deserializes
//! them. Anything outside that part (flow collections, anchors, tags,
//! folded or multi-line flow scalars, tabs where indentation could be,
//! directives, document markers, nesting deeper than desk writes, and every
//! error) makes [`from_str`] answer `None`, and the caller reads the text
//! with the general parser, which then also words the error. A property
//! test (below) holds the two to the same answers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned};

mod reader;
use reader::Reader;

/// The deepest nesting the fast path reads; desk writes at most 5 levels,
/// and the general parser (with its own guard) reads anything deeper.
const DEEPEST: usize = 12;
// What the fast path reads, the general parser's depth guard would let by.
const _: () = assert!(DEEPEST <= super::MAX_DEPTH);

/// The longest key the fast path reads: libyaml refuses a simple key over
/// 1024 characters, so longer ones go to it to be refused.
const LONGEST_KEY: usize = 1000;

/// Reads `text` (without a byte order mark) as `T` when it is in the part
/// of YAML the fast path knows and reads without error; `None` otherwise.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let events = Parser::events(text)?;
    Reader::new(events).read()
}

/// Whether a scalar was written plain (its type then follows from its
/// text: `null`, `true`, `12`) or in any other style (always a string).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Other,
}

/// What libyaml would give for the part of YAML read here.
#[derive(Debug, PartialEq)]
enum Event<'a> {
    Scalar(Cow<'a, str>, Style),
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

/// Not in the part of YAML the fast path reads, or not valid there.
#[derive(Debug)]
pub struct Unread;

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("left to the general YAML parser")
    }
}

impl std::error::Error for Unread {}

impl de::Error for Unread {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unread
    }
}

type Parsed<T> = Result<T, Unread>;

/// A line: its indentation (spaces) and the rest, without the line break.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    body: &'a str,
    /// Where the next line starts.
    next: usize,
}

impl Line<'_> {
    /// A block sequence's entry: `-` then a space or the line's end.
    fn is_entry(&self) -> bool {
        let b = self.body.as_bytes();
        b[0] == b'-' && (b.len() == 1 || b[1] == b' ')
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Where the next unread line starts.
    at: usize,
    events: Vec<Event<'a>>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn events(text: &'a str) -> Option<Vec<Event<'a>>> {
        if !plain_characters(text.as_bytes()) {
            return None;
        }
        let mut parser = Parser {
            text,
            at: 0,
            events: Vec::with_capacity(text.len() / 24),
            depth: 0,
        };
        let first = parser.peek().ok()??;
        if first.indent != 0 || first.is_entry() {
            return None;
        }
        parser.mapping(0, None).ok()?;
        // Nothing may follow the top-level mapping.
        match parser.peek() {
            Ok(None) => Some(parser.events),
            _ => None,
        }
    }

    /// The line starting at `at`, if any.
    fn line_at(&self, at: usize) -> Option<Line<'a>> {
        if at >= self.text.len() {
            return None;
        }
        let rest = &self.text[at..];
        let (raw, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => (&rest[..end], at + end + 1),
            None => (rest, self.text.len()),
        };
        let indent = raw.bytes().take_while(|&b| b == b' ').count();
        Some(Line {
            indent,
            body: &raw[indent..],
            next,
        })
    }

    /// The next line with content, past blank and comment lines, not
    /// consumed.
    fn peek(&self) -> Parsed<Option<Line<'a>>> {
        let mut at = self.at;
        while let Some(line) = self.line_at(at) {
            match line.body.as_bytes().first() {
                None | Some(b'#') => at = line.next,
                // A tab where indentation could be.
                Some(b'\t') => return Err(Unread),
                Some(_) => {
                    if line.indent == 0 && is_marker(line.body) {
                        return Err(Unread);
                    }
                    return Ok(Some(line));
                }
            }
        }
        Ok(None)
    }

    /// Opens a collection one level deeper.
    fn open(&mut self, start: Event<'a>) -> Parsed<()> {
        self.depth += 1;
        if self.depth > DEEPEST {
            return Err(Unread);
        }
        self.events.push(start);
        Ok(())
    }

    fn close(&mut self, end: Event<'a>) -> Parsed<()> {
        self.events.push(end);
        self.depth -= 1;
        Ok(())
    }

    /// A block mapping whose keys are at column `indent`; `first` is an
    /// entry already taken from a sequence entry's line (`- at: ...`).
    fn mapping(&mut self, indent: usize, first: Option<&'a str>) -> Parsed<()> {
        self.open(Event::MappingStart)?;
        if let Some(entry) = first {
            self.entry(entry, indent)?;
        }
        while let Some(line) = self.peek()? {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || line.is_entry() {
                return Err(Unread);
            }
            self.at = line.next;
            self.entry(line.body, indent)?;
        }
        self.close(Event::MappingEnd)
    }

    /// `key: value` of a mapping at column `indent`.
    fn entry(&mut self, body: &'a str, indent: usize) -> Parsed<()> {
        let (key, rest) = mapping_key(body).ok_or(Unread)?;
        self.events.push(key);
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with('#') {
            return self.nested(indent);
        }
        self.value(rest, indent)
    }

    /// The value of `key:` with nothing after it on its line: a collection
    /// on the lines below, or null.
    fn nested(&mut self, indent: usize) -> Parsed<()> {
        match self.peek()? {
            Some(line) if line.indent > indent && line.is_entry() => {
                self.sequence(line.indent, None)
            }
            Some(line) if line.indent > indent => self.mapping(line.indent, None),
            // A sequence may sit at its key's column.
            Some(line) if line.indent == indent && line.is_entry() => self.sequence(indent, None),
            _ => {
                self.events
                    .push(Event::Scalar(Cow::Borrowed(""), Style::Plain));
                Ok(())
            }
        }
    }

    /// A block sequence whose entries are at column `indent`; `first` is an
    /// entry already taken from an outer entry's line (`- - x`).
    fn sequence(&mut self, indent: usize, first: Option<&'a str>) -> Parsed<()> {
        self.open(Event::SequenceStart)?;
        if let Some(entry) = first {
            self.sequence_entry(entry, indent)?;
        }
        while let Some(line) = self.peek()? {
            if line.indent < indent || (line.indent == indent && !line.is_entry()) {
                break;
            }
            if line.indent > indent {
                return Err(Unread);
            }
            self.at = line.next;
            self.sequence_entry(line.body, indent)?;
        }
        self.close(Event::SequenceEnd)
    }

    /// `- value` of a sequence at column `indent`.
    fn sequence_entry(&mut self, body: &'a str, indent: usize) -> Parsed<()> {
        // `-` alone (a null or a node on the lines below) is left to the
        // general parser.
        let after = body.get(1..).filter(|r| !r.is_empty()).ok_or(Unread)?;
        let rest = after.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with(['#', '\t']) {
            return Err(Unread);
        }
        let column = indent + 1 + (after.len() - rest.len());
        if mapping_key(rest).is_some() {
            return self.mapping(column, Some(rest));
        }
        if rest == "-" || rest.starts_with("- ") {
            return self.sequence(column, Some(rest));
        }
        self.value(rest, indent)
    }

    /// A value that starts on its key's (or entry's) line; `parent` is the
    /// column of the collection holding it.
    fn value(&mut self, rest: &'a str, parent: usize) -> Parsed<()> {
        let (scalar, after) = match rest.as_bytes()[0] {
            b'\'' => single_quoted(rest)?,
            b'"' => double_quoted(rest)?,
            b'|' => return self.literal(&rest[1..], parent),
            b'[' | b'{' => {
                let (open, close) = match without_comment(rest) {
                    "[]" => (Event::SequenceStart, Event::SequenceEnd),
                    "{}" => (Event::MappingStart, Event::MappingEnd),
                    _ => return Err(Unread),
                };
                self.events.push(open);
                self.events.push(close);
                return Ok(());
            }
            b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' | b'\t' => {
                return Err(Unread)
            }
            b'-' | b'?' | b':' if rest.len() == 1 || rest.as_bytes()[1] == b' ' => {
                return Err(Unread)
            }
            _ => {
                self.events
                    .push(Event::Scalar(Cow::Borrowed(plain(rest)?), Style::Plain));
                return Ok(());
            }
        };
        if !blank_or_comment(after) {
            return Err(Unread);
        }
        self.events.push(Event::Scalar(scalar, Style::Other));
        Ok(())
    }

    /// A literal block scalar (`|`, `|-`, `|+`, `|2-`), its header after
    /// the `|` given; its lines are those below, as libyaml reads them.
    fn literal(&mut self, header: &str, parent: usize) -> Parsed<()> {
        let mut chomp = Chomp::Clip;
        let mut given: Option<usize> = None;
        for b in header.bytes() {
            match b {
                b'-' if chomp == Chomp::Clip => chomp = Chomp::Strip,
                b'+' if chomp == Chomp::Clip => chomp = Chomp::Keep,
                b'1'..=b'9' if given.is_none() => given = Some(usize::from(b - b'0')),
                _ => return Err(Unread),
            }
        }
        let indent = match given {
            Some(step) => parent + step,
            None => {
                // The first line with content sets the indentation; blank
                // lines before it may not be deeper.
                let mut at = self.at;
                let mut blank_spaces = 0;
                loop {
                    let line = self.line_at(at).ok_or(Unread)?;
                    if !line.body.is_empty() {
                        // libyaml takes a tab here for misplaced indentation.
                        if line.indent <= parent
                            || blank_spaces > line.indent
                            || line.body.starts_with('\t')
                        {
                            return Err(Unread);
                        }
                        break line.indent;
                    }
                    blank_spaces = blank_spaces.max(line.indent);
                    at = line.next;
                }
            }
        };
        let mut text = String::new();
        let mut started = false;
        // Line breaks seen and not yet written.
        let mut breaks = 0usize;
        // Whether the last line of content ended with a line break.
        let mut broken = false;
        while let Some(line) = self.line_at(self.at) {
            let ends_in_break = self.text.as_bytes()[line.next - 1] == b'\n';
            let content = if line.body.is_empty() {
                if line.indent <= indent {
                    // Spaces at the end of the text break no line.
                    breaks += usize::from(ends_in_break);
                    self.at = line.next;
                    continue;
                }
                &self.text[self.at + indent..self.at + line.indent]
            } else if line.indent < indent {
                break;
            } else {
                let start = self.at + indent;
                let end = line.next - usize::from(ends_in_break);
                &self.text[start..end]
            };
            if started {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', breaks));
            text.push_str(content);
            breaks = 0;
            started = true;
            broken = ends_in_break;
            self.at = line.next;
        }
        if !started {
            return Err(Unread);
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => {
                if broken {
                    text.push('\n');
                }
            }
            Chomp::Keep => {
                if broken {
                    text.push('\n');
                    text.extend(std::iter::repeat_n('\n', breaks));
                }
            }
        }
        self.events
            .push(Event::Scalar(Cow::Owned(text), Style::Other));
        Ok(())
    }
}

/// What a literal block scalar does with its final line breaks.
#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Whether every character is one YAML allows and none breaks a line but
/// `\n` (libyaml also breaks at `\r`, NEL, LS and PS); a byte order mark
/// inside the text is left to the general parser too.
fn plain_characters(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\t' | b'\n' | 0x20..=0x7e => {}
            0x00..=0x1f | 0x7f => return false,
            // U+0080 to U+009F: C1 controls and NEL.
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => return false,
            // U+2028 and U+2029.
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                return false
            }
            // U+FEFF, U+FFFE, U+FFFF.
            0xef if matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ) =>
            {
                return false
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// `---` or `...` at the start of a line: a document's start or end.
fn is_marker(body: &str) -> bool {
    (body.starts_with("---") || body.starts_with("..."))
        && matches!(body.as_bytes().get(3), None | Some(b' ' | b'\t'))
}

/// The key of a line that is a mapping's entry, as an event, and what
/// follows its `:`.
fn mapping_key(body: &str) -> Option<(Event<'_>, &str)> {
    match body.as_bytes().first()? {
        b'\'' | b'"' => quoted_key(body).ok(),
        _ => {
            let (key, rest) = split_key(body)?;
            Some((Event::Scalar(Cow::Borrowed(key), Style::Plain), rest))
        }
    }
}

/// `key: rest` where the key is a plain scalar of letters, digits, `_`,
/// `-`, `.`, `/` and inner spaces (any non-ASCII letter too), starting with
/// a letter, digit, `_` or `-`; the rest is empty or starts with a space.
fn split_key(body: &str) -> Option<(&str, &str)> {
    let bytes = body.as_bytes();
    let first = *bytes.first()?;
    let starts_plain = first.is_ascii_alphanumeric()
        || first == b'_'
        || first >= 0x80
        // `-k`, not an entry (`- k`).
        || (first == b'-' && bytes.get(1).is_some_and(|&b| b != b' ' && b != b':'));
    if !starts_plain {
        return None;
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' => {
                let rest = &body[i + 1..];
                let key = &body[..i];
                return (matches!(rest.as_bytes().first(), None | Some(b' '))
                    && !key.ends_with(' ')
                    && key.len() <= LONGEST_KEY)
                    .then_some((key, rest));
            }
            b'_' | b'-' | b'.' | b'/' | b' ' => {}
            _ if b.is_ascii_alphanumeric() || b >= 0x80 => {}
            _ => return None,
        }
    }
    None
}

/// `'key': rest` or `"key": rest`: desk's writer quotes a key that would
/// otherwise read as a number, a boolean or null (`'2026':`). libyaml takes
/// a key on one line of at most 1024 characters.
fn quoted_key(body: &str) -> Parsed<(Event<'_>, &str)> {
    let (key, after) = match body.as_bytes()[0] {
        b'\'' => single_quoted(body)?,
        _ => double_quoted(body)?,
    };
    let rest = after.strip_prefix(':').ok_or(Unread)?;
    if body.len() - after.len() > LONGEST_KEY
        || !matches!(rest.as_bytes().first(), None | Some(b' '))
    {
        return Err(Unread);
    }
    Ok((Event::Scalar(key, Style::Other), rest))
}

/// What follows a value on its line, without a comment (` #...`) and
/// trailing spaces.
fn without_comment(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let comment = memchr::memchr_iter(b'#', bytes).find(|&at| at == 0 || bytes[at - 1] == b' ');
    let cut = match comment {
        Some(at) => &rest[..at],
        None => rest,
    };
    cut.trim_end_matches(' ')
}

/// Whether what follows a quoted scalar on its line is nothing, spaces, or
/// a comment after a space.
fn blank_or_comment(after: &str) -> bool {
    let rest = after.trim_start_matches(' ');
    rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len())
}

/// A plain scalar on one line: up to a comment, trailing spaces off. A
/// `: ` or a final `:` (a mapping where none may be) and a tab are left to
/// the general parser.
fn plain(rest: &str) -> Parsed<&str> {
    let value = without_comment(rest);
    let bytes = value.as_bytes();
    let mapping =
        memchr::memchr_iter(b':', bytes).any(|at| matches!(bytes.get(at + 1), None | Some(b' ')));
    if mapping || memchr::memchr(b'\t', bytes).is_some() {
        return Err(Unread);
    }
    Ok(value)
}

/// A single-quoted scalar closed on its line (`''` is a quote), and what
/// follows it.
fn single_quoted(rest: &str) -> Parsed<(Cow<'_, str>, &str)> {
    let body = &rest[1..];
    let mut owned: Option<String> = None;
    let mut from = 0;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                let text = owned.get_or_insert_with(String::new);
                text.push_str(&body[from..=i]);
                i += 2;
                from = i;
                continue;
            }
            let after = &body[i + 1..];
            let value = match owned {
                Some(mut text) => {
                    text.push_str(&body[from..i]);
                    Cow::Owned(text)
                }
                None => Cow::Borrowed(&body[..i]),
            };
            return Ok((value, after));
        }
        i += 1;
    }
    Err(Unread)
}

/// A double-quoted scalar closed on its line, with the escapes libyaml's
/// emitter writes, and what follows it.
fn double_quoted(rest: &str) -> Parsed<(Cow<'_, str>, &str)> {
    let body = &rest[1..];
    let bytes = body.as_bytes();
    let mut owned: Option<String> = None;
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let value = match owned {
                    Some(mut text) => {
                        text.push_str(&body[from..i]);
                        Cow::Owned(text)
                    }
                    None => Cow::Borrowed(&body[..i]),
                };
                return Ok((value, &body[i + 1..]));
            }
            b'\\' => {
                let text = owned.get_or_insert_with(String::new);
                text.push_str(&body[from..i]);
                let code = *bytes.get(i + 1).ok_or(Unread)?;
                let mut hex = |digits: usize| -> Parsed<char> {
                    let h = body.get(i + 2..i + 2 + digits).ok_or(Unread)?;
                    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(Unread);
                    }
                    let n = u32::from_str_radix(h, 16).map_err(|_| Unread)?;
                    i += digits;
                    char::from_u32(n).ok_or(Unread)
                };
                let c = match code {
                    b'0' => '\0',
                    b'a' => '\u{7}',
                    b'b' => '\u{8}',
                    b't' | b'\t' => '\t',
                    b'n' => '\n',
                    b'v' => '\u{b}',
                    b'f' => '\u{c}',
                    b'r' => '\r',
                    b'e' => '\u{1b}',
                    b' ' => ' ',
                    b'"' => '"',
                    b'\\' => '\\',
                    b'N' => '\u{85}',
                    b'_' => '\u{a0}',
                    b'L' => '\u{2028}',
                    b'P' => '\u{2029}',
                    b'x' => hex(2)?,
                    b'u' => hex(4)?,
                    b'U' => hex(8)?,
                    _ => return Err(Unread),
                };
                text.push(c);
                i += 2;
                from = i;
            }
            _ => i += 1,
        }
    }
    Err(Unread)
}

#[cfg(test)]
mod tests;
