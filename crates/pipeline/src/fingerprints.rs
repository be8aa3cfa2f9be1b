//! What a run was made from, and whether it was made already: the SHA-256 of every
//! configuration and input file (`run.json`), and the skip of a batch the output folder
//! already holds with the same configuration.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use voc_core::fingerprint;
use voc_store::OutputDir;

use crate::config::Pipeline;
use crate::manifest::{FileFingerprint, Manifest};

/// One fingerprint over every configuration file of the pipeline.
pub fn config_fingerprint(pipeline: &Pipeline) -> Result<String> {
    Ok(combined(&fingerprints(&pipeline.config_files())?))
}

/// The manifest of an earlier run of the same batch with the same configuration, if
/// every output it lists is still there with the same content (a run killed half-way
/// left a mismatch, so it is not taken for done). The inputs are hashed here only when
/// the configuration and every input's size match that run: otherwise it cannot be the
/// same batch, and ingest fingerprints them as it reads them.
pub(crate) fn previous_run(
    out: &OutputDir,
    config_fingerprint: &str,
    input_paths: &[PathBuf],
    input_sizes: &[u64],
) -> Result<Option<Manifest>> {
    let Some(manifest) = std::fs::read_to_string(out.manifest())
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
    else {
        return Ok(None);
    };
    let same_sizes = manifest
        .inputs
        .iter()
        .map(|i| i.bytes)
        .eq(input_sizes.iter().copied());
    if manifest.config_fingerprint != config_fingerprint || !same_sizes {
        return Ok(None);
    }
    if manifest.data_fingerprint != combined(&fingerprints(input_paths)?) {
        return Ok(None);
    }
    let intact = manifest
        .outputs
        .iter()
        .all(|o| fingerprint::of_file(&out.root().join(&o.path)).is_ok_and(|sha| sha == o.sha256));
    Ok(intact.then_some(manifest))
}

/// The fingerprint of each file, in order.
pub fn fingerprints(paths: &[PathBuf]) -> Result<Vec<FileFingerprint>> {
    paths
        .iter()
        .map(|p| {
            let (sha256, bytes) = fingerprint::of_file_sized(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Ok(FileFingerprint {
                path: p.display().to_string(),
                sha256,
                bytes,
            })
        })
        .collect()
}

/// One fingerprint over several files' contents (paths left out, so moving a checkout
/// does not change it).
pub fn combined(files: &[FileFingerprint]) -> String {
    let joined: String = files.iter().map(|f| format!("{}\n", f.sha256)).collect();
    fingerprint::of_bytes(joined.as_bytes())
}

/// The fingerprint of an output, named by its path inside the output folder.
pub(crate) fn fingerprint_relative(path: &Path, out: &OutputDir) -> Result<FileFingerprint> {
    let base = out.root();
    let (sha256, bytes) = fingerprint::of_file_sized(path)?;
    Ok(FileFingerprint {
        path: path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string(),
        sha256,
        bytes,
    })
}
