//! voc as a Python package (`import voc`): a pipeline loaded once from its pipeline file
//! (dictionaries, taxonomy, models, PII settings) enriches Arrow record batches with
//! exactly the code `voc run` uses: ingest's validation, normalization and masking of
//! an input's records ([`voc_ingest::Ingestor::ingest_in_memory`], or of a whole
//! file's bytes, [`voc_ingest::Ingestor::ingest_file_bytes`]), then
//! [`voc_pipeline::batch::enrich`] per contact, then the history's columns
//! ([`voc_store::history::history_frame`]). Batches cross the boundary through the
//! Arrow C data interface ([`arrow`]); the GIL is released while a batch is enriched.
//!
//! What needs the whole batch — which delivery of a re-delivered id is the newest, and
//! the repeat-contact flag — is left to the caller (the Spark job resolves both with
//! window functions): each enriched row is one accepted delivery, `risk_repeat` false.

mod arrow;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule};
use rayon::prelude::*;
use voc_classify::Classifier;
use voc_core::EnrichedContact;
use voc_ingest::{
    Chunk, Delivery, InMemory, IngestError, Ingestor, InputFile, Quarantined, Streamed,
};
use voc_text::Segmenter;

/// The columns a caller may ask for beside the history's (`delivery_keys`): each
/// enriched contact's line or row in its input, by which a caller that split an input
/// orders its deliveries, and its ISO week (the history's partition key), as voc
/// computes it.
const LINE_COLUMN: &str = "_line";
const WEEK_COLUMN: &str = "_week";

/// A pipeline file loaded once: its inputs' reading options, the ingestor (PII masks,
/// pseudonym key, normalization) and the models (segmenter, taxonomy, sentiment, risk).
#[pyclass(module = "voc._voc", frozen)]
struct Pipeline {
    pipeline: voc_pipeline::Pipeline,
    inputs: Vec<InputFile>,
    ingestor: Ingestor,
    classifier: Classifier,
    segmenter: Segmenter,
}

fn error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// An anyhow error with its causes, as the CLI prints it.
fn chain(e: anyhow::Error) -> PyErr {
    PyValueError::new_err(format!("{e:#}"))
}

/// Two capsules (schema, array) per batch: enriched, quarantine; then the ingest
/// counts as JSON.
type EnrichOutput<'py> = (
    Bound<'py, PyCapsule>,
    Bound<'py, PyCapsule>,
    Bound<'py, PyCapsule>,
    Bound<'py, PyCapsule>,
    String,
);

#[pymethods]
impl Pipeline {
    /// Loads the pipeline file at `path` and builds its models.
    #[new]
    fn new(path: PathBuf) -> PyResult<Self> {
        let pipeline = voc_pipeline::Pipeline::load(&path).map_err(error)?;
        let ingestor = Ingestor::new(pipeline.ingest_options()).map_err(error)?;
        let (classifier, segmenter, _) =
            voc_pipeline::models::build_classifier(&pipeline).map_err(chain)?;
        Ok(Pipeline {
            inputs: pipeline.file.input.files(),
            pipeline,
            ingestor,
            classifier,
            segmenter,
        })
    }

    /// The pipeline file's path.
    #[getter]
    fn path(&self) -> String {
        self.pipeline.path.display().to_string()
    }

    /// The pipeline's inputs, in reading order, as `voc run` names them in
    /// quarantine.jsonl.
    fn inputs(&self) -> Vec<String> {
        self.inputs
            .iter()
            .map(|i| i.path.display().to_string())
            .collect()
    }

    /// One fingerprint over every configuration file, as run.json's `config_fingerprint`.
    fn config_fingerprint(&self) -> PyResult<String> {
        voc_pipeline::fingerprints::config_fingerprint(&self.pipeline).map_err(chain)
    }

    /// run.json's `config_files` (path, sha256, bytes), as JSON.
    fn config_files_json(&self) -> PyResult<String> {
        let files = voc_pipeline::fingerprints::fingerprints(&self.pipeline.config_files())
            .map_err(chain)?;
        serde_json::to_string(&files).map_err(error)
    }

