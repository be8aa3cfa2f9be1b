//! Aggregates over the whole stored history, computed lazily by polars from the week
//! partitions and returned as plain rows for the report.

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use voc_store::History;
use voc_store::scan::{WeekWindow, scan};

use crate::AggregateError;

/// Volume, complaints, sentiment and risk of one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekRow {
    pub week: String,
    pub contacts: u64,
    pub complaints: u64,
    pub sentiment_mean: f64,
    pub negative_share: f64,
    pub escalation: u64,
    pub churn: u64,
    pub repeat: u64,
}

/// Contacts of one category in one week (a contact counts once per category).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub week: String,
    pub category: String,
    pub count: u64,
}

/// Contacts of one category from one region in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionCategoryCount {
    pub week: String,
    pub region: String,
    pub category: String,
    pub count: u64,
}

/// Everything the report needs from history, sorted for deterministic output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryTables {
    pub weeks: Vec<WeekRow>,
    pub categories: Vec<CategoryCount>,
    pub region_categories: Vec<RegionCategoryCount>,
}

/// Weekly volumes and category counts over all stored history.
pub fn history_tables(history: &History) -> Result<HistoryTables, AggregateError> {
    history_tables_in(history, &WeekWindow::all())
}

/// Weekly volumes and category counts over the weeks of `window` only: the other
/// partitions are not opened.
pub fn history_tables_in(
    history: &History,
    window: &WeekWindow,
) -> Result<HistoryTables, AggregateError> {
    match scan(history, window)? {
        Some(lf) => tables_of(lf),
        None => Ok(HistoryTables::default()),
    }
}

/// The weekly tables of a scanned history.
pub fn tables_of(lf: LazyFrame) -> Result<HistoryTables, AggregateError> {
    let as_u32 = |name: &str| col(name).cast(DataType::UInt32).sum();
    let weeks = lf
        .clone()
        .group_by([col("week")])
        .agg([
            len().alias("contacts"),
            as_u32("complaint").alias("complaints"),
            // A float sum over parallel groups changes in its last digit with thread
            // timing (seen at 1M); an integer sum of micro-units is the same in any
            // order, so the tables stay byte-identical run to run.
            ((col("sentiment").cast(DataType::Float64) * lit(1e6))
                .cast(DataType::Int64)
                .sum()
                .cast(DataType::Float64)
                / col("sentiment").count().cast(DataType::Float64)
                / lit(1e6))
            .alias("sentiment_mean"),
            col("sentiment_label")
                .eq(lit("negative"))
                .cast(DataType::Float64)
                .mean()
                .alias("negative_share"),
            as_u32("risk_escalation").alias("escalation"),
            as_u32("risk_churn").alias("churn"),
            as_u32("risk_repeat").alias("repeat"),
        ])
        .sort(["week"], SortMultipleOptions::default())
        .collect()?;

    let exploded = lf
        .select([col("week"), col("region"), col("categories")])
        .explode(
            by_name(["categories"], true, false),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .filter(col("categories").is_not_null());
    let categories = exploded
        .clone()
        .group_by([col("week"), col("categories")])
        .agg([len().alias("count")])
        .sort(["week", "categories"], SortMultipleOptions::default())
        .collect()?;
    let region_categories = exploded
        .filter(col("region").is_not_null())
        .group_by([col("week"), col("region"), col("categories")])
        .agg([len().alias("count")])
        .sort(
            ["week", "region", "categories"],
            SortMultipleOptions::default(),
        )
        .collect()?;

    Ok(HistoryTables {
        weeks: week_rows(&weeks)?,
        categories: (0..categories.height())
            .map(|i| {
                Ok(CategoryCount {
                    week: str_at(&categories, "week", i)?,
                    category: str_at(&categories, "categories", i)?,
                    count: u64_at(&categories, "count", i)?,
                })
            })
            .collect::<Result<_, AggregateError>>()?,
        region_categories: (0..region_categories.height())
            .map(|i| {
                Ok(RegionCategoryCount {
                    week: str_at(&region_categories, "week", i)?,
                    region: str_at(&region_categories, "region", i)?,
                    category: str_at(&region_categories, "categories", i)?,
                    count: u64_at(&region_categories, "count", i)?,
                })
            })
            .collect::<Result<_, AggregateError>>()?,
    })
}

fn week_rows(df: &DataFrame) -> Result<Vec<WeekRow>, AggregateError> {
    (0..df.height())
        .map(|i| {
            Ok(WeekRow {
                week: str_at(df, "week", i)?,
                contacts: u64_at(df, "contacts", i)?,
                complaints: u64_at(df, "complaints", i)?,
                sentiment_mean: f64_at(df, "sentiment_mean", i)?,
                negative_share: f64_at(df, "negative_share", i)?,
                escalation: u64_at(df, "escalation", i)?,
                churn: u64_at(df, "churn", i)?,
                repeat: u64_at(df, "repeat", i)?,
            })
        })
        .collect()
}

fn str_at(df: &DataFrame, name: &str, i: usize) -> Result<String, AggregateError> {
    Ok(df
        .column(name)?
        .str()?
        .get(i)
        .unwrap_or_default()
        .to_string())
}

fn u64_at(df: &DataFrame, name: &str, i: usize) -> Result<u64, AggregateError> {
    let c = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.get(i).unwrap_or(0))
}

fn f64_at(df: &DataFrame, name: &str, i: usize) -> Result<f64, AggregateError> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.get(i).unwrap_or(0.0))
}
