#!/bin/sh
# A short fuzzing run of every target (default 60 s each), for CI: fails on any crash, timeout
# or memory blow-up. Usage: ./smoke.sh [seconds]
set -eu
cd "$(dirname "$0")"
seconds="${1:-60}"
for target in $(cargo +nightly fuzz list); do
    mkdir -p "corpus/$target" "seeds/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -timeout=5 -rss_limit_mb=512 -max_len=4096 -max_total_time="$seconds" \
        $(test -f "$target.dict" && echo "-dict=$target.dict")
done
