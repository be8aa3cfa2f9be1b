//! Topic discovery: what customers talk about that the taxonomy does not know yet.
//!
//! From the stored tokens of a period's contacts (never cut again), without any
//! taxonomy: topics by spherical k-means on TF-IDF of the content words, started from a
//! spectral partition of their nearest-neighbour graph ([`cluster`], [`spectral`]),
//! each described by its most distinctive phrases, size, share, sentiment, regions,
//! channels, overlapping categories and representative verbatims ([`describe`]); small
//! themes of a handful of contacts by word co-occurrence ([`themes`]); ids kept from
//! period to period and new / growing / shrinking / gone tested like emerging issues
//! ([`identity`]); a category stub for a topic ([`suggest`]).
//!
//! Deterministic: the same history, options and seed give the same topics, ids and
//! bytes (documents sorted by id, a fixed PRNG, sums in document order, ties by id).

pub mod cluster;
pub mod corpus;
pub mod describe;
pub mod identity;
mod report;
pub mod spectral;
pub mod suggest;
mod themes;

use serde::{Deserialize, Serialize};
use voc_core::Period;
use voc_core::channel::label as channel_label;
use voc_store::History;
use voc_store::scan::Span;

pub use cluster::Seeding;
pub use corpus::{Corpus, Document, Side};
pub use describe::{Share, Verbatim};
pub use identity::{Registry, Status};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Store(#[from] voc_store::StoreError),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverOptions {
    pub side: Side,
    /// Topics wanted; 0 picks √(contacts ÷ 25) between 2 and 30.
    pub topics: usize,
    pub seed: u64,
    pub seeding: Seeding,
    /// A word is a feature when at least this many contacts use it; 0 picks
    /// max(2, contacts ÷ 20,000).
    pub min_df: u32,
    /// … and at most this share of them.
    pub max_df_share: f64,
    pub max_iterations: usize,
    /// A contact nearer no topic than this cosine is left unassigned.
    pub min_similarity: f32,
    /// Small themes need at least this many contacts.
    pub theme_min_contacts: u32,
    pub max_themes: usize,
    /// Cosine of phrase weights at which a topic is the same as a known one.
    pub match_threshold: f64,
    pub change: identity::ChangeOptions,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            side: Side::Customer,
            topics: 0,
            seed: 42,
            seeding: Seeding::Spectral,
            min_df: 0,
            max_df_share: 0.5,
            max_iterations: 20,
            min_similarity: 0.05,
            theme_min_contacts: 5,
            max_themes: 20,
            match_threshold: 0.5,
            change: identity::ChangeOptions::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicKind {
    /// A k-means topic: every contact is in at most one.
    Topic,
    /// A small theme found by word co-occurrence, beside the topics.
    Theme,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// Stable across periods (`T0001`).
    pub id: String,
    pub kind: TopicKind,
    /// Its most distinctive phrases, joined by `、`.
    pub label: String,
    /// Up to eight distinctive phrases, best first, each with the topic's contacts using it.
    pub phrases: Vec<Share>,
    pub size: u64,
    /// Of the period's contacts.
    pub share: f64,
    pub mean_sentiment: f64,
    pub negative_share: f64,
    pub regions: Vec<Share>,
    pub channels: Vec<Share>,
    /// The categories its contacts are tagged with, most frequent first.
    pub categories: Vec<Share>,
    /// Its contacts that no category matched.
    pub uncategorised_share: f64,
    pub verbatims: Vec<Verbatim>,
    pub status: Status,
    /// The previous period's contacts: for a topic, those nearest it (the previous
    /// period counted in this period's topics); for a theme, the size of the theme it
    /// matched.
    pub previous_size: Option<u64>,
    /// `previous_size` scaled to this period's contacts.
    pub expected: Option<f64>,
    pub p_value: Option<f64>,
    /// The phrase weights it is matched by (top 30).
    pub terms: identity::TermVector,
}

/// A topic of the previous period that none of this period's matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoneTopic {
    pub id: String,
    pub label: String,
    pub previous_size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub algorithm: String,
    pub side: Side,
    pub k: usize,
    pub seed: u64,
    pub features: usize,
    pub iterations: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub period: String,
    pub first_day: String,
    pub last_day: String,
    pub previous_period: Option<String>,
    pub contacts: u64,
    /// Contacts in no topic (no content word, or near no topic).
    pub unassigned: u64,
    pub unassigned_share: f64,
    /// Contacts no category matched: where the taxonomy may miss something.
    pub uncategorised: u64,
    pub uncategorised_share: f64,
    /// Topics living mostly (≥ 50 %) in the uncategorised contacts first, then by size.
    pub topics: Vec<Topic>,
    pub themes: Vec<Topic>,
    pub gone: Vec<GoneTopic>,
    pub method: Method,
    /// Each contact's topic id (`None`: unassigned) and theme ids, by contact id.
    #[serde(skip)]
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assignment {
    pub contact_id: String,
    pub topic: Option<String>,
    pub themes: Vec<String>,
}

/// Topics and themes of one corpus before ids are given.
#[derive(Debug, Clone)]
pub struct PeriodTopics {
    pub contacts: usize,
    pub topics: Vec<Topic>,
    pub themes: Vec<Topic>,
    /// Per document: index into `topics`.
    pub topic_of: Vec<Option<usize>>,
    /// Per document: indices into `themes`.
    pub themes_of: Vec<Vec<usize>>,
    pub method: Method,
    /// The topics' boundaries, to count another period's contacts in them.
    pub projection: cluster::Projection,
    /// Each theme's words: its contacts use two of them.
    pub theme_words: Vec<Vec<String>>,
}

impl PeriodTopics {
    /// `other`'s contacts counted under these boundaries: in each topic (the nearest
    /// centroid, the same similarity floor) and in each theme (using two of its words).
    pub fn counts_in(&self, other: &Corpus) -> (Vec<u64>, Vec<u64>) {
        (
            self.projection.counts(other),
            themes::users(other, &self.theme_words),
        )
    }
}

fn auto_k(contacts: usize) -> usize {
    ((contacts as f64 / 25.0).sqrt().round() as usize).clamp(2, 30)
}

/// Topics and themes of `corpus`, described, without ids or statuses.
pub fn topics_of(corpus: &Corpus, options: &DiscoverOptions) -> PeriodTopics {
    let n = corpus.documents.len();
    let k = if options.topics == 0 {
        auto_k(n)
    } else {
        options.topics
    };
    let min_df = if options.min_df == 0 {
        ((n / 20_000) as u32).max(2)
    } else {
        options.min_df
    };
    let timer = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(target: "voc::discover", "{what}: {:.3} s", timer.elapsed().as_secs_f64());
    let features = cluster::features(corpus, min_df, options.max_df_share);
    lap("features");
    let clustering = cluster::kmeans(
        &features,
        &cluster::KMeansOptions {
            k,
            seeding: options.seeding,
            seed: options.seed,
            max_iterations: options.max_iterations,
            min_similarity: options.min_similarity,
        },
    );
    lap("k-means");
    let k_found = clustering.centroids.len();
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k_found + 1];
    for (d, a) in clustering.assignment.iter().enumerate() {
        match a {
            Some(c) => groups[*c as usize].push(d),
            None => groups[k_found].push(d),
        }
    }
    let counts = describe::group_phrase_counts(corpus, &groups);
    let mut all = describe::PhraseCounts::default();
    for group in &counts {
        for (&key, &c) in group {
            *all.entry(key).or_insert(0) += c;
        }
    }
    let describe_group = |kind: TopicKind,
                          docs: &[usize],
                          phrase_counts: &describe::PhraseCounts,
                          score: &dyn Fn(usize) -> f64| {
        topic_of_documents(corpus, kind, docs, phrase_counts, &all, n, score)
    };
    let mut topics = Vec::with_capacity(k_found);
    for c in 0..k_found {
        let score = |d: usize| clustering.similarity[d] as f64;
        topics.push(describe_group(
            TopicKind::Topic,
            &groups[c],
            &counts[c],
            &score,
        ));
    }
    let mut topic_of: Vec<Option<usize>> = clustering
        .assignment
        .iter()
        .map(|a| a.map(|c| c as usize))
        .collect();
    // Empty topics (every contact below the similarity floor) are dropped.
    let kept: Vec<usize> = (0..k_found).filter(|&c| !groups[c].is_empty()).collect();
    let renumber: Vec<Option<usize>> = {
        let mut r = vec![None; k_found];
        for (new, &old) in kept.iter().enumerate() {
            r[old] = Some(new);
        }
        r
    };
    topic_of
        .iter_mut()
        .for_each(|t| *t = t.and_then(|c| renumber[c]));
    let topics: Vec<Topic> = kept.iter().map(|&c| topics[c].clone()).collect();
    let projection = cluster::Projection::new(
        corpus,
        &features,
        &kept
            .iter()
            .map(|&c| clustering.centroids[c].clone())
            .collect::<Vec<_>>(),
        options.min_similarity,
    );

    lap("topics described");
    let found = themes::find_themes(corpus, options.theme_min_contacts, options.max_themes);
    lap("themes found");
    let mut themes_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut theme_topics = Vec::with_capacity(found.len());
    for (t, theme) in found.iter().enumerate() {
        let docs: Vec<usize> = theme.documents.iter().map(|&(d, _)| d).collect();
        for &d in &docs {
            themes_of[d].push(t);
        }
        let phrase_counts = &describe::group_phrase_counts(corpus, std::slice::from_ref(&docs))[0];
        let words = theme.words.len().max(1) as f64;
        let uses: std::collections::HashMap<usize, usize> =
            theme.documents.iter().copied().collect();
        let score = |d: usize| uses.get(&d).copied().unwrap_or(0) as f64 / words;
        theme_topics.push(describe_group(
            TopicKind::Theme,
            &docs,
            phrase_counts,
            &score,
        ));
    }
    lap("themes described");
    let theme_words = found
        .iter()
        .map(|theme| {
            theme
                .words
                .iter()
                .map(|&w| corpus.words[w as usize].clone())
                .collect()
        })
        .collect();
    PeriodTopics {
        contacts: n,
        topics,
        themes: theme_topics,
        topic_of,
        themes_of,
        method: Method {
            algorithm: format!(
                "spherical k-means on TF-IDF of stored words ({} seeding)",
                clustering.seeding
            ),
            side: options.side,
            k: kept.len(),
            seed: options.seed,
            features: features.len(),
            iterations: clustering.iterations,
        },
        projection,
        theme_words,
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn topic_of_documents(
    corpus: &Corpus,
    kind: TopicKind,
    docs: &[usize],
    phrase_counts: &describe::PhraseCounts,
    all: &describe::PhraseCounts,
    contacts: usize,
    score: &dyn Fn(usize) -> f64,
) -> Topic {
    let size = docs.len();
    let distinctive = describe::distinctive(phrase_counts, size.max(1), all, contacts.max(1), 30);
    let phrases: Vec<Share> = distinctive
        .iter()
        .take(8)
        .map(|d| Share {
            value: describe::phrase_text(corpus, d.key),
            count: d.count as u64,
            share: round4(d.count as f64 / size.max(1) as f64),
        })
        .collect();
    let label = phrases
        .iter()
        .take(3)
        .map(|p| p.value.as_str())
        .collect::<Vec<_>>()
        .join("、");
    let terms: identity::TermVector = distinctive
        .iter()
        .map(|d| {
            (
                describe::phrase_words(corpus, d.key).join(" "),
                round4(d.score),
            )
        })
        .collect();
    let documents = || docs.iter().map(|&d| &corpus.documents[d]);
    let mean_sentiment = if size == 0 {
        0.0
    } else {
        documents().map(|d| d.sentiment).sum::<f64>() / size as f64
    };
    let negative = documents()
        .filter(|d| d.sentiment_label == "negative")
        .count();
    let uncategorised = documents().filter(|d| d.categories.is_empty()).count();
    let share_of = |count: usize| {
        if size == 0 {
            0.0
        } else {
            round4(count as f64 / size as f64)
        }
    };
    Topic {
        id: String::new(),
        kind,
        label,
        phrases,
        size: size as u64,
        share: round4(size as f64 / contacts.max(1) as f64),
        mean_sentiment: round4(mean_sentiment),
        negative_share: share_of(negative),
        regions: describe::top_shares(documents().map(|d| d.region.as_str()), size, 3),
        // Shown to analysts and clients: the channel's Chinese label, not its code.
        channels: describe::top_shares(documents().map(|d| channel_label(&d.channel)), size, 3),
        categories: describe::top_shares(
            documents().flat_map(|d| d.categories.iter().map(String::as_str)),
            size,
            3,
        ),
        uncategorised_share: share_of(uncategorised),
        verbatims: describe::representatives(corpus, docs, score, 3),
        status: Status::Unknown,
        previous_size: None,
        expected: None,
        p_value: None,
        terms,
    }
}

/// The period's corpus, or `None` when the history holds no contact of it.
fn period_corpus(
    history: &History,
    period: &Period,
    side: Side,
    is_stopword: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<(Span, Corpus)>, DiscoverError> {
    let span = Span::new(period.key(), period.first, period.last);
    let timer = std::time::Instant::now();
    let corpus = corpus::read_span(history, &span, side, is_stopword)?;
    tracing::debug!(target: "voc::discover", "{} read: {} contacts in {:.3} s", span.key, corpus.documents.len(), timer.elapsed().as_secs_f64());
    Ok((!corpus.documents.is_empty()).then_some((span, corpus)))
}

/// Ids of a period's topics and themes, matched in one go so that a topic and a
/// theme never take the same known topic.
fn ids_for(
    registry: &mut Registry,
    key: &str,
    found: &PeriodTopics,
    threshold: f64,
) -> (Vec<String>, Vec<String>) {
    let vectors: Vec<(String, identity::TermVector, u64)> = found
        .topics
        .iter()
        .chain(&found.themes)
        .map(|t| (t.label.clone(), t.terms.clone(), t.size))
        .collect();
    let mut ids = registry.assign(key, &vectors, threshold);
    registry.periods.insert(
        key.to_string(),
        identity::SeenPeriod {
            contacts: found.contacts as u64,
            topics: ids.clone(),
        },
    );
    let themes = ids.split_off(found.topics.len());
    (ids, themes)
}

/// The previous period's contacts and its topics as (id, label, size).
type PreviousPeriod = (u64, Vec<(String, String, u64)>);

/// Discovers the topics of `period` from `history`, giving them ids from `registry`
/// (updated with this period's and the previous period's topics) and their change
/// against the previous period of the same length, when the history holds it.
pub fn discover(
    history: &History,
    period: &Period,
    registry: &mut Registry,
    options: &DiscoverOptions,
    is_stopword: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Discovery, DiscoverError> {
    let Some((span, corpus)) = period_corpus(history, period, options.side, is_stopword)? else {
        return Err(DiscoverError::Invalid(format!(
            "no stored contacts in {} ({} to {}) under {}",
            period.key(),
            period.first,
            period.last,
            history.display()
        )));
    };
    let previous_period = period.previous();
    let previous_key = previous_period.key();
    let previous_corpus = period_corpus(history, &previous_period, options.side, is_stopword)?;
    // The previous period as discovered before (ids and sizes in the registry), or
    // found now; it is named first, so a topic keeps the id it had then.
    let mut previous_found: Option<PeriodTopics> = None;
    let previous: Option<PreviousPeriod> = match registry.periods.get(&previous_key) {
        Some(seen) => Some((
            seen.contacts,
            seen.topics
                .iter()
                .filter_map(|id| registry.topics.iter().find(|t| &t.id == id))
                .map(|t| {
                    let size = t.sizes.get(&previous_key).copied().unwrap_or(0);
                    (t.id.clone(), t.label.clone(), size)
                })
                .collect(),
        )),
        None => match &previous_corpus {
            Some((_, c)) => {
                let found = topics_of(c, options);
                let (topic_ids, theme_ids) =
                    ids_for(registry, &previous_key, &found, options.match_threshold);
                let listed = topic_ids
                    .iter()
                    .zip(&found.topics)
                    .chain(theme_ids.iter().zip(&found.themes))
                    .map(|(id, t)| (id.clone(), t.label.clone(), t.size))
                    .collect();
                let contacts = found.contacts as u64;
                previous_found = Some(found);
                Some((contacts, listed))
            }
            None => None,
        },
    };
    let current = topics_of(&corpus, options);
    let key = span.key.clone();
    let (topic_ids, theme_ids) = ids_for(registry, &key, &current, options.match_threshold);

    let previous_sizes: std::collections::BTreeMap<&str, u64> = previous
        .as_ref()
        .map(|(_, listed)| {
            listed
                .iter()
                .map(|(id, _, size)| (id.as_str(), *size))
                .collect()
        })
        .unwrap_or_default();
    // The previous period's contacts counted in this period's topics and themes: each
    // is compared with the same conversations a week earlier, however that week's
    // topics were cut.
    let earlier = previous
        .as_ref()
        .and(previous_corpus.as_ref())
        .map(|(_, c)| (c.documents.len() as u64, current.counts_in(c)));
    let finish = |topics: &[Topic], ids: &[String], kind: TopicKind| -> Vec<Topic> {
        let by_boundaries = earlier.as_ref().map(|(contacts, (topics, themes))| {
            let counts = match kind {
                TopicKind::Topic => topics,
                TopicKind::Theme => themes,
            };
            (contacts, counts)
        });
        let counts: Vec<(u64, Option<u64>)> = topics
            .iter()
            .zip(ids)
            .enumerate()
            .map(|(i, (t, id))| match by_boundaries {
                Some((_, counts)) => (t.size, Some(counts[i])),
                None => (t.size, previous_sizes.get(id.as_str()).copied()),
            })
            .collect();
        let mut changes = identity::changes(
            &counts,
            current.contacts as u64,
            match by_boundaries {
                Some((contacts, _)) => Some(*contacts),
                None => previous.as_ref().map(|(contacts, _)| *contacts),
            },
            &options.change,
        );
        if by_boundaries.is_some() {
            // New: no earlier topic like it, and more of these conversations than the
            // previous period had; a new cut of conversations that were there is not.
            for (change, id) in changes.iter_mut().zip(ids) {
                if change.status == Status::Growing && !previous_sizes.contains_key(id.as_str()) {
                    change.status = Status::New;
                }
            }
        }
        topics
            .iter()
            .zip(ids)
            .zip(changes)
            .zip(&counts)
            .map(|(((t, id), change), &(_, previous_size))| Topic {
                id: id.clone(),
                status: change.status,
                previous_size,
                expected: change.expected.map(round4),
                p_value: change.p_value,
                ..t.clone()
            })
            .collect()
    };
    let mut topics = finish(&current.topics, &topic_ids, TopicKind::Topic);
    let mut themes = finish(&current.themes, &theme_ids, TopicKind::Theme);
    // Coverage gaps first: topics living mostly in contacts no category matched.
    let gap_first = |a: &Topic, b: &Topic| {
        (b.uncategorised_share >= 0.5)
            .cmp(&(a.uncategorised_share >= 0.5))
            .then(b.size.cmp(&a.size))
            .then(a.id.cmp(&b.id))
    };
    topics.sort_by(gap_first);
    themes.sort_by(gap_first);
    let present: std::collections::BTreeSet<&str> = topic_ids
        .iter()
        .chain(&theme_ids)
        .map(String::as_str)
        .collect();
    // With each one's place among the previous period's topics and themes (topics first).
    let mut gone: Vec<(usize, GoneTopic)> = previous
        .as_ref()
        .map(|(_, listed)| {
            listed
                .iter()
                .enumerate()
                .filter(|(_, (id, _, _))| !present.contains(id.as_str()))
                .map(|(i, (id, label, size))| {
                    let topic = GoneTopic {
                        id: id.clone(),
                        label: label.clone(),
                        previous_size: *size,
                    };
                    (i, topic)
                })
                .collect()
        })
        .unwrap_or_default();
    // A previous topic or theme nothing matches now is gone only when its conversations
    // are: this period's contacts counted in the previous period's topics (found again
    // when the registry knew that period: the same history and options give the same
    // topics), or using two of a theme's words, fell as the emerging issues' test reads
    // a fall. Otherwise it is only cut differently now. One not found again stays gone.
    if !gone.is_empty()
        && let Some((_, earlier)) = &previous_corpus
    {
        let found = previous_found.unwrap_or_else(|| topics_of(earlier, options));
        let (now_topics, now_themes) = found.counts_in(&corpus);
        // Each candidate's previous topic or theme found again: the closest by phrases,
        // as (this period's count, its previous size).
        let boundaries: Vec<Option<(u64, u64)>> = gone
            .iter()
            .map(|(i, g)| {
                let terms = &registry.topics.iter().find(|t| t.id == g.id)?.terms;
                let (among, now) = if *i < found.topics.len() {
                    (&found.topics, &now_topics)
                } else {
                    (&found.themes, &now_themes)
                };
                among
                    .iter()
                    .enumerate()
                    .map(|(j, t)| (identity::cosine(terms, &t.terms), j))
                    .filter(|&(c, _)| c >= options.match_threshold)
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
                    .map(|(_, j)| (now[j], among[j].size))
            })
            .collect();
        let counts: Vec<(u64, Option<u64>)> = boundaries
            .iter()
            .flatten()
            .map(|&(now, before)| (now, Some(before)))
            .collect();
        let mut fell = identity::changes(
            &counts,
            current.contacts as u64,
            Some(found.contacts as u64),
            &options.change,
        )
        .into_iter()
        .map(|c| c.status == Status::Shrinking);
        let mut keep = boundaries
            .iter()
            .map(|b| b.is_none() || fell.next().unwrap_or(true));
        gone.retain(|_| keep.next().unwrap_or(true));
    }
    let gone: Vec<GoneTopic> = gone.into_iter().map(|(_, g)| g).collect();
    let unassigned = current.topic_of.iter().filter(|t| t.is_none()).count() as u64;
    let uncategorised = corpus
        .documents
        .iter()
        .filter(|d| d.categories.is_empty())
        .count() as u64;
    let n = current.contacts as u64;
    let assignments = corpus
        .documents
        .iter()
        .enumerate()
        .map(|(d, doc)| Assignment {
            contact_id: doc.id.clone(),
            topic: current.topic_of[d].map(|t| topic_ids[t].clone()),
            themes: current.themes_of[d]
                .iter()
                .map(|&t| theme_ids[t].clone())
                .collect(),
        })
        .collect();
    Ok(Discovery {
        period: key,
        first_day: span.first.to_string(),
        last_day: span.last.to_string(),
        previous_period: previous.as_ref().map(|_| previous_key.clone()),
        contacts: n,
        unassigned,
        unassigned_share: round4(unassigned as f64 / n.max(1) as f64),
        uncategorised,
        uncategorised_share: round4(uncategorised as f64 / n.max(1) as f64),
        topics,
        themes,
        gone,
        method: current.method,
        assignments,
    })
}