    /// The pipeline's name (`[pipeline] name`).
    #[getter]
    fn name(&self) -> String {
        self.pipeline.file.pipeline.name.clone()
    }

    /// The format voc reads `source` in (`jsonl`, `csv`, `xlsx`, `parquet`): its input's
    /// `format`, else its file extension's, as `voc run` decides.
    fn input_format(&self, source: &str) -> &'static str {
        let input = self.input(source);
        input.format.resolve(&input.path).name()
    }

    /// The repeat-contact window in days (`[classify] repeat_window_days`).
    #[getter]
    fn repeat_window_days(&self) -> u32 {
        self.pipeline.file.classify.repeat_window_days
    }

    /// Enriches one record batch given as Arrow PyCapsules (`batch.__arrow_c_array__()`)
    /// read as records of `source` (one of the pipeline's inputs, by its name, file path
    /// or file name, whose column and value maps apply; any other name reads with
    /// `[input]`'s). With `jsonl`, the batch's one text column holds JSON Lines text, a
    /// line per row. Rows are numbered from `first_line`. With `delivery_keys`, each
    /// enriched row also has its line (`_line`) and week (`_week`).
    #[pyo3(signature = (schema, array, source=None, jsonl=false, first_line=1, delivery_keys=false))]
    #[allow(clippy::too_many_arguments)]
    fn enrich<'py>(
        &self,
        py: Python<'py>,
        schema: &Bound<'py, PyCapsule>,
        array: &Bound<'py, PyCapsule>,
        source: Option<&str>,
        jsonl: bool,
        first_line: u64,
        delivery_keys: bool,
    ) -> PyResult<EnrichOutput<'py>> {
        let batch = arrow::import_batch(schema, array)?;
        let rows = if jsonl {
            InMemory::JsonLines {
                lines: batch.into_lines()?,
                first: first_line,
            }
        } else {
            InMemory::Frame {
                frame: batch.into_frame()?,
                first: first_line,
            }
        };
        let input = self.input(source.unwrap_or("<arrow>"));
        let (enriched, quarantine, stats) = py.detach(|| {
            self.enrich_rows(delivery_keys, &mut |on_chunk| {
                self.ingestor.ingest_in_memory(&input, &rows, on_chunk)
            })
        })?;
        Self::output(py, enriched, quarantine, stats)
    }

    /// Enriches a whole export file given as its bytes (`content`, as Spark's
    /// `binaryFile` source reads it from any path) as the input named `source` (see
    /// `enrich`): read by that input's format and options exactly as `voc run` reads
    /// the file, so encoding, BOM, sheet and broken rows behave the same. Rows are
    /// numbered by their line or row in the file.
    #[pyo3(signature = (content, source, delivery_keys=false))]
    fn enrich_file<'py>(
        &self,
        py: Python<'py>,
        content: &Bound<'py, PyBytes>,
        source: &str,
        delivery_keys: bool,
    ) -> PyResult<EnrichOutput<'py>> {
        let bytes = content.as_bytes();
        let input = self.input(source);
        let (enriched, quarantine, stats) = py.detach(|| {
            self.enrich_rows(delivery_keys, &mut |on_chunk| {
                self.ingestor.ingest_file_bytes(&input, bytes, on_chunk)
            })
        })?;
        Self::output(py, enriched, quarantine, stats)
    }
}

type Exported = (
    polars_arrow::ffi::ArrowSchema,
    polars_arrow::ffi::ArrowArray,
);

/// An ingest of one input, handing its chunks to the callback.
type Ingest<'a> = dyn FnMut(&mut dyn FnMut(Chunk) -> Result<(), IngestError>) -> Result<Streamed, IngestError>
    + 'a;

