//! The report a manager opens: one self-contained HTML page (no script, no
//! font, no address to fetch) with the summary's sentences, improvement
//! proposals read off the numbers, and per section a chart (inline SVG,
//! `chart.rs`) over a table of the same numbers as its CSV. Rendered by
//! minijinja with HTML auto-escaping, from desk's template or the store's
//! `templates/report.html`. Pure: the report in, the page out.

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::chart::{Bars, Lines, Series};
use super::sentiment::Sentiment;
use super::summary::headlines;
use super::{Report, Section};
use crate::model::Field;
use crate::output::{cell_text, Cell, Records};
use crate::text::visible;

/// desk's own page template; a store's `templates/report.html` replaces it.
pub const TEMPLATE: &str = include_str!("report.html");

/// The name a store's own page template has in `templates/`.
pub const TEMPLATE_FILE: &str = "report.html";

/// The work one rendering may do (minijinja's fuel). desk's template takes
/// about 60,000 on a store with twelve months of surveys; a store's own
/// template that loops far beyond that is stopped instead of running on.
const FUEL: u64 = 5_000_000;

pub use crate::config::Lang;

#[derive(Serialize)]
struct PeriodView<'a> {
    label: &'a str,
    first: String,
    last: String,
    timezone: &'a str,
}

#[derive(Serialize)]
struct SectionView {
    name: &'static str,
    title: &'static str,
    /// The section's charts, SVG markup (marked safe: built and escaped here).
    charts: Vec<Value>,
    headers: Vec<String>,
    /// Per column: whether it holds numbers (right-aligned).
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct Words {
    title: &'static str,
    summary: &'static str,
    proposals: &'static str,
    no_proposals: &'static str,
    no_rows: &'static str,
    period: &'static str,
    timezone: &'static str,
    footer: &'static str,
}

/// What is wrong with a page template: the line, when known, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: Option<usize>,
    pub message: String,
}

/// The page for `sections` of `report`; `name` is the store's name as the
/// page shows it; `template` is a store's own template, if it has one.
pub fn render(
    report: &Report,
    sections: &[Section],
    lang: Lang,
    name: &str,
    template: Option<&str>,
) -> Result<String, TemplateError> {
    let lines = headlines(report);
    let mut headline = match lang {
        Lang::Zh => lines.zh,
        Lang::En => lines.en,
    };
    // The first sentence names the period, which the page's heading shows.
    if !headline.is_empty() {
        headline.remove(0);
    }
    let context = minijinja::context! {
        lang => lang.code(),
        name => name,
        period => Value::from(Serde(PeriodView {
            label: &report.period.label,
            first: report.period.first.to_string(),
            last: report.period.last.to_string(),
            timezone: &report.config.timezone,
        })),
        headline => shown_lines(headline),
        proposals => shown_lines(proposals(report, sections, lang)),
        sections => Value::from(Serde(
            sections.iter().map(|s| view(report, s, lang)).collect::<Vec<_>>()
        )),
        words => Value::from(Serde(words(lang))),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    let text = template.unwrap_or(TEMPLATE);
    let describe = |e: minijinja::Error| TemplateError {
        line: e.line(),
        message: match (e.kind(), e.detail()) {
            (minijinja::ErrorKind::UndefinedError, _) => format!(
                "{}; a page template has lang, name, period (label, first, last, timezone), \
                 headline, proposals, sections (name, title, charts, headers, numeric, rows) \
                 and words",
                e.kind()
            ),
            (kind, Some(detail)) => format!("{kind}: {detail}"),
            (kind, None) => kind.to_string(),
        },
    };
    let page = env
        .template_from_named_str(TEMPLATE_FILE, text)
        .map_err(describe)?;
    page.render(context).map_err(describe)
}

/// Sentences with stored text in them, as every output shows stored
/// text: control, bidi and invisible characters as visible escapes.
fn shown_lines(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| visible(&l).into_owned())
        .collect()
}

fn words(lang: Lang) -> Words {
    Words {
        title: lang.pick("客服报表", "Customer service report"),
        summary: lang.pick("概要", "Summary"),
        proposals: lang.pick("改进建议", "Improvement proposals"),
        no_proposals: lang.pick(
            "本期数据没有指向需要改进之处。",
            "Nothing in this period's numbers points at an improvement.",
        ),
        no_rows: lang.pick("本期无数据。", "No data in this period."),
        period: lang.pick("统计周期", "Period"),
        timezone: lang.pick("时区", "time zone"),
        footer: lang.pick(
            "由 desk 根据工单文件生成；每张图下的表格即该图的数据，与 CSV 逐格一致。",
            "Made by desk from the ticket files; the table under each chart holds its numbers, cell for cell as in the CSV.",
        ),
    }
}

