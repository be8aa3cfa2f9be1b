//! Three-class sentiment measurement (issue 28): labelled texts and labelled dialogues,
//! accuracy, macro-F1 and per-class recall of the lexicon and of trained models, within
//! a corpus (k-fold) and across corpora.
//!
//! Two shapes are read: a CSV of text + label (`1/0`, `positive/neutral/negative`, …;
//! [`crate::eval::read_labels`]'s columns) and a JSONL of contacts with a satisfaction
//! score (`{"turns": [{"speaker", "text"}], "S": -2…2}`, the STC-3 shape). A
//! dialogue's label comes from its score: with two classes negative is `S < 0`, with
//! three negative is `S <= -0.5` and positive `S >= 0.5`.
//!
//! A prediction with no opinion is neutral. In a two-class measurement the question is
//! "negative or not": neutral counts as not negative, for the prediction as for the
//! labels of a dialogue corpus.

use std::path::Path;
use voc_core::{Contact, Speaker, Token, Turn, TurnTokens};

use crate::ClassifyError;
use crate::category_eval::{TEXT_COLUMNS, find_column};
use crate::model::{
    Features, Input, LogisticModel, PositiveHead, SplitMix, TrainOptions, features_v2, kfold_splits,
};
use crate::sentiment::SentimentModel;

/// Negative, neutral, positive: indexes of [`crate::sentiment::LABELS`].
pub type Class = usize;
pub const NEGATIVE: Class = 0;
pub const NEUTRAL: Class = 1;
pub const POSITIVE: Class = 2;

/// How a score becomes a class.
pub fn class_of(score: f32) -> Class {
    match crate::sentiment::label(score) {
        "negative" => NEGATIVE,
        "positive" => POSITIVE,
        _ => NEUTRAL,
    }
}

/// One labelled item: a contact with its tokens (a review is one customer turn).
pub struct Item {
    pub contact: Contact,
    pub tokens: Vec<TurnTokens>,
    pub class: Class,
}

impl Item {
    /// The customer's side: the tokens of every customer turn and note, in order (what
    /// a trained model sees: agents' scripted politeness says nothing of the customer).
    pub fn customer_tokens(&self) -> Vec<Token> {
        let mut out = Vec::new();
        for (turn, toks) in self.contact.turns.iter().zip(&self.tokens) {
            if turn.speaker != Speaker::Agent {
                if !out.is_empty() {
                    out.push(Token::from("。"));
                }
                out.extend(toks.iter().cloned());
            }
        }
        out
    }

    /// The customer's last turn with any token (a review is its own last turn).
    pub fn last_customer_tokens(&self) -> &[Token] {
        self.contact
            .turns
            .iter()
            .zip(&self.tokens)
            .rev()
            .find(|(turn, toks)| turn.speaker != Speaker::Agent && !toks.is_empty())
            .map_or(&[], |(_, toks)| toks.as_slice())
    }

    /// Facts of the dialogue's shape a model reads as tags: how many customer turns
    /// (1, 2, 3, 4 or more) and who spoke last.
    pub fn shape_tags(&self) -> Vec<String> {
        let turns = &self.contact.turns;
        let customer = turns.iter().filter(|t| t.speaker != Speaker::Agent).count();
        let mut tags = vec![format!("customer_turns={}", customer.min(4))];
        if turns.len() > 1 {
            let last = turns.last().map_or("", |t| {
                if t.speaker == Speaker::Agent {
                    "agent"
                } else {
                    "customer"
                }
            });
            tags.push(format!("last_speaker={last}"));
        }
        tags
    }
}

/// A labelled corpus of texts or dialogues, tokenized once.
pub struct Corpus3 {
    pub name: String,
    pub items: Vec<Item>,
    /// Whether the labels have a neutral class (three-class dialogues, or a CSV with
    /// neutral rows).
    pub three_classes: bool,
}

