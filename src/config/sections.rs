//! The sections of desk.yaml beyond the enumerations: the survey, the
//! report, customers, agents. Each with its defaults.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::choice::{choice, resolve_choice, Choice};
use crate::error::Result;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SurveyConfig {
    /// Scored 1..5 (5 = very satisfied); every one must be scored.
    pub dimensions: Vec<Choice>,
    /// A score at or below this means the customer is unsatisfied: reopen.
    #[serde(default = "default_threshold")]
    pub threshold: u8,
    /// Hours after the close within which the survey is due (seed: 24).
    #[serde(default = "default_window")]
    pub window_hours: u32,
}

fn default_threshold() -> u8 {
    2
}
fn default_window() -> u32 {
    24
}

impl Default for SurveyConfig {
    /// Seed 000's three dimensions.
    fn default() -> Self {
        SurveyConfig {
            dimensions: vec![
                choice(
                    "efficiency",
                    "问题解决效率",
                    &["解决效率", "效率", "resolution-efficiency"],
                ),
                choice("attitude", "服务态度", &["态度", "service-attitude"]),
                choice("solution", "方案合理性", &["方案", "reasonableness"]),
            ],
            threshold: default_threshold(),
            window_hours: default_window(),
        }
    }
}

impl SurveyConfig {
    pub fn resolve(&self, input: &str) -> Result<String> {
        resolve_choice(&self.dimensions, "survey dimension", input)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReportConfig {
    /// The types whose tickets the report's `customers` section counts as
    /// complaints (keys, labels or aliases). Absent: the type that answers
    /// to `complaint` or `投诉`, if the store has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_types: Option<Vec<String>>,
    /// The store's name as the HTML report shows it; absent: the name of
    /// the store's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The language of the HTML report's words, `zh` or `en` (absent: `zh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Who `desk report --mail` (given no address) sends the report to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_to: Option<Vec<String>>,
    /// The `themes` section: `top` themes per type, and when a theme is an
    /// early warning (`rise_min` tickets, `rise_ratio` times the previous
    /// period's count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub themes: Option<ThemesConfig>,
    /// Settings added by later versions or by hand are kept untouched.
    #[serde(flatten)]
    pub extra: BTreeMap<String, crate::yaml::Value>,
}

impl ReportConfig {
    pub(super) fn is_default(&self) -> bool {
        *self == ReportConfig::default()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThemesConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise_min: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise_ratio: Option<f64>,
}

/// What the complaint type of `desk init` answers to (its key and label).
pub(super) const DEFAULT_COMPLAINT: [&str; 2] = ["complaint", "投诉"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomerConfig {
    /// Customer IDs are this prefix and `id_digits` digits, zero-padded (C000001).
    #[serde(default = "default_customer_prefix")]
    pub id_prefix: String,
    #[serde(default = "default_customer_digits")]
    pub id_digits: usize,
    /// Where customers come from (信息来源).
    #[serde(default = "default_sources")]
    pub sources: Vec<Choice>,
    /// No ticket activity and no contact for this long makes a customer
    /// dormant (待激活): `6mo`, `180d`, `26w`, `1y`.
    #[serde(default = "default_dormant_after")]
    pub dormant_after: String,
}

fn default_customer_prefix() -> String {
    "C".into()
}
fn default_customer_digits() -> usize {
    6
}
fn default_dormant_after() -> String {
    "6mo".into()
}
pub(super) fn default_sources() -> Vec<Choice> {
    vec![
        choice("phone", "电话咨询", &["电话", "call", "hotline"]),
        choice("website", "官网注册", &["官网", "web", "signup"]),
        choice("referral", "渠道推荐", &["推荐", "channel", "partner"]),
        choice("import", "导入", &["批量导入"]),
        choice("visit", "到访", &["上门", "来访"]),
        choice("social", "社交媒体", &["微信", "微博", "wechat", "weibo"]),
        choice("other", "其他", &[]),
    ]
}

impl Default for CustomerConfig {
    fn default() -> Self {
        CustomerConfig {
            id_prefix: default_customer_prefix(),
            id_digits: default_customer_digits(),
            sources: default_sources(),
            dormant_after: default_dormant_after(),
        }
    }
}

impl CustomerConfig {
    /// True when `id` has the configured shape (C000001): the prefix and at
    /// least `id_digits` digits (more once the numbers outgrow them).
    /// A customer ID as desk writes it: the prefix and the number with
    /// exactly the padding `format_id` gives (so C0000001 is not a second
    /// C000001), within a u64.
    pub fn is_id(&self, id: &str) -> bool {
        id.strip_prefix(&self.id_prefix).is_some_and(|digits| {
            digits.len() >= self.id_digits
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u64>().is_ok_and(|n| self.format_id(n) == id)
        })
    }

    /// The number of a customer ID (`C000107` → 107), if it is one.
    pub fn number_of(&self, id: &str) -> Option<u64> {
        self.is_id(id)
            .then(|| id[self.id_prefix.len()..].parse().ok())
            .flatten()
    }

    pub fn format_id(&self, serial: u64) -> String {
        format!(
            "{}{:0width$}",
            self.id_prefix,
            serial,
            width = self.id_digits
        )
    }

    pub fn resolve_source(&self, input: &str) -> Result<String> {
        resolve_choice(&self.sources, "source", input)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    /// A key of `roles:`.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The node number (1-99) of this agent's clone: new IDs created there
    /// end in it (see docs/git.md). Default: the agent's place in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// `false` once the agent has left: kept for the history (their tickets,
    /// reports, node number), refused for new work.
    #[serde(default = "active", skip_serializing_if = "is_active")]
    pub active: bool,
    /// Away (on leave, gone): rules route no new tickets to this agent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub away: bool,
}

fn active() -> bool {
    true
}

fn is_active(active: &bool) -> bool {
    *active
}

/// The language of the HTML report's words (`report.lang`, `--lang`);
/// its numbers and keys are the CSV's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];
    pub const NAMES: &'static str = "zh (中文) or en (English)";

    /// The name `--lang` and `report.lang` take.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Lang::Zh => "Chinese (中文)",
            Lang::En => "English",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" | "中文" => Some(Lang::Zh),
            "en" | "en-us" | "en_us" | "english" | "英文" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Settings of search (`search:` in desk.yaml); absent from a new store's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchConfig {
    /// How many similar closed tickets `desk new`, `desk mail-in` and `desk
    /// show` name (0: none); absent: [`SearchConfig::SIMILAR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar: Option<usize>,
    /// Settings added by later versions or by hand are kept untouched.
    #[serde(flatten)]
    pub extra: BTreeMap<String, crate::yaml::Value>,
}

impl SearchConfig {
    /// How many similar cases are named when desk.yaml does not say.
    pub const SIMILAR: usize = 3;
    /// The most `search.similar` may ask.
    pub const MOST_SIMILAR: usize = 20;

    pub(super) fn is_default(&self) -> bool {
        *self == SearchConfig::default()
    }

    /// How many similar cases to name.
    pub fn similar(&self) -> usize {
        self.similar.unwrap_or(Self::SIMILAR)
    }
}
