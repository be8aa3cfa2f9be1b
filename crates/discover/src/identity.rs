//! Topics keep their id from period to period: a topic is matched to a known one when
//! the cosine of their phrase weights is at least a threshold (one-to-one, best pairs
//! first), and the known topics are kept in a small file of the output folder
//! (`tables/discover/topics.json`).
//!
//! New, growing, shrinking, gone: against the previous period of the same length, with
//! the emerging issues' discipline (`voc_aggregate::emerging`): a topic's count is taken
//! as Poisson with λ = (its count in the previous period + 0.5) ÷ that period's contacts
//! × this period's contacts; growing when it has at least `min_count` contacts, at least
//! `min_ratio` × λ and P(X ≥ count) below `alpha` ÷ the topics tested (Bonferroni);
//! shrinking likewise with P(X ≤ count) and count ≤ λ ÷ `min_ratio`; new when no topic
//! of the previous period matched it; gone when a topic of the previous period matched
//! none of this one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use voc_aggregate::stats::poisson_upper_tail;

/// A topic's phrase weights (phrase → weight), the vector topics are matched by.
pub type TermVector = Vec<(String, f64)>;

pub fn cosine(a: &TermVector, b: &TermVector) -> f64 {
    let b_map: BTreeMap<&str, f64> = b.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    let dot: f64 = a
        .iter()
        .filter_map(|(t, w)| b_map.get(t.as_str()).map(|v| v * w))
        .sum();
    let norm = |v: &TermVector| v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator > 0.0 {
        dot / denominator
    } else {
        0.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownTopic {
    pub id: String,
    pub label: String,
    /// The phrase weights of the last period it was seen in.
    pub terms: TermVector,
    pub first_seen: String,
    pub last_seen: String,
    /// Contacts per period key.
    pub sizes: BTreeMap<String, u64>,
}

/// A period topics were found in: its contacts and the ids of its topics and themes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeenPeriod {
    pub contacts: u64,
    pub topics: Vec<String>,
}

/// The topics known to an output folder, by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// The number of the next new id (`T0001` …).
    pub next: u32,
    pub topics: Vec<KnownTopic>,
    /// The periods discovered, by key: a period's comparison reads the previous one
    /// here rather than finding its topics again.
    #[serde(default)]
    pub periods: BTreeMap<String, SeenPeriod>,
}

