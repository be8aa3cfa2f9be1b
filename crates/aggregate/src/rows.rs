//! Parquet exports as input: each row becomes a JSON object for ingest to validate.
//! It lives here because polars (which reads Parquet) lives only in this crate.

use polars::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;

use crate::AggregateError;

/// Rows decoded at a time: whole row groups up to about this many rows, and a larger
/// row group in slices of it, so memory follows the batch and not the file (an export
/// written as one row group of a million rows is read a slice at a time).
const ROWS_PER_BATCH: usize = 65_536;

/// A row that cannot be read: the column at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: String,
    pub reason: String,
}

/// Calls `sink(row_number, object, error)` for every row of a Parquet file, 1-based:
/// the row as a JSON object (the columns that could be read, for a quarantined row's
/// raw text) and the first column that could not be. Read in batches of about
/// [`ROWS_PER_BATCH`] rows.
pub fn parquet_rows(
    path: &Path,
    sink: &mut dyn FnMut(u64, Value, Option<RowError>),
) -> Result<(), AggregateError> {
    let mut reader = ParquetReader::new(std::fs::File::open(path)?);
    let metadata = reader.get_metadata()?.clone();
    let group_rows: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
    let mut row = 0u64;
    for (offset, len) in batches(&group_rows, ROWS_PER_BATCH) {
        let mut reader = ParquetReader::new(std::fs::File::open(path)?)
            .with_slice(Some((offset, len)))
            .read_parallel(ParallelStrategy::None);
        reader.set_metadata(metadata.clone());
        let frame = reader.finish()?;
        for_each_row(&frame, &mut |value, error| {
            row += 1;
            sink(row, value, error);
        });
    }
    Ok(())
}

/// (offset, length) of the batches a file of row groups of `group_rows` rows is read
/// in: consecutive whole groups while they stay within `limit` rows, a group larger than
/// `limit` in slices of `limit`.
fn batches(group_rows: &[usize], limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut start, mut len) = (0, 0);
    for &rows in group_rows {
        if len > 0 && len + rows > limit {
            out.push((start, len));
            (start, len) = (start + len, 0);
        }
        if rows > limit {
            let mut done = 0;
            while done < rows {
                let n = limit.min(rows - done);
                out.push((start + done, n));
                done += n;
            }
            start += rows;
        } else {
            len += rows;
        }
    }
    if len > 0 {
        out.push((start, len));
    }
    out
}

fn for_each_row(frame: &DataFrame, sink: &mut dyn FnMut(Value, Option<RowError>)) {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let columns = frame.columns();
    for row in 0..frame.height() {
        let mut obj = Map::with_capacity(names.len());
        let mut error = None;
        for (name, column) in names.iter().zip(columns) {
            match column
                .get(row)
                .map_err(AggregateError::from)
                .and_then(|v| json_of(&v))
            {
                Ok(v) => {
                    obj.insert(name.clone(), v);
                }
                Err(e) => {
                    error.get_or_insert_with(|| RowError {
                        column: name.clone(),
                        reason: format!("column {name:?}: {e}"),
                    });
                }
            }
        }
        sink(Value::Object(obj), error);
    }
}

/// A timestamp with a time zone (Parquet's `isAdjustedToUTC`) is an instant: epoch
/// seconds, which the time parser reads as UTC. One without is a wall-clock time, as a
/// database export writes local times: written out without an offset, so it reads in
/// Beijing time like any time without one (a CSV's, an Excel date).
fn datetime_json(value: i64, unit: TimeUnit, zoned: bool) -> Value {
    let seconds = match unit {
        TimeUnit::Nanoseconds => value.div_euclid(1_000_000_000),
        TimeUnit::Microseconds => value.div_euclid(1_000_000),
        TimeUnit::Milliseconds => value.div_euclid(1_000),
    };
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(at) if !zoned => Value::String(at.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()),
        _ => Value::from(seconds),
    }
}

/// A struct's fields as a JSON object.
fn json_object<'a, V: std::borrow::Borrow<AnyValue<'a>>>(
    fields: &[Field],
    values: impl Iterator<Item = V>,
) -> Result<Value, AggregateError> {
    let mut obj = Map::with_capacity(fields.len());
    for (field, v) in fields.iter().zip(values) {
        obj.insert(field.name().to_string(), json_of(v.borrow())?);
    }
    Ok(Value::Object(obj))
}

