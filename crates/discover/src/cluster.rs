//! Spherical k-means on TF-IDF vectors of the stored words, started from a spectral
//! partition of a sample ([`crate::spectral`]; k-means++ when the sample is too small
//! for a neighbour graph), with a fixed PRNG, so the same documents and seed give the
//! same topics.
//!
//! Why this method: measured against NMF, k-means and BERTopic on the same texts
//! (`benches/discover.py`), it agrees best with labelled classes, and one pass costs one
//! sparse dot product per document and topic, so a million contacts take seconds (the
//! spectral start costs the same at any size: it works on a bounded sample). Assigning is parallel (each document's answer does not depend on the
//! others); the centroid sums are added in document order, so floats do not depend on
//! how rayon split the work.

use rayon::prelude::*;

use crate::corpus::{BREAK, Corpus};
use crate::spectral;

/// Seeding names, as `run.json` and `voc discover --json` report the method.
pub const SPECTRAL: &str = "spectral partition of a nearest-neighbour graph";
pub const KMEANS_PLUS_PLUS: &str = "k-means++";

/// How the k-means finds its starting topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seeding {
    /// A spectral partition of a sample's nearest-neighbour graph ([`spectral`]): topics
    /// that agree best with labelled classes (`benches/RESULTS.md`).
    #[default]
    Spectral,
    /// The best of [`RESTARTS`] k-means++ starts: the earlier method, kept for comparison.
    #[serde(rename = "kmeans++")]
    KMeansPlusPlus,
}

/// Documents as L2-normalised TF-IDF rows (compressed sparse rows over features).
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Start of each document's entries in `columns`/`values`; one more than documents.
    pub offsets: Vec<usize>,
    pub columns: Vec<u32>,
    pub values: Vec<f32>,
    /// The corpus word id of each feature.
    pub feature_words: Vec<u32>,
    /// Documents containing each feature.
    pub document_frequency: Vec<u32>,
}

impl Features {
    pub fn row(&self, document: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.offsets[document], self.offsets[document + 1]);
        (&self.columns[a..b], &self.values[a..b])
    }

    pub fn documents(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn len(&self) -> usize {
        self.feature_words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.feature_words.is_empty()
    }
}

/// Which words become features: seen in at least `min_df` documents and in at most
/// `max_df_share` of them (a word nearly every contact uses separates nothing).
pub fn features(corpus: &Corpus, min_df: u32, max_df_share: f64) -> Features {
    let n = corpus.documents.len();
    let mut df = vec![0u32; corpus.words.len()];
    let distinct: Vec<Vec<(u32, u32)>> = corpus
        .documents
        .par_iter()
        .map(|d| word_counts(&d.sequence))
        .collect();
    for doc in &distinct {
        for &(w, _) in doc {
            df[w as usize] += 1;
        }
    }
    let max_df = ((max_df_share * n as f64).floor() as u32).max(min_df);
    let mut feature_of = vec![u32::MAX; corpus.words.len()];
    let mut feature_words = Vec::new();
    let mut document_frequency = Vec::new();
    for (w, &count) in df.iter().enumerate() {
        if count >= min_df && count <= max_df {
            feature_of[w] = feature_words.len() as u32;
            feature_words.push(w as u32);
            document_frequency.push(count);
        }
    }
    let idf = idf(&document_frequency, n);
    let rows: Vec<Vec<(u32, f32)>> = distinct
        .par_iter()
        .map(|doc| tfidf_row(doc, &feature_of, &idf))
        .collect();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for row in rows {
        for (f, v) in row {
            columns.push(f);
            values.push(v);
        }
        offsets.push(columns.len());
    }
    Features {
        offsets,
        columns,
        values,
        feature_words,
        document_frequency,
    }
}

/// Each distinct word of a document's sequence with its count, by word id.
fn word_counts(sequence: &[u32]) -> Vec<(u32, u32)> {
    let mut words: Vec<u32> = sequence.iter().copied().filter(|&w| w != BREAK).collect();
    words.sort_unstable();
    let mut counted: Vec<(u32, u32)> = Vec::with_capacity(words.len());
    for w in words {
        match counted.last_mut() {
            Some((last, count)) if *last == w => *count += 1,
            _ => counted.push((w, 1)),
        }
    }
    counted
}

fn idf(document_frequency: &[u32], documents: usize) -> Vec<f32> {
    document_frequency
        .iter()
        .map(|&d| ((1.0 + documents as f64) / (1.0 + d as f64)).ln() as f32 + 1.0)
        .collect()
}

