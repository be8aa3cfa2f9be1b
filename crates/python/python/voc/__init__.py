"""voc's enrichment on Arrow record batches.

    import pyarrow as pa, voc
    pipeline = voc.Pipeline("pipelines/demo/weekly.toml")   # models loaded once
    enriched, quarantine = pipeline.enrich(batch, source="contacts.jsonl")

`batch` is any Arrow record batch (an object with `__arrow_c_array__`: pyarrow,
polars, DuckDB, Spark's `mapInArrow` batches) of canonical contacts, of an export's
raw columns (the pipeline's column and value maps of `source` apply), or, with
`jsonl=True`, of one text column holding JSON Lines text. `enriched` has exactly the
columns of voc's history (`HISTORY_COLUMNS`) with the values `voc run` stores;
`quarantine` has quarantine.jsonl's fields (source, line, field, reason, raw).

A whole export file in any format voc reads (CSV in UTF-8 or GBK, XLSX, Parquet, JSON
Lines) is enriched from its bytes, read exactly as `voc run` reads the file:

    enriched, quarantine, counts = pipeline.enrich_file(open(path, "rb").read(), source=path)

Each enriched row is one accepted delivery: re-deliveries of an id within the batch
are all returned and `risk_repeat` is false, since both need the whole batch (see
voc_spark.job for how Spark resolves them as voc does).
"""

import json

import pyarrow as pa

from . import _voc

HISTORY_COLUMNS = tuple(_voc.HISTORY_COLUMNS)
LINE_COLUMN = _voc.LINE_COLUMN
WEEK_COLUMN = _voc.WEEK_COLUMN

__all__ = ["Pipeline", "HISTORY_COLUMNS", "LINE_COLUMN", "WEEK_COLUMN", "load_once"]

_LOADED = {}


def load_once(path):
    """The Pipeline of `path`, loaded once per process: what a Spark or Ray worker
    calls for every batch, so the models are built once per worker, not per task."""
    key = str(path)
    if key not in _LOADED:
        _LOADED[key] = Pipeline(key)
    return _LOADED[key]


def _record_batch(capsules):
    schema, array = capsules
    return pa.RecordBatch._import_from_c_capsule(schema, array)


class Pipeline:
    """A pipeline file loaded once: inputs, PII settings, dictionaries, taxonomy, models."""

    def __init__(self, path):
        self._inner = _voc.Pipeline(str(path))

    @property
    def path(self):
        return self._inner.path

    @property
    def inputs(self):
        """The pipeline's inputs in reading order, as quarantine.jsonl names them."""
        return self._inner.inputs()

    @property
    def name(self):
        return self._inner.name

    @property
    def repeat_window_days(self):
        return self._inner.repeat_window_days

    def config_fingerprint(self):
        """run.json's `config_fingerprint`: one SHA-256 over every configuration file."""
        return self._inner.config_fingerprint()

    def config_files(self):
        """run.json's `config_files`: each configuration file's path, sha256 and bytes."""
        return json.loads(self._inner.config_files_json())

    def input_format(self, source):
        """The format voc reads `source` in ("jsonl", "csv", "xlsx" or "parquet"): its
        input's `format`, else its file extension's, as `voc run` decides."""
        return self._inner.input_format(str(source))

    def enrich(self, batch, source=None, *, jsonl=False, first_line=1, delivery_keys=False):
        """(enriched, quarantine) record batches; see the module's documentation.

        `first_line` numbers the rows (a split of a file starts past 1); with
        `delivery_keys`, `enriched` has two more columns: LINE_COLUMN (each contact's
        line, which orders re-deliveries) and WEEK_COLUMN (its ISO week, the
        history's partition key).
        """
        enriched, quarantine, _ = self.enrich_with_counts(
            batch, source, jsonl=jsonl, first_line=first_line, delivery_keys=delivery_keys
        )
        return enriched, quarantine

    def enrich_with_counts(self, batch, source=None, *, jsonl=False, first_line=1, delivery_keys=False):
        """(enriched, quarantine, counts): counts are ingest's (read, accepted,
        quarantined, duplicates, pii_masked, …) for this batch, as run.json has them."""
        if isinstance(batch, pa.Table):
            batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else pa.RecordBatch.from_pylist([], schema=batch.schema)
        schema, array = batch.__arrow_c_array__()
        out = self._inner.enrich(schema, array, source, jsonl, first_line, delivery_keys)
        return _record_batch(out[0:2]), _record_batch(out[2:4]), json.loads(out[4])

    def enrich_file(self, content, source, *, delivery_keys=False):
        """(enriched, quarantine, counts) of a whole file's bytes `content` read as the
        input named `source` (by its name, path or file name; its format, encoding,
        sheet and column maps apply): exactly what `voc run` reads from that file, its
        rows numbered by their line or row in it. See `enrich_with_counts`."""
        if not isinstance(content, bytes):
            content = bytes(content)
        out = self._inner.enrich_file(content, str(source), delivery_keys)
        return _record_batch(out[0:2]), _record_batch(out[2:4]), json.loads(out[4])