/// How many classes to read a dialogue's satisfaction score as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classes {
    Two,
    Three,
}

/// The class of satisfaction score `s` on −2…2.
pub fn class_of_satisfaction(s: f64, classes: Classes) -> Class {
    match classes {
        Classes::Two if s < 0.0 => NEGATIVE,
        Classes::Two => POSITIVE,
        Classes::Three if s <= -0.5 => NEGATIVE,
        Classes::Three if s >= 0.5 => POSITIVE,
        Classes::Three => NEUTRAL,
    }
}

fn contact_of(id: String, turns: Vec<Turn>) -> Contact {
    Contact::new(
        id,
        chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        "text",
        turns,
    )
}

impl Corpus3 {
    /// Reads `path`: JSONL (`.jsonl`, `.json`) as contacts with a satisfaction score,
    /// anything else as a CSV of text + label.
    pub fn load(
        path: &Path,
        classes: Classes,
        satisfaction_field: &str,
        tokenize: &dyn Fn(&str) -> TurnTokens,
    ) -> Result<Self, ClassifyError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        );
        let is_jsonl = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "json" | "ndjson")
        );
        if is_jsonl {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| ClassifyError::Read {
                path: file.clone(),
                source,
            })?;
            let items = parse_dialogues(&text, &file, classes, satisfaction_field, tokenize)?;
            return Ok(Corpus3 {
                name,
                items,
                three_classes: classes == Classes::Three,
            });
        }
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ClassifyError::Read {
            path: file.clone(),
            source,
        })?;
        let (texts, labels) = parse_labels3(&bytes, &file)?;
        let three_classes = labels.contains(&NEUTRAL);
        let items = texts
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (text, class))| Item {
                contact: contact_of(
                    i.to_string(),
                    vec![Turn {
                        speaker: Speaker::Customer,
                        text: text.clone(),
                    }],
                ),
                tokens: vec![tokenize(text)],
                class,
            })
            .collect();
        Ok(Corpus3 {
            name,
            items,
            three_classes,
        })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items per class.
    pub fn counts(&self) -> [usize; 3] {
        let mut out = [0; 3];
        self.items.iter().for_each(|i| out[i.class] += 1);
        out
    }
}

/// Columns holding the label, first found wins (`sentiment_value`: the public car-review
/// set's, −1/0/1).
const LABEL_COLUMNS: &[&str] = &[
    "label",
    "sentiment",
    "sentiment_value",
    "polarity",
    "情感",
    "情感倾向",
    "极性",
    "标签",
];

/// Parses a CSV of text + label, as [`crate::eval::parse_labels`] does, with a neutral
/// label too (`neutral`, `中性`). Labels are 1/0 (positive/negative), or −1/0/1 when any
/// row says −1 (then 0 is neutral), or words (positive/negative/neutral, 正面/负面/中性,
/// 积极/消极/中立, 好评/差评). Rows with an empty text are left out.
pub fn parse_labels3(bytes: &[u8], file: &str) -> Result<(Vec<String>, Vec<Class>), ClassifyError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let line_err = |line: u64, message: String| ClassifyError::Line {
        file: file.to_string(),
        line: line as usize,
        message,
    };
    let clean = |s: &str| s.replace('\u{feff}', "").trim().to_string();
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| line_err(1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| clean(h).to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| find_column(&headers, names);
    let label_col = find(LABEL_COLUMNS).ok_or_else(|| {
        line_err(
            1,
            format!(
                "expected a label column ({}), found {headers:?}",
                LABEL_COLUMNS.join(", ")
            ),
        )
    })?;
    let text_col = find(TEXT_COLUMNS).ok_or_else(|| {
        line_err(
            1,
            format!(
                "expected a text column ({}), found {headers:?}",
                TEXT_COLUMNS.join(", ")
            ),
        )
    })?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            line_err(line, format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let label = clean(record.get(label_col).unwrap_or(""))
            .to_lowercase()
            .replace('−', "-");
        rows.push((line, label, clean(record.get(text_col).unwrap_or(""))));
    }
    // −1/0/1 files say so with their −1s: there 0 is neutral, not negative.
    let signed = rows.iter().any(|(_, label, _)| label == "-1");
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (line, label, text) in rows {
        let class = match label.as_str() {
            "1" | "+1" | "positive" | "pos" | "正面" | "积极" | "正向" | "好评" => POSITIVE,
            "0" if signed => NEUTRAL,
            "-1" | "0" | "negative" | "neg" | "负面" | "消极" | "负向" | "差评" => NEGATIVE,
            "neutral" | "neu" | "中性" | "中立" => NEUTRAL,
            other => {
                return Err(line_err(
                    line,
                    format!(
                        "label {other:?}: expected 1/0, -1/0/1, positive/negative/neutral or 正面/负面/中性"
                    ),
                ));
            }
        };
        if !text.is_empty() {
            texts.push(text);
            labels.push(class);
        }
    }
    Ok((texts, labels))
}

