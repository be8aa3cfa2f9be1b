//! Issue 7: `voc report PIPELINE --period P` on the demo data — a week, a month and a
//! date range from the stored history alone, each compared with the previous period of
//! the same length; the batch's week byte-identical to what `voc run` wrote; no planted
//! PII in any format; a bad or empty period refused with a clear message.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use voc_fixtures::GroundTruth;

const FILES: [&str; 4] = ["report.html", "report.md", "report.json", "report.xlsx"];

fn pipeline() -> PathBuf {
    repo_root().join("pipelines/demo/weekly.toml")
}

/// The tests share one output folder and write reports into it; each holds this lock
/// so none reads a folder while another is writing to it.
static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One demo run shared by the tests below.
fn demo_out() -> &'static Path {
    static RUN: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        run_pipeline(&pipeline(), out.path());
        out
    })
    .path()
}

/// Runs `voc report` for `period` on the demo output; returns stdout, panicking with
/// stderr when it fails.
fn report(period: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "report",
        pipeline().to_str().unwrap().to_owned().leak(),
        "--period",
        period,
        "--out",
        demo_out().to_str().unwrap().to_owned().leak(),
    ];
    args.extend_from_slice(extra);
    let output = voc(&args);
    assert!(
        output.status.success(),
        "voc report --period {period} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Contacts per day from `tables/volumes.csv` (the `day` rows of the total).
fn daily_contacts(out: &Path) -> Vec<(String, u64)> {
    let csv = std::fs::read_to_string(out.join("tables/volumes.csv")).unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (grain, period, dimension, contacts) = (
        col("grain"),
        col("period"),
        col("dimension"),
        col("contacts"),
    );
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[grain] == "day" && f[dimension] == "all")
        .map(|f| (f[period].to_string(), f[contacts].parse().unwrap()))
        .collect()
}

fn json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn the_batch_week_is_byte_identical_to_what_voc_run_wrote() {
    let _serial = serial();
    let out = demo_out();
    let stdout = report("2026-W46", &[]);
    assert!(stdout.contains("compared with 2026-W45"), "{stdout}");
    let dir = out.join("report/2026-W46");
    for name in FILES {
        let run = std::fs::read(out.join("report").join(name)).unwrap();
        let period = std::fs::read(dir.join(name)).unwrap();
        assert!(
            run == period,
            "{name} differs between voc run and voc report"
        );
    }
    // Data quality comes from the run manifest, and the appendix says so.
    let report = json(&dir);
    let m = manifest(out);
    assert_eq!(report["quality"]["read"], m["counts"]["read"]);
    assert_eq!(report["quality"]["batch_period"], "2026-W46");
    assert_eq!(report["data_fingerprint"], m["data_fingerprint"]);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains(
        "以上计数取自写入本输出目录的最近一次批处理（批处理报告期 2026-W46，见 run.json）"
    ));
}

#[test]
fn a_week_a_month_and_a_range_each_against_the_period_before() {
    let _serial = serial();
    let out = demo_out();

    report("2026-W45", &[]);
    let w45 = json(&out.join("report/2026-W45"));
    assert_eq!(w45["period"], "2026-W45");
    assert_eq!(w45["previous_period"], "2026-W44");
    assert_eq!(w45["data_through"], serde_json::Value::Null);
    let weeks: Vec<&str> = w45["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["period"].as_str().unwrap())
        .collect();
    assert_eq!(weeks.first(), Some(&"2026-W37"));
    assert_eq!(weeks.last(), Some(&"2026-W45"), "nothing after the period");
    assert_eq!(w45["baseline_periods"], 8);

    // November has data up to the 15th: compared with 1–15 October.
    let stdout = report("2026-11", &[]);
    assert!(stdout.contains("data through 2026-11-15"), "{stdout}");
    let dir = out.join("report/2026-11");
    for name in FILES {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let nov = json(&dir);
    assert_eq!(nov["period"], "2026-11");
    assert_eq!(nov["previous_period"], "2026-10");
    assert_eq!(nov["data_through"], "2026-11-15");
    // The months the history covers from their first day: September starts on the 7th.
    let months: Vec<&str> = nov["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["period"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-10", "2026-11"]);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("- 报告期：2026-11（2026-11-01 至 2026-11-30，数据截至 2026-11-15）"));
    assert!(md.contains("- 对比期：2026-10（2026-10-01 至 2026-10-15，与本期已有数据的天数相同）"));
    // Like for like: 1–15 November against 1–15 October, summed from the daily volume
    // table `voc run` wrote.
    let days = daily_contacts(out);
    let sum = |from: &str, to: &str| -> u64 {
        days.iter()
            .filter(|(d, _)| from <= d.as_str() && d.as_str() <= to)
            .map(|(_, n)| n)
            .sum()
    };
    let nov_row = nov["volume"].as_array().unwrap().last().unwrap();
    assert_eq!(
        nov_row["contacts"].as_u64(),
        Some(sum("2026-11-01", "2026-11-15"))
    );
    assert_eq!(
        nov["comparison_volume"]["contacts"].as_u64(),
        Some(sum("2026-10-01", "2026-10-15"))
    );
    let oct_row = &nov["volume"][0];
    assert_eq!(
        oct_row["contacts"].as_u64(),
        Some(sum("2026-10-01", "2026-10-31"))
    );
    let w46 = json(&out.join("report"));
    let week = |r: &serde_json::Value, key: &str| {
        r["volume"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["period"] == key)
            .map(|v| v["contacts"].as_u64().unwrap())
            .unwrap()
    };
    // The planted surge of W46 is still significant against October.
    let emerging: Vec<&str> = nov["emerging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category_id"].as_str().unwrap())
        .collect();
    assert!(emerging.contains(&"增值业务/违规订购"), "{emerging:?}");

    // Four weeks as a range, against the four weeks just before.
    report("2026-10-05..2026-11-01", &[]);
    let dir = out.join("report/2026-10-05_2026-11-01");
    let range = json(&dir);
    assert_eq!(range["period"], "2026-10-05..2026-11-01");
    assert_eq!(range["previous_period"], "2026-09-07..2026-10-04");
    let contacts = week(&range, "2026-10-05..2026-11-01");
    let four_weeks: u64 = ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
        .iter()
        .map(|w| week(&w46, w))
        .sum();
    assert_eq!(contacts, four_weeks);
    let before: u64 = ["2026-W37", "2026-W38", "2026-W39", "2026-W40"]
        .iter()
        .map(|w| week(&w46, w))
        .sum();
    assert_eq!(
        range["comparison_volume"]["contacts"].as_u64(),
        Some(before)
    );

    // Nothing from the clock: the same period again gives the same bytes.
    let first: Vec<Vec<u8>> = FILES
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap())
        .collect();
    report("2026-10-05..2026-11-01", &[]);
    for (name, bytes) in FILES.iter().zip(&first) {
        assert!(
            std::fs::read(dir.join(name)).unwrap() == *bytes,
            "{name} changed"
        );
    }
}

