use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use voc_pipeline::retag::{RetagOptions, RetagSummary};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The pipeline file whose (edited) taxonomy to apply to its history
    pipeline: PathBuf,
    /// Print per-category counts before and after, flag counts and contacts that moved
    #[arg(long)]
    diff: bool,
    /// Show what would change; write nothing
    #[arg(long)]
    dry_run: bool,
    /// Also recompute sentiment (after editing the overrides or the model)
    #[arg(long)]
    sentiment: bool,
    /// Cut the stored (masked) text again with the pipeline's current dictionaries and
    /// segmenter settings, then reclassify (sentiment too) and rebuild the index; no
    /// input file is read
    #[arg(long)]
    resegment: bool,
    /// Read and update the history under this output folder instead of the pipeline's
    #[arg(long)]
    out: Option<PathBuf>,
    /// How many moved contacts to show with --diff
    #[arg(long, default_value_t = 10)]
    samples: usize,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let summary = voc_pipeline::retag::retag(
        &pipeline,
        &RetagOptions {
            out_dir: args.out,
            dry_run: args.dry_run,
            sentiment: args.sentiment,
            resegment: args.resegment,
            samples: if args.diff || args.json {
                args.samples
            } else {
                0
            },
        },
    )?;
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", describe(&summary, args.diff));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &RetagSummary, diff: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "voc retag: {} contacts in {} partitions of {}; {} changed{}",
        s.contacts,
        s.partitions,
        super::shown_path(&s.history),
        s.changed,
        if s.moved == s.changed {
            String::new()
        } else {
            format!(
                " ({} moved category, flags or sentiment label; the rest only {})",
                s.moved,
                if s.resegmented > 0 {
                    "their tokens or a score"
                } else {
                    "a score"
                }
            )
        }
    );
    if s.resegmented > 0 {
        let _ = writeln!(
            out,
            "cut again: {} contacts have different tokens",
            s.resegmented
        );
    }
    if diff {
        let width = s
            .categories
            .iter()
            .map(|c| display_width(&c.id))
            .max()
            .unwrap_or(8)
            .max(8);
        let _ = writeln!(
            out,
            "\n  {:<width$}  {:>7}  {:>7}  {:>7}",
            "category", "before", "after", "change"
        );
        for c in &s.categories {
            let gone = if c.name.is_empty() {
                "  (no longer in the taxonomy)"
            } else {
                ""
            };
            let pad = width - display_width(&c.id);
            let _ = writeln!(
                out,
                "  {}{}  {:>7}  {:>7}  {:>+7}{gone}",
                c.id,
                " ".repeat(pad),
                c.before,
                c.after,
                c.after as i64 - c.before as i64
            );
        }
        let _ = writeln!(
            out,
            "\n  {:<width$}  {:>7}  {:>7}  {:>7}",
            "flag", "before", "after", "change"
        );
        let counts = |out: &mut String, rows: &[(String, u64, u64)]| {
            for (name, before, after) in rows {
                let _ = writeln!(
                    out,
                    "  {name:<width$}  {before:>7}  {after:>7}  {:>+7}",
                    *after as i64 - *before as i64
                );
            }
        };
        counts(&mut out, &s.flags);
        if !s.sentiment_labels.is_empty() {
            let _ = writeln!(
                out,
                "\n  {:<width$}  {:>7}  {:>7}  {:>7}",
                "sentiment", "before", "after", "change"
            );
            counts(&mut out, &s.sentiment_labels);
        }
        if !s.samples.is_empty() {
            let _ = writeln!(out, "\n  contacts that moved (first {}):", s.samples.len());
            for m in &s.samples {
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "(none)".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                // Categories that stayed are shown once: what moved is on the lines below.
                let categories = if m.before == m.after {
                    list(&m.after)
                } else {
                    format!("{} → {}", list(&m.before), list(&m.after))
                };
                let _ = writeln!(out, "  {}  {}  {categories}", m.id, m.week);
                if m.flags_before != m.flags_after {
                    let _ = writeln!(
                        out,
                        "      flags {} → {}",
                        list(&m.flags_before),
                        list(&m.flags_after)
                    );
                }
                if let (Some((s0, l0)), Some((s1, l1))) = (&m.sentiment_before, &m.sentiment_after)
                    && (s0, l0) != (s1, l1)
                {
                    let _ = writeln!(out, "      sentiment {l0} {s0:+.2} → {l1} {s1:+.2}");
                }
                if let Some((before, after)) = &m.recut {
                    let _ = writeln!(out, "      cut {before}\n        → {after}");
                }
                let _ = writeln!(out, "      {}", m.excerpt);
            }
        }
        let _ = writeln!(out);
    }
    if s.dry_run {
        let _ = writeln!(out, "dry run: nothing written");
    } else {
        let _ = writeln!(
            out,
            "updated: {} partitions rewritten, {} contacts re-indexed{}",
            s.partitions_rewritten,
            s.indexed,
            s.index_note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
    }
    // A dry run writes nothing: the last step only compares.
    let last_step = if s.dry_run { "compare" } else { "write" };
    let _ = writeln!(
        out,
        "time: read {} ms, classify {} ms, {last_step} {} ms",
        s.read_ms, s.classify_ms, s.write_ms
    );
    out
}

/// Columns on a terminal: CJK characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_pipeline::retag::MovedContact;

    fn moved(before: &[&str], after: &[&str]) -> MovedContact {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        MovedContact {
            id: "C1".into(),
            week: "2026-W46".into(),
            before: strings(before),
            after: strings(after),
            flags_before: Vec::new(),
            flags_after: Vec::new(),
            sentiment_before: Some((0.27, "positive".into())),
            sentiment_after: Some((-0.04, "neutral".into())),
            excerpt: "我想把套餐改成便宜一点的".into(),
            recut: None,
        }
    }

    #[test]
    fn a_sample_shows_what_moved_and_a_dry_run_says_it_only_compared() {
        let summary = RetagSummary {
            contacts: 2,
            changed: 2,
            moved: 2,
            samples: vec![
                moved(&["业务办理/套餐变更"], &["业务办理/套餐变更"]),
                moved(&["咨询/业务咨询"], &["业务办理/套餐变更"]),
            ],
            dry_run: true,
            ..Default::default()
        };
        let text = describe(&summary, true);
        // Categories that stayed are shown once; the label that moved on its own line.
        assert!(
            text.contains("  C1  2026-W46  业务办理/套餐变更\n"),
            "{text}"
        );
        assert!(
            text.contains("  C1  2026-W46  咨询/业务咨询 → 业务办理/套餐变更\n"),
            "{text}"
        );
        assert_eq!(
            text.matches("sentiment positive +0.27 → neutral -0.04")
                .count(),
            2
        );
        assert!(text.contains("dry run: nothing written"), "{text}");
        assert!(text.contains(", compare 0 ms"), "{text}");
        assert!(!text.contains("write 0 ms"), "{text}");
    }
}
