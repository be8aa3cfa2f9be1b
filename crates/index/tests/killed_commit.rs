//! A run killed while committing leaves files of the commit it did not finish (new
//! segments, delete files, tantivy's list of its files) beside the old `meta.json`.
//! The next run repeats the same operations, so it would write the same delete file
//! names: it must clear what the killed commit left before it starts.

use std::path::Path;
use voc_index::ContactIndex;
use voc_index::testing::{sample_contacts, sample_index, sample_segmenter};

/// Re-delivers two sample contacts: their committed versions are deleted, which writes
/// a delete file named after the segment and the operation's number.
fn redeliver(dir: &Path) -> Result<u64, voc_index::IndexError> {
    let builder = sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    let index = ContactIndex::open_or_create(dir, segmenter, &builder)?;
    let mut writer = index.writer()?;
    writer.add_unique(&sample_contacts()[..2])?;
    Ok(writer.commit()?.documents)
}

#[test]
fn a_commit_killed_halfway_does_not_block_the_next_run() {
    let killed = tempfile::tempdir().unwrap();
    drop(sample_index(killed.path()).unwrap());
    // What the killed run would have written: the same commit, finished in a copy,
    // and all of it but `meta.json` (which tantivy writes last) put back. The commit's
    // merge may run before the writer closes and fold the delete file away (seen on a
    // loaded machine), so the copy is made again until it holds one.
    let mut leftovers = Vec::new();
    for _attempt in 0..5 {
        let finished = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(killed.path()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), finished.path().join(entry.file_name())).unwrap();
        }
        assert_eq!(redeliver(finished.path()).unwrap(), 9);
        leftovers = std::fs::read_dir(finished.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap();
                name != "meta.json"
                    && (!killed.path().join(name).exists() || name == ".managed.json")
            })
            .collect();
        if leftovers
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".del"))
        {
            for path in &leftovers {
                std::fs::copy(path, killed.path().join(path.file_name().unwrap())).unwrap();
            }
            // The copies are in place; `finished` may go.
            break;
        }
        leftovers.clear();
    }
    assert!(
        !leftovers.is_empty(),
        "the killed commit left a delete file"
    );

    assert_eq!(redeliver(killed.path()).unwrap(), 9);
    let index = ContactIndex::open(killed.path()).unwrap();
    assert_eq!(index.num_docs(), 9);
}
