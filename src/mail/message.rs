//! A [`Mail`] as the bytes of an RFC 5322 message, and its envelope.

use lettre::message::{Mailbox, Message, SinglePart};
use lettre::Address;

use super::{Mail, MailError};

/// A message ready for a transport.
pub(crate) struct Built {
    pub from: Address,
    pub to: Vec<Address>,
    /// Lines end in CRLF; the body is base64 or quoted-printable when it is not ASCII.
    pub bytes: Vec<u8>,
}

/// A mailbox: `service@example.com` or `客服中心 <service@example.com>`, and
/// nothing more (a second address after a comma is refused, not dropped).
pub(crate) fn mailbox(text: &str) -> Result<Mailbox, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "'{}' is not an e-mail address; expected name@example.com or `Name <name@example.com>`",
            crate::output::visible(text)
        )
    };
    let parsed: Mailbox = text.parse().map_err(|_| bad())?;
    // The parser stops after one mailbox; the rest of the text must be empty.
    let address = parsed.email.to_string();
    if text != address && !text.ends_with(&format!("<{address}>")) {
        return Err(bad());
    }
    Ok(parsed)
}

pub(crate) fn build(from: &Mailbox, mail: &Mail) -> Result<Built, MailError> {
    let bad = |problem: String| MailError::Message {
        message_id: crate::output::visible(&mail.message_id).into_owned(),
        problem,
    };
    let id = &mail.message_id;
    let (left, right) = id.split_once('@').unwrap_or_default();
    if left.is_empty()
        || right.is_empty()
        || right.contains('@')
        || !id
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>\"\\".contains(&b))
    {
        return Err(bad(
            "not a Message-ID; expected ASCII text such as 1f3a9c@desk, without angle brackets or spaces"
                .into(),
        ));
    }
    if mail.to.is_empty() {
        return Err(bad("no recipient".into()));
    }
    // A subject is one line: line breaks and tabs (from a template or a
    // ticket title) become single spaces.
    let subject = mail
        .subject
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(subject)
        .message_id(Some(format!("<{id}>")))
        .date_now();
    for to in &mail.to {
        builder = builder.to(mailbox(to).map_err(|e| bad(format!("recipient {e}")))?);
    }
    let message = builder
        .singlepart(SinglePart::plain(mail.body.clone()))
        .map_err(|e| bad(e.to_string()))?;
    let envelope = message.envelope();
    Ok(Built {
        from: from.email.clone(),
        to: envelope.to().to_vec(),
        bytes: message.formatted(),
    })
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
                "recipient 'a@example.com, b@example.com' is not an e-mail address",
            ),
            (|m| m.to = vec!["张三".into()], "recipient '张三'"),
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
