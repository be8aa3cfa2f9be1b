use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use voc_classify::{CategoryExplanation, Span};
use voc_core::{EnrichedContact, TurnTokens};

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Run every category's must_match / must_not_match examples
    Test {
        /// The pipeline file whose taxonomy and dictionaries to use
        pipeline: PathBuf,
    },
    /// Show which rules of which categories fire on a stored contact, and where
    Explain {
        /// The contact id, as stored in the history
        #[arg(long)]
        id: String,
        /// The pipeline file (its taxonomy now, its history under [output] dir)
        pipeline: PathBuf,
        /// Read the history from this output folder instead of the pipeline's
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also list categories where nothing fired
        #[arg(long)]
        all: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Write a category stub (TOML) for a topic found by `voc discover`
    Suggest(super::suggest::Args),
    /// Measure the taxonomy against labelled contacts: precision, recall, F1, confusion, errors
    Eval {
        /// The pipeline file whose taxonomy, dictionaries and history to use
        pipeline: PathBuf,
        #[command(flatten)]
        labels: LabelArgs,
        /// How rules and trained models decide, for every category (default: each
        /// category's `combine`)
        #[arg(long, value_parser = ["rules", "model", "either", "both", "assist"])]
        combine: Option<String>,
        /// How many false positives and negatives to list
        #[arg(long, default_value_t = 20)]
        errors: usize,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// Also write the scores, confusion and every error to this XLSX file
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Fit a model per category on labelled contacts, saved beside the taxonomy
    Train {
        /// The pipeline file whose taxonomy and dictionaries to use
        pipeline: PathBuf,
        #[command(flatten)]
        labels: LabelArgs,
        /// Write the models here instead of beside the taxonomy
        #[arg(long)]
        out: Option<PathBuf>,
        /// Models also read which rules fired, as features (by default they read the
        /// text only, and `assist` adds a rule hit as evidence with a weight chosen on
        /// an inner split)
        #[arg(long)]
        rule_features: bool,
        /// Fit on at most this many rows of the part (those first in the split's hash
        /// order, whatever the file's order): what a labelling budget buys
        #[arg(long)]
        train_rows: Option<usize>,
    },
}

#[derive(clap::Args)]
pub(crate) struct LabelArgs {
    /// CSV or JSON Lines: `id` or `text`, and category ids (`categories`, several separated by |)
    #[arg(long)]
    labels: PathBuf,
    /// The column holding the category ids (default: categories, category, labels, cat, label)
    #[arg(long)]
    label_column: Option<String>,
    /// Which rows: all, or the held-out `test` part / the `train` rest (split by a hash
    /// of each row's id or text, the same for train and eval)
    #[arg(long, default_value = "all", value_parser = ["all", "train", "test"])]
    part: String,
    /// Share of the rows in the test part
    #[arg(long, default_value_t = 0.2)]
    test_share: f64,
    /// Read the history from this output folder instead of the pipeline's (rows by id)
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Test { pipeline } => test(&pipeline),
        Command::Suggest(args) => super::suggest::run(args),
        Command::Explain {
            id,
            pipeline,
            out,
            all,
            json,
        } => explain(&pipeline, &id, out, all, json),
        Command::Eval {
            pipeline,
            labels,
            combine,
            errors,
            json,
            xlsx,
        } => eval(&pipeline, &labels, combine.as_deref(), errors, json, xlsx),
        Command::Train {
            pipeline,
            labels,
            out,
            rule_features,
            train_rows,
        } => train(&pipeline, &labels, out, rule_features, train_rows),
    }
}

/// A labelled row as a contact with tokens: from the history by id, or its text
/// normalized and masked as ingest does, then cut by the pipeline's segmenter (one turn
/// per line, as a `must_match` example). Errors show the masked text.
struct LabelledContacts {
    rows: Vec<voc_classify::category_eval::LabeledRow>,
    contacts: Vec<(voc_core::Contact, Vec<TurnTokens>)>,
}

