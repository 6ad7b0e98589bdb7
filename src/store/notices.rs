//! What the store has to tell a person while it works (a lock it waits
//! for) goes to the sink its opener passed in ([`super::Store::with_notices`]):
//! the store never prints. The command layer decides what reaches the
//! terminal, and a test can capture what was said.

use std::sync::Arc;

/// What a sink does with a message.
type Say = dyn Fn(&str) + Send + Sync;

/// A sink for messages to people: a callback, shared by the clones of a
/// store. [`Notices::none`], the default, says nothing.
#[derive(Clone, Default)]
pub struct Notices(Option<Arc<Say>>);

impl Notices {
    /// A sink that hands every message to `say`.
    pub fn new(say: impl Fn(&str) + Send + Sync + 'static) -> Notices {
        Notices(Some(Arc::new(say)))
    }

    /// A sink that says nothing.
    pub fn none() -> Notices {
        Notices(None)
    }

    /// Tells `text` to the sink.
    pub fn say(&self, text: &str) {
        if let Some(say) = &self.0 {
            say(text);
        }
    }
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Notices(..)",
            None => "Notices(none)",
        })
    }
}
