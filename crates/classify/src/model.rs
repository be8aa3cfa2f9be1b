//! A small trained model: logistic regression over hashed character n-grams (1–3) and
//! words, plus the lexicon score as one more feature. Sentiment (one model, or two for
//! three classes) and taxonomy categories (one per category) are this model.
//!
//! Feature set `v2` (what `train` writes now; `v1` models load and score as before):
//! word bigrams too, log counts (`1 + ln tf`), an optional *focus* part read again under
//! its own names (a dialogue's last customer turn) and *tags* (named yes/no facts: a
//! rule that fired, the number of customer turns), and naive-Bayes log-count-ratio
//! scaling of the features while training (Wang & Manning 2012), folded into the
//! weights so scoring costs what it did.
//!
//! Character n-grams carry most of the signal in short Chinese reviews and do not care
//! how the segmenter cut the text; words add the segmenter's view; the lexicon feature
//! carries general knowledge to domains the training data never saw. Features are
//! hashed (FNV-1a, implemented here so a saved model never changes meaning with a
//! dependency upgrade) into `2^bits` weights. Training is plain SGD with AdaGrad step
//! sizes and L2 decay, deterministic for a given seed.

use serde::{Deserialize, Serialize};
use std::path::Path;
use voc_core::Token;

use crate::ClassifyError;

pub const FORMAT: &str = "voc-sentiment-logreg/1";

/// Which features a model reads (saved with it, so a model keeps its meaning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureSet {
    /// Character n-grams and words, raw counts (the first models).
    #[default]
    V1,
    /// Also word bigrams, log counts, a focus part and tags.
    V2,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// Hash space: `2^bits` weights.
    pub bits: u32,
    /// Character n-grams of length 1 ..= `ngram_max`.
    pub ngram_max: usize,
    pub epochs: usize,
    /// AdaGrad base learning rate.
    pub learning_rate: f32,
    /// L2 penalty per example.
    pub l2: f32,
    /// Weight each class so both count the same in the loss (helps when the labels of
    /// the training file are skewed and the text it will see is not).
    pub balance: bool,
    pub seed: u64,
    pub features: FeatureSet,
    /// Scale each feature by its naive-Bayes log-count ratio while training (`v2`).
    pub nb_scaling: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            bits: 18,
            ngram_max: 3,
            epochs: 8,
            learning_rate: 0.1,
            l2: 1e-6,
            balance: true,
            seed: 20261123,
            features: FeatureSet::V2,
            nb_scaling: true,
        }
    }
}

/// The second head of a three-class sentiment model: positive against the rest (the
/// model's own weights say "not negative"), and the probabilities at which each class
/// is called, chosen on training folds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PositiveHead {
    pub bias: f32,
    pub lexicon_weight: f32,
    pub weights: Vec<f32>,
    /// Negative when P(negative) reaches this (and beats P(positive)).
    pub negative_at: f32,
    /// Positive when P(positive) reaches this.
    pub positive_at: f32,
}

/// A trained model as saved to JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogisticModel {
    pub format: String,
    pub bits: u32,
    pub ngram_max: usize,
    /// Examples it was trained on (positive, negative).
    pub trained_on: (usize, usize),
    pub bias: f32,
    pub lexicon_weight: f32,
    pub weights: Vec<f32>,
    #[serde(default)]
    pub features: FeatureSet,
    /// Trained with a focus part (a dialogue's last customer turn): a single text given
    /// to [`LogisticModel::probability`] is its own focus.
    #[serde(default)]
    pub focus: bool,
    /// Three-class sentiment: see [`PositiveHead`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<PositiveHead>,
}

/// One training or scoring example: tokens plus the lexicon score of those tokens.
pub struct Example<'a> {
    pub tokens: &'a [Token],
    pub lexicon: f32,
}

/// What a `v2` model reads of one item.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub tokens: &'a [Token],
    /// A part read again under its own feature names (may be empty).
    pub focus: &'a [Token],
    /// Named yes/no facts, one feature each.
    pub tags: &'a [String],
    pub lexicon: f32,
}

/// Sparse features: (bucket, value), sorted by bucket.
pub type Features = Vec<(u32, f32)>;

