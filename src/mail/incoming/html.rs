//! HTML mail reduced to readable text: a small reducer rather than a crate
//! (html2text brings an HTML5 parser, html5ever, for what a note needs: the
//! words, in lines). Entities are decoded with mail-parser's table (the
//! full HTML set).

use mail_parser::decoders::html::add_html_token;

/// Elements whose content is not text for a reader.
const DROPPED: &[&str] = &["script", "style", "template", "title", "head", "noscript"];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

/// The text of an HTML document: block elements (`p`, `div`, `br`, `li`,
/// `tr`, headings …) end lines, paragraphs, headings, quotes and tables
/// with a blank line after them; a list item starts with `- `; table cells are
/// separated by a space; runs of white space are one space (but inside
/// `pre`); entities are decoded; `script`, `style`, `head`, `title`,
/// `template` and `noscript` and comments are dropped. At most one blank line
/// in a row; no space at the end of a line.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut pre = 0usize;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map_or("", |end| &after[end + 3..]);
                continue;
            }
            let Some(tag) = Tag::at(rest) else {
                out.push('<');
                rest = &rest[1..];
                continue;
            };
            rest = &rest[tag.len..];
            let name = tag.name.as_str();
            if !tag.closing && DROPPED.contains(&name) {
                rest = skip_past_closing(rest, name);
                continue;
            }
            if name == "pre" {
                pre = if tag.closing {
                    pre.saturating_sub(1)
                } else {
                    pre + 1
                };
            }
            if BLOCKS.contains(&name) {
                end_line(&mut out);
                if PARAGRAPHS.contains(&name) && tag.closing {
                    out.push('\n');
                }
                if name == "li" && !tag.closing {
                    out.push_str("- ");
                }
            } else if matches!(name, "td" | "th") && tag.closing {
                out.push(' ');
            }
            continue;
        }
        if c == '&' {
            let entity_end = rest
                .char_indices()
                .take(40)
                .find(|&(_, ch)| ch == ';' || ch == '<' || ch.is_whitespace())
                .filter(|&(_, ch)| ch == ';');
            if let Some((end, _)) = entity_end {
                let before = out.len();
                // `end` is the index of an ASCII `;`: the token is whole UTF-8,
                // which add_html_token requires.
                add_html_token(&mut out, &rest.as_bytes()[..=end], false);
                // A decoded space or line break is text's, not the layout's.
                if out[before..].chars().all(char::is_whitespace) && pre == 0 {
                    out.truncate(before);
                    if !out.ends_with([' ', '\n']) {
                        out.push(' ');
                    }
                }
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c.is_whitespace() && pre == 0 {
            if !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    tidy(&out.replace('\u{a0}', " "))
}

/// Block elements followed by a blank line.
const PARAGRAPHS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "pre",
];

/// Ends the line unless it is ended already (a space before the end dropped).
fn end_line(out: &mut String) {
    out.truncate(out.trim_end_matches(' ').len());
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

struct Tag {
    name: String,
    closing: bool,
    /// bytes up to and with the closing `>`
    len: usize,
}

impl Tag {
    /// The tag at the start of `text` (which starts with `<`), when it is one:
    /// `<`, an optional `/`, a letter, and a `>` before any other `<`. Quotes
    /// are not honoured, so that every scan stops at the next `<` and the
    /// whole reduction stays linear in the input.
    fn at(text: &str) -> Option<Tag> {
        let inner = &text[1..];
        let closing = inner.starts_with('/');
        let name: String = inner[usize::from(closing)..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = inner
            .find(['<', '>'])
            .filter(|&i| inner.as_bytes()[i] == b'>')?;
        Some(Tag {
            name,
            closing,
            len: end + 2,
        })
    }
}

/// What follows the closing tag of `name` (case ignored); nothing when it
/// is never closed.
fn skip_past_closing<'a>(text: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    let at = text.match_indices('<').map(|(i, _)| i).find(|&i| {
        text.as_bytes()
            .get(i..i + closing.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(closing.as_bytes()))
    });
    match at {
        Some(at) => {
            let after = &text[at..];
            after.find('>').map_or("", |end| &after[end + 1..])
        }
        None => "",
    }
}

fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    // Only `pre` text can start a line with spaces: its indentation stays.
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}
