"""voc's weekly batch on Apache Spark, with the same results as `voc run`.

    python -m voc_spark.job PIPELINE --out OUT [--input PATH ...] [--master local[2]]

Reads a week's exports in every format `voc run` reads from any path Spark reads (the
pipeline's inputs by default), enriches them on every executor with the `voc` package
(the pipeline file loaded once per Python worker; batches cross into Rust through
Arrow, never row by row), then does with Spark's window functions what `voc run` does
with the whole batch in hand:

* reading: JSON Lines exports as text lines, split across tasks and numbered as voc
  numbers a file's lines; every other file (CSV in UTF-8 or GBK, with or without BOM,
  XLSX, Parquet) whole, with Spark's `binaryFile` source, its bytes read by voc's own
  reader of that input's format and options (`Pipeline.enrich_file`), so encoding,
  BOM, sheets and broken rows behave as in `voc run`. Which is which is voc's decision
  (the input's `format`, else its extension);
* re-deliveries: of the deliveries of one contact id the newest is kept, the newest
  being the last in reading order: the pipeline's input order, then the line or row
  (voc_ingest::Deliveries, "newest delivery wins");
* repeat contacts: sorted by customer, time and id, a contact is a repeat when the
  same customer's previous kept contact is at most `[classify] repeat_window_days`
  before it (voc_pipeline::repeat_contacts); contacts without a customer never are.

It writes OUT in voc's layout: history/week=YYYY-Www/part-0.parquet (Hive partitions
by ISO week, the history's columns in file order, rows sorted by time and id),
quarantine.jsonl (input order, then line) and run.json (the counts `voc report` reads),
so `voc report`, `voc index rebuild`, `voc retag` and `voc discover` run on OUT
unchanged, and DuckDB, pandas and Spark SQL read its history.

OUT is any path Hadoop writes (`hdfs://…`, `s3a://…`; a plain path is the local file
system): every write, rename and listing goes through Hadoop's FileSystem API.
"""

import argparse
import datetime
import hashlib
from functools import reduce
import json
import os
import re
import sys
import time
import urllib.parse

import numpy as np
import pyarrow as pa

import voc

# What each row of the enrichment's output is: the envelope carries enriched contacts,
# quarantined records and each batch's ingest counts in one mapInArrow schema.
KIND = "_kind"
INPUT = "_input"
COUNTS = "_counts"
QUARANTINE_FIELDS = [("q_source", pa.string()), ("q_line", pa.int64()), ("q_field", pa.string()),
                     ("q_reason", pa.string()), ("q_raw", pa.string())]

def _empty_lines():
    return pa.record_batch([pa.array([], pa.string())], names=["value"])


def envelope_schema(pipeline):
    """The Arrow schema of the enrichment's output: the enriched columns (history, then
    _line and _week), the input's index, the row's kind, the quarantine's fields and
    a batch's counts as JSON."""
    enriched, _ = pipeline.enrich(_empty_lines(), jsonl=True, delivery_keys=True)
    fields = list(enriched.schema)
    fields += [pa.field(INPUT, pa.int32()), pa.field(KIND, pa.string())]
    fields += [pa.field(name, dtype) for name, dtype in QUARANTINE_FIELDS]
    fields += [pa.field(COUNTS, pa.string())]
    return pa.schema(fields)


def _envelope(schema, n, kind, input_index, columns):
    """A batch of `n` rows of the envelope: `columns` given, every other one null."""
    arrays = []
    for field in schema:
        if field.name in columns:
            arrays.append(columns[field.name].cast(field.type))
        elif field.name == INPUT:
            arrays.append(pa.array(np.full(n, input_index, dtype=np.int32)))
        elif field.name == KIND:
            arrays.append(pa.array([kind]).take(pa.array(np.zeros(n, dtype=np.int64))))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _enveloped(schema, index, enriched, quarantine, counts):
    """The envelope's batches of one input's (share of) enriched rows, quarantine and counts."""
    if enriched.num_rows:
        columns = {name: enriched.column(name) for name in enriched.schema.names}
        yield _envelope(schema, enriched.num_rows, "contact", index, columns)
    if quarantine.num_rows:
        columns = {"q_" + name: quarantine.column(name) for name in quarantine.schema.names}
        yield _envelope(schema, quarantine.num_rows, "quarantine", index, columns)
    yield _envelope(schema, 1, "counts", index, {COUNTS: pa.array([json.dumps(counts)])})


