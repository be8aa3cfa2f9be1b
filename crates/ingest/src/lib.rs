//! Ingest: read contact exports, validate every record, normalize and mask PII.
//!
//! Every record read ends up in exactly one place: accepted (as a canonical, normalized,
//! masked [`Contact`]), quarantined (with file, line, field and reason), or counted as a
//! duplicate that a newer delivery replaced. `read = accepted + quarantined + duplicates`
//! always holds, and nothing leaves this crate with PII in it — not even the raw text of
//! a quarantined record.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("demo.jsonl");
//! let line = r#"{"id":"C1","started_at":"2026-11-02 09:15:02","text":"客户电话13812345678，宽带断网"}"#;
//! std::fs::write(&path, line).unwrap();
//! let ingestor = voc_ingest::Ingestor::new(voc_ingest::IngestOptions::default()).unwrap();
//! let batch = ingestor.ingest(&[voc_ingest::InputFile::new(&path)]).unwrap();
//! assert_eq!(batch.contacts[0].turns[0].text, "客户电话138****5678，宽带断网");
//! assert_eq!(batch.stats.read, batch.stats.accepted + batch.stats.quarantined + batch.stats.duplicates);
//! ```

pub mod personal_id;
pub mod pii;
pub mod record;
pub mod sniff;
pub mod source;
pub mod value_maps;

use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use voc_core::Contact;
use voc_core::arena::prefix_key;

pub use personal_id::IdPseudonyms;
pub use pii::{MaskCounts, PiiKind, PiiMasker};
pub use record::{DateWindow, TimeUnit};
use source::RawValue;
pub use source::{
    Encoding, Format, InMemory, MAX_LINE_BYTES, MessageColumns, MessageRowStats, RawRecord,
};
use value_maps::ResolvedMaps;
pub use value_maps::ValueMaps;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read input {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Format(String),
    #[error("invalid PII pattern in the pipeline file: {0}")]
    Pattern(#[from] regex::Error),
}

impl IngestError {
    fn io(source: std::io::Error) -> Self {
        IngestError::Read {
            path: String::new(),
            source,
        }
    }
}

/// What ingest needs from the pipeline file.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Extra regular expressions whose matches are masked as PII.
    pub extra_pii_patterns: Vec<String>,
    /// Filler words of speech transcripts (嗯, 啊, 那个) removed from turns.
    pub filler_words: Vec<String>,
    /// Convert Traditional to Simplified Chinese.
    pub traditional_to_simplified: bool,
    /// Key of the pseudonyms that replace customer ids holding personal data (see
    /// [`PSEUDONYM_KEY_ENV`]).
    pub pseudonym_key: String,
    /// Id fields always, or never, replaced by pseudonyms (`[pii]` in the pipeline file).
    pub id_pseudonyms: IdPseudonyms,
    /// Contacts dated outside are quarantined as implausible.
    pub date_window: DateWindow,
}

/// The environment variable the pipeline reads the pseudonym key from. Set it per
/// client and keep it out of the pipeline folder: with the key, the pseudonym of a
/// guessed phone number can be recomputed; without it (the default is empty), anyone
/// can do so.
pub const PSEUDONYM_KEY_ENV: &str = "VOC_PSEUDONYM_KEY";

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            extra_pii_patterns: Vec::new(),
            filler_words: Vec::new(),
            traditional_to_simplified: true,
            pseudonym_key: String::new(),
            id_pseudonyms: IdPseudonyms::default(),
            date_window: DateWindow::default(),
        }
    }
}

/// One input file and how to read it.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub format: Format,
    pub encoding: Encoding,
    /// XLSX sheet name; the first sheet when absent.
    pub sheet: Option<String>,
    /// Source column → canonical field (`工单编号` → `id`).
    pub columns: BTreeMap<String, String>,
    /// The file has one row per message: which columns hold the session and the
    /// message (see [`source::messages`]); `None`: one record per contact.
    pub messages: Option<MessageColumns>,
    /// Speaker and channel value maps and defaults for fields the file lacks.
    pub values: ValueMaps,
    /// How numbers in the time column are read; without a unit a number is no time.
    pub time_unit: Option<TimeUnit>,
}

impl InputFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        InputFile {
            path: path.into(),
            format: Format::Auto,
            encoding: Encoding::Auto,
            sheet: None,
            columns: BTreeMap::new(),
            messages: None,
            values: ValueMaps::default(),
            time_unit: None,
        }
    }
}

/// A record that could not be accepted, with where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub source: String,
    /// Line (JSON Lines, CSV) or row (XLSX, Parquet) number.
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
    /// Customer and contact ids replaced by keyed pseudonyms (their personal data is
    /// also counted in `pii_masked`).
    pub pseudonymized: u64,
    /// Channel values of accepted records that are no known channel code and no value
    /// the channel maps know, with how many records had each (masked like metadata).
    pub unknown_channels: BTreeMap<String, u64>,
    /// Rows of message-per-row inputs: each contact grouped from them, and each row
    /// refused on its own, is one record `read`.
    pub messages: MessageRowStats,
}

impl IngestStats {
    /// Share of records read that were quarantined.
    pub fn quarantine_rate(&self) -> f64 {
        if self.read == 0 {
            0.0
        } else {
            self.quarantined as f64 / self.read as f64
        }
    }
}

/// A whole batch in memory ([`Ingestor::ingest`]): the newest delivery of each contact
/// id, in delivery order, and the quarantine.
#[derive(Debug, Default)]
pub struct Batch {
    pub contacts: Vec<Contact>,
    pub quarantine: Vec<Quarantined>,
    pub stats: IngestStats,
}

/// One chunk of a streamed ingest ([`Ingestor::ingest_streaming`]): the accepted
/// deliveries (normalized, masked, in delivery order; not yet de-duplicated) and the
/// records quarantined, in input order.
#[derive(Debug, Default)]
pub struct Chunk {
    pub contacts: Vec<Delivery>,
    pub quarantine: Vec<Quarantined>,
}

/// One accepted record with its delivery sequence number.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub seq: u64,
    /// The record's line or row in its input (what a quarantined record's `line` says):
    /// where a caller that splits an input (a Spark task) finds which delivery is newer.
    pub position: u64,
    pub contact: Contact,
}

