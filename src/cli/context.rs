//! The context of a command on a store: the store, who acts (asked of git
//! only by the commands that record it), the time and the terminal, and the
//! lookups every command makes through it (IDs, agents, values of fields).

use super::*;

/// What every command that works on a store needs.
pub struct Context {
    pub store: Store,
    /// `--actor` / `DESK_ACTOR` as given; the rest of who is acting is found
    /// (asking git) only by commands that record it.
    actor_arg: Option<String>,
    given_actor: std::sync::OnceLock<String>,
    actor: std::sync::OnceLock<String>,
    pub now: Timestamp,
    pub term: Terminal,
}

impl Context {
    pub(super) fn open(cli: &Cli) -> Result<Context> {
        let root = Store::find_root(cli.dir.as_deref())?;
        let store = match cli.command.as_of() {
            Some(revision) => Store::open_at(root, revision)?,
            None => Store::open(root)?,
        }
        .with_notices(notices());
        let now = clock::now(store.settings.tz)?;
        if let Some(a) = cli.actor.as_deref() {
            crate::model::check_actor(a)?;
        }
        Ok(Context {
            store,
            actor_arg: cli.actor.clone(),
            given_actor: std::sync::OnceLock::new(),
            actor: std::sync::OnceLock::new(),
            now,
            term: Terminal {
                csv_raw: cli.csv_raw,
                ..Terminal::detect()
            },
        })
    }

    /// Who is acting, as given (`--actor`, `DESK_ACTOR`, git's user.name).
    pub fn given_actor(&self) -> &str {
        self.given_actor
            .get_or_init(|| actor_of(self.actor_arg.as_deref(), &self.store.root))
    }

    /// Who is acting, as events record it: the agent's ID when the actor is
    /// an agent of desk.yaml, so history and assignments name people alike.
    pub fn actor(&self) -> &str {
        self.actor.get_or_init(|| {
            recorded_actor(&self.store, self.actor_arg.as_deref(), self.given_actor())
        })
    }

    /// The time of an event: `--at` if given (not in the future), else now.
    pub fn event_time(&self, at: Option<&str>) -> Result<Timestamp> {
        clock::event_time(at, self.now, self.store.settings.tz)
    }

    /// `--now TIME` of the reading commands, else now.
    pub fn now_or(&self, given: Option<&str>) -> Result<Timestamp> {
        given.map_or(Ok(self.now), |t| {
            clock::parse_time(t, self.store.settings.tz)
        })
    }

    pub fn ticket_id(&self, input: &str) -> Result<TicketId> {
        let today = self
            .now
            .0
            .with_timezone(&self.store.settings.tz)
            .date_naive();
        self.store.resolve_ticket_id(input, today)
    }

    pub fn resolve(&self, field: Field, input: &str) -> Result<String> {
        self.store.config.resolve(field, input)
    }

    /// Loads, changes and writes a ticket with what the rules of desk.yaml
    /// do on its new events, telling the user about hand edits recorded on
    /// the way and about the rules.
    pub fn modify(
        &self,
        input: &str,
        at: Option<&str>,
        change: impl FnOnce(&mut Ticket, Timestamp, &str) -> Result<()>,
    ) -> Result<Ticket> {
        let id = self.ticket_id(input)?;
        let at = self.event_time(at)?;
        let (ticket, adopted, outcomes) =
            app::rules::modify_ticket_by_rules(&self.store, &id, at, self.actor(), |t| {
                change(t, at, self.actor())
            })?;
        if adopted > 0 {
            message::note(&format!(
                "{id}: recorded {adopted} hand edit(s) of the file as `edited` events"
            ));
        }
        tell_rules(&ticket.id, &outcomes);
        self.deliver_at_once(&ticket.id, &outcomes);
        // Dated before events already recorded (`--at`, a call logged after
        // the fact): its rules ran, on the ticket as it was at that time,
        // and what they did is dated with the latest event.
        if let Some(latest) = ticket.last_at().filter(|latest| *latest > at) {
            let acted = if outcomes.is_empty() {
                "none acted".to_string()
            } else {
                format!("what they did is dated {}", latest.short())
            };
            message::note(&format!(
                "{id}: dated {}, before the ticket's later events (the latest at {}), so it \
                 goes in its place in the history; the rules it triggers were judged on the \
                 ticket as it was then ({acted}), and time rules see it at the next `desk run`",
                at.short(),
                latest.short()
            ));
        }
        Ok(ticket)
    }

