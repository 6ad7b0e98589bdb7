//! The satisfaction survey's rules: every dimension scored once from 1 to 5,
//! an NPS from 0 to 10, the threshold at or below which a score means the
//! customer is unsatisfied, and the window after a close within which a
//! survey is due. Pure: the dimensions, threshold and window are desk.yaml's,
//! passed in by the caller.

pub mod mailed;

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::{Event, Payload, Status, Summary, Survey};
use crate::clock::Timestamp;
use crate::error::{Error, Result};

/// A dimension's score: 1 (very unsatisfied) to 5 (very satisfied).
pub const SCORES: RangeInclusive<u8> = 1..=5;
/// The net promoter score: how likely to recommend us, 0 to 10.
pub const NPS: RangeInclusive<u8> = 0..=10;

/// A score as typed for `dimension`.
pub fn score(dimension: &str, input: &str) -> Result<u8> {
    input
        .trim()
        .parse()
        .ok()
        .filter(|n| SCORES.contains(n))
        .ok_or_else(|| {
            Error::invalid(
                format!("score for {dimension}"),
                input,
                "scores are whole numbers from 1 to 5",
            )
        })
}

/// An NPS as typed.
pub fn nps(input: &str) -> Result<u8> {
    input
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|n| NPS.contains(n))
        .ok_or_else(|| Error::invalid("--nps", input, "NPS is a whole number from 0 to 10"))
}

/// An answer's scores from what was given, one at a time and in the order
/// typed: each a dimension's key, its score as typed, and the whole
/// argument as typed (for errors). Each score must be in range, no dimension
/// scored twice, and every one of `dimensions` scored. The first error of
/// `given` (an unknown dimension, say) is returned where it occurs, so errors
/// come in the order the scores were typed.
pub fn scores<'a>(
    dimensions: &[&str],
    given: impl IntoIterator<Item = Result<(String, &'a str, &'a str)>>,
) -> Result<BTreeMap<String, u8>> {
    let mut scores = BTreeMap::new();
    let mut typed = Vec::new();
    for item in given {
        let (dimension, value, argument) = item?;
        typed.push(argument);
        let score = score(&dimension, value)?;
        if scores.contains_key(&dimension) {
            return Err(Error::invalid(
                "--score",
                argument,
                format!("{dimension} is scored twice"),
            ));
        }
        scores.insert(dimension, score);
    }
    let missing: Vec<&str> = dimensions
        .iter()
        .copied()
        .filter(|d| !scores.contains_key(*d))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "survey",
            typed.join(" "),
            format!(
                "every dimension must be scored; missing: {}",
                missing.join(", ")
            ),
        ));
    }
    Ok(scores)
}

impl Survey {
    /// Whether this answer reopens the ticket: some score at or below
    /// `threshold`, or the customer said so (`said`) whatever the scores.
    pub fn unsatisfied(&self, threshold: u8, said: bool) -> bool {
        said || self.scores.values().any(|&s| s <= threshold)
    }
}

/// Whether the `surveyed` event at `i` of a history found the customer
/// unsatisfied: such an answer (a score at or below the threshold, or the
/// customer said so) reopens the ticket, which [`Ticket::survey`] records
/// as a `reopened` event right after the survey, by the same person at the
/// same time. So the history says it, whatever desk.yaml's threshold is now.
///
/// [`Ticket::survey`]: super::Ticket::survey
pub fn reopened_by(history: &[Event], i: usize) -> bool {
    match (history.get(i), history.get(i + 1)) {
        (Some(survey), Some(next)) => {
            matches!(survey.payload, Payload::Surveyed(_))
                && matches!(next.payload, Payload::Reopened(_))
                && next.at == survey.at
                && next.by == survey.by
        }
        _ => false,
    }
}

/// Whether a ticket waits for its survey: closed, and not surveyed since.
pub fn awaits_survey(t: &Summary) -> bool {
    t.status == Status::Closed && !t.surveyed_since_last_close()
}