fn section_title(name: &str, lang: Lang) -> &'static str {
    match name {
        "types" => lang.pick("工单类型分布", "Ticket types"),
        "themes" => lang.pick("热点主题与预警", "Themes and early warnings"),
        "handling" => lang.pick("处理时长", "Handling time"),
        "satisfaction" => lang.pick("满意度趋势", "Satisfaction trend"),
        "sentiment" => lang.pick("客户情感倾向", "Customer sentiment"),
        "sla" => lang.pick("服务时限达成", "SLA targets met"),
        "agents" => lang.pick("坐席工作量与评分", "Agents' load and scores"),
        "customers" => lang.pick("投诉最多的客户", "Customers with most complaints"),
        "backlog" => lang.pick("积压工单账龄", "Backlog by age"),
        _ => lang.pick("其他", "Other"),
    }
}

/// A number cell's value; text and empty cells have none.
fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Int(n) => Some(*n as f64),
        Cell::Dec(x, _) => Some(*x),
        Cell::Null | Cell::Text(_) => None,
    }
}

/// The values of column `name`, one per row.
fn values(records: &Records, name: &str) -> Vec<Option<f64>> {
    match records.position(name) {
        Some(i) => records.rows.iter().map(|r| number(&r[i])).collect(),
        None => vec![None; records.rows.len()],
    }
}

fn texts(records: &Records, i: usize) -> Vec<String> {
    records.rows.iter().map(|r| cell_text(&r[i])).collect()
}

fn series(name: impl Into<String>, values: Vec<Option<f64>>) -> Series {
    Series {
        name: name.into(),
        values,
    }
}

/// A key as the page shows it: its label in Chinese, the key in English.
fn shown(report: &Report, field: Option<Field>, key: &str, lang: Lang) -> String {
    match (lang, field) {
        (Lang::Zh, Some(field)) => report
            .config
            .label(field, key)
            .unwrap_or_else(|| key.to_string()),
        _ => key.to_string(),
    }
}

/// The field whose keys the `types` section lists (a category is free
/// text, with no label).
fn grouped_field(report: &Report) -> Option<Field> {
    match report.by {
        super::GroupBy::Type => Some(Field::Type),
        super::GroupBy::Channel => Some(Field::Channel),
        super::GroupBy::Category => None,
    }
}

/// A survey dimension as the page names it: its label in Chinese.
fn dimension_name(d: &crate::config::Choice, lang: Lang) -> String {
    match lang {
        Lang::Zh => d.label.clone().unwrap_or_else(|| d.key.clone()),
        Lang::En => d.key.clone(),
    }
}

fn view(report: &Report, section: &Section, lang: Lang) -> SectionView {
    let records = &section.records;
    let numeric = (0..records.headers.len())
        .map(|i| {
            records.rows.iter().any(|r| number(&r[i]).is_some())
                && records
                    .rows
                    .iter()
                    .all(|r| matches!(r[i], Cell::Int(_) | Cell::Dec(..) | Cell::Null))
        })
        .collect();
    let charts = if records.rows.is_empty() {
        Vec::new()
    } else {
        charts(report, section, lang)
            .into_iter()
            .map(Value::from_safe_string)
            .collect()
    };
    SectionView {
        name: section.name,
        title: section_title(section.name, lang),
        charts,
        headers: records.headers.clone(),
        numeric,
        rows: records
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| visible(&cell_text(c)).into_owned())
                    .collect()
            })
            .collect(),
    }
}

