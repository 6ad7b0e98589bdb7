//! Command-line values for the plain enums of the domain and of `output`:
//! clap knows them here, so the layers below do not depend on clap.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::output::Format;
use crate::report::html::Lang;
use crate::report::GroupBy;

/// A parser that accepts the names of `values` (and lists them, with their
/// help, in `--help` and completions).
fn by_name<T: Copy + Send + Sync + 'static>(
    values: &'static [T],
    name: fn(T) -> &'static str,
    help: fn(T) -> Option<&'static str>,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(values.iter().map(|&v| {
        let p = PossibleValue::new(name(v));
        match help(v) {
            Some(h) => p.help(h),
            None => p,
        }
    }))
    .map(move |given: String| {
        values
            .iter()
            .copied()
            .find(|&v| name(v) == given)
            .expect("a listed value")
    })
}

/// `--format`, accepting only `allowed`: `desk report` has no IDs to print.
pub fn format(allowed: &'static [Format]) -> impl TypedValueParser<Value = Format> {
    by_name(allowed, Format::name, |f| Some(f.about()))
}

/// `--format` of the commands that print every format.
pub fn any_format() -> impl TypedValueParser<Value = Format> {
    format(&Format::ALL)
}

/// `desk report --by`.
pub fn group_by() -> impl TypedValueParser<Value = GroupBy> {
    by_name(&GroupBy::ALL, GroupBy::name, |_| None)
}

/// `desk report --lang`.
pub fn lang() -> impl TypedValueParser<Value = Lang> {
    by_name(&Lang::ALL, Lang::name, |l| Some(l.about()))
}

/// `desk run --catch-up`: a duration such as `14d`, `36h` or `1d12h`, in
/// seconds, longer than zero and at most 366 days.
pub fn catch_up(text: &str) -> Result<i64, String> {
    use crate::clock::{Ambiguous, BareM, DurationError};
    match crate::clock::parse_duration(text) {
        Ok((0, 0)) => Err(format!(
            "'{text}' lets every firing go; give a span longer than the cron interval, e.g. 14d"
        )),
        // A bare `m` is minutes here, as in SLA targets, not months as in
        // `dormant_for`: a few minutes would let nearly every firing go.
        Ok((0, seconds)) if seconds < 3600 => Err(format!(
            "'{text}' is {} minute(s): that lets go of nearly every firing; give at least \
             1h, e.g. 14d or 36h",
            seconds / 60
        )),
        Ok((days, seconds)) => {
            if let Some(a) = Ambiguous::find("--catch-up", text, BareM::Minutes) {
                crate::output::message::warn(&format!("{}: {a}", a.key));
            }
            Ok(days * 86_400 + seconds)
        }
        Err(DurationError::TooLong(_)) => Err(format!("'{text}' is longer than 366 days")),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catch_up_of_minutes_is_refused_and_hours_or_days_taken() {
        let e = catch_up("6m").unwrap_err();
        assert!(e.contains("'6m' is 6 minute(s)"), "{e}");
        assert!(catch_up("59m").is_err() && catch_up("59min").is_err());
        assert_eq!(catch_up("60m"), Ok(3600));
        assert_eq!(catch_up("60min"), Ok(3600));
        assert!(catch_up("6mo").unwrap_err().contains("give days"));
        assert_eq!(catch_up("36h"), Ok(36 * 3600));
        assert_eq!(catch_up("14d"), Ok(14 * 86_400));
        assert!(catch_up("0d").is_err());
    }

    #[test]
    fn every_name_parses_back_to_its_value() {
        let cmd = clap::Command::new("desk");
        for f in Format::ALL {
            let parsed = any_format().parse_ref(&cmd, None, f.name().as_ref());
            assert_eq!(parsed.unwrap(), f);
        }
        for g in GroupBy::ALL {
            assert_eq!(
                group_by().parse_ref(&cmd, None, g.name().as_ref()).unwrap(),
                g
            );
        }
        let report = format(&[Format::Table, Format::Csv, Format::Json]);
        assert!(report.parse_ref(&cmd, None, "ids".as_ref()).is_err());
    }

    #[test]
    fn the_domain_and_output_do_not_depend_on_clap() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut dirs: Vec<_> = ["output", "model", "sla", "report", "rules"]
            .map(|d| src.join(d))
            .into();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                match path.is_dir() {
                    true => dirs.push(path),
                    false => files.push(path),
                }
            }
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(!text.contains("clap"), "{} uses clap", f.display());
        }
    }
}
