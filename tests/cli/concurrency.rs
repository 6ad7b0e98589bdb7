use std::process::Stdio;

use crate::common::TestEnv;

#[test]
fn fifty_concurrent_updates_leave_fifty_events() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let children: Vec<_> = (0..50)
        .map(|i| {
            let mut cmd = env.std_cmd();
            cmd.args(["update", &id, "--note", &format!("note {i}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let y = env.ticket_yaml(&id);
    let history = y["history"].as_sequence().unwrap();
    assert_eq!(history.len(), 51);
    let mut notes: Vec<&str> = history[1..]
        .iter()
        .map(|e| e["note"].as_str().unwrap())
        .collect();
    notes.sort();
    notes.dedup();
    assert_eq!(notes.len(), 50);
    // No temporary files are left behind.
    let dir = env.ticket_path(&id).parent().unwrap().to_path_buf();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

#[test]
fn concurrent_new_tickets_get_distinct_ids() {
    let env = TestEnv::new();
    let children: Vec<_> = (0..30)
        .map(|i| {
            let mut cmd = env.std_cmd();
            cmd.args([
                "new",
                "--customer",
                "C000001",
                "--type",
                "consultation",
                "--priority",
                "normal",
                "--channel",
                "chat",
                "--title",
                &format!("question {i}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut ids: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        })
        .collect();
    ids.sort();
    let expected: Vec<String> = (1..=30).map(|n| format!("CW20261123{n:04}")).collect();
    assert_eq!(ids, expected);
}
