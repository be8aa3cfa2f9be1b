//! JSON Lines: one record per line, streamed line by line. A line is only cut here; it
//! is parsed where records are processed in parallel ([`RawValue::Json`]).

use std::io::{BufReader, Read};

use super::{
    Fingerprint, Line, Lines, RawRecord, RawValue, Source, read_front_to_back,
    read_front_to_back_bytes,
};
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

    fn read_bytes(
        &self,
        input: &InputFile,
        bytes: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_front_to_back_bytes(input, bytes, |bytes| {
            read_jsonl(bytes, sink).map_err(IngestError::io)
        })
    }
}

/// JSON Lines, streamed line by line; a line longer than [`MAX_LINE_BYTES`] is refused
/// without being read whole.
fn read_jsonl(reader: impl Read, sink: &mut dyn FnMut(RawRecord)) -> std::io::Result<()> {
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, reader), MAX_LINE_BYTES);
    let mut line = Line::default();
    while lines.read_line(&mut line)? {
        let buf = std::mem::take(&mut line.bytes);
        if let Some(record) = record_of_line(line.number, &buf, line.overlong) {
            sink(record);
        }
    }
    Ok(())
}

/// The record of line `number` (its bytes without the newline; `overlong`: the line's
/// length when it is over [`MAX_LINE_BYTES`] and `buf` holds only its start), or `None`
/// for a blank line. Shared by files and lines handed over in memory
/// ([`super::InMemory::JsonLines`]), so both are read alike.
pub(super) fn record_of_line(number: u64, buf: &[u8], overlong: Option<u64>) -> Option<RawRecord> {
    if let Some(len) = overlong {
        return Some(RawRecord {
            position: number,
            raw: String::from_utf8_lossy(buf.get(..4096).unwrap_or(buf)).into_owned(),
            value: RawValue::Read(Err(format!(
                "line is {len} bytes, longer than the {MAX_LINE_BYTES} byte limit"
            ))),
        });
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match std::str::from_utf8(buf) {
        Ok(text) => {
            let text = text.trim_start_matches('\u{FEFF}').trim();
            RawRecord {
                position: number,
                raw: text.to_string(),
                value: RawValue::Json,
            }
        }
        Err(e) => RawRecord {
            position: number,
            raw: String::from_utf8_lossy(buf).into_owned(),
            value: RawValue::Read(Err(format!(
                "invalid UTF-8 at byte {} (is the file GBK? set encoding in the pipeline file)",
                e.valid_up_to()
            ))),
        },
    })
}

/// Replaces each top-level number of a record that is an integer too long for 64 bits
/// (a 22-digit id), which serde reads as a float, with the text of its digits: as a
/// float, two such ids differing in their last digits were one id, and a contact was
/// lost as a "duplicate". `line` is the record's text, `value` what it parsed into.
pub(super) fn keep_written_integers(line: &str, value: &mut serde_json::Value) {
    use serde_json::Value;
    let lossy = |v: &Value| matches!(v, Value::Number(n) if n.is_f64());
    let Value::Object(obj) = value else {
        return;
    };
    if !obj.values().any(lossy) {
        return;
    }
    for (key, text) in top_level_numbers(line) {
        let integer = text.trim_start_matches('-');
        if !integer.is_empty()
            && integer.bytes().all(|b| b.is_ascii_digit())
            && obj.get(&key).is_some_and(lossy)
        {
            obj.insert(key, Value::String(text.to_string()));
        }
    }
}

/// The key and written text of each top-level number of a JSON object (`line` is valid
/// JSON: it parsed), in order.
fn top_level_numbers(line: &str) -> Vec<(String, &str)> {
    let bytes = line.as_bytes();
    let skip_space = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    // The end (one past the closing quote) of the string opening at `i`.
    let string_end = |mut i: usize| {
        i += 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    // The end of the value starting at `i`.
    let value_end = |mut i: usize| match bytes.get(i)? {
        b'"' => string_end(i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    };
    let mut numbers = Vec::new();
    let mut i = skip_space(0);
    if line[i..].starts_with('\u{FEFF}') {
        i = skip_space(i + '\u{FEFF}'.len_utf8());
    }
    if bytes.get(i) != Some(&b'{') {
        return numbers;
    }
    i += 1;
    loop {
        i = skip_space(i);
        if bytes.get(i) != Some(&b'"') {
            break;
        }
        let Some(key_end) = string_end(i) else { break };
        let Ok(key) = serde_json::from_str::<String>(&line[i..key_end]) else {
            break;
        };
        i = skip_space(key_end);
        if bytes.get(i) != Some(&b':') {
            break;
        }
        let start = skip_space(i + 1);
        let Some(end) = value_end(start) else { break };
        let text = &line[start..end];
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            numbers.push((key, text));
        }
        i = skip_space(end);
        if bytes.get(i) != Some(&b',') {
            break;
        }
        i += 1;
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Integers beyond 64 bits keep their digits; every other value is as parsed.
    #[test]
    fn long_integer_ids_keep_their_written_digits() {
        let line = r#" {"id":1234567890123456789012, "n" : -99999999999999999999999,"f":1.5e300,"s":"12345678901234567890123","o":{"x":[1,"]}"]},"small":7,"big":18446744073709551615}"#;
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        keep_written_integers(line, &mut value);
        assert_eq!(value["id"], "1234567890123456789012");
        assert_eq!(value["n"], "-99999999999999999999999");
        assert_eq!(value["f"], 1.5e300);
        assert_eq!(value["o"], json!({"x": [1, "]}"]}));
        assert_eq!(value["small"], 7);
        assert_eq!(value["big"], json!(18446744073709551615u64));
        let keys: Vec<String> = top_level_numbers(line)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["id", "n", "f", "small", "big"]);
    }
}
