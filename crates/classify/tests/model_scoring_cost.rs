//! What a trained sentiment model costs per contact when `voc run` scores with it
//! (issue 28: scoring must stay within 10 % of the classify stage): the first feature
//! set (`v1`: character n-grams and words) against the current one (`v2`: also word
//! bigrams, log counts, the turn read again as its own focus), on the customer turns
//! of the real STC-3 dialogues (read from `../shared/data/real/stc3/`, skipped when
//! absent). Timing, so not run by default:
//! `cargo test -p voc-classify --test model_scoring_cost -- --ignored --nocapture`.

use std::path::PathBuf;
use std::time::Instant;
use voc_classify::SentimentModel;
use voc_classify::model::{FeatureSet, TrainOptions};
use voc_classify::sentiment_eval::{self, Classes, Corpus3};

#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn scoring_cost_per_contact_v1_against_v2() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/real/stc3/dialogues.jsonl");
    if !path.exists() {
        eprintln!("SKIPPED: no STC-3 dialogues at {}", path.display());
        return;
    }
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    let corpus = Corpus3::load(&path, Classes::Three, "S", &|t| segmenter.cut(t)).unwrap();
    let time = |features: FeatureSet, label: &str| -> f64 {
        let options = TrainOptions {
            features,
            nb_scaling: features == FeatureSet::V2,
            epochs: 2,
            ..TrainOptions::default()
        };
        let lexicon = SentimentModel::default();
        let model = sentiment_eval::train(&lexicon, &corpus, &options).into_model();
        let scorer = SentimentModel::default().with_model(model);
        let plain = SentimentModel::default();
        let started = Instant::now();
        let mut sum = 0.0;
        for _ in 0..3 {
            for item in &corpus.items {
                sum += plain.read_contact(&item.contact, &item.tokens).score;
            }
        }
        let lexicon_only = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for _ in 0..3 {
            for item in &corpus.items {
                sum += scorer.read_contact(&item.contact, &item.tokens).score;
            }
        }
        let with_model = started.elapsed().as_secs_f64();
        let per = |s: f64| 1e6 * s / (3 * corpus.len()) as f64;
        eprintln!(
            "{label}: lexicon only {:.1} µs/contact, with the model {:.1} µs/contact (checksum {sum:.1})",
            per(lexicon_only),
            per(with_model)
        );
        per(with_model)
    };
    let v1 = time(FeatureSet::V1, "v1 (before)");
    let v2 = time(FeatureSet::V2, "v2 (now)");
    eprintln!("ratio v2 / v1 per contact: {:.2}", v2 / v1);
}
