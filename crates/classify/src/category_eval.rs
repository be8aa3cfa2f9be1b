//! Measuring a taxonomy against labelled contacts, and the per-category models that
//! `voc taxonomy train` fits to assist the rules.
//!
//! Labels: a CSV with a header, or JSON Lines. Each row names a stored contact (`id`)
//! or carries its text (`text`, `review` or `content`), and one or more category ids
//! (`categories`, `category`, `labels`, `cat` or `label`, the first present; several
//! ids separated by `|` or `;` in CSV, an array or a string in JSON). A row with no
//! category id is a contact that belongs to no category.
//!
//! A predicted id counts for label `L` when it is `L` or under it (`网络质量/宽带断网`
//! for `网络质量`), so labels may be coarser than the taxonomy.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use voc_core::Token;

use crate::ClassifyError;
use crate::model::{Features, Input, LogisticModel, SplitMix, TrainOptions, features_v2};

fn sigmoid(margin: f32) -> f32 {
    1.0 / (1.0 + (-margin).exp())
}

/// The index of the highest probability (the first of equals).
pub fn most_probable(ps: &[f32]) -> Option<usize> {
    ps.iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f32)>, (k, &p)| match best {
            Some((_, b)) if b >= p => best,
            _ => Some((k, p)),
        })
        .map(|(k, _)| k)
}

/// One labelled row.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledRow {
    /// 1-based line in the file (CSV: of the record's start).
    pub line: usize,
    pub id: Option<String>,
    pub text: Option<String>,
    pub labels: Vec<String>,
    /// Lines of later rows with the same id or text, whose categories were merged into
    /// this one (a file with one row per text and category).
    pub merged_lines: Vec<usize>,
}

impl LabeledRow {
    /// What names the row in messages and in the split: its id, else its text.
    pub fn key(&self) -> &str {
        self.id.as_deref().or(self.text.as_deref()).unwrap_or("")
    }
}

/// Columns naming the labelled contact or text (not the row: a file with one row per
/// text and category repeats it), first found wins.
const ID_COLUMNS: &[&str] = &[
    "id",
    "contact_id",
    "content_id",
    "dialogue_id",
    "review_id",
    "doc_id",
];
/// Columns holding a labelled text, first found wins (sentiment label files too).
pub(crate) const TEXT_COLUMNS: &[&str] = &[
    "text", "review", "content", "comment", "文本", "内容", "评论", "原文",
];
const LABEL_COLUMNS: &[&str] = &[
    "categories",
    "category",
    "labels",
    "cat",
    "label",
    "subject",
    "topic",
    "class",
    "类别",
    "分类",
    "标签",
    "主题",
];

/// The first of `names` among the (cleaned, lower-cased) `headers`: names in order of
/// preference, not of the file's columns.
pub(crate) fn find_column(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| headers.iter().position(|h| h == n))
}

fn clean(s: &str) -> String {
    s.replace('\u{feff}', "").trim().to_string()
}

fn split_labels(s: &str) -> Vec<String> {
    s.split(['|', ';', '；'])
        .map(clean)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Reads labels from a `.jsonl`/`.json` (JSON Lines) or any other (CSV) file;
/// `label_column` overrides the choice of the category column. Rows with the same id
/// (or, without ids, the same text) are one labelled text with every category they
/// give ([`merge_same_key`]): exports often list a text once per category.
pub fn read_category_labels(
    path: &Path,
    label_column: Option<&str>,
) -> Result<Vec<LabeledRow>, ClassifyError> {
    read_unmerged(path, label_column).map(merge_same_key)
}

/// Folds rows with the same [`LabeledRow::key`] into the first of them: the union of
/// their categories, in order of appearance, and their lines in `merged_lines`.
pub fn merge_same_key(rows: Vec<LabeledRow>) -> Vec<LabeledRow> {
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<LabeledRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match first.get(row.key()) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.merged_lines.push(row.line);
                for label in row.labels {
                    if !kept.labels.contains(&label) {
                        kept.labels.push(label);
                    }
                }
            }
            None => {
                first.insert(row.key().to_string(), out.len());
                out.push(row);
            }
        }
    }
    out
}

fn read_unmerged(
    path: &Path,
    label_column: Option<&str>,
) -> Result<Vec<LabeledRow>, ClassifyError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ClassifyError::Read {
        path: file.clone(),
        source,
    })?;
    let jsonl = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"));
    if jsonl {
        parse_jsonl(&bytes, &file, label_column)
    } else {
        parse_csv(&bytes, &file, label_column)
    }
}

fn line_err(file: &str, line: usize, message: String) -> ClassifyError {
    ClassifyError::Line {
        file: file.to_string(),
        line,
        message,
    }
}

