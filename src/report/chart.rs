//! The HTML report's charts as inline SVG, drawn here rather than by a
//! plotting crate: a handful of bar and line shapes, a fixed palette and
//! fixed decimals, so the same numbers always give the same bytes (a
//! committed report diffs cleanly), every chart carries a `<title>` for
//! screen readers, and nothing is fetched. Pure: numbers in, markup out.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use crate::output::{cell_text, Cell};
use crate::text::{ellipsis, visible};

/// The drawing's own width; the page scales it to the screen or the A4 column.
const WIDTH: f64 = 640.0;
const FONT: f64 = 12.0;
/// Roughly how wide a half-width character is at `FONT` (a CJK one is two).
const CHAR: f64 = 6.6;
const TITLE_H: f64 = 28.0;
const LEGEND_H: f64 = 20.0;
const AXIS_H: f64 = 36.0;
const ROW_H: f64 = 26.0;
/// Colours that stay apart for colour-blind readers (Okabe and Ito).
const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999",
];

/// One named row of values, one per label (`None`: no value to draw).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Horizontal bars, one row per label: grouped (a bar per series) or
/// stacked (one bar of segments), optionally with a whisker per row.
#[derive(Debug, Clone)]
pub struct Bars {
    pub id: String,
    pub title: String,
    /// The value axis's caption, with its unit ("tickets", "%", "hours").
    pub axis: String,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub stacked: bool,
    /// A fixed end of the value axis (100 for shares, 5 for scores).
    pub max: Option<f64>,
    /// A whisker per row from its bar's end to this value (the p90 beside a
    /// median), drawn with the first series.
    pub whiskers: Option<Vec<Option<f64>>>,
    /// The series' colours, where they carry a meaning (negative in red);
    /// else the palette's.
    pub colours: Option<&'static [&'static str]>,
    /// Decimals of the values written beside the bars.
    pub places: usize,
}

/// Lines over labelled points (months), on a fixed value range.
#[derive(Debug, Clone)]
pub struct Lines {
    pub id: String,
    pub title: String,
    /// The value axis's caption, with its unit.
    pub axis: String,
    /// The label axis's caption ("month").
    pub labels_axis: String,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub min: f64,
    pub max: f64,
    pub places: usize,
}

/// Text for SVG as every output shows stored text (control, bidi and
/// invisible characters as visible escapes, `text::visible`), markup
/// characters escaped.
fn esc(s: &str) -> String {
    let shown = visible(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number with `places` decimals, as the tables and the CSV write it.
fn num(x: f64, places: usize) -> String {
    cell_text(&Cell::Dec(x, places))
}

/// Coordinates with one decimal: enough for a screen, stable in a diff.
fn px(x: f64) -> String {
    num(x, 1)
}

/// The end of an axis over `0..=max` and its step: 1, 2 or 5 times a
/// power of ten, four to eight steps.
fn scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.25);
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| max / s <= 6.0)
        .unwrap_or(10.0 * power);
    ((max / step).ceil() * step, step)
}

fn ticks(min: f64, max: f64, step: f64) -> Vec<f64> {
    let n = ((max - min) / step).round() as i64;
    (0..=n).map(|i| min + i as f64 * step).collect()
}

fn tick_places(step: f64) -> usize {
    if step.fract() == 0.0 {
        0
    } else if (step * 10.0).fract() == 0.0 {
        1
    } else {
        2
    }
}

fn open(out: &mut String, id: &str, title: &str, height: f64) {
    let id = esc(id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{t}</title>"#,
        w = px(WIDTH),
        h = px(height),
        t = esc(title),
    );
    let _ = write!(
        out,
        r#"<text class="chart-title" x="0" y="18" font-size="14" font-weight="bold">{}</text>"#,
        esc(title)
    );
}

fn legend(out: &mut String, series: &[Series], colours: &[&str], y: f64) {
    let mut x = 0.0;
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" font-size="{FONT}">{}</text>"#,
            px(x),
            px(y),
            colours[i % colours.len()],
            px(x + 14.0),
            px(y + 9.5),
            esc(&s.name)
        );
        x += 14.0 + s.name.width() as f64 * CHAR + 18.0;
    }
}

