//! The Arrow C data interface between Python and polars: record batches come in and go
//! out as the two PyCapsules of Arrow's PyCapsule interface (`arrow_schema`,
//! `arrow_array`), which pyarrow, polars, DuckDB and Spark's Arrow batches all speak,
//! so no value is copied through a Python object. The crate's only unsafe code is
//! here: reading the C structs a producer handed over.

use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, StructArray, Utf8Array, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{self, ArrowArray, ArrowSchema};
use polars_arrow::offset::OffsetsBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

const SCHEMA_CAPSULE: &std::ffi::CStr = c"arrow_schema";
const ARRAY_CAPSULE: &std::ffi::CStr = c"arrow_array";

/// A record batch read from a producer's capsules: its columns' fields and arrays.
pub(crate) struct ImportedBatch {
    pub(crate) fields: Vec<Field>,
    pub(crate) columns: Vec<Box<dyn Array>>,
    pub(crate) rows: usize,
}

fn value_error(context: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{context}: {e}"))
}

/// Takes the batch out of `__arrow_c_array__()`'s capsules (the array is moved: the
/// producer's capsule is left released, as the C data interface says).
pub(crate) fn import_batch(
    schema: &Bound<'_, PyCapsule>,
    array: &Bound<'_, PyCapsule>,
) -> PyResult<ImportedBatch> {
    let schema_ptr = schema
        .pointer_checked(Some(SCHEMA_CAPSULE))?
        .cast::<ArrowSchema>();
    let array_ptr = array
        .pointer_checked(Some(ARRAY_CAPSULE))?
        .cast::<ArrowArray>();
    // SAFETY: a capsule named `arrow_schema` holds an `ArrowSchema` (Arrow's PyCapsule
    // interface); it stays owned by the capsule, which outlives this borrow.
    #[allow(unsafe_code)]
    let field = unsafe { ffi::import_field_from_c(schema_ptr.as_ref()) }
        .map_err(|e| value_error("cannot read the batch's Arrow schema", e))?;
    // SAFETY: a capsule named `arrow_array` holds an `ArrowArray`; moving it out and
    // leaving a released (empty) one is how a consumer takes ownership, so the
    // capsule's destructor releases nothing twice.
    #[allow(unsafe_code)]
    let taken = unsafe { std::ptr::replace(array_ptr.as_ptr(), ArrowArray::empty()) };
    // SAFETY: `taken` is a valid C array of the type `field` describes (same producer).
    #[allow(unsafe_code)]
    let imported = unsafe { ffi::import_array_from_c(taken, field.dtype.clone()) }
        .map_err(|e| value_error("cannot read the batch's Arrow arrays", e))?;
    let ArrowDataType::Struct(fields) = &field.dtype else {
        return Err(PyValueError::new_err(format!(
            "expected a record batch (an Arrow struct array), got {:?}",
            field.dtype
        )));
    };
    let record = imported
        .as_any()
        .downcast_ref::<StructArray>()
        .ok_or_else(|| PyValueError::new_err("expected a record batch (an Arrow struct array)"))?;
    Ok(ImportedBatch {
        fields: fields.clone(),
        columns: record.values().to_vec(),
        rows: record.len(),
    })
}

impl ImportedBatch {
    /// The batch as a polars frame (what ingest reads a Parquet batch as).
    pub(crate) fn into_frame(self) -> PyResult<DataFrame> {
        let columns = self
            .fields
            .into_iter()
            .zip(self.columns)
            .map(|(field, array)| {
                Series::from_arrow(field.name.clone(), array)
                    .map(Column::from)
                    .map_err(|e| value_error(&format!("column {}", field.name), e))
            })
            .collect::<PyResult<Vec<_>>>()?;
        DataFrame::new(self.rows, columns).map_err(|e| value_error("cannot read the batch", e))
    }

    /// The batch's one text column, a value per row (a null as an empty line).
    pub(crate) fn into_lines(self) -> PyResult<Vec<String>> {
        let [array] = self.columns.as_slice() else {
            return Err(PyValueError::new_err(format!(
                "a batch of JSON Lines has one text column (a line per row), not {}",
                self.columns.len()
            )));
        };
        let lines = Series::from_arrow("lines".into(), array.clone())
            .and_then(|s| {
                s.str().map(|s| {
                    s.iter()
                        .map(|l| l.unwrap_or_default().to_string())
                        .collect()
                })
            })
            .map_err(|e| value_error("the JSON Lines column must hold text", e))?;
        Ok(lines)
    }
}

/// A frame as the two C structs of a record batch, its text and list columns in plain
/// Arrow types (`string`, `list<string>`): the types the history's Parquet files name in
/// their Arrow schema, and what Spark maps to its own.
pub(crate) fn export_frame(frame: &DataFrame) -> (ArrowSchema, ArrowArray) {
    let mut fields = Vec::with_capacity(frame.width());
    let mut arrays = Vec::with_capacity(frame.width());
    for column in frame.columns() {
        let series = column.as_materialized_series().rechunk();
        let array = plain(series.to_arrow(0, CompatLevel::newest()));
        fields.push(Field::new(
            series.name().clone(),
            array.dtype().clone(),
            true,
        ));
        arrays.push(array);
    }
    let dtype = ArrowDataType::Struct(fields);
    let batch = StructArray::new(dtype.clone(), frame.height(), arrays, None);
    (
        ffi::export_field_to_c(&Field::new("".into(), dtype, false)),
        ffi::export_array_to_c(batch.boxed()),
    )
}

/// `array` with polars' view and large types replaced by the plain ones.
fn plain(array: Box<dyn Array>) -> Box<dyn Array> {
    match array.dtype() {
        ArrowDataType::Utf8View => match array.as_any().downcast_ref::<Utf8ViewArray>() {
            Some(view) => view.iter().collect::<Utf8Array<i32>>().boxed(),
            None => array,
        },
        ArrowDataType::LargeList(item) => {
            let Some(list) = array.as_any().downcast_ref::<ListArray<i64>>() else {
                return array;
            };
            let values = plain(list.values().clone());
            let Ok(offsets) = OffsetsBuffer::<i32>::try_from(list.offsets()) else {
                // Over 2 GiB of items in one batch: kept large.
                return array;
            };
            let item = Field::new(item.name.clone(), values.dtype().clone(), item.is_nullable);
            ListArray::<i32>::new(
                ArrowDataType::List(Box::new(item)),
                offsets,
                values,
                list.validity().cloned(),
            )
            .boxed()
        }
        _ => array,
    }
}

/// The capsules a Python consumer imports a batch from
/// (`pyarrow.RecordBatch._import_from_c_capsule`).
pub(crate) fn capsules(
    py: Python<'_>,
    (schema, array): (ArrowSchema, ArrowArray),
) -> PyResult<(Bound<'_, PyCapsule>, Bound<'_, PyCapsule>)> {
    Ok((
        PyCapsule::new_with_value(py, schema, SCHEMA_CAPSULE)?,
        PyCapsule::new_with_value(py, array, ARRAY_CAPSULE)?,
    ))
}
