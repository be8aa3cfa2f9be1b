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
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Test { pipeline } => test(&pipeline),
        Command::Explain {
            id,
            pipeline,
            out,
            all,
            json,
        } => explain(&pipeline, &id, out, all, json),
    }
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
        for miss in &cat.near_misses {
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
