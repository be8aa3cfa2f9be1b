use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use voc_core::Period;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    voc report pipelines/demo/weekly.toml --period 2026-W45\n  \
    voc report pipelines/demo/weekly.toml --period 2026-11\n  \
    voc report pipelines/demo/weekly.toml --period 2026-10-05..2026-11-01\n\n\
    Reads only the stored history of the output folder (no input files) and writes \
    report.html, report.md, report.json and report.xlsx into <output>/report/<period>/ \
    (a range's folder is named 2026-10-05_2026-11-01). The period is compared with the \
    previous period of the same length: the week before, the month before, or as many \
    days just before the range.")]
pub(crate) struct Args {
    /// The pipeline file, e.g. pipelines/demo/weekly.toml
    pipeline: PathBuf,
    /// An ISO week (2026-W45), a month (2026-11) or a date range (2026-10-01..2026-10-31)
    #[arg(long, value_parser = parse_period)]
    period: Period,
    /// The output folder whose history is read, as given to `voc run --out`; the
    /// pipeline's [output] dir if not given
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the report files here instead of <output>/report/<period>/
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Also print the report to report.pdf (A4) with headless Chromium, found on PATH
    /// or named by VOC_CHROMIUM
    #[arg(long)]
    pdf: bool,
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).map_err(|e| e.to_string())
}

/// `quiet`: the global `--quiet`, which prints nothing but errors.
pub(crate) fn run(args: Args, quiet: bool) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let summary = voc_pipeline::report(
        &pipeline,
        &args.period,
        &voc_pipeline::ReportOptions {
            out_dir: args.out,
            report_dir: args.report_dir,
            pdf: args.pdf,
        },
    )?;
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    if !quiet {
        let p = &summary.period;
        let through = if summary.through < p.last {
            format!(", data through {}", summary.through)
        } else {
            String::new()
        };
        println!(
            "voc report: {} ({} to {}{through})",
            p.key(),
            p.first,
            p.last
        );
        println!(
            "  compared with {}",
            summary
                .previous
                .as_deref()
                .unwrap_or("nothing (the history does not reach back to the previous period)")
        );
        let emerging = if summary.emerging.is_empty() {
            "none".to_string()
        } else {
            summary.emerging.join(", ")
        };
        println!("  emerging  {emerging}");
        println!("  report    {}", super::shown_path(&summary.report_dir));
        if let Some(pdf) = summary
            .files
            .iter()
            .find(|f| f.extension().is_some_and(|e| e == "pdf"))
        {
            println!("  pdf       {}", super::shown_path(pdf));
        }
    }
    Ok(ExitCode::SUCCESS)
}
