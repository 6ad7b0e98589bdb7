//! The customer's own words of a message: quoted earlier replies and the
//! signature removed.

/// The body without what the customer did not write now:
/// - lines quoted with `>`;
/// - everything from the first line that introduces a quoted message:
///   `On … wrote:` (over up to three lines, as clients wrap it), `在 … 写道：`,
///   `-----Original Message-----`, `------------------ 原始邮件 ------------------`
///   (QQ Mail; `Original` in its English form), a run of underscores before a
///   header block (Outlook), or a header block itself (`发件人:` or `From:`
///   followed within three lines by `发送时间:`, `日期:`, `收件人:`, `Sent:`,
///   `Date:` or `To:`);
/// - everything from a signature separator (`-- ` alone on its line).
///
/// A forwarded message is the substance of a forward: after a forward marker
/// (`---------- Forwarded message ---------`, `Begin forwarded message:`,
/// `转发邮件`) header blocks no longer cut.
pub fn trimmed_note(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut forwarded = false;
    for (i, line) in lines.iter().enumerate() {
        let text = line.trim();
        if is_forward_marker(text) {
            forwarded = true;
        } else if starts_quote(&lines, i, forwarded) || is_signature_separator(line) {
            break;
        }
        if text.starts_with('>') || text.starts_with('＞') {
            continue;
        }
        kept.push(line.trim_end());
    }
    let mut note = kept.join("\n");
    note.truncate(note.trim_end().len());
    note.trim_start_matches('\n').to_string()
}

fn is_signature_separator(line: &str) -> bool {
    line.trim_end_matches('\r') == "-- " || line.trim_end_matches(['\r', ' ']) == "--"
}

fn is_forward_marker(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("forwarded message")
        || lower.starts_with("begin forwarded message")
        || text.contains("转发邮件")
        || text.contains("转发的邮件")
}

fn starts_quote(lines: &[&str], i: usize, forwarded: bool) -> bool {
    let text = lines[i].trim();
    let lower = text.to_lowercase();
    if text.starts_with("---") && (lower.contains("original") || text.contains("原始邮件")) {
        return true;
    }
    if lower.starts_with("on ") || text.starts_with('在') {
        // Joined with up to two more lines: clients wrap a long `On … wrote:`.
        let mut joined = text.to_string();
        for next in lines.iter().skip(i + 1).take(2) {
            if ends_wrote(&joined) {
                break;
            }
            joined.push(' ');
            joined.push_str(next.trim());
        }
        if ends_wrote(&joined) {
            return true;
        }
    }
    if text.len() >= 10 && text.chars().all(|c| c == '_') {
        return lines
            .iter()
            .skip(i + 1)
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| is_field(l.trim(), &["发件人", "From"]));
    }
    !forwarded && header_block_at(lines, i)
}

fn ends_wrote(text: &str) -> bool {
    let text = text.trim_end();
    text.ends_with("wrote:") || text.ends_with("写道：") || text.ends_with("写道:")
}

/// `Name:` or `Name：` (the full-width colon of Chinese clients) at the start.
fn is_field(text: &str, names: &[&str]) -> bool {
    let text = text.trim_start_matches('*');
    names.iter().any(|name| {
        text.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(':') || rest.starts_with('：'))
    })
}

/// `发件人:` or `From:` followed within three lines by another header of a
/// quoted message.
fn header_block_at(lines: &[&str], i: usize) -> bool {
    const NEXT: &[&str] = &["发送时间", "时间", "日期", "收件人", "Sent", "Date", "To"];
    is_field(lines[i].trim(), &["发件人", "From"])
        && lines
            .iter()
            .skip(i + 1)
            .take(3)
            .any(|l| is_field(l.trim(), NEXT))
}
