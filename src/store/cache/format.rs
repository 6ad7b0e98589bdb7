//! The ticket cache's file: a format mark, then one framed entry per
//! ticket file, each verified on its own.

use serde::{Deserialize, Serialize};

use crate::model::Summary;
use crate::store::checksum::checksum;
use crate::store::FileKey;

/// The first bytes of a cache file: its format. Any other start is rebuilt.
/// Change it whenever `Entry`, `FileKey` or `Summary` change shape, or what
/// a summary holds for the same file (004: a rule's note is no progress;
/// 005: lifecycle steps; 006: deliveries open and failed; 007: time rules'
/// firings; 008: when the next delivery is due). A golden test
/// below fails when the encoding changes.
pub(super) const MAGIC: &[u8; 8] = b"DESKC008";
/// One cached file. The cache is `MAGIC` followed by entries in path
/// order, each framed as the body's length (u32, little-endian), its
/// [`checksum`] (u64, little-endian) and the postcard-encoded body, so it
/// can be read and verified one entry at a time.
#[derive(Debug, Deserialize)]
pub(super) struct Entry {
    /// Relative to `tickets/`, with `/` separators.
    pub path: String,
    pub key: FileKey,
    pub summary: Summary,
}

/// The same, borrowed, for writing.
#[derive(Serialize)]
pub(super) struct EntryRef<'a> {
    pub path: &'a str,
    pub key: &'a FileKey,
    pub summary: &'a Summary,
}

/// The bytes of an entry's frame before its body: length and checksum.
const HEADER: usize = 4 + 8;

/// Encodes an entry with its frame.
pub(super) fn frame(entry: &EntryRef) -> Vec<u8> {
    let mut bytes = postcard::to_extend(entry, vec![0; HEADER]).expect("summaries serialise");
    let body = &bytes[HEADER..];
    let len = u32::try_from(body.len()).expect("an entry is far below 4 GiB");
    let sum = checksum(body);
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    bytes[4..HEADER].copy_from_slice(&sum.to_le_bytes());
    bytes
}

/// Decodes entries one at a time, each with its byte range in the file
/// (frame included). An entry whose checksum or body is bad is skipped (its
/// file is then parsed and the cache rewritten); a frame that runs past the
/// end stops the reading.
pub(super) struct Entries<'a> {
    whole: &'a [u8],
    at: usize,
}

impl<'a> Entries<'a> {
    /// The entries of a cache file's bytes (as `read_cache` returns them).
    pub(super) fn of(bytes: &'a [u8]) -> Entries<'a> {
        Entries {
            whole: bytes,
            at: MAGIC.len().min(bytes.len()),
        }
    }
}

impl Iterator for Entries<'_> {
    type Item = (Entry, std::ops::Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = &self.whole[self.at..];
            let header = rest.get(..HEADER)?;
            let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
            let sum = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
            let Some(body) = rest.get(HEADER..HEADER + len) else {
                self.at = self.whole.len();
                return None;
            };
            let start = self.at;
            self.at += HEADER + len;
            if checksum(body) != sum {
                continue;
            }
            match postcard::from_bytes::<Entry>(body) {
                Ok(entry) => return Some((entry, start..self.at)),
                Err(_) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary with every kind of step, encoded as the cache encodes it.
    fn golden_summary_bytes() -> Vec<u8> {
        use crate::clock::Timestamp;
        use crate::model::{Mark, Status, Step};
        let at = Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let steps = [
            Step::Created { assigned: true },
            Step::Assigned,
            Step::Updated {
                status: Some(Status::Pending),
                progress: true,
            },
            Step::Updated {
                status: None,
                progress: false,
            },
            Step::StatusEdited(Status::InProgress),
            Step::AssigneeEdited(false),
            Step::Closed,
            Step::Surveyed {
                scores: vec![("efficiency".into(), 1)],
                nps: Some(3),
            },
            Step::Reopened,
            Step::Other,
        ];
        let summary = Summary {
            id: "CW202611020001".into(),
            title: "打印机卡纸".into(),
            customer: "C000001".into(),
            kind: "complaint".into(),
            category: Some("hardware".into()),
            tags: vec!["printer".into()],
            channel: "phone".into(),
            priority: "urgent".into(),
            status: Status::InProgress,
            assignee: Some("wang.qiang".into()),
            created: at,
            marks: steps.into_iter().map(|what| Mark { at, what }).collect(),
            open_deliveries: 1,
            failed_deliveries: 2,
            next_delivery: Some(1_795_000_000),
            fired: vec!["r/CW202611020001/resolution-breached/2026-11-02T09:00:00+08:00".into()],
        };
        postcard::to_allocvec(&summary).unwrap()
    }

    #[test]
    fn the_format_version_changes_with_the_summary_encoding() {
        // Failing here means a summary is encoded differently: old caches
        // would be misread. Change MAGIC, then the sum expected here.
        let sum = checksum(&golden_summary_bytes());
        let magic = std::str::from_utf8(MAGIC).unwrap();
        assert_eq!(
            (magic, sum),
            ("DESKC008", 0xe962_4e06_8d58_8533),
            "sum {sum:#x}"
        );
    }

    #[test]
    fn a_damaged_entry_is_skipped_and_the_next_one_read() {
        let t0 = crate::clock::Timestamp::parse("2026-11-02T09:00:00+08:00").unwrap();
        let ticket = crate::model::Ticket::create(
            "CW202611020001".into(),
            crate::model::NewTicket {
                ..crate::model::NewTicket::sample()
            },
            t0,
            "li.na",
        );
        let summary = Summary::of(&ticket);
        let key = FileKey {
            size: 1,
            mtime: (2, 3),
            ctime: (4, 5),
            inode: 6,
        };
        let mut file = MAGIC.to_vec();
        let mut ranges = Vec::new();
        for path in ["a.yaml", "b.yaml", "c.yaml"] {
            let start = file.len();
            file.extend(frame(&EntryRef {
                path,
                key: &key,
                summary: &summary,
            }));
            ranges.push(start..file.len());
        }
        let paths = |bytes: &[u8]| Entries::of(bytes).map(|(e, _)| e.path).collect::<Vec<_>>();
        assert_eq!(paths(&file), ["a.yaml", "b.yaml", "c.yaml"]);
        // Damage in b's body or checksum: b is skipped, c still read.
        for at in [
            ranges[1].start + 4,
            ranges[1].start + HEADER + 3,
            ranges[1].end - 1,
        ] {
            let mut damaged = file.clone();
            damaged[at] ^= 0x10;
            assert_eq!(paths(&damaged), ["a.yaml", "c.yaml"], "byte {at}");
        }
        // A length running past the end stops the reading.
        let mut damaged = file.clone();
        damaged[ranges[2].start + 3] = 0xff;
        assert_eq!(paths(&damaged), ["a.yaml", "b.yaml"]);
    }
}
