//! The output folder a command works on: the pipeline's `[output] dir`, or the folder
//! given on the command line; its layout is `voc_store::OutputDir`'s.

use anyhow::Result;
use std::path::PathBuf;
use voc_store::OutputDir;

use crate::config::Pipeline;

/// `out_dir` if given, else the pipeline's `[output] dir`.
pub fn output_dir(pipeline: &Pipeline, out_dir: Option<PathBuf>) -> OutputDir {
    OutputDir::new(out_dir.unwrap_or_else(|| pipeline.file.output.dir.clone()))
}

/// The week partitions of the history under `out`, oldest first; an error naming the
/// folder when it holds none, for the commands that work on stored history alone
/// (`voc retag`, `voc index rebuild`).
pub fn stored_partitions(pipeline: &Pipeline, out: &OutputDir) -> Result<Vec<PathBuf>> {
    let history = out.history();
    let partitions = history.partitions();
    if partitions.is_empty() {
        anyhow::bail!(
            "no history under {} (run `voc run {}` first)",
            history.display(),
            pipeline.path.display()
        );
    }
    Ok(partitions)
}
