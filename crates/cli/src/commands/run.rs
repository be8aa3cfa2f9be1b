use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The pipeline file, e.g. pipelines/demo/weekly.toml
    pipeline: PathBuf,
    /// Write outputs here instead of the pipeline's [output] dir
    #[arg(long)]
    out: Option<PathBuf>,
    /// Process the batch even if this output folder already holds its results
    #[arg(long)]
    force: bool,
}

/// `quiet`: the global `--quiet`, which prints nothing but errors.
pub(crate) fn run(args: Args, quiet: bool) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let summary = voc_pipeline::run(
        &pipeline,
        &voc_pipeline::RunOptions {
            out_dir: args.out,
            progress: !quiet && crate::show_progress(),
            force: args.force,
        },
    )?;
    if summary.already_processed {
        if !quiet {
            println!(
                "voc run: batch {} was already processed with this configuration at {}; outputs in {} are intact (use --force to run again)",
                &summary.manifest.data_fingerprint[..12],
                summary.manifest.run_started_at,
                super::shown_path(summary.out_dir.root())
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !quiet {
        print!("{}", describe(&summary));
    }
    // Printed even when quiet: they say what a killed run left and this one removed.
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(summary: &voc_pipeline::RunSummary) -> String {
    let m = &summary.manifest;
    let c = &m.counts;
    let mut out = String::new();
    let _ = writeln!(out, "voc run: {} — period {}", m.pipeline, m.period);
    let _ = writeln!(
        out,
        "  records   read {} = accepted {} + quarantined {} + duplicates {}",
        c.read, c.accepted, c.quarantined, c.duplicates
    );
    if let Some(rows) = &m.message_rows {
        // A record read from a message-per-row file is a contact or a refused row.
        let _ = writeln!(
            out,
            "  messages  rows {} = in {} contacts {} + refused {} + system {}",
            rows.rows, rows.contacts, rows.in_contacts, rows.refused, rows.system
        );
    }
    let masked: Vec<String> = m
        .pii_masked
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let total: u64 = m.pii_masked.values().sum();
    let pseudonymized = if m.pseudonymized > 0 {
        format!("; {} ids pseudonymized", m.pseudonymized)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  PII       {total} masked ({}){pseudonymized}",
        masked.join(", ")
    );
    let _ = writeln!(
        out,
        "  index     {} contacts upserted, {} in the index",
        c.indexed, c.index_documents
    );
    let emerging = if summary.emerging.is_empty() {
        "none".to_string()
    } else {
        summary.emerging.join(", ")
    };
    let _ = writeln!(out, "  emerging  {emerging}");
    let timings: Vec<String> = m
        .timings
        .iter()
        .map(|t| format!("{} {} ms", t.stage, t.ms))
        .collect();
    let _ = writeln!(
        out,
        "  stages    {} (total {} ms)",
        timings.join(", "),
        m.total_ms
    );
    if let Some(kb) = m.peak_rss_kb {
        let _ = writeln!(out, "  memory    peak {} MiB resident", kb.div_ceil(1024));
    }
    let _ = writeln!(
        out,
        "  report    {}",
        super::shown_path(&summary.out_dir.report().join(voc_store::REPORT_HTML))
    );
    let _ = writeln!(
        out,
        "  manifest  {}",
        super::shown_path(&summary.out_dir.manifest())
    );
    if c.quarantined > 0 {
        let _ = writeln!(
            out,
            "  quarantine {}",
            super::shown_path(&summary.out_dir.quarantine())
        );
    }
    out
}
