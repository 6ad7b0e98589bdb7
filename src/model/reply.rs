//! Answering a customer by e-mail: who the answer goes to and how it
//! threads, from the ticket and the customer alone. Pure; `app::reply`
//! sends and records it.

use super::{Customer, Payload, Ticket};

/// The address an answer to `ticket`'s customer goes to: the address of the
/// customer's latest mail on this ticket when it is one on file (an
/// enterprise's contact who wrote), else the customer's own e-mail, else
/// the first contact's. `None`: the customer has no e-mail on file.
///
/// Only addresses on file: a mail threaded in by its headers may come from
/// anyone, and an answer must not go to a stranger.
pub fn customer_address(customer: &Customer, ticket: &Ticket) -> Option<String> {
    let on_file: Vec<&str> = customer.emails().filter(|e| !e.trim().is_empty()).collect();
    let last_sender = ticket.history.iter().rev().find_map(|e| match &e.payload {
        Payload::Received(r) => Some(r.from.as_str()),
        _ => None,
    });
    last_sender
        .and_then(|from| {
            on_file
                .iter()
                .find(|a| a.eq_ignore_ascii_case(from))
                .copied()
        })
        .or_else(|| on_file.first().copied())
        .map(str::to_string)
}

/// Whether `address` is the customer's e-mail or one of its contacts'.
pub fn is_on_file(customer: &Customer, address: &str) -> bool {
    customer
        .emails()
        .any(|e| e.trim().eq_ignore_ascii_case(address))
}

/// How an answer threads: the customer's latest mail on the ticket (from an
/// address on file: a stranger threaded in by headers chooses neither the
/// subject nor the thread of desk's answer) is the one it answers
/// (`In-Reply-To`), after that mail's own thread (`References`, at most
/// [`MAX_REFERENCES`] of the latest). `None` when the customer never wrote
/// on this ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub in_reply_to: String,
    pub references: Vec<String>,
    /// The customer's subject, for `Re:`.
    pub subject: Option<String>,
}

/// A long thread keeps only its latest Message-IDs: enough for any client
/// to thread, and a header of bounded length.
pub const MAX_REFERENCES: usize = 20;

pub fn thread(ticket: &Ticket, customer: &Customer) -> Option<Thread> {
    ticket.history.iter().rev().find_map(|e| match &e.payload {
        Payload::Received(r) if is_on_file(customer, &r.from) => {
            let mut references: Vec<String> = r
                .references
                .iter()
                .chain(r.in_reply_to.iter().filter(|id| !r.references.contains(id)))
                .cloned()
                .collect();
            references.push(r.message_id.clone());
            let skip = references.len().saturating_sub(MAX_REFERENCES);
            Some(Thread {
                in_reply_to: r.message_id.clone(),
                references: references.split_off(skip),
                subject: r.subject.clone(),
            })
        }
        _ => None,
    })
}

/// The subject of an answer: `Re: ` and the customer's subject when the
/// customer wrote, else the ticket's title; the ticket ID in brackets
/// always, so that an answer from a client that drops the threading
/// headers (QQ Mail) still finds its ticket.
pub fn subject(ticket: &Ticket, thread: Option<&Thread>) -> String {
    let tag = format!("[{}]", ticket.id);
    let base = match thread.and_then(|t| t.subject.as_deref()) {
        Some(s) => strip_reply_prefixes(s),
        None => ticket.title.trim(),
    };
    let base = if base.contains(&tag) {
        base.to_string()
    } else {
        format!("{tag} {base}")
    };
    match thread {
        Some(_) => format!("Re: {base}"),
        None => base,
    }
}

/// `Re: RE: 回复: Fwd…` taken off the front.
fn strip_reply_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let cut = [
            "re:",
            "re：",
            "回复:",
            "回复：",
            "答复:",
            "答复：",
            "aw:",
            "sv:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| p.len());
        match cut {
            // The prefixes are ASCII or whole CJK characters, so the length
            // of the lowercase form is a boundary of the original.
            Some(n) if s.is_char_boundary(n) => s = s[n..].trim_start(),
            _ => return s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::model::{Event, NewTicket, Received};

    fn ticket_with(mails: &[(&str, &str, &[&str])]) -> Ticket {
        let at = Timestamp::parse("2026-12-01T09:00:00+08:00").unwrap();
        let mut t = Ticket::create("CW202612010001".into(), NewTicket::sample(), at, "li.na");
        for (from, id, refs) in mails {
            t.history.push(Event::new(
                at,
                "mail",
                Received {
                    from: from.to_string(),
                    subject: Some("Re: 回复：订单未到货".into()),
                    message_id: id.to_string(),
                    references: refs.iter().map(|r| r.to_string()).collect(),
                    ..Received::default()
                },
            ));
        }
        t
    }

    fn enterprise() -> Customer {
        let yaml = "id: C000002\nkind: enterprise\nname: 华东物流\nemail: office@hd.example\n\
                    contacts:\n- name: 王五\n  email: Wang.Wu@hd.example\n- name: 赵六\n\
                    created: 2026-10-01T09:00:00+08:00\ncreated_by: li.na\n";
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn an_answer_goes_to_the_contact_who_wrote_when_on_file() {
        let c = enterprise();
        let t = ticket_with(&[("wang.wu@hd.example", "a@x", &[])]);
        assert_eq!(
            customer_address(&c, &t).as_deref(),
            Some("Wang.Wu@hd.example")
        );
        // A stranger threaded in by headers gets nothing: the customer's own.
        let t = ticket_with(&[("stranger@evil.example", "a@x", &[])]);
        assert_eq!(
            customer_address(&c, &t).as_deref(),
            Some("office@hd.example")
        );
        let t = ticket_with(&[]);
        assert_eq!(
            customer_address(&c, &t).as_deref(),
            Some("office@hd.example")
        );
    }

    #[test]
    fn the_thread_and_subject_follow_the_latest_mail() {
        let c = enterprise();
        let t = ticket_with(&[
            ("office@hd.example", "first@x", &[]),
            ("office@hd.example", "second@x", &["x@desk", "first@x"]),
            // A stranger threaded in by headers: not what desk answers.
            ("stranger@evil.example", "forged@x", &[]),
        ]);
        let th = thread(&t, &c).unwrap();
        assert_eq!(th.in_reply_to, "second@x");
        assert_eq!(th.references, ["x@desk", "first@x", "second@x"]);
        assert_eq!(subject(&t, Some(&th)), "Re: [CW202612010001] 订单未到货");
        let plain = ticket_with(&[]);
        assert_eq!(thread(&plain, &c), None);
        assert_eq!(subject(&plain, None), "[CW202612010001] 无法开机");
    }

    #[test]
    fn references_are_bounded() {
        let refs: Vec<String> = (0..100).map(|i| format!("{i}@x")).collect();
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let t = ticket_with(&[("office@hd.example", "last@x", &refs)]);
        let th = thread(&t, &enterprise()).unwrap();
        assert_eq!(th.references.len(), MAX_REFERENCES);
        assert_eq!(th.references.last().map(String::as_str), Some("last@x"));
    }
}
