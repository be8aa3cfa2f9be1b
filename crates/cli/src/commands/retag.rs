use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use voc_pipeline::retag::{RetagOptions, RetagSummary};

#[derive(clap::Args)]
pub struct Args {
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

pub fn run(args: Args) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let summary = voc_pipeline::retag::retag(
        &pipeline,
        &RetagOptions {
            out_dir: args.out,
            dry_run: args.dry_run,
            sentiment: args.sentiment,
            samples: if args.diff || args.json {
                args.samples
            } else {
                0
            },
        },
    )?;
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
                " ({} moved category, flags or sentiment label; the rest only a score)",
                s.moved
            )
        }
    );
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
                let _ = writeln!(
                    out,
                    "  {}  {}  {} → {}",
                    m.id,
                    m.week,
                    list(&m.before),
                    list(&m.after)
                );
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
    let _ = writeln!(
        out,
        "time: read {} ms, classify {} ms, write {} ms",
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
