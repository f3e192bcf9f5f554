#!/usr/bin/env bash
# Regenerates the golden fixtures under __test__/fixtures/golden/ from the real
# reference libraries (numpy, scipy, pymannkendall, ruptures; exact versions in
# scripts/fixtures/requirements.txt).
#
#   bash scripts/make-fixtures.sh           # (re)write the fixtures
#   bash scripts/make-fixtures.sh --check   # regenerate into a temp dir and
#                                           # compare byte for byte (exit 1 if stale)
#
# Creates (or updates) a virtualenv at .venv in the repository root. Set PYTHON
# to choose the interpreter used to create it (default: python3, >= 3.11).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
REQS="$ROOT/scripts/fixtures/requirements.txt"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "make-fixtures: $PYTHON is $("$PYTHON" --version 2>&1); numpy 2.4 / scipy 1.17 need Python >= 3.11" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "make-fixtures: creating virtualenv $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi

echo "make-fixtures: installing $(grep -cE '^[a-zA-Z]' "$REQS") pinned packages into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"

# Single-threaded BLAS and a fixed hash seed: nothing here depends on them, but
# they remove two classic sources of run-to-run variation.
export PYTHONHASHSEED=0 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec "$VENV/bin/python" "$ROOT/scripts/fixtures/make_fixtures.py" "$@"
