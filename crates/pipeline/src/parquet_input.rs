//! Parquet inputs as ingest reads them: `voc-aggregate` reads a file's row groups with
//! polars, and each row is handed to ingest as a reference into its batch.

use std::path::Path;
use std::sync::Arc;

/// Reads the Parquet file at `path` into `sink`, row by row (ingest's reader of the
/// format).
pub(crate) fn parquet_source(
    path: &Path,
    sink: &mut dyn FnMut(voc_ingest::RawRecord),
) -> Result<(), String> {
    let mut position = 0;
    voc_aggregate::rows::parquet_batches(path, &mut |batch| {
        let len = batch.len();
        let rows: Arc<dyn voc_ingest::DecodedRows> = Arc::new(ParquetRows(batch));
        for row in 0..len {
            position += 1;
            sink(voc_ingest::RawRecord {
                position,
                raw: String::new(),
                value: voc_ingest::RawValue::Decoded {
                    rows: Arc::clone(&rows),
                    row,
                },
            });
        }
    })
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// A batch of a Parquet file's rows as ingest reads them.
#[derive(Debug)]
struct ParquetRows(voc_aggregate::rows::RowBatch);

impl voc_ingest::DecodedRows for ParquetRows {
    fn canonical_contact(&self, row: usize) -> Option<voc_core::Contact> {
        voc_ingest::record::canonical_contact_from(self.0.deserializer(row)?)
    }

    fn record(&self, row: usize, position: u64) -> voc_ingest::RawRecord {
        // A row with a column that cannot be read is quarantined naming that column,
        // with the columns that could be read as its raw text. A row read whole keeps
        // no text: it is written out only if the row is quarantined.
        let (value, error) = self.0.json_row(row);
        let (raw, value) = match error {
            None => (String::new(), voc_ingest::RawValue::Read(Ok(value))),
            Some(e) => (
                value.to_string(),
                voc_ingest::RawValue::BadField {
                    field: e.column,
                    reason: e.reason,
                },
            ),
        };
        voc_ingest::RawRecord {
            position,
            raw,
            value,
        }
    }
}
