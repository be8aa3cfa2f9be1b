//! `voc index rebuild`: an index built by a version of voc whose index fields differ is
//! refused with the way out, and rebuilding it from the history alone gives the index a
//! run gives: the same hits, in the same order, with the same facet counts.

mod common;

use common::*;
use std::path::Path;
use voc_index::{ContactIndex, SearchRequest, SearchResults};

const QUERIES: &[&str] = &[
    "宽带 断网",
    "\"光猫指示灯一直闪红灯\"",
    "category:网络质量 last:4w",
    "sentiment:[-1 TO -0.5] channel:voice",
    "date:2026-11 risk:churn",
];

fn answers(index: &Path) -> Vec<SearchResults> {
    let index = ContactIndex::open(index).unwrap();
    QUERIES
        .iter()
        .map(|q| {
            let mut request = SearchRequest::new(*q);
            request.limit = 50;
            request.facets = true;
            index.search_request(&request).unwrap()
        })
        .collect()
}

/// What an index written by another version looks like to this one: its schema differs.
/// The date field is marked indexed, as it was before this version.
fn make_it_another_versions(index: &Path) {
    let path = index.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let date = meta["schema"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["name"] == "date")
        .unwrap();
    date["options"]["indexed"] = serde_json::Value::Bool(true);
    std::fs::write(&path, serde_json::to_string(&meta).unwrap()).unwrap();
}

/// Every file under `dir` with its bytes and modification time (a file written again
/// with the same bytes counts as written).
type Snapshot = Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)>;

fn snapshot(dir: &Path) -> Snapshot {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let modified = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, bytes, modified)
        })
        .collect()
}

fn rebuild(pipeline: &Path, out: &Path) -> std::process::Output {
    voc(&[
        "index",
        "rebuild",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn an_index_of_another_version_is_rebuilt_from_the_history_as_a_run_builds_it() {
    let out = tempfile::tempdir().unwrap();
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    run_pipeline(&pipeline, out.path());
    let index = out.path().join("index");
    let by_run = answers(&index);
    assert!(
        by_run.iter().all(|r| r.total > 0),
        "every query finds something"
    );

    make_it_another_versions(&index);
    let refused = voc(&["search", "--index", index.to_str().unwrap(), "宽带"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("voc index rebuild"), "{message}");

    // A run refuses it too, before it reads a record: nothing in the folder changes.
    let before = snapshot(out.path());
    let run = voc(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let message = String::from_utf8_lossy(&run.stderr);
    assert!(message.contains("voc index rebuild"), "{message}");
    assert!(
        snapshot(out.path()) == before,
        "a refused run wrote nothing"
    );

    let rebuilt = rebuild(&pipeline, out.path());
    let printed = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(
        rebuilt.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let generated = demo_truth().totals.contacts;
    assert!(
        printed.contains(&format!("{generated} contacts from 10 partitions")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "{generated} documents (before: built by another version of voc)"
        )),
        "{printed}"
    );
    assert_eq!(answers(&index), by_run);

    // Again, over an index of this version: the same answers, nothing left beside it.
    let again = rebuild(&pipeline, out.path());
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains(&format!("(before: {generated} documents)"))
    );
    assert_eq!(answers(&index), by_run);
    let mut beside: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("index"))
        .collect();
    beside.sort();
    assert_eq!(beside, ["index"]);
}

#[test]
fn without_a_history_there_is_nothing_to_rebuild_from() {
    let out = tempfile::tempdir().unwrap();
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    let refused = rebuild(&pipeline, out.path());
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("no history under"), "{message}");
    assert!(!out.path().join("index").exists(), "no empty index is left");
}
