//! Enriched history as Parquet partitioned by ISO week (`history/week=2026-W45/part-0.parquet`,
//! Hive style), so a run reads only what it needs and pandas, pyarrow, DuckDB, polars or
//! Spark read it as it is (docs/history.md):
//!
//! - the week is the partition key only, never a column of the file: readers take it
//!   from the folder name (Hive partitioning), so the two cannot disagree;
//! - `started_at` is a UTC-adjusted microsecond timestamp labelled `Asia/Shanghai`,
//!   `date` its China-time calendar day;
//! - strings and lists of strings are plain Arrow `string` and `list<string>` (polars'
//!   own view types are unknown to pandas and Spark), counts are signed integers.
//!
//! Partitions written before this layout ([`FORMAT_1`]) are refused with the command
//! that rewrites them ([`upgrade`]).

use polars::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use voc_core::{EnrichedContact, Speaker, Token, TurnTokens};

use crate::StoreError;
use crate::frame::{for_each_string_list, i32s, map_string_lists, opt_bools, string_lists};
use crate::layout::{History, week_of_partition};

/// The time zone `started_at` is labelled with: China time, by its IANA name, which
/// pandas, pyarrow and polars show and convert to.
pub const TIME_ZONE: &str = "Asia/Shanghai";

/// The columns of a partition, in file order. The week is not one of them: it is the
/// partition key, in the folder name.
pub const COLUMNS: &[&str] = &[
    "id",
    "started_at",
    "date",
    "channel",
    "region",
    "business",
    "queue",
    "customer_id",
    "agent_id",
    "duration_s",
    "wait_s",
    "csat",
    "resolved",
    "speakers",
    "turns",
    "tokens",
    "categories",
    "complaint",
    "sentiment",
    "sentiment_label",
    "risk_escalation",
    "risk_churn",
    "risk_repeat",
    "risk_no_greeting",
    "risk_forbidden_phrase",
    "risk_no_closing",
    // The customer's mood (issue 28): empty strings for none.
    "last_turn_sentiment",
    "emotion",
    "emotion_intensity",
    "emotion_trajectory",
    // Each turn's sentiment, aligned with `turns`; null for agent turns.
    "turn_sentiment",
];

/// Text columns added after the first current-layout partitions were written: read as
/// empty when a partition lacks them.
const OPTIONAL_STRINGS: &[&str] = &["last_turn_sentiment", "emotion", "emotion_trajectory"];

/// What the history's first layout is called in messages: `started_at` as RFC 3339
/// text, the week stored in each file besides its folder name, unsigned counts.
pub const FORMAT_1: &str = "history format 1";

/// The command that rewrites a history of an earlier layout, for messages.
pub const UPGRADE_COMMAND: &str = "voc history upgrade PIPELINE";

fn china_time_zone() -> TimeZone {
    // Without polars' `timezones` feature a zone name is taken as it is (this one is a
    // valid IANA name), and a cast to a zoned type drops the zone: columns are built
    // zoned instead of cast.
    TimeZone::opt_try_new(Some(TIME_ZONE))
        .ok()
        .flatten()
        .unwrap_or(TimeZone::UTC)
}

/// The polars type of `started_at`.
pub fn started_at_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(china_time_zone()))
}

/// The `started_at` column of instants given in microseconds since the Unix epoch.
fn started_at_column(micros: Vec<i64>) -> Column {
    Int64Chunked::from_vec("started_at".into(), micros)
        .into_datetime(TimeUnit::Microseconds, Some(china_time_zone()))
        .into_column()
}

/// Whether a partition's schema is of [`FORMAT_1`]: the week stored as a column, or
/// `started_at` as text.
fn is_format_1(schema: &ArrowSchema) -> bool {
    schema.contains("week")
        || schema.get("started_at").is_some_and(|f| {
            matches!(
                f.dtype(),
                ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View
            )
        })
}

/// A reader of partition `path`, refused with the upgrade command when the file is of
/// an earlier layout (reading it as if it were current would fail further on, or
/// worse, mix two layouts in one scan).
pub(crate) fn open_partition(path: &Path) -> Result<ParquetReader<std::fs::File>, StoreError> {
    let mut reader = ParquetReader::new(std::fs::File::open(path)?);
    if is_format_1(&*reader.schema()?) {
        return Err(StoreError::OldHistory {
            path: path.to_path_buf(),
        });
    }
    Ok(reader)
}

/// Refuses partition `path` when it is of an earlier layout, as [`open_partition`] does.
pub(crate) fn check_layout(path: &Path) -> Result<(), StoreError> {
    open_partition(path).map(drop)
}

/// Refuses a history with a partition of an earlier layout, naming the command that
/// upgrades it: reads each partition's footer only.
pub fn check_history(history: &History) -> Result<(), StoreError> {
    history
        .partitions()
        .iter()
        .try_for_each(|path| check_layout(path))
}

/// What a partition file is now, for the caches kept beside the history: its size,
/// modification time and a hash of its Parquet footer (the last 64 KiB: column
/// offsets, sizes and statistics, which a rewrite of the same size within one tick of
/// a coarse file clock still changes). Partitions are only ever replaced by an atomic
/// rename of a newly written file, and a copy that keeps times (`cp -a`, a backup
/// restore) keeps the caches valid. Hashing the whole file instead would make each run
/// read the whole history.
pub fn partition_stamp(path: &Path) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    const FOOTER: u64 = 64 << 10;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let modified = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    file.seek(SeekFrom::Start(meta.len().saturating_sub(FOOTER)))?;
    let mut footer = Vec::with_capacity(FOOTER as usize);
    file.read_to_end(&mut footer)?;
    Ok(format!(
        "{}:{modified}:{}",
        meta.len(),
        voc_core::fingerprint::of_bytes(&footer)
    ))
}

