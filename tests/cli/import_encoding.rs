//! `desk customer import` of what spreadsheet programs save: GBK/GB18030
//! from Excel on Chinese Windows, UTF-16, UTF-8 with or without BOM; and
//! columns desk does not know.

use crate::common::TestEnv;

const FORM: &str = "姓名,客户类型,联系方式,地址,信息来源\n\
                    王五,个人,13700005555,广州市天河区体育西路1号,电话咨询\n";

/// The customer's record, revealed, as JSON.
fn shown(env: &TestEnv, id: &str) -> serde_json::Value {
    let out = env
        .run(&["customer", "show", id, "--format", "json", "--reveal"])
        .ok();
    serde_json::from_str(&out.stdout).unwrap()
}

#[track_caller]
fn imports_as_form(env: &TestEnv, file: &str, bytes: &[u8], extra: &[&str], encoding: &str) {
    std::fs::write(env.path(file), bytes).unwrap();
    let mut args = vec!["customer", "import", file];
    args.extend_from_slice(extra);
    let out = env.run(&args).ok();
    assert!(
        out.stderr.contains(&format!("read as {encoding}")),
        "{}",
        out.stderr
    );
    let id = out.stdout.trim().to_string();
    let json = shown(env, &id);
    assert_eq!(json["name"], "王五");
    assert_eq!(json["kind"], "individual");
    assert_eq!(json["address"], "广州市天河区体育西路1号");
    assert_eq!(json["source"], "phone");
    // Done: the same person cannot be imported twice, so make room.
    std::fs::remove_file(env.path(&format!("customers/{id}.yaml"))).unwrap();
}

#[test]
fn gbk_gb18030_utf16_and_utf8_files_are_read_as_what_they_are() {
    let env = TestEnv::new();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(FORM);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    imports_as_form(&env, "gbk.csv", &gbk, &[], "GB18030");
    // A character outside GBK, which GB18030 encodes in four bytes.
    let rare = FORM.replace("王五", "王𠀀");
    let (gb18030, _, _) = encoding_rs::GB18030.encode(&rare);
    std::fs::write(env.path("rare.csv"), &gb18030).unwrap();
    let id = env.run(&["customer", "import", "rare.csv"]).ok().stdout;
    assert_eq!(shown(&env, id.trim())["name"], "王𠀀");
    std::fs::remove_file(env.path(&format!("customers/{}.yaml", id.trim()))).unwrap();
    // UTF-16 with a byte-order mark, both byte orders.
    let mut le = vec![0xff, 0xfe];
    le.extend(FORM.encode_utf16().flat_map(u16::to_le_bytes));
    imports_as_form(&env, "le.csv", &le, &[], "UTF-16LE");
    let mut be = vec![0xfe, 0xff];
    be.extend(FORM.encode_utf16().flat_map(u16::to_be_bytes));
    imports_as_form(&env, "be.csv", &be, &[], "UTF-16BE");
    // Excel's "Unicode text" is UTF-16 with tabs between the columns.
    let mut tsv = vec![0xff, 0xfe];
    tsv.extend(
        FORM.replace(',', "\t")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    imports_as_form(&env, "unicode.txt", &tsv, &[], "UTF-16LE");
    // UTF-8, with and without a byte-order mark.
    imports_as_form(&env, "plain.csv", FORM.as_bytes(), &[], "UTF-8");
    let bom = [&[0xef, 0xbb, 0xbf][..], FORM.as_bytes()].concat();
    imports_as_form(&env, "bom.csv", &bom, &[], "UTF-8");
    // --encoding names it; the same bytes from stdin.
    imports_as_form(&env, "gbk.csv", &gbk, &["--encoding", "gbk"], "GBK");
    imports_as_form(&env, "gbk.csv", &gbk, &["--encoding", "gb18030"], "GB18030");
    let out = env
        .output(
            env.cmd()
                .args(["customer", "import", "-"])
                .write_stdin(gbk.to_vec()),
        )
        .ok();
    assert!(out.stderr.contains("read as GB18030"), "{}", out.stderr);
}

#[test]
fn bad_rows_of_a_windows_file_are_named_by_their_line() {
    let env = TestEnv::new();
    // Excel ends lines with CR LF, also inside a quoted multi-line cell.
    let csv = "name,kind,notes,phone\r\n甲,个人,\"两行\r\n备注\",13700001111\r\n乙,个人,,123\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    std::fs::write(env.path("win.csv"), &gbk).unwrap();
    let out = env.run(&["customer", "import", "win.csv"]).fails(1);
    assert!(
        out.stderr.contains("line 4: invalid phone '123'"),
        "{}",
        out.stderr
    );
    std::fs::write(env.path("win.csv"), csv.replace(",123", ",13700002222")).unwrap();
    let out = env.run(&["customer", "import", "win.csv"]).ok();
    let json = shown(&env, out.stdout.lines().next().unwrap());
    assert_eq!(json["notes"], "两行\n备注");
}

#[test]
fn undecodable_files_are_refused_with_the_fix() {
    let env = TestEnv::new();
    // 0xFF is no character in UTF-8 nor in GB18030.
    std::fs::write(env.path("broken.csv"), b"name,kind\nab\xffcd,individual\n").unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(FORM);
    std::fs::write(env.path("gbk.csv"), &gbk).unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "broken.csv"]).fails(1);
    for needle in ["broken.csv", "CSV UTF-8", "--encoding"] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    // A GBK file said to be UTF-8 is refused, not garbled.
    let out = env
        .run(&["customer", "import", "gbk.csv", "--encoding", "utf-8"])
        .fails(1);
    assert!(
        out.stderr.contains("gbk.csv") && out.stderr.contains("not valid UTF-8"),
        "{}",
        out.stderr
    );
    let out = env
        .run(&["customer", "import", "gbk.csv", "--encoding", "latin1"])
        .fails(2);
    assert!(out.stderr.contains("gb18030"), "{}", out.stderr);
    assert!(before == env.snapshot(), "a refused import changed files");
}

