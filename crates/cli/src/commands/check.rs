use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The pipeline file, e.g. pipelines/demo/weekly.toml
    pipeline: PathBuf,
    /// Records validated per input file (the rest are only counted)
    #[arg(long, default_value_t = voc_pipeline::onboarding::check::DEFAULT_SAMPLE)]
    sample: u64,
    /// Print the findings as JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Exits 1 when the sample's quarantine share is above the pipeline's
/// max_quarantine_rate, a mapping does not fit its file, or a file cannot be read.
pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let report = voc_pipeline::onboarding::check(&pipeline, args.sample.max(1))?;
    print(&report, args.json)?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(crate) fn print(report: &voc_pipeline::onboarding::CheckReport, json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(std::io::stdout().lock(), report)?;
        println!();
    } else {
        print!("{}", voc_pipeline::onboarding::render_check(report));
    }
    Ok(())
}
