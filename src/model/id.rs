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

/// The numbers an ID space has used (customer numbers, one day's ticket
/// serials), split into the sequence that new IDs continue and the
/// outliers far above it. Every allocation steps at most 100 above the
/// highest number (a node's next number, docs/git.md), so numbers that
/// climb in steps of at most `gap` are the sequence; a number more than
/// `gap` above the one below it (a hand-made `C18446744073709551615`, a
/// serial of 99999999) is an outlier, and so is every number above it.
/// New IDs continue after [`Sequence::top`], never reach an outlier in
/// `gap / 100` allocations, and an outlier that the sequence comes within
/// `gap` of joins it — so no number is ever taken twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// The highest number of the sequence (0 when there is none).
    pub top: u64,
    /// The numbers far above it, ascending.
    pub outliers: Vec<u64>,
    /// The largest step that stays in the sequence.
    pub gap: u64,
}

impl Sequence {
    /// How far above the customer numbers a number is an outlier: an
    /// import may give IDs with gaps (a subset of another store's
    /// customers), but not one that uses up the numbers after it.
    pub const CUSTOMER_GAP: u64 = 1_000_000;
    /// How far above a day's serials a serial is an outlier: serials are
    /// only allocated, never given, so any jump past a node step is a hand
    /// edit; this leaves room for tickets removed by hand.
    pub const SERIAL_GAP: u64 = 10_000;

    pub fn of(numbers: impl IntoIterator<Item = u64>, gap: u64) -> Sequence {
        Sequence::chained(0, numbers, gap)
    }

    /// The sequence that continues from `top` through `numbers`.
    fn chained(mut top: u64, numbers: impl IntoIterator<Item = u64>, gap: u64) -> Sequence {
        let mut sorted: Vec<u64> = numbers.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut far = sorted.len();
        for (i, &n) in sorted.iter().enumerate() {
            if n > top.saturating_add(gap) {
                far = i;
                break;
            }
            top = n;
        }
        Sequence {
            top,
            outliers: sorted.split_off(far),
            gap,
        }
    }

    /// The sequence of these numbers and `more`: the same as
    /// [`Sequence::of`] over both, from what this one kept (every number up
    /// to its top stays in the sequence whatever joins it, so only the
    /// outliers and the new numbers above the top are looked at again).
    pub fn extended(self, more: impl IntoIterator<Item = u64>) -> Sequence {
        let top = self.top;
        let above = more.into_iter().filter(|&n| n > top);
        Sequence::chained(top, self.outliers.into_iter().chain(above), self.gap)
    }

    /// Of numbers given for new IDs (an import's), those far above the
    /// sequence: each is judged with the given numbers below it, so a
    /// batch may climb in steps of `gap`. The others join the sequence.
    pub fn take_given(&mut self, given: impl IntoIterator<Item = u64>) -> Vec<u64> {
        let mut given: Vec<u64> = given.into_iter().collect();
        given.sort_unstable();
        let mut far = Vec::new();
        for n in given {
            if n > self.top.saturating_add(self.gap) {
                far.push(n);
            } else {
                self.top = self.top.max(n);
            }
        }
        far
    }
}

