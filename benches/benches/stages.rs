//! Per-stage benches of the weekly batch, on generated contacts (the fixture generator,
//! `VOC_BENCH_CONTACTS`, default 20,000, over 4 weeks) and the demo pipeline's
//! dictionaries and taxonomy:
//!
//! * `normalize_mask`: read JSON Lines from a file, validate, normalize, mask PII,
//!   through the streamed ingest `voc run` uses (voc-ingest);
//! * `floor`: the floor's own work, parse every line and cut its text (`floor_line`);
//! * `segment`: jieba over every turn (voc-text), the bulk of the floor;
//! * `classify`: taxonomy rules, sentiment, risk flags over the stored tokens;
//! * `history_write`: week-partitioned Parquet history (voc-aggregate);
//! * `index`: a fresh tantivy index from the records, fed as `voc run` feeds it (voc-index);
//! * `index_least/docs` and `index_least/positions`: the least any tantivy index of the
//!   same tokens costs — one text field of all turns, no metadata, no stored bodies
//!   (`voc_index::least`), recording documents only or positions too;
//! * `aggregate`: the trend tables of the last week from the history (polars);
//! * `render`: the report as HTML, Markdown, JSON and XLSX (voc-report; its input is
//!   the fixed full sample, so this one does not scale with the contacts).
//!
//! Every stage runs on one thread, so the figures are per-core costs that add up;
//! `voc run` spreads segmentation and classification over the cores. The contact index
//! starts as many indexing threads as the process may use (up to two): run the bench
//! pinned to one core so that its figure is a per-core cost too.
//!
//!   taskset -c 0 cargo bench -p voc-benches --bench stages
//!   VOC_BENCH_CONTACTS=100000 cargo bench -p voc-benches --bench stages -- segment

/// The allocator `voc` runs with, so the stages cost here what they cost there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::sync::Arc;
use voc_core::{EnrichedContact, Period};
use voc_ingest::{Chunk, IngestError, IngestOptions, Ingestor, InputFile};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Setup {
    jsonl: Vec<u8>,
    /// The same contacts as a file, as `voc run` reads them.
    input: InputFile,
    _input_dir: tempfile::TempDir,
    pipeline: voc_pipeline::Pipeline,
    classifier: voc_classify::Classifier,
    segmenter: Arc<voc_text::Segmenter>,
    dictionary: voc_text::SegmenterBuilder,
    records: Vec<EnrichedContact>,
    history: tempfile::TempDir,
    last_week: Period,
}

