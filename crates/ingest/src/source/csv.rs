//! CSV with a header row, in UTF-8 (with or without BOM) or GBK/GB18030, streamed.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use super::{Fingerprint, RawRecord, RawValue, Source, read_front_to_back};
use crate::{IngestError, InputFile};

pub(super) struct Csv;

impl Source for Csv {
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_front_to_back(input, |file| read_csv(file, input.encoding, sink))
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
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(DELIMITER)
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
    let mut joined = Vec::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let position = record.position().map_or(0, |p| p.line());
                // The fields joined with the delimiter, as an XLSX row's cells are: glued
                // together (`ByteRecord::as_slice`), a mobile between two fields ending
                // and starting with digits was no number to the masks, and a quarantined
                // row showed it whole.
                joined.clear();
                for (i, field) in record.iter().enumerate() {
                    if i > 0 {
                        joined.push(DELIMITER);
                    }
                    joined.extend_from_slice(field);
                }
                let raw = lossy(&joined);
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
