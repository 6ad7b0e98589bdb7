//! A [`Mail`] as the bytes of an RFC 5322 message, and its envelope.

use email_encoding::headers::rfc2047;
use email_encoding::headers::writer::EmailWriter;
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart, SinglePart};
use lettre::Address;

use crate::model::validate::FormatError;

use super::{Mail, MailError};

/// A message ready for a transport.
pub(crate) struct Built {
    pub from: Address,
    pub to: Vec<Address>,
    /// Lines end in CRLF; the body is base64 or quoted-printable when it is not ASCII.
    pub bytes: Vec<u8>,
}

/// A mailbox of the settings (`mail.from`): `service@example.com` or
/// `客服中心 <service@example.com>`; the error quotes it as written.
pub(crate) fn mailbox(text: &str) -> Result<Mailbox, String> {
    checked(text).map_err(|e| {
        format!(
            "'{}' is not an e-mail address; {e}",
            crate::text::visible(text.trim())
        )
    })
}

/// A recipient's mailbox; the error quotes it masked (a customer's).
fn recipient(text: &str) -> Result<Mailbox, String> {
    checked(text).map_err(|e| {
        format!(
            "recipient '{}' is not an e-mail address; {e}",
            crate::text::visible(&crate::model::mask::email_as_typed(text.trim()))
        )
    })
}

/// A mailbox as desk's one address check takes it
/// (`model::validate::mailbox`), for lettre.
fn checked(text: &str) -> Result<Mailbox, FormatError> {
    let checked = crate::model::validate::mailbox(text)?;
    // lettre has the last word on what it can send (an address it cannot
    // encode is refused the same way).
    let address: Address = checked.address.parse().map_err(|_| FormatError::Mailbox)?;
    Ok(Mailbox::new(checked.name, address))
}

pub(crate) fn build(from: &Mailbox, mail: &Mail) -> Result<Built, MailError> {
    let bad = |problem: String| MailError::Message {
        message_id: crate::text::visible(&mail.message_id).into_owned(),
        problem,
    };
    let id = &mail.message_id;
    if !is_message_id(id) {
        return Err(bad(
            "not a Message-ID; expected ASCII text such as 1f3a9c@desk, without angle brackets or spaces"
                .into(),
        ));
    }
    if mail.to.is_empty() {
        return Err(bad("no recipient".into()));
    }
    let subject = one_line(&mail.subject);
    let mut builder = Message::builder()
        .from(from.clone())
        .message_id(Some(format!("<{id}>")))
        .date_now();
    builder = if must_encode(&subject) {
        builder.raw_header(encoded_subject(&subject))
    } else {
        builder.subject(subject)
    };
    for to in &mail.to {
        builder = builder.to(recipient(to).map_err(bad)?);
    }
    // Every mail of desk's names its sender in X-Loop, which `desk mail-in`
    // recognises coming back; a rule's mail says it is automatic.
    builder = builder.raw_header(plain_header("X-Loop", from.email.as_ref()));
    if mail.automatic {
        builder = builder.raw_header(plain_header("Auto-Submitted", "auto-generated"));
    }
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(mailbox(reply_to).map_err(bad)?);
    }
    // Message-IDs come from mail received: one that is not one is left out
    // rather than written into a header.
    if let Some(id) = mail.in_reply_to.as_deref().filter(|id| is_message_id(id)) {
        builder = builder.in_reply_to(format!("<{id}>"));
    }
    let references: Vec<String> = mail
        .references
        .iter()
        .filter(|id| is_message_id(id))
        .map(|id| format!("<{id}>"))
        .collect();
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    let text = SinglePart::plain(plain_text(&mail.body));
    // The text, or the text and its HTML alternative; then the files.
    let content = mail.html.as_ref().map(|html| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(SinglePart::html(html.clone()))
    });
    let message = if mail.attachments.is_empty() {
        match content {
            Some(alternative) => builder.multipart(alternative),
            None => builder.singlepart(text),
        }
    } else {
        let mixed = match content {
            Some(alternative) => MultiPart::mixed().multipart(alternative),
            None => MultiPart::mixed().singlepart(text),
        };
        let parts = mail.attachments.iter().fold(mixed, |parts, a| {
            let kind = ContentType::parse(content_type(&a.name)).expect("a content type");
            parts.singlepart(
                lettre::message::Attachment::new(a.name.clone()).body(a.bytes.clone(), kind),
            )
        });
        builder.multipart(parts)
    }
    .map_err(|e| bad(e.to_string()))?;
    let envelope = message.envelope();
    Ok(Built {
        from: from.email.clone(),
        to: envelope.to().to_vec(),
        bytes: message.formatted(),
    })
}

