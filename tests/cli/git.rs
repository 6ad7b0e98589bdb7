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
    a.env.run(&["init", ".", "--rules", "none"]).ok();
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
        let y: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
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
    let y: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
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
    // Two different tickets under one ID (both clones on node 1 by mistake;
    // git-setup refuses a claimed node, so the number is set by hand).
    std::fs::write(b.env.path(".desk/node"), "1\n").unwrap();
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

/// git as a user runs it: the clone's own config and an empty global one,
/// no `-c` settings (so git's defaults for `pull` apply).
fn plain_git(team: &Team, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("HOME", team.root.join("home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("DESK_DIR")
        .env_remove("DESK_ACTOR")
        .output()
        .unwrap()
}

impl Clone {
    /// Runs desk as the clone's git user (no DESK_ACTOR), with the team's HOME.
    fn desk_as_user(&self, team: &Team, args: &[&str]) -> crate::common::Output {
        let mut cmd = self.env.cmd();
        cmd.env_remove("DESK_ACTOR")
            .env("HOME", team.root.join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args);
        self.env.output(&mut cmd)
    }

    fn identity(&self, team: &Team, name: &str, email: &str) {
        self.git(team, &["config", "user.name", name]);
        self.git(team, &["config", "user.email", email]);
    }
}

/// The `note`s of a ticket's history, in order.
fn notes(text: &str) -> Vec<String> {
    let y: desk::yaml::Value = desk::yaml::from_str(text).unwrap();
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
fn agents_with_real_names_are_matched_and_diverged_clones_pull_by_themselves() {
    let team = Team::new();
    let a = team.clone("a", None);
    a.identity(&team, "Liu Fang", "Liu.Fang@example.com");
    let out = a.desk_as_user(
        &team,
        &[
            "init",
            ".",
            "--agent",
            "li.na:李娜:service",
            "--agent",
            "liu.fang:刘芳:engineer:liu.fang@example.com",
        ],
    );
    let out = out.ok();
    assert!(
        out.stderr.contains("agent liu.fang (刘芳)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(a.env.path(".desk/node")).unwrap(),
        "2\n"
    );
    a.env
        .run(&customer_add("个人", "张三", &["--phone", "13900000001"]))
        .ok();
    a.commit(&team, "store");
    let pushed = plain_git(&team, &a.env.root, &["push", "-q", "-u", "origin", "HEAD"]);
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );

    let b = team.clone("b", None);
    b.identity(&team, "李娜", "lina@example.org");
    let out = b.desk_as_user(&team, &["git-setup"]).ok();
    assert_eq!(out.stdout.trim(), "1");
    assert!(
        out.stderr.contains("agent li.na (李娜), matched by '李娜'"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pull.rebase=false"), "{}", out.stderr);
    // Someone desk.yaml does not know is told how agents are matched.
    let c = team.clone("c", None);
    c.identity(&team, "Zhou Yu", "zhou@example.com");
    let out = c.desk_as_user(&team, &["git-setup"]).fails(1);
    assert!(
        out.stderr
            .contains("'Zhou Yu' <zhou@example.com> is not an agent")
            && out.stderr.contains("e-mail"),
        "{}",
        out.stderr
    );

    // Diverged clones: a plain `git pull` merges (git >= 2.27 would stop
    // without pull.rebase set).
    a.env
        .new_ticket(&["--title", "from a", "--customer", "C000002"]);
    b.env
        .new_ticket(&["--title", "from b", "--customer", "C000002"]);
    for (clone, message) in [(&a, "a's ticket"), (&b, "b's ticket")] {
        clone.commit(&team, message);
    }
    let pushed = plain_git(&team, &a.env.root, &["push", "-q"]);
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let pulled = plain_git(&team, &b.env.root, &["pull", "-q", "--no-edit"]);
    assert!(
        pulled.status.success(),
        "git pull: {}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    let ids = b.env.run(&["list", "--all", "--format", "ids"]).ok().stdout;
    assert_eq!(ids.lines().count(), 2, "{ids}");
    b.check_clean();
}

#[test]
fn a_second_clone_of_one_node_is_told_to_move() {
    let (team, a, _b, _) = team_with_ticket();
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    // The same node on a new clone, asked for or taken from desk.yaml: refused.
    let c = team.clone("c", None);
    let out = c.env.run(&["git-setup", "--node", "1"]).fails(1);
    assert!(
        out.stderr
            .contains("node 1 is already claimed by another clone")
            && out.stderr.contains("desk git-setup --node 5"),
        "{}",
        out.stderr
    );
    assert!(!c.env.path(".desk/node").exists());
    // Two clones that claimed one node before seeing each other: after the
    // pull, `desk check` names the later claim and what to do.
    let d = team.clone("d", Some(7));
    let e = team.clone("e", Some(7));
    d.commit(&team, "d's node");
    d.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    e.commit(&team, "e's node");
    e.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let out = e.env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains("node 7 is also claimed by nodes/")
            && out.stdout.contains("desk git-setup --node N"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    // The clone named moves; the store is clean again.
    let file = out.stdout.split(':').next().unwrap().to_string();
    let mover = if e.env.path(&file).exists()
        && std::fs::read_to_string(e.env.path(".desk/clone"))
            .unwrap()
            .trim()
            == Path::new(&file).file_stem().unwrap().to_str().unwrap()
    {
        &e
    } else {
        &d
    };
    mover.env.run(&["git-setup", "--node", "8"]).ok();
    if std::ptr::eq(mover, &d) {
        d.commit(&team, "d moves");
        d.git(&team, &["push", "-q", "origin", "HEAD:main"]);
        e.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    }
    e.check_clean();
    // A claim file that is not one is named.
    std::fs::write(e.env.path("nodes/zz.yaml"), "node: [\n").unwrap();
    let out = e.env.run(&["check"]).fails(1);
    assert!(
        out.stdout.starts_with("nodes/zz.yaml: not a node claim"),
        "{}",
        out.stdout
    );
}

#[test]
fn git_setup_installs_the_pre_commit_hook_and_keeps_a_different_one() {
    let (team, a, _b, id) = team_with_ticket();
    let hook = a.env.path(".git/hooks/pre-commit");
    let out = a.env.run(&["git-setup", "--hooks"]).ok();
    assert!(
        out.stderr.contains("installed the hook") && out.stderr.contains("hooks/pre-merge-commit"),
        "{}",
        out.stderr
    );
    let shipped = include_str!("../../examples/git/pre-commit");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), shipped);
    // The merge commit of a `git pull` is checked too.
    assert_eq!(
        std::fs::read_to_string(a.env.path(".git/hooks/pre-merge-commit")).unwrap(),
        shipped
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "executable");
    }
    let out = a.env.run(&["git-setup", "--hooks"]).ok();
    assert!(out.stderr.contains("is up to date"), "{}", out.stderr);
    // The hook refuses a commit while desk check fails (desk on PATH).
    let path = a.env.ticket_path(&id);
    let text = a.env.read_ticket(&id);
    std::fs::write(&path, format!("<<<<<<< ours\n{text}")).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_desk")).parent().unwrap();
    let commit = Command::new("git")
        .arg("-C")
        .arg(&a.env.root)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["commit", "-qam", "broken"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("DESK_NOW", &a.env.now)
        .env_remove("DESK_DIR")
        .output()
        .unwrap();
    assert!(!commit.status.success());
    assert!(
        String::from_utf8_lossy(&commit.stderr).contains("conflict markers"),
        "{}",
        String::from_utf8_lossy(&commit.stderr)
    );
    std::fs::write(&path, text).unwrap();
    // Someone else's hook stays.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let out = a.env.run(&["git-setup", "--hooks"]).ok();
    assert!(
        out.stderr.contains("kept the existing hook") && out.stderr.contains("hooks/pre-commit,"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    let _ = team;
}

/// Where `desk git-setup --cron` wrote the clone's cron scripts: in its git
/// directory.
fn cron_dir(team: &Team, clone: &Clone) -> PathBuf {
    let dir = clone.git(team, &["rev-parse", "--git-path", "desk/cron"]);
    clone.env.root.join(dir.trim())
}

/// Runs a cron script as cron would: a short PATH without desk (desk is found
/// in ~/.cargo/bin), the clone as STORE, and no DESK_* but the clock.
fn cron(team: &Team, clone: &Clone, script: &str, now: &str) -> crate::common::Output {
    run_cron_script(team, clone, &cron_dir(team, clone).join(script), now)
}

/// Runs the cron script at `path` for `clone` as [`cron`] does.
fn run_cron_script(team: &Team, clone: &Clone, path: &Path, now: &str) -> crate::common::Output {
    let home = team.root.join("cronhome");
    let bin = home.join(".cargo/bin");
    if !bin.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_desk"), bin.join("desk")).unwrap();
    }
    let out = Command::new(path)
        .current_dir(&home)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("STORE", &clone.env.root)
        .env("DESK_NOW", now)
        .output()
        .unwrap();
    crate::common::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[cfg(unix)]
#[test]
fn the_cron_scripts_pull_report_commit_push_and_mail_changes_once() {
    let (team, a, mut b, id) = team_with_ticket();
    a.git(&team, &["branch", "-q", "--set-upstream-to", "origin/main"]);
    b.identity(&team, "cron", "cron@example.com");
    let out = b.env.run(&["git-setup", "--cron"]).ok();
    assert!(out.stderr.contains("monthly-report.sh"), "{}", out.stderr);
    // The crontab names this clone, not the example's path.
    let crontab = std::fs::read_to_string(cron_dir(&team, &b).join("crontab")).unwrap();
    let here = b.env.root.canonicalize().unwrap();
    assert!(
        crontab.contains(&format!(
            "STORE={here} {here}/.git/desk/cron/deliver.sh",
            here = here.display()
        )) && !crontab.contains("/srv/"),
        "{crontab}"
    );
    // A colleague's work not yet pulled by the cron clone.
    a.env.run(&["close", &id, "--resolution", "fixed"]).ok();
    a.commit(&team, "closed");
    a.git(&team, &["push", "-q"]);
    let month = "2026-12-01T06:00:00+08:00";
    let out = cron(&team, &b, "monthly-report.sh", month);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("desk report 2026-11"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 ticket"),
        "pulled first: {}",
        out.stdout
    );
    assert!(
        out.stderr.is_empty(),
        "cron mails stderr too: {}",
        out.stderr
    );
    let log = team.git(
        &team.root.join("origin.git"),
        &["log", "--format=%s", "main"],
    );
    assert!(
        log.starts_with("Monthly service report 2026-11\n"),
        "pushed: {log}"
    );
    assert!(b.env.path("reports/2026-11/summary.txt").is_file());
    // Twice in a month: no failure, the same summary, nothing new to commit.
    let again = cron(&team, &b, "monthly-report.sh", month);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert_eq!(again.stdout, out.stdout);
    // A commit that fails (a hook refuses) still delivers the summary.
    let hook = b.env.path(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = cron(&team, &b, "monthly-report.sh", "2027-01-01T06:00:00+08:00");
    assert_eq!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.starts_with("desk report 2026-12"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("could not commit"),
        "{}",
        refused.stderr
    );
    std::fs::remove_file(&hook).unwrap();

    // Hourly SLA mail: the breaches once, then nothing until the set changes.
    b.env.at("2026-11-30T09:00:00+08:00");
    let t = b.env.new_ticket(&[]);
    let first = cron(&team, &b, "sla-breaches.sh", month);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains(&t), "{}", first.stdout);
    let second = cron(&team, &b, "sla-breaches.sh", "2026-12-01T07:00:00+08:00");
    assert_eq!(
        (second.code, second.stdout.as_str()),
        (0, ""),
        "{}",
        second.stderr
    );
    b.env.run(&["close", &t, "--resolution", "done"]).ok();
    let cleared = cron(&team, &b, "sla-breaches.sh", "2026-12-01T08:00:00+08:00");
    assert!(
        cleared.stdout.contains("No ticket is in breach"),
        "{}",
        cleared.stdout
    );

    // The quarterly call-back list: a year on, every customer is dormant.
    let dormant = cron(
        &team,
        &b,
        "dormant-customers.sh",
        "2027-12-01T07:00:00+08:00",
    );
    assert_eq!(dormant.code, 0, "{}", dormant.stderr);
    assert!(
        dormant.stdout.starts_with("Customers to call back") && dormant.stdout.contains("C000001"),
        "{}",
        dormant.stdout
    );
}

#[test]
fn the_pre_commit_hook_finds_a_store_in_a_subdirectory() {
    let team = Team::new();
    let repo = team.root.join("repo");
    team.git(&team.root, &["init", "-q", "repo"]);
    let mut env = TestEnv::empty();
    env.root = repo.join("store");
    std::fs::create_dir_all(&env.root).unwrap();
    env.run(&["init", "."]).ok();
    env.run(&["git-setup", "--hooks"]).ok();
    let bin = Path::new(env!("CARGO_BIN_EXE_desk")).parent().unwrap();
    let commit = |message: &str| {
        team.git(&repo, &["add", "-A"]);
        Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["commit", "-qm", message])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", team.root.join("home"))
            .env_remove("DESK_DIR")
            .output()
            .unwrap()
    };
    let ok = commit("store");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(env.path("tickets/x.yaml"), "<<<<<<< ours\n").unwrap();
    let refused = commit("broken");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("tickets/x.yaml:1: git conflict markers")
    );
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
    let y: desk::yaml::Value =
        desk::yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
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
    let y: desk::yaml::Value = desk::yaml::from_str(&a.env.read_ticket(&id)).unwrap();
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
    assert!(
        shown.contains("resolution met       target 4h00m, due -, elapsed 0h30m"),
        "{shown}"
    );
}

#[test]
fn custom_fields_edited_on_two_clones_merge_field_by_field() {
    let (team, mut a, mut b, _) = team_with_ticket();
    a.env.at("2026-11-24T10:00:00+08:00");
    a.env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "custom.微信号=wx_a",
            "--set",
            "custom.会员等级=银卡",
        ])
        .ok();
    b.env.at("2026-11-24T11:00:00+08:00");
    b.env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "custom.QQ=12345",
            "--set",
            "custom.会员等级=金卡",
        ])
        .ok();
    a.commit(&team, "a edits");
    b.commit(&team, "b edits");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(&team, &["push", "-q", "origin", "HEAD:b-edits"]);
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let text = std::fs::read_to_string(b.env.path("customers/C000001.yaml")).unwrap();
    assert!(
        text.contains("custom:\n  QQ: '12345'\n  会员等级: 金卡\n  微信号: wx_a\n"),
        "the later change wins a field both changed:\n{text}"
    );
    let y: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
    assert_eq!(y["changes"].as_sequence().unwrap().len(), 4);
    b.check_clean();
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "b-edits"]);
    assert_eq!(
        std::fs::read_to_string(a.env.path("customers/C000001.yaml")).unwrap(),
        text
    );
}

