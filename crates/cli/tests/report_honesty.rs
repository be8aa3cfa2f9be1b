//! Issue 29 item 1: every sentence about a change is backed by a test. On the demo data
//! with its dates shuffled among the contacts (no trend left), the summary names no
//! rising theme, says that nothing changed significantly and recommends nothing new; on
//! the real dates the planted emerging issue still leads the summary after the volume.

mod common;

use common::*;
use std::path::Path;
use voc_fixtures::GroundTruth;

/// The demo pipeline's files copied under `root/pipelines/demo`, so its relative input
/// paths point at `root/fixtures/demo`.
fn copy_pipeline(root: &Path) {
    let from = repo_root().join("pipelines/demo");
    let to = root.join("pipelines/demo");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// The demo contacts with their `started_at` values permuted among them (a fixed
/// shuffle, so the test is the same on every run).
fn shuffled_contacts(root: &Path) {
    let demo = repo_root().join("fixtures/demo");
    let text = std::fs::read_to_string(demo.join("contacts.jsonl")).unwrap();
    let mut rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut times: Vec<serde_json::Value> = rows.iter().map(|r| r["started_at"].clone()).collect();
    // Fisher–Yates with a small LCG: any fixed permutation that mixes the weeks will do.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..times.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (state >> 33) as usize % (i + 1);
        times.swap(i, j);
    }
    for (row, at) in rows.iter_mut().zip(times) {
        row["started_at"] = at;
    }
    let to = root.join("fixtures/demo");
    std::fs::create_dir_all(&to).unwrap();
    let lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    std::fs::write(to.join("contacts.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::copy(demo.join("corrections.jsonl"), to.join("corrections.jsonl")).unwrap();
}

/// The numbered findings of the executive summary in `report.md`.
fn summary(out: &Path) -> Vec<String> {
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    let start = md.find("、执行摘要\n").unwrap();
    md[start..]
        .lines()
        .skip(1)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn shuffled_dates_give_no_rising_finding_and_planted_issues_lead() {
    let root = tempfile::tempdir().unwrap();
    copy_pipeline(root.path());
    shuffled_contacts(root.path());
    let out = root.path().join("out");
    run_pipeline(&root.path().join("pipelines/demo/weekly.toml"), &out);
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    let findings = summary(&out).join("\n");
    assert!(
        !findings.contains("较上期显著") && !findings.contains("增量最大"),
        "{findings}"
    );
    assert!(
        !md.contains("【上升主题】") && !md.contains("【新兴问题】"),
        "{md}"
    );
    assert!(
        findings.contains("各投诉主题均无统计显著变化，本期不提出新的专项改进建议"),
        "{findings}"
    );
    assert!(md.contains("两期率检验"));

    // The real dates: the planted issue of the last week comes right after the volume.
    let real = tempfile::tempdir().unwrap();
    run_pipeline(&repo_root().join("pipelines/demo/weekly.toml"), real.path());
    let truth = GroundTruth::read(&repo_root().join("fixtures/demo/contacts.truth.json")).unwrap();
    let last_week = truth.weeks.last().unwrap();
    let planted = truth
        .emerging
        .iter()
        .find(|e| &e.week == last_week)
        .expect("a planted issue in the last week");
    let findings = summary(real.path());
    assert!(findings[1].contains(&planted.category), "{findings:?}");
}