/// Sparse feature vector: (bucket, value), L2-normalized.
fn features(tokens: &[Token], bits: u32, ngram_max: usize, out: &mut Vec<(u32, f32)>) {
    out.clear();
    let mask = (1u64 << bits) - 1;
    let chars: Vec<char> = tokens
        .iter()
        .flat_map(|t| t.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    for n in 1..=ngram_max {
        for gram in chars.windows(n) {
            let mut h = Fnv::new(b'c' + n as u8);
            for c in gram {
                h.char(*c);
            }
            out.push(((h.0 & mask) as u32, 1.0));
        }
    }
    for t in tokens {
        let mut h = Fnv::new(b'w');
        for c in t.chars() {
            h.char(c);
        }
        out.push(((h.0 & mask) as u32, 1.0));
    }
    out.sort_unstable_by_key(|f| f.0);
    // Merge repeats (term frequency), then normalize so long reviews do not dominate.
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(out.len());
    for &(k, v) in out.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 += v,
            _ => merged.push((k, v)),
        }
    }
    let norm = merged.iter().map(|f| f.1 * f.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        merged.iter_mut().for_each(|f| f.1 /= norm);
    }
    *out = merged;
}

/// The `v2` block of one text: character 1..=`ngram_max`-grams, words and word bigrams
/// (`namespace` keeps the focus part's names apart), counts as `1 + ln tf`,
/// L2-normalized.
fn text_block(tokens: &[Token], namespace: u8, mask: u64, ngram_max: usize, out: &mut Features) {
    let start = out.len();
    let chars: Vec<char> = tokens
        .iter()
        .flat_map(|t| t.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    for n in 1..=ngram_max {
        for gram in chars.windows(n) {
            let mut h = Fnv::new(namespace.wrapping_add(n as u8));
            gram.iter().for_each(|c| h.char(*c));
            out.push(((h.0 & mask) as u32, 1.0));
        }
    }
    let words: Vec<&Token> = tokens.iter().filter(|t| !t.trim().is_empty()).collect();
    for (i, t) in words.iter().enumerate() {
        let mut h = Fnv::new(namespace.wrapping_add(16));
        t.chars().for_each(|c| h.char(c));
        out.push(((h.0 & mask) as u32, 1.0));
        if let Some(next) = words.get(i + 1) {
            let mut h = Fnv::new(namespace.wrapping_add(17));
            t.chars().for_each(|c| h.char(c));
            h.byte(0);
            next.chars().for_each(|c| h.char(c));
            out.push(((h.0 & mask) as u32, 1.0));
        }
    }
    let block = &mut out[start..];
    block.sort_unstable_by_key(|f| f.0);
    let mut merged: Features = Vec::with_capacity(block.len());
    for &(k, v) in block.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 += v,
            _ => merged.push((k, v)),
        }
    }
    // Sublinear counts: a word said five times is not five times the evidence.
    merged.iter_mut().for_each(|f| f.1 = 1.0 + f.1.ln());
    let norm = merged.iter().map(|f| f.1 * f.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        merged.iter_mut().for_each(|f| f.1 /= norm);
    }
    out.truncate(start);
    out.extend(merged);
}

/// The `v2` features of an input: the text block, the focus block, one feature per tag.
pub fn features_v2(input: &Input, bits: u32, ngram_max: usize) -> Features {
    let mask = (1u64 << bits) - 1;
    let mut out = Vec::with_capacity(4 * input.tokens.len() + 8);
    text_block(input.tokens, b'c', mask, ngram_max, &mut out);
    if !input.focus.is_empty() {
        text_block(input.focus, b'f', mask, ngram_max, &mut out);
    }
    for tag in input.tags {
        let mut h = Fnv::new(b't');
        tag.bytes().for_each(|b| h.byte(b));
        out.push(((h.0 & mask) as u32, 1.0));
    }
    merge_sorted(&mut out);
    out
}

/// Sorts by bucket and adds up repeats (hash collisions between blocks).
fn merge_sorted(out: &mut Features) {
    out.sort_unstable_by_key(|f| f.0);
    let mut merged: Features = Vec::with_capacity(out.len());
    for &(k, v) in out.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 += v,
            _ => merged.push((k, v)),
        }
    }
    *out = merged;
}

struct Fnv(u64);

impl Fnv {
    fn new(namespace: u8) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.byte(namespace);
        h
    }
    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            self.byte(b);
        }
    }
}