    /// Delivers at once the e-mail notices that `outcomes` (of the
    /// command's rules) queued for `ticket`, when mail is configured
    /// (docs/automation.md, "At once"), telling each on stderr. Whatever
    /// happens, the command's own change stands and it succeeds: what is
    /// not delivered now is left for `desk run`, which says so.
    pub fn deliver_at_once(&self, ticket: &str, outcomes: &[crate::rules::Outcome]) {
        let keys: Vec<String> = outcomes
            .iter()
            .filter_map(|o| match o {
                crate::rules::Outcome::Queued { key, .. } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let Some(id) = TicketId::parse(ticket) else {
            return;
        };
        let tz = self.store.settings.tz;
        match app::run::deliver_at_once(&self.store, &id, &keys, self.now, self.actor()) {
            Ok(None) => {}
            Ok(Some(app::AtOnce::Tried(attempts))) => {
                for a in &attempts {
                    run::tell_attempt(a, tz, false);
                    if let app::AttemptOutcome::Failed { next: Some(_), .. } = a.outcome {
                        message::note(&format!(
                            "{ticket}: the notice will be retried by `desk run` ({})",
                            a.key
                        ));
                    }
                }
            }
            Ok(Some(app::AtOnce::Left { count, why })) => message::note(&format!(
                "{ticket}: {count} notice(s) left for `desk run` to deliver: {why}"
            )),
            Err(e) => message::warn(&format!(
                "{ticket}: notices not delivered at once, left for `desk run`: {e}"
            )),
        }
    }

    /// Warns, once, when the SMTP password file that `mail:` names is open
    /// to others (`desk run` and `desk check`, which read `mail:`).
    pub fn warn_exposed_password(&self) {
        static WARNED: std::sync::Once = std::sync::Once::new();
        let mail = self.store.config.mail.as_ref();
        if let Some(warning) = mail.and_then(|m| m.password_warning()) {
            WARNED.call_once(|| message::warn(&warning));
        }
    }

    /// The keyring of the store (see [`Store::keyring`]), warning first when
    /// the key file is open to others.
    pub fn keyring(&self) -> Result<crate::crypto::Keyring> {
        for warning in crate::store::key_file_warnings() {
            message::warn(&warning);
        }
        self.store.keyring()
    }

    /// A customer ID that must name an existing customer (new tickets, edits).
    pub fn existing_customer(&self, input: &str) -> Result<String> {
        let id = self.store.customer_id(input)?;
        if !self.store.customer_exists(&id) {
            return Err(Error::NotFound {
                what: "customer",
                id,
            });
        }
        Ok(id)
    }

    /// The agent ID for user input, to find work (filters): any configured
    /// agent, active or not; any name when no agents are configured.
    pub fn agent(&self, input: &str) -> Result<String> {
        self.agent_for(input, false)
    }

    /// The agent ID for new work (assignments, customer owners): an agent
    /// who left (`active: false`) is refused.
    pub fn assignable_agent(&self, input: &str) -> Result<String> {
        self.agent_for(input, true)
    }

    fn agent_for(&self, input: &str, new_work: bool) -> Result<String> {
        self.store.config.agent_id(input, new_work)
    }
}

/// Values typed for a ticket's fields are looked up in this store.
impl crate::model::ticket_input::TicketLookup for Context {
    fn choice(&self, field: Field, input: &str) -> Result<String> {
        self.resolve(field, input)
    }
    fn customer(&self, input: &str) -> Result<String> {
        self.existing_customer(input)
    }
}

/// `--actor` / `DESK_ACTOR`, else git's user.name (the config of the
/// repository holding `dir`, then the user's), else the login name.
pub(super) fn actor_of(arg: Option<&str>, dir: &std::path::Path) -> String {
    arg.map(str::to_string)
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| default_actor(dir))
        .trim()
        .to_string()
}

/// The agent ID of the actor when it names an agent (by ID, name or, when
/// the actor is git's user.name, git's user.email), else the actor as given.
fn recorded_actor(store: &Store, arg: Option<&str>, given: &str) -> String {
    if let Some(agent) = store.config.agent(given) {
        return agent.id.clone();
    }
    let from_git = arg.is_none_or(|a| a.trim().is_empty());
    from_git
        .then(|| store.git_user_email())
        .flatten()
        .and_then(|email| store.config.agent(&email).map(|a| a.id.clone()))
        .unwrap_or_else(|| given.to_string())
}

/// git's user.name, else the login name.
fn default_actor(dir: &std::path::Path) -> String {
    crate::store::git_user_name(dir)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
