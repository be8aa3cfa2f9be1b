//! One table, drawn by every writer: a section builds a [`Table`] once, and
//! [`Table::html`] / [`Table::markdown`] write its cells' text with the escaping,
//! alignment and styling of their format, while the workbook writes each cell's
//! [`Value`] (the number behind the text) on a sheet named by the table, under the same
//! columns. Keeps the formats from drifting apart (a column added to one and not the
//! others) and the table scaffolding in one place.

use std::borrow::Cow;
use std::fmt::{Result, Write};

use crate::format::{
    self, MISSING, Trend, escape_html, escape_md, fixed, fraction_pct, per_mille, share, thousands,
};

/// Whether a text cell is short enough never to wrap in print: up to 8 characters, or up
/// to 20 without a CJK one (a date, a region, a contact id, a status).
fn short(text: &str) -> bool {
    let n = text.chars().count();
    n <= 8 || (n <= 20 && text.is_ascii())
}

/// How a column is aligned: text to the left, numbers to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Text,
    Num,
}

/// What a cell holds in the workbook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// The cell's text.
    Text,
    /// A number, so analysts can sort and pivot it, shown with an Excel number format
    /// that reads like the text (`#,##0`, `0.0%`, `#,##0.0"‰"`).
    Number(f64, Cow<'static, str>),
    /// Nothing: the value is missing (the text says `—`).
    Empty,
}

/// Excel number formats of the values, each printing a number as the text does.
pub(crate) mod number_format {
    pub(crate) const COUNT: &str = "#,##0";
    pub(crate) const DATE: &str = "yyyy-mm-dd";
    pub(crate) const PERCENT: &str = "0.0%";
    pub(crate) const PER_MILLE: &str = "#,##0.0\"‰\"";
    pub(crate) const SECONDS: &str = "#,##0\" 秒\"";
    /// A relative change: `▲ +12.0%`, `▼ -5.0%`.
    pub(crate) const CHANGE: &str = "\"▲ +\"0.0%;\"▼ -\"0.0%;\"持平\"";
    /// A difference in counts on a small base: `▲ +8 件`, `▼ -3 件`.
    pub(crate) const COUNT_CHANGE: &str = "\"▲ +\"#,##0\" 件\";\"▼ -\"#,##0\" 件\";\"持平\"";
    /// A change that rounds to 0.0%.
    pub(crate) const FLAT: &str = "\"持平\";\"持平\";\"持平\"";
    /// `p<0.001` or `p=0.012`.
    pub(crate) const P_VALUE: &str = "[<0.001]\"p<0.001\";\"p=\"0.000";

    /// `#,##0.00` for two decimals.
    pub(crate) fn decimals(places: usize) -> String {
        if places == 0 {
            COUNT.to_string()
        } else {
            format!("#,##0.{}", "0".repeat(places))
        }
    }

    /// `format` followed by literal text (`0.0%" 未达标"`, `"≥ "0.0%`); `None` when the
    /// text holds a quote, which would end the literal.
    pub(crate) fn with_literal(prefix: &str, format: &str, suffix: &str) -> Option<String> {
        if prefix.contains('"') || suffix.contains('"') {
            return None;
        }
        let quote = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("\"{s}\"")
            }
        };
        Some(format!("{}{format}{}", quote(prefix), quote(suffix)))
    }
}

/// A cell: plain text (escaped by the renderer), optionally shown in bold with a
/// marker after it (the report period's row), an HTML class for colour (trend,
/// traffic light), which Markdown has no use for, and its value in the workbook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub text: String,
    pub strong_then: Option<&'static str>,
    pub class: Option<&'static str>,
    pub value: Value,
}

