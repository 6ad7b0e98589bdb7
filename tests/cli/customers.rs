use crate::common::{customer_add, TestEnv};

/// Adds a customer and returns its ID.
fn add(env: &TestEnv, args: &[&str]) -> String {
    let mut cmd = vec!["customer", "add"];
    cmd.extend_from_slice(args);
    env.run(&cmd).ok().stdout.trim().to_string()
}

/// Runs a command that must fail with exit 1, change no file, and say all of `needles`.
#[track_caller]
fn refused(env: &TestEnv, args: &[&str], needles: &[&str]) -> String {
    let before = env.snapshot();
    let out = env.run(args).fails(1);
    for n in needles {
        assert!(out.stderr.contains(n), "missing {n:?} in: {}", out.stderr);
    }
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert_eq!(before, env.snapshot(), "a refused command changed files");
    out.stderr
}

/// A store with encryption set up; returns the key file's path.
pub fn with_key(env: &TestEnv) -> String {
    let key = env.outside("test.key");
    let out = env.run(&["keys", "init", "--identity", &key]).ok();
    assert!(out.stdout.starts_with("age1"), "{}", out.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    key
}

#[test]
fn checksums_are_verified_and_force_skips_only_shapes() {
    let env = TestEnv::new();
    // A valid credit code (GB 32100-2015) is stored; a wrong check character is named.
    let id = add(
        &env,
        &[
            "--kind",
            "企业",
            "--name",
            "云帆医疗器械有限公司",
            "--credit-code",
            "91110108MA01ABCD0B",
        ],
    );
    assert_eq!(id, "C000004");
    let err = env
        .run(&customer_add(
            "enterprise",
            "X",
            &["--credit-code", "91350100M000100Y44"],
        ))
        .fails(1)
        .stderr;
    assert!(err.contains("credit_code") && err.contains("'3'"), "{err}");
    refused(
        &env,
        &customer_add(
            "enterprise",
            "X",
            &["--credit-code", "91350100M000100Y44", "--force"],
        ),
        &["invalid credit_code", "GB 32100"],
    );
    // ID-card check digits (GB 11643-1999) are checked before anything is encrypted.
    let key = with_key(&env);
    refused(
        &env,
        &customer_add(
            "individual",
            "李四",
            &["--id-card", "110105194912310021", "--force"],
        ),
        &["invalid id_card", "'X'", "GB 11643"],
    );
    refused(
        &env,
        &customer_add("individual", "李四", &["--bank-card", "4111111111111112"]),
        &["invalid bank_card", "Luhn"],
    );
    // Shapes: refused with a hint, accepted as typed with --force.
    refused(
        &env,
        &customer_add("individual", "李四", &["--phone", "1395678"]),
        &["invalid phone '13*5678'", "13912345678", "--force"],
    );
    refused(
        &env,
        &customer_add("individual", "李四", &["--email", "li@"]),
        &["invalid email 'l***@'"],
    );
    let forced = add(
        &env,
        &[
            "--kind",
            "individual",
            "--name",
            "李四",
            "--phone",
            "1395678",
            "--force",
        ],
    );
    let yaml = std::fs::read_to_string(env.path(&format!("customers/{forced}.yaml"))).unwrap();
    assert!(yaml.contains("phone: '1395678'"), "{yaml}");
    // Fields that belong to the other kind are refused by name.
    refused(
        &env,
        &customer_add(
            "individual",
            "王五",
            &["--credit-code", "91350100M000100Y43"],
        ),
        &["credit_code is recorded for enterprise customers only"],
    );
    // Valid numbers in several forms are normalised.
    let out = env.run_keyed(
        &key,
        &customer_add(
            "individual",
            "赵六",
            &[
                "--phone",
                "+86 138-0013-8000",
                "--id-card",
                "11010519491231002x",
            ],
        ),
    );
    let id = out.ok().stdout.trim().to_string();
    let yaml = std::fs::read_to_string(env.path(&format!("customers/{id}.yaml"))).unwrap();
    assert!(yaml.contains("phone: '13800138000'"), "{yaml}");
    assert!(yaml.contains("last4: 002X"), "{yaml}");
}

#[test]
fn duplicates_are_refused_with_the_existing_id() {
    let env = TestEnv::new();
    // TestEnv has C000001 with phone 13900000001, C000002 with the credit
    // code 91350100M000100Y43, C000003 with emma@example.com.
    refused(
        &env,
        &customer_add("individual", "张三丰", &["--phone", "139 0000 0001"]),
        &[
            "phone already belongs to customer C000001",
            "desk customer show C000001",
        ],
    );
    refused(
        &env,
        &customer_add("individual", "E. Clarke", &["--email", "Emma@EXAMPLE.com"]),
        &["email already belongs to customer C000003"],
    );
    refused(
        &env,
        &customer_add(
            "enterprise",
            "星河",
            &["--credit-code", "91350100m000100y43"],
        ),
        &["credit_code already belongs to customer C000002"],
    );
    // A contact's phone counts too, and so does an edit.
    refused(
        &env,
        &customer_add(
            "enterprise",
            "华远物流",
            &["--contact", "name=王芳,phone=13900000001"],
        ),
        &["C000001"],
    );
    refused(
        &env,
        &["customer", "edit", "C000003", "--set", "phone=13900000001"],
        &["phone already belongs to customer C000001"],
    );
    // Lookups use the same rules: any spacing of a phone, any case of an e-mail.
    let ids = |args: &[&str]| {
        let mut cmd = vec!["customer", "list", "--format", "ids"];
        cmd.extend_from_slice(args);
        env.run(&cmd).ok().stdout
    };
    assert_eq!(ids(&["--phone", "+86 139 0000 0001"]), "C000001\n");
    assert_eq!(ids(&["--email", "EMMA@example.com"]), "C000003\n");
    assert_eq!(ids(&["--credit-code", "91350100m000100y43"]), "C000002\n");
    // Encrypted ID-card numbers are compared by their keyed hash.
    let key = with_key(&env);
    env.run_keyed(
        &key,
        &customer_add("individual", "李四", &["--id-card", "11010519491231002X"]),
    )
    .ok();
    let out = env.run_keyed(
        &key,
        &customer_add("individual", "李思", &["--id-card", "11010519491231002x"]),
    );
    let err = out.fails(1).stderr;
    assert!(
        err.contains("id_card already belongs to customer C000004"),
        "{err}"
    );
}

#[test]
fn import_writes_every_row_or_none() {
    let env = TestEnv::new();
    // The seed's registration form, with a byte-order mark as Excel saves it.
    let good = "\u{feff}客户编号,姓名/企业名称,客户类型,联系方式,地址,信息来源,首次联系时间,需求简述,负责人\n\
                ,孙丽,个人,13700001111,杭州市西湖区文三路1号,电话咨询,2026-10-01,产品咨询,li.na\n\
                C000100,天行科技有限公司,企业,010-87654321,北京市海淀区,渠道推荐,2026-10-02 14:00,合作洽谈,zhao.min\n";
    std::fs::write(env.path("good.csv"), good).unwrap();
    let out = env.run(&["customer", "import", "good.csv"]).ok();
    // New IDs continue after the highest one, given ones included.
    assert_eq!(out.stdout, "C000101\nC000100\n");
    assert!(out.stderr.contains("imported 2"), "{}", out.stderr);
    let show = env
        .run(&[
            "customer", "show", "C000100", "--format", "json", "--reveal",
        ])
        .ok()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(json["kind"], "enterprise");
    assert_eq!(json["source"], "referral");
    assert_eq!(json["first_contact"], "2026-10-02T14:00:00+08:00");
    assert_eq!(json["owner"], "zhao.min");

    // One bad row among good ones: nothing is written, every bad row is named.
    let bad = "name,kind,phone,email,owner\n\
               周杰,individual,13700002222,zhou@example.com,li.na\n\
               吴敏,individual,12345,wu@example.com,li.na\n\
               郑强,vendor,13700003333,,li.na\n\
               钱芳,individual,13700001111,,li.na\n\
               冯军,individual,13700004444,,nobody\n\
               周杰伦,individual,13700002222,,li.na\n";
    std::fs::write(env.path("bad.csv"), bad).unwrap();
    let err = refused(
        &env,
        &["customer", "import", "bad.csv"],
        &["nothing was imported"],
    );
    for expected in [
        "line 3: invalid phone '*2345'",
        "line 4: invalid kind 'vendor'",
        "line 5: ",
        "already belongs to customer C000101",
        "line 6: invalid agent 'nobody'",
        "line 7: duplicates line 2's phone",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
    assert!(!err.contains("line 2:"), "{err}");
    // An unknown column is kept as a custom field, and named, so that a
    // typo shows (tests/cli/import_encoding.rs has the rest).
    std::fs::write(
        env.path("typo.csv"),
        "name,kind,phnoe\n甲,个人,13700009999\n",
    )
    .unwrap();
    let out = env.run(&["customer", "import", "typo.csv"]).ok();
    assert!(
        out.stderr.contains("custom fields: phnoe"),
        "{}",
        out.stderr
    );
    // --dry-run checks but never writes.
    std::fs::write(env.path("ok.csv"), "name,kind\n乙,个人\n").unwrap();
    let before = env.snapshot();
    env.run(&["customer", "import", "ok.csv", "--dry-run"]).ok();
    assert_eq!(before, env.snapshot());
}

#[test]
fn personal_data_is_masked_in_every_output_unless_revealed() {
    let env = TestEnv::new();
    let id = add(
        &env,
        &[
            "--kind",
            "individual",
            "--name",
            "王小明",
            "--phone",
            "13912345678",
            "--email",
            "wang.xm@example.com",
            "--address",
            "上海市浦东新区世纪大道100号",
        ],
    );
    let ent = add(
        &env,
        &[
            "--kind",
            "enterprise",
            "--name",
            "华远物流股份有限公司",
            "--phone",
            "021-55556666",
            "--contact",
            "name=刘芳,salutation=女士,role=采购经理,phone=13688889999",
        ],
    );
    let secrets = [
        "王小明",
        "13912345678",
        "wang.xm@",
        "世纪大道",
        "刘芳",
        "13688889999",
        "55556666",
    ];
    let outputs = [
        env.run(&["customer", "list", "--format", "table"])
            .ok()
            .stdout,
        env.run(&["customer", "list", "--format", "csv"])
            .ok()
            .stdout,
        env.run(&["customer", "list", "--format", "json"])
            .ok()
            .stdout,
        env.run(&["customer", "show", &id]).ok().stdout,
        env.run(&["customer", "show", &ent]).ok().stdout,
        env.run(&["customer", "show", &id, "--format", "json"])
            .ok()
            .stdout,
        env.run(&["customer", "export"]).ok().stdout,
        env.run(&["customer", "export", "--format", "json"])
            .ok()
            .stdout,
    ];
    for out in &outputs {
        for s in secrets {
            assert!(!out.contains(s), "{s} shown unmasked in:\n{out}");
        }
    }
    let all = outputs.join("\n");
    for masked in [
        "王**",
        "139****5678",
        "w***@example.com",
        "上海市浦东***",
        "*女士",
        "136****9999",
        "021-****6666",
    ] {
        assert!(all.contains(masked), "missing {masked} in:\n{all}");
    }
    // The company's name is not personal data.
    assert!(all.contains("华远物流股份有限公司"));
    // The ticket view shows the masked customer.
    let t = env.new_ticket(&["--customer", &id]);
    let show = env.run(&["show", &t]).ok().stdout;
    assert!(show.contains(&format!("{id} 王**")), "{show}");
    // --reveal shows everything (no encrypted field here, so no key needed).
    let revealed = env.run(&["customer", "export", "--reveal"]).ok().stdout;
    for s in secrets {
        assert!(revealed.contains(s), "{s} missing in revealed export");
    }
}

#[test]
fn encrypted_numbers_round_trip_with_the_key_and_stay_masked_without() {
    let env = TestEnv::new();
    // Without encryption set up, an ID-card number is not stored at all.
    refused(
        &env,
        &customer_add("individual", "李四", &["--id-card", "11010519491231002X"]),
        &["desk keys init"],
    );
    let key = with_key(&env);
    // With encryption set up but no key at hand, storing is refused with the reason.
    refused(
        &env,
        &customer_add("individual", "李四", &["--id-card", "11010519491231002X"]),
        &["neither DESK_LOOKUP_KEY_FILE nor DESK_KEY_FILE is set"],
    );
    let out = env.run_keyed(
        &key,
        &customer_add(
            "individual",
            "李四",
            &[
                "--id-card",
                "11010519491231002X",
                "--bank-card",
                "4111 1111 1111 1111",
                "--phone",
                "13912345678",
                "--email",
                "li.si@example.com",
            ],
        ),
    );
    let id = out.ok().stdout.trim().to_string();
    // The file (what a clone of the repository holds) has no plaintext.
    let file = std::fs::read_to_string(env.path(&format!("customers/{id}.yaml"))).unwrap();
    assert!(!file.contains("11010519491231002X") && !file.contains("4111111111111111"));
    assert!(
        file.contains("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{file}"
    );
    // Without the key: masked.
    let shown = env.run(&["customer", "show", &id]).ok().stdout;
    assert!(
        shown.contains("****002X") && shown.contains("****1111"),
        "{shown}"
    );
    // --reveal without the identity: a record with sealed numbers is not
    // shown at all (nothing half-revealed), and the error says what is
    // missing; the list, which shows no sealed number, needs no key.
    for args in [
        &["customer", "show", &id, "--reveal"][..],
        &["customer", "export", "--reveal"],
    ] {
        let out = env.run(args).fails(1);
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            out.stderr.contains("decryption identity")
                && out.stderr.contains("DESK_KEY_FILE is not set"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = env
        .run(&["customer", "list", "--reveal", "--format", "csv"])
        .ok();
    assert!(
        out.stdout.contains("13912345678") && out.stdout.contains("li.si@example.com"),
        "{}",
        out.stdout
    );
    // With the key: in full, and lookup by number works.
    let with_key = |args: &[&str]| env.run_keyed(&key, args).ok().stdout;
    let revealed = with_key(&["customer", "show", &id, "--reveal"]);
    assert!(revealed.contains("11010519491231002X") && revealed.contains("4111111111111111"));
    assert_eq!(
        with_key(&[
            "customer",
            "list",
            "--id-card",
            "11010519491231002x",
            "--format",
            "ids"
        ]),
        format!("{id}\n")
    );
    // A key that is not a recipient is refused with the reason.
    let other = env.root.join(".desk").join("other.key");
    let other_env = TestEnv::new();
    other_env
        .run(&["keys", "init", "--identity", other.to_str().unwrap()])
        .ok();
    let out = env.run_keyed(
        other.to_str().unwrap(),
        &["customer", "show", &id, "--reveal"],
    );
    assert!(out.fails(1).stderr.contains("recipients"));
}

#[test]
fn edits_append_to_the_change_log_and_no_ops_are_refused() {
    let mut env = TestEnv::new();
    env.at("2026-11-23T10:00:00+08:00");
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        "phone=13800001234",
        "--set",
        "vip=是",
    ])
    .ok();
    env.at("2026-11-23T11:00:00+08:00");
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        "联系方式=13800005678",
    ])
    .ok();
    refused(
        &env,
        &[
            "customer",
            "edit",
            "C000001",
            "--set",
            "phone=138 0000 5678",
        ],
        &["already has that value"],
    );
    refused(
        &env,
        &["customer", "edit", "C000001", "--set", "shoe_size=42"],
        &["invalid field 'shoe_size'", "phone"],
    );
    refused(
        &env,
        &["customer", "edit", "C000001", "--set", "phone=abc"],
        &["invalid phone"],
    );
    let yaml: desk::yaml::Value =
        desk::yaml::from_str(&std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap())
            .unwrap();
    let changes = yaml["changes"].as_sequence().unwrap();
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0]["field"], "phone");
    assert_eq!(changes[0]["from"], "13900000001");
    assert_eq!(changes[0]["to"], "13800001234");
    assert_eq!(changes[0]["by"], "tester");
    assert_eq!(changes[0]["at"], "2026-11-23T10:00:00+08:00");
    assert_eq!(changes[1]["field"], "vip");
    assert_eq!(changes[1]["to"], true);
    assert_eq!(changes[2]["from"], "13800001234");
    // The log is shown masked.
    let shown = env.run(&["customer", "show", "C000001"]).ok().stdout;
    assert!(
        shown.contains("phone: 139****0001 -> 138****1234"),
        "{shown}"
    );
    assert!(!shown.contains("13800001234"));
    // A sealed field logs sealed values.
    let key = with_key(&env);
    let edit = env.run_keyed(
        &key,
        &[
            "customer",
            "edit",
            "C000001",
            "--set",
            "id_card=11010519491231002X",
        ],
    );
    edit.ok();
    let file = std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap();
    assert!(!file.contains("11010519491231002X"));
    let yaml: desk::yaml::Value = desk::yaml::from_str(&file).unwrap();
    assert_eq!(yaml["changes"][3]["to"]["last4"], "002X");
    // Unknown fields of a hand-edited or newer file survive an edit.
    let edited = file.replace("changes:", "loyalty_tier: gold\nchanges:");
    std::fs::write(env.path("customers/C000001.yaml"), edited).unwrap();
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        "notes=prefers e-mail",
    ])
    .ok();
    let file = std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap();
    assert!(file.contains("loyalty_tier: gold"), "{file}");
}

