use std::io::Write;
use std::path::PathBuf;

use super::{parse_kind, FieldInput};
use crate::cli::Context;
use crate::error::{Error, Result};
use crate::model::validate::contact_fields;
use crate::model::{mask, ContactField, Customer, CustomerField};
use crate::output::message;
use crate::output::{csv_cell_value, starts_like_formula, visible};
use crate::store::{decode_text, duplicate_error};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A CSV file; `-` reads stdin. UTF-8 (with or without BOM), UTF-16 with
    /// BOM, and GBK/GB18030 (what Excel saves on Chinese Windows) are told
    /// apart. The header names columns in English (the export's) or as on
    /// the customer registration form (客户登记表): 客户编号, 姓名/企业名称, 客户类型,
    /// 联系方式, 地址, 信息来源, 首次联系时间, 需求简述, 负责人, ...; any other
    /// column is kept as a custom field of its name (custom.NAME).
    pub file: PathBuf,
    /// The file's encoding, when telling it from the bytes is not wanted.
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub encoding: Option<TextEncoding>,
    /// Record phone numbers and e-mail addresses that fail the shape check as typed.
    #[arg(long)]
    pub force: bool,
    /// Skip columns desk does not know (named on stderr) instead of keeping
    /// each as a custom field of the column's name.
    #[arg(long)]
    pub ignore_unknown: bool,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextEncoding {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    Gb18030,
    /// GBK is read as GB18030, which contains it.
    Gbk,
}

