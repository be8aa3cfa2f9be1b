//! Exports of every hit of a search, as CSV (UTF-8 with a BOM, so Excel opens Chinese
//! text correctly) and XLSX (through `voc_report::xlsx`, the one owner of the
//! spreadsheet writer).

use std::io::Write;
use voc_index::{ContactIndex, ExportRow, IndexError, SearchRequest};

/// Most rows an export holds: an Excel sheet has 1,048,576 rows, header included.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format for a file name (`hits.csv`, `hits.xlsx`), if it names one.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] voc_report::xlsx::XlsxError),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub total: usize,
    pub rows: usize,
}

/// A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`) is
/// prefixed with `'`: exported verbatims are customer input and must not execute.
fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

fn csv_field(out: &mut Vec<u8>, value: &str) {
    let value = safe_cell(value);
    if value.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

fn csv_line(out: &mut Vec<u8>, fields: &[&str], score: Option<f64>) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, field);
    }
    if let Some(score) = score {
        out.extend_from_slice(format!(",{score:.3}").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// The Chinese label of a channel code, as the search page shows it (`voice` → 电话).
pub use voc_core::channel::label as channel_label;

/// The Chinese label of a sentiment class, as the search page shows it.
pub fn sentiment_label(value: &str) -> &str {
    match value {
        "negative" => "负面",
        "neutral" => "中性",
        "positive" => "正面",
        other => other,
    }
}

/// The Chinese label of a risk or quality flag, as the report names it.
pub use voc_core::flag::label as risk_label;

/// A row as the client reads it: channels (by the pipeline's `[report] channel_names`
/// where it names them, as the report does), sentiment and flags in Chinese instead of
/// the codes the index stores; region, business and categories as they were recorded.
fn labeled(index: &ContactIndex, mut row: ExportRow) -> ExportRow {
    row.channel = index.channel_name(&row.channel).to_string();
    row.sentiment = sentiment_label(&row.sentiment).to_string();
    row.risk = row
        .risk
        .split("; ")
        .filter(|flag| !flag.is_empty())
        .map(risk_label)
        .collect::<Vec<_>>()
        .join("; ");
    row
}

/// Every label the search page shows, by field and stored value: the channels voc knows
/// and those the pipeline names, sentiment classes and flags. The page has no table of
/// its own, so it names things exactly as exports and the report do.
pub fn labels(index: &ContactIndex) -> serde_json::Value {
    let mut channel: serde_json::Map<String, serde_json::Value> = voc_core::channel::CHANNELS
        .iter()
        .map(|c| (c.code.to_string(), c.label.into()))
        .collect();
    for (value, name) in index.channel_names() {
        channel.insert(value.clone(), name.as_str().into());
    }
    let sentiment: serde_json::Map<String, serde_json::Value> = ["negative", "neutral", "positive"]
        .iter()
        .map(|v| (v.to_string(), sentiment_label(v).into()))
        .collect();
    let risk: serde_json::Map<String, serde_json::Value> = voc_core::flag::FLAGS
        .iter()
        .map(|(code, name)| (code.to_string(), (*name).into()))
        .collect();
    serde_json::json!({"channel": channel, "sentiment": sentiment, "risk": risk})
}

fn text_fields(row: &ExportRow) -> [&str; 10] {
    [
        &row.id,
        &row.started_at,
        &row.week,
        &row.channel,
        &row.region,
        &row.business,
        &row.categories,
        &row.sentiment,
        &row.risk,
        &row.text,
    ]
}

/// Text headers in [`text_fields`] order; the numeric score column comes last.
const CSV_HEADERS: [&str; 10] = [
    "编号", "时间", "周", "渠道", "地区", "业务", "分类", "情感", "风险", "文本",
];
const SCORE_HEADER: &str = "情感分值";

/// Writes every hit as CSV to `out`, flushing as it goes (so a server can stream it).
pub fn write_csv(
    index: &ContactIndex,
    request: &SearchRequest,
    out: &mut dyn Write,
) -> Result<Exported, ExportError> {
    let mut buffer = Vec::with_capacity(64 << 10);
    buffer.extend_from_slice("\u{FEFF}".as_bytes());
    let mut headers: Vec<&str> = CSV_HEADERS.to_vec();
    headers.push(SCORE_HEADER);
    csv_line(&mut buffer, &headers, None);
    let result = index.export(request, MAX_EXPORT_ROWS, |row| -> std::io::Result<()> {
        let row = labeled(index, row);
        csv_line(&mut buffer, &text_fields(&row), Some(row.sentiment_score));
        if buffer.len() >= 60 << 10 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
        Ok(())
    })?;
    let (total, rows) = result?;
    out.write_all(&buffer)?;
    out.flush()?;
    Ok(Exported { total, rows })
}

/// Builds an XLSX workbook of every hit: one sheet, a bold frozen header with a filter,
/// rows streamed to a temporary file rather than held in memory.
pub fn xlsx_bytes(
    index: &ContactIndex,
    request: &SearchRequest,
) -> Result<(Vec<u8>, Exported), ExportError> {
    use voc_report::xlsx::Cell;
    let mut headers: Vec<&str> = CSV_HEADERS.to_vec();
    headers.push(SCORE_HEADER);
    let widths = [
        20.0, 26.0, 10.0, 10.0, 8.0, 8.0, 28.0, 8.0, 14.0, 80.0, 10.0,
    ];
    let mut exported = Exported { total: 0, rows: 0 };
    let bytes = voc_report::xlsx::write_streaming("检索结果", &headers, &widths, |sheet| {
        let result = index.export(request, MAX_EXPORT_ROWS, |row| {
            let row = labeled(index, row);
            // Cells are written as text, never as formulas; the prefix is for CSV parity.
            let mut cells: Vec<Cell> = text_fields(&row)
                .iter()
                .map(|v| Cell::Text(safe_cell(v).into_owned()))
                .collect();
            cells.push(Cell::Number(row.sentiment_score, 3));
            sheet.row(&cells)
        })?;
        let (total, rows) = result?;
        exported = Exported { total, rows };
        Ok::<(), ExportError>(())
    })?;
    Ok((bytes, exported))
}

/// Writes the export to a file, in the format its extension names.
pub fn export_to_file(
    index: &ContactIndex,
    request: &SearchRequest,
    path: &std::path::Path,
) -> Result<Exported, ExportError> {
    let format = Format::from_path(path).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{}: the export file must end in .csv or .xlsx",
                path.display()
            ),
        )
    })?;
    // Written to a sibling and renamed, so a failed export leaves no half file.
    let tmp = path.with_extension(format!("{}.partial", format.extension()));
    let exported = match format {
        Format::Csv => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            write_csv(index, request, &mut file)?
        }
        Format::Xlsx => {
            let (bytes, exported) = xlsx_bytes(index, request)?;
            std::fs::write(&tmp, bytes)?;
            exported
        }
    };
    std::fs::rename(&tmp, path)?;
    Ok(exported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(channel: &str, sentiment: &str, risk: &str) -> ExportRow {
        ExportRow {
            id: "C1".into(),
            started_at: "2026-11-15T09:00:00+08:00".into(),
            week: "2026-W46".into(),
            channel: channel.into(),
            region: "广东".into(),
            business: "宽带".into(),
            categories: "网络质量/宽带断网".into(),
            sentiment: sentiment.into(),
            sentiment_score: -0.5,
            risk: risk.into(),
            text: "断网了".into(),
        }
    }

    /// The sample index with `[report] channel_names` saved as a run saves them.
    fn index_naming(dir: &std::path::Path, names: &[(&str, &str)]) -> ContactIndex {
        drop(voc_index::testing::sample_index(dir).unwrap());
        let names = names
            .iter()
            .map(|(v, n)| (v.to_string(), n.to_string()))
            .collect();
        voc_index::save_channel_names(dir, &names).unwrap();
        ContactIndex::open(dir).unwrap()
    }

    #[test]
    fn exported_values_are_chinese_labels_not_codes() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_naming(
            dir.path(),
            &[("门店", "线下门店"), ("app_chat", "APP 在线")],
        );
        let labeled = |r| labeled(&index, r);
        let out = labeled(row("voice", "negative", "escalation; no_greeting"));
        assert_eq!(out.channel, "电话");
        assert_eq!(out.sentiment, "负面");
        assert_eq!(out.risk, "升级风险; 未问候");
        // Region, business and categories stay as recorded.
        assert_eq!(
            (out.region.as_str(), out.business.as_str()),
            ("广东", "宽带")
        );
        assert_eq!(labeled(row("chat", "positive", "")).channel, "在线客服");
        assert_eq!(labeled(row("chat", "positive", "")).risk, "");
        // An alias maps onto its channel's label; a value the pipeline names gets its
        // name, as in the report; any other passes through.
        assert_eq!(labeled(row("weibo", "neutral", "")).channel, "社交媒体");
        assert_eq!(labeled(row("app_chat", "neutral", "")).channel, "APP 在线");
        assert_eq!(labeled(row("门店", "neutral", "churn")).channel, "线下门店");
        assert_eq!(labeled(row("柜台", "neutral", "churn")).channel, "柜台");
        assert_eq!(labeled(row("柜台", "neutral", "churn")).risk, "流失倾向");
        // The page's labels are the same names.
        let labels = labels(&index);
        assert_eq!(labels["channel"]["voice"], "电话");
        assert_eq!(labels["channel"]["app_chat"], "APP 在线");
        assert_eq!(labels["risk"]["churn"], "流失倾向");
        assert_eq!(labels["sentiment"]["neutral"], "中性");
    }
}
