//! desk.yaml validated once: the checks, and the values they build that
//! every command then uses (time zone, calendar, SLA policy, dormancy span).

use chrono_tz::Tz;

use super::choice::{describe_choices, find_choice};
use super::Config;
use crate::clock::Span;
use crate::error::{Error, Result};
use crate::model::Field;
use crate::sla::{Calendar, Policy};

/// What validating desk.yaml builds, kept in the store for every command
/// instead of being built again.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tz: Tz,
    /// The calendar of desk.yaml alone. Commands take the calendar from
    /// `Store::sla`, which adds the holiday files of `calendars/` to it.
    pub yaml_calendar: Calendar,
    /// The SLA targets. A working day's length comes from the weekly hours,
    /// which holiday files do not change, so it holds with them too.
    pub policy: Policy,
    /// `customers.dormant_after`.
    pub dormant_after: Span,
    /// `encryption.recipients`, parsed: whom sealed numbers are encrypted to.
    pub recipients: Vec<crate::crypto::Recipient>,
    /// The lengths written with a bare `m` (`customers.dormant_after`, SLA
    /// targets): read as before, told by `desk check` and `desk run`.
    pub ambiguous: Vec<crate::clock::Ambiguous>,
}

/// The shape of a ticket or customer ID prefix: one or more ASCII capital
/// letters (`CW`, `C`).
pub fn is_id_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_uppercase())
}

impl Config {
    /// Checks every section; errors name the key and the file.
    pub(super) fn settings(&self, path: &std::path::Path) -> Result<Settings> {
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
        if !is_id_prefix(&self.id_prefix) {
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
        if !is_id_prefix(&customers.id_prefix) || !(3..=12).contains(&customers.id_digits) {
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
                || a.id.starts_with(crate::model::CUSTOMER_PREFIX)
                || a.id.chars().any(char::is_control)
            {
                return Err(bad(format!(
                    "agents: '{}' is not an agent ID: it must be non-empty, without control \
                     characters, and not begin with '{}' or '{}' (what rules and customers' \
                     mail record)",
                    crate::text::visible(&a.id),
                    crate::model::RULE_PREFIX,
                    crate::model::CUSTOMER_PREFIX
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
            // Mail goes to it: one address, or a header could be injected.
            if let Some(email) = &a.email {
                if let Err(e) = crate::model::validate::email(email) {
                    return Err(bad(format!(
                        "agents: email '{}' of '{}' is not valid: {e}",
                        crate::text::visible(&crate::model::mask::email_as_typed(email)),
                        a.id
                    )));
                }
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
        let dormant_after = crate::clock::parse_span(&customers.dormant_after)
            .map_err(|e| bad(format!("customers.dormant_after: {e}")))?;
        let recipients = match &self.encryption {
            Some(enc) if enc.recipients.is_empty() => {
                return Err(bad(
                    "encryption.recipients: list at least one age public key".into(),
                ))
            }
            Some(enc) => crate::crypto::parse_recipients(&enc.recipients)
                .map_err(|e| bad(format!("encryption: {e}")))?,
            None => Vec::new(),
        };
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
        // What `desk report --mail` reads, refused here rather than by the
        // monthly cron run that first needs it.
        for to in self.report.mail_to.iter().flatten() {
            if let Err(e) = crate::model::validate::mailbox(to) {
                return Err(bad(format!(
                    "report.mail_to: '{}' is not valid: {e}",
                    crate::text::visible(&crate::model::mask::email_as_typed(to))
                )));
            }
        }
        if let Some(lang) = &self.report.lang {
            if super::Lang::parse(lang).is_none() {
                return Err(bad(format!(
                    "report.lang: '{}' is not a language of the HTML report; expected {}",
                    crate::text::visible(lang),
                    super::Lang::NAMES
                )));
            }
        }
        if let Some(ratio) = self.report.themes.as_ref().and_then(|t| t.rise_ratio) {
            if !ratio.is_finite() || ratio < 0.0 {
                return Err(bad(format!(
                    "report.themes.rise_ratio: {ratio} must be a number of 0 or more"
                )));
            }
        }
        if let Some(n) = self.search.similar {
            if n > super::SearchConfig::MOST_SIMILAR {
                return Err(bad(format!(
                    "search.similar: {n} is too many; expected 0 (none) to {}",
                    super::SearchConfig::MOST_SIMILAR
                )));
            }
        }
        let bad = |e: crate::sla::SettingsError| bad(e.to_string());
        let calendar = self.calendar.build(tz).map_err(bad)?;
        let priorities: Vec<String> = self.priorities.iter().map(|c| c.key.clone()).collect();
        let policy = self.sla.build(&calendar, &priorities).map_err(bad)?;
        // In the order of desk.yaml's sections.
        let mut ambiguous = self.sla.ambiguous();
        ambiguous.extend(crate::clock::Ambiguous::find(
            "customers.dormant_after",
            &customers.dormant_after,
            crate::clock::BareM::Months,
        ));
        Ok(Settings {
            tz,
            yaml_calendar: calendar,
            policy,
            dormant_after,
            recipients,
            ambiguous,
        })
    }
}