/// Round robin across clones: two clones routing at the same time pick the
/// same engineer (neither sees the other's ticket); after the merge both
/// compute the same next engineer from the same files.
#[test]
fn round_robin_across_clones_continues_after_the_merge() {
    let team = Team::new();
    let a = team.clone("a", None);
    a.env
        .run(&[
            "init",
            ".",
            "--agent",
            "e1:Engineer One:engineer",
            "--agent",
            "e2:Engineer Two:engineer",
            "--agent",
            "e3:Engineer Three:engineer",
        ])
        .ok();
    a.env.run(&["git-setup", "--node", "1"]).ok();
    a.env
        .run(&customer_add("个人", "张三", &["--phone", "13900000001"]))
        .ok();
    a.commit(&team, "store");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    let b = team.clone("b", Some(2));
    let assignee = |c: &Clone, id: &str| c.env.ticket_yaml(id)["assignee"].clone();
    let fault = ["--type", "服务"];
    let from_a = a.env.new_ticket(&fault);
    let from_b = b.env.new_ticket(&fault);
    assert_eq!(assignee(&a, &from_a), "e1");
    assert_eq!(assignee(&b, &from_b), "e1");
    a.commit(&team, "a's fault");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.commit(&team, "b's fault");
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    // Same files, same answer: the newest engineer's ticket (b's, the higher
    // serial at the same time) is e1's, so e2 is next on both clones.
    let next_a = a.env.new_ticket(&fault);
    let next_b = b.env.new_ticket(&fault);
    assert_eq!(assignee(&a, &next_a), "e2");
    assert_eq!(assignee(&b, &next_b), "e2");
    a.check_clean();
    b.check_clean();
}