#[test]
fn no_planted_pii_in_any_report_format() {
    let _serial = serial();
    let out = demo_out();
    for period in ["2026-W46", "2026-11", "2026-10-05..2026-11-01"] {
        report(period, &[]);
    }
    let truth = GroundTruth::read(&repo_root().join("fixtures/demo/contacts.truth.json")).unwrap();
    let mut needles: Vec<String> = truth.pii.iter().map(|p| p.value.clone()).collect();
    let digits: Vec<String> = needles
        .iter()
        .map(|v| v.chars().filter(char::is_ascii_alphanumeric).collect())
        .collect();
    needles.extend(digits);
    // Every output file as bytes (HTML, Markdown, JSON), the history and the index ...
    assert_absent(out, &needles);
    // ... and the workbooks' cells, which are compressed inside the .xlsx files.
    let any = regex::Regex::new(
        &needles
            .iter()
            .map(|n| regex::escape(n))
            .collect::<Vec<_>>()
            .join("|"),
    )
    .unwrap();
    let mut cells = 0;
    for dir in [
        "report",
        "report/2026-W46",
        "report/2026-11",
        "report/2026-10-05_2026-11-01",
    ] {
        let workbook = out.join(dir).join("report.xlsx");
        // Every sheet the workbook can have; a report without a section has no sheet.
        for sheet in [
            "概览",
            "话务量趋势",
            "渠道地区分布",
            "投诉主题",
            "非投诉类关注点",
            "类别关键词",
            "新兴问题",
            "代表性原话",
            "新词发现",
            "情感趋势",
            "风险汇总",
            "风险观察名单",
            "KPI达成",
            "KPI逐日",
            "话务预测",
            "排班测算",
            "数据质量",
        ] {
            let input = voc_ingest::InputFile {
                sheet: Some(sheet.to_string()),
                ..voc_ingest::InputFile::new(&workbook)
            };
            let read = voc_ingest::source::read(&input, &mut |row| {
                cells += 1;
                if let Some(m) = any.find(&row.raw) {
                    panic!(
                        "{:?} leaked into {} sheet {sheet}",
                        m.as_str(),
                        workbook.display()
                    );
                }
            });
            if let Err(e) = read {
                assert!(e.to_string().contains("no sheet named"), "{e}");
            }
        }
    }
    assert!(cells > 50, "the workbooks were read: {cells} rows");
}

#[test]
fn a_bad_or_empty_period_is_refused_with_a_clear_message() {
    let _serial = serial();
    let out = demo_out();
    for (period, message) in [
        ("2026-13", "there is no month 13"),
        ("2026-W54", "2026 has no ISO week 54"),
        ("2026-10-31..2026-10-01", "the range ends before it starts"),
        ("last week", "not a week, a month or a date range"),
    ] {
        let output = voc(&[
            "report",
            pipeline().to_str().unwrap(),
            "--period",
            period,
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{period} accepted");
        assert!(stderr.contains(message), "{period}: {stderr}");
        assert!(
            stderr.contains(
                "expected an ISO week like 2026-W45, a month like 2026-11, or a date range like 2026-10-01..2026-10-31"
            ),
            "{period}: {stderr}"
        );
    }
    // A valid period without stored data is an error, not an empty report.
    let output = voc(&[
        "report",
        pipeline().to_str().unwrap(),
        "--period",
        "2026-W30",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("no stored contacts in 2026-W30 (2026-07-20 to 2026-07-26)")
            && stderr.contains("holds 2026-09-07 to 2026-11-15"),
        "{stderr}"
    );
    assert!(!out.join("report/2026-W30").exists());
    // No history at all.
    let empty = tempfile::tempdir().unwrap();
    let output = voc(&[
        "report",
        pipeline().to_str().unwrap(),
        "--period",
        "2026-W46",
        "--out",
        empty.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no stored history in"), "{stderr}");
}