/// The media type of an attached file, by its extension: what a mail
/// client needs to open it with the right program.
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("csv") => "text/csv; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("html" | "htm") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether `id` can be written as a Message-ID between angle brackets:
/// `left@right`, ASCII, no space, bracket, quote or backslash.
fn is_message_id(id: &str) -> bool {
    let (left, right) = id.split_once('@').unwrap_or_default();
    !left.is_empty()
        && !right.is_empty()
        && !right.contains('@')
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>\"\\".contains(&b))
}

/// The longest word of a subject written as it is: `Subject: ` and the
/// word fit in a line of 78 characters, RFC 5322's advice.
const PLAIN_WORD: usize = 66;

/// A subject as one line: line breaks and tabs (from a template or a ticket
/// title) become single spaces; control, bidi and other invisible
/// characters are written as visible escapes (`\u{202e}`), so a subject can
/// neither hide nor reorder what a reader sees.
fn one_line(subject: &str) -> String {
    let line = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::visible(&line).into_owned()
}

/// A body as the reader will see it: its lines (CRLF or LF) and tabs kept,
/// every other control, bidi or invisible character written as a visible
/// escape, as in [`one_line`].
fn plain_text(body: &str) -> String {
    body.replace("\r\n", "\n")
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(|part| crate::text::visible(part))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a subject must be encoded whole rather than word by word (as
/// lettre encodes it): a word too long for one line cannot be folded as it
/// is (a pasted URL or log line would make a line over RFC 5322's 998
/// characters, which servers refuse), and text that looks like an encoded
/// word (`=?utf-8?b?…?=`) would be decoded by the reader's mail client.
fn must_encode(subject: &str) -> bool {
    subject
        .split(' ')
        .any(|word| word.len() > PLAIN_WORD || word.contains("=?"))
}

/// The Subject header as RFC 2047 encoded words (UTF-8, base64) of at most
/// 76 characters a line, folded between them: every character kept, no
/// line too long, nothing in it read as markup.
/// A header of ASCII text desk made (an address, a keyword).
fn plain_header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str(name),
        value.to_string(),
        value.to_string(),
    )
}

