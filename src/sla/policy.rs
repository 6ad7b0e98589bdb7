//! The `calendar:` and `sla:` sections of desk.yaml (and the yearly holiday
//! files in `calendars/`), validated into a [`Calendar`] and a [`Policy`].

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::calendar::{parse_ranges, Calendar, RangeError};
use crate::clock::{parse_duration, DurationError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalendarConfig {
    #[serde(default)]
    pub hours: Week,
    /// Hours of a make-up working day (default: Monday's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makeup_hours: Option<String>,
    /// Dates (`2026-10-01`) or inclusive ranges (`2026-10-01..2026-10-07`).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make-up working days that fall on a weekend (调休), same syntax.
    #[serde(default)]
    pub workdays: Vec<String>,
}

/// Working hours per weekday, as `09:00-12:00, 13:30-18:00`; empty for a day off.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Week {
    #[serde(default)]
    pub mon: String,
    #[serde(default)]
    pub tue: String,
    #[serde(default)]
    pub wed: String,
    #[serde(default)]
    pub thu: String,
    #[serde(default)]
    pub fri: String,
    #[serde(default)]
    pub sat: String,
    #[serde(default)]
    pub sun: String,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        let office = "09:00-12:00, 13:30-18:00".to_string();
        CalendarConfig {
            hours: Week {
                mon: office.clone(),
                tue: office.clone(),
                wed: office.clone(),
                thu: office.clone(),
                fri: office,
                sat: String::new(),
                sun: String::new(),
            },
            makeup_hours: None,
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }
}

/// A holiday file in `calendars/` (one per year, say).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct HolidayFile {
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub workdays: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SlaConfig {
    /// A running clock is `at_risk` when less than this share of its target is left.
    #[serde(default = "default_at_risk")]
    pub at_risk: f64,
    #[serde(default)]
    pub targets: Vec<PriorityTargets>,
}

fn default_at_risk() -> f64 {
    0.2
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PriorityTargets {
    pub priority: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<TargetConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<TargetConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<TargetConfig>,
}

impl PriorityTargets {
    /// Response, update and resolution, in [`TargetKind::ALL`]'s order.
    fn each(&self) -> [Option<&TargetConfig>; 3] {
        [&self.response, &self.update, &self.resolution].map(Option::as_ref)
    }

    /// `sla.targets[urgent].response.within`: where the `i`th target's
    /// duration is in desk.yaml.
    fn within_key(&self, i: usize) -> String {
        let kind = TargetKind::ALL[i].name();
        format!("sla.targets[{}].{kind}.within", self.priority)
    }
}

impl SlaConfig {
    /// The targets whose duration has a bare `m` (minutes), for a warning.
    pub fn ambiguous(&self) -> Vec<crate::clock::Ambiguous> {
        let mut found = Vec::new();
        for p in &self.targets {
            for (i, t) in p.each().into_iter().enumerate() {
                let Some(t) = t else { continue };
                found.extend(crate::clock::Ambiguous::find(
                    p.within_key(i),
                    &t.within,
                    crate::clock::BareM::Minutes,
                ));
            }
        }
        found
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetConfig {
    /// `1h`, `30m`, `1h30m`, `3d` (on the working clock a day is a standard working day).
    pub within: String,
    pub clock: ClockKind,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Around the clock.
    Calendar,
    /// Only the calendar's working hours.
    Working,
}

fn target(within: &str, clock: ClockKind) -> Option<TargetConfig> {
    Some(TargetConfig {
        within: within.into(),
        clock,
    })
}

impl Default for SlaConfig {
    /// Seed 000: urgent — respond in 1 h, solve in 4 h; important — respond in
    /// 4 h, progress every 24 h; normal — respond in 24 h, done in 3 working days.
    fn default() -> Self {
        use ClockKind::*;
        SlaConfig {
            at_risk: default_at_risk(),
            targets: vec![
                PriorityTargets {
                    priority: "urgent".into(),
                    response: target("1h", Calendar),
                    update: target("24h", Calendar),
                    resolution: target("4h", Calendar),
                },
                PriorityTargets {
                    priority: "important".into(),
                    response: target("4h", Calendar),
                    update: target("24h", Calendar),
                    resolution: None,
                },
                PriorityTargets {
                    priority: "normal".into(),
                    response: target("24h", Calendar),
                    update: target("24h", Calendar),
                    resolution: target("3d", Working),
                },
            ],
        }
    }
}

/// Which clock a target measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Response,
    Update,
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [
        TargetKind::Response,
        TargetKind::Update,
        TargetKind::Resolution,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Response => "response",
            TargetKind::Update => "update",
            TargetKind::Resolution => "resolution",
        }
    }
}

/// A validated target: so many seconds on a clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub seconds: i64,
    pub clock: ClockKind,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub at_risk: f64,
    targets: Vec<(String, [Option<Target>; 3])>,
}