fn charts(report: &Report, section: &Section, lang: Lang) -> Vec<String> {
    let r = &section.records;
    let t = |zh, en| lang.pick(zh, en).to_string();
    match section.name {
        "types" => {
            let field = grouped_field(report);
            let labels = texts(r, 0)
                .iter()
                .map(|k| shown(report, field, k, lang))
                .collect();
            vec![Bars {
                id: "chart-types".into(),
                title: t("各类工单占比", "Share of tickets created, by type"),
                axis: t("占本期新建工单 (%)", "share of tickets created (%)"),
                labels,
                series: vec![series(t("占比", "share"), values(r, "share_pct"))],
                stacked: false,
                max: Some(100.0),
                whiskers: None,
                colours: None,
                places: 1,
            }
            .svg()]
        }
        "themes" => {
            let (Some(k), Some(theme), Some(rising)) = (
                r.position("type"),
                r.position("theme"),
                r.position("rising"),
            ) else {
                return Vec::new();
            };
            let labels = r
                .rows
                .iter()
                .map(|row| {
                    let flag = if cell_text(&row[rising]).is_empty() {
                        ""
                    } else {
                        "▲ "
                    };
                    format!(
                        "{flag}{} · {}",
                        shown(report, Some(Field::Type), &cell_text(&row[k]), lang),
                        cell_text(&row[theme])
                    )
                })
                .collect();
            vec![Bars {
                id: "chart-themes".into(),
                title: t(
                    "各类型热点主题：本期与上期（▲ 为预警）",
                    "Themes per type: this period and the previous (▲ early warning)",
                ),
                axis: t("提及的工单数（个）", "tickets mentioning it"),
                labels,
                series: vec![
                    series(t("本期", "this period"), values(r, "tickets")),
                    series(t("上期", "previous period"), values(r, "previous")),
                ],
                stacked: false,
                max: None,
                whiskers: None,
                colours: None,
                places: 0,
            }
            .svg()]
        }
        "handling" => {
            let labels = texts(r, 0)
                .iter()
                .map(|k| match k.as_str() {
                    "all" => t("全部", "all"),
                    k => shown(report, Some(Field::Priority), k, lang),
                })
                .collect();
            vec![Bars {
                id: "chart-handling".into(),
                title: t(
                    "各优先级处理时长：中位数，须线至 P90",
                    "Handling time per priority: median, whisker to p90",
                ),
                axis: t("小时（自然时间）", "hours (wall clock)"),
                labels,
                series: vec![series(t("中位数", "median"), values(r, "median_hours"))],
                stacked: false,
                max: None,
                whiskers: Some(values(r, "p90_hours")),
                colours: None,
                places: 2,
            }
            .svg()]
        }
        "satisfaction" => {
            let months = texts(r, 0);
            let mut lines: Vec<Series> = report
                .config
                .survey
                .dimensions
                .iter()
                .map(|d| {
                    let name = dimension_name(d, lang);
                    series(name, values(r, &format!("avg_{}", d.key)))
                })
                .collect();
            lines.push(series(t("总体", "overall"), values(r, "avg_overall")));
            vec![
                Lines {
                    id: "chart-satisfaction".into(),
                    title: t("满意度月度趋势", "Satisfaction per month"),
                    axis: t("平均分 (1–5)", "average score (1–5)"),
                    labels_axis: t("月份", "month"),
                    labels: months.clone(),
                    series: lines,
                    min: 1.0,
                    max: 5.0,
                    places: 2,
                }
                .svg(),
                Lines {
                    id: "chart-nps".into(),
                    title: t("净推荐值（NPS）月度趋势", "NPS per month"),
                    axis: t("NPS (−100–100)", "NPS (−100–100)"),
                    labels_axis: t("月份", "month"),
                    labels: months,
                    series: vec![series("NPS", values(r, "nps"))],
                    min: -100.0,
                    max: 100.0,
                    places: 1,
                }
                .svg(),
            ]
        }
        "sentiment" => {
            let months = texts(r, 0);
            let of = |name: &str| values(r, name);
            let mut labels = Vec::new();
            let mut columns: [Vec<Option<f64>>; 4] = Default::default();
            for (i, month) in months.iter().enumerate() {
                labels.push(format!("{month} · {}", t("调研评分", "surveys")));
                for (k, name) in ["surveys_positive", "surveys_neutral", "surveys_negative"]
                    .into_iter()
                    .enumerate()
                {
                    columns[k].push(of(name)[i]);
                }
                columns[3].push(None);
                labels.push(format!("{month} · {}", t("客户文本", "texts")));
                for (k, name) in ["positive", "neutral", "negative", "suggestion"]
                    .into_iter()
                    .enumerate()
                {
                    columns[k].push(of(name)[i]);
                }
            }

            vec![Bars {
                id: "chart-sentiment".into(),
                title: t(
                    "情感倾向：调研评分与客户文本",
                    "Sentiment of surveys (by score) and of customers' texts",
                ),
                axis: t("条数", "surveys or texts"),
                labels,
                // In the order of `Sentiment::ALL`, as the columns above.
                series: Sentiment::ALL
                    .into_iter()
                    .zip(columns)
                    .map(|(s, values)| {
                        let name = match lang {
                            Lang::Zh => s.label(),
                            Lang::En => s.name(),
                        };
                        series(name, values)
                    })
                    .collect(),
                stacked: true,
                max: None,
                whiskers: None,
                // Positive green, neutral grey, negative red, suggestion orange.
                colours: Some(&["#009E73", "#999999", "#D55E00", "#E69F00"]),
                places: 0,
            }
            .svg()]
        }
        "sla" => {
            let (Some(p), Some(k)) = (r.position("priority"), r.position("target")) else {
                return Vec::new();
            };
            let labels = r
                .rows
                .iter()
                .map(|row| {
                    format!(
                        "{} · {}",
                        shown(report, Some(Field::Priority), &cell_text(&row[p]), lang),
                        target_name(&cell_text(&row[k]), lang)
                    )
                })
                .collect();
            vec![Bars {
                id: "chart-sla".into(),
                title: t(
                    "各优先级、各时限的达成率",
                    "SLA met per priority and target",
                ),
                axis: t("达成率 (%)", "met (%)"),
                labels,
                series: vec![series(t("达成率", "met"), values(r, "met_pct"))],
                stacked: false,
                max: Some(100.0),
                whiskers: None,
                colours: None,
                places: 1,
            }
            .svg()]
        }
        "backlog" => {
            let priorities = report
                .config
                .priorities
                .iter()
                .map(|p| {
                    series(
                        shown(report, Some(Field::Priority), &p.key, lang),
                        values(r, &p.key),
                    )
                })
                .collect();
            vec![Bars {
                id: "chart-backlog".into(),
                title: t(
                    "未关闭工单按账龄与优先级",
                    "Open tickets by age and priority",
                ),
                axis: t("未关闭工单数（个）", "open tickets"),
                labels: texts(r, 0),
                series: priorities,
                stacked: true,
                max: None,
                whiskers: None,
                colours: None,
                places: 0,
            }
            .svg()]
        }
        "agents" => {
            let agents = texts(r, 0);
            vec![
                Bars {
                    id: "chart-agents-load".into(),
                    title: t("坐席工作量", "Agents' load"),
                    axis: t("工单数（个）", "tickets"),
                    labels: agents.clone(),
                    series: vec![
                        series(t("本期关闭", "closed in period"), values(r, "closed")),
                        series(t("期末未关闭", "open at end"), values(r, "open_at_end")),
                    ],
                    stacked: false,
                    max: None,
                    whiskers: None,
                    colours: None,
                    places: 0,
                }
                .svg(),
                Bars {
                    id: "chart-agents-score".into(),
                    title: t("坐席满意度评分", "Agents' satisfaction scores"),
                    axis: t("平均分 (1–5)", "average score (1–5)"),
                    labels: agents,
                    series: vec![series(t("总体", "overall"), values(r, "avg_overall"))],
                    stacked: false,
                    max: Some(5.0),
                    whiskers: None,
                    colours: None,
                    places: 2,
                }
                .svg(),
            ]
        }
        _ => Vec::new(),
    }
}

