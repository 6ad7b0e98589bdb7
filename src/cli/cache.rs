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
    /// For each local index (the ticket cache, the customer index): where it
    /// is, how big, and how many files it covers.
    Stats,
    /// Parse every ticket and customer file again and write fresh indexes.
    Rebuild,
    /// Delete every index; the next command that needs one rebuilds it.
    Clear,
}

pub fn run(ctx: &Context, args: &CacheArgs, out: &mut dyn Write) -> Result<()> {
    let store = &ctx.store;
    match args.command {
        CacheCommand::Stats => {
            for (i, s) in store.cache_stats()?.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "index: {}", s.name)?;
                writeln!(out, "path: {}", store.display_path(&s.path).display())?;
                match s.bytes {
                    Some(b) => writeln!(out, "bytes: {b}")?,
                    None => writeln!(out, "bytes: 0 (not built yet)")?,
                }
                writeln!(out, "entries: {}", s.entries)?;
                writeln!(out, "files: {}", s.files)?;
                writeln!(out, "fresh: {}", s.fresh)?;
                writeln!(out, "stale_or_missing: {}", s.files - s.fresh)?;
            }
        }
        CacheCommand::Rebuild => {
            let rebuilt = store.rebuild_cache()?;
            let parsed: Vec<String> = rebuilt
                .parsed
                .iter()
                .map(|(folder, n)| format!("{n} {}(s) parsed", folder.trim_end_matches('s')))
                .collect();
            message::say(&format!("cache rebuilt: {}", parsed.join(", ")));
            crate::error::Error::all(rebuilt.errors)?;
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
