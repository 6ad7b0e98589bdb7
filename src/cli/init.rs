use std::io::Write;
use std::path::PathBuf;

use crate::app;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::message;
use crate::sla::{default_calendar, shipped_calendar};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to create the store (default: the current directory).
    pub dir: Option<PathBuf>,
    /// The ticket ID prefix, in ASCII capitals.
    #[arg(long, default_value = "CW")]
    pub prefix: String,
    /// The store's IANA time zone, used for IDs, dates and SLA clocks.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub timezone: String,
    /// An agent as ID:NAME:ROLE[:EMAIL] (role: service, engineer, sales,
    /// supervisor, qa, or their Chinese names); repeatable; replaces the
    /// example team.
    #[arg(long = "agent", value_name = "ID:NAME:ROLE[:EMAIL]")]
    pub agents: Vec<String>,
    /// A holiday calendar desk ships, written into calendars/: `cn` (mainland
    /// China, with make-up workdays), or `none`. Default: `cn` in the zones of
    /// mainland China (Asia/Shanghai), else none.
    #[arg(long, value_name = "cn|none")]
    pub calendar: Option<String>,
    /// The automation rules written into desk.yaml: `default` (the seeds'
    /// routing: complaints to the supervisor, service requests to the
    /// engineers, consultations to the service agents) or `none`.
    #[arg(long, value_name = "default|none", default_value = "default")]
    pub rules: String,
}

pub fn run(args: &InitArgs, actor: &str, out: &mut dyn Write) -> Result<()> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut config = Config::seed_defaults();
    config.id_prefix = args.prefix.trim().to_string();
    if !crate::config::is_id_prefix(&config.id_prefix) {
        return Err(Error::invalid(
            "--prefix",
            &args.prefix,
            "expected ASCII capital letters, e.g. CW",
        ));
    }
    config.timezone = args.timezone.trim().to_string();
    config.tz()?;
    if !args.agents.is_empty() {
        config.agents = args
            .agents
            .iter()
            .map(|a| config.agent_from_spec(a))
            .collect::<Result<_>>()?;
    }
    match args.rules.trim() {
        "default" => {}
        "none" => config.rules = None,
        other => return Err(Error::invalid("--rules", other, "expected default or none")),
    }
    let calendar = match args.calendar.as_deref().map(str::trim) {
        Some(n) if n.eq_ignore_ascii_case("none") => None,
        Some(name) => Some(shipped_calendar(name).map(|_| name)?),
        None => default_calendar(&config.timezone),
    };
    let done = app::git_setup::init(&dir, &config, calendar, actor, super::notices());
    for step in &done.steps {
        message::say(&super::git_setup::describe(step));
    }
    let store = done.ended?;
    writeln!(out, "{}", store.root.display())?;
    if args.agents.is_empty() {
        message::say(&format!(
            "initialised a desk store in {} (edit desk.yaml to set your agents)",
            store.root.display()
        ));
    } else {
        message::say(&format!(
            "initialised a desk store in {} with {} agent(s)",
            store.root.display(),
            args.agents.len()
        ));
    }
    Ok(())
}
