//! Re-tagging stored history must cost no more than twice reading its tokens.
//!
//! Builds a week-partitioned Parquet history from the demo contacts (segmented with the
//! demo dictionary, copied under new ids up to `VOC_BENCH_CONTACTS`, default 100,000)
//! and compares:
//! * `read_tokens`: reading the stored tokens of every contact (the floor);
//! * `retag_scan`: what `voc retag` does for every contact — read its tokens, speakers
//!   and tags, apply the demo taxonomy and risk terms, compare with the stored tags.
//!   (Rewriting is only for partitions with changes and is not part of the per-contact
//!   cost.)
//!
//! `cargo bench -p voc-classify --bench retag` prints both and their ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::time::Instant;
use voc_classify::{Classifier, RiskTerms, SentimentModel, TaxonomySpec};
use voc_core::{Contact, EnrichedContact, Speaker, Turn};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_contacts() -> Vec<Contact> {
    let text = std::fs::read_to_string(workspace().join("fixtures/demo/contacts.jsonl"))
        .expect("fixtures/demo/contacts.jsonl");
    text.lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            let mut contact: Contact = serde_json::from_value(value.clone()).ok()?;
            if contact.turns.is_empty()
                && let Some(t) = value.get("text").and_then(|t| t.as_str())
            {
                contact.turns.push(Turn {
                    speaker: Speaker::Note,
                    text: t.to_string(),
                });
            }
            Some(contact)
        })
        .collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    partitions: Vec<PathBuf>,
    classifier: Classifier,
    contacts: usize,
}

fn setup() -> Setup {
    let n: usize = std::env::var("VOC_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let demo = workspace().join("pipelines/demo");
    let spec = TaxonomySpec::load(&demo.join("taxonomy.toml")).expect("demo taxonomy");
    let risk = RiskTerms::default();
    let mut builder = voc_text::Segmenter::builder()
        .dictionary(demo.join("userdict.txt"))
        .expect("demo dictionary");
    for term in risk.terms() {
        builder = builder.word(term);
    }
    let segmenter = builder.build().expect("segmenter");
    let classifier = Classifier::new(spec.compile(), SentimentModel::default(), &risk);
    let base: Vec<EnrichedContact> = demo_contacts()
        .into_iter()
        .map(|contact| {
            let tokens: Vec<voc_core::TurnTokens> = contact
                .turns
                .iter()
                .map(|t| segmenter.cut(&t.text))
                .collect();
            let c = classifier.classify(&contact, &tokens);
            EnrichedContact {
                week: voc_core::time::iso_week_key(&contact.started_at),
                contact,
                tokens,
                categories: c.categories,
                complaint: c.complaint,
                sentiment: c.sentiment,
                sentiment_label: c.sentiment_label.to_string(),
                mood: c.mood,
                risk: c.risk,
            }
        })
        .collect();
    let mut records = Vec::with_capacity(n);
    for copy in 0.. {
        for r in &base {
            if records.len() == n {
                break;
            }
            let mut r = r.clone();
            r.contact.id = format!("{}-{copy}", r.contact.id);
            records.push(r);
        }
        if records.len() == n {
            break;
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let history = dir.path().join("history");
    voc_store::history::write_history(&voc_store::History::at(&history), &records)
        .expect("write history");
    Setup {
        partitions: voc_store::History::at(&history).partitions(),
        _dir: dir,
        classifier,
        contacts: n,
    }
}

fn read_tokens(partitions: &[PathBuf]) -> usize {
    partitions
        .iter()
        .map(|p| voc_store::history::read_tokens(p).expect("read").len())
        .sum()
}

fn retag_scan(partitions: &[PathBuf], classifier: &Classifier) -> usize {
    let mut changed = 0;
    for p in partitions {
        let records = voc_store::history::read_for_retag(Path::new(p)).expect("read");
        for r in &records {
            let (categories, complaint, mut risk) = classifier.tag(&r.contact, &r.tokens);
            risk.repeat_contact = r.risk.repeat_contact;
            if categories != r.categories || complaint != r.complaint || risk != r.risk {
                changed += 1;
            }
        }
    }
    changed
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[runs / 2]
}

fn bench(c: &mut Criterion) {
    let s = setup();
    assert_eq!(read_tokens(&s.partitions), s.contacts);
    // The history was tagged with the same rules: nothing may change.
    assert_eq!(retag_scan(&s.partitions, &s.classifier), 0);
    let mut group = c.benchmark_group(format!("history of {} contacts", s.contacts));
    group.sample_size(10);
    group.bench_function("read_tokens", |b| b.iter(|| read_tokens(&s.partitions)));
    group.bench_function("retag_scan", |b| {
        b.iter(|| retag_scan(&s.partitions, &s.classifier))
    });
    group.finish();
    let read = median_ms(5, || {
        read_tokens(&s.partitions);
    });
    let retag = median_ms(5, || {
        retag_scan(&s.partitions, &s.classifier);
    });
    // Where the time goes: reading what retag reads, and the rules alone.
    let records: Vec<Vec<EnrichedContact>> = s
        .partitions
        .iter()
        .map(|p| voc_store::history::read_for_retag(p).expect("read"))
        .collect();
    let read_lean = median_ms(5, || {
        for p in &s.partitions {
            voc_store::history::read_for_retag(p).expect("read");
        }
    });
    let rules = median_ms(5, || {
        for r in records.iter().flatten() {
            std::hint::black_box(s.classifier.tag(&r.contact, &r.tokens));
        }
    });
    println!(
        "  of which: reading tokens + speakers + tags {read_lean:.0} ms, applying the rules {rules:.0} ms"
    );
    println!(
        "retag {retag:.0} ms vs reading tokens {read:.0} ms for {} contacts: ratio {:.2} (goal ≤ 2)",
        s.contacts,
        retag / read
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