/// Two clones both run `desk run` on the same queued hook: each delivers
/// (at-least-once), and after their histories merge the ticket has one
/// `queued` and one `notified` event for the key, the earlier clone's.
#[test]
fn two_clones_both_deliver_and_merge_to_one_notified_per_key() {
    let (team, mut a, mut b, _) = team_with_ticket();
    let id = share_rules_and_a_ticket(
        &team,
        &a,
        &b,
        "rules:\n- name: hook-on-new\n  when: created\n  then:\n  - run: hooks/hook.sh\n",
    );

    a.env.at("2026-11-24T09:30:00+08:00");
    a.env.run(&["run"]).ok();
    b.env.at("2026-11-24T09:40:00+08:00");
    b.env.run(&["run"]).ok();
    for c in [&a, &b] {
        let log = std::fs::read_to_string(c.env.path(".desk/hook.log")).unwrap();
        assert_eq!(log.lines().count(), 1, "each clone delivered once");
    }
    merge_both_runs(&team, &a, &b);
    let text = b.env.read_ticket(&id);
    assert!(!text.contains("<<<<<<<"), "{text}");
    let y: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
    let history = y["history"].as_sequence().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "queued", "notified"]);
    assert_eq!(history[2]["at"], "2026-11-24T09:30:00+08:00");
    b.check_clean();
    // Nothing is due after the merge, on either clone.
    b.env.run(&["run"]).ok();
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    a.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    a.env.run(&["run"]).ok();
    for c in [&a, &b] {
        let log = std::fs::read_to_string(c.env.path(".desk/hook.log")).unwrap();
        assert_eq!(log.lines().count(), 1);
    }
    assert_eq!(a.env.read_ticket(&id), b.env.read_ticket(&id));
}

