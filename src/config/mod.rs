//! `desk.yaml`: the store's configuration. Enumerations (types, priorities,
//! channels, statuses, ...) are data, so a team can rename or extend them and
//! every command accepts the seeds' Chinese terms as aliases.

mod choice;
mod default_rules;
mod defaults;
mod holders;
mod sections;
mod settings;

pub use choice::{describe_choices, find_choice, resolve_choice, Choice};
pub use default_rules::{DEFAULT_RULES, DEFAULT_TEMPLATES};
pub use holders::holds_identity;
pub use sections::{
    Agent, CustomerConfig, Lang, ReportConfig, SearchConfig, SurveyConfig, ThemesConfig,
};
pub use settings::{is_id_prefix, Settings};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::Field;
use sections::DEFAULT_COMPLAINT;

/// The only format version this build writes; newer ones are refused.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub format: u32,
    #[serde(default = "defaults::default_prefix")]
    pub id_prefix: String,
    #[serde(default = "defaults::default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub types: Vec<Choice>,
    #[serde(default)]
    pub priorities: Vec<Choice>,
    #[serde(default)]
    pub channels: Vec<Choice>,
    #[serde(default)]
    pub statuses: Vec<Choice>,
    /// The roles agents can have (`role:` of each agent). Default: the seeds'
    /// roles and quality control (质检).
    #[serde(default = "defaults::default_roles")]
    pub roles: Vec<Choice>,
    #[serde(default)]
    pub agents: Vec<Agent>,
    /// Working hours, holidays and make-up workdays for working-time clocks.
    #[serde(default)]
    pub calendar: crate::sla::CalendarConfig,
    /// Response, update and resolution targets per priority.
    #[serde(default)]
    pub sla: crate::sla::SlaConfig,
    /// The satisfaction survey: dimensions scored 1..5, reopen threshold, window.
    #[serde(default)]
    pub survey: SurveyConfig,
    /// Customer IDs, sources and dormancy.
    #[serde(default)]
    pub customers: CustomerConfig,
    /// Encryption at rest of ID-card and bank-card numbers (`desk keys init`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::crypto::EncryptionConfig>,
    /// Settings of `desk report`; absent from a new store's desk.yaml.
    #[serde(default, skip_serializing_if = "ReportConfig::is_default")]
    pub report: ReportConfig,
    /// Settings of search: the similar cases named at intake.
    #[serde(default, skip_serializing_if = "SearchConfig::is_default")]
    pub search: SearchConfig,
    /// Automation rules (docs/automation.md), kept as written here and
    /// parsed by the commands that run them (`crate::rules::Rules::parse`),
    /// so that a bad rule stops those commands and `desk check`, not `list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<crate::yaml::Value>,
    /// How notifications are sent (docs/format.md, `mail:`); checked by
    /// `desk run` and `desk check` only (`app::mailer::mail_problem`), so a slip
    /// there hides no ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<crate::mail::MailConfig>,
    /// Sections added by later versions or by hand are kept untouched.
    #[serde(flatten)]
    pub extra: BTreeMap<String, crate::yaml::Value>,
}

impl Config {
    /// Parses and validates desk.yaml.
    pub fn parse(text: &str, path: &std::path::Path) -> Result<Self> {
        Config::load(text, path).map(|(config, _)| config)
    }

    /// Parses and validates desk.yaml, with what validation builds.
    pub fn load(text: &str, path: &std::path::Path) -> Result<(Config, Settings)> {
        let config: Config = crate::yaml::from_yaml(text, path)?;
        if config.format > FORMAT_VERSION {
            return Err(Error::Parse {
                path: path.into(),
                line: None,
                message: format!(
                    "format {} is newer than this desk understands ({}); upgrade desk",
                    config.format, FORMAT_VERSION
                ),
            });
        }
        let settings = config.settings(path)?;
        Ok((config, settings))
    }

    pub fn tz(&self) -> Result<chrono_tz::Tz> {
        self.timezone.parse().map_err(|_| {
            Error::invalid(
                "timezone",
                &self.timezone,
                "expected an IANA time zone name such as Asia/Shanghai",
            )
        })
    }

