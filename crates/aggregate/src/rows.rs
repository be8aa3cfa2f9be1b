//! Parquet exports as input: each row becomes a JSON object for ingest to validate.
//! It lives here because polars (which reads Parquet) lives only in this crate.

use polars::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;

use crate::AggregateError;

/// Calls `sink(row_number, object_or_reason)` for every row of a Parquet file, 1-based.
pub fn parquet_rows(
    path: &Path,
    sink: &mut dyn FnMut(u64, Result<Value, String>),
) -> Result<(), AggregateError> {
    let file = std::fs::File::open(path)?;
    let frame = ParquetReader::new(file).finish()?;
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
                    error.get_or_insert_with(|| format!("column {name:?}: {e}"));
                }
            }
        }
        sink(row as u64 + 1, error.map_or(Ok(Value::Object(obj)), Err));
    }
    Ok(())
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
        // Instants become epoch seconds, which the time parser reads as UTC.
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            Value::from(match unit {
                TimeUnit::Nanoseconds => v.div_euclid(1_000_000_000),
                TimeUnit::Microseconds => v.div_euclid(1_000_000),
                TimeUnit::Milliseconds => v.div_euclid(1_000),
            })
        }
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

    #[test]
    fn rows_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.parquet");
        let mut df = df!(
            "id" => ["W1", "W2"],
            "started_at" => ["2026-11-02 09:15:00", "2026-11-03 10:00:00"],
            "csat" => [Some(2i64), None],
            "text" => ["宽带断网", "话费疑问"],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let mut rows = Vec::new();
        parquet_rows(&path, &mut |n, v| rows.push((n, v.unwrap()))).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[0].1["id"], "W1");
        assert_eq!(rows[0].1["csat"], 2);
        assert_eq!(rows[1].1["csat"], Value::Null);
    }
}
