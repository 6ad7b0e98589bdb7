//! Secrets stay secret: the private key stays out of the store and out of
//! git, error messages (which end up in cron mail) never carry a full
//! personal number, and a damaged sealed value is noticed.

use std::path::Path;
use std::process::Command;

use crate::common::{customer_add, TestEnv};
use crate::customers::with_key;

const ID: &str = "11010519491231002X";
const BANK: &str = "4111111111111111";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=tester", "-c", "user.email=t@example.com"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// The text of the key file, for planting copies of it.
fn key_text(key: &str) -> String {
    std::fs::read_to_string(key).unwrap()
}

#[test]
fn keys_init_refuses_a_key_file_inside_the_store() {
    let env = TestEnv::bare();
    // A directory outside the store that links into it.
    let link = env.outside("into-store");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&env.root, &link).unwrap();
    let through_link = format!("{link}/linked.key");
    let absolute = env.path("desk.key").to_str().unwrap().to_string();
    let before = env.snapshot();
    for path in [
        "./desk.key",
        absolute.as_str(),
        ".desk/desk.key",
        "customers/../desk.key",
        "not-yet/desk.key",
        through_link.as_str(),
    ] {
        let out = env.run(&["keys", "init", "--identity", path]).fails(1);
        assert!(
            out.stderr.contains("inside the store") && out.stderr.contains(".config/desk/"),
            "{path}: {}",
            out.stderr
        );
        assert_eq!(
            before,
            env.snapshot(),
            "{path}: a refused init changed files"
        );
    }
    assert!(!env.path(".desk/desk.key").exists());
    // Outside the store it works.
    let key = with_key(&env);
    assert!(key_text(&key).contains("AGE-SECRET-KEY-1"));
}

#[test]
fn keys_init_refuses_a_key_file_git_would_publish_beside_the_store() {
    // The store is a subdirectory of a git work tree.
    let env = TestEnv::empty();
    git(&env.root, &["init", "-q"]);
    env.run(&["init", "desk"]).ok();
    let key = env.path("desk.key").to_str().unwrap().to_string();
    let init = || env.run(&["--dir", "desk", "keys", "init", "--identity", &key]);
    let out = init().fails(1);
    assert!(
        out.stderr.contains("git work tree") && out.stderr.contains("~/.config/desk/desk.key"),
        "{}",
        out.stderr
    );
    assert!(!env.path("desk.key").exists());
    // Ignored there, it is the user's choice.
    std::fs::write(env.path(".gitignore"), "/desk.key\n").unwrap();
    init().ok();
}