/// deliver.sh: pulls, runs `desk run`, commits the delivery and pushes; a
/// clean run prints nothing, a failed delivery is printed (cron mails it).
#[cfg(unix)]
#[test]
fn the_deliver_cron_script_runs_hooks_and_pushes_the_record() {
    let (team, a, b, _) = team_with_ticket();
    a.git(&team, &["branch", "-q", "--set-upstream-to", "origin/main"]);
    b.identity(&team, "cron", "cron@example.com");
    b.env.run(&["git-setup", "--cron"]).ok();
    // A colleague adds a hook rule and a ticket that queues it.
    let path = a.env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("rules:\n- name: hook\n  when: created\n  then:\n  - run: hooks/hook.sh\n");
    std::fs::write(&path, text).unwrap();
    std::fs::create_dir_all(a.env.path("hooks")).unwrap();
    let hook = a.env.path("hooks/hook.sh");
    std::fs::write(
        &hook,
        "#!/bin/sh\n[ -e .desk/fail ] && { echo down >&2; exit 1; }\necho \"$DESK_TICKET\" >> .desk/hook.log\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let id = a.env.new_ticket(&["--at", "2026-11-24 08:30"]);
    a.commit(&team, "hook rule");
    a.git(&team, &["push", "-q"]);
    // The cron clone allows the hook (git config: this clone alone).
    b.git(&team, &["config", "--add", "desk.hooks", "hooks/hook.sh"]);

    std::fs::create_dir_all(b.env.path(".desk")).unwrap();
    std::fs::write(b.env.path(".desk/fail"), "").unwrap();
    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:00:00+08:00");
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{id}: run by rule hook failed (attempt 1"))
            && out.stderr.contains("down"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(b.env.path(".desk/fail")).unwrap();
    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:05:00+08:00");
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(b.env.path(".desk/hook.log")).unwrap(),
        format!("{id}\n")
    );
    // Committed with the time in the store's zone (cron's own is UTC here).
    let subject = b.git(&team, &["log", "-1", "--format=%s"]);
    assert!(
        subject.starts_with("desk run of ") && subject.trim_end().ends_with(" CST"),
        "{subject}"
    );
    // Pushed: the colleague sees the delivery after a pull.
    a.git(&team, &["pull", "-q"]);
    let y: desk::yaml::Value = desk::yaml::from_str(&a.env.read_ticket(&id)).unwrap();
    let actions: Vec<&str> = y["history"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "queued", "delivery_failed", "notified"]
    );
    // Nothing due: nothing printed, nothing committed.
    let head = b.git(&team, &["rev-parse", "HEAD"]);
    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:10:00+08:00");
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (0, "", "")
    );
    assert_eq!(b.git(&team, &["rev-parse", "HEAD"]), head);
}

