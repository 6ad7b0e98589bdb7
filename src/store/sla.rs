use super::Store;
use crate::error::{Error, Result};
use crate::sla::{Calendar, HolidayFile, Policy};
use crate::yaml::from_yaml;

/// Yearly holiday files live here, one YAML file each (`cn-2026.yaml`).
pub const CALENDARS_DIR: &str = "calendars";

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

impl Store {
    /// Writes a shipped calendar's files into `calendars/` (an existing file
    /// is left as it is); returns the paths written, relative to the store.
    pub fn install_calendar(&self, name: &str) -> Result<Vec<std::path::PathBuf>> {
        let files = shipped_calendar(name)?;
        let dir = self.root.join(CALENDARS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut written = Vec::new();
        for (file, text) in files {
            let path = dir.join(file);
            if !path.exists() {
                super::create_atomic(&path, text.as_bytes())?;
                written.push(self.display_path(&path).to_path_buf());
            }
        }
        Ok(written)
    }

    /// The SLA policy and the business calendar: desk.yaml's, with the
    /// holiday files of `calendars/` (read once per command). Errors name
    /// the file and the key.
    pub fn sla(&self) -> Result<(&Policy, &Calendar)> {
        let policy = &self.settings.policy;
        if let Some(calendar) = self.full_calendar.get() {
            return Ok((policy, calendar));
        }
        let mut files = Vec::new();
        for (shown, text) in self.holiday_texts()? {
            let file: HolidayFile = from_yaml(&text, &shown)?;
            files.push((shown.display().to_string(), file));
        }
        let calendar = self
            .settings
            .yaml_calendar
            .with_files(&files)
            .map_err(|e| Error::Parse {
                path: super::CONFIG_FILE.into(),
                line: None,
                message: e.to_string(),
            })?;
        Ok((policy, self.full_calendar.get_or_init(|| calendar)))
    }
}
