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
//! then folded into the history one week at a time ([`voc_store::spool::merge`]),
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
use voc_classify::Classifier;
use voc_core::{Contact, EnrichedContact, fsutil};
use voc_index::{ContactIndex, ContactWriter};
use voc_ingest::{Chunk, Deliveries, Delivery, IngestStats, Ingestor};
use voc_store::OutputDir;
use voc_store::spool::{BatchView, Spool, WeekBatch};
use voc_text::Segmenter;

use crate::config::Pipeline;
use crate::manifest::StageTiming;
use crate::models::ModelsLoading;
use crate::repeat_contacts::DeliveryKeys;
use crate::stages::StageClock;

/// Why a run stopped without writing its outputs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "{quarantined} of {read} records ({rate:.1}%) were quarantined, above the {limit:.1}% limit: \
         the column mapping ([input.columns]) or the input format is probably wrong; see {path}{diagnosis}"
    )]
    TooManyQuarantined {
        read: u64,
        quarantined: u64,
        rate: f64,
        limit: f64,
        path: String,
        /// The fields at fault and each input's headers and mapping (see
        /// [`crate::onboarding::quarantine_diagnosis`]).
        diagnosis: String,
    },
}

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
    pub out: &'a OutputDir,
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
    // A history of an earlier layout is refused before anything is read or written.
    voc_store::history::check_history(ctx.out.history())?;
    let mut timings = Vec::new();
    let started = Instant::now();
    // Ingest and segment + classify take turns on this thread chunk by chunk: one span
    // holds both (their times are summed apart, see `stages`).
    let streamed = tracing::info_span!("stage", stage = "ingest+segment_classify").entered();
    // A mapping that cannot fit its file fails here, before a row is read.
    crate::onboarding::check_mappings(ctx.pipeline)?;

    // Ingest: validate, normalize, mask. Nothing below this line sees raw PII.
    let ingestor = Ingestor::new(ctx.pipeline.ingest_options())?;
    let input_files = f.input.files();
    let quarantine_path = ctx.out.quarantine();
    let mut quarantine = QuarantineFile::create(&quarantine_path)?;
    // Inside the run's new generation: removed when the batch is done, and with the
    // generation by the next command if this run is killed.
    let spool_dir = ctx.out.spool(std::process::id());
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
    let mut tally = crate::onboarding::QuarantineTally::default();
    let ingested = ingestor.ingest_streaming(&input_files, &mut |chunk: Chunk| -> Result<()> {
        quarantine.write(&chunk.quarantine)?;
        chunk.quarantine.iter().for_each(|q| tally.add(q));
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
    crate::onboarding::check_mappings_read(ctx.pipeline, &ingested.headers_read)?;
    quarantine.finish()?;
    voc_store::checkpoint("ingest")?;
    let stats = ingested.stats;
    let input_fingerprints = ingested.fingerprints;
    let stream_time = started.elapsed();
    timings.push(StageClock::measured(
        "ingest",
        stream_time.saturating_sub(enrich_time + models_wait),
    ));
    timings.push(StageClock::measured("segment_classify", enrich_time));
    drop(streamed);
    if stats.quarantine_rate() > f.input.max_quarantine_rate {
        return Err(RunError::TooManyQuarantined {
            read: stats.read,
            quarantined: stats.quarantined,
            rate: stats.quarantine_rate() * 100.0,
            limit: f.input.max_quarantine_rate * 100.0,
            path: quarantine_path.display().to_string(),
            diagnosis: crate::onboarding::quarantine_diagnosis(ctx.pipeline, &tally),
        }
        .into());
    }
    // The whole batch, compactly: newest delivery per id, repeat flags, weeks.
    let started = Instant::now();
    // The history and the index take turns week by week (times summed apart).
    let _weekly = tracing::info_span!("stage", stage = "history+index").entered();
    let deliveries = ingested.deliveries;
    let repeat = keys.repeat_flags(&deliveries, f.classify.repeat_window_days);
    let weeks: BTreeSet<String> = {
        let mut times: Vec<DateTime<FixedOffset>> =
            deliveries.kept().map(|seq| keys.at(seq)).collect();
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
            &ctx.out.index(),
            models.segmenter.clone(),
            &models.segmenter_builder,
        )?;
        voc_index::save_channel_names(&ctx.out.index(), &ctx.pipeline.file.report.channel_names)?;
        let _ = ctx.index.set(opened);
    }
    let index: &'a ContactIndex = ctx.index.get().context("the index was not opened")?;
    let mut index_writer = index.writer()?;
    let mut index_time = Duration::ZERO;
    let partitions = voc_store::spool::merge(
        ctx.out.history(),
        &mut spool,
        &members,
        &mut |week: &WeekBatch| -> Result<()> {
            let t = Instant::now();
            // Ids are unique here: the batch keeps one delivery of each.
            week.for_each_slice(INDEX_SLICE, |records, stored| -> Result<()> {
                Ok(index_writer.add_unique_stored(&records, &stored)?)
            })?;
            index_time += t.elapsed();
            voc_store::checkpoint("history-week")?;
            Ok(())
        },
    )?;
    voc_store::checkpoint("history")?;
    drop(repeat);
    spool.remove().ok();
    timings.push(StageClock::measured(
        "history",
        started.elapsed().saturating_sub(index_time),
    ));
    timings.push(StageClock::measured("index", index_time));

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
    let c = classifier.classify_for_history(&contact, &tokens);
    EnrichedContact {
        week: voc_core::time::iso_week_key(&contact.started_at),
        contact,
        tokens,
        categories: c.categories,
        complaint: c.complaint,
        sentiment: c.sentiment,
        sentiment_label: c.sentiment_label.to_string(),
        mood: c.mood,
        risk: c.risk,
    }
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

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
