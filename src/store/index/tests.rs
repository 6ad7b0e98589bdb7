//! The mechanism on an index of its own: text files in `notes/`, each
//! recorded as its first line and length.

use std::cell::Cell;

use super::format::Reader;
use super::*;
use crate::store::walk::{yaml_files, Depth};

thread_local! {
    /// How far this thread's refreshes see the clock ahead, so that files
    /// just written count as settled without waiting out the racy window.
    pub(super) static LATER: Cell<i128> = const { Cell::new(0) };
}

struct Notes;

impl Folder for Notes {
    type Parsed = String;
    const DIR: &'static str = "notes";

    fn files(store: &Store, stat: bool) -> Result<Vec<Listed>> {
        Ok(yaml_files(&store.root, Self::DIR, Depth::Flat, stat)?
            .into_iter()
            .map(|f| Listed {
                key: f.key.filter(|_| f.regular),
                ino: f.ino,
                name: f.rel,
            })
            .collect())
    }

    /// A file at a time, so that every test here goes through runs: old
    /// entries remembered until the new file is started, a file found
    /// stale only at its end.
    fn runs(store: &Store, each: &mut dyn FnMut(Vec<Listed>)) -> Result<()> {
        for listed in Self::files(store, true)? {
            each(vec![listed]);
        }
        Ok(())
    }

    fn parse(store: &Store, name: &str, _open: &OpenFolder) -> Result<String> {
        let path = store.root.join(Self::DIR).join(name);
        crate::store::read_file(&path, &path)
    }
}

/// A note's first line and length.
struct Lines;

impl Derived for Lines {
    type Folder = Notes;
    type Record = (String, u64);
    const NAME: &'static str = "test-lines";
    const FILE: &'static str = "test-lines.bin";
    const MAGIC: &'static [u8; 8] = b"DESKT001";

    fn derive(text: &String) -> (String, u64) {
        let first = text.lines().next().unwrap_or_default();
        (first.to_string(), text.len() as u64)
    }

    fn companions() -> &'static [&'static dyn Slot<String>] {
        &[&Of::<Words>::SLOT]
    }
}

/// A note's word count, an index every writer may trust whole.
struct Words;

impl Derived for Words {
    type Folder = Notes;
    type Record = u64;
    const NAME: &'static str = "test-words";
    const FILE: &'static str = "test-words.bin";
    const MAGIC: &'static [u8; 8] = b"DESKT002";
    const COMPLETE: bool = true;

    fn derive(text: &String) -> u64 {
        text.split_whitespace().count() as u64
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), &crate::config::Config::seed_defaults()).unwrap();
    std::fs::create_dir(store.root.join("notes")).unwrap();
    for (name, text) in [
        ("a", "alpha one\n"),
        ("b", "beta two words\n"),
        ("c", "gamma\n"),
    ] {
        write(&store, name, text);
    }
    (dir, store)
}

