//! The business calendar: working hours per weekday (several ranges a day),
//! holidays, and make-up working days on weekends (China's 调休). Measures
//! and adds working time between instants. Pure: no I/O, no clock.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A working range within one day, local wall-clock time, `start < end`.
/// `end` may be 24:00, written as `None` for "midnight at the end of the day".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: NaiveTime,
    pub end: Option<NaiveTime>,
}

/// Its fields are private and set only when it is built, so the memo of
/// day totals always describes the calendar it belongs to.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    /// Monday first.
    week: [Vec<Range>; 7],
    holidays: BTreeSet<NaiveDate>,
    /// Make-up working days: worked with `makeup_hours` whatever the weekday.
    workdays: BTreeSet<NaiveDate>,
    makeup_hours: Vec<Range>,
    /// Working seconds of each day, by year, filled on first use: measuring
    /// a ticket open for months then costs a few lookups instead of a time
    /// zone conversion per range per day.
    day_totals: DayTotals,
}

/// The memo behind [`Calendar::working_seconds`]; shared by clones and threads.
#[derive(Debug, Clone, Default)]
struct DayTotals(Arc<Mutex<HashMap<i32, Arc<[i64]>>>>);

/// How far ahead `add` looks for working time before giving up (a calendar
/// with holidays covering years would otherwise never end).
const HORIZON_DAYS: i64 = 3 * 366;

impl Calendar {
    /// Working hours per weekday (Monday first) and on make-up days, without
    /// holidays.
    pub fn new(tz: Tz, week: [Vec<Range>; 7], makeup_hours: Vec<Range>) -> Calendar {
        Calendar {
            tz,
            week,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            makeup_hours,
            day_totals: DayTotals::default(),
        }
    }

    /// This calendar with more holidays and make-up workdays: a new
    /// calendar, with a memo of its own.
    pub fn with_dates(
        &self,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Calendar {
        let mut cal = Calendar::new(self.tz, self.week.clone(), self.makeup_hours.clone());
        cal.holidays = self.holidays.iter().copied().chain(holidays).collect();
        cal.workdays = self.workdays.iter().copied().chain(workdays).collect();
        cal
    }

    /// The latest year any holiday or make-up workday is known for: the
    /// end of what the calendar knows about a year's arrangement (`None`
    /// when it lists no dates at all).
    pub fn last_dated_year(&self) -> Option<i32> {
        let last = |set: &BTreeSet<NaiveDate>| set.last().map(|d| d.year());
        last(&self.holidays).max(last(&self.workdays))
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Around the clock, every day: working time equals calendar time.
    pub fn always(tz: Tz) -> Calendar {
        let all = vec![Range {
            start: NaiveTime::MIN,
            end: None,
        }];
        Calendar {
            tz,
            week: std::array::from_fn(|_| all.clone()),
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            makeup_hours: all,
            day_totals: DayTotals::default(),
        }
    }

    /// The working ranges of a date.
    pub fn ranges(&self, date: NaiveDate) -> &[Range] {
        if self.workdays.contains(&date) {
            &self.makeup_hours
        } else if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[date.weekday().num_days_from_monday() as usize]
        }
    }

    /// The length of a standard working day (Monday's hours, else the first
    /// weekday that has hours): what "1d" means on the working clock.
    pub fn day_seconds(&self) -> i64 {
        let day = self
            .week
            .iter()
            .find(|r| !r.is_empty())
            .map_or(&[][..], |v| &v[..]);
        day.iter()
            .map(|r| {
                let end = r.end.map_or(86_400, |e| e.num_seconds_from_midnight_i64());
                end - r.start.num_seconds_from_midnight_i64()
            })
            .sum()
    }

    /// A local wall-clock time as an instant; a time in a DST gap moves
    /// forward to the first time that exists.
    fn instant(&self, date: NaiveDate, time: Option<NaiveTime>) -> DateTime<Utc> {
        let naive = match time {
            Some(t) => date.and_time(t),
            None => date
                .succ_opt()
                .expect("date in range")
                .and_time(NaiveTime::MIN),
        };
        let mut probe = naive;
        for _ in 0..4 {
            if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&Utc);
            }
            probe += Duration::minutes(30);
        }
        Utc.from_utc_datetime(&naive)
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The working intervals of a date as instants.
    fn intervals(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.ranges(date)
            .iter()
            .map(move |r| (self.instant(date, Some(r.start)), self.instant(date, r.end)))
    }

