//! `desk check`: the whole store validated, as findings in a stable order
//! (the interrupted import, rules, temporary files, customers, tickets in
//! path order, git, node claims, secret keys), and the hand edits it finds
//! recorded as `edited` events on request (`--fix`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::clock::Timestamp;
use crate::crypto::{self, Keyring, Sealed};
use crate::error::{Error, Result};
use crate::model::{
    inline_value, validate, Customer, Field, FieldValue, Finding, FindingKind, Identities, Ticket,
    TicketId,
};
use crate::store::{parse_customer, parse_ticket, Store, ATTRIBUTES};

/// Every problem of the store, nothing changed (but the work tree's
/// customer index, brought up to date). Sealed values are checked for shape and, when
/// `ring` holds keys, opened. Hand edits of ticket fields are findings
/// of kind [`FindingKind::HandEdit`].
///
/// A store read as of a commit ([`Store::open_at`]) is checked as the
/// commit holds it: desk.yaml, holiday files, templates, customers,
/// tickets, issued marks, node claims, the reveal log, and every file of
/// the commit for secret keys (`git grep`). What belongs to
/// a clone and not to a commit is left out there: an interrupted import
/// and temporary files (in `.desk/` and the work tree), the hooks this
/// machine allows, the clone's git set-up (`.gitignore`,
/// `.gitattributes`, the merge driver, the node number, tracked files of
/// `.desk/`).
pub fn check(store: &Store, ring: &Keyring, now: Timestamp) -> Result<Vec<Finding>> {
    let in_work_tree = store.commit().is_none();
    let mut problems = Vec::new();
    problems.extend(calendar_finding(store, now)?);
    if in_work_tree {
        problems.extend(store.import_findings()?);
    }
    problems.extend(super::rules::rule_findings(store));
    problems.extend(super::rules::ambiguous_length_findings(store));
    problems.extend(super::templates::template_findings(store));
    if in_work_tree {
        problems.extend(super::hooks::hook_findings(store));
    }
    problems.extend(super::mailer::mail_problem(store).map(config_finding));
    problems.extend(unknown_search_settings(store));
    if in_work_tree {
        problems.extend(store.temp_findings(false)?.0);
    }
    let customers = check_customers(store, ring, now, &mut problems)?;
    problems.extend(store.outlier_findings(&customers)?);
    check_tickets(store, &customers, &mut problems)?;
    if in_work_tree {
        check_git(store, &mut problems)?;
    }
    problems.extend(store.node_claim_findings()?);
    problems.extend(store.secret_key_findings()?);
    problems.extend(store.reveal_findings()?);
    Ok(problems)
}

/// Holidays change every year: from December of the last year whose
/// holidays or make-up days the calendar lists, working time of the
/// next would be counted as if it had none. Nothing when the calendar
/// lists no dates at all (a team that keeps no holidays).
fn calendar_finding(store: &Store, now: Timestamp) -> Result<Option<Finding>> {
    use chrono::Datelike;
    let (_, calendar) = store.sla()?;
    let Some(last) = calendar.last_dated_year() else {
        return Ok(None);
    };
    let today = now.0.with_timezone(&store.settings.tz).date_naive();
    let next = last + 1;
    if today.year() < last || (today.year() == last && today.month() < 12) {
        return Ok(None);
    }
    let mut finding = Finding::new(
        Path::new(crate::store::CALENDARS_DIR),
        None,
        format!(
            "holidays and make-up workdays are known up to {last}: SLA working time in \
             {next} would count every working weekday; add {next}'s holidays and \
             make-up days in a calendars/*.yaml (for mainland China, cn-{next}.yaml from \
             the State Council's notice; docs/sla.md)"
        ),
    );
    finding.kind = FindingKind::Warning;
    Ok(Some(finding))
}

/// What `desk check` found and, asked to fix, mended.
#[derive(Debug)]
pub struct Checked {
    /// Temporary files of writers that are gone, removed.
    pub temps_removed: usize,
    /// What is left for a person, in the order of [`check`].
    pub findings: Vec<Finding>,
    /// Hand edits recorded as `edited` events.
    pub edits_recorded: usize,
}

