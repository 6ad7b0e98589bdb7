//! Lengths of time as people type them, in desk.yaml and on the command
//! line: one grammar, one table of units, in which no spelling means two
//! things. A length is one or more terms, a number and a unit: `30min`,
//! `4h`, `3d`, `2w`, `6mo`, `1y`, `1d12h`.
//!
//! Each place takes the units that make sense there: a *duration* (SLA
//! targets, the waits of time rules, `--catch-up`) is days, hours and
//! minutes, since a working day has a length; a *span* (dormancy) is days,
//! weeks, months or years of the calendar.
//!
//! Before `min` and `mo`, a bare `m` meant minutes in durations and months
//! in spans. It is still read so where it was written ([`parse_duration`],
//! [`parse_span`]); [`Ambiguous`] names the spelling to use instead, for
//! the warnings of `desk check` and `desk run`.

use super::Timestamp;

/// The longest duration, in days of its clock: a year. Longer is not a
/// service level, and it keeps every due date computable.
pub const MAX_DURATION_DAYS: i64 = 366;

/// The units of the grammar, each spelled one way, and what each is.
const UNITS: [(&str, Unit); 6] = [
    ("min", Unit::Minutes),
    ("h", Unit::Hours),
    ("d", Unit::Days),
    ("w", Unit::Weeks),
    ("mo", Unit::Months),
    ("y", Unit::Years),
];

/// The spelling read as minutes in durations and months in spans, from
/// before `min` and `mo`.
const BARE_M: &str = "m";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

/// What a bare `m` means where it is read: the meaning it had there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareM {
    /// SLA targets, the waits of time rules, `--catch-up`.
    Minutes,
    /// Dormancy spans (`customers.dormant_after`, `dormant_for`, `--dormant`).
    Months,
}

impl BareM {
    fn unit(self) -> Unit {
        match self {
            BareM::Minutes => Unit::Minutes,
            BareM::Months => Unit::Months,
        }
    }

    fn spelling(self) -> &'static str {
        match self {
            BareM::Minutes => "min",
            BareM::Months => "mo",
        }
    }
}

/// One term as typed: its digits and its unit's letters.
struct Term<'t> {
    digits: &'t str,
    unit: &'t str,
}

impl Term<'_> {
    /// Too many digits for a u64 is too long a length, not a malformed one.
    fn number(&self) -> u64 {
        self.digits.parse().unwrap_or(u64::MAX)
    }

    fn unit(&self, bare_m: BareM) -> Option<Unit> {
        if self.unit == BARE_M {
            return Some(bare_m.unit());
        }
        UNITS
            .iter()
            .find(|(spelling, _)| *spelling == self.unit)
            .map(|(_, unit)| *unit)
    }
}

/// How a text fails the grammar itself.
enum Malformed {
    /// Not digits then letters, term after term.
    NotTerms,
    /// Digits at the end, or nothing at all.
    NoUnit,
}

/// The terms of `text` (trimmed), in order.
fn terms(text: &str) -> Result<Vec<Term<'_>>, Malformed> {
    let t = text.trim();
    let mut out = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, after) = rest.split_at(digits_end);
        if after.is_empty() {
            return Err(Malformed::NoUnit);
        }
        let unit_end = after
            .find(|c: char| !c.is_ascii_lowercase())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        if digits.is_empty() || unit.is_empty() {
            return Err(Malformed::NotTerms);
        }
        out.push(Term { digits, unit });
        rest = next;
    }
    if out.is_empty() {
        return Err(Malformed::NoUnit);
    }
    Ok(out)
}

/// A length written with a bare `m`: where (the key as the file or the
/// command line names it), as typed, what it is read as, and the spelling
/// to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguous {
    pub key: String,
    pub text: String,
    pub read_as: BareM,
    pub instead: String,
}

impl Ambiguous {
    /// `Some` when `text` (the value of `key`) has a bare `m`, read as
    /// `read_as` there.
    pub fn find(key: impl Into<String>, text: &str, read_as: BareM) -> Option<Ambiguous> {
        Some(Ambiguous {
            instead: unambiguous(text, read_as)?,
            key: key.into(),
            text: text.into(),
            read_as,
        })
    }
}

impl std::fmt::Display for Ambiguous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meaning = match self.read_as {
            BareM::Minutes => "minutes",
            BareM::Months => "months",
        };
        write!(
            f,
            "'{}' is read as {meaning}, as before, but a bare m could be minutes or months; \
             write '{}' (min is minutes, mo months)",
            crate::text::visible(&self.text),
            self.instead
        )
    }
}

