//! Reading an incoming message: the bytes of an RFC 5322 message, as a mail
//! system hands them over, become an [`Incoming`] — who sent it, its
//! threading, its text, its attachments and what kind of mail it is. Pure: no
//! file, process or terminal. What desk accepts is described in docs/mail.md
//! ("Reading a message").
//!
//! The MIME structure, transfer encodings and RFC 2047 words are the
//! `mail-parser` crate's; desk adds the limits (checked before and right
//! after parsing), the charset rules for what old Chinese clients send, one
//! line per header value, a note without quoted replies, safe attachment
//! names and the classification.

mod charset;
mod guard;
mod html;
mod names;
mod trim;

#[cfg(test)]
mod tests;

use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::model::mask;
use crate::model::validate::{self, Mailbox};

pub use charset::Lossy;
pub use html::html_to_text;
pub use names::safe_file_name;
pub use trim::trimmed_note;

/// How much a message may hold. A message past `message_bytes`, `depth` or
/// `parts` is refused whole; an attachment past `attachment_bytes` is kept by
/// name and size only ([`Content::TooLarge`]), for the caller to note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub message_bytes: usize,
    /// MIME parts within parts (a multipart inside a multipart is 2).
    pub depth: usize,
    pub parts: usize,
    pub attachment_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // What the large free mailboxes (QQ, 163, Gmail) accept.
            message_bytes: 25 * 1024 * 1024,
            depth: 16,
            parts: 500,
            attachment_bytes: 20 * 1024 * 1024,
        }
    }
}

/// How desk recognises its own mail coming back: the addresses it names in
/// the `X-Loop` header of what it sends, the domains of its Message-IDs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnMail {
    pub loop_addresses: Vec<String>,
    pub message_id_domains: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub limits: Limits,
    pub own: OwnMail,
}

/// A message as desk reads it. Every text is decoded to UTF-8; header values
/// are one line (no control character, CR or LF: they cannot inject a header
/// into a message desk writes from them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// From (or Sender, when From has no valid address).
    pub from: Mailbox,
    /// Valid addresses only; an entry that is not an address is left out.
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub subject: String,
    /// Without angle brackets; a digest of the bytes when the header is
    /// missing or unusable ([`Incoming::message_id_is_digest`]).
    pub message_id: String,
    pub message_id_is_digest: bool,
    /// Message-IDs, without angle brackets, in the header's order.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The Date header; none when missing or not a date.
    pub date: Option<Timestamp>,
    /// The text: text/plain parts, else HTML reduced to text. Lines end in
    /// `\n`; control characters other than tab are removed.
    pub body: String,
    /// The body without quoted earlier replies and signature
    /// ([`trimmed_note`]); the body itself when nothing would be left.
    pub note: String,
    pub attachments: Vec<Attachment>,
    pub kind: Kind,
    /// Text decoded by a fallback (an unknown charset, raw 8-bit headers not
    /// in UTF-8 or GB18030): readable perhaps, exact perhaps not.
    pub lossy: Vec<Lossy>,
}

/// What a message is, for deciding whether it may open a ticket or be
/// answered: only [`Kind::Ordinary`] may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Ordinary,
    /// The header that says so, as `Name: value`.
    AutoReply {
        header: String,
    },
    /// A delivery status notification (RFC 3464).
    Bounce,
    /// desk's own mail come back; what recognised it.
    OwnLoop {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Safe as a file name ([`safe_file_name`]), unique within the message.
    pub name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Larger than [`Limits::attachment_bytes`]; the bytes are dropped.
    TooLarge,
}

/// Why a message could not be read. Addresses it quotes are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingError {
    TooLarge {
        size: usize,
        limit: usize,
    },
    TooDeep {
        limit: usize,
    },
    TooManyParts {
        limit: usize,
    },
    /// No header could be read: not an e-mail message.
    NotAMessage,
    /// The MIME parser gave up on the message's structure (it panicked on
    /// it); refused whole rather than read in part.
    Unreadable,
    /// No From or Sender with a valid address; the header as found.
    NoSender {
        found: String,
    },
}

