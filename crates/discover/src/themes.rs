//! Small themes: a handful of contacts that share words almost no one else uses (a
//! new fault, a new scam, a new product name). k-means cannot give five contacts out
//! of ten thousand a topic of their own, so these are found apart, by word
//! co-occurrence, and listed beside the topics (a contact may be in both).
//!
//! Two words are bound when each is used by at least `min_contacts` contacts and by
//! few overall (at most `max(4 × min_contacts, contacts ÷ 200)`), and at least 60 % of
//! the contacts using either use both. Bound words join into groups (union-find); a
//! theme is a group's contacts that use at least two of its words, when they are at
//! least `min_contacts` with at least three distinct verbatims (a message pasted again
//! and again is not a theme).

use std::collections::{BTreeMap, HashMap};
use voc_core::hash::FxBuild;

use crate::corpus::{BREAK, Corpus};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Theme {
    /// The group's words, most used first.
    pub(crate) words: Vec<u32>,
    /// The contacts (document indices, ascending) and how many of the words each uses.
    pub(crate) documents: Vec<(usize, usize)>,
}

/// For each theme (its words), how many of `corpus`'s contacts use at least two of them
/// (a theme's rule, to count another period's contacts in this period's themes).
pub(crate) fn users(corpus: &Corpus, themes: &[Vec<String>]) -> Vec<u64> {
    let mut themes_of_word: HashMap<&str, Vec<u32>, FxBuild> = HashMap::default();
    for (t, words) in themes.iter().enumerate() {
        for w in words {
            themes_of_word.entry(w.as_str()).or_default().push(t as u32);
        }
    }
    let of_id: Vec<&[u32]> = corpus
        .words
        .iter()
        .map(|w| {
            themes_of_word
                .get(w.as_str())
                .map_or(&[][..], Vec::as_slice)
        })
        .collect();
    let mut counts = vec![0u64; themes.len()];
    let mut used: Vec<(u32, u32)> = Vec::new();
    for d in &corpus.documents {
        used.clear();
        for &w in &d.sequence {
            if w != BREAK {
                used.extend(of_id[w as usize].iter().map(|&t| (t, w)));
            }
        }
        used.sort_unstable();
        used.dedup();
        // Sorted (theme, word) pairs: a theme with a run of two or more is used.
        let mut i = 0;
        while i < used.len() {
            let run = used[i..].iter().take_while(|p| p.0 == used[i].0).count();
            if run >= 2 {
                counts[used[i].0 as usize] += 1;
            }
            i += run;
        }
    }
    counts
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

pub(crate) fn find_themes(corpus: &Corpus, min_contacts: u32, limit: usize) -> Vec<Theme> {
    let n = corpus.documents.len();
    let min_contacts = min_contacts.max(2);
    let max_df = (min_contacts * 4).max((n / 200) as u32);
    let mut df = vec![0u32; corpus.words.len()];
    let distinct: Vec<Vec<u32>> = corpus
        .documents
        .iter()
        .map(|d| {
            let mut words: Vec<u32> = d.sequence.iter().copied().filter(|&w| w != BREAK).collect();
            words.sort_unstable();
            words.dedup();
            words
        })
        .collect();
    for words in &distinct {
        for &w in words {
            df[w as usize] += 1;
        }
    }
    let is_rare = |w: u32| (min_contacts..=max_df).contains(&df[w as usize]);
    let mut pairs: HashMap<u64, u32, FxBuild> = HashMap::default();
    let mut rare_of_doc: Vec<Vec<u32>> = Vec::with_capacity(n);
    for words in &distinct {
        // A long document with many rare words is mostly noise for this purpose; its
        // first 24 rare words bound the pairs it adds.
        let rare: Vec<u32> = words
            .iter()
            .copied()
            .filter(|&w| is_rare(w))
            .take(24)
            .collect();
        for (i, &a) in rare.iter().enumerate() {
            for &b in &rare[i + 1..] {
                *pairs.entry(((a as u64) << 32) | b as u64).or_insert(0) += 1;
            }
        }
        rare_of_doc.push(rare);
    }
    let mut bound: Vec<(u32, u32)> = pairs
        .into_iter()
        .filter(|&(key, count)| {
            let (a, b) = ((key >> 32) as u32, key as u32);
            let larger = df[a as usize].max(df[b as usize]);
            count >= min_contacts && count as f64 >= 0.6 * larger as f64
        })
        .map(|(key, _)| ((key >> 32) as u32, key as u32))
        .collect();
    bound.sort_unstable();
    if bound.is_empty() {
        return Vec::new();
    }
    let mut parent: Vec<usize> = (0..corpus.words.len()).collect();
    for &(a, b) in &bound {
        let (ra, rb) = (find(&mut parent, a as usize), find(&mut parent, b as usize));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for &(a, b) in &bound {
        for w in [a, b] {
            let root = find(&mut parent, w as usize);
            let group = groups.entry(root).or_default();
            if !group.contains(&w) {
                group.push(w);
            }
        }
    }
    let mut group_of: HashMap<u32, usize, FxBuild> = HashMap::default();
    for (&root, words) in &groups {
        for &w in words {
            group_of.insert(w, root);
        }
    }
    let mut members: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for (d, rare) in rare_of_doc.iter().enumerate() {
        let mut hits: BTreeMap<usize, usize> = BTreeMap::new();
        for w in rare {
            if let Some(&root) = group_of.get(w) {
                *hits.entry(root).or_insert(0) += 1;
            }
        }
        for (root, count) in hits {
            if count >= 2 {
                members.entry(root).or_default().push((d, count));
            }
        }
    }
    let mut themes: Vec<Theme> = Vec::new();
    for (root, documents) in members {
        if documents.len() < min_contacts as usize {
            continue;
        }
        let mut texts: Vec<&str> = documents
            .iter()
            .map(|&(d, _)| corpus.documents[d].verbatim.as_str())
            .collect();
        texts.sort_unstable();
        texts.dedup();
        if texts.len() < 3 {
            continue;
        }
        let mut words = groups[&root].clone();
        words.sort_by(|&a, &b| df[b as usize].cmp(&df[a as usize]).then(a.cmp(&b)));
        themes.push(Theme { words, documents });
    }
    themes.sort_by(|a, b| {
        b.documents
            .len()
            .cmp(&a.documents.len())
            .then_with(|| a.words.cmp(&b.words))
    });
    themes.truncate(limit);
    themes
}
