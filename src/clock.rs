//! Time: [`Timestamp`], the instant every file records; "now" and the times
//! people type. `DESK_NOW` pins the clock for tests and demos; times without
//! an offset are read in the store's time zone.

mod length;
mod timestamp;

pub use length::{
    parse_duration, parse_span, Ambiguous, BareM, DurationError, Span, MAX_DURATION_DAYS,
};
pub use timestamp::{local_minute, local_rfc3339, Timestamp};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

pub const ACCEPTED_TIMES: &str = "expected RFC 3339 (2026-11-23T09:15:00+08:00), \
    'YYYY-MM-DD HH:MM[:SS]' or 'YYYY-MM-DD' in the store's time zone, \
    from 1970-01-01 to 9999-12-31; spreadsheet dates are read with the year first: \
    2026/3/15, 2026.3.15, 2026-3-15, 2026年3月15日, each with an optional time (14:30, 14:30:05)";

/// The first and last dates desk accepts anywhere a person gives one. Every
/// date in between has four digits, so every YAML reader takes the files
/// desk writes, and date arithmetic a year or two either side cannot overflow.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date");
pub const DATE_RANGE: &str = "dates run from 1970-01-01 to 9999-12-31";

/// True when `date` is within [`FIRST_DATE`]..=[`LAST_DATE`].
pub fn date_in_range(date: NaiveDate) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

/// The current time in the store's zone, or `DESK_NOW` when set. A set but
/// empty `DESK_NOW` is refused: falling back to the real clock would write
/// real times where the caller meant to pin them.
pub fn now(tz: Tz) -> Result<Timestamp> {
    match std::env::var("DESK_NOW") {
        Ok(text) => parse_time(&text, tz).map_err(|e| match e {
            Error::Invalid { valid, .. } => Error::invalid("DESK_NOW", text, valid),
            other => other,
        }),
        Err(std::env::VarError::NotPresent) => Ok(in_zone(Utc::now(), tz)),
        Err(std::env::VarError::NotUnicode(text)) => Err(Error::invalid(
            "DESK_NOW",
            text.to_string_lossy(),
            ACCEPTED_TIMES,
        )),
    }
}

pub fn in_zone(t: DateTime<Utc>, tz: Tz) -> Timestamp {
    Timestamp::new(t.with_timezone(&tz).fixed_offset())
}

/// Reads a time as a person types it, from 1970-01-01 to 9999-12-31.
pub fn parse_time(text: &str, tz: Tz) -> Result<Timestamp> {
    let text = text.trim();
    let t = parse_time_unbounded(text, tz)?;
    // Checked in the store's zone and in the time's own offset, so that
    // neither the file nor what desk shows leaves the range.
    let dates = [t.0.date_naive(), t.0.with_timezone(&tz).date_naive()];
    if dates.into_iter().all(date_in_range) {
        Ok(t)
    } else {
        Err(Error::invalid("time", text, DATE_RANGE))
    }
}

fn parse_time_unbounded(text: &str, tz: Tz) -> Result<Timestamp> {
    if let Some(t) = Timestamp::parse(text) {
        return Ok(t);
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    });
    let naive = match naive {
        Some(naive) => naive,
        None => match spreadsheet_time(text) {
            Some(Ok(naive)) => naive,
            Some(Err(why)) => return Err(Error::invalid("time", text, why)),
            None => return Err(Error::invalid("time", text, ACCEPTED_TIMES)),
        },
    };
    exact_local(naive, tz).map_err(|why| Error::invalid("time", text, why))
}

