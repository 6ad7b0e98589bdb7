//! `satisfaction`: the trend, one row per month of the trend window.

use super::{mean, Period, Report, SurveyFact};
use crate::output::{dec, int, text, Records};

/// Overall satisfaction of a set of surveys: the mean of each survey's mean score.
pub fn overall(surveys: &[&SurveyFact]) -> Option<f64> {
    let means: Vec<f64> = surveys
        .iter()
        .filter(|s| !s.scores.is_empty())
        .map(|s| s.scores.values().map(|&v| v as f64).sum::<f64>() / s.scores.len() as f64)
        .collect();
    mean(&means)
}

/// Net promoter score: % promoters (9–10) minus % detractors (0–6) among the
/// surveys that gave one; `None` when none did.
pub fn nps(surveys: &[&SurveyFact]) -> Option<f64> {
    let given: Vec<u8> = surveys.iter().filter_map(|s| s.nps).collect();
    if given.is_empty() {
        return None;
    }
    let promoters = given.iter().filter(|&&n| n >= 9).count() as f64;
    let detractors = given.iter().filter(|&&n| n <= 6).count() as f64;
    Some(100.0 * (promoters - detractors) / given.len() as f64)
}

pub fn surveys_in<'a>(r: &'a Report, period: &'a Period) -> Vec<&'a SurveyFact> {
    r.facts
        .iter()
        .flat_map(|f| f.surveys.iter())
        .chain(&r.earlier.surveys)
        .filter(|s| period.contains(s.date))
        .collect()
}

pub fn build(r: &Report) -> Records {
    let dims: Vec<&str> = r
        .config
        .survey
        .dimensions
        .iter()
        .map(|d| d.key.as_str())
        .collect();
    let mut headers = vec!["month".to_string(), "surveys".to_string()];
    headers.extend(dims.iter().map(|d| format!("avg_{d}")));
    headers.extend(["avg_overall", "nps", "delta_overall"].map(String::from));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    // On a narrow terminal the change on the month before goes first (the
    // overall averages show it), then the dimensions, the last first, then
    // the NPS: month, surveys and avg_overall stay.
    let mut spare = vec!["delta_overall"];
    spare.extend(headers[2..2 + dims.len()].iter().rev());
    spare.push("nps");
    let mut records = Records::new(&headers).spare(&spare);
    let mut previous: Option<f64> = None;
    for (i, month) in r.trend.iter().enumerate() {
        let surveys = surveys_in(r, month);
        let mut row = vec![text(&month.label), int(surveys.len())];
        for d in &dims {
            let scores: Vec<f64> = surveys
                .iter()
                .filter_map(|s| s.scores.get(d))
                .map(|&v| v as f64)
                .collect();
            row.push(dec(mean(&scores), 2));
        }
        let overall = overall(&surveys);
        row.push(dec(overall, 2));
        row.push(dec(nps(&surveys), 1));
        let delta = match (i, previous, overall) {
            (0, _, _) => None,
            (_, Some(p), Some(o)) => Some(o - p),
            _ => None,
        };
        row.push(dec(delta, 2));
        previous = overall;
        records.push(row);
    }
    records
}