/// Written as a new file renamed into place, as desk and git write.
fn write(store: &Store, name: &str, text: &str) {
    let path = store.root.join("notes").join(format!("{name}.yaml"));
    let tmp = store.root.join("notes").join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Every note's record through a refresh of `Lines`, and how many files
/// were parsed; `settled`: as if the files had been written long ago.
fn lines(store: &Store, settled: bool) -> (Vec<(String, String, u64)>, usize) {
    LATER.with(|l| l.set(if settled { 10_000_000_000 } else { 0 }));
    let mut seen = Vec::new();
    let r = store
        .refresh::<Lines>(
            store.open_index::<Lines>(),
            false,
            |i, name, (first, len)| seen.push((i, name.to_string(), first, len)),
        )
        .unwrap();
    LATER.with(|l| l.set(0));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    seen.sort();
    let records = seen.into_iter().map(|(_, n, f, l)| (n, f, l)).collect();
    (records, r.parsed)
}

fn record(name: &str, first: &str, len: u64) -> (String, String, u64) {
    (format!("{name}.yaml"), first.to_string(), len)
}

fn index_file(store: &Store, file: &str) -> std::path::PathBuf {
    store.index_path(file)
}

/// The names in an index file, and whether it is whole.
fn entries(store: &Store, file: &str, magic: &[u8; 8]) -> (Vec<String>, bool) {
    let bytes = std::fs::read(index_file(store, file)).unwrap();
    let mut reader = Reader::new(&bytes, magic);
    let names = reader.by_ref().map(|e| e.name.to_string()).collect();
    (names, reader.whole())
}

#[test]
fn a_changed_file_is_derived_again_alone_and_a_removed_one_dropped() {
    let (_dir, store) = store();
    let expected = vec![
        record("a", "alpha one", 10),
        record("b", "beta two words", 15),
        record("c", "gamma", 6),
    ];
    assert_eq!(lines(&store, true), (expected.clone(), 3));
    assert_eq!(lines(&store, true), (expected, 0), "all from the index");

    write(&store, "b", "beta\nchanged\n");
    let (records, parsed) = lines(&store, true);
    assert_eq!(parsed, 1, "only the changed file");
    assert_eq!(records[1], record("b", "beta", 13));

    std::fs::remove_file(store.root.join("notes/c.yaml")).unwrap();
    let (records, parsed) = lines(&store, true);
    assert_eq!((records.len(), parsed), (2, 0));
    for (file, magic) in [(Lines::FILE, Lines::MAGIC), (Words::FILE, Words::MAGIC)] {
        assert_eq!(
            entries(&store, file, magic),
            (vec!["a.yaml".into(), "b.yaml".into()], true),
            "{file}"
        );
    }
}

#[test]
fn an_index_found_stale_only_at_its_end_is_still_written_whole() {
    use std::os::unix::fs::MetadataExt;
    let (_dir, store) = store();
    write(&store, "d", "delta\n");
    lines(&store, true);
    let path = index_file(&store, Lines::FILE);
    let inode = || std::fs::metadata(&path).unwrap().ino();
    let before = inode();
    assert_eq!(lines(&store, true).1, 0);
    assert_eq!(inode(), before, "unchanged: not rewritten");
    // Every entry sound but the trailer cut: known only at the end, when
    // the runs are gone; the entries kept come from the old file.
    let bytes = std::fs::read(&path).unwrap();
    let cut = path.with_extension("cut");
    std::fs::write(&cut, &bytes[..bytes.len() - 12]).unwrap();
    std::fs::rename(&cut, &path).unwrap();
    let (records, parsed) = lines(&store, true);
    assert_eq!((records.len(), parsed), (4, 0), "every entry reused");
    let all: Vec<String> = ["a", "b", "c", "d"].map(|n| format!("{n}.yaml")).into();
    assert_eq!(entries(&store, Lines::FILE, Lines::MAGIC), (all, true));
    // The first file removed and the third changed: spans before and
    // after a fresh entry.
    std::fs::remove_file(store.root.join("notes/a.yaml")).unwrap();
    write(&store, "c", "gamma\nagain\n");
    let (records, parsed) = lines(&store, true);
    assert_eq!((records.len(), parsed), (3, 1));
    assert_eq!(records[1], record("c", "gamma", 12));
    let rest: Vec<String> = ["b", "c", "d"].map(|n| format!("{n}.yaml")).into();
    for (file, magic) in [(Lines::FILE, Lines::MAGIC), (Words::FILE, Words::MAGIC)] {
        assert_eq!(entries(&store, file, magic), (rest.clone(), true), "{file}");
    }
    assert_eq!(lines(&store, true), (records, 0));
}

#[test]
fn a_refresh_that_writes_nothing_still_removes_what_a_killed_one_left() {
    let (_dir, store) = store();
    lines(&store, true);
    // A refresh killed while another completed the index: nothing left to
    // write for the next one, which must still sweep.
    let dead = index_file(&store, ".test-lines.bin.4194303.0.tmp");
    let live = index_file(
        &store,
        &format!(".test-lines.bin.{}.9.tmp", std::process::id()),
    );
    std::fs::write(&dead, b"half").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    assert_eq!(lines(&store, true).1, 0);
    assert!(!dead.exists(), "a dead writer's file is removed");
    assert!(live.exists(), "a live writer's file is left");
}

#[test]
fn an_index_of_another_format_is_not_read_however_long() {
    let (_dir, store) = store();
    lines(&store, true);
    // Another build's mark on a file longer than a chunk (1 MiB), its
    // entries sound: none of them may be taken for this build's records.
    let path = index_file(&store, Lines::FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[7] ^= 1;
    let mut long = bytes[..8].to_vec();
    long.resize(1 << 20, 0xff);
    long.extend_from_slice(&bytes[8..]);
    std::fs::write(&path, &long).unwrap();
    let (records, parsed) = lines(&store, true);
    assert_eq!((records.len(), parsed), (3, 3), "every file parsed again");
    let all: Vec<String> = ["a", "b", "c"].map(|n| format!("{n}.yaml")).into();
    assert_eq!(entries(&store, Lines::FILE, Lines::MAGIC), (all, true));
}

#[test]
fn one_parse_feeds_an_index_and_its_companions() {
    let (_dir, store) = store();
    assert_eq!(lines(&store, true).1, 3, "three files, parsed once each");
    let words = Whole::of::<Words>(store.map_index::<Words>().0, |_| {}).expect("whole");
    let counts: Vec<u64> = (0..)
        .map_while(|i| words.entry(i))
        .map(|e| Words::decode(e.record.unwrap()).unwrap())
        .collect();
    assert_eq!(counts, [2, 3, 1]);
    // A companion missing alone is rebuilt from one parse of every file.
    std::fs::remove_file(index_file(&store, Words::FILE)).unwrap();
    assert_eq!(lines(&store, true).1, 3);
    assert_eq!(entries(&store, Words::FILE, Words::MAGIC).0.len(), 3);
    assert_eq!(lines(&store, true).1, 0);
}

#[test]
fn a_damaged_or_foreign_file_is_rebuilt_without_a_word() {
    let (_dir, store) = store();
    let (expected, _) = lines(&store, true);
    let path = index_file(&store, Lines::FILE);
    let good = std::fs::read(&path).unwrap();
    let mut foreign = good.clone();
    foreign[7] = b'9';
    let damaged = [
        (b"garbage".to_vec(), 3),
        (good[..good.len() / 2].to_vec(), 2),
        (good[..good.len() - 1].to_vec(), 0),
        (foreign, 3),
        (Vec::new(), 3),
    ];
    for (bytes, reparsed) in damaged {
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            lines(&store, true),
            (expected.clone(), reparsed),
            "{bytes:?}"
        );
        assert!(
            entries(&store, Lines::FILE, Lines::MAGIC).1,
            "rewritten whole"
        );
    }
}

#[test]
fn an_entry_failing_its_checksum_is_not_trusted() {
    let (_dir, store) = store();
    let (expected, _) = lines(&store, true);
    let path = index_file(&store, Lines::FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // "beta two" becomes "beta twn": the entry still decodes, but its
    // checksum no longer matches.
    let at = memchr::memmem::find(&bytes, b"beta two").unwrap() + 7;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(lines(&store, true), (expected, 1), "b parsed again");
    let words = Whole::of::<Words>(
        std::fs::read(index_file(&store, Words::FILE)).unwrap(),
        |_| {},
    );
    assert!(words.is_some());
    let mut bytes = std::fs::read(index_file(&store, Words::FILE)).unwrap();
    let last = bytes.len() - 13;
    bytes[last] ^= 0x01;
    assert!(
        Whole::of::<Words>(bytes, |_| {}).is_none(),
        "a writer trusts none of it"
    );
}

#[test]
fn files_too_recent_to_trust_are_left_out_and_cost_no_rewrite() {
    use std::os::unix::fs::MetadataExt;
    let (_dir, store) = store();
    let path = index_file(&store, Lines::FILE);
    assert_eq!(lines(&store, false).1, 3);
    assert!(!path.exists(), "nothing to keep, nothing written");
    lines(&store, true);
    let inode = std::fs::metadata(&path).unwrap().ino();
    write(&store, "b", "beta again\n");
    assert_eq!(lines(&store, false).1, 1);
    assert_eq!(lines(&store, false).1, 1, "parsed again: not trusted yet");
    assert_eq!(
        std::fs::metadata(&path).unwrap().ino(),
        inode,
        "not rewritten"
    );
    // The old entry of b is refused by its identity.
    assert_eq!(lines(&store, false).0[1], record("b", "beta again", 11));
    // A complete index names them all, as not settled.
    let words = Whole::of::<Words>(store.map_index::<Words>().0, |e| {
        assert_eq!(e.settled, e.name != "b.yaml", "{}", e.name)
    });
    assert!(words.is_some_and(|w| w.entry(2).is_some()));
}

#[test]
fn a_whole_index_names_its_folder_until_a_file_is_added() {
    let (_dir, store) = store();
    lines(&store, true);
    let whole = || Whole::of::<Words>(store.map_index::<Words>().0, |_| {}).unwrap();
    let folder = || store.folder_key::<Notes>().unwrap();
    assert!(whole().names_folder::<Notes>(&store, folder()).unwrap());
    write(&store, "d", "delta\n");
    assert!(!whole().names_folder::<Notes>(&store, folder()).unwrap());
    // A writer records what it wrote; the index names the folder again.
    let old = whole();
    let key = FileKey::of(&std::fs::metadata(store.root.join("notes/d.yaml")).unwrap());
    let frame = Words::frame("d.yaml", &key, now_nanos(), Some(&1));
    let (header, _) = store.settled_folder::<Notes>(super::write_began()).unwrap();
    assert!(store.write_merged::<Words>(&old, vec![("d.yaml".into(), frame)], &header));
    let after = whole();
    assert_eq!(after.entry(3).map(|e| e.name), Some("d.yaml"));
    assert!(after.entry(4).is_none());
    assert!(after.names_folder::<Notes>(&store, folder()).unwrap());
}
