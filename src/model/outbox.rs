//! Deliveries of rules' notifications and hooks, as a ticket's history
//! records them (docs/automation.md): a `queued` event per delivery, then
//! `delivery_failed` attempts and at most one `notified`, all tied by the
//! delivery's key. Pure: the state of each key is replayed from the history.
//! A `queued` event is a reference to its rule's action; what it delivers
//! is found in the rules (`crate::rules::explain`), never in the event.

use std::collections::BTreeMap;

use super::{DeliveryFailed, Event, Notified, Payload, Queued};
use crate::clock::Timestamp;

/// After this many failed attempts a delivery is given up: it stays in the
/// history and `desk outbox` as failed, and is tried no more.
pub const MAX_ATTEMPTS: u32 = 10;

/// The first retry waits this long; each next one twice as long as the one
/// before, up to [`MAX_DELAY_SECONDS`].
pub const FIRST_DELAY_SECONDS: i64 = 5 * 60;
pub const MAX_DELAY_SECONDS: i64 = 6 * 3600;

/// When to try again after attempt `attempt` (1-based) failed at `at`;
/// `None`: give up (the limit is reached, or the error is permanent).
/// 5 min, 10, 20, 40, 80, 160, 320 min, then every 6 h: the 10th attempt
/// comes about 22.6 h after the first.
pub fn next_attempt(attempt: u32, at: Timestamp, permanent: bool) -> Option<Timestamp> {
    if permanent || attempt >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempt.saturating_sub(1).min(20);
    let delay = (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS);
    Some(Timestamp(at.0 + chrono::TimeDelta::seconds(delay)))
}

/// The Message-ID of a delivery's mail (without angle brackets): the same
/// for every attempt of one key, on every clone, so a mail client shows a
/// resent message once.
pub fn message_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(key.as_bytes());
    let hex = crate::crypto::hex(&hash[..16]);
    format!("{hex}@desk")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryState {
    /// Queued, not tried yet.
    Pending,
    /// Tried and failed; tried again at `next_attempt`.
    Retrying,
    /// Given up after the last attempt (or a permanent error).
    Failed,
    Delivered,
    /// Judged no longer true of its ticket and never sent (its last
    /// `delivery_failed` error begins [`DROPPED`]): settled, nothing to do.
    Dropped,
}

/// How the error of a dropped notice begins.
pub const DROPPED: &str = "dropped: ";

impl DeliveryState {
    pub fn key(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Failed => "failed",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dropped => "dropped",
        }
    }

    /// Still to be delivered by a later `desk run`.
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Retrying)
    }
}

/// One key's delivery, from its `queued` event and what followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub key: String,
    /// The rule that queued it (`by: rule:NAME`).
    pub rule: String,
    /// The `queued` event (the first one of the key).
    pub queued: Event,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt: Option<Timestamp>,
    pub state: DeliveryState,
}

impl Delivery {
    /// What the `queued` event says.
    pub fn reference(&self) -> &Queued {
        match &self.queued.payload {
            Payload::Queued(q) => q,
            _ => unreachable!("a delivery starts from its `queued` event"),
        }
    }

    pub fn via(&self) -> &str {
        self.reference().via.as_deref().unwrap_or("")
    }

    /// The recipients as queued (agent IDs, `customer`); one written by
    /// hand as a single name (`to: li.na`) too.
    pub fn to(&self) -> Vec<String> {
        match (&self.reference().to, self.queued.extra.get("to")) {
            (Some(list), _) => list.clone(),
            (None, Some(crate::yaml::Value::String(s))) => vec![s.clone()],
            (None, Some(crate::yaml::Value::Sequence(items))) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            (None, _) => Vec::new(),
        }
    }

    /// Whether `desk run` at `now` should try it.
    pub fn due(&self, now: Timestamp) -> bool {
        self.state.is_open() && self.next_attempt.is_none_or(|t| t <= now)
    }
}

/// Every delivery of a history, in the order queued. A key queued twice
/// (two clones queued the same time rule before their histories merged)
/// is one delivery; a `notified` anywhere makes it delivered.
pub fn deliveries(history: &[Event]) -> Vec<Delivery> {
    let mut order: Vec<Delivery> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for e in history {
        match &e.payload {
            Payload::Queued(Queued { key, .. }) if !index.contains_key(key.as_str()) => {
                index.insert(key, order.len());
                order.push(Delivery {
                    key: key.to_string(),
                    rule: e.rule().unwrap_or_default().to_string(),
                    queued: e.clone(),
                    attempts: 0,
                    last_error: None,
                    next_attempt: None,
                    state: DeliveryState::Pending,
                });
            }
            Payload::Notified(Notified { key, .. })
            | Payload::DeliveryFailed(DeliveryFailed { key, .. }) => {
                // A result whose `queued` is not (yet) in this history is
                // kept for when it arrives by a merge.
                let Some(&i) = index.get(key.as_str()) else {
                    continue;
                };
                let d = &mut order[i];
                if d.state == DeliveryState::Delivered {
                    continue;
                }
                if let Payload::DeliveryFailed(f) = &e.payload {
                    d.attempts = d.attempts.max(f.attempt.unwrap_or(d.attempts + 1));
                    // Masked, as recorded since; older histories may not be.
                    d.last_error = f.error.as_deref().map(super::mask::personal_in);
                    d.next_attempt = f.next_attempt;
                    d.state = if f.next_attempt.is_some() {
                        DeliveryState::Retrying
                    } else if f.error.as_deref().is_some_and(|e| e.starts_with(DROPPED)) {
                        DeliveryState::Dropped
                    } else {
                        DeliveryState::Failed
                    };
                } else {
                    d.state = DeliveryState::Delivered;
                    d.next_attempt = None;
                }
            }
            _ => {}
        }
    }
    order
}

