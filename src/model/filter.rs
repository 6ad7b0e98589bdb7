//! Which tickets a listing shows. The values are keys already resolved from
//! what the user typed (labels and aliases are the command's business);
//! the filter only compares them with a ticket's summary. Pure.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{Status, Summary};

/// Whose tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// Assigned to this agent.
    Agent(String),
    /// Assigned to nobody yet.
    Nobody,
}

/// Every condition that is set must hold; an empty one holds for any ticket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub assignee: Option<Assignee>,
    /// A customer ID, in any case.
    pub customer: Option<String>,
    /// The category, Latin letters in any case (categories are free-form).
    pub category: Option<String>,
    /// Every one of these tags, Latin letters in any case.
    pub tags: Vec<String>,
    /// Created on or after this day, in the store's time zone.
    pub since: Option<NaiveDate>,
    /// Created on or before this day.
    pub until: Option<NaiveDate>,
}

impl TicketFilter {
    pub fn matches(&self, t: &Summary, tz: Tz) -> bool {
        let day = t.created.0.with_timezone(&tz).date_naive();
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && self.priority.as_ref().is_none_or(|p| t.priority == *p)
            && self.kind.as_ref().is_none_or(|k| t.kind == *k)
            && self.channel.as_ref().is_none_or(|c| t.channel == *c)
            && self.assignee.as_ref().is_none_or(|a| match a {
                Assignee::Agent(a) => t.assignee.as_deref() == Some(a.as_str()),
                Assignee::Nobody => t.assignee.is_none(),
            })
            && self
                .customer
                .as_ref()
                .is_none_or(|c| t.customer.eq_ignore_ascii_case(c))
            && self.category.as_ref().is_none_or(|c| {
                t.category
                    .as_ref()
                    .is_some_and(|tc| tc.eq_ignore_ascii_case(c))
            })
            && self.tags.iter().all(|tag| {
                t.tags
                    .iter()
                    .any(|tt| super::ticket_input::same_tag(tt, tag))
            })
            && self.since.is_none_or(|s| day >= s)
            && self.until.is_none_or(|u| day <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::model::{NewTicket, Ticket};

    fn summary(
        channel: &str,
        assignee: Option<&str>,
        category: Option<&str>,
        tags: &[&str],
    ) -> Summary {
        let at = Timestamp::parse("2026-11-23T23:30:00+08:00").unwrap();
        let new = NewTicket {
            title: "t".into(),
            category: category.map(String::from),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            channel: channel.into(),
            description: "d".into(),
            assignee: assignee.map(String::from),
            ..NewTicket::sample()
        };
        Summary::of(&Ticket::create("CW2026112300001".into(), new, at, "li.na"))
    }

    #[test]
    fn each_condition_narrows_and_empty_ones_hold() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let t = summary("social", None, Some("物流"), &["VIP", "退货"]);
        let assigned = summary("phone", Some("li.na"), None, &[]);
        let any = TicketFilter::default();
        assert!(any.matches(&t, tz) && any.matches(&assigned, tz));
        let f = |edit: fn(&mut TicketFilter)| {
            let mut f = TicketFilter::default();
            edit(&mut f);
            (f.matches(&t, tz), f.matches(&assigned, tz))
        };
        assert_eq!(f(|f| f.assignee = Some(Assignee::Nobody)), (true, false));
        assert_eq!(
            f(|f| f.assignee = Some(Assignee::Agent("li.na".into()))),
            (false, true)
        );
        assert_eq!(f(|f| f.channel = Some("social".into())), (true, false));
        assert_eq!(f(|f| f.category = Some("物流".into())), (true, false));
        assert_eq!(f(|f| f.tags = vec!["vip".into()]), (true, false));
        assert_eq!(
            f(|f| f.tags = vec!["vip".into(), "投诉".into()]),
            (false, false)
        );
        // Days are the store's: 23:30 in Shanghai is the 23rd.
        assert_eq!(
            f(|f| f.until = NaiveDate::from_ymd_opt(2026, 11, 23)),
            (true, true)
        );
        assert_eq!(
            f(|f| f.since = NaiveDate::from_ymd_opt(2026, 11, 24)),
            (false, false)
        );
    }
}
