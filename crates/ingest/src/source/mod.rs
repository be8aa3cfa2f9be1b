//! Readers for the formats exports come in, one file each behind one trait: a [`Source`]
//! turns an input into a stream of [`RawRecord`]s — a record as read, or the reason it
//! could not even be read — with the line or row it came from, so quarantine can point
//! at it. [`FORMATS`] registers each reader with the file extensions `auto` picks it by:
//! a new format is a file here, its variant of [`Format`] and its row there.

mod csv;
mod jsonl;
pub(crate) mod messages;
#[cfg(feature = "parquet")]
mod parquet;
mod xlsx;

use serde_json::Value;
use std::borrow::Cow;
use std::fs::File;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use voc_core::Contact;
use voc_core::fingerprint::HashingReader;

use crate::{IngestError, InputFile};

pub use self::csv::Encoding;
pub(crate) use self::csv::sniff as sniff_encoding;
pub use jsonl::MAX_LINE_BYTES;
pub use messages::{MessageColumns, MessageRowStats};

/// An input's SHA-256 (hex) and size in bytes.
pub type Fingerprint = (String, u64);

/// A reader of one input format.
pub(crate) trait Source: Sync {
    /// Hands `sink` every record of `input`, in order, and returns the input's
    /// fingerprint. Errors name the file.
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError>;

    /// Hands `sink` every record of `bytes`, the whole content of the file `input`
    /// names, exactly as [`Source::read`] reads that file (encoding, BOM, sheet, broken
    /// rows), and returns the bytes' fingerprint: a caller that fetched the file itself
    /// (a Spark task, from any path Hadoop reads) gets the records `voc run` gets.
    fn read_bytes(
        &self,
        input: &InputFile,
        bytes: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError>;
}

/// A format, the file extensions (lower case) `auto` picks it by, and its reader.
struct Registration {
    format: Format,
    extensions: &'static [&'static str],
    source: &'static dyn Source,
}

/// Every format ingest reads. `auto` reads a file whose extension is none of these as
/// JSON Lines.
static FORMATS: &[Registration] = &[
    Registration {
        format: Format::Jsonl,
        extensions: &["jsonl"],
        source: &jsonl::JsonLines,
    },
    Registration {
        format: Format::Csv,
        extensions: &["csv", "tsv", "txt"],
        source: &csv::Csv,
    },
    Registration {
        format: Format::Xlsx,
        extensions: &["xlsx", "xlsm", "xls"],
        source: &xlsx::Workbook,
    },
    #[cfg(feature = "parquet")]
    Registration {
        format: Format::Parquet,
        extensions: &["parquet"],
        source: &parquet::Parquet,
    },
    #[cfg(not(feature = "parquet"))]
    Registration {
        format: Format::Parquet,
        extensions: &["parquet"],
        source: &Unavailable("Parquet input needs voc-ingest's `parquet` feature"),
    },
];

/// Reads one input with its format's reader (see [`Source::read`]): what `voc run`
/// ingests, a record at a time, before validation.
pub fn read(
    input: &InputFile,
    sink: &mut dyn FnMut(RawRecord),
) -> Result<Fingerprint, IngestError> {
    source_of(input)?.read(input, sink)
}

/// Reads a whole file's `bytes` as the file `input` names (see [`Source::read_bytes`]).
pub fn read_bytes(
    input: &InputFile,
    bytes: &[u8],
    sink: &mut dyn FnMut(RawRecord),
) -> Result<Fingerprint, IngestError> {
    source_of(input)?.read_bytes(input, bytes, sink)
}

/// The reader of `input`'s format (its own, or its extension's).
fn source_of(input: &InputFile) -> Result<&'static dyn Source, IngestError> {
    let format = input.format.resolve(&input.path);
    FORMATS
        .iter()
        .find(|r| r.format == format)
        .map(|r| r.source)
        .ok_or_else(|| IngestError::Format(format!("no reader of {format:?} input")))
}

