#!/usr/bin/env bash
# The project's test command (README.md; .ci/run calls exactly this): formatting and
# lints first (cheap, and a failure there says more than a failed test), then every Rust
# test of the workspace, then the browser tests of the report and the search page in
# headless Chromium (scripts/browser-test.sh installs Chromium, CJK fonts and
# playwright-core from Debian's packages and npm when they are missing). The Python
# venv (pandas, pyarrow, DuckDB, polars; scripts/python-env.sh) lets a test read the
# history and tables with the tools analysts use. Last, scripts/spark-test.sh runs the
# Spark job on the demo data and on fixtures/broken (every input format) with the voc
# wheel and checks it writes voc run's history and quarantine (it installs Debian's
# headless JRE and PySpark when missing; ~5-7 min of CI).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/python-env.sh >/dev/null
cargo test --workspace --locked
VOC_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/voc" scripts/browser-test.sh
VOC_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/voc" scripts/spark-test.sh