    /// True when every moment is working time (the calendar clock).
    fn is_continuous(&self) -> bool {
        let whole =
            |r: &[Range]| matches!(r, [Range { start, end: None }] if *start == NaiveTime::MIN);
        self.holidays.is_empty() && self.week.iter().all(|d| whole(d)) && whole(&self.makeup_hours)
    }

    /// Whether the instant falls within working hours (the `working_hours`
    /// condition of rules).
    pub fn is_working_at(&self, at: DateTime<Utc>) -> bool {
        self.working_seconds(at, at + chrono::TimeDelta::seconds(1)) > 0
    }

    /// Working seconds in `[from, to)`; zero when `to <= from`.
    pub fn working_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        if self.is_continuous() {
            return (to - from).num_seconds();
        }
        // A day's ranges may start the local day before (offsets), so begin a day early.
        let first = self.local_date(from).pred_opt().expect("date in range");
        let last = self.local_date(to);
        // Days well inside the span count whole, from the memo.
        let inner_from = first + Duration::days(3);
        let inner_to = last - Duration::days(2);
        if inner_from > inner_to {
            return self.clipped(first, last, from, to);
        }
        self.clipped(
            first,
            inner_from.pred_opt().expect("date in range"),
            from,
            to,
        ) + self.whole_days(inner_from, inner_to)
            + self.clipped(inner_to.succ_opt().expect("date in range"), last, from, to)
    }

    /// Working seconds of the days `first..=last`, clipped to `[from, to)`.
    fn clipped(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> i64 {
        let mut total = 0;
        let mut date = first;
        while date <= last {
            for (s, e) in self.intervals(date) {
                let s = s.max(from);
                let e = e.min(to);
                if e > s {
                    total += (e - s).num_seconds();
                }
            }
            date = date.succ_opt().expect("date in range");
        }
        total
    }

    /// Working seconds of the whole days `first..=last`.
    fn whole_days(&self, first: NaiveDate, last: NaiveDate) -> i64 {
        let mut total = 0;
        for year in first.year()..=last.year() {
            let table = self.year_totals(year);
            let from = if year == first.year() {
                first.ordinal0()
            } else {
                0
            };
            let to = if year == last.year() {
                last.ordinal0()
            } else {
                table.len() as u32 - 1
            };
            total += table[from as usize..=to as usize].iter().sum::<i64>();
        }
        total
    }

    fn year_totals(&self, year: i32) -> Arc<[i64]> {
        let mut memo = self.day_totals.0.lock().unwrap_or_else(|e| e.into_inner());
        memo.entry(year)
            .or_insert_with(|| {
                let mut date = NaiveDate::from_yo_opt(year, 1).expect("year in range");
                let mut days = Vec::with_capacity(366);
                while date.year() == year {
                    days.push(
                        self.intervals(date)
                            .map(|(s, e)| (e - s).num_seconds())
                            .sum(),
                    );
                    date = date.succ_opt().expect("date in range");
                }
                days.into()
            })
            .clone()
    }

    /// The instant at which `seconds` of working time have passed since
    /// `from` (`seconds > 0`); starts at the next opening when `from` is
    /// outside working hours. `None` if no working time exists in the horizon.
    pub fn add_working(&self, from: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
        let mut left = seconds;
        if left <= 0 {
            return Some(from);
        }
        if self.is_continuous() {
            return Some(from + Duration::seconds(left));
        }
        let mut date = self.local_date(from).pred_opt()?;
        let stop = date + Duration::days(HORIZON_DAYS);
        while date <= stop {
            for (s, e) in self.intervals(date) {
                let s = s.max(from);
                if e <= s {
                    continue;
                }
                let available = (e - s).num_seconds();
                if left <= available {
                    return Some(s + Duration::seconds(left));
                }
                left -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }
}

trait SecondsFromMidnight {
    fn num_seconds_from_midnight_i64(&self) -> i64;
}

impl SecondsFromMidnight for NaiveTime {
    fn num_seconds_from_midnight_i64(&self) -> i64 {
        chrono::Timelike::num_seconds_from_midnight(self) as i64
    }
}

/// What is wrong with a day's working hours; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("'{0}' is not a range like 09:00-12:00")]
    NotARange(String),
    #[error("'{0}' is not a time like 09:00")]
    BadStart(String),
    #[error("'{0}' is not a time like 18:00")]
    BadEnd(String),
    #[error("range '{0}' ends before it starts")]
    Backwards(String),
    #[error("range '{0}' overlaps or precedes the range before it")]
    Overlaps(String),
}

/// Parses `09:00-12:00, 13:30-18:00` (empty for a day off). `24:00` ends a day.
pub fn parse_ranges(text: &str) -> Result<Vec<Range>, RangeError> {
    let mut ranges: Vec<Range> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| RangeError::NotARange(part.into()))?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M")
            .map_err(|_| RangeError::BadStart(a.trim().into()))?;
        let end = match b.trim() {
            "24:00" => None,
            t => Some(
                NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| RangeError::BadEnd(t.into()))?,
            ),
        };
        if end.is_some_and(|e| e <= start) {
            return Err(RangeError::Backwards(part.into()));
        }
        if let Some(prev) = ranges.last() {
            if prev.end.is_none_or(|e| e > start) {
                return Err(RangeError::Overlaps(part.into()));
            }
        }
        ranges.push(Range { start, end });
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shanghai() -> Calendar {
        let day = parse_ranges("09:00-12:00, 13:30-18:00").unwrap();
        let mut cal = Calendar::always("Asia/Shanghai".parse().unwrap());
        cal.week = std::array::from_fn(|i| if i < 5 { day.clone() } else { vec![] });
        cal.makeup_hours = day;
        // National Day 2026 and its make-up workdays.
        for d in 1..=7 {
            cal.holidays
                .insert(NaiveDate::from_ymd_opt(2026, 10, d).unwrap());
        }
        for d in 25..=27 {
            cal.holidays
                .insert(NaiveDate::from_ymd_opt(2026, 9, d).unwrap());
        }
        cal.workdays
            .insert(NaiveDate::from_ymd_opt(2026, 9, 20).unwrap());
        cal.workdays
            .insert(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap());
        cal
    }

    fn at(cal: &Calendar, s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        cal.tz
            .from_local_datetime(&naive)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
        t.with_timezone(&cal.tz)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    }

    #[test]
    fn measures_across_lunch_nights_and_weekends() {
        let cal = shanghai();
        // Mon 11:00 → Mon 14:00: 1h before lunch, 30 min after.
        assert_eq!(
            cal.working_seconds(at(&cal, "2026-11-23 11:00"), at(&cal, "2026-11-23 14:00")),
            5400
        );
        // Fri 17:00 → Mon 10:00: 1h Friday + 1h Monday.
        assert_eq!(
            cal.working_seconds(at(&cal, "2026-11-20 17:00"), at(&cal, "2026-11-23 10:00")),
            7200
        );
        assert_eq!(cal.day_seconds(), 27_000);
    }

    #[test]
    fn added_holidays_make_a_calendar_with_a_memo_of_its_own() {
        let cal = shanghai();
        let (a, b) = (at(&cal, "2026-11-02 00:00"), at(&cal, "2026-11-30 00:00"));
        // Long enough to fill the memo of whole days.
        let before = cal.working_seconds(a, b);
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let fewer = cal.with_dates([monday], []);
        assert_eq!(fewer.working_seconds(a, b), before - 27_000);
        assert_eq!(cal.working_seconds(a, b), before);
    }

    #[test]
    fn the_clock_starts_at_the_next_opening() {
        let cal = shanghai();
        let due = cal.add_working(at(&cal, "2026-11-21 20:00"), 3600).unwrap(); // Saturday night
        assert_eq!(local(&cal, due), "2026-11-23 10:00 +08:00");
        let due = cal.add_working(at(&cal, "2026-11-23 12:30"), 600).unwrap(); // lunch
        assert_eq!(local(&cal, due), "2026-11-23 13:40 +08:00");
    }

    #[test]
    fn holidays_spanning_weekends_and_make_up_workdays() {
        let cal = shanghai();
        // Wed 2026-09-30 17:00 + 3 working days (22.5 h): 1h on Wed, then the
        // National Day holiday Oct 1–7 (Thu–Wed, through a weekend), then
        // Thu 8, Fri 9 (7.5 h each) and the make-up Saturday Oct 10 (6.5 h).
        let due = cal
            .add_working(at(&cal, "2026-09-30 17:00"), 3 * 27_000)
            .unwrap();
        assert_eq!(local(&cal, due), "2026-10-10 17:00 +08:00");
        // The make-up Sunday Sep 20 counts; the mid-autumn Friday Sep 25 does not.
        assert_eq!(
            cal.working_seconds(at(&cal, "2026-09-20 00:00"), at(&cal, "2026-09-21 00:00")),
            27_000
        );
        assert_eq!(
            cal.working_seconds(at(&cal, "2026-09-25 00:00"), at(&cal, "2026-09-26 00:00")),
            0
        );
    }

    #[test]
    fn daylight_saving_time_in_berlin() {
        let mut cal = Calendar::always("Europe/Berlin".parse().unwrap());
        let office = parse_ranges("09:00-17:00").unwrap();
        cal.week = std::array::from_fn(|i| if i < 5 { office.clone() } else { vec![] });
        // Friday 16:00 (+01:00) + 2 working hours = Monday 10:00 (+02:00).
        let due = cal.add_working(at(&cal, "2026-03-27 16:00"), 7200).unwrap();
        assert_eq!(local(&cal, due), "2026-03-30 10:00 +02:00");
        // Around the clock, the night of the change is one hour short.
        let always = Calendar::always("Europe/Berlin".parse().unwrap());
        assert_eq!(
            always.working_seconds(at(&cal, "2026-03-28 12:00"), at(&cal, "2026-03-29 12:00")),
            23 * 3600
        );
        assert_eq!(
            always.working_seconds(at(&cal, "2026-10-24 12:00"), at(&cal, "2026-10-25 12:00")),
            25 * 3600
        );
    }

    #[test]
    fn range_errors_read_as_they_always_have() {
        let error = |t: &str| parse_ranges(t).unwrap_err().to_string();
        assert_eq!(error("9"), "'9' is not a range like 09:00-12:00");
        assert_eq!(error("9-12"), "'9' is not a time like 09:00");
        assert_eq!(error("09:00-1800"), "'1800' is not a time like 18:00");
        assert_eq!(
            error("18:00-09:00"),
            "range '18:00-09:00' ends before it starts"
        );
        assert_eq!(
            error("09:00-12:00, 11:00-13:00"),
            "range '11:00-13:00' overlaps or precedes the range before it"
        );
    }

    #[test]
    fn malformed_ranges_are_refused() {
        assert!(matches!(
            parse_ranges("18:00-09:00"),
            Err(RangeError::Backwards(_))
        ));
        assert!(matches!(
            parse_ranges("09:00-12:00, 11:00-13:00"),
            Err(RangeError::Overlaps(_))
        ));
        assert!(parse_ranges("9h-12h").is_err());
        assert_eq!(parse_ranges("").unwrap(), vec![]);
        assert_eq!(parse_ranges("00:00-24:00").unwrap().len(), 1);
    }

    proptest! {
        #[test]
        fn parsing_ranges_never_panics(text in "[0-9:, -]{0,30}|\\PC{0,30}") {
            if let Ok(ranges) = parse_ranges(&text) {
                for pair in ranges.windows(2) {
                    prop_assert!(pair[0].end.is_some_and(|e| e <= pair[1].start));
                }
            }
        }

        #[test]
        fn long_spans_measure_like_day_by_day(start in 0i64..700*86_400, span in 1i64..800*86_400) {
            let cal = shanghai();
            let berlin = {
                let mut c = shanghai();
                c.tz = "Europe/Berlin".parse().unwrap();
                c
            };
            for cal in [&cal, &berlin] {
                let a = at(cal, "2025-06-01 00:00") + Duration::seconds(start);
                let b = a + Duration::seconds(span);
                let first = cal.local_date(a).pred_opt().unwrap();
                prop_assert_eq!(cal.working_seconds(a, b), cal.clipped(first, cal.local_date(b), a, b));
            }
        }

        #[test]
        fn adding_back_the_measured_time_lands_on_the_instant(start in 0i64..400*86_400, span in 1i64..30*86_400) {
            let cal = shanghai();
            let base = at(&cal, "2026-01-01 00:00");
            let a = base + Duration::seconds(start);
            let b = a + Duration::seconds(span);
            let worked = cal.working_seconds(a, b);
            prop_assume!(worked > 0);
            let back = cal.add_working(a, worked).unwrap();
            // The same amount of working time, reached no later than b...
            prop_assert_eq!(cal.working_seconds(a, back), worked);
            prop_assert!(back <= b);
            // ...and nothing worked between it and b.
            prop_assert_eq!(cal.working_seconds(back, b), 0);
        }

        #[test]
        fn measuring_an_added_duration_gives_it_back(start in 0i64..400*86_400, secs in 1i64..20*27_000) {
            let cal = shanghai();
            let a = at(&cal, "2026-01-01 00:00") + Duration::seconds(start);
            let due = cal.add_working(a, secs).unwrap();
            prop_assert_eq!(cal.working_seconds(a, due), secs);
        }
    }
}
