//! Selective, lazy reads of the week-partitioned history.
//!
//! A run needs the report week, its trailing baseline, the month to date and the
//! previous month (month-over-month), and a few weeks of daily volume for the forecast,
//! never all of history. [`WeekWindow`] names that span; [`scan`] opens only the
//! partitions inside it (chosen by their `week=` folder name, so files outside the window
//! are never opened) and hands back a lazy frame, so each query reads only the columns it
//! selects (projection pushdown) from those files.

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;
use std::path::{Path, PathBuf};
use voc_core::time::week_key;

use crate::StoreError;
use crate::layout::{History, week_of_partition};

/// An inclusive range of ISO weeks (`2026-W38` ..= `2026-W46`). ISO week keys sort
/// chronologically as strings (the year comes first, the week is zero-padded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekWindow {
    pub first: String,
    pub last: String,
}

impl WeekWindow {
    /// Every stored week: no pruning.
    pub fn all() -> Self {
        WeekWindow {
            first: String::new(),
            last: "\u{10FFFF}".to_string(),
        }
    }

    /// The week holding `last_day` and the weeks back to the one holding `first_day`.
    pub fn of_days(first_day: NaiveDate, last_day: NaiveDate) -> Self {
        WeekWindow {
            first: week_key(first_day.min(last_day)),
            last: week_key(last_day),
        }
    }

    pub fn contains(&self, week: &str) -> bool {
        self.first.as_str() <= week && week <= self.last.as_str()
    }
}

