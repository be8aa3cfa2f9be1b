#!/usr/bin/env bash
# The Python virtual environment the history-readability test uses
# (crates/store/tests/python_readers.rs): pandas, pyarrow, DuckDB and polars at the
# versions pinned in scripts/python-requirements.txt, from PyPI, in
# $CARGO_TARGET_DIR/pyenv (default target/pyenv). Does nothing when the venv already
# holds exactly those pins. Prints the venv's python on the last line.
#
#   scripts/python-env.sh
#
# Env: PYTHON (the interpreter to build the venv with; default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${CARGO_TARGET_DIR:-$ROOT/target}/pyenv
REQ=$ROOT/scripts/python-requirements.txt
STAMP=$VENV/.requirements

if [ -x "$VENV/bin/python" ] && cmp -s "$REQ" "$STAMP"; then
  echo "$VENV/bin/python"
  exit 0
fi
echo "python-env: creating $VENV" >&2
# Debian ships venv's pip bootstrap in a package of its own.
if ! "${PYTHON:-python3}" -c "import ensurepip, venv" 2>/dev/null; then
  echo "python-env: installing python3-venv" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  for attempt in 1 2 3; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; then
      break
    fi
    [ "$attempt" -eq 3 ] && { echo "python-env: could not install python3-venv" >&2; exit 1; }
    sleep $((attempt * 10))
  done
fi
rm -rf "$VENV"
"${PYTHON:-python3}" -m venv "$VENV"
# A mirror hiccup should not fail the build: retry the install a few times.
for attempt in 1 2 3; do
  if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2; then
    break
  fi
  [ "$attempt" -eq 3 ] && { echo "python-env: could not install $REQ" >&2; exit 1; }
  sleep $((attempt * 10))
done
cp "$REQ" "$STAMP"
echo "$VENV/bin/python"
