//! CSV with a header row, in UTF-8 (with or without BOM) or GBK/GB18030, streamed a line
//! at a time: no line or record is held beyond [`MAX_LINE_BYTES`], and a quote left open
//! cannot swallow the rows after it (see [`Records`]).

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use super::{
    Fingerprint, Line, Lines, RawRecord, RawValue, Source, read_front_to_back,
    read_front_to_back_bytes,
};
use crate::{IngestError, InputFile, MAX_LINE_BYTES};

pub(super) struct Csv;

impl Source for Csv {
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_front_to_back(input, |file| read_csv(file, input.encoding, sink))
    }

    fn read_bytes(
        &self,
        input: &InputFile,
        bytes: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_front_to_back_bytes(input, bytes, |bytes| read_csv(bytes, input.encoding, sink))
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

/// The field delimiter of every CSV read.
const DELIMITER: u8 = b',';

/// Most lines a quoted field may run across. A transcript cell with a line per turn
/// stays far below; a quote left open reaches it within a screen of rows when nothing
/// else gives it away.
pub(super) const MAX_QUOTED_FIELD_LINES: usize = 1000;

/// GBK and GB18030 are parsed as bytes and each field decoded on its own: no byte of a
/// multi-byte character is a comma, quote or line break, so the CSV structure reads the
/// same, and a field with an invalid byte sequence quarantines its row with the column
/// named instead of reaching the history with U+FFFD in its text.
fn read_csv(
    reader: impl Read,
    encoding: Encoding,
    sink: &mut dyn FnMut(RawRecord),
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
    let mut headers: Option<Vec<String>> = None;
    let mut header_error = None;
    let mut joined = Vec::new();
    Records::new(reader)
        .read(&mut |item| {
            if header_error.is_some() {
                return;
            }
            let Some(headers) = &headers else {
                match item {
                    Item::Record { fields, .. } => {
                        headers = Some(
                            fields
                                .iter()
                                .map(|h| lossy(h).trim_start_matches('\u{FEFF}').trim().to_string())
                                .collect(),
                        );
                    }
                    Item::Refused { reason, .. } => {
                        header_error.get_or_insert(reason);
                    }
                }
                return;
            };
            let record = match item {
                Item::Record { line, fields } => {
                    // The fields joined with the delimiter, as an XLSX row's cells are: glued
                    // together, a mobile between two fields ending and starting with digits
                    // was no number to the masks, and a quarantined row showed it whole.
                    joined.clear();
                    for (i, field) in fields.iter().enumerate() {
                        if i > 0 {
                            joined.push(DELIMITER);
                        }
                        joined.extend_from_slice(field);
                    }
                    let value = if fields.len() != headers.len() {
                        RawValue::Read(Err(format!(
                            "row has {} fields, the header has {}",
                            fields.len(),
                            headers.len()
                        )))
                    } else {
                        row_object(headers, fields, legacy)
                    };
                    RawRecord {
                        position: line,
                        raw: lossy(&joined),
                        value,
                    }
                }
                Item::Refused { line, raw, reason } => RawRecord {
                    position: line,
                    raw: lossy(raw.strip_suffix(b"\n").unwrap_or(raw)),
                    value: RawValue::Read(Err(reason)),
                },
            };
            sink(record);
        })
        .map_err(IngestError::io)?;
    match header_error {
        Some(reason) => Err(IngestError::Format(format!(
            "cannot read the CSV header: {reason}"
        ))),
        None => Ok(()),
    }
}

/// What [`Records`] hands on: a record and the line it starts on, or a line refused.
enum Item<'a> {
    Record {
        line: u64,
        fields: &'a Fields,
    },
    Refused {
        line: u64,
        /// The refused line (its start only, when it is overlong).
        raw: &'a [u8],
        reason: String,
    },
}

/// One record's fields, as csv-core writes them: their bytes one after another, and
/// where each ends.
#[derive(Default)]
struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }
}