fn encoded_subject(subject: &str) -> HeaderValue {
    const NAME: &str = "Subject";
    let mut encoded = String::new();
    {
        let mut writer = EmailWriter::new(&mut encoded, NAME.len() + ": ".len(), 0, false);
        rfc2047::encode(subject, &mut writer).expect("writing to a String");
    }
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str(NAME),
        subject.to_string(),
        encoded,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            to: vec!["李娜 <li.na@example.com>".into(), "wang@example.com".into()],
            subject: "工单 CW202611240001 已分配给您\r\nBcc: evil@example.com".into(),
            body: "您好：\n客户张**的投诉已分配给您，请在 24 小时内处理。\n".into(),
            message_id: "3f2a9c@desk".into(),
            ..Mail::default()
        }
    }

    #[test]
    fn chinese_subject_and_body_are_encoded_and_headers_set() {
        let from = mailbox("客服中心 <service@example.com>").unwrap();
        let built = build(&from, &mail()).unwrap();
        let text = String::from_utf8(built.bytes).unwrap();
        assert!(text.is_ascii(), "{text}");
        let headers = &text[..text.find("\r\n\r\n").unwrap()];
        assert!(headers.contains("Message-ID: <3f2a9c@desk>"), "{headers}");
        assert!(headers.contains("\r\nDate: "), "{headers}");
        assert!(headers.contains("Subject: =?utf-8?"), "{headers}");
        assert!(headers.contains("From: =?utf-8?"), "{headers}");
        assert!(headers.contains("<service@example.com>"), "{headers}");
        assert!(
            headers.contains("charset=utf-8"),
            "the body's charset: {headers}"
        );
        // The line break in the subject did not make a header of its own.
        assert!(!headers.contains("\r\nBcc:"), "{headers}");
        assert_eq!(built.from.to_string(), "service@example.com");
        let to: Vec<String> = built.to.iter().map(|a| a.to_string()).collect();
        assert_eq!(to, ["li.na@example.com", "wang@example.com"]);
    }

    /// The header lines of a built message, unfolded: (name, value).
    fn header(text: &str, name: &str) -> String {
        let headers = &text[..text.find("\r\n\r\n").unwrap()];
        let start = headers.find(&format!("\r\n{name}: ")).unwrap() + 2;
        let rest = &headers[start + name.len() + 2..];
        let end = (0..rest.len())
            .find(|&i| rest[i..].starts_with("\r\n") && !rest[i + 2..].starts_with(' '))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    }

    #[test]
    fn a_subject_without_spaces_is_encoded_and_folded_into_short_lines() {
        let from = mailbox("service@example.com").unwrap();
        let url = format!("https://example.com/{}", "a".repeat(1000));
        for title in [url.clone(), format!("打印机卡纸 {url}"), "x".repeat(67)] {
            let mut m = mail();
            m.subject = format!("[CW202611240001] 新工单 / New ticket: {title}");
            let text = String::from_utf8(build(&from, &m).unwrap().bytes).unwrap();
            for line in text.split("\r\n") {
                assert!(line.len() <= 78, "{} chars: {line}", line.len());
            }
            let subject = header(&text, "Subject");
            assert!(subject.starts_with("=?utf-8?b?"), "{subject}");
            assert!(!subject.contains("aaaa"), "{subject}");
        }
        // Short ASCII words are left to lettre, as they were.
        let mut m = mail();
        m.subject = "[CW202611240001] Printer jammed".into();
        let text = String::from_utf8(build(&from, &m).unwrap().bytes).unwrap();
        assert_eq!(header(&text, "Subject"), "[CW202611240001] Printer jammed");
    }

    #[test]
    fn text_that_looks_like_an_encoded_word_is_encoded_itself() {
        let from = mailbox("service@example.com").unwrap();
        let mut m = mail();
        // "=?utf-8?b?5L2g5aW9?=" is 你好: a client would show that, not the title.
        m.subject = "[CW1] =?utf-8?b?5L2g5aW9?= printer".into();
        let text = String::from_utf8(build(&from, &m).unwrap().bytes).unwrap();
        let subject = header(&text, "Subject");
        assert!(!subject.contains("=?utf-8?b?5L2g5aW9?="), "{subject}");
        assert!(subject.starts_with("=?utf-8?b?"), "{subject}");
    }

    #[test]
    fn control_and_bidi_characters_are_shown_not_obeyed() {
        let from = mailbox("service@example.com").unwrap();
        let mut m = mail();
        m.subject = "invoice\u{202e}fdp.exe\u{7}".into();
        m.body = "line one\r\n\tindented\u{202e}txt.exe\u{1b}[31m\u{85}\rend\n".into();
        assert_eq!(one_line(&m.subject), "invoice\\u{202e}fdp.exe\\u{7}");
        assert_eq!(
            plain_text(&m.body),
            "line one\n\tindented\\u{202e}txt.exe\\e[31m\\u{85}\\rend\n"
        );
        let text = String::from_utf8(build(&from, &m).unwrap().bytes).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn malformed_mails_are_refused_for_good() {
        let from = mailbox("service@example.com").unwrap();
        for (change, expected) in [
            (
                (|m: &mut Mail| m.message_id = "<x@desk>".into()) as fn(&mut Mail),
                "not a Message-ID",
            ),
            (|m| m.message_id = "no-at".into(), "not a Message-ID"),
            (|m| m.message_id = "a b@desk".into(), "not a Message-ID"),
            (|m| m.to.clear(), "no recipient"),
            (
                |m| m.to = vec!["a@example.com, b@example.com".into()],
                "recipient 'a***@example.com, b***@example.com' is not an e-mail address",
            ),
            (|m| m.to = vec!["张三".into()], "recipient '***'"),
        ] {
            let mut m = mail();
            change(&mut m);
            let err = build(&from, &m).err().expect("refused");
            assert!(err.is_permanent());
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn mailboxes_are_one_address_with_an_optional_name() {
        for good in [
            "a@example.com",
            " 客服中心 <service@example.com> ",
            "\"Li, Na\" <li.na@example.com>",
        ] {
            mailbox(good).unwrap();
        }
        for bad in [
            "",
            "example.com",
            "a@example.com b@example.com",
            "<a@example.com> x",
        ] {
            assert!(mailbox(bad).is_err(), "{bad}");
        }
    }
}
