//! `desk customer import`: a CSV file of customers read (its encoding told
//! from the bytes or given, its columns named in English or as on the
//! customer registration form), each row checked by the field rules and the
//! store's duplicate guard, and all rows written at once or none.

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::customer_import::{self, Column};
use crate::model::{decode_text, duplicate_error, validate, Customer};
use crate::output::csv_cell_import;
use crate::store::Store;

/// A CSV file of customers as read: its rows not yet checked.
pub struct CustomerFile {
    /// How the file is named in messages.
    pub name: String,
    /// The encoding it was read as.
    pub read_as: String,
    /// The columns desk does not know: kept as custom fields of their name,
    /// or skipped when the caller asked so.
    pub unknown: Vec<String>,
    headers: Vec<String>,
    columns: Vec<Column>,
    rows: Vec<csv::StringRecord>,
    /// Lines the CSV reader refused, named by line.
    problems: Vec<String>,
}

/// Reads the CSV file `name` from `bytes`, as `encoding` or else as told
/// from the bytes, and names its columns; skips those desk does not know
/// when `ignore_unknown`.
pub fn read_customer_file(
    name: &str,
    bytes: &[u8],
    encoding: Option<&'static encoding_rs::Encoding>,
    ignore_unknown: bool,
) -> Result<CustomerFile> {
    let (text, read_as) = decode_text(name, bytes, encoding)?;
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
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("CSV file", name, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let names: Vec<&str> = headers.iter().map(String::as_str).collect();
    customer_import::require_columns(&names)?;
    let (columns, unknown) = customer_import::columns_of(&names, ignore_unknown)?;
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
    Ok(CustomerFile {
        name: name.to_string(),
        read_as,
        unknown,
        headers,
        columns,
        rows,
        problems,
    })
}

impl CustomerFile {
    /// Whether a row gives an ID-card or bank-card number, which is sealed
    /// with the store's key.
    pub fn needs_key(&self) -> bool {
        self.rows.iter().any(|r| {
            r.iter().zip(&self.columns).any(|(v, c)| {
                matches!(c, Column::Field(f) if f.is_sealed()) && !v.trim().is_empty()
            })
        })
    }
}

/// Checks every row of `file` — its fields by `rules`, its ID by the store,
/// and the store's duplicate guard against the store and the rows before
/// it — and, unless `dry_run`, writes them all. Any bad row refuses the
/// whole file, naming each problem by line. Returns the customers written
/// (on a dry run, those that would be).
pub fn import_customers(
    store: &Store,
    file: CustomerFile,
    rules: &validate::FieldRules,
    (now, actor): (Timestamp, &str),
    dry_run: bool,
) -> Result<Vec<Customer>> {
    let default_source = store
        .config
        .customers
        .sources
        .iter()
        .any(|c| c.key == "import")
        .then_some("import");
    let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
    let mut lines = Vec::new();
    let mut new = Vec::new();
    // The rows' problems, each with its line, to be named in line order.
    let mut bad_rows: Vec<(u64, String)> = Vec::new();
    for record in &file.rows {
        let line = record.position().map_or(0, |p| p.line());
        let row = (&headers[..], &file.columns[..], record);
        match row_customer(store, rules, row, default_source, (now, actor)) {
            Ok(c) => {
                lines.push(line);
                new.push(c);
            }
            Err(e) => bad_rows.push((line, format!("line {line}: {e}"))),
        }
    }
    // The store's duplicate guard, against the store and the rows before.
    let clashes = store.new_customer_clashes(&new)?;
    for ((c, k), line) in new.iter().zip(&clashes).zip(&lines) {
        let clash = if let Some(d) = &k.store {
            duplicate_error(&c.id, d).to_string()
        } else if let Some((earlier, field)) = k.earlier {
            format!("duplicates line {}'s {field}", lines[earlier])
        } else if k.id_taken || k.id_given_before {
            format!("customer {} already exists", c.id)
        } else if let Some(top) = k.far_above {
            store.far_above_error(&c.id, top).to_string()
        } else {
            continue;
        };
        bad_rows.push((*line, format!("line {line}: {clash}")));
    }
    bad_rows.sort_by_key(|(line, _)| *line);
    let mut problems = file.problems;
    problems.extend(bad_rows.into_iter().map(|(_, p)| p));
    if !problems.is_empty() {
        return Err(Error::Refused(format!(
            "{}: {} bad row(s); nothing was imported:\n  {}",
            file.name,
            problems.len(),
            problems.join("\n  ")
        )));
    }
    if dry_run {
        return Ok(new);
    }
    store.create_customers(new)
}

/// A row's customer: its cells' values, the row's fields, the ID checked
/// by the store, the fields checked and sealed by the field rules.
fn row_customer(
    store: &Store,
    rules: &validate::FieldRules,
    (headers, columns, record): (&[&str], &[Column], &csv::StringRecord),
    default_source: Option<&str>,
    (now, actor): (Timestamp, &str),
) -> Result<Customer> {
    let cells = record
        .iter()
        .map(csv_cell_import)
        .collect::<Result<Vec<&str>>>()?;
    customer_import::refuse_controls(headers, columns, &cells)?;
    let row = customer_import::row(columns, &cells, default_source)?;
    let id = row.id.map(|id| store.customer_id(&id)).transpose()?;
    let mut customer = rules.customer(row.kind, &row.fields, now, actor)?;
    customer.id = id.unwrap_or_default();
    Ok(customer)
}
