//! Workbooks (calamine): XLSX, and the .xls, .xlsb and .ods it also reads.

use serde_json::{Map, Value};
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use super::{Fingerprint, RawRecord, RawValue, Source};
use crate::{IngestError, InputFile};

pub(super) struct Workbook;

impl Source for Workbook {
    /// Read out of order (a workbook is a zip), so fingerprinted after it is read.
    fn read(
        &self,
        input: &InputFile,
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        let workbook = calamine::open_workbook_auto(&input.path);
        read_xlsx(workbook, &input.path, input.sheet.as_deref(), sink)?;
        super::fingerprint_file(&input.path)
    }

    fn read_bytes(
        &self,
        input: &InputFile,
        bytes: &[u8],
        sink: &mut dyn FnMut(RawRecord),
    ) -> Result<Fingerprint, IngestError> {
        let workbook = open_workbook_bytes(&input.path, bytes);
        read_xlsx(workbook, &input.path, input.sheet.as_deref(), sink)?;
        Ok(super::fingerprint_bytes(bytes))
    }
}

/// A workbook's bytes opened as [`calamine::open_workbook_auto`] opens the file at
/// `path`: by its extension, else whichever format reads it.
fn open_workbook_bytes<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<calamine::Sheets<Cursor<&'a [u8]>>, calamine::Error> {
    use calamine::{Error, Ods, Sheets, Xls, Xlsb, Xlsx, open_workbook_from_rs};
    let data = Cursor::new(bytes);
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some("xls" | "xla") => {
            Sheets::Xls(open_workbook_from_rs::<Xls<_>, _>(data).map_err(Error::Xls)?)
        }
        Some("xlsx" | "xlsm" | "xlam") => {
            Sheets::Xlsx(open_workbook_from_rs::<Xlsx<_>, _>(data).map_err(Error::Xlsx)?)
        }
        Some("xlsb") => {
            Sheets::Xlsb(open_workbook_from_rs::<Xlsb<_>, _>(data).map_err(Error::Xlsb)?)
        }
        Some("ods") => Sheets::Ods(open_workbook_from_rs::<Ods<_>, _>(data).map_err(Error::Ods)?),
        _ => calamine::open_workbook_auto_from_rs(data)?,
    })
}

/// XLSX (and the other workbook formats calamine reads): the named sheet (or the
/// first), header in its first row. An .xlsx sheet is streamed cell by cell and handed
/// on a row at a time: held whole, a sheet of a million rows took twice the memory of
/// the rest of a run. The others (.xls, .xlsb, .ods) are read whole. `path` names the
/// workbook in errors.
fn read_xlsx<RS: Read + Seek>(
    workbook: Result<calamine::Sheets<RS>, calamine::Error>,
    path: &Path,
    sheet: Option<&str>,
    sink: &mut dyn FnMut(RawRecord),
) -> Result<(), IngestError> {
    use calamine::{Data, Reader, Sheets};
    let mut workbook = workbook.map_err(|e| {
        IngestError::Format(format!("{}: cannot open workbook: {e}", path.display()))
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(IngestError::Format(format!(
                "{}: no sheet named {s:?} (sheets: {})",
                path.display(),
                names.join(", ")
            )));
        }
        None => names.first().cloned().ok_or_else(|| {
            IngestError::Format(format!("{}: workbook has no sheets", path.display()))
        })?,
    };
    let sheet_error = |e: &dyn std::fmt::Display| {
        IngestError::Format(format!("{}: sheet {name:?}: {e}", path.display()))
    };
    let mut rows = SheetRows::default();
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            let mut cells = xlsx
                .worksheet_cells_reader(&name)
                .map_err(|e| sheet_error(&e))?;
            let mut row: Vec<(u32, Data)> = Vec::new();
            let mut row_index = None;
            while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(&e))? {
                let (r, c) = cell.get_position();
                if row_index != Some(r) {
                    if let Some(done) = row_index {
                        rows.row(done, &row, sink);
                    }
                    row.clear();
                    row_index = Some(r);
                }
                row.push((c, Data::from(cell.get_value().clone())));
            }
            if let Some(done) = row_index {
                rows.row(done, &row, sink);
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(|e| sheet_error(&e))?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            for (i, cells) in range.rows().enumerate() {
                let row: Vec<(u32, Data)> = cells
                    .iter()
                    .enumerate()
                    .map(|(j, cell)| (first_column + j as u32, cell.clone()))
                    .collect();
                rows.row(first_row + i as u32, &row, sink);
            }
        }
    }
    Ok(())
}

