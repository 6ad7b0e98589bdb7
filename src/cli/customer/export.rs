use std::io::Write;

use super::{customer_json, customer_row, Shown, EXPORT_COLUMNS};
use crate::cli::Context;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per customer; the columns `desk customer import` reads.
    Csv,
    /// A JSON array of objects; contacts as arrays.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Export personal data in full (ID-card and bank-card numbers need the
    /// key). Masked exports are safe to hand on; revealed ones are not.
    #[arg(long)]
    pub reveal: bool,
    /// Start the CSV with a byte-order mark, for spreadsheet programs.
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let keyring = Shown::keyring(ctx, args.reveal)?;
    let shown = Shown {
        reveal: keyring.as_ref(),
    };
    let scan = ctx.store.scan_customers()?;
    for c in &scan.customers {
        shown.check_open(c, false)?;
    }
    match args.format {
        ExportFormat::Json => {
            let all: Vec<serde_json::Value> = scan
                .customers
                .iter()
                .map(|c| serde_json::Value::Object(customer_json(c, &shown)))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &all).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => {
            if args.bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(EXPORT_COLUMNS).map_err(csv_error)?;
            for c in &scan.customers {
                w.write_record(customer_row(c, &shown)).map_err(csv_error)?;
            }
            w.flush()?;
        }
    }
    scan.into_result()
}

fn csv_error(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
