use std::io::Write;

use super::{customer_json, customer_row, export_header, Shown};
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
            let custom: Vec<String> = scan
                .customers
                .iter()
                .flat_map(|c| c.custom.keys().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let header = export_header(&custom);
            let mut records = Records::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
            for c in &scan.customers {
                records.push(
                    customer_row(c, &shown, &custom)
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
