//! Whole-column reads out of a collected frame. Reading a column once into a vector
//! keeps row loops linear (casting a column per cell would make them quadratic).

use polars::prelude::*;

use crate::AggregateError;

/// `f` over consecutive slices of `slice_rows` rows of `df` (zero-copy) in parallel;
/// the results in row order.
pub(crate) fn par_slices<T: Send>(
    df: &DataFrame,
    slice_rows: usize,
    f: impl Fn(&DataFrame) -> Result<T, AggregateError> + Sync,
) -> Result<Vec<T>, AggregateError> {
    use rayon::prelude::*;
    let slice_rows = slice_rows.max(1);
    (0..df.height())
        .step_by(slice_rows)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|offset| f(&df.slice(offset as i64, slice_rows)))
        .collect()
}

pub(crate) fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>, AggregateError> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

pub(crate) fn opt_strs(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, AggregateError> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

pub(crate) fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>, AggregateError> {
    let c = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub(crate) fn opt_u32s(df: &DataFrame, name: &str) -> Result<Vec<Option<u32>>, AggregateError> {
    let c = df.column(name)?.cast(&DataType::UInt32)?;
    Ok(c.u32()?.iter().collect())
}

pub(crate) fn i32s(df: &DataFrame, name: &str) -> Result<Vec<i32>, AggregateError> {
    let c = df.column(name)?.cast(&DataType::Int32)?;
    Ok(c.i32()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub(crate) fn f64s(df: &DataFrame, name: &str) -> Result<Vec<f64>, AggregateError> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
}

pub(crate) fn opt_bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>, AggregateError> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// Every string list of a list column, row by row (a null list is empty).
pub(crate) fn string_lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<String>>, AggregateError> {
    map_string_lists(df, name, |v| Ok(v.unwrap_or_default().to_string()))
}

/// Calls `f` with each row's index and strings (a null list or string as empty),
/// borrowed from the column: nothing is copied.
pub(crate) fn for_each_string_list(
    df: &DataFrame,
    name: &str,
    mut f: impl FnMut(usize, &[&str]),
) -> Result<(), AggregateError> {
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
pub(crate) fn map_string_lists<T>(
    df: &DataFrame,
    name: &str,
    mut item: impl FnMut(Option<&str>) -> Result<T, AggregateError>,
) -> Result<Vec<Vec<T>>, AggregateError> {
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
