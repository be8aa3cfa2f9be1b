//! The demo taxonomy's own examples, with the demo dictionary, as `voc taxonomy test`
//! runs them: every category has examples, and all of them hold.

use std::path::PathBuf;
use voc_classify::{RiskTerms, TaxonomySpec};

#[test]
fn demo_taxonomy_examples_hold() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/demo");
    let spec = TaxonomySpec::load(&demo.join("taxonomy.toml")).unwrap();
    let mut builder = voc_text::Segmenter::builder()
        .dictionary(demo.join("userdict.txt"))
        .unwrap();
    for term in RiskTerms::default().terms() {
        builder = builder.word(term);
    }
    let segmenter = builder.build().unwrap();
    let tokenize = |t: &str| segmenter.cut(t);
    let taxonomy = spec.compile();
    let mut failures = Vec::new();
    let mut checked = 0;
    for cat in taxonomy.specs() {
        assert!(
            !cat.must_match.is_empty(),
            "{} has no must_match examples",
            cat.id
        );
        for (example, should) in cat
            .must_match
            .iter()
            .map(|e| (e, true))
            .chain(cat.must_not_match.iter().map(|e| (e, false)))
        {
            checked += 1;
            let got = taxonomy.classify_example(example, &tokenize);
            if got.contains(&cat.id) != should {
                failures.push(format!(
                    "{} should{} match {example:?}: got {got:?}",
                    cat.id,
                    if should { "" } else { " NOT" }
                ));
            }
        }
    }
    assert!(checked >= 30, "only {checked} examples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
