//! What text looks like where a person reads it: on a terminal, where
//! stored text must neither drive the terminal nor hide what is shown, and
//! in a shell command line people copy. Pure string functions, below every
//! layer that shows a value (errors, mail, the store's messages, output).

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

/// What a value looks like on a terminal: every control character (C0, DEL,
/// C1: escape sequences, carriage returns, line breaks, tabs) and every
/// invisible formatting character (bidi overrides and isolates, zero-width
/// characters, soft hyphen, line and paragraph separators, tag characters)
/// is written as a visible escape, so stored text can neither drive the
/// terminal nor hide or reorder what is shown. The notation: `\t`, `\n`,
/// `\r`, `\e` for ESC, `\u{hex}` for the rest. Everything else, CJK
/// included, is shown as is. Every human-facing view goes through this;
/// JSON, YAML and CSV keep the exact data.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut shown = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => shown.push_str("\\t"),
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\u{1b}' => shown.push_str("\\e"),
            c if is_hidden(c) => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// [`visible`] for a text of several lines (messages on stderr): the line
/// breaks stay, everything else hidden is escaped.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.split('\n')
            .map(|line| visible(line))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// `text` as one word of a POSIX shell command line: as it is when it is
/// made only of characters no shell treats specially, else in single
/// quotes (a quote inside written `'\''`). For commands people copy.
pub fn shell_quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-~+,:@".contains(c))
        && !text.starts_with('~');
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A command and its arguments as one POSIX shell command line, each word
/// as [`shell_quoted`] writes it.
pub fn shell_line<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(shell_quoted)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Control characters and the invisible format characters (Unicode's `Cf`
/// category, plus the line and paragraph separators).
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
        )
}

/// A letter or digit folded: full-width forms to ASCII, lower case, Latin
/// letters with accents to their base letter. Other characters as they are.
pub fn fold(c: char) -> char {
    let c = match c as u32 {
        // Full-width ASCII (Ａ, １).
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì'..='ï' | 'ī' | 'į' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù'..='ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ß' => 's',
        other => other,
    }
}

/// A Han (Chinese) character: the CJK unified ideographs with their
/// extensions and compatibility forms. Search, themes and sentiment cut
/// text into Chinese runs and other words by it.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// `s` cut to `width` display columns (CJK counts two), ending in `…` when
/// something was left out. Widths are measured on the text, not summed per
/// character, so that sequences (an emoji and its variation selector) count
/// as the terminal shows them.
pub fn ellipsis(s: &str, width: usize) -> Cow<'_, str> {
    if s.width() <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    // The longest prefix that leaves a column for the ellipsis (a prefix
    // never gets narrower as it grows, so a binary search finds it).
    let ends: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    let fits = |n: usize| s[..ends[n]].width() < width;
    let (mut lo, mut hi) = (0, ends.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Cow::Owned(format!("{}…", &s[..ends[lo]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn visible_escapes_controls_and_invisible_formatting_only() {
        assert_eq!(
            visible("a\u{1b}[2J\r\n\tb\u{7}\u{7f}\u{9b}"),
            "a\\e[2J\\r\\n\\tb\\u{7}\\u{7f}\\u{9b}"
        );
        assert_eq!(
            visible("\u{202e}cba\u{2066}\u{200b}\u{200d}\u{feff}\u{ad}\u{2028}\u{e0041}"),
            "\\u{202e}cba\\u{2066}\\u{200b}\\u{200d}\\u{feff}\\u{ad}\\u{2028}\\u{e0041}"
        );
        for plain in [
            "设备无法开机 张三",
            "Émile O'Brien — 100%",
            "C:\\path",
            "😀",
        ] {
            assert!(matches!(visible(plain), Cow::Borrowed(_)), "{plain}");
        }
        assert_eq!(visible_lines("one\u{1b}\ntwo\r"), "one\\e\ntwo\\r");
    }

    proptest! {
        #[test]
        fn visible_text_has_nothing_hidden(s in "\\PC*|[\u{0}-\u{9f}\u{200b}-\u{206f}]{0,12}") {
            let shown = visible(&s);
            prop_assert!(!shown.chars().any(is_hidden));
        }
    }
}
