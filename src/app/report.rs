//! What a report needs from the store: the facts of every ticket that can
//! change it (others are dropped as they are read), the trend's months from
//! the store's first ticket on, and the masked names of the customers it
//! ranks. The tables themselves are `crate::report`, pure.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::TicketId;
use crate::report::html::{self, Lang};
use crate::report::voices::{Source, Voice};
use crate::report::{self, Earlier, Facts, GroupBy, Period, Report, Section};
use crate::store::TEMPLATES_DIR;
use crate::store::{text_key, Store};

/// The store's side of a report over a period, ready to lay out.
pub struct ReportInput {
    pub period: Period,
    pub trend: Vec<Period>,
    pub facts: Vec<Facts>,
    pub earlier: Earlier,
    pub names: BTreeMap<String, String>,
    /// What customers said in the period: complaints, survey comments, mail.
    pub voices: Vec<Voice>,
    pub now: DateTime<Utc>,
    /// Ticket and customer files that could not be read: the report is made
    /// without them, and the command fails after printing it.
    pub errors: Vec<Error>,
}

impl ReportInput {
    /// The report, grouped `by`.
    pub fn report<'a>(&'a self, store: &'a Store, by: GroupBy) -> Report<'a> {
        Report {
            trend: self.trend.clone(),
            period: self.period.clone(),
            facts: &self.facts,
            earlier: &self.earlier,
            config: &store.config,
            tz: store.settings.tz,
            by,
            now: self.now,
            names: self.names.clone(),
            voices: &self.voices,
            themes: Default::default(),
        }
    }
}

