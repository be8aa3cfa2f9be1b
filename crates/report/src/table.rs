//! One table, drawn by both renderers: the sections build a [`Table`] of plain-text
//! cells once, and [`Table::html`] / [`Table::markdown`] write it with the escaping,
//! alignment and styling of their format. Keeps the two formats from drifting apart
//! (a column added to one and not the other) and the table scaffolding in one place.

use std::fmt::{Result, Write};

use crate::format::{escape_html, escape_md};

/// How a column is aligned: text to the left, numbers to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Text,
    Num,
}

/// A cell: plain text (escaped by the renderer), optionally shown in bold with a
/// marker after it (the report period's row), and an HTML class for colour (trend,
/// traffic light), which Markdown has no use for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub text: String,
    pub strong_then: Option<&'static str>,
    pub class: Option<&'static str>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            strong_then: None,
            class: None,
        }
    }

    /// The cell with an HTML class (`up`, `down`, `ok`, `warn`, `bad`).
    pub fn class(mut self, class: &'static str) -> Cell {
        self.class = (!class.is_empty()).then_some(class);
        self
    }

    /// A period key, in bold and marked when it is the report period.
    pub fn period(period: &str, current: &str) -> Cell {
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

/// Column titles with their alignment, and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    pub columns: Vec<(String, Align)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns.iter().map(|(t, a)| (t.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn align(&self, column: usize) -> Align {
        self.columns.get(column).map_or(Align::Text, |c| c.1)
    }

    /// `<table>` with a header row and a body; numeric columns get `class="num"`.
    pub fn html(&self, out: &mut String) -> Result {
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
                let class = match (self.align(i), cell.class) {
                    (Align::Num, Some(c)) => format!(r#" class="num {c}""#),
                    (Align::Num, None) => r#" class="num""#.to_string(),
                    (Align::Text, Some(c)) => format!(r#" class="{c}""#),
                    (Align::Text, None) => String::new(),
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
    pub fn markdown(&self, out: &mut String) -> Result {
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
        let mut t = Table::new(&[("周期", Align::Text), ("接触量", Align::Num)]);
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
             <tr><td>2026-W45</td><td class=\"num\">1,173</td></tr>\n\
             <tr><td><strong>2026-W46</strong>（本期）</td><td class=\"num up\">▲ +5.2%</td></tr>\n\
             <tr><td>a|&lt;b&gt;</td><td class=\"num\">1</td></tr>\n</tbody>\n</table>\n"
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