/// Clone `a` adds `rules` (and the logging hook) and a ticket of 08:30,
/// and pushes; `b` pulls. Both clones allow the hook. The ticket's ID.
fn share_rules_and_a_ticket(team: &Team, a: &Clone, b: &Clone, rules: &str) -> String {
    add_rules_and_hook(a, rules);
    for c in [a, b] {
        c.git(team, &["config", "--add", "desk.hooks", "hooks/hook.sh"]);
    }
    let id = a.env.new_ticket(&["--at", "2026-11-24 08:30"]);
    a.commit(team, "rules and a ticket");
    a.git(team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(team, &["pull", "-q", "--no-edit", "origin", "main"]);
    id
}

/// Both clones commit what their `desk run` did; `a` pushes, `b` pulls
/// (the merge driver joins the two histories).
fn merge_both_runs(team: &Team, a: &Clone, b: &Clone) {
    a.commit(team, "run on a");
    b.commit(team, "run on b");
    a.git(team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(team, &["pull", "-q", "--no-edit", "origin", "main"]);
}

/// Appends `rules` to clone `a`'s desk.yaml and adds hooks/hook.sh, which
/// logs each delivery's key to the clone's own (git-ignored) .desk/hook.log.
fn add_rules_and_hook(a: &Clone, rules: &str) {
    let path = a.env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(rules);
    std::fs::write(&path, text).unwrap();
    std::fs::create_dir_all(a.env.path("hooks")).unwrap();
    let hook = a.env.path("hooks/hook.sh");
    std::fs::write(&hook, "#!/bin/sh\necho \"$DESK_KEY\" >> .desk/hook.log\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A time rule that both clones fire before they merge: one firing, one
/// note, one edit, one delivery recorded (each clone's hook ran once).
#[test]
fn two_clones_firing_one_cycle_merge_to_one_firing() {
    let (team, mut a, mut b, _) = team_with_ticket();
    let id = share_rules_and_a_ticket(
        &team,
        &a,
        &b,
        "rules:\n- name: chase\n  when: {no_progress_for: 1h}\n  then:\n  - note: 请跟进\n  - set: {tags: {add: [late]}}\n  - run: hooks/hook.sh\n",
    );

    a.env.at("2026-11-24T10:00:00+08:00");
    a.env.run(&["run"]).ok();
    b.env.at("2026-11-24T10:07:00+08:00");
    b.env.run(&["run"]).ok();
    merge_both_runs(&team, &a, &b);
    let text = b.env.read_ticket(&id);
    let y: desk::yaml::Value = desk::yaml::from_str(&text).unwrap();
    let history = y["history"].as_sequence().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "fired", "updated", "edited", "queued", "notified"],
        "{text}"
    );
    assert!(
        history[1..]
            .iter()
            .all(|e| e["at"] == "2026-11-24T10:00:00+08:00"),
        "{text}"
    );
    assert_eq!(y["tags"][0], "late");
    b.check_clean();
    // Nothing fires or is due after the merge.
    let out = b.env.run(&["run"]).ok();
    assert!(!out.stderr.contains("fired"), "{}", out.stderr);
}

#[test]
fn two_clones_reveals_of_one_day_merge_as_the_union_of_their_lines() {
    for way in ["merge", "rebase"] {
        let (team, a, b, _) = team_with_ticket();
        // `desk git-setup` merges the reveal log by union.
        let attrs = std::fs::read_to_string(a.env.path(".gitattributes")).unwrap();
        assert!(
            attrs.contains("audit/reveals/*.jsonl merge=union"),
            "{attrs}"
        );
        a.env.run(&["customer", "list", "--reveal"]).ok();
        a.commit(&team, "a reveals");
        b.env.run(&["customer", "show", "C000001", "--reveal"]).ok();
        b.commit(&team, "b reveals");
        a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
        match way {
            "merge" => b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]),
            _ => b.git(&team, &["pull", "-q", "--rebase", "origin", "main"]),
        };
        let log = std::fs::read_to_string(b.env.path("audit/reveals/2026-11-24.jsonl")).unwrap();
        assert!(!log.contains("<<<<<<<"), "{way}: {log}");
        let commands: Vec<String> = log
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["command"].as_str().unwrap().to_string()
            })
            .collect();
        let mut sorted = commands.clone();
        sorted.sort();
        assert_eq!(sorted, ["customer list", "customer show"], "{way}: {log}");
        b.check_clean();
    }
}

