//! `voc segment`: how a text is cut, for dictionary work (is 微信号 one word, or 微 + 信号?).

use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The text to cut (or use --file)
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    text: Option<String>,
    /// Cut every line of this UTF-8 file
    #[arg(long)]
    file: Option<PathBuf>,
    /// Cut as this pipeline does: its dictionaries, taxonomy and risk terms, HMM setting
    /// (without it: jieba's own dictionary, HMM on)
    #[arg(long)]
    pipeline: Option<PathBuf>,
    /// Turn jieba's HMM off (or on) whatever the pipeline says, to compare
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    hmm: Option<bool>,
}

fn parse_on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("expected on or off, found {value:?}")),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let mut builder = match &args.pipeline {
        Some(path) => {
            let pipeline = voc_pipeline::Pipeline::load(path)?;
            let (_, terms) = voc_pipeline::models::load_classifier(&pipeline)?;
            voc_pipeline::models::build_segmenter(&pipeline, &terms)?.1
        }
        None => voc_text::Segmenter::builder(),
    };
    if let Some(on) = args.hmm {
        builder = builder.hmm(on);
    }
    let segmenter = builder.build()?;
    let text = match (&args.text, &args.file) {
        (_, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?,
        (Some(text), None) => text.clone(),
        (None, None) => anyhow::bail!("give a text or --file FILE"),
    };
    print!("{}", cut_lines(&segmenter, &text));
    Ok(ExitCode::SUCCESS)
}

/// One output line per input line: its tokens (of the normalized text, as the pipeline
/// cuts it) joined by ` / `.
fn cut_lines(segmenter: &voc_text::Segmenter, text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let normalized = voc_text::normalize::normalize_text(line);
        let tokens = segmenter.cut(&normalized);
        let _ = writeln!(out, "{}", tokens.join(" / "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_word_is_shown_whole() {
        let plain = voc_text::Segmenter::builder().build().unwrap();
        let fixed = voc_text::Segmenter::builder()
            .word("微信号")
            .build()
            .unwrap();
        let text = "能加一下你的微信号吗\n第二行";
        assert!(cut_lines(&plain, text).contains("微 / 信号"));
        let out = cut_lines(&fixed, text);
        assert!(out.contains(" / 微信号 / "), "{out}");
        assert_eq!(out.lines().count(), 2);
    }
}