/// Records a caller holds in memory rather than in a file (the Python package's Arrow
/// batches, a Spark task's share of an export), read as the records of an input
/// ([`crate::Ingestor::ingest_in_memory`]).
#[derive(Debug, Clone)]
pub enum InMemory {
    /// Rows of columns, read exactly as a Parquet file's rows (canonical columns
    /// straight into contacts, any other through the input's column map), numbered
    /// from `first`. The one polars type of this crate's API: the Python package
    /// imports Arrow arrays into it.
    #[cfg(feature = "parquet")]
    Frame {
        frame: polars::prelude::DataFrame,
        first: u64,
    },
    /// Lines of a JSON Lines export (without their newlines), read exactly as the lines
    /// of a file, numbered from `first`.
    JsonLines { lines: Vec<String>, first: u64 },
}

/// Hands `sink` every record of `rows`, in order (see [`read`]). An input held in
/// memory has no file to fingerprint: its fingerprint is empty.
pub(crate) fn read_in_memory(
    rows: &InMemory,
    sink: &mut dyn FnMut(RawRecord),
) -> Result<Fingerprint, IngestError> {
    match rows {
        #[cfg(feature = "parquet")]
        InMemory::Frame { frame, first } => parquet::frame_records(frame, *first, sink)?,
        InMemory::JsonLines { lines, first } => {
            for (number, line) in (*first..).zip(lines) {
                let overlong = (line.len() > jsonl::MAX_LINE_BYTES).then_some(line.len() as u64);
                if let Some(record) = jsonl::record_of_line(number, line.as_bytes(), overlong) {
                    sink(record);
                }
            }
        }
    }
    Ok((String::new(), 0))
}

/// Opens an input read front to back (JSON Lines, CSV) for `read`, which fingerprints
/// its bytes as they are read rather than in a pass of their own; errors name the file.
fn read_front_to_back(
    input: &InputFile,
    read: impl FnOnce(&mut HashingReader<File>) -> Result<(), IngestError>,
) -> Result<Fingerprint, IngestError> {
    let name = input.path.display().to_string();
    let read_error = |source| IngestError::Read {
        path: name.clone(),
        source,
    };
    let mut file = HashingReader::new(File::open(&input.path).map_err(read_error)?);
    read(&mut file).map_err(|e| with_path(e, &name))?;
    file.finish().map_err(read_error)
}

/// [`read_front_to_back`] of a file's bytes held in memory: errors name the file, and
/// the fingerprint is the bytes'.
fn read_front_to_back_bytes(
    input: &InputFile,
    bytes: &[u8],
    read: impl FnOnce(&[u8]) -> Result<(), IngestError>,
) -> Result<Fingerprint, IngestError> {
    read(bytes).map_err(|e| with_path(e, &input.path.display().to_string()))?;
    Ok(fingerprint_bytes(bytes))
}

/// The fingerprint of a file's bytes held in memory: what [`fingerprint_file`] gives
/// for the file.
fn fingerprint_bytes(bytes: &[u8]) -> Fingerprint {
    (voc_core::fingerprint::of_bytes(bytes), bytes.len() as u64)
}

/// The fingerprint of a file a format reads out of order (XLSX, Parquet), taken after
/// it is read.
fn fingerprint_file(path: &Path) -> Result<Fingerprint, IngestError> {
    voc_core::fingerprint::of_file_sized(path).map_err(|source| IngestError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn with_path(e: IngestError, path: &str) -> IngestError {
    match e {
        IngestError::Read { source, .. } => IngestError::Read {
            path: path.to_string(),
            source,
        },
        IngestError::Format(m) => IngestError::Format(format!("{path}: {m}")),
        other => other,
    }
}

/// One line of a file read by [`Lines`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    /// 1-based.
    pub number: u64,
    /// The line with its `\n`; only its first `limit + 1` bytes when it is overlong.
    pub bytes: Vec<u8>,
    /// The whole line's length in bytes when it is longer than the limit.
    pub overlong: Option<u64>,
}

/// The lines of a text file, none held longer than a limit: a longer line is skipped
/// through the read buffer to its end, counted but not kept, so that one line of a
/// gigabyte costs no more memory than one of a megabyte.
pub(crate) struct Lines<R> {
    reader: R,
    limit: usize,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R, limit: usize) -> Self {
        Lines {
            reader,
            limit,
            number: 0,
        }
    }

    /// Reads the next line into `line` (its buffer reused); `false` at the end.
    pub(crate) fn read_line(&mut self, line: &mut Line) -> std::io::Result<bool> {
        use std::io::Read;
        line.bytes.clear();
        let cap = self.limit as u64 + 1;
        let n = (&mut self.reader)
            .take(cap)
            .read_until(b'\n', &mut line.bytes)?;
        if n == 0 {
            return Ok(false);
        }
        self.number += 1;
        line.number = self.number;
        line.overlong = None;
        if line.bytes.len() > self.limit {
            let rest = if line.bytes.last() == Some(&b'\n') {
                0
            } else {
                self.reader.skip_until(b'\n')?
            };
            line.overlong = Some(line.bytes.len() as u64 + rest as u64);
        }
        Ok(true)
    }
}

