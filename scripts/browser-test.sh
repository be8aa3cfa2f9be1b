#!/usr/bin/env bash
# Browser tests, as a person would use the pages: runs the demo batch with `voc run`,
# then drives Debian's headless Chromium with playwright-core
#  - scripts/browser/report.test.mjs: the report's HTML opens with every section, charts
#    drawn, no console errors, nothing fetched; full-page screenshot and an A4 PDF;
#  - `voc report --period 2026-11 --pdf` prints a PDF through Chromium;
#  - scripts/browser/search-page.test.mjs: `voc serve` on a free loopback port; search
#    the planted phrase, see highlighted hits, facet counts and the weekly chart, a facet
#    click narrowing the hits, the 话题 facet of `voc discover` filtering by a topic, a
#    parse error in Chinese with its position.
# Screenshots and the PDF land in $OUT (default target/browser-test).
#
#   scripts/browser-test.sh            installs chromium, fonts and playwright-core if missing
#
# Env: VOC_BIN (a built voc binary; default: cargo build -p voc-cli), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/target/browser-test}
mkdir -p "$OUT"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
# pdftotext reads the printed report back page by page (headings, empty pages).
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "browser-test: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # A mirror hiccup should not fail the build: retry the whole install a few times.
  for attempt in 1 2 3; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" -eq 3 ] && { echo "browser-test: could not install ${need_apt[*]}" >&2; exit 1; }
    sleep $((attempt * 10))
  done
fi

if [ ! -d scripts/browser/node_modules/playwright-core ]; then
  echo "browser-test: installing playwright-core (npm)"
  # playwright-core brings no browser download; Debian's chromium is used.
  (cd scripts/browser && for attempt in 1 2 3; do npm ci --no-audit --no-fund --silent && break; [ "$attempt" -eq 3 ] && exit 1; sleep $((attempt * 10)); done)
fi

if [ -z "${VOC_BIN:-}" ]; then
  cargo build --quiet -p voc-cli
  VOC_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/voc
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "browser-test: running the demo batch"
"$VOC_BIN" run pipelines/demo/weekly.toml --out "$WORK/out" >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; exit 1; }

echo "browser-test: the report"
node scripts/browser/report.test.mjs "$WORK/out/report/report.html" "$OUT"

echo "browser-test: voc report --pdf (a month, printed by Chromium)"
"$VOC_BIN" report pipelines/demo/weekly.toml --out "$WORK/out" --period 2026-11 --pdf --quiet
PDF="$WORK/out/report/2026-11/report.pdf"
if [ "$(head -c 5 "$PDF")" = "%PDF-" ] && [ "$(grep -ao '/Type */Pages*' "$PDF" | grep -c 'Page$' || true)" -ge 2 ]; then
  echo "ok   report.pdf: $(grep -ao '/Type */Pages*' "$PDF" | grep -c 'Page$') pages, $(wc -c < "$PDF") bytes"
  cp "$PDF" "$OUT/report-2026-11.pdf"
else
  echo "FAIL report.pdf missing or not a multi-page PDF"; exit 1
fi

# Topics of the demo week, so the page shows its 话题 facet (the index follows the
# generation `voc discover` commits).
"$VOC_BIN" discover pipelines/demo/weekly.toml --out "$WORK/out" --period 2026-W46 --quiet >/dev/null

"$VOC_BIN" serve --index "$WORK/out/index" --bind 127.0.0.1:0 2>"$WORK/serve.log" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$WORK/serve.log" | head -1 || true)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "browser-test: voc serve did not start"; cat "$WORK/serve.log"; exit 1; }
echo "browser-test: $URL"

echo "browser-test: the search page"
node scripts/browser/search-page.test.mjs "$URL" "$OUT"
echo "browser-test: screenshots and report.pdf in $OUT"
