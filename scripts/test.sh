#!/usr/bin/env bash
# The test command (`npm test`): Rust tests of the engine, then the ava specs
# against the built addon. Run `npm run build` first (the README says so).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls conclude.*.node >/dev/null 2>&1 && [ -z "${NAPI_RS_NATIVE_LIBRARY_PATH:-}" ]; then
  echo "no native addon found: run 'npm run build' first" >&2
  exit 1
fi

echo "== Python references for the peer tests (.venv from scripts/fixtures/requirements.txt)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/fixtures/requirements.txt

echo "== cargo test (engine and binding)"
cargo test --workspace --profile test-opt

echo "== test-only addon with the panic probe (scripts/build-panic-probe.mjs)"
node scripts/build-panic-probe.mjs

echo "== ava"
npx ava
