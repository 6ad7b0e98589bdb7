use std::io::Write;

use super::Shown;
use crate::cli::Context;
use crate::error::{Error, Result};
use crate::model::{ContactField, Customer, CustomerField, Revealed};
use crate::output::{Cell, Records, Workbook};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per customer; the columns `desk customer import` reads.
    Csv,
    /// A JSON array of objects; contacts as arrays.
    Json,
    /// An Excel workbook of the CSV's columns, every cell text, so that
    /// long numbers stay whole; to standard output, which is not a terminal.
    Xlsx,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Export personal data in full, recorded in the reveal log (ID-card and
    /// bank-card numbers need the decryption identity). Masked exports are
    /// safe to hand on; revealed ones are not.
    #[arg(long)]
    pub reveal: bool,
    /// Start the CSV with a byte-order mark, for spreadsheet programs.
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    if args.format == ExportFormat::Xlsx && ctx.term.is_tty {
        return Err(Error::Refused(
            "--format xlsx writes a binary workbook to standard output: redirect it to a \
             file (`> customers.xlsx`)"
                .into(),
        ));
    }
    let keyring = Shown::keyring(ctx, args.reveal)?;
    let shown = Shown {
        reveal: keyring.as_ref(),
    };
    let scan = ctx.store.scan_customers()?;
    let mut revealed = Revealed::default();
    for c in &scan.customers {
        shown.check_open(c, false)?;
        let (fields, sealed) = shown.revealed(c, false);
        revealed.add(&c.id, fields, sealed);
    }
    // Rendered first, recorded (when revealing), then printed: nothing is
    // revealed unrecorded, and a failed export records nothing.
    let mut text = Vec::new();
    match args.format {
        ExportFormat::Json => {
            let all: Vec<serde_json::Value> = scan
                .customers
                .iter()
                .map(|c| serde_json::Value::Object(customer_json(c, &shown)))
                .collect();
            serde_json::to_writer_pretty(&mut text, &all).map_err(std::io::Error::from)?;
            writeln!(text)?;
        }
        ExportFormat::Csv => {
            export_records(&scan.customers, &shown).write_csv(
                &mut text,
                args.bom,
                ctx.term.csv_raw,
            )?;
        }
        ExportFormat::Xlsx => {
            // Created on the day the newest customer was, so the same
            // records give the same bytes.
            let newest = scan
                .customers
                .iter()
                .map(|c| c.created.0.date_naive())
                .max();
            let mut book = Workbook::new(newest.unwrap_or_default())?;
            book.records("customers", &export_records(&scan.customers, &shown))?;
            text = book.to_bytes()?;
        }
    }
    Shown::record(ctx, "customer export", &revealed)?;
    out.write_all(&text)?;
    scan.into_result()
}

/// Every customer as a row of text cells, with the columns of
/// [`export_header`] for the custom fields any of them has.
fn export_records(customers: &[Customer], shown: &Shown) -> Records {
    let custom: Vec<String> = customers
        .iter()
        .flat_map(|c| c.custom.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let header = export_header(&custom);
    let mut records = Records::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for c in customers {
        records.push(
            customer_row(c, shown, &custom)
                .into_iter()
                .map(Cell::Text)
                .collect(),
        );
    }
    records
}

/// The record's fields in file order, as shown (masked unless revealing),
/// with the contacts flattened to `name=...,role=...; ...` for CSV.
pub const EXPORT_COLUMNS: [&str; 21] = [
    "id",
    "kind",
    "name",
    "salutation",
    "phone",
    "email",
    "address",
    "id_card",
    "bank_card",
    "credit_code",
    "industry",
    "contacts",
    "source",
    "first_contact",
    "last_contact",
    "owner",
    "vip",
    "tags",
    "need",
    "notes",
    "created",
];

/// One customer as a JSON object of shown values; contacts as an array.
pub fn customer_json(c: &Customer, shown: &Shown) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value as J;
    let mut map = serde_json::Map::new();
    let text = |v: Option<String>| v.map_or(J::Null, J::String);
    for column in EXPORT_COLUMNS {
        let value = match column {
            "id" => J::String(c.id.clone()),
            "kind" => J::String(c.kind.key().into()),
            "name" => J::String(shown.name(c)),
            "vip" => J::Bool(c.vip),
            "tags" => J::Array(c.tags.iter().cloned().map(J::String).collect()),
            "created" => J::String(c.created.to_string()),
            "contacts" => J::Array(
                c.contacts
                    .iter()
                    .enumerate()
                    .map(|(i, contact)| {
                        let mut m = serde_json::Map::new();
                        for f in ContactField::ALL {
                            let v = if f == ContactField::Name {
                                Some(shown.contact_name(contact))
                            } else {
                                shown.field(c, &CustomerField::Contact(i, f))
                            };
                            m.insert(f.key().into(), text(v));
                        }
                        J::Object(m)
                    })
                    .collect(),
            ),
            other => text(CustomerField::parse(other).and_then(|f| shown.field(c, &f))),
        };
        map.insert(column.into(), value);
    }
    let custom = c
        .custom_fields()
        .filter_map(|f| {
            let value = shown.field(c, &f)?;
            match f {
                CustomerField::Custom(name) => Some((name, J::String(value))),
                _ => None,
            }
        })
        .collect();
    map.insert("custom".into(), J::Object(custom));
    map
}

/// The CSV header: the record's own columns, then `custom.NAME` for each
/// custom field of `custom` (the names any exported record has, sorted).
pub fn export_header(custom: &[String]) -> Vec<String> {
    EXPORT_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(custom.iter().map(|name| format!("custom.{name}")))
        .collect()
}

/// The same as one CSV row (contacts as `name=...,role=...; ...`), with
/// the columns of [`export_header`].
pub fn customer_row(c: &Customer, shown: &Shown, custom: &[String]) -> Vec<String> {
    let json = customer_json(c, shown);
    let own = EXPORT_COLUMNS.iter().map(|column| match &json[*column] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(items) if *column == "tags" => items
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(","),
        serde_json::Value::Array(contacts) => contacts
            .iter()
            .map(|contact| {
                contact
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    });
    let theirs = custom.iter().map(|name| {
        json["custom"]
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    });
    own.chain(theirs).collect()
}