/// Gathers a report over `period` with a trend of `months` months, as at
/// `now`; with `voices_too`, what customers said in it too (read from the
/// files of the tickets that hold it, for the `sentiment` section).
pub fn report_input(
    store: &Store,
    period: Period,
    months: u32,
    now: Timestamp,
    voices_too: bool,
) -> Result<ReportInput> {
    store.refuse_partial(&period.last.format("%Y/%m").to_string())?;
    let (policy, calendar) = store.sla()?;
    let tz = store.settings.tz;
    let now = now.0.with_timezone(&Utc);
    let trend = period.trend_months(months);
    let window = report::window(&period, &trend, tz);
    // Tickets that cannot change the report are dropped as they are read;
    // the earliest creation of all is kept for the trend.
    // Of those the trend alone reaches, only what it needs is kept.
    let first = AtomicI64::new(i64::MAX);
    let core = report::window(&period, &[], tz);
    let mut earlier = Earlier::default();
    let mut scan = store.summaries_taken(
        true,
        |t| {
            first.fetch_min(t.created.0.timestamp(), Ordering::Relaxed);
            report::may_matter(t, window)
        },
        |t| {
            if report::may_matter(&t, core) {
                return Some(t);
            }
            earlier.add(&t, tz);
            None
        },
    )?;
    let first_ticket =
        DateTime::from_timestamp(first.into_inner(), 0).map(|t| t.with_timezone(&tz).date_naive());
    let facts = Facts::of_all(&scan.summaries, policy, calendar, tz, now);
    drop(scan.summaries);
    let mut errors_of_voices = Vec::new();
    let mut input = ReportInput {
        trend: report::trend_since(trend, first_ticket),
        period,
        facts,
        earlier,
        names: BTreeMap::new(),
        voices: Vec::new(),
        now,
        errors: std::mem::take(&mut scan.errors),
    };
    // What customers said is read from their tickets' files: only when the
    // `sentiment` section or the summary will count it.
    if voices_too {
        input.voices = voices(store, &input, &mut errors_of_voices);
    }
    input.errors.append(&mut errors_of_voices);
    let ranked: Vec<String> = report::top_customers(&input.report(store, GroupBy::Type))
        .into_iter()
        .map(|(id, _, _)| id.to_string())
        .collect();
    for id in ranked {
        match store.load_customer(&id) {
            Ok(c) => {
                input.names.insert(id, c.masked_name());
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => input.errors.push(e),
        }
    }
    Ok(input)
}

/// What customers said in the period: the descriptions of complaints
/// created in it, the survey comments and the mail received in it, each
/// read. Only the files of the tickets the facts say hold such texts are
/// read; a text the store's readings memo knows is not classified again,
/// so a report whose texts are all known loads no segmenter. A file that
/// cannot be read is added to `errors`.
fn voices(store: &Store, input: &ReportInput, errors: &mut Vec<Error>) -> Vec<Voice> {
    let period = &input.period;
    let complaint = store.config.complaint_types();
    let wanted: Vec<&Facts> = input
        .facts
        .iter()
        .filter(|f| {
            (period.contains(f.created_date) && complaint.iter().any(|k| *k == f.kind))
                || f.surveys.iter().any(|s| period.contains(s.date))
                || f.received.iter().any(|d| period.contains(*d))
        })
        .collect();
    let tz = store.settings.tz;
    let memo = store.readings(report::sentiment::fingerprint());
    let read = crate::parallel::map(&wanted, |f| {
        let id = TicketId::parse(&f.id).ok_or_else(|| {
            Error::invalid("ticket ID", f.id.as_str(), "a ticket ID of this store")
        })?;
        let ticket = store.load_ticket(&id)?;
        let complaint = complaint.contains(&ticket.kind);
        let wanted = |at: crate::clock::Timestamp, source| {
            period.contains(at.0.with_timezone(&tz).date_naive())
                && (source != Source::Description || complaint)
        };
        let (mut used, mut new) = (Vec::new(), Vec::new());
        let said = report::voices::said(&ticket, wanted, |text| {
            let key = text_key(text);
            used.push(key);
            memo.get(&key).unwrap_or_else(|| {
                let reading = report::sentiment::classify(text);
                new.push((key, reading));
                reading
            })
        });
        // The ticket itself is dropped here: a year of them would not fit.
        Ok::<_, Error>((ticket.id, said, used, new))
    });
    let (mut all_used, mut all_new) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for r in read {
        let (id, said, used, new) = match r {
            Ok(read) => read,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        all_used.extend(used);
        all_new.extend(new);
        for s in said {
            out.push(Voice {
                date: s.at.0.with_timezone(&tz).date_naive(),
                reading: s.reading,
                ticket: id.clone(),
                source: s.source,
                quote: s.quote,
            });
        }
    }
    store.keep_readings(memo, all_new, &all_used);
    out
}

/// The language of the HTML report: `lang` given, else the store's
/// `report.lang`, else Chinese.
pub fn report_lang(store: &Store, lang: Option<Lang>) -> Lang {
    // desk.yaml's `report.lang` was checked when the file was read.
    lang.or_else(|| store.config.report.lang.as_deref().and_then(Lang::parse))
        .unwrap_or(Lang::Zh)
}

/// The store's name on the report: `report.name`, else its folder's name.
pub fn report_name(store: &Store) -> String {
    match &store.config.report.name {
        Some(name) => name.clone(),
        None => store
            .root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "desk".to_string()),
    }
}

/// The HTML report of `sections` in `lang` (see [`report_lang`]), through
/// the store's `templates/report.html` when it has one, else desk's own.
pub fn html_page(
    store: &Store,
    report: &Report,
    sections: &[Section],
    lang: Option<Lang>,
) -> Result<String> {
    let lang = report_lang(store, lang);
    let own = store.page_template(html::TEMPLATE_FILE)?;
    html::render(report, sections, lang, &report_name(store), own.as_deref()).map_err(|e| {
        Error::Parse {
            path: match own {
                Some(_) => std::path::Path::new(TEMPLATES_DIR).join(html::TEMPLATE_FILE),
                None => "desk's report template".into(),
            },
            line: e.line,
            message: format!("the HTML report does not render: {}", e.message),
        }
    })
}

/// The mail of a report: its page (`html_page`) as the HTML body, the
/// summary as the text, `attachments` (the workbook) attached.
pub fn report_mail(
    store: &Store,
    report: &Report,
    html: String,
    lang: Option<Lang>,
    attachments: Vec<crate::mail::Attachment>,
) -> super::report_mail::ReportMail {
    let name = report_name(store);
    let label = &report.period.label;
    let subject = match report_lang(store, lang) {
        Lang::Zh => format!("{name} 客服报表 {label}"),
        Lang::En => format!("{name} customer service report {label}"),
    };
    super::report_mail::ReportMail {
        subject,
        text: crate::text::visible_lines(&report::summary(report)).into_owned(),
        html,
        attachments,
    }
}