/// CSV records, parsed by csv-core fed one line at a time, so that a record running
/// across lines is seen doing so. A record whose quoted field runs across lines is
/// taken for a quote left open — refused on its first line, and the lines after that
/// read again as rows — when that field is never closed before the file ends, runs over
/// [`MAX_QUOTED_FIELD_LINES`] lines or [`MAX_LINE_BYTES`] bytes, takes in a line that
/// reads as a row of its own (as many delimiters as the header, no quote), or leaves the
/// record with another number of fields than the header. Unchecked, one stray quote made
/// every later row part of one record's text, and the file read as one row fewer.
struct Records<R> {
    lines: Lines<R>,
    parser: csv_core::Reader,
    /// Lines to read again before the next line of the file: those after the first
    /// line of a record refused as a quote left open.
    again: VecDeque<Line>,
    /// The lines of the record being read, first line first, while it runs across
    /// lines; and their bytes.
    open: Vec<Line>,
    open_bytes: usize,
    /// The record being read has begun (csv-core holds part of it).
    in_record: bool,
    record: Fields,
    written: usize,
    /// The header's number of fields, once it is read.
    header_fields: Option<usize>,
}

impl<R: BufRead> Records<R> {
    fn new(reader: R) -> Self {
        Records {
            lines: Lines::new(reader, MAX_LINE_BYTES),
            parser: csv_core::ReaderBuilder::new().delimiter(DELIMITER).build(),
            again: VecDeque::new(),
            open: Vec::new(),
            open_bytes: 0,
            in_record: false,
            record: Fields {
                bytes: vec![0; 1024],
                ends: Vec::new(),
            },
            written: 0,
            header_fields: None,
        }
    }

