//! One run of a pipeline over its inputs.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use voc_classify::{Classifier, RiskTerms, SentimentModel, TaxonomySpec};
use voc_core::{fingerprint, fsutil};
use voc_text::Segmenter;

use crate::batch::BatchContext;
use crate::config::Pipeline;
use crate::manifest::{Counts, FileFingerprint, Manifest, StageTiming};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `[output] dir` of the pipeline file.
    pub out_dir: Option<PathBuf>,
    /// Draw progress bars (on a terminal, not in CI).
    pub progress: bool,
    /// Process the batch even when the output folder already holds its results.
    pub force: bool,
}

/// Why a run stopped without writing its outputs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "{quarantined} of {read} records ({rate:.1}%) were quarantined, above the {limit:.1}% limit: \
         the column mapping ([input.columns]) or the input format is probably wrong; see {path}"
    )]
    TooManyQuarantined {
        read: u64,
        quarantined: u64,
        rate: f64,
        limit: f64,
        path: String,
    },
}

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub out_dir: PathBuf,
    /// The batch was already processed with this configuration and the outputs are
    /// intact, so nothing was done (`manifest` is the earlier run's).
    pub already_processed: bool,
    pub manifest: Manifest,
    /// Emerging issues found in the period, as `category` or `category @ region`.
    pub emerging: Vec<String>,
    /// What the user should know about this run though it succeeded.
    pub warnings: Vec<String>,
}

/// Output layout inside the output folder.
pub const HISTORY_DIR: &str = "history";
pub const INDEX_DIR: &str = "index";
pub const REPORT_DIR: &str = "report";
/// Trend tables (volumes, KPI scorecard, forecast …) as Parquet and CSV.
pub const TABLES_DIR: &str = "tables";
pub const QUARANTINE_FILE: &str = "quarantine.jsonl";
pub const MANIFEST_FILE: &str = "run.json";

struct Timer {
    timings: Vec<StageTiming>,
    started: Instant,
    stage_started: Instant,
}

impl Timer {
    fn new() -> Self {
        Timer {
            timings: Vec::new(),
            started: Instant::now(),
            stage_started: Instant::now(),
        }
    }
    fn lap(&mut self, stage: &str) {
        self.timings.push(StageTiming {
            stage: stage.to_string(),
            ms: self.stage_started.elapsed().as_millis() as u64,
        });
        self.stage_started = Instant::now();
    }
    /// Adds `time` to the stage already timed as `stage`.
    fn add(&mut self, stage: &str, time: std::time::Duration) {
        if let Some(t) = self.timings.iter_mut().find(|t| t.stage == stage) {
            t.ms += time.as_millis() as u64;
        }
    }
    /// Stages timed elsewhere, ending now.
    fn extend(&mut self, timings: &[StageTiming]) {
        self.timings.extend_from_slice(timings);
        self.stage_started = Instant::now();
    }
}

/// The history folder under `out_dir` and its week partitions, oldest first; an error
/// naming the folder when it holds none, for the commands that work on stored history
/// alone (`voc retag`, `voc index rebuild`).
pub fn stored_history(pipeline: &Pipeline, out_dir: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let history = out_dir.join(HISTORY_DIR);
    let partitions = voc_aggregate::history::partitions(&history);
    if partitions.is_empty() {
        anyhow::bail!(
            "no history under {} (run `voc run {}` first)",
            history.display(),
            pipeline.path.display()
        );
    }
    Ok((history, partitions))
}

/// Segmenter built from the pipeline's dictionaries plus every taxonomy and risk term,
/// so rule terms stay single tokens. Returned with its builder so the index can save it.
pub fn build_segmenter(
    pipeline: &Pipeline,
    terms: &[String],
) -> Result<(Segmenter, voc_text::SegmenterBuilder)> {
    let text = &pipeline.file.text;
    let mut builder = Segmenter::builder();
    for dict in &text.dictionaries {
        builder = builder.dictionary(dict)?;
    }
    if let Some(stop) = &text.stopwords {
        builder = builder.stopwords(stop)?;
    }
    for term in terms {
        builder = builder.word(term.clone());
    }
    Ok((builder.build()?, builder))
}

