//! The customer numbers issued so far, which no removal takes back:
//! `issued/node-NN.yaml` (committed), one file per node number (docs/git.md;
//! `issued/local.yaml` in a store without one), each written only by the
//! clones of its node, so git merges them without a conflict. A new customer
//! number is above every number in `customers/` and every file's mark, so
//! the number of a customer removed with `git rm` (the duplicate procedure
//! of docs/git.md) is never issued again, here or in any other clone.
//!
//! Numbers far above the others (outliers: `C18446744073709551615` written
//! by hand) are left out of that, as [`Sequence`] says: new IDs continue
//! after the sequence instead of stopping at the top of the number space,
//! and `desk check` warns about them. The same holds for a day's ticket
//! serials.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::walk::Depth;
use super::{write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind, Sequence, TicketId};

/// The committed folder of marks.
pub const ISSUED_DIR: &str = "issued";

/// One node's mark.
#[derive(Debug, Serialize, Deserialize)]
struct Issued {
    /// The highest customer number the node has issued (or imported).
    customer: u64,
    /// Keys of a newer desk, kept.
    #[serde(flatten)]
    other: BTreeMap<String, crate::yaml::Value>,
}

const HEADER: &str =
    "# The highest customer number this node has issued: desk never issues it or a\n\
                      # lower one again, even after the customer is removed (docs/format.md).\n";

impl Store {
    /// The mark file a clone of `node` writes.
    fn issued_path(&self, node: Option<u32>) -> PathBuf {
        let name = match node {
            Some(n) => format!("node-{n:02}.yaml"),
            None => "local.yaml".into(),
        };
        self.root.join(ISSUED_DIR).join(name)
    }

    /// Every mark in `issued/`, by file. Fails on one that cannot be read,
    /// naming it: allocating past a mark not read could reuse a number.
    fn issued_marks(&self) -> Result<Vec<(PathBuf, u64)>> {
        let mut marks = Vec::new();
        for name in self.yaml_paths(ISSUED_DIR, Depth::Flat)? {
            let shown = Path::new(ISSUED_DIR).join(&name);
            let issued: Issued = crate::yaml::from_yaml(&self.read_store_file(&shown)?, &shown)?;
            marks.push((shown, issued.customer));
        }
        Ok(marks)
    }

    /// The numbers a new customer number must stay above, besides those in
    /// `customers/`: the marks; and, in a store that has none yet (made by
    /// an older desk), the numbers of the customer files that git's history
    /// shows removed.
    pub(super) fn issued_customer_numbers(&self) -> Result<Vec<u64>> {
        let marks = self.issued_marks()?;
        if !marks.is_empty() {
            return Ok(marks.into_iter().map(|(_, n)| n).collect());
        }
        let config = &self.config.customers;
        Ok(self
            .removed_from_history("customers")
            .iter()
            .filter_map(|name| config.number_of(name.strip_suffix(".yaml")?))
            .collect())
    }

    /// The customer numbers in use: the files' and the marks' (see
    /// [`Store::issued_customer_numbers`]), as a sequence and its outliers.
    pub(super) fn customer_sequence(&self, indexed: Sequence) -> Result<Sequence> {
        Ok(indexed.extended(self.issued_customer_numbers()?))
    }

