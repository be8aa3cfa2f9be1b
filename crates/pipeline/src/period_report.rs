//! The value-analysis report of a period, from the stored history alone.
//!
//! [`report`] is `voc report PIPELINE --period P`: it reads only the output folder (the
//! Parquet history, and the run manifest `run.json` for the data-quality counts and the
//! data fingerprint), never the input files. `voc run` renders its batch's week through
//! the same [`render`], after writing the history, so `voc report --period <that week>`
//! gives byte-identical files.
//!
//! Where the files go: `voc run` writes `<output>/report/report.*`; `voc report` writes
//! `<output>/report/<period>/report.*` (`2026-W45`, `2026-11`, `2026-10-01_2026-10-31`),
//! or the folder given with `--report-dir`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use voc_aggregate::Trends;
use voc_classify::Taxonomy;
use voc_core::{EnrichedContact, Period, fsutil};
use voc_report::{DataQuality, ReportInput};
use voc_store::{History, REPORT_FILES, REPORT_HTML, REPORT_PDF, checkpoint};

use crate::config::Pipeline;
use crate::manifest::Manifest;
use crate::report_input::{self, ReportContext};

#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The output folder whose history is read; the pipeline's `[output] dir` if unset.
    pub out_dir: Option<PathBuf>,
    /// Where the report files go; `<output>/report/<period>/` if unset.
    pub report_dir: Option<PathBuf>,
    /// Also print report.pdf with headless Chromium (an error if it is not installed).
    pub pdf: bool,
}

#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub period: Period,
    /// The comparison period's key, if the history reaches back to it.
    pub previous: Option<String>,
    /// The last day with data in the period.
    pub through: chrono::NaiveDate,
    pub report_dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// Emerging issues, as `category` or `category @ region`.
    pub emerging: Vec<String>,
    /// What a killed command left and this one removed.
    pub warnings: Vec<String>,
}

/// What [`render`] needs besides the trends: the pipeline's texts and taxonomy, the
/// fingerprints and the data-quality counts for the cover and the appendix.
pub struct RenderContext<'a> {
    pub pipeline: &'a Pipeline,
    pub history: &'a History,
    pub taxonomy: &'a Taxonomy,
    pub config_fingerprint: &'a str,
    pub data_fingerprint: &'a str,
    pub quality: DataQuality,
    /// The period's discovered topics when the pipeline discovers (`[discover]`): the
    /// report's 新话题发现 section.
    pub discovery: Option<&'a voc_discover::Discovery>,
}

/// Reads back the period's contacts the report quotes from, builds the report and
/// writes its four files into `dir`; returns the files written.
pub fn render(ctx: &RenderContext, trends: &Trends, dir: &Path) -> Result<Vec<PathBuf>> {
    let records: Vec<EnrichedContact> = match trends.spans.as_ref() {
        Some(spans) => {
            let span = spans.current();
            voc_store::history::read_records_between(
                ctx.history,
                span.first,
                span.last,
                report_input::needs_record(trends),
            )
            .context("cannot read the period's contacts back from the history")?
        }
        None => Vec::new(),
    };
    let f = &ctx.pipeline.file;
    let mut input = report_input::build(&ReportContext {
        title: &f.report.title,
        client: &f.pipeline.client,
        config_fingerprint: ctx.config_fingerprint,
        data_fingerprint: ctx.data_fingerprint,
        trends,
        trend_options: &crate::analytics::options(ctx.pipeline),
        records: &records,
        taxonomy: ctx.taxonomy,
        quality: ctx.quality.clone(),
        channel_names: &f.report.channel_names,
    });
    input.discovery = ctx.discovery.map(|d| {
        d.report_section(&|channel: &str| {
            f.report
                .channel_names
                .get(channel)
                .cloned()
                .unwrap_or_else(|| channel.to_string())
        })
    });
    write_files(&input, dir)
}

/// The report as HTML, Markdown, JSON and XLSX in `dir`, each written atomically.
pub fn write_files(input: &ReportInput, dir: &Path) -> Result<Vec<PathBuf>> {
    let workbook = voc_report::render_xlsx(input).context("cannot write the report workbook")?;
    let contents = [
        voc_report::render_html(input).into_bytes(),
        voc_report::render_markdown(input).into_bytes(),
        voc_report::render_json(input).into_bytes(),
        workbook,
    ];
    let mut written = Vec::new();
    for (name, content) in REPORT_FILES.iter().zip(contents) {
        let path = dir.join(name);
        fsutil::write_atomic(&path, &content)?;
        written.push(path);
    }
    Ok(written)
}