fn labelled_contacts(
    pipeline: &voc_pipeline::Pipeline,
    args: &LabelArgs,
    segmenter: &voc_text::Segmenter,
    limit: Option<usize>,
) -> Result<LabelledContacts> {
    use voc_classify::category_eval::{first_in_split_order, in_test_part, read_category_labels};
    let rows = read_category_labels(&args.labels, args.label_column.as_deref())?;
    let total = rows.len();
    let merged: usize = rows.iter().map(|r| r.merged_lines.len()).sum();
    if merged > 0 {
        eprintln!(
            "{}: {merged} {} the id or text of an earlier row: each text counts once, with every category its rows give ({total} labelled texts)",
            args.labels.display(),
            if merged == 1 {
                "row repeats"
            } else {
                "rows repeat"
            }
        );
    }
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|r| match args.part.as_str() {
            "test" => in_test_part(r, args.test_share),
            "train" => !in_test_part(r, args.test_share),
            _ => true,
        })
        .collect();
    if let Some(limit) = limit {
        rows = first_in_split_order(rows, limit);
    }
    anyhow::ensure!(
        !rows.is_empty(),
        "{}: no labelled rows in part {:?} (of {total})",
        args.labels.display(),
        args.part
    );
    let out = voc_pipeline::output::output_dir(pipeline, args.out_dir.clone());
    let history = out.history();
    let tokenize = |t: &str| segmenter.cut(t);
    let masker = voc_ingest::Ingestor::new(pipeline.ingest_options())?;
    let mut contacts = Vec::with_capacity(rows.len());
    for row in &mut rows {
        if let Some(text) = &mut row.text {
            *text = masker.mask(&voc_text::normalize::normalize_text(text));
            contacts.push(voc_classify::taxonomy::example_contact(text, &tokenize));
            continue;
        }
        let id = row.id.as_deref().unwrap_or_default();
        let record = voc_store::history::find_contact(history, id)?.with_context(|| {
            format!(
                "{}:{}: no contact {id:?} in the history under {} (give its text, or run `voc run`)",
                args.labels.display(),
                row.line,
                history.display()
            )
        })?;
        contacts.push((record.contact, record.tokens));
    }
    Ok(LabelledContacts { rows, contacts })
}

