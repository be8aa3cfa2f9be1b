use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Rewrite a history written by an earlier version of voc in the current layout
    /// (Parquet that pandas, pyarrow, DuckDB, polars and Spark read as it is); partitions
    /// already current are left alone, and running it again finishes an interrupted upgrade
    Upgrade {
        /// The pipeline file (its history under [output] dir)
        pipeline: PathBuf,
        /// Upgrade the history under this output folder instead
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Upgrade { pipeline, out } => {
            let pipeline = voc_pipeline::Pipeline::load(&pipeline)?;
            let out = voc_pipeline::output::output_dir(&pipeline, out);
            let history = out.history();
            let done = voc_store::history::upgrade(history)
                .with_context(|| format!("cannot upgrade {}", history.display()))?;
            // Written, not printed: a closed pipe is an error `main` knows, not a panic.
            writeln!(
                std::io::stdout(),
                "voc history upgrade: {} of {} partitions rewritten ({} contacts) under {}",
                done.rewritten,
                done.partitions,
                done.contacts,
                super::shown_path(history.dir())
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
