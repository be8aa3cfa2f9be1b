//! A new user's own data: `voc init` scaffolds a pipeline that `voc check` and
//! `voc run` accept, for a CSV with Chinese headers, a GBK CSV and an XLSX; `voc check`
//! writes nothing and fails on a bad mapping; a mapping that does not fit its file is
//! refused before a row is read, with the headers, the section to edit and the closest
//! header of each missing field.

mod common;

use common::{files_under, repo_root, voc};
use std::path::{Path, PathBuf};

const TEXTS: &[&str] = &[
    "坐席：您好 客户：我家宽带这周断网三次了，电话13812345678",
    "客户反映快递一直没到，要求尽快处理",
    "坐席：您好 客户：申请退款一直没到账",
    "客户说这个月多扣了二十块，要求退费",
    "客户投诉客服态度很差，打了几次电话都没人理",
];

/// Rows of a ticket export with Chinese headers: 60 contacts over one week.
fn ticket_rows() -> Vec<[String; 6]> {
    (0..60)
        .map(|i| {
            [
                format!("GD2026110{}{i:04}", i % 7 + 2),
                format!("2026-11-0{} {:02}:{:02}:00", i % 7 + 2, 8 + i % 10, i % 60),
                ["电话", "在线", "微信"][i % 3].to_string(),
                ["广东", "湖南", "四川"][i % 3].to_string(),
                TEXTS[i % TEXTS.len()].to_string(),
                format!("{}", i % 5 + 1),
            ]
        })
        .collect()
}

const HEADERS: [&str; 6] = ["工单编号", "来电时间", "渠道", "地区", "对话内容", "满意度"];

