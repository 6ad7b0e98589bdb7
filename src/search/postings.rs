//! Postings: for each term, the documents holding it and how often, laid
//! out so that a search reads them in place. One [`Segment`] per folder of
//! tickets; a query looks up its few terms in each (a binary search of the
//! sorted term table) instead of reading every document's terms.
//!
//! The layout (little-endian, offsets in bytes from the section's start):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `DESKP002` |
//! | 4, 4, 8, 4, 4 | documents, terms, total length in terms, blob bytes, postings bytes |
//! | 20 a document | its length in terms, name (offset, bytes) and meta (offset, bytes) in the blob |
//! | 20 a term | the term (offset, bytes) in the blob, its postings (offset, bytes) and how many |
//! | blob | the names, metas and terms |
//! | postings | per term, by document: the document's number less the previous one's, then the weighted count, each a LEB128 varint |
//!
//! Terms are sorted by their bytes. A meta is the caller's: the store keeps
//! a ticket's summary there, so that filters need no other file. Every read
//! is bounds-checked: a damaged segment gives no answer, never a panic.

use std::collections::BTreeMap;

use super::{idf, score, Document, Query};

const MAGIC: &[u8; 8] = b"DESKP002";
const HEAD: usize = 32;
const DOC_ROW: usize = 20;
const TERM_ROW: usize = 20;

/// One document given to [`build`]: its name, terms and meta.
pub struct Entry<'a> {
    pub name: &'a str,
    pub doc: &'a Document,
    pub meta: &'a [u8],
}