/// The end of a streamed ingest.
#[derive(Debug, Default)]
pub struct Streamed {
    /// `accepted` counts distinct contact ids; every other accepted delivery is a
    /// duplicate, so `read = accepted + quarantined + duplicates`.
    pub stats: IngestStats,
    /// Which delivery of each contact id is kept (the newest).
    pub deliveries: Deliveries,
    /// Each input's SHA-256 and size, in input order: of the bytes as they were read
    /// (JSON Lines, CSV), or of the file after it was read (XLSX, Parquet, which are
    /// read out of order).
    pub fingerprints: Vec<(String, u64)>,
    /// Records each input holds, in input order: more than were read when the ingestor
    /// validates a sample ([`Ingestor::with_sample`]).
    pub records_in_inputs: Vec<u64>,
    /// The columns of each input's first record that a source read into an object
    /// (CSV, XLSX: its header row), in input order; empty for the others. What the
    /// mapping of a workbook is checked against, which is costly to open twice.
    pub headers_read: Vec<Vec<String>>,
}

/// The contact id of every accepted delivery of a streamed batch, compactly (an arena,
/// ~8 bytes besides the id), and which delivery of each id is kept: the newest.
#[derive(Debug, Default)]
pub struct Deliveries {
    ids: voc_core::arena::StrArena,
    /// One bit per sequence number: the delivery is kept.
    kept: Vec<u64>,
    /// Sequence numbers of the kept deliveries, in id order, for lookups by id.
    by_id: Vec<u32>,
}

impl Deliveries {
    fn push(&mut self, id: &str) {
        self.ids.push(Some(id));
    }

    /// Picks the newest delivery of each id, once every delivery is in.
    fn finish(&mut self) {
        self.ids.shrink_to_fit();
        let n = self.ids.len();
        // Sorted by (id, sequence number). Comparing ids in the arena was 2 % of a 1M
        // run's CPU; most pairs differ in their first 16 bytes, compared as numbers.
        let mut order: Vec<(u128, u32)> = (0..n as u32)
            .map(|seq| (prefix_key(self.id(u64::from(seq))), seq))
            .collect();
        order.par_sort_unstable_by(|&(prefix_a, a), &(prefix_b, b)| {
            prefix_a
                .cmp(&prefix_b)
                .then_with(|| self.id(u64::from(a)).cmp(self.id(u64::from(b))))
                .then(a.cmp(&b))
        });
        self.kept = vec![0; n.div_ceil(64)];
        let mut by_id = Vec::with_capacity(n);
        for (i, &(prefix, seq)) in order.iter().enumerate() {
            let last_of_id = order.get(i + 1).is_none_or(|&(next_prefix, next)| {
                next_prefix != prefix || self.id(u64::from(next)) != self.id(u64::from(seq))
            });
            if last_of_id {
                self.kept[seq as usize / 64] |= 1 << (seq % 64);
                by_id.push(seq);
            }
        }
        by_id.shrink_to_fit();
        self.by_id = by_id;
    }

    /// Accepted deliveries, duplicates included.
    pub fn len(&self) -> u64 {
        self.ids.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Distinct contact ids (the kept deliveries).
    pub fn accepted(&self) -> u64 {
        self.by_id.len() as u64
    }

    /// The contact id of delivery `seq`.
    pub fn id(&self, seq: u64) -> &str {
        self.ids.get(seq as usize).unwrap_or_default()
    }

    /// Whether delivery `seq` is the one kept of its id (the newest).
    pub fn keeps(&self, seq: u64) -> bool {
        self.kept
            .get(seq as usize / 64)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }

    /// Sequence numbers of the kept deliveries, in id order.
    pub fn kept(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_id.iter().map(|&s| u64::from(s))
    }
}

/// One input's part in [`Ingestor::stream_chunk`]: its name, its maps and what its
/// first chunk showed of its contact ids.
struct ChunkIn<'a, 'm> {
    source: &'a str,
    maps: &'a InputMaps<'m>,
    id_series: &'a mut personal_id::IdSeries,
}

struct StreamState<E> {
    streamed: Streamed,
    /// Accepted deliveries so far (the next sequence number).
    next_seq: u64,
    failed: Option<E>,
}

const RAW_KEEP_CHARS: usize = 500;
/// Distinct unknown channel values counted one by one; the rest are counted together
/// under [`OTHER_UNKNOWN_CHANNELS`].
pub const MAX_UNKNOWN_CHANNELS: usize = 100;
pub const OTHER_UNKNOWN_CHANNELS: &str = "(other values)";
/// Records read, validated and masked together (in parallel) before they are handed on.
pub const CHUNK_RECORDS: usize = 4096;

/// Chunks read ahead of the one being processed.
const READ_AHEAD_CHUNKS: usize = 2;

/// What [`read_input`] learnt of an input besides its records: its fingerprint, how
/// many records it holds, the columns of its first row read into an object, and how
/// its message rows were grouped (when it has them).
type InputRead = ((String, u64), u64, Vec<String>, MessageRowStats);

/// How an input's records are read: [`source::read`] for a file, or a caller's records
/// held in memory.
type ReadRecords<'a> = dyn Fn(&InputFile, &mut dyn FnMut(RawRecord)) -> Result<source::Fingerprint, IngestError>
    + Sync
    + 'a;

/// Reads one input into chunks of [`CHUNK_RECORDS`] raw records, sent in order. Stops
/// sending (and reads on) when the receiver is gone or `sample` records were sent.
fn read_input(
    input: &InputFile,
    read: &ReadRecords<'_>,
    sample: Option<u64>,
    maps: &ResolvedMaps,
    mask: &(dyn Fn(&str) -> String + Sync),
    chunks: std::sync::mpsc::SyncSender<Vec<RawRecord>>,
) -> Result<InputRead, IngestError> {
    let mut chunk = Vec::with_capacity(CHUNK_RECORDS);
    let mut receiving = true;
    let mut records = 0u64;
    let mut headers = None;
    let mut note_headers = |record: &RawRecord| {
        if headers.is_none()
            && let RawValue::Read(Ok(serde_json::Value::Object(object))) = &record.value
        {
            headers = Some(object.keys().cloned().collect::<Vec<_>>());
        }
    };
    let mut send = |record: RawRecord| {
        records += 1;
        if sample.is_some_and(|n| records > n) {
            return;
        }
        chunk.push(record);
        if chunk.len() == CHUNK_RECORDS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_RECORDS));
            receiving = receiving && chunks.send(full).is_ok();
        }
    };
    let (fingerprint, message_rows) = match &input.messages {
        None => (
            read(input, &mut |record: RawRecord| {
                note_headers(&record);
                send(record)
            })?,
            MessageRowStats::default(),
        ),
        Some(columns) => {
            let name = input.path.display().to_string();
            let mut grouper = source::messages::SessionGrouper::new(
                name,
                columns,
                &input.columns,
                maps,
                input.time_unit,
            );
            let fingerprint = read(input, &mut |row: RawRecord| {
                note_headers(&row);
                grouper.push(row, &mut send)
            })?;
            // The error names a session id, which may be a phone number.
            let rows = grouper
                .finish(&mut send)
                .map_err(|e| IngestError::Format(mask(&e)))?;
            (fingerprint, rows)
        }
    };
    if !chunk.is_empty() {
        let _ = chunks.send(chunk);
    }
    Ok((
        fingerprint,
        records,
        headers.unwrap_or_default(),
        message_rows,
    ))
}

