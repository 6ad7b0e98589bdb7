use crate::common::TestEnv;

fn stat(env: &TestEnv, key: &str) -> usize {
    let out = env.run(&["cache", "stats"]).ok().stdout;
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {out}"))
        .parse()
        .unwrap()
}

fn list(env: &TestEnv) -> String {
    let out = env.run(&["list", "--all", "--format", "csv"]).ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

/// A store whose files are old enough to be cached (files changed within
/// the racy window are always re-read), with a warm cache. The window is
/// shortened from two seconds to 20 ms, still above the file system's
/// timestamp granularity, so the tests wait 30 ms instead of two seconds.
fn warm_store() -> (TestEnv, Vec<String>) {
    let mut env = TestEnv::new();
    env.racy_window_ms = Some("20");
    let ids: Vec<String> = (0..4)
        .map(|i| env.new_ticket(&["--title", &format!("ticket {i}")]))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(30));
    list(&env);
    assert_eq!(stat(&env, "fresh"), 4);
    assert_eq!(stat(&env, "entries"), 4);
    (env, ids)
}

#[test]
fn changes_behind_desks_back_are_always_noticed() {
    let (env, ids) = warm_store();
    // An editor changes a field in place (same inode).
    let path = env.ticket_path(&ids[0]);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("title: ticket 0", "title: ticket X")).unwrap();
    assert!(list(&env).contains("ticket X"));

    // A file is replaced by one of the same size whose modification time is
    // set back to the old one (as `git checkout` or `cp -p` might leave it).
    let path = env.ticket_path(&ids[1]);
    let meta = std::fs::metadata(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let same_size = text.replace("title: ticket 1", "title: ticket Y");
    assert_eq!(same_size.len(), text.len());
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &same_size).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert!(list(&env).contains("ticket Y"));

    // A deleted file disappears.
    std::fs::remove_file(env.ticket_path(&ids[2])).unwrap();
    let listed = list(&env);
    assert!(!listed.contains(&ids[2]) && listed.contains(&ids[3]));

    // A file broken by hand is reported (with its line), every time.
    std::fs::write(env.ticket_path(&ids[3]), "id: [unclosed\n").unwrap();
    for _ in 0..2 {
        let out = env.run(&["list", "--all", "--format", "ids"]).fails(1);
        assert!(
            out.stderr.contains(&format!("{}.yaml:1", ids[3])),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_corrupt_or_foreign_cache_is_rebuilt_without_a_word() {
    let (env, _) = warm_store();
    let expected = list(&env);
    let cache = env.path(".desk/cache/tickets.bin");
    let good = std::fs::read(&cache).unwrap();
    // Truncated in the middle of an entry, garbage, another format version.
    let mut foreign = good.clone();
    foreign[7] = b'9';
    for bad in [
        good[..good.len() / 2].to_vec(),
        b"garbage".to_vec(),
        foreign,
    ] {
        std::fs::write(&cache, bad).unwrap();
        assert_eq!(list(&env), expected);
        assert_eq!(stat(&env, "fresh"), 4, "the cache was rebuilt");
    }
    // Cleared, it is rebuilt by the next reading command; rebuild parses all.
    env.run(&["cache", "clear"]).ok();
    assert_eq!(stat(&env, "entries"), 0);
    assert_eq!(list(&env), expected);
    let out = env.run(&["cache", "rebuild"]).ok();
    assert!(out.stderr.contains("4 ticket(s) parsed"), "{}", out.stderr);
    assert_eq!(stat(&env, "fresh"), 4);
    // Reading commands never touch the store's own files.
    let before = env.snapshot();
    env.run(&["report", "--month", "2026-11"]).ok();
    env.run(&["sla"]).ok();
    assert_eq!(before, env.snapshot());
}

#[test]
fn concurrent_readers_and_writers_see_whole_caches() {
    let (env, ids) = warm_store();
    let expected = list(&env);
    std::fs::remove_file(env.path(".desk/cache/tickets.bin")).unwrap();
    // Readers racing to rebuild the cache, and a writer changing a ticket.
    let readers: Vec<_> = (0..6)
        .map(|_| {
            env.std_cmd()
                .args(["list", "--all", "--format", "csv"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let writer = env
        .std_cmd()
        .args(["assign", &ids[0], "wang.qiang"])
        .output()
        .unwrap();
    assert!(writer.status.success());
    let mut outputs = Vec::new();
    for r in readers {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    // The assignment is visible.
    let after = list(&env);
    assert_ne!(after, expected);
    let row = after.lines().find(|l| l.starts_with(&ids[0])).unwrap();
    assert!(row.contains(",wang.qiang,"), "{row}");
    // Each reader saw the store before or after the update, never a mix of
    // caches or a half-read one.
    for text in outputs {
        assert!(text == expected || text == after, "{text}");
    }
    // And the cache left behind serves the state after it.
    assert_eq!(list(&env), after);
}
