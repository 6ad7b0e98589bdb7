use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{exit, Context};
use crate::app::mail_in::{self, Filed, Setup, SurveyByMail};
use crate::error::{Error, Result};
use crate::output::message;
use crate::store;

#[derive(Debug, clap::Args)]
pub struct MailInArgs {
    /// Message files (RFC 5322, as a mail system stores them); none and no
    /// --maildir: one message on stdin (a .forward, procmail or Postfix pipe).
    #[arg(value_name = "FILE", conflicts_with = "maildir")]
    pub files: Vec<PathBuf>,
    /// A Maildir: each message of new/ (and of cur/ not yet seen) is filed,
    /// then moved to cur/ flagged seen; one that cannot be read goes to the
    /// Maildir's .desk-failed folder.
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
}

/// Counts by outcome, for the summary on stderr.
#[derive(Default)]
struct Tally {
    filed: Vec<(&'static str, usize)>,
    unreadable: usize,
    failed: usize,
}

impl Tally {
    fn add(&mut self, word: &'static str) {
        match self.filed.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => self.filed.push((word, 1)),
        }
    }

    fn total(&self) -> usize {
        self.filed.iter().map(|(_, n)| n).sum::<usize>() + self.unreadable + self.failed
    }

    fn summary(&self) -> String {
        let mut parts: Vec<String> = self.filed.iter().map(|(w, n)| format!("{n} {w}")).collect();
        if self.unreadable > 0 {
            parts.push(format!("{} unreadable", self.unreadable));
        }
        if self.failed > 0 {
            parts.push(format!("{} not filed (error)", self.failed));
        }
        let total = self.total();
        let noun = if total == 1 { "message" } else { "messages" };
        format!("mail-in: {total} {noun}: {}", parts.join(", "))
    }
}

/// Why one message was not filed.
enum Failure {
    /// The message itself: it will never be filed as it is.
    Unreadable(String),
    /// The store (a lock, a write, desk.yaml): it may be filed later.
    Store(Error),
}

/// Exit 0 when every message was filed (skipped, held and ignored ones
/// too); 1 when one could not be read; 75 (EX_TEMPFAIL, which mail systems
/// retry) when the store could not file one.
pub fn run(ctx: &Context, args: &MailInArgs, out: &mut dyn Write) -> Result<u8> {
    let setup = mail_in::setup(&ctx.store)?;
    let at = ctx.event_time(None)?;
    // The store cannot take mail now (a lock held too long, a file it
    // cannot read): the mail system keeps the message and tries again.
    let mut batch = match mail_in::Batch::open(&ctx.store, &setup, at) {
        Ok(batch) => batch,
        Err(e) => {
            message::error(&format!("{e}; nothing filed, try again later"), None);
            return Ok(exit::TEMPFAIL);
        }
    };
    let mut tally = Tally::default();
    if let Some(dir) = &args.maildir {
        maildir(ctx, &setup, &mut batch, dir, &mut tally, out)?;
    } else if args.files.is_empty() {
        let filed = read_bounded(&mut std::io::stdin().lock(), &setup, "stdin")
            .and_then(|bytes| take(ctx, &setup, &mut batch, &bytes, "-", &mut tally, out));
        if let Err(e) = filed {
            tally.failed += 1;
            message::error(&format!("stdin: {e}"), None);
        }
    } else {
        for file in &args.files {
            let shown = file.display().to_string();
            let filed = read_file(file, &setup)
                .and_then(|bytes| take(ctx, &setup, &mut batch, &bytes, &shown, &mut tally, out));
            if let Err(e) = filed {
                tally.failed += 1;
                message::error(&format!("{shown}: {e}"), None);
            }
        }
    }
    message::say(&tally.summary());
    Ok(if tally.failed > 0 {
        exit::TEMPFAIL
    } else if tally.unreadable > 0 {
        exit::ERROR
    } else {
        exit::OK
    })
}

/// Reads and files one message, printing its line; a message that cannot
/// be read is counted and named on stderr.
fn take(
    ctx: &Context,
    setup: &Setup,
    batch: &mut mail_in::Batch,
    bytes: &[u8],
    shown: &str,
    tally: &mut Tally,
    out: &mut dyn Write,
) -> Result<()> {
    match file_one(ctx, setup, batch, bytes, shown, out) {
        Ok(word) => tally.add(word),
        Err(Failure::Unreadable(why)) => {
            tally.unreadable += 1;
            message::error(&why, None);
        }
        Err(Failure::Store(e)) => return Err(e),
    }
    Ok(())
}

