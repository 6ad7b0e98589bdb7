//! The defaults of `desk init`, taken from the seeds, and of keys a
//! desk.yaml leaves out.

use std::collections::BTreeMap;

use super::choice::{choice, Choice};
use super::sections::{Agent, ReportConfig};
use super::{Config, FORMAT_VERSION};

pub(super) fn default_prefix() -> String {
    "CW".into()
}
pub(super) fn default_timezone() -> String {
    "Asia/Shanghai".into()
}

/// The roles of the seeds, and quality control, which teams add most.
pub(super) fn default_roles() -> Vec<Choice> {
    vec![
        choice("service", "客服", &["agent", "客服人员"]),
        choice("engineer", "工程师", &["售后工程师"]),
        choice("sales", "销售", &["销售代表"]),
        choice("supervisor", "主管", &["客服主管"]),
        choice("qa", "质检", &["quality", "质检员"]),
    ]
}

fn agent(id: &str, name: &str, role: &str) -> Agent {
    Agent {
        id: id.into(),
        name: name.into(),
        role: role.into(),
        email: Some(format!("{id}@example.com")),
        node: None,
        active: true,
        away: false,
    }
}

impl Config {
    /// The defaults of `desk init`, taken from the seeds.
    pub fn seed_defaults() -> Self {
        Config {
            format: FORMAT_VERSION,
            id_prefix: default_prefix(),
            timezone: default_timezone(),
            types: vec![
                choice("consultation", "咨询", &["consult", "question", "inquiry"]),
                choice("complaint", "投诉", &[]),
                choice("suggestion", "建议", &[]),
                choice("requirement", "需求", &["request"]),
                choice("service", "服务", &[]),
                choice("cooperation", "合作", &[]),
            ],
            priorities: vec![
                choice("urgent", "紧急", &["p1"]),
                choice("important", "重要", &["high", "p2"]),
                choice("normal", "一般", &["routine", "常规", "p3"]),
            ],
            channels: vec![
                choice("phone", "电话", &["call", "热线"]),
                choice("email", "邮件", &["e-mail", "mail", "邮箱"]),
                choice("chat", "在线客服", &["online", "在线", "im"]),
                choice("portal", "自助服务平台", &["self-service", "web", "自助"]),
                choice("visit", "上门", &["onsite", "来访", "走访"]),
                choice("social", "社交媒体", &["weibo", "wechat", "微信", "微博"]),
            ],
            statuses: vec![
                choice("open", "待受理", &["new"]),
                choice(
                    "in_progress",
                    "处理中",
                    &["in-progress", "progress", "working"],
                ),
                choice("pending", "待客户回复", &["waiting", "挂起", "等待客户"]),
                choice("closed", "已关闭", &["done", "resolved", "已完成"]),
            ],
            // Example team, one agent per role of the seeds; edit to match yours.
            roles: default_roles(),
            agents: vec![
                agent("li.na", "李娜", "service"),
                agent("wang.qiang", "王强", "engineer"),
                agent("zhao.min", "赵敏", "sales"),
                agent("chen.jing", "陈静", "supervisor"),
            ],
            calendar: Default::default(),
            sla: Default::default(),
            survey: Default::default(),
            customers: Default::default(),
            encryption: None,
            report: ReportConfig::default(),
            search: super::SearchConfig::default(),
            rules: Some(
                crate::yaml::from_str(super::DEFAULT_RULES).expect("the default rules parse"),
            ),
            mail: None,
            extra: BTreeMap::new(),
        }
    }
}
