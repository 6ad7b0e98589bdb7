//! Real git, real clones: the merge driver, node numbers and desk check.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{customer_add, TestEnv};

/// A bare "team" repository and clones of it, each a desk store.
struct Team {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// One agent's clone.
struct Clone {
    env: TestEnv,
}

fn git_in(dir: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=tester", "-c", "user.email=t@example.com"])
        .args(["-c", "init.defaultBranch=main", "-c", "pull.rebase=false"])
        .args(args)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("DESK_NOW", "2026-11-24T09:00:00+08:00")
        .env("DESK_ACTOR", "tester")
        .env_remove("DESK_DIR")
        .output()
        .unwrap()
}

impl Team {
    fn new() -> Team {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        let team = Team { _dir: dir, root };
        team.git(&team.root, &["init", "--bare", "origin.git"]);
        team
    }

    #[track_caller]
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = git_in(dir, &self.root.join("home"), args);
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Clones the team repository; with `setup`, runs `desk git-setup --node N`.
    fn clone(&self, name: &str, node: Option<u32>) -> Clone {
        self.git(&self.root, &["clone", "-q", "origin.git", name]);
        let mut env = TestEnv::empty();
        env.root = self.root.join(name);
        env.at("2026-11-24T09:00:00+08:00");
        if let Some(n) = node {
            env.run(&["git-setup", "--node", &n.to_string()]).ok();
        }
        Clone { env }
    }
}

impl Clone {
    fn git(&self, team: &Team, args: &[&str]) -> String {
        team.git(&self.env.root, args)
    }

    fn commit(&self, team: &Team, message: &str) {
        self.git(team, &["add", "-A"]);
        self.git(team, &["commit", "-q", "-m", message]);
    }

    fn check_clean(&self) {
        let out = self.env.run(&["check"]);
        assert_eq!(out.code, 0, "desk check: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty());
    }
}

/// The team repository with a store of three customers and one ticket,
/// and two clones set up as nodes 1 and 2.
fn team_with_ticket() -> (Team, Clone, Clone, String) {
    let team = Team::new();
    let a = team.clone("a", None);
    a.env.run(&["init", "."]).ok();
    a.env.run(&["git-setup", "--node", "1"]).ok();
    for (name, phone) in [("张三", "13900000001"), ("李四", "13900000002")] {
        a.env
            .run(&[
                "customer",
                "add",
                "--kind",
                "个人",
                "--name",
                name,
                "--phone",
                phone,
                "--at",
                "2026-11-01",
            ])
            .ok();
    }
    let id = a.env.new_ticket(&["--at", "2026-11-24 08:00"]);
    a.commit(&team, "store with one ticket");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    let b = team.clone("b", Some(2));
    (team, a, b, id)
}

#[test]
fn concurrent_updates_of_one_ticket_merge_by_themselves() {
    for way in ["merge", "rebase", "cherry-pick"] {
        let (team, a, b, id) = team_with_ticket();
        let mut a = a;
        let mut b = b;
        a.env.at("2026-11-24T09:10:00+08:00");
        a.env
            .run(&["assign", &id, "wang.qiang", "--note", "engineer on call"])
            .ok();
        a.commit(&team, "assign");
        b.env.at("2026-11-24T09:20:00+08:00");
        b.env
            .run(&[
                "update",
                &id,
                "--note",
                "客户已提供序列号",
                "--status",
                "pending",
            ])
            .ok();
        b.commit(&team, "update");
        a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
        match way {
            "merge" => b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]),
            "rebase" => b.git(&team, &["pull", "-q", "--rebase", "origin", "main"]),
            _ => {
                b.git(&team, &["fetch", "-q", "origin"]);
                b.git(&team, &["cherry-pick", "origin/main"])
            }
        };

        let text = b.env.read_ticket(&id);
        assert!(!text.contains("<<<<<<<"), "{text}");
        let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let actions: Vec<&str> = y["history"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["created", "assigned", "updated"], "{way}");
        // The fields are replayed from the merged history.
        assert_eq!(y["assignee"], "wang.qiang");
        assert_eq!(y["status"], "pending");
        b.check_clean();
        assert!(b.git(&team, &["status", "--porcelain"]).is_empty());
    }
}