/// `desk check`: the store checked (see [`check`]); with `fix`, which
/// names the actor (asked only when there is a hand edit to record),
/// stale temporary files removed first and hand edits recorded after.
pub fn check_store<'a>(
    store: &Store,
    ring: &Keyring,
    now: Timestamp,
    fix: Option<impl FnOnce() -> &'a str>,
) -> Result<Checked> {
    let temps_removed = match fix {
        Some(_) => store.temp_findings(true)?.1,
        None => 0,
    };
    let findings = check(store, ring, now)?;
    let (findings, edits_recorded) = match fix {
        Some(actor) => record_hand_edits(store, findings, now, actor)?,
        None => (findings, 0),
    };
    Ok(Checked {
        temps_removed,
        findings,
        edits_recorded,
    })
}

/// `desk check --fix`: records the hand edits among `findings` as
/// `edited` events by `actor` (asked only when there is one). Returns the
/// other findings and the number of edits recorded.
pub fn record_hand_edits<'a>(
    store: &Store,
    findings: Vec<Finding>,
    at: Timestamp,
    actor: impl FnOnce() -> &'a str,
) -> Result<(Vec<Finding>, usize)> {
    let mut ids: Vec<TicketId> = Vec::new();
    let mut rest = Vec::new();
    for f in findings {
        match f.kind {
            FindingKind::HandEdit(id) => ids.push(id),
            FindingKind::Problem | FindingKind::Warning => rest.push(f),
        }
    }
    // A ticket's findings are together; one write records all its edits
    // (a second would find none left).
    ids.dedup();
    let mut recorded = 0;
    if !ids.is_empty() {
        let actor = actor();
        for id in &ids {
            recorded += store.modify_ticket(id, at, actor, |_| Ok(()))?.1;
        }
    }
    Ok((rest, recorded))
}

/// Every customer file: parseable, named after its ID, changes in order,
/// owner known, no identity shared with another, sealed values sound.
/// Returns the IDs found, sorted.
/// How far past the check's own time a customer's contact time may be
/// before it counts as in the future: a customer written while the check
/// runs carries its writer's time.
const FUTURE_GRACE: chrono::Duration = chrono::Duration::minutes(10);

fn check_customers(
    store: &Store,
    ring: &Keyring,
    now: Timestamp,
    problems: &mut Vec<Finding>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    // Two customers sharing an identifying value (say, the same person
    // registered on two clones) are a duplicate to merge by hand.
    let mut identities = Identities::default();
    // Brings the customer index up to date, so that a write after `check`
    // sees files edited in place by hand (docs/performance.md); not for a
    // commit, which is read only. Unreadable files are reported below.
    if store.commit().is_none() {
        let _ = store.customer_summaries()?;
    }
    let files = store.customer_files()?;
    // Read in batches (through one request to git at a commit), each
    // customer checked in order.
    for batch in files.chunks(2048) {
        let texts = store.read_files(batch)?;
        for (path, text) in batch.iter().zip(texts) {
            let shown = store.display_path(path).to_path_buf();
            let Some(c): Option<Customer> = checked(text, &shown, problems, parse_customer) else {
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
            if !c.changes_in_order() {
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
                         record, point the other's tickets at it (`desk edit ID --set \
                         customer=...`) and remove the other's file (`git rm`); docs/git.md",
                        d.field, d.existing
                    ),
                ));
            }
            // `customer edit` refuses such times; a hand edit would silence
            // the customer's dormancy (and its call-back) until then. A write
            // running beside the check stamps its own time, a little after
            // the check's: not a finding.
            let latest = Timestamp(now.0 + FUTURE_GRACE);
            for (field, at) in [
                ("first_contact", c.first_contact),
                ("last_contact", c.last_contact),
            ] {
                if let Some(at) = at.filter(|at| *at > latest) {
                    problems.push(Finding::new(
                        &shown,
                        None,
                        format!(
                            "{field} {} is in the future: dormancy counts from it, so no \
                             call-back comes before then; correct it (`desk customer edit {} \
                             --set {field}=...`)",
                            at.short(),
                            c.id
                        ),
                    ));
                }
            }
            problems.extend(sealed_findings(&shown, &c, ring));
            problems.extend(email_findings(&shown, &c));
            identities.add(&c, &c.id);
            ids.push(c.id);
        }
    }
    ids.sort();
    Ok(ids)
}

