//! `desk.yaml`: the store's configuration. Enumerations (types, priorities,
//! channels, statuses, ...) are data, so a team can rename or extend them and
//! every command accepts the seeds' Chinese terms as aliases.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The only format version this build writes; newer ones are refused.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub format: u32,
    #[serde(default = "default_prefix")]
    pub id_prefix: String,
    #[serde(default = "default_timezone")]
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
    #[serde(default = "default_roles")]
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
    /// Automation rules (docs/automation.md), kept as written here and
    /// parsed by the commands that run them (`crate::rules::Rules::parse`),
    /// so that a bad rule stops those commands and `desk check`, not `list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<serde_yaml::Value>,
    /// How notifications are sent (docs/format.md, `mail:`); checked when
    /// desk.yaml is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<crate::mail::MailConfig>,
    /// Sections added by later versions or by hand are kept untouched.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_yaml::Value>,
}

fn default_prefix() -> String {
    "CW".into()
}
fn default_timezone() -> String {
    "Asia/Shanghai".into()
}

/// One value of an enumeration: the canonical key stored in files, a label
/// for people, and aliases accepted on input.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Choice {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SurveyConfig {
    /// Scored 1..5 (5 = very satisfied); every one must be scored.
    pub dimensions: Vec<Choice>,
    /// A score at or below this means the customer is unsatisfied: reopen.
    #[serde(default = "default_threshold")]
    pub threshold: u8,
    /// Hours after the close within which the survey is due (seed: 24).
    #[serde(default = "default_window")]
    pub window_hours: u32,
}

fn default_threshold() -> u8 {
    2
}
fn default_window() -> u32 {
    24
}

impl Default for SurveyConfig {
    /// Seed 000's three dimensions.
    fn default() -> Self {
        SurveyConfig {
            dimensions: vec![
                choice(
                    "efficiency",
                    "问题解决效率",
                    &["解决效率", "效率", "resolution-efficiency"],
                ),
                choice("attitude", "服务态度", &["态度", "service-attitude"]),
                choice("solution", "方案合理性", &["方案", "reasonableness"]),
            ],
            threshold: default_threshold(),
            window_hours: default_window(),
        }
    }
}

impl SurveyConfig {
    pub fn resolve(&self, input: &str) -> Result<String> {
        find_choice(&self.dimensions, input)
            .map(|c| c.key.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "survey dimension",
                    input,
                    format!("expected one of {}", describe_choices(&self.dimensions)),
                )
            })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReportConfig {
    /// The types whose tickets the report's `customers` section counts as
    /// complaints (keys, labels or aliases). Absent: the type that answers
    /// to `complaint` or `投诉`, if the store has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_types: Option<Vec<String>>,
    /// Settings added by later versions or by hand are kept untouched.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_yaml::Value>,
}

impl ReportConfig {
    fn is_default(&self) -> bool {
        *self == ReportConfig::default()
    }
}

