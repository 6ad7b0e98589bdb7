//! Three-way merge of ticket and customer files as data, for git's merge
//! driver (`desk merge-file`). Histories and change logs are append-only, so
//! their merge is the union of both sides' entries, in time order; a ticket's
//! fields are then replayed from the merged history. A customer field changed
//! differently on both sides takes the later change. Pure: no I/O.

use std::collections::HashMap;

use serde::Serialize;

use super::customer::same_value;
use super::{Customer, CustomerField, Ticket};
use crate::clock::Timestamp;

/// Why two versions cannot be merged automatically.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Conflict(pub String);

fn text_of<T: Serialize>(item: &T) -> String {
    crate::yaml::to_string(item).expect("entries serialise")
}

/// The union of two time-ordered logs (ticket histories, customer change
/// logs) as multisets: each entry (as data) as many times as the side that
/// has it most. Copies on one side are distinct entries (two calls logged
/// in the same minute) and are all kept; an entry on both sides is taken to
/// be the same entry, whichever way it reached each side (a cherry-pick, a
/// rebased commit merged again) — as git does itself when both sides' files
/// are equal. No entry either side has is lost and none is invented, and the
/// common ancestor is not needed. Entries are in time order; entries at the
/// same time in content order, except that each side's own order is kept.
/// The result does not depend on which side is `a`.
pub fn union_in_time_order<T: Serialize + Clone>(
    a: &[T],
    b: &[T],
    at: impl Fn(&T) -> Timestamp,
) -> Vec<T> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        // The entries at the earliest time not yet taken, on each side.
        let t = match (a.get(i).map(&at), b.get(j).map(&at)) {
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => unreachable!("loop condition"),
        };
        let end =
            |log: &[T], from: usize| from + log[from..].iter().take_while(|e| at(e) == t).count();
        let (ie, je) = (end(a, i), end(b, j));
        out.extend(union_at_one_time(&a[i..ie], &b[j..je]));
        (i, j) = (ie, je);
    }
    out
}

