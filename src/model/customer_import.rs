//! Customers from a CSV file (`desk customer import`): which field each
//! column holds — the export's names, the registration form's (客户登记表)
//! Chinese headers, or a custom field of the column's name — and the fields
//! of a row. Pure: the command reads and decodes the file, the store checks
//! duplicates and writes all rows or none.

use std::collections::HashMap;

use super::validate::contact_fields;
use super::{mask, ContactField, CustomerField, CustomerKind};
use crate::error::{Error, Result};

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    Id,
    Kind,
    Field(CustomerField),
    /// `name=...,role=...; name=...` as exported.
    Contacts,
    /// Exported, not imported (the record is created now), or unknown and
    /// skipped with `--ignore-unknown`.
    Ignored,
}

/// A known column: the record's own names in any case (Excel users
/// capitalise), `custom.NAME` with NAME as written.
pub fn column(header: &str) -> Option<Column> {
    let h = header.trim();
    if let Some(prefix) = h.get(..7).filter(|p| p.eq_ignore_ascii_case("custom.")) {
        return CustomerField::custom(&h[prefix.len()..]).map(Column::Field);
    }
    let h = h.to_ascii_lowercase();
    Some(match h.as_str() {
        "id" | "客户编号" | "编号" => Column::Id,
        "kind" | "客户类型" | "类型" => Column::Kind,
        "contacts" => Column::Contacts,
        "contact" | "contact_name" | "联系人" => {
            Column::Field(CustomerField::Contact(0, ContactField::Name))
        }
        "contact_role" | "联系人职务" => {
            Column::Field(CustomerField::Contact(0, ContactField::Role))
        }
        "contact_phone" | "联系人电话" => {
            Column::Field(CustomerField::Contact(0, ContactField::Phone))
        }
        "contact_email" | "联系人邮箱" => {
            Column::Field(CustomerField::Contact(0, ContactField::Email))
        }
        "created" => Column::Ignored,
        other => Column::Field(CustomerField::parse(other)?),
    })
}

/// What each column of the header holds; a column desk does not know is a
/// custom field of that name, or with `ignore_unknown` is skipped. Also
/// returns the unknown columns' names, for the user to see.
pub fn columns_of(headers: &[&str], ignore_unknown: bool) -> Result<(Vec<Column>, Vec<String>)> {
    let mut columns = Vec::new();
    let mut unknown = Vec::new();
    for (i, &h) in headers.iter().enumerate() {
        if let Some(c) = column(h) {
            columns.push(c);
            continue;
        }
        let shown = match h.trim() {
            "" => format!("column {}", i + 1),
            named => named.to_string(),
        };
        if ignore_unknown {
            columns.push(Column::Ignored);
        } else if h.trim().is_empty() {
            return Err(Error::Refused(format!(
                "column {} has no name; name it (a custom field) or pass --ignore-unknown",
                i + 1
            )));
        } else {
            // `custom.` with a bad name after it is no field of any name.
            let prefixed = h
                .trim()
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("custom."));
            let field = (!prefixed)
                .then(|| CustomerField::custom(h))
                .flatten()
                .ok_or_else(|| {
                    Error::invalid(
                        "CSV column",
                        mask::unknown(h),
                        "an unknown column is kept as a custom field, whose name is one line \
                         without '=' or control characters; rename it or pass --ignore-unknown",
                    )
                })?;
            columns.push(Column::Field(field));
        }
        unknown.push(shown);
    }
    // Two columns for one field (手机号 and 联系电话, say): which value is
    // meant cannot be told, so neither is taken. Each column is looked up
    // once among those before it, so a wide file costs linear time.
    let mut first: HashMap<&Column, usize> = HashMap::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        if *c == Column::Ignored {
            continue;
        }
        if let Some(&j) = first.get(c) {
            return Err(Error::Refused(format!(
                "columns {} ('{}') and {} ('{}') are both {}; keep one of them",
                j + 1,
                headers[j].trim(),
                i + 1,
                headers[i].trim(),
                match c {
                    Column::Field(f) => format!("the field {}", f.key()),
                    Column::Id => "the customer ID".into(),
                    Column::Kind => "the kind".into(),
                    _ => "the contacts".into(),
                }
            )));
        }
        first.insert(c, i);
    }
    Ok((columns, unknown))
}

