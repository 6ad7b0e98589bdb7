//! `--help` with the store's values, `desk completions` and `desk man`.

use crate::common::TestEnv;

const SUBCOMMANDS: [&str; 5] = ["new", "list", "report", "customer", "git-setup"];

#[test]
fn help_lists_the_values_of_the_store_or_the_defaults() {
    let env = TestEnv::bare();
    let yaml = std::fs::read_to_string(env.path("desk.yaml")).unwrap();
    let yaml = yaml.replace("key: consultation", "key: outage");
    std::fs::write(env.path("desk.yaml"), yaml).unwrap();
    let help = env.run(&["new", "--help"]).ok().stdout;
    assert!(help.contains("outage (咨询)"), "{help}");
    assert!(help.contains("urgent (紧急)"), "{help}");
    // Also from outside the store, with --dir given after the subcommand.
    let outside = TestEnv::empty();
    let dir = env.root.to_str().unwrap();
    let help = outside.run(&["new", "--dir", dir, "--help"]).ok().stdout;
    assert!(help.contains("outage (咨询)"), "{help}");
    // No store: the defaults of `desk init`, said to be defaults.
    let help = outside.run(&["help", "list"]).ok().stdout;
    assert!(
        help.contains("Values by default: consultation (咨询)"),
        "{help}"
    );
    assert!(help.contains("Global options:"), "{help}");
}

#[test]
fn report_format_lists_only_what_a_report_can_print() {
    let env = TestEnv::bare();
    let help = env.run(&["report", "--help"]).ok().stdout;
    for format in ["- table:", "- csv:", "- json:"] {
        assert!(help.contains(format), "{help}");
    }
    assert!(!help.contains("- ids:"), "{help}");
    let out = env.run(&["report", "--format", "ids"]).fails(2);
    assert!(out.stderr.contains("'ids'"), "{}", out.stderr);
    // `desk list` still prints IDs.
    let help = env.run(&["list", "--help"]).ok().stdout;
    assert!(help.contains("- ids:"), "{help}");
}

#[test]
fn completions_name_the_subcommands_and_bash_sources_them() {
    let env = TestEnv::empty();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.run(&["completions", shell]).ok().stdout;
        for sub in SUBCOMMANDS {
            assert!(out.contains(sub), "{shell} lacks {sub}");
        }
    }
    assert_eq!(env.run(&["completions", "tcsh"]).code, 2);
    let script = env.path("desk.bash");
    std::fs::write(&script, env.run(&["completions", "bash"]).ok().stdout).unwrap();
    let Ok(bash) = std::process::Command::new("bash")
        .arg("-c")
        // Sourced, it completes `desk repo` and the formats of a report.
        .arg(format!(
            "set -e; source '{}'; complete -p desk; \
             COMP_WORDS=(desk repo); COMP_CWORD=1; _desk desk repo desk; echo \"${{COMPREPLY[*]}}\"; \
             COMP_WORDS=(desk report --format ''); COMP_CWORD=3; _desk desk '' --format; \
             echo \"${{COMPREPLY[*]}}\"",
            script.display()
        ))
        .output()
    else {
        eprintln!("no bash: the script was not sourced");
        return;
    };
    let stdout = String::from_utf8_lossy(&bash.stdout);
    let stderr = String::from_utf8_lossy(&bash.stderr);
    assert!(bash.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("complete"), "{stdout}");
    assert_eq!(lines[1..], ["report", "table csv json"], "{stdout}");
}

#[test]
fn man_pages_describe_every_subcommand() {
    let env = TestEnv::empty();
    // roff escapes hyphens.
    let page = env.run(&["man"]).ok().stdout.replace("\\-", "-");
    assert!(
        page.starts_with(".ie") || page.contains(".TH desk 1"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(page.contains(sub), "man page lacks {sub}");
    }
    assert!(page.contains("GLOBAL OPTIONS"), "{page}");
    let out = env.run(&["man", "--out", "man"]).ok();
    for name in [
        "desk.1",
        "desk-new.1",
        "desk-customer-add.1",
        "desk-report.1",
    ] {
        let text = std::fs::read_to_string(env.path(&format!("man/{name}"))).unwrap();
        assert!(text.contains(".TH"), "{name}: {text}");
        assert!(out.stdout.contains(name), "{}", out.stdout);
    }
    // Pages of commands, not of the help subcommands.
    assert!(!out.stdout.contains("help"), "{}", out.stdout);
    assert!(out.stdout.lines().count() > 20, "{}", out.stdout);
}
