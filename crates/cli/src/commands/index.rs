use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Build the search index anew from the stored history (after an upgrade of voc whose
    /// index fields differ, or when the index was lost); the old index is kept until the
    /// new one is complete
    Rebuild {
        /// The pipeline file (its dictionaries; its history and index under [output] dir)
        pipeline: PathBuf,
        /// Read the history and replace the index under this output folder instead
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Rebuild {
            pipeline,
            out,
            json,
        } => {
            let pipeline = voc_pipeline::Pipeline::load(&pipeline)?;
            let s = voc_pipeline::reindex::rebuild_index(&pipeline, out, crate::show_progress())?;
            for warning in &s.warnings {
                eprintln!("warning: {warning}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "voc index rebuild: {} contacts from {} partitions of {}\n  \
                     index     {}: {} documents (before: {})\n  \
                     time      read {} ms, index {} ms",
                    s.contacts,
                    s.partitions,
                    super::shown_path(&s.history),
                    super::shown_path(&s.index),
                    s.documents,
                    s.previous,
                    s.read_ms,
                    s.index_ms
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