/// Writes `records` into their week partitions. A contact id already stored in a
/// partition is replaced (a re-delivery is not counted twice); other rows are kept.
/// Each partition is rewritten atomically, sorted by time and id so identical input
/// gives identical bytes.
pub fn write_history(
    history: &History,
    records: &[EnrichedContact],
) -> Result<Vec<PathBuf>, StoreError> {
    let mut by_week: BTreeMap<&str, Vec<&EnrichedContact>> = BTreeMap::new();
    for r in records {
        by_week.entry(r.week.as_str()).or_default().push(r);
    }
    let all_ids: HashSet<&str> = records.iter().map(|r| r.contact.id.as_str()).collect();
    let mut written = Vec::new();
    // A re-delivered contact may have moved to another week: drop it from every
    // existing partition, not just from the one it lands in now.
    for path in history.partitions() {
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
        let path = history.partition(week);
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
pub fn string_cells(history: &History) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for path in history.partitions() {
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

/// A whole partition in the current layout (columns a partition predates added).
pub(crate) fn read_partition(path: &Path) -> Result<DataFrame, StoreError> {
    with_later_columns(open_partition(path)?.finish()?)
}

/// The rows whose id is not in `ids`.
pub(crate) fn without_ids<S: std::hash::BuildHasher>(
    frame: DataFrame,
    ids: &HashSet<&str, S>,
) -> Result<DataFrame, StoreError> {
    let keep: BooleanChunked = frame
        .column("id")?
        .str()?
        .iter()
        .map(|id| Some(!id.is_some_and(|id| ids.contains(id))))
        .collect();
    Ok(frame.filter(&keep)?)
}

pub(crate) fn write_partition(path: &Path, frame: DataFrame) -> Result<(), StoreError> {
    write_sorted_partition(path, sort_partition(frame)?)
}

/// Rows in partition order: time, then id (what `DataFrame::sort` by the two gives,
/// first column flagged sorted). Gathered one column at a time, each replacing its
/// source, so a week is held about once rather than up to three times (sorting a frame
/// rechunks it, then gathers every column before the source is released).
pub(crate) fn sort_partition(mut frame: DataFrame) -> Result<DataFrame, StoreError> {
    let order = {
        let started_at = frame.column("started_at")?.rechunk();
        let id = frame.column("id")?.rechunk();
        let options = SortMultipleOptions::default()
            .with_order_descending_multi([false, false])
            .with_nulls_last_multi([false, false]);
        started_at.arg_sort_multiple(&[id], &options)?
    };
    // Exports usually come in time order, and then so do a week's rows: gathering every
    // column (the token lists above all) into the order it already has was most of
    // this function's time. One chunk per column either way, as `take` leaves them.
    let in_order = order
        .into_no_null_iter()
        .enumerate()
        .all(|(i, row)| i as IdxSize == row);
    if in_order {
        frame.rechunk_mut();
    } else {
        let names: Vec<PlSmallStr> = frame.get_column_names_owned();
        for name in names {
            let sorted = frame.column(name.as_str())?.take(&order)?;
            frame.with_column(sorted)?;
        }
    }
    frame.apply("started_at", |s| {
        let mut s = s.clone();
        s.set_sorted_flag(polars::series::IsSorted::Ascending);
        s
    })?;
    Ok(frame)
}

/// Writes a frame already in partition order ([`sort_partition`]).
pub(crate) fn write_sorted_partition(path: &Path, mut frame: DataFrame) -> Result<(), StoreError> {
    write_parquet(path, &mut frame)?;
    Ok(())
}

/// Writes `frame` as one ZSTD-compressed Parquet file, atomically: every Parquet file
/// of the output folder (history partitions, tables) is written this way, in types
/// every common reader knows: unsigned integer columns are cast to signed ones in
/// place (Spark has no unsigned types), and the Arrow schema stored in the file names
/// plain `string` and `list` types rather than the view and large types polars holds
/// (pandas cannot convert lists of `string_view`).
pub fn write_parquet(path: &Path, frame: &mut DataFrame) -> std::io::Result<()> {
    signed_integers(frame).map_err(std::io::Error::other)?;
    let arrow_schema = plain_arrow_schema(frame);
    voc_core::fsutil::write_atomic_with(path, |w| {
        ParquetWriter::new(w)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(Some(arrow_schema))
            .finish(frame)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

/// Every unsigned integer column as the signed type that holds all its values (a
/// `u64` count past `i64::MAX` is an error, not a wrapped number).
fn signed_integers(frame: &mut DataFrame) -> PolarsResult<()> {
    let casts: Vec<(PlSmallStr, DataType)> = frame
        .schema()
        .iter()
        .filter_map(|(name, dtype)| {
            let signed = match dtype {
                DataType::UInt8 => DataType::Int16,
                DataType::UInt16 => DataType::Int32,
                DataType::UInt32 | DataType::UInt64 => DataType::Int64,
                _ => return None,
            };
            Some((name.clone(), signed))
        })
        .collect();
    for (name, signed) in casts {
        let column = frame.column(&name)?.strict_cast(&signed)?;
        frame.with_column(column)?;
    }
    Ok(())
}

/// The `ARROW:schema` entry of a file's metadata (which pyarrow, pandas and polars
/// read types from) for `frame`, with plain Arrow types: `string` for polars'
/// `string_view`, `list` for `large_list`. Parquet's own schema is the same either way.
fn plain_arrow_schema(frame: &DataFrame) -> KeyValueMetadata {
    fn plain(dtype: &ArrowDataType) -> ArrowDataType {
        match dtype {
            ArrowDataType::Utf8View | ArrowDataType::LargeUtf8 => ArrowDataType::Utf8,
            ArrowDataType::BinaryView | ArrowDataType::LargeBinary => ArrowDataType::Binary,
            ArrowDataType::LargeList(item) | ArrowDataType::List(item) => {
                ArrowDataType::List(Box::new(plain_field(item)))
            }
            other => other.clone(),
        }
    }
    fn plain_field(field: &ArrowField) -> ArrowField {
        ArrowField::new(field.name.clone(), plain(field.dtype()), field.is_nullable)
    }
    let schema: ArrowSchema = frame
        .schema()
        .to_arrow(CompatLevel::newest())
        .iter_values()
        .map(|field| (field.name.clone(), plain_field(field)))
        .collect();
    let entry = polars_parquet::write::schema_to_metadata_key(&schema);
    KeyValueMetadata::from_static(vec![(entry.key, entry.value.unwrap_or_default())])
}

/// The rows a partition stores for `records`, in the given order (not sorted), with
/// the column types of the file ([`write_parquet`]'s signed integers): what the Python
/// package hands back to Arrow, so an engine that writes the history itself (Spark)
/// stores the same columns and values as `voc run`.
pub fn history_frame(records: &[EnrichedContact]) -> Result<DataFrame, StoreError> {
    let rows: Vec<&EnrichedContact> = records.iter().collect();
    let mut frame = frame_of(&rows)?;
    signed_integers(&mut frame)?;
    Ok(frame)
}

/// A list-of-strings column, one list per record, built in one pass (no series per row).
fn list_column(
    name: &str,
    rows: &[&EnrichedContact],
    mut each: impl FnMut(&EnrichedContact, &mut ListStringChunkedBuilder),
) -> Column {
    if rows.is_empty() {
        return Series::new_empty(name.into(), &DataType::List(Box::new(DataType::String))).into();
    }
    let mut builder = ListStringChunkedBuilder::new(name.into(), rows.len(), rows.len() * 8);
    for r in rows {
        each(r, &mut builder);
    }
    builder.finish().into_series().into()
}

/// `turn_sentiment`: a list of nullable scores per contact.
fn turn_sentiment_column(rows: &[&EnrichedContact]) -> Column {
    let values = rows.iter().map(|r| r.mood.turn_sentiment.len()).sum();
    let mut builder = ListPrimitiveChunkedBuilder::<Float32Type>::new(
        "turn_sentiment".into(),
        rows.len(),
        values,
        DataType::Float32,
    );
    for r in rows {
        builder.append_iter(r.mood.turn_sentiment.iter().copied());
    }
    builder.finish().into_series().into()
}

/// The enriched records as a frame with one row per contact.
pub(crate) fn frame_of(rows: &[&EnrichedContact]) -> Result<DataFrame, StoreError> {
    let s = |name: &str, f: &dyn for<'a> Fn(&'a EnrichedContact) -> &'a str| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r)).collect::<Vec<&str>>(),
        )
    };
    let opt = |name: &str, f: &dyn for<'a> Fn(&'a EnrichedContact) -> Option<&'a str>| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r)).collect::<Vec<Option<&str>>>(),
        )
    };
    let opt_i64 = |name: &str, f: &dyn Fn(&EnrichedContact) -> Option<u32>| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r).map(i64::from)).collect::<Vec<_>>(),
        )
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
    // The instant, to the microsecond (Spark reads no finer unit); read back in China time.
    let started_at = started_at_column(
        rows.iter()
            .map(|r| r.contact.started_at.timestamp_micros())
            .collect(),
    );
    let columns = vec![
        s("id", &|r| r.contact.id.as_str()),
        started_at,
        date,
        s("channel", &|r| r.contact.channel.as_str()),
        opt("region", &|r| r.contact.region.as_deref()),
        opt("business", &|r| r.contact.business.as_deref()),
        opt("queue", &|r| r.contact.queue.as_deref()),
        opt("customer_id", &|r| r.contact.customer_id.as_deref()),
        opt("agent_id", &|r| r.contact.agent_id.as_deref()),
        opt_i64("duration_s", &|r| r.contact.duration_s),
        opt_i64("wait_s", &|r| r.contact.wait_s),
        Column::new(
            "csat".into(),
            rows.iter()
                .map(|r| r.contact.csat.map(i32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "resolved".into(),
            rows.iter().map(|r| r.contact.resolved).collect::<Vec<_>>(),
        ),
        list_column("speakers", rows, |r, b| {
            b.append_values_iter(r.contact.turns.iter().map(|t| t.speaker.as_str()))
        }),
        list_column("turns", rows, |r, b| {
            b.append_values_iter(r.contact.turns.iter().map(|t| t.text.as_str()))
        }),
        // Tokens of each turn joined by spaces (tokens never contain whitespace), so
        // re-tagging can run from storage without segmenting again.
        // One buffer for all rows: each turn's tokens are joined into it, not into a
        // string of their own.
        list_column("tokens", rows, {
            let (mut joined, mut ends) = (String::new(), Vec::new());
            move |r, b| {
                joined.clear();
                ends.clear();
                for turn in &r.tokens {
                    for (i, token) in turn.iter().enumerate() {
                        if i > 0 {
                            joined.push(' ');
                        }
                        joined.push_str(token);
                    }
                    ends.push(joined.len());
                }
                let starts = std::iter::once(0).chain(ends.iter().copied());
                b.append_values_iter(starts.zip(&ends).map(|(from, &to)| &joined[from..to]))
            }
        }),
        list_column("categories", rows, |r, b| {
            b.append_values_iter(r.categories.iter().map(String::as_str))
        }),
        flag("complaint", &|r| r.complaint),
        Column::new(
            "sentiment".into(),
            rows.iter().map(|r| r.sentiment).collect::<Vec<_>>(),
        ),
        s("sentiment_label", &|r| r.sentiment_label.as_str()),
        flag("risk_escalation", &|r| r.risk.escalation),
        flag("risk_churn", &|r| r.risk.churn),
        flag("risk_repeat", &|r| r.risk.repeat_contact),
        flag("risk_no_greeting", &|r| r.risk.no_greeting),
        flag("risk_forbidden_phrase", &|r| r.risk.forbidden_phrase),
        flag("risk_no_closing", &|r| r.risk.no_closing),
        s("last_turn_sentiment", &|r| r.mood.last_turn_label.as_str()),
        s("emotion", &|r| r.mood.emotion.as_str()),
        Column::new(
            "emotion_intensity".into(),
            rows.iter()
                .map(|r| r.mood.emotion_intensity)
                .collect::<Vec<_>>(),
        ),
        s("emotion_trajectory", &|r| r.mood.trajectory.as_str()),
        turn_sentiment_column(rows),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}

// ---- Reading enriched records back (re-tagging, `voc taxonomy explain`) ----

/// Columns that partitions written before a column was added may lack; read as false.
const OPTIONAL_FLAGS: &[&str] = &[
    "risk_no_greeting",
    "risk_forbidden_phrase",
    "risk_no_closing",
];

fn corrupt(path: &Path, message: String) -> StoreError {
    StoreError::Io(std::io::Error::other(format!(
        "{}: {message}",
        path.display()
    )))
}

fn read_columns(path: &Path, with_text: bool) -> Result<DataFrame, StoreError> {
    let mut reader = open_partition(path)?;
    let schema = reader.schema()?;
    // The display text is the bulk of a partition; re-tagging does not need it.
    let columns: Vec<String> = schema
        .iter_names()
        .map(|n| n.to_string())
        .filter(|n| with_text || n != "turns")
        .collect();
    Ok(reader.with_columns(Some(columns)).finish()?)
}

/// A list-of-numbers column row by row (`turn_sentiment`); empty lists when the
/// partition was written before the column existed or the projection left it out.
fn float_lists(frame: &DataFrame, name: &str) -> Result<Vec<Vec<Option<f32>>>, StoreError> {
    let Ok(column) = frame.column(name) else {
        return Ok(vec![Vec::new(); frame.height()]);
    };
    let lists = column.as_materialized_series().list()?.clone();
    let mut out = Vec::with_capacity(frame.height());
    for row in lists.amortized_iter() {
        out.push(match row {
            Some(values) => values
                .as_ref()
                .cast(&DataType::Float32)?
                .f32()?
                .iter()
                .collect(),
            None => Vec::new(),
        });
    }
    Ok(out)
}

/// The speaker of each turn, row by row.
fn speaker_lists(path: &Path, frame: &DataFrame) -> Result<Vec<Vec<Speaker>>, StoreError> {
    map_string_lists(frame, "speakers", |v| match v {
        Some("agent") => Ok(Speaker::Agent),
        Some("customer") => Ok(Speaker::Customer),
        Some("note") => Ok(Speaker::Note),
        other => Err(corrupt(path, format!("unknown speaker {other:?}"))),
    })
}

/// The stored tokens of each turn (space-joined in storage), row by row.
fn token_lists(frame: &DataFrame) -> Result<Vec<Vec<TurnTokens>>, StoreError> {
    map_string_lists(frame, "tokens", |turn| {
        Ok(voc_core::stored_tokens(turn.unwrap_or(""))
            .map(Token::from)
            .collect())
    })
}

/// Just the tokens of every contact in a partition: what re-tagging must at least read.
pub fn read_tokens(path: &Path) -> Result<Vec<Vec<TurnTokens>>, StoreError> {
    let frame = open_partition(path)?
        .with_columns(Some(vec!["tokens".to_string()]))
        .finish()?;
    token_lists(&frame)
}

/// The contacts of one partition as enriched records. Without `with_text` the turns
/// keep their speakers but have empty text (re-tagging needs only the tokens).
pub fn read_records(path: &Path, with_text: bool) -> Result<Vec<EnrichedContact>, StoreError> {
    let frame = read_columns(path, with_text)?;
    records_of(path, &week_of_partition(path), &frame)
}

/// The records of `frame`, rows of partition `path` (named in errors). Each record's
/// week is that of its `started_at` in China time (how a run assigns it); when
/// `started_at` was not read, it is `folder_week`, the partition's.
pub(crate) fn records_of(
    path: &Path,
    folder_week: &str,
    frame: &DataFrame,
) -> Result<Vec<EnrichedContact>, StoreError> {
    use voc_core::{Contact, RiskFlags, Turn};
    // A column left out of the projection (see `read_for_retag`) reads as nulls.
    let absent = |name: &str| frame.column(name).is_err() && name != "id";
    let strings = |name: &str| -> Result<Vec<Option<String>>, StoreError> {
        if absent(name) {
            return Ok(vec![None; frame.height()]);
        }
        Ok(frame
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let u32s = |name: &str| -> Result<Vec<Option<u32>>, StoreError> {
        if absent(name) {
            return Ok(vec![None; frame.height()]);
        }
        Ok(frame
            .column(name)?
            .cast(&DataType::UInt32)?
            .u32()?
            .iter()
            .collect())
    };
    let bools = |name: &str| -> Result<Vec<Option<bool>>, StoreError> {
        if absent(name) || (OPTIONAL_FLAGS.contains(&name) && frame.column(name).is_err()) {
            return Ok(vec![None; frame.height()]);
        }
        Ok(frame.column(name)?.bool()?.iter().collect())
    };
    let mut ids = strings("id")?;
    let started = if absent("started_at") {
        None
    } else {
        Some(crate::frame::opt_epoch_micros(frame, "started_at")?)
    };
    let mut channels = strings("channel")?;
    let mut regions = strings("region")?;
    let mut business = strings("business")?;
    let mut queues = strings("queue")?;
    let mut customers = strings("customer_id")?;
    let mut agents = strings("agent_id")?;
    let durations = u32s("duration_s")?;
    let waits = u32s("wait_s")?;
    let csats = u32s("csat")?;
    let resolved = bools("resolved")?;
    let speakers = speaker_lists(path, frame)?;
    let mut texts = if frame.column("turns").is_ok() {
        Some(string_lists(frame, "turns")?)
    } else {
        None
    };
    let mut tokens = if frame.column("tokens").is_ok() {
        token_lists(frame)?
    } else {
        vec![Vec::new(); frame.height()]
    };
    let mut categories = string_lists(frame, "categories")?;
    let complaint = bools("complaint")?;
    let sentiment: Vec<Option<f32>> = if absent("sentiment") {
        vec![None; frame.height()]
    } else {
        frame
            .column("sentiment")?
            .cast(&DataType::Float32)?
            .f32()?
            .iter()
            .collect()
    };
    let mut labels = strings("sentiment_label")?;
    let escalation = bools("risk_escalation")?;
    let churn = bools("risk_churn")?;
    let repeat = bools("risk_repeat")?;
    let no_greeting = bools("risk_no_greeting")?;
    let forbidden = bools("risk_forbidden_phrase")?;
    let no_closing = bools("risk_no_closing")?;
    let mut last_turn = strings("last_turn_sentiment")?;
    let mut emotion = strings("emotion")?;
    let mut trajectory = strings("emotion_trajectory")?;
    let mut turn_sentiment = float_lists(frame, "turn_sentiment")?;
    let intensity: Vec<Option<f32>> = if absent("emotion_intensity") {
        vec![None; frame.height()]
    } else {
        frame
            .column("emotion_intensity")?
            .cast(&DataType::Float32)?
            .f32()?
            .iter()
            .collect()
    };

    let mut week_of_day: Option<(chrono::NaiveDate, String)> = None;
    let mut out = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        // Each value is taken out of its column once: no copies of tokens or text.
        let id = ids[i]
            .take()
            .ok_or_else(|| corrupt(path, format!("row {i}: no id")))?;
        // In China time, whatever offset the export gave: the same instant.
        let started_at = match &started {
            None => chrono::DateTime::UNIX_EPOCH.fixed_offset(),
            Some(started) => started[i]
                .and_then(chrono::DateTime::from_timestamp_micros)
                .map(|t| t.with_timezone(&voc_core::time::china_offset()))
                .ok_or_else(|| corrupt(path, format!("contact {id}: bad started_at")))?,
        };
        let mut row_texts = texts
            .as_mut()
            .map(|x| std::mem::take(&mut x[i]))
            .unwrap_or_default()
            .into_iter();
        let turns = speakers[i]
            .iter()
            .map(|&speaker| Turn {
                speaker,
                text: row_texts.next().unwrap_or_default(),
            })
            .collect();
        let week = match started {
            Some(_) => {
                // Rows come in time order: the week is worked out once a day.
                let day = voc_core::time::china_date(&started_at);
                if week_of_day.as_ref().is_none_or(|(d, _)| *d != day) {
                    week_of_day = Some((day, voc_core::time::week_key(day)));
                }
                week_of_day
                    .as_ref()
                    .map(|(_, w)| w.clone())
                    .unwrap_or_default()
            }
            None => folder_week.to_string(),
        };
        let mut contact = Contact::new(
            id,
            started_at,
            channels[i].take().unwrap_or_default(),
            turns,
        );
        contact.region = regions[i].take();
        contact.business = business[i].take();
        contact.queue = queues[i].take();
        contact.customer_id = customers[i].take();
        contact.agent_id = agents[i].take();
        contact.duration_s = durations[i];
        contact.wait_s = waits[i];
        contact.csat = csats[i].and_then(|c| u8::try_from(c).ok());
        contact.resolved = resolved[i];
        let flag = |v: &Vec<Option<bool>>| v[i].unwrap_or(false);
        out.push(EnrichedContact {
            contact,
            tokens: std::mem::take(&mut tokens[i]),
            week,
            categories: std::mem::take(&mut categories[i]),
            complaint: flag(&complaint),
            sentiment: sentiment[i].unwrap_or(0.0),
            sentiment_label: labels[i].take().unwrap_or_default(),
            mood: voc_core::CustomerMood {
                last_turn_label: last_turn[i].take().unwrap_or_default(),
                emotion: emotion[i].take().unwrap_or_default(),
                emotion_intensity: intensity[i].unwrap_or(0.0),
                trajectory: trajectory[i].take().unwrap_or_default(),
                turn_sentiment: std::mem::take(&mut turn_sentiment[i]),
            },
            risk: RiskFlags {
                escalation: flag(&escalation),
                churn: flag(&churn),
                repeat_contact: flag(&repeat),
                no_greeting: flag(&no_greeting),
                forbidden_phrase: flag(&forbidden),
                no_closing: flag(&no_closing),
            },
        });
    }
    Ok(out)
}

/// What re-tagging reads of each stored contact: the id, everything the rules look at
/// (channel, business, region, queue, speakers, tokens) and the tags to compare with
/// (categories, complaint, risk flags). Everything else is left unread — the turns have
/// no text, `started_at` is the Unix epoch, the other fields are empty — because
/// decoding it would cost more than applying the rules.
pub fn read_for_retag(path: &Path) -> Result<Vec<EnrichedContact>, StoreError> {
    const COLUMNS: &[&str] = &[
        "id",
        "channel",
        "region",
        "business",
        "queue",
        "speakers",
        "tokens",
        "categories",
        "complaint",
        "risk_escalation",
        "risk_churn",
        "risk_repeat",
        "risk_no_greeting",
        "risk_forbidden_phrase",
        "risk_no_closing",
    ];
    let mut reader = open_partition(path)?;
    let schema = reader.schema()?;
    let columns: Vec<String> = COLUMNS
        .iter()
        .filter(|c| schema.iter_names().any(|n| n.as_str() == **c))
        .map(|c| c.to_string())
        .collect();
    let frame = reader.with_columns(Some(columns)).finish()?;
    records_of(path, &week_of_partition(path), &frame)
}

/// A stored contact's tags as [`read_records_between`] shows them to its `keep`, read
/// straight from their columns.
#[derive(Debug, Clone, Copy)]
pub struct StoredTags<'a> {
    /// The contact's id (the key-driver quotes are picked by id).
    pub id: &'a str,
    pub escalation: bool,
    pub churn: bool,
    pub categories: &'a [&'a str],
}

/// Below this many rows a read-back builds its records in one piece.
const MIN_READ_SLICE_ROWS: usize = 1024;

/// The stored contacts (text included) of the days `first` to `last` (inclusive, China
/// time) whose tags `keep` accepts, sorted by time and id. Only the partitions of those
/// weeks are opened, one at a time, so at most one partition's records are held
/// besides the ones kept. Only the kept contacts are built (building every contact of
/// a week, or only its tokens as strings, took most of the report stage).
pub fn read_records_between(
    history: &History,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    keep: impl Fn(&StoredTags) -> bool,
) -> Result<Vec<EnrichedContact>, StoreError> {
    let window = crate::scan::WeekWindow::of_days(first, last);
    let (from, to) = (
        crate::scan::epoch_days(first),
        crate::scan::epoch_days(last),
    );
    let mut out = Vec::new();
    for path in history.partitions_in(&window) {
        let frame = read_columns(&path, true)?;
        // `date` is the China-time day of `started_at`, written beside it.
        let days = i32s(&frame, "date")?;
        // A flag column missing from a partition reads as unset, as in `records_of`.
        let flags = |name: &str| match frame.column(name) {
            Ok(_) => opt_bools(&frame, name),
            Err(_) => Ok(vec![None; frame.height()]),
        };
        let (escalation, churn) = (flags("risk_escalation")?, flags("risk_churn")?);
        let ids = crate::frame::strs(&frame, "id")?;
        let mut wanted = Vec::with_capacity(frame.height());
        for_each_string_list(&frame, "categories", |i, categories| {
            let tags = StoredTags {
                id: &ids[i],
                escalation: escalation[i].unwrap_or(false),
                churn: churn[i].unwrap_or(false),
                categories,
            };
            wanted.push(from <= days[i] && days[i] <= to && keep(&tags));
        })?;
        let wanted = BooleanChunked::from_slice("wanted".into(), &wanted);
        // Building records is most of a report's read-back, at the end of a run with
        // nothing else to do: on every core, a slice each.
        let selected = frame.filter(&wanted)?;
        let slice_rows = selected
            .height()
            .div_ceil(rayon::current_num_threads())
            .max(MIN_READ_SLICE_ROWS);
        let week = week_of_partition(&path);
        let slices = crate::frame::par_slices(&selected, slice_rows, |slice| {
            records_of(&path, &week, slice)
        })?;
        out.extend(slices.into_iter().flatten());
    }
    out.sort_by(|a, b| {
        a.contact
            .started_at
            .cmp(&b.contact.started_at)
            .then_with(|| a.contact.id.cmp(&b.contact.id))
    });
    Ok(out)
}

/// The stored record of contact `id`, from whichever partition holds it.
pub fn find_contact(history: &History, id: &str) -> Result<Option<EnrichedContact>, StoreError> {
    for path in history.partitions() {
        let ids = open_partition(&path)?
            .with_columns(Some(vec!["id".to_string()]))
            .finish()?;
        let found = ids.column("id")?.str()?.iter().any(|v| v == Some(id));
        if found {
            let frame = read_partition(&path)?;
            let mask = frame.column("id")?.str()?.equal(id);
            let row = frame.filter(&mask)?;
            return Ok(records_of(&path, &week_of_partition(&path), &row)?
                .into_iter()
                .next());
        }
    }
    Ok(None)
}

/// Rewrites one partition from `records` (atomically, sorted like every partition).
pub fn write_records(path: &Path, records: &[EnrichedContact]) -> Result<(), StoreError> {
    let rows: Vec<&EnrichedContact> = records.iter().collect();
    write_partition(path, frame_of(&rows)?)
}

/// What [`upgrade`] found and rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upgraded {
    pub partitions: usize,
    /// Partitions of [`FORMAT_1`], now rewritten.
    pub rewritten: usize,
    /// Contacts in the rewritten partitions.
    pub contacts: u64,
}

