//! Report periods in the store's time zone: a month, a quarter or a range of
//! dates, and the months of the satisfaction trend.

use chrono::{Datelike, Months, NaiveDate};

use crate::error::{Error, Result};

/// What kind of period: decides what "the previous period" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Month,
    Quarter,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    /// `2026-10`, `2026Q3` or `2026-10-01..2026-10-15`.
    pub label: String,
    /// First and last day, inclusive.
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Period {
            kind: Kind::Month,
            label: format!("{year:04}-{month:02}"),
            first,
            last,
        })
    }

    pub fn quarter(year: i32, q: u32) -> Option<Period> {
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
        let bad = || Error::invalid("--month", text, "expected YYYY-MM (e.g. 2026-10) or 'last'");
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

    /// `YYYYQn` or `last` (the quarter before the one of `today`).
    pub fn parse_quarter(text: &str, today: NaiveDate) -> Result<Period> {
        let bad = || Error::invalid("--quarter", text, "expected YYYYQn (e.g. 2026Q3) or 'last'");
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
    /// month, quarter, or as many days before a range).
    pub fn previous(&self) -> Period {
        let before = self.first.pred_opt().expect("date in range");
        match self.kind {
            Kind::Month => Period::month(before.year(), before.month()).expect("valid month"),
            Kind::Quarter => {
                Period::quarter(before.year(), (before.month() - 1) / 3 + 1).expect("valid quarter")
            }
            Kind::Range => Period::range(before - chrono::Duration::days(self.days() - 1), before)
                .expect("ordered range"),
        }
    }

    /// The `n` months ending with the month of the period's last day.
    pub fn trend_months(&self, n: u32) -> Vec<Period> {
        let end = self.last.with_day(1).expect("day 1");
        (0..n)
            .rev()
            .filter_map(|i| {
                let d = end.checked_sub_months(Months::new(i))?;
                Period::month(d.year(), d.month())
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
}
