use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Your export files: CSV (UTF-8 or GBK), XLSX, JSON Lines or Parquet
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The pipeline folder to write (default: <first file's name>-pipeline)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Records the check after writing validates per file
    #[arg(long, default_value_t = voc_pipeline::onboarding::check::DEFAULT_SAMPLE)]
    sample: u64,
}

/// Writes the folder, then runs `voc check` on it; exits 1 when the check finds
/// problems (the files stay written, to be edited).
pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let dir = args.out.unwrap_or_else(|| {
        let stem = args.files[0]
            .file_stem()
            .map_or("my-data".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}-pipeline"))
    });
    let outcome = voc_pipeline::onboarding::init(&args.files, &dir)?;
    println!(
        "voc init: wrote {} with a starter taxonomy (taxonomy.toml) and dictionaries in {}",
        super::shown_path(&outcome.pipeline),
        super::shown_path(&outcome.dir)
    );
    println!("  every guess in weekly.toml has a `# guess:` comment saying why; check them.\n");
    let pipeline = match voc_pipeline::Pipeline::load(&outcome.pipeline) {
        Ok(pipeline) => pipeline,
        Err(e) => {
            eprintln!("the written pipeline does not load yet: {e}");
            eprintln!(
                "edit it, then run: voc check {}",
                outcome.pipeline.display()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let report = voc_pipeline::onboarding::check(&pipeline, args.sample.max(1))?;
    super::check::print(&report, false)?;
    println!("\nnext: voc run {}", super::shown_path(&outcome.pipeline));
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
