//! Shared pieces of the benches: loading bench input and the segmentation floor.
//!
//! The floor is the least any pipeline must do with the same input: read the file,
//! parse every line, and cut all of its text with the same segmenter on the same
//! number of threads. `voc run` ÷ floor says how much the rest of the pipeline costs.

use rayon::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use voc_text::Segmenter;

/// What the floor did, for the harness to compare with `voc run`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorResult {
    pub contacts: u64,
    pub text_bytes: u64,
    pub tokens: u64,
    pub seconds: f64,
}

/// The floor's work on one line: parse it, cut every turn's text (or a work order's
/// `text`). Returns the text's bytes and its tokens. The stage bench runs it on one
/// thread, as the per-core floor the stages are held to.
pub fn floor_line(line: &str, segmenter: &Segmenter) -> (u64, u64) {
    let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
    let mut texts: Vec<&str> = value["turns"]
        .as_array()
        .map(|turns| turns.iter().filter_map(|t| t["text"].as_str()).collect())
        .unwrap_or_default();
    texts.extend(value["text"].as_str());
    texts
        .iter()
        .map(|t| (t.len() as u64, segmenter.cut(t).len() as u64))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Reads JSON Lines, takes every turn's text (or a work order's `text`), cuts it.
/// Lines are handled in chunks so memory stays bounded, as in `voc run`.
pub fn segmentation_floor(input: &Path, segmenter: &Segmenter) -> std::io::Result<FloorResult> {
    let started = std::time::Instant::now();
    let reader = BufReader::with_capacity(1 << 16, std::fs::File::open(input)?);
    let (mut contacts, mut text_bytes, mut tokens) = (0u64, 0u64, 0u64);
    let mut chunk = Vec::with_capacity(4096);
    let mut flush = |chunk: &mut Vec<String>| {
        let (bytes, toks) = chunk
            .par_iter()
            .map(|line| floor_line(line, segmenter))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        contacts += chunk.len() as u64;
        text_bytes += bytes;
        tokens += toks;
        chunk.clear();
    };
    for line in reader.lines() {
        chunk.push(line?);
        if chunk.len() == 4096 {
            flush(&mut chunk);
        }
    }
    flush(&mut chunk);
    Ok(FloorResult {
        contacts,
        text_bytes,
        tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}
