//! The terminal output is shown on: its width and whether it takes colour,
//! decided once.

use std::io::IsTerminal;

use super::Format;

/// What the terminal allows (decoration only on a terminal without
/// NO_COLOR) and how record output is written.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub is_tty: bool,
    /// Decoration: colour and box borders around tables. Only on a
    /// terminal without NO_COLOR; otherwise tables are plain aligned columns.
    pub color: bool,
    /// The width tables are fitted to: the terminal's, else `COLUMNS`, else
    /// none (nothing is cut).
    pub width: Option<u16>,
    /// `--csv-raw`: CSV cells exactly as stored, formula characters and all.
    pub csv_raw: bool,
}

impl Terminal {
    pub fn detect() -> Terminal {
        let is_tty = std::io::stdout().is_terminal();
        // NO_COLOR (no-color.org), and a terminal that says it cannot.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|w| *w > 0);
        // The terminal that stdout is, asked directly (not /dev/tty, which
        // may be another terminal); `COLUMNS` when it does not answer, and
        // for a pipe only when set (`COLUMNS=100 desk list --format table |
        // less`): piped tables are otherwise never cut.
        let width = if is_tty {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(w, _)| w.0)
                .filter(|w| *w > 0)
                .or(columns)
        } else {
            columns
        };
        Terminal {
            is_tty,
            color: is_tty && !no_color,
            width,
            csv_raw: false,
        }
    }

    /// The width of the terminal stderr is shown on, for lines said there
    /// (which a redirected stdout does not change); none in a pipe.
    pub fn stderr_width() -> Option<u16> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        terminal_size::terminal_size_of(std::io::stderr())
            .map(|(w, _)| w.0)
            .filter(|w| *w > 0)
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
