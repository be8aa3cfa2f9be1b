use anyhow::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use voc_classify::SentimentModel;
use voc_classify::eval::{self, Accuracy, Corpus};
use voc_classify::model::TrainOptions;

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Fit a logistic-regression model (character 1–3-grams + words + the lexicon score)
    Train {
        /// CSV with a header: `label` (1/0) and `review` (or `text`) columns
        #[arg(long)]
        labels: PathBuf,
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
        /// Corpus files in that folder (CSV with `label` and `review` columns)
        #[arg(long, default_values_t = ["waimai_10k.csv".to_string(), "online_shopping_10_cats.csv".to_string()])]
        corpus: Vec<String>,
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
            out,
            pipeline,
            options,
        } => train(&labels, &out, pipeline.as_deref(), options.options()),
        Command::Eval {
            data,
            corpus,
            folds,
            lexicon_only,
            pipeline,
            options,
        } => evaluate(
            &data,
            &corpus,
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
    out: &Path,
    pipeline: Option<&Path>,
    options: TrainOptions,
) -> Result<ExitCode> {
    let (segmenter, lexicon) = tools(pipeline)?;
    let corpus = Corpus::load(labels, &|t| segmenter.cut(t))?;
    if corpus.is_empty() {
        anyhow::bail!("{}: no labelled rows", labels.display());
    }
    let positives = corpus.positives();
    if positives == 0 || positives == corpus.len() {
        anyhow::bail!(
            "{}: all {} rows have the same label; a model needs both positive and negative examples",
            labels.display(),
            corpus.len()
        );
    }
    let started = std::time::Instant::now();
    let model = eval::train(&lexicon, &corpus, &options);
    // The error names the file.
    model.save(out)?;
    let fit = {
        let mut acc = Accuracy::default();
        let scored = lexicon.clone().with_model(model);
        for (t, l) in corpus.tokens.iter().zip(&corpus.labels) {
            acc.add(scored.score_tokens(t), *l);
        }
        acc
    };
    println!(
        "trained on {} rows ({positives} positive, {} negative{}) in {:.1} s; training accuracy {:.4}",
        corpus.len(),
        corpus.len() - positives,
        if corpus.skipped_empty > 0 {
            format!(", {} empty rows skipped", corpus.skipped_empty)
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64(),
        fit.value()
    );
    println!(
        "model written to {} — use it with `[classify] sentiment_model = \"…\"`; measure it with `voc sentiment eval`",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn evaluate(
    data: &Path,
    names: &[String],
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
    let corpora: Vec<Corpus> = names
        .iter()
        .map(|n| Corpus::load(&data.join(n), &tokenize))
        .collect::<Result<_, _>>()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sentiment accuracy on {} (binary; a text without any opinion word scores 0 and counts as negative)",
        data.display()
    );
    let _ = writeln!(
        out,
        "{:<30} {:>6} {:>6}  {:>8} {:>10}  {:>10}",
        "corpus",
        "rows",
        "pos",
        "lexicon",
        "undecided",
        if lexicon_only {
            String::new()
        } else {
            format!("model {folds}-fold")
        }
    );
    let mut lexicon_min = f64::MAX;
    let mut within_min = f64::MAX;
    let mut fold_lines = Vec::new();
    for corpus in &corpora {
        let lex = eval::lexicon_accuracy(&lexicon, corpus);
        lexicon_min = lexicon_min.min(lex.value());
        let model = if lexicon_only {
            String::new()
        } else {
            let per_fold = eval::kfold(&lexicon, corpus, folds, &options);
            let mut pooled = Accuracy::default();
            per_fold.iter().for_each(|f| pooled.merge(*f));
            within_min = within_min.min(pooled.value());
            fold_lines.push(format!(
                "  {} folds: {}",
                corpus.name,
                per_fold
                    .iter()
                    .map(|f| format!("{:.4}", f.value()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
            format!("{:.4}", pooled.value())
        };
        let _ = writeln!(
            out,
            "{:<30} {:>6} {:>6}  {:>8.4} {:>9.1}%  {:>10}",
            corpus.name,
            corpus.len(),
            corpus.positives(),
            lex.value(),
            100.0 * lex.undecided as f64 / lex.n.max(1) as f64,
            model
        );
    }
    for line in fold_lines {
        let _ = writeln!(out, "{line}");
    }
    let mut cross_min = f64::MAX;
    if !lexicon_only && corpora.len() > 1 {
        let _ = writeln!(out, "model trained on one corpus, tested on another:");
        for train in &corpora {
            for test in &corpora {
                if std::ptr::eq(train, test) {
                    continue;
                }
                let acc = eval::cross(&lexicon, train, test, &options);
                cross_min = cross_min.min(acc.value());
                let _ = writeln!(out, "  {} → {}: {:.4}", train.name, test.name, acc.value());
            }
        }
    }
    let verdict = |value: f64, goal: f64| {
        if value == f64::MAX {
            "not measured".to_string()
        } else if value >= goal {
            format!("{value:.4} ≥ {goal:.2} met")
        } else {
            format!("{value:.4} < {goal:.2} MISSED")
        }
    };
    let _ = writeln!(
        out,
        "goals (lowest value): lexicon {}; model within-corpus {}; model across corpora {}",
        verdict(lexicon_min, 0.80),
        verdict(within_min, 0.90),
        verdict(cross_min, 0.80)
    );
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
