//! The streaming batch engine: ingest → segment + classify → history → index with
//! memory bounded by a chunk, the spool's budget and a week, not by the batch.
//!
//! ```text
//!  reader thread                                     spool thread
//!  ingest chunk (4,096 records, masked) ─► segment + classify (rayon) ─► bounded channel ─► spool
//!                                                    (frames in memory up to 256 MiB, then spool/week=…/chunk-N.parquet)
//!  └─ quarantine.jsonl (temp file, renamed at the end)
//!  └─ per delivery: seq → (time, customer)   id → newest seq (in voc-ingest)
//! ```
//!
//! Once every input is read, the whole batch is known only through compact maps: which
//! delivery of each id is the newest, and each delivery's time and customer, from which
//! the repeat-contact flags are computed exactly as on the whole batch. The spool is
//! then folded into the history one week at a time ([`voc_aggregate::spool::merge`]),
//! and each week's final records are fed to the one index writer in small slices before
//! the index commits once. Peak memory is that of one chunk in flight, the spool's
//! memory budget, one week of Parquet and the index writer's fixed budget; outputs are
//! byte-identical to processing the batch in memory, whatever the chunking and wherever
//! the spool holds it.

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Datelike, FixedOffset};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use voc_aggregate::spool::{BatchView, Spool, WeekBatch};
use voc_classify::Classifier;
use voc_core::arena::{StrArena, prefix_key};
use voc_core::{Contact, EnrichedContact, fsutil};
use voc_index::{ContactIndex, ContactWriter};
use voc_ingest::{Chunk, Deliveries, Delivery, IngestOptions, IngestStats, Ingestor};
use voc_text::Segmenter;

use crate::config::Pipeline;
use crate::manifest::StageTiming;
use crate::run::{HISTORY_DIR, INDEX_DIR, ModelsLoading, QUARANTINE_FILE, RunError};

/// Folder of the spool inside the output folder, `.spool-PID` (removed when the batch
/// is done, and by the next run if a killed run left it).
pub const SPOOL_PREFIX: &str = ".spool-";
/// Enriched chunks that may wait for the spool writer: bounds memory when the disk is
/// slower than segmentation.
const CHANNEL_CHUNKS: usize = 2;
/// Records decoded from a week's Parquet at a time to feed the index.
pub(crate) const INDEX_SLICE: usize = 1024;
/// Ingested chunks parked while the models are still being built (about the first
/// tenth of a second of ingest); past this many, ingest waits for them.
const PARKED_CHUNKS: usize = 8;

/// What the engine needs from the run.
pub struct BatchContext<'a> {
    pub pipeline: &'a Pipeline,
    pub out_dir: &'a Path,
    /// Still being built when the batch starts: ingest does not need them.
    pub models: &'a ModelsLoading,
    /// Where the batch opens the index (once the models are built: queries are cut by
    /// the same segmenter); the run's, so its uncommitted writer can outlive the batch.
    pub index: &'a OnceLock<ContactIndex>,
    pub progress: bool,
}

/// A processed batch: its counts, what was written, and the compact knowledge of which
/// contacts it holds.
pub struct BatchOutcome<'a> {
    pub stats: IngestStats,
    /// History partitions written, in the order `write_history` reports them.
    pub partitions: Vec<PathBuf>,
    pub quarantine_path: PathBuf,
    /// Every contact of the batch added, not yet committed: the run commits it while it
    /// aggregates and renders the report, which read only the history.
    pub index: ContactWriter<'a>,
    /// Stage timings: ingest, segment_classify, history, index (feeding the writer).
    pub timings: Vec<StageTiming>,
    /// How long ingest stood waiting for the models (not in `timings`).
    pub models_wait: Duration,
    /// Each input's SHA-256 and size as ingest read it, in input order.
    pub input_fingerprints: Vec<(String, u64)>,
    /// Weeks holding at least one contact of the batch, in order.
    pub weeks: BTreeSet<String>,
}

impl BatchOutcome<'_> {
    /// The newest week with a contact of the batch ("" for an empty batch).
    pub fn latest_week(&self) -> String {
        self.weeks.last().cloned().unwrap_or_default()
    }
}