/// How many deliveries of a history a later `desk run` still has to make,
/// and how many were given up.
pub fn counts(history: &[Event]) -> (u32, u32) {
    let all = deliveries(history);
    let n = |f: &dyn Fn(&Delivery) -> bool| {
        u32::try_from(all.iter().filter(|d| f(d)).count()).unwrap_or(u32::MAX)
    };
    (
        n(&|d| d.state.is_open()),
        n(&|d| d.state == DeliveryState::Failed),
    )
}

/// When the first of a history's open deliveries is due (queued: at once;
/// retrying: at its next attempt), or `None` when none is open.
pub fn next_due(history: &[Event]) -> Option<Timestamp> {
    deliveries(history)
        .into_iter()
        .filter(|d| d.state.is_open())
        .map(|d| d.next_attempt.unwrap_or(d.queued.at))
        .min()
}

/// How many deliveries of a history a later `desk run` still has to make.
pub fn open_count(history: &[Event]) -> u32 {
    counts(history).0
}

/// Keeps one `queued`, one `notified` and one `fired` event per key, the
/// earliest, and of the events a time rule's firing made (an assignment, a
/// note, an edit of a field, each carrying the firing's key) the earliest
/// firing's: two clones that both queued, delivered or fired the same cause
/// merge to one.
/// Failed attempts are all kept (each is a fact about one clone's try).
pub fn one_per_key(history: Vec<Event>) -> Vec<Event> {
    let mut seen: std::collections::BTreeSet<(String, String, String, String)> = Default::default();
    history
        .into_iter()
        .filter(|e| {
            let Some(key) = e.key() else { return true };
            // Which of a firing's events it is: an edit by its field, a note
            // by its text; an assignment is one per firing, to whichever
            // agent the clone picked.
            let (field, note) = match &e.payload {
                Payload::Queued(_) | Payload::Notified(_) | Payload::Fired(_) => Default::default(),
                Payload::Edited(edit) if e.rule().is_some() => {
                    (edit.field.clone(), edit.note.clone().unwrap_or_default())
                }
                Payload::Assigned(_) | Payload::Updated(_) if e.rule().is_some() => (
                    String::new(),
                    e.payload.note().unwrap_or_default().to_string(),
                ),
                _ => return true,
            };
            seen.insert((e.action_name().to_string(), key.to_string(), field, note))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Updated;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn event(at: &str, action: &str, key: &str) -> Event {
        let mut fields = vec![("key", key.into())];
        if action != "fired" {
            fields.push(("via", "run".into()));
        }
        Event::from_fields(t(at), "rule:r", action, fields)
    }

    fn failed(at: &str, key: &str, attempt: u32, next: Option<&str>) -> Event {
        let failed = DeliveryFailed {
            to: None,
            key: key.into(),
            via: Some("run".into()),
            attempt: Some(attempt),
            error: Some("exit 3".into()),
            next_attempt: next.map(t),
        };
        Event::new(t(at), "rule:r", failed)
    }

    #[test]
    fn backoff_doubles_from_five_minutes_to_six_hours_and_gives_up_at_the_limit() {
        let at = t("2026-11-24T10:00:00+08:00");
        let delays: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| (next_attempt(n, at, false).unwrap().0 - at.0).num_minutes())
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 360, 360]);
        assert_eq!(next_attempt(MAX_ATTEMPTS, at, false), None);
        assert_eq!(next_attempt(1, at, true), None);
        // Far past the limit, no overflow.
        assert_eq!(next_attempt(u32::MAX, at, false), None);
    }

    #[test]
    fn message_ids_derive_from_the_key_alone() {
        let a = message_id("notify/CW202611240001/1f3a9c0d2b7e");
        assert_eq!(a, message_id("notify/CW202611240001/1f3a9c0d2b7e"));
        assert_ne!(a, message_id("notify/CW202611240001/1f3a9c0d2b7f"));
        assert!(a.ends_with("@desk") && a.len() == 32 + 5, "{a}");
    }

    #[test]
    fn a_key_is_pending_then_retrying_then_delivered_or_failed() {
        let mut h = vec![event("2026-11-24T10:00:00+08:00", "queued", "k")];
        assert_eq!(deliveries(&h)[0].state, DeliveryState::Pending);
        assert_eq!(open_count(&h), 1);
        let failed = failed(
            "2026-11-24T10:01:00+08:00",
            "k",
            1,
            Some("2026-11-24T10:06:00+08:00"),
        );
        h.push(failed.clone());
        let d = &deliveries(&h)[0];
        assert_eq!(d.state, DeliveryState::Retrying);
        assert_eq!(d.attempts, 1);
        assert!(!d.due(t("2026-11-24T10:05:59+08:00")));
        assert!(d.due(t("2026-11-24T10:06:00+08:00")));
        // The last attempt: no next one.
        let last = super::tests::failed("2026-11-24T10:01:00+08:00", "k", MAX_ATTEMPTS, None);
        let mut gave_up = h.clone();
        gave_up.push(last);
        assert_eq!(deliveries(&gave_up)[0].state, DeliveryState::Failed);
        assert_eq!(open_count(&gave_up), 0);
        h.push(event("2026-11-24T10:07:00+08:00", "notified", "k"));
        assert_eq!(deliveries(&h)[0].state, DeliveryState::Delivered);
        assert_eq!(open_count(&h), 0);
        // A failure recorded after the delivery (another clone's) changes nothing.
        h.push(failed);
        assert_eq!(deliveries(&h)[0].state, DeliveryState::Delivered);
    }

    #[test]
    fn two_clones_firing_one_cycle_merge_to_the_first_clone_s_events() {
        let firing = |at: &str, to: &str| {
            let key = || ("key", "r/T/x/c".into());
            let e = |action, fields| Event::from_fields(t(at), "rule:r", action, fields);
            let fired = e("fired", vec![key()]);
            let note = e("updated", vec![key(), ("note", "请跟进".into())]);
            let edit = e("edited", vec![key(), ("field", "priority".into())]);
            let assign = e("assigned", vec![key(), ("to", to.into())]);
            vec![fired, note, edit, assign]
        };
        let mut h = firing("2026-11-24T10:00:00+08:00", "wang");
        h.extend(firing("2026-11-24T10:07:00+08:00", "zhao"));
        // A person's note is never merged away, keyed or not.
        let note = Updated {
            note: Some("请跟进".into()),
            ..Updated::default()
        };
        let person = Event::new(t("2026-11-24T10:08:00+08:00"), "li.na", note);
        h.push(person.clone());
        let kept = one_per_key(h);
        assert_eq!(kept.len(), 5, "{kept:#?}");
        assert!(kept[..4]
            .iter()
            .all(|e| e.at == t("2026-11-24T10:00:00+08:00")));
        assert_eq!(kept[3].assignee(), Some("wang"));
        assert_eq!(kept[4], person);
    }

    #[test]
    fn the_next_delivery_is_the_first_queued_or_the_first_retry() {
        let mut h = vec![event("2026-11-24T10:00:00+08:00", "queued", "a")];
        assert_eq!(next_due(&h), Some(t("2026-11-24T10:00:00+08:00")));
        h.push(failed(
            "2026-11-24T10:01:00+08:00",
            "a",
            1,
            Some("2026-11-24T10:06:00+08:00"),
        ));
        assert_eq!(next_due(&h), Some(t("2026-11-24T10:06:00+08:00")));
        h.push(event("2026-11-24T10:02:00+08:00", "queued", "b"));
        assert_eq!(next_due(&h), Some(t("2026-11-24T10:02:00+08:00")));
        h.push(event("2026-11-24T10:03:00+08:00", "notified", "b"));
        h.push(event("2026-11-24T10:07:00+08:00", "notified", "a"));
        assert_eq!(next_due(&h), None);
    }

    #[test]
    fn merging_keeps_the_earliest_queued_notified_and_fired_of_a_key() {
        let h = vec![
            event("2026-11-24T10:00:00+08:00", "queued", "k"),
            event("2026-11-24T10:00:01+08:00", "queued", "k"),
            event("2026-11-24T10:00:02+08:00", "queued", "other"),
            event("2026-11-24T10:05:00+08:00", "notified", "k"),
            event("2026-11-24T10:05:00+08:00", "delivery_failed", "other"),
            event("2026-11-24T10:06:00+08:00", "notified", "k"),
            event("2026-11-24T10:07:00+08:00", "delivery_failed", "other"),
            event("2026-11-24T10:08:00+08:00", "fired", "t"),
            event("2026-11-24T10:08:30+08:00", "fired", "t"),
        ];
        let kept = one_per_key(h.clone());
        let at: Vec<(String, &str)> = kept
            .iter()
            .map(|e| (e.at.to_string(), e.action_name()))
            .collect();
        assert_eq!(
            at,
            [
                ("2026-11-24T10:00:00+08:00".to_string(), "queued"),
                ("2026-11-24T10:00:02+08:00".to_string(), "queued"),
                ("2026-11-24T10:05:00+08:00".to_string(), "notified"),
                ("2026-11-24T10:05:00+08:00".to_string(), "delivery_failed"),
                ("2026-11-24T10:07:00+08:00".to_string(), "delivery_failed"),
                ("2026-11-24T10:08:00+08:00".to_string(), "fired"),
            ]
        );
        assert_eq!(deliveries(&h).len(), 2);
    }
}