/// The fate of one source record: the contact, or why it was quarantined; the masks
/// applied; the ids pseudonymized; and a contact id whose fate waits for the input's
/// id column to be profiled ([`personal_id::IdSeries`]).
struct RecordOutcome {
    result: Result<Contact, Quarantined>,
    masks: MaskCounts,
    pseudonymized: u64,
    pending_id: Option<PendingId>,
}

/// A contact id written as bare digits shaped like a mobile or landline number: its
/// pseudonym and kind, applied unless the input's ids are a numeric key series.
struct PendingId {
    pseudonym: String,
    kind: PiiKind,
}

/// How one input's records are read: its column map and value maps.
struct InputMaps<'a> {
    columns: &'a BTreeMap<String, String>,
    values: &'a ResolvedMaps,
    time_unit: Option<TimeUnit>,
}

pub struct Ingestor {
    masker: PiiMasker,
    converter: Option<voc_text::normalize::TraditionalToSimplified>,
    filler_words: Vec<String>,
    pseudonym_key: String,
    id_pseudonyms: IdPseudonyms,
    /// Records validated per input (`voc check`); the rest are counted, not processed.
    sample_per_input: Option<u64>,
    date_window: DateWindow,
}

impl Ingestor {
    pub fn new(options: IngestOptions) -> Result<Self, IngestError> {
        let mut filler_words = options.filler_words;
        // Longest first so 那个 is removed before a shorter filler inside it.
        filler_words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        Ok(Ingestor {
            masker: PiiMasker::new(&options.extra_pii_patterns)?,
            converter: options
                .traditional_to_simplified
                .then(voc_text::normalize::TraditionalToSimplified::new)
                .transpose()
                .map_err(IngestError::Format)?,
            filler_words,
            pseudonym_key: options.pseudonym_key,
            sample_per_input: None,
            id_pseudonyms: {
                options.id_pseudonyms.check().map_err(IngestError::Format)?;
                options.id_pseudonyms
            },
            date_window: options.date_window,
        })
    }

    /// Validates only the first `records` of each input and counts the rest
    /// ([`Streamed::records_in_inputs`]): what `voc check` reads.
    pub fn with_sample(mut self, records: u64) -> Self {
        self.sample_per_input = Some(records);
        self
    }

    /// Reads every input in order into one [`Batch`] held in memory: the chunks of
    /// [`Ingestor::ingest_streaming`] collected, keeping the newest delivery of each id.
    /// For tests and benches; `voc run` streams.
    pub fn ingest(&self, inputs: &[InputFile]) -> Result<Batch, IngestError> {
        let mut deliveries = Vec::new();
        let mut quarantine = Vec::new();
        let streamed = self.ingest_streaming(inputs, &mut |chunk: Chunk| {
            deliveries.extend(chunk.contacts);
            quarantine.extend(chunk.quarantine);
            Ok::<(), IngestError>(())
        })?;
        let contacts = deliveries
            .into_iter()
            .filter(|d| streamed.deliveries.keeps(d.seq))
            .map(|d| d.contact)
            .collect();
        Ok(Batch {
            contacts,
            quarantine,
            stats: streamed.stats,
        })
    }

    /// Reads every input in order and hands each chunk of up to [`CHUNK_RECORDS`]
    /// records to `on_chunk` as soon as it is validated, normalized and masked, so a
    /// caller holds one chunk at a time, not the batch. Every accepted delivery gets a
    /// sequence number (0, 1, 2 … in delivery order); the returned [`Streamed`] says
    /// which delivery of each contact id is the newest (the one to keep), and its
    /// stats reconcile: `read = accepted + quarantined + duplicates`. An error from
    /// `on_chunk` stops processing (the rest of the current file is read but not
    /// processed) and is returned.
    pub fn ingest_streaming<E: From<IngestError>>(
        &self,
        inputs: &[InputFile],
        on_chunk: &mut dyn FnMut(Chunk) -> Result<(), E>,
    ) -> Result<Streamed, E> {
        self.ingest_with(inputs, &source::read, on_chunk)
    }

    /// [`Ingestor::ingest_streaming`] of records a caller holds in memory, read as the
    /// records of `input` (its column and value maps, time unit and messages block; its
    /// path names them in the quarantine): the Python package's way in, so an Arrow
    /// batch is validated, normalized and masked exactly as `voc run` reads a file.
    /// Contact ids are profiled ([`personal_id::IdSeries`]) on these records alone.
    pub fn ingest_in_memory<E: From<IngestError>>(
        &self,
        input: &InputFile,
        rows: &InMemory,
        on_chunk: &mut dyn FnMut(Chunk) -> Result<(), E>,
    ) -> Result<Streamed, E> {
        let read =
            |_: &InputFile, sink: &mut dyn FnMut(RawRecord)| source::read_in_memory(rows, sink);
        self.ingest_with(std::slice::from_ref(input), &read, on_chunk)
    }

    /// [`Ingestor::ingest_streaming`] of one input whose whole file a caller holds in
    /// memory (a Spark task's file, fetched from any path Hadoop reads): `bytes` are
    /// read by `input`'s format exactly as the file at `input.path` would be (encoding,
    /// BOM, sheet, broken rows, message rows), and its path names them in the
    /// quarantine. Read in memory rather than from a temporary file, which every
    /// reader allows (CSV and JSON Lines read any byte stream, calamine and polars a
    /// cursor).
    pub fn ingest_file_bytes<E: From<IngestError>>(
        &self,
        input: &InputFile,
        bytes: &[u8],
        on_chunk: &mut dyn FnMut(Chunk) -> Result<(), E>,
    ) -> Result<Streamed, E> {
        let read = |input: &InputFile, sink: &mut dyn FnMut(RawRecord)| {
            source::read_bytes(input, bytes, sink)
        };
        self.ingest_with(std::slice::from_ref(input), &read, on_chunk)
    }