/// Refuses a header without the two columns every row needs: in a file
/// without its header row, the first row is data, not names of custom
/// fields.
pub fn require_columns(headers: &[&str]) -> Result<()> {
    let known: Vec<Column> = headers.iter().filter_map(|h| column(h)).collect();
    if known.contains(&Column::Kind) && known.contains(&Column::Field(CustomerField::Name)) {
        return Ok(());
    }
    Err(Error::invalid(
        "CSV header",
        headers
            .iter()
            .map(|h| mask::unknown(h))
            .collect::<Vec<_>>()
            .join(","),
        "the columns kind (客户类型) and name (姓名/企业名称) are required",
    ))
}

/// Refuses a control character (tab, escape, NUL, DEL, C1 ...) in a cell
/// of a one-line field: a spreadsheet cell never means one, and CSV and
/// JSON exports would print it raw. The error names the column by number
/// and header, and the value masked as its field and with every control
/// character escaped. Notes are several lines and keep line breaks and tabs.
pub fn refuse_controls(headers: &[&str], columns: &[Column], cells: &[&str]) -> Result<()> {
    // Masked as a person's fields unless the row says it is a company.
    let kind = cells
        .iter()
        .zip(columns)
        .find(|(_, c)| **c == Column::Kind)
        .and_then(|(v, _)| CustomerKind::parse(v))
        .unwrap_or(CustomerKind::Individual);
    for (i, (&value, column)) in cells.iter().zip(columns).enumerate() {
        let allowed = |c: char| match column {
            Column::Field(CustomerField::Notes) => matches!(c, '\n' | '\t'),
            _ => false,
        };
        if *column == Column::Ignored || !value.chars().any(|c| c.is_control() && !allowed(c)) {
            continue;
        }
        let shown = match column {
            Column::Field(f) => mask::field(kind, f, value),
            _ => mask::unknown(value),
        };
        let header = headers.get(i).map_or("", |h| h.trim());
        return Err(Error::invalid(
            format!("column {} ({})", i + 1, mask::unknown(header)),
            shown,
            "a control character (tab, escape, NUL, ...) in one line of text; \
             remove it in the spreadsheet",
        ));
    }
    Ok(())
}

/// What one row gives: the kind, the ID it asks for, and the fields typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: CustomerKind,
    /// As written; the store checks it is a customer ID.
    pub id: Option<String>,
    pub fields: Vec<(CustomerField, String)>,
}

