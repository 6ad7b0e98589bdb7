//! The command layer: parse arguments, load from the store, call the domain,
//! write through the store, print. One file per subcommand.

mod assign;
mod attach;
mod cache;
mod check;
mod close;
mod context;
pub mod customer;
mod demo;
mod edit;
mod generate;
mod git_setup;
mod help;
mod init;
mod kb;
mod keys;
mod list;
mod mail_in;
mod merge_file;
mod new;
mod outbox;
mod reopen;
mod reply;
mod report;
mod run;
mod search;
mod sentiment;
mod show;
mod similar;
mod sla;
mod survey;
mod sync;
mod update;
mod values;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app;
use crate::clock;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{Field, Ticket, TicketId};
use crate::output::message;
use crate::output::Terminal;
use crate::store::{Notices, Store};
use crate::text::visible_lines;

use context::actor_of;
pub use context::Context;

/// Exit codes, as documented in docs/cli.md.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    /// `desk sla --breached --exit-code` found breached tickets.
    pub const BREACHED: u8 = 3;
    /// `desk mail-in` could not file a message for a reason of the store
    /// (EX_TEMPFAIL of sysexits.h: mail systems keep the message and retry).
    pub const TEMPFAIL: u8 = 75;
}

/// The heading of the options every command takes, listed apart.
const GLOBAL: &str = "Global options";

#[derive(Debug, Parser)]
#[command(
    name = "desk",
    version,
    about = "A helpdesk for customer service and feedback that lives in plain files",
    long_about = "desk keeps tickets and customers as YAML files in a git-friendly directory \
                  tree and records the whole service loop: intake, assignment, progress, \
                  resolution, survey, reopen.",
    after_help = "Exit codes: 0 ok, 1 error, 2 usage. See docs/cli.md."
)]
pub struct Cli {
    /// The store's directory (default: the nearest parent with a desk.yaml).
    #[arg(long, global = true, env = "DESK_DIR", value_name = "DIR", help_heading = GLOBAL)]
    pub dir: Option<PathBuf>,

    /// Who is acting (default: git's user.name, else the login name).
    #[arg(long, global = true, env = "DESK_ACTOR", value_name = "NAME", help_heading = GLOBAL)]
    pub actor: Option<String>,