fn file_one(
    ctx: &Context,
    setup: &Setup,
    batch: &mut mail_in::Batch,
    bytes: &[u8],
    shown: &str,
    out: &mut dyn Write,
) -> std::result::Result<&'static str, Failure> {
    let source = if shown == "-" { "stdin" } else { shown };
    let mail = mail_in::read(setup, bytes)
        .map_err(|e| Failure::Unreadable(format!("{source}: {e}; nothing written")))?;
    let at = ctx.event_time(None).map_err(Failure::Store)?;
    let filed = batch
        .file(&ctx.store, setup, &mail, bytes, ctx.actor(), at)
        .map_err(|e| match e {
            // The mail's own text refused (a card number in it): it will
            // never be filed as it is.
            Error::Invalid { .. } => Failure::Unreadable(format!("{source}: {e}; nothing written")),
            e => Failure::Store(e),
        })?;
    let word = filed.word();
    writeln!(out, "{}\t{word}\t{shown}", filed.ticket().unwrap_or("-"))
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Store(e.into()))?;
    // Text that may not be what the sender wrote: an agent should read
    // the message itself.
    for l in &mail.lossy {
        message::warn(&format!(
            "{source}: {} in charset {}: some text may be misread; the message is filed",
            l.place,
            crate::text::visible(&l.charset)
        ));
    }
    tell(&filed, source);
    if let Filed::Created { ticket, .. } = &filed {
        let id = crate::model::TicketId::parse(ticket);
        let hints = id.map_or(Ok(crate::app::search::Hints::Off), |id| {
            crate::app::search::hints_for(&ctx.store, &id)
        });
        super::search::tell_similar(ticket, hints);
    }
    // The acknowledgement and other notices the rules queued go now, as
    // for any command that records an event.
    if let Filed::Created {
        ticket, outcomes, ..
    }
    | Filed::Replied {
        ticket, outcomes, ..
    } = &filed
    {
        ctx.deliver_at_once(ticket, outcomes);
    }
    Ok(word)
}

/// What stderr says of a message beyond its line.
fn tell(filed: &Filed, source: &str) {
    match filed {
        Filed::Created {
            ticket,
            customer,
            new_customer,
            closed,
            outcomes,
        } => {
            if *new_customer {
                message::note(&format!("{ticket}: new customer {customer} for the sender"));
            }
            if let Some(c) = closed {
                message::note(&format!(
                    "{ticket}: a reply to closed ticket {c}, opened anew"
                ));
            }
            super::tell_rules(ticket, outcomes);
        }
        Filed::Replied {
            ticket,
            reopened,
            outcomes,
            survey,
        } => {
            match survey {
                Some(SurveyByMail::Recorded { unsatisfied: false }) => message::note(&format!(
                    "{ticket}: the reply answered the survey; recorded, the ticket stays closed"
                )),
                Some(SurveyByMail::Recorded { unsatisfied: true }) => message::note(&format!(
                    "{ticket}: the reply answered the survey, unsatisfied; the ticket is reopened"
                )),
                Some(SurveyByMail::Unsure(why)) => message::warn(&format!(
                    "{ticket}: the reply looks like a survey answer but cannot be read for sure \
                     ({why}); kept as the customer's words, the ticket left closed: record the \
                     survey with desk survey"
                )),
                None if *reopened => {
                    message::note(&format!("{ticket}: reopened by the customer's reply"))
                }
                None => {}
            }
            super::tell_rules(ticket, outcomes);
        }
        Filed::Seen { ticket } => {
            message::note(&format!("{source}: filed before in {ticket}; skipped"))
        }
        Filed::Held { file, fresh } => message::note(&format!(
            "{source}: from an unknown sender; {} {file} for review",
            if *fresh { "held as" } else { "held before as" }
        )),
        Filed::Ignored { why } => message::note(&format!("{source}: {why}; no ticket")),
        Filed::Limited { limit } => message::warn(&format!(
            "{source}: the sender opened {limit} tickets by mail in the last hour \
             (mail.intake.rate_limit); no ticket"
        )),
    }
}

/// At most the message limit and one byte more, so that a huge message is
/// refused without being held in memory whole.
fn read_bounded(reader: &mut dyn Read, setup: &Setup, shown: &str) -> Result<Vec<u8>> {
    let limit = setup.intake.max_message as u64;
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(shown, e))?;
    Ok(bytes)
}

/// A message file; never through a link, nor anything but a file.
fn read_file(path: &Path, setup: &Setup) -> Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Refused(format!(
            "{}: not a file (desk reads no link, folder or device as a message)",
            path.display()
        )));
    }
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_bounded(&mut file, setup, &path.display().to_string())
}

/// Files every message of `new/`, and of `cur/` not flagged seen, in name
/// order; each is moved to `cur/` flagged seen once filed, and only then.
fn maildir(
    ctx: &Context,
    setup: &Setup,
    batch: &mut mail_in::Batch,
    dir: &Path,
    tally: &mut Tally,
    out: &mut dyn Write,
) -> Result<()> {
    // Another `desk mail-in` on the same Maildir (two cron jobs that
    // overlap) may take a message between the listing and its reading or
    // its move: gone is taken, not an error; the Message-ID index files it
    // once whichever run gets it.
    let taken = |path: &Path| std::fs::symlink_metadata(path).is_err();
    for path in store::maildir_messages(dir)? {
        let shown = path.display().to_string();
        let outcome = read_file(&path, setup)
            .map_err(Failure::Store)
            .and_then(|bytes| file_one(ctx, setup, batch, &bytes, &shown, out));
        match outcome {
            Err(Failure::Store(_)) if taken(&path) => continue,
            Ok(word) => {
                tally.add(word);
                if let Err(e) = store::maildir_done(dir, &path) {
                    if !taken(&path) {
                        return Err(e);
                    }
                }
            }
            Err(Failure::Unreadable(why)) => {
                tally.unreadable += 1;
                let to = store::maildir_failed(dir, &path)?;
                message::error(&format!("{why}; moved to {}", to.display()), None);
            }
            // Left where it is, for the next run.
            Err(Failure::Store(e)) => {
                tally.failed += 1;
                message::error(&format!("{shown}: {e}; left in place"), None);
            }
        }
    }
    Ok(())
}