/// A local wall-clock time a person typed, when it names one instant in
/// `tz`; else why not, with the times that would say what was meant. A time
/// the clocks pass twice (they go back) or skip (they go forward) is
/// refused, never guessed: a guess would shift the event by an hour.
fn exact_local(naive: NaiveDateTime, tz: Tz) -> std::result::Result<Timestamp, String> {
    use chrono::LocalResult;
    let rfc = |t: DateTime<Tz>| t.fixed_offset().to_rfc3339();
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(Timestamp::new(t.fixed_offset())),
        LocalResult::Ambiguous(first, second) => Err(format!(
            "{naive} happens twice in {tz} (the clocks go back then); \
             give the offset: {} for the first, {} for the second",
            rfc(first),
            rfc(second)
        )),
        LocalResult::None => {
            // The offsets either side of the gap: with either, the typed
            // time is one instant.
            let offset = |step: i64| {
                (1..=48)
                    .map(|m| naive + chrono::Duration::minutes(30 * m * step))
                    .find_map(|n| tz.from_local_datetime(&n).earliest())
                    .map(|t| *t.fixed_offset().offset())
            };
            let mut why = format!(
                "{naive} does not exist in {tz} (the clocks go forward then); \
                 give a time outside the gap, or the time with an offset"
            );
            if let (Some(before), Some(after)) = (offset(-1), offset(1)) {
                let with = |o: chrono::FixedOffset| {
                    o.from_local_datetime(&naive)
                        .single()
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                };
                why.push_str(&format!(", {} or {}", with(before), with(after)));
            }
            Err(why)
        }
    }
}

/// The accepted forms, for the end of a refusal.
const YEAR_FIRST: &str = "write the year first: 2026/3/15, 2026-03-15, 2026.3.15 or \
    2026年3月15日, with an optional time (2026/3/15 14:30)";

/// A date as spreadsheets write it (Excel on Chinese Windows saves
/// `2026/3/15` and `2026/5/20 14:30`), the year first: `2026/3/15`,
/// `2026-3-15`, `2026.3.15` or `2026年3月15日`, month and day of one or two
/// digits, then perhaps a time `H:MM` or `H:MM:SS` after a space (after 日
/// the space may be left out). `None` when the text is no such date at all;
/// an error, saying why, for what looks like a date but is not read:
/// the year last (`3/15/2026`, `15/3/2026`: day first or month first is
/// never guessed), a two-digit year, a day that does not exist, and a
/// number as Excel stores a date (`46096`: days counted from 1900, or from
/// 1904 in some workbooks, so not one date).
pub fn spreadsheet_time(text: &str) -> Option<std::result::Result<NaiveDateTime, String>> {
    let text = text.trim();
    if is_day_count(text) {
        return Some(Err(format!(
            "this looks like a date as Excel stores it, a count of days (from 1900, or from \
             1904 in some workbooks, so it is not one date); format the column as a date \
             (yyyy/m/d) in the spreadsheet before saving the CSV, or {YEAR_FIRST}"
        )));
    }
    let (date, time) = match text.find('日') {
        Some(end) => text.split_at(end + '日'.len_utf8()),
        None => text.split_once(char::is_whitespace).unwrap_or((text, "")),
    };
    let date = date_parts(date)?;
    let date = date.and_then(|(y, m, d)| {
        NaiveDate::from_ymd_opt(y, m, d)
            .ok_or_else(|| format!("there is no day {d} in month {m} of {y}; {YEAR_FIRST}"))
    });
    Some(date.and_then(|date| {
        let time = time.trim();
        if time.is_empty() {
            return Ok(date.and_time(NaiveTime::MIN));
        }
        clock_time(time).map(|t| date.and_time(t)).ok_or_else(|| {
            format!("the time is not H:MM or H:MM:SS (14:30, 14:30:05); {YEAR_FIRST}")
        })
    }))
}