/// The number a typed cell holds (an XLSX numeric cell, a Parquet float) as its digits
/// read: a whole number as an integer (`13812345678`, not `13812345678.0`), so that it
/// gives the id, and the pseudonym, the same digits give in CSV or JSON; beyond 2^53,
/// where a float holds no exact integer, as the text of its digits; any other as a float.
pub(crate) fn cell_number(f: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        Value::from(f as i64)
    } else if f.fract() == 0.0 {
        Value::String(format!("{f}"))
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// A format this build was made without (its cargo feature off).
#[cfg(not(feature = "parquet"))]
struct Unavailable(&'static str);

#[cfg(not(feature = "parquet"))]
impl Source for Unavailable {
    fn read(
        &self,
        input: &InputFile,
        _: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        Err(IngestError::Format(format!(
            "{}: {}",
            input.path.display(),
            self.0
        )))
    }

    fn read_bytes(
        &self,
        input: &InputFile,
        _: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        self.read(input, sink)
    }
}

/// One source record before validation.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Line (JSON Lines, CSV) or row (XLSX, Parquet) number, 1-based.
    pub position: u64,
    /// The record as read, for quarantine (masked before it is written); empty when the
    /// source keeps only the value it read (Parquet), which [`RawRecord::readable`] writes.
    pub raw: String,
    pub(crate) value: RawValue,
}

/// What a source made of a record.
#[derive(Debug, Clone)]
pub(crate) enum RawValue {
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
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Decoded {
        rows: Arc<dyn DecodedRows>,
        row: usize,
    },
}

/// Rows a source decoded together (a batch of a Parquet file), read one at a time.
pub(crate) trait DecodedRows: Send + Sync + std::fmt::Debug {
    /// The row's contact when its fields have their canonical names and types, as
    /// [`crate::record::canonical_contact`] reads a JSON line; `None` for any other.
    fn canonical_contact(&self, row: usize, time_unit: Option<crate::TimeUnit>) -> Option<Contact>;

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
            RawValue::Json => {
                let mut value =
                    serde_json::from_str(&self.raw).map_err(|e| format!("malformed JSON: {e}"))?;
                jsonl::keep_written_integers(&self.raw, &mut value);
                Ok(Cow::Owned(value))
            }
            RawValue::Decoded { .. } => self.decoded().value().map(|v| Cow::Owned(v.into_owned())),
        }
    }

    /// A decoded row as the record the general path reads; any other record as it is.
    pub(crate) fn decoded(&self) -> RawRecord {
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
    /// The name the pipeline file gives it (`csv`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Parquet => "parquet",
        }
    }

    pub fn resolve(self, path: &Path) -> Format {
        if self != Format::Auto {
            return self;
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        FORMATS
            .iter()
            .find(|r| r.extensions.contains(&extension.as_str()))
            .map_or(Format::Jsonl, |r| r.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::Auto.resolve(Path::new("a.CSV")), Format::Csv);
        assert_eq!(Format::Auto.resolve(Path::new("a.xlsx")), Format::Xlsx);
        assert_eq!(Format::Auto.resolve(Path::new("a.jsonl")), Format::Jsonl);
        assert_eq!(Format::Csv.resolve(Path::new("a.jsonl")), Format::Csv);
        assert_eq!(
            Format::Auto.resolve(Path::new("a.parquet")),
            Format::Parquet
        );
        assert_eq!(Format::Auto.resolve(Path::new("export")), Format::Jsonl);
        assert_eq!(Format::Auto.resolve(Path::new("a.ndjson")), Format::Jsonl);
    }
}