fn target_name(kind: &str, lang: Lang) -> String {
    match (lang, kind) {
        (Lang::Zh, "response") => "响应".into(),
        (Lang::Zh, "update") => "跟进".into(),
        (Lang::Zh, "resolution") => "解决".into(),
        _ => kind.to_string(),
    }
}

/// What the numbers point at, each a sentence naming its figure: the
/// largest type share, rising themes, the worst SLA target, the lowest-scoring survey
/// dimension of the period, and tickets left open a month or more.
/// Nothing is said where the data says nothing.
fn proposals(report: &Report, sections: &[Section], lang: Lang) -> Vec<String> {
    let find = |name: &str| sections.iter().find(|s| s.name == name).map(|s| &s.records);
    let mut out = Vec::new();

    if let Some(r) = find("types") {
        let shares = values(r, "share_pct");
        let counts = values(r, "count");
        if let (Some(row), Some(Some(share)), Some(Some(count))) =
            (r.rows.first(), shares.first(), counts.first())
        {
            let key = cell_text(&row[0]);
            let field = grouped_field(report);
            let label = shown(report, field, &key, lang);
            out.push(match lang {
                Lang::Zh => format!(
                    "「{label}」占本期新建工单的{share:.1}%（{count:.0}个），是最大的一类：建议优先梳理其主要原因，补充知识库答案。"
                ),
                Lang::En => format!(
                    "'{label}' is the largest share of tickets created: {share:.1}% ({count:.0}). Review its main causes first and add answers to the knowledge base."
                ),
            });
        }
    }

    if let Some(r) = find("themes") {
        let (tickets, previous) = (values(r, "tickets"), values(r, "previous"));
        if let (Some(k), Some(theme), Some(rising)) = (
            r.position("type"),
            r.position("theme"),
            r.position("rising"),
        ) {
            for (i, row) in r.rows.iter().enumerate() {
                if cell_text(&row[rising]).is_empty() {
                    continue;
                }
                let kind = shown(report, Some(Field::Type), &cell_text(&row[k]), lang);
                let theme = cell_text(&row[theme]);
                let (now, before) = (tickets[i].unwrap_or(0.0), previous[i].unwrap_or(0.0));
                out.push(match lang {
                    Lang::Zh => format!(
                        "「{theme}」类{kind}工单从上期的{before:.0}个增至{now:.0}个：建议尽快查明原因，必要时通知相关部门。"
                    ),
                    Lang::En => format!(
                        "'{theme}' {kind} tickets rose from {before:.0} to {now:.0}: find the cause early and tell the team concerned."
                    ),
                });
            }
        }
    }

    if let Some(r) = find("sla") {
        let met = values(r, "met_pct");
        let breached = values(r, "breached");
        let tickets = values(r, "tickets");
        let worst = met
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.map(|m| (i, m)))
            .filter(|(_, m)| *m < 100.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some((i, pct)), Some(p), Some(k)) =
            (worst, r.position("priority"), r.position("target"))
        {
            let priority = shown(
                report,
                Some(Field::Priority),
                &cell_text(&r.rows[i][p]),
                lang,
            );
            let target = target_name(&cell_text(&r.rows[i][k]), lang);
            let b = breached[i].unwrap_or(0.0);
            let n = tickets[i].unwrap_or(0.0);
            out.push(match lang {
                Lang::Zh => format!(
                    "达成率最低的服务时限是{priority}工单的{target}时限：{pct:.1}%（{n:.0}个中{b:.0}个超时），建议检查该环节的排班与分派。"
                ),
                Lang::En => format!(
                    "The worst SLA target is {priority} {target}: {pct:.1}% met ({b:.0} of {n:.0} breached). Check staffing and assignment at that step."
                ),
            });
        }
    }

    if let Some(r) = find("satisfaction") {
        if let Some(row) = r.rows.last() {
            let lowest = report
                .config
                .survey
                .dimensions
                .iter()
                .filter_map(|d| {
                    let i = r.position(&format!("avg_{}", d.key))?;
                    number(&row[i]).map(|v| (d, v))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((d, score)) = lowest {
                let name = dimension_name(d, lang);
                out.push(match lang {
                    Lang::Zh => format!(
                        "满意度最低的维度是「{name}」（{score:.2}分），建议围绕该维度安排培训或流程改进。"
                    ),
                    Lang::En => format!(
                        "The lowest-scoring survey dimension is '{name}' ({score:.2}). Aim training or process changes at it."
                    ),
                });
            }
        }
    }

    if let Some(r) = find("backlog") {
        let open = values(r, "open");
        if let Some(Some(old)) = open.last().filter(|v| v.is_some_and(|v| v > 0.0)) {
            let bucket = r
                .rows
                .last()
                .map(|row| cell_text(&row[0]))
                .unwrap_or_default();
            out.push(match lang {
                Lang::Zh => format!(
                    "有{old:.0}个工单已未关闭{bucket}（30天及以上），建议逐一复核并明确处理人与期限。"
                ),
                Lang::En => format!(
                    "{old:.0} tickets have been open {bucket} (30 days or more). Review each and set an owner and a date."
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn languages_by_code_or_name() {
        assert_eq!(Lang::parse("ZH"), Some(Lang::Zh));
        assert_eq!(Lang::parse("中文"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