/// Parses JSONL dialogues: `turns` (speaker `customer`/`agent`/`note`, text) and a
/// numeric satisfaction field; errors name the line and the field.
pub fn parse_dialogues(
    text: &str,
    file: &str,
    classes: Classes,
    satisfaction_field: &str,
    tokenize: &dyn Fn(&str) -> TurnTokens,
) -> Result<Vec<Item>, ClassifyError> {
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ClassifyError::Line {
            file: file.to_string(),
            line: i + 1,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| err(format!("not JSON: {e}")))?;
        let s = value
            .get(satisfaction_field)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| err(format!("field `{satisfaction_field}`: expected a number")))?;
        let turns_json = value
            .get("turns")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| err("field `turns`: expected a list of {speaker, text}".into()))?;
        let mut turns = Vec::with_capacity(turns_json.len());
        for (t, turn) in turns_json.iter().enumerate() {
            let speaker = match turn.get("speaker").and_then(serde_json::Value::as_str) {
                Some("customer" | "user" | "客户") => Speaker::Customer,
                Some("agent" | "helpdesk" | "客服") => Speaker::Agent,
                Some("note") => Speaker::Note,
                other => {
                    return Err(err(format!(
                        "turns[{t}].speaker {other:?}: expected customer, agent or note"
                    )));
                }
            };
            let text = turn
                .get("text")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| err(format!("turns[{t}].text: expected a string")))?;
            turns.push(Turn {
                speaker,
                text: text.to_string(),
            });
        }
        let id = value
            .get("id")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_else(|| (i + 1).to_string());
        let tokens = turns.iter().map(|t| tokenize(&t.text)).collect();
        items.push(Item {
            contact: contact_of(id, turns),
            tokens,
            class: class_of_satisfaction(s, classes),
        });
    }
    Ok(items)
}

/// A confusion matrix: `[gold][predicted]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Confusion(pub [[usize; 3]; 3]);

impl Confusion {
    pub fn add(&mut self, gold: Class, predicted: Class) {
        self.0[gold][predicted] += 1;
    }

    pub fn merge(&mut self, other: &Confusion) {
        for g in 0..3 {
            for p in 0..3 {
                self.0[g][p] += other.0[g][p];
            }
        }
    }

    pub fn n(&self) -> usize {
        self.0.iter().flatten().sum()
    }

    pub fn accuracy(&self) -> f64 {
        ratio((0..3).map(|c| self.0[c][c]).sum(), self.n())
    }

    /// Recall of class `c`; `None` when no item has it.
    pub fn recall(&self, c: Class) -> Option<f64> {
        let gold: usize = self.0[c].iter().sum();
        (gold > 0).then(|| ratio(self.0[c][c], gold))
    }