/// A document's L2-normalised TF-IDF row from its word counts (`feature_of`: each word
/// id's feature, `u32::MAX` for none), sorted by feature.
fn tfidf_row(counted: &[(u32, u32)], feature_of: &[u32], idf: &[f32]) -> Vec<(u32, f32)> {
    let mut row: Vec<(u32, f32)> = counted
        .iter()
        .filter_map(|&(w, tf)| {
            let f = feature_of[w as usize];
            (f != u32::MAX).then(|| (f, (1.0 + (tf as f32).ln()) * idf[f as usize]))
        })
        .collect();
    row.sort_unstable_by_key(|&(f, _)| f);
    let norm = row.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    row
}

/// One period's topic boundaries, applied to another period's contacts: each is weighed
/// with this period's TF-IDF (words that are not this period's features left out) and
/// counted in its nearest topic, with the same similarity floor as this period's own.
/// Comparing two periods' counts under the same boundaries tells a topic that grew from
/// one that was merely cut differently this time.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    feature_of_word: std::collections::HashMap<String, u32>,
    idf: Vec<f32>,
    /// Centroids laid out feature-major ([`feature_major`]).
    by_feature: Vec<f32>,
    topics: usize,
    min_similarity: f32,
}

impl Projection {
    /// The boundaries of `centroids` (over `features` of `corpus`).
    pub fn new(
        corpus: &Corpus,
        features: &Features,
        centroids: &[Vec<f32>],
        min_similarity: f32,
    ) -> Self {
        Projection {
            feature_of_word: features
                .feature_words
                .iter()
                .enumerate()
                .map(|(f, &w)| (corpus.words[w as usize].clone(), f as u32))
                .collect(),
            idf: idf(&features.document_frequency, features.documents()),
            by_feature: feature_major(centroids, features.len()),
            topics: centroids.len(),
            min_similarity,
        }
    }

    /// How many of `other`'s documents fall in each topic.
    pub fn counts(&self, other: &Corpus) -> Vec<u64> {
        let k = self.topics;
        let feature_of: Vec<u32> = other
            .words
            .iter()
            .map(|w| self.feature_of_word.get(w).copied().unwrap_or(u32::MAX))
            .collect();
        let nearest: Vec<Option<u32>> = other
            .documents
            .par_iter()
            .map_init(
                || vec![0.0f32; k],
                |buffer, d| {
                    let row = tfidf_row(&word_counts(&d.sequence), &feature_of, &self.idf);
                    if row.is_empty() || k == 0 {
                        return None;
                    }
                    let (columns, values): (Vec<u32>, Vec<f32>) = row.into_iter().unzip();
                    scores((&columns, &values), &self.by_feature, k, buffer);
                    let (c, s) = best(buffer);
                    (s >= self.min_similarity).then_some(c)
                },
            )
            .collect();
        let mut counts = vec![0u64; k];
        nearest
            .into_iter()
            .flatten()
            .for_each(|c| counts[c as usize] += 1);
        counts
    }
}

