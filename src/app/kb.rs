//! `desk kb`: the knowledge base of curated articles (`kb/KB0001.md`),
//! drafted from resolved tickets, listed, shown and edited; and the text
//! `desk reply --kb` starts an answer from. docs/search.md.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::model::in_clear::{refuse, Kept};
use crate::model::kb::{self, Article};
use crate::model::TicketId;
use crate::store::Store;

/// Drafts an article from resolved ticket `id` (problem, cause, solution,
/// compensation) and writes it as the next article; the team edits it
/// from there.
pub fn add_from(store: &Store, id: &TicketId, today: NaiveDate) -> Result<Article> {
    let ticket = store.load_ticket(id)?;
    if let Some(why) = kb::not_resolved(&ticket) {
        return Err(Error::Refused(why));
    }
    let draft = kb::draft("KB0000", &ticket, today);
    judge(&draft)?;
    store.create_article(|id| Article {
        id: id.to_string(),
        ..draft
    })
}

/// What `desk kb edit` changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Keys of desk.yaml's types.
    pub types: Option<Vec<String>>,
    pub sources: Option<Vec<String>>,
    pub body: Option<String>,
}

/// Edits article `id`; `updated` becomes `today`.
pub fn edit(store: &Store, id: &str, changes: Changes, today: NaiveDate) -> Result<Article> {
    if let Some(title) = &changes.title {
        if title.trim().is_empty() || !crate::model::is_one_line(title) {
            return Err(Error::invalid(
                "--title",
                crate::text::visible(title).into_owned(),
                "a title on one line",
            ));
        }
    }
    for tag in changes.tags.iter().flatten() {
        if tag.trim().is_empty() || !crate::model::is_one_line(tag) {
            return Err(Error::invalid(
                "--tag",
                crate::text::visible(tag).into_owned(),
                "a tag on one line",
            ));
        }
    }
    for source in changes.sources.iter().flatten() {
        if TicketId::parse(source).is_none() {
            return Err(Error::invalid(
                "--source",
                crate::text::visible(source).into_owned(),
                "a ticket ID such as CW202611230001",
            ));
        }
    }
    store.modify_article(id, |a| {
        let Changes {
            title,
            tags,
            types,
            sources,
            body,
        } = changes;
        if let Some(t) = title {
            a.front.title = t.trim().to_string();
        }
        if let Some(t) = tags {
            a.front.tags = t;
        }
        if let Some(t) = types {
            a.front.types = t;
        }
        if let Some(s) = sources {
            a.front.sources = s;
        }
        if let Some(b) = body {
            a.body = b;
        }
        a.front.updated = today;
        judge(a)
    })
}

/// An article is committed and read for other customers: no card number
/// and no secret key in it.
fn judge(article: &Article) -> Result<()> {
    refuse("title", &article.front.title, Kept::Ticket)?;
    refuse("article", &article.body, Kept::Ticket)
}

/// The answer `desk reply --kb` sends: `opening` (a greeting, a line for
/// this customer), a blank line, and the article's solution.
pub fn reply_text(store: &Store, id: &str, opening: Option<&str>) -> Result<String> {
    let article = store.load_article(id)?;
    let solution = kb::solution(&article);
    Ok(match opening.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => format!("{o}\n\n{solution}"),
        None => solution,
    })
}
