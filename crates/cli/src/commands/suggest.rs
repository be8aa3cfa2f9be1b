//! `voc taxonomy suggest`: a category stub for a discovered topic (its own file, so
//! the taxonomy commands' module only names it).

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    voc discover pipelines/demo/weekly.toml --period 2026-W46\n  \
    voc taxonomy suggest pipelines/demo/weekly.toml --topic T0003\n  \
    voc taxonomy suggest pipelines/demo/weekly.toml --topic T0003 --write stub.toml\n\n\
    Takes the topic from the newest period `voc discover` wrote it in: its distinctive \
    phrases become terms (phrases sharing a word a [synonyms] group), its verbatims that \
    use a term must_match, other topics' verbatims that use none must_not_match. Paste \
    the stub into the taxonomy and run `voc taxonomy test`.")]
pub(crate) struct Args {
    /// The pipeline file whose output folder holds the discovered topics
    pipeline: PathBuf,
    /// The topic id, as `voc discover` shows it (T0003)
    #[arg(long)]
    topic: String,
    /// The output folder, as given to `voc run --out`; the pipeline's [output] dir if not given
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the stub to this file instead of printing it
    #[arg(long)]
    write: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let out = voc_pipeline::output::output_dir(&pipeline, args.out).pinned();
    let (discovery, topic) = voc_pipeline::discover::find_topic(&out, &args.topic)?;
    let stub = voc_discover::suggest::category_stub(&discovery, &topic);
    match args.write {
        Some(path) => {
            voc_core::fsutil::write_atomic(&path, stub.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", super::shown_path(&path));
        }
        None => print!("{stub}"),
    }
    Ok(ExitCode::SUCCESS)
}
