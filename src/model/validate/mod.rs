//! Checks of customer data that can be checked offline: phone and e-mail
//! shapes, and the check characters of Chinese ID-card numbers (GB 11643-1999),
//! unified social credit codes (GB 32100-2015) and bank cards (Luhn).
//! Each function returns the normalised value or why it is not valid.
//! [`FieldRules`] (`fields.rs`): what may be typed into each field of a customer.

mod fields;

use chrono::NaiveDate;

pub use self::fields::{contact_fields, FieldLookup, FieldRules};

/// Why a phone, e-mail, ID-card, credit code or bank card value is not
/// valid; each message says what would be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error(
        "expected a mainland mobile (13912345678), a landline with area code \
         (010-12345678) or an international number (+44 20 7946 0958)"
    )]
    Phone,
    #[error("expected an e-mail address such as name@example.com")]
    Email,
    #[error("expected one e-mail address, such as name@example.com or `Name <name@example.com>`")]
    Mailbox,
    #[error("expected 18 characters: 17 digits and a check digit or X")]
    IdCardShape,
    #[error("the check character is '{found}' but the first 17 digits give '{expected}' (GB 11643-1999)")]
    IdCardCheck { found: char, expected: char },
    /// The birth date is personal data: the message names its place, not its value.
    #[error("positions 7-14 are not a real birth date (YYYYMMDD)")]
    IdCardBirthDate,
    #[error("expected 18 characters (digits and capital letters except I, O, Z, S, V)")]
    CreditCodeShape,
    #[error("character {position} '{found}' is not used in credit codes (digits and capital letters except I, O, Z, S, V)")]
    CreditCodeChar { position: usize, found: char },
    #[error("the check character is '{found}' but the first 17 give '{expected}' (GB 32100-2015)")]
    CreditCodeCheck { found: char, expected: char },
    #[error("expected 12 to 19 digits")]
    BankCardShape,
    #[error("the last digit is not the Luhn check digit of the others")]
    BankCardCheck,
}

/// A phone number: mainland mobile (`13912345678`, `+86` allowed), mainland
/// landline with area code (`010-12345678`, extension `-123` allowed), or
/// international (`+` country code and 6 to 14 more digits). Spaces and dashes
/// between digit groups are accepted; mobiles are stored as 11 digits,
/// landlines as `AREA-NUMBER[-EXT]`, international numbers as `+DIGITS`.
pub fn phone(input: &str) -> Result<String, FormatError> {
    const VALID: FormatError = FormatError::Phone;
    let text = input.trim();
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
    {
        return Err(VALID);
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let international = text.starts_with('+');
    if text[1..].contains('+') {
        return Err(VALID);
    }
    if international {
        if let Some(national) = digits.strip_prefix("86") {
            if is_mobile(national) {
                return Ok(national.to_string());
            }
        }
        if (7..=15).contains(&digits.len()) && !digits.starts_with('0') {
            return Ok(format!("+{digits}"));
        }
        return Err(VALID);
    }
    if is_mobile(&digits) {
        return Ok(digits);
    }
    // Landline: 0, a 2- or 3-digit area code, a 7- or 8-digit number, and
    // perhaps an extension, which must be set apart by a separator.
    let groups: Vec<&str> = text
        .split([' ', '-', '(', ')'])
        .filter(|g| !g.is_empty())
        .collect();
    // With three groups or more the last may be an extension (010-1234567-8).
    if let [rest @ .., ext] = groups.as_slice() {
        if rest.len() >= 2 {
            if let Some(landline) = landline(&rest.concat(), Some(ext)) {
                return Ok(landline);
            }
        }
    }
    landline(&digits, None).ok_or(VALID)
}

fn landline(digits: &str, ext: Option<&str>) -> Option<String> {
    if !digits.starts_with('0') || !(10..=12).contains(&digits.len()) {
        return None;
    }
    // Three-digit area codes are 010 and 02x; the others have four.
    let split = if digits.starts_with("01") || digits.starts_with("02") {
        3
    } else {
        4
    };
    let (area, number) = digits.split_at(split);
    if !(7..=8).contains(&number.len()) || number.starts_with('0') {
        return None;
    }
    match ext {
        None => Some(format!("{area}-{number}")),
        Some(e) if (1..=6).contains(&e.len()) => Some(format!("{area}-{number}-{e}")),
        Some(_) => None,
    }
}

fn is_mobile(digits: &str) -> bool {
    digits.len() == 11 && digits.starts_with('1') && matches!(digits.as_bytes()[1], b'3'..=b'9')
}

/// An e-mail address, the one check of every address desk takes (customers'
/// e-mail, agents' `email:` in desk.yaml, the mailboxes of mail, through
/// [`mailbox`]): a local part of RFC 5322's `atext` characters and dots (no
/// dot first, last or twice; letters of any script allowed), one `@`, and a
/// domain of two or more labels of letters, digits and `-` (none first or
/// last in a label). Nothing else: no space, control character, comma,
/// angle bracket or second address. Stored trimmed, the domain in lower
/// case.
pub fn email(input: &str) -> Result<String, FormatError> {
    const VALID: FormatError = FormatError::Email;
    let text = input.trim();
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(VALID);
    };
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|part| !part.is_empty())
        && local.chars().all(|c| c == '.' || atext(c));
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || c.is_alphanumeric())
    };
    let domain_ok =
        domain.len() <= 253 && domain.split('.').count() >= 2 && domain.split('.').all(label_ok);
    if local_ok && domain_ok {
        Ok(format!("{local}@{}", domain.to_lowercase()))
    } else {
        Err(VALID)
    }
}

