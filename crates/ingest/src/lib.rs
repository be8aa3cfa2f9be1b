//! Ingest: read contact exports, validate every record, normalize and mask PII.
//!
//! Every record read ends up in exactly one place: accepted (as a canonical, normalized,
//! masked [`Contact`]), quarantined (with file, line, field and reason), or counted as a
//! duplicate that a newer delivery replaced. `read = accepted + quarantined + duplicates`
//! always holds, and nothing leaves this crate with PII in it — not even the raw text of
//! a quarantined record.
//!
//! ```
//! let ingestor = voc_ingest::Ingestor::new(voc_ingest::IngestOptions::default()).unwrap();
//! let line = r#"{"id":"C1","started_at":"2026-11-02 09:15:02","text":"客户电话13812345678，宽带断网"}"#;
//! let batch = ingestor.ingest_reader("demo.jsonl", line.as_bytes()).unwrap();
//! assert_eq!(batch.contacts[0].turns[0].text, "客户电话138****5678，宽带断网");
//! assert_eq!(batch.stats.read, batch.stats.accepted + batch.stats.quarantined + batch.stats.duplicates);
//! ```

pub mod normalize;
pub mod pii;
pub mod record;

use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use voc_core::Contact;

pub use pii::{MaskCounts, PiiKind, PiiMasker};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read input {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid PII pattern in the pipeline file: {0}")]
    Pattern(#[from] regex::Error),
}

/// What ingest needs from the pipeline file.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Extra regular expressions whose matches are masked as PII.
    pub extra_pii_patterns: Vec<String>,
    /// Filler words of speech transcripts (嗯, 啊, 那个) removed from turns.
    pub filler_words: Vec<String>,
}

/// A record that could not be accepted, with where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub source: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
    /// The raw record, PII-masked and cut to a readable length.
    pub raw: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestStats {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub duplicates: u64,
    /// Masks applied, by kind (`mobile`, `id_card` …).
    pub pii_masked: BTreeMap<String, u64>,
}

/// The accepted contacts of a batch (deduplicated, in delivery order) and its quarantine.
#[derive(Debug, Default)]
pub struct Batch {
    pub contacts: Vec<Contact>,
    pub quarantine: Vec<Quarantined>,
    pub stats: IngestStats,
}

/// Longest line kept as a record; a longer one is quarantined without being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;
const RAW_KEEP_CHARS: usize = 500;
const CHUNK_LINES: usize = 4096;

/// The fate of one source line, with the masks applied to it.
type LineOutcome = (Result<Contact, Quarantined>, MaskCounts);

pub struct Ingestor {
    masker: PiiMasker,
    filler_words: Vec<String>,
}

impl Ingestor {
    pub fn new(options: IngestOptions) -> Result<Self, IngestError> {
        let mut filler_words = options.filler_words;
        // Longest first so 那个 is removed before a shorter filler inside it.
        filler_words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        Ok(Ingestor {
            masker: PiiMasker::new(&options.extra_pii_patterns)?,
            filler_words,
        })
    }

    /// Reads JSON Lines files in order; a later delivery of the same contact id replaces
    /// the earlier one.
    pub fn ingest_files(&self, paths: &[impl AsRef<Path>]) -> Result<Batch, IngestError> {
        let mut batch = Batch::default();
        for path in paths {
            let path = path.as_ref();
            let file = std::fs::File::open(path).map_err(|source| IngestError::Read {
                path: path.display().to_string(),
                source,
            })?;
            self.read_into(&path.display().to_string(), file, &mut batch)?;
        }
        Ok(dedupe(batch))
    }

    /// Reads one JSON Lines stream named `source` (for quarantine messages).
    pub fn ingest_reader(&self, source: &str, reader: impl Read) -> Result<Batch, IngestError> {
        let mut batch = Batch::default();
        self.read_into(source, reader, &mut batch)?;
        Ok(dedupe(batch))
    }

