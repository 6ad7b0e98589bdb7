use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use crate::config::Field;
use crate::error::{Error, Result};
use crate::model::{Customer, Ticket, TicketId};
use crate::store::{
    parse_customer, parse_ticket, read_file, sealed_findings, Finding, Identities, ATTRIBUTES,
};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Record hand edits of ticket fields as `edited` events by the actor,
    /// remove temporary files left by interrupted writes, and finish an
    /// interrupted customer import (instead of only reporting them). Other
    /// problems need a person.
    #[arg(long)]
    pub fix: bool,
}

/// Validates the whole store. Prints one `path[:line]: problem` line per
/// problem on stdout and nothing when all is well; exit 0 clean, 1 otherwise.
pub fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<()> {
    let store = &ctx.store;
    let mut problems = Vec::new();
    let mut fixed = 0;

    problems.extend(store.import_findings()?);
    problems.extend(store.rule_findings());
    let (temps, removed) = store.temp_findings(args.fix)?;
    problems.extend(temps);
    if removed > 0 {
        eprintln!("removed {removed} temporary file(s) left by interrupted writes");
    }
    let customers = check_customers(ctx, &mut problems)?;
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    let files = store.ticket_files()?;
    // Read and parse in batches on all cores; check each ticket in order.
    let batches = files.chunks(2048).flat_map(|batch| {
        crate::parallel::map(batch, |path| {
            let shown = store.display_path(path).to_path_buf();
            let mut found = Vec::new();
            let ticket = read_checked(path, &shown, &mut found, parse_ticket);
            (shown, ticket, found)
        })
    });
    for (shown, ticket, found) in batches {
        problems.extend(found);
        let Some(ticket) = ticket else {
            continue;
        };
        if let Some(first) = ids.insert(ticket.id.to_ascii_uppercase(), shown.clone()) {
            problems.push(Finding::new(
                &shown,
                None,
                format!("duplicate ID {}: also in {}", ticket.id, first.display()),
            ));
        }
        match TicketId::parse(&ticket.id) {
            None => problems.push(Finding::new(
                &shown,
                None,
                format!("'{}' is not a ticket ID", ticket.id),
            )),
            Some(id) => {
                let expected = Path::new(&id.relative_path()).to_path_buf();
                if shown != expected {
                    problems.push(Finding::new(
                        &shown,
                        None,
                        format!(
                            "ticket {} belongs at {} (its ID's creation month)",
                            ticket.id,
                            expected.display()
                        ),
                    ));
                }
            }
        }
        // Folding the history also tells which fields were edited by hand.
        let drift = match ticket.drift() {
            Ok(drift) => drift,
            Err(e) => {
                problems.push(Finding::new(&shown, None, format!("history: {e}")));
                continue;
            }
        };
        if let Some(w) = ticket.history.windows(2).position(|w| w[1].at < w[0].at) {
            problems.push(Finding::new(
                &shown,
                None,
                format!(
                    "history: event {} ({}) is earlier than the one before it",
                    w + 2,
                    ticket.history[w + 1].at
                ),
            ));
        }
        let is_dimension = |d: &str| {
            ctx.store
                .config
                .survey
                .dimensions
                .iter()
                .any(|c| c.key == d)
        };
        for p in crate::model::history_problems(&ticket.history, &is_dimension) {
            problems.push(Finding::new(&shown, None, p));
        }
        check_values(ctx, &ticket, &customers, &shown, &mut problems);
        if drift.is_empty() {
            continue;
        }
        if args.fix {
            let id = TicketId::parse(&ticket.id).expect("checked above");
            store.modify_ticket(&id, ctx.now, ctx.actor(), |_| Ok(()))?;
            fixed += drift.len();
        } else {
            for d in drift {
                problems.push(Finding::new(
                    &shown,
                    None,
                    format!(
                        "{} is {} in the file but {} by its history (a hand edit?); \
                         `desk check --fix` records it as an edit",
                        d.field,
                        inline(&d.in_file),
                        inline(&d.folded)
                    ),
                ));
            }
        }
    }
    check_git(ctx, &mut problems)?;
    problems.extend(store.node_claim_findings()?);
    problems.extend(store.secret_key_findings()?);

    for p in &problems {
        // One line each; file names and values are shown escaped, never obeyed.
        writeln!(out, "{}", crate::output::visible(&p.to_string()))?;
    }
    if fixed > 0 {
        eprintln!("recorded {fixed} hand edit(s) as `edited` events");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{} problem(s) found",
            problems.len()
        )))
    }
}

/// Reads and parses a file, reporting conflict markers and parse errors.
fn read_checked<T>(
    path: &Path,
    shown: &Path,
    problems: &mut Vec<Finding>,
    parse: impl Fn(&str, &Path) -> Result<T>,
) -> Option<T> {
    let text = match read_file(path, shown) {
        Ok(t) => t,
        Err(e) => {
            problems.push(finding(e, shown));
            return None;
        }
    };
    let marker = text
        .lines()
        .position(|l| l.starts_with("<<<<<<< ") || l == "=======" || l.starts_with(">>>>>>> "));
    if let Some(i) = marker {
        problems.push(Finding::new(
            shown,
            Some(i + 1),
            "git conflict markers: a merge without the desk driver (`desk git-setup`) left \
             this file half-merged; resolve it by hand",
        ));
        return None;
    }
    match parse(&text, shown) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(finding(e, shown));
            None
        }
    }
}

