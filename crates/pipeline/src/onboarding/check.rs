//! `voc check`: ingest over a sample of every input — mapping, PII masking, validation —
//! with nothing written, and what it would give, file by file.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use voc_ingest::sniff::{self, Peek};
use voc_ingest::{Chunk, IngestError, Ingestor, InputFile};

use super::{headers_list, mapping_section};
use crate::config::Pipeline;

/// Records validated per input unless told otherwise.
pub const DEFAULT_SAMPLE: u64 = 5000;

/// Most frequent quarantine reasons shown per file.
const TOP_REASONS: usize = 5;

/// What a sample of every input would give.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub pipeline: String,
    /// Records validated per input.
    pub sample: u64,
    pub files: Vec<FileCheck>,
    /// Over every file's sample.
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub quarantine_rate: f64,
    pub max_quarantine_rate: f64,
    /// The sample's quarantine share is within the pipeline's limit, every mapping fits
    /// its file and every file could be read.
    pub ok: bool,
}

/// One input, as sniffed and as a sample of it was ingested.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub path: String,
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    pub headers: Vec<String>,
    /// Where this file's mapping is written.
    pub section: String,
    /// Which column fills which canonical field.
    pub mapping: Vec<MappedColumn>,
    /// Mapped columns the file lacks, required fields no column fills.
    pub mapping_problems: Vec<String>,
    /// Records the file holds (all of them counted, only the sample validated).
    pub records_in_file: u64,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Why records would be quarantined, most frequent first, with a masked example.
    pub reasons: Vec<ReasonCount>,
    /// Channel values of the accepted records, most frequent first.
    pub channels: Vec<ValueCount>,
    /// Speaker values no speaker map knows (from the quarantine reasons).
    pub unknown_speakers: Vec<ValueCount>,
    /// Why the file could not be read at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MappedColumn {
    pub column: String,
    pub field: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonCount {
    pub field: String,
    pub reason: String,
    pub count: u64,
    /// Line (JSON Lines, CSV) or row (XLSX, Parquet) of the first such record.
    pub example_line: u64,
    /// That record, PII-masked and cut short.
    pub example: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
    pub known: bool,
}

/// Ingests the first `sample` records of every input of `pipeline` as `voc run` would,
/// writing nothing.
pub fn check(pipeline: &Pipeline, sample: u64) -> Result<CheckReport, IngestError> {
    let f = &pipeline.file;
    let ingestor = Ingestor::new(pipeline.ingest_options())?.with_sample(sample);
    let files: Vec<FileCheck> = f
        .input
        .files()
        .iter()
        .enumerate()
        .map(|(index, input)| check_file(&ingestor, input, mapping_section(pipeline, index)))
        .collect();
    let read: u64 = files.iter().map(|c| c.read).sum();
    let accepted: u64 = files.iter().map(|c| c.accepted).sum();
    let quarantined: u64 = files.iter().map(|c| c.quarantined).sum();
    let quarantine_rate = if read == 0 {
        0.0
    } else {
        quarantined as f64 / read as f64
    };
    let ok = quarantine_rate <= f.input.max_quarantine_rate
        && files
            .iter()
            .all(|c| c.error.is_none() && c.mapping_problems.is_empty());
    Ok(CheckReport {
        pipeline: pipeline.path.display().to_string(),
        sample,
        files,
        read,
        accepted,
        quarantined,
        quarantine_rate,
        max_quarantine_rate: f.input.max_quarantine_rate,
        ok,
    })
}

fn check_file(ingestor: &Ingestor, input: &InputFile, section: String) -> FileCheck {
    let mut file = FileCheck {
        path: input.path.display().to_string(),
        format: input.format.resolve(&input.path).name().to_string(),
        encoding: None,
        sheet: None,
        sheets: Vec::new(),
        headers: Vec::new(),
        section,
        mapping: Vec::new(),
        mapping_problems: Vec::new(),
        records_in_file: 0,
        read: 0,
        accepted: 0,
        quarantined: 0,
        reasons: Vec::new(),
        channels: Vec::new(),
        unknown_speakers: Vec::new(),
        error: None,
    };
    match sniff::peek(input) {
        Ok(peek) => describe_columns(&mut file, input, &peek, ingestor),
        Err(e) => {
            file.error = Some(ingestor.mask(&e.to_string()));
            return file;
        }
    }
    let mut reasons: BTreeMap<(String, String), ReasonCount> = BTreeMap::new();
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    let mut speakers: BTreeMap<String, u64> = BTreeMap::new();
    let streamed = ingestor.ingest_streaming(std::slice::from_ref(input), &mut |chunk: Chunk| {
        for delivery in &chunk.contacts {
            *channels
                .entry(delivery.contact.channel.clone())
                .or_default() += 1;
        }
        for q in chunk.quarantine {
            if q.field.ends_with("speaker")
                && let Some(value) = quoted(&q.reason)
            {
                *speakers.entry(value.to_string()).or_default() += 1;
            }
            let reason = general_reason(&q.reason);
            reasons
                .entry((q.field.clone(), reason.clone()))
                .or_insert_with(|| ReasonCount {
                    field: q.field.clone(),
                    reason,
                    count: 0,
                    example_line: q.line,
                    example: q.raw.clone(),
                })
                .count += 1;
        }
        Ok::<(), IngestError>(())
    });
    match streamed {
        Ok(streamed) => {
            let s = &streamed.stats;
            file.read = s.read;
            // Within one file's sample a re-delivered id is still an accepted record.
            file.accepted = s.accepted + s.duplicates;
            file.quarantined = s.quarantined;
            file.records_in_file = streamed.records_in_inputs.first().copied().unwrap_or(0);
        }
        Err(e) => file.error = Some(ingestor.mask(&e.to_string())),
    }
    let mut reasons: Vec<ReasonCount> = reasons.into_values().collect();
    reasons.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.example_line.cmp(&b.example_line))
    });
    reasons.truncate(TOP_REASONS);
    file.reasons = reasons;
    file.channels = by_count(channels, voc_core::channel::is_code);
    file.unknown_speakers = by_count(speakers, |_| false);
    file
}

