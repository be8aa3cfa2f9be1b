//! Emerging issues: counts that rise significantly against a trailing baseline.
//!
//! The test, for every category and every region × category cell:
//! - the cell's count in the report week is taken as Poisson;
//! - its expectation is the cell's baseline rate per contact times this week's volume:
//!   λ = (contacts of the cell in the `baseline_weeks` weeks before + 0.5) ÷ all
//!   contacts of those weeks × all contacts this week. Scaling by volume keeps a busy
//!   week from looking like a rise everywhere; the half contact of prior mass keeps a
//!   cell never seen before from having λ = 0 (and p = 0 for a single contact);
//! - the cell is emerging when it has at least `min_count` contacts, at least
//!   `min_ratio` times λ, and P(X ≥ count | λ) below `alpha` ÷ the number of cells
//!   tested (Bonferroni, so testing ~200 cells a week does not raise ~2 false alarms);
//! - a region cell of a category that is emerging as a whole is dropped (the
//!   category's entry names its top regions); the rest are ranked by excess contacts
//!   (count − λ), the number of extra contacts someone has to handle.
//!
//! Checked against the generator's planted surges in `tests/planted_truth.rs`: every
//! planted issue found in its week, no week with more than one false alarm.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::stats::poisson_upper_tail;
use crate::week_counts::HistoryTables;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmergingOptions {
    pub baseline_weeks: usize,
    pub min_count: u64,
    pub alpha: f64,
    pub min_ratio: f64,
}

impl Default for EmergingOptions {
    fn default() -> Self {
        EmergingOptions {
            baseline_weeks: 8,
            min_count: 5,
            alpha: 0.01,
            min_ratio: 1.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Emerging {
    pub category: String,
    /// `None` for the whole category, `Some(region)` for a region × category cell.
    pub region: Option<String>,
    pub week: String,
    pub count: u64,
    /// Mean weekly count over the baseline weeks.
    pub baseline_mean: f64,
    /// Count expected this week from the baseline rate and this week's volume.
    pub expected: f64,
    pub p_value: f64,
}

/// The `n` periods with data just before `week` in the tables (oldest first): the
/// baseline of the test. The tables' rows may be weeks or any other periods, keyed so
/// they sort in time order (see [`crate::trends::PeriodSpans`]).
pub fn baseline_of<'a>(tables: &'a HistoryTables, week: &str, n: usize) -> Vec<&'a str> {
    let weeks: Vec<&str> = tables.weeks.iter().map(|w| w.week.as_str()).collect();
    match weeks.iter().position(|w| *w == week) {
        Some(pos) => weeks[pos.saturating_sub(n)..pos].to_vec(),
        None => Vec::new(),
    }
}

/// Emerging categories and region × category cells in `week` (a week, or the key of
/// another report period when the tables are per period).
pub fn detect(tables: &HistoryTables, week: &str, options: &EmergingOptions) -> Vec<Emerging> {
    let weeks: Vec<&str> = tables.weeks.iter().map(|w| w.week.as_str()).collect();
    if !weeks.contains(&week) {
        return Vec::new();
    }
    let baseline = baseline_of(tables, week, options.baseline_weeks);
    if baseline.is_empty() {
        return Vec::new();
    }
    let volume: BTreeMap<&str, u64> = tables
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.contacts))
        .collect();
    let baseline_volume: u64 = baseline.iter().map(|w| volume[w]).sum();
    let current_volume = volume[week];

    let mut cells: BTreeMap<(String, Option<String>), BTreeMap<&str, u64>> = BTreeMap::new();
    for c in &tables.categories {
        cells
            .entry((c.category.clone(), None))
            .or_default()
            .insert(week_ref(&weeks, &c.week), c.count);
    }
    for c in &tables.region_categories {
        cells
            .entry((c.category.clone(), Some(c.region.clone())))
            .or_default()
            .insert(week_ref(&weeks, &c.week), c.count);
    }
    let tested: BTreeSet<_> = cells.keys().cloned().collect();
    let threshold = options.alpha / tested.len().max(1) as f64;

    let mut found: Vec<Emerging> = cells
        .into_iter()
        .filter_map(|((category, region), counts)| {
            let count = counts.get(week).copied().unwrap_or(0);
            if count < options.min_count {
                return None;
            }
            let base_total: u64 = baseline
                .iter()
                .map(|w| counts.get(w).copied().unwrap_or(0))
                .sum();
            // Half a contact of prior mass keeps a never-seen cell from having rate 0.
            let rate = (base_total as f64 + 0.5) / baseline_volume.max(1) as f64;
            let expected = rate * current_volume as f64;
            let p_value = poisson_upper_tail(count, expected);
            let significant = p_value < threshold && count as f64 >= options.min_ratio * expected;
            significant.then(|| Emerging {
                category,
                region,
                week: week.to_string(),
                count,
                baseline_mean: base_total as f64 / baseline.len() as f64,
                expected,
                p_value,
            })
        })
        .collect();
    // A region cell of a category that is emerging as a whole adds nothing: the
    // category's own entry names its top regions.
    let whole: BTreeSet<String> = found
        .iter()
        .filter(|e| e.region.is_none())
        .map(|e| e.category.clone())
        .collect();
    found.retain(|e| e.region.is_none() || !whole.contains(&e.category));
    found.sort_by(|a, b| {
        let excess = |e: &Emerging| e.count as f64 - e.expected;
        excess(b)
            .total_cmp(&excess(a))
            .then_with(|| a.category.cmp(&b.category))
            .then_with(|| a.region.cmp(&b.region))
    });
    found
}

fn week_ref<'a>(weeks: &[&'a str], week: &str) -> &'a str {
    weeks.iter().find(|w| **w == week).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::week_counts::{CategoryCount, WeekRow};

    fn week(w: &str, contacts: u64) -> WeekRow {
        WeekRow {
            week: w.into(),
            contacts,
            complaints: 0,
            sentiment_mean: 0.0,
            negative_share: 0.0,
            escalation: 0,
            churn: 0,
            repeat: 0,
        }
    }

    #[test]
    fn planted_jump_is_found_and_steady_category_is_not() {
        let weeks: Vec<String> = (1..=9).map(|i| format!("2026-W{i:02}")).collect();
        let mut tables = HistoryTables {
            weeks: weeks.iter().map(|w| week(w, 1000)).collect(),
            ..Default::default()
        };
        for (i, w) in weeks.iter().enumerate() {
            let jump = if i == 8 { 30 } else { 3 };
            tables.categories.push(CategoryCount {
                week: w.clone(),
                category: "新".into(),
                count: jump,
            });
            tables.categories.push(CategoryCount {
                week: w.clone(),
                category: "稳".into(),
                count: 50 + (i as u64 % 3),
            });
        }
        let found = detect(&tables, "2026-W09", &EmergingOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].category, "新");
        assert!((found[0].baseline_mean - 3.0).abs() < 1e-9);
    }
}