/// docs/git.md's procedure for one customer registered on two clones
/// removes one record with `git rm`; its ID is never given to anyone else,
/// by the clone that made it, by a later clone of its node, or by a store
/// made before the issued marks (through git's history).
#[test]
fn a_removed_customers_id_is_never_issued_again() {
    let (team, a, b, _) = team_with_ticket();
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    // Both register 王五 before either pulls.
    let add = |c: &Clone, name: &str, phone: &str| {
        c.env
            .run(&customer_add("个人", name, &["--phone", phone]))
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(add(&a, "王五", "13700000001"), "C000201");
    assert_eq!(add(&b, "王五", "13700000001"), "C000102");
    a.commit(&team, "a registers 王五");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    b.commit(&team, "b registers 王五");
    b.git(&team, &["pull", "-q", "--no-edit", "origin", "main"]);
    let out = b.env.run(&["check"]).fails(1);
    assert!(out.stdout.contains("the same phone"), "{}", out.stdout);
    // The duplicate procedure: keep C000201, remove b's record.
    b.git(&team, &["rm", "-q", "customers/C000102.yaml"]);
    b.commit(&team, "王五 is C000201");
    b.check_clean();
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    // b's next customer does not get C000102 back.
    assert_eq!(add(&b, "赵六", "13700000002"), "C000202");
    b.commit(&team, "赵六");
    b.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    // Nor does a new clone of node 2 once b is gone for good, after its
    // last customer is removed too.
    let c = team.clone("c", None);
    c.git(
        &team,
        &["rm", "-q", "-r", "nodes", "customers/C000202.yaml"],
    );
    c.env.run(&["git-setup", "--node", "2"]).ok();
    assert_eq!(add(&c, "钱七", "13700000003"), "C000302");
    c.commit(&team, "c, node 2 now");
    c.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    // A store whose customers were made before the marks: git's history
    // still knows the removed C000302.
    let d = team.clone("d", Some(9));
    d.git(
        &team,
        &["rm", "-q", "-r", "issued", "customers/C000302.yaml"],
    );
    d.commit(&team, "as an older desk left it");
    assert_eq!(add(&d, "孙八", "13700000004"), "C000309");
    d.commit(&team, "孙八");
    d.check_clean();
}

/// The trust model end to end. A colleague's clone pushes a ticket file
/// with a queued run entry that no rule explains, and an e-mail entry of a
/// real rule that names a template outside the store; the cron clone pulls
/// and delivers (deliver.sh): the entry's command never runs, the mail is
/// the rule's own template, and `desk check` names the entry. The cron
/// clone allows its hook and its sendmail command in its own git config,
/// which no push carries.
#[cfg(unix)]
#[test]
fn a_pushed_ticket_file_runs_no_command_and_reads_no_file_on_the_cron_clone() {
    let (team, a, b, _) = team_with_ticket();
    a.git(&team, &["branch", "-q", "--set-upstream-to", "origin/main"]);
    b.identity(&team, "cron", "cron@example.com");
    b.env.run(&["git-setup", "--cron"]).ok();
    // Outside every clone: a file no mail may carry, the mail "server", and
    // the marker a crafted command would leave.
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    std::fs::write(secret.with_extension("txt"), "Subject: SECRET\n\nSECRET\n").unwrap();
    let sent = outside.path().join("sent.txt");
    let sendmail = outside.path().join("fake-sendmail");
    std::fs::write(
        &sendmail,
        format!("#!/bin/sh\ncat >> '{}'\n", sent.display()),
    )
    .unwrap();
    let marker = outside.path().join("marker");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
    add_rules_and_hook(
        &a,
        &format!(
            "mail:\n  from: service@example.com\n  sendmail: {{command: '{}'}}\nrules:\n\
             - name: hook-on-new\n  when: created\n  then:\n  - run: hooks/hook.sh\n\
             - name: tell\n  when: created\n  then:\n  - notify: {{to: {{agent: li.na}}, template: hello}}\n",
            sendmail.display()
        ),
    );
    std::fs::create_dir_all(a.env.path("templates")).unwrap();
    std::fs::write(
        a.env.path("templates/hello.txt"),
        "Subject: [{{ ticket.id }}] hello\n\nrule {{ rule }}\n",
    )
    .unwrap();
    let id = a.env.new_ticket(&["--at", "2026-11-24 08:30"]);
    a.commit(&team, "rules, a hook, a template and a ticket");
    a.git(&team, &["push", "-q"]);
    // The cron clone's administrator allows its hook and its mail command,
    // in .git/config, by the very commands `desk git-setup` names.
    b.git(&team, &["pull", "-q"]);
    let out = b.env.run(&["git-setup"]).ok();
    let allow: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.split_once("allow it with: ").map(|(_, c)| c))
        .collect();
    assert_eq!(
        allow,
        [
            "git config --add desk.hooks hooks/hook.sh".to_string(),
            format!("git config --add desk.hooks {}", sendmail.display()),
        ],
        "{}",
        out.stderr
    );
    for command in allow {
        let done = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&b.env.root)
            .status()
            .unwrap();
        assert!(done.success(), "{command}");
    }
    assert!(b
        .env
        .run(&["git-setup"])
        .ok()
        .stderr
        .lines()
        .all(|l| !l.contains("allow it")));
    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:00:00+08:00");
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&sent)
            .unwrap()
            .matches("Subject:")
            .count(),
        1
    );

    // The crafted commit: two entries appended to the ticket's history.
    a.git(&team, &["pull", "-q"]);
    let ghost = format!("ghost/{id}/000000000000");
    let mail_key = format!("tell/{id}/000000000000");
    let path = a.env.ticket_path(&id);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "- at: 2026-11-24T09:00:00+08:00\n  by: rule:ghost\n  action: queued\n  key: {ghost}\n  \
         via: run\n  command: sh\n  args: [-c, 'touch {marker}']\n\
         - at: 2026-11-24T09:00:00+08:00\n  by: rule:tell\n  action: queued\n  to: [li.na]\n  \
         key: {mail_key}\n  via: email\n  template: {secret}\n",
        marker = marker.display(),
        secret = secret.display()
    ));
    std::fs::write(&path, text).unwrap();
    a.commit(&team, "a crafted ticket");
    a.git(&team, &["push", "-q"]);

    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:05:00+08:00");
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{id}: run by rule ghost not delivered: no rule of desk.yaml explains this queued \
             entry: desk.yaml has no rule 'ghost'"
        )),
        "{}",
        out.stderr
    );
    assert!(
        !marker.exists(),
        "the crafted command ran on the cron clone"
    );
    // The e-mail entry of a real rule is the rule's own mail.
    let mails = std::fs::read_to_string(&sent).unwrap();
    assert_eq!(mails.matches("Subject:").count(), 2, "{mails}");
    assert!(!mails.contains("SECRET"), "{mails}");
    assert!(mails.contains("rule tell"), "{mails}");
    let out = b.env.run(&["check"]).fails(1);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [format!(
            "tickets/2026/11/{id}.yaml: queued entry {ghost} (by rule:ghost, via run) is \
             explained by no rule of desk.yaml: desk.yaml has no rule 'ghost'; `desk run` does \
             not deliver it. If desk did not write it (it came in a commit), remove it; if its \
             rule was renamed or removed while it waited, restore the rule (`enabled: false` is \
             enough) until `desk outbox` no longer lists it"
        )],
        "{}",
        out.stderr
    );
    // Later runs neither run it nor forget it.
    let out = cron(&team, &b, "deliver.sh", "2026-11-24T09:10:00+08:00");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!marker.exists());
}

