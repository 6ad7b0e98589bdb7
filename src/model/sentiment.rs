//! How a customer's words, or a survey's scores, feel about the service:
//! the readings `desk report`'s sentiment section counts (the method is
//! `report::sentiment`), and that an agent may record for a ticket's texts
//! (an `assessed` event), overruling the method.

use crate::error::{Error, Result};

/// How a text (or a survey's scores) feels about the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
    /// A wish or a proposal (`希望能增加夜间客服`), neither praise nor a
    /// complaint.
    Suggestion,
}

impl Sentiment {
    pub const ALL: [Sentiment; 4] = [
        Sentiment::Positive,
        Sentiment::Neutral,
        Sentiment::Negative,
        Sentiment::Suggestion,
    ];

    /// The name in files, CSV and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
            Sentiment::Suggestion => "suggestion",
        }
    }

    /// The label a Chinese reader sees.
    pub fn label(self) -> &'static str {
        match self {
            Sentiment::Positive => "正面",
            Sentiment::Neutral => "中性",
            Sentiment::Negative => "负面",
            Sentiment::Suggestion => "建议",
        }
    }

    /// The sentiment of a [`Sentiment::name`].
    pub fn from_name(name: &str) -> Option<Sentiment> {
        Sentiment::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The sentiment a person typed: its name in any case, or its Chinese
    /// label.
    pub fn parse(input: &str) -> Result<Sentiment> {
        let typed = input.trim();
        Sentiment::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(typed) || s.label() == typed)
            .ok_or_else(|| {
                let valid: Vec<String> = Sentiment::ALL
                    .iter()
                    .map(|s| format!("{} ({})", s.name(), s.label()))
                    .collect();
                Error::invalid("sentiment", crate::text::visible(typed), valid.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_read_and_anything_else_refused() {
        assert_eq!(Sentiment::parse("Negative").unwrap(), Sentiment::Negative);
        assert_eq!(Sentiment::parse("负面").unwrap(), Sentiment::Negative);
        assert_eq!(
            Sentiment::parse(" suggestion ").unwrap(),
            Sentiment::Suggestion
        );
        let e = Sentiment::parse("angry").unwrap_err().to_string();
        assert!(e.contains("angry") && e.contains("negative (负面)"), "{e}");
        for s in Sentiment::ALL {
            assert_eq!(Sentiment::from_name(s.name()), Some(s));
        }
    }
}