#[test]
fn dormant_customers_have_no_open_ticket_and_no_recent_contact() {
    let mut env = TestEnv::new();
    // All three customers were first contacted on 2026-01-05.
    env.at("2026-05-01T09:00:00+08:00");
    let t = env.new_ticket(&["--customer", "C000001"]);
    env.run(&["close", &t, "--resolution", "done"]).ok();
    let _open = env.new_ticket(&["--customer", "C000003"]);
    env.at("2026-11-23T09:00:00+08:00");
    let dormant = |args: &[&str]| {
        let mut cmd = vec!["customer", "list", "--format", "ids", "--dormant"];
        cmd.extend_from_slice(args);
        env.run(&cmd).ok().stdout
    };
    // Default 6 months: C000002 (no tickets since January) and C000001
    // (last activity 2026-05-01); C000003 has an open ticket. Oldest first.
    assert_eq!(dormant(&[]), "C000002\nC000001\n");
    assert_eq!(dormant(&["7m"]), "C000002\n");
    assert_eq!(dormant(&["1y"]), "");
    // A call-back recorded as last contact takes a customer off the list.
    env.run(&[
        "customer",
        "edit",
        "C000002",
        "--set",
        "last_contact=2026-11-20",
    ])
    .ok();
    assert_eq!(dormant(&[]), "C000001\n");
    refused(
        &env,
        &["customer", "list", "--dormant", "6 months"],
        &["invalid --dormant", "6m"],
    );
}

