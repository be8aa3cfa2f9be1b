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
use crate::model::{Example, LogisticModel, TrainOptions, kfold_splits};
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

/// Parses a CSV of text + label, as [`crate::eval::parse_labels`] does, with a neutral
/// label too (`neutral`, `中性`). Rows with an empty text are left out.
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
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let label_col = find(&["label"])
        .ok_or_else(|| line_err(1, format!("expected a `label` column, found {headers:?}")))?;
    let text_col = find(&["review", "text", "content"]).ok_or_else(|| {
        line_err(
            1,
            format!("expected a `review`, `text` or `content` column, found {headers:?}"),
        )
    })?;
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            line_err(line, format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let label = clean(record.get(label_col).unwrap_or(""));
        let class = match label.to_ascii_lowercase().as_str() {
            "1" | "positive" | "pos" | "正面" => POSITIVE,
            "0" | "negative" | "neg" | "负面" => NEGATIVE,
            "neutral" | "neu" | "中性" => NEUTRAL,
            other => {
                return Err(line_err(
                    line,
                    format!("label {other:?}: expected 1/0, positive/negative/neutral"),
                ));
            }
        };
        let text = clean(record.get(text_col).unwrap_or(""));
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
/// the rest (negative; positive), over the customer side's n-grams and the lexicon's
/// contact score.
pub struct TrainedClasses {
    pub negative: LogisticModel,
    /// Only with three classes.
    pub positive: Option<LogisticModel>,
}

impl TrainedClasses {
    pub fn predict(&self, tokens: &[Token], lexicon: f32) -> Class {
        let example = Example { tokens, lexicon };
        let p_negative = self.negative.probability(&example);
        match &self.positive {
            None => {
                if p_negative >= 0.5 {
                    NEGATIVE
                } else {
                    POSITIVE
                }
            }
            Some(positive) => {
                let p_positive = positive.probability(&example);
                // The more confident of the two, if it is more likely than not.
                if p_negative >= 0.5 && p_negative >= p_positive {
                    NEGATIVE
                } else if p_positive >= 0.5 {
                    POSITIVE
                } else {
                    NEUTRAL
                }
            }
        }
    }
}

/// What the trained models read of each item, prepared once.
struct Prepared {
    tokens: Vec<Vec<Token>>,
    lexicon: Vec<f32>,
}

fn prepare(model: &SentimentModel, corpus: &Corpus3) -> Prepared {
    Prepared {
        tokens: corpus.items.iter().map(Item::customer_tokens).collect(),
        lexicon: corpus
            .items
            .iter()
            .map(|i| model.read_contact(&i.contact, &i.tokens).score)
            .collect(),
    }
}

fn fit(
    corpus: &Corpus3,
    prepared: &Prepared,
    rows: &[usize],
    options: &TrainOptions,
) -> TrainedClasses {
    let examples: Vec<Example> = rows
        .iter()
        .map(|&i| Example {
            tokens: &prepared.tokens[i],
            lexicon: prepared.lexicon[i],
        })
        .collect();
    let labels = |class: Class| -> Vec<bool> {
        rows.iter()
            .map(|&i| corpus.items[i].class == class)
            .collect()
    };
    // The negative model learns "negative" as its positive label.
    let negative = LogisticModel::train(&examples, &labels(NEGATIVE), options);
    let positive = corpus
        .three_classes
        .then(|| LogisticModel::train(&examples, &labels(POSITIVE), options));
    TrainedClasses { negative, positive }
}

fn test(
    trained: &TrainedClasses,
    corpus: &Corpus3,
    prepared: &Prepared,
    rows: &[usize],
) -> Confusion {
    let mut out = Confusion::default();
    for &i in rows {
        let predicted = trained.predict(&prepared.tokens[i], prepared.lexicon[i]);
        out.add(corpus.items[i].class, predicted);
    }
    out
}

/// Trains on the whole corpus.
pub fn train(model: &SentimentModel, corpus: &Corpus3, options: &TrainOptions) -> TrainedClasses {
    let prepared = prepare(model, corpus);
    let rows: Vec<usize> = (0..corpus.len()).collect();
    fit(corpus, &prepared, &rows, options)
}

/// k-fold cross-validation (rows shuffled with the options' seed): the pooled confusion.
pub fn kfold(
    model: &SentimentModel,
    corpus: &Corpus3,
    k: usize,
    options: &TrainOptions,
) -> Confusion {
    let k = k.max(2);
    let prepared = prepare(model, corpus);
    let mut pooled = Confusion::default();
    for (train, tested) in kfold_splits(corpus.len(), k, options.seed) {
        let trained = fit(corpus, &prepared, &train, options);
        pooled.merge(&test(&trained, corpus, &prepared, &tested));
    }
    pooled
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
    let prepared = prepare(model, test_on);
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
