//! Labelled text for training and measuring sentiment: reading `label,review` CSV files
//! (the format of the public review corpora the project evaluates on), accuracy of the
//! lexicon, k-fold and cross-corpus accuracy of the trained model.
//!
//! Accuracy is binary (the corpora have positive and negative labels only): a score
//! above 0 predicts positive, below 0 negative. A text with no opinion word at all
//! scores exactly 0; it is predicted negative — a message to a service desk without any
//! opinion word is more often a complaint than praise — and counted in `undecided` so
//! the report can say how many there were.

use std::path::Path;
use voc_core::TurnTokens;

use crate::ClassifyError;
use crate::model::{Example, LogisticModel, TrainOptions, kfold_splits};
use crate::sentiment::SentimentModel;

/// Labelled texts read from a CSV file.
#[derive(Debug, Clone, Default)]
pub struct LabeledSet {
    pub texts: Vec<String>,
    /// true = positive.
    pub labels: Vec<bool>,
    /// Rows left out because their text was empty.
    pub skipped_empty: usize,
}

/// Reads a CSV with a header naming a `label` column (1/0, positive/negative, pos/neg)
/// and a text column (`review`, `text` or `content`); other columns are ignored. Byte
/// order marks are removed wherever they stand (the corpora have stray ones in fields).
pub fn read_labels(path: &Path) -> Result<LabeledSet, ClassifyError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ClassifyError::Read {
        path: file.clone(),
        source,
    })?;
    parse_labels(&bytes, &file)
}

pub fn parse_labels(bytes: &[u8], file: &str) -> Result<LabeledSet, ClassifyError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let line_err = |line: u64, message: String| ClassifyError::Line {
        file: file.to_string(),
        line: line as usize,
        message,
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| line_err(1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| clean(h).to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let label_col = find(&["label"]).ok_or_else(|| {
        line_err(
            1,
            format!("expected a `label` column in the header, found {headers:?}"),
        )
    })?;
    let text_col = find(&["review", "text", "content"]).ok_or_else(|| {
        line_err(
            1,
            format!("expected a `review`, `text` or `content` column, found {headers:?}"),
        )
    })?;
    let mut set = LabeledSet::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            line_err(line, format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let label = clean(record.get(label_col).unwrap_or(""));
        let positive = match label.to_ascii_lowercase().as_str() {
            "1" | "positive" | "pos" | "正面" => true,
            "0" | "negative" | "neg" | "负面" => false,
            other => {
                return Err(line_err(
                    line,
                    format!("label {other:?}: expected 1/0, positive/negative or pos/neg"),
                ));
            }
        };
        let text = clean(record.get(text_col).unwrap_or(""));
        if text.is_empty() {
            set.skipped_empty += 1;
            continue;
        }
        set.texts.push(text);
        set.labels.push(positive);
    }
    Ok(set)
}

fn clean(s: &str) -> String {
    s.replace('\u{feff}', "").trim().to_string()
}

/// A labelled corpus, tokenized once.
pub struct Corpus {
    pub name: String,
    pub tokens: Vec<TurnTokens>,
    pub labels: Vec<bool>,
    pub skipped_empty: usize,
}

impl Corpus {
    pub fn load(path: &Path, tokenize: &dyn Fn(&str) -> TurnTokens) -> Result<Self, ClassifyError> {
        let set = read_labels(path)?;
        Ok(Corpus {
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().to_string(),
            ),
            tokens: set.texts.iter().map(|t| tokenize(t)).collect(),
            labels: set.labels,
            skipped_empty: set.skipped_empty,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|l| **l).count()
    }

    /// Every `step`-th row, for quick checks in debug builds.
    pub fn every(&self, step: usize) -> Corpus {
        let step = step.max(1);
        Corpus {
            name: format!("{} (every {step})", self.name),
            tokens: self.tokens.iter().step_by(step).cloned().collect(),
            labels: self.labels.iter().step_by(step).copied().collect(),
            skipped_empty: 0,
        }
    }
}

/// Binary accuracy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Accuracy {
    pub n: usize,
    pub correct: usize,
    /// Scored exactly 0 (no opinion word): predicted negative.
    pub undecided: usize,
}

impl Accuracy {
    pub fn add(&mut self, score: f32, positive: bool) {
        self.n += 1;
        if score == 0.0 {
            self.undecided += 1;
        }
        if (score > 0.0) == positive {
            self.correct += 1;
        }
    }

    pub fn merge(&mut self, other: Accuracy) {
        self.n += other.n;
        self.correct += other.correct;
        self.undecided += other.undecided;
    }

    pub fn value(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.correct as f64 / self.n as f64
        }
    }
}

/// Accuracy of the lexicon alone.
pub fn lexicon_accuracy(model: &SentimentModel, corpus: &Corpus) -> Accuracy {
    let mut acc = Accuracy::default();
    for (tokens, label) in corpus.tokens.iter().zip(&corpus.labels) {
        acc.add(model.lexicon_score(tokens), *label);
    }
    acc
}

