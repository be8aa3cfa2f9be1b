//! The models of a run: the classifier (taxonomy, sentiment, risk terms) and the
//! segmenter (user dictionaries and risk terms), loaded from the paths of the pipeline
//! file. Taxonomy terms are not given to the segmenter: whether one matches must not
//! depend on the other categories' terms (see `voc_classify::taxonomy`).
//! `voc run` builds them on a thread of their own ([`ModelsLoading`]); `voc retag`,
//! `voc report` and `voc index rebuild` take what each needs.

use anyhow::Result;
use std::sync::Arc;
use voc_classify::{Classifier, RiskTerms, SentimentModel, TaxonomySpec};
use voc_text::Segmenter;

use crate::config::Pipeline;

/// Segmenter built from the pipeline's dictionaries plus `terms` (the risk terms).
/// Returned with its builder so the index can save it.
pub fn build_segmenter(
    pipeline: &Pipeline,
    terms: &[String],
) -> Result<(Segmenter, voc_text::SegmenterBuilder)> {
    let text = &pipeline.file.text;
    let mut builder = Segmenter::builder().hmm(text.hmm());
    for dict in &text.dictionaries {
        builder = builder.dictionary(dict)?;
    }
    if let Some(stop) = &text.stopwords {
        builder = builder.stopwords(stop)?;
    }
    for term in terms {
        builder = builder.word(term.clone());
    }
    Ok((builder.build()?, builder))
}

/// The classifier of a pipeline (taxonomy, sentiment lexicon with overrides or trained
/// model, risk terms) and the terms the segmenter should keep whole (the risk terms, not
/// the taxonomy's). Needs no segmenter: rule terms match stored tokens, so `voc retag`
/// uses this alone.
pub fn load_classifier(pipeline: &Pipeline) -> Result<(Classifier, Vec<String>)> {
    let c = &pipeline.file.classify;
    let spec = TaxonomySpec::load(&c.taxonomy)?;
    let mut risk = RiskTerms::default();
    risk.escalation.extend(c.escalation_terms.iter().cloned());
    risk.churn.extend(c.churn_terms.iter().cloned());
    risk.greetings.extend(c.greeting_terms.iter().cloned());
    risk.courtesy_words.extend(c.greeting_terms.iter().cloned());
    risk.closings.extend(c.closing_terms.iter().cloned());
    risk.forbidden.extend(c.forbidden_phrases.iter().cloned());
    let overrides = match &c.sentiment_overrides {
        Some(path) => SentimentModel::load_overrides(path)?,
        None => Vec::new(),
    };
    let mut sentiment = SentimentModel::with_overrides(overrides);
    if let Some(path) = &c.sentiment_model {
        sentiment = sentiment.with_model(voc_classify::LogisticModel::load(path)?);
    }
    let terms = risk.terms();
    let mut taxonomy = spec.compile();
    // Per-category models from `voc taxonomy train`, used by categories that ask for them.
    let models_path = voc_classify::category_eval::CategoryModels::path_for(&c.taxonomy);
    if models_path.exists() {
        taxonomy.set_models(Some(voc_classify::category_eval::CategoryModels::load(
            &models_path,
        )?));
    }
    let classifier = Classifier::new(taxonomy, sentiment, &risk);
    Ok((classifier, terms))
}

/// The classifier and segmenter of a run.
pub struct Models {
    pub classifier: Classifier,
    pub segmenter: Arc<Segmenter>,
    /// Saved into the index folder, so queries are cut as the text was.
    pub segmenter_builder: voc_text::SegmenterBuilder,
}

/// [`Models`] being built on a thread of their own. Building them is one core's work
/// for 0.1-0.2 s (jieba's dictionary) while the other core would idle; ingest (reading,
/// normalizing, masking) needs neither model, so it starts at once and waits for them
/// only when the first chunks are to be segmented.
pub struct ModelsLoading {
    handle: std::sync::Mutex<Option<std::thread::JoinHandle<Result<Models>>>>,
    models: std::sync::OnceLock<Models>,
}

impl ModelsLoading {
    pub fn start(pipeline: &Pipeline) -> Result<Self> {
        let pipeline = pipeline.clone();
        let handle = std::thread::Builder::new()
            .name("voc-models".into())
            .spawn(move || {
                let (classifier, segmenter, segmenter_builder) = build_classifier(&pipeline)?;
                Ok(Models {
                    classifier,
                    segmenter: Arc::new(segmenter),
                    segmenter_builder,
                })
            })?;
        Ok(ModelsLoading {
            handle: std::sync::Mutex::new(Some(handle)),
            models: std::sync::OnceLock::new(),
        })
    }

    /// Whether [`ModelsLoading::get`] would return at once.
    pub fn is_ready(&self) -> bool {
        self.models.get().is_some()
            || self
                .handle
                .lock()
                .map_or(true, |h| h.as_ref().is_none_or(|h| h.is_finished()))
    }

    /// The models, waiting for them if they are still being built. A build error is
    /// returned to the first caller; later calls say that the build failed.
    pub fn get(&self) -> Result<&Models> {
        if let Some(models) = self.models.get() {
            return Ok(models);
        }
        // Held while joining: a second caller waits here, then finds the models.
        let mut handle = self
            .handle
            .lock()
            .map_err(|_| anyhow::anyhow!("the model loader failed"))?;
        if let Some(models) = self.models.get() {
            return Ok(models);
        }
        let handle = handle
            .take()
            .ok_or_else(|| anyhow::anyhow!("the models could not be built"))?;
        let models = handle
            .join()
            .map_err(|_| anyhow::anyhow!("building the models panicked"))??;
        Ok(self.models.get_or_init(|| models))
    }
}

/// The classifier of a pipeline with its segmenter (user dictionaries and risk terms).
pub fn build_classifier(
    pipeline: &Pipeline,
) -> Result<(Classifier, Segmenter, voc_text::SegmenterBuilder)> {
    let (classifier, terms) = load_classifier(pipeline)?;
    let (segmenter, builder) = build_segmenter(pipeline, &terms)?;
    Ok((classifier, segmenter, builder))
}
