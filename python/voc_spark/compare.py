"""Checks that two output folders hold the same contacts with the same enrichment.

    python -m voc_spark.compare VOC_OUT SPARK_OUT

Every history column of every contact (categories, sentiment, emotion, risk flags,
tokens, masked text, metadata) must be equal, contact by contact (started_at as an
instant: Spark labels it UTC, voc Asia/Shanghai), the weeks the same, run.json's
counts and the number of quarantined records agree, and so do the quarantined records
themselves: the same (source, line) in the same order, each with the same field,
reason and masked raw text. Exits 1 naming what differs.
"""

import json
import os
import sys

import pyarrow as pa
import pyarrow.dataset as ds

import voc


def history(folder):
    table = ds.dataset(os.path.join(folder, "history"), format="parquet", partitioning="hive").to_table()
    started = table.column("started_at").cast(pa.timestamp("us", tz="UTC"))
    table = table.set_column(table.schema.get_field_index("started_at"), "started_at", started)
    table = table.select([*voc.HISTORY_COLUMNS, "week"])
    table = table.set_column(table.schema.get_field_index("week"), "week", table.column("week").cast(pa.string()))
    return table.sort_by("id").combine_chunks()


def counts(folder):
    with open(os.path.join(folder, "run.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(folder, "quarantine.jsonl"), encoding="utf-8") as f:
        quarantined = sum(1 for line in f if line.strip())
    keys = ("read", "accepted", "quarantined", "duplicates")
    return {**{k: manifest["counts"][k] for k in keys}, "quarantine.jsonl": quarantined,
            "pii_masked": manifest["pii_masked"], "period": manifest["period"]}


def quarantine(folder):
    """quarantine.jsonl's records as (source, line, field, reason, raw), in file order."""
    with open(os.path.join(folder, "quarantine.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [(q["source"], q["line"], q["field"], q["reason"], q["raw"]) for q in records]


def quarantine_problems(expected, actual):
    a, b = quarantine(expected), quarantine(actual)
    # Order by input, then line, in both; records of one line (none so far) in any order.
    if [q[:2] for q in a] != [q[:2] for q in b]:
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x[:2] != y[:2]), min(len(a), len(b)))
        return [f"quarantine records differ in source or line, first at record {first + 1}: "
                f"{a[first][:2] if first < len(a) else None} != {b[first][:2] if first < len(b) else None}"]
    for x, y in zip(sorted(a), sorted(b)):
        if x != y:
            return [f"quarantine record differs: {x} != {y}"]
    return []


def main(argv=None):
    expected, actual = (argv or sys.argv[1:])[:2]
    problems = []
    a, b = history(expected), history(actual)
    if a.num_rows != b.num_rows:
        problems.append(f"contacts: {a.num_rows} in {expected}, {b.num_rows} in {actual}")
    else:
        for name in a.schema.names:
            left, right = a.column(name), b.column(name)
            if left.type != right.type:
                right = right.cast(left.type)
            if not left.equals(right):
                first = next(i for i in range(a.num_rows) if left[i] != right[i])
                problems.append(f"column {name} differs, first at contact {a.column('id')[first]}: "
                                f"{left[first]} != {right[first]}")
    c, d = counts(expected), counts(actual)
    if c != d:
        problems.append(f"counts differ: {c} != {d}")
    problems += quarantine_problems(expected, actual)
    for problem in problems:
        print("voc-spark compare:", problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"voc-spark compare: {a.num_rows} contacts, every history column equal; "
          f"{c['quarantine.jsonl']} quarantine records equal; counts {c}")


if __name__ == "__main__":
    main()