/// git replaces ignored files with a commit's: a commit that carries files
/// of `.desk/` (added with `git add -f`) changes them in every clone that
/// pulls it. The cron scripts are not there, so such a commit runs nothing
/// on the cron clone, and `desk check` names the files it carries.
#[cfg(unix)]
#[test]
fn a_pushed_commit_cannot_replace_the_cron_scripts() {
    let (team, a, b, _) = team_with_ticket();
    a.git(&team, &["branch", "-q", "--set-upstream-to", "origin/main"]);
    b.identity(&team, "cron", "cron@example.com");
    let out = b.env.run(&["git-setup", "--cron"]).ok();
    // The scripts where git-setup says it wrote them.
    let installed = |script: &str| -> PathBuf {
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with("installed the cron file ") && l.ends_with(script))
            .unwrap_or_else(|| panic!("{}", out.stderr));
        PathBuf::from(line.trim_start_matches("installed the cron file "))
    };
    let (deliver, breaches) = (installed("/deliver.sh"), installed("/sla-breaches.sh"));
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("marker");
    // Where older versions installed them, and every other file of .desk/.
    let crafted = format!("#!/usr/bin/env bash\ntouch '{}'\n", marker.display());
    std::fs::create_dir_all(a.env.path(".desk/cron")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for script in [
        "deliver.sh",
        "sla-breaches.sh",
        "monthly-report.sh",
        "dormant-customers.sh",
    ] {
        let path = a.env.path(".desk/cron").join(script);
        std::fs::write(&path, &crafted).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    a.git(&team, &["add", "-f", ".desk/cron"]);
    a.git(&team, &["commit", "-q", "-m", "tidy up"]);
    a.git(&team, &["push", "-q"]);
    for at in ["2026-11-24T09:00:00+08:00", "2026-11-24T09:05:00+08:00"] {
        // Delivered; and the sync, whose check finds the files the commit
        // carries, tells of them (cron mails it) and pushes nothing.
        let out = run_cron_script(&team, &b, &deliver, at);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .contains(".desk/cron/deliver.sh: git tracks this file of .desk/"),
            "{}",
            out.stderr
        );
        let out = run_cron_script(&team, &b, &breaches, at);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }
    assert!(
        b.env.path(".desk/cron/deliver.sh").exists(),
        "the commit was pulled"
    );
    assert!(!marker.exists(), "a pulled commit ran a command in cron");
    // In the git directory, where no commit writes.
    assert_eq!(deliver, cron_dir(&team, &b).join("deliver.sh"));
    // desk check (and so the pre-commit hook) names what the commit carried.
    let out = b.env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(
            ".desk/cron/deliver.sh: git tracks this file of .desk/, this clone's own state"
        ) && out.stdout.contains("git rm -r --cached .desk"),
        "{}",
        out.stdout
    );
}