#[test]
fn check_fails_on_a_private_key_that_git_would_publish() {
    let env = TestEnv::new();
    let key = with_key(&env);
    let secret = key_text(&key);
    git(&env.root, &["init", "-q"]);
    let key_line = secret
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_string();
    let finding = |out: &crate::common::Output, file: &str| {
        assert!(!out.stdout.contains(&key_line) && !out.stderr.contains(&key_line));
        out.stdout
            .lines()
            .any(|l| l.starts_with(&format!("{file}: ")) && l.contains("age private key"))
    };
    // Ignored local state is not published: no finding.
    std::fs::write(env.path(".desk/copy.key"), &secret).unwrap();
    let out = env.run(&["check"]);
    assert!(!finding(&out, ".desk/copy.key"), "{}", out.stdout);
    // Not ignored: `git add -A` would publish it.
    std::fs::write(env.path("notes.txt"), format!("backup:\n{secret}")).unwrap();
    let out = env.run(&["check"]).fails(1);
    assert!(finding(&out, "notes.txt"), "{}", out.stdout);
    // Staged, then removed from the work tree: the commit would still hold it.
    git(&env.root, &["add", "notes.txt"]);
    std::fs::remove_file(env.path("notes.txt")).unwrap();
    let out = env.run(&["check"]).fails(1);
    assert!(finding(&out, "notes.txt"), "{}", out.stdout);
    git(&env.root, &["rm", "-q", "--cached", "notes.txt"]);
    let out = env.run(&["check"]);
    assert!(!finding(&out, "notes.txt"), "{}", out.stdout);

    // Outside git, every file of the store counts.
    let plain = TestEnv::new();
    std::fs::write(plain.path("customers/keep.txt"), &secret).unwrap();
    let out = plain.run(&["check"]).fails(1);
    assert!(finding(&out, "customers/keep.txt"), "{}", out.stdout);
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let key = with_key(&env);
    let out = env.run_keyed(&key, &["keys", "status"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run_keyed(&key, &["keys", "status"]).ok();
    assert!(
        out.stderr.contains("warning") && out.stderr.contains(&format!("chmod 600 {key}")),
        "{}",
        out.stderr
    );
    // Every command that loads the key warns, not only `keys status`.
    let out = env
        .run_keyed(&key, &["customer", "export", "--reveal"])
        .ok();
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
}

#[test]
fn errors_never_echo_a_full_number() {
    let env = TestEnv::new();
    let key = with_key(&env);
    let bad_id = "110105194912310021"; // wrong check character
    let bad_date = "110105194913310021"; // right check character, month 13
    let bad_bank = "4111111111111112";
    let set_bad_id = format!("id_card={bad_id}");
    let set_id = format!("id_card={ID}");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (customer_add("enterprise", "X公司", &["--id-card", ID]), ID),
        (
            customer_add("enterprise", "X公司", &["--bank-card", BANK]),
            BANK,
        ),
        (
            customer_add("individual", "李四", &["--id-card", bad_id]),
            bad_id,
        ),
        (
            customer_add("individual", "李四", &["--id-card", bad_date]),
            "19491331",
        ),
        (
            customer_add("individual", "李四", &["--bank-card", bad_bank]),
            bad_bank,
        ),
        (
            customer_add("individual", "李四", &["--phone", "1398765432"]),
            "1398765432",
        ),
        (
            customer_add("individual", "李四", &["--email", "li.si.private@example"]),
            "li.si.private",
        ),
        (
            vec!["customer", "edit", "C000001", "--set", &set_bad_id],
            bad_id,
        ),
        (vec!["customer", "edit", "C000002", "--set", &set_id], ID),
        (
            vec![
                "customer",
                "edit",
                "C000001",
                "--set",
                "phone=13911112222",
                "--set",
                "phone=13911113333",
            ],
            "13911112222",
        ),
        (vec!["customer", "list", "--id-card", bad_id], bad_id),
        // A phone number typed where a customer ID goes.
        (vec!["customer", "show", "13911119999"], "13911119999"),
        (
            vec![
                "customer",
                "add",
                "--kind",
                "enterprise",
                "--name",
                "Y公司",
                "--contact",
                "name=王芳,phone=13922223333,badkey=1",
            ],
            "13922223333",
        ),
    ];
    for (args, number) in &cases {
        let out = env.run_keyed(&key, args).fails(1);
        assert!(
            !out.stderr.contains(number) && !out.stdout.contains(number),
            "{args:?} echoes {number}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("error:"), "{args:?}: {}", out.stderr);
    }
    // The masked form says which value was meant.
    let out = env
        .run_keyed(
            &key,
            &customer_add("enterprise", "X公司", &["--id-card", ID]),
        )
        .fails(1);
    assert!(out.stderr.contains("****002X"), "{}", out.stderr);

    // Import: every bad row is named, by line and masked value.
    let csv = env.path("import.csv");
    std::fs::write(
        &csv,
        format!(
            "kind,name,id_card,bank_card,phone\nindividual,甲,{bad_id},,\nindividual,乙,,{bad_bank},\n\
             enterprise,丙公司,{ID},,\nindividual,丁,,,1398765432\n"
        ),
    )
    .unwrap();
    let out = env
        .run_keyed(&key, &["customer", "import", csv.to_str().unwrap()])
        .fails(1);
    for number in [bad_id, bad_bank, ID, "1398765432"] {
        assert!(!out.stderr.contains(number), "{number}: {}", out.stderr);
    }
    assert!(out.stderr.contains("4 bad row(s)"), "{}", out.stderr);
    // A CSV without its header row: the first row's values are not echoed either.
    std::fs::write(&csv, format!("individual,甲,{ID}\n")).unwrap();
    let out = env
        .run_keyed(&key, &["customer", "import", csv.to_str().unwrap()])
        .fails(1);
    assert!(!out.stderr.contains(ID), "{}", out.stderr);

    // Parse errors of a customer file do not quote its values.
    let path = env.path("customers/C000001.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    for (from, to, number) in [
        ("vip: false", "vip: 13987654328", "13987654328"),
        ("kind: individual", "kind: 11010519491231002X", ID),
        (
            "created: ",
            "created: '13987654321'\nx_created: ",
            "13987654321",
        ),
    ] {
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        for args in [&["customer", "show", "C000001"][..], &["check"]] {
            let out = env.run(args).fails(1);
            assert!(
                !out.stderr.contains(number) && !out.stdout.contains(number),
                "{args:?} echoes {number}: {}{}",
                out.stdout,
                out.stderr
            );
            assert!(
                out.stderr.contains("C000001.yaml") || out.stdout.contains("C000001.yaml"),
                "{}{}",
                out.stdout,
                out.stderr
            );
        }
    }
}

/// Replaces the value of `key` in the first sealed `field` of a customer file.
fn damage(env: &TestEnv, id: &str, field: &str, edit: impl Fn(&mut desk::yaml::Mapping)) {
    let path = env.path(&format!("customers/{id}.yaml"));
    let mut doc: desk::yaml::Value =
        desk::yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(doc[field].as_mapping_mut().unwrap());
    replace(&path, &desk::yaml::to_string(&doc).unwrap());
}

/// Writes a new file in place of `path`, as git and most editors save: a
/// write sees it without a reading command first (docs/performance.md).
fn replace(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("edit");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn set(m: &mut desk::yaml::Mapping, key: &str, value: &str) {
    m.insert(key.into(), value.into());
}

#[test]
fn a_damaged_sealed_value_is_noticed() {
    let env = TestEnv::new();
    let key = with_key(&env);
    let add = |name: &str, id_card: &str| {
        env.run_keyed(
            &key,
            &customer_add(
                "individual",
                name,
                &["--id-card", id_card, "--bank-card", BANK],
            ),
        )
    };
    let id = add("李四", ID).ok().stdout.trim().to_string();
    env.run(&["check"]).ok();
    env.run_keyed(&key, &["check"]).ok();
    let pristine = std::fs::read_to_string(env.path(&format!("customers/{id}.yaml"))).unwrap();
    let restore = || replace(&env.path(&format!("customers/{id}.yaml")), &pristine);

    // A lookup of the wrong shape: found without the key, and the duplicate
    // guard, which compares lookups, refuses to vouch for the number.
    damage(&env, &id, "id_card", |m| set(m, "lookup", "not-a-hash"));
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("customers/{id}.yaml: id_card: lookup")),
        "{}",
        out.stdout
    );
    let out = add("李四二", ID).fails(1);
    assert!(
        out.stderr.contains(&id) && out.stderr.contains("desk check"),
        "{}",
        out.stderr
    );
    assert!(!env.path("customers/C000005.yaml").exists());
    // Other numbers are still registered (bank_card is a different field, and a
    // damaged id_card elsewhere cannot hide a duplicate of this one's lookup).
    restore();

    // A well-formed lookup that is not this number's: only the key can tell.
    let other = env
        .run_keyed(
            &key,
            &customer_add("individual", "王五", &["--id-card", "110101199003074477"]),
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let other_lookup = {
        let text = std::fs::read_to_string(env.path(&format!("customers/{other}.yaml"))).unwrap();
        let doc: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
        doc["id_card"]["lookup"].as_str().unwrap().to_string()
    };
    damage(&env, &id, "id_card", |m| set(m, "lookup", &other_lookup));
    let out = env.run_keyed(&key, &["check"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("customers/{id}.yaml: id_card"))
            && out.stdout.contains("lookup"),
        "{}",
        out.stdout
    );
    restore();

    // A last4 that is not the number's.
    damage(&env, &id, "id_card", |m| set(m, "last4", "1234"));
    let out = env.run_keyed(&key, &["check"]).fails(1);
    assert!(out.stdout.contains("last4"), "{}", out.stdout);
    restore();

    // An age message that does not decrypt: check says so, reveal refuses.
    damage(&env, &id, "bank_card", |m| {
        let age = m["age"].as_str().unwrap();
        let mut lines: Vec<String> = age.lines().map(String::from).collect();
        let body = lines.len() - 2;
        lines[body] = lines[body].chars().rev().collect();
        set(m, "age", &(lines.join("\n") + "\n"));
    });
    let out = env.run_keyed(&key, &["check"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("customers/{id}.yaml: bank_card")),
        "{}",
        out.stdout
    );
    for args in [
        vec!["customer", "export", "--reveal"],
        vec!["customer", "export", "--reveal", "--format", "json"],
        vec!["customer", "show", &id, "--reveal"],
    ] {
        let out = env.run_keyed(&key, &args).fails(1);
        assert!(
            out.stderr.contains(&id) && out.stderr.contains("bank_card"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("cannot decrypt"), "{}", out.stdout);
    }
    // Not an age message at all: found without the key.
    damage(&env, &id, "bank_card", |m| set(m, "age", "garbage"));
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("customers/{id}.yaml: bank_card: age")),
        "{}",
        out.stdout
    );
    restore();
    env.run_keyed(&key, &["check"]).ok();
}

#[test]
fn keys_status_names_the_recipients_and_whether_the_key_opens_the_store() {
    let env = TestEnv::new();
    let out = env.run(&["keys", "status"]).ok();
    assert_eq!(
        out.stdout,
        "encryption: not set up (run `desk keys init --identity FILE`)\n"
    );
    let key = with_key(&env);
    let public = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# desk store key; public key: "))
        .unwrap()
        .to_string();
    let check = std::fs::read_to_string(env.path("desk.yaml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("  lookup_key_check: "))
        .unwrap()
        .to_string();
    let head = format!("encryption: age, 1 recipient(s)\n  {public}\nholders: supervisor\n");
    let out = env.run_keyed(&key, &["keys", "status"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "{head}identity: DESK_KEY_FILE opens this store ({public}): reveal, register and \
             find numbers\nlookup key: from the identity (check {check}): register and find \
             numbers\n"
        )
    );
    // Without the key, or with another one, it says why values stay shut.
    let out = env.run(&["keys", "status"]).ok();
    assert!(
        out.stdout.starts_with(&head)
            && out
                .stdout
                .contains("identity: none here: DESK_KEY_FILE is not set")
            && out.stdout.contains(
                "lookup key: none here: neither DESK_LOOKUP_KEY_FILE nor DESK_KEY_FILE is set"
            ),
        "{}",
        out.stdout
    );
    let other = env.outside("other.key");
    let (secret, _) = desk::crypto::generate_identity();
    std::fs::write(&other, format!("{secret}\n")).unwrap();
    let out = env.run_keyed(&other, &["keys", "status"]);
    assert!(
        out.stderr
            .contains("is it one of the recipients in desk.yaml?")
            && out.stderr.contains("other.key"),
        "{}",
        out.stderr
    );
}
