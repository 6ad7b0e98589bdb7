//! Knowledge-base articles (`kb/KB0001.md`): a typical case and its
//! solution, curated by the team and reused for other customers. A small
//! YAML front matter (title, tags, types, source tickets, updated) between
//! `---` lines, then Markdown. Pure: reading and writing the text, and
//! drafting an article from a resolved ticket. docs/search.md.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::yaml::Value;

use super::{Payload, Status, Ticket};

/// What is written above an article's Markdown, in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Front {
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The ticket types it answers (keys of desk.yaml's `types`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// The tickets it was drawn from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    pub updated: NaiveDate,
    /// Fields added by hand or by a newer desk, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// `KB` and four or more digits: the file's name without `.md`.
    pub id: String,
    pub front: Front,
    /// The Markdown below the front matter.
    pub body: String,
}

/// Whether `text` is an article ID: `KB` and 4 to 9 digits.
pub fn is_article_id(text: &str) -> bool {
    text.strip_prefix("KB")
        .is_some_and(|d| (4..=9).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The article ID of number `n`.
pub fn article_id(n: u32) -> String {
    format!("KB{n:04}")
}

/// The front matter's YAML and the Markdown of an article's text, and the
/// 1-based line the YAML starts on; none when the text does not open with
/// a `---` line closed by another.
pub fn split(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let body = &rest[at + line.len()..];
            return Some((&rest[..at], body.strip_prefix('\n').unwrap_or(body), 2));
        }
        at += line.len();
    }
    None
}

/// The file's text: the front matter, a blank line, the Markdown ending
/// in one line break.
pub fn render(article: &Article) -> String {
    let yaml = crate::yaml::to_string(&article.front).expect("front matter serialises");
    format!(
        "---\n{yaml}---\n\n{}\n",
        article.body.trim_end_matches(['\n', '\r', ' '])
    )
}

/// Section headings of a drafted article, Chinese and English.
pub const PROBLEM: &str = "## 问题 Problem";
pub const CAUSE: &str = "## 原因 Cause";
pub const SOLUTION: &str = "## 解决方案 Solution";
pub const COMPENSATION: &str = "## 补偿 Compensation";
/// What a drafted article says where the ticket records nothing.
pub const TO_WRITE: &str = "（待补充 / to be written）";

/// A draft of article `id` from a resolved ticket: its problem (the
/// description, or the title), its solution (the resolution) and
/// compensation as the close recorded them, the notes as material for the
/// cause. Personal numbers, phones and addresses are masked, and the
/// customer is not named: an article is read for other customers.
pub fn draft(id: &str, ticket: &Ticket, today: NaiveDate) -> Article {
    let clean = |t: &str| super::mask::personal_in(t.trim()).to_string();
    let problem = if ticket.description.trim().is_empty() {
        clean(&ticket.title)
    } else {
        clean(&ticket.description)
    };
    let notes: Vec<String> = ticket
        .history
        .iter()
        .filter(|e| matches!(e.payload, Payload::Updated(_)) && e.rule().is_none())
        .filter_map(|e| e.payload.note())
        .map(|n| format!("- {}", clean(n).replace('\n', " ")))
        .collect();
    let cause = if notes.is_empty() {
        TO_WRITE.to_string()
    } else {
        format!("{TO_WRITE}\n\n处理记录 / notes:\n\n{}", notes.join("\n"))
    };
    let compensation = ticket
        .history
        .iter()
        .rev()
        .find_map(|e| match &e.payload {
            Payload::Closed(c) => c.compensation.as_deref().map(clean),
            _ => None,
        })
        .unwrap_or_else(|| "无 / none".to_string());
    let solution = ticket
        .resolution
        .as_deref()
        .map(clean)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| TO_WRITE.to_string());
    Article {
        id: id.to_string(),
        front: Front {
            title: clean(&ticket.title),
            tags: ticket.tags.clone(),
            types: vec![ticket.kind.clone()],
            sources: vec![ticket.id.clone()],
            updated: today,
            extra: BTreeMap::new(),
        },
        body: format!(
            "{PROBLEM}\n\n{problem}\n\n{CAUSE}\n\n{cause}\n\n{SOLUTION}\n\n{solution}\n\n\
             {COMPENSATION}\n\n{compensation}\n"
        ),
    }
}