/// The classifier of a pipeline (taxonomy, sentiment lexicon with overrides or trained
/// model, risk terms) and the terms the segmenter should keep whole. Needs no segmenter:
/// rule terms match runs of stored tokens, so `voc retag` uses this alone.
pub fn load_classifier(pipeline: &Pipeline) -> Result<(Classifier, Vec<String>)> {
    let c = &pipeline.file.classify;
    let spec = TaxonomySpec::load(&c.taxonomy)?;
    let mut risk = RiskTerms::default();
    risk.escalation.extend(c.escalation_terms.iter().cloned());
    risk.churn.extend(c.churn_terms.iter().cloned());
    risk.greetings.extend(c.greeting_terms.iter().cloned());
    risk.forbidden.extend(c.forbidden_phrases.iter().cloned());
    let overrides = match &c.sentiment_overrides {
        Some(path) => SentimentModel::load_overrides(path)?,
        None => Vec::new(),
    };
    let mut sentiment = SentimentModel::with_overrides(overrides);
    if let Some(path) = &c.sentiment_model {
        sentiment = sentiment.with_model(voc_classify::LogisticModel::load(path)?);
    }
    let mut terms = spec.terms();
    terms.extend(risk.terms());
    let classifier = Classifier::new(spec.compile(), sentiment, &risk);
    Ok((classifier, terms))
}

/// The classifier and segmenter of a run.
pub struct Models {
    pub classifier: Classifier,
    pub segmenter: Arc<Segmenter>,
    /// Saved into the index folder, so queries are cut as the text was.
    pub segmenter_builder: voc_text::SegmenterBuilder,
}

/// [`Models`] being built on a thread of their own. Building them is one core's work
/// for 0.1-0.2 s (jieba's dictionary) while the other core would idle; ingest (reading,
/// normalizing, masking) needs neither model, so it starts at once and waits for them
/// only when the first chunks are to be segmented.
pub struct ModelsLoading {
    handle: std::sync::Mutex<Option<std::thread::JoinHandle<Result<Models>>>>,
    models: std::sync::OnceLock<Models>,
}

impl ModelsLoading {
    pub fn start(pipeline: &Pipeline) -> Result<Self> {
        let pipeline = pipeline.clone();
        let handle = std::thread::Builder::new()
            .name("voc-models".into())
            .spawn(move || {
                let (classifier, segmenter, segmenter_builder) = build_classifier(&pipeline)?;
                Ok(Models {
                    classifier,
                    segmenter: Arc::new(segmenter),
                    segmenter_builder,
                })
            })?;
        Ok(ModelsLoading {
            handle: std::sync::Mutex::new(Some(handle)),
            models: std::sync::OnceLock::new(),
        })
    }

    /// Whether [`ModelsLoading::get`] would return at once.
    pub fn is_ready(&self) -> bool {
        self.models.get().is_some()
            || self
                .handle
                .lock()
                .map_or(true, |h| h.as_ref().is_none_or(|h| h.is_finished()))
    }

    /// The models, waiting for them if they are still being built. A build error is
    /// returned to the first caller; later calls say that the build failed.
    pub fn get(&self) -> Result<&Models> {
        if let Some(models) = self.models.get() {
            return Ok(models);
        }
        // Held while joining: a second caller waits here, then finds the models.
        let mut handle = self
            .handle
            .lock()
            .map_err(|_| anyhow::anyhow!("the model loader failed"))?;
        if let Some(models) = self.models.get() {
            return Ok(models);
        }
        let handle = handle
            .take()
            .ok_or_else(|| anyhow::anyhow!("the models could not be built"))?;
        let models = handle
            .join()
            .map_err(|_| anyhow::anyhow!("building the models panicked"))??;
        Ok(self.models.get_or_init(|| models))
    }
}