/// `voc report`: the report of `period` from the stored history of the output folder.
pub fn report(
    pipeline: &Pipeline,
    period: &Period,
    options: &ReportOptions,
) -> Result<ReportSummary> {
    let visible = crate::output::output_dir(pipeline, options.out_dir.clone());
    // Into the output folder, the report is written into its next generation (read from
    // it too: a copy of the current one), committed with the files: a killed report
    // leaves no page of a report beside another's. Elsewhere, the current generation is
    // read and the report's own files are written atomically.
    // Nothing to report from is said before anything is written.
    let Some((stored_first, stored_last)) =
        voc_store::scan::history_days(visible.pinned().history())?
    else {
        bail!(
            "no stored history in {}: run `voc run {}` (with the same --out) first",
            visible.history().display(),
            pipeline.path.display()
        );
    };
    let (transaction, warnings) = if options.report_dir.is_none() {
        let (t, w) = voc_store::Transaction::begin(&visible)?;
        (Some(t), w)
    } else {
        (None, Vec::new())
    };
    let out = transaction
        .as_ref()
        .map_or_else(|| visible.pinned(), |t| t.out().clone());
    let history = out.history();

    // The counts and the data fingerprint of the last run into this folder.
    let manifest: Option<Manifest> = std::fs::read_to_string(out.manifest())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let quality = manifest
        .as_ref()
        .map(|m| DataQuality {
            read: m.counts.read,
            accepted: m.counts.accepted,
            quarantined: m.counts.quarantined,
            duplicates: m.counts.duplicates,
            batch_period: Some(m.period.clone()),
        })
        .unwrap_or_default();
    let data_fingerprint = manifest
        .as_ref()
        .map(|m| m.data_fingerprint.clone())
        .unwrap_or_default();
    let config_fingerprint = crate::fingerprints::config_fingerprint(pipeline)?;

    let (classifier, segmenter, _) = crate::models::build_classifier(pipeline)?;
    let trends = crate::analytics::compute(pipeline, history, period, &segmenter)?;
    let Some(spans) = trends.spans.clone() else {
        bail!(
            "no stored contacts in {period} ({} to {}): the history in {} holds {stored_first} to {stored_last}",
            period.first,
            period.last,
            visible.history().display()
        );
    };
    // What `voc run` discovered for the period (the same file it rendered from), so
    // both give the same report; a period never discovered has no section.
    let discovery = match &pipeline.file.discover {
        Some(_) => crate::discover::read_discovery(&out, &period.key())?,
        None => None,
    };
    let report_dir = options
        .report_dir
        .clone()
        .unwrap_or_else(|| out.period_report(period));
    let files = render(
        &RenderContext {
            pipeline,
            history,
            taxonomy: &classifier.taxonomy,
            config_fingerprint: &config_fingerprint,
            data_fingerprint: &data_fingerprint,
            quality,
            discovery: discovery.as_ref(),
        },
        &trends,
        &report_dir,
    )?;
    let mut files = files;
    if options.pdf {
        let pdf = report_dir.join(REPORT_PDF);
        crate::pdf::print_to_pdf(&report_dir.join(REPORT_HTML), &pdf)?;
        files.push(pdf);
    }
    checkpoint("report")?;
    // Paths as users see them: through the output folder's links, not the generation.
    let (report_dir, files) = match transaction {
        Some(transaction) => {
            transaction.commit()?;
            let shown = |p: &Path| {
                p.strip_prefix(out.root())
                    .map_or_else(|_| p.to_path_buf(), |rel| visible.root().join(rel))
            };
            (shown(&report_dir), files.iter().map(|f| shown(f)).collect())
        }
        None => (report_dir, files),
    };
    Ok(ReportSummary {
        period: *period,
        previous: spans.comparison.as_ref().map(|c| c.key.clone()),
        through: spans.through,
        report_dir,
        files,
        emerging: crate::analytics::emerging_names(&trends),
        warnings,
    })
}
