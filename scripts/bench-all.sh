#!/usr/bin/env bash
# Regenerates every number in docs/benchmarks.md and docs/memory-flood.svg
# (issue 4). About ten minutes on two cores.
#
#   bash scripts/bench-all.sh
#
# Timings compare apps measured in the same run; close other work first (the
# script waits up to 20 minutes for no rustc and a 1-minute load below 1.0,
# then goes ahead with a warning). Outputs go to target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"

# Build first, so compiling does not overlap measuring.
cargo bench --bench per_request --bench record --bench scrape --no-run
cargo build --release --example bench_server --example memory_flood

for _ in $(seq 60); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if ! pgrep -x rustc >/dev/null && awk -v l="$load" 'BEGIN {exit !(l < 1.0)}'; then
        break
    fi
    echo "waiting for an idle machine (load $load)"
    sleep 20
done
awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {exit !(l >= 1.0)}' &&
    echo "warning: 1-minute load is still $(cut -d' ' -f1 /proc/loadavg); timings will be noisy"

{
    echo "nproc: $(nproc)"
    lscpu | head -n 20
    rustc --version
} | tee "$OUT/machine.txt"

# Benchmarks 1 to 3: criterion, in process.
cargo bench --bench per_request --bench record --bench scrape -- \
    --warm-up-time 1 --measurement-time 3 | tee "$OUT/criterion.txt"

# Benchmark 4: wrk on loopback.
bash scripts/bench-wrk.sh | tee "$OUT/wrk.txt"

# Benchmark 5: memory under flood; writes docs/memory-flood.svg.
target/release/examples/memory_flood | tee "$OUT/memory-flood.txt"
