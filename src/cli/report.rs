use std::io::Write;
use std::path::PathBuf;

use super::{values, Context};
use crate::app;
use crate::app::report_mail::Mailed;
use crate::clock::parse_date;
use crate::error::{Error, Result};
use crate::mail::Attachment;
use crate::output::message;
use crate::output::{Format, Workbook};
use crate::report::html::Lang;
use crate::report::{summary, GroupBy, Period, Report, Section, SECTIONS};
use crate::store::{write_atomic, write_output};
use crate::text::visible_lines;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The period: a calendar month, YYYY-MM, or `last` (the month before now; the default).
    #[arg(long, value_name = "YYYY-MM|last", conflicts_with_all = ["quarter", "from", "week"])]
    pub month: Option<String>,
    /// The period: an ISO week, YYYY-Www (Monday to Sunday), or `last` (the week before now).
    #[arg(long, value_name = "YYYY-Www|last", conflicts_with_all = ["quarter", "from"])]
    pub week: Option<String>,
    /// The period: a quarter, YYYYQn, or `last` (the quarter before now).
    #[arg(long, value_name = "YYYYQn|last", conflicts_with = "from")]
    pub quarter: Option<String>,
    /// First day of a custom period (inclusive).
    #[arg(long, value_name = "DATE", requires = "to")]
    pub from: Option<String>,
    /// Last day of a custom period (inclusive).
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<String>,
    /// Length of the satisfaction trend in months, ending with the period's month.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub months: u32,
    /// Group the `types` section by this field.
    #[arg(long, value_parser = values::group_by(), default_value = "type")]
    pub by: GroupBy,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = values::format(&[Format::Table, Format::Csv, Format::Json]))]
    pub format: Option<Format>,
    /// Only this section: types, themes, handling, satisfaction, sla, agents, customers, backlog.
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,
    /// Write one NAME.csv per section and summary.txt into DIR, and print
    /// DIR. `{period}` in DIR is replaced by the period (2026-10, 2026Q3);
    /// DIR ending in `/` gets a folder named after the period inside it.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the report as one self-contained HTML page (charts and tables,
    /// no network) to FILE; `-` is standard output.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The language of the HTML report: zh or en (default: the store's
    /// `report.lang`, else zh).
    #[arg(long, value_name = "zh|en", value_parser = values::lang())]
    pub lang: Option<Lang>,
    /// Mail the report to each TO (or, given no address, to `report.mail_to`
    /// of desk.yaml) through `mail:` of desk.yaml: the HTML page as the body,
    /// the summary as its text. Once per period and recipient: a recipient
    /// who has had this period's report is skipped.
    #[arg(long, value_name = "TO", num_args = 0..)]
    pub mail: Option<Vec<String>>,
    /// Write the report as one Excel workbook to FILE (`--out` writes
    /// report.xlsx): the summary, then a sheet per section, numbers as
    /// numbers and text as text. `-` is standard output, if not a terminal.
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// Start CSV with a UTF-8 byte order mark, for spreadsheet programs.
    #[arg(long)]
    pub bom: bool,
    /// Evaluate at this time instead of now (what `last` refers to).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[command(flatten)]
    pub as_of: super::AsOf,
}

fn period(args: &ReportArgs, today: chrono::NaiveDate) -> Result<Period> {
    if let Some(q) = &args.quarter {
        return Period::parse_quarter(q, today);
    }
    if let Some(w) = &args.week {
        return Period::parse_week(w, today);
    }
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        return Period::range(parse_date(from)?, parse_date(to)?);
    }
    Period::parse_month(args.month.as_deref().unwrap_or("last"), today)
}

