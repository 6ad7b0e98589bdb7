//! Message templates (`templates/NAME.txt`, minijinja): the first line
//! `Subject: …`, a blank line, the body. Pure: the store reads the file and
//! builds the context; this renders it and says what is wrong with it.

use minijinja::{Environment, UndefinedBehavior};

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// The work one rendering of a template may do: minijinja's fuel, about one
/// unit per instruction and one per 64 bytes of text made. A notification
/// takes a few hundred; a ticket's whole description (at most 4 MiB) about
/// 65,000. A template past it (loops over large ranges) is refused rather
/// than left to run for minutes and take gigabytes, which would stop every
/// command that checks templates.
pub const FUEL: u64 = 200_000;

/// The most text a template may make (subject and body), in bytes: twice
/// the largest ticket file.
pub const MAX_OUTPUT: usize = 8 << 20;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty string in a sent mail.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // An empty field (`null`: no resolution, no category, no assignee) is
    // written as nothing, not as `none`.
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            return Ok(());
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.set_fuel(Some(FUEL));
    // Blocks (`{% for %}`) take no line of their own in a plain-text mail.
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters"),
    );
    env
}

/// Renders `text` (the template `name`) with `context`; the error says what
/// is wrong (syntax with its line, an unknown variable, no subject line).
pub fn render(name: &str, text: &str, context: &serde_json::Value) -> Result<Message, String> {
    let env = environment();
    let template = env
        .template_from_named_str(name, text)
        .map_err(|e| describe(&e))?;
    let out = template
        .render(minijinja::value::Serde(context))
        .map_err(|e| match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                let unknown: Vec<String> = {
                    let mut names: Vec<String> = template
                        .undeclared_variables(true)
                        .into_iter()
                        .filter(|name| !resolves(context, name))
                        .collect();
                    names.sort();
                    names
                };
                match unknown.as_slice() {
                    [] => describe(&e),
                    names => format!(
                        "{}: {} not known; a template has {}",
                        describe(&e),
                        names.join(", "),
                        known(context)
                    ),
                }
            }
            minijinja::ErrorKind::OutOfFuel => format!(
                "it takes more work than desk allows a template ({FUEL} steps of minijinja's \
                 fuel); make its loops smaller"
            ),
            _ => describe(&e),
        })?;
    if out.len() > MAX_OUTPUT {
        return Err(format!(
            "it makes {} bytes of text, more than desk allows a message ({} MiB)",
            out.len(),
            MAX_OUTPUT >> 20
        ));
    }
    let mut lines = out.splitn(2, '\n');
    let first = lines.next().unwrap_or_default();
    let rest = lines.next().unwrap_or_default();
    let subject = first
        .strip_prefix("Subject:")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            "the first line must be `Subject: …` (then a blank line, then the body)".to_string()
        })?;
    let body = rest.strip_prefix('\n').or(rest.strip_prefix("\r\n"));
    let body = body.ok_or_else(|| "a blank line must follow the subject line".to_string())?;
    Ok(Message {
        subject: subject.to_string(),
        body: body.to_string(),
    })
}

/// Whether a dotted name (`ticket.title`) is found in the context.
fn resolves(context: &serde_json::Value, name: &str) -> bool {
    let mut value = context;
    for part in name.split('.') {
        match value.get(part) {
            Some(v) => value = v,
            None => return false,
        }
    }
    true
}

