//! What must never be written into text that desk keeps in clear — a
//! ticket's title, description and notes, a customer's plain fields — since
//! that text is committed, pushed and shown to everyone who reads the store,
//! and a ticket's history and a customer's change log are never rewritten:
//! bank-card numbers (stored encrypted in `bank_card`, docs/format.md) and
//! secret keys pasted by mistake. Refused when written, with the value
//! masked in the message; pure, no I/O.

use super::validate::{id_card, luhn};
use crate::error::{Error, Result};

/// A bank-card number found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// Its last four digits, all a message shows.
    pub last4: String,
    /// The scheme its first digits name (`UnionPay`).
    pub issuer: &'static str,
}

/// Issuer prefixes (as digit ranges of a prefix length) and the card
/// lengths each scheme issues, at least 15 digits: shorter runs are too
/// common (phone numbers, dates, order numbers) to be told from cards.
const ISSUERS: [(&str, u32, u32, usize, usize); 10] = [
    // name, first prefix, last prefix (same number of digits), lengths
    ("UnionPay", 62, 62, 16, 19),
    ("UnionPay", 81, 81, 16, 19),
    ("Visa", 4, 4, 16, 16),
    ("Visa", 4, 4, 19, 19),
    ("Mastercard", 51, 55, 16, 16),
    ("Mastercard", 2221, 2720, 16, 16),
    ("American Express", 34, 34, 15, 15),
    ("American Express", 37, 37, 15, 15),
    ("JCB", 3528, 3589, 16, 19),
    ("Discover", 6011, 6011, 16, 19),
];

/// The scheme of a card number of these digits, if one issues it.
fn issuer(digits: &str) -> Option<&'static str> {
    ISSUERS
        .iter()
        .find(|(_, first, last, min, max)| {
            let width = first.to_string().len();
            (*min..=*max).contains(&digits.len())
                && digits[..width]
                    .parse::<u32>()
                    .is_ok_and(|p| (*first..=*last).contains(&p))
        })
        .map(|(name, ..)| *name)
}

/// The first bank-card number written in `text`: 15 to 19 digits (in
/// full-width digits too), perhaps in groups of three or more set apart by
/// one space or hyphen (`6222 0212 3456 7890 123`), not glued to Latin
/// letters or other digits, whose first digits name a card scheme and whose
/// last is the Luhn check digit. Groups are tried from each group on, so a
/// card followed by another number is found. A run that is a valid
/// resident ID-card number is one, not a card.
pub fn bank_card(text: &str) -> Option<Card> {
    let chars: Vec<char> = text.chars().map(ascii_digit).collect();
    let mut i = 0;
    while i < chars.len() {
        let glued = i > 0 && is_word(chars[i - 1]);
        if !chars[i].is_ascii_digit() || glued {
            i += 1;
            continue;
        }
        // The groups of this run: digits, one separator, digits...
        let mut groups: Vec<String> = vec![String::new()];
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                groups.last_mut().expect("one group").push(c);
            } else if is_separator(c)
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                && !groups.last().expect("one group").is_empty()
            {
                groups.push(String::new());
            } else {
                break;
            }
            j += 1;
        }
        // A run glued to a letter after it is a code, not a card.
        if !chars.get(j).is_some_and(|c| is_word(*c)) {
            if let Some(card) = card_in_groups(&groups) {
                return Some(card);
            }
        }
        i = j.max(i + 1);
    }
    None
}

/// A card among consecutive groups of one run.
fn card_in_groups(groups: &[String]) -> Option<Card> {
    let grouped = groups.len() > 1;
    for start in 0..groups.len() {
        let mut digits = String::new();
        for group in &groups[start..] {
            // Cards are written in groups of three digits or more.
            if grouped && group.len() < 3 {
                break;
            }
            digits.push_str(group);
            if digits.len() > 19 {
                break;
            }
            if digits.len() < 15 || !luhn(&digits) {
                continue;
            }
            if digits.len() == 18 && id_card(&digits).is_ok() {
                continue;
            }
            if let Some(issuer) = issuer(&digits) {
                return Some(Card {
                    last4: digits[digits.len() - 4..].to_string(),
                    issuer,
                });
            }
        }
    }
    None
}

fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        c => c,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}')
}

