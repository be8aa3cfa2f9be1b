//! Readers for the formats exports come in. Each turns its input into a stream of
//! [`RawRecord`]s — a JSON object, or the reason the row could not even be read — with
//! the line or row it came from, so quarantine can point at it.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use voc_core::Contact;

use crate::IngestError;

/// Longest line kept as a record; a longer one is quarantined without being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One source record before validation.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Line (JSON Lines, CSV) or row (XLSX, Parquet) number, 1-based.
    pub position: u64,
    /// The record as read, for quarantine (masked before it is written); empty when the
    /// source keeps only the value it read (Parquet), which [`RawRecord::readable`] writes.
    pub raw: String,
    pub value: RawValue,
}

/// What a source made of a record.
#[derive(Debug, Clone)]
pub enum RawValue {
    /// Read into a JSON value by the source (CSV, XLSX, Parquet), or why it could not be.
    Read(Result<Value, String>),
    /// A JSON Lines record: `raw` is parsed by [`RawRecord::value`] where records are
    /// processed in parallel, not on the reading thread.
    Json,
    /// One column of the record could not be read (a CSV field that is not valid text
    /// in the file's encoding): quarantined naming that column.
    BadField { field: String, reason: String },
    /// Row `row` of rows a source decoded together, column by column (a Parquet batch):
    /// read where records are processed in parallel, not on the reading thread.
    Decoded {
        rows: Arc<dyn DecodedRows>,
        row: usize,
    },
}

/// Rows a source decoded together (a batch of a Parquet file), read one at a time.
pub trait DecodedRows: Send + Sync + std::fmt::Debug {
    /// The row's contact when its fields have their canonical names and types, as
    /// [`crate::record::canonical_contact`] reads a JSON line; `None` for any other.
    fn canonical_contact(&self, row: usize) -> Option<Contact>;

    /// The row as the record the general path reads (a JSON object, or the column that
    /// cannot be read), at `position`.
    fn record(&self, row: usize, position: u64) -> RawRecord;
}

impl RawRecord {
    /// The record as a JSON value, or why it cannot be read.
    pub fn value(&self) -> Result<Cow<'_, Value>, String> {
        match &self.value {
            RawValue::Read(Ok(v)) => Ok(Cow::Borrowed(v)),
            RawValue::Read(Err(e)) | RawValue::BadField { reason: e, .. } => Err(e.clone()),
            RawValue::Json => serde_json::from_str(&self.raw)
                .map(Cow::Owned)
                .map_err(|e| format!("malformed JSON: {e}")),
            RawValue::Decoded { .. } => self.decoded().value().map(|v| Cow::Owned(v.into_owned())),
        }
    }

    /// A decoded row as the record the general path reads; any other record as it is.
    pub fn decoded(&self) -> RawRecord {
        match &self.value {
            RawValue::Decoded { rows, row } => rows.record(*row, self.position),
            _ => self.clone(),
        }
    }

    /// The record as read, with a JSON line's `\uXXXX` escapes written as the characters
    /// they stand for, so that what masks PII in a quarantined record sees the digits of
    /// `\u0031\u0033\u0038…` or `\uff11…`. Escapes of characters JSON requires escaped
    /// (`"`, `\`, controls), lone surrogates and malformed escapes stay as they are: a
    /// line that was valid JSON still is, with the same value.
    pub fn readable(&self) -> Cow<'_, str> {
        match &self.value {
            RawValue::Json if self.raw.contains("\\u") => decode_unicode_escapes(&self.raw),
            // A source that read the record into a value and kept no text of it (Parquet):
            // the value, written out only when a record is quarantined.
            RawValue::Read(Ok(value)) if self.raw.is_empty() => Cow::Owned(value.to_string()),
            RawValue::Decoded { .. } => Cow::Owned(self.decoded().readable().into_owned()),
            _ => Cow::Borrowed(&self.raw),
        }
    }

    /// The source column a read error is about ("" when it is about the whole record).
    pub fn error_field(&self) -> Cow<'_, str> {
        match &self.value {
            RawValue::BadField { field, .. } => Cow::Borrowed(field),
            RawValue::Decoded { .. } => Cow::Owned(self.decoded().error_field().into_owned()),
            _ => Cow::Borrowed(""),
        }
    }
}

