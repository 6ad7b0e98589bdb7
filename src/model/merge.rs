//! Three-way merge of ticket and customer files as data, for git's merge
//! driver (`desk merge-file`). Histories and change logs are append-only, so
//! their merge is the union of both sides' entries, in time order; a ticket's
//! fields are then replayed from the merged history. A customer field changed
//! differently on both sides takes the later change. Pure: no I/O.

use std::collections::HashSet;

use serde::Serialize;

use super::{Customer, CustomerField, Ticket, Timestamp};

/// Why two versions cannot be merged automatically.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Conflict(pub String);

fn text_of<T: Serialize>(item: &T) -> String {
    serde_yaml::to_string(item).expect("entries serialise")
}

/// The union of two time-ordered logs: each entry once (entries equal as data
/// are one), in time order; entries at the same time in content order, except
/// that each side's own order is kept. The result does not depend on which
/// side is `a`.
pub fn union_in_time_order<T: Serialize + Clone>(
    a: &[T],
    b: &[T],
    at: impl Fn(&T) -> Timestamp,
) -> Vec<T> {
    let (mut i, mut j) = (0, 0);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        let pick = match (a.get(i), b.get(j)) {
            (Some(x), None) => {
                i += 1;
                x
            }
            (None, Some(y)) => {
                j += 1;
                y
            }
            (Some(x), Some(y)) => {
                let kx = (at(x), text_of(x));
                let ky = (at(y), text_of(y));
                match kx.cmp(&ky) {
                    std::cmp::Ordering::Less => {
                        i += 1;
                        x
                    }
                    std::cmp::Ordering::Greater => {
                        j += 1;
                        y
                    }
                    std::cmp::Ordering::Equal => {
                        i += 1;
                        j += 1;
                        x
                    }
                }
            }
            (None, None) => unreachable!("loop condition"),
        };
        if seen.insert(text_of(pick)) {
            out.push(pick.clone());
        }
    }
    out
}

/// Merges two versions of one ticket. Hand edits of either side's fields are
/// first recorded as `edited` events (by `by`), so none is lost; unknown
/// top-level fields are merged like customer fields.
pub fn merge_tickets(
    base: Option<&Ticket>,
    ours: &Ticket,
    theirs: &Ticket,
    by: &str,
) -> Result<Ticket, Conflict> {
    let created = |t: &Ticket| t.history.first().map(text_of);
    if ours.id != theirs.id || created(ours) != created(theirs) {
        return Err(Conflict(format!(
            "two different tickets were created as {} (one on each side); keep one and \
             re-enter the other with `desk new`",
            ours.id
        )));
    }
    let adopt = |t: &Ticket| -> Result<Ticket, Conflict> {
        let mut t = t.clone();
        let at = t.last_at().unwrap_or(t.created);
        t.adopt_drift(at, by)
            .map_err(|e| Conflict(format!("{}: {e}", t.id)))?;
        Ok(t)
    };
    let (a, b) = (adopt(ours)?, adopt(theirs)?);
    let mut merged = a.clone();
    merged.history = union_in_time_order(&a.history, &b.history, |e| e.at);
    merged.extra = merge_maps(base.map(|t| &t.extra), &a.extra, &b.extra);
    merged.refold().map_err(|e| {
        Conflict(format!(
            "{}: the merged history does not fold: {e}",
            merged.id
        ))
    })?;
    Ok(merged)
}

/// Keys of unknown fields: a key changed on one side only takes that side's
/// value; changed on both, ours (the two values are shown to nobody, so the
/// choice is only kept stable by comparing them).
fn merge_maps(
    base: Option<&std::collections::BTreeMap<String, serde_yaml::Value>>,
    a: &std::collections::BTreeMap<String, serde_yaml::Value>,
    b: &std::collections::BTreeMap<String, serde_yaml::Value>,
) -> std::collections::BTreeMap<String, serde_yaml::Value> {
    let mut out = std::collections::BTreeMap::new();
    for key in a.keys().chain(b.keys()) {
        let o = base.and_then(|m| m.get(key));
        let (x, y) = (a.get(key), b.get(key));
        let chosen = if x == y || y == o {
            x
        } else if x == o {
            y
        } else {
            // Both changed: the larger as text, so either order agrees.
            std::cmp::max_by_key(x, y, |v| v.map(text_of))
        };
        if let Some(v) = chosen {
            out.insert(key.clone(), v.clone());
        }
    }
    out
}

