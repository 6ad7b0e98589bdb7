//! The enumerations of desk.yaml (types, priorities, channels, statuses,
//! roles, sources, survey dimensions): a key, a label, aliases; and how
//! user input finds one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

/// The choice a user meant: its key or an alias in any case, or its label.
pub fn find_choice<'a>(choices: &'a [Choice], input: &str) -> Option<&'a Choice> {
    let wanted = input.trim();
    choices.iter().find(|c| {
        c.key.eq_ignore_ascii_case(wanted)
            || c.label.as_deref() == Some(wanted)
            || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
    })
}

/// The key of the choice a user meant; the error names `what` was wrong
/// and every valid choice.
pub fn resolve_choice(choices: &[Choice], what: &str, input: &str) -> Result<String> {
    find_choice(choices, input)
        .map(|c| c.key.clone())
        .ok_or_else(|| {
            Error::invalid(
                what,
                input,
                format!("expected one of {}", describe_choices(choices)),
            )
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

pub(super) fn choice(key: &str, label: &str, aliases: &[&str]) -> Choice {
    Choice {
        key: key.into(),
        label: Some(label.into()),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
    }
}
