//! The headline sentences of `summary.txt`, in the seeds' style
//! ("'too complex to operate' complaints are 30%", "urgent issues took 3.5 h
//! on average", "4.2 this quarter, +0.3 on the last"), in Chinese and English.

use std::collections::BTreeMap;

use super::{handling, pct, satisfaction, Facts, Report};
use crate::config::Field;

pub fn summary(r: &Report) -> String {
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

    // Types.
    let created: Vec<&Facts> = r
        .facts
        .iter()
        .filter(|f| r.period.contains(f.created_date))
        .collect();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &created {
        *by_type.entry(&f.kind).or_default() += 1;
    }
    let top = by_type
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)));
    match top {
        Some((kind, count)) => {
            let share = pct(*count, created.len()).unwrap_or(0.0);
            en.push(format!(
                "{} tickets were created; the most frequent type was {kind} with {count} ({share:.1}%).",
                created.len()
            ));
            zh.push(format!(
                "本期新建工单{}个，最多的类型是{}（{count}个，占{share:.1}%）。",
                created.len(),
                label(Field::Type, kind)
            ));
        }
        None => {
            en.push("No tickets were created.".into());
            zh.push("本期没有新建工单。".into());
        }
    }

    // Handling time per priority.
    let closed: Vec<&Facts> = r.closed_in(&r.period).collect();
    let mut parts_en = Vec::new();
    let mut parts_zh = Vec::new();
    for p in &r.config.priorities {
        let group: Vec<&Facts> = closed
            .iter()
            .copied()
            .filter(|f| f.priority == p.key)
            .collect();
        if let Some(h) = handling::avg_hours(&group) {
            parts_en.push(format!("{} {h:.2} h", p.key));
            parts_zh.push(format!(
                "{}问题平均{h:.2}小时",
                label(Field::Priority, &p.key)
            ));
        }
    }
    if parts_en.is_empty() {
        en.push("No tickets were closed.".into());
        zh.push("本期没有关闭的工单。".into());
    } else {
        en.push(format!(
            "{} tickets were closed; average handling time: {}.",
            closed.len(),
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
                "Satisfaction was {a:.2} from {} surveys, {:+.2} on {} ({b:.2}).",
                now.len(),
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
                "Satisfaction was {a:.2} from {} surveys (none in {}).",
                now.len(),
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
    format!("{}\n\n{}\n", en.join("\n"), zh.join("\n"))
}
