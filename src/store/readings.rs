//! The readings memo (`.desk/cache/readings.bin`): how the sentiment
//! method read each customer text a report has met, keyed by the text's
//! SHA-256 (its first 16 bytes), so that a report reads its period's texts
//! again without classifying them again, and without loading the
//! segmenter when none is new. A local cache like the indexes: rebuilt
//! without a word when damaged, missing, or written by another method
//! (its fingerprint, which any change of the lexicon changes); never
//! committed.
//!
//! Layout: `DESKR001`, the method's fingerprint (u64), the number of
//! entries (u32), the entries sorted by key (16 bytes of key, one byte of
//! reading: its place in `Sentiment::ALL`), a checksum of what precedes.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::checksum::checksum;
use super::Store;
use crate::model::Sentiment;

const MAGIC: &[u8; 8] = b"DESKR001";
const FILE: &str = "readings.bin";
/// Beyond this many entries the memo keeps only those of the last report:
/// 17 bytes each, a few MB.
const MOST: usize = 1 << 20;

/// A text's key in the memo.
pub type TextKey = [u8; 16];

/// The key of `text`.
pub fn text_key(text: &str) -> TextKey {
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].try_into().expect("16 bytes")
}

/// The readings known, for one method.
#[derive(Debug, Default)]
pub struct Readings {
    fingerprint: u64,
    known: HashMap<TextKey, Sentiment>,
}

impl Readings {
    pub fn get(&self, key: &TextKey) -> Option<Sentiment> {
        self.known.get(key).copied()
    }

    fn encode(&self, keep: impl Fn(&TextKey) -> bool) -> Vec<u8> {
        let mut entries: Vec<(&TextKey, &Sentiment)> =
            self.known.iter().filter(|(k, _)| keep(k)).collect();
        entries.sort();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (key, reading) in entries {
            out.extend_from_slice(key);
            let place = Sentiment::ALL.iter().position(|s| s == reading);
            out.push(place.expect("every reading is listed") as u8);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8], fingerprint: u64) -> Option<Readings> {
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        (checksum(body).to_le_bytes() == sum).then_some(())?;
        let rest = body.strip_prefix(MAGIC.as_slice())?;
        (rest.get(..8)? == fingerprint.to_le_bytes()).then_some(())?;
        let n = u32::from_le_bytes(rest.get(8..12)?.try_into().ok()?) as usize;
        let entries = rest.get(12..)?;
        (entries.len() == n.checked_mul(17)?).then_some(())?;
        let known = entries
            .chunks_exact(17)
            .map(|e| {
                let key: TextKey = e[..16].try_into().ok()?;
                Some((key, *Sentiment::ALL.get(usize::from(e[16]))?))
            })
            .collect::<Option<_>>()?;
        Some(Readings { fingerprint, known })
    }
}

impl Store {
    /// The readings memo of the method of `fingerprint`; empty when there
    /// is none for it.
    pub fn readings(&self, fingerprint: u64) -> Readings {
        let path = self.state_dir().join("cache").join(FILE);
        super::read::read_state(&path)
            .ok()
            .and_then(|bytes| Readings::decode(&bytes, fingerprint))
            .unwrap_or(Readings {
                fingerprint,
                known: HashMap::new(),
            })
    }

    /// Removes the memo (`desk cache clear`); whether there was one.
    pub(super) fn forget_readings(&self) -> crate::error::Result<bool> {
        let path = self.state_dir().join("cache").join(FILE);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(crate::error::Error::io(path, e)),
        }
    }

    /// Adds `new` readings to the memo and writes it, if any is new; the
    /// keys of `used` are those a report met, kept when the memo is full.
    /// Best effort: a memo not written is only a slower next report.
    pub fn keep_readings(
        &self,
        mut memo: Readings,
        new: Vec<(TextKey, Sentiment)>,
        used: &[TextKey],
    ) {
        if new.is_empty() {
            return;
        }
        memo.known.extend(new);
        let bytes = if memo.known.len() > MOST {
            let used: std::collections::HashSet<&TextKey> = used.iter().collect();
            memo.encode(|k| used.contains(k))
        } else {
            memo.encode(|_| true)
        };
        let dir = self.state_dir().join("cache");
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = super::fsio::replace_unsynced(&dir.join(FILE), |w| w.write_all(&bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_reads_back_only_for_its_method_and_only_whole() {
        let mut memo = Readings {
            fingerprint: 7,
            known: HashMap::new(),
        };
        memo.known.insert(text_key("太慢了"), Sentiment::Negative);
        memo.known.insert(text_key("很耐心"), Sentiment::Positive);
        let bytes = memo.encode(|_| true);
        let back = Readings::decode(&bytes, 7).expect("whole");
        assert_eq!(back.get(&text_key("太慢了")), Some(Sentiment::Negative));
        assert_eq!(back.get(&text_key("没见过")), None);
        assert!(Readings::decode(&bytes, 8).is_none(), "another method");
        for cut in 0..bytes.len() {
            assert!(Readings::decode(&bytes[..cut], 7).is_none());
        }
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(Readings::decode(&bad, 7).is_none());
    }

    proptest::proptest! {
        /// A memo from disk, whatever its bytes: read or not, never a panic.
        #[test]
        fn any_bytes_read_as_a_memo_or_not_at_all(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = Readings::decode(&bytes, 7);
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&7u64.to_le_bytes());
            framed.extend_from_slice(&bytes);
            let sum = checksum(&framed);
            framed.extend_from_slice(&sum.to_le_bytes());
            let _ = Readings::decode(&framed, 7);
        }
    }
}