#[test]
fn unknown_columns_become_custom_fields_or_are_skipped() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("wechat.csv"),
        "name,kind,微信号,phone,会员等级\n甲,个人,wxid_jia,13700009999,金卡\n",
    )
    .unwrap();
    let out = env.run(&["customer", "import", "wechat.csv"]).ok();
    assert!(
        out.stderr.contains("custom fields: 微信号, 会员等级"),
        "{}",
        out.stderr
    );
    let id = out.stdout.trim().to_string();
    let yaml = std::fs::read_to_string(env.path(&format!("customers/{id}.yaml"))).unwrap();
    // One value per line, keys sorted, after the record's own fields.
    assert!(
        yaml.contains("custom:\n  会员等级: 金卡\n  微信号: wxid_jia\ncreated:"),
        "{yaml}"
    );
    // The record's own columns are known in any case, not taken for custom ones.
    std::fs::write(
        env.path("caps.csv"),
        "Name,KIND,Phone,Custom.QQ\n戊,个人,13700007777,12345\n",
    )
    .unwrap();
    let out = env.run(&["customer", "import", "caps.csv"]).ok();
    assert!(!out.stderr.contains("custom fields"), "{}", out.stderr);
    let json = shown(&env, out.stdout.trim());
    assert_eq!(json["phone"], "13700007777");
    assert_eq!(json["custom"]["QQ"], "12345");
    // A file without its header row is refused before its first row, which
    // is data, is echoed as the names of custom fields.
    std::fs::write(env.path("headless.csv"), "张三,个人,13900001111\n").unwrap();
    let out = env.run(&["customer", "import", "headless.csv"]).fails(1);
    assert!(!out.stderr.contains("custom fields"), "{}", out.stderr);
    // --ignore-unknown skips them and says which.
    std::fs::write(
        env.path("skip.csv"),
        "name,kind,微信号,phone,会员等级\n乙,个人,wxid_yi,13700008888,银卡\n",
    )
    .unwrap();
    let out = env
        .run(&["customer", "import", "skip.csv", "--ignore-unknown"])
        .ok();
    assert!(
        out.stderr.contains("skipped columns: 微信号, 会员等级"),
        "{}",
        out.stderr
    );
    let id = out.stdout.trim().to_string();
    let yaml = std::fs::read_to_string(env.path(&format!("customers/{id}.yaml"))).unwrap();
    assert!(!yaml.contains("custom") && !yaml.contains("wxid"), "{yaml}");
    // Nor can a column named as a custom field with no name.
    std::fs::write(env.path("dot.csv"), "name,kind,custom.\n丙,个人,x\n").unwrap();
    let out = env.run(&["customer", "import", "dot.csv"]).fails(1);
    assert!(
        out.stderr.contains("invalid CSV column 'custom.'"),
        "{}",
        out.stderr
    );
    // A column without a name cannot be a field.
    std::fs::write(env.path("blank.csv"), "name,kind,\n丙,个人,x\n").unwrap();
    let out = env.run(&["customer", "import", "blank.csv"]).fails(1);
    assert!(
        out.stderr.contains("column 3 has no name"),
        "{}",
        out.stderr
    );
    env.run(&["customer", "import", "blank.csv", "--ignore-unknown"])
        .ok();
}

