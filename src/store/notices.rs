//! What the store has to tell a person while it works (a lock it waits
//! for, how far a long read has come) goes to the sink its opener passed in
//! ([`super::Store::with_notices`]): the store never prints. The command
//! layer decides what reaches the terminal, and a test can capture what was
//! said.

use std::sync::Arc;

/// What a sink does with a message.
type Say = dyn Fn(&str) + Send + Sync;
/// What a sink does with progress: what is being done, how many of how
/// many are done.
type Progress = dyn Fn(&str, u64, u64) + Send + Sync;

/// Long work shows progress only past this many items: a small store's
/// commands finish before a bar could be read.
pub const PROGRESS_FROM: usize = 5_000;

/// A sink for messages to people: callbacks, shared by the clones of a
/// store. [`Notices::none`], the default, says nothing.
#[derive(Clone, Default)]
pub struct Notices {
    say: Option<Arc<Say>>,
    progress: Option<Arc<Progress>>,
}

impl Notices {
    /// A sink that hands every message to `say`, and shows no progress.
    pub fn new(say: impl Fn(&str) + Send + Sync + 'static) -> Notices {
        Notices {
            say: Some(Arc::new(say)),
            progress: None,
        }
    }

    /// The same sink, showing progress through `progress` (what, done,
    /// total; done equal to total ends it).
    pub fn with_progress(
        mut self,
        progress: impl Fn(&str, u64, u64) + Send + Sync + 'static,
    ) -> Notices {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// A sink that says nothing.
    pub fn none() -> Notices {
        Notices::default()
    }

    /// Tells `text` to the sink.
    pub fn say(&self, text: &str) {
        if let Some(say) = &self.say {
            say(text);
        }
    }

    /// Tells how far work over `total` items has come (`done` of them),
    /// when there are at least [`PROGRESS_FROM`]; `done == total` ends it.
    pub fn progress(&self, what: &str, done: usize, total: usize) {
        if total < PROGRESS_FROM {
            return;
        }
        if let Some(progress) = &self.progress {
            progress(what, done as u64, total as u64);
        }
    }
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.say {
            Some(_) => "Notices(..)",
            None => "Notices(none)",
        })
    }
}
