use anyhow::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use voc_classify::SentimentModel;
use voc_classify::model::TrainOptions;
use voc_classify::sentiment_eval::{self, Classes, Confusion, Corpus3};

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Fit a logistic-regression model (character 1–3-grams + words + the lexicon score)
    Train {
        /// CSV with a header: a label (`label`, `sentiment`, `sentiment_value`, `polarity`,
        /// 情感: 1/0, -1/0/1, positive/negative/neutral, 正面/负面/中性) and a text (`review`,
        /// `text`, `content`, 内容, 评论) column; or JSONL of
        /// contacts (`turns` of {speaker, text}) with a satisfaction score (see
        /// --satisfaction-field), of which the customer's side is read
        #[arg(long)]
        labels: PathBuf,
        #[command(flatten)]
        shape: ShapeArgs,
        /// Where to write the model (JSON); name it in `[classify] sentiment_model`
        #[arg(long)]
        out: PathBuf,
        /// Segment and score with this pipeline's dictionaries and lexicon overrides
        #[arg(long)]
        pipeline: Option<PathBuf>,
        #[command(flatten)]
        options: ModelArgs,
    },
    /// Measure accuracy on labelled corpora: the lexicon, the model by k-fold within each
    /// corpus, and the model trained on one corpus and tested on another
    Eval {
        /// Folder with the corpora
        #[arg(long, default_value = "../shared/data/real")]
        data: PathBuf,
        /// Corpus files in that folder: CSV with a label and a text column (as `train`
        /// reads them), or JSONL of contacts with a satisfaction score
        #[arg(long, default_values_t = ["waimai_10k.csv".to_string(), "online_shopping_10_cats.csv".to_string(), "stc3/dialogues.jsonl".to_string()])]
        corpus: Vec<String>,
        #[command(flatten)]
        shape: ShapeArgs,
        /// Folds for the within-corpus measurement
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Only the lexicon (fast)
        #[arg(long)]
        lexicon_only: bool,
        /// Segment and score with this pipeline's dictionaries and lexicon overrides
        #[arg(long)]
        pipeline: Option<PathBuf>,
        #[command(flatten)]
        options: ModelArgs,
    },
    /// Score a text: per-token view of the lexicon, and the model if given
    Score {
        /// The text, as a customer wrote or said it (e.g. `宽带又断了，请尽快处理，谢谢`)
        text: String,
        /// Segment and score with this pipeline's dictionaries and lexicon overrides
        #[arg(long)]
        pipeline: Option<PathBuf>,
        /// A model written by `voc sentiment train`
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

/// How a JSONL of contacts is labelled.
#[derive(clap::Args, Clone)]
pub(crate) struct ShapeArgs {
    /// Classes of a satisfaction score on −2…2: 2 (negative is S < 0) or 3 (negative
    /// S ≤ −0.5, positive S ≥ 0.5)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    classes: u8,
    /// The JSONL field holding the satisfaction score
    #[arg(long, default_value = "S")]
    satisfaction_field: String,
}

impl ShapeArgs {
    fn classes(&self) -> Classes {
        if self.classes == 2 {
            Classes::Two
        } else {
            Classes::Three
        }
    }
}

#[derive(clap::Args, Clone, Copy)]
pub(crate) struct ModelArgs {
    /// Training passes over the data
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
    /// Hash space of the features: 2^bits weights
    #[arg(long, default_value_t = TrainOptions::default().bits, value_parser = clap::value_parser!(u32).range(8..=24))]
    bits: u32,
    /// Do not weight the classes equally (keep the label skew of the training file)
    #[arg(long)]
    no_balance: bool,
    /// Seed of the shuffles and folds (the same seed, the same model)
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
}

impl ModelArgs {
    fn options(self) -> TrainOptions {
        TrainOptions {
            epochs: self.epochs,
            bits: self.bits,
            balance: !self.no_balance,
            seed: self.seed,
            ..TrainOptions::default()
        }
    }
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Train {
            labels,
            shape,
            out,
            pipeline,
            options,
        } => train(
            &labels,
            &shape,
            &out,
            pipeline.as_deref(),
            options.options(),
        ),
        Command::Eval {
            data,
            corpus,
            shape,
            folds,
            lexicon_only,
            pipeline,
            options,
        } => evaluate(
            &data,
            &corpus,
            &shape,
            folds,
            lexicon_only,
            pipeline.as_deref(),
            options.options(),
        ),
        Command::Score {
            text,
            pipeline,
            model,
        } => score(&text, pipeline.as_deref(), model.as_deref()),
    }
}

/// The segmenter and lexicon to use: a pipeline's, or plain jieba and the built-in
/// lexicon.
fn tools(pipeline: Option<&Path>) -> Result<(voc_text::Segmenter, SentimentModel)> {
    match pipeline {
        Some(path) => {
            let pipeline = voc_pipeline::Pipeline::load(path)?;
            let (classifier, segmenter, _) = voc_pipeline::models::build_classifier(&pipeline)?;
            let overrides = match &pipeline.file.classify.sentiment_overrides {
                Some(p) => SentimentModel::load_overrides(p)?,
                None => Vec::new(),
            };
            drop(classifier);
            Ok((segmenter, SentimentModel::with_overrides(overrides)))
        }
        None => Ok((
            voc_text::Segmenter::builder().build()?,
            SentimentModel::default(),
        )),
    }
}