impl TextEncoding {
    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Gbk => encoding_rs::GBK,
        }
    }
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq)]
enum Column {
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
fn column(header: &str) -> Option<Column> {
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
fn columns_of(
    headers: &csv::StringRecord,
    ignore_unknown: bool,
) -> Result<(Vec<Column>, Vec<String>)> {
    let mut columns = Vec::new();
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
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
    // meant cannot be told, so neither is taken.
    for (i, c) in columns.iter().enumerate() {
        if *c == Column::Ignored {
            continue;
        }
        if let Some(j) = columns[..i].iter().position(|o| o == c) {
            return Err(Error::Refused(format!(
                "columns {} ('{}') and {} ('{}') are both {}; keep one of them",
                j + 1,
                visible(headers.get(j).unwrap_or_default().trim()),
                i + 1,
                visible(headers.get(i).unwrap_or_default().trim()),
                match c {
                    Column::Field(f) => format!("the field {}", f.key()),
                    Column::Id => "the customer ID".into(),
                    Column::Kind => "the kind".into(),
                    _ => "the contacts".into(),
                }
            )));
        }
    }
    Ok((columns, unknown))
}

pub fn run(ctx: &Context, args: &ImportArgs, out: &mut dyn Write) -> Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Error::io("<stdin>", e))?;
        b
    } else {
        std::fs::read(&args.file).map_err(|e| Error::io(&args.file, e))?
    };
    let name = args.file.display().to_string();
    let (text, read_as) = decode_text(&name, &bytes, args.encoding.map(TextEncoding::encoding))?;
    // Line ends as LF: the csv crate counts the lines of CR LF files one
    // short (rust-csv issue 395), and multi-line cells are stored with LF.
    let text = match text.contains("\r\n") {
        true => text.replace("\r\n", "\n"),
        false => text,
    };
    // Excel's "Unicode text" separates columns by tabs: a header line with
    // tabs and no comma is read so.
    let header_line = text.lines().next().unwrap_or_default();
    let tabs = header_line.contains('\t') && !header_line.contains(',');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid("CSV file", &name, e.to_string()))?
        .clone();
    // Checked first: in a file without its header row, the first row is
    // data, not names of custom fields to repeat on stderr.
    let known: Vec<Column> = headers.iter().filter_map(column).collect();
    if !known.contains(&Column::Kind) || !known.contains(&Column::Field(CustomerField::Name)) {
        return Err(Error::invalid(
            "CSV header",
            headers
                .iter()
                .map(mask::unknown)
                .collect::<Vec<_>>()
                .join(","),
            "the columns kind (客户类型) and name (姓名/企业名称) are required",
        ));
    }
    let (columns, unknown) = columns_of(&headers, args.ignore_unknown)?;
    if !unknown.is_empty() {
        match args.ignore_unknown {
            true => message::say(&format!(
                "{name}: skipped columns: {}",
                visible(&unknown.join(", "))
            )),
            false => message::say(&format!(
                "{name}: columns kept as custom fields: {} (--ignore-unknown skips them)",
                visible(&unknown.join(", "))
            )),
        }
    }
    let mut rows = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => rows.push(r),
            Err(e) => problems.push(format!(
                "line {}: {e}",
                e.position().map_or(0, |p| p.line())
            )),
        }
    }
    let needs_key = rows.iter().any(|r| {
        r.iter()
            .zip(&columns)
            .any(|(v, c)| matches!(c, Column::Field(f) if f.is_sealed()) && !v.trim().is_empty())
    });
    let input = FieldInput::new(ctx, needs_key, args.force)?;
    let default_source = ctx
        .store
        .config
        .customers
        .sources
        .iter()
        .any(|c| c.key == "import")
        .then_some("import");
    // Each row's customer, or why it has none, by line.
    let built: Vec<(u64, Result<Customer>)> = rows
        .iter()
        .map(|record| {
            let line = record.position().map_or(0, |p| p.line());
            (
                line,
                row_customer(ctx, &input, &columns, record, default_source),
            )
        })
        .collect();
    let mut lines = Vec::new();
    let mut new = Vec::new();
    // The rows' problems, each with its line, to be named in line order.
    let mut bad_rows: Vec<(u64, String)> = Vec::new();
    for (line, built) in built {
        match built {
            Ok(c) => {
                lines.push(line);
                new.push(c);
            }
            Err(e) => bad_rows.push((line, format!("line {line}: {e}"))),
        }
    }
    // The store's duplicate guard, against the store and the rows before.
    let clashes = ctx.store.new_customer_clashes(&new)?;
    for ((c, k), line) in new.iter().zip(&clashes).zip(&lines) {
        let clash = if let Some(d) = &k.store {
            duplicate_error(&c.id, d).to_string()
        } else if let Some((earlier, field)) = k.earlier {
            format!("duplicates line {}'s {field}", lines[earlier])
        } else if k.id_taken || k.id_given_before {
            format!("customer {} already exists", c.id)
        } else {
            continue;
        };
        bad_rows.push((*line, format!("line {line}: {clash}")));
    }
    bad_rows.sort_by_key(|(line, _)| *line);
    problems.extend(bad_rows.into_iter().map(|(_, p)| p));
    if !problems.is_empty() {
        return Err(Error::Refused(format!(
            "{name}: {} bad row(s); nothing was imported:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }
    if args.dry_run {
        message::say(&format!(
            "{name}: {} row(s) would be imported (read as {read_as})",
            new.len()
        ));
        return Ok(());
    }
    let created = ctx.store.create_customers(new)?;
    for c in &created {
        writeln!(out, "{}", c.id)?;
    }
    message::say(&format!(
        "{name}: imported {} customer(s) (read as {read_as})",
        created.len()
    ));
    Ok(())
}

/// A cell's value: the export's formula guard undone (`'=1` is `=1`, see
/// `output::csv_cell`), surrounding space trimmed. A cell whose leading tab
/// or carriage return hides a formula is refused rather than trimmed into one.
fn cell_value(cell: &str) -> Result<&str> {
    let given = csv_cell_value(cell);
    let value = given.trim();
    let leading = &given[..given.len() - given.trim_start().len()];
    if leading.contains(['\t', '\r']) && starts_like_formula(value) {
        return Err(Error::invalid(
            "cell",
            cell,
            "a tab or carriage return before =, +, - or @ hides a spreadsheet formula; \
             remove the leading characters",
        ));
    }
    Ok(value)
}

fn row_customer(
    ctx: &Context,
    input: &FieldInput,
    columns: &[Column],
    record: &csv::StringRecord,
    default_source: Option<&str>,
) -> Result<Customer> {
    let mut kind = None;
    let mut id = None;
    let mut fields: Vec<(CustomerField, String)> = Vec::new();
    let mut contacts_used = 0;
    for (value, column) in record.iter().zip(columns) {
        let value = cell_value(value)?;
        match column {
            Column::Ignored => {}
            Column::Id if !value.is_empty() => id = Some(ctx.store.customer_id(value)?),
            Column::Id => {}
            Column::Kind => kind = Some(parse_kind(value)?),
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
    let at = ctx.now;
    let mut customer = input.rules().customer(kind, &fields, at, ctx.actor())?;
    customer.id = id.unwrap_or_default();
    Ok(customer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cells_are_trimmed_and_unguarded_but_never_trimmed_into_a_formula() {
        assert_eq!(cell_value(" Alice ").unwrap(), "Alice");
        assert_eq!(cell_value("\tAlice").unwrap(), "Alice");
        assert_eq!(cell_value("'=1").unwrap(), "=1");
        assert_eq!(cell_value("''=1").unwrap(), "'=1");
        assert_eq!(cell_value("'+442079460958").unwrap(), "+442079460958");
        assert_eq!(cell_value("O'Brien").unwrap(), "O'Brien");
        assert_eq!(cell_value("'quoted'").unwrap(), "'quoted'");
        for hidden in ["\t=1", "\r+1", " \t-1", "'\t@x", "\r\n=1"] {
            assert!(cell_value(hidden).is_err(), "{hidden:?}");
        }
    }

    proptest! {
        /// What export writes for a stored (trimmed) value imports as that value.
        #[test]
        fn an_exported_cell_imports_as_its_value(v in "['=+@\\-a ]{0,6}") {
            let v = v.trim();
            let cell = crate::output::csv_cell(v);
            prop_assert_eq!(cell_value(&cell).unwrap(), v);
        }

        /// Every header is a known column, a custom field of its trimmed
        /// name, or refused; the export's `custom.NAME` header reads back as
        /// that field; `--ignore-unknown` refuses nothing.
        #[test]
        fn headers_map_to_known_or_custom_fields(h in "[ a-zA-Z._=\t\n微信号]{0,10}") {
            let headers = csv::StringRecord::from(vec![h.as_str()]);
            match columns_of(&headers, false) {
                Ok((columns, unknown)) => match &columns[0] {
                    Column::Field(CustomerField::Custom(name)) if !unknown.is_empty() => {
                        prop_assert_eq!(name.as_str(), h.trim());
                        let exported = csv::StringRecord::from(vec![format!("custom.{name}")]);
                        let (back, none) = columns_of(&exported, false).unwrap();
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
    fn own_columns_in_any_case_and_custom_names_as_written() {
        let headers = csv::StringRecord::from(vec!["Phone", "客户类型", "Custom.QQ", "微信号"]);
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
