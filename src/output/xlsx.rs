//! Records as an Excel workbook (.xlsx): one sheet per table, its header
//! row bold and frozen, its columns as wide as their content, and cells
//! that keep their types: integers and decimals are numbers (decimals with
//! a number format of their places), text is always text, so an 18-digit
//! ID-card number or `00123` stays as written, and a text that starts with
//! `=` is text, never a formula. No file is written here: the caller gets
//! the bytes and writes them (atomically) where it wants.

use std::collections::BTreeMap;

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, XlsxError};
use unicode_width::UnicodeWidthStr;

use super::{rounded, Cell, Records};
use crate::error::{Error, Result};

/// The rows and columns a sheet holds (Excel's limits).
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
/// Column widths, in Excel's units (about one Latin character): room for
/// short columns, and a long text (notes, addresses) cut to this in view.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;
/// The largest integer written as a number: Excel keeps 15 significant
/// digits, so a longer one is written as text, whole.
const MAX_EXACT: u64 = 999_999_999_999_999;

/// A workbook being built, sheet by sheet.
pub struct Workbook {
    book: rust_xlsxwriter::Workbook,
    bold: rust_xlsxwriter::Format,
    /// The number format of each count of decimal places (`0.00` for 2).
    decimals: BTreeMap<usize, rust_xlsxwriter::Format>,
}

impl Workbook {
    /// An empty workbook whose document properties give `created` as its
    /// creation time (midnight UTC), so the same tables give the same bytes.
    pub fn new(created: chrono::NaiveDate) -> Result<Workbook> {
        use chrono::Datelike;
        let mut book = rust_xlsxwriter::Workbook::new();
        let date = u16::try_from(created.year())
            .map_err(|_| XlsxError::DateTimeRangeError(created.to_string()))
            .and_then(|y| ExcelDateTime::from_ymd(y, created.month() as u8, created.day() as u8))
            .map_err(failed)?;
        book.set_properties(&DocProperties::new().set_creation_datetime(&date));
        Ok(Workbook {
            book,
            bold: rust_xlsxwriter::Format::new().set_bold(),
            decimals: BTreeMap::new(),
        })
    }

    /// A sheet of text lines, one a row in the first column, no header
    /// (the summary of a report).
    pub fn lines(&mut self, name: &str, text: &str) -> Result<()> {
        let sheet = self.book.add_worksheet();
        sheet.set_name(name).map_err(failed)?;
        let mut width = 0;
        for (row, line) in text.lines().enumerate() {
            let at = cell_at(name, row, 0)?;
            sheet
                .write_string(at.0, at.1, line)
                .map_err(|e| cell_failed(name, at, e))?;
            width = width.max(line.width());
        }
        sheet
            .set_column_width(0, column_width(width) as f64)
            .map_err(failed)?;
        Ok(())
    }

    /// A sheet of `records`: the header row (bold, frozen), then a row per
    /// record. Int and Dec cells are numbers, Text cells text, Null empty.
    pub fn records(&mut self, name: &str, records: &Records) -> Result<()> {
        if records.rows.len() >= MAX_ROWS || records.headers.len() > MAX_COLUMNS {
            return Err(Error::Refused(format!(
                "sheet {name}: {} rows of {} columns do not fit a workbook sheet \
                 ({} rows below the header, {MAX_COLUMNS} columns); use CSV or JSON",
                records.rows.len(),
                records.headers.len(),
                MAX_ROWS - 1,
            )));
        }
        for places in records.rows.iter().flatten().filter_map(|c| match c {
            Cell::Dec(_, places) => Some(*places),
            _ => None,
        }) {
            self.decimals.entry(places).or_insert_with(|| {
                let format = match places {
                    0 => "0".to_string(),
                    n => format!("0.{}", "0".repeat(n)),
                };
                rust_xlsxwriter::Format::new().set_num_format(format)
            });
        }
        let sheet = self.book.add_worksheet();
        sheet.set_name(name).map_err(failed)?;
        let mut widths: Vec<usize> = records.headers.iter().map(|h| h.width() + 1).collect();
        for (col, header) in records.headers.iter().enumerate() {
            let at = cell_at(name, 0, col)?;
            sheet
                .write_string_with_format(at.0, at.1, header, &self.bold)
                .map_err(|e| cell_failed(name, at, e))?;
        }
        for (i, row) in records.rows.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let at = cell_at(name, i + 1, col)?;
                let written = match cell {
                    Cell::Null => continue,
                    Cell::Text(s) => sheet.write_string(at.0, at.1, s),
                    Cell::Int(n) if n.unsigned_abs() <= MAX_EXACT => {
                        sheet.write_number(at.0, at.1, *n as f64)
                    }
                    Cell::Int(n) => sheet.write_string(at.0, at.1, n.to_string()),
                    Cell::Dec(x, places) if x.is_finite() => sheet.write_number_with_format(
                        at.0,
                        at.1,
                        // Never -0, which a number format shows as `-0.00`.
                        rounded(*x, *places) + 0.0,
                        &self.decimals[places],
                    ),
                    Cell::Dec(..) => continue,
                };
                written.map_err(|e| cell_failed(name, at, e))?;
                widths[col] = widths[col].max(shown_width(cell));
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
        for (col, width) in widths.into_iter().enumerate() {
            sheet
                .set_column_width(col as u16, column_width(width) as f64)
                .map_err(failed)?;
        }
        Ok(())
    }