pub fn parse_csv(
    bytes: &[u8],
    file: &str,
    label_column: Option<&str>,
) -> Result<Vec<LabeledRow>, ClassifyError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| line_err(file, 1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| clean(h).to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| find_column(&headers, names);
    let id_col = find(ID_COLUMNS);
    let text_col = find(TEXT_COLUMNS);
    if id_col.is_none() && text_col.is_none() {
        return Err(line_err(
            file,
            1,
            format!("expected an `id` or a `text` (`review`, `content`) column, found {headers:?}"),
        ));
    }
    let label_col = match label_column {
        Some(name) => find(&[name.to_ascii_lowercase().as_str()]),
        None => find(LABEL_COLUMNS),
    }
    .ok_or_else(|| {
        line_err(
            file,
            1,
            format!(
                "expected a category column ({}), found {headers:?}",
                label_column.map_or(LABEL_COLUMNS.join(", "), str::to_string)
            ),
        )
    })?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            line_err(file, line, format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(clean)
                .filter(|s| !s.is_empty())
        };
        let (id, text) = (get(id_col), get(text_col));
        if id.is_none() && text.is_none() {
            continue;
        }
        rows.push(LabeledRow {
            line,
            id,
            text,
            labels: split_labels(record.get(label_col).unwrap_or("")),
            merged_lines: Vec::new(),
        });
    }
    Ok(rows)
}

pub fn parse_jsonl(
    bytes: &[u8],
    file: &str,
    label_column: Option<&str>,
) -> Result<Vec<LabeledRow>, ClassifyError> {
    let text = String::from_utf8_lossy(bytes);
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| line_err(file, line_no, format!("malformed JSON: {e}")))?;
        let field = |name: &str| value.get(name).filter(|v| !v.is_null());
        let string = |name: &str| {
            field(name).map(|v| match v {
                serde_json::Value::String(s) => clean(s),
                other => other.to_string(),
            })
        };
        let id = ID_COLUMNS
            .iter()
            .find_map(|c| string(c))
            .filter(|s| !s.is_empty());
        let text = TEXT_COLUMNS
            .iter()
            .find_map(|c| string(c))
            .filter(|s| !s.is_empty());
        if id.is_none() && text.is_none() {
            return Err(line_err(
                file,
                line_no,
                "expected an `id` or a `text` field".into(),
            ));
        }
        let names: Vec<&str> = match label_column {
            Some(n) => vec![n],
            None => LABEL_COLUMNS.to_vec(),
        };
        let labels = match names.iter().find_map(|n| field(n)) {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(clean))
                .filter(|s| !s.is_empty())
                .collect(),
            Some(serde_json::Value::String(s)) => split_labels(s),
            Some(other) => {
                return Err(line_err(
                    file,
                    line_no,
                    format!("expected the categories as a string or an array, found {other}"),
                ));
            }
        };
        rows.push(LabeledRow {
            line: line_no,
            id,
            text,
            labels,
            merged_lines: Vec::new(),
        });
    }
    Ok(rows)
}

/// Whether a row falls in the held-out (test) part: a hash of its key, so the split is
/// the same for `train` and `eval` and whatever the order of the rows.
pub fn in_test_part(row: &LabeledRow, test_share: f64) -> bool {
    split_position(row) < test_share
}

/// Where a row falls in [0, 1] by a hash of its id or text: below the test share it is
/// in the test part (`baseline.py` beside the shopping taxonomy computes the same).
pub fn split_position(row: &LabeledRow) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in row.key().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Finish with a mixer: FNV's low bits are weak.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h as f64 / u64::MAX as f64
}

/// At most `limit` of `rows`: those first by [`split_position`], kept in their order, so
/// the same rows whatever the file's order (`voc taxonomy train --train-rows`).
pub fn first_in_split_order(rows: Vec<LabeledRow>, limit: usize) -> Vec<LabeledRow> {
    if limit >= rows.len() {
        return rows;
    }
    let mut keyed: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (split_position(r), i))
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut keep = vec![false; rows.len()];
    keyed[..limit].iter().for_each(|&(_, i)| keep[i] = true);
    rows.into_iter()
        .zip(keep)
        .filter_map(|(row, keep)| keep.then_some(row))
        .collect()
}

