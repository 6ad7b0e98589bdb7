//! Rules in desk.yaml: event-triggered routing and field actions, run inside
//! the command that caused the event; bad rules refused by `check` and by
//! every command that records events.

use crate::common::{customer_add, TestEnv};

/// A store with three engineers (one away, when `away` is set), two service
/// agents and a supervisor, no default rules, `rules` appended to desk.yaml,
/// and customer C000001.
fn team(rules: &str, away: Option<&str>) -> TestEnv {
    let env = TestEnv::empty();
    env.run(&[
        "init",
        ".",
        "--rules",
        "none",
        "--agent",
        "e1:Engineer One:engineer",
        "--agent",
        "e2:Engineer Two:engineer",
        "--agent",
        "e3:Engineer Three:engineer",
        "--agent",
        "s1:Service One:service",
        "--agent",
        "s2:Service Two:service",
        "--agent",
        "boss:The Boss:supervisor",
    ])
    .ok();
    let path = env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("\nrules:"), "--rules none writes no rules");
    if let Some(who) = away {
        let line = format!("- id: {who}\n");
        text = text.replace(&line, &format!("{line}  away: true\n"));
    }
    text.push_str(rules);
    std::fs::write(&path, text).unwrap();
    env.run(&customer_add(
        "individual",
        "张三",
        &["--phone", "13900000001"],
    ))
    .ok();
    env
}

fn assignee(env: &TestEnv, id: &str) -> Option<String> {
    env.ticket_yaml(id)["assignee"].as_str().map(str::to_string)
}

fn events(env: &TestEnv, id: &str) -> Vec<desk::yaml::Value> {
    env.ticket_yaml(id)["history"]
        .as_sequence()
        .unwrap()
        .to_vec()
}

const ROUTING: &str = "\
rules:
- name: faults-round-robin
  when: created
  if:
    type: 服务
    assignee: {set: false}
  then:
  - assign: {role: engineer, strategy: round_robin}
- name: consultations-fewest-open
  when: created
  if:
    type: [consultation]
  then:
  - assign: {role: 客服, strategy: fewest_open}
";

#[test]
fn init_default_rules_route_a_complaint_to_the_supervisor() {
    let env = TestEnv::empty();
    env.run(&["init", "."]).ok();
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    assert!(yaml.contains("name: complaints-to-supervisor"), "{yaml}");
    env.run(&customer_add(
        "individual",
        "张三",
        &["--phone", "13900000001"],
    ))
    .ok();
    let out = env
        .new_ticket_run(&[
            "--type",
            "投诉",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "客服态度不好",
        ])
        .ok();
    let id = out.stdout.trim();
    assert_eq!(out.stdout, format!("{id}\n"), "stdout is the ID alone");
    assert!(
        out.stderr.contains("chen.jing") && out.stderr.contains("complaints-to-supervisor"),
        "{}",
        out.stderr
    );
    assert_eq!(assignee(&env, id).as_deref(), Some("chen.jing"));
    let history = events(&env, id);
    assert_eq!(history.len(), 3);
    assert_eq!(history[1]["action"].as_str(), Some("assigned"));
    // The supervisor is told, by `desk run` (docs/automation.md).
    assert_eq!(history[2]["action"].as_str(), Some("queued"));
    assert_eq!(history[2]["to"][0].as_str(), Some("chen.jing"));
    // A reference to the rule's action: the template is the rule's.
    assert_eq!(
        history[2]["key"]
            .as_str()
            .map(|k| k.starts_with("complaints-to-supervisor/")),
        Some(true)
    );
    assert!(history[2].get("template").is_none(), "{:?}", history[2]);
    assert_eq!(history[1]["to"].as_str(), Some("chen.jing"));
    assert_eq!(
        history[1]["by"].as_str(),
        Some("rule:complaints-to-supervisor")
    );
    // A consultation goes to the service agent, a service request (technical
    // fault) to the engineer; an explicit --assign is left alone.
    let consult = env.new_ticket(&["--type", "咨询"]);
    assert_eq!(assignee(&env, &consult).as_deref(), Some("li.na"));
    let fault = env.new_ticket(&["--type", "service"]);
    assert_eq!(assignee(&env, &fault).as_deref(), Some("wang.qiang"));
    let manual = env.new_ticket(&["--assign", "zhao.min"]);
    assert_eq!(assignee(&env, &manual).as_deref(), Some("zhao.min"));
    // Not routed; the assignee given by hand is told (notify-assignee).
    let manual = events(&env, &manual);
    assert_eq!(manual.len(), 2);
    assert_eq!(manual[1]["by"].as_str(), Some("rule:notify-assignee"));
    assert_eq!(manual[1]["to"][0].as_str(), Some("zhao.min"));
    // What the rules wrote passes check.
    env.run(&["check"]).ok();
    let out = TestEnv::empty()
        .run(&["init", ".", "--rules", "some"])
        .fails(1);
    assert!(
        out.stderr.contains("'some'") && out.stderr.contains("default or none"),
        "{}",
        out.stderr
    );
}