/// Rewrites every partition of [`FORMAT_1`] in the current layout, oldest first, each
/// atomically: an interrupted upgrade is finished by running it again, and partitions
/// already current are left alone. Rows and their order are kept; `started_at` keeps its
/// instant; risk flags a partition predates are stored as unset, as they were read.
pub fn upgrade(history: &History) -> Result<Upgraded, StoreError> {
    let mut done = Upgraded::default();
    for path in history.partitions() {
        done.partitions += 1;
        let mut reader = ParquetReader::new(std::fs::File::open(&path)?);
        if !is_format_1(&*reader.schema()?) {
            continue;
        }
        let frame = from_format_1(&path, reader.finish()?)?;
        done.contacts += frame.height() as u64;
        write_partition(&path, frame)?;
        done.rewritten += 1;
    }
    Ok(done)
}

/// A partition of [`FORMAT_1`] in the current layout, columns in [`COLUMNS`] order.
fn from_format_1(path: &Path, mut frame: DataFrame) -> Result<DataFrame, StoreError> {
    if frame.column("started_at")?.dtype() == &DataType::String {
        let texts = frame.column("started_at")?.str()?.clone();
        let micros = texts
            .iter()
            .enumerate()
            .map(|(row, text)| {
                text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_micros())
                    .ok_or_else(|| {
                        corrupt(
                            path,
                            format!("row {row}: started_at {text:?} is not an RFC 3339 time"),
                        )
                    })
            })
            .collect::<Result<Vec<i64>, StoreError>>()?;
        frame.with_column(started_at_column(micros))?;
    }
    for (name, dtype) in [
        ("duration_s", DataType::Int64),
        ("wait_s", DataType::Int64),
        ("csat", DataType::Int32),
    ] {
        let signed = frame.column(name)?.strict_cast(&dtype)?;
        frame.with_column(signed)?;
    }
    with_later_columns(frame)
}