impl Registry {
    /// Gives each of `topics` (phrase vectors) an id: the known topic it matches, or
    /// a new one; records each under `period` with its size and phrases.
    pub fn assign(
        &mut self,
        period: &str,
        topics: &[(String, TermVector, u64)],
        threshold: f64,
    ) -> Vec<String> {
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        for (i, (_, terms, _)) in topics.iter().enumerate() {
            for (j, known) in self.topics.iter().enumerate() {
                let c = cosine(terms, &known.terms);
                if c >= threshold {
                    candidates.push((c, i, j));
                }
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut matched: Vec<Option<usize>> = vec![None; topics.len()];
        let mut taken = vec![false; self.topics.len()];
        for (_, i, j) in candidates {
            if matched[i].is_none() && !taken[j] {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }
        let mut ids = Vec::with_capacity(topics.len());
        for (i, (label, terms, size)) in topics.iter().enumerate() {
            let j = match matched[i] {
                Some(j) => j,
                None => {
                    self.next = self.next.max(1);
                    let id = format!("T{:04}", self.next);
                    self.next += 1;
                    self.topics.push(KnownTopic {
                        id,
                        label: label.clone(),
                        terms: Vec::new(),
                        first_seen: period.to_string(),
                        last_seen: period.to_string(),
                        sizes: BTreeMap::new(),
                    });
                    self.topics.len() - 1
                }
            };
            let known = &mut self.topics[j];
            known.label = label.clone();
            known.terms = terms.clone();
            if period < known.first_seen.as_str() {
                known.first_seen = period.to_string();
            }
            if period > known.last_seen.as_str() {
                known.last_seen = period.to_string();
            }
            known.sizes.insert(period.to_string(), *size);
            ids.push(known.id.clone());
        }
        ids
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Growing,
    Shrinking,
    Stable,
    /// No previous period to compare with.
    Unknown,
}

impl Status {
    /// As the report and the table say it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::New => "新出现",
            Status::Growing => "上升",
            Status::Shrinking => "下降",
            Status::Stable => "平稳",
            Status::Unknown => "—",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeOptions {
    pub min_count: u64,
    pub alpha: f64,
    pub min_ratio: f64,
}

impl Default for ChangeOptions {
    fn default() -> Self {
        ChangeOptions {
            min_count: 5,
            alpha: 0.01,
            min_ratio: 1.5,
        }
    }
}

/// The change of one topic: its status, the count expected from the previous period
/// and the p-value of the test (`None` for new topics and without a previous period).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub status: Status,
    pub expected: Option<f64>,
    pub p_value: Option<f64>,
}

/// Statuses of this period's topics given their previous-period counts (`None`: no
/// match), this period's and the previous period's contacts (`None`: no previous
/// period in the history).
pub fn changes(
    counts: &[(u64, Option<u64>)],
    contacts: u64,
    previous_contacts: Option<u64>,
    options: &ChangeOptions,
) -> Vec<Change> {
    let Some(previous_contacts) = previous_contacts.filter(|&c| c > 0) else {
        return counts
            .iter()
            .map(|_| Change {
                status: Status::Unknown,
                expected: None,
                p_value: None,
            })
            .collect();
    };
    let tests = counts.iter().filter(|(_, p)| p.is_some()).count().max(1) as f64;
    let level = options.alpha / tests;
    counts
        .iter()
        .map(|&(count, previous)| match previous {
            None => Change {
                status: Status::New,
                expected: None,
                p_value: None,
            },
            Some(previous) => {
                let lambda = (previous as f64 + 0.5) / previous_contacts as f64 * contacts as f64;
                let up = poisson_upper_tail(count, lambda);
                let down = 1.0 - poisson_upper_tail(count + 1, lambda);
                let (status, p) = if count >= options.min_count
                    && count as f64 >= options.min_ratio * lambda
                    && up < level
                {
                    (Status::Growing, up)
                } else if count as f64 * options.min_ratio <= lambda && down < level {
                    (Status::Shrinking, down)
                } else {
                    (Status::Stable, up.min(down))
                };
                Change {
                    status,
                    expected: Some(lambda),
                    p_value: Some(p),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(terms: &[(&str, f64)]) -> TermVector {
        terms.iter().map(|(t, w)| (t.to_string(), *w)).collect()
    }

    #[test]
    fn the_same_topic_keeps_its_id_and_a_different_one_gets_a_new_one() {
        let mut registry = Registry::default();
        let refunds = vector(&[("退款", 1.0), ("到账", 0.8)]);
        let network = vector(&[("信号", 1.0), ("断网", 0.7)]);
        let first = registry.assign(
            "2026-W45",
            &[
                ("退款".into(), refunds.clone(), 40),
                ("信号".into(), network, 30),
            ],
            0.5,
        );
        assert_eq!(first, ["T0001", "T0002"]);
        let refunds_again = vector(&[("退款", 0.9), ("到账", 0.9), ("客服", 0.1)]);
        let scam = vector(&[("诈骗", 1.0), ("短信", 0.6)]);
        let second = registry.assign(
            "2026-W46",
            &[("诈骗".into(), scam, 6), ("退款".into(), refunds_again, 50)],
            0.5,
        );
        assert_eq!(second, ["T0003", "T0001"]);
        assert_eq!(registry.topics[0].sizes.len(), 2);
        assert_eq!(registry.topics[0].first_seen, "2026-W45");
        assert_eq!(registry.topics[0].last_seen, "2026-W46");
    }

    #[test]
    fn growth_needs_significance_volume_and_ratio() {
        let options = ChangeOptions::default();
        let c = changes(
            &[(100, Some(50)), (52, Some(50)), (10, Some(50)), (5, None)],
            10_000,
            Some(10_000),
            &options,
        );
        let statuses: Vec<Status> = c.iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Growing,
                Status::Stable,
                Status::Shrinking,
                Status::New
            ]
        );
        let unknown = changes(&[(5, None)], 100, None, &options);
        assert_eq!(unknown[0].status, Status::Unknown);
    }
}
