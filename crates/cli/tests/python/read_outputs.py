"""Reads a voc output folder the way an analyst would, with pandas, pyarrow, DuckDB and
polars, and checks that every tool sees the same history and tables. Run by
crates/cli/tests/python_readers.rs in the venv of scripts/python-env.sh:

    python read_outputs.py OUT_DIR

Prints one JSON object (rows per tool, per week and per table) for the Rust test to
compare with run.json; exits non-zero with the failing check otherwise.
"""

import glob
import json
import os
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ZONE = "Asia/Shanghai"


def check(condition, message):
    if not condition:
        sys.exit(f"read_outputs.py: {message}")


def plain_types(path):
    """Every column of a Parquet file in types Spark and pandas read: no view types,
    no unsigned integers, timestamps as UTC-adjusted INT64 microseconds."""
    schema = pq.read_schema(path)
    for field in schema:
        kinds = [field.type]
        while pa.types.is_list(kinds[-1]) or pa.types.is_large_list(kinds[-1]):
            kinds.append(kinds[-1].value_type)
        for kind in kinds:
            check(
                not pa.types.is_string_view(kind) and not pa.types.is_binary_view(kind),
                f"{path}: {field.name} is {field.type}",
            )
            check(not pa.types.is_unsigned_integer(kind), f"{path}: {field.name} is {kind}")
            check(not pa.types.is_large_list(kind), f"{path}: {field.name} is {kind}")
    physical = pq.ParquetFile(path).schema
    for i in range(len(physical)):
        column = physical.column(i)
        logical = str(column.logical_type)
        check("Int(bitWidth=" not in logical or "isSigned=true" in logical,
              f"{path}: {column.path} is {logical}")
        if column.physical_type == "INT96":
            check(False, f"{path}: {column.path} is INT96")
        if logical.startswith("Timestamp"):
            check("isAdjustedToUTC=true" in logical and "microseconds" in logical,
                  f"{path}: {column.path} is {logical}")


def main(out):
    history = os.path.join(out, "history")
    partitions = sorted(glob.glob(os.path.join(history, "week=*", "*.parquet")))
    check(partitions, f"no partitions under {history}")
    weeks = [os.path.basename(os.path.dirname(p)).removeprefix("week=") for p in partitions]

    # pandas, one partition at a time and the whole folder.
    per_week = {}
    for week, path in zip(weeks, partitions):
        plain_types(path)
        frame = pd.read_parquet(path)
        check("week" not in frame.columns, f"{path}: week stored in the file")
        check(str(frame["started_at"].dtype) == f"datetime64[us, {ZONE}]",
              f"{path}: started_at is {frame['started_at'].dtype}")
        check(all(isinstance(t, str) for turns in frame["turns"] for t in turns),
              f"{path}: turns are not lists of strings")
        per_week[week] = len(frame)
    folder = pd.read_parquet(history)
    check(str(folder["started_at"].dtype) == f"datetime64[us, {ZONE}]",
          f"pandas folder: started_at is {folder['started_at'].dtype}")
    check(sorted(folder["week"].astype(str).unique()) == weeks, "pandas folder: weeks differ")
    pandas_weeks = folder["week"].astype(str).value_counts().to_dict()
    check(pandas_weeks == per_week, f"pandas folder {pandas_weeks} vs partitions {per_week}")
    # The China-time day of each contact is its stored date.
    check((folder["started_at"].dt.date == folder["date"]).all(), "date is not started_at's day")

    # pyarrow datasets with filters on the partition key and on columns.
    dataset = ds.dataset(history, format="parquet", partitioning="hive")
    check(dataset.schema.field("started_at").type == pa.timestamp("us", tz=ZONE),
          f"pyarrow: started_at is {dataset.schema.field('started_at').type}")
    last = weeks[-1]
    last_complaints = dataset.to_table(
        filter=(ds.field("week") == last) & (ds.field("complaint") == True)  # noqa: E712
    ).num_rows
    expected = int(((folder["week"] == last) & folder["complaint"]).sum())
    check(last_complaints == expected, f"pyarrow filter: {last_complaints} vs {expected}")
    first_day = folder["started_at"].min().normalize() + pd.Timedelta(days=1)
    since = dataset.to_table(filter=ds.field("started_at") >= first_day.to_pydatetime()).num_rows
    check(since == int((folder["started_at"] >= first_day).sum()), "pyarrow time filter")

    # DuckDB over the files, Hive partitioning on.
    pattern = os.path.join(history, "**", "*.parquet")
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{ZONE}'")
    duck_weeks = dict(con.execute(
        "SELECT week, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY week",
        [pattern]).fetchall())
    check(duck_weeks == per_week, f"duckdb {duck_weeks} vs {per_week}")
    kind, in_category = con.execute(
        "SELECT any_value(typeof(started_at)), count(*) FILTER (WHERE len(categories) > 0) "
        "FROM read_parquet(?, hive_partitioning = true)", [pattern]).fetchone()
    check(kind == "TIMESTAMP WITH TIME ZONE", f"duckdb: started_at is {kind}")
    check(in_category == int(folder["categories"].map(len).gt(0).sum()), "duckdb lists")
    # The stored day is the China-time day of started_at.
    wrong_days = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true) "
        "WHERE CAST(started_at AS DATE) <> date", [pattern]).fetchone()[0]
    check(wrong_days == 0, f"duckdb: {wrong_days} dates differ from started_at's day")

    # polars, lazily over the files with Hive partitioning, and one partition eagerly.
    lazy = pl.scan_parquet(pattern, hive_partitioning=True)
    polars_schema = lazy.collect_schema()
    check(polars_schema["started_at"] == pl.Datetime("us", ZONE),
          f"polars: started_at is {polars_schema['started_at']}")
    polars_weeks = dict(lazy.group_by("week").len().collect().iter_rows())
    check(polars_weeks == per_week, f"polars {polars_weeks} vs {per_week}")
    check(pl.read_parquet(partitions[-1]).height == per_week[last], "polars partition")
    # The folder as it is, no glob: it holds partitions only (caches live beside it).
    folder_weeks = dict(pl.scan_parquet(history).group_by("week").len().collect().iter_rows())
    check(folder_weeks == per_week, f"polars on the folder {folder_weeks} vs {per_week}")

    # The tables: every reader, the same rows as the CSV beside each.
    tables = {}
    for path in sorted(glob.glob(os.path.join(out, "tables", "*.parquet"))):
        name = os.path.basename(path).removesuffix(".parquet")
        plain_types(path)
        frame = pd.read_parquet(path)
        csv = pd.read_csv(path.removesuffix(".parquet") + ".csv", encoding="utf-8-sig")
        check(list(frame.columns) == list(csv.columns), f"{name}: columns differ from the CSV")
        counts = {
            "pandas": len(frame),
            "csv": len(csv),
            "pyarrow": ds.dataset(path).count_rows(),
            "duckdb": con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0],
            "polars": pl.read_parquet(path).height,
        }
        check(len(set(counts.values())) == 1, f"{name}: {counts}")
        tables[name] = len(frame)

    print(json.dumps({
        "history_rows": len(folder),
        "weeks": per_week,
        "tables": tables,
        "versions": {
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "duckdb": duckdb.__version__,
            "polars": pl.__version__,
        },
    }))


if __name__ == "__main__":
    main(sys.argv[1])
