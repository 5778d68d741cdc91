#!/usr/bin/env bash
# What native histograms cost per request, counted by callgrind: the
# per_request benchmark's route-labels app (PER_REQUEST_ONLY mode, as in
# scripts/instructions.sh) with HISTOGRAMS=classic, native and both, LOW and
# HIGH requests each; (instructions at HIGH - at LOW) / (HIGH - LOW) is the
# app's instructions per request, and the table gives each mode's difference
# from classic. Counts do not depend on the machine's load.
#
#   bash scripts/instructions-native.sh          # 5 and 50 routes, body read
#   ROUTES="5 50 500" bash scripts/instructions-native.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2000}
HIGH=${HIGH:-12000}
ROUTES=${ROUTES:-5 50}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=lib/callgrind.sh
. scripts/lib/callgrind.sh
bench=$(bench_executable per_request)
count() { # histograms routes requests
    HISTOGRAMS=$1 PER_REQUEST_ONLY=$(per_request_only route-labels "$2" "$3" read) \
        valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bench" --bench 2>&1 |
        awk '/Collected :/ {print $4}' | tail -n 1
}
echo "| routes | classic | native | both |"
echo "|---:|---:|---:|---:|"
for routes in $ROUTES; do
    declare -A per=()
    for mode in classic native both; do
        low=$(count "$mode" "$routes" "$LOW")
        high=$(count "$mode" "$routes" "$HIGH")
        per[$mode]=$(( (high - low) / (HIGH - LOW) ))
    done
    echo "| $routes | ${per[classic]} | ${per[native]} ($(printf '%+d' $(( per[native] - per[classic] )))) | ${per[both]} ($(printf '%+d' $(( per[both] - per[classic] )))) |"
done
