//! The report as an Excel workbook: one formatted sheet per table of the report (the
//! same tables, columns and labels the HTML shows, plus the content the document shows
//! as cards, a list or a chart), numbers stored as numbers so analysts can pivot them,
//! header row frozen and filterable. The workbook's creation date is set from the data,
//! never the wall clock, so the same input gives the same bytes.
//!
//! [`write_streaming`] writes one large sheet row by row (search exports), so
//! rust_xlsxwriter stays in this crate.

use chrono::Datelike;
pub use rust_xlsxwriter::XlsxError;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::model::ReportInput;
use crate::table::{Table, Value};
use crate::view::View;

/// One cell of a sheet written by [`write_streaming`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A plain decimal, shown with `decimals` places.
    Number(f64, u8),
    /// A fraction shown as a percentage (0.123 → 12.3%).
    Percent(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Int(n as i64)
    }
}

/// The report as .xlsx bytes, stamped with the first day of its period: the tables of
/// the sections present, in the order of the report.
pub fn render_xlsx(input: &ReportInput) -> Result<Vec<u8>, XlsxError> {
    let created = crate::format::period_start(&input.period).unwrap_or_default();
    write_workbook(&crate::sections::tables(&View::new(input)), created)
}

/// Writes the tables into an .xlsx file's bytes, one sheet each. `created` is the date
/// stamped in the document properties (a date from the data, for reproducible bytes).
fn write_workbook(tables: &[Table], created: chrono::NaiveDate) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(
        created.year() as u16,
        created.month() as u8,
        created.day() as u8,
    )?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let font = |f: Format| f.set_font_name("Microsoft YaHei").set_font_size(10);
    let header = font(Format::new())
        .set_bold()
        .set_background_color(Color::RGB(0x1F4E79))
        .set_font_color(Color::White)
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    let text = font(Format::new())
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    for table in tables {
        let ws = workbook.add_worksheet();
        ws.set_name(table.sheet.chars().take(31).collect::<String>())?;
        let mut widths: Vec<usize> = table
            .columns
            .iter()
            .map(|(h, _)| display_width(h))
            .collect();
        for (c, (h, _)) in table.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &header)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                match &cell.value {
                    Value::Text => {
                        ws.write_string_with_format(r, col, &cell.text, &text)?;
                    }
                    Value::Number(x, number_format) => {
                        let format = font(Format::new()).set_num_format(number_format.as_ref());
                        ws.write_number_with_format(r, col, *x, &format)?;
                    }
                    Value::Empty => {}
                }
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(display_width(&cell.text));
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).clamp(6.0, 80.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !table.rows.is_empty() && !table.columns.is_empty() {
            ws.autofilter(
                0,
                0,
                table.rows.len() as u32,
                table.columns.len() as u16 - 1,
            )?;
        }
    }
    workbook.save_to_buffer()
}

/// Rows of a one-sheet workbook written as they come (see [`write_streaming`]).
pub struct RowWriter<'a> {
    sheet: &'a mut Worksheet,
    next_row: u32,
}

impl RowWriter<'_> {
    /// Writes one row. Text is always written as text, never read as a formula.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    self.sheet.write_string(self.next_row, col, s)?;
                }
                Cell::Int(n) => {
                    self.sheet.write_number(self.next_row, col, *n as f64)?;
                }
                Cell::Number(x, _) | Cell::Percent(x) if x.is_finite() => {
                    self.sheet.write_number(self.next_row, col, *x)?;
                }
                Cell::Number(..) | Cell::Percent(..) | Cell::Empty => {}
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Rows written so far, the header not counted.
    pub fn rows(&self) -> u32 {
        self.next_row - 1
    }
}

/// A one-sheet workbook too large to hold in memory (a million search hits):
/// rows go to a temporary file as `fill` writes them (rust_xlsxwriter's constant-memory
/// mode), under a bold, frozen, filterable header with the given column widths.
pub fn write_streaming<E: From<XlsxError>>(
    sheet_name: &str,
    headers: &[&str],
    widths: &[f64],
    fill: impl FnOnce(&mut RowWriter) -> Result<(), E>,
) -> Result<Vec<u8>, E> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    for (c, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *header, &bold)?;
    }
    for (c, width) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut writer = RowWriter { sheet, next_row: 1 };
    fill(&mut writer)?;
    let rows = writer.rows();
    if !headers.is_empty() {
        writer
            .sheet
            .autofilter(0, 0, rows, headers.len() as u16 - 1)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// Column width of a text in Excel units: CJK characters are two wide.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet_names(input: &ReportInput) -> Vec<&'static str> {
        crate::sections::tables(&View::new(input))
            .into_iter()
            .map(|t| t.sheet)
            .collect()
    }

    #[test]
    fn same_input_same_bytes_and_one_sheet_per_table() {
        let input = crate::testing::sample_input();
        let a = render_xlsx(&input).unwrap();
        let b = render_xlsx(&input).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[..2], *b"PK");
        assert_eq!(
            sheet_names(&input),
            [
                "概览",
                "话务量趋势",
                "投诉主题",
                "非投诉类关注点",
                "新兴问题",
                "代表性原话",
                "情感趋势",
                "风险汇总",
                "风险观察名单",
                "数据质量"
            ]
        );
        assert_eq!(
            sheet_names(&crate::testing::full_input()),
            [
                "概览",
                "话务量趋势",
                "渠道地区分布",
                "投诉主题",
                "非投诉类关注点",
                "类别关键词",
                "新兴问题",
                "代表性原话",
                "新词发现",
                "情感趋势",
                "情绪走向（类别）",
                "情绪走向（坐席组）",
                "风险汇总",
                "风险观察名单",
                "KPI达成",
                "KPI逐日",
                "话务预测",
                "排班测算",
                "数据质量"
            ]
        );
    }

    /// Every table the document shows is a sheet with the same columns and cells: its
    /// HTML, drawn from the sheet's table, is in the report.
    #[test]
    fn sheets_are_the_tables_the_document_shows() {
        let input = crate::testing::full_input();
        let html = crate::render_html(&input);
        for table in crate::sections::tables(&View::new(&input)) {
            if table.workbook_only || table.rows.is_empty() {
                continue;
            }
            let mut drawn = String::new();
            table.html(&mut drawn).unwrap();
            assert!(html.contains(&drawn), "{} is not in the HTML", table.sheet);
        }
    }

    #[test]
    fn widths_count_chinese_as_double() {
        assert_eq!(display_width("宽带ab"), 6);
    }
}
