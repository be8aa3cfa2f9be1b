//! What `voc run` writes to stderr at each verbosity: nothing but the summary's warnings by
//! default, nothing at all with `-q`, a JSON line per stage with `-v --log-format json`
//! whose times are the ones run.json records. And a reader that stops early
//! (`voc search --json | head`) is no error.

mod common;

use common::{demo_truth, manifest, repo_root, voc};
use std::io::Read;
use std::process::{Command, Stdio};

fn run_demo(out: &std::path::Path, flags: &[&str]) -> std::process::Output {
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ];
    args.extend_from_slice(flags);
    let output = voc(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn verbosity_and_log_format_control_stderr_and_stage_lines_match_run_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    let quiet = run_demo(&out, &["-q"]);
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "-q printed"
    );

    let plain = run_demo(&out, &[]);
    // The generated contacts and the 5 lines of corrections.jsonl.
    let read = format!("records   read {}", demo_truth().totals.contacts + 5);
    assert!(String::from_utf8_lossy(&plain.stdout).contains(&read));
    assert!(
        !String::from_utf8_lossy(&plain.stderr).contains("INFO"),
        "info lines without -v"
    );

    let verbose = run_demo(&out, &["-v", "--log-format", "json"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&verbose.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    // Every stage run.json times has its line: a span closing (sequential stages) or
    // the summed time of a streamed stage, with the same milliseconds.
    let timings = manifest(&out)["timings"].as_array().unwrap().clone();
    assert_eq!(timings.len(), 7, "{timings:?}");
    for timing in &timings {
        let stage = timing["stage"].as_str().unwrap();
        let logged = lines
            .iter()
            .any(|l| l["span"]["stage"] == stage || l["fields"]["stage"] == stage);
        assert!(logged, "no log line for stage {stage}");
    }
    for streamed in ["ingest", "segment_classify", "history"] {
        let line = lines
            .iter()
            .find(|l| l["fields"]["stage"] == streamed)
            .unwrap();
        let recorded = timings.iter().find(|t| t["stage"] == streamed).unwrap();
        assert_eq!(line["fields"]["ms"], recorded["ms"], "{streamed}");
    }
}

#[test]
fn search_json_closed_early_by_its_reader_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_demo(&out, &["-q"]);
    let index = out.join("index");
    // 200 hits as JSON are ~150 KB, more than a pipe holds, so a write after the reader
    // has gone fails with EPIPE (inside serde_json's error: it exited 2, "Broken pipe").
    let mut child = Command::new(env!("CARGO_BIN_EXE_voc"))
        .args(["search", "--index", index.to_str().unwrap()])
        .args(["宽带", "-n", "200", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, as `head -c 100` does, then close the pipe.
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{:?} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