fn train(
    labels: &Path,
    shape: &ShapeArgs,
    out: &Path,
    pipeline: Option<&Path>,
    options: TrainOptions,
) -> Result<ExitCode> {
    let (segmenter, lexicon) = tools(pipeline)?;
    let tokenize = |t: &str| segmenter.cut(t);
    let corpus = Corpus3::load(
        labels,
        shape.classes(),
        &shape.satisfaction_field,
        &tokenize,
    )?;
    if corpus.is_empty() {
        anyhow::bail!("{}: no labelled rows", labels.display());
    }
    let [negatives, neutrals, positives] = corpus.counts();
    if negatives == 0 || negatives == corpus.len() {
        anyhow::bail!(
            "{}: all {} rows have the same label; a model needs both negative and other examples",
            labels.display(),
            corpus.len()
        );
    }
    let started = std::time::Instant::now();
    let trained = sentiment_eval::train(&lexicon, &corpus, &options);
    let inner = trained.inner;
    // The model the pipeline scores with says how likely "not negative" is (its score is
    // below 0 for a negative contact); a three-class file adds the positive head, so
    // `voc run` labels each customer turn in three classes with it.
    let model = trained.into_model();
    // The error names the file.
    model.save(out)?;
    println!(
        "trained on {} rows ({negatives} negative, {neutrals} neutral, {positives} positive) of {} in {:.1} s ({})",
        corpus.len(),
        corpus.name,
        started.elapsed().as_secs_f64(),
        if model.positive.is_some() {
            "three classes"
        } else {
            "negative or not"
        }
    );
    println!(
        "chosen on an inner fifth of the rows: L2 {:e}, negative at p ≥ {}, positive at p ≥ {} ({} {:.3})",
        inner.l2,
        inner.negative_at,
        inner.positive_at,
        if model.positive.is_some() {
            "macro-F1"
        } else {
            "accuracy"
        },
        inner.figure
    );
    println!(
        "model written to {} — use it with `[classify] sentiment_model = \"…\"`; measure it with `voc sentiment eval`",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `acc macroF1 recall(neg/neu/pos)` of a confusion.
fn figures(c: &Confusion) -> String {
    let recall = |class| {
        c.recall(class)
            .map_or("-".to_string(), |r| format!("{r:.2}"))
    };
    format!(
        "{:.4} {:.4} {}/{}/{}",
        c.accuracy(),
        c.macro_f1(),
        recall(sentiment_eval::NEGATIVE),
        recall(sentiment_eval::NEUTRAL),
        recall(sentiment_eval::POSITIVE)
    )
}

fn evaluate(
    data: &Path,
    names: &[String],
    shape: &ShapeArgs,
    folds: usize,
    lexicon_only: bool,
    pipeline: Option<&Path>,
    options: TrainOptions,
) -> Result<ExitCode> {
    if !data.is_dir() {
        anyhow::bail!(
            "no corpus folder at {} (pass --data; the project expects ../shared/data/real)",
            data.display()
        );
    }
    let (segmenter, lexicon) = tools(pipeline)?;
    let tokenize = |t: &str| segmenter.cut(t);
    let corpora: Vec<Corpus3> = names
        .iter()
        .map(|n| {
            Corpus3::load(
                &data.join(n),
                shape.classes(),
                &shape.satisfaction_field,
                &tokenize,
            )
        })
        .collect::<Result<_, _>>()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sentiment on {}: classes as labelled (a text with no opinion is neutral); \
         2-class = negative or not (neutral is not negative)",
        data.display()
    );
    let _ = writeln!(
        out,
        "figures: accuracy, macro-F1, recall negative/neutral/positive"
    );
    for corpus in &corpora {
        let [neg, neu, pos] = corpus.counts();
        let _ = writeln!(
            out,
            "{} ({} rows: {neg} negative, {neu} neutral, {pos} positive)",
            corpus.name,
            corpus.len()
        );
        let (lex, lex_two) = sentiment_eval::untrained(&lexicon, corpus);
        let _ = writeln!(
            out,
            "  untrained        {}   predicted neutral {:.1}%",
            figures(&lex),
            100.0 * lex.neutral_share()
        );
        let _ = writeln!(out, "  untrained 2-class {}", figures(&lex_two));
        if !lexicon_only {
            let (trained, choices) =
                sentiment_eval::kfold_with_choices(&lexicon, corpus, folds, &options);
            let _ = writeln!(out, "  trained {folds}-fold   {}", figures(&trained));
            // What each fold chose on an inner split of its own training rows.
            let _ = writeln!(
                out,
                "  inner choices    {}",
                choices
                    .iter()
                    .map(|c| format!(
                        "L2 {:e} neg@{} pos@{} ({:.3})",
                        c.l2, c.negative_at, c.positive_at, c.figure
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            let _ = writeln!(
                out,
                "  trained 2-class  {}",
                figures(&trained.negative_or_not())
            );
        }
    }
    if !lexicon_only && corpora.len() > 1 {
        let _ = writeln!(
            out,
            "trained on one corpus, tested on another (negative or not):"
        );
        for train in &corpora {
            for test in &corpora {
                if std::ptr::eq(train, test) {
                    continue;
                }
                let c = sentiment_eval::cross(&lexicon, train, test, &options).negative_or_not();
                let _ = writeln!(out, "  {} → {}: {}", train.name, test.name, figures(&c));
            }
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn score(text: &str, pipeline: Option<&Path>, model: Option<&Path>) -> Result<ExitCode> {
    let (segmenter, mut lexicon) = tools(pipeline)?;
    let tokens = segmenter.cut(text);
    let lex = lexicon.lexicon_score(&tokens);
    println!("tokens:  {}", tokens.join(" | "));
    println!("lexicon: {lex:+.3} {}", voc_classify::sentiment::label(lex));
    if let Some(path) = model {
        lexicon = lexicon.with_model(voc_classify::LogisticModel::load(path)?);
        let s = lexicon.score_tokens(&tokens);
        println!("model:   {s:+.3} {}", voc_classify::sentiment::label(s));
    }
    Ok(ExitCode::SUCCESS)
}