/// Why a ticket cannot be drafted from: it is not closed with a resolution.
pub fn not_resolved(ticket: &Ticket) -> Option<String> {
    if ticket.status != Status::Closed {
        return Some(format!(
            "{} is {}, not closed: an article is drawn from a resolved ticket",
            ticket.id, ticket.status
        ));
    }
    ticket
        .resolution
        .as_deref()
        .is_none_or(|r| r.trim().is_empty())
        .then(|| format!("{} has no resolution to draw an article from", ticket.id))
}

/// The article's solution: the text under its first heading that names a
/// solution (`解决方案`, `Solution`, `处理方法`, `答复`), up to the next heading
/// of the same or a higher level; the whole Markdown when it has none.
pub fn solution(article: &Article) -> String {
    let lines: Vec<&str> = article.body.lines().collect();
    let heading = |l: &str| {
        let level = l.chars().take_while(|&c| c == '#').count();
        (level > 0 && l[level..].starts_with(' ')).then_some(level)
    };
    let names_solution = |l: &str| {
        let l = l.to_lowercase();
        ["解决方案", "solution", "处理方法", "答复"]
            .iter()
            .any(|w| l.contains(w))
    };
    let found = lines
        .iter()
        .position(|l| heading(l).is_some() && names_solution(l));
    let text = match found {
        Some(start) => {
            let level = heading(lines[start]).expect("a heading");
            let end = lines[start + 1..]
                .iter()
                .position(|l| heading(l).is_some_and(|n| n <= level))
                .map_or(lines.len(), |n| start + 1 + n);
            lines[start + 1..end].join("\n")
        }
        None => article.body.clone(),
    };
    text.trim().to_string()
}

/// The searchable text of an article: its title, then its Markdown.
pub fn texts(article: &Article) -> [(&'static str, &str); 2] {
    [
        ("title", article.front.title.as_str()),
        ("article", article.body.as_str()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(body: &str) -> Article {
        Article {
            id: "KB0001".into(),
            front: Front {
                title: "开机黑屏".into(),
                tags: vec!["屏幕".into()],
                types: vec!["complaint".into()],
                sources: vec!["CW202611020001".into()],
                updated: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                extra: BTreeMap::new(),
            },
            body: body.into(),
        }
    }

    #[test]
    fn an_article_round_trips_through_its_text() {
        let a = article("## 问题 Problem\n\n黑屏\n\n## 解决方案 Solution\n\n长按电源键十秒。\n");
        let text = render(&a);
        assert!(
            text.starts_with("---\ntitle: 开机黑屏\ntags:\n- 屏幕\n"),
            "{text}"
        );
        let (yaml, body, line) = split(&text).unwrap();
        assert_eq!(line, 2);
        let front: Front = crate::yaml::from_str(yaml).unwrap();
        assert_eq!(front, a.front);
        assert_eq!(body.trim_end(), a.body.trim_end());
        // CRLF (a file saved on Windows) and a byte-order mark read too.
        let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        assert!(split(&windows).is_some());
        // No front matter, or one never closed: not an article.
        assert!(split("# 标题\n").is_none());
        assert!(split("---\ntitle: x\n").is_none());
    }

    #[test]
    fn the_solution_is_its_section_or_the_whole_text() {
        let a = article(
            "## 问题 Problem\n\n黑屏\n\n## 解决方案 Solution\n\n长按电源键十秒。\n\n### 注意\n\n先充电。\n\n## 补偿 Compensation\n\n无\n",
        );
        assert_eq!(solution(&a), "长按电源键十秒。\n\n### 注意\n\n先充电。");
        assert_eq!(solution(&article("只有一段话。\n")), "只有一段话。");
    }

    #[test]
    fn ids_are_kb_and_digits() {
        assert!(is_article_id("KB0001") && is_article_id("KB12345"));
        for bad in ["KB001", "kb0001", "KB00a1", "../KB0001", "KB0001.md", ""] {
            assert!(!is_article_id(bad), "{bad}");
        }
        assert_eq!(article_id(7), "KB0007");
    }
}
