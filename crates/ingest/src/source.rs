//! Readers for the formats exports come in. Each turns its input into a stream of
//! [`RawRecord`]s — a JSON object, or the reason the row could not even be read — with
//! the line or row it came from, so quarantine can point at it.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::IngestError;

/// Longest line kept as a record; a longer one is quarantined without being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One source record before validation.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Line (JSON Lines, CSV) or row (XLSX, Parquet) number, 1-based.
    pub position: u64,
    /// The record as read, for quarantine (masked before it is written).
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
}

impl RawRecord {
    /// The record as a JSON value, or why it cannot be read.
    pub fn value(&self) -> Result<Cow<'_, Value>, String> {
        match &self.value {
            RawValue::Read(Ok(v)) => Ok(Cow::Borrowed(v)),
            RawValue::Read(Err(e)) => Err(e.clone()),
            RawValue::Json => serde_json::from_str(&self.raw)
                .map(Cow::Owned)
                .map_err(|e| format!("malformed JSON: {e}")),
        }
    }
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
    let decoded: Box<dyn Read> = match encoding {
        Encoding::Gbk | Encoding::Gb18030 => {
            Box::new(DecodingReader::new(reader, encoding_rs::GB18030))
        }
        _ => Box::new(reader),
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(decoded);
    let headers: Vec<String> = csv
        .byte_headers()
        .map_err(|e| IngestError::Format(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{FEFF}')
                .trim()
                .to_string()
        })
        .collect();
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let position = record.position().map_or(0, |p| p.line());
                let raw = String::from_utf8_lossy(record.as_slice()).into_owned();
                let value = if record.len() != headers.len() {
                    Err(format!(
                        "row has {} fields, the header has {}",
                        record.len(),
                        headers.len()
                    ))
                } else {
                    row_object(&headers, &record)
                };
                sink(RawRecord {
                    position,
                    raw,
                    value: RawValue::Read(value),
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

fn row_object(headers: &[String], record: &csv::ByteRecord) -> Result<Value, String> {
    let mut obj = Map::new();
    for (i, (name, field)) in headers.iter().zip(record.iter()).enumerate() {
        let text = std::str::from_utf8(field).map_err(|_| {
            format!(
                "column {:?} (field {}) is not valid UTF-8 (is the file GBK?)",
                name,
                i + 1
            )
        })?;
        obj.insert(name.clone(), Value::String(text.to_string()));
    }
    Ok(Value::Object(obj))
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

/// Decodes a legacy encoding to UTF-8 on the fly, so large GBK files stream too.
struct DecodingReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> DecodingReader<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            output: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos == self.output.len() {
            if self.eof {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            self.eof = n == 0;
            let mut text = String::with_capacity(n * 3 / 2 + 16);
            let max = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 4 + 16);
            text.reserve(max);
            let (_, _, _) = self
                .decoder
                .decode_to_string(&self.input[..n], &mut text, self.eof);
            self.output = text.into_bytes();
            self.out_pos = 0;
        }
        let n = buf.len().min(self.output.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// XLSX: the named sheet (or the first), header in the first row.
pub fn read_xlsx(
    path: &Path,
    sheet: Option<&str>,
    mut sink: impl FnMut(RawRecord),
) -> Result<(), IngestError> {
    use calamine::{Data, Reader};
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
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| IngestError::Format(format!("{}: sheet {name:?}: {e}", path.display())))?;
    let mut rows = range.rows();
    let headers: Vec<String> = match rows.next() {
        Some(row) => row
            .iter()
            .map(|c| c.to_string().trim().to_string())
            .collect(),
        None => return Ok(()),
    };
    let first_row = range.start().map_or(0, |(r, _)| r) as u64 + 1;
    for (i, row) in rows.enumerate() {
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut obj = Map::new();
        let mut error = None;
        for (name, cell) in headers.iter().zip(row) {
            let value = match cell {
                Data::Empty => Value::Null,
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                    Value::String(s.clone())
                }
                Data::Int(n) => Value::from(*n),
                Data::Float(f) => {
                    serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
                }
                Data::Bool(b) => Value::Bool(*b),
                // Excel stores dates as serial days; the time parser understands them.
                Data::DateTime(d) => {
                    serde_json::Number::from_f64(d.as_f64()).map_or(Value::Null, Value::Number)
                }
                Data::Error(e) => {
                    error.get_or_insert_with(|| {
                        format!("cell {name:?} holds an Excel error ({e:?})")
                    });
                    Value::Null
                }
            };
            obj.insert(name.clone(), value);
        }
        let raw = row
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        sink(RawRecord {
            position: first_row + 1 + i as u64,
            raw,
            value: RawValue::Read(match error {
                Some(e) => Err(e),
                None => Ok(Value::Object(obj)),
            }),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
