use std::io::Write;
use std::path::PathBuf;

use crate::config::{Agent, Config};
use crate::error::{Error, Result};
use crate::output::message;
use crate::store::{default_calendar, shipped_calendar, Store};

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
    if config.id_prefix.is_empty() || !config.id_prefix.chars().all(|c| c.is_ascii_uppercase()) {
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
            .map(|a| parse_agent(&config, a))
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
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let store = Store::init(&dir, &config)?;
    if let Some(name) = calendar {
        for path in store.install_calendar(name)? {
            message::say(&format!(
                "installed the holiday calendar {} (`--calendar none` leaves it out)",
                path.display()
            ));
        }
    }
    // Inside a git work tree, set up the merge driver at once (docs/git.md).
    if store.git_state()?.toplevel.is_some() {
        for line in super::git_setup::setup(&store)? {
            message::say(&line);
        }
        let email = store.git_user_email();
        let (node, agent) = match store.config.agent_of(actor, email.as_deref()) {
            Some((agent, by)) => {
                message::say(&format!(
                    "you are agent {} ({}), matched by '{by}'",
                    agent.id, agent.name
                ));
                (store.config.node_of(agent), Some(agent.id.as_str()))
            }
            // The store's creator need not be an agent: a number no agent has.
            None => (store.free_node(&[]), None),
        };
        match node {
            Some(node) => {
                store.set_node(node)?;
                let now = crate::clock::now(store.tz)?;
                let claim = store.claim_node(node, agent, &now.to_string())?;
                message::say(&format!(
                    "this clone's node number is {node} (recorded in {}); every other clone \
                     runs `desk git-setup` once",
                    claim.display()
                ));
            }
            None => message::say(
                "run `desk git-setup --node N` here, and `desk git-setup` in every other clone",
            ),
        }
    }
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

fn parse_agent(config: &Config, text: &str) -> Result<Agent> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let bad = |why: &str| Error::invalid("--agent", text, why.to_string());
    if parts.len() < 3 || parts.len() > 4 || parts[..3].iter().any(|p| p.is_empty()) {
        return Err(bad(
            "expected ID:NAME:ROLE[:EMAIL], e.g. li.na:李娜:service",
        ));
    }
    let role = config.resolve_role(parts[2]).map_err(|_| {
        bad(&format!(
            "the role must be one of {}",
            crate::config::describe_choices(&config.roles)
        ))
    })?;
    Ok(Agent {
        id: parts[0].to_string(),
        name: parts[1].to_string(),
        role,
        email: parts.get(3).map(|e| e.to_string()),
        node: None,
        active: true,
        away: false,
    })
}
