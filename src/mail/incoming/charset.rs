//! The charset rules beyond mail-parser's: raw 8-bit headers, and bodies
//! whose charset is missing or unknown. The rule for bytes of no declared
//! (or an unknown) charset: UTF-8 when they are valid UTF-8, else GB18030
//! when they are valid GB18030 (a superset of GBK and GB2312, what Chinese
//! clients send undeclared), else UTF-8 with U+FFFD for the invalid bytes
//! and a [`Lossy`] note.

use std::borrow::Cow;

use encoding_rs::GB18030;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, MessageParser, MessagePart, MimeHeaders, PartType};

/// Text read by a fallback rule: where, and the charset it was declared in
/// (or what was assumed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lossy {
    /// `headers`, `body` or `attachment name`
    pub place: &'static str,
    /// The unknown label as written (one line, at most 64 characters),
    /// `8-bit` for bytes of no declared (or an unknown) charset that are
    /// neither UTF-8 nor GB18030, `utf-8` for a body so labelled that is
    /// not, or [`MISLABELLED_GB18030`] for one read as GB18030.
    pub charset: String,
}

const UNDECLARED: &str = "8-bit";

fn note(lossy: &mut Vec<Lossy>, place: &'static str, charset: &str) {
    let charset: String = super::one_line(charset).chars().take(64).collect();
    let entry = Lossy { place, charset };
    if !lossy.contains(&entry) {
        lossy.push(entry);
    }
}

/// Bytes of no declared charset (`labelled_utf8: false`), or labelled
/// UTF-8 (a Chinese client that labels GBK so): UTF-8, else GB18030, else
/// UTF-8 lossily. Noted when read lossily, and a label proved wrong too.
fn fallback(
    bytes: &[u8],
    place: &'static str,
    lossy: &mut Vec<Lossy>,
    labelled_utf8: bool,
) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        // A label's text held U+FFFD itself.
        return text.to_string();
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if !had_errors {
        if labelled_utf8 {
            note(lossy, place, MISLABELLED_GB18030);
        }
        return text.into_owned();
    }
    note(
        lossy,
        place,
        if labelled_utf8 { "utf-8" } else { UNDECLARED },
    );
    String::from_utf8_lossy(bytes).into_owned()
}

fn is_utf8(label: &[u8]) -> bool {
    label.eq_ignore_ascii_case(b"utf-8") || label.eq_ignore_ascii_case(b"utf8")
}

/// What [`Lossy::charset`] says of a body labelled UTF-8 read as GB18030.
pub const MISLABELLED_GB18030: &str = "utf-8 (not UTF-8; read as GB18030)";

/// A charset label some decoder knows: mail-parser's table, and UTF-8,
/// which it reads without one.
fn is_known(label: &[u8]) -> bool {
    is_utf8(label) || charset_decoder(label).is_some()
}

/// The header block transcoded to UTF-8 when it is not UTF-8 already (raw
/// GBK bytes of an old client), for reading again; none when it is UTF-8.
/// Line by line, so that one odd byte in a header desk does not read leaves
/// the UTF-8 of the others as it is.
pub(super) fn header_block_text(block: &[u8], lossy: &mut Vec<Lossy>) -> Option<String> {
    if std::str::from_utf8(block).is_ok() {
        return None;
    }
    let mut text = String::with_capacity(block.len() + 2);
    for line in block.split_inclusive(|&b| b == b'\n') {
        text.push_str(&fallback(line, "headers", lossy, false));
    }
    text.push_str("\r\n");
    Some(text)
}

