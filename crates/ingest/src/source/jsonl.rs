//! JSON Lines: one record per line, streamed line by line. A line is only cut here; it
//! is parsed where records are processed in parallel ([`RawValue::Json`]).

use std::io::{BufRead, BufReader, Read};

use super::{Fingerprint, RawRecord, RawValue, Source, read_front_to_back};
use crate::{IngestError, InputFile};

/// Longest line kept as a record; a longer one is quarantined without being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

pub(super) struct JsonLines;

impl Source for JsonLines {
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_front_to_back(input, |file| {
            read_jsonl(file, sink).map_err(IngestError::io)
        })
    }
}

/// JSON Lines, streamed line by line.
fn read_jsonl(reader: impl Read, sink: &mut dyn FnMut(RawRecord)) -> std::io::Result<()> {
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
