//! The message templates of rules, as files: `templates/NAME.txt`, read
//! without following a link.

use std::path::Path;

use super::Store;
use crate::error::{Error, Result};

/// Where message templates live, relative to the store's root.
pub const TEMPLATES_DIR: &str = "templates";

impl Store {
    /// Writes `templates/NAME.txt` for each template that is not there yet
    /// (`desk init`: the default rules' templates).
    pub fn write_templates(&self, templates: &[(&str, &str)]) -> Result<()> {
        let dir = self.root.join(TEMPLATES_DIR);
        super::read::real_dirs(&self.root, Path::new(TEMPLATES_DIR))?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        for (name, text) in templates {
            let path = dir.join(format!("{name}.txt"));
            if !path.exists() {
                super::create_atomic(&path, text.as_bytes())?;
            }
        }
        Ok(())
    }

    /// A template's text, `templates/NAME.txt`: a plain name (no path, no
    /// `..`), read without following a link, neither `templates/` nor the
    /// file, so nothing outside the store is ever read.
    pub fn template_text(&self, name: &str) -> Result<String> {
        if !crate::rules::valid_name(name) {
            return Err(Error::invalid(
                "template name",
                name,
                "a template is named by a plain name in templates/: letters, digits, '-', '_', '.'",
            ));
        }
        self.read_template_file(&format!("{name}.txt"))
    }

    /// `templates/FILE`, read without following a link (neither
    /// `templates/` nor the file), in the work tree or at the commit.
    fn read_template_file(&self, file: &str) -> Result<String> {
        if self.commit().is_none() {
            super::read::real_dirs(&self.root, Path::new(TEMPLATES_DIR))?;
        }
        self.read_store_file(&Path::new(TEMPLATES_DIR).join(file))
    }

    /// A store's own page template for the HTML report,
    /// `templates/NAME` (a fixed name given by desk), read as
    /// [`Store::template_text`] reads; `None` when the store has none.
    pub fn page_template(&self, name: &str) -> Result<Option<String>> {
        if !self.holds(&Path::new(TEMPLATES_DIR).join(name)) {
            return Ok(None);
        }
        self.read_template_file(name).map(Some)
    }
}
