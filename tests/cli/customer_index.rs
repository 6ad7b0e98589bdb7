//! The customer index (`.desk/cache/customers.bin`): writes trust it while
//! `customers/` is unchanged, reads stat every file; neither may miss a
//! change made behind desk's back nor trust a damaged or stale index.

use std::path::PathBuf;
use std::process::Stdio;

use crate::common::{customer_add, TestEnv};

fn index(env: &TestEnv) -> PathBuf {
    env.path(".desk/cache/customers.bin")
}

fn write_log(env: &TestEnv) -> PathBuf {
    env.path(".desk/cache/customers.log")
}

fn summaries(env: &TestEnv) -> PathBuf {
    env.path(".desk/cache/customer-summaries.bin")
}

/// Flips one bit in the last character of `text` wherever it is in `bytes`.
fn flip_last(bytes: &mut [u8], text: &[u8]) {
    let mut hits = 0;
    for at in 0..=bytes.len() - text.len() {
        if &bytes[at..at + text.len()] == text {
            bytes[at + text.len() - 1] ^= 0x02;
            hits += 1;
        }
    }
    assert!(hits > 0);
}

fn customer_path(env: &TestEnv, id: &str) -> PathBuf {
    env.path(&format!("customers/{id}.yaml"))
}

/// `desk customer list --reveal` as CSV (ids, names, phones, e-mails in full).
fn listed(env: &TestEnv) -> String {
    env.run(&["customer", "list", "--reveal", "--format", "csv"])
        .ok()
        .stdout
}

#[track_caller]
fn refused_as_duplicate(env: &TestEnv, args: &[&str], holder: &str) {
    let out = env.run(args).fails(1);
    assert!(
        out.stderr
            .contains(&format!("already belongs to customer {holder}")),
        "{}",
        out.stderr
    );
}