impl Pipeline {
    fn output<'py>(
        py: Python<'py>,
        enriched: Exported,
        quarantine: Exported,
        stats: String,
    ) -> PyResult<EnrichOutput<'py>> {
        let (enriched_schema, enriched_array) = arrow::capsules(py, enriched)?;
        let (quarantine_schema, quarantine_array) = arrow::capsules(py, quarantine)?;
        Ok((
            enriched_schema,
            enriched_array,
            quarantine_schema,
            quarantine_array,
            stats,
        ))
    }

    /// The reading options of the input named `source`: the pipeline's input of that
    /// name, path or file name, else `[input]`'s shared options under that name.
    fn input(&self, source: &str) -> InputFile {
        let canonical = |p: &Path| std::fs::canonicalize(p).ok();
        let wanted = Path::new(source.strip_prefix("file://").unwrap_or(source));
        let found = self
            .inputs
            .iter()
            .find(|i| i.path == wanted)
            .or_else(|| {
                let wanted = canonical(wanted)?;
                self.inputs
                    .iter()
                    .find(|i| canonical(&i.path).is_some_and(|p| p == wanted))
            })
            .or_else(|| {
                let name = wanted.file_name()?;
                self.inputs
                    .iter()
                    .find(|i| i.path.file_name() == Some(name))
            });
        match found {
            Some(input) => input.clone(),
            None => {
                let mut shared = self.pipeline.file.input.clone();
                shared.paths = vec![PathBuf::from(source)];
                shared.source.clear();
                let mut files = shared.files();
                files.pop().unwrap_or_else(|| InputFile::new(source))
            }
        }
    }

    /// The enriched deliveries, the quarantine and the counts of one `ingest`.
    fn enrich_rows(
        &self,
        delivery_keys: bool,
        ingest: &mut Ingest<'_>,
    ) -> PyResult<(Exported, Exported, String)> {
        let mut deliveries: Vec<Delivery> = Vec::new();
        let mut quarantine: Vec<Quarantined> = Vec::new();
        let streamed = ingest(&mut |chunk: Chunk| {
            deliveries.extend(chunk.contacts);
            quarantine.extend(chunk.quarantine);
            Ok(())
        })
        .map_err(error)?;
        let lines: Vec<i64> = deliveries.iter().map(|d| d.position as i64).collect();
        let enriched: Vec<EnrichedContact> = deliveries
            .into_par_iter()
            .map(|d| voc_pipeline::batch::enrich(d.contact, &self.segmenter, &self.classifier))
            .collect();
        let mut frame = voc_store::history::history_frame(&enriched).map_err(error)?;
        if delivery_keys {
            let weeks: Vec<&str> = enriched.iter().map(|e| e.week.as_str()).collect();
            frame
                .with_column(Column::new(LINE_COLUMN.into(), lines))
                .and_then(|f| f.with_column(Column::new(WEEK_COLUMN.into(), weeks)))
                .map_err(error)?;
        }
        let quarantine = quarantine_frame(&quarantine).map_err(error)?;
        let stats = serde_json::to_string(&streamed.stats).map_err(error)?;
        Ok((
            arrow::export_frame(&frame),
            arrow::export_frame(&quarantine),
            stats,
        ))
    }
}

/// The quarantined records with quarantine.jsonl's fields.
fn quarantine_frame(records: &[Quarantined]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&Quarantined) -> &str| {
        Column::new(name.into(), records.iter().map(f).collect::<Vec<&str>>())
    };
    DataFrame::new(
        records.len(),
        vec![
            text("source", |q| &q.source),
            Column::new(
                "line".into(),
                records.iter().map(|q| q.line as i64).collect::<Vec<i64>>(),
            ),
            text("field", |q| &q.field),
            text("reason", |q| &q.reason),
            text("raw", |q| &q.raw),
        ],
    )
}

/// The extension module `voc._voc`.
#[pymodule]
fn _voc(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Pipeline>()?;
    module.add("HISTORY_COLUMNS", voc_store::history::COLUMNS.to_vec())?;
    module.add("LINE_COLUMN", LINE_COLUMN)?;
    module.add("WEEK_COLUMN", WEEK_COLUMN)?;
    Ok(())
}