    fn f1(&self, c: Class) -> f64 {
        let tp = self.0[c][c] as f64;
        let predicted: usize = (0..3).map(|g| self.0[g][c]).sum();
        let gold: usize = self.0[c].iter().sum();
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (predicted + gold) as f64
        }
    }

    /// Mean F1 over the classes the labels have.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<Class> = (0..3)
            .filter(|&c| self.0[c].iter().sum::<usize>() > 0)
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|&c| self.f1(c)).sum::<f64>() / present.len() as f64
    }

    /// The two-class view: negative or not.
    pub fn negative_or_not(&self) -> Confusion {
        let mut out = Confusion::default();
        for g in 0..3 {
            for p in 0..3 {
                let side = |c: Class| if c == NEGATIVE { NEGATIVE } else { POSITIVE };
                out.0[side(g)][side(p)] += self.0[g][p];
            }
        }
        out
    }

    /// Share of predictions that were neutral.
    pub fn neutral_share(&self) -> f64 {
        ratio((0..3).map(|g| self.0[g][NEUTRAL]).sum(), self.n())
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The lexicon's (or the sentiment model's) confusions on a corpus: three classes by
/// the label, and negative or not by the score's sign (a forced choice: any lean
/// below 0 is negative; no opinion at all is not).
pub fn untrained(model: &SentimentModel, corpus: &Corpus3) -> (Confusion, Confusion) {
    let mut three = Confusion::default();
    let mut two = Confusion::default();
    for item in &corpus.items {
        let score = model.read_contact(&item.contact, &item.tokens).score;
        three.add(item.class, class_of(score));
        let gold = if item.class == NEGATIVE {
            NEGATIVE
        } else {
            POSITIVE
        };
        two.add(gold, if score < 0.0 { NEGATIVE } else { POSITIVE });
    }
    (three, two)
}

/// A trained model for two or three classes: one logistic regression per class against
/// the rest (negative; positive), over the customer side's n-grams, words and bigrams,
/// the customer's last turn again (focus), the dialogue's shape (tags) and the
/// lexicon's contact score; with the probabilities at which each class is called and
/// the L2 penalty chosen on an inner split of the training rows.
pub struct TrainedClasses {
    pub negative: LogisticModel,
    /// Only with three classes.
    pub positive: Option<LogisticModel>,
    pub negative_at: f32,
    pub positive_at: f32,
    pub inner: InnerReport,
}

/// What the inner split chose (never the rows a fold tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct InnerReport {
    pub l2: f32,
    pub negative_at: f32,
    pub positive_at: f32,
    /// The inner held-out figure at that choice: accuracy (two classes) or macro-F1.
    pub figure: f64,
}

/// L2 penalties tried on the inner split.
const L2_GRID: [f32; 3] = [1e-6, 1e-5, 1e-4];
/// Probabilities tried as the point where a class is called.
const CLASS_AT: [f32; 9] = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7];

fn decide_class(
    p_negative: f32,
    p_positive: Option<f32>,
    negative_at: f32,
    positive_at: f32,
) -> Class {
    match p_positive {
        None if p_negative >= negative_at => NEGATIVE,
        None => POSITIVE,
        Some(p_positive) => {
            if p_negative >= negative_at && p_negative - negative_at >= p_positive - positive_at {
                NEGATIVE
            } else if p_positive >= positive_at {
                POSITIVE
            } else {
                NEUTRAL
            }
        }
    }
}

impl TrainedClasses {
    fn probabilities(&self, feats: &[(u32, f32)], lexicon: f32) -> (f32, Option<f32>) {
        let p = |m: &LogisticModel| 1.0 / (1.0 + (-m.margin(feats, lexicon)).exp());
        (p(&self.negative), self.positive.as_ref().map(p))
    }

    /// The class of an item's features (from [`prepare`]'s recipe).
    pub fn predict_features(&self, feats: &[(u32, f32)], lexicon: f32) -> Class {
        let (n, p) = self.probabilities(feats, lexicon);
        decide_class(n, p, self.negative_at, self.positive_at)
    }