/// The classifier of a pipeline with the segmenter that keeps its terms whole.
pub fn build_classifier(
    pipeline: &Pipeline,
) -> Result<(Classifier, Segmenter, voc_text::SegmenterBuilder)> {
    let (classifier, terms) = load_classifier(pipeline)?;
    let (segmenter, builder) = build_segmenter(pipeline, &terms)?;
    Ok((classifier, segmenter, builder))
}

pub fn run(pipeline: &Pipeline, options: &RunOptions) -> Result<RunSummary> {
    let run_started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut timer = Timer::new();
    let f = &pipeline.file;
    let out_dir = options
        .out_dir
        .clone()
        .unwrap_or_else(|| f.output.dir.clone());
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create output folder {}", out_dir.display()))?;
    // A run killed mid-write leaves a temporary sibling behind; it is never read, but
    // it should not accumulate either.
    fsutil::remove_stale_temps(&out_dir)
        .with_context(|| format!("cannot tidy the output folder {}", out_dir.display()))?;
    // An index this version cannot add to stops the run now, not after ingest.
    voc_index::check_version(&out_dir.join(INDEX_DIR))?;

    // Built beside the fingerprints and the start of ingest; see `ModelsLoading`.
    let models = ModelsLoading::start(pipeline)?;
    let config_files = fingerprints(&pipeline.config_files())?;
    let input_paths: Vec<PathBuf> = f.input.files().into_iter().map(|i| i.path).collect();
    let config_fingerprint = combined(&config_files);
    // A missing input fails here, before anything is read.
    let input_sizes = input_paths
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .map(|m| m.len())
                .with_context(|| format!("cannot read input {}", p.display()))
        })
        .collect::<Result<Vec<u64>>>()?;

    if !options.force
        && let Some(previous) =
            previous_run(&out_dir, &config_fingerprint, &input_paths, &input_sizes)?
    {
        return Ok(RunSummary {
            out_dir,
            already_processed: true,
            emerging: Vec::new(),
            warnings: Vec::new(),
            manifest: previous,
        });
    }

    timer.lap("load_models");

    // Ingest, segment + classify, history and index, streamed: see `batch`.
    let index_slot = std::sync::OnceLock::new();
    let batch = crate::batch::process(&BatchContext {
        pipeline,
        out_dir: &out_dir,
        models: &models,
        index: &index_slot,
        progress: options.progress,
    })?;
    // The inputs' fingerprints come from ingest, which hashes what it reads: a pass of
    // their own before it would hold ingest up.
    let inputs: Vec<FileFingerprint> = input_paths
        .iter()
        .zip(&batch.input_fingerprints)
        .map(|(path, (sha256, bytes))| FileFingerprint {
            path: path.display().to_string(),
            sha256: sha256.clone(),
            bytes: *bytes,
        })
        .collect();
    let data_fingerprint = combined(&inputs);
    // The time ingest stood waiting for the models is the models' (stage names and the
    // sum of the stages stay what they were when the models were built first).
    timer.add("load_models", batch.models_wait);
    timer.extend(&batch.timings);
    let Models {
        classifier,
        segmenter,
        ..
    } = models.get()?;
    let history = out_dir.join(HISTORY_DIR);
    let period = match f.pipeline.period.as_str() {
        "latest" => Some(batch.latest_week())
            .filter(|w| !w.is_empty())
            .or_else(|| newest_stored_week(&history))
            .unwrap_or_default(),
        week => week.to_string(),
    };
    let crate::batch::BatchOutcome {
        stats,
        partitions,
        quarantine_path,
        index: index_writer,
        ..
    } = batch;

    // The index commit (flushing the last segments, merging) runs beside the trends and
    // the report, which read only the history: one after the other, a core idled
    // through most of each. The `index` stage adds the wait for the commit after them.
    let (outputs, index_stats) = std::thread::scope(|scope| -> Result<_> {
        let commit = scope.spawn(move || index_writer.commit());
        let outputs = (|| -> Result<(Vec<PathBuf>, voc_aggregate::Trends)> {
            if period.is_empty() {
                // Only `latest` leaves the period empty: no week in the batch or history.
                anyhow::bail!(
                    "nothing to report: the batch read {} records and accepted none, and the \
                     history under {} is empty",
                    stats.read,
                    history.display()
                );
            }
            let report_period = voc_core::Period::parse(&period)?;
            // The report quotes the period's contacts as stored (read back by
            // `report::render`), so `voc report` on the same history gives the same
            // report. Reads only the partitions the period needs (its baseline, the month
            // to date and the one before, the forecast's history).
            let trends = crate::trends::compute(pipeline, &history, &report_period, segmenter)?;
            timer.lap("aggregate");

            let quality = voc_report::DataQuality {
                read: stats.read,
                accepted: stats.accepted,
                quarantined: stats.quarantined,
                duplicates: stats.duplicates,
                // What `run.json` will say, so `voc report` (which reads it) says the same.
                batch_period: Some(period.clone()),
            };
            // out/tables/*.{parquet,csv} are written beside the report's read-back and
            // rendering, which do not use them: one after the other, each left a core
            // mostly idle.
            let tables_dir = out_dir.join(TABLES_DIR);
            let (table_files, report_files) = std::thread::scope(|scope| {
                let tables =
                    scope.spawn(|| voc_aggregate::export::write_tables(&tables_dir, &trends));
                let report_files = crate::report::render(
                    &crate::report::RenderContext {
                        pipeline,
                        history: &history,
                        taxonomy: &classifier.taxonomy,
                        config_fingerprint: &config_fingerprint,
                        data_fingerprint: &data_fingerprint,
                        quality,
                    },
                    &trends,
                    &out_dir.join(REPORT_DIR),
                );
                let table_files = tables
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (table_files, report_files)
            });
            let mut written: Vec<PathBuf> = partitions;
            written.extend(table_files?);
            written.extend(report_files?);
            written.push(quarantine_path);
            timer.lap("report");
            Ok((written, trends))
        })();
        let t = Instant::now();
        let committed = commit
            .join()
            .map_err(|_| anyhow::anyhow!("the index commit panicked"))?;
        timer.add("index", t.elapsed());
        Ok((outputs?, committed?))
    })?;
    let (written, trends) = outputs;

    let manifest = Manifest {
        tool: format!("voc {}", env!("CARGO_PKG_VERSION")),
        pipeline: f.pipeline.name.clone(),
        run_started_at,
        period: period.clone(),
        config_fingerprint,
        config_files,
        data_fingerprint,
        inputs,
        counts: Counts {
            read: stats.read,
            accepted: stats.accepted,
            quarantined: stats.quarantined,
            duplicates: stats.duplicates,
            indexed: index_stats.upserted,
            index_documents: index_stats.documents,
        },
        pii_masked: stats.pii_masked.clone(),
        pseudonymized: stats.pseudonymized,
        outputs: written
            .iter()
            .map(|p| fingerprint_relative(p, &out_dir))
            .collect::<Result<_>>()?,
        total_ms: timer.started.elapsed().as_millis() as u64,
        timings: timer.timings,
        peak_rss_kb: crate::batch::peak_rss_kb(),
    };
    fsutil::write_atomic(
        &out_dir.join(MANIFEST_FILE),
        (serde_json::to_string_pretty(&manifest)? + "\n").as_bytes(),
    )?;
    let mut warnings = Vec::new();
    if manifest.pseudonymized > 0 && pseudonym_key().is_empty() {
        warnings.push(format!(
            "{} customer or contact ids held personal data and were replaced by pseudonyms \
             keyed with an empty key: anyone can recompute the pseudonym of a guessed \
             number. Set {} (one secret per client, kept outside the pipeline folder) \
             before a client's first run: pseudonyms made with another key do not match \
             these, so an output folder built without it must be rebuilt from scratch.",
            manifest.pseudonymized,
            voc_ingest::PSEUDONYM_KEY_ENV
        ));
    }
    Ok(RunSummary {
        out_dir,
        already_processed: false,
        emerging: emerging_names(&trends),
        warnings,
        manifest,
    })
}