/// `frame`, a partition of the current layout written before some columns existed,
/// with those columns as their readers take a missing one (unset flags, empty text,
/// no turn scores), in [`COLUMNS`] order: so it stacks with the rows of this version.
fn with_later_columns(mut frame: DataFrame) -> Result<DataFrame, StoreError> {
    for flag in OPTIONAL_FLAGS {
        if frame.column(flag).is_err() {
            let unset = Column::new((*flag).into(), vec![false; frame.height()]);
            frame.with_column(unset)?;
        }
    }
    for name in OPTIONAL_STRINGS {
        if frame.column(name).is_err() {
            let empty = Column::new((*name).into(), vec![""; frame.height()]);
            frame.with_column(empty)?;
        }
    }
    if frame.column("emotion_intensity").is_err() {
        let zero = Column::new("emotion_intensity".into(), vec![0.0f32; frame.height()]);
        frame.with_column(zero)?;
    }
    if frame.column("turn_sentiment").is_err() {
        let mut none = ListPrimitiveChunkedBuilder::<Float32Type>::new(
            "turn_sentiment".into(),
            frame.height(),
            0,
            DataType::Float32,
        );
        (0..frame.height()).for_each(|_| none.append_slice(&[]));
        frame.with_column(none.finish().into_series().into())?;
    }
    // The week stays in the folder name only.
    Ok(frame.select(COLUMNS.iter().copied())?)
}