/// A new team imports last year's customers: one last in touch eight
/// months ago is dormant at once, and the call-back rule opens its ticket
/// on the next run, not six months after the import.
#[test]
fn imported_customers_are_dormant_from_their_last_contact_not_the_import() {
    let env = TestEnv::bare();
    let path = env.path("desk.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("\nrules:"), "{text}");
    std::fs::write(
        &path,
        format!(
            "{text}rules:\n- name: dormant-callback\n  when: {{dormant_for: 6m}}\n  then:\n  \
             - open: {{type: consultation, priority: normal, channel: phone, title: 回访}}\n"
        ),
    )
    .unwrap();
    env.run(&["check"]).ok();
    std::fs::write(
        env.path("old.csv"),
        "姓名,客户类型,首次联系时间\n张三,个人,2026-03-20\n李四,个人,2026-10-01\n",
    )
    .unwrap();
    env.run(&["customer", "import", "old.csv"]).ok();
    let dormant = env
        .run(&["customer", "list", "--dormant", "--format", "ids"])
        .ok()
        .stdout;
    assert_eq!(dormant, "C000001\n");
    let out = env.run(&["run"]).ok();
    assert!(
        out.stderr.contains(
            "C000001: time rule dormant-callback fired, due since 2026-11-23 09:00 \
             (dormant-callback/C000001/dormant_for-6m/2026-03-20T00:00:00+08:00)"
        ),
        "{}",
        out.stderr
    );
    let tickets = env.run(&["list", "--format", "ids"]).ok().stdout;
    assert_eq!(tickets.lines().count(), 1, "{tickets}");
    let ticket = env.ticket_yaml(tickets.trim());
    assert_eq!(ticket["customer"].as_str(), Some("C000001"));
}

/// Numbers of removed customers are never issued again, in a store
/// without git too: the highest number issued is kept in `issued/`.
#[test]
fn a_removed_customers_number_is_not_issued_again() {
    let env = TestEnv::new();
    std::fs::remove_file(env.path("customers/C000003.yaml")).unwrap();
    let id = add(&env, &["--kind", "个人", "--name", "王五"]);
    assert_eq!(id, "C000004");
    let mark = std::fs::read_to_string(env.path("issued/local.yaml")).unwrap();
    assert!(mark.ends_with("customer: 4\n"), "{mark}");
    // A mark that cannot be read stops new customers, naming it.
    std::fs::write(env.path("issued/local.yaml"), "customer: [\n").unwrap();
    refused(
        &env,
        &["customer", "add", "--kind", "个人", "--name", "赵六"],
        &["issued/local.yaml"],
    );
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.starts_with("issued/local.yaml:"),
        "{}",
        out.stdout
    );
}