/// Runs ingest, segmentation and classification, the history and the index over the
/// pipeline's inputs, streaming. Fails with [`RunError::TooManyQuarantined`] after
/// writing the quarantine file, before touching the history or the index.
pub fn process<'a>(ctx: &BatchContext<'a>) -> Result<BatchOutcome<'a>> {
    let f = &ctx.pipeline.file;
    let mut timings = Vec::new();
    let started = Instant::now();

    // Ingest: validate, normalize, mask. Nothing below this line sees raw PII.
    let ingestor = Ingestor::new(IngestOptions {
        extra_pii_patterns: f.pii.extra_patterns.clone(),
        filler_words: f.text.filler_words.clone(),
        traditional_to_simplified: f.input.traditional_to_simplified,
        pseudonym_key: crate::run::pseudonym_key(),
        id_pseudonyms: voc_ingest::IdPseudonyms {
            always: f.pii.always_pseudonymize.clone(),
            never: f.pii.never_pseudonymize.clone(),
        },
    })?;
    let input_files = f.input.files();
    let quarantine_path = ctx.out_dir.join(QUARANTINE_FILE);
    let mut quarantine = QuarantineFile::create(&quarantine_path)?;
    remove_stale_spools(ctx.out_dir)?;
    let spool_dir = ctx
        .out_dir
        .join(format!("{SPOOL_PREFIX}{}", std::process::id()));
    let _cleanup = RemoveOnDrop(spool_dir.clone());
    let spool = Spool::create(&spool_dir)
        .with_context(|| format!("cannot create the spool {}", spool_dir.display()))?;

    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(u64, EnrichedContact)>>(CHANNEL_CHUNKS);
    let writer =
        std::thread::Builder::new()
            .name("voc-spool".into())
            .spawn(move || -> Result<Spool> {
                let mut spool = spool;
                for chunk in rx {
                    spool.append(&chunk).context("cannot write the spool")?;
                }
                Ok(spool)
            })?;

    let bar = counter(ctx.progress, "segment + classify");
    let mut keys = DeliveryKeys::default();
    let mut enrich_time = Duration::ZERO;
    let mut models_wait = Duration::ZERO;
    // Chunks ingested before the models were ready, in order.
    let mut parked: Vec<Vec<Delivery>> = Vec::new();
    let mut enrich_parked = |parked: &mut Vec<Vec<Delivery>>| -> Result<()> {
        let t = Instant::now();
        let models = ctx.models.get()?;
        models_wait += t.elapsed();
        let t = Instant::now();
        for contacts in parked.drain(..) {
            let n = contacts.len() as u64;
            let enriched: Vec<(u64, EnrichedContact)> = contacts
                .into_par_iter()
                .map(|d| {
                    let contact = enrich(d.contact, &models.segmenter, &models.classifier);
                    (d.seq, contact)
                })
                .collect();
            bar.inc(n);
            // A closed channel means the writer failed; its error is reported below.
            tx.send(enriched)
                .map_err(|_| anyhow!("the spool writer stopped"))?;
        }
        enrich_time += t.elapsed();
        Ok(())
    };
    let ingested = ingestor.ingest_streaming(&input_files, &mut |chunk: Chunk| -> Result<()> {
        quarantine.write(&chunk.quarantine)?;
        for d in &chunk.contacts {
            keys.push(d.seq, &d.contact);
        }
        parked.push(chunk.contacts);
        if ctx.models.is_ready() || parked.len() >= PARKED_CHUNKS {
            enrich_parked(&mut parked)?;
        }
        Ok(())
    });
    // Chunks still parked: the whole batch was read before the models were built.
    let ingested = ingested.and_then(|i| enrich_parked(&mut parked).map(|()| i));
    drop(tx);
    let t = Instant::now();
    let spooled = writer
        .join()
        .map_err(|_| anyhow!("the spool writer panicked"))?;
    bar.finish_and_clear();
    let (ingested, mut spool) = match (ingested, spooled) {
        (_, Err(e)) => return Err(e),
        (Err(e), _) => return Err(e),
        (Ok(i), Ok(s)) => (i, s),
    };
    enrich_time += t.elapsed();
    quarantine.finish()?;
    let stats = ingested.stats;
    let input_fingerprints = ingested.fingerprints;
    let stream_time = started.elapsed();
    timings.push(timing(
        "ingest",
        stream_time.saturating_sub(enrich_time + models_wait),
    ));
    timings.push(timing("segment_classify", enrich_time));
    if stats.quarantine_rate() > f.input.max_quarantine_rate {
        return Err(RunError::TooManyQuarantined {
            read: stats.read,
            quarantined: stats.quarantined,
            rate: stats.quarantine_rate() * 100.0,
            limit: f.input.max_quarantine_rate * 100.0,
            path: quarantine_path.display().to_string(),
        }
        .into());
    }
    // The whole batch, compactly: newest delivery per id, repeat flags, weeks.
    let started = Instant::now();
    let deliveries = ingested.deliveries;
    let repeat = keys.repeat_flags(&deliveries, f.classify.repeat_window_days);
    let weeks: BTreeSet<String> = {
        let mut times: Vec<DateTime<FixedOffset>> =
            deliveries.kept().map(|seq| keys.at[seq as usize]).collect();
        times.sort_unstable();
        // Times are sorted, so the week changes only at week boundaries: compare the
        // calendar week and write its key once per week, not once per contact.
        let mut weeks = BTreeSet::new();
        let mut last = None;
        for at in times {
            let week = at.with_timezone(&voc_core::time::china_offset()).iso_week();
            if last != Some(week) {
                weeks.insert(voc_core::time::iso_week_key(&at));
                last = Some(week);
            }
        }
        weeks
    };
    drop(keys);
    let members = Members {
        deliveries: &deliveries,
        repeat: &repeat,
        weeks: &weeks,
    };

    let models = ctx.models.get()?;
    if ctx.index.get().is_none() {
        let opened = ContactIndex::open_or_create(
            &ctx.out_dir.join(INDEX_DIR),
            models.segmenter.clone(),
            &models.segmenter_builder,
        )?;
        let _ = ctx.index.set(opened);
    }
    let index: &'a ContactIndex = ctx.index.get().context("the index was not opened")?;
    let mut index_writer = index.writer()?;
    let mut index_time = Duration::ZERO;
    let history = ctx.out_dir.join(HISTORY_DIR);
    let partitions = voc_aggregate::spool::merge(
        &history,
        &mut spool,
        &members,
        &mut |week: &WeekBatch| -> Result<()> {
            let t = Instant::now();
            // Ids are unique here: the batch keeps one delivery of each.
            week.for_each_slice(INDEX_SLICE, |records, stored| -> Result<()> {
                Ok(index_writer.add_unique_stored(&records, &stored)?)
            })?;
            index_time += t.elapsed();
            Ok(())
        },
    )?;
    drop(repeat);
    spool.remove().ok();
    timings.push(timing(
        "history",
        started.elapsed().saturating_sub(index_time),
    ));
    timings.push(timing("index", index_time));

    Ok(BatchOutcome {
        stats,
        partitions,
        quarantine_path,
        index: index_writer,
        timings,
        models_wait,
        weeks,
        input_fingerprints,
    })
}