def enrich_lines(pipeline_path, sources, schema):
    """The function mapInArrow runs over batches of JSON Lines (value, _input, _line):
    each run of consecutive lines of one input is enriched as that input's records."""

    def run(batches):
        # Once per Python worker (Spark reuses its workers), not per task.
        pipeline = voc.load_once(pipeline_path)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            inputs = batch.column(INPUT).to_numpy(zero_copy_only=False)
            lines = batch.column("_line").to_numpy(zero_copy_only=False)
            breaks = np.flatnonzero((inputs[1:] != inputs[:-1]) | (lines[1:] != lines[:-1] + 1)) + 1
            starts = [0, *breaks.tolist()]
            ends = [*breaks.tolist(), batch.num_rows]
            for start, end in zip(starts, ends):
                index = int(inputs[start])
                text = batch.slice(start, end - start).select(["value"])
                yield from _enveloped(schema, index, *pipeline.enrich_with_counts(
                    text, sources[index], jsonl=True, first_line=int(lines[start]), delivery_keys=True))

    return run


def enrich_files(pipeline_path, sources, schema):
    """The function mapInArrow runs over batches of whole files (content, _input): each
    file is read by voc's reader of its input's format, as `voc run` reads it."""

    def run(batches):
        pipeline = voc.load_once(pipeline_path)
        for batch in batches:
            contents, inputs = batch.column("content"), batch.column(INPUT)
            for row in range(batch.num_rows):
                index = inputs[row].as_py()
                yield from _enveloped(schema, index, *pipeline.enrich_file(
                    contents[row].as_py(), sources[index], delivery_keys=True))

    return run


def _local_path(uri):
    """A file: URI (as Spark names files, percent-encoded) as a local path; any other as it is."""
    for prefix in ("file://", "file:"):
        if uri.startswith(prefix):
            return urllib.parse.unquote(uri[len(prefix):])
    return uri


def input_order(files, pipeline_inputs):
    """Each file Spark read → (index in reading order, the name voc gives it): the
    pipeline's input of the same real path or file name, in the pipeline's order;
    other files after them, by path."""
    known = {os.path.realpath(p): i for i, p in enumerate(pipeline_inputs)}
    by_name = {os.path.basename(p): i for i, p in enumerate(pipeline_inputs)}
    order = {}
    others = []
    for f in sorted(files):
        local = _local_path(f)
        if local != f:
            i = known.get(os.path.realpath(local), by_name.get(os.path.basename(local)))
        else:
            i = by_name.get(os.path.basename(urllib.parse.unquote(urllib.parse.urlparse(f).path)))
        if i is None:
            others.append(f)
        else:
            order[f] = (i, pipeline_inputs[i])
    for n, f in enumerate(others):
        order[f] = (len(pipeline_inputs) + n, f)
    return order