/// The segment of `entries`, in their order (a document's number is its
/// place).
pub fn build(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut blob: Vec<u8> = Vec::new();
    let mut docs: Vec<u8> = Vec::with_capacity(entries.len() * DOC_ROW);
    let mut postings: BTreeMap<&str, Vec<(u32, u16)>> = BTreeMap::new();
    let mut total_len = 0u64;
    for (number, e) in entries.iter().enumerate() {
        let number = u32::try_from(number).expect("fewer than 2^32 tickets a folder");
        total_len += u64::from(e.doc.len);
        docs.extend_from_slice(&e.doc.len.to_le_bytes());
        push_str(&mut docs, &mut blob, e.name.as_bytes());
        push_str(&mut docs, &mut blob, e.meta);
        for (term, count) in e.doc.terms.split_terminator('\n').zip(&e.doc.counts) {
            postings.entry(term).or_default().push((number, *count));
        }
    }
    let mut terms: Vec<u8> = Vec::with_capacity(postings.len() * TERM_ROW);
    let mut posts: Vec<u8> = Vec::new();
    for (term, list) in &postings {
        push_str(&mut terms, &mut blob, term.as_bytes());
        let start = posts.len();
        let mut previous = 0u32;
        for &(doc, count) in list {
            varint(&mut posts, doc - previous);
            varint(&mut posts, u32::from(count));
            previous = doc;
        }
        terms.extend_from_slice(&(start as u32).to_le_bytes());
        terms.extend_from_slice(&((posts.len() - start) as u32).to_le_bytes());
        terms.extend_from_slice(&(list.len() as u32).to_le_bytes());
    }
    let mut out = Vec::with_capacity(HEAD + docs.len() + terms.len() + blob.len() + posts.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    out.extend_from_slice(&total_len.to_le_bytes());
    out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    out.extend_from_slice(&(posts.len() as u32).to_le_bytes());
    out.extend_from_slice(&docs);
    out.extend_from_slice(&terms);
    out.extend_from_slice(&blob);
    out.extend_from_slice(&posts);
    out
}

/// Appends `n` as a LEB128 varint: seven bits a byte, low first, the high
/// bit set on every byte but the last.
fn varint(out: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The varint at the start of `bytes` and what follows it; none when cut
/// short or longer than a u32 needs.
fn read_varint(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut n = 0u32;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        n |= u32::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// Appends `bytes` to the blob and its (offset, length) to `row`.
fn push_str(row: &mut Vec<u8>, blob: &mut Vec<u8>, bytes: &[u8]) {
    row.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    row.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    blob.extend_from_slice(bytes);
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A segment read in place.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    docs: u32,
    terms: u32,
    total_len: u64,
    doc_rows: &'a [u8],
    term_rows: &'a [u8],
    blob: &'a [u8],
    posts: &'a [u8],
}

/// One document of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocRef<'a> {
    pub name: &'a str,
    pub len: u32,
    pub meta: &'a [u8],
}

impl<'a> Segment<'a> {
    /// The segment `bytes` hold, if they are one (sizes that add up).
    pub fn parse(bytes: &'a [u8]) -> Option<Segment<'a>> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let docs = u32_at(rest, 0)?;
        let terms = u32_at(rest, 4)?;
        let total_len = u64::from_le_bytes(rest.get(8..16)?.try_into().ok()?);
        let blob_len = u32_at(rest, 16)? as usize;
        let posts_len = u32_at(rest, 20)? as usize;
        let body = bytes.get(HEAD..)?;
        let (doc_rows, body) = body.split_at_checked(docs as usize * DOC_ROW)?;
        let (term_rows, body) = body.split_at_checked(terms as usize * TERM_ROW)?;
        let (blob, posts) = body.split_at_checked(blob_len)?;
        (posts.len() == posts_len).then_some(())?;
        Some(Segment {
            docs,
            terms,
            total_len,
            doc_rows,
            term_rows,
            blob,
            posts,
        })
    }

    pub fn docs(&self) -> u32 {
        self.docs
    }

    pub fn total_len(&self) -> u64 {
        self.total_len
    }

    fn blob_slice(&self, row: &[u8], at: usize) -> Option<&'a [u8]> {
        let off = u32_at(row, at)? as usize;
        let len = u32_at(row, at + 4)? as usize;
        self.blob.get(off..off.checked_add(len)?)
    }

    /// Document `number`, if the segment has it.
    pub fn doc(&self, number: u32) -> Option<DocRef<'a>> {
        let at = number as usize * DOC_ROW;
        let row = self.doc_rows.get(at..at + DOC_ROW)?;
        Some(DocRef {
            len: u32_at(row, 0)?,
            name: std::str::from_utf8(self.blob_slice(row, 4)?).ok()?,
            meta: self.blob_slice(row, 12)?,
        })
    }

    /// The documents holding `term`, with its count in each, by document.
    /// A damaged list ends where it stops making sense.
    pub fn postings(&self, term: &str) -> impl Iterator<Item = (u32, u16)> + 'a {
        let (mut rest, _) = self.find(term.as_bytes()).unwrap_or((&[], 0));
        let mut doc = 0u32;
        let mut first = true;
        std::iter::from_fn(move || {
            let (delta, after) = read_varint(rest)?;
            let (count, after) = read_varint(after)?;
            // Documents ascend: a repeat or a wrap is damage.
            doc = if first {
                delta
            } else {
                doc.checked_add(delta).filter(|_| delta > 0)?
            };
            first = false;
            rest = after;
            Some((doc, u16::try_from(count).ok()?))
        })
    }

    /// Every document with its terms, as [`build`] was given them: the
    /// postings read backwards (a folder's records are kept here only, not
    /// twice). None when the segment is damaged.
    pub fn documents(&self) -> Option<Vec<(DocRef<'a>, Document)>> {
        let mut docs: Vec<(DocRef<'a>, Document)> = (0..self.docs)
            .map(|n| {
                let d = self.doc(n)?;
                let doc = Document {
                    len: d.len,
                    ..Document::default()
                };
                Some((d, doc))
            })
            .collect::<Option<_>>()?;
        for row in self.term_rows.chunks_exact(TERM_ROW) {
            let term = std::str::from_utf8(self.blob_slice(row, 0)?).ok()?;
            let mut n = 0;
            for (number, count) in self.postings(term) {
                let (_, doc) = docs.get_mut(number as usize)?;
                doc.terms.push_str(term);
                doc.terms.push('\n');
                doc.counts.push(count);
                n += 1;
            }
            (n == u32_at(row, 16)?).then_some(())?;
        }
        Some(docs)
    }

    /// How many documents hold `term`.
    pub fn holding(&self, term: &str) -> u32 {
        self.find(term.as_bytes()).map_or(0, |(_, n)| n)
    }

    /// The postings bytes of `term` and their number: a binary search of
    /// the term table.
    fn find(&self, term: &[u8]) -> Option<(&'a [u8], u32)> {
        let (mut low, mut high) = (0usize, self.terms as usize);
        while low < high {
            let mid = (low + high) / 2;
            let row = self.term_rows.get(mid * TERM_ROW..(mid + 1) * TERM_ROW)?;
            match self.blob_slice(row, 0)?.cmp(term) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => {
                    let first = u32_at(row, 8)? as usize;
                    let len = u32_at(row, 12)? as usize;
                    let list = self.posts.get(first..first.checked_add(len)?)?;
                    return Some((list, u32_at(row, 16)?));
                }
            }
        }
        None
    }
}

/// A document found in segments: which segment, which document, its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored<'a> {
    pub segment: usize,
    pub doc: DocRef<'a>,
    pub score: f64,
    /// How often it holds each of the query's terms.
    pub counts: Vec<u16>,
}

