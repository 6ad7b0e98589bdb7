use crate::common::TestEnv;

#[test]
fn show_text_has_fields_labels_and_history() {
    let mut env = TestEnv::new();
    let id = env.new_ticket(&["--expectation", "24小时内解决"]);
    env.at("2026-11-23T09:20:00+08:00")
        .run(&["assign", &id, "wang.qiang"])
        .ok();
    let out = env.run(&["show", &id]).ok();
    for part in [
        &id as &str,
        "Device does not power on",
        "urgent (紧急)",
        "complaint (投诉)",
        "wang.qiang (王强)",
        "24小时内解决",
        "2026-11-23 09:00  tester       created",
        "2026-11-23 09:20  tester       assigned to wang.qiang",
    ] {
        assert!(
            out.stdout.contains(part),
            "missing {part:?}:\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains('\u{1b}'));
}

#[test]
fn show_yaml_is_the_file_and_json_parses() {
    let env = TestEnv::new();
    let id = env.new_ticket(&[]);
    let out = env.run(&["show", &id, "--format", "yaml"]).ok();
    assert_eq!(out.stdout, env.read_ticket(&id));
    let out = env.run(&["show", &id, "--format", "json"]).ok();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["history"][0]["action"], "created");
}