#[test]
fn custom_fields_are_shown_edited_logged_and_exported() {
    let env = TestEnv::new();
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        "custom.微信号=wxid_zhang",
    ])
    .ok();
    env.run(&[
        "customer",
        "edit",
        "C000001",
        "--set",
        "custom.微信号=wxid_zs",
    ])
    .ok();
    let out = env.run(&["customer", "show", "C000001"]).ok().stdout;
    assert!(out.contains("custom.微信号"), "{out}");
    assert!(out.contains("wxid_zs"), "{out}");
    assert!(
        out.contains("custom.微信号: wxid_zhang -> wxid_zs"),
        "{out}"
    );
    let yaml = std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap();
    assert!(yaml.contains("custom:\n  微信号: wxid_zs\n"), "{yaml}");
    assert!(yaml.contains("field: custom.微信号"), "{yaml}");
    // JSON: an object; CSV: one column per custom field in use, after the others.
    let json = env
        .run(&["customer", "export", "--format", "json"])
        .ok()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["custom"]["微信号"], "wxid_zs");
    assert_eq!(json[1]["custom"], serde_json::json!({}));
    let csv = env.run(&["customer", "export"]).ok().stdout;
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",created,custom.微信号"), "{header}");
    assert!(csv.lines().nth(1).unwrap().ends_with(",wxid_zs"), "{csv}");
    // What export writes, import reads back into the same custom field.
    let csv = "name,kind,custom.微信号\n丁,个人,wxid_ding\n";
    std::fs::write(env.path("back.csv"), csv).unwrap();
    let id = env.run(&["customer", "import", "back.csv"]).ok().stdout;
    let json = env
        .run(&["customer", "show", id.trim(), "--format", "json"])
        .ok()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["custom"]["微信号"], "wxid_ding");
    // An empty value removes the field; a nameless one is refused.
    env.run(&["customer", "edit", "C000001", "--set", "custom.微信号="])
        .ok();
    let yaml = std::fs::read_to_string(env.path("customers/C000001.yaml")).unwrap();
    assert!(!yaml.contains("custom:"), "{yaml}");
    let out = env
        .run(&["customer", "edit", "C000001", "--set", "custom.=x"])
        .fails(1);
    assert!(out.stderr.contains("custom.NAME"), "{}", out.stderr);
    let out = env
        .run(&["customer", "edit", "C000001", "--set", "custom.a\nb=x"])
        .fails(1);
    assert!(out.stderr.contains("custom.NAME"), "{}", out.stderr);
    // A field's name is stored text like its value: it cannot drive the
    // terminal. Refused as a name; written into the file by hand, shown escaped.
    env.run(&[
        "customer",
        "edit",
        "C000002",
        "--set",
        "custom.\x1b[31mred=1",
    ])
    .fails(1);
    let path = env.path("customers/C000002.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    let yaml = yaml.replace("created:", "custom:\n  \"\\e[31mred\": '1'\ncreated:");
    std::fs::write(&path, yaml).unwrap();
    let shown = env.run(&["customer", "show", "C000002"]).ok().stdout;
    assert!(!shown.contains('\x1b'), "{shown:?}");
}

