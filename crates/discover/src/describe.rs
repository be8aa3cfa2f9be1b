//! What a group of documents is about and who raises it: its most distinctive phrases
//! (the label), sentiment, top regions, channels and overlapping categories, and its
//! most representative verbatims.

use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use voc_core::hash::FxBuild;

use crate::corpus::{BREAK, Corpus};

/// A value and how many of a topic's contacts have it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Share {
    pub value: String,
    pub count: u64,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Verbatim {
    pub id: String,
    /// The customer side (or every turn), masked at ingest.
    pub text: String,
    /// How representative it is: cosine to the topic's centroid (topics) or the
    /// share of the theme's words it holds (themes).
    pub score: f64,
}

/// A word or two-word phrase key: a phrase is `(first << 32) | second`; a single word
/// has `u32::MAX` in the high half (no phrase starts with [`BREAK`]).
pub(crate) type PhraseKey = u64;

fn word_key(w: u32) -> PhraseKey {
    ((BREAK as u64) << 32) | w as u64
}

fn pair_key(a: u32, b: u32) -> PhraseKey {
    ((a as u64) << 32) | b as u64
}

/// The phrase a key names, as it reads (two ASCII words keep a space between them).
pub(crate) fn phrase_text(corpus: &Corpus, key: PhraseKey) -> String {
    let (high, low) = ((key >> 32) as u32, key as u32);
    if high == BREAK {
        return corpus.words[low as usize].clone();
    }
    let (a, b) = (&corpus.words[high as usize], &corpus.words[low as usize]);
    let ascii = |s: &str| s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if ascii(a) && b.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        format!("{a} {b}")
    } else {
        format!("{a}{b}")
    }
}

/// The tokens of a phrase, space-separated (`光缆 抢修`), as the taxonomy reads terms.
pub(crate) fn phrase_words(corpus: &Corpus, key: PhraseKey) -> Vec<String> {
    let (high, low) = ((key >> 32) as u32, key as u32);
    if high == BREAK {
        vec![corpus.words[low as usize].clone()]
    } else {
        vec![
            corpus.words[high as usize].clone(),
            corpus.words[low as usize].clone(),
        ]
    }
}

/// The distinct words and adjacent pairs of a document.
pub(crate) fn phrases_of(sequence: &[u32]) -> Vec<PhraseKey> {
    let mut keys = Vec::with_capacity(sequence.len() * 2);
    for (i, &w) in sequence.iter().enumerate() {
        if w == BREAK {
            continue;
        }
        keys.push(word_key(w));
        if let Some(&next) = sequence.get(i + 1)
            && next != BREAK
            && next != w
        {
            keys.push(pair_key(w, next));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

pub(crate) type PhraseCounts = HashMap<PhraseKey, u32, FxBuild>;

/// Contacts per phrase in each group of documents (a group per topic).
pub(crate) fn group_phrase_counts(corpus: &Corpus, groups: &[Vec<usize>]) -> Vec<PhraseCounts> {
    groups
        .par_iter()
        .map(|docs| {
            let mut counts = PhraseCounts::default();
            for &d in docs {
                for key in phrases_of(&corpus.documents[d].sequence) {
                    *counts.entry(key).or_insert(0) += 1;
                }
            }
            counts
        })
        .collect()
}

/// A phrase of a topic with its score: the topic's share of contacts using it × the
/// log of how much more they use it than all contacts do (a KL-divergence term: high
/// for phrases both frequent in the topic and typical of it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Distinctive {
    pub(crate) key: PhraseKey,
    pub(crate) count: u32,
    pub(crate) score: f64,
}

/// The topic's most distinctive phrases, best first; a word inside a chosen phrase is
/// left out (the phrase says it), and a phrase replaces a chosen word it contains
/// when at least half the word's contacts use the phrase.
pub(crate) fn distinctive(
    counts: &PhraseCounts,
    size: usize,
    all: &PhraseCounts,
    contacts: usize,
    limit: usize,
) -> Vec<Distinctive> {
    let min_count = ((size as f64 * 0.03).ceil() as u32).max(2).min(size as u32);
    let mut scored: Vec<Distinctive> = counts
        .iter()
        .filter(|&(_, &c)| c >= min_count)
        .map(|(&key, &count)| {
            let p_topic = count as f64 / size as f64;
            let p_all = all.get(&key).copied().unwrap_or(count) as f64 / contacts as f64;
            Distinctive {
                key,
                count,
                score: p_topic * (p_topic / p_all).ln(),
            }
        })
        .filter(|d| d.score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    let mut chosen: Vec<Distinctive> = Vec::new();
    let words_of = |key: PhraseKey| -> (u32, u32) { ((key >> 32) as u32, key as u32) };
    for candidate in scored {
        if chosen.len() >= limit {
            break;
        }
        let (high, low) = words_of(candidate.key);
        if high == BREAK {
            // A single word already said by a chosen phrase.
            let inside = chosen.iter().any(|c| {
                let (a, b) = words_of(c.key);
                a != BREAK && (a == low || b == low)
            });
            if !inside {
                chosen.push(candidate);
            }
        } else {
            let contained = chosen.iter().position(|c| {
                let (a, b) = words_of(c.key);
                a == BREAK && (b == high || b == low)
            });
            match contained {
                Some(i) if candidate.count * 2 >= chosen[i].count => chosen[i] = candidate,
                Some(_) => {}
                None => chosen.push(candidate),
            }
        }
    }
    chosen.dedup_by_key(|d| d.key);
    chosen
}

/// The `limit` most frequent values among `values`, with their share of `total`.
pub(crate) fn top_shares<'a>(
    values: impl Iterator<Item = &'a str>,
    total: usize,
    limit: usize,
) -> Vec<Share> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_insert(0) += 1;
    }
    let mut sorted: Vec<(&str, u64)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sorted
        .into_iter()
        .take(limit)
        .map(|(value, count)| Share {
            value: value.to_string(),
            count,
            share: if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
        })
        .collect()
}

/// Up to `limit` verbatims, most representative first (by `score`, then id), one per
/// distinct text so a repeated message is not quoted three times.
pub(crate) fn representatives(
    corpus: &Corpus,
    docs: &[usize],
    score: impl Fn(usize) -> f64,
    limit: usize,
) -> Vec<Verbatim> {
    let mut ranked: Vec<(f64, usize)> = docs.iter().map(|&d| (score(d), d)).collect();
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| corpus.documents[a.1].id.cmp(&corpus.documents[b.1].id))
    });
    let mut out: Vec<Verbatim> = Vec::new();
    for (s, d) in ranked {
        if out.len() >= limit {
            break;
        }
        let document = &corpus.documents[d];
        if document.verbatim.is_empty() || out.iter().any(|v| v.text == document.verbatim) {
            continue;
        }
        out.push(Verbatim {
            id: document.id.clone(),
            text: document.verbatim.clone(),
            score: (s * 1000.0).round() / 1000.0,
        });
    }
    out
}