/// See [`RawRecord::readable`].
fn decode_unicode_escapes(line: &str) -> Cow<'_, str> {
    fn hex4(bytes: &[u8]) -> Option<u32> {
        let digits = std::str::from_utf8(bytes.get(..4)?).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        // `\\` is an escaped backslash: what follows it is text, not an escape.
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let Some(unit) = hex4(&bytes[i + 2..]) else {
            i += 2;
            continue;
        };
        let (decoded, len) = match unit {
            0xD800..=0xDBFF => {
                let low = (bytes.get(i + 6..i + 8) == Some(b"\\u"))
                    .then(|| hex4(&bytes[i + 8..]))
                    .flatten()
                    .filter(|low| (0xDC00..=0xDFFF).contains(low));
                match low {
                    Some(low) => (
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)),
                        12,
                    ),
                    None => (None, 6),
                }
            }
            _ => (char::from_u32(unit), 6),
        };
        match decoded {
            Some(c) if c >= ' ' && c != '"' && c != '\\' && c != '\u{7f}' => {
                out.push_str(&line[copied..i]);
                out.push(c);
                copied = i + len;
            }
            _ => {}
        }
        i += len;
    }
    if copied == 0 {
        return Cow::Borrowed(line);
    }
    out.push_str(&line[copied..]);
    Cow::Owned(out)
}

/// Input formats; `Auto` picks by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Auto,
    Jsonl,
    Csv,
    Xlsx,
    Parquet,
}

impl Format {
    pub fn resolve(self, path: &Path) -> Format {
        if self != Format::Auto {
            return self;
        }
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref()
        {
            Some("csv" | "tsv" | "txt") => Format::Csv,
            Some("xlsx" | "xlsm" | "xls") => Format::Xlsx,
            Some("parquet") => Format::Parquet,
            _ => Format::Jsonl,
        }
    }
}

/// Text encodings of CSV exports; `Auto` sniffs (UTF-8 if the bytes are valid UTF-8,
/// otherwise GB18030, the superset of GBK that Excel in mainland China writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    Gbk,
    Gb18030,
}

/// JSON Lines, streamed line by line.
pub fn read_jsonl(reader: impl Read, mut sink: impl FnMut(RawRecord)) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line_no = 0u64;
    loop {
        let mut buf = Vec::new();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if buf.len() > MAX_LINE_BYTES {
            sink(RawRecord {
                position: line_no,
                raw: String::from_utf8_lossy(&buf[..4096]).into_owned(),
                value: RawValue::Read(Err(format!(
                    "line is {} bytes, longer than the {MAX_LINE_BYTES} byte limit",
                    buf.len()
                ))),
            });
            continue;
        }
        let record = match std::str::from_utf8(&buf) {
            Ok(text) => {
                let text = text.trim_start_matches('\u{FEFF}').trim();
                RawRecord {
                    position: line_no,
                    raw: text.to_string(),
                    value: RawValue::Json,
                }
            }
            Err(e) => RawRecord {
                position: line_no,
                raw: String::from_utf8_lossy(&buf).into_owned(),
                value: RawValue::Read(Err(format!(
                    "invalid UTF-8 at byte {} (is the file GBK? set encoding in the pipeline file)",
                    e.valid_up_to()
                ))),
            },
        };
        sink(record);
    }
    Ok(())
}

