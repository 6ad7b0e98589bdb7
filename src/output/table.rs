//! Rows as aligned columns for people: cut to the terminal's width, boxed
//! and coloured where the terminal allows it (CJK-aware).

use std::borrow::Cow;
use std::io::Write;

use comfy_table::{
    presets, Attribute, Color, ColumnConstraint, ContentArrangement, TableComponent, Width,
};
use unicode_width::UnicodeWidthStr;

use super::{cell_text, Cell, Records, Terminal, Tone};
use crate::error::Result;
use crate::text::{ellipsis, visible};

/// The narrowest a cut free-text column gets (display columns) while
/// other columns can still be left out: enough of a title to recognise it.
const CUT_MIN: usize = 20;

/// The narrowest a cut free-text column gets once no column is left to
/// leave out; narrower than that, the table is drawn as a vertical view.
const CUT_LAST: usize = 10;

impl Records {
    /// Aligned columns, every cell escaped by [`visible`]. Nothing wraps:
    /// on a known width the free-text columns are cut with an ellipsis and,
    /// if that is not enough, the spare columns are left out; a table that
    /// still does not fit is drawn as a vertical view, one block per row
    /// ([`Records::write_vertical`]). Box borders and colour only when
    /// `term.color`. desk decides what is shown and how wide ([`fit`],
    /// [`ellipsis`]); comfy-table draws it.
    pub(super) fn write_table(&self, out: &mut dyn Write, term: Terminal) -> Result<()> {
        let shown = |c: &Cell| -> String {
            let t = cell_text(c);
            match visible(&t) {
                Cow::Borrowed(_) => t,
                Cow::Owned(s) => s,
            }
        };
        let mut header: Vec<String> = self
            .headers
            .iter()
            .map(|h| visible(h).into_owned())
            .collect();
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(shown).collect())
            .collect();
        let natural: Vec<usize> = (0..header.len())
            .map(|i| {
                body.iter()
                    .map(|r| r[i].width())
                    .chain([header[i].width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // The box: a border and a blank on either side. Columns are two
        // blanks apart with or without it (see the padding below).
        let frame = if term.color { 4 } else { 0 };
        let (columns, widths) = match fit(
            &natural,
            &self.cut,
            &self.spare,
            term.width.map(|w| (w as usize).saturating_sub(frame)),
        ) {
            Layout::Columns(columns, widths) => (columns, widths),
            Layout::Vertical => {
                // A vertical view only where the width is known.
                let width = term.width.map_or(usize::MAX, usize::from);
                return self.write_vertical(out, &header, body, width, term.color);
            }
        };
        // comfy-table measures a column in u16 and would split a wider
        // cell over lines: such a cell is cut instead, even on a pipe.
        let widths: Vec<usize> = widths.into_iter().map(|w| w.min(CELL_MAX)).collect();

        // Cells are moved into the table, not copied.
        let cell = |text: String, w: usize, tone: Tone, bold: bool| {
            let text = match ellipsis(&text, w) {
                Cow::Borrowed(_) => text,
                Cow::Owned(cut) => cut,
            };
            let styled = term.color && !text.is_empty();
            let mut cell = comfy_table::Cell::new_owned(text);
            if styled {
                if bold {
                    cell = cell.add_attribute(Attribute::Bold);
                }
                cell = match tone {
                    Tone::Plain => cell,
                    Tone::Alert => cell.fg(Color::DarkRed),
                    Tone::Warn => cell.fg(Color::DarkYellow),
                    Tone::Dim => cell.add_attribute(Attribute::Dim),
                };
            }
            cell
        };
        // Drawn in slices of rows, the header and the box's top on the
        // first, its bottom on the last: comfy-table holds a table three
        // times over (cells, laid-out cells, lines), and a list of every
        // ticket would triple its memory. The widths are fixed, so the
        // slices line up.
        let slices = body.len().div_ceil(SLICE).max(1);
        let mut rows = body.into_iter().enumerate();
        for k in 0..slices {
            let mut table = comfy_table::Table::new();
            table
                .load_preset(if term.color { BOX } else { presets::NOTHING })
                .set_content_arrangement(ContentArrangement::Disabled)
                // Styled only when desk says so, whatever stdout is.
                .force_no_tty();
            if term.color {
                use TableComponent::*;
                // comfy-table draws a column line wherever the top border
                // has its crossings; a blank one keeps today's look.
                table.set_style(VerticalLines, ' ');
                table.enforce_styling();
                // Colour on the text, not on the blanks that pad it.
                table.style_text_only();
                let top = [
                    TopLeftCorner,
                    TopBorder,
                    TopBorderIntersections,
                    TopRightCorner,
                ];
                let bottom = [
                    BottomLeftCorner,
                    BottomBorder,
                    BottomBorderIntersections,
                    BottomRightCorner,
                ];
                for part in top.into_iter().filter(|_| k > 0) {
                    table.remove_style(part);
                }
                for part in bottom.into_iter().filter(|_| k + 1 < slices) {
                    table.remove_style(part);
                }
            }
            if k == 0 {
                table.set_header(
                    columns
                        .iter()
                        .zip(&widths)
                        .map(|(&i, &w)| cell(std::mem::take(&mut header[i]), w, Tone::Plain, true)),
                );
            }
            for (n, mut row) in rows.by_ref().take(SLICE) {
                let tones = self.tones.get(n);
                table.add_row(columns.iter().zip(&widths).map(|(&i, &w)| {
                    let tone = tones.and_then(|t| t.get(i)).copied().unwrap_or_default();
                    cell(std::mem::take(&mut row[i]), w, tone, false)
                }));
            }
            let last = columns.len().saturating_sub(1);
            for (n, (column, &w)) in table.column_iter_mut().zip(&widths).enumerate() {
                // Two blanks between columns, one inside the box's borders:
                // a plain table pads one blank either side of a gap; the box
                // has a blank for a column line (see [`BOX`]) and pads the
                // other before each column, and after the last.
                let (left, right) = if term.color {
                    (1, u16::from(n == last))
                } else {
                    (u16::from(n > 0), u16::from(n < last))
                };
                column.set_padding((left, right));
                // The width fit chose (comfy-table's counts the padding),
                // even where a cut CJK cell came out a column short of it.
                if w > 0 {
                    column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                        w as u16 + left + right,
                    )));
                }
            }
            for line in table.lines() {
                // No trailing blanks on plain lines (an empty last cell).
                let line = if term.color { &line } else { line.trim_end() };
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    }

    /// The vertical view, for a terminal too narrow for the columns: one
    /// block per row, its first cell as the block's heading, then one
    /// `column  value` line for each other column, a blank line between
    /// blocks. Every line fits `width`: a value (and, on a terminal
    /// narrower still, a column's name) is cut with an ellipsis. Every
    /// column is shown, spare ones too. Colour, without a box, when `color`.
    fn write_vertical(
        &self,
        out: &mut dyn Write,
        header: &[String],
        body: Vec<Vec<String>>,
        width: usize,
        color: bool,
    ) -> Result<()> {
        // Two blanks before a name, two between it and its value.
        const INDENT: &str = "  ";
        const GAP: &str = "  ";
        let labels = header.get(1..).unwrap_or_default();
        let label_natural = labels.iter().map(|h| h.width()).max().unwrap_or(0);
        let value_natural = body
            .iter()
            .flat_map(|r| r.iter().skip(1))
            .map(|v| v.width())
            .max()
            .unwrap_or(0);
        let room = width.saturating_sub(INDENT.len() + GAP.len());
        // The names whole while the values keep half the room.
        let label_width = label_natural.min((room / 2).max(room.saturating_sub(value_natural)));
        let value_width = room.saturating_sub(label_width);
        for (n, row) in body.into_iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            let tones = self.tones.get(n);
            let tone = |i: usize| tones.and_then(|t| t.get(i)).copied().unwrap_or_default();
            let mut cells = row.into_iter();
            let heading = cells.next().unwrap_or_default();
            let heading = ellipsis(&heading, width);
            writeln!(out, "{}", styled(&heading, color, tone(0), true))?;
            for (i, (label, value)) in labels.iter().zip(cells).enumerate() {
                let label = pad(&ellipsis(label, label_width), label_width);
                let value = ellipsis(&value, value_width);
                let line = format!(
                    "{INDENT}{label}{GAP}{}",
                    styled(&value, color, tone(i + 1), false)
                );
                writeln!(out, "{}", line.trim_end())?;
            }
        }
        Ok(())
    }
}

/// `text` with its tone and weight as colour sequences (the ones
/// comfy-table writes in the columns view), when `color` and not empty.
fn styled(text: &str, color: bool, tone: Tone, bold: bool) -> Cow<'_, str> {
    if !color || text.is_empty() {
        return Cow::Borrowed(text);
    }
    let text = match tone {
        Tone::Plain => text.to_string(),
        Tone::Alert => format!("\x1b[38;5;1m{text}\x1b[39m"),
        Tone::Warn => format!("\x1b[38;5;3m{text}\x1b[39m"),
        Tone::Dim => format!("\x1b[2m{text}\x1b[0m"),
    };
    Cow::Owned(if bold {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text
    })
}