/// Segments every turn once and classifies the contact with those tokens.
pub fn enrich(contact: Contact, segmenter: &Segmenter, classifier: &Classifier) -> EnrichedContact {
    let tokens: Vec<voc_core::TurnTokens> = contact
        .turns
        .iter()
        .map(|t| segmenter.cut(&t.text))
        .collect();
    let c = classifier.classify(&contact, &tokens);
    EnrichedContact {
        week: voc_core::time::iso_week_key(&contact.started_at),
        contact,
        tokens,
        categories: c.categories,
        complaint: c.complaint,
        sentiment: c.sentiment,
        sentiment_label: c.sentiment_label.to_string(),
        risk: c.risk,
    }
}

/// What the repeat-contact flag needs of every delivery, by sequence number: its time
/// and its customer.
#[derive(Default)]
struct DeliveryKeys {
    at: Vec<DateTime<FixedOffset>>,
    customers: StrArena,
}

impl DeliveryKeys {
    fn push(&mut self, seq: u64, contact: &Contact) {
        debug_assert_eq!(seq as usize, self.at.len(), "deliveries arrive in order");
        self.at.push(contact.started_at);
        self.customers.push(contact.customer_id.as_deref());
    }

    /// A contact is a repeat when its customer contacted within `window_days` before
    /// it, among the batch's kept contacts in order of time, then id (what marking the
    /// sorted batch in memory gives): sorted by customer, time and id, each contact is
    /// compared with the one before it of the same customer. Indexed by sequence number.
    fn repeat_flags(&self, deliveries: &Deliveries, window_days: u32) -> Vec<bool> {
        let window = chrono::Duration::days(i64::from(window_days));
        // At its final size from the start: growing it would hold two copies at once.
        let mut kept: Vec<RepeatKey> = Vec::with_capacity(deliveries.accepted() as usize);
        kept.extend(deliveries.kept().filter_map(|seq| {
            let customer = self.customers.get(seq as usize)?;
            let at = self.at[seq as usize];
            Some(RepeatKey {
                customer: prefix_key(customer),
                customer_len: customer.len() as u32,
                seq: seq as u32,
                secs: at.timestamp(),
            })
        }));
        let by_customer = |a: &RepeatKey, b: &RepeatKey| {
            a.customer.cmp(&b.customer).then_with(|| {
                if a.customer_len <= 16 && b.customer_len <= 16 {
                    // Equal padded prefixes of strings this short: the shorter one is
                    // the longer one without its trailing zero bytes.
                    a.customer_len.cmp(&b.customer_len)
                } else {
                    let customer = |k: &RepeatKey| self.customers.get(k.seq as usize);
                    customer(a).cmp(&customer(b))
                }
            })
        };
        kept.par_sort_unstable_by(|a, b| {
            by_customer(a, b)
                .then_with(|| a.secs.cmp(&b.secs))
                .then_with(|| self.at[a.seq as usize].cmp(&self.at[b.seq as usize]))
                .then_with(|| {
                    let id = |k: &RepeatKey| deliveries.id(u64::from(k.seq));
                    id(a).cmp(id(b))
                })
        });
        let mut flags = vec![false; self.at.len()];
        for pair in kept.windows(2) {
            let (prev, cur) = (&pair[0], &pair[1]);
            if by_customer(prev, cur).is_eq() {
                flags[cur.seq as usize] =
                    self.at[cur.seq as usize] - self.at[prev.seq as usize] <= window;
            }
        }
        flags
    }
}