/// SplitMix64: a tiny deterministic generator for shuffling.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The `k` folds of `n` rows shuffled with `seed`: for each fold, the rows trained on
/// and the rows tested (every `k`-th of the shuffled order), the same split for every
/// corpus reader that cross-validates.
pub fn kfold_splits(n: usize, k: usize, seed: u64) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut rows: Vec<usize> = (0..n).collect();
    SplitMix(seed ^ 0x006b_666f_6c64).shuffle(&mut rows);
    (0..k)
        .map(|fold| {
            let side = |in_test: bool| -> Vec<usize> {
                let positions = rows.iter().enumerate();
                positions
                    .filter(|(pos, _)| (pos % k == fold) == in_test)
                    .map(|(_, &i)| i)
                    .collect()
            };
            (side(false), side(true))
        })
        .collect()
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

fn linear(
    bias: f32,
    lexicon_weight: f32,
    weights: &[f32],
    feats: &[(u32, f32)],
    lexicon: f32,
) -> f32 {
    bias + lexicon_weight * lexicon
        + feats
            .iter()
            .map(|&(k, v)| weights.get(k as usize).copied().unwrap_or(0.0) * v)
            .sum::<f32>()
}

/// The weights one fit gives.
struct Fitted {
    bias: f32,
    lexicon_weight: f32,
    weights: Vec<f32>,
}

/// Naive-Bayes log-count ratios per bucket: how much likelier a feature is present in
/// the positive rows than in the others (add-one smoothed).
fn log_count_ratios(feats: &[Features], labels: &[bool], dims: usize) -> Vec<f32> {
    let mut counts = [vec![1f32; dims], vec![1f32; dims]];
    for (x, &y) in feats.iter().zip(labels) {
        let side = &mut counts[usize::from(y)];
        x.iter().for_each(|&(k, _)| side[k as usize] += 1.0);
    }
    let totals = counts.each_ref().map(|c| c.iter().sum::<f32>());
    (0..dims)
        .map(|k| ((counts[1][k] / totals[1]) / (counts[0][k] / totals[0])).ln())
        .collect()
}

/// Plain SGD with AdaGrad steps and L2 decay on `feats` (already scaled).
fn fit(feats: &[Features], lexicon: &[f32], labels: &[bool], options: &TrainOptions) -> Fitted {
    let dims = 1usize << options.bits;
    let mut w = vec![0f32; dims];
    let mut g2 = vec![0f32; dims];
    let (mut bias, mut bias_g2) = (0f32, 0f32);
    let (mut lex_w, mut lex_g2) = (0f32, 0f32);
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    let class_weight = |label: bool| -> f32 {
        if !options.balance || positives == 0 || negatives == 0 {
            return 1.0;
        }
        let n = labels.len() as f32;
        if label {
            n / (2.0 * positives as f32)
        } else {
            n / (2.0 * negatives as f32)
        }
    };
    let mut order: Vec<usize> = (0..feats.len()).collect();
    let mut rng = SplitMix(options.seed);
    let lr = options.learning_rate;
    for _ in 0..options.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let x = &feats[i];
            let lex = lexicon[i];
            let z = bias + lex_w * lex + x.iter().map(|&(k, v)| w[k as usize] * v).sum::<f32>();
            let y = if labels[i] { 1.0 } else { 0.0 };
            let g = (sigmoid(z) - y) * class_weight(labels[i]);
            for &(k, v) in x {
                let k = k as usize;
                let grad = g * v + options.l2 * w[k];
                g2[k] += grad * grad;
                w[k] -= lr * grad / (g2[k].sqrt() + 1e-6);
            }
            bias_g2 += g * g;
            bias -= lr * g / (bias_g2.sqrt() + 1e-6);
            let lg = g * lex;
            lex_g2 += lg * lg;
            lex_w -= lr * lg / (lex_g2.sqrt() + 1e-6);
        }
    }
    Fitted {
        bias,
        lexicon_weight: lex_w,
        weights: w,
    }
}