/// Whether a predicted category id counts for the label `label`.
pub fn counts_for(predicted: &str, label: &str) -> bool {
    predicted == label
        || predicted
            .strip_prefix(label)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Precision, recall and F1 of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    pub id: String,
    /// Rows labelled with it.
    pub support: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Averages {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// A labelled category the taxonomy gave another one instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    pub labelled: String,
    pub predicted: String,
    pub rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub rows: usize,
    pub categories: Vec<CategoryScore>,
    pub micro: Averages,
    pub macro_: Averages,
    pub confusion: Vec<Confusion>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Scores predictions against labels, over the categories named by the labels
/// (`vocabulary`, sorted).
pub fn score(labels: &[Vec<String>], predicted: &[Vec<String>], vocabulary: &[String]) -> Scores {
    let mut cats: Vec<CategoryScore> = vocabulary
        .iter()
        .map(|id| CategoryScore {
            id: id.clone(),
            support: 0,
            true_positives: 0,
            false_positives: 0,
            false_negatives: 0,
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        })
        .collect();
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (gold, pred) in labels.iter().zip(predicted) {
        let mut missed = Vec::new();
        let mut extra = Vec::new();
        for cat in cats.iter_mut() {
            let is_gold = gold.contains(&cat.id);
            let is_pred = pred.iter().any(|p| counts_for(p, &cat.id));
            cat.support += usize::from(is_gold);
            match (is_gold, is_pred) {
                (true, true) => cat.true_positives += 1,
                (false, true) => {
                    cat.false_positives += 1;
                    extra.push(cat.id.clone());
                }
                (true, false) => {
                    cat.false_negatives += 1;
                    missed.push(cat.id.clone());
                }
                (false, false) => {}
            }
        }
        for m in &missed {
            for e in &extra {
                *confusion.entry((m.clone(), e.clone())).or_default() += 1;
            }
        }
    }
    let (mut tp, mut fp, mut fneg) = (0, 0, 0);
    for c in cats.iter_mut() {
        c.precision = ratio(c.true_positives, c.true_positives + c.false_positives);
        c.recall = ratio(c.true_positives, c.true_positives + c.false_negatives);
        c.f1 = f1(c.precision, c.recall);
        tp += c.true_positives;
        fp += c.false_positives;
        fneg += c.false_negatives;
    }
    let (p, r) = (ratio(tp, tp + fp), ratio(tp, tp + fneg));
    let n = cats.len().max(1) as f64;
    let mean = |f: fn(&CategoryScore) -> f64| cats.iter().map(f).sum::<f64>() / n;
    let macro_ = Averages {
        precision: mean(|c| c.precision),
        recall: mean(|c| c.recall),
        f1: mean(|c| c.f1),
    };
    let mut confusion: Vec<Confusion> = confusion
        .into_iter()
        .map(|((labelled, predicted), rows)| Confusion {
            labelled,
            predicted,
            rows,
        })
        .collect();
    confusion.sort_by_key(|c| std::cmp::Reverse(c.rows));
    Scores {
        rows: labels.len(),
        categories: cats,
        micro: Averages {
            precision: p,
            recall: r,
            f1: f1(p, r),
        },
        macro_,
        confusion,
    }
}

/// How a category's rules and its trained model decide together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// The rules alone (the default, and what happens when no model is trained).
    #[default]
    Rules,
    /// The model alone.
    Model,
    /// Rules or model.
    Either,
    /// Rules and model.
    Both,
    /// The model decides, and the rule hits are evidence: models trained with rule
    /// features read them (their assisted threshold is their threshold); older models
    /// need only a lower probability ([`CategoryModels::assisted_threshold`]) with a hit.
    Assist,
}

impl Combine {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "rules" => Some(Combine::Rules),
            "model" => Some(Combine::Model),
            "either" => Some(Combine::Either),
            "both" => Some(Combine::Both),
            "assist" => Some(Combine::Assist),
            _ => None,
        }
    }

    /// Whether the category matches, from the rules and the model's verdict (`None`:
    /// no model for it).
    pub fn decide(self, rules: bool, model: Option<Verdict>) -> bool {
        match (self, model) {
            (Combine::Rules, _) | (_, None) => rules,
            (Combine::Model, Some(m)) => m.yes,
            (Combine::Either, Some(m)) => rules || m.yes,
            (Combine::Both, Some(m)) => rules && m.yes,
            (Combine::Assist, Some(m)) => m.assisted,
        }
    }
}

/// What a category's model says about a contact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// At or above the threshold.
    pub yes: bool,
    /// What `assist` decides: the model with the rule hit as evidence (older files: at
    /// the threshold, or at the lower assisted threshold with a rule hit).
    pub assisted: bool,
    /// The model's probability (ranks the categories of an exclusive taxonomy).
    pub probability: f32,
    /// The probability with the rule evidence added when the rules fired (`assist`).
    pub assisted_probability: f32,
}

impl Verdict {
    /// The probability a category combining as `combine` is ranked by: with `assist`,
    /// the one its rule hit raised.
    pub fn probability_for(&self, combine: Combine) -> f32 {
        if combine == Combine::Assist {
            self.assisted_probability
        } else {
            self.probability
        }
    }
}

fn default_assisted() -> f32 {
    0.2
}

