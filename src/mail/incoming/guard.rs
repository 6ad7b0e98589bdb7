//! Running the MIME parser so that a panic inside it becomes an error and
//! prints nothing: the panic hook stays the process's own for every other
//! panic, and is silent only on a thread that is inside [`quietly`].

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Runs `work`; `None` if it panicked. The panic's message is not printed.
pub fn quietly<T>(work: impl FnOnce() -> T) -> Option<T> {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|quiet| quiet.replace(true));
    // The work only reads its borrowed input; nothing it leaves half-done is
    // seen after a panic.
    let outcome = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|quiet| quiet.set(was));
    outcome.ok()
}
