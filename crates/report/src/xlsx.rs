//! The report as an Excel workbook: one formatted sheet per table, numbers stored as
//! numbers (so analysts can pivot them), header row frozen and filterable.
//!
//! [`write_workbook`] is generic over [`Sheet`]s so other outputs (search exports) can
//! reuse the same formatting; [`report_sheets`] lays out the report's tables. The
//! workbook's creation date is set from the data, never the wall clock, so the same
//! input gives the same bytes.

use chrono::Datelike;
pub use rust_xlsxwriter::XlsxError;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::format;
use crate::model::ReportInput;

/// One cell value.
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

/// A table: sheet name (at most 31 characters, Excel's limit), headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: &str, headers: &[&str]) -> Self {
        Sheet {
            name: name.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// Writes the sheets into an .xlsx file's bytes. `created` is the date stamped in the
/// document properties (use a date from the data for reproducible bytes).
pub fn write_workbook(sheets: &[Sheet], created: chrono::NaiveDate) -> Result<Vec<u8>, XlsxError> {
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
    let int = font(Format::new()).set_num_format("#,##0");
    let percent = font(Format::new()).set_num_format("0.0%");
    let decimals = |n: u8| {
        let places = if n == 0 {
            String::new()
        } else {
            format!(".{}", "0".repeat(n as usize))
        };
        font(Format::new()).set_num_format(format!("#,##0{places}"))
    };
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.name.chars().take(31).collect::<String>())?;
        let mut widths: Vec<usize> = sheet.headers.iter().map(|h| display_width(h)).collect();
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &header)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let width = match cell {
                    Cell::Text(s) => {
                        ws.write_string_with_format(r, col, s, &text)?;
                        display_width(s)
                    }
                    Cell::Int(n) => {
                        ws.write_number_with_format(r, col, *n as f64, &int)?;
                        8
                    }
                    Cell::Number(x, d) if x.is_finite() => {
                        ws.write_number_with_format(r, col, *x, &decimals(*d))?;
                        10
                    }
                    Cell::Percent(x) if x.is_finite() => {
                        ws.write_number_with_format(r, col, *x, &percent)?;
                        8
                    }
                    Cell::Number(..) | Cell::Percent(..) | Cell::Empty => 0,
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(width);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).clamp(6.0, 80.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !sheet.rows.is_empty() && !sheet.headers.is_empty() {
            ws.autofilter(
                0,
                0,
                sheet.rows.len() as u32,
                sheet.headers.len() as u16 - 1,
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

/// A one-sheet workbook too large to hold as [`Sheet`]s (a million search hits):
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

/// A change in percent as a fraction for a percent cell; empty without a base.
fn change_cell(current: u64, previous: Option<u64>) -> Cell {
    previous
        .and_then(|p| format::pct_change(current, p))
        .map_or(Cell::Empty, |p| Cell::Percent(p / 100.0))
}

/// A KPI value as a number in its unit: shares as percentages, seconds with no
/// decimals, per-mille rates with one.
fn kpi_cell(unit: &str, value: Option<f64>) -> Cell {
    match value {
        None => Cell::Empty,
        Some(v) => match unit {
            "share" => Cell::Percent(v),
            "seconds" => Cell::Number(v, 0),
            "per_mille" => Cell::Number(v, 1),
            _ => Cell::Number(v, 2),
        },
    }
}

fn opt_text(s: Option<&str>) -> Cell {
    s.map_or(Cell::Empty, |s| s.into())
}

/// The report's tables, one sheet each, in the order of the report's sections. A
/// section the report leaves out (no KPI targets, no forecast …) has no sheet.
pub fn report_sheets(input: &ReportInput) -> Vec<Sheet> {
    let view = crate::analysis::View::new(input);
    let mut sheets = Vec::new();

    let mut cover = Sheet::new("概览", &["项目", "内容"]);
    cover.row(vec!["报告".into(), view.title().into()]);
    cover.row(vec!["客户".into(), input.client.clone().into()]);
    cover.row(vec!["报告期".into(), view.period_text().into()]);
    cover.row(vec!["对比期".into(), view.comparison_text().into()]);
    cover.row(vec![
        "基线期数".into(),
        u64::from(view.baseline_periods()).into(),
    ]);
    cover.row(vec![
        "配置指纹".into(),
        input.config_fingerprint.clone().into(),
    ]);
    cover.row(vec![
        "数据指纹".into(),
        input.data_fingerprint.clone().into(),
    ]);
    for (i, finding) in crate::findings(input).into_iter().enumerate() {
        cover.row(vec![format!("发现 {}", i + 1).into(), finding.into()]);
    }
    if let Some(note) = crate::tables::quality_note(&input.quality) {
        cover.row(vec!["数据质量说明".into(), note.into()]);
    }
    sheets.push(cover);

    let mut volume = Sheet::new("话务量趋势", &["周期", "接触量", "投诉量", "投诉率(‰)"]);
    for v in &input.volume {
        let rate = format::complaint_rate(v.complaints, v.contacts);
        volume.row(vec![
            v.period.clone().into(),
            v.contacts.into(),
            v.complaints.into(),
            rate.map_or(Cell::Empty, |r| Cell::Number(r, 1)),
        ]);
    }
    sheets.push(volume);

    if !input.breakdown.is_empty() {
        let mut breakdown = Sheet::new(
            "渠道地区分布",
            &["维度", "取值", "本期", "占比", "上期", "环比", "投诉率(‰)"],
        );
        for b in &input.breakdown {
            breakdown.row(vec![
                b.dimension.clone().into(),
                b.value.clone().into(),
                b.contacts.into(),
                Cell::Percent(b.share),
                b.previous.map_or(Cell::Empty, Cell::from),
                change_cell(b.contacts, b.previous),
                b.complaint_rate.map_or(Cell::Empty, |r| Cell::Number(r, 1)),
            ]);
        }
        sheets.push(breakdown);
    }

    let mut themes = Sheet::new(
        "投诉主题",
        &["类别", "名称", "归属部门", "类型", "本期", "上期", "环比"],
    );
    for c in &input.categories {
        themes.row(vec![
            c.id.clone().into(),
            c.name.clone().into(),
            c.owner.clone().into(),
            if c.complaint { "投诉" } else { "非投诉" }.into(),
            c.current.into(),
            c.previous.into(),
            change_cell(c.current, Some(c.previous)),
        ]);
    }
    sheets.push(themes);

    if !input.top_keywords.is_empty() {
        let mut keywords = Sheet::new(
            "类别关键词",
            &["类别", "名称", "排名", "关键词", "TF-IDF", "提及接触数"],
        );
        for c in &input.top_keywords {
            for (rank, k) in c.keywords.iter().enumerate() {
                keywords.row(vec![
                    c.category_id.clone().into(),
                    c.name.clone().into(),
                    (rank as u64 + 1).into(),
                    k.term.clone().into(),
                    Cell::Number(k.score, 4),
                    k.count.into(),
                ]);
            }
        }
        sheets.push(keywords);
    }

    let baseline_mean = format::baseline_mean_label(&input.period);
    let mut emerging = Sheet::new(
        "新兴问题",
        &[
            "类别",
            "名称",
            "归属部门",
            "本期",
            baseline_mean,
            "倍数",
            "p值",
            "主要地区",
        ],
    );
    let mut verbatims = Sheet::new(
        "代表性原话",
        &["新兴问题", "接触编号", "渠道", "地区", "原话（已脱敏）"],
    );
    for e in &input.emerging {
        let ratio = if e.baseline_mean > 0.0 {
            e.current as f64 / e.baseline_mean
        } else {
            f64::NAN
        };
        let regions: Vec<String> = e
            .top_regions
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        emerging.row(vec![
            e.category_id.clone().into(),
            e.name.clone().into(),
            e.owner.clone().into(),
            e.current.into(),
            Cell::Number(e.baseline_mean, 1),
            Cell::Number(ratio, 1),
            Cell::Number(e.p_value, 6),
            regions.join("、").into(),
        ]);
        for v in &e.verbatims {
            verbatims.row(vec![
                e.name.clone().into(),
                v.contact_id.clone().into(),
                format::channel_label(&v.channel).to_string().into(),
                v.region.clone().into(),
                v.text.clone().into(),
            ]);
        }
    }
    sheets.push(emerging);
    sheets.push(verbatims);

    if !input.new_terms.is_empty() {
        let mut terms = Sheet::new(
            "新词发现",
            &["词语", "本期提及", baseline_mean, "倍数", "p值"],
        );
        for t in &input.new_terms {
            terms.row(vec![
                t.term.clone().into(),
                t.current.into(),
                Cell::Number(t.baseline_mean, 1),
                Cell::Number(t.ratio, 1),
                Cell::Number(t.p_value, 6),
            ]);
        }
        sheets.push(terms);
    }

    let mut sentiment = Sheet::new("情感趋势", &["周期", "情感均值", "负面占比"]);
    for s in &input.sentiment {
        sentiment.row(vec![
            s.period.clone().into(),
            Cell::Number(s.mean_score, 3),
            Cell::Percent(s.negative_share),
        ]);
    }
    sheets.push(sentiment);

    let r = &input.risk;
    let mut risk_counts = Sheet::new("风险汇总", &["风险类型", "本期", "上期", "环比"]);
    for (label, cur, prev) in [
        ("升级投诉风险", r.escalation, r.escalation_previous),
        ("流失倾向", r.churn, r.churn_previous),
    ] {
        risk_counts.row(vec![
            label.into(),
            cur.into(),
            prev.into(),
            change_cell(cur, Some(prev)),
        ]);
    }
    sheets.push(risk_counts);

    let mut risk = Sheet::new(
        "风险观察名单",
        &["接触编号", "风险", "类别", "地区", "摘录（已脱敏）"],
    );
    for w in &r.watch_list {
        let flags: Vec<&str> = w.flags.iter().map(|f| format::flag_label(f)).collect();
        risk.row(vec![
            w.contact_id.clone().into(),
            flags.join("、").into(),
            w.category.clone().into(),
            w.region.clone().into(),
            w.excerpt.clone().into(),
        ]);
    }
    sheets.push(risk);

    if let Some(k) = input.kpi.as_ref().filter(|k| !k.rows.is_empty()) {
        let mut card = Sheet::new(
            "KPI达成",
            &[
                "指标",
                "月份",
                "截至",
                "月度目标",
                "本月累计",
                "状态",
                "当日",
                "当日状态",
                "动态目标",
                "动态目标值",
            ],
        );
        for row in &k.rows {
            card.row(vec![
                row.name.clone().into(),
                k.month.clone().into(),
                k.as_of.clone().into(),
                kpi_cell(&row.unit, Some(row.target)),
                kpi_cell(&row.unit, row.actual),
                opt_text(row.status.as_deref()),
                kpi_cell(&row.unit, row.day_actual),
                opt_text(row.day_status.as_deref()),
                row.dynamic.clone().into(),
                kpi_cell(&row.unit, row.dynamic_value),
            ]);
        }
        sheets.push(card);
        if !k.daily.is_empty() {
            let mut daily = Sheet::new("KPI逐日", &["日期", "指标", "实际", "状态"]);
            for day in &k.daily {
                for (row, v) in k.rows.iter().zip(&day.values) {
                    daily.row(vec![
                        day.date.clone().into(),
                        row.name.clone().into(),
                        kpi_cell(&row.unit, v.actual),
                        opt_text(v.status.as_deref()),
                    ]);
                }
            }
            sheets.push(daily);
        }
    }

    if let Some(f) = input.forecast.as_ref().filter(|f| !f.days.is_empty()) {
        let mut forecast = Sheet::new("话务预测", &["日期", "星期", "类型", "接触量"]);
        for (kind, points) in [("实际", &f.history), ("预测", &f.days)] {
            for p in points {
                forecast.row(vec![
                    p.date.clone().into(),
                    p.weekday.clone().into(),
                    kind.into(),
                    Cell::Number(p.volume, 1),
                ]);
            }
        }
        sheets.push(forecast);
        if !f.staffing.is_empty() {
            let mut staffing = Sheet::new(
                "排班测算",
                &[
                    "日期",
                    "星期",
                    "预测接触量（在线渠道）",
                    "在线坐席（Erlang C）",
                    "服务水平",
                    "排班人数（Erlang C）",
                    "排班人数（简单公式）",
                ],
            );
            for s in &f.staffing {
                staffing.row(vec![
                    s.date.clone().into(),
                    s.weekday.clone().into(),
                    Cell::Number(s.volume, 1),
                    u64::from(s.erlang_agents).into(),
                    Cell::Percent(s.service_level),
                    u64::from(s.erlang_headcount).into(),
                    u64::from(s.simple_headcount).into(),
                ]);
            }
            sheets.push(staffing);
        }
    }

    let mut quality = Sheet::new("数据质量", &["指标", "数量"]);
    for (label, n) in crate::tables::quality_rows(&input.quality) {
        quality.row(vec![label.into(), n.into()]);
    }
    sheets.push(quality);
    sheets
}

/// The report as .xlsx bytes, stamped with the first day of its period.
pub fn render_xlsx(input: &ReportInput) -> Result<Vec<u8>, XlsxError> {
    let created = format::period_start(&input.period).unwrap_or_default();
    write_workbook(&report_sheets(input), created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_bytes_and_one_sheet_per_table() {
        let input = crate::testing::sample_input();
        let a = render_xlsx(&input).unwrap();
        let b = render_xlsx(&input).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[..2], *b"PK");
        let names: Vec<String> = report_sheets(&input).into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "概览",
                "话务量趋势",
                "投诉主题",
                "新兴问题",
                "代表性原话",
                "情感趋势",
                "风险汇总",
                "风险观察名单",
                "数据质量"
            ]
        );
        let full: Vec<String> = report_sheets(&crate::testing::full_input())
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            full,
            [
                "概览",
                "话务量趋势",
                "渠道地区分布",
                "投诉主题",
                "类别关键词",
                "新兴问题",
                "代表性原话",
                "新词发现",
                "情感趋势",
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

    #[test]
    fn widths_count_chinese_as_double() {
        assert_eq!(display_width("宽带ab"), 6);
    }
}
