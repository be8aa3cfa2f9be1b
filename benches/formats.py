#!/usr/bin/env python3
"""`voc run` on the bench's contacts in every input format: JSON Lines, Parquet, XLSX
and GBK CSV, the same contacts each time.

    python3 benches/formats.py                    # 1M contacts (XLSX: Excel's 1,048,575 rows at most)
    python3 benches/formats.py --contacts 100000

The contacts come from the fixture generator (cached under target/bench-data, as for
run.py). Parquet is written by pyarrow with `started_at` kept as text and the turns as
a list of {speaker, text} structs, in row groups of 65,536 rows; XLSX (openpyxl,
write-only) and CSV (GB18030) hold each transcript as one `坐席：… 客户：…` string, as
such exports do. pyarrow and openpyxl are installed from PyPI into run.py's venv.
Prints wall time, peak RSS, CPU time and the stage times of one run per format;
benches/RESULTS.md quotes them by hand.
"""
import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the harness: data folder, generator, venv, timing)

COLUMNS = ["id", "started_at", "channel", "duration_s", "wait_s", "customer_id", "region",
           "business", "agent_id", "queue", "resolved", "csat", "transcript"]
LABELS = {"agent": "坐席：", "customer": "客户："}
XLSX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


def transcript(record):
    if record.get("text"):
        return record["text"]
    return " ".join(LABELS[t["speaker"]] + t["text"] for t in record.get("turns", []))


def flat_rows(jsonl, limit=None):
    with open(jsonl, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                return
            record = json.loads(line)
            yield [transcript(record) if c == "transcript" else record.get(c) for c in COLUMNS]


def to_parquet(py, jsonl, out):
    script = (
        "import sys, pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq\n"
        "schema = pa.schema([('started_at', pa.string())])\n"
        "t = pj.read_json(sys.argv[1], read_options=pj.ReadOptions(block_size=1 << 26),\n"
        "                 parse_options=pj.ParseOptions(explicit_schema=schema))\n"
        "pq.write_table(t, sys.argv[2], row_group_size=65536)\n"
    )
    run.sh([py, "-c", script, jsonl, out])


def to_xlsx(py, jsonl, out):
    script = (
        "import sys, json\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "import openpyxl, formats\n"
        "wb = openpyxl.Workbook(write_only=True)\n"
        "ws = wb.create_sheet('通话记录')\n"
        "ws.append(formats.COLUMNS)\n"
        "for row in formats.flat_rows(sys.argv[1], formats.XLSX_ROWS):\n"
        "    ws.append(row)\n"
        "wb.save(sys.argv[2])\n"
    )
    run.sh([py, "-c", script, jsonl, out, Path(__file__).resolve().parent])


def to_gbk_csv(jsonl, out):
    with open(out, "w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in flat_rows(jsonl):
            writer.writerow(["" if v is None else v for v in row])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    args = ap.parse_args()
    run.DATA.mkdir(parents=True, exist_ok=True)
    jsonl = run.generate(args.contacts, 12, 1)
    py = run.python_env()
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "pyarrow", "openpyxl"], check=True)
    stem = jsonl.with_suffix("")
    inputs = {"jsonl": jsonl, "parquet": stem.with_suffix(".parquet"),
              "xlsx": stem.with_suffix(".xlsx"), "csv-gbk": Path(f"{stem}-gbk.csv")}
    makers = {"parquet": lambda o: to_parquet(py, jsonl, o), "xlsx": lambda o: to_xlsx(py, jsonl, o),
              "csv-gbk": lambda o: to_gbk_csv(jsonl, o)}
    table = [f"{'format':<8} {'MB':>6} {'wall s':>7} {'RSS MiB':>8} {'CPU s':>6}  stages (s)"]
    for name, path in inputs.items():
        if not path.exists():
            makers[name](path)
        out = run.DATA / f"out-format-{name}"
        shutil.rmtree(out, ignore_errors=True)
        pipeline = run.pipeline_file(f"format-{name}", [path], out)
        wall, rss, _, cpu = run.timed([run.RELEASE / "voc", "run", pipeline, "--force", "--quiet"])
        timings = json.loads((out / "run.json").read_text())["timings"]
        stages = ", ".join(f"{t['stage']} {t['ms'] / 1000:.2f}" for t in timings)
        table.append(f"{name:<8} {path.stat().st_size / 1e6:>6.0f} {wall:>7.1f} {rss:>8.0f} {cpu:>6.1f}  {stages}")
    print(f"{args.contacts:,} contacts, voc at {run.commit()}:")
    print("\n".join(table))


if __name__ == "__main__":
    main()