/// A kept delivery in the repeat flags' sort, with what most comparisons need inline,
/// so that sorting a million deliveries does not read two strings per comparison from
/// all over the arenas. 32 bytes (a million: 32 MB for the sort's duration); the
/// fraction of a second is read from the times only on equal seconds.
struct RepeatKey {
    customer: u128,
    secs: i64,
    customer_len: u32,
    seq: u32,
}

struct Members<'a> {
    deliveries: &'a Deliveries,
    repeat: &'a [bool],
    weeks: &'a BTreeSet<String>,
}

impl BatchView for Members<'_> {
    fn keeps(&self, _id: &str, seq: u64) -> bool {
        self.deliveries.keeps(seq)
    }
    fn repeat(&self, seq: u64) -> bool {
        self.repeat.get(seq as usize).copied().unwrap_or(false)
    }
    fn has_week(&self, week: &str) -> bool {
        self.weeks.contains(week)
    }
    fn ids(&self) -> Vec<&str> {
        self.deliveries
            .kept()
            .map(|seq| self.deliveries.id(seq))
            .collect()
    }
}

/// `quarantine.jsonl` written as records come, to a temporary sibling renamed into
/// place at the end (removed if the run fails before).
struct QuarantineFile {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<std::io::BufWriter<std::fs::File>>,
}

impl QuarantineFile {
    fn create(path: &Path) -> Result<Self> {
        let tmp = fsutil::temp_sibling(path);
        let file = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::File::create(&tmp))
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        Ok(QuarantineFile {
            path: path.to_path_buf(),
            tmp,
            writer: Some(std::io::BufWriter::new(file)),
        })
    }

    fn write(&mut self, records: &[voc_ingest::Quarantined]) -> Result<()> {
        let w = self
            .writer
            .as_mut()
            .context("quarantine file already closed")?;
        records
            .iter()
            .try_for_each(|q| {
                serde_json::to_writer(&mut *w, q)?;
                w.write_all(b"\n")
            })
            .with_context(|| format!("cannot write {}", self.tmp.display()))
    }

    /// Flushes and renames the file into place. Until that succeeds the writer stays,
    /// so a failure (a full disk) leaves the temporary file to `Drop` to remove.
    fn finish(&mut self) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .context("quarantine file already closed")?;
        writer
            .flush()
            .and_then(|()| writer.get_ref().sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.writer = None;
        Ok(())
    }
}

