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

/// How much of an index file a [`Scanner`] reads at a time.
const CHUNK: usize = 1 << 20;

/// Where an index file's bytes come from: memory, or an open file read a
/// piece at a time (each read says where, so two readers of one open file
/// do not disturb each other).
pub(crate) trait Bytes {
    fn len(&self) -> u64;
    /// Reads bytes at `at` into `buf`: how many (0 at the end).
    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize>;
}

impl Bytes for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = usize::try_from(at)
            .ok()
            .and_then(|at| self.get(at..))
            .unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

/// An open index file and its length when opened.
pub(crate) struct OpenFile(pub std::fs::File, pub u64);

impl Bytes for OpenFile {
    fn len(&self) -> u64 {
        self.1
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::{Read, Seek, SeekFrom};
        self.0.seek(SeekFrom::Start(at))?;
        self.0.read(buf)
    }
}

/// What a [`Scanner`] found besides the entries, once at the end.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Scanned {
    /// See [`Reader::whole`].
    pub whole: bool,
    /// Whether the file held any byte at all.
    pub any: bool,
}

/// The entry a [`Scanner`] stands on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Current {
    pub key: FileKey,
    pub settled: bool,
    /// Where the record's encoding is in the scanner's buffer, if any.
    record: Option<(usize, usize)>,
    /// The frame's place in the file and its length.
    pub frame_at: u64,
    pub frame_len: u32,
}

/// Reads an index file's entries one at a time, in name order, as a
/// [`Reader`] of the whole file does, but holding a chunk of it (or one
/// larger frame) in memory, not the file: [`Scanner::advance`] moves to
/// the next entry, which the accessors show until the next move.
pub(crate) struct Scanner<B: Bytes> {
    bytes: B,
    magic: &'static [u8; 8],
    chunk: usize,
    buf: Vec<u8>,
    /// Where `buf` starts in the file, and where the next entry starts in
    /// `buf`.
    base: u64,
    at: usize,
    /// The file ended (or failed) before its length.
    eof: bool,
    /// The reading's state between entries (see [`Reader`]).
    started: bool,
    header: Option<Header>,
    read: u64,
    damaged: bool,
    /// The current entry's name (the last one read), and a spare string.
    name: String,
    spare: String,
    current: Option<Current>,
    end: Option<Scanned>,
}

/// What one step of a [`Scanner`] met.
enum Step {
    Entry(Current, usize),
    More { wants: usize, at: usize },
    End(Scanned),
}

impl<B: Bytes> Scanner<B> {
    pub(crate) fn new(bytes: B, magic: &'static [u8; 8]) -> Scanner<B> {
        Scanner::with_chunk(bytes, magic, CHUNK)
    }

    fn with_chunk(bytes: B, magic: &'static [u8; 8], chunk: usize) -> Scanner<B> {
        Scanner {
            bytes,
            magic,
            chunk,
            buf: Vec::new(),
            base: 0,
            at: 0,
            eof: false,
            started: false,
            header: None,
            read: 0,
            damaged: false,
            name: String::new(),
            spare: String::new(),
            current: None,
            end: None,
        }
    }

    /// Reads on until `buf` holds `need` bytes (or the file ends); `drop`:
    /// first forget what was read before the next entry.
    fn fill(&mut self, need: usize, drop: bool) {
        if drop {
            self.buf.drain(..self.at);
            self.base += self.at as u64;
            self.at = 0;
        }
        let want = need.max(self.chunk);
        while self.buf.len() < want && !self.eof {
            let pos = self.base + self.buf.len() as u64;
            let left = self.bytes.len().saturating_sub(pos);
            if left == 0 {
                break;
            }
            let old = self.buf.len();
            let room = (want - old).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.buf.resize(old + room, 0);
            match self.bytes.read_at(pos, &mut self.buf[old..]) {
                Ok(0) | Err(_) => {
                    self.buf.truncate(old);
                    self.eof = true;
                }
                Ok(n) => self.buf.truncate(old + n),
            }
        }
    }