/// The documents of `segments` that hold a term of `query` and none of its
/// excluded words, ranked by BM25 over all of them, best first (ties by
/// name, the highest first: the newest ticket IDs). `eligible` says which
/// may be shown: every document counts for the statistics all the same, so
/// a filter does not change the scores.
pub fn rank<'a>(
    query: &Query,
    segments: &[Segment<'a>],
    mut eligible: impl FnMut(&DocRef<'a>) -> bool,
) -> Vec<Scored<'a>> {
    let n: u64 = segments.iter().map(|s| u64::from(s.docs)).sum();
    let total: u64 = segments.iter().map(Segment::total_len).sum();
    let avg = (total as f64 / n.max(1) as f64).max(1.0);
    let df: Vec<f64> = query
        .terms
        .iter()
        .map(|t| {
            segments
                .iter()
                .map(|s| f64::from(s.holding(t)))
                .sum::<f64>()
        })
        .collect();
    let idf: Vec<f64> = df.iter().map(|&d| idf(n as f64, d)).collect();
    let mut out = Vec::new();
    for (number, segment) in segments.iter().enumerate() {
        let mut counts: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
        for (i, term) in query.terms.iter().enumerate() {
            for (doc, count) in segment.postings(term) {
                counts
                    .entry(doc)
                    .or_insert_with(|| vec![0; query.terms.len()])[i] = count;
            }
        }
        for word in &query.excluded {
            let mut holding: Option<Vec<u32>> = None;
            for term in word {
                let docs: Vec<u32> = segment.postings(term).map(|(d, _)| d).collect();
                holding = Some(match holding {
                    None => docs,
                    Some(before) => before.into_iter().filter(|d| docs.contains(d)).collect(),
                });
            }
            for doc in holding.unwrap_or_default() {
                counts.remove(&doc);
            }
        }
        for (doc, counts) in counts {
            let Some(found) = segment.doc(doc) else {
                continue;
            };
            if !eligible(&found) {
                continue;
            }
            out.push(Scored {
                segment: number,
                score: score(&counts, &idf, found.len, avg),
                doc: found,
                counts,
            });
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.doc.name.cmp(a.doc.name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_what_no_u32_is() {
        for n in [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut out = Vec::new();
            varint(&mut out, n);
            assert_eq!(read_varint(&out), Some((n, &[][..])), "{n}");
        }
        assert_eq!(read_varint(&[0x80]), None);
        assert_eq!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
    }

    #[test]
    fn many_documents_a_term_read_back_in_order() {
        let docs: Vec<Document> = (0..1000)
            .map(|i| Document::of_texts(&format!("开机 {i}"), ["x"]))
            .collect();
        let names: Vec<String> = (0..1000).map(|i| format!("T{i:04}.yaml")).collect();
        let entries: Vec<Entry> = docs
            .iter()
            .zip(&names)
            .map(|(doc, name)| Entry {
                name,
                doc,
                meta: b"",
            })
            .collect();
        let bytes = build(&entries);
        let s = Segment::parse(&bytes).unwrap();
        let found: Vec<u32> = s.postings("开机").map(|(d, _)| d).collect();
        assert_eq!(found, (0..1000).collect::<Vec<u32>>());
        assert_eq!(s.holding("开机"), 1000);
    }

    fn doc(title: &str, text: &str) -> Document {
        Document::of_texts(title, [text])
    }

    #[test]
    fn a_segment_reads_back_what_was_built() {
        let a = doc("无法开机", "升级后无法开机 firmware");
        let b = doc("发票", "需要发票 invoice");
        let bytes = build(&[
            Entry {
                name: "A.yaml",
                doc: &a,
                meta: b"ma",
            },
            Entry {
                name: "B.yaml",
                doc: &b,
                meta: b"",
            },
        ]);
        let s = Segment::parse(&bytes).expect("a segment");
        assert_eq!(s.docs(), 2);
        assert_eq!(s.total_len(), u64::from(a.len + b.len));
        assert_eq!(
            s.doc(0),
            Some(DocRef {
                name: "A.yaml",
                len: a.len,
                meta: b"ma"
            })
        );
        assert_eq!(s.doc(2), None);
        let open: Vec<(u32, u16)> = s.postings("开机").collect();
        assert_eq!(open, [(0, a.count("开机"))]);
        assert_eq!(s.postings("firmware").count(), 1);
        assert_eq!(s.postings("invoice").collect::<Vec<_>>(), [(1, 1)]);
        assert_eq!(s.postings("nothing").count(), 0);
        assert_eq!(s.holding("开机"), 1);
        // Read backwards, the documents are the ones given.
        let back = s.documents().expect("whole");
        assert_eq!(back[0].1, a);
        assert_eq!(back[1].1, b);
        assert_eq!(back[1].0.name, "B.yaml");
        assert_eq!(s.holding("nothing"), 0);
    }

    #[test]
    fn damaged_segments_give_no_answer_and_never_panic() {
        let a = doc("无法开机", "升级后无法开机");
        let bytes = build(&[Entry {
            name: "A.yaml",
            doc: &a,
            meta: b"",
        }]);
        for cut in 0..bytes.len() {
            assert!(Segment::parse(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        // Every single byte changed: an answer or none, never a panic.
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0xA5;
            if let Some(s) = Segment::parse(&bad) {
                let _ = s.postings("开机").count();
                let _ = s.doc(0);
                let _ = s.documents();
            }
        }
    }

    #[test]
    fn ranking_over_segments_matches_ranking_one_document_at_a_time() {
        let texts = [
            ("设备无法开机", "升级固件后无法开机，长按也不行"),
            ("打印机离线", "printer offline after update"),
            ("开机很慢", "每次开机要五分钟"),
            ("发票", "发票抬头错误"),
        ];
        let docs: Vec<Document> = texts.iter().map(|(t, b)| doc(t, b)).collect();
        let names: Vec<String> = (0..docs.len()).map(|i| format!("T{i}.yaml")).collect();
        let entries: Vec<Entry> = docs
            .iter()
            .zip(&names)
            .map(|(d, n)| Entry {
                name: n,
                doc: d,
                meta: b"",
            })
            .collect();
        // Two segments: the statistics are those of all documents.
        let first = build(&entries[..2]);
        let second = build(&entries[2..]);
        let segments = [
            Segment::parse(&first).unwrap(),
            Segment::parse(&second).unwrap(),
        ];
        let query = Query::parse("无法开机 update -发票");
        let ranked: Vec<(&str, f64)> = rank(&query, &segments, |_| true)
            .iter()
            .map(|s| (s.doc.name, s.score))
            .collect();
        let mut one_by_one = super::super::Ranking::new(&query);
        for (d, n) in docs.iter().zip(&names) {
            one_by_one.add(n, d, true);
        }
        let expected: Vec<(String, f64)> = one_by_one
            .hits()
            .into_iter()
            .map(|h| (h.key, h.score))
            .collect();
        assert_eq!(ranked.len(), expected.len());
        for ((name, score), (key, want)) in ranked.iter().zip(&expected) {
            assert_eq!(name, key);
            assert!((score - want).abs() < 1e-9, "{name}: {score} vs {want}");
        }
        assert_eq!(ranked[0].0, "T0.yaml");
        // A filter leaves documents out, not their weight in the statistics.
        let filtered = rank(&query, &segments, |d| d.name != "T0.yaml");
        let t2 = |r: &[Scored]| r.iter().find(|s| s.doc.name == "T2.yaml").unwrap().score;
        assert_eq!(t2(&filtered), t2(&rank(&query, &segments, |_| true)));
    }

    proptest::proptest! {
        /// Bytes from disk, whatever they are: an answer or none, never a
        /// panic, and bounded work (every list read ends).
        #[test]
        fn any_bytes_read_as_a_segment_or_not_at_all(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            term in "\\PC{0,4}",
        ) {
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&bytes);
            for candidate in [&bytes[..], &framed[..]] {
                if let Some(s) = Segment::parse(candidate) {
                    let _ = s.postings(&term).take(10_000).count();
                    let _ = s.holding(&term);
                    let _ = s.doc(0);
                    let _ = s.documents();
                }
            }
        }

        /// What is built reads back: every document's terms and counts.
        #[test]
        fn built_segments_read_back(
            texts in proptest::collection::vec("\\PC{0,40}", 1..8),
        ) {
            let docs: Vec<Document> = texts.iter().map(|t| Document::of_texts(t, [t.as_str()])).collect();
            let names: Vec<String> = (0..docs.len()).map(|i| format!("T{i}.yaml")).collect();
            let entries: Vec<Entry> = docs
                .iter()
                .zip(&names)
                .map(|(doc, name)| Entry { name, doc, meta: b"m" })
                .collect();
            let bytes = build(&entries);
            let s = Segment::parse(&bytes).expect("a segment");
            let back = s.documents().expect("whole");
            for ((d, doc), want) in back.iter().zip(&docs) {
                proptest::prop_assert_eq!(doc, want);
                proptest::prop_assert_eq!(d.meta, b"m");
            }
        }
    }
}