/// Who a mail is from or to: an address, and perhaps a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    /// As [`email`] returns it.
    pub address: String,
}

/// A mailbox: `name@example.com`, `客服中心 <service@example.com>` or
/// `"Li, Na" <li.na@example.com>` (a name with a comma, semicolon, colon,
/// `@` or angle bracket in quotes), the address checked by [`email`]. One
/// mailbox and nothing after it: a list (`a@x.com, b@y.com`) is refused,
/// not cut, and so is any control character.
pub fn mailbox(input: &str) -> Result<Mailbox, FormatError> {
    const VALID: FormatError = FormatError::Mailbox;
    let text = input.trim();
    if text.chars().any(char::is_control) {
        return Err(VALID);
    }
    let Some(inner) = text.strip_suffix('>') else {
        return Ok(Mailbox {
            name: None,
            address: email(text).map_err(|_| VALID)?,
        });
    };
    let (name, address) = inner.rsplit_once('<').ok_or(VALID)?;
    let address = email(address).map_err(|_| VALID)?;
    let name = name.trim();
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) if !quoted.contains(['"', '\\']) => quoted,
        Some(_) => return Err(VALID),
        None if name.contains(['"', ',', ';', ':', '<', '>', '@', '\\']) => return Err(VALID),
        None => name,
    };
    Ok(Mailbox {
        name: (!name.trim().is_empty()).then(|| name.trim().to_string()),
        address,
    })
}

/// A resident identity card number (GB 11643-1999): 17 digits, a check
/// character (0-9 or X) computed from them, and a real birth date in 7..14.
pub fn id_card(input: &str) -> Result<String, FormatError> {
    let text: String = input.trim().to_ascii_uppercase();
    let bytes = text.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(FormatError::IdCardShape);
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if bytes[17] != expected {
        return Err(FormatError::IdCardCheck {
            found: bytes[17] as char,
            expected: expected as char,
        });
    }
    if NaiveDate::parse_from_str(&text[6..14], "%Y%m%d").is_err() {
        return Err(FormatError::IdCardBirthDate);
    }
    Ok(text)
}

/// The 31 characters of GB 32100-2015, in value order (no I, O, Z, S, V).
const CREDIT_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A unified social credit code (GB 32100-2015): 18 characters from the
/// code's alphabet, the last a check character computed from the first 17.
/// The last four characters of a resident ID-card number written anywhere
/// in `text`: with spaces, hyphens or dots inside, in full-width digits, or
/// among other words (`身份证11010519491231002X`). Such a number must not sit
/// in a field kept in clear.
pub fn hidden_id_card(text: &str) -> Option<String> {
    // Full-width digits and X to ASCII; separators inside a number dropped.
    let mut runs: Vec<String> = vec![String::new()];
    for c in text.chars() {
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'Ｘ' | 'ｘ' => 'X',
            c => c,
        };
        match c {
            '0'..='9' | 'X' | 'x' => runs.last_mut().expect("one run").push(c),
            ' ' | '-' | '.' | '\u{3000}' => {}
            _ => runs.push(String::new()),
        }
    }
    runs.iter()
        .filter(|r| r.len() == 18)
        .find_map(|r| id_card(r).ok())
        .map(|n| n[n.len() - 4..].to_string())
}

pub fn credit_code(input: &str) -> Result<String, FormatError> {
    let text = input.trim().to_ascii_uppercase();
    if text.len() != 18 {
        return Err(FormatError::CreditCodeShape);
    }
    let mut values = Vec::with_capacity(18);
    for (i, b) in text.bytes().enumerate() {
        match CREDIT_CHARS.iter().position(|&c| c == b) {
            Some(v) => values.push(v as u32),
            None => {
                return Err(FormatError::CreditCodeChar {
                    position: i + 1,
                    found: b as char,
                })
            }
        }
    }
    let expected = credit_check(&values[..17]);
    if values[17] != expected {
        return Err(FormatError::CreditCodeCheck {
            found: CREDIT_CHARS[values[17] as usize] as char,
            expected: CREDIT_CHARS[expected as usize] as char,
        });
    }
    Ok(text)
}

/// The check character that completes the first 17 characters of a credit
/// code (for generating valid test and demo data).
pub fn credit_code_check(first17: &str) -> Option<char> {
    let values: Option<Vec<u32>> = first17
        .bytes()
        .map(|b| CREDIT_CHARS.iter().position(|&c| c == b).map(|v| v as u32))
        .collect();
    let values = values.filter(|v| v.len() == 17)?;
    Some(CREDIT_CHARS[credit_check(&values) as usize] as char)
}

