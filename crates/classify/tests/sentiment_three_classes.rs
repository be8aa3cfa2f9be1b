//! Issue 28: three-class sentiment measured on the project's own phrase corpus
//! (`data/sentiment-phrases.csv`, sentences written for the phrases of item 2, both
//! polarities and neutral) and on the real STC-3 helpdesk dialogues in
//! `../shared/data/real/stc3/` (read here, never copied; skipped with a message where
//! absent). The STC-3 floors pin what the lexicon measures today, a little below, so a
//! change that loses ground fails. The 3-class floor is the target (0.55); the
//! binary one is below it (0.78, see NOTES-h-lexicon.md).

use std::path::{Path, PathBuf};
use voc_classify::SentimentModel;
use voc_classify::model::TrainOptions;
use voc_classify::sentiment_eval::{self, Classes, Confusion, Corpus3};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path, classes: Classes) -> Corpus3 {
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    Corpus3::load(path, classes, "S", &|t| segmenter.cut(t)).unwrap()
}

/// The lexicon on one of the project's own three-class corpora in `data/`: the class
/// counts, then three-class and negative-or-not figures (printed).
fn untrained_on(file: &str) -> ([usize; 3], Confusion, Confusion) {
    let corpus = load(&root().join("data").join(file), Classes::Three);
    let (three, two) = sentiment_eval::untrained(&SentimentModel::default(), &corpus);
    eprintln!(
        "{file}: accuracy {:.4}, macro-F1 {:.4}, negative-or-not {:.4}",
        three.accuracy(),
        three.macro_f1(),
        two.accuracy()
    );
    (corpus.counts(), three, two)
}

#[test]
fn own_phrase_corpus_three_classes() {
    let ([negative, neutral, positive], three, _) = untrained_on("sentiment-phrases.csv");
    assert!(negative >= 20 && neutral >= 10 && positive >= 15);
    assert!(three.macro_f1() >= 0.95, "{:.4}", three.macro_f1());
    for class in [
        sentiment_eval::NEGATIVE,
        sentiment_eval::NEUTRAL,
        sentiment_eval::POSITIVE,
    ] {
        assert!(three.recall(class).unwrap() >= 0.85, "{class}: {three:?}");
    }
}

/// Review sentences of our own across domains the lexicon was not tuned on (cars, books
/// and films, phones, clothes and cosmetics, appliances, travel, pets, property), written
/// in four rounds (`round` A–D): each round was written before the lexicon words its
/// misses called for, so B–D were unseen when measured (see docs/taxonomy.md). Before
/// that vocabulary: binary 0.777, 3-class macro-F1 0.674.
#[test]
fn own_review_corpus_across_domains() {
    let ([negative, neutral, positive], three, two) = untrained_on("sentiment-reviews.csv");
    assert!(negative >= 150 && neutral >= 30 && positive >= 100);
    assert!(two.accuracy() >= 0.93, "{:.4}", two.accuracy());
    assert!(three.macro_f1() >= 0.87, "{:.4}", three.macro_f1());
}

fn stc3() -> Option<PathBuf> {
    let path = root().join("../../../shared/data/real/stc3/dialogues.jsonl");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: no STC-3 dialogues at {}", path.display());
        None
    }
}

#[test]
fn stc3_untrained_figures_hold() {
    let Some(path) = stc3() else { return };
    let model = SentimentModel::default();
    let (_, binary) = sentiment_eval::untrained(&model, &load(&path, Classes::Two));
    let (three, _) = sentiment_eval::untrained(&model, &load(&path, Classes::Three));
    eprintln!(
        "STC-3 untrained: binary accuracy {:.4}; 3-class accuracy {:.4}, macro-F1 {:.4}",
        binary.accuracy(),
        three.accuracy(),
        three.macro_f1()
    );
    assert!(binary.accuracy() >= 0.765, "{:.4}", binary.accuracy());
    assert!(three.macro_f1() >= 0.55, "{:.4}", three.macro_f1());
}

/// Issue 28's trained targets, 5-fold, the customer's side: binary accuracy ≥ 0.82
/// (negative is S < 0) and 3-class macro-F1 ≥ 0.72 (±0.5); each fold's L2 penalty and
/// class thresholds are chosen on an inner split of its training rows only.
#[test]
fn stc3_trained_five_fold_meets_the_targets() {
    let Some(path) = stc3() else { return };
    let lexicon = SentimentModel::default();
    let options = TrainOptions::default();
    let (three, choices) =
        sentiment_eval::kfold_with_choices(&lexicon, &load(&path, Classes::Three), 5, &options);
    let binary = sentiment_eval::kfold(&lexicon, &load(&path, Classes::Two), 5, &options);
    eprintln!(
        "STC-3 trained 5-fold: binary accuracy {:.4}; 3-class accuracy {:.4}, macro-F1 {:.4}; inner choices {choices:?}",
        binary.accuracy(),
        three.accuracy(),
        three.macro_f1()
    );
    assert!(binary.accuracy() >= 0.82, "{:.4}", binary.accuracy());
    assert!(three.macro_f1() >= 0.72, "{:.4}", three.macro_f1());
}