impl Bars {
    pub fn svg(&self) -> String {
        let rows = self.labels.len().max(1);
        let legend_h = if self.series.len() > 1 { LEGEND_H } else { 0.0 };
        let top = TITLE_H + legend_h;
        let height = top + rows as f64 * ROW_H + AXIS_H;
        let label_cols = self
            .labels
            .iter()
            .map(|l| l.width())
            .max()
            .unwrap_or(0)
            .clamp(4, 24);
        let left = label_cols as f64 * CHAR + 10.0;
        // Room for the values written past the longest bar.
        let right = WIDTH - if self.whiskers.is_some() { 110.0 } else { 56.0 };
        let span = right - left;

        // The largest value drawn: a bar (or a stack), or a whisker's end.
        let row_total = |r: usize| -> f64 {
            let vals = self
                .series
                .iter()
                .filter_map(|s| s.values.get(r).copied().flatten());
            if self.stacked {
                vals.sum()
            } else {
                vals.fold(0.0, f64::max)
            }
        };
        let whisker = |r: usize| -> Option<f64> {
            self.whiskers
                .as_ref()
                .and_then(|w| w.get(r).copied().flatten())
        };
        let largest = (0..self.labels.len())
            .map(|r| row_total(r).max(whisker(r).unwrap_or(0.0)))
            .fold(0.0, f64::max);
        let (mut end, mut step) = match self.max {
            Some(m) => (m, scale(m).1),
            None => scale(largest),
        };
        // Counts are whole: no tick at 0.25 of a ticket.
        if self.places == 0 && step < 1.0 {
            step = 1.0;
            end = end.ceil().max(1.0);
        }
        let x_of = |v: f64| left + span * (v.max(0.0) / end).min(1.0);

        let mut out = String::new();
        open(&mut out, &self.id, &self.title, height);
        let colours = self.colours.unwrap_or(&PALETTE);
        if legend_h > 0.0 {
            legend(&mut out, &self.series, colours, TITLE_H);
        }
        let bottom = top + rows as f64 * ROW_H;
        // Grid lines and the value axis with its ticks and caption.
        let places = tick_places(step);
        for t in ticks(0.0, end, step) {
            let x = x_of(t);
            let _ = write!(
                out,
                r##"<line class="grid" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#ddd"/><text x="{x}" y="{}" font-size="{FONT}" text-anchor="middle">{}</text>"##,
                px(top),
                px(bottom),
                px(bottom + 14.0),
                num(t, places),
                x = px(x),
            );
        }
        let _ = write!(
            out,
            r##"<line class="axis" x1="{l}" y1="{}" x2="{l}" y2="{b}" stroke="#333"/><line class="axis" x1="{l}" y1="{b}" x2="{}" y2="{b}" stroke="#333"/><text class="axis-caption" x="{}" y="{}" font-size="{FONT}" text-anchor="middle">{}</text>"##,
            px(top),
            px(right),
            px(left + span / 2.0),
            px(bottom + 30.0),
            esc(&self.axis),
            l = px(left),
            b = px(bottom),
        );

        let groups = if self.stacked {
            1
        } else {
            self.series.len().max(1)
        };
        let bar_h = (ROW_H - 8.0) / groups as f64;
        for (r, label) in self.labels.iter().enumerate() {
            let y0 = top + r as f64 * ROW_H + 4.0;
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" font-size="{FONT}" text-anchor="end">{}</text>"#,
                px(left - 6.0),
                px(y0 + (ROW_H - 8.0) / 2.0 + 4.0),
                esc(&ellipsis(label, label_cols))
            );
            let mut stack = 0.0;
            for (i, s) in self.series.iter().enumerate() {
                let Some(v) = s.values.get(r).copied().flatten() else {
                    continue;
                };
                let (x, y) = if self.stacked {
                    (x_of(stack), y0)
                } else {
                    (left, y0 + i as f64 * bar_h)
                };
                let w = x_of(if self.stacked { stack + v } else { v }) - x;
                stack += v;
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>"#,
                    px(x),
                    px(y),
                    px(w.max(0.0)),
                    px(bar_h - 1.0),
                    colours[i % colours.len()],
                    esc(&s.name),
                    num(v, self.places)
                );
                if !self.stacked {
                    // Beside the bar, or past its whisker with the
                    // whisker's value (median, then p90).
                    let (end, text) = match whisker(r).filter(|_| i == 0) {
                        Some(wv) => (
                            x_of(wv).max(x + w),
                            format!("{} · {}", num(v, self.places), num(wv, self.places)),
                        ),
                        None => (x + w, num(v, self.places)),
                    };
                    let _ = write!(
                        out,
                        r#"<text x="{}" y="{}" font-size="{}">{}</text>"#,
                        px(end + 4.0),
                        px(y + bar_h / 2.0 + 3.5),
                        if groups > 1 { FONT - 2.0 } else { FONT },
                        text
                    );
                }
            }
            if self.stacked && stack > 0.0 {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" font-size="{FONT}">{}</text>"#,
                    px(x_of(stack) + 4.0),
                    px(y0 + (ROW_H - 8.0) / 2.0 + 4.0),
                    num(stack, self.places)
                );
            }
            if let (Some(w), Some(from)) = (
                whisker(r),
                self.series
                    .first()
                    .and_then(|s| s.values.get(r).copied().flatten()),
            ) {
                let mid = y0 + (bar_h - 1.0) / 2.0;
                let _ = write!(
                    out,
                    r##"<path class="whisker" d="M{} {m}H{e}M{e} {}V{}" stroke="#333" stroke-width="1.5" fill="none"><title>{}</title></path>"##,
                    px(x_of(from)),
                    px(mid - 5.0),
                    px(mid + 5.0),
                    num(w, self.places),
                    m = px(mid),
                    e = px(x_of(w)),
                );
            }
        }
        out.push_str("</svg>");
        out
    }
}

