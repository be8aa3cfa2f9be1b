//! Parquet (polars), read a batch of rows at a time. Each row is handed on as a
//! reference into its shared batch ([`RawValue::Decoded`]) and read where records are
//! processed in parallel: a row of canonical columns straight into a contact through
//! [`RowBatch::deserializer`] (no value built per cell), any other as a JSON object for
//! the general path to validate field by field ([`RowBatch::json_row`]). No polars type
//! leaves this file.

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, StructArray, Utf8ViewArray};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use voc_core::Contact;

use super::{DecodedRows, Fingerprint, RawRecord, RawValue, Source};
use crate::{IngestError, InputFile};

pub(super) struct Parquet;

impl Source for Parquet {
    /// Read out of order (by row group), so fingerprinted after it is read.
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        let path = &input.path;
        read_rows(path, sink, |sink| parquet_batches(path, sink))?;
        super::fingerprint_file(path)
    }

    fn read_bytes(
        &self,
        input: &InputFile,
        bytes: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        read_rows(&input.path, sink, |sink| {
            batches_of(|| Ok(std::io::Cursor::new(bytes)), sink)
        })?;
        Ok(super::fingerprint_bytes(bytes))
    }
}

/// Hands `sink` every row of the batches `batches` reads, numbered from 1; errors name
/// the file at `path`.
fn read_rows(
    path: &Path,
    sink: &mut dyn FnMut(RawRecord),
    batches: impl FnOnce(&mut dyn FnMut(RowBatch)) -> Result<(), ParquetError>,
) -> Result<(), IngestError> {
    let mut position = 0;
    // polars panics on a column type it was built without (time of day, say): a
    // clear error naming the file, not a crash.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        batches(&mut |batch| hand_on(batch, &mut position, sink))
    }))
    .unwrap_or_else(unreadable_column);
    read.map_err(|e| IngestError::Format(format!("{}: {e}", path.display())))
}

/// Hands `sink` every row of `batch`, numbered on from `position`.
fn hand_on(batch: RowBatch, position: &mut u64, sink: &mut dyn FnMut(RawRecord)) {
    let len = batch.len();
    let rows: Arc<dyn DecodedRows> = Arc::new(batch);
    for row in 0..len {
        *position += 1;
        sink(RawRecord {
            position: *position,
            raw: String::new(),
            value: RawValue::Decoded {
                rows: Arc::clone(&rows),
                row,
            },
        });
    }
}

/// Hands `sink` every row of a frame a caller holds ([`super::InMemory::Frame`]), in
/// slices of [`ROWS_PER_BATCH`] rows, numbered from `first`: the rows are read exactly
/// as a Parquet file's.
pub(super) fn frame_records(
    frame: &DataFrame,
    first: u64,
    sink: &mut dyn FnMut(RawRecord),
) -> Result<(), IngestError> {
    let mut position = first.saturating_sub(1);
    let height = frame.height();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for offset in (0..height).step_by(ROWS_PER_BATCH) {
            let slice = frame.slice(offset as i64, ROWS_PER_BATCH.min(height - offset));
            hand_on(RowBatch::new(slice), &mut position, sink);
        }
        Ok(())
    }))
    .unwrap_or_else(unreadable_column)
    .map_err(|e| IngestError::Format(e.to_string()))
}

/// The error of a polars panic on a column type it was built without.
fn unreadable_column(panic: Box<dyn std::any::Any + Send>) -> Result<(), ParquetError> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown cause");
    Err(ParquetError::Unsupported(format!(
        "a column has a type voc cannot read (polars: {message}); \
         export it as text or a number"
    )))
}

/// Why a Parquet file or a cell of it cannot be read.
#[derive(Debug, thiserror::Error)]
enum ParquetError {
    #[error("polars: {0}")]
    Polars(#[from] PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
}

/// Rows decoded at a time: whole row groups up to about this many rows, and a larger
/// row group in slices of it, so memory follows the batch and not the file (an export
/// written as one row group of a million rows is read a slice at a time).
const ROWS_PER_BATCH: usize = 65_536;

/// A row that cannot be read: the column at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowError {
    column: String,
    reason: String,
}