    /// The class of one text (a review, or a turn: its own focus, no dialogue tags).
    pub fn predict(&self, tokens: &[Token], lexicon: f32) -> Class {
        let input = Input {
            tokens,
            focus: tokens,
            tags: &[],
            lexicon,
        };
        self.predict_features(&self.negative.features_of(&input), lexicon)
    }

    /// The model `[classify] sentiment_model` loads: its own weights say "not negative"
    /// (a score below 0 is negative), and with three classes the positive head and the
    /// thresholds ride along, so `voc run` labels each turn in three classes.
    pub fn into_model(self) -> LogisticModel {
        let mut model = self.negative;
        model.bias = -model.bias;
        model.lexicon_weight = -model.lexicon_weight;
        model.weights.iter_mut().for_each(|w| *w = -*w);
        let (negatives, others) = model.trained_on;
        model.trained_on = (others, negatives);
        model.positive = self.positive.map(|p| PositiveHead {
            bias: p.bias,
            lexicon_weight: p.lexicon_weight,
            weights: p.weights,
            negative_at: self.negative_at,
            positive_at: self.positive_at,
        });
        model
    }
}

/// What the trained models read of each item, prepared once.
struct Prepared {
    feats: Vec<Features>,
    lexicon: Vec<f32>,
}

fn prepare(model: &SentimentModel, corpus: &Corpus3, options: &TrainOptions) -> Prepared {
    let lexicon: Vec<f32> = corpus
        .items
        .iter()
        .map(|i| model.read_contact(&i.contact, &i.tokens).score)
        .collect();
    let feats = corpus
        .items
        .iter()
        .zip(&lexicon)
        .map(|(item, &lexicon)| {
            let tokens = item.customer_tokens();
            let tags = item.shape_tags();
            features_v2(
                &Input {
                    tokens: &tokens,
                    focus: item.last_customer_tokens(),
                    tags: &tags,
                    lexicon,
                },
                options.bits,
                options.ngram_max,
            )
        })
        .collect();
    Prepared { feats, lexicon }
}

/// Fits the class models on `rows` with fixed settings.
fn fit_fixed(
    corpus: &Corpus3,
    prepared: &Prepared,
    rows: &[usize],
    options: &TrainOptions,
) -> (LogisticModel, Option<LogisticModel>) {
    let feats: Vec<Features> = rows.iter().map(|&i| prepared.feats[i].clone()).collect();
    let lexicon: Vec<f32> = rows.iter().map(|&i| prepared.lexicon[i]).collect();
    let labels = |class: Class| -> Vec<bool> {
        rows.iter()
            .map(|&i| corpus.items[i].class == class)
            .collect()
    };
    // The negative model learns "negative" as its positive label.
    let negative =
        LogisticModel::train_features(&feats, &lexicon, &labels(NEGATIVE), true, options);
    let positive = corpus
        .three_classes
        .then(|| LogisticModel::train_features(&feats, &lexicon, &labels(POSITIVE), true, options));
    (negative, positive)
}