#[cfg(test)]
mod read_back_tests {
    use super::*;
    use voc_core::{Contact, RiskFlags, Speaker, Turn};

    fn record(id: &str, day: u32, with_flags: bool) -> EnrichedContact {
        let started_at =
            chrono::DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T09:15:02+08:00"))
                .unwrap();
        let mut contact = Contact::new(
            id,
            started_at,
            "voice",
            vec![
                Turn {
                    speaker: Speaker::Agent,
                    text: "您好".into(),
                },
                Turn {
                    speaker: Speaker::Customer,
                    text: "宽带 断网了".into(),
                },
            ],
        );
        contact.region = Some("广东".into());
        contact.queue = Some("投诉专席".into());
        contact.csat = Some(2);
        contact.resolved = Some(false);
        contact.duration_s = Some(312);
        EnrichedContact {
            week: voc_core::time::iso_week_key(&started_at),
            contact,
            tokens: vec![
                vec!["您好".into()],
                vec!["宽带".into(), "断网".into(), "了".into()],
            ],
            categories: vec!["网络质量/宽带断网".into()],
            complaint: true,
            sentiment: -0.5,
            sentiment_label: "negative".into(),
            mood: voc_core::CustomerMood {
                last_turn_label: "negative".into(),
                turn_sentiment: vec![None, Some(-0.5)],
                ..Default::default()
            },
            risk: RiskFlags {
                escalation: with_flags,
                forbidden_phrase: with_flags,
                ..Default::default()
            },
        }
    }

