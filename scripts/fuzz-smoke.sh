#!/usr/bin/env bash
# A short run of every cargo-fuzz target (fuzz/), as CI does: each target starts from its
# checked-in seeds and runs for FUZZ_SECONDS (default 20). Any crash, hang (> 5 s for one input)
# or memory blow-up (> 512 MB) fails the run; libFuzzer leaves the input in fuzz/artifacts/.
# Longer runs and what they found: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "== fuzz smoke skipped: no nightly toolchain (cargo +nightly); the proptests over arbitrary bytes still ran"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --quiet
fi

cd fuzz
# Safe Rust gains little from AddressSanitizer, and without it the build and the runs are about
# twice as fast; longer runs (docs/fuzzing.md) keep the default sanitizer.
sanitizer="${FUZZ_SANITIZER:-none}"
targets=$(cargo +nightly fuzz list)
echo "== fuzz build ($(echo $targets | wc -w) targets, sanitizer $sanitizer)"
cargo +nightly fuzz build --sanitizer "$sanitizer"
for target in $targets; do
  corpus="target/corpus/$target"
  mkdir -p "$corpus"
  seeds=()
  [ -d "seeds/$target" ] && seeds+=("seeds/$target")
  echo "== fuzz $target for ${seconds}s"
  options=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=512 -max_len=8192 -print_final_stats=1)
  [ -f "$target.dict" ] && options+=(-dict="$target.dict")
  log="target/fuzz-$target.log"
  # AddressSanitizer's quarantine of freed memory, not the input, would otherwise fill the limit.
  if ! ASAN_OPTIONS=quarantine_size_mb=32 cargo +nightly fuzz run --sanitizer "$sanitizer" \
    "$target" "$corpus" "${seeds[@]}" \
    -- "${options[@]}" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units" "$log" || true
done
