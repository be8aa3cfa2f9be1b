//! A whole file's bytes held in memory (a Spark task's file, fetched from any path
//! Hadoop reads) are read exactly as the file: the same contacts at the same positions,
//! the same quarantine, counts and fingerprint, for every broken input of
//! fixtures/broken in every format (GBK and BOM CSV, XLSX sheet, Parquet, JSON Lines).
#![cfg(feature = "parquet")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use voc_ingest::{Chunk, IngestError, IngestOptions, Ingestor, InputFile, Streamed, TimeUnit};

fn broken(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/broken")
        .join(name)
}

fn columns(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The inputs as fixtures/broken/pipeline.toml reads them.
fn inputs() -> Vec<InputFile> {
    let orders = columns(&[
        ("工单编号", "id"),
        ("创建时间", "started_at"),
        ("渠道", "channel"),
        ("地区", "region"),
        ("业务", "business"),
        ("满意度", "csat"),
        ("内容", "text"),
    ]);
    let mut gbk = InputFile::new(broken("orders_gbk.csv"));
    gbk.columns = orders.clone();
    gbk.time_unit = Some(TimeUnit::EpochSeconds);
    let mut bom = InputFile::new(broken("orders_bom.csv"));
    bom.columns = orders;
    bom.encoding = voc_ingest::Encoding::Utf8;
    bom.time_unit = Some(TimeUnit::ExcelSerial);
    let mut xlsx = InputFile::new(broken("transcripts.xlsx"));
    xlsx.sheet = Some("通话记录".into());
    xlsx.columns = columns(&[
        ("编号", "id"),
        ("开始时间", "started_at"),
        ("渠道", "channel"),
        ("对话", "transcript"),
        ("满意度", "csat"),
    ]);
    vec![
        InputFile::new(broken("contacts.jsonl")),
        gbk,
        bom,
        xlsx,
        InputFile::new(broken("contacts.parquet")),
        InputFile::new(broken("transcripts.parquet")),
    ]
}

/// Every delivery (position and contact, as JSON), every quarantined record, the stats
/// and the fingerprint of one ingest.
type Outcome = (
    Vec<(u64, String)>,
    Vec<voc_ingest::Quarantined>,
    String,
    Vec<(String, u64)>,
);

fn collect(
    ingest: impl FnOnce(
        &mut dyn FnMut(Chunk) -> Result<(), IngestError>,
    ) -> Result<Streamed, IngestError>,
) -> Outcome {
    let (mut contacts, mut quarantine) = (Vec::new(), Vec::new());
    let streamed = ingest(&mut |chunk: Chunk| {
        for d in chunk.contacts {
            contacts.push((d.position, serde_json::to_string(&d.contact).unwrap()));
        }
        quarantine.extend(chunk.quarantine);
        Ok(())
    })
    .unwrap();
    let stats = serde_json::to_string(&streamed.stats).unwrap();
    (contacts, quarantine, stats, streamed.fingerprints)
}

#[test]
fn a_files_bytes_read_as_the_file() {
    let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
    for input in inputs() {
        let from_file =
            collect(|on_chunk| ingestor.ingest_streaming(std::slice::from_ref(&input), on_chunk));
        let bytes = std::fs::read(&input.path).unwrap();
        let from_bytes = collect(|on_chunk| ingestor.ingest_file_bytes(&input, &bytes, on_chunk));
        let name = input.path.display();
        assert!(
            !from_file.1.is_empty() || !from_file.0.is_empty(),
            "{name}: nothing read"
        );
        assert_eq!(from_file.0, from_bytes.0, "{name}: contacts");
        assert_eq!(from_file.1, from_bytes.1, "{name}: quarantine");
        assert_eq!(from_file.2, from_bytes.2, "{name}: stats");
        assert_eq!(from_file.3, from_bytes.3, "{name}: fingerprint");
    }
}

#[test]
fn unreadable_bytes_are_an_error_naming_the_file() {
    let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
    for name in ["bad.xlsx", "bad.parquet"] {
        let input = InputFile::new(name);
        let error = ingestor
            .ingest_file_bytes(&input, b"not a workbook", &mut |_: Chunk| {
                Ok::<(), IngestError>(())
            })
            .unwrap_err();
        assert!(error.to_string().contains(name), "{error}");
    }
}