/// Fills in what the file looks like and how its columns map. Column names are masked
/// like record text: a file without a header row has its first record there.
fn describe_columns(file: &mut FileCheck, input: &InputFile, peek: &Peek, ingestor: &Ingestor) {
    file.encoding = peek.encoding.map(|e| sniff::encoding_name(e).to_string());
    file.sheet = peek.sheet.clone();
    file.sheets = peek.sheets.clone();
    file.headers = peek.headers.iter().map(|h| ingestor.mask(h)).collect();
    for header in &peek.headers {
        let field = match input.columns.get(header) {
            Some(field) => field.clone(),
            None if sniff::CANONICAL_FIELDS.contains(&header.as_str()) => header.clone(),
            None => continue,
        };
        file.mapping.push(MappedColumn {
            column: ingestor.mask(header),
            field,
        });
    }
    file.mapping_problems = sniff::check_input_mapping(&peek.headers, input)
        .problems(&file.section)
        .iter()
        .map(|p| ingestor.mask(p))
        .collect();
}

/// Values by count, most frequent first.
fn by_count(counts: BTreeMap<String, u64>, known: impl Fn(&str) -> bool) -> Vec<ValueCount> {
    let mut values: Vec<ValueCount> = counts
        .into_iter()
        .map(|(value, count)| ValueCount {
            known: known(&value),
            value,
            count,
        })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    values
}

/// The first `"…"` of a reason (`unknown speaker "买家"`).
fn quoted(reason: &str) -> Option<&str> {
    let start = reason.find('"')? + 1;
    let len = reason[start..].find('"')?;
    Some(&reason[start..start + len])
}

/// A reason with the values it quotes left out, so that records refused for the same
/// cause count together (`cannot parse time "下周一"` → `cannot parse time "…"`).
fn general_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    for (i, part) in reason.split('"').enumerate() {
        // Odd parts are inside quotes.
        out.push_str(if i % 2 == 1 { "\"…\"" } else { part });
    }
    out
}

/// `voc check`'s text: each file's shape and mapping, what its sample gives and why
/// records would be refused, then the verdict.
pub fn render_check(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "voc check: {} (a sample of up to {} records per file; nothing written)",
        report.pipeline, report.sample
    );
    for file in &report.files {
        let _ = writeln!(out, "\n{}", file.path);
        let mut shape = vec![format!("format {}", file.format)];
        shape.extend(file.encoding.as_ref().map(|e| format!("encoding {e}")));
        if let Some(sheet) = &file.sheet {
            shape.push(format!(
                "sheet {sheet:?} (sheets: {})",
                file.sheets.join(", ")
            ));
        }
        let _ = writeln!(out, "  {}", shape.join(", "));
        if let Some(error) = &file.error {
            let _ = writeln!(out, "  cannot be read: {error}");
            continue;
        }
        let _ = writeln!(out, "  headers   {}", headers_list(&file.headers));
        let mapping: Vec<String> = file
            .mapping
            .iter()
            .map(|m| format!("{} ← {:?}", m.field, m.column))
            .collect();
        let _ = writeln!(
            out,
            "  mapping   {} ({})",
            if mapping.is_empty() {
                "nothing".to_string()
            } else {
                mapping.join(", ")
            },
            file.section
        );
        for problem in &file.mapping_problems {
            let _ = writeln!(out, "  PROBLEM   {problem}");
        }
        let more = if file.records_in_file > file.read {
            format!(" (of {} in the file)", file.records_in_file)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  records   read {}{more}: would accept {}, would quarantine {}",
            file.read, file.accepted, file.quarantined
        );
        for reason in &file.reasons {
            let field = if reason.field.is_empty() {
                "(record)"
            } else {
                &reason.field
            };
            let _ = writeln!(
                out,
                "    {} × {field}: {}  e.g. line {}: {}",
                reason.count, reason.reason, reason.example_line, reason.example
            );
        }
        if !file.channels.is_empty() {
            let channels: Vec<String> = file
                .channels
                .iter()
                .map(|c| {
                    let mark = if c.known { "" } else { " (unknown)" };
                    format!("{} {}{mark}", c.value, c.count)
                })
                .collect();
            let _ = writeln!(out, "  channels  {}", channels.join(", "));
        }
        if !file.unknown_speakers.is_empty() {
            let speakers: Vec<String> = file
                .unknown_speakers
                .iter()
                .map(|s| format!("{:?} {}", s.value, s.count))
                .collect();
            let _ = writeln!(
                out,
                "  speakers  unknown: {} (map them to agent, customer or system)",
                speakers.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\ntotal: read {}, would accept {}, would quarantine {} ({:.1}%; the pipeline allows {:.1}%)",
        report.read,
        report.accepted,
        report.quarantined,
        report.quarantine_rate * 100.0,
        report.max_quarantine_rate * 100.0
    );
    let verdict = if report.ok {
        "ok: `voc run` should accept this data"
    } else {
        "NOT OK: fix the mapping or the files above before `voc run`"
    };
    let _ = writeln!(out, "{verdict}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_counted_without_their_values() {
        assert_eq!(
            general_reason("cannot parse time \"下周一\""),
            "cannot parse time \"…\""
        );
        assert_eq!(general_reason("missing contact id"), "missing contact id");
        assert_eq!(quoted("unknown speaker \"买家\""), Some("买家"));
    }
}
