//! Masking of personal data in the seed's style (张*, *女士, 139****5678,
//! ****002X). Every human-facing and exported output uses these unless the
//! user asks for `--reveal`.

/// A person's name: the first character and a star for each other one
/// (张三 → 张*, 欧阳娜娜 → 欧***); Latin names keep each word's initial
/// (John Smith → J*** S****). With a salutation the name is replaced by it
/// (*女士, *Ms).
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
}