pub const MODELS_FORMAT: &str = "voc-category-models/3";
/// Earlier formats, still read: no rule features and fixed thresholds (1), no rule
/// evidence (2).
const MODELS_FORMAT_V1: &str = "voc-category-models/1";
const MODELS_FORMAT_V2: &str = "voc-category-models/2";

/// The tag a category's rule hit makes for the models (rules as features).
pub fn rule_tag(category: &str) -> String {
    format!("rule:{category}")
}

/// What training chose on its inner split (never on the rows `taxonomy eval` tests).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct InnerChoice {
    /// Rows trained on and held out inside the training rows.
    pub rows: (usize, usize),
    /// Micro-F1 on the inner held-out rows at each threshold tried (the model alone).
    pub micro_f1_by_threshold: Vec<(f32, f64)>,
    /// The best micro-F1 there with each rule evidence tried ([`RULE_EVIDENCE`]), at its
    /// best threshold: (evidence, threshold, micro-F1).
    #[serde(default)]
    pub assist_micro_f1_by_evidence: Vec<(f32, f32, f64)>,
}

/// One logistic model per category (character 1–3-grams, words and word bigrams, and
/// which categories' rules fired, as tags), saved beside the taxonomy as
/// `<taxonomy>.models.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CategoryModels {
    pub format: String,
    /// A model says yes at this probability or above (chosen on an inner split).
    pub threshold: f32,
    /// With `combine = "assist"`, a rule hit and this probability suffice (models that
    /// read the rules as features have it equal to `threshold`: the rules are inside).
    /// Models with [`Self::rule_evidence`]: the threshold of the assisted probability.
    #[serde(default = "default_assisted")]
    pub assisted_threshold: f32,
    /// With `combine = "assist"`, the log-odds a category's own rule hit adds to its
    /// model's (chosen with `assisted_threshold` on the inner split; `None` in older
    /// files, whose assist is the threshold or a rule hit at the assisted threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_evidence: Option<f32>,
    /// The models read which categories' rules fired ([`rule_tag`]).
    #[serde(default)]
    pub rule_features: bool,
    /// Without `exclusive`: a contact's most probable category (of those whose model may
    /// decide alone: `model`, `either`, `assist`) is kept at this probability even below
    /// `threshold` — its likeliest category needs less evidence than a second one does.
    /// Chosen on the inner split; `None` in older files and exclusive taxonomies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_threshold: Option<f32>,
    /// The same with `assist`, for the assisted probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assisted_top_threshold: Option<f32>,
    #[serde(default)]
    pub inner: InnerChoice,
    pub models: BTreeMap<String, LogisticModel>,
}

/// How `voc taxonomy train` fits the models.
#[derive(Debug, Clone, Copy)]
pub struct CategoryTraining {
    /// Give the models the rule hits as features (`false`: the text only, to measure
    /// the model alone).
    pub rule_features: bool,
    /// Share of the training rows held out to choose the threshold.
    pub inner_share: f64,
    /// The taxonomy keeps one category per contact: the threshold is chosen for that
    /// decision (the most probable category, when it reaches the threshold).
    pub exclusive: bool,
    pub options: TrainOptions,
}

impl Default for CategoryTraining {
    fn default() -> Self {
        CategoryTraining {
            rule_features: false,
            inner_share: 0.2,
            exclusive: false,
            options: TrainOptions {
                bits: 18,
                balance: false,
                epochs: 6,
                ..TrainOptions::default()
            },
        }
    }
}

/// Rule evidence (log-odds added by a rule hit) tried on the inner split.
pub const RULE_EVIDENCE: [f32; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];

/// Thresholds tried on the inner split.
const THRESHOLDS: [f32; 14] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7,
];