#[test]
fn clones_create_tickets_and_customers_with_distinct_ids() {
    let (team, a, b, first) = team_with_ticket();
    assert!(first.ends_with("0001"), "{first}");
    // Both create a ticket and a customer on the same day.
    let ta = a.env.new_ticket(&["--title", "from a"]);
    let tb = b.env.new_ticket(&["--title", "from b"]);
    let ca = a
        .env
        .run(&customer_add("个人", "王五", &["--phone", "13700000001"]))
        .ok()
        .stdout;
    let cb = b
        .env
        .run(&customer_add("个人", "赵六", &["--phone", "13700000002"]))
        .ok()
        .stdout;
    assert_ne!(ta, tb);
    assert_ne!(ca, cb);
    // Node 1's serials end in 01, node 2's in 02.
    assert!(ta.ends_with("0101"), "{ta}");
    assert!(tb.ends_with("0002"), "{tb}");
    // a (node 1) made C000001 and C000101 before; b (node 2) saw both.
    assert_eq!(ca.trim(), "C000201");
    assert_eq!(cb.trim(), "C000102");
    a.commit(&team, "a's ticket");
    b.commit(&team, "b's ticket");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let ids = b.env.run(&["list", "--all", "--format", "ids"]).ok().stdout;
    assert_eq!(ids.lines().count(), 3, "{ids}");
    b.check_clean();
}

#[test]
fn customer_edits_on_two_clones_merge_field_by_field() {
    let (team, a, b, _) = team_with_ticket();
    let mut a = a;
    let mut b = b;
    // Different fields, and the same field (the later change wins).
    a.env.at("2026-11-24T10:00:00+08:00");
    a.env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "email=zs@example.com",
            "--set",
            "notes=prefers calls",
        ])
        .ok();
    b.env.at("2026-11-24T11:00:00+08:00");
    b.env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "address=杭州市西湖区文三路1号",
            "--set",
            "notes=prefers e-mail",
        ])
        .ok();
    a.commit(&team, "a edits");
    b.commit(&team, "b edits");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(&team, &["push", "-q", "origin", "HEAD:b-edits"]);
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let text = std::fs::read_to_string(b.env.path("customers/C000001.yaml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(y["email"], "zs@example.com");
    assert_eq!(y["address"], "杭州市西湖区文三路1号");
    assert_eq!(y["notes"], "prefers e-mail", "the later change wins");
    assert_eq!(y["changes"].as_sequence().unwrap().len(), 4);
    b.check_clean();
    // The same, merged the other way round (b's edits into a), gives the same file.
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "b-edits"]);
    assert_eq!(
        std::fs::read_to_string(a.env.path("customers/C000001.yaml")).unwrap(),
        text
    );
}

#[test]
fn check_reports_hand_edits_and_conflict_markers() {
    let (team, a, _b, id) = team_with_ticket();
    // A hand edit of a projected field: found, then recorded by --fix.
    let path = a.env.ticket_path(&id);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("priority: urgent", "priority: normal", 1),
    )
    .unwrap();
    let out = a.env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains("priority is 'normal' in the file but 'urgent' by its history"),
        "{}",
        out.stdout
    );
    a.env.run(&["check", "--fix"]).ok();
    let y = a.env.ticket_yaml(&id);
    let last = y["history"].as_sequence().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "edited");
    assert_eq!(last["to"], "normal");
    a.check_clean();
    a.commit(&team, "priority");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);

    // A clone that skipped `desk git-setup` may not allocate IDs...
    let c = team.clone("c", None);
    let refused = c
        .env
        .run(&[
            "new",
            "--customer",
            "C000001",
            "--type",
            "咨询",
            "--priority",
            "一般",
            "--channel",
            "电话",
            "--title",
            "x",
        ])
        .fails(1);
    assert!(
        refused.stderr.contains("desk git-setup"),
        "{}",
        refused.stderr
    );
    // ...and without the driver gets a textual conflict on concurrent updates.
    let mut c = c;
    c.env.at("2026-11-24T12:00:00+08:00");
    c.env.run(&["update", &id, "--note", "from c"]).ok();
    c.commit(&team, "c update");
    let mut a = a;
    a.env.at("2026-11-24T12:30:00+08:00");
    a.env.run(&["update", &id, "--note", "from a"]).ok();
    a.commit(&team, "a update");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    let pulled = git_in(
        &c.env.root,
        &team.root.join("home"),
        &["pull", "-q", "--no-edit", "origin", "main"],
    );
    assert!(
        !pulled.status.success(),
        "expected a textual conflict without the driver"
    );
    let out = c.env.run(&["check"]).fails(1);
    let rel = format!("tickets/2026/11/{id}.yaml");
    assert!(
        out.stdout.contains(&format!("{rel}:")) && out.stdout.contains("conflict markers"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("merge driver is not registered"),
        "{}",
        out.stdout
    );
}

