//! `voc index rebuild` builds a new index beside the live one and swaps it in with two
//! renames. Whatever moment a process is killed at, the next open finds one whole
//! index: the old one before the swap began, the rebuilt one once it had.

use std::path::Path;
use voc_index::testing::{sample_contacts, sample_segmenter};
use voc_index::{ContactIndex, rebuild_dir, swap_in};

/// Opens `dir` as a run does: creating the index if there is none.
fn open_for_a_run(dir: &Path) -> ContactIndex {
    let builder = sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    ContactIndex::open_or_create(dir, segmenter, &builder).unwrap()
}

/// An index of the first `n` sample contacts in `dir`.
fn index_of(dir: &Path, n: usize) {
    let index = open_for_a_run(dir);
    let mut writer = index.writer().unwrap();
    writer.add_unique(&sample_contacts()[..n]).unwrap();
    writer.commit().unwrap();
}

fn docs(dir: &Path) -> u64 {
    ContactIndex::open(dir).unwrap().num_docs()
}

fn siblings(parent: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_rebuilt_index_takes_the_place_of_the_live_one() {
    let out = tempfile::tempdir().unwrap();
    let live = out.path().join("index");
    index_of(&live, 3);
    index_of(&rebuild_dir(&live), 5);
    assert_eq!(docs(&live), 3);
    swap_in(&live).unwrap();
    assert_eq!(docs(&live), 5);
    assert_eq!(siblings(out.path()), ["index"], "nothing left beside it");
    // With nothing rebuilt there is nothing to swap in, and the live index stays.
    assert!(swap_in(&live).is_err());
    assert_eq!(docs(&live), 5);
}

#[test]
fn a_swap_killed_between_its_renames_is_finished_by_the_next_open() {
    let out = tempfile::tempdir().unwrap();
    let live = out.path().join("index");
    index_of(&live, 3);
    index_of(&rebuild_dir(&live), 5);
    // Killed after the live index was moved aside, before the rebuilt one was moved in.
    std::fs::rename(&live, out.path().join("index.replaced")).unwrap();
    assert_eq!(
        docs(&live),
        5,
        "the rebuilt index was whole: it takes the place"
    );
    assert_eq!(siblings(out.path()), ["index"]);
}

#[test]
fn a_swap_killed_after_its_renames_leaves_only_the_new_index() {
    let out = tempfile::tempdir().unwrap();
    let live = out.path().join("index");
    index_of(&out.path().join("index.replaced"), 3);
    index_of(&live, 5);
    // Killed before the old index was removed: a run (which creates, not only opens)
    // cleans it up too.
    assert_eq!(open_for_a_run(&live).num_docs(), 5);
    assert_eq!(siblings(out.path()), ["index"]);
}

#[test]
fn an_old_index_moved_aside_with_nothing_to_replace_it_goes_back() {
    let out = tempfile::tempdir().unwrap();
    let live = out.path().join("index");
    index_of(&out.path().join("index.replaced"), 3);
    assert_eq!(docs(&live), 3);
    assert_eq!(siblings(out.path()), ["index"]);
}