/// Replaces a customer file the way git or `sed -i` does: a new file renamed
/// into place, here of the same size and with the old modification time.
fn replace_same_size(env: &TestEnv, id: &str, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let path = customer_path(env, id);
    let meta = std::fs::metadata(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{text}");
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text.replace(from, to)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

/// A customer file as another clone's merge or a hand would add it.
fn add_file(env: &TestEnv, id: &str, phone: &str) {
    let yaml = format!(
        "id: {id}\nkind: individual\nname: 赵六\nphone: '{phone}'\nvip: false\n\
         created: 2026-11-01T09:00:00+08:00\ncreated_by: li.na\nchanges: []\n"
    );
    // Written aside and renamed in, as git and the atomic import publish.
    let tmp = env.path(&format!("customers/.{id}.incoming"));
    std::fs::write(&tmp, yaml).unwrap();
    std::fs::rename(&tmp, customer_path(env, id)).unwrap();
}

#[test]
fn changes_behind_desks_back_reach_the_duplicate_guard() {
    let env = TestEnv::new();
    assert!(index(&env).is_file(), "writes keep the index");

    // Replaced with the same size and the old modification time: the new
    // phone is held, the old one is free again.
    replace_same_size(&env, "C000001", "13900000001", "13900000009");
    refused_as_duplicate(
        &env,
        &customer_add("individual", "甲", &["--phone", "13900000009"]),
        "C000001",
    );
    let id = env
        .run(&customer_add(
            "individual",
            "乙",
            &["--phone", "13900000001"],
        ))
        .ok()
        .stdout;
    assert_eq!(id.trim(), "C000004");

    // A file added by a merge: its values are held, its ID is taken.
    add_file(&env, "C000010", "13700000010");
    refused_as_duplicate(
        &env,
        &customer_add("individual", "丙", &["--phone", "137 0000 0010"]),
        "C000010",
    );
    refused_as_duplicate(
        &env,
        &["customer", "edit", "C000003", "--set", "phone=13700000010"],
        "C000010",
    );
    let id = env
        .run(&customer_add(
            "individual",
            "丁",
            &["--phone", "13700000011"],
        ))
        .ok()
        .stdout;
    assert_eq!(id.trim(), "C000011", "IDs continue after the merged file");

    // A deleted file frees its values.
    std::fs::remove_file(customer_path(&env, "C000003")).unwrap();
    env.run(&customer_add(
        "individual",
        "Emma C.",
        &["--email", "emma@example.com"],
    ))
    .ok();

    // An edit in place (same inode, directory untouched) is seen by the
    // next reading command, and from then on by writes.
    let path = customer_path(&env, "C000004");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("13900000001", "13600000001")).unwrap();
    assert!(listed(&env).contains("13600000001"));
    refused_as_duplicate(
        &env,
        &customer_add("individual", "戊", &["--phone", "13600000001"]),
        "C000004",
    );

    // An import is refused through the same guard.
    let csv = env.path("rows.csv");
    std::fs::write(&csv, "kind,name,phone\nindividual,己,13700000010\n").unwrap();
    let out = env
        .run(&["customer", "import", csv.to_str().unwrap()])
        .fails(1);
    assert!(out.stderr.contains("C000010"), "{}", out.stderr);
}

#[test]
fn a_file_broken_by_hand_blocks_writes_until_mended_in_place() {
    let env = TestEnv::new();
    let path = customer_path(&env, "C000002");
    let good = std::fs::read_to_string(&path).unwrap();
    // Saved by an editor that writes a new file and renames it in.
    let tmp = path.with_extension("swp");
    std::fs::write(&tmp, "id: [unclosed\n").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let out = env
        .run(&customer_add(
            "individual",
            "甲",
            &["--phone", "13700000001"],
        ))
        .fails(1);
    assert!(out.stderr.contains("C000002.yaml"), "{}", out.stderr);
    // Mended in place: the directory does not change, the file is read again.
    std::fs::write(&path, &good).unwrap();
    refused_as_duplicate(
        &env,
        &customer_add(
            "enterprise",
            "星河",
            &["--credit-code", "91350100M000100Y43"],
        ),
        "C000002",
    );
}

/// A write log's bytes, or none.
type Log = Option<Vec<u8>>;

#[test]
fn a_damaged_or_stale_index_is_rebuilt_not_trusted() {
    let env = TestEnv::new();
    let stale = std::fs::read(index(&env)).unwrap();
    let stale_log = std::fs::read(write_log(&env)).ok();
    env.run(&customer_add(
        "individual",
        "甲",
        &["--phone", "13700000001"],
    ))
    .ok();
    // The add is recorded in the write log; the index file is as it was.
    let fresh = std::fs::read(index(&env)).unwrap();
    let fresh_log = std::fs::read(write_log(&env)).expect("a write log");
    assert!(fresh_log.windows(11).any(|w| w == b"13700000001"));
    // One bit flipped in C000004's phone, everywhere it is: the entries
    // still decode, so only the checksum can tell.
    let mut flipped = fresh_log.clone();
    flip_last(&mut flipped, b"13700000001");
    let mut foreign = fresh.clone();
    foreign[..8].copy_from_slice(b"DESKK999");
    let mut foreign_log = fresh_log.clone();
    foreign_log[..8].copy_from_slice(b"DESKL999");
    let cut = |b: &[u8]| b[..b.len() - 9].to_vec();
    let damaged: [(&str, Vec<u8>, Log); 9] = [
        ("stale", stale.clone(), stale_log),
        ("stale, no log", stale, None),
        ("flipped", fresh.clone(), Some(flipped)),
        ("log cut", fresh.clone(), Some(cut(&fresh_log))),
        ("index cut", cut(&fresh), Some(fresh_log.clone())),
        ("foreign index", foreign, Some(fresh_log.clone())),
        ("foreign log", fresh.clone(), Some(foreign_log)),
        ("empty", Vec::new(), None),
        ("log alone", Vec::new(), Some(fresh_log.clone())),
    ];
    let put = |bytes: &[u8], log: &Log| {
        std::fs::write(index(&env), bytes).unwrap();
        match log {
            Some(log) => std::fs::write(write_log(&env), log).unwrap(),
            None => std::fs::remove_file(write_log(&env)).unwrap_or(()),
        }
    };
    for (what, bytes, log) in damaged {
        put(&bytes, &log);
        let out = env
            .run(&customer_add(
                "individual",
                "乙",
                &["--phone", "13700000001"],
            ))
            .fails(1);
        assert!(
            out.stderr.contains("already belongs to customer C000004"),
            "{what}: {}",
            out.stderr
        );
        put(&bytes, &log);
        let list = listed(&env);
        assert!(
            list.contains("C000004") && list.contains("13700000001"),
            "{what}: {list}"
        );
        assert_eq!(list.lines().count(), 5, "{what}: {list}");
    }
}

#[test]
fn an_index_file_changed_in_place_is_not_trusted_through_its_write_log() {
    let env = TestEnv::new();
    // The index file holds C000001's phone; a write log extends it.
    listed(&env);
    env.run(&customer_add(
        "individual",
        "甲",
        &["--phone", "13700000001"],
    ))
    .ok();
    assert!(std::fs::read(write_log(&env)).is_ok());
    let mut bytes = std::fs::read(index(&env)).unwrap();
    assert!(bytes.windows(11).any(|w| w == b"13900000001"));
    // A digit of that phone changed in place, the file's size and
    // modification time kept: the value's bytes are gone, and only the
    // file's identity (its change time) tells.
    let modified = std::fs::metadata(index(&env)).unwrap().modified().unwrap();
    flip_last(&mut bytes, b"13900000001");
    std::fs::write(index(&env), &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(index(&env))
        .unwrap()
        .set_modified(modified)
        .unwrap();
    refused_as_duplicate(
        &env,
        &customer_add("individual", "乙", &["--phone", "13900000001"]),
        "C000001",
    );
}

#[test]
fn a_write_log_of_absurd_length_is_ignored() {
    let env = TestEnv::new();
    env.run(&customer_add(
        "individual",
        "甲",
        &["--phone", "13700000001"],
    ))
    .ok();
    // A sparse file of a terabyte where the log was: not read, not trusted.
    std::fs::File::options()
        .write(true)
        .open(write_log(&env))
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    refused_as_duplicate(
        &env,
        &customer_add("individual", "乙", &["--phone", "13700000001"]),
        "C000004",
    );
    env.run(&customer_add(
        "individual",
        "丙",
        &["--phone", "13700000002"],
    ))
    .ok();
    assert!(std::fs::metadata(write_log(&env)).unwrap().len() < 1 << 20);
}

#[test]
fn an_index_of_settled_files_is_trusted_only_while_the_directory_is_unchanged() {
    let env = TestEnv::new();
    // Past the racy window, a reading command records a settled index.
    env.run_settled(&["customer", "list", "--reveal", "--format", "csv"])
        .ok();

    // Settled summaries are read from the index: a damaged one is not.
    let mut bytes = std::fs::read(summaries(&env)).unwrap();
    flip_last(&mut bytes, b"emma@example.com");
    std::fs::write(summaries(&env), &bytes).unwrap();
    let list = listed(&env);
    assert!(
        list.contains("emma@example.com") && !list.contains("emma@example.coo"),
        "{list}"
    );
    replace_same_size(&env, "C000003", "emma@example.com", "anna@example.com");
    refused_as_duplicate(
        &env,
        &customer_add("individual", "Anna", &["--email", "ANNA@example.com"]),
        "C000003",
    );
    add_file(&env, "C000007", "13700000007");
    refused_as_duplicate(
        &env,
        &customer_add("individual", "丙", &["--phone", "13700000007"]),
        "C000007",
    );
}

#[test]
fn concurrent_adds_get_distinct_ids_and_one_holder_per_value() {
    let env = TestEnv::new();
    // Sixteen distinct customers and eight claiming one phone, all at once.
    let children: Vec<_> = (0..24)
        .map(|i| {
            let phone = if i < 16 {
                format!("1370000{i:04}")
            } else {
                "13800000000".to_string()
            };
            let mut cmd = env.std_cmd();
            cmd.args(customer_add(
                "individual",
                &format!("客户{i}"),
                &["--phone", &phone],
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    assert!(outputs[..16].iter().all(|o| o.status.success()));
    assert_eq!(
        outputs[16..].iter().filter(|o| o.status.success()).count(),
        1,
        "exactly one of the same phone is added"
    );
    let mut ids: Vec<String> = outputs
        .iter()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 17);
    env.run(&["check"]).ok();
    assert_eq!(listed(&env).lines().count(), 1 + 3 + 17);
}