#[test]
fn common_header_names_map_to_the_checked_fields_and_id_numbers_stay_sealed() {
    let env = TestEnv::new();
    // Header names of everyday spreadsheets are the record's own fields,
    // checked (and for ID numbers, encrypted) as such, not custom ones.
    std::fs::write(
        env.path("sheet.csv"),
        "客户名称,客户类型,手机号,联系地址\n孙七,个人,13700001234,上海市徐汇区\n",
    )
    .unwrap();
    let out = env.run(&["customer", "import", "sheet.csv"]).ok();
    assert!(!out.stderr.contains("custom fields"), "{}", out.stderr);
    let json = shown(&env, out.stdout.trim());
    assert_eq!(json["name"], "孙七");
    assert_eq!(json["phone"], "13700001234");
    assert_eq!(json["address"], "上海市徐汇区");
    // An ID-card number never lands in a custom field, stored in clear.
    std::fs::write(
        env.path("ids.csv"),
        "name,kind,证件\n周八,个人,11010519491231002X\n",
    )
    .unwrap();
    let before = env.snapshot();
    let out = env.run(&["customer", "import", "ids.csv"]).fails(1);
    assert!(
        out.stderr.contains("ID-card number") && out.stderr.contains("id_card (证件号码)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("11010519491231002X"), "{}", out.stderr);
    assert!(before == env.snapshot());
    let out = env
        .run(&[
            "customer",
            "edit",
            "C000001",
            "--set",
            "custom.证件=11010519491231002X",
        ])
        .fails(1);
    assert!(out.stderr.contains("ID-card number"), "{}", out.stderr);
}

#[test]
fn two_columns_for_one_field_are_refused() {
    let env = TestEnv::new();
    for header in [
        "kind,name,手机号,联系电话",
        "kind,name,Phone,phone",
        "kind,name,custom.微信号,微信号",
    ] {
        std::fs::write(
            env.path("two.csv"),
            format!("{header}\nindividual,钱一,13811110001,13811110002\n"),
        )
        .unwrap();
        let before = env.snapshot();
        let out = env.run(&["customer", "import", "two.csv"]).fails(1);
        assert!(
            out.stderr.contains("columns 3") && out.stderr.contains("and 4"),
            "{header}: {}",
            out.stderr
        );
        assert_eq!(before, env.snapshot());
    }
}

#[test]
fn customer_ids_out_of_shape_or_range_are_refused() {
    let env = TestEnv::new();
    for id in ["C0000001", "C18446744073709551616", "C00000x1"] {
        std::fs::write(
            env.path("ids.csv"),
            format!("id,kind,name\n{id},enterprise,X\n"),
        )
        .unwrap();
        let before = env.snapshot();
        let out = env.run(&["customer", "import", "ids.csv"]).fails(1);
        assert!(out.stderr.contains("customer ID"), "{id}: {}", out.stderr);
        assert_eq!(before, env.snapshot());
    }
}

#[test]
fn excel_dates_of_chinese_windows_are_read_and_day_first_dates_refused() {
    let env = TestEnv::new();
    // As Excel on Chinese Windows saves a registration form: GBK, dates
    // with slashes, with 年月日, with and without a time.
    let form = "姓名,客户类型,首次联系时间\n\
                甲,个人,2026/3/15\n\
                乙,个人,2026/5/20 14:30\n\
                丙,个人,2026年3月15日\n\
                丁,个人,2026年3月15日 14:30\n\
                戊,个人,2026-3-15\n\
                己,个人,2026.3.15\n\
                庚,个人,2026/5/20 14:30:05\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(form);
    std::fs::write(env.path("dates.csv"), &gbk).unwrap();
    let ids = env.run(&["customer", "import", "dates.csv"]).ok().stdout;
    let got: Vec<String> = ids
        .lines()
        .map(|id| {
            shown(&env, id)["first_contact"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        got,
        [
            "2026-03-15T00:00:00+08:00",
            "2026-05-20T14:30:00+08:00",
            "2026-03-15T00:00:00+08:00",
            "2026-03-15T14:30:00+08:00",
            "2026-03-15T00:00:00+08:00",
            "2026-03-15T00:00:00+08:00",
            "2026-05-20T14:30:05+08:00",
        ]
    );
    // Day first or month first is never guessed; an Excel day count is
    // not read as a date either. Each is named with the forms read.
    std::fs::write(
        env.path("ambiguous.csv"),
        "姓名,客户类型,首次联系时间\n辛,个人,3/15/2026\n壬,个人,15/3/2026\n癸,个人,46096\n",
    )
    .unwrap();
    let before = env.snapshot();
    let err = env
        .run(&["customer", "import", "ambiguous.csv"])
        .fails(1)
        .stderr;
    for expected in [
        "line 2: invalid first_contact '3/15/2026'",
        "line 3: invalid first_contact '15/3/2026'",
        "does not guess",
        "line 4: invalid first_contact '46096'",
        "as Excel stores it",
        "2026年3月15日",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
    assert_eq!(before, env.snapshot());
}

#[test]
fn a_utf8_mark_before_gbk_text_is_dropped_when_the_encoding_is_named() {
    let env = TestEnv::new();
    let (gbk, _, _) = encoding_rs::GBK.encode("kind,name\n个人,王五\n");
    let marked = [&b"\xef\xbb\xbf"[..], &gbk].concat();
    imports_marked(&env, &marked, "gbk");
    let (gbk, _, _) = encoding_rs::GBK.encode(FORM);
    let marked = [&b"\xef\xbb\xbf"[..], &gbk].concat();
    imports_marked(&env, &marked, "gb18030");
}

#[track_caller]
fn imports_marked(env: &TestEnv, bytes: &[u8], encoding: &str) {
    std::fs::write(env.path("marked.csv"), bytes).unwrap();
    let out = env
        .run(&["customer", "import", "marked.csv", "--encoding", encoding])
        .ok();
    let id = out.stdout.trim().to_string();
    assert_eq!(shown(env, &id)["name"], "王五");
    std::fs::remove_file(env.path(&format!("customers/{id}.yaml"))).unwrap();
}

#[test]
fn control_characters_in_one_line_cells_are_refused_by_row_and_column() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("ctl.csv"),
        "kind,name,need,微信号,notes\n\
         个人,张\u{1b}[2J三,ok,wx,ok\n\
         个人,李四,buy\u{7},wx,ok\n\
         个人,王五,ok,\"wx\tid\",\"two\n\tlines\"\n\
         个人,赵六,ok,wx,\"two\nlines\"\n",
    )
    .unwrap();
    let before = env.snapshot();
    let err = env.run(&["customer", "import", "ctl.csv"]).fails(1).stderr;
    for expected in [
        "line 2: invalid column 2 (name) '张",
        "line 3: invalid column 3 (need) 'buy\\u{7}'",
        "line 4: invalid column 4 (微信号) 'wx\\tid'",
        "control character",
        "3 bad row(s)",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
    // The person's name is masked, and nothing is printed raw.
    assert!(!err.contains("三") && !err.contains('\u{1b}'), "{err}");
    assert_eq!(before, env.snapshot());
}

#[test]
fn duplicate_tags_are_kept_once_in_any_case() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("tags.csv"),
        "kind,name,tags\n个人,王五,\"VIP, vip;Vip,退款, 退款\"\n",
    )
    .unwrap();
    let id = env.run(&["customer", "import", "tags.csv"]).ok().stdout;
    assert_eq!(
        shown(&env, id.trim())["tags"],
        serde_json::json!(["VIP", "退款"])
    );
    env.run(&["customer", "edit", id.trim(), "--set", "tags=a,A,b"])
        .ok();
    assert_eq!(
        shown(&env, id.trim())["tags"],
        serde_json::json!(["a", "b"])
    );
    let added = env
        .run(&crate::common::customer_add(
            "individual",
            "赵六",
            &["--tag", "X", "--tag", "x", "--tag", "y,Y"],
        ))
        .ok()
        .stdout;
    assert_eq!(
        shown(&env, added.trim())["tags"],
        serde_json::json!(["X", "y"])
    );
    // A ticket's tags alike, on new and on edit.
    let ticket = env.new_ticket(&["--tag", "Refund,refund, REFUND"]);
    let json = |id: &str| -> serde_json::Value {
        let out = env.run(&["show", id, "--format", "json"]).ok().stdout;
        serde_json::from_str(&out).unwrap()
    };
    assert_eq!(json(&ticket)["tags"], serde_json::json!(["Refund"]));
    env.run(&["edit", &ticket, "--set", "tags=b,B,c"]).ok();
    assert_eq!(json(&ticket)["tags"], serde_json::json!(["b", "c"]));
    // Found in any case.
    let listed = env
        .run(&["customer", "list", "--tag", "vip", "--format", "ids"])
        .ok()
        .stdout;
    assert_eq!(listed.trim(), "");
    let listed = env
        .run(&["customer", "list", "--tag", "Y", "--format", "ids"])
        .ok()
        .stdout;
    assert_eq!(listed.trim(), added.trim());
}

#[test]
fn a_file_of_a_hundred_thousand_columns_is_imported() {
    // Was quadratic in the columns: some 18 s for this file on a release
    // build. Linear, it takes about a second on a debug build; the bound
    // is loose, only to stop a return to quadratic time.
    let env = TestEnv::new();
    let n = 100_000;
    let mut text = String::from("kind,name");
    for i in 0..n {
        text.push_str(&format!(",c{i}"));
    }
    text.push_str("\n个人,宽表");
    for i in 0..n {
        text.push_str(&format!(",v{i}"));
    }
    text.push('\n');
    std::fs::write(env.path("wide.csv"), text).unwrap();
    let out = env.output(
        env.cmd()
            .args(["customer", "import", "wide.csv"])
            .timeout(std::time::Duration::from_secs(120)),
    );
    let out = out.ok();
    // The columns kept are named, the first fifty of them.
    assert!(
        out.stderr
            .contains("c48, c49 and 99950 more (--ignore-unknown"),
        "{}",
        &out.stderr[..out.stderr.len().min(2000)]
    );
    let json = shown(&env, out.stdout.trim());
    assert_eq!(json["custom"]["c99999"], "v99999");
    assert_eq!(json["custom"].as_object().unwrap().len(), n);
}
