//! The file of every derived index: its format mark, a header frame (the
//! folder's identity and when it was taken), one frame per indexed file in
//! name order, and a trailer with the number of entries.
//!
//! A frame is the body's length (u32, little-endian), its [`checksum`] (u64,
//! little-endian) and the body, so each entry is verified on its own: a
//! reading command parses again only the files whose entries are damaged.
//! The trailer (`u32::MAX`, then the count as u64) tells a complete file
//! from one cut at a frame boundary, for the writers that need every entry.
//!
//! An entry's body is postcard's encoding of the file's name, its
//! [`FileKey`], whether it had settled, then the record as an `Option`: the
//! mechanism reads the lead without knowing the record's type.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::store::checksum::checksum;
use crate::store::FileKey;

/// The bytes of a frame before its body: length and checksum.
const FRAME_HEAD: usize = 4 + 8;
/// The length that marks the trailer.
const TRAILER: u32 = u32::MAX;

/// The header: the identity of the folder when the index was taken, and
/// that moment (nanoseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub folder: Option<FileKey>,
    pub taken: i128,
}

/// The lead of an entry's body, borrowed.
#[derive(Deserialize)]
struct Lead<'a> {
    name: &'a str,
    key: FileKey,
    settled: bool,
}

/// One entry as read, borrowing the file's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    /// The file's name within its folder, as the folder lists it.
    pub name: &'a str,
    pub key: FileKey,
    /// Whether the file was older than the racy window when taken, so that
    /// its identity alone tells it unchanged.
    pub settled: bool,
    /// The record's encoding; `None`: the file could not be read.
    pub record: Option<&'a [u8]>,
    /// The whole frame in the file, to copy it unchanged.
    pub frame: Range<usize>,
}

/// Appends a record's encoding to an entry's frame.
pub(crate) type EncodeRecord<'a> = &'a dyn Fn(&mut Vec<u8>);

/// Encodes an entry as a frame; `record` appends the record's encoding.
/// Returns the frame and where the record starts in it.
pub(crate) fn entry_frame(
    name: &str,
    key: &FileKey,
    settled: bool,
    record: Option<EncodeRecord>,
) -> (Vec<u8>, usize) {
    let mut bytes = postcard::to_extend(&(name, key, settled), vec![0; FRAME_HEAD])
        .expect("names and keys serialise");
    bytes.push(u8::from(record.is_some()));
    let record_at = bytes.len();
    if let Some(encode) = record {
        encode(&mut bytes);
    }
    seal(&mut bytes);
    (bytes, record_at)
}

/// Encodes the header as a frame.
fn header_frame(header: &Header) -> Vec<u8> {
    let mut bytes = postcard::to_extend(header, vec![0; FRAME_HEAD]).expect("headers serialise");
    seal(&mut bytes);
    bytes
}

/// The trailer after `count` entries.
fn trailer(count: u64) -> [u8; 12] {
    let mut bytes = [0; 12];
    bytes[..4].copy_from_slice(&TRAILER.to_le_bytes());
    bytes[4..].copy_from_slice(&count.to_le_bytes());
    bytes
}

/// Writes the start of an index file: the format mark and the header. The
/// entries' frames follow (in name order), then [`write_trailer`].
pub(crate) fn write_head(
    w: &mut dyn std::io::Write,
    magic: &[u8; 8],
    header: &Header,
) -> std::io::Result<()> {
    w.write_all(magic)?;
    w.write_all(&header_frame(header))
}

/// Ends an index file of `count` entries.
pub(crate) fn write_trailer(w: &mut dyn std::io::Write, count: u64) -> std::io::Result<()> {
    w.write_all(&trailer(count))
}

/// Fills in the length and checksum of a frame whose body follows them.
fn seal(bytes: &mut [u8]) {
    let body = &bytes[FRAME_HEAD..];
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&l| l != TRAILER)
        .expect("an entry is far below 4 GiB");
    let sum = checksum(body);
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    bytes[4..FRAME_HEAD].copy_from_slice(&sum.to_le_bytes());
}