/// Calls `sink` with every batch of a Parquet file's rows, in order: about
/// [`ROWS_PER_BATCH`] rows decoded at a time.
fn parquet_batches(path: &Path, sink: &mut dyn FnMut(RowBatch)) -> Result<(), ParquetError> {
    batches_of(|| std::fs::File::open(path), sink)
}

/// [`parquet_batches`] of the Parquet file `open` opens (a file, or bytes in memory),
/// once for its metadata and once per batch.
fn batches_of<R: MmapBytesReader>(
    open: impl Fn() -> std::io::Result<R>,
    sink: &mut dyn FnMut(RowBatch),
) -> Result<(), ParquetError> {
    let mut reader = ParquetReader::new(open()?);
    let metadata = reader.get_metadata()?.clone();
    let group_rows: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
    for (offset, len) in batches(&group_rows, ROWS_PER_BATCH) {
        let mut reader = ParquetReader::new(open()?)
            .with_slice(Some((offset, len)))
            .read_parallel(ParallelStrategy::None);
        reader.set_metadata(metadata.clone());
        sink(RowBatch::new(reader.finish()?));
    }
    Ok(())
}

/// Decoded rows of a Parquet file. Shared by the threads that process them, so a row
/// is turned into a record where records are processed in parallel, not on the thread
/// that reads the file.
struct RowBatch {
    frame: DataFrame,
    names: Vec<String>,
    /// The columns as arrays a row can be deserialized from, or `None` when a column
    /// has a type that only [`RowBatch::json_row`] reads (or refuses).
    direct: Option<Vec<DirectColumn>>,
}

impl std::fmt::Debug for RowBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowBatch")
            .field("rows", &self.frame.height())
            .field("columns", &self.names)
            .finish()
    }
}

impl RowBatch {
    fn new(frame: DataFrame) -> Self {
        let names = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let direct = frame.columns().iter().map(DirectColumn::of).collect();
        RowBatch {
            frame,
            names,
            direct,
        }
    }

    fn len(&self) -> usize {
        self.frame.height()
    }

    /// Row `row` (0-based) as a JSON object of the columns that could be read, and the
    /// first column that could not.
    fn json_row(&self, row: usize) -> (Value, Option<RowError>) {
        let mut obj = Map::with_capacity(self.names.len());
        let mut error = None;
        for (name, column) in self.names.iter().zip(self.frame.columns()) {
            match column
                .get(row)
                .map_err(ParquetError::from)
                .and_then(|v| json_of(&v))
            {
                Ok(v) => {
                    obj.insert(name.clone(), v);
                }
                Err(e) => {
                    error.get_or_insert_with(|| RowError {
                        column: name.clone(),
                        reason: format!("column {name:?} ({}): {e}", column.dtype()),
                    });
                }
            }
        }
        (Value::Object(obj), error)
    }

    /// Row `row` as a serde map of its columns, which deserializes into a record as
    /// [`RowBatch::json_row`]'s object would (strings borrowed from the batch), or
    /// `None` when the batch has a column of another type than text, numbers, booleans,
    /// dates and times, and lists of structs of text (turns).
    fn deserializer(&self, row: usize) -> Option<RowDeserializer<'_>> {
        Some(RowDeserializer {
            names: &self.names,
            columns: self.direct.as_deref()?,
            row,
        })
    }
}

impl DecodedRows for RowBatch {
    fn canonical_contact(&self, row: usize, time_unit: Option<crate::TimeUnit>) -> Option<Contact> {
        crate::record::canonical_contact_from(self.deserializer(row)?, time_unit)
    }

    fn record(&self, row: usize, position: u64) -> RawRecord {
        // A row with a column that cannot be read is quarantined naming that column,
        // with the columns that could be read as its raw text. A row read whole keeps
        // no text: it is written out only if the row is quarantined.
        let (value, error) = self.json_row(row);
        let (raw, value) = match error {
            None => (String::new(), RawValue::Read(Ok(value))),
            Some(e) => (
                value.to_string(),
                RawValue::BadField {
                    field: e.column,
                    reason: e.reason,
                },
            ),
        };
        RawRecord {
            position,
            raw,
            value,
        }
    }
}