fn eval(
    path: &Path,
    args: &LabelArgs,
    combine: Option<&str>,
    error_count: usize,
    json: bool,
    xlsx: Option<PathBuf>,
) -> Result<ExitCode> {
    use voc_classify::category_eval::{Combine, counts_for, score};
    let pipeline = voc_pipeline::Pipeline::load(path)?;
    let (mut classifier, segmenter, _) = voc_pipeline::models::build_classifier(&pipeline)?;
    classifier
        .taxonomy
        .set_combine_override(combine.and_then(Combine::parse));
    let data = labelled_contacts(&pipeline, args, &segmenter, None)?;
    let taxonomy = &classifier.taxonomy;
    let predicted: Vec<Vec<String>> = data
        .contacts
        .iter()
        .zip(&data.rows)
        .map(|((c, t), row)| {
            if row.text.is_some() {
                // A labelled text has no metadata: classified as an example is.
                taxonomy.classify_unfiltered(c, t)
            } else {
                taxonomy.classify(c, t)
            }
        })
        .collect();
    let labels: Vec<Vec<String>> = data.rows.iter().map(|r| r.labels.clone()).collect();
    let mut vocabulary: Vec<String> = labels.iter().flatten().cloned().collect();
    vocabulary.sort();
    vocabulary.dedup();
    let unknown: Vec<&String> = vocabulary
        .iter()
        .filter(|l| !taxonomy.specs().any(|s| counts_for(&s.id, l)))
        .collect();
    let scores = score(&labels, &predicted, &vocabulary);
    // Every false positive and negative, with the rule that fired or nearly fired.
    let mut errors = Vec::new();
    for (i, (gold, pred)) in labels.iter().zip(&predicted).enumerate() {
        let (contact, tokens) = &data.contacts[i];
        let mut explained: Option<Vec<CategoryExplanation>> = None;
        for cat in &vocabulary {
            let is_gold = gold.contains(cat);
            let is_pred = pred.iter().any(|p| counts_for(p, cat));
            if is_gold == is_pred {
                continue;
            }
            let ex = explained.get_or_insert_with(|| taxonomy.explain(contact, tokens, true));
            let why = ex
                .iter()
                .filter(|e| counts_for(&e.id, cat))
                .map(|e| {
                    if is_pred {
                        e.fired
                            .iter()
                            .map(|h| format!("{} {:?} fired", h.list, h.rule))
                            .collect::<Vec<_>>()
                            .join("; ")
                    } else {
                        let mut parts: Vec<String> = e.reason.iter().cloned().collect();
                        parts.extend(
                            e.near_misses
                                .iter()
                                .map(|m| format!("{} {:?}: {}", m.list, m.rule, m.detail)),
                        );
                        parts.join("; ")
                    }
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" | ");
            let row = &data.rows[i];
            errors.push(serde_json::json!({
                "line": row.line,
                "id": row.id,
                "text": row.text.as_deref().map(|t| t.chars().take(80).collect::<String>()),
                "category": cat,
                "error": if is_pred { "false positive" } else { "false negative" },
                "labelled": gold,
                "predicted": pred,
                "why": if why.is_empty() && is_pred { "the model".to_string() } else { why },
            }));
        }
    }
    if let Some(path) = &xlsx {
        write_eval_xlsx(path, &scores, &errors)?;
    }
    let mut stdout = std::io::stdout().lock();
    use std::io::Write;
    if json {
        let value = serde_json::json!({
            "labels": args.labels.display().to_string(),
            "part": args.part,
            "scores": scores,
            "unknown_labels": unknown,
            "errors": errors,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} rows of {} (part {}), {} categories",
        scores.rows,
        args.labels.display(),
        args.part,
        scores.categories.len()
    );
    let _ = writeln!(
        out,
        "{:<28} {:>7} {:>7} {:>9} {:>7} {:>7}",
        "category", "support", "predict", "precision", "recall", "F1"
    );
    for c in &scores.categories {
        let _ = writeln!(
            out,
            "{:<28} {:>7} {:>7} {:>9.3} {:>7.3} {:>7.3}",
            c.id,
            c.support,
            c.true_positives + c.false_positives,
            c.precision,
            c.recall,
            c.f1
        );
    }
    for (name, a) in [("micro", scores.micro), ("macro", scores.macro_)] {
        let _ = writeln!(
            out,
            "{:<28} {:>7} {:>7} {:>9.3} {:>7.3} {:>7.3}",
            name, "", "", a.precision, a.recall, a.f1
        );
    }
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nlabels no category of the taxonomy covers: {}",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !scores.confusion.is_empty() {
        let _ = writeln!(out, "\nconfusion (labelled → predicted instead, rows):");
        for c in scores.confusion.iter().take(10) {
            let _ = writeln!(out, "  {} → {}: {}", c.labelled, c.predicted, c.rows);
        }
    }
    if !errors.is_empty() && error_count > 0 {
        let _ = writeln!(
            out,
            "\nerrors (first {} of {}):",
            error_count.min(errors.len()),
            errors.len()
        );
        for e in errors.iter().take(error_count) {
            let _ = writeln!(
                out,
                "  line {} {} {}: {}\n      {}",
                e["line"],
                e["error"].as_str().unwrap_or(""),
                e["category"].as_str().unwrap_or(""),
                e["text"].as_str().or(e["id"].as_str()).unwrap_or(""),
                e["why"].as_str().unwrap_or("")
            );
        }
    }
    write!(stdout, "{out}")?;
    Ok(ExitCode::SUCCESS)
}

fn write_eval_xlsx(
    path: &Path,
    scores: &voc_classify::category_eval::Scores,
    errors: &[serde_json::Value],
) -> Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("scores")?;
    for (c, h) in [
        "category",
        "support",
        "true positives",
        "false positives",
        "false negatives",
        "precision",
        "recall",
        "F1",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    let mut r = 1u32;
    for c in &scores.categories {
        ws.write_string(r, 0, &c.id)?;
        for (col, v) in [
            c.support as f64,
            c.true_positives as f64,
            c.false_positives as f64,
            c.false_negatives as f64,
            c.precision,
            c.recall,
            c.f1,
        ]
        .iter()
        .enumerate()
        {
            ws.write_number(r, col as u16 + 1, *v)?;
        }
        r += 1;
    }
    for (name, a) in [("micro", scores.micro), ("macro", scores.macro_)] {
        ws.write_string(r, 0, name)?;
        ws.write_number(r, 5, a.precision)?;
        ws.write_number(r, 6, a.recall)?;
        ws.write_number(r, 7, a.f1)?;
        r += 1;
    }
    let ws = workbook.add_worksheet();
    ws.set_name("confusion")?;
    for (c, h) in ["labelled", "predicted instead", "rows"].iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for (i, c) in scores.confusion.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &c.labelled)?;
        ws.write_string(r, 1, &c.predicted)?;
        ws.write_number(r, 2, c.rows as f64)?;
    }
    let ws = workbook.add_worksheet();
    ws.set_name("errors")?;
    let columns = [
        "line",
        "id",
        "text",
        "category",
        "error",
        "labelled",
        "predicted",
        "why",
    ];
    for (c, h) in columns.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for (i, e) in errors.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, key) in columns.iter().enumerate() {
            let v = &e[*key];
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
                other => other.to_string(),
            };
            ws.write_string(r, c as u16, text)?;
        }
    }
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn train(
    path: &Path,
    args: &LabelArgs,
    out: Option<PathBuf>,
    rule_features: bool,
    train_rows: Option<usize>,
) -> Result<ExitCode> {
    use voc_classify::category_eval::{CategoryModels, CategoryTraining, Combine};
    let pipeline = voc_pipeline::Pipeline::load(path)?;
    let (mut classifier, segmenter, _) = voc_pipeline::models::build_classifier(&pipeline)?;
    // The rule hits the models read are the rules' own verdicts.
    classifier
        .taxonomy
        .set_combine_override(Some(Combine::Rules));
    let exclusive = classifier.taxonomy.exclusive();
    classifier.taxonomy.set_exclusive(false);
    let data = labelled_contacts(&pipeline, args, &segmenter, train_rows)?;
    let categories: Vec<String> = classifier.taxonomy.specs().map(|s| s.id.clone()).collect();
    let tokens: Vec<Vec<voc_core::Token>> = data
        .contacts
        .iter()
        .map(|(c, t)| {
            // The tokens the category's default scope sees: customer turns and notes.
            c.turns
                .iter()
                .zip(t)
                .filter(|(turn, _)| voc_classify::Scope::Customer.includes(turn.speaker))
                .flat_map(|(_, toks)| toks.iter().cloned())
                .collect()
        })
        .collect();
    let rule_hits: Vec<Vec<String>> = data
        .contacts
        .iter()
        .zip(&data.rows)
        .map(|((c, t), row)| {
            if row.text.is_some() {
                classifier.taxonomy.classify_unfiltered(c, t)
            } else {
                classifier.taxonomy.classify(c, t)
            }
        })
        .collect();
    let labels: Vec<Vec<String>> = data.rows.iter().map(|r| r.labels.clone()).collect();
    let training = CategoryTraining {
        rule_features,
        exclusive,
        ..CategoryTraining::default()
    };
    let started = std::time::Instant::now();
    let models = CategoryModels::train(&tokens, &rule_hits, &labels, &categories, &training);
    // A contact's most probable category may be kept below the threshold.
    let top = |at: Option<f32>| {
        at.map_or(String::new(), |at| {
            format!(", a contact's most probable category from {at}")
        })
    };
    println!(
        "inner split {} / {} rows: threshold {}{} (micro-F1 by threshold: {}); {:.1} s",
        models.inner.rows.0,
        models.inner.rows.1,
        models.threshold,
        top(models.top_threshold),
        models
            .inner
            .micro_f1_by_threshold
            .iter()
            .map(|(t, f)| format!("{t}: {f:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    if let Some(evidence) = models.rule_evidence {
        println!(
            "assist: a rule hit adds {evidence} to the log-odds, threshold {}{} (micro-F1 by evidence: {})",
            models.assisted_threshold,
            top(models.assisted_top_threshold),
            models
                .inner
                .assist_micro_f1_by_evidence
                .iter()
                .map(|(e, t, f)| format!("{e} at {t}: {f:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let target = out.unwrap_or_else(|| CategoryModels::path_for(&pipeline.file.classify.taxonomy));
    models
        .save(&target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    println!(
        "trained {} category models on {} rows (part {}) → {}",
        models.models.len(),
        data.rows.len(),
        args.part,
        super::shown_path(&target)
    );
    let untrained: Vec<&String> = categories
        .iter()
        .filter(|c| !models.models.contains_key(*c))
        .collect();
    if !untrained.is_empty() {
        println!(
            "no labelled row for: {} (these keep their rules)",
            untrained
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "a category uses its model when it says combine = \"model\", \"either\", \"both\" or \"assist\"{}",
        if rule_features {
            " (these models read the rule hits too)"
        } else {
            " (these models read the text only: \"model\" is the model alone, \"assist\" the model with a rule hit as evidence)"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn test(path: &Path) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(path)?;
    let (classifier, segmenter, _) = voc_pipeline::models::build_classifier(&pipeline)?;
    let tokenize = |t: &str| segmenter.cut(t);
    let taxonomy = &classifier.taxonomy;
    let file = pipeline
        .file
        .classify
        .taxonomy
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let (mut passed, mut failed) = (0, 0);
    let mut out = String::new();
    for spec in taxonomy.specs() {
        if spec.must_match.is_empty() {
            let _ = writeln!(
                out,
                "WARN {} ({file}:{}): no must_match examples",
                spec.id, spec.line
            );
        }
        let examples = spec
            .must_match
            .iter()
            .zip(&spec.must_match_lines)
            .map(|(e, l)| (e, *l, true))
            .chain(
                spec.must_not_match
                    .iter()
                    .zip(&spec.must_not_match_lines)
                    .map(|(e, l)| (e, *l, false)),
            );
        for (example, line, should_match) in examples {
            let got = taxonomy.classify_example(example, &tokenize);
            if got.contains(&spec.id) == should_match {
                passed += 1;
                continue;
            }
            failed += 1;
            let verb = if should_match {
                "should match"
            } else {
                "should NOT match"
            };
            let _ = writeln!(out, "FAIL {} ({file}:{line}): {verb} {example:?}", spec.id);
            if let Some((why, tokens)) = taxonomy.explain_example(&spec.id, example, &tokenize) {
                let shown: Vec<String> = tokens.iter().map(|t| t.join(" | ")).collect();
                let _ = writeln!(out, "     tokens:  {}", shown.join("  //  "));
                if let Some(reason) = &why.reason {
                    let _ = writeln!(out, "     why:     {reason}");
                }
                for hit in &why.fired {
                    let _ = writeln!(
                        out,
                        "     fired:   {} {:?} on {}",
                        hit.list,
                        hit.rule,
                        describe_matches(&hit.matches, &tokens)
                    );
                }
                for miss in &why.near_misses {
                    let _ = writeln!(
                        out,
                        "     missed:  {} {:?} on {}: {}",
                        miss.list,
                        miss.rule,
                        describe_matches(&[vec![miss.span]], &tokens),
                        miss.detail
                    );
                }
            }
            let others: Vec<&String> = got.iter().filter(|g| **g != spec.id).collect();
            if !others.is_empty() {
                let _ = writeln!(
                    out,
                    "     matched instead: {}",
                    others
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    let _ = writeln!(out, "taxonomy examples: {passed} passed, {failed} failed");
    print!("{out}");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `"断网" (turn 2, tokens 3–4)`, several joined by `; `.
fn describe_matches(matches: &[Vec<Span>], tokens: &[TurnTokens]) -> String {
    let mut parts: Vec<String> = matches
        .iter()
        .take(3)
        .map(|m| {
            m.iter()
                .map(|s| {
                    let place = if s.end == s.start + 1 {
                        format!("token {}", s.end)
                    } else {
                        format!("tokens {}–{}", s.start + 1, s.end)
                    };
                    format!("{:?} (turn {}, {place})", s.text(tokens), s.turn + 1)
                })
                .collect::<Vec<_>>()
                .join(" … ")
        })
        .collect();
    if matches.len() > 3 {
        parts.push(format!("and {} more", matches.len() - 3));
    }
    parts.join("; ")
}

struct Explanation<'a> {
    id: &'a str,
    stored_categories: &'a [String],
    categories_now: Vec<&'a str>,
    sentiment: f32,
    sentiment_label: &'static str,
    turn_sentiment: Vec<f32>,
    mood: voc_core::CustomerMood,
    risk: Vec<&'static str>,
    risk_hits: Vec<voc_classify::RiskHit>,
    categories: Vec<CategoryExplanation>,
}

fn explain(
    path: &Path,
    id: &str,
    out_dir: Option<PathBuf>,
    all: bool,
    json: bool,
) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(path)?;
    let out = voc_pipeline::output::output_dir(&pipeline, out_dir);
    let history = out.history();
    let record = voc_store::history::find_contact(history, id)
        .with_context(|| {
            format!(
                "cannot read the history under {}",
                super::shown_path(history.dir())
            )
        })?
        .with_context(|| {
            format!(
                "no contact {id:?} in the history under {} (check --id, or run `voc run` first)",
                history.display()
            )
        })?;
    let (classifier, _) = voc_pipeline::models::load_classifier(&pipeline)?;
    let (contact, tokens) = (&record.contact, &record.tokens);
    let explanations = classifier.taxonomy.explain(contact, tokens, all);
    let now = classifier.classify(contact, tokens);
    let risk_hits = classifier.explain_risk(contact, tokens);
    let mut risk = now.risk;
    risk.repeat_contact = record.risk.repeat_contact;
    let report = Explanation {
        id,
        stored_categories: &record.categories,
        categories_now: now.categories.iter().map(String::as_str).collect(),
        sentiment: now.sentiment,
        sentiment_label: now.sentiment_label,
        turn_sentiment: now.turn_sentiment.clone(),
        mood: now.mood.clone(),
        risk: risk.names(),
        risk_hits,
        categories: explanations,
    };
    let mut stdout = std::io::stdout().lock();
    use std::io::Write;
    if json {
        let value = serde_json::json!({
            "id": report.id,
            "stored_categories": report.stored_categories,
            "categories_now": report.categories_now,
            "sentiment": report.sentiment,
            "sentiment_label": report.sentiment_label,
            "turn_sentiment": report.turn_sentiment,
            "mood": report.mood,
            "risk": report.risk,
            "risk_hits": report.risk_hits,
            "categories": report.categories,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", render(&record, &report, &classifier.taxonomy))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(record: &EnrichedContact, e: &Explanation, taxonomy: &voc_classify::Taxonomy) -> String {
    let c = &record.contact;
    let mut out = String::new();
    let meta = [
        Some(c.channel.as_str()),
        c.region.as_deref(),
        c.business.as_deref(),
        c.queue.as_deref(),
    ];
    let _ = writeln!(
        out,
        "contact {}  {}  {}",
        c.id,
        c.started_at.format("%Y-%m-%d %H:%M"),
        meta.iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    );
    let _ = writeln!(
        out,
        "sentiment {:+.2} {} · risk: {}",
        e.sentiment,
        e.sentiment_label,
        if e.risk.is_empty() {
            "none".to_string()
        } else {
            e.risk.join(", ")
        }
    );
    let none = |s: &str| {
        if s.is_empty() {
            "none".to_string()
        } else {
            s.to_string()
        }
    };
    let _ = writeln!(
        out,
        "customer: last turn {} · emotion {}{} · trajectory {}",
        none(&e.mood.last_turn_label),
        none(&e.mood.emotion),
        if e.mood.emotion.is_empty() {
            String::new()
        } else {
            format!(" ({:.2})", e.mood.emotion_intensity)
        },
        none(&e.mood.trajectory)
    );
    let _ = writeln!(out, "\nturns (tokens as stored; sentiment per turn):");
    for (i, turn) in c.turns.iter().enumerate() {
        let toks = record
            .tokens
            .get(i)
            .map(|t| t.join(" "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>2} {:<8} {:+.2}  {}",
            i + 1,
            turn.speaker.as_str(),
            e.turn_sentiment.get(i).copied().unwrap_or(0.0),
            toks
        );
    }
    let _ = writeln!(out, "\ncategories (the taxonomy as it is now):");
    if e.categories.is_empty() {
        let _ = writeln!(out, "  no rule of any category fired");
    }
    for cat in &e.categories {
        let owner = taxonomy
            .spec(&cat.id)
            .map(|s| s.owner.as_str())
            .unwrap_or("");
        let mark = if cat.matched { "MATCH" } else { "no   " };
        let _ = write!(out, "  {mark} {} {}", cat.id, cat.name);
        if !owner.is_empty() {
            let _ = write!(out, " (owner {owner})");
        }
        let _ = writeln!(out);
        if let Some(reason) = &cat.reason {
            let _ = writeln!(out, "        because {reason}");
        }
        for hit in &cat.fired {
            for m in hit.matches.iter().take(3) {
                let _ = writeln!(
                    out,
                    "        {:<4} {:?} on {}",
                    hit.list,
                    hit.rule,
                    m.iter()
                        .map(|s| highlight(s, &record.tokens))
                        .collect::<Vec<_>>()
                        .join(" … ")
                );
            }
            if hit.matches.len() > 3 {
                let _ = writeln!(out, "             and {} more", hit.matches.len() - 3);
            }
        }
        for miss in cat.near_misses.iter().take(5) {
            let _ = writeln!(
                out,
                "        near miss ({}) {} {:?} on {}: {}",
                miss.kind,
                miss.list,
                miss.rule,
                highlight(&miss.span, &record.tokens),
                miss.detail
            );
        }
        if cat.near_misses.len() > 5 {
            let _ = writeln!(
                out,
                "        and {} more near misses (--json lists all)",
                cat.near_misses.len() - 5
            );
        }
    }
    if !e.risk_hits.is_empty() {
        let _ = writeln!(out, "\nrisk terms:");
        for h in &e.risk_hits {
            let place = h
                .span
                .map(|s| highlight(&s, &record.tokens))
                .unwrap_or_default();
            if h.term.is_empty() {
                let _ = writeln!(out, "  {:<16} first agent turn: {place}", h.flag);
            } else {
                let _ = writeln!(out, "  {:<16} {:?} on {place}", h.flag, h.term);
            }
        }
    }
    let stored: Vec<&str> = e.stored_categories.iter().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "\nstored categories: {}",
        if stored.is_empty() {
            "(none)".to_string()
        } else {
            stored.join(", ")
        }
    );
    if stored != e.categories_now {
        let _ = writeln!(
            out,
            "the taxonomy now gives: {} — `voc retag` would change this contact",
            if e.categories_now.is_empty() {
                "(none)".to_string()
            } else {
                e.categories_now.join(", ")
            }
        );
    }
    out
}

/// `turn 2 tokens 3–4: 我家【光猫】一直…` with the span marked and some context.
fn highlight(span: &Span, tokens: &[TurnTokens]) -> String {
    let Some(turn) = tokens.get(span.turn) else {
        return format!("turn {}", span.turn + 1);
    };
    let end = span.end.min(turn.len());
    let start = span.start.min(end);
    let before = turn[start.saturating_sub(6)..start].concat();
    let after = turn[end..(end + 6).min(turn.len())].concat();
    let place = if end - start == 1 {
        format!("token {end}")
    } else {
        format!("tokens {}–{end}", start + 1)
    };
    format!(
        "turn {} {place}: {}{}【{}】{}{}",
        span.turn + 1,
        if start > 6 { "…" } else { "" },
        before,
        turn[start..end].concat(),
        after,
        if end + 6 < turn.len() { "…" } else { "" }
    )
}