/// What the complaint type of `desk init` answers to (its key and label).
const DEFAULT_COMPLAINT: [&str; 2] = ["complaint", "投诉"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomerConfig {
    /// Customer IDs are this prefix and `id_digits` digits, zero-padded (C000001).
    #[serde(default = "default_customer_prefix")]
    pub id_prefix: String,
    #[serde(default = "default_customer_digits")]
    pub id_digits: usize,
    /// Where customers come from (信息来源).
    #[serde(default = "default_sources")]
    pub sources: Vec<Choice>,
    /// No ticket activity and no contact for this long makes a customer
    /// dormant (待激活): `6m`, `180d`, `26w`, `1y`.
    #[serde(default = "default_dormant_after")]
    pub dormant_after: String,
}

fn default_customer_prefix() -> String {
    "C".into()
}
fn default_customer_digits() -> usize {
    6
}
fn default_dormant_after() -> String {
    "6m".into()
}
fn default_sources() -> Vec<Choice> {
    vec![
        choice("phone", "电话咨询", &["电话", "call", "hotline"]),
        choice("website", "官网注册", &["官网", "web", "signup"]),
        choice("referral", "渠道推荐", &["推荐", "channel", "partner"]),
        choice("import", "导入", &["批量导入"]),
        choice("visit", "到访", &["上门", "来访"]),
        choice("social", "社交媒体", &["微信", "微博", "wechat", "weibo"]),
        choice("other", "其他", &[]),
    ]
}

impl Default for CustomerConfig {
    fn default() -> Self {
        CustomerConfig {
            id_prefix: default_customer_prefix(),
            id_digits: default_customer_digits(),
            sources: default_sources(),
            dormant_after: default_dormant_after(),
        }
    }
}

impl CustomerConfig {
    /// True when `id` has the configured shape (C000001): the prefix and at
    /// least `id_digits` digits (more once the numbers outgrow them).
    /// A customer ID as desk writes it: the prefix and the number with
    /// exactly the padding `format_id` gives (so C0000001 is not a second
    /// C000001), within a u64.
    pub fn is_id(&self, id: &str) -> bool {
        id.strip_prefix(&self.id_prefix).is_some_and(|digits| {
            digits.len() >= self.id_digits
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u64>().is_ok_and(|n| self.format_id(n) == id)
        })
    }

    pub fn format_id(&self, serial: u64) -> String {
        format!(
            "{}{:0width$}",
            self.id_prefix,
            serial,
            width = self.id_digits
        )
    }

    pub fn resolve_source(&self, input: &str) -> Result<String> {
        find_choice(&self.sources, input)
            .map(|c| c.key.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "source",
                    input,
                    format!("expected one of {}", describe_choices(&self.sources)),
                )
            })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    /// A key of `roles:`.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The node number (1-99) of this agent's clone: new IDs created there
    /// end in it (see docs/git.md). Default: the agent's place in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// `false` once the agent has left: kept for the history (their tickets,
    /// reports, node number), refused for new work.
    #[serde(default = "active", skip_serializing_if = "is_active")]
    pub active: bool,
    /// Away (on leave, gone): rules route no new tickets to this agent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub away: bool,
}

fn active() -> bool {
    true
}

fn is_active(active: &bool) -> bool {
    *active
}

/// The roles of the seeds, and quality control, which teams add most.
fn default_roles() -> Vec<Choice> {
    vec![
        choice("service", "客服", &["agent", "客服人员"]),
        choice("engineer", "工程师", &["售后工程师"]),
        choice("sales", "销售", &["销售代表"]),
        choice("supervisor", "主管", &["客服主管"]),
        choice("qa", "质检", &["quality", "质检员"]),
    ]
}

/// Which enumeration a value belongs to; used for lookups and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Type,
    Priority,
    Channel,
    Status,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Priority => "priority",
            Field::Channel => "channel",
            Field::Status => "status",
        }
    }

    /// The key of the field's list in desk.yaml.
    pub fn plural(self) -> &'static str {
        match self {
            Field::Type => "types",
            Field::Priority => "priorities",
            Field::Channel => "channels",
            Field::Status => "statuses",
        }
    }
}

fn choice(key: &str, label: &str, aliases: &[&str]) -> Choice {
    Choice {
        key: key.into(),
        label: Some(label.into()),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
    }
}

fn agent(id: &str, name: &str, role: &str) -> Agent {
    Agent {
        id: id.into(),
        name: name.into(),
        role: role.into(),
        email: Some(format!("{id}@example.com")),
        node: None,
        active: true,
        away: false,
    }
}