/// Latin letters, digits and `_`: what a code or identifier is made of.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A secret key that text must not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKey {
    /// An age private key, `AGE-SECRET-KEY-1` and 58 letters and digits:
    /// what `DESK_KEY_FILE` holds.
    Age,
    /// A desk lookup key, `DESK-LOOKUP-KEY-` and 64 hex digits.
    Lookup,
    /// A PEM private key: a `-----BEGIN … PRIVATE KEY-----` line and its
    /// base64 body (ssh, TLS, PGP keys).
    Pem,
}

impl SecretKey {
    /// What a message calls it, never quoting it.
    pub fn what(self) -> &'static str {
        match self {
            SecretKey::Age => "an age private key (AGE-SECRET-KEY-1…)",
            SecretKey::Lookup => "a desk lookup key (DESK-LOOKUP-KEY-…)",
            SecretKey::Pem => "a private key (-----BEGIN … PRIVATE KEY-----)",
        }
    }

    /// How it is quoted in a message.
    fn shown(self) -> &'static str {
        match self {
            SecretKey::Age => "AGE-SECRET-KEY-1…",
            SecretKey::Lookup => "DESK-LOOKUP-KEY-…",
            SecretKey::Pem => "-----BEGIN … PRIVATE KEY-----…",
        }
    }
}

/// The first secret key in `text`, in any case: the shapes `desk check`
/// looks for in the store's files (store/secrets.rs), and PEM keys.
pub fn secret_key(text: &str) -> Option<SecretKey> {
    if crate::crypto::AGE_KEY_SHAPE.found_in(text.as_bytes()) {
        return Some(SecretKey::Age);
    }
    if crate::crypto::LOOKUP_KEY_SHAPE.found_in(text.as_bytes()) {
        return Some(SecretKey::Lookup);
    }
    pem_key(text).then_some(SecretKey::Pem)
}

/// A `-----BEGIN <label> PRIVATE KEY[ BLOCK]-----` line followed by at
/// least 64 base64 characters: a key, not a mention of its header.
fn pem_key(text: &str) -> bool {
    text.match_indices("-----BEGIN ").any(|(at, begin)| {
        let rest = &text[at + begin.len()..];
        let Some(end) = rest.find("-----") else {
            return false;
        };
        let label = &rest[..end];
        if label.len() > 40 || !label.contains("PRIVATE KEY") {
            return false;
        }
        // A key's first line follows at once: 512 characters are plenty,
        // and keep text of many headers linear.
        let body = rest[end + 5..]
            .chars()
            .take(512)
            .filter(|c| !c.is_whitespace())
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | ':' | '-'))
            .filter(|c| *c != '-')
            .count();
        body >= 64
    })
}

/// Where text is kept, for what a refusal tells to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// A ticket's text (title, description, a note, ...).
    Ticket,
    /// A customer's field kept in clear (notes, a custom field, ...).
    Customer,
}

/// Refuses `text`, bound for `field` kept in clear, when it holds a
/// bank-card number or a secret key; the message shows only the card's
/// last four digits, or the kind of key.
pub fn refuse(field: &str, text: &str, kept: Kept) -> Result<()> {
    if let Some(key) = secret_key(text) {
        return Err(Error::invalid(
            field,
            key.shown(),
            format!(
                "this holds {}, which must never be written into the store, where it would \
                 stay in the history of every clone for good (tickets and change logs are \
                 never rewritten); nothing was written: leave the key out",
                key.what()
            ),
        ));
    }
    if let Some(card) = bank_card(text) {
        let instead = match kept {
            Kept::Ticket => "write only its last four digits (尾号)",
            Kept::Customer => {
                "record it as bank_card (银行卡号), which is stored encrypted, or write only \
                 its last four digits (尾号)"
            }
        };
        return Err(Error::invalid(
            field,
            super::mask::last_four(&card.last4),
            format!(
                "this holds a bank-card number ({}, Luhn-checked), which desk does not keep in \
                 clear text: everyone who can read the store would see it; {instead}",
                card.issuer
            ),
        ));
    }
    Ok(())
}