/// A column as [`RowDeserializer`] reads it.
enum DirectColumn {
    Text(Utf8ViewArray),
    /// Numbers, booleans, dates, times and nulls: read through [`json_of`], which
    /// allocates for none of them but dates and times.
    Scalar(Column),
    /// A list of structs whose fields are all text: a transcript's turns.
    Turns {
        lists: ListArray<i64>,
        structs: StructArray,
        fields: Vec<(String, Utf8ViewArray)>,
    },
}

impl DirectColumn {
    fn of(column: &Column) -> Option<Self> {
        match column.dtype() {
            DataType::String => Some(DirectColumn::Text(
                column.str().ok()?.rechunk().downcast_as_array().clone(),
            )),
            DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal(_, _)
            | DataType::Date
            | DataType::Datetime(_, _)
            | DataType::Null => Some(DirectColumn::Scalar(column.clone())),
            DataType::List(inner) => match &**inner {
                DataType::Struct(fields)
                    if fields.iter().all(|f| f.dtype() == &DataType::String) =>
                {
                    let lists = column.list().ok()?.rechunk().downcast_as_array().clone();
                    let structs = lists
                        .values()
                        .as_any()
                        .downcast_ref::<StructArray>()?
                        .clone();
                    let fields = structs
                        .fields()
                        .iter()
                        .zip(structs.values())
                        .map(|(field, values)| {
                            let text = values.as_any().downcast_ref::<Utf8ViewArray>()?;
                            Some((field.name.to_string(), text.clone()))
                        })
                        .collect::<Option<_>>()?;
                    Some(DirectColumn::Turns {
                        lists,
                        structs,
                        fields,
                    })
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// One row of a [`RowBatch`] as a serde map of column name to value.
struct RowDeserializer<'a> {
    names: &'a [String],
    columns: &'a [DirectColumn],
    row: usize,
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let row = self.row;
        visitor.visit_map(Fields {
            entries: (self.names.iter())
                .zip(self.columns)
                .map(move |(name, column)| (name.as_str(), Cell::of(column, row))),
            value: None,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

/// Names paired with cells, as a serde map: a row's columns, or a turn's fields.
struct Fields<'de, I> {
    entries: I,
    value: Option<Cell<'de>>,
}

impl<'de, I: Iterator<Item = (&'de str, Cell<'de>)>> MapAccess<'de> for Fields<'de, I> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((name, cell)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(cell);
        seed.deserialize(de::value::BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        let cell = self
            .value
            .take()
            .expect("serde asks for a key before its value");
        seed.deserialize(cell)
    }
}

/// One value of a row: a column's cell, a turn, or a turn's field.
#[derive(Clone, Copy)]
enum Cell<'de> {
    Text(&'de Utf8ViewArray, usize),
    Scalar(&'de Column, usize),
    Turns(
        &'de ListArray<i64>,
        &'de StructArray,
        &'de [(String, Utf8ViewArray)],
        usize,
    ),
    Turn(&'de StructArray, &'de [(String, Utf8ViewArray)], usize),
}

impl<'de> Cell<'de> {
    fn of(column: &'de DirectColumn, row: usize) -> Self {
        match column {
            DirectColumn::Text(texts) => Cell::Text(texts, row),
            DirectColumn::Scalar(column) => Cell::Scalar(column, row),
            DirectColumn::Turns {
                lists,
                structs,
                fields,
            } => Cell::Turns(lists, structs, fields, row),
        }
    }

    /// The value as [`json_of`] makes it, for the types read through it.
    fn scalar(column: &Column, row: usize) -> Result<Value, serde_json::Error> {
        let value = column.get(row).map_err(de::Error::custom)?;
        json_of(&value).map_err(de::Error::custom)
    }

    fn is_null(self) -> bool {
        match self {
            Cell::Text(texts, i) => texts.is_null(i),
            Cell::Scalar(..) => false,
            Cell::Turns(lists, _, _, i) => lists.is_null(i),
            Cell::Turn(structs, _, i) => structs.is_null(i),
        }
    }
}

impl<'de> de::Deserializer<'de> for Cell<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.is_null() {
            return visitor.visit_unit();
        }
        match self {
            Cell::Text(texts, i) => visitor.visit_borrowed_str(texts.value(i)),
            Cell::Scalar(column, i) => Cell::scalar(column, i)?.deserialize_any(visitor),
            Cell::Turns(lists, structs, fields, i) => {
                let (start, end) = lists.offsets().start_end(i);
                visitor.visit_seq(Turns {
                    structs,
                    fields,
                    next: start,
                    end,
                })
            }
            Cell::Turn(_, fields, i) => visitor.visit_map(Fields {
                entries: fields
                    .iter()
                    .map(move |(name, texts)| (name.as_str(), Cell::Text(texts, i))),
                value: None,
            }),
        }
    }

    /// Null, as JSON has it: a missing cell, and a float that is not a number (how
    /// pandas writes a missing integer).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Cell::Scalar(column, i) => match Cell::scalar(column, i)? {
                Value::Null => visitor.visit_none(),
                value => visitor.visit_some(value),
            },
            _ if self.is_null() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// A column the record has no field for: every type read here is readable, so
    /// skipping it refuses nothing [`RowBatch::json_row`] would read.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier
    }
}

/// A list of turns as a serde sequence.
struct Turns<'de> {
    structs: &'de StructArray,
    fields: &'de [(String, Utf8ViewArray)],
    next: usize,
    end: usize,
}

impl<'de> SeqAccess<'de> for Turns<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        if self.next == self.end {
            return Ok(None);
        }
        let turn = Cell::Turn(self.structs, self.fields, self.next);
        self.next += 1;
        seed.deserialize(turn).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.end - self.next)
    }
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

