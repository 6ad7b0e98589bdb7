//! The fields of a customer record that a person names (`desk customer
//! edit`, the import's columns): their keys, the seed's names for them, and
//! which kind of customer has them.

use super::{Customer, CustomerKind};

/// A field that `desk customer edit` can change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerField {
    Name,
    Salutation,
    Phone,
    Email,
    Address,
    IdCard,
    BankCard,
    CreditCode,
    Industry,
    Source,
    FirstContact,
    LastContact,
    Owner,
    Vip,
    Tags,
    Need,
    Notes,
    /// A field of the contact at this index (0-based).
    Contact(usize, ContactField),
    /// A custom field (`custom.微信号`): one line of text.
    Custom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactField {
    Name,
    Salutation,
    Role,
    Phone,
    Email,
}

impl ContactField {
    pub const ALL: [ContactField; 5] = [
        ContactField::Name,
        ContactField::Salutation,
        ContactField::Role,
        ContactField::Phone,
        ContactField::Email,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Salutation => "salutation",
            ContactField::Role => "role",
            ContactField::Phone => "phone",
            ContactField::Email => "email",
        }
    }
}

impl CustomerField {
    pub const SIMPLE: [CustomerField; 17] = [
        CustomerField::Name,
        CustomerField::Salutation,
        CustomerField::Phone,
        CustomerField::Email,
        CustomerField::Address,
        CustomerField::IdCard,
        CustomerField::BankCard,
        CustomerField::CreditCode,
        CustomerField::Industry,
        CustomerField::Source,
        CustomerField::FirstContact,
        CustomerField::LastContact,
        CustomerField::Owner,
        CustomerField::Vip,
        CustomerField::Tags,
        CustomerField::Need,
        CustomerField::Notes,
    ];

    /// The key in the file (and in the change log); contacts are
    /// `contacts.N.FIELD`, counting from 1.
    pub fn key(&self) -> String {
        match self {
            CustomerField::Contact(i, f) => format!("contacts.{}.{}", i + 1, f.key()),
            CustomerField::Custom(name) => format!("custom.{name}"),
            simple => simple.simple_key().to_string(),
        }
    }

    fn simple_key(&self) -> &'static str {
        match self {
            CustomerField::Name => "name",
            CustomerField::Salutation => "salutation",
            CustomerField::Phone => "phone",
            CustomerField::Email => "email",
            CustomerField::Address => "address",
            CustomerField::IdCard => "id_card",
            CustomerField::BankCard => "bank_card",
            CustomerField::CreditCode => "credit_code",
            CustomerField::Industry => "industry",
            CustomerField::Source => "source",
            CustomerField::FirstContact => "first_contact",
            CustomerField::LastContact => "last_contact",
            CustomerField::Owner => "owner",
            CustomerField::Vip => "vip",
            CustomerField::Tags => "tags",
            CustomerField::Need => "need",
            CustomerField::Notes => "notes",
            CustomerField::Contact(..) => "contacts",
            CustomerField::Custom(_) => "custom",
        }
    }

    /// Parses a field name: the file keys, a few Chinese names of the seed's
    /// form, `contacts.N.FIELD` (also `contact.N.FIELD`) and `custom.NAME`.
    pub fn parse(text: &str) -> Option<CustomerField> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("custom.") {
            return CustomerField::custom(name);
        }
        if let Some(rest) = text
            .strip_prefix("contacts.")
            .or_else(|| text.strip_prefix("contact."))
        {
            let (n, field) = rest.split_once('.')?;
            let n: usize = n.parse().ok().filter(|n| *n >= 1)?;
            let field = ContactField::ALL.into_iter().find(|f| f.key() == field)?;
            return Some(CustomerField::Contact(n - 1, field));
        }
        let alias = match text {
            // Also the names everyday spreadsheets use, so that their columns
            // are checked (and ID numbers sealed) rather than kept as custom.
            "姓名" | "企业名称" | "姓名/企业名称" | "客户名称" | "公司名称" | "company" => {
                "name"
            }
            "称呼" => "salutation",
            "联系方式" | "电话" | "手机" | "手机号" | "手机号码" | "电话号码" | "联系电话"
            | "mobile" => "phone",
            "邮箱" | "电子邮箱" | "电子邮件" | "e-mail" => "email",
            "地址" | "企业地址" | "地址/企业地址" | "联系地址" | "详细地址" => {
                "address"
            }
            "证件号码" | "身份证号" | "身份证号码" | "身份证" | "id" | "id_number" => {
                "id_card"
            }
            "银行卡号" | "银行卡" | "银行账号" => "bank_card",
            "统一社会信用代码" | "信用代码" => "credit_code",
            "所属行业" | "行业" => "industry",
            "信息来源" | "来源" => "source",
            "首次联系时间" => "first_contact",
            "最近联系时间" => "last_contact",
            "负责人" => "owner",
            "标签" => "tags",
            "需求简述" | "需求" => "need",
            "备注" => "notes",
            other => other,
        };
        CustomerField::SIMPLE
            .into_iter()
            .find(|f| f.simple_key() == alias)
    }

    /// The custom field `name`, if it can be one: not empty, no `=` (which
    /// `--set NAME=VALUE` could not tell apart), no line break or other
    /// control character.
    pub fn custom(name: &str) -> Option<CustomerField> {
        let name = name.trim();
        (!name.is_empty()
            && !name.contains(|c: char| c == '=' || c.is_control())
            && crate::model::is_one_line(name))
        .then(|| CustomerField::Custom(name.to_string()))
    }

    /// Every field of these records that a change, a hand edit or a merge
    /// can touch: the simple ones, then each custom field any of them has
    /// or has logged, sorted.
    pub fn of_records(records: &[&Customer]) -> Vec<CustomerField> {
        let mut custom = std::collections::BTreeSet::new();
        for c in records {
            custom.extend(c.custom.keys().cloned());
            custom.extend(
                c.changes
                    .iter()
                    .filter_map(|ch| ch.field.strip_prefix("custom.").map(String::from)),
            );
        }
        CustomerField::SIMPLE
            .into_iter()
            .chain(custom.into_iter().map(CustomerField::Custom))
            .collect()
    }

    /// Fields whose values are personal data and are masked on output.
    /// The kind of customer this field is recorded for, if only one:
    /// credit code, industry and contacts are an enterprise's; ID card,
    /// bank card and salutation an individual's.
    pub fn only_for(&self) -> Option<CustomerKind> {
        match self {
            CustomerField::CreditCode | CustomerField::Industry | CustomerField::Contact(..) => {
                Some(CustomerKind::Enterprise)
            }
            CustomerField::IdCard | CustomerField::BankCard | CustomerField::Salutation => {
                Some(CustomerKind::Individual)
            }
            _ => None,
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, CustomerField::IdCard | CustomerField::BankCard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_accept_the_seed_form() {
        assert_eq!(CustomerField::parse("联系方式"), Some(CustomerField::Phone));
        assert_eq!(CustomerField::parse("负责人"), Some(CustomerField::Owner));
        assert_eq!(CustomerField::parse("kind"), None);
        assert_eq!(CustomerField::parse("contacts.0.name"), None);
        assert_eq!(
            CustomerField::parse(" custom.微信号 "),
            Some(CustomerField::Custom("微信号".into()))
        );
        for bad in ["custom.", "custom. ", "custom.a=b", "custom.a\nb"] {
            assert_eq!(CustomerField::parse(bad), None, "{bad:?}");
        }
    }
}