#[test]
fn routing_by_type_and_role_with_round_robin_over_ten_tickets() {
    let env = team(ROUTING, None);
    let got: Vec<String> = (0..10)
        .map(|_| {
            let id = env.new_ticket(&["--type", "service"]);
            assignee(&env, &id).unwrap()
        })
        .collect();
    assert_eq!(
        got,
        ["e1", "e2", "e3", "e1", "e2", "e3", "e1", "e2", "e3", "e1"]
    );
    // A complaint matches no rule: it stays unassigned.
    let complaint = env.new_ticket(&[]);
    assert_eq!(assignee(&env, &complaint), None);
    // A consultation goes to a service agent, not an engineer.
    let consult = env.new_ticket(&["--type", "consultation"]);
    assert_eq!(assignee(&env, &consult).as_deref(), Some("s1"));
    let last = events(&env, &consult);
    assert_eq!(
        last[1]["by"].as_str(),
        Some("rule:consultations-fewest-open")
    );
}

#[test]
fn round_robin_skips_agents_who_are_away() {
    let env = team(ROUTING, Some("e2"));
    let got: Vec<String> = (0..10)
        .map(|_| assignee(&env, &env.new_ticket(&["--type", "service"])).unwrap())
        .collect();
    assert_eq!(
        got,
        ["e1", "e3", "e1", "e3", "e1", "e3", "e1", "e3", "e1", "e3"]
    );
}

#[test]
fn round_robin_skips_agents_who_left() {
    let env = team(ROUTING, None);
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = "- id: e3\n";
    std::fs::write(
        &path,
        text.replace(line, &format!("{line}  active: false\n")),
    )
    .unwrap();
    let got: Vec<String> = (0..4)
        .map(|_| assignee(&env, &env.new_ticket(&["--type", "service"])).unwrap())
        .collect();
    assert_eq!(got, ["e1", "e2", "e1", "e2"]);
}

#[test]
fn fewest_open_balances_the_open_tickets_over_ten_tickets() {
    let env = team(ROUTING, None);
    // s1 already holds three open tickets and one closed one, s2 one.
    for _ in 0..3 {
        env.new_ticket(&["--assign", "s1"]);
    }
    let closed = env.new_ticket(&["--assign", "s1"]);
    env.run(&["close", &closed, "--resolution", "done"]).ok();
    env.new_ticket(&["--assign", "s2"]);
    let got: Vec<String> = (0..10)
        .map(|_| assignee(&env, &env.new_ticket(&["--type", "咨询"])).unwrap())
        .collect();
    // s2 catches up to three, then they alternate (ties go to the first listed).
    assert_eq!(
        got,
        ["s2", "s2", "s1", "s2", "s1", "s2", "s1", "s2", "s1", "s2"]
    );
}

/// Routing reads the workload index, which follows the store without a
/// stat of every file: each step below changes the store behind desk's
/// back in a way the index must see, and the next assignment would go to
/// the other agent had it missed it.
#[test]
fn fewest_open_sees_edits_in_place_pulled_folders_deletions_and_replaced_files() {
    let env = team(ROUTING, None);
    let route = || assignee(&env, &env.new_ticket(&["--type", "咨询"])).unwrap();
    let s1: Vec<String> = (0..3)
        .map(|_| env.new_ticket(&["--assign", "s1"]))
        .collect();
    let closed = env.new_ticket(&["--assign", "s1"]);
    env.run(&["close", &closed, "--resolution", "done"]).ok();
    let s2 = env.new_ticket(&["--assign", "s2"]);
    // Open: s1 3, s2 1; the first routing builds the index: s1 3, s2 2.
    assert_eq!(route(), "s2");
    let reassigned = |id: &str, to: &str| {
        let text = env.read_ticket(id);
        let line = text.lines().find(|l| l.starts_with("assignee:")).unwrap();
        text.replacen(line, &format!("assignee: {to}"), 1)
    };

    // An editor that writes in place (same file, same inode): s1 2, s2 3.
    let path = env.ticket_path(&s1[0]);
    let text = reassigned(&s1[0], "s2");
    // std::fs::write truncates the file it finds: the inode is kept.
    std::fs::write(&path, &text).unwrap();
    assert_eq!(route(), "s1", "the edit in place was missed");

    // A pull brings a month folder holding two open tickets of s1's:
    // s1 5, s2 3.
    let pulled = env.path("tickets/2025/01");
    std::fs::create_dir_all(&pulled).unwrap();
    for serial in ["0001", "0002"] {
        let id = format!("CW2025010{serial}");
        let text = env.read_ticket(&s1[2]).replace(&s1[2], &id);
        std::fs::write(pulled.join(format!("{id}.yaml")), text).unwrap();
    }
    assert_eq!(route(), "s2", "the pulled folder was missed");

    // The folder goes again: s1 3, s2 4.
    std::fs::remove_dir_all(env.path("tickets/2025")).unwrap();
    assert_eq!(route(), "s1", "the deletion was missed");

    // A file replaced by renaming another over it, as git and desk do:
    // s1 5, s2 3.
    let path = env.ticket_path(&s2);
    let temp = path.with_extension("new");
    std::fs::write(&temp, reassigned(&s2, "s1")).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    assert_eq!(route(), "s2", "the replaced file was missed");

    // What the index holds is what a full read finds: s1 5, s2 4.
    let stats = env.run(&["cache", "stats"]).ok().stdout;
    assert!(stats.contains("workload"), "{stats}");
    env.run(&["cache", "clear"]).ok();
    assert_eq!(route(), "s2");

    // A closed ticket reopened by a write in place (`cp` over it; git may
    // give a re-created file the old inode) in a folder that changed too:
    // s1 6, s2 5.
    let path = env.ticket_path(&closed);
    let text = env
        .read_ticket(&closed)
        .replacen("status: closed", "status: in_progress", 1);
    std::fs::write(&path, &text).unwrap();
    let other = path.with_file_name("notes.txt");
    std::fs::write(&other, "x").unwrap();
    std::fs::remove_file(&other).unwrap();
    assert_eq!(
        route(),
        "s2",
        "the reopening in a changed folder was missed"
    );

    // An open ticket edited in place in a folder nothing else changes (a
    // past month): only the stat of every open ticket sees it. s1 6, s2 7.
    let october = env.new_ticket(&["--assign", "s2", "--at", "2026-10-05 09:00"]);
    // Past the window in which the folder's identity could hide a change.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(route(), "s1");
    // s1 8, s2 6.
    let path = env.ticket_path(&october);
    std::fs::write(&path, reassigned(&october, "s1")).unwrap();
    assert_eq!(
        route(),
        "s2",
        "the edit in place in an unchanged folder was missed"
    );
}

