//! Rows as RFC 4180 CSV, and the formula guard of its text cells, undone
//! when CSV is read back.

use std::borrow::Cow;
use std::io::Write;

use super::{cell_text, Cell, Records};
use crate::error::Result;

impl Records {
    /// RFC 4180 CSV. Text cells that a spreadsheet would run as a formula
    /// are neutralised (see [`csv_cell`]) unless `raw`.
    pub fn write_csv(&self, out: &mut dyn Write, bom: bool, raw: bool) -> Result<()> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = ::csv::Writer::from_writer(out);
        w.write_record(&self.headers).map_err(csv_io)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) if !raw => csv_cell(s).into_owned(),
                other => cell_text(other),
            }))
            .map_err(csv_io)?;
        }
        w.flush()?;
        Ok(())
    }
}

fn csv_io(e: ::csv::Error) -> std::io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// The characters that make a spreadsheet read a cell as a formula
/// (OWASP, "CSV Injection").
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet would take a cell with this text for a formula.
pub fn starts_like_formula(s: &str) -> bool {
    s.starts_with(FORMULA_START)
}

/// A text cell as written to CSV: one apostrophe before a cell that starts
/// with `=`, `+`, `-`, `@`, tab or carriage return, so that spreadsheet
/// programs show it as text instead of running it. A cell made of
/// apostrophes followed by such a character gets one more, so that
/// [`csv_cell_value`] gives back exactly the value.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if starts_like_formula(s.trim_start_matches('\'')) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The value a CSV cell written by [`csv_cell`] stands for: the inverse,
/// used when CSV is read back (`desk customer import`).
pub fn csv_cell_value(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest.trim_start_matches('\'')) => rest,
        _ => cell,
    }
}

/// A cell's value as `desk customer import` takes it: the export's formula guard undone (`'=1` is `=1`, see
/// `output::csv_cell`), surrounding space trimmed. A cell whose leading tab
/// or carriage return hides a formula is refused rather than trimmed into one.
pub fn csv_cell_import(cell: &str) -> crate::error::Result<&str> {
    let given = csv_cell_value(cell);
    let value = given.trim();
    let leading = &given[..given.len() - given.trim_start().len()];
    if leading.contains(['\t', '\r']) && starts_like_formula(value) {
        return Err(crate::error::Error::invalid(
            "cell",
            cell,
            "a tab or carriage return before =, +, - or @ hides a spreadsheet formula; \
             remove the leading characters",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text;
    use proptest::prelude::*;

    #[test]
    fn cells_are_trimmed_and_unguarded_but_never_trimmed_into_a_formula() {
        assert_eq!(csv_cell_import(" Alice ").unwrap(), "Alice");
        assert_eq!(csv_cell_import("\tAlice").unwrap(), "Alice");
        assert_eq!(csv_cell_import("'=1").unwrap(), "=1");
        assert_eq!(csv_cell_import("''=1").unwrap(), "'=1");
        assert_eq!(csv_cell_import("'+442079460958").unwrap(), "+442079460958");
        assert_eq!(csv_cell_import("O'Brien").unwrap(), "O'Brien");
        assert_eq!(csv_cell_import("'quoted'").unwrap(), "'quoted'");
        for hidden in ["\t=1", "\r+1", " \t-1", "'\t@x", "\r\n=1"] {
            assert!(csv_cell_import(hidden).is_err(), "{hidden:?}");
        }
    }

    proptest! {
        /// What export writes for a stored (trimmed) value imports as that value.
        #[test]
        fn an_exported_cell_imports_as_its_value(v in "['=+@\\-a ]{0,6}") {
            let v = v.trim();
            let cell = csv_cell(v);
            prop_assert_eq!(csv_cell_import(&cell).unwrap(), v);
        }

    }

    #[test]
    fn csv_neutralises_text_cells_but_not_numbers() {
        for (value, cell) in [
            ("=1+1", "'=1+1"),
            ("+86 139", "'+86 139"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("'hello", "'hello"),
            ("a=1", "a=1"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(value), cell, "{value:?}");
            assert_eq!(csv_cell_value(cell), value, "{cell:?}");
        }
        let mut r = Records::new(&["t", "n", "d"]);
        r.push(vec![text("-x"), Cell::Int(-3), Cell::Dec(-1.5, 2)]);
        let mut out = Vec::new();
        r.write_csv(&mut out, false, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "t,n,d\n'-x,-3,-1.50\n");
        let mut out = Vec::new();
        r.write_csv(&mut out, false, true).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "t,n,d\n-x,-3,-1.50\n");
    }

    proptest! {
        #[test]
        fn reading_a_neutralised_cell_gives_back_the_value(s in "['=+@\\-\t\r a-z]{0,6}") {
            let cell = csv_cell(&s);
            prop_assert_eq!(csv_cell_value(&cell), s.as_str());
            prop_assert!(!starts_like_formula(&cell));
        }
    }
}
