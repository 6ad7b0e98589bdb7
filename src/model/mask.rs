//! Masking of personal data in the seed's style (张*, *女士, 139****5678,
//! ****002X). Every human-facing and exported output uses these unless the
//! user asks for `--reveal`. Error messages mask the values they quote
//! the same way (stderr ends up in cron mail), also the values that fail
//! validation.

use super::{ContactField, CustomerField, CustomerKind};

/// A person's name: the first character and a star for each other one
/// (张三 → 张*, 欧阳娜娜 → 欧***); Latin names keep each word's initial
/// (John Smith → J*** S****). With a salutation the name is replaced by it
/// (*女士, *Ms).
/// A customer's name as shown without `--reveal`: a person's masked (张*,
/// *女士), a company's in full, since it is not personal data.
pub fn customer_name(kind: CustomerKind, name: &str, salutation: Option<&str>) -> String {
    match kind {
        CustomerKind::Enterprise => name.to_string(),
        CustomerKind::Individual => self::name(name, salutation),
    }
}

pub fn name(name: &str, salutation: Option<&str>) -> String {
    if let Some(s) = salutation.filter(|s| !s.trim().is_empty()) {
        return format!("*{}", s.trim());
    }
    name.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => {
                    let mut out = String::from(first);
                    out.extend(chars.map(|_| '*'));
                    out
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A phone number: the first three digits and the last four stay, the
/// others become stars; separators stay (139****5678, 010-****5678).
pub fn phone(phone: &str) -> String {
    let total = phone.chars().filter(char::is_ascii_digit).count();
    let keep_tail = 4.min(total);
    let keep_head = 3.min(total.saturating_sub(keep_tail + 1));
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= keep_head || seen > total - keep_tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// An e-mail address: the first character of the local part and the domain.
pub fn email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// What was given as an e-mail address but may not be one (`a@x.com,
/// b@y.com`, `a@x`): each address in it masked, else the whole as one.
pub fn email_as_typed(typed: &str) -> String {
    let masked = personal_in(typed);
    if masked == typed {
        email(typed)
    } else {
        masked
    }
}

/// A postal address: the first third (the city and district, typically)
/// stays, the rest becomes `***`.
pub fn address(address: &str) -> String {
    let n = address.chars().count();
    let keep = (n / 3).min(8);
    let head: String = address.chars().take(keep).collect();
    format!("{head}***")
}

/// An ID-card or bank-card number, of which only the last four are shown.
pub fn last_four(last4: &str) -> String {
    format!("****{last4}")
}

/// An ID-card or bank-card number as typed (perhaps invalid): the last four
/// characters when at least eight were typed, so that most stays hidden.
pub fn number(typed: &str) -> String {
    let chars: Vec<char> = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 8 {
        return "****".into();
    }
    last_four(&chars[chars.len() - 4..].iter().collect::<String>())
}

/// A field's text as `desk customer show` masks it: names of individuals
/// and contacts, phones, e-mail addresses, individuals' addresses, and
/// ID-card and bank-card numbers; other fields are public.
pub fn field(kind: CustomerKind, field: &CustomerField, text: &str) -> String {
    let individual = kind == CustomerKind::Individual;
    match field {
        CustomerField::Name if individual => name(text, None),
        CustomerField::Contact(_, ContactField::Name) => name(text, None),
        CustomerField::Phone | CustomerField::Contact(_, ContactField::Phone) => phone(text),
        CustomerField::Email | CustomerField::Contact(_, ContactField::Email) => email(text),
        CustomerField::Address if individual => address(text),
        CustomerField::IdCard | CustomerField::BankCard => number(text),
        _ => text.to_string(),
    }
}

/// Text of unknown meaning (a CSV header that may be a data row, an
/// argument without `FIELD=`): an e-mail address is masked as one, and text
/// with enough digits to be a phone or card number keeps only its last four
/// letters and digits.
pub fn unknown(text: &str) -> String {
    if text.contains('@') {
        return email(text);
    }
    if text.chars().filter(char::is_ascii_digit).count() < 7 {
        return text.to_string();
    }
    let total = text.chars().filter(char::is_ascii_alphanumeric).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen > total.saturating_sub(4) || !c.is_ascii_digit() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Free text that may quote personal values anywhere, such as a usage
/// error echoing the command line: each e-mail address is masked as
/// [`email`] does, and each number long enough to be an ID-card, bank-card
/// or phone number (digits with spaces or hyphens inside, a leading `+`, an
/// ID card's final `X`) as [`unknown`] does, keeping its last four. Dates,
/// times, counts and the IDs of tickets and customers (whose digits follow
/// letters) stay as they are.
pub fn personal_in(text: &str) -> String {
    replace_personal(text, email, unknown)
}

/// Free text with every personal value [`personal_in`] would mask taken
/// out (a space in its place): for what counts words, such as the
/// report's themes, where a masked address would still give words.
pub fn personal_removed(text: &str) -> String {
    replace_personal(text, |_| " ".into(), |_| " ".into())
}

/// `text` with each e-mail address replaced by `address(it)` and each
/// personal number by `number(it)`.
fn replace_personal(
    text: &str,
    address: impl Fn(&str) -> String,
    number: impl Fn(&str) -> String,
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((start, end)) = email_at(&chars, i) {
            // The local part before `@` was copied already: take it back.
            for _ in start..i {
                out.pop();
            }
            out.push_str(&address(&chars[start..end].iter().collect::<String>()));
            i = end;
        } else if let Some(end) = number_at(&chars, i) {
            out.push_str(&number(&chars[i..end].iter().collect::<String>()));
            i = end;
        } else {
            // A word goes whole, so the digits of `CW202611230001` are no number.
            let word = chars[i].is_ascii_alphanumeric();
            let mut end = i + 1;
            while word && end < chars.len() && chars[end].is_ascii_alphanumeric() {
                end += 1;
            }
            out.extend(&chars[i..end]);
            i = end;
        }
    }
    out
}

/// The e-mail address around the `@` at `at`, as a range of `chars`.
fn email_at(chars: &[char], at: usize) -> Option<(usize, usize)> {
    if chars.get(at) != Some(&'@') {
        return None;
    }
    let local = |c: &char| c.is_alphanumeric() || "._%+-".contains(*c);
    let domain = |c: &char| c.is_alphanumeric() || ".-".contains(*c);
    let mut start = at - chars[..at].iter().rev().take_while(|c| local(c)).count();
    // An address starts with a letter or digit (`--to=-x@y.z` quotes `-x@y.z`).
    while start < at && !chars[start].is_alphanumeric() {
        start += 1;
    }
    let mut end = at + 1 + chars[at + 1..].iter().take_while(|c| domain(c)).count();
    // A full stop after the address ends the sentence.
    while end > at + 1 && chars[end - 1] == '.' {
        end -= 1;
    }
    let host: String = chars[at + 1..end].iter().collect();
    (start < at && host.contains('.')).then_some((start, end))
}

/// The end of the number that starts at `start`, if a personal one does:
/// 12 digits or more (bank cards, ID cards), a mobile number (11 digits
/// from 13 to 19), a landline with its area code (10 digits or more from 0), or
/// an international number (`+` and 7 digits or more).
fn number_at(chars: &[char], start: usize) -> Option<usize> {
    let plus = chars[start] == '+';
    let first = start + usize::from(plus);
    if !chars.get(first).is_some_and(char::is_ascii_digit)
        || start > 0 && chars[start - 1].is_ascii_alphanumeric()
    {
        return None;
    }
    let mut end = first;
    let mut digits = String::new();
    while end < chars.len() {
        let c = chars[end];
        if c.is_ascii_digit() {
            digits.push(c);
            end += 1;
        } else if (c == ' ' || c == '-') && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    if digits.len() == 17 && chars.get(end).is_some_and(|c| matches!(c, 'X' | 'x')) {
        end += 1;
    }
    if chars.get(end).is_some_and(char::is_ascii_alphanumeric) {
        return None;
    }
    let n = digits.len();
    let personal = n >= 12
        || n == 11 && digits.starts_with('1') && !digits[1..].starts_with(['0', '1', '2'])
        || n >= 10 && digits.starts_with('0')
        || plus && n >= 7;
    personal.then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_in_the_seed_style() {
        assert_eq!(name("张三", None), "张*");
        assert_eq!(name("欧阳娜娜", None), "欧***");
        assert_eq!(name("John Smith", None), "J*** S****");
        assert_eq!(name("李娜", Some("女士")), "*女士");
        assert_eq!(phone("13912345678"), "139****5678");
        assert_eq!(phone("010-12345678"), "010-****5678");
        assert_eq!(phone("+442079460958"), "+442*****0958");
        assert_eq!(email("zhang.wei@example.com"), "z***@example.com");
        assert_eq!(address("北京市朝阳区建国路88号"), "北京市朝***");
        assert_eq!(last_four("002X"), "****002X");
    }

    #[test]
    fn masks_values_quoted_in_errors() {
        assert_eq!(number("110105194912310021"), "****0021");
        assert_eq!(number("4111 1111 1111 1112"), "****1112");
        assert_eq!(number("1234"), "****");
        let individual = CustomerKind::Individual;
        assert_eq!(
            field(individual, &CustomerField::IdCard, "11010519491231002X"),
            "****002X"
        );
        assert_eq!(
            field(
                CustomerKind::Enterprise,
                &CustomerField::BankCard,
                "4111111111111111"
            ),
            "****1111"
        );
        assert_eq!(
            field(individual, &CustomerField::Phone, "1391234567"),
            "139***4567"
        );
        assert_eq!(field(individual, &CustomerField::Name, "张三"), "张*");
        assert_eq!(
            field(CustomerKind::Enterprise, &CustomerField::Name, "星河"),
            "星河"
        );
        assert_eq!(unknown("11010519491231002X"), "**************002X");
        assert_eq!(unknown("phone2"), "phone2");
        assert_eq!(unknown("tel 139-1234-5678"), "tel ***-****-5678");
        assert_eq!(unknown("li@example.com"), "l***@example.com");
    }

    #[test]
    fn masks_personal_values_anywhere_in_a_text() {
        for (text, masked) in [
            (
                "error: unexpected argument '11010519491231002X' found",
                "error: unexpected argument '**************002X' found",
            ),
            ("'110105194912310021'", "'**************0021'"),
            ("卡号6222020200112233445。", "卡号***************3445。"),
            ("'6222 0202 0011 2233'", "'**** **** **** 2233'"),
            ("tel 139-1234-5678", "tel ***-****-5678"),
            ("'13912345678'", "'*******5678'"),
            ("'010-12345678'", "'***-****5678'"),
            ("'+44 20 7946 0958'", "'+** ** **** 0958'"),
            (
                "tip: to pass '-li.na@example.com' as a value",
                "tip: to pass '-l***@example.com' as a value",
            ),
            ("mail zhang.wei@example.com.", "mail z***@example.com."),
        ] {
            assert_eq!(personal_in(text), masked, "{text}");
        }
        // What is no personal value stays.
        for text in [
            "error: unexpected argument 'CW202611230001' found",
            "invalid value '2026-13-01 09:30' for '--at <TIME>'",
            "customer C000001, 20261123, 1234567890, 12345678901",
            "a@b, user@localhost, an @ sign",
            "hash 0123456789abcdef0123",
            "Usage: desk list [OPTIONS]",
        ] {
            assert_eq!(personal_in(text), text);
        }
    }

    #[test]
    fn a_mail_server_s_reply_is_masked_and_stays_masked() {
        assert_eq!(
            personal_in("smtp 127.0.0.1:2525: RCPT TO:<chen.jing@example.com>: permanent error (550): 5.1.1 <chen.jing@example.com>: Recipient address rejected: User unknown; call 13912345678"),
            "smtp 127.0.0.1:2525: RCPT TO:<c***@example.com>: permanent error (550): 5.1.1 <c***@example.com>: Recipient address rejected: User unknown; call *******5678"
        );
        for kept in [
            "mail '3f2a9c0d2b7e@desk': no recipient",
            "hooks/wecom.sh exited with status 3: HTTP 403",
            "smtp [::1]:25: connect: no answer within 30 s (mail.timeout)",
            "450 4.2.1 try again in 3600 s",
        ] {
            assert_eq!(personal_in(kept), kept);
        }
        let once = personal_in("to <li.na@example.com>, tel 139 1234 5678");
        assert_eq!(once, "to <l***@example.com>, tel *** **** 5678");
        assert_eq!(personal_in(&once), once);
        assert_eq!(
            personal_in("recipient 'li.na@example.com' is not"),
            "recipient 'l***@example.com' is not"
        );
        assert_eq!(
            email_as_typed("li.na@example.com, spy@example.org"),
            "l***@example.com, s***@example.org"
        );
        assert_eq!(email_as_typed("li.na@example"), "l***@example");
        assert_eq!(email_as_typed("张三"), "***");
    }
}