/// A small, fixed PRNG (splitmix64): the topics must not change with a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The clustering: each document's topic (`None`: no feature, or nearer no centroid
/// than `min_similarity`), its cosine to that centroid, and the centroids.
#[derive(Debug, Clone)]
pub struct Clustering {
    /// How the starting topics were found: [`SPECTRAL`] or [`KMEANS_PLUS_PLUS`].
    pub seeding: &'static str,
    pub assignment: Vec<Option<u32>>,
    pub similarity: Vec<f32>,
    /// `k` rows of `features` weights each, L2-normalised.
    pub centroids: Vec<Vec<f32>>,
    pub iterations: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct KMeansOptions {
    pub k: usize,
    pub seeding: Seeding,
    pub seed: u64,
    pub max_iterations: usize,
    pub min_similarity: f32,
}

/// Dot products of one document with every centroid, given the centroids laid out
/// feature-major (`by_feature[f * k + c]`).
fn scores(row: (&[u32], &[f32]), by_feature: &[f32], k: usize, out: &mut [f32]) {
    out.iter_mut().for_each(|s| *s = 0.0);
    for (&f, &v) in row.0.iter().zip(row.1) {
        let weights = &by_feature[f as usize * k..(f as usize + 1) * k];
        for (s, w) in out.iter_mut().zip(weights) {
            *s += v * w;
        }
    }
}

fn best(scores: &[f32]) -> (u32, f32) {
    let mut best = (0u32, f32::MIN);
    for (c, &s) in scores.iter().enumerate() {
        if s > best.1 {
            best = (c as u32, s);
        }
    }
    best
}

fn feature_major(centroids: &[Vec<f32>], features: usize) -> Vec<f32> {
    let k = centroids.len();
    let mut by_feature = vec![0.0f32; features * k];
    for (c, centroid) in centroids.iter().enumerate() {
        for (f, &w) in centroid.iter().enumerate() {
            by_feature[f * k + c] = w;
        }
    }
    by_feature
}

fn dense(row: (&[u32], &[f32]), features: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; features];
    for (&f, &w) in row.0.iter().zip(row.1) {
        v[f as usize] = w;
    }
    v
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Greedy k-means++ seeding (as scikit-learn's) over the documents that have
/// features: at each step `2 + ln k` candidates are drawn with probability proportional
/// to their distance (1 − cosine) to the nearest centroid so far, and the one that
/// lowers the total distance most is kept. Plain k-means++ merged two of ten planted
/// topics a tenth of the time.
fn seed_centroids(
    features: &Features,
    candidates: &[usize],
    k: usize,
    rng: &mut Rng,
) -> Vec<Vec<f32>> {
    let dims = features.len();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let first = candidates[(rng.next_u64() % candidates.len() as u64) as usize];
    let mut centroids = vec![dense(features.row(first), dims)];
    let distances_to = |centroid: &[f32], nearest: &[f32]| -> Vec<f32> {
        nearest
            .par_iter()
            .zip(candidates.par_iter())
            .map(|(&d, &doc)| {
                let (cols, vals) = features.row(doc);
                let dot: f32 = cols
                    .iter()
                    .zip(vals)
                    .map(|(&f, &v)| v * centroid[f as usize])
                    .sum();
                d.min((1.0 - dot).max(0.0))
            })
            .collect()
    };
    let mut nearest = distances_to(&centroids[0], &vec![f32::MAX; candidates.len()]);
    while centroids.len() < k {
        let total: f64 = nearest.iter().map(|&d| d as f64).sum();
        if total <= 0.0 {
            break;
        }
        let mut best: Option<(f64, Vec<f32>, Vec<f32>)> = None;
        for _ in 0..trials {
            let mut target = rng.unit() * total;
            let mut pick = candidates.len() - 1;
            for (i, &d) in nearest.iter().enumerate() {
                target -= d as f64;
                if target < 0.0 {
                    pick = i;
                    break;
                }
            }
            let centroid = dense(features.row(candidates[pick]), dims);
            let distances = distances_to(&centroid, &nearest);
            let potential: f64 = distances.iter().map(|&d| d as f64).sum();
            if best.as_ref().is_none_or(|b| potential < b.0) {
                best = Some((potential, centroid, distances));
            }
        }
        let (_, centroid, distances) = best.expect("one trial at least");
        centroids.push(centroid);
        nearest = distances;
    }
    centroids
}

/// Documents a restart is run on: all when they are few, else an even sample.
const RESTART_SAMPLE: usize = 20_000;
/// Restarts from different seeds on the sample; the best (highest total cosine)
/// seeds the run over every document. One start's result varied by ±0.05 NMI with the
/// seed on the STC-3 dialogues.
const RESTARTS: u64 = 4;

/// Lloyd's iterations over `docs` from `centroids`: assign each document to the
/// centroid of highest cosine, move each centroid to the normalised sum of its
/// documents, until at most 0.2 % of the documents change topic or `max_iterations`.
/// Gives the centroids, each document's (topic, cosine) and the passes made.
/// Each document's nearest centroid and its similarity, on every core.
fn nearest(
    features: &Features,
    docs: &[usize],
    centroids: &[Vec<f32>],
    dims: usize,
) -> Vec<(u32, f32)> {
    let k = centroids.len();
    let by_feature = feature_major(centroids, dims);
    docs.par_iter()
        .map_init(
            || vec![0.0f32; k],
            |buffer, &doc| {
                scores(features.row(doc), &by_feature, k, buffer);
                best(buffer)
            },
        )
        .collect()
}

fn lloyd(
    features: &Features,
    docs: &[usize],
    mut centroids: Vec<Vec<f32>>,
    max_iterations: usize,
) -> (Vec<Vec<f32>>, Vec<(u32, f32)>, usize) {
    let dims = features.len();
    let k = centroids.len();
    let mut assignment: Vec<(u32, f32)> = vec![(u32::MAX, 0.0); docs.len()];
    let mut iterations = 0;
    loop {
        iterations += 1;
        let next = nearest(features, docs, &centroids, dims);
        let changed = assignment
            .iter()
            .zip(&next)
            .filter(|(a, b)| a.0 != b.0)
            .count();
        assignment = next;
        // Sums in document order (floats the same whatever the thread count).
        let mut sums = vec![vec![0.0f32; dims]; k];
        let mut sizes = vec![0usize; k];
        for (i, &doc) in docs.iter().enumerate() {
            let c = assignment[i].0 as usize;
            sizes[c] += 1;
            let (cols, vals) = features.row(doc);
            for (&f, &v) in cols.iter().zip(vals) {
                sums[c][f as usize] += v;
            }
        }
        // An empty topic takes the document worst served by its own.
        for c in 0..k {
            if sizes[c] == 0
                && let Some(i) = (0..docs.len())
                    .filter(|&i| sizes[assignment[i].0 as usize] > 1)
                    .min_by(|&a, &b| assignment[a].1.total_cmp(&assignment[b].1).then(a.cmp(&b)))
            {
                let old = assignment[i].0 as usize;
                sizes[old] -= 1;
                let (cols, vals) = features.row(docs[i]);
                for (&f, &v) in cols.iter().zip(vals) {
                    sums[old][f as usize] -= v;
                    sums[c][f as usize] += v;
                }
                sizes[c] = 1;
                assignment[i] = (c as u32, 1.0);
            }
        }
        for sum in &mut sums {
            normalise(sum);
        }
        centroids = sums;
        if changed * 500 <= docs.len() || iterations >= max_iterations {
            break;
        }
    }
    (centroids, assignment, iterations)
}

/// Every document when they are at most `at_most`, else every n-th: an even sample.
fn even_sample(candidates: &[usize], at_most: usize) -> Vec<usize> {
    let step = candidates.len().div_ceil(at_most).max(1);
    candidates.iter().copied().step_by(step).collect()
}

/// The starting centroids from a spectral partition of an even sample of the documents
/// ([`spectral`]): the normalised sum of each part's TF-IDF rows. `None` when the
/// sample is too small for a neighbour graph.
fn spectral_start(
    features: &Features,
    candidates: &[usize],
    k: usize,
    seed: u64,
) -> Option<Vec<Vec<f32>>> {
    let sample = even_sample(candidates, spectral::SAMPLE);
    let labels = spectral::partition(features, &sample, k, seed)?;
    let mut sums = vec![vec![0.0f32; features.len()]; k];
    for (&doc, &label) in sample.iter().zip(&labels) {
        let (cols, vals) = features.row(doc);
        for (&f, &v) in cols.iter().zip(vals) {
            sums[label as usize][f as usize] += v;
        }
    }
    for sum in &mut sums {
        normalise(sum);
    }
    Some(sums)
}

/// The best of [`RESTARTS`] seeded starts (greedy k-means++ and Lloyd's iterations) on
/// at most [`RESTART_SAMPLE`] documents.
fn kmeans_plus_plus_start(
    features: &Features,
    candidates: &[usize],
    k: usize,
    options: &KMeansOptions,
) -> Vec<Vec<f32>> {
    let sample = even_sample(candidates, RESTART_SAMPLE);
    let mut best_start: Option<(f64, Vec<Vec<f32>>)> = None;
    for restart in 0..RESTARTS {
        let mut rng = Rng::new(options.seed.wrapping_add(restart.wrapping_mul(0x9E37)));
        let seeds = seed_centroids(features, &sample, k.min(sample.len()), &mut rng);
        let (centroids, assignment, _) = lloyd(features, &sample, seeds, options.max_iterations);
        let objective: f64 = assignment.iter().map(|&(_, s)| s as f64).sum();
        if best_start.as_ref().is_none_or(|b| objective > b.0) {
            best_start = Some((objective, centroids));
        }
    }
    best_start.expect("one restart at least").1
}

/// Spherical k-means: [`RESTARTS`] seeded starts (greedy k-means++ and Lloyd's
/// iterations) on at most [`RESTART_SAMPLE`] documents, the best of them run on every
/// document; then each document's topic and cosine to it.
pub fn kmeans(features: &Features, options: &KMeansOptions) -> Clustering {
    let n = features.documents();
    let dims = features.len();
    let candidates: Vec<usize> = (0..n).filter(|&d| !features.row(d).0.is_empty()).collect();
    let k = options.k.min(candidates.len());
    if k == 0 || dims == 0 {
        return Clustering {
            seeding: KMEANS_PLUS_PLUS,
            assignment: vec![None; n],
            similarity: vec![0.0; n],
            centroids: Vec::new(),
            iterations: 0,
        };
    }
    let spectral = match options.seeding {
        Seeding::Spectral => spectral_start(features, &candidates, k, options.seed),
        Seeding::KMeansPlusPlus => None,
    };
    let (seeding, start) = match spectral {
        Some(centroids) => (SPECTRAL, centroids),
        None => (
            KMEANS_PLUS_PLUS,
            kmeans_plus_plus_start(features, &candidates, k, options),
        ),
    };
    let (centroids, _, iterations) = lloyd(features, &candidates, start, options.max_iterations);
    // Final similarities against the final centroids.
    let finals = nearest(features, &candidates, &centroids, dims);
    let mut out_assignment = vec![None; n];
    let mut similarity = vec![0.0f32; n];
    for (&doc, &(c, s)) in candidates.iter().zip(&finals) {
        if s >= options.min_similarity {
            out_assignment[doc] = Some(c);
        }
        similarity[doc] = s;
    }
    Clustering {
        seeding,
        assignment: out_assignment,
        similarity,
        centroids,
        iterations,
    }
}