/// How many rows of a table comfy-table lays out at a time.
const SLICE: usize = 1024;

/// The widest a table cell gets: what comfy-table can measure, less the
/// blanks around it.
const CELL_MAX: usize = u16::MAX as usize - 2;

/// A table's box on a terminal: a border around it and a rule under the
/// header, no lines between columns or rows: comfy-table's
/// `UTF8_BORDERS_ONLY` with a single rule under the header. Its column
/// line is a blank, one of the two between columns.
const BOX: &str = "││──├──┤     ──┌┐└┘";

/// How a table is drawn on the width it has.
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    /// These columns, at these widths.
    Columns(Vec<usize>, Vec<usize>),
    /// One block per row ([`Records::write_vertical`]).
    Vertical,
}

/// How a table is drawn, given each column's natural width: all of its
/// columns at their natural widths when they fit in `room` (or no room is
/// known); else the `cut` columns narrowed (the widest first, down to
/// [`CUT_MIN`]) and then, while that is not enough, the `spare` columns
/// left out in order; with no spare column left, the `cut` columns narrowed
/// further, down to [`CUT_LAST`]; and when even that does not fit, the
/// vertical view. Gaps between columns are two wide.
fn fit(natural: &[usize], cut: &[usize], spare: &[usize], room: Option<usize>) -> Layout {
    let mut columns: Vec<usize> = (0..natural.len()).collect();
    let Some(room) = room else {
        return Layout::Columns(columns, natural.to_vec());
    };
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    // Narrows the widest cut column, one at a time, down to `min`.
    let narrow = |columns: &[usize], widths: &mut Vec<usize>, min: usize| {
        while total(widths) > room {
            let Some(k) = (0..columns.len())
                .filter(|&k| cut.contains(&columns[k]) && widths[k] > min)
                .max_by_key(|&k| (widths[k], std::cmp::Reverse(k)))
            else {
                break;
            };
            widths[k] -= 1;
        }
    };
    let mut spare = spare.iter();
    loop {
        let mut widths: Vec<usize> = columns.iter().map(|&i| natural[i]).collect();
        narrow(&columns, &mut widths, CUT_MIN);
        if total(&widths) <= room {
            return Layout::Columns(columns, widths);
        }
        match spare.next() {
            Some(s) => columns.retain(|c| c != s),
            None => {
                narrow(&columns, &mut widths, CUT_LAST);
                return if total(&widths) <= room {
                    Layout::Columns(columns, widths)
                } else {
                    Layout::Vertical
                };
            }
        }
    }
}