impl Drop for QuarantineFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Spools that killed runs left in the output folder.
fn remove_stale_spools(out_dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out_dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(SPOOL_PREFIX)
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(fsutil::left_by_dead_process) {
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn timing(stage: &str, d: Duration) -> StageTiming {
    StageTiming {
        stage: stage.to_string(),
        ms: d.as_millis() as u64,
    }
}

/// A progress counter (the batch size is not known until the inputs are read).
pub(crate) fn counter(visible: bool, label: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::no_length();
    bar.set_style(
        ProgressStyle::with_template("{msg:>20} {pos} contacts ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_string());
    bar
}

/// Peak resident memory of this process so far in KiB (`VmHWM`), on Linux.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_core::Turn;

    fn contact(id: &str, at: &str, customer: Option<&str>) -> Contact {
        let mut c = Contact::new(
            id,
            DateTime::parse_from_rfc3339(at).unwrap(),
            "voice",
            vec![Turn {
                speaker: voc_core::Speaker::Customer,
                text: "x".into(),
            }],
        );
        c.customer_id = customer.map(str::to_string);
        c
    }

    /// The repeat flags of the streamed deliveries, and those of marking the kept
    /// contacts in memory, sorted by time and id.
    fn flags_both_ways(deliveries: &[Contact], window_days: u32) -> (Vec<bool>, Vec<bool>) {
        let mut keys = DeliveryKeys::default();
        let mut lines = String::new();
        for (seq, c) in deliveries.iter().enumerate() {
            keys.push(seq as u64, c);
            lines.push_str(&serde_json::to_string(c).unwrap());
            lines.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, lines).unwrap();
        let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
        let streamed = ingestor
            .ingest_streaming(&[voc_ingest::InputFile::new(&path)], &mut |_: Chunk| {
                Ok::<(), anyhow::Error>(())
            })
            .unwrap();
        let flags = keys.repeat_flags(&streamed.deliveries, window_days);

        let mut kept: Vec<(usize, &Contact)> = deliveries
            .iter()
            .enumerate()
            .filter(|(i, _)| streamed.deliveries.keeps(*i as u64))
            .collect();
        kept.sort_by(|x, y| {
            x.1.started_at
                .cmp(&y.1.started_at)
                .then_with(|| x.1.id.cmp(&y.1.id))
        });
        let mut last_seen = std::collections::HashMap::new();
        let mut expected = vec![false; deliveries.len()];
        for (i, c) in kept {
            let Some(customer) = c.customer_id.clone() else {
                continue;
            };
            if let Some(prev) = last_seen.get(&customer) {
                expected[i] =
                    c.started_at - *prev <= chrono::Duration::days(i64::from(window_days));
            }
            last_seen.insert(customer, c.started_at);
        }
        (flags, expected)
    }

    #[test]
    fn repeat_flags_follow_time_then_id_over_kept_deliveries() {
        let deliveries = [
            contact("a", "2026-11-02T09:00:00+08:00", Some("u1")),
            contact("b", "2026-11-05T09:00:00+08:00", Some("u1")),
            // Same instant as b, other offset and a smaller id: comes before b.
            contact("a2", "2026-11-05T01:00:00+00:00", Some("u1")),
            contact("c", "2026-11-20T09:00:00+08:00", Some("u1")),
            contact("d", "2026-11-03T09:00:00+08:00", None),
            contact("e", "2026-11-04T09:00:00+08:00", Some("u0")),
            // A re-delivery of a moves it after c: the first delivery no longer counts.
            contact("a", "2026-11-21T09:00:00+08:00", Some("u1")),
        ];
        let (flags, expected) = flags_both_ways(&deliveries, 7);
        // a2 first of u1 (a moved away), b within 7 days of a2, c 15 days later, a 1 day.
        assert_eq!(flags, [false, true, false, false, false, false, true]);
        assert_eq!(flags, expected);
    }

    #[test]
    fn repeat_flags_match_marking_in_memory_for_customers_alike_in_their_first_bytes() {
        // Customers the sort's 16-byte prefixes cannot tell apart (a trailing zero byte,
        // a shared 16-byte start, lengths on both sides of 16), ids re-delivered,
        // instants written with two offsets, and times a fraction of a second apart.
        let customers = [
            None,
            Some(""),
            Some("u1"),
            Some("u1\0"),
            Some("u10"),
            Some("0123456789abcdef"),
            Some("0123456789abcdef\0"),
            Some("0123456789abcdefA"),
            Some("0123456789abcdefB"),
            Some("客户甲乙丙丁戊"),
            Some("客户甲乙丙丁戊己"),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let deliveries: Vec<Contact> = (0..3_000)
            .map(|_| {
                let id = format!("c{}", next(2_000));
                let day = 1 + next(28);
                let hour = next(3);
                let fraction = ["", ".25", ".5"][next(3)];
                // 08:00+08:00 and 00:00Z are the same instant.
                let at = if next(2) == 0 {
                    format!("2026-11-{day:02}T{:02}:00:00{fraction}+08:00", 8 + hour)
                } else {
                    format!("2026-11-{day:02}T{hour:02}:00:00{fraction}+00:00")
                };
                contact(&id, &at, customers[next(customers.len())])
            })
            .collect();
        let (flags, expected) = flags_both_ways(&deliveries, 3);
        assert!(flags.iter().filter(|&&f| f).count() > 500);
        assert_eq!(flags, expected);
    }
}