/// The spelling of `text` to use instead, when it has a bare `m`: `15m`
/// read as minutes is `15min`, `6m` read as months `6mo`. `None` when the
/// text has no bare `m` (or is no length at all).
fn unambiguous(text: &str, bare_m: BareM) -> Option<String> {
    let terms = terms(text).ok()?;
    if !terms.iter().any(|t| t.unit == BARE_M) {
        return None;
    }
    Some(
        terms
            .iter()
            .map(|t| {
                let unit = if t.unit == BARE_M {
                    bare_m.spelling()
                } else {
                    t.unit
                };
                format!("{}{unit}", t.digits)
            })
            .collect(),
    )
}

/// What is wrong with a duration; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("'{0}' is not a duration like 4h, 30min or 3d")]
    NotADuration(String),
    #[error("'{0}' is not a duration like 4h, 30min or 3d (give a unit: d, h or min)")]
    NoUnit(String),
    #[error(
        "'{0}' is not a duration like 4h, 30min or 3d: weeks, months and years are spans of \
         the calendar, and a duration may run on working days; give days"
    )]
    CalendarUnit(String),
    #[error("'{0}' is too long; a target is at most {MAX_DURATION_DAYS}d")]
    TooLong(String),
}

/// `(days, seconds)` of a duration such as `1d4h30min`, each at most
/// [`MAX_DURATION_DAYS`] days' worth. The days stay apart: on the working
/// clock a day is a working day. A bare `m` is minutes.
pub fn parse_duration(text: &str) -> Result<(i64, i64), DurationError> {
    let terms = terms(text).map_err(|e| match e {
        Malformed::NotTerms => DurationError::NotADuration(text.into()),
        Malformed::NoUnit => DurationError::NoUnit(text.into()),
    })?;
    let too_long = || DurationError::TooLong(text.into());
    let (mut days, mut secs): (i64, i64) = (0, 0);
    for term in &terms {
        let unit = term
            .unit(BareM::Minutes)
            .ok_or_else(|| DurationError::NotADuration(text.into()))?;
        let n = i64::try_from(term.number()).map_err(|_| too_long())?;
        let (d, s) = match unit {
            Unit::Days => (n, 0),
            Unit::Hours => (0, n.checked_mul(3600).ok_or_else(too_long)?),
            Unit::Minutes => (0, n.checked_mul(60).ok_or_else(too_long)?),
            Unit::Weeks | Unit::Months | Unit::Years => {
                return Err(DurationError::CalendarUnit(text.into()))
            }
        };
        days = days.checked_add(d).ok_or_else(too_long)?;
        secs = secs.checked_add(s).ok_or_else(too_long)?;
        if days > MAX_DURATION_DAYS || secs > MAX_DURATION_DAYS * 86_400 {
            return Err(too_long());
        }
    }
    Ok((days, secs))
}

/// A span of calendar time, as in `6mo`, `180d`, `26w`, `1y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(u32),
    Months(u32),
}

impl Span {
    /// The instant this span before `t`.
    pub fn before(self, t: Timestamp) -> Timestamp {
        let back = match self {
            Span::Days(d) => t.0.checked_sub_days(chrono::Days::new(d.into())),
            Span::Months(m) => t.0.checked_sub_months(chrono::Months::new(m)),
        };
        Timestamp::new(back.unwrap_or(t.0))
    }