/// Days since 1970-01-01, the physical value of a polars `Date`.
pub fn epoch_days(date: NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The date of a polars `Date` value.
pub fn date_of_epoch_days(days: i32) -> NaiveDate {
    epoch() + Duration::days(i64::from(days))
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
}

/// A stretch of days under a key: a report period (cut at its last day with data), an
/// earlier period of the same length, or the span a period is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// `2026-W46`, `2026-11`, `2026-10-01..2026-10-31`.
    pub key: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Span {
    pub fn new(key: impl Into<String>, first: NaiveDate, last: NaiveDate) -> Self {
        Span {
            key: key.into(),
            first,
            last,
        }
    }

    /// The partitions that can hold its days.
    pub fn window(&self) -> WeekWindow {
        WeekWindow::of_days(self.first, self.last)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// A polars predicate on the `date` column: the day is inside the span.
    pub fn predicate(&self) -> Expr {
        let day = col("date").cast(DataType::Int32);
        day.clone()
            .gt_eq(lit(epoch_days(self.first)))
            .and(day.lt_eq(lit(epoch_days(self.last))))
    }
}

/// The first and the last day with a contact from `first` to `last` (inclusive), read
/// from the `date` column of the partitions of those weeks only; `None` without any.
pub fn data_days_between(
    history: &History,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
    let span = Span::new("", first, last);
    let Some(lf) = scan(history, &span.window())? else {
        return Ok(None);
    };
    let df = lf
        .filter(span.predicate())
        .select([
            col("date").cast(DataType::Int32).min().alias("first"),
            col("date").cast(DataType::Int32).max().alias("last"),
        ])
        .collect()?;
    let first = df.column("first")?.i32()?.get(0);
    let last = df.column("last")?.i32()?.get(0);
    Ok(first
        .zip(last)
        .map(|(f, l)| (date_of_epoch_days(f), date_of_epoch_days(l))))
}

/// The first and last day with data in the whole history (reads the `date` column of
/// the oldest and the newest partition only); for messages about what is stored.
pub fn history_days(history: &History) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
    let files = history.partitions();
    let (Some(oldest), Some(newest)) = (files.first(), files.last()) else {
        return Ok(None);
    };
    let day = |path: &Path, newest: bool| -> Result<Option<NaiveDate>, StoreError> {
        let week = week_of_partition(path);
        let window = WeekWindow {
            first: week.clone(),
            last: week,
        };
        let Some(lf) = scan(history, &window)? else {
            return Ok(None);
        };
        let date = col("date").cast(DataType::Int32);
        let agg = if newest { date.max() } else { date.min() };
        let df = lf.select([agg.alias("d")]).collect()?;
        Ok(df.column("d")?.i32()?.get(0).map(date_of_epoch_days))
    };
    Ok(day(oldest, false)?.zip(day(newest, true)?))
}

/// Whether the history reaches back to `day`: some stored contact is on or before it.
/// Decided from the partition folder names, except when `day` falls in the oldest
/// stored week, whose first day with data is then read. An earlier period that the data
/// covers only in part would read as a drop, so such periods are left out of trends and
/// comparisons.
pub fn history_covers(history: &History, day: NaiveDate) -> Result<bool, StoreError> {
    let files = history.partitions();
    let Some(oldest) = files.first() else {
        return Ok(false);
    };
    let oldest_week = week_of_partition(oldest);
    let week = week_key(day);
    if oldest_week < week {
        return Ok(true);
    }
    if oldest_week > week {
        return Ok(false);
    }
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    Ok(data_days_between(history, monday, day)?.is_some())
}

/// A lazy scan over the partitions inside `window`; `None` when there are none.
/// Partitions written before a column existed read it as null instead of failing.
/// Rows come in no particular order: sort what order matters for.
pub fn scan(history: &History, window: &WeekWindow) -> Result<Option<LazyFrame>, StoreError> {
    scan_files(&history.partitions_in(window))
}

/// A lazy frame over partition files given in week order, with the `week` column each
/// file's folder name gives (Hive partitioning: the files do not hold it); `None`
/// without any. A file of an earlier layout is refused with the command that upgrades
/// it.
pub fn scan_files(files: &[PathBuf]) -> Result<Option<LazyFrame>, StoreError> {
    if files.is_empty() {
        return Ok(None);
    }
    // `voc run` refuses a history with any partition of an earlier layout, and
    // `upgrade` rewrites them oldest first, so such files in a window (an interrupted
    // upgrade) include its newest: checking both ends reads two footers, not one per
    // file (a tenth of a demo scan's time).
    let ends = [files.first(), files.last()];
    for path in ends.into_iter().flatten() {
        crate::history::check_layout(path)?;
    }
    if files.iter().all(|path| only_the_week_folder_is_hive(path)) {
        scan_hive(files).map(Some)
    } else {
        scan_each(files).map(Some)
    }
}

/// Whether `week=…` is the only `key=value` folder of `path`: given file paths, polars'
/// Hive partitioning takes every such folder on the way (an output folder named
/// `run=3`, say) for a column.
fn only_the_week_folder_is_hive(path: &Path) -> bool {
    let folders = path.parent().and_then(Path::parent);
    folders.is_some_and(|dir| {
        dir.components()
            .all(|c| !c.as_os_str().to_string_lossy().contains('='))
    })
}

/// One scan over every file with polars' Hive partitioning giving the week.
fn scan_hive(files: &[PathBuf]) -> Result<LazyFrame, StoreError> {
    let weeks = Schema::from_iter([Field::new("week".into(), DataType::String)]);
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(true),
            hive_start_idx: 0,
            schema: Some(Arc::new(weeks)),
            try_parse_dates: false,
        },
        allow_missing_columns: true,
        ..Default::default()
    };
    // polars takes the columns from the first file, inserts nulls for those an older
    // file lacks, but refuses a file with columns the first one does not have. Columns
    // are only ever added to the history, so the newest partition goes first.
    let paths: Vec<PlRefPath> = files
        .iter()
        .rev()
        .map(|f| PlRefPath::new(f.to_string_lossy().as_ref()))
        .collect();
    Ok(LazyFrame::scan_parquet_files(
        paths.into_iter().collect(),
        args,
    )?)
}