/// A read or parse error of the file `shown` as a finding about it.
fn finding(e: Error, shown: &Path) -> Finding {
    match e {
        Error::Parse { line, message, .. } => Finding::new(shown, line, message),
        Error::Io { source, .. } => Finding::new(shown, None, format!("unreadable: {source}")),
        e => Finding::new(shown, None, e.to_string()),
    }
}

/// Every customer file: parseable, named after its ID, changes in order,
/// owner known. Returns the IDs found.
fn check_customers(ctx: &Context, problems: &mut Vec<Finding>) -> Result<Vec<String>> {
    let store = &ctx.store;
    let mut ids = Vec::new();
    // Two customers sharing an identifying value (say, the same person
    // registered on two clones) are a duplicate to merge by hand.
    let mut identities = Identities::default();
    // Sealed values are checked for shape, and with DESK_KEY_FILE set, opened.
    let ring = ctx.keyring()?;
    // Brings the customer index up to date, so that a write after `check`
    // sees files edited in place by hand (docs/performance.md). Unreadable
    // files are reported below.
    let _ = store.customer_summaries()?;
    for path in store.customer_files()? {
        let shown = store.display_path(&path).to_path_buf();
        let Some(c): Option<Customer> = read_checked(&path, &shown, problems, parse_customer)
        else {
            continue;
        };
        let stem = path.file_stem().map(|s| s.to_string_lossy().to_string());
        if stem.as_deref() != Some(c.id.as_str()) {
            problems.push(Finding::new(
                &shown,
                None,
                format!("holds customer {}, so it must be named {}.yaml", c.id, c.id),
            ));
        }
        if !store.config.customers.is_id(&c.id) {
            problems.push(Finding::new(
                &shown,
                None,
                format!(
                    "'{}' is not a customer ID like {}",
                    c.id,
                    store.config.customers.format_id(1)
                ),
            ));
        }
        if c.changes.windows(2).any(|w| w[1].at < w[0].at) {
            problems.push(Finding::new(&shown, None, "changes: not in time order"));
        }
        if let Some(owner) = &c.owner {
            if !store.config.agents.is_empty() && store.config.agent(owner).is_none() {
                problems.push(Finding::new(
                    &shown,
                    None,
                    format!("owner '{owner}' is not an agent in desk.yaml"),
                ));
            }
        }
        if let Some(d) = identities.clash(&c) {
            problems.push(Finding::new(
                &shown,
                None,
                format!(
                    "the same {} as customer {}: one customer registered twice? Keep one \
                     record, point the other's tickets at it (`desk edit ID --set customer=...`) \
                     and remove the other's file (`git rm`); docs/git.md",
                    d.field, d.existing
                ),
            ));
        }
        problems.extend(sealed_findings(&shown, &c, &ring));
        identities.add(&c, &c.id);
        ids.push(c.id);
    }
    ids.sort();
    Ok(ids)
}

/// Enumerated values, the customer and the assignee of a ticket.
fn check_values(
    ctx: &Context,
    t: &Ticket,
    customers: &[String],
    shown: &Path,
    problems: &mut Vec<Finding>,
) {
    let config = &ctx.store.config;
    for (field, value) in [
        (Field::Type, &t.kind),
        (Field::Priority, &t.priority),
        (Field::Channel, &t.channel),
    ] {
        if !config.is_known(field, value) {
            problems.push(Finding::new(
                shown,
                None,
                format!(
                    "{} '{value}' is not in desk.yaml's {}",
                    field.name(),
                    field.plural()
                ),
            ));
        }
    }
    if customers.binary_search(&t.customer).is_err() {
        problems.push(Finding::new(
            shown,
            None,
            format!("customer {} has no file in customers/", t.customer),
        ));
    }
    if let Some(a) = &t.assignee {
        if !config.agents.is_empty() && config.agent(a).is_none() {
            problems.push(Finding::new(
                shown,
                None,
                format!("assignee '{a}' is not an agent in desk.yaml"),
            ));
        }
    }
}

/// In a git work tree: the merge driver and, with a remote, a node number.
fn check_git(ctx: &Context, problems: &mut Vec<Finding>) -> Result<()> {
    let state = ctx.store.git_state()?;
    if state.toplevel.is_none() {
        return Ok(());
    }
    problems.extend(ctx.store.git_ignore_findings());
    let here = Path::new(".gitattributes");
    if !state.attributes {
        problems.push(Finding::new(
            here,
            None,
            format!(
                "lacks the desk merge lines ({}); run `desk git-setup` and commit .gitattributes",
                ATTRIBUTES.join(", ")
            ),
        ));
    }
    if state.driver.is_none() {
        problems.push(Finding::new(
            Path::new(".git/config"),
            None,
            "the desk merge driver is not registered in this clone; run `desk git-setup`",
        ));
    }
    if state.has_remote && state.node.is_none() {
        problems.push(Finding::new(
            Path::new(".desk/node"),
            None,
            "this clone shares a remote but has no node number, so its new IDs may collide \
             with other clones'; run `desk git-setup`",
        ));
    }
    Ok(())
}

fn inline(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::Null => "(none)".into(),
        serde_yaml::Value::String(s) => format!("'{s}'"),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .replace('\n', " "),
    }
}
