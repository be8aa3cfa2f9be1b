//! Enriched history as Parquet partitioned by ISO week (`history/week=2026-W45/part-0.parquet`,
//! Hive style), so a run reads only what it needs and DuckDB, Spark or DataFusion can
//! read it as it is.

use polars::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use voc_core::EnrichedContact;

use crate::AggregateError;

pub const PARTITION_FILE: &str = "part-0.parquet";

/// Path of the partition holding `week`.
pub fn partition_path(history: &Path, week: &str) -> PathBuf {
    history.join(format!("week={week}")).join(PARTITION_FILE)
}

/// Every partition file under `history`, in week order.
pub fn partitions(history: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(history)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join(PARTITION_FILE))
        .filter(|p| p.exists())
        .collect();
    out.sort();
    out
}

/// Writes `records` into their week partitions. A contact id already stored in a
/// partition is replaced (a re-delivery is not counted twice); other rows are kept.
/// Each partition is rewritten atomically, sorted by time and id so identical input
/// gives identical bytes.
pub fn write_history(
    history: &Path,
    records: &[EnrichedContact],
) -> Result<Vec<PathBuf>, AggregateError> {
    let mut by_week: BTreeMap<&str, Vec<&EnrichedContact>> = BTreeMap::new();
    for r in records {
        by_week.entry(r.week.as_str()).or_default().push(r);
    }
    let all_ids: HashSet<&str> = records.iter().map(|r| r.contact.id.as_str()).collect();
    let mut written = Vec::new();
    // A re-delivered contact may have moved to another week: drop it from every
    // existing partition, not just from the one it lands in now.
    for path in partitions(history) {
        let week = week_of_partition(&path);
        if by_week.contains_key(week.as_str()) {
            continue;
        }
        let existing = read_partition(&path)?;
        let kept = without_ids(existing.clone(), &all_ids)?;
        if kept.height() != existing.height() {
            write_partition(&path, kept)?;
            written.push(path);
        }
    }
    for (week, rows) in by_week {
        let path = partition_path(history, week);
        let mut frame = frame_of(&rows)?;
        if path.exists() {
            let existing = without_ids(read_partition(&path)?, &all_ids)?;
            frame = existing.vstack(&frame)?;
        }
        write_partition(&path, frame)?;
        written.push(path);
    }
    Ok(written)
}

/// Every string value stored in the history (text, tokens, metadata), for audits such
/// as scanning the stored data for unmasked personal data.
pub fn string_cells(history: &Path) -> Result<Vec<String>, AggregateError> {
    let mut out = Vec::new();
    for path in partitions(history) {
        let frame = read_partition(&path)?;
        for column in frame.columns() {
            let series = column.as_materialized_series();
            let strings = match series.dtype() {
                DataType::String => series.clone(),
                DataType::List(inner) if **inner == DataType::String => {
                    series.explode(ExplodeOptions {
                        empty_as_null: true,
                        keep_nulls: true,
                    })?
                }
                _ => continue,
            };
            out.extend(strings.str()?.iter().flatten().map(str::to_string));
        }
    }
    Ok(out)
}

fn week_of_partition(path: &Path) -> String {
    path.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().trim_start_matches("week=").to_string())
        .unwrap_or_default()
}

fn read_partition(path: &Path) -> Result<DataFrame, AggregateError> {
    let file = std::fs::File::open(path)?;
    Ok(ParquetReader::new(file).finish()?)
}

fn without_ids(frame: DataFrame, ids: &HashSet<&str>) -> Result<DataFrame, AggregateError> {
    let keep: BooleanChunked = frame
        .column("id")?
        .str()?
        .iter()
        .map(|id| Some(!id.is_some_and(|id| ids.contains(id))))
        .collect();
    Ok(frame.filter(&keep)?)
}

fn write_partition(path: &Path, frame: DataFrame) -> Result<(), AggregateError> {
    let mut frame = frame.sort(["started_at", "id"], SortMultipleOptions::default())?;
    voc_core::fsutil::write_atomic_with(path, |w| {
        ParquetWriter::new(w)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut frame)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })?;
    Ok(())
}

fn list_column(
    name: &str,
    rows: &[&EnrichedContact],
    items: impl Fn(&EnrichedContact) -> Vec<String>,
) -> Column {
    let series: Vec<Series> = rows
        .iter()
        .map(|r| Series::new("".into(), items(r)))
        .collect();
    let mut col = Series::new(name.into(), series);
    if rows.is_empty() {
        col = Series::new_empty(name.into(), &DataType::List(Box::new(DataType::String)));
    }
    col.into()
}

/// The enriched records as a frame with one row per contact.
pub fn frame_of(rows: &[&EnrichedContact]) -> Result<DataFrame, AggregateError> {
    let s = |name: &str, f: &dyn Fn(&EnrichedContact) -> String| -> Column {
        Column::new(name.into(), rows.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let opt = |name: &str, f: &dyn Fn(&EnrichedContact) -> Option<String>| -> Column {
        Column::new(name.into(), rows.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let opt_u32 = |name: &str, f: &dyn Fn(&EnrichedContact) -> Option<u32>| -> Column {
        Column::new(name.into(), rows.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let flag = |name: &str, f: &dyn Fn(&EnrichedContact) -> bool| -> Column {
        Column::new(name.into(), rows.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let days: Vec<i32> = rows
        .iter()
        .map(|r| (voc_core::time::china_date(&r.contact.started_at) - epoch).num_days() as i32)
        .collect();
    let date = Column::new("date".into(), days).cast(&DataType::Date)?;
    let columns = vec![
        s("id", &|r| r.contact.id.clone()),
        s("started_at", &|r| r.contact.started_at.to_rfc3339()),
        date,
        s("week", &|r| r.week.clone()),
        s("channel", &|r| r.contact.channel.clone()),
        opt("region", &|r| r.contact.region.clone()),
        opt("business", &|r| r.contact.business.clone()),
        opt("queue", &|r| r.contact.queue.clone()),
        opt("customer_id", &|r| r.contact.customer_id.clone()),
        opt("agent_id", &|r| r.contact.agent_id.clone()),
        opt_u32("duration_s", &|r| r.contact.duration_s),
        opt_u32("wait_s", &|r| r.contact.wait_s),
        opt_u32("csat", &|r| r.contact.csat.map(u32::from)),
        Column::new(
            "resolved".into(),
            rows.iter().map(|r| r.contact.resolved).collect::<Vec<_>>(),
        ),
        list_column("speakers", rows, |r| {
            r.contact
                .turns
                .iter()
                .map(|t| t.speaker.as_str().to_string())
                .collect()
        }),
        list_column("turns", rows, |r| {
            r.contact.turns.iter().map(|t| t.text.clone()).collect()
        }),
        // Tokens of each turn joined by spaces (tokens never contain whitespace), so
        // re-tagging can run from storage without segmenting again.
        list_column("tokens", rows, |r| {
            r.tokens.iter().map(|t| t.join(" ")).collect()
        }),
        list_column("categories", rows, |r| r.categories.clone()),
        flag("complaint", &|r| r.complaint),
        Column::new(
            "sentiment".into(),
            rows.iter().map(|r| r.sentiment).collect::<Vec<_>>(),
        ),
        s("sentiment_label", &|r| r.sentiment_label.clone()),
        flag("risk_escalation", &|r| r.risk.escalation),
        flag("risk_churn", &|r| r.risk.churn),
        flag("risk_repeat", &|r| r.risk.repeat_contact),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}