#[test]
fn is_differs_from_changed_to_and_rule_events_trigger_no_rules() {
    let rules = "\
rules:
- name: urgent-tag
  when: edited
  if:
    priority: {changed_to: urgent}
  then:
  - set: {tags: {add: [escalated]}, category: 升级}
  - note: raised to urgent
- name: echo-notes
  when: [updated, edited]
  then:
  - note: seen
";
    let env = team(rules, None);
    let id = env.new_ticket(&["--priority", "normal"]);
    // The title changes while the priority stays normal: only echo-notes fires.
    env.run(&["edit", &id, "--set", "title=Still dead"]).ok();
    let h = events(&env, &id);
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[2]["by"].as_str(), Some("rule:echo-notes"));
    env.run(&["edit", &id, "--set", "priority=紧急"]).ok();
    let t = env.ticket_yaml(&id);
    assert_eq!(t["tags"][0].as_str(), Some("escalated"));
    assert_eq!(t["category"].as_str(), Some("升级"));
    let h = events(&env, &id);
    let by: Vec<&str> = h.iter().map(|e| e["by"].as_str().unwrap()).collect();
    // The edit, urgent-tag's two edits and its note, echo-notes' note; the
    // rules' own events trigger nothing (no second "seen", no loop).
    assert_eq!(
        by[3..],
        [
            "tester",
            "rule:urgent-tag",
            "rule:urgent-tag",
            "rule:urgent-tag",
            "rule:echo-notes"
        ]
    );
    // Now urgent, but not changed to urgent: urgent-tag stays quiet.
    env.run(&["edit", &id, "--set", "title=Dead again"]).ok();
    let h = events(&env, &id);
    assert_eq!(h.len(), 10);
    assert_eq!(h[9]["by"].as_str(), Some("rule:echo-notes"));
    env.run(&["check"]).ok();
}

/// Each bad rule is refused by `check` and by `desk new`, naming the rule
/// and the key, and nothing is written.
#[test]
fn bad_rules_are_refused_naming_the_rule_and_the_key() {
    let cases = [
        (
            "- name: colours\n  when: created\n  if: {colour: red}\n  then: [{note: x}]\n",
            "if.colour",
        ),
        (
            "- name: typo\n  when: created\n  then: [{note: x}]\n  thne: [{note: y}]\n",
            "thne",
        ),
        (
            "- name: nobody\n  when: created\n  then: [{assign: zhang.wei}]\n",
            "then[0].assign",
        ),
        (
            "- name: no-role\n  when: created\n  then: [{assign: {role: janitor}}]\n",
            "then[0].assign.role",
        ),
        (
            "- name: bad-type\n  when: created\n  if: {type: complain}\n  then: [{note: x}]\n",
            "if.type",
        ),
        (
            "- name: never\n  when: closed\n  if: {type: {changed_to: complaint}}\n  then: [{note: x}]\n",
            "if.type",
        ),
        (
            "- name: never-either\n  when: created\n  if: {priority: {is: urgent, not: [urgent, p1]}}\n  then: [{note: x}]\n",
            "if.priority",
        ),
        (
            "- name: bad-when\n  when: {pending_for: soon}\n  then: [{note: x}]\n",
            "when.pending_for",
        ),
    ];
    for (rule, key) in cases {
        let env = team(&format!("rules:\n{rule}"), None);
        let name = rule["- name: ".len()..].lines().next().unwrap();
        let out = env.run(&["check"]).fails(1);
        assert!(
            out.stdout.contains("desk.yaml")
                && out.stdout.contains(&format!("rule '{name}'"))
                && out.stdout.contains(key),
            "{rule}\n{}",
            out.stdout
        );
        let before = env.snapshot();
        let out = env.new_ticket_run(&[
            "--type",
            "complaint",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "t",
        ]);
        let out = out.fails(1);
        assert!(
            out.stderr.contains(&format!("rule '{name}'")) && out.stderr.contains(key),
            "{rule}\n{}",
            out.stderr
        );
        assert_eq!(env.snapshot(), before, "{rule}: nothing written");
        // Reading commands still work.
        env.run(&["list"]).ok();
    }
}