fn lexicon_scores(model: &SentimentModel, corpus: &Corpus) -> Vec<f32> {
    corpus
        .tokens
        .iter()
        .map(|t| model.lexicon_score(t))
        .collect()
}

fn train_on(
    corpus: &Corpus,
    lexicon: &[f32],
    rows: &[usize],
    options: &TrainOptions,
) -> LogisticModel {
    let examples: Vec<Example> = rows
        .iter()
        .map(|&i| Example {
            tokens: &corpus.tokens[i],
            lexicon: lexicon[i],
        })
        .collect();
    let labels: Vec<bool> = rows.iter().map(|&i| corpus.labels[i]).collect();
    LogisticModel::train(&examples, &labels, options)
}

fn test_on(model: &LogisticModel, corpus: &Corpus, lexicon: &[f32], rows: &[usize]) -> Accuracy {
    let mut acc = Accuracy::default();
    for &i in rows {
        let score = model.score(&Example {
            tokens: &corpus.tokens[i],
            lexicon: lexicon[i],
        });
        acc.add(score, corpus.labels[i]);
    }
    acc
}

/// Trains on the whole corpus.
pub fn train(lexicon: &SentimentModel, corpus: &Corpus, options: &TrainOptions) -> LogisticModel {
    let scores = lexicon_scores(lexicon, corpus);
    let rows: Vec<usize> = (0..corpus.len()).collect();
    train_on(corpus, &scores, &rows, options)
}

/// k-fold cross-validation: rows shuffled with the options' seed, each fold tested on a
/// model trained on the others. Returns the accuracy of each fold.
pub fn kfold(
    lexicon: &SentimentModel,
    corpus: &Corpus,
    k: usize,
    options: &TrainOptions,
) -> Vec<Accuracy> {
    let k = k.max(2);
    let scores = lexicon_scores(lexicon, corpus);
    kfold_splits(corpus.len(), k, options.seed)
        .into_iter()
        .map(|(train, test)| {
            let model = train_on(corpus, &scores, &train, options);
            test_on(&model, corpus, &scores, &test)
        })
        .collect()
}

/// Trains on all of `train`, tests on all of `test`.
pub fn cross(
    lexicon: &SentimentModel,
    train: &Corpus,
    test: &Corpus,
    options: &TrainOptions,
) -> Accuracy {
    let model = self::train(lexicon, train, options);
    let scores = lexicon_scores(lexicon, test);
    let rows: Vec<usize> = (0..test.len()).collect();
    test_on(&model, test, &scores, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_with_boms_quotes_and_extra_columns() {
        let csv =
            "\u{feff}cat,label,review\n书籍,1,\u{feff}很好看\n手机,0,\"屏幕差,很卡\"\n手机,1,\n";
        let set = parse_labels(csv.as_bytes(), "x.csv").unwrap();
        assert_eq!(set.texts, vec!["很好看", "屏幕差,很卡"]);
        assert_eq!(set.labels, vec![true, false]);
        assert_eq!(set.skipped_empty, 1);
    }

    #[test]
    fn bad_labels_and_headers_name_the_line() {
        let err = parse_labels(b"label,review\n1,ok\nmaybe,hmm\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "x.csv:3: label \"maybe\": expected 1/0, positive/negative or pos/neg"
        );
        let err = parse_labels(b"score,review\n1,ok\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.csv:1: expected a `label` column"),
            "{err}"
        );
        let err = parse_labels(b"label,review\n1,ok,extra\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.csv:2: malformed CSV"), "{err}");
    }

    #[test]
    fn accuracy_counts_zero_as_negative_and_undecided() {
        let mut acc = Accuracy::default();
        acc.add(0.5, true);
        acc.add(-0.5, true);
        acc.add(0.0, false);
        acc.add(0.0, true);
        assert_eq!(
            acc,
            Accuracy {
                n: 4,
                correct: 2,
                undecided: 2
            }
        );
        assert_eq!(acc.value(), 0.5);
    }

    #[test]
    fn kfold_covers_every_row_once() {
        let words = ["好", "差"];
        let corpus = Corpus {
            name: "toy".into(),
            tokens: (0..50)
                .map(|i| vec![voc_core::Token::from(words[i % 2])])
                .collect(),
            labels: (0..50).map(|i| i % 2 == 0).collect(),
            skipped_empty: 0,
        };
        let options = TrainOptions {
            bits: 10,
            ..Default::default()
        };
        let folds = kfold(&SentimentModel::default(), &corpus, 5, &options);
        assert_eq!(folds.len(), 5);
        assert_eq!(folds.iter().map(|f| f.n).sum::<usize>(), 50);
        assert!(folds.iter().all(|f| f.correct == f.n), "{folds:?}");
    }
}
