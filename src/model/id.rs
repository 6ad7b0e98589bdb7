use chrono::NaiveDate;

/// A ticket number as the seed writes it: a prefix, the creation date and a
/// daily serial of at least four digits (`CW202611230001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId {
    pub prefix: String,
    pub date: NaiveDate,
    pub serial: u32,
}

impl TicketId {
    /// The largest daily serial: eight digits, the most an ID may carry.
    pub const MAX_SERIAL: u32 = 99_999_999;

    /// Parses a full ID, case-insensitively. Anything else (paths, spaces,
    /// short serials) is rejected, so an ID can be used to build a path.
    pub fn parse(text: &str) -> Option<TicketId> {
        let text = text.trim().to_ascii_uppercase();
        let digits_at = text.find(|c: char| c.is_ascii_digit())?;
        let (prefix, rest) = text.split_at(digits_at);
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
            return None;
        }
        if rest.len() < 12 || rest.len() > 16 || !rest.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let date = NaiveDate::parse_from_str(&rest[..8], "%Y%m%d").ok()?;
        let serial: u32 = rest[8..].parse().ok()?;
        // A serial of more than four digits never has a leading zero: the
        // five-digit form only appears after 9999.
        if rest.len() > 12 && rest.as_bytes()[8] == b'0' {
            return None;
        }
        Some(TicketId {
            prefix: prefix.to_string(),
            date,
            serial,
        })
    }

    /// The path of the ticket relative to the store root.
    pub fn relative_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(format!(
            "tickets/{}/{}.yaml",
            self.date.format("%Y/%m"),
            self
        ))
    }
}

impl std::fmt::Display for TicketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{:04}",
            self.prefix,
            self.date.format("%Y%m%d"),
            self.serial
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let id = TicketId::parse("cw202611230001").unwrap();
        assert_eq!(id.to_string(), "CW202611230001");
        assert_eq!(
            id.relative_path(),
            std::path::PathBuf::from("tickets/2026/11/CW202611230001.yaml")
        );
        let big = TicketId {
            serial: 10000,
            ..id
        };
        assert_eq!(TicketId::parse(&big.to_string()), Some(big));
        for bad in [
            "../../etc/passwd",
            "CW2026112300",
            "CW20261323000l",
            "CW20261130 0001",
            "202611230001",
            "CW2026113000001",
        ] {
            assert_eq!(TicketId::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_ids_never_panics(text in "\\PC{0,24}|[A-Za-z]{0,3}[0-9]{0,18}") {
            if let Some(id) = TicketId::parse(&text) {
                proptest::prop_assert_eq!(TicketId::parse(&id.to_string()), Some(id));
            }
        }

        #[test]
        fn ids_round_trip(prefix in "[A-Z]{1,4}", days in 0i64..3_000_000, serial in 0u32..=TicketId::MAX_SERIAL) {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                .checked_add_signed(chrono::Duration::days(days));
            proptest::prop_assume!(date.is_some_and(|d| d.format("%Y").to_string().len() == 4));
            let id = TicketId { prefix, date: date.unwrap(), serial };
            proptest::prop_assert_eq!(TicketId::parse(&id.to_string()), Some(id));
        }
    }
}