/// Every ticket file, in path order: parseable, ID unique and valid and
/// matching the file's place, history sound and in order, values known,
/// no hand edits.
fn check_tickets(store: &Store, customers: &[String], problems: &mut Vec<Finding>) -> Result<()> {
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    // A firing's key and the first ticket recording it: a key in two
    // tickets is one cause acted on twice (two clones that both opened
    // a call-back before they merged).
    let mut firings: HashMap<String, String> = HashMap::new();
    let files = store.ticket_files()?;
    // Deliveries are judged by the rules (when they parse: their own
    // findings come first).
    let rules = super::rules::rules(store).ok();
    // Read and parse in batches on all cores; check each ticket in order.
    let notices = store.notices();
    for (n, batch) in files.chunks(2048).enumerate() {
        notices.progress("checking tickets", n * 2048, files.len());
        let read: Vec<(&PathBuf, std::sync::Mutex<Result<String>>)> = batch
            .iter()
            .zip(
                store
                    .read_files(batch)?
                    .into_iter()
                    .map(std::sync::Mutex::new),
            )
            .collect();
        let parsed = crate::parallel::map(&read, |(path, text)| {
            let shown = store.display_path(path).to_path_buf();
            let mut found = Vec::new();
            // Each text is taken by the core that parses it.
            let text = std::mem::replace(&mut *text.lock().expect("one taker"), Ok(String::new()));
            let ticket = checked(text, &shown, &mut found, parse_ticket);
            (shown, ticket, found)
        });
        for (shown, ticket, found) in parsed {
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
            // Only open tickets count: closing the duplicate settles it.
            let keys = ticket
                .history
                .iter()
                .filter(|_| ticket.status.is_open())
                .filter_map(|e| match &e.payload {
                    crate::model::Payload::Fired(f) => Some(f.key.as_str()),
                    _ => None,
                });
            for key in keys {
                match firings.get(key) {
                    Some(first) if *first != ticket.id => problems.push(Finding::new(
                        &shown,
                        None,
                        format!(
                            "firing {key} is recorded by the open ticket {first} too: the rule \
                             acted twice on one cause (two clones before a merge?); close one \
                             ticket as a duplicate"
                        ),
                    )),
                    Some(_) => {}
                    None => {
                        firings.insert(key.to_string(), ticket.id.clone());
                    }
                }
            }
            // Recording a hand edit rewrites the file at its ID's place, so
            // only a ticket with a valid ID, in its place, can have it done.
            let mut fixable = None;
            match TicketId::parse(&ticket.id) {
                None => problems.push(Finding::new(
                    &shown,
                    None,
                    format!("'{}' is not a ticket ID", ticket.id),
                )),
                Some(id) => {
                    let expected = Path::new(&id.relative_path()).to_path_buf();
                    if shown == expected {
                        fixable = Some(id);
                    } else {
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
            if let Some(p) = crate::model::history_order_problem(&ticket.history) {
                problems.push(Finding::new(&shown, None, p));
            }
            let is_dimension = |d: &str| store.config.survey.dimensions.iter().any(|c| c.key == d);
            for p in crate::model::history_problems(&ticket.history, &is_dimension) {
                problems.push(Finding::new(&shown, None, p));
            }
            check_values(store, &ticket, customers, &shown, problems);
            if let Some(rules) = &rules {
                problems.extend(super::outbox::delivery_findings(
                    store, &ticket, rules, &shown,
                ));
            }
            for d in drift {
                let mut f = Finding::new(
                    &shown,
                    None,
                    format!(
                        "{} is {} in the file but {} by its history (a hand edit?); \
                         `desk check --fix` records it as an edit",
                        d.field,
                        inline_value(Some(&d.in_file), true),
                        inline_value(Some(&d.folded), true)
                    ),
                );
                if let Some(id) = &fixable {
                    f.kind = FindingKind::HandEdit(id.clone());
                }
                problems.push(f);
            }
        }
    }
    notices.progress("checking tickets", files.len(), files.len());
    Ok(())
}

/// Enumerated values, the customer and the assignee of a ticket.
fn check_values(
    store: &Store,
    t: &Ticket,
    customers: &[String],
    shown: &Path,
    problems: &mut Vec<Finding>,
) {
    let config = &store.config;
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
fn check_git(store: &Store, problems: &mut Vec<Finding>) -> Result<()> {
    let state = store.git_state()?;
    if state.toplevel.is_none() {
        return Ok(());
    }
    problems.extend(store.git_ignore_findings());
    problems.extend(store.state_findings());
    let here = Path::new(".gitattributes");
    if !state.attributes {
        problems.push(Finding::new(
            here,
            None,
            format!(
                "lacks the desk merge lines ({}); run `desk git-setup` and commit \
                 .gitattributes",
                ATTRIBUTES.join(", ")
            ),
        ));
    }
    let audit_merged = crate::store::read_to_string(&store.root.join(".gitattributes"))
        .is_ok_and(|t| t.lines().any(|l| l.trim() == crate::store::AUDIT_ATTRIBUTE));
    if !audit_merged && store.root.join(crate::store::AUDIT_DIR).is_dir() {
        let mut finding = Finding::new(
            here,
            None,
            format!(
                "lacks `{}`, so two clones' reveals of one day conflict when merged; run \
                 `desk git-setup` and commit .gitattributes",
                crate::store::AUDIT_ATTRIBUTE
            ),
        );
        finding.kind = FindingKind::Warning;
        problems.push(finding);
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

/// Parses a file as read, reporting read errors, conflict markers and
/// parse errors.
fn checked<T>(
    text: Result<String>,
    shown: &Path,
    problems: &mut Vec<Finding>,
    parse: impl Fn(&str, &Path) -> Result<T>,
) -> Option<T> {
    let text = match text {
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

/// What is wrong with one sealed value of a customer file (the current
/// `id_card` and `bank_card`, and those in the change log): its shape
/// always; with a key, that it decrypts to a valid number whose lookup and
/// last four characters are the ones recorded.
fn sealed_findings(path: &Path, c: &Customer, ring: &Keyring) -> Vec<Finding> {
    let mut found = Vec::new();
    for (field, value) in [("id_card", &c.id_card), ("bank_card", &c.bank_card)] {
        if let Some(s) = value {
            let repair = format!(
                " (with the key, re-enter the number: `desk customer edit {} --set {field}=...`)",
                c.id
            );
            for problem in sealed_problems(field, s, ring) {
                found.push(Finding::new(
                    path,
                    None,
                    format!("{field}: {problem}{repair}"),
                ));
            }
        }
    }
    for (i, change) in c.changes.iter().enumerate() {
        for (side, value) in [("from", &change.from), ("to", &change.to)] {
            if let Some(FieldValue::Sealed(s)) = value {
                for problem in sealed_problems(&change.field, s, ring) {
                    let place = format!("changes[{}].{side} ({})", i + 1, change.field);
                    found.push(Finding::new(path, None, format!("{place}: {problem}")));
                }
            }
        }
    }
    found
}

/// The customer's e-mail addresses that desk could not mail (a value
/// `customer edit --force` recorded as typed, say): a warning, since desk
/// refuses them when sending; one with a control character, which no
/// command records and which would break a mail's header, a problem.
/// Values are masked.
fn email_findings(path: &Path, c: &Customer) -> Vec<Finding> {
    use crate::model::{mask, ContactField, CustomerField};
    let own = c
        .email
        .iter()
        .map(|e| (CustomerField::Email, "email".to_string(), e));
    let contacts = c.contacts.iter().enumerate().filter_map(|(i, k)| {
        let field = CustomerField::Contact(i + 1, ContactField::Email);
        k.email
            .as_ref()
            .map(|e| (field, format!("contacts[{}].email", i + 1), e))
    });
    own.chain(contacts)
        .filter(|(_, _, e)| crate::model::validate::email(e).is_err())
        .map(|(field, place, e)| {
            let masked = mask::field(c.kind, &field, e);
            let shown = crate::text::visible(&masked);
            let key = field.key();
            let repair = format!("`desk customer edit {} --set {key}=...`", c.id);
            if e.chars().any(char::is_control) {
                Finding::new(
                    path,
                    None,
                    format!(
                        "{place} '{shown}' holds a control character, which would break a \
                         mail's header: desk mails no one at it; correct it ({repair})"
                    ),
                )
            } else {
                let mut finding = Finding::new(
                    path,
                    None,
                    format!(
                        "{place} '{shown}' is not one e-mail address like name@example.com: \
                         desk mails no one at it; correct it ({repair}) if the customer is \
                         to hear from desk"
                    ),
                );
                finding.kind = FindingKind::Warning;
                finding
            }
        })
        .collect()
}

/// The problems of one sealed value; see [`sealed_findings`].
fn sealed_problems(field: &str, s: &Sealed, ring: &Keyring) -> Vec<String> {
    let mut problems = Vec::new();
    let last4_ok = s.last4.chars().count() == 4
        && s.last4
            .chars()
            .all(|c| c.is_ascii_digit() || (field == "id_card" && c == 'X'));
    if !last4_ok {
        problems.push("last4 is not the last four characters of a number".to_string());
    }
    if !crypto::is_lookup(&s.lookup) {
        problems.push(format!(
            "lookup is not {} lowercase hex digits, so duplicates of this number go unnoticed",
            crypto::LOOKUP_LEN
        ));
    }
    if let Err(why) = crypto::check_armor(&s.age) {
        problems.push(format!("age is not an age-encrypted value ({why})"));
        return problems;
    }
    if ring.cannot_open().is_some() {
        return problems;
    }
    let plain = match ring.open(s) {
        Ok(plain) => plain,
        Err(why) => {
            problems.push(format!("age cannot be decrypted ({why})"));
            return problems;
        }
    };
    let valid = match field {
        "id_card" => validate::id_card(&plain),
        "bank_card" => validate::bank_card(&plain),
        _ => Ok(plain.clone()),
    };
    if valid.as_deref() != Ok(plain.as_str()) {
        problems.push(format!("age does not hold a valid {field}"));
    }
    if last4_ok && !plain.ends_with(&s.last4) {
        problems.push("last4 is not the last four characters of the encrypted number".into());
    }
    if crypto::is_lookup(&s.lookup) && ring.lookup(field, &plain).ok().as_ref() != Some(&s.lookup) {
        problems.push(
            "lookup is not the keyed hash of the encrypted number, so duplicates of it go unnoticed"
                .into(),
        );
    }
    problems
}

/// A problem of desk.yaml, found as an error (at its line, when known).
/// A warning for each key of desk.yaml's `search:` this desk does not know
/// (a typo such as `simlar` leaves the setting at its default): kept as
/// written, for a newer desk, but said.
fn unknown_search_settings(store: &Store) -> Vec<Finding> {
    store
        .config
        .search
        .extra
        .keys()
        .map(|key| {
            let mut f = Finding::new(
                Path::new(crate::store::CONFIG_FILE),
                super::rules::config_line(store, "search"),
                format!(
                    "search.{}: not a setting this desk knows (it reads `similar`); kept as \
                     written, and the default used",
                    crate::text::visible(key)
                ),
            );
            f.kind = FindingKind::Warning;
            f
        })
        .collect()
}

pub fn config_finding(e: Error) -> Finding {
    let config = Path::new(crate::store::CONFIG_FILE);
    match e {
        Error::Parse { line, message, .. } => Finding::new(config, line, message),
        other => Finding::new(config, None, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{CustomerField, CustomerKind, FieldValue, NewTicket};
    use crate::store::{render_customer, render_ticket};

    const ID: &str = "CW202611020001";
    const AT: &str = "2026-11-02T09:00:00+08:00";

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), &Config::seed_defaults()).unwrap();
        (dir, store)
    }

    fn at() -> Timestamp {
        Timestamp::parse(AT).unwrap()
    }

    fn customer(id: &str) -> Customer {
        let mut c = Customer::new(CustomerKind::Individual, "王芳".into(), at(), "li.na");
        c.id = id.into();
        c
    }

    fn ticket(id: &str) -> Ticket {
        ticket_of(id, new_ticket())
    }

    fn new_ticket() -> NewTicket {
        NewTicket {
            description: "long text".into(),
            assignee: Some("wang.qiang".into()),
            ..NewTicket::sample()
        }
    }

    fn ticket_of(id: &str, new: NewTicket) -> Ticket {
        Ticket::create(id.into(), new, at(), "li.na")
    }

    fn write(store: &Store, rel: &str, text: &str) {
        let path = store.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn put_customer(store: &Store, file: &str, c: &Customer) {
        write(
            store,
            &format!("customers/{file}.yaml"),
            &render_customer(c),
        );
    }

    fn put_ticket(store: &Store, rel: &str, t: &Ticket) {
        write(store, rel, &render_ticket(t));
    }

    fn rel(id: &str) -> String {
        let path = TicketId::parse(id).unwrap().relative_path();
        path.to_string_lossy().into_owned()
    }

    /// A store with customer C000001 and one sound ticket of theirs, with
    /// `change` applied to the ticket before it is written.
    fn one_ticket(change: impl FnOnce(&mut Ticket)) -> (tempfile::TempDir, Store) {
        let (dir, store) = store();
        put_customer(&store, "C000001", &customer("C000001"));
        let mut t = ticket(ID);
        change(&mut t);
        put_ticket(&store, &rel(ID), &t);
        (dir, store)
    }

    fn no_keys() -> Keyring {
        Keyring::new(
            None,
            &[],
            Err("no key file".into()),
            Err("no lookup key file".into()),
        )
        .unwrap()
    }

    fn messages(store: &Store) -> Vec<String> {
        check(store, &no_keys(), at())
            .unwrap()
            .iter()
            .map(|f| f.to_string())
            .collect()
    }

    #[test]
    fn a_sound_store_has_no_findings() {
        let (_dir, store) = one_ticket(|_| ());
        assert_eq!(messages(&store), Vec::<String>::new());
    }

    #[test]
    fn a_bare_m_is_read_as_before_and_warned_about_with_the_spelling_to_use() {
        let (dir, store) = one_ticket(|_| ());
        let yaml = std::fs::read_to_string(store.root.join(crate::store::CONFIG_FILE)).unwrap();
        let old = yaml
            .replacen("      within: 1h\n", "      within: 60m\n", 1)
            .replace("  dormant_after: 6mo\n", "  dormant_after: 6m\n")
            .replace("{unassigned_for: 15min}", "{unassigned_for: 15m}");
        write(&store, crate::store::CONFIG_FILE, &old);
        let store = Store::open(dir.path().to_path_buf()).unwrap();
        // The old meanings hold: minutes in a target and a wait, months in
        // a dormancy span.
        assert_eq!(store.settings.dormant_after, crate::clock::Span::Months(6));
        assert_eq!(
            store.settings.policy.targets("urgent")[0].unwrap().seconds,
            3600
        );
        let line = |text: &str| 1 + old.lines().position(|l| l.contains(text)).unwrap();
        let bare = "but a bare m could be minutes or months";
        assert_eq!(
            messages(&store),
            [
                format!(
                    "desk.yaml:{}: sla.targets[urgent].response.within: '60m' is read as \
                     minutes, as before, {bare}; write '60min' (min is minutes, mo months)",
                    line("sla:")
                ),
                format!(
                    "desk.yaml:{}: customers.dormant_after: '6m' is read as months, as \
                     before, {bare}; write '6mo' (min is minutes, mo months)",
                    line("customers:")
                ),
                format!(
                    "desk.yaml:{}: rule 'unassigned-to-supervisor' (rules[5]), key \
                     when.unassigned_for: '15m' is read as minutes, as before, {bare}; write \
                     '15min' (min is minutes, mo months)",
                    line("name: unassigned-to-supervisor")
                ),
            ]
        );
        assert!(check(&store, &no_keys(), at())
            .unwrap()
            .iter()
            .all(|f| f.kind == FindingKind::Warning));
    }

    #[test]
    fn a_calendar_ending_with_the_year_is_found_from_december() {
        let (_dir, store) = store();
        write(
            &store,
            "calendars/cn-2026.yaml",
            "holidays: [2026-10-01..2026-10-07]\n",
        );
        let found = |now: &str| -> Vec<String> {
            check(&store, &no_keys(), Timestamp::parse(now).unwrap())
                .unwrap()
                .iter()
                .map(|f| f.to_string())
                .collect()
        };
        assert!(found("2026-11-30T23:59:00+08:00").is_empty());
        let december = found("2026-12-01T00:00:00+08:00");
        assert_eq!(december.len(), 1, "{december:?}");
        assert!(
            december[0].starts_with(
                "calendars: holidays and make-up workdays are known up to 2026: SLA working time in 2027"
            ),
            "{december:?}"
        );
        assert_eq!(found("2027-03-01T09:00:00+08:00"), december);
        let kinds: Vec<FindingKind> = check(
            &store,
            &no_keys(),
            Timestamp::parse("2026-12-01T00:00:00+08:00").unwrap(),
        )
        .unwrap()
        .into_iter()
        .map(|f| f.kind)
        .collect();
        assert_eq!(kinds, [FindingKind::Warning], "told, not failed");
        // Next year's file ends it (read by a new command: the calendar is
        // read once per command).
        write(&store, "calendars/cn-2027.yaml", "workdays: [2027-02-07]\n");
        let fresh = Store::open(store.root.clone()).unwrap();
        let found: Vec<Finding> = check(
            &fresh,
            &no_keys(),
            Timestamp::parse("2027-03-01T09:00:00+08:00").unwrap(),
        )
        .unwrap();
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_contact_time_in_the_future_is_found() {
        let (_dir, store) = store();
        let mut c = customer("C000001");
        c.last_contact = Some(Timestamp::parse("2099-01-01T00:00:00+08:00").unwrap());
        put_customer(&store, "C000001", &c);
        let found = messages(&store);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "customers/C000001.yaml: last_contact 2099-01-01 00:00 is in the future"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn one_firing_recorded_by_two_tickets_is_found() {
        let key = "dormant-callback/C000001/dormant_for-6m/2026-05-01T09:00:00+08:00";
        let fired = |t: &mut Ticket| {
            t.history
                .push(crate::rules::fired_event("dormant-callback", key, at()))
        };
        let (_dir, store) = one_ticket(fired);
        assert_eq!(messages(&store), Vec::<String>::new());
        // The other clone's call-back for the same dormancy, merged in.
        let other = "CW202611020101";
        let mut t = ticket(other);
        fired(&mut t);
        put_ticket(&store, &rel(other), &t);
        assert_eq!(
            messages(&store),
            [format!(
                "tickets/2026/11/{other}.yaml: firing {key} is recorded by the open ticket {ID} \
                 too: the rule acted twice on one cause (two clones before a merge?); close one \
                 ticket as a duplicate"
            )]
        );
        // Closed as a duplicate: settled.
        let at = Timestamp::parse("2026-11-03T09:00:00+08:00").unwrap();
        t.close("重复回访 / duplicate".into(), None, None, at, "li.na")
            .unwrap();
        put_ticket(&store, &rel(other), &t);
        assert_eq!(messages(&store), Vec::<String>::new());
    }

    #[test]
    fn a_ticket_outside_its_ids_month_is_found() {
        let (_dir, store) = store();
        put_customer(&store, "C000001", &customer("C000001"));
        put_ticket(&store, "tickets/2026/10/CW202611020001.yaml", &ticket(ID));
        assert_eq!(
            messages(&store),
            [format!(
                "tickets/2026/10/CW202611020001.yaml: ticket {ID} belongs at {} (its ID's \
                 creation month)",
                rel(ID)
            )]
        );
    }

    #[test]
    fn duplicate_and_bad_ids_are_found() {
        let (_dir, store) = one_ticket(|_| ());
        // The same ID in another case, in a file of another name.
        put_ticket(
            &store,
            "tickets/2026/11/CW202611020002.yaml",
            &ticket(&ID.to_lowercase()),
        );
        put_ticket(&store, "tickets/2026/11/x.yaml", &ticket("nonsense"));
        let found = messages(&store);
        assert_eq!(
            found[0],
            format!(
                "tickets/2026/11/CW202611020002.yaml: duplicate ID {}: also in {}",
                ID.to_lowercase(),
                rel(ID)
            )
        );
        assert!(
            found.contains(&"tickets/2026/11/x.yaml: 'nonsense' is not a ticket ID".to_string()),
            "{found:?}"
        );
    }

    #[test]
    fn a_history_out_of_order_is_found() {
        let (_dir, store) = one_ticket(|t| {
            let later = Timestamp(at().0 + chrono::Duration::hours(2));
            t.update("looking".into(), None, later, "wang.qiang")
                .unwrap();
            t.update("still".into(), None, later, "wang.qiang").unwrap();
            t.history[2].at = Timestamp(at().0 + chrono::Duration::hours(1));
        });
        assert_eq!(
            messages(&store),
            [format!(
                "{}: history: event 3 (2026-11-02T10:00:00+08:00) is earlier than the one \
                 before it",
                rel(ID)
            )]
        );
    }

    #[test]
    fn unknown_values_customers_and_agents_are_found() {
        let (_dir, store) = store();
        put_customer(&store, "C000001", &customer("C000001"));
        // The history says the same as the file, so these are no hand edits.
        let mut new = new_ticket();
        new.priority = "whenever".into();
        new.customer = "C000009".into();
        new.assignee = Some("nobody".into());
        put_ticket(&store, &rel(ID), &ticket_of(ID, new));
        let path = rel(ID);
        assert_eq!(
            messages(&store),
            [
                format!("{path}: priority 'whenever' is not in desk.yaml's priorities"),
                format!("{path}: customer C000009 has no file in customers/"),
                format!("{path}: assignee 'nobody' is not an agent in desk.yaml"),
            ]
        );
    }

    #[test]
    fn misnamed_customer_files_and_unknown_owners_are_found() {
        let (_dir, store) = one_ticket(|_| ());
        let mut c = customer("C000002");
        c.owner = Some("nobody".into());
        c.name = "李雷".into();
        put_customer(&store, "C000003", &c);
        assert_eq!(
            messages(&store),
            [
                "customers/C000003.yaml: holds customer C000002, so it must be named \
                 C000002.yaml",
                "customers/C000003.yaml: owner 'nobody' is not an agent in desk.yaml",
            ]
        );
    }

    #[test]
    fn bad_customer_ids_changes_out_of_order_and_twins_are_found() {
        let (_dir, store) = one_ticket(|_| ());
        let mut bad = customer("X1");
        bad.name = "李雷".into();
        put_customer(&store, "X1", &bad);
        let mut c = customer("C000002");
        c.phone = Some("13800138000".into());
        let mut twin = c.clone();
        twin.id = "C000003".into();
        put_customer(&store, "C000002", &c);
        c.id = "C000004".into();
        c.phone = None;
        c.name = "韩梅梅".into();
        let mut edit = |h| {
            let at = Timestamp(at().0 + chrono::Duration::hours(h));
            c.edit(
                CustomerField::Name,
                Some(FieldValue::Text(format!("n{h}"))),
                at,
                "li.na",
            )
            .unwrap();
        };
        edit(1);
        edit(2);
        // As a hand edit or a bad merge might leave them.
        c.changes.reverse();
        put_customer(&store, "C000004", &c);
        put_customer(&store, "C000003", &twin);
        let found = messages(&store);
        assert_eq!(
            found,
            [
                "customers/C000003.yaml: the same phone as customer C000002: one customer \
                 registered twice? Keep one record, point the other's tickets at it (`desk \
                 edit ID --set customer=...`) and remove the other's file (`git rm`); \
                 docs/git.md",
                "customers/C000004.yaml: changes: not in time order",
                "customers/X1.yaml: 'X1' is not a customer ID like C000001",
            ]
        );
    }

    #[test]
    fn hand_edits_are_found_typed_and_recorded() {
        let (_dir, store) = one_ticket(|t| {
            t.title = "开不了机".into();
            t.priority = "normal".into();
        });
        let found = check(&store, &no_keys(), at()).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        let id = TicketId::parse(ID).unwrap();
        assert!(found
            .iter()
            .all(|f| f.kind == FindingKind::HandEdit(id.clone())));
        let (rest, recorded) = record_hand_edits(&store, found, at(), || "chen.jing").unwrap();
        assert_eq!((rest, recorded), (vec![], 2));
        assert_eq!(messages(&store), Vec::<String>::new());
        let t = store.load_ticket(&id).unwrap();
        assert_eq!(t.title, "开不了机");
        assert_eq!(t.history.last().unwrap().by, "chen.jing");
    }

    #[test]
    fn a_hand_edit_outside_the_tickets_place_is_left_to_a_person() {
        let (_dir, store) = store();
        put_customer(&store, "C000001", &customer("C000001"));
        let mut t = ticket(ID);
        t.title = "开不了机".into();
        put_ticket(&store, "tickets/2026/10/CW202611020001.yaml", &t);
        let found = check(&store, &no_keys(), at()).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|f| f.kind == FindingKind::Problem));
    }

    #[test]
    fn other_findings_are_kept_and_the_actor_is_asked_only_for_a_hand_edit() {
        let (_dir, store) = one_ticket(|_| ());
        put_customer(&store, "C000003", &customer("C000002"));
        let mut found = check(&store, &no_keys(), at()).unwrap();
        // A hand edit of a ticket whose ID is not one cannot be recorded.
        let mut t = ticket("nonsense");
        t.title = "edited".into();
        put_ticket(&store, "tickets/2026/11/x.yaml", &t);
        found.extend(check(&store, &no_keys(), at()).unwrap());
        assert!(found.iter().all(|f| f.kind == FindingKind::Problem));
        let (rest, recorded) =
            record_hand_edits(&store, found.clone(), at(), || panic!("no actor needed")).unwrap();
        assert_eq!((rest, recorded), (found, 0));
    }
}