/// CSV with a header row, in UTF-8 (with or without BOM) or GBK/GB18030, streamed.
///
/// GBK and GB18030 are parsed as bytes and each field decoded on its own: no byte of a
/// multi-byte character is a comma, quote or line break, so the CSV structure reads the
/// same, and a field with an invalid byte sequence quarantines its row with the column
/// named instead of reaching the history with U+FFFD in its text.
pub fn read_csv(
    reader: impl Read,
    encoding: Encoding,
    mut sink: impl FnMut(RawRecord),
) -> Result<(), IngestError> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let head = reader.fill_buf().map_err(IngestError::io)?.to_vec();
    let encoding = match encoding {
        Encoding::Auto => sniff(&head),
        other => other,
    };
    let legacy = matches!(encoding, Encoding::Gbk | Encoding::Gb18030);
    let lossy = |bytes: &[u8]| -> String {
        if legacy {
            encoding_rs::GB18030
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(CrlfAsLf {
            inner: reader,
            held_cr: false,
        });
    let headers: Vec<String> = csv
        .byte_headers()
        .map_err(|e| IngestError::Format(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| lossy(h).trim_start_matches('\u{FEFF}').trim().to_string())
        .collect();
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let position = record.position().map_or(0, |p| p.line());
                let raw = lossy(record.as_slice());
                let value = if record.len() != headers.len() {
                    RawValue::Read(Err(format!(
                        "row has {} fields, the header has {}",
                        record.len(),
                        headers.len()
                    )))
                } else {
                    row_object(&headers, &record, legacy)
                };
                sink(RawRecord {
                    position,
                    raw,
                    value,
                });
            }
            Err(e) => {
                let position = e.position().map_or(0, |p| p.line());
                sink(RawRecord {
                    position,
                    raw: String::new(),
                    value: RawValue::Read(Err(format!("malformed CSV: {e}"))),
                });
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// One row as a JSON object of its columns; `legacy`: the bytes are GB18030 (GBK).
fn row_object(headers: &[String], record: &csv::ByteRecord, legacy: bool) -> RawValue {
    let mut obj = Map::new();
    for (i, (name, field)) in headers.iter().zip(record.iter()).enumerate() {
        let text = if legacy {
            encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(field)
        } else {
            std::str::from_utf8(field).ok().map(Cow::Borrowed)
        };
        let Some(text) = text else {
            let reason = if legacy {
                format!(
                    "column {name:?} (field {}) has bytes that are not valid GBK/GB18030",
                    i + 1
                )
            } else {
                format!(
                    "column {name:?} (field {}) is not valid UTF-8 (is the file GBK?)",
                    i + 1
                )
            };
            return RawValue::BadField {
                field: name.clone(),
                reason,
            };
        };
        obj.insert(name.clone(), Value::String(text.into_owned()));
    }
    RawValue::Read(Ok(Value::Object(obj)))
}

fn sniff(head: &[u8]) -> Encoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut at the end of the sniffed block is still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    }
}

/// Reads `\r\n` as `\n`. The csv crate dates a record that follows a CRLF from before
/// its `\n`, so every row of a Windows export was reported one line early. Inside a
/// quoted field the `\r` goes too; normalization turns line breaks into spaces anyway.
struct CrlfAsLf<R> {
    inner: R,
    /// A `\r` that ended the last buffer: dropped if a `\n` comes next.
    held_cr: bool,
}

impl<R: BufRead> Read for CrlfAsLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if std::mem::take(&mut self.held_cr) {
                    out[written] = b'\r';
                    written += 1;
                }
                break;
            }
            if std::mem::take(&mut self.held_cr) && buf[0] != b'\n' {
                out[written] = b'\r';
                written += 1;
                continue;
            }
            let mut used = 0;
            while used < buf.len() && written < out.len() {
                let b = buf[used];
                used += 1;
                if b == b'\r' {
                    match buf.get(used) {
                        Some(b'\n') => continue,
                        None => {
                            self.held_cr = true;
                            break;
                        }
                        Some(_) => {}
                    }
                }
                out[written] = b;
                written += 1;
            }
            self.inner.consume(used);
            if written > 0 && !self.held_cr {
                break;
            }
        }
        Ok(written)
    }
}

