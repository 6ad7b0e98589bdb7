//! `mail.intake:` of desk.yaml: how `desk mail-in` files what it receives
//! (docs/mail.md, "Settings"). Every key has a default, so a store without
//! a `mail:` section takes mail in too.

use crate::yaml::Value;

/// What `mail.intake` says, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    pub unknown_sender: UnknownSender,
    pub closed_ticket: ClosedTicket,
    /// Bytes; a larger attachment is refused, with a note in the ticket.
    pub max_attachment: usize,
    /// Bytes; a larger message is refused whole, unread.
    pub max_message: usize,
    /// New tickets one sender may open per hour; 0: no limit.
    pub rate_limit: u32,
    /// The type and priority of a ticket opened by mail, as written (checked
    /// against `types:` and `priorities:` when used); `None`: the first
    /// type, the last (least urgent) priority.
    pub kind: Option<String>,
    pub priority: Option<String>,
}

/// A sender who is no customer's e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownSender {
    /// A new individual customer, source `email`.
    Create,
    /// The message is kept in `mail/held/` for a person to look at.
    Hold,
}

/// A reply to a closed ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedTicket {
    Reopen,
    /// A new ticket, whose description names the closed one.
    New,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            unknown_sender: UnknownSender::Create,
            closed_ticket: ClosedTicket::Reopen,
            max_attachment: 10 << 20,
            // What the large free mailboxes (QQ, 163, Gmail) accept.
            max_message: 25 << 20,
            rate_limit: 10,
            kind: None,
            priority: None,
        }
    }
}

const KEYS: &[&str] = &[
    "unknown_sender",
    "closed_ticket",
    "max_attachment",
    "max_message",
    "rate_limit",
    "type",
    "priority",
];

/// `mail.intake` from its value (`None`: not given).
pub fn parse(value: Option<&Value>) -> Result<Intake, String> {
    let mut intake = Intake::default();
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(intake);
    };
    let map = value.as_mapping().ok_or_else(|| {
        "mail.intake: not a section; expected keys under it (docs/mail.md)".to_string()
    })?;
    for key in map.keys() {
        let name = key.as_str().unwrap_or_default();
        if !KEYS.contains(&name) {
            return Err(format!(
                "mail.intake: unknown key '{}'; expected {}",
                crate::text::visible(name),
                KEYS.join(", ")
            ));
        }
    }
    let word = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(format!("mail.intake.{key}: not a text value")),
        }
    };
    if let Some(w) = word("unknown_sender")? {
        intake.unknown_sender = match w.as_str() {
            "create" => UnknownSender::Create,
            "hold" => UnknownSender::Hold,
            _ => {
                return Err(format!(
                    "mail.intake.unknown_sender: '{}' is not create or hold",
                    crate::text::visible(&w)
                ))
            }
        };
    }
    if let Some(w) = word("closed_ticket")? {
        intake.closed_ticket = match w.as_str() {
            "reopen" => ClosedTicket::Reopen,
            "new" => ClosedTicket::New,
            _ => {
                return Err(format!(
                    "mail.intake.closed_ticket: '{}' is not reopen or new",
                    crate::text::visible(&w)
                ))
            }
        };
    }
    for (key, slot) in [
        ("max_attachment", &mut intake.max_attachment),
        ("max_message", &mut intake.max_message),
    ] {
        if let Some(w) = word(key)? {
            *slot = bytes(&w).ok_or_else(|| {
                format!(
                    "mail.intake.{key}: '{}' is not a size; expected bytes or a size such as 500KB or 10MB",
                    crate::text::visible(&w)
                )
            })?;
        }
    }
    if let Some(w) = word("rate_limit")? {
        intake.rate_limit = w.parse().map_err(|_| {
            format!(
                "mail.intake.rate_limit: '{}' is not a number of tickets per sender and hour (0: no limit)",
                crate::text::visible(&w)
            )
        })?;
    }
    intake.kind = word("type")?;
    intake.priority = word("priority")?;
    Ok(intake)
}

/// `1048576`, `500KB`, `10MB` (binary units, as mailboxes count them).
fn bytes(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_uppercase();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let n: usize = digits.parse().ok()?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        _ => return None,
    };
    n.checked_mul(factor).filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Result<Intake, String> {
        let v: Value = crate::yaml::from_str(text).unwrap();
        parse(Some(&v))
    }

    #[test]
    fn every_key_has_a_default_and_sizes_take_units() {
        assert_eq!(parse(None), Ok(Intake::default()));
        let i = of("{unknown_sender: hold, closed_ticket: new, max_attachment: 2MB, rate_limit: 0, type: 投诉}").unwrap();
        assert_eq!(i.unknown_sender, UnknownSender::Hold);
        assert_eq!(i.closed_ticket, ClosedTicket::New);
        assert_eq!(i.max_attachment, 2 << 20);
        assert_eq!(i.rate_limit, 0);
        assert_eq!(i.kind.as_deref(), Some("投诉"));
        assert_eq!(bytes("500kb"), Some(500 << 10));
        assert_eq!(bytes("12"), Some(12));
    }

    #[test]
    fn a_bad_value_or_key_is_named() {
        assert!(of("{unknown_sender: drop}")
            .unwrap_err()
            .contains("unknown_sender"));
        assert!(of("{max_attachment: lots}")
            .unwrap_err()
            .contains("max_attachment"));
        assert!(of("{max_attachment: 0}").is_err());
        assert!(of("{maximum: 1}")
            .unwrap_err()
            .contains("unknown key 'maximum'"));
    }
}
