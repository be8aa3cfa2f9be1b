//! The shopping taxonomy (tests/data/shopping, word lists written from general
//! knowledge) measured on the public online_shopping_10_cats reviews, read from
//! `../shared/data/real/` and skipped when absent: rules alone, on a sample of the
//! held-out part. Full figures (rules, model, combined, baseline): NOTES-h-terms.md.

use std::path::PathBuf;
use voc_classify::TaxonomySpec;
use voc_classify::category_eval::{in_test_part, read_category_labels, score};

#[test]
fn shopping_taxonomy_on_real_reviews() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let labels = root.join("../shared/data/real/online_shopping_10_cats.csv");
    if !labels.exists() {
        eprintln!("skipped: {} is absent", labels.display());
        return;
    }
    let spec = TaxonomySpec::load(&root.join("crates/classify/tests/data/shopping/taxonomy.toml"))
        .unwrap();
    let taxonomy = spec.compile();
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    let tokenize = |t: &str| segmenter.cut(t);
    let rows: Vec<_> = read_category_labels(&labels, Some("cat"))
        .unwrap()
        .into_iter()
        .filter(|r| in_test_part(r, 0.2))
        .step_by(10)
        .collect();
    assert!(rows.len() > 500, "{} rows", rows.len());
    let predicted: Vec<Vec<String>> = rows
        .iter()
        .map(|r| taxonomy.classify_example(r.text.as_deref().unwrap_or(""), &tokenize))
        .collect();
    let gold: Vec<Vec<String>> = rows.iter().map(|r| r.labels.clone()).collect();
    let mut vocabulary: Vec<String> = gold.iter().flatten().cloned().collect();
    vocabulary.sort();
    vocabulary.dedup();
    let scores = score(&gold, &predicted, &vocabulary);
    eprintln!(
        "rules on {} held-out rows: micro P {:.3} R {:.3} F1 {:.3}",
        scores.rows, scores.micro.precision, scores.micro.recall, scores.micro.f1
    );
    // A floor well under the measured figure: the taxonomy must keep working.
    assert!(scores.micro.precision > 0.7, "{:?}", scores.micro);
    assert!(scores.micro.f1 > 0.5, "{:?}", scores.micro);
}