impl std::fmt::Display for IncomingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IncomingError::TooLarge { size, limit } => write!(
                f,
                "the message is {size} bytes, over the limit of {limit} bytes; refused unread"
            ),
            IncomingError::TooDeep { limit } => write!(
                f,
                "the message nests MIME parts more than {limit} deep; refused as a MIME bomb"
            ),
            IncomingError::TooManyParts { limit } => write!(
                f,
                "the message has more than {limit} MIME parts; refused as a MIME bomb"
            ),
            IncomingError::NotAMessage => {
                write!(f, "not an e-mail message: no header could be read")
            }
            IncomingError::Unreadable => write!(
                f,
                "the message's MIME structure could not be read; refused whole, nothing was filed from it"
            ),
            IncomingError::NoSender { found } if found.is_empty() => {
                write!(f, "the message has no From address")
            }
            IncomingError::NoSender { found } => write!(
                f,
                "the message's From '{}' is not an e-mail address",
                crate::text::visible(&mask::email_as_typed(found))
            ),
        }
    }
}

impl std::error::Error for IncomingError {}

/// Reads one message. Refuses it (a typed error) when it is over a limit or
/// has no sender; otherwise reads what it can of a malformed message, as
/// mail-parser does, and never panics.
pub fn read(bytes: &[u8], options: &Options) -> Result<Incoming, IncomingError> {
    // mail-parser 0.11 panics on a few malformed nestings (an empty
    // message/rfc822 part inside another); one bad mail must not stop a
    // Maildir run, so a panic inside the parser is the message's error.
    guard::quietly(|| read_unguarded(bytes, options)).unwrap_or(Err(IncomingError::Unreadable))
}

fn read_unguarded(bytes: &[u8], options: &Options) -> Result<Incoming, IncomingError> {
    let limits = &options.limits;
    if bytes.len() > limits.message_bytes {
        return Err(IncomingError::TooLarge {
            size: bytes.len(),
            limit: limits.message_bytes,
        });
    }
    let parser = MessageParser::default();
    let message = parser.parse(bytes).ok_or(IncomingError::NotAMessage)?;
    check_shape(&message, limits)?;

    let mut lossy = Vec::new();
    let root = &message.parts[0];
    let header_block = &bytes[..(root.offset_body as usize).min(bytes.len())];
    lossy.extend(charset::unknown_word_charsets(header_block));
    // Old Chinese clients write GBK bytes in the headers, no encoded words:
    // read the header block again, transcoded, and take the fields from it.
    let transcoded = charset::header_block_text(header_block, &mut lossy);
    let reread = transcoded
        .as_deref()
        .and_then(|text| parser.parse_headers(text.as_bytes()));
    let headers = reread.as_ref().unwrap_or(&message);

    let from = sender(headers)?;
    let subject = one_line(headers.subject().unwrap_or_default());
    let (message_id, message_id_is_digest) = match headers.message_id().and_then(message_id) {
        Some(id) => (id, false),
        None => (digest_id(bytes), true),
    };
    let in_reply_to = ids(headers.in_reply_to());
    // The latest only: a thread's history is bounded, and a header of
    // 200,000 IDs must not make a ticket too large to write.
    let mut references = ids(headers.references());
    let extra = references
        .len()
        .saturating_sub(crate::model::reply::MAX_REFERENCES);
    references.drain(..extra);
    let mut in_reply_to = in_reply_to;
    in_reply_to.truncate(crate::model::reply::MAX_REFERENCES);
    let date = headers
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| Timestamp::parse(&d.to_rfc3339()));

    let body = body_text(&message, &mut lossy);
    let note = match trimmed_note(&body) {
        note if note.trim().is_empty() => body.trim().to_string(),
        note => note,
    };
    let attachments = attachments(&message, &parser, limits, &mut lossy);
    let kind = classify(headers, &message, &from, &message_id, &options.own);

    Ok(Incoming {
        from,
        to: mailboxes(headers.to()),
        cc: mailboxes(headers.cc()),
        reply_to: mailboxes(headers.reply_to()),
        subject,
        message_id,
        message_id_is_digest,
        in_reply_to,
        references,
        date,
        body,
        note,
        attachments,
        kind,
        lossy,
    })
}