    /// Records that this clone (of `node`) has issued customer numbers up
    /// to `number`, unless its mark is that high already. Written before
    /// the customers, so a failure between the two leaves a number unused,
    /// never one issued twice.
    pub(super) fn record_issued(&self, node: Option<u32>, number: u64) -> Result<()> {
        let path = self.issued_path(node);
        let shown = self.display_path(&path).to_path_buf();
        super::read::real_dirs(&self.root, Path::new(ISSUED_DIR))?;
        let mut issued = match self.read_entry(&path)? {
            Some(text) => crate::yaml::from_yaml::<Issued>(&text, &shown)?,
            None => Issued {
                customer: 0,
                other: BTreeMap::new(),
            },
        };
        if issued.customer >= number {
            return Ok(());
        }
        issued.customer = number;
        let dir = self.root.join(ISSUED_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let body = crate::yaml::to_string(&issued).expect("a mark serialises");
        write_atomic(&path, format!("{HEADER}{body}").as_bytes())
    }

    /// The refusal of a given customer ID far above the others.
    pub fn far_above_error(&self, id: &str, top: u64) -> Error {
        let config = &self.config.customers;
        Error::Refused(format!(
            "customer {id} is far above the store's customer numbers (the highest is {}): an ID \
             more than {} above them is refused, so that one ID cannot use up the numbers \
             after it; leave the ID empty to get the next free one",
            config.format_id(top),
            grouped(Sequence::CUSTOMER_GAP)
        ))
    }

    /// `desk check`'s warnings about numbers far above their sequence: a
    /// customer file or mark, a ticket serial. Nothing is wrong (new IDs go
    /// past them), but such a number was most likely made by hand.
    pub fn outlier_findings(&self, customer_ids: &[String]) -> Result<Vec<Finding>> {
        let mut found = Vec::new();
        let config = &self.config.customers;
        // A mark that cannot be read is a problem: new customers are refused
        // until it is mended.
        let marks = self.issued_marks().unwrap_or_else(|e| {
            found.push(match e {
                Error::Parse {
                    path,
                    line,
                    message,
                } => Finding::new(&path, line, message),
                other => Finding::new(Path::new(ISSUED_DIR), None, other.to_string()),
            });
            Vec::new()
        });
        let seq = Sequence::of(
            marks
                .iter()
                .map(|(_, n)| *n)
                .chain(customer_ids.iter().filter_map(|id| config.number_of(id))),
            Sequence::CUSTOMER_GAP,
        );
        let warn = |path: &Path, what: String| {
            let mut f = Finding::new(path, None, what);
            f.kind = FindingKind::Warning;
            f
        };
        let next = |top: u64| match top {
            0 => "from the first".to_string(),
            top => format!("after {}", config.format_id(top)),
        };
        for &n in &seq.outliers {
            let id = config.format_id(n);
            let rest = format!(
                "is more than {} above the other customer numbers; new customers are numbered \
                 {} and do not stop at it (if the ID was typed by mistake, re-register the \
                 customer and remove this one)",
                grouped(Sequence::CUSTOMER_GAP),
                next(seq.top)
            );
            if customer_ids.contains(&id) {
                let path = Path::new("customers").join(format!("{id}.yaml"));
                found.push(warn(&path, format!("customer number {n} {rest}")));
            }
            for (path, _) in marks.iter().filter(|(_, m)| *m == n) {
                found.push(warn(path, format!("the mark customer: {n} {rest}")));
            }
        }
        // A day's serials, in each month's folder.
        let mut days: BTreeMap<(String, chrono::NaiveDate), Vec<u32>> = BTreeMap::new();
        for rel in self.yaml_paths("tickets", Depth::Deep)? {
            let stem = rel.rsplit('/').next().unwrap_or(&rel);
            if let Some(id) = stem.strip_suffix(".yaml").and_then(TicketId::parse) {
                days.entry((id.prefix, id.date))
                    .or_default()
                    .push(id.serial);
            }
        }
        for ((prefix, date), serials) in days {
            let seq = Sequence::of(serials.iter().map(|&s| u64::from(s)), Sequence::SERIAL_GAP);
            for &serial in &seq.outliers {
                let id = TicketId {
                    prefix: prefix.clone(),
                    date,
                    serial: serial as u32,
                };
                let top = TicketId {
                    serial: seq.top as u32,
                    ..id.clone()
                };
                found.push(warn(
                    &id.relative_path(),
                    format!(
                        "serial {serial} is more than {} above the day's other serials; new \
                         tickets of that day are numbered {} and do not stop at it",
                        grouped(Sequence::SERIAL_GAP),
                        match seq.top {
                            0 => "from the first".into(),
                            _ => format!("after {top}"),
                        }
                    ),
                ));
            }
        }
        Ok(found)
    }
}

/// A number with its thousands set apart (`1,000,000`).
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
