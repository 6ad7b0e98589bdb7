use std::io::Write;
use std::path::PathBuf;

use super::{required_text_file, Context};
use crate::app::kb::Changes;
use crate::error::{Error, Result};
use crate::model::Field;
use crate::output::{text, Format, Records};

#[derive(Debug, clap::Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KbCommand {
    /// Draft an article from a resolved ticket (problem, cause, solution,
    /// compensation) as kb/KB….md; prints its ID.
    Add {
        /// The resolved ticket to draw from.
        #[arg(long, value_name = "ID")]
        from: String,
    },
    /// List the articles.
    List {
        /// Output format (default: table on a terminal, csv otherwise).
        #[arg(long, value_parser = super::values::any_format())]
        format: Option<Format>,
    },
    /// Print an article as its file holds it.
    Show {
        /// The article (KB0001; `desk kb list` lists them).
        id: String,
    },
    /// Change an article's title, tags, types, sources or text; `updated`
    /// becomes today.
    Edit {
        /// The article (KB0001; `desk kb list` lists them).
        id: String,
        /// The new title, on one line.
        #[arg(long)]
        title: Option<String>,
        /// The tags, all of them (repeatable; replaces the list).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The ticket types it answers (repeatable; replaces the list).
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
        /// The tickets it was drawn from (repeatable; replaces the list).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// The Markdown below the front matter, from this file (`-`: stdin).
        #[arg(long, value_name = "FILE")]
        body: Option<PathBuf>,
    },
}

pub fn run(ctx: &Context, args: &KbArgs, out: &mut dyn Write) -> Result<()> {
    let today = ctx.now.0.with_timezone(&ctx.store.settings.tz).date_naive();
    match &args.command {
        KbCommand::Add { from } => {
            let id = ctx.ticket_id(from)?;
            let article = crate::app::kb::add_from(&ctx.store, &id, today)?;
            writeln!(out, "{}", article.id)?;
            crate::output::message::say(&format!(
                "{}: drafted from {id} in {}/{}.md; fill in the cause and check the text \
                 (`desk kb edit`, or your editor)",
                article.id,
                crate::store::KB_DIR,
                article.id
            ));
        }
        KbCommand::List { format } => {
            let (articles, errors) = ctx.store.articles()?;
            let mut records = Records::new(&["id", "updated", "types", "tags", "title"])
                .cut(&["title"])
                .spare(&["tags", "types"]);
            for a in &articles {
                records.push(vec![
                    text(&a.id),
                    text(a.front.updated.to_string()),
                    text(a.front.types.join(",")),
                    text(a.front.tags.join(",")),
                    text(&a.front.title),
                ]);
            }
            records.write(out, ctx.term.format_or_default(*format), ctx.term)?;
            Error::all(errors)?;
        }
        KbCommand::Show { id } => {
            let article = ctx.store.load_article(id)?;
            write!(out, "{}", crate::model::kb::render(&article))?;
        }
        KbCommand::Edit {
            id,
            title,
            tags,
            types,
            sources,
            body,
        } => {
            let body = body
                .as_deref()
                .map(|p| required_text_file("--body", p))
                .transpose()?;
            let types = types
                .iter()
                .map(|t| ctx.resolve(Field::Type, t))
                .collect::<Result<Vec<_>>>()?;
            let changes = Changes {
                title: title.clone(),
                tags: (!tags.is_empty()).then(|| tags.clone()),
                types: (!types.is_empty()).then_some(types),
                sources: (!sources.is_empty()).then(|| sources.clone()),
                body,
            };
            let article = crate::app::kb::edit(&ctx.store, id, changes, today)?;
            crate::output::message::say(&format!("{}: updated", article.id));
        }
    }
    Ok(())
}
