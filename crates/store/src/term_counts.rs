//! Phrase counts of finished spans kept beside the history, so a weekly run reads its
//! baseline weeks' counts (a few hundred kilobytes each) instead of cutting their
//! stored tokens into phrases again. Without it, adding week 13 to 12 weeks of history
//! re-read eight baseline weeks of tokens and cost twice as much as adding week 1.
//!
//! One file per period ([`History::term_counts_file`],
//! `.cache/term-counts/2026-W45.tsv` beside the history). Its first line names what the counts
//! were made from: a fingerprint of the span's days, of every partition the span reads
//! (as [`crate::history::partition_stamp`] names it) and of the stop-word list. Any
//! change to these (a re-delivered contact, `voc retag`, another stop-word list) makes
//! the file stale, and it is counted again and replaced. The cache only saves time: a
//! missing, stale or unreadable file is recounted, and a file that cannot be written
//! is left out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use voc_core::hash::FxBuild;
use voc_core::{fingerprint, fsutil};

use crate::StoreError;
use crate::history::partition_stamp;
use crate::layout::History;
use crate::scan::Span;

/// Contacts per phrase key (tokens joined by a space).
pub type PhraseCounts = HashMap<String, u64, FxBuild>;
/// Phrase key → its slot in a list of counts.
pub type PhraseSlots<'a> = HashMap<&'a str, usize, FxBuild>;

/// Bumped whenever what a phrase count means changes (content words, pairs).
const FORMAT: &str = "voc term counts v1";

/// Where the counts of `span` are kept and what they must have been made from; `None`
/// when the span has no partition (nothing to count, nothing to keep). A period still
/// in progress shares its file with the finished period, which replaces it later.
pub fn entry(
    history: &History,
    span: &Span,
    stopwords_key: &str,
) -> Result<Option<(PathBuf, String)>, StoreError> {
    let partitions = history.partitions_in(&span.window());
    if partitions.is_empty() {
        return Ok(None);
    }
    let mut source = format!("{FORMAT}\n{stopwords_key}\n{}..{}\n", span.first, span.last);
    for p in &partitions {
        source.push_str(&partition_stamp(p)?);
        source.push('\n');
    }
    Ok(Some((
        history.term_counts_file(&span.key),
        fingerprint::of_bytes(source.as_bytes()),
    )))
}

/// The cached counts at `path` of the phrases in `wanted` (phrase → its slot), with
/// the span's contacts; `None` when the file is missing, stale or damaged.
pub fn read_cached(
    path: &Path,
    key: &str,
    wanted: &PhraseSlots,
) -> Option<(u64, Vec<(usize, u64)>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.split('\n');
    if lines.next()? != key {
        return None;
    }
    let (contacts, listed) = lines.next()?.split_once('\t')?;
    let (contacts, listed): (u64, usize) = (contacts.parse().ok()?, listed.parse().ok()?);
    // The number of phrases the file says it holds is checked, so a damaged file is
    // recounted rather than half read.
    let mut found = Vec::new();
    let mut read = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        let (count, phrase) = line.split_once('\t')?;
        let count: u64 = count.parse().ok()?;
        read += 1;
        if let Some(slot) = wanted.get(phrase) {
            found.push((*slot, count));
        }
    }
    (read == listed).then_some((contacts, found))
}

/// Keeps the counts of a span under `key`, phrases sorted so the file is the same
/// bytes every time. Phrases holding a line break cannot be stored line by line, so
/// such a span is not cached (it is counted again next time, with the same result).
pub fn store(path: &Path, key: &str, contacts: u64, phrases: &PhraseCounts) {
    if phrases.keys().any(|p| p.contains('\n')) {
        return;
    }
    let mut sorted: Vec<(&String, &u64)> = phrases.iter().collect();
    sorted.sort_unstable();
    let mut text = format!("{key}\n{contacts}\t{}\n", sorted.len());
    for (phrase, count) in sorted {
        text.push_str(&count.to_string());
        text.push('\t');
        text.push_str(phrase);
        text.push('\n');
    }
    // A read-only history still reports, only more slowly.
    let _ = fsutil::write_atomic(path, text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_reads_only_wanted_phrases_and_refuses_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tsv");
        let phrases: PhraseCounts = [("光缆 抢修".to_string(), 3), ("宽带".to_string(), 7)]
            .into_iter()
            .collect();
        store(&path, "k1", 40, &phrases);
        let wanted: PhraseSlots = [("宽带", 0), ("无关", 1)].into_iter().collect();
        assert_eq!(read_cached(&path, "k1", &wanted), Some((40, vec![(0, 7)])));
        assert_eq!(read_cached(&path, "k2", &wanted), None, "stale key");
        // A file cut short, even at a line break, is not trusted.
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text.trim_end().rfind('\n').unwrap() + 1;
        std::fs::write(&path, &text[..cut]).unwrap();
        assert_eq!(read_cached(&path, "k1", &wanted), None);
    }
}
