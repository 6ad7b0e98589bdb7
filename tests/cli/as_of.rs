//! `--as-of REV`: report, list and show read the store as a commit of a real
//! repository holds it, after its tickets were edited and committed again,
//! and leave the work tree, git's index and the cache as they were.

use std::path::Path;
use std::process::Command;

use crate::common::TestEnv;

/// Runs git in the store, committing at `date` (which git's reflog, and so
/// `main@{DATE}`, dates the commit by).
fn git_at(env: &TestEnv, date: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(&env.root)
        .args(["-c", "user.name=tester", "-c", "user.email=t@example.com"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_AUTHOR_DATE", date)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn git(env: &TestEnv, args: &[&str]) -> String {
    git_at(env, "2026-11-23T09:00:00+08:00", args)
}

fn commit(env: &TestEnv, date: &str, message: &str) {
    git_at(env, date, &["add", "-A"]);
    git_at(env, date, &["commit", "-q", "-m", message]);
}

fn at(env: &mut TestEnv, now: &str, args: &[&str]) -> String {
    env.at(now).run(args).ok().stdout
}

/// What the second commit's reports said on the day it was made.
struct Printed {
    october: String,
    quarter_json: String,
    list: String,
    show_yaml: String,
    show_text: String,
    out_files: Vec<(String, Vec<u8>)>,
}

/// The files of a report's `--out` folder, by name.
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// A store in a git repository with three commits: October's tickets
/// (one closed and surveyed); November's (October's second closed, a new
/// one), when the October report was printed; then October's closed ticket
/// reopened, another's type edited and surveyed, and a label of desk.yaml
/// changed. One more change is left uncommitted in the work tree.
fn three_commits() -> (TestEnv, [String; 3], Printed) {
    let mut env = TestEnv::new();
    git(&env, &["init", "-q", "-b", "main"]);
    git(&env, &["config", "core.autocrlf", "false"]);

    // Commit 1: October.
    env.at("2026-10-05T09:00:00+08:00");
    let t1 = env.new_ticket(&["--type", "complaint", "--priority", "urgent"]);
    env.at("2026-10-10T10:00:00+08:00");
    let t2 = env.new_ticket(&["--type", "consultation", "--priority", "normal"]);
    at(
        &mut env,
        "2026-10-06T12:00:00+08:00",
        &["close", &t1, "--resolution", "fixed"],
    );
    at(
        &mut env,
        "2026-10-06T15:00:00+08:00",
        &[
            "survey",
            &t1,
            "--score",
            "efficiency=5",
            "--score",
            "attitude=5",
            "--score",
            "solution=4",
            "--nps",
            "10",
        ],
    );
    commit(&env, "2026-10-31T20:00:00+08:00", "October");

    // Commit 2: November, and the reports printed that day.
    at(
        &mut env,
        "2026-11-02T10:00:00+08:00",
        &["close", &t2, "--resolution", "answered"],
    );
    env.at("2026-11-03T09:00:00+08:00");
    let t3 = env.new_ticket(&["--type", "service", "--priority", "important"]);
    commit(&env, "2026-11-05T18:00:00+08:00", "November");
    env.at("2026-11-05T18:00:00+08:00");
    let out_dir = env.path("reports-then");
    let printed = Printed {
        october: at(
            &mut env,
            "2026-11-05T18:00:00+08:00",
            &["report", "--month", "2026-10", "--format", "csv"],
        ),
        quarter_json: at(
            &mut env,
            "2026-11-05T18:00:00+08:00",
            &["report", "--quarter", "2026Q4", "--format", "json"],
        ),
        list: at(
            &mut env,
            "2026-11-05T18:00:00+08:00",
            &["list", "--all", "--format", "csv"],
        ),
        show_yaml: at(
            &mut env,
            "2026-11-05T18:00:00+08:00",
            &["show", &t1, "--format", "yaml"],
        ),
        show_text: at(&mut env, "2026-11-05T18:00:00+08:00", &["show", &t1]),
        out_files: {
            at(
                &mut env,
                "2026-11-05T18:00:00+08:00",
                &[
                    "report",
                    "--month",
                    "2026-10",
                    "--out",
                    out_dir.to_str().unwrap(),
                ],
            );
            let files = files_in(&out_dir);
            std::fs::remove_dir_all(&out_dir).unwrap();
            files
        },
    };

    // Commit 3: October's closed ticket reopened, another's type edited
    // and surveyed, the urgent priority's label changed.
    at(
        &mut env,
        "2026-11-10T09:00:00+08:00",
        &["reopen", &t1, "--reason", "fails again"],
    );
    at(
        &mut env,
        "2026-11-10T10:00:00+08:00",
        &["edit", &t2, "--set", "type=complaint"],
    );
    at(
        &mut env,
        "2026-11-10T11:00:00+08:00",
        &[
            "survey",
            &t2,
            "--score",
            "efficiency=1",
            "--score",
            "attitude=2",
            "--score",
            "solution=1",
            "--nps",
            "0",
        ],
    );
    let desk_yaml = env.path("desk.yaml");
    let text = std::fs::read_to_string(&desk_yaml).unwrap();
    let relabelled = text.replacen("label: 紧急", "label: 最紧急", 1);
    assert_ne!(text, relabelled);
    std::fs::write(&desk_yaml, relabelled).unwrap();
    commit(&env, "2026-11-20T18:00:00+08:00", "Reopened");

    // Left uncommitted.
    at(
        &mut env,
        "2026-11-21T10:00:00+08:00",
        &["close", &t3, "--resolution", "repaired"],
    );
    env.at("2026-11-23T09:00:00+08:00");
    (env, [t1, t2, t3], printed)
}

/// What must not change: the work tree's files and `.git/` (bytes), the
/// cache and state in `.desk/` (names, bytes, times), git's index (bytes,
/// time).
fn untouched(env: &TestEnv) -> impl PartialEq {
    let state: Vec<(String, Vec<u8>, std::time::SystemTime)> =
        walkdir::WalkDir::new(env.path(".desk"))
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect();
    let index = env.path(".git/index");
    (
        env.snapshot(),
        state,
        std::fs::read(&index).unwrap(),
        std::fs::metadata(&index).unwrap().modified().unwrap(),
    )
}

#[test]
fn a_report_as_of_a_commit_prints_what_it_printed_then() {
    let (env, [t1, t2, _], printed) = three_commits();
    git(&env, &["tag", "v2026.11", "HEAD~1"]);
    let status = git(&env, &["status", "--porcelain"]);
    assert!(!status.is_empty(), "one change is uncommitted");

    // The October report now differs: T1 was reopened, T2's type edited.
    let october_now = env
        .run(&["report", "--month", "2026-10", "--format", "csv"])
        .ok()
        .stdout;
    assert_ne!(october_now, printed.october);
    // (That read refreshed the work tree's cache; nothing changes from here.)
    let before = untouched(&env);

    let october = |rev: &str| {
        env.run(&[
            "report", "--month", "2026-10", "--format", "csv", "--as-of", rev,
        ])
        .ok()
        .stdout
    };
    assert_eq!(october("HEAD~1"), printed.october);
    assert!(printed.october.contains("complaint"));

    // Every section, as JSON, over the quarter. It had not ended when it
    // was printed, so its backlog also depends on the time: `--now` gives it.
    let quarter = env
        .run(&[
            "report",
            "--quarter",
            "2026Q4",
            "--format",
            "json",
            "--as-of",
            "HEAD~1",
            "--now",
            "2026-11-05T18:00:00+08:00",
        ])
        .ok()
        .stdout;
    assert_eq!(quarter, printed.quarter_json);

    // --out writes the same files.
    let out_dir = env.outside("reports-again");
    env.run(&[
        "report", "--month", "2026-10", "--out", &out_dir, "--as-of", "HEAD~1",
    ])
    .ok();
    assert_eq!(files_in(Path::new(&out_dir)), printed.out_files);

    // list, with a hash, a tag, and a branch at a date (git's reflog of
    // main, dated by the commits).
    let list = |rev: &str| {
        env.run(&["list", "--all", "--format", "csv", "--as-of", rev])
            .ok()
            .stdout
    };
    assert_eq!(list("HEAD~1"), printed.list);
    assert_eq!(list("v2026.11"), printed.list);
    assert_eq!(october("v2026.11"), printed.october);
    let hash = git(&env, &["rev-parse", "HEAD~1"]);
    assert_eq!(list(hash.trim()), printed.list);
    assert_eq!(list("main@{2026-11-10}"), printed.list);
    // The first commit: T2 still open, T3 not yet there.
    let first = list("main@{2026-11-01}");
    assert_eq!(first, list("HEAD~2"));
    assert_ne!(first, printed.list);
    assert!(first.contains(&format!("{t2},")) && first.lines().count() == 3);

    // show, with the commit's desk.yaml (the old label).
    let show = |args: &[&str]| env.run(args).ok().stdout;
    assert_eq!(
        show(&["show", &t1, "--format", "yaml", "--as-of", "HEAD~1"]),
        printed.show_yaml
    );
    let text_then = show(&["show", &t1, "--as-of", "HEAD~1"]);
    assert!(text_then.contains("urgent (紧急)"), "{text_then}");
    assert!(show(&["show", &t1, "--as-of", "HEAD"]).contains("urgent (最紧急)"));
    assert!(printed.show_text.contains("urgent (紧急)"));
    // T2 was an inquiry then; the first commit has it open.
    let first = show(&["show", &t2, "--format", "json", "--as-of", "HEAD~2"]);
    assert!(
        first.contains("\"consultation\"") && !first.contains("\"closed\""),
        "{first}"
    );

    assert!(
        untouched(&env) == before,
        "the work tree, .desk/ or .git/ changed"
    );
    assert_eq!(git(&env, &["status", "--porcelain"]), status);
}

#[test]
fn a_revision_git_does_not_know_is_an_error_naming_it() {
    let (env, _, _) = three_commits();
    let before = untouched(&env);
    for (asked, shown) in [
        ("nope", "'nope'"),
        ("HEAD~7", "'HEAD~7'"),
        ("v9.9", "'v9.9'"),
        ("bad\u{1b}[2J", "'bad\\e[2J'"),
    ] {
        let out = env
            .run(&["report", "--month", "2026-10", "--as-of", asked])
            .fails(1);
        assert!(
            out.stderr
                .contains(&format!("invalid --as-of revision {shown}"))
                && out.stderr.contains("HEAD~1")
                && out.stderr.contains("main@{2026-10-31}")
                && !out.stderr.contains('\u{1b}'),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    env.run(&["list", "--as-of", "nope"]).fails(1);
    env.run(&["show", "1", "--as-of", "nope"]).fails(1);
    assert!(
        untouched(&env) == before,
        "the work tree, .desk/ or .git/ changed"
    );

    // A store outside git has no history to read.
    let plain = TestEnv::new();
    let out = plain.run(&["list", "--as-of", "HEAD"]).fails(1);
    assert!(
        out.stderr.contains("not in a git repository"),
        "{}",
        out.stderr
    );
}

/// The path of ticket `id` from the store's root.
fn ticket_file(id: &str) -> String {
    format!("tickets/{}/{}/{id}.yaml", &id[2..6], &id[6..8])
}

#[test]
fn check_as_of_a_commit_checks_that_commit_and_leaves_the_work_tree_alone() {
    let mut env = TestEnv::new();
    git(&env, &["init", "-q", "-b", "main"]);
    git(&env, &["config", "core.autocrlf", "false"]);
    env.at("2026-11-02T09:00:00+08:00");
    let id = env.new_ticket(&[]);
    let rel = ticket_file(&id);
    let sound = std::fs::read_to_string(env.path(&rel)).unwrap();
    // A merge without the desk driver, pushed as it was.
    let broken = format!("<<<<<<< HEAD\n{sound}=======\n>>>>>>> other\n");
    std::fs::write(env.path(&rel), &broken).unwrap();
    commit(&env, "2026-11-02T10:00:00+08:00", "a bad merge");
    std::fs::write(env.path(&rel), &sound).unwrap();
    commit(&env, "2026-11-02T11:00:00+08:00", "mended");
    // The work tree breaks again, uncommitted: a commit is checked as it is.
    std::fs::write(env.path(&rel), &broken).unwrap();
    let here = env.run(&["check"]).fails(1);
    assert!(here
        .stdout
        .contains(&format!("{rel}:1: git conflict markers")));
    assert!(here.stdout.contains("desk merge driver"), "{}", here.stdout);
    // (That check brought the work tree's customer index up to date.)
    let before = untouched(&env);

    let out = env.run(&["check", "--as-of", "HEAD~1"]).fails(1);
    assert_eq!(
        out.stdout,
        format!(
            "{rel}:1: git conflict markers: a merge without the desk driver (`desk git-setup`) \
             left this file half-merged; resolve it by hand\n"
        )
    );
    assert!(out.stderr.contains("1 problem(s) found"), "{}", out.stderr);
    let out = env.run(&["check", "--as-of", "HEAD"]).ok();
    assert_eq!(out.stdout, "");
    // Nothing of this clone's git set-up is checked at a commit, though
    // this clone has none.
    assert!(!out.stderr.contains("git-setup"), "{}", out.stderr);
    assert!(
        untouched(&env) == before,
        "the work tree, .desk/ or .git/ changed"
    );

    // A key pushed in a commit is found there, named by its path.
    std::fs::write(env.path(&rel), &sound).unwrap();
    let key = format!("AGE-SECRET-KEY-1{}\n", "Q".repeat(58));
    std::fs::write(env.path("notes/key.txt"), &key)
        .or_else(|_| {
            std::fs::create_dir_all(env.path("notes"))?;
            std::fs::write(env.path("notes/key.txt"), &key)
        })
        .unwrap();
    commit(&env, "2026-11-02T12:00:00+08:00", "a key by mistake");
    let out = env.run(&["check", "--as-of", "HEAD"]).fails(1);
    assert!(
        out.stdout.starts_with(
            "notes/key.txt: holds an age private key (AGE-SECRET-KEY-1...); remove it in a new \
             commit"
        ) && !out.stdout.contains(&key[..20]),
        "{}",
        out.stdout
    );
    env.run(&["check", "--as-of", "HEAD~1"]).ok();

    // --fix changes the work tree, so it is refused with a commit.
    let out = env.run(&["check", "--fix", "--as-of", "HEAD"]).fails(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
    env.run(&["check", "--as-of", "nope"]).fails(1);
}