#[test]
fn setup_is_idempotent_and_a_true_conflict_is_explained() {
    let (team, a, b, _) = team_with_ticket();
    let attrs = std::fs::read_to_string(a.env.path(".gitattributes")).unwrap();
    a.env.run(&["git-setup"]).ok();
    assert_eq!(
        std::fs::read_to_string(a.env.path(".gitattributes")).unwrap(),
        attrs
    );
    assert_eq!(attrs.matches("merge=desk").count(), 2);
    // Two different tickets under one ID (both clones on node 2 by mistake).
    b.env.run(&["git-setup", "--node", "1"]).ok();
    let ta = a.env.new_ticket(&["--title", "a's"]);
    let tb = b.env.new_ticket(&["--title", "b's"]);
    assert_eq!(ta, tb);
    a.commit(&team, "a");
    b.commit(&team, "b");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    let out = git_in(
        &b.env.root,
        &team.root.join("home"),
        &["pull", "--no-edit", "origin", "main"],
    );
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("two different tickets were created as"),
        "{text}"
    );
    // Our version is kept whole: no conflict markers in the YAML.
    let mine = b.env.read_ticket(&tb);
    assert!(
        mine.contains("title: b's") && !mine.contains("<<<<<<<"),
        "{mine}"
    );
}

#[test]
fn init_in_a_work_tree_sets_up_git_and_the_agents_node() {
    let team = Team::new();
    let solo = team.clone("solo", None);
    solo.env.run(&["--actor", "wang.qiang", "init", "."]).ok();
    // wang.qiang is the second agent of desk.yaml: node 2.
    assert_eq!(
        std::fs::read_to_string(solo.env.path(".desk/node")).unwrap(),
        "2\n"
    );
    let attrs = std::fs::read_to_string(solo.env.path(".gitattributes")).unwrap();
    assert!(attrs.contains("tickets/**/*.yaml merge=desk"), "{attrs}");
    let driver = solo.git(&team, &["config", "--get", "merge.desk.driver"]);
    assert!(driver.contains("merge-file %O %A %B %P"), "{driver}");
    let customer = solo.env.run(&customer_add("个人", "张三", &[])).ok().stdout;
    assert_eq!(customer.trim(), "C000002");
    let id = solo.env.new_ticket(&["--customer", "C000002"]);
    assert!(id.ends_with("0002"), "{id}");
    solo.check_clean();
}

/// The `note`s of a ticket's history, in order.
fn notes(text: &str) -> Vec<String> {
    let y: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    y["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn identical_events_on_one_side_all_survive_a_merge() {
    for way in ["merge", "rebase", "cherry-pick"] {
        let (team, a, b, id) = team_with_ticket();
        // Two unanswered calls logged with the same minute: two events.
        for _ in 0..2 {
            a.env
                .run(&[
                    "update",
                    &id,
                    "--note",
                    "called, no answer",
                    "--at",
                    "2026-11-24 08:30",
                ])
                .ok();
        }
        a.commit(&team, "two calls");
        b.env
            .run(&[
                "update",
                &id,
                "--note",
                "客户来电",
                "--at",
                "2026-11-24 08:10",
            ])
            .ok();
        b.commit(&team, "a note");
        b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
        match way {
            "merge" => a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]),
            "rebase" => a.git(&team, &["pull", "-q", "--rebase", "origin", "main"]),
            _ => {
                a.git(&team, &["fetch", "-q", "origin"]);
                a.git(&team, &["cherry-pick", "origin/main"])
            }
        };
        assert_eq!(
            notes(&a.env.read_ticket(&id)),
            ["客户来电", "called, no answer", "called, no answer"],
            "{way}"
        );
        a.check_clean();
        // Merging the result back gives b the same file.
        a.git(&team, &["push", "-q", "origin", "HEAD:back"]);
        b.git(&team, &["pull", "-q", "--no-edit", "origin", "back"]);
        assert_eq!(b.env.read_ticket(&id), a.env.read_ticket(&id), "{way}");
    }
}