/// Depth and number of parts, nested messages included, against the limits.
/// mail-parser reads any depth without recursion; the walk here stops at the
/// limit, so a MIME bomb costs one parse.
fn check_shape(message: &Message<'_>, limits: &Limits) -> Result<(), IncomingError> {
    let mut parts = 0usize;
    let mut stack: Vec<(&Message<'_>, u32, usize)> = vec![(message, 0, 1)];
    while let Some((message, id, depth)) = stack.pop() {
        if depth > limits.depth {
            return Err(IncomingError::TooDeep {
                limit: limits.depth,
            });
        }
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        parts += 1;
        if parts > limits.parts {
            return Err(IncomingError::TooManyParts {
                limit: limits.parts,
            });
        }
        match &part.body {
            // A part never lists itself or an earlier part; skipping such ids
            // keeps the walk finite whatever the parser builds.
            PartType::Multipart(children) => stack.extend(
                children
                    .iter()
                    .filter(|&&child| child > id)
                    .map(|&child| (message, child, depth + 1)),
            ),
            PartType::Message(inner) => stack.push((inner, 0, depth + 1)),
            _ => {}
        }
    }
    Ok(())
}

fn sender(headers: &Message<'_>) -> Result<Mailbox, IncomingError> {
    let first_valid = |address: Option<&Address<'_>>| {
        address.into_iter().flat_map(|a| a.iter()).find_map(mailbox)
    };
    if let Some(from) = first_valid(headers.from()).or_else(|| first_valid(headers.sender())) {
        return Ok(from);
    }
    let found = headers
        .header_raw(HeaderName::From)
        .map(one_line)
        .unwrap_or_default();
    Err(IncomingError::NoSender { found })
}

/// An address of a header as desk's one address check takes it; the display
/// name decoded and on one line.
fn mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = validate::email(addr.address()?).ok()?;
    let name = addr.name().map(one_line).filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    address
        .into_iter()
        .flat_map(|a| a.iter())
        .filter_map(mailbox)
        .collect()
}

/// A header value on one line: control characters (CR, LF, tab, NUL …) and
/// Unicode line and paragraph separators become spaces, runs of spaces one.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The longest Message-ID kept; RFC 5322 lines are at most 998 characters.
const MAX_ID_LEN: usize = 998;

/// A Message-ID without angle brackets and surrounding space; none when
/// empty, too long, or holding a space or control character.
fn message_id(text: &str) -> Option<String> {
    let id = text.trim().trim_start_matches('<').trim_end_matches('>');
    let usable = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
        && !id.contains(['<', '>']);
    usable.then(|| id.to_string())
}

/// What stands for a missing Message-ID: the SHA-256 of the message as
/// [`digest_form`] puts it, so that the same message read twice gets the
/// same ID, however it travelled.
fn digest_id(bytes: &[u8]) -> String {
    let digest = Sha256::digest(digest_form(bytes));
    let hex = crate::crypto::hex(&digest);
    format!("{hex}@sha256.invalid")
}

/// Header fields that each delivery adds or rewrites: a message fetched
/// twice, or forwarded by another route, differs in them alone.
const TRACE_FIELDS: [&str; 9] = [
    "received",
    "return-path",
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "x-envelope-from",
    "x-envelope-to",
    "status",
    "x-status",
];

/// The message without what its delivery changes: every line ending as
/// LF (a Maildir holds LF, SMTP and an `.eml` saved on Windows CRLF), no
/// mbox `From ` line, no trace field (with its folded lines), no trailing
/// blank lines.
fn digest_form(bytes: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    while lines
        .last()
        .is_some_and(|l| l.iter().all(u8::is_ascii_whitespace))
    {
        lines.pop();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_headers = true;
    let mut skipping = false;
    for (i, line) in lines.iter().enumerate() {
        if in_headers {
            if line.is_empty() {
                in_headers = false;
            } else if i == 0 && line.starts_with(b"From ") {
                continue;
            } else if line.starts_with(b" ") || line.starts_with(b"\t") {
                if skipping {
                    continue;
                }
            } else {
                let name = line.split(|&b| b == b':').next().unwrap_or_default();
                let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
                skipping = TRACE_FIELDS.contains(&name.as_str());
                if skipping {
                    continue;
                }
            }
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let listed: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    listed.into_iter().filter_map(message_id).collect()
}

/// The text parts in order, HTML reduced when a part is HTML; the HTML body
/// when there is no text body.
fn body_text(message: &Message<'_>, lossy: &mut Vec<Lossy>) -> String {
    let ids = if message.text_body.is_empty() {
        &message.html_body
    } else {
        &message.text_body
    };
    let mut texts = Vec::new();
    for part in ids.iter().filter_map(|&id| message.parts.get(id as usize)) {
        let text = match &part.body {
            PartType::Text(text) => charset::part_text(part, text, &message.raw_message, lossy),
            PartType::Html(text) => {
                html_to_text(&charset::part_text(part, text, &message.raw_message, lossy))
            }
            _ => continue,
        };
        texts.push(clean_body(&text));
    }
    texts.join("\n")
}

/// Lines end in `\n`; other control characters than tab are removed, and so
/// are trailing spaces and blank lines at the end.
fn clean_body(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            line.chars()
                .filter(|&c| c == '\t' || !c.is_control())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(0);
    lines[first..].join("\n")
}

fn attachments(
    message: &Message<'_>,
    parser: &MessageParser,
    limits: &Limits,
    lossy: &mut Vec<Lossy>,
) -> Vec<Attachment> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (index, part) in message
        .attachments
        .iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .enumerate()
    {
        let content_type = content_type(part);
        let given = charset::attachment_name(part, &message.raw_message, parser, lossy);
        let name = names::unique(
            safe_file_name(given.as_deref().unwrap_or_default())
                .unwrap_or_else(|| names::fallback(index + 1, &content_type)),
            &taken,
        );
        taken.push(name.clone());
        let bytes = charset::attachment_bytes(part, &message.raw_message);
        let size = bytes.len();
        let content = if size > limits.attachment_bytes {
            Content::TooLarge
        } else {
            Content::Bytes(bytes.into_owned())
        };
        out.push(Attachment {
            name,
            content_type,
            size,
            content,
        });
    }
    out
}

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let subtype = ct.subtype().unwrap_or("octet-stream");
            one_line(&format!("{}/{subtype}", ct.ctype())).to_ascii_lowercase()
        }
        None if part.is_message() => "message/rfc822".into(),
        None => "text/plain".into(),
    }
}

