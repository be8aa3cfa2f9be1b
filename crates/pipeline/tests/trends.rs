//! The trend stage inside the pipeline: the `[kpi]` and `[staffing]` sections of the
//! pipeline file, and a whole run on generated data checked against the generator's
//! ground truth with the real segmenter and classifier.

use std::path::{Path, PathBuf};
use voc_aggregate::emerging::{self, EmergingOptions};
use voc_fixtures::{GeneratorConfig, GroundTruth};
use voc_pipeline::{Pipeline, RunOptions};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../pipelines/demo")
        .canonicalize()
        .unwrap()
}

/// A pipeline file over `input` using the demo taxonomy, dictionary and stop words,
/// with `extra` appended.
fn pipeline_file(dir: &Path, input: &Path, extra: &str) -> PathBuf {
    let d = demo();
    let text = format!(
        r#"[pipeline]
name = "test"

[input]
paths = ["{input}"]

[output]
dir = "{out}"

[text]
dictionaries = ["{dict}"]
stopwords = "{stop}"

[classify]
taxonomy = "{taxonomy}"
{extra}
"#,
        input = input.display(),
        out = dir.join("out").display(),
        dict = d.join("userdict.txt").display(),
        stop = d.join("stopwords.txt").display(),
        taxonomy = d.join("taxonomy.toml").display(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_demo_pipeline_has_monthly_targets_and_staffing() {
    let p = Pipeline::load(&demo().join("weekly.toml")).unwrap();
    let nov = p.file.kpi.targets_for("2026-11").unwrap();
    assert_eq!(
        (nov.fcr, nov.sla, nov.aht_s),
        (Some(0.78), Some(0.8), Some(480.0))
    );
    // A month without its own table falls back to "default".
    assert_eq!(p.file.kpi.targets_for("2027-01").unwrap().sla, Some(0.80));
    assert_eq!(p.file.kpi.sla_channels, ["voice", "chat"]);
    assert_eq!(p.file.staffing.attendance_rate, 0.85);
    assert!(
        p.config_files()
            .iter()
            .any(|f| f.ends_with("stopwords.txt"))
    );
}

#[test]
fn bad_kpi_and_staffing_sections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "").unwrap();
    for (extra, message) in [
        ("[kpi]\nsla_secs = 20\n", "unknown field"),
        ("[kpi.targets.\"2026-11\"]\ncsat = 85\n", "csat = 85"),
        ("[kpi.targets.\"November\"]\nfcr = 0.8\n", "November"),
        ("[staffing]\nattendance_rate = 0\n", "attendance_rate"),
        ("[staffing]\nopen_hours = 30\n", "open_hours"),
    ] {
        let path = pipeline_file(dir.path(), &input, extra);
        let err = Pipeline::load(&path).unwrap_err().to_string();
        assert!(err.contains(message), "{extra}: {err}");
    }
}

#[test]
fn a_generated_batch_end_to_end_against_its_truth() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GeneratorConfig {
        contacts: 12_000,
        weeks: 10,
        seed: 99,
        end_week: "2026-W46".into(),
    };
    let input = dir.path().join("contacts.jsonl");
    voc_fixtures::generate_to_path(&cfg, &input).unwrap();
    let truth = GroundTruth::read(&voc_fixtures::truth_path_for(&input)).unwrap();
    let path = pipeline_file(
        dir.path(),
        &input,
        "[kpi.targets.default]\nfcr = 0.5\nsla = 0.8\n",
    );
    let pipeline = Pipeline::load(&path).unwrap();
    let summary = voc_pipeline::run(&pipeline, &RunOptions::default()).unwrap();
    let out = summary.out_dir.root();

    // Every week, with the categories the real classifier gave: each planted issue
    // found in its week, at most one false alarm a week.
    let tables = voc_aggregate::week_counts::history_tables(summary.out_dir.history()).unwrap();
    for week in truth.weeks.iter().skip(1) {
        let found = emerging::detect(&tables, week, &EmergingOptions::default());
        let planted: Vec<_> = truth.emerging.iter().filter(|e| &e.week == week).collect();
        let hit = |f: &emerging::Emerging, p: &voc_fixtures::EmergingIssue| {
            f.category == p.category && f.region.as_ref().is_none_or(|r| p.regions.contains(r))
        };
        for p in &planted {
            assert!(
                found.iter().any(|f| hit(f, p)),
                "{week}: {} not found in {found:?}",
                p.category
            );
        }
        let false_alarms = found
            .iter()
            .filter(|f| !planted.iter().any(|p| hit(f, p)))
            .count();
        assert!(false_alarms <= 1, "{week}: {found:?}");
    }
    assert!(
        summary.emerging.iter().any(|e| e == "增值业务/违规订购"),
        "{:?}",
        summary.emerging
    );

    // The tables the report renders are on disk, listed in the manifest.
    for name in voc_aggregate::table_files::TABLES {
        for ext in ["parquet", "csv"] {
            let rel = format!("tables/{name}.{ext}");
            assert!(out.join(&rel).exists(), "{rel}");
            assert!(
                summary.manifest.outputs.iter().any(|o| o.path == rel),
                "{rel} in run.json"
            );
        }
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["kpi"]["month"], "2026-11");
    assert_eq!(report["kpi"]["as_of"], "2026-11-15");
    assert_eq!(report["kpi"]["rows"].as_array().unwrap().len(), 2);
    assert_eq!(report["forecast"]["days"].as_array().unwrap().len(), 28);
    assert!(
        report["forecast"]["backtest_mape"]
            .as_f64()
            .is_some_and(|m| m < 20.0)
    );
    assert!(!report["top_keywords"].as_array().unwrap().is_empty());
    // The surge texts bring words no rule has (视频彩铃 is a rule term, 莫名其妙 is not).
    let terms: Vec<&str> = report["new_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(!terms.is_empty());
    assert!(
        !terms.iter().any(|t| *t == "视频彩铃" || *t == "光缆"),
        "{terms:?}"
    );
    let html = std::fs::read_to_string(out.join("report/report.html")).unwrap();
    assert!(html.contains("KPI 指标达成") && html.contains("话务预测与排班"));
}
