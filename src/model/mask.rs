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
}
