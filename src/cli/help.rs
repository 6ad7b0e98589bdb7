//! What `--help`, the man page and the completion scripts say beyond the
//! argument definitions: the values of the enumerations a store configures.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::config::{describe_choices, Config};
use crate::model::Field;
use crate::store::Store;

/// The options whose values are an enumeration of desk.yaml, by long name.
const LISTED: [(&str, Field); 4] = [
    ("type", Field::Type),
    ("priority", Field::Priority),
    ("channel", Field::Channel),
    ("status", Field::Status),
];

/// `cmd` with each enumerated option's help ending in the values it takes:
/// those of `config` (a store's desk.yaml), else those `desk init` writes.
pub fn with_value_lists(cmd: clap::Command, config: Option<&Config>) -> clap::Command {
    let defaults;
    let (config, whose) = match config {
        Some(c) => (c, "in this store"),
        None => {
            defaults = Config::seed_defaults();
            (&defaults, "by default")
        }
    };
    annotate(cmd, config, whose)
}

fn annotate(mut cmd: clap::Command, config: &Config, whose: &str) -> clap::Command {
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, |s| annotate(s, config, whose));
    }
    let ids: Vec<(String, String)> = cmd
        .get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?;
            let list = match LISTED.iter().find(|(l, _)| *l == long) {
                // `desk update --status` takes only two statuses and says which.
                Some((_, Field::Status)) if cmd.get_name() == "update" => return None,
                Some((_, field)) => describe_choices(&config.choices(*field)),
                _ if long == "source" => describe_choices(&config.customers.sources),
                _ if long == "score" => describe_choices(&config.survey.dimensions),
                _ => return None,
            };
            Some((a.get_id().to_string(), list))
        })
        .collect();
    for (id, list) in ids {
        cmd = cmd.mut_arg(id, |a| {
            // clap drops a lone sentence's full stop; the list follows one.
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let help = help.trim_end_matches('.');
            a.help(format!("{help}. Values {whose}: {list}."))
        });
    }
    cmd
}

/// True when the command line asks for help (`-h`, `--help`, `desk help`).
pub fn wanted(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .any(|a| a == "-h" || a == "--help" || a == "help")
}

/// The configuration of the store the command line would work on, if one
/// is found and readable; help falls back to the defaults otherwise.
pub fn store_config(args: &[OsString]) -> Option<Config> {
    let mut dir: Option<PathBuf> = std::env::var_os("DESK_DIR").map(PathBuf::from);
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let text = a.to_string_lossy();
        if text == "--dir" {
            dir = it.next().map(PathBuf::from);
        } else if let Some(d) = text.strip_prefix("--dir=") {
            dir = Some(PathBuf::from(d));
        }
    }
    Store::find(dir.as_deref()).ok().map(|s| s.config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every argument of `cmd` and its subcommands without a help line that
    /// reads as a sentence (not starting in lower case: a fragment such as
    /// "individual or enterprise"), by path. clap drops a one-sentence
    /// help's full stop itself, so the end is not checked.
    fn incomplete(cmd: &clap::Command, path: &str, found: &mut Vec<String>) {
        let path = format!("{path} {}", cmd.get_name());
        let about = cmd.get_about().map(|h| h.to_string()).unwrap_or_default();
        if about.chars().next().is_none_or(char::is_lowercase) {
            found.push(format!("{path}: {about:?}"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let first = help.chars().next();
            let complete = first.is_some_and(|c| !c.is_lowercase());
            if !complete {
                found.push(format!("{path} {id}: {help:?}"));
            }
        }
        for sub in cmd.get_subcommands() {
            incomplete(sub, &path, found);
        }
    }

    #[test]
    fn every_argument_has_a_complete_help_sentence() {
        let mut found = Vec::new();
        incomplete(&super::super::Cli::command(), "", &mut found);
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn global_options_are_listed_apart() {
        let mut cmd = super::super::Cli::command();
        let help = cmd.render_help().to_string();
        let heading = help.find("Global options:").expect(&help);
        for option in ["--dir", "--actor", "--csv-raw"] {
            assert!(help.find(option).expect(option) > heading, "{help}");
        }
        let sub = cmd.find_subcommand_mut("list").unwrap();
        let help = sub.render_help().to_string();
        assert!(help.contains("Global options:"), "{help}");
    }

    #[test]
    fn value_lists_come_from_the_configuration() {
        let mut config = Config::seed_defaults();
        config.types = vec![crate::config::Choice {
            key: "outage".into(),
            label: Some("故障".into()),
            aliases: vec![],
        }];
        let mut cmd = with_value_lists(super::super::Cli::command(), Some(&config));
        let new = cmd.find_subcommand_mut("new").unwrap();
        let help = new.render_help().to_string();
        assert!(help.contains("outage (故障)"), "{help}");
        assert!(!help.contains("consultation"), "{help}");
        assert!(help.contains("urgent (紧急)"), "{help}");
        let mut cmd = with_value_lists(super::super::Cli::command(), None);
        let list = cmd.find_subcommand_mut("list").unwrap();
        let help = list.render_help().to_string();
        assert!(help.contains("consultation (咨询)"), "{help}");
        assert!(help.contains("in_progress (处理中)"), "{help}");
        let survey = cmd.find_subcommand_mut("survey").unwrap();
        let help = survey.render_help().to_string();
        assert!(help.contains("efficiency (问题解决效率)"), "{help}");
    }
}