impl Cell {
    /// A text cell.
    pub(crate) fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            strong_then: None,
            class: None,
            value: Value::Text,
        }
    }

    /// The cell with its workbook value.
    pub(crate) fn value(mut self, value: Value) -> Cell {
        self.value = value;
        self
    }

    /// `text` for a number `x` shown with `format` in the workbook; empty there when `x`
    /// is not finite.
    pub(crate) fn number(
        text: impl Into<String>,
        x: f64,
        format: impl Into<Cow<'static, str>>,
    ) -> Cell {
        let value = if x.is_finite() {
            Value::Number(x, format.into())
        } else {
            Value::Empty
        };
        Cell::new(text).value(value)
    }

    /// A count: `1,234`.
    pub(crate) fn count(n: u64) -> Cell {
        Cell::number(thousands(n), n as f64, number_format::COUNT)
    }

    /// A count or, without one, `—`.
    pub(crate) fn count_or_missing(n: Option<u64>) -> Cell {
        n.map_or_else(|| Cell::new(MISSING).value(Value::Empty), Cell::count)
    }

    /// A float with `places` decimals: `-0.15`.
    pub(crate) fn decimal(x: f64, places: usize) -> Cell {
        Cell::number(fixed(x, places), x, number_format::decimals(places))
    }

    /// A fraction in `0..=1` as a percent: `34.5%`.
    pub(crate) fn fraction(f: f64) -> Cell {
        Cell::number(fraction_pct(f), f, number_format::PERCENT)
    }

    /// `part` as a percent of `whole`: `33.3%`, `—` when `whole` is 0.
    pub(crate) fn share(part: u64, whole: u64) -> Cell {
        let fraction = if whole == 0 {
            f64::NAN
        } else {
            part as f64 / whole as f64
        };
        Cell::number(share(part, whole), fraction, number_format::PERCENT)
    }

    /// A per-mille rate: `369.5‰`.
    pub(crate) fn per_mille(rate: Option<f64>) -> Cell {
        Cell::number(
            per_mille(rate),
            rate.unwrap_or(f64::NAN),
            number_format::PER_MILLE,
        )
    }

    /// A p-value: `p<0.001`, `p=0.012`.
    pub(crate) fn p_value(p: f64) -> Cell {
        let text = format::p_value(p);
        let x = if text.is_some() { p } else { f64::NAN };
        Cell::number(
            text.unwrap_or_else(|| MISSING.to_string()),
            x,
            number_format::P_VALUE,
        )
    }

    /// A change with `text` (`▲ +12.0%`, `持平`) of `current` against `previous`, the
    /// relative change in the workbook.
    pub(crate) fn change(text: impl Into<String>, current: u64, previous: u64) -> Cell {
        let format = match format::trend(current, previous) {
            Trend::Flat => number_format::FLAT,
            _ => number_format::CHANGE,
        };
        let x = format::pct_change(current, previous).map_or(f64::NAN, |p| p / 100.0);
        Cell::number(text, x, format)
    }

    /// A day (`2026-11-15`), a date in the workbook (Excel's day number, shown
    /// `yyyy-mm-dd`); text when it does not parse.
    pub(crate) fn date(day: &str) -> Cell {
        let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30);
        match (chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d"), epoch) {
            (Ok(d), Some(epoch)) => {
                Cell::number(day, (d - epoch).num_days() as f64, number_format::DATE)
            }
            _ => Cell::new(day),
        }
    }

    /// The cell with an HTML class (`up`, `down`, `ok`, `warn`, `bad`).
    pub(crate) fn class(mut self, class: &'static str) -> Cell {
        self.class = (!class.is_empty()).then_some(class);
        self
    }

    /// A period key, in bold and marked when it is the report period.
    pub(crate) fn period(period: &str, current: &str) -> Cell {
        let mut cell = Cell::new(period);
        if period == current {
            cell.strong_then = Some("（本期）");
        }
        cell
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::new(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::new(text)
    }
}

/// Column titles with their alignment, and rows of cells, under the name of its sheet
/// in the workbook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    /// The workbook sheet's name (at most 31 characters, Excel's limit).
    pub sheet: &'static str,
    pub columns: Vec<(String, Align)>,
    pub rows: Vec<Vec<Cell>>,
    /// The document shows this content otherwise (the cover list, issue cards, a
    /// chart), so only the workbook has it as a table.
    pub workbook_only: bool,
}

impl Table {
    pub(crate) fn new(sheet: &'static str, columns: &[(&str, Align)]) -> Table {
        Table {
            sheet,
            columns: columns.iter().map(|(t, a)| (t.to_string(), *a)).collect(),
            rows: Vec::new(),
            workbook_only: false,
        }
    }

    /// The table as a sheet of the workbook only (see the field `workbook_only`).
    pub(crate) fn only_in_workbook(mut self) -> Table {
        self.workbook_only = true;
        self
    }

