#!/usr/bin/env bash
# Loopback load (issue 4, benchmark 4): wrk against three real HttpServers,
# bare actix-web, route-labels and actix-web-prom, in interleaved rounds.
#
#   bash scripts/bench-wrk.sh
#
# Each server is its own process (examples/bench_server.rs, one worker) on
# 127.0.0.1; all three start first, then every round runs wrk against each
# in turn, in a rotating order, for $DURATION. With taskset, servers run on
# CPU 0 and wrk on CPU 1. Prints requests/s and p99 latency, the medians
# over rounds, and each server's throughput as a share of bare actix-web's
# in the same round (the median of those per-round shares is the result:
# throughput drifts by several percent from one round to the next on a
# shared machine, much less within one round).
# Settings: ROUNDS (10), DURATION (5s), CONNECTIONS (32), PATH_UNDER_TEST
# (/users/7), OUT (target/bench/wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-10}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
PATH_UNDER_TEST=${PATH_UNDER_TEST:-/users/7}
OUT=${OUT:-target/bench/wrk}
MODES=(bare route-labels actix-web-prom)

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y wrk || { $sudo apt-get update && $sudo apt-get install -y wrk; }
fi

cargo build --release --example bench_server
server=target/release/examples/bench_server
mkdir -p "$OUT"
rm -f "$OUT"/*.txt

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    server_cpu=(taskset -c 0)
    client_cpu=(taskset -c 1)
fi

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

declare -A addr
for mode in "${MODES[@]}"; do
    "${server_cpu[@]}" "$server" "$mode" --workers 1 >"$OUT/$mode.server" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q '^listening on ' "$OUT/$mode.server" && break
        sleep 0.1
    done
    addr[$mode]=$(sed -n 's/^listening on //p' "$OUT/$mode.server")
    [ -n "${addr[$mode]}" ] || { echo "$mode did not start"; cat "$OUT/$mode.server"; exit 1; }
    echo "$mode: http://${addr[$mode]}$PATH_UNDER_TEST"
done

# One short run each: connection set-up, first-request work, page faults.
for mode in "${MODES[@]}"; do
    "${client_cpu[@]}" wrk -t1 -c"$CONNECTIONS" -d2s "http://${addr[$mode]}$PATH_UNDER_TEST" >/dev/null
done

for round in $(seq "$ROUNDS"); do
    # Rotate the order so that no server always runs first or last.
    shift_by=$(( (round - 1) % ${#MODES[@]} ))
    order=("${MODES[@]:$shift_by}" "${MODES[@]:0:$shift_by}")
    for mode in "${order[@]}"; do
        "${client_cpu[@]}" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency \
            "http://${addr[$mode]}$PATH_UNDER_TEST" >"$OUT/$mode-$round.txt"
        # Every run must be clean: no socket errors, no non-2xx answers.
        if grep -Eq 'Socket errors|Non-2xx' "$OUT/$mode-$round.txt"; then
            echo "$mode round $round had errors:"; cat "$OUT/$mode-$round.txt"; exit 1
        fi
    done
done

# requests/s and p99 (in microseconds) of one wrk output.
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
p99() {
    awk '$1 == "99%" {
        v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "ms") v *= 1000; else if (unit == "s") v *= 1000000
        printf "%.0f\n", v
    }' "$1"
}
# The median of numbers, one per line.
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Per round, 100 * mode's requests/s / bare's.
shares() {
    for r in $(seq "$ROUNDS"); do
        awk -v a="$(rps "$OUT/$1-$r.txt")" -v b="$(rps "$OUT/bare-$r.txt")" 'BEGIN {printf "%.1f\n", 100 * a / b}'
    done
}

echo
echo "wrk -t1 -c$CONNECTIONS -d$DURATION GET $PATH_UNDER_TEST, $ROUNDS interleaved rounds, server with 1 worker"
echo
echo "| server | median requests/s | share of bare, per round (%) | median share | median p99 (µs) | p99 per round (µs) |"
echo "|---|---:|---|---:|---:|---|"
for mode in "${MODES[@]}"; do
    med=$(for r in $(seq "$ROUNDS"); do rps "$OUT/$mode-$r.txt"; done | median)
    per_round=$(shares "$mode" | paste -sd' ')
    share=$(shares "$mode" | median)
    p99s=$(for r in $(seq "$ROUNDS"); do p99 "$OUT/$mode-$r.txt"; done | paste -sd' ')
    p99_med=$(for r in $(seq "$ROUNDS"); do p99 "$OUT/$mode-$r.txt"; done | median)
    echo "| $mode | $med | $per_round | $share% | $p99_med | $p99s |"
done
echo
share=$(shares route-labels | median)
awk -v share="$share" 'BEGIN {
    printf "goal: route-labels >= 97%% of bare actix-web throughput: %.1f%% (%s)\n", share, (share >= 97 ? "met" : "MISSED")
}'