/// Two clones creating and updating tickets and running `desk sync` at the
/// same moment, round after round, against one remote: every sync ends by
/// itself (a push refused because the other pushed first is pulled and
/// pushed again), and in the end both clones hold every ticket and every
/// note, with nothing for a person to do.
#[test]
fn two_clones_syncing_at_once_lose_nothing_and_need_no_hand() {
    let (team, a, b, shared) = team_with_ticket();
    for clone in [&a, &b] {
        clone.git(&team, &["config", "user.name", "tester"]);
        clone.git(&team, &["config", "user.email", "t@example.com"]);
    }
    a.git(&team, &["branch", "-q", "--set-upstream-to=origin/main"]);
    let sync = |c: &Clone| {
        c.env
            .std_cmd()
            .args(["sync", "--retries", "20"])
            .spawn()
            .unwrap()
    };
    let mut created = vec![shared.clone()];
    let mut notes = Vec::new();
    const ROUNDS: usize = 12;
    for round in 0..ROUNDS {
        for (name, clone) in [("a", &a), ("b", &b)] {
            created.push(
                clone
                    .env
                    .new_ticket(&["--title", &format!("{name} {round}")]),
            );
            let note = format!("{name} round {round}");
            clone.env.run(&["update", &shared, "--note", &note]).ok();
            notes.push(note);
        }
        let (mut first, mut second) = (sync(&a), sync(&b));
        assert!(
            first.wait().unwrap().success(),
            "round {round}: a's sync failed"
        );
        assert!(
            second.wait().unwrap().success(),
            "round {round}: b's sync failed"
        );
    }
    // One more each, so that each has what the other pushed last.
    for clone in [&a, &b, &a] {
        let out = clone.env.run(&["sync"]).ok();
        assert!(out.stderr.contains("pushed"), "{}", out.stderr);
    }
    let tickets = |c: &Clone| {
        let mut found: Vec<String> = walk(&c.env.root.join("tickets"))
            .into_iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        found.sort();
        found
    };
    assert_eq!(tickets(&a), tickets(&b), "the clones differ");
    for id in &created {
        assert!(a.env.ticket_path(id).exists(), "{id} lost");
    }
    let text = a.env.read_ticket(&shared);
    for note in &notes {
        assert!(text.contains(note.as_str()), "note '{note}' lost");
    }
    for clone in [&a, &b] {
        clone.check_clean();
        assert!(clone.git(&team, &["status", "--porcelain"]).is_empty());
    }
    // The commit says what it holds.
    let log = a.git(&team, &["log", "--format=%s"]);
    assert!(
        log.contains("desk sync by tester: tickets: 1 new, 1 changed"),
        "{log}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// `git-setup` tunes the clone for many files, keeping a choice made.
#[test]
fn git_setup_tunes_the_clone_for_many_files_and_keeps_choices() {
    let (team, a, _b, _) = team_with_ticket();
    let get = |key: &str| a.git(&team, &["config", "--get", key]).trim().to_string();
    assert_eq!(get("index.version"), "4");
    assert_eq!(get("core.untrackedCache"), "true");
    assert_eq!(get("fetch.writeCommitGraph"), "true");
    a.git(&team, &["config", "--local", "index.version", "2"]);
    a.env.run(&["git-setup"]).ok();
    assert_eq!(get("index.version"), "2");
}

/// `desk check` finds a secret key wherever `git add -A` would publish it
/// (staged even if deleted since, a tracked file changed, an untracked
/// file), names its kind, and leaves alone what git ignores and what a link
/// points at.
#[test]
fn check_finds_secret_keys_git_would_publish_and_nothing_else() {
    let (team, a, _b, _) = team_with_ticket();
    let age = format!("AGE-SECRET-KEY-1{}\n", "Q".repeat(58));
    let root = &a.env.root;
    // A tracked file changed and not staged.
    let notes = root.join("notes.md");
    std::fs::write(&notes, "nothing here\n").unwrap();
    a.commit(&team, "notes");
    std::fs::write(&notes, format!("oops\n{age}")).unwrap();
    // Staged, then deleted from the work tree: the index still has it.
    std::fs::write(root.join("staged.txt"), &age).unwrap();
    a.git(&team, &["add", "staged.txt"]);
    std::fs::remove_file(root.join("staged.txt")).unwrap();
    // Untracked, not ignored.
    std::fs::write(root.join("loose.txt"), &age).unwrap();
    // Ignored: git would not publish it.
    let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    std::fs::write(root.join(".gitignore"), format!("{ignore}/ignored.txt\n")).unwrap();
    std::fs::write(root.join("ignored.txt"), &age).unwrap();
    // A link to a key outside the store: git publishes the link, not the key.
    let outside = a.env.outside("key.txt");
    std::fs::write(&outside, &age).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link.txt")).unwrap();
    let out = a.env.run(&["check"]).fails(1);
    for name in ["staged.txt", "notes.md", "loose.txt"] {
        assert!(
            out.stdout
                .contains(&format!("{name}: holds an age private key")),
            "{name}: {}",
            out.stdout
        );
    }
    for name in ["ignored.txt", "link.txt"] {
        assert!(!out.stdout.contains(name), "{name}: {}", out.stdout);
    }
    assert!(!out.stdout.contains(&"Q".repeat(58)), "{}", out.stdout);
}

/// An agent's clone that holds only recent months: lists and shows what
/// it holds and says what it lacks, refuses a report that would count a
/// part as the whole, and refuses to number a ticket in a month it lacks.
#[test]
fn a_sparse_clone_works_on_its_months_and_refuses_partial_reports() {
    let (team, a, _b, _) = team_with_ticket();
    let october = a.env.new_ticket(&["--at", "2026-10-05 10:00"]);
    a.commit(&team, "an October ticket");
    a.git(&team, &["push", "-q", "origin", "HEAD:main"]);
    team.git(
        &team.root,
        &["clone", "-q", "--sparse", "origin.git", "laptop"],
    );
    let mut env = TestEnv::empty();
    env.root = team.root.join("laptop");
    env.at("2026-11-24T09:00:00+08:00");
    team.git(
        &env.root,
        &["sparse-checkout", "add", "customers", "tickets/2026/11"],
    );
    env.run(&["git-setup", "--node", "3"]).ok();
    assert!(!env.path("tickets/2026/10").exists());
    // What is here is listed; what is not is named.
    let out = env.run(&["list", "--all", "--format", "ids"]).ok();
    assert!(!out.stdout.contains(&october), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("1 month(s) (2026-10 to 2026-10)"),
        "{}",
        out.stderr
    );
    // November's report needs October (its tickets may still be open).
    let before = env.snapshot();
    let out = env.run(&["report", "--month", "2026-11"]).fails(1);
    assert!(
        out.stderr.contains("(2026-10)")
            && out.stderr.contains("sparse-checkout add tickets/2026/10"),
        "{}",
        out.stderr
    );
    // October's own month cannot be numbered here.
    let out = env
        .new_ticket_run(&["--title", "late", "--at", "2026-10-20 10:00"])
        .fails(1);
    assert!(
        out.stderr.contains("tickets/2026/10 is left out"),
        "{}",
        out.stderr
    );
    assert_eq!(before, env.snapshot());
    // November's tickets are written as anywhere.
    env.new_ticket(&["--at", "2026-11-24 08:30"]);
    // With the month added, the clone is whole again.
    team.git(&env.root, &["sparse-checkout", "add", "tickets/2026/10"]);
    env.run(&["report", "--month", "2026-11", "--format", "csv"])
        .ok();
    let out = env.run(&["list", "--all"]).ok();
    assert!(!out.stderr.contains("sparse"), "{}", out.stderr);
}
