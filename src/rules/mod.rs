//! Automation rules (`rules:` in desk.yaml, see docs/automation.md): parsed
//! once into typed values checked against the configuration, and evaluated
//! purely — `(rule, event, ticket before and after, facts) → actions`. The
//! store loads the rules and supplies the facts; nothing here reads files.

mod delivery;
mod eval;
mod idle;
mod parse;
pub mod template;
mod time;

pub use delivery::{explain, Work};
pub use eval::{
    apply, cause_key, choose, first_available, holds_now, plan, queue, Facts, Load, Outcome,
    Planned, Target, CUSTOMER,
};
pub use parse::{valid_name, RuleError};
pub use time::{
    callback_ticket, due, due_customer, fired_event, has_fired, holds_on_summary,
    key_firing_events, plan_firing, CustomerFacts, Firing, SlaFact, TimeFacts,
};

use crate::clock::Span;
use crate::model::Action;
use crate::sla::{ClockState, TargetKind};

/// Who a rule's events are recorded as: `by: rule:NAME`.
pub use crate::model::RULE_PREFIX as BY_PREFIX;

/// The rules of `desk init`'s desk.yaml: the seeds' routing, for every
/// type of the shipped list (complaints to the supervisor, technical faults
/// — service requests — to the engineers in turn, consultations to the
/// service agents, suggestions, requirements and cooperation to sales), each
/// with a fallback role for when everyone of the first is away, and each
/// telling the agent it picked; the assignee told of a ticket assigned by
/// hand; the supervisors told of a ticket no one holds, of an unsatisfied
/// survey and of a ticket waiting long on the customer; and the seeds'
/// escalation and reminders (time rules). A ticket created with `--assign`
/// is left alone by the routing.
pub const DEFAULT_RULES: &str = "\
# Routing (seeds 000 and 004): each type to the role that handles it, unless
# assigned with --assign; when every agent of that role is away (away: true)
# or gone, to the next role of the list. Whoever is picked is told by e-mail
# (seed 000's task reminder).
# Complaints (投诉) go to a supervisor (seed 004), else to a service agent.
- name: complaints-to-supervisor
  when: created
  if:
    type: complaint
    assignee: {set: false}
  then:
  - assign: {role: [supervisor, service], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Technical faults, recorded as service requests (服务: repair, installation,
# maintenance), go to the after-sales engineers in turn, else a supervisor.
- name: faults-to-engineers
  when: created
  if:
    type: service
    assignee: {set: false}
  then:
  - assign: {role: [engineer, supervisor], strategy: round_robin}
  - notify: {to: assignee, template: assigned}
# Consultations (咨询) go to the service agent with the fewest open tickets,
# else a supervisor.
- name: consultations-to-service
  when: created
  if:
    type: consultation
    assignee: {set: false}
  then:
  - assign: {role: [service, supervisor], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Suggestions (建议), requirements (需求) and cooperation (合作) go to sales, who
# assess them with the customer (seed 000: 需求/建议类由销售代表评估; seed 004:
# 合作类由销售牵头), else a supervisor.
- name: needs-to-sales
  when: created
  if:
    type: [suggestion, requirement, cooperation]
    assignee: {set: false}
  then:
  - assign: {role: [sales, supervisor], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Seed 000: a task reminder to whoever a ticket is assigned to by hand
# (desk assign, desk new --assign). Rules' own assignments notify above.
- name: notify-assignee
  when: [created, assigned]
  if:
    assignee: {set: true}
  then:
  - notify: {to: assignee, template: assigned}
# A ticket no one holds 15 minutes after it came in (everyone of its roles
# away, or a type no rule routes) is told to the supervisors, else to the
# first role with someone available, by the next desk run.
- name: unassigned-to-supervisor
  when: {unassigned_for: 15m}
  then:
  - notify: {to: {role: [supervisor, service, engineer, sales]}, template: unassigned}
# An urgent ticket past its resolution target goes up to the supervisors.
- name: urgent-breach-to-supervisor
  when: {sla: resolution, state: breached}
  if:
    priority: urgent
  then:
  - notify: {to: {role: supervisor}, template: escalation}
# Seed 000: progress every 24 hours; the assignee is reminded.
- name: progress-overdue
  when: {no_progress_for: 24h}
  then:
  - notify: {to: assignee, template: progress, digest: true}
# Waiting on the customer (待客户回复) for three days: the assignee is reminded
# to chase, and the supervisors see it.
- name: pending-too-long
  when: {pending_for: 3d}
  then:
  - notify: {to: [assignee, {role: supervisor}], template: pending, digest: true}
# Seed 000: the survey within 24 hours of the result (survey.window_hours);
# the assignee is reminded while 4 hours of the window are left, so the
# ticket is still on `desk survey --due`.
- name: survey-reminder
  when: {survey_window_left: 4h}
  then:
  - notify: {to: assignee, template: survey}
# Seed 000: an unsatisfied customer reopens the ticket; its assignee and the
# supervisors are told, to find the cause and adjust the plan.
- name: unsatisfied-survey-to-supervisor
  when: surveyed
  if:
    survey.unsatisfied: true
  then:
  - notify: {to: [assignee, {role: supervisor}], template: unsatisfied}
# Seed 002: a customer with no ticket and no contact for six months (待激活)
# gets a call-back ticket, for the customer's owner (else routed as a
# consultation), who is told as of any new ticket.
- name: dormant-callback
  when: {dormant_for: 6m}
  then:
  - open: {type: consultation, priority: normal, channel: phone, title: 待激活客户回访 / Call back a dormant customer, tags: [待激活]}
";

/// The message templates of [`DEFAULT_RULES`], written by `desk init` into
/// `templates/NAME.txt`: Chinese, then English.
pub const DEFAULT_TEMPLATES: [(&str, &str); 7] = [
    (
        "assigned",
        "Subject: [{{ ticket.id }}] {% if ticket.assignee in recipient.ids %}新工单已分派给您 / New ticket assigned to you{% else %}工单已转交他人 / Ticket now with someone else{% endif %}: {{ ticket.title }}

{{ recipient.name }}，您好：

{% if ticket.assignee in recipient.ids %}工单 {{ ticket.id }} 已分派给您，请及时处理。{% else %}工单 {{ ticket.id }} 曾分派给您，现由 {{ ticket.assignee_name or '（未分派）' }} 处理，您无需跟进。{% endif %}

  标题：{{ ticket.title }}
  类型：{{ ticket.type_label }}    优先级：{{ ticket.priority_label }}    渠道：{{ ticket.channel_label }}
  客户：{{ customer.name }}
  创建：{{ ticket.created }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}
{% endif %}{% endfor %}

{% if ticket.assignee in recipient.ids %}Ticket {{ ticket.id }} ({{ ticket.type }}, {{ ticket.priority }}) from {{ customer.name }} is yours.{% else %}Ticket {{ ticket.id }} was assigned to you and is now with {{ ticket.assignee_name or 'nobody' }}: nothing for you to do.{% endif %}


-- desk (rule {{ rule }})
",
    ),
    (
        "unassigned",
        "Subject: [{{ ticket.id }}] 工单无人处理 / Ticket with no assignee: {{ ticket.title }}

{{ recipient.name }}，您好：

{% if ticket.assignee %}工单 {{ ticket.id }} 现由 {{ ticket.assignee_name }} 处理，您无需跟进。{% else %}工单 {{ ticket.id }} 至今无人处理：负责该类型的同事都不在岗（away），或没有规则为该类型分派。请指定处理人（desk assign {{ ticket.id }} 处理人）。{% endif %}

  标题：{{ ticket.title }}
  类型：{{ ticket.type_label }}    优先级：{{ ticket.priority_label }}    渠道：{{ ticket.channel_label }}
  客户：{{ customer.name }}
  创建：{{ ticket.created }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}
{% endif %}{% endfor %}

{% if ticket.assignee %}Ticket {{ ticket.id }} is now with {{ ticket.assignee_name }}: nothing for you to do.{% else %}Ticket {{ ticket.id }} ({{ ticket.type }}, {{ ticket.priority }}) has no assignee: everyone who handles its type is away, or no rule routes it. Please assign it (desk assign).{% endif %}

-- desk (rule {{ rule }})
",
    ),
    (
        "escalation",
        "Subject: [{{ ticket.id }}] 紧急工单已超时 / Urgent ticket past its resolution target

主管您好：

紧急工单 {{ ticket.id }}「{{ ticket.title }}」已超过解决时限。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}
  客户：{{ customer.name }}
  状态：{{ ticket.status_label }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}（{{ c.state }}）
{% endif %}{% endfor %}

The urgent ticket {{ ticket.id }} has breached its resolution target.

-- desk (rule {{ rule }})
",
    ),
    (
        "progress",
        "Subject: [{{ ticket.id }}] 请更新处理进度 / Progress update due

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已超过 24 小时没有进度更新，请联系客户 {{ customer.name }} 并记录进展（desk update）。

Ticket {{ ticket.id }} has had no progress for 24 hours: please update it.

-- desk (rule {{ rule }})
",
    ),
    (
        "pending",
        "Subject: [{{ ticket.id }}] 工单等待客户回复已久 / Long waiting on the customer

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已等待客户 {{ customer.name }} 回复多日（{{ ticket.status_label }}）。请再次联系客户，记录进展（desk update），或结案（desk close）。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}

Ticket {{ ticket.id }} has been waiting on the customer for days: please chase them, record the progress, or close it.

-- desk (rule {{ rule }})
",
    ),
    (
        "survey",
        "Subject: [{{ ticket.id }}] 满意度回访即将到期 / Satisfaction survey due soon

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已关闭，尚未回访客户 {{ customer.name }}，回访时限即将截止，请尽快完成满意度调查（desk survey；desk survey --due 列出剩余时间）。

Ticket {{ ticket.id }} was closed without a survey, and its survey window closes soon: please call the customer (desk survey --due shows the hours left).

-- desk (rule {{ rule }})
",
    ),
    (
        "unsatisfied",
        "Subject: [{{ ticket.id }}] 客户不满意，工单已重新打开 / Unsatisfied customer, ticket reopened

{{ recipient.name }}，您好：

客户 {{ customer.name }} 对工单 {{ ticket.id }}「{{ ticket.title }}」的满意度回访不满意，工单已重新打开（{{ ticket.status_label }}）。请分析原因、调整方案（详见 desk show {{ ticket.id }}）。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}

The customer was unsatisfied at the survey of ticket {{ ticket.id }}, which is reopened: find the cause and adjust the plan (desk show {{ ticket.id }}).

-- desk (rule {{ rule }})
",
    ),
];

/// A role's key in desk.yaml's `roles:`.
pub type Role = String;

/// The parsed `rules:` of desk.yaml, in file order, with the team they
/// route to (as desk.yaml had it when they were parsed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub rules: Vec<Rule>,
    pub agents: Vec<Member>,
}