/// A scan per file with its folder's week added, joined (diagonally: a column an older
/// partition lacks reads as null). Slower than [`scan_hive`] by a plan per file
/// (1.3–1.8× on the demo's ten weeks, debug build), so only for output folders whose
/// path holds another `key=value` folder.
fn scan_each(files: &[PathBuf]) -> Result<LazyFrame, StoreError> {
    let args = ScanArgsParquet {
        hive_options: HiveOptions::new_disabled(),
        ..Default::default()
    };
    let scans = files
        .iter()
        .map(|path| -> Result<LazyFrame, StoreError> {
            let week = week_of_partition(path);
            let path = PlRefPath::new(path.to_string_lossy().as_ref());
            let lf = LazyFrame::scan_parquet(path, args.clone())?;
            Ok(lf.with_column(lit(week).alias("week")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let union = UnionArgs {
        diagonal: true,
        ..Default::default()
    };
    Ok(concat(scans, union)?)
}

/// The last calendar day with a contact in `week`, read from that partition's `date`
/// column alone; `None` when the week has no partition or no rows.
pub fn last_day_of_week(history: &History, week: &str) -> Result<Option<NaiveDate>, StoreError> {
    let window = WeekWindow {
        first: week.to_string(),
        last: week.to_string(),
    };
    let Some(lf) = scan(history, &window)? else {
        return Ok(None);
    };
    let df = lf
        .select([col("date").cast(DataType::Int32).max().alias("last")])
        .collect()?;
    Ok(df.column("last")?.i32()?.get(0).map(date_of_epoch_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn week_windows_and_epoch_days() {
        assert_eq!(
            date_of_epoch_days(epoch_days(d("2026-11-15"))),
            d("2026-11-15")
        );
        let w = WeekWindow::of_days(d("2026-10-01"), d("2026-11-15"));
        assert_eq!(
            (w.first.as_str(), w.last.as_str()),
            ("2026-W40", "2026-W46")
        );
        assert!(w.contains("2026-W40") && w.contains("2026-W46"));
        assert!(!w.contains("2026-W39") && !w.contains("2026-W47"));
        assert!(WeekWindow::all().contains("2026-W01"));
    }

    fn record(id: &str, at: &str) -> voc_core::EnrichedContact {
        let started_at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        voc_core::EnrichedContact {
            week: voc_core::time::iso_week_key(&started_at),
            contact: voc_core::Contact::new(id, started_at, "voice", Vec::new()),
            tokens: Vec::new(),
            categories: vec!["甲".into()],
            complaint: true,
            sentiment: 0.0,
            sentiment_label: "neutral".into(),
            mood: Default::default(),
            risk: Default::default(),
        }
    }

    /// The week comes from the folder name, the same whether polars' Hive partitioning
    /// gives it or each file's scan does (an output folder named `run=3`).
    #[test]
    fn the_week_column_is_the_folder_name_in_either_scan() {
        let dir = tempfile::tempdir().unwrap();
        let records = [
            record("A", "2026-11-03T10:00:00+08:00"),
            record("B", "2026-11-10T10:00:00+08:00"),
            record("C", "2026-11-15T23:00:00+08:00"),
        ];
        let read = |folder: &str| {
            let h = History::at(dir.path().join(folder).join("history"));
            crate::history::write_history(&h, &records).unwrap();
            let files = h.partitions();
            let hive = files.iter().all(|f| only_the_week_folder_is_hive(f));
            let df = scan(&h, &WeekWindow::all())
                .unwrap()
                .unwrap()
                .select([col("id"), col("week"), col("date")])
                .sort(["id"], SortMultipleOptions::default())
                .collect()
                .unwrap();
            (hive, df)
        };
        let (hive, plain) = read("plain");
        let (each, keyed) = read("run=3");
        assert!(hive && !each);
        assert_eq!(plain, keyed);
        let weeks: Vec<Option<&str>> = plain
            .column("week")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            weeks,
            [Some("2026-W45"), Some("2026-W46"), Some("2026-W46")]
        );
    }

    #[test]
    fn only_partitions_in_the_window_are_opened_and_old_ones_may_lack_columns() {
        let dir = tempfile::tempdir().unwrap();
        let h = &History::at(dir.path());
        crate::history::write_history(
            h,
            &[
                record("A", "2026-11-03T10:00:00+08:00"),
                record("B", "2026-11-10T10:00:00+08:00"),
                record("C", "2026-11-15T23:00:00+08:00"),
            ],
        )
        .unwrap();
        // W45 written by an older version, without a column added since.
        let old = h.partition("2026-W45");
        let mut frame = polars::prelude::ParquetReader::new(std::fs::File::open(&old).unwrap())
            .finish()
            .unwrap()
            .drop("risk_forbidden_phrase")
            .unwrap();
        polars::prelude::ParquetWriter::new(std::fs::File::create(&old).unwrap())
            .finish(&mut frame)
            .unwrap();
        // W40 is outside every window below: a corrupt file there must never be read.
        let outside = h.partition("2026-W40");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        std::fs::write(&outside, b"not parquet").unwrap();

        let window = WeekWindow::of_days(d("2026-11-02"), d("2026-11-15"));
        assert_eq!(h.partitions_in(&window).len(), 2);
        let lf = scan(h, &window).unwrap().unwrap();
        let df = lf
            .select([col("id"), col("risk_forbidden_phrase")])
            .sort(["id"], SortMultipleOptions::default())
            .collect()
            .unwrap();
        assert_eq!(df.height(), 2 + 1);
        assert_eq!(df.column("risk_forbidden_phrase").unwrap().null_count(), 1);
        assert_eq!(
            last_day_of_week(h, "2026-W46").unwrap(),
            Some(d("2026-11-15"))
        );
        assert_eq!(last_day_of_week(h, "2026-W47").unwrap(), None);
        // Scanning every week opens the corrupt file, and fails.
        assert!(scan(h, &WeekWindow::all()).is_err());
    }
}