#[test]
fn time_triggers_and_notify_and_run_actions_are_accepted() {
    let rules = "\
rules:
- name: notify-assignee
  when: assigned
  then:
  - notify: {to: assignee, template: assigned}
- name: urgent-breach
  when: {sla: resolution, state: breached}
  if: {priority: urgent}
  then:
  - notify: {to: [{role: supervisor}, owner], via: email, template: escalation}
  - run: {command: hooks/wecom.sh, args: [--urgent]}
- name: progress-overdue
  when: {no_progress_for: 24h}
  then:
  - notify: {to: assignee, template: progress, digest: true}
- name: survey-reminder
  when: {unsurveyed_for: 24h}
  then:
  - notify: {to: assignee, template: survey}
- name: quarterly-callback
  when: {dormant_for: 3m}
  if: {customer.vip: true}
  then:
  - open: {type: 咨询, priority: normal, channel: phone, title: VIP 回访}
  - notify: {to: owner, template: callback}
";
    let env = team(rules, None);
    // Every template a rule names must exist.
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains("desk.yaml:264: rule 'quarterly-callback' (rules[4]), key then[1].notify.template: templates/callback.txt does not exist"),
        "{}",
        out.stdout
    );
    // A command that would queue from such rules refuses before writing.
    let before = env.snapshot();
    let out = env.new_ticket_run(&[]).fails(1);
    assert!(
        out.stderr.contains("templates/assigned.txt does not exist"),
        "{}",
        out.stderr
    );
    assert_eq!(env.snapshot(), before);
    std::fs::create_dir_all(env.path("templates")).unwrap();
    for name in ["assigned", "escalation", "progress", "survey", "callback"] {
        std::fs::write(
            env.path(&format!("templates/{name}.txt")),
            "Subject: {{ ticket.id }}\n\n{{ ticket.title }}\n",
        )
        .unwrap();
    }
    env.run(&["check"]).ok();
    // A notify action is queued in the command's write, for `desk run`.
    let id = env.new_ticket(&[]);
    env.run(&["assign", &id, "e1"]).ok();
    let history = events(&env, &id);
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["action"].as_str(), Some("queued"));
    assert_eq!(history[2]["to"][0].as_str(), Some("e1"));
}

/// A rule's note is not a response to the customer: SLA clocks ignore it.
#[test]
fn a_rule_note_does_not_meet_the_response_target() {
    let mut env = team(
        "rules:\n- {name: ack, when: created, then: [{note: routed automatically}]}\n",
        None,
    );
    let id = env.new_ticket(&[]);
    assert_eq!(events(&env, &id)[1]["by"].as_str(), Some("rule:ack"));
    env.at("2026-11-23T12:00:00+08:00");
    for cache in [true, false] {
        if !cache {
            env.run(&["cache", "clear"]).ok();
        }
        let out = env.run(&["sla", "--format", "csv"]).ok();
        let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(row[0], id);
        assert_eq!(row[5], "breached", "response_state\n{}", out.stdout);
    }
    let out = env.run(&["show", &id, "--format", "json"]).ok();
    assert!(!out.stdout.contains("\"met\""), "{}", out.stdout);
}

/// Conditions on the customer and on working hours use the customer file
/// and the store's calendar.
#[test]
fn customer_and_working_hours_conditions() {
    let rules = "\
rules:
- name: vip-to-boss
  when: created
  if: {customer.vip: true, customer.owner: s2}
  then:
  - assign: boss
- name: after-hours
  when: created
  if: {working_hours: false}
  then:
  - set: {tags: {add: [after-hours]}}
";
    let env = team(rules, None);
    env.run(&customer_add(
        "enterprise",
        "星河科技有限公司",
        &[
            "--credit-code",
            "91350100M000100Y43",
            "--vip",
            "--owner",
            "s2",
        ],
    ))
    .ok();
    // Monday 09:00 (working hours), an ordinary customer: nothing.
    let plain = env.new_ticket(&[]);
    assert_eq!(events(&env, &plain).len(), 1);
    // The VIP customer owned by s2, on a Sunday: both rules.
    let vip = env.new_ticket(&["--customer", "C000002", "--at", "2026-11-22 10:00"]);
    let t = env.ticket_yaml(&vip);
    assert_eq!(t["assignee"].as_str(), Some("boss"));
    assert_eq!(t["tags"][0].as_str(), Some("after-hours"));
}