fn csv_text() -> String {
    let mut text = HEADERS.join(",") + "\n";
    for row in ticket_rows() {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

fn run_voc(args: &[&str]) -> (Option<i32>, String, String) {
    let output = voc(args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `voc init FILE --out DIR/pipe`, whose check must pass: returns the pipeline file.
fn init_checked(file: &Path, dir: &Path) -> PathBuf {
    let pipeline_dir = dir.join("pipe");
    let (code, stdout, stderr) = run_voc(&[
        "init",
        file.to_str().unwrap(),
        "--out",
        pipeline_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok: `voc run` should accept this data"),
        "{stdout}"
    );
    pipeline_dir.join("weekly.toml")
}

/// `voc init FILE --out DIR`, then `voc run` on what it wrote: returns the pipeline
/// file and init's output.
fn init_then_run(file: &Path, dir: &Path) -> (PathBuf, String) {
    let pipeline = init_checked(file, dir);
    let pipeline_dir = pipeline.parent().unwrap().to_path_buf();
    let toml = std::fs::read_to_string(&pipeline).unwrap();
    for (header, field) in [
        ("工单编号", "id"),
        ("来电时间", "started_at"),
        ("渠道", "channel"),
        ("地区", "region"),
        ("对话内容", "text"),
        ("满意度", "csat"),
    ] {
        assert!(
            toml.contains(&format!("\"{header}\" = \"{field}\"")),
            "{header}: {toml}"
        );
    }
    assert!(toml.contains("# guess:"), "{toml}");
    assert!(
        !pipeline_dir.join("out").exists(),
        "the check wrote nothing"
    );
    let (code, stdout, stderr) = run_voc(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let counts = &common::manifest(&pipeline_dir.join("out"))["counts"];
    let read = counts["read"].as_u64().unwrap();
    let accepted = counts["accepted"].as_u64().unwrap();
    assert_eq!(read, 60);
    assert!(accepted * 100 >= read * 95, "{counts}");
    (pipeline, toml)
}

#[test]
fn init_scaffolds_a_pipeline_that_accepts_a_csv_with_chinese_headers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("工单导出.csv");
    std::fs::write(&file, csv_text()).unwrap();
    let (pipeline, toml) = init_then_run(&file, dir.path());
    assert!(toml.contains("path = \"../工单导出.csv\""), "{toml}");
    for written in ["taxonomy.toml", "userdict.txt", "stopwords.txt"] {
        assert!(pipeline.with_file_name(written).exists(), "{written}");
    }
    // The starter taxonomy's examples pass.
    let (code, stdout, stderr) = run_voc(&["taxonomy", "test", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // A second init into the same folder does not overwrite it.
    let (code, _, stderr) = run_voc(&[
        "init",
        file.to_str().unwrap(),
        "--out",
        pipeline.parent().unwrap().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[test]
fn init_offers_industry_starters_whose_examples_pass() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("工单导出.csv");
    std::fs::write(&file, csv_text()).unwrap();
    for starter in ["telecom", "ecommerce", "banking", "government"] {
        let out = dir.path().join(starter);
        let (code, stdout, stderr) = run_voc(&[
            "init",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--starter",
            starter,
        ]);
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("the {starter} starter taxonomy")),
            "{stdout}"
        );
        let pipeline = out.join("weekly.toml");
        let (code, stdout, stderr) = run_voc(&["taxonomy", "test", pipeline.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{starter}: {stdout}\n{stderr}");
        assert!(stdout.contains(" 0 failed"), "{stdout}");
    }
    let (code, _, stderr) = run_voc(&["init", file.to_str().unwrap(), "--starter", "retail"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("telecom, ecommerce, banking, government"),
        "{stderr}"
    );
}

#[test]
fn init_scaffolds_a_pipeline_that_accepts_a_gbk_csv() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gbk.csv");
    let text = csv_text();
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(&file, &gbk).unwrap();
    let (_, toml) = init_then_run(&file, dir.path());
    assert!(toml.contains("encoding = \"gb18030\""), "{toml}");
}

#[test]
fn init_scaffolds_a_pipeline_that_accepts_an_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("工单").unwrap();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *header).unwrap();
    }
    for (r, row) in ticket_rows().iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let r = r as u32 + 1;
            // Satisfaction as a number cell, the rest as text.
            if c == 5 {
                sheet
                    .write_number(r, c as u16, value.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(r, c as u16, value).unwrap();
            }
        }
    }
    workbook.save(&file).unwrap();
    let (_, toml) = init_then_run(&file, dir.path());
    assert!(toml.contains("sheet = \"工单\""), "{toml}");

    // A workbook's mapping is checked against the header row ingest read, before
    // anything is written.
    let bad = pipeline_on(dir.path(), "export.xlsx", "\"工单号\" = \"id\"\n");
    let (code, _, stderr) = run_voc(&["run", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(r#"maps column "工单号" to id, but the file has no such column (closest header: "工单编号")"#),
        "{stderr}"
    );
    assert!(stderr.contains(r#""来电时间""#), "{stderr}");
    for output in ["quarantine.jsonl", "run.json", "history"] {
        assert!(!dir.path().join("out").join(output).exists(), "{output}");
    }
}

/// A pipeline of `[[input.source]]` entries only, with the given columns, on a CSV.
fn source_pipeline(dir: &Path, columns: &str) -> PathBuf {
    std::fs::write(dir.join("tickets.csv"), csv_text()).unwrap();
    pipeline_on(dir, "tickets.csv", columns)
}

/// A pipeline of one `[[input.source]]` entry: `file` with the given columns.
fn pipeline_on(dir: &Path, file: &str, columns: &str) -> PathBuf {
    let pipeline = dir.join("weekly.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"mine\"\n[input]\n[[input.source]]\npath = \"{file}\"\n\
             [input.source.columns]\n{columns}\n[output]\ndir = \"out\"\n\
             [text]\ndictionaries = [\"{0}/pipelines/demo/userdict.txt\"]\n\
             [classify]\ntaxonomy = \"{0}/pipelines/demo/taxonomy.toml\"\n",
            repo_root().display()
        ),
    )
    .unwrap();
    pipeline
}

#[test]
fn a_mapping_that_does_not_fit_is_refused_before_a_row_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = source_pipeline(dir.path(), "\"工单号\" = \"id\"\n\"对话内容\" = \"text\"\n");
    let (code, stdout, stderr) = run_voc(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stdout}");
    for expected in [
        r#"the columns of the [[input.source]] with path = "tickets.csv" maps column "工单号" to id, but the file has no such column (closest header: "工单编号")"#,
        r#"no column fills the required field started_at; closest header "来电时间" ("来电时间" is a usual name of started_at): add "来电时间" = "started_at" to the columns of the [[input.source]] with path = "tickets.csv""#,
        r#"the file's headers: "工单编号", "来电时间", "渠道", "地区", "对话内容", "满意度""#,
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(
        !dir.path().join("out/quarantine.jsonl").exists(),
        "no row was read"
    );

    // `voc check` shows the same, exits 1 and writes nothing.
    let before = files_under(dir.path());
    let (code, stdout, _) = run_voc(&["check", pipeline.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], false);
    let file = &report["files"][0];
    assert_eq!(file["format"], "csv");
    assert_eq!(file["records_in_file"], 60);
    assert_eq!(file["quarantined"], 60);
    assert!(
        file["reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("missing"),
        "{file}"
    );
    // The absent id column and the unfilled start time.
    assert_eq!(
        file["mapping_problems"].as_array().unwrap().len(),
        2,
        "{file}"
    );
    assert_eq!(files_under(dir.path()), before, "check wrote nothing");
}

#[test]
fn check_samples_masks_and_passes_a_good_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = source_pipeline(
        dir.path(),
        "\"工单编号\" = \"id\"\n\"来电时间\" = \"started_at\"\n\"对话内容\" = \"text\"\n\"渠道\" = \"channel\"\n",
    );
    let before = files_under(dir.path());
    let (code, stdout, stderr) = run_voc(&["check", pipeline.to_str().unwrap(), "--sample", "10"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("read 10 (of 60 in the file)"), "{stdout}");
    // 电话 is one of the values voc maps by default (voc_core::channel).
    assert!(stdout.contains("channels  voice 4,"), "{stdout}");
    assert!(!stdout.contains("13812345678"), "{stdout}");
    assert_eq!(files_under(dir.path()), before, "check wrote nothing");
}

/// A mapping that fits the headers but whose values all fail still stops the run,
/// pointing at the mapping: the fields at fault, the headers and what fills each
/// required field.
#[test]
fn a_fully_quarantined_run_points_at_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = source_pipeline(
        dir.path(),
        "\"工单编号\" = \"id\"\n\"地区\" = \"started_at\"\n\"对话内容\" = \"text\"\n",
    );
    let (code, _, stderr) = run_voc(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    for expected in [
        "60 of 60 records (100.0%) were quarantined",
        "60 × started_at: cannot parse time",
        r#"headers "工单编号", "来电时间""#,
        r#"the columns of the [[input.source]] with path = "tickets.csv": id ← "工单编号", started_at ← "地区", text ← "对话内容""#,
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

/// A file without a header row shows its first record where the headers are listed:
/// masked, in the run's error, in `voc check` and in what `voc init` writes.
#[test]
fn headers_are_masked_wherever_they_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nohead.csv"),
        "A1,2026-11-02 09:00,13812345678,宽带断网\nA2,2026-11-02 09:00,13812345679,宽带断网\n",
    )
    .unwrap();
    let pipeline = pipeline_on(dir.path(), "nohead.csv", "\"id\" = \"id\"\n");
    let (code, stdout, stderr) = run_voc(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    let (_, check, _) = run_voc(&["check", pipeline.to_str().unwrap()]);
    let (_, init, _) = run_voc(&[
        "init",
        dir.path().join("nohead.csv").to_str().unwrap(),
        "--out",
        dir.path().join("pipe").to_str().unwrap(),
    ]);
    let written = std::fs::read_to_string(dir.path().join("pipe/weekly.toml")).unwrap();
    for text in [&stdout, &stderr, &check, &init, &written] {
        assert!(!text.contains("13812345678"), "{text}");
    }
    assert!(stderr.contains("138****5678"), "{stderr}");
}

/// A chat export with one row per message: `voc init` proposes the grouping and the
/// speaker map, `voc check` passes, and `voc run` groups the rows into one contact per
/// session with every row accounted for.
#[test]
fn init_groups_a_message_per_row_export_into_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("会话明细.csv");
    let mut text = String::from("会话ID,渠道,发送时间,发送方,内容\n");
    for session in 0..40 {
        let day = session % 5 + 2;
        let lines = [
            ("用户", TEXTS[session % TEXTS.len()]),
            ("客服", "您好，请问有什么可以帮您"),
            ("用户", "麻烦尽快处理，谢谢"),
            ("机器人", "本次服务已结束"),
        ];
        for (turn, (sender, line)) in lines.iter().enumerate() {
            text.push_str(&format!(
                "S{session:04},{},2026-11-0{day} 10:{session:02}:{:02},{sender},{line}\n",
                ["在线", "热线"][session % 2],
                turn * 10
            ));
        }
    }
    std::fs::write(&file, text).unwrap();
    let pipeline = init_checked(&file, dir.path());
    let pipeline_dir = pipeline.parent().unwrap().to_path_buf();
    let toml = std::fs::read_to_string(&pipeline).unwrap();
    assert!(toml.contains("[input.source.messages]"), "{toml}");
    assert!(toml.contains("session = \"会话ID\""), "{toml}");
    assert!(toml.contains("sender = \"发送方\""), "{toml}");
    let (code, stdout, stderr) = run_voc(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let manifest = common::manifest(&pipeline_dir.join("out"));
    let counts = &manifest["counts"];
    assert_eq!(counts["read"].as_u64(), Some(40), "{counts}");
    assert_eq!(counts["accepted"].as_u64(), Some(40), "{counts}");
    let rows = &manifest["message_rows"];
    assert_eq!(rows["rows"].as_u64(), Some(160), "{manifest}");
    assert_eq!(rows["system"].as_u64(), Some(40), "{manifest}");
    assert_eq!(rows["in_contacts"].as_u64(), Some(120), "{manifest}");
}