/// The fields of a row of cell values (the formula guard already undone),
/// one per column. A row without a source gets `default_source` (the
/// store's `import` source, when desk.yaml lists one).
pub fn row(columns: &[Column], cells: &[&str], default_source: Option<&str>) -> Result<Row> {
    let mut kind = None;
    let mut id = None;
    let mut fields: Vec<(CustomerField, String)> = Vec::new();
    let mut contacts_used = 0;
    for (&value, column) in cells.iter().zip(columns) {
        match column {
            Column::Ignored => {}
            Column::Id if !value.is_empty() => id = Some(value.to_string()),
            Column::Id => {}
            Column::Kind => {
                kind = Some(CustomerKind::parse(value).ok_or_else(|| {
                    Error::invalid(
                        "kind",
                        value,
                        "expected individual (个人) or enterprise (企业)",
                    )
                })?)
            }
            Column::Contacts => {
                for spec in value.split([';', '；']).filter(|s| !s.trim().is_empty()) {
                    fields.extend(contact_fields(contacts_used, spec)?);
                    contacts_used += 1;
                }
            }
            Column::Field(f) if !value.is_empty() => fields.push((f.clone(), value.to_string())),
            Column::Field(_) => {}
        }
    }
    let kind = kind.ok_or_else(|| {
        Error::invalid(
            "kind",
            "",
            "expected individual (个人) or enterprise (企业)",
        )
    })?;
    if !fields.iter().any(|(f, _)| *f == CustomerField::Source) {
        if let Some(s) = default_source {
            fields.push((CustomerField::Source, s.into()));
        }
    }
    Ok(Row { kind, id, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every header is a known column, a custom field of its trimmed
        /// name, or refused; the export's `custom.NAME` header reads back as
        /// that field; `--ignore-unknown` refuses nothing.
        #[test]
        fn headers_map_to_known_or_custom_fields(h in "[ a-zA-Z._=\t\n微信号]{0,10}") {
            let headers = [h.as_str()];
            match columns_of(&headers, false) {
                Ok((columns, unknown)) => match &columns[0] {
                    Column::Field(CustomerField::Custom(name)) if !unknown.is_empty() => {
                        prop_assert_eq!(name.as_str(), h.trim());
                        let exported = format!("custom.{name}");
                        let (back, none) = columns_of(&[exported.as_str()], false).unwrap();
                        prop_assert_eq!(&back[0], &columns[0]);
                        prop_assert!(none.is_empty());
                    }
                    _ => prop_assert!(unknown.is_empty()),
                },
                Err(_) => prop_assert!(
                    h.trim().is_empty() || h.contains(['=', '\t', '\n'])
                        || h.trim().to_ascii_lowercase().starts_with("custom.")
                ),
            }
            let (columns, _) = columns_of(&headers, true).unwrap();
            prop_assert!(!matches!(&columns[0], Column::Field(CustomerField::Custom(_)))
                || h.trim().to_ascii_lowercase().starts_with("custom."));
        }
    }

    #[test]
    fn a_row_gives_its_kind_id_fields_contacts_and_the_default_source() {
        let headers = [
            "客户编号",
            "客户类型",
            "姓名/企业名称",
            "contacts",
            "信息来源",
        ];
        let (columns, _) = columns_of(&headers, false).unwrap();
        let got = row(
            &columns,
            &[
                "C000101",
                "企业",
                "星河科技",
                "name=王磊,role=采购; name=李娜",
                "",
            ],
            Some("import"),
        )
        .unwrap();
        assert_eq!(got.kind, CustomerKind::Enterprise);
        assert_eq!(got.id.as_deref(), Some("C000101"));
        let keys: Vec<String> = got
            .fields
            .iter()
            .map(|(f, v)| format!("{}={v}", f.key()))
            .collect();
        assert_eq!(
            keys,
            [
                "name=星河科技",
                "contacts.1.name=王磊",
                "contacts.1.role=采购",
                "contacts.2.name=李娜",
                "source=import"
            ]
        );
        // A source given is kept; a row without a kind is refused, naming it.
        let given = row(
            &columns,
            &["", "个人", "张三", "", "电话咨询"],
            Some("import"),
        )
        .unwrap();
        assert_eq!(given.fields.last().unwrap().1, "电话咨询");
        assert_eq!(given.id, None);
        let err = row(&columns, &["", "", "张三", "", ""], None).unwrap_err();
        assert!(
            err.to_string()
                .contains("individual (个人) or enterprise (企业)"),
            "{err}"
        );
        let err = row(&columns, &["", "火星", "张三", "", ""], None).unwrap_err();
        assert!(err.to_string().contains("'火星'"), "{err}");
    }

    #[test]
    fn control_characters_in_one_line_cells_are_refused_naming_the_column() {
        let headers = ["客户类型", "姓名", "phone", "备注", "微信号"];
        let (columns, _) = columns_of(&headers, false).unwrap();
        let ok = ["个人", "张三", "13912345678", "line\n\tindented", "wx"];
        assert!(refuse_controls(&headers, &columns, &ok).is_ok());
        for (i, cell) in [
            (1, "张\u{1b}[2J三"),
            (2, "139\u{0}12345678"),
            (4, "wx\tid"),
            (3, "bell\u{7}"),
            (1, "C1\u{9b}31m"),
        ] {
            let mut cells = ok;
            cells[i] = cell;
            let e = refuse_controls(&headers, &columns, &cells)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("column {} ({})", i + 1, headers[i])),
                "{e}"
            );
            assert!(e.contains("control character"), "{e}");
            // Escaped, never raw; the person's name and phone masked.
            assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
            assert!(!e.contains("张\\e[2J三") && !e.contains("12345678"), "{e}");
        }
    }

    #[test]
    fn own_columns_in_any_case_and_custom_names_as_written() {
        let headers = ["Phone", "客户类型", "Custom.QQ", "微信号"];
        let (columns, unknown) = columns_of(&headers, false).unwrap();
        assert_eq!(
            columns,
            [
                Column::Field(CustomerField::Phone),
                Column::Kind,
                Column::Field(CustomerField::Custom("QQ".into())),
                Column::Field(CustomerField::Custom("微信号".into())),
            ]
        );
        assert_eq!(unknown, ["微信号"]);
    }
}
