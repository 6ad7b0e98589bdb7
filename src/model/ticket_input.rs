//! What a person types for a ticket's fields, checked and made canonical:
//! the one rule behind `desk new`, `desk edit --set` and the rules' `set`
//! action. Values that name something of the store (a customer, a type)
//! are looked up through [`TicketLookup`], which the store provides.

use crate::yaml::Value;

use super::ops::{check_title, Edit};
use super::Field;
use crate::error::{Error, Result};

/// What checking a ticket's fields needs from the store.
pub trait TicketLookup {
    /// The canonical key of a type, priority or channel (key, alias or label).
    fn choice(&self, field: Field, input: &str) -> Result<String>;
    /// The ID of an existing customer.
    fn customer(&self, input: &str) -> Result<String>;
}

/// A required one-value text (a title, a tag): trimmed, not empty.
pub fn required(what: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            what,
            raw,
            format!("the {what} must not be empty"),
        ));
    }
    Ok(trimmed.to_string())
}

/// A title: required, one line.
pub fn title(raw: &str) -> Result<String> {
    let title = required("title", raw)?;
    check_title(&title)?;
    Ok(title)
}

/// A category: one line (it heads report rows and mail subjects), or none
/// when empty.
pub fn category(raw: &str) -> Result<Option<String>> {
    let category = raw.trim();
    if category.is_empty() {
        return Ok(None);
    }
    if !super::is_one_line(category) {
        return Err(Error::invalid(
            "category",
            category,
            "a category is one line",
        ));
    }
    Ok(Some(category.to_string()))
}

/// Whether two tags are one tag: equal but for the case of Latin letters,
/// as `--tag` filters match them (`VIP` is `vip`). A ticket's or a
/// customer's tags hold each tag once, as first written.
pub fn same_tag(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Tags from any number of inputs, each a tag or a comma-separated list
/// (`,` or `，`): trimmed, empty ones dropped, each kept once (see
/// [`same_tag`]), in the order first given. A tag is one line.
pub fn tags<'a>(inputs: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
    let mut tags: Vec<String> = Vec::new();
    for input in inputs {
        for tag in input.split([',', '，']).map(str::trim) {
            if tag.is_empty() || tags.iter().any(|t| same_tag(t, tag)) {
                continue;
            }
            if !super::is_one_line(tag) {
                return Err(Error::invalid("tag", tag, "a tag is one line"));
            }
            tags.push(tag.to_string());
        }
    }
    Ok(tags)
}

/// The same tags, each kept once (see [`same_tag`]), the first written of
/// each: what every ticket's and customer's tags are made into before
/// they are recorded, whoever gives them (a person, a rule, a file).
pub fn unique_tags(tags: Vec<String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        if !unique.iter().any(|t| same_tag(t, &tag)) {
            unique.push(tag);
        }
    }
    unique
}

/// `FIELD=VALUE` of `desk edit --set`, as the edit it asks for. An empty
/// value clears an optional field; which fields are editable is decided by
/// [`crate::model::Ticket::edit`].
pub fn edit(text: &str, lookup: &dyn TicketLookup) -> Result<Edit> {
    let (field, raw) = text.split_once('=').ok_or_else(|| {
        Error::invalid("--set", text, "expected FIELD=VALUE, e.g. priority=urgent")
    })?;
    let field = field.trim().to_string();
    let raw = raw.trim();
    let text = |s: String| Value::String(s);
    let value = match field.as_str() {
        "type" => text(lookup.choice(Field::Type, raw)?),
        "priority" => text(lookup.choice(Field::Priority, raw)?),
        "channel" => text(lookup.choice(Field::Channel, raw)?),
        "customer" => text(lookup.customer(raw)?),
        "title" => text(title(raw)?),
        "description" => text(raw.to_string()),
        "category" => category(raw)?.map_or(Value::Null, text),
        "expectation" if raw.is_empty() => Value::Null,
        "tags" => Value::Sequence(tags([raw])?.into_iter().map(text).collect()),
        // The domain names the valid fields.
        _ => text(raw.to_string()),
    };
    Ok(Edit { field, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Store;
    impl TicketLookup for Store {
        fn choice(&self, field: Field, input: &str) -> Result<String> {
            match (field, input) {
                (Field::Type, "投诉" | "complaint") => Ok("complaint".into()),
                _ => Err(Error::invalid(field.name(), input, "expected complaint")),
            }
        }
        fn customer(&self, input: &str) -> Result<String> {
            match input {
                "C000001" => Ok(input.into()),
                _ => Err(Error::NotFound {
                    what: "customer",
                    id: input.into(),
                }),
            }
        }
    }

    fn value(text: &str) -> Value {
        edit(text, &Store).unwrap().value
    }

    #[test]
    fn tags_are_kept_once_in_the_order_given() {
        assert_eq!(tags(["a, b,a", "b", "，c，"]).unwrap(), ["a", "b", "c"]);
        assert_eq!(
            value("tags=退款,退款, 物流"),
            crate::yaml::from_str::<Value>("[退款, 物流]").unwrap()
        );
        assert_eq!(unique_tags(vec!["x".into(), "x".into()]), ["x"]);
        // Latin letters in any case are one tag, as `--tag` matches them.
        assert_eq!(tags(["VIP, vip", "Vip,退款"]).unwrap(), ["VIP", "退款"]);
        assert_eq!(
            unique_tags(vec!["a".into(), "A".into(), "b".into()]),
            ["a", "b"]
        );
    }

    #[test]
    fn a_category_is_one_line() {
        assert!(edit("category=a\r\nBcc: x", &Store).is_err());
        assert!(category("物流\n延误").is_err());
        assert_eq!(value("category= 物流 "), Value::String("物流".into()));
        assert_eq!(value("category="), Value::Null);
    }

    #[test]
    fn a_title_set_by_edit_is_one_line_like_a_new_one() {
        assert!(edit("title=a\nb", &Store).is_err());
        assert!(edit("title=a\rb", &Store).is_err());
        assert!(edit("title= ", &Store).is_err());
        assert_eq!(value("title= 退款 "), Value::String("退款".into()));
    }

    #[test]
    fn enumerations_and_customers_are_looked_up() {
        assert_eq!(value("type=投诉"), Value::String("complaint".into()));
        assert!(edit("type=colour", &Store).is_err());
        assert!(edit("customer=C000009", &Store).is_err());
        assert_eq!(value("category="), Value::Null);
        assert_eq!(value("tags="), Value::Sequence(vec![]));
        assert!(edit("no equals sign", &Store).is_err());
    }

    proptest! {
        #[test]
        fn any_set_is_an_edit_or_an_error(text in "\\PC{0,20}(=\\PC{0,20})?") {
            let _ = edit(&text, &Store);
        }

        #[test]
        fn tags_never_repeat_and_are_never_empty(inputs in proptest::collection::vec("[a-cA-C, ，\n]{0,8}", 0..4)) {
            if let Ok(tags) = tags(inputs.iter().map(String::as_str)) {
                for (i, t) in tags.iter().enumerate() {
                    prop_assert!(!t.is_empty() && t.trim() == t);
                    prop_assert!(!tags[..i].iter().any(|x| same_tag(x, t)));
                }
            }
        }
    }
}