/// A closed ticket waiting for its survey.
#[derive(Debug, Clone, Copy)]
pub struct Due<'a> {
    pub ticket: &'a Summary,
    /// When the current closure began.
    pub closed: Timestamp,
    /// Seconds left of the window at `now`; zero or less once it has passed.
    pub seconds_left: i64,
}

impl Due<'_> {
    /// Hours left of the window (negative once it has passed).
    pub fn hours_left(&self) -> f64 {
        self.seconds_left as f64 / 3600.0
    }
}

/// The tickets of `tickets` due for a survey at `now`: waiting for one
/// ([`awaits_survey`]) and closed less than `window_hours` ago, or with
/// `all` whenever closed. Oldest close first, then by ID.
pub fn due(tickets: &[Summary], now: Timestamp, window_hours: u32, all: bool) -> Vec<Due<'_>> {
    let window = i64::from(window_hours) * 3600;
    let mut due: Vec<Due> = tickets
        .iter()
        .filter(|t| awaits_survey(t))
        .filter_map(|t| {
            let closed = t.closed_at()?;
            let seconds_left = window - (now.timestamp() - closed.timestamp());
            (all || seconds_left > 0).then_some(Due {
                ticket: t,
                closed,
                seconds_left,
            })
        })
        .collect();
    due.sort_by(|a, b| {
        a.closed
            .cmp(&b.closed)
            .then_with(|| a.ticket.id.cmp(&b.ticket.id))
    });
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewTicket, Ticket};

    const DIMENSIONS: [&str; 2] = ["attitude", "efficiency"];

    fn given<'a>(
        items: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = Result<(String, &'a str, &'a str)>> {
        items.iter().map(|(d, v)| Ok((d.to_string(), *v, *v)))
    }

    #[test]
    fn scores_are_whole_numbers_from_1_to_5() {
        assert_eq!(score("attitude", " 5 ").unwrap(), 5);
        assert_eq!(score("attitude", "1").unwrap(), 1);
        for bad in ["0", "6", "2.5", "", "-1", "five", "256"] {
            let err = score("attitude", bad).unwrap_err().to_string();
            assert!(err.contains("score for attitude"), "{bad}: {err}");
            assert!(err.contains("from 1 to 5"), "{bad}: {err}");
        }
    }

    #[test]
    fn nps_is_a_whole_number_from_0_to_10() {
        assert_eq!(nps("0").unwrap(), 0);
        assert_eq!(nps(" 10").unwrap(), 10);
        for bad in ["11", "-1", "7.5", "", "ten"] {
            let err = nps(bad).unwrap_err().to_string();
            assert!(err.contains("from 0 to 10"), "{bad}: {err}");
        }
    }

    proptest::proptest! {
        /// Whatever is typed, a score or NPS in range, or an error.
        #[test]
        fn typed_scores_are_in_range_or_refused(input in "\\PC{0,6}|[ +-]?[0-9]{1,4} ?") {
            match score("attitude", &input) {
                Ok(n) => proptest::prop_assert!(SCORES.contains(&n)),
                Err(e) => proptest::prop_assert!(e.to_string().contains("from 1 to 5")),
            }
            match nps(&input) {
                Ok(n) => proptest::prop_assert!(NPS.contains(&n)),
                Err(e) => proptest::prop_assert!(e.to_string().contains("from 0 to 10")),
            }
        }
    }

    #[test]
    fn every_dimension_is_scored_once() {
        let got = scores(
            &DIMENSIONS,
            given(&[("efficiency", "4"), ("attitude", "2")]),
        )
        .unwrap();
        assert_eq!(
            got,
            BTreeMap::from([("attitude".into(), 2), ("efficiency".into(), 4)])
        );

        let err = scores(&DIMENSIONS, given(&[("attitude", "3")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing: efficiency"), "{err}");
        assert!(err.contains("'3'"), "quotes what was typed: {err}");

        let twice = [("attitude", "3"), ("efficiency", "4"), ("attitude", "5")];
        let err = scores(&DIMENSIONS, given(&twice)).unwrap_err().to_string();
        assert!(err.contains("attitude is scored twice"), "{err}");
    }

    #[test]
    fn errors_come_in_the_order_the_scores_were_typed() {
        // A bad score before a bad dimension: the score is named.
        let items: Vec<Result<(String, &str, &str)>> = vec![
            Ok(("attitude".into(), "9", "attitude=9")),
            Err(Error::invalid(
                "survey dimension",
                "mood",
                "expected one of ...",
            )),
        ];
        let err = scores(&DIMENSIONS, items).unwrap_err().to_string();
        assert!(err.contains("score for attitude"), "{err}");
        let items: Vec<Result<(String, &str, &str)>> = vec![
            Err(Error::invalid(
                "survey dimension",
                "mood",
                "expected one of ...",
            )),
            Ok(("attitude".into(), "9", "attitude=9")),
        ];
        let err = scores(&DIMENSIONS, items).unwrap_err().to_string();
        assert!(err.contains("mood"), "{err}");
    }

    #[test]
    fn a_score_at_or_below_the_threshold_is_unsatisfied() {
        let survey = |s: u8| Survey {
            scores: BTreeMap::from([("attitude".into(), 5), ("efficiency".into(), s)]),
            nps: None,
            comment: None,
            channel: None,
        };
        assert!(survey(2).unsatisfied(2, false));
        assert!(!survey(3).unsatisfied(2, false));
        assert!(survey(3).unsatisfied(3, false));
        assert!(
            survey(5).unsatisfied(2, true),
            "said so, whatever the scores"
        );
    }

    fn closed(id: &str, at: &str, surveyed: bool) -> Summary {
        let t0 = Timestamp::parse("2026-11-01T09:00:00+08:00").unwrap();
        let at = Timestamp::parse(at).unwrap();
        let mut t = Ticket::create(
            id.into(),
            NewTicket {
                assignee: Some("wang.qiang".into()),
                ..NewTicket::sample()
            },
            t0,
            "li.na",
        );
        t.close("fixed".into(), None, None, at, "wang.qiang")
            .unwrap();
        if surveyed {
            let answer = Survey {
                scores: BTreeMap::from([("attitude".into(), 5)]),
                nps: None,
                comment: None,
                channel: None,
            };
            t.survey(answer, false, at, "li.na").unwrap();
        }
        Summary::of(&t)
    }

    #[test]
    fn surveys_are_due_within_the_window_oldest_close_first() {
        let now = Timestamp::parse("2026-11-10T12:00:00+08:00").unwrap();
        let tickets = [
            closed("T-2", "2026-11-10T09:00:00+08:00", false), // 3 h ago
            closed("T-1", "2026-11-09T13:00:00+08:00", false), // 23 h ago
            closed("T-3", "2026-11-09T12:00:00+08:00", false), // 24 h ago: passed
            closed("T-4", "2026-11-10T10:00:00+08:00", true),  // surveyed
        ];
        let due_now = due(&tickets, now, 24, false);
        let ids: Vec<&str> = due_now.iter().map(|d| d.ticket.id.as_str()).collect();
        assert_eq!(ids, ["T-1", "T-2"]);
        assert_eq!(due_now[0].seconds_left, 3600);
        assert_eq!(due_now[1].seconds_left, 21 * 3600);
        assert_eq!(due_now[1].hours_left(), 21.0);

        let all = due(&tickets, now, 24, true);
        let ids: Vec<&str> = all.iter().map(|d| d.ticket.id.as_str()).collect();
        assert_eq!(ids, ["T-3", "T-1", "T-2"]);
        assert_eq!(all[0].seconds_left, 0);
        assert_eq!(all[0].hours_left(), 0.0);
        assert!(!awaits_survey(&tickets[3]));
    }
}