impl LogisticModel {
    /// Fits a model on `examples` with labels `labels` (true = positive).
    pub fn train(examples: &[Example], labels: &[bool], options: &TrainOptions) -> Self {
        // Features once, up front: the epochs then only do arithmetic.
        let feats: Vec<Features> = examples
            .iter()
            .map(|e| match options.features {
                FeatureSet::V1 => {
                    let mut buf = Vec::new();
                    features(e.tokens, options.bits, options.ngram_max, &mut buf);
                    buf
                }
                FeatureSet::V2 => features_v2(
                    &Input {
                        tokens: e.tokens,
                        focus: &[],
                        tags: &[],
                        lexicon: e.lexicon,
                    },
                    options.bits,
                    options.ngram_max,
                ),
            })
            .collect();
        let lexicon: Vec<f32> = examples.iter().map(|e| e.lexicon).collect();
        Self::train_features(&feats, &lexicon, labels, false, options)
    }

    /// Fits a model on features made by [`features_v2`] (or `v1`'s, as
    /// `options.features` says); `focus`: whether they hold a focus part.
    pub fn train_features(
        feats: &[Features],
        lexicon: &[f32],
        labels: &[bool],
        focus: bool,
        options: &TrainOptions,
    ) -> Self {
        let dims = 1usize << options.bits;
        let positives = labels.iter().filter(|l| **l).count();
        let nb = options.nb_scaling && options.features == FeatureSet::V2;
        let fitted = if nb {
            let r = log_count_ratios(feats, labels, dims);
            let scaled: Vec<Features> = feats
                .iter()
                .map(|x| x.iter().map(|&(k, v)| (k, v * r[k as usize])).collect())
                .collect();
            let mut fitted = fit(&scaled, lexicon, labels, options);
            // w · (r ∘ x) = (w ∘ r) · x: scoring needs no ratios.
            fitted.weights.iter_mut().zip(&r).for_each(|(w, r)| *w *= r);
            fitted
        } else {
            fit(feats, lexicon, labels, options)
        };
        LogisticModel {
            format: FORMAT.to_string(),
            bits: options.bits,
            ngram_max: options.ngram_max,
            trained_on: (positives, labels.len() - positives),
            bias: fitted.bias,
            lexicon_weight: fitted.lexicon_weight,
            weights: fitted.weights,
            features: options.features,
            focus,
            positive: None,
        }
    }

    /// The features this model reads of `input` (a `v1` model reads its tokens only).
    pub fn features_of(&self, input: &Input) -> Features {
        match self.features {
            FeatureSet::V1 => {
                let mut buf = Vec::new();
                features(input.tokens, self.bits, self.ngram_max, &mut buf);
                buf
            }
            FeatureSet::V2 => features_v2(input, self.bits, self.ngram_max),
        }
    }

    /// The linear score (log-odds) of features made by [`Self::features_of`].
    pub fn margin(&self, feats: &[(u32, f32)], lexicon: f32) -> f32 {
        linear(
            self.bias,
            self.lexicon_weight,
            &self.weights,
            feats,
            lexicon,
        )
    }

    /// Probability of the model's positive label for `input`.
    pub fn probability_input(&self, input: &Input) -> f32 {
        sigmoid(self.margin(&self.features_of(input), input.lexicon))
    }

