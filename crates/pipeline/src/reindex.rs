//! `voc index rebuild`: a new search index from the stored history alone.
//!
//! Weekly runs add the batch's weeks to the index and never rebuild it, so an index
//! that is lost, damaged, or built by a version of voc whose index fields differ can
//! only be made whole again from the history, which holds every contact's masked text
//! and stored tokens. Nothing is segmented again: the index is fed the stored tokens,
//! as a run feeds it. The new index is built in the output folder's next generation and
//! made current (`voc_store::generation`) only once it is committed and holds every
//! contact, so searches keep the old one until then, and a killed rebuild leaves it
//! untouched.

use crate::Pipeline;
use crate::batch::{INDEX_SLICE, counter};
use crate::models::{build_segmenter, load_classifier};
use crate::output::{output_dir, stored_partitions};
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use voc_index::{ContactIndex, IndexError};

/// What a rebuild read and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct RebuildSummary {
    pub history: PathBuf,
    pub index: PathBuf,
    /// The index it replaced: `N documents`, `built by another version of voc`, `none`,
    /// or why it could not be read.
    pub previous: String,
    pub partitions: usize,
    /// Contacts read from the history; the new index holds exactly these.
    pub contacts: u64,
    pub documents: u64,
    pub read_ms: u64,
    pub index_ms: u64,
    /// What a killed command left and this one removed.
    pub warnings: Vec<String>,
}

pub fn rebuild_index(
    pipeline: &Pipeline,
    out_dir: Option<PathBuf>,
    progress: bool,
) -> Result<RebuildSummary> {
    let visible = output_dir(pipeline, out_dir);
    // No history is said before anything is written.
    stored_partitions(pipeline, &visible.pinned())?;
    let (transaction, warnings) = voc_store::Transaction::begin(&visible)?;
    let out = transaction.out();
    let partitions = stored_partitions(pipeline, out)?;
    let history = visible.history();
    let previous = match ContactIndex::open(&out.index()) {
        Ok(index) => format!("{} documents", index.num_docs()),
        Err(IndexError::Missing(_)) => "none".to_string(),
        Err(IndexError::Outdated(_)) => "built by another version of voc".to_string(),
        Err(e) => format!("unreadable: {e}"),
    };
    // The dictionary a run would save with the index, so queries are cut as a run's are.
    let (_, terms) = load_classifier(pipeline)?;
    let (segmenter, dictionary) = build_segmenter(pipeline, &terms)?;

    // The new generation's index starts empty (its links to the current one's files go);
    // the current index serves searches until the new generation is committed.
    let rebuilt = out.index();
    if rebuilt.exists() {
        std::fs::remove_dir_all(&rebuilt)
            .with_context(|| format!("cannot clear {}", rebuilt.display()))?;
    }
    let index = ContactIndex::open_or_create(&rebuilt, Arc::new(segmenter), &dictionary)?;
    voc_index::save_channel_names(&rebuilt, &pipeline.file.report.channel_names)?;
    let mut writer = index.writer()?;
    let bar = counter(progress, "index rebuild");
    let (mut contacts, mut read_ms, mut index_ms) = (0u64, 0u64, 0u64);
    for path in &partitions {
        let started = Instant::now();
        let records = voc_store::history::read_records(path, true)
            .with_context(|| format!("cannot read {}", path.display()))?;
        read_ms += started.elapsed().as_millis() as u64;
        let started = Instant::now();
        // A contact id lives in one week's partition only (a run moves a re-delivered
        // contact), so ids are unique across the whole history; the count below checks it.
        for slice in records.chunks(INDEX_SLICE) {
            writer.add_unique(slice)?;
            bar.inc(slice.len() as u64);
        }
        index_ms += started.elapsed().as_millis() as u64;
        contacts += records.len() as u64;
    }
    voc_store::checkpoint("reindex-fed")?;
    let started = Instant::now();
    let stats = writer.commit()?;
    index_ms += started.elapsed().as_millis() as u64;
    bar.finish_and_clear();
    drop(index);
    voc_store::checkpoint("reindex-committed")?;
    if stats.documents != contacts {
        anyhow::bail!(
            "the history under {} holds {contacts} contacts but the rebuilt index {} documents \
             (a contact id in two weeks' partitions?); the index at {} is left as it was",
            history.display(),
            stats.documents,
            visible.index().display()
        );
    }
    transaction.commit()?;
    Ok(RebuildSummary {
        history: history.dir().to_path_buf(),
        index: visible.index(),
        previous,
        partitions: partitions.len(),
        contacts,
        documents: stats.documents,
        read_ms,
        index_ms,
        warnings,
    })
}