/// Fits on `rows`: the L2 penalty and the class thresholds are chosen on a fifth of
/// those rows held out (models fitted on the rest), then the models are fitted on all.
fn fit(
    corpus: &Corpus3,
    prepared: &Prepared,
    rows: &[usize],
    options: &TrainOptions,
) -> TrainedClasses {
    let mut shuffled = rows.to_vec();
    SplitMix(options.seed ^ 0x0069_6e6e_6572).shuffle(&mut shuffled);
    let (held, rest) = shuffled.split_at(rows.len() / 5);
    let mut best = InnerReport {
        l2: options.l2,
        negative_at: 0.5,
        positive_at: 0.5,
        figure: f64::MIN,
    };
    if !held.is_empty() {
        for l2 in L2_GRID {
            let inner_options = TrainOptions { l2, ..*options };
            let (negative, positive) = fit_fixed(corpus, prepared, rest, &inner_options);
            let trial = TrainedClasses {
                negative,
                positive,
                negative_at: 0.5,
                positive_at: 0.5,
                inner: InnerReport::default(),
            };
            let probabilities: Vec<(f32, Option<f32>)> = held
                .iter()
                .map(|&i| trial.probabilities(&prepared.feats[i], prepared.lexicon[i]))
                .collect();
            let positive_grid: &[f32] = if trial.positive.is_some() {
                &CLASS_AT
            } else {
                &[0.5]
            };
            for negative_at in CLASS_AT {
                for &positive_at in positive_grid {
                    let mut c = Confusion::default();
                    for (&i, &(n, p)) in held.iter().zip(&probabilities) {
                        c.add(
                            corpus.items[i].class,
                            decide_class(n, p, negative_at, positive_at),
                        );
                    }
                    let figure = if corpus.three_classes {
                        c.macro_f1()
                    } else {
                        c.accuracy()
                    };
                    if figure > best.figure {
                        best = InnerReport {
                            l2,
                            negative_at,
                            positive_at,
                            figure,
                        };
                    }
                }
            }
        }
    }
    let chosen = TrainOptions {
        l2: best.l2,
        ..*options
    };
    let (negative, positive) = fit_fixed(corpus, prepared, rows, &chosen);
    TrainedClasses {
        negative,
        positive,
        negative_at: best.negative_at,
        positive_at: best.positive_at,
        inner: best,
    }
}

fn test(
    trained: &TrainedClasses,
    corpus: &Corpus3,
    prepared: &Prepared,
    rows: &[usize],
) -> Confusion {
    let mut out = Confusion::default();
    for &i in rows {
        let predicted = trained.predict_features(&prepared.feats[i], prepared.lexicon[i]);
        out.add(corpus.items[i].class, predicted);
    }
    out
}

/// Trains on the whole corpus.
pub fn train(model: &SentimentModel, corpus: &Corpus3, options: &TrainOptions) -> TrainedClasses {
    let prepared = prepare(model, corpus, options);
    let rows: Vec<usize> = (0..corpus.len()).collect();
    fit(corpus, &prepared, &rows, options)
}

/// k-fold cross-validation (rows shuffled with the options' seed): the pooled confusion
/// and what each fold's inner split chose.
pub fn kfold_with_choices(
    model: &SentimentModel,
    corpus: &Corpus3,
    k: usize,
    options: &TrainOptions,
) -> (Confusion, Vec<InnerReport>) {
    let k = k.max(2);
    let prepared = prepare(model, corpus, options);
    let mut pooled = Confusion::default();
    let mut choices = Vec::new();
    for (train, tested) in kfold_splits(corpus.len(), k, options.seed) {
        let trained = fit(corpus, &prepared, &train, options);
        pooled.merge(&test(&trained, corpus, &prepared, &tested));
        choices.push(trained.inner);
    }
    (pooled, choices)
}

/// k-fold cross-validation: the pooled confusion.
pub fn kfold(
    model: &SentimentModel,
    corpus: &Corpus3,
    k: usize,
    options: &TrainOptions,
) -> Confusion {
    kfold_with_choices(model, corpus, k, options).0
}

