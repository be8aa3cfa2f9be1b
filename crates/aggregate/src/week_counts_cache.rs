//! The weekly tables and day counts of each stored week, kept beside the history, so a
//! run reads the 13 weeks of its trend as one partition counted now and twelve small
//! files, not twelve partitions decoded again. With the phrase counts of
//! [`voc_store::term_counts`], this keeps adding week 13 to 12 weeks close to the cost of
//! adding week 1 to nothing.
//!
//! One file per week (`voc_store::History::week_tables_file`,
//! `.cache/week-tables/2026-W45.json` beside the history) holding what
//! [`tables_of`] and [`volumes::daily`] give for the whole partition, under the
//! partition's [`partition_stamp`]: a re-delivered contact or `voc retag`
//! rewrites the partition, and the week is counted again. A week with days after the
//! report's last day (a month or range ending mid-week) is counted again up to that day
//! and not kept. The cache only saves time: a missing, stale or unreadable file is
//! counted again, one that cannot be written is left out.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use voc_core::fsutil;

use crate::AggregateError;
use voc_store::History;
use voc_store::history::partition_stamp;
use voc_store::layout::week_of_partition;
use voc_store::scan::{Span, WeekWindow, scan_files};

use crate::volumes::{self, DIMENSIONS, Daily, DayCategory, DayCount};
use crate::week_counts::{CategoryCount, HistoryTables, RegionCategoryCount, WeekRow, tables_of};

/// Bumped whenever what the tables hold changes.
const FORMAT: &str = "voc week tables v1";

#[derive(Debug)]
struct WeekTables {
    /// What the counts were made from: the format and the partition's stamp.
    source: String,
    /// The last day with a contact in the partition.
    last_day: Option<NaiveDate>,
    tables: HistoryTables,
    daily: Daily,
}

/// [`WeekTables`] as kept on disk. serde_json does not read every float back to the
/// same bits (its fast float parser can be off in the last digit), so the float
/// columns are kept as their bit patterns: the report from kept tables must be the
/// same bytes as the report from counting.
#[derive(Serialize, Deserialize)]
struct Kept {
    source: String,
    last_day: Option<NaiveDate>,
    weeks: Vec<(WeekRow, [u64; 2])>,
    categories: Vec<CategoryCount>,
    region_categories: Vec<RegionCategoryCount>,
    dims: Vec<(DayCount, u64)>,
    day_categories: Vec<DayCategory>,
}

impl From<&WeekTables> for Kept {
    fn from(w: &WeekTables) -> Self {
        Kept {
            source: w.source.clone(),
            last_day: w.last_day,
            weeks: w
                .tables
                .weeks
                .iter()
                .map(|r| {
                    let bits = [r.sentiment_mean.to_bits(), r.negative_share.to_bits()];
                    (r.clone(), bits)
                })
                .collect(),
            categories: w.tables.categories.clone(),
            region_categories: w.tables.region_categories.clone(),
            dims: w
                .daily
                .dims
                .iter()
                .map(|d| (d.clone(), d.duration_sum.to_bits()))
                .collect(),
            day_categories: w.daily.categories.clone(),
        }
    }
}

impl From<Kept> for WeekTables {
    fn from(k: Kept) -> Self {
        WeekTables {
            source: k.source,
            last_day: k.last_day,
            tables: HistoryTables {
                weeks: k
                    .weeks
                    .into_iter()
                    .map(|(mut r, [mean, share])| {
                        r.sentiment_mean = f64::from_bits(mean);
                        r.negative_share = f64::from_bits(share);
                        r
                    })
                    .collect(),
                categories: k.categories,
                region_categories: k.region_categories,
            },
            daily: Daily {
                dims: k
                    .dims
                    .into_iter()
                    .map(|(mut d, sum)| {
                        d.duration_sum = f64::from_bits(sum);
                        d
                    })
                    .collect(),
                categories: k.day_categories,
            },
        }
    }
}

/// The weekly tables and day counts of the partitions in `window`, counting only days
/// up to `today`: the same rows as [`tables_of`] and [`volumes::daily`] over the
/// window's scan filtered to `today`.
pub fn window_tables(
    history: &History,
    window: &WeekWindow,
    today: NaiveDate,
) -> Result<(HistoryTables, Daily), AggregateError> {
    // Every partition is read with the newest one first, as a scan of the whole window
    // does, so an older partition lacking a later-added column reads it as null.
    let newest = history.partitions().pop();
    let mut weeks = Vec::new();
    for path in history.partitions_in(window) {
        let week = week_of_partition(&path);
        let source = format!("{FORMAT} {}", partition_stamp(&path)?);
        let file = history.week_tables_file(&week);
        let whole = match read(&file, &source) {
            Some(kept) => kept,
            None => {
                let counted = count(&path, &week, newest.as_deref(), None, source)?;
                store(&file, &counted);
                counted
            }
        };
        if whole.last_day.is_none_or(|d| d <= today) {
            weeks.push(whole);
        } else {
            weeks.push(count(
                &path,
                &week,
                newest.as_deref(),
                Some(today),
                String::new(),
            )?);
        }
    }
    Ok(merge(weeks))
}

/// Counts one partition (up to `through` when given).
fn count(
    path: &Path,
    week: &str,
    newest: Option<&Path>,
    through: Option<NaiveDate>,
    source: String,
) -> Result<WeekTables, AggregateError> {
    let mut files: Vec<PathBuf> = vec![path.to_path_buf()];
    if let Some(n) = newest.filter(|n| *n != path) {
        files.push(n.to_path_buf());
    }
    let lf = scan_files(&files)?
        .expect("one file at least")
        .filter(col("week").eq(lit(week.to_string())));
    let lf = match through {
        Some(day) => lf.filter(Span::new("", NaiveDate::MIN, day).predicate()),
        None => lf,
    };
    let daily = volumes::daily(&lf)?;
    Ok(WeekTables {
        source,
        last_day: daily.dims.iter().map(|d| d.date).max(),
        tables: tables_of(lf)?,
        daily,
    })
}

/// The weeks' rows in the order one scan of them all gives: weeks in order, and the day
/// counts dimension by dimension.
fn merge(weeks: Vec<WeekTables>) -> (HistoryTables, Daily) {
    let mut tables = HistoryTables::default();
    let mut daily = Daily::default();
    for dimension in DIMENSIONS {
        for w in &weeks {
            daily.dims.extend(
                w.daily
                    .dims
                    .iter()
                    .filter(|d| d.dimension == *dimension)
                    .cloned(),
            );
        }
    }
    for w in weeks {
        tables.weeks.extend(w.tables.weeks);
        tables.categories.extend(w.tables.categories);
        tables.region_categories.extend(w.tables.region_categories);
        daily.categories.extend(w.daily.categories);
    }
    (tables, daily)
}

fn read(file: &Path, source: &str) -> Option<WeekTables> {
    let text = std::fs::read(file).ok()?;
    let kept: Kept = serde_json::from_slice(&text).ok()?;
    (kept.source == source).then(|| kept.into())
}

fn store(file: &Path, tables: &WeekTables) {
    if let Ok(json) = serde_json::to_vec(&Kept::from(tables)) {
        // A read-only history still reports, only more slowly.
        let _ = fsutil::write_atomic(file, &json);
    }
}