/// Whether `text` is a number as Excel stores a date: five digits (days
/// from 1900: 10000 is 1927-05-18, 99999 is 2173-10-14), perhaps with a
/// fraction of a day for the time.
fn is_day_count(text: &str) -> bool {
    let (days, fraction) = text.split_once('.').unwrap_or((text, "0"));
    days.len() == 5
        && !days.starts_with('0')
        && days.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Year, month and day of a spreadsheet date without its time; `None`
/// when it is not shaped as a date, an error when it is one that is not
/// read (the year last, a two-digit year).
fn date_parts(date: &str) -> Option<std::result::Result<(i32, u32, u32), String>> {
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    if let Some(rest) = date.strip_suffix('日') {
        let (year, rest) = rest.split_once('年')?;
        let (month, day) = rest.split_once('月')?;
        let year = digits(year.trim(), 4..=4)?;
        return Some(Ok((
            year as i32,
            digits(month.trim(), 1..=2)?,
            digits(day.trim(), 1..=2)?,
        )));
    }
    let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = date.split(sep).collect();
    let [a, b, c] = parts[..] else { return None };
    let short = |s: &str| digits(s, 1..=2);
    match (digits(a, 4..=4), short(b), short(c), digits(c, 4..=4)) {
        (Some(y), Some(m), Some(d), _) => Some(Ok((y as i32, m, d))),
        (None, Some(_), _, Some(_)) if short(a).is_some() => Some(Err(format!(
            "the year is last, so which of {a} and {b} is the day and which the month \
             cannot be told (day first or month first), and desk does not guess; {YEAR_FIRST}"
        ))),
        (None, Some(_), Some(_), _) if short(a).is_some() => Some(Err(format!(
            "a two-digit year cannot be told from a day or a month; {YEAR_FIRST}"
        ))),
        _ => None,
    }
}

/// `H:MM` or `H:MM:SS` (a full-width colon too), hours 0-23.
fn clock_time(text: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = text.split([':', '：']).collect();
    let number = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (h, m, s) = match parts[..] {
        [h, m] => (number(h, 1..=2)?, number(m, 2..=2)?, 0),
        [h, m, s] => (number(h, 1..=2)?, number(m, 2..=2)?, number(s, 2..=2)?),
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, m, s)
}

/// The time of an event being recorded: `given` (`--at`) if any, which
/// may not be in the future, else `now`.
pub fn event_time(given: Option<&str>, now: Timestamp, tz: Tz) -> Result<Timestamp> {
    let Some(text) = given else { return Ok(now) };
    let t = parse_time(text, tz)?;
    if t > now {
        return Err(Error::invalid(
            "--at",
            text,
            format!("it is in the future (now is {now})"),
        ));
    }
    Ok(t)
}

/// A local wall-clock time in `tz`; in a repeated hour the earlier instant.
pub fn local(naive: NaiveDateTime, tz: Tz) -> Option<Timestamp> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| Timestamp::new(t.fixed_offset()))
}

