//! One run of a pipeline over its inputs: the order of the stages, what runs beside
//! what, their timings and the manifest. The stages themselves are the other modules'.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Instant;
use voc_core::fsutil;
use voc_store::{OutputDir, Transaction, checkpoint};

use crate::batch::BatchContext;
use crate::config::Pipeline;
use crate::fingerprints::{combined, fingerprint_relative, fingerprints, previous_run};
use crate::manifest::{Counts, FileFingerprint, Manifest};
use crate::models::{Models, ModelsLoading};
use crate::stages::{self, StageClock};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `[output] dir` of the pipeline file.
    pub out_dir: Option<PathBuf>,
    /// Draw progress bars (on a terminal, not in CI).
    pub progress: bool,
    /// Process the batch even when the output folder already holds its results.
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub out_dir: OutputDir,
    /// The batch was already processed with this configuration and the outputs are
    /// intact, so nothing was done (`manifest` is the earlier run's).
    pub already_processed: bool,
    pub manifest: Manifest,
    /// Emerging issues found in the period, as `category` or `category @ region`.
    pub emerging: Vec<String>,
    /// What the user should know about this run though it succeeded.
    pub warnings: Vec<String>,
}

pub fn run(pipeline: &Pipeline, options: &RunOptions) -> Result<RunSummary> {
    let run_started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut clock = StageClock::new();
    let load_models = stages::start("load_models");
    let f = &pipeline.file;
    let visible = crate::output::output_dir(pipeline, options.out_dir.clone());
    std::fs::create_dir_all(visible.root())
        .with_context(|| format!("cannot create output folder {}", visible.root().display()))?;
    // An index this version cannot add to stops the run now, not after ingest.
    voc_index::check_version(&visible.pinned().index())?;

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
        && let Some(previous) = previous_run(
            &visible.pinned(),
            &config_fingerprint,
            &input_paths,
            &input_sizes,
        )?
    {
        return Ok(RunSummary {
            out_dir: visible,
            already_processed: true,
            emerging: Vec::new(),
            warnings: Vec::new(),
            manifest: previous,
        });
    }

    // Everything below writes the next generation of the folder, made current in one
    // step once run.json is written (see `voc_store::generation`).
    let begun = Instant::now();
    let (transaction, mut warnings) = Transaction::begin(&visible)?;
    tracing::debug!(
        ms = begun.elapsed().as_secs_f64() * 1e3,
        "next generation prepared"
    );
    let out = transaction.out().clone();
    clock.finish(load_models);

    // Ingest, segment + classify, history and index, streamed: see `batch`.
    let index_slot = std::sync::OnceLock::new();
    let batch = match crate::batch::process(&BatchContext {
        pipeline,
        out: &out,
        models: &models,
        index: &index_slot,
        progress: options.progress,
    }) {
        Ok(batch) => batch,
        Err(e) => return Err(keep_quarantine_of_refused_batch(e, transaction, &visible)),
    };
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
    clock.add("load_models", batch.models_wait);
    clock.extend(&batch.timings);
    let aggregate = stages::start("aggregate");
    let Models {
        classifier,
        segmenter,
        ..
    } = models.get()?;
    let history = out.history();
    let period = match f.pipeline.period.as_str() {
        "latest" => Some(batch.latest_week())
            .filter(|w| !w.is_empty())
            .or_else(|| history.newest_week())
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
            let trends = crate::analytics::compute(pipeline, history, &report_period, segmenter)?;
            clock.finish(aggregate);
            // Only when the pipeline asks: a pass over the period's stored tokens, before
            // the report, which shows the topics.
            let discovered = match &f.discover {
                Some(discover) => {
                    let stage = stages::start("discover");
                    let (discovery, files, _) = crate::discover::discover_into(
                        pipeline,
                        &out,
                        &report_period,
                        &discover.options(),
                    )?;
                    // The report shows it as read back from its file, as `voc report`
                    // does: a float parsed from JSON may differ in its last digit.
                    let discovery = crate::discover::read_discovery(&out, &report_period.key())?
                        .unwrap_or(discovery);
                    clock.finish(stage);
                    Some((discovery, files))
                }
                None => None,
            };
            let report = stages::start("report");

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
            let tables_dir = out.tables();
            let (table_files, report_files) = std::thread::scope(|scope| {
                let tables =
                    scope.spawn(|| voc_aggregate::table_files::write_tables(&tables_dir, &trends));
                let report_files = crate::period_report::render(
                    &crate::period_report::RenderContext {
                        pipeline,
                        history,
                        taxonomy: &classifier.taxonomy,
                        config_fingerprint: &config_fingerprint,
                        data_fingerprint: &data_fingerprint,
                        quality,
                        discovery: discovered.as_ref().map(|(d, _)| d),
                    },
                    &trends,
                    &out.report(),
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
            if let Some((_, files)) = discovered {
                written.extend(files);
            }
            checkpoint("tables+report")?;
            clock.finish(report);
            Ok((written, trends))
        })();
        let t = Instant::now();
        let committed = commit
            .join()
            .map_err(|_| anyhow::anyhow!("the index commit panicked"))?;
        clock.add("index", t.elapsed());
        let committed = committed?;
        checkpoint("index")?;
        Ok((outputs?, committed))
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
        unknown_channels: stats.unknown_channels.clone(),
        message_rows: (!stats.messages.is_empty()).then(|| stats.messages.clone()),
        outputs: written
            .iter()
            .map(|p| fingerprint_relative(p, &out))
            .collect::<Result<_>>()?,
        total_ms: clock.total_ms(),
        timings: clock.into_timings(),
        peak_rss_kb: crate::batch::peak_rss_kb(),
    };
    fsutil::write_atomic(
        &out.manifest(),
        (serde_json::to_string_pretty(&manifest)? + "\n").as_bytes(),
    )?;
    checkpoint("manifest")?;
    let committing = Instant::now();
    transaction.commit()?;
    tracing::debug!(
        ms = committing.elapsed().as_secs_f64() * 1e3,
        "generation committed"
    );
    if manifest.pseudonymized > 0 && crate::config::pseudonym_key().is_empty() {
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
    if !manifest.unknown_channels.is_empty() {
        warnings.push(unknown_channels_warning(&manifest.unknown_channels));
    }
    Ok(RunSummary {
        out_dir: visible,
        already_processed: false,
        emerging: crate::analytics::emerging_names(&trends),
        warnings,
        manifest,
    })
}

/// The warning for channel values voc does not know: SLA and staffing count only known
/// channels, so these contacts would drop out of them without a word.
fn unknown_channels_warning(unknown: &std::collections::BTreeMap<String, u64>) -> String {
    /// Values named; the rest are only counted (run.json lists them).
    const SHOWN: usize = 10;
    let mut by_count: Vec<(&String, &u64)> = unknown.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut values: Vec<String> = by_count
        .iter()
        .take(SHOWN)
        .map(|(v, n)| format!("{v:?} {n}"))
        .collect();
    if by_count.len() > SHOWN {
        values.push(format!(
            "and {} more values in run.json",
            by_count.len() - SHOWN
        ));
    }
    let codes: Vec<&str> = voc_core::channel::CHANNELS.iter().map(|c| c.code).collect();
    format!(
        "{} accepted records have a channel voc does not know ({}): they count in volumes \
         but not in SLA or staffing. Map each value to a channel code in [input.channels] \
         ({}).",
        unknown.values().sum::<u64>(),
        values.join(", "),
        codes.join(", ")
    )
}

/// A batch refused for its quarantine rate still shows its quarantine, as the error
/// says: a generation holding only the new `quarantine.jsonl` is committed (history,
/// index, report and run.json stay the previous run's). Any other failure drops the
/// new generation.
fn keep_quarantine_of_refused_batch(
    error: anyhow::Error,
    transaction: Transaction,
    visible: &OutputDir,
) -> anyhow::Error {
    match error.downcast::<crate::batch::RunError>() {
        Ok(crate::batch::RunError::TooManyQuarantined {
            read,
            quarantined,
            rate,
            limit,
            diagnosis,
            ..
        }) => {
            if let Err(e) = transaction.commit() {
                return anyhow::Error::new(e).context("cannot keep the quarantine file");
            }
            crate::batch::RunError::TooManyQuarantined {
                read,
                quarantined,
                rate,
                limit,
                path: visible.quarantine().display().to_string(),
                diagnosis,
            }
            .into()
        }
        Err(other) => other,
    }
}