pub fn run(ctx: &Context, args: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let now = ctx.now_or(args.now.as_deref())?;
    let today = now.0.with_timezone(&ctx.store.settings.tz).date_naive();
    let period = period(args, today)?;
    if let Some(name) = &args.section {
        if !SECTIONS.contains(&name.as_str()) {
            return Err(Error::invalid(
                "--section",
                name,
                format!("expected one of {}", SECTIONS.join(", ")),
            ));
        }
    }
    if args.xlsx.as_deref().is_some_and(|f| f.as_os_str() == "-") {
        // A workbook is binary: never onto a terminal, nor after DIR.
        if ctx.term.is_tty {
            return Err(Error::Refused(
                "--xlsx - writes a binary workbook to standard output, here a terminal: \
                 redirect it to a file (`> report.xlsx`) or give --xlsx a FILE"
                    .into(),
            ));
        }
        if args.out.is_some() {
            return Err(Error::Refused(
                "--xlsx - would write the workbook after the DIR that --out prints on \
                 standard output; --out writes report.xlsx already, or give --xlsx a FILE"
                    .into(),
            ));
        }
    }
    if args.mail.is_some() && args.section.is_some() {
        // The record of a mailed report is per period and recipient: a part
        // recorded as the report would keep the whole from them.
        return Err(Error::Refused(
            "--mail sends the whole report, recorded once per period and recipient; \
             drop --section"
                .into(),
        ));
    }
    let dash = |f: &Option<PathBuf>| f.as_deref().is_some_and(|f| f.as_os_str() == "-");
    if dash(&args.html) && (dash(&args.xlsx) || args.out.is_some()) {
        return Err(Error::Refused(
            "--html - writes the page to standard output, where --out prints DIR and \
             --xlsx - writes the workbook: give --html a FILE"
                .into(),
        ));
    }
    // One section other than sentiment prints no summary sentence about
    // what customers said: their tickets' files are not read.
    // Customers' texts: what sentiment reads and themes quote.
    let voices_too = args
        .section
        .as_deref()
        .is_none_or(|s| s == "sentiment" || s == "themes");
    let input = app::report::report_input(&ctx.store, period, args.months, now, voices_too)?;
    let report = input.report(&ctx.store, args.by);
    let sections: Vec<Section> = match &args.section {
        Some(name) => report.section(name).into_iter().collect(),
        None => report.sections(),
    };
    // The page and the workbook are made once, for every place they go.
    let page_cell = std::cell::OnceCell::new();
    let page = || -> Result<&String> {
        if page_cell.get().is_none() {
            let made = app::report::html_page(&ctx.store, &report, &sections, args.lang)?;
            let _ = page_cell.set(made);
        }
        Ok(page_cell.get().expect("made above"))
    };
    let book_cell = std::cell::OnceCell::new();
    let book = || -> Result<&Vec<u8>> {
        if book_cell.get().is_none() {
            let _ = book_cell.set(workbook(&report, &sections)?);
        }
        Ok(book_cell.get().expect("made above"))
    };

    if let Some(dir) = &args.out {
        let dir = &out_dir(dir, &report.period.label);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for s in &sections {
            let mut bytes = Vec::new();
            s.records
                .write_csv(&mut bytes, args.bom, ctx.term.csv_raw)?;
            let path = dir.join(format!("{}.csv", s.name));
            write_atomic(&path, &bytes)?;
            message::say(&format!("wrote {}", path.display()));
        }
        let path = dir.join("summary.txt");
        // A text file people `cat`: stored text in it is shown, never obeyed.
        write_atomic(&path, visible_lines(&summary(&report)).as_bytes())?;
        message::say(&format!("wrote {}", path.display()));
        let path = dir.join("report.html");
        write_atomic(&path, page()?.as_bytes())?;
        message::say(&format!("wrote {}", path.display()));
        let path = dir.join("report.xlsx");
        write_atomic(&path, book()?)?;
        message::say(&format!("wrote {}", path.display()));
        writeln!(out, "{}", dir.display())?;
    }
    if let Some(file) = &args.html {
        if file.as_os_str() == "-" {
            out.write_all(page()?.as_bytes())?;
        } else {
            write_output(file, page()?.as_bytes())?;
            message::say(&format!("wrote {}", file.display()));
        }
    }
    if let Some(file) = &args.xlsx {
        let bytes = book()?;
        if file.as_os_str() == "-" {
            out.write_all(bytes)?;
        } else {
            write_output(file, bytes)?;
            message::say(&format!("wrote {}", file.display()));
        }
    }
    if let Some(given) = &args.mail {
        let to = match given.is_empty() {
            false => given.clone(),
            true => ctx.store.config.report.mail_to.clone().unwrap_or_default(),
        };
        // The workbook goes with the page, named after the period.
        let attachments = vec![Attachment {
            name: format!("report-{}.xlsx", report.period.label.replace("..", "_")),
            bytes: book()?.clone(),
        }];
        let mail =
            app::report::report_mail(&ctx.store, &report, page()?.clone(), args.lang, attachments);
        for done in app::report_mail::mail_report(
            &ctx.store,
            &report.period.label,
            &mail,
            &to,
            ctx.actor(),
            now,
        )? {
            match done {
                Mailed::Sent { to } => message::say(&format!("mailed the report to {to}")),
                Mailed::Already { to, record } => message::say(&format!(
                    "{to} has had the {} report already ({record}); not sent again",
                    report.period.label
                )),
            }
        }
    }
    if args.out.is_none() && args.html.is_none() && args.xlsx.is_none() && args.mail.is_none() {
        let format = ctx.term.format_or_default(args.format);
        write_sections(&report, &sections, format, args.bom, ctx, out)?;
    }
    Error::all(input.errors)
}