/// A date as `YYYY-MM-DD`, from 1970-01-01 to 9999-12-31.
pub fn parse_date(text: &str) -> Result<NaiveDate> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("date", text, "expected YYYY-MM-DD, e.g. 2026-11-23"))?;
    if date_in_range(date) {
        Ok(date)
    } else {
        Err(Error::invalid("date", text, DATE_RANGE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_people_type() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-23 09:15", tz).unwrap().to_rfc3339(),
            "2026-11-23T09:15:00+08:00"
        );
        assert_eq!(
            parse_time("2026-11-23", tz).unwrap().to_rfc3339(),
            "2026-11-23T00:00:00+08:00"
        );
        assert_eq!(
            parse_time("2026-11-23T01:15:00Z", tz).unwrap().to_rfc3339(),
            "2026-11-23T01:15:00+00:00"
        );
        assert!(parse_time("23/11/2026", tz).is_err());
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert!(parse_time("2026-03-29 02:30", berlin).is_err());
        assert_eq!(parse_span("6mo"), Ok(Span::Months(6)));
        assert_eq!(parse_span("2w"), Ok(Span::Days(14)));
        assert!(parse_span("6").is_err() && parse_span("0d").is_err() && parse_span("mo").is_err());
        let t = parse_time("2026-08-31 10:00", tz).unwrap();
        assert_eq!(
            Span::Months(6).before(t).to_rfc3339(),
            "2026-02-28T10:00:00+08:00"
        );
    }

    #[test]
    fn spreadsheet_dates_are_read_year_first_and_never_guessed() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let read = |text: &str| parse_time(text, tz).map(|t| t.to_rfc3339());
        for (text, expected) in [
            ("2026/3/15", "2026-03-15T00:00:00+08:00"),
            ("2026/5/20 14:30", "2026-05-20T14:30:00+08:00"),
            ("2026/05/20 9:05:07", "2026-05-20T09:05:07+08:00"),
            ("2026年3月15日", "2026-03-15T00:00:00+08:00"),
            ("2026年3月15日 14:30", "2026-03-15T14:30:00+08:00"),
            ("2026年03月15日14:30:59", "2026-03-15T14:30:59+08:00"),
            ("2026-3-15", "2026-03-15T00:00:00+08:00"),
            ("2026-3-15 8:00", "2026-03-15T08:00:00+08:00"),
            ("2026.3.15", "2026-03-15T00:00:00+08:00"),
            ("2026.3.15 14：30", "2026-03-15T14:30:00+08:00"),
            (" 2026/12/31  23:59:59 ", "2026-12-31T23:59:59+08:00"),
        ] {
            assert_eq!(read(text).unwrap(), expected, "{text}");
        }
        let refused = |text: &str, needle: &str| {
            let e = read(text).unwrap_err().to_string();
            assert!(e.contains(&format!("'{}'", text.trim())), "{text}: {e}");
            assert!(e.contains(needle), "{text}: {e}");
            assert!(
                e.contains("2026/3/15"),
                "{text}: names the accepted forms: {e}"
            );
        };
        for ambiguous in [
            "3/15/2026",
            "15/3/2026",
            "3/4/2026",
            "03-04-2026",
            "15.3.2026",
        ] {
            refused(ambiguous, "does not guess");
        }
        refused("26/3/15", "two-digit year");
        refused("46096", "as Excel stores it");
        refused("46096.5", "as Excel stores it");
        refused("2026/2/30", "no day 30 in month 2 of 2026");
        refused("2026/3/15 25:00", "H:MM");
        refused("2026/3/15 14", "H:MM");
        refused("2026/3-15", "RFC 3339");
        refused("2026年13月1日", "no day 1 in month 13");
        let e = read("1969/12/31").unwrap_err().to_string();
        assert!(e.contains("1970-01-01 to 9999-12-31"), "{e}");
    }

    #[test]
    fn a_local_time_the_clocks_pass_twice_or_skip_is_refused_naming_the_offsets() {
        let york: Tz = "America/New_York".parse().unwrap();
        // 2026-11-01: EDT (-04:00) ends at 02:00, so 01:30 happens twice.
        let err = parse_time("2026-11-01 01:30", york)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid time '2026-11-01 01:30': 2026-11-01 01:30:00 happens twice in \
             America/New_York (the clocks go back then); give the offset: \
             2026-11-01T01:30:00-04:00 for the first, 2026-11-01T01:30:00-05:00 for the second"
        );
        // Either answer is taken as given.
        for (typed, utc) in [
            ("2026-11-01T01:30:00-04:00", "2026-11-01T05:30:00+00:00"),
            ("2026-11-01T01:30:00-05:00", "2026-11-01T06:30:00+00:00"),
        ] {
            let t = parse_time(typed, york).unwrap();
            assert_eq!(t.0.with_timezone(&Utc).to_rfc3339(), utc);
        }
        // The hour either side is one instant.
        assert_eq!(
            parse_time("2026-11-01 00:59", york).unwrap().to_rfc3339(),
            "2026-11-01T00:59:00-04:00"
        );
        assert_eq!(
            parse_time("2026-11-01 02:00", york).unwrap().to_rfc3339(),
            "2026-11-01T02:00:00-05:00"
        );
        // 2026-03-08: 02:00 becomes 03:00, so 02:30 never happens.
        let err = parse_time("2026-03-08 02:30", york)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid time '2026-03-08 02:30': 2026-03-08 02:30:00 does not exist in \
             America/New_York (the clocks go forward then); give a time outside the gap, \
             or the time with an offset, 2026-03-08T02:30:00-05:00 or 2026-03-08T02:30:00-04:00"
        );
        // Europe/London's repeated hour too; a date alone is midnight there.
        let london: Tz = "Europe/London".parse().unwrap();
        assert!(parse_time("2026-10-25 01:15", london)
            .unwrap_err()
            .to_string()
            .contains("happens twice"));
        assert!(parse_time("2026-10-25", london).is_ok());
    }

    #[test]
    fn dates_outside_the_range_are_refused() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        for bad in [
            "0001-01-01",
            "0000-01-01T00:00:00Z",
            "1969-12-31 23:59",
            // In its own offset still 1970, but already 1969 in the store's zone.
            "1970-01-01T00:30:00+09:00",
            "1969-12-31T23:30:00-01:00",
        ] {
            let err = parse_time(bad, tz).unwrap_err().to_string();
            assert!(err.contains("1970-01-01 to 9999-12-31"), "{bad}: {err}");
        }
        assert!(parse_time("1970-01-01 08:00", tz).is_ok());
        assert!(parse_time("9999-12-31 23:59:59", tz).is_ok());
        assert!(parse_date("1969-12-31").is_err() && parse_date("1970-01-01").is_ok());
        assert!(parse_date("9999-12-31").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn time_parsing_never_panics(text in "\\PC{0,40}") {
            let tz: Tz = "Europe/Berlin".parse().unwrap();
            let _ = parse_time(&text, tz);
            let _ = parse_date(&text);
            let _ = parse_span(&text);
            let _ = parse_duration(&text);
        }

        #[test]
        fn times_near_the_edges_are_values_or_errors(
            year in -300_000i32..300_000,
            month in 0u32..14,
            day in 0u32..33,
            offset in -26i32..27,
        ) {
            let tz: Tz = "Pacific/Kiritimati".parse().unwrap();
            for text in [
                format!("{year:04}-{month:02}-{day:02}"),
                format!("{year:04}-{month:02}-{day:02}T23:59:59{offset:+03}:00"),
                format!("{year}-{month}-{day} 00:00"),
            ] {
                if let Ok(t) = parse_time(&text, tz) {
                    // Whatever is accepted stays inside the range, in both zones.
                    proptest::prop_assert!(date_in_range(t.0.date_naive()));
                    proptest::prop_assert!(date_in_range(t.0.with_timezone(&tz).date_naive()));
                    // ...and reads back the same from what desk writes.
                    proptest::prop_assert_eq!(parse_time(&t.to_rfc3339(), tz).unwrap(), t);
                }
            }
        }

        /// Any text is read or refused, never a panic; a date read is the
        /// one written, year first, whatever the separator.
        #[test]
        fn spreadsheet_dates_read_back_or_refuse(
            text in "[0-9/.年月日: -]{0,24}",
            y in 1970i32..=9999,
            m in 1u32..=12,
            d in 1u32..=31,
            sep in "[-/.]",
            hm in proptest::option::of((0u32..24, 0u32..60)),
        ) {
            let _ = spreadsheet_time(&text);
            let _ = spreadsheet_time(&format!("{text}{text}日"));
            let time = hm.map_or(String::new(), |(h, mi)| format!(" {h}:{mi:02}"));
            for written in [format!("{y}{sep}{m}{sep}{d}{time}"), format!("{y}年{m}月{d}日{time}")] {
                let got = spreadsheet_time(&written);
                match NaiveDate::from_ymd_opt(y, m, d) {
                    Some(date) => {
                        let (h, mi) = hm.unwrap_or((0, 0));
                        let expected = date.and_hms_opt(h, mi, 0).unwrap();
                        proptest::prop_assert_eq!(got, Some(Ok(expected)));
                    }
                    None => proptest::prop_assert!(matches!(got, Some(Err(_)))),
                }
            }
            // The year last is never read, whichever way round.
            let last = spreadsheet_time(&format!("{m}{sep}{d}{sep}{y}"));
            proptest::prop_assert!(matches!(last, Some(Err(_))));
        }

    }
}