/// The charsets of RFC 2047 encoded words (`=?charset?B?…?=`) in a header
/// block that no decoder knows; mail-parser reads such words as UTF-8.
pub(super) fn unknown_word_charsets(block: &[u8]) -> Vec<Lossy> {
    let mut lossy = Vec::new();
    let mut rest = block;
    while let Some(start) = rest.windows(2).position(|w| w == b"=?") {
        rest = &rest[start + 2..];
        let Some(end) = rest.iter().take(80).position(|&b| b == b'?') else {
            continue;
        };
        let label = &rest[..end];
        // RFC 2231 adds a language after `*`.
        let charset = label.split(|&b| b == b'*').next().unwrap_or_default();
        let is_word = rest
            .get(end + 1..end + 3)
            .is_some_and(|e| matches!(e[0], b'B' | b'b' | b'Q' | b'q') && e[1] == b'?');
        if is_word && !charset.is_empty() && !is_known(charset) {
            note(&mut lossy, "headers", &String::from_utf8_lossy(charset));
        }
        rest = &rest[end..];
    }
    lossy
}

/// A text part's text. mail-parser decodes a declared, known charset; a
/// missing or unknown one it reads as UTF-8, replacing invalid bytes: those
/// are read again from the part's bytes by the rule above.
pub(super) fn part_text(
    part: &MessagePart<'_>,
    text: &str,
    raw: &[u8],
    lossy: &mut Vec<Lossy>,
) -> String {
    let declared = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(str::trim)
        .filter(|c| !c.is_empty());
    match declared {
        Some(charset) if is_utf8(charset.as_bytes()) => {
            if text.contains(char::REPLACEMENT_CHARACTER) {
                if let Some(bytes) = transfer_decoded(part, raw) {
                    return fallback(&bytes, "body", lossy, true);
                }
            }
            return text.to_string();
        }
        Some(charset) if is_known(charset.as_bytes()) => return text.to_string(),
        Some(charset) => note(lossy, "body", charset),
        None => {}
    }
    if !text.contains(char::REPLACEMENT_CHARACTER) {
        return text.to_string();
    }
    match transfer_decoded(part, raw) {
        Some(bytes) => fallback(&bytes, "body", lossy, false),
        None => text.to_string(),
    }
}

/// An attachment's bytes as the sender's file holds them: a text part in
/// its own charset (mail-parser hands text parts over decoded to UTF-8),
/// other parts as mail-parser decoded them.
pub(super) fn attachment_bytes<'a>(part: &'a MessagePart<'_>, raw: &'a [u8]) -> Cow<'a, [u8]> {
    match part.body {
        PartType::Text(_) | PartType::Html(_) => {
            transfer_decoded(part, raw).unwrap_or(Cow::Borrowed(part.contents()))
        }
        _ => Cow::Borrowed(part.contents()),
    }
}

/// The part's body bytes with the transfer encoding undone.
fn transfer_decoded<'a>(part: &MessagePart<'_>, raw: &'a [u8]) -> Option<Cow<'a, [u8]>> {
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        Encoding::None => Some(Cow::Borrowed(body)),
        Encoding::Base64 => base64_decode(body).map(Cow::Owned),
        Encoding::QuotedPrintable => quoted_printable_decode(body).map(Cow::Owned),
    }
}

/// An attachment's file name as given (RFC 2231 and 2047 decoded), its
/// part's header block read again when it holds raw 8-bit bytes.
pub(super) fn attachment_name(
    part: &MessagePart<'_>,
    raw: &[u8],
    parser: &MessageParser,
    lossy: &mut Vec<Lossy>,
) -> Option<String> {
    let block = raw.get(part.offset_header as usize..part.offset_body as usize);
    for charset in unknown_word_charsets(block.unwrap_or_default()) {
        note(lossy, "attachment name", &charset.charset);
    }
    let transcoded = block.and_then(|b| {
        let mut found = Vec::new();
        let text = header_block_text(b, &mut found);
        if !found.is_empty() {
            note(lossy, "attachment name", UNDECLARED);
        }
        text
    });
    match transcoded {
        Some(text) => parser.parse_headers(text.as_bytes()).and_then(|m| {
            m.parts
                .first()
                .and_then(|p| p.attachment_name().map(String::from))
        }),
        None => part.attachment_name().map(String::from),
    }
}