    /// The workbook as the bytes of an .xlsx file.
    pub fn to_bytes(mut self) -> Result<Vec<u8>> {
        self.book.save_to_buffer().map_err(failed)
    }
}

/// The width a cell takes when shown: its longest line, CJK characters
/// counting double.
fn shown_width(cell: &Cell) -> usize {
    match cell {
        Cell::Text(s) => s.lines().map(|l| l.width()).max().unwrap_or(0),
        other => super::cell_text(other).len(),
    }
}

/// A column's width for content `width` characters wide: a little room
/// either side, within [`MIN_WIDTH`] and [`MAX_WIDTH`].
fn column_width(width: usize) -> usize {
    (width + 2).clamp(MIN_WIDTH, MAX_WIDTH)
}

/// A row and column as the writer numbers them, or the sheet's limits named.
fn cell_at(name: &str, row: usize, col: usize) -> Result<(u32, u16)> {
    match (u32::try_from(row), u16::try_from(col)) {
        (Ok(r), Ok(c)) if row < MAX_ROWS && col < MAX_COLUMNS => Ok((r, c)),
        _ => Err(Error::Refused(format!(
            "sheet {name}: row {} column {} is beyond what a workbook sheet holds",
            row + 1,
            col + 1
        ))),
    }
}

fn cell_failed(name: &str, at: (u32, u16), e: XlsxError) -> Error {
    let cell = row_col_to_cell(at.0, at.1);
    match e {
        XlsxError::MaxStringLengthExceeded => Error::Refused(format!(
            "sheet {name}, cell {cell}: the text is longer than a workbook cell holds \
             (32,767 characters); use CSV or JSON"
        )),
        e => Error::Refused(format!("sheet {name}, cell {cell}: {e}")),
    }
}

