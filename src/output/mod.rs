//! One writer for every output format: commands build rows once and print
//! them as a table (`table.rs`), CSV (`csv.rs`) or JSON (`json.rs`) through
//! any `Write`, so tests can capture it, or lay them out as the sheets of an
//! Excel workbook (`xlsx.rs`, bytes for the caller to write); the terminal
//! they are shown on is `terminal.rs`.

mod csv;
mod json;
pub mod message;
mod table;
mod terminal;
mod xlsx;

use std::io::Write;

pub use self::csv::{csv_cell, csv_cell_import, csv_cell_value, starts_like_formula};
pub use self::table::{fitted, pad};
pub use self::terminal::Terminal;
pub use self::xlsx::Workbook;
use crate::error::Result;
use crate::text::visible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ids,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Table, Format::Csv, Format::Json, Format::Ids];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ids => "ids",
        }
    }

    /// What the format is, as `--help` says it.
    pub fn about(self) -> &'static str {
        match self {
            Format::Table => "Aligned columns for people (CJK-aware)",
            Format::Csv => "RFC 4180 CSV with a header row",
            Format::Json => "JSON: one object per row, with the column names as keys",
            Format::Ids => "The IDs alone, one per line",
        }
    }
}

/// One cell: typed, so that numbers stay numbers in JSON while CSV and
/// tables show them with a fixed number of decimals.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    /// A value and how many decimals to show.
    Dec(f64, usize),
}

/// A table of records: a header and rows of cells. The first column is the
/// record's ID (used by `--format ids`).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Per row and cell, the colour a table gives it on a terminal.
    tones: Vec<Vec<Tone>>,
    /// Free-text columns a table may cut with an ellipsis to fit the width.
    cut: Vec<usize>,
    /// Columns a table leaves out, in this order, when cutting the free
    /// text is not enough to fit the width.
    spare: Vec<usize>,
}

/// How a table cell is coloured on a terminal that allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// Breached: red.
    Alert,
    /// At risk: yellow.
    Warn,
    /// Closed, met: dim.
    Dim,
}

impl Records {
    pub fn new(headers: &[&str]) -> Self {
        Records {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            ..Records::default()
        }
    }

    /// Where the column `name` is, if the records have it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn column(&self, name: &str) -> usize {
        self.position(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Free-text columns (titles, names) that a table cuts with an
    /// ellipsis to fit the terminal; every other cell is shown whole.
    pub fn cut(mut self, columns: &[&str]) -> Self {
        self.cut = columns.iter().map(|c| self.column(c)).collect();
        self
    }

    /// Columns a table leaves out, first to last, on a terminal too narrow
    /// for every column even with the free text cut.
    pub fn spare(mut self, columns: &[&str]) -> Self {
        self.spare = columns.iter().map(|c| self.column(c)).collect();
        self
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        let plain = vec![Tone::Plain; row.len()];
        self.push_toned(row, plain);
    }

    /// A row with a colour for each cell (tables on a terminal only).
    pub fn push_toned(&mut self, row: Vec<Cell>, tones: Vec<Tone>) {
        debug_assert_eq!(row.len(), self.headers.len());
        debug_assert_eq!(tones.len(), self.headers.len());
        self.rows.push(row);
        self.tones.push(tones);
    }

    /// [`Records::write`], with a byte-order mark before CSV when `bom`
    /// (for spreadsheets on Windows that take UTF-8 for the local code page).
    pub fn write_bom(
        &self,
        out: &mut dyn Write,
        format: Format,
        term: Terminal,
        bom: bool,
    ) -> Result<()> {
        match format {
            Format::Csv => self.write_csv(out, bom, term.csv_raw),
            _ => self.write(out, format, term),
        }
    }

    pub fn write(&self, out: &mut dyn Write, format: Format, term: Terminal) -> Result<()> {
        match format {
            Format::Table => self.write_table(out, term),
            Format::Csv => self.write_csv(out, false, term.csv_raw),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &self.to_json())
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
                Ok(())
            }
            Format::Ids => {
                for row in &self.rows {
                    writeln!(out, "{}", visible(&cell_text(&row[0])))?;
                }
                Ok(())
            }
        }
    }
}

/// A cell as text: null empty, decimals with their fixed places, a dot for
/// the decimal point and no thousands separators.
pub fn cell_text(v: &Cell) -> String {
    match v {
        Cell::Null => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Dec(x, places) => {
            let s = format!("{x:.places$}");
            // Never print "-0.00".
            if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
                s[1..].to_string()
            } else {
                s
            }
        }
    }
}

/// A decimal rounded to its places, as JSON and workbooks give it.
fn rounded(x: f64, places: usize) -> f64 {
    let factor = 10f64.powi(places as i32);
    (x * factor).round() / factor
}

pub fn text(s: impl AsRef<str>) -> Cell {
    Cell::Text(s.as_ref().to_string())
}

pub fn opt_text(s: Option<impl AsRef<str>>) -> Cell {
    s.map_or(Cell::Null, |s| Cell::Text(s.as_ref().to_string()))
}

pub fn int(n: usize) -> Cell {
    Cell::Int(n as i64)
}

/// A decimal shown with `places` decimals; `None` is an empty cell.
pub fn dec(x: Option<f64>, places: usize) -> Cell {
    x.filter(|x| x.is_finite())
        .map_or(Cell::Null, |x| Cell::Dec(x, places))
}