/// A sheet's rows as records: the first row with a value is the header, naming each
/// column; every later row with a value is a record (`position` is its row number in
/// the sheet, 1-based).
#[derive(Default)]
struct SheetRows {
    /// Column index and name of each header cell, in column order.
    headers: Option<Vec<(u32, String)>>,
}

impl SheetRows {
    /// Row `index` (0-based), its cells (column index, value) in column order.
    fn row(
        &mut self,
        index: u32,
        cells: &[(u32, calamine::Data)],
        sink: &mut dyn FnMut(RawRecord),
    ) {
        use calamine::Data;
        if cells.iter().all(|(_, c)| matches!(c, Data::Empty)) {
            return;
        }
        let Some(headers) = &self.headers else {
            self.headers = Some(
                cells
                    .iter()
                    .map(|(column, c)| (*column, c.to_string().trim().to_string()))
                    .collect(),
            );
            return;
        };
        let mut obj = Map::new();
        let mut error = None;
        let mut raw = Vec::with_capacity(headers.len());
        let mut next = cells.iter().peekable();
        for (column, name) in headers {
            while next.next_if(|(c, _)| c < column).is_some() {}
            let cell = next.next_if(|(c, _)| c == column).map(|(_, cell)| cell);
            raw.push(cell.map(|c| c.to_string()).unwrap_or_default());
            let value = match cell {
                None | Some(Data::Empty) => Value::Null,
                Some(Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s)) => {
                    Value::String(s.clone())
                }
                Some(Data::Int(n)) => Value::from(*n),
                // A number as its digits: an id or phone number typed as a number reads
                // as it does from CSV.
                Some(Data::Float(f)) => super::cell_number(*f),
                Some(Data::Bool(b)) => Value::Bool(*b),
                // A cell formatted as a date or time: written out as the wall-clock time
                // it shows (the 1900 or 1904 date system as the workbook says).
                Some(Data::DateTime(d)) if d.is_datetime() => excel_date_text(d),
                // A duration (`[h]:mm:ss`): its serial days, as before.
                Some(Data::DateTime(d)) => super::cell_number(d.as_f64()),
                Some(Data::Error(e)) => {
                    error.get_or_insert_with(|| {
                        (
                            name.clone(),
                            format!("cell {name:?} holds an Excel error ({e:?})"),
                        )
                    });
                    Value::Null
                }
            };
            obj.insert(name.clone(), value);
        }
        sink(RawRecord {
            position: u64::from(index) + 1,
            raw: raw.join(","),
            value: match error {
                Some((field, reason)) => RawValue::BadField { field, reason },
                None => RawValue::Read(Ok(Value::Object(obj))),
            },
        });
    }
}

/// An Excel date cell as `2026-11-02 09:15:00` (with milliseconds when it has some).
fn excel_date_text(d: &calamine::ExcelDateTime) -> Value {
    let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
    let mut text = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if milli > 0 {
        text.push_str(&format!(".{milli:03}"));
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streamed cells come sparse (an empty cell is not written): each header column
    /// still gets its key, cells are matched by column, blank rows are skipped.
    #[test]
    fn sheet_rows_match_sparse_cells_to_header_columns() {
        use calamine::{CellErrorType, Data};
        let text = |s: &str| Data::String(s.into());
        let mut rows = SheetRows::default();
        let mut out = Vec::new();
        let mut sink = |r: RawRecord| out.push(r);
        // Row 1 blank, the header on row 2 from column B, records on rows 3 and 5.
        rows.row(0, &[(0, Data::Empty)], &mut sink);
        rows.row(
            1,
            &[(1, text(" id ")), (2, text("channel")), (4, text("text"))],
            &mut sink,
        );
        rows.row(
            2,
            &[(1, text("X1")), (3, text("ignored")), (4, text("断网"))],
            &mut sink,
        );
        rows.row(3, &[], &mut sink);
        rows.row(
            4,
            &[(2, Data::Error(CellErrorType::NA)), (4, Data::Int(7))],
            &mut sink,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].position, 3);
        assert_eq!(
            out[0].value().unwrap().into_owned(),
            serde_json::json!({"id": "X1", "channel": null, "text": "断网"})
        );
        assert_eq!(out[0].raw, "X1,,断网");
        assert_eq!(out[1].position, 5);
        assert_eq!(out[1].error_field(), "channel");
        assert!(out[1].value().unwrap_err().contains("Excel error"));
    }
}
