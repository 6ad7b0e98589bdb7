use std::io::Write;
use std::path::PathBuf;

use crate::clock;
use crate::config::Config;
use crate::demo::{generate, generate_customers, DemoSpec, MAX_DEMO_SIZE};
use crate::error::{Error, Result};
use crate::output::message;
use crate::sla::default_calendar;
use crate::store::{create_atomic, render_customer, render_ticket, Store};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to create the demo store (must not exist or be empty).
    pub dir: PathBuf,
    /// How many tickets (0 to 1,000,000).
    #[arg(long, default_value_t = 60,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_DEMO_SIZE))]
    pub tickets: usize,
    /// How many customers (1 to 1,000,000; some of them dormant).
    #[arg(long, default_value_t = 12,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_DEMO_SIZE))]
    pub customers: usize,
    /// How many months of history, ending now (or DESK_NOW): 1 to 120.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub months: u32,
    /// The same seed always gives the same store.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// How many knowledge-base articles a demo store gets.
const DEMO_ARTICLES: usize = 4;

pub fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    if crate::store::holds_anything(&args.dir) {
        return Err(Error::invalid(
            "directory",
            args.dir.display().to_string(),
            "the demo store is created in a new or empty directory",
        ));
    }
    // The clock is read before anything is created, so a refusal leaves no directory.
    let config = Config::seed_defaults();
    let now = clock::now(config.tz()?)?;
    let spec = DemoSpec {
        tickets: args.tickets,
        customers: args.customers,
        months: args.months,
        seed: args.seed,
        now: now.0.with_timezone(&chrono::Utc),
    };
    if !clock::date_in_range(spec.earliest().date_naive()) {
        return Err(Error::invalid(
            "--months",
            args.months.to_string(),
            format!(
                "the demo's history (and its customers, a year older) would begin before {}; \
                 give fewer months or a later DESK_NOW",
                clock::FIRST_DATE
            ),
        ));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io(&args.dir, e))?;
    let store = Store::init(&args.dir, &config)?.with_notices(super::notices());
    // The calendar `desk init` installs for the store's zone.
    if let Some(name) = default_calendar(&config.timezone) {
        store.install_calendar(name)?;
    }
    for customer in generate_customers(&spec, &store.config, store.settings.tz) {
        create_atomic(
            &store.customer_path(&customer.id),
            render_customer(&customer).as_bytes(),
        )?;
    }
    let total = args.tickets;
    let mut written = 0;
    // A handful of resolved cases of distinct titles become the knowledge
    // base's first articles, as a team would draft them.
    let mut cases: Vec<crate::model::Ticket> = Vec::new();
    generate(&spec, &store.config, store.settings.tz, |ticket| {
        let id = crate::model::TicketId::parse(&ticket.id).expect("generated IDs parse");
        create_atomic(&store.ticket_path(&id), render_ticket(&ticket).as_bytes())?;
        if cases.len() < DEMO_ARTICLES
            && crate::model::kb::not_resolved(&ticket).is_none()
            && cases.iter().all(|c| c.title != ticket.title)
        {
            cases.push(ticket.clone());
        }
        written += 1;
        if written % 1000 == 0 || written == total {
            store.notices().progress("writing tickets", written, total);
        }
        Ok::<(), Error>(())
    })?;
    for case in &cases {
        let closed = case.last_at().expect("a ticket has events");
        let day = closed.0.with_timezone(&store.settings.tz).date_naive();
        store.create_article(|id| crate::model::kb::draft(id, case, day))?;
    }
    writeln!(out, "{}", store.root.display())?;
    message::say(&format!(
        "demo store with {} tickets and {} customers in {}",
        total,
        args.customers,
        store.root.display()
    ));
    Ok(())
}
