//! Messages for people, on stderr: what a command did, notes, warnings,
//! progress and errors. The one place that writes them: stored and given
//! text in a message is shown, never obeyed (control and invisible
//! characters are escaped, see [`crate::text::visible_lines`]), and a closed or
//! full stderr loses the message instead of ending desk with a panic, as
//! `eprintln!` would.

use std::io::Write;

/// Writes `text` and a newline, escaped.
pub fn say(text: &str) {
    write(format_args!("{}\n", crate::text::visible_lines(text)));
}

/// `warning: TEXT`.
pub fn warn(text: &str) {
    say(&format!("warning: {text}"));
}

/// `note: TEXT`.
pub fn note(text: &str) {
    say(&format!("note: {text}"));
}

/// `error: TEXT`, then `hint: HINT` if there is one.
pub fn error(text: &str, hint: Option<&str>) {
    say(&format!("error: {text}"));
    if let Some(hint) = hint {
        say(&format!("hint: {hint}"));
    }
}

/// The bar being drawn, and what it counts.
static BAR: std::sync::Mutex<Option<(String, indicatif::ProgressBar)>> =
    std::sync::Mutex::new(None);

/// Draws how far `what` has come on stderr, as a bar that redraws itself
/// (at most a few times a second); `done == total` ends it, and a bar of
/// other work replaces it. Only on a terminal: callers pass this to the
/// store's notices only when stderr is one (see `cli::notices`).
pub fn progress(what: &str, done: u64, total: u64) {
    let Ok(mut bar) = BAR.lock() else {
        return;
    };
    if bar.as_ref().is_none_or(|(w, _)| w != what) {
        if let Some((_, old)) = bar.take() {
            old.finish_and_clear();
        }
        let new = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})",
        )
        .map(|s| s.progress_chars("=> "));
        if let Ok(style) = style {
            new.set_style(style);
        }
        new.set_message(crate::text::visible(what).into_owned());
        *bar = Some((what.to_string(), new));
    }
    if let Some((_, b)) = bar.as_ref() {
        b.set_length(total);
        b.set_position(done);
        if done >= total {
            b.finish_and_clear();
            *bar = None;
        }
    }
}

fn write(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}