impl Config {
    /// The defaults of `desk init`, taken from the seeds.
    pub fn seed_defaults() -> Self {
        Config {
            format: FORMAT_VERSION,
            id_prefix: default_prefix(),
            timezone: default_timezone(),
            types: vec![
                choice("consultation", "咨询", &["consult", "question", "inquiry"]),
                choice("complaint", "投诉", &[]),
                choice("suggestion", "建议", &[]),
                choice("requirement", "需求", &["request"]),
                choice("service", "服务", &[]),
                choice("cooperation", "合作", &[]),
            ],
            priorities: vec![
                choice("urgent", "紧急", &["p1"]),
                choice("important", "重要", &["high", "p2"]),
                choice("normal", "一般", &["routine", "常规", "p3"]),
            ],
            channels: vec![
                choice("phone", "电话", &["call", "热线"]),
                choice("email", "邮件", &["e-mail", "mail", "邮箱"]),
                choice("chat", "在线客服", &["online", "在线", "im"]),
                choice("portal", "自助服务平台", &["self-service", "web", "自助"]),
                choice("visit", "上门", &["onsite", "来访", "走访"]),
                choice("social", "社交媒体", &["weibo", "wechat", "微信", "微博"]),
            ],
            statuses: vec![
                choice("open", "待受理", &["new"]),
                choice(
                    "in_progress",
                    "处理中",
                    &["in-progress", "progress", "working"],
                ),
                choice("pending", "待客户回复", &["waiting", "挂起", "等待客户"]),
                choice("closed", "已关闭", &["done", "resolved", "已完成"]),
            ],
            // Example team, one agent per role of the seeds; edit to match yours.
            roles: default_roles(),
            agents: vec![
                agent("li.na", "李娜", "service"),
                agent("wang.qiang", "王强", "engineer"),
                agent("zhao.min", "赵敏", "sales"),
                agent("chen.jing", "陈静", "supervisor"),
            ],
            calendar: Default::default(),
            sla: Default::default(),
            survey: Default::default(),
            customers: Default::default(),
            encryption: None,
            report: ReportConfig::default(),
            rules: Some(
                serde_yaml::from_str(crate::rules::DEFAULT_RULES).expect("the default rules parse"),
            ),
            mail: None,
            extra: BTreeMap::new(),
        }
    }

