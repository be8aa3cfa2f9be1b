//! Representative verbatims: the contacts closest to the centroid of a group's
//! customer-side words, so the quotes in a report show the typical case, not an outlier.

use std::collections::{BTreeMap, HashMap};
use voc_core::{EnrichedContact, Speaker};

/// Indexes (into `group`) of the `n` most representative contacts, most typical first.
/// Ties break by contact id so the choice is deterministic.
pub fn representative(group: &[&EnrichedContact], n: usize) -> Vec<usize> {
    let bags: Vec<HashMap<&str, f64>> = group.iter().map(|c| customer_bag(c)).collect();
    let mut centroid: BTreeMap<&str, f64> = BTreeMap::new();
    for bag in &bags {
        for (word, weight) in bag {
            *centroid.entry(word).or_default() += weight;
        }
    }
    let centroid_norm = centroid.values().map(|v| v * v).sum::<f64>().sqrt();
    let mut scored: Vec<(f64, usize)> = bags
        .iter()
        .enumerate()
        .map(|(i, bag)| {
            let dot: f64 = bag
                .iter()
                .map(|(w, v)| v * centroid.get(w).copied().unwrap_or(0.0))
                .sum();
            let norm = bag.values().map(|v| v * v).sum::<f64>().sqrt();
            let cosine = if norm == 0.0 || centroid_norm == 0.0 {
                0.0
            } else {
                dot / (norm * centroid_norm)
            };
            (cosine, i)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| group[a.1].contact.id.cmp(&group[b.1].contact.id))
    });
    scored.into_iter().take(n).map(|(_, i)| i).collect()
}

/// Normalized word counts of the customer's turns (single characters and punctuation
/// carry little meaning and are left out).
fn customer_bag(record: &EnrichedContact) -> HashMap<&str, f64> {
    let mut bag: HashMap<&str, f64> = HashMap::new();
    for (turn, tokens) in record.contact.turns.iter().zip(&record.tokens) {
        if turn.speaker == Speaker::Agent {
            continue;
        }
        for token in tokens {
            if token.chars().count() > 1 {
                *bag.entry(token.as_str()).or_default() += 1.0;
            }
        }
    }
    bag
}
