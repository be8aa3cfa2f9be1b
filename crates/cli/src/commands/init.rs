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
    /// Begin from an industry taxonomy instead of the small generic one: telecom
    /// (电信运营商), ecommerce (电商零售), banking (银行与信用卡) or government (12345 政务热线)
    #[arg(long, value_name = "NAME", value_parser = parse_starter)]
    starter: Option<voc_pipeline::onboarding::Starter>,
    /// Records the check after writing validates per file
    #[arg(long, default_value_t = voc_pipeline::onboarding::check::DEFAULT_SAMPLE)]
    sample: u64,
}

fn parse_starter(name: &str) -> Result<voc_pipeline::onboarding::Starter, String> {
    voc_pipeline::onboarding::Starter::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = voc_pipeline::onboarding::Starter::ALL
            .iter()
            .map(|s| s.name())
            .collect();
        format!("no starter {name:?}: choose one of {}", names.join(", "))
    })
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
    let outcome = voc_pipeline::onboarding::init(&args.files, &dir, args.starter)?;
    let which = match args.starter {
        Some(starter) => format!(
            "the {} starter taxonomy ({})",
            starter.name(),
            starter.description()
        ),
        None => "a starter taxonomy".to_string(),
    };
    println!(
        "voc init: wrote {} with {which} (taxonomy.toml) and dictionaries in {}",
        super::shown_path(&outcome.pipeline),
        super::shown_path(&outcome.dir)
    );
    if args.starter.is_none() {
        println!(
            "  industry taxonomies to begin from instead: --starter telecom|ecommerce|banking|government"
        );
    }
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
