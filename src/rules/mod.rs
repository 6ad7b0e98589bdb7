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

/// A role's key in desk.yaml's `roles:`.
pub type Role = String;

/// The parsed `rules:` of desk.yaml, in file order, with the team they
/// route to (as desk.yaml had it when they were parsed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub rules: Vec<Rule>,
    pub agents: Vec<Member>,
    /// The waits of time rules written with a bare `m` (`when:
    /// {unassigned_for: 15m}`): read as before, a warning each.
    pub ambiguous: Vec<RuleError>,
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
    /// What a bare `m` in its length was read as: minutes in the waits,
    /// months in a dormancy span; `None` for an SLA trigger, which has none.
    pub fn bare_m(&self) -> Option<crate::clock::BareM> {
        use crate::clock::BareM;
        match self {
            TimeTrigger::Sla { .. } => None,
            TimeTrigger::NoProgressFor { .. }
            | TimeTrigger::PendingFor { .. }
            | TimeTrigger::UnsurveyedFor { .. }
            | TimeTrigger::UnassignedFor { .. } => Some(BareM::Minutes),
            TimeTrigger::DormantFor { .. } => Some(BareM::Months),
        }
    }

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

    /// The subject of a key, or of an alias: `subject` and `body`, what
    /// a ticket opened by mail takes its title and description from.
    pub fn from_key(key: &str) -> Option<Subject> {
        match key {
            "subject" => Some(Subject::Title),
            "body" => Some(Subject::Description),
            _ => Subject::ALL.into_iter().find(|s| s.key() == key),
        }
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
            Action::Updated | Action::Closed | Action::Reopened | Action::Received => {
                self == Status
            }
            Action::Edited => matches!(
                self,
                Type | Category | Tags | Channel | Priority | Status | Title | Description
            ),
            Action::Surveyed
            | Action::Queued
            | Action::Notified
            | Action::DeliveryFailed
            | Action::Fired
            | Action::Replied
            | Action::Attached
            | Action::Assessed
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