fn json_of(value: &AnyValue) -> Result<Value, AggregateError> {
    let number = |f: f64| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    Ok(match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::UInt8(n) => Value::from(*n),
        AnyValue::UInt16(n) => Value::from(*n),
        AnyValue::UInt32(n) => Value::from(*n),
        AnyValue::UInt64(n) => Value::from(*n),
        AnyValue::Int8(n) => Value::from(*n),
        AnyValue::Int16(n) => Value::from(*n),
        AnyValue::Int32(n) => Value::from(*n),
        AnyValue::Int64(n) => Value::from(*n),
        AnyValue::Float32(f) => number(f64::from(*f)),
        AnyValue::Float64(f) => number(*f),
        AnyValue::Date(days) => {
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(i64::from(*days));
            Value::String(format!("{date} 00:00:00"))
        }
        AnyValue::Datetime(v, unit, zone) => datetime_json(*v, *unit, zone.is_some()),
        AnyValue::DatetimeOwned(v, unit, zone) => datetime_json(*v, *unit, zone.is_some()),
        // A list of structs is how Parquet exports hold a transcript's turns
        // (`[{speaker, text}, …]`), the shape JSON Lines records have.
        AnyValue::Struct(_, _, fields) => json_object(fields, value._iter_struct_av())?,
        AnyValue::StructOwned(payload) => json_object(&payload.1, payload.0.iter())?,
        AnyValue::List(series) => Value::Array(
            (0..series.len())
                .map(|i| {
                    series
                        .get(i)
                        .map_err(AggregateError::from)
                        .and_then(|v| json_of(&v))
                })
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(AggregateError::Unsupported(format!(
                "unsupported Parquet value type {}",
                other.dtype()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `df` as Parquet (row groups of `group_rows` rows, or polars' default) and
    /// reads it back: each row's number and value, every row read without error.
    fn round_trip(df: &mut DataFrame, group_rows: Option<usize>) -> Vec<(u64, Value)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(group_rows)
            .finish(df)
            .unwrap();
        let mut rows = Vec::new();
        parquet_rows(&path, &mut |n, v, e| {
            assert_eq!(e, None);
            rows.push((n, v))
        })
        .unwrap();
        rows
    }

    #[test]
    fn rows_round_trip_through_parquet() {
        let mut df = df!(
            "id" => ["W1", "W2"],
            "started_at" => ["2026-11-02 09:15:00", "2026-11-03 10:00:00"],
            "csat" => [Some(2i64), None],
            "text" => ["宽带断网", "话费疑问"],
        )
        .unwrap();
        let rows = round_trip(&mut df, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[0].1["id"], "W1");
        assert_eq!(rows[0].1["csat"], 2);
        assert_eq!(rows[1].1["csat"], Value::Null);
    }

    #[test]
    fn turns_as_a_list_of_structs_read_as_json_lines_turns() {
        let speaker = Series::new("speaker".into(), ["agent", "customer", "customer"]);
        let text = Series::new("text".into(), ["您好", "宽带断网了", "光猫闪红灯"]);
        let turns = StructChunked::from_series("turns".into(), 3, [speaker, text].iter())
            .unwrap()
            .into_series();
        // Row 1 holds the first two turns, row 2 the third.
        let lists = Series::new("turns".into(), [turns.slice(0, 2), turns.slice(2, 1)]);
        let mut df = DataFrame::new(
            2,
            vec![Column::new("id".into(), ["W1", "W2"]), lists.into()],
        )
        .unwrap();
        let rows = round_trip(&mut df, None);
        assert_eq!(
            rows[0].1["turns"],
            serde_json::json!([
                {"speaker": "agent", "text": "您好"},
                {"speaker": "customer", "text": "宽带断网了"}
            ])
        );
        assert_eq!(rows[1].1["turns"][0]["text"], "光猫闪红灯");
    }

    #[test]
    fn naive_timestamps_are_wall_clock_times_and_zoned_ones_instants() {
        // 2026-11-02 09:15:00 as milliseconds since the epoch.
        let naive = Series::new("naive".into(), [1_793_610_900_000i64])
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap();
        let mut df = DataFrame::new(1, vec![naive.into()]).unwrap();
        // Without a zone: no offset written, so ingest reads it in Beijing time.
        assert_eq!(
            round_trip(&mut df, None)[0].1["naive"],
            "2026-11-02 09:15:00"
        );
        // pyarrow's timestamps with a zone (the broken corpus's: 2026-11-02 01:15 UTC)
        // are instants.
        let corpus =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/broken/contacts.parquet");
        let mut first = None;
        parquet_rows(&corpus, &mut |_, v, _| {
            first.get_or_insert(v);
        })
        .unwrap();
        assert_eq!(first.unwrap()["started_at"], 1_793_582_100);
    }

    #[test]
    fn every_row_of_many_row_groups_is_read_once_in_order() {
        let n = 2_500;
        let ids: Vec<String> = (0..n).map(|i| format!("W{i}")).collect();
        let mut df = df!("id" => ids).unwrap();
        let rows = round_trip(&mut df, Some(300));
        assert_eq!(rows.len(), n);
        for (i, (row, value)) in rows.iter().enumerate() {
            assert_eq!(*row, i as u64 + 1);
            assert_eq!(value["id"], Value::String(format!("W{i}")));
        }
    }

    #[test]
    fn batches_keep_whole_groups_and_slice_large_ones() {
        assert_eq!(batches(&[], 10), vec![]);
        assert_eq!(batches(&[3, 4, 3, 5], 10), vec![(0, 10), (10, 5)]);
        assert_eq!(batches(&[25], 10), vec![(0, 10), (10, 10), (20, 5)]);
        assert_eq!(
            batches(&[4, 25, 2], 10),
            vec![(0, 4), (4, 10), (14, 10), (24, 5), (29, 2)]
        );
    }
}