#[test]
fn an_event_on_both_sides_is_one_event_whether_or_not_the_driver_runs() {
    for other_note in [false, true] {
        let (team, a, b, id) = team_with_ticket();
        // One call logged on both clones (the same agent, the same time).
        for c in [&a, &b] {
            c.env
                .run(&[
                    "update",
                    &id,
                    "--note",
                    "called, no answer",
                    "--at",
                    "2026-11-24 08:30",
                ])
                .ok();
        }
        // Equal files are merged by git alone; a further note makes the
        // files differ, so the driver merges them, and must agree with git.
        if other_note {
            b.env
                .run(&[
                    "update",
                    &id,
                    "--note",
                    "客户回电",
                    "--at",
                    "2026-11-24 08:40",
                ])
                .ok();
        }
        a.commit(&team, "a call");
        b.commit(&team, "a call");
        b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
        a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
        let mut expected = vec!["called, no answer"];
        if other_note {
            expected.push("客户回电");
        }
        assert_eq!(notes(&a.env.read_ticket(&id)), expected);
        a.check_clean();
    }
}

#[test]
fn a_hand_edit_of_a_customer_field_is_logged_before_the_other_sides_change() {
    let (team, a, b, _) = team_with_ticket();
    let mut b = b;
    // a edits the phone in the file by hand; b changes it with desk later.
    let path = a.env.path("customers/C000001.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("13900000001", "13900000009", 1)).unwrap();
    a.commit(&team, "phone fixed by hand");
    a.git(&team, &["push", "-q", "origin", "HEAD:a-edit"]);
    b.env.at("2026-11-24T11:00:00+08:00");
    b.env
        .run(&["customer", "edit", "C000001", "--set", "phone=13900000008"])
        .ok();
    b.commit(&team, "phone changed");
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let y: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(y["phone"], "13900000008", "the later change wins");
    let changes = y["changes"].as_sequence().unwrap();
    let logged: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap(),
                c["from"].as_str().unwrap(),
                c["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("phone", "13900000001", "13900000009"),
            ("phone", "13900000001", "13900000008")
        ],
        "the hand edit is logged first, then the later change"
    );
    assert_eq!(changes[0]["by"], "tester");
    a.check_clean();
    // Merged the other way round (a's hand edit into b), the same file.
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "a-edit"]);
    assert_eq!(
        std::fs::read_to_string(b.env.path("customers/C000001.yaml")).unwrap(),
        std::fs::read_to_string(&path).unwrap()
    );
}

#[test]
fn two_closes_of_one_ticket_on_two_clones_are_one_closure_with_both_resolutions() {
    let (team, a, b, id) = team_with_ticket();
    let survey = [
        "survey",
        &id,
        "--score",
        "efficiency=5",
        "--score",
        "attitude=5",
        "--score",
        "solution=5",
        "--at",
        "2026-11-24 08:40",
    ];
    a.env
        .run(&[
            "close",
            &id,
            "--resolution",
            "更换电源适配器",
            "--compensation",
            "赠送延保一年",
            "--at",
            "2026-11-24 08:30",
        ])
        .ok();
    a.env.run(&survey).ok();
    a.commit(&team, "closed and surveyed");
    b.env
        .run(&[
            "close",
            &id,
            "--resolution",
            "远程重置后恢复",
            "--at",
            "2026-11-24 08:45",
        ])
        .ok();
    b.commit(&team, "closed");
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let y: serde_yaml::Value = serde_yaml::from_str(&a.env.read_ticket(&id)).unwrap();
    assert_eq!(y["status"], "closed");
    // The later close amends the first: both resolutions stay in the field.
    assert_eq!(y["resolution"], "更换电源适配器\n远程重置后恢复");
    a.check_clean();
    // The closure began at the first close, and it has its survey.
    let out = a.env.run(&survey[..survey.len() - 2]).fails(1);
    assert!(
        out.stderr.contains("already surveyed for this closure"),
        "{}",
        out.stderr
    );
    let due = a
        .env
        .run(&["survey", "--due", "--all", "--format", "csv"])
        .ok()
        .stdout;
    assert!(!due.contains(&id), "{due}");
    // Both closes' details are shown.
    let shown = a.env.run(&["show", &id]).ok().stdout;
    assert!(shown.contains("赠送延保一年"), "{shown}");
    // Resolved at 08:30 of an urgent ticket's 4 hours, not at 08:45.
    let sla = a.env.run(&["sla", "--all", "--format", "json"]).ok().stdout;
    assert!(sla.contains("\"resolution_remaining\": 3.5,"), "{sla}");
}