/// The alphabet of credit codes, in value order.
pub const CREDIT_CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn credit_check(values: &[u32]) -> u32 {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// A bank card number: 12 to 19 digits (spaces allowed) whose last digit is
/// the Luhn check digit.
pub fn bank_card(input: &str) -> Result<String, FormatError> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FormatError::BankCardShape);
    }
    if !luhn(&digits) {
        return Err(FormatError::BankCardCheck);
    }
    Ok(digits)
}

/// Whether the last digit is the Luhn check digit of the others.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Digits of a phone number, for finding the same number written differently.
pub fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("86") {
        Some(rest) if phone.starts_with('+') => rest.to_string(),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_card_numbers_are_found_however_written() {
        for text in [
            "11010519491231002X",
            "110105 19491231 002X",
            "110105-19491231-002x",
            "身份证11010519491231002X",
            "ID:11010519491231002X",
            "１１０１０５１９４９１２３１００２Ｘ",
        ] {
            assert_eq!(hidden_id_card(text).as_deref(), Some("002X"), "{text}");
        }
        for text in [
            "wxid_11010519491231",
            "11010519491231002",
            "订单 2026112300012345",
        ] {
            assert_eq!(hidden_id_card(text), None, "{text}");
        }
    }

    #[test]
    fn id_cards() {
        assert_eq!(id_card("11010519491231002x").unwrap(), "11010519491231002X");
        assert_eq!(
            id_card("110105194912310021").unwrap_err(),
            FormatError::IdCardCheck {
                found: '1',
                expected: 'X'
            }
        );
        let bad_date = id_card("110105194913310021").unwrap_err().to_string();
        assert!(
            bad_date.contains("birth date") && !bad_date.contains("1949"),
            "{bad_date}"
        );
        assert!(id_card("1101051949123100").is_err());
    }

    #[test]
    fn credit_codes() {
        assert_eq!(
            credit_code("91350100M000100Y43").unwrap(),
            "91350100M000100Y43"
        );
        assert!(credit_code("91350100M000100Y44")
            .unwrap_err()
            .to_string()
            .contains("'3'"));
        assert_eq!(
            credit_code("91350100M000100I43").unwrap_err(),
            FormatError::CreditCodeChar {
                position: 16,
                found: 'I'
            }
        );
    }

    #[test]
    fn phones() {
        assert_eq!(phone("139 1234 5678").unwrap(), "13912345678");
        assert_eq!(phone("+86 139-1234-5678").unwrap(), "13912345678");
        assert_eq!(phone("010-12345678").unwrap(), "010-12345678");
        assert_eq!(phone("(0755) 8765 4321").unwrap(), "0755-87654321");
        assert_eq!(phone("0755-87654321-12").unwrap(), "0755-87654321-12");
        assert_eq!(phone("01012345678").unwrap(), "010-12345678");
        assert_eq!(phone("010-1234567-8").unwrap(), "010-1234567-8");
        assert_eq!(phone("+44 20 7946 0958").unwrap(), "+442079460958");
        for bad in ["1395678", "12345678901", "abc", "+0123", "139+1234"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mailboxes_are_one_address_with_an_optional_name() {
        let named = |name: &str, address: &str| Mailbox {
            name: Some(name.into()),
            address: address.into(),
        };
        assert_eq!(
            mailbox(" 客服中心 <Service@Example.com> ").unwrap(),
            named("客服中心", "Service@example.com")
        );
        assert_eq!(
            mailbox("\"Li, Na\" <li.na@example.com>").unwrap(),
            named("Li, Na", "li.na@example.com")
        );
        assert_eq!(
            mailbox("<a@example.com>").unwrap(),
            Mailbox {
                name: None,
                address: "a@example.com".into()
            }
        );
        assert_eq!(mailbox("a@example.com").unwrap().name, None);
        for bad in [
            "",
            "example.com",
            "a@example.com b@example.com",
            "a@example.com, b@example.com",
            "<a@example.com> x",
            "Li, Na <li.na@example.com>",
            "x <a@example.com>\r\nBcc: y@example.com",
            "\"x\" y\" <a@example.com>",
            "a@x\r\nBcc: y",
            "x <a@x, b@y.com>",
        ] {
            assert!(mailbox(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_and_cards() {
        assert_eq!(email(" A.b@Example.COM ").unwrap(), "A.b@example.com");
        assert_eq!(email("张三@例子.中国").unwrap(), "张三@例子.中国");
        assert_eq!(
            email("o'neil+desk@mail-1.example.com").unwrap(),
            "o'neil+desk@mail-1.example.com"
        );
        for bad in [
            "a",
            "a@b",
            "a b@c.com",
            "@c.com",
            "a@.com",
            "a@x.com\r\nBcc: y@z.com",
            "a@x.com, b@y.com",
            "a@x.com b@y.com",
            "a@b@c.com",
            "<a@x.com>",
            "a..b@x.com",
            ".a@x.com",
            "a@-x.com",
            "a@x_y.com",
            "a\u{7}@x.com",
            "a\u{202e}@x.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            bank_card("4111 1111 1111 1111").unwrap(),
            "4111111111111111"
        );
        assert!(bank_card("4111111111111112").is_err());
    }
}