    /// How many bytes of the file follow `buf`.
    fn more(&self) -> usize {
        if self.eof {
            return 0;
        }
        let read = self.base + self.buf.len() as u64;
        usize::try_from(self.bytes.len().saturating_sub(read)).unwrap_or(usize::MAX)
    }

    /// Moves to the next sound entry; false at the end of the file.
    pub(crate) fn advance(&mut self) -> bool {
        self.current = None;
        if self.end.is_some() {
            return false;
        }
        if !self.started && self.buf.is_empty() {
            self.fill(64, false);
        }
        loop {
            let more = self.more();
            let mut next_name = std::mem::take(&mut self.spare);
            next_name.clear();
            let step = {
                let mut reader = if self.started {
                    Reader {
                        bytes: &self.buf,
                        at: self.at,
                        header: self.header,
                        last: (self.read > 0).then_some(self.name.as_str()),
                        read: self.read,
                        damaged: self.damaged,
                        ended: None,
                        base: self.base as usize,
                        more,
                        wants: None,
                    }
                } else {
                    Reader::new_chunk(&self.buf, self.magic, more)
                };
                let step = match reader.next() {
                    Some(e) => {
                        next_name.push_str(e.name);
                        let end = e.frame.end - self.base as usize;
                        Step::Entry(
                            Current {
                                key: e.key,
                                settled: e.settled,
                                record: e.record.map(|r| (end - r.len(), r.len())),
                                frame_at: e.frame.start as u64,
                                frame_len: (e.frame.end - e.frame.start) as u32,
                            },
                            reader.at,
                        )
                    }
                    None => match reader.wants {
                        Some(wants) => Step::More {
                            wants,
                            at: reader.at,
                        },
                        None => Step::End(Scanned {
                            whole: reader.whole(),
                            any: self.bytes.len() > 0,
                        }),
                    },
                };
                let header_read = !self.started && reader.at > self.magic.len();
                if self.started || header_read || matches!(step, Step::Entry(..)) {
                    self.header = reader.header;
                    self.read = reader.read;
                    self.damaged = reader.damaged;
                }
                step
            };
            match step {
                Step::Entry(current, at) => {
                    self.started = true;
                    self.spare = std::mem::replace(&mut self.name, next_name);
                    self.at = at;
                    self.current = Some(current);
                    return true;
                }
                Step::More { wants, at } => {
                    self.spare = next_name;
                    if !self.started && at == self.magic.len() {
                        // The header runs past the first chunk: read it
                        // whole, from the format mark.
                        self.fill(at + wants, false);
                    } else {
                        self.started = true;
                        self.at = at;
                        self.fill(wants, true);
                    }
                }
                Step::End(scanned) => {
                    self.spare = next_name;
                    self.end = Some(scanned);
                    return false;
                }
            }
        }
    }

    /// The current entry, if the last [`Scanner::advance`] found one.
    pub(crate) fn current(&self) -> Option<Entry<'_>> {
        let c = self.current?;
        let at = c.frame_at as usize;
        Some(Entry {
            name: &self.name,
            key: c.key,
            settled: c.settled,
            record: c.record.map(|(at, len)| &self.buf[at..at + len]),
            frame: at..at + c.frame_len as usize,
        })
    }

    /// The file's header, once read (by the first step) and if sound.
    pub(crate) fn header(&self) -> Option<Header> {
        self.header
    }

    /// What the file was, once read to its end (`None` before).
    pub(crate) fn scanned(&self) -> Option<Scanned> {
        self.end
    }
}

/// Copies frames of an index file, by place, into another: reads ahead a
/// chunk at a time, since the frames a refresh copies mostly follow each
/// other.
pub(crate) struct Copier<B: Bytes> {
    bytes: B,
    buf: Vec<u8>,
    base: u64,
}

