//! What `desk check` reports: one problem, where it is and what is wrong.
//! Checks that need the files live beside the store code they check and
//! return findings; the command only prints them.

use std::path::{Path, PathBuf};

use crate::model::TicketId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the store root.
    pub path: PathBuf,
    /// The 1-based line, when one is known.
    pub line: Option<usize>,
    pub message: String,
    pub kind: FindingKind,
}

/// What can be done about a finding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FindingKind {
    /// Needs a person.
    #[default]
    Problem,
    /// A field of this ticket (valid ID, file at its ID's place) edited by
    /// hand, which [`app::check::record_hand_edits`](crate::app::check::record_hand_edits)
    /// records as an `edited` event.
    HandEdit(TicketId),
    /// Nothing is wrong yet, but soon will be (next year's holidays not
    /// added): told, without failing the check (nor the pre-commit hook
    /// and cron commits that run it).
    Warning,
}

impl Finding {
    pub fn new(path: &Path, line: Option<usize>, message: impl Into<String>) -> Finding {
        Finding {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            kind: FindingKind::Problem,
        }
    }
}

impl Finding {
    /// A problem of desk.yaml, found as an error (at its line, when known).
    pub fn in_config(e: crate::error::Error) -> Finding {
        let config = Path::new(super::CONFIG_FILE);
        match e {
            crate::error::Error::Parse { line, message, .. } => Finding::new(config, line, message),
            other => Finding::new(config, None, other.to_string()),
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
