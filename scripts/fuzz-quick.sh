#!/usr/bin/env bash
# A short fuzz run of the parsers and the option decoder (crate/engine/fuzz, docs/fuzzing.md):
# 25 s per target, 100 s in all plus the build, from the committed corpus (copied, so the run
# never changes the repository). Needs a nightly toolchain (or RUSTC_BOOTSTRAP=1 on stable) and
# cargo-fuzz. Exits non-zero on any crash, failed comparison or hang. Built with AddressSanitizer
# (cargo-fuzz's default) and debug assertions (overflow checks included); the parsers' inputs may
# reach 8 KiB, past the 4 KiB series-id limit, the others' 2 KiB.
set -euo pipefail
cd "$(dirname "$0")/../crate/engine/fuzz"
seconds=${FUZZ_SECONDS:-25}
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=(+nightly); else export RUSTC_BOOTSTRAP=1; fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo "${toolchain[@]}" fuzz build -O -a
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in ndjson csv iso8601 options; do
  mkdir -p "$work/$target"
  cp -r "corpus/$target/." "$work/$target/"
  case $target in ndjson | csv) max_len=8192 ;; *) max_len=2048 ;; esac
  echo "== fuzz $target (${seconds} s)"
  status=0
  cargo "${toolchain[@]}" fuzz run -O -a "$target" "$work/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1 >"$work/$target.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -60 "$work/$target.log"
    echo "fuzz $target FAILED (exit $status); the input is under crate/engine/fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^Done' "$work/$target.log"
done
