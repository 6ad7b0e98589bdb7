use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::clock;
use crate::config::Config;
use crate::demo::{generate, generate_customers, DemoSpec};
use crate::error::{Error, Result};
use crate::store::{create_atomic, default_calendar, render_customer, render_ticket, Store};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to create the demo store (must not exist or be empty).
    pub dir: PathBuf,
    #[arg(long, default_value_t = 60)]
    pub tickets: usize,
    #[arg(long, default_value_t = 12)]
    pub customers: usize,
    /// How many months of history, ending now (or DESK_NOW).
    #[arg(long, default_value_t = 3)]
    pub months: u32,
    /// The same seed always gives the same store.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    if args.dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::invalid(
            "directory",
            args.dir.display().to_string(),
            "the demo store is created in a new or empty directory",
        ));
    }
    if args.months == 0 || args.customers == 0 {
        return Err(Error::invalid(
            "--months/--customers",
            "0",
            "both must be at least 1",
        ));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io(&args.dir, e))?;
    let config = Config::seed_defaults();
    let store = Store::init(&args.dir, &config)?;
    // The calendar `desk init` installs for the store's zone.
    if let Some(name) = default_calendar(&config.timezone) {
        store.install_calendar(name)?;
    }
    let now = clock::now(store.tz)?;
    let spec = DemoSpec {
        tickets: args.tickets,
        customers: args.customers,
        months: args.months,
        seed: args.seed,
        now: now.0.with_timezone(&chrono::Utc),
    };
    for customer in generate_customers(&spec, &store.config, store.tz) {
        create_atomic(
            &store.customer_path(&customer.id),
            render_customer(&customer).as_bytes(),
        )?;
    }
    let total = args.tickets;
    let progress = std::io::stderr().is_terminal() && total >= 5000;
    let mut written = 0;
    generate(&spec, &store.config, store.tz, |ticket| {
        let id = crate::model::TicketId::parse(&ticket.id).expect("generated IDs parse");
        create_atomic(&store.ticket_path(&id), render_ticket(&ticket).as_bytes())?;
        written += 1;
        if progress && written % 1000 == 0 {
            eprint!("\rwriting tickets: {written}/{total}");
        }
        Ok::<(), Error>(())
    })?;
    if progress {
        eprintln!("\rwriting tickets: {total}/{total}");
    }
    writeln!(out, "{}", store.root.display())?;
    eprintln!(
        "demo store with {} tickets and {} customers in {}",
        total,
        args.customers,
        store.root.display()
    );
    Ok(())
}