    /// What the Python package hands an engine is what a partition stores: the same
    /// columns, in order, with the types read back from the written file.
    #[test]
    fn history_frame_has_the_columns_and_types_of_a_partition() {
        let records: Vec<EnrichedContact> = (1..=3)
            .map(|i| record(&format!("C{i}"), 10, i == 2))
            .collect();
        let frame = history_frame(&records).unwrap();
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(names, COLUMNS);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        write_parquet(&path, &mut frame.clone()).unwrap();
        let stored = read_partition(&path).unwrap();
        assert_eq!(frame.schema(), stored.schema());
        assert!(frame.equals_missing(&stored));
    }

    /// A week's rows already in time order (as exports usually come) skip the gather,
    /// and must give the same partition bytes as rows that need it.
    #[test]
    fn rows_in_order_and_shuffled_give_the_same_partition() {
        let records: Vec<EnrichedContact> = (1..=6)
            .map(|i| record(&format!("C{i}"), 2 + i / 2, i % 2 == 0))
            .collect();
        let rows: Vec<&EnrichedContact> = records.iter().collect();
        // In order, in three chunks, as the spool hands a week over.
        let mut in_order = frame_of(&rows[..2]).unwrap();
        in_order
            .vstack_mut(&frame_of(&rows[2..5]).unwrap())
            .unwrap();
        in_order.vstack_mut(&frame_of(&rows[5..]).unwrap()).unwrap();
        let shuffled: Vec<&EnrichedContact> = [4, 0, 5, 2, 1, 3].iter().map(|&i| rows[i]).collect();
        let dir = tempfile::tempdir().unwrap();
        let bytes = |name: &str, frame: DataFrame| {
            let sorted = sort_partition(frame).unwrap();
            assert_eq!(sorted.first_col_n_chunks(), 1, "{name}");
            let path = dir.path().join(name);
            write_sorted_partition(&path, sorted).unwrap();
            std::fs::read(&path).unwrap()
        };
        let from_order = bytes("in-order.parquet", in_order);
        assert!(from_order == bytes("shuffled.parquet", frame_of(&shuffled).unwrap()));
        let back = read_records(&dir.path().join("in-order.parquet"), true).unwrap();
        assert_eq!(back, records);
    }