#[test]
fn tickets_need_an_existing_customer() {
    let env = TestEnv::new();
    let err = refused(
        &env,
        &[
            "new",
            "--customer",
            "C000999",
            "--type",
            "咨询",
            "--priority",
            "一般",
            "--channel",
            "电话",
            "--title",
            "x",
        ],
        &["customer 'C000999' not found"],
    );
    assert!(err.contains("desk customer"), "{err}");
    refused(
        &env,
        &[
            "new",
            "--customer",
            "zhang",
            "--type",
            "咨询",
            "--priority",
            "一般",
            "--channel",
            "电话",
            "--title",
            "x",
        ],
        &["invalid customer ID 'zhang'", "C000001"],
    );
    // desk show lists the customer's other open tickets.
    let a = env.new_ticket(&["--customer", "C000002", "--title", "第一张"]);
    let b = env.new_ticket(&["--customer", "C000002", "--title", "第二张"]);
    let shown = env.run(&["show", &a]).ok().stdout;
    assert!(shown.contains("C000002 星河科技有限公司"), "{shown}");
    assert!(
        shown.contains("other open tickets of C000002") && shown.contains(&b),
        "{shown}"
    );
    let customer = env.run(&["customer", "show", "C000002"]).ok().stdout;
    assert!(
        customer.contains("tickets (2, 2 open)") && customer.contains(&a),
        "{customer}"
    );
}

