//! Attachment names safe to be file names in a folder of desk's: what the
//! sender's client called the file, never a path.

/// The longest name kept, in characters (well under the 255 bytes of a file
/// name on common file systems, for UTF-8 names too).
const MAX_NAME_CHARS: usize = 80;
/// The longest name kept, in bytes: room left under the 255 bytes of a file
/// name for the `-2` of a name taken and a temporary file's suffix (80
/// emoji are 320 bytes).
const MAX_NAME_BYTES: usize = 180;

/// A file name made safe: the last component of a path only (`../../a.yaml`
/// → `a.yaml`, `.git/hooks/pre-commit` → `pre-commit`), without control or
/// invisible formatting characters (right-to-left overrides that disguise an
/// extension), with `_` for the characters Windows forbids, without leading
/// dots (no hidden file, no `..`) and trailing dots or spaces, at most 80
/// characters (the extension kept). None when nothing is left.
pub fn safe_file_name(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible(c))
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    let name = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() {
        return None;
    }
    Some(portable(bounded(name)))
}

/// A name every system can check out and no shell reads as an option:
/// Windows' device names (`CON`, `nul.txt`, `COM1`) and a leading `-` get a
/// `_` in front.
fn portable(name: String) -> String {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if device || name.starts_with('-') {
        format!("_{name}")
    } else {
        name
    }
}

/// Zero-width and bidirectional formatting characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 10 => name.split_at(dot),
        _ => (name, ""),
    }
}

fn bounded(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS && name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let (stem, extension) = split_extension(name);
    let keep_chars = MAX_NAME_CHARS - extension.chars().count();
    let keep_bytes = MAX_NAME_BYTES - extension.len();
    let mut kept = String::new();
    for c in stem.chars().take(keep_chars) {
        if kept.len() + c.len_utf8() > keep_bytes {
            break;
        }
        kept.push(c);
    }
    format!("{}{extension}", kept.trim_end())
}

/// The name of an attachment that gave none (or nothing usable):
/// `attachment-2.pdf`, the extension from its content type.
pub(super) fn fallback(number: usize, content_type: &str) -> String {
    let extension = match content_type {
        "message/rfc822" | "message/global" => ".eml",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "application/pdf" => ".pdf",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/gif" => ".gif",
        _ => ".bin",
    };
    format!("attachment-{number}{extension}")
}

/// `name`, or `name (2)`, `name (3)` … before its extension, whichever no
/// earlier attachment of the message has (compared without case, as some
/// file systems do).
pub(super) fn unique(name: String, taken: &[String]) -> String {
    let free = |candidate: &str| !taken.iter().any(|t| t.eq_ignore_ascii_case(candidate));
    if free(&name) {
        return name;
    }
    let (stem, extension) = split_extension(&name);
    (2..)
        .map(|n| format!("{stem} ({n}){extension}"))
        .find(|candidate| free(candidate))
        .expect("a free name among unboundedly many")
}