/// Merges two versions of one customer: the union of the change logs; each
/// field from the side that changed it, or, changed on both, from the side
/// whose change log has the later change of it.
pub fn merge_customers(
    base: Option<&Customer>,
    ours: &Customer,
    theirs: &Customer,
) -> Result<Customer, Conflict> {
    if ours.id != theirs.id
        || ours.kind != theirs.kind
        || (base.is_none()
            && (ours.created != theirs.created || ours.created_by != theirs.created_by))
    {
        return Err(Conflict(format!(
            "two different customers were registered as {} (one on each side); keep one and \
             re-enter the other with `desk customer add`",
            ours.id
        )));
    }
    let last_change = |c: &Customer, prefix: &str| {
        c.changes
            .iter()
            .filter(|ch| ch.field == prefix || ch.field.starts_with(&format!("{prefix}.")))
            .map(|ch| ch.at)
            .max()
    };
    // Which side wins a field both sides changed: the later change, else the
    // larger value as text (stable whichever side is ours).
    let later_side = |key: &str, x: &str, y: &str| -> bool {
        match last_change(ours, key).cmp(&last_change(theirs, key)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => x >= y,
        }
    };
    let mut merged = ours.clone();
    for field in CustomerField::SIMPLE {
        let o = base.and_then(|c| c.get(field));
        let (x, y) = (ours.get(field), theirs.get(field));
        let same = |p: &Option<super::FieldValue>, q: &Option<super::FieldValue>| match (p, q) {
            (Some(p), Some(q)) => p.same_as(q),
            (None, None) => true,
            _ => false,
        };
        let take_ours = if same(&x, &y) || same(&y, &o) {
            true
        } else if same(&x, &o) {
            false
        } else {
            later_side(
                &field.key(),
                &x.as_ref().map(text_of).unwrap_or_default(),
                &y.as_ref().map(text_of).unwrap_or_default(),
            )
        };
        if !take_ours {
            merged
                .put(field, y)
                .map_err(|e| Conflict(format!("{}: {e}", ours.id)))?;
        }
    }
    // Contacts merge as one list.
    let o = base.map(|c| text_of(&c.contacts));
    let (x, y) = (text_of(&ours.contacts), text_of(&theirs.contacts));
    if x != y {
        let take_ours = if Some(&y) == o.as_ref() {
            true
        } else if Some(&x) == o.as_ref() {
            false
        } else {
            later_side("contacts", &x, &y)
        };
        if !take_ours {
            merged.contacts = theirs.contacts.clone();
        }
    }
    merged.extra = merge_maps(base.map(|c| &c.extra), &ours.extra, &theirs.extra);
    merged.changes = union_in_time_order(&ours.changes, &theirs.changes, |c| c.at);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Event};
    use proptest::prelude::*;

    fn event(minute: i64, note: &str) -> Event {
        let t0 = Timestamp::parse("2026-11-24T09:00:00+08:00").unwrap();
        let mut e = Event::new(
            Timestamp(t0.0 + chrono::Duration::minutes(minute)),
            "li.na",
            Action::Updated,
        );
        e.note = Some(note.into());
        e
    }

    proptest! {
        /// Any two histories sharing a prefix merge to the same result in
        /// either order, keep every event once, and stay in time order.
        #[test]
        fn union_is_symmetric_complete_and_ordered(
            common in proptest::collection::vec((0i64..50, 0u8..4), 0..6),
            left in proptest::collection::vec((0i64..50, 0u8..4), 0..8),
            right in proptest::collection::vec((0i64..50, 0u8..4), 0..8),
        ) {
            let side = |extra: &[(i64, u8)]| {
                let mut v: Vec<Event> = common
                    .iter()
                    .chain(extra)
                    .map(|(m, n)| event(*m, &format!("n{n}")))
                    .collect();
                v.sort_by_key(|e| e.at);
                v
            };
            let (a, b) = (side(&left), side(&right));
            let ab = union_in_time_order(&a, &b, |e| e.at);
            let ba = union_in_time_order(&b, &a, |e| e.at);
            prop_assert_eq!(&ab, &ba);
            prop_assert!(ab.windows(2).all(|w| w[0].at <= w[1].at));
            let texts: HashSet<String> = ab.iter().map(text_of).collect();
            prop_assert_eq!(texts.len(), ab.len());
            for e in a.iter().chain(&b) {
                prop_assert!(texts.contains(&text_of(e)));
            }
        }
    }
}