/// The names, as shown (masked), of the customers the report lists; a
/// customer without a record (see `desk check`) has none, and one whose
/// file is unreadable has none and its error is added to `errors`, so the
/// report is still written and the command fails naming the file.
fn out_dir(given: &std::path::Path, label: &str) -> PathBuf {
    let text = given.to_string_lossy();
    if text.contains("{period}") {
        return PathBuf::from(text.replace("{period}", label));
    }
    let named = given.file_name().is_some_and(|n| n == label);
    if text.ends_with('/') && !named {
        given.join(label)
    } else {
        given.to_path_buf()
    }
}

/// The report as an Excel workbook: the summary (as `write_sections` shows
/// it: one section alone gets only the line naming the period), then a
/// sheet per section. Created on the period's first day, so the same
/// report gives the same bytes.
fn workbook(report: &Report, sections: &[Section]) -> Result<Vec<u8>> {
    let mut book = Workbook::new(report.period.first)?;
    let summary = summary(report);
    let text = visible_lines(&summary);
    match sections {
        [_] => book.lines("summary", text.lines().next().unwrap_or_default())?,
        _ => book.lines("summary", &text)?,
    }
    for s in sections {
        book.records(s.name, &s.records)?;
    }
    book.to_bytes()
}

fn write_sections(
    report: &Report,
    sections: &[Section],
    format: Format,
    bom: bool,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Json => {
            let mut map = serde_json::Map::new();
            for s in sections {
                map.insert(s.name.to_string(), s.records.to_json());
            }
            let doc = serde_json::json!({
                "period": {
                    "label": report.period.label,
                    "from": report.period.first.to_string(),
                    "to": report.period.last.to_string(),
                    "timezone": report.config.timezone,
                },
                "sections": map,
            });
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Csv if sections.len() == 1 => {
            sections[0].records.write_csv(out, bom, ctx.term.csv_raw)?
        }
        Format::Csv => {
            // Several tables in one stream: each after a `# name` line, a blank line between.
            if bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            for (i, s) in sections.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "# {}", s.name)?;
                s.records.write_csv(out, false, ctx.term.csv_raw)?;
            }
        }
        Format::Table | Format::Ids => {
            // The headline sentences first; one section alone gets only
            // the summary's first line, naming the period.
            let summary = summary(report);
            let text = visible_lines(&summary);
            match sections {
                [_] => writeln!(out, "{}", text.lines().next().unwrap_or_default())?,
                _ => write!(out, "{text}")?,
            }
            for s in sections {
                writeln!(out, "\n{}", s.name)?;
                s.records.write(out, Format::Table, ctx.term)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::out_dir;
    use std::path::{Path, PathBuf};

    #[test]
    fn out_dir_names_the_period_folder() {
        let at = |given: &str| out_dir(Path::new(given), "2026-10");
        assert_eq!(at("reports/"), PathBuf::from("reports/2026-10"));
        assert_eq!(at("reports/2026-10/"), PathBuf::from("reports/2026-10/"));
        assert_eq!(at("reports/{period}"), PathBuf::from("reports/2026-10"));
        assert_eq!(at("r/{period}/csv"), PathBuf::from("r/2026-10/csv"));
        assert_eq!(at("october"), PathBuf::from("october"));
    }
}