impl Lines {
    pub fn svg(&self) -> String {
        let legend_h = if self.series.len() > 1 { LEGEND_H } else { 0.0 };
        let top = TITLE_H + legend_h + 6.0;
        let plot_h = 180.0;
        let height = top + plot_h + AXIS_H + 6.0;
        let left = 48.0;
        let right = WIDTH - 16.0;
        let bottom = top + plot_h;
        let n = self.labels.len().max(1);
        let x_of = |i: usize| {
            if n == 1 {
                (left + right) / 2.0
            } else {
                left + (right - left) * i as f64 / (n - 1) as f64
            }
        };
        let span = (self.max - self.min).max(f64::EPSILON);
        let y_of = |v: f64| bottom - plot_h * ((v.clamp(self.min, self.max) - self.min) / span);

        let mut out = String::new();
        open(&mut out, &self.id, &self.title, height);
        if legend_h > 0.0 {
            legend(&mut out, &self.series, &PALETTE, TITLE_H);
        }
        let (_, step) = scale(span);
        let places = tick_places(step);
        for t in ticks(self.min, self.min + (span / step).floor() * step, step) {
            let y = y_of(t);
            let _ = write!(
                out,
                r##"<line class="grid" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" font-size="{FONT}" text-anchor="end">{}</text>"##,
                px(left),
                px(right),
                px(left - 6.0),
                px(y + 4.0),
                num(t, places),
                y = px(y),
            );
        }
        let _ = write!(
            out,
            r##"<line class="axis" x1="{l}" y1="{}" x2="{l}" y2="{b}" stroke="#333"/><line class="axis" x1="{l}" y1="{b}" x2="{}" y2="{b}" stroke="#333"/><text class="axis-caption" x="12" y="{}" font-size="{FONT}" text-anchor="middle" transform="rotate(-90 12 {})">{}</text>"##,
            px(top),
            px(right),
            px(top + plot_h / 2.0),
            px(top + plot_h / 2.0),
            esc(&self.axis),
            l = px(left),
            b = px(bottom),
        );
        let _ = write!(
            out,
            r#"<text class="axis-caption" x="{}" y="{}" font-size="{FONT}" text-anchor="middle">{}</text>"#,
            px((left + right) / 2.0),
            px(bottom + 34.0),
            esc(&self.labels_axis)
        );
        // Month labels: every one while they fit, else every second or third.
        let every = (n as f64 * 52.0 / (right - left)).ceil().max(1.0) as usize;
        for (i, label) in self.labels.iter().enumerate() {
            if i % every != 0 && i + 1 != n {
                continue;
            }
            // The first and last labels end inside the drawing.
            let anchor = match i {
                0 if n > 1 => "start",
                _ if i + 1 == n && n > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" font-size="{FONT}" text-anchor="{anchor}">{}</text>"#,
                px(x_of(i)),
                px(bottom + 16.0),
                esc(&ellipsis(label, 10))
            );
        }
        for (k, s) in self.series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            // A gap (a month without a value) breaks the line.
            let mut path = String::new();
            let mut pen_down = false;
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        let _ = write!(
                            path,
                            "{}{} {}",
                            if pen_down { "L" } else { "M" },
                            px(x_of(i)),
                            px(y_of(*v))
                        );
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            if !path.is_empty() {
                let _ = write!(
                    out,
                    r#"<path d="{path}" stroke="{colour}" stroke-width="2" fill="none"/>"#
                );
            }
            for (i, v) in s.values.iter().enumerate() {
                if let Some(v) = v {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3" fill="{colour}"><title>{} {}: {}</title></circle>"#,
                        px(x_of(i)),
                        px(y_of(*v)),
                        esc(&s.name),
                        esc(&self.labels[i]),
                        num(*v, self.places)
                    );
                }
            }
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Bars {
        Bars {
            id: "types".into(),
            title: "Types <&>".into(),
            axis: "tickets".into(),
            labels: vec!["complaint".into(), "投诉<script>".into()],
            series: vec![Series {
                name: "count".into(),
                values: vec![Some(1.0), Some(0.0)],
            }],
            stacked: false,
            max: None,
            whiskers: None,
            colours: None,
            places: 0,
        }
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(scale(11.0), (12.0, 2.0));
        assert_eq!(scale(100.0), (100.0, 20.0));
        assert_eq!(scale(3.0), (3.0, 0.5));
        assert_eq!(scale(0.0), (1.0, 0.25));
        assert_eq!(scale(7300.0), (8000.0, 2000.0));
    }

