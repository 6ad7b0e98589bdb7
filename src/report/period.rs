//! Report periods in the store's time zone: a month, a quarter or a range of
//! dates, and the months of the satisfaction trend.

use chrono::{Datelike, Months, NaiveDate};

use crate::clock::{date_in_range, DATE_RANGE};
use crate::error::{Error, Result};

/// What kind of period: decides what "the previous period" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ISO week, Monday to Sunday (seed 004's weekly review).
    Week,
    Month,
    Quarter,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    /// `2026-W45`, `2026-10`, `2026Q3` or `2026-10-01..2026-10-15`.
    pub label: String,
    /// First and last day, inclusive.
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    /// A month; `None` when it is not a month or not within the dates desk
    /// accepts (1970-01-01 to 9999-12-31).
    pub fn month(year: i32, month: u32) -> Option<Period> {
        Period::month_unbounded(year, month).filter(Period::in_range)
    }

    pub fn quarter(year: i32, q: u32) -> Option<Period> {
        Period::quarter_unbounded(year, q).filter(Period::in_range)
    }

    /// An ISO week (`2026-W45`: Monday 2 November to Sunday 8 November).
    pub fn week(year: i32, week: u32) -> Option<Period> {
        Period::week_unbounded(year, week).filter(Period::in_range)
    }

    fn week_unbounded(year: i32, week: u32) -> Option<Period> {
        let first = NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)?;
        let last = first.checked_add_days(chrono::Days::new(6))?;
        Some(Period {
            kind: Kind::Week,
            label: format!("{year:04}-W{week:02}"),
            first,
            last,
        })
    }

    fn in_range(&self) -> bool {
        date_in_range(self.first) && date_in_range(self.last)
    }

    /// Any month chrono can represent: the period before 1970-01 is 1969-12.
    fn month_unbounded(year: i32, month: u32) -> Option<Period> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Period {
            kind: Kind::Month,
            label: format!("{year:04}-{month:02}"),
            first,
            last,
        })
    }

    fn quarter_unbounded(year: i32, q: u32) -> Option<Period> {
        if !(1..=4).contains(&q) {
            return None;
        }
        let first = NaiveDate::from_ymd_opt(year, 3 * (q - 1) + 1, 1)?;
        let last = first.checked_add_months(Months::new(3))?.pred_opt()?;
        Some(Period {
            kind: Kind::Quarter,
            label: format!("{year:04}Q{q}"),
            first,
            last,
        })
    }

    /// `YYYY-MM` or `last` (the calendar month before `today`).
    pub fn parse_month(text: &str, today: NaiveDate) -> Result<Period> {
        let bad = || {
            Error::invalid(
                "--month",
                text,
                format!("expected YYYY-MM (e.g. 2026-10) or 'last'; {DATE_RANGE}"),
            )
        };
        if text.trim().eq_ignore_ascii_case("last") {
            let prev = today
                .with_day(1)
                .and_then(|d| d.pred_opt())
                .ok_or_else(bad)?;
            return Period::month(prev.year(), prev.month()).ok_or_else(bad);
        }
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        let (y, m) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Period::month(y, m).ok_or_else(bad)
    }

    /// `YYYY-Www` (ISO 8601: the week of the year's first Thursday is
    /// W01) or `last` (the week before the one of `today`).
    pub fn parse_week(text: &str, today: NaiveDate) -> Result<Period> {
        let bad = || {
            Error::invalid(
                "--week",
                text,
                format!(
                    "expected an ISO week YYYY-Www (e.g. 2026-W45, Monday to Sunday) or 'last'; {DATE_RANGE}"
                ),
            )
        };
        if text.trim().eq_ignore_ascii_case("last") {
            let before = today
                .checked_sub_days(chrono::Days::new(7))
                .ok_or_else(bad)?
                .iso_week();
            return Period::week(before.year(), before.week()).ok_or_else(bad);
        }
        let upper = text.trim().to_ascii_uppercase();
        let (y, w) = upper.split_once("-W").ok_or_else(bad)?;
        if w.len() != 2 {
            return Err(bad());
        }
        Period::week(y.parse().map_err(|_| bad())?, w.parse().map_err(|_| bad())?).ok_or_else(bad)
    }

    /// `YYYYQn` or `last` (the quarter before the one of `today`).
    pub fn parse_quarter(text: &str, today: NaiveDate) -> Result<Period> {
        let bad = || {
            Error::invalid(
                "--quarter",
                text,
                format!("expected YYYYQn (e.g. 2026Q3) or 'last'; {DATE_RANGE}"),
            )
        };
        if text.trim().eq_ignore_ascii_case("last") {
            let q = (today.month() - 1) / 3 + 1;
            let (y, q) = if q == 1 {
                (today.year() - 1, 4)
            } else {
                (today.year(), q - 1)
            };
            return Period::quarter(y, q).ok_or_else(bad);
        }
        let upper = text.trim().to_ascii_uppercase();
        let (y, q) = upper.split_once('Q').ok_or_else(bad)?;
        Period::quarter(y.parse().map_err(|_| bad())?, q.parse().map_err(|_| bad())?)
            .ok_or_else(bad)
    }

    pub fn range(first: NaiveDate, last: NaiveDate) -> Result<Period> {
        for (flag, date) in [("--from", first), ("--to", last)] {
            if !date_in_range(date) {
                return Err(Error::invalid(flag, date.to_string(), DATE_RANGE));
            }
        }
        if last < first {
            return Err(Error::invalid(
                "--to",
                last.to_string(),
                format!("the end must not be before the start ({first})"),
            ));
        }
        Ok(Period {
            kind: Kind::Range,
            label: format!("{first}..{last}"),
            first,
            last,
        })
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// The period of the same kind just before this one (the previous
    /// month, quarter, or as many days before a range). It may begin before
    /// 1970: periods start no earlier, so it is at most 8,030 years back,
    /// well inside what dates can represent.
    pub fn previous(&self) -> Period {
        let before = self.first.pred_opt().expect("date in range");
        match self.kind {
            Kind::Week => {
                let week = before.iso_week();
                Period::week_unbounded(week.year(), week.week()).expect("valid week")
            }
            Kind::Month => {
                Period::month_unbounded(before.year(), before.month()).expect("valid month")
            }
            Kind::Quarter => Period::quarter_unbounded(before.year(), (before.month() - 1) / 3 + 1)
                .expect("valid quarter"),
            Kind::Range => {
                let first = before - chrono::Duration::days(self.days() - 1);
                Period {
                    kind: Kind::Range,
                    label: format!("{first}..{before}"),
                    first,
                    last: before,
                }
            }
        }
    }

    /// The `n` months ending with the month of the period's last day.
    pub fn trend_months(&self, n: u32) -> Vec<Period> {
        let end = self.last.with_day(1).expect("day 1");
        (0..n)
            .rev()
            .filter_map(|i| {
                let d = end.checked_sub_months(Months::new(i))?;
                Period::month_unbounded(d.year(), d.month())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_quarters_and_last() {
        let today = d("2026-01-01");
        let p = Period::parse_month("last", today).unwrap();
        assert_eq!(
            (p.label.as_str(), p.first, p.last),
            ("2025-12", d("2025-12-01"), d("2025-12-31"))
        );
        let p = Period::parse_quarter("last", today).unwrap();
        assert_eq!(
            (p.label.as_str(), p.first, p.last),
            ("2025Q4", d("2025-10-01"), d("2025-12-31"))
        );
        let p = Period::parse_month("2026-02", today).unwrap();
        assert_eq!(p.last, d("2026-02-28"));
        assert_eq!(p.previous().label, "2026-01");
        assert_eq!(
            Period::parse_quarter("2026q1", today)
                .unwrap()
                .previous()
                .label,
            "2025Q4"
        );
        assert!(Period::parse_month("2026-13", today).is_err());
        assert!(Period::parse_quarter("2026Q5", today).is_err());
        let trend = Period::parse_month("2026-02", today)
            .unwrap()
            .trend_months(3);
        let labels: Vec<_> = trend.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2025-12", "2026-01", "2026-02"]);
        let r = Period::range(d("2026-10-11"), d("2026-10-20")).unwrap();
        assert_eq!(
            (r.previous().first, r.previous().last),
            (d("2026-10-01"), d("2026-10-10"))
        );
    }

    #[test]
    fn iso_weeks_and_the_last_one() {
        let p = Period::parse_week("2026-W45", d("2026-12-01")).unwrap();
        assert_eq!((p.first, p.last), (d("2026-11-02"), d("2026-11-08")));
        assert_eq!(p.previous().label, "2026-W44");
        // 2026-01-01 is a Thursday: W01 starts on 2025-12-29.
        let w1 = Period::parse_week("2026-w01", d("2026-12-01")).unwrap();
        assert_eq!(w1.first, d("2025-12-29"));
        assert_eq!(w1.previous().label, "2025-W52");
        // 2026 has 53 weeks; 2025 has 52.
        assert!(Period::parse_week("2026-W53", d("2026-12-01")).is_ok());
        assert!(Period::parse_week("2025-W53", d("2026-12-01")).is_err());
        // `last` on Wednesday 2026-11-25 (W48) is W47.
        let last = Period::parse_week("last", d("2026-11-25")).unwrap();
        assert_eq!(
            (last.label.as_str(), last.first),
            ("2026-W47", d("2026-11-16"))
        );
        for bad in ["2026-45", "2026-W5", "2026-W00", "W45", "1969-W52"] {
            let err = Period::parse_week(bad, d("2026-12-01"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--week") && err.contains("2026-W45"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn periods_stay_within_1970_to_9999() {
        let today = d("2026-01-01");
        for bad in [
            "1969-12",
            "0000-01",
            "10000-01",
            "-262143-01",
            "2026-4294967297",
        ] {
            let err = Period::parse_month(bad, today).unwrap_err().to_string();
            assert!(err.contains("--month"), "{bad}: {err}");
        }
        assert!(Period::parse_quarter("1969Q4", today).is_err());
        assert!(Period::parse_month("last", d("1970-01-15")).is_err());
        let first = Period::parse_month("1970-01", today).unwrap();
        assert_eq!(first.previous().label, "1969-12");
        assert_eq!(first.trend_months(2).len(), 2);
        let whole = Period::range(d("1970-01-01"), d("9999-12-31")).unwrap();
        assert_eq!(whole.previous().last, d("1969-12-31"));
        let err = Period::range(d("1969-12-31"), d("2026-01-01")).unwrap_err();
        assert!(err.to_string().contains("--from"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn parsing_periods_never_panics(text in "\\PC{0,20}", y in proptest::prelude::any::<i32>(), m in proptest::prelude::any::<u32>()) {
            let today = d("2026-11-23");
            for text in [text.clone(), format!("{y}-{m}"), format!("{y}Q{m}"), format!("{y}-{}", m % 14)] {
                let week = format!("{y}-W{:02}", m % 60);
                for p in [Period::parse_month(&text, today), Period::parse_quarter(&text, today), Period::parse_week(&text, today), Period::parse_week(&week, today)].into_iter().flatten() {
                    let _ = (p.previous(), p.trend_months(120), p.days());
                }
            }
        }

        #[test]
        fn labels_parse_back(y in 1970i32..=9999, m in 1u32..=12) {
            let today = d("2026-11-23");
            let month = Period::month(y, m).unwrap();
            proptest::prop_assert_eq!(Period::parse_month(&month.label, today).unwrap(), month);
            let quarter = Period::quarter(y, (m - 1) / 3 + 1).unwrap();
            proptest::prop_assert_eq!(Period::parse_quarter(&quarter.label, today).unwrap(), quarter);
        }

        #[test]
        fn ranges_never_panic(a in -400_000i64..400_000, b in -400_000i64..400_000) {
            let day = |n: i64| d("2026-01-01").checked_add_signed(chrono::Duration::days(n));
            if let (Some(a), Some(b)) = (day(a), day(b)) {
                if let Ok(p) = Period::range(a, b) {
                    let prev = p.previous();
                    proptest::prop_assert_eq!(prev.days(), p.days());
                    proptest::prop_assert_eq!(prev.last.succ_opt(), Some(p.first));
                }
            }
        }
    }
}