/// The key of the pseudonyms that replace ids holding personal data, from the
/// environment (empty when unset).
pub(crate) fn pseudonym_key() -> String {
    std::env::var(voc_ingest::PSEUDONYM_KEY_ENV).unwrap_or_default()
}

/// The emerging issues of the trends as `category` or `category @ region`.
pub(crate) fn emerging_names(trends: &voc_aggregate::Trends) -> Vec<String> {
    trends
        .emerging
        .iter()
        .map(|e| match &e.region {
            Some(r) => format!("{} @ {r}", e.category),
            None => e.category.clone(),
        })
        .collect()
}

/// The week of the newest stored partition, if any.
fn newest_stored_week(history: &Path) -> Option<String> {
    let newest = voc_aggregate::history::partitions(history).pop()?;
    let folder = newest.parent()?.file_name()?.to_string_lossy().into_owned();
    folder.strip_prefix("week=").map(str::to_string)
}

/// One fingerprint over every configuration file of the pipeline.
pub(crate) fn config_fingerprint(pipeline: &Pipeline) -> Result<String> {
    Ok(combined(&fingerprints(&pipeline.config_files())?))
}

/// The manifest of an earlier run of the same batch with the same configuration, if
/// every output it lists is still there with the same content (a run killed half-way
/// left a mismatch, so it is not taken for done). The inputs are hashed here only when
/// the configuration and every input's size match that run: otherwise it cannot be the
/// same batch, and ingest fingerprints them as it reads them.
fn previous_run(
    out_dir: &Path,
    config_fingerprint: &str,
    input_paths: &[PathBuf],
    input_sizes: &[u64],
) -> Result<Option<Manifest>> {
    let Some(manifest) = std::fs::read_to_string(out_dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
    else {
        return Ok(None);
    };
    let same_sizes = manifest
        .inputs
        .iter()
        .map(|i| i.bytes)
        .eq(input_sizes.iter().copied());
    if manifest.config_fingerprint != config_fingerprint || !same_sizes {
        return Ok(None);
    }
    if manifest.data_fingerprint != combined(&fingerprints(input_paths)?) {
        return Ok(None);
    }
    let intact = manifest
        .outputs
        .iter()
        .all(|o| fingerprint::of_file(&out_dir.join(&o.path)).is_ok_and(|sha| sha == o.sha256));
    Ok(intact.then_some(manifest))
}

fn fingerprints(paths: &[PathBuf]) -> Result<Vec<FileFingerprint>> {
    paths
        .iter()
        .map(|p| {
            let (sha256, bytes) = fingerprint::of_file_sized(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Ok(FileFingerprint {
                path: p.display().to_string(),
                sha256,
                bytes,
            })
        })
        .collect()
}

/// One fingerprint over several files' contents (paths left out, so moving a checkout
/// does not change it).
fn combined(files: &[FileFingerprint]) -> String {
    let joined: String = files.iter().map(|f| format!("{}\n", f.sha256)).collect();
    fingerprint::of_bytes(joined.as_bytes())
}

fn fingerprint_relative(path: &Path, base: &Path) -> Result<FileFingerprint> {
    let (sha256, bytes) = fingerprint::of_file_sized(path)?;
    Ok(FileFingerprint {
        path: path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string(),
        sha256,
        bytes,
    })
}