    fn ingest_with<E: From<IngestError>>(
        &self,
        inputs: &[InputFile],
        read: &ReadRecords<'_>,
        on_chunk: &mut dyn FnMut(Chunk) -> Result<(), E>,
    ) -> Result<Streamed, E> {
        let mut state = StreamState {
            streamed: Streamed::default(),
            next_seq: 0,
            failed: None,
        };
        for input in inputs {
            let name = input.path.display().to_string();
            let values = ResolvedMaps::new(&input.values)
                .map_err(|e| E::from(IngestError::Format(format!("{name}: {e}"))))?;
            let maps = InputMaps {
                columns: &input.columns,
                values: &values,
                time_unit: input.time_unit,
            };
            // The file is read on a thread of its own, a chunk or two ahead of the one
            // being processed: decoding an XLSX sheet's XML is a third of that format's
            // ingest, and on the processing thread it left a core idle.
            let mask = |text: &str| self.mask(text);
            let mut id_series = personal_id::IdSeries::default();
            let fingerprint = std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD_CHUNKS);
                let (values, mask, sample) = (&values, &mask, self.sample_per_input);
                let reader = scope.spawn(move || read_input(input, read, sample, values, mask, tx));
                for mut chunk in rx {
                    // After an error the rest of the file is read but not processed.
                    if state.failed.is_none() {
                        let chunk_in = ChunkIn {
                            source: &name,
                            maps: &maps,
                            id_series: &mut id_series,
                        };
                        self.stream_chunk(chunk_in, &mut chunk, &mut state, on_chunk);
                    }
                }
                reader.join().expect("the input reader panicked")
            })?;
            let (fingerprint, records, headers, message_rows) = fingerprint;
            state.streamed.stats.messages.add(&message_rows);
            state.streamed.fingerprints.push(fingerprint);
            state.streamed.records_in_inputs.push(records);
            state.streamed.headers_read.push(headers);
            if let Some(e) = state.failed.take() {
                return Err(e);
            }
        }
        let mut streamed = state.streamed;
        streamed.deliveries.finish();
        streamed.stats.accepted = streamed.deliveries.accepted();
        streamed.stats.duplicates = streamed.deliveries.len() - streamed.stats.accepted;
        Ok(streamed)
    }

    fn stream_chunk<E: From<IngestError>>(
        &self,
        input: ChunkIn<'_, '_>,
        chunk: &mut Vec<RawRecord>,
        state: &mut StreamState<E>,
        on_chunk: &mut dyn FnMut(Chunk) -> Result<(), E>,
    ) {
        if chunk.is_empty() {
            return;
        }
        let ChunkIn {
            source,
            maps,
            id_series,
        } = input;
        let results: Vec<RecordOutcome> = chunk
            .par_iter()
            .map(|r| self.process_record(source, maps, r))
            .collect();
        let positions: Vec<u64> = chunk.iter().map(|r| r.position).collect();
        chunk.clear();
        // The first chunk of an input (every record of a small one) decides, before any
        // of its records is handed on, whether its contact ids are a numeric key series.
        if !id_series.is_decided() {
            for outcome in &results {
                if let Ok(contact) = &outcome.result {
                    id_series.observe(&contact.id, outcome.pending_id.is_some());
                }
            }
            id_series.decide();
        }
        let mut out = Chunk {
            contacts: Vec::with_capacity(results.len()),
            quarantine: Vec::new(),
        };
        let stats = &mut state.streamed.stats;
        for (outcome, position) in results.into_iter().zip(positions) {
            let RecordOutcome {
                mut result,
                mut masks,
                pseudonymized,
                pending_id,
            } = outcome;
            stats.read += 1;
            stats.pseudonymized += pseudonymized;
            if let (Ok(contact), Some(pending)) = (&mut result, pending_id)
                && !id_series.keeps_digit_ids()
            {
                contact.id = pending.pseudonym;
                *masks.0.entry(pending.kind).or_default() += 1;
                stats.pseudonymized += 1;
            }
            for (kind, n) in masks.0 {
                *stats
                    .pii_masked
                    .entry(kind.as_str().to_string())
                    .or_default() += n;
            }
            match result {
                Ok(contact) => {
                    if !maps.values.is_known_channel(&contact.channel) {
                        let unknown = &mut stats.unknown_channels;
                        // A column of free text mapped to `channel` would list every record.
                        let key = if unknown.contains_key(&contact.channel)
                            || unknown.len() < MAX_UNKNOWN_CHANNELS
                        {
                            contact.channel.clone()
                        } else {
                            OTHER_UNKNOWN_CHANNELS.to_string()
                        };
                        *unknown.entry(key).or_default() += 1;
                    }
                    let seq = state.next_seq;
                    state.next_seq += 1;
                    state.streamed.deliveries.push(&contact.id);
                    out.contacts.push(Delivery {
                        seq,
                        position,
                        contact,
                    });
                }
                Err(q) => {
                    stats.quarantined += 1;
                    out.quarantine.push(q);
                }
            }
        }
        if state.next_seq > u64::from(u32::MAX) {
            state.failed = Some(E::from(IngestError::Format(format!(
                "more than {} records accepted in one batch",
                u32::MAX
            ))));
        } else if let Err(e) = on_chunk(out) {
            state.failed = Some(e);
        }
    }

    fn quarantine(
        &self,
        source: &str,
        record: &RawRecord,
        field: &str,
        reason: String,
    ) -> RecordOutcome {
        // Escapes decoded and normalized first, like a turn's text: the masks read
        // ASCII digits, and a number written in full-width digits or as JSON escapes
        // would otherwise be shown as it is.
        let (masked, counts) = self
            .masker
            .mask(&voc_text::normalize::normalize_text(&record.readable()));
        let mut raw: String = masked.chars().take(RAW_KEEP_CHARS).collect();
        if masked.chars().count() > RAW_KEEP_CHARS {
            raw.push('…');
        }
        RecordOutcome {
            result: Err(Quarantined {
                source: source.to_string(),
                line: record.position,
                field: field.to_string(),
                reason: self.mask(&voc_text::normalize::normalize_text(&reason)),
                raw,
            }),
            masks: counts,
            pseudonymized: 0,
            pending_id: None,
        }
    }

    fn process_record(
        &self,
        source: &str,
        maps: &InputMaps<'_>,
        record: &RawRecord,
    ) -> RecordOutcome {
        let (columns, time_unit) = (maps.columns, maps.time_unit);
        if columns.is_empty() && maps.values.allow_direct_reading() {
            let direct = match &record.value {
                RawValue::Json => record::canonical_contact(&record.raw, time_unit),
                RawValue::Read(Ok(value)) => record::canonical_contact_of_value(value, time_unit),
                RawValue::Decoded { rows, row } => rows.canonical_contact(*row, time_unit),
                _ => None,
            };
            if let Some(contact) = direct {
                return self.clean(contact, maps.values, source, record);
            }
        }
        let decoded;
        let record = if let RawValue::Decoded { .. } = record.value {
            decoded = record.decoded();
            &decoded
        } else {
            record
        };
        let value = match record.value() {
            Ok(v) => v,
            Err(reason) => return self.quarantine(source, record, &record.error_field(), reason),
        };
        let mut value = if columns.is_empty() {
            value
        } else {
            Cow::Owned(record::map_columns(&value, columns))
        };
        if !maps.values.allow_direct_reading()
            && let Err(err) = maps.values.apply(value.to_mut())
        {
            return self.quarantine(source, record, &err.field, err.reason);
        }
        match record::contact_from_json(&value, time_unit) {
            Ok(contact) => self.clean(contact, maps.values, source, record),
            Err(err) => self.quarantine(source, record, &err.field, err.reason),
        }
    }

    /// Normalizes and masks every turn; a contact left with no text is quarantined.
    fn clean(
        &self,
        mut contact: Contact,
        maps: &ResolvedMaps,
        source: &str,
        record: &RawRecord,
    ) -> RecordOutcome {
        if let Some(code) = maps.channel_code(&contact.channel)
            && code != contact.channel
        {
            contact.channel = code.to_string();
        }
        if let Some(err) = self.date_window.check("started_at", &contact.started_at) {
            return self.quarantine(source, record, &err.field, err.reason);
        }
        let mut counts = MaskCounts::default();
        for turn in &mut contact.turns {
            // Each step borrows the text back when it changes nothing (most turns), so
            // the turn keeps the string it was read into.
            let text = &mut turn.text;
            replace_if_changed(text, voc_text::normalize::normalize_text);
            if let Some(converter) = &self.converter {
                replace_if_changed(text, |t| converter.convert(t));
            }
            for filler in &self.filler_words {
                if text.contains(filler.as_str()) {
                    *text = text.replace(filler.as_str(), "");
                }
            }
            let mut turn_counts = MaskCounts::default();
            replace_if_changed(text, |t| self.masker.mask_borrowed(t, &mut turn_counts));
            counts.add(&turn_counts);
        }
        let (pseudonymized, pending_id) = self.mask_metadata(&mut contact, &mut counts);
        contact.turns.retain(|t| !t.text.trim().is_empty());
        if contact.turns.is_empty() {
            return self.quarantine(
                source,
                record,
                "turns",
                "empty text after normalization".to_string(),
            );
        }
        RecordOutcome {
            result: Ok(contact),
            masks: counts,
            pseudonymized,
            pending_id,
        }
    }

    /// Masks personal data in the free-text metadata, and replaces a customer id that
    /// is personal data (exports often key customers by phone number) with a keyed
    /// pseudonym: masked as text, different customers would share an id such as
    /// `138****5678` and be counted as one customer's repeat contacts. Returns how many
    /// ids it replaced, and a contact id left for the input's id series to decide.
    fn mask_metadata(
        &self,
        contact: &mut Contact,
        counts: &mut MaskCounts,
    ) -> (u64, Option<PendingId>) {
        let mut pseudonymized = 0;
        let free_text = [
            &mut contact.region,
            &mut contact.business,
            &mut contact.queue,
            &mut contact.agent_id,
        ];
        // The channel too: a word in every export seen, but it reaches the index's facets.
        for value in free_text
            .into_iter()
            .flatten()
            .chain([&mut contact.channel])
        {
            let normalized = voc_text::normalize::normalize_text(value);
            if let Cow::Owned(masked) = self.masker.mask_borrowed(&normalized, counts) {
                *value = masked;
            }
        }
        // Customer ids are held to the value alone: CRM exports mix member numbers with
        // the phone numbers of customers who have none.
        if let Some(customer) = &mut contact.customer_id
            && let Some((pseudonym, kind)) = self.id_pseudonym("customer_id", customer)
        {
            *customer = pseudonym;
            pseudonymized += 1;
            if let Some(kind) = kind {
                *counts.0.entry(kind).or_default() += 1;
            }
        }
        // Contact ids are call or ticket numbers in every export seen, but one keyed by
        // the caller's number would carry it into the history, the index and the report.
        let mut pending = None;
        if let Some((pseudonym, kind)) = self.id_pseudonym("id", &contact.id) {
            match kind {
                Some(kind @ (PiiKind::Mobile | PiiKind::Landline))
                    if personal_id::is_bare_digits(&contact.id)
                        && self.id_pseudonyms.rule("id") == personal_id::IdRule::WhenPersonal =>
                {
                    pending = Some(PendingId { pseudonym, kind });
                }
                kind => {
                    contact.id = pseudonym;
                    pseudonymized += 1;
                    if let Some(kind) = kind {
                        *counts.0.entry(kind).or_default() += 1;
                    }
                }
            }
        }
        (pseudonymized, pending)
    }

    /// `pid-` and 16 hex digits of a keyed hash, for an id `field` whose value is
    /// personal data as a whole (with its kind, which the caller counts as masked; see
    /// [`personal_id`]) or which the pipeline file says to pseudonymize always, or
    /// `None`. The same number written with spaces, dashes, a country code or in
    /// capitals gives the same pseudonym, so repeat contacts and re-deliveries still
    /// match.
    fn id_pseudonym(&self, field: &str, value: &str) -> Option<(String, Option<PiiKind>)> {
        use personal_id::IdRule;
        let rule = self.id_pseudonyms.rule(field);
        if rule == IdRule::Never {
            return None;
        }
        let normalized = voc_text::normalize::normalize_text(value);
        let kind = personal_id::personal_id_kind(&normalized);
        if kind.is_none() && (rule != IdRule::Always || normalized.is_empty()) {
            return None;
        }
        // Separators that only mobiles and landlines are written with (an e-mail's dots
        // are part of it).
        let separators: &[char] = match kind {
            Some(PiiKind::Mobile | PiiKind::Landline) => &[' ', '-', '.', '/', '—', '–'],
            _ => &[' ', '-'],
        };
        let written: String = normalized
            .chars()
            .filter(|c| !separators.contains(c))
            .flat_map(char::to_lowercase)
            .collect();
        let canonical = ["+86", "0086", "86"]
            .iter()
            .find_map(|code| written.strip_prefix(code))
            .filter(|national| {
                national.len() == 11
                    && national.starts_with('1')
                    && national.bytes().all(|b| b.is_ascii_digit())
            })
            .unwrap_or(&written);
        let pseudonym = format!(
            "pid-{}",
            voc_core::fingerprint::keyed(self.pseudonym_key.as_bytes(), canonical.as_bytes())
        );
        Some((pseudonym, kind))
    }

    /// Masks any text with this ingestor's patterns (for logs and error messages).
    pub fn mask(&self, text: &str) -> String {
        self.masker.mask(text).0
    }
}

