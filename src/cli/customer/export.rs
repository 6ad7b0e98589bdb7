use std::io::Write;

use super::{customer_json, customer_row, Shown, EXPORT_COLUMNS};
use crate::cli::Context;
use crate::error::Result;
use crate::output::{Cell, Records};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per customer; the columns `desk customer import` reads.
    Csv,
    /// A JSON array of objects; contacts as arrays.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format.
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
            let mut records = Records::new(&EXPORT_COLUMNS);
            for c in &scan.customers {
                records.push(
                    customer_row(c, &shown)
                        .into_iter()
                        .map(Cell::Text)
                        .collect(),
                );
            }
            records.write_csv(out, args.bom, ctx.term.csv_raw)?;
        }
    }
    scan.into_result()
}
