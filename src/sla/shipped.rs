//! The holiday calendars desk ships (the texts of `examples/calendars/`,
//! built into the binary), and which one a store gets by default.

use crate::error::{Error, Result};

/// The holiday calendars desk ships, by name: each is the files it installs
/// in `calendars/` (the texts of `examples/calendars/`, built into the binary).
pub const SHIPPED_CALENDARS: &[(&str, &[(&str, &str)])] = &[(
    "cn",
    &[(
        "cn-2026.yaml",
        include_str!("../../examples/calendars/cn-2026.yaml"),
    )],
)];

/// The shipped calendar a store in time zone `tz` gets by default: mainland
/// China's for the zones of the People's Republic.
pub fn default_calendar(tz: &str) -> Option<&'static str> {
    matches!(
        tz,
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Chungking" | "Asia/Harbin" | "PRC"
    )
    .then_some("cn")
}

/// The files of a shipped calendar; an unknown name is refused with the known ones.
pub fn shipped_calendar(name: &str) -> Result<&'static [(&'static str, &'static str)]> {
    SHIPPED_CALENDARS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, files)| *files)
        .ok_or_else(|| {
            let known: Vec<&str> = SHIPPED_CALENDARS.iter().map(|(n, _)| *n).collect();
            Error::invalid(
                "--calendar",
                name,
                format!("expected one of: {}, none", known.join(", ")),
            )
        })
}
