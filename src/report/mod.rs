//! The monthly (or quarterly) report: tidy CSV tables computed from the
//! tickets' facts, and the headline sentences a supervisor pastes into the
//! monthly mail. Pure: tickets and configuration in, tables out.

mod agents;
mod backlog;
mod chart;
mod customers;
mod facts;
mod handling;
pub mod html;
mod period;
mod satisfaction;
pub mod sentiment;
mod sla;
mod summary;
mod themes;
mod types;
pub mod voices;

pub use customers::top as top_customers;
pub use facts::{Earlier, Facts, SurveyFact};
pub use period::Period;
pub use summary::summary;
pub use themes::{Theme, ThemeSettings};

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::model::Summary;
use crate::output::Records;

/// The sections in report order.
pub const SECTIONS: [&str; 9] = [
    "types",
    "themes",
    "handling",
    "satisfaction",
    "sentiment",
    "sla",
    "agents",
    "customers",
    "backlog",
];

/// What `types` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Type,
    Category,
    Channel,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Type, GroupBy::Category, GroupBy::Channel];

    /// The field's name, the `types` section's first column.
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Type => "type",
            GroupBy::Category => "category",
            GroupBy::Channel => "channel",
        }
    }
}

pub struct Report<'a> {
    pub period: Period,
    pub trend: Vec<Period>,
    /// The facts of the tickets that can change the period's figures or
    /// the previous period's ([`may_matter`] over [`window`] without a
    /// trend).
    pub facts: &'a [Facts],
    /// What the trend alone needs of the other tickets it reaches.
    pub earlier: &'a Earlier,
    pub config: &'a Config,
    pub tz: Tz,
    pub by: GroupBy,
    /// When the report is made: ages of a period not over yet are taken now.
    pub now: DateTime<Utc>,
    /// Customers' names as shown (masked), by ID, for the `customers` section.
    pub names: BTreeMap<String, String>,
    /// What customers said in the period (the `sentiment` section).
    pub voices: &'a [voices::Voice],
    /// The themes, found once for the section, the summary and the page.
    pub themes: std::sync::OnceLock<Vec<Theme>>,
}

pub struct Section {
    pub name: &'static str,
    pub records: Records,
}

impl Report<'_> {
    /// The first instant after the period (midnight after its last day).
    pub fn end(&self) -> DateTime<Utc> {
        end_of(&self.period, self.tz)
    }

    /// The instant ages are measured at: the end of the period, or now if
    /// the period is not over (a backlog is not aged in the future).
    pub fn as_of(&self) -> DateTime<Utc> {
        self.end().min(self.now)
    }

    pub fn section(&self, name: &str) -> Option<Section> {
        let records = match name {
            "types" => types::build(self),
            "themes" => themes::build(self),
            "handling" => handling::build(self),
            "satisfaction" => satisfaction::build(self),
            "sentiment" => voices::build(self),
            "sla" => sla::build(self),
            "agents" => agents::build(self),
            "customers" => customers::build(self),
            "backlog" => backlog::build(self),
            _ => return None,
        };
        let name = SECTIONS
            .iter()
            .find(|s| **s == name)
            .expect("known section");
        Some(Section { name, records })
    }

    /// The period's themes (see `themes.rs`), found on first use.
    pub fn themes(&self) -> &[Theme] {
        self.themes.get_or_init(|| {
            themes::themes(self, ThemeSettings::of(self.config.report.themes.as_ref()))
        })
    }

    pub fn sections(&self) -> Vec<Section> {
        SECTIONS.iter().filter_map(|s| self.section(s)).collect()
    }

    /// Tickets whose final close falls in `period`.
    pub fn closed_in<'b>(&'b self, period: &'b Period) -> impl Iterator<Item = &'b Facts> + 'b {
        self.facts
            .iter()
            .filter(move |f| f.closed.is_some_and(|(_, d)| period.contains(d)))
    }

    /// The tickets closed in the report's period, by priority in the
    /// configured order.
    pub fn closed_by_priority(&self) -> Vec<(&str, Vec<&Facts>)> {
        let closed: Vec<&Facts> = self.closed_in(&self.period).collect();
        self.config
            .priorities
            .iter()
            .map(|p| {
                let group = closed.iter().copied().filter(|f| f.priority == p.key);
                (p.key.as_str(), group.collect())
            })
            .collect()
    }
}

pub fn end_of(period: &Period, tz: Tz) -> DateTime<Utc> {
    let next = period
        .last
        .succ_opt()
        .expect("date in range")
        .and_time(NaiveTime::MIN);
    tz.from_local_datetime(&next)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&next), |t| t.with_timezone(&Utc))
}

/// The instants a report over `period` with `trend` months looks at: from
/// the start of the earliest of the trend, the previous period and the period,
/// to the end of the period.
pub fn window(period: &Period, trend: &[Period], tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = trend
        .iter()
        .map(|p| p.first)
        .chain([period.first, period.previous().first])
        .min()
        .expect("the period itself");
    let start = first.and_time(NaiveTime::MIN);
    let start = tz
        .from_local_datetime(&start)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&start), |t| t.with_timezone(&Utc));
    (start, end_of(period, tz))
}

/// The months of a trend from the month of the store's first ticket on:
/// earlier months are not printed, as nothing could be in them. The last
/// month (the period's) is always kept.
pub fn trend_since(trend: Vec<Period>, first_ticket: Option<NaiveDate>) -> Vec<Period> {
    let n = trend.len();
    trend
        .into_iter()
        .enumerate()
        .filter(|(i, m)| *i + 1 == n || first_ticket.is_some_and(|f| m.last >= f))
        .map(|(_, m)| m)
        .collect()
}

/// Whether a ticket can change any table of a report over `window`: it was
/// created before the window ends, and it has an event inside or after the
/// window or is still open (the backlog). Others are skipped before the
/// costly facts are computed.
pub fn may_matter(t: &Summary, (start, end): (DateTime<Utc>, DateTime<Utc>)) -> bool {
    let utc = |ts: crate::clock::Timestamp| ts.0.with_timezone(&Utc);
    utc(t.created) < end && (t.status.is_open() || t.last_at().is_some_and(|l| utc(l) >= start))
}

// Statistics shared by the sections.

pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The middle value; the mean of the two middle values for an even count.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The 90th percentile by the nearest-rank method: the value at rank ⌈0.9·n⌉.
pub fn p90(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| v[((0.9 * n as f64).ceil() as usize).clamp(1, n) - 1])
}

pub fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_starts_at_the_first_ticket() {
        let months = |trend: &[Period]| trend.iter().map(|p| p.label.clone()).collect::<Vec<_>>();
        let oct = Period::month(2026, 10).unwrap();
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let since = |first| months(&trend_since(oct.trend_months(4), first));
        assert_eq!(since(d("2026-08-31")), ["2026-08", "2026-09", "2026-10"]);
        assert_eq!(since(d("2026-08-01")), ["2026-08", "2026-09", "2026-10"]);
        assert_eq!(since(d("2020-01-01")).len(), 4);
        assert_eq!(since(d("2026-10-31")), ["2026-10"]);
        // Before the first ticket, or no ticket at all: the period alone.
        assert_eq!(since(d("2027-01-01")), ["2026-10"]);
        assert_eq!(since(None), ["2026-10"]);
    }

    #[test]
    fn medians_and_nearest_rank_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&ten), Some(9.0));
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(p90(&eleven), Some(10.0)); // rank ⌈9.9⌉ = 10
        assert_eq!(p90(&[7.0]), Some(7.0));
    }
}