impl Policy {
    /// The targets of a priority (none for an unconfigured priority).
    pub fn targets(&self, priority: &str) -> [Option<Target>; 3] {
        self.targets
            .iter()
            .find(|(p, _)| p == priority)
            .map_or([None, None, None], |(_, t)| *t)
    }

    pub fn priorities(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().map(|(p, _)| p.as_str())
    }
}

/// The longest target, in days of its clock: a year, the longest
/// duration. Longer is not a service level, and it keeps every due date
/// computable.
pub const MAX_TARGET_DAYS: i64 = crate::clock::MAX_DURATION_DAYS;

/// What is wrong with a holiday or make-up workday entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date like 2026-10-01")]
    NotADate(String),
    #[error("'{0}': {range}", range = crate::clock::DATE_RANGE)]
    OutOfRange(String),
    #[error("range '{0}' ends before it starts")]
    Backwards(String),
    #[error(
        "range '{0}' is longer than {MAX_HOLIDAY_RANGE_DAYS} days; split it into shorter ranges"
    )]
    TooLong(String),
}

/// What is wrong with the `calendar:` or `sla:` settings (or a holiday
/// file); each names its key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// `key` is `calendar.hours.mon`, `calendar.makeup_hours`.
    #[error("{key}: {error}")]
    Hours { key: String, error: RangeError },
    #[error("calendar.hours: no weekday has working hours")]
    NoHours,
    /// `key` is `calendar.holidays`, `calendars/cn-2026.yaml.workdays`.
    #[error("{key}: {error}")]
    Dates { key: String, error: DateError },
    #[error("sla.at_risk: {0} must be a share from 0 to below 1 (e.g. 0.2)")]
    AtRisk(f64),
    #[error("sla.targets: unknown priority '{priority}'; the priorities are {known}")]
    UnknownPriority { priority: String, known: String },
    /// `key` is `sla.targets[urgent].response.within`.
    #[error("{key}: {error}")]
    Duration { key: String, error: DurationError },
    #[error("{key}: '{within}' — a target must be longer than zero")]
    Zero { key: String, within: String },
    #[error("{key}: '{within}' is too long; a target is at most {MAX_TARGET_DAYS}d")]
    TooLong { key: String, within: String },
}

/// Parses `2026-10-01` or `2026-10-01..2026-10-07` into dates, each from
/// 1970-01-01 to 9999-12-31.
fn parse_dates(text: &str) -> Result<Vec<NaiveDate>, DateError> {
    let date = |s: &str| {
        let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| DateError::NotADate(s.trim().into()))?;
        if !crate::clock::date_in_range(d) {
            return Err(DateError::OutOfRange(s.trim().into()));
        }
        Ok(d)
    };
    match text.split_once("..") {
        None => Ok(vec![date(text)?]),
        Some((a, b)) => {
            let (a, b) = (date(a)?, date(b)?);
            if b < a {
                return Err(DateError::Backwards(text.into()));
            }
            // A range of holidays longer than the look-ahead of a due date
            // would leave no working time to reach: refuse it here.
            if (b - a).num_days() > MAX_HOLIDAY_RANGE_DAYS {
                return Err(DateError::TooLong(text.into()));
            }
            Ok(a.iter_days().take_while(|d| *d <= b).collect())
        }
    }
}

/// The longest range of dates one `holidays:` or `workdays:` entry may span.
const MAX_HOLIDAY_RANGE_DAYS: i64 = 366;

impl CalendarConfig {
    /// Builds the calendar of desk.yaml; errors name the key
    /// (`calendar.hours.mon`). Holiday files are added with
    /// [`Calendar::with_files`].
    pub fn build(&self, tz: Tz) -> Result<Calendar, SettingsError> {
        let w = &self.hours;
        let days = [&w.mon, &w.tue, &w.wed, &w.thu, &w.fri, &w.sat, &w.sun];
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut week: [Vec<_>; 7] = Default::default();
        for i in 0..7 {
            week[i] = parse_ranges(days[i]).map_err(|error| SettingsError::Hours {
                key: format!("calendar.hours.{}", names[i]),
                error,
            })?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(SettingsError::NoHours);
        }
        let makeup_hours = match &self.makeup_hours {
            Some(text) => parse_ranges(text).map_err(|error| SettingsError::Hours {
                key: "calendar.makeup_hours".into(),
                error,
            })?,
            None => week
                .iter()
                .find(|d| !d.is_empty())
                .cloned()
                .unwrap_or_default(),
        };
        Calendar::new(tz, week, makeup_hours).with_files(&[(
            "calendar".to_string(),
            HolidayFile {
                holidays: self.holidays.clone(),
                workdays: self.workdays.clone(),
            },
        )])
    }
}