/// XLSX (and the other workbook formats calamine reads): the named sheet (or the
/// first), header in its first row. An .xlsx sheet is streamed cell by cell and handed
/// on a row at a time: held whole, a sheet of a million rows took twice the memory of
/// the rest of a run. The others (.xls, .xlsb, .ods) are read whole.
pub fn read_xlsx(
    path: &Path,
    sheet: Option<&str>,
    mut sink: impl FnMut(RawRecord),
) -> Result<(), IngestError> {
    use calamine::{Data, Reader, Sheets};
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
        IngestError::Format(format!("{}: cannot open workbook: {e}", path.display()))
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(IngestError::Format(format!(
                "{}: no sheet named {s:?} (sheets: {})",
                path.display(),
                names.join(", ")
            )));
        }
        None => names.first().cloned().ok_or_else(|| {
            IngestError::Format(format!("{}: workbook has no sheets", path.display()))
        })?,
    };
    let sheet_error = |e: &dyn std::fmt::Display| {
        IngestError::Format(format!("{}: sheet {name:?}: {e}", path.display()))
    };
    let mut rows = SheetRows::default();
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            let mut cells = xlsx
                .worksheet_cells_reader(&name)
                .map_err(|e| sheet_error(&e))?;
            let mut row: Vec<(u32, Data)> = Vec::new();
            let mut row_index = None;
            while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(&e))? {
                let (r, c) = cell.get_position();
                if row_index != Some(r) {
                    if let Some(done) = row_index {
                        rows.row(done, &row, &mut sink);
                    }
                    row.clear();
                    row_index = Some(r);
                }
                row.push((c, Data::from(cell.get_value().clone())));
            }
            if let Some(done) = row_index {
                rows.row(done, &row, &mut sink);
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(|e| sheet_error(&e))?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            for (i, cells) in range.rows().enumerate() {
                let row: Vec<(u32, Data)> = cells
                    .iter()
                    .enumerate()
                    .map(|(j, cell)| (first_column + j as u32, cell.clone()))
                    .collect();
                rows.row(first_row + i as u32, &row, &mut sink);
            }
        }
    }
    Ok(())
}

/// A sheet's rows as records: the first row with a value is the header, naming each
/// column; every later row with a value is a record (`position` is its row number in
/// the sheet, 1-based).
#[derive(Default)]
struct SheetRows {
    /// Column index and name of each header cell, in column order.
    headers: Option<Vec<(u32, String)>>,
}