impl<B: Bytes> Copier<B> {
    pub(crate) fn new(bytes: B) -> Copier<B> {
        Copier {
            bytes,
            buf: Vec::new(),
            base: 0,
        }
    }

    /// Writes the `len` bytes at `at` to `out`, a chunk at a time: a span
    /// of many frames is never held whole.
    pub(crate) fn copy(
        &mut self,
        at: u64,
        len: u64,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let (mut at, end) = (at, at + len);
        while at < end {
            let held = self.base + self.buf.len() as u64;
            if at < self.base || at >= held {
                self.base = at;
                let left = self.bytes.len().saturating_sub(at);
                self.buf
                    .resize(CHUNK.min(usize::try_from(left).unwrap_or(CHUNK)), 0);
                let mut filled = 0;
                while filled < self.buf.len() {
                    match self
                        .bytes
                        .read_at(at + filled as u64, &mut self.buf[filled..])?
                    {
                        0 => break,
                        n => filled += n,
                    }
                }
                self.buf.truncate(filled);
                if filled == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            let from = (at - self.base) as usize;
            let n = (self.buf.len() - from).min(usize::try_from(end - at).unwrap_or(usize::MAX));
            out.write_all(&self.buf[from..from + n])?;
            at += n as u64;
        }
        Ok(())
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
        if !bytes.starts_with(magic) {
            // Another format, or none: nothing in it is read, however long
            // the file (the chunks after this one are not asked for).
            reader.more = 0;
        } else {
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
    checked_entry(bytes, frame).expect("verified when read")
}

/// The entry in a frame of `bytes`, if its checksum and encoding are sound.
pub(crate) fn checked_entry(bytes: &[u8], frame: Range<usize>) -> Option<Entry<'_>> {
    let mut reader = Reader {
        bytes: bytes.get(..frame.end)?,
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
    let entry = reader.next()?;
    (!reader.damaged && entry.frame == frame).then_some(entry)
}

/// The header of an index file that ends in a trailer, found without
/// reading its entries: for a writer that verified this very file before
/// (its write log names the file's header), which then walks its frames
/// ([`walk_frames`]) as far as it needs and checks each entry it decodes
/// ([`checked_entry`]).
pub(crate) fn header_of_ended(bytes: &[u8], magic: &[u8; 8]) -> Option<Header> {
    let reader = Reader::new(bytes, magic);
    let header = reader.header()?;
    let trailer = bytes
        .len()
        .checked_sub(FRAME_HEAD)
        .filter(|&t| t >= reader.at)?;
    let len = u32::from_le_bytes(bytes[trailer..trailer + 4].try_into().expect("4 bytes"));
    (len == TRAILER).then_some(header)
}

/// Walks the entries' frames of an index file by their lengths alone, each
/// shown to `each` until it says stop: no checksum is computed, nothing but
/// the header decoded. The header, if the walk reached a trailer with the
/// frames' count at the end of the file.
pub(crate) fn walk_frames(
    bytes: &[u8],
    magic: &[u8; 8],
    mut each: impl FnMut(Range<usize>) -> bool,
) -> Option<Header> {
    let reader = Reader::new(bytes, magic);
    let header = reader.header()?;
    let mut at = reader.at;
    let mut count = 0u64;
    loop {
        let head = bytes.get(at..at.checked_add(FRAME_HEAD)?)?;
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
        if len == TRAILER {
            let trailer = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
            let whole = at + FRAME_HEAD == bytes.len() && trailer == count;
            return whole.then_some(header);
        }
        let end = at.checked_add(FRAME_HEAD + len as usize)?;
        if end > bytes.len() || !each(at..end) {
            return None;
        }
        count += 1;
        at = end;
    }
}

/// Encodes `body` as a frame (length, checksum, body): the records of a
/// write log ([`super::write_log`]).
pub(crate) fn frame_of(body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0; FRAME_HEAD];
    bytes.extend_from_slice(body);
    seal(&mut bytes);
    bytes
}

/// The frame at `at` in `bytes`, found by its length alone (not checked).
pub(crate) fn frame_at(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let head = bytes.get(at..at.checked_add(FRAME_HEAD)?)?;
    let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
    let end = (at + FRAME_HEAD).checked_add(len as usize)?;
    (len != TRAILER && end <= bytes.len()).then_some(at..end)
}

/// The body of the frame at `at` in `bytes` and where the frame ends, if
/// the frame is whole and its checksum holds.
pub(crate) fn sound_frame(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let head = bytes.get(at..at.checked_add(FRAME_HEAD)?)?;
    let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
    let sum = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
    let end = (at + FRAME_HEAD).checked_add(len as usize)?;
    let body = bytes.get(at + FRAME_HEAD..end).filter(|_| len != TRAILER)?;
    (checksum(body) == sum).then_some((body, end))
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

    /// Each entry's name and frame.
    type Seen = Vec<(String, Range<usize>)>;

    /// What a [`Scanner`] reads of `bytes`, `chunk` bytes at a time, with
    /// each entry's frame as a [`Copier`] copies it.
    fn chunked(bytes: &[u8], chunk: usize) -> (Seen, Scanned, Option<Header>) {
        let mut seen = Vec::new();
        let mut scanner = Scanner::with_chunk(bytes, MAGIC, chunk);
        let mut copier = Copier::new(bytes);
        while scanner.advance() {
            let e = scanner.current().unwrap();
            let mut copied = Vec::new();
            let len = (e.frame.end - e.frame.start) as u64;
            copier.copy(e.frame.start as u64, len, &mut copied).unwrap();
            assert_eq!(copied, &bytes[e.frame.clone()]);
            assert_eq!(e.record, verified_entry(bytes, e.frame.clone()).record);
            seen.push((e.name.to_string(), e.frame));
        }
        assert!(scanner.current().is_none() && !scanner.advance());
        (seen, scanner.scanned().unwrap(), scanner.header())
    }

    #[test]
    fn a_file_read_in_chunks_gives_what_a_whole_reading_gives() {
        let (bytes, _) = file(&["a.yaml", "!b.yaml", "c.yaml", "d.yaml"]);
        let mut variants = vec![bytes.clone()];
        // Another format's mark (or a damaged one) on a file longer than a
        // chunk: nothing in it is read.
        for at in 0..8 {
            let mut other = bytes.clone();
            other[at] ^= 0x01;
            variants.push(other);
        }
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
            let whole: Seen = reader
                .by_ref()
                .map(|e| (e.name.to_string(), e.frame))
                .collect();
            for chunk in [1, 5, 13, 40, 64, 100, 4096] {
                let (seen, scanned, header) = chunked(bytes, chunk);
                assert_eq!(seen, whole, "chunk {chunk}");
                assert_eq!(scanned.whole, reader.whole(), "chunk {chunk}");
                assert_eq!(header, reader.header(), "chunk {chunk}");
                for (name, frame) in &seen {
                    assert_eq!(verified_entry(bytes, frame.clone()).name, name);
                }
            }
        }
    }

    #[test]
    fn a_copier_copies_spans_longer_than_a_chunk_and_any_order() {
        let bytes: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i * 7 % 251) as u8).collect();
        let mut copier = Copier::new(&bytes[..]);
        for (at, len) in [
            (10, 3 * CHUNK),
            (0, 5),
            (CHUNK - 3, 6),
            (5, 2),
            (0, bytes.len()),
        ] {
            let mut out = Vec::new();
            copier.copy(at as u64, len as u64, &mut out).unwrap();
            assert_eq!(out, &bytes[at..at + len], "{at} {len}");
        }
        let past = copier.copy(bytes.len() as u64 - 2, 5, &mut Vec::new());
        assert!(past.is_err(), "a span past the end is an error");
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