    /// A partition as voc wrote it before the current layout ([`FORMAT_1`]): the week as
    /// a column too, `started_at` as RFC 3339 text, unsigned counts, polars' defaults.
    fn write_format_1(path: &Path) {
        let mut frame = ParquetReader::new(std::fs::File::open(path).unwrap())
            .finish()
            .unwrap();
        let texts: Vec<String> = crate::frame::opt_epoch_micros(&frame, "started_at")
            .unwrap()
            .into_iter()
            .map(|micros| {
                chrono::DateTime::from_timestamp_micros(micros.unwrap())
                    .unwrap()
                    .with_timezone(&voc_core::time::china_offset())
                    .to_rfc3339()
            })
            .collect();
        let weeks = vec![week_of_partition(path); frame.height()];
        frame
            .with_column(Column::new("started_at".into(), texts))
            .unwrap();
        frame
            .insert_column(3, Column::new("week".into(), weeks))
            .unwrap();
        for name in ["duration_s", "wait_s", "csat"] {
            let unsigned = frame.column(name).unwrap().cast(&DataType::UInt32).unwrap();
            frame.with_column(unsigned).unwrap();
        }
        let mut frame = frame.drop("risk_forbidden_phrase").unwrap();
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(&mut frame)
            .unwrap();
    }

    /// A history of the earlier layout is refused, naming the command that upgrades it,
    /// and the upgrade writes what a run of this version writes, byte for byte.
    #[test]
    fn a_format_1_history_is_refused_until_upgraded_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let records = vec![
            record("C1", 2, true),
            record("C2", 3, false),
            record("C3", 10, false),
        ];
        write_history(&history, &records).unwrap();
        let [old, current] = &history.partitions()[..] else {
            panic!("two weeks")
        };
        // The old partition had no forbidden-phrase flag yet: stored unset once upgraded.
        let mut expected = records.clone();
        expected[0].risk.forbidden_phrase = false;
        write_records(old, &expected[..2]).unwrap();
        let current_bytes = std::fs::read(old).unwrap();
        write_format_1(old);

        let refused = read_records(old, true).unwrap_err().to_string();
        assert!(refused.contains("voc history upgrade"), "{refused}");
        assert!(refused.contains("week=2026-W45"), "{refused}");
        assert!(read_for_retag(old).is_err());
        assert!(crate::scan::scan(&history, &crate::scan::WeekWindow::all()).is_err());
        assert!(
            read_records(current, true).is_ok(),
            "a current partition still reads"
        );

