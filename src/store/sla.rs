use std::path::Path;

use super::{from_yaml, read_file, Store};
use crate::error::{Error, Result};
use crate::sla::{Calendar, HolidayFile, Policy};

/// Yearly holiday files live here, one YAML file each (`cn-2026.yaml`).
pub const CALENDARS_DIR: &str = "calendars";

impl Store {
    /// The business calendar and SLA policy, from desk.yaml and `calendars/`.
    /// Errors name the file and the key.
    pub fn sla(&self) -> Result<(Policy, Calendar)> {
        let config_path = self.root.join(super::CONFIG_FILE);
        let bad = |path: &std::path::Path, message: String| Error::Parse {
            path: self.display_path(path).to_path_buf(),
            line: None,
            message,
        };
        let mut extra = Vec::new();
        let dir = self.root.join(CALENDARS_DIR);
        // A linked folder is refused, not followed.
        super::read::real_dirs(&self.root, Path::new(CALENDARS_DIR))?;
        if dir.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .map_err(|e| Error::io(&dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            for path in files {
                let shown = self.display_path(&path);
                let file: HolidayFile = from_yaml(&read_file(&path, shown)?, shown)?;
                let name = self.display_path(&path).display().to_string();
                extra.push((name, file));
            }
        }
        let calendar = self
            .config
            .calendar
            .build(self.tz, &extra)
            .map_err(|m| bad(&config_path, m))?;
        let priorities: Vec<String> = self
            .config
            .priorities
            .iter()
            .map(|c| c.key.clone())
            .collect();
        let policy = self
            .config
            .sla
            .build(&calendar, &priorities)
            .map_err(|m| bad(&config_path, m))?;
        Ok((policy, calendar))
    }
}
