//! One writer for every output format: commands build rows once and print
//! them as a table, CSV or JSON through any `Write`, so tests can capture it.

use std::io::{IsTerminal, Write};

use comfy_table::{presets, ContentArrangement, Table};
use serde_json::{Map, Value as Json};

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people (CJK-aware).
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// The IDs alone, one per line.
    Ids,
}

/// What the terminal allows: decoration only on a terminal without NO_COLOR.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub is_tty: bool,
    pub color: bool,
    pub width: Option<u16>,
}

impl Terminal {
    pub fn detect() -> Terminal {
        let is_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
        Terminal {
            is_tty,
            color: is_tty && !no_color,
            width,
        }
    }

    /// The format a command uses when none is asked for: a table for people,
    /// CSV for pipes.
    pub fn format_or_default(self, asked: Option<Format>) -> Format {
        asked.unwrap_or(if self.is_tty {
            Format::Table
        } else {
            Format::Csv
        })
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

impl Cell {
    pub fn json(&self) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Text(s) => Json::String(s.clone()),
            Cell::Int(n) => Json::from(*n),
            Cell::Dec(x, places) => {
                let factor = 10f64.powi(*places as i32);
                serde_json::Number::from_f64((x * factor).round() / factor)
                    .map_or(Json::Null, Json::Number)
            }
        }
    }
}

/// A table of records: a header and rows of cells. The first column is the
/// record's ID (used by `--format ids`).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Records {
    pub fn new(headers: &[&str]) -> Self {
        Records {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    pub fn write(&self, out: &mut dyn Write, format: Format, term: Terminal) -> Result<()> {
        match format {
            Format::Table => self.write_table(out, term),
            Format::Csv => self.write_csv(out, false),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &self.to_json())
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
                Ok(())
            }
            Format::Ids => {
                for row in &self.rows {
                    writeln!(out, "{}", cell_text(&row[0]))?;
                }
                Ok(())
            }
        }
    }

    pub fn object(&self, row: &[Cell]) -> Json {
        let mut map = Map::new();
        for (h, v) in self.headers.iter().zip(row) {
            map.insert(h.clone(), v.json());
        }
        Json::Object(map)
    }

    /// All rows as a JSON array of objects.
    pub fn to_json(&self) -> Json {
        Json::Array(self.rows.iter().map(|r| self.object(r)).collect())
    }

    pub fn write_csv(&self, out: &mut dyn Write, bom: bool) -> Result<()> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&self.headers).map_err(csv_io)?;
        for row in &self.rows {
            w.write_record(row.iter().map(cell_text)).map_err(csv_io)?;
        }
        w.flush()?;
        Ok(())
    }

    fn write_table(&self, out: &mut dyn Write, term: Terminal) -> Result<()> {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_BORDERS_ONLY);
        if !term.is_tty {
            table.force_no_tty();
        }
        match (term.is_tty, term.width) {
            (_, Some(w)) => {
                table
                    .set_width(w)
                    .set_content_arrangement(ContentArrangement::Dynamic);
            }
            (true, None) => {
                table.set_content_arrangement(ContentArrangement::Dynamic);
            }
            (false, None) => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        table.set_header(&self.headers);
        for row in &self.rows {
            table.add_row(row.iter().map(cell_text));
        }
        writeln!(out, "{table}")?;
        Ok(())
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
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
