//! Whole-column reads out of a collected frame, for this crate and the analytics that
//! read its scans. Reading a column once into a vector keeps row loops linear (casting
//! a column per cell would make them quadratic).

use polars::prelude::*;

use crate::StoreError;

/// `f` over consecutive slices of `slice_rows` rows of `df` (zero-copy) in parallel;
/// the results in row order.
pub fn par_slices<T: Send, E: Send>(
    df: &DataFrame,
    slice_rows: usize,
    f: impl Fn(&DataFrame) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use rayon::prelude::*;
    let slice_rows = slice_rows.max(1);
    (0..df.height())
        .step_by(slice_rows)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|offset| f(&df.slice(offset as i64, slice_rows)))
        .collect()
}

pub fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>, StoreError> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

pub fn opt_strs(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, StoreError> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

pub fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>, StoreError> {
    let c = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub fn opt_u32s(df: &DataFrame, name: &str) -> Result<Vec<Option<u32>>, StoreError> {
    let c = df.column(name)?.cast(&DataType::UInt32)?;
    Ok(c.u32()?.iter().collect())
}

pub fn i32s(df: &DataFrame, name: &str) -> Result<Vec<i32>, StoreError> {
    let c = df.column(name)?.cast(&DataType::Int32)?;
    Ok(c.i32()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub fn f64s(df: &DataFrame, name: &str) -> Result<Vec<f64>, StoreError> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
}

pub fn opt_bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>, StoreError> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// Every string list of a list column, row by row (a null list is empty).
pub fn string_lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<String>>, StoreError> {
    map_string_lists(df, name, |v| Ok(v.unwrap_or_default().to_string()))
}

/// Calls `f` with each row's index and strings (a null list or string as empty),
/// borrowed from the column: nothing is copied.
pub fn for_each_string_list(
    df: &DataFrame,
    name: &str,
    mut f: impl FnMut(usize, &[&str]),
) -> Result<(), StoreError> {
    let lists = df.column(name)?.as_materialized_series().list()?.clone();
    for (i, list) in lists.amortized_iter().enumerate() {
        match list {
            Some(series) => {
                let row: Vec<&str> = series
                    .as_ref()
                    .str()?
                    .iter()
                    .map(Option::unwrap_or_default)
                    .collect();
                f(i, &row);
            }
            None => f(i, &[]),
        }
    }
    Ok(())
}

/// Each string of a list column turned into a `T` by `item`, row by row (a null list
/// is empty); the strings are borrowed from the column, not copied first.
pub fn map_string_lists<T>(
    df: &DataFrame,
    name: &str,
    mut item: impl FnMut(Option<&str>) -> Result<T, StoreError>,
) -> Result<Vec<Vec<T>>, StoreError> {
    let lists = df.column(name)?.as_materialized_series().list()?.clone();
    let mut out = Vec::with_capacity(lists.len());
    for list in lists.amortized_iter() {
        let mut row = Vec::new();
        if let Some(series) = list {
            for v in series.as_ref().str()?.iter() {
                row.push(item(v)?);
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// A timestamp column as microseconds since the Unix epoch (its instants, whatever zone
/// it is labelled with), row by row.
pub fn opt_epoch_micros(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, StoreError> {
    let column = df.column(name)?;
    let to_micros: fn(i64) -> i64 = match column.dtype() {
        DataType::Datetime(TimeUnit::Nanoseconds, _) => |v| v.div_euclid(1_000),
        DataType::Datetime(TimeUnit::Microseconds, _) => |v| v,
        DataType::Datetime(TimeUnit::Milliseconds, _) => |v| v.saturating_mul(1_000),
        other => {
            return Err(StoreError::Unsupported(format!(
                "column {name} is {other}, not a timestamp"
            )));
        }
    };
    let physical = column.cast(&DataType::Int64)?;
    Ok(physical.i64()?.iter().map(|v| v.map(to_micros)).collect())
}

/// A timestamp column as whole seconds since the Unix epoch (rounded down), row by row.
pub fn opt_epoch_seconds(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, StoreError> {
    Ok(opt_epoch_micros(df, name)?
        .into_iter()
        .map(|v| v.map(|micros| micros.div_euclid(1_000_000)))
        .collect())
}
