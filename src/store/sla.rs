use super::Store;
use crate::error::{Error, Result};
use crate::sla::{Calendar, HolidayFile, Policy};
use crate::yaml::from_yaml;

/// Yearly holiday files live here, one YAML file each (`cn-2026.yaml`).
pub const CALENDARS_DIR: &str = "calendars";

impl Store {
    /// Writes a shipped calendar's files into `calendars/` (an existing file
    /// is left as it is); returns the paths written, relative to the store.
    pub fn install_calendar(&self, name: &str) -> Result<Vec<std::path::PathBuf>> {
        let files = crate::sla::shipped_calendar(name)?;
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
