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