/// Trained on all of `train`, tested on all of `test` (negative or not when either has
/// two classes only).
pub fn cross(
    model: &SentimentModel,
    train_on: &Corpus3,
    test_on: &Corpus3,
    options: &TrainOptions,
) -> Confusion {
    let trained = train(model, train_on, options);
    let prepared = prepare(model, test_on, options);
    let rows: Vec<usize> = (0..test_on.len()).collect();
    test(&trained, test_on, &prepared, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> TurnTokens {
        s.chars()
            .map(|c| Token::from(c.to_string().as_str()))
            .collect()
    }

    /// Label files as people have them: 1/0, −1/0/1 (0 is then neutral, as in the
    /// public car-review set's `sentiment_value`), Chinese words.
    #[test]
    fn label_encodings() {
        let (_, labels) = parse_labels3("label,review\n1,a\n0,b\n".as_bytes(), "x.csv").unwrap();
        assert_eq!(labels, vec![POSITIVE, NEGATIVE]);
        let csv =
            "content_id,content,subject,sentiment_value\n1,a,动力,0\n2,b,油耗,-1\n3,c,空间,1\n";
        let (texts, labels) = parse_labels3(csv.as_bytes(), "car.csv").unwrap();
        assert_eq!(texts, vec!["a", "b", "c"]);
        assert_eq!(labels, vec![NEUTRAL, NEGATIVE, POSITIVE]);
        let csv = "文本,情感\nx,积极\ny,消极\nz,中立\nw,差评\n";
        let (_, labels) = parse_labels3(csv.as_bytes(), "zh.csv").unwrap();
        assert_eq!(labels, vec![POSITIVE, NEGATIVE, NEUTRAL, NEGATIVE]);
        let err = parse_labels3("label,text\n1,a\n5,b\n".as_bytes(), "x.csv").unwrap_err();
        assert!(
            err.to_string().contains("x.csv") && err.to_string().contains("\"5\""),
            "{err}"
        );
    }

    #[test]
    fn satisfaction_thresholds() {
        assert_eq!(class_of_satisfaction(-0.1, Classes::Two), NEGATIVE);
        assert_eq!(class_of_satisfaction(0.0, Classes::Two), POSITIVE);
        assert_eq!(class_of_satisfaction(-0.5, Classes::Three), NEGATIVE);
        assert_eq!(class_of_satisfaction(-0.4, Classes::Three), NEUTRAL);
        assert_eq!(class_of_satisfaction(0.5, Classes::Three), POSITIVE);
    }

    #[test]
    fn dialogues_parse_and_errors_name_line_and_field() {
        let text = "{\"id\":\"1\",\"turns\":[{\"speaker\":\"customer\",\"text\":\"太差\"},{\"speaker\":\"agent\",\"text\":\"抱歉\"}],\"S\":-1.2}\n\n{\"turns\":[],\"S\":1}\n";
        let items = parse_dialogues(text, "d.jsonl", Classes::Three, "S", &chars).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].class, NEGATIVE);
        assert_eq!(items[1].class, POSITIVE);
        assert_eq!(items[0].customer_tokens(), chars("太差"));
        let err = parse_dialogues("{\"turns\":[]}\n", "d.jsonl", Classes::Two, "S", &chars)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(err, "d.jsonl:1: field `S`: expected a number");
        let err = parse_dialogues(
            "{\"S\":1,\"turns\":[{\"speaker\":\"bot\",\"text\":\"x\"}]}",
            "d.jsonl",
            Classes::Two,
            "S",
            &chars,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.starts_with("d.jsonl:1: turns[0].speaker"), "{err}");
    }

    #[test]
    fn confusion_metrics() {
        let mut c = Confusion::default();
        c.add(NEGATIVE, NEGATIVE);
        c.add(NEGATIVE, NEUTRAL);
        c.add(POSITIVE, POSITIVE);
        c.add(NEUTRAL, NEUTRAL);
        assert_eq!(c.accuracy(), 0.75);
        assert_eq!(c.recall(NEGATIVE), Some(0.5));
        assert_eq!(c.recall(POSITIVE), Some(1.0));
        // F1: negative 2/3, neutral 2/3, positive 1.
        assert!((c.macro_f1() - (2.0 / 3.0 + 2.0 / 3.0 + 1.0) / 3.0).abs() < 1e-9);
        let two = c.negative_or_not();
        assert_eq!(two.accuracy(), 0.75);
        assert_eq!(two.recall(NEUTRAL), None);
    }
}