#[test]
fn check_finds_a_customer_registered_twice() {
    let env = TestEnv::new();
    env.run(&["check"]).ok();
    // As after a merge of two clones that each registered the same person.
    let text = std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap();
    std::fs::write(
        env.path("customers/C000009.yaml"),
        text.replace("id: C000001", "id: C000009"),
    )
    .unwrap();
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout
            .contains("customers/C000009.yaml: the same phone as customer C000001"),
        "{}",
        out.stdout
    );
}

/// Every clash of an import is named by line, as the store's duplicate
/// guard finds it: against the store (a record is not its own duplicate),
/// against the rows before (a row that failed is no holder), and IDs taken.
#[test]
fn import_names_every_clash_by_line() {
    let env = TestEnv::new();
    let rows = "id,name,kind,phone,email\n\
                ,甲,individual,,emma@example.com\n\
                C000001,张三,individual,13900000001,\n\
                C000009,乙,individual,,emma@example.com\n\
                ,丙,individual,13700005555,\n\
                ,丁,individual,13700005555,\n\
                C000050,戊,individual,13700006666,\n\
                C000050,己,individual,13700007777,\n\
                C000051,庚,individual,13700006666,\n\
                ,辛,individual,12345,dup@example.com\n\
                ,壬,individual,13700005555,Emma@Example.com\n\
                ,癸,individual,13700008888,dup@example.com\n\
                ,子,individual,137 0000 5555,\n";
    std::fs::write(env.path("clash.csv"), rows).unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "clash.csv"]).fails(1);
    assert_eq!(before, env.snapshot());
    let show = |id: &str| format!("update that record instead (`desk customer show {id}`)");
    let expected = [
        "error: clash.csv: 9 bad row(s); nothing was imported:".to_string(),
        format!(
            "  line 2: the new customer: this email already belongs to customer C000003; {}",
            show("C000003")
        ),
        "  line 3: customer C000001 already exists".into(),
        format!(
            "  line 4: C000009: this email already belongs to customer C000003; {}",
            show("C000003")
        ),
        "  line 6: duplicates line 5's phone".into(),
        "  line 8: customer C000050 already exists".into(),
        "  line 9: duplicates line 7's phone".into(),
        "  line 10: invalid phone '*2345': expected a mainland mobile (13912345678), a landline \
         with area code (010-12345678) or an international number (+44 20 7946 0958) \
         (--force records it as typed)"
            .into(),
        format!(
            "  line 11: the new customer: this email already belongs to customer C000003; {}",
            show("C000003")
        ),
        "  line 13: duplicates line 5's phone".into(),
    ];
    assert_eq!(out.stderr.trim_end(), expected.join("\n"), "{}", out.stderr);
}