    pub fn choices(&self, field: Field) -> std::borrow::Cow<'_, [Choice]> {
        match field {
            Field::Type => (&self.types[..]).into(),
            Field::Priority => (&self.priorities[..]).into(),
            Field::Channel => (&self.channels[..]).into(),
            Field::Status => {
                if self.statuses.is_empty() {
                    Config::seed_defaults().statuses.into()
                } else {
                    (&self.statuses[..]).into()
                }
            }
        }
    }

    /// Resolves user input (key, label or alias, any case) to the canonical key.
    pub fn resolve(&self, field: Field, input: &str) -> Result<String> {
        resolve_choice(&self.choices(field), field.name(), input)
    }

    /// True when `key` is a canonical key of the enumeration.
    pub fn is_known(&self, field: Field, key: &str) -> bool {
        self.choices(field).iter().any(|c| c.key == key)
    }

    pub fn label(&self, field: Field, key: &str) -> Option<String> {
        self.choices(field)
            .iter()
            .find(|c| c.key == key)
            .and_then(|c| c.label.clone())
    }

    /// The keys of the types counted as complaints: `report.complaint_types`,
    /// else the type answering to `complaint` or `投诉` (none if no type does).
    pub fn complaint_types(&self) -> Vec<String> {
        let wanted: Vec<&str> = match &self.report.complaint_types {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => DEFAULT_COMPLAINT.to_vec(),
        };
        let mut keys: Vec<String> = Vec::new();
        for w in wanted {
            if let Some(c) = find_choice(&self.types, w) {
                if !keys.contains(&c.key) {
                    keys.push(c.key.clone());
                }
            }
        }
        keys
    }

    /// Position of a priority in the configured order (most urgent first).
    pub fn priority_rank(&self, key: &str) -> usize {
        self.priorities
            .iter()
            .position(|c| c.key == key)
            .unwrap_or(self.priorities.len())
    }

    /// The agent a user means: by ID (any case), name or e-mail address.
    pub fn agent(&self, who: &str) -> Option<&Agent> {
        let who = who.trim();
        self.agents.iter().find(|a| {
            a.id.eq_ignore_ascii_case(who)
                || a.name == who
                || a.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(who))
        })
    }

    /// The agent a user means for new work (an assignment, a customer's
    /// owner): a configured agent who is active. The error names the agents
    /// who can take it.
    pub fn assignable_agent(&self, who: &str) -> std::result::Result<&Agent, String> {
        let ids: Vec<&str> = self
            .agents
            .iter()
            .filter(|a| a.active)
            .map(|a| a.id.as_str())
            .collect();
        let offer = if ids.is_empty() {
            "no agent is active; set `active: true` or add an agent in desk.yaml".to_string()
        } else {
            format!(
                "expected one of the active agents in desk.yaml: {}",
                ids.join(", ")
            )
        };
        match self.agent(who) {
            Some(a) if a.active => Ok(a),
            Some(a) => Err(format!(
                "{} is inactive (`active: false` in desk.yaml); {offer}",
                a.id
            )),
            None => Err(offer),
        }
    }

    /// The agent ID a user means: any configured agent (by ID, name or
    /// e-mail) to find work, an active one for new work; any name at all
    /// when desk.yaml lists no agents.
    pub fn agent_id(&self, input: &str, for_new_work: bool) -> Result<String> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Error::invalid("agent", input, "an agent ID is required"));
        }
        if self.agents.is_empty() {
            return Ok(input.to_string());
        }
        match (for_new_work, self.agent(input)) {
            (false, Some(a)) => Ok(a.id.clone()),
            _ => self
                .assignable_agent(input)
                .map(|a| a.id.clone())
                .map_err(|why| Error::invalid("agent", input, why)),
        }
    }

    /// An agent from `ID:NAME:ROLE[:EMAIL]` (`desk init --agent`).
    pub fn agent_from_spec(&self, text: &str) -> Result<Agent> {
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        let bad = |why: &str| Error::invalid("--agent", text, why.to_string());
        if parts.len() < 3 || parts.len() > 4 || parts[..3].iter().any(|p| p.is_empty()) {
            return Err(bad(
                "expected ID:NAME:ROLE[:EMAIL], e.g. li.na:李娜:service",
            ));
        }
        if let Some(email) = parts.get(3) {
            crate::model::validate::email(email).map_err(|e| {
                let shown = format!(
                    "{}:{}",
                    parts[..3].join(":"),
                    crate::model::mask::email_as_typed(email)
                );
                Error::invalid(
                    "--agent",
                    shown,
                    format!("the e-mail after the third ':' is not valid: {e}"),
                )
            })?;
        }
        let role = self.resolve_role(parts[2]).map_err(|_| {
            bad(&format!(
                "the role must be one of {}",
                describe_choices(&self.roles)
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

    /// The role a user means (key, alias or label), as its key.
    pub fn resolve_role(&self, input: &str) -> Result<String> {
        resolve_choice(&self.roles, "role", input)
    }

    /// The agent a person is, by who they say they are (an actor name:
    /// ID or name) or else by their e-mail address (git's `user.email`);
    /// with what matched, for the message.
    pub fn agent_of<'a>(
        &self,
        actor: &'a str,
        email: Option<&'a str>,
    ) -> Option<(&Agent, &'a str)> {
        std::iter::once(actor)
            .chain(email)
            .filter(|w| !w.trim().is_empty())
            .find_map(|w| self.agent(w).map(|a| (a, w)))
    }

    /// The node number of an agent's clone: its `node:`, else its place
    /// (from 1) in `agents:`.
    pub fn node_of(&self, agent: &Agent) -> Option<u32> {
        agent.node.or_else(|| {
            let i = self.agents.iter().position(|a| a.id == agent.id)?;
            u32::try_from(i + 1).ok().filter(|n| *n <= 99)
        })
    }
}

/// `desk.yaml` as written by `desk init`: the values, after a short header.
pub fn render(config: &Config) -> String {
    // The default rules are written as their commented source, which reads
    // better than what the YAML writer makes of them.
    let default_rules: crate::yaml::Value =
        crate::yaml::from_str(DEFAULT_RULES).expect("the default rules parse");
    let literal = config.rules.as_ref() == Some(&default_rules);
    let mut shown = std::borrow::Cow::Borrowed(config);
    if literal {
        shown.to_mut().rules = None;
    }
    let body = crate::yaml::to_string(&shown).expect("config serialises");
    let rules = if literal {
        format!(
            "# Automation rules, run by the command that records the event (docs/automation.md).\n\
             rules:\n{}",
            DEFAULT_RULES
        )
    } else {
        String::new()
    };
    format!(
        "# desk store configuration (see docs/format.md).\n\
         # Keys are stored in ticket files; labels and aliases are accepted on input.\n{body}{rules}"
    )
}

#[cfg(test)]
mod tests {
    use super::choice::choice;
    use super::defaults::default_roles;
    use super::*;

    #[test]
    fn agents_are_found_by_id_name_or_email() {
        let mut c = Config::seed_defaults();
        c.agents[2].node = Some(7);
        let found = |actor, email| c.agent_of(actor, email).map(|(a, by)| (a.id.clone(), by));
        assert_eq!(found("LI.NA", None), Some(("li.na".into(), "LI.NA")));
        assert_eq!(found("王强", None), Some(("wang.qiang".into(), "王强")));
        assert_eq!(
            found("Zhao Min", Some("Zhao.Min@example.com")),
            Some(("zhao.min".into(), "Zhao.Min@example.com"))
        );
        assert_eq!(found("Liu Fang", Some("liu@example.com")), None);
        assert_eq!(found("", Some("")), None);
        assert_eq!(c.node_of(&c.agents[1]), Some(2));
        assert_eq!(c.node_of(&c.agents[2]), Some(7));
    }

    #[test]
    fn inactive_agents_are_found_but_not_assignable() {
        let mut c = Config::seed_defaults();
        c.agents[1].active = false;
        assert_eq!(c.agent("王强").map(|a| a.id.as_str()), Some("wang.qiang"));
        let err = c.assignable_agent("王强").unwrap_err();
        assert!(
            err.contains("wang.qiang is inactive") && err.contains("li.na, zhao.min, chen.jing"),
            "{err}"
        );
        assert!(c.assignable_agent("nobody").unwrap_err().contains("li.na"));
        assert_eq!(c.assignable_agent("li.na").unwrap().id, "li.na");
        for a in &mut c.agents {
            a.active = false;
        }
        let err = c.assignable_agent("li.na").unwrap_err();
        assert!(err.contains("no agent is active"), "{err}");
        for a in &mut c.agents {
            a.active = a.id != "wang.qiang";
        }
        // `active` is written only when false, so old files stay as they were.
        let text = render(&c);
        assert_eq!(text.matches("active: false").count(), 1, "{text}");
        assert!(!text.contains("active: true"));
    }

    #[test]
    fn roles_come_from_the_list_and_an_agent_needs_one_of_them() {
        let path = std::path::Path::new("desk.yaml");
        let mut c = Config::seed_defaults();
        assert_eq!(c.resolve_role("质检").unwrap(), "qa");
        assert_eq!(c.resolve_role("Agent").unwrap(), "service");
        assert!(c.resolve_role("auditor").is_err());
        c.agents[0].role = "auditor".into();
        let err = c.settings(path).unwrap_err().to_string();
        assert!(
            err.contains("role 'auditor' of 'li.na'")
                && err.contains("service, engineer, sales, supervisor, qa"),
            "{err}"
        );
        c.roles.push(choice("auditor", "审计", &[]));
        c.settings(path).unwrap();
        // Without `roles:` (files older than the key), the default list.
        let old = render(&Config::seed_defaults());
        let start = old.find("roles:\n").unwrap();
        let end = start + old[start..].find("agents:\n").unwrap();
        let old = format!("{}{}", &old[..start], &old[end..]);
        let parsed = Config::parse(&old, path).unwrap();
        assert_eq!(parsed.roles, default_roles());
        assert!(parsed.agents.iter().all(|a| a.active));
    }

    #[test]
    fn resolves_keys_labels_and_aliases() {
        let c = Config::seed_defaults();
        assert_eq!(c.resolve(Field::Type, "投诉").unwrap(), "complaint");
        assert_eq!(c.resolve(Field::Priority, "URGENT").unwrap(), "urgent");
        assert_eq!(c.resolve(Field::Channel, "电话").unwrap(), "phone");
        assert_eq!(c.resolve(Field::Status, "处理中").unwrap(), "in_progress");
        let err = c.resolve(Field::Priority, "asap").unwrap_err().to_string();
        assert!(
            err.contains("'asap'") && err.contains("urgent (紧急)"),
            "{err}"
        );
    }

    proptest::proptest! {
        #[test]
        fn customer_ids_round_trip(n in proptest::prelude::any::<u64>(), digits in 3usize..=12) {
            let config = CustomerConfig { id_digits: digits, ..Config::seed_defaults().customers };
            let id = config.format_id(n);
            proptest::prop_assert!(config.is_id(&id));
            proptest::prop_assert_eq!(id[config.id_prefix.len()..].parse::<u64>().ok(), Some(n));
        }

        #[test]
        fn telling_customer_ids_never_panics(text in "\\PC{0,30}|C[0-9]{0,25}") {
            let config = Config::seed_defaults().customers;
            if config.is_id(&text) {
                proptest::prop_assert!(text.len() > config.id_digits);
            }
        }
    }

    #[test]
    fn complaint_types_are_set_or_found_by_name() {
        let mut c = Config::seed_defaults();
        assert_eq!(c.complaint_types(), ["complaint"]);
        // A store whose keys are Chinese: found by the key 投诉.
        c.types = vec![choice("投诉", "Complaint", &[]), choice("咨询", "", &[])];
        assert_eq!(c.complaint_types(), ["投诉"]);
        // No such type: nothing counts as a complaint.
        c.types.remove(0);
        assert!(c.complaint_types().is_empty());
        // Set: by key, label or alias, each once, in the order given.
        let mut c = Config::seed_defaults();
        c.report.complaint_types = Some(vec!["需求".into(), "COMPLAINT".into(), "request".into()]);
        assert_eq!(c.complaint_types(), ["requirement", "complaint"]);
        let yaml = render(&c).replace("- 需求", "- outage");
        let err = Config::parse(&yaml, "desk.yaml".as_ref())
            .unwrap_err()
            .to_string();
        assert!(err.contains("report.complaint_types: 'outage'"), "{err}");
        // Unknown settings under `report:` survive a rewrite.
        let yaml = render(&Config::seed_defaults())
            + "report:\n  complaint_types: [complaint]\n  later: 1\n";
        let back = render(&Config::parse(&yaml, "desk.yaml".as_ref()).unwrap());
        assert!(back.contains("  later: 1"), "{back}");
        // What the report's mail and themes read is checked with the rest.
        for (setting, named) in [
            ("mail_to: [boss]", "report.mail_to"),
            ("themes: {rise_ratio: .nan}", "report.themes.rise_ratio"),
            ("themes: {rise_ratio: -2}", "report.themes.rise_ratio"),
            ("lang: fr", "report.lang"),
        ] {
            let yaml = render(&Config::seed_defaults()) + "report:\n  " + setting + "\n";
            let err = Config::parse(&yaml, "desk.yaml".as_ref())
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{setting}: {err}");
        }
        let yaml = render(&Config::seed_defaults())
            + "report:\n  mail_to: [陈静 <chen.jing@example.com>]\n  \
               themes: {rise_ratio: 1.5}\n";
        Config::parse(&yaml, "desk.yaml".as_ref()).unwrap();
        // A new store's desk.yaml has no `report:` section.
        assert!(!render(&Config::seed_defaults()).contains("report:"));
    }
}