/// `desk check` and the commands name the line of the rule in desk.yaml.
#[test]
fn problems_name_the_line_of_the_rule() {
    let env = team(
        "rules:\n- name: fine\n  when: created\n  then: [{note: x}]\n- name: broken\n  when: created\n  then: [{assign: {role: janitor}}]\n- {name: 'flow', when: creatd, then: [{note: x}]}\n",
        None,
    );
    let text = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let line = text.lines().position(|l| l == "- name: broken").unwrap() + 1;
    let out = env.run(&["check"]).fails(1);
    assert_eq!(
        out.stdout,
        format!("desk.yaml:{line}: rule 'broken' (rules[1]), key then[0].assign.role: 'janitor' is not a role; roles are service (客服), engineer (工程师), sales (销售), supervisor (主管), qa (质检)\n\
                 desk.yaml:{}: rule 'flow' (rules[2]), key when: 'creatd' is not an event; events are created, assigned, updated, closed, reopened, surveyed, edited, or a time condition (sla, no_progress_for, pending_for, unsurveyed_for, survey_window_left, unassigned_for, dormant_for)\n", line + 3)
    );
    let out = env
        .run(&["update", "CW202611230001", "--note", "x"])
        .fails(1);
    assert!(
        out.stderr
            .starts_with(&format!("error: desk.yaml:{line}: rule 'broken'")),
        "{}",
        out.stderr
    );
}

/// A problem names the line of the rule it is about: a duplicate name the
/// later rule (not the first of that name), a rule without a name the line
/// where it begins; a `name:` elsewhere in desk.yaml does not count.
#[test]
fn a_rule_problem_names_the_line_of_that_rule() {
    let env = team(
        "rules:\n- name: twice\n  when: created\n  then: [{note: x}]\n- when: closed\n  name: twice\n  then: [{set: {tags: [done]}}]\n-\n  when: created\n  then: [{note: y}]\n",
        None,
    );
    let text = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let line = |wanted: &str, nth: usize| {
        text.lines()
            .enumerate()
            .filter(|(_, l)| *l == wanted)
            .nth(nth)
            .unwrap()
            .0
            + 1
    };
    let out = env.run(&["check"]).fails(1);
    assert_eq!(
        out.stdout,
        format!(
            "desk.yaml:{}: rule 'twice' (rules[1]), key name: the name is also used by rules[0]\n\
             desk.yaml:{}: rules[2], key name: every rule needs a name (it is recorded in the events it causes)\n",
            line("  name: twice", 0),
            line("-", 0)
        )
    );
    let out = env.new_ticket_run(&[]).fails(1);
    assert!(
        out.stderr.starts_with(&format!(
            "error: desk.yaml:{}: rule 'twice' (rules[1])",
            line("  name: twice", 0)
        )),
        "{}",
        out.stderr
    );
}

/// The first rule that assigns wins; a later one is skipped with a warning
/// that says why, and a role nobody can take is a warning, not an error.
#[test]
fn the_first_assignment_wins_and_skips_are_warnings() {
    let rules = "\
rules:
- {name: first, when: created, then: [{assign: {role: engineer}}]}
- {name: second, when: created, then: [{assign: {role: service, strategy: fewest_open}}]}
- {name: sales, when: created, if: {type: 合作}, then: [{assign: {role: sales}}]}
";
    let env = team(rules, None);
    let out = env
        .new_ticket_run(&[
            "--type",
            "complaint",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "t",
        ])
        .ok();
    let id = out.stdout.trim();
    assert_eq!(
        out.stderr,
        format!(
            "{id}: assigned to e1 by rule first\n\
             warning: {id}: rule second skipped: a rule before it assigned the ticket already\n"
        )
    );
    // Nobody has the sales role here: the first rule still assigns.
    let out = env
        .new_ticket_run(&[
            "--type",
            "合作",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "t",
        ])
        .ok();
    assert!(
        out.stderr.contains("assigned to e2 by rule first"),
        "{}",
        out.stderr
    );
    let env = team(
        "rules:\n- {name: sales, when: created, then: [{assign: {role: sales}}]}\n",
        None,
    );
    let out = env
        .new_ticket_run(&[
            "--type",
            "合作",
            "--priority",
            "urgent",
            "--channel",
            "phone",
            "--title",
            "t",
        ])
        .ok();
    assert!(
        out.stderr.contains("warning: ")
            && out
                .stderr
                .contains("rule sales skipped: no agent of role sales"),
        "{}",
        out.stderr
    );
    assert_eq!(assignee(&env, out.stdout.trim()), None);
}

/// A routed `desk new` reads the workload through the cache; a ticket just
/// written (too recent to cache) does not make it rewrite the whole cache.
#[test]
fn routing_reads_the_cache_without_rewriting_it_for_a_fresh_ticket() {
    use std::os::unix::fs::MetadataExt;
    let env = team(ROUTING, None);
    for _ in 0..3 {
        env.new_ticket(&["--assign", "s1"]);
    }
    env.run_settled(&["list"]).ok();
    let cache = env.path(".desk/cache/tickets.bin");
    let inode = std::fs::metadata(&cache).unwrap().ino();
    let first = env.new_ticket(&["--type", "consultation"]);
    let second = env.new_ticket(&["--type", "consultation"]);
    assert_eq!(assignee(&env, &first).as_deref(), Some("s2"));
    assert_eq!(assignee(&env, &second).as_deref(), Some("s2"));
    assert_eq!(
        std::fs::metadata(&cache).unwrap().ino(),
        inode,
        "the cache was rewritten"
    );
}