/// The next number above `max` that belongs to `node` (its last two digits
/// are the node number, 1..=99), or simply `max + 1` without a node. `None`
/// when no such number fits in a `u64` (a hand-made ID near the top).
pub fn next_number(max: u64, node: Option<u32>) -> Option<u64> {
    let next = max.checked_add(1)?;
    match node {
        None => Some(next),
        Some(n) => {
            let n = u64::from(n % 100);
            next.checked_add((n + 100 - next % 100) % 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_are_numbers_far_above_the_sequence() {
        let seq = Sequence::of([3, 1, 2, u64::MAX, 107, 2_000_000_000], 1_000_000);
        assert_eq!(seq.top, 107);
        assert_eq!(seq.outliers, [2_000_000_000, u64::MAX]);
        // Gaps within the limit are the sequence; one beyond it is not,
        // nor is anything above it, however close.
        let seq = Sequence::of([1, 10_001, 30_000, 30_001], 10_000);
        assert_eq!((seq.top, seq.outliers), (10_001, vec![30_000, 30_001]));
        let none = Sequence::of([], 10);
        assert_eq!((none.top, none.outliers.len()), (0, 0));
        let mut seq = Sequence::of([5], 1_000_000);
        assert_eq!(seq.take_given([900_000, 1_900_000, 3_000_000]), [3_000_000]);
        assert_eq!(seq.top, 1_900_000);
        assert_eq!(
            Sequence::of([], 1_000_000).take_given([u64::MAX]),
            [u64::MAX]
        );
    }

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
        /// The top is a number given (or 0); nothing up to it is an
        /// outlier, every outlier is beyond it by more than the gap; and
        /// the next numbers after the top, node or not, are none of them.
        /// A sequence extended by more numbers is the sequence of all of
        /// them: what a write keeps of the customer numbers in its log.
        #[test]
        fn an_extended_sequence_is_the_sequence_of_all(
            first in proptest::collection::vec(
                proptest::prop_oneof![0u64..5_000, proptest::prelude::any::<u64>()],
                0..40,
            ),
            more in proptest::collection::vec(
                proptest::prop_oneof![0u64..5_000, proptest::prelude::any::<u64>()],
                0..40,
            ),
        ) {
            let gap = 1_000;
            let extended = Sequence::of(first.iter().copied(), gap).extended(more.iter().copied());
            let all = Sequence::of(first.iter().chain(&more).copied(), gap);
            proptest::prop_assert_eq!(extended, all);
        }

        #[test]
        fn the_sequence_continues_below_every_outlier(
            numbers in proptest::collection::vec(
                proptest::prop_oneof![0u64..5_000, proptest::prelude::any::<u64>()],
                0..40,
            ),
            node in proptest::option::of(1u32..=99),
        ) {
            let gap = 1_000;
            let seq = Sequence::of(numbers.iter().copied(), gap);
            proptest::prop_assert!(seq.top == 0 || numbers.contains(&seq.top));
            for n in &numbers {
                proptest::prop_assert_eq!(
                    seq.outliers.contains(n),
                    *n > seq.top,
                    "{} against top {}", n, seq.top
                );
            }
            proptest::prop_assert!(seq.outliers.iter().all(|o| *o > seq.top.saturating_add(gap)));
            let mut at = seq.top;
            for _ in 0..5 {
                match next_number(at, node) {
                    Some(next) => {
                        proptest::prop_assert!(!numbers.contains(&next));
                        at = next;
                    }
                    None => break,
                }
            }
        }

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

    #[test]
    fn node_numbers_take_the_last_two_digits() {
        assert_eq!(next_number(0, None), Some(1));
        assert_eq!(next_number(0, Some(7)), Some(7));
        assert_eq!(next_number(7, Some(7)), Some(107));
        assert_eq!(next_number(112, Some(7)), Some(207));
        assert_eq!(next_number(106, Some(7)), Some(107));
        assert_eq!(next_number(0, Some(99)), Some(99));
        assert_eq!(next_number(99, Some(1)), Some(101));
        assert_eq!(next_number(u64::MAX, None), None);
        assert_eq!(next_number(u64::MAX - 1, Some(99)), None);
    }

    proptest::proptest! {
        #[test]
        fn the_next_number_is_above_and_ends_in_the_node(max in proptest::prelude::any::<u64>(), node in proptest::option::of(1u32..=99)) {
            match next_number(max, node) {
                Some(next) => {
                    proptest::prop_assert!(next > max && next - max <= 100);
                    if let Some(n) = node {
                        proptest::prop_assert_eq!(next % 100, u64::from(n));
                    }
                }
                None => proptest::prop_assert!(max > u64::MAX - 100),
            }
        }
    }
}