    pub(crate) fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Appends a column, its cell of row `i` given by `cell(i)`.
    pub(crate) fn add_column(&mut self, title: &str, align: Align, cell: impl Fn(usize) -> Cell) {
        self.columns.push((title.to_string(), align));
        for (i, row) in self.rows.iter_mut().enumerate() {
            row.push(cell(i));
        }
    }

    fn align(&self, column: usize) -> Align {
        self.columns.get(column).map_or(Align::Text, |c| c.1)
    }

    /// `<table>` with a header row and a body; numeric columns get `class="num"`.
    pub(crate) fn html(&self, out: &mut String) -> Result {
        let esc = escape_html;
        writeln!(out, "<table>")?;
        write!(out, "<thead><tr>")?;
        for (title, align) in &self.columns {
            match align {
                Align::Num => write!(out, r#"<th class="num">{}</th>"#, esc(title))?,
                Align::Text => write!(out, "<th>{}</th>", esc(title))?,
            }
        }
        writeln!(out, "</tr></thead>")?;
        writeln!(out, "<tbody>")?;
        for row in &self.rows {
            write!(out, "<tr>")?;
            for (i, cell) in row.iter().enumerate() {
                let class = match (self.align(i), cell.class, short(&cell.text)) {
                    (Align::Num, Some(c), _) => format!(r#" class="num {c}""#),
                    (Align::Num, None, _) => r#" class="num""#.to_string(),
                    (Align::Text, Some(c), true) => format!(r#" class="nw {c}""#),
                    (Align::Text, Some(c), false) => format!(r#" class="{c}""#),
                    (Align::Text, None, true) => r#" class="nw""#.to_string(),
                    (Align::Text, None, false) => String::new(),
                };
                match cell.strong_then {
                    Some(mark) => write!(
                        out,
                        "<td{class}><strong>{}</strong>{}</td>",
                        esc(&cell.text),
                        esc(mark)
                    )?,
                    None => write!(out, "<td{class}>{}</td>", esc(&cell.text))?,
                }
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody>")?;
        writeln!(out, "</table>")
    }

    /// A GitHub pipe table (numeric columns right-aligned) followed by a blank line.
    pub(crate) fn markdown(&self, out: &mut String) -> Result {
        let esc = escape_md;
        write!(out, "|")?;
        for (title, _) in &self.columns {
            write!(out, " {} |", esc(title))?;
        }
        writeln!(out)?;
        write!(out, "|")?;
        for (_, align) in &self.columns {
            write!(
                out,
                "{}",
                match align {
                    Align::Num => "---:|",
                    Align::Text => "---|",
                }
            )?;
        }
        writeln!(out)?;
        for row in &self.rows {
            write!(out, "|")?;
            for cell in row {
                match cell.strong_then {
                    Some(mark) => write!(out, " **{}**{} |", esc(&cell.text), esc(mark))?,
                    None => write!(out, " {} |", esc(&cell.text))?,
                }
            }
            writeln!(out)?;
        }
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("趋势", &[("周期", Align::Text), ("接触量", Align::Num)]);
        t.row(vec![Cell::period("2026-W45", "2026-W46"), "1,173".into()]);
        t.row(vec![
            Cell::period("2026-W46", "2026-W46"),
            Cell::new("▲ +5.2%").class("up"),
        ]);
        t.row(vec![Cell::new("a|<b>"), Cell::new("1")]);
        t
    }

    #[test]
    fn html_escapes_and_aligns() {
        let mut out = String::new();
        sample().html(&mut out).unwrap();
        assert_eq!(
            out,
            "<table>\n<thead><tr><th>周期</th><th class=\"num\">接触量</th></tr></thead>\n<tbody>\n\
             <tr><td class=\"nw\">2026-W45</td><td class=\"num\">1,173</td></tr>\n\
             <tr><td class=\"nw\"><strong>2026-W46</strong>（本期）</td><td class=\"num up\">▲ +5.2%</td></tr>\n\
             <tr><td class=\"nw\">a|&lt;b&gt;</td><td class=\"num\">1</td></tr>\n</tbody>\n</table>\n"
        );
    }

    #[test]
    fn markdown_escapes_and_aligns() {
        let mut out = String::new();
        sample().markdown(&mut out).unwrap();
        assert_eq!(
            out,
            "| 周期 | 接触量 |\n|---|---:|\n| 2026-W45 | 1,173 |\n| **2026-W46**（本期） | ▲ +5.2% |\n| a\\|\\<b\\> | 1 |\n\n"
        );
    }
}