    #[test]
    fn a_bar_chart_has_its_title_its_values_and_escaped_labels() {
        let svg = bars().svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title id=\"types-title\">Types &lt;&amp;&gt;</title>"));
        assert!(svg.contains(">1</text>") && svg.contains(">0</text>"));
        assert!(svg.contains("投诉&lt;script&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains(">tickets</text>"));
        assert!(
            !svg.contains(">0.2</text>") && !svg.contains(">0.5</text>"),
            "whole ticks for counts"
        );
        // The same numbers, the same bytes.
        assert_eq!(svg, bars().svg());
    }

    #[test]
    fn whiskers_reach_their_value_and_lines_break_at_gaps() {
        let mut b = bars();
        b.whiskers = Some(vec![Some(12.0), None]);
        let svg = b.svg();
        assert_eq!(svg.matches("class=\"whisker\"").count(), 1);
        let lines = Lines {
            id: "trend".into(),
            title: "Satisfaction".into(),
            axis: "score (1-5)".into(),
            labels_axis: "month".into(),
            labels: vec!["2026-08".into(), "2026-09".into(), "2026-10".into()],
            series: vec![Series {
                name: "overall".into(),
                values: vec![Some(4.0), None, Some(4.5)],
            }],
            min: 1.0,
            max: 5.0,
            places: 2,
        };
        let svg = lines.svg();
        assert_eq!(svg.matches("<circle").count(), 2);
        // The gap breaks the line: two moves, nothing drawn between.
        let d = &svg[svg.find("<path d=\"").unwrap() + 9..];
        let d = &d[..d.find('"').unwrap()];
        assert_eq!(
            (d.matches('M').count(), d.matches('L').count()),
            (2, 0),
            "{d}"
        );
        assert!(svg.contains("overall 2026-10: 4.50"));
    }
}