/// The union of two sides' entries at one time: the shortest sequence that
/// keeps each side's order (aligned on a longest common subsequence; ties
/// broken by content, so either side may be `a`), then cut to the count
/// the side with more copies has. Only where the sides order the same
/// entries in opposite ways does the cut give up one side's order.
fn union_at_one_time<T: Serialize + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let (ta, tb): (Vec<String>, Vec<String>) = (
        a.iter().map(text_of).collect(),
        b.iter().map(text_of).collect(),
    );
    // What both sides share at the start and at the end is taken as is;
    // only the middles are aligned.
    let pre = ta.iter().zip(&tb).take_while(|(x, y)| x == y).count();
    let suf = ta[pre..]
        .iter()
        .rev()
        .zip(tb[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (pre..ta.len() - suf, pre..tb.len() - suf);
    let mut walked: Vec<(&String, &T)> = Vec::with_capacity(a.len() + b.len());
    walked.extend(ta[..pre].iter().zip(&a[..pre]));
    let middle = align(&ta[ma.clone()], &tb[mb.clone()]);
    walked.extend(middle.into_iter().map(|(from_a, k)| {
        if from_a {
            (&ta[ma.start + k], &a[ma.start + k])
        } else {
            (&tb[mb.start + k], &b[mb.start + k])
        }
    }));
    walked.extend(ta[ma.end..].iter().zip(&a[ma.end..]));
    fn counts(texts: &[String]) -> HashMap<&str, usize> {
        let mut n = HashMap::new();
        for t in texts {
            *n.entry(t.as_str()).or_default() += 1;
        }
        n
    }
    let (na, nb) = (counts(&ta), counts(&tb));
    let mut emitted: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(walked.len());
    for (text, entry) in walked {
        let k = emitted.entry(text).or_default();
        *k += 1;
        let most = na.get(text.as_str()).max(nb.get(text.as_str()));
        if *k <= most.copied().unwrap_or(0) {
            out.push(entry.clone());
        }
    }
    out
}

/// A shortest common supersequence of two sequences, as (from `a`, index)
/// steps; an entry of both is one step from `a`. Aligned on a longest common
/// subsequence, ties broken by content so that swapping the sides mirrors
/// the result. Past a million cells (thousands of entries at one second,
/// which desk never writes) the table would cost too much memory: the
/// entries are then walked in content order, pairing equal heads.
fn align(ta: &[String], tb: &[String]) -> Vec<(bool, usize)> {
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::with_capacity(ta.len() + tb.len());
    let small = ta.len().saturating_mul(tb.len()) <= 1 << 20;
    // lcs[i][j]: the longest common subsequence of ta[i..] and tb[j..].
    let mut lcs = vec![vec![0u32; if small { tb.len() + 1 } else { 0 }]; ta.len() + 1];
    if small {
        for i in (0..ta.len()).rev() {
            for j in (0..tb.len()).rev() {
                lcs[i][j] = if ta[i] == tb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
    }
    while i < ta.len() || j < tb.len() {
        let take_a = if i == ta.len() {
            false
        } else if j == tb.len() {
            true
        } else if ta[i] == tb[j] {
            j += 1;
            true
        } else if !small {
            ta[i] < tb[j]
        } else {
            match lcs[i + 1][j].cmp(&lcs[i][j + 1]) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => ta[i] < tb[j],
            }
        };
        if take_a {
            steps.push((true, i));
            i += 1;
        } else {
            steps.push((false, j));
            j += 1;
        }
    }
    steps
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
    // Both clones may have queued or delivered the same cause: one of each
    // per key, the earliest.
    merged.history =
        super::outbox::one_per_key(union_in_time_order(&a.history, &b.history, |e| e.at));
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
    base: Option<&std::collections::BTreeMap<String, crate::yaml::Value>>,
    a: &std::collections::BTreeMap<String, crate::yaml::Value>,
    b: &std::collections::BTreeMap<String, crate::yaml::Value>,
) -> std::collections::BTreeMap<String, crate::yaml::Value> {
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

/// Merges two versions of one customer: hand edits of either side's fields
/// are first recorded as changes (by `by`); then the union of the change
/// logs; each field from the side that changed it, or, changed on both, from
/// the side whose change log has the later change of it.
pub fn merge_customers(
    base: Option<&Customer>,
    ours: &Customer,
    theirs: &Customer,
    by: &str,
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
    let adopt = |c: &Customer| {
        let mut c = c.clone();
        c.adopt_hand_edits(base, by);
        c
    };
    let (ours, theirs) = (&adopt(ours), &adopt(theirs));
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
    let records: Vec<&Customer> = [ours, theirs].into_iter().chain(base).collect();
    for field in CustomerField::of_records(&records) {
        let o = base.and_then(|c| c.get(&field));
        let (x, y) = (ours.get(&field), theirs.get(&field));
        let take_ours = if same_value(&x, &y) || same_value(&y, &o) {
            true
        } else if same_value(&x, &o) {
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
                .put(&field, y)
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
    use crate::model::{Event, Updated};
    use proptest::prelude::*;

    fn event(minute: i64, note: &str) -> Event {
        let t0 = Timestamp::parse("2026-11-24T09:00:00+08:00").unwrap();
        let update = Updated {
            note: Some(note.into()),
            ..Updated::default()
        };
        Event::new(
            Timestamp(t0.0 + chrono::Duration::minutes(minute)),
            "li.na",
            update,
        )
    }

    /// How many times each entry (as data) occurs in a log.
    fn multiset(log: &[Event]) -> HashMap<String, usize> {
        let mut n = HashMap::new();
        for e in log {
            *n.entry(text_of(e)).or_default() += 1;
        }
        n
    }

    /// Appends events to a copy of `log` in time order: each `(step, note)`
    /// is `step` minutes after the log's last event (0: the same minute, and
    /// with the same note an exact copy of an event already there).
    fn append(log: &[Event], steps: &[(i64, u8)]) -> Vec<Event> {
        let mut out = log.to_vec();
        for (step, note) in steps {
            let last = out.last().map_or(0, |e: &Event| minute_of(e));
            out.push(event(last + step, &format!("n{note}")));
        }
        out
    }

    fn minute_of(e: &Event) -> i64 {
        let t0 = Timestamp::parse("2026-11-24T09:00:00+08:00").unwrap();
        (e.at.0 - t0.0).num_minutes()
    }

    #[test]
    fn repeated_identical_events_are_all_kept() {
        let base = append(&[], &[(0, 0)]);
        // Ours logs the same call twice; theirs adds another note.
        let ours = append(&base, &[(5, 1), (0, 1)]);
        let theirs = append(&base, &[(3, 2)]);
        let merged = union_in_time_order(&ours, &theirs, |e| e.at);
        let notes: Vec<_> = merged.iter().map(|e| e.payload.note().unwrap()).collect();
        assert_eq!(notes, ["n0", "n2", "n1", "n1"]);
        // An event on both sides is one event.
        let once = append(&base, &[(5, 1)]);
        assert_eq!(union_in_time_order(&once, &ours, |e| e.at), ours);
        // Equal events at one time in another order on each side.
        let (x, y) = (event(0, "x"), event(0, "y"));
        let merged =
            union_in_time_order(&[y.clone(), x.clone()], &[x.clone(), y.clone()], |e| e.at);
        assert_eq!(merged, [x, y]);
    }

    #[test]
    fn thousands_of_events_at_one_time_merge_without_a_quadratic_table() {
        // One minute, 2,000 shared events, then 1,500 more on each side,
        // each side's own copies included.
        let shared: Vec<Event> = (0..2000)
            .map(|k| event(0, &format!("s{}", k % 7)))
            .collect();
        let side = |tag: &str| {
            let mut v = shared.clone();
            v.extend((0..1500).map(|k| event(0, &format!("{tag}{}", k % 5))));
            v
        };
        let (a, b) = (side("a"), side("b"));
        let started = std::time::Instant::now();
        let ab = union_in_time_order(&a, &b, |e| e.at);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(ab, union_in_time_order(&b, &a, |e| e.at));
        let (na, nb, n) = (multiset(&a), multiset(&b), multiset(&ab));
        for key in na.keys().chain(nb.keys()) {
            let most = na.get(key).max(nb.get(key)).copied();
            assert_eq!(n.get(key).copied(), most, "{key}");
        }
        assert_eq!(ab.len(), 5000);
    }

    #[test]
    fn custom_fields_merge_like_the_record_s_own() {
        use crate::model::{CustomerKind, FieldValue};
        let t = |h: u32| Timestamp::parse(&format!("2026-11-24T{h:02}:00:00+08:00")).unwrap();
        let wechat = CustomerField::Custom("微信号".into());
        let level = CustomerField::Custom("会员等级".into());
        let text = |s: &str| Some(FieldValue::Text(s.into()));
        let mut base = Customer::new(CustomerKind::Individual, "张三".into(), t(8), "li.na");
        base.id = "C000001".into();
        base.edit(wechat.clone(), text("wx_a"), t(9), "li.na")
            .unwrap();
        // Each side changes another custom field: both are kept, with both changes.
        let mut ours = base.clone();
        ours.edit(wechat.clone(), text("wx_b"), t(10), "li.na")
            .unwrap();
        let mut theirs = base.clone();
        theirs
            .edit(level.clone(), text("金卡"), t(11), "zhao.min")
            .unwrap();
        let merged = merge_customers(Some(&base), &ours, &theirs, "git").unwrap();
        assert_eq!(merged.get(&wechat), text("wx_b"));
        assert_eq!(merged.get(&level), text("金卡"));
        assert_eq!(merged.changes.len(), 3);
        assert_eq!(
            merged,
            merge_customers(Some(&base), &theirs, &ours, "git").unwrap()
        );
        // Both change one: the later change wins, whichever side is ours.
        theirs
            .edit(wechat.clone(), text("wx_c"), t(12), "zhao.min")
            .unwrap();
        for (a, b) in [(&ours, &theirs), (&theirs, &ours)] {
            let merged = merge_customers(Some(&base), a, b, "git").unwrap();
            assert_eq!(merged.get(&wechat), text("wx_c"));
        }
        // A custom field edited or removed in the file by hand is logged, and kept.
        let mut by_hand = base.clone();
        by_hand.custom.insert("QQ".into(), "12345".into());
        by_hand.custom.remove("微信号");
        let merged = merge_customers(Some(&base), &by_hand, &theirs, "git").unwrap();
        assert_eq!(
            merged.get(&CustomerField::Custom("QQ".into())),
            text("12345")
        );
        let logged: Vec<_> = merged
            .changes
            .iter()
            .filter(|c| c.by == "git")
            .map(|c| (c.field.as_str(), c.to.clone()))
            .collect();
        assert_eq!(
            logged,
            [("custom.QQ", text("12345")), ("custom.微信号", None)]
        );
        // theirs changed 微信号 after the hand removal's base: the later change.
        assert_eq!(merged.get(&wechat), text("wx_c"));
    }

    #[test]
    fn unknown_fields_merge_key_by_key_and_either_side_may_be_ours() {
        use crate::yaml::Value;
        let map = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect()
        };
        let base = map(&[
            ("kept", "1"),
            ("ours_changes", "1"),
            ("theirs_drops", "1"),
            ("both", "1"),
        ]);
        let ours = map(&[
            ("kept", "1"),
            ("ours_changes", "2"),
            ("theirs_drops", "1"),
            ("both", "a"),
            ("ours_adds", "x"),
        ]);
        let theirs = map(&[
            ("kept", "1"),
            ("ours_changes", "1"),
            ("both", "b"),
            ("theirs_adds", "y"),
        ]);
        let merged = merge_maps(Some(&base), &ours, &theirs);
        assert_eq!(
            merged,
            map(&[
                ("both", "b"),
                ("kept", "1"),
                ("ours_adds", "x"),
                ("ours_changes", "2"),
                ("theirs_adds", "y"),
            ])
        );
        assert_eq!(merge_maps(Some(&base), &theirs, &ours), merged);
        // Without an ancestor, every key of either side is kept.
        let merged = merge_maps(None, &ours, &theirs);
        assert_eq!(merged.len(), 7 - 1, "{merged:?}");
        assert_eq!(merged["theirs_drops"], Value::String("1".into()));
        assert_eq!(merge_maps(None, &theirs, &ours), merged);
    }

    #[test]
    fn hand_edits_on_both_sides_are_each_logged_and_kept() {
        use crate::model::{CustomerKind, FieldValue};
        let t = |h: u32| Timestamp::parse(&format!("2026-11-24T{h:02}:00:00+08:00")).unwrap();
        let text = |s: &str| Some(FieldValue::Text(s.into()));
        let mut base = Customer::new(CustomerKind::Individual, "张三".into(), t(8), "li.na");
        base.id = "C000001".into();
        base.phone = Some("13900000001".into());
        // Each side edits the file by hand: another field each, and the
        // address both, to different values.
        let mut ours = base.clone();
        ours.phone = Some("13900000002".into());
        ours.address = Some("杭州".into());
        let mut theirs = base.clone();
        theirs.email = Some("zs@example.com".into());
        theirs.address = Some("上海".into());
        let merged = merge_customers(Some(&base), &ours, &theirs, "git").unwrap();
        assert_eq!(merged.get(&CustomerField::Phone), text("13900000002"));
        assert_eq!(merged.get(&CustomerField::Email), text("zs@example.com"));
        let mut logged: Vec<_> = merged
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.by.as_str(), c.to.clone()))
            .collect();
        logged.sort_by(|a, b| (a.0, format!("{:?}", a.2)).cmp(&(b.0, format!("{:?}", b.2))));
        assert_eq!(
            logged,
            [
                ("address", "git", text("上海")),
                ("address", "git", text("杭州")),
                ("email", "git", text("zs@example.com")),
                ("phone", "git", text("13900000002")),
            ]
        );
        // The address both changed at once: one value, whichever side is ours.
        let swapped = merge_customers(Some(&base), &theirs, &ours, "git").unwrap();
        assert_eq!(
            merged.get(&CustomerField::Address),
            swapped.get(&CustomerField::Address)
        );
        assert!(merged.get(&CustomerField::Address).is_some());
        assert_eq!(swapped.get(&CustomerField::Phone), text("13900000002"));
        assert_eq!(swapped.get(&CustomerField::Email), text("zs@example.com"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Random three-way merges of a shared history and two sides that
        /// append events (often exact copies of the ancestor's last event or
        /// of each other's): every event of either side is kept with its
        /// multiplicity, nothing is invented, the result is in time order,
        /// and either side may be `ours`.
        #[test]
        fn union_loses_no_event(
            common in proptest::collection::vec((0i64..3, 0u8..3), 1..6),
            left in proptest::collection::vec((0i64..3, 0u8..3), 0..8),
            right in proptest::collection::vec((0i64..3, 0u8..3), 0..8),
        ) {
            let base = append(&[], &common);
            let (a, b) = (append(&base, &left), append(&base, &right));
            let ab = union_in_time_order(&a, &b, |e| e.at);
            let ba = union_in_time_order(&b, &a, |e| e.at);
            prop_assert_eq!(&ab, &ba);
            prop_assert!(ab.windows(2).all(|w| w[0].at <= w[1].at));
            let (na, nb, n) = (multiset(&a), multiset(&b), multiset(&ab));
            let get = |m: &HashMap<String, usize>, k: &String| m.get(k).copied().unwrap_or(0);
            for key in na.keys().chain(nb.keys()) {
                prop_assert_eq!(get(&n, key), get(&na, key).max(get(&nb, key)), "{}", key);
            }
            prop_assert!(n.keys().all(|k| na.contains_key(k) || nb.contains_key(k)));
            // Each side's own order of its events is kept, unless the sides
            // order two events of one minute in opposite ways.
            let before = |log: &[Event], p: &Event, q: &Event| {
                log.iter().position(|e| e == p).zip(log.iter().rposition(|e| e == q))
                    .is_some_and(|(x, y)| x < y)
            };
            let opposite = a.iter().any(|p| b.iter().any(|q| p != q && before(&a, p, q) && before(&b, q, p)));
            for side in [&a, &b].into_iter().filter(|_| !opposite) {
                let mut rest = ab.iter();
                prop_assert!(side.iter().all(|e| rest.any(|m| m == e)));
            }
        }
    }
}