def combined_fingerprint(shas):
    """voc_pipeline::fingerprints::combined: one SHA-256 over the files' SHA-256s."""
    return hashlib.sha256("".join(s + "\n" for s in shas).encode()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipeline")
    parser.add_argument("--out", required=True, help="the output folder to write (voc's layout); any Hadoop path")
    parser.add_argument("--input", action="append", help="export paths Spark reads (default: the pipeline's)")
    parser.add_argument("--master", default=None, help="e.g. local[2]; default: spark-submit's")
    parser.add_argument("--partitions", type=int, default=4, help="shuffle partitions")
    args = parser.parse_args(argv)

    started = time.time()
    run_started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    # In local mode the workers are this interpreter's (the venv holding voc and pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # As given: the inputs are named relative to it, as `voc run` from the same folder names them.
    pipeline_path = args.pipeline
    pipeline = voc.Pipeline(pipeline_path)
    paths = args.input or [os.path.abspath(p) for p in pipeline.inputs]
    builder = SparkSession.builder.appName("voc-spark")
    if args.master:
        builder = builder.master(args.master)
    spark = (builder
             .config("spark.sql.shuffle.partitions", str(args.partitions))
             .config("spark.sql.session.timeZone", "Asia/Shanghai")
             # voc's history stores instants as microseconds (Parquet's INT96 is not read alike).
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
             .config("spark.sql.parquet.compression.codec", "zstd")
             .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
             .getOrCreate())

    # Every file at the paths, once, with its SHA-256 and size (run.json's inputs):
    # `file` is the name every file source gives it (_metadata.file_path), `path` one
    # Spark reads again.
    listing = (spark.read.format("binaryFile").load(paths)
               .select(F.col("_metadata.file_path").alias("file"), "path", "length",
                       F.sha2("content", 256).alias("sha"))
               .collect())
    files = {r["file"]: r for r in listing}
    order = input_order(list(files), pipeline.inputs)
    sources = {i: name for i, name in order.values()}
    index_of = F.create_map(*[x for f, (i, _) in order.items() for x in (F.lit(f), F.lit(i))])
    # voc's decision, per file: its input's `format`, else its extension's.
    jsonl = {f: pipeline.input_format(sources[order[f][0]]) == "jsonl" for f in files}
    line_files = sorted(files[f]["path"] for f in files if jsonl[f])
    whole_files = sorted(files[f]["path"] for f in files if not jsonl[f])

    schema = envelope_schema(pipeline)
    spark_schema = from_arrow_schema(schema)
    parts = []
    if line_files:
        # Every line with its file, numbered as voc numbers a file's lines (from 1, blank
        # lines counted; only \n ends a line, as in voc): splits of a file are ordered by
        # where they start.
        lines = (spark.read.option("lineSep", "\n").text(line_files)
                 .select("value",
                         F.col("_metadata.file_path").alias("_file"),
                         F.col("_metadata.file_block_start").alias("_block"),
                         F.monotonically_increasing_id().alias("_seq")))
        numbered = (lines
                    .withColumn("_line", F.row_number().over(Window.partitionBy("_file").orderBy("_block", "_seq")))
                    .select("value", index_of[F.col("_file")].cast("int").alias(INPUT), F.col("_line").cast("long")))
        parts.append(numbered.mapInArrow(enrich_lines(pipeline_path, sources, schema), spark_schema))
    if whole_files:
        # A file voc reads whole (a workbook, a Parquet file, CSV with quoted fields
        # across lines) is one task's: read as `voc run` reads it, not split.
        contents = (spark.read.format("binaryFile").load(whole_files)
                    .select("content", index_of[F.col("_metadata.file_path")].cast("int").alias(INPUT)))
        parts.append(contents.mapInArrow(enrich_files(pipeline_path, sources, schema), spark_schema))
    if not parts:
        sys.exit(f"voc-spark: no input files at {', '.join(paths)}")
    envelope = reduce(lambda a, b: a.unionByName(b), parts).persist()

    deliveries = envelope.filter(F.col(KIND) == "contact")
    newest = Window.partitionBy("id").orderBy(F.col(INPUT).desc(), F.col("_line").desc())
    kept = deliveries.withColumn("_n", F.row_number().over(newest)).filter(F.col("_n") == 1)
    previous = F.lag("started_at").over(Window.partitionBy("customer_id").orderBy("started_at", "id"))
    window_micros = pipeline.repeat_window_days * 86_400 * 1_000_000
    repeat = (F.col("customer_id").isNotNull() & previous.isNotNull()
              & ((F.unix_micros("started_at") - F.unix_micros(previous)) <= window_micros))
    history = kept.withColumn("risk_repeat", F.coalesce(repeat, F.lit(False)))
    history = history.select(*voc.HISTORY_COLUMNS, F.col("_week").alias("week")).persist()

    out = HadoopOut(spark, args.out)
    staging = out.child(".spark-staging")
    (history.repartition("week")
     .sortWithinPartitions("week", "started_at", "id")
     .write.mode("overwrite").partitionBy("week").parquet(staging.toString()))
    weeks = sorted(name for name, _ in out.list(staging) if name.startswith("week="))
    for week in weeks:
        written = [path for name, path in out.list(out.child(".spark-staging", week))
                   if name.endswith(".parquet") and not name.startswith((".", "_"))]
        if len(written) != 1:
            sys.exit(f"voc-spark: {week} was written as {len(written)} files, expected one")
        out.replace(written[0], out.child("history", week, "part-0.parquet"))
    out.delete(staging)

    quarantined = (envelope.filter(F.col(KIND) == "quarantine")
                   .orderBy(INPUT, "q_line")
                   .select("q_source", "q_line", "q_field", "q_reason", "q_raw").toLocalIterator())
    out.write("quarantine.jsonl", (
        json.dumps({"source": q["q_source"], "line": q["q_line"], "field": q["q_field"],
                    "reason": q["q_reason"], "raw": q["q_raw"]},
                   ensure_ascii=False, separators=(",", ":")) + "\n"
        for q in quarantined))

    totals = {"read": 0, "quarantined": 0, "pii_masked": {}, "pseudonymized": 0, "unknown_channels": {}}
    for row in envelope.filter(F.col(KIND) == "counts").select(COUNTS).collect():
        counts = json.loads(row[COUNTS])
        for key in ("read", "quarantined", "pseudonymized"):
            totals[key] += counts[key]
        for key in ("pii_masked", "unknown_channels"):
            for name, n in counts[key].items():
                totals[key][name] = totals[key].get(name, 0) + n
    delivered = deliveries.count()
    accepted = history.count()
    period = history.agg(F.max("week")).first()[0] or ""

    inputs = [{"path": name, "sha256": files[f]["sha"], "bytes": files[f]["length"]}
              for f, (i, name) in sorted(order.items(), key=lambda kv: kv[1][0])]
    total_ms = int((time.time() - started) * 1000)
    manifest = {
        "tool": "voc-spark",
        "pipeline": pipeline.name,
        "run_started_at": run_started_at,
        "period": period,
        "config_fingerprint": pipeline.config_fingerprint(),
        "config_files": pipeline.config_files(),
        "data_fingerprint": combined_fingerprint([x["sha256"] for x in inputs]),
        "inputs": inputs,
        "counts": {"read": totals["read"], "accepted": accepted, "quarantined": totals["quarantined"],
                   "duplicates": delivered - accepted, "indexed": 0, "index_documents": 0},
        "pii_masked": dict(sorted(totals["pii_masked"].items())),
        "outputs": [],
        "timings": [{"stage": "spark", "ms": total_ms}],
        "total_ms": total_ms,
    }
    if totals["pseudonymized"]:
        manifest["pseudonymized"] = totals["pseudonymized"]
    if totals["unknown_channels"]:
        manifest["unknown_channels"] = dict(sorted(totals["unknown_channels"].items()))
    out.write("run.json", [json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"])
    print(json.dumps({"weeks": len(weeks), "period": period, **manifest["counts"],
                      "seconds": round(time.time() - started, 1)}, ensure_ascii=False))
    spark.stop()


class HadoopOut:
    """The output folder through Hadoop's FileSystem API (the driver's JVM), so OUT may
    be any path Hadoop writes: hdfs://…, s3a://…, or a plain path on the local file
    system."""

    def __init__(self, spark, out):
        jvm = spark._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        # A plain path is a local one, whatever the cluster's default file system.
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", out):
            out = "file://" + os.path.abspath(out)
        path = self._Path(out)
        fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
        # Locally, without the checksum layer: a .crc beside part-0.parquet would go
        # stale when voc retag rewrites the file, and fail Hadoop's later reads of it.
        if jvm.java.lang.Class.forName("org.apache.hadoop.fs.ChecksumFileSystem").isInstance(fs):
            fs = fs.getRawFileSystem()
        self.fs = fs
        self.root = fs.makeQualified(path)

    def child(self, *names):
        path = self.root
        for name in names:
            path = self._Path(path, name)
        return path

    def list(self, folder):
        """(name, path) of each entry of `folder`."""
        return [(s.getPath().getName(), s.getPath()) for s in self.fs.listStatus(folder)]

    def replace(self, source, target):
        """Moves `source` to `target`, replacing it (as os.replace)."""
        self.fs.mkdirs(target.getParent())
        if self.fs.exists(target):
            self.fs.delete(target, False)
        if not self.fs.rename(source, target):
            sys.exit(f"voc-spark: could not move {source.toString()} to {target.toString()}")

    def delete(self, path):
        self.fs.delete(path, True)

    def write(self, name, texts):
        """Writes the texts, in order, as the file `name` of the folder (UTF-8), a MiB
        at a time across the JVM gateway."""
        stream = self.fs.create(self.child(name), True)
        try:
            buffer = bytearray()
            for text in texts:
                buffer += text.encode("utf-8")
                if len(buffer) >= 1 << 20:
                    stream.write(bytes(buffer), 0, len(buffer))
                    buffer.clear()
            if buffer:
                stream.write(bytes(buffer), 0, len(buffer))
        finally:
            stream.close()


if __name__ == "__main__":
    main()
