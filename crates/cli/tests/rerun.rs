//! Issue 3: safe re-runs. A run killed at any moment (SIGKILL) leaves the previous
//! outputs readable and the next run completes; the same batch twice gives
//! byte-identical Parquet and report files, and the same search exports; a batch already
//! processed is recognised.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Fingerprints of the data and report files (the index and run.json are excluded:
/// tantivy names segments randomly, and the manifest records the run's own clock).
fn data_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(out)
        .into_iter()
        .filter(|p| {
            let rel = p.strip_prefix(out).unwrap().to_string_lossy().into_owned();
            // The caches beside the history (not visible here) hold counts kept under the
            // partitions' modification times; that they never change a result is tested
            // in voc-aggregate against uncached runs.
            rel.starts_with("history/") || rel.starts_with("report/") || rel == "quarantine.jsonl"
        })
        .map(|p| {
            (
                p.strip_prefix(out).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn assert_readable(out: &Path) {
    let html = std::fs::read_to_string(out.join("report/report.html")).unwrap();
    assert!(html.trim_end().ends_with("</html>"), "report.html is whole");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["period"], "2026-W46");
    assert!(
        !voc_store::history::string_cells(voc_store::OutputDir::new(out).history())
            .unwrap()
            .is_empty()
    );
    let index = voc_index::ContactIndex::open(&out.join("index")).unwrap();
    assert!(index.search("宽带", 1).unwrap().total > 0);
    // No temporary file is left where readers look for outputs.
    let leftovers: Vec<_> = files_under(&out.join("report"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn killed_runs_leave_outputs_readable_and_reruns_are_identical() {
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = run_pipeline(&pipeline, &out);
    let baseline = data_files(&out);
    assert!(
        baseline.keys().any(|k| k.ends_with(".parquet"))
            && baseline.contains_key("report/report.html")
    );

    // Kill runs at spread-out moments: during ingest, segmentation, the writes.
    for delay_ms in [50, 400, 1200, 2500, 4000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_voc"))
            .args([
                "run",
                pipeline.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--force",
                "--quiet",
            ])
            .current_dir(repo_root())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no destructor, no cleanup
        let _ = child.wait();
        assert_readable(&out);
    }

    // The next run completes and writes exactly what a clean run writes, and removes
    // the spools the killed runs left.
    let again = run_pipeline(&pipeline, &out);
    assert_readable(&out);
    let spools: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".spool-"))
        .collect();
    assert!(spools.is_empty(), "{spools:?}");
    let rerun = data_files(&out);
    assert_eq!(
        baseline.keys().collect::<Vec<_>>(),
        rerun.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &baseline {
        assert!(
            rerun[path] == *bytes,
            "{path} differs between identical runs"
        );
    }
    let counts = |s: &str| {
        s.lines()
            .find(|l| l.contains("records"))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        counts(&first),
        counts(&again),
        "history is not double-counted"
    );

    // Same batch, same configuration, intact outputs: recognised and skipped.
    let output = voc(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("already processed"),
        "{stdout}"
    );
    // A damaged output is not taken for done.
    std::fs::write(out.join("report/report.md"), "truncated").unwrap();
    let output = voc(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let read = format!("read {}", demo_truth().totals.contacts + 5);
    assert!(stdout.contains(&read), "{stdout}");
    assert!(data_files(&out)["report/report.md"] == baseline["report/report.md"]);
}

#[test]
fn a_fresh_output_folder_gives_the_same_bytes() {
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_pipeline(&pipeline, a.path());
    run_pipeline(&pipeline, b.path());
    let (fa, fb) = (data_files(a.path()), data_files(b.path()));
    assert_eq!(fa.len(), fb.len());
    for (path, bytes) in &fa {
        assert!(fb[path] == *bytes, "{path} differs between runs");
    }
    // The two indexes differ in their segments, but not in what a search exports, in
    // order: a metadata-only query scores every hit alike, so its rows are all ties.
    for query in ["category:网络质量", "断网", "channel:voice"] {
        let export = |out: &Path| {
            let file = out.join("hits.csv");
            let index = out.join("index");
            let args = ["search", query, "--index", index.to_str().unwrap()];
            let done = voc(&[&args[..], &["--export", file.to_str().unwrap()]].concat());
            assert!(done.status.success(), "{query}: {done:?}");
            std::fs::read(&file).unwrap()
        };
        let (ea, eb) = (export(a.path()), export(b.path()));
        assert!(ea.len() > 1000, "{query} exports hits");
        assert!(
            ea == eb,
            "{query}: exports differ between two builds of the index"
        );
    }
}

#[test]
fn a_contact_redelivered_in_a_later_run_is_not_double_counted() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_pipeline(&root.join("pipelines/demo/weekly.toml"), &out);
    let total = |out: &Path| -> u64 {
        let tables =
            voc_aggregate::week_counts::history_tables(voc_store::OutputDir::new(out).history())
                .unwrap();
        tables.weeks.iter().map(|w| w.contacts).sum()
    };
    let truth = demo_truth();
    let generated = truth.totals.contacts;
    assert_eq!(total(&out), generated);

    // A later delivery: one contact again (moved to another week by a corrected
    // timestamp) and one new contact.
    let first = std::fs::read_to_string(root.join("fixtures/demo/contacts.jsonl")).unwrap();
    let mut moved: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let id = moved["id"].as_str().unwrap().to_string();
    moved["started_at"] = "2026-11-12T10:00:00+08:00".into();
    let mut new = moved.clone();
    new["id"] = "C20261112-999999".into();
    std::fs::write(dir.path().join("late.jsonl"), format!("{moved}\n{new}\n")).unwrap();
    let pipeline = dir.path().join("late.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"late\"\n[input]\npaths = [\"late.jsonl\"]\n\
             [text]\ndictionaries = [\"{0}/pipelines/demo/userdict.txt\"]\n\
             [classify]\ntaxonomy = \"{0}/pipelines/demo/taxonomy.toml\"\n",
            root.display()
        ),
    )
    .unwrap();
    run_pipeline(&pipeline, &out);
    assert_eq!(
        total(&out),
        generated + 1,
        "the re-delivered contact replaced its first delivery"
    );
    let tables =
        voc_aggregate::week_counts::history_tables(voc_store::OutputDir::new(&out).history())
            .unwrap();
    let week = |w: &str| {
        tables
            .weeks
            .iter()
            .find(|r| r.week == w)
            .map_or(0, |r| r.contacts)
    };
    assert_eq!(
        week("2026-W37"),
        truth.week_totals["2026-W37"] - 1,
        "gone from its old week"
    );
    assert_eq!(
        week("2026-W46"),
        truth.week_totals["2026-W46"] + 2,
        "the week's contacts + the moved contact + the new one"
    );
    let index = voc_index::ContactIndex::open(&out.join("index")).unwrap();
    assert_eq!(index.search(&format!("id:{id}"), 10).unwrap().total, 1);
}