fn setup() -> Setup {
    let contacts: usize = std::env::var("VOC_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut jsonl = Vec::new();
    voc_fixtures::generate(
        &voc_fixtures::GeneratorConfig {
            contacts,
            weeks: 4,
            seed: 7,
            ..Default::default()
        },
        &mut jsonl,
    )
    .expect("generate contacts");
    let pipeline = voc_pipeline::Pipeline::load(&workspace().join("pipelines/demo/weekly.toml"))
        .expect("demo pipeline");
    let (classifier, segmenter, dictionary) =
        voc_pipeline::models::build_classifier(&pipeline).expect("demo classifier");
    let input_dir = tempfile::tempdir().expect("temp dir");
    let input = InputFile::new(input_dir.path().join("contacts.jsonl"));
    std::fs::write(&input.path, &jsonl).expect("write contacts");
    let batch = ingestor()
        .ingest(std::slice::from_ref(&input))
        .expect("ingest");
    let records: Vec<EnrichedContact> = batch
        .contacts
        .into_iter()
        .map(|contact| voc_pipeline::batch::enrich(contact, &segmenter, &classifier))
        .collect();
    let history = tempfile::tempdir().expect("temp dir");
    voc_store::history::write_history(&voc_store::History::at(history.path()), &records)
        .expect("history");
    let last_week = records
        .iter()
        .map(|r| r.week.clone())
        .max()
        .and_then(|w| Period::parse(&w).ok())
        .expect("a week");
    Setup {
        jsonl,
        input,
        _input_dir: input_dir,
        pipeline,
        classifier,
        segmenter: Arc::new(segmenter),
        dictionary,
        records,
        history,
        last_week,
    }
}

fn ingestor() -> Ingestor {
    Ingestor::new(IngestOptions::default()).expect("ingestor")
}

fn stages(c: &mut Criterion) {
    let s = setup();
    let n = s.records.len() as u64;
    let text_bytes: u64 = s
        .records
        .iter()
        .flat_map(|r| &r.contact.turns)
        .map(|t| t.text.len() as u64)
        .sum();
    eprintln!(
        "stages: {n} contacts, {:.1} MB of masked text, {:.1} MB of JSON Lines",
        text_bytes as f64 / 1e6,
        s.jsonl.len() as f64 / 1e6
    );
    let mut group = c.benchmark_group("stages");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n));

    let ingest = ingestor();
    group.bench_function("normalize_mask", |b| {
        b.iter(|| {
            // Chunks are handed on and dropped, as `voc run` hands them to enrichment.
            ingest
                .ingest_streaming(std::slice::from_ref(&s.input), &mut |_: Chunk| {
                    Ok::<(), IngestError>(())
                })
                .expect("ingest")
                .stats
        })
    });
    // The floor's work (parse every line, cut its text) on one thread: what `voc run` ÷
    // floor is held to, per core.
    let lines: Vec<&str> = std::str::from_utf8(&s.jsonl)
        .expect("generated JSON Lines are UTF-8")
        .lines()
        .collect();
    group.bench_function("floor", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|line| voc_benches::floor_line(line, &s.segmenter).1)
                .sum::<u64>()
        })
    });
    group.bench_function("segment", |b| {
        b.iter(|| {
            s.records
                .iter()
                .flat_map(|r| &r.contact.turns)
                .map(|t| s.segmenter.cut(&t.text).len())
                .sum::<usize>()
        })
    });
    group.bench_function("classify", |b| {
        b.iter(|| {
            s.records
                .iter()
                .map(|r| {
                    s.classifier
                        .classify(&r.contact, &r.tokens)
                        .categories
                        .len()
                })
                .sum::<usize>()
        })
    });
    group.bench_function("history_write", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                voc_store::history::write_history(&voc_store::History::at(dir.path()), &s.records)
                    .expect("write");
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("index", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                let index = voc_index::ContactIndex::open_or_create(
                    dir.path(),
                    s.segmenter.clone(),
                    &s.dictionary,
                )
                .expect("index");
                // As `voc run` feeds it: slices through `add_unique`, one commit.
                let mut writer = index.writer().expect("writer");
                for slice in s.records.chunks(1024) {
                    writer.add_unique(slice).expect("add");
                }
                writer.commit().expect("commit");
                dir
            },
            BatchSize::PerIteration,
        )
    });
    for (name, postings) in [
        ("index_least/docs", voc_index::least::Postings::DocsOnly),
        (
            "index_least/positions",
            voc_index::least::Postings::WithPositions,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("temp dir"),
                |dir| {
                    let contacts = s.records.iter().map(|r| r.tokens.as_slice());
                    voc_index::least::index_token_lists(dir.path(), contacts, postings)
                        .expect("least index");
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.bench_function("aggregate", |b| {
        b.iter(|| {
            voc_pipeline::analytics::compute(
                &s.pipeline,
                &voc_store::History::at(s.history.path()),
                &s.last_week,
                &s.segmenter,
            )
            .expect("trends")
        })
    });
    group.throughput(Throughput::Elements(1));
    let report = voc_report::testing::full_input();
    group.bench_function("render", |b| {
        b.iter(|| {
            let html = voc_report::render_html(&report);
            let md = voc_report::render_markdown(&report);
            let json = voc_report::render_json(&report);
            let xlsx = voc_report::render_xlsx(&report).expect("xlsx");
            html.len() + md.len() + json.len() + xlsx.len()
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
