//! Graded access to sealed numbers (seed 002: access by role; no export
//! without authorisation): the recipients seal, the lookup key registers
//! and finds, only the identity reveals; `desk keys` hands out each part;
//! every reveal is recorded in the reveal log, and `desk check` reports
//! reveals of sealed numbers by someone not meant to hold the identity.

use std::path::Path;

use crate::common::{customer_add, Output, TestEnv};
use crate::customers::with_key;

const ID: &str = "11010519491231002X";
const OTHER_ID: &str = "110101199003074477";
const BANK: &str = "4111111111111111";
const PHONE: &str = "13912345678";

/// A store whose supervisor (chen.jing) holds the identity and whose
/// service agent (li.na) holds only the lookup key the supervisor exported.
struct Graded {
    env: TestEnv,
    identity: String,
    lookup: String,
}

impl Graded {
    fn new() -> Graded {
        let env = TestEnv::new();
        let identity = with_key(&env);
        let lookup = env.outside("agent.lookup");
        env.run_keyed(&identity, &["keys", "export-lookup", "--out", &lookup])
            .ok();
        Graded {
            env,
            identity,
            lookup,
        }
    }

    fn agent(&self, args: &[&str]) -> Output {
        self.env.output(
            self.env
                .cmd()
                .env("DESK_ACTOR", "li.na")
                .env("DESK_LOOKUP_KEY_FILE", &self.lookup)
                .args(args),
        )
    }

    fn supervisor(&self, args: &[&str]) -> Output {
        self.env.output(
            self.env
                .cmd()
                .env("DESK_ACTOR", "chen.jing")
                .env("DESK_KEY_FILE", &self.identity)
                .args(args),
        )
    }

    /// The agent registers 李四 with an ID card, a bank card and a phone.
    fn add_customer(&self) -> String {
        self.agent(&customer_add(
            "individual",
            "李四",
            &["--id-card", ID, "--bank-card", BANK, "--phone", PHONE],
        ))
        .ok()
        .stdout
        .trim()
        .to_string()
    }
}