    /// When something last active at `t` has been quiet for this span: the
    /// instant from which [`Span::before`] of now lies past `t`. That is
    /// [`Span::after`] but at a month's end, where counting back clamps
    /// (six months before 2027-02-28 is 2026-08-28, not 08-31): then the
    /// first instant whose span back does pass `t`.
    pub fn elapsed_since(self, t: Timestamp) -> Timestamp {
        let plain = self.after(t);
        let passes = |s: chrono::DateTime<chrono::FixedOffset>| self.before(Timestamp::new(s)) > t;
        let second = chrono::Duration::seconds(1);
        if passes(plain.0 + second) {
            return plain;
        }
        // Counting back is monotonic: search the few days after for the first
        // second that passes.
        let (mut lo, mut hi) = (plain.0, plain.0 + chrono::Duration::days(4));
        while hi - lo > second {
            let mid = lo + (hi - lo) / 2;
            if passes(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Timestamp::new(hi)
    }

    /// The instant this span after `t`.
    pub fn after(self, t: Timestamp) -> Timestamp {
        let on = match self {
            Span::Days(d) => t.0.checked_add_days(chrono::Days::new(d.into())),
            Span::Months(m) => t.0.checked_add_months(chrono::Months::new(m)),
        };
        Timestamp::new(on.unwrap_or(t.0))
    }
}

/// The longest span: 100 years, in each unit.
const SPAN_LIMITS: &str = "a span is at most 100 years: 36525d, 5217w, 1200mo or 100y";

/// A span: one term of days, weeks, months or years. A bare `m` is months.
pub fn parse_span(text: &str) -> Result<Span, String> {
    let bad = || {
        format!("'{text}' is not a span; expected a number and d, w, mo or y (6mo, 180d, 26w, 1y)")
    };
    let terms = terms(text).map_err(|_| bad())?;
    let [term] = terms.as_slice() else {
        return Err(bad());
    };
    let unit = term.unit(BareM::Months).ok_or_else(bad)?;
    let n = u32::try_from(term.number()).unwrap_or(u32::MAX);
    if n == 0 {
        return Err(bad());
    }
    let (span, limit) = match unit {
        Unit::Days => (Span::Days(n), 36_525),
        Unit::Weeks => (Span::Days(n.saturating_mul(7)), 5_217),
        Unit::Months => (Span::Months(n), 1_200),
        Unit::Years => (Span::Months(n.saturating_mul(12)), 100),
        Unit::Hours | Unit::Minutes => return Err(bad()),
    };
    if n > limit {
        return Err(format!("'{text}' is too long; {SPAN_LIMITS}"));
    }
    Ok(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_is_spelled_one_way() {
        assert_eq!(parse_duration("30min"), Ok((0, 1800)));
        assert_eq!(parse_duration("1d4h30min"), Ok((1, 4 * 3600 + 1800)));
        assert_eq!(parse_span("6mo"), Ok(Span::Months(6)));
        assert_eq!(parse_span("1y"), Ok(Span::Months(12)));
        assert_eq!(parse_span("2w"), Ok(Span::Days(14)));
        // Minutes are no span, months no duration: neither is a guess.
        assert!(parse_span("30min").is_err() && parse_span("4h").is_err());
        for calendar in ["6mo", "1y", "2w", "1d1mo"] {
            assert_eq!(
                parse_duration(calendar),
                Err(DurationError::CalendarUnit(calendar.into()))
            );
        }
        assert!(parse_duration("6M").is_err() && parse_duration("6mins").is_err());
        assert!(parse_span("1y6mo").is_err(), "a span is one term");
    }

    #[test]
    fn a_bare_m_keeps_the_meaning_it_had_where_it_was_written() {
        assert_eq!(parse_duration("15m"), Ok((0, 900)));
        assert_eq!(parse_duration("1h30m"), Ok((0, 5400)));
        assert_eq!(parse_span("6m"), Ok(Span::Months(6)));
        assert_eq!(
            unambiguous("1h30m", BareM::Minutes).as_deref(),
            Some("1h30min")
        );
        assert_eq!(unambiguous(" 6m ", BareM::Months).as_deref(), Some("6mo"));
        assert_eq!(unambiguous("007m", BareM::Months).as_deref(), Some("007mo"));
        // Already unambiguous, or no length at all: nothing to say.
        for text in ["15min", "6mo", "3d", "", "m", "6 m", "x"] {
            assert_eq!(unambiguous(text, BareM::Minutes), None, "{text}");
        }
        // The spelling offered reads back as the same length.
        assert_eq!(
            parse_duration(&unambiguous("2d90m", BareM::Minutes).unwrap()),
            parse_duration("2d90m")
        );
        assert_eq!(
            parse_span(&unambiguous("18m", BareM::Months).unwrap()),
            parse_span("18m")
        );
    }

    #[test]
    fn malformed_lengths_name_the_text() {
        let e = |t: &str| parse_duration(t).unwrap_err().to_string();
        assert_eq!(
            e("3"),
            "'3' is not a duration like 4h, 30min or 3d (give a unit: d, h or min)"
        );
        assert_eq!(e(""), format!("'' {}", &e("3")[4..]));
        assert_eq!(e("x1h"), "'x1h' is not a duration like 4h, 30min or 3d");
        assert_eq!(e("h"), "'h' is not a duration like 4h, 30min or 3d");
        assert_eq!(e("1hh"), "'1hh' is not a duration like 4h, 30min or 3d");
        assert_eq!(
            e("3 weeks"),
            "'3 weeks' is not a duration like 4h, 30min or 3d"
        );
        assert_eq!(e("367d"), "'367d' is too long; a target is at most 366d");
        assert!(e("1y").contains("'1y'") && e("1y").contains("give days"));
        let s = |t: &str| parse_span(t).unwrap_err();
        assert_eq!(
            s("6 months"),
            "'6 months' is not a span; expected a number and d, w, mo or y (6mo, 180d, 26w, 1y)"
        );
        assert!(s("1201mo").contains("at most 100 years") && s("1201m").contains("'1201m'"));
    }

    #[test]
    fn quiet_for_a_span_from_a_months_end() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let six = Span::Months(6);
        // Counting back from 2027-02-28 reaches only 2026-08-28: the quiet
        // span from 08-31 is complete when March begins.
        let last = t("2026-08-31T10:00:00+08:00");
        assert_eq!(six.elapsed_since(last), t("2027-03-01T00:00:00+08:00"));
        assert!(six.before(t("2027-02-28T23:59:59+08:00")) < last);
        assert!(six.before(t("2027-03-01T00:00:00+08:00")) > last);
        // Elsewhere it is the plain span after.
        let mid = t("2026-01-05T10:00:00+08:00");
        assert_eq!(six.elapsed_since(mid), t("2026-07-05T10:00:00+08:00"));
        assert_eq!(
            Span::Days(90).elapsed_since(mid),
            t("2026-04-05T10:00:00+08:00")
        );
    }

    #[test]
    fn spans_are_bounded_at_a_hundred_years() {
        assert_eq!(parse_span("36525d"), Ok(Span::Days(36_525)));
        assert_eq!(parse_span("5217w"), Ok(Span::Days(36_519)));
        assert_eq!(parse_span("100y"), Ok(Span::Months(1_200)));
        for long in [
            "36526d",
            "5218w",
            "1201mo",
            "1201m",
            "101y",
            "4294967295w",
            "99999999999999999999d",
        ] {
            let err = parse_span(long).unwrap_err();
            assert!(
                err.contains("at most 100 years") && err.contains(long),
                "{err}"
            );
        }
        assert!(parse_span("+5d").is_err() && parse_span("-5d").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_length_or_an_error(text in "[0-9dhmnoiwy ]{0,20}|\\PC{0,20}") {
            if let Ok((days, secs)) = parse_duration(&text) {
                proptest::prop_assert!((0..=MAX_DURATION_DAYS).contains(&days));
                proptest::prop_assert!((0..=MAX_DURATION_DAYS * 86_400).contains(&secs));
            }
            let _ = parse_span(&text);
            for bare_m in [BareM::Minutes, BareM::Months] {
                if let Some(instead) = unambiguous(&text, bare_m) {
                    proptest::prop_assert!(unambiguous(&instead, bare_m).is_none());
                    match bare_m {
                        BareM::Minutes => proptest::prop_assert_eq!(
                            parse_duration(&instead).ok(), parse_duration(&text).ok()
                        ),
                        BareM::Months => proptest::prop_assert_eq!(
                            parse_span(&instead).ok(), parse_span(&text).ok()
                        ),
                    }
                }
            }
        }

        #[test]
        fn durations_round_trip(d in 0i64..=366, h in 0i64..=8784, m in 0i64..=600_000) {
            for minutes in ["m", "min"] {
                let text = format!("{d}d{h}h{m}{minutes}");
                match parse_duration(&text) {
                    Ok(got) => proptest::prop_assert_eq!(got, (d, h * 3600 + m * 60)),
                    Err(e) => proptest::prop_assert!(
                        h * 3600 + m * 60 > MAX_DURATION_DAYS * 86_400, "{}", e
                    ),
                }
            }
        }

        #[test]
        fn spans_round_trip_or_refuse(n in proptest::prelude::any::<u64>(), unit in "d|w|mo|m|y|x|min") {
            let text = format!("{n}{unit}");
            if let Ok(span) = parse_span(&text) {
                proptest::prop_assert!(unit != "min" && unit != "x");
                let expected = match unit.as_str() {
                    "d" => Span::Days(n as u32),
                    "w" => Span::Days(n as u32 * 7),
                    "mo" | "m" => Span::Months(n as u32),
                    _ => Span::Months(n as u32 * 12),
                };
                proptest::prop_assert_eq!(span, expected);
                let t = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
                let _ = span.before(t);
            }
        }
    }
}