fn failed(e: XlsxError) -> Error {
    Error::Refused(format!("workbook: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{text, Cell};
    use calamine::{Data, Reader, Xlsx};

    fn date() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
    }

    fn sample() -> Records {
        let mut r = Records::new(&["id", "名称", "count", "avg_hours", "share_pct", "note"]);
        r.push(vec![
            text("110101199003077777"),
            text("上海华远物流股份有限公司"),
            Cell::Int(3),
            Cell::Dec(3.456, 2),
            Cell::Dec(27.777, 1),
            text("=1+1"),
        ]);
        r.push(vec![
            text("00123"),
            text("Emma"),
            Cell::Int(-2),
            Cell::Dec(-0.001, 2),
            Cell::Null,
            text("\u{1b}[31m _x0041_ line\nbreak"),
        ]);
        r
    }

    fn workbook(sheets: &[(&str, &Records)]) -> Vec<u8> {
        let mut book = Workbook::new(date()).unwrap();
        book.lines("summary", "desk report 2026-10\n客服报表 2026-10")
            .unwrap();
        for (name, records) in sheets {
            book.records(name, records).unwrap();
        }
        book.to_bytes().unwrap()
    }

    fn read(bytes: &[u8]) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap()
    }

    /// The text of a part of the workbook (a zip entry).
    fn part(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn cells_keep_their_types_when_read_back() {
        let r = sample();
        let bytes = workbook(&[("types", &r)]);
        let mut book = read(&bytes);
        assert_eq!(book.sheet_names(), ["summary", "types"]);
        let sheet = book.worksheet_range("types").unwrap();
        assert_eq!(sheet.get_size(), (3, 6));
        let header: Vec<Data> = r.headers.iter().map(|h| Data::String(h.clone())).collect();
        assert_eq!(sheet.rows().next().unwrap(), &header[..]);
        let row = |i: usize| sheet.rows().nth(i).unwrap().to_vec();
        assert_eq!(
            row(1),
            [
                Data::String("110101199003077777".into()),
                Data::String("上海华远物流股份有限公司".into()),
                Data::Float(3.0),
                Data::Float(3.46),
                Data::Float(27.8),
                Data::String("=1+1".into()),
            ]
        );
        assert_eq!(
            row(2),
            [
                Data::String("00123".into()),
                Data::String("Emma".into()),
                Data::Float(-2.0),
                Data::Float(0.0),
                Data::Empty,
                Data::String("\u{1b}[31m _x0041_ line\nbreak".into()),
            ]
        );
        // A text that looks like a formula is a string, not a formula.
        assert!(book
            .worksheet_formula("types")
            .unwrap()
            .used_cells()
            .all(|(_, _, f)| f.is_empty()));
        let summary = book.worksheet_range("summary").unwrap();
        assert_eq!(
            summary.get_value((1, 0)),
            Some(&Data::String("客服报表 2026-10".into()))
        );
    }

    #[test]
    fn the_header_is_frozen_and_bold_and_columns_fit_their_content() {
        let bytes = workbook(&[("types", &sample())]);
        let xml = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{xml}"
        );
        // id: 18 digits; 名称: 12 CJK characters, 24 columns; count: the
        // minimum; note: the longest line of its text.
        for col in [
            r#"<col min="1" max="1" width="20.7109375" customWidth="1"/>"#,
            r#"<col min="2" max="2" width="26.7109375" customWidth="1"/>"#,
            r#"<col min="3" max="3" width="8.7109375" customWidth="1"/>"#,
        ] {
            assert!(xml.contains(col), "{col} missing in {xml}");
        }
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="0.00""#), "{styles}");
        assert!(styles.contains(r#"formatCode="0.0""#), "{styles}");
        assert!(styles.contains("<b/>"), "{styles}");
        // The summary has no frozen row.
        assert!(!part(&bytes, "xl/worksheets/sheet1.xml").contains("<pane"));
    }

    #[test]
    fn the_same_tables_give_the_same_bytes() {
        let a = workbook(&[("types", &sample())]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = workbook(&[("types", &sample())]);
        assert!(a == b, "two workbooks of the same tables differ");
        let core = part(&a, "docProps/core.xml");
        assert!(core.contains("2026-10-01T00:00:00Z"), "{core}");
    }

    #[test]
    fn integers_beyond_what_excel_keeps_are_text_and_long_text_is_refused() {
        let mut r = Records::new(&["n"]);
        r.push(vec![Cell::Int(999_999_999_999_999)]);
        r.push(vec![Cell::Int(1_000_000_000_000_000)]);
        let bytes = workbook(&[("n", &r)]);
        let sheet = read(&bytes).worksheet_range("n").unwrap();
        assert_eq!(
            sheet.get_value((1, 0)),
            Some(&Data::Float(999_999_999_999_999.0))
        );
        assert_eq!(
            sheet.get_value((2, 0)),
            Some(&Data::String("1000000000000000".into()))
        );
        let mut long = Records::new(&["notes"]);
        long.push(vec![text("x".repeat(32_768))]);
        let mut book = Workbook::new(date()).unwrap();
        let e = book.records("customers", &long).unwrap_err().to_string();
        assert!(
            e.contains("sheet customers, cell A2: the text is longer than a workbook cell holds"),
            "{e}"
        );
    }
}
