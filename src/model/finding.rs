//! What `desk check` reports: one problem, where it is and what is wrong.
//! Checks that need the files live beside the store code they check and
//! return findings; the command only prints them.

use std::path::{Path, PathBuf};

use super::TicketId;

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

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}