/// Concurrent `desk new`s in one clone route under the lock that allocates
/// the day's IDs: round robin hands six tickets out two each.
#[test]
fn concurrent_new_tickets_are_routed_in_turn() {
    let env = team(ROUTING, None);
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.std_cmd()
                .args([
                    "new",
                    "--customer",
                    "C000001",
                    "--type",
                    "service",
                    "--priority",
                    "normal",
                    "--channel",
                    "phone",
                    "--title",
                    "t",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut count = std::collections::BTreeMap::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        *count.entry(assignee(&env, &id).unwrap()).or_insert(0) += 1;
    }
    assert_eq!(
        count.into_iter().collect::<Vec<_>>(),
        [
            ("e1".to_string(), 2),
            ("e2".to_string(), 2),
            ("e3".to_string(), 2)
        ]
    );
}

/// An update dated before the ticket's last event goes to its place in time;
/// its rules run all the same.
#[test]
fn a_backdated_event_triggers_its_rules() {
    let rules = "\
rules:
- name: hook-on-update
  when: updated
  then:
  - run: hooks/seen.sh
";
    let mut env = team(rules, None);
    let id = env.new_ticket(&["--at", "2026-11-23 08:00"]);
    env.at("2026-11-23T15:00:00+08:00");
    env.run(&["update", &id, "--note", "now"]).ok();
    let out = env
        .run(&[
            "update",
            &id,
            "--note",
            "called at noon",
            "--at",
            "2026-11-23 12:00",
        ])
        .ok();
    assert!(
        out.stderr.contains("queued by rule hook-on-update"),
        "{}",
        out.stderr
    );
    let queued: Vec<String> = events(&env, &id)
        .iter()
        .filter(|e| e["action"].as_str() == Some("queued"))
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert_ne!(queued[0], queued[1]);
}

/// A backdated event says where it went and what that means for the
/// rules: judged on the ticket as it was then, their actions dated with
/// the latest event, time rules at the next run; an event at the end of
/// the history says nothing of it.
#[test]
fn a_backdated_event_says_how_its_rules_were_judged() {
    let rules = "\
rules:
- name: tag-on-update
  when: updated
  then:
  - set: {tags: {add: [touched]}}
- name: pending-note
  when: updated
  if: {status: {changed_to: pending}}
  then:
  - set: {category: waiting}
";
    let mut env = team(rules, None);
    let id = env.new_ticket(&["--at", "2026-11-23 08:00"]);
    env.at("2026-11-23T15:00:00+08:00");
    let out = env.run(&["update", &id, "--note", "now"]).ok();
    assert!(!out.stderr.contains("note:"), "{}", out.stderr);
    env.at("2026-11-23T16:00:00+08:00");
    let out = env
        .run(&[
            "update",
            &id,
            "--note",
            "customer asked to wait",
            "--status",
            "pending",
            "--at",
            "2026-11-23 12:00",
        ])
        .ok();
    assert!(
        out.stderr.contains(&format!(
            "{id}: category set to waiting by rule pending-note\n\
             note: {id}: dated 2026-11-23 12:00, before the ticket's later events (the latest at \
             2026-11-23 15:00), so it goes in its place in the history; the rules it triggers \
             were judged on the ticket as it was then (what they did is dated 2026-11-23 15:00), \
             and time rules see it at the next `desk run`\n"
        )),
        "{}",
        out.stderr
    );
    let t = env.ticket_yaml(&id);
    assert_eq!(t["category"].as_str(), Some("waiting"));
    let last = events(&env, &id).last().unwrap().clone();
    assert_eq!(last["at"].as_str(), Some("2026-11-23T15:00:00+08:00"));
    assert_eq!(last["by"].as_str(), Some("rule:pending-note"));

    // No rule acts on a note on a ticket already tagged: said too.
    let out = env
        .run(&[
            "update",
            &id,
            "--note",
            "one more",
            "--at",
            "2026-11-23 13:00",
        ])
        .ok();
    assert!(
        out.stderr
            .contains("judged on the ticket as it was then (none acted)"),
        "{}",
        out.stderr
    );
}

/// A store as `desk init` makes it: the shipped rules and templates, and
/// its example team (li.na service, wang.qiang engineer, zhao.min sales,
/// chen.jing supervisor), with customer C000001; agents in `away` are
/// marked away.
fn shipped(away: &[&str]) -> TestEnv {
    let env = TestEnv::empty();
    env.run(&["init", "."]).ok();
    let path = env.path("desk.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for who in away {
        let line = format!("- id: {who}\n");
        assert!(text.contains(&line), "{who}");
        text = text.replace(&line, &format!("{line}  away: true\n"));
    }
    std::fs::write(&path, text).unwrap();
    env.run(&customer_add(
        "individual",
        "张三",
        &["--phone", "13900000001"],
    ))
    .ok();
    env
}

/// The deliveries a ticket has queued, as `desk outbox` shows them:
/// (rule, template, recipients).
fn queued(env: &TestEnv, id: &str) -> Vec<(String, String, Vec<String>)> {
    let out = env.run(&["outbox", "--format", "json"]).ok().stdout;
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ticket"] == id)
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_string();
            let template = text("uses")
                .trim_start_matches("templates/")
                .trim_end_matches(".txt")
                .to_string();
            let to = text("to").split(", ").map(str::to_string).collect();
            (text("rule"), template, to)
        })
        .collect()
}