    pub fn parse(text: &str, path: &std::path::Path) -> Result<Self> {
        let config: Config = crate::store::from_yaml(text, path)?;
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
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &std::path::Path) -> Result<()> {
        let bad = |message: String| Error::Parse {
            path: path.into(),
            line: None,
            message,
        };
        for (field, list) in [
            (Field::Type, &self.types),
            (Field::Priority, &self.priorities),
            (Field::Channel, &self.channels),
        ] {
            if list.is_empty() {
                return Err(bad(format!(
                    "`{}:` must list at least one value",
                    field.plural()
                )));
            }
        }
        for status in &self.statuses {
            if crate::model::Status::from_key(&status.key).is_none() {
                return Err(bad(format!(
                    "statuses: unknown key '{}'; the statuses are open, in_progress, pending, closed (add aliases or labels instead)",
                    status.key
                )));
            }
        }
        if self.id_prefix.is_empty() || !self.id_prefix.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(bad(format!(
                "id_prefix '{}' must be one or more ASCII capital letters",
                self.id_prefix
            )));
        }
        let tz = self.tz().map_err(|_| {
            bad(format!(
                "timezone '{}' is not an IANA time zone name (e.g. Asia/Shanghai)",
                self.timezone
            ))
        })?;
        if self.survey.dimensions.is_empty() {
            return Err(bad("survey.dimensions: list at least one dimension".into()));
        }
        if !(1..5).contains(&self.survey.threshold) {
            return Err(bad(format!(
                "survey.threshold: {} must be from 1 to 4 (scores at or below it reopen the ticket)",
                self.survey.threshold
            )));
        }
        let customers = &self.customers;
        if customers.id_prefix.is_empty()
            || !customers.id_prefix.chars().all(|c| c.is_ascii_uppercase())
            || !(3..=12).contains(&customers.id_digits)
        {
            return Err(bad(format!(
                "customers: id_prefix '{}' must be ASCII capital letters and id_digits {} from 3 to 12",
                customers.id_prefix, customers.id_digits
            )));
        }
        if customers.id_prefix == self.id_prefix {
            return Err(bad(format!(
                "customers.id_prefix '{}' must differ from the ticket id_prefix '{}'",
                customers.id_prefix, self.id_prefix
            )));
        }
        let mut nodes = std::collections::BTreeSet::new();
        for (i, a) in self.agents.iter().enumerate() {
            // An agent is found by ID (any case), name or e-mail: each must
            // name one agent only, and none may pass for a rule's events.
            if a.id.trim().is_empty()
                || a.id.starts_with(crate::model::RULE_PREFIX)
                || a.id.chars().any(char::is_control)
            {
                return Err(bad(format!(
                    "agents: '{}' is not an agent ID: it must be non-empty, without control \
                     characters, and not begin with '{}' (what rules record)",
                    crate::output::visible(&a.id),
                    crate::model::RULE_PREFIX
                )));
            }
            if let Some(other) = self.agents[..i].iter().find(|o| {
                o.id.eq_ignore_ascii_case(&a.id)
                    || o.name == a.id
                    || a.name == o.id
                    || (!a.name.is_empty() && o.name == a.name)
            }) {
                return Err(bad(format!(
                    "agents: '{}' and '{}' could be taken for each other (IDs are matched in any \
                     case, and an agent is also found by name); give each agent its own ID and name",
                    a.id, other.id
                )));
            }
            if !self.roles.iter().any(|r| r.key == a.role) {
                return Err(bad(format!(
                    "agents: role '{}' of '{}' is not in `roles:`; expected one of {}",
                    a.role,
                    a.id,
                    self.roles
                        .iter()
                        .map(|r| r.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if let Some(n) = a.node {
                if !(1..=99).contains(&n) || !nodes.insert(n) {
                    return Err(bad(format!(
                        "agents: node {n} of '{}' must be from 1 to 99 and not used by another agent",
                        a.id
                    )));
                }
            }
        }
        crate::clock::parse_span(&customers.dormant_after)
            .map_err(|e| bad(format!("customers.dormant_after: {e}")))?;
        if let Some(enc) = &self.encryption {
            if enc.recipients.is_empty() {
                return Err(bad(
                    "encryption.recipients: list at least one age public key".into(),
                ));
            }
            crate::crypto::parse_recipients(&enc.recipients)
                .map_err(|e| bad(format!("encryption: {e}")))?;
        }
        if let Some(types) = &self.report.complaint_types {
            for t in types {
                if find_choice(&self.types, t).is_none() {
                    return Err(bad(format!(
                        "report.complaint_types: '{t}' is not a type; expected one of {}",
                        describe_choices(&self.types)
                    )));
                }
            }
        }
        if let Some(mail) = &self.mail {
            let root = path.parent().unwrap_or(std::path::Path::new(""));
            mail.settings_in(root).map_err(bad)?;
        }
        let calendar = self.calendar.build(tz, &[]).map_err(bad)?;
        let priorities: Vec<String> = self.priorities.iter().map(|c| c.key.clone()).collect();
        self.sla.build(&calendar, &priorities).map_err(bad)?;
        Ok(())
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
        let choices = self.choices(field);
        match find_choice(&choices, input) {
            Some(c) => Ok(c.key.clone()),
            None => Err(Error::invalid(
                field.name(),
                input,
                format!("expected one of {}", describe_choices(&choices)),
            )),
        }
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

    /// The role a user means (key, alias or label), as its key.
    pub fn resolve_role(&self, input: &str) -> Result<String> {
        find_choice(&self.roles, input)
            .map(|c| c.key.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "role",
                    input,
                    format!("expected one of {}", describe_choices(&self.roles)),
                )
            })
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

/// The choice a user meant: its key or an alias in any case, or its label.
pub fn find_choice<'a>(choices: &'a [Choice], input: &str) -> Option<&'a Choice> {
    let wanted = input.trim();
    choices.iter().find(|c| {
        c.key.eq_ignore_ascii_case(wanted)
            || c.label.as_deref() == Some(wanted)
            || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
    })
}

pub fn describe_choices(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| match &c.label {
            Some(l) => format!("{} ({l})", c.key),
            None => c.key.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `desk.yaml` as written by `desk init`: the values, after a short header.
pub fn render(config: &Config) -> String {
    // The default rules are written as their commented source, which reads
    // better than what serde_yaml makes of them.
    let default_rules: serde_yaml::Value =
        serde_yaml::from_str(crate::rules::DEFAULT_RULES).expect("the default rules parse");
    let literal = config.rules.as_ref() == Some(&default_rules);
    let mut shown = std::borrow::Cow::Borrowed(config);
    if literal {
        shown.to_mut().rules = None;
    }
    let body = serde_yaml::to_string(&shown).expect("config serialises");
    let rules = if literal {
        format!(
            "# Automation rules, run by the command that records the event (docs/automation.md).\n\
             rules:\n{}",
            crate::rules::DEFAULT_RULES
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
        let err = c.validate(path).unwrap_err().to_string();
        assert!(
            err.contains("role 'auditor' of 'li.na'")
                && err.contains("service, engineer, sales, supervisor, qa"),
            "{err}"
        );
        c.roles.push(choice("auditor", "审计", &[]));
        c.validate(path).unwrap();
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
        // A new store's desk.yaml has no `report:` section.
        assert!(!render(&Config::seed_defaults()).contains("report:"));
    }
}
