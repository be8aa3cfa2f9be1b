#!/usr/bin/env bash
# Proves that voc's enrichment on Apache Spark (python/voc_spark/job.py, the voc wheel
# of crates/python on every executor) writes the history `voc run` writes: Debian's
# headless JRE and PySpark in a venv, the wheel built by maturin, the job run in
# local[2] on the demo data, then `voc index rebuild`, `voc report`, `voc retag` and
# `voc discover` run on its output unchanged, the period's report.json byte-identical
# to the one of `voc run`'s output, every history column of every contact equal and
# the quarantine counts the same (python/voc_spark/compare.py). Then every input format
# voc reads: fixtures/broken (CSV in GBK and in UTF-8 with BOM, an XLSX sheet, Parquet
# and JSON Lines, each with every kind of broken record) through `voc run` and the job,
# the same history, the same quarantine records and counts, the same report.
#
#   scripts/spark-test.sh
#
# Env: VOC_BIN (the voc binary; default $CARGO_TARGET_DIR/debug/voc, built when absent),
# PYTHON (the interpreter to build the venv with; default python3), SPARK_TEST_DIR
# (where the venv, the wheel and the outputs go; default $CARGO_TARGET_DIR, so a second
# checkout sharing a target keeps its own).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OWN=${SPARK_TEST_DIR:-$TARGET}
VENV=$OWN/sparkenv
REQ=$ROOT/scripts/spark-requirements.txt
PIPELINE=pipelines/demo/weekly.toml
started=$SECONDS

retry() {
  for attempt in 1 2 3; do
    "$@" && return 0
    [ "$attempt" -eq 3 ] && return 1
    sleep $((attempt * 10))
  done
}

# Java for Spark: Debian's default headless JRE (OpenJDK 17 on bookworm, 21 on trixie).
if ! command -v java >/dev/null; then
  echo "spark-test: installing Debian's headless JRE" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  retry bash -c "$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null" \
    || { echo "spark-test: could not install a JRE" >&2; exit 1; }
fi

# PySpark and maturin, in a venv of their own (PySpark alone is ~400 MB).
if ! { [ -x "$VENV/bin/python" ] && cmp -s "$REQ" "$VENV/.requirements"; }; then
  echo "spark-test: creating $VENV" >&2
  rm -rf "$VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  retry "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2 \
    || { echo "spark-test: could not install $REQ" >&2; exit 1; }
  cp "$REQ" "$VENV/.requirements"
fi
after_env=$SECONDS

# The wheel, in the dev profile: its dependencies are the debug builds `cargo test`
# made already (only pyo3 and the crate itself compile), where a release build would
# compile polars again for minutes. Enrichment in debug is slower, not different.
"$VENV/bin/maturin" build --quiet --profile dev -m crates/python/Cargo.toml \
  -i "$VENV/bin/python" --out "$OWN/wheels" --strip >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
  "$OWN"/wheels/voc-*-abi3-*.whl >&2
after_wheel=$SECONDS

VOC=${VOC_BIN:-$TARGET/debug/voc}
[ -x "$VOC" ] || cargo build --quiet -p voc-cli
WORK=$OWN/spark-test
rm -rf "$WORK"
mkdir -p "$WORK"
"$VOC" -q run "$PIPELINE" --out "$WORK/voc" --force
PYTHONPATH=$ROOT/python "$VENV/bin/python" -m voc_spark.job "$PIPELINE" --out "$WORK/spark" \
  --master 'local[2]' 2>"$WORK/spark.log" || { tail -50 "$WORK/spark.log" >&2; exit 1; }
after_job=$SECONDS

PERIOD=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["period"])' "$WORK/voc/run.json")
"$VOC" -q index rebuild "$PIPELINE" --out "$WORK/spark"
for out in voc spark; do
  "$VOC" -q report "$PIPELINE" --out "$WORK/$out" --period "$PERIOD"
done
cmp "$WORK/voc/report/$PERIOD/report.json" "$WORK/spark/report/$PERIOD/report.json"
cmp "$WORK/voc/report/report.json" "$WORK/spark/report/$PERIOD/report.json"
PYTHONPATH=$ROOT/python "$VENV/bin/python" -m voc_spark.compare "$WORK/voc" "$WORK/spark"
# The other readers of the history run on Spark's output unchanged.
"$VOC" -q retag "$PIPELINE" --out "$WORK/spark"
"$VOC" -q discover "$PIPELINE" --out "$WORK/spark" --period "$PERIOD" >/dev/null
"$VOC" -q search --index "$WORK/spark/index" "断网" >/dev/null
after_demo=$SECONDS

# Every format voc reads, every broken record: CSV (GBK; UTF-8 with BOM) and the XLSX
# sheet through their column maps, Parquet and JSON Lines; read whole by voc's readers
# on the executors (all but JSON Lines), the quarantine record by record.
BROKEN=fixtures/broken/pipeline.toml
"$VOC" -q run "$BROKEN" --out "$WORK/broken-voc" --force
PYTHONPATH=$ROOT/python "$VENV/bin/python" -m voc_spark.job "$BROKEN" --out "$WORK/broken-spark" \
  --master 'local[2]' 2>"$WORK/broken-spark.log" || { tail -50 "$WORK/broken-spark.log" >&2; exit 1; }
PYTHONPATH=$ROOT/python "$VENV/bin/python" -m voc_spark.compare "$WORK/broken-voc" "$WORK/broken-spark"
PERIOD=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["period"])' "$WORK/broken-voc/run.json")
for out in broken-voc broken-spark; do
  "$VOC" -q report "$BROKEN" --out "$WORK/$out" --period "$PERIOD"
done
cmp "$WORK/broken-voc/report/$PERIOD/report.json" "$WORK/broken-spark/report/$PERIOD/report.json"
echo "spark-test: passed; venv $((after_env - started)) s, wheel $((after_wheel - after_env)) s, voc run + Spark job $((after_job - after_wheel)) s, checks $((after_demo - after_job)) s, every format (fixtures/broken) $((SECONDS - after_demo)) s" >&2