/// A customer file that cannot be read stops an import before any row is
/// judged: a duplicate check that skipped it would not be a check.
#[test]
fn import_refuses_while_a_customer_file_is_unreadable() {
    let env = TestEnv::new();
    std::fs::write(env.path("customers/C000002.yaml"), "id: [unclosed\n").unwrap();
    std::fs::write(
        env.path("rows.csv"),
        "kind,name,phone\nindividual,甲,12345\nindividual,乙,13700000010\n",
    )
    .unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "rows.csv"]).fails(1);
    assert_eq!(before, env.snapshot());
    assert_eq!(
        out.stderr,
        "error: customers/C000002.yaml:1: id: invalid type: sequence, expected a string\n"
    );
}

#[test]
fn contacts_are_edited_by_number_name_first_and_removed_with_their_name() {
    let env = TestEnv::new();
    let edit = |sets: &[&str]| {
        let mut args = vec!["customer", "edit", "C000002"];
        for s in sets {
            args.extend(["--set", s]);
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |sets: &[&str]| {
        let args = edit(sets);
        env.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let refuse = |sets: &[&str], needles: &[&str]| {
        let args = edit(sets);
        refused(
            &env,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            needles,
        );
    };
    let contacts = || {
        let out = env
            .run(&[
                "customer", "show", "C000002", "--reveal", "--format", "json",
            ])
            .ok();
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        // Each contact's fields that are set.
        let set = |c: &serde_json::Value| {
            let mut c = c.as_object().unwrap().clone();
            c.retain(|_, v| !v.is_null());
            serde_json::Value::Object(c)
        };
        serde_json::Value::Array(
            json["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .map(set)
                .collect(),
        )
    };
    // A new contact starts with its name; numbers follow on.
    refuse(
        &["contacts.1.phone=13900000002"],
        &["a new contact starts with its name: contacts.1.name=..."],
    );
    run(&["contacts.1.name=王芳"]).ok();
    run(&["contacts.1.phone=139-0000-0002", "contacts.2.name=李雷"]).ok();
    refuse(
        &["contacts.4.name=x"],
        &["there is no contact 4; the next new one is contacts.3"],
    );
    // Each value is checked as its field.
    refuse(&["contacts.2.phone=12"], &["invalid contacts.2.phone '12'"]);
    assert_eq!(
        contacts(),
        serde_json::json!([
            {"name": "王芳", "phone": "13900000002"},
            {"name": "李雷"},
        ])
    );
    // Removing a contact's name removes the contact; the next moves up.
    run(&["contacts.1.name="]).ok();
    assert_eq!(contacts(), serde_json::json!([{"name": "李雷"}]));
    // Individuals have no contacts.
    let out = env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "contacts.1.name=王芳",
        ])
        .fails(1);
    assert!(
        out.stderr
            .contains("recorded for enterprise customers only"),
        "{}",
        out.stderr
    );
}

/// An e-mail address edited by hand into something desk cannot mail: a
/// header injection fails `desk check`; a list of addresses (which
/// `--force` could record) is told as a warning. Values are masked.
#[test]
fn check_reports_e_mail_addresses_desk_cannot_mail() {
    let env = TestEnv::new();
    let add = customer_add("individual", "张伟", &["--email", "zhang.wei@example.cn"]);
    let id = env.run(&add).ok().stdout.trim().to_string();
    let path = env.path(&format!("customers/{id}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let injected = text.replace(
        "email: zhang.wei@example.cn",
        "email: \"zhang.wei@example.cn\\r\\nBcc: everyone@rival.example\"",
    );
    assert_ne!(injected, text);
    std::fs::write(&path, &injected).unwrap();
    let out = env.run(&["check"]).fails(1);
    assert!(
        out.stdout.contains(&format!("customers/{id}.yaml")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("email '"), "{}", out.stdout);
    assert!(out.stdout.contains("control character"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("zhang.wei@"),
        "unmasked: {}",
        out.stdout
    );

    let listed = text.replace(
        "email: zhang.wei@example.cn",
        "email: zhang.wei@example.cn, boss@example.cn",
    );
    std::fs::write(&path, &listed).unwrap();
    let out = env.run(&["check"]).ok();
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("not one e-mail address"), "{said}");
    assert!(!said.contains("zhang.wei@"), "unmasked: {said}");
}

#[test]
fn an_xlsx_export_keeps_revealed_long_numbers_whole_as_text() {
    use calamine::{Data, Reader};
    let env = TestEnv::new();
    let key = with_key(&env);
    let id = env
        .run_keyed(
            &key,
            &customer_add(
                "individual",
                "李四",
                &[
                    "--id-card",
                    "440301198506151238",
                    "--bank-card",
                    "4111 1111 1111 1111",
                    "--phone",
                    "13912345678",
                    "--notes",
                    "=HYPERLINK(\"x\")",
                ],
            ),
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let export = |reveal: bool| {
        let mut cmd = env.cmd();
        cmd.env("DESK_KEY_FILE", &key)
            .args(["customer", "export", "--format", "xlsx"]);
        if reveal {
            cmd.arg("--reveal");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(out.stdout)).unwrap();
        assert_eq!(book.sheet_names(), ["customers"]);
        book.worksheet_range("customers").unwrap()
    };
    let sheet = export(true);
    // Every cell is the revealed CSV's, as text (none a number, none a formula).
    let csv = env
        .run_keyed(&key, &["--csv-raw", "customer", "export", "--reveal"])
        .ok()
        .stdout;
    let csv: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let cells: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(cells.len(), csv.len());
    for (got, want) in cells.iter().zip(&csv) {
        let want: Vec<Data> = want
            .iter()
            .map(|w| match w.as_str() {
                "" => Data::Empty,
                w => Data::String(w.into()),
            })
            .collect();
        assert_eq!(got, &want);
    }
    let header = &csv[0];
    let row = csv.iter().position(|r| r[0] == id).unwrap();
    let at = |column: &str| {
        let col = header.iter().position(|h| h == column).unwrap();
        sheet.get((row, col)).unwrap().clone()
    };
    // What Excel would show as 4.40301E+17 and 4.11111E+15 from CSV.
    assert_eq!(at("id_card"), Data::String("440301198506151238".into()));
    assert_eq!(at("bank_card"), Data::String("4111111111111111".into()));
    assert_eq!(at("phone"), Data::String("13912345678".into()));
    assert_eq!(at("notes"), Data::String("=HYPERLINK(\"x\")".into()));
    // Masked, the numbers are not there.
    let masked = export(false);
    for cell in masked.used_cells() {
        let text = cell.2.to_string();
        for secret in ["440301198506151238", "4111111111111111", "13912345678"] {
            assert!(!text.contains(secret), "{secret} in the masked export");
        }
    }
    // Never onto a terminal: refused before anything is revealed or recorded.
    #[cfg(unix)]
    {
        let before = env.snapshot();
        let out = env.run_tty_env(
            100,
            false,
            &[("DESK_KEY_FILE", key.as_str())],
            &["customer", "export", "--format", "xlsx", "--reveal"],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains("redirect it to a file"),
            "{}",
            out.stderr
        );
        assert_eq!(before, env.snapshot(), "a refused export changed files");
    }
}
