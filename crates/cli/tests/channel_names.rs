//! `[report] channel_names` reach search as they reach the report: a run saves them
//! with the index, `voc search`'s table and its exports name the channel by them, and a
//! retag or an index rebuild after the names change uses the new ones.

mod common;

use common::*;
use std::path::Path;

fn pipeline(dir: &Path, names: &str) -> std::path::PathBuf {
    let root = repo_root();
    let path = dir.join("stores.toml");
    std::fs::write(
        &path,
        format!(
            "[pipeline]\nname = \"stores\"\n[input]\npaths = [\"stores.jsonl\"]\n\
             [text]\ndictionaries = [\"{0}/pipelines/demo/userdict.txt\"]\n\
             [classify]\ntaxonomy = \"{0}/pipelines/demo/taxonomy.toml\"\n\
             [report]\nchannel_names = {{ {names} }}\n",
            root.display()
        ),
    )
    .unwrap();
    path
}

/// Runs voc, failing with its stderr; its stdout.
fn succeed(args: &[&str]) -> String {
    let output = voc(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn search(out: &Path, export: &Path) -> String {
    succeed(&[
        "search",
        "--index",
        out.join("index").to_str().unwrap(),
        "--facets",
        "--export",
        export.to_str().unwrap(),
        "断网",
    ])
}

#[test]
fn search_names_channels_as_the_pipeline_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let contact = |id: &str, channel: &str| {
        serde_json::json!({"id": id, "started_at": "2026-11-10T10:00:00+08:00",
            "channel": channel, "region": "广东",
            "turns": [{"speaker": "customer", "text": "宽带又断网了，一直连不上网"}]})
        .to_string()
    };
    std::fs::write(
        dir.path().join("stores.jsonl"),
        format!(
            "{}\n{}\n",
            contact("S1", "store_counter"),
            contact("S2", "voice")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let csv = dir.path().join("hits.csv");

    let first = pipeline(dir.path(), "store_counter = \"营业厅\"");
    run_pipeline(&first, &out);
    let table = search(&out, &csv);
    assert!(table.contains("营业厅"), "{table}");
    assert!(table.contains("电话"), "{table}");
    assert!(!table.contains("store_counter"), "{table}");
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(
        exported.contains(",营业厅,") && exported.contains(",电话,"),
        "{exported}"
    );

    // Renamed in the pipeline file: a retag saves the new names with the index.
    pipeline(dir.path(), "store_counter = \"线下营业厅\"");
    succeed(&[
        "retag",
        first.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(search(&out, &csv).contains("线下营业厅"));

    // Names removed: a rebuilt index shows the stored value again.
    pipeline(dir.path(), "");
    succeed(&[
        "index",
        "rebuild",
        first.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let table = search(&out, &csv);
    assert!(
        table.contains("store_counter") && !table.contains("营业厅"),
        "{table}"
    );
}
