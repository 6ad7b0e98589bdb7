//! "Now" and the times people type. `DESK_NOW` pins the clock for tests and
//! demos; times without an offset are read in the store's time zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::model::Timestamp;

pub const ACCEPTED_TIMES: &str = "expected RFC 3339 (2026-11-23T09:15:00+08:00), \
    'YYYY-MM-DD HH:MM[:SS]' or 'YYYY-MM-DD' in the store's time zone";

/// The current time in the store's zone, or `DESK_NOW` when set.
pub fn now(tz: Tz) -> Result<Timestamp> {
    match std::env::var("DESK_NOW") {
        Ok(text) if !text.trim().is_empty() => {
            parse_time(&text, tz).map_err(|_| Error::invalid("DESK_NOW", text, ACCEPTED_TIMES))
        }
        _ => Ok(in_zone(Utc::now(), tz)),
    }
}

pub fn in_zone(t: DateTime<Utc>, tz: Tz) -> Timestamp {
    Timestamp::new(t.with_timezone(&tz).fixed_offset())
}

/// Reads a time as a person types it.
pub fn parse_time(text: &str, tz: Tz) -> Result<Timestamp> {
    let text = text.trim();
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
    .or_else(|| parse_date(text).ok().map(|d| d.and_time(NaiveTime::MIN)));
    let naive = naive.ok_or_else(|| Error::invalid("time", text, ACCEPTED_TIMES))?;
    local(naive, tz).ok_or_else(|| {
        Error::invalid(
            "time",
            text,
            format!("that local time does not exist in {tz} (a daylight-saving gap)"),
        )
    })
}

/// A local wall-clock time in `tz`; in a repeated hour the earlier instant.
pub fn local(naive: NaiveDateTime, tz: Tz) -> Option<Timestamp> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| Timestamp::new(t.fixed_offset()))
}

pub fn parse_date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("date", text, "expected YYYY-MM-DD, e.g. 2026-11-23"))
}

/// A span of calendar time, as in `6m`, `180d`, `26w`, `1y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(u32),
    Months(u32),
}

pub fn parse_span(text: &str) -> std::result::Result<Span, String> {
    let t = text.trim();
    let bad = || {
        format!("'{text}' is not a span; expected a number and d, w, m or y (6m, 180d, 26w, 1y)")
    };
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: u32 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(bad());
    }
    match unit {
        'd' => Ok(Span::Days(n)),
        'w' => Ok(Span::Days(n * 7)),
        'm' => Ok(Span::Months(n)),
        'y' => Ok(Span::Months(n * 12)),
        _ => Err(bad()),
    }
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
        assert_eq!(parse_span("6m"), Ok(Span::Months(6)));
        assert_eq!(parse_span("2w"), Ok(Span::Days(14)));
        assert!(parse_span("6").is_err() && parse_span("0d").is_err() && parse_span("m").is_err());
        let t = parse_time("2026-08-31 10:00", tz).unwrap();
        assert_eq!(
            Span::Months(6).before(t).to_rfc3339(),
            "2026-02-28T10:00:00+08:00"
        );
    }
}
