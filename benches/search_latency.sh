#!/usr/bin/env bash
# Search bench: indexing throughput and query latency of `voc serve` over an index of
# generated contacts (default one million).
#
#   benches/search_latency.sh [CONTACTS]        (default 1000000; loopback only)
#
# 1. voc fixtures generate --contacts N --weeks 12 --seed 7   (skipped if present)
# 2. voc run on a copy of pipelines/demo/weekly.toml pointed at it (skipped if the index
#    exists); indexing throughput = contacts / the "index" stage time in run.json
# 3. voc serve, then the search_load example: the mixed query set at 1 and 8 clients
# Work files go to $BENCH_DIR (default /tmp/voc-bench-N); they are large (GBs at 1M).
#
# Env: VOC=/path/to/voc uses that binary instead of building one. BASELINE_VOC=/path/to/
# other/voc serves the same index with it too, alternating with VOC for ROUNDS rounds
# (default 1), so that both meet the same machine in one session; each line of figures
# is labelled with the binary it measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1000000}
DIR=${BENCH_DIR:-/tmp/voc-bench-$N}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
REQUESTS=${REQUESTS:-2000}
mkdir -p "$DIR"

if [ -z "${VOC:-}" ]; then
  cargo build --release --quiet -p voc-cli
  VOC=$TARGET/release/voc
fi
cargo build --release --quiet -p voc-serve --example search_load
ROUNDS=${ROUNDS:-1}

if [ ! -f "$DIR/contacts.jsonl" ]; then
  echo "== generating $N contacts"
  /usr/bin/time -f "generate: %e s, max RSS %M KB" "$VOC" fixtures generate --contacts "$N" --weeks 12 --seed 7 --out "$DIR/contacts.jsonl"
fi

if [ ! -f "$DIR/out/index/meta.json" ]; then
  echo "== voc run over $N contacts"
  # A copy of the demo pipeline folder (taxonomy, dictionaries, stop words) with the
  # input and output pointed at the bench files.
  rm -rf "$DIR/pipeline" && cp -r pipelines/demo "$DIR/pipeline"
  sed -e "s#^paths = .*#paths = [\"$DIR/contacts.jsonl\"]#" \
      -e "s#^dir = .*#dir = \"$DIR/out\"#" \
      pipelines/demo/weekly.toml > "$DIR/pipeline/weekly.toml"
  /usr/bin/time -f "voc run: %e s, max RSS %M KB" "$VOC" run "$DIR/pipeline/weekly.toml" > "$DIR/run.log" 2>&1 || { tail -20 "$DIR/run.log"; exit 1; }
  tail -3 "$DIR/run.log"
fi
python3 - "$DIR/out/run.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
def find(obj, key):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key: return v
            r = find(v, key)
            if r is not None: return r
    if isinstance(obj, list):
        for v in obj:
            r = find(v, key)
            if r is not None: return r
timings = find(run, "stages") or find(run, "timings") or {}
print("stage timings:", json.dumps(timings, ensure_ascii=False))
PY
du -sh "$DIR/out/index"

PID=""
trap 'if [ -n "$PID" ]; then kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; fi' EXIT
# Serves the index with the binary $2 (labelled $1) and measures at 1 and 8 clients.
measure() {
  # Emptied first, so the address read below is this server's, not the last one's.
  : > "$DIR/serve.log"
  "$2" serve --index "$DIR/out/index" --bind 127.0.0.1:0 ${THREADS:+--threads $THREADS} 2> "$DIR/serve.log" &
  PID=$!
  URL=""
  for _ in $(seq 1 300); do
    URL=$(grep -o '127\.0\.0\.1:[0-9]*' "$DIR/serve.log" | head -1 || true)
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$DIR/serve.log"; exit 1; }
  echo "== latency against $1 voc serve at $URL ($(nproc) cores)"
  for clients in 1 8; do
    echo "$1 $("$TARGET/release/examples/search_load" "$URL" "$clients" "$REQUESTS")"
  done
  kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; PID=""
}
for round in $(seq 1 "$ROUNDS"); do
  measure "$([ -n "${BASELINE_VOC:-}" ] && echo "round $round: this" || echo this)" "$VOC"
  if [ -n "${BASELINE_VOC:-}" ]; then
    measure "round $round: baseline" "$BASELINE_VOC"
  fi
done