/// Puts what `step` made of `text` in its place, unless `step` borrowed it back.
fn replace_if_changed(text: &mut String, step: impl FnOnce(&str) -> Cow<'_, str>) {
    if let Cow::Owned(changed) = step(text) {
        *text = changed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Ingests `text` as one JSON Lines file, as `voc run` reads one.
    fn ingest_with(options: IngestOptions, text: &[u8]) -> Batch {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.jsonl");
        std::fs::write(&path, text).unwrap();
        Ingestor::new(options)
            .unwrap()
            .ingest(&[InputFile::new(&path)])
            .unwrap()
    }

    fn ingest(text: &[u8]) -> Batch {
        ingest_with(IngestOptions::default(), text)
    }

    /// Every accepted delivery (with its position) and the quarantine of one input.
    fn deliveries_of(
        read: impl FnOnce(&mut dyn FnMut(Chunk) -> Result<(), IngestError>) -> Streamed,
    ) -> (Vec<(u64, u64, Contact)>, Vec<Quarantined>, IngestStats) {
        let (mut contacts, mut quarantine) = (Vec::new(), Vec::new());
        let streamed = read(&mut |chunk: Chunk| {
            contacts.extend(
                chunk
                    .contacts
                    .into_iter()
                    .map(|d| (d.seq, d.position, d.contact)),
            );
            quarantine.extend(chunk.quarantine);
            Ok(())
        });
        (contacts, quarantine, streamed.stats)
    }

    #[test]
    fn lines_in_memory_are_read_as_the_file_holding_them() {
        let text = "{\"id\":\"a\",\"started_at\":\"2026-11-10T09:00:00+08:00\",\"text\":\"我的手机13812345678停机了\"}\n\
                    \n\
                    {\"id\":\"b\",\"started_at\":\"2026-11-10T09:0\n\
                    {\"id\":\"c\",\"text\":\"没有时间\"}\n\
                    {\"id\":\"a\",\"started_at\":\"2026-11-11T09:00:00+08:00\",\"text\":\"又停机了\"}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, text).unwrap();
        let input = InputFile::new(&path);
        let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
        let from_file = deliveries_of(|on_chunk| {
            ingestor
                .ingest_streaming(std::slice::from_ref(&input), on_chunk)
                .unwrap()
        });
        // The same lines handed over in two parts, the second numbered on from the first.
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let (first, second) = lines.split_at(2);
        let part = |lines: &[String], first: u64| {
            let rows = InMemory::JsonLines {
                lines: lines.to_vec(),
                first,
            };
            deliveries_of(|on_chunk| ingestor.ingest_in_memory(&input, &rows, on_chunk).unwrap())
        };
        let (a, b) = (part(first, 1), part(second, 3));
        let positions = |d: &[(u64, u64, Contact)]| {
            d.iter()
                .map(|(_, p, c)| (*p, c.clone()))
                .collect::<Vec<_>>()
        };
        let mut in_memory = positions(&a.0);
        in_memory.extend(positions(&b.0));
        assert_eq!(positions(&from_file.0), in_memory);
        assert_eq!(from_file.0.iter().map(|d| d.1).collect::<Vec<_>>(), [1, 5]);
        let mut quarantine = a.1.clone();
        quarantine.extend(b.1.clone());
        assert_eq!(from_file.1, quarantine);
        assert_eq!(from_file.2.read, a.2.read + b.2.read);
        assert_eq!(from_file.2.pii_masked, a.2.pii_masked);
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
    fn chunks_reconcile_and_the_newest_delivery_of_each_id_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        // More than one chunk, with re-deliveries across chunks and a broken line.
        for i in 0..(CHUNK_RECORDS + 100) {
            let id = i % (CHUNK_RECORDS - 50);
            text.push_str(&format!(
                "{{\"id\":\"c{id}\",\"started_at\":\"2026-11-02 09:00:00\",\"text\":\"第{i}次 13812345678\"}}\n"
            ));
            if i == 7 {
                text.push_str("{\"id\":\n");
            }
        }
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, text).unwrap();
        let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
        let mut chunks = 0;
        let mut all = Vec::new();
        let mut quarantine = Vec::new();
        let streamed = ingestor
            .ingest_streaming(&[InputFile::new(&path)], &mut |chunk: Chunk| {
                chunks += 1;
                all.extend(chunk.contacts);
                quarantine.extend(chunk.quarantine);
                Ok::<(), IngestError>(())
            })
            .unwrap();
        assert_eq!(chunks, 2);
        let s = &streamed.stats;
        assert_eq!(s.read, s.accepted + s.quarantined + s.duplicates);
        assert_eq!((s.read, s.quarantined, s.duplicates), (4197, 1, 150));
        assert_eq!(quarantine.len(), 1);
        assert_eq!(quarantine[0].line, 9);
        let d = &streamed.deliveries;
        let kept: HashMap<String, String> = all
            .into_iter()
            .filter(|delivery| d.keeps(delivery.seq))
            .map(|delivery| (delivery.contact.id, delivery.contact.turns[0].text.clone()))
            .collect();
        assert_eq!(kept.len() as u64, s.accepted);
        assert_eq!(kept["c0"], "第4046次 138****5678", "the newest delivery");
        assert_eq!(kept["c150"], "第150次 138****5678");
        let ids: std::collections::HashSet<&str> = d.kept().map(|seq| d.id(seq)).collect();
        assert!(ids.contains("c0") && ids.contains("c4045") && !ids.contains("c4046"));
        assert_eq!(d.kept().count() as u64, s.accepted);
    }

    #[test]
    fn quarantined_raw_text_is_masked() {
        let batch = ingest(br#"{"id":"","started_at":"2026-11-02 09:00:00","text":"13812345678"}"#);
        assert_eq!(batch.quarantine[0].field, "id");
        assert!(!batch.quarantine[0].raw.contains("13812345678"));
        assert!(batch.quarantine[0].raw.contains("138****5678"));
    }

    /// A customer id that is a phone number, ID card number or e-mail address is
    /// replaced by a pseudonym that is the same for every way of writing it and changes
    /// with the key; other ids are kept; free-text metadata is masked.
    #[test]
    fn customer_ids_holding_personal_data_become_keyed_pseudonyms() {
        let lines = |ids: &[&str]| {
            ids.iter()
                .enumerate()
                .map(|(i, id)| {
                    format!(
                        r#"{{"id":"c{i}","started_at":"2026-11-02 09:00:00","customer_id":"{id}","business":"回访13812345678","text":"宽带断了"}}"#
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let ids = [
            "13812345678",
            "138-1234-5678",
            "１３８ １２３４ ５６７８",
            "13912345678",
            "U88231",
            "Li.Ming@QQ.com",
            "li.ming@qq.com",
            "+86 138 1234 5678",
            // Eleven spoken digits that are no mobile, ID or card number: kept.
            "一一一一一一一一一一一",
        ];
        let read = |key: &str| {
            let options = IngestOptions {
                pseudonym_key: key.to_string(),
                ..IngestOptions::default()
            };
            ingest_with(options, lines(&ids).as_bytes())
        };
        let batch = read("");
        let customer = |b: &Batch, i: usize| b.contacts[i].customer_id.clone().unwrap();
        let first = customer(&batch, 0);
        assert!(first.starts_with("pid-") && first.len() == 20, "{first}");
        assert_eq!(customer(&batch, 1), first);
        assert_eq!(customer(&batch, 2), first);
        assert_ne!(customer(&batch, 3), first);
        assert_eq!(customer(&batch, 4), "U88231");
        assert_eq!(customer(&batch, 5), customer(&batch, 6));
        assert_eq!(customer(&batch, 7), first);
        assert_eq!(customer(&batch, 8), "一一一一一一一一一一一");
        assert!(customer(&batch, 5).starts_with("pid-"));
        assert_ne!(customer(&read("client key"), 0), first);
        assert_eq!(
            batch.contacts[4].business.as_deref(),
            Some("回访138****5678")
        );
        // Seven customer ids (five mobiles, two e-mails) and nine business fields.
        assert_eq!(batch.stats.accepted, 9);
        assert_eq!(batch.stats.pii_masked["mobile"], 5 + 9);
        assert_eq!(batch.stats.pii_masked["email"], 2);
    }

    /// A contact id holding a phone number is replaced like such a customer id: the
    /// same number written another way is the same contact (a re-delivery), and the
    /// number is not kept. Ordinary ticket numbers stay as they are.
    #[test]
    fn contact_ids_holding_personal_data_become_pseudonyms() {
        let batch = ingest(
            concat!(
                r#"{"id":"13812345678","started_at":"2026-11-02 09:00:00","text":"宽带断了"}"#,
                "\n",
                r#"{"id":"C20261102-000123","started_at":"2026-11-02 09:00:00","text":"宽带断了"}"#,
                "\n",
                r#"{"id":"138-1234-5678","started_at":"2026-11-03 09:00:00","text":"又断了"}"#,
                "\n",
                r#"{"id":"GD202611020001234567","started_at":"2026-11-02 09:00:00","text":"宽带断了"}"#,
            )
            .as_bytes(),
        );
        // In delivery order of the deliveries kept: the number's newer one is the second.
        let ids: Vec<&str> = batch.contacts.iter().map(|c| c.id.as_str()).collect();
        assert!(ids[1].starts_with("pid-"), "{ids:?}");
        assert_eq!(
            [ids[0], ids[2]],
            ["C20261102-000123", "GD202611020001234567"]
        );
        assert_eq!(batch.contacts[1].turns[0].text, "又断了");
        assert_eq!(batch.stats.duplicates, 1);
        assert_eq!(batch.stats.pii_masked["mobile"], 2);
    }

    /// The raw line of a quarantined record is shown as read, before normalization: a
    /// number in full-width digits there must be masked all the same (the text of an
    /// accepted record has them made ASCII before masking).
    #[test]
    fn quarantined_raw_text_in_full_width_digits_is_masked() {
        let batch = ingest(
            r#"{"id":"","started_at":"2026-11-02 09:00:00","text":"手机１３８１２３４５６７８，身份证１１０１０５１９４９１２３１００２Ｘ"}"#
                .as_bytes(),
        );
        let raw = &batch.quarantine[0].raw;
        assert!(!raw.contains("12345678"), "{raw}");
        assert!(!raw.contains("１２３４５６７８"), "{raw}");
        assert!(raw.contains("138****5678"), "{raw}");
        assert!(raw.contains("110***********002X"), "{raw}");
    }

    /// Nor may a number written as JSON escapes, which the record's value would have
    /// decoded: `\u0031…` or full-width `\uff11…`.
    #[test]
    fn quarantined_raw_text_in_json_escapes_is_masked() {
        let batch = ingest(
            br#"{"id":"","started_at":"2026-11-02 09:00:00","text":"\u0031\u0033\u0038\u0031\u0032\u0033\u0034\u0035\u0036\u0037\u0038 \uff11\uff13\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"}"#,
        );
        let raw = &batch.quarantine[0].raw;
        assert!(raw.contains("138****5678"), "{raw}");
        assert!(raw.contains("139****5678"), "{raw}");
        assert!(!raw.to_lowercase().contains("\\u0035"), "{raw}");
        assert!(!raw.to_lowercase().contains("\\uff15"), "{raw}");
        assert_eq!(batch.stats.pii_masked["mobile"], 2);
    }

    /// A refused CSV row is shown with its fields apart and masked like accepted text:
    /// glued together, a mobile between fields ending and starting with digits
    /// (`A1001138123456782坐席…`) was no number to the masks.
    #[test]
    fn quarantined_csv_row_is_masked_between_digit_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(
            &path,
            "id,phone,text,started_at\nA1001,13812345678,2坐席：您好,下周一\n",
        )
        .unwrap();
        let batch = Ingestor::new(IngestOptions::default())
            .unwrap()
            .ingest(&[InputFile::new(&path)])
            .unwrap();
        assert_eq!(batch.quarantine.len(), 1);
        assert_eq!(batch.quarantine[0].field, "started_at");
        let raw = &batch.quarantine[0].raw;
        assert_eq!(raw, "A1001,138****5678,2坐席：您好,下周一");
        assert_eq!(batch.stats.pii_masked["mobile"], 1);
    }

    /// Issue 27: dates outside the window are quarantined naming the field, the value and
    /// the bound; a mobile number given as the start time is no time; epoch milliseconds
    /// of year 5138 in a column declared so are a date, and an implausible one.
    #[test]
    fn implausible_dates_are_quarantined() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T00:00:00Z")
            .unwrap()
            .to_utc();
        let options = IngestOptions {
            date_window: DateWindow::new(DateWindow::DEFAULT_EARLIEST, now, 7),
            ..IngestOptions::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dates.jsonl");
        let times = [
            r#""0001-01-01 00:00:00""#,
            r#""9999-12-31 00:00:00""#,
            r#""1999-12-31 23:59:59""#,
            r#""2000-01-01 00:00:00""#,
            r#""2026-12-14 08:00:00""#,
            r#""2026-12-14 08:00:01""#,
            "13812345678",
            "100000000000000",
        ];
        let lines: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#"{{"id":"C{i}","started_at":{t},"text":"宽带断了"}}"#))
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let ingestor = Ingestor::new(options).unwrap();
        let batch = ingestor.ingest(&[InputFile::new(&path)]).unwrap();
        let accepted: Vec<&str> = batch.contacts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(accepted, ["C3", "C4"]);
        let refused: Vec<(u64, &str)> = batch
            .quarantine
            .iter()
            .map(|q| (q.line, q.field.as_str()))
            .collect();
        assert_eq!(refused, [1, 2, 3, 6, 7, 8].map(|line| (line, "started_at")));
        assert_eq!(
            batch.quarantine[0].reason,
            "implausible date in started_at: 0001-01-01T00:00:00+08:00 is before 2000-01-01 ([input] earliest_date)"
        );
        assert!(
            batch.quarantine[1]
                .reason
                .contains("9999-12-31T00:00:00+08:00 is more than 7 days after the run")
        );
        // The mobile number is masked in the reason as in the raw text.
        let mobile = &batch.quarantine[4];
        assert!(
            mobile
                .reason
                .starts_with("cannot parse time 138****5678: a number is a time only"),
            "{}",
            mobile.reason
        );
        assert!(!mobile.raw.contains("13812345678"));
        // Declared epoch milliseconds: year 5138, implausible.
        let declared = InputFile {
            time_unit: Some(TimeUnit::EpochMillis),
            ..InputFile::new(&path)
        };
        let batch = ingestor.ingest(&[declared]).unwrap();
        let last = batch.quarantine.last().unwrap();
        assert_eq!(last.line, 8);
        assert!(last.reason.contains("5138-11-16T"), "{}", last.reason);
        assert_eq!(batch.stats.read, 8);
        assert_eq!(batch.stats.accepted + batch.stats.quarantined, 8);
    }

    /// Issue 27: one quote left open near the top of a 101-row CSV: 100 rows accepted,
    /// the open one quarantined naming its file and line, and the counts reconcile.
    #[test]
    fn an_unclosed_csv_quote_costs_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        let mut text = String::from("id,started_at,text\n");
        for i in 1..=101 {
            let body = if i == 3 {
                "\"断网了，电话13812345678".to_string()
            } else {
                format!("第{i}条")
            };
            text.push_str(&format!("C{i},2026-11-02 09:00:00,{body}\n"));
        }
        std::fs::write(&path, text).unwrap();
        let batch = Ingestor::new(IngestOptions::default())
            .unwrap()
            .ingest(&[InputFile::new(&path)])
            .unwrap();
        let s = &batch.stats;
        assert_eq!(
            (s.read, s.accepted, s.quarantined, s.duplicates),
            (101, 100, 1, 0)
        );
        let q = &batch.quarantine[0];
        assert_eq!((q.source.as_str(), q.line), (path.to_str().unwrap(), 4));
        assert!(q.reason.contains("quote left open"), "{}", q.reason);
        assert_eq!(q.raw, "C3,2026-11-02 09:00:00,\"断网了，电话138****5678");
    }

    /// Issue 27: two numeric ids of 22 digits that differ in their last digit are two
    /// contacts (read as floats they were one, and one was counted as a duplicate).
    #[test]
    fn long_numeric_ids_do_not_collide() {
        let batch = ingest(
            concat!(
                r#"{"id":1234567890123456789012,"started_at":"2026-11-02 09:00:00","text":"a"}"#,
                "\n",
                r#"{"id":1234567890123456789013,"started_at":"2026-11-02 09:00:00","text":"b"}"#,
            )
            .as_bytes(),
        );
        let ids: Vec<&str> = batch.contacts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["1234567890123456789012", "1234567890123456789013"]);
        assert_eq!(batch.stats.duplicates, 0);
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

    /// Whatever the ids (sharing 16-byte prefixes, prefixes of one another, with a NUL
    /// byte), the newest delivery of each is kept and the kept ones are listed in id
    /// order, as a plain sort of the strings gives.
    #[test]
    fn deliveries_keep_the_newest_of_each_id_in_id_order() {
        let ids = [
            "C20261102-000123",
            "C20261102-0001234",
            "C20261102-000123",
            "C20261102-00012",
            "C20261102-000122",
            "a",
            "a\0",
            "a\0b",
            "ab",
            "C20261102-0001234",
            "宽带工单-20261102-000001",
            "宽带工单-20261102-000002",
            "a",
            "",
            "C20261102-000124",
        ];
        let mut deliveries = Deliveries::default();
        for id in ids {
            deliveries.push(id);
        }
        deliveries.finish();
        let mut expected: Vec<(&str, u64)> = Vec::new();
        for (seq, id) in ids.iter().enumerate() {
            match expected.iter_mut().find(|(kept, _)| kept == id) {
                Some(entry) => entry.1 = seq as u64,
                None => expected.push((id, seq as u64)),
            }
        }
        expected.sort();
        let kept: Vec<(&str, u64)> = deliveries
            .kept()
            .map(|seq| (deliveries.id(seq), seq))
            .collect();
        assert_eq!(kept, expected);
        for seq in 0..ids.len() as u64 {
            assert_eq!(
                deliveries.keeps(seq),
                expected.iter().any(|&(_, kept)| kept == seq),
                "{seq}"
            );
        }
        assert_eq!(deliveries.accepted(), expected.len() as u64);
    }
}
