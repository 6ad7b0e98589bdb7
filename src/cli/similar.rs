use std::io::Write;

use super::Context;
use crate::app::search;
use crate::error::{Error, Result};
use crate::output::Format;

#[derive(Debug, clap::Args)]
pub struct SimilarArgs {
    /// The ticket (full ID, or today's serial such as 0001).
    pub id: String,
    /// How many closed tickets to show, best first (1 to 1000).
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = super::values::any_format())]
    pub format: Option<Format>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    pub bom: bool,
}

pub fn run(ctx: &Context, args: &SimilarArgs, out: &mut dyn Write) -> Result<()> {
    if !(1..=search::MAX_LIMIT).contains(&args.limit) {
        return Err(Error::invalid(
            "--limit",
            args.limit.to_string(),
            format!("from 1 to {}", search::MAX_LIMIT),
        ));
    }
    let id = ctx.ticket_id(&args.id)?;
    let mut results = search::similar(&ctx.store, &id, args.limit)?;
    super::search::print(ctx, &mut results, args.format, args.bom, out)
}
