//! What one command reveals of customers, gathered before anything is
//! shown: the lines of the reveal log (`store/audit.rs` appends them to
//! `audit/reveals/`, docs/format.md, "The reveal log").

use std::collections::BTreeSet;

use crate::clock::Timestamp;

/// One line of the reveal log: `by` saw `fields` of each of `customers` in
/// full at `at`, with `command`. `sealed` are those of the fields that were
/// sealed numbers, decrypted with the identity. Customers whose revealed
/// fields differ go on separate lines, so each line is exact.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reveal {
    pub at: Timestamp,
    pub by: String,
    /// The command that showed them, e.g. `customer show`.
    pub command: String,
    pub customers: Vec<String>,
    /// Field keys as `desk customer edit` names them (`phone`,
    /// `contacts.1.phone`, `id_card`), sorted.
    pub fields: Vec<String>,
    /// The sealed ones among `fields`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<String>,
}

/// The fields revealed of a customer, and the sealed ones among them.
type FieldSets = (BTreeSet<String>, BTreeSet<String>);

/// What one command revealed, gathered customer by customer before it
/// prints anything.
#[derive(Debug, Default)]
pub struct Revealed {
    /// Customers by the fields revealed of them, in the order first seen.
    groups: Vec<(FieldSets, Vec<String>)>,
}

impl Revealed {
    /// Records that `fields` of `customer` are shown in full, `sealed` of
    /// them decrypted. Nothing shown, nothing recorded.
    pub fn add(&mut self, customer: &str, fields: BTreeSet<String>, sealed: BTreeSet<String>) {
        if fields.is_empty() && sealed.is_empty() {
            return;
        }
        let fields: BTreeSet<String> = fields.union(&sealed).cloned().collect();
        let key = (fields, sealed);
        match self.groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, customers)) => {
                if !customers.iter().any(|c| c == customer) {
                    customers.push(customer.to_string());
                }
            }
            None => self.groups.push((key, vec![customer.to_string()])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The log lines: one per set of fields.
    pub fn lines(&self, at: Timestamp, by: &str, command: &str) -> Vec<Reveal> {
        self.groups
            .iter()
            .map(|((fields, sealed), customers)| Reveal {
                at,
                by: by.to_string(),
                command: command.to_string(),
                customers: customers.clone(),
                fields: fields.iter().cloned().collect(),
                sealed: sealed.iter().cloned().collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_with_the_same_fields_share_a_line() {
        let set = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut r = Revealed::default();
        r.add("C1", set(&["name", "phone"]), set(&["id_card"]));
        r.add("C2", set(&["name"]), set(&[]));
        r.add("C3", set(&["name", "phone"]), set(&["id_card"]));
        r.add("C4", set(&[]), set(&[]));
        let at = Timestamp::parse("2026-11-23T09:00:00+08:00").unwrap();
        let lines = r.lines(at, "li.na", "customer export");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].customers, ["C1", "C3"]);
        assert_eq!(lines[0].fields, ["id_card", "name", "phone"]);
        assert_eq!(lines[0].sealed, ["id_card"]);
        assert_eq!(lines[1].customers, ["C2"]);
        assert!(lines[1].sealed.is_empty());
        let json = serde_json::to_string(&lines[1]).unwrap();
        assert_eq!(
            json,
            r#"{"at":"2026-11-23T09:00:00+08:00","by":"li.na","command":"customer export","customers":["C2"],"fields":["name"]}"#
        );
    }
}
