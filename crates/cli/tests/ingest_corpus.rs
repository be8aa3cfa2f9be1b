//! Issue 3: the committed corpus of broken inputs (fixtures/broken) gives exact counts,
//! every refused record is quarantined with its file, line and field, and no planted
//! PII reaches any output.

mod common;

use common::*;

const PLANTED_PII: &[&str] = &[
    "13812345678",
    "138 1234 5678",
    "13912345678",
    "１３９１２３４５６７８",
    "幺三八一二三四五六七八",
    "440106199003071231",
    "6222020200112233446",
];

/// A pipeline file in `dir` reading `inputs` (a TOML list's items) with the demo's
/// dictionary and taxonomy; `input_extra` goes into its `[input]` table.
fn pipeline_with_demo_models(
    dir: &std::path::Path,
    name: &str,
    inputs: &str,
    input_extra: &str,
) -> std::path::PathBuf {
    let pipeline = dir.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"{name}\"\n[input]\npaths = [{inputs}]\n{input_extra}\
             [text]\ndictionaries = [\"{0}/pipelines/demo/userdict.txt\"]\n\
             [classify]\ntaxonomy = \"{0}/pipelines/demo/taxonomy.toml\"\n",
            repo_root().display()
        ),
    )
    .unwrap();
    pipeline
}