    fn read_into(
        &self,
        source: &str,
        reader: impl Read,
        batch: &mut Batch,
    ) -> Result<(), IngestError> {
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let mut line_no = 0u64;
        let mut chunk: Vec<(u64, Vec<u8>)> = Vec::with_capacity(CHUNK_LINES);
        loop {
            let mut buf = Vec::new();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|source_err| IngestError::Read {
                    path: source.to_string(),
                    source: source_err,
                })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            chunk.push((line_no, buf));
            if chunk.len() == CHUNK_LINES {
                self.process_chunk(source, &mut chunk, batch);
            }
        }
        self.process_chunk(source, &mut chunk, batch);
        Ok(())
    }

    fn process_chunk(&self, source: &str, chunk: &mut Vec<(u64, Vec<u8>)>, batch: &mut Batch) {
        let results: Vec<LineOutcome> = chunk
            .par_iter()
            .map(|(line, bytes)| self.process_line(source, *line, bytes))
            .collect();
        chunk.clear();
        for (result, counts) in results {
            batch.stats.read += 1;
            for (kind, n) in counts.0 {
                *batch
                    .stats
                    .pii_masked
                    .entry(kind.as_str().to_string())
                    .or_default() += n;
            }
            match result {
                Ok(contact) => batch.contacts.push(contact),
                Err(q) => batch.quarantine.push(q),
            }
        }
    }

    fn process_line(
        &self,
        source: &str,
        line: u64,
        bytes: &[u8],
    ) -> (Result<Contact, Quarantined>, MaskCounts) {
        let quarantine = |field: &str, reason: String, raw: &str| {
            let (masked, counts) = self.masker.mask(raw);
            let mut raw: String = masked.chars().take(RAW_KEEP_CHARS).collect();
            if masked.chars().count() > RAW_KEEP_CHARS {
                raw.push('…');
            }
            (
                Err(Quarantined {
                    source: source.to_string(),
                    line,
                    field: field.to_string(),
                    reason,
                    raw,
                }),
                counts,
            )
        };
        if bytes.len() > MAX_LINE_BYTES {
            let raw = String::from_utf8_lossy(&bytes[..4096.min(bytes.len())]).into_owned();
            return quarantine(
                "",
                format!(
                    "line is {} bytes, longer than the {} byte limit",
                    bytes.len(),
                    MAX_LINE_BYTES
                ),
                &raw,
            );
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.trim_start_matches('\u{FEFF}').trim(),
            Err(e) => {
                let raw = String::from_utf8_lossy(bytes).into_owned();
                return quarantine(
                    "",
                    format!(
                        "invalid UTF-8 at byte {} (is the file GBK? set the encoding in the pipeline file)",
                        e.valid_up_to()
                    ),
                    &raw,
                );
            }
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return quarantine("", format!("malformed JSON: {e}"), text),
        };
        match record::contact_from_json(&value) {
            Ok(contact) => self.clean(contact, text, &quarantine),
            Err(err) => quarantine(&err.field, err.reason, text),
        }
    }

    /// Normalizes and masks every turn; a contact left with no text is quarantined.
    fn clean(
        &self,
        mut contact: Contact,
        raw: &str,
        quarantine: &dyn Fn(&str, String, &str) -> LineOutcome,
    ) -> LineOutcome {
        let mut counts = MaskCounts::default();
        for turn in &mut contact.turns {
            let mut text = normalize::normalize_text(&turn.text);
            for filler in &self.filler_words {
                if text.contains(filler.as_str()) {
                    text = text.replace(filler.as_str(), "");
                }
            }
            let (masked, turn_counts) = self.masker.mask(&text);
            counts.add(&turn_counts);
            turn.text = masked;
        }
        contact.turns.retain(|t| !t.text.trim().is_empty());
        if contact.turns.is_empty() {
            return quarantine("turns", "empty text after normalization".to_string(), raw);
        }
        (Ok(contact), counts)
    }

    /// Masks any text with this ingestor's patterns (for logs and error messages).
    pub fn mask(&self, text: &str) -> String {
        self.masker.mask(text).0
    }
}

/// Keeps the last delivery of each id, in the position of its first appearance.
fn dedupe(mut batch: Batch) -> Batch {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(batch.contacts.len());
    let mut kept: Vec<Contact> = Vec::with_capacity(batch.contacts.len());
    for contact in batch.contacts.drain(..) {
        match index.get(&contact.id) {
            Some(&i) => {
                kept[i] = contact;
                batch.stats.duplicates += 1;
            }
            None => {
                index.insert(contact.id.clone(), kept.len());
                kept.push(contact);
            }
        }
    }
    batch.contacts = kept;
    batch.stats.accepted = batch.contacts.len() as u64;
    batch.stats.quarantined = batch.quarantine.len() as u64;
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingest(text: &[u8]) -> Batch {
        Ingestor::new(IngestOptions::default())
            .unwrap()
            .ingest_reader("test.jsonl", text)
            .unwrap()
    }

    #[test]
    fn every_record_is_accounted_for() {
        let mut input = Vec::new();
        input.extend_from_slice(br#"{"id":"a","started_at":"2026-11-02 09:00:00","text":"1"}"#);
        input.push(b'\n');
        input.extend_from_slice(b"{\"id\":\"b\",\"started_at\n");
        input.extend_from_slice(
            b"{\"id\":\"c\",\"started_at\":\"2026-11-02 09:00:00\",\"text\":\"\xff\xfe\"}\n",
        );
        input.extend_from_slice(br#"{"id":"a","started_at":"2026-11-03 09:00:00","text":"2"}"#);
        input.extend_from_slice(b"\n\n");
        input.extend_from_slice(br#"{"id":"d","started_at":"2026-11-02 09:00:00","text":"  "}"#);
        let batch = ingest(&input);
        assert_eq!(batch.stats.read, 5);
        assert_eq!(batch.stats.accepted, 1);
        assert_eq!(batch.stats.quarantined, 3);
        assert_eq!(batch.stats.duplicates, 1);
        assert_eq!(batch.contacts[0].turns[0].text, "2", "newest delivery wins");
        let lines: Vec<u64> = batch.quarantine.iter().map(|q| q.line).collect();
        assert_eq!(lines, vec![2, 3, 6]);
        assert!(batch.quarantine[1].reason.contains("UTF-8"));
        assert_eq!(batch.quarantine[2].field, "turns");
    }

    #[test]
    fn quarantined_raw_text_is_masked() {
        let batch = ingest(br#"{"id":"","started_at":"2026-11-02 09:00:00","text":"13812345678"}"#);
        assert_eq!(batch.quarantine[0].field, "id");
        assert!(!batch.quarantine[0].raw.contains("13812345678"));
        assert!(batch.quarantine[0].raw.contains("138****5678"));
    }

    #[test]
    fn overlong_line_is_quarantined_not_parsed() {
        let mut line = br#"{"id":"x","started_at":"2026-11-02 09:00:00","text":""#.to_vec();
        line.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 10));
        line.extend_from_slice(b"\"}\n");
        let batch = ingest(&line);
        assert_eq!(batch.stats.quarantined, 1);
        assert!(batch.quarantine[0].reason.contains("byte limit"));
    }
}