        let done = upgrade(&history).unwrap();
        assert_eq!(
            (done.partitions, done.rewritten, done.contacts),
            (2, 1, 2),
            "{done:?}"
        );
        assert!(std::fs::read(old).unwrap() == current_bytes);
        assert_eq!(read_records(old, true).unwrap(), expected[..2]);
        assert_eq!(
            upgrade(&history).unwrap().rewritten,
            0,
            "nothing left to do"
        );
    }

    /// `started_at` keeps its instant, shown in China time, and is stored as a zoned
    /// microsecond timestamp; counts are signed; the week is not a column of the file.
    #[test]
    fn partitions_store_zoned_times_signed_counts_and_no_week() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let mut utc = record("C1", 2, false);
        // 01:15:02.123456789 UTC is 09:15:02.123456 in China, to the microsecond.
        utc.contact.started_at =
            chrono::DateTime::parse_from_rfc3339("2026-11-02T01:15:02.123456789Z").unwrap();
        let written = write_history(&history, &[utc]).unwrap();
        let mut reader = ParquetReader::new(std::fs::File::open(&written[0]).unwrap());
        let schema = reader.schema().unwrap();
        assert!(!schema.contains("week"));
        assert_eq!(
            schema.get("started_at").unwrap().dtype(),
            &ArrowDataType::Timestamp(ArrowTimeUnit::Microsecond, Some(TIME_ZONE.into()))
        );
        assert_eq!(schema.get("csat").unwrap().dtype(), &ArrowDataType::Int32);
        assert_eq!(schema.get("wait_s").unwrap().dtype(), &ArrowDataType::Int64);
        let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        assert_eq!(names, COLUMNS);
        let frame = reader.finish().unwrap();
        assert_eq!(
            frame.column("started_at").unwrap().dtype(),
            &started_at_dtype()
        );
        let back = &read_records(&written[0], true).unwrap()[0];
        assert_eq!(
            back.contact.started_at.to_rfc3339(),
            "2026-11-02T09:15:02.123456+08:00"
        );
        assert_eq!(back.week, "2026-W45");
    }

    /// A read-back large enough to be built in slices gives every kept record, in order.
    #[test]
    fn a_large_read_back_is_built_in_slices_and_in_order() {
        let records: Vec<EnrichedContact> = (0..3 * MIN_READ_SLICE_ROWS)
            .map(|i| record(&format!("C{i:05}"), 2 + (i % 7) as u32, i % 3 == 0))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        write_history(&history, &records).unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let mut sorted: Vec<&EnrichedContact> = records.iter().collect();
        sorted.sort_by(|a, b| {
            (a.contact.started_at, &a.contact.id).cmp(&(b.contact.started_at, &b.contact.id))
        });
        let all = read_records_between(&history, day(1), day(30), |_| true).unwrap();
        assert_eq!(all.iter().collect::<Vec<_>>(), sorted);
        let flagged = read_records_between(&history, day(1), day(30), |t| t.escalation).unwrap();
        assert_eq!(flagged.len(), MIN_READ_SLICE_ROWS);
        assert!(flagged.iter().all(|r| r.risk.escalation));
    }

    /// A week written by a voc that predates the mood columns takes this version's
    /// contacts: its rows read with no mood and no turn scores, the new ones with theirs.
    #[test]
    fn a_partition_without_the_later_columns_takes_new_rows() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = History::at(tmp.path());
        let old = record("C1", 2, true);
        let written = write_history(&dir, std::slice::from_ref(&old)).unwrap();
        let mut frame = read_partition(&written[0]).unwrap();
        for name in [
            "last_turn_sentiment",
            "emotion",
            "emotion_intensity",
            "emotion_trajectory",
            "turn_sentiment",
        ] {
            frame = frame.drop(name).unwrap();
        }
        write_parquet(&written[0], &mut frame).unwrap();

        let new = record("C2", 3, false);
        write_history(&dir, std::slice::from_ref(&new)).unwrap();
        let back = read_records(&written[0], true).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].contact.id, "C1");
        assert_eq!(back[0].mood, voc_core::CustomerMood::default());
        assert_eq!(back[1], new);
    }

    #[test]
    fn records_round_trip_through_parquet() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = History::at(tmp.path());
        let records = vec![record("C1", 2, true), record("C2", 3, false)];
        let written = write_history(&dir, &records).unwrap();
        assert_eq!(written.len(), 1);
        let back = read_records(&written[0], true).unwrap();
        assert_eq!(back, records);
        // Without text: same tokens and tags, empty turn text.
        let lean = read_records(&written[0], false).unwrap();
        assert_eq!(lean[0].tokens, records[0].tokens);
        assert_eq!(lean[0].contact.turns[1].speaker, Speaker::Customer);
        assert_eq!(lean[0].contact.turns[1].text, "");
        assert_eq!(
            read_tokens(&written[0]).unwrap(),
            vec![records[0].tokens.clone(), records[1].tokens.clone()]
        );
        let retag = read_for_retag(&written[0]).unwrap();
        assert_eq!(retag[1].contact.id, "C2");
        assert_eq!(retag[1].tokens, records[1].tokens);
        assert_eq!(retag[1].categories, records[1].categories);
        assert_eq!(retag[0].risk, records[0].risk);
        assert_eq!(retag[0].contact.region.as_deref(), Some("广东"));
        assert_eq!(retag[0].contact.queue.as_deref(), Some("投诉专席"));
        assert_eq!(retag[0].contact.turns.len(), 2);
        assert_eq!(find_contact(&dir, "C2").unwrap(), Some(records[1].clone()));
        assert_eq!(find_contact(&dir, "C9").unwrap(), None);
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let between = read_records_between(&dir, day(3), day(30), |_| true).unwrap();
        assert_eq!(between, vec![records[1].clone()]);
        let flagged = read_records_between(&dir, day(1), day(30), |r| r.escalation).unwrap();
        assert_eq!(flagged, vec![records[0].clone()]);
        let in_category =
            |c: &'static str| move |r: &StoredTags| r.categories.contains(&c) && !r.escalation;
        assert_eq!(
            read_records_between(&dir, day(1), day(30), in_category("网络质量/宽带断网")).unwrap(),
            vec![records[1].clone()]
        );
        assert!(
            read_records_between(&dir, day(1), day(2), in_category("网络质量/宽带断网"))
                .unwrap()
                .is_empty(),
            "C2 is of day 3"
        );
        // Rewriting a partition in place.
        let mut changed = back.clone();
        changed[1].categories.clear();
        write_records(&written[0], &changed).unwrap();
        assert_eq!(read_records(&written[0], true).unwrap(), changed);
    }
}