/// Runs `voc run` expecting it to fail: its exit code and standard error.
fn run_failing(pipeline: &std::path::Path, out: &std::path::Path) -> (Option<i32>, String) {
    let output = voc(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn broken_corpus_is_fully_accounted_for() {
    let out = tempfile::tempdir().unwrap();
    let stdout = run_pipeline(
        &repo_root().join("fixtures/broken/pipeline.toml"),
        out.path(),
    );
    assert!(
        stdout.contains("read 49 = accepted 21 + quarantined 27 + duplicates 1"),
        "{stdout}"
    );

    let m = manifest(out.path());
    let counts = &m["counts"];
    assert_eq!(
        (
            counts["read"].as_u64(),
            counts["accepted"].as_u64(),
            counts["quarantined"].as_u64(),
            counts["duplicates"].as_u64()
        ),
        (Some(49), Some(21), Some(27), Some(1))
    );
    assert_eq!(
        m["pii_masked"],
        serde_json::json!({"bank_card": 2, "id_card": 4, "mobile": 7})
    );

    let quarantine = std::fs::read_to_string(out.path().join("quarantine.jsonl")).unwrap();
    let found: Vec<(String, u64, String)> = quarantine
        .lines()
        .map(|l| {
            let q: serde_json::Value = serde_json::from_str(l).unwrap();
            let file = q["source"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            (
                file,
                q["line"].as_u64().unwrap(),
                q["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String)> = [
        ("contacts.jsonl", 3, "id"),
        ("contacts.jsonl", 4, "id"),
        ("contacts.jsonl", 5, "started_at"),
        ("contacts.jsonl", 6, "csat"),
        ("contacts.jsonl", 7, "duration_s"),
        ("contacts.jsonl", 8, "turns"),
        ("contacts.jsonl", 9, "turns"),
        ("contacts.jsonl", 10, ""),
        ("contacts.jsonl", 11, ""),
        ("contacts.jsonl", 12, ""),
        ("contacts.jsonl", 15, "turns[0].speaker"),
        // Numbers in a time column that declares no unit are no times.
        ("contacts.jsonl", 16, "started_at"),
        ("contacts.jsonl", 17, "started_at"),
        // Windows line ends (CRLF): each row on its own line, the header on line 1.
        // Its time column is epoch seconds: an Excel serial there is 1970, implausible.
        ("orders_gbk.csv", 4, "started_at"),
        ("orders_gbk.csv", 7, ""),
        ("orders_gbk.csv", 8, "started_at"),
        ("orders_gbk.csv", 9, "id"),
        ("orders_gbk.csv", 10, "内容"),
        // Its time column is Excel serial dates: epoch seconds there are no date.
        ("orders_bom.csv", 5, "started_at"),
        ("orders_bom.csv", 7, ""),
        ("orders_bom.csv", 8, "started_at"),
        ("orders_bom.csv", 9, "id"),
        ("transcripts.xlsx", 5, "started_at"),
        ("transcripts.xlsx", 6, "turns"),
        ("contacts.parquet", 3, "id"),
        // Turns as a list of {speaker, text} structs read like JSON Lines turns; a row
        // is refused naming the column it cannot read.
        ("transcripts.parquet", 2, "turns[0].speaker"),
        ("transcripts.parquet", 3, "attachment"),
    ]
    .iter()
    .map(|(f, l, field)| (f.to_string(), *l, field.to_string()))
    .collect();
    assert_eq!(found, expected);
    assert!(quarantine.contains("invalid UTF-8"));
    assert!(quarantine.contains("a number is a time only in a column declared so"));
    assert!(quarantine.contains(
        "implausible date in started_at: 1970-01-01T20:52:08.500+08:00 is before 2000-01-01"
    ));
    assert!(quarantine.contains("row has 4 fields, the header has 7"));
    // The refused Parquet row's readable columns are its raw text, masked.
    assert!(quarantine.contains(r#"身份证440***********1231，帮我查一下话费"#));
    // A GBK row with a broken character is refused, not stored with U+FFFD.
    assert!(
        quarantine
            .contains(r#"column \"内容\" (field 7) has bytes that are not valid GBK/GB18030"#)
    );

    // GBK and UTF-8-with-BOM exports of the same rows read identically.
    let cells =
        voc_store::history::string_cells(voc_store::OutputDir::new(out.path()).history()).unwrap();
    assert!(
        cells.iter().any(|c| c == "客户反映家中宽带近三天频繁掉线"),
        "GBK text decoded"
    );
    assert!(
        cells.iter().any(|c| c == "客户反映流量超额扣费"),
        "Traditional converted to Simplified"
    );
    assert!(
        cells.iter().any(|c| c == "我的号码138****5678，宽带断网了")
            && cells.iter().any(|c| c == "信号太差了，网速很慢"),
        "Parquet turns masked and converted"
    );
    // A Parquet timestamp without a zone is a wall-clock time: Sunday 23:30 stays in
    // W45 (read as UTC it was Monday 07:30, in W46).
    let history = voc_store::OutputDir::new(out.path());
    let sunday_night = history
        .history()
        .partitions()
        .iter()
        .flat_map(|p| voc_store::history::read_records(p, false).unwrap())
        .find(|r| r.contact.started_at.to_rfc3339() == "2026-11-08T23:30:00+08:00")
        .expect("the Sunday 23:30 contact");
    assert_eq!(sunday_night.week, "2026-W45");
    assert!(
        cells.iter().any(|c| c == "宽带又断网了，第二次反映"),
        "the newest delivery of B01 wins"
    );
    assert!(
        !cells
            .iter()
            .any(|c| c.contains("第一次") || c == "我电话138 **** 5678，宽带断网了")
    );
    assert!(
        cells
            .iter()
            .any(|c| c
                == "号码幺三八****五六七八，身份证440***********1231，卡号6222***********3446")
    );

    let pii: Vec<String> = PLANTED_PII.iter().map(|s| s.to_string()).collect();
    assert_absent(out.path(), &pii);
}

#[test]
fn a_ten_megabyte_line_is_quarantined_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    let mut data = std::fs::read(repo_root().join("fixtures/broken/contacts.jsonl")).unwrap();
    data.extend_from_slice(br#"{"id":"HUGE","started_at":"2026-11-02 09:00:00","text":""#);
    data.extend(std::iter::repeat_n(b'x', 10 << 20));
    data.extend_from_slice(b"\"}\n");
    std::fs::write(&input, data).unwrap();
    let pipeline = pipeline_with_demo_models(
        dir.path(),
        "big",
        "\"big.jsonl\"",
        "max_quarantine_rate = 1.0\n",
    );
    let out = dir.path().join("out");
    let stdout = run_pipeline(&pipeline, &out);
    assert!(
        stdout.contains("read 18 = accepted 3 + quarantined 14 + duplicates 1"),
        "{stdout}"
    );
    let quarantine = std::fs::read_to_string(out.join("quarantine.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(quarantine.lines().last().unwrap()).unwrap();
    assert_eq!(last["line"], 19);
    assert!(
        last["reason"].as_str().unwrap().contains("byte limit"),
        "{last}"
    );
    assert!(
        last["raw"].as_str().unwrap().len() < 4096,
        "raw text is cut short"
    );
}

#[test]
fn too_many_quarantined_records_fail_the_run_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = format!(
        "\"{}/fixtures/broken/contacts.jsonl\"",
        repo_root().display()
    );
    let pipeline = pipeline_with_demo_models(dir.path(), "strict", &inputs, "");
    let out = dir.path().join("out");
    let (code, stderr) = run_failing(&pipeline, &out);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("13 of 17 records (76.5%) were quarantined, above the 5.0% limit"),
        "{stderr}"
    );
    assert!(stderr.contains("[input.columns]"), "{stderr}");
    assert!(
        out.join("quarantine.jsonl").exists(),
        "the quarantine is kept for inspection"
    );
    assert!(!out.join("run.json").exists(), "nothing else is written");
}

#[test]
fn an_empty_export_fails_the_run_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
    let pipeline = pipeline_with_demo_models(dir.path(), "empty", "\"empty.jsonl\"", "");
    let out = dir.path().join("out");
    let (code, stderr) = run_failing(&pipeline, &out);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("nothing to report: the batch read 0 records and accepted none"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid period"), "{stderr}");
    assert!(
        !out.join("run.json").exists(),
        "no manifest of a run that did nothing"
    );
}
