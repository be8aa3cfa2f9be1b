//! The analytics stage: what the pipeline file and the text stage hand to
//! [`voc_aggregate::trends::compute`] (options, stop words, the taxonomy's terms cut
//! into tokens). `run` writes their tables beside the report.

use anyhow::Result;
use voc_aggregate::terms::{TermFilter, TermOptions};
use voc_aggregate::{EmergingOptions, TrendOptions, Trends};
use voc_classify::TaxonomySpec;
use voc_core::Period;
use voc_store::History;
use voc_text::Segmenter;

use crate::config::Pipeline;

/// Trend options from the pipeline file.
pub fn options(pipeline: &Pipeline) -> TrendOptions {
    let f = &pipeline.file;
    TrendOptions {
        emerging: EmergingOptions {
            baseline_weeks: f.report.baseline_weeks,
            min_count: f.report.min_count,
            ..Default::default()
        },
        terms: TermOptions {
            baseline_weeks: f.report.baseline_weeks,
            ..Default::default()
        },
        kpi: f.kpi.clone(),
        staffing: f.staffing.clone(),
        drivers: f.drivers.clone(),
        cost: f.cost.clone(),
        ..Default::default()
    }
}

/// Computes the trends of `period` from the history.
pub fn compute(
    pipeline: &Pipeline,
    history: &History,
    period: &Period,
    segmenter: &Segmenter,
) -> Result<Trends> {
    // New terms are words no category rule covers: the rule terms as the segmenter
    // cuts them (one token or a few each).
    let spec = TaxonomySpec::load(&pipeline.file.classify.taxonomy)?;
    let taxonomy_terms: Vec<voc_core::TurnTokens> =
        spec.terms().iter().map(|t| segmenter.cut(t)).collect();
    let is_stopword = |t: &str| segmenter.is_stopword(t);
    let stopwords_key = segmenter.stopwords_fingerprint();
    let filter = TermFilter {
        is_stopword: &is_stopword,
        taxonomy_terms: &taxonomy_terms,
        stopwords_key: &stopwords_key,
    };
    Ok(voc_aggregate::trends::compute(
        history,
        period,
        &options(pipeline),
        &filter,
    )?)
}

/// The emerging issues of the trends as `category` or `category @ region`.
pub fn emerging_names(trends: &Trends) -> Vec<String> {
    trends
        .emerging
        .iter()
        .map(|e| match &e.region {
            Some(r) => format!("{} @ {r}", e.category),
            None => e.category.clone(),
        })
        .collect()
}