/// Every line of the reveal log, in file order (files by name).
fn reveals(env: &TestEnv) -> Vec<serde_json::Value> {
    let dir = env.path("audit/reveals");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn an_agent_with_the_lookup_key_registers_and_finds_numbers_but_cannot_reveal_them() {
    let g = Graded::new();
    // The lookup key file holds no identity: it cannot open anything.
    let lookup_text = std::fs::read_to_string(&g.lookup).unwrap();
    assert!(lookup_text.contains("DESK-LOOKUP-KEY-"), "{lookup_text}");
    assert!(!lookup_text.contains("AGE-SECRET-KEY"), "{lookup_text}");

    let id = g.add_customer();
    let file = std::fs::read_to_string(g.env.path(&format!("customers/{id}.yaml"))).unwrap();
    assert!(!file.contains(ID) && !file.contains(BANK), "{file}");
    // The duplicate guard works with the lookup key alone.
    let out = g
        .agent(&customer_add("individual", "李思", &["--id-card", ID]))
        .fails(1);
    assert!(
        out.stderr
            .contains(&format!("id_card already belongs to customer {id}")),
        "{}",
        out.stderr
    );
    // So do lookups by number, and edits that seal a new number.
    let found = g
        .agent(&["customer", "list", "--id-card", ID, "--format", "ids"])
        .ok();
    assert_eq!(found.stdout, format!("{id}\n"));
    g.agent(&[
        "customer",
        "edit",
        &id,
        "--set",
        &format!("id_card={OTHER_ID}"),
    ])
    .ok();

    // Revealing fails, saying what is missing, and shows and records nothing.
    let before = g.env.snapshot();
    for args in [
        vec!["customer", "show", id.as_str(), "--reveal"],
        vec![
            "customer",
            "show",
            id.as_str(),
            "--reveal",
            "--format",
            "json",
        ],
        vec!["customer", "export", "--reveal"],
        vec!["customer", "export", "--reveal", "--format", "json"],
    ] {
        let out = g.agent(&args).fails(1);
        assert!(
            out.stderr.contains(&format!("customer {id}"))
                && out.stderr.contains("decryption identity")
                && out.stderr.contains("DESK_KEY_FILE is not set")
                && out
                    .stderr
                    .contains("the lookup key at hand registers and finds numbers"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{args:?}");
        for secret in [ID, OTHER_ID, BANK] {
            assert!(!out.stderr.contains(secret), "{args:?}: {}", out.stderr);
        }
    }
    assert_eq!(before, g.env.snapshot(), "a failed reveal changed files");
    assert!(!g.env.path("audit").exists());
    // Without --reveal the agent sees the masked record.
    let shown = g.agent(&["customer", "show", &id]).ok().stdout;
    assert!(
        shown.contains("****4477") && shown.contains("****1111"),
        "{shown}"
    );

    // The supervisor, with the identity, reveals what the agent sealed.
    let revealed = g
        .supervisor(&["customer", "show", &id, "--reveal"])
        .ok()
        .stdout;
    assert!(
        revealed.contains(OTHER_ID) && revealed.contains(BANK) && revealed.contains(ID),
        "{revealed}"
    );
    let exported = g
        .supervisor(&["customer", "export", "--reveal"])
        .ok()
        .stdout;
    assert!(
        exported.contains(OTHER_ID) && exported.contains(BANK),
        "{exported}"
    );
    // And `check` with the identity finds every sealed value sound.
    g.supervisor(&["check"]).ok();
}

#[test]
fn keys_status_tells_what_each_key_at_hand_allows() {
    let g = Graded::new();
    let agent = g.agent(&["keys", "status"]).ok().stdout;
    assert!(agent.contains("holders: supervisor\n"), "{agent}");
    assert!(
        agent.contains("identity: none here: DESK_KEY_FILE is not set"),
        "{agent}"
    );
    assert!(
        agent.contains("lookup key: DESK_LOOKUP_KEY_FILE (check "),
        "{agent}"
    );
    let supervisor = g.supervisor(&["keys", "status"]).ok().stdout;
    assert!(
        supervisor.contains("identity: DESK_KEY_FILE opens this store")
            && supervisor.contains("lookup key: from the identity (check "),
        "{supervisor}"
    );
    // Neither key: registering a number names both ways to get the lookup key.
    let out = g
        .env
        .run(&customer_add(
            "individual",
            "王五",
            &["--id-card", OTHER_ID],
        ))
        .fails(1);
    assert!(
        out.stderr
            .contains("neither DESK_LOOKUP_KEY_FILE nor DESK_KEY_FILE is set")
            && out.stderr.contains("desk keys export-lookup"),
        "{}",
        out.stderr
    );
}

#[test]
fn lookup_key_files_are_made_outside_the_store_and_checked_against_it() {
    let g = Graded::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&g.lookup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = g.env.snapshot();
    // Inside the store, or over an existing file: refused.
    let out = g
        .supervisor(&["keys", "export-lookup", "--out", "agent.lookup"])
        .fails(1);
    assert!(out.stderr.contains("inside the store"), "{}", out.stderr);
    let out = g
        .supervisor(&["keys", "export-lookup", "--out", &g.lookup])
        .fails(1);
    assert!(out.stderr.contains("exists"), "{}", out.stderr);
    // Without any key there is nothing to export.
    let elsewhere = g.env.outside("none.lookup");
    let out = g
        .env
        .run(&["keys", "export-lookup", "--out", &elsewhere])
        .fails(1);
    assert!(
        out.stderr.contains("DESK_LOOKUP_KEY_FILE"),
        "{}",
        out.stderr
    );
    assert!(!Path::new(&elsewhere).exists());
    assert_eq!(before, g.env.snapshot());

    // Another store's lookup key is refused, naming the file, before
    // anything is sealed with it (its lookups would let duplicates in).
    let other = TestEnv::new();
    let other_identity = with_key(&other);
    let theirs = other.outside("their.lookup");
    other
        .run_keyed(
            &other_identity,
            &["keys", "export-lookup", "--out", &theirs],
        )
        .ok();
    let out = g.env.output(
        g.env
            .cmd()
            .env("DESK_LOOKUP_KEY_FILE", &theirs)
            .args(customer_add("individual", "王五", &["--id-card", OTHER_ID])),
    );
    let out = out.fails(1);
    assert!(
        out.stderr.contains("their.lookup") && out.stderr.contains("not this store's"),
        "{}",
        out.stderr
    );
    assert_eq!(before, g.env.snapshot());

    // A copy of the lookup key inside the store is found by `check`, which
    // never prints the key.
    let text = std::fs::read_to_string(&g.lookup).unwrap();
    std::fs::write(g.env.path("customers/keep.txt"), &text).unwrap();
    let out = g.env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains("customers/keep.txt: holds a desk lookup key"),
        "{}",
        out.stdout
    );
    let key_line = text.lines().last().unwrap();
    assert!(!out.stdout.contains(key_line) && !out.stderr.contains(key_line));
}

#[test]
fn a_store_with_one_combined_key_keeps_working_and_migrates_to_graded_keys() {
    // A store set up before lookup key files: desk.yaml has no
    // lookup_key_check and no holders, and one key file does everything.
    let env = TestEnv::new();
    let combined = with_key(&env);
    let config = env.path("desk.yaml");
    let old: String = std::fs::read_to_string(&config)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.contains("lookup_key_check") && !l.contains("holders") && *l != "  - supervisor"
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&config, &old).unwrap();
    env.run(&["check"]).ok();
    // The combined key seals, finds duplicates and reveals, as before.
    let first = env
        .run_keyed(
            &combined,
            &customer_add("individual", "李四", &["--id-card", ID]),
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let out = env
        .run_keyed(
            &combined,
            &customer_add("individual", "李思", &["--id-card", ID]),
        )
        .fails(1);
    assert!(out.stderr.contains(&first), "{}", out.stderr);
    let shown = env
        .run_keyed(&combined, &["customer", "show", &first, "--reveal"])
        .ok()
        .stdout;
    assert!(shown.contains(ID), "{shown}");
    let status = env.run_keyed(&combined, &["keys", "status"]).ok().stdout;
    assert!(
        status.contains("holders: supervisor") && status.contains("no encryption.lookup_key_check"),
        "{status}"
    );

    // Step 1: a holder exports the lookup key, which adds its check to
    // desk.yaml and changes nothing else there.
    let lookup = env.outside("agents.lookup");
    let out = env
        .run_keyed(&combined, &["keys", "export-lookup", "--out", &lookup])
        .ok();
    assert!(
        out.stderr.contains("added encryption.lookup_key_check"),
        "{}",
        out.stderr
    );
    let migrated = std::fs::read_to_string(&config).unwrap();
    let check_line = migrated
        .lines()
        .find(|l| l.starts_with("  lookup_key_check: "))
        .unwrap()
        .to_string();
    assert_eq!(
        migrated
            .replace(&format!("{check_line}\n"), "")
            .replace("  holders:\n  - supervisor\n", ""),
        old
    );
    // The agents' lookup key finds the numbers the combined key registered.
    let agent = |args: &[&str]| {
        env.output(
            env.cmd()
                .env("DESK_LOOKUP_KEY_FILE", &lookup)
                .env("DESK_ACTOR", "li.na")
                .args(args),
        )
    };
    let out = agent(&customer_add("individual", "李思", &["--id-card", ID])).fails(1);
    assert!(out.stderr.contains(&first), "{}", out.stderr);
    let second = agent(&customer_add(
        "individual",
        "王五",
        &["--id-card", OTHER_ID],
    ))
    .ok()
    .stdout
    .trim()
    .to_string();
    // A lookup key file cannot be verified by a desk.yaml without the
    // check (a clone that has not pulled it yet): refused, saying why.
    std::fs::write(&config, &old).unwrap();
    let out = agent(&customer_add(
        "individual",
        "赵六",
        &["--id-card", "110101199003071234"],
    ));
    let out = out.fails(1);
    assert!(
        out.stderr.contains("cannot be verified") && out.stderr.contains("desk keys export-lookup"),
        "{}",
        out.stderr
    );
    std::fs::write(&config, &migrated).unwrap();

    // Step 2: those who held the combined key can still open everything
    // with it; rotating gives the holders a new key that opens old and new
    // numbers, while the old key file opens nothing sealed from now on.
    let rotated = env.outside("rotated.key");
    let out = env
        .run_keyed(&combined, &["keys", "rotate", "--identity", &rotated])
        .ok();
    assert!(out.stdout.starts_with("age1"), "{}", out.stdout);
    let third = agent(&customer_add(
        "individual",
        "钱七",
        &["--id-card", "11010119900307803X"],
    ))
    .ok()
    .stdout
    .trim()
    .to_string();
    for id in [&first, &second, &third] {
        env.run_keyed(&rotated, &["customer", "show", id, "--reveal"])
            .ok();
    }
    let out = env
        .run_keyed(&combined, &["customer", "show", &third, "--reveal"])
        .fails(1);
    assert!(out.stderr.contains("recipients"), "{}", out.stderr);
    assert!(!out.stdout.contains("11010119900307803X"));
    // The agents' lookup key still works: rotating the identity keeps it.
    agent(&["customer", "list", "--id-card", ID, "--format", "ids"]).ok();
}

#[test]
fn recipients_are_added_and_removed_by_a_holder_of_the_identity() {
    let g = Graded::new();
    let config = g.env.path("desk.yaml");
    let before = std::fs::read_to_string(&config).unwrap();
    let backup = g.env.outside("backup.key");
    // The lookup key alone may not change who can read numbers.
    let out = g
        .agent(&["keys", "add-recipient", "--identity", &backup])
        .fails(1);
    assert!(
        out.stderr.contains("needs an identity") && out.stderr.contains("DESK_KEY_FILE"),
        "{}",
        out.stderr
    );
    assert!(!Path::new(&backup).exists());
    assert_eq!(before, std::fs::read_to_string(&config).unwrap());

    let early = g.add_customer();
    let public = g
        .supervisor(&["keys", "add-recipient", "--identity", &backup])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(public.starts_with("age1"), "{public}");
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(after.contains(&format!("  - {public}\n")), "{after}");
    // Only the encryption section changed; the comments above it stay.
    let head = |t: &str| t[..t.find("encryption:").unwrap()].to_string();
    assert_eq!(head(&before), head(&after));
    // Numbers sealed from now on open with the new key; earlier ones do not.
    let late = g
        .agent(&customer_add(
            "individual",
            "王五",
            &["--id-card", OTHER_ID],
        ))
        .ok()
        .stdout
        .trim()
        .to_string();
    let backup_shows = |id: &str| {
        g.env
            .run_keyed(&backup, &["customer", "show", id, "--reveal"])
    };
    assert!(backup_shows(&late).ok().stdout.contains(OTHER_ID));
    let out = backup_shows(&early).fails(1);
    assert!(out.stderr.contains(&early), "{}", out.stderr);

    // The same key twice, an unknown one, and the last one are refused.
    let out = g.supervisor(&["keys", "add-recipient", &public]).fails(1);
    assert!(out.stderr.contains("already"), "{}", out.stderr);
    let (_, stranger) = desk::crypto::generate_identity();
    let out = g
        .supervisor(&["keys", "remove-recipient", &stranger])
        .fails(1);
    assert!(out.stderr.contains("not a recipient"), "{}", out.stderr);
    g.supervisor(&["keys", "remove-recipient", &public]).ok();
    // Back to the one recipient (the lookup key is encrypted afresh).
    let unwrapped = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("    "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert_eq!(
        unwrapped(&before),
        unwrapped(&std::fs::read_to_string(&config).unwrap())
    );
    let own = before
        .lines()
        .find_map(|l| l.strip_prefix("  - age1"))
        .map(|rest| format!("age1{rest}"))
        .unwrap();
    let out = g.supervisor(&["keys", "remove-recipient", &own]).fails(1);
    assert!(out.stderr.contains("last recipient"), "{}", out.stderr);
    // Nor may a holder remove their own key while another remains: they
    // would lock themselves out.
    g.supervisor(&["keys", "add-recipient", &public]).ok();
    let out = g.supervisor(&["keys", "remove-recipient", &own]).fails(1);
    assert!(
        out.stderr.contains("lock you out") && out.stderr.contains("desk keys rotate"),
        "{}",
        out.stderr
    );
    g.env
        .run_keyed(&backup, &["keys", "remove-recipient", &own])
        .ok();
    g.env
        .run_keyed(&backup, &["customer", "show", &late, "--reveal"])
        .ok();
    // The removed key no longer opens the store.
    let out = g.supervisor(&["keys", "status"]).fails(1);
    assert!(out.stderr.contains("recipients"), "{}", out.stderr);
    g.env.run(&["check"]).ok();
}

#[test]
fn every_reveal_is_recorded_with_who_when_which_customers_and_fields_but_no_value() {
    let g = Graded::new();
    let id = g.add_customer();
    // Masked output records nothing.
    g.supervisor(&["customer", "show", &id]).ok();
    g.supervisor(&["customer", "export"]).ok();
    assert!(reveals(&g.env).is_empty());

    g.supervisor(&["customer", "show", &id, "--reveal"]).ok();
    let log = reveals(&g.env);
    assert_eq!(log.len(), 1, "{log:?}");
    let line = &log[0];
    assert_eq!(line["at"], "2026-11-23T09:00:00+08:00");
    assert_eq!(line["by"], "chen.jing");
    assert_eq!(line["command"], "customer show");
    assert_eq!(strings(&line["customers"]), [id.as_str()]);
    assert_eq!(
        strings(&line["fields"]),
        ["bank_card", "id_card", "name", "phone"]
    );
    assert_eq!(strings(&line["sealed"]), ["bank_card", "id_card"]);
    // The day's file holds no value: no number, no phone, no name.
    let text = std::fs::read_to_string(g.env.path("audit/reveals/2026-11-23.jsonl")).unwrap();
    for value in [ID, BANK, PHONE, "李四", "002X", "1111"] {
        assert!(!text.contains(value), "{value} in {text}");
    }

    // An export: one line per set of fields, each customer once.
    g.supervisor(&["customer", "export", "--reveal"]).ok();
    let log = reveals(&g.env);
    let export: Vec<_> = log
        .iter()
        .filter(|l| l["command"] == "customer export")
        .collect();
    let mut exported: Vec<&str> = export
        .iter()
        .flat_map(|l| strings(&l["customers"]))
        .collect();
    exported.sort();
    // C000001 (phone), C000003 (e-mail) and the new customer; the
    // enterprise C000002 has nothing masked, so nothing is revealed.
    assert_eq!(exported, ["C000001", "C000003", id.as_str()], "{export:?}");
    let with_cards = export
        .iter()
        .find(|l| strings(&l["customers"]) == [id.as_str()])
        .unwrap();
    assert_eq!(strings(&with_cards["sealed"]), ["bank_card", "id_card"]);
    // The clear-text reveals of list and survey are recorded too, with no key.
    g.env
        .run(&["customer", "list", "--reveal", "--format", "csv"])
        .ok();
    let last = reveals(&g.env).pop().unwrap();
    assert_eq!(last["command"], "customer list");
    assert_eq!(last["by"], "tester");
    assert!(last.get("sealed").is_none(), "{last}");
    assert_eq!(
        reveals(&g.env)
            .iter()
            .filter(|l| l["command"] == "customer show")
            .count(),
        1
    );
}

#[test]
fn a_failed_reveal_records_nothing_and_a_failed_record_reveals_nothing() {
    let g = Graded::new();
    let id = g.add_customer();
    // A damaged sealed value: the reveal fails and nothing is recorded.
    let path = g.env.path(&format!("customers/{id}.yaml"));
    let pristine = std::fs::read_to_string(&path).unwrap();
    let damaged = pristine.replacen(
        "-----BEGIN AGE ENCRYPTED FILE-----\n    ",
        "-----BEGIN AGE ENCRYPTED FILE-----\n    x",
        1,
    );
    assert_ne!(damaged, pristine);
    std::fs::write(&path, &damaged).unwrap();
    let out = g
        .supervisor(&["customer", "show", &id, "--reveal"])
        .fails(1);
    assert_eq!(out.stdout, "");
    assert!(reveals(&g.env).is_empty());
    std::fs::write(&path, &pristine).unwrap();

    // The log cannot be written (its folder is a link): nothing is shown.
    #[cfg(unix)]
    {
        std::fs::create_dir(g.env.path("audit")).unwrap();
        let elsewhere = g.env.outside("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, g.env.path("audit/reveals")).unwrap();
        for args in [
            vec!["customer", "show", id.as_str(), "--reveal"],
            vec!["customer", "export", "--reveal"],
            vec!["customer", "list", "--reveal"],
        ] {
            let out = g.supervisor(&args).fails(1);
            assert_eq!(out.stdout, "", "{args:?}");
            assert!(
                out.stderr.contains("audit/reveals") && out.stderr.contains("symbolic link"),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        let out = g.env.run(&["check"]).fails(1);
        assert!(out.stdout.contains("audit/reveals"), "{}", out.stdout);
    }
}

#[test]
fn check_reports_reveals_of_sealed_numbers_by_someone_not_meant_to_hold_the_identity() {
    let g = Graded::new();
    let id = g.add_customer();
    // The supervisor's reveal is as configured: nothing to report.
    g.supervisor(&["customer", "show", &id, "--reveal"]).ok();
    let out = g.env.run(&["check"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);

    // The agent got hold of the identity: told at once, and by every check.
    let out = g.env.output(
        g.env
            .cmd()
            .env("DESK_ACTOR", "li.na")
            .env("DESK_KEY_FILE", &g.identity)
            .args(["customer", "show", &id, "--reveal"]),
    );
    let out = out.ok();
    assert!(out.stdout.contains(ID));
    assert!(
        out.stderr
            .contains("li.na is not among those meant to hold the identity"),
        "{}",
        out.stderr
    );
    let out = g.env.run(&["check"]).ok();
    let warning = format!(
        "warning: audit/reveals/2026-11-23.jsonl:2: li.na (role service) revealed bank_card, \
         id_card of {id} at 2026-11-23T09:00:00+08:00 (customer show) but does not hold the \
         identity (encryption.holders: supervisor)"
    );
    assert!(out.stderr.contains(&warning), "{}", out.stderr);
    assert!(!out.stderr.contains(":1: chen.jing"), "{}", out.stderr);
    // Revealing what is stored in clear needs no identity and is not reported.
    g.agent(&["customer", "list", "--reveal"]).ok();
    let out = g.env.run(&["check"]).ok();
    assert_eq!(
        out.stderr.matches("warning: audit/").count(),
        1,
        "{}",
        out.stderr
    );

    // Once desk.yaml names the agent among the holders, the reveal is as configured.
    let config = g.env.path("desk.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "  holders:\n  - supervisor\n",
            "  holders:\n  - supervisor\n  - li.na\n",
        ),
    )
    .unwrap();
    let out = g.env.run(&["check"]).ok();
    assert!(!out.stderr.contains("warning: audit/"), "{}", out.stderr);
    std::fs::write(&config, &text).unwrap();

    // A line that is not a reveal (a hand edit, a conflict) fails the check.
    let log = g.env.path("audit/reveals/2026-11-23.jsonl");
    let mut lines = std::fs::read_to_string(&log).unwrap();
    let bad = lines.lines().count() + 1;
    lines.push_str("<<<<<<< HEAD\n");
    std::fs::write(&log, lines).unwrap();
    let out = g.env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(&format!(
            "audit/reveals/2026-11-23.jsonl:{bad}: not a reveal"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn concurrent_reveals_are_all_recorded_whole() {
    let g = Graded::new();
    let id = g.add_customer();
    let children: Vec<_> = (0..8)
        .map(|_| {
            g.env
                .std_cmd()
                .env("DESK_ACTOR", "chen.jing")
                .env("DESK_KEY_FILE", &g.identity)
                .args(["customer", "show", &id, "--reveal"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    // Every line parses (`reveals` panics otherwise), one per reveal.
    let log = reveals(&g.env);
    assert_eq!(log.len(), 8, "{log:?}");
    assert!(log
        .iter()
        .all(|l| strings(&l["customers"]) == [id.as_str()]));
}

#[test]
fn what_a_killed_append_left_is_reported_and_cleaned_under_the_logs_lock() {
    let g = Graded::new();
    let id = g.add_customer();
    g.supervisor(&["customer", "show", &id, "--reveal"]).ok();
    // A writer killed between writing its copy and the rename (no such process).
    let temp = g.env.path("audit/reveals/.2026-11-23.jsonl.4194303.0.tmp");
    std::fs::write(&temp, "a half-written copy").unwrap();
    let out = g.env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains("audit/reveals/.2026-11-23.jsonl.4194303.0.tmp: a temporary file"),
        "{}",
        out.stdout
    );
    // The next reveal removes it and appends to the intact log.
    g.supervisor(&["customer", "show", &id, "--reveal"]).ok();
    assert!(!temp.exists());
    assert_eq!(reveals(&g.env).len(), 2);
    g.env.run(&["check"]).ok();
}

#[test]
fn a_shared_store_without_the_union_merge_of_the_reveal_log_is_warned_about() {
    let env = TestEnv::new();
    let git = std::process::Command::new("git")
        .arg("-C")
        .arg(&env.root)
        .args(["init", "-q"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &env.root)
        .status()
        .unwrap();
    assert!(git.success());
    // .gitattributes as a store set up before the reveal log has it.
    std::fs::write(
        env.path(".gitattributes"),
        "tickets/**/*.yaml merge=desk\ncustomers/*.yaml merge=desk\n",
    )
    .unwrap();
    let warning = "warning: .gitattributes: lacks `audit/reveals/*.jsonl merge=union`";
    // No log yet, nothing to merge.
    let out = env.run(&["check"]);
    assert!(!out.stderr.contains(warning), "{}", out.stderr);
    env.run(&["customer", "list", "--reveal"]).ok();
    let out = env.run(&["check"]);
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    // `desk git-setup` adds the line.
    env.run(&["git-setup", "--node", "1"]).ok();
    let out = env.run(&["check"]);
    assert!(!out.stderr.contains(warning), "{}", out.stderr);
}

#[test]
fn the_survey_list_records_whom_it_shows_in_full() {
    let mut env = TestEnv::new();
    let a = env.new_ticket(&[]); // C000001 张三, 13900000001
    let b = env.new_ticket(&["--customer", "C000002"]); // a company without a phone
    env.at("2026-11-23T10:00:00+08:00");
    for id in [&a, &b] {
        env.run(&["close", id, "--resolution", "x"]).ok();
    }
    env.run(&["survey", "--due"]).ok();
    assert!(reveals(&env).is_empty());
    env.run(&["survey", "--due", "--reveal"]).ok();
    let log = reveals(&env);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["command"], "survey --due");
    assert_eq!(log[0]["at"], "2026-11-23T10:00:00+08:00");
    assert_eq!(strings(&log[0]["customers"]), ["C000001"]);
    assert_eq!(strings(&log[0]["fields"]), ["name", "phone"]);
}