/// An agent as routing sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: String,
    pub role: Role,
    /// Away or inactive: routed nothing new.
    pub away: bool,
    /// Still with the team (`active: false` marks one who left): away is
    /// for a while, gone is for good.
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub enabled: bool,
    pub when: Trigger,
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// Applied in order.
    pub actions: Vec<RuleAction>,
}

impl Rule {
    /// Whether the rule looks at the ticket's customer, or notifies its owner.
    pub fn needs_customer(&self) -> bool {
        self.conditions.iter().any(|c| {
            matches!(
                c.subject,
                Subject::CustomerKind | Subject::CustomerVip | Subject::CustomerOwner
            )
        }) || self
            .actions
            .iter()
            .any(|a| matches!(a, RuleAction::Notify(n) if n.to.contains(&Recipient::Owner)))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// One of these events of a ticket (`created`, `assigned`, ...).
    Events(Vec<Action>),
    /// A time condition, evaluated by the scheduler (not by this version).
    Time(TimeTrigger),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeTrigger {
    /// An SLA clock of a target reaching at_risk or breached.
    Sla {
        target: TargetKind,
        state: ClockState,
    },
    /// No `updated` event (or creation) for so many seconds while open.
    NoProgressFor { seconds: i64 },
    /// Pending for so many seconds.
    PendingFor { seconds: i64 },
    /// Closed and not surveyed for so many seconds (`unsurveyed_for`, or
    /// `survey_window_left`: the survey window less the time left).
    UnsurveyedFor { seconds: i64 },
    /// Not closed and assigned to no one for so many seconds.
    UnassignedFor { seconds: i64 },
    /// A customer dormant (no ticket, no contact) for a span.
    DormantFor { span: Span },
}

impl TimeTrigger {
    /// The statuses a ticket can have when the trigger is due (`None`: a
    /// customer trigger).
    pub fn statuses(&self) -> Option<&'static [crate::model::Status]> {
        use crate::model::Status::*;
        match self {
            TimeTrigger::Sla { .. } => Some(&[Open, InProgress, Pending]),
            TimeTrigger::NoProgressFor { .. } => Some(&[Open, InProgress]),
            TimeTrigger::PendingFor { .. } => Some(&[Pending]),
            TimeTrigger::UnsurveyedFor { .. } => Some(&[Closed]),
            TimeTrigger::UnassignedFor { .. } => Some(&[Open, InProgress, Pending]),
            TimeTrigger::DormantFor { .. } => None,
        }
    }
}

/// What a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Type,
    Category,
    Priority,
    Channel,
    Status,
    Tags,
    Assignee,
    AssigneeRole,
    CustomerKind,
    CustomerVip,
    CustomerOwner,
    Title,
    Description,
    WorkingHours,
    /// Whether the triggering survey found the customer unsatisfied (it
    /// reopened the ticket).
    SurveyUnsatisfied,
}