impl SheetRows {
    /// Row `index` (0-based), its cells (column index, value) in column order.
    fn row(
        &mut self,
        index: u32,
        cells: &[(u32, calamine::Data)],
        sink: &mut impl FnMut(RawRecord),
    ) {
        use calamine::Data;
        if cells.iter().all(|(_, c)| matches!(c, Data::Empty)) {
            return;
        }
        let Some(headers) = &self.headers else {
            self.headers = Some(
                cells
                    .iter()
                    .map(|(column, c)| (*column, c.to_string().trim().to_string()))
                    .collect(),
            );
            return;
        };
        let mut obj = Map::new();
        let mut error = None;
        let mut raw = Vec::with_capacity(headers.len());
        let mut next = cells.iter().peekable();
        for (column, name) in headers {
            while next.next_if(|(c, _)| c < column).is_some() {}
            let cell = next.next_if(|(c, _)| c == column).map(|(_, cell)| cell);
            raw.push(cell.map(|c| c.to_string()).unwrap_or_default());
            let value = match cell {
                None | Some(Data::Empty) => Value::Null,
                Some(Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s)) => {
                    Value::String(s.clone())
                }
                Some(Data::Int(n)) => Value::from(*n),
                Some(Data::Float(f)) => {
                    serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
                }
                Some(Data::Bool(b)) => Value::Bool(*b),
                // Excel stores dates as serial days; the time parser understands them.
                Some(Data::DateTime(d)) => {
                    serde_json::Number::from_f64(d.as_f64()).map_or(Value::Null, Value::Number)
                }
                Some(Data::Error(e)) => {
                    error.get_or_insert_with(|| {
                        (
                            name.clone(),
                            format!("cell {name:?} holds an Excel error ({e:?})"),
                        )
                    });
                    Value::Null
                }
            };
            obj.insert(name.clone(), value);
        }
        sink(RawRecord {
            position: u64::from(index) + 1,
            raw: raw.join(","),
            value: match error {
                Some((field, reason)) => RawValue::BadField { field, reason },
                None => RawValue::Read(Ok(Value::Object(obj))),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streamed cells come sparse (an empty cell is not written): each header column
    /// still gets its key, cells are matched by column, blank rows are skipped.
    #[test]
    fn sheet_rows_match_sparse_cells_to_header_columns() {
        use calamine::{CellErrorType, Data};
        let text = |s: &str| Data::String(s.into());
        let mut rows = SheetRows::default();
        let mut out = Vec::new();
        let mut sink = |r: RawRecord| out.push(r);
        // Row 1 blank, the header on row 2 from column B, records on rows 3 and 5.
        rows.row(0, &[(0, Data::Empty)], &mut sink);
        rows.row(
            1,
            &[(1, text(" id ")), (2, text("channel")), (4, text("text"))],
            &mut sink,
        );
        rows.row(
            2,
            &[(1, text("X1")), (3, text("ignored")), (4, text("断网"))],
            &mut sink,
        );
        rows.row(3, &[], &mut sink);
        rows.row(
            4,
            &[(2, Data::Error(CellErrorType::NA)), (4, Data::Int(7))],
            &mut sink,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].position, 3);
        assert_eq!(
            out[0].value().unwrap().into_owned(),
            serde_json::json!({"id": "X1", "channel": null, "text": "断网"})
        );
        assert_eq!(out[0].raw, "X1,,断网");
        assert_eq!(out[1].position, 5);
        assert_eq!(out[1].error_field(), "channel");
        assert!(out[1].value().unwrap_err().contains("Excel error"));
    }

    #[test]
    fn unicode_escapes_are_decoded_where_json_allows_the_character() {
        let line = r#"{"t":"\u0031\u0033\u0038 \uFF11 \ud83d\ude00 \u0022 \u000a \u005c \\u0031 \ud800 \u12"}"#;
        assert_eq!(
            decode_unicode_escapes(line),
            r#"{"t":"138 １ 😀 \u0022 \u000a \u005c \\u0031 \ud800 \u12"}"#
        );
        assert!(matches!(
            decode_unicode_escapes(r#"{"t":"\\u0031 \n"}"#),
            Cow::Borrowed(_)
        ));
        // A record not read from JSON Lines keeps its text.
        let csv = RawRecord {
            position: 1,
            raw: r"\u0031".into(),
            value: RawValue::Read(Err("x".into())),
        };
        assert_eq!(csv.readable(), r"\u0031");
    }

    /// A JSON line with every character escaped reads as the same value once decoded,
    /// with escapes left only where JSON requires them.
    #[test]
    fn decoding_escapes_keeps_a_json_line_valid_and_its_value() {
        let text = "客户说\"手机１３８\"\\n\u{1}\u{7f}\u{1F600}𠀀 a\\u0031\t";
        let mut escaped = String::from("{\"t\":\"");
        for unit in text.encode_utf16() {
            escaped.push_str(&format!("\\u{unit:04x}"));
        }
        escaped.push_str("\"}");
        let before: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        let decoded = decode_unicode_escapes(&escaped);
        let after: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(before, after);
        assert_eq!(after["t"], text);
        let left: Vec<&str> = decoded
            .match_indices("\\u")
            .map(|(i, _)| &decoded[i..i + 6])
            .collect();
        assert_eq!(
            left,
            [
                "\\u0022", "\\u0022", "\\u005c", "\\u0001", "\\u007f", "\\u005c", "\\u0009"
            ]
        );
    }

    fn collect_csv(bytes: &[u8]) -> Vec<RawRecord> {
        let mut out = Vec::new();
        read_csv(bytes, Encoding::Auto, |r| out.push(r)).unwrap();
        out
    }

    #[test]
    fn csv_utf8_with_bom_and_gbk_read_the_same() {
        let text = "工单编号,内容\nW1,宽带断网\nW2,话费有问题\n";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        for bytes in [text.as_bytes().to_vec(), bom, gbk.into_owned()] {
            let rows = collect_csv(&bytes);
            assert_eq!(rows.len(), 2);
            let obj = rows[0].value().unwrap();
            assert_eq!(obj["工单编号"], "W1");
            assert_eq!(obj["内容"], "宽带断网");
            assert_eq!(rows[1].position, 3);
        }
    }

    #[test]
    fn gbk_row_with_an_invalid_byte_sequence_is_refused_naming_its_column() {
        let mut bytes = encoding_rs::GBK
            .encode("工单编号,内容\nW1,宽带断网\nW2,")
            .0
            .into_owned();
        // 0x81 opens a two-byte character; a space cannot end it.
        bytes.extend_from_slice(&[0x81, b' ']);
        bytes.extend_from_slice(&encoding_rs::GBK.encode("话费\nW3,光猫红灯\n").0);
        let rows = collect_csv(&bytes);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].value().unwrap()["内容"], "宽带断网");
        let err = rows[1].value().unwrap_err();
        assert!(err.contains("内容") && err.contains("GBK"), "{err}");
        assert_eq!(rows[1].error_field(), "内容");
        assert_eq!(rows[1].position, 3);
        assert_eq!(rows[2].value().unwrap()["内容"], "光猫红灯");
        // Explicitly GBK reads the same.
        let mut explicit = Vec::new();
        read_csv(&bytes[..], Encoding::Gbk, |r| explicit.push(r)).unwrap();
        assert!(explicit[1].value().is_err() && explicit[2].value().is_ok());
    }

    #[test]
    fn crlf_rows_are_reported_on_their_own_lines() {
        let rows = collect_csv("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4\r\n5,6\r\n".as_bytes());
        let lines: Vec<u64> = rows.iter().map(|r| r.position).collect();
        assert_eq!(lines, [2, 3, 5, 6]);
        assert_eq!(rows[1].value().unwrap()["a"], "x\ny");
        assert!(rows[2].value().unwrap_err().contains("1 fields"));
    }

    #[test]
    fn crlf_split_across_reads_and_lone_cr_survive() {
        // One byte at a time: every `\r` ends a buffer.
        let text = b"a\r\nb\rc\r\r\n\r";
        let reader = std::io::BufReader::with_capacity(1, &text[..]);
        let mut out = Vec::new();
        CrlfAsLf {
            inner: reader,
            held_cr: false,
        }
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, b"a\nb\rc\r\n\r");
    }

    #[test]
    fn csv_ragged_row_is_reported_with_its_line() {
        let rows = collect_csv("a,b\n1,2\n3\n4,5\n".as_bytes());
        assert_eq!(rows.len(), 3);
        assert!(rows[1].value().unwrap_err().contains("1 fields"));
        assert_eq!(rows[1].position, 3);
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::Auto.resolve(Path::new("a.CSV")), Format::Csv);
        assert_eq!(Format::Auto.resolve(Path::new("a.xlsx")), Format::Xlsx);
        assert_eq!(Format::Auto.resolve(Path::new("a.jsonl")), Format::Jsonl);
        assert_eq!(Format::Csv.resolve(Path::new("a.jsonl")), Format::Csv);
    }
}