    /// The input a single text makes: its own focus when the model was trained with one.
    fn single<'a>(&self, example: &Example<'a>) -> Input<'a> {
        Input {
            tokens: example.tokens,
            focus: if self.focus { example.tokens } else { &[] },
            tags: &[],
            lexicon: example.lexicon,
        }
    }

    /// Probability that the text is positive.
    pub fn probability(&self, example: &Example) -> f32 {
        self.probability_input(&self.single(example))
    }

    /// The class (0 negative, 1 neutral, 2 positive) and probabilities (negative,
    /// positive) of a three-class model; `None` for a two-class one.
    pub fn three_classes(&self, input: &Input) -> Option<(usize, f32, f32)> {
        let head = self.positive.as_ref()?;
        let feats = self.features_of(input);
        // The model's own weights say "not negative".
        let p_negative = 1.0 - sigmoid(self.margin(&feats, input.lexicon));
        let p_positive = sigmoid(linear(
            head.bias,
            head.lexicon_weight,
            &head.weights,
            &feats,
            input.lexicon,
        ));
        let class = if p_negative >= head.negative_at
            && p_negative - head.negative_at >= p_positive - head.positive_at
        {
            0
        } else if p_positive >= head.positive_at {
            2
        } else {
            1
        };
        Some((class, p_negative, p_positive))
    }

    /// Score in [-1, 1] (2p − 1), comparable with the lexicon's. A three-class model's
    /// score falls in the label band of its class (beyond ±0.1 for negative and
    /// positive, growing with the probability; inside it for neutral).
    pub fn score(&self, example: &Example) -> f32 {
        let input = self.single(example);
        match self.three_classes(&input) {
            None => 2.0 * self.probability_input(&input) - 1.0,
            Some((0, p_negative, _)) => -(0.1 + 0.9 * p_negative),
            Some((2, _, p_positive)) => 0.1 + 0.9 * p_positive,
            Some((_, p_negative, p_positive)) => 0.09 * (p_positive - p_negative),
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        // Four decimals are plenty for a weight and keep the file a third of the size.
        let round =
            |ws: &[f32]| -> Vec<f32> { ws.iter().map(|w| (w * 1e4).round() / 1e4).collect() };
        let rounded = LogisticModel {
            weights: round(&self.weights),
            positive: self.positive.as_ref().map(|h| PositiveHead {
                weights: round(&h.weights),
                ..h.clone()
            }),
            ..self.clone()
        };
        let json = serde_json::to_vec(&rounded).map_err(std::io::Error::other)?;
        voc_core::fsutil::write_atomic(path, &json)
    }

    pub fn load(path: &Path) -> Result<Self, ClassifyError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ClassifyError::Read {
            path: file.clone(),
            source,
        })?;
        let model: LogisticModel =
            serde_json::from_slice(&bytes).map_err(|e| ClassifyError::Line {
                file: file.clone(),
                line: e.line(),
                message: format!("not a sentiment model: {e}"),
            })?;
        if model.format != FORMAT {
            return Err(ClassifyError::File {
                file,
                message: format!(
                    "format {:?}: expected {FORMAT:?} (train it again with `voc sentiment train`)",
                    model.format
                ),
            });
        }
        let head_len = model.positive.as_ref().map(|h| h.weights.len());
        if model.bits > 26
            || model.weights.len() != 1usize << model.bits
            || head_len.is_some_and(|n| n != model.weights.len())
        {
            return Err(ClassifyError::File {
                file,
                message: format!(
                    "expected 2^{} = {} weights, found {}",
                    model.bits,
                    1u64 << model.bits.min(63),
                    model.weights.len()
                ),
            });
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<Token> {
        s.chars().map(|c| Token::from(c.to_string())).collect()
    }

    #[test]
    fn learns_a_separable_toy_problem_and_round_trips() {
        let pos = ["味道很好", "送得很快", "好吃不贵", "服务很好"];
        let neg = ["太难吃了", "送得太慢", "又贵又难吃", "服务太差"];
        let toks: Vec<Vec<Token>> = pos.iter().chain(&neg).map(|s| chars(s)).collect();
        let examples: Vec<Example> = toks
            .iter()
            .map(|t| Example {
                tokens: t,
                lexicon: 0.0,
            })
            .collect();
        let labels: Vec<bool> = (0..8).map(|i| i < 4).collect();
        let options = TrainOptions {
            bits: 12,
            epochs: 30,
            ..Default::default()
        };
        let model = LogisticModel::train(&examples, &labels, &options);
        assert_eq!(model.trained_on, (4, 4));
        for (e, l) in examples.iter().zip(&labels) {
            assert_eq!(model.score(e) > 0.0, *l);
        }
        let unseen = chars("很好吃");
        assert!(
            model.score(&Example {
                tokens: &unseen,
                lexicon: 0.0
            }) > 0.0
        );
        // The same seed gives the same model.
        assert_eq!(model, LogisticModel::train(&examples, &labels, &options));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        model.save(&path).unwrap();
        let loaded = LogisticModel::load(&path).unwrap();
        for e in &examples {
            assert!((loaded.score(e) - model.score(e)).abs() < 0.01);
        }
    }

    #[test]
    fn bad_model_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, "{\"format\": 3}").unwrap();
        let err = LogisticModel::load(&path).unwrap_err().to_string();
        assert!(err.contains("m.json:1: not a sentiment model"), "{err}");
        std::fs::write(
            &path,
            r#"{"format":"voc-sentiment-logreg/1","bits":4,"ngram_max":3,"trained_on":[1,1],"bias":0,"lexicon_weight":0,"weights":[0.5]}"#,
        )
        .unwrap();
        let err = LogisticModel::load(&path).unwrap_err().to_string();
        assert!(err.contains("expected 2^4 = 16 weights, found 1"), "{err}");
    }
}
