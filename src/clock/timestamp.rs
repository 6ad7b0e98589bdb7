use chrono::{DateTime, FixedOffset, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time as people read it in tables and messages: to the minute.
const MINUTE: &str = "%Y-%m-%d %H:%M";
/// A time as files, CSV and JSON hold it: RFC 3339, to the second.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// `t` in the time zone `tz`, to the minute: `2026-11-23 10:30`.
pub fn local_minute<Z: TimeZone>(t: &DateTime<Z>, tz: Tz) -> String {
    t.with_timezone(&tz).format(MINUTE).to_string()
}

/// `t` in the time zone `tz` as RFC 3339: `2026-11-23T10:30:00+08:00`.
pub fn local_rfc3339<Z: TimeZone>(t: &DateTime<Z>, tz: Tz) -> String {
    t.with_timezone(&tz).format(RFC3339).to_string()
}

/// An instant with the UTC offset it was recorded in, to the second,
/// written as RFC 3339 (`2026-11-23T09:15:00+08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl Timestamp {
    pub fn new(t: DateTime<FixedOffset>) -> Self {
        Timestamp(t.with_nanosecond(0).unwrap_or(t))
    }

    pub fn to_rfc3339(self) -> String {
        self.0.format(RFC3339).to_string()
    }

    pub fn parse(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(Timestamp::new)
    }

    /// To the minute, as messages show a time: `2026-11-23 10:30`, in the
    /// offset it was recorded in (the store's).
    pub fn short(self) -> String {
        self.0.format(MINUTE).to_string()
    }

    pub fn timestamp(self) -> i64 {
        self.0.timestamp()
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not an RFC 3339 time such as 2026-11-23T09:15:00+08:00"
            ))
        })
    }
}
