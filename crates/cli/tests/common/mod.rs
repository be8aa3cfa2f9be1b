//! Helpers shared by the end-to-end tests: run the real `voc` binary, read what it
//! wrote, and scan every output for strings that must not be there.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The ground truth of the bundled demo data: tests take its counts from here rather
/// than spelling them out, so a regenerated demo does not break them.
pub(crate) fn demo_truth() -> voc_fixtures::GroundTruth {
    voc_fixtures::GroundTruth::read(&repo_root().join("fixtures/demo/contacts.truth.json")).unwrap()
}

pub(crate) fn voc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voc"))
        .args(args)
        .current_dir(repo_root())
        .env("CI", "true")
        .output()
        .expect("run voc")
}

/// Runs `voc run PIPELINE --out OUT --force` and returns its stdout; panics with the
/// program's stderr when it fails.
pub(crate) fn run_pipeline(pipeline: &Path, out: &Path) -> String {
    let output = voc(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(
        output.status.success(),
        "voc run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every place an output can hold text: the raw bytes of every file (report, manifest,
/// quarantine, dictionaries, index files), the decoded Parquet cells and the index's
/// decompressed stored documents. Returns `(where, text)` pairs.
pub(crate) fn all_output_text(out: &Path) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for file in files_under(out) {
        let bytes = std::fs::read(&file).unwrap();
        texts.push((
            file.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    let cells = voc_store::history::string_cells(voc_store::OutputDir::new(out).history()).unwrap();
    texts.push(("history parquet cells".into(), cells.join("\n")));
    let index = voc_index::ContactIndex::open(&out.join("index")).unwrap();
    texts.push((
        "index stored documents".into(),
        index.stored_strings().unwrap().join("\n"),
    ));
    texts
}

/// Panics naming the first output that contains any of `needles` (needles shorter
/// than 5 characters would match innocent text and are refused).
pub(crate) fn assert_absent(out: &Path, needles: &[String]) {
    assert!(
        needles.iter().all(|n| n.chars().count() >= 5),
        "needles must be specific"
    );
    // One automaton for all needles: thousands of needles times megabytes of output.
    let alternation = needles
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|");
    let any = regex::RegexBuilder::new(&alternation)
        .size_limit(1 << 30)
        .build()
        .unwrap();
    for (place, text) in all_output_text(out) {
        if let Some(m) = any.find(&text) {
            panic!("{:?} leaked into {place}", m.as_str());
        }
    }
}
