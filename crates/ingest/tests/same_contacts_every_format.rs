//! Issue 25.3 / 27: the same contacts given as JSON Lines, CSV in UTF-8 and in GBK, XLSX
//! with text cells and with typed cells (numbers, dates), and Parquet with typed columns
//! read as the same canonical records: the same ids, the same pseudonym for the same
//! mobile number, the same times and numbers. Ids longer than 64 bits are read as
//! written, so two that differ in their last digit stay two contacts.
#![cfg(feature = "parquet")]

use polars::prelude::*;
use std::path::{Path, PathBuf};
use voc_ingest::{DateWindow, IngestOptions, Ingestor, InputFile};

/// One contact as every format gives it: id, start, customer (a mobile), duration, csat,
/// text.
struct Row {
    id: &'static str,
    started_at: &'static str,
    customer_id: u64,
    duration_s: u32,
    csat: u8,
    text: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        id: "1234567890123456789012",
        started_at: "2026-11-02 09:15:00",
        customer_id: 13_812_345_678,
        duration_s: 300,
        csat: 4,
        text: "客户：宽带断了，电话13912345678 坐席：好的，我帮您报障",
    },
    Row {
        id: "1234567890123456789013",
        started_at: "2026-11-03 18:30:05",
        customer_id: 13_812_345_678,
        duration_s: 45,
        csat: 2,
        text: "客户：话费扣多了 坐席：我帮您查一下",
    },
    Row {
        id: "20261104000001",
        started_at: "2026-11-04 00:00:00",
        customer_id: 15_900_001_111,
        duration_s: 0,
        csat: 5,
        text: "工单：客户反映网速慢",
    },
];

const HEADER: [&str; 6] = [
    "id",
    "started_at",
    "customer_id",
    "duration_s",
    "csat",
    "text",
];

fn write_jsonl(dir: &Path) -> PathBuf {
    let path = dir.join("contacts.jsonl");
    let lines: Vec<String> = ROWS
        .iter()
        .map(|r| {
            // Ids and numbers as JSON numbers: the 22-digit ids beyond 64 bits too.
            format!(
                r#"{{"id":{},"started_at":"{}","customer_id":{},"duration_s":{},"csat":{},"text":"{}"}}"#,
                r.id, r.started_at, r.customer_id, r.duration_s, r.csat, r.text
            )
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn csv_text() -> String {
    let mut text = HEADER.join(",") + "\r\n";
    for r in ROWS {
        text.push_str(&format!(
            "{},{},{},{},{},\"{}\"\r\n",
            r.id, r.started_at, r.customer_id, r.duration_s, r.csat, r.text
        ));
    }
    text
}

fn write_xlsx(dir: &Path, typed: bool) -> PathBuf {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let path = dir.join(if typed { "typed.xlsx" } else { "text.xlsx" });
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (col, name) in HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    for (i, r) in ROWS.iter().enumerate() {
        let row = i as u32 + 1;
        // A 22-digit id cannot be an Excel number (15 significant digits): text.
        sheet.write_string(row, 0, r.id).unwrap();
        sheet.write_string(row, 5, r.text).unwrap();
        if typed {
            let at = ExcelDateTime::parse_from_str(r.started_at).unwrap();
            sheet
                .write_datetime_with_format(row, 1, &at, &date)
                .unwrap();
            sheet.write_number(row, 2, r.customer_id as f64).unwrap();
            sheet.write_number(row, 3, r.duration_s).unwrap();
            sheet.write_number(row, 4, r.csat).unwrap();
        } else {
            sheet.write_string(row, 1, r.started_at).unwrap();
            sheet
                .write_string(row, 2, r.customer_id.to_string())
                .unwrap();
            sheet
                .write_string(row, 3, r.duration_s.to_string())
                .unwrap();
            sheet.write_string(row, 4, r.csat.to_string()).unwrap();
        }
    }
    workbook.save(&path).unwrap();
    path
}

fn write_parquet(dir: &Path) -> PathBuf {
    let path = dir.join("contacts.parquet");
    let ms: Vec<i64> = ROWS
        .iter()
        .map(|r| {
            chrono::NaiveDateTime::parse_from_str(r.started_at, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp_millis()
        })
        .collect();
    let started = Series::new("started_at".into(), ms)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    let mut df = DataFrame::new(
        ROWS.len(),
        vec![
            Column::new("id".into(), ROWS.iter().map(|r| r.id).collect::<Vec<_>>()),
            started.into(),
            Column::new(
                "customer_id".into(),
                ROWS.iter()
                    .map(|r| r.customer_id as i64)
                    .collect::<Vec<_>>(),
            ),
            // As pandas writes an integer column with a gap: floats.
            Column::new(
                "duration_s".into(),
                ROWS.iter()
                    .map(|r| f64::from(r.duration_s))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "csat".into(),
                ROWS.iter().map(|r| i32::from(r.csat)).collect::<Vec<_>>(),
            ),
            Column::new(
                "text".into(),
                ROWS.iter().map(|r| r.text).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    path
}

#[test]
fn every_format_gives_the_same_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let csv_utf8 = dir.path().join("utf8.csv");
    std::fs::write(&csv_utf8, csv_text()).unwrap();
    let csv_gbk = dir.path().join("gbk.csv");
    std::fs::write(&csv_gbk, encoding_rs::GBK.encode(&csv_text()).0).unwrap();
    let inputs = [
        write_jsonl(dir.path()),
        csv_utf8,
        csv_gbk,
        write_xlsx(dir.path(), false),
        write_xlsx(dir.path(), true),
        write_parquet(dir.path()),
    ];
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T00:00:00Z")
        .unwrap()
        .to_utc();
    let ingestor = Ingestor::new(IngestOptions {
        pseudonym_key: "test key".into(),
        date_window: DateWindow::new(DateWindow::DEFAULT_EARLIEST, now, 7),
        ..IngestOptions::default()
    })
    .unwrap();
    let read = |path: &PathBuf| {
        let batch = ingestor.ingest(&[InputFile::new(path)]).unwrap();
        assert!(
            batch.quarantine.is_empty(),
            "{path:?}: {:?}",
            batch.quarantine
        );
        assert_eq!(batch.stats.duplicates, 0, "{path:?}");
        batch.contacts
    };
    let expected = read(&inputs[0]);
    assert_eq!(expected.len(), ROWS.len());
    let ids: Vec<&str> = expected.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ROWS.iter().map(|r| r.id).collect::<Vec<_>>());
    let customer = expected[0].customer_id.as_deref().unwrap();
    assert!(customer.starts_with("pid-"), "{customer}");
    assert_eq!(expected[1].customer_id.as_deref(), Some(customer));
    assert_eq!(
        expected[0].started_at.to_rfc3339(),
        "2026-11-02T09:15:00+08:00"
    );
    assert_eq!(expected[0].duration_s, Some(300));
    assert_eq!(expected[0].csat, Some(4));
    assert!(expected[0].turns[0].text.contains("139****5678"));
    for path in &inputs[1..] {
        assert_eq!(read(path), expected, "{path:?}");
    }
}
