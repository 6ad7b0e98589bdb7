//! The headline sentences of `summary.txt`, in the seeds' style
//! ("'too complex to operate' complaints are 30%", "urgent issues took 3.5 h
//! on average", "4.2 this quarter, +0.3 on the last"), in Chinese and English.

use super::{handling, pct, satisfaction, types, Facts, GroupBy, Report};
use crate::model::Field;

pub fn summary(r: &Report) -> String {
    let h = headlines(r);
    format!("{}\n\n{}\n", h.en.join("\n"), h.zh.join("\n"))
}

/// The sentences of the summary, in English and in Chinese; the first of
/// each names the period.
pub struct Headlines {
    pub en: Vec<String>,
    pub zh: Vec<String>,
}

pub fn headlines(r: &Report) -> Headlines {
    let mut en = Vec::new();
    let mut zh = Vec::new();
    let label = |field: Field, key: &str| {
        r.config
            .label(field, key)
            .unwrap_or_else(|| key.to_string())
    };

    en.push(format!(
        "desk report {} ({} to {}, {})",
        r.period.label, r.period.first, r.period.last, r.config.timezone
    ));
    zh.push(format!(
        "客服报表 {}（{} 至 {}）",
        r.period.label, r.period.first, r.period.last
    ));

    // The most frequent type (or category, or channel: what `types` groups by).
    let (counts, total) = types::counts(r);
    match counts.first() {
        Some((_, most)) => {
            let top: Vec<&str> = counts
                .iter()
                .take_while(|(_, c)| c == most)
                .map(|(k, _)| k.as_str())
                .collect();
            let share = pct(*most, total).unwrap_or(0.0);
            let created = format!("{} created", counted(total, "ticket"));
            let field = r.by.name();
            let zh_field = match r.by {
                GroupBy::Type => "类型",
                GroupBy::Category => "类别",
                GroupBy::Channel => "渠道",
            };
            let zh_top: Vec<String> = top
                .iter()
                .map(|k| match r.by {
                    GroupBy::Type => label(Field::Type, k),
                    GroupBy::Channel => label(Field::Channel, k),
                    GroupBy::Category => k.to_string(),
                })
                .collect();
            if let [only] = top[..] {
                en.push(format!(
                    "{created}; the most frequent {field} was {only} with {most} ({share:.1}%)."
                ));
                zh.push(format!(
                    "本期新建工单{total}个，最多的{zh_field}是{}（{most}个，占{share:.1}%）。",
                    zh_top[0]
                ));
            } else {
                let plural = match r.by {
                    GroupBy::Category => "categories".to_string(),
                    _ => format!("{field}s"),
                };
                en.push(format!(
                    "{created}; the most frequent {plural} were {}, with {most} each ({share:.1}% each).",
                    joined(&top, ", ", " and ")
                ));
                zh.push(format!(
                    "本期新建工单{total}个，最多的{zh_field}是{}（各{most}个，各占{share:.1}%）。",
                    joined(&zh_top, "、", "和")
                ));
            }
        }
        None => {
            en.push("No tickets were created.".into());
            zh.push("本期没有新建工单。".into());
        }
    }

    // Early warnings: themes rising fast.
    for t in r.themes().iter().filter(|t| t.rising) {
        en.push(format!(
            "Early warning: '{}' {} tickets rose from {} to {}.",
            t.theme, t.kind, t.previous, t.tickets
        ));
        zh.push(format!(
            "预警：「{}」类{}工单从{}个增至{}个。",
            t.theme,
            label(Field::Type, &t.kind),
            t.previous,
            t.tickets
        ));
    }

    // Handling time per priority.
    let closed: Vec<&Facts> = r.closed_in(&r.period).collect();
    let mut parts_en = Vec::new();
    let mut parts_zh = Vec::new();
    for (priority, group) in r.closed_by_priority() {
        if let Some(h) = handling::avg_hours(&group) {
            parts_en.push(format!("{priority} {h:.2} h"));
            parts_zh.push(format!(
                "{}问题平均{h:.2}小时",
                label(Field::Priority, priority)
            ));
        }
    }
    if parts_en.is_empty() {
        en.push("No tickets were closed.".into());
        zh.push("本期没有关闭的工单。".into());
    } else {
        en.push(format!(
            "{} closed; average handling time: {}.",
            counted(closed.len(), "ticket"),
            parts_en.join(", ")
        ));
        zh.push(format!(
            "本期关闭工单{}个，平均处理时长：{}。",
            closed.len(),
            parts_zh.join("，")
        ));
        let met = closed.iter().filter(|f| f.sla_met()).count();
        let share = pct(met, closed.len()).unwrap_or(0.0);
        en.push(format!("{share:.1}% of them met every SLA target."));
        zh.push(format!("其中{share:.1}%满足全部服务时限。"));
    }

    // Satisfaction and its change on the previous period.
    let previous = r.period.previous();
    let now = satisfaction::surveys_in(r, &r.period);
    let before = satisfaction::surveys_in(r, &previous);
    match (satisfaction::overall(&now), satisfaction::overall(&before)) {
        (Some(a), Some(b)) => {
            en.push(format!(
                "Satisfaction was {a:.2} from {}, {:+.2} on {} ({b:.2}).",
                plural(now.len(), "survey"),
                a - b,
                previous.label
            ));
            zh.push(format!(
                "客户满意度{a:.2}（{}份调研），较上期（{}）{:+.2}。",
                now.len(),
                previous.label,
                a - b
            ));
        }
        (Some(a), None) => {
            en.push(format!(
                "Satisfaction was {a:.2} from {} (none in {}).",
                plural(now.len(), "survey"),
                previous.label
            ));
            zh.push(format!(
                "客户满意度{a:.2}（{}份调研），上期无调研数据。",
                now.len()
            ));
        }
        _ => {
            en.push("No satisfaction surveys were recorded.".into());
            zh.push("本期没有满意度调研记录。".into());
        }
    }
    if let Some(n) = satisfaction::nps(&now) {
        en.push(format!("NPS {n:.1}."));
        zh.push(format!("净推荐值（NPS）{n:.1}。"));
    }
    // What customers said, as desk reads it.
    let said = super::voices::counts(r, &r.period);
    let texts: usize = said.texts.iter().sum();
    if texts > 0 {
        let share = pct(said.texts[2], texts).unwrap_or(0.0);
        en.push(format!(
            "Of {} from customers (complaints, survey comments, mail), {} read as negative ({share:.1}%), {} as positive and {} as suggestions.",
            plural(texts, "text"),
            said.texts[2],
            said.texts[0],
            said.texts[3]
        ));
        zh.push(format!(
            "客户文本{texts}条（投诉、调研评语、来信）：负面{}条（占{share:.1}%），正面{}条，建议{}条。",
            said.texts[2], said.texts[0], said.texts[3]
        ));
    }
    Headlines { en, zh }
}

/// "1 survey" or "3 surveys".
fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// "1 ticket was" or "3 tickets were": the count, the noun and the verb agreeing.
fn counted(n: usize, noun: &str) -> String {
    let verb = if n == 1 { "was" } else { "were" };
    format!("{} {verb}", plural(n, noun))
}

/// "a", "a and b", "a, b and c" (with `sep` and `last` between).
fn joined<S: AsRef<str>>(items: &[S], sep: &str, last: &str) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    match items.split_last() {
        Some((end, [])) => end.to_string(),
        Some((end, rest)) => format!("{}{last}{end}", rest.join(sep)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_and_lists_join() {
        assert_eq!(counted(1, "ticket"), "1 ticket was");
        assert_eq!(counted(0, "survey"), "0 surveys were");
        assert_eq!(plural(1, "survey"), "1 survey");
        assert_eq!(counted(12, "ticket"), "12 tickets were");
        assert_eq!(joined(&["a"], ", ", " and "), "a");
        assert_eq!(joined(&["a", "b"], ", ", " and "), "a and b");
        assert_eq!(joined(&["a", "b", "c"], "、", "和"), "a、b和c");
    }
}
