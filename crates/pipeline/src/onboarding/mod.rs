//! Getting a user's own data in: column mappings checked against each file before a
//! run reads a row ([`check_mappings`]), errors that say which section to edit and
//! which header probably fills a missing field, a dry run over a sample of every input
//! ([`check`], `voc check`), and a pipeline folder scaffolded from the files themselves
//! ([`init`], `voc init`). The sniffing and guessing is `voc_ingest::sniff`; this
//! module knows the pipeline file's sections.

pub mod check;
pub mod init;
mod starter;

pub use check::{CheckReport, check, render_check};
pub use init::{InitOutcome, init, pipeline_toml, propose};
pub use starter::Starter;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use voc_ingest::sniff::{self, MappingCheck};
use voc_ingest::{Format, InputFile};

use crate::config::{Pipeline, shown_relative};

/// Where the column mapping of input `index` (in [`crate::config::InputSection::files`]
/// order) is written in the pipeline file, so an error can name the section to edit.
pub fn mapping_section(pipeline: &Pipeline, index: usize) -> String {
    let input = &pipeline.file.input;
    let Some(source) = index
        .checked_sub(input.paths.len())
        .and_then(|i| input.source.get(i))
    else {
        return "[input.columns]".to_string();
    };
    let path = shown_relative(&source.path, pipeline_dir(pipeline));
    if source.columns.is_some() {
        format!("the columns of the [[input.source]] with path = {path:?}")
    } else {
        format!(
            "[input.columns] (the [[input.source]] with path = {path:?} has no columns of its own)"
        )
    }
}

fn pipeline_dir(pipeline: &Pipeline) -> &Path {
    pipeline.path.parent().unwrap_or(Path::new(""))
}

/// Whether an input's mapping is checked against the header row ingest read rather than
/// before: a workbook's headers cost a second opening of the file (its shared strings
/// are read whole), a fifth of the time of reading a 100k-row XLSX.
fn checked_after_reading(input: &InputFile) -> bool {
    input.format.resolve(&input.path) == Format::Xlsx
}

/// Every input's column mapping against the file's headers, before a row is read
/// (workbooks: see [`check_mappings_read`]): a mapped column the file lacks, or a
/// required field no column fills, is an error that lists the file's headers, the
/// section to edit and the closest header of each missing field. A file that cannot be
/// opened is left to ingest, which names the problem.
pub fn check_mappings(pipeline: &Pipeline) -> Result<(), MappingError> {
    let files = pipeline.file.input.files();
    check_each(pipeline, |index| {
        let input = &files[index];
        if checked_after_reading(input) {
            return None;
        }
        sniff::peek(input).ok().map(|peek| peek.headers)
    })
}

/// The workbooks' mappings, against the header row ingest read of each
/// ([`voc_ingest::Streamed::headers_read`]), once the batch is read and before anything
/// is written.
pub fn check_mappings_read(
    pipeline: &Pipeline,
    headers_read: &[Vec<String>],
) -> Result<(), MappingError> {
    let files = pipeline.file.input.files();
    check_each(pipeline, |index| {
        checked_after_reading(&files[index])
            .then(|| headers_read.get(index).cloned())
            .flatten()
    })
}

/// Checks the mapping of every input whose headers `headers_of` gives.
fn check_each(
    pipeline: &Pipeline,
    headers_of: impl Fn(usize) -> Option<Vec<String>>,
) -> Result<(), MappingError> {
    let mut message = String::new();
    for (index, input) in pipeline.file.input.files().iter().enumerate() {
        let Some(headers) = headers_of(index) else {
            continue;
        };
        let check = sniff::check_input_mapping(&headers, input);
        if !check.is_ok() {
            describe_mismatch(&mut message, pipeline, index, &input.path, &headers, &check);
        }
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(MappingError(masked(pipeline, message.trim_end())))
    }
}

/// `text` with personal data masked: a file without a header row shows its first record
/// where the headers are listed.
fn masked(pipeline: &Pipeline, text: &str) -> String {
    match voc_ingest::PiiMasker::new(&pipeline.file.pii.extra_patterns) {
        Ok(masker) => masker.mask(text).0,
        // The pipeline's patterns are compiled (and refused) by ingest first.
        Err(_) => text.to_string(),
    }
}

/// A column mapping that does not fit its file, explained.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

fn describe_mismatch(
    out: &mut String,
    pipeline: &Pipeline,
    index: usize,
    path: &Path,
    headers: &[String],
    check: &MappingCheck,
) {
    let section = mapping_section(pipeline, index);
    let _ = writeln!(out, "the column mapping does not fit {}:", path.display());
    for problem in check.problems(&section) {
        let _ = writeln!(out, "  - {problem}");
    }
    let _ = writeln!(out, "  the file's headers: {}", headers_list(headers));
    let _ = writeln!(
        out,
        "  edit {section} in {} (`voc check {}` shows what a sample would give)",
        pipeline.path.display(),
        pipeline.path.display()
    );
}

fn headers_list(headers: &[String]) -> String {
    if headers.is_empty() {
        return "(none)".to_string();
    }
    headers
        .iter()
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quarantined records by the field at fault, with the first reason of each.
#[derive(Debug, Default, Clone)]
pub struct QuarantineTally {
    by_field: BTreeMap<String, (u64, String)>,
}

impl QuarantineTally {
    pub fn add(&mut self, record: &voc_ingest::Quarantined) {
        let entry = self
            .by_field
            .entry(record.field.clone())
            .or_insert_with(|| (0, record.reason.clone()));
        entry.0 += 1;
    }
}

/// What a run stopped for too many quarantined records should look at: the fields at
/// fault, most frequent first, then each input's headers and how its required fields
/// are mapped, naming the section to edit.
pub fn quarantine_diagnosis(pipeline: &Pipeline, tally: &QuarantineTally) -> String {
    let mut out = String::new();
    let mut fields: Vec<(&String, &(u64, String))> = tally.by_field.iter().collect();
    fields.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    for (field, (count, reason)) in fields.iter().take(3) {
        let field = if field.is_empty() { "(record)" } else { field };
        let _ = write!(out, "\n  {count} × {field}: {reason}");
    }
    for (index, input) in pipeline.file.input.files().iter().enumerate() {
        let Ok(peek) = sniff::peek(input) else {
            continue;
        };
        let section = mapping_section(pipeline, index);
        let _ = write!(
            out,
            "\n  {}: headers {}",
            input.path.display(),
            headers_list(&peek.headers)
        );
        let mapped: Vec<String> = sniff::REQUIRED_FIELDS
            .iter()
            .map(|field| {
                let column = input
                    .columns
                    .iter()
                    .find(|(_, f)| f == field)
                    .map(|(c, _)| format!("{c:?}"))
                    .or_else(|| {
                        peek.headers
                            .iter()
                            .any(|h| h == field)
                            .then(|| format!("{field:?}"))
                    })
                    .unwrap_or_else(|| "nothing".to_string());
                format!("{field} ← {column}")
            })
            .collect();
        let _ = write!(out, "; {section}: {}", mapped.join(", "));
        let check = sniff::check_input_mapping(&peek.headers, input);
        for problem in check.problems(&section) {
            let _ = write!(out, "\n    - {problem}");
        }
    }
    masked(pipeline, &out)
}
