//! What `desk check` reports: one problem, where it is and what is wrong.
//! Checks that need the files live beside the store code they check and
//! return findings; the command only prints them.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the store root.
    pub path: PathBuf,
    /// The 1-based line, when one is known.
    pub line: Option<usize>,
    pub message: String,
}

impl Finding {
    pub fn new(path: &Path, line: Option<usize>, message: impl Into<String>) -> Finding {
        Finding {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}
