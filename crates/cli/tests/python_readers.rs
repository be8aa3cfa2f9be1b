//! Issue 25, item 7: the history and the tables are read as they are by the tools
//! analysts use. Runs the demo pipeline, then `tests/python/read_outputs.py` in the
//! venv that `scripts/python-env.sh` makes (pandas, pyarrow, DuckDB, polars at pinned
//! versions): every tool must see the rows run.json counts, `started_at` as a
//! timestamp in China time, the week from the folder names, plain list and string
//! types. Skipped, with a message, when the venv is absent.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;

/// The venv's python: `$VOC_PYTHON`, else `pyenv/bin/python` in the target folder
/// (`$CARGO_TARGET_DIR`, else the one holding this test binary).
fn venv_python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("VOC_PYTHON") {
        return Some(PathBuf::from(python));
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // target/debug/deps/python_readers-HASH
        None => std::env::current_exe()
            .ok()?
            .ancestors()
            .nth(3)?
            .to_path_buf(),
    };
    let python = target.join("pyenv/bin/python");
    python.exists().then_some(python)
}

#[test]
fn pandas_pyarrow_duckdb_and_polars_read_the_history_and_tables() {
    let Some(python) = venv_python() else {
        eprintln!("skipped: no Python venv (run scripts/python-env.sh, or set VOC_PYTHON)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&repo_root().join("pipelines/demo/weekly.toml"), out.path());
    let script = repo_root().join("crates/cli/tests/python/read_outputs.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(out.path())
        .output()
        .expect("run the venv's python");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    eprintln!("read with {}", seen["versions"]);

    // A first run into an empty folder: the history holds exactly the accepted contacts.
    let accepted = manifest(out.path())["counts"]["accepted"].as_u64().unwrap();
    assert_eq!(seen["history_rows"].as_u64(), Some(accepted), "{seen}");
    let weeks = seen["weeks"].as_object().unwrap();
    let per_week: u64 = weeks.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(per_week, accepted);
    let folders: Vec<String> = std::fs::read_dir(out.path().join("history"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|name| name.strip_prefix("week=").map(str::to_string))
        .collect();
    assert_eq!(weeks.len(), folders.len());
    assert!(folders.iter().all(|w| weeks.contains_key(w)), "{folders:?}");
    // Every table, read by every tool, with the rows of its CSV.
    let tables = seen["tables"].as_object().unwrap();
    for name in voc_aggregate::table_files::TABLES {
        assert!(tables.contains_key(*name), "{name} not read: {seen}");
    }
}