    /// Write CSV cells exactly as stored. By default a text cell starting
    /// with = + - @, tab or carriage return gets a leading apostrophe so a
    /// spreadsheet does not run it as a formula.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub csv_raw: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new store (desk.yaml, tickets/, customers/, .gitignore).
    Init(init::InitArgs),
    /// Generate a realistic demo store (deterministic for a seed).
    Demo(demo::DemoArgs),
    /// Record a new ticket; prints its ID alone.
    New(new::NewArgs),
    /// Assign a ticket to an agent.
    Assign(assign::AssignArgs),
    /// Record progress on a ticket, optionally changing its status.
    Update(update::UpdateArgs),
    /// Answer the ticket's customer by e-mail, threaded to their last mail,
    /// and record it (--internal: a note the customer never sees); prints
    /// the mail's Message-ID.
    Reply(reply::ReplyArgs),
    /// Keep files with a ticket (a photo, an invoice that came another way
    /// than mail); prints where each was saved.
    Attach(attach::AttachArgs),
    /// Close a ticket with its resolution.
    Close(close::CloseArgs),
    /// Reopen a closed ticket.
    Reopen(reopen::ReopenArgs),
    /// Change a ticket's fields (title, type, priority, ...), recording each change.
    Edit(edit::EditArgs),
    /// Show one ticket with its history.
    Show(show::ShowArgs),
    /// List tickets (open work by default, newest first).
    List(list::ListArgs),
    /// Search every ticket's text, Chinese and English, best match first,
    /// with the words in context and the resolution of closed tickets.
    Search(search::SearchArgs),
    /// The closed tickets most like this one, by its title and description,
    /// with how they were resolved: past cases to answer from.
    Similar(similar::SimilarArgs),
    /// Record a satisfaction survey (reopens when unsatisfied), or list the surveys due.
    Survey(survey::SurveyArgs),
    /// Record how the customer's words so far feel (positive, neutral,
    /// negative, suggestion), overruling desk's own reading in reports.
    Sentiment(sentiment::SentimentArgs),
    /// The monthly report: types, handling times, satisfaction trend and more.
    Report(report::ReportArgs),
    /// SLA clocks of open tickets: due times and states, most urgent first.
    Sla(sla::SlaArgs),
    /// Customer records: add, edit, show, list, import, export.
    Customer(customer::CustomerArgs),
    /// Encryption of ID-card and bank-card numbers: set up, status, hand out
    /// the lookup key, add and remove recipients.
    Keys(keys::KeysArgs),
    /// The local cache that makes reading commands fast: stats, rebuild, clear.
    Cache(cache::CacheArgs),
    /// The loop every clone runs: commit desk's changes, pull (the merge
    /// driver settles tickets), check, push, and again if another clone
    /// pushed first.
    Sync(sync::SyncArgs),
    /// The knowledge base: articles drafted from resolved tickets, found
    /// by `desk search` first, and answers started from them (`desk reply
    /// --kb`).
    Kb(kb::KbArgs),
    /// Validate the whole store: files, IDs, history, values, references, git set-up.
    Check(check::CheckArgs),
    /// Fire the time rules that came due (escalations, reminders) and deliver
    /// what rules queued: notifications and hooks (for cron).
    ///
    /// What is sent or run comes from the rules of desk.yaml, never from a
    /// ticket file. A hook runs only if this machine allows its command line
    /// (`git config --add desk.hooks LINE`), with DESK_RULE, DESK_KEY,
    /// DESK_TICKET, DESK_EVENT, PATH, HOME and LANG as its environment, for
    /// at most DESK_HOOK_TIMEOUT seconds (default 60).
    Run(run::RunArgs),
    /// File e-mail: a new message opens a ticket, a reply threads into its
    /// ticket (one message on stdin, files, or a Maildir); prints one line
    /// per message: TICKET, what was done, the message.
    MailIn(mail_in::MailInArgs),
    /// Deliveries queued by rules and not made yet: pending, retrying, failed,
    /// unexplained; with the template or command line each would use.
    Outbox(outbox::OutboxArgs),
    /// Set up git in this clone: merge driver, .gitattributes, node number.
    GitSetup(git_setup::GitSetupArgs),
    /// The merge driver git runs for ticket and customer files (%O %A %B %P).
    MergeFile(merge_file::MergeFileArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Print the manual page desk(1), or write one page per command with --out.
    Man(generate::ManArgs),
}

/// `--as-of REV` of the commands that can read the store as a git commit
/// holds it (`report`, `list`, `show`, `check`).
#[derive(Debug, Clone, clap::Args)]
pub struct AsOf {
    /// Read the store as this git commit holds it: a hash, HEAD~1, a branch
    /// or tag, or BRANCH@{DATE} (git rev-parse). Its desk.yaml is used; the
    /// work tree, git's index and the cache are left alone.
    #[arg(long, value_name = "REV")]
    pub as_of: Option<String>,
}

impl Command {
    /// The commit the command reads the store at, if it was given one.
    fn as_of(&self) -> Option<&str> {
        match self {
            Command::Report(args) => args.as_of.as_of.as_deref(),
            Command::List(args) => args.as_of.as_of.as_deref(),
            Command::Show(args) => args.as_of.as_of.as_deref(),
            Command::Check(args) => args.as_of.as_of.as_deref(),
            _ => None,
        }
    }
}

/// What a store tells while it works (a lock it waits for), said on
/// stderr; how far long work has come, as a bar, when stderr is a terminal
/// (never under cron or in a pipe).
pub fn notices() -> Notices {
    let notices = Notices::new(message::say);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        notices.with_progress(message::progress)
    } else {
        notices
    }
}

/// What the rules did to a ticket, one line each on stderr.
pub fn tell_rules(ticket: &str, outcomes: &[crate::rules::Outcome]) {
    tell_rules_as(ticket, outcomes, "");
}

/// [`tell_rules`] with `lead` before each outcome (`(dry run) ` for what a dry run would do).
pub fn tell_rules_as(ticket: &str, outcomes: &[crate::rules::Outcome], lead: &str) {
    for outcome in outcomes {
        let warning = match outcome {
            crate::rules::Outcome::Skipped { .. } => "warning: ",
            _ => "",
        };
        message::say(&format!(
            "{warning}{ticket}: {lead}{}",
            visible_lines(&outcome.to_string())
        ));
    }
}

/// Text that must not be empty (titles, notes, resolutions); `-` reads stdin.
pub fn required_text(what: &str, value: &str) -> Result<String> {
    let value = if value == "-" {
        read_stdin()?
    } else {
        value.to_string()
    };
    not_empty(what, value)
}

/// The text of the file given to `flag` (`-`: stdin): UTF-8, not empty.
pub fn required_text_file(flag: &str, path: &std::path::Path) -> Result<String> {
    if path.as_os_str() == "-" {
        return not_empty(flag, read_stdin()?);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::invalid(
            flag,
            path.display().to_string(),
            "not UTF-8 text; save the file as UTF-8",
        )
    })?;
    not_empty(flag, text)
}

fn not_empty(what: &str, value: String) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            what,
            value,
            format!("the {what} must not be empty"),
        ));
    }
    Ok(trimmed.to_string())
}

pub fn optional_text(what: &str, value: Option<&str>) -> Result<Option<String>> {
    value.map(|v| required_text(what, v)).transpose()
}

fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| Error::io("<stdin>", e))?;
    Ok(text)
}

pub fn run(cli: Cli, out: &mut dyn Write) -> Result<ExitCode> {
    // These two make a store rather than open one.
    match &cli.command {
        Command::Init(args) => {
            let dir = args.dir.as_deref().filter(|d| d.is_dir());
            let actor = actor_of(cli.actor.as_deref(), dir.unwrap_or(".".as_ref()));
            init::run(args, &actor, out)?;
            return Ok(ExitCode::from(exit::OK));
        }
        Command::Demo(args) => {
            demo::run(args, out)?;
            return Ok(ExitCode::from(exit::OK));
        }
        // Run by git, possibly outside any store.
        Command::MergeFile(args) => {
            let actor = cli.actor.clone().unwrap_or_else(|| "git-merge".into());
            merge_file::run(args, &actor)?;
            return Ok(ExitCode::from(exit::OK));
        }
        // Generated from the definitions alone, anywhere.
        Command::Completions(args) => {
            generate::completions(args, out)?;
            return Ok(ExitCode::from(exit::OK));
        }
        Command::Man(args) => {
            generate::man(args, out)?;
            return Ok(ExitCode::from(exit::OK));
        }
        _ => {}
    }
    let ctx = Context::open(&cli)?;
    // Every command first finishes an import that was killed part-way;
    // `desk check` only reports one, unless asked to fix; a command reading
    // a past commit leaves the work tree alone.
    if !matches!(&cli.command, Command::Check(a) if !a.fix) && cli.command.as_of().is_none() {
        match ctx.store.finish_interrupted_import() {
            Ok(Some(done)) => message::note(&format!("{done}")),
            Ok(None) => {}
            Err(e) => message::warn(&format!("{e}")),
        }
    }
    match &cli.command {
        Command::Init(_)
        | Command::Demo(_)
        | Command::MergeFile(_)
        | Command::Completions(_)
        | Command::Man(_) => {
            unreachable!("handled above")
        }
        Command::New(args) => new::run(&ctx, args, out),
        Command::Assign(args) => assign::run(&ctx, args, out),
        Command::Update(args) => update::run(&ctx, args, out),
        Command::Reply(args) => reply::run(&ctx, args, out),
        Command::Attach(args) => attach::run(&ctx, args, out),
        Command::Sentiment(args) => sentiment::run(&ctx, args, out),
        Command::Close(args) => close::run(&ctx, args, out),
        Command::Reopen(args) => reopen::run(&ctx, args, out),
        Command::Edit(args) => edit::run(&ctx, args, out),
        Command::Show(args) => show::run(&ctx, args, out),
        Command::List(args) => list::run(&ctx, args, out),
        Command::Search(args) => search::run(&ctx, args, out),
        Command::Similar(args) => similar::run(&ctx, args, out),
        Command::Survey(args) => survey::run(&ctx, args, out),
        Command::Report(args) => report::run(&ctx, args, out),
        Command::Customer(args) => customer::run(&ctx, args, out),
        Command::Keys(args) => keys::run(&ctx, args, out),
        Command::Cache(args) => cache::run(&ctx, args, out),
        Command::Sync(args) => sync::run(&ctx, args, out),
        Command::Kb(args) => kb::run(&ctx, args, out),
        Command::GitSetup(args) => git_setup::run(&ctx, args, out),
        Command::Check(args) => check::run(&ctx, args, out),
        Command::Sla(args) => return sla::run(&ctx, args, out).map(ExitCode::from),
        Command::Run(args) => return run::run(&ctx, args, out).map(ExitCode::from),
        Command::MailIn(args) => return mail_in::run(&ctx, args, out).map(ExitCode::from),
        Command::Outbox(args) => outbox::run(&ctx, args, out),
    }?;
    Ok(ExitCode::from(exit::OK))
}

/// The binary's entry point: parse, run, and turn errors into `error:` and
/// `hint:` lines on stderr and an exit code. A closed pipe exits quietly.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = Cli::command();
    // Only help shows value lists, so only help reads the store's desk.yaml.
    if help::wanted(&args) {
        cmd = help::with_value_lists(cmd, help::store_config(&args).as_ref());
    }
    let parsed = cmd
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        // A usage error quotes the command line, which may hold an ID-card,
        // bank-card or phone number or an address: masked (stderr ends up
        // in cron mail).
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            message::say(&crate::model::mask::personal_in(text.trim_end()));
            return ExitCode::from(exit::USAGE);
        }
        // --help and --version.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit::OK);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(cli, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::from(exit::OK),
        Err(e) => {
            let _ = out.flush();
            // Messages quote stored and given values: shown, never obeyed.
            message::error(&e.to_string(), e.hint().as_deref());
            ExitCode::from(exit::ERROR)
        }
    }
}