/// Own loop first (never answer ourselves), then bounces, then auto-replies.
fn classify(
    headers: &Message<'_>,
    message: &Message<'_>,
    from: &Mailbox,
    message_id: &str,
    own: &OwnMail,
) -> Kind {
    let raw = |name: &str| -> Vec<String> {
        headers
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case(name))
            .filter_map(|h| match &h.value {
                HeaderValue::Text(t) => Some(one_line(t)),
                HeaderValue::TextList(l) => Some(one_line(&l.join(", "))),
                _ => None,
            })
            .collect()
    };
    for value in raw("X-Loop") {
        let named = own
            .loop_addresses
            .iter()
            .find(|a| value.to_lowercase().contains(&a.to_lowercase()));
        if let Some(address) = named {
            return Kind::OwnLoop {
                reason: format!("X-Loop: {address}"),
            };
        }
    }
    // desk's own address as the sender: its mail come back, or a forgery
    // of it; never a customer.
    if own
        .loop_addresses
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&from.address))
    {
        return Kind::OwnLoop {
            reason: format!("From: {}", crate::model::mask::email(&from.address)),
        };
    }
    if let Some((_, domain)) = message_id.rsplit_once('@') {
        if own
            .message_id_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
        {
            return Kind::OwnLoop {
                reason: format!("Message-ID domain {domain}"),
            };
        }
    }

    let is_report = |part: &MessagePart<'_>| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                && ct
                    .attribute("report-type")
                    .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
        })
    };
    let is_status = |part: &MessagePart<'_>| part.is_content_type("message", "delivery-status");
    let local = from.address.split('@').next().unwrap_or_default();
    let daemon =
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster");
    // An empty envelope sender (`Return-Path: <>`) is what mail systems
    // give bounces and other automatic mail, whatever shape their body has.
    let has = |name: &str| {
        headers
            .headers_raw()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let null_sender = headers
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Return-Path"))
        .any(|(_, v)| matches!(v.trim(), "<>" | ""));
    if message.parts.iter().any(is_report)
        || (daemon && message.parts.iter().any(is_status))
        || (daemon && null_sender)
    {
        return Kind::Bounce;
    }

    let auto = |name: &str, value: &str| Kind::AutoReply {
        header: format!("{name}: {value}"),
    };
    for value in raw("Auto-Submitted") {
        if !value.trim().eq_ignore_ascii_case("no") {
            return auto("Auto-Submitted", &value);
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"] {
        if let Some(value) = raw(name).into_iter().next() {
            return auto(name, &value);
        }
    }
    for value in raw("Precedence") {
        let v = value.trim().to_ascii_lowercase();
        if matches!(v.as_str(), "bulk" | "junk" | "list") {
            return auto("Precedence", &value);
        }
    }
    // Mailing-list mail: no customer writes through a list manager.
    for name in ["List-Id", "List-Unsubscribe"] {
        if has(name) {
            return auto(name, "present");
        }
    }
    if null_sender {
        return auto("Return-Path", "<>");
    }
    // Out-of-office replies of Chinese clients that set no header.
    let subject = headers.subject().unwrap_or_default().trim();
    for prefix in [
        "自动回复",
        "自動回覆",
        "Automatic reply",
        "Auto-Reply",
        "Out of Office",
    ] {
        if subject.starts_with(prefix) {
            return auto("Subject", prefix);
        }
    }
    Kind::Ordinary
}
