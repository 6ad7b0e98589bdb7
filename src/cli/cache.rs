use std::io::Write;

use super::Context;
use crate::error::Result;
use crate::output::message;

#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CacheCommand {
    /// Where the cache is, how big, and how many ticket files it covers.
    Stats,
    /// Parse every ticket file again and write a fresh cache.
    Rebuild,
    /// Delete the cache; the next reading command rebuilds it.
    Clear,
}

pub fn run(ctx: &Context, args: &CacheArgs, out: &mut dyn Write) -> Result<()> {
    let store = &ctx.store;
    match args.command {
        CacheCommand::Stats => {
            let s = store.cache_stats()?;
            writeln!(out, "path: {}", store.display_path(&s.path).display())?;
            match s.bytes {
                Some(b) => writeln!(out, "bytes: {b}")?,
                None => writeln!(out, "bytes: 0 (no cache yet)")?,
            }
            writeln!(out, "entries: {}", s.entries)?;
            writeln!(out, "ticket_files: {}", s.files)?;
            writeln!(out, "fresh: {}", s.fresh)?;
            writeln!(out, "stale_or_missing: {}", s.files - s.fresh)?;
        }
        CacheCommand::Rebuild => {
            store.clear_cache()?;
            let mut scan = store.summaries_where(false, |_| false)?;
            message::say(&format!("cache rebuilt: {} ticket(s) parsed", scan.parsed));
            scan.into_result()?;
        }
        CacheCommand::Clear => {
            if store.clear_cache()? {
                message::say("cache cleared");
            } else {
                message::say("no cache to clear");
            }
        }
    }
    Ok(())
}
