//! Issue 2: the weekly batch end to end on the committed demo data, checked against the
//! generator's ground truth (fixtures/demo/contacts.truth.json).

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use voc_fixtures::GroundTruth;

fn truth() -> GroundTruth {
    GroundTruth::read(&repo_root().join("fixtures/demo/contacts.truth.json")).unwrap()
}

/// One run of the demo shared by the tests below (a run takes seconds in debug builds).
fn demo_run() -> &'static (tempfile::TempDir, String) {
    static RUN: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        let stdout = run_pipeline(&repo_root().join("pipelines/demo/weekly.toml"), out.path());
        (out, stdout)
    })
}

#[test]
fn counts_reconcile_and_are_printed() {
    let (out, stdout) = demo_run();
    // The generated contacts, then corrections.jsonl: 2 re-deliveries and 3 broken lines.
    let generated = truth().totals.contacts;
    assert!(
        stdout.contains(&format!(
            "read {} = accepted {generated} + quarantined 3 + duplicates 2",
            generated + 5
        )),
        "{stdout}"
    );
    let m = manifest(out.path());
    let c = &m["counts"];
    let n = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(
        n("read"),
        n("accepted") + n("quarantined") + n("duplicates")
    );
    assert_eq!(n("indexed"), generated);
    assert_eq!(n("index_documents"), generated);
    assert_eq!(
        std::fs::read_to_string(out.path().join("quarantine.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    for key in ["config_fingerprint", "data_fingerprint", "run_started_at"] {
        assert!(
            m[key].as_str().is_some_and(|s| !s.is_empty()),
            "manifest lacks {key}"
        );
    }
    let stages: Vec<&str> = m["timings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "load_models",
            "ingest",
            "segment_classify",
            "history",
            "index",
            "aggregate",
            "report"
        ]
    );
    if cfg!(target_os = "linux") {
        assert!(m["peak_rss_kb"].as_u64().is_some_and(|kb| kb > 0));
    }
    let outputs: Vec<&str> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(
        outputs.contains(&"report/report.html")
            && outputs.contains(&"history/week=2026-W46/part-0.parquet")
    );
}

#[test]
fn every_planted_category_is_counted() {
    let (out, _) = demo_run();
    let truth = truth();
    let tables =
        voc_aggregate::week_counts::history_tables(voc_store::OutputDir::new(out.path()).history())
            .unwrap();
    let mut classified: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &tables.categories {
        *classified.entry(row.category.as_str()).or_default() += row.count;
    }
    let mut planted: BTreeMap<String, u64> = BTreeMap::new();
    for counts in truth
        .category_counts
        .values()
        .chain(truth.secondary_counts.values())
    {
        for (category, n) in counts {
            *planted.entry(category.clone()).or_default() += *n;
        }
    }
    assert_eq!(planted.len(), truth.categories.len());
    for (category, planted) in &planted {
        let got = classified.get(category.as_str()).copied().unwrap_or(0);
        // Recall of the demo taxonomy on its own data, and no flood of false matches.
        assert!(
            got * 100 >= planted * 95 && got * 100 <= planted * 110,
            "{category}: planted {planted}, classified {got}"
        );
    }
    let weeks: Vec<&str> = tables.weeks.iter().map(|w| w.week.as_str()).collect();
    assert_eq!(
        weeks,
        truth.weeks.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn no_planted_pii_in_any_output() {
    let (out, _) = demo_run();
    let mut needles: Vec<String> = truth().pii.iter().map(|p| p.value.clone()).collect();
    // Digits-only forms too: a mask that kept separators but not digits would show here.
    let digits: Vec<String> = needles
        .iter()
        .map(|v| v.chars().filter(char::is_ascii_alphanumeric).collect())
        .collect();
    needles.extend(digits);
    needles.push("13800138000".into()); // in a quarantined line of corrections.jsonl
    assert!(needles.len() > 1000);
    assert_absent(out.path(), &needles);
}

#[test]
fn the_report_names_the_planted_emerging_issues() {
    let (out, stdout) = demo_run();
    let truth = truth();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["period"], "2026-W46");
    let found: BTreeSet<&str> = report["emerging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category_id"].as_str().unwrap())
        .collect();
    for planted in &truth.emerging {
        assert!(
            found.contains(planted.category.as_str()),
            "{} not reported: {found:?}",
            planted.category
        );
    }
    assert_eq!(
        found.len(),
        truth.emerging.len(),
        "no false alarms: {found:?}"
    );
    let markdown = std::fs::read_to_string(out.path().join("report/report.md")).unwrap();
    let html = std::fs::read_to_string(out.path().join("report/report.html")).unwrap();
    for planted in &truth.emerging {
        assert!(markdown.contains(&planted.category) && html.contains(&planted.category));
    }
    assert!(html.contains("<svg"), "volume chart present");
    assert!(stdout.contains("emerging  增值业务/违规订购"), "{stdout}");
}

#[test]
fn searching_the_planted_phrase_finds_exactly_its_contacts() {
    let (out, _) = demo_run();
    let truth = truth();
    let index = out.path().join("index");
    let query = format!("\"{}\"", truth.search_phrase.phrase);
    let output = voc(&[
        "search",
        "--index",
        index.to_str().unwrap(),
        "--json",
        "-n",
        "1000",
        &query,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: BTreeSet<&str> = results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = truth.search_phrase.ids.iter().map(String::as_str).collect();
    assert_eq!(results["total"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(found, expected);
    assert!(
        results["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>")
    );

    let table = voc(&["search", "--index", index.to_str().unwrap(), "宽带 断网"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("hits for \"宽带 断网\""),
        "{text}"
    );
    assert!(text.contains("【"), "highlighted snippets: {text}");
    // Channels and sentiment as the search page names them, not the stored codes.
    assert!(
        text.contains(" 电话 ") && !text.contains(" voice ") && !text.contains("negative"),
        "{text}"
    );
}