/// Refuses an event about to be recorded in a ticket when any text a
/// person or a rule wrote into it (title, category, tags, description,
/// expectation, note, resolution, compensation, follow-up, reason, survey
/// comment, an edit's new value) holds a bank-card number or a secret key.
/// The values an edit replaces (`from`) are not judged: a value already in
/// the file can still be edited away.
pub fn refuse_in_event(event: &super::Event) -> Result<()> {
    use super::Payload;
    let mut texts: Vec<(&str, Option<&str>)> = Vec::new();
    let mut tags: &[String] = &[];
    // The new value: of an edit, named by its field; an assignee, a
    // delivery's recipients, as `to`.
    let mut to: Vec<(&str, &str)> = Vec::new();
    match &event.payload {
        Payload::Created(c) => {
            // Taken apart whole: a field added to the ticket's initial
            // fields must be judged here, or said not to need it.
            let super::NewTicket {
                title,
                customer: _,
                kind: _,
                category,
                tags: all_tags,
                channel: _,
                priority: _,
                description,
                expectation,
                assignee,
            } = &c.ticket;
            texts.extend([
                ("title", Some(title.as_str())),
                ("category", category.as_deref()),
                ("description", Some(description.as_str())),
                ("expectation", expectation.as_deref()),
            ]);
            tags = all_tags;
            to.extend(assignee.as_deref().map(|a| ("to", a)));
        }
        Payload::Assigned(a) => {
            texts.push(("note", a.note.as_deref()));
            to.push(("to", &a.to));
        }
        Payload::Updated(u) => texts.push(("note", u.note.as_deref())),
        Payload::Attached(a) => texts.push(("note", a.note.as_deref())),
        Payload::Assessed(a) => texts.push(("note", a.note.as_deref())),
        Payload::Closed(c) => texts.extend([
            ("resolution", c.resolution.as_deref()),
            ("compensation", c.compensation.as_deref()),
            ("followup", c.followup.as_deref()),
        ]),
        Payload::Reopened(r) => texts.push(("reason", r.reason.as_deref())),
        Payload::Edited(e) => {
            texts.push(("note", e.note.as_deref()));
            match &e.to {
                Some(crate::yaml::Value::String(text)) => to.push((&e.field, text)),
                Some(crate::yaml::Value::Sequence(items)) => to.extend(
                    items
                        .iter()
                        .filter_map(|v| Some((e.field.as_str(), v.as_str()?))),
                ),
                _ => {}
            }
        }
        Payload::Surveyed(s) => texts.push(("comment", s.comment.as_deref())),
        // An answer mailed to the customer: what it says and its subject.
        Payload::Replied(r) => texts.extend([
            ("message", Some(r.note.as_str())),
            ("subject", r.subject.as_deref()),
        ]),
        Payload::Queued(super::Queued { to: Some(list), .. })
        | Payload::Notified(super::Notified { to: Some(list), .. })
        | Payload::DeliveryFailed(super::DeliveryFailed { to: Some(list), .. }) => {
            to.extend(list.iter().map(|t| ("to", t.as_str())))
        }
        _ => {}
    }
    for (field, text) in texts {
        if let Some(text) = text {
            refuse(field, text, Kept::Ticket)?;
        }
    }
    for tag in tags {
        refuse("tag", tag, Kept::Ticket)?;
    }
    for (field, text) in to {
        refuse(field, text, Kept::Ticket)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn card_numbers_are_found_however_written() {
        for (text, last4, issuer) in [
            ("6222021234567890128", "0128", "UnionPay"),
            ("卡号6222 0212 3456 7890 128，请退款", "0128", "UnionPay"),
            ("4111-1111-1111-1111", "1111", "Visa"),
            ("card 4111 1111 1111 1111 100 yuan", "1111", "Visa"),
            ("５４５４５４５４５４５４５４５４", "5454", "Mastercard"),
            ("2221 0000 0000 0009", "0009", "Mastercard"),
            ("3782 822463 10005", "0005", "American Express"),
            ("3530111333300000", "0000", "JCB"),
            ("refund to 6011111111111117.", "1117", "Discover"),
            ("新卡 6217 0012 3456 7893 已寄出", "7893", "UnionPay"),
        ] {
            let card = bank_card(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                (card.last4.as_str(), card.issuer),
                (last4, issuer),
                "{text}"
            );
        }
    }

    #[test]
    fn ticket_ids_phones_orders_and_id_cards_are_not_cards() {
        for text in [
            "CW202611230001",
            "CW2026112399999999",
            "13912345678",
            "+86 139 1234 5678",
            "010-12345678-123",
            // Luhn fails.
            "4111111111111112",
            "6222021234567890129",
            // No issuer: an order number that passes Luhn.
            "2026112300012340",
            // Glued to letters or digits: codes.
            "TB4111111111111111",
            "4111111111111111x",
            "wxid_6222021234567890128",
            "94111111111111111",
            // Groups of one or two digits are a list, not a card.
            "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
            // A Gansu resident ID-card number (62...) is an ID card.
            "620102199001011057",
            // Too short or too long.
            "41111111111111",
            "41111111111111111111",
            "2026-11-23 09:15",
        ] {
            assert_eq!(bank_card(text), None, "{text}");
        }
        assert!(luhn("620102199001011057") && id_card("620102199001011057").is_ok());
        assert!(luhn("2026112300012340") && luhn("4111111111111111"));
    }

    #[test]
    fn secret_keys_are_found_in_any_case_but_not_their_mentions() {
        let age = format!(
            "AGE-SECRET-KEY-1{}",
            "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2)
        );
        let age = &age[..16 + 58];
        assert_eq!(secret_key(age), Some(SecretKey::Age));
        assert_eq!(
            secret_key(&format!("key: {}\n", age.to_lowercase())),
            Some(SecretKey::Age)
        );
        let lookup = format!("DESK-LOOKUP-KEY-{}", "0a".repeat(32));
        assert_eq!(secret_key(&lookup), Some(SecretKey::Lookup));
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n{}\n-----END OPENSSH PRIVATE KEY-----",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
            "QyNTUxOQAAACD"
        );
        assert_eq!(secret_key(&pem), Some(SecretKey::Pem));
        for text in [
            "`AGE-SECRET-KEY-1...` lines",
            "DESK-LOOKUP-KEY-1234",
            "the file starts with -----BEGIN RSA PRIVATE KEY----- and then base64",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
        ] {
            assert_eq!(secret_key(text), None, "{text}");
        }
    }

    #[test]
    fn refusals_mask_the_card_and_never_quote_a_key() {
        let e = refuse("note", "退款到 6222 0212 3456 7890 128", Kept::Ticket)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid note '****0128': this holds a bank-card number (UnionPay"),
            "{e}"
        );
        assert!(!e.contains("6222"), "{e}");
        let e = refuse("notes", "4111111111111111", Kept::Customer)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bank_card (银行卡号)"), "{e}");
        let key = format!("AGE-SECRET-KEY-1{}", "q".repeat(58));
        let e = refuse("description", &key, Kept::Ticket)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("an age private key") && !e.contains("qqqq"),
            "{e}"
        );
        assert!(refuse("note", "called back, 13912345678", Kept::Ticket).is_ok());
    }

    proptest! {
        /// Any text is judged without a panic; a card found is 15 to 19
        /// digits of the text that pass Luhn.
        #[test]
        fn any_text_is_judged(text in "[0-9０-９ a-zA-Z_\\-\u{3000}卡号]{0,60}") {
            if let Some(card) = bank_card(&text) {
                prop_assert_eq!(card.last4.len(), 4);
                prop_assert!(card.last4.bytes().all(|b| b.is_ascii_digit()));
            }
            let _ = secret_key(&text);
            let _ = refuse("note", &text, Kept::Ticket);
        }

        /// A valid card number of a scheme is found however it is grouped
        /// and whatever words surround it.
        #[test]
        fn valid_cards_are_found(
            body in "[0-9]{14}",
            scheme in 0usize..3,
            group in proptest::option::of(prop_oneof![Just(" "), Just("-")]),
            before in "[卡号: ]{0,4}",
        ) {
            let prefix = ["62", "4", "53"][scheme];
            let mut digits = format!("{prefix}{}", &body[..15 - prefix.len()]);
            let check = (0..10)
                .map(|d| format!("{digits}{d}"))
                .find(|c| luhn(c))
                .unwrap();
            digits = check;
            let written = match group {
                Some(sep) => digits
                    .as_bytes()
                    .chunks(4)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join(sep),
                None => digits.clone(),
            };
            let found = bank_card(&format!("{before}{written} 退款"));
            prop_assert_eq!(found.map(|c| c.last4), Some(digits[12..].to_string()));
        }
    }
}