/// A timestamp with a time zone (Parquet's `isAdjustedToUTC`) is an instant: written
/// out in Beijing time with its offset. One without is a wall-clock time, as a database
/// export writes local times: written out without an offset, so it reads in Beijing
/// time like any time without one (a CSV's, an Excel date). Either is text, as a number
/// is a time only in a column declared so.
fn datetime_json(value: i64, unit: TimeUnit, zoned: bool) -> Value {
    let seconds = match unit {
        TimeUnit::Nanoseconds => value.div_euclid(1_000_000_000),
        TimeUnit::Microseconds => value.div_euclid(1_000_000),
        TimeUnit::Milliseconds => value.div_euclid(1_000),
    };
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(at) if !zoned => Value::String(at.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()),
        Some(at) => Value::String(
            at.with_timezone(&voc_core::time::china_offset())
                .to_rfc3339(),
        ),
        None => Value::Null,
    }
}

/// A decimal as its written digits: a whole number (an id or phone number exported
/// from a database's NUMBER column) as an integer, or as text past 64 bits; a fraction
/// (an amount, a score) as a number.
fn decimal_json(value: i128, scale: usize) -> Value {
    if scale == 0 {
        return i64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
    }
    let digits = value.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{whole}.{fraction}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A struct's fields as a JSON object.
fn json_object<'a, V: std::borrow::Borrow<AnyValue<'a>>>(
    fields: &[Field],
    values: impl Iterator<Item = V>,
) -> Result<Value, ParquetError> {
    let mut obj = Map::with_capacity(fields.len());
    for (field, v) in fields.iter().zip(values) {
        obj.insert(field.name().to_string(), json_of(v.borrow())?);
    }
    Ok(Value::Object(obj))
}

fn json_of(value: &AnyValue) -> Result<Value, ParquetError> {
    let number = super::cell_number;
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
        AnyValue::Decimal(value, _precision, scale) => decimal_json(*value, *scale),
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
                        .map_err(ParquetError::from)
                        .and_then(|v| json_of(&v))
                })
                .collect::<Result<_, _>>()?,
        ),
        // A duration (a handling time exported as one) in seconds.
        AnyValue::Duration(v, unit) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1e9,
                TimeUnit::Microseconds => 1e6,
                TimeUnit::Milliseconds => 1e3,
            };
            number(*v as f64 / per_second)
        }
        // Dictionary-encoded text (pandas' category columns) as its text. (Asking such
        // a value its type panics in polars.)
        other => match other.get_str() {
            Some(text) => Value::String(text.to_string()),
            None => {
                return Err(ParquetError::Unsupported(
                    "a value of a type voc does not read".to_string(),
                ));
            }
        },
    })
}

#[cfg(test)]
mod tests;