/// Reads an index file's entries one at a time, in name order. A damaged
/// entry (checksum, encoding, order) is skipped, a frame that runs past the
/// end stops the reading; either makes the file not [`Reader::whole`].
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    header: Option<Header>,
    last: Option<&'a str>,
    read: u64,
    damaged: bool,
    /// The count the trailer gives, once reached.
    ended: Option<u64>,
    /// Where `bytes` starts in the file (read in chunks: [`read_chunked`]).
    base: usize,
    /// How many bytes of the file follow `bytes`.
    more: usize,
    /// How many bytes from `at` the next frame needs, when it runs past
    /// `bytes` but not past the file: the next chunk must hold them.
    wants: Option<usize>,
}

/// How much of an index file [`read_chunked`] reads at a time.
const CHUNK: usize = 1 << 20;

/// What [`read_chunked`] found besides the entries.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub header: Option<Header>,
    /// See [`Reader::whole`].
    pub whole: bool,
    /// Whether the file held any byte at all.
    pub any: bool,
}

/// Reads the index file `file`, of `len` bytes, that should start with
/// `magic`, a chunk at a time: memory holds a chunk (or one larger frame),
/// not the file. Shows each sound entry to `each` in name order, with its
/// frame's place in the file; the same entries a [`Reader`] of the whole
/// file gives.
pub(crate) fn read_chunked(
    file: &mut dyn std::io::Read,
    len: u64,
    magic: &[u8; 8],
    each: &mut dyn FnMut(Entry<'_>),
) -> Scanned {
    read_in_chunks(file, len, magic, CHUNK, each)
}

fn read_in_chunks(
    file: &mut dyn std::io::Read,
    len: u64,
    magic: &[u8; 8],
    chunk: usize,
    each: &mut dyn FnMut(Entry<'_>),
) -> Scanned {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0;
    // The first chunk holds the format mark and the header.
    let mut need = chunk.max(64);
    let mut carried: Option<(Option<Header>, Option<String>, u64, bool)> = None;
    loop {
        // Up to `need` bytes, fewer at the end of the file.
        let mut eof = false;
        while !eof && buf.len() < need.min(len - base) {
            let start = buf.len();
            buf.resize(need.min(len - base), 0);
            match file.read(&mut buf[start..]) {
                Ok(0) | Err(_) => eof = true,
                Ok(n) => buf.truncate(start + n),
            }
            if eof {
                buf.truncate(start);
            }
        }
        let more = if eof { 0 } else { len - base - buf.len() };
        let prior_last = carried.as_mut().and_then(|c| c.1.take());
        let mut reader = match carried {
            None => Reader::new_chunk(&buf, magic, more),
            Some((header, _, read, damaged)) => Reader {
                bytes: &buf,
                at: 0,
                header,
                last: prior_last.as_deref(),
                read,
                damaged,
                ended: None,
                base,
                more,
                wants: None,
            },
        };
        for entry in reader.by_ref() {
            each(entry);
        }
        let Some(wants) = reader.wants else {
            return Scanned {
                header: reader.header,
                whole: reader.whole(),
                any: len > 0,
            };
        };
        let at = reader.at;
        if carried.is_none() && at == magic.len() {
            // The header itself runs past the first chunk: read it whole
            // (nothing was shown yet).
            need = at + wants;
            continue;
        }
        carried = Some((
            reader.header,
            reader.last.map(str::to_owned),
            reader.read,
            reader.damaged,
        ));
        buf.drain(..at);
        base += at;
        need = chunk.max(wants);
    }
}

impl<'a> Reader<'a> {
    /// The entries of `bytes`, a file that starts with `magic` (anything
    /// else holds none).
    pub(crate) fn new(bytes: &'a [u8], magic: &[u8; 8]) -> Reader<'a> {
        Reader::new_chunk(bytes, magic, 0)
    }

    /// The same for the first chunk of a file that has `more` bytes after it.
    fn new_chunk(bytes: &'a [u8], magic: &[u8; 8], more: usize) -> Reader<'a> {
        let mut reader = Reader {
            bytes,
            at: bytes.len(),
            header: None,
            last: None,
            read: 0,
            damaged: true,
            ended: None,
            base: 0,
            more,
            wants: None,
        };
        if bytes.starts_with(magic) {
            reader.at = magic.len();
            reader.damaged = false;
            // A damaged header leaves the entries, each verified, readable.
            if let Some(Some(body)) = reader.frame() {
                reader.header = postcard::from_bytes(body).ok();
            }
            reader.damaged |= reader.header.is_none();
        }
        reader
    }

    /// The header, if it was sound.
    pub(crate) fn header(&self) -> Option<Header> {
        self.header
    }

    /// The next frame's body: `Some(None)` if its checksum fails, `None` at
    /// the trailer or the end.
    fn frame(&mut self) -> Option<Option<&'a [u8]>> {
        if self.ended.is_some() || self.wants.is_some() {
            return None;
        }
        let rest = &self.bytes[self.at..];
        let Some(head) = rest.get(..FRAME_HEAD) else {
            self.run_past(FRAME_HEAD);
            return None;
        };
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
        let sum = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
        if len == TRAILER {
            self.ended = Some(sum);
            self.at = self.bytes.len();
            self.damaged |= rest.len() != FRAME_HEAD || self.more > 0;
            return None;
        }
        let Some(body) = rest.get(FRAME_HEAD..FRAME_HEAD + len as usize) else {
            self.run_past(FRAME_HEAD + len as usize);
            return None;
        };
        self.at += FRAME_HEAD + body.len();
        Some((checksum(body) == sum).then_some(body))
    }

    fn stop(&mut self) {
        self.at = self.bytes.len();
        self.damaged = true;
    }

    /// The next frame needs `wanted` bytes from `at`, more than `bytes`
    /// holds: the next chunk's, if the file has them, else the file is cut.
    fn run_past(&mut self, wanted: usize) {
        if wanted <= self.bytes.len() - self.at + self.more {
            self.wants = Some(wanted);
        } else {
            self.stop();
        }
    }

    /// Whether the file was read to its end and every entry was sound:
    /// only then does it name every file it was written with. Meaningful
    /// once the reader is exhausted.
    pub(crate) fn whole(&self) -> bool {
        !self.damaged && self.ended == Some(self.read)
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let start = self.at;
            let Some(body) = self.frame()? else {
                self.damaged = true;
                continue;
            };
            let frame = self.base + start..self.base + self.at;
            let Ok((lead, rest)) = postcard::take_from_bytes::<Lead>(body) else {
                self.damaged = true;
                continue;
            };
            let record = match rest.split_first() {
                Some((0, [])) => None,
                Some((1, record)) => Some(record),
                _ => {
                    self.damaged = true;
                    continue;
                }
            };
            if self.last.is_some_and(|last| last >= lead.name) {
                self.damaged = true;
                continue;
            }
            self.last = Some(lead.name);
            self.read += 1;
            return Some(Entry {
                name: lead.name,
                key: lead.key,
                settled: lead.settled,
                record,
                frame,
            });
        }
    }
}

/// The entry in a frame that a [`Reader`] has verified.
pub(crate) fn verified_entry(bytes: &[u8], frame: Range<usize>) -> Entry<'_> {
    let mut reader = Reader {
        bytes: &bytes[..frame.end],
        at: frame.start,
        header: None,
        last: None,
        read: 0,
        damaged: false,
        ended: None,
        base: 0,
        more: 0,
        wants: None,
    };
    reader.next().expect("verified when read")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"DESKT001";

    fn key(n: u64) -> FileKey {
        FileKey {
            size: n,
            mtime: (1, 2),
            ctime: (3, 4),
            inode: n,
        }
    }

    /// A file of entries named `names`, with records of their names' bytes
    /// (none for a name starting with `!`); the ranges of the entry frames.
    fn file(names: &[&str]) -> (Vec<u8>, Vec<Range<usize>>) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(header_frame(&Header {
            folder: Some(key(9)),
            taken: 99,
        }));
        let mut frames = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let record = |out: &mut Vec<u8>| out.extend_from_slice(name.as_bytes());
            let unreadable = name.starts_with('!');
            let (frame, _) = entry_frame(
                name,
                &key(i as u64),
                i % 2 == 0,
                (!unreadable).then_some(&record as &dyn Fn(&mut Vec<u8>)),
            );
            let start = bytes.len();
            bytes.extend(frame);
            frames.push(start..bytes.len());
        }
        bytes.extend(trailer(names.len() as u64));
        (bytes, frames)
    }

    fn names(bytes: &[u8]) -> (Vec<String>, bool) {
        let mut reader = Reader::new(bytes, MAGIC);
        let names = reader.by_ref().map(|e| e.name.to_string()).collect();
        (names, reader.whole())
    }

    #[test]
    fn entries_read_back_with_their_records_and_the_header() {
        let (bytes, frames) = file(&["!a.yaml", "b.yaml"]);
        let mut reader = Reader::new(&bytes, MAGIC);
        assert_eq!(
            reader.header(),
            Some(Header {
                folder: Some(key(9)),
                taken: 99
            })
        );
        let a = reader.next().unwrap();
        assert_eq!(
            (a.name, a.key, a.settled, a.record),
            ("!a.yaml", key(0), true, None)
        );
        let b = reader.next().unwrap();
        assert_eq!(
            (b.name, b.settled, b.record),
            ("b.yaml", false, Some(&b"b.yaml"[..]))
        );
        assert_eq!(b.frame, frames[1]);
        assert!(reader.next().is_none());
        assert!(reader.whole());
        assert_eq!(verified_entry(&bytes, frames[1].clone()).name, "b.yaml");
        assert_eq!(names(&bytes[..0]), (vec![], false));
        assert!(!names(b"DESKT002").1, "another format holds nothing");
    }

    #[test]
    fn a_damaged_entry_is_skipped_and_any_damage_makes_the_file_not_whole() {
        let (bytes, frames) = file(&["a.yaml", "b.yaml", "c.yaml"]);
        // Damage in b's checksum or body: b is skipped, c still read.
        for at in [
            frames[1].start + 4,
            frames[1].start + FRAME_HEAD + 3,
            frames[1].end - 1,
        ] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            assert_eq!(
                names(&damaged),
                (vec!["a.yaml".into(), "c.yaml".into()], false)
            );
        }
        // A length running past the end stops the reading.
        let mut damaged = bytes.clone();
        damaged[frames[2].start + 3] = 0xff;
        assert_eq!(
            names(&damaged),
            (vec!["a.yaml".into(), "b.yaml".into()], false)
        );
        // Every flipped bit and every cut is noticed.
        for bit in 0..bytes.len() * 8 {
            let mut bad = bytes.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!names(&bad).1, "bit {bit} flipped went unseen");
        }
        for len in 0..bytes.len() {
            assert!(!names(&bytes[..len]).1, "cut at {len}");
        }
    }

    /// What [`read_in_chunks`] reads of `bytes`, `chunk` bytes at a time.
    fn chunked(bytes: &[u8], chunk: usize) -> (Vec<(String, Range<usize>)>, Scanned) {
        let mut seen = Vec::new();
        let scanned = read_in_chunks(
            &mut &bytes[..],
            bytes.len() as u64,
            MAGIC,
            chunk,
            &mut |e| seen.push((e.name.to_string(), e.frame)),
        );
        (seen, scanned)
    }

    #[test]
    fn a_file_read_in_chunks_gives_what_a_whole_reading_gives() {
        let (bytes, _) = file(&["a.yaml", "!b.yaml", "c.yaml", "d.yaml"]);
        let mut variants = vec![bytes.clone()];
        for at in (8..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[at] ^= 0x41;
            variants.push(bad);
            variants.push(bytes[..at].to_vec());
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"after the trailer");
        variants.push(longer);
        for bytes in &variants {
            let mut reader = Reader::new(bytes, MAGIC);
            let whole: Vec<(String, Range<usize>)> = reader
                .by_ref()
                .map(|e| (e.name.to_string(), e.frame))
                .collect();
            for chunk in [1, 5, 13, 40, 64, 100, 4096] {
                let (seen, scanned) = chunked(bytes, chunk);
                assert_eq!(seen, whole, "chunk {chunk}");
                assert_eq!(scanned.whole, reader.whole(), "chunk {chunk}");
                assert_eq!(scanned.header, reader.header(), "chunk {chunk}");
                for (name, frame) in &seen {
                    assert_eq!(verified_entry(bytes, frame.clone()).name, name);
                }
            }
        }
    }

    #[test]
    fn entries_out_of_name_order_are_refused() {
        let (bytes, frames) = file(&["a.yaml", "b.yaml"]);
        let mut swapped = bytes[..frames[0].start].to_vec();
        swapped.extend_from_slice(&bytes[frames[1].clone()]);
        swapped.extend_from_slice(&bytes[frames[0].clone()]);
        swapped.extend_from_slice(&bytes[frames[1].end..]);
        assert_eq!(names(&swapped), (vec!["b.yaml".into()], false));
    }
}
