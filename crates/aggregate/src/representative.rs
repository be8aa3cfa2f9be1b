//! Representative verbatims: the contacts closest to the centroid of a group's
//! customer-side words, so the quotes in a report show the typical case, not an outlier.

use std::collections::HashMap;
use voc_core::hash::FxBuild;
use voc_core::{EnrichedContact, Speaker};

/// Indexes (into `group`) of the `n` most representative contacts, most typical first.
/// Ties break by contact id so the choice is deterministic.
///
/// Word counts and their products are whole numbers, summed as integers: the cosines do
/// not depend on the order words are visited in, and reading a group's words into
/// sorted lists costs less than a hash map per contact (this ran on one core at the end
/// of a weekly run).
pub fn representative(group: &[&EnrichedContact], n: usize) -> Vec<usize> {
    let bags: Vec<Vec<(&str, u64)>> = group.iter().map(|c| customer_bag(c)).collect();
    let mut centroid: HashMap<&str, u64, FxBuild> = HashMap::default();
    for bag in &bags {
        for &(word, count) in bag {
            *centroid.entry(word).or_default() += count;
        }
    }
    let norm_of = |squares: u64| (squares as f64).sqrt();
    let centroid_norm = norm_of(centroid.values().map(|v| v * v).sum());
    let mut scored: Vec<(f64, usize)> = bags
        .iter()
        .enumerate()
        .map(|(i, bag)| {
            let dot: u64 = bag
                .iter()
                .map(|(word, count)| count * centroid.get(word).copied().unwrap_or(0))
                .sum();
            let norm = norm_of(bag.iter().map(|(_, count)| count * count).sum());
            let cosine = if norm == 0.0 || centroid_norm == 0.0 {
                0.0
            } else {
                dot as f64 / (norm * centroid_norm)
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

/// Word counts of the customer's turns, sorted by word (single characters and
/// punctuation carry little meaning and are left out).
fn customer_bag(record: &EnrichedContact) -> Vec<(&str, u64)> {
    let mut words: Vec<&str> = record
        .contact
        .turns
        .iter()
        .zip(&record.tokens)
        .filter(|(turn, _)| turn.speaker != Speaker::Agent)
        .flat_map(|(_, tokens)| tokens.iter().map(|t| t.as_str()))
        .filter(|word| word.chars().nth(1).is_some())
        .collect();
    words.sort_unstable();
    let mut bag: Vec<(&str, u64)> = Vec::with_capacity(words.len());
    for word in words {
        match bag.last_mut() {
            Some((last, count)) if *last == word => *count += 1,
            _ => bag.push((word, 1)),
        }
    }
    bag
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_core::{Contact, Turn};

    fn contact(id: &str, customer: &[&str], agent: &[&str]) -> EnrichedContact {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let turn = |speaker, tokens: &[&str]| Turn {
            speaker,
            text: tokens.concat(),
        };
        EnrichedContact {
            week: "2026-W46".into(),
            contact: Contact::new(
                id,
                at,
                "voice",
                vec![
                    turn(Speaker::Customer, customer),
                    turn(Speaker::Agent, agent),
                ],
            ),
            tokens: vec![
                customer.iter().map(|&t| t.into()).collect(),
                agent.iter().map(|&t| t.into()).collect(),
            ],
            categories: Vec::new(),
            complaint: true,
            sentiment: 0.0,
            sentiment_label: "neutral".into(),
            mood: Default::default(),
            risk: Default::default(),
        }
    }

    #[test]
    fn the_typical_contact_first_the_outlier_last_equal_ones_by_id() {
        let group = [
            contact("C4", &["宽带", "断网", "三天", "了"], &["抱歉", "断网"]),
            contact("C9", &["发票", "开错", "了"], &[]),
            contact("C2", &["宽带", "断网", "光猫", "红灯"], &[]),
            // C1 and C3 say the same (order and agent words aside): a tie, by id.
            contact("C3", &["宽带", "断网", "断网", "光猫"], &["光猫"]),
            contact("C1", &["断网", "光猫", "宽带", "断网"], &[]),
        ];
        let refs: Vec<&EnrichedContact> = group.iter().collect();
        let ids = |n| -> Vec<&str> {
            representative(&refs, n)
                .into_iter()
                .map(|i| group[i].contact.id.as_str())
                .collect()
        };
        // Centroid: 断网 6, 宽带 4, 光猫 3, 三天 1, 红灯 1, 发票 1, 开错 1 (了 and the
        // agent's words are not counted). C1 and C3 (断网 2, 宽带 1, 光猫 1) score
        // 19/√6, C2 14/√4, C4 11/√3, C9 2/√2, each over the centroid's norm.
        assert_eq!(ids(5), ["C1", "C3", "C2", "C4", "C9"]);
        assert_eq!(ids(2), ["C1", "C3"]);
        assert!(representative(&[], 3).is_empty());
    }

    #[test]
    fn a_bag_counts_the_customer_words_of_two_characters_or_more() {
        let c = contact("C1", &["网速", "慢", "网速", "，", "5G"], &["网速"]);
        assert_eq!(customer_bag(&c), [("5G", 1), ("网速", 2)]);
    }
}