/// `s` followed by blanks up to `width` display columns (CJK counts two),
/// for the aligned lines of text views (`format!`'s `{:<N}` counts chars).
pub fn pad(s: &str, width: usize) -> String {
    let blanks = width.saturating_sub(s.width());
    format!("{s}{}", " ".repeat(blanks))
}

/// `lead` and then `tail`, cut with an ellipsis so that the line fits
/// `width` display columns when a width is known (a pipe's lines are never
/// cut): the lists of the text views, whose last column is free text.
pub fn fitted(lead: &str, tail: &str, width: Option<u16>) -> String {
    let tail = match width {
        Some(w) => ellipsis(tail, usize::from(w).saturating_sub(lead.width()).max(1)),
        None => Cow::Borrowed(tail),
    };
    format!("{lead}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{text, Format};
    use proptest::prelude::*;

    #[test]
    fn tables_escape_cells_and_keep_cjk() {
        let mut r = Records::new(&["id", "title"]);
        r.push(vec![text("1"), text("无法登录\u{1b}]0;x\u{7}")]);
        let mut out = Vec::new();
        let term = Terminal {
            is_tty: false,
            color: false,
            width: None,
            csv_raw: false,
        };
        r.write(&mut out, Format::Table, term).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("无法登录\\e]0;x\\u{7}"), "{out}");
        assert!(!out.contains('\u{1b}'));
    }

    /// A table of three columns: a CJK title to cut, an empty last cell
    /// on one row, tones on the other.
    fn sample() -> Records {
        let mut r = Records::new(&["id", "title", "state"]).cut(&["title"]);
        r.push_toned(
            vec![text("T1"), text("客户反映设备无法开机"), text("breached")],
            vec![Tone::Plain, Tone::Plain, Tone::Alert],
        );
        r.push_toned(
            vec![text("T22"), text("ok"), Cell::Null],
            vec![Tone::Dim, Tone::Dim, Tone::Dim],
        );
        r
    }

    fn table(r: &Records, color: bool, width: Option<u16>) -> String {
        let term = Terminal {
            is_tty: true,
            color,
            width,
            csv_raw: false,
        };
        let mut out = Vec::new();
        r.write(&mut out, Format::Table, term).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_tables_are_two_space_columns_without_trailing_blanks() {
        assert_eq!(
            table(&sample(), false, None),
            "id   title                 state\n\
             T1   客户反映设备无法开机  breached\n\
             T22  ok\n"
        );
        // 25 columns: the title gets 10, and its cut CJK cell comes out a
        // column short of that; the column keeps its 10.
        assert_eq!(
            table(&sample(), false, Some(25)),
            "id   title       state\n\
             T1   客户反映…   breached\n\
             T22  ok\n"
        );
    }

    #[test]
    fn colour_tables_have_a_box_a_bold_header_and_tones() {
        let bold = |s: &str| format!("\x1b[1m{s}\x1b[0m");
        let out = table(&sample(), true, Some(29));
        assert_eq!(
            out,
            [
                "┌───────────────────────────┐".to_string(),
                format!(
                    "│ {}   {}       {}    │",
                    bold("id"),
                    bold("title"),
                    bold("state")
                ),
                "├───────────────────────────┤".to_string(),
                "│ T1   客户反映…   \x1b[38;5;1mbreached\x1b[39m │".to_string(),
                format!("│ \x1b[2mT22\x1b[0m  \x1b[2mok\x1b[0m{}│", " ".repeat(19)),
                "└───────────────────────────┘\n".to_string(),
            ]
            .join("\n")
        );
        for line in out.lines() {
            assert_eq!(strip_sgr(line).width(), 29, "{line:?}");
        }
        // No rows: the box and the header alone.
        let empty = Records::new(&["id", "title"]);
        assert_eq!(
            strip_sgr(&table(&empty, true, Some(80))),
            "┌───────────┐\n│ id  title │\n├───────────┤\n└───────────┘\n"
        );
    }

    #[test]
    fn a_cell_wider_than_comfy_table_measures_is_cut_not_wrapped() {
        let mut r = Records::new(&["id", "title"]);
        let long = "x".repeat(70_000);
        r.push(vec![text("T1"), text(&long)]);
        for color in [false, true] {
            let out = table(&r, color, None);
            let rows = if color { 5 } else { 2 };
            assert_eq!(out.lines().count(), rows, "colour {color}");
            let line = out.lines().find(|l| l.contains("T1")).unwrap();
            assert!(line.contains('…'), "colour {color}");
            assert!(strip_sgr(line).width() <= usize::from(u16::MAX) + 8);
        }
    }

    #[test]
    fn a_long_table_drawn_in_slices_is_one_table() {
        let mut r = Records::new(&["id", "title"]);
        let rows = 2 * SLICE + 3;
        for n in 0..rows {
            r.push(vec![text(format!("T{n}")), text("x".repeat(n % 7))]);
        }
        let plain = table(&r, false, None);
        let mut want = vec!["id     title".to_string()];
        want.extend((0..rows).map(|n| format!("{:<5}  {}", format!("T{n}"), "x".repeat(n % 7))));
        let want: Vec<&str> = want.iter().map(|l| l.trim_end()).collect();
        assert_eq!(plain.lines().collect::<Vec<_>>(), want);

        let boxed = strip_sgr(&table(&r, true, None));
        let lines: Vec<&str> = boxed.lines().collect();
        assert_eq!(lines.len(), rows + 4);
        assert_eq!(lines[0], "┌───────────────┐");
        assert_eq!(lines[1], "│ id     title  │");
        assert_eq!(lines[2], "├───────────────┤");
        assert_eq!(lines[rows + 3], "└───────────────┘");
        for (n, line) in lines[3..rows + 3].iter().enumerate() {
            let id = format!("T{n}");
            assert_eq!(*line, format!("│ {id:<5}  {:<6} │", "x".repeat(n % 7)));
        }
    }

    /// The text without its colour sequences (`ESC [ … m`).
    fn strip_sgr(s: &str) -> String {
        let mut plain = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('\u{1b}') {
            plain.push_str(&rest[..i]);
            let end = rest[i..].find('m').expect("an SGR sequence ends in m");
            rest = &rest[i + end + 1..];
        }
        plain.push_str(rest);
        plain
    }

    #[test]
    fn padding_counts_cjk_as_two_columns() {
        assert_eq!(pad("刘芳", 6), "刘芳  ");
        assert_eq!(pad("Li", 6), "Li    ");
        assert_eq!(pad("custom.微信号", 6), "custom.微信号");
    }

    #[test]
    fn cutting_counts_cjk_as_two_columns() {
        assert_eq!(ellipsis("客户反映", 8), "客户反映");
        assert_eq!(ellipsis("客户反映", 7), "客户反…");
        assert_eq!(ellipsis("客户反映", 6), "客户…");
        assert_eq!(ellipsis("Invoice", 4), "Inv…");
        assert_eq!(ellipsis("客户", 1), "…");
        // An emoji with its presentation selector is two columns, not one.
        let hearts = "❤\u{fe0f}❤\u{fe0f}❤\u{fe0f}";
        assert_eq!(ellipsis(hearts, 4), "❤\u{fe0f}❤…");
        assert_eq!(ellipsis(hearts, 3), "❤\u{fe0f}…");
        for w in 1..12 {
            assert!(ellipsis("客户反映设备a", w).width() <= w, "{w}");
        }
    }

    #[test]
    fn fitting_cuts_free_text_then_leaves_out_spare_columns() {
        use Layout::*;
        // Room for everything: natural widths.
        assert_eq!(
            fit(&[14, 11, 40], &[2], &[], Some(80)),
            Columns(vec![0, 1, 2], vec![14, 11, 40])
        );
        assert_eq!(
            fit(&[14, 11, 40], &[2], &[], None),
            Columns(vec![0, 1, 2], vec![14, 11, 40])
        );
        // The title gives way: 14 + 11 + 23 and two gaps of two.
        assert_eq!(
            fit(&[14, 11, 40], &[2], &[], Some(52)),
            Columns(vec![0, 1, 2], vec![14, 11, 23])
        );
        // Not enough with the title at its minimum: the spare column goes.
        assert_eq!(
            fit(&[14, 16, 11, 40], &[3], &[1], Some(60)),
            Columns(vec![0, 2, 3], vec![14, 11, 31])
        );
        // Spare columns go in order, before the title is cut below its
        // minimum.
        assert_eq!(
            fit(&[14, 16, 11, 40], &[3], &[2, 1], Some(50)),
            Columns(vec![0, 3], vec![14, 34])
        );
        // No spare column left: the title shrinks further, down to its
        // last minimum, the other cells whole.
        assert_eq!(
            fit(&[14, 40], &[1], &[], Some(28)),
            Columns(vec![0, 1], vec![14, 12])
        );
        assert_eq!(
            fit(&[14, 40], &[1], &[], Some(26)),
            Columns(vec![0, 1], vec![14, 10])
        );
        // Narrower still, or columns that cannot be cut: a vertical view.
        assert_eq!(fit(&[14, 40], &[1], &[], Some(25)), Vertical);
        assert_eq!(fit(&[14, 11, 12], &[], &[], Some(40)), Vertical);
        assert_eq!(
            fit(&[14, 11, 12], &[], &[1], Some(40)),
            Columns(vec![0, 2], vec![14, 12])
        );
    }

    #[test]
    fn a_table_too_wide_for_the_terminal_is_a_vertical_view() {
        let mut r = Records::new(&["priority", "closed", "avg_first_response_hours", "note"]);
        r.push(vec![
            text("urgent"),
            Cell::Int(3),
            Cell::Dec(1.5, 2),
            Cell::Null,
        ]);
        r.push(vec![
            text("important"),
            Cell::Int(12),
            Cell::Dec(10.25, 2),
            text("客户反映设备无法开机，请尽快处理"),
        ]);
        assert_eq!(
            table(&r, false, Some(52)),
            "urgent\n\
             \x20 closed                    3\n\
             \x20 avg_first_response_hours  1.50\n\
             \x20 note\n\
             \n\
             important\n\
             \x20 closed                    12\n\
             \x20 avg_first_response_hours  10.25\n\
             \x20 note                      客户反映设备无法开机，…\n"
        );
        // Narrower: the names are cut too, to half the room, where the
        // values need it.
        let narrow = table(&r, false, Some(30));
        assert!(narrow.contains("\n  avg_first_re…  10.25\n"), "{narrow}");
        assert!(
            narrow.contains("\n  note           客户反映设备…\n"),
            "{narrow}"
        );
        // Every line fits, with or without colour; no box around blocks.
        for color in [false, true] {
            for width in 1..45 {
                let out = table(&r, color, Some(width));
                for line in out.lines() {
                    assert!(
                        strip_sgr(line).width() <= usize::from(width),
                        "{width}: {line:?}"
                    );
                }
                assert!(!out.contains('│'));
            }
        }
        // The heading bold, each value in its tone.
        let mut toned = Records::new(&["id", "response", "resolution_remaining"]);
        toned.push_toned(
            vec![text("T1"), text("breached"), Cell::Null],
            vec![Tone::Plain, Tone::Alert, Tone::Plain],
        );
        assert_eq!(
            table(&toned, true, Some(20)),
            "\x1b[1mT1\x1b[0m\n  response  \x1b[38;5;1mbreached\x1b[39m\n  resolut…\n"
        );
        // On a pipe, or with room enough, the columns as before.
        assert!(table(&r, false, None).starts_with("priority   closed"));
        assert!(table(&r, false, Some(80)).starts_with("priority   closed"));
        // No rows: nothing to show.
        let empty = Records::new(&["priority", "avg_first_response_hours"]);
        assert_eq!(table(&empty, false, Some(10)), "");
    }

    proptest! {
        #[test]
        fn a_cut_cell_never_passes_its_width(
            s in "\\PC{0,30}|[a❤\u{fe0f}\u{301}客\u{1100}\u{1161}\u{11a8}]{0,12}",
            w in 1usize..40,
        ) {
            let shown = visible(&s);
            let cut = ellipsis(&shown, w);
            prop_assert!(cut.width() <= w, "{:?} at {} is {}", cut, w, cut.width());
            if shown.width() <= w {
                prop_assert_eq!(cut.as_ref(), shown.as_ref());
            } else {
                prop_assert!(cut.ends_with('…'));
            }
        }

        /// Whatever the widths, a known room is never passed: the columns
        /// fit it, or the table is a vertical view, whose every line does.
        #[test]
        fn a_table_always_fits_a_known_width(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z客]{0,30}", 4),
                0..4,
            ),
            cut in proptest::collection::vec(0usize..4, 0..3),
            spare in proptest::collection::vec(0usize..4, 0..3),
            width in 1u16..120,
            color: bool,
        ) {
            let mut r = Records::new(&["id", "title", "avg_first_response_hours", "x"]);
            r.cut = cut;
            r.spare = spare;
            for row in &rows {
                r.push(row.iter().map(text).collect());
            }
            let out = table(&r, color, Some(width));
            for line in out.lines() {
                let w = strip_sgr(line).width();
                prop_assert!(w <= usize::from(width), "{} > {}: {:?}\n{}", w, width, line, out);
            }
        }
    }
}