impl Calendar {
    /// This calendar with the holidays and make-up workdays of holiday
    /// files, each named by where it came from; errors name the file and key.
    pub fn with_files(&self, files: &[(String, HolidayFile)]) -> Result<Calendar, SettingsError> {
        let mut holidays = BTreeSet::new();
        let mut workdays = BTreeSet::new();
        for (source, file) in files {
            for (list, dates, into) in [
                ("holidays", &file.holidays, &mut holidays),
                ("workdays", &file.workdays, &mut workdays),
            ] {
                for text in dates {
                    into.extend(parse_dates(text).map_err(|error| SettingsError::Dates {
                        key: format!("{source}.{list}"),
                        error,
                    })?);
                }
            }
        }
        Ok(self.with_dates(holidays, workdays))
    }
}

impl SlaConfig {
    /// Validates the targets against the calendar; errors name the key.
    pub fn build(
        &self,
        calendar: &Calendar,
        priorities: &[String],
    ) -> Result<Policy, SettingsError> {
        if !(0.0..1.0).contains(&self.at_risk) {
            return Err(SettingsError::AtRisk(self.at_risk));
        }
        let mut targets = Vec::new();
        for p in &self.targets {
            if !priorities.contains(&p.priority) {
                return Err(SettingsError::UnknownPriority {
                    priority: p.priority.clone(),
                    known: priorities.join(", "),
                });
            }
            let mut set = [None, None, None];
            for (i, t) in p.each().into_iter().enumerate() {
                let Some(t) = t else { continue };
                let key = p.within_key(i);
                let (days, secs) = match parse_duration(&t.within) {
                    Ok(parsed) => parsed,
                    Err(error) => return Err(SettingsError::Duration { key, error }),
                };
                let day = match t.clock {
                    ClockKind::Calendar => 86_400,
                    ClockKind::Working => calendar.day_seconds(),
                };
                let seconds = days * day + secs;
                let within = || t.within.clone();
                if seconds <= 0 {
                    return Err(SettingsError::Zero {
                        key,
                        within: within(),
                    });
                }
                if seconds > MAX_TARGET_DAYS * day {
                    return Err(SettingsError::TooLong {
                        key,
                        within: within(),
                    });
                }
                set[i] = Some(Target {
                    seconds,
                    clock: t.clock,
                });
            }
            targets.push((p.priority.clone(), set));
        }
        Ok(Policy {
            at_risk: self.at_risk,
            targets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_or_explain() {
        assert_eq!(parse_dates("2026-10-01..2026-10-07").unwrap().len(), 7);
        assert!(parse_dates("2026-10-07..2026-10-01")
            .unwrap_err()
            .to_string()
            .contains("ends before"));
    }

    #[test]
    fn zero_targets_and_bad_ranges_name_their_key() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let cal = CalendarConfig::default().build(tz).unwrap();
        let priorities = vec!["urgent".to_string(), "important".into(), "normal".into()];
        let mut sla = SlaConfig::default();
        sla.targets[0].response = target("0h", ClockKind::Calendar);
        let err = sla.build(&cal, &priorities).unwrap_err().to_string();
        assert!(
            err.contains("sla.targets[urgent].response.within") && err.contains("longer than zero"),
            "{err}"
        );
        let mut bad = CalendarConfig::default();
        bad.hours.tue = "18:00-09:00".into();
        let err = bad.build(tz).unwrap_err().to_string();
        assert!(
            err.contains("calendar.hours.tue") && err.contains("ends before it starts"),
            "{err}"
        );
        let policy = SlaConfig::default().build(&cal, &priorities).unwrap();
        assert_eq!(policy.targets("normal")[2].unwrap().seconds, 3 * 27_000);
    }

    #[test]
    fn targets_longer_than_a_year_are_refused() {
        assert_eq!(parse_duration("366d").unwrap(), (366, 0));
        assert_eq!(parse_duration("8784h").unwrap(), (0, 366 * 86_400));
        for long in [
            "367d",
            "106751991d",
            "2562047788015h",
            "99999999999999d",
            "99999999999999999999m",
            "366d366d",
        ] {
            let err = parse_duration(long).unwrap_err().to_string();
            assert!(
                err.contains("too long") && err.contains("366d") && err.contains(long),
                "{err}"
            );
        }
        assert!(parse_duration("h").is_err() && parse_duration("1hh").is_err());
        // On the working clock a day is a working day: 366d is the limit
        // there too, not 366 calendar days' worth of seconds.
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let cal = CalendarConfig::default().build(tz).unwrap();
        let priorities = vec!["urgent".to_string(), "important".into(), "normal".into()];
        let mut sla = SlaConfig::default();
        sla.targets[0].response = target("8784h", ClockKind::Working);
        let err = sla.build(&cal, &priorities).unwrap_err().to_string();
        assert!(
            err.contains("sla.targets[urgent].response.within") && err.contains("too long"),
            "{err}"
        );
        sla.targets[0].response = target("366d", ClockKind::Working);
        let policy = sla.build(&cal, &priorities).unwrap();
        // The longest target still has a due date.
        let t = policy.targets("urgent")[0].unwrap();
        let start = chrono::Utc::now();
        assert!(cal.add_working(start, t.seconds).is_some());
    }

    #[test]
    fn holidays_are_bounded_dates() {
        assert!(parse_dates("0001-01-01")
            .unwrap_err()
            .to_string()
            .contains("1970-01-01 to 9999-12-31"));
        assert!(parse_dates("2026-01-01..9999-12-31")
            .unwrap_err()
            .to_string()
            .contains("longer than 366 days"));
        assert_eq!(parse_dates("2026-01-01..2026-12-31").unwrap().len(), 365);
    }

    #[test]
    fn every_error_reads_as_it_always_has() {
        let dates = |t: &str| parse_dates(t).unwrap_err().to_string();
        assert_eq!(
            dates("2026-13-01"),
            "'2026-13-01' is not a date like 2026-10-01"
        );
        assert_eq!(
            dates("0001-01-01"),
            format!("'0001-01-01': {}", crate::clock::DATE_RANGE)
        );
        assert_eq!(
            dates("2026-10-07..2026-10-01"),
            "range '2026-10-07..2026-10-01' ends before it starts"
        );
        assert_eq!(
            dates("2026-01-01..2027-06-01"),
            "range '2026-01-01..2027-06-01' is longer than 366 days; split it into shorter ranges"
        );
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let calendar = |edit: fn(&mut CalendarConfig)| {
            let mut c = CalendarConfig::default();
            edit(&mut c);
            c.build(tz).unwrap_err().to_string()
        };
        assert_eq!(
            calendar(|c| c.hours.tue = "18:00-09:00".into()),
            "calendar.hours.tue: range '18:00-09:00' ends before it starts"
        );
        assert_eq!(
            calendar(|c| c.hours = Week::default()),
            "calendar.hours: no weekday has working hours"
        );
        assert_eq!(
            calendar(|c| c.makeup_hours = Some("9h".into())),
            "calendar.makeup_hours: '9h' is not a range like 09:00-12:00"
        );
        assert_eq!(
            calendar(|c| c.holidays = vec!["x".into()]),
            "calendar.holidays: 'x' is not a date like 2026-10-01"
        );
        let cal = CalendarConfig::default().build(tz).unwrap();
        let file = HolidayFile {
            holidays: vec![],
            workdays: vec!["nope".into()],
        };
        assert_eq!(
            cal.with_files(&[("calendars/cn-2026.yaml".into(), file)])
                .unwrap_err()
                .to_string(),
            "calendars/cn-2026.yaml.workdays: 'nope' is not a date like 2026-10-01"
        );
        let priorities = vec!["urgent".to_string(), "important".into(), "normal".into()];
        let sla = |edit: fn(&mut SlaConfig)| {
            let mut c = SlaConfig::default();
            edit(&mut c);
            c.build(&cal, &priorities).unwrap_err().to_string()
        };
        assert_eq!(
            sla(|c| c.at_risk = 1.5),
            "sla.at_risk: 1.5 must be a share from 0 to below 1 (e.g. 0.2)"
        );
        assert_eq!(
            sla(|c| c.targets[0].priority = "p9".into()),
            "sla.targets: unknown priority 'p9'; the priorities are urgent, important, normal"
        );
        assert_eq!(
            sla(|c| c.targets[1].response = target("0m", ClockKind::Calendar)),
            "sla.targets[important].response.within: '0m' — a target must be longer than zero"
        );
        assert_eq!(
            sla(|c| c.targets[2].update =
                target("5h", ClockKind::Calendar).map(|t| TargetConfig {
                    within: "1y".into(),
                    ..t
                })),
            "sla.targets[normal].update.within: '1y' is not a duration like 4h, 30min or 3d: \
             weeks, months and years are spans of the calendar, and a duration may run on \
             working days; give days"
        );
        assert_eq!(
            sla(|c| c.targets[0].resolution = target("8784h", ClockKind::Working)),
            "sla.targets[urgent].resolution.within: '8784h' is too long; a target is at most 366d"
        );
    }

    proptest::proptest! {
        #[test]
        fn dates_never_panic(text in "[0-9.-]{0,30}|\\PC{0,20}") {
            let _ = parse_dates(&text);
        }
    }
}