/// The context's variables for a message: `rule`, `ticket.{id, title}`, ….
fn known(context: &serde_json::Value) -> String {
    let Some(top) = context.as_object() else {
        return String::new();
    };
    top.iter()
        .map(|(k, v)| match v.as_object() {
            Some(fields) => format!(
                "{k}.{{{}}}",
                fields
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(e: &minijinja::Error) -> String {
    let mut text = match e.line() {
        Some(line) => format!("line {line}: {}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(detail) = e.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_a_chinese_message_with_the_masked_name() {
        let text = "Subject: 工单 {{ ticket.id }} 已分派给您\n\n{{ ticket.assignee_name }}，您好：\n客户 {{ customer.name }} 的{{ ticket.type_label }}「{{ ticket.title }}」（{{ ticket.priority_label }}）\n{% for c in sla %}\n{{ c.target }} 到期 {{ c.due }}\n{% endfor %}\n";
        let ctx = json!({
            "rule": "notify-assignee",
            "ticket": {"id": "CW202611240001", "title": "打印机卡纸", "type_label": "投诉",
                       "priority_label": "紧急", "assignee_name": "陈静"},
            "customer": {"name": "张*"},
            "sla": [{"target": "resolution", "due": "2026-11-25 10:00"}],
        });
        let m = render("assigned", text, &ctx).unwrap();
        assert_eq!(m.subject, "工单 CW202611240001 已分派给您");
        assert_eq!(
            m.body,
            "陈静，您好：\n客户 张* 的投诉「打印机卡纸」（紧急）\nresolution 到期 2026-11-25 10:00\n"
        );
    }

    #[test]
    fn empty_fields_render_as_nothing() {
        let text = "Subject: {{ ticket.id }}{{ ticket.category }}\n\n[{{ ticket.resolution }}][{{ ticket.assignee_name }}]{% if ticket.resolution %}x{% endif %}{{ ticket.resolution or '未填' }}\n";
        let ctx = json!({"ticket": {"id": "CW1", "category": null, "resolution": null, "assignee_name": null}});
        let m = render("t", text, &ctx).unwrap();
        assert_eq!(m.subject, "CW1");
        assert_eq!(m.body, "[][]未填\n");
        // A value is written as it is.
        let ctx = json!({"ticket": {"id": "CW1", "category": "退款", "resolution": "已退款", "assignee_name": "陈静"}});
        let m = render("t", text, &ctx).unwrap();
        assert_eq!(m.subject, "CW1退款");
        assert_eq!(m.body, "[已退款][陈静]x已退款\n");
    }

    #[test]
    fn a_template_that_does_too_much_is_stopped_quickly() {
        let ctx = json!({"ticket": {"id": "X", "description": "长".repeat(1 << 20)}});
        let start = std::time::Instant::now();
        for (text, wanted) in [
            (
                "Subject: x\n\n{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{{ b }}{% endfor %}{% endfor %}",
                "more work than desk allows",
            ),
            (
                "Subject: x\n\n{% for a in range(100000) %}{{ ticket.description }}{% endfor %}",
                "more work than desk allows",
            ),
            (
                "Subject: x\n\n{% set s = 'x' * 100000000000 %}{{ s }}",
                "more work than desk allows",
            ),
            (
                "Subject: x\n\n{{ ticket.description }}{{ ticket.description }}{{ ticket.description }}",
                "more than desk allows a message (8 MiB)",
            ),
        ] {
            let got = render("heavy", text, &ctx).unwrap_err();
            assert!(got.contains(wanted), "{text}: {got}");
        }
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
        // A long description, written once or twice, is fine.
        let text = "Subject: x\n\n{{ ticket.description }}{{ ticket.description }}";
        assert_eq!(render("t", text, &ctx).unwrap().body.len(), 6 << 20);
    }

    #[test]
    fn bad_templates_say_why() {
        let ctx = json!({"ticket": {"id": "X"}});
        for (text, wanted) in [
            ("Subject: {{ ticket.id \n\nbody", "line 3: syntax error"),
            ("Subject: {{ tikcet.id }}\n\nbody", "undefined"),
            (
                "Hello {{ ticket.id }}\n\nbody",
                "the first line must be `Subject: …`",
            ),
            ("Subject: \n\nbody", "the first line must be `Subject: …`"),
            ("Subject: x\nbody", "a blank line must follow"),
            ("Subject: x\n\n{% for %}", "syntax error"),
        ] {
            let got = render("t", text, &ctx).unwrap_err();
            assert!(got.contains(wanted), "{text:?}: {got}");
        }
    }
}