/// Every type of the shipped list is routed to someone who is told:
/// suggestions, requirements and cooperation to sales, as the seeds say.
#[test]
fn the_shipped_rules_route_every_type() {
    let env = shipped(&[]);
    for (kind, who) in [
        ("建议", "zhao.min"),
        ("需求", "zhao.min"),
        ("合作", "zhao.min"),
        ("咨询", "li.na"),
        ("投诉", "chen.jing"),
        ("服务", "wang.qiang"),
    ] {
        let id = env.new_ticket(&["--type", kind, "--priority", "normal"]);
        assert_eq!(assignee(&env, &id).as_deref(), Some(who), "{kind}");
        let told = queued(&env, &id);
        assert_eq!(told.len(), 1, "{kind}: {told:?}");
        assert_eq!(told[0].1, "assigned");
        assert_eq!(told[0].2, [who]);
    }
}

/// When everyone of a type's role is away, the next role takes the ticket
/// and is told; when no one of the list is there, the ticket stays
/// unassigned with a warning, and the next `desk run` 15 minutes on tells
/// the first role that has someone available.
#[test]
fn the_shipped_rules_route_around_absence_and_tell_of_a_ticket_no_one_holds() {
    let mut env = shipped(&["li.na"]);
    let out = env
        .new_ticket_run(&["--type", "咨询", "--priority", "normal"])
        .ok();
    let id = out.stdout.trim().to_string();
    assert_eq!(assignee(&env, &id).as_deref(), Some("chen.jing"));
    assert!(
        out.stderr.contains(&format!(
            "{id}: assigned to chen.jing by rule consultations-to-service (no agent of role service available)"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        queued(&env, &id),
        [(
            "consultations-to-service".to_string(),
            "assigned".to_string(),
            vec!["chen.jing".to_string()]
        )]
    );

    // The supervisor is away too.
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("- id: chen.jing\n", "- id: chen.jing\n  away: true\n"),
    )
    .unwrap();
    let out = env
        .new_ticket_run(&["--type", "咨询", "--priority", "normal"])
        .ok();
    let lost = out.stdout.trim().to_string();
    assert_eq!(assignee(&env, &lost), None);
    assert!(
        out.stderr.contains(
            "rule consultations-to-service skipped: no agent of role service or supervisor can take new tickets"
        ),
        "{}",
        out.stderr
    );
    env.at("2026-11-23T09:14:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(
        !out.stderr.contains("unassigned-to-supervisor"),
        "{}",
        out.stderr
    );
    env.at("2026-11-23T09:15:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(
        out.stderr.contains(&format!(
            "{lost}: time rule unassigned-to-supervisor would fire, due since 2026-11-23 09:15"
        )),
        "{}",
        out.stderr
    );
    // Supervisor and service away: the engineer on duty hears of it.
    assert!(
        out.stderr.contains(&format!(
            "{lost}: (dry run) e-mail 'unassigned' to wang.qiang queued by rule unassigned-to-supervisor"
        )),
        "{}",
        out.stderr
    );
    // The routed ticket has its assignee: nothing to tell.
    assert!(
        !out.stderr.contains(&format!("{id}: time rule unassigned")),
        "{}",
        out.stderr
    );
}

/// An unsatisfied survey reopens the ticket, and its assignee and the
/// supervisor are told; a satisfied one tells no one.
#[test]
fn the_shipped_rules_tell_the_supervisor_of_an_unsatisfied_survey() {
    let mut env = shipped(&[]);
    let scores = [
        "--score",
        "efficiency=2",
        "--score",
        "attitude=4",
        "--score",
        "solution=4",
    ];
    let unhappy = env.new_ticket(&["--type", "咨询", "--priority", "normal"]);
    let happy = env.new_ticket(&["--type", "咨询", "--priority", "normal"]);
    env.at("2026-11-23T10:00:00+08:00");
    for id in [&unhappy, &happy] {
        env.run(&["close", id, "--resolution", "已解答"]).ok();
    }
    env.at("2026-11-23T11:00:00+08:00");
    let mut args = vec!["survey", unhappy.as_str()];
    args.extend(scores);
    let out = env.run(&args).ok();
    assert!(
        out.stderr.contains(&format!(
            "{unhappy}: e-mail 'unsatisfied' to li.na, chen.jing queued by rule unsatisfied-survey-to-supervisor"
        )),
        "{}",
        out.stderr
    );
    let mut args = vec!["survey", happy.as_str()];
    args.extend(scores.map(|s| if s.ends_with("=2") { "efficiency=5" } else { s }));
    let out = env.run(&args).ok();
    assert!(!out.stderr.contains("unsatisfied-survey"), "{}", out.stderr);
    assert!(queued(&env, &happy)
        .iter()
        .all(|(rule, _, _)| rule != "unsatisfied-survey-to-supervisor"));
}

/// A ticket waiting on the customer for three days: its assignee and the
/// supervisor are reminded, by `desk run`.
#[test]
fn the_shipped_rules_tell_of_a_ticket_pending_for_three_days() {
    let mut env = shipped(&[]);
    let id = env.new_ticket(&["--type", "服务", "--priority", "normal"]);
    env.at("2026-11-23T10:00:00+08:00");
    env.run(&[
        "update",
        &id,
        "--note",
        "等客户寄回设备",
        "--status",
        "pending",
    ])
    .ok();
    env.at("2026-11-26T09:59:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(!out.stderr.contains("pending-too-long"), "{}", out.stderr);
    env.at("2026-11-26T10:00:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(
        out.stderr.contains(&format!(
            "{id}: (dry run) e-mail 'pending' to wang.qiang, chen.jing queued by rule pending-too-long"
        )),
        "{}",
        out.stderr
    );
}

/// The shipped survey reminder comes four hours before the 24-hour survey
/// window closes, so the ticket is still on `desk survey --due` when the
/// assignee reads it; a longer window moves it along.
#[test]
fn the_shipped_survey_reminder_comes_while_the_survey_is_due() {
    let mut env = shipped(&[]);
    let id = env.new_ticket(&["--type", "咨询", "--priority", "normal"]);
    env.at("2026-11-23T10:00:00+08:00");
    env.run(&["close", &id, "--resolution", "已解答"]).ok();
    env.at("2026-11-24T05:59:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(!out.stderr.contains("survey-reminder"), "{}", out.stderr);
    env.at("2026-11-24T06:00:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(
        out.stderr.contains(&format!(
            "{id}: time rule survey-reminder would fire, due since 2026-11-24 06:00"
        )),
        "{}",
        out.stderr
    );
    let due = env.run(&["survey", "--due", "--format", "csv"]).ok().stdout;
    let row = due
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{due}"));
    assert!(row.contains(",4.00,"), "{row}");

    // A 48-hour window: the reminder at 44 hours.
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("window_hours: 24", "window_hours: 48")).unwrap();
    env.at("2026-11-25T05:59:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(!out.stderr.contains("survey-reminder"), "{}", out.stderr);
    env.at("2026-11-25T06:00:00+08:00");
    let out = env.run(&["run", "--dry-run"]);
    assert!(
        out.stderr.contains(&format!(
            "{id}: time rule survey-reminder would fire, due since 2026-11-25 06:00"
        )),
        "{}",
        out.stderr
    );
}

/// `desk check` reports rules that can never act: conditions their own
/// trigger contradicts are problems (refused by every command too); an
/// action no one in the team can do, a role without agents or an agent
/// who left, is a warning that does not fail the check.
#[test]
fn check_reports_rules_that_can_never_act() {
    let env = team(
        "rules:\n\
         - name: reopen-watch\n  when: closed\n  if: {status: {not: closed}}\n  then: [{set: {tags: [x]}}]\n\
         - name: assigned-nobody\n  when: assigned\n  if: {assignee: {set: false}}\n  then: [{set: {tags: [x]}}]\n",
        None,
    );
    let text = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let line = |l: &str| text.lines().position(|x| x == l).unwrap() + 1;
    let out = env.run(&["check"]).fails(1);
    assert_eq!(
        out.stdout,
        format!(
            "desk.yaml:{}: rule 'reopen-watch' (rules[0]), key if.status: can never match: after a closed event the ticket is closed\n\
             desk.yaml:{}: rule 'assigned-nobody' (rules[1]), key if.assignee: can never match: after an assigned event the ticket has an assignee, and `set: false` wants none\n",
            line("- name: reopen-watch"),
            line("- name: assigned-nobody")
        )
    );
    env.new_ticket_run(&["--type", "咨询"]).fails(1);

    // The team: no agent of role qa, e3 gone.
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .split("\nrules:")
        .next()
        .unwrap()
        .replace("- id: e3\n", "- id: e3\n  active: false\n");
    std::fs::write(
        &path,
        format!(
            "{text}\nrules:\n\
             - name: to-qa\n  when: created\n  then: [{{assign: {{role: [qa]}}}}]\n\
             - name: tell-e3\n  when: closed\n  then: [{{notify: {{to: [{{agent: e3}}, assignee], template: t}}}}]\n\
             - name: qa-or-service\n  when: created\n  then: [{{assign: {{role: [qa, service]}}}}]\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(env.path("templates")).unwrap();
    std::fs::write(
        env.path("templates/t.txt"),
        "Subject: {{ ticket.id }}\n\nx\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let line = |l: &str| text.lines().position(|x| x == l).unwrap() + 1;
    let out = env.run(&["check"]).ok();
    for wanted in [
        format!(
            "desk.yaml:{}: rule 'to-qa' (rules[0]), key then[0].assign.role: can never be done: no agent in desk.yaml has role qa",
            line("- name: to-qa")
        ),
        format!(
            "desk.yaml:{}: rule 'tell-e3' (rules[1]), key then[0].notify.to: no one can ever be told: e3 left the team (active: false)",
            line("- name: tell-e3")
        ),
    ] {
        assert!(
            out.stderr.contains(&format!("warning: {wanted}")),
            "{wanted}\n{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains("qa-or-service"), "{}", out.stderr);
    // A warning, not a refusal: commands go on.
    env.new_ticket_run(&["--type", "咨询"]).ok();
}
