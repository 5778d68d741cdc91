#!/usr/bin/env bash
# Instructions per scrape, counted by callgrind: route-labels' collector
# against prometheus-client `Family`s holding the same samples (the cases of
# benches/scrape.rs: 100 and 2,000 histogram series). The scrape benchmark in
# its SCRAPE_ONLY mode encodes one registry LOW and HIGH times;
# (instructions at HIGH - at LOW) / (HIGH - LOW) is one scrape. Counts do not
# depend on the machine's load.
#
#   bash scripts/scrape-instructions.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2}
HIGH=${HIGH:-12}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=lib/callgrind.sh
. scripts/lib/callgrind.sh
bench=$(bench_executable scrape)

count() { # case registry scrapes
    SCRAPE_ONLY="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bench" --bench 2>&1 | awk '/Collected :/ {print $4}' | tail -n 1
}

echo "| histogram series | route-labels collector | prometheus-client Family | collector / Family |"
echo "|---:|---:|---:|---:|"
for case in 0 1; do
    declare -A per=()
    for registry in route-labels family; do
        low=$(count "$case" "$registry" "$LOW")
        high=$(count "$case" "$registry" "$HIGH")
        per[$registry]=$(( (high - low) / (HIGH - LOW) ))
    done
    series=$([ "$case" = 0 ] && echo 100 || echo 2000)
    echo "| $series | ${per[route-labels]} | ${per[family]} | $(awk -v a="${per[route-labels]}" -v b="${per[family]}" 'BEGIN { printf "%.2f", a / b }') |"
done