    /// Hands every record and refused line to `on_item`, in order.
    fn read(&mut self, on_item: &mut dyn FnMut(Item<'_>)) -> std::io::Result<()> {
        let mut line = Line::default();
        loop {
            let fresh = if let Some(again) = self.again.pop_front() {
                line = again;
                false
            } else if self.lines.read_line(&mut line)? {
                true
            } else {
                if !self.in_record {
                    return Ok(());
                }
                self.end_of_file(on_item);
                continue;
            };
            if let Some(len) = line.overlong {
                if self.in_record {
                    self.again.push_front(std::mem::take(&mut line));
                    let reason = |first| {
                        format!(
                            "a quoted field opening on line {first} runs into an overlong line: read as a quote left open; the lines after it are read again"
                        )
                    };
                    self.refuse_open(reason, on_item);
                    continue;
                }
                on_item(Item::Refused {
                    line: line.number,
                    raw: &line.bytes[..4096],
                    reason: format!(
                        "line is {len} bytes, longer than the {MAX_LINE_BYTES} byte limit"
                    ),
                });
                continue;
            }
            // `\r\n` read as `\n`: a Windows export's rows are on their own lines, and
            // inside a quoted field the `\r` goes too (normalization makes line breaks
            // spaces anyway).
            if fresh && line.bytes.ends_with(b"\r\n") {
                line.bytes.remove(line.bytes.len() - 2);
            }
            self.feed_line(&mut line, on_item);
        }
    }

    fn feed_line(&mut self, line: &mut Line, on_item: &mut dyn FnMut(Item<'_>)) {
        let is_break = |b: &u8| *b == b'\r' || *b == b'\n';
        let mut input = &line.bytes[..];
        loop {
            // csv-core skips line breaks between records; a line of nothing else does
            // not begin one.
            if input.is_empty() || (!self.in_record && input.iter().all(is_break)) {
                break;
            }
            let (result, read) = self.parse(input);
            input = &input[read..];
            if result != csv_core::ReadRecordResult::Record {
                self.in_record = true;
                continue;
            }
            let first = self.open.first().map_or(line.number, |l| l.number);
            if let Some(reason) = self.open_field_swallowed(line) {
                // The line it ended on is read again with the others.
                self.again.push_front(std::mem::take(line));
                self.refuse_open(|_| reason, on_item);
                return;
            }
            self.header_fields.get_or_insert(self.record.len());
            self.open.clear();
            self.open_bytes = 0;
            on_item(Item::Record {
                line: first,
                fields: &self.record,
            });
        }
        if self.in_record {
            self.open_bytes += line.bytes.len();
            self.open.push(std::mem::take(line));
            if self.open.len() > MAX_QUOTED_FIELD_LINES || self.open_bytes > MAX_LINE_BYTES {
                let reason = |first| {
                    format!(
                        "a quoted field opening on line {first} runs over {MAX_QUOTED_FIELD_LINES} lines or {MAX_LINE_BYTES} bytes: read as a quote left open; the lines after it are read again"
                    )
                };
                self.refuse_open(reason, on_item);
            }
        }
    }

    /// Why the record just parsed, which ended on `last`, must be a quote left open
    /// that swallowed rows; `None` when it is on one line or reads as a record.
    fn open_field_swallowed(&self, last: &Line) -> Option<String> {
        let first = self.open.first()?.number;
        let fields = self.record.len();
        let expected = self.header_fields?;
        let row_like = |l: &Line| {
            expected >= 3
                && !l.bytes.contains(&b'"')
                && l.bytes.iter().filter(|&&b| b == DELIMITER).count() == expected - 1
        };
        let swallowed = self.open[1..]
            .iter()
            .find(|l| row_like(l))
            .map(|l| l.number);
        let end = last.number;
        if fields == expected && swallowed.is_none() {
            return None;
        }
        Some(match swallowed {
            Some(row) => format!(
                "a quoted field opening on line {first} runs to line {end} and takes in line {row}, which reads as a row: read as a quote left open; the lines after it are read again"
            ),
            None => format!(
                "a quoted field opening on line {first} runs to line {end}, leaving {fields} fields where the header has {expected}: read as a quote left open; the lines after it are read again"
            ),
        })
    }

    /// At the end of the file inside a record: a record on one line that merely lacks
    /// its line break is read as csv-core reads it; one whose quoted field ran across
    /// lines and is still open is refused.
    fn end_of_file(&mut self, on_item: &mut dyn FnMut(Item<'_>)) {
        let still_open =
            self.open.len() > 1 && self.parse(b"\n").0 != csv_core::ReadRecordResult::Record;
        if still_open {
            let last = self.open.last().map_or(0, |l| l.number);
            let reason = move |first| {
                format!(
                    "a quoted field opening on line {first} is still open where the file ends (line {last}): read as a quote left open; the lines after it are read again"
                )
            };
            self.refuse_open(reason, on_item);
            return;
        }
        if self.in_record {
            // Not ended by the `\n` above: the record ends with the file.
            self.parse(b"");
            self.in_record = false;
        }
        let last = self.open.pop().unwrap_or_default();
        if let Some(reason) = self.open_field_swallowed(&last) {
            self.again.push_front(last);
            self.refuse_open(|_| reason, on_item);
            return;
        }
        let first = self.open.first().map_or(last.number, |l| l.number);
        self.open.clear();
        self.open_bytes = 0;
        self.header_fields.get_or_insert(self.record.len());
        on_item(Item::Record {
            line: first,
            fields: &self.record,
        });
    }

    /// Refuses the record being read on its first line, and queues the lines after that
    /// one to be read again (before any already queued).
    fn refuse_open(
        &mut self,
        reason: impl FnOnce(u64) -> String,
        on_item: &mut dyn FnMut(Item<'_>),
    ) {
        self.parser.reset();
        self.in_record = false;
        self.written = 0;
        self.record.ends.clear();
        self.open_bytes = 0;
        let mut open = std::mem::take(&mut self.open).into_iter();
        let Some(first) = open.next() else {
            return;
        };
        for line in open.rev() {
            self.again.push_front(line);
        }
        on_item(Item::Refused {
            line: first.number,
            raw: &first.bytes,
            reason: reason(first.number),
        });
    }

    /// Feeds csv-core `input` (empty: the end of the file) until it ends a record or
    /// wants more input: the result and the bytes it read. On a record, `self.record`
    /// holds it.
    fn parse(&mut self, input: &[u8]) -> (csv_core::ReadRecordResult, usize) {
        use csv_core::ReadRecordResult::*;
        if !self.in_record {
            self.written = 0;
            self.record.ends.clear();
        }
        let mut read = 0;
        loop {
            let ends = self.record.ends.len();
            self.record.ends.resize(ends.max(8) * 2, 0);
            let (result, n_in, n_out, n_ends) = self.parser.read_record(
                &input[read..],
                &mut self.record.bytes[self.written..],
                &mut self.record.ends[ends..],
            );
            self.record.ends.truncate(ends + n_ends);
            read += n_in;
            self.written += n_out;
            match result {
                OutputFull => {
                    let len = self.record.bytes.len();
                    self.record.bytes.resize(len * 2, 0);
                }
                OutputEndsFull => {}
                Record => {
                    self.in_record = false;
                    return (Record, read);
                }
                InputEmpty | End => return (result, read),
            }
        }
    }
}

/// One row as a JSON object of its columns; `legacy`: the bytes are GB18030 (GBK).
fn row_object(headers: &[String], record: &Fields, legacy: bool) -> RawValue {
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

pub(crate) fn sniff(head: &[u8]) -> Encoding {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_csv(bytes: &[u8]) -> Vec<RawRecord> {
        let mut out = Vec::new();
        read_csv(bytes, Encoding::Auto, &mut |r| out.push(r)).unwrap();
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
        read_csv(&bytes[..], Encoding::Gbk, &mut |r| explicit.push(r)).unwrap();
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

    /// A lone `\r` ends a record as csv-core reads it; `\r\n` is one line break.
    #[test]
    fn lone_cr_ends_a_record_and_crlf_is_one_break() {
        let rows = collect_csv(b"a,b\r\n1,2\r3,4\r\n\r\n\n5,6");
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.position, r.raw.as_str())).collect();
        assert_eq!(got, [(2, "1,2"), (2, "3,4"), (5, "5,6")]);
    }

    /// A 101-row file with a quote left open near the top: the open quote's row is
    /// refused naming its line, every other row is read as itself — whether the quote
    /// is never closed, or a quoted field further down closes it.
    #[test]
    fn an_unclosed_quote_swallows_no_rows() {
        for quoted_later in [false, true] {
            let mut text = String::from("id,started_at,text\n");
            for i in 1..=101 {
                let body = match i {
                    3 => "\"断网了".to_string(),
                    50 if quoted_later => "\"他说：好\"".to_string(),
                    _ => format!("第{i}条"),
                };
                text.push_str(&format!("C{i},2026-11-02 09:00:00,{body}\n"));
            }
            let rows = collect_csv(text.as_bytes());
            assert_eq!(rows.len(), 101, "quoted later: {quoted_later}");
            let (refused, read): (Vec<&RawRecord>, Vec<&RawRecord>) =
                rows.iter().partition(|r| r.value().is_err());
            assert_eq!(refused.len(), 1);
            assert_eq!(refused[0].position, 4);
            let reason = refused[0].value().unwrap_err();
            assert!(reason.contains("opening on line 4"), "{reason}");
            assert_eq!(refused[0].raw, "C3,2026-11-02 09:00:00,\"断网了");
            for r in read {
                let id = r.value().unwrap()["id"].as_str().unwrap().to_string();
                assert_eq!(format!("C{}", r.position - 1), id);
            }
        }
    }

    /// Quoted fields may run across lines: a transcript cell with a line per turn.
    #[test]
    fn a_quoted_field_across_lines_is_one_field() {
        let rows = collect_csv(
            "id,started_at,text\nC1,2026-11-02,\"坐席：您好\n客户：宽带断了, 光猫红灯\n坐席：好的\"\nC2,2026-11-02,x\n"
                .as_bytes(),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].value().unwrap()["text"],
            "坐席：您好\n客户：宽带断了, 光猫红灯\n坐席：好的"
        );
        assert_eq!((rows[0].position, rows[1].position), (2, 5));
        // Without a final line break too.
        let rows = collect_csv(b"id,text\nC1,\"a\nb\"");
        assert_eq!(rows[0].value().unwrap()["text"], "a\nb");
    }

    /// Where nothing else tells, a quoted field is refused once it runs over the line
    /// limit, and the lines it took are read again.
    #[test]
    fn a_quoted_field_over_the_line_limit_is_refused() {
        let mut text = String::from("id,text\nC1,\"open\n");
        for _ in 0..1500 {
            text.push_str("x\n");
        }
        let rows = collect_csv(text.as_bytes());
        assert_eq!(rows.len(), 1501);
        assert_eq!(rows[0].position, 2);
        let reason = rows[0].value().unwrap_err();
        assert!(reason.contains("1000 lines"), "{reason}");
        assert_eq!(rows[1].position, 3);
        assert_eq!(rows[1500].position, 1502);
    }

    /// A line over the limit is refused without being held whole, in a record or not.
    #[test]
    fn an_overlong_line_is_refused_and_reading_goes_on() {
        let mut text = b"id,text\nC1,short\nC2,".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend_from_slice(b"\nC3,\"open\n");
        text.extend(std::iter::repeat_n(b'y', MAX_LINE_BYTES + 10));
        text.extend_from_slice(b"\nC4,end\n");
        let rows = collect_csv(&text);
        let got: Vec<(u64, bool)> = rows
            .iter()
            .map(|r| (r.position, r.value().is_ok()))
            .collect();
        assert_eq!(
            got,
            [(2, true), (3, false), (4, false), (5, false), (6, true)]
        );
        assert!(rows[1].value().unwrap_err().contains("byte limit"));
        assert!(rows[1].raw.len() <= 4096);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Whatever the quotes, commas and line breaks, reading ends, each record is
        /// reported at or after the one before it (a line read again comes after the
        /// line refused), and never past the last line.
        #[test]
        fn any_mix_of_quotes_and_breaks_reads_in_order(
            tokens in proptest::collection::vec(
                proptest::sample::select(vec!["a", ",", "\"", "\n", "\r\n", "\r", "x\"y", "中", ",,\n"]),
                0..80,
            ),
        ) {
            let text = format!("id,started_at,text\n{}", tokens.concat());
            let rows = collect_csv(text.as_bytes());
            let lines = text.matches('\n').count() as u64 + 1;
            let mut last = 0;
            for row in &rows {
                proptest::prop_assert!(row.position >= last && row.position <= lines);
                last = row.position;
            }
        }
    }

    /// A row's raw text (shown, masked, when it is quarantined) keeps its fields apart,
    /// in UTF-8 and in GBK.
    #[test]
    fn raw_text_keeps_field_boundaries() {
        let text = "id,phone,text\nA1001,13812345678,2号\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        for bytes in [text.as_bytes(), &gbk] {
            assert_eq!(collect_csv(bytes)[0].raw, "A1001,13812345678,2号");
        }
    }

    #[test]
    fn csv_ragged_row_is_reported_with_its_line() {
        let rows = collect_csv("a,b\n1,2\n3\n4,5\n".as_bytes());
        assert_eq!(rows.len(), 3);
        assert!(rows[1].value().unwrap_err().contains("1 fields"));
        assert_eq!(rows[1].position, 3);
    }
}