impl Subject {
    pub const ALL: [Subject; 15] = [
        Subject::Type,
        Subject::Category,
        Subject::Priority,
        Subject::Channel,
        Subject::Status,
        Subject::Tags,
        Subject::Assignee,
        Subject::AssigneeRole,
        Subject::CustomerKind,
        Subject::CustomerVip,
        Subject::CustomerOwner,
        Subject::Title,
        Subject::Description,
        Subject::WorkingHours,
        Subject::SurveyUnsatisfied,
    ];

    /// The key in a rule's `if:`.
    pub fn key(self) -> &'static str {
        match self {
            Subject::Type => "type",
            Subject::Category => "category",
            Subject::Priority => "priority",
            Subject::Channel => "channel",
            Subject::Status => "status",
            Subject::Tags => "tags",
            Subject::Assignee => "assignee",
            Subject::AssigneeRole => "assignee.role",
            Subject::CustomerKind => "customer.kind",
            Subject::CustomerVip => "customer.vip",
            Subject::CustomerOwner => "customer.owner",
            Subject::Title => "title",
            Subject::Description => "description",
            Subject::WorkingHours => "working_hours",
            Subject::SurveyUnsatisfied => "survey.unsatisfied",
        }
    }

    pub fn from_key(key: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.key() == key)
    }

    /// A field of the ticket (as opposed to its customer or the clock).
    pub fn of_ticket(self) -> bool {
        !matches!(
            self,
            Subject::CustomerKind
                | Subject::CustomerVip
                | Subject::CustomerOwner
                | Subject::WorkingHours
                | Subject::SurveyUnsatisfied
        )
    }

    /// Whether an event of this action can change the subject: what
    /// `changed_to` needs to ever match.
    pub fn changed_by(self, action: &Action) -> bool {
        use Subject::*;
        match action {
            Action::Created => self.of_ticket(),
            Action::Assigned => matches!(self, Assignee | AssigneeRole | Status),
            Action::Updated | Action::Closed | Action::Reopened => self == Status,
            Action::Edited => matches!(
                self,
                Type | Category | Tags | Channel | Priority | Status | Title | Description
            ),
            Action::Surveyed
            | Action::Queued
            | Action::Notified
            | Action::DeliveryFailed
            | Action::Fired
            | Action::Other(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub subject: Subject,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// A value (or, for tags, a set of values): every part given must hold.
    Value {
        /// The value is one of these (tags: the ticket has one of these).
        is: Option<Vec<String>>,
        /// The value is none of these.
        not: Vec<String>,
        /// The triggering event made the value one of these (tags: added one).
        changed_to: Option<Vec<String>>,
        /// The field has a value (true) or is empty (false).
        set: Option<bool>,
    },
    /// Text (title, description), compared case-insensitively.
    Text {
        contains: Vec<String>,
        not_contains: Vec<String>,
    },
    Flag(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleAction {
    Assign(AssignTo),
    Set(SetFields),
    /// An `updated` event with this note.
    Note(String),
    /// A delivery queued in the ticket, made by `desk run`.
    Notify(Notify),
    /// A hook queued in the ticket, run by `desk run`.
    Run(RunHook),
    /// A `dormant_for` rule's first action: the call-back ticket that the
    /// firing opens for the customer, and that the rule's other actions
    /// act on.
    Open(OpenTicket),
}

/// The ticket a `dormant_for` rule opens: as `desk new` takes it, every
/// enumerated value in its canonical key.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenTicket {
    pub kind: String,
    pub title: String,
    pub priority: String,
    pub channel: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    /// When `None`, a line saying since when the customer is dormant.
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AssignTo {
    Agent(String),
    /// An agent of the first role (in order) that has one available: the
    /// rest are fallbacks for when everyone of the first is away.
    Role {
        roles: Vec<Role>,
        strategy: Strategy,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The agent after the one holding the newest ticket of the role.
    RoundRobin,
    /// The agent with the fewest open tickets.
    FewestOpen,
}

impl Strategy {
    pub fn key(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::FewestOpen => "fewest_open",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetFields {
    pub priority: Option<String>,
    /// `Some(None)` clears the category.
    pub category: Option<Option<String>>,
    pub tags: Option<TagChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TagChange {
    Replace(Vec<String>),
    Edit {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    pub to: Vec<Recipient>,
    pub via: Via,
    /// `templates/NAME.txt`, rendered by the delivery stage.
    pub template: String,
    /// Collect into one message per recipient and run.
    pub digest: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    Assignee,
    /// The customer's owner (`owner:` of the customer file).
    Owner,
    /// The customer's e-mail address.
    Customer,
    /// The available agents of the first role (in order) that has any.
    Role(Vec<Role>),
    Agent(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Email,
}

impl Via {
    /// As written in rules and in `queued` events.
    pub fn key(self) -> &'static str {
        match self {
            Via::Email => "email",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunHook {
    /// Relative to the store's root when it has a `/`, else found on PATH.
    pub command: String,
    pub args: Vec<String>,
}

impl RunHook {
    /// The command and its arguments as one shell command line, each word
    /// quoted when it needs to be (`hooks/wecom.sh --urgent`, `curl -d @-
    /// 'https://x/?a=1&b=2'`): what a machine allows in `desk.hooks`
    /// (docs/automation.md, "Trust model") and what `desk outbox` shows.
    pub fn command_line(&self) -> String {
        crate::text::shell_line(
            std::iter::once(self.command.as_str()).chain(self.args.iter().map(String::as_str)),
        )
    }
}

impl Rules {
    /// Parses `rules:` against the configuration: every value canonical,
    /// every agent and role known, no condition that can never match. All
    /// the problems are returned, each naming the rule and the key.
    pub fn parse(
        value: Option<&crate::yaml::Value>,
        config: &crate::config::Config,
    ) -> Result<Rules, Vec<RuleError>> {
        parse::rules(value, config)
    }

    /// Whether some rule triggered by `action` looks at the customer, or
    /// notifies its owner.
    pub fn need_customer(&self, action: &Action) -> bool {
        self.on(action).any(Rule::needs_customer)
    }

    /// Whether some rule triggered by `action` looks at working hours.
    pub fn need_calendar(&self, action: &Action) -> bool {
        self.on(action).any(|r| {
            r.conditions
                .iter()
                .any(|c| c.subject == Subject::WorkingHours)
        })
    }

    /// The enabled rules an event of `action` triggers, in file order.
    pub fn on<'a>(&'a self, action: &'a Action) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |r| {
            r.enabled && matches!(&r.when, Trigger::Events(events) if events.contains(action))
        })
    }

    /// The agents of a role, in desk.yaml order, and which of them may take
    /// new work.
    pub fn members<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Member> {
        self.agents.iter().filter(move |m| m.role == role)
    }

    pub fn role_of(&self, agent: &str) -> Option<&str> {
        self.agents
            .iter()
            .find(|m| m.id == agent)
            .map(|m| m.role.as_str())
    }
}
