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

/// A progress line that the next one overwrites (`\rTEXT`, no newline);
/// `done` ends it with a newline.
pub fn progress(text: &str, done: bool) {
    let end = if done { "\n" } else { "" };
    write(format_args!("\r{}{end}", crate::text::visible(text)));
}

fn write(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}