impl CategoryModels {
    /// Where the models of the taxonomy at `taxonomy` are saved.
    pub fn path_for(taxonomy: &Path) -> PathBuf {
        let stem = taxonomy
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "taxonomy".into());
        taxonomy.with_file_name(format!("{stem}.models.json"))
    }

    /// Fits one model per category of `categories` on the tokens of each row and, with
    /// `training.rule_features`, the categories whose rules fired on it (`rule_hits`);
    /// a row is positive for a category when one of its labels is the category or under
    /// it. The threshold is the one with the best micro-F1 on a held-out share of these
    /// rows (models fitted on the rest), then every model is fitted on all rows.
    pub fn train(
        tokens: &[Vec<Token>],
        rule_hits: &[Vec<String>],
        labels: &[Vec<String>],
        categories: &[String],
        training: &CategoryTraining,
    ) -> Self {
        let options = &training.options;
        let feats: Vec<Features> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let tags: Vec<String> = if training.rule_features {
                    rule_hits.get(i).map_or(Vec::new(), |hits| {
                        hits.iter().map(|h| rule_tag(h)).collect()
                    })
                } else {
                    Vec::new()
                };
                features_v2(
                    &Input {
                        tokens: t,
                        focus: &[],
                        tags: &tags,
                        lexicon: 0.0,
                    },
                    options.bits,
                    options.ngram_max,
                )
            })
            .collect();
        let lexicon = vec![0f32; feats.len()];
        let targets: Vec<(String, Vec<bool>)> = categories
            .iter()
            .filter_map(|cat| {
                let y: Vec<bool> = labels
                    .iter()
                    .map(|ls| ls.iter().any(|l| counts_for(l, cat)))
                    .collect();
                y.contains(&true).then(|| (cat.clone(), y))
            })
            .collect();
        let fit_rows = |rows: &[usize]| -> Vec<(String, LogisticModel)> {
            let x: Vec<Features> = rows.iter().map(|&i| feats[i].clone()).collect();
            let lex: Vec<f32> = rows.iter().map(|&i| lexicon[i]).collect();
            targets
                .iter()
                .map(|(cat, y)| {
                    let y: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
                    (
                        cat.clone(),
                        LogisticModel::train_features(&x, &lex, &y, false, options),
                    )
                })
                .collect()
        };
        // Inner split: every row whose shuffled position falls in the held-out share.
        let mut order: Vec<usize> = (0..feats.len()).collect();
        SplitMix(options.seed ^ 0x0069_6e6e_6572).shuffle(&mut order);
        let held = ((feats.len() as f64) * training.inner_share).round() as usize;
        let (inner_test, inner_train) = order.split_at(held.min(feats.len()));
        let mut inner = InnerChoice {
            rows: (inner_train.len(), inner_test.len()),
            ..InnerChoice::default()
        };
        let (mut threshold, mut assisted, mut evidence) = (0.5, 0.5, 0.0);
        let (mut top, mut assisted_top) = (0.5, 0.5);
        if !inner_test.is_empty() && !inner_train.is_empty() {
            let models = fit_rows(inner_train);
            // Per held-out row and category: the model's log-odds and whether the
            // category's own rules fired.
            let scored: Vec<Vec<(f32, bool)>> = inner_test
                .iter()
                .map(|&i| {
                    models
                        .iter()
                        .map(|(cat, m)| {
                            let fired = rule_hits.get(i).is_some_and(|h| h.contains(cat));
                            (m.margin(&feats[i], 0.0), fired)
                        })
                        .collect()
                })
                .collect();
            // `top`: the most probable category's threshold (`t` when exclusive).
            let micro_f1 = |gamma: f32, t: f32, top_t: f32| -> f64 {
                let (mut tp, mut predicted, mut gold) = (0usize, 0usize, 0usize);
                for (row, cats) in inner_test.iter().zip(&scored) {
                    let ps: Vec<f32> = cats
                        .iter()
                        .map(|&(m, fired)| sigmoid(m + if fired { gamma } else { 0.0 }))
                        .collect();
                    let top = most_probable(&ps);
                    for (k, ((_, y), p)) in targets.iter().zip(&ps).enumerate() {
                        let yes = (*p >= t && (!training.exclusive || top == Some(k)))
                            || (top == Some(k) && *p >= top_t);
                        tp += usize::from(yes && y[*row]);
                        predicted += usize::from(yes);
                        gold += usize::from(y[*row]);
                    }
                }
                if predicted + gold == 0 {
                    0.0
                } else {
                    2.0 * tp as f64 / (predicted + gold) as f64
                }
            };
            // The best (micro-F1, top threshold) at threshold `t`.
            let best_top = |gamma: f32, t: f32| -> (f64, f32) {
                if training.exclusive {
                    return (micro_f1(gamma, t, t), t);
                }
                // From `t` down: a lower one only when it does better.
                THRESHOLDS
                    .into_iter()
                    .rev()
                    .filter(|&u| u <= t)
                    .fold((f64::MIN, t), |best, u| {
                        let f = micro_f1(gamma, t, u);
                        if f > best.0 { (f, u) } else { best }
                    })
            };
            let mut best = f64::MIN;
            for t in THRESHOLDS {
                let (f, u) = best_top(0.0, t);
                inner.micro_f1_by_threshold.push((t, f));
                if f > best {
                    (best, threshold, top) = (f, t, u);
                }
            }
            let mut best_assisted = f64::MIN;
            for gamma in RULE_EVIDENCE {
                let (mut f_gamma, mut t_gamma, mut u_gamma) = (f64::MIN, 0.5, 0.5);
                for t in THRESHOLDS {
                    let (f, u) = best_top(gamma, t);
                    if f > f_gamma {
                        (f_gamma, t_gamma, u_gamma) = (f, t, u);
                    }
                }
                inner
                    .assist_micro_f1_by_evidence
                    .push((gamma, t_gamma, f_gamma));
                if f_gamma > best_assisted {
                    (best_assisted, evidence, assisted, assisted_top) =
                        (f_gamma, gamma, t_gamma, u_gamma);
                }
            }
        }
        let below = |top: f32, t: f32| (!training.exclusive && top < t).then_some(top);
        let all: Vec<usize> = (0..feats.len()).collect();
        CategoryModels {
            format: MODELS_FORMAT.into(),
            threshold,
            assisted_threshold: assisted,
            rule_evidence: Some(evidence),
            rule_features: training.rule_features,
            top_threshold: below(top, threshold),
            assisted_top_threshold: below(assisted_top, assisted),
            inner,
            models: fit_rows(&all).into_iter().collect(),
        }
    }

    /// The features the models read of a contact's tokens, given the categories whose
    /// rules fired (ignored by models without rule features): computed once per
    /// contact and scope, shared by every category's model.
    pub fn features(&self, tokens: &[Token], rule_hits: &[&str]) -> Features {
        let Some(any) = self.models.values().next() else {
            return Vec::new();
        };
        let tags: Vec<String> = if self.rule_features {
            rule_hits.iter().map(|h| rule_tag(h)).collect()
        } else {
            Vec::new()
        };
        any.features_of(&Input {
            tokens,
            focus: &[],
            tags: &tags,
            lexicon: 0.0,
        })
    }

    /// What the model of `category` says for features from [`Self::features`], given
    /// whether the category's own rules fired (`None`: no model).
    pub fn verdict(&self, category: &str, feats: &[(u32, f32)], fired: bool) -> Option<Verdict> {
        self.models.get(category).map(|m| {
            let margin = m.margin(feats, 0.0);
            let p = sigmoid(margin);
            let (assisted, assisted_probability) = match self.rule_evidence {
                Some(evidence) => {
                    let pa = sigmoid(margin + if fired { evidence } else { 0.0 });
                    (pa >= self.assisted_threshold, pa)
                }
                None => (
                    p >= self.threshold || (fired && p >= self.assisted_threshold),
                    p,
                ),
            };
            Verdict {
                yes: p >= self.threshold,
                assisted,
                probability: p,
                assisted_probability,
            }
        })
    }

    /// The probability at which a contact's most probable category is kept without
    /// `exclusive` (below the threshold: see [`Self::top_threshold`]), for a category
    /// combining as `combine`; `None` when it is the threshold.
    pub fn top_threshold_for(&self, combine: Combine) -> Option<f32> {
        match combine {
            Combine::Assist if self.rule_evidence.is_some() => self.assisted_top_threshold,
            Combine::Model | Combine::Either => self.top_threshold,
            _ => None,
        }
    }

    /// What the model of `category` says for `tokens` with no rule hit (`None`: no model).
    pub fn says(&self, category: &str, tokens: &[Token]) -> Option<Verdict> {
        self.verdict(category, &self.features(tokens, &[]), false)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        voc_core::fsutil::write_atomic(path, &json)
    }

    pub fn load(path: &Path) -> Result<Self, ClassifyError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ClassifyError::Read {
            path: file.clone(),
            source,
        })?;
        let models: CategoryModels =
            serde_json::from_slice(&bytes).map_err(|e| ClassifyError::File {
                file: file.clone(),
                message: format!("not a category model file: {e}"),
            })?;
        if ![MODELS_FORMAT, MODELS_FORMAT_V2, MODELS_FORMAT_V1].contains(&models.format.as_str()) {
            return Err(ClassifyError::File {
                file,
                message: format!(
                    "format {:?}, expected {MODELS_FORMAT:?}: train it again with `voc taxonomy train`",
                    models.format
                ),
            });
        }
        Ok(models)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows whose words say little about their category, where a rule fires on half of
    /// them and is right: training must give the rule hit weight, and `assist` must
    /// then beat the model alone on rows it has not seen.
    #[test]
    fn assist_learns_how_much_a_rule_hit_is_worth() {
        let mut rng = SplitMix(7);
        let cats = vec!["甲".to_string(), "乙".to_string()];
        let mut rows = Vec::new();
        for i in 0..1200 {
            let cat = i % 2;
            // Mostly shared words; one word in ten hints at the category.
            let tokens: Vec<Token> = (0..6)
                .map(|_| {
                    let w = rng.next_u64() % 40;
                    if rng.next_u64().is_multiple_of(10) {
                        Token::from(format!("提示{cat}"))
                    } else {
                        Token::from(format!("词{w}"))
                    }
                })
                .collect();
            let fired = if rng.next_u64().is_multiple_of(2) {
                vec![cats[cat].clone()]
            } else {
                Vec::new()
            };
            rows.push((tokens, fired, vec![cats[cat].clone()]));
        }
        let (train, test) = rows.split_at(900);
        let column = |rows: &[(Vec<Token>, Vec<String>, Vec<String>)]| {
            (
                rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
                rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
                rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            )
        };
        let (tokens, hits, labels) = column(train);
        let training = CategoryTraining {
            exclusive: true,
            ..CategoryTraining::default()
        };
        let models = CategoryModels::train(&tokens, &hits, &labels, &cats, &training);
        let evidence = models.rule_evidence.expect("new models choose an evidence");
        assert!(evidence > 0.0, "{:?}", models.inner);
        let (mut model_right, mut assist_right) = (0, 0);
        for (tokens, hits, labels) in test {
            let feats = models.features(tokens, &[]);
            let verdicts: Vec<Verdict> = cats
                .iter()
                .map(|c| models.verdict(c, &feats, hits.contains(c)).unwrap())
                .collect();
            let best = |p: fn(&Verdict) -> f32| {
                most_probable(&verdicts.iter().map(p).collect::<Vec<_>>()).map(|k| &cats[k])
            };
            model_right += usize::from(best(|v| v.probability) == labels.first());
            assist_right += usize::from(best(|v| v.assisted_probability) == labels.first());
        }
        assert!(
            assist_right >= model_right + 20,
            "assist {assist_right} vs model {model_right} of {}",
            test.len()
        );
    }

    /// Single-label rows of six categories in three pairs whose words are shared within
    /// a pair: a non-exclusive taxonomy's models keep a row's most probable category
    /// below the threshold a second one needs (on rows they have not seen, that finds
    /// more right categories than the threshold alone); an exclusive taxonomy's models
    /// have no top threshold.
    #[test]
    fn the_inner_split_chooses_a_top_threshold_without_exclusive() {
        let mut rng = SplitMix(11);
        let cats: Vec<String> = (0..6).map(|c| format!("类{c}")).collect();
        let row = |rng: &mut SplitMix| {
            let cat = (rng.next_u64() % 6) as usize;
            let tokens: Vec<Token> = (0..5)
                .map(|_| match rng.next_u64() % 10 {
                    0..=3 => Token::from(format!("对{}", cat / 2)),
                    4 => Token::from(format!("提示{cat}")),
                    _ => Token::from(format!("词{}", rng.next_u64() % 30)),
                })
                .collect();
            (tokens, vec![cats[cat].clone()])
        };
        let (tokens, labels): (Vec<_>, Vec<_>) = (0..1500).map(|_| row(&mut rng)).unzip();
        let hits = vec![Vec::new(); tokens.len()];
        let models =
            CategoryModels::train(&tokens, &hits, &labels, &cats, &CategoryTraining::default());
        let top = models
            .top_threshold
            .unwrap_or_else(|| panic!("no top threshold: {} {:?}", models.threshold, models.inner));
        assert!(top < models.threshold, "{top} {}", models.threshold);
        // Micro-F1 on unseen rows, with and without the top threshold.
        let (mut with_top, mut without) = ((0, 0, 0), (0, 0, 0));
        for _ in 0..2000 {
            let (tokens, labels) = row(&mut rng);
            let feats = models.features(&tokens, &[]);
            let ps: Vec<f32> = cats
                .iter()
                .map(|c| models.verdict(c, &feats, false).unwrap().probability)
                .collect();
            let best = most_probable(&ps);
            for (k, p) in ps.iter().enumerate() {
                let gold = cats[k] == labels[0];
                let yes = *p >= models.threshold;
                for (counts, yes) in [
                    (&mut without, yes),
                    (&mut with_top, yes || (best == Some(k) && *p >= top)),
                ] {
                    counts.0 += usize::from(yes && gold);
                    counts.1 += usize::from(yes);
                    counts.2 += usize::from(gold);
                }
            }
        }
        let f1 = |(tp, predicted, gold): (usize, usize, usize)| {
            2.0 * tp as f64 / (predicted + gold) as f64
        };
        assert!(
            f1(with_top) > f1(without),
            "{with_top:?} {without:?} {top} {:?}",
            models.inner
        );
        let exclusive = CategoryTraining {
            exclusive: true,
            ..CategoryTraining::default()
        };
        let models = CategoryModels::train(&tokens, &hits, &labels, &cats, &exclusive);
        assert_eq!(models.top_threshold, None);
    }

    #[test]
    fn models_of_the_second_format_keep_their_assist() {
        let mut models = CategoryModels::train(
            &[vec![Token::from("断网")], vec![Token::from("账单")]],
            &[vec![], vec![]],
            &[vec!["甲".into()], vec!["乙".into()]],
            &["甲".to_string(), "乙".to_string()],
            &CategoryTraining::default(),
        );
        // A file written before the rule evidence: at the threshold, or a rule hit at
        // the assisted threshold.
        models.rule_evidence = None;
        models.threshold = 0.99;
        models.assisted_threshold = 0.0;
        let feats = models.features(&[Token::from("断网")], &[]);
        assert!(models.verdict("甲", &feats, true).unwrap().assisted);
        assert!(!models.verdict("甲", &feats, false).unwrap().assisted);
    }

    #[test]
    fn reads_csv_and_jsonl() {
        let rows = parse_csv(
            "id,text,categories\n,宽带断网,网络/断网|网络/慢\nC1,,\n".as_bytes(),
            "l.csv",
            None,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].labels, vec!["网络/断网", "网络/慢"]);
        assert_eq!(rows[1].id.as_deref(), Some("C1"));
        assert!(rows[1].labels.is_empty());
        let rows = parse_jsonl(
            "{\"text\":\"断网\",\"categories\":[\"a\",\"b\"]}\n\n{\"id\":\"C2\",\"category\":\"a\"}\n"
                .as_bytes(),
            "l.jsonl",
            None,
        )
        .unwrap();
        assert_eq!(rows[0].labels, vec!["a", "b"]);
        assert_eq!(rows[1].line, 3);
        let err = parse_jsonl("{\"x\":1}\n".as_bytes(), "l.jsonl", None).unwrap_err();
        assert!(err.to_string().starts_with("l.jsonl:1:"), "{err}");
        let err = parse_csv("a,b\n1,2\n".as_bytes(), "l.csv", None).unwrap_err();
        assert!(err.to_string().contains("`id` or a `text`"), "{err}");
    }

    /// A file with one row per text and category (as some exports and public sets have
    /// it: a text listed once per subject) is one labelled text with both categories;
    /// Chinese headers are found.
    #[test]
    fn rows_of_the_same_text_are_one_labelled_text() {
        let rows = parse_csv(
            "编号,内容,主题,情感\n1,油耗太高动力也弱,油耗,-1\n2,内饰不错,内饰,1\n1,油耗太高动力也弱,动力,-1\n"
                .as_bytes(),
            "l.csv",
            None,
        )
        .unwrap();
        let rows = merge_same_key(rows);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].labels, vec!["油耗", "动力"]);
        assert_eq!((rows[0].line, rows[0].merged_lines.clone()), (2, vec![4]));
        assert_eq!(rows[1].labels, vec!["内饰"]);
        // By id when there is one: the same id is one contact, whatever its text.
        let rows = merge_same_key(
            parse_csv(
                "id,categories\nC1,a\nC2,b\nC1,b|a\n".as_bytes(),
                "l.csv",
                None,
            )
            .unwrap(),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].labels, vec!["a", "b"]);
        // The public car-review set's own shape: `content_id`, `content`, `subject`.
        let rows = merge_same_key(
            parse_csv(
                "content_id,content,subject,sentiment_value\n7,空间小油耗高,空间,-1\n7,空间小油耗高,油耗,-1\n"
                    .as_bytes(),
                "l.csv",
                None,
            )
            .unwrap(),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id.as_deref(), Some("7"));
        assert_eq!(rows[0].labels, vec!["空间", "油耗"]);
    }

    #[test]
    fn scores_micro_macro_and_confusion() {
        let labels = vec![
            vec!["a".to_string()],
            vec!["b".to_string()],
            vec!["a".to_string()],
            vec![],
        ];
        let predicted = vec![
            vec!["a/x".to_string()],
            vec!["a".to_string()],
            vec![],
            vec!["b".to_string()],
        ];
        let s = score(&labels, &predicted, &["a".to_string(), "b".to_string()]);
        let a = &s.categories[0];
        assert_eq!(
            (a.true_positives, a.false_positives, a.false_negatives),
            (1, 1, 1)
        );
        assert_eq!(s.categories[1].false_positives, 1);
        assert!((s.micro.precision - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            s.confusion,
            vec![Confusion {
                labelled: "b".into(),
                predicted: "a".into(),
                rows: 1
            }]
        );
        let row = LabeledRow {
            line: 1,
            id: None,
            text: Some("x".into()),
            labels: vec![],
            merged_lines: vec![],
        };
        assert_eq!(in_test_part(&row, 0.2), in_test_part(&row.clone(), 0.2));
        let v = |yes, assisted| {
            Some(Verdict {
                yes,
                assisted,
                probability: 0.5,
                assisted_probability: 0.5,
            })
        };
        assert!(Combine::Either.decide(false, v(true, true)));
        assert!(!Combine::Both.decide(true, v(false, true)));
        assert!(Combine::Model.decide(true, None));
        assert!(Combine::Assist.decide(true, v(false, true)));
        assert!(!Combine::Assist.decide(true, v(false, false)));
        assert!(!Combine::Assist.decide(false, v(true, false)));
    }
}
