use std::io::Write;
use std::path::PathBuf;

use super::FieldInput;
use crate::cli::Context;
use crate::error::{Error, Result};
use crate::model::customer_import::{self, Column};
use crate::model::Customer;
use crate::output::csv_cell_import;
use crate::output::message;
use crate::store::{decode_text, duplicate_error};
use crate::text::visible;

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
    let headers: Vec<&str> = headers.iter().collect();
    customer_import::require_columns(&headers)?;
    let (columns, unknown) = customer_import::columns_of(&headers, args.ignore_unknown)?;
    if !unknown.is_empty() {
        // The first columns name the mistake, if there is one; a file of
        // thousands of columns does not print them all.
        const NAMED: usize = 50;
        let mut listed = unknown[..unknown.len().min(NAMED)].join(", ");
        if unknown.len() > NAMED {
            listed.push_str(&format!(" and {} more", unknown.len() - NAMED));
        }
        match args.ignore_unknown {
            true => message::say(&format!("{name}: skipped columns: {}", visible(&listed))),
            false => message::say(&format!(
                "{name}: columns kept as custom fields: {} (--ignore-unknown skips them)",
                visible(&listed)
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
                row_customer(ctx, &input, (&headers, &columns), record, default_source),
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
        } else if let Some(top) = k.far_above {
            ctx.store.far_above_error(&c.id, top).to_string()
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

/// A row's customer: its cells' values, the row's fields, the ID checked
/// by the store, the fields checked and sealed by the field rules.
fn row_customer(
    ctx: &Context,
    input: &FieldInput,
    (headers, columns): (&[&str], &[Column]),
    record: &csv::StringRecord,
    default_source: Option<&str>,
) -> Result<Customer> {
    let cells = record
        .iter()
        .map(csv_cell_import)
        .collect::<Result<Vec<&str>>>()?;
    customer_import::refuse_controls(headers, columns, &cells)?;
    let row = customer_import::row(columns, &cells, default_source)?;
    let id = row.id.map(|id| ctx.store.customer_id(&id)).transpose()?;
    let mut customer = input
        .rules()
        .customer(row.kind, &row.fields, ctx.now, ctx.actor())?;
    customer.id = id.unwrap_or_default();
    Ok(customer)
}
